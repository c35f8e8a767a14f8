/*
 * test_match_top.c: match_run_top gives the first k candidates of the full
 * ranking (match_run), field by field, on random tables and requests: in
 * table order or not, with many ties or few, after live counts and whole
 * shelters changed in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/match.h"

#define LANG(a, b) ((lang_t)((a) << 8 | (b)))
#define MAXS       700   /* several blocks of the index */
#define DAY        20000 /* "today" of the random tables */

static uint64_t state;

/* splitmix64: the same sequence everywhere. */
static uint64_t
next(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
rnd(int lo, int hi)
{
	return lo + (int)(next() % (uint64_t)(hi - lo + 1));
}

/* plain: few distinct values, so the ranking has long runs of ties. */
static void
make_pool(struct pool *p, bool plain)
{
	snprintf(p->name, sizeof p->name, "p%d", rnd(0, 5));
	p->genders = plain ? 1u << GENDER_F | 1u << GENDER_X
	                   : (unsigned)rnd(0, (1 << GENDER_COUNT) - 1);
	p->min_age = !plain && rnd(0, 3) == 0 ? rnd(0, 17) : 18;
	p->max_age = !plain && rnd(0, 3) == 0 ? rnd(17, 30) : 120;
	p->children_max = rnd(0, 3);
	p->boys_max_age = rnd(6, 17);
	p->total = plain ? 8 + rnd(0, 1) : rnd(0, 6);
	p->occupied = plain ? 0 : rnd(0, p->total);
	p->held = rnd(0, 1);
	p->expected = rnd(0, 3) == 0;
}

static void
make_shelter(struct shelter *s, int i, bool plain)
{
	static const unsigned plain_care[] = {
	    0, 1u << CARE_TRAUMA, 1u << CARE_PSYCHIATRIC | 1u << CARE_TRAUMA};
	int k;

	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "s-%04d", i);
	s->program = (enum program)rnd(0, PROGRAM_COUNT - 1);
	s->location.lat = 51.0 + rnd(0, 2000) / 1000.0;
	s->location.lon = 4.0 + rnd(0, 2500) / 1000.0;
	s->care = plain ? plain_care[rnd(0, 2)]
	                : (unsigned)rnd(0, (1 << CARE_COUNT) - 1) &
	        (unsigned)rnd(0, (1 << CARE_COUNT) - 1);
	if (plain) {
		s->languages[s->nlanguages++] = LANG('n', 'l');
		s->languages[s->nlanguages++] = LANG('e', 'n');
	} else
		for (k = rnd(0, 3); k > 0; k--)
			s->languages[s->nlanguages++] = rnd(0, 2) == 0
			    ? LANG('n', 'l')
			    : rnd(0, 1)
			    ? LANG('e', 'n')
			    : LANG('a' + rnd(0, 25), 'a' + rnd(0, 25));
	s->security = (enum security)rnd(0, SECURITY_SECRET);
	s->intake_open = rnd(0, 9) > 0;
	s->updated_at =
	    (long long)DAY * 86400000 - (plain ? 0 : rnd(0, 72)) * 3600000LL;
	s->version = 1;
	for (k = rnd(plain ? 1 : 0, 4); k > 0; k--)
		make_pool(&s->pools[s->npools++], plain);
}

static void
make_request(struct request *r)
{
	int k;

	memset(r, 0, sizeof *r);
	strcpy(r->ref, "R-1");
	r->program = rnd(0, 3) > 0 ? PROGRAM_ANY
	    : rnd(0, 1)            ? PROGRAM_COSM
	                           : PROGRAM_OMM;
	r->gender = (enum gender)rnd(0, GENDER_COUNT - 1);
	r->age = rnd(0, 4) == 0 ? rnd(12, 17) : rnd(18, 60);
	for (k = rnd(0, 2); k > 0; k--)
		r->languages[r->nlanguages++] = rnd(0, 1) ? LANG('n', 'l')
		    : rnd(0, 1)                           ? LANG('e', 'n')
		                                          : LANG('r', 'o');
	for (k = rnd(0, 3) == 0 ? rnd(1, 3) : 0; k > 0; k--) {
		r->children[r->nchildren].age = rnd(0, 17);
		r->children[r->nchildren].gender = (enum gender)rnd(0, 1);
		r->children[r->nchildren++].has_gender = rnd(0, 1);
	}
	if (rnd(0, 3) == 0)
		r->needs = 1u << rnd(0, CARE_COUNT - 1);
	if (rnd(0, 2) == 0)
		r->prefers = 1u << rnd(0, CARE_COUNT - 1);
	if ((r->has_exploitation_location = rnd(0, 1))) {
		r->exploitation_location.lat = 51.0 + rnd(0, 2000) / 1000.0;
		r->exploitation_location.lon = 4.0 + rnd(0, 2500) / 1000.0;
	}
	if ((r->has_safety = rnd(0, 1))) {
		r->min_distance_km = rnd(0, 40);
		r->min_security = (enum security)rnd(0, SECURITY_SECRET);
	}
	if (rnd(0, 2) == 0) {
		strcpy(r->case_id, "CASE-1");
		r->co_victims = (enum co_victims)rnd(0, 2);
	}
	if ((r->has_preferred_location = rnd(0, 1))) {
		r->preferred_location.lat = 51.0 + rnd(0, 2000) / 1000.0;
		r->preferred_location.lon = 4.0 + rnd(0, 2500) / 1000.0;
	}
	r->urgency = (enum urgency)rnd(0, 2);
	r->residence = (enum residence)rnd(0, RESIDENCE_COUNT - 1);
}

/* Shelter ids for the request's input, kept until it is explained. */
struct ids {
	char text[3][8][12];
	const char *v[3][8];
};

static void
make_input(struct ids *ids, struct match_input *in, size_t ns)
{
	size_t n[3], k;
	int l;

	memset(ids, 0, sizeof *ids);
	for (l = 0; l < 3; l++) {
		n[l] = (size_t)(rnd(0, 2) == 0 ? rnd(1, 8) : 0);
		for (k = 0; k < n[l]; k++) {
			snprintf(ids->text[l][k], sizeof ids->text[l][k],
			    "s-%04d", rnd(0, (int)ns + 2));
			ids->v[l][k] = ids->text[l][k];
		}
	}
	in->rejected = n[0] ? ids->v[0] : NULL;
	in->nrejected = n[0];
	in->case_shelters = n[1] ? ids->v[1] : NULL;
	in->ncase_shelters = n[1];
	in->case_apart = n[2] ? ids->v[2] : NULL;
	in->ncase_apart = n[2];
}

static char *
dump(json_t *j)
{
	char *out;

	assert_non_null(j);
	out = json_dumps(j, JSON_REAL_PRECISION(15) | JSON_COMPACT);
	json_decref(j);
	assert_non_null(out);
	return out;
}

/* top holds the first k candidates of full, field by field. */
static void
same_first(
    const struct match_result *full, const struct match_result *top, size_t k)
{
	const struct match_candidate *x, *y;
	size_t i, want = full->ncandidates < k ? full->ncandidates : k;

	assert_int_equal(top->ncandidates, want);
	assert_int_equal(top->eligible, want);
	assert_int_equal(top->total, full->total);
	for (i = 0; i < want; i++) {
		x = &full->candidates[i];
		y = &top->candidates[i];
		assert_string_equal(x->shelter->id, y->shelter->id);
		assert_ptr_equal(x->shelter, y->shelter);
		assert_int_equal(x->pool, y->pool);
		assert_int_equal(x->npools, y->npools);
		assert_memory_equal(
		    x->pools, y->pools, x->npools * sizeof(int));
		assert_int_equal(x->score, y->score);
		assert_memory_equal(x->scores, y->scores, sizeof x->scores);
		assert_int_equal(x->free, y->free);
		assert_memory_equal(
		    x->distance_km, y->distance_km, sizeof x->distance_km);
	}
}

/* One random request both ways; now and then its explanation too. */
static void
one_request(const struct shelter *const *p, size_t n,
    const struct match_index *idx, const struct match_options *opt,
    struct match_result *full, struct match_result *top)
{
	struct request r;
	struct match_input in = {0};
	struct ids ids;
	bool with_in = rnd(0, 3) > 0;
	size_t k = (size_t)(rnd(0, 3) == 0 ? rnd(1, 3) : rnd(15, 40));
	char *e1, *e2;

	make_request(&r);
	if (with_in)
		make_input(&ids, &in, n);
	assert_int_equal(
	    match_run(p, n, &r, with_in ? &in : NULL, opt, full), 0);
	assert_int_equal(
	    match_run_top(idx, p, n, &r, with_in ? &in : NULL, opt, k, top), 0);
	same_first(full, top, k);
	if (rnd(0, 7) > 0)
		return;
	/* The explanation still counts every shelter, from copies. */
	memset(&ids.text, 'x', sizeof ids.text);
	memset(&r, 0, sizeof r);
	e1 = dump(match_explanation_json(full));
	e2 = dump(match_explanation_json(top));
	assert_string_equal(e1, e2);
	free(e1);
	free(e2);
}

static void
random_options(struct match_options *opt)
{
	int k;

	match_options_default(opt);
	opt->now_ms = (long long)DAY * 86400000 + 3600000;
	/* A clock before the reports (h < 0: fresh) or far after them. */
	if (rnd(0, 5) == 0)
		opt->now_ms = rnd(0, 1) ? (long long)rnd(0, 100) * 3600000
		                        : opt->now_ms + rnd(0, 100) * 3600000LL;
	if (rnd(0, 3) == 0)
		for (k = 0; k < PROGRAM_COUNT; k++)
			opt->reserve[k] = rnd(0, 1) ? rnd(1, 400) : 0;
	if (rnd(0, 2) == 0)
		for (k = 0; k < SCORER_COUNT; k++)
			opt->weights[k] = rnd(0, 3);
	if (rnd(0, 3) == 0)
		opt->weights[SCORER_SCARCITY] = 0;
	for (k = 0; k < SCORER_COUNT; k++)
		if (opt->weights[k] > 0)
			return;
	opt->weights[SCORER_LANGUAGE] = 1;
}

/* Take or give back a place in a random pool of s, as holds do. */
static void
change_counts(struct shelter *s)
{
	struct pool *p;

	if (s->npools == 0)
		return;
	p = &s->pools[rnd(0, s->npools - 1)];
	if (rnd(0, 1) && p->held > 0)
		p->held--;
	else if (p->occupied + p->held < p->total)
		p->held++;
	else if (p->occupied > 0)
		p->occupied--;
}

static void
test_top_same_as_full(void **unused)
{
	static struct shelter s[MAXS];
	const struct shelter *p[MAXS], *t;
	struct match_index idx;
	struct match_options opt;
	struct match_result full, top;
	unsigned seed;
	size_t n, i, j, pos;
	bool plain;
	int q;

	(void)unused;
	match_index_init(&idx);
	match_result_init(&full);
	match_result_init(&top);
	for (seed = 1; seed <= 60; seed++) {
		state = seed;
		n = (size_t)(seed % 20 == 0 ? rnd(0, 3) : rnd(60, MAXS));
		plain = seed % 3 == 0;
		for (i = 0; i < n; i++) {
			make_shelter(&s[i], (int)i, plain);
			p[i] = &s[i];
		}
		/* Not in id order: ties are still broken by id. */
		if (seed % 4 == 1)
			for (i = n; i > 1; i--) {
				j = (size_t)rnd(0, (int)i - 1);
				t = p[i - 1];
				p[i - 1] = p[j];
				p[j] = t;
			}
		random_options(&opt);
		assert_int_equal(match_index_build(&idx, p, n), 0);
		for (q = 0; q < 25; q++)
			one_request(p, n, &idx, &opt, &full, &top);
		if (n == 0)
			continue;
		/* Live counts change: the index is told. */
		for (q = 0; q < 60; q++) {
			pos = (size_t)rnd(0, (int)n - 1);
			change_counts((struct shelter *)p[pos]);
			match_index_counts(&idx, pos, p[pos]);
			if (q % 6 == 0)
				one_request(p, n, &idx, &opt, &full, &top);
		}
		/* A shelter changed in place, indexed again. */
		for (q = 0; q < 4; q++) {
			pos = (size_t)rnd(0, (int)n - 1);
			t = p[pos];
			make_shelter((struct shelter *)t, (int)(t - s),
			    plain && rnd(0, 1));
			match_index_set(&idx, pos, t);
			one_request(p, n, &idx, &opt, &full, &top);
		}
	}
	match_result_free(&full);
	match_result_free(&top);
	match_index_free(&idx);
}

/* Without an index of this table: the full ranking, cut to k. */
static void
test_top_without_index(void **unused)
{
	static struct shelter s[40];
	const struct shelter *p[40];
	struct match_index idx;
	struct match_options opt;
	struct match_result full, top;
	struct request r;
	size_t i;
	int q;

	(void)unused;
	state = 7;
	for (i = 0; i < 40; i++) {
		make_shelter(&s[i], (int)i, true);
		p[i] = &s[i];
	}
	match_options_default(&opt);
	opt.now_ms = (long long)DAY * 86400000;
	match_index_init(&idx);
	match_result_init(&full);
	match_result_init(&top);
	assert_int_equal(match_index_build(&idx, p, 39), 0);
	for (q = 0; q < 20; q++) {
		make_request(&r);
		assert_int_equal(match_run(p, 40, &r, NULL, &opt, &full), 0);
		assert_int_equal(
		    match_run_top(NULL, p, 40, &r, NULL, &opt, 3, &top), 0);
		same_first(&full, &top, 3);
		assert_int_equal(
		    match_run_top(&idx, p, 40, &r, NULL, &opt, 5, &top), 0);
		same_first(&full, &top, 5);
	}
	match_result_free(&full);
	match_result_free(&top);
	match_index_free(&idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_top_same_as_full),
	    cmocka_unit_test(test_top_without_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
