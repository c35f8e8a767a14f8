/*
 * test_model.c: parsing, validation errors (reason, field path, message),
 * JSON output and round trips of shelters and requests, pool admission,
 * enum helpers and RFC 3339 times. All fixtures are fictional.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/geo.h"
#include "shelter/model.h"

#define TSV    SHELTER_SRCDIR "/config/municipalities.tsv"
#define BIT(x) (1u << (x))

static struct gazetteer *gaz;

static const char shelter_text[] =
    "{\"id\": \"cosm-rotterdam\", \"name\": \"COSM Rotterdam\","
    " \"organisation\": \"Example Care\", \"program\": \"cosm\","
    " \"location\": {\"municipality\": \"Rotterdam\", \"lat\": 51.922,"
    " \"lon\": 4.479},"
    " \"care\": [\"trauma\", \"medical\"], \"languages\": [\"nl\", \"en\","
    " \"ro\"], \"security\": \"protected\","
    " \"intake\": {\"open\": true, \"always\": true},"
    " \"pools\": [{\"name\": \"women\", \"genders\": [\"f\"], \"min_age\": 18,"
    " \"max_age\": 120, \"children_max\": 2, \"boys_max_age\": 12,"
    " \"total\": 10, \"occupied\": 8},"
    " {\"name\": \"men\", \"genders\": [\"m\", \"x\"], \"total\": 4}]}";

static const char request_text[] =
    "{\"ref\": \"CM-2026-000123\", \"program\": \"any\","
    " \"person\": {\"gender\": \"f\", \"age\": 24, \"languages\": [\"ro\","
    " \"en\"], \"nationality\": \"RO\"},"
    " \"children\": [{\"age\": 4, \"gender\": \"m\"}, {\"age\": 9}],"
    " \"needs\": [\"psychiatric\"], \"prefers\": [\"trauma\"],"
    " \"exploitation\": {\"sector\": \"sexual\", \"location\":"
    " {\"municipality\": \"Utrecht\"}},"
    " \"safety\": {\"min_distance_km\": 50, \"min_security\": \"protected\","
    " \"case\": \"NET-77\", \"co_victims\": \"apart\"},"
    " \"preferred_location\": {\"municipality\": \"zwolle\"},"
    " \"urgency\": \"immediate\", \"referrer\": \"police\","
    " \"residence\": \"reflection\"}";

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

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *j =
	    json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, text);
	return j;
}

/*
 * Set (value != NULL, JSON text) or delete (value == NULL) the member at a
 * dotted path; numeric segments index arrays ("pools.0.total").
 */
static void
mutate(json_t *root, const char *path, const char *value)
{
	char buf[128], *seg, *next, *end;
	json_t *cur = root, *v = value ? load(value) : NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (seg = buf; (next = strchr(seg, '.')) != NULL; seg = next + 1) {
		*next = '\0';
		if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(seg, &end, 10));
		else
			cur = json_object_get(cur, seg);
		if (cur == NULL)
			fail_msg("no %s in the fixture", path);
	}
	if (json_is_array(cur)) {
		size_t i = strtoul(seg, &end, 10);

		if (v == NULL)
			json_array_remove(cur, i);
		else if (i == json_array_size(cur))
			json_array_append_new(cur, v);
		else
			json_array_set_new(cur, i, v);
	} else if (v == NULL) {
		json_object_del(cur, seg);
	} else {
		json_object_set_new(cur, seg, v);
	}
}

struct bad {
	const char *path;  /* member to change */
	const char *value; /* new JSON value, NULL: delete it */
	const char *reason;
	const char *field;
	const char *message; /* exact; NULL: only "FIELD: " is checked */
};

static void
check_error(const struct bad *b, const struct sh_error *err, int rc)
{
	char prefix[160];

	if (rc == 0)
		fail_msg("%s=%s: accepted", b->path, b->value ? b->value : "-");
	if (err->code != SH_INVALID_PARAMS ||
	    strcmp(err->reason, b->reason) != 0 ||
	    strcmp(err->field, b->field) != 0)
		fail_msg("%s=%s: got %d %s \"%s\" (%s), want %s \"%s\"",
		    b->path, b->value ? b->value : "-", err->code, err->reason,
		    err->field, err->message, b->reason, b->field);
	if (b->message != NULL)
		assert_string_equal(err->message, b->message);
	snprintf(prefix, sizeof prefix, "%s: ", b->field);
	assert_memory_equal(err->message, prefix, strlen(prefix));
}

static void
run_bad_shelters(const struct bad *cases, size_t n, int flags)
{
	struct shelter s;
	struct sh_error err;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *j = load(shelter_text);
		int rc;

		mutate(j, cases[i].path, cases[i].value);
		memset(&err, 0, sizeof err);
		rc = model_shelter_parse(j, gaz, flags, &s, &err);
		json_decref(j);
		check_error(&cases[i], &err, rc);
	}
}

/* Every problem of a shelter, in the order of the first: top-level fields
 * each on their own, pools to their first problem. */
static void
test_shelter_all_problems(void **state)
{
	static struct sh_errors all;
	struct shelter s;
	struct sh_error first;
	json_t *j = load(shelter_text);

	mutate(j, "program", "\"nope\"");
	mutate(j, "street", "\"x\"");
	mutate(j, "care", "[\"trauma\", \"spa\"]");
	mutate(j, "pools.1.total", "-4");
	mutate(j, "pools.0.min_age", "\"old\"");
	assert_int_equal(model_shelter_parse_all(j, gaz, 0, &s, &all), -1);
	assert_int_equal(all.n, 4);
	assert_string_equal(all.v[0].field, "street");
	assert_string_equal(all.v[0].reason, "unknown_field");
	assert_string_equal(all.v[1].field, "program");
	assert_string_equal(all.v[2].field, "care.1");
	assert_string_equal(all.v[3].field, "pools.0.min_age");
	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &first), -1);
	assert_string_equal(first.field, all.v[0].field);
	assert_string_equal(first.message, all.v[0].message);
	json_decref(j);
	j = load(shelter_text);
	assert_int_equal(model_shelter_parse_all(j, gaz, 0, &s, &all), 0);
	assert_int_equal(all.n, 0);
	json_decref(j);
}

/* Every problem of a request's parts: each child, exploitation and
 * safety field on its own. */
static void
test_request_parts_all_problems(void **state)
{
	static struct sh_errors all;
	static const char *const want[] = {"children.0.gender",
	    "children.1.eye", "children.1.age", "exploitation.sector",
	    "safety.min_security", "safety.case"};
	struct request r;
	json_t *j = load(request_text);
	size_t i;

	mutate(j, "children.0.gender", "\"q\"");
	mutate(j, "children.1.age", "18");
	mutate(j, "children.1.eye", "\"x\"");
	mutate(j, "exploitation.sector", "\"none\"");
	mutate(j, "safety.min_security", "\"top\"");
	mutate(j, "safety.case", "\"a b\"");
	assert_int_equal(model_request_parse_all(j, gaz, &r, &all), -1);
	assert_int_equal(all.n, sizeof want / sizeof want[0]);
	for (i = 0; i < all.n; i++)
		assert_string_equal(all.v[i].field, want[i]);
	json_decref(j);
}

static void
run_bad_requests(const struct bad *cases, size_t n)
{
	struct request r;
	struct sh_error err;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *j = load(request_text);
		int rc;

		mutate(j, cases[i].path, cases[i].value);
		memset(&err, 0, sizeof err);
		rc = model_request_parse(j, gaz, &r, &err);
		json_decref(j);
		check_error(&cases[i], &err, rc);
	}
}

#define LANGS17                                                                \
	"[\"aa\",\"ab\",\"ac\",\"ad\",\"ae\",\"af\",\"ag\",\"ah\",\"ai\","     \
	"\"aj\",\"ak\",\"al\",\"am\",\"an\",\"ao\",\"ap\",\"aq\"]"
#define CHILDREN13                                                             \
	"[{\"age\":1},{\"age\":1},{\"age\":1},{\"age\":1},{\"age\":1},"        \
	"{\"age\":1},{\"age\":1},{\"age\":1},{\"age\":1},{\"age\":1},"         \
	"{\"age\":1},{\"age\":1},{\"age\":1}]"
#define CARE_LIST                                                              \
	"psychiatric, addiction, intellectual_disability, medical, trauma, "   \
	"wheelchair, pregnancy"

static void
test_request_valid(void **state)
{
	struct request r;
	struct sh_error err;
	json_t *j = load(request_text);

	assert_int_equal(model_request_parse(j, gaz, &r, &err), 0);
	json_decref(j);
	assert_string_equal(r.ref, "CM-2026-000123");
	assert_int_equal(r.program, PROGRAM_ANY);
	assert_int_equal(r.gender, GENDER_F);
	assert_int_equal(r.age, 24);
	assert_int_equal(r.nlanguages, 2);
	assert_int_equal(r.languages[0], 'r' << 8 | 'o');
	assert_string_equal(r.nationality, "RO");
	assert_int_equal(r.nchildren, 2);
	assert_int_equal(r.children[0].age, 4);
	assert_true(r.children[0].has_gender);
	assert_int_equal(r.children[0].gender, GENDER_M);
	assert_false(r.children[1].has_gender);
	assert_int_equal(r.needs, BIT(CARE_PSYCHIATRIC));
	assert_int_equal(r.prefers, BIT(CARE_TRAUMA));
	assert_true(r.has_exploitation && r.has_exploitation_location);
	assert_int_equal(r.sector, SECTOR_SEXUAL);
	assert_string_equal(r.exploitation_location.municipality, "Utrecht");
	assert_true(r.has_safety);
	assert_true(r.min_distance_km == 50.0);
	assert_int_equal(r.min_security, SECURITY_PROTECTED);
	assert_string_equal(r.case_id, "NET-77");
	assert_int_equal(r.co_victims, CO_VICTIMS_APART);
	/* A name-only location takes the gazetteer's spelling and point. */
	assert_true(r.has_preferred_location);
	assert_true(r.preferred_location.has_name);
	assert_string_equal(r.preferred_location.municipality, "Zwolle");
	assert_true(
	    r.preferred_location.lat > 52.4 && r.preferred_location.lat < 52.6);
	assert_int_equal(r.urgency, URGENCY_IMMEDIATE);
	assert_int_equal(r.referrer, REFERRER_POLICE);
	assert_int_equal(r.residence, RESIDENCE_REFLECTION);
}

static void
test_request_defaults(void **state)
{
	struct request r;
	struct sh_error err;
	json_t *j = load("{\"ref\": \"r1\", \"person\": {\"gender\": \"x\","
	                 " \"age\": 0}}");

	assert_int_equal(model_request_parse(j, NULL, &r, &err), 0);
	json_decref(j);
	assert_int_equal(r.program, PROGRAM_ANY);
	assert_int_equal(r.urgency, URGENCY_DAYS);
	assert_int_equal(r.co_victims, CO_VICTIMS_ANY);
	assert_int_equal(r.referrer, REFERRER_NONE);
	assert_int_equal(r.residence, RESIDENCE_NONE);
	assert_int_equal(r.sector, SECTOR_NONE);
	assert_false(
	    r.has_exploitation || r.has_safety || r.has_preferred_location);
	assert_int_equal(r.nchildren, 0);
	assert_int_equal(r.nlanguages, 0);
	assert_string_equal(r.nationality, "");
	assert_true(r.min_distance_km == 0.0);
}

static void
test_request_unknown_fields(void **state)
{
	static const struct bad cases[] = {
	    {"name", "\"x\"", "unknown_field", "name",
	        "name: shelterd does not store names (unknown field)"},
	    {"person.name", "\"x\"", "unknown_field", "person.name",
	        "person.name: shelterd does not store names (unknown field)"},
	    {"person.birth_date", "\"x\"", "unknown_field", "person.birth_date",
	        NULL},
	    {"children.1.name", "\"x\"", "unknown_field", "children.1.name",
	        "children.1.name: shelterd does not store names (unknown "
	        "field)"},
	    {"exploitation.location.street", "\"x\"", "unknown_field",
	        "exploitation.location.street", NULL},
	    {"exploitation.address", "\"x\"", "unknown_field",
	        "exploitation.address", NULL},
	    {"safety.phone", "1", "unknown_field", "safety.phone", NULL},
	    {"preferred_location.postcode", "\"1234\"", "unknown_field",
	        "preferred_location.postcode", NULL},
	    /* Keys are checked before values: the unknown key wins. */
	    {"person", "{\"age\": 999, \"gender\": \"q\", \"name\": \"x\"}",
	        "unknown_field", "person.name", NULL},
	    /* Any case and separator: one name. */
	    {"Name", "\"x\"", "unknown_field", "Name",
	        "Name: shelterd does not store names (unknown field)"},
	    {"person.firstName", "\"x\"", "unknown_field", "person.firstName",
	        "person.firstName: shelterd does not store names (unknown "
	        "field)"},
	    {"person.dateOfBirth", "\"x\"", "unknown_field",
	        "person.dateOfBirth",
	        "person.dateOfBirth: shelterd does not store birth dates "
	        "(unknown field)"},
	    {"person.Birth-Date", "\"x\"", "unknown_field", "person.Birth-Date",
	        "person.Birth-Date: shelterd does not store birth dates "
	        "(unknown field)"},
	    {"E_Mail", "\"x\"", "unknown_field", "E_Mail",
	        "E_Mail: shelterd does not store email addresses (unknown "
	        "field)"},
	    {"surname_of_the_person_as_in_the_passport", "\"x\"",
	        "unknown_field", "surname_of_the_person_as_in_the_passport",
	        "surname_of_the_person_as_in_the_passport: unknown field"},
	};

	run_bad_requests(cases, sizeof cases / sizeof *cases);
}

/* An empty key at the request's top is "." until the caller names the
 * object; prefixes and names turn it into "OBJECT."; personal keys say
 * what is not stored. */
static void
test_error_object_names(void **state)
{
	json_t *obj = json_loads("{\"\": 1, \"ref\": \"R-1\", \"person\": "
	                         "{\"gender\": \"f\", \"age\": 30}}",
	    0, NULL);
	struct sh_errors *all = malloc(sizeof *all);
	struct request r;
	struct sh_error e;

	assert_non_null(obj);
	assert_non_null(all);
	assert_int_equal(model_request_parse_all(obj, gaz, &r, all), -1);
	assert_int_equal(all->n, 1);
	assert_string_equal(all->v[0].field, ".");
	e = all->v[0];
	sh_errors_name_object(all, "request");
	assert_string_equal(all->v[0].field, "request.");
	assert_string_equal(
	    all->v[0].message, "request.: an empty key is not a field");
	sh_error_prefix(&e, "requests.2");
	assert_string_equal(e.field, "requests.2.");
	assert_string_equal(
	    e.message, "requests.2.: an empty key is not a field");
	model_field_unknown(&e, "params.email", "email");
	assert_string_equal(e.reason, "unknown_field");
	assert_non_null(strstr(e.message, "does not store email addresses"));
	model_field_unknown(&e, "colour", "colour");
	assert_string_equal(e.message, "colour: unknown field");
	free(all);
	json_decref(obj);
}

static void
test_request_missing_fields(void **state)
{
	static const struct bad cases[] = {
	    {"ref", NULL, "missing_field", "ref", "ref: is required"},
	    {"person", NULL, "missing_field", "person", "person: is required"},
	    {"person.gender", NULL, "missing_field", "person.gender",
	        "person.gender: is required"},
	    {"person.age", NULL, "missing_field", "person.age",
	        "person.age: is required"},
	    {"children.1.age", NULL, "missing_field", "children.1.age", NULL},
	    {"exploitation.location", "{\"lat\": 52.0}", "missing_field",
	        "exploitation.location.lon", NULL},
	    {"exploitation.location", "{\"lon\": 5.0}", "missing_field",
	        "exploitation.location.lat", NULL},
	    {"exploitation.location", "{}", "missing_field",
	        "exploitation.location.municipality", NULL},
	    {"preferred_location",
	        "{\"municipality\": \"Zwolle\","
	        " \"lat\": 52.5}",
	        "missing_field", "preferred_location.lon", NULL},
	};

	run_bad_requests(cases, sizeof cases / sizeof *cases);
}

static void
test_request_invalid_fields(void **state)
{
	static const struct bad cases[] = {
	    {"person.age", "121", "invalid_field", "person.age",
	        "person.age: must be an integer from 0 to 120"},
	    {"person.age", "-1", "invalid_field", "person.age", NULL},
	    {"person.age", "24.0", "invalid_field", "person.age", NULL},
	    {"person.age", "\"24\"", "invalid_field", "person.age", NULL},
	    {"person.age", "null", "invalid_field", "person.age", NULL},
	    {"person.gender", "\"w\"", "invalid_field", "person.gender",
	        "person.gender: must be one of f, m, x"},
	    {"person.gender", "1", "invalid_field", "person.gender", NULL},
	    {"person", "[]", "invalid_field", "person",
	        "person: must be an object"},
	    {"person.languages", "[\"en\", \"EN\"]", "invalid_field",
	        "person.languages.1", NULL},
	    {"person.languages", "[\"eng\"]", "invalid_field",
	        "person.languages.0", NULL},
	    {"person.languages", "[\"en\", \"ro\", \"en\"]", "invalid_field",
	        "person.languages.2", "person.languages.2: is a duplicate"},
	    {"person.languages", LANGS17, "invalid_field", "person.languages",
	        NULL},
	    {"person.languages", "\"en\"", "invalid_field", "person.languages",
	        NULL},
	    {"person.nationality", "\"ro\"", "invalid_field",
	        "person.nationality", NULL},
	    {"person.nationality", "\"ROU\"", "invalid_field",
	        "person.nationality", NULL},
	    {"ref", "\"a b\"", "invalid_field", "ref", NULL},
	    {"ref", "\"\"", "invalid_field", "ref", NULL},
	    {"ref",
	        "\"0123456789012345678901234567890123456789012345678901"
	        "2345678901234\"",
	        "invalid_field", "ref", NULL},
	    {"ref", "7", "invalid_field", "ref", NULL},
	    {"program", "\"crisis\"", "invalid_field", "program",
	        "program: must be one of cosm, omm, any"},
	    {"children", CHILDREN13, "invalid_field", "children",
	        "children: must be an array of at most 12 children"},
	    {"children", "{}", "invalid_field", "children", NULL},
	    {"children.1", "4", "invalid_field", "children.1",
	        "children.1: must be an object"},
	    {"children.1.age", "18", "invalid_field", "children.1.age",
	        "children.1.age: must be an integer from 0 to 17"},
	    {"children.0.gender", "\"boy\"", "invalid_field",
	        "children.0.gender", NULL},
	    {"needs", "\"trauma\"", "invalid_field", "needs",
	        "needs: must be an array of care tags (" CARE_LIST ")"},
	    {"needs", "[\"psychiatric\", \"dance\"]", "invalid_field",
	        "needs.1", "needs.1: must be one of " CARE_LIST},
	    {"needs", "[\"trauma\", \"trauma\"]", "invalid_field", "needs.1",
	        "needs.1: is a duplicate"},
	    {"prefers.1", "\"trauma\"", "invalid_field", "prefers.1", NULL},
	    {"exploitation", "\"sexual\"", "invalid_field", "exploitation",
	        NULL},
	    {"exploitation.sector", "\"fishing\"", "invalid_field",
	        "exploitation.sector",
	        "exploitation.sector: must be one of "
	        "sexual, labour, criminal, other, unknown"},
	    {"exploitation.location", "{\"lat\": 91, \"lon\": 5}",
	        "invalid_field", "exploitation.location.lat",
	        "exploitation.location.lat: must be a number from -90 to "
	        "90"},
	    {"exploitation.location", "{\"lat\": 52, \"lon\": \"5\"}",
	        "invalid_field", "exploitation.location.lon", NULL},
	    {"exploitation.location.municipality", "\"\"", "invalid_field",
	        "exploitation.location.municipality", NULL},
	    {"safety.min_distance_km", "1001", "invalid_field",
	        "safety.min_distance_km",
	        "safety.min_distance_km: must be a number from 0 to 1000"},
	    {"safety.min_distance_km", "-0.5", "invalid_field",
	        "safety.min_distance_km", NULL},
	    {"safety.min_distance_km", "\"far\"", "invalid_field",
	        "safety.min_distance_km", NULL},
	    {"safety.min_security", "\"max\"", "invalid_field",
	        "safety.min_security", NULL},
	    {"safety.case", "\"NET 77\"", "invalid_field", "safety.case", NULL},
	    {"safety.co_victims", "\"maybe\"", "invalid_field",
	        "safety.co_victims", NULL},
	    {"preferred_location", "\"Zwolle\"", "invalid_field",
	        "preferred_location", NULL},
	    {"urgency", "\"now\"", "invalid_field", "urgency",
	        "urgency: must be one of immediate, days, planned"},
	    {"referrer", "\"friend\"", "invalid_field", "referrer", NULL},
	    {"residence", "\"tourist\"", "invalid_field", "residence", NULL},
	};

	run_bad_requests(cases, sizeof cases / sizeof *cases);
}

static void
test_request_unknown_municipality(void **state)
{
	static const struct bad cases[] = {
	    {"exploitation.location.municipality", "\"Atlantis\"",
	        "invalid_field", "exploitation.location.municipality", NULL},
	    {"preferred_location.municipality", "\"Amsterdam-Noord\"",
	        "invalid_field", "preferred_location.municipality", NULL},
	};
	struct request r;
	struct sh_error err;
	json_t *j;

	run_bad_requests(cases, sizeof cases / sizeof *cases);
	/* The message says it is unknown and how to get past it. */
	j = load(request_text);
	mutate(j, "preferred_location.municipality", "\"Atlantis\"");
	assert_int_equal(model_request_parse(j, gaz, &r, &err), -1);
	assert_non_null(strstr(err.message, "unknown"));
	assert_non_null(strstr(err.message, "lat and lon"));
	/* With coordinates an unknown name is a label. */
	mutate(j, "preferred_location.lat", "52.1");
	mutate(j, "preferred_location.lon", "5.2");
	assert_int_equal(model_request_parse(j, gaz, &r, &err), 0);
	assert_string_equal(r.preferred_location.municipality, "Atlantis");
	assert_true(r.preferred_location.lat == 52.1);
	/* Without a gazetteer a name-only location cannot be resolved. */
	mutate(j, "preferred_location", "{\"municipality\": \"Zwolle\"}");
	mutate(j, "exploitation", NULL);
	assert_int_equal(model_request_parse(j, NULL, &r, &err), -1);
	assert_string_equal(err.field, "preferred_location.municipality");
	json_decref(j);
}

static void
test_not_objects(void **state)
{
	struct request r;
	struct shelter s;
	struct sh_error err;
	json_t *j = json_array();

	assert_int_equal(model_request_parse(j, gaz, &r, &err), -1);
	assert_string_equal(err.reason, "invalid_field");
	assert_string_equal(err.field, "");
	assert_string_equal(err.message, "request: must be an object");
	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), -1);
	assert_string_equal(err.field, "");
	assert_string_equal(err.message, "shelter: must be an object");
	assert_int_equal(model_shelter_parse(NULL, gaz, 0, &s, &err), -1);
	assert_int_equal(model_request_parse(NULL, gaz, &r, &err), -1);
	json_decref(j);
}

static void
test_shelter_valid(void **state)
{
	struct shelter s;
	struct sh_error err;
	json_t *j = load(shelter_text);

	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), 0);
	json_decref(j);
	assert_string_equal(s.id, "cosm-rotterdam");
	assert_string_equal(s.name, "COSM Rotterdam");
	assert_string_equal(s.organisation, "Example Care");
	assert_int_equal(s.program, PROGRAM_COSM);
	/* Both given: the coordinates are used (to 0.01 degree: never an
	 * address), the name kept as label. */
	assert_string_equal(s.location.municipality, "Rotterdam");
	assert_true(s.location.lat == 51.92 && s.location.lon == 4.48);
	assert_int_equal(s.care, BIT(CARE_TRAUMA) | BIT(CARE_MEDICAL));
	assert_int_equal(s.nlanguages, 3);
	assert_int_equal(s.security, SECURITY_PROTECTED);
	assert_true(s.intake_open && s.intake_always);
	assert_int_equal(s.npools, 2);
	assert_string_equal(s.pools[0].name, "women");
	assert_int_equal(s.pools[0].genders, BIT(GENDER_F));
	assert_int_equal(s.pools[0].children_max, 2);
	assert_int_equal(s.pools[0].boys_max_age, 12);
	assert_int_equal(s.pools[0].occupied, 8);
	/* Defaults of a pool. */
	assert_int_equal(s.pools[1].genders, BIT(GENDER_M) | BIT(GENDER_X));
	assert_int_equal(s.pools[1].min_age, 0);
	assert_int_equal(s.pools[1].max_age, 120);
	assert_int_equal(s.pools[1].children_max, 0);
	assert_int_equal(s.pools[1].boys_max_age, 17);
	assert_int_equal(s.pools[1].occupied, 0);
	assert_int_equal(s.version, 0);
	assert_int_equal(s.updated_at, 0);
}

static void
test_shelter_defaults(void **state)
{
	struct shelter s;
	struct sh_error err;
	json_t *j = load("{\"id\": \"s1\", \"program\": \"omm\", \"location\":"
	                 " {\"municipality\": \"S\xc3\xba"
	                 "dwest Frysl\xc3\xa2n\"},"
	                 " \"pools\": [{\"name\": \"p\", \"genders\": [\"x\"],"
	                 " \"total\": 0}]}");

	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), 0);
	/* New shelter without intake: open, not 24/7. */
	assert_true(s.intake_open);
	assert_false(s.intake_always);
	assert_int_equal(s.security, SECURITY_STANDARD);
	assert_int_equal(s.care, 0);
	assert_string_equal(s.name, "");
	/* Name only: the gazetteer's spelling and point. */
	assert_string_equal(s.location.municipality,
	    "S\xc3\xba"
	    "dwest-Frysl\xc3\xa2n");
	assert_true(s.location.lat == 53.06 && s.location.lon == 5.52);
	mutate(j, "intake", "{\"always\": true}");
	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), 0);
	assert_true(s.intake_open && s.intake_always);
	mutate(j, "intake", "{\"open\": false}");
	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), 0);
	assert_false(s.intake_open);
	json_decref(j);
}

static void
test_shelter_errors(void **state)
{
	static const struct bad cases[] = {
	    {"address", "\"x\"", "unknown_field", "address",
	        "address: shelterd does not store addresses (unknown field)"},
	    {"pools.1.beds", "3", "unknown_field", "pools.1.beds", NULL},
	    {"intake.door", "true", "unknown_field", "intake.door", NULL},
	    {"location.street", "\"x\"", "unknown_field", "location.street",
	        NULL},
	    {"version", "3", "unknown_field", "version", NULL},
	    {"pools.0.held", "1", "unknown_field", "pools.0.held", NULL},
	    {"id", NULL, "missing_field", "id", "id: is required"},
	    {"program", NULL, "missing_field", "program", NULL},
	    {"location", NULL, "missing_field", "location", NULL},
	    {"pools", NULL, "missing_field", "pools", NULL},
	    {"pools.0.name", NULL, "missing_field", "pools.0.name", NULL},
	    {"pools.1.genders", NULL, "missing_field", "pools.1.genders", NULL},
	    {"pools.0.total", NULL, "missing_field", "pools.0.total",
	        "pools.0.total: is required"},
	    {"location", "{\"lat\": 51.9}", "missing_field", "location.lon",
	        NULL},
	    {"location", "{}", "missing_field", "location.municipality", NULL},
	    {"id", "\"Bad_ID\"", "invalid_field", "id", NULL},
	    {"id", "\"-abc\"", "invalid_field", "id", NULL},
	    {"id",
	        "\"a123456789012345678901234567890123456789012345678901"
	        "234567890123\"",
	        "invalid_field", "id", NULL},
	    {"name", "\"\"", "invalid_field", "name",
	        "name: must be a string of 1 to 128 bytes"},
	    {"organisation", "17", "invalid_field", "organisation", NULL},
	    {"program", "\"hotel\"", "invalid_field", "program",
	        "program: must be one of cosm, omm, crisis, screening, "
	        "labour, regular"},
	    {"program", "\"any\"", "invalid_field", "program", NULL},
	    {"location", "\"Rotterdam\"", "invalid_field", "location",
	        "location: must be an object"},
	    {"location", "{\"municipality\": \"Atlantis\"}", "invalid_field",
	        "location.municipality", NULL},
	    {"location", "{\"lat\": 51.9, \"lon\": 181}", "invalid_field",
	        "location.lon", NULL},
	    {"care", "[\"trauma\", \"spa\"]", "invalid_field", "care.1", NULL},
	    {"care", "[\"trauma\", \"medical\", \"trauma\"]", "invalid_field",
	        "care.2", "care.2: is a duplicate"},
	    {"languages", "[\"nl\", \"NL\"]", "invalid_field", "languages.1",
	        NULL},
	    {"languages", "[\"nl\", \"nl\"]", "invalid_field", "languages.1",
	        NULL},
	    {"languages", LANGS17, "invalid_field", "languages", NULL},
	    {"security", "\"top\"", "invalid_field", "security",
	        "security: must be one of standard, protected, secret"},
	    {"intake", "true", "invalid_field", "intake", NULL},
	    {"intake.open", "\"yes\"", "invalid_field", "intake.open",
	        "intake.open: must be true or false"},
	    {"intake.always", "1", "invalid_field", "intake.always", NULL},
	    {"pools", "[]", "invalid_field", "pools",
	        "pools: must be an array of 1 to 16 pools"},
	    {"pools", "{}", "invalid_field", "pools", NULL},
	    {"pools.1", "\"men\"", "invalid_field", "pools.1",
	        "pools.1: must be an object"},
	    {"pools.0.name", "\"Women\"", "invalid_field", "pools.0.name",
	        NULL},
	    {"pools.0.name", "\"_w\"", "invalid_field", "pools.0.name", NULL},
	    {"pools.1.name", "\"women\"", "invalid_field", "pools.1.name",
	        NULL},
	    {"pools.0.genders", "[]", "invalid_field", "pools.0.genders",
	        "pools.0.genders: must be a non-empty array of f, m, x"},
	    {"pools.0.genders", "[\"f\", \"f\"]", "invalid_field",
	        "pools.0.genders.1", NULL},
	    {"pools.0.genders", "[\"w\"]", "invalid_field", "pools.0.genders.0",
	        NULL},
	    {"pools.0.total", "10001", "invalid_field", "pools.0.total",
	        "pools.0.total: must be an integer from 0 to 10000"},
	    {"pools.0.total", "-1", "invalid_field", "pools.0.total", NULL},
	    {"pools.0.total", "10.0", "invalid_field", "pools.0.total", NULL},
	    {"pools.0.occupied", "11", "invalid_field", "pools.0.occupied",
	        "pools.0.occupied: must be an integer from 0 to total (10)"},
	    {"pools.0.occupied", "2.5", "invalid_field", "pools.0.occupied",
	        "pools.0.occupied: must be an integer from 0 to total (10)"},
	    {"pools.0.occupied", "-1", "invalid_field", "pools.0.occupied",
	        NULL},
	    {"pools.0.min_age", "121", "invalid_field", "pools.0.min_age",
	        NULL},
	    {"pools.0.max_age", "17", "invalid_field", "pools.0.max_age",
	        "pools.0.max_age: must be at least min_age (18)"},
	    {"pools.0.children_max", "13", "invalid_field",
	        "pools.0.children_max",
	        "pools.0.children_max: must be an integer from 0 to 12"},
	    {"pools.0.boys_max_age", "18", "invalid_field",
	        "pools.0.boys_max_age", NULL},
	};
	static const struct bad stored[] = {
	    {"updated_at", "\"yesterday\"", "invalid_field", "updated_at",
	        NULL},
	    {"version", "-1", "invalid_field", "version", NULL},
	    {"pools.0.held", "-1", "invalid_field", "pools.0.held", NULL},
	    {"pools.0.expected", "1.5", "invalid_field", "pools.0.expected",
	        NULL},
	    {"pools.0.overbooked", "\"no\"", "invalid_field",
	        "pools.0.overbooked", NULL},
	    {"pools.0.reserved", "1", "unknown_field", "pools.0.reserved",
	        NULL},
	};

	run_bad_shelters(cases, sizeof cases / sizeof *cases, 0);
	run_bad_shelters(stored, sizeof stored / sizeof *stored, MODEL_STORED);
}

static void
test_shelter_too_many_pools(void **state)
{
	struct shelter s;
	struct sh_error err;
	json_t *j = load(shelter_text), *pools = json_object_get(j, "pools");
	char name[16];
	int i;

	for (i = 2; i < 16; i++) {
		snprintf(name, sizeof name, "p%d", i);
		json_array_append_new(pools,
		    json_pack("{s:s, s:[s], s:i}", "name", name, "genders", "f",
		        "total", 1));
	}
	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), 0);
	assert_int_equal(s.npools, 16);
	json_array_append_new(pools,
	    json_pack("{s:s, s:[s], s:i}", "name", "p16", "genders", "f",
	        "total", 1));
	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), -1);
	assert_string_equal(err.reason, "invalid_field");
	assert_string_equal(err.field, "pools");
	json_decref(j);
}

static void
test_shelter_stored(void **state)
{
	struct shelter s;
	struct sh_error err;
	json_t *j = load(shelter_text);

	/* A capacity cut below occupancy is only accepted from the store. */
	mutate(j, "pools.0.occupied", "12");
	mutate(j, "pools.0.held", "2");
	mutate(j, "pools.0.expected", "1");
	mutate(j, "pools.0.free", "0");
	mutate(j, "pools.0.overbooked", "true");
	mutate(j, "version", "7");
	mutate(j, "updated_at", "\"2026-11-28T00:00:00Z\"");
	assert_int_equal(
	    model_shelter_parse(j, gaz, MODEL_STORED, &s, &err), 0);
	assert_int_equal(s.pools[0].occupied, 12);
	assert_int_equal(s.pools[0].held, 2);
	assert_int_equal(s.pools[0].expected, 1);
	assert_int_equal(model_pool_free(&s.pools[0]), -5);
	assert_int_equal(s.version, 7);
	assert_int_equal(s.updated_at, 1795824000000LL);
	mutate(j, "updated_at", "null");
	assert_int_equal(
	    model_shelter_parse(j, gaz, MODEL_STORED, &s, &err), 0);
	assert_int_equal(s.updated_at, 0);
	json_decref(j);
}

/* Counts of a stored shelter are copied only when nothing else changed. */
static void
test_shelter_put_counts(void **state)
{
	struct shelter s, before;
	struct sh_error err;
	json_t *j = load(shelter_text);

	mutate(j, "version", "3");
	mutate(j, "updated_at", "\"2026-11-28T00:00:00Z\"");
	mutate(j, "pools.0.held", "0");
	mutate(j, "pools.0.expected", "0");
	mutate(j, "pools.1.occupied", "0");
	mutate(j, "pools.1.held", "0");
	mutate(j, "pools.1.expected", "0");
	assert_int_equal(
	    model_shelter_parse(j, gaz, MODEL_STORED, &s, &err), 0);
	/* A hold and an arrival: the same version, new counts. */
	mutate(j, "pools.0.occupied", "9");
	mutate(j, "pools.0.held", "1");
	mutate(j, "pools.1.expected", "2");
	assert_int_equal(model_shelter_put_counts(&s, j), 0);
	assert_int_equal(s.pools[0].occupied, 9);
	assert_int_equal(s.pools[0].held, 1);
	assert_int_equal(s.pools[1].expected, 2);
	assert_int_equal(s.pools[1].total, 4);
	/* Anything else changed: s is left as it was, to parse in full. */
	before = s;
	mutate(j, "pools.0.held", "2");
	mutate(j, "version", "4");
	assert_int_equal(model_shelter_put_counts(&s, j), -1);
	assert_memory_equal(&s, &before, sizeof s);
	mutate(j, "version", "3");
	mutate(j, "updated_at", "\"2026-11-28T00:00:01Z\"");
	assert_int_equal(model_shelter_put_counts(&s, j), -1);
	mutate(j, "updated_at", "\"2026-11-28T00:00:00Z\"");
	mutate(j, "pools.1.name", "\"mothers\"");
	assert_int_equal(model_shelter_put_counts(&s, j), -1);
	mutate(j, "pools.1.name", "\"men\"");
	mutate(j, "pools.0.departures",
	    "[{\"date\": \"2026-12-24\", \"count\": 1}]");
	assert_int_equal(model_shelter_put_counts(&s, j), -1);
	mutate(j, "pools.0.departures", "[]");
	mutate(j, "pools.0.held", "-1");
	assert_int_equal(model_shelter_put_counts(&s, j), -1);
	assert_memory_equal(&s, &before, sizeof s);
	mutate(j, "pools.0.held", "2");
	assert_int_equal(model_shelter_put_counts(&s, j), 0);
	assert_int_equal(s.pools[0].held, 2);
	json_decref(j);
}

/*
 * A capacity.changed event's counts are copied when its shelter, version
 * and pools are the table's; anything else leaves the shelter as it was.
 */
static void
test_shelter_event_counts(void **state)
{
	struct shelter s, before;
	struct sh_error err;
	json_t *j = load(shelter_text), *d;

	mutate(j, "version", "3");
	assert_int_equal(
	    model_shelter_parse(j, gaz, MODEL_STORED, &s, &err), 0);
	d = load("{\"shelter_id\": \"cosm-rotterdam\", \"version\": 3,"
	         " \"pools\": [{\"name\": \"women\", \"total\": 12,"
	         " \"occupied\": 9, \"held\": 1, \"expected\": 0,"
	         " \"free\": 2}, {\"name\": \"men\", \"total\": 4,"
	         " \"occupied\": 1, \"held\": 0, \"expected\": 2,"
	         " \"free\": 1}]}");
	assert_int_equal(model_shelter_event_counts(&s, d), 0);
	assert_int_equal(s.pools[0].total, 12);
	assert_int_equal(s.pools[0].occupied, 9);
	assert_int_equal(s.pools[0].held, 1);
	assert_int_equal(s.pools[1].expected, 2);
	before = s;
	mutate(d, "version", "4");
	assert_int_equal(model_shelter_event_counts(&s, d), -1);
	mutate(d, "version", "3");
	mutate(d, "shelter_id", "\"omm-zwolle\"");
	assert_int_equal(model_shelter_event_counts(&s, d), -1);
	mutate(d, "shelter_id", "\"cosm-rotterdam\"");
	mutate(d, "pools.1.name", "\"mothers\"");
	assert_int_equal(model_shelter_event_counts(&s, d), -1);
	mutate(d, "pools.1.name", "\"men\"");
	mutate(d, "pools.0.held", "-1");
	assert_int_equal(model_shelter_event_counts(&s, d), -1);
	mutate(d, "pools.0.held", "\"1\"");
	assert_int_equal(model_shelter_event_counts(&s, d), -1);
	mutate(d, "pools.0.held", "1");
	mutate(d, "pools.1", NULL);
	assert_int_equal(model_shelter_event_counts(&s, d), -1);
	assert_memory_equal(&s, &before, sizeof s);
	json_decref(d);
	json_decref(j);
}

/* Dump compactly with short reals, for exact comparisons. */
static char *
dump(const json_t *j)
{
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
	assert_non_null(s);
	return s;
}

static void
test_shelter_to_json(void **state)
{
	struct shelter s;
	struct sh_error err;
	json_t *j = load(shelter_text), *o;
	char *text;

	assert_int_equal(model_shelter_parse(j, gaz, 0, &s, &err), 0);
	json_decref(j);
	o = model_shelter_to_json(&s, 0);
	text = dump(o);
	assert_string_equal(text,
	    "{\"id\":\"cosm-rotterdam\",\"name\":\"COSM Rotterdam\","
	    "\"organisation\":\"Example Care\",\"program\":\"cosm\","
	    "\"location\":{\"municipality\":\"Rotterdam\",\"lat\":51.92,"
	    "\"lon\":4.48},\"care\":[\"medical\",\"trauma\"],"
	    "\"languages\":[\"nl\",\"en\",\"ro\"],\"security\":\"protected\","
	    "\"intake\":{\"open\":true,\"always\":true},\"pools\":["
	    "{\"name\":\"women\",\"genders\":[\"f\"],\"min_age\":18,"
	    "\"max_age\":120,\"children_max\":2,\"boys_max_age\":12,"
	    "\"total\":10,\"occupied\":8},"
	    "{\"name\":\"men\",\"genders\":[\"m\",\"x\"],\"min_age\":0,"
	    "\"max_age\":120,\"children_max\":0,\"boys_max_age\":17,"
	    "\"total\":4,\"occupied\":0}]}");
	free(text);
	json_decref(o);

	/* Live: counts, free never below 0, overbooked, version, time. */
	s.name[0] = s.organisation[0] = '\0';
	s.npools = 1;
	s.pools[0].held = 2;
	s.pools[0].expected = 1;
	s.version = 3;
	s.updated_at = 1795824000999LL;
	o = model_shelter_to_json(&s, MODEL_LIVE);
	assert_null(json_object_get(o, "name"));
	assert_null(json_object_get(o, "organisation"));
	text = dump(json_object_get(o, "pools"));
	assert_string_equal(text,
	    "[{\"name\":\"women\",\"genders\":[\"f\"],\"min_age\":18,"
	    "\"max_age\":120,\"children_max\":2,\"boys_max_age\":12,"
	    "\"total\":10,\"occupied\":8,\"held\":2,\"expected\":1,"
	    "\"free\":0,\"overbooked\":true}]");
	free(text);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), 3);
	assert_string_equal(json_string_value(json_object_get(o, "updated_at")),
	    "2026-11-28T00:00:00Z");
	json_decref(o);
	s.updated_at = 0;
	s.pools[0].held = 0;
	o = model_shelter_to_json(&s, MODEL_LIVE);
	assert_true(json_is_null(json_object_get(o, "updated_at")));
	j = json_array_get(json_object_get(o, "pools"), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "free")), 1);
	assert_true(json_is_false(json_object_get(j, "overbooked")));
	json_decref(o);
}

static void
test_shelter_round_trip(void **state)
{
	struct shelter a, b;
	struct sh_error err;
	json_t *j = load(shelter_text), *o;

	assert_int_equal(model_shelter_parse(j, gaz, 0, &a, &err), 0);
	json_decref(j);
	a.pools[1].held = 3;
	a.pools[1].expected = 2;
	a.intake_open = false;
	a.version = 42;
	a.updated_at = 1795824000000LL;
	o = model_shelter_to_json(&a, MODEL_LIVE);
	assert_int_equal(
	    model_shelter_parse(o, gaz, MODEL_STORED, &b, &err), 0);
	assert_memory_equal(&a, &b, sizeof a);
	/* Without the live flag the input form parses back too. */
	json_decref(o);
	o = model_shelter_to_json(&a, 0);
	assert_int_equal(model_shelter_parse(o, gaz, 0, &b, &err), 0);
	assert_string_equal(b.pools[1].name, "men");
	assert_int_equal(b.version, 0);
	json_decref(o);
}

static void
test_request_round_trip(void **state)
{
	static const char *const texts[] = {
	    request_text,
	    "{\"ref\": \"a\", \"person\": {\"gender\": \"m\", \"age\": 40}}",
	    "{\"ref\": \"b.c_d-E\", \"program\": \"omm\", \"person\":"
	    " {\"gender\": \"x\", \"age\": 17}, \"safety\":"
	    " {\"min_distance_km\": 12.5}, \"exploitation\": {\"location\":"
	    " {\"municipality\": \"Elsewhere\", \"lat\": 50.5, \"lon\": -3}},"
	    " \"preferred_location\": {\"lat\": 52, \"lon\": 5},"
	    " \"urgency\": \"planned\", \"residence\": \"b8_permit\"}",
	};
	struct request a, b;
	struct sh_error err;
	size_t i;

	for (i = 0; i < sizeof texts / sizeof *texts; i++) {
		json_t *j = load(texts[i]), *o;

		assert_int_equal(model_request_parse(j, gaz, &a, &err), 0);
		o = model_request_to_json(&a);
		assert_non_null(o);
		if (model_request_parse(o, gaz, &b, &err) != 0)
			fail_msg("case %zu: %s", i, err.message);
		assert_memory_equal(&a, &b, sizeof a);
		json_decref(o);
		json_decref(j);
	}
}

static void
test_request_to_json(void **state)
{
	struct request r;
	struct sh_error err;
	json_t *j = load("{\"ref\": \"a\", \"person\": {\"age\": 40,"
	                 " \"gender\": \"m\"}}"),
	       *o;
	char *text;

	assert_int_equal(model_request_parse(j, gaz, &r, &err), 0);
	json_decref(j);
	o = model_request_to_json(&r);
	text = dump(o);
	assert_string_equal(text,
	    "{\"ref\":\"a\",\"program\":\"any\",\"person\":{\"gender\":\"m\","
	    "\"age\":40,\"languages\":[]},\"children\":[],\"needs\":[],"
	    "\"prefers\":[],\"urgency\":\"days\"}");
	free(text);
	json_decref(o);

	j = load(request_text);
	assert_int_equal(model_request_parse(j, gaz, &r, &err), 0);
	json_decref(j);
	o = model_request_to_json(&r);
	text = dump(json_object_get(o, "preferred_location"));
	assert_string_equal(
	    text, "{\"municipality\":\"Zwolle\",\"lat\":52.51,\"lon\":6.09}");
	free(text);
	text = dump(json_object_get(o, "safety"));
	assert_string_equal(text,
	    "{\"min_distance_km\":50,\"min_security\":\"protected\","
	    "\"case\":\"NET-77\",\"co_victims\":\"apart\"}");
	free(text);
	text = dump(json_object_get(o, "children"));
	assert_string_equal(text, "[{\"age\":4,\"gender\":\"m\"},{\"age\":9}]");
	free(text);
	assert_string_equal(
	    json_string_value(json_object_get(o, "referrer")), "police");
	json_decref(o);
}

static void
test_household_json(void **state)
{
	struct request r;
	struct sh_error err;
	json_t *j = load(request_text), *o;
	char *text;

	assert_int_equal(model_request_parse(j, gaz, &r, &err), 0);
	json_decref(j);
	o = model_household_json(&r);
	text = dump(o);
	/* Nothing about nationality, case, places or the referrer. */
	assert_string_equal(text,
	    "{\"gender\":\"f\",\"age\":24,\"children\":[{\"age\":4,"
	    "\"gender\":\"m\"},{\"age\":9,\"gender\":null}],"
	    "\"needs\":[\"psychiatric\"],\"languages\":[\"ro\",\"en\"]}");
	free(text);
	json_decref(o);
}

static void
test_pool_admits(void **state)
{
	struct pool p = {.name = "fam",
	    .genders = BIT(GENDER_F) | BIT(GENDER_X),
	    .min_age = 18,
	    .max_age = 65,
	    .children_max = 2,
	    .boys_max_age = 12,
	    .total = 4};
	struct request r = {.gender = GENDER_F, .age = 30};

	assert_true(model_pool_admits(&p, &r));
	r.gender = GENDER_M;
	assert_false(model_pool_admits(&p, &r));
	r.gender = GENDER_X;
	assert_true(model_pool_admits(&p, &r));
	r.age = 17;
	assert_false(model_pool_admits(&p, &r));
	r.age = 18;
	assert_true(model_pool_admits(&p, &r));
	r.age = 65;
	assert_true(model_pool_admits(&p, &r));
	r.age = 66;
	assert_false(model_pool_admits(&p, &r));
	r.age = 30;
	r.nchildren = 2;
	r.children[0] =
	    (struct child){.age = 12, .gender = GENDER_M, .has_gender = true};
	r.children[1] =
	    (struct child){.age = 16, .gender = GENDER_F, .has_gender = true};
	assert_true(model_pool_admits(&p, &r));
	r.children[0].age = 13; /* a boy above boys_max_age */
	assert_false(model_pool_admits(&p, &r));
	r.children[0].gender = GENDER_X;
	assert_true(model_pool_admits(&p, &r));
	r.nchildren = 3; /* more children than places for them */
	r.children[2] = (struct child){.age = 1};
	assert_false(model_pool_admits(&p, &r));
	p.children_max = 3;
	assert_true(model_pool_admits(&p, &r));
	p.children_max = 0;
	r.nchildren = 0;
	assert_true(model_pool_admits(&p, &r));
}

/* A place came free only when a pool's free count grew. */
static void
test_pools_freed(void **state)
{
	static struct shelter s; /* zeroed: two pools of 4 places */
	int snap[MODEL_POOL_MAX], nsnap = -1;

	s.npools = 2;
	s.pools[0].total = s.pools[1].total = 4;
	assert_true(model_pools_freed(&s, snap, &nsnap)); /* never asked */
	assert_int_equal(nsnap, 2);
	assert_int_equal(snap[0], 4);
	assert_false(model_pools_freed(&s, snap, &nsnap)); /* nothing moved */
	s.pools[0].held = 1;                               /* a hold */
	assert_false(model_pools_freed(&s, snap, &nsnap));
	s.pools[0].held = 0;
	s.pools[0].expected = 1; /* accepted: held -> expected */
	assert_false(model_pools_freed(&s, snap, &nsnap));
	s.pools[0].expected = 0;
	s.pools[0].occupied = 1; /* arrived */
	assert_false(model_pools_freed(&s, snap, &nsnap));
	s.pools[0].occupied = 0; /* departed: a place came free */
	assert_true(model_pools_freed(&s, snap, &nsnap));
	s.pools[1].held = 1;
	s.pools[0].total = 5; /* one pool gains while the other loses */
	assert_true(model_pools_freed(&s, snap, &nsnap));
	s.pools[1].total = 3; /* fewer places reported */
	assert_false(model_pools_freed(&s, snap, &nsnap));
	s.npools = 1; /* other pools */
	assert_true(model_pools_freed(&s, snap, &nsnap));
	assert_int_equal(nsnap, 1);
}

/* A reloaded shelter keeps what the last event saw only with the same
 * pools in the same order. */
static void
test_pools_same(void **state)
{
	static struct shelter a, b;

	a.npools = b.npools = 2;
	strcpy(a.pools[0].name, "main");
	strcpy(a.pools[1].name, "fam");
	b = a;
	b.pools[0].total = 9; /* counts do not matter */
	assert_true(model_pools_same(&a, &b));
	strcpy(b.pools[0].name, "fam");
	strcpy(b.pools[1].name, "main");
	assert_false(model_pools_same(&a, &b)); /* reordered */
	b = a;
	b.npools = 1;
	assert_false(model_pools_same(&a, &b));
}

static void
test_enums_and_validators(void **state)
{
	assert_string_equal(model_program_name(PROGRAM_OMM), "omm");
	assert_string_equal(model_program_name(PROGRAM_ANY), "any");
	assert_string_equal(model_security_name(SECURITY_SECRET), "secret");
	assert_string_equal(model_gender_name(GENDER_X), "x");
	assert_string_equal(model_care_name(CARE_INTELLECTUAL_DISABILITY),
	    "intellectual_disability");
	assert_string_equal(
	    model_residence_name(RESIDENCE_B8_PERMIT), "b8_permit");
	assert_string_equal(model_urgency_name(URGENCY_PLANNED), "planned");
	assert_int_equal(model_program_parse("labour"), PROGRAM_LABOUR);
	assert_int_equal(model_program_parse("any"), PROGRAM_ANY);
	assert_int_equal(model_program_parse("COSM"), -1);
	assert_int_equal(model_care_parse("pregnancy"), CARE_PREGNANCY);
	assert_int_equal(model_care_parse("spa"), -1);
	assert_int_equal(model_residence_parse("eu"), RESIDENCE_EU);
	assert_int_equal(model_residence_parse(""), -1);

	assert_true(model_valid_id("a"));
	assert_true(model_valid_id("0-shelter-9"));
	assert_false(model_valid_id(""));
	assert_false(model_valid_id("-a"));
	assert_false(model_valid_id("a_b"));
	assert_false(model_valid_id("Ab"));
	assert_true(model_valid_id(
	    "a12345678901234567890123456789012345678901234567890123456789012"));
	assert_false(model_valid_id("a12345678901234567890123456789012345678901"
	                            "2345678901234567890123"));
	assert_true(model_valid_ref("CM-2026.000_1"));
	assert_false(model_valid_ref("CM 1"));
	assert_false(model_valid_ref(""));
	assert_false(model_valid_ref("r\xc3\xa9"
	                             "f"));
	assert_true(model_valid_pool_name("women_2-a"));
	assert_false(model_valid_pool_name("_women"));
	assert_true(model_valid_pool_name("a1234567890123456789012345678901"));
	assert_false(
	    model_valid_pool_name("a12345678901234567890123456789012"));
}

static void
test_time(void **state)
{
	char buf[32];

	assert_string_equal(
	    model_time_format(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
	assert_string_equal(model_time_format(1795824000999LL, buf, sizeof buf),
	    "2026-11-28T00:00:00Z");
	assert_string_equal(model_time_format(1835440245000LL, buf, sizeof buf),
	    "2028-02-29T12:30:45Z");
	assert_int_equal(
	    model_time_parse("2026-11-28T00:00:00Z"), 1795824000000LL);
	assert_int_equal(
	    model_time_parse("2028-02-29T12:30:45Z"), 1835440245000LL);
	assert_int_equal(
	    model_time_parse("2026-11-28T00:00:00.5Z"), 1795824000500LL);
	assert_int_equal(
	    model_time_parse("2026-11-28T00:00:00.123456Z"), 1795824000123LL);
	assert_int_equal(model_time_parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(model_time_parse("2026-11-28 00:00:00Z"), -1);
	assert_int_equal(model_time_parse("2026-11-28T00:00:00"), -1);
	assert_int_equal(model_time_parse("2026-11-28T00:00:00+01:00"), -1);
	assert_int_equal(model_time_parse("2026-11-28T00:00:00.Z"), -1);
	assert_int_equal(model_time_parse("2026-11-28T00:00:00Zx"), -1);
	assert_int_equal(model_time_parse("2026-02-29T00:00:00Z"), -1);
	assert_int_equal(model_time_parse("2026-04-31T00:00:00Z"), -1);
	assert_int_equal(model_time_parse("2026-13-01T00:00:00Z"), -1);
	assert_int_equal(model_time_parse("2026-11-28T24:00:00Z"), -1);
	assert_int_equal(model_time_parse("2026-11-28T23:60:00Z"), -1);
	assert_int_equal(model_time_parse("26-11-28T00:00:00Z"), -1);
	assert_int_equal(model_time_parse(""), -1);
	assert_int_equal(model_time_parse(NULL), -1);
	/* Format and parse agree. */
	assert_int_equal(model_time_parse(model_time_format(
	                     1835440245000LL, buf, sizeof buf)),
	    1835440245000LL);
}

/* Parse doc with each kind of value at node.key in turn. */
static void
poke_member(json_t *doc, json_t *node, const char *key, bool is_request)
{
	static const char *const values[] = {"null", "true", "-1", "0.5",
	    "1e300", "\"\"", "\"zz\"", "[]", "{}", "[null]", "[{}]",
	    "{\"x\": 1}", "9223372036854775807"};
	json_t *save = json_incref(json_object_get(node, key));
	struct request r;
	struct shelter s;
	struct sh_error err;
	size_t k;
	int rc;

	for (k = 0; k < sizeof values / sizeof *values; k++) {
		json_object_set_new(node, key, load(values[k]));
		memset(&err, 0, sizeof err);
		if (is_request)
			rc = model_request_parse(doc, gaz, &r, &err);
		else
			rc = model_shelter_parse(doc, gaz, 0, &s, &err);
		if (rc == 0)
			continue;
		assert_int_equal(err.code, SH_INVALID_PARAMS);
		assert_true(err.field[0] != '\0');
		assert_memory_equal(err.message, err.field, strlen(err.field));
	}
	json_object_set_new(node, key, save);
}

/*
 * Replace every value of a valid document, one at a time, with values of
 * every type: the parser must accept or name a field, and never crash or
 * leak (run under valgrind).
 */
static void
poke(json_t *doc, json_t *node, bool is_request)
{
	void *it;
	size_t i;

	if (json_is_array(node))
		for (i = 0; i < json_array_size(node); i++)
			poke(doc, json_array_get(node, i), is_request);
	if (!json_is_object(node))
		return;
	for (it = json_object_iter(node); it != NULL;
	     it = json_object_iter_next(node, it)) {
		poke_member(doc, node, json_object_iter_key(it), is_request);
		poke(doc, json_object_iter_value(it), is_request);
	}
}

static void
test_never_crash(void **state)
{
	json_t *j = load(request_text);

	poke(j, j, true);
	json_decref(j);
	j = load(shelter_text);
	poke(j, j, false);
	json_decref(j);
}

/* The rule of model_pool_admits spelled out child by child. */
static bool
admits_by_children(const struct pool *p, const struct request *r)
{
	int i;

	if (!(p->genders & (1u << r->gender)) || r->age < p->min_age ||
	    r->age > p->max_age || r->nchildren > p->children_max)
		return false;
	for (i = 0; i < r->nchildren; i++)
		if (r->children[i].has_gender &&
		    r->children[i].gender == GENDER_M &&
		    r->children[i].age > p->boys_max_age)
			return false;
	return true;
}

/* A household found once admits where the child-by-child rule does. */
static void
test_household_admits(void **state)
{
	struct model_household h;
	struct request r;
	struct pool p;
	unsigned seed = 12345;
	int i, k, yes = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memset(&r, 0, sizeof r);
		memset(&p, 0, sizeof p);
#define NEXT(n) ((int)((seed = seed * 1103515245u + 12345u) >> 16) % (n))
		r.gender = (enum gender)NEXT(GENDER_COUNT);
		r.age = 12 + NEXT(50);
		r.nchildren = NEXT(MODEL_CHILD_MAX + 1);
		for (k = 0; k < r.nchildren; k++)
			r.children[k] = (struct child){NEXT(18),
			    (enum gender)NEXT(GENDER_COUNT), NEXT(2) == 1};
		p.genders = (unsigned)NEXT(1 << GENDER_COUNT);
		p.min_age = NEXT(2) ? 18 : NEXT(18);
		p.max_age = 17 + NEXT(104);
		p.children_max = NEXT(MODEL_CHILD_MAX + 1);
		p.boys_max_age = NEXT(18);
#undef NEXT
		model_household_of(&r, &h);
		assert_int_equal(
		    model_household_admits(&p, &h), admits_by_children(&p, &r));
		assert_int_equal(
		    model_pool_admits(&p, &r), admits_by_children(&p, &r));
		yes += admits_by_children(&p, &r);
	}
	/* Both answers occur often. */
	assert_true(yes > 500 && yes < 19500);
}

/* An error list grows past SH_ERRORS_MAX and keeps the order. */
static void
test_error_list_grows(void **state)
{
	struct sh_error_list l = {0};
	struct sh_error e;
	char last[32];
	int i;

	(void)state;
	for (i = 0; i < 3 * SH_ERRORS_MAX + 1; i++) {
		sh_error_set(&e, SH_INVALID_PARAMS, "invalid_field", "x",
		    "problem %d", i);
		assert_int_equal(sh_error_list_add(&l, &e), 0);
	}
	assert_int_equal(l.n, 3 * SH_ERRORS_MAX + 1);
	assert_true(l.cap >= l.n);
	assert_string_equal(l.v[0].message, "x: problem 0");
	snprintf(last, sizeof last, "x: problem %d", 3 * SH_ERRORS_MAX);
	assert_string_equal(l.v[3 * SH_ERRORS_MAX].message, last);
	sh_error_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_list_grows),
	    cmocka_unit_test(test_shelter_all_problems),
	    cmocka_unit_test(test_request_parts_all_problems),
	    cmocka_unit_test(test_request_valid),
	    cmocka_unit_test(test_request_defaults),
	    cmocka_unit_test(test_request_unknown_fields),
	    cmocka_unit_test(test_request_missing_fields),
	    cmocka_unit_test(test_request_invalid_fields),
	    cmocka_unit_test(test_request_unknown_municipality),
	    cmocka_unit_test(test_not_objects),
	    cmocka_unit_test(test_shelter_valid),
	    cmocka_unit_test(test_shelter_defaults),
	    cmocka_unit_test(test_shelter_errors),
	    cmocka_unit_test(test_shelter_too_many_pools),
	    cmocka_unit_test(test_shelter_stored),
	    cmocka_unit_test(test_shelter_put_counts),
	    cmocka_unit_test(test_shelter_event_counts),
	    cmocka_unit_test(test_shelter_to_json),
	    cmocka_unit_test(test_shelter_round_trip),
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_request_to_json),
	    cmocka_unit_test(test_household_json),
	    cmocka_unit_test(test_pool_admits),
	    cmocka_unit_test(test_pools_freed),
	    cmocka_unit_test(test_pools_same),
	    cmocka_unit_test(test_enums_and_validators),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_never_crash),
	    cmocka_unit_test(test_household_admits),
	    cmocka_unit_test(test_error_object_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
