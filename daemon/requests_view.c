/*
 * requests_view.c: request.get and request.list, the stored requests and,
 * for a waiting one, why it waits.
 *
 * The explanation is matched on the table as it is now, with the
 * request's rejections and, when it has a safety case, the shelters that
 * hold, expect or house its co-victims (a case conflict is a filter like
 * any other: an explanation without it would count a shelter the request
 * cannot go to as one that can take it). So a view is a small state
 * machine: READ the request(s), then CASES, one shd_case_shelters for
 * each case among the waiting ones, sent at once, then the reply when the
 * last has answered. Without a waiting request of a case it replies after
 * READ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/vocab.h"

#include "placement.h"
#include "requests.h"
#include "requests_internal.h"
#include "store.h"

struct view;

/* A case of the requests to explain and its shelters, once read. */
struct view_case {
	struct view *v;
	char id[MODEL_CASE_MAX + 1];
	json_t *got; /* {"shelters", "apart"}, owned; NULL until read */
};

struct view {
	struct call *call;
	json_t *reqs; /* the requests read, owned */
	bool single;  /* request.get: one request, explanation beside it */
	bool explain; /* give the waiting ones an explanation */
	struct view_case *cases;
	size_t ncases, pending;
	bool failed; /* a case read failed: err is the answer */
	struct sh_error err;
};

static void
view_free(struct view *v)
{
	size_t i;

	for (i = 0; i < v->ncases; i++)
		json_decref(v->cases[i].got);
	free(v->cases);
	json_decref(v->reqs);
	free(v);
}

/* The case of a waiting request r whose match needs it, or NULL. */
static struct view_case *
view_case_of(struct view *v, const struct request *r)
{
	size_t i;

	if (!placement_needs_case(r))
		return NULL;
	for (i = 0; i < v->ncases; i++)
		if (strcmp(v->cases[i].id, r->case_id) == 0)
			return &v->cases[i];
	return NULL;
}

/* Why stored request req waits (NULL: it does not, or ENOMEM). */
static json_t *
view_explain(struct view *v, const json_t *req)
{
	const struct view_case *c;
	struct request r;

	if (strcmp(requests_str_of(req, "status"), "waiting") != 0 ||
	    placement_parse_stored(req, &r) == -1)
		return NULL;
	c = view_case_of(v, &r);
	return requests_explain_waiting(&r, req,
	    c != NULL ? json_object_get(c->got, "shelters") : NULL,
	    c != NULL ? json_object_get(c->got, "apart") : NULL);
}

/* Every case read: explain and reply. */
static void
view_reply(struct view *v)
{
	json_t *r, *e;
	size_t i;

	if (v->failed) {
		call_error(v->call, &v->err);
	} else if (v->single) {
		r = json_array_get(v->reqs, 0);
		call_reply(v->call,
		    json_pack("{s:O, s:o?}", "request", r, "explanation",
		        view_explain(v, r)));
	} else {
		if (v->explain)
			json_array_foreach(v->reqs, i, r)
			{
				e = view_explain(v, r);
				json_object_set_new(r, "explanation",
				    e != NULL ? e : json_null());
			}
		call_reply(v->call, json_pack("{s:O}", "requests", v->reqs));
	}
	view_free(v);
}

static void
view_case_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct view_case *c = arg;
	struct view *v = c->v;

	if (result == NULL && !v->failed) {
		v->failed = true;
		v->err = *err;
	}
	c->got = json_incref(result);
	if (--v->pending == 0)
		view_reply(v);
}

/* CASES: one read per case among the waiting requests. */
static void
view_cases(struct view *v)
{
	struct view_case *c;
	struct request r;
	json_t *req;
	size_t i, n = json_array_size(v->reqs);

	if (v->explain && (v->cases = calloc(n, sizeof *v->cases)) != NULL)
		json_array_foreach(v->reqs, i, req)
		{
			if (strcmp(requests_str_of(req, "status"), "waiting") !=
			        0 ||
			    placement_parse_stored(req, &r) == -1 ||
			    !placement_needs_case(&r) ||
			    view_case_of(v, &r) != NULL)
				continue;
			c = &v->cases[v->ncases++];
			c->v = v;
			snprintf(c->id, sizeof c->id, "%s", r.case_id);
		}
	/* pending counts this function too, so no reply comes before the
	 * last read is sent. */
	v->pending = 1;
	for (i = 0; i < v->ncases; i++) {
		v->pending++;
		if (store_case_shelters(v->cases[i].id, view_case_done,
		        &v->cases[i], &v->err) == -1) {
			v->pending--;
			v->failed = true;
		}
	}
	if (--v->pending == 0)
		view_reply(v);
}

/* READ answered: the requests, then their cases. */
static void
view_read_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct view *v = arg;

	if (result == NULL) {
		call_error(v->call, err);
		view_free(v);
		return;
	}
	v->reqs = v->single
	    ? json_pack("[O]", json_object_get(result, "request"))
	    : json_incref(json_object_get(result, "requests"));
	if (v->reqs == NULL)
		v->reqs = json_array();
	view_cases(v);
}

/* A view of call; NULL on ENOMEM (the call is answered). */
static struct view *
view_new(struct call *call, bool single, bool explain)
{
	struct view *v = calloc(1, sizeof *v);
	struct sh_error err;

	if (v == NULL) {
		sh_error_set(
		    &err, SH_INTERNAL, "internal", NULL, "out of memory");
		call_error(call, &err);
		return NULL;
	}
	v->call = call;
	v->single = single;
	v->explain = explain;
	return v;
}

/* The store call for v was sent (rc 0) or not (-1, err: the answer). */
static void
view_sent(struct view *v, int rc, const struct sh_error *err)
{
	if (rc == -1) {
		call_error(v->call, err);
		view_free(v);
	}
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
	struct view *v;

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
	if ((v = view_new(call, true, true)) != NULL)
		view_sent(v,
		    store_request_get(id != NULL ? id : ref, id == NULL,
		        view_read_done, v, &err),
		    &err);
}

/* request.list ------------------------------------------------------- */

/* End call with: status.I must be one of the statuses. */
static void
requests_view_bad_status(struct call *call, size_t i)
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
	struct view *v;
	const char *s;
	size_t i;

	for (i = 0; i < json_array_size(st); i++) {
		s = json_string_value(json_array_get(st, i));
		if (vocab_request_status_parse(s) == -1) {
			requests_view_bad_status(call, i);
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
	if ((v = view_new(call, false,
	         json_is_true(json_object_get(call->params, "explain")))) !=
	    NULL)
		view_sent(v,
		    store_request_list(buf,
		        lim != NULL ? (int)json_integer_value(lim) : 100,
		        order != NULL && strcmp(order, "newest") == 0, cs,
		        view_read_done, v, &err),
		    &err);
}
