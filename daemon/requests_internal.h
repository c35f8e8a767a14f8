/*
 * requests_internal.h: what the request workflows share (requests_*.c):
 * allocating an operation, reading params, the reason check, the store
 * calls more than one workflow makes, and the refresh set. The API for the
 * rest of the daemon is requests.h.
 */
#ifndef SHELTERD_REQUESTS_INTERNAL_H
#define SHELTERD_REQUESTS_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "shelter/error.h"
#include "shelter/model.h"

#include "call.h"
#include "store.h"

/*
 * How a request document goes to the store (shd_submit, shd_submit_batch):
 * compact, reals as the client reads them (RPC_DUMP_FLAGS: 52.09, not
 * 52.090000000000003), since shd_submit's result text, which holds the
 * document, is sent to the client as it is. The store takes equal texts
 * for the same request (and equal values, for documents stored before).
 */
#define REQUESTS_DOC_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
 * A zeroed operation of size bytes for call, or NULL when out of memory;
 * then the call has been ended with the error. The caller frees it.
 */
void *requests_op_new(struct call *call, size_t size);
/* End call with the internal "out of memory" error. */
void requests_nomem(struct call *call);
/*
 * Parse the "request" param of call into out (sd.gaz resolves places). 0,
 * or -1 when it is invalid; then the call has been ended with the error.
 */
int requests_parse(struct call *call, struct request *out);

/* A member's string value, or "-" for logs (borrowed). */
const char *requests_str_of(const json_t *obj, const char *name);
/*
 * Check the "reason" param: a non-empty string of at most
 * CALL_REASON_MAX bytes, or absent. 0, or -1 when it is not; then the
 * call has been ended with the error.
 */
int requests_check_reason(struct call *call);
/*
 * The explanation of r as the store holds it (stored: its request object,
 * whose status and rejected shelters count) on the table as it is now,
 * with its case's shelters and apart members (JSON arrays or NULL): a new
 * object when it waits, else NULL (also when out of memory).
 */
json_t *requests_explain_waiting(const struct request *r, const json_t *stored,
    const json_t *case_shelters, const json_t *case_apart);
/* Log "METHOD: request=ID status=STATUS by WHO" for a request call changed. */
void requests_log_status(
    const char *method, const json_t *request, const char *who);

/*
 * The store calls more than one workflow makes. Each returns 0 (cb(arg)
 * runs later, exactly once) or -1 with err (cb is not called).
 *
 * requests_send_case: the shelters that hold, expect or house r's case
 * (shd_case_shelters), as {"shelters": [ids], "apart": [ids]}.
 */
int requests_send_case(
    const struct request *r, store_cb *cb, void *arg, struct sh_error *err);
/*
 * Hold a place for the stored request rid in the first of cands (the JSON
 * text of placement_candidates_arg) that has one (shd_propose, with the
 * configured hold and number of alternatives): {request, proposal|null}.
 */
int requests_send_propose(const char *rid, const char *cands, store_cb *cb,
    void *arg, struct sh_error *err);
/* The request id (or ref) as stored (shd_request_get): {request}. */
int requests_send_get(
    const char *id, store_cb *cb, void *arg, struct sh_error *err);

/*
 * The table refreshes one operation waits for before it goes on, so the
 * caller's next preview or submit sees its own change (the events of the
 * change refresh the table too, later). Embedded in the operation, which
 * must live until done runs: begin, add shelters, end; done(arg) runs once
 * every reload has been answered or could not be sent, from end itself
 * when none is in flight. A failed reload only leaves the table as it was.
 */
struct requests_refresh {
	int pending; /* reloads in flight, plus one until end */
	void (*done)(void *arg);
	void *arg;
};

void requests_refresh_begin(
    struct requests_refresh *rs, void (*done)(void *), void *arg);
/* Reload shelter sid (NULL or "": none). */
void requests_refresh_shelter(struct requests_refresh *rs, const char *sid);
/*
 * Reload the shelters whose free places a call changed: sid, and sid2 when
 * it is another one (NULL or "": none).
 */
void requests_refresh_changed(
    struct requests_refresh *rs, const char *sid, const char *sid2);
/* Reload the whole table with one shelter list (shd_shelter_list). */
void requests_refresh_all(struct requests_refresh *rs);
/* No more reloads to add; done may run before this returns. */
void requests_refresh_end(struct requests_refresh *rs);

#endif
