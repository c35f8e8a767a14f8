/*
 * store_sentinel.h: find the Redis master through Redis Sentinel
 * (hiredis 0.14 has no Sentinel support of its own).
 *
 * Each question asks the sentinels in turn, starting with the one that
 * answered last, `SENTINEL get-master-addr-by-name NAME` on a short-lived
 * connection with a timeout, until one names the master. Used by store.c
 * only; it knows nothing of the store's state.
 */
#ifndef SHELTERD_STORE_SENTINEL_H
#define SHELTERD_STORE_SENTINEL_H

#include <stddef.h>

#include <event2/event.h>

#include "shelter/config.h"

/* The master's address (borrowed, valid during the call), or host NULL
 * when no sentinel named one. */
typedef void store_sentinel_cb(const char *host, int port, void *arg);

/*
 * Copy the sentinels and the master's name. 0, or -1 on ENOMEM.
 */
int store_sentinel_init(struct event_base *base, const struct sentinel_conf *s,
    size_t n, const char *master_name);
/*
 * Ask for the master; cb runs exactly once, later (never inside this
 * call), unless store_sentinel_free runs first. One question at a time:
 * a new one replaces the one in flight, whose cb is not run.
 */
void store_sentinel_ask(store_sentinel_cb *cb, void *arg);
/*
 * The master the last answer named was not one (refused, or ROLE says
 * replica): that sentinel may not have seen a switch-over yet, so the
 * next question starts with the next sentinel.
 */
void store_sentinel_distrust(void);
/* Cancel the question in flight (its cb is not run) and free everything. */
void store_sentinel_free(void);

#endif
