/*
 * store_sentinel.c: ask Redis Sentinel where the master is.
 *
 * One question at a time: a connection to one sentinel, one command, a
 * timer. A sentinel that refuses, does not answer within
 * SENTINEL_TIMEOUT_MS, or does not know the master is skipped for the next
 * one; when each was asked once the answer is "none". Contexts are freed
 * outside hiredis callbacks (redisAsyncDisconnect inside a reply callback
 * is hiredis's own deferred close), and every callback checks that its
 * context is still the current one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "store_sentinel.h"

#define SENTINEL_TIMEOUT_MS 1000

static struct {
	struct event_base *base;
	struct sentinel_conf *s;
	size_t n;
	char *name;
	size_t next;  /* the sentinel to ask first */
	size_t tried; /* asked in this question */
	redisAsyncContext *ac;
	struct event *ev_step; /* zero timeout: ask the next one */
	struct event *ev_timeout;
	store_sentinel_cb *cb;
	void *arg;
	bool asking;
} sn;

static void sentinel_next(void);

/* End the question with host (NULL: none); the context is gone already. */
static void
sentinel_finish(const char *host, int port)
{
	store_sentinel_cb *cb = sn.cb;

	sn.asking = false;
	evtimer_del(sn.ev_timeout);
	sn.cb = NULL;
	if (cb != NULL)
		cb(host, port, sn.arg);
}

/* This sentinel failed: the next one, at a safe point. */
static void
sentinel_skip(void)
{
	struct timeval zero = {0, 0};

	evtimer_del(sn.ev_timeout);
	sn.next = (sn.next + 1) % sn.n;
	evtimer_add(sn.ev_step, &zero);
}

static void
sentinel_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	redisReply *reply = r;
	char host[256];
	int port;

	if (ac != sn.ac || reply == NULL)
		return;
	sn.ac = NULL;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[1]->type == REDIS_REPLY_STRING &&
	    reply->element[0]->len < sizeof host &&
	    (port = atoi(reply->element[1]->str)) > 0 && port <= 65535) {
		memcpy(host, reply->element[0]->str, reply->element[0]->len);
		host[reply->element[0]->len] = '\0';
		redisAsyncDisconnect(ac);
		log_debug("store: sentinel %s:%d names master %s:%d",
		    sn.s[sn.next].host, sn.s[sn.next].port, host, port);
		sentinel_finish(host, port);
		return;
	}
	log_warnx("store: sentinel %s:%d does not know master %s",
	    sn.s[sn.next].host, sn.s[sn.next].port, sn.name);
	redisAsyncDisconnect(ac);
	sentinel_skip();
}

static void
sentinel_connect_cb(const redisAsyncContext *ac, int status)
{
	if (status == REDIS_OK || ac != sn.ac)
		return;
	sn.ac = NULL; /* hiredis frees it */
	log_debug("store: cannot reach sentinel %s:%d", sn.s[sn.next].host,
	    sn.s[sn.next].port);
	sentinel_skip();
}

static void
sentinel_disconnect_cb(const redisAsyncContext *ac, int status)
{
	if (ac != sn.ac)
		return;
	sn.ac = NULL;
	sentinel_skip();
}

static void
sentinel_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	redisAsyncContext *ac = sn.ac;

	if (ac == NULL)
		return;
	log_warnx("store: sentinel %s:%d does not answer", sn.s[sn.next].host,
	    sn.s[sn.next].port);
	sn.ac = NULL;
	redisAsyncFree(ac); /* a timer, not a hiredis callback: safe */
	sentinel_skip();
}

static void
sentinel_step_cb(evutil_socket_t fd, short what, void *arg)
{
	sentinel_next();
}

/* Ask sentinel sn.next, or finish with none when each was asked. */
static void
sentinel_next(void)
{
	const char *av[] = {"SENTINEL", "get-master-addr-by-name", sn.name};
	struct timeval tv = {
	    SENTINEL_TIMEOUT_MS / 1000, (SENTINEL_TIMEOUT_MS % 1000) * 1000};
	const struct sentinel_conf *s;
	redisAsyncContext *ac;

	if (!sn.asking)
		return;
	if (sn.tried++ >= sn.n) {
		sentinel_finish(NULL, 0);
		return;
	}
	s = &sn.s[sn.next];
	ac = redisAsyncConnect(s->host, s->port);
	if (ac == NULL || ac->err != 0) {
		if (ac != NULL)
			redisAsyncFree(ac);
		sentinel_skip();
		return;
	}
	redisLibeventAttach(ac, sn.base);
	redisAsyncSetConnectCallback(ac, sentinel_connect_cb);
	redisAsyncSetDisconnectCallback(ac, sentinel_disconnect_cb);
	sn.ac = ac;
	if (redisAsyncCommandArgv(ac, sentinel_reply_cb, NULL, 3, av, NULL) !=
	    REDIS_OK) {
		sn.ac = NULL;
		redisAsyncFree(ac);
		sentinel_skip();
		return;
	}
	evtimer_add(sn.ev_timeout, &tv);
}

/* Copy the sentinels and the name; create the timers. */
int
store_sentinel_init(struct event_base *base, const struct sentinel_conf *s,
    size_t n, const char *master_name)
{
	size_t i;

	memset(&sn, 0, sizeof sn);
	sn.base = base;
	if (n == 0 || (sn.s = calloc(n, sizeof *sn.s)) == NULL)
		return -1;
	sn.n = n;
	for (i = 0; i < n; i++) {
		sn.s[i].port = s[i].port;
		if ((sn.s[i].host = strdup(s[i].host)) == NULL)
			goto fail;
	}
	if ((sn.name = strdup(master_name)) == NULL ||
	    (sn.ev_step = evtimer_new(base, sentinel_step_cb, NULL)) == NULL ||
	    (sn.ev_timeout = evtimer_new(base, sentinel_timeout_cb, NULL)) ==
	        NULL)
		goto fail;
	return 0;
fail:
	store_sentinel_free();
	return -1;
}

/* Start a question (see store_sentinel.h). */
void
store_sentinel_ask(store_sentinel_cb *cb, void *arg)
{
	struct timeval zero = {0, 0};
	redisAsyncContext *ac = sn.ac;

	if (sn.n == 0 || sn.ev_step == NULL) {
		cb(NULL, 0, arg); /* not initialised: store.c never does this */
		return;
	}
	sn.ac = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);
	sn.cb = cb;
	sn.arg = arg;
	sn.tried = 0;
	sn.asking = true;
	evtimer_del(sn.ev_timeout);
	evtimer_add(sn.ev_step, &zero);
}

/* Start the next question with the next sentinel. */
void
store_sentinel_distrust(void)
{
	if (sn.n > 0)
		sn.next = (sn.next + 1) % sn.n;
}

/* Cancel and free. */
void
store_sentinel_free(void)
{
	redisAsyncContext *ac = sn.ac;
	size_t i;

	sn.asking = false;
	sn.cb = NULL;
	sn.ac = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);
	if (sn.ev_step != NULL)
		event_free(sn.ev_step);
	if (sn.ev_timeout != NULL)
		event_free(sn.ev_timeout);
	for (i = 0; i < sn.n; i++)
		free(sn.s[i].host);
	free(sn.s);
	free(sn.name);
	memset(&sn, 0, sizeof sn);
}
