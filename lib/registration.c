/*
 * registration.c: strict parsing and the JSON of registrations
 * (include/shelter/registration.h), and their report dimensions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/registration.h"

#include "model_enum.h"
#include "model_field.h"

static const char *const reg_keys[] = {"ref", "date", "kind", "sector",
    "person", "referrer", "region", "request_id", NULL};
static const char *const reg_person_keys[] = {
    "gender", "age", "age_band", "nationality", NULL};

static const struct model_enum reg_kinds[] = {
    {"registration", REG_KIND_REGISTRATION}, {"shelter", REG_KIND_SHELTER},
    {"advice", REG_KIND_ADVICE}, {NULL, 0}};

static const struct model_enum reg_age_bands[] = {{"minor", AGE_BAND_MINOR},
    {"18-22", AGE_BAND_18_22}, {"23+", AGE_BAND_23},
    {"unknown", AGE_BAND_UNKNOWN}, {NULL, 0}};

static const struct model_enum reg_regions[] = {{"noord-nederland", 0},
    {"oost-nederland", 1}, {"midden-nederland", 2}, {"noord-holland", 3},
    {"amsterdam", 4}, {"den-haag", 5}, {"rotterdam", 6},
    {"zeeland-west-brabant", 7}, {"oost-brabant", 8}, {"limburg", 9},
    {"landelijke-eenheid", 10}, {"kmar", 11}, {"unknown", 12}, {NULL, 0}};

static const char reg_ref_rule[] =
    "must be 1 to 64 letters, digits, '.', '_' or '-'";
static const char reg_date_rule[] = "must be a date written YYYY-MM-DD";
static const char reg_id_rule[] =
    "must be 1 to 63 lowercase letters, digits or '-', starting with a "
    "letter or digit";

bool
model_valid_date(const char *s)
{
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	return true;
}

static enum age_band
reg_band_of(int age)
{
	return age < 18 ? AGE_BAND_MINOR
	    : age <= 22 ? AGE_BAND_18_22
	                : AGE_BAND_23;
}

/* One step of a parse that goes on after a problem: record it. */
#define REG_STEP(all, err, expr)                                               \
	do {                                                                   \
		if ((expr) < 0)                                                \
			sh_errors_add((all), (err));                           \
	} while (0)

/* The person, each of its problems into all. */
static void
reg_person_parse(const json_t *obj, int flags, struct registration *out,
    struct sh_errors *all)
{
	char path[MODEL_PATH_MAX];
	struct sh_error err;
	json_t *v, *nat;
	int rc, val;

	if ((rc = model_field_get_object(
	         obj, "", "person", false, &v, path, &err)) <= 0) {
		if (rc < 0)
			sh_errors_add(all, &err);
		return;
	}
	model_field_check_keys_all(v, path, reg_person_keys, all);
	if ((rc = model_field_get_enum(
	         v, path, "gender", false, model_genders, &val, &err)) < 0)
		sh_errors_add(all, &err);
	out->has_gender = rc > 0;
	out->gender = rc > 0 ? (enum gender)val : GENDER_X;
	REG_STEP(all, &err,
	    model_field_get_int(
	        v, path, "age", false, 0, 120, &out->age, &err));
	if ((rc = model_field_get_enum(
	         v, path, "age_band", false, reg_age_bands, &val, &err)) < 0)
		sh_errors_add(all, &err);
	if (out->age >= 0) {
		if (rc > 0 && !(flags & MODEL_STORED)) {
			model_field_invalid(&err, "person.age_band",
			    "give age or age_band, not both");
			sh_errors_add(all, &err);
		}
		out->age_band = reg_band_of(out->age);
	} else if (rc > 0)
		out->age_band = (enum age_band)val;
	if ((nat = json_object_get(v, "nationality")) == NULL)
		return;
	if (!json_is_string(nat) || json_string_length(nat) != 2 ||
	    json_string_value(nat)[0] < 'A' ||
	    json_string_value(nat)[0] > 'Z' ||
	    json_string_value(nat)[1] < 'A' ||
	    json_string_value(nat)[1] > 'Z') {
		model_field_invalid(&err, "person.nationality",
		    "must be a two-letter uppercase ISO 3166-1 code");
		sh_errors_add(all, &err);
		return;
	}
	memcpy(out->nationality, json_string_value(nat), 3);
}

/* An optional enum member: 0 leaves *out alone. */
static int
reg_enum(const json_t *obj, const char *key, const struct model_enum *tab,
    int *out, struct sh_error *err)
{
	int val, rc = model_field_get_enum(obj, "", key, false, tab, &val, err);

	if (rc > 0)
		*out = val;
	return rc < 0 ? -1 : 0;
}

int
model_registration_parse_all(const json_t *obj, int flags,
    struct registration *out, struct sh_errors *all)
{
	int kind = REG_KIND_REGISTRATION, sector = SECTOR_NONE;
	int referrer = REFERRER_NONE, region = -1;
	struct sh_error err;

	memset(out, 0, sizeof *out);
	memset(all, 0, sizeof *all);
	out->age = -1;
	out->age_band = AGE_BAND_UNKNOWN;
	out->region = -1;
	if (!json_is_object(obj)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "",
		    "registration: must be an object");
		sh_errors_add(all, &err);
		return -1;
	}
	model_field_check_keys_all(obj, "", reg_keys, all);
	REG_STEP(all, &err,
	    model_field_get_text(obj, "", "ref", !(flags & MODEL_STORED),
	        MODEL_REF_MAX, model_valid_ref, reg_ref_rule, out->ref, &err));
	REG_STEP(all, &err,
	    model_field_get_text(obj, "", "date", true, 10, model_valid_date,
	        reg_date_rule, out->date, &err));
	REG_STEP(all, &err,
	    model_field_get_enum(
	        obj, "", "kind", true, reg_kinds, &kind, &err));
	REG_STEP(
	    all, &err, reg_enum(obj, "sector", model_sectors, &sector, &err));
	reg_person_parse(obj, flags, out, all);
	REG_STEP(all, &err,
	    reg_enum(obj, "referrer", model_referrers, &referrer, &err));
	REG_STEP(
	    all, &err, reg_enum(obj, "region", reg_regions, &region, &err));
	REG_STEP(all, &err,
	    model_field_get_text(obj, "", "request_id", false, MODEL_ID_MAX,
	        model_valid_id, reg_id_rule, out->request_id, &err));
	out->kind = (enum reg_kind)kind;
	out->sector = (enum sector)sector;
	out->referrer = (enum referrer)referrer;
	out->region = region;
	return all->n > 0 ? -1 : 0;
}

int
model_registration_parse(const json_t *obj, int flags, struct registration *out,
    struct sh_error *err)
{
	struct sh_errors *all = malloc(sizeof *all);
	int rc;

	if (all == NULL)
		return sh_error_set(
		    err, SH_INTERNAL, "internal", "", "out of memory");
	rc = model_registration_parse_all(obj, flags, out, all);
	if (rc == -1 && err != NULL)
		*err = all->v[0];
	free(all);
	return rc;
}

json_t *
model_registration_to_json(const struct registration *r)
{
	json_t *o = json_object(), *p = json_object();
	int bad = o == NULL || p == NULL;

	if (!bad && r->ref[0] != '\0')
		bad |= json_object_set_new(o, "ref", json_string(r->ref));
	bad |= json_object_set_new(o, "date", json_string(r->date));
	bad |= json_object_set_new(
	    o, "kind", json_string(model_reg_kind_name(r->kind)));
	if (r->sector != SECTOR_NONE)
		bad |= json_object_set_new(o, "sector",
		    json_string(model_enum_name(model_sectors, r->sector)));
	if (r->has_gender)
		bad |= json_object_set_new(
		    p, "gender", json_string(model_gender_name(r->gender)));
	if (r->age >= 0)
		bad |= json_object_set_new(p, "age", json_integer(r->age));
	bad |= json_object_set_new(p, "age_band",
	    json_string(model_enum_name(reg_age_bands, r->age_band)));
	if (r->nationality[0] != '\0')
		bad |= json_object_set_new(
		    p, "nationality", json_string(r->nationality));
	bad |= json_object_set(o, "person", p);
	if (r->referrer != REFERRER_NONE)
		bad |= json_object_set_new(o, "referrer",
		    json_string(model_enum_name(model_referrers, r->referrer)));
	if (r->region >= 0)
		bad |= json_object_set_new(o, "region",
		    json_string(model_enum_name(reg_regions, r->region)));
	if (r->request_id[0] != '\0')
		bad |= json_object_set_new(
		    o, "request_id", json_string(r->request_id));
	json_decref(p);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void
model_registration_reduce(struct registration *r)
{
	r->ref[0] = '\0';
	r->request_id[0] = '\0';
	r->age = -1;
}

const char *
model_reg_kind_name(enum reg_kind k)
{
	return model_enum_name(reg_kinds, (int)k);
}

int
model_reg_kind_parse(const char *s)
{
	return model_enum_lookup(reg_kinds, s);
}

/* Report dimensions. */

static const char *const report_dim_names[REPORT_DIM_COUNT] = {
    [REPORT_DIM_KIND] = "kind",
    [REPORT_DIM_SECTOR] = "sector",
    [REPORT_DIM_NATIONALITY] = "nationality",
    [REPORT_DIM_AGE_BAND] = "age_band",
    [REPORT_DIM_REFERRER] = "referrer",
    [REPORT_DIM_REGION] = "region",
    [REPORT_DIM_GENDER] = "gender",
    [REPORT_DIM_MINOR_DUTCH] = "minor_dutch",
};

const char *
report_dim_name(enum report_dim d)
{
	return (int)d >= 0 && d < REPORT_DIM_COUNT ? report_dim_names[d] : NULL;
}

int
report_dim_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < REPORT_DIM_COUNT; i++)
		if (strcmp(s, report_dim_names[i]) == 0)
			return i;
	return -1;
}

const char *
report_dim_value(const struct registration *r, enum report_dim d)
{
	bool nl = strcmp(r->nationality, "NL") == 0;

	switch (d) {
	case REPORT_DIM_KIND:
		return model_reg_kind_name(r->kind);
	case REPORT_DIM_SECTOR:
		return r->sector == SECTOR_NONE
		    ? "unknown"
		    : model_enum_name(model_sectors, r->sector);
	case REPORT_DIM_NATIONALITY:
		return r->nationality[0] != '\0' ? r->nationality : "unknown";
	case REPORT_DIM_AGE_BAND:
		return model_enum_name(reg_age_bands, r->age_band);
	case REPORT_DIM_REFERRER:
		return r->referrer == REFERRER_NONE
		    ? "unknown"
		    : model_enum_name(model_referrers, r->referrer);
	case REPORT_DIM_REGION:
		return r->region < 0 ? "unknown"
		                     : model_enum_name(reg_regions, r->region);
	case REPORT_DIM_GENDER:
		return r->has_gender ? model_gender_name(r->gender) : "unknown";
	case REPORT_DIM_MINOR_DUTCH:
		if (r->age_band == AGE_BAND_UNKNOWN ||
		    r->nationality[0] == '\0')
			return "unknown";
		if (r->age_band == AGE_BAND_MINOR)
			return nl ? "minor-nl" : "minor-other";
		return nl ? "adult-nl" : "adult-other";
	case REPORT_DIM_COUNT:
		break;
	}
	return "unknown";
}

/* The fixed values of dimension d ("unknown" last), or NULL for
 * nationality, whose values are the codes present. */
const char *const *
report_dim_values(enum report_dim d, int *n)
{
	static const char *const kinds[] = {
	    "registration", "shelter", "advice"};
	static const char *const sectors[] = {
	    "sexual", "labour", "criminal", "other", "unknown"};
	static const char *const bands[] = {"minor", "18-22", "23+", "unknown"};
	static const char *const referrers[] = {"police", "kmar", "nla",
	    "fairwork", "care", "lawyer", "coa", "self", "other", "unknown"};
	static const char *const regions[] = {"noord-nederland",
	    "oost-nederland", "midden-nederland", "noord-holland", "amsterdam",
	    "den-haag", "rotterdam", "zeeland-west-brabant", "oost-brabant",
	    "limburg", "landelijke-eenheid", "kmar", "unknown"};
	static const char *const genders[] = {"f", "m", "x", "unknown"};
	static const char *const md[] = {
	    "minor-nl", "minor-other", "adult-nl", "adult-other", "unknown"};
#define R(a) (*n = (int)(sizeof a / sizeof a[0]), a)
	switch (d) {
	case REPORT_DIM_KIND:
		return R(kinds);
	case REPORT_DIM_SECTOR:
		return R(sectors);
	case REPORT_DIM_AGE_BAND:
		return R(bands);
	case REPORT_DIM_REFERRER:
		return R(referrers);
	case REPORT_DIM_REGION:
		return R(regions);
	case REPORT_DIM_GENDER:
		return R(genders);
	case REPORT_DIM_MINOR_DUTCH:
		return R(md);
	case REPORT_DIM_NATIONALITY:
	case REPORT_DIM_COUNT:
		break;
	}
#undef R
	*n = 0;
	return NULL;
}
