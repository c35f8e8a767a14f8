/*
 * requests_batch.c: request.submit_batch, which validates up to
 * ASSIGN_REQUESTS_MAX requests, assigns them jointly (lib/assign.c: most
 * people placed, then the highest total score) on the in-memory table and
 * stores them with every chosen hold in one store call.
 *
 * A batch is a state machine (enum requests_batch_step): every store
 * answer and the end of the table refresh lands in requests_batch_advance().
 * shd_submit_batch takes all the chosen holds or none: when a chosen place
 * is gone (another submit, another instance) or a chosen request turns out
 * to be a duplicate, it writes nothing and answers with the current state
 * of the chosen shelters, which go into the table, and the batch is
 * assigned again. After BATCH_ATTEMPTS such rounds the last assignment is
 * stored with whatever still fits and the rest waits. Logs name ids and
 * counts, never a person's attributes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/assign.h"
#include "shelter/claims.h"

#include "alerts.h"
#include "log.h"
#include "placement.h"
#include "requests.h"
#include "requests_internal.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define BATCH_MAX ASSIGN_REQUESTS_MAX
/* Assignments sent to the store before the last one is stored partially. */
#define BATCH_ATTEMPTS 4
/*
 * Branch and bound cap of one assignment (flow solves). Without `apart`
 * members an assignment needs one solve and takes milliseconds; with many
 * apart co-victims of one case each solve of 50 requests takes about a
 * millisecond, so this keeps one assignment near 0.2 s of event loop in
 * the worst case (docs/protocol.md).
 */
#define BATCH_NODES 1000

enum requests_batch_step {
	BATCH_CASES,   /* the shelters of each case involved, one at a time */
	BATCH_STORE,   /* shd_submit_batch */
	BATCH_REFRESH, /* reloads of shelters the table lacked, then reply */
};

struct requests_batch_item {
	struct request req;
	bool dup;      /* the store said its ref exists: not assigned */
	json_t *cands; /* match_candidates_json of the last match */
	struct assign_option opts[ASSIGN_OPTIONS_MAX];
	int optcand[ASSIGN_OPTIONS_MAX]; /* option -> index into cands */
	int nopts;
	char *doc, *hh, *choice;
};

struct requests_batch_op {
	struct call *call;
	enum requests_batch_step step;
	int n;
	struct requests_batch_item items[BATCH_MAX];
	json_t *cases;   /* {CASE: shd_case_shelters' {shelters, apart}} */
	int next_case;   /* item whose case is asked next */
	int attempts;    /* shd_submit_batch calls sent */
	bool partial;    /* the last call was partial */
	json_t *results; /* the store's results, once stored */
	struct requests_refresh refresh;
};

static void requests_batch_advance(
    struct requests_batch_op *op, json_t *result, const struct sh_error *err);

static void
requests_batch_free(struct requests_batch_op *op)
{
	int i;

	for (i = 0; i < op->n; i++) {
		json_decref(op->items[i].cands);
		free(op->items[i].doc);
		free(op->items[i].hh);
		free(op->items[i].choice);
	}
	json_decref(op->cases);
	json_decref(op->results);
	free(op);
}

static void
requests_batch_fail(struct requests_batch_op *op, const struct sh_error *err)
{
	call_error(op->call, err);
	requests_batch_free(op);
}

static void
requests_batch_nomem(struct requests_batch_op *op)
{
	requests_nomem(op->call);
	requests_batch_free(op);
}

static void
requests_batch_store_cb(json_t *result, const struct sh_error *err, void *arg)
{
	requests_batch_advance(arg, result, err);
}

static void
requests_batch_refreshed(void *arg)
{
	requests_batch_advance(arg, NULL, NULL);
}

/* The case's shelters (what = "shelters") or the shelters of its apart
 * members (what = "apart") that matching item i needs (borrowed), or
 * NULL. */
static const json_t *
requests_batch_case_of(
    const struct requests_batch_op *op, int i, const char *what)
{
	const struct request *r = &op->items[i].req;

	if (!placement_needs_case(r))
		return NULL;
	return json_object_get(json_object_get(op->cases, r->case_id), what);
}

/*
 * Ask for the shelters of the next case not asked yet; 1 when sent, 0
 * when every case is known, -1 with err.
 */
static int
requests_batch_next_case(struct requests_batch_op *op, struct sh_error *err)
{
	const struct request *r;

	for (; op->next_case < op->n; op->next_case++) {
		r = &op->items[op->next_case].req;
		if (!placement_needs_case(r) ||
		    json_object_get(op->cases, r->case_id) != NULL)
			continue;
		op->step = BATCH_CASES;
		if (requests_send_case(r, requests_batch_store_cb, op, err) ==
		    -1)
			return -1;
		return 1;
	}
	return 0;
}

/* Index of shelter s in all[0..n) (sorted by id), or -1. */
static int
requests_batch_index(
    const struct shelter *const *all, size_t n, const struct shelter *s)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (all[mid] == s)
			return (int)mid;
		c = strcmp(all[mid]->id, s->id);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * The score of candidate c of r (0..100) were a co-victim of its case at
 * the shelter: the together scorer at 100 (lib/assign_together.c brings
 * batch-mates who asked to stay together to one shelter when that pays).
 * 0 (not given) unless r is a together request of a case.
 */
static double
requests_batch_together(
    const struct request *r, const struct match_candidate *c)
{
	if (r->co_victims != CO_VICTIMS_TOGETHER || r->case_id[0] == '\0' ||
	    c->scores[SCORER_TOGETHER] < 0)
		return 0;
	return match_rescore(sd.cfg->match.weights, c, SCORER_TOGETHER, 100) /
	    100.0;
}

/*
 * Match item i on the table: its options (every admitting pool with a
 * free place of every candidate) and its ranked candidates as JSON.
 * 0 or -1 (ENOMEM).
 */
static int
requests_batch_match_one(struct requests_batch_op *op, int i,
    const struct shelter *const *all, size_t n)
{
	struct requests_batch_item *it = &op->items[i];
	struct match_result *res = table_scratch();
	const struct match_candidate *c;
	size_t k;
	int p, si;

	it->nopts = 0;
	json_decref(it->cands);
	it->cands = NULL;
	if (it->dup)
		return 0;
	if (placement_match(&it->req, NULL,
	        requests_batch_case_of(op, i, "shelters"),
	        requests_batch_case_of(op, i, "apart"), res) == -1 ||
	    (it->cands = match_candidates_json(res)) == NULL)
		return -1;
	for (k = 0; k < res->ncandidates; k++) {
		c = &res->candidates[k];
		if ((si = requests_batch_index(all, n, c->shelter)) == -1)
			continue;
		for (p = 0; p < c->npools && it->nopts < ASSIGN_OPTIONS_MAX;
		     p++) {
			it->opts[it->nopts] = (struct assign_option){
			    .shelter = si,
			    .pool = c->pools[p],
			    .score = c->score / 100.0,
			    .together = requests_batch_together(&it->req, c),
			};
			it->optcand[it->nopts++] = (int)k;
		}
	}
	return 0;
}

/*
 * The choice argument of item i for option o: {shelter_id, pool, score,
 * scores, alternatives}, the alternatives being the next-ranked other
 * candidates; together (with a co-victim of its case who asked the same):
 * its together score, scores.together 100. NULL on ENOMEM.
 */
static char *
requests_batch_choice(struct requests_batch_item *it,
    const struct shelter *const *all, int o, bool together)
{
	const struct assign_option *opt = &it->opts[o];
	const struct shelter *s = all[opt->shelter];
	json_t *cand = json_array_get(it->cands, (size_t)it->optcand[o]);
	json_t *alts, *choice, *ac, *score, *scores;
	size_t k;
	char *text = NULL;

	if ((alts = json_array()) == NULL)
		return NULL;
	for (k = 0; k < json_array_size(it->cands); k++) {
		ac = json_array_get(it->cands, k);
		if ((int)json_array_size(alts) >= sd.cfg->alternatives)
			break;
		if (ac == cand)
			continue;
		json_array_append_new(alts,
		    json_pack("{s:O, s:[O], s:O}", "shelter_id",
		        json_object_get(ac, "shelter_id"), "pools",
		        json_object_get(ac, "pool"), "score",
		        json_object_get(ac, "score")));
	}
	score = json_incref(json_object_get(cand, "score"));
	scores = json_deep_copy(json_object_get(cand, "scores"));
	if (together && opt->together > opt->score) {
		json_decref(score);
		score = json_real(opt->together);
		json_object_set_new(scores, "together", json_integer(100));
	}
	/* A place at a stale shelter says so: the coordinator phones first. */
	choice = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:O*}", "shelter_id",
	    s->id, "pool", s->pools[opt->pool].name, "score", score, "scores",
	    scores, "alternatives", alts, "stale",
	    alerts_freshness(s) == FRESHNESS_STALE, "distance_km",
	    json_object_get(cand, "distance_km"));
	if (choice != NULL)
		text =
		    json_dumps(choice, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(choice);
	return text;
}

/*
 * matching.reserve across the batch: each request was matched on its own
 * against the table, so together they could take a program's reserved
 * places. In input order, the requests the reserve applies to (not
 * urgency immediate) keep their places while, taken first, they leave
 * more than the reserve of that program free; the others wait: dropped
 * from areq for the next round, so an immediate request may take the
 * place instead. Returns how many were dropped.
 */
static int
requests_batch_keep_reserve(struct requests_batch_op *op,
    const struct shelter *const *all, size_t n, struct assign_result *res,
    struct assign_request *areq)
{
	const int *reserve = sd.cfg->match.reserve;
	struct claims c = {0};
	const struct shelter *s;
	int i, p, o, dropped = 0;

	claims_reset(&c, 0);
	claims_count_programs(&c, all, n);
	for (i = 0; i < op->n; i++) {
		if ((o = res->choices[i].option) < 0)
			continue;
		s = all[op->items[i].opts[o].shelter];
		if ((p = (int)s->program) < 0 || p >= PROGRAM_COUNT)
			continue;
		if (op->items[i].req.urgency == URGENCY_IMMEDIATE ||
		    reserve[p] <= 0)
			continue;
		if (c.program_left[p] > reserve[p]) {
			c.program_left[p]--;
			continue;
		}
		res->choices[i].option = -1;
		areq[i].noptions = 0;
		dropped++;
	}
	return dropped;
}

/*
 * Match every request, assign the batch jointly and send shd_submit_batch
 * (partial after BATCH_ATTEMPTS rounds). 0, or -1 with err.
 */
static int
requests_batch_assign(struct requests_batch_op *op, struct sh_error *err)
{
	struct assign_request areq[BATCH_MAX];
	struct store_batch_item sitems[BATCH_MAX];
	struct assign_problem prob = {0};
	struct assign_shelter *ash = NULL;
	struct assign_result res;
	const struct shelter *const *all;
	int *free_ = NULL, i, p, rc = -1;
	size_t n, s;

	all = table_all(&n);
	if ((ash = calloc(n ? n : 1, sizeof *ash)) == NULL ||
	    (free_ = calloc(n ? n * MODEL_POOL_MAX : 1, sizeof *free_)) == NULL)
		goto nomem;
	for (s = 0; s < n; s++) {
		for (p = 0; p < all[s]->npools; p++) {
			const struct pool *pl = &all[s]->pools[p];
			int f =
			    pl->total - pl->occupied - pl->held - pl->expected;

			free_[s * MODEL_POOL_MAX + (size_t)p] = f > 0 ? f : 0;
		}
		ash[s] = (struct assign_shelter){.id = all[s]->id,
		    .free = &free_[s * MODEL_POOL_MAX],
		    .npools = all[s]->npools};
	}
	for (i = 0; i < op->n; i++) {
		struct requests_batch_item *it = &op->items[i];

		if (requests_batch_match_one(op, i, all, n) == -1)
			goto nomem;
		areq[i] = (struct assign_request){.options = it->opts,
		    .noptions = it->nopts,
		    .case_id = it->req.case_id[0] ? it->req.case_id : NULL,
		    .co_victims = it->req.co_victims};
	}
	prob = (struct assign_problem){.requests = areq,
	    .nrequests = op->n,
	    .shelters = ash,
	    .nshelters = (int)n,
	    .max_nodes = BATCH_NODES};
	/* Each round that breaks into a reserve leaves the requests it
	 * drops out of the next (at most n rounds). */
	do {
		if (assign_batch(&prob, NULL, 0, &res, err) == -1) {
			log_warnx(
			    "request.submit_batch: assign: %s", err->message);
			goto out;
		}
	} while (requests_batch_keep_reserve(op, all, n, &res, areq) > 0);
	if (!res.exact)
		log_info("request.submit_batch: assignment stopped at %ld "
		         "nodes, best found kept",
		    res.nodes);
	op->partial = op->attempts + 1 >= BATCH_ATTEMPTS;
	for (i = 0; i < op->n; i++) {
		struct requests_batch_item *it = &op->items[i];

		free(it->choice);
		it->choice = NULL;
		if (res.choices[i].option >= 0 &&
		    (it->choice = requests_batch_choice(it, all,
		         res.choices[i].option, res.choices[i].together)) ==
		        NULL)
			goto nomem;
		sitems[i] = (struct store_batch_item){.ref = it->req.ref,
		    .doc = it->doc,
		    .urgency = (int)it->req.urgency,
		    .case_id = it->req.case_id,
		    .co_victims = model_co_victims_name(it->req.co_victims),
		    .household = it->hh,
		    .choice = it->choice};
	}
	op->attempts++;
	op->step = BATCH_STORE;
	rc = store_submit_batch(
	    &(struct store_submit_batch_args){.ttl_s = sd.cfg->hold_ttl_s,
	        .nalt = sd.cfg->alternatives,
	        .partial = op->partial,
	        .items = sitems,
	        .nitems = (size_t)op->n},
	    requests_batch_store_cb, op, err);
	goto out;
nomem:
	sh_error_set(err, SH_INTERNAL, "internal", NULL, "out of memory");
out:
	free(ash);
	free(free_);
	return rc;
}

/* Fetch the cases still unknown, or assign when all are known. */
static void
requests_batch_go(struct requests_batch_op *op)
{
	struct sh_error err;
	int rc;

	if ((rc = requests_batch_next_case(op, &err)) == 0)
		rc = requests_batch_assign(op, &err);
	if (rc == -1)
		requests_batch_fail(op, &err);
}

/*
 * The store refused the assignment: put the chosen shelters as they are
 * now into the table, drop the duplicates found and assign again, with
 * the case shelters asked afresh.
 */
static void
requests_batch_retry(struct requests_batch_op *op, const json_t *result)
{
	const json_t *v, *seqs, *c;
	size_t k;
	json_int_t pos;

	v = json_object_get(result, "shelters");
	seqs = json_object_get(result, "cseqs");
	for (k = 0; k < json_array_size(v); k++) {
		c = json_array_get(seqs, k);
		table_put_json(json_array_get(v, k),
		    json_is_integer(c) ? (long long)json_integer_value(c) : -1);
	}
	v = json_object_get(result, "duplicates");
	for (k = 0; k < json_array_size(v); k++) {
		pos = json_integer_value(json_array_get(v, k));
		if (pos >= 1 && pos <= op->n)
			op->items[pos - 1].dup = true;
	}
	log_info("request.submit_batch: places changed, assigning again "
	         "(round %d) by %s",
	    op->attempts + 1, op->call->who);
	json_object_clear(op->cases);
	op->next_case = 0;
	requests_batch_go(op);
}

/*
 * Stored: put the holds into the table (reloading a shelter it lacks),
 * then reply.
 */
static void
requests_batch_stored(struct requests_batch_op *op, json_t *result)
{
	const json_t *r, *prop;
	size_t k;
	const char *sid;

	op->results = json_incref(json_object_get(result, "results"));
	if (json_array_size(op->results) != (size_t)op->n) {
		call_errorf(op->call, SH_INTERNAL, "internal", NULL,
		    "the store answered %zu results for %d requests",
		    json_array_size(op->results), op->n);
		requests_batch_free(op);
		return;
	}
	op->step = BATCH_REFRESH;
	requests_refresh_begin(&op->refresh, requests_batch_refreshed, op);
	for (k = 0; k < json_array_size(op->results); k++) {
		r = json_array_get(op->results, k);
		prop = json_object_get(r, "proposal");
		if (json_is_true(json_object_get(r, "duplicate")) ||
		    !json_is_object(prop))
			continue;
		sid = json_string_value(json_object_get(prop, "shelter_id"));
		if (table_add_held(sid,
		        json_string_value(json_object_get(prop, "pool")),
		        table_cseq_of(r)) == -1)
			requests_refresh_shelter(&op->refresh, sid);
	}
	requests_refresh_end(&op->refresh);
}

/* Add shelter id sid to the array what of case object c, once. */
static void
requests_batch_case_add(json_t *c, const char *what, const json_t *sid)
{
	json_t *arr = json_object_get(c, what), *v;
	size_t i;

	if (!json_is_string(sid))
		return;
	if (arr == NULL) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(c, what, arr) == -1)
			return;
	}
	json_array_foreach(arr, i, v)
	{
		if (json_equal(v, sid))
			return;
	}
	json_array_append(arr, (json_t *)sid);
}

/*
 * The batch's own holds join its cases' shelters (and an apart member's
 * the case's apart ones), so the explanation of a co-victim left waiting
 * counts them, as request.submit's would after them.
 */
static void
requests_batch_cases_held(struct requests_batch_op *op)
{
	const json_t *r, *prop, *sid;
	json_t *c;
	int i;

	for (i = 0; i < op->n; i++) {
		r = json_array_get(op->results, (size_t)i);
		prop = json_object_get(r, "proposal");
		c = json_object_get(op->cases, op->items[i].req.case_id);
		if (!json_is_object(prop) || c == NULL ||
		    !placement_needs_case(&op->items[i].req) ||
		    json_is_true(json_object_get(r, "duplicate")))
			continue;
		sid = json_object_get(prop, "shelter_id");
		requests_batch_case_add(c, "shelters", sid);
		if (op->items[i].req.co_victims == CO_VICTIMS_APART)
			requests_batch_case_add(c, "apart", sid);
	}
}

/* Reply {results: [{request, proposal, explanation, duplicate}]}. */
static void
requests_batch_reply(struct requests_batch_op *op)
{
	json_t *out, *r, *prop, *expl, *one;
	int i, nprop = 0, nwait = 0, ndup = 0;
	bool dup;

	if ((out = json_array()) == NULL) {
		requests_batch_nomem(op);
		return;
	}
	requests_batch_cases_held(op);
	for (i = 0; i < op->n; i++) {
		r = json_array_get(op->results, (size_t)i);
		prop = json_object_get(r, "proposal");
		dup = json_is_true(json_object_get(r, "duplicate"));
		expl = NULL;
		if (dup)
			ndup++;
		else if (json_is_object(prop))
			nprop++;
		else
			nwait++;
		/* A waiting one, new or a duplicate, is explained. */
		if (!json_is_object(prop))
			expl = requests_explain_waiting(&op->items[i].req,
			    json_object_get(r, "request"),
			    requests_batch_case_of(op, i, "shelters"),
			    requests_batch_case_of(op, i, "apart"));
		one = json_pack("{s:O, s:O, s:o?, s:b}", "request",
		    json_object_get(r, "request"), "proposal",
		    json_is_object(prop) ? prop : json_null(), "explanation",
		    expl != NULL ? expl : json_null(), "duplicate", dup);
		if (one == NULL || json_array_append_new(out, one) == -1) {
			json_decref(out);
			requests_batch_nomem(op);
			return;
		}
		log_debug("request.submit_batch: request=%s proposal=%s",
		    requests_str_of(json_object_get(r, "request"), "id"),
		    json_is_object(prop) ? requests_str_of(prop, "id") : "-");
	}
	log_info("request.submit_batch: %d requests, %d proposed, %d waiting, "
	         "%d duplicate, %d round(s)%s by %s",
	    op->n, nprop, nwait, ndup, op->attempts,
	    op->partial ? " (last partial)" : "", op->call->who);
	/* A partial store may leave a request waiting beside a free place. */
	if (op->partial && nwait > 0)
		placement_wake();
	call_reply(op->call, json_pack("{s:o}", "results", out));
	requests_batch_free(op);
}

/*
 * Every store answer and the end of the refresh: result and err as
 * store_cb gives them; both NULL when the refresh is done.
 */
static void
requests_batch_advance(
    struct requests_batch_op *op, json_t *result, const struct sh_error *err)
{
	json_t *sh;

	if (result == NULL && err != NULL) {
		requests_batch_fail(op, err);
		return;
	}
	switch (op->step) {
	case BATCH_CASES:
		sh = json_is_object(result) ? json_incref(result)
		                            : json_object();
		if (json_object_set_new(op->cases,
		        op->items[op->next_case].req.case_id, sh) == -1) {
			requests_batch_nomem(op);
			return;
		}
		op->next_case++;
		requests_batch_go(op);
		break;
	case BATCH_STORE:
		if (json_is_true(json_object_get(result, "retry")))
			requests_batch_retry(op, result);
		else
			requests_batch_stored(op, result);
		break;
	case BATCH_REFRESH:
		requests_batch_reply(op);
		break;
	}
}

/*
 * Validate every request of the requests param into op: 0, or -1 with
 * every problem found in all (each naming requests.N.FIELD; each
 * request's as request.submit gives them, at most SH_ERRORS_MAX), or -2
 * when out of memory.
 */
static int
requests_batch_parse(struct requests_batch_op *op, struct sh_error_list *all)
{
	const json_t *arr = json_object_get(op->call->params, "requests");
	struct sh_errors *one;
	struct sh_error err;
	char prefix[32], field[48];
	json_t *doc, *hh;
	size_t n = json_array_size(arr), k;
	int i, j;

	if (n < 1 || n > BATCH_MAX) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field",
		    "requests", "must hold 1 to %d requests, not %zu",
		    BATCH_MAX, n);
		return sh_error_list_add(all, &err) == 0 ? -1 : -2;
	}
	if ((one = malloc(sizeof *one)) == NULL)
		return -2;
	for (i = 0; i < (int)n; i++) {
		snprintf(prefix, sizeof prefix, "requests.%d", i);
		if (model_request_parse_all(json_array_get(arr, (size_t)i),
		        sd.gaz, &op->items[i].req, one) == -1) {
			for (k = 0; k < one->n; k++) {
				sh_error_prefix(&one->v[k], prefix);
				if (sh_error_list_add(all, &one->v[k]) == -1)
					goto nomem;
			}
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(op->items[j].req.ref,
			        op->items[i].req.ref) == 0) {
				snprintf(field, sizeof field, "%s.ref", prefix);
				sh_error_set(&err, SH_INVALID_PARAMS,
				    "invalid_field", field,
				    "repeats the ref of requests.%d", j);
				if (sh_error_list_add(all, &err) == -1)
					goto nomem;
				break;
			}
	}
	free(one);
	if (all->n > 0)
		return -1;
	op->n = (int)n;
	for (i = 0; i < op->n; i++) {
		struct requests_batch_item *it = &op->items[i];

		doc = model_request_to_json(&it->req);
		hh = model_household_json(&it->req);
		if (doc != NULL && hh != NULL) {
			it->doc = json_dumps(doc, REQUESTS_DOC_FLAGS);
			it->hh = json_dumps(hh, JSON_COMPACT);
		}
		json_decref(doc);
		json_decref(hh);
		if (it->doc == NULL || it->hh == NULL)
			return -2;
	}
	return 0;
nomem:
	free(one);
	return -2;
}

/*
 * request.submit_batch {requests}: validate all, then assign jointly and
 * store with one shd_submit_batch (see the top of this file).
 */
void
requests_submit_batch(struct call *call)
{
	struct sh_error_list all = {0};
	struct requests_batch_op *op;
	int rc;

	if ((op = requests_op_new(call, sizeof *op)) == NULL)
		return;
	op->call = call;
	if ((op->cases = json_object()) == NULL) {
		requests_batch_nomem(op);
		return;
	}
	if ((rc = requests_batch_parse(op, &all)) != 0) {
		if (rc == -1)
			call_error_list(call, all.v, all.n);
		sh_error_list_free(&all);
		if (rc == -2)
			requests_batch_nomem(op);
		else
			requests_batch_free(op);
		return;
	}
	sh_error_list_free(&all);
	requests_batch_go(op);
}
