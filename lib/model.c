/*
 * model.c: strict parsing and validation of shelters and placement requests
 * (docs/protocol.md "Objects"). The field readers are in model_field.c, the
 * JSON output in model_json.c, enum names in model_enum.c, times in
 * model_time.c.
 *
 * Every check reports the first problem it finds as SH_INVALID_PARAMS with
 * reason unknown_field, missing_field or invalid_field and a dotted path
 * relative to the object parsed. The keys of an object are checked before
 * its values, and values in the order the protocol lists them. A value of
 * the wrong type, null included, is invalid_field. A top-level value that is
 * not an object is invalid_field with an empty field and a message naming
 * the object ("shelter: must be an object", "request: must be an object").
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "model_enum.h"
#include "model_field.h"

static const char *const model_shelter_keys[] = {"id", "name", "organisation",
    "program", "location", "care", "languages", "security", "intake", "pools",
    NULL};

static const char *const model_shelter_live_keys[] = {"version", "updated_at",
    "report_age_s", "departures_unconfirmed", "freshness", NULL};

static const char *const model_pool_keys[] = {"name", "genders", "min_age",
    "max_age", "children_max", "boys_max_age", "total", "occupied", NULL};

static const char *const model_pool_live_keys[] = {
    "held", "expected", "free", "overbooked", "departures", NULL};

/* reason and since are live output (shelter.intake sets them): accepted so
 * that a shelter read can be put back, and ignored, as the counts are. */
static const char *const model_intake_keys[] = {
    "open", "always", "reason", "since", NULL};

static const char *const model_request_keys[] = {"ref", "program", "person",
    "children", "needs", "prefers", "exploitation", "safety",
    "preferred_location", "urgency", "referrer", "residence", "registration",
    NULL};

static const char *const model_person_keys[] = {
    "gender", "age", "languages", "nationality", NULL};

static const char *const model_child_keys[] = {"age", "gender", NULL};

static const char *const model_exploitation_keys[] = {
    "sector", "location", NULL};

static const char *const model_safety_keys[] = {
    "min_distance_km", "min_security", "case", "co_victims", NULL};

/* Shelters. */

static const char model_id_rule[] =
    "must be 1 to 63 lowercase letters, digits or '-', starting with a "
    "letter or digit";
static const char model_ref_rule[] =
    "must be 1 to 64 letters, digits, '.', '_' or '-'";
static const char model_pool_rule[] =
    "must be 1 to 32 lowercase letters, digits, '_' or '-', starting with "
    "a letter or digit";

/* The planned departures of a stored pool, a ([{date, count}] by date),
 * into p: see model.h. */
int
model_departures_array(
    const json_t *a, const char *path, struct pool *p, struct sh_error *err)
{
	json_t *e;
	long long day;
	size_t i;

	p->ndepartures = 0;
	if (!json_is_array(a) || json_array_size(a) > MODEL_DEPARTURE_MAX)
		return model_field_invalid(err, path,
		    "must be an array of at most %d dates",
		    MODEL_DEPARTURE_MAX);
	json_array_foreach(a, i, e)
	{
		day = model_date_parse(
		    json_string_value(json_object_get(e, "date")));
		if (day < 0 || !json_is_integer(json_object_get(e, "count")) ||
		    json_integer_value(json_object_get(e, "count")) < 1 ||
		    json_integer_value(json_object_get(e, "count")) > 10000)
			return model_field_invalid(
			    err, path, "must hold {date, count} entries");
		p->departures[i].day = (int)day;
		p->departures[i].count =
		    (int)json_integer_value(json_object_get(e, "count"));
		p->ndepartures++;
	}
	return 0;
}

/* The planned departures of a stored pool object v, if it has them. */
static int
model_departures_parse(
    const json_t *v, const char *path, struct pool *p, struct sh_error *err)
{
	json_t *a = json_object_get(v, "departures");
	char fpath[MODEL_PATH_MAX];

	p->ndepartures = 0;
	if (a == NULL)
		return 0;
	model_field_path(fpath, path, "departures");
	return model_departures_array(a, fpath, p, err);
}

static int
model_pool_parse(const json_t *v, const char *path, int flags, struct pool *p,
    struct sh_error *err)
{
	char fpath[MODEL_PATH_MAX];
	bool stored = flags & MODEL_STORED, overbooked;
	int rc, free_places;
	json_t *o;

	if (!json_is_object(v))
		return model_field_invalid(err, path, "must be an object");
	if (model_field_check_keys(v, path, model_pool_keys,
	        stored ? model_pool_live_keys : NULL, err) < 0)
		return -1;
	p->max_age = 120;
	p->boys_max_age = 17;
	if (model_field_get_text(v, path, "name", true, MODEL_POOL_NAME_MAX,
	        model_valid_pool_name, model_pool_rule, p->name, err) < 0 ||
	    model_field_get_set(v, path, "genders", true, true, model_genders,
	        NULL, &p->genders, err) < 0 ||
	    model_field_get_int(
	        v, path, "min_age", false, 0, 120, &p->min_age, err) < 0 ||
	    model_field_get_int(
	        v, path, "max_age", false, 0, 120, &p->max_age, err) < 0)
		return -1;
	if (p->max_age < p->min_age) {
		model_field_path(fpath, path, "max_age");
		return model_field_invalid(
		    err, fpath, "must be at least min_age (%d)", p->min_age);
	}
	if (model_field_get_int(v, path, "children_max", false, 0,
	        MODEL_CHILD_MAX, &p->children_max, err) < 0 ||
	    model_field_get_int(v, path, "boys_max_age", false, 0, 17,
	        &p->boys_max_age, err) < 0 ||
	    model_field_get_int(
	        v, path, "total", true, 0, 10000, &p->total, err) < 0)
		return -1;
	if ((o = json_object_get(v, "occupied")) != NULL) {
		json_int_t n = json_is_integer(o) ? json_integer_value(o) : -1;

		model_field_path(fpath, path, "occupied");
		if (stored && (n < 0 || n > INT_MAX))
			return model_field_invalid(
			    err, fpath, "must be an integer of at least 0");
		if (!stored && (n < 0 || n > p->total))
			return model_field_invalid(err, fpath,
			    "must be an integer from 0 to total (%d)",
			    p->total);
		p->occupied = (int)n;
	}
	if (!stored)
		return 0;
	rc = model_field_get_int(
	    v, path, "held", false, 0, INT_MAX, &p->held, err);
	if (rc >= 0)
		rc = model_field_get_int(
		    v, path, "expected", false, 0, INT_MAX, &p->expected, err);
	if (rc >= 0) /* free and overbooked are derived: checked, not kept */
		rc = model_field_get_int(
		    v, path, "free", false, 0, INT_MAX, &free_places, err);
	if (rc >= 0)
		rc = model_field_get_bool(
		    v, path, "overbooked", &overbooked, err);
	if (rc >= 0)
		rc = model_departures_parse(v, path, p, err);
	return rc < 0 ? -1 : 0;
}

static int
model_pools_parse(
    const json_t *obj, int flags, struct shelter *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX], epath[MODEL_PATH_MAX];
	json_t *v, *e;
	size_t i;
	int j;

	if (model_field_get(obj, "", "pools", true, &v, path, err) < 0)
		return -1;
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > MODEL_POOL_MAX)
		return model_field_invalid(err, path,
		    "must be an array of 1 to %d pools", MODEL_POOL_MAX);
	for (i = 0; i < json_array_size(v); i++) {
		struct pool *p = &out->pools[i];

		e = json_array_get(v, i);
		model_field_path_index(epath, path, i);
		if (model_pool_parse(e, epath, flags, p, err) < 0)
			return -1;
		for (j = 0; j < (int)i; j++) {
			if (strcmp(out->pools[j].name, p->name) != 0)
				continue;
			model_field_path(path, epath, "name");
			return model_field_invalid(err,
			    path, /* path is done with */
			    "is a duplicate of pools.%d.name", j);
		}
		out->npools++;
	}
	return 0;
}

static int
model_intake_parse(const json_t *obj, struct shelter *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc =
	    model_field_get_object(obj, "", "intake", false, &v, path, err);

	if (rc <= 0)
		return rc;
	if (model_field_check_keys(v, path, model_intake_keys, NULL, err) < 0 ||
	    model_field_get_bool(v, path, "open", &out->intake_open, err) < 0 ||
	    model_field_get_bool(v, path, "always", &out->intake_always, err) <
	        0)
		return -1;
	return 0;
}

/* version and updated_at of a stored shelter. */
static int
model_live_parse(const json_t *obj, struct shelter *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;

	if (model_field_get(obj, "", "version", false, &v, path, err) > 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return model_field_invalid(
			    err, path, "must be an integer of at least 0");
		out->version = json_integer_value(v);
	}
	if (model_field_get(obj, "", "updated_at", false, &v, path, err) > 0 &&
	    !json_is_null(v)) {
		out->updated_at = json_is_string(v)
		    ? model_time_parse(json_string_value(v))
		    : -1;
		if (out->updated_at < 0)
			return model_field_invalid(
			    err, path, "must be an RFC 3339 UTC time or null");
	}
	v = json_object_get(obj, "departures_unconfirmed");
	out->departures_unconfirmed = 0;
	if (json_is_array(v)) {
		size_t i;

		for (i = 0; i < json_array_size(v); i++)
			out->departures_unconfirmed += (int)json_integer_value(
			    json_object_get(json_array_get(v, i), "count"));
	}
	return 0;
}

/* One step of a parse that goes on after a problem: record it. */
#define MODEL_STEP(all, err, expr)                                             \
	do {                                                                   \
		if ((expr) < 0)                                                \
			sh_errors_add((all), (err));                           \
	} while (0)

/* Parse and validate a shelter, each of its problems into all: see
 * model.h. Every top-level field is checked on its own; inside intake and
 * pools, the first problem of that part. */
int
model_shelter_parse_all(const json_t *obj, const struct gazetteer *gaz,
    int flags, struct shelter *out, struct sh_errors *all)
{
	struct sh_error err;
	int val = 0, rc;

	memset(out, 0, sizeof *out);
	out->security = SECURITY_STANDARD;
	out->intake_open = true;
	all->n = all->dropped = 0;
	if (!json_is_object(obj)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "",
		    "shelter: must be an object");
		sh_errors_add(all, &err);
		return -1;
	}
	if (flags & MODEL_STORED)
		MODEL_STEP(all, &err,
		    model_field_check_keys(obj, "", model_shelter_keys,
		        model_shelter_live_keys, &err));
	else
		model_field_check_keys_all(obj, "", model_shelter_keys, all);
	MODEL_STEP(all, &err,
	    model_field_get_text(obj, "", "id", true, MODEL_ID_MAX,
	        model_valid_id, model_id_rule, out->id, &err));
	MODEL_STEP(all, &err,
	    model_field_get_text(obj, "", "name", false, MODEL_TEXT_MAX, NULL,
	        NULL, out->name, &err));
	MODEL_STEP(all, &err,
	    model_field_get_text(obj, "", "organisation", false, MODEL_TEXT_MAX,
	        NULL, NULL, out->organisation, &err));
	MODEL_STEP(all, &err,
	    model_field_get_enum(
	        obj, "", "program", true, model_programs, &val, &err));
	out->program = (enum program)val;
	MODEL_STEP(all, &err,
	    model_field_get_location(
	        obj, "", "location", true, gaz, &out->location, &err));
	MODEL_STEP(all, &err,
	    model_field_get_set(obj, "", "care", false, false, model_cares,
	        "care tags", &out->care, &err));
	MODEL_STEP(all, &err,
	    model_field_get_langs(
	        obj, "", out->languages, &out->nlanguages, &err));
	if ((rc = model_field_get_enum(
	         obj, "", "security", false, model_securities, &val, &err)) < 0)
		sh_errors_add(all, &err);
	else if (rc > 0)
		out->security = (enum security)val;
	MODEL_STEP(all, &err, model_intake_parse(obj, out, &err));
	MODEL_STEP(all, &err, model_pools_parse(obj, flags, out, &err));
	if (flags & MODEL_STORED)
		MODEL_STEP(all, &err, model_live_parse(obj, out, &err));
	return all->n > 0 || all->dropped > 0 ? -1 : 0;
}

/*
 * Parse and validate a shelter (shelter.put, or with MODEL_STORED one the
 * daemon wrote). 0, or -1 with err filled with the first problem.
 */
int
model_shelter_parse(const json_t *obj, const struct gazetteer *gaz, int flags,
    struct shelter *out, struct sh_error *err)
{
	struct sh_errors all; /* 7 KB: on the stack, no allocation */
	int rc = model_shelter_parse_all(obj, gaz, flags, out, &all);

	if (rc == -1 && err != NULL)
		*err = all.v[0];
	return rc;
}

/* Requests. */

static const char model_reg_id_rule[] = "must be a registration id reg-N";

/* A registration id as the store makes them: reg-N, N from 1. */
static bool
model_valid_reg_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 5 || n > 24 || strncmp(s, "reg-", 4) != 0 || s[4] == '0')
		return false;
	for (i = 4; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The person, each of its problems into all. */
static void
model_person_parse(
    const json_t *obj, struct request *out, struct sh_errors *all)
{
	char path[MODEL_PATH_MAX];
	struct sh_error err;
	json_t *v;
	int val = GENDER_X;

	if (model_field_get_object(obj, "", "person", true, &v, path, &err) <
	    0) {
		sh_errors_add(all, &err);
		return;
	}
	model_field_check_keys_all(v, path, model_person_keys, all);
	MODEL_STEP(all, &err,
	    model_field_get_enum(
	        v, path, "gender", true, model_genders, &val, &err));
	out->gender = (enum gender)val;
	MODEL_STEP(all, &err,
	    model_field_get_int(v, path, "age", true, 0, 120, &out->age, &err));
	MODEL_STEP(all, &err,
	    model_field_get_langs(
	        v, path, out->languages, &out->nlanguages, &err));
	v = json_object_get(v, "nationality");
	if (v == NULL)
		return;
	if (!json_is_string(v) || json_string_length(v) != 2 ||
	    json_string_value(v)[0] < 'A' || json_string_value(v)[0] > 'Z' ||
	    json_string_value(v)[1] < 'A' || json_string_value(v)[1] > 'Z') {
		model_field_invalid(&err, "person.nationality",
		    "must be a two-letter uppercase ISO 3166-1 code");
		sh_errors_add(all, &err);
		return;
	}
	memcpy(out->nationality, json_string_value(v), 3);
}

/* The children, each child's problems into all (the array's own: one). */
static void
model_children_parse(
    const json_t *obj, struct request *out, struct sh_errors *all)
{
	char path[MODEL_PATH_MAX], epath[MODEL_PATH_MAX];
	struct sh_error err;
	json_t *v, *e;
	size_t i;
	int rc = model_field_get(obj, "", "children", false, &v, path, &err),
	    val = GENDER_X;

	if (rc < 0)
		sh_errors_add(all, &err);
	if (rc <= 0)
		return;
	if (!json_is_array(v) || json_array_size(v) > MODEL_CHILD_MAX) {
		model_field_invalid(&err, path,
		    "must be an array of at most %d children", MODEL_CHILD_MAX);
		sh_errors_add(all, &err);
		return;
	}
	for (i = 0; i < json_array_size(v); i++) {
		struct child *c = &out->children[i];

		e = json_array_get(v, i);
		model_field_path_index(epath, path, i);
		out->nchildren++;
		if (!json_is_object(e)) {
			model_field_invalid(&err, epath, "must be an object");
			sh_errors_add(all, &err);
			continue;
		}
		model_field_check_keys_all(e, epath, model_child_keys, all);
		MODEL_STEP(all, &err,
		    model_field_get_int(
		        e, epath, "age", true, 0, 17, &c->age, &err));
		if ((rc = model_field_get_enum(e, epath, "gender", false,
		         model_genders, &val, &err)) < 0)
			sh_errors_add(all, &err);
		c->has_gender = rc > 0;
		c->gender = c->has_gender ? (enum gender)val : GENDER_X;
	}
}

/* The exploitation, each of its problems into all. */
static void
model_exploitation_parse(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_errors *all)
{
	char path[MODEL_PATH_MAX];
	struct sh_error err;
	json_t *v;
	int rc = model_field_get_object(
	        obj, "", "exploitation", false, &v, path, &err),
	    val;

	if (rc < 0)
		sh_errors_add(all, &err);
	if (rc <= 0)
		return;
	out->has_exploitation = true;
	model_field_check_keys_all(v, path, model_exploitation_keys, all);
	if ((rc = model_field_get_enum(
	         v, path, "sector", false, model_sectors, &val, &err)) < 0)
		sh_errors_add(all, &err);
	else if (rc > 0)
		out->sector = (enum sector)val;
	rc = model_field_get_location(
	    v, path, "location", false, gaz, &out->exploitation_location, &err);
	if (rc < 0)
		sh_errors_add(all, &err);
	out->has_exploitation_location = rc > 0;
}

/* The safety part, each of its problems into all. */
static void
model_safety_parse(
    const json_t *obj, struct request *out, struct sh_errors *all)
{
	char path[MODEL_PATH_MAX];
	struct sh_error err;
	json_t *v;
	int rc =
	    model_field_get_object(obj, "", "safety", false, &v, path, &err);
	int val;

	if (rc < 0)
		sh_errors_add(all, &err);
	if (rc <= 0)
		return;
	out->has_safety = true;
	model_field_check_keys_all(v, path, model_safety_keys, all);
	MODEL_STEP(all, &err,
	    model_field_get_number(v, path, "min_distance_km", 0, 1000,
	        &out->min_distance_km, &err));
	if ((rc = model_field_get_enum(v, path, "min_security", false,
	         model_securities, &val, &err)) < 0)
		sh_errors_add(all, &err);
	else if (rc > 0)
		out->min_security = (enum security)val;
	MODEL_STEP(all, &err,
	    model_field_get_text(v, path, "case", false, MODEL_CASE_MAX,
	        model_valid_ref, model_ref_rule, out->case_id, &err));
	if ((rc = model_field_get_enum(v, path, "co_victims", false,
	         model_co_victims, &val, &err)) < 0)
		sh_errors_add(all, &err);
	else if (rc > 0)
		out->co_victims = (enum co_victims)val;
}

/* An optional top-level enum: 0 leaves *out alone. */
static int
model_request_enum(const json_t *obj, const char *key,
    const struct model_enum *tab, int *out, struct sh_error *err)
{
	int val, rc = model_field_get_enum(obj, "", key, false, tab, &val, err);

	if (rc > 0)
		*out = val;
	return rc < 0 ? -1 : 0;
}

/*
 * Parse and validate a request, every problem into all: see model.h.
 * Each field is checked on its own, so one bad field does not hide the
 * next: those of person, of each child, of exploitation and of safety
 * too (a child that is not an object is one problem).
 */
int
model_request_parse_all(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_errors *all)
{
	int program = PROGRAM_ANY, urgency = URGENCY_DAYS;
	int referrer = REFERRER_NONE, residence = RESIDENCE_NONE, rc;
	struct sh_error err;

	memset(out, 0, sizeof *out);
	memset(all, 0, sizeof *all);
	out->co_victims = CO_VICTIMS_ANY;
	out->min_security = SECURITY_STANDARD;
	if (!json_is_object(obj)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "",
		    "request: must be an object");
		sh_errors_add(all, &err);
		return -1;
	}
	model_field_check_keys_all(obj, "", model_request_keys, all);
	MODEL_STEP(all, &err,
	    model_field_get_text(obj, "", "ref", true, MODEL_REF_MAX,
	        model_valid_ref, model_ref_rule, out->ref, &err));
	MODEL_STEP(all, &err,
	    model_request_enum(
	        obj, "program", model_request_programs, &program, &err));
	model_person_parse(obj, out, all);
	model_children_parse(obj, out, all);
	MODEL_STEP(all, &err,
	    model_field_get_set(obj, "", "needs", false, false, model_cares,
	        "care tags", &out->needs, &err));
	MODEL_STEP(all, &err,
	    model_field_get_set(obj, "", "prefers", false, false, model_cares,
	        "care tags", &out->prefers, &err));
	model_exploitation_parse(obj, gaz, out, all);
	model_safety_parse(obj, out, all);
	rc = model_field_get_location(obj, "", "preferred_location", false, gaz,
	    &out->preferred_location, &err);
	MODEL_STEP(all, &err, rc);
	out->has_preferred_location = rc > 0;
	MODEL_STEP(all, &err,
	    model_request_enum(
	        obj, "urgency", model_urgencies, &urgency, &err));
	MODEL_STEP(all, &err,
	    model_request_enum(
	        obj, "referrer", model_referrers, &referrer, &err));
	MODEL_STEP(all, &err,
	    model_request_enum(
	        obj, "residence", model_residences, &residence, &err));
	MODEL_STEP(all, &err,
	    model_field_get_text(obj, "", "registration", false, MODEL_ID_MAX,
	        model_valid_reg_id, model_reg_id_rule, out->registration,
	        &err));
	out->program = (enum program)program;
	out->urgency = (enum urgency)urgency;
	out->referrer = (enum referrer)referrer;
	out->residence = (enum residence)residence;
	return all->n > 0 ? -1 : 0;
}

/*
 * Parse and validate a request (request.submit, match.preview). 0, or -1
 * with err filled with the first problem.
 */
int
model_request_parse(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_error *err)
{
	struct sh_errors all; /* 7 KB: on the stack, no allocation */
	int rc = model_request_parse_all(obj, gaz, out, &all);

	if (rc == -1 && err != NULL)
		*err = all.v[0];
	return rc;
}

/*
 * True when the pool takes the person's gender and age, the number of
 * children, and every boy is at most boys_max_age.
 */
bool
model_pool_admits(const struct pool *p, const struct request *r)
{
	struct model_household h;

	model_household_of(r, &h);
	return model_household_admits(p, &h);
}

/* model_household_of: see model.h. A boy older than the pool's limit
 * keeps the household out: the oldest one decides. */
void
model_household_of(const struct request *r, struct model_household *h)
{
	int i;

	h->gender_bit = 1u << r->gender;
	h->age = r->age;
	h->nchildren = r->nchildren;
	h->boy_age = INT_MIN;
	for (i = 0; i < r->nchildren && i < MODEL_CHILD_MAX; i++)
		if (r->children[i].has_gender &&
		    r->children[i].gender == GENDER_M &&
		    r->children[i].age > h->boy_age)
			h->boy_age = r->children[i].age;
}

/*
 * Did a place come free in s since snap, the free places of its pools
 * when last asked (nsnap of them; nsnap < 0: never asked)? True when a
 * pool has more free places than snap says, or the pools differ; snap
 * then holds s's free places now. A change that only took places (a hold,
 * an arrival, fewer places reported) makes nobody fit who did not before.
 */
bool
model_pools_freed(const struct shelter *s, int *snap, int *nsnap)
{
	bool freed = *nsnap != s->npools;
	int k, f;

	for (k = 0; k < s->npools; k++) {
		f = model_pool_free(&s->pools[k]);
		if (!freed && f > snap[k])
			freed = true;
		snap[k] = f;
	}
	*nsnap = s->npools;
	return freed;
}

/* Have a and b the same pools, by name and in order? */
bool
model_pools_same(const struct shelter *a, const struct shelter *b)
{
	int k;

	if (a->npools != b->npools)
		return false;
	for (k = 0; k < a->npools; k++)
		if (strcmp(a->pools[k].name, b->pools[k].name) != 0)
			return false;
	return true;
}

/* Patterns. */

static bool
model_lower_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * ^[a-z0-9][a-z0-9EXTRA]{0,max-1}$: a lowercase letter or digit, then at
 * most max - 1 more of those or of the characters in extra.
 */
static bool
model_valid_name(const char *s, size_t max, const char *extra)
{
	size_t i;

	if (s == NULL || !model_lower_digit(s[0]))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= max ||
		    !(model_lower_digit(s[i]) || strchr(extra, s[i]) != NULL))
			return false;
	return true;
}

/* Shelter id: ^[a-z0-9][a-z0-9-]{0,62}$. */
bool
model_valid_id(const char *s)
{
	return model_valid_name(s, MODEL_ID_MAX, "-");
}

/* Request ref and safety.case: ^[A-Za-z0-9._-]{1,64}$. */
bool
model_valid_ref(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= MODEL_REF_MAX ||
		    !(model_lower_digit(s[i]) || (s[i] >= 'A' && s[i] <= 'Z') ||
		        s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Pool name: ^[a-z0-9][a-z0-9_-]{0,31}$. */
bool
model_valid_pool_name(const char *s)
{
	return model_valid_name(s, MODEL_POOL_NAME_MAX, "-_");
}
