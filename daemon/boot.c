/*
 * boot.c: the store coming up: table reload, seed shelters, readiness
 * (see boot.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "clock.h"
#include "log.h"
#include "placement.h"
#include "shelterd.h"
#include "shelters.h"
#include "store.h"
#include "table.h"

/* The seed shelters of the config, applied when the store is up. */
static struct shelter *seed;
static size_t nseed;
static bool seed_pending;
static bool boot_is_ready;

static int seeds_in_flight;    /* shelter.put calls of the seed */
static void (*ready_cb)(void); /* boot_store_up's callback */
static bool table_loaded;

/* The table is loaded and the seed applied: serve, and say so once. */
static void
boot_maybe_ready(void)
{
	void (*cb)(void) = ready_cb;

	if (!table_loaded || seeds_in_flight > 0)
		return;
	boot_is_ready = true;
	ready_cb = NULL;
	if (cb != NULL)
		cb();
}

static void
boot_seed_done(json_t *result, const struct sh_error *err, void *arg)
{
	char *id = arg;

	seeds_in_flight--;

	if (result == NULL) {
		log_warnx("seed: shelter=%s: %s", id, err->message);
		if (err->code == SH_UNAVAILABLE)
			seed_pending = true; /* again at the next store_up */
	} else {
		table_put_json(
		    json_object_get(result, "shelter"), table_cseq_of(result));
		if (json_is_true(json_object_get(result, "changed"))) {
			log_info("seed: shelter=%s %s", id,
			    json_is_true(json_object_get(result, "created"))
			        ? "created"
			        : "changed");
			placement_wake();
		}
	}
	free(id);
	boot_maybe_ready();
}

/* shelter.put for every seed shelter: live counts and intake survive. */
static void
boot_seed_apply(void)
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
		if (shelters_store_put(
		        &seed[i], NULL, boot_seed_done, id, &err) == 0) {
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
boot_table_done(void *arg, bool ok)
{
	if (!ok) {
		log_warnx("boot: shelter table not loaded");
		return;
	}
	table_loaded = true;
	if (seed_pending)
		boot_seed_apply();
	boot_maybe_ready();
	placement_wake();
}

/* The test clock's offset from the store (clock.h), before anything else
 * reads the time. */
static void
boot_clock_done(json_t *result, const struct sh_error *err, void *arg)
{
	json_t *off = json_object_get(result, "offset_ms");
	long long ms = json_is_integer(off) ? json_integer_value(off) : 0;

	if (result == NULL) {
		log_warnx("boot: test clock not read: %s", err->message);
		return;
	}
	if (ms != 0 && !sd.cfg->debug_clock)
		log_warnx("boot: the store's clock is %lld s ahead "
		          "(debug.advance, in a store meant for tests); "
		          "every time-based rule follows it",
		    ms / 1000);
	if (ms > clock_offset_ms())
		clock_set_offset_ms(ms);
}

/*
 * The store came up: reload the shelter table, apply the seed shelters if
 * they are pending, then wake the waitlist (the seed's replies and the
 * waitlist read come back in that order on one connection). ready runs once
 * the table is loaded and the seed applied; until the first time, sd.ready
 * is false and calls that need the store answer -32010.
 */
void
boot_store_up(void (*ready)(void))
{
	struct sh_error err;

	ready_cb = ready;
	if (store_clock(boot_clock_done, NULL, &err) == -1)
		log_warnx("boot: test clock not read: %s", err.message);
	if (table_reload(boot_table_done, NULL) == -1)
		log_warnx("boot: shelter table not loaded");
}

/*
 * Take the seed shelters (malloc'ed array, ownership passes) and apply them
 * now if the store is up, else at the next boot_store_up.
 */
void
boot_set_seed(struct shelter *shelters, size_t n)
{
	free(seed);
	seed = shelters;
	nseed = n;
	seed_pending = true;
	if (store_is_up())
		boot_seed_apply();
}

/* Free the seed and the shelter table. */
void
boot_free(void)
{
	free(seed);
	seed = NULL;
	nseed = 0;
	seed_pending = false;
	table_free();
	table_refresh_free();
}

/* Ready: see boot.h. */
bool
boot_ready(void)
{
	return boot_is_ready;
}
