/*
 * model.c: strict parsing, validation and JSON output of shelters and
 * placement requests (PROTOCOL.md "Objects").
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
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shelter/geo.h"
#include "shelter/model.h"

#define PATH_MAX_LEN 128

struct model_enum {
	const char *name;
	int value;
};

static const struct model_enum model_programs[] = {{"cosm", PROGRAM_COSM},
    {"omm", PROGRAM_OMM}, {"crisis", PROGRAM_CRISIS},
    {"screening", PROGRAM_SCREENING}, {"labour", PROGRAM_LABOUR},
    {"regular", PROGRAM_REGULAR}, {NULL, 0}};
static const struct model_enum model_request_programs[] = {
    {"cosm", PROGRAM_COSM}, {"omm", PROGRAM_OMM}, {"any", PROGRAM_ANY},
    {NULL, 0}};
static const struct model_enum model_securities[] = {
    {"standard", SECURITY_STANDARD}, {"protected", SECURITY_PROTECTED},
    {"secret", SECURITY_SECRET}, {NULL, 0}};
static const struct model_enum model_genders[] = {
    {"f", GENDER_F}, {"m", GENDER_M}, {"x", GENDER_X}, {NULL, 0}};
static const struct model_enum model_cares[] = {
    {"psychiatric", CARE_PSYCHIATRIC}, {"addiction", CARE_ADDICTION},
    {"intellectual_disability", CARE_INTELLECTUAL_DISABILITY},
    {"medical", CARE_MEDICAL}, {"trauma", CARE_TRAUMA},
    {"wheelchair", CARE_WHEELCHAIR}, {"pregnancy", CARE_PREGNANCY}, {NULL, 0}};
static const struct model_enum model_sectors[] = {{"sexual", SECTOR_SEXUAL},
    {"labour", SECTOR_LABOUR}, {"criminal", SECTOR_CRIMINAL},
    {"other", SECTOR_OTHER}, {"unknown", SECTOR_UNKNOWN}, {NULL, 0}};
static const struct model_enum model_co_victims[] = {
    {"apart", CO_VICTIMS_APART}, {"together", CO_VICTIMS_TOGETHER},
    {"any", CO_VICTIMS_ANY}, {NULL, 0}};
static const struct model_enum model_urgencies[] = {
    {"immediate", URGENCY_IMMEDIATE}, {"days", URGENCY_DAYS},
    {"planned", URGENCY_PLANNED}, {NULL, 0}};
static const struct model_enum model_referrers[] = {{"police", REFERRER_POLICE},
    {"kmar", REFERRER_KMAR}, {"nla", REFERRER_NLA},
    {"fairwork", REFERRER_FAIRWORK}, {"care", REFERRER_CARE},
    {"lawyer", REFERRER_LAWYER}, {"coa", REFERRER_COA}, {"self", REFERRER_SELF},
    {"other", REFERRER_OTHER}, {NULL, 0}};
static const struct model_enum model_residences[] = {
    {"reflection", RESIDENCE_REFLECTION}, {"b8_permit", RESIDENCE_B8_PERMIT},
    {"asylum", RESIDENCE_ASYLUM}, {"eu", RESIDENCE_EU}, {"nl", RESIDENCE_NL},
    {"unknown", RESIDENCE_UNKNOWN}, {NULL, 0}};

static const char *const model_shelter_keys[] = {"id", "name", "organisation",
    "program", "location", "care", "languages", "security", "intake", "pools",
    NULL};
static const char *const model_shelter_live_keys[] = {
    "version", "updated_at", NULL};
static const char *const model_pool_keys[] = {"name", "genders", "min_age",
    "max_age", "children_max", "boys_max_age", "total", "occupied", NULL};
static const char *const model_pool_live_keys[] = {
    "held", "expected", "free", "overbooked", NULL};
static const char *const model_intake_keys[] = {"open", "always", NULL};
static const char *const model_location_keys[] = {
    "municipality", "lat", "lon", NULL};
static const char *const model_request_keys[] = {"ref", "program", "person",
    "children", "needs", "prefers", "exploitation", "safety",
    "preferred_location", "urgency", "referrer", "residence", NULL};
static const char *const model_person_keys[] = {
    "gender", "age", "languages", "nationality", NULL};
static const char *const model_child_keys[] = {"age", "gender", NULL};
static const char *const model_exploitation_keys[] = {
    "sector", "location", NULL};
static const char *const model_safety_keys[] = {
    "min_distance_km", "min_security", "case", "co_victims", NULL};

/* Errors. */

static int model_invalid(struct sh_error *err, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
model_invalid(struct sh_error *err, const char *path, const char *fmt, ...)
{
	char text[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return sh_error_set(
	    err, SH_INVALID_PARAMS, "invalid_field", path, "%s", text);
}

static int
model_missing(struct sh_error *err, const char *path)
{
	return sh_error_set(
	    err, SH_INVALID_PARAMS, "missing_field", path, "is required");
}

/* Paths. */

/* Paths longer than PATH_MAX_LEN - 1 bytes are cut short. */
static void
model_path(char *buf, const char *base, const char *key)
{
	int n;

	if (base[0] == '\0')
		n = snprintf(buf, PATH_MAX_LEN, "%s", key);
	else
		n = snprintf(buf, PATH_MAX_LEN, "%s.%s", base, key);
	if (n < 0)
		buf[0] = '\0';
}

static void
model_path_index(char *buf, const char *base, size_t i)
{
	if (snprintf(buf, PATH_MAX_LEN, "%s.%zu", base, i) < 0)
		buf[0] = '\0';
}

/* Generic field access. */

static bool
model_key_in(const char *key, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/* The first key of obj that is in neither list is unknown_field. */
static int
model_check_keys(const json_t *obj, const char *base,
    const char *const *allowed, const char *const *extra, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	const char *key;
	void *it;

	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		key = json_object_iter_key(it);
		if (model_key_in(key, allowed) || model_key_in(key, extra))
			continue;
		model_path(path, base, key);
		return sh_error_set(err, SH_INVALID_PARAMS, "unknown_field",
		    path, "unknown field");
	}
	return 0;
}

/*
 * Look up obj.key and build its path. 1 when present, 0 when absent and
 * optional, -1 (missing_field) when absent and required.
 */
static int
model_get(const json_t *obj, const char *base, const char *key, bool required,
    json_t **v, char *path, struct sh_error *err)
{
	model_path(path, base, key);
	*v = json_object_get(obj, key);
	if (*v != NULL)
		return 1;
	return required ? model_missing(err, path) : 0;
}

/* "a, b, c" from an enum table. */
static const char *
model_enum_list(const struct model_enum *tab, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; tab->name != NULL && n < len; tab++)
		n += snprintf(
		    buf + n, len - n, "%s%s", n ? ", " : "", tab->name);
	return buf;
}

static int
model_enum_lookup(const struct model_enum *tab, const char *s)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, s) == 0)
			return tab->value;
	return -1;
}

static const char *
model_enum_name(const struct model_enum *tab, int value)
{
	for (; tab->name != NULL; tab++)
		if (tab->value == value)
			return tab->name;
	return "?";
}

/* Check one JSON value against an enum table; path names it. */
static int
model_enum_value(const json_t *v, const struct model_enum *tab,
    const char *path, int *out, struct sh_error *err)
{
	char list[192];
	int val = -1;

	if (json_is_string(v))
		val = model_enum_lookup(tab, json_string_value(v));
	if (val < 0)
		return model_invalid(err, path, "must be one of %s",
		    model_enum_list(tab, list, sizeof list));
	*out = val;
	return 0;
}

static int
model_get_enum(const json_t *obj, const char *base, const char *key,
    bool required, const struct model_enum *tab, int *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get(obj, base, key, required, &v, path, err);

	if (rc <= 0)
		return rc;
	return model_enum_value(v, tab, path, out, err) < 0 ? -1 : 1;
}

static int
model_get_int(const json_t *obj, const char *base, const char *key,
    bool required, long long lo, long long hi, int *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get(obj, base, key, required, &v, path, err);
	json_int_t i;

	if (rc <= 0)
		return rc;
	i = json_is_integer(v) ? json_integer_value(v) : 0;
	if (!json_is_integer(v) || i < lo || i > hi) {
		if (hi == INT_MAX)
			return model_invalid(err, path,
			    "must be an integer of at least %lld", lo);
		return model_invalid(
		    err, path, "must be an integer from %lld to %lld", lo, hi);
	}
	*out = (int)i;
	return 1;
}

static int
model_get_number(const json_t *obj, const char *base, const char *key,
    double lo, double hi, double *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get(obj, base, key, false, &v, path, err);
	double d;

	if (rc <= 0)
		return rc;
	d = json_is_number(v) ? json_number_value(v) : NAN;
	if (!isfinite(d) || d < lo || d > hi)
		return model_invalid(
		    err, path, "must be a number from %g to %g", lo, hi);
	*out = d;
	return 1;
}

static int
model_get_bool(const json_t *obj, const char *base, const char *key, bool *out,
    struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get(obj, base, key, false, &v, path, err);

	if (rc <= 0)
		return rc;
	if (!json_is_boolean(v))
		return model_invalid(err, path, "must be true or false");
	*out = json_is_true(v);
	return 1;
}

/*
 * A string of 1..max bytes into dst (max + 1 bytes). valid, when set, checks
 * its form and rule says what is allowed.
 */
static int
model_get_text(const json_t *obj, const char *base, const char *key,
    bool required, size_t max, bool (*valid)(const char *), const char *rule,
    char *dst, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get(obj, base, key, required, &v, path, err);
	const char *s;
	size_t len;

	if (rc <= 0)
		return rc;
	s = json_is_string(v) ? json_string_value(v) : "";
	len = json_is_string(v) ? json_string_length(v) : 0;
	if (len == 0 || len > max || strlen(s) != len ||
	    (valid != NULL && !valid(s))) {
		if (rule != NULL)
			return model_invalid(err, path, "%s", rule);
		return model_invalid(
		    err, path, "must be a string of 1 to %zu bytes", max);
	}
	memcpy(dst, s, len + 1);
	return 1;
}

/*
 * An array of distinct enum values as a bit mask; noun names the values in
 * the error message of a possibly empty array.
 */
static int
model_get_set(const json_t *obj, const char *base, const char *key,
    bool required, bool nonempty, const struct model_enum *tab,
    const char *noun, unsigned *mask, struct sh_error *err)
{
	char path[PATH_MAX_LEN], epath[PATH_MAX_LEN], list[192];
	json_t *v, *e;
	size_t i;
	int rc = model_get(obj, base, key, required, &v, path, err), val;

	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || (nonempty && json_array_size(v) == 0)) {
		model_enum_list(tab, list, sizeof list);
		if (nonempty)
			return model_invalid(
			    err, path, "must be a non-empty array of %s", list);
		return model_invalid(
		    err, path, "must be an array of %s (%s)", noun, list);
	}
	*mask = 0;
	for (i = 0; i < json_array_size(v); i++) {
		e = json_array_get(v, i);
		model_path_index(epath, path, i);
		if (model_enum_value(e, tab, epath, &val, err) < 0)
			return -1;
		if (*mask & (1u << val))
			return model_invalid(err, epath, "is a duplicate");
		*mask |= 1u << val;
	}
	return 1;
}

static bool
model_valid_lang(const char *s)
{
	return s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' &&
	    s[2] == '\0';
}

/* An array of at most MODEL_LANG_MAX distinct ISO 639-1 codes. */
static int
model_get_langs(const json_t *obj, const char *base, lang_t *langs, int *n,
    struct sh_error *err)
{
	char path[PATH_MAX_LEN], epath[PATH_MAX_LEN];
	json_t *v;
	size_t i;
	int rc = model_get(obj, base, "languages", false, &v, path, err), j;

	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || json_array_size(v) > MODEL_LANG_MAX)
		return model_invalid(err, path,
		    "must be an array of at most %d language codes",
		    MODEL_LANG_MAX);
	*n = 0;
	for (i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		const char *s = json_is_string(e) ? json_string_value(e) : "";
		lang_t l;

		model_path_index(epath, path, i);
		if (!model_valid_lang(s))
			return model_invalid(err, epath,
			    "must be a two-letter lowercase ISO 639-1 code");
		l = (lang_t)((unsigned char)s[0] << 8 | (unsigned char)s[1]);
		for (j = 0; j < *n; j++)
			if (langs[j] == l)
				return model_invalid(
				    err, epath, "is a duplicate");
		langs[(*n)++] = l;
	}
	return 1;
}

/* The object at obj.key, type-checked. */
static int
model_get_object(const json_t *obj, const char *base, const char *key,
    bool required, json_t **v, char *path, struct sh_error *err)
{
	int rc = model_get(obj, base, key, required, v, path, err);

	if (rc > 0 && !json_is_object(*v))
		return model_invalid(err, path, "must be an object");
	return rc;
}

/* Locations. */

static int
model_location_parse(const json_t *v, const char *path,
    const struct gazetteer *gaz, struct location *out, struct sh_error *err)
{
	char p[PATH_MAX_LEN];
	const char *canonical;
	int has_lat, has_lon;

	memset(out, 0, sizeof *out);
	if (model_check_keys(v, path, model_location_keys, NULL, err) < 0)
		return -1;
	if (model_get_text(v, path, "municipality", false, MODEL_MUNI_MAX, NULL,
	        NULL, out->municipality, err) < 0)
		return -1;
	out->has_name = out->municipality[0] != '\0';
	if ((has_lat = model_get_number(
	         v, path, "lat", -90, 90, &out->lat, err)) < 0)
		return -1;
	if ((has_lon = model_get_number(
	         v, path, "lon", -180, 180, &out->lon, err)) < 0)
		return -1;
	if (has_lat != has_lon) {
		model_path(p, path, has_lat ? "lon" : "lat");
		return sh_error_set(err, SH_INVALID_PARAMS, "missing_field", p,
		    "is required when %s is given", has_lat ? "lat" : "lon");
	}
	if (has_lat)
		return 0;
	model_path(p, path, "municipality");
	if (!out->has_name)
		return sh_error_set(err, SH_INVALID_PARAMS, "missing_field", p,
		    "is required (or lat and lon)");
	if (geo_lookup(
	        gaz, out->municipality, &out->lat, &out->lon, &canonical) < 0)
		return model_invalid(
		    err, p, "unknown municipality; give lat and lon to use it");
	if (strlen(canonical) <= MODEL_MUNI_MAX)
		snprintf(out->municipality, sizeof out->municipality, "%s",
		    canonical);
	return 0;
}

/* A location at obj.key: 1 when present, 0 when absent, -1 on error. */
static int
model_get_location(const json_t *obj, const char *base, const char *key,
    bool required, const struct gazetteer *gaz, struct location *out,
    struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get_object(obj, base, key, required, &v, path, err);

	if (rc <= 0)
		return rc;
	return model_location_parse(v, path, gaz, out, err) < 0 ? -1 : 1;
}

/* Shelters. */

static const char model_id_rule[] =
    "must be 1 to 63 lowercase letters, digits or '-', starting with a "
    "letter or digit";
static const char model_ref_rule[] =
    "must be 1 to 64 letters, digits, '.', '_' or '-'";
static const char model_pool_rule[] =
    "must be 1 to 32 lowercase letters, digits, '_' or '-', starting with "
    "a letter or digit";

static int
model_pool_parse(const json_t *v, const char *path, int flags, struct pool *p,
    struct sh_error *err)
{
	char fpath[PATH_MAX_LEN];
	bool stored = flags & MODEL_STORED, overbooked;
	int rc, free_places;
	json_t *o;

	if (!json_is_object(v))
		return model_invalid(err, path, "must be an object");
	if (model_check_keys(v, path, model_pool_keys,
	        stored ? model_pool_live_keys : NULL, err) < 0)
		return -1;
	p->max_age = 120;
	p->boys_max_age = 17;
	if (model_get_text(v, path, "name", true, MODEL_POOL_NAME_MAX,
	        model_valid_pool_name, model_pool_rule, p->name, err) < 0 ||
	    model_get_set(v, path, "genders", true, true, model_genders, NULL,
	        &p->genders, err) < 0 ||
	    model_get_int(v, path, "min_age", false, 0, 120, &p->min_age, err) <
	        0 ||
	    model_get_int(v, path, "max_age", false, 0, 120, &p->max_age, err) <
	        0)
		return -1;
	if (p->max_age < p->min_age) {
		model_path(fpath, path, "max_age");
		return model_invalid(
		    err, fpath, "must be at least min_age (%d)", p->min_age);
	}
	if (model_get_int(v, path, "children_max", false, 0, MODEL_CHILD_MAX,
	        &p->children_max, err) < 0 ||
	    model_get_int(v, path, "boys_max_age", false, 0, 17,
	        &p->boys_max_age, err) < 0 ||
	    model_get_int(v, path, "total", true, 0, 10000, &p->total, err) < 0)
		return -1;
	if ((o = json_object_get(v, "occupied")) != NULL) {
		json_int_t n = json_is_integer(o) ? json_integer_value(o) : -1;

		model_path(fpath, path, "occupied");
		if (stored && (n < 0 || n > INT_MAX))
			return model_invalid(
			    err, fpath, "must be an integer of at least 0");
		if (!stored && (n < 0 || n > p->total))
			return model_invalid(err, fpath,
			    "must be an integer from 0 to total (%d)",
			    p->total);
		p->occupied = (int)n;
	}
	if (!stored)
		return 0;
	rc = model_get_int(v, path, "held", false, 0, INT_MAX, &p->held, err);
	if (rc >= 0)
		rc = model_get_int(
		    v, path, "expected", false, 0, INT_MAX, &p->expected, err);
	if (rc >= 0) /* free and overbooked are derived: checked, not kept */
		rc = model_get_int(
		    v, path, "free", false, 0, INT_MAX, &free_places, err);
	if (rc >= 0)
		rc = model_get_bool(v, path, "overbooked", &overbooked, err);
	return rc < 0 ? -1 : 0;
}

static int
model_pools_parse(
    const json_t *obj, int flags, struct shelter *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN], epath[PATH_MAX_LEN];
	json_t *v, *e;
	size_t i;
	int j;

	if (model_get(obj, "", "pools", true, &v, path, err) < 0)
		return -1;
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > MODEL_POOL_MAX)
		return model_invalid(err, path,
		    "must be an array of 1 to %d pools", MODEL_POOL_MAX);
	for (i = 0; i < json_array_size(v); i++) {
		struct pool *p = &out->pools[i];

		e = json_array_get(v, i);
		model_path_index(epath, path, i);
		if (model_pool_parse(e, epath, flags, p, err) < 0)
			return -1;
		for (j = 0; j < (int)i; j++) {
			if (strcmp(out->pools[j].name, p->name) != 0)
				continue;
			model_path(path, epath, "name");
			return model_invalid(err, path, /* path is done with */
			    "is a duplicate of pools.%d.name", j);
		}
		out->npools++;
	}
	return 0;
}

static int
model_intake_parse(const json_t *obj, struct shelter *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get_object(obj, "", "intake", false, &v, path, err);

	if (rc <= 0)
		return rc;
	if (model_check_keys(v, path, model_intake_keys, NULL, err) < 0 ||
	    model_get_bool(v, path, "open", &out->intake_open, err) < 0 ||
	    model_get_bool(v, path, "always", &out->intake_always, err) < 0)
		return -1;
	return 0;
}

/* version and updated_at of a stored shelter. */
static int
model_live_parse(const json_t *obj, struct shelter *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;

	if (model_get(obj, "", "version", false, &v, path, err) > 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return model_invalid(
			    err, path, "must be an integer of at least 0");
		out->version = json_integer_value(v);
	}
	if (model_get(obj, "", "updated_at", false, &v, path, err) > 0 &&
	    !json_is_null(v)) {
		out->updated_at = json_is_string(v)
		    ? model_time_parse(json_string_value(v))
		    : -1;
		if (out->updated_at < 0)
			return model_invalid(
			    err, path, "must be an RFC 3339 UTC time or null");
	}
	return 0;
}

/*
 * Parse and validate a shelter (shelter.put, or with MODEL_STORED one the
 * daemon wrote). 0, or -1 with err filled.
 */
int
model_shelter_parse(const json_t *obj, const struct gazetteer *gaz, int flags,
    struct shelter *out, struct sh_error *err)
{
	int val, rc;

	memset(out, 0, sizeof *out);
	out->security = SECURITY_STANDARD;
	out->intake_open = true;
	if (!json_is_object(obj))
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field", "",
		    "shelter: must be an object");
	if (model_check_keys(obj, "", model_shelter_keys,
	        (flags & MODEL_STORED) ? model_shelter_live_keys : NULL,
	        err) < 0)
		return -1;
	if (model_get_text(obj, "", "id", true, MODEL_ID_MAX, model_valid_id,
	        model_id_rule, out->id, err) < 0 ||
	    model_get_text(obj, "", "name", false, MODEL_TEXT_MAX, NULL, NULL,
	        out->name, err) < 0 ||
	    model_get_text(obj, "", "organisation", false, MODEL_TEXT_MAX, NULL,
	        NULL, out->organisation, err) < 0)
		return -1;
	if (model_get_enum(
	        obj, "", "program", true, model_programs, &val, err) < 0)
		return -1;
	out->program = (enum program)val;
	if (model_get_location(
	        obj, "", "location", true, gaz, &out->location, err) < 0 ||
	    model_get_set(obj, "", "care", false, false, model_cares,
	        "care tags", &out->care, err) < 0 ||
	    model_get_langs(obj, "", out->languages, &out->nlanguages, err) < 0)
		return -1;
	if ((rc = model_get_enum(
	         obj, "", "security", false, model_securities, &val, err)) < 0)
		return -1;
	if (rc > 0)
		out->security = (enum security)val;
	if (model_intake_parse(obj, out, err) < 0 ||
	    model_pools_parse(obj, flags, out, err) < 0)
		return -1;
	if ((flags & MODEL_STORED) && model_live_parse(obj, out, err) < 0)
		return -1;
	return 0;
}

/* Requests. */

static int
model_person_parse(const json_t *obj, struct request *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int val;

	if (model_get_object(obj, "", "person", true, &v, path, err) < 0)
		return -1;
	if (model_check_keys(v, path, model_person_keys, NULL, err) < 0 ||
	    model_get_enum(v, path, "gender", true, model_genders, &val, err) <
	        0)
		return -1;
	out->gender = (enum gender)val;
	if (model_get_int(v, path, "age", true, 0, 120, &out->age, err) < 0 ||
	    model_get_langs(v, path, out->languages, &out->nlanguages, err) < 0)
		return -1;
	v = json_object_get(v, "nationality");
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) != 2 ||
	    json_string_value(v)[0] < 'A' || json_string_value(v)[0] > 'Z' ||
	    json_string_value(v)[1] < 'A' || json_string_value(v)[1] > 'Z')
		return model_invalid(err, "person.nationality",
		    "must be a two-letter uppercase ISO 3166-1 code");
	memcpy(out->nationality, json_string_value(v), 3);
	return 0;
}

static int
model_children_parse(
    const json_t *obj, struct request *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN], epath[PATH_MAX_LEN];
	json_t *v, *e;
	size_t i;
	int rc = model_get(obj, "", "children", false, &v, path, err), val;

	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || json_array_size(v) > MODEL_CHILD_MAX)
		return model_invalid(err, path,
		    "must be an array of at most %d children", MODEL_CHILD_MAX);
	for (i = 0; i < json_array_size(v); i++) {
		struct child *c = &out->children[i];

		e = json_array_get(v, i);
		model_path_index(epath, path, i);
		if (!json_is_object(e))
			return model_invalid(err, epath, "must be an object");
		if (model_check_keys(e, epath, model_child_keys, NULL, err) <
		        0 ||
		    model_get_int(e, epath, "age", true, 0, 17, &c->age, err) <
		        0 ||
		    (rc = model_get_enum(e, epath, "gender", false,
		         model_genders, &val, err)) < 0)
			return -1;
		c->has_gender = rc > 0;
		c->gender = c->has_gender ? (enum gender)val : GENDER_X;
		out->nchildren++;
	}
	return 0;
}

static int
model_exploitation_parse(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc =
	        model_get_object(obj, "", "exploitation", false, &v, path, err),
	    val;

	if (rc <= 0)
		return rc;
	out->has_exploitation = true;
	if (model_check_keys(v, path, model_exploitation_keys, NULL, err) < 0 ||
	    (rc = model_get_enum(
	         v, path, "sector", false, model_sectors, &val, err)) < 0)
		return -1;
	if (rc > 0)
		out->sector = (enum sector)val;
	rc = model_get_location(
	    v, path, "location", false, gaz, &out->exploitation_location, err);
	out->has_exploitation_location = rc > 0;
	return rc < 0 ? -1 : 0;
}

static int
model_safety_parse(const json_t *obj, struct request *out, struct sh_error *err)
{
	char path[PATH_MAX_LEN];
	json_t *v;
	int rc = model_get_object(obj, "", "safety", false, &v, path, err);
	int val;

	if (rc <= 0)
		return rc;
	out->has_safety = true;
	if (model_check_keys(v, path, model_safety_keys, NULL, err) < 0 ||
	    model_get_number(v, path, "min_distance_km", 0, 1000,
	        &out->min_distance_km, err) < 0)
		return -1;
	if ((rc = model_get_enum(v, path, "min_security", false,
	         model_securities, &val, err)) < 0)
		return -1;
	if (rc > 0)
		out->min_security = (enum security)val;
	if (model_get_text(v, path, "case", false, MODEL_CASE_MAX,
	        model_valid_ref, model_ref_rule, out->case_id, err) < 0)
		return -1;
	if ((rc = model_get_enum(v, path, "co_victims", false, model_co_victims,
	         &val, err)) < 0)
		return -1;
	if (rc > 0)
		out->co_victims = (enum co_victims)val;
	return 0;
}

/* An optional top-level enum: 0 leaves *out alone. */
static int
model_request_enum(const json_t *obj, const char *key,
    const struct model_enum *tab, int *out, struct sh_error *err)
{
	int val, rc = model_get_enum(obj, "", key, false, tab, &val, err);

	if (rc > 0)
		*out = val;
	return rc < 0 ? -1 : 0;
}

/*
 * Parse and validate a request (request.submit, match.preview). 0, or -1
 * with err filled.
 */
int
model_request_parse(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_error *err)
{
	int program = PROGRAM_ANY, urgency = URGENCY_DAYS;
	int referrer = REFERRER_NONE, residence = RESIDENCE_NONE, rc;

	memset(out, 0, sizeof *out);
	out->co_victims = CO_VICTIMS_ANY;
	out->min_security = SECURITY_STANDARD;
	if (!json_is_object(obj))
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field", "",
		    "request: must be an object");
	if (model_check_keys(obj, "", model_request_keys, NULL, err) < 0 ||
	    model_get_text(obj, "", "ref", true, MODEL_REF_MAX, model_valid_ref,
	        model_ref_rule, out->ref, err) < 0 ||
	    model_request_enum(
	        obj, "program", model_request_programs, &program, err) < 0 ||
	    model_person_parse(obj, out, err) < 0 ||
	    model_children_parse(obj, out, err) < 0 ||
	    model_get_set(obj, "", "needs", false, false, model_cares,
	        "care tags", &out->needs, err) < 0 ||
	    model_get_set(obj, "", "prefers", false, false, model_cares,
	        "care tags", &out->prefers, err) < 0 ||
	    model_exploitation_parse(obj, gaz, out, err) < 0 ||
	    model_safety_parse(obj, out, err) < 0)
		return -1;
	rc = model_get_location(obj, "", "preferred_location", false, gaz,
	    &out->preferred_location, err);
	if (rc < 0)
		return -1;
	out->has_preferred_location = rc > 0;
	if (model_request_enum(obj, "urgency", model_urgencies, &urgency, err) <
	        0 ||
	    model_request_enum(
	        obj, "referrer", model_referrers, &referrer, err) < 0 ||
	    model_request_enum(
	        obj, "residence", model_residences, &residence, err) < 0)
		return -1;
	out->program = (enum program)program;
	out->urgency = (enum urgency)urgency;
	out->referrer = (enum referrer)referrer;
	out->residence = (enum residence)residence;
	return 0;
}

/* Output. */

/* Set a new value on obj; false (and nothing leaked) on ENOMEM. */
static bool
model_set(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static json_t *
model_set_json(unsigned mask, const struct model_enum *tab)
{
	json_t *a = json_array();

	for (; a != NULL && tab->name != NULL; tab++) {
		if (!(mask & (1u << tab->value)))
			continue;
		if (json_array_append_new(a, json_string(tab->name)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
model_langs_json(const lang_t *langs, int n)
{
	json_t *a = json_array();
	char code[3] = {0, 0, 0};
	int i;

	for (i = 0; a != NULL && i < n; i++) {
		code[0] = (char)(langs[i] >> 8);
		code[1] = (char)(langs[i] & 0xff);
		if (json_array_append_new(a, json_string(code)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
model_location_json(const struct location *l)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if ((l->has_name &&
	        !model_set(o, "municipality", json_string(l->municipality))) ||
	    !model_set(o, "lat", json_real(l->lat)) ||
	    !model_set(o, "lon", json_real(l->lon))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
model_pool_json(const struct pool *p, int flags)
{
	json_t *o = json_object();
	int free_places = model_pool_free(p);
	bool ok;

	if (o == NULL)
		return NULL;
	ok = model_set(o, "name", json_string(p->name)) &&
	    model_set(
	        o, "genders", model_set_json(p->genders, model_genders)) &&
	    model_set(o, "min_age", json_integer(p->min_age)) &&
	    model_set(o, "max_age", json_integer(p->max_age)) &&
	    model_set(o, "children_max", json_integer(p->children_max)) &&
	    model_set(o, "boys_max_age", json_integer(p->boys_max_age)) &&
	    model_set(o, "total", json_integer(p->total)) &&
	    model_set(o, "occupied", json_integer(p->occupied));
	if (ok && (flags & MODEL_LIVE))
		ok = model_set(o, "held", json_integer(p->held)) &&
		    model_set(o, "expected", json_integer(p->expected)) &&
		    model_set(o, "free",
		        json_integer(free_places > 0 ? free_places : 0)) &&
		    model_set(o, "overbooked", json_boolean(free_places < 0));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool
model_shelter_live_json(json_t *o, const struct shelter *s)
{
	char buf[32];

	if (!model_set(o, "version", json_integer(s->version)))
		return false;
	if (s->updated_at == 0)
		return model_set(o, "updated_at", json_null());
	return model_set(o, "updated_at",
	    json_string(model_time_format(s->updated_at, buf, sizeof buf)));
}

/*
 * The shelter as a new JSON object in protocol order; MODEL_LIVE adds the
 * live counts, version and updated_at. NULL on ENOMEM.
 */
json_t *
model_shelter_to_json(const struct shelter *s, int flags)
{
	json_t *o = json_object(), *pools = json_array(), *intake;
	bool ok = o != NULL && pools != NULL;
	int i;

	for (i = 0; ok && i < s->npools; i++)
		ok = json_array_append_new(
		         pools, model_pool_json(&s->pools[i], flags)) == 0;
	if (ok)
		ok = model_set(o, "id", json_string(s->id)) &&
		    (s->name[0] == '\0' ||
		        model_set(o, "name", json_string(s->name))) &&
		    (s->organisation[0] == '\0' ||
		        model_set(
		            o, "organisation", json_string(s->organisation))) &&
		    model_set(o, "program",
		        json_string(model_program_name(s->program))) &&
		    model_set(
		        o, "location", model_location_json(&s->location)) &&
		    model_set(
		        o, "care", model_set_json(s->care, model_cares)) &&
		    model_set(o, "languages",
		        model_langs_json(s->languages, s->nlanguages)) &&
		    model_set(o, "security",
		        json_string(model_security_name(s->security)));
	if (ok) {
		intake = json_pack("{s:b, s:b}", "open", s->intake_open,
		    "always", s->intake_always);
		ok = model_set(o, "intake", intake) &&
		    json_object_set(o, "pools", pools) == 0;
	}
	if (ok && (flags & MODEL_LIVE))
		ok = model_shelter_live_json(o, s);
	json_decref(pools);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
model_children_json(const struct request *r, bool null_gender)
{
	json_t *a = json_array(), *c;
	int i;

	for (i = 0; a != NULL && i < r->nchildren; i++) {
		const struct child *ch = &r->children[i];

		c = json_pack("{s:i}", "age", ch->age);
		if (c != NULL && (ch->has_gender || null_gender) &&
		    !model_set(c, "gender",
		        ch->has_gender
		            ? json_string(model_gender_name(ch->gender))
		            : json_null())) {
			json_decref(c);
			c = NULL;
		}
		if (json_array_append_new(a, c) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
model_person_json(const struct request *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (!model_set(
	        o, "gender", json_string(model_gender_name(r->gender))) ||
	    !model_set(o, "age", json_integer(r->age)) ||
	    !model_set(o, "languages",
	        model_langs_json(r->languages, r->nlanguages)) ||
	    (r->nationality[0] != '\0' &&
	        !model_set(o, "nationality", json_string(r->nationality)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A whole number of km as an integer, else as a real. */
static json_t *
model_km_json(double km)
{
	if (km == floor(km))
		return json_integer((json_int_t)km);
	return json_real(km);
}

static json_t *
model_exploitation_json(const struct request *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if ((r->sector != SECTOR_NONE &&
	        !model_set(o, "sector",
	            json_string(model_enum_name(model_sectors, r->sector)))) ||
	    (r->has_exploitation_location &&
	        !model_set(o, "location",
	            model_location_json(&r->exploitation_location)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
model_safety_json(const struct request *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (!model_set(
	        o, "min_distance_km", model_km_json(r->min_distance_km)) ||
	    !model_set(o, "min_security",
	        json_string(model_security_name(r->min_security))) ||
	    (r->case_id[0] != '\0' &&
	        !model_set(o, "case", json_string(r->case_id))) ||
	    !model_set(o, "co_victims",
	        json_string(
	            model_enum_name(model_co_victims, r->co_victims)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The request's input fields, normalised: defaults filled in, arrays always
 * present, exploitation, safety, preferred_location, referrer and residence
 * only when given. model_request_parse reads it back to the same struct.
 */
json_t *
model_request_to_json(const struct request *r)
{
	json_t *o = json_object();
	bool ok;

	if (o == NULL)
		return NULL;
	ok = model_set(o, "ref", json_string(r->ref)) &&
	    model_set(
	        o, "program", json_string(model_program_name(r->program))) &&
	    model_set(o, "person", model_person_json(r)) &&
	    model_set(o, "children", model_children_json(r, false)) &&
	    model_set(o, "needs", model_set_json(r->needs, model_cares)) &&
	    model_set(o, "prefers", model_set_json(r->prefers, model_cares)) &&
	    (!r->has_exploitation ||
	        model_set(o, "exploitation", model_exploitation_json(r))) &&
	    (!r->has_safety || model_set(o, "safety", model_safety_json(r))) &&
	    (!r->has_preferred_location ||
	        model_set(o, "preferred_location",
	            model_location_json(&r->preferred_location))) &&
	    model_set(
	        o, "urgency", json_string(model_urgency_name(r->urgency))) &&
	    (r->referrer == REFERRER_NONE ||
	        model_set(o, "referrer",
	            json_string(
	                model_enum_name(model_referrers, r->referrer)))) &&
	    (r->residence == RESIDENCE_NONE ||
	        model_set(o, "residence",
	            json_string(model_residence_name(r->residence))));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The household summary for placement events: {gender, age, children
 * [{age, gender (null when not given)}], needs, languages}. Caller owns.
 */
json_t *
model_household_json(const struct request *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (!model_set(
	        o, "gender", json_string(model_gender_name(r->gender))) ||
	    !model_set(o, "age", json_integer(r->age)) ||
	    !model_set(o, "children", model_children_json(r, true)) ||
	    !model_set(o, "needs", model_set_json(r->needs, model_cares)) ||
	    !model_set(o, "languages",
	        model_langs_json(r->languages, r->nlanguages))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * True when the pool takes the person's gender and age, the number of
 * children, and every boy is at most boys_max_age.
 */
bool
model_pool_admits(const struct pool *p, const struct request *r)
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

/* Enum names; "?" for a value out of range. */

const char *
model_program_name(enum program p)
{
	if (p == PROGRAM_ANY)
		return "any";
	return model_enum_name(model_programs, p);
}

const char *
model_security_name(enum security s)
{
	return model_enum_name(model_securities, s);
}

const char *
model_gender_name(enum gender g)
{
	return model_enum_name(model_genders, g);
}

const char *
model_care_name(enum care_tag c)
{
	return model_enum_name(model_cares, c);
}

const char *
model_residence_name(enum residence r)
{
	return model_enum_name(model_residences, r);
}

const char *
model_urgency_name(enum urgency u)
{
	return model_enum_name(model_urgencies, u);
}

/* Enum values by name ("any" is PROGRAM_ANY); -1 when unknown. */

int
model_program_parse(const char *s)
{
	if (s != NULL && strcmp(s, "any") == 0)
		return PROGRAM_ANY;
	return s == NULL ? -1 : model_enum_lookup(model_programs, s);
}

int
model_care_parse(const char *s)
{
	return s == NULL ? -1 : model_enum_lookup(model_cares, s);
}

int
model_residence_parse(const char *s)
{
	return s == NULL ? -1 : model_enum_lookup(model_residences, s);
}

static bool
model_lower_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Shelter id: ^[a-z0-9][a-z0-9-]{0,62}$. */
bool
model_valid_id(const char *s)
{
	size_t i;

	if (s == NULL || !model_lower_digit(s[0]))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= MODEL_ID_MAX ||
		    !(model_lower_digit(s[i]) || s[i] == '-'))
			return false;
	return true;
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
	size_t i;

	if (s == NULL || !model_lower_digit(s[0]))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= MODEL_POOL_NAME_MAX ||
		    !(model_lower_digit(s[i]) || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/*
 * ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (milliseconds dropped) into
 * buf; "" when it does not fit. Returns buf.
 */
char *
model_time_format(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((999 - ms) / 1000));
	struct tm tm;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static long long
model_days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s; -1 when one is not a digit. */
static int
model_digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.fff...]Z" (UTC only) as ms since the epoch; -1 when
 * malformed or before 1970.
 */
long long
model_time_parse(const char *s)
{
	static const int mdays[12] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, ms = 0, scale = 100;
	bool leap;
	long long t;

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	y = model_digits(s, 4);
	mo = model_digits(s + 5, 2);
	d = model_digits(s + 8, 2);
	h = model_digits(s + 11, 2);
	mi = model_digits(s + 14, 2);
	sec = model_digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	s += 19;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return -1;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			ms += (*s - '0') * scale;
	}
	if (s[0] != 'Z' || s[1] != '\0')
		return -1;
	t = model_days_from_civil(y, mo, d) * 86400LL + h * 3600 + mi * 60 +
	    sec;
	if (t < 0)
		return -1;
	return t * 1000 + ms;
}
