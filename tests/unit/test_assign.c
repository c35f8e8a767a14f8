/* test_assign.c: joint batch assignment against exhaustive search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "shelter/assign.h"

#define MAXR  ASSIGN_REQUESTS_MAX
#define MAXS  64
#define MAXP  4
#define MAXO  ASSIGN_OPTIONS_MAX
#define NRAND 2000

/* One instance, owning its arrays. */
struct inst {
	int n, ns;
	char ids[MAXS][16]; /* room for any int, so -O1 sees no truncation */
	int free[MAXS][MAXP];
	struct assign_shelter sh[MAXS];
	struct assign_option opt[MAXR][MAXO];
	struct assign_request req[MAXR];
	struct assign_problem p;
};

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	/* xorshift64*: the same instances on every run and platform. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int
rnd_below(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

static void
inst_init(struct inst *x, int ns, int npools)
{
	int s, q;

	memset(x, 0, sizeof *x);
	x->ns = ns;
	for (s = 0; s < ns; s++) {
		snprintf(x->ids[s], sizeof x->ids[s], "s%02d", s);
		x->sh[s].id = x->ids[s];
		x->sh[s].free = x->free[s];
		x->sh[s].npools = npools;
		for (q = 0; q < npools; q++)
			x->free[s][q] = 1;
	}
	x->p.requests = x->req;
	x->p.shelters = x->sh;
	x->p.nshelters = ns;
}

static void
inst_add(struct inst *x, int r, int s, int q, double score)
{
	struct assign_request *rq = &x->req[r];

	if (r >= x->n) {
		x->n = r + 1;
		x->p.nrequests = x->n;
	}
	rq->options = x->opt[r];
	x->opt[r][rq->noptions++] = (struct assign_option){s, q, score, 0};
}

static bool
conflict(const struct inst *x, int i, int j)
{
	const struct assign_request *a = &x->req[i], *b = &x->req[j];

	return a->case_id != NULL && b->case_id != NULL &&
	    strcmp(a->case_id, b->case_id) == 0 &&
	    (a->co_victims == CO_VICTIMS_APART ||
	        b->co_victims == CO_VICTIMS_APART);
}

/* Capacity and apart hold, and the totals match the choices. */
static void
check_valid(const struct inst *x, const struct assign_result *res)
{
	int used[MAXS][MAXP] = {{0}};
	const struct assign_choice *c;
	const struct assign_option *o;
	int i, j, placed = 0;
	double score = 0;

	for (i = 0; i < x->n; i++) {
		c = &res->choices[i];
		if (c->option < 0) {
			assert_int_equal(c->shelter, -1);
			continue;
		}
		assert_true(c->option < x->req[i].noptions);
		o = &x->req[i].options[c->option];
		assert_int_equal(c->shelter, o->shelter);
		assert_int_equal(c->pool, o->pool);
		used[o->shelter][o->pool]++;
		assert_true(
		    used[o->shelter][o->pool] <= x->free[o->shelter][o->pool]);
		for (j = 0; j < i; j++)
			if (res->choices[j].option >= 0 &&
			    res->choices[j].shelter == c->shelter)
				assert_false(conflict(x, i, j));
		placed++;
		/* A together choice scores its option's together score. */
		assert_true(fabs(c->score -
		                (c->together && o->together > o->score
		                        ? o->together
		                        : o->score)) < 1e-9);
		score += c->score;
	}
	assert_int_equal(res->placed, placed);
	assert_true(fabs(res->score - score) < 1e-9);
}

/* Exhaustive search: the optimum, then the first optimal assignment in
 * rank order, which is the lexicographically best one. */
struct brute {
	const struct inst *x;
	int used[MAXS][MAXP];
	int cur[MAXR], best[MAXR];
	int best_count;
	long long best_score;
	bool found;
	int target_count;
	long long target_score;
};

static long long
hundredths(double s)
{
	return llround(s * 100.0);
}

/* Rank of single matching, independently written: a before b? */
static bool
brute_before(const struct inst *x, const struct assign_option *a,
    const struct assign_option *b)
{
	int fa = x->free[a->shelter][a->pool];
	int fb = x->free[b->shelter][b->pool];
	int c;

	if (hundredths(a->score) != hundredths(b->score))
		return hundredths(a->score) > hundredths(b->score);
	if (fa != fb)
		return fa > fb;
	c = strcmp(x->ids[a->shelter], x->ids[b->shelter]);
	if (c != 0)
		return c < 0;
	return a->pool < b->pool;
}

static bool
brute_kin(const struct brute *b, int i, int s)
{
	const struct inst *x = b->x;
	int j;

	if (x->req[i].co_victims != CO_VICTIMS_TOGETHER ||
	    x->req[i].case_id == NULL)
		return false;
	for (j = 0; j < i; j++)
		if (x->req[j].case_id != NULL &&
		    strcmp(x->req[j].case_id, x->req[i].case_id) == 0 &&
		    x->req[j].co_victims == CO_VICTIMS_TOGETHER &&
		    b->cur[j] >= 0 && x->req[j].options[b->cur[j]].shelter == s)
			return true;
	return false;
}

static void
brute_dfs(struct brute *b, int i, int count, long long score)
{
	const struct inst *x = b->x;
	const struct assign_request *r;
	int order[MAXO], n = 0, k, m, j, t;
	bool ok;

	if (b->found)
		return;
	if (i == x->n) {
		if (b->target_count >= 0) {
			if (count == b->target_count &&
			    score == b->target_score) {
				memcpy(b->best, b->cur, sizeof b->cur);
				b->found = true;
			}
			return;
		}
		if (count > b->best_count ||
		    (count == b->best_count && score > b->best_score)) {
			b->best_count = count;
			b->best_score = score;
		}
		return;
	}
	r = &x->req[i];
	for (k = 0; k < r->noptions; k++) {
		/* kin shelters first, then rank */
		for (m = n; m > 0; m--) {
			const struct assign_option *p = &r->options[k];
			const struct assign_option *q =
			    &r->options[order[m - 1]];
			bool kp = brute_kin(b, i, p->shelter);
			bool kq = brute_kin(b, i, q->shelter);

			if (kp != kq ? !kp : !brute_before(x, p, q))
				break;
			order[m] = order[m - 1];
		}
		order[m] = k;
		n++;
	}
	for (t = 0; t < n; t++) {
		const struct assign_option *o = &r->options[order[t]];

		if (b->used[o->shelter][o->pool] >=
		    x->free[o->shelter][o->pool])
			continue;
		ok = true;
		for (j = 0; j < i && ok; j++)
			if (b->cur[j] >= 0 &&
			    x->req[j].options[b->cur[j]].shelter ==
			        o->shelter &&
			    conflict(x, i, j))
				ok = false;
		if (!ok)
			continue;
		b->used[o->shelter][o->pool]++;
		b->cur[i] = order[t];
		brute_dfs(b, i + 1, count + 1, score + hundredths(o->score));
		b->used[o->shelter][o->pool]--;
	}
	b->cur[i] = -1;
	brute_dfs(b, i + 1, count, score);
}

static void
brute_run(const struct inst *x, struct brute *b)
{
	memset(b, 0, sizeof *b);
	b->x = x;
	b->best_count = -1;
	b->target_count = -1;
	brute_dfs(b, 0, 0, 0);
	b->target_count = b->best_count;
	b->target_score = b->best_score;
	memset(b->used, 0, sizeof b->used);
	brute_dfs(b, 0, 0, 0);
}

static void
run(const struct inst *x, struct assign_result *res)
{
	struct sh_error err;

	memset(&err, 0, sizeof err);
	if (assign_batch(&x->p, NULL, 0, res, &err) != 0)
		fail_msg("assign_batch: %s", err.message);
	check_valid(x, res);
}

static const char *const cases[] = {NULL, "case-a", "case-b"};

static void
random_instance(struct inst *x)
{
	int ns = 1 + rnd_below(4), np = 1 + rnd_below(3), n = 1 + rnd_below(7);
	int s, q, i, k, m, t, pairs[MAXS * MAXP], npairs;
	static const double ties[] = {50, 62.5, 75, 80.25};

	inst_init(x, ns, np);
	/* ids not in index order, so the id tie-break is exercised */
	for (s = 0; s < ns; s++)
		snprintf(
		    x->ids[s], sizeof x->ids[s], "s%02d", (s * 7 + 3) % 11);
	for (s = 0; s < ns; s++)
		for (q = 0; q < np; q++)
			x->free[s][q] = rnd_below(4) == 0 ? 0 : rnd_below(3);
	x->n = n;
	x->p.nrequests = n;
	for (i = 0; i < n; i++) {
		npairs = 0;
		for (s = 0; s < ns; s++)
			for (q = 0; q < np; q++)
				pairs[npairs++] = s * MAXP + q;
		for (k = npairs - 1; k > 0; k--) {
			m = rnd_below(k + 1);
			t = pairs[k];
			pairs[k] = pairs[m];
			pairs[m] = t;
		}
		k = rnd_below((npairs < 5 ? npairs : 5) + 1);
		x->req[i].options = x->opt[i];
		x->req[i].noptions = k;
		for (m = 0; m < k; m++)
			x->opt[i][m] = (struct assign_option){pairs[m] / MAXP,
			    pairs[m] % MAXP,
			    rnd_below(2) ? ties[rnd_below(4)]
			                 : rnd_below(10001) / 100.0,
			    0};
		x->req[i].case_id = cases[rnd_below(3)];
		x->req[i].co_victims = (enum co_victims)rnd_below(3);
	}
}

static bool
has_apart(const struct inst *x)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->req[i].case_id != NULL &&
		    x->req[i].co_victims == CO_VICTIMS_APART)
			return true;
	return false;
}

/* Shuffle every request's options; choices are compared by place. */
static void
shuffle_options(struct inst *x)
{
	struct assign_option t;
	int i, k, m;

	for (i = 0; i < x->n; i++)
		for (k = x->req[i].noptions - 1; k > 0; k--) {
			m = rnd_below(k + 1);
			t = x->opt[i][k];
			x->opt[i][k] = x->opt[i][m];
			x->opt[i][m] = t;
		}
}

static void
same_places(const struct assign_result *a, const struct assign_result *b, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(a->choices[i].shelter, b->choices[i].shelter);
		assert_int_equal(a->choices[i].pool, b->choices[i].pool);
	}
}

static void
same_result(const struct assign_result *a, const struct assign_result *b, int n)
{
	int i;

	same_places(a, b, n);
	for (i = 0; i < n; i++)
		assert_int_equal(a->choices[i].option, b->choices[i].option);
	assert_int_equal(a->placed, b->placed);
	assert_true(a->score == b->score);
	assert_int_equal(a->exact, b->exact);
	assert_int_equal(a->nodes, b->nodes);
}

static void
test_random_vs_brute(void **state)
{
	static struct inst x;
	static struct brute b;
	struct assign_result res, res2;
	long long score;
	int it, i, lex = 0, withapart = 0;

	(void)state;
	rng_state = 0x5eed5eed12345678ULL;
	for (it = 0; it < NRAND; it++) {
		random_instance(&x);
		run(&x, &res);
		assert_true(res.exact);
		brute_run(&x, &b);
		score = 0;
		for (i = 0; i < x.n; i++)
			if (res.choices[i].option >= 0)
				score += hundredths(res.choices[i].score);
		if (res.placed != b.best_count || score != b.best_score)
			fail_msg("instance %d: placed %d score %lld, "
			         "exhaustive %d %lld",
			    it, res.placed, score, b.best_count, b.best_score);
		if (!has_apart(&x)) {
			/* Without apart, level 3 is exact too. */
			for (i = 0; i < x.n; i++)
				if (res.choices[i].option != b.best[i])
					fail_msg("instance %d: request %d "
					         "got option %d, best %d",
					    it, i, res.choices[i].option,
					    b.best[i]);
			lex++;
		} else {
			withapart++;
		}
		shuffle_options(&x);
		run(&x, &res2);
		same_places(&res, &res2, x.n);
	}
	print_message("%d instances: %d compared choice by choice, %d with "
	              "apart compared on count and score\n",
	    NRAND, lex, withapart);
}

/*
 * Two men ranked first take the crisis shelter's two places one by one;
 * the woman after them can only use the crisis shelter. Jointly, all three
 * are housed.
 */
static void
test_crisis_shelter(void **state)
{
	static struct inst x;
	struct assign_result res;

	(void)state;
	inst_init(&x, 2, 1);
	x.free[0][0] = 2; /* crisis */
	x.free[1][0] = 2; /* regular */
	inst_add(&x, 0, 0, 0, 80);
	inst_add(&x, 0, 1, 0, 70);
	inst_add(&x, 1, 0, 0, 80);
	inst_add(&x, 1, 1, 0, 70);
	inst_add(&x, 2, 0, 0, 60);
	run(&x, &res);
	assert_int_equal(res.placed, 3);
	assert_true(fabs(res.score - 210) < 1e-9);
	/* The earlier man keeps the crisis place. */
	assert_int_equal(res.choices[0].shelter, 0);
	assert_int_equal(res.choices[1].shelter, 1);
	assert_int_equal(res.choices[2].shelter, 0);
}

static void
test_capacity_exactly_full(void **state)
{
	static struct inst x;
	struct assign_result res;
	int i;

	(void)state;
	inst_init(&x, 1, 1);
	x.free[0][0] = 3;
	for (i = 0; i < 3; i++)
		inst_add(&x, i, 0, 0, 40 + i);
	run(&x, &res);
	assert_int_equal(res.placed, 3);
	/* One place fewer: the lowest score is left out. */
	x.free[0][0] = 2;
	run(&x, &res);
	assert_int_equal(res.placed, 2);
	assert_int_equal(res.choices[0].option, -1);
	assert_true(fabs(res.score - 83) < 1e-9);
}

static void
test_nobody_fits(void **state)
{
	static struct inst x;
	struct assign_result res;
	int i;

	(void)state;
	inst_init(&x, 2, 2);
	memset(x.free, 0, sizeof x.free);
	for (i = 0; i < 4; i++)
		inst_add(&x, i, i % 2, i / 2, 90);
	x.req[4].noptions = 0; /* one with no option at all */
	x.n = x.p.nrequests = 5;
	run(&x, &res);
	assert_int_equal(res.placed, 0);
	assert_true(res.score == 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(res.choices[i].option, -1);
		assert_int_equal(res.choices[i].shelter, -1);
	}
}

/* Five apart co-victims, three shelters with room for all: one each. */
static void
test_all_apart(void **state)
{
	static struct inst x;
	struct assign_result res;
	int i, s, q, seen[3] = {0};

	(void)state;
	inst_init(&x, 3, 2);
	for (s = 0; s < 3; s++)
		for (q = 0; q < 2; q++)
			x.free[s][q] = 5;
	for (i = 0; i < 5; i++) {
		for (s = 0; s < 3; s++)
			/* men's pool for some, women's for others, so the
			 * hubs alone do not settle it */
			inst_add(&x, i, s, i % 2, 50 + 10 * s + i);
		x.req[i].case_id = "raid-7";
		x.req[i].co_victims = CO_VICTIMS_APART;
	}
	run(&x, &res);
	assert_true(res.exact);
	assert_int_equal(res.placed, 3);
	for (i = 0; i < 5; i++)
		if (res.choices[i].shelter >= 0)
			seen[res.choices[i].shelter]++;
	for (s = 0; s < 3; s++)
		assert_int_equal(seen[s], 1);
	/* The best three: the highest scores are the later requests. */
	assert_true(fabs(res.score - (74 + 63 + 52)) < 1e-9);
}

/* One apart member with two others of its case: it goes alone. */
static void
test_mixed_apart(void **state)
{
	static struct inst x;
	struct assign_result res;
	int i;

	(void)state;
	inst_init(&x, 2, 1);
	x.free[0][0] = 3;
	x.free[1][0] = 3;
	for (i = 0; i < 3; i++) {
		inst_add(&x, i, 0, 0, 90);
		inst_add(&x, i, 1, 0, 60);
		x.req[i].case_id = "raid-9";
	}
	x.req[1].co_victims = CO_VICTIMS_APART;
	run(&x, &res);
	assert_int_equal(res.placed, 3);
	assert_int_equal(res.choices[0].shelter, res.choices[2].shelter);
	assert_int_not_equal(res.choices[0].shelter, res.choices[1].shelter);
	assert_true(fabs(res.score - 240) < 1e-9);
}

/*
 * A raid's shape: one case, a single apart member among many who do not
 * say apart, everyone preferring the same shelters. Settling the apart
 * member's conflicts one co-victim at a time needs a node for every
 * subset of co-victims kept off its shelter; the search must instead
 * keep all of them off at once (or the apart member), and stay exact
 * well inside a small cap.
 */
static void
test_one_apart_among_many(void **state)
{
	static struct inst x;
	static struct brute b;
	struct assign_result res;
	long long score;
	int it, i, s, a;

	(void)state;
	rng_state = 0xa9a27ULL;
	for (it = 0; it < 40; it++) {
		inst_init(&x, 4, 2);
		for (s = 0; s < 4; s++) {
			x.free[s][0] = 1 + rnd_below(3);
			x.free[s][1] = rnd_below(2);
		}
		x.n = x.p.nrequests = 9;
		a = rnd_below(9);
		for (i = 0; i < 9; i++) {
			x.req[i].options = x.opt[i];
			x.req[i].noptions = 0;
			for (s = 0; s < 4; s++) {
				/* shelter 0 best for all, then 1, 2, 3 */
				double sc =
				    90 - 12 * s + rnd_below(800) / 100.0;

				inst_add(&x, i, s, 0, sc);
				if (i % 3 == 0)
					inst_add(&x, i, s, 1, sc);
			}
			x.req[i].case_id = "raid-12";
			x.req[i].co_victims =
			    i == a ? CO_VICTIMS_APART : CO_VICTIMS_ANY;
		}
		x.p.max_nodes = 40;
		run(&x, &res);
		brute_run(&x, &b);
		score = 0;
		for (i = 0; i < x.n; i++)
			if (res.choices[i].option >= 0)
				score += hundredths(res.choices[i].score);
		if (!res.exact || res.placed != b.best_count ||
		    score != b.best_score)
			fail_msg("instance %d: placed %d score %lld exact %d "
			         "after %ld nodes, exhaustive %d %lld",
			    it, res.placed, score, res.exact, res.nodes,
			    b.best_count, b.best_score);
	}
}

/*
 * Equal scores: a together request follows its co-victim; the same request
 * with "any" takes the pool with more free places.
 */
static void
test_together(void **state)
{
	static struct inst x;
	struct assign_result res;
	int i;

	(void)state;
	inst_init(&x, 2, 2);
	x.free[0][0] = 3;
	x.free[0][1] = 1;
	x.free[1][0] = 2;
	x.sh[1].npools = 1;
	inst_add(&x, 0, 1, 0, 50); /* free 2: ranked first */
	inst_add(&x, 0, 0, 1, 50);
	inst_add(&x, 1, 0, 0, 50); /* free 3: ranked first */
	inst_add(&x, 1, 1, 0, 50);
	for (i = 0; i < 2; i++)
		x.req[i].case_id = "raid-3";
	run(&x, &res);
	assert_int_equal(res.choices[0].shelter, 1);
	assert_int_equal(res.choices[1].shelter, 0);
	for (i = 0; i < 2; i++)
		x.req[i].co_victims = CO_VICTIMS_TOGETHER;
	run(&x, &res);
	assert_int_equal(res.choices[0].shelter, 1);
	assert_int_equal(res.choices[1].shelter, 1);
	/* Togetherness never costs score. */
	x.opt[1][1].score = 49;
	run(&x, &res);
	assert_int_equal(res.choices[1].shelter, 0);
}

/*
 * Together pays: scored alone T1 takes s0 and T2 s1, its best alone; with
 * the together scores both at s0 total more, so T2 joins T1 there. Not
 * when s0 has no second place, and never at a cost to the total.
 */
static void
test_together_pays(void **state)
{
	static struct inst x;
	struct assign_result res;
	int i;

	(void)state;
	inst_init(&x, 2, 1);
	x.free[0][0] = 3;
	x.free[1][0] = 3;
	inst_add(&x, 0, 0, 0, 75);
	inst_add(&x, 1, 0, 0, 72);
	inst_add(&x, 1, 1, 0, 78);
	for (i = 0; i < 2; i++) {
		x.req[i].case_id = "raid-4";
		x.req[i].co_victims = CO_VICTIMS_TOGETHER;
	}
	run(&x, &res);
	assert_int_equal(res.choices[1].shelter, 1); /* no together scores */
	assert_false(res.choices[0].together || res.choices[1].together);
	x.opt[0][0].together = 90;
	x.opt[1][0].together = 88;
	x.opt[1][1].together = 95; /* nobody of the case can be at s1 */
	run(&x, &res);
	assert_int_equal(res.choices[0].shelter, 0);
	assert_int_equal(res.choices[1].shelter, 0);
	assert_true(res.choices[0].together && res.choices[1].together);
	assert_true(fabs(res.score - 178) < 1e-9);
	/* Worth less than apart: 75 + 78 = 153 beats 75 + 74. */
	x.opt[0][0].together = 75;
	x.opt[1][0].together = 74;
	run(&x, &res);
	assert_int_equal(res.choices[1].shelter, 1);
	assert_true(fabs(res.score - 153) < 1e-9);
	/* No second place at s0: they stay apart, both placed. */
	x.opt[0][0].together = 90;
	x.opt[1][0].together = 88;
	x.free[0][0] = 1;
	run(&x, &res);
	assert_int_equal(res.placed, 2);
	assert_int_equal(res.choices[1].shelter, 1);
	/* A member of another mode is not moved, nor counted as kin. */
	x.free[0][0] = 3;
	x.req[1].co_victims = CO_VICTIMS_ANY;
	run(&x, &res);
	assert_int_equal(res.choices[1].shelter, 1);
	assert_false(res.choices[0].together);
}

/* On random batches together scores never cost a place or lower the
 * total, and every result stays valid (run checks capacity and apart). */
static void
test_together_random(void **state)
{
	static struct inst x;
	struct assign_result base, res;
	int it, i, k, moved = 0;
	double t;

	(void)state;
	rng_state = 0x70637e7e0dd5ULL;
	for (it = 0; it < NRAND; it++) {
		random_instance(&x);
		run(&x, &base);
		for (i = 0; i < x.n; i++)
			for (k = 0; k < x.req[i].noptions; k++) {
				t = x.opt[i][k].score + rnd_below(30);
				x.opt[i][k].together = t > 100 ? 100 : t;
			}
		run(&x, &res);
		assert_int_equal(res.placed, base.placed);
		assert_true(res.score >= base.score - 1e-9);
		for (i = 0; i < x.n; i++)
			moved +=
			    res.choices[i].shelter != base.choices[i].shelter;
	}
	assert_true(moved > 0); /* the pass did something */
}

static void
big_instance(struct inst *x, int n, int ns, int per)
{
	int i, k, s, q;

	inst_init(x, ns, 3);
	for (s = 0; s < ns; s++)
		for (q = 0; q < 3; q++)
			x->free[s][q] = rnd_below(3);
	x->n = x->p.nrequests = n;
	for (i = 0; i < n; i++) {
		x->req[i].options = x->opt[i];
		/* a stride walk: distinct (shelter, pool) pairs */
		s = rnd_below(ns);
		for (k = 0; k < per; k++) {
			q = (s + k) % (ns * 3);
			x->opt[i][k] = (struct assign_option){
			    q / 3, q % 3, rnd_below(8001) / 100.0 + 20, 0};
		}
		x->req[i].noptions = per;
		x->req[i].case_id = i % 3 == 0 ? NULL : cases[1 + i % 2];
		x->req[i].co_victims =
		    (enum co_victims)(i % 7 == 0 ? CO_VICTIMS_APART
		            : i % 5 == 0         ? CO_VICTIMS_TOGETHER
		                                 : CO_VICTIMS_ANY);
	}
}

static void
test_determinism(void **state)
{
	static struct inst x;
	struct assign_result a, b;

	(void)state;
	rng_state = 42;
	big_instance(&x, 20, 8, 12);
	run(&x, &a);
	run(&x, &b);
	same_result(&a, &b, x.n);
	shuffle_options(&x);
	run(&x, &b);
	same_places(&a, &b, x.n);
	assert_int_equal(a.placed, b.placed);
	assert_true(fabs(a.score - b.score) < 1e-9);
}

static void
fifty(const char *what, struct inst *x)
{
	struct assign_result res;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(x, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("n=50, %s: %d placed, score %.2f, %ld nodes, exact %d, "
	              "%.1f ms\n",
	    what, res.placed, res.score, res.nodes, res.exact,
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_true(res.placed > 0);
}

static void
test_fifty(void **state)
{
	static struct inst x;
	int s, q, i;

	(void)state;
	rng_state = 7;
	big_instance(&x, 50, 60, 150);
	fifty("150 options each over 180 pools", &x);
	/* Scarce: about 30 places for 50 people. */
	for (s = 0; s < x.ns; s++)
		for (q = 0; q < 3; q++)
			x.free[s][q] = rnd_below(6) == 0;
	fifty("150 options each, about 30 places", &x);
	/* One raid, every third co-victim apart. */
	for (i = 0; i < x.n; i++) {
		x.req[i].case_id = "raid-1";
		x.req[i].co_victims =
		    i % 3 == 0 ? CO_VICTIMS_APART : CO_VICTIMS_ANY;
	}
	fifty("one case, a third apart, about 30 places", &x);
	for (i = 0; i < x.n; i++)
		x.req[i].co_victims = CO_VICTIMS_APART;
	fifty("one case, all apart, about 30 places", &x);
}

static void
test_invalid(void **state)
{
	static struct inst x;
	struct assign_result res;
	struct sh_error err;
	char small[16];

	(void)state;
	inst_init(&x, 1, 1);
	inst_add(&x, 0, 0, 0, 50);
	inst_add(&x, 1, 0, 3, 50);
	assert_int_equal(assign_batch(&x.p, NULL, 0, &res, &err), -1);
	assert_int_equal(err.code, SH_INVALID_PARAMS);
	assert_string_equal(err.field, "requests.1.options.0.pool");
	x.opt[1][0].pool = 0;
	inst_add(&x, 1, 0, 0, 40);
	assert_int_equal(assign_batch(&x.p, NULL, 0, &res, &err), -1);
	assert_string_equal(err.field, "requests.1.options.1");
	x.req[1].noptions = 1;
	x.opt[1][0].score = 101;
	assert_int_equal(assign_batch(&x.p, NULL, 0, &res, &err), -1);
	assert_string_equal(err.field, "requests.1.options.0.score");
	x.opt[1][0].score = 10;
	assert_int_equal(
	    assign_batch(&x.p, small, sizeof small, &res, &err), -1);
	assert_int_equal(err.code, SH_INTERNAL);
	x.p.nrequests = 0;
	assert_int_equal(assign_batch(&x.p, NULL, 0, &res, &err), -1);
	assert_string_equal(err.field, "requests");
}

/* A caller-provided workspace gives the same answer as the own block. */
static void
test_caller_workspace(void **state)
{
	static struct inst x;
	static char work[1 << 20];
	struct assign_result a, b;
	struct sh_error err;
	size_t need;

	(void)state;
	rng_state = 99;
	big_instance(&x, 30, 10, 20);
	need = assign_work_size(&x.p);
	assert_true(need <= sizeof work);
	run(&x, &a);
	assert_int_equal(assign_batch(&x.p, work, need, &b, &err), 0);
	same_result(&a, &b, x.n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_vs_brute),
	    cmocka_unit_test(test_crisis_shelter),
	    cmocka_unit_test(test_capacity_exactly_full),
	    cmocka_unit_test(test_nobody_fits),
	    cmocka_unit_test(test_all_apart),
	    cmocka_unit_test(test_mixed_apart),
	    cmocka_unit_test(test_one_apart_among_many),
	    cmocka_unit_test(test_together),
	    cmocka_unit_test(test_together_pays),
	    cmocka_unit_test(test_together_random),
	    cmocka_unit_test(test_determinism),
	    cmocka_unit_test(test_fifty),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_caller_workspace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
