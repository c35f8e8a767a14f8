/*
 * table_refresh.c: reloading one shelter of the table from the store.
 *
 * Refreshes asked for by events are coalesced: an id is queued once, and
 * the queue is sent when the loop has run the callbacks that are ready. A
 * table_fetch() of that id sent meanwhile (a caller reading its own write)
 * is sent after the event arrived, so it brings that change too and the
 * queued refresh is dropped.
 *
 * A caller that waits for the table to hold a change of a shelter (its
 * own hold, table_await) is called back when an event or a reply brought
 * it, else after a reload of the shelter.
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

/* Longest wait of table_await for the tail before it reloads. */
#define TABLE_AWAIT_MS 100

/* A table_await(): its timer, then the call of done. */
struct await {
	TAILQ_ENTRY(await) link;
	char id[MODEL_ID_MAX + 1];
	long long cseq;
	bool held; /* the table holds it: done, no reload */
	void (*done)(void *);
	void *arg;
	struct event *ev;
};
static TAILQ_HEAD(, await) awaits = TAILQ_HEAD_INITIALIZER(awaits);

/* A table_fetch() in flight. */
struct fetch {
	void (*done)(void *);
	void *arg;
	char id[MODEL_ID_MAX + 1];
};

static void
table_fetch_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct fetch *f = arg;
	json_t *s;

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

static void
table_await_fire(evutil_socket_t fd, short what, void *arg)
{
	struct await *w = arg;
	void (*done)(void *) = w->done;
	void *darg = w->arg;
	bool held = w->held;
	char id[MODEL_ID_MAX + 1];

	memcpy(id, w->id, sizeof id);
	TAILQ_REMOVE(&awaits, w, link);
	event_free(w->ev);
	free(w);
	if (!held) {
		log_debug("table: shelter=%s did not reach the change awaited "
		          "within %d ms: reloading it",
		    id, TABLE_AWAIT_MS);
		if (table_fetch(id, done, darg) == 0)
			return;
	}
	done(darg);
}

/* Mark w held and call it back from the loop. */
static void
table_await_hold(struct await *w)
{
	w->held = true;
	evtimer_del(w->ev);
	event_active(w->ev, EV_TIMEOUT, 0);
}

static void table_awaited(const char *id, long long cseq);

/* Wait for change cseq of id: see table.h. */
int
table_await(const char *id, long long cseq, void (*done)(void *), void *arg)
{
	struct timeval tv = {0, TABLE_AWAIT_MS * 1000};
	struct await *w;

	if (sd.base == NULL || strlen(id) > MODEL_ID_MAX ||
	    (w = calloc(1, sizeof *w)) == NULL)
		return -1;
	if ((w->ev = evtimer_new(sd.base, table_await_fire, w)) == NULL) {
		free(w);
		return -1;
	}
	table_on_take(table_awaited);
	memcpy(w->id, id, strlen(id) + 1);
	w->cseq = cseq;
	w->done = done;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&awaits, w, link);
	if (cseq > 0 && table_cseq(id) >= cseq)
		table_await_hold(w);
	else
		evtimer_add(w->ev, &tv);
	return 0;
}

/* The table took change cseq of id (NULL: any may have): call back who
 * waits for it (table_on_take). */
static void
table_awaited(const char *id, long long cseq)
{
	struct await *w;

	TAILQ_FOREACH(w, &awaits, link)
	{
		if (w->held || w->cseq <= 0)
			continue;
		if (id == NULL ? table_cseq(w->id) >= w->cseq
		               : strcmp(w->id, id) == 0 && cseq >= w->cseq)
			table_await_hold(w);
	}
}

/* The cseq of result, a store reply with a shelter: see table.h. */
long long
table_cseq_of(const json_t *result)
{
	const json_t *v = json_object_get(result, "cseq");

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* Free the refresh queue; call back who still waits (at exit). */
void
table_refresh_free(void)
{
	struct await *w;

	table_on_take(NULL);
	while ((w = TAILQ_FIRST(&awaits)) != NULL) {
		TAILQ_REMOVE(&awaits, w, link);
		event_free(w->ev);
		w->done(w->arg);
		free(w);
	}
	if (ev_flush != NULL)
		event_free(ev_flush);
	ev_flush = NULL;
	free(queue);
	queue = NULL;
	nqueue = capqueue = 0;
}
