/*
 * events.c: the events stream fanned out to subscribers, with `since`
 * replay (docs/protocol.md "Events").
 *
 * Each subscriber remembers the last id it was sent and never gets an id
 * at or below it. A subscribe first reads the newest id, then replays from
 * `since` (or from that id) in pages while live events skip it; when a page
 * comes back and the tail has delivered beyond the replay, it reads again,
 * and only then goes live. So nothing is lost or repeated between replay
 * and live.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/evid.h"
#include "shelter/rpc.h"
#include "shelter/vocab.h"

#include "call.h"
#include "alerts.h"
#include "caller.h"
#include "clock.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "placement.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define EVENTS_PAGE 500
/* How often a paused replay looks whether the output has drained. */
#define EVENTS_DRAIN_POLL_MS 20

struct sub {
	LIST_ENTRY(sub) entry;
	struct caller *c;   /* NULL once the caller has gone */
	unsigned topics;    /* VOCAB_TOPIC_BIT bits */
	unsigned adding;    /* topics of the subscribe in progress */
	struct evid last;   /* the last id sent */
	struct evid cursor; /* replay: the last id read */
	bool has_since;
	bool replaying;     /* live events skip it */
	bool more;          /* the last page was full */
	bool empty_read;    /* the last page was empty */
	bool busy;          /* a store callback is pending: it owns the sub */
	struct event *wait; /* replay paused until the output drains */
	struct call *call;  /* the subscribe waiting for the newest id */
};

static LIST_HEAD(, sub) subs = LIST_HEAD_INITIALIZER(subs);

/* May this subscriber see an event of topic bit t about shelter? */
static bool
events_visible(const struct sub *s, unsigned t, const char *shelter)
{
	enum role role = caller_role(s->c);

	if ((s->topics & t) == 0 || (vocab_role_topics(role) & t) == 0)
		return false;
	if (role == ROLE_SHELTER)
		return shelter != NULL && strcmp(shelter, s->c->shelter) == 0;
	return true;
}

static json_t *
events_message(const struct store_event *ev)
{
	json_t *data = json_loadb(ev->data, ev->data_len, 0, NULL);

	if (data == NULL) {
		log_warnx("event %s: data is not JSON", ev->id);
		data = json_null();
	}
	return rpc_notification("event",
	    json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", ev->id, "topic",
	        ev->topic, "type", ev->type, "at", ev->at != NULL ? ev->at : "",
	        "data", data));
}

static json_t *
events_topics_json(unsigned topics)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < VOCAB_TOPIC_COUNT; i++)
		if (topics & VOCAB_TOPIC_BIT(i))
			json_array_append_new(
			    a, json_string(vocab_topic_name((int)i)));
	return a;
}

static void
events_sub_free(struct sub *s)
{
	if (s->c != NULL) {
		s->c->sub = NULL;
		LIST_REMOVE(s, entry);
	}
	if (s->wait != NULL)
		event_free(s->wait);
	free(s);
}

/* Detach a subscriber that cannot keep up; it resumes with since. */
static void
events_sub_drop(struct sub *s, const char *why)
{
	struct caller *c = s->c;

	metrics_counters.subscribers_dropped++;
	log_info("subscriber dropped (%s); it may resume with since", why);
	events_sub_free(s);
	if (c != NULL)
		c->ops->close(c);
}

/*
 * Send ev to s when visible and newer than what it had. *msg is built on
 * first use and reused. -1 when the subscriber was dropped.
 */
static int
events_sub_push(struct sub *s, const struct store_event *ev, json_t **msg)
{
	struct evid id;

	if (evid_parse(ev->id, &id) == -1 || evid_cmp(&id, &s->last) <= 0)
		return 0;
	if (!events_visible(s, vocab_topic_bit(ev->topic), ev->shelter))
		return 0;
	if (*msg == NULL && (*msg = events_message(ev)) == NULL)
		return 0;
	if (s->c->ops->send(s->c, *msg) == -1) {
		events_sub_drop(s, "output over limits.output_buffer_bytes");
		return -1;
	}
	s->last = id;
	metrics_counters.events_pushed++;
	return 0;
}

static void events_page(const struct store_event *evs, size_t n,
    const struct sh_error *err, void *arg);
static void events_sub_replay(struct sub *s);

static void
events_sub_drained(evutil_socket_t fd, short what, void *arg)
{
	struct sub *s = arg;
	struct timeval tv = {0, EVENTS_DRAIN_POLL_MS * 1000};

	if (!s->c->ops->writable(s->c)) {
		evtimer_add(s->wait, &tv);
		return;
	}
	s->more = true;
	events_sub_replay(s);
}

/* Pause the replay until the subscriber has read what it was sent. */
static void
events_sub_wait_drain(struct sub *s)
{
	struct timeval tv = {0, EVENTS_DRAIN_POLL_MS * 1000};

	if (s->wait == NULL &&
	    (s->wait = evtimer_new(sd.base, events_sub_drained, s)) == NULL) {
		events_sub_drop(s, "out of memory");
		return;
	}
	evtimer_add(s->wait, &tv);
}

/* Read the next page, or go live when the replay has caught the tail. */
static void
events_sub_replay(struct sub *s)
{
	struct evid tail;
	struct sh_error err;
	char from[EVID_STRLEN];

	if (!s->more &&
	    (evid_parse(store_tail_last_id(), &tail) == -1 ||
	        evid_cmp(&tail, &s->cursor) <= 0)) {
		s->replaying = false;
		s->busy = false;
		return;
	}
	evid_format(&s->cursor, from, sizeof from);
	s->busy = true;
	if (store_events_after(from, EVENTS_PAGE, events_page, s, &err) == -1) {
		s->busy = false;
		events_sub_drop(s, err.message);
	}
}

static void
events_page(const struct store_event *evs, size_t n, const struct sh_error *err,
    void *arg)
{
	struct sub *s = arg;
	json_t *msg;
	size_t i;

	s->busy = false;
	if (s->c == NULL) {
		events_sub_free(s);
		return;
	}
	if (err != NULL) {
		events_sub_drop(s, err->message);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!s->c->ops->writable(s->c)) {
			/* Read the rest again once it has drained. */
			events_sub_wait_drain(s);
			return;
		}
		msg = NULL;
		if (events_sub_push(s, &evs[i], &msg) == -1) {
			json_decref(msg);
			return;
		}
		json_decref(msg);
		evid_parse(evs[i].id, &s->cursor);
	}
	if (n == 0 && s->empty_read) {
		/* Twice nothing after the cursor although the tail has passed
		 * it (entries deleted from the stream): go live. */
		s->replaying = false;
		return;
	}
	/*
	 * The tail reads on its own connection: it may have delivered (and
	 * this replaying subscriber skipped) an event written after this
	 * page was read. events_sub_replay reads again when the tail is
	 * past the cursor, also after an empty page.
	 */
	s->empty_read = n == 0;
	s->more = n == EVENTS_PAGE;
	events_sub_replay(s);
}

/* The newest id came back: answer the subscribe, then replay. */
static void
events_last(const struct store_event *evs, size_t n, const struct sh_error *err,
    void *arg)
{
	struct sub *s = arg;
	struct call *call = s->call;
	struct evid last = {0, 0};
	char lastbuf[48] = "0-0";

	s->call = NULL;
	s->busy = false;
	if (s->c == NULL || err != NULL) {
		unsigned keep = s->c != NULL ? s->topics : 0;

		if (err != NULL)
			call_error(call, err);
		else
			call_reply(call, json_object());
		if (keep == 0)
			events_sub_free(s);
		return;
	}
	if (n > 0 && evs[0].id != NULL && evid_parse(evs[0].id, &last) == 0)
		snprintf(lastbuf, sizeof lastbuf, "%s", evs[0].id);
	s->topics |= s->adding;
	s->adding = 0;
	call_reply(call,
	    json_pack("{s:o, s:s}", "topics", events_topics_json(s->topics),
	        "last_id", lastbuf));
	if (!s->has_since)
		s->cursor = last;
	if (evid_cmp(&s->last, &s->cursor) < 0)
		s->last = s->cursor;
	s->more = s->has_since;
	s->empty_read = false;
	s->replaying = true;
	events_sub_replay(s);
}

/*
 * Check params.topics: a non-empty array of known topic names the role may
 * see. Returns the bits, or 0 with the call ended.
 */
static unsigned
events_parse_topics(struct call *call, bool check_role)
{
	json_t *topics = json_object_get(call->params, "topics"), *t;
	unsigned bits = 0, bit, allowed = vocab_role_topics(call->role);
	char field[32];
	size_t i;

	if (!json_is_array(topics) || json_array_size(topics) == 0) {
		call_errorf(call, SH_INVALID_PARAMS,
		    topics ? "invalid_field" : "missing_field", "topics",
		    "must be a non-empty array of topics");
		return 0;
	}
	/* The role check comes before the params check. */
	json_array_foreach(topics, i, t)
	{
		bit = json_is_string(t) ? vocab_topic_bit(json_string_value(t))
		                        : 0;
		if (check_role && bit != 0 && (allowed & bit) == 0) {
			call_errorf(call, SH_FORBIDDEN, "role", NULL,
			    "topic %s is not allowed for role %s",
			    json_string_value(t), config_role_name(call->role));
			return 0;
		}
	}
	json_array_foreach(topics, i, t)
	{
		snprintf(field, sizeof field, "topics.%zu", i);
		if (!json_is_string(t)) {
			call_errorf(call, SH_INVALID_PARAMS, "invalid_field",
			    field, "must be a string");
			return 0;
		}
		if ((bit = vocab_topic_bit(json_string_value(t))) == 0) {
			call_errorf(call, SH_INVALID_PARAMS, "invalid_field",
			    field, "unknown topic (" VOCAB_TOPIC_LIST ")");
			return 0;
		}
		bits |= bit;
	}
	return bits;
}

/* session.subscribe {topics, since?}: see docs/protocol.md "Methods". */
void
events_subscribe(struct call *call)
{
	json_t *since = json_object_get(call->params, "since");
	struct caller *c = call->caller;
	struct sh_error err;
	struct evid from = {0, 0};
	struct sub *s;
	unsigned bits;

	if ((bits = events_parse_topics(call, true)) == 0)
		return;
	if (since != NULL &&
	    (!json_is_string(since) ||
	        evid_parse(json_string_value(since), &from) == -1)) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "since",
		    "must be an event id (MS-SEQ)");
		return;
	}
	if (c == NULL) {
		call_reply(call, json_object());
		return;
	}
	if ((s = c->sub) != NULL && (s->busy || s->replaying)) {
		/* A replay is running: add the topics to it. */
		s->topics |= bits;
		call_reply(call,
		    json_pack("{s:o, s:s}", "topics",
		        events_topics_json(s->topics), "last_id",
		        store_tail_last_id()));
		return;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof *s)) == NULL) {
			call_errorf(call, SH_INTERNAL, "internal", NULL,
			    "out of memory");
			return;
		}
		s->c = c;
		c->sub = s;
		LIST_INSERT_HEAD(&subs, s, entry);
	}
	s->adding = bits;
	s->has_since = since != NULL;
	s->cursor = from;
	s->call = call;
	s->busy = true;
	if (store_events_last(events_last, s, &err) == -1) {
		s->call = NULL;
		s->busy = false;
		if (s->topics == 0)
			events_sub_free(s);
		call_error(call, &err);
	}
}

/* session.unsubscribe {topics}: -> {topics} still subscribed. */
void
events_unsubscribe(struct call *call)
{
	struct sub *s = call->caller != NULL ? call->caller->sub : NULL;
	unsigned bits, left = 0;

	if ((bits = events_parse_topics(call, false)) == 0)
		return;
	if (s != NULL) {
		s->topics &= ~bits;
		s->adding &= ~bits;
		left = s->topics;
		if (left == 0 && !s->busy)
			events_sub_free(s);
	}
	call_reply(
	    call, json_pack("{s:o}", "topics", events_topics_json(left)));
}

/* The test clock moved (maybe by another daemon): follow the store's
 * offset and run what the timers would at the new time. */
static void
events_clock_checked(json_t *result, const struct sh_error *err, void *arg)
{
}

static void
events_clock(const struct store_event *ev)
{
	struct sh_error err;
	json_t *d = json_loadb(ev->data, ev->data_len, 0, NULL);
	json_t *off = json_object_get(d, "offset_ms");

	if (json_is_integer(off) && json_integer_value(off) > clock_offset_ms())
		clock_set_offset_ms(json_integer_value(off));
	json_decref(d);
	placement_sweep_now();
	if (alerts_run(events_clock_checked, NULL, &err) == -1)
		log_debug("events: time checks not run: %s", err.message);
}

/*
 * The table takes ev, an event of type t about a shelter, by its cseq
 * (table_event: held already, or the counts of a capacity.changed that
 * moved only counts): 1 when a place may have come free, 0 when places
 * were only taken, -1 when it must reload the shelter.
 */
static int
events_table(const struct store_event *ev, int t)
{
	json_t *counts = NULL;
	int rc;

	if (ev->cseq <= 0)
		return -1;
	/* The data only when the table may take it (not held already). */
	if (ev->counts && t == VOCAB_EVENT_CAPACITY_CHANGED &&
	    ev->cseq > table_cseq(ev->shelter))
		counts = json_loadb(ev->data, ev->data_len, 0, NULL);
	rc = table_event(ev->shelter, ev->cseq, counts);
	json_decref(counts);
	return rc;
}

/*
 * What ev does to this instance (its row of lib/vocab.c): reload or drop
 * its shelter in the table (or take its counts), wake the waitlist.
 * Events on the internal _shelter topic only do that; an unknown type
 * there is a reload, as a shelter document changed. A capacity.changed
 * that only took places (a hold, an arrival: table_event) wakes nobody:
 * under a stream of submits every hold would start a pass in vain, and
 * the pass a freed place needs would queue behind them.
 */
static void
events_apply(const struct store_event *ev, bool internal)
{
	int t = vocab_event_parse(ev->type);
	const struct vocab_event_def *d = vocab_event(t);
	unsigned fx = d != NULL ? d->effects
	    : internal          ? VOCAB_EFFECT_REFRESH
	                        : 0;
	bool has_shelter = ev->shelter != NULL && ev->shelter[0] != '\0';
	int rc;

	/* Only holds and arrivals (counts alone) leave the waitlist as the
	 * last event said; any other event may have changed it. */
	if (!(t == VOCAB_EVENT_CAPACITY_CHANGED && ev->counts))
		placement_hint(
		    has_shelter ? ev->shelter : NULL, ev->cseq, ev->wver);
	/* Only holds and arrivals (counts alone) leave the waitlist as the
	 * last event said; any other event may have changed it. */
	if (!(t == VOCAB_EVENT_CAPACITY_CHANGED && ev->counts))
		placement_hint(
		    has_shelter ? ev->shelter : NULL, ev->cseq, ev->wver);
	if (has_shelter && (fx & VOCAB_EFFECT_REMOVE))
		table_remove(ev->shelter);
	else if (has_shelter && (fx & VOCAB_EFFECT_REFRESH)) {
		if ((rc = events_table(ev, t)) == -1)
			table_refresh(ev->shelter);
		else if (rc == 0 && t == VOCAB_EVENT_CAPACITY_CHANGED)
			fx &= ~VOCAB_EFFECT_WAKE;
	}
	if ((fx & VOCAB_EFFECT_WAKE) && !internal)
		placement_wake();
	else if ((fx & VOCAB_EFFECT_SETTLE) && !internal)
		placement_settle();
	if (fx & VOCAB_EFFECT_CLOCK)
		events_clock(ev);
}

/* From the store's tail: see events.h. */
void
events_on_event(const struct store_event *ev, void *arg)
{
	struct sub *s, *next;
	json_t *msg = NULL;

	if (ev->topic == NULL)
		return;
	if (vocab_topic_parse(ev->topic) == VOCAB_TOPIC_SHELTER) {
		events_apply(ev, true);
		return;
	}
	events_apply(ev, false);
	for (s = LIST_FIRST(&subs); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (s->c != NULL && !s->replaying)
			events_sub_push(s, ev, &msg);
	}
	json_decref(msg);
}

/* A caller is going away: see events.h. */
void
events_caller_gone(struct caller *c)
{
	struct sub *s = c->sub;

	if (s == NULL)
		return;
	c->sub = NULL;
	LIST_REMOVE(s, entry);
	s->c = NULL;
	if (!s->busy)
		events_sub_free(s);
}

/* Subscribers now: see events.h. */
int
events_nsubscribers(void)
{
	struct sub *s;
	int n = 0;

	LIST_FOREACH(s, &subs, entry)
	{
		n++;
	}
	return n;
}

/* Start tailing: see events.h. */
void
events_start(void)
{
	store_tail("$", events_on_event, NULL);
}
