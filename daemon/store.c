/*
 * store.c: Redis through hiredis 0.14 async on the libevent loop: the
 * connections, their setup, the watchdog and the reconnect backoff.
 * Function calls are in store_fcall.c (the table of functions and the
 * typed calls in store_fn.c), the events stream in store_stream.c. Those
 * call this file, never the other way: the tail learns that the
 * connections are up through the hook it sets (store_st.tail_up).
 *
 * One wrapper owns both connections ("cmd" for FCALLs, reads and PING;
 * "tail" for XREAD BLOCK), STORE_AUX more for the client calls store_call
 * spreads over cmd and them, their timers and the reconnect backoff; a
 * drop drops them all. hiredis has no timeouts: every command on cmd (or
 * an aux) sits in a FIFO with its send time,
 * and a watchdog drops the connections when the oldest one is older than
 * STORE_TIMEOUT_MS. Dropping never frees a context inside a hiredis
 * callback: it is deferred to a zero-timeout event, where redisAsyncFree
 * runs every pending callback with reply == NULL (store_unavailable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "random.h"
#include "shelterd.h"
#include "store.h"
#include "store_internal.h"
#include "store_sentinel.h"

extern const char store_functions_lua[];

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 5000
/* Through Sentinel a retry asks for the master again: keep it short, so a
 * switch-over is followed within about a second. */
#define STORE_BACKOFF_SENTINEL_MAX_MS 1000
#define STORE_TICK_MS                 250
#define STORE_PING_TICKS              4 /* a PING every second */

/* cmd's setup reads, and writes only what is missing (store_reply.c). */
enum setup_step {
	SETUP_AUTH,
	SETUP_ROLE,
	SETUP_AOF,
	SETUP_FSYNC,
	SETUP_SALT_GET,
	SETUP_SALT,
	SETUP_LIBRARY,
	SETUP_LOAD
};

struct store_state store_st;

static void store_connect(void);

/* Send a command on ac, recorded in the FIFO the watchdog reads. */
int
store_send_on(redisAsyncContext *ac, struct pending *p, redisCallbackFn *fn,
    int argc, const char **argv, const size_t *lens)
{
	if (ac == NULL ||
	    redisAsyncCommandArgv(ac, fn, p, argc, argv, lens) != REDIS_OK) {
		free(p);
		return -1;
	}
	p->ac = ac;
	p->sent_us = clock_mono_us();
	TAILQ_INSERT_TAIL(&store_st.pending, p, link);
	return 0;
}

/* Send a command on cmd: see store_internal.h. */
int
store_send(struct pending *p, redisCallbackFn *fn, int argc, const char **argv,
    const size_t *lens)
{
	return store_send_on(store_st.cmd, p, fn, argc, argv, lens);
}

/* A new zeroed pending command of kind (the caller sends or frees it), or
 * NULL on ENOMEM. */
struct pending *
store_pending_new(enum pending_kind kind)
{
	struct pending *p = calloc(1, sizeof *p);

	if (p != NULL)
		p->kind = kind;
	return p;
}

/* The reply for p arrived (or NULL: the connection is going away). */
void
store_pending_done(struct pending *p, redisReply *reply)
{
	TAILQ_REMOVE(&store_st.pending, p, link);
	if (reply == NULL)
		store_st.up = false; /* fail fast until the reset has run */
}

/* "PREFIXevents" into buf. */
char *
store_events_key(char *buf, size_t len)
{
	snprintf(buf, len, "%sevents", store_st.prefix ? store_st.prefix : "");
	return buf;
}

/* ------------------------------------------------------------------ */
/* Connection life cycle */

static void
store_maybe_up(void)
{
	if (store_st.up || !store_st.cmd_ready || !store_st.tail_ready ||
	    store_st.stopping)
		return;
	store_st.up = true;
	store_st.ever_up = true;
	store_st.announced = true;
	store_st.backoff_ms = 0;
	store_st.failing = false;
	log_info("store: connected redis=%s", store_st.addr);
	/* The tail (store_stream.c) sends its next XREAD first. */
	if (store_st.tail_up != NULL)
		store_st.tail_up();
	if (store_st.on_up != NULL)
		store_st.on_up();
}

static void
store_durability_check(void)
{
	if (!store_st.require_durable || (store_st.aof_ok && store_st.fsync_ok))
		return;
	if (!store_st.ever_up)
		fatalx("store: redis=%s is not durable: set appendonly yes and "
		       "appendfsync always in redis.conf (or CONFIG SET them), "
		       "or set redis.require_durable: false for a demo",
		    store_st.addr);
	log_warnx_again("store: redis=%s is no longer durable (need appendonly "
	                "yes, appendfsync always); treating the store as down",
	    store_st.addr);
	store_drop("not durable");
}

/*
 * A NOAUTH reply to a command at connect without redis.password: Redis
 * wants a password. Reported as that (not as the step that got it: a
 * CONFIG GET refused so is no sign of a Redis that is not durable); fatal
 * at the first connect, like a refused AUTH. True when reply was one (the
 * connections are then being dropped). With a password, a NOAUTH follows
 * a refused AUTH, which its own callback reports.
 */
static bool
store_noauth(const redisReply *reply)
{
	char buf[200];

	if (store_st.password != NULL || reply->type != REDIS_REPLY_ERROR ||
	    strncmp(reply->str, "NOAUTH", 6) != 0)
		return false;
	log_escape(reply->str, reply->len, buf, sizeof buf);
	store_st.setup_failed = true;
	if (!store_st.ever_up)
		fatalx("store: redis=%s requires AUTH error=%s: set "
		       "redis.password (and redis.user)",
		    store_st.addr, buf);
	log_warnx_again(
	    "store: redis=%s requires AUTH error=%s: set redis.password "
	    "(and redis.user)",
	    store_st.addr, buf);
	store_drop("auth");
	return true;
}

static void store_setup_write(int step);

static void
store_setup_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	int step = p->step;

	store_pending_done(p, reply);
	free(p);
	if (reply == NULL || ac != store_st.cmd || store_st.setup_failed ||
	    store_noauth(reply))
		return;
	if (step == SETUP_ROLE &&
	    (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	        reply->element[0]->type != REDIS_REPLY_STRING ||
	        strcmp(reply->element[0]->str, "master") != 0)) {
		/* The sentinels have not caught up with a switch-over yet. */
		log_warnx("store: redis=%s is not the master; asking the "
		          "sentinels again",
		    store_st.addr);
		store_sentinel_distrust();
		store_st.setup_failed = true;
		store_drop("not master");
		return;
	}
	/* A FUNCTION LIST refused (an ACL from before it was needed) is
	 * answered with the FUNCTION LOAD of old, below. */
	if (reply->type == REDIS_REPLY_ERROR && step != SETUP_AOF &&
	    step != SETUP_FSYNC && step != SETUP_LIBRARY) {
		char buf[200];

		log_escape(reply->str, reply->len, buf, sizeof buf);
		/* The replies still queued behind it (NOAUTH ...) say nothing
		 * about durability or the library. */
		store_st.setup_failed = true;
		if (step == SETUP_AUTH && !store_st.ever_up)
			fatalx("store: redis=%s refused AUTH error=%s: check "
			       "redis.password (and redis.user)",
			    store_st.addr, buf);
		log_warnx_again("store: %s failed redis=%s error=%s",
		    step == SETUP_AUTH ? "AUTH"
		        : step == SETUP_SALT || step == SETUP_SALT_GET
		        ? "case_salt"
		        : "FUNCTION LOAD",
		    store_st.addr, buf);
		store_drop(step == SETUP_AUTH ? "auth" : "setup");
		return;
	}
	switch (step) {
	case SETUP_AOF:
		store_st.aof_ok = store_config_is(reply, "yes");
		break;
	case SETUP_FSYNC:
		store_st.fsync_ok = store_config_is(reply, "always");
		store_durability_check();
		break;
	case SETUP_SALT_GET:
	case SETUP_SALT:
		/* GET (nil: none yet), then SET NX GET (nil: ours stored). */
		if (reply->type == REDIS_REPLY_STRING && reply->len == 64)
			memcpy(store_st.case_salt, reply->str, 65);
		else if (reply->type != REDIS_REPLY_NIL) {
			log_warnx("store: %scase_salt is not 64 characters",
			    store_st.prefix);
			store_st.setup_failed = true;
			store_drop("case salt");
			return;
		} else if (step == SETUP_SALT_GET) {
			store_setup_write(SETUP_SALT);
			return;
		}
		store_st.salt_ok = true;
		break;
	case SETUP_LIBRARY: /* then SETUP_LOAD when it is not this build's */
	case SETUP_LOAD:
		if (step == SETUP_LIBRARY &&
		    !store_library_current(reply, store_functions_lua)) {
			store_setup_write(SETUP_LOAD);
			return;
		}
		store_st.lib_ok = true;
		break;
	}
	if (store_st.salt_ok && store_st.lib_ok && !store_st.cmd_ready) {
		store_st.cmd_ready = true;
		store_maybe_up();
	}
}

static void
store_tail_auth_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;

	if (reply == NULL || ac != store_st.tail)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: AUTH failed on the tail connection redis=%s",
		    store_st.addr);
		store_drop("auth");
	}
}

/* Is ac one of the aux connections? */
static bool
store_is_aux(const redisAsyncContext *ac)
{
	int i;

	for (i = 0; i < STORE_AUX; i++)
		if (ac != NULL && ac == store_st.aux[i])
			return true;
	return false;
}

/* AUTH on an aux connection (queued before any call on it). */
static void
store_aux_auth_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;

	if (reply == NULL || !store_is_aux(ac))
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: AUTH failed on a call connection redis=%s",
		    store_st.addr);
		store_drop("auth");
	}
}

/* The stream's newest id at connect: where a tail from "$" starts. */
static void
store_tail_setup_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;
	const char *id;

	store_st.tail_inflight = false;
	if (reply == NULL || ac != store_st.tail || store_st.setup_failed ||
	    store_noauth(reply))
		return;
	if (reply->type != REDIS_REPLY_ARRAY) {
		store_drop("tail");
		return;
	}
	if (reply->elements > 0 &&
	    (id = store_entry_id(reply->element[0])) != NULL)
		snprintf(store_st.newest, sizeof store_st.newest, "%s", id);
	else
		strcpy(store_st.newest, "0-0");
	store_st.tail_ready = true;
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

/* The setup's writes, sent only when a read found them needed: our salt
 * (SET NX GET) or this build's library (FUNCTION LOAD REPLACE). */
static void
store_setup_write(int step)
{
	char key[256];
	const char *salt[] = {"SET", key, store_st.case_salt, "NX", "GET"};
	const char *load[] = {
	    "FUNCTION", "LOAD", "REPLACE", store_functions_lua};

	snprintf(key, sizeof key, "%scase_salt", store_st.prefix);
	if (step == SETUP_SALT
	        ? store_setup_send(SETUP_SALT, 5, salt, NULL) == -1
	        : store_setup_send(SETUP_LOAD, 4, load, NULL) == -1)
		store_drop("setup");
}

/*
 * hiredis frees ac after its connect or disconnect callback: forget it.
 * False when it is none of ours (one we freed ourselves).
 */
static bool
store_forget(const redisAsyncContext *ac)
{
	int i;

	if (ac == store_st.cmd) {
		store_st.cmd = NULL;
		return true;
	}
	if (ac == store_st.tail) {
		store_st.tail = NULL;
		return true;
	}
	for (i = 0; i < STORE_AUX; i++)
		if (ac == store_st.aux[i]) {
			store_st.aux[i] = NULL;
			return true;
		}
	return false;
}

static void
store_connect_cb(const redisAsyncContext *ac, int status)
{
	bool cmd = ac == store_st.cmd;

	if (status == REDIS_OK || !store_forget(ac))
		return;
	if (!store_st.failing)
		log_warnx("store: cannot connect redis=%s error=%s",
		    store_st.addr, ac->errstr);
	store_st.failing = true;
	if (store_st.sentinel && cmd) /* once, not for the tail too */
		store_sentinel_distrust();
	store_drop("connect");
}

static void
store_disconnect_cb(const redisAsyncContext *ac, int status)
{
	if (!store_forget(ac))
		return;
	/* Once per episode: the other connection usually follows. */
	if (!evtimer_pending(store_st.ev_reset, NULL))
		log_warnx("store: connection lost redis=%s error=%s",
		    store_st.addr, status == REDIS_OK ? "closed" : ac->errstr);
	store_drop("disconnect");
}

static redisAsyncContext *
store_open(void)
{
	redisAsyncContext *ac;

	if (store_st.unix_path != NULL)
		ac = redisAsyncConnectUnix(store_st.unix_path);
	else
		ac = redisAsyncConnect(store_st.host, store_st.port);
	if (ac == NULL)
		return NULL;
	if (ac->err != 0) {
		if (!store_st.failing)
			log_warnx("store: cannot connect redis=%s error=%s",
			    store_st.addr, ac->errstr);
		redisAsyncFree(ac); /* not inside a callback: safe */
		return NULL;
	}
	redisLibeventAttach(ac, store_st.base);
	redisAsyncSetConnectCallback(ac, store_connect_cb);
	redisAsyncSetDisconnectCallback(ac, store_disconnect_cb);
	return ac;
}

/* Open both connections to store_st's address and queue their setup. */
static void
store_connect_to(void)
{
	const char *auth[] = {"AUTH", store_st.user, store_st.password};
	const char *auth1[] = {"AUTH", store_st.password};
	const char *role[] = {"ROLE"};
	const char **av = store_st.user != NULL ? auth : auth1;
	int ac = store_st.user != NULL ? 3 : 2;
	const char *aof[] = {"CONFIG", "GET", "appendonly"};
	const char *fsync[] = {"CONFIG", "GET", "appendfsync"};
	const char *list[] = {
	    "FUNCTION", "LIST", "LIBRARYNAME", "shelterd", "WITHCODE"};
	char key[256], skey[256];
	const char *newest[] = {"XREVRANGE", key, "+", "-", "COUNT", "1"};
	const char *salt[] = {"GET", skey};
	int i;

	store_st.cmd_ready = store_st.tail_ready = store_st.aof_ok =
	    store_st.fsync_ok = store_st.setup_failed = false;
	store_st.salt_ok = store_st.lib_ok = store_st.noreplicas = false;
	/* Offered with SET NX when the store has none: the first instance's
	 * stays, and every instance keys case sets with it. */
	if (random_hex(store_st.case_salt) == -1) {
		log_warnx("store: no random bytes for the case salt");
		store_drop("random");
		return;
	}
	snprintf(skey, sizeof skey, "%scase_salt", store_st.prefix);
	store_st.cmd = store_open();
	store_st.tail = store_st.cmd != NULL ? store_open() : NULL;
	if (store_st.tail == NULL) {
		store_st.failing = true;
		store_drop("connect");
		return;
	}
	/* hiredis queues these until the socket is connected. */
	if ((store_st.password != NULL &&
	        store_setup_send(SETUP_AUTH, ac, av, NULL) == -1) ||
	    (store_st.sentinel &&
	        store_setup_send(SETUP_ROLE, 1, role, NULL) == -1) ||
	    store_setup_send(SETUP_AOF, 3, aof, NULL) == -1 ||
	    store_setup_send(SETUP_FSYNC, 3, fsync, NULL) == -1 ||
	    store_setup_send(SETUP_SALT_GET, 2, salt, NULL) == -1 ||
	    store_setup_send(SETUP_LIBRARY, 5, list, NULL) == -1) {
		store_drop("setup");
		return;
	}
	/* The aux connections: AUTH only (the library is loaded by cmd,
	 * and no call is sent before the store is up). One that does not
	 * open is left out of the round robin. */
	for (i = 0; i < STORE_AUX; i++)
		if ((store_st.aux[i] = store_open()) != NULL &&
		    store_st.password != NULL &&
		    redisAsyncCommandArgv(store_st.aux[i], store_aux_auth_cb,
		        NULL, ac, av, NULL) != REDIS_OK) {
			store_drop("setup");
			return;
		}
	store_events_key(key, sizeof key);
	if ((store_st.password != NULL &&
	        redisAsyncCommandArgv(store_st.tail, store_tail_auth_cb, NULL,
	            ac, av, NULL) != REDIS_OK) ||
	    redisAsyncCommandArgv(store_st.tail, store_tail_setup_cb, NULL, 6,
	        newest, NULL) != REDIS_OK) {
		store_drop("setup");
		return;
	}
	store_st.tail_inflight = true;
	store_st.tail_sent_us = clock_mono_us();
}

/* The sentinels' answer: connect to that master, or back off and ask
 * again. */
static void
store_master_cb(const char *host, int port, void *arg)
{
	char *h;

	store_st.resolving = false;
	if (store_st.stopping)
		return;
	if (host == NULL || (h = strdup(host)) == NULL) {
		if (!store_st.failing)
			log_warnx("store: no sentinel names a master for %s",
			    store_st.addr);
		store_st.failing = true;
		store_drop("sentinel");
		return;
	}
	free(store_st.host);
	store_st.host = h;
	store_st.port = port;
	snprintf(store_st.addr, sizeof store_st.addr, "%s:%d", host, port);
	store_connect_to();
}

/* Connect: through the sentinels when configured (every reconnect asks
 * them again, so a switch-over is followed), else to the address. */
static void
store_connect(void)
{
	if (!store_st.sentinel) {
		store_connect_to();
		return;
	}
	store_st.resolving = true;
	store_sentinel_ask(store_master_cb, NULL);
}

/* Deferred teardown: free both contexts (pending callbacks run with NULL),
 * tell the daemon, and schedule the next attempt. */
static void
store_reset_cb(evutil_socket_t fd, short what, void *arg)
{
	redisAsyncContext *cmd = store_st.cmd, *tail = store_st.tail;
	redisAsyncContext *aux[STORE_AUX];
	struct timeval tv;
	unsigned ms;
	int i;

	store_st.cmd = store_st.tail =
	    NULL; /* so the disconnect callbacks ignore them */
	for (i = 0; i < STORE_AUX; i++) {
		aux[i] = store_st.aux[i];
		store_st.aux[i] = NULL;
	}
	store_st.up = store_st.cmd_ready = store_st.tail_ready = false;
	store_st.ping_inflight = store_st.tail_inflight = false;
	if (cmd != NULL)
		redisAsyncFree(cmd);
	if (tail != NULL)
		redisAsyncFree(tail);
	for (i = 0; i < STORE_AUX; i++)
		if (aux[i] != NULL)
			redisAsyncFree(aux[i]);
	if (store_st.announced) {
		store_st.announced = false;
		if (store_st.stopping)
			log_info("store: disconnected redis=%s", store_st.addr);
		else
			log_warnx("store: down redis=%s", store_st.addr);
		if (store_st.on_down != NULL)
			store_st.on_down();
	}
	if (store_st.stopping)
		return;
	if (store_st.backoff_ms == 0)
		store_st.backoff_ms = STORE_BACKOFF_MIN_MS;
	else if ((store_st.backoff_ms *= 2) > STORE_BACKOFF_MAX_MS)
		store_st.backoff_ms = STORE_BACKOFF_MAX_MS;
	if (store_st.sentinel &&
	    store_st.backoff_ms > STORE_BACKOFF_SENTINEL_MAX_MS)
		store_st.backoff_ms = STORE_BACKOFF_SENTINEL_MAX_MS;
	/* Jitter: between half and all of the backoff. */
	ms = store_st.backoff_ms / 2 +
	    (unsigned)random() % (store_st.backoff_ms / 2 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(store_st.ev_retry, &tv);
}

/*
 * Drop both connections (why: for the debug log) at a safe point, a
 * zero-timeout event, never inside a hiredis callback; the reset then
 * schedules the reconnect. Calls until it has run are refused at once.
 */
void
store_drop(const char *why)
{
	struct timeval zero = {0, 0};

	log_debug("store: dropping connections reason=%s", why);
	store_st.up = false;
	if (store_st.ev_reset != NULL &&
	    !evtimer_pending(store_st.ev_reset, NULL))
		evtimer_add(store_st.ev_reset, &zero);
}

static void
store_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	if (!store_st.stopping && !store_st.resolving && store_st.cmd == NULL &&
	    store_st.tail == NULL)
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
	store_st.ping_inflight = false;
	if (reply != NULL && reply->type != REDIS_REPLY_ERROR)
		store_st.rtt_us = (long long)(clock_mono_us() - p->sent_us);
	free(p);
}

static void
store_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	const char *ping[] = {"PING"};
	struct pending *p = TAILQ_FIRST(&store_st.pending);
	uint64_t now = clock_mono_us();

	if (store_st.cmd != NULL && p != NULL &&
	    now - p->sent_us > STORE_TIMEOUT_MS * 1000ull) {
		log_warnx("store: no reply for %d ms redis=%s; reconnecting",
		    STORE_TIMEOUT_MS, store_st.addr);
		store_drop("timeout");
		return;
	}
	if (store_st.tail != NULL && store_st.tail_inflight &&
	    now - store_st.tail_sent_us >
	        (STORE_TAIL_BLOCK_MS + STORE_TIMEOUT_MS) * 1000ull) {
		log_warnx("store: tail has no reply redis=%s; reconnecting",
		    store_st.addr);
		store_drop("timeout");
		return;
	}
	if (++store_st.ticks % STORE_PING_TICKS != 0 || !store_st.up ||
	    store_st.ping_inflight)
		return;
	if ((p = store_pending_new(PK_PING)) == NULL)
		return;
	if (store_send(p, store_ping_cb, 1, ping, NULL) == 0)
		store_st.ping_inflight = true;
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

	memset(&store_st, 0, sizeof store_st);
	TAILQ_INIT(&store_st.pending);
	store_st.base = base;
	store_st.on_up = on_up;
	store_st.on_down = on_down;
	store_st.require_durable = cfg->require_durable;
	store_st.port = cfg->redis_port;
	store_st.unix_path = store_strdup(cfg->redis_unix);
	store_st.host =
	    store_strdup(cfg->redis_host ? cfg->redis_host : "127.0.0.1");
	store_st.password = store_strdup(cfg->redis_password);
	store_st.user = store_strdup(cfg->redis_user);
	store_st.min_acks = cfg->redis_min_replicas_ack;
	store_st.sentinel = cfg->nsentinels > 0;
	store_st.prefix =
	    store_strdup(cfg->redis_prefix ? cfg->redis_prefix : "");
	strcpy(store_st.tail_pos, "$");
	if (store_st.sentinel) {
		snprintf(store_st.addr, sizeof store_st.addr, "sentinel:%s",
		    cfg->redis_master_name);
		free(store_st.unix_path); /* host and port come from them */
		store_st.unix_path = NULL;
		if (store_sentinel_init(base, cfg->sentinels, cfg->nsentinels,
		        cfg->redis_master_name) == -1) {
			log_warnx("store: out of memory");
			store_stop();
			return -1;
		}
	} else if (store_st.unix_path != NULL)
		snprintf(store_st.addr, sizeof store_st.addr, "unix:%s",
		    store_st.unix_path);
	else
		snprintf(store_st.addr, sizeof store_st.addr, "%s:%d",
		    store_st.host, store_st.port);
	store_st.ev_reset = evtimer_new(base, store_reset_cb, NULL);
	store_st.ev_retry = evtimer_new(base, store_retry_cb, NULL);
	store_st.ev_tick = event_new(base, -1, EV_PERSIST, store_tick_cb, NULL);
	if (store_st.host == NULL || store_st.prefix == NULL ||
	    store_st.ev_reset == NULL || store_st.ev_retry == NULL ||
	    store_st.ev_tick == NULL ||
	    (cfg->redis_unix != NULL && store_st.unix_path == NULL &&
	        !store_st.sentinel) ||
	    (cfg->redis_user != NULL && store_st.user == NULL) ||
	    (cfg->redis_password != NULL && store_st.password == NULL)) {
		log_warnx("store: out of memory");
		store_stop();
		return -1;
	}
	if (store_st.unix_path == NULL &&
	    (store_st.port <= 0 || store_st.port > 65535)) {
		log_warnx("store: bad redis address %s", store_st.addr);
		store_stop();
		return -1;
	}
	srandom((unsigned)clock_mono_us());
	evtimer_add(store_st.ev_tick, &tick);
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
	store_st.stopping = true;
	store_st.up = false;
	if (store_st.ev_reset != NULL) {
		event_del(store_st.ev_reset);
		store_reset_cb(-1, 0, NULL);
		event_free(store_st.ev_reset);
	}
	if (store_st.ev_retry != NULL)
		event_free(store_st.ev_retry);
	if (store_st.ev_tick != NULL)
		event_free(store_st.ev_tick);
	store_st.ev_reset = store_st.ev_retry = store_st.ev_tick = NULL;
	if (store_st.sentinel)
		store_sentinel_free();
	free(store_st.unix_path);
	free(store_st.host);
	free(store_st.user);
	free(store_st.password);
	free(store_st.prefix);
	store_st.unix_path = store_st.host = store_st.user = store_st.password =
	    store_st.prefix = NULL;
}

/* Both connections are ready and the functions are loaded. */
bool
store_is_up(void)
{
	return store_st.up;
}

/* Round-trip time of the last PING in microseconds (0 before any). */
long long
store_rtt_us(void)
{
	return store_st.rtt_us;
}
