/*
 * table_refresh.c: reloading one shelter of the table from the store.
 *
 * Refreshes asked for by events are coalesced: an id is queued once, and
 * the queue is sent when the loop has run the callbacks that are ready. A
 * table_fetch() of that id sent meanwhile (a caller reading its own write)
 * is sent after the event arrived, so it brings that change too and the
 * queued refresh is dropped.
 *
 * A hold this daemon's own call took (table_add_held) that the table
 * cannot take as its next change yet, since changes before it are still
 * on their way, is shown ahead of them: it is added again whenever the
 * counts are replaced by an older change, until one that has it arrives
 * (else, after TABLE_AHEAD_MS, the shelter is reloaded).
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

/* Ids whose refresh waits for the end of the loop iteration. */
static char (*queue)[MODEL_ID_MAX + 1];
static size_t nqueue, capqueue;
static struct event *ev_flush;

/* How long a hold is shown ahead before the shelter is reloaded. */
#define TABLE_AHEAD_MS 1000

/* A hold shown ahead of the changes before it (table_add_held). */
struct ahead {
	TAILQ_ENTRY(ahead) link;
	char id[MODEL_ID_MAX + 1];
	char pool[MODEL_POOL_NAME_MAX + 1];
	long long cseq;
	struct event *ev; /* TABLE_AHEAD_MS */
};
static TAILQ_HEAD(, ahead) aheads = TAILQ_HEAD_INITIALIZER(aheads);

/* A table_fetch() in flight. */
struct fetch {
	TAILQ_ENTRY(fetch) link;
	void (*done)(void *);
	void *arg;
	char id[MODEL_ID_MAX + 1];
};
static TAILQ_HEAD(, fetch) fetches = TAILQ_HEAD_INITIALIZER(fetches);

static void
table_fetch_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct fetch *f = arg;
	json_t *s;

	TAILQ_REMOVE(&fetches, f, link);
	if (result != NULL) {
		s = json_object_get(result, "shelter");
		if (s != NULL)
			table_put_json(s, table_cseq_of(result));
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
 * none), also when the store is unavailable. A reply older than what the
 * table holds (its cseq) is dropped, so a reload never overwrites a newer
 * state that an event or another reply brought. A refresh of id queued by
 * an event is dropped: this one is sent after it. 0, or -1 (done not
 * called) when the store is down or on ENOMEM.
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
	TAILQ_INSERT_TAIL(&fetches, f, link);
	if (store_shelter_get(id, table_fetch_done, f, &err) == -1) {
		TAILQ_REMOVE(&fetches, f, link);
		free(f);
		return -1;
	}
	table_unqueue(id);
	return 0;
}

/* A refresh of another shelter than except queued or sent: see table.h. */
bool
table_refreshing(const char *except)
{
	const struct fetch *f;
	size_t i;

	for (i = 0; i < nqueue; i++)
		if (except == NULL || strcmp(queue[i], except) != 0)
			return true;
	TAILQ_FOREACH(f, &fetches, link)
	{
		if (except == NULL || strcmp(f->id, except) != 0)
			return true;
	}
	return false;
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

static void
table_ahead_drop(struct ahead *a)
{
	TAILQ_REMOVE(&aheads, a, link);
	event_free(a->ev);
	free(a);
}

/* A hold ahead for TABLE_AHEAD_MS and the changes before it still not
 * in: reload the shelter (its reply has the hold). */
static void
table_ahead_expired(evutil_socket_t fd, short what, void *arg)
{
	struct ahead *a = arg;
	char id[MODEL_ID_MAX + 1];

	memcpy(id, a->id, sizeof id);
	table_ahead_drop(a);
	log_debug("table: shelter=%s: the changes before a hold did not come "
	          "within %d ms: reloading it",
	    id, TABLE_AHEAD_MS);
	table_fetch(id, NULL, NULL);
}

/*
 * The entry of id (NULL: every entry) took change cseq (table_on_take):
 * drop the holds ahead it has now; when its counts were replaced (whole)
 * by an older change, add those it lacks again.
 */
static void
table_ahead_took(const char *id, long long cseq, bool whole)
{
	struct ahead *a, *next;

	for (a = TAILQ_FIRST(&aheads); a != NULL; a = next) {
		next = TAILQ_NEXT(a, link);
		if (id != NULL && strcmp(a->id, id) != 0)
			continue;
		if ((id != NULL ? cseq : table_cseq(a->id)) >= a->cseq)
			table_ahead_drop(a);
		else if (whole &&
		    table_held_again(a->id, a->pool, a->cseq) != 2)
			table_ahead_drop(a); /* taken, or gone */
	}
}

/* A hold this daemon's own call took: see table.h. */
int
table_add_held(const char *id, const char *pool, long long cseq)
{
	struct timeval tv = {
	    TABLE_AHEAD_MS / 1000, (TABLE_AHEAD_MS % 1000) * 1000};
	struct ahead *a = NULL;
	int rc;

	if ((rc = table_held(id, pool, cseq)) != 2)
		return rc == -1 ? -1 : 0;
	/* Ahead: remembered, so that it survives older counts. */
	if (sd.base == NULL || strlen(pool) > MODEL_POOL_NAME_MAX ||
	    (a = calloc(1, sizeof *a)) == NULL ||
	    (a->ev = evtimer_new(sd.base, table_ahead_expired, a)) == NULL) {
		free(a);
		table_fetch(id, NULL, NULL);
		return 0;
	}
	table_on_take(table_ahead_took);
	snprintf(a->id, sizeof a->id, "%s", id);
	snprintf(a->pool, sizeof a->pool, "%s", pool);
	a->cseq = cseq;
	TAILQ_INSERT_TAIL(&aheads, a, link);
	evtimer_add(a->ev, &tv);
	return 0;
}

/* The cseq of result, a store reply with a shelter: see table.h. */
long long
table_cseq_of(const json_t *result)
{
	const json_t *v = json_object_get(result, "cseq");

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* Free the refresh queue and the holds ahead. */
void
table_refresh_free(void)
{
	table_on_take(NULL);
	while (!TAILQ_EMPTY(&aheads))
		table_ahead_drop(TAILQ_FIRST(&aheads));
	if (ev_flush != NULL)
		event_free(ev_flush);
	ev_flush = NULL;
	free(queue);
	queue = NULL;
	nqueue = capqueue = 0;
}
