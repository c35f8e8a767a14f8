/*
 * conn.c: the socket transport: connections, framing and backpressure
 * (docs/protocol.md "Transport and framing"). The sockets are in listen.c; a
 * connection is a struct caller (caller.h) whose lines go to dispatch.c,
 * which does the rate limit, the checks and the call for every transport.
 *
 * A connection is never freed inside a callback chain: conn_kill marks it
 * and a zero-delay event frees it at a safe point. A call keeps a pointer
 * to its connection that is cleared when the connection goes, so a handler
 * that ends later just has its reply dropped.
 *
 * Where the protocol is silent (docs/protocol.md, "our decisions"):
 * - over max_clients a connection gets one -32010 "too_many_clients"
 *   error (id null) and is closed;
 * - every close after a protocol error half-closes first and discards
 *   input for up to CONN_LINGER_S, so the error line is not lost to a
 *   reset; a peer that half-closes still gets answers to what it sent.
 * - each listener has its own budget: TCP connections count against
 *   max_clients, Unix socket ones against max_unix_clients, so no number
 *   of TCP connections can lock the operators out;
 * - one timer per connection enforces limits.handshake_timeout_s (TLS),
 *   auth_timeout_s (until authenticated) and idle_timeout_s (no line, no
 *   call in flight, no subscription); the auth and idle timeouts write one
 *   error line (id null) before closing, a stuck handshake is just closed.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "shelter/rpc.h"

#include "auth.h"
#include "caller.h"
#include "clock.h"
#include "conn.h"
#include "dispatch.h"
#include "frame.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "shelterd.h"

struct conn {
	struct caller caller; /* first: a struct caller * is a struct conn * */
	TAILQ_ENTRY(conn) entry;
	struct bufferevent *bev;
	struct event *resume; /* process buffered lines after a call ends */
	struct event *timer;  /* handshake, auth and idle timeouts */
	uint64_t opened_us;   /* accepted */
	uint64_t active_us;   /* the last line read */
	uint64_t unauth_us;   /* since when it has no identity (auth timeout) */
	bool is_unix;
	bool handshaking; /* TLS handshake not done yet */
	uid_t uid;
	bool refused;    /* over max_clients: not counted */
	bool eof;        /* the peer closed its side: answer what is buffered */
	bool closing;    /* no more input; close once flushed and idle */
	bool dead;       /* freed at the next safe point */
	bool in_input;   /* inside conn_process */
	bool out_paused; /* reading stopped: output over the cap */
	bool lingering;  /* half-closed, discarding input until EOF */
};

/* How long a closed connection waits for the peer to close its side. */
#define CONN_LINGER_S 2

static TAILQ_HEAD(, conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static int nopen[2]; /* counted connections per listener: [is_unix] */
static struct event *reap_ev;
static void (*stop_done)(void);

static void conn_process(struct conn *c);
static const struct caller_ops conn_ops;

static struct conn *
conn_of(const struct caller *cl)
{
	return (struct conn *)cl;
}

static void
conn_kill(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(reap_ev, EV_TIMEOUT, 0);
}

static void
conn_free(struct conn *c)
{
	log_debug("disconnect %s", c->caller.peer);
	dispatch_caller_gone(&c->caller);
	TAILQ_REMOVE(&conns, c, entry);
	if (!c->refused) {
		metrics_counters.connections_open--;
		nopen[c->is_unix]--;
	}
	bufferevent_free(c->bev);
	event_free(c->resume);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

/* The safe point: free dead connections, finish a stop. */
static void
conn_reap(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dead)
			conn_free(c);
	}
	if (stop_done != NULL && TAILQ_EMPTY(&conns)) {
		void (*done)(void) = stop_done;

		stop_done = NULL;
		done();
	}
}

static size_t
conn_outlen(const struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

static bool
conn_over(const struct conn *c)
{
	return conn_outlen(c) > sd.cfg->output_buffer_bytes;
}

/*
 * Close once closing, idle and flushed. A plain socket first half-closes
 * and reads what the peer still sends, for a while: closing with unread
 * input would reset the connection and could destroy the last reply
 * before the peer has read it.
 */
static void
conn_maybe_close(struct conn *c)
{
	struct timeval tv = {CONN_LINGER_S, 0};
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (!c->closing || c->caller.call != NULL || conn_outlen(c) != 0 ||
	    c->lingering)
		return;
	/* At a stop, a prompt exit matters more. */
	if (c->eof || sd.stopping || fd == -1 || shutdown(fd, SHUT_WR) == -1) {
		conn_kill(c);
		return;
	}
	c->lingering = true;
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ);
}

/*
 * One buffer to serialise messages into, kept between writes: a message is
 * dumped once and added to the output in one piece (dumping straight into
 * the evbuffer costs one evbuffer_add per JSON token). A buffer grown past
 * CONN_WBUF_KEEP for a big reply is given back afterwards.
 */
#define CONN_WBUF_KEEP (1024 * 1024)
static char *conn_wbuf;
static size_t conn_wcap;

/* Serialise r plus "\n" into conn_wbuf; its length, or 0 on failure. */
static size_t
conn_dump(const struct rpc_reply *r)
{
	size_t n, cap;
	char *nb;

	n = rpc_reply_dump(r, conn_wbuf, conn_wcap);
	if (n == 0)
		return 0;
	if (n + 1 > conn_wcap) {
		for (cap = conn_wcap > 0 ? conn_wcap : 4096; cap < n + 1;)
			cap *= 2;
		if ((nb = realloc(conn_wbuf, cap)) == NULL)
			return 0;
		conn_wbuf = nb;
		conn_wcap = cap;
		if (rpc_reply_dump(r, conn_wbuf, conn_wcap) != n)
			return 0;
	}
	conn_wbuf[n] = '\n';
	return n + 1;
}

/* Queue one response or notification; stop reading while the output is
 * over the cap. */
static int
conn_write_reply(struct conn *c, const struct rpc_reply *r)
{
	size_t n;
	int rc = -1;

	if (c->dead || r == NULL)
		return -1;
	if ((n = conn_dump(r)) > 0)
		rc = evbuffer_add(bufferevent_get_output(c->bev), conn_wbuf, n);
	if (rc != 0)
		log_warnx("%s: out of memory writing a reply", c->caller.peer);
	if (conn_wcap > CONN_WBUF_KEEP) {
		free(conn_wbuf);
		conn_wbuf = NULL;
		conn_wcap = 0;
	}
	if (conn_over(c) && !c->out_paused) {
		c->out_paused = true;
		bufferevent_disable(c->bev, EV_READ);
	}
	return rc == 0 ? 0 : -1;
}

/* conn_write_reply of a whole message (NULL: -1). */
static int
conn_write(struct conn *c, const json_t *msg)
{
	struct rpc_reply r = {.msg = msg};

	return msg != NULL ? conn_write_reply(c, &r) : -1;
}

static void
conn_write_errorf(
    struct conn *c, json_t *id, int code, const char *reason, const char *fmt)
{
	struct sh_error err;
	json_t *m;

	sh_error_set(&err, code, reason, NULL, "%s", fmt);
	m = rpc_error(id, &err);
	conn_write(c, m);
	json_decref(m);
}

/* caller_ops.send: queue a notification, dropped silently while closing. */
static int
conn_send(struct caller *cl, const json_t *msg)
{
	struct conn *c = conn_of(cl);

	if (c->dead || c->closing)
		return 0;
	if (conn_over(c))
		return -1;
	return conn_write(c, msg);
}

/* caller_ops.writable: room for a batch. */
static bool
conn_writable(const struct caller *cl)
{
	const struct conn *c = conn_of(cl);

	return !c->dead && !c->closing &&
	    conn_outlen(c) < sd.cfg->output_buffer_bytes / 2;
}

/* Close after flush; a call in flight finishes first. */
static void
conn_close_after_flush(struct conn *c)
{
	if (c->dead)
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	conn_maybe_close(c);
}

/* caller_ops.close. */
static void
conn_close(struct caller *cl)
{
	conn_close_after_flush(conn_of(cl));
}

/* caller_ops.end_call: write the response, then read on. */
static void
conn_end_call(struct caller *cl, const struct rpc_reply *r)
{
	struct conn *c = conn_of(cl);

	if (r != NULL)
		conn_write_reply(c, r);
	if (!c->in_input && !c->dead)
		event_active(c->resume, EV_TIMEOUT, 0);
	conn_maybe_close(c);
}

static const struct caller_ops conn_ops = {
    .end_call = conn_end_call,
    .send = conn_send,
    .writable = conn_writable,
    .close = conn_close,
};

static void
conn_too_long(struct conn *c)
{
	metrics_counters.lines_too_long++;
	log_info(
	    "protocol error: peer=%s reason=line_too_long max=%zu, closing",
	    c->caller.peer, sd.cfg->max_line_bytes);
	conn_write_errorf(
	    c, NULL, SH_INVALID_REQUEST, "line_too_long", "line too long");
	conn_close_after_flush(c);
}

/* An empty line, or one of blanks only (spaces, tabs): ignored, free. */
static bool
conn_blank(const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

/* Run the buffered lines until a call is in flight or output is full. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t max = sd.cfg->max_line_bytes, n;
	enum frame_result fr;
	char *line;

	if (c->in_input)
		return;
	c->in_input = true;
	while (!c->dead && !c->closing && c->caller.call == NULL &&
	    !conn_over(c)) {
		fr = frame_next(in, max, &line, &n);
		if (fr == FRAME_TOO_LONG)
			conn_too_long(c);
		if (fr != FRAME_LINE)
			break;
		c->active_us = clock_mono_us();
		if (!conn_blank(line, n))
			dispatch_line(&c->caller, line, n);
		free(line);
	}
	if (c->eof && c->caller.call == NULL && !c->dead && !conn_over(c))
		conn_close_after_flush(c);
	c->in_input = false;
}

static void
conn_resume(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (!c->dead)
		conn_process(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->lingering)
		evbuffer_drain(in, evbuffer_get_length(in));
	else
		conn_process(c);
}

/* The output drained (low watermark 0). */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->dead)
		return;
	if (c->out_paused) {
		c->out_paused = false;
		if (!c->closing && !c->eof)
			bufferevent_enable(c->bev, EV_READ);
		conn_process(c);
	}
	conn_maybe_close(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		c->handshaking = false;
		return;
	}
	if (c->lingering) {
		conn_kill(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* Answer what is buffered, then close. */
		c->eof = true;
		bufferevent_disable(c->bev, EV_READ);
		conn_process(c);
		return;
	}
	if (listen_tls() != NULL && !c->is_unix &&
	    (e = bufferevent_get_openssl_error(bev)) != 0) {
		char buf[128];

		ERR_error_string_n(e, buf, sizeof buf);
		log_info("%s: TLS: %s", c->caller.peer, buf);
	} else if (what & BEV_EVENT_ERROR) {
		log_debug("%s: %s", c->caller.peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	conn_kill(c);
}

/* Seconds to microseconds. */
#define CONN_US(s) ((uint64_t)(s)*1000000u)

static void conn_timer_arm(struct conn *c);

/* A timeout: close the connection, after one error line when it can. */
static void
conn_timed_out(struct conn *c, const char *reason, int code, const char *msg)
{
	metrics_counters.connections_timed_out++;
	log_info("%s: closing, reason=%s", c->caller.peer, reason);
	if (c->handshaking) {
		conn_kill(c);
		return;
	}
	conn_write_errorf(c, NULL, code, reason, msg);
	conn_close_after_flush(c);
}

/* The next deadline of c (0: none): see the top of this file. */
static uint64_t
conn_deadline(const struct conn *c)
{
	const struct config *cfg = sd.cfg;

	if (c->dead || c->closing)
		return 0;
	if (c->handshaking)
		return c->opened_us + CONN_US(cfg->handshake_timeout_s);
	if (!c->caller.authed)
		return c->unauth_us + CONN_US(cfg->auth_timeout_s);
	if (cfg->idle_timeout_s == 0 || c->caller.call != NULL ||
	    c->caller.sub != NULL)
		return 0;
	return c->active_us + CONN_US(cfg->idle_timeout_s);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint64_t due = conn_deadline(c), now = clock_mono_us();

	if (due != 0 && due <= now) {
		if (c->handshaking)
			conn_timed_out(c, "handshake_timeout", 0, NULL);
		else if (!c->caller.authed)
			conn_timed_out(c, "auth_timeout", SH_UNAUTHENTICATED,
			    "not authenticated in time: closing");
		else
			conn_timed_out(c, "idle_timeout", SH_UNAVAILABLE,
			    "idle for too long: closing");
		return;
	}
	conn_timer_arm(c);
}

/*
 * (Re)arm c's timer for its next deadline. A connection that has none now
 * (a subscriber, a call in flight) is looked at again after the idle
 * timeout, so one that unsubscribes still times out.
 */
static void
conn_timer_arm(struct conn *c)
{
	uint64_t due = conn_deadline(c), now = clock_mono_us(), wait;
	struct timeval tv;

	if (c->dead || c->closing)
		return;
	if (due == 0)
		wait = CONN_US(
		    sd.cfg->idle_timeout_s > 0 ? sd.cfg->idle_timeout_s : 60);
	else
		wait = due > now ? due - now : 0;
	tv.tv_sec = (time_t)(wait / 1000000u);
	tv.tv_usec = (suseconds_t)(wait % 1000000u) + 1000;
	evtimer_add(c->timer, &tv);
}

/* Map a Unix peer's uid through auth.peers. */
static void
conn_map_peer(struct conn *c)
{
	const struct peer_conf *p = auth_peer(sd.cfg, c->uid);
	char who[sizeof c->caller.who];

	if (p == NULL) {
		caller_clear_identity(&c->caller);
		return;
	}
	snprintf(who, sizeof who, "uid=%u", (unsigned)c->uid);
	caller_set_identity(&c->caller, p->role, p->shelter, who, true);
}

static void
conn_set_peer(struct conn *c, evutil_socket_t fd, struct sockaddr *sa)
{
	if (c->is_unix) {
		struct ucred cr;
		socklen_t len = sizeof cr;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
			c->uid = cr.uid;
			c->caller.by_peer = true;
			conn_map_peer(c);
			snprintf(c->caller.peer, sizeof c->caller.peer,
			    "unix uid=%u pid=%d", (unsigned)cr.uid,
			    (int)cr.pid);
			snprintf(c->caller.who, sizeof c->caller.who, "uid=%u",
			    (unsigned)cr.uid);
		} else {
			snprintf(c->caller.peer, sizeof c->caller.peer, "unix");
		}
		return;
	}
	char host[48], serv[8];
	socklen_t salen = sa->sa_family == AF_INET6
	    ? sizeof(struct sockaddr_in6)
	    : sizeof(struct sockaddr_in);

	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
	        NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(c->caller.peer, sizeof c->caller.peer, "tcp %s:%s",
		    host, serv);
	else
		snprintf(c->caller.peer, sizeof c->caller.peer, "tcp");
}

/* A new connection from listen.c: see conn.h. */
void
conn_accept(evutil_socket_t fd, struct sockaddr *sa, bool is_unix)
{
	struct conn *c;
	int one = 1;

	if (sd.stopping || (c = calloc(1, sizeof *c)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->caller.ops = &conn_ops;
	c->is_unix = is_unix;
	if (!is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (!is_unix && listen_tls() != NULL) {
		SSL *ssl = SSL_new(listen_tls());

		if (ssl != NULL)
			c->bev = bufferevent_openssl_socket_new(sd.base, fd,
			    ssl, BUFFEREVENT_SSL_ACCEPTING,
			    BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL && ssl != NULL)
			SSL_free(ssl);
	} else {
		c->bev =
		    bufferevent_socket_new(sd.base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	c->resume = event_new(sd.base, -1, 0, conn_resume, c);
	c->timer = evtimer_new(sd.base, conn_timer_cb, c);
	if (c->bev == NULL || c->resume == NULL || c->timer == NULL) {
		log_warnx("accept: out of memory");
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->resume != NULL)
			event_free(c->resume);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return;
	}
	c->opened_us = c->active_us = c->unauth_us = clock_mono_us();
	c->handshaking = !is_unix && listen_tls() != NULL;
	conn_set_peer(c, fd, sa);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	metrics_counters.connections_total++;
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	if (nopen[is_unix] >=
	    (is_unix ? sd.cfg->max_unix_clients : sd.cfg->max_clients)) {
		c->refused = true;
		metrics_counters.connections_refused++;
		log_info("%s: refused, %d %s clients already", c->caller.peer,
		    nopen[is_unix], is_unix ? "unix" : "tcp");
		bufferevent_enable(c->bev, EV_WRITE);
		conn_write_errorf(c, NULL, SH_UNAVAILABLE, "too_many_clients",
		    "too many clients");
		conn_close_after_flush(c);
		return;
	}
	metrics_counters.connections_open++;
	nopen[is_unix]++;
	conn_timer_arm(c);
	dispatch_caller_init(&c->caller);
	bufferevent_setwatermark(
	    c->bev, EV_READ, 0, sd.cfg->max_line_bytes + 2);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("connect %s%s", c->caller.peer,
	    c->caller.authed ? "" : " (unauthenticated)");
}

/* Connections open now: see conn.h. */
int
conn_count(void)
{
	return metrics_counters.connections_open;
}

/* Ready the connection set: see conn.h. */
int
conn_init(void)
{
	if (reap_ev == NULL &&
	    (reap_ev = event_new(sd.base, -1, 0, conn_reap, NULL)) == NULL)
		return -1;
	return 0;
}

/* Close every connection once flushed: see conn.h. */
void
conn_close_all(void (*done)(void))
{
	struct conn *c;

	TAILQ_FOREACH(c, &conns, entry)
	{
		if (c->lingering)
			conn_kill(c);
		else
			conn_close_after_flush(c);
	}
	stop_done = done;
	if (reap_ev != NULL)
		event_active(reap_ev, EV_TIMEOUT, 0);
	else if (done != NULL)
		done();
}

/* Free every connection and the reaper: see conn.h. */
void
conn_free_all(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_free(c);
	if (reap_ev != NULL)
		event_free(reap_ev);
	reap_ev = NULL;
	free(conn_wbuf);
	conn_wbuf = NULL;
	conn_wcap = 0;
}

/* Apply limits and peer mappings of cfg to every connection: see conn.h. */
void
conn_reload(const struct config *cfg)
{
	struct conn *c;
	bool was;

	TAILQ_FOREACH(c, &conns, entry)
	{
		if (c->dead || c->refused)
			continue;
		bufferevent_setwatermark(
		    c->bev, EV_READ, 0, cfg->max_line_bytes + 2);
		was = c->caller.authed;
		if (c->caller.by_peer)
			conn_map_peer(c);
		dispatch_caller_reload(&c->caller, cfg);
		/* Revoked: auth_required on its next call, and auth_timeout_s
		 * from now to authenticate again. */
		if (was && !c->caller.authed)
			c->unauth_us = clock_mono_us();
		conn_timer_arm(c);
	}
}
