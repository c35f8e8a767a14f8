/* test_report_placements.c: report.placements (lib/report_placements.c),
 * the registration parse that lists every problem, and the request's
 * registration field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/registration.h"
#include "shelter/report_placements.h"
#include "shelter/suppress.h"

#define H   3600000LL
#define DAY 86400000LL
#define T0  1767225600000LL /* 2026-01-01 */

/* A record of referrer r (index), urgency days, program any. */
static struct rp_rec
rec(int referrer, long long wait_ms, long long stay_ms, bool cancelled)
{
	struct rp_rec r;

	memset(&r, 0, sizeof r);
	r.value[RP_DIM_PROGRAM] = 2;
	r.value[RP_DIM_URGENCY] = 1;
	r.value[RP_DIM_REFERRER] = referrer;
	r.created_ms = T0;
	r.accepted_ms = wait_ms >= 0 ? T0 + wait_ms : -1;
	r.arrived_ms = stay_ms >= 0 ? r.accepted_ms : -1;
	r.departed_ms = stay_ms >= 0 ? r.arrived_ms + stay_ms : -1;
	r.placed = wait_ms >= 0;
	r.cancelled = cancelled;
	return r;
}

static const json_t *
cell(const json_t *rep, const char *dim, const char *value)
{
	size_t i;
	const json_t *c;

	json_array_foreach(json_object_get(rep, "cells"), i, c)
	{
		const char *v = json_string_value(
		    json_object_get(json_object_get(c, "key"), dim));

		if (v != NULL && strcmp(v, value) == 0)
			return c;
	}
	fail_msg("no cell %s=%s", dim, value);
	return NULL;
}

static long long
num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static double
real(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
test_figures(void **state)
{
	struct rp_rec r[40];
	enum rp_dim by[] = {RP_DIM_URGENCY};
	const json_t *c;
	json_t *rep;
	size_t n = 0;
	int i;

	(void)state;
	/* 12 placed police requests: waits 1..12 h (the 12th after 30 h
	 * would not count in placed_24h), stays 1..12 days, 10 cancelled. */
	for (i = 1; i <= 12; i++)
		r[n++] = rec(0, (i == 12 ? 30 : i) * H, i * DAY, false);
	for (i = 0; i < 10; i++)
		r[n++] = rec(0, -1, -1, true);
	rep = report_placements(r, n, by, 1, T0 + 100 * DAY, 10);
	assert_non_null(rep);
	c = cell(rep, "urgency", "days");
	assert_false(json_is_true(json_object_get(c, "suppressed")));
	assert_int_equal(num(c, "requests"), 22);
	assert_int_equal(num(c, "placed"), 12);
	assert_int_equal(num(c, "placed_24h"), 11);
	assert_int_equal(num(c, "cancelled"), 10);
	assert_int_equal(num(c, "long_stays"), 0);
	/* waits 1..11, 30: median (6 + 7) / 2, p90 the 11th of 12. */
	assert_true(real(c, "median_wait_h") == 6.5);
	assert_true(real(c, "p90_wait_h") == 11.0);
	assert_true(real(c, "median_stay_d") == 6.5);
	c = cell(rep, "urgency", "planned");
	assert_int_equal(num(c, "requests"), 0);
	assert_true(json_is_null(json_object_get(c, "median_wait_h")));
	assert_int_equal(num(json_object_get(rep, "total"), "requests"), 22);
	json_decref(rep);
	/* Fewer than min_cell waits: no median, the counts stay. */
	rep = report_placements(r + 3, n - 3, by, 1, T0 + 100 * DAY, 10);
	c = cell(rep, "urgency", "days");
	assert_int_equal(num(c, "requests"), 19);
	assert_true(json_is_null(json_object_get(c, "median_wait_h")));
	assert_true(json_is_null(json_object_get(c, "placed")));
	json_decref(rep);
}

/* A cell of 3 requests publishes nothing, and cannot be derived. */
static void
test_small_cell(void **state)
{
	struct rp_rec r[20];
	enum rp_dim by[] = {RP_DIM_REFERRER};
	const json_t *small, *big, *tot;
	const char *figs[] = {"requests", "placed", "placed_24h", "cancelled",
	    "long_stays", "median_wait_h", "p90_wait_h", "median_stay_d"};
	json_t *rep;
	size_t n = 0, f;
	int i;

	(void)state;
	for (i = 0; i < 12; i++)
		r[n++] = rec(0, 2 * H, 3 * DAY, false);
	for (i = 0; i < 3; i++)
		r[n++] = rec(2, 2 * H, 3 * DAY, false);
	rep = report_placements(r, n, by, 1, T0 + 100 * DAY, 10);
	assert_non_null(rep);
	small = cell(rep, "referrer", "nla");
	big = cell(rep, "referrer", "police");
	tot = json_object_get(rep, "total");
	assert_true(json_is_true(json_object_get(small, "suppressed")));
	for (f = 0; f < sizeof figs / sizeof figs[0]; f++)
		assert_true(json_is_null(json_object_get(small, figs[f])));
	/* total - police would give nla, for every count. */
	for (f = 0; f < 4; f++)
		assert_true(json_is_null(json_object_get(big, figs[f])) ||
		    json_is_null(json_object_get(tot, figs[f])) ||
		    num(big, figs[f]) == num(tot, figs[f]));
	assert_true(json_is_null(json_object_get(tot, "requests")) ||
	    json_is_null(json_object_get(big, "requests")));
	assert_true(json_is_null(json_object_get(tot, "placed")) ||
	    json_is_null(json_object_get(big, "placed")));
	json_decref(rep);
}

static void
test_read_and_long_stays(void **state)
{
	int norms[PROGRAM_COUNT] = {0};
	enum rp_dim by[] = {RP_DIM_PROGRAM, RP_DIM_REFERRER};
	struct rp_rec *recs;
	size_t n, bad, i;
	json_t *rows = json_array(), *rep;
	char row[512];

	(void)state;
	norms[PROGRAM_COSM] = 90;
	for (i = 0; i < 10; i++) {
		snprintf(row, sizeof row,
		    "{\"program\":\"cosm\",\"urgency\":\"immediate\","
		    "\"referrer\":\"%s\",\"status\":\"arrived\","
		    "\"created_at\":%lld,\"accepted_at\":%lld,"
		    "\"arrived_at\":%lld,\"departed_at\":null,"
		    "\"shelter_program\":\"cosm\"}",
		    i < 5 ? "" : "care", T0, T0 + H,
		    T0 + (i == 9 ? 20 : (long long)i) * DAY);
		json_array_append_new(rows, json_loads(row, 0, NULL));
	}
	json_array_append_new(rows, json_pack("{s:s}", "status", "waiting"));
	assert_int_equal(
	    report_placements_read(rows, norms, &recs, &n, &bad), 0);
	json_decref(rows);
	assert_int_equal(n, 10);
	assert_int_equal(bad, 1);
	assert_int_equal(recs[0].value[RP_DIM_REFERRER], 9); /* unknown */
	assert_int_equal(recs[0].norm_days, 90);
	assert_true(recs[0].placed && !recs[0].cancelled);
	/* At T0 + 100 days the stays of 92..100 days are past the norm,
	 * the one of 80 days is not. */
	rep = report_placements(recs, n, by, 2, T0 + 100 * DAY, 2);
	assert_int_equal(num(json_object_get(rep, "total"), "long_stays"), 9);
	assert_int_equal(num(json_object_get(rep, "total"), "requests"), 10);
	json_decref(rep);
	free(recs);
	assert_int_equal(
	    report_placements_dim_parse("urgency"), RP_DIM_URGENCY);
	assert_int_equal(report_placements_dim_parse("sector"), -1);
}

/* suppress_protect keeps what the caller marked. */
static void
test_premarked(void **state)
{
	struct suppress_table t;
	int sizes[] = {2}, k;
	long long lo, hi;

	(void)state;
	assert_int_equal(suppress_init(&t, 1, sizes), 0);
	k = 0;
	suppress_add(&t, &k, 20);
	k = 1;
	suppress_add(&t, &k, 30);
	t.suppressed[suppress_cell(&t, &k)] = true;
	assert_int_equal(suppress_protect(&t, 10), 0);
	assert_true(t.suppressed[suppress_cell(&t, &k)]);
	assert_int_equal(
	    suppress_range(&t, suppress_cell(&t, &k), &lo, &hi), 0);
	assert_true(hi == -1 || hi - lo >= 10);
	suppress_free(&t);
}

static void
test_registration_all_errors(void **state)
{
	json_t *o =
	    json_loads("{\"ref\":\"A\",\"date\":\"2026-02-30\",\"kind\":\"x\","
	               "\"person\":{\"age\":200,\"age_band\":\"old\"},\"x\":1}",
	        0, NULL);
	struct sh_errors all;
	struct registration r;
	struct sh_error err;

	(void)state;
	assert_int_equal(model_registration_parse_all(o, 0, &r, &all), -1);
	assert_int_equal(all.n, 5);
	assert_string_equal(all.v[0].field, "x");
	assert_string_equal(all.v[1].field, "date");
	assert_string_equal(all.v[2].field, "kind");
	assert_string_equal(all.v[3].field, "person.age");
	assert_string_equal(all.v[4].field, "person.age_band");
	assert_int_equal(model_registration_parse(o, 0, &r, &err), -1);
	assert_string_equal(err.field, "x");
	json_decref(o);
}

static void
test_request_registration(void **state)
{
	struct request q;
	struct sh_error err;
	json_t *o, *back;

	(void)state;
	o = json_loads("{\"ref\":\"A\",\"person\":{\"gender\":\"f\",\"age\":"
	               "30},\"registration\":\"reg-12\"}",
	    0, NULL);
	assert_int_equal(model_request_parse(o, NULL, &q, &err), 0);
	assert_string_equal(q.registration, "reg-12");
	back = model_request_to_json(&q);
	assert_string_equal(
	    json_string_value(json_object_get(back, "registration")), "reg-12");
	json_decref(back);
	json_object_set_new(o, "registration", json_string("reg-0"));
	assert_int_equal(model_request_parse(o, NULL, &q, &err), -1);
	assert_string_equal(err.field, "registration");
	json_object_set_new(o, "registration", json_integer(12));
	assert_int_equal(model_request_parse(o, NULL, &q, &err), -1);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_figures),
	    cmocka_unit_test(test_small_cell),
	    cmocka_unit_test(test_read_and_long_stays),
	    cmocka_unit_test(test_premarked),
	    cmocka_unit_test(test_registration_all_errors),
	    cmocka_unit_test(test_request_registration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
