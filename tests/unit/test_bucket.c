/* test_bucket.c: the rate_per_s token bucket (lib/bucket.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shelter/bucket.h"

/* Lines that get through at once, with no time passing. */
static int
burst_at(struct bucket *b, double rate, uint64_t now)
{
	int n = 0;

	while (n < 1000 && bucket_take(b, rate, now))
		n++;
	return n;
}

static void
test_full_at_start_then_refilled(void **state)
{
	struct bucket b;

	bucket_fill(&b, 3, 1000000);
	assert_int_equal(burst_at(&b, 3, 1000000), 3);
	/* A third of a second is one token; never above the burst. */
	assert_int_equal(burst_at(&b, 3, 1000000 + 333334), 1);
	assert_int_equal(burst_at(&b, 3, 1000000 + 60000000), 3);
}

static void
test_below_one_a_second_lets_one_through_per_period(void **state)
{
	struct bucket b;
	uint64_t t0 = 5000000;

	bucket_fill(&b, 0.5, t0);
	assert_true(bucket_burst(0.5) == 1);
	assert_int_equal(burst_at(&b, 0.5, t0), 1);
	assert_int_equal(burst_at(&b, 0.5, t0 + 1000000), 0);
	assert_int_equal(burst_at(&b, 0.5, t0 + 2000000), 1);
	assert_int_equal(burst_at(&b, 0.5, t0 + 60000000), 1);
}

static void
test_no_limit_and_a_lower_rate_on_reload(void **state)
{
	struct bucket b;

	bucket_fill(&b, 0, 0);
	assert_int_equal(burst_at(&b, 0, 0), 1000);
	bucket_fill(&b, 200, 0);
	bucket_cap(&b, 2);
	assert_int_equal(burst_at(&b, 2, 0), 2);
	/* A clock that went back takes nothing away and adds nothing. */
	bucket_fill(&b, 2, 9000000);
	assert_int_equal(burst_at(&b, 2, 8000000), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_at_start_then_refilled),
	    cmocka_unit_test(
	        test_below_one_a_second_lets_one_through_per_period),
	    cmocka_unit_test(test_no_limit_and_a_lower_rate_on_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
