/*
 * retention.h: which records the storage-limitation sweep reduces
 * (docs/protocol.md "Retention"). The store applies the cutoffs computed
 * here; the reduced shapes are model_registration_reduce's and, for
 * requests, the one docs/store.md describes.
 */
#ifndef SHELTER_RETENTION_H
#define SHELTER_RETENTION_H

#include <stdbool.h>

struct retention_cutoffs {
	long long requests_ms; /* closed before this: reduce; -1: keep all */
	long long audit_ms;    /* entries before this: delete; -1: keep all */
	char registrations[9]; /* dated before YYYYMMDD: reduce; "": keep all */
};

/*
 * The cutoffs at now_ms for the configured periods (0: keep for ever).
 * A registration is due once its date is more than years whole years ago
 * (dated 2020-03-01 with 5 years: due from 2025-03-02).
 */
void retention_cutoffs(long long now_ms, int requests_closed_days,
    int registrations_years, int audit_days, struct retention_cutoffs *out);
/* Is a request closed at closed_ms due? */
bool retention_request_due(
    const struct retention_cutoffs *c, long long closed_ms);
/* Is a registration dated date (YYYY-MM-DD) due? */
bool retention_registration_due(
    const struct retention_cutoffs *c, const char *date);

#endif
