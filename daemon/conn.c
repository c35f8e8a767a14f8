/*
 * conn.c: connections, framing, rate limit and backpressure (PROTOCOL.md
 * "Transport and framing"). The sockets are in listen.c, who a peer is in
 * auth.c, the checks before a call in server.c, the end of a call in
 * call.c.
 *
 * A connection is never freed inside a callback chain: conn_kill marks it
 * and a zero-delay event frees it at a safe point. A call keeps a pointer
 * to its connection that is cleared when the connection goes, so a handler
 * that ends later just has its reply dropped.
 *
 * Where PROTOCOL.md is silent:
 * - a notification gets no response, not even an error (JSON-RPC 2.0),
 *   also when it is rate limited; a line that cannot be parsed is
 *   answered with id null, since it cannot be known to be one;
 * - over max_clients a connection gets one -32010 "too_many_clients"
 *   error (id null) and is closed;
 * - every close after a protocol error half-closes first and discards
 *   input for up to CONN_LINGER_S, so the error line is not lost to a
 *   reset; a peer that half-closes still gets answers to what it sent.
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
#include "events.h"
#include "listen.h"
#include "log.h"
#include "methods.h"
#include "metrics.h"
#include "conn.h"
#include "server.h"
#include "shelterd.h"

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct bufferevent *bev;
	struct event *resume; /* process buffered lines after a call ends */
	struct call *call;    /* in flight, or NULL */
	void *sub;
	enum role role;
	char shelter[MODEL_ID_MAX + 1];
	char who[80];
	char peer[72];
	bool is_unix;
	bool by_peer; /* identity from SO_PEERCRED (remapped on reload) */
	uid_t uid;
	bool authed;
	bool refused;    /* over max_clients: not counted */
	bool eof;        /* the peer closed its side: answer what is buffered */
	bool closing;    /* no more input; close once flushed and idle */
	bool dead;       /* freed at the next safe point */
	bool in_input;   /* inside conn_process */
	bool out_paused; /* reading stopped: output over the cap */
	bool lingering;  /* half-closed, discarding input until EOF */
	double tokens;
	uint64_t refill_us;
};

/* How long a closed connection waits for the peer to close its side. */
#define CONN_LINGER_S 2

static TAILQ_HEAD(, conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static struct event *reap_ev;
static void (*stop_done)(void);

static void conn_process(struct conn *c);

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
	log_debug("disconnect %s", c->peer);
	events_conn_closed(c);
	if (c->call != NULL)
		c->call->conn = NULL;
	TAILQ_REMOVE(&conns, c, entry);
	if (!c->refused)
		sd.nclients--;
	bufferevent_free(c->bev);
	event_free(c->resume);
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

	if (!c->closing || c->call != NULL || conn_outlen(c) != 0 ||
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

/* Serialise msg plus "\n" into conn_wbuf; its length, or 0 on failure. */
static size_t
conn_dump(const json_t *msg)
{
	size_t n, cap;
	char *nb;

	n = json_dumpb(msg, conn_wbuf, conn_wcap, RPC_DUMP_FLAGS);
	if (n == 0)
		return 0;
	if (n + 1 > conn_wcap) {
		for (cap = conn_wcap > 0 ? conn_wcap : 4096; cap < n + 1;)
			cap *= 2;
		if ((nb = realloc(conn_wbuf, cap)) == NULL)
			return 0;
		conn_wbuf = nb;
		conn_wcap = cap;
		if (json_dumpb(msg, conn_wbuf, conn_wcap, RPC_DUMP_FLAGS) != n)
			return 0;
	}
	conn_wbuf[n] = '\n';
	return n + 1;
}

/* Queue one message; stop reading while the output is over the cap. */
static int
conn_write(struct conn *c, const json_t *msg)
{
	size_t n;
	int rc = -1;

	if (c->dead || msg == NULL)
		return -1;
	if ((n = conn_dump(msg)) > 0)
		rc = evbuffer_add(bufferevent_get_output(c->bev), conn_wbuf, n);
	if (rc != 0)
		log_warnx("%s: out of memory writing a reply", c->peer);
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

static void
conn_write_error(struct conn *c, json_t *id, const struct sh_error *err)
{
	json_t *m = rpc_error(id, err);

	conn_write(c, m);
	json_decref(m);
}

static void
conn_write_errorf(
    struct conn *c, json_t *id, int code, const char *reason, const char *fmt)
{
	struct sh_error err;

	sh_error_set(&err, code, reason, NULL, "%s", fmt);
	conn_write_error(c, id, &err);
}

/* Queue a notification: see server.h. Dropped silently while closing. */
int
conn_send(struct conn *c, const json_t *msg)
{
	if (c->dead || c->closing)
		return 0;
	if (conn_over(c))
		return -1;
	return conn_write(c, msg);
}

/* Room for a batch: see server.h. */
bool
conn_writable(const struct conn *c)
{
	return !c->dead && !c->closing &&
	    conn_outlen(c) < sd.cfg->output_buffer_bytes / 2;
}

/* Close after flush: see server.h. A call in flight finishes first. */
void
conn_close_after_flush(struct conn *c)
{
	if (c->dead)
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	conn_maybe_close(c);
}

/* The subscription events.c keeps here, or NULL. */
void *
conn_sub(struct conn *c)
{
	return c->sub;
}

/* Set (or clear, NULL) the subscription; the caller owns it. */
void
conn_set_sub(struct conn *c, void *sub)
{
	c->sub = sub;
}

/* Take an identity: see server.h. */
void
conn_set_identity(
    struct conn *c, enum role role, const char *shelter, const char *who)
{
	c->authed = true;
	c->by_peer = false;
	c->role = role;
	snprintf(c->shelter, sizeof c->shelter, "%s", shelter);
	snprintf(c->who, sizeof c->who, "%s", who);
}

/* The peer, for logs: see server.h. */
const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

/* The role now; ROLE_NONE until authenticated. */
enum role
conn_role(const struct conn *c)
{
	return c->authed ? c->role : ROLE_NONE;
}

/* The own shelter of a shelter role ("" otherwise). */
const char *
conn_shelter(const struct conn *c)
{
	return c->shelter;
}

/* The call in flight on c has ended: see conn.h. */
void
conn_end_call(struct conn *c, const json_t *msg)
{
	if (msg != NULL)
		conn_write(c, msg);
	c->call = NULL;
	if (!c->in_input && !c->dead)
		event_active(c->resume, EV_TIMEOUT, 0);
	conn_maybe_close(c);
}

static void
conn_protocol_error(
    struct conn *c, size_t len, json_t *id, const struct sh_error *err)
{
	/* Never the line itself: it may carry a person's data. */
	log_info("protocol error: peer=%s code=%d reason=%s bytes=%zu", c->peer,
	    err->code, err->reason, len);
	conn_write_error(c, id, err);
}

/* The token bucket: true when the line may run (and a token is taken). */
static bool
conn_take_token(struct conn *c)
{
	double rate = sd.cfg->rate_per_s;
	uint64_t now = mono_us();

	if (rate <= 0)
		return true;
	c->tokens += (double)(now - c->refill_us) * rate / 1e6;
	if (c->tokens > rate)
		c->tokens = rate;
	c->refill_us = now;
	if (c->tokens < 1)
		return false;
	c->tokens -= 1;
	return true;
}

/* One complete line (without its terminator). */
static void
conn_line(struct conn *c, const char *line, size_t len)
{
	struct rpc_msg msg;
	struct sh_error err;
	const struct method *m;
	struct call *call;
	json_t *id = NULL;
	bool notification = false;

	if (!conn_take_token(c)) {
		sd.m.rate_limited++;
		if (rpc_parse(line, len, &msg, &id, &err) == 0) {
			id = json_incref(msg.id);
			notification = id == NULL;
			rpc_msg_free(&msg);
		}
		/* JSON-RPC 2.0: a notification is never answered. */
		if (!notification)
			conn_write_errorf(c, id, SH_RATE_LIMITED,
			    "rate_limited", "rate limit exceeded: slow down");
		json_decref(id);
		return;
	}
	if (rpc_parse(line, len, &msg, &id, &err) == -1) {
		conn_protocol_error(c, len, id, &err);
		json_decref(id);
		return;
	}
	if ((m = method_find(msg.method)) == NULL) {
		char esc[96];

		log_info("%s: unknown method %s", c->peer,
		    log_escape(
		        msg.method, strlen(msg.method), esc, sizeof esc));
		sh_error_set(&err, SH_METHOD_NOT_FOUND, "unknown_method", NULL,
		    "unknown method");
		goto fail;
	}
	if (server_check(m, &msg, c->authed, conn_role(c), c->shelter, &err) ==
	    -1)
		goto fail;
	if ((call = calloc(1, sizeof *call)) == NULL) {
		sh_error_set(
		    &err, SH_INTERNAL, "internal", NULL, "out of memory");
		goto fail;
	}
	call->conn = c;
	call->id = msg.id != NULL ? json_incref(msg.id) : NULL;
	call->method = m;
	call->params = json_incref(msg.params);
	call->role = conn_role(c);
	memcpy(call->shelter, c->shelter, sizeof call->shelter);
	memcpy(call->who, c->who, sizeof call->who);
	call->started_us = mono_us();
	rpc_msg_free(&msg);
	c->call = call;
	m->fn(call);
	return;
fail:
	/* A notification gets no response, not even an error. */
	if (msg.id != NULL)
		conn_write_error(c, msg.id, &err);
	metrics_call(m != NULL ? m->name : NULL, err.code, 0);
	rpc_msg_free(&msg);
}

static void
conn_too_long(struct conn *c)
{
	sd.m.lines_too_long++;
	log_info(
	    "protocol error: peer=%s reason=line_too_long max=%zu, closing",
	    c->peer, sd.cfg->max_line_bytes);
	conn_write_errorf(
	    c, NULL, SH_INVALID_REQUEST, "line_too_long", "line too long");
	conn_close_after_flush(c);
}

/* Is the byte at pos a "\r" (that may still be a terminator)? */
static bool
conn_cr_at(struct evbuffer *in, size_t pos)
{
	struct evbuffer_ptr p;
	char ch;

	if (evbuffer_ptr_set(in, &p, pos, EVBUFFER_PTR_SET) == -1 ||
	    evbuffer_copyout_from(in, &p, &ch, 1) != 1)
		return false;
	return ch == '\r';
}

/* Run the buffered lines until a call is in flight or output is full. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t max = sd.cfg->max_line_bytes, n, eol;
	struct evbuffer_ptr p;
	char *line;

	if (c->in_input)
		return;
	c->in_input = true;
	while (!c->dead && !c->closing && c->call == NULL && !conn_over(c)) {
		p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_CRLF);
		if (p.pos < 0) {
			n = evbuffer_get_length(in);
			if (n > max + 1 ||
			    (n == max + 1 && !conn_cr_at(in, max)))
				conn_too_long(c);
			break;
		}
		if ((size_t)p.pos > max) {
			conn_too_long(c);
			break;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL)
			break;
		if (n > 0)
			conn_line(c, line, n);
		free(line);
	}
	if (c->eof && c->call == NULL && !c->dead && !conn_over(c))
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

	if (what & BEV_EVENT_CONNECTED)
		return;
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
		log_info("%s: TLS: %s", c->peer, buf);
	} else if (what & BEV_EVENT_ERROR) {
		log_debug("%s: %s", c->peer,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	conn_kill(c);
}

/* Map a Unix peer's uid through auth.peers. */
static void
conn_map_peer(struct conn *c)
{
	const struct peer_conf *p = auth_peer(sd.cfg, c->uid);

	c->authed = p != NULL;
	c->role = p != NULL ? p->role : ROLE_NONE;
	snprintf(c->shelter, sizeof c->shelter, "%s", p ? p->shelter : "");
}

static void
conn_set_peer(struct conn *c, evutil_socket_t fd, struct sockaddr *sa)
{
	if (c->is_unix) {
		struct ucred cr;
		socklen_t len = sizeof cr;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
			c->uid = cr.uid;
			c->by_peer = true;
			conn_map_peer(c);
			snprintf(c->peer, sizeof c->peer, "unix uid=%u pid=%d",
			    (unsigned)cr.uid, (int)cr.pid);
			snprintf(
			    c->who, sizeof c->who, "uid=%u", (unsigned)cr.uid);
		} else {
			snprintf(c->peer, sizeof c->peer, "unix");
		}
		return;
	}
	char host[48], serv[8];
	socklen_t salen = sa->sa_family == AF_INET6
	    ? sizeof(struct sockaddr_in6)
	    : sizeof(struct sockaddr_in);

	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
	        NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(c->peer, sizeof c->peer, "tcp %s:%s", host, serv);
	else
		snprintf(c->peer, sizeof c->peer, "tcp");
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
	if (c->bev == NULL || c->resume == NULL) {
		log_warnx("accept: out of memory");
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->resume != NULL)
			event_free(c->resume);
		free(c);
		return;
	}
	conn_set_peer(c, fd, sa);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	sd.m.connections_total++;
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	if (sd.nclients >= sd.cfg->max_clients) {
		c->refused = true;
		sd.m.connections_refused++;
		log_info(
		    "%s: refused, %d clients already", c->peer, sd.nclients);
		bufferevent_enable(c->bev, EV_WRITE);
		conn_write_errorf(c, NULL, SH_UNAVAILABLE, "too_many_clients",
		    "too many clients");
		conn_close_after_flush(c);
		return;
	}
	sd.nclients++;
	c->tokens = sd.cfg->rate_per_s;
	c->refill_us = mono_us();
	bufferevent_setwatermark(
	    c->bev, EV_READ, 0, sd.cfg->max_line_bytes + 2);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug(
	    "connect %s%s", c->peer, c->authed ? "" : " (unauthenticated)");
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

	TAILQ_FOREACH(c, &conns, entry)
	{
		if (c->dead || c->refused)
			continue;
		bufferevent_setwatermark(
		    c->bev, EV_READ, 0, cfg->max_line_bytes + 2);
		if (c->by_peer)
			conn_map_peer(c);
		if (c->tokens > cfg->rate_per_s)
			c->tokens = cfg->rate_per_s;
	}
}
