/* test_claims.c: the places a waitlist pass claimed (lib/claims.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/claims.h"

#define NSHELTERS 100

static struct shelter sh[NSHELTERS]; /* large: not on the stack */

/* Shelter i with pools of the given free places (total only). */
static void
shelter_free(int i, int npools, const int *free)
{
	int k;

	memset(&sh[i], 0, sizeof sh[i]);
	sh[i].npools = npools;
	for (k = 0; k < npools; k++)
		sh[i].pools[k].total = free[k];
}

/* A candidate at shelter i with pools p[0..n). */
static struct match_candidate
cand(int i, int n, const int *p)
{
	struct match_candidate c = {.shelter = &sh[i], .pool = p[0]};

	memcpy(c.pools, p, (size_t)n * sizeof *p);
	c.npools = n;
	return c;
}

static void
test_one_place_goes_to_one_request(void **state)
{
	static const int one[] = {1}, p0[] = {0};
	struct match_candidate v[1];
	struct match_result res = {.candidates = v, .ncandidates = 1};
	struct claims c = {0};

	shelter_free(0, 1, one);
	v[0] = cand(0, 1, p0);
	claims_reset(&c, 1);
	assert_false(claims_exhausted(&c));
	assert_int_equal(claims_take(&c, &res), 0);
	assert_true(claims_exhausted(&c));
	assert_int_equal(claims_take(&c, &res), -1); /* claimed: skipped */
	assert_int_equal(c.skipped, 1);
	/* The hold comes back into the table meanwhile: not counted twice,
	 * the claim keeps what the table had when it was made. */
	sh[0].pools[0].held = 1;
	assert_int_equal(claims_take(&c, &res), -1);
	claims_reset(&c, 0);
	assert_int_equal(c.skipped, 0);
	assert_true(claims_exhausted(&c));
	claims_free(&c);
}

static void
test_next_place_of_the_ranking(void **state)
{
	static const int two[] = {1, 2}, p10[] = {1, 0}, p0[] = {0};
	struct match_candidate v[2];
	struct match_result res = {.candidates = v, .ncandidates = 2};
	struct claims c = {0};
	int i;

	shelter_free(0, 2, two);
	shelter_free(1, 1, two);
	v[0] = cand(0, 2, p10); /* pool 1 (2 free) first, then pool 0 (1) */
	v[1] = cand(1, 1, p0);  /* 1 free */
	claims_reset(&c,
	    claims_free_total(
	        (const struct shelter *const[]){&sh[0], &sh[1]}, 2));
	assert_int_equal(c.left, 4);
	for (i = 0; i < 3; i++)
		assert_int_equal(claims_take(&c, &res), 0); /* 2 + 1 at sh0 */
	assert_int_equal(claims_take(&c, &res), 1);
	assert_true(claims_exhausted(&c));
	assert_int_equal(claims_take(&c, &res), -1);
	claims_free(&c);
}

static void
test_many_claims_and_full_pools(void **state)
{
	static const int free3[] = {3}, none[] = {-2}, p0[] = {0};
	const struct shelter *all[NSHELTERS];
	struct match_candidate v[NSHELTERS];
	struct match_result res = {.candidates = v};
	struct claims c = {0};
	int i, n = 0;

	for (i = 0; i < NSHELTERS; i++) {
		/* Every tenth overbooked: below zero counts as none. */
		shelter_free(i, 1, i % 10 == 0 ? none : free3);
		all[i] = &sh[i];
		v[i] = cand(i, 1, p0);
	}
	res.ncandidates = NSHELTERS;
	claims_reset(&c, claims_free_total(all, NSHELTERS));
	assert_int_equal(c.left, 90 * 3);
	while (claims_take(&c, &res) >= 0)
		n++;
	assert_int_equal(n, 90 * 3); /* the table grew past its first size */
	assert_true(claims_exhausted(&c));
	assert_int_equal(c.n, 90);
	claims_free(&c);
}

/* matching.reserve over a pass: with 3 free places of a program and 1
 * reserved, two claims of requests the reserve applies to, not three;
 * a program without a reserve is untouched. */
static void
test_reserve_across_a_pass(void **state)
{
	static const int three[] = {3}, two[] = {2}, p0[] = {0};
	const struct shelter *all[2] = {&sh[0], &sh[1]};
	struct match_candidate v[2];
	struct match_result res;
	struct claims c = {0};
	int reserve[PROGRAM_COUNT] = {0}, i, n = 0;

	shelter_free(0, 1, three);
	shelter_free(1, 1, two);
	sh[0].program = PROGRAM_CRISIS;
	sh[1].program = PROGRAM_COSM;
	sh[0].intake_open = sh[1].intake_open = true;
	reserve[PROGRAM_CRISIS] = 1;
	claims_reset(&c, claims_free_total(all, 2));
	claims_count_programs(&c, all, 2);
	assert_int_equal(c.program_left[PROGRAM_CRISIS], 3);
	for (i = 0; i < 3; i++) {
		v[0] = cand(0, 1, p0);
		res = (struct match_result){.candidates = v, .ncandidates = 1};
		if (claims_keep_reserve(&c, &res, reserve) > 0 &&
		    claims_take(&c, &res) == 0)
			n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(c.program_left[PROGRAM_CRISIS], 1);
	/* The crisis shelter is dropped, the COSM one kept, in order. */
	v[0] = cand(0, 1, p0);
	v[1] = cand(1, 1, p0);
	res = (struct match_result){.candidates = v, .ncandidates = 2};
	assert_int_equal(claims_keep_reserve(&c, &res, reserve), 1);
	assert_ptr_equal(res.candidates[0].shelter, &sh[1]);
	sh[0].program = sh[1].program = 0;
	claims_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_place_goes_to_one_request),
	    cmocka_unit_test(test_next_place_of_the_ranking),
	    cmocka_unit_test(test_many_claims_and_full_pools),
	    cmocka_unit_test(test_reserve_across_a_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
