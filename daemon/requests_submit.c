/*
 * requests_submit.c: request.submit, which matches a new request against
 * the in-memory table and stores it.
 *
 * A submit is a state machine (enum requests_submit_step): every store answer
 * and the end of every table refresh lands in requests_submit_advance(). The
 * store settles races between instances: shd_submit stores the request and
 * holds the first candidate that still has a place, so a stale table only
 * means a candidate is skipped here. When shd_submit made a proposal or
 * found a duplicate, its reply carries the few values needed here beside
 * the client's result as text, which is sent as it is (call_reply_text):
 * only the rarer outcomes are decoded. Logs name ids and who did it, never
 * a person's attributes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "placement.h"
#include "requests.h"
#include "requests_internal.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

/* A submit that loses the race for the last places reloads at most this
 * many candidate shelters one by one, more with one shelter list. */
#define SUBMIT_RELOAD_MAX 16

/* What a submit waits for. */
enum requests_submit_step {
	SUBMIT_CASE,         /* the shelters of the request's case */
	SUBMIT_STORE,        /* shd_submit: stored, held, or a duplicate */
	SUBMIT_PROPOSE_ALL,  /* shd_propose with every candidate */
	SUBMIT_REFRESH_LOST, /* the candidates' reloads, then explain */
	SUBMIT_REFRESH_HOLD, /* the held shelter's reload, then reply */
};

struct requests_submit_op {
	struct call *call;
	enum requests_submit_step step;
	struct request req;
	json_t *cases;       /* the case's shelters matched (NULL: none) */
	json_t *explanation; /* sent when the request ends up waiting */
	json_t *request;     /* as stored, once the store found no place */
	/* As matched on the table: the window and one more at most. */
	size_t ncandidates;
	bool windowed; /* shd_submit got only placement_window() */
	/* The candidates to reload after a lost race, when there are at
	 * most SUBMIT_RELOAD_MAX (else the whole table is reloaded). */
	char sids[SUBMIT_RELOAD_MAX][MODEL_ID_MAX + 1];
	int nsids;
	json_t *reply; /* SUBMIT_REFRESH_HOLD: the result to send, or ... */
	char *text;    /* ... the store's result text (owned) */
	size_t text_len;
	long long cseq; /* of the hold's change of its shelter (0: none) */
	struct requests_refresh refresh;
};

static void requests_submit_advance(
    struct requests_submit_op *op, json_t *result, const struct sh_error *err);

static void
requests_submit_free(struct requests_submit_op *op)
{
	json_decref(op->cases);
	json_decref(op->explanation);
	json_decref(op->request);
	json_decref(op->reply);
	free(op->text);
	free(op);
}

static void
requests_submit_fail(struct requests_submit_op *op, const struct sh_error *err)
{
	call_error(op->call, err);
	requests_submit_free(op);
}

/* End the call with result (stolen; NULL means ENOMEM) and free op. */
static void
requests_submit_end(struct requests_submit_op *op, json_t *result)
{
	if (result == NULL)
		requests_nomem(op->call);
	else
		call_reply(op->call, result);
	requests_submit_free(op);
}

static void
requests_submit_store_cb(json_t *result, const struct sh_error *err, void *arg)
{
	requests_submit_advance(arg, result, err);
}

static void
requests_submit_refreshed(void *arg)
{
	requests_submit_advance(arg, NULL, NULL);
}

static void requests_submit_spliced(
    struct requests_submit_op *op, const struct store_submit_reply *sr);

/* shd_submit's answer: in fields on the hot path, else as store_cb. */
static void
requests_submit_submitted(const struct store_submit_reply *sr, json_t *result,
    const struct sh_error *err, void *arg)
{
	if (sr != NULL)
		requests_submit_spliced(arg, sr);
	else
		requests_submit_advance(arg, result, err);
}

/* shd_submit with the request document, household and candidates. */
static int
requests_submit_send_store(struct requests_submit_op *op, const char *doc,
    const char *hh, const char *cands, struct sh_error *err)
{
	struct audit_args au;
	struct store_submit_args a = {
	    .audit = audit_store_args(op->call, &au, op->windowed),
	    .ref = op->req.ref,
	    .doc = doc,
	    .urgency = (int)op->req.urgency,
	    .case_id = op->req.case_id,
	    .co_victims = model_co_victims_name(op->req.co_victims),
	    .household = hh,
	    .ttl_s = sd.cfg->hold_ttl_s,
	    .nalt = sd.cfg->alternatives,
	    .candidates = cands,
	};

	return store_submit(&a, requests_submit_submitted, op, err);
}

/*
 * The explanation of a duplicate, req as stored: a waiting one is
 * explained as its first submit was (the stored request is this one: the
 * store compared them); else none. op keeps it.
 */
static json_t *
requests_submit_dup_explanation(struct requests_submit_op *op, json_t *req)
{
	json_decref(op->explanation);
	op->explanation = requests_explain_waiting(&op->req, req,
	    json_object_get(op->cases, "shelters"),
	    json_object_get(op->cases, "apart"));
	return op->explanation;
}

/* Log and reply {request, proposal, explanation, duplicate}. */
static void
requests_submit_reply(
    struct requests_submit_op *op, json_t *req, json_t *prop, bool dup)
{
	json_t *expl = prop != NULL ? NULL
	    : dup                   ? requests_submit_dup_explanation(op, req)
	                            : op->explanation;
	json_t *result;

	if (dup)
		log_info("request.submit: duplicate request=%s by %s",
		    requests_str_of(req, "id"), op->call->who);
	else if (prop != NULL)
		log_info("request.submit: request=%s proposal=%s shelter=%s "
		         "pool=%s by %s",
		    requests_str_of(req, "id"), requests_str_of(prop, "id"),
		    requests_str_of(prop, "shelter_id"),
		    requests_str_of(prop, "pool"), op->call->who);
	else
		log_info("request.submit: request=%s waiting by %s",
		    requests_str_of(req, "id"), op->call->who);
	result = json_pack("{s:O, s:O?, s:O?, s:b}", "request", req, "proposal",
	    prop, "explanation", expl, "duplicate", dup);
	/* Its own hold is in the table at once (see table_add_held), or
	 * after a reload of the shelter when the table does not have it. */
	if (prop == NULL || dup || result == NULL ||
	    table_add_held(
	        json_string_value(json_object_get(prop, "shelter_id")),
	        json_string_value(json_object_get(prop, "pool")),
	        op->cseq) != -1) {
		requests_submit_end(op, result);
		return;
	}
	op->reply = result;
	op->step = SUBMIT_REFRESH_HOLD;
	requests_refresh_begin(&op->refresh, requests_submit_refreshed, op);
	requests_refresh_shelter(
	    &op->refresh, requests_str_of(prop, "shelter_id"));
	requests_refresh_end(&op->refresh);
}

/*
 * shd_submit made a proposal or found a duplicate: log, take its hold into
 * the table and send the store's result text as it is (the same object
 * requests_submit_reply would build). Its audit entry is written; were it
 * not (a call without one never comes here), the result is decoded for
 * audit_record.
 */
static void
requests_submit_spliced(
    struct requests_submit_op *op, const struct store_submit_reply *sr)
{
	json_t *res;

	/* Unaudited, or a duplicate without a proposal (a waiting one is
	 * explained, as a new one would be): decode it. Both are rare. */
	if ((!op->call->audited && op->call->method->audit) ||
	    (sr->duplicate &&
	        (sr->proposal_id == NULL || sr->proposal_id[0] == '\0'))) {
		res = json_loadb(sr->result, sr->result_len, 0, NULL);
		if (res == NULL) {
			requests_nomem(op->call);
			requests_submit_free(op);
			return;
		}
		requests_submit_advance(op, res, NULL);
		json_decref(res);
		return;
	}
	if (sr->duplicate) {
		log_info("request.submit: duplicate request=%s by %s",
		    sr->request_id, op->call->who);
		call_reply_text(op->call, sr->result, sr->result_len);
		requests_submit_free(op);
		return;
	}
	log_info("request.submit: request=%s proposal=%s shelter=%s pool=%s "
	         "by %s",
	    sr->request_id, sr->proposal_id, sr->shelter_id, sr->pool,
	    op->call->who);
	/* As in requests_submit_reply. */
	if (table_add_held(sr->shelter_id, sr->pool, sr->cseq) != -1) {
		call_reply_text(op->call, sr->result, sr->result_len);
		requests_submit_free(op);
		return;
	}
	if ((op->text = malloc(sr->result_len)) == NULL) {
		requests_nomem(op->call);
		requests_submit_free(op);
		return;
	}
	memcpy(op->text, sr->result, sr->result_len);
	op->text_len = sr->result_len;
	op->step = SUBMIT_REFRESH_HOLD;
	requests_refresh_begin(&op->refresh, requests_submit_refreshed, op);
	requests_refresh_shelter(&op->refresh, sr->shelter_id);
	requests_refresh_end(&op->refresh);
}

/* Explain from the table as it is now, then reply: the request waits. */
static void
requests_submit_explain(struct requests_submit_op *op)
{
	struct match_result *res = table_scratch();
	json_t *expl;

	if (placement_match(&op->req, NULL,
	        json_object_get(op->cases, "shelters"),
	        json_object_get(op->cases, "apart"), res) == 0 &&
	    (expl = match_explanation_json(res)) != NULL) {
		json_decref(op->explanation);
		op->explanation = expl;
	}
	requests_submit_reply(op, op->request, NULL, false);
}

/*
 * The first candidates had no place: propose the stored request with every
 * candidate of a match on the table as it is now. 0, or -1 when there is
 * none or it could not be sent.
 */
static int
requests_submit_propose_all(struct requests_submit_op *op)
{
	struct match_result *res = table_scratch();
	struct sh_error err;
	char *cands;
	int rc;

	if (placement_match(&op->req, NULL,
	        json_object_get(op->cases, "shelters"),
	        json_object_get(op->cases, "apart"), res) == -1 ||
	    res->ncandidates == 0 ||
	    (cands = placement_candidates_arg(res, SIZE_MAX)) == NULL)
		return -1;
	op->step = SUBMIT_PROPOSE_ALL;
	rc = requests_send_propose(requests_str_of(op->request, "id"), cands,
	    requests_submit_store_cb, op, &err);
	free(cands);
	return rc;
}

/*
 * It lost the race for the last places the table still showed: explain
 * from the store's counts, so a waiting request is never told that
 * shelters can take it. Only the candidates can have changed the answer:
 * reload them (or every shelter when there were many), then match again.
 */
static void
requests_submit_refresh_lost(struct requests_submit_op *op)
{
	int i;

	op->step = SUBMIT_REFRESH_LOST;
	requests_refresh_begin(&op->refresh, requests_submit_refreshed, op);
	if (op->nsids > 0) {
		for (i = 0; i < op->nsids; i++)
			requests_refresh_shelter(&op->refresh, op->sids[i]);
	} else
		requests_refresh_all(&op->refresh);
	requests_refresh_end(&op->refresh);
}

/*
 * The store answered shd_submit or the proposal with every candidate
 * (req and prop borrowed from its answer): reply, or when it found no
 * place in the candidates sent, try them all, or explain a lost race from
 * fresh counts.
 */
static void
requests_submit_settle(
    struct requests_submit_op *op, json_t *req, json_t *prop, bool dup)
{
	json_t *old = op->request;

	if (dup || prop != NULL || op->ncandidates == 0) {
		requests_submit_reply(op, req, prop, dup);
		return;
	}
	op->request = json_incref(req);
	json_decref(old);
	if (op->windowed) {
		op->windowed = false;
		if (requests_submit_propose_all(op) == 0)
			return;
	}
	requests_submit_refresh_lost(op);
}

/* Match on the table with the case's shelters ({shelters, apart},
 * borrowed; NULL: none), then shd_submit. */
static void
requests_submit_match(struct requests_submit_op *op, const json_t *cases)
{
	struct match_result *res = table_scratch();
	struct sh_error err;
	json_t *doc = NULL, *hh = NULL;
	char *cands = NULL, *sdoc = NULL, *shh = NULL;
	size_t i;

	/*
	 * Only the window is sent, so only the window and one more are
	 * ranked: more than the window means there are more (windowed).
	 * The explanation is only sent when the request waits: build it now
	 * when nothing fits; with candidates the request waits only after
	 * losing a race, and is then explained again from fresh counts.
	 */
	if (placement_match_top(&op->req, NULL,
	        json_object_get(cases, "shelters"),
	        json_object_get(cases, "apart"), placement_window() + 1,
	        res) == -1 ||
	    (cands = placement_candidates_arg(res, placement_window())) ==
	        NULL ||
	    (res->ncandidates == 0 &&
	        (op->explanation = match_explanation_json(res)) == NULL) ||
	    (doc = model_request_to_json(&op->req)) == NULL ||
	    (hh = model_household_json(&op->req)) == NULL ||
	    (sdoc = json_dumps(doc, REQUESTS_DOC_FLAGS)) == NULL ||
	    (shh = json_dumps(hh, JSON_COMPACT)) == NULL) {
		requests_nomem(op->call);
		requests_submit_free(op);
		goto out;
	}
	op->ncandidates = res->ncandidates;
	op->windowed = res->ncandidates > placement_window();
	/* All there are: the window holds more than SUBMIT_RELOAD_MAX. */
	if (res->ncandidates <= SUBMIT_RELOAD_MAX)
		for (i = 0; i < res->ncandidates; i++)
			snprintf(op->sids[op->nsids++], sizeof op->sids[0],
			    "%s", res->candidates[i].shelter->id);
	op->cases = json_incref((json_t *)cases);
	op->step = SUBMIT_STORE;
	if (requests_submit_send_store(op, sdoc, shh, cands, &err) == -1)
		requests_submit_fail(op, &err);
out:
	json_decref(doc);
	json_decref(hh);
	free(cands);
	free(sdoc);
	free(shh);
}

/*
 * Every store answer and the end of every refresh set of op: result and
 * err as store_cb gives them; both NULL when a refresh set is done.
 */
static void
requests_submit_advance(
    struct requests_submit_op *op, json_t *result, const struct sh_error *err)
{
	json_t *req, *prop;

	if (result == NULL && err != NULL) {
		if (op->step == SUBMIT_PROPOSE_ALL)
			/* The request is stored and waits for the waitlist
			 * pass. */
			requests_submit_explain(op);
		else
			requests_submit_fail(op, err);
		return;
	}
	switch (op->step) {
	case SUBMIT_CASE:
		requests_submit_match(op, result);
		break;
	case SUBMIT_STORE:
		op->cseq = table_cseq_of(result);
		prop = json_object_get(result, "proposal");
		requests_submit_settle(op, json_object_get(result, "request"),
		    json_is_null(prop) ? NULL : prop,
		    json_is_true(json_object_get(result, "duplicate")));
		break;
	case SUBMIT_PROPOSE_ALL:
		op->cseq = table_cseq_of(result);
		req = json_object_get(result, "request");
		prop = json_object_get(result, "proposal");
		requests_submit_settle(op, req != NULL ? req : op->request,
		    json_is_null(prop) ? NULL : prop, false);
		break;
	case SUBMIT_REFRESH_LOST:
		requests_submit_explain(op);
		break;
	case SUBMIT_REFRESH_HOLD:
		if (op->text != NULL) {
			call_reply_text(op->call, op->text, op->text_len);
			requests_submit_free(op);
			break;
		}
		result = op->reply;
		op->reply = NULL;
		requests_submit_end(op, result);
		break;
	}
}

/*
 * request.submit {request}: parse, match, then shd_submit stores the
 * request and holds the first candidate that still has a place.
 */
void
requests_submit(struct call *call)
{
	struct sh_error err;
	struct requests_submit_op *op;

	if ((op = requests_op_new(call, sizeof *op)) == NULL)
		return;
	op->call = call;
	if (requests_parse(call, &op->req) == -1) {
		requests_submit_free(op);
		return;
	}
	if (!placement_needs_case(&op->req)) {
		requests_submit_match(op, NULL);
		return;
	}
	op->step = SUBMIT_CASE;
	if (requests_send_case(&op->req, requests_submit_store_cb, op, &err) ==
	    -1)
		requests_submit_fail(op, &err);
}
