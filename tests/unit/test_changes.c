/* test_changes.c: the recent changes of a keyed table (lib/changes.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/changes.h"

static struct changes c; /* large: not on the stack */

/* The ids changed after since, newest first, joined with spaces. */
static int
since(uint64_t gen, char *buf, size_t len)
{
	const char *const *ids;
	size_t i, n, off = 0;
	int rc = changes_since(&c, gen, &ids, &n);

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s", i ? " " : "", ids[i]);
	return rc;
}

static void
test_changes_after_a_generation(void **state)
{
	char buf[256];

	memset(&c, 0, sizeof c);
	assert_int_equal(since(0, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	changes_add(&c, "s-a", 1);
	changes_add(&c, "s-b", 2);
	changes_add(&c, "s-a", 3);
	assert_int_equal(since(0, buf, sizeof buf), 0);
	assert_string_equal(buf, "s-a s-b s-a");
	assert_int_equal(since(1, buf, sizeof buf), 0);
	assert_string_equal(buf, "s-a s-b");
	assert_int_equal(since(3, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	/* Everything changed at 10: before it nothing is known. */
	changes_all(&c, 10);
	assert_int_equal(since(3, buf, sizeof buf), -1);
	assert_int_equal(since(10, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	changes_add(&c, "s-c", 11);
	assert_int_equal(since(10, buf, sizeof buf), 0);
	assert_string_equal(buf, "s-c");
}

static void
test_changes_that_fell_out_are_unknown(void **state)
{
	const char *const *ids;
	char id[16];
	size_t i, n;

	memset(&c, 0, sizeof c);
	for (i = 1; i <= CHANGES_MAX + 5; i++) {
		snprintf(id, sizeof id, "s-%zu", i);
		changes_add(&c, id, i);
	}
	/* The first five fell out: from before them, unknown. */
	assert_int_equal(changes_since(&c, 4, &ids, &n), -1);
	assert_int_equal(changes_since(&c, 5, &ids, &n), -1);
	assert_int_equal(changes_since(&c, 6, &ids, &n), 0);
	assert_int_equal(n, CHANGES_MAX - 1);
	assert_string_equal(ids[0], "s-1029");
	assert_string_equal(ids[n - 1], "s-7");
	/* A long id is cut, not overrun. */
	memset(&c, 0, sizeof c);
	changes_add(&c,
	    "a-very-long-id-of-more-than-sixty-three-characters-is-cut-to-"
	    "fit-the-slot",
	    1);
	assert_int_equal(changes_since(&c, 0, &ids, &n), 0);
	assert_int_equal(strlen(ids[0]), MODEL_ID_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_changes_after_a_generation),
	    cmocka_unit_test(test_changes_that_fell_out_are_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
