/*
 * registrations.h: registration.create / get / update / list and
 * report.registrations (docs/protocol.md "Registrations and reports").
 */
#ifndef SHELTERD_REGISTRATIONS_H
#define SHELTERD_REGISTRATIONS_H

#include <stdbool.h>

struct call;

/* registration.create {registration} -> {registration}. */
void registrations_create(struct call *call);
/* registration.update {id, registration, if_version?} -> {registration}. */
void registrations_update(struct call *call);
/* registration.get {id} -> {registration}. */
void registrations_get(struct call *call);
/* registration.list {from?, to?, kind?, limit?} -> {registrations}. */
void registrations_list(struct call *call);
/* report.registrations {from, to, by} -> the protected cross-table. */
void registrations_report(struct call *call);
/*
 * Check a report's by param: 1 to max dimensions, each known to parse
 * (list names them in the error), none twice. 0, or -1 with the call
 * ended with the error (field by or by.N).
 */
int registrations_check_by(struct call *call, const json_t *by, size_t max,
    int (*parse)(const char *), const char *list);
/*
 * params from and to (dates YYYY-MM-DD) as YYYYMMDD into from and to ("" when
 * absent and not required); to before from is invalid. 0, or -1 after
 * ending the call with the error.
 */
int registrations_range(
    struct call *call, bool required, char from[9], char to[9]);

#endif
