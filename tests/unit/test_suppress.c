/*
 * test_suppress.c: small-cell protection (lib/suppress.c).
 *
 * The proof that no suppressed count can be derived: on random 2 x 3
 * tables a brute force, independent of the library's linear program,
 * enumerates every table that agrees with what is published (each
 * suppressed cell from 1 to BOX, margins and total summed from the cells)
 * and finds each suppressed entry's range. Restricting the cells to a box
 * only narrows ranges, so a range of at least min_cell found here is at
 * least that wide for an attacker too. Larger random tables (three
 * dimensions, realistic counts) are audited with suppress_range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/suppress.h"

#define BOX 10

/* Every primary suppressed, every zero published, the counts unchanged. */
static void
check_flags(
    const struct suppress_table *t, const long long *before, long long min_cell)
{
	size_t e;

	for (e = 0; e < t->nentries; e++) {
		assert_int_equal(t->count[e], before[e]);
		if (t->count[e] == 0)
			assert_false(t->suppressed[e]);
		else if (t->count[e] < min_cell)
			assert_true(t->suppressed[e]);
	}
}

/* Every suppressed entry's range spans at least min_cell (library LP). */
static void
check_ranges_lp(const struct suppress_table *t, long long min_cell)
{
	long long lo, hi;
	size_t e;

	for (e = 0; e < t->nentries; e++) {
		assert_int_equal(suppress_range(t, e, &lo, &hi), 0);
		if (!t->suppressed[e]) {
			assert_int_equal(lo, t->count[e]);
			assert_int_equal(hi, t->count[e]);
			continue;
		}
		assert_true(lo <= t->count[e]);
		assert_true(hi == -1 || hi >= t->count[e]);
		if (hi != -1 && hi - lo < min_cell)
			fail_msg("entry %zu (count %lld) lies in [%lld, %lld]",
			    e, t->count[e], lo, hi);
	}
}

/* Brute force over a 2 x 3 table: ranges of every entry in bmin/bmax. */
struct brute {
	const struct suppress_table *t;
	long long x[6];
	long long bmin[12], bmax[12];
	long long feasible;
};

static void
brute_rec(struct brute *b, int c)
{
	const struct suppress_table *t = b->t;
	long long v[12], lo = 1, hi = BOX;
	int i, k;

	if (c == 6) {
		memset(v, 0, sizeof v);
		for (i = 0; i < 6; i++) {
			v[i] = b->x[i];
			v[6 + i / 3] += b->x[i];
			v[8 + i % 3] += b->x[i];
			v[11] += b->x[i];
		}
		for (k = 6; k < 12; k++)
			if (!t->suppressed[k] && v[k] != t->count[k])
				return;
		b->feasible++;
		for (k = 0; k < 12; k++) {
			if (v[k] < b->bmin[k])
				b->bmin[k] = v[k];
			if (v[k] > b->bmax[k])
				b->bmax[k] = v[k];
		}
		return;
	}
	if (!t->suppressed[c])
		lo = hi = t->count[c];
	for (b->x[c] = lo; b->x[c] <= hi; b->x[c]++) {
		/* A finished row must meet its published margin. */
		if (c % 3 == 2 && !t->suppressed[6 + c / 3] &&
		    b->x[c - 2] + b->x[c - 1] + b->x[c] != t->count[6 + c / 3])
			continue;
		brute_rec(b, c + 1);
	}
}

static void
test_random_2x3_brute_force(void **state)
{
	const int sizes[2] = {2, 3};
	const long long min_cell = 3;
	struct suppress_table t;
	long long before[12];
	int round, key[2], i, nsup = 0;
	struct brute b;
	size_t e;

	srand(7);
	for (round = 0; round < 40; round++) {
		assert_int_equal(suppress_init(&t, 2, sizes), 0);
		assert_int_equal(t.nentries, 12);
		for (i = 0; i < 6; i++) {
			key[0] = i / 3;
			key[1] = i % 3;
			suppress_add(&t, key, rand() % 9);
		}
		memcpy(before, t.count, sizeof before);
		assert_int_equal(suppress_protect(&t, min_cell), 0);
		check_flags(&t, before, min_cell);
		memset(&b, 0, sizeof b);
		b.t = &t;
		for (e = 0; e < 12; e++) {
			b.bmin[e] = 1000;
			b.bmax[e] = -1;
		}
		brute_rec(&b, 0);
		assert_true(
		    b.feasible >= 1); /* the true table, if in the box */
		for (e = 0; e < 12; e++) {
			if (!t.suppressed[e])
				continue;
			nsup++;
			if (b.bmax[e] - b.bmin[e] < min_cell)
				fail_msg(
				    "round %d: entry %zu (count %lld) lies "
				    "in [%lld, %lld]",
				    round, e, t.count[e], b.bmin[e], b.bmax[e]);
		}
		check_ranges_lp(&t, min_cell);
		suppress_free(&t);
	}
	assert_true(nsup > 40); /* the tables did exercise suppression */
}

static void
test_random_3d_lp(void **state)
{
	const int sizes[3] = {3, 4, 2};
	const long long min_cell = 10;
	struct suppress_table t;
	long long *before;
	int round, key[3];
	size_t c, nsec = 0, e;

	srand(11);
	for (round = 0; round < 25; round++) {
		assert_int_equal(suppress_init(&t, 3, sizes), 0);
		for (c = 0; c < t.ncells; c++) {
			key[0] = (int)(c / 8);
			key[1] = (int)(c / 2 % 4);
			key[2] = (int)(c % 2);
			assert_int_equal(suppress_cell(&t, key), c);
			/* Mostly large, some small, some zero. */
			suppress_add(&t, key,
			    rand() % 4 == 0 ? rand() % 10 : 5 + rand() % 60);
		}
		before = malloc(t.nentries * sizeof *before);
		assert_non_null(before);
		memcpy(before, t.count, t.nentries * sizeof *before);
		assert_int_equal(suppress_protect(&t, min_cell), 0);
		check_flags(&t, before, min_cell);
		for (e = 0; e < t.nentries; e++)
			nsec += t.suppressed[e] && t.count[e] >= min_cell;
		check_ranges_lp(&t, min_cell);
		free(before);
		suppress_free(&t);
	}
	assert_true(nsec > 0); /* secondary suppression happened */
}

/* The audit sees through a lone suppression: the test can fail. */
static void
test_range_finds_derivable(void **state)
{
	const int sizes[1] = {3};
	struct suppress_table t;
	long long lo, hi;
	int key[1];

	assert_int_equal(suppress_init(&t, 1, sizes), 0);
	key[0] = 0, suppress_add(&t, key, 3);
	key[0] = 1, suppress_add(&t, key, 50);
	key[0] = 2, suppress_add(&t, key, 0);
	/* Only cell 0 and its margin hidden: total - 50 - 0 gives 3. */
	t.suppressed[suppress_cell(&t, (int[]){0})] = true;
	t.suppressed[suppress_margin(&t, 0, 0)] = true;
	assert_int_equal(suppress_range(&t, 0, &lo, &hi), 0);
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 3);
	/* Protection adds the next smallest (50 and its cell) instead. */
	assert_int_equal(suppress_protect(&t, 10), 0);
	assert_true(t.suppressed[1]);
	assert_false(t.suppressed[2]); /* zero stays published */
	assert_false(t.suppressed[suppress_total(&t)]);
	assert_int_equal(suppress_range(&t, 0, &lo, &hi), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 52);
	suppress_free(&t);
}

/* A small total hides everything non-zero; a big table hides nothing. */
static void
test_extremes(void **state)
{
	const int sizes[2] = {2, 2};
	struct suppress_table t;
	int key[2] = {0, 0};
	size_t e;

	assert_int_equal(suppress_init(&t, 2, sizes), 0);
	suppress_add(&t, key, 4);
	key[1] = 1, suppress_add(&t, key, 3);
	assert_int_equal(suppress_protect(&t, 10), 0);
	for (e = 0; e < t.nentries; e++)
		assert_int_equal(t.suppressed[e], t.count[e] > 0);
	suppress_free(&t);

	assert_int_equal(suppress_init(&t, 2, sizes), 0);
	for (e = 0; e < 4; e++) {
		key[0] = (int)(e / 2), key[1] = (int)(e % 2);
		suppress_add(&t, key, 20 + (long long)e);
	}
	assert_int_equal(suppress_protect(&t, 10), 0);
	for (e = 0; e < t.nentries; e++)
		assert_false(t.suppressed[e]);
	suppress_free(&t);
	assert_int_equal(suppress_init(&t, 0, sizes), -1);
	assert_int_equal(suppress_init(&t, 4, sizes), -1);
}

/* The zeros of a small group are hidden with it; other zeros are not. */
static void
test_zeros_of_small_groups(void **state)
{
	const int s3[3] = {3, 4, 2}, s2[2] = {3, 3}, s222[3] = {2, 2, 2};
	struct suppress_table t;
	bool before[8 + 6 + 1];
	size_t e;

	/* One person: every zero would say what they are not. */
	assert_int_equal(suppress_init(&t, 3, s3), 0);
	suppress_add(&t, (int[]){0, 0, 1}, 1);
	assert_int_equal(suppress_protect(&t, 10), 0);
	assert_false(t.suppressed[suppress_cell(&t, (int[]){2, 3, 0})]);
	assert_int_equal(suppress_mask_zeros(&t, 10), 0);
	for (e = 0; e < t.nentries; e++)
		assert_true(t.suppressed[e]);
	suppress_free(&t);

	/* Row 1 counts 2: its zeros hide; row 2 and column 2, empty in a
	 * table of 37, are published, as is the zero of the big row 0. */
	assert_int_equal(suppress_init(&t, 2, s2), 0);
	suppress_add(&t, (int[]){0, 0}, 20);
	suppress_add(&t, (int[]){0, 1}, 15);
	suppress_add(&t, (int[]){1, 0}, 2);
	assert_int_equal(suppress_protect(&t, 10), 0);
	assert_int_equal(suppress_mask_zeros(&t, 10), 0);
	assert_true(t.suppressed[suppress_cell(&t, (int[]){1, 1})]);
	assert_true(t.suppressed[suppress_cell(&t, (int[]){1, 2})]);
	assert_false(t.suppressed[suppress_cell(&t, (int[]){0, 2})]);
	assert_false(t.suppressed[suppress_cell(&t, (int[]){2, 1})]);
	assert_false(t.suppressed[suppress_margin(&t, 0, 2)]);
	assert_false(t.suppressed[suppress_margin(&t, 1, 2)]);
	assert_false(t.suppressed[suppress_total(&t)]);
	suppress_free(&t);

	/* In three dimensions a group of two values: cells (1, 1, *) count
	 * 1, so (1, 1, 0) hides though each of its margins is large. */
	assert_int_equal(suppress_init(&t, 3, s222), 0);
	suppress_add(&t, (int[]){0, 0, 0}, 30);
	suppress_add(&t, (int[]){0, 1, 0}, 20);
	suppress_add(&t, (int[]){1, 0, 0}, 25);
	suppress_add(&t, (int[]){1, 1, 1}, 1);
	assert_int_equal(suppress_protect(&t, 10), 0);
	assert_false(t.suppressed[suppress_cell(&t, (int[]){1, 1, 0})]);
	memcpy(before, t.suppressed, t.nentries * sizeof *before);
	assert_int_equal(suppress_mask_zeros(&t, 10), 0);
	assert_true(t.suppressed[suppress_cell(&t, (int[]){1, 1, 0})]);
	/* Only zeros change. */
	for (e = 0; e < t.nentries; e++)
		if (t.count[e] > 0)
			assert_int_equal(t.suppressed[e], before[e]);
	suppress_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_2x3_brute_force),
	    cmocka_unit_test(test_random_3d_lp),
	    cmocka_unit_test(test_range_finds_derivable),
	    cmocka_unit_test(test_extremes),
	    cmocka_unit_test(test_zeros_of_small_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
