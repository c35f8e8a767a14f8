/*
 * store.h: Redis, the record of truth, through hiredis 0.14 async on the
 * event loop.
 *
 * One wrapper owns two connections: "cmd" for FCALLs and reads, "tail" for
 * XREAD BLOCK on the events stream. It loads the function library
 * (daemon/functions.lua, FUNCTION LOAD REPLACE) on every connect, checks
 * durability (appendonly yes, appendfsync always) unless
 * redis.require_durable is false, and reconnects with backoff and jitter.
 * A command that has no reply after STORE_TIMEOUT_MS drops the connection,
 * so every pending call ends with store_unavailable well within 2 s.
 *
 * See docs/store.md for the keys and functions.
 */
#ifndef SHELTERD_STORE_H
#define SHELTERD_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <jansson.h>

#include "shelter/config.h"
#include "shelter/error.h"

#define STORE_TIMEOUT_MS 1500

/*
 * Result of a function call: the JSON the function returned (borrowed, valid
 * during the callback) or NULL with err set: SH_UNAVAILABLE
 * store_unavailable when Redis could not be reached or dropped, or the
 * function's own error ({"error":{code, reason, field, message}}).
 */
typedef void store_cb(json_t *result, const struct sh_error *err, void *arg);

/* One event read from the stream. Strings are borrowed. */
struct store_event {
	const char *id; /* "MS-SEQ" */
	const char *topic, *type, *shelter, *at;
	const char *data; /* JSON text */
	size_t data_len;
};
typedef void store_event_cb(const struct store_event *ev, void *arg);
typedef void store_range_cb(const struct store_event *evs, size_t n,
    const struct sh_error *err, void *arg);

/*
 * Start connecting (returns at once). on_up runs each time both connections
 * are ready and the functions are loaded (at start and after every
 * reconnect); on_down each time they are lost. A durability failure at the
 * first connect is fatal (logged with what to change); later ones are
 * logged. 0 or -1 (bad address).
 */
int store_start(struct event_base *base, const struct config *cfg,
    void (*on_up)(void), void (*on_down)(void));
/* Disconnect both; pending callbacks run with store_unavailable. */
void store_stop(void);
bool store_is_up(void);
/* Round-trip time of the last PING, in microseconds. */
long long store_rtt_us(void);

/*
 * FCALL fn 0 PREFIX ARGS...: the prefix is prepended. argv[i] may hold NUL
 * bytes (lens). Returns 0 (cb runs later, exactly once) or -1 with err set
 * (not connected: store_unavailable; cb is not called).
 */
int store_fcall(const char *fn, int argc, const char **argv, const size_t *lens,
    store_cb *cb, void *arg, struct sh_error *err);
/* The same with NUL-terminated strings, argv ended by NULL. */
int store_fcallv(
    const char *fn, store_cb *cb, void *arg, struct sh_error *err, ...);

/*
 * Events after id (exclusive), at most count, oldest first (XRANGE on the
 * cmd connection). cb runs once.
 */
int store_events_after(const char *id, size_t count, store_range_cb *cb,
    void *arg, struct sh_error *err);
/* The newest event id ("0-0" when the stream is empty), into cb as a single
 * event with only id set, or with n == 0 when empty. */
int store_events_last(store_range_cb *cb, void *arg, struct sh_error *err);

/*
 * Tail the stream from after id ("$": from now). Every event is passed to
 * cb in order; after a reconnect the tail resumes after the last id it
 * delivered, so none is lost or repeated.
 */
void store_tail(const char *from_id, store_event_cb *cb, void *arg);
/* The id of the newest event the tail delivered ("0-0" before any). */
const char *store_tail_last_id(void);

#endif
