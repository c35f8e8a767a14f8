/*
 * store.c: Redis through hiredis 0.14 async on the libevent loop.
 *
 * One wrapper owns both connections ("cmd" for FCALLs, reads and PING;
 * "tail" for XREAD BLOCK), their timers and the reconnect backoff. hiredis
 * has no timeouts: every command on cmd sits in a FIFO with its send time,
 * and a watchdog drops the connections when the oldest one is older than
 * STORE_TIMEOUT_MS. Dropping never frees a context inside a hiredis
 * callback: it is deferred to a zero-timeout event, where redisAsyncFree
 * runs every pending callback with reply == NULL (store_unavailable).
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "store.h"

extern const char store_functions_lua[];

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 5000
#define STORE_TICK_MS        250
#define STORE_PING_TICKS     4 /* a PING every second */
#define STORE_TAIL_BLOCK_MS  1000
#define STORE_TAIL_COUNT     512
#define STORE_FCALL_MAXARGS  128
#define STORE_ID_MAX         48

enum pending_kind { PK_SETUP, PK_PING, PK_FCALL, PK_RANGE };
enum setup_step { SETUP_AUTH, SETUP_AOF, SETUP_FSYNC, SETUP_LOAD };

/* One command in flight on cmd, in send order. */
struct pending {
	TAILQ_ENTRY(pending) link;
	enum pending_kind kind;
	int step; /* PK_SETUP */
	uint64_t sent_us;
	store_cb *cb;
	store_range_cb *rcb;
	void *arg;
	char fn[32]; /* for logs */
};
TAILQ_HEAD(pending_list, pending);

static struct {
	struct event_base *base;
	char *unix_path, *host, *password, *prefix;
	int port;
	bool require_durable;
	char addr[160]; /* for logs */
	void (*on_up)(void);
	void (*on_down)(void);

	redisAsyncContext *cmd, *tail;
	struct pending_list pending;
	bool cmd_ready, tail_ready, up, announced, ever_up, stopping;
	bool aof_ok, fsync_ok, failing;
	unsigned backoff_ms;
	struct event *ev_reset, *ev_retry, *ev_tick;
	unsigned ticks;
	bool ping_inflight;
	long long rtt_us;

	/* tail */
	bool tail_on, tail_inflight;
	uint64_t tail_sent_us;
	store_event_cb *tail_cb;
	void *tail_arg;
	char tail_pos[STORE_ID_MAX]; /* XREAD position: the last id passed */
	char newest[STORE_ID_MAX];   /* the stream's newest id at connect */
} st;

static void store_connect(void);
static void store_drop(const char *why);
static void store_tail_next(void);

static uint64_t
store_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
store_unavailable(struct sh_error *err)
{
	return sh_error_set(err, SH_UNAVAILABLE, "store_unavailable", NULL,
	    "store unavailable: nothing was changed; safe to retry");
}

static void
store_internal(struct sh_error *err)
{
	sh_error_set(
	    err, SH_INTERNAL, "internal", NULL, "internal error in the store");
}

/* Send a command on cmd, recorded in the FIFO the watchdog reads. */
static int
store_send(struct pending *p, redisCallbackFn *fn, int argc, const char **argv,
    const size_t *lens)
{
	if (st.cmd == NULL ||
	    redisAsyncCommandArgv(st.cmd, fn, p, argc, argv, lens) !=
	        REDIS_OK) {
		free(p);
		return -1;
	}
	p->sent_us = store_mono_us();
	TAILQ_INSERT_TAIL(&st.pending, p, link);
	return 0;
}

static struct pending *
store_pending_new(enum pending_kind kind)
{
	struct pending *p = calloc(1, sizeof *p);

	if (p != NULL)
		p->kind = kind;
	return p;
}

/* The reply for p arrived (or NULL: the connection is going away). */
static void
store_pending_done(struct pending *p, redisReply *reply)
{
	TAILQ_REMOVE(&st.pending, p, link);
	if (reply == NULL)
		st.up = false; /* fail fast until the reset has run */
}

/* ------------------------------------------------------------------ */
/* Connection life cycle */

static void
store_maybe_up(void)
{
	if (st.up || !st.cmd_ready || !st.tail_ready || st.stopping)
		return;
	st.up = true;
	st.ever_up = true;
	st.announced = true;
	st.backoff_ms = 0;
	st.failing = false;
	log_info("store: connected redis=%s", st.addr);
	store_tail_next();
	if (st.on_up != NULL)
		st.on_up();
}

static void
store_durability_check(void)
{
	if (!st.require_durable || (st.aof_ok && st.fsync_ok))
		return;
	if (!st.ever_up)
		fatalx("store: redis=%s is not durable: set appendonly yes and "
		       "appendfsync always in redis.conf (or CONFIG SET them), "
		       "or set redis.require_durable: false for a demo",
		    st.addr);
	log_warnx("store: redis=%s is no longer durable (need appendonly "
	          "yes, appendfsync always); treating the store as down",
	    st.addr);
	store_drop("not durable");
}

/* "yes"/"always" from a CONFIG GET reply [name, value]. */
static bool
store_config_is(const redisReply *r, const char *want)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[1]->str, want) == 0;
}

static void
store_setup_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	int step = p->step;

	store_pending_done(p, reply);
	free(p);
	if (reply == NULL || ac != st.cmd)
		return;
	if (reply->type == REDIS_REPLY_ERROR &&
	    (step == SETUP_AUTH || step == SETUP_LOAD)) {
		char buf[200];

		log_warnx("store: %s failed redis=%s error=%s",
		    step == SETUP_AUTH ? "AUTH" : "FUNCTION LOAD", st.addr,
		    log_escape(reply->str, reply->len, buf, sizeof buf));
		store_drop(step == SETUP_AUTH ? "auth" : "function load");
		return;
	}
	switch (step) {
	case SETUP_AOF:
		st.aof_ok = store_config_is(reply, "yes");
		break;
	case SETUP_FSYNC:
		st.fsync_ok = store_config_is(reply, "always");
		store_durability_check();
		break;
	case SETUP_LOAD:
		st.cmd_ready = true;
		store_maybe_up();
		break;
	}
}

static void
store_tail_auth_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;

	if (reply == NULL || ac != st.tail)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: AUTH failed on the tail connection redis=%s",
		    st.addr);
		store_drop("auth");
	}
}

static int store_entry(const redisReply *e, struct store_event *ev);

/* The stream's newest id at connect: where a tail from "$" starts. */
static void
store_tail_setup_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;
	struct store_event ev;

	st.tail_inflight = false;
	if (reply == NULL || ac != st.tail)
		return;
	if (reply->type != REDIS_REPLY_ARRAY) {
		store_drop("tail");
		return;
	}
	if (reply->elements > 0 && store_entry(reply->element[0], &ev) == 0)
		snprintf(st.newest, sizeof st.newest, "%s", ev.id);
	else
		strcpy(st.newest, "0-0");
	st.tail_ready = true;
	store_maybe_up();
}

static int
store_setup_send(int step, int argc, const char **argv, const size_t *lens)
{
	struct pending *p = store_pending_new(PK_SETUP);

	if (p == NULL)
		return -1;
	p->step = step;
	return store_send(p, store_setup_cb, argc, argv, lens);
}

static void
store_connect_cb(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK)
		return;
	/* hiredis frees the context after this callback. */
	if (ac == st.cmd)
		st.cmd = NULL;
	else if (ac == st.tail)
		st.tail = NULL;
	else
		return;
	if (!st.failing)
		log_warnx("store: cannot connect redis=%s error=%s", st.addr,
		    ac->errstr);
	st.failing = true;
	store_drop("connect");
}

static void
store_disconnect_cb(const redisAsyncContext *ac, int status)
{
	/* hiredis frees the context after this callback. */
	if (ac == st.cmd)
		st.cmd = NULL;
	else if (ac == st.tail)
		st.tail = NULL;
	else
		return; /* one we freed ourselves */
	/* Once per episode: the other connection usually follows. */
	if (!evtimer_pending(st.ev_reset, NULL))
		log_warnx("store: connection lost redis=%s error=%s", st.addr,
		    status == REDIS_OK ? "closed" : ac->errstr);
	store_drop("disconnect");
}

static redisAsyncContext *
store_open(void)
{
	redisAsyncContext *ac;

	if (st.unix_path != NULL)
		ac = redisAsyncConnectUnix(st.unix_path);
	else
		ac = redisAsyncConnect(st.host, st.port);
	if (ac == NULL)
		return NULL;
	if (ac->err != 0) {
		if (!st.failing)
			log_warnx("store: cannot connect redis=%s error=%s",
			    st.addr, ac->errstr);
		redisAsyncFree(ac); /* not inside a callback: safe */
		return NULL;
	}
	redisLibeventAttach(ac, st.base);
	redisAsyncSetConnectCallback(ac, store_connect_cb);
	redisAsyncSetDisconnectCallback(ac, store_disconnect_cb);
	return ac;
}

static void
store_connect(void)
{
	const char *auth[] = {"AUTH", st.password};
	const char *aof[] = {"CONFIG", "GET", "appendonly"};
	const char *fsync[] = {"CONFIG", "GET", "appendfsync"};
	const char *load[] = {
	    "FUNCTION", "LOAD", "REPLACE", store_functions_lua};
	char key[256];
	const char *newest[] = {"XREVRANGE", key, "+", "-", "COUNT", "1"};

	st.cmd_ready = st.tail_ready = st.aof_ok = st.fsync_ok = false;
	st.cmd = store_open();
	st.tail = st.cmd != NULL ? store_open() : NULL;
	if (st.tail == NULL) {
		st.failing = true;
		store_drop("connect");
		return;
	}
	/* hiredis queues these until the socket is connected. */
	if ((st.password != NULL &&
	        store_setup_send(SETUP_AUTH, 2, auth, NULL) == -1) ||
	    store_setup_send(SETUP_AOF, 3, aof, NULL) == -1 ||
	    store_setup_send(SETUP_FSYNC, 3, fsync, NULL) == -1 ||
	    store_setup_send(SETUP_LOAD, 4, load, NULL) == -1) {
		store_drop("setup");
		return;
	}
	snprintf(key, sizeof key, "%sevents", st.prefix);
	if ((st.password != NULL &&
	        redisAsyncCommandArgv(st.tail, store_tail_auth_cb, NULL, 2,
	            auth, NULL) != REDIS_OK) ||
	    redisAsyncCommandArgv(st.tail, store_tail_setup_cb, NULL, 6, newest,
	        NULL) != REDIS_OK) {
		store_drop("setup");
		return;
	}
	st.tail_inflight = true;
	st.tail_sent_us = store_mono_us();
}

/* Deferred teardown: free both contexts (pending callbacks run with NULL),
 * tell the daemon, and schedule the next attempt. */
static void
store_reset_cb(evutil_socket_t fd, short what, void *arg)
{
	redisAsyncContext *cmd = st.cmd, *tail = st.tail;
	struct timeval tv;
	unsigned ms;

	st.cmd = st.tail = NULL; /* so the disconnect callbacks ignore them */
	st.up = st.cmd_ready = st.tail_ready = false;
	st.ping_inflight = st.tail_inflight = false;
	if (cmd != NULL)
		redisAsyncFree(cmd);
	if (tail != NULL)
		redisAsyncFree(tail);
	if (st.announced) {
		st.announced = false;
		if (st.stopping)
			log_info("store: disconnected redis=%s", st.addr);
		else
			log_warnx("store: down redis=%s", st.addr);
		if (st.on_down != NULL)
			st.on_down();
	}
	if (st.stopping)
		return;
	if (st.backoff_ms == 0)
		st.backoff_ms = STORE_BACKOFF_MIN_MS;
	else if ((st.backoff_ms *= 2) > STORE_BACKOFF_MAX_MS)
		st.backoff_ms = STORE_BACKOFF_MAX_MS;
	/* Jitter: between half and all of the backoff. */
	ms = st.backoff_ms / 2 + (unsigned)random() % (st.backoff_ms / 2 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(st.ev_retry, &tv);
}

static void
store_drop(const char *why)
{
	struct timeval zero = {0, 0};

	log_debug("store: dropping connections reason=%s", why);
	st.up = false;
	if (st.ev_reset != NULL && !evtimer_pending(st.ev_reset, NULL))
		evtimer_add(st.ev_reset, &zero);
}

static void
store_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	if (!st.stopping && st.cmd == NULL && st.tail == NULL)
		store_connect();
}

/* ------------------------------------------------------------------ */
/* PING and the watchdog */

static void
store_ping_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;

	store_pending_done(p, reply);
	st.ping_inflight = false;
	if (reply != NULL && reply->type != REDIS_REPLY_ERROR)
		st.rtt_us = (long long)(store_mono_us() - p->sent_us);
	free(p);
}

static void
store_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	const char *ping[] = {"PING"};
	struct pending *p = TAILQ_FIRST(&st.pending);
	uint64_t now = store_mono_us();

	if (st.cmd != NULL && p != NULL &&
	    now - p->sent_us > STORE_TIMEOUT_MS * 1000ull) {
		log_warnx("store: no reply for %d ms redis=%s; reconnecting",
		    STORE_TIMEOUT_MS, st.addr);
		store_drop("timeout");
		return;
	}
	if (st.tail != NULL && st.tail_inflight &&
	    now - st.tail_sent_us >
	        (STORE_TAIL_BLOCK_MS + STORE_TIMEOUT_MS) * 1000ull) {
		log_warnx(
		    "store: tail has no reply redis=%s; reconnecting", st.addr);
		store_drop("timeout");
		return;
	}
	if (++st.ticks % STORE_PING_TICKS != 0 || !st.up || st.ping_inflight)
		return;
	if ((p = store_pending_new(PK_PING)) == NULL)
		return;
	if (store_send(p, store_ping_cb, 1, ping, NULL) == 0)
		st.ping_inflight = true;
}

/* ------------------------------------------------------------------ */
/* Public: life cycle */

static char *
store_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/*
 * Copy what the store needs from cfg (it may be swapped on SIGHUP), create
 * the timers and start connecting. 0, or -1 when an allocation fails or no
 * address is configured.
 */
int
store_start(struct event_base *base, const struct config *cfg,
    void (*on_up)(void), void (*on_down)(void))
{
	struct timeval tick = {0, STORE_TICK_MS * 1000};

	memset(&st, 0, sizeof st);
	TAILQ_INIT(&st.pending);
	st.base = base;
	st.on_up = on_up;
	st.on_down = on_down;
	st.require_durable = cfg->require_durable;
	st.port = cfg->redis_port;
	st.unix_path = store_strdup(cfg->redis_unix);
	st.host = store_strdup(cfg->redis_host ? cfg->redis_host : "127.0.0.1");
	st.password = store_strdup(cfg->redis_password);
	st.prefix = store_strdup(cfg->redis_prefix ? cfg->redis_prefix : "");
	strcpy(st.tail_pos, "$");
	if (st.unix_path != NULL)
		snprintf(st.addr, sizeof st.addr, "unix:%s", st.unix_path);
	else
		snprintf(st.addr, sizeof st.addr, "%s:%d", st.host, st.port);
	st.ev_reset = evtimer_new(base, store_reset_cb, NULL);
	st.ev_retry = evtimer_new(base, store_retry_cb, NULL);
	st.ev_tick = event_new(base, -1, EV_PERSIST, store_tick_cb, NULL);
	if (st.host == NULL || st.prefix == NULL || st.ev_reset == NULL ||
	    st.ev_retry == NULL || st.ev_tick == NULL ||
	    (cfg->redis_unix != NULL && st.unix_path == NULL) ||
	    (cfg->redis_password != NULL && st.password == NULL)) {
		log_warnx("store: out of memory");
		store_stop();
		return -1;
	}
	if (st.unix_path == NULL && (st.port <= 0 || st.port > 65535)) {
		log_warnx("store: bad redis address %s", st.addr);
		store_stop();
		return -1;
	}
	srandom((unsigned)store_mono_us());
	evtimer_add(st.ev_tick, &tick);
	store_connect();
	return 0;
}

/*
 * Stop for good: free both contexts now (pending callbacks run with
 * store_unavailable), the timers and the copies of the config.
 */
void
store_stop(void)
{
	st.stopping = true;
	st.up = false;
	if (st.ev_reset != NULL) {
		event_del(st.ev_reset);
		store_reset_cb(-1, 0, NULL);
		event_free(st.ev_reset);
	}
	if (st.ev_retry != NULL)
		event_free(st.ev_retry);
	if (st.ev_tick != NULL)
		event_free(st.ev_tick);
	st.ev_reset = st.ev_retry = st.ev_tick = NULL;
	free(st.unix_path);
	free(st.host);
	free(st.password);
	free(st.prefix);
	st.unix_path = st.host = st.password = st.prefix = NULL;
}

/* Both connections are ready and the functions are loaded. */
bool
store_is_up(void)
{
	return st.up;
}

/* Round-trip time of the last PING in microseconds (0 before any). */
long long
store_rtt_us(void)
{
	return st.rtt_us;
}

/* ------------------------------------------------------------------ */
/* Public: function calls */

/* {"error":{code, reason, field, message}} into err. */
static void
store_error_from_json(const json_t *e, struct sh_error *err)
{
	const char *reason = json_string_value(json_object_get(e, "reason"));
	const char *field = json_string_value(json_object_get(e, "field"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	err->code = (int)json_integer_value(json_object_get(e, "code"));
	if (err->code == 0)
		err->code = SH_INTERNAL;
	snprintf(err->reason, sizeof err->reason, "%s",
	    reason ? reason : "internal");
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	snprintf(err->message, sizeof err->message, "%s",
	    msg ? msg : "internal error in the store");
}

/*
 * Error replies by which Redis refuses a call before running it (disk
 * errors, loading, a busy script, a read-only replica after a failover,
 * out of memory): nothing was changed, so the caller may retry.
 */
static bool
store_refused(const char *msg)
{
	static const char *const codes[] = {"MISCONF ", "LOADING ", "BUSY ",
	    "READONLY ", "NOREPLICAS ", "OOM ", "MASTERDOWN ", "TRYAGAIN "};
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strncmp(msg, codes[i], strlen(codes[i])) == 0)
			return true;
	return false;
}

static void
store_fcall_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	struct sh_error err;
	json_t *res = NULL, *e;
	json_error_t jerr;
	char buf[200];

	store_pending_done(p, reply);
	if (reply == NULL) {
		store_unavailable(&err);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: fcall fn=%s error=%s", p->fn,
		    log_escape(reply->str, reply->len, buf, sizeof buf));
		if (store_refused(reply->str))
			store_unavailable(&err);
		else
			store_internal(&err);
	} else if (reply->type != REDIS_REPLY_STRING ||
	    (res = json_loadb(reply->str, reply->len, 0, &jerr)) == NULL ||
	    !json_is_object(res)) {
		log_warnx("store: fcall fn=%s returned no JSON object", p->fn);
		store_internal(&err);
	} else if ((e = json_object_get(res, "error")) != NULL) {
		store_error_from_json(e, &err);
	} else {
		p->cb(res, NULL, p->arg);
		json_decref(res);
		free(p);
		return;
	}
	json_decref(res);
	p->cb(NULL, &err, p->arg);
	free(p);
}

/*
 * FCALL fn 0 PREFIX ARGV...: 0 and cb runs exactly once later, or -1 with
 * err set (store down, too many arguments, out of memory) and cb not run.
 */
int
store_fcall(const char *fn, int argc, const char **argv, const size_t *lens,
    store_cb *cb, void *arg, struct sh_error *err)
{
	const char *av[STORE_FCALL_MAXARGS + 4];
	size_t al[STORE_FCALL_MAXARGS + 4];
	struct pending *p;
	int i;

	if (!st.up || st.cmd == NULL)
		return store_unavailable(err);
	if (argc < 0 || argc > STORE_FCALL_MAXARGS) {
		store_internal(err);
		return -1;
	}
	av[0] = "FCALL";
	av[1] = fn;
	av[2] = "0";
	av[3] = st.prefix;
	for (i = 0; i < 4; i++)
		al[i] = strlen(av[i]);
	for (i = 0; i < argc; i++) {
		av[i + 4] = argv[i];
		al[i + 4] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	if ((p = store_pending_new(PK_FCALL)) == NULL) {
		store_internal(err);
		return -1;
	}
	p->cb = cb;
	p->arg = arg;
	snprintf(p->fn, sizeof p->fn, "%s", fn);
	if (store_send(p, store_fcall_cb, argc + 4, av, al) == -1)
		return store_unavailable(err);
	return 0;
}

/* store_fcall with NUL-terminated arguments ended by NULL. */
int
store_fcallv(const char *fn, store_cb *cb, void *arg, struct sh_error *err, ...)
{
	const char *argv[STORE_FCALL_MAXARGS];
	const char *s;
	va_list ap;
	int argc = 0;

	va_start(ap, err);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (argc == STORE_FCALL_MAXARGS) {
			va_end(ap);
			store_internal(err);
			return -1;
		}
		argv[argc++] = s;
	}
	va_end(ap);
	return store_fcall(fn, argc, argv, NULL, cb, arg, err);
}

/* ------------------------------------------------------------------ */
/* Events */

/* One stream entry [id, [field, value, ...]] into ev (borrowed). */
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
		}
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

	if (!st.up || st.cmd == NULL)
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

static char *
store_events_key(char *buf, size_t len)
{
	snprintf(buf, len, "%sevents", st.prefix ? st.prefix : "");
	return buf;
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

static void
store_tail_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r, *entries;
	struct store_event ev;
	size_t i;

	st.tail_inflight = false;
	if (reply == NULL || ac != st.tail)
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
			snprintf(st.tail_pos, sizeof st.tail_pos, "%s", ev.id);
			if (st.tail_cb != NULL)
				st.tail_cb(&ev, st.tail_arg);
		}
	}
	store_tail_next();
}

static void
store_tail_next(void)
{
	char key[256];
	const char *xread[] = {"XREAD", "BLOCK", "1000", "COUNT", "512",
	    "STREAMS", key, st.tail_pos};

	if (!st.tail_on || !st.up || st.tail == NULL || st.tail_inflight)
		return;
	/* "$" becomes the newest id of this connect: from then on the tail
	 * has a real position, so a reconnect resumes without a gap. */
	if (strcmp(st.tail_pos, "$") == 0)
		snprintf(st.tail_pos, sizeof st.tail_pos, "%s", st.newest);
	store_events_key(key, sizeof key);
	if (redisAsyncCommandArgv(
	        st.tail, store_tail_cb, NULL, 8, xread, NULL) != REDIS_OK) {
		store_drop("tail");
		return;
	}
	st.tail_inflight = true;
	st.tail_sent_us = store_mono_us();
}

/*
 * Deliver every event after from_id ("$": from now) to cb, in order, across
 * reconnects. Calling it again replaces the callback and the position.
 */
void
store_tail(const char *from_id, store_event_cb *cb, void *arg)
{
	st.tail_on = true;
	st.tail_cb = cb;
	st.tail_arg = arg;
	snprintf(st.tail_pos, sizeof st.tail_pos, "%s",
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
	return strcmp(st.tail_pos, "$") == 0 ? "0-0" : st.tail_pos;
}
