/*
 * methods.c: the method table, the shelter and stats methods, and what
 * happens when the store comes up (table reload, seed shelters).
 *
 * server.c dispatches through method_find(): it checks the roles, the own
 * shelter (OWN_PARAM_ID) and the params against the specs below before a
 * handler runs, so handlers only validate what a spec cannot say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "methods.h"
#include "placement.h"
#include "requests.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define ALL   (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SHELTER | ROLE_SERVICE)
#define COORD (ROLE_ADMIN | ROLE_COORDINATOR)
#define READ  (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SERVICE)
#define OWNER (ROLE_ADMIN | ROLE_SHELTER)

#define COUNT_MAX  10000 /* places in one pool */
#define REASON_MAX 500   /* bytes of an intake reason */

static method_fn methods_shelter_put, methods_shelter_remove,
    methods_shelter_get, methods_shelter_list, methods_shelter_capacity,
    methods_shelter_intake, methods_stats_get;

static const struct method methods[] = {
    {.name = "session.auth",
        .roles = ALL,
        .before_auth = true,
        .params = {{"token", PT_STRING, true}},
        .fn = session_auth},
    {.name = "session.ping",
        .roles = ALL,
        .before_auth = true,
        .fn = session_ping},
    {.name = "session.subscribe",
        .roles = ALL,
        .params = {{"topics", PT_ARRAY, true}, {"since", PT_STRING, false}},
        .fn = session_subscribe},
    {.name = "session.unsubscribe",
        .roles = ALL,
        .params = {{"topics", PT_ARRAY, true}},
        .fn = session_unsubscribe},
    {.name = "shelter.put",
        .roles = ROLE_ADMIN,
        .object = "shelter",
        .params = {{"shelter", PT_OBJECT, true}},
        .fn = methods_shelter_put},
    {.name = "shelter.remove",
        .roles = ROLE_ADMIN,
        .params = {{"id", PT_STRING, true}},
        .fn = methods_shelter_remove},
    {.name = "shelter.get",
        .roles = ALL,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}},
        .fn = methods_shelter_get},
    {.name = "shelter.list",
        .roles = ALL,
        .own = OWN_HANDLER,
        .params = {{"program", PT_STRING, false},
            {"available_only", PT_BOOL, false}},
        .fn = methods_shelter_list},
    {.name = "shelter.capacity",
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"pools", PT_OBJECT, true},
            {"if_version", PT_INT, false}},
        .fn = methods_shelter_capacity},
    {.name = "shelter.intake",
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"open", PT_BOOL, true},
            {"reason", PT_STRING, false}},
        .fn = methods_shelter_intake},
    {.name = "request.submit",
        .roles = COORD,
        .object = "request",
        .params = {{"request", PT_OBJECT, true}},
        .fn = requests_submit},
    {.name = "request.cancel",
        .roles = COORD,
        .params = {{"id", PT_STRING, true}, {"reason", PT_STRING, true}},
        .fn = requests_cancel},
    {.name = "request.get",
        .roles = COORD,
        .params = {{"id", PT_STRING, true}},
        .fn = requests_get},
    {.name = "request.list",
        .roles = COORD,
        .params = {{"status", PT_ARRAY, false}, {"limit", PT_INT, false}},
        .fn = requests_list},
    {.name = "match.preview",
        .roles = READ,
        .object = "request",
        .params = {{"request", PT_OBJECT, true}},
        .fn = requests_preview},
    {.name = "proposal.accept",
        .roles = COORD,
        .params = {{"id", PT_STRING, true}},
        .fn = requests_accept},
    {.name = "proposal.reject",
        .roles = COORD,
        .params = {{"id", PT_STRING, true}, {"reason", PT_STRING, true}},
        .fn = requests_reject},
    {.name = "placement.arrived",
        .roles = OWNER,
        .own = OWN_HANDLER,
        .params = {{"request_id", PT_STRING, true}},
        .fn = requests_arrived},
    {.name = "stats.get", .roles = READ, .fn = methods_stats_get},
};

/* The seed shelters of the config, applied when the store is up. */
static struct shelter *seed;
static size_t nseed;
static bool seed_pending;

/* The method called name, or NULL. */
const struct method *
method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

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
static int
methods_put(
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
static void
methods_shelter_put(struct call *call)
{
	struct shelter s;
	struct sh_error err;

	if (model_shelter_parse(json_object_get(call->params, "shelter"),
	        sd.gaz, 0, &s, &err) == -1 ||
	    methods_put(&s, put_done, call, &err) == -1)
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
static void
methods_shelter_remove(struct call *call)
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
static void
methods_shelter_get(struct call *call)
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
static void
methods_shelter_list(struct call *call)
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
static void
methods_shelter_capacity(struct call *call)
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
static void
methods_shelter_intake(struct call *call)
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

static void
stats_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *out;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	if ((out = json_copy(result)) != NULL &&
	    (json_object_set_new(
	         out, "connections", json_integer(server_nclients())) == -1 ||
	        json_object_set_new(out, "uptime_s",
	            json_integer((now_ms() - sd.started_ms) / 1000)) == -1)) {
		json_decref(out);
		out = NULL;
	}
	if (out == NULL)
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
	else
		call_reply(call, out);
}

/* stats.get {}: the store's counts plus this instance's. */
static void
methods_stats_get(struct call *call)
{
	struct sh_error err;

	if (store_fcallv("shd_stats", stats_done, call, &err, (char *)NULL) ==
	    -1)
		call_error(call, &err);
}

/* Seed shelters and the store coming up ---------------------------- */

static void
seed_done(json_t *result, const struct sh_error *err, void *arg)
{
	char *id = arg;

	if (result == NULL) {
		log_warnx("seed: shelter=%s: %s", id, err->message);
		if (err->code == SH_UNAVAILABLE)
			seed_pending = true; /* again at the next store_up */
	} else {
		table_put_json(json_object_get(result, "shelter"));
		if (json_is_true(json_object_get(result, "changed"))) {
			log_info("seed: shelter=%s %s", id,
			    json_is_true(json_object_get(result, "created"))
			        ? "created"
			        : "changed");
			placement_wake();
		}
	}
	free(id);
}

/* shelter.put for every seed shelter: live counts and intake survive. */
static void
seed_apply(void)
{
	struct sh_error err;
	size_t i;
	char *id;

	seed_pending = false;
	for (i = 0; i < nseed; i++) {
		if ((id = strdup(seed[i].id)) == NULL) {
			log_warn("seed: strdup");
			continue;
		}
		if (methods_put(&seed[i], seed_done, id, &err) == -1) {
			log_warnx("seed: shelter=%s: %s", id, err.message);
			if (err.code == SH_UNAVAILABLE)
				seed_pending = true;
			free(id);
		}
	}
}

static void
store_up_done(json_t *result, const struct sh_error *err, void *arg)
{
	if (result == NULL) {
		log_warnx(
		    "methods: shelter table not loaded: %s", err->message);
		return;
	}
	if (table_load(json_object_get(result, "shelters")) == -1)
		log_warnx("methods: shelter table not loaded");
	if (seed_pending)
		seed_apply();
	placement_wake();
}

/*
 * The store came up: reload the shelter table, apply the seed shelters if
 * they are pending, then wake the waitlist (the seed's replies and the
 * waitlist read come back in that order on one connection).
 */
void
methods_store_up(void)
{
	struct sh_error err;

	if (store_fcallv("shd_shelter_list", store_up_done, NULL, &err,
	        (char *)NULL) == -1)
		log_warnx("methods: shelter table not loaded: %s", err.message);
}

/*
 * Take the seed shelters (malloc'ed array, ownership passes) and apply them
 * now if the store is up, else at the next methods_store_up.
 */
void
methods_set_seed(struct shelter *shelters, size_t n)
{
	free(seed);
	seed = shelters;
	nseed = n;
	seed_pending = true;
	if (store_is_up())
		seed_apply();
}

/* Free the seed and the shelter table. */
void
methods_free(void)
{
	free(seed);
	seed = NULL;
	nseed = 0;
	seed_pending = false;
	table_free();
}
