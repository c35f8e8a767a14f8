/*
 * table.c: the in-memory shelter table matching runs against.
 *
 * An array of malloc'ed shelters kept sorted by id, so lookups are a binary
 * search and table_all() hands matching the deterministic order it ranks
 * ties by. Every entry is parsed from the store's live JSON; the table is
 * never changed from anything else, so every instance converges on the
 * same view.
 *
 * Refreshes asked for by events are coalesced: an id is queued once, and
 * the queue is sent when the loop has run the callbacks that are ready. A
 * table_fetch() of that id sent meanwhile (a caller reading its own write)
 * is sent after the event arrived, so it brings that change too and the
 * queued refresh is dropped.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

static struct shelter **table;
static size_t ntable, captable;
static struct match_result scratch; /* all zero: initialised */

/* Ids whose refresh waits for the end of the loop iteration. */
static char (*queue)[MODEL_ID_MAX + 1];
static size_t nqueue, capqueue;
static struct event *ev_flush;

/* A table_fetch() in flight. */
struct fetch {
	void (*done)(void *);
	void *arg;
	char id[MODEL_ID_MAX + 1];
};

static void table_entries_free(void);

static int
table_cmp(const void *a, const void *b)
{
	const struct shelter *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* Index of id, or of where it would go (*found false). */
static size_t
table_find(const char *id, bool *found)
{
	size_t lo = 0, hi = ntable, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(table[mid]->id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Parse a live shelter into a new allocation, or NULL (logged). */
static struct shelter *
table_parse(const json_t *obj)
{
	struct shelter *s;
	struct sh_error err;

	if ((s = malloc(sizeof *s)) == NULL) {
		log_warn("table: malloc");
		return NULL;
	}
	if (model_shelter_parse(obj, NULL, MODEL_STORED, s, &err) == -1) {
		log_warnx("table: stored shelter %s refused: %s",
		    json_string_value(json_object_get(obj, "id"))
		        ? json_string_value(json_object_get(obj, "id"))
		        : "?",
		    err.message);
		free(s);
		return NULL;
	}
	return s;
}

/*
 * Replace the whole table with the shelters of a JSON array in their live
 * form. A shelter that does not parse is logged and left out. Returns 0,
 * or -1 (table unchanged) when shelters is not an array or on ENOMEM.
 */
int
table_load(const json_t *shelters)
{
	struct shelter **v, *s;
	size_t i, n = 0, cap;

	if (!json_is_array(shelters))
		return -1;
	cap = json_array_size(shelters);
	if ((v = calloc(cap ? cap : 1, sizeof *v)) == NULL) {
		log_warn("table: calloc");
		return -1;
	}
	for (i = 0; i < cap; i++)
		if ((s = table_parse(json_array_get(shelters, i))) != NULL)
			v[n++] = s;
	qsort(v, n, sizeof *v, table_cmp);
	table_entries_free();
	table = v;
	ntable = n;
	captable = cap ? cap : 1;
	log_debug("table: loaded %zu shelters", n);
	return 0;
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
static int
table_put_counts(struct shelter *s, const json_t *obj)
{
	static const char *const keys[] = {
	    "total", "occupied", "held", "expected"};
	const json_t *pools = json_object_get(obj, "pools"), *p, *v;
	const char *name, *at;
	json_int_t n[MODEL_POOL_MAX][4];
	int k, j;

	v = json_object_get(obj, "version");
	at = json_string_value(json_object_get(obj, "updated_at"));
	if (!json_is_integer(v) || json_integer_value(v) != s->version ||
	    at == NULL || model_time_parse(at) != s->updated_at ||
	    json_array_size(pools) != (size_t)s->npools ||
	    s->departures_unconfirmed > 0 ||
	    json_array_size(json_object_get(obj, "departures_unconfirmed")) > 0)
		return -1;
	for (k = 0; k < s->npools; k++) {
		p = json_array_get(pools, k);
		name = json_string_value(json_object_get(p, "name"));
		if (name == NULL || strcmp(name, s->pools[k].name) != 0)
			return -1;
		/* Planned departures change without a version: parse them. */
		if (s->pools[k].ndepartures > 0 ||
		    json_array_size(json_object_get(p, "departures")) > 0)
			return -1;
		for (j = 0; j < 4; j++) {
			v = json_object_get(p, keys[j]);
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > INT_MAX)
				return -1;
			n[k][j] = json_integer_value(v);
		}
	}
	for (k = 0; k < s->npools; k++) {
		s->pools[k].total = (int)n[k][0];
		s->pools[k].occupied = (int)n[k][1];
		s->pools[k].held = (int)n[k][2];
		s->pools[k].expected = (int)n[k][3];
	}
	return 0;
}

/*
 * Insert or replace one shelter from its live JSON. Returns 0, or -1 when
 * it does not parse (logged) or on ENOMEM; the table is then unchanged.
 */
int
table_put_json(const json_t *obj)
{
	struct shelter *s, **v;
	const char *id = json_string_value(json_object_get(obj, "id"));
	size_t i, cap;
	bool found;

	if (id != NULL) {
		i = table_find(id, &found);
		if (found && table_put_counts(table[i], obj) == 0)
			return 0;
	}
	if ((s = table_parse(obj)) == NULL)
		return -1;
	i = table_find(s->id, &found);
	if (found) {
		free(table[i]);
		table[i] = s;
		return 0;
	}
	if (ntable == captable) {
		cap = captable ? captable * 2 : 16;
		if ((v = reallocarray(table, cap, sizeof *v)) == NULL) {
			log_warn("table: realloc");
			free(s);
			return -1;
		}
		table = v;
		captable = cap;
	}
	memmove(table + i + 1, table + i, (ntable - i) * sizeof *table);
	table[i] = s;
	ntable++;
	return 0;
}

/* Drop the shelter id if present. */
void
table_remove(const char *id)
{
	size_t i;
	bool found;

	i = table_find(id, &found);
	if (!found)
		return;
	free(table[i]);
	memmove(table + i, table + i + 1, (ntable - i - 1) * sizeof *table);
	ntable--;
}

/* Held places this daemon's own call took or gave back: see table.h. */
int
table_add_held(const char *id, const char *pool, int dheld)
{
	struct shelter *s;
	size_t i;
	bool found;
	int k;

	if (id == NULL || pool == NULL)
		return -1;
	i = table_find(id, &found);
	if (!found)
		return -1;
	s = table[i];
	for (k = 0; k < s->npools; k++)
		if (strcmp(s->pools[k].name, pool) == 0) {
			if (s->pools[k].held + dheld < 0)
				return -1;
			s->pools[k].held += dheld;
			return 0;
		}
	return -1;
}

/* The shelter id, borrowed until the next change, or NULL. */
const struct shelter *
table_get(const char *id)
{
	size_t i;
	bool found;

	i = table_find(id, &found);
	return found ? table[i] : NULL;
}

/* Every shelter sorted by id; valid until the next change. */
const struct shelter *const *
table_all(size_t *n)
{
	*n = ntable;
	return (const struct shelter *const *)table;
}

static void
table_fetch_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct fetch *f = arg;
	json_t *s;

	if (result != NULL) {
		s = json_object_get(result, "shelter");
		if (s != NULL)
			table_put_json(s);
	} else if (err != NULL && err->code == SH_NOT_FOUND)
		table_remove(f->id);
	/* Unavailable: the reload at the next store_up catches up. */
	if (f->done != NULL)
		f->done(f->arg);
	free(f);
}

/* Drop id from the refresh queue, if queued. */
static void
table_unqueue(const char *id)
{
	size_t i;

	for (i = 0; i < nqueue; i++)
		if (strcmp(queue[i], id) == 0) {
			memmove(queue + i, queue + i + 1,
			    (nqueue - i - 1) * sizeof *queue);
			nqueue--;
			return;
		}
}

/*
 * Reload the shelter id from the store now (async): put it into the table,
 * or drop it when the store no longer has it, then call done(arg) (NULL:
 * none), also when the store is unavailable. Replies on the store's
 * command connection come back in order, so a reload never overwrites a
 * newer state that an earlier reply brought. A refresh of id queued by an
 * event is dropped: this one is sent after it. 0, or -1 (done not called)
 * when the store is down or on ENOMEM.
 */
int
table_fetch(const char *id, void (*done)(void *), void *arg)
{
	struct sh_error err;
	struct fetch *f;

	if ((f = malloc(sizeof *f)) == NULL) {
		log_warn("table: malloc");
		return -1;
	}
	f->done = done;
	f->arg = arg;
	snprintf(f->id, sizeof f->id, "%s", id);
	if (store_shelter_get(id, table_fetch_done, f, &err) == -1) {
		free(f);
		return -1;
	}
	table_unqueue(id);
	return 0;
}

static void
table_flush(evutil_socket_t fd, short what, void *arg)
{
	char id[MODEL_ID_MAX + 1];

	while (nqueue > 0) {
		memcpy(id, queue[nqueue - 1], sizeof id);
		nqueue--;
		table_fetch(id, NULL, NULL);
	}
}

/*
 * Send the queued refreshes now: see table.h. A waitlist pass calls it
 * before it reads the waitlist, so the replies (in order on the store's
 * command connection) update the table before the pass matches.
 */
void
table_flush_pending(void)
{
	table_flush(-1, 0, NULL);
}

/*
 * Reload one shelter from the store (async), soon: ids queued during one
 * loop iteration are sent once each when it has run its callbacks (see
 * the top of this file); without an event base, at once.
 */
void
table_refresh(const char *id)
{
	void *v;
	size_t i, cap;

	for (i = 0; i < nqueue; i++)
		if (strcmp(queue[i], id) == 0)
			return;
	if (ev_flush == NULL && sd.base != NULL &&
	    (ev_flush = event_new(sd.base, -1, 0, table_flush, NULL)) == NULL)
		log_warnx("table: event_new failed");
	if (ev_flush == NULL || strlen(id) > MODEL_ID_MAX) {
		table_fetch(id, NULL, NULL);
		return;
	}
	if (nqueue == capqueue) {
		cap = capqueue ? capqueue * 2 : 16;
		if ((v = reallocarray(queue, cap, sizeof *queue)) == NULL) {
			log_warn("table: realloc");
			table_fetch(id, NULL, NULL);
			return;
		}
		queue = v;
		capqueue = cap;
	}
	memcpy(queue[nqueue++], id, strlen(id) + 1);
	if (nqueue == 1)
		event_active(ev_flush, EV_TIMEOUT, 0);
}

/* The long-lived match result: see table.h. */
struct match_result *
table_scratch(void)
{
	return &scratch;
}

static void
table_entries_free(void)
{
	size_t i;

	for (i = 0; i < ntable; i++)
		free(table[i]);
	free(table);
	table = NULL;
	ntable = captable = 0;
}

/* Free every shelter, the refresh queue and the scratch result. */
void
table_free(void)
{
	table_entries_free();
	match_result_free(&scratch);
	if (ev_flush != NULL)
		event_free(ev_flush);
	ev_flush = NULL;
	free(queue);
	queue = NULL;
	nqueue = capqueue = 0;
}
