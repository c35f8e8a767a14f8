/*
 * requests_common.c: what the request workflows share (see
 * requests_internal.h). The store calls here are the ones more than one
 * workflow makes, so each Redis function is called from one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "placement.h"
#include "requests_internal.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

/* Allocate an operation: see requests_internal.h. */
void *
requests_op_new(struct call *call, size_t size)
{
	void *op;

	if ((op = calloc(1, size)) == NULL) {
		log_warn("requests: calloc");
		requests_nomem(call);
	}
	return op;
}

/* End call with "out of memory": see requests_internal.h. */
void
requests_nomem(struct call *call)
{
	call_errorf(call, SH_INTERNAL, "internal", NULL, "out of memory");
}

/* Parse the request param: see requests_internal.h. */
int
requests_parse(struct call *call, struct request *out)
{
	struct sh_errors *all = malloc(sizeof *all);
	int rc;

	if (all == NULL) {
		requests_nomem(call);
		return -1;
	}
	rc = model_request_parse_all(
	    json_object_get(call->params, "request"), sd.gaz, out, all);
	if (rc == -1) {
		sh_errors_name_object(all, "request");
		call_error_all(call, all);
	}
	free(all);
	return rc;
}

/* Explain a waiting request: see requests_internal.h. */
json_t *
requests_explain_waiting(const struct request *r, const json_t *stored,
    const json_t *case_shelters, const json_t *case_apart)
{
	struct match_result *res = table_scratch();

	if (strcmp(requests_str_of(stored, "status"), "waiting") != 0 ||
	    placement_match(r, json_object_get(stored, "rejected"),
	        case_shelters, case_apart, res) != 0)
		return NULL;
	return match_explanation_json(res);
}

/* A member's string value for logs: see requests_internal.h. */
const char *
requests_str_of(const json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));

	return s != NULL ? s : "-";
}

/* Check the reason param: see requests_internal.h. */
int
requests_check_reason(struct call *call)
{
	const char *s = call_str(call, "reason");
	struct sh_error err;

	if (s == NULL || (*s != '\0' && strlen(s) <= CALL_REASON_MAX))
		return 0;
	sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "reason",
	    "must be a non-empty string of at most %d bytes", CALL_REASON_MAX);
	call_error(call, &err);
	return -1;
}

/* Log a request's new status: see requests_internal.h. */
void
requests_log_status(const char *method, const json_t *request, const char *who)
{
	log_info("%s: request=%s status=%s by %s", method,
	    requests_str_of(request, "id"), requests_str_of(request, "status"),
	    who);
}

/* shd_case_shelters: see requests_internal.h. */
int
requests_send_case(
    const struct request *r, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_case_shelters(r->case_id, cb, arg, err);
}

/* shd_propose: see requests_internal.h. */
int
requests_send_propose(const char *rid, const char *cands, store_cb *cb,
    void *arg, struct sh_error *err)
{
	struct store_propose_args a = {
	    .request_id = rid,
	    .ttl_s = sd.cfg->hold_ttl_s,
	    .nalt = sd.cfg->alternatives,
	    .candidates = cands,
	};

	return store_propose(&a, cb, arg, err);
}

/* shd_request_get: see requests_internal.h. */
int
requests_send_get(const char *id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_request_get(id, false, cb, arg, err);
}

/* Start a refresh set: see requests_internal.h. */
void
requests_refresh_begin(
    struct requests_refresh *rs, void (*done)(void *), void *arg)
{
	/* Its own count, dropped by end: done waits until all are added. */
	rs->pending = 1;
	rs->done = done;
	rs->arg = arg;
}

/* One reload of rs answered (or dropped). */
static void
requests_refresh_drop(struct requests_refresh *rs)
{
	/* rs lives in the operation that done may free: touch it no more. */
	if (--rs->pending == 0)
		rs->done(rs->arg);
}

static void
requests_refresh_one_done(void *arg)
{
	requests_refresh_drop(arg);
}

static void
requests_refresh_list_done(void *arg, bool ok)
{
	requests_refresh_drop(arg);
}

/* Reload one shelter: see requests_internal.h. */
void
requests_refresh_shelter(struct requests_refresh *rs, const char *sid)
{
	if (sid != NULL && sid[0] != '\0' &&
	    table_fetch(sid, requests_refresh_one_done, rs) == 0)
		rs->pending++;
}

/* Reload the changed shelters: see requests_internal.h. */
void
requests_refresh_changed(
    struct requests_refresh *rs, const char *sid, const char *sid2)
{
	requests_refresh_shelter(rs, sid);
	if (sid2 != NULL && (sid == NULL || strcmp(sid, sid2) != 0))
		requests_refresh_shelter(rs, sid2);
}

/* Reload the whole table: see requests_internal.h. */
void
requests_refresh_all(struct requests_refresh *rs)
{
	/* Not sent: the table stays as it is, as for a failed reload. */
	if (table_reload(requests_refresh_list_done, rs) == 0)
		rs->pending++;
}

/* End a refresh set: see requests_internal.h. */
void
requests_refresh_end(struct requests_refresh *rs)
{
	requests_refresh_drop(rs);
}
