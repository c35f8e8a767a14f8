/*
 * shelters.c: shelter.put, shelter.remove, shelter.get, shelter.list,
 * shelter.capacity and shelter.intake.
 *
 * Each is one Redis function call (docs/store.md). A reply that carries the
 * shelter also goes into the in-memory table, so the caller reads its own
 * write; the events of the change refresh every other instance's table
 * and wake the waitlist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "placement.h"
#include "shelters.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define COUNT_MAX  10000 /* places in one pool */
#define REASON_MAX 500   /* bytes of an intake reason */

static const char *
str_param(const struct call *call, const char *name)
{
	return json_string_value(json_object_get(call->params, name));
}

static bool
str_is(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/*
 * End call with a store reply's member "shelter", after putting it into the
 * table so this connection reads its own write. The waitlist is woken by
 * the capacity.changed / shelter.intake event (events.c), on every
 * instance.
 */
static void
reply_shelter(struct call *call, json_t *result)
{
	json_t *s = json_object_get(result, "shelter");

	if (s != NULL)
		table_put_json(s);
	call_reply(call, json_pack("{s:O?}", "shelter", s));
}

/* An argument vector of malloc'ed strings for store_fcall. */
struct args {
	int n, cap;
	char **v;
	size_t *len;
};

static int
args_add(struct args *a, char *s)
{
	if (s == NULL || a->n == a->cap) {
		free(s);
		return -1;
	}
	a->v[a->n] = s;
	a->len[a->n++] = strlen(s);
	return 0;
}

static int
args_addf(struct args *a, const char *fmt, long long v)
{
	char *s;

	if (asprintf(&s, fmt, v) == -1)
		return -1;
	return args_add(a, s);
}

static int
args_init(struct args *a, int cap)
{
	a->n = 0;
	a->cap = cap;
	a->v = calloc(cap, sizeof *a->v);
	a->len = calloc(cap, sizeof *a->len);
	return a->v != NULL && a->len != NULL ? 0 : -1;
}

static void
args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->len);
}

/* The static pool JSON the store keeps: no counts. */
static char *
pool_doc(json_t *pool)
{
	json_t *p = json_copy(pool);
	char *text;

	if (p == NULL)
		return NULL;
	json_object_del(p, "total");
	json_object_del(p, "occupied");
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return text;
}

/*
 * shd_shelter_put for s: the static document (no intake, pools or live
 * fields) and per pool its static JSON and the counts, which the function
 * uses for new pools only. 0, or -1 with err set.
 */
int
shelters_store_put(
    const struct shelter *s, store_cb *cb, void *arg, struct sh_error *err)
{
	struct args a;
	json_t *doc, *pools;
	size_t i;
	int rc = -1;

	if ((doc = model_shelter_to_json(s, 0)) == NULL ||
	    args_init(&a, 4 + 4 * MODEL_POOL_MAX) == -1) {
		json_decref(doc);
		return sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
	}
	pools = json_incref(json_object_get(doc, "pools"));
	json_object_del(doc, "pools");
	json_object_del(doc, "intake");
	if (args_add(&a, strdup(s->id)) == -1 ||
	    args_add(&a, json_dumps(doc, JSON_COMPACT)) == -1 ||
	    args_add(&a, strdup(s->intake_always ? "1" : "0")) == -1 ||
	    args_add(&a, strdup(s->intake_open ? "1" : "0")) == -1)
		goto nomem;
	for (i = 0; i < (size_t)s->npools; i++)
		if (args_add(&a, strdup(s->pools[i].name)) == -1 ||
		    args_add(&a, pool_doc(json_array_get(pools, i))) == -1 ||
		    args_addf(&a, "%lld", s->pools[i].total) == -1 ||
		    args_addf(&a, "%lld", s->pools[i].occupied) == -1)
			goto nomem;
	rc = store_fcall(
	    "shd_shelter_put", a.n, (const char **)a.v, a.len, cb, arg, err);
	goto out;
nomem:
	sh_error_set(err, SH_INTERNAL, "internal", NULL, "out of memory");
out:
	args_free(&a);
	json_decref(doc);
	json_decref(pools);
	return rc;
}

static void
put_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *s = json_object_get(result, "shelter");

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	log_info("shelter.put: shelter=%s %s by %s",
	    json_string_value(json_object_get(s, "id")),
	    json_is_true(json_object_get(result, "created")) ? "created"
	        : json_is_true(json_object_get(result, "changed"))
	        ? "changed"
	        : "unchanged",
	    call->who);
	if (json_is_true(json_object_get(result, "changed")))
		placement_wake();
	reply_shelter(call, result);
}

/* shelter.put {shelter}: create, or replace the static attributes. */
void
shelters_put(struct call *call)
{
	struct shelter s;
	struct sh_error err;

	if (model_shelter_parse(json_object_get(call->params, "shelter"),
	        sd.gaz, 0, &s, &err) == -1 ||
	    shelters_store_put(&s, put_done, call, &err) == -1)
		call_error(call, &err);
}

static void
remove_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	const char *id = str_param(call, "id");

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	table_remove(id);
	log_info("shelter.remove: shelter=%s by %s", id, call->who);
	call_reply(call, json_pack("{s:s}", "id", id));
}

/* shelter.remove {id}: refused while it holds or expects someone. */
void
shelters_remove(struct call *call)
{
	struct sh_error err;

	if (store_fcallv("shd_shelter_remove", remove_done, call, &err,
	        str_param(call, "id"), (char *)NULL) == -1)
		call_error(call, &err);
}

static void
get_done(json_t *result, const struct sh_error *err, void *arg)
{
	if (result == NULL)
		call_error(arg, err);
	else
		reply_shelter(arg, result);
}

/* shelter.get {id}: a shelter role only its own (checked by the server). */
void
shelters_get(struct call *call)
{
	struct sh_error err;

	if (store_fcallv("shd_shelter_get", get_done, call, &err,
	        str_param(call, "id"), (char *)NULL) == -1)
		call_error(call, &err);
}

/* Open for intake with a free place in some pool. */
static bool
available(const json_t *s)
{
	const json_t *pools = json_object_get(s, "pools");
	size_t i;

	if (!json_is_true(
	        json_object_get(json_object_get(s, "intake"), "open")))
		return false;
	for (i = 0; i < json_array_size(pools); i++)
		if (json_integer_value(
		        json_object_get(json_array_get(pools, i), "free")) > 0)
			return true;
	return false;
}

static void
list_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	const json_t *all = json_object_get(result, "shelters"), *s;
	const char *program = str_param(call, "program");
	bool avail =
	    json_is_true(json_object_get(call->params, "available_only"));
	json_t *out;
	size_t i;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	table_load(all); /* the whole table, fresh: take it */
	if ((out = json_array()) == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	for (i = 0; i < json_array_size(all); i++) {
		s = json_array_get(all, i);
		if (call->role == ROLE_SHELTER &&
		    !str_is(json_object_get(s, "id"), call->shelter))
			continue;
		if (program != NULL &&
		    !str_is(json_object_get(s, "program"), program))
			continue;
		if (avail && !available(s))
			continue;
		json_array_append(out, (json_t *)s);
	}
	call_reply(call, json_pack("{s:o}", "shelters", out));
}

/*
 * shelter.list {program?, available_only?}: sorted by id; a shelter role
 * sees only its own.
 */
void
shelters_list(struct call *call)
{
	const char *program = str_param(call, "program");
	struct sh_error err;

	if (program != NULL &&
	    (model_program_parse(program) < 0 ||
	        model_program_parse(program) >= PROGRAM_COUNT)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field",
		    "program",
		    "must be one of cosm, omm, crisis, screening, labour, "
		    "regular");
		call_error(call, &err);
		return;
	}
	if (store_fcallv(
	        "shd_shelter_list", list_done, call, &err, (char *)NULL) == -1)
		call_error(call, &err);
}

static void
capacity_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	log_info("shelter.capacity: shelter=%s version=%lld by %s",
	    str_param(call, "id"),
	    (long long)json_integer_value(
	        json_object_get(json_object_get(result, "shelter"), "version")),
	    call->who);
	reply_shelter(call, result);
}

/* Check one pool's counts {total?, occupied?} of shelter.capacity. */
static int
capacity_pool(
    const char *name, const json_t *p, struct args *a, struct sh_error *err)
{
	static const char *const keys[] = {"total", "occupied", NULL};
	char field[128];
	const char *k;
	json_t *v;
	int i;

	snprintf(field, sizeof field, "pools.%s", name);
	if (!json_is_object(p))
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    field, "must be an object with total and/or occupied");
	json_object_foreach((json_t *)p, k, v)
	{
		if (strcmp(k, "total") != 0 && strcmp(k, "occupied") != 0) {
			snprintf(field, sizeof field, "pools.%s.%s", name, k);
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "unknown_field", field, "unknown field");
		}
	}
	if (args_add(a, strdup(name)) == -1)
		return sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
	for (i = 0; keys[i] != NULL; i++) {
		v = json_object_get(p, keys[i]);
		snprintf(field, sizeof field, "pools.%s.%s", name, keys[i]);
		if (v != NULL &&
		    (!json_is_integer(v) || json_integer_value(v) < 0 ||
		        json_integer_value(v) > COUNT_MAX))
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", field,
			    "must be an integer from 0 to %d", COUNT_MAX);
		if ((v != NULL ? args_addf(a, "%lld", json_integer_value(v))
		               : args_add(a, strdup(""))) == -1)
			return sh_error_set(err, SH_INTERNAL, "internal", NULL,
			    "out of memory");
	}
	return 0;
}

/*
 * shelter.capacity {id, pools: {POOL: {total?, occupied?}}, if_version?}:
 * the shelter's own view of its beds; pools not named keep their counts.
 */
void
shelters_capacity(struct call *call)
{
	const json_t *pools = json_object_get(call->params, "pools");
	const json_t *ifv = json_object_get(call->params, "if_version");
	struct sh_error err;
	struct args a;
	const char *name;
	json_t *p;

	if (args_init(&a, 2 + 3 * (int)json_object_size(pools)) == -1 ||
	    args_add(&a, strdup(str_param(call, "id"))) == -1 ||
	    (ifv != NULL ? args_addf(&a, "%lld", json_integer_value(ifv))
	                 : args_add(&a, strdup(""))) == -1) {
		sh_error_set(
		    &err, SH_INTERNAL, "internal", NULL, "out of memory");
		goto fail;
	}
	json_object_foreach((json_t *)pools, name,
	    p) if (capacity_pool(name, p, &a, &err) == -1) goto fail;
	if (store_fcall("shd_capacity", a.n, (const char **)a.v, a.len,
	        capacity_done, call, &err) == -1)
		goto fail;
	args_free(&a);
	return;
fail:
	args_free(&a);
	call_error(call, &err);
}

static void
intake_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	bool open = json_is_true(json_object_get(call->params, "open"));

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	log_info("shelter.intake: shelter=%s %s by %s", str_param(call, "id"),
	    open ? "open" : "closed", call->who);
	reply_shelter(call, result);
}

/* shelter.intake {id, open, reason?} */
void
shelters_intake(struct call *call)
{
	const char *reason = str_param(call, "reason");
	struct sh_error err;

	if (reason != NULL && strlen(reason) > REASON_MAX) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "reason",
		    "must be at most %d bytes", REASON_MAX);
		call_error(call, &err);
		return;
	}
	if (store_fcallv("shd_intake", intake_done, call, &err,
	        str_param(call, "id"),
	        json_is_true(json_object_get(call->params, "open")) ? "1" : "0",
	        reason != NULL ? reason : "", (char *)NULL) == -1)
		call_error(call, &err);
}
