/*
 * audit.h: the audit trail and the retention sweep.
 *
 * Every call of a method marked audit in the method table appends one
 * entry to the audit stream when it ends: who (token name or uid), the
 * method, the ids it named or made, its outcome (ok or the error reason).
 * No personal attribute and no free text (reasons are not recorded).
 */
#ifndef SHELTERD_AUDIT_H
#define SHELTERD_AUDIT_H

#include <jansson.h>

#include "shelter/error.h"

struct call;

/* The call_on_end hook: record call's end (result or err). */
void audit_record(
    const struct call *call, const json_t *result, const struct sh_error *err);
/* audit.list {from?, to?, who?, method?, limit?} -> {entries} newest first. */
void audit_list(struct call *call);
/* retention.sweep {} -> {requests, registrations, audit}: run it now. */
void audit_retention_sweep(struct call *call);
/* Start the hourly retention sweep (the first runs at once). */
void audit_start(void);
void audit_stop(void);

#endif
