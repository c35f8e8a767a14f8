/*
 * table.c: the in-memory shelter table matching runs against.
 *
 * An array of malloc'ed shelters kept sorted by id (table_sorted.c), so
 * lookups are a binary search and table_all() hands matching the
 * deterministic order it ranks ties by. Every entry is read from the store
 * (table_row.c); the table is never changed from anything else, so every
 * instance converges on the same view. Refreshes of one shelter are in
 * table_refresh.c.
 *
 * The whole table is reloaded in pages (table_reload), so no reply grows
 * with the register: the new entries are built beside the live ones and
 * swapped in after the last page. The first page names the ends of the
 * others (marks), so TABLE_AHEAD of them are in flight at once. Meanwhile
 * a shelter reloaded on its own whose page has already arrived is put into
 * both, so the swap loses no newer state.
 *
 * An entry holds its shelter as the store had it after the change
 * numbered cseq (docs/store.md); replies and events name the change they
 * show and come on different connections, in any order: an older one is
 * dropped, the next change when it moved only counts is taken from its
 * event (table_event), anything else is reloaded. cseq -1: not known.
 *
 * Matching goes through an index of the live entries (match_index): a
 * shelter replaced in place is indexed again at once; an insert or removal
 * moves the positions after it, so it marks the index stale and the next
 * table_index() rebuilds it. A change of live counts only
 * (table_put_counts, held places) updates the bounds the index keeps for
 * match_run_top.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "shelter/changes.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"
#include "table_row.h"
#include "table_sorted.h"

static struct tab live; /* entries sorted by id */

#define TABLE_PAGE  500 /* shelters per shd_shelter_rows */
#define TABLE_AHEAD 3   /* pages of a reload in flight at once */

/* A paged reload in flight (see table_reload). */
struct waiter {
	void (*done)(void *, bool);
	void *arg;
};
static struct {
	bool running, again;
	unsigned gen;                 /* of the reload in flight: see below */
	struct tab next;              /* the pages so far */
	char after[MODEL_ID_MAX + 1]; /* every id up to it is loaded */
	char (*marks)[MODEL_ID_MAX + 1]; /* the ends of the pages to ask */
	size_t nmarks, sent, inflight;
	struct waiter *w; /* called when it ends */
	size_t nw, capw;
} rl;
/* An entry: its last change's generation and cseq, the free places an
 * event last saw (model_pools_freed), the shelter to its last pool. */
struct entry {
	uint64_t gen;
	long long cseq;
	int nfree, free[MODEL_POOL_MAX];
	struct shelter s;
};
static uint64_t tgen;         /* counts every change of the table */
static uint64_t tswapped;     /* tgen when a whole table was last put in */
static struct changes recent; /* the last changes, by id */
static const struct shelter *changed[CHANGES_MAX];

static struct entry *
table_entry(const struct shelter *s)
{
	return (struct entry *)((char *)s - offsetof(struct entry, s));
}

/* s changed: a new generation. */
static void
table_touch(struct shelter *s)
{
	table_entry(s)->gen = ++tgen;
	changes_add(&recent, s->id, tgen);
}

static void
table_shelter_free(struct shelter *s)
{
	free(s != NULL ? table_entry(s) : NULL);
}

static struct match_result scratch;   /* all zero: initialised */
static struct match_index live_index; /* of live, in its order */
static bool live_index_stale = true;
/* table_on_take's: table_refresh.c's holds ahead, placement_hint.c. */
static void (*took[2])(const char *, long long, bool);

/* An entry of live took change cseq of shelter id (NULL: any may have),
 * its counts replaced (whole) or one hold added. */
static void
table_took(const char *id, long long cseq, bool whole)
{
	if (took[0] != NULL)
		took[0](id, cseq, whole);
	if (took[1] != NULL)
		took[1](id, cseq, whole);
}

/* A parsed shelter (tmp) into a new allocation, or NULL (logged). */
static struct shelter *
table_entry_new(const struct shelter *tmp)
{
	struct entry *e;
	size_t size = MODEL_SHELTER_SIZE(tmp->npools);

	if ((e = malloc(offsetof(struct entry, s) + size)) == NULL) {
		log_warn("table: malloc");
		return NULL;
	}
	memcpy(&e->s, tmp, size);
	e->cseq = e->nfree = -1;
	e->gen = ++tgen;
	changes_add(&recent, tmp->id, tgen);
	return &e->s;
}

/*
 * Parse a live shelter into a new allocation, or NULL (logged). The
 * allocation ends after its last pool (MODEL_SHELTER_SIZE): most shelters
 * have one to three of MODEL_POOL_MAX, so this is a quarter of a whole
 * struct shelter or less, and the table's memory follows the register.
 */
static struct shelter *
table_parse(const json_t *obj)
{
	static struct shelter tmp; /* the loop is single-threaded */

	if (table_read_json(obj, &tmp) == -1)
		return NULL;
	return table_entry_new(&tmp);
}

/* One shelter of a row page (table_read_row) into a new allocation with
 * the cseq the row shows, or NULL (logged). */
static struct shelter *
table_parse_row(const redisReply *row)
{
	static struct shelter tmp;
	struct shelter *s;
	long long cseq;
	bool json;

	if (table_read_row(row, &tmp, &cseq, &json) == -1 ||
	    (s = table_entry_new(&tmp)) == NULL)
		return NULL;
	table_entry(s)->cseq = cseq;
	if (json)
		table_tabs_note(s);
	return s;
}

/* Is s newer than a reply of change cseq of it (-1: not known)? */
static bool
table_newer(const struct shelter *s, long long cseq)
{
	return cseq >= 0 && table_entry(s)->cseq > cseq;
}

/* Only the counts of s changed (model_shelter_put_counts) in change cseq
 * of it: 0, or -1. */
static int
table_put_counts(struct shelter *s, const json_t *obj, long long cseq)
{
	if (model_shelter_put_counts(s, obj) == -1)
		return -1;
	table_entry(s)->cseq = cseq;
	table_touch(s);
	return 0;
}

/* The live counts of live.v[i] changed: tell the index (its bounds). */
static void
table_index_counts(size_t i)
{
	if (!live_index_stale)
		match_index_counts(&live_index, i, live.v[i]);
}

/* Insert or replace s (owned) in t. 0, or -1 on ENOMEM (s freed). */
static int
table_insert(struct tab *t, struct shelter *s)
{
	size_t i;
	bool found;

	i = tab_find(t, s->id, &found);
	if (found) {
		/* What the last event saw stays (model_pools_freed). */
		if (model_pools_same(t->v[i], s)) {
			table_entry(s)->nfree = table_entry(t->v[i])->nfree;
			memcpy(table_entry(s)->free, table_entry(t->v[i])->free,
			    sizeof table_entry(s)->free);
		}
		table_shelter_free(t->v[i]);
		t->v[i] = s;
		if (t == &live && !live_index_stale)
			match_index_set(&live_index, i, s);
		return 0;
	}
	if (tab_insert_at(t, i, s) == -1) {
		table_shelter_free(s);
		return -1;
	}
	if (t == &live)
		live_index_stale = true;
	return 0;
}

/* Drop id from t if present. */
static void
table_remove_in(struct tab *t, const char *id)
{
	size_t i;
	bool found;

	i = tab_find(t, id, &found);
	if (!found)
		return;
	tgen++;
	table_shelter_free(t->v[i]);
	tab_remove_at(t, i);
	if (t == &live)
		live_index_stale = true;
}

/* A reload in flight has loaded id already: it must see changes too. */
static bool
table_reload_has(const char *id)
{
	return rl.running && rl.after[0] != '\0' && strcmp(id, rl.after) <= 0;
}

/* Put obj (change cseq) into the reload's pages when they hold its id
 * already, unless they hold a newer change. */
static void
table_reload_put(const json_t *obj, const char *id, long long cseq)
{
	struct shelter *s;
	size_t i;
	bool found;

	if (id == NULL || !table_reload_has(id))
		return;
	i = tab_find(&rl.next, id, &found);
	if (found &&
	    (table_newer(rl.next.v[i], cseq) ||
	        table_put_counts(rl.next.v[i], obj, cseq) == 0))
		return;
	if ((s = table_parse(obj)) != NULL) {
		table_entry(s)->cseq = cseq;
		table_insert(&rl.next, s);
	}
}

/*
 * Insert or replace one shelter from its live JSON as of change cseq (-1:
 * not known), unless the table holds a newer change of it. Returns 0, or
 * -1 when it does not parse (logged) or on ENOMEM; the table is then
 * unchanged.
 */
int
table_put_json(const json_t *obj, long long cseq)
{
	struct shelter *s;
	const char *id = json_string_value(json_object_get(obj, "id"));
	size_t i;
	bool found;
	int rc;

	table_reload_put(obj, id, cseq);
	if (id != NULL) {
		i = tab_find(&live, id, &found);
		if (found && table_newer(live.v[i], cseq))
			return 0; /* a reply older than what the table holds */
		if (found && table_put_counts(live.v[i], obj, cseq) == 0) {
			table_index_counts(i);
			table_took(id, cseq, true);
			return 0;
		}
	}
	if ((s = table_parse(obj)) == NULL)
		return -1;
	table_entry(s)->cseq = cseq;
	if ((rc = table_insert(&live, s)) == 0)
		table_took(id, cseq, true);
	return rc;
}

/* A copy of tmp (change cseq) into t, unless t holds a newer change of
 * it: 1 put, 0 older than what t holds, -1 on ENOMEM (logged). */
static int
table_put_copy(struct tab *t, const struct shelter *tmp, long long cseq)
{
	struct shelter *s;
	size_t i;
	bool found;

	i = tab_find(t, tmp->id, &found);
	if (found && table_newer(t->v[i], cseq))
		return 0;
	if ((s = table_entry_new(tmp)) == NULL)
		return -1;
	table_entry(s)->cseq = cseq;
	return table_insert(t, s) == 0 ? 1 : -1;
}

/* table_put_row: see table.h. */
int
table_put_row(const char *const *v, const size_t *len, size_t n,
    const struct shelter **read)
{
	static struct shelter tmp; /* the loop is single-threaded */
	long long cseq;
	int rc;

	*read = NULL;
	if (table_read_fields(v, len, n, &tmp, &cseq) == -1)
		return -1;
	*read = &tmp;
	if (table_reload_has(tmp.id))
		(void)table_put_copy(&rl.next, &tmp, cseq);
	if ((rc = table_put_copy(&live, &tmp, cseq)) == 1)
		table_took(tmp.id, cseq, true);
	return rc == -1 ? -1 : 0;
}

/* Drop the shelter id if present. */
void
table_remove(const char *id)
{
	if (table_reload_has(id))
		table_remove_in(&rl.next, id);
	table_remove_in(&live, id);
}

static struct shelter *
table_get_in(const struct tab *t, const char *id)
{
	size_t i;
	bool found;

	i = tab_find(t, id, &found);
	return found ? t->v[i] : NULL;
}

/*
 * The hold in pool of change cseq into s: 1 when added as that change, 0
 * when s holds it already, 2 when added ahead of earlier changes s lacks
 * (ahead: allowed), -1 when not added (no such pool, cseq not known).
 */
static int
table_held_in(struct shelter *s, const char *pool, long long cseq, bool ahead)
{
	struct entry *e = table_entry(s);
	bool next = cseq == e->cseq + 1;
	int k;

	if (e->cseq >= 0 && cseq <= e->cseq)
		return 0;
	if (e->cseq < 0 || (!next && !ahead))
		return -1;
	for (k = 0; k < s->npools; k++)
		if (strcmp(s->pools[k].name, pool) == 0) {
			s->pools[k].held++;
			if (next)
				e->cseq = cseq;
			table_touch(s);
			return next ? 1 : 2;
		}
	return -1;
}

/* A hold ahead of the changes before it, again: see table.h. */
int
table_held_again(const char *id, const char *pool, long long cseq)
{
	size_t i;
	bool found;
	int rc;

	i = tab_find(&live, id, &found);
	if (!found || (rc = table_held_in(live.v[i], pool, cseq, true)) == -1)
		return -1;
	if (rc > 0)
		table_index_counts(i);
	return rc;
}

/* A hold this daemon's own call took: see table.h. */
int
table_held(const char *id, const char *pool, long long cseq)
{
	struct shelter *s;
	int rc;

	if (id == NULL || pool == NULL || cseq <= 0)
		return -1;
	/* The pages hold no hold ahead: it is put again after the swap. */
	if (table_reload_has(id) && (s = table_get_in(&rl.next, id)) != NULL)
		table_held_in(s, pool, cseq, false);
	if ((rc = table_held_again(id, pool, cseq)) == 1)
		table_took(id, cseq, false);
	return rc;
}

/* An event of change cseq of shelter id: see table.h. */
int
table_event(const char *id, long long cseq, const json_t *counts)
{
	struct entry *e;
	size_t i;
	bool found;

	/* A reload in flight: refreshes, in order with its pages. */
	if (cseq <= 0 || rl.running)
		return -1;
	i = tab_find(&live, id, &found);
	if (!found || (e = table_entry(live.v[i]))->cseq < 0)
		return -1;
	if (cseq > e->cseq) {
		if (cseq != e->cseq + 1 || counts == NULL ||
		    model_shelter_event_counts(&e->s, counts) == -1)
			return -1;
		e->cseq = cseq;
		table_touch(&e->s);
		table_index_counts(i);
		table_took(id, cseq, true);
	}
	return model_pools_freed(&e->s, e->free, &e->nfree);
}

/* Who hears of the changes live takes: see table.h. */
void
table_on_take(void (*cb)(const char *id, long long cseq, bool whole))
{
	if (cb == NULL)
		took[0] = took[1] = NULL;
	else if (took[0] == NULL || took[0] == cb)
		took[0] = cb;
	else if (took[1] == NULL || took[1] == cb)
		took[1] = cb;
	else
		log_warnx("table: a third take callback");
}

/* The cseq the table holds of shelter id: see table.h. */
long long
table_cseq(const char *id)
{
	const struct shelter *s = table_get_in(&live, id);

	return s != NULL ? table_entry(s)->cseq : -1;
}

/* The shelter id, borrowed until the next change, or NULL. */
const struct shelter *
table_get(const char *id)
{
	return table_get_in(&live, id);
}

/* Every shelter sorted by id; valid until the next change. */
const struct shelter *const *
table_all(size_t *n)
{
	*n = live.n;
	return (const struct shelter *const *)live.v;
}

static void
table_tab_free(struct tab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		table_shelter_free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof *t);
}

static int table_reload_send(const char *after, const char *upto);

/* The reload ended (ok: the last page arrived): swap, call the waiters. */
static void
table_reload_end(bool ok)
{
	struct waiter *w;
	size_t i, n;

	/* Replies of this reload still in flight are dropped (rl.gen). */
	rl.gen++;
	rl.inflight = rl.sent = rl.nmarks = 0;
	free(rl.marks);
	rl.marks = NULL;
	if (ok && rl.again) {
		/* Asked for again meanwhile: that one wants newer pages. */
		rl.again = false;
		table_tab_free(&rl.next);
		table_tabs_free();
		rl.after[0] = '\0';
		if (table_reload_send("", "") == 0)
			return;
		ok = false;
	}
	if (ok) {
		table_tab_free(&live);
		live = rl.next;
		live_index_stale = true;
		memset(&rl.next, 0, sizeof rl.next);
		/* Parsed before changes to the old table: all new now. */
		tswapped = ++tgen;
		changes_all(&recent, tgen);
		for (i = 0; i < live.n; i++)
			table_entry(live.v[i])->gen = tgen;
		log_debug("table: loaded %zu shelters", live.n);
		table_took(NULL, 0, true);
	} else
		table_tab_free(&rl.next);
	rl.running = rl.again = false;
	rl.after[0] = '\0';
	table_tabs_send(ok);
	w = rl.w;
	n = rl.nw;
	rl.w = NULL;
	rl.nw = rl.capw = 0;
	/* Give the parsing's freed heap back (start-up RSS). */
	malloc_trim(0);
	for (i = 0; i < n; i++)
		w[i].done(w[i].arg, ok);
	free(w);
}

/* Mark k of the first page (an id, "" if it is none). */
static const char *
table_mark(size_t k)
{
	return k < rl.nmarks ? rl.marks[k] : "";
}

/* Keep up to TABLE_AHEAD of the pages the first one marked in flight:
 * (after, marks[0]], (marks[0], marks[1]], ..., (marks[n-1], end). */
static int
table_reload_ahead(void)
{
	while (rl.inflight < TABLE_AHEAD && rl.sent <= rl.nmarks) {
		if (table_reload_send(
		        rl.sent == 0 ? rl.after : table_mark(rl.sent - 1),
		        rl.sent < rl.nmarks ? table_mark(rl.sent) : "") == -1)
			return -1;
		rl.sent++;
	}
	return 0;
}

/*
 * One page arrived; arg is the reload it belongs to. The replies come in
 * the order the pages were sent, so every id up to the page's end (upto,
 * or its next when it was the open-ended one) is loaded after it. The
 * page: next (nil at the end), marks, then a row per shelter
 * (shd_shelter_rows).
 */
static void
table_page_done(const redisReply *reply, const struct sh_error *err, void *arg)
{
	unsigned gen = (unsigned)(uintptr_t)arg;
	bool first = rl.sent == 0 && rl.nmarks == 0 && rl.after[0] == '\0';
	char next[MODEL_ID_MAX + 1];
	bool more;
	struct shelter *s;
	size_t i;

	if (gen != rl.gen || !rl.running)
		return; /* of a reload that ended */
	rl.inflight--;
	more = reply != NULL && reply->elements >= 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING;
	if (reply == NULL || reply->elements < 2 ||
	    (more && reply->element[0]->len > MODEL_ID_MAX)) {
		log_warnx("table: shelter page not loaded: %s",
		    err != NULL ? err->message : "not a page of rows");
		table_reload_end(false);
		return;
	}
	if (more) {
		memcpy(next, reply->element[0]->str, reply->element[0]->len);
		next[reply->element[0]->len] = '\0';
	}
	for (i = 2; i < reply->elements; i++)
		if ((s = table_parse_row(reply->element[i])) != NULL &&
		    table_insert(&rl.next, s) == -1) {
			table_reload_end(false);
			return;
		}
	if (first && more &&
	    table_read_ids(reply->element[1], &rl.marks, &rl.nmarks) == -1) {
		table_reload_end(false);
		return;
	}
	if (!first && rl.sent > 0) {
		/* One of the marked pages: (after, upto] or the last. */
		i = rl.sent - rl.inflight; /* the pages that have arrived */
		if (i <= rl.nmarks) {
			snprintf(
			    rl.after, sizeof rl.after, "%s", table_mark(i - 1));
			if (table_reload_ahead() == -1)
				table_reload_end(false);
			return;
		}
		/* The open-ended last page: on as one page at a time. */
		rl.sent = rl.nmarks = 0;
	}
	if (!more) {
		table_reload_end(true);
		return;
	}
	snprintf(rl.after, sizeof rl.after, "%s", next);
	if (first && rl.nmarks > 0) {
		if (table_reload_ahead() == -1)
			table_reload_end(false);
		return;
	}
	if (table_reload_send(rl.after, "") == -1)
		table_reload_end(false);
}

static int
table_reload_send(const char *after, const char *upto)
{
	struct sh_error err;

	if (store_shelter_rows(after, TABLE_PAGE, upto, table_page_done,
	        (void *)(uintptr_t)rl.gen, &err) == -1) {
		log_warnx("table: shelter page not sent: %s", err.message);
		return -1;
	}
	rl.inflight++;
	return 0;
}

/*
 * Reload the whole table from the store in pages (see the top of this
 * file), then done(arg, ok): ok when it was swapped in, false when the
 * store failed (the table is then unchanged). A reload asked for while
 * one runs is served by one more after it. 0, or -1 (done not called)
 * when it could not be sent or on ENOMEM.
 */
int
table_reload(void (*done)(void *, bool), void *arg)
{
	struct waiter *w;
	size_t cap;

	if (rl.nw == rl.capw) {
		cap = rl.capw ? rl.capw * 2 : 4;
		if ((w = reallocarray(rl.w, cap, sizeof *w)) == NULL) {
			log_warn("table: realloc");
			return -1;
		}
		rl.w = w;
		rl.capw = cap;
	}
	if (rl.running) {
		rl.again = true;
	} else {
		rl.after[0] = '\0';
		if (table_reload_send("", "") == -1)
			return -1;
		rl.running = true;
	}
	rl.w[rl.nw++] = (struct waiter){done, arg};
	return 0;
}

/* Is a reload in flight? See table.h. */
bool
table_reloading(void)
{
	return rl.running;
}

/* The index of table_all(): see table.h. */
const struct match_index *
table_index(void)
{
	if (live_index_stale) {
		if (match_index_build(&live_index,
		        (const struct shelter *const *)live.v, live.n) == -1) {
			log_warnx("table: index: out of memory");
			return NULL;
		}
		live_index_stale = false;
	}
	return &live_index;
}

/* The generation of the table's last change: see table.h. */
uint64_t
table_gen(void)
{
	return tgen;
}

/* The generation of a live shelter's last change: see table.h. */
uint64_t
table_shelter_gen(const struct shelter *s)
{
	return table_entry(s)->gen;
}

/* The generation of the last whole load: see table.h. */
uint64_t
table_loaded_gen(void)
{
	return tswapped;
}

/* The live shelters changed after generation since: see table.h. */
const struct shelter *const *
table_changed_since(uint64_t since, size_t *n)
{
	const char *const *ids;
	const struct shelter *s;
	size_t i, j, k;

	*n = 0;
	if (changes_since(&recent, since, &ids, &k) == -1)
		return NULL;
	for (i = 0; i < k; i++) {
		if ((s = table_get_in(&live, ids[i])) == NULL ||
		    table_entry(s)->gen <= since)
			continue;
		for (j = 0; j < *n && changed[j] != s; j++)
			;
		if (j == *n)
			changed[(*n)++] = s;
	}
	return changed;
}

/* A waitlist pass starts: see table.h. */
void
table_seen(uint64_t since)
{
	size_t i, n;
	const struct shelter *const *ch = table_changed_since(since, &n);
	struct entry *e;

	for (i = 0; i < (ch != NULL ? n : live.n); i++) {
		e = table_entry(ch != NULL ? ch[i] : live.v[i]);
		(void)model_pools_freed(&e->s, e->free, &e->nfree);
	}
}

/* The long-lived match result: see table.h. */
struct match_result *
table_scratch(void)
{
	return &scratch;
}

/* Free every shelter and the scratch result. */
void
table_free(void)
{
	table_tab_free(&live);
	live_index_stale = true;
	table_tab_free(&rl.next);
	free(rl.w);
	free(rl.marks);
	memset(&rl, 0, sizeof rl);
	table_tabs_free();
	match_result_free(&scratch);
	match_index_free(&live_index);
	changes_all(&recent, tgen);
}
