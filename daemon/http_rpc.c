/*
 * http_rpc.c: POST /rpc, one JSON-RPC request per body, through the same
 * dispatch as a socket line (PROTOCOL.md "HTTP").
 *
 * Each request is a struct caller of its own: its identity comes from the
 * Bearer token or the session (http_session.c), its token bucket is the
 * one kept for that identity, and its end_call writes the HTTP response:
 * 200 with the JSON-RPC response, or 204 for a notification. Only faults
 * of HTTP itself get another status: 405 (not POST), 415 (not
 * application/json), 413 (a body over limits.max_line_bytes), 403 (a
 * cookie without the right X-CSRF-Token), and from http.c 400 (a query,
 * or Authorization, Content-Type or X-CSRF-Token twice). A wrong Bearer
 * token is the JSON-RPC error -32001 bad_token (caller.bad_token), after
 * the envelope and method checks, as a wrong session.auth token is on a
 * socket.
 *
 * A request whose connection closes while its call runs is forgotten
 * (dispatch_caller_gone): the call ends without it.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "shelter/rpc.h"

#include <event2/event.h>

#include "caller.h"
#include "dispatch.h"
#include "http_internal.h"
#include "log.h"
#include "shelterd.h"

struct rpc_req {
	struct caller caller; /* first */
	TAILQ_ENTRY(rpc_req) entry;
	struct evhttp_request *req; /* NULL once evhttp has freed it */
	char bucket[80];
	bool answered;
	bool dead; /* freed at the next safe point */
};

static TAILQ_HEAD(, rpc_req) pending = TAILQ_HEAD_INITIALIZER(pending);
static struct event *reap_ev;

static void
rpc_free(struct rpc_req *r)
{
	TAILQ_REMOVE(&pending, r, entry);
	dispatch_caller_gone(&r->caller);
	free(r);
}

/* The safe point: free the requests that are done. */
static void
rpc_reap(evutil_socket_t fd, short what, void *arg)
{
	struct rpc_req *r, *next;

	for (r = TAILQ_FIRST(&pending); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->dead)
			rpc_free(r);
	}
}

/* Never free r inside a callback chain (a service may still use it). */
static void
rpc_kill(struct rpc_req *r)
{
	if (r->req != NULL) {
		struct evhttp_connection *evcon =
		    evhttp_request_get_connection(r->req);

		if (evcon != NULL)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
	}
	r->dead = true;
	if (reap_ev == NULL)
		reap_ev = event_new(sd.base, -1, 0, rpc_reap, NULL);
	if (reap_ev != NULL)
		event_active(reap_ev, EV_TIMEOUT, 0);
}

/* Write m (a JSON-RPC response, or NULL: 204). */
static void
rpc_answer(struct rpc_req *r, const struct rpc_reply *m)
{
	struct evhttp_connection *evcon;

	if (r->answered)
		return;
	r->answered = true;
	if (r->req == NULL)
		return;
	if ((evcon = evhttp_request_get_connection(r->req)) != NULL)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (m != NULL)
		http_send_reply(r->req, 200, m);
	else
		http_send(r->req, 204, NULL, NULL);
	r->req = NULL;
}

/* caller_ops.end_call: the HTTP response, then r goes. */
static void
rpc_end_call(struct caller *c, const struct rpc_reply *m)
{
	rpc_answer((struct rpc_req *)c, m);
	rpc_kill((struct rpc_req *)c);
}

/* caller_ops.send: only a response outside a call (an error dispatch
 * answers at once) comes here; notifications have no place in HTTP. */
static int
rpc_send(struct caller *c, const json_t *msg)
{
	struct rpc_reply m = {.msg = msg};

	if (json_object_get(msg, "id") != NULL &&
	    json_object_get(msg, "method") == NULL)
		rpc_answer((struct rpc_req *)c, &m);
	return 0;
}

static bool
rpc_writable(const struct caller *c)
{
	return false;
}

static void
rpc_close(struct caller *c)
{
}

static const struct caller_ops rpc_ops = {
    .end_call = rpc_end_call,
    .send = rpc_send,
    .writable = rpc_writable,
    .close = rpc_close,
};

/* The connection closed under a running call. */
static void
rpc_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct rpc_req *r = arg;

	/* evhttp frees the request (or has detached it: then we do). */
	if (r->req != NULL && evhttp_request_get_connection(r->req) == NULL)
		evhttp_request_free(r->req);
	r->req = NULL;
	r->answered = true;
	rpc_kill(r);
}

/* The body's length without a final "\n" or "\r\n": as on the socket,
 * the terminator does not count against limits.max_line_bytes. */
static size_t
rpc_body_len(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	struct evbuffer_ptr p;
	char end[2];

	if (n == 0 ||
	    evbuffer_ptr_set(in, &p, n - (n >= 2 ? 2 : 1), EVBUFFER_PTR_SET) ==
	        -1 ||
	    evbuffer_copyout_from(in, &p, end, n >= 2 ? 2 : 1) == -1)
		return n;
	if (n >= 2 && end[0] == '\r' && end[1] == '\n')
		return n - 2;
	return end[n >= 2 ? 1 : 0] == '\n' ? n - 1 : n;
}

/* POST /rpc: see http_internal.h. */
void
http_rpc(struct evhttp_request *req)
{
	struct http_who w;
	struct rpc_req *r;
	struct evhttp_connection *evcon;
	char addr[64];
	size_t len;
	char *body;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", "POST");
		http_send_error(req, 405, "method", "POST /rpc only");
		return;
	}
	if (!http_is_json(req)) {
		http_send_error(req, 415, "content_type",
		    "Content-Type must be application/json");
		return;
	}
	if (rpc_body_len(req) > sd.cfg->max_line_bytes) {
		http_send_error(req, 413, "too_large",
		    "the body is over limits.max_line_bytes");
		return;
	}
	http_session_who(req, &w);
	if (w.kind == HTTP_AUTH_SESSION && !w.csrf_ok) {
		http_send_error(
		    req, 403, "csrf", "X-CSRF-Token is missing or wrong");
		return;
	}
	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (body = http_body(req, &len)) == NULL) {
		free(r);
		http_send(req, 500, NULL, NULL);
		return;
	}
	r->caller.ops = &rpc_ops;
	r->req = req;
	snprintf(r->bucket, sizeof r->bucket, "%s", w.bucket);
	http_peer(
	    req, r->caller.peer, sizeof r->caller.peer, addr, sizeof addr);
	TAILQ_INSERT_TAIL(&pending, r, entry);
	dispatch_caller_init(&r->caller);
	http_session_apply(&r->caller, &w);
	dispatch_line(&r->caller, body, len);
	free(body);
	http_bucket_store(r->bucket, &r->caller);
	if (r->caller.call == NULL) {
		/* Ended at once; nothing at all (a notification): 204. */
		rpc_answer(r, NULL);
		rpc_kill(r);
		return;
	}
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_closecb(evcon, rpc_conn_closed, r);
}

/* At stop: evhttp frees the requests; the calls lose their caller. */
void
http_rpc_stop(void)
{
	struct rpc_req *r;

	while ((r = TAILQ_FIRST(&pending)) != NULL) {
		struct evhttp_connection *evcon = r->req != NULL
		    ? evhttp_request_get_connection(r->req)
		    : NULL;

		/* evhttp_free must not call back into a freed r. */
		if (evcon != NULL)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
		r->req = NULL;
		r->answered = true;
		rpc_free(r);
	}
	if (reap_ev != NULL)
		event_free(reap_ev);
	reap_ev = NULL;
}
