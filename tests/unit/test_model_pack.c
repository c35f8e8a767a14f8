/*
 * test_model_pack.c: the row form of a shelter (lib/model_pack.c): packed
 * and read back with its live fields it is the same struct shelter the
 * JSON form gives, field for field; texts of another form, cut short or
 * with garbage are refused. All fixtures are fictional.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/model.h"

/* Every field the table reads, texts with spaces, digits and colons. */
static const char shelter_text[] =
    "{\"id\": \"omm-zwolle-2\", \"name\": \"12: Huis \\\"de Haven\\\"\\nZ\","
    " \"organisation\": \"Zorg : \\u00e9\\u00e9n\", \"program\": \"omm\","
    " \"location\": {\"municipality\": \"Zwolle\", \"lat\": 52.512345678901234,"
    " \"lon\": 6.0912345678901234},"
    " \"care\": [\"psychiatric\", \"trauma\", \"wheelchair\"],"
    " \"languages\": [\"nl\", \"en\", \"ar\"], \"security\": \"secret\","
    " \"intake\": {\"open\": false, \"always\": true},"
    " \"pools\": [{\"name\": \"women\", \"genders\": [\"f\", \"x\"],"
    " \"min_age\": 18, \"max_age\": 65, \"children_max\": 3,"
    " \"boys_max_age\": 12, \"total\": 10, \"occupied\": 7},"
    " {\"name\": \"men_1\", \"genders\": [\"m\"], \"min_age\": 21,"
    " \"total\": 4, \"occupied\": 1},"
    " {\"name\": \"fam-2\", \"genders\": [\"f\", \"m\", \"x\"],"
    " \"children_max\": 12, \"boys_max_age\": 0, \"total\": 2}]}";

static struct model_text
text(const char *s)
{
	return (struct model_text){s, s != NULL ? strlen(s) : 0};
}

/* The fixture with live state, as model_shelter_parse reads it. */
static void
fixture(struct shelter *s)
{
	json_t *j = json_loads(shelter_text, 0, NULL);
	struct sh_error err;

	assert_non_null(j);
	if (model_shelter_parse(j, NULL, 0, s, &err) != 0)
		fail_msg("%s: %s", err.field, err.message);
	json_decref(j);
	s->version = 7;
	s->updated_at = 1796173786000;
	s->departures_unconfirmed = 3;
	s->pools[0].held = 1;
	s->pools[0].expected = 2;
	s->pools[1].held = 0;
	s->pools[1].expected = 1;
	s->pools[0].ndepartures = 2;
	s->pools[0].departures[0] = (struct departure){20800, 1};
	s->pools[0].departures[1] = (struct departure){20802, 2};
}

/* The row of s as the store keeps it (updated_at with milliseconds). */
static void
row_of(const struct shelter *s, char *tab, struct model_text *row,
    struct model_text *pools, char num[][24])
{
	int i, k = 0;

	assert_true(model_shelter_pack(s, tab, MODEL_PACK_MAX) > 0);
	row[MODEL_ROW_TAB] = text(tab);
	row[MODEL_ROW_POOLS] = text("women men_1 fam-2");
	row[MODEL_ROW_OPEN] = text(s->intake_open ? "1" : "0");
	row[MODEL_ROW_ALWAYS] = text(s->intake_always ? "1" : "0");
	snprintf(num[k], 24, "%lld", s->version);
	row[MODEL_ROW_VERSION] = text(num[k++]);
	snprintf(num[k], 24, "%lld", s->updated_at + 987);
	row[MODEL_ROW_UPDATED_AT] = text(num[k++]);
	row[MODEL_ROW_DU] = text("[{\"date\":\"2026-12-01\",\"pool\":\"women\","
	                         "\"count\":1},{\"date\":\"2026-12-02\","
	                         "\"pool\":\"men_1\",\"count\":2}]");
	for (i = 0; i < s->npools; i++) {
		const struct pool *p = &s->pools[i];
		struct model_text *c = &pools[i * MODEL_ROW_POOL_N];

		snprintf(num[k], 24, "%d", p->total);
		c[0] = text(num[k++]);
		snprintf(num[k], 24, "%d", p->occupied);
		c[1] = text(num[k++]);
		snprintf(num[k], 24, "%d", p->held);
		c[2] = text(num[k++]);
		snprintf(num[k], 24, "%d", p->expected);
		c[3] = text(num[k++]);
		c[4] = text(NULL);
	}
	pools[4] = text("[{\"date\":\"2026-12-13\",\"count\":1},"
	                "{\"date\":\"2026-12-15\",\"count\":2}]");
	pools[MODEL_ROW_POOL_N + 4] = text("[]");
}

/* The row form reads back as the JSON form of the same shelter does. */
static void
test_row_is_the_json_form(void **state)
{
	static struct shelter s, from_json, from_row;
	static char tab[MODEL_PACK_MAX], num[32][24];
	struct model_text row[MODEL_ROW_N], pools[3 * MODEL_ROW_POOL_N];
	struct sh_error err;
	json_t *j;

	fixture(&s);
	j = model_shelter_to_json(&s, MODEL_LIVE);
	assert_non_null(j);
	/* The stored JSON form lists the planned and unconfirmed departures
	 * as the store adds them. */
	json_object_set_new(json_array_get(json_object_get(j, "pools"), 0),
	    "departures",
	    json_pack("[{s:s,s:i},{s:s,s:i}]", "date", "2026-12-13", "count", 1,
	        "date", "2026-12-15", "count", 2));
	json_object_set_new(j, "departures_unconfirmed",
	    json_pack("[{s:s,s:i},{s:s,s:i}]", "date", "2026-12-01", "count", 1,
	        "date", "2026-12-02", "count", 2));
	assert_int_equal(
	    model_shelter_parse(j, NULL, MODEL_STORED, &from_json, &err), 0);
	json_decref(j);

	row_of(&s, tab, row, pools, num);
	assert_int_equal(model_shelter_row(
	                     row, pools, 3 * MODEL_ROW_POOL_N, &from_row, &err),
	    0);
	assert_string_equal(from_row.name, "12: Huis \"de Haven\"\nZ");
	assert_true(from_row.location.lat == s.location.lat);
	assert_int_equal(from_row.departures_unconfirmed, 3);
	assert_int_equal(from_row.pools[0].ndepartures, 2);
	assert_int_equal(from_row.pools[0].departures[1].count, 2);
	assert_int_equal(from_row.updated_at, 1796173786000);
	assert_false(from_row.intake_open);
	assert_true(from_row.intake_always);
	/* Field for field, padding aside (both start from zero). */
	assert_memory_equal(&from_row, &from_json, sizeof from_row);
}

/* Absent live fields are zero, as the JSON form's defaults. */
static void
test_absent_fields_are_zero(void **state)
{
	static struct shelter s, out;
	static char tab[MODEL_PACK_MAX];
	struct model_text row[MODEL_ROW_N] = {{0}};
	struct model_text pools[3 * MODEL_ROW_POOL_N] = {{0}};
	struct sh_error err;

	fixture(&s);
	assert_true(model_shelter_pack(&s, tab, sizeof tab) > 0);
	row[MODEL_ROW_TAB] = text(tab);
	assert_int_equal(
	    model_shelter_row(row, pools, 3 * MODEL_ROW_POOL_N, &out, &err), 0);
	assert_int_equal(out.version, 0);
	assert_int_equal(out.pools[2].total, 0);
	assert_false(out.intake_open);
	assert_string_equal(out.pools[2].name, "fam-2");
	assert_int_equal(out.pools[2].children_max, 12);
	assert_int_equal(out.pools[1].max_age, 120);
	/* The counts of another number of pools: refused. */
	assert_int_equal(
	    model_shelter_row(row, pools, 2 * MODEL_ROW_POOL_N, &out, &err),
	    -1);
	/* A count that is not a number: refused. */
	pools[0] = text("1x");
	assert_int_equal(
	    model_shelter_row(row, pools, 3 * MODEL_ROW_POOL_N, &out, &err),
	    -1);
	pools[0] = text("-1");
	assert_int_equal(
	    model_shelter_row(row, pools, 3 * MODEL_ROW_POOL_N, &out, &err),
	    -1);
}

/* Empty sets, another form, cut or padded texts. */
static void
test_unpack_refuses_what_it_cannot_read(void **state)
{
	static struct shelter s, out;
	static char tab[MODEL_PACK_MAX], bad[MODEL_PACK_MAX + 8];
	size_t n, k;

	fixture(&s);
	s.care = 0;
	s.nlanguages = 0;
	n = (size_t)model_shelter_pack(&s, tab, sizeof tab);
	assert_non_null(strstr(tab, " - - "));
	assert_int_equal(model_shelter_unpack(tab, n, &out), 0);
	assert_int_equal(out.care, 0);
	assert_int_equal(out.nlanguages, 0);
	/* Every shorter text is refused: no field may go missing. */
	for (k = 0; k < n; k++)
		assert_int_equal(model_shelter_unpack(tab, k, &out), -1);
	snprintf(bad, sizeof bad, "%s 1", tab);
	assert_int_equal(model_shelter_unpack(bad, strlen(bad), &out), -1);
	memcpy(bad, tab, n + 1);
	bad[1] = '0'; /* "s0": another form */
	assert_int_equal(model_shelter_unpack(bad, n, &out), -1);
	/* Too small a buffer: -1, never a cut text. */
	assert_int_equal(model_shelter_pack(&s, bad, 20), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_row_is_the_json_form),
	    cmocka_unit_test(test_absent_fields_are_zero),
	    cmocka_unit_test(test_unpack_refuses_what_it_cannot_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
