/*
 * requests_reject.c: proposal.reject, a state machine (enum
 * requests_reject_step) whose store answers and refresh set all land in
 * requests_reject_advance().
 *
 * shd_reject releases the hold and remembers the shelter as rejected for
 * the request; a request that then waits is matched again at once and the
 * next candidate proposed. When that next proposal fails the rejection
 * still stands: the waitlist pass tries again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "placement.h"
#include "requests.h"
#include "requests_internal.h"
#include "store.h"
#include "table.h"

/* What a rejection waits for. */
enum requests_reject_step {
	REJECT_STORE,   /* shd_reject */
	REJECT_CASE,    /* the shelters of the request's case */
	REJECT_PROPOSE, /* shd_propose of the next candidates */
	REJECT_REFRESH, /* the changed shelters' reloads, then reply */
};

struct requests_reject_op {
	struct call *call;
	enum requests_reject_step step;
	char id[MODEL_ID_MAX + 1]; /* the proposal rejected, for logs */
	json_t *proposal;          /* as shd_reject returned it */
	json_t *request;           /* as shd_reject returned it */
	struct request req;        /* request, parsed to match it again */
	json_t *reply;             /* REJECT_REFRESH: the result to send */
	struct requests_refresh refresh;
};

static void requests_reject_advance(
    struct requests_reject_op *op, json_t *result, const struct sh_error *err);

static void
requests_reject_free(struct requests_reject_op *op)
{
	json_decref(op->proposal);
	json_decref(op->request);
	json_decref(op->reply);
	free(op);
}

static void
requests_reject_store_cb(json_t *result, const struct sh_error *err, void *arg)
{
	requests_reject_advance(arg, result, err);
}

static void
requests_reject_refreshed(void *arg)
{
	requests_reject_advance(arg, NULL, NULL);
}

/* shd_reject of the proposal (the reason stays here). */
static int
requests_reject_send_reject(struct requests_reject_op *op, struct sh_error *err)
{
	return store_reject(
	    call_str(op->call, "id"), requests_reject_store_cb, op, err);
}

/*
 * Reply {proposal, request, next} (request: the latest state, next: the
 * new proposal or NULL; both borrowed) once the table holds the shelters
 * whose places changed.
 */
static void
requests_reject_reply(
    struct requests_reject_op *op, json_t *request, json_t *next)
{
	json_t *result = json_pack("{s:O, s:O, s:O?}", "proposal", op->proposal,
	    "request", request, "next", next);

	if (result == NULL) {
		requests_nomem(op->call);
		requests_reject_free(op);
		return;
	}
	op->reply = result;
	op->step = REJECT_REFRESH;
	requests_refresh_begin(&op->refresh, requests_reject_refreshed, op);
	requests_refresh_changed(&op->refresh,
	    requests_str_of(op->proposal, "shelter_id"),
	    next != NULL ? requests_str_of(next, "shelter_id") : NULL);
	requests_refresh_end(&op->refresh);
}

/* No next proposal could be made (err): the rejection stands. */
static void
requests_reject_no_next(
    struct requests_reject_op *op, const struct sh_error *err)
{
	/* The rejection stands; the waitlist pass tries again. */
	log_warnx("proposal.reject: next proposal for request=%s: %s",
	    requests_str_of(op->request, "id"), err->message);
	requests_reject_reply(op, op->request, NULL);
}

/* Match the waiting request again (the case's {shelters, apart}
 * borrowed; NULL: none), then propose its next candidates. */
static void
requests_reject_match(struct requests_reject_op *op, const json_t *cases)
{
	struct match_result *res = table_scratch();
	struct sh_error err;
	char *cands = NULL;
	const char *rid = requests_str_of(op->request, "id");
	int rc;

	if (placement_match(&op->req, json_object_get(op->request, "rejected"),
	        json_object_get(cases, "shelters"),
	        json_object_get(cases, "apart"), res) == -1 ||
	    (res->ncandidates > 0 &&
	        (cands = placement_candidates_arg(res, SIZE_MAX)) == NULL)) {
		requests_nomem(op->call);
		requests_reject_free(op);
		return;
	}
	if (res->ncandidates == 0) {
		log_info("proposal.reject: request=%s waiting by %s", rid,
		    op->call->who);
		requests_reject_reply(op, op->request, NULL);
		return;
	}
	op->step = REJECT_PROPOSE;
	rc = requests_send_propose(
	    rid, cands, requests_reject_store_cb, op, &err);
	free(cands);
	if (rc == -1)
		requests_reject_no_next(op, &err);
}

/* shd_reject answered (borrowed): log, then match again if it waits. */
static void
requests_reject_rejected(struct requests_reject_op *op, json_t *result)
{
	struct sh_error err;

	op->proposal = json_incref(json_object_get(result, "proposal"));
	op->request = json_incref(json_object_get(result, "request"));
	log_info("proposal.reject: proposal=%s request=%s shelter=%s by %s",
	    op->id, requests_str_of(op->request, "id"),
	    requests_str_of(op->proposal, "shelter_id"), op->call->who);
	if (strcmp(requests_str_of(op->request, "status"), "waiting") != 0 ||
	    placement_parse_stored(op->request, &op->req) == -1) {
		requests_reject_reply(op, op->request, NULL);
		return;
	}
	if (!placement_needs_case(&op->req)) {
		requests_reject_match(op, NULL);
		return;
	}
	op->step = REJECT_CASE;
	if (requests_send_case(&op->req, requests_reject_store_cb, op, &err) ==
	    -1)
		requests_reject_no_next(op, &err);
}

/*
 * Every store answer and the end of the refresh set of op: result and err
 * as store_cb gives them; both NULL when the refresh set is done.
 */
static void
requests_reject_advance(
    struct requests_reject_op *op, json_t *result, const struct sh_error *err)
{
	json_t *req, *next;

	if (result == NULL && err != NULL) {
		if (op->step == REJECT_STORE) {
			call_error(op->call, err);
			requests_reject_free(op);
		} else
			requests_reject_no_next(op, err);
		return;
	}
	switch (op->step) {
	case REJECT_STORE:
		requests_reject_rejected(op, result);
		break;
	case REJECT_CASE:
		requests_reject_match(op, result);
		break;
	case REJECT_PROPOSE:
		req = json_object_get(result, "request");
		next = json_object_get(result, "proposal");
		if (json_is_null(next))
			next = NULL;
		if (next != NULL)
			log_info("proposal.reject: request=%s next proposal=%s "
			         "shelter=%s pool=%s by %s",
			    requests_str_of(req, "id"),
			    requests_str_of(next, "id"),
			    requests_str_of(next, "shelter_id"),
			    requests_str_of(next, "pool"), op->call->who);
		requests_reject_reply(
		    op, req != NULL ? req : op->request, next);
		break;
	case REJECT_REFRESH:
		result = op->reply;
		op->reply = NULL;
		call_reply(op->call, result);
		requests_reject_free(op);
		break;
	}
}

/*
 * proposal.reject {id, reason}: release the hold, remember the shelter as
 * rejected for the request, and propose the next candidate at once.
 */
void
requests_reject(struct call *call)
{
	struct sh_error err;
	struct requests_reject_op *op;

	if (requests_check_reason(call) == -1 ||
	    (op = requests_op_new(call, sizeof *op)) == NULL)
		return;
	op->call = call;
	snprintf(op->id, sizeof op->id, "%s", call_str(call, "id"));
	op->step = REJECT_STORE;
	if (requests_reject_send_reject(op, &err) == -1) {
		call_error(call, &err);
		requests_reject_free(op);
	}
}
