/*
 * table.c: the in-memory shelter table matching runs against.
 *
 * An array of malloc'ed shelters kept sorted by id, so lookups are a binary
 * search and table_all() hands matching the deterministic order it ranks
 * ties by. Every entry is parsed from the store's live JSON; the table is
 * never changed from anything else, so every instance converges on the
 * same view.
 *
 * The whole table is reloaded in pages (table_reload), so no reply grows
 * with the register: the new entries are built beside the live ones and
 * swapped in after the last page. A page comes in the row form
 * (shd_shelter_rows, model_shelter_row): the packed static part and the
 * live fields, read without a JSON parser; a shelter stored before the
 * packed form existed comes as its JSON instead. The first page names the ends
 * of the others (marks), so TABLE_AHEAD of them are in flight at once: the
 * store builds the next while the daemon parses one. Meanwhile a shelter
 * reloaded on its own whose page has already arrived is put into both, so the
 * swap loses no newer state (replies on the command connection come back in
 * order).
 *
 * Refreshes of one shelter are in table_refresh.c.
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

/* Entries sorted by id. */
struct tab {
	struct shelter **v;
	size_t n, cap;
};

static struct tab live;

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
/* An entry: its last change's generation, the shelter to its last pool. */
struct entry {
	uint64_t gen;
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

static void table_entries_free(void);

static int
table_cmp(const void *a, const void *b)
{
	const struct shelter *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* Index of id in t, or of where it would go (*found false). */
static size_t
table_find_in(const struct tab *t, const char *id, bool *found)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->v[mid]->id, id);
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
	struct sh_error err;

	if (model_shelter_parse(obj, NULL, MODEL_STORED, &tmp, &err) == -1) {
		log_warnx("table: stored shelter %s refused: %s",
		    json_string_value(json_object_get(obj, "id"))
		        ? json_string_value(json_object_get(obj, "id"))
		        : "?",
		    err.message);
		return NULL;
	}
	return table_entry_new(&tmp);
}

/* The bytes of a string element of r (nil: absent). */
static struct model_text
table_text(const redisReply *r)
{
	if (r->type != REDIS_REPLY_STRING)
		return (struct model_text){NULL, 0};
	return (struct model_text){r->str, r->len};
}

/*
 * One shelter of a row page (shd_shelter_rows): its fields, then its
 * pools' counts; or {T}, its JSON form. A new allocation, or NULL (logged)
 * when it does not read.
 */
static struct shelter *
table_parse_row(const redisReply *row)
{
	static struct shelter tmp; /* the loop is single-threaded */
	struct model_text f[MODEL_ROW_N + MODEL_POOL_MAX * MODEL_ROW_POOL_N];
	struct sh_error err;
	struct shelter *s;
	json_t *obj;
	size_t i;

	if (row->type != REDIS_REPLY_ARRAY)
		return NULL;
	if (row->elements == 1 && row->element[0]->type == REDIS_REPLY_STRING) {
		/* Stored before the packed form: its JSON. */
		if ((obj = json_loadb(row->element[0]->str,
		         row->element[0]->len, 0, NULL)) == NULL) {
			log_warnx("table: a stored shelter is not JSON");
			return NULL;
		}
		if ((s = table_parse(obj)) != NULL)
			table_tabs_note(s);
		json_decref(obj);
		return s;
	}
	if (row->elements < MODEL_ROW_N ||
	    row->elements > sizeof f / sizeof f[0]) {
		log_warnx("table: a shelter row of %zu fields", row->elements);
		return NULL;
	}
	for (i = 0; i < row->elements; i++)
		f[i] = table_text(row->element[i]);
	if (model_shelter_row(f, f + MODEL_ROW_N, row->elements - MODEL_ROW_N,
	        &tmp, &err) == -1) {
		log_warnx("table: stored shelter %s refused: %s: %s",
		    tmp.id[0] != '\0' ? tmp.id : "?", err.field, err.message);
		return NULL;
	}
	return table_entry_new(&tmp);
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
	tswapped = ++tgen;
	changes_all(&recent, tgen);
	live_index_stale = true;
	live.v = v;
	live.n = n;
	live.cap = cap ? cap : 1;
	log_debug("table: loaded %zu shelters", n);
	return 0;
}

/* Only the counts of s changed (model_shelter_put_counts): 0, or -1. */
static int
table_put_counts(struct shelter *s, const json_t *obj)
{
	if (model_shelter_put_counts(s, obj) == -1)
		return -1;
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
	struct shelter **v;
	size_t i, cap;
	bool found;

	i = table_find_in(t, s->id, &found);
	if (found) {
		table_shelter_free(t->v[i]);
		t->v[i] = s;
		if (t == &live && !live_index_stale)
			match_index_set(&live_index, i, s);
		return 0;
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((v = reallocarray(t->v, cap, sizeof *v)) == NULL) {
			log_warn("table: realloc");
			table_shelter_free(s);
			return -1;
		}
		t->v = v;
		t->cap = cap;
	}
	memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof *t->v);
	t->v[i] = s;
	t->n++;
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

	i = table_find_in(t, id, &found);
	if (!found)
		return;
	tgen++;
	table_shelter_free(t->v[i]);
	memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof *t->v);
	t->n--;
	if (t == &live)
		live_index_stale = true;
}

/* A reload in flight has loaded id already: it must see changes too. */
static bool
table_reload_has(const char *id)
{
	return rl.running && rl.after[0] != '\0' && strcmp(id, rl.after) <= 0;
}

/* Put obj into the reload's pages when they hold its id already. */
static void
table_reload_put(const json_t *obj, const char *id)
{
	struct shelter *s;
	size_t i;
	bool found;

	if (id == NULL || !table_reload_has(id))
		return;
	i = table_find_in(&rl.next, id, &found);
	if (found && table_put_counts(rl.next.v[i], obj) == 0)
		return;
	if ((s = table_parse(obj)) != NULL)
		table_insert(&rl.next, s);
}

/*
 * Insert or replace one shelter from its live JSON. Returns 0, or -1 when
 * it does not parse (logged) or on ENOMEM; the table is then unchanged.
 */
int
table_put_json(const json_t *obj)
{
	struct shelter *s;
	const char *id = json_string_value(json_object_get(obj, "id"));
	size_t i;
	bool found;

	table_reload_put(obj, id);
	if (id != NULL) {
		i = table_find_in(&live, id, &found);
		if (found && table_put_counts(live.v[i], obj) == 0) {
			table_index_counts(i);
			return 0;
		}
	}
	if ((s = table_parse(obj)) == NULL)
		return -1;
	return table_insert(&live, s);
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

	i = table_find_in(t, id, &found);
	return found ? t->v[i] : NULL;
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
	if (table_reload_has(id) && (s = table_get_in(&rl.next, id)) != NULL)
		for (k = 0; k < s->npools; k++)
			if (strcmp(s->pools[k].name, pool) == 0 &&
			    s->pools[k].held + dheld >= 0) {
				s->pools[k].held += dheld;
				table_touch(s);
			}
	i = table_find_in(&live, id, &found);
	if (!found)
		return -1;
	s = live.v[i];
	for (k = 0; k < s->npools; k++)
		if (strcmp(s->pools[k].name, pool) == 0) {
			if (s->pools[k].held + dheld < 0)
				return -1;
			s->pools[k].held += dheld;
			table_touch(s);
			table_index_counts(i);
			return 0;
		}
	return -1;
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
		table_entries_free();
		live = rl.next;
		live_index_stale = true;
		memset(&rl.next, 0, sizeof rl.next);
		/* Parsed before changes to the old table: all new now. */
		tswapped = ++tgen;
		changes_all(&recent, tgen);
		for (i = 0; i < live.n; i++)
			table_entry(live.v[i])->gen = tgen;
		log_debug("table: loaded %zu shelters", live.n);
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

/* The marks of the first page (an array of ids) into rl: 0, or -1. */
static int
table_marks_keep(const redisReply *m)
{
	size_t i;

	if (m->type != REDIS_REPLY_ARRAY || m->elements == 0)
		return 0;
	if ((rl.marks = calloc(m->elements, sizeof *rl.marks)) == NULL) {
		log_warn("table: calloc");
		return -1;
	}
	for (i = 0; i < m->elements; i++) {
		if (m->element[i]->type != REDIS_REPLY_STRING ||
		    m->element[i]->len > MODEL_ID_MAX)
			return -1;
		memcpy(rl.marks[i], m->element[i]->str, m->element[i]->len);
	}
	rl.nmarks = m->elements;
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
	if (first && more && table_marks_keep(reply->element[1]) == -1) {
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

	for (i = 0; i < live.n; i++)
		table_shelter_free(live.v[i]);
	free(live.v);
	live.v = NULL;
	live.n = live.cap = 0;
	live_index_stale = true;
}

/* Free every shelter and the scratch result. */
void
table_free(void)
{
	table_entries_free();
	table_tab_free(&rl.next);
	free(rl.w);
	free(rl.marks);
	memset(&rl, 0, sizeof rl);
	table_tabs_free();
	match_result_free(&scratch);
	match_index_free(&live_index);
	changes_all(&recent, tgen);
}
