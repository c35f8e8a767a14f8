/*
 * model_field.c: reading the fields of a JSON object strictly, each with
 * the dotted path of the field for its error (see model.c).
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shelter/geo.h"

#include "model_enum.h"
#include "model_field.h"

/* Errors. */

/*
 * Fill err with invalid_field at path and the formatted message;
 * returns -1.
 */
int
model_field_invalid(
    struct sh_error *err, const char *path, const char *fmt, ...)
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
model_field_missing(struct sh_error *err, const char *path)
{
	return sh_error_set(
	    err, SH_INVALID_PARAMS, "missing_field", path, "is required");
}

/* Paths. */

/* Paths longer than MODEL_PATH_MAX - 1 bytes are cut short. */
void
model_field_path(char *buf, const char *base, const char *key)
{
	int n;

	/* The object's own empty key: "." until it is named
	 * (sh_errors_name_object). */
	if (base[0] == '\0' && key[0] == '\0')
		n = snprintf(buf, MODEL_PATH_MAX, ".");
	else if (base[0] == '\0')
		n = snprintf(buf, MODEL_PATH_MAX, "%s", key);
	else
		n = snprintf(buf, MODEL_PATH_MAX, "%s.%s", base, key);
	if (n < 0)
		buf[0] = '\0';
}

/* "base.i" into buf (MODEL_PATH_MAX bytes). */
void
model_field_path_index(char *buf, const char *base, size_t i)
{
	if (snprintf(buf, MODEL_PATH_MAX, "%s.%zu", base, i) < 0)
		buf[0] = '\0';
}

/* Generic field access. */

static bool
model_field_key_in(const char *key, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/*
 * Personal identifiers a client may try to send, under any object, and
 * what kind of data each is: the refusal says shelterd does not store it.
 * Keys are compared folded (model_field_fold): "firstName", "First-Name"
 * and "first_name" are one name.
 */
static const struct {
	const char *key; /* folded */
	const char *kind;
} model_field_personal[] = {
    {"name", "names"},
    {"firstname", "names"},
    {"givenname", "names"},
    {"lastname", "names"},
    {"surname", "names"},
    {"familyname", "names"},
    {"fullname", "names"},
    {"birthdate", "birth dates"},
    {"dateofbirth", "birth dates"},
    {"dob", "birth dates"},
    {"address", "addresses"},
    {"street", "addresses"},
    {"postcode", "addresses"},
    {"postalcode", "addresses"},
    {"zipcode", "addresses"},
    {"phone", "phone numbers"},
    {"phonenumber", "phone numbers"},
    {"telephone", "phone numbers"},
    {"mobile", "phone numbers"},
    {"email", "email addresses"},
    {"emailaddress", "email addresses"},
    {"bsn", "citizen service numbers (BSN)"},
    {"passport", "passport numbers"},
    {"passportnumber", "passport numbers"},
};

/* key in lower case without '_', '-', '.' and ' ' into out (size n);
 * false when it does not fit (then it is no personal identifier). */
static bool
model_field_fold(const char *key, char *out, size_t n)
{
	size_t k = 0;

	for (; *key != '\0'; key++) {
		if (strchr("_-. ", *key) != NULL)
			continue;
		if (k + 1 >= n)
			return false;
		out[k++] = (char)tolower((unsigned char)*key);
	}
	out[k] = '\0';
	return true;
}

/* unknown_field for key at path: see model.h. */
int
model_field_unknown(struct sh_error *err, const char *path, const char *key)
{
	char folded[32];
	size_t i;

	if (key[0] == '\0')
		return sh_error_set(err, SH_INVALID_PARAMS, "unknown_field",
		    path, "an empty key is not a field");
	if (!model_field_fold(key, folded, sizeof folded))
		folded[0] = '\0';
	for (i = 0;
	     i < sizeof model_field_personal / sizeof model_field_personal[0];
	     i++)
		if (strcmp(folded, model_field_personal[i].key) == 0)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "unknown_field", path,
			    "shelterd does not store %s (unknown field)",
			    model_field_personal[i].kind);
	return sh_error_set(
	    err, SH_INVALID_PARAMS, "unknown_field", path, "unknown field");
}

/* The first key of obj that is in neither list is unknown_field. */
int
model_field_check_keys(const json_t *obj, const char *base,
    const char *const *allowed, const char *const *extra, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	const char *key;
	void *it;

	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		key = json_object_iter_key(it);
		if (model_field_key_in(key, allowed) ||
		    model_field_key_in(key, extra))
			continue;
		model_field_path(path, base, key);
		return model_field_unknown(err, path, key);
	}
	return 0;
}

/* Every unknown key of obj into all: see model_field.h. */
int
model_field_check_keys_all(const json_t *obj, const char *base,
    const char *const *allowed, struct sh_errors *all)
{
	char path[MODEL_PATH_MAX];
	struct sh_error err;
	const char *key;
	void *it;
	int rc = 0;

	for (it = json_object_iter((json_t *)obj); it != NULL;
	     it = json_object_iter_next((json_t *)obj, it)) {
		key = json_object_iter_key(it);
		if (model_field_key_in(key, allowed))
			continue;
		model_field_path(path, base, key);
		rc = model_field_unknown(&err, path, key);
		sh_errors_add(all, &err);
	}
	return rc;
}

/*
 * Look up obj.key and build its path. 1 when present, 0 when absent and
 * optional, -1 (missing_field) when absent and required.
 */
int
model_field_get(const json_t *obj, const char *base, const char *key,
    bool required, json_t **v, char *path, struct sh_error *err)
{
	model_field_path(path, base, key);
	*v = json_object_get(obj, key);
	if (*v != NULL)
		return 1;
	return required ? model_field_missing(err, path) : 0;
}

/* Check one JSON value against an enum table; path names it. */
static int
model_field_enum_value(const json_t *v, const struct model_enum *tab,
    const char *path, int *out, struct sh_error *err)
{
	char list[192];
	int val = -1;

	if (json_is_string(v))
		val = model_enum_lookup(tab, json_string_value(v));
	if (val < 0)
		return model_field_invalid(err, path, "must be one of %s",
		    model_enum_list(tab, list, sizeof list));
	*out = val;
	return 0;
}

/*
 * obj.key as a name of tab into *out: 1 when set, 0 when absent (and not
 * required), -1 with err filled. So are the getters below.
 */
int
model_field_get_enum(const json_t *obj, const char *base, const char *key,
    bool required, const struct model_enum *tab, int *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc = model_field_get(obj, base, key, required, &v, path, err);

	if (rc <= 0)
		return rc;
	return model_field_enum_value(v, tab, path, out, err) < 0 ? -1 : 1;
}

/* obj.key as an integer from lo to hi into *out. */
int
model_field_get_int(const json_t *obj, const char *base, const char *key,
    bool required, long long lo, long long hi, int *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc = model_field_get(obj, base, key, required, &v, path, err);
	json_int_t i;

	if (rc <= 0)
		return rc;
	i = json_is_integer(v) ? json_integer_value(v) : 0;
	if (!json_is_integer(v) || i < lo || i > hi) {
		if (hi == INT_MAX)
			return model_field_invalid(err, path,
			    "must be an integer of at least %lld", lo);
		return model_field_invalid(
		    err, path, "must be an integer from %lld to %lld", lo, hi);
	}
	*out = (int)i;
	return 1;
}

/* Optional obj.key as a finite number from lo to hi into *out. */
int
model_field_get_number(const json_t *obj, const char *base, const char *key,
    double lo, double hi, double *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc = model_field_get(obj, base, key, false, &v, path, err);
	double d;

	if (rc <= 0)
		return rc;
	d = json_is_number(v) ? json_number_value(v) : NAN;
	if (!isfinite(d) || d < lo || d > hi)
		return model_field_invalid(
		    err, path, "must be a number from %g to %g", lo, hi);
	*out = d;
	return 1;
}

/* Optional obj.key as a boolean into *out. */
int
model_field_get_bool(const json_t *obj, const char *base, const char *key,
    bool *out, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc = model_field_get(obj, base, key, false, &v, path, err);

	if (rc <= 0)
		return rc;
	if (!json_is_boolean(v))
		return model_field_invalid(err, path, "must be true or false");
	*out = json_is_true(v);
	return 1;
}

/*
 * A string of 1..max bytes into dst (max + 1 bytes). valid, when set, checks
 * its form and rule says what is allowed.
 */
int
model_field_get_text(const json_t *obj, const char *base, const char *key,
    bool required, size_t max, bool (*valid)(const char *), const char *rule,
    char *dst, struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc = model_field_get(obj, base, key, required, &v, path, err);
	const char *s;
	size_t len;

	if (rc <= 0)
		return rc;
	s = json_is_string(v) ? json_string_value(v) : "";
	len = json_is_string(v) ? json_string_length(v) : 0;
	if (len == 0 || len > max || strlen(s) != len ||
	    (valid != NULL && !valid(s))) {
		if (rule != NULL)
			return model_field_invalid(err, path, "%s", rule);
		return model_field_invalid(
		    err, path, "must be a string of 1 to %zu bytes", max);
	}
	memcpy(dst, s, len + 1);
	return 1;
}

/*
 * An array of distinct enum values as a bit mask; noun names the values in
 * the error message of a possibly empty array.
 */
int
model_field_get_set(const json_t *obj, const char *base, const char *key,
    bool required, bool nonempty, const struct model_enum *tab,
    const char *noun, unsigned *mask, struct sh_error *err)
{
	char path[MODEL_PATH_MAX], epath[MODEL_PATH_MAX], list[192];
	json_t *v, *e;
	size_t i;
	int rc = model_field_get(obj, base, key, required, &v, path, err), val;

	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || (nonempty && json_array_size(v) == 0)) {
		model_enum_list(tab, list, sizeof list);
		if (nonempty)
			return model_field_invalid(
			    err, path, "must be a non-empty array of %s", list);
		return model_field_invalid(
		    err, path, "must be an array of %s (%s)", noun, list);
	}
	*mask = 0;
	for (i = 0; i < json_array_size(v); i++) {
		e = json_array_get(v, i);
		model_field_path_index(epath, path, i);
		if (model_field_enum_value(e, tab, epath, &val, err) < 0)
			return -1;
		if (*mask & (1u << val))
			return model_field_invalid(
			    err, epath, "is a duplicate");
		*mask |= 1u << val;
	}
	return 1;
}

static bool
model_field_valid_lang(const char *s)
{
	return s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' &&
	    s[2] == '\0';
}

/* An array of at most MODEL_LANG_MAX distinct ISO 639-1 codes. */
int
model_field_get_langs(const json_t *obj, const char *base, lang_t *langs,
    int *n, struct sh_error *err)
{
	char path[MODEL_PATH_MAX], epath[MODEL_PATH_MAX];
	json_t *v;
	size_t i;
	int rc = model_field_get(obj, base, "languages", false, &v, path, err),
	    j;

	if (rc <= 0)
		return rc;
	if (!json_is_array(v) || json_array_size(v) > MODEL_LANG_MAX)
		return model_field_invalid(err, path,
		    "must be an array of at most %d language codes",
		    MODEL_LANG_MAX);
	*n = 0;
	for (i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		const char *s = json_is_string(e) ? json_string_value(e) : "";
		lang_t l;

		model_field_path_index(epath, path, i);
		if (!model_field_valid_lang(s))
			return model_field_invalid(err, epath,
			    "must be a two-letter lowercase ISO 639-1 code");
		l = (lang_t)((unsigned char)s[0] << 8 | (unsigned char)s[1]);
		for (j = 0; j < *n; j++)
			if (langs[j] == l)
				return model_field_invalid(
				    err, epath, "is a duplicate");
		langs[(*n)++] = l;
	}
	return 1;
}

/* The object at obj.key, type-checked. */
int
model_field_get_object(const json_t *obj, const char *base, const char *key,
    bool required, json_t **v, char *path, struct sh_error *err)
{
	int rc = model_field_get(obj, base, key, required, v, path, err);

	if (rc > 0 && !json_is_object(*v))
		return model_field_invalid(err, path, "must be an object");
	return rc;
}

/* Locations. */

static const char *const model_location_keys[] = {
    "municipality", "lat", "lon", NULL};

/* Coordinates to 0.01 degree (about 1 km), as given or looked up: the
 * same location in, whichever form, the same location out. */
static void
model_field_coarsen(struct location *l)
{
	l->lat = round(l->lat * 100) / 100;
	l->lon = round(l->lon * 100) / 100;
}

static int
model_field_location_parse(const json_t *v, const char *path,
    const struct gazetteer *gaz, struct location *out, struct sh_error *err)
{
	char p[MODEL_PATH_MAX];
	const char *canonical;
	int has_lat, has_lon;

	memset(out, 0, sizeof *out);
	if (model_field_check_keys(v, path, model_location_keys, NULL, err) < 0)
		return -1;
	if (model_field_get_text(v, path, "municipality", false, MODEL_MUNI_MAX,
	        NULL, NULL, out->municipality, err) < 0)
		return -1;
	out->has_name = out->municipality[0] != '\0';
	if ((has_lat = model_field_get_number(
	         v, path, "lat", -90, 90, &out->lat, err)) < 0)
		return -1;
	if ((has_lon = model_field_get_number(
	         v, path, "lon", -180, 180, &out->lon, err)) < 0)
		return -1;
	if (has_lat != has_lon) {
		model_field_path(p, path, has_lat ? "lon" : "lat");
		return sh_error_set(err, SH_INVALID_PARAMS, "missing_field", p,
		    "is required when %s is given", has_lat ? "lat" : "lon");
	}
	model_field_path(p, path, "municipality");
	if (has_lat) {
		/* Municipality level only, never an address: no municipality
		 * name holds a digit (a house number or postcode does), and
		 * coordinates are kept to 0.01 degree (about 1 km). */
		if (strpbrk(out->municipality, "0123456789") != NULL)
			return model_field_invalid(err, p,
			    "must be a municipality, never an address (it "
			    "holds a digit)");
		model_field_coarsen(out);
		return 0;
	}
	if (!out->has_name)
		return sh_error_set(err, SH_INVALID_PARAMS, "missing_field", p,
		    "is required (or lat and lon)");
	if (geo_lookup(
	        gaz, out->municipality, &out->lat, &out->lon, &canonical) < 0)
		return model_field_invalid(
		    err, p, "unknown municipality; give lat and lon to use it");
	if (strlen(canonical) <= MODEL_MUNI_MAX)
		snprintf(out->municipality, sizeof out->municipality, "%s",
		    canonical);
	model_field_coarsen(out);
	return 0;
}

/* A location at obj.key: 1 when present, 0 when absent, -1 on error. */
int
model_field_get_location(const json_t *obj, const char *base, const char *key,
    bool required, const struct gazetteer *gaz, struct location *out,
    struct sh_error *err)
{
	char path[MODEL_PATH_MAX];
	json_t *v;
	int rc =
	    model_field_get_object(obj, base, key, required, &v, path, err);

	if (rc <= 0)
		return rc;
	return model_field_location_parse(v, path, gaz, out, err) < 0 ? -1 : 1;
}
