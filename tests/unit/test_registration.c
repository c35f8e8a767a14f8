/* test_registration.c: registrations (lib/registration.c) and the report
 * over them (lib/report.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/registration.h"

static int
parse(const char *text, int flags, struct registration *r, struct sh_error *err)
{
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	int rc;

	assert_non_null(o);
	rc = model_registration_parse(o, flags, r, err);
	json_decref(o);
	return rc;
}

static void
expect_error(const char *text, const char *reason, const char *field)
{
	struct registration r;
	struct sh_error err;

	assert_int_equal(parse(text, 0, &r, &err), -1);
	assert_int_equal(err.code, SH_INVALID_PARAMS);
	assert_string_equal(err.reason, reason);
	assert_string_equal(err.field, field);
}

static void
test_parse(void **state)
{
	struct registration r;
	struct sh_error err;
	json_t *j;
	char *s;

	assert_int_equal(parse("{\"ref\":\"CM-1\",\"date\":\"2026-02-28\","
	                       "\"kind\":\"shelter\",\"sector\":\"labour\","
	                       "\"person\":{\"gender\":\"m\",\"age\":17,"
	                       "\"nationality\":\"NL\"},\"referrer\":\"nla\","
	                       "\"region\":\"limburg\"}",
	                     0, &r, &err),
	    0);
	assert_int_equal(r.age_band, AGE_BAND_MINOR);
	assert_string_equal(
	    report_dim_value(&r, REPORT_DIM_MINOR_DUTCH), "minor-nl");
	assert_string_equal(report_dim_value(&r, REPORT_DIM_REGION), "limburg");
	j = model_registration_to_json(&r);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s,
	    "{\"date\":\"2026-02-28\",\"kind\":\"shelter\",\"person\":{"
	    "\"age\":17,\"age_band\":\"minor\",\"gender\":\"m\","
	    "\"nationality\":\"NL\"},\"ref\":\"CM-1\",\"referrer\":\"nla\","
	    "\"region\":\"limburg\",\"sector\":\"labour\"}");
	free(s);
	/* The stored form parses back (age_band beside age). */
	s = json_dumps(j, 0);
	assert_int_equal(parse(s, 0, &r, &err), -1);
	assert_string_equal(err.field, "person.age_band");
	assert_int_equal(parse(s, MODEL_STORED, &r, &err), 0);
	free(s);
	json_decref(j);
	/* Retention keeps what reports need. */
	model_registration_reduce(&r);
	j = model_registration_to_json(&r);
	assert_null(json_object_get(j, "ref"));
	assert_null(json_object_get(json_object_get(j, "person"), "age"));
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "person"), "age_band")),
	    "minor");
	json_decref(j);
	/* Minimal: everything else reported as unknown. */
	assert_int_equal(parse("{\"ref\":\"a\",\"date\":\"2024-02-29\","
	                       "\"kind\":\"advice\"}",
	                     0, &r, &err),
	    0);
	assert_string_equal(report_dim_value(&r, REPORT_DIM_SECTOR), "unknown");
	assert_string_equal(
	    report_dim_value(&r, REPORT_DIM_MINOR_DUTCH), "unknown");
	assert_string_equal(report_dim_value(&r, REPORT_DIM_GENDER), "unknown");
}

static void
test_errors(void **state)
{
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"person\":{\"name\":\"x\"}}",
	    "unknown_field", "person.name");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"address\":\"x\"}",
	    "unknown_field", "address");
	expect_error("{\"date\":\"2026-01-01\",\"kind\":\"advice\"}",
	    "missing_field", "ref");
	expect_error(
	    "{\"ref\":\"a\",\"kind\":\"advice\"}", "missing_field", "date");
	expect_error(
	    "{\"ref\":\"a\",\"date\":\"2026-01-01\"}", "missing_field", "kind");
	expect_error("{\"ref\":\"a\",\"date\":\"2025-02-29\",\"kind\":"
	             "\"advice\"}",
	    "invalid_field", "date");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-1-01\",\"kind\":"
	             "\"advice\"}",
	    "invalid_field", "date");
	expect_error("{\"ref\":\"a b\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\"}",
	    "invalid_field", "ref");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":\"x\"}",
	    "invalid_field", "kind");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"region\":\"utrecht\"}",
	    "invalid_field", "region");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"person\":{\"age\":121}}",
	    "invalid_field", "person.age");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"person\":{\"age_band\":\"17-\"}}",
	    "invalid_field", "person.age_band");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"person\":{\"nationality\":\"nl\"}}",
	    "invalid_field", "person.nationality");
	expect_error("{\"ref\":\"a\",\"date\":\"2026-01-01\",\"kind\":"
	             "\"advice\",\"request_id\":\"REQ 1\"}",
	    "invalid_field", "request_id");
}

/* 25 labour (12 NL), 3 sexual (NL): the sexual row and enough else hidden. */
static void
test_report(void **state)
{
	struct registration regs[28];
	enum report_dim dims[2] = {REPORT_DIM_SECTOR, REPORT_DIM_NATIONALITY};
	json_t *rep, *cells, *c, *sec;
	size_t i, nsup = 0;

	memset(regs, 0, sizeof regs);
	for (i = 0; i < 28; i++) {
		regs[i].kind = REG_KIND_REGISTRATION;
		regs[i].sector = i < 25 ? SECTOR_LABOUR : SECTOR_SEXUAL;
		memcpy(regs[i].nationality, i < 13 ? "RO" : "NL", 3);
		regs[i].age = -1;
		regs[i].age_band = AGE_BAND_UNKNOWN;
		regs[i].region = -1;
	}
	rep = report_registrations(regs, 28, dims, 2, 10);
	assert_non_null(rep);
	assert_int_equal(json_integer_value(json_object_get(rep, "total")), 28);
	cells = json_object_get(rep, "cells");
	assert_int_equal(json_array_size(cells), 5 * 2); /* NL, RO */
	json_array_foreach(cells, i, c)
	{
		const json_t *cnt = json_object_get(c, "count");
		bool sup = json_is_true(json_object_get(c, "suppressed"));

		assert_true(sup == json_is_null(cnt));
		if (!sup)
			assert_true(json_integer_value(cnt) == 0 ||
			    json_integer_value(cnt) >= 10);
		nsup += sup;
	}
	assert_true(nsup >= 2);
	sec = json_object_get(json_object_get(rep, "margins"), "sector");
	assert_int_equal(json_array_size(sec), 5);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(sec, 0), "value")),
	    "sexual");
	assert_true(json_is_null(
	    json_object_get(json_array_get(sec, 0), "count"))); /* 3 */
	assert_int_equal(json_integer_value(
	                     json_object_get(json_array_get(sec, 2), "count")),
	    0); /* criminal: zero is published */
	json_decref(rep);
	assert_null(report_registrations(regs, 28, dims, 0, 10));
	assert_int_equal(
	    report_dim_parse("minor_dutch"), REPORT_DIM_MINOR_DUTCH);
	assert_int_equal(report_dim_parse("name"), -1);
}

/* Every nationality present is counted, however many there are: 26 x 26
 * codes, each registered twice, and two without one. */
static void
test_report_every_nationality(void **state)
{
	enum { N = 26 * 26 * 2 + 2 };
	static struct registration regs[N];
	enum report_dim dims[1] = {REPORT_DIM_NATIONALITY};
	json_t *rep, *nat;
	size_t i;

	memset(regs, 0, sizeof regs);
	for (i = 0; i < N; i++) {
		regs[i].kind = REG_KIND_REGISTRATION;
		regs[i].age = -1;
		regs[i].age_band = AGE_BAND_UNKNOWN;
		regs[i].region = -1;
		if (i < N - 2) {
			regs[i].nationality[0] = (char)('A' + i / 2 / 26);
			regs[i].nationality[1] = (char)('A' + i / 2 % 26);
		}
	}
	rep = report_registrations(regs, N, dims, 1, 2);
	assert_non_null(rep);
	assert_int_equal(json_integer_value(json_object_get(rep, "total")), N);
	nat = json_object_get(json_object_get(rep, "margins"), "nationality");
	assert_int_equal(json_array_size(nat), 26 * 26 + 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(nat, 26 * 26 - 1), "value")),
	    "ZZ");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(nat, 26 * 26 - 1), "count")),
	    2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(nat, 26 * 26), "value")),
	    "unknown");
	json_decref(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_report),
	    cmocka_unit_test(test_report_every_nationality),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
