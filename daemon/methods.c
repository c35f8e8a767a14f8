/*
 * methods.c: the method table, stats.get, and what happens when the store
 * comes up (table reload, seed shelters).
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
#include "shelters.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define ALL   (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SHELTER | ROLE_SERVICE)
#define COORD (ROLE_ADMIN | ROLE_COORDINATOR)
#define READ  (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SERVICE)
#define OWNER (ROLE_ADMIN | ROLE_SHELTER)

static method_fn methods_stats_get;

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
        .fn = shelters_put},
    {.name = "shelter.remove",
        .roles = ROLE_ADMIN,
        .params = {{"id", PT_STRING, true}},
        .fn = shelters_remove},
    {.name = "shelter.get",
        .roles = ALL,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}},
        .fn = shelters_get},
    {.name = "shelter.list",
        .roles = ALL,
        .own = OWN_HANDLER,
        .params = {{"program", PT_STRING, false},
            {"available_only", PT_BOOL, false}},
        .fn = shelters_list},
    {.name = "shelter.capacity",
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"pools", PT_OBJECT, true},
            {"if_version", PT_INT, false}},
        .fn = shelters_capacity},
    {.name = "shelter.intake",
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"open", PT_BOOL, true},
            {"reason", PT_STRING, false}},
        .fn = shelters_intake},
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

static void
stats_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *out;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	/* stats.get has exactly PROTOCOL.md's members; the oldest waiting
	 * request's time is for /metrics only. */
	if ((out = json_copy(result)) != NULL) {
		json_object_del(out, "oldest_waiting_ms");
		if (json_object_set_new(out, "connections",
		        json_integer(server_nclients())) == -1 ||
		    json_object_set_new(out, "uptime_s",
		        json_integer((now_ms() - sd.started_ms) / 1000)) ==
		        -1) {
			json_decref(out);
			out = NULL;
		}
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

static int seeds_in_flight;    /* shelter.put calls of the seed */
static void (*ready_cb)(void); /* methods_store_up's callback */
static bool table_loaded;

/* The table is loaded and the seed applied: serve, and say so once. */
static void
methods_maybe_ready(void)
{
	void (*cb)(void) = ready_cb;

	if (!table_loaded || seeds_in_flight > 0)
		return;
	sd.ready = true;
	ready_cb = NULL;
	if (cb != NULL)
		cb();
}

static void
seed_done(json_t *result, const struct sh_error *err, void *arg)
{
	char *id = arg;

	seeds_in_flight--;

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
	methods_maybe_ready();
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
		if (shelters_store_put(&seed[i], seed_done, id, &err) == 0) {
			seeds_in_flight++;
			continue;
		}
		log_warnx("seed: shelter=%s: %s", id, err.message);
		if (err.code == SH_UNAVAILABLE)
			seed_pending = true;
		free(id);
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
	if (table_load(json_object_get(result, "shelters")) == -1) {
		log_warnx("methods: shelter table not loaded");
		return;
	}
	table_loaded = true;
	if (seed_pending)
		seed_apply();
	methods_maybe_ready();
	placement_wake();
}

/*
 * The store came up: reload the shelter table, apply the seed shelters if
 * they are pending, then wake the waitlist (the seed's replies and the
 * waitlist read come back in that order on one connection). ready runs once
 * the table is loaded and the seed applied; until the first time, sd.ready
 * is false and calls that need the store answer -32010.
 */
void
methods_store_up(void (*ready)(void))
{
	struct sh_error err;

	ready_cb = ready;
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
