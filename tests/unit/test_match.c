/* test_match.c: filters, scorers, pool choice, ranking, explanation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/forecast.h"
#include "shelter/match.h"

#define LANG(a, b) ((lang_t)((a) << 8 | (b)))
#define BIT(x)     (1u << (x))
#define MAXS       16
/* Along a meridian, with the mean Earth radius of geo.h. */
#define KM_PER_DEG (6371.0088 * 3.14159265358979323846 / 180.0)

/* Municipality centres (fictional shelters, real towns). */
#define UTRECHT    52.0907, 5.1214
#define AMSTERDAM  52.3676, 4.9041
#define ZWOLLE     52.5168, 6.0830
#define GRONINGEN  53.2194, 6.5665
#define MAASTRICHT 50.8514, 5.6910

struct fx {
	struct shelter s[MAXS];
	const struct shelter *p[MAXS];
	size_t n;
	struct request r;
	struct match_options opt;
	struct match_input in;
	struct match_result res;
};

static struct pool *
add_pool(struct shelter *s, const char *name, int children_max, int total,
    int occupied)
{
	struct pool *p = &s->pools[s->npools++];

	memset(p, 0, sizeof *p);
	strcpy(p->name, name);
	p->genders = BIT(GENDER_F) | BIT(GENDER_M) | BIT(GENDER_X);
	p->min_age = 0;
	p->max_age = 120;
	p->children_max = children_max;
	p->boys_max_age = 17;
	p->total = total;
	p->occupied = occupied;
	return p;
}

/* A regular, open, standard shelter with one free single place. */
static struct shelter *
add_shelter(struct fx *f, const char *id, double lat, double lon)
{
	struct shelter *s = &f->s[f->n];

	memset(s, 0, sizeof *s);
	strcpy(s->id, id);
	s->program = PROGRAM_REGULAR;
	s->location.lat = lat;
	s->location.lon = lon;
	s->languages[s->nlanguages++] = LANG('n', 'l');
	s->security = SECURITY_STANDARD;
	s->intake_open = true;
	add_pool(s, "single", 0, 4, 2);
	f->p[f->n] = s;
	f->n++;
	return s;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	strcpy(f->r.ref, "T-1");
	f->r.program = PROGRAM_ANY;
	f->r.gender = GENDER_F;
	f->r.age = 30;
	f->r.urgency = URGENCY_DAYS;
	match_options_default(&f->opt);
	match_result_init(&f->res);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	match_result_free(&f->res);
	free(f);
	return 0;
}

static void
run(struct fx *f)
{
	assert_int_equal(
	    match_run(f->p, f->n, &f->r, &f->in, &f->opt, &f->res), 0);
	assert_int_equal(f->res.total, f->n);
	assert_int_equal(f->res.eligible, f->res.ncandidates);
}

static const struct match_candidate *
cand(struct fx *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->res.ncandidates; i++)
		if (strcmp(f->res.candidates[i].shelter->id, id) == 0)
			return &f->res.candidates[i];
	return NULL;
}

/* Exactly the shelter `out` is excluded, by filter `why` alone. */
static void
excluded_by(struct fx *f, const char *out, enum filter why)
{
	int k;

	run(f);
	assert_null(cand(f, out));
	assert_int_equal(f->res.ncandidates, f->n - 1);
	for (k = 0; k < FILTER_COUNT; k++)
		assert_int_equal(f->res.reasons[k], k == (int)why ? 1 : 0);
	assert_int_equal(f->res.nnear, 1);
	assert_string_equal(f->res.near[0].shelter->id, out);
	assert_int_equal(f->res.near[0].failed, why);
}

static void
test_filter_intake_closed(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", UTRECHT)->intake_open = false;
	excluded_by(f, "b", FILTER_INTAKE_CLOSED);
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 closed for intake.");
}

static void
test_filter_program(void **state)
{
	struct fx *f = *state;

	f->r.program = PROGRAM_COSM;
	f->r.residence = RESIDENCE_REFLECTION;
	add_shelter(f, "cosm-a", UTRECHT)->program = PROGRAM_COSM;
	add_shelter(f, "reg", UTRECHT);
	excluded_by(f, "reg", FILTER_PROGRAM);
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 in another program.");

	/* "any" passes every program the rules allow. */
	f->r.program = PROGRAM_ANY;
	run(f);
	assert_int_equal(f->res.ncandidates, 2);
}

static void
test_filter_eligibility_cosm(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "cosm", UTRECHT)->program = PROGRAM_COSM;
	add_shelter(f, "reg", UTRECHT);

	f->r.residence = RESIDENCE_EU;
	excluded_by(f, "cosm", FILTER_ELIGIBILITY);
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 with eligibility rules "
	    "this request does not meet.");

	f->r.residence = RESIDENCE_REFLECTION;
	run(f);
	assert_non_null(cand(f, "cosm"));
	f->r.residence = RESIDENCE_B8_PERMIT;
	run(f);
	assert_non_null(cand(f, "cosm"));
	f->r.residence = RESIDENCE_NONE; /* absent counts as unknown */
	run(f);
	assert_non_null(cand(f, "cosm"));

	/* With program cosm asked, an adult without the residence fails the
	 * eligibility filter there and the program filter elsewhere. */
	f->r.program = PROGRAM_COSM;
	f->r.residence = RESIDENCE_NL;
	run(f);
	assert_int_equal(f->res.ncandidates, 0);
	assert_int_equal(f->res.reasons[FILTER_ELIGIBILITY], 1);
	assert_int_equal(f->res.reasons[FILTER_PROGRAM], 1);
}

static void
test_filter_eligibility_omm(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "omm", UTRECHT)->program = PROGRAM_OMM;
	f->s[0].care =
	    BIT(CARE_PSYCHIATRIC) | BIT(CARE_ADDICTION) | BIT(CARE_MEDICAL);
	add_shelter(f, "reg", UTRECHT)->care = BIT(CARE_MEDICAL);

	f->r.needs = BIT(CARE_MEDICAL);
	excluded_by(f, "omm", FILTER_ELIGIBILITY);
	f->r.needs = BIT(CARE_MEDICAL) | BIT(CARE_ADDICTION);
	excluded_by(f, "reg", FILTER_CARE);
	assert_non_null(cand(f, "omm"));
}

static void
test_filter_eligibility_minor(void **state)
{
	struct fx *f = *state;
	int i;

	add_shelter(f, "cosm", UTRECHT)->program = PROGRAM_COSM;
	add_shelter(f, "omm", UTRECHT)->program = PROGRAM_OMM;
	add_shelter(f, "reg", UTRECHT);
	f->r.age = 16;
	f->r.needs = BIT(CARE_PSYCHIATRIC);
	f->r.residence = RESIDENCE_REFLECTION;
	for (i = 0; i < 3; i++)
		f->s[i].care = BIT(CARE_PSYCHIATRIC);
	/* Whatever the rules say: none at all here. */
	for (i = 0; i < PROGRAM_COUNT; i++)
		f->opt.programs[i] = (struct program_rule){.min_age = -1};
	run(f);
	assert_int_equal(f->res.ncandidates, 1);
	assert_non_null(cand(f, "reg"));
	assert_int_equal(f->res.reasons[FILTER_ELIGIBILITY], 2);

	f->r.age = 18;
	run(f);
	assert_int_equal(f->res.ncandidates, 3);
}

/* Every shelter fails a filter no report lifts: a dead end, referred by
 * age; one that is only full (or closed) is not. */
static void
test_dead_end_and_referral(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "cosm-a", UTRECHT)->program = PROGRAM_COSM;
	add_shelter(f, "cosm-b", UTRECHT)->program = PROGRAM_COSM;
	f->opt.referral_minor = "youth care";
	f->opt.referral_default = "care coordinator";
	f->r.age = 15;
	run(f);
	assert_true(f->res.dead_end);
	assert_string_equal(f->res.referral, "youth care");
	assert_non_null(strstr(f->res.message, "Dead end"));

	f->r.age = 30;
	f->r.needs = BIT(CARE_WHEELCHAIR);
	run(f);
	assert_true(f->res.dead_end);
	assert_string_equal(f->res.referral, "care coordinator");

	/* One shelter only closed: intake can reopen. */
	f->s[0].care = BIT(CARE_WHEELCHAIR);
	f->s[0].intake_open = false;
	run(f);
	assert_false(f->res.dead_end);
	assert_null(f->res.referral);
	assert_null(strstr(f->res.message, "Dead end"));

	/* No shelter at all is not a dead end: nothing is known. */
	f->n = 0;
	run(f);
	assert_false(f->res.dead_end);
}

static void
test_filter_security(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "a", UTRECHT)->security = SECURITY_SECRET;
	add_shelter(f, "b", UTRECHT)->security = SECURITY_STANDARD;
	add_shelter(f, "c", UTRECHT)->security = SECURITY_PROTECTED;
	f->r.has_safety = true;
	f->r.min_security = SECURITY_PROTECTED;
	excluded_by(f, "b", FILTER_SECURITY);
	assert_string_equal(f->res.message,
	    "2/3 shelters can take this request: 1 below the required "
	    "security level (protected).");
}

static void
test_filter_care(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "a", UTRECHT)->care =
	    BIT(CARE_PSYCHIATRIC) | BIT(CARE_MEDICAL) | BIT(CARE_TRAUMA);
	add_shelter(f, "b", UTRECHT)->care = BIT(CARE_PSYCHIATRIC);
	f->r.needs = BIT(CARE_PSYCHIATRIC) | BIT(CARE_MEDICAL);
	excluded_by(f, "b", FILTER_CARE);
	assert_int_equal(f->res.missing_care, BIT(CARE_MEDICAL));
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 lack required care "
	    "(medical).");
}

static void
test_filter_too_close(void **state)
{
	struct fx *f = *state;

	add_shelter(f, "ams", AMSTERDAM); /* about 35 km from Utrecht */
	add_shelter(f, "zwo", ZWOLLE);    /* about 80 km */
	f->r.has_exploitation_location = true;
	f->r.exploitation_location.lat = 52.0907;
	f->r.exploitation_location.lon = 5.1214;
	f->r.has_safety = true;
	f->r.min_distance_km = 50;
	excluded_by(f, "ams", FILTER_TOO_CLOSE);
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 within 50 km of the "
	    "exploitation location.");

	f->r.min_distance_km = 0; /* no minimum */
	run(f);
	assert_int_equal(f->res.ncandidates, 2);
	f->r.min_distance_km = 50;
	f->r.has_exploitation_location = false; /* unknown location */
	run(f);
	assert_int_equal(f->res.ncandidates, 2);
}

static void
test_distance_km(void **state)
{
	struct fx *f = *state;
	char buf[96];
	json_t *j;

	add_shelter(f, "zwo", ZWOLLE);
	run(f);
	assert_int_equal(f->res.ncandidates, 1);
	/* No location in the request: both null. */
	assert_string_equal(
	    match_distance_text(&f->res.candidates[0], buf, sizeof buf),
	    "{\"exploitation\":null,\"preferred\":null}");
	f->r.has_exploitation_location = true;
	f->r.exploitation_location.lat = 52.0907; /* Utrecht */
	f->r.exploitation_location.lon = 5.1214;
	f->r.has_preferred_location = true;
	f->r.preferred_location = f->res.candidates[0].shelter->location;
	run(f);
	/* Rounded to 0.1 km; zero at the shelter itself. */
	assert_true(f->res.candidates[0].distance_km[0] > 70 &&
	    f->res.candidates[0].distance_km[0] < 90);
	assert_true(f->res.candidates[0].distance_km[0] * 10 ==
	    (double)(long)(f->res.candidates[0].distance_km[0] * 10 + 0.5));
	assert_true(f->res.candidates[0].distance_km[1] == 0.0);
	j = match_candidates_json(&f->res);
	assert_non_null(j);
	assert_true(json_real_value(json_object_get(
	                json_object_get(json_array_get(j, 0), "distance_km"),
	                "preferred")) == 0.0);
	json_decref(j);
}

static void
test_filter_case_conflict(void **state)
{
	struct fx *f = *state;
	const char *held[] = {"b"};

	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", UTRECHT);
	strcpy(f->r.case_id, "NET-1");
	f->in.case_shelters = held;
	f->in.ncase_shelters = 1;
	f->r.co_victims = CO_VICTIMS_APART;
	excluded_by(f, "b", FILTER_CASE_CONFLICT);
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 hold, expect or house a "
	    "co-victim of the same case.");

	f->r.co_victims = CO_VICTIMS_TOGETHER;
	run(f);
	assert_int_equal(f->res.ncandidates, 2);

	/* Symmetric: the co-victim in b says apart, this one does not. */
	f->in.case_apart = held;
	f->in.ncase_apart = 1;
	excluded_by(f, "b", FILTER_CASE_CONFLICT);
	f->r.co_victims = CO_VICTIMS_ANY;
	excluded_by(f, "b", FILTER_CASE_CONFLICT);
}

static void
test_filter_reserved(void **state)
{
	struct fx *f = *state;
	struct shelter *a, *b;

	/* Two crisis shelters with one free place each, a regular one. */
	a = add_shelter(f, "a", UTRECHT);
	a->program = PROGRAM_CRISIS;
	a->pools[0].occupied = 3;
	b = add_shelter(f, "b", ZWOLLE);
	b->program = PROGRAM_CRISIS;
	b->pools[0].occupied = 3;
	add_shelter(f, "c", GRONINGEN);
	f->opt.reserve[PROGRAM_CRISIS] = 1;
	run(f);
	assert_int_equal(f->res.ncandidates, 3); /* 2 free, 1 reserved */

	f->opt.reserve[PROGRAM_CRISIS] = 2;
	run(f);
	assert_int_equal(f->res.ncandidates, 1);
	assert_string_equal(f->res.candidates[0].shelter->id, "c");
	assert_int_equal(f->res.reasons[FILTER_RESERVED], 2);
	assert_int_equal(f->res.nnear, 2);
	assert_int_equal(f->res.near[0].failed, FILTER_RESERVED);
	assert_string_equal(f->res.message,
	    "1/3 shelters can take this request: 2 with their last places "
	    "reserved for immediate requests.");
	/* A closed shelter's places are not counted as free. */
	b->intake_open = false;
	f->opt.reserve[PROGRAM_CRISIS] = 1;
	run(f);
	assert_int_equal(f->res.reasons[FILTER_RESERVED], 1);
	assert_int_equal(f->res.reasons[FILTER_INTAKE_CLOSED], 1);
	/* Counted only when nothing else excludes the shelter. */
	b->intake_open = true;
	f->opt.reserve[PROGRAM_CRISIS] = 2;
	f->r.min_security = SECURITY_PROTECTED;
	a->security = SECURITY_PROTECTED;
	run(f);
	assert_int_equal(f->res.reasons[FILTER_RESERVED], 1);
	assert_int_equal(f->res.reasons[FILTER_SECURITY], 2);
	f->r.min_security = SECURITY_STANDARD;

	/* Immediate requests may take the reserve. */
	f->r.urgency = URGENCY_IMMEDIATE;
	run(f);
	assert_int_equal(f->res.ncandidates, 3);
	assert_int_equal(f->res.reasons[FILTER_RESERVED], 0);
}

static void
test_filter_rejected(void **state)
{
	struct fx *f = *state;
	const char *rej[] = {"a"};

	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", UTRECHT);
	f->in.rejected = rej;
	f->in.nrejected = 1;
	excluded_by(f, "a", FILTER_REJECTED);
	assert_string_equal(f->res.message,
	    "1/2 shelters can take this request: 1 rejected for this "
	    "request.");
}

static void
test_filter_household(void **state)
{
	struct fx *f = *state;
	struct shelter *s;

	add_shelter(f, "men", UTRECHT)->pools[0].genders = BIT(GENDER_M);
	s = add_shelter(f, "fam", UTRECHT);
	add_pool(s, "family", 3, 2, 0)->boys_max_age = 12;
	add_shelter(f, "adult", UTRECHT);

	excluded_by(f, "men", FILTER_HOUSEHOLD);
	assert_string_equal(f->res.message,
	    "2/3 shelters can take this request: 1 without a place for this "
	    "household.");

	/* A boy of 13 fits nowhere; a girl of 13 fits the family pool. */
	f->r.nchildren = 1;
	f->r.children[0] = (struct child){13, GENDER_M, true};
	run(f);
	assert_int_equal(f->res.ncandidates, 0);
	assert_int_equal(f->res.reasons[FILTER_HOUSEHOLD], 3);
	assert_int_equal(f->res.reasons[FILTER_NO_FREE_PLACE], 0);
	f->r.children[0].gender = GENDER_F;
	run(f);
	assert_int_equal(f->res.ncandidates, 1);
	assert_string_equal(
	    f->res.candidates[0].shelter->pools[f->res.candidates[0].pool].name,
	    "family");
}

static void
test_filter_no_free_place(void **state)
{
	struct fx *f = *state;
	struct shelter *s;

	add_shelter(f, "full", UTRECHT)->pools[0].occupied = 4;
	s = add_shelter(f, "held", UTRECHT);
	s->pools[0].held = 1;
	s->pools[0].expected = 1; /* 4 - 2 - 1 - 1 = 0 */
	s = add_shelter(f, "over", UTRECHT);
	s->pools[0].occupied = 5; /* overbooked: free -1 */
	/* A free pool for men does not help a woman. */
	add_pool(s, "men", 0, 3, 0)->genders = BIT(GENDER_M);
	add_shelter(f, "ok", UTRECHT);
	/* Household failing is its own reason, not no_free_place. */
	s = add_shelter(f, "nofit", UTRECHT);
	s->pools[0].genders = BIT(GENDER_M);
	s->pools[0].occupied = 4;
	run(f);
	assert_int_equal(f->res.ncandidates, 1);
	assert_non_null(cand(f, "ok"));
	assert_int_equal(f->res.reasons[FILTER_NO_FREE_PLACE], 3);
	assert_int_equal(f->res.reasons[FILTER_HOUSEHOLD], 1);
	assert_string_equal(f->res.message,
	    "1/5 shelters can take this request: 3 no free place, 1 without "
	    "a place for this household.");
}

/* Two shelters that differ only where the test says; return a's and b's
 * value of scorer k. */
static void
scores2(struct fx *f, enum scorer k, int *a, int *b)
{
	run(f);
	assert_int_equal(f->res.ncandidates, 2);
	*a = cand(f, "a")->scores[k];
	*b = cand(f, "b")->scores[k];
}

static void
test_score_language(void **state)
{
	struct fx *f = *state;
	int a, b;

	add_shelter(f, "a", UTRECHT)->languages[1] = LANG('r', 'o');
	f->s[0].nlanguages = 2;
	add_shelter(f, "b", UTRECHT);
	f->r.languages[f->r.nlanguages++] = LANG('r', 'o');
	f->r.languages[f->r.nlanguages++] = LANG('e', 'n');
	scores2(f, SCORER_LANGUAGE, &a, &b);
	assert_int_equal(a, 100);
	assert_int_equal(b, 0);
	assert_string_equal(f->res.candidates[0].shelter->id, "a");
	f->r.nlanguages = 0;
	scores2(f, SCORER_LANGUAGE, &a, &b);
	assert_int_equal(a, 50);
	assert_int_equal(b, 50);
}

static void
test_score_safety_distance(void **state)
{
	struct fx *f = *state;
	int a, b;

	add_shelter(f, "a", ZWOLLE);
	add_shelter(f, "b", AMSTERDAM);
	f->r.has_exploitation_location = true;
	f->r.exploitation_location.lat = 52.0907;
	f->r.exploitation_location.lon = 5.1214;
	scores2(f, SCORER_SAFETY_DISTANCE, &a, &b);
	assert_true(a > b);
	assert_true(b > 0 && a < 100);
	/* Saturation: both beyond 150 km. */
	f->s[0].location.lat = 53.2194; /* Groningen */
	f->s[0].location.lon = 6.5665;
	f->r.exploitation_location.lat = 50.8514; /* Maastricht */
	f->r.exploitation_location.lon = 5.6910;
	scores2(f, SCORER_SAFETY_DISTANCE, &a, &b);
	assert_int_equal(a, 100);
	assert_int_equal(b, 100);
	/* On one meridian: 75 km north is half of the 150 km saturation. */
	f->s[0].location.lat = 50.8514 + 75 / KM_PER_DEG;
	f->s[0].location.lon = 5.6910;
	scores2(f, SCORER_SAFETY_DISTANCE, &a, &b);
	assert_int_equal(a, 50);
	f->r.has_exploitation_location = false;
	scores2(f, SCORER_SAFETY_DISTANCE, &a, &b);
	assert_int_equal(a, 50);
	assert_int_equal(b, 50);
}

static void
test_score_proximity(void **state)
{
	struct fx *f = *state;
	int a, b;

	add_shelter(f, "a", AMSTERDAM);
	add_shelter(f, "b", MAASTRICHT);
	f->r.has_preferred_location = true;
	f->r.preferred_location.lat = 52.0907;
	f->r.preferred_location.lon = 5.1214;
	scores2(f, SCORER_PROXIMITY, &a, &b);
	assert_true(a > b);
	assert_true(a > 80 && a < 100);
	f->s[0].location.lat = 52.0907; /* in the town itself */
	f->s[0].location.lon = 5.1214;
	scores2(f, SCORER_PROXIMITY, &a, &b);
	assert_int_equal(a, 100);
	/* 200 km away on one meridian: 100 - 100 * 200 / 250 = 20. */
	f->s[1].location.lat = 52.0907 - 200 / KM_PER_DEG;
	f->s[1].location.lon = 5.1214;
	scores2(f, SCORER_PROXIMITY, &a, &b);
	assert_int_equal(b, 20);
	f->r.has_preferred_location = false;
	scores2(f, SCORER_PROXIMITY, &a, &b);
	assert_int_equal(b, 50);
}

static void
test_score_care_fit(void **state)
{
	struct fx *f = *state;
	int a, b;

	add_shelter(f, "a", UTRECHT)->care = BIT(CARE_TRAUMA);
	add_shelter(f, "b", UTRECHT)->care =
	    BIT(CARE_TRAUMA) | BIT(CARE_PSYCHIATRIC) | BIT(CARE_ADDICTION);
	/* Specialised places are not spent on a request without the need. */
	f->r.prefers = BIT(CARE_TRAUMA);
	scores2(f, SCORER_CARE_FIT, &a, &b);
	assert_int_equal(a, 100);
	assert_int_equal(b, 60);
	assert_string_equal(f->res.candidates[0].shelter->id, "a");
	/* Needed or preferred specialised care is no waste. */
	f->r.needs = BIT(CARE_PSYCHIATRIC);
	f->r.prefers = BIT(CARE_ADDICTION) | BIT(CARE_WHEELCHAIR);
	f->s[0].care |= BIT(CARE_PSYCHIATRIC);
	scores2(f, SCORER_CARE_FIT, &a, &b);
	assert_int_equal(a, 0);  /* 0 of 2 preferred */
	assert_int_equal(b, 50); /* 1 of 2 preferred */
	/* 2 of 3 preferred is 67 (half up), minus 20 for unused medical. */
	f->r.prefers |= BIT(CARE_TRAUMA);
	f->s[1].care |= BIT(CARE_MEDICAL);
	scores2(f, SCORER_CARE_FIT, &a, &b);
	assert_int_equal(b, 47);
}

static void
test_score_occupancy(void **state)
{
	struct fx *f = *state;
	int a, b;

	add_shelter(f, "a", UTRECHT)->pools[0].occupied = 1;
	add_shelter(f, "b", UTRECHT)->pools[0].occupied = 3;
	/* An overbooked pool counts 0 free, not negative. */
	add_pool(&f->s[1], "x", 0, 4, 6);
	scores2(f, SCORER_OCCUPANCY, &a, &b);
	assert_int_equal(a, 75);
	assert_int_equal(b, 13); /* 1 free of 8, 12.5 rounded half up */
}

static void
test_score_freshness(void **state)
{
	struct fx *f = *state;
	const long long hour = 3600000;
	int a, b;

	f->opt.now_ms = 1000 * hour;
	add_shelter(f, "a", UTRECHT)->updated_at = 1000 * hour - hour + 1;
	add_shelter(f, "b", UTRECHT)->updated_at = 1000 * hour - 12 * hour;
	scores2(f, SCORER_FRESHNESS, &a, &b);
	assert_int_equal(a, 100); /* under one whole hour */
	assert_int_equal(b, 75);
	f->s[1].updated_at = 1000 * hour - 49 * hour;
	scores2(f, SCORER_FRESHNESS, &a, &b);
	assert_int_equal(b, 0);
	f->s[1].updated_at = 0; /* never reported */
	scores2(f, SCORER_FRESHNESS, &a, &b);
	assert_int_equal(b, 0);
}

static void
test_score_together(void **state)
{
	struct fx *f = *state;
	const char *held[] = {"b"};
	int a, b;

	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", UTRECHT);
	f->in.case_shelters = held;
	f->in.ncase_shelters = 1;
	f->r.co_victims = CO_VICTIMS_TOGETHER;
	scores2(f, SCORER_TOGETHER, &a, &b);
	assert_int_equal(a, 0);
	assert_int_equal(b, 100);
	assert_string_equal(f->res.candidates[0].shelter->id, "b");
	f->r.co_victims = CO_VICTIMS_ANY;
	scores2(f, SCORER_TOGETHER, &a, &b);
	assert_int_equal(a, 50);
	assert_int_equal(b, 50);
}

static void
test_score_scarcity(void **state)
{
	struct fx *f = *state;
	struct shelter *cosm, *crisis, *fam, *care;
	int k;

	/* Only the other scorers off: the score is scarcity alone. */
	for (k = 0; k < SCORER_COUNT; k++)
		f->opt.weights[k] = 0;
	f->opt.weights[SCORER_SCARCITY] = 1;
	f->r.gender = GENDER_M;
	f->r.residence = RESIDENCE_REFLECTION;

	/* Alone, or among equals: 100, the ranking is unchanged. */
	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", ZWOLLE);
	run(f);
	assert_int_equal(cand(f, "a")->scores[SCORER_SCARCITY], 100);
	assert_int_equal(cand(f, "b")->scores[SCORER_SCARCITY], 100);
	assert_string_equal(f->res.candidates[0].shelter->id, "a");

	/* A COSM-eligible man: the crisis bed is needed more by others. */
	f->n = 0;
	crisis = add_shelter(f, "a-crisis", UTRECHT);
	crisis->program = PROGRAM_CRISIS;
	cosm = add_shelter(f, "b-cosm", ZWOLLE);
	cosm->program = PROGRAM_COSM;
	run(f);
	assert_int_equal(cand(f, "a-crisis")->scores[SCORER_SCARCITY], 50);
	assert_int_equal(cand(f, "b-cosm")->scores[SCORER_SCARCITY], 100);
	assert_string_equal(f->res.candidates[0].shelter->id, "b-cosm");
	/* Not eligible for COSM (asylum): no penalty, id order again. */
	f->r.residence = RESIDENCE_ASYLUM;
	run(f);
	assert_int_equal(f->res.ncandidates, 1);
	assert_int_equal(cand(f, "a-crisis")->scores[SCORER_SCARCITY], 100);

	/* A single adult: a family place when a single place is free
	 * elsewhere costs 25. */
	f->n = 0;
	fam = add_shelter(f, "a-fam", UTRECHT);
	fam->pools[0].children_max = 3;
	add_shelter(f, "b-single", ZWOLLE);
	run(f);
	assert_int_equal(cand(f, "a-fam")->scores[SCORER_SCARCITY], 75);
	assert_int_equal(cand(f, "b-single")->scores[SCORER_SCARCITY], 100);
	assert_string_equal(f->res.candidates[0].shelter->id, "b-single");

	/* Specialised care the request does not need costs 25; when it
	 * needs it, it is no loss. */
	f->n = 0;
	care = add_shelter(f, "a-care", UTRECHT);
	care->care = BIT(CARE_MEDICAL);
	add_shelter(f, "b-plain", ZWOLLE);
	run(f);
	assert_int_equal(cand(f, "a-care")->scores[SCORER_SCARCITY], 75);
	assert_int_equal(cand(f, "b-plain")->scores[SCORER_SCARCITY], 100);
	f->r.prefers = BIT(CARE_MEDICAL);
	run(f);
	assert_int_equal(cand(f, "a-care")->scores[SCORER_SCARCITY], 100);
	assert_string_equal(f->res.candidates[0].shelter->id, "a-care");

	/* Weight 0: off, reported as -1. */
	f->opt.weights[SCORER_SCARCITY] = 0;
	f->opt.weights[SCORER_LANGUAGE] = 1;
	run(f);
	assert_int_equal(f->res.candidates[0].scores[SCORER_SCARCITY], -1);
}

static void
test_score_weights(void **state)
{
	struct fx *f = *state;
	const struct match_candidate *c;
	json_t *j;
	char *s;
	int k;

	add_shelter(f, "a", UTRECHT);
	f->r.languages[f->r.nlanguages++] = LANG('r', 'o');
	/* language 0 (w 3), occupancy 50 (w 1), freshness 0 (w 1), scarcity
	 * 100 (w 2: the only candidate), the rest 50 or 100:
	 * (0*3 + 50*2 + 50 + 100*2 + 50 + 0 + 50*2 + 100*2) / 14. */
	run(f);
	c = &f->res.candidates[0];
	assert_int_equal(c->scores[SCORER_CARE_FIT], 100);
	assert_int_equal(c->scores[SCORER_SCARCITY], 100);
	assert_int_equal(c->score, 5000);
	/* Without scarcity: / 12, 41.666.. rounded half up. */
	f->opt.weights[SCORER_SCARCITY] = 0;
	run(f);
	assert_int_equal(f->res.candidates[0].score, 4167);

	/* Weight 0 switches a scorer off: -1, left out of the JSON. */
	for (k = 0; k < SCORER_COUNT; k++)
		f->opt.weights[k] = 0;
	f->opt.weights[SCORER_OCCUPANCY] = 2;
	f->opt.weights[SCORER_CARE_FIT] = 1;
	run(f);
	c = &f->res.candidates[0];
	assert_int_equal(c->scores[SCORER_LANGUAGE], -1);
	assert_int_equal(c->score, 6667);
	j = match_candidates_json(&f->res);
	assert_non_null(j);
	assert_int_equal(
	    json_object_size(json_object_get(json_array_get(j, 0), "scores")),
	    2);
	assert_null(json_object_get(
	    json_object_get(json_array_get(j, 0), "scores"), "language"));
	assert_true(json_real_value(json_object_get(
	                json_array_get(j, 0), "score")) == 66.67);
	s = json_dumps(json_array_get(j, 0),
	    JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	assert_string_equal(s,
	    "{\"distance_km\":{\"exploitation\":null,\"preferred\":null},"
	    "\"free\":2,\"pool\":\"single\",\"score\":66.67,"
	    "\"scores\":{\"care_fit\":100,\"occupancy\":50},"
	    "\"shelter_id\":\"a\"}");
	free(s);
	json_decref(j);

	/* Half up: 7 free of 8 is 87.5 -> 88. */
	f->opt.weights[SCORER_CARE_FIT] = 0;
	f->opt.weights[SCORER_OCCUPANCY] = 1;
	f->s[0].pools[0].total = 8;
	f->s[0].pools[0].occupied = 1; /* 87.5 -> 88 */
	run(f);
	assert_int_equal(f->res.candidates[0].scores[SCORER_OCCUPANCY], 88);
	assert_int_equal(f->res.candidates[0].score, 8800);
}

static void
test_pool_choice(void **state)
{
	struct fx *f = *state;
	struct shelter *s;
	const struct match_candidate *c;

	s = add_shelter(f, "a", UTRECHT);
	s->pools[0].occupied = 3; /* single: 1 free */
	add_pool(s, "family", 2, 6, 0);
	/* A single adult takes the single place although family has more. */
	run(f);
	c = &f->res.candidates[0];
	assert_string_equal(s->pools[c->pool].name, "single");
	assert_int_equal(c->free, 1);
	assert_int_equal(c->npools, 2);
	assert_int_equal(c->pools[0], 0);
	assert_int_equal(c->pools[1], 1);
	/* With a child the single pool does not admit. */
	f->r.nchildren = 1;
	f->r.children[0] = (struct child){5, GENDER_F, true};
	run(f);
	c = &f->res.candidates[0];
	assert_string_equal(s->pools[c->pool].name, "family");
	assert_int_equal(c->npools, 1);
	/* Single full: the family place is used after all. */
	f->r.nchildren = 0;
	s->pools[0].occupied = 4;
	run(f);
	assert_string_equal(s->pools[f->res.candidates[0].pool].name, "family");
	/* Same spare: most free, then the name. */
	s->pools[0].occupied = 0;
	add_pool(s, "beta", 0, 4, 0);
	add_pool(s, "alpha", 0, 4, 0);
	s->pools[0].occupied = 1;
	run(f);
	c = &f->res.candidates[0];
	assert_int_equal(c->npools, 4);
	assert_string_equal(s->pools[c->pools[0]].name, "alpha");
	assert_string_equal(s->pools[c->pools[1]].name, "beta");
	assert_string_equal(s->pools[c->pools[2]].name, "single");
	assert_string_equal(s->pools[c->pools[3]].name, "family");
	assert_int_equal(c->free, 4);
}

static void
test_ranking_ties(void **state)
{
	struct fx *f = *state;
	int k;

	/* Only language scores: a, b and c tie at 100. */
	for (k = 0; k < SCORER_COUNT; k++)
		f->opt.weights[k] = 0;
	f->opt.weights[SCORER_LANGUAGE] = 1;
	add_shelter(f, "c", UTRECHT);
	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", UTRECHT)->pools[0].occupied = 0;
	add_shelter(f, "d", UTRECHT)->languages[0] = LANG('p', 'l');
	f->r.languages[f->r.nlanguages++] = LANG('n', 'l');
	run(f);
	assert_int_equal(f->res.ncandidates, 4);
	assert_string_equal(f->res.candidates[0].shelter->id, "b"); /* free */
	assert_string_equal(f->res.candidates[1].shelter->id, "a"); /* id */
	assert_string_equal(f->res.candidates[2].shelter->id, "c");
	assert_string_equal(f->res.candidates[3].shelter->id, "d"); /* 0 */
	assert_int_equal(f->res.candidates[0].score, 10000);
}

static void
test_determinism(void **state)
{
	struct fx *f = *state;
	json_t *j;
	char *one, *two;
	int i;
	char id[16];

	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "s%02d", i);
		add_shelter(f, id, 51.5 + 0.15 * i, 4.0 + 0.2 * i)
		    ->pools[0]
		    .occupied = i % 5;
		f->s[i].intake_open = i % 7 != 3;
	}
	f->r.has_exploitation_location = true;
	f->r.exploitation_location.lat = 52.0907;
	f->r.exploitation_location.lon = 5.1214;
	run(f);
	j = match_result_json(&f->res);
	one = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	/* The result buffers are reused; nothing of the first run leaks. */
	run(f);
	j = match_result_json(&f->res);
	two = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	assert_non_null(one);
	assert_non_null(two);
	assert_string_equal(one, two);
	free(one);
	free(two);
}

static void
test_reuse_grows(void **state)
{
	struct fx *f = *state;
	char id[16];
	int i;

	add_shelter(f, "s00", UTRECHT)->intake_open = false;
	run(f);
	assert_int_equal(f->res.ncandidates, 0);
	assert_int_equal(f->res.nnear, 1);
	/* A bigger table on the same result: nothing stale survives. */
	for (i = 1; i < MAXS; i++) {
		snprintf(id, sizeof id, "s%02d", i);
		add_shelter(f, id, UTRECHT);
	}
	run(f);
	assert_int_equal(f->res.ncandidates, MAXS - 1);
	assert_int_equal(f->res.nnear, 1);
	assert_int_equal(f->res.reasons[FILTER_INTAKE_CLOSED], 1);
	for (i = 0; i < MAXS - 1; i++)
		assert_string_equal(
		    f->res.candidates[i].shelter->id, f->s[i + 1].id);
	f->s[0].intake_open = true;
	run(f);
	assert_int_equal(f->res.ncandidates, MAXS);
	assert_int_equal(f->res.nnear, 0);
	assert_string_equal(
	    f->res.message, "16/16 shelters can take this request.");
}

static void
test_explanation(void **state)
{
	struct fx *f = *state;
	const char *rej[] = {"e"};
	json_t *j, *near;
	char *s;

	add_shelter(f, "a", UTRECHT)->intake_open = false;
	f->s[0].pools[0].occupied = 4;                       /* two filters */
	add_shelter(f, "b", UTRECHT)->pools[0].occupied = 4; /* no place */
	add_shelter(f, "c", UTRECHT)->pools[0].occupied = 4; /* no place */
	add_shelter(f, "d", UTRECHT)->care = 0;              /* care */
	add_shelter(f, "e", UTRECHT)->care = BIT(CARE_PSYCHIATRIC);
	f->s[4].intake_open = false; /* closed + rejected */
	add_shelter(f, "f", UTRECHT)->care = BIT(CARE_PSYCHIATRIC);
	f->in.rejected = rej;
	f->in.nrejected = 1;
	f->r.needs = BIT(CARE_PSYCHIATRIC);
	f->s[1].care = f->s[2].care = BIT(CARE_PSYCHIATRIC);
	f->s[0].care = BIT(CARE_PSYCHIATRIC);
	run(f);
	assert_int_equal(f->res.eligible, 1);
	assert_int_equal(f->res.reasons[FILTER_INTAKE_CLOSED], 2);
	assert_int_equal(f->res.reasons[FILTER_NO_FREE_PLACE], 3);
	assert_int_equal(f->res.reasons[FILTER_CARE], 1);
	assert_int_equal(f->res.reasons[FILTER_REJECTED], 1);
	assert_string_equal(f->res.message,
	    "1/6 shelters can take this request: 3 no free place, 2 closed "
	    "for intake, 1 lack required care (psychiatric), 1 rejected for "
	    "this request.");
	assert_int_equal(f->res.nnear, 3);
	assert_string_equal(f->res.near[0].shelter->id, "b");
	assert_string_equal(f->res.near[1].shelter->id, "c");
	assert_string_equal(f->res.near[2].shelter->id, "d");
	assert_int_equal(f->res.near[2].failed, FILTER_CARE);

	j = match_explanation_json(&f->res);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 6);
	assert_int_equal(json_integer_value(json_object_get(j, "eligible")), 1);
	assert_int_equal(json_object_size(json_object_get(j, "reasons")), 4);
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(j, "reasons"), "no_free_place")),
	    3);
	near = json_object_get(j, "near_misses");
	assert_int_equal(json_array_size(near), 3);
	s = json_dumps(json_array_get(near, 2), JSON_SORT_KEYS);
	assert_string_equal(
	    s, "{\"failed\": [\"care\"], \"shelter_id\": \"d\"}");
	free(s);
	assert_string_equal(
	    json_string_value(json_object_get(j, "message")), f->res.message);
	json_decref(j);
}

static void
test_explanation_tie_order_and_empty(void **state)
{
	struct fx *f = *state;

	run(f);
	assert_string_equal(
	    f->res.message, "0/0 shelters can take this request.");
	assert_int_equal(f->res.ncandidates, 0);

	/* Equal counts keep filter order; missing care is the union. */
	add_shelter(f, "a", UTRECHT)->pools[0].occupied = 4;
	add_shelter(f, "b", UTRECHT)->care = BIT(CARE_MEDICAL);
	add_shelter(f, "c", UTRECHT)->care = BIT(CARE_PSYCHIATRIC);
	f->s[0].care = BIT(CARE_PSYCHIATRIC) | BIT(CARE_MEDICAL);
	f->r.needs = BIT(CARE_PSYCHIATRIC) | BIT(CARE_MEDICAL);
	f->r.has_safety = true;
	f->r.has_exploitation_location = true;
	f->r.exploitation_location.lat = 52.0907;
	f->r.exploitation_location.lon = 5.1214;
	f->r.min_distance_km = 12.5;
	run(f);
	assert_string_equal(f->res.message,
	    "0/3 shelters can take this request: 3 within 12.5 km of the "
	    "exploitation location, 2 lack required care (psychiatric, "
	    "medical), 1 no free place. Dead end: no shelter in this register "
	    "can take this request, whatever places free up.");
	assert_int_equal(f->res.nnear, 0);

	f->r.min_distance_km = 0;
	f->r.needs = 0;
	f->s[0].pools[0].occupied = 0;
	run(f);
	assert_string_equal(
	    f->res.message, "3/3 shelters can take this request.");
}

/* The forecast: earliest planned departure in a pool the request fits,
 * among shelters that fail only for want of a free place; past dates and
 * pools that do not admit the household do not count. */
static void
test_forecast(void **state)
{
	struct fx *f = *state;
	struct shelter *a, *b, *c, *d;
	struct pool *p;
	int today = 20000; /* 2024-10-04 */

	f->opt.now_ms = (long long)today * 86400000 + 3600000;
	a = add_shelter(f, "a-full", UTRECHT);
	a->pools[0].occupied = 4;
	a->pools[0].departures[0] = (struct departure){today - 1, 1};
	a->pools[0].departures[1] = (struct departure){today + 9, 1};
	a->pools[0].ndepartures = 2;
	b = add_shelter(f, "b-full", ZWOLLE);
	b->pools[0].occupied = 4;
	p = add_pool(b, "men", 0, 1, 1);
	p->genders = BIT(GENDER_M);
	p->departures[0] = (struct departure){today + 1, 1};
	p->ndepartures = 1;
	b->pools[0].departures[0] = (struct departure){today + 5, 2};
	b->pools[0].ndepartures = 1;
	/* Earlier, but closed for intake too: not a near miss of a place. */
	c = add_shelter(f, "c-closed", GRONINGEN);
	c->pools[0].occupied = 4;
	c->intake_open = false;
	c->pools[0].departures[0] = (struct departure){today + 2, 1};
	c->pools[0].ndepartures = 1;
	run(f);
	assert_int_equal(f->res.ncandidates, 0);
	assert_non_null(f->res.forecast.shelter);
	assert_string_equal(f->res.forecast.shelter->id, "b-full");
	assert_int_equal(f->res.forecast.pool, 0);
	assert_int_equal(f->res.forecast.day, today + 5);
	assert_non_null(strstr(f->res.message,
	    "; expected: a fitting place at b-full from 9 Oct."));
	/* A tie on the date goes to the shelter id. */
	a->pools[0].departures[1].day = today + 5;
	run(f);
	assert_string_equal(f->res.forecast.shelter->id, "a-full");
	/* None left: no forecast, no words about it. */
	d = add_shelter(f, "d-free", MAASTRICHT);
	(void)d;
	a->pools[0].ndepartures = 0;
	b->pools[0].ndepartures = 0;
	f->r.gender = GENDER_F;
	run(f);
	assert_null(f->res.forecast.shelter);
	assert_null(strstr(f->res.message, "expected"));
}

static void
test_freshness_states(void **state)
{
	assert_int_equal(forecast_freshness(0, 12, 24, 0), FRESHNESS_FRESH);
	assert_int_equal(
	    forecast_freshness(12 * 3600 - 1, 12, 24, 0), FRESHNESS_FRESH);
	assert_int_equal(
	    forecast_freshness(12 * 3600, 12, 24, 0), FRESHNESS_AGEING);
	assert_int_equal(
	    forecast_freshness(24 * 3600 - 1, 12, 24, 0), FRESHNESS_AGEING);
	assert_int_equal(
	    forecast_freshness(24 * 3600, 12, 24, 0), FRESHNESS_STALE);
	assert_int_equal(forecast_freshness(0, 12, 24, 1), FRESHNESS_STALE);
	assert_string_equal(forecast_freshness_name(FRESHNESS_FRESH), "fresh");
	assert_string_equal(
	    forecast_freshness_name(FRESHNESS_AGEING), "ageing");
	assert_string_equal(forecast_freshness_name(FRESHNESS_STALE), "stale");
}

/* Random tables and requests for the indexed path (splitmix64). */
static uint64_t rnd_state;

static uint64_t
rnd_next(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
rnd(int lo, int hi)
{
	return lo + (int)(rnd_next() % (uint64_t)(hi - lo + 1));
}

#define RND_MAXS 160
#define RND_DAY  20000 /* "today" of the random tables */

static void
rnd_shelter(struct shelter *s, int i)
{
	struct pool *p;
	int k, j;

	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "s-%03d", i);
	s->program = (enum program)rnd(0, PROGRAM_COUNT - 1);
	s->location.lat = 52.0 + rnd(0, 1000) / 1000.0;
	s->location.lon = 5.0 + rnd(0, 1000) / 1000.0;
	s->care = (unsigned)rnd(0, (1 << CARE_COUNT) - 1) &
	    (unsigned)rnd(0, (1 << CARE_COUNT) - 1);
	for (k = rnd(0, 3); k > 0; k--)
		s->languages[s->nlanguages++] =
		    rnd(0, 1) ? LANG('n', 'l') : LANG('e', 'n');
	s->security = (enum security)rnd(0, SECURITY_SECRET);
	s->intake_open = rnd(0, 9) > 0;
	s->updated_at = (long long)RND_DAY * 86400000 - rnd(0, 72) * 3600000LL;
	s->version = 1;
	for (k = rnd(0, 4); k > 0; k--) {
		p = &s->pools[s->npools];
		snprintf(p->name, sizeof p->name, "p%d", rnd(0, 5));
		p->genders = (unsigned)rnd(0, (1 << GENDER_COUNT) - 1);
		p->min_age = rnd(0, 3) == 0 ? rnd(0, 17) : 18;
		p->max_age = rnd(0, 3) == 0 ? rnd(17, 30) : 120;
		p->children_max = rnd(0, 3);
		p->boys_max_age = rnd(6, 17);
		p->total = rnd(0, 6);
		p->occupied = rnd(0, p->total);
		p->held = rnd(0, 1);
		p->expected = rnd(0, 3) == 0;
		for (j = rnd(0, 3) == 0 ? rnd(1, 2) : 0; j > 0; j--)
			p->departures[p->ndepartures++] =
			    (struct departure){RND_DAY + rnd(-1, 9), rnd(1, 2)};
		s->npools++;
	}
}

static void
rnd_request(struct request *r)
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
		r->languages[r->nlanguages++] =
		    rnd(0, 1) ? LANG('n', 'l') : LANG('r', 'o');
	for (k = rnd(0, 3) == 0 ? rnd(1, 3) : 0; k > 0; k--) {
		r->children[r->nchildren].age = rnd(0, 17);
		r->children[r->nchildren].gender = (enum gender)rnd(0, 1);
		r->children[r->nchildren++].has_gender = rnd(0, 1);
	}
	if (rnd(0, 2) == 0)
		r->needs = 1u << rnd(0, CARE_COUNT - 1);
	if (rnd(0, 5) == 0)
		r->needs |= 1u << rnd(0, CARE_COUNT - 1);
	if (rnd(0, 2) == 0)
		r->prefers = 1u << rnd(0, CARE_COUNT - 1);
	if ((r->has_exploitation_location = rnd(0, 1))) {
		r->exploitation_location.lat = 52.0 + rnd(0, 1000) / 1000.0;
		r->exploitation_location.lon = 5.0 + rnd(0, 1000) / 1000.0;
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
		r->preferred_location.lat = 52.0 + rnd(0, 1000) / 1000.0;
		r->preferred_location.lon = 5.0 + rnd(0, 1000) / 1000.0;
	}
	r->urgency = (enum urgency)rnd(0, 2);
	r->residence = (enum residence)rnd(0, RESIDENCE_COUNT - 1);
}

static char *
dump_json(json_t *j)
{
	char *out;

	assert_non_null(j);
	out = json_dumps(j, JSON_REAL_PRECISION(15) | JSON_COMPACT);
	json_decref(j);
	assert_non_null(out);
	return out;
}

/* The candidates of a and b are the same, field by field. */
static void
same_candidates(const struct match_result *a, const struct match_result *b)
{
	const struct match_candidate *x, *y;
	size_t i;

	assert_int_equal(a->ncandidates, b->ncandidates);
	assert_int_equal(a->total, b->total);
	assert_int_equal(a->eligible, b->eligible);
	for (i = 0; i < a->ncandidates; i++) {
		x = &a->candidates[i];
		y = &b->candidates[i];
		assert_ptr_equal(x->shelter, y->shelter);
		assert_int_equal(x->pool, y->pool);
		assert_int_equal(x->npools, y->npools);
		assert_memory_equal(
		    x->pools, y->pools, x->npools * sizeof(int));
		assert_int_equal(x->score, y->score);
		assert_memory_equal(x->scores, y->scores, sizeof x->scores);
		assert_int_equal(x->free, y->free);
	}
}

/* Ids in a buffer the caller overwrites after matching. */
struct rnd_ids {
	char text[3][8][8];
	const char *v[3][8];
	size_t n[3];
};

static void
rnd_input(struct rnd_ids *ids, struct match_input *in, size_t ns)
{
	int l;
	size_t k;

	memset(ids, 0, sizeof *ids);
	for (l = 0; l < 3; l++) {
		ids->n[l] = (size_t)(rnd(0, 2) == 0 ? rnd(1, 8) : 0);
		for (k = 0; k < ids->n[l]; k++) {
			snprintf(ids->text[l][k], sizeof ids->text[l][k],
			    "s-%03d", rnd(0, (int)ns + 2));
			ids->v[l][k] = ids->text[l][k];
		}
	}
	in->rejected = ids->n[0] ? ids->v[0] : NULL;
	in->nrejected = ids->n[0];
	in->case_shelters = ids->n[1] ? ids->v[1] : NULL;
	in->ncase_shelters = ids->n[1];
	in->case_apart = ids->n[2] ? ids->v[2] : NULL;
	in->ncase_apart = ids->n[2];
}

/* One request both ways: the same candidates at once, the same
 * explanation and preview JSON once explained. */
static void
indexed_vs_full(const struct shelter *const *p, size_t n,
    const struct match_index *idx, struct match_options *opt,
    struct match_result *full, struct match_result *fast)
{
	struct request r;
	struct match_input in = {0};
	struct rnd_ids ids;
	bool with_in = rnd(0, 3) > 0;
	char *e1, *e2, *j1, *j2;

	rnd_request(&r);
	if (with_in)
		rnd_input(&ids, &in, n);
	assert_int_equal(
	    match_run(p, n, &r, with_in ? &in : NULL, opt, full), 0);
	assert_int_equal(
	    match_run_indexed(idx, p, n, &r, with_in ? &in : NULL, opt, fast),
	    0);
	same_candidates(full, fast);
	/* The explanation comes later: from copies of the inputs. */
	memset(&ids.text, 'x', sizeof ids.text);
	memset(&r, 0, sizeof r);
	e1 = dump_json(match_explanation_json(full));
	e2 = dump_json(match_explanation_json(fast));
	assert_string_equal(e1, e2);
	same_candidates(full, fast);
	assert_int_equal(full->nnear, fast->nnear);
	assert_memory_equal(full->reasons, fast->reasons, sizeof full->reasons);
	assert_int_equal(full->missing_care, fast->missing_care);
	assert_memory_equal(
	    &full->forecast, &fast->forecast, sizeof full->forecast);
	j1 = dump_json(match_result_json(full));
	j2 = dump_json(match_result_json(fast));
	assert_string_equal(j1, j2);
	free(e1);
	free(e2);
	free(j1);
	free(j2);
}

static void
test_indexed_same_as_full(void **state)
{
	static struct shelter s[RND_MAXS];
	const struct shelter *p[RND_MAXS];
	struct match_index idx;
	struct match_options opt;
	struct match_result full, fast;
	unsigned seed;
	size_t n, i;
	int k, q;

	(void)state;
	match_index_init(&idx);
	match_result_init(&full);
	match_result_init(&fast);
	for (seed = 1; seed <= 400; seed++) {
		rnd_state = seed;
		n = (size_t)(seed % 50 == 0 ? 0 : rnd(1, RND_MAXS));
		for (i = 0; i < n; i++) {
			rnd_shelter(&s[i], (int)i);
			p[i] = &s[i];
		}
		match_options_default(&opt);
		opt.now_ms = (long long)RND_DAY * 86400000 + 3600000;
		opt.referral_minor = "minors desk";
		opt.referral_default = "national desk";
		if (rnd(0, 3) == 0)
			for (k = 0; k < PROGRAM_COUNT; k++)
				opt.reserve[k] = rnd(0, 1) ? rnd(1, 30) : 0;
		if (rnd(0, 3) == 0)
			for (k = 0; k < SCORER_COUNT; k++)
				opt.weights[k] = rnd(0, 3);
		if (rnd(0, 3) == 0)
			opt.programs[PROGRAM_CRISIS] = (struct program_rule){
			    .set = true, .min_age = rnd(-1, 25)};
		assert_int_equal(match_index_build(&idx, p, n), 0);
		for (q = 0; q < 6; q++)
			indexed_vs_full(p, n, &idx, &opt, &full, &fast);
		/* A shelter changed in place, indexed again. */
		if (n > 0) {
			i = (size_t)rnd(0, (int)n - 1);
			rnd_shelter(&s[i], (int)i);
			match_index_set(&idx, i, &s[i]);
			for (q = 0; q < 3; q++)
				indexed_vs_full(p, n, &idx, &opt, &full, &fast);
		}
	}
	match_result_free(&full);
	match_result_free(&fast);
	match_index_free(&idx);
}

/* An index of another table is not used: the full pass runs. */
static void
test_indexed_other_size(void **state)
{
	struct fx *f = *state;
	struct match_index idx;
	char *e;

	add_shelter(f, "a", UTRECHT);
	add_shelter(f, "b", ZWOLLE)->intake_open = false;
	match_index_init(&idx);
	assert_int_equal(match_index_build(&idx, f->p, 1), 0);
	assert_int_equal(
	    match_run_indexed(&idx, f->p, f->n, &f->r, NULL, &f->opt, &f->res),
	    0);
	assert_int_equal(f->res.ncandidates, 1);
	assert_int_equal(f->res.reasons[FILTER_INTAKE_CLOSED], 1);
	/* The same table: the explanation waits until it is asked for. */
	assert_int_equal(match_index_build(&idx, f->p, f->n), 0);
	assert_int_equal(
	    match_run_indexed(&idx, f->p, f->n, &f->r, NULL, &f->opt, &f->res),
	    0);
	assert_int_equal(f->res.ncandidates, 1);
	assert_int_equal(f->res.reasons[FILTER_INTAKE_CLOSED], 0);
	e = dump_json(match_explanation_json(&f->res));
	assert_non_null(strstr(e, "\"intake_closed\":1"));
	assert_int_equal(f->res.reasons[FILTER_INTAKE_CLOSED], 1);
	free(e);
	match_index_free(&idx);
}

/* match_distance_text writes what snprintf("%.1f") does, for distances
 * rounded to 0.1 as matching rounds them and for any other value (then it
 * falls back to snprintf); a short buffer gets what fits. */
static void
test_distance_text_is_printf(void **state)
{
	struct match_candidate c;
	char got[MATCH_DISTANCE_TEXT_MAX], want[160], e[48], p[48];
	unsigned long long x = 88172645463325252ULL;
	int i;

	memset(&c, 0, sizeof c);
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		c.distance_km[0] = (double)(x % 400000000) / 10000.0;
		if (i % 2 == 0)
			c.distance_km[0] = round(c.distance_km[0] * 10) / 10;
		c.distance_km[1] = i % 7 == 0 ? -1 : (double)(x % 1000) / 10.0;
		if (i == 0)
			c.distance_km[0] = 0;
		snprintf(e, sizeof e, "%.1f", c.distance_km[0]);
		snprintf(p, sizeof p, "%.1f", c.distance_km[1]);
		snprintf(want, sizeof want,
		    "{\"exploitation\":%s,\"preferred\":%s}", e,
		    c.distance_km[1] < 0 ? "null" : p);
		assert_string_equal(
		    match_distance_text(&c, got, sizeof got), want);
	}
	c.distance_km[0] = 12.3;
	c.distance_km[1] = -1;
	assert_string_equal(match_distance_text(&c, got, 10), "{\"exploit");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_filter_intake_closed),
	    T(test_distance_km),
	    cmocka_unit_test(test_distance_text_is_printf),
	    T(test_filter_program),
	    T(test_filter_eligibility_cosm),
	    T(test_filter_eligibility_omm),
	    T(test_filter_eligibility_minor),
	    T(test_dead_end_and_referral),
	    T(test_filter_security),
	    T(test_filter_care),
	    T(test_filter_too_close),
	    T(test_filter_case_conflict),
	    T(test_filter_rejected),
	    T(test_filter_household),
	    T(test_filter_no_free_place),
	    T(test_filter_reserved),
	    T(test_score_language),
	    T(test_score_safety_distance),
	    T(test_score_proximity),
	    T(test_score_care_fit),
	    T(test_score_occupancy),
	    T(test_score_freshness),
	    T(test_score_together),
	    T(test_score_scarcity),
	    T(test_score_weights),
	    T(test_pool_choice),
	    T(test_ranking_ties),
	    T(test_determinism),
	    T(test_reuse_grows),
	    T(test_explanation),
	    T(test_explanation_tie_order_and_empty),
	    T(test_forecast),
	    T(test_freshness_states),
	    T(test_indexed_same_as_full),
	    T(test_indexed_other_size),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
