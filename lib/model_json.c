/*
 * model_json.c: shelters and requests as JSON, in protocol order
 * (docs/protocol.md "Objects"); model_shelter_parse and model_request_parse
 * read it back.
 */
#include <limits.h>
#include <math.h>
#include <string.h>
#include <stdbool.h>

#include "model_enum.h"

/* Set a new value on obj; false (and nothing leaked) on ENOMEM. */
static bool
model_json_set(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0;
}

/* o when ok, else NULL with o freed: how every object below ends. */
static json_t *
model_json_done(json_t *o, bool ok)
{
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
model_json_mask(unsigned mask, const struct model_enum *tab)
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
model_json_langs(const lang_t *langs, int n)
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
model_json_location(const struct location *l)
{
	json_t *o = json_object();

	return model_json_done(o,
	    o != NULL &&
	        (!l->has_name ||
	            model_json_set(
	                o, "municipality", json_string(l->municipality))) &&
	        model_json_set(o, "lat", json_real(l->lat)) &&
	        model_json_set(o, "lon", json_real(l->lon)));
}

static json_t *
model_json_pool(const struct pool *p, int flags)
{
	json_t *o = json_object();
	int free_places = model_pool_free(p);
	bool ok;

	if (o == NULL)
		return NULL;
	ok = model_json_set(o, "name", json_string(p->name)) &&
	    model_json_set(
	        o, "genders", model_json_mask(p->genders, model_genders)) &&
	    model_json_set(o, "min_age", json_integer(p->min_age)) &&
	    model_json_set(o, "max_age", json_integer(p->max_age)) &&
	    model_json_set(o, "children_max", json_integer(p->children_max)) &&
	    model_json_set(o, "boys_max_age", json_integer(p->boys_max_age)) &&
	    model_json_set(o, "total", json_integer(p->total)) &&
	    model_json_set(o, "occupied", json_integer(p->occupied));
	if (ok && (flags & MODEL_LIVE))
		ok = model_json_set(o, "held", json_integer(p->held)) &&
		    model_json_set(o, "expected", json_integer(p->expected)) &&
		    model_json_set(o, "free",
		        json_integer(free_places > 0 ? free_places : 0)) &&
		    model_json_set(
		        o, "overbooked", json_boolean(free_places < 0));
	return model_json_done(o, ok);
}

static bool
model_json_shelter_live(json_t *o, const struct shelter *s)
{
	char buf[32];

	if (!model_json_set(o, "version", json_integer(s->version)))
		return false;
	if (s->updated_at == 0)
		return model_json_set(o, "updated_at", json_null());
	return model_json_set(o, "updated_at",
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
		         pools, model_json_pool(&s->pools[i], flags)) == 0;
	if (ok)
		ok = model_json_set(o, "id", json_string(s->id)) &&
		    (s->name[0] == '\0' ||
		        model_json_set(o, "name", json_string(s->name))) &&
		    (s->organisation[0] == '\0' ||
		        model_json_set(
		            o, "organisation", json_string(s->organisation))) &&
		    model_json_set(o, "program",
		        json_string(model_program_name(s->program))) &&
		    model_json_set(
		        o, "location", model_json_location(&s->location)) &&
		    model_json_set(
		        o, "care", model_json_mask(s->care, model_cares)) &&
		    model_json_set(o, "languages",
		        model_json_langs(s->languages, s->nlanguages)) &&
		    model_json_set(o, "security",
		        json_string(model_security_name(s->security)));
	if (ok) {
		intake = json_pack("{s:b, s:b}", "open", s->intake_open,
		    "always", s->intake_always);
		ok = model_json_set(o, "intake", intake) &&
		    json_object_set(o, "pools", pools) == 0;
	}
	if (ok && (flags & MODEL_LIVE))
		ok = model_json_shelter_live(o, s);
	json_decref(pools);
	return model_json_done(o, ok);
}

static json_t *
model_json_children(const struct request *r, bool null_gender)
{
	json_t *a = json_array(), *c;
	int i;

	for (i = 0; a != NULL && i < r->nchildren; i++) {
		const struct child *ch = &r->children[i];

		c = json_pack("{s:i}", "age", ch->age);
		if (c != NULL && (ch->has_gender || null_gender) &&
		    !model_json_set(c, "gender",
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
model_json_person(const struct request *r)
{
	json_t *o = json_object();

	return model_json_done(o,
	    o != NULL &&
	        model_json_set(
	            o, "gender", json_string(model_gender_name(r->gender))) &&
	        model_json_set(o, "age", json_integer(r->age)) &&
	        model_json_set(o, "languages",
	            model_json_langs(r->languages, r->nlanguages)) &&
	        (r->nationality[0] == '\0' ||
	            model_json_set(
	                o, "nationality", json_string(r->nationality))));
}

/* A whole number of km as an integer, else as a real. */
static json_t *
model_json_km(double km)
{
	if (km == floor(km))
		return json_integer((json_int_t)km);
	return json_real(km);
}

static json_t *
model_json_exploitation(const struct request *r)
{
	json_t *o = json_object();

	return model_json_done(o,
	    o != NULL &&
	        (r->sector == SECTOR_NONE ||
	            model_json_set(o, "sector",
	                json_string(
	                    model_enum_name(model_sectors, r->sector)))) &&
	        (!r->has_exploitation_location ||
	            model_json_set(o, "location",
	                model_json_location(&r->exploitation_location))));
}

static json_t *
model_json_safety(const struct request *r)
{
	json_t *o = json_object();

	return model_json_done(o,
	    o != NULL &&
	        model_json_set(
	            o, "min_distance_km", model_json_km(r->min_distance_km)) &&
	        model_json_set(o, "min_security",
	            json_string(model_security_name(r->min_security))) &&
	        (r->case_id[0] == '\0' ||
	            model_json_set(o, "case", json_string(r->case_id))) &&
	        model_json_set(o, "co_victims",
	            json_string(
	                model_enum_name(model_co_victims, r->co_victims))));
}

/* Does r's safety say anything its absence does not (the defaults)? */
static bool
model_json_has_safety(const struct request *r)
{
	return r->has_safety &&
	    (r->min_distance_km != 0 || r->min_security != SECURITY_STANDARD ||
	        r->case_id[0] != '\0' || r->co_victims != CO_VICTIMS_ANY);
}

/*
 * The request's input fields, normalised: defaults filled in, arrays always
 * present, exploitation, safety, preferred_location, referrer, residence
 * and registration only when given. An exploitation without a member and
 * a safety of the defaults only are left out: after defaults they are the
 * same request as one without them (PROTOCOL.md's ref_conflict).
 * model_request_parse reads it back to the same struct.
 */
json_t *
model_request_to_json(const struct request *r)
{
	json_t *o = json_object();
	bool ok;

	if (o == NULL)
		return NULL;
	ok = model_json_set(o, "ref", json_string(r->ref)) &&
	    model_json_set(
	        o, "program", json_string(model_program_name(r->program))) &&
	    model_json_set(o, "person", model_json_person(r)) &&
	    model_json_set(o, "children", model_json_children(r, false)) &&
	    model_json_set(
	        o, "needs", model_json_mask(r->needs, model_cares)) &&
	    model_json_set(
	        o, "prefers", model_json_mask(r->prefers, model_cares)) &&
	    ((r->sector == SECTOR_NONE && !r->has_exploitation_location) ||
	        model_json_set(
	            o, "exploitation", model_json_exploitation(r))) &&
	    (!model_json_has_safety(r) ||
	        model_json_set(o, "safety", model_json_safety(r))) &&
	    (!r->has_preferred_location ||
	        model_json_set(o, "preferred_location",
	            model_json_location(&r->preferred_location))) &&
	    model_json_set(
	        o, "urgency", json_string(model_urgency_name(r->urgency))) &&
	    (r->referrer == REFERRER_NONE ||
	        model_json_set(o, "referrer",
	            json_string(
	                model_enum_name(model_referrers, r->referrer)))) &&
	    (r->residence == RESIDENCE_NONE ||
	        model_json_set(o, "residence",
	            json_string(model_residence_name(r->residence)))) &&
	    (r->registration[0] == '\0' ||
	        model_json_set(
	            o, "registration", json_string(r->registration)));
	return model_json_done(o, ok);
}

/*
 * The household summary for placement events: {gender, age, children
 * [{age, gender (null when not given)}], needs, languages}. Caller owns.
 */
json_t *
model_household_json(const struct request *r)
{
	json_t *o = json_object();

	return model_json_done(o,
	    o != NULL &&
	        model_json_set(
	            o, "gender", json_string(model_gender_name(r->gender))) &&
	        model_json_set(o, "age", json_integer(r->age)) &&
	        model_json_set(o, "children", model_json_children(r, true)) &&
	        model_json_set(
	            o, "needs", model_json_mask(r->needs, model_cares)) &&
	        model_json_set(o, "languages",
	            model_json_langs(r->languages, r->nlanguages)));
}

/*
 * The counts of the npools pools of the JSON array pools into n when they
 * are s's pools in order (by name) and every count is a whole number from
 * 0 to INT_MAX: 0, or -1.
 */
static int
model_counts_read(const struct shelter *s, const json_t *pools,
    json_int_t n[MODEL_POOL_MAX][4])
{
	static const char *const keys[] = {
	    "total", "occupied", "held", "expected"};
	const json_t *p, *v;
	const char *name;
	int k, j;

	if (json_array_size(pools) != (size_t)s->npools)
		return -1;
	for (k = 0; k < s->npools; k++) {
		p = json_array_get(pools, k);
		name = json_string_value(json_object_get(p, "name"));
		if (name == NULL || strcmp(name, s->pools[k].name) != 0)
			return -1;
		for (j = 0; j < 4; j++) {
			v = json_object_get(p, keys[j]);
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > INT_MAX)
				return -1;
			n[k][j] = json_integer_value(v);
		}
	}
	return 0;
}

/* Copy the counts model_counts_read read into s. */
static void
model_counts_copy(struct shelter *s, json_int_t n[MODEL_POOL_MAX][4])
{
	int k;

	for (k = 0; k < s->npools; k++) {
		s->pools[k].total = (int)n[k][0];
		s->pools[k].occupied = (int)n[k][1];
		s->pools[k].held = (int)n[k][2];
		s->pools[k].expected = (int)n[k][3];
	}
}

/*
 * The live JSON obj of shelter s when only its counts may differ: the same
 * version and updated_at (both change with every put that changes
 * something, capacity report and intake change, and a shelter created again
 * gets a new updated_at) and the same pools in order. Then only holds,
 * expected arrivals and arrivals moved, and those counts are copied into s
 * without parsing the whole shelter again (most reloads after an event).
 * 0 when applied, -1 (s untouched) to parse it in full.
 */
int
model_shelter_put_counts(struct shelter *s, const json_t *obj)
{
	const json_t *pools = json_object_get(obj, "pools"), *v;
	const char *at;
	json_int_t n[MODEL_POOL_MAX][4];
	int k;

	v = json_object_get(obj, "version");
	at = json_string_value(json_object_get(obj, "updated_at"));
	if (!json_is_integer(v) || json_integer_value(v) != s->version ||
	    at == NULL || model_time_parse(at) != s->updated_at ||
	    s->departures_unconfirmed > 0 ||
	    json_array_size(json_object_get(obj, "departures_unconfirmed")) > 0)
		return -1;
	/* Planned departures change without a version: parse them. */
	for (k = 0; k < s->npools; k++)
		if (s->pools[k].ndepartures > 0 ||
		    json_array_size(json_object_get(
		        json_array_get(pools, k), "departures")) > 0)
			return -1;
	if (model_counts_read(s, pools, n) == -1)
		return -1;
	model_counts_copy(s, n);
	return 0;
}

/*
 * The data of a capacity.changed event about s ({shelter_id, version,
 * pools: [{name, total, occupied, held, expected, free}]}) whose change
 * the store says moved only counts: the same id, version and pools in
 * order, so the counts are copied into s. 0, or -1 (s untouched).
 */
int
model_shelter_event_counts(struct shelter *s, const json_t *data)
{
	const json_t *v = json_object_get(data, "version");
	const char *id = json_string_value(json_object_get(data, "shelter_id"));
	json_int_t n[MODEL_POOL_MAX][4];

	if (id == NULL || strcmp(id, s->id) != 0 || !json_is_integer(v) ||
	    json_integer_value(v) != s->version ||
	    model_counts_read(s, json_object_get(data, "pools"), n) == -1)
		return -1;
	model_counts_copy(s, n);
	return 0;
}
