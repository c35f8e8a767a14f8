/*
 * shelterd.h: the daemon's global state, as in Redis's `server`, and its
 * layers.
 *
 *   transport   main, listen, conn, http, notify    bytes in and out
 *       |
 *   dispatch    dispatch, methods, call, auth       envelope, checks, the
 *       |                                           method table, the call
 *   services    shelters, request_*, placement,     what a method does
 *       |       events, stats, boot
 *   store       store*, table, functions.lua        Redis and the table
 *
 *   base        clock, log, metrics, libshelter     used by every layer
 *
 * Calls go downward only. A lower layer that must tell a higher one
 * something takes a callback at start-up: the store's on_up/on_down and
 * its tail, a caller's ops (caller.h), dispatch's caller-gone hook.
 * tools/modgraph.py (make graph) checks that no module cycle exists.
 */
#ifndef SHELTERD_H
#define SHELTERD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "shelter/config.h"
#include "shelter/geo.h"

#include "clock.h"

struct shelterd {
	struct event_base *base;
	struct config *cfg; /* swapped on SIGHUP */
	struct gazetteer *gaz;
	long long started_ms;
	bool stopping;
};

extern struct shelterd sd;

#endif
