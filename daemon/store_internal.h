/*
 * store_internal.h: what store.c offers store_fcall.c, store_fn.c and
 * store_stream.c: the one wrapper's state and the FIFO of commands in
 * flight on cmd. Calls go from those files to store.c only; store.c
 * reaches the tail through store_st.tail_up. The API for the rest of the
 * daemon is store.h.
 */
#ifndef SHELTERD_STORE_INTERNAL_H
#define SHELTERD_STORE_INTERNAL_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "shelter/error.h"
#include "shelter/model.h"

#include "store.h"

#define STORE_TAIL_BLOCK_MS 1000
#define STORE_TAIL_COUNT    512
#define STORE_ID_MAX        48
#define STORE_CASE_KEY      68 /* "h" + 64 hex digits + NUL, and spare */
/* Connections beside cmd for the calls store_call spreads (store_fcall.c):
 * under appendfsync always Redis fsyncs once per event-loop turn and reads
 * a bounded amount per connection and turn, so more connections mean more
 * calls per fsync. */
#define STORE_AUX 3

enum pending_kind {
	PK_SETUP,
	PK_PING,
	PK_FCALL,
	PK_RANGE,
	PK_WAIT,
	PK_REPLY,
	PK_ROLE
};

/* The most values a reply in fields has (store_call_fields): shd_capacity's
 * kind, audited, a shelter's row of MODEL_POOL_MAX pools and its JSON. */
#define STORE_FIELDS_MAX (3 + MODEL_ROW_N + MODEL_POOL_MAX * MODEL_ROW_POOL_N)

/*
 * A function's reply in fields: the array [kind, audited, field..., json]
 * (docs/store.md "Replies in fields"), every value a string. v[i] is
 * NUL-terminated, len[i] its length; borrowed for the callback.
 */
struct store_fields {
	size_t n;
	const char *v[STORE_FIELDS_MAX];
	size_t len[STORE_FIELDS_MAX];
};
/*
 * The answer to store_call_fields: f when the function replied in
 * fields, else its JSON result (as store_cb) or err. Exactly one is not
 * NULL.
 */
typedef void store_fields_cb(const struct store_fields *f, json_t *result,
    const struct sh_error *err, void *arg);

/* One command in flight on cmd, in send order. */
struct pending {
	TAILQ_ENTRY(pending) link;
	enum pending_kind kind;
	int step; /* PK_SETUP */
	uint64_t sent_us;
	store_cb *cb;
	store_fields_cb *fcb; /* PK_FCALL of store_call_fields, else NULL */
	store_range_cb *rcb;
	store_reply_cb *xcb; /* PK_REPLY */
	void *arg;
	char fn[32];  /* for logs */
	bool writes;  /* PK_FCALL: may change state (no answer: outcome unknown)
	               */
	bool waited;  /* PK_FCALL: a WAIT follows; it delivers the outcome */
	bool replied; /* PK_FCALL with waited: the outcome below is set */
	bool noack;   /* PK_FCALL: its WAIT could not be sent */
	json_t *res;  /* the outcome kept for the WAIT (owned), or NULL ... */
	struct store_fields *fields; /* ... or this copy (owned, one block) */
	struct sh_error err;         /* ... with this error */
	struct pending *fcall; /* PK_WAIT: the FCALL whose outcome it holds */
	redisAsyncContext *ac; /* the connection it was sent on */
	bool *audited; /* PK_FCALL: set when the function wrote the audit
	                * entry (its reply's "audited") */
};
TAILQ_HEAD(pending_list, pending);

struct store_state {
	struct event_base *base;
	char *unix_path, *host, *user, *password, *prefix;
	int port;
	bool require_durable;
	bool sentinel;  /* the master is found through Redis Sentinel */
	bool resolving; /* asking the sentinels */
	int min_acks;   /* WAIT for this many replicas after each write */
	char addr[160]; /* for logs */
	void (*on_up)(void);
	void (*on_down)(void);

	redisAsyncContext *cmd, *tail;
	redisAsyncContext *aux[STORE_AUX]; /* NULL: not open */
	unsigned aux_next;                 /* round robin over cmd and aux */
	struct pending_list pending;
	bool cmd_ready, tail_ready, up, announced, ever_up, stopping;
	bool aof_ok, fsync_ok, failing;
	bool setup_failed;    /* a setup step failed: the rest is moot */
	bool salt_ok, lib_ok; /* cmd's setup has the salt, the library */
	bool noreplicas;      /* a write got NOREPLICAS: see store_fcall.c */
	unsigned backoff_ms;
	struct event *ev_reset, *ev_retry, *ev_tick;
	unsigned ticks;
	bool ping_inflight;
	long long rtt_us;

	/* tail */
	void (*tail_up)(void); /* set by store_tail: both connections are up */
	bool tail_on, tail_inflight;
	uint64_t tail_sent_us;
	store_event_cb *tail_cb;
	void *tail_arg;
	char case_salt[65]; /* the key of case hashes (PREFIXcase_salt) */

	char tail_pos[STORE_ID_MAX]; /* XREAD position: the last id passed */
	char newest[STORE_ID_MAX];   /* the stream's newest id at connect */
};
extern struct store_state store_st;

/* store_call (store.h) with audited: set true when the function's reply
 * says it wrote the audit entry (NULL: not wanted). */
int store_call_audited(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, bool *audited, store_cb *cb, void *arg,
    struct sh_error *err);

/*
 * store_call_audited for a function that may reply in fields: cb gets
 * them, or its JSON result or error as store_cb would. *audited is also
 * set from a reply in fields.
 */
int store_call_fields(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, bool *audited, store_fields_cb *cb, void *arg,
    struct sh_error *err);

/* The errors of store_error.c. SH_UNAVAILABLE store_unavailable into err.
 * Returns -1. */
int store_unavailable(struct sh_error *err);
/* SH_UNAVAILABLE outcome_unknown into err: a write was sent, no answer. */
void store_outcome_unknown(struct sh_error *err);
/* SH_INTERNAL into err. */
void store_internal(struct sh_error *err);
/* A new pending command of kind, or NULL on ENOMEM. */
struct pending *store_pending_new(enum pending_kind kind);
/*
 * Send a command on cmd with p as its privdata, recorded in the FIFO the
 * watchdog reads. 0, or -1 (p freed) when cmd is gone or hiredis refuses.
 */
int store_send(struct pending *p, redisCallbackFn *fn, int argc,
    const char **argv, const size_t *lens);
/* store_send on ac (cmd or one of aux). */
int store_send_on(redisAsyncContext *ac, struct pending *p, redisCallbackFn *fn,
    int argc, const char **argv, const size_t *lens);
/* The reply for p arrived (or NULL: the connection is going away). The
 * callback frees p. */
void store_pending_done(struct pending *p, redisReply *reply);
/* Drop both connections at the next safe point, then reconnect. */
void store_drop(const char *why);

/* What a connection's setup reads from replies (store_check.c). */
bool store_config_is(const redisReply *r, const char *want);
bool store_library_current(const redisReply *r, const char *code);
const char *store_entry_id(const redisReply *e);

/* "PREFIXevents" into buf. Returns buf. */
char *store_events_key(char *buf, size_t len);

#endif
