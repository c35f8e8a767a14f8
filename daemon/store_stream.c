/*
 * store_stream.c: the events stream. Range reads (XRANGE, XREVRANGE) go on
 * the cmd connection; the tail (XREAD BLOCK) has the tail connection to
 * itself and resumes after the last id it delivered when it reconnects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shelterd.h"
#include "store.h"
#include "store_internal.h"

/* A number macro as a string literal, for command arguments. */
#define STORE_STR_(x) #x
#define STORE_STR(x)  STORE_STR_(x)

/* One stream entry [id, [field, value, ...]] into ev (borrowed): 0 or -1. */
static int
store_entry(const redisReply *e, struct store_event *ev)
{
	const redisReply *f;
	size_t i;

	memset(ev, 0, sizeof *ev);
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	ev->id = e->element[0]->str;
	ev->topic = ev->type = ev->shelter = ev->at = ev->data = "";
	ev->wver = -1;
	f = e->element[1];
	for (i = 0; i + 1 < f->elements; i += 2) {
		const redisReply *k = f->element[i], *v = f->element[i + 1];

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "topic") == 0)
			ev->topic = v->str;
		else if (strcmp(k->str, "type") == 0)
			ev->type = v->str;
		else if (strcmp(k->str, "shelter") == 0)
			ev->shelter = v->str;
		else if (strcmp(k->str, "at") == 0)
			ev->at = v->str;
		else if (strcmp(k->str, "data") == 0) {
			ev->data = v->str;
			ev->data_len = v->len;
		} else if (strcmp(k->str, "cseq") == 0)
			ev->cseq = strtoll(v->str, NULL, 10);
		else if (strcmp(k->str, "counts") == 0)
			ev->counts = strcmp(v->str, "1") == 0;
		else if (strcmp(k->str, "wver") == 0)
			ev->wver = strtoll(v->str, NULL, 10);
	}
	return 0;
}

/* An array of entries into a new array of events (caller frees). */
static int
store_entries(const redisReply *r, struct store_event **out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	if (r->elements == 0)
		return 0;
	if ((*out = calloc(r->elements, sizeof **out)) == NULL)
		return -1;
	for (i = 0; i < r->elements; i++)
		if (store_entry(r->element[i], &(*out)[*n]) == 0)
			(*n)++;
	return 0;
}

static void
store_range_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	struct store_event *evs;
	struct sh_error err;
	size_t n;

	store_pending_done(p, reply);
	if (reply == NULL) {
		store_unavailable(&err);
		p->rcb(NULL, 0, &err, p->arg);
	} else if (reply->type == REDIS_REPLY_ERROR ||
	    store_entries(reply, &evs, &n) == -1) {
		log_warnx("store: reading the events stream failed");
		store_internal(&err);
		p->rcb(NULL, 0, &err, p->arg);
	} else {
		p->rcb(evs, n, NULL, p->arg);
		free(evs);
	}
	free(p);
}

static int
store_range(int argc, const char **argv, store_range_cb *cb, void *arg,
    struct sh_error *err)
{
	struct pending *p;

	if (!store_st.up || store_st.cmd == NULL)
		return store_unavailable(err);
	if ((p = store_pending_new(PK_RANGE)) == NULL) {
		store_internal(err);
		return -1;
	}
	p->rcb = cb;
	p->arg = arg;
	if (store_send(p, store_range_reply_cb, argc, argv, NULL) == -1)
		return store_unavailable(err);
	return 0;
}

/* At most count events after id (exclusive), oldest first. */
int
store_events_after(const char *id, size_t count, store_range_cb *cb, void *arg,
    struct sh_error *err)
{
	char key[256], start[STORE_ID_MAX + 2], cnt[24];
	const char *argv[] = {"XRANGE", key, start, "+", "COUNT", cnt};

	store_events_key(key, sizeof key);
	snprintf(start, sizeof start, "(%s", id);
	snprintf(cnt, sizeof cnt, "%zu", count > 0 ? count : 1);
	return store_range(6, argv, cb, arg, err);
}

/* The newest event (n == 1, its id set), or n == 0 when the stream is
 * empty. */
int
store_events_last(store_range_cb *cb, void *arg, struct sh_error *err)
{
	char key[256];
	const char *argv[] = {"XREVRANGE", key, "+", "-", "COUNT", "1"};

	store_events_key(key, sizeof key);
	return store_range(6, argv, cb, arg, err);
}

static void store_tail_next(void);

static void
store_tail_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r, *entries;
	struct store_event ev;
	size_t i;

	store_st.tail_inflight = false;
	if (reply == NULL || ac != store_st.tail)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: tailing the events stream failed");
		store_drop("tail");
		return;
	}
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements == 2) {
		entries = reply->element[0]->element[1];
		for (i = 0; i < entries->elements; i++) {
			if (store_entry(entries->element[i], &ev) == -1)
				continue;
			snprintf(store_st.tail_pos, sizeof store_st.tail_pos,
			    "%s", ev.id);
			if (store_st.tail_cb != NULL)
				store_st.tail_cb(&ev, store_st.tail_arg);
		}
	}
	store_tail_next();
}

/* Send the next XREAD when the tail is on, up and idle (also the hook
 * store.c calls when the connections come up). */
static void
store_tail_next(void)
{
	char key[256];
	const char *xread[] = {"XREAD", "BLOCK", STORE_STR(STORE_TAIL_BLOCK_MS),
	    "COUNT", STORE_STR(STORE_TAIL_COUNT), "STREAMS", key,
	    store_st.tail_pos};

	if (!store_st.tail_on || !store_st.up || store_st.tail == NULL ||
	    store_st.tail_inflight)
		return;
	/* "$" becomes the newest id of this connect: from then on the tail
	 * has a real position, so a reconnect resumes without a gap. */
	if (strcmp(store_st.tail_pos, "$") == 0)
		snprintf(store_st.tail_pos, sizeof store_st.tail_pos, "%s",
		    store_st.newest);
	store_events_key(key, sizeof key);
	if (redisAsyncCommandArgv(store_st.tail, store_tail_cb, NULL, 8, xread,
	        NULL) != REDIS_OK) {
		store_drop("tail");
		return;
	}
	store_st.tail_inflight = true;
	store_st.tail_sent_us = clock_mono_us();
}

/*
 * Deliver every event after from_id ("$": from now) to cb, in order, across
 * reconnects. Calling it again replaces the callback and the position.
 */
void
store_tail(const char *from_id, store_event_cb *cb, void *arg)
{
	store_st.tail_on = true;
	store_st.tail_up = store_tail_next;
	store_st.tail_cb = cb;
	store_st.tail_arg = arg;
	snprintf(store_st.tail_pos, sizeof store_st.tail_pos, "%s",
	    from_id != NULL ? from_id : "$");
	store_tail_next();
}

/*
 * The id of the newest event the tail has passed: the last one it
 * delivered, or before any, the id it started after (for "$" the stream's
 * newest id when it started). "0-0" before the tail has started.
 */
const char *
store_tail_last_id(void)
{
	return strcmp(store_st.tail_pos, "$") == 0 ? "0-0" : store_st.tail_pos;
}
