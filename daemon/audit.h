/*
 * audit.h: the audit trail and the retention sweep.
 *
 * Every call of a method marked audit in the method table appends one
 * entry to the audit stream: who (token name or uid), the method, the ids
 * it named or made, its outcome (ok or the error reason). The store
 * function that makes the call's change writes it in the same function
 * call (audit_store_args); a call that reaches none (refused before the
 * store, the store unreachable, a reply deferred) gets it when it ends
 * (audit_record). No personal attribute and no free text (reasons are not
 * recorded).
 */
#ifndef SHELTERD_AUDIT_H
#define SHELTERD_AUDIT_H

#include <jansson.h>

#include "shelter/error.h"

#include "store.h"

#define AUDIT_IDS_MAX 2048 /* a batch of 50: a request and a proposal each */

struct call;

/* Room for the audit arguments of a store function that audits. */
struct audit_args {
	struct store_audit au;
	char ids[AUDIT_IDS_MAX];
};

/*
 * The audit entry of call for a store function that writes it with its
 * change (store.h struct store_audit), in a (which must live until the
 * store call is sent), or NULL when the method is not audited. defer:
 * the caller may go on after a reply with no proposal (struct
 * store_audit). When the function writes the entry the call is marked and
 * audit_record writes nothing; a call that ends before (refused here, the
 * store unreachable) or after a deferred reply is recorded by
 * audit_record as before.
 */
const struct store_audit *audit_store_args(
    struct call *call, struct audit_args *a, bool defer);
/* The call_on_end hook: record call's end (result or err), unless a store
 * function wrote its entry. */
void audit_record(
    const struct call *call, const json_t *result, const struct sh_error *err);
/* audit.list {from?, to?, who?, method?, limit?} -> {entries} newest first. */
void audit_list(struct call *call);
/* retention.sweep {} -> {requests, registrations, audit}: run it now. */
void audit_retention_sweep(struct call *call);
/* A retention sweep now, as the hourly timer runs it (debug.advance: at
 * the new time, on the connection of the checks after it); while one is
 * in flight, another as soon as it ends. */
void audit_retention_now(void);
/* Start the hourly retention sweep (the first runs at once). */
void audit_start(void);
void audit_stop(void);

#endif
