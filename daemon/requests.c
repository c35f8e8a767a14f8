/*
 * requests.c: request.*, proposal.*, placement.arrived and match.preview.
 *
 * Each handler validates what the param specs cannot express, runs the
 * matching core against the in-memory table when it needs candidates, and
 * leaves every state change to one Redis function call: the function
 * settles races between instances (a stale table only means a candidate is
 * skipped there). Logs name ids and who did it, never a person's
 * attributes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "placement.h"
#include "requests.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define REASON_MAX 500 /* bytes of a reject or cancel reason */
/* A submit that loses the race for the last places refreshes at most this
 * many candidate shelters one by one, more with one shelter list. */
#define RQ_FRESH_MAX 16

/* The state of one call across its store round trips. */
struct rq {
	struct call *call;
	struct request req;
	char id[MODEL_ID_MAX + 1];  /* the proposal or request id */
	json_t *explanation;        /* submit: when it ends up waiting */
	json_t *cases;              /* submit: the case shelters matched */
	size_t ncandidates;         /* submit: as matched on the table */
	bool windowed;              /* submit: sent only placement_window() */
	json_t *proposal, *request; /* reject: what shd_reject returned */
	json_t *result;             /* the reply, while the table refreshes */
	int nfresh;                 /* table refreshes it waits for */
	void (*fresh_next)(struct rq *); /* when they are done; NULL: reply */
	/* submit: the candidates when there are at most RQ_FRESH_MAX;
	 * cancel: [0] the shelter of the open proposal before the cancel */
	char sids[RQ_FRESH_MAX][MODEL_ID_MAX + 1];
	int nsids;
};

static const char *const statuses[] = {
    "waiting", "proposed", "placed", "arrived", "cancelled", NULL};

static struct rq *
rq_new(struct call *call)
{
	struct rq *rq;

	if ((rq = calloc(1, sizeof *rq)) == NULL) {
		log_warn("requests: calloc");
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return NULL;
	}
	rq->call = call;
	return rq;
}

static void
rq_free(struct rq *rq)
{
	json_decref(rq->explanation);
	json_decref(rq->cases);
	json_decref(rq->proposal);
	json_decref(rq->request);
	json_decref(rq->result);
	free(rq);
}

/* End the call with err and free rq. */
static void
rq_fail(struct rq *rq, const struct sh_error *err)
{
	call_error(rq->call, err);
	rq_free(rq);
}

static void
rq_nomem(struct rq *rq)
{
	struct sh_error err;

	sh_error_set(&err, SH_INTERNAL, "internal", NULL, "out of memory");
	rq_fail(rq, &err);
}

/*
 * A new rq for call with the request param parsed into rq->req; NULL when
 * the call has been ended with the error.
 */
static struct rq *
rq_new_request(struct call *call)
{
	struct sh_error err;
	struct rq *rq;

	if ((rq = rq_new(call)) == NULL)
		return NULL;
	if (model_request_parse(json_object_get(call->params, "request"),
	        sd.gaz, &rq->req, &err) == -1) {
		rq_fail(rq, &err);
		return NULL;
	}
	return rq;
}

/* End the call with result (stolen; NULL means ENOMEM) and free rq. */
static void
rq_reply(struct rq *rq, json_t *result)
{
	if (result == NULL) {
		rq_nomem(rq);
		return;
	}
	call_reply(rq->call, result);
	rq_free(rq);
}

/* One of rq's table refreshes is done (or could not be sent). */
static void
fresh_done(void *arg)
{
	struct rq *rq = arg;
	json_t *reply;

	if (--rq->nfresh > 0)
		return;
	if (rq->fresh_next != NULL) {
		rq->fresh_next(rq);
		return;
	}
	reply = rq->result;
	rq->result = NULL;
	rq_reply(rq, reply);
}

static void
fresh_list_done(json_t *result, const struct sh_error *err, void *arg)
{
	if (result != NULL)
		table_load(json_object_get(result, "shelters"));
	fresh_done(arg);
}

/* Reload shelter sid into the table as part of rq's refresh. */
static void
rq_fresh_get(struct rq *rq, const char *sid)
{
	if (sid != NULL && sid[0] != '\0' &&
	    table_fetch(sid, fresh_done, rq) == 0)
		rq->nfresh++;
}

/*
 * Reply result (stolen) once the table holds the store's counts of the
 * shelters whose free places the call changed (sid, sid2; NULL or "":
 * none), so this caller's next preview or submit sees its own change. The
 * events of the change refresh the table too, later.
 */
static void
rq_reply_fresh(struct rq *rq, json_t *result, const char *sid, const char *sid2)
{
	rq->result = result;
	rq->fresh_next = NULL;
	rq->nfresh = 1; /* this function's own, dropped below */
	rq_fresh_get(rq, sid);
	if (sid2 != NULL && (sid == NULL || strcmp(sid, sid2) != 0))
		rq_fresh_get(rq, sid2);
	fresh_done(rq);
}

static const char *
str_param(const struct call *call, const char *name)
{
	return json_string_value(json_object_get(call->params, name));
}

/* A member's string value, or "-" for logs. */
static const char *
str_of(const json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));

	return s != NULL ? s : "-";
}

/* Check a reason param: a non-empty string of at most REASON_MAX bytes. */
static int
check_reason(struct call *call)
{
	const char *s = str_param(call, "reason");
	struct sh_error err;

	if (s == NULL || (*s != '\0' && strlen(s) <= REASON_MAX))
		return 0;
	sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "reason",
	    "must be a non-empty string of at most %d bytes", REASON_MAX);
	call_error(call, &err);
	return -1;
}

static const char *
co_victims_name(enum co_victims co)
{
	switch (co) {
	case CO_VICTIMS_APART:
		return "apart";
	case CO_VICTIMS_TOGETHER:
		return "together";
	default:
		return "any";
	}
}

/* Get the case shelters of rq's request, then call next(rq, shelters). */
static int
fetch_case(struct rq *rq, store_cb *next, struct sh_error *err)
{
	return store_fcallv(
	    "shd_case_shelters", next, rq, err, rq->req.case_id, (char *)NULL);
}

/*
 * Ask the store to hold a place for the stored request rid in the first of
 * cands that has one (shd_propose, with the configured hold and number of
 * alternatives); next gets the answer (arg: rq). 0, or -1 with err.
 */
static int
rq_propose(struct rq *rq, const char *rid, const char *cands, store_cb *next,
    struct sh_error *err)
{
	char ttl[16], nalt[16];

	snprintf(ttl, sizeof ttl, "%d", sd.cfg->hold_ttl_s);
	snprintf(nalt, sizeof nalt, "%d", sd.cfg->alternatives);
	return store_fcallv(
	    "shd_propose", next, rq, err, rid, ttl, nalt, cands, (char *)NULL);
}

/*
 * Start rq for call with the store function fn(arg1, arg2) (arg2 NULL:
 * none); done gets the answer. arg1, the proposal or request id, is kept
 * in rq->id. On failure the call is ended with the error.
 */
static void
rq_start(struct call *call, const char *fn, store_cb *done, const char *arg1,
    const char *arg2)
{
	struct sh_error err;
	struct rq *rq;

	if ((rq = rq_new(call)) == NULL)
		return;
	snprintf(rq->id, sizeof rq->id, "%s", arg1);
	if (store_fcallv(fn, done, rq, &err, arg1, arg2, (char *)NULL) == -1)
		rq_fail(rq, &err);
}

/* request.submit ----------------------------------------------------- */

/* Log and reply {request, proposal, explanation, duplicate}. */
static void
submit_reply(struct rq *rq, json_t *req, json_t *prop, bool dup)
{
	json_t *expl = dup || prop != NULL ? NULL : rq->explanation;
	json_t *result;

	if (dup)
		log_info("request.submit: duplicate request=%s by %s",
		    str_of(req, "id"), rq->call->who);
	else if (prop != NULL)
		log_info("request.submit: request=%s proposal=%s shelter=%s "
		         "pool=%s by %s",
		    str_of(req, "id"), str_of(prop, "id"),
		    str_of(prop, "shelter_id"), str_of(prop, "pool"),
		    rq->call->who);
	else
		log_info("request.submit: request=%s waiting by %s",
		    str_of(req, "id"), rq->call->who);
	result = json_pack("{s:O, s:O?, s:O?, s:b}", "request", req, "proposal",
	    prop, "explanation", expl, "duplicate", dup);
	/* Its own hold is in the table at once (see table_add_held), or
	 * after a reload of the shelter when the table does not have it. */
	if (prop != NULL && !dup && result != NULL &&
	    table_add_held(
	        json_string_value(json_object_get(prop, "shelter_id")),
	        json_string_value(json_object_get(prop, "pool")), 1) == -1)
		rq_reply_fresh(rq, result, str_of(prop, "shelter_id"), NULL);
	else
		rq_reply(rq, result);
}

/* Explain from the table as it is now, then reply: the request waits. */
static void
submit_reexplain(struct rq *rq)
{
	struct match_result *res = table_scratch();
	json_t *expl;

	if (placement_match(&rq->req, NULL, rq->cases, res) == 0 &&
	    (expl = match_explanation_json(res)) != NULL) {
		json_decref(rq->explanation);
		rq->explanation = expl;
	}
	submit_reply(rq, rq->request, NULL, false);
}

static int submit_propose_all(struct rq *rq);

/*
 * The store answered a submit (or its second try): reply, or when it found
 * no place in the candidates sent, try them all, or explain a lost race
 * from fresh counts.
 */
static void
submit_settle(struct rq *rq, json_t *req, json_t *prop, bool dup)
{
	struct sh_error lerr;
	json_t *old = rq->request;
	int i;

	if (dup || prop != NULL || rq->ncandidates == 0) {
		submit_reply(rq, req, prop, dup);
		return;
	}
	rq->request = json_incref(req);
	json_decref(old);
	if (rq->windowed) {
		rq->windowed = false;
		if (submit_propose_all(rq) == 0)
			return;
	}
	/*
	 * It lost the race for the last places the table still
	 * showed: explain from the store's counts, so a waiting
	 * request is never told that shelters can take it. Only the
	 * candidates can have changed the answer: reload them (or
	 * every shelter when there were many), then match again.
	 */
	rq->result = NULL;
	rq->fresh_next = submit_reexplain;
	rq->nfresh = 1; /* dropped by fresh_done below */
	if (rq->nsids > 0) {
		for (i = 0; i < rq->nsids; i++)
			rq_fresh_get(rq, rq->sids[i]);
	} else if (store_fcallv("shd_shelter_list", fresh_list_done, rq, &lerr,
	               (char *)NULL) == 0)
		rq->nfresh++;
	fresh_done(rq);
}

static void
submit_proposed(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	json_t *req, *prop;

	if (result == NULL) {
		/* The request is stored and waits for the waitlist pass. */
		submit_reexplain(rq);
		return;
	}
	req = json_object_get(result, "request");
	prop = json_object_get(result, "proposal");
	if (json_is_null(prop))
		prop = NULL;
	submit_settle(rq, req != NULL ? req : rq->request, prop, false);
}

/*
 * The first candidates had no place: propose the stored request with every
 * candidate of a match on the table as it is now. 0, or -1 when there is
 * none or it could not be sent.
 */
static int
submit_propose_all(struct rq *rq)
{
	struct match_result *res = table_scratch();
	struct sh_error err;
	char *cands;
	int rc;

	if (placement_match(&rq->req, NULL, rq->cases, res) == -1 ||
	    res->ncandidates == 0 ||
	    (cands = placement_candidates_arg(res, SIZE_MAX)) == NULL)
		return -1;
	rc = rq_propose(
	    rq, str_of(rq->request, "id"), cands, submit_proposed, &err);
	free(cands);
	return rc;
}

static void
submit_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	json_t *prop;

	if (result == NULL) {
		rq_fail(rq, err);
		return;
	}
	prop = json_object_get(result, "proposal");
	submit_settle(rq, json_object_get(result, "request"),
	    json_is_null(prop) ? NULL : prop,
	    json_is_true(json_object_get(result, "duplicate")));
}

static void
submit_match(struct rq *rq, const json_t *case_shelters)
{
	struct match_result *res = table_scratch();
	struct sh_error err;
	json_t *doc = NULL, *hh = NULL;
	char *cands = NULL, *sdoc = NULL, *shh = NULL;
	char urg[16], ttl[16], nalt[16];
	bool ok = false;
	size_t i;

	/*
	 * The explanation is only sent when the request waits: build it now
	 * when nothing fits; with candidates the request waits only after
	 * losing a race, and is then explained again from fresh counts.
	 */
	if (placement_match(&rq->req, NULL, case_shelters, res) == -1 ||
	    (cands = placement_candidates_arg(res, placement_window())) ==
	        NULL ||
	    (res->ncandidates == 0 &&
	        (rq->explanation = match_explanation_json(res)) == NULL) ||
	    (doc = model_request_to_json(&rq->req)) == NULL ||
	    (hh = model_household_json(&rq->req)) == NULL ||
	    (sdoc = json_dumps(doc, JSON_COMPACT)) == NULL ||
	    (shh = json_dumps(hh, JSON_COMPACT)) == NULL)
		goto out;
	rq->ncandidates = res->ncandidates;
	rq->windowed = res->ncandidates > placement_window();
	if (res->ncandidates <= RQ_FRESH_MAX)
		for (i = 0; i < res->ncandidates; i++)
			snprintf(rq->sids[rq->nsids++], sizeof rq->sids[0],
			    "%s", res->candidates[i].shelter->id);
	rq->cases = json_incref((json_t *)case_shelters);
	snprintf(urg, sizeof urg, "%d", (int)rq->req.urgency);
	snprintf(ttl, sizeof ttl, "%d", sd.cfg->hold_ttl_s);
	snprintf(nalt, sizeof nalt, "%d", sd.cfg->alternatives);
	if (store_fcallv("shd_submit", submit_done, rq, &err, rq->req.ref, sdoc,
	        urg, rq->req.case_id, co_victims_name(rq->req.co_victims), shh,
	        ttl, nalt, cands, (char *)NULL) == -1)
		rq_fail(rq, &err);
	ok = true;
out:
	if (!ok)
		rq_nomem(rq);
	json_decref(doc);
	json_decref(hh);
	free(cands);
	free(sdoc);
	free(shh);
}

static void
submit_case_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;

	if (result == NULL) {
		rq_fail(rq, err);
		return;
	}
	submit_match(rq, json_object_get(result, "shelters"));
}

/*
 * request.submit {request}: parse, match, then shd_submit stores the
 * request and holds the first candidate that still has a place.
 */
void
requests_submit(struct call *call)
{
	struct sh_error err;
	struct rq *rq;

	if ((rq = rq_new_request(call)) == NULL)
		return;
	if (!placement_needs_case(&rq->req)) {
		submit_match(rq, NULL);
		return;
	}
	if (fetch_case(rq, submit_case_done, &err) == -1)
		rq_fail(rq, &err);
}

/* match.preview ------------------------------------------------------ */

static void
preview_match(struct rq *rq, const json_t *case_shelters)
{
	struct match_result *res = table_scratch();
	json_t *out = NULL;

	if (placement_match(&rq->req, NULL, case_shelters, res) == 0)
		out = match_result_json(res);
	rq_reply(rq, out);
}

static void
preview_case_done(json_t *result, const struct sh_error *err, void *arg)
{
	/* Without the store the preview still answers, without the case. */
	preview_match(arg, json_object_get(result, "shelters"));
}

/*
 * match.preview {request}: the candidates and the explanation, from the
 * in-memory table, with no side effect. Answers while the store is down
 * (then without the co-victims' shelters).
 */
void
requests_preview(struct call *call)
{
	struct sh_error err;
	struct rq *rq;

	if ((rq = rq_new_request(call)) == NULL)
		return;
	if (!placement_needs_case(&rq->req) || !store_is_up() ||
	    fetch_case(rq, preview_case_done, &err) == -1)
		preview_match(rq, NULL);
}

/* proposal.accept ---------------------------------------------------- */

static void
accept_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	json_t *prop, *req;

	if (result == NULL) {
		rq_fail(rq, err);
		return;
	}
	prop = json_object_get(result, "proposal");
	req = json_object_get(result, "request");
	log_info("proposal.accept: proposal=%s request=%s shelter=%s by %s",
	    rq->id, str_of(req, "id"), str_of(prop, "shelter_id"),
	    rq->call->who);
	rq_reply(rq, json_pack("{s:O, s:O}", "proposal", prop, "request", req));
}

/* proposal.accept {id}: the held place becomes an expected arrival. */
void
requests_accept(struct call *call)
{
	rq_start(call, "shd_accept", accept_done, str_param(call, "id"), NULL);
}

/* proposal.reject ---------------------------------------------------- */

/* Reply {proposal, request, next}: request is the latest state. */
static void
reject_reply(struct rq *rq, json_t *request, json_t *next)
{
	json_t *result = json_pack("{s:O, s:O, s:O?}", "proposal", rq->proposal,
	    "request", request, "next", next);

	if (result == NULL)
		rq_nomem(rq);
	else
		rq_reply_fresh(rq, result, str_of(rq->proposal, "shelter_id"),
		    next != NULL ? str_of(next, "shelter_id") : NULL);
}

static void
reject_propose_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	json_t *req, *next;

	if (result == NULL) {
		/* The rejection stands; the waitlist pass tries again. */
		log_warnx("proposal.reject: next proposal for request=%s: %s",
		    str_of(rq->request, "id"), err->message);
		reject_reply(rq, rq->request, NULL);
		return;
	}
	req = json_object_get(result, "request");
	next = json_object_get(result, "proposal");
	if (json_is_null(next))
		next = NULL;
	if (next != NULL) {
		log_info("proposal.reject: request=%s next proposal=%s "
		         "shelter=%s pool=%s by %s",
		    str_of(req, "id"), str_of(next, "id"),
		    str_of(next, "shelter_id"), str_of(next, "pool"),
		    rq->call->who);
	}
	reject_reply(rq, req != NULL ? req : rq->request, next);
}

static void
reject_match(struct rq *rq, const json_t *case_shelters)
{
	struct match_result *res = table_scratch();
	struct sh_error err;
	char *cands = NULL;
	const char *rid = str_of(rq->request, "id");

	if (placement_match(&rq->req, json_object_get(rq->request, "rejected"),
	        case_shelters, res) == -1 ||
	    (res->ncandidates > 0 &&
	        (cands = placement_candidates_arg(res, SIZE_MAX)) == NULL)) {
		rq_nomem(rq);
		return;
	}
	if (res->ncandidates == 0) {
		log_info("proposal.reject: request=%s waiting by %s", rid,
		    rq->call->who);
		reject_reply(rq, rq->request, NULL);
		return;
	}
	if (rq_propose(rq, rid, cands, reject_propose_done, &err) == -1)
		reject_propose_done(NULL, &err, rq);
	free(cands);
}

static void
reject_case_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;

	if (result == NULL) {
		reject_propose_done(NULL, err, rq);
		return;
	}
	reject_match(rq, json_object_get(result, "shelters"));
}

static void
reject_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	struct sh_error cerr;

	if (result == NULL) {
		rq_fail(rq, err);
		return;
	}
	rq->proposal = json_incref(json_object_get(result, "proposal"));
	rq->request = json_incref(json_object_get(result, "request"));
	log_info("proposal.reject: proposal=%s request=%s shelter=%s by %s",
	    rq->id, str_of(rq->request, "id"),
	    str_of(rq->proposal, "shelter_id"), rq->call->who);
	if (strcmp(str_of(rq->request, "status"), "waiting") != 0 ||
	    placement_parse_stored(rq->request, &rq->req) == -1) {
		reject_reply(rq, rq->request, NULL);
		return;
	}
	if (!placement_needs_case(&rq->req))
		reject_match(rq, NULL);
	else if (fetch_case(rq, reject_case_done, &cerr) == -1)
		reject_propose_done(NULL, &cerr, rq);
}

/*
 * proposal.reject {id, reason}: release the hold, remember the shelter as
 * rejected for the request, and propose the next candidate at once.
 */
void
requests_reject(struct call *call)
{
	if (check_reason(call) == 0)
		rq_start(call, "shd_reject", reject_done, str_param(call, "id"),
		    str_param(call, "reason"));
}

/* request.cancel, placement.arrived, request.get, request.list ------- */

static void
request_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	const char *m = rq->call->method->name;
	json_t *req, *pl;

	if (result == NULL) {
		rq_fail(rq, err);
		return;
	}
	req = json_object_get(result, "request");
	if (strcmp(m, "request.get") != 0)
		log_info("%s: request=%s status=%s by %s", m, str_of(req, "id"),
		    str_of(req, "status"), rq->call->who);
	if (strcmp(m, "request.cancel") == 0) {
		/* A hold (its shelter read before the cancel) or an expected
		 * place may be free again; a waiting request freed none. */
		pl = json_object_get(req, "placement");
		rq_reply_fresh(rq, json_pack("{s:O}", "request", req),
		    json_string_value(json_object_get(pl, "shelter_id")),
		    rq->nsids > 0 ? rq->sids[0] : NULL);
	} else
		rq_reply(rq, json_pack("{s:O}", "request", req));
}

static void
cancel_got(json_t *result, const struct sh_error *err, void *arg)
{
	struct rq *rq = arg;
	const json_t *prop =
	    json_object_get(json_object_get(result, "request"), "proposal");
	const char *sid =
	    json_string_value(json_object_get(prop, "shelter_id"));
	struct sh_error cerr;

	/* An error here is the cancel's own: shd_cancel reports it. */
	if (sid != NULL)
		snprintf(rq->sids[rq->nsids++], sizeof rq->sids[0], "%s", sid);
	if (store_fcallv("shd_cancel", request_done, rq, &cerr,
	        str_param(rq->call, "id"), str_param(rq->call, "reason"),
	        (char *)NULL) == -1)
		rq_fail(rq, &cerr);
}

/*
 * request.cancel {id, reason}: releases its hold or expected place. The
 * request is read first: the reply of the cancel no longer names the
 * shelter of a hold it released, and that shelter is the one to refresh.
 */
void
requests_cancel(struct call *call)
{
	if (check_reason(call) == 0)
		rq_start(call, "shd_request_get", cancel_got,
		    str_param(call, "id"), NULL);
}

/*
 * placement.arrived {request_id}: the expected place becomes occupied.
 * A shelter role may only confirm arrivals in its own shelter; the store
 * knows where the request was placed.
 */
void
requests_arrived(struct call *call)
{
	rq_start(call, "shd_arrived", request_done,
	    str_param(call, "request_id"),
	    call->role == ROLE_SHELTER ? call->shelter : "");
}

/* request.get {id} */
void
requests_get(struct call *call)
{
	rq_start(
	    call, "shd_request_get", request_done, str_param(call, "id"), NULL);
}

static void
list_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *reqs;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	reqs = json_object_get(result, "requests");
	call_reply(call,
	    reqs != NULL ? json_pack("{s:O}", "requests", reqs)
	                 : json_pack("{s:[]}", "requests"));
}

/*
 * request.list {status?, limit?}: oldest first. status lists the statuses
 * to keep (absent or empty: all); limit is 1..500, default 100.
 */
void
requests_list(struct call *call)
{
	const json_t *st = json_object_get(call->params, "status");
	const json_t *lim = json_object_get(call->params, "limit");
	char buf[64] = "", field[32], limit[16];
	struct sh_error err;
	const char *s;
	size_t i, k;

	for (i = 0; i < json_array_size(st); i++) {
		s = json_string_value(json_array_get(st, i));
		for (k = 0; s != NULL && statuses[k] != NULL; k++)
			if (strcmp(s, statuses[k]) == 0)
				break;
		if (s == NULL || statuses[k] == NULL) {
			snprintf(field, sizeof field, "status.%zu", i);
			sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field",
			    field,
			    "must be one of waiting, proposed, placed, "
			    "arrived, cancelled");
			call_error(call, &err);
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
	snprintf(limit, sizeof limit, "%lld",
	    lim != NULL ? (long long)json_integer_value(lim) : 100LL);
	if (store_fcallv("shd_request_list", list_done, call, &err, buf, limit,
	        (char *)NULL) == -1)
		call_error(call, &err);
}
