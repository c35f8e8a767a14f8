/*
 * http_sse.c: GET /events?topics=a,b, Server-Sent Events (PROTOCOL.md
 * "HTTP").
 *
 * A stream is a long-lived struct caller. Opening it dispatches a
 * session.subscribe {topics, since?} call for it, through the same
 * dispatch and events.c code as a socket: the same role checks, the same
 * replay-then-live without gap or repeat. `since` is the Last-Event-ID
 * header (a browser's EventSource sends it when it reconnects), else the
 * ?since= parameter. The subscribe's error is the HTTP answer (401, 403,
 * 400, 429, 503 with the JSON-RPC error as the body); its success starts
 * the stream, and every event is one frame `id: EVENT_ID` / `data: the
 * event notification's params`. A comment line every SSE_BEAT_S keeps
 * proxies from closing an idle stream, and ends a stream whose session
 * has gone (logout, idle timeout). Over limits.output_buffer_bytes the
 * subscriber is dropped as on a socket (events.c closes it); it resumes
 * with Last-Event-ID. A query that does not parse, another parameter, or
 * `topics` or `since` twice is refused (400, invalid_field, unknown_field
 * or duplicate_key) before the subscribe, as are two Authorization or
 * Last-Event-ID headers (http_header_repeated). A HEAD runs the same
 * subscribe and gets its answer's status and headers, no body and no
 * stream: the subscription ends with the request.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "shelter/rpc.h"

#include "caller.h"
#include "dispatch.h"
#include "http_internal.h"
#include "log.h"
#include "shelterd.h"

#define SSE_BEAT_S 15
#define SSE_ID_MAX 48 /* a stream id's text, and room to spare */

struct sse {
	struct caller caller; /* first */
	LIST_ENTRY(sse) entry;
	struct evhttp_request *req; /* NULL once it is not ours */
	struct event *beat;
	char sid[65];           /* the session, or "" for a Bearer token */
	char since[SSE_ID_MAX]; /* the replay's start asked for, or "" */
	bool head;    /* HEAD: the subscribe's answer without a stream */
	bool started; /* the 200 and the stream headers went out */
	bool dead;    /* freed at the next safe point */
};

static LIST_HEAD(, sse) streams = LIST_HEAD_INITIALIZER(streams);
static struct event *reap_ev;
static int nstreams;

static void
sse_free(struct sse *s)
{
	LIST_REMOVE(s, entry);
	nstreams--;
	dispatch_caller_gone(&s->caller);
	if (s->beat != NULL)
		event_free(s->beat);
	free(s);
}

static void
sse_reap(evutil_socket_t fd, short what, void *arg)
{
	struct sse *s, *next;

	for (s = LIST_FIRST(&streams); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (s->dead)
			sse_free(s);
	}
}

/* Forget the request (ending the stream when it is still ours), and free
 * s at the next safe point. */
static void
sse_kill(struct sse *s, bool end)
{
	struct evhttp_connection *evcon;

	if (s->req != NULL &&
	    (evcon = evhttp_request_get_connection(s->req)) != NULL)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (s->req != NULL && end)
		evhttp_send_reply_end(s->req);
	s->req = NULL;
	if (s->beat != NULL)
		event_del(s->beat);
	s->dead = true;
	if (reap_ev == NULL)
		reap_ev = event_new(sd.base, -1, 0, sse_reap, NULL);
	if (reap_ev != NULL)
		event_active(reap_ev, EV_TIMEOUT, 0);
}

static size_t
sse_outlen(const struct sse *s)
{
	struct evhttp_connection *evcon;
	struct bufferevent *bev;

	if (s->req == NULL ||
	    (evcon = evhttp_request_get_connection(s->req)) == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(bev));
}

/* Append text to the stream. */
static void
sse_write(struct sse *s, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		return;
	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

static void
sse_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct sse *s = arg;

	/* Detached from a closing connection, the request is ours to free
	 * (evhttp_send_reply_end does); attached, evhttp frees it. */
	if (s->req != NULL && evhttp_request_get_connection(s->req) != NULL)
		s->req = NULL;
	sse_kill(s, true);
}

static void
sse_beat(evutil_socket_t fd, short what, void *arg)
{
	struct sse *s = arg;

	if (s->dead || s->req == NULL)
		return;
	if (s->sid[0] != '\0' && !http_session_alive(s->sid)) {
		log_debug("%s: session gone, stream closed", s->caller.peer);
		sse_kill(s, true);
		return;
	}
	if (sse_outlen(s) <= sd.cfg->output_buffer_bytes)
		sse_write(s, ": beat\n\n", 8);
}

/* The headers of a stream, before its 200. */
static void
sse_headers(struct evhttp_request *req)
{
	http_headers(req, "text/event-stream; charset=utf-8");
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "X-Accel-Buffering", "no");
}

/* The subscribe answered: start the stream, or answer its error. A HEAD
 * gets the stream's headers without it (and without Content-Length, as the
 * stream has none); its subscription goes with s. */
static void
sse_answer(struct sse *s, const json_t *msg)
{
	json_t *err = json_object_get(msg, "error");
	struct evhttp_connection *evcon;
	struct timeval tv = {SSE_BEAT_S, 0};
	const char *last;
	char buf[160];
	int code, status = 400;

	if (s->started || s->dead || s->req == NULL)
		return;
	if (msg == NULL || err != NULL || s->head) {
		if ((evcon = evhttp_request_get_connection(s->req)) != NULL)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
		code = (int)json_integer_value(json_object_get(err, "code"));
		status = code == -32001 ? 401
		    : code == -32003    ? 403
		    : code == -32029    ? 429
		    : code == -32010    ? 503
		    : code == -32603    ? 500
		                        : 400;
		if (msg == NULL) {
			http_send(s->req, 500, NULL, NULL);
		} else if (err != NULL) {
			http_send_json(s->req, status, msg);
		} else {
			sse_headers(s->req);
			evhttp_send_reply(s->req, 200, "OK", NULL);
		}
		s->req = NULL;
		sse_kill(s, false);
		return;
	}
	s->started = true;
	sse_headers(s->req);
	evhttp_send_reply_start(s->req, 200, "OK");
	if ((evcon = evhttp_request_get_connection(s->req)) != NULL) {
		/* The stream is idle by nature: only writes may time out. */
		evhttp_connection_set_timeout(evcon, 86400);
	}
	/* The stream's first id: where the replay starts, else the last
	 * event before it. So EventSource's Last-Event-ID resumes a stream
	 * dropped before its first event from there, not from the live end
	 * (then the events of the drop were lost). */
	last = json_string_value(
	    json_object_get(json_object_get(msg, "result"), "last_id"));
	if (last == NULL)
		last = "0-0";
	snprintf(buf, sizeof buf, "retry: 2000\nid: %s\n: last_id %s\n\n",
	    s->since[0] != '\0' ? s->since : last, last);
	sse_write(s, buf, strlen(buf));
	if ((s->beat = event_new(sd.base, -1, EV_PERSIST, sse_beat, s)) != NULL)
		event_add(s->beat, &tv);
}

/* caller_ops.end_call: session.subscribe's answer is always a message
 * (a result in text only comes from request.submit; it would be a 500). */
static void
sse_end_call(struct caller *c, const struct rpc_reply *r)
{
	sse_answer((struct sse *)c, r != NULL ? r->msg : NULL);
}

/* caller_ops.send: an event frame (or an early error response). */
static int
sse_send(struct caller *c, const json_t *msg)
{
	struct sse *s = (struct sse *)c;
	json_t *params = json_object_get(msg, "params");
	const char *id;
	struct evbuffer *b;
	char *data;

	if (!s->started) {
		if (json_object_get(msg, "method") == NULL)
			sse_answer(s, msg);
		return 0;
	}
	if (s->dead || s->req == NULL)
		return 0;
	if (sse_outlen(s) > sd.cfg->output_buffer_bytes)
		return -1;
	id = json_string_value(json_object_get(params, "id"));
	if (id == NULL || (data = json_dumps(params, RPC_DUMP_FLAGS)) == NULL)
		return 0;
	if ((b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "id: %s\ndata: %s\n\n", id, data);
		evhttp_send_reply_chunk(s->req, b);
		evbuffer_free(b);
	}
	free(data);
	return 0;
}

static bool
sse_writable(const struct caller *c)
{
	const struct sse *s = (const struct sse *)c;

	return s->started && !s->dead && s->req != NULL &&
	    sse_outlen(s) < sd.cfg->output_buffer_bytes / 2;
}

static void
sse_close(struct caller *c)
{
	struct sse *s = (struct sse *)c;

	if (!s->dead)
		sse_kill(s, true);
}

static const struct caller_ops sse_ops = {
    .end_call = sse_end_call,
    .send = sse_send,
    .writable = sse_writable,
    .close = sse_close,
};

/* {"method": "session.subscribe", "params": {topics, since?}} as text. */
static char *
sse_subscribe_line(const char *topics, const char *since)
{
	json_t *arr = json_array(), *params, *m;
	const char *p = topics, *comma;
	char *line;

	while (arr != NULL && p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		json_array_append_new(arr,
		    json_stringn(
		        p, comma != NULL ? (size_t)(comma - p) : strlen(p)));
		p = comma != NULL ? comma + 1 : NULL;
	}
	params = json_pack("{s:o}", "topics", arr);
	if (params != NULL && since != NULL)
		json_object_set_new(params, "since", json_string(since));
	m = json_pack("{s:s, s:i, s:s, s:o*}", "jsonrpc", "2.0", "id", 1,
	    "method", "session.subscribe", "params", params);
	line = m != NULL ? json_dumps(m, RPC_DUMP_FLAGS) : NULL;
	json_decref(m);
	return line;
}

/* 400 with the error a subscribe's params check would give (id 1, as the
 * subscribe's own): a header repeated, a query that does not parse, a
 * parameter unknown or given twice. */
static void
sse_refuse(struct evhttp_request *req, const struct sh_error *err)
{
	json_t *id = json_integer(1), *m = NULL;

	if (id != NULL)
		m = rpc_error(id, err);
	http_send_json(req, 400, m);
	json_decref(m);
	json_decref(id);
}

/* GET /events: see http_internal.h. */
void
http_sse(struct evhttp_request *req)
{
	struct evhttp_connection *evcon;
	struct evkeyvalq q;
	static const char *const names[] = {"topics", "since", NULL};
	const char *topics, *since, *dup;
	char from[SSE_ID_MAX] = "";
	struct sh_error err;
	struct http_who w;
	struct sse *s;
	char addr[64], bucket[80];
	char *line;

	if ((evhttp_request_get_command(req) &
	        (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)) == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		http_send_error(req, 405, "method", "GET or HEAD /events only");
		return;
	}
	if ((dup = http_header_repeated(req)) != NULL) {
		sh_error_set(&err, SH_INVALID_PARAMS, "duplicate_key", dup,
		    "given more than once in the headers");
		sse_refuse(req, &err);
		return;
	}
	if (http_query(req, names, &q, &err) == -1) {
		sse_refuse(req, &err);
		return;
	}
	http_session_who(req, &w);
	topics = evhttp_find_header(&q, "topics");
	since = http_header(req, "Last-Event-ID");
	if (since == NULL || since[0] == '\0')
		since = evhttp_find_header(&q, "since");
	line = sse_subscribe_line(topics != NULL ? topics : "", since);
	/* A longer one is refused by the subscribe. */
	if (since != NULL && strlen(since) < sizeof from)
		memcpy(from, since, strlen(since) + 1);
	evhttp_clear_headers(&q);
	if (line == NULL || (s = calloc(1, sizeof *s)) == NULL) {
		free(line);
		http_send(req, 500, NULL, NULL);
		return;
	}
	s->caller.ops = &sse_ops;
	s->req = req;
	s->head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
	memcpy(s->since, from, sizeof s->since);
	if (w.kind == HTTP_AUTH_SESSION)
		snprintf(s->sid, sizeof s->sid, "%s", w.sid);
	http_peer(
	    req, s->caller.peer, sizeof s->caller.peer, addr, sizeof addr);
	snprintf(bucket, sizeof bucket, "%s", w.bucket);
	LIST_INSERT_HEAD(&streams, s, entry);
	nstreams++;
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_closecb(evcon, sse_conn_closed, s);
	dispatch_caller_init(&s->caller);
	http_session_apply(&s->caller, &w);
	dispatch_line(&s->caller, line, strlen(line));
	http_bucket_store(bucket, &s->caller);
	free(line);
}

/* At stop: every stream ends; evhttp frees the requests. */
void
http_sse_stop(void)
{
	struct sse *s;

	while ((s = LIST_FIRST(&streams)) != NULL) {
		if (s->req != NULL && !s->dead)
			sse_kill(s, true);
		s->req = NULL;
		sse_free(s);
	}
	if (reap_ev != NULL)
		event_free(reap_ev);
	reap_ev = NULL;
}

/* Streams open now: see http_internal.h. */
int
http_sse_count(void)
{
	return nstreams;
}
