/* test_retention.c: which records the retention sweep reduces
 * (lib/retention.c); what they are reduced to is in test_registration.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/model.h"
#include "shelter/retention.h"

#define DAY 86400000LL

static void
test_cutoffs(void **state)
{
	long long now = model_time_parse("2026-03-01T12:00:00Z");
	struct retention_cutoffs c;

	retention_cutoffs(now, 180, 5, 730, &c);
	assert_int_equal(c.requests_ms, now - 180 * DAY);
	assert_int_equal(c.audit_ms, now - 730 * DAY);
	assert_string_equal(c.registrations, "20210301");
	/* Closed 180 days ago minus a second: not yet; plus a second: due. */
	assert_false(retention_request_due(&c, now - 180 * DAY + 1000));
	assert_true(retention_request_due(&c, now - 180 * DAY - 1000));
	/* Dated exactly five years ago: kept for that day. */
	assert_false(retention_registration_due(&c, "2021-03-01"));
	assert_true(retention_registration_due(&c, "2021-02-28"));
	assert_false(retention_registration_due(&c, "2025-12-31"));
	assert_false(retention_registration_due(&c, NULL));
}

static void
test_keep_for_ever(void **state)
{
	struct retention_cutoffs c;

	retention_cutoffs(
	    model_time_parse("2026-03-01T00:00:00Z"), 0, 0, 0, &c);
	assert_int_equal(c.requests_ms, -1);
	assert_int_equal(c.audit_ms, -1);
	assert_string_equal(c.registrations, "");
	assert_false(retention_request_due(&c, 0));
	assert_false(retention_registration_due(&c, "1990-01-01"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cutoffs),
	    cmocka_unit_test(test_keep_for_ever),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
