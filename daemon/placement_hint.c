/*
 * placement_hint.c: the waitlist's version a shelter's report left.
 *
 * shd_capacity puts the waitlist's version (P waitlist_ver) into the
 * capacity.changed it emits (field wver). A waitlist pass that event
 * wakes need not ask the store whether the waitlist changed (shd_waiting's
 * "unchanged") when its memo is at that version: it runs on the memo at
 * once, one round trip to the store fewer between a freed place and its
 * proposal. The store is asked as late as before, by the function that
 * wrote the change instead of by shd_waiting.
 *
 * The hint holds only while nothing can have changed since: any later
 * event but a hold's or an arrival's (counts alone) forgets it, and the
 * pass must match against a table that has taken the change (its cseq)
 * with no refresh of another shelter on its way. The event often comes
 * before the reply of the call that made it, or the refresh it asks for:
 * then the pass waits for the table to take the change, at most
 * PLACEMENT_HINT_MS, and asks the store after all when it did not.
 */
#include <stdbool.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "placement.h"
#include "shelterd.h"
#include "table.h"

#define PLACEMENT_HINT_MS 20 /* see the top of this file */

static struct {
	char id[MODEL_ID_MAX + 1]; /* the shelter its change was of */
	long long cseq;            /* that change */
	long long ver;             /* the waitlist's version; -1: none */
	bool waiting;              /* a pass waits for the table to take it */
	bool late;                 /* it waited PLACEMENT_HINT_MS in vain */
} hint = {.ver = -1};

static struct event *ev_late;
static void (*wake)(void); /* placement_hint_use's, while waiting */

/* No pass waits any more; the one that did is started again (run). */
static void
placement_hint_unwait(bool run)
{
	void (*w)(void) = wake;

	hint.waiting = false;
	wake = NULL;
	if (ev_late != NULL)
		evtimer_del(ev_late);
	if (run && w != NULL)
		w();
}

/* The table took a change (table_on_take): the one the pass waits for? */
static void
placement_hint_took(const char *id, long long cseq, bool whole)
{
	(void)whole;
	if (hint.waiting &&
	    (id == NULL || (strcmp(id, hint.id) == 0 && cseq >= hint.cseq)))
		placement_hint_unwait(true);
}

static void
placement_hint_late(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_debug("placement: the table has not taken change %lld of "
	          "shelter=%s after %d ms: asking the store",
	    hint.cseq, hint.id, PLACEMENT_HINT_MS);
	hint.late = true;
	placement_hint_unwait(true);
}

/* An event: see placement.h. */
void
placement_hint(const char *id, long long cseq, long long wver)
{
	bool waiting = hint.waiting;

	hint.ver = -1;
	hint.late = false;
	if (wver >= 0 && id != NULL && strlen(id) <= MODEL_ID_MAX) {
		memcpy(hint.id, id, strlen(id) + 1);
		hint.cseq = cseq;
		hint.ver = wver;
	}
	/* A pass that waited for the hint it replaces goes on. */
	if (waiting)
		placement_hint_unwait(true);
}

/* A pass starts: see placement.h. */
int
placement_hint_use(bool memo_ok, long long memo_ver, void (*again)(void))
{
	struct timeval tv = {0, PLACEMENT_HINT_MS * 1000};

	if (hint.ver < 0 || !memo_ok || hint.ver != memo_ver || hint.late ||
	    table_reloading() || table_refreshing(hint.id)) {
		hint.ver = -1;
		placement_hint_unwait(false);
		return 0;
	}
	if (table_cseq(hint.id) >= hint.cseq) {
		hint.ver = -1;
		placement_hint_unwait(false);
		return 1;
	}
	if (ev_late == NULL &&
	    (ev_late = evtimer_new(sd.base, placement_hint_late, NULL)) ==
	        NULL) {
		log_warnx("placement: evtimer_new failed");
		hint.ver = -1;
		return 0;
	}
	table_on_take(placement_hint_took);
	if (!hint.waiting)
		evtimer_add(ev_late, &tv);
	hint.waiting = true;
	wake = again;
	return -1;
}

/* At exit. */
void
placement_hint_free(void)
{
	if (ev_late != NULL)
		event_free(ev_late);
	ev_late = NULL;
	wake = NULL;
	hint.ver = -1;
	hint.waiting = hint.late = false;
}
