/*
 * match_top.c: the first k candidates of the ranking without scoring every
 * candidate (match_run_top), for a submit that sends only a window of them.
 *
 * The index keeps its shelters in blocks of TOP_B, twice: shelters alike
 * (the same program, care, security and languages, in id order) and
 * shelters near each other (a Morton curve over latitude and longitude,
 * so a block covers a small area); a request without a location uses the
 * first, one with a location the second. A block
 * holds what bounds its members' rank keys from above: the languages, care
 * tags, programs and pools they have, a circle around them, their latest
 * report, the highest occupancy score and free places per gender, and the
 * first of them in id order. A request bounds every block's best key from
 * these, visits the blocks best bound first and stops at the first block
 * whose bound is no better than its k-th candidate so far: every shelter
 * there and after ranks below. The candidates are filtered and scored by
 * match.c itself, so they and their order are those of match_run.
 *
 * Scarcity compares a candidate with all the others: its three minima are
 * found first, visiting only the blocks that could lower one of them.
 *
 * The live counts (free places) are in the blocks too: the owner of the
 * table tells the index of every change (match_index_counts).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/geo.h"
#include "shelter/match.h"

#include "match_blocks.h"
#include "match_index.h"
#include "match_internal.h"
#include "scarcity.h"

/* What one request needs to bound and visit blocks. */
struct top_req {
	const struct match_ctx *x;
	const struct match_top *t;
	const double *coslat; /* the index's, by position */
	struct match_query q;
	struct scarcity_min m;
	bool scarcity;
	bool complete;  /* top_scarcity filtered every shelter that may pass */
	uint64_t langs; /* the request's language bits */
	unsigned spec;  /* specialised tags it neither needs nor prefers */
	int nprefers;
	unsigned programs;    /* those that pass program and eligibility */
	unsigned ruled, open; /* program bits (as in top_block.programs) */
	/* For top_member_bound: the weights (0: off) and their sum, and
	 * care_fit as a table (by tags offered and unneeded); freshness is
	 * x->fresh. */
	double w[SCORER_COUNT], wsum;
	int care_fit[CARE_COUNT + 1][5];
};

/* Least spare children places a pool of block k leaves r's household. */
static int
top_spare_min(const struct top_block *k, const struct request *r)
{
	uint32_t m;

	if (r->nchildren < 0 || r->nchildren > TOP_KIDS)
		return 0; /* no bound */
	m = k->kids[r->gender] >> r->nchildren;
	/* None: no pool there takes the household. */
	return m == 0 ? INT_MAX : __builtin_ctz(m);
}

/* Is position pos left by the index for the request, and not seen to
 * fail a filter? */
static bool
top_passes_index(const struct top_req *tr, uint32_t pos)
{
	return (tr->t->left[pos / 64] >> (pos % 64)) & 1;
}

/* The positions the index leaves, once: each is then a bit test. */
static void
top_left_init(const struct top_req *tr, size_t words)
{
	size_t w;

	for (w = 0; w < words; w++)
		tr->t->left[w] = match_query_word(&tr->q, w);
}

/* Filter and score the shelter at pos into c: true when a candidate. */
static bool
top_take(const struct top_req *tr, uint32_t pos, struct match_candidate *c)
{
	const struct match_ctx *x = tr->x;
	unsigned missing;
	double dexp;

	c->shelter = tr->t->sh[pos];
	if (match_filter(x, c->shelter, tr->coslat[pos], c, &missing, &dexp) !=
	    0)
		return false;
	c->pool = c->pools[0];
	c->free = model_pool_free(&c->shelter->pools[c->pool]);
	match_score(x, c, tr->coslat[pos], dexp);
	if (tr->scarcity) {
		c->scores[SCORER_SCARCITY] =
		    scarcity_of(x->req, x->opt, c, &tr->m);
		match_combine_ctx(x, c);
	}
	return true;
}

/* Can a member of block k pass the filters the index reads? (false:
 * none can; true: perhaps.) */
static bool
top_block_may(const struct top_req *tr, const struct top_block *k)
{
	const struct request *r = tr->x->req;

	return (k->programs & (tr->programs | 1u << PROGRAM_COUNT)) != 0 &&
	    (r->needs & ~k->care_or) == 0 &&
	    k->security_max >= (int)r->min_security;
}

/* Scarcity's minima over every candidate (skipping the blocks, then the
 * shelters, that cannot lower any). */
static void
top_scarcity(struct top_req *tr)
{
	const struct match_ctx *x = tr->x;
	const struct top_set *set = &tr->t->set[TOP_KIND];
	const struct top_block *k;
	struct match_candidate c;
	struct scarcity_min *m = &tr->m;
	const struct shelter *s;
	unsigned missing;
	int spare;
	uint32_t pos;
	size_t b, j, end;
	double dexp;

	memset(m, 0, sizeof *m);
	tr->complete = true;
	for (b = 0; b < set->nblocks; b++) {
		k = &set->b[b];
		if (!top_block_may(tr, k))
			continue;
		if (m->n > 0 && top_spare_min(k, x->req) >= m->min_spare &&
		    k->care_min[tr->spec] >= m->min_care &&
		    (m->any_ruled || (k->programs & tr->ruled) == 0)) {
			tr->complete = false;
			continue;
		}
		spare = top_spare_min(k, x->req);
		for (j = match_blocks_members(tr->t, b, &end); j < end; j++) {
			/* Out of table order: the pages are cold too. */
			if (j + MATCH_PREFETCH < end &&
			    top_passes_index(
			        tr, set->order[j + MATCH_PREFETCH]))
				match_prefetch(
				    tr->t->sh[set->order[j + MATCH_PREFETCH]]);
			pos = set->order[j];
			c.shelter = s = tr->t->sh[pos];
			if (!top_passes_index(tr, pos))
				continue;
			/* Only a shelter that could lower a minimum. */
			if (m->n > 0 && spare >= m->min_spare &&
			    (m->any_ruled ||
			        (unsigned)s->program >= PROGRAM_COUNT ||
			        !(tr->ruled & (1u << s->program))) &&
			    match_popcount(tr->t->mem[pos].spec & tr->spec) >=
			        m->min_care) {
				tr->complete = false;
				continue;
			}
			if (match_filter(x, c.shelter, tr->coslat[pos], &c,
			        &missing, &dexp) == 0) {
				c.pool = c.pools[0];
				scarcity_note(x->req, x->opt, &c, m);
			} else /* the search need not filter it again */
				tr->t->left[pos / 64] &=
				    ~((uint64_t)1 << (pos % 64));
		}
	}
}

/* The best scores a member of block b of set si can have; *spare: 25
 * when none of them can have the fewest spare children places. */
static void
top_block_scores(
    const struct top_req *tr, int si, size_t b, int *sc, int *spare)
{
	const struct match_ctx *x = tr->x;
	const struct request *r = x->req;
	const struct top_block *k = &tr->t->set[si].b[b];
	double dc;
	int v;

	sc[SCORER_LANGUAGE] = r->nlanguages == 0 ? 50
	    : (k->langs & tr->langs)             ? 100
	                                         : 0;
	sc[SCORER_SAFETY_DISTANCE] = 50;
	sc[SCORER_PROXIMITY] = 50;
	if (r->has_exploitation_location) {
		dc = geo_distance_km(k->lat, k->lon,
		    r->exploitation_location.lat, r->exploitation_location.lon);
		sc[SCORER_SAFETY_DISTANCE] =
		    match_score_safety(dc + k->radius_km + TOP_EPS_KM);
	}
	if (r->has_preferred_location) {
		dc = geo_distance_km(k->lat, k->lon, r->preferred_location.lat,
		    r->preferred_location.lon);
		dc -= k->radius_km + TOP_EPS_KM;
		sc[SCORER_PROXIMITY] = match_score_proximity(dc > 0 ? dc : 0);
	}
	sc[SCORER_CARE_FIT] = match_score_care_fit(tr->nprefers,
	    __builtin_popcount(r->prefers & k->care_or), k->care_min[tr->spec]);
	sc[SCORER_OCCUPANCY] = k->occupancy_max;
	sc[SCORER_FRESHNESS] = match_score_freshness(x->opt, k->updated_max);
	sc[SCORER_TOGETHER] = r->co_victims != CO_VICTIMS_TOGETHER ? 50
	    : tr->t->mark[b]                                       ? 100
	                                                           : 0;
	v = 100;
	*spare = 0;
	if (tr->scarcity) {
		if (tr->m.any_ruled && (k->programs & ~tr->open) == 0)
			v -= 50;
		if (top_spare_min(k, r) > tr->m.min_spare)
			*spare = 25;
		if (k->care_min[tr->spec] > tr->m.min_care)
			v -= 25;
	}
	sc[SCORER_SCARCITY] = v - *spare;
}

/* The best key a member of block b of set si can have. */
static uint64_t
top_bound_of(const struct top_req *tr, int si, size_t b)
{
	const struct top_block *k = &tr->t->set[si].b[b];
	struct match_candidate c;
	int spare;

	top_block_scores(tr, si, b, c.scores, &spare);
	match_combine(tr->x->opt->weights, &c);
	c.free = k->free_max[tr->x->req->gender];
	return match_rank_key(&c, k->rank_min);
}

/* The rank key with score bits hi (as match_rank_key), free and rank. */
static uint64_t
top_key(uint64_t hi, int free, uint32_t rank)
{
	uint64_t f = free < 0 ? 0 : free > 0x3ffff ? 0x3ffff : (uint64_t)free;

	return hi | (0x3ffff - f) << 32 | rank;
}

/* The tables of top_member_bound for the request. */
static void
top_tables(struct top_req *tr)
{
	const struct match_options *opt = tr->x->opt;
	int k, e;

	tr->wsum = 0;
	for (k = 0; k < SCORER_COUNT; k++) {
		tr->w[k] = opt->weights[k] > 0 ? opt->weights[k] : 0;
		tr->wsum += tr->w[k];
	}
	for (k = 0; k <= CARE_COUNT; k++)
		for (e = 0; e < 5; e++)
			tr->care_fit[k][e] = match_score_care_fit(tr->nprefers,
			    k < tr->nprefers ? k : tr->nprefers, e);
}

/* The weighted scores of block b's members that top_member_bound does
 * not take from the member (sc: top_block_scores). */
static double
top_block_fixed(const struct top_req *tr, const int *sc)
{
	const double *w = tr->w;
	double sum = w[SCORER_SAFETY_DISTANCE] * sc[SCORER_SAFETY_DISTANCE] +
	    w[SCORER_PROXIMITY] * sc[SCORER_PROXIMITY] +
	    w[SCORER_TOGETHER] * sc[SCORER_TOGETHER];

	if (tr->x->req->nlanguages == 0)
		sum += w[SCORER_LANGUAGE] * sc[SCORER_LANGUAGE];
	return sum;
}

/* The best key the shelter at pos can have, from its record and what
 * its block fixes: fixed (top_block_fixed) and spare (top_block_scores).
 * In hot loops: a weighted sum without match_combine's calls, summed in
 * another order, so one hundredth more covers its rounding. */
static uint64_t
top_member_bound(
    const struct top_req *tr, double fixed, int spare, uint32_t pos)
{
	const struct top_member *m = &tr->t->mem[pos];
	const struct request *r = tr->x->req;
	const double *w = tr->w;
	int extra = match_popcount(m->spec & tr->spec), scar, score;
	double sum = fixed;

	if (r->nlanguages > 0 && (m->langs & tr->langs))
		sum += w[SCORER_LANGUAGE] * 100;
	sum += w[SCORER_CARE_FIT] *
	    tr->care_fit[match_popcount(r->prefers & m->care)][extra];
	sum += w[SCORER_OCCUPANCY] * m->occupancy;
	sum += w[SCORER_FRESHNESS] *
	    match_score_fresh_of(tr->x->fresh, tr->x->opt, m->updated_at);
	if (tr->scarcity) {
		scar = 100 - spare -
		    (tr->m.any_ruled &&
		                ((unsigned)m->program >= PROGRAM_COUNT ||
		                    (tr->open & (1u << m->program)))
		            ? 50
		            : 0) -
		    (extra > tr->m.min_care ? 25 : 0);
		sum += w[SCORER_SCARCITY] * scar;
	} else
		sum += w[SCORER_SCARCITY] * 100;
	score =
	    tr->wsum > 0 ? match_score_round(100.0 * sum / tr->wsum) + 1 : 0;
	if (score > 10000)
		score = 10000;
	return top_key((uint64_t)(10000 - score) << 50, m->free_max[r->gender],
	    tr->t->rank[pos]);
}

/* Mark (on 1) or clear the blocks of set si holding a case shelter. */
static void
top_mark_case(const struct top_req *tr, int si, uint8_t on)
{
	const struct match_input *in = tr->x->in;
	const struct match_top *t = tr->t;
	size_t i, lo, hi, mid;
	int c;

	for (i = 0; i < in->ncase_shelters; i++) {
		if (in->case_shelters[i] == NULL)
			continue;
		lo = 0;
		hi = t->n;
		while (lo < hi) { /* the first place in id order >= the id */
			mid = lo + (hi - lo) / 2;
			c = strcmp(
			    t->sh[t->byid[mid]]->id, in->case_shelters[i]);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < t->n &&
		     strcmp(t->sh[t->byid[lo]]->id, in->case_shelters[i]) == 0;
		     lo++)
			t->mark[t->set[si].block[t->byid[lo]]] = on;
	}
}

/* Restore the min-heap on key below i of h[0..n). */
static void
top_sift(struct top_bound *h, size_t n, size_t i)
{
	struct top_bound t;
	size_t c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && h[c + 1].key < h[c].key)
			c++;
		if (h[i].key <= h[c].key)
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

/* h[0..n) as a min-heap on key: the best bound first. */
static void
top_heapify(struct top_bound *h, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		top_sift(h, n, i);
}

/* Drop h[0], the best. */
static void
top_pop(struct top_bound *h, size_t *n)
{
	h[0] = h[--*n];
	top_sift(h, *n, 0);
}

/* Put c with key into the first k (sorted, *n of them) if it is among. */
static void
top_keep(struct match_result *res, uint64_t *keys, size_t k, size_t *n,
    const struct match_candidate *c, uint64_t key)
{
	size_t j;

	if (*n == k && key >= keys[k - 1])
		return;
	j = *n < k ? (*n)++ : k - 1;
	for (; j > 0 && keys[j - 1] > key; j--) {
		keys[j] = keys[j - 1];
		res->candidates[j] = res->candidates[j - 1];
	}
	keys[j] = key;
	res->candidates[j] = *c;
}

/* Every candidate, when top_scarcity found them all and they are k or
 * fewer: no block needs a bound (the left positions are the candidates,
 * and some in blocks no member of which can pass). */
static void
top_collect(const struct top_req *tr, size_t k, struct match_result *res)
{
	struct match_candidate c;
	uint64_t *keys =
	    (uint64_t *)(res->candidates + 2 * res->cap_candidates);
	size_t w, n = 0;
	uint64_t m;
	uint32_t pos;

	for (w = 0; w < tr->t->n / 64 + 1; w++)
		for (m = tr->t->left[w]; m != 0; m &= m - 1) {
			pos = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(m));
			if (top_take(tr, pos, &c))
				top_keep(res, keys, k, &n, &c,
				    match_rank_key(&c, tr->t->rank[pos]));
		}
	res->ncandidates = res->eligible = n;
}

/* The search of match_run_top over set si: the first k into res. */
static void
top_search(const struct top_req *tr, int si, size_t k, struct match_result *res)
{
	const struct top_set *set = &tr->t->set[si];
	struct top_bound *bd = tr->t->bound;
	struct match_candidate c;
	uint64_t *keys =
	    (uint64_t *)(res->candidates + 2 * res->cap_candidates);
	const struct request *r = tr->x->req;
	size_t b, nb = 0, j, end, n = 0;
	uint64_t hi;
	uint32_t pos;
	int sc[SCORER_COUNT], spare;
	double fixed;

	for (b = 0; b < set->nblocks; b++) {
		if (!top_block_may(tr, &set->b[b]))
			continue;
		bd[nb].key = top_bound_of(tr, si, b);
		bd[nb++].block = (uint32_t)b;
	}
	top_heapify(bd, nb);
	for (; nb > 0; top_pop(bd, &nb)) {
		if (n == k && keys[k - 1] <= bd[0].key)
			break;
		b = bd[0].block;
		top_block_scores(tr, si, b, sc, &spare);
		fixed = top_block_fixed(tr, sc);
		/* The block's best score with a member's own free places and
		 * rank: a bound cheaper than top_member_bound. */
		hi = bd[0].key & ~(((uint64_t)1 << 50) - 1);
		for (j = match_blocks_members(tr->t, b, &end); j < end; j++) {
			pos = set->order[j];
			if (!top_passes_index(tr, pos))
				continue;
			if (n == k &&
			    (top_key(hi, tr->t->mem[pos].free_max[r->gender],
			         tr->t->rank[pos]) >= keys[k - 1] ||
			        top_member_bound(tr, fixed, spare, pos) >=
			            keys[k - 1]))
				continue;
			if (top_take(tr, pos, &c))
				top_keep(res, keys, k, &n, &c,
				    match_rank_key(&c, tr->t->rank[pos]));
		}
	}
	res->ncandidates = res->eligible = n;
}

/* match_run_top: see match.h. */
int
match_run_top(const struct match_index *idx,
    const struct shelter *const *shelters, size_t n, const struct request *req,
    const struct match_input *in, const struct match_options *opt, size_t k,
    struct match_result *res)
{
	struct match_ctx x;
	struct match_lists lists;
	struct top_req tr = {.x = &x};
	unsigned programs = 0;
	size_t b;
	int p, i, si;

	if (idx == NULL || idx->n != n || idx->top == NULL || k == 0 ||
	    (unsigned)req->gender >= GENDER_COUNT) {
		if (match_run_indexed(idx, shelters, n, req, in, opt, res) ==
		    -1)
			return -1;
		if (res->ncandidates > k)
			res->ncandidates = res->eligible = k;
		return 0;
	}
	tr.t = idx->top;
	tr.coslat = idx->coslat;
	if (match_begin(res, k) == -1)
		return -1;
	match_ctx_init(&x, req, in, opt);
	x.first_fail = true;
	if (in != NULL && match_lists_find(idx, shelters, in, &lists) == 0)
		x.lists = &lists;
	for (p = 0; p < PROGRAM_COUNT; p++)
		if ((req->program == PROGRAM_ANY || (int)req->program == p) &&
		    match_eligible(&x, (enum program)p))
			programs |= 1u << p;
	if (x.check_reserve) {
		memset(x.program_free, 0, sizeof x.program_free);
		for (b = 0; b < tr.t->set[TOP_KIND].nblocks; b++)
			for (p = 0; p < PROGRAM_COUNT; p++)
				x.program_free[p] +=
				    tr.t->set[TOP_KIND].b[b].program_free[p];
	}
	tr.programs = programs;
	match_index_query(idx, req, programs, &tr.q);
	top_left_init(&tr, idx->words);
	for (i = 0; i < req->nlanguages && i < MODEL_LANG_MAX; i++)
		tr.langs |= match_blocks_lang(
		    (struct match_top *)tr.t, req->languages[i], false);
	tr.spec =
	    match_blocks_spec(CARE_SPECIALISED & ~(req->needs | req->prefers));
	tr.nprefers = __builtin_popcount(req->prefers);
	tr.open = 1u << PROGRAM_COUNT;
	for (p = 0; p < PROGRAM_COUNT; p++) {
		if (!opt->programs[p].set)
			tr.open |= 1u << p;
		else if (programs & (1u << p))
			tr.ruled |= 1u << p;
	}
	tr.scarcity = opt->weights[SCORER_SCARCITY] > 0;
	top_tables(&tr);
	if (tr.scarcity)
		top_scarcity(&tr);
	si = (opt->weights[SCORER_SAFETY_DISTANCE] > 0 &&
	         req->has_exploitation_location) ||
	        (opt->weights[SCORER_PROXIMITY] > 0 &&
	            req->has_preferred_location)
	    ? TOP_PLACE
	    : TOP_KIND;
	if (in != NULL && req->co_victims == CO_VICTIMS_TOGETHER)
		top_mark_case(&tr, si, 1);
	if (tr.scarcity && tr.complete && tr.m.n <= k)
		top_collect(&tr, k, res);
	else
		top_search(&tr, si, k, res);
	if (in != NULL && req->co_victims == CO_VICTIMS_TOGETHER)
		top_mark_case(&tr, si, 0);
	res->total = n;
	if (match_lazy_save(res, shelters, n, req, in, opt) == -1) {
		res->ncandidates = res->eligible = 0;
		return -1;
	}
	return 0;
}
