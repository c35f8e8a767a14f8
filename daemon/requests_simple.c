/*
 * requests_simple.c: the request and proposal methods of one store round
 * trip: proposal.accept, placement.arrived, placement.departed,
 * request.get and request.list.
 * Each callback gets the call itself: there is nothing else to keep.
 */
#include <stdio.h>
#include <string.h>

#include "shelter/vocab.h"

#include "audit.h"
#include "log.h"
#include "placement.h"
#include "requests.h"
#include "requests_internal.h"
#include "store.h"
#include "table.h"

/* Reply {request} from a store answer that carries it. */
static void
requests_simple_reply_request(struct call *call, const json_t *result)
{
	call_reply(call,
	    json_pack("{s:O}", "request", json_object_get(result, "request")));
}

/* proposal.accept ---------------------------------------------------- */

static void
requests_simple_accept_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *prop, *req;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	prop = json_object_get(result, "proposal");
	req = json_object_get(result, "request");
	log_info("proposal.accept: proposal=%s request=%s shelter=%s by %s",
	    call_str(call, "id"), requests_str_of(req, "id"),
	    requests_str_of(prop, "shelter_id"), call->who);
	call_reply(
	    call, json_pack("{s:O, s:O}", "proposal", prop, "request", req));
}

/* proposal.accept {id}: the held place becomes an expected arrival. */
void
requests_accept(struct call *call)
{
	struct audit_args au;
	struct sh_error err;

	if (store_accept(audit_store_args(call, &au, false),
	        call_str(call, "id"), requests_simple_accept_cb, call,
	        &err) == -1)
		call_error(call, &err);
}

/* placement.arrived -------------------------------------------------- */

static void
requests_simple_arrived_cb(
    json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	requests_log_status(
	    "placement.arrived", json_object_get(result, "request"), call->who);
	requests_simple_reply_request(call, result);
}

/*
 * placement.arrived {request_id}: the expected place becomes occupied.
 * A shelter role may only confirm arrivals in its own shelter; the store
 * knows where the request was placed.
 */
void
requests_arrived(struct call *call)
{
	struct audit_args au;
	struct sh_error err;

	if (store_arrived(audit_store_args(call, &au, false),
	        call_str(call, "request_id"),
	        call->role == ROLE_SHELTER ? call->shelter : "",
	        requests_simple_arrived_cb, call, &err) == -1)
		call_error(call, &err);
}

/* placement.departed ------------------------------------------------- */

static void
requests_simple_departed_cb(
    json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	requests_log_status("placement.departed",
	    json_object_get(result, "request"), call->who);
	requests_simple_reply_request(call, result);
}

/*
 * placement.departed {request_id}: a resident left; its place is free
 * again. Ownership follows from the request, as for placement.arrived.
 */
void
requests_departed(struct call *call)
{
	struct audit_args au;
	struct sh_error err;

	if (store_departed(audit_store_args(call, &au, false),
	        call_str(call, "request_id"),
	        call->role == ROLE_SHELTER ? call->shelter : "",
	        requests_simple_departed_cb, call, &err) == -1)
		call_error(call, &err);
}

/* request.get -------------------------------------------------------- */

/*
 * Why a waiting request waits, matched now on the table with its
 * rejections (a new object, or NULL: it does not wait, or ENOMEM).
 */
static json_t *
requests_simple_explain(const json_t *req)
{
	struct match_result *res = table_scratch();
	struct request r;

	if (strcmp(requests_str_of(req, "status"), "waiting") != 0 ||
	    placement_parse_stored(req, &r) == -1 ||
	    placement_match(
	        &r, json_object_get(req, "rejected"), NULL, NULL, res) == -1)
		return NULL;
	return match_explanation_json(res);
}

static void
requests_simple_get_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *req;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	req = json_object_get(result, "request");
	call_reply(call,
	    json_pack("{s:O, s:o?}", "request", req, "explanation",
	        requests_simple_explain(req)));
}

/*
 * request.get {id} or {ref}: the request as stored. Exactly one of the
 * two; an id may also be a ref, as everywhere a request id is taken.
 */
void
requests_get(struct call *call)
{
	const char *id = call_str(call, "id"), *ref = call_str(call, "ref");
	struct sh_error err;

	if (id != NULL && ref != NULL) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "ref",
		    "give either id or ref, not both");
		call_error(call, &err);
		return;
	}
	if (id == NULL && ref == NULL) {
		sh_error_set(&err, SH_INVALID_PARAMS, "missing_field", "id",
		    "is required (or give ref)");
		call_error(call, &err);
		return;
	}
	if (store_request_get(id != NULL ? id : ref, id == NULL,
	        requests_simple_get_cb, call, &err) == -1)
		call_error(call, &err);
}

/* request.list ------------------------------------------------------- */

static void
requests_simple_list_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *reqs, *r, *e;
	size_t i;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	reqs = json_object_get(result, "requests");
	/* explain: why each waiting request waits, as request.get says it
	 * (opt-in: one match per waiting request). */
	if (json_is_true(json_object_get(call->params, "explain")))
		json_array_foreach(reqs, i, r)
		{
			e = requests_simple_explain(r);
			json_object_set_new(
			    r, "explanation", e != NULL ? e : json_null());
		}
	call_reply(call,
	    reqs != NULL ? json_pack("{s:O}", "requests", reqs)
	                 : json_pack("{s:[]}", "requests"));
}

/* End call with: status.I must be one of the statuses. */
static void
requests_simple_bad_status(struct call *call, size_t i)
{
	char field[32];
	struct sh_error err;

	snprintf(field, sizeof field, "status.%zu", i);
	sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", field,
	    "must be one of %s", vocab_request_status_list);
	call_error(call, &err);
}

/*
 * request.list {status?, limit?, order?, case?, explain?}: oldest first
 * unless order is "newest". status lists the statuses to keep (absent or
 * empty: all); limit is 1..500, default 100; case keeps the requests of
 * that safety case; explain gives every waiting request its explanation.
 */
void
requests_list(struct call *call)
{
	const json_t *st = json_object_get(call->params, "status");
	const json_t *lim = json_object_get(call->params, "limit");
	const char *order = call_str(call, "order");
	const char *cs = call_str(call, "case");
	char buf[64] = "";
	struct sh_error err;
	const char *s;
	size_t i;

	for (i = 0; i < json_array_size(st); i++) {
		s = json_string_value(json_array_get(st, i));
		if (vocab_request_status_parse(s) == -1) {
			requests_simple_bad_status(call, i);
			return;
		}
		if (strstr(buf, s) == NULL) {
			if (buf[0] != '\0')
				strcat(buf, ",");
			strcat(buf, s);
		}
	}
	if (lim != NULL &&
	    (json_integer_value(lim) < 1 || json_integer_value(lim) > 500)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "limit",
		    "must be an integer from 1 to 500");
		call_error(call, &err);
		return;
	}
	if (order != NULL && strcmp(order, "oldest") != 0 &&
	    strcmp(order, "newest") != 0) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "order",
		    "must be oldest or newest");
		call_error(call, &err);
		return;
	}
	if (cs != NULL && !model_valid_ref(cs)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "case",
		    "must be 1 to 64 letters, digits, '.', '_' or '-'");
		call_error(call, &err);
		return;
	}
	if (store_request_list(buf,
	        lim != NULL ? (int)json_integer_value(lim) : 100,
	        order != NULL && strcmp(order, "newest") == 0, cs,
	        requests_simple_list_cb, call, &err) == -1)
		call_error(call, &err);
}
