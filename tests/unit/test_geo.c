/* test_geo.c: distances, gazetteer lookups and bad gazetteer files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tempfile.h"

#include "shelter/geo.h"

#define TSV SHELTER_SRCDIR "/config/municipalities.tsv"

static struct gazetteer *gaz;

static int
setup(void **state)
{
	char err[256];

	gaz = geo_gazetteer_load(TSV, err, sizeof err);
	if (gaz == NULL)
		fprintf(stderr, "%s\n", err);
	return gaz == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	geo_gazetteer_free(gaz);
	return 0;
}

static void
test_distance(void **state)
{
	double d = geo_distance_km(52.3732, 4.8917, 51.9244, 4.4778);

	assert_true(d > 56.5 && d < 58.0);
	assert_true(geo_distance_km(51.9244, 4.4778, 52.3732, 4.8917) == d);
	assert_true(geo_distance_km(52.0, 5.0, 52.0, 5.0) == 0.0);
	/* Half the circumference: pi * 6371.0088. */
	d = geo_distance_km(0, 0, 0, 180);
	assert_true(d > 20015.0 && d < 20015.2);
	/* One degree of latitude is about 111.2 km. */
	d = geo_distance_km(52.0, 5.0, 53.0, 5.0);
	assert_true(d > 111.1 && d < 111.3);
}

/* With the cosines kept: the same double, bit for bit (the matcher's
 * scores and shown distances are rounded from it). */
static void
test_distance_cos(void **state)
{
	double a, b, c, d, x, y;
	long long i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		a = 50.0 + (i * 7919 % 4001) / 1000.0;
		b = 3.0 + (i * 104729 % 5003) / 1000.0;
		c = -60.0 + (i * 15485863 % 120007) / 1000.0;
		d = -170.0 + (i * 32452843 % 340009) / 1000.0;
		x = geo_distance_km(a, b, c, d);
		y = geo_distance_km_cos(
		    a, b, geo_cos_lat(a), c, d, geo_cos_lat(c));
		assert_memory_equal(&x, &y, sizeof x);
	}
}

/* Resolve name; assert it is known with the given coordinates. */
static void
expect_point(const char *name, double lat, double lon, const char *canon)
{
	double la = 0, lo = 0;
	const char *c = NULL;

	if (geo_lookup(gaz, name, &la, &lo, &c) != 0)
		fail_msg("\"%s\" not found", name);
	assert_true(la == lat);
	assert_true(lo == lon);
	if (canon != NULL)
		assert_string_equal(c, canon);
}

static void
test_lookup_file(void **state)
{
	assert_true(geo_gazetteer_size(gaz) >= 364);
	expect_point("Amsterdam", 52.3732, 4.8917, "Amsterdam");
	expect_point("Rotterdam", 51.9244, 4.4778, "Rotterdam");
}

static void
test_lookup_case_and_spaces(void **state)
{
	expect_point("AMSTERDAM", 52.3732, 4.8917, "Amsterdam");
	expect_point("rotterdam", 51.9244, 4.4778, "Rotterdam");
	expect_point("  amsterdam\t", 52.3732, 4.8917, "Amsterdam");
	expect_point("aa en hunze", 52.9352, 6.6728, "Aa en Hunze");
	expect_point("Aa-en-Hunze", 52.9352, 6.6728, "Aa en Hunze");
	expect_point("aa  en   hunze", 52.9352, 6.6728, "Aa en Hunze");
}

static void
test_lookup_accents(void **state)
{
	expect_point("sudwest-fryslan", 53.0617, 5.5225, "Súdwest-Fryslân");
	expect_point("Sudwest Fryslan", 53.0617, 5.5225, "Súdwest-Fryslân");
	expect_point("SÚDWEST-FRYSLÂN", 53.0617, 5.5225, "Súdwest-Fryslân");
	expect_point("Súdwest-Fryslân", 53.0617, 5.5225, "Súdwest-Fryslân");
	expect_point("noardeast-fryslan", 53.3265, 5.9988, "Noardeast-Fryslân");
	/* Accents a user might add where the file has none. */
	expect_point("Rötterdäm", 51.9244, 4.4778, "Rotterdam");
}

static void
test_lookup_aliases(void **state)
{
	double lat1, lon1, lat2, lon2;
	const char *names[] = {"Den Haag", "'s-Gravenhage", "'s Gravenhage",
	    "s-Gravenhage", "s gravenhage", "\xe2\x80\x99s-Gravenhage",
	    "The Hague", "the hague", "DEN-HAAG"};
	size_t i;

	assert_int_equal(geo_lookup(gaz, "Den Haag", &lat1, &lon1, NULL), 0);
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		lat2 = lon2 = 0;
		if (geo_lookup(gaz, names[i], &lat2, &lon2, NULL) != 0)
			fail_msg("\"%s\" not found", names[i]);
		assert_true(lat1 == lat2 && lon1 == lon2);
	}
	assert_true(lat1 == 52.0803 && lon1 == 4.3123);
	expect_point("The Hague", 52.0803, 4.3123, "'s-Gravenhage");
	expect_point("Den Bosch", 51.6910, 5.3042, NULL);
	expect_point("'s-Hertogenbosch", 51.6910, 5.3042, "'s-Hertogenbosch");
	expect_point("s Hertogenbosch", 51.6910, 5.3042, "'s-Hertogenbosch");
}

static void
test_lookup_unknown(void **state)
{
	double lat = 1, lon = 2;
	const char *c = "unchanged";

	assert_int_equal(geo_lookup(gaz, "Atlantis", &lat, &lon, &c), -1);
	assert_int_equal(
	    geo_lookup(gaz, "Amsterdam-Noord", &lat, &lon, &c), -1);
	assert_int_equal(geo_lookup(gaz, "Amster", &lat, &lon, &c), -1);
	assert_int_equal(geo_lookup(gaz, "", &lat, &lon, &c), -1);
	assert_int_equal(geo_lookup(gaz, " - ", &lat, &lon, &c), -1);
	assert_int_equal(geo_lookup(gaz, NULL, &lat, &lon, &c), -1);
	assert_int_equal(geo_lookup(NULL, "Amsterdam", &lat, &lon, &c), -1);
	/* A failed lookup leaves the outputs alone. */
	assert_true(lat == 1 && lon == 2);
	assert_string_equal(c, "unchanged");
}

/* Loading text must fail with "PATH:TAIL". */
static void
expect_load_error(const char *text, const char *tail)
{
	char path[64], err[256], want[320];
	struct gazetteer *g;

	temp_write(path, sizeof path, "geo", text);
	g = geo_gazetteer_load(path, err, sizeof err);
	unlink(path);
	if (g != NULL) {
		geo_gazetteer_free(g);
		fail_msg("loaded, expected %s", tail);
	}
	snprintf(want, sizeof want, "%s:%s", path, tail);
	assert_string_equal(err, want);
}

static void
test_bad_files(void **state)
{
	expect_load_error("", "1: missing the header line");
	expect_load_error("name\tlat\n",
	    "1: the header line has no column "
	    "\"lon\"");
	expect_load_error("naam\tlat\tlon\nA\t1\t2\n",
	    "1: the header line has no column \"name\"");
	expect_load_error("name\tlat\tlon\n", "1: no municipalities");
	expect_load_error("name\tlat\tlon\nA\t52.1\t5.1\n\nB\t52.1\n",
	    "4: 2 columns, the header has 3");
	expect_load_error("name\tlat\tlon\nA\t52.1\t5.1\nB\tnorth\t5.1\n",
	    "3: lat must be a number from -90 to 90");
	expect_load_error("name\tlat\tlon\nA\t91\t5.1\n",
	    "2: lat must be a number from -90 to 90");
	expect_load_error("name\tlat\tlon\nA\t52.1\t5.1x\n",
	    "2: lon must be a number from -180 to 180");
	expect_load_error("name\tlat\tlon\nA\t52.1\t\n",
	    "2: lon must be a number from -180 to 180");
	expect_load_error("name\tlat\tlon\n\t52.1\t5.1\n",
	    "2: name must have 1 to 127 bytes and a letter or digit");
	expect_load_error(
	    "name\tlat\tlon\nEde\t52.0\t5.6\nX\t1\t1\nEDE\t52\t5\n",
	    "4: \"EDE\" is the same name as line 2");
}

static void
test_missing_file(void **state)
{
	char err[256];

	assert_null(geo_gazetteer_load("/nonexistent/m.tsv", err, sizeof err));
	assert_string_equal(
	    err, "/nonexistent/m.tsv: No such file or directory");
}

static void
test_columns_by_header(void **state)
{
	char path[64], err[256];
	struct gazetteer *g;
	double lat, lon;
	const char *c;

	/* Columns in another order, extra columns, CRLF and a comment. */
	temp_write(path, sizeof path, "geo",
	    "code\tlon\tName\tlat\r\n"
	    "# a comment\r\n"
	    "GM1\t5.5\tDorp Een\t52.5\r\n"
	    "GM2\t6.5\t's-Gravenhage\t52.08\r\n");
	g = geo_gazetteer_load(path, err, sizeof err);
	unlink(path);
	assert_non_null(g);
	assert_int_equal(geo_lookup(g, "dorp een", &lat, &lon, &c), 0);
	assert_true(lat == 52.5 && lon == 5.5);
	assert_string_equal(c, "Dorp Een");
	/* The aliases of a name the file has are added. */
	assert_int_equal(geo_lookup(g, "Den Haag", &lat, &lon, &c), 0);
	assert_true(lat == 52.08 && lon == 6.5);
	assert_string_equal(c, "'s-Gravenhage");
	assert_int_equal(geo_lookup(g, "Den Bosch", &lat, &lon, &c), -1);
	geo_gazetteer_free(g);
}

static void
test_default_path(void **state)
{
	const char *p;

	setenv("SHELTER_GAZETTEER", "/some/where.tsv", 1);
	assert_string_equal(geo_default_path(), "/some/where.tsv");
	unsetenv("SHELTER_GAZETTEER");
	p = geo_default_path();
	assert_non_null(p);
	assert_true(strlen(p) > 18);
	assert_string_equal(p + strlen(p) - 18, "municipalities.tsv");
	assert_int_equal(access(p, R_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_distance),
	    cmocka_unit_test(test_distance_cos),
	    cmocka_unit_test(test_lookup_file),
	    cmocka_unit_test(test_lookup_case_and_spaces),
	    cmocka_unit_test(test_lookup_accents),
	    cmocka_unit_test(test_lookup_aliases),
	    cmocka_unit_test(test_lookup_unknown),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_columns_by_header),
	    cmocka_unit_test(test_default_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
