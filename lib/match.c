/* match.c: filters, scorers, pool choice, ranking and the explanation. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/forecast.h"
#include "shelter/geo.h"
#include "shelter/match.h"

#include "match_index.h"
#include "match_internal.h"
#include "match_message.h"
#include "scarcity.h"

static const char *const match_filter_names[FILTER_COUNT] = {
    [FILTER_INTAKE_CLOSED] = "intake_closed",
    [FILTER_PROGRAM] = "program",
    [FILTER_ELIGIBILITY] = "eligibility",
    [FILTER_SECURITY] = "security",
    [FILTER_CARE] = "care",
    [FILTER_TOO_CLOSE] = "too_close",
    [FILTER_CASE_CONFLICT] = "case_conflict",
    [FILTER_REJECTED] = "rejected",
    [FILTER_HOUSEHOLD] = "household",
    [FILTER_NO_FREE_PLACE] = "no_free_place",
    [FILTER_RESERVED] = "reserved",
};

static const char *const match_scorer_names[SCORER_COUNT] = {
    [SCORER_LANGUAGE] = "language",
    [SCORER_SAFETY_DISTANCE] = "safety_distance",
    [SCORER_PROXIMITY] = "proximity",
    [SCORER_CARE_FIT] = "care_fit",
    [SCORER_OCCUPANCY] = "occupancy",
    [SCORER_FRESHNESS] = "freshness",
    [SCORER_TOGETHER] = "together",
    [SCORER_SCARCITY] = "scarcity",
};

/*
 * Name of filter f as on the wire ("no_free_place"), or "unknown".
 */
const char *
match_filter_name(enum filter f)
{
	if ((unsigned)f >= FILTER_COUNT)
		return "unknown";
	return match_filter_names[f];
}

/*
 * Name of scorer s as on the wire ("care_fit"), or "unknown".
 */
const char *
match_scorer_name(enum scorer s)
{
	if ((unsigned)s >= SCORER_COUNT)
		return "unknown";
	return match_scorer_names[s];
}

/*
 * Fill opt with the default weights and program rules; now_ms is 0.
 */
void
match_options_default(struct match_options *opt)
{
	static const double w[SCORER_COUNT] = {
	    [SCORER_LANGUAGE] = 3,
	    [SCORER_SAFETY_DISTANCE] = 2,
	    [SCORER_PROXIMITY] = 1,
	    [SCORER_CARE_FIT] = 2,
	    [SCORER_OCCUPANCY] = 1,
	    [SCORER_FRESHNESS] = 1,
	    [SCORER_TOGETHER] = 2,
	    [SCORER_SCARCITY] = 2,
	};
	int i;

	memset(opt, 0, sizeof *opt);
	memcpy(opt->weights, w, sizeof w);
	for (i = 0; i < PROGRAM_COUNT; i++) {
		opt->programs[i].set = false;
		opt->programs[i].min_age = -1;
	}
	opt->programs[PROGRAM_COSM] = (struct program_rule){
	    .set = true,
	    .min_age = 18,
	    .residence = (1u << RESIDENCE_REFLECTION) |
	        (1u << RESIDENCE_B8_PERMIT) | (1u << RESIDENCE_UNKNOWN),
	};
	opt->programs[PROGRAM_OMM] = (struct program_rule){
	    .set = true,
	    .min_age = 18,
	    .needs_any = (1u << CARE_PSYCHIATRIC) | (1u << CARE_ADDICTION) |
	        (1u << CARE_INTELLECTUAL_DISABILITY),
	};
}

/*
 * Prepare res for its first match_run: empty, no buffers.
 */
void
match_result_init(struct match_result *res)
{
	memset(res, 0, sizeof *res);
}

/*
 * Free the buffers of res; it may be initialised again afterwards.
 */
void
match_result_free(struct match_result *res)
{
	free(res->candidates);
	free(res->near);
	match_lazy_free(res);
	memset(res, 0, sizeof *res);
}

/*
 * The candidates buffer is one block: the ranked candidates [0, cap), the
 * unranked ones [cap, 2 cap), then two arrays of cap sort keys, then the
 * unranked ones' scarcity facts. Nothing is allocated while matching once
 * it is big enough.
 */
/* The filters no capacity report, intake change or case lifts: a request
 * every shelter fails one of is a dead end. */
#define MATCH_PERMANENT                                                        \
	(1u << FILTER_PROGRAM | 1u << FILTER_ELIGIBILITY |                     \
	    1u << FILTER_SECURITY | 1u << FILTER_CARE |                        \
	    1u << FILTER_TOO_CLOSE | 1u << FILTER_HOUSEHOLD)
#define MATCH_CAND_BYTES                                                       \
	(2 * sizeof(struct match_candidate) + 2 * sizeof(uint64_t) +           \
	    sizeof(struct scarcity_facts))

/* The scarcity facts of the unranked candidates. */
static struct scarcity_facts *
match_facts(const struct match_result *res)
{
	return (struct scarcity_facts *)((uint64_t *)(res->candidates +
	                                     2 * res->cap_candidates) +
	    2 * res->cap_candidates);
}

static int
match_reserve(struct match_result *res, size_t n)
{
	struct match_candidate *c;
	struct match_near_miss *m;

	if (n == 0)
		n = 1;
	if (res->cap_candidates < n) {
		if (n > SIZE_MAX / MATCH_CAND_BYTES)
			return -1;
		c = malloc(n * MATCH_CAND_BYTES);
		if (c == NULL)
			return -1;
		free(res->candidates);
		res->candidates = c;
		res->cap_candidates = n;
	}
	if (res->cap_near < n) {
		m = realloc(res->near, n * sizeof *m);
		if (m == NULL)
			return -1;
		res->near = m;
		res->cap_near = n;
	}
	return 0;
}

/* The eligibility rules of program p (the shelter's own): see
 * match_internal.h. */
bool
match_eligible(const struct match_ctx *x, enum program p)
{
	const struct request *r = x->req;
	const struct program_rule *rule;

	if ((unsigned)p >= PROGRAM_COUNT)
		return true;
	if (x->minor && (p == PROGRAM_COSM || p == PROGRAM_OMM))
		return false;
	rule = &x->opt->programs[p];
	if (!rule->set)
		return true;
	if (rule->min_age >= 0 && r->age < rule->min_age)
		return false;
	if (rule->residence != 0 && (rule->residence & x->residence_bit) == 0)
		return false;
	if (rule->needs_any != 0 && (rule->needs_any & r->needs) == 0)
		return false;
	return true;
}

/* Preference of pool a over pool b: fewest spare children places, then the
 * most free places, then the name. */
static bool
match_pool_before(
    const struct shelter *s, const struct request *r, int a, int b)
{
	const struct pool *pa = &s->pools[a], *pb = &s->pools[b];
	int sa = pa->children_max - r->nchildren;
	int sb = pb->children_max - r->nchildren;
	int fa = model_pool_free(pa), fb = model_pool_free(pb);

	if (sa != sb)
		return sa < sb;
	if (fa != fb)
		return fa > fb;
	return strcmp(pa->name, pb->name) < 0;
}

/*
 * Run every filter on s (or, with x->first_fail, those up to one that
 * fails); returns the failing filters as bits and fills the candidate's
 * pools (in preference order) when the household fits. The distance
 * comes last, as the dearest.
 */
unsigned
match_filter(const struct match_ctx *x, const struct shelter *s, double cs,
    struct match_candidate *c, unsigned *missing, double *dexp)
{
	const struct request *r = x->req;
	const struct match_input *in = x->in;
	unsigned fail = 0;
	bool admits = false;
	int i, j, k;

	if (!s->intake_open)
		fail |= 1u << FILTER_INTAKE_CLOSED;
	if (r->program != PROGRAM_ANY && r->program != s->program)
		fail |= 1u << FILTER_PROGRAM;
	if ((unsigned)s->program < PROGRAM_COUNT &&
	    !(x->eligible & (1u << s->program)))
		fail |= 1u << FILTER_ELIGIBILITY;
	if (s->security < r->min_security)
		fail |= 1u << FILTER_SECURITY;
	*missing = r->needs & ~s->care;
	if (*missing != 0)
		fail |= 1u << FILTER_CARE;
	*dexp = -1;
	if (in != NULL) {
		/* Symmetric: this request says apart, or one there does. */
		if ((r->co_victims == CO_VICTIMS_APART &&
		        match_lists_has(x, MATCH_CASE, s)) ||
		    match_lists_has(x, MATCH_APART, s))
			fail |= 1u << FILTER_CASE_CONFLICT;
		if (match_lists_has(x, MATCH_REJECTED, s))
			fail |= 1u << FILTER_REJECTED;
	}
	c->npools = 0;
	if (fail != 0 && x->first_fail)
		return fail;
	for (i = 0; i < s->npools && i < MODEL_POOL_MAX; i++) {
		if (!model_household_admits(&s->pools[i], &x->household))
			continue;
		admits = true;
		if (model_pool_free(&s->pools[i]) < 1)
			continue;
		/* Insertion sort: at most MODEL_POOL_MAX pools. */
		for (j = c->npools;
		     j > 0 && match_pool_before(s, r, i, c->pools[j - 1]); j--)
			;
		for (k = c->npools; k > j; k--)
			c->pools[k] = c->pools[k - 1];
		c->pools[j] = i;
		c->npools++;
	}
	if (!admits)
		fail |= 1u << FILTER_HOUSEHOLD;
	else if (c->npools == 0)
		fail |= 1u << FILTER_NO_FREE_PLACE;
	if (fail != 0 && x->first_fail)
		return fail;
	/* The latitude difference alone bounds the distance from below, so
	 * most shelters need no great-circle distance here. */
	if (x->check_distance &&
	    fabs(s->location.lat - r->exploitation_location.lat) <
	        x->too_close_deg) {
		*dexp = geo_distance_km_cos(s->location.lat, s->location.lon,
		    match_cos_of(s, cs), r->exploitation_location.lat,
		    r->exploitation_location.lon, x->exp_cos);
		if (*dexp < r->min_distance_km)
			fail |= 1u << FILTER_TOO_CLOSE;
	}
	/* Only a shelter that would otherwise pass counts as reserved. */
	if (fail == 0 && x->check_reserve &&
	    (unsigned)s->program < PROGRAM_COUNT &&
	    x->opt->reserve[s->program] > 0 &&
	    x->program_free[s->program] <= x->opt->reserve[s->program])
		fail |= 1u << FILTER_RESERVED;
	return fail;
}

/*
 * Rank key: score desc (14 bits), free desc (18 bits, clamped; a larger
 * pool is not real), input position (32 bits); ascending as an integer.
 */
uint64_t
match_rank_key(const struct match_candidate *c, size_t pos)
{
	uint64_t free = c->free < 0 ? 0 : c->free > 0x3ffff ? 0x3ffff : c->free;

	return (uint64_t)(10000 - c->score) << 50 | (0x3ffff - free) << 32 |
	    (uint64_t)(uint32_t)pos;
}

/*
 * Stable LSD radix sort of n keys on their upper 32 bits (the keys come in
 * position order, so the lower half is sorted already), 11 bits a pass,
 * skipping passes that would not move anything; tmp holds n keys. Returns
 * the sorted array (a or tmp).
 */
static uint64_t *
match_radix(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t count[2048], i, sum, t;
	uint64_t *src = a, *dst = tmp, *swap;
	unsigned shift;

	for (shift = 32; shift < 64; shift += 11) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[(src[i] >> shift) & 2047]++;
		if (count[(src[0] >> shift) & 2047] == n)
			continue;
		for (i = 0, sum = 0; i < 2048; i++) {
			t = count[i];
			count[i] = sum;
			sum += t;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 2047]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	return src;
}

/*
 * Rank the n unranked candidates in `from` into res->candidates. Equal
 * score and free places keep input order after the sort; a run of such
 * ties is then put in id order (already so when the input is sorted by id,
 * which costs one strcmp per tie, or none when by_id says so).
 */
static void
match_rank(struct match_result *res, const struct match_candidate *from,
    size_t n, bool by_id)
{
	uint64_t *keys =
	    (uint64_t *)(res->candidates + 2 * res->cap_candidates);
	uint64_t *sorted;
	struct match_candidate *out = res->candidates, t;
	size_t i, j;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		keys[i] = match_rank_key(&from[i], i);
	sorted = match_radix(keys, keys + res->cap_candidates, n);
	for (i = 0; i < n; i++)
		out[i] = from[sorted[i] & 0xffffffffu];
	for (i = 1; i < n && !by_id; i++) {
		if (out[i].score != out[i - 1].score ||
		    out[i].free != out[i - 1].free ||
		    strcmp(out[i - 1].shelter->id, out[i].shelter->id) <= 0)
			continue;
		t = out[i];
		for (j = i; j > 0 && out[j - 1].score == t.score &&
		     out[j - 1].free == t.free &&
		     strcmp(out[j - 1].shelter->id, t.shelter->id) > 0;
		     j--)
			out[j] = out[j - 1];
		out[j] = t;
	}
}

/* Reset res for a run over n shelters. 0, or -1 on ENOMEM. */
int
match_begin(struct match_result *res, size_t n)
{
	res->ncandidates = res->eligible = res->nnear = 0;
	res->total = 0;
	res->missing_care = 0;
	res->dead_end = false;
	res->referral = NULL;
	memset(res->reasons, 0, sizeof res->reasons);
	memset(&res->forecast, 0, sizeof res->forecast);
	res->message[0] = '\0';
	if (res->lazy != NULL)
		res->lazy->pending = false;
	return match_reserve(res, n);
}

/* The per-request facts of x but the reserve's free places. */
void
match_ctx_init(struct match_ctx *x, const struct request *req,
    const struct match_input *in, const struct match_options *opt)
{
	int f;

	x->req = req;
	x->in = in;
	x->opt = opt;
	x->residence_bit = 1u
	    << (req->residence == RESIDENCE_NONE ? RESIDENCE_UNKNOWN
	                                         : req->residence);
	x->minor = req->age < 18;
	/* match_eligible reads req, opt, residence_bit and minor only. */
	x->eligible = 0;
	for (f = 0; f < PROGRAM_COUNT; f++)
		if (match_eligible(x, (enum program)f))
			x->eligible |= 1u << f;
	model_household_of(req, &x->household);
	x->check_distance =
	    req->has_exploitation_location && req->min_distance_km > 0;
	/* 6371 km is below the mean radius geo uses: a safe bound. */
	x->too_close_deg =
	    req->min_distance_km / (6371.0 * M_PI / 180.0) + 1e-6;
	x->exp_cos = req->has_exploitation_location
	    ? geo_cos_lat(req->exploitation_location.lat)
	    : 0;
	x->pref_cos = req->has_preferred_location
	    ? geo_cos_lat(req->preferred_location.lat)
	    : 0;
	x->check_reserve = false;
	x->by_id = false;
	x->first_fail = false;
	match_score_fresh_table(x->fresh);
	x->nscored = 0;
	x->wsum = 0;
	for (f = 0; f < SCORER_COUNT; f++)
		if (opt->weights[f] > 0) {
			x->scored[x->nscored++] = (unsigned char)f;
			x->wsum += opt->weights[f];
		}
	x->lists = NULL;
	x->listed = 0;
	if (in != NULL && in->rejected != NULL && in->nrejected > 0)
		x->listed |= 1u << MATCH_REJECTED;
	if (in != NULL && in->case_shelters != NULL && in->ncase_shelters > 0)
		x->listed |= 1u << MATCH_CASE;
	if (in != NULL && in->case_apart != NULL && in->ncase_apart > 0)
		x->listed |= 1u << MATCH_APART;
	for (f = 0; f < PROGRAM_COUNT; f++)
		if (opt->reserve[f] > 0 && req->urgency != URGENCY_IMMEDIATE)
			x->check_reserve = true;
}

/*
 * Filter shelter s into the next unranked candidate; a candidate is
 * scored and counted. Returns the failing filters.
 */
static unsigned
match_take(const struct match_ctx *x, const struct shelter *s, double cs,
    struct match_result *res, unsigned *missing)
{
	struct match_candidate *c =
	    &res->candidates[res->cap_candidates + res->ncandidates];
	unsigned fail;
	double dexp;

	c->shelter = s;
	fail = match_filter(x, s, cs, c, missing, &dexp);
	if (fail == 0) {
		c->pool = c->pools[0];
		c->free = model_pool_free(&s->pools[c->pool]);
		match_score(x, c, cs, dexp);
		/* Now, while the shelter is in the cache. */
		if (x->opt->weights[SCORER_SCARCITY] > 0)
			scarcity_facts(x->req, x->opt, c,
			    &match_facts(res)[res->ncandidates]);
		res->ncandidates++;
	}
	return fail;
}

/* Scarcity (relative to all candidates), then the ranking. */
static void
match_finish(const struct match_ctx *x, struct match_result *res, size_t n)
{
	struct match_candidate *unranked =
	    res->candidates + res->cap_candidates;
	size_t i;

	res->total = n;
	res->eligible = res->ncandidates;
	if (x->opt->weights[SCORER_SCARCITY] > 0 && res->ncandidates > 0) {
		scarcity_score(unranked, match_facts(res), res->ncandidates);
		for (i = 0; i < res->ncandidates; i++)
			match_combine_ctx(x, &unranked[i]);
	}
	match_rank(res, unranked, res->ncandidates, x->by_id);
}

/*
 * Match req against shelters[0..n): filters, scores, pool choice, ranking
 * and explanation into res (reset first, buffers kept). Returns 0, or -1 on
 * ENOMEM (res is then empty).
 */
int
match_run(const struct shelter *const *shelters, size_t n,
    const struct request *req, const struct match_input *in,
    const struct match_options *opt, struct match_result *res)
{
	struct match_ctx x;
	unsigned fail, missing;
	size_t i, dead = 0;
	int f;

	if (match_begin(res, n) == -1)
		return -1;
	match_ctx_init(&x, req, in, opt);
	if (x.check_reserve)
		scarcity_program_free(shelters, n, x.program_free);

	for (i = 0; i < n; i++) {
		if (i + MATCH_PREFETCH < n)
			match_prefetch(shelters[i + MATCH_PREFETCH]);
		fail = match_take(
		    &x, shelters[i], MATCH_COS_UNKNOWN, res, &missing);
		if (fail == 0)
			continue;
		if (missing != 0)
			res->missing_care |= missing;
		if (fail & MATCH_PERMANENT)
			dead++;
		for (f = 0; f < FILTER_COUNT; f++)
			if (fail & (1u << f))
				res->reasons[f]++;
		if ((fail & (fail - 1)) == 0) {
			res->near[res->nnear].shelter = shelters[i];
			res->near[res->nnear].failed =
			    (enum filter)__builtin_ctz(fail);
			res->nnear++;
		}
	}
	match_finish(&x, res, n);
	res->dead_end = n > 0 && dead == n;
	if (res->dead_end)
		res->referral =
		    x.minor ? opt->referral_minor : opt->referral_default;
	forecast_find(res, req,
	    (int)(opt->now_ms >= 0 ? opt->now_ms / 86400000 : 0),
	    &res->forecast);
	match_message(res, req);
	return 0;
}

/*
 * match_run through the index (see match.h): only the shelters the index
 * leaves are filtered and scored, in table order; the explanation waits
 * for match_explain.
 */
int
match_run_indexed(const struct match_index *idx,
    const struct shelter *const *shelters, size_t n, const struct request *req,
    const struct match_input *in, const struct match_options *opt,
    struct match_result *res)
{
	struct match_ctx x;
	struct match_query q;
	struct match_lists lists;
	unsigned programs = 0, missing;
	uint64_t m, *pos;
	size_t w, i, np;
	int p;

	if (idx == NULL || idx->n != n)
		return match_run(shelters, n, req, in, opt, res);
	if (match_begin(res, n) == -1)
		return -1;
	match_ctx_init(&x, req, in, opt);
	x.by_id = idx->by_id;
	x.first_fail = true;
	if (in != NULL && match_lists_find(idx, shelters, in, &lists) == 0)
		x.lists = &lists;
	/* The programs that pass the program and eligibility filters. */
	for (p = 0; p < PROGRAM_COUNT; p++)
		if ((req->program == PROGRAM_ANY || (int)req->program == p) &&
		    match_eligible(&x, (enum program)p))
			programs |= 1u << p;
	/* Only these programs' places are read by the reserved filter. */
	if (x.check_reserve)
		match_index_program_free(
		    idx, shelters, programs, x.program_free);
	match_index_query(idx, req, programs, &q);
	/* The positions the index leaves, first, so that the shelters can
	 * be fetched ahead; in the sort keys' space, free until the ranking
	 * (match_reserve made it hold n). */
	pos = (uint64_t *)(res->candidates + 2 * res->cap_candidates);
	for (w = 0, np = 0; w < idx->words; w++)
		for (m = match_query_word(&q, w); m != 0; m &= m - 1)
			pos[np++] = w * 64 + (uint64_t)__builtin_ctzll(m);
	for (i = 0; i < np; i++) {
		if (i + MATCH_PREFETCH < np)
			match_prefetch(shelters[pos[i + MATCH_PREFETCH]]);
		match_take(
		    &x, shelters[pos[i]], idx->coslat[pos[i]], res, &missing);
	}
	match_finish(&x, res, n);
	if (match_lazy_save(res, shelters, n, req, in, opt) == -1) {
		res->ncandidates = res->eligible = 0;
		return -1;
	}
	return 0;
}

/* match_explain: see match.h. */
int
match_explain(struct match_result *res)
{
	struct match_lazy *l = res->lazy;

	if (l == NULL || !l->pending)
		return 0;
	return match_run(l->shelters, l->n, &l->req, l->has_in ? &l->in : NULL,
	    &l->opt, res);
}
