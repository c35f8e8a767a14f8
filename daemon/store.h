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

#include "store_fn.h"

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
	/* The number of the change of shelter it records (its field cseq;
	 * 0: none), and whether that change moved only counts (counts 1). */
	long long cseq;
	bool counts;
	/* The waitlist's version the change left (its field wver: see
	 * docs/store.md), or -1: not sent. */
	long long wver;
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
 * FCALL of the function fn (store_fn.h) with argc arguments after the
 * prefix, which is prepended. argc must fit fn's row of store_fns, else
 * SH_INTERNAL (logged). argv[i] may hold NUL bytes (lens; NULL: strings).
 * Returns 0 (cb runs later, exactly once) or -1 with err set (not
 * connected: store_unavailable; cb is not called). The typed calls below
 * build argv; use them rather than this.
 */
int store_call(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, store_cb *cb, void *arg, struct sh_error *err);

/*
 * Typed calls, one per function of store_fn.h (store_fn.c). Each
 * formats its integers, sends a NULL string as empty (what the function
 * reads as absent), and returns as store_call does. Strings are borrowed
 * for the duration of the call only.
 */

/* One pool of shd_shelter_put: its static JSON and the counts for a new
 * pool (an existing pool keeps its live counts). */
struct store_pool_put {
	const char *name;
	const char *doc; /* static pool JSON, no counts */
	long long total, occupied;
};
/*
 * The audit entry a function that audits writes in the same call as its
 * change (store_fn.h): the daemon call's who and method and the ids its
 * params name (space-separated); the function adds the ids of its reply's
 * objects and the outcome. who NULL or "": no entry. defer: none either
 * when the reply is no error and has no proposal and no duplicate (the
 * caller may go on). *written (when not NULL) is set when the function's
 * reply says it wrote the entry.
 */
struct store_audit {
	const char *who, *method, *ids;
	bool defer;
	bool *written;
};
struct store_shelter_put_args {
	const struct store_audit *audit; /* NULL: no entry */
	const char *id;
	const char *doc; /* static shelter JSON: no intake, pools or live */
	const char *tab; /* its packed form (model_shelter_pack) or "" */
	bool always, open_if_new;
	const struct store_pool_put *pools;
	size_t npools;
};
/* One pool of shd_capacity; a count below 0 is sent empty: kept. */
struct store_pool_count {
	const char *name;
	long long total, occupied;
};
struct store_capacity_args {
	const struct store_audit *audit; /* NULL: no entry */
	const char *id;
	bool has_if_version; /* false: sent empty, no version check */
	long long if_version;
	const struct store_pool_count *pools;
	size_t npools;
};
struct store_submit_args {
	const struct store_audit *audit; /* NULL: no entry */
	const char *ref;
	const char *doc; /* normalised request JSON */
	int urgency;
	const char *case_id;
	const char *co_victims; /* "any", "apart", "together" */
	const char *household;  /* household JSON for placement events */
	int ttl_s, nalt;
	const char *candidates; /* placement_candidates_arg */
};
/* One request of shd_submit_batch: as store_submit_args, with its choice. */
struct store_batch_item {
	const char *ref;
	const char *doc;
	int urgency;
	const char *case_id;
	const char *co_victims;
	const char *household;
	/* {shelter_id, pool, score, scores, alternatives} JSON, NULL: none */
	const char *choice;
};
struct store_submit_batch_args {
	int ttl_s, nalt;
	bool partial; /* hold what still fits, the others wait */
	const struct store_batch_item *items;
	size_t nitems;
};
struct store_propose_args {
	const char *request_id;
	int ttl_s, nalt;
	const char *candidates;
};

int store_version(store_cb *cb, void *arg, struct sh_error *err);
int store_shelter_put(const struct store_shelter_put_args *a, store_cb *cb,
    void *arg, struct sh_error *err);
int store_shelter_remove(const struct store_audit *au, const char *id,
    store_cb *cb, void *arg, struct sh_error *err);
int store_shelter_get(
    const char *id, store_cb *cb, void *arg, struct sh_error *err);
int store_shelter_list(store_cb *cb, void *arg, struct sh_error *err);
/*
 * A raw reply (store_reply.c): borrowed for the callback only; NULL with
 * err set when the call failed.
 */
struct redisReply;
typedef void store_reply_cb(
    const struct redisReply *reply, const struct sh_error *err, void *arg);
int store_shelter_rows(const char *after, int limit, const char *upto,
    store_reply_cb *cb, void *arg, struct sh_error *err);
/* argv: n groups of id, version, packed form. */
int store_shelter_tabs(const char *const *argv, size_t n, store_cb *cb,
    void *arg, struct sh_error *err);
/*
 * shd_capacity's answer for a shelter stored in the packed form: its row
 * as shd_shelter_rows gives it (MODEL_ROW_N fields, then MODEL_ROW_POOL_N
 * a pool; "" for a field the store does not hold), for the table, beside
 * the shelter's live JSON for the client, to be sent on as it is. Borrowed
 * for the callback.
 */
struct store_capacity_reply {
	const char *const *row;
	const size_t *row_len;
	size_t nrow;
	const char *shelter;
	size_t shelter_len;
};
/* The answer to store_capacity: cr as above, else the JSON result
 * ({"shelter", "cseq"}) or err. Exactly one is not NULL. */
typedef void store_capacity_cb(const struct store_capacity_reply *cr,
    json_t *result, const struct sh_error *err, void *arg);
int store_capacity(const struct store_capacity_args *a, store_capacity_cb *cb,
    void *arg, struct sh_error *err);
int store_intake(const struct store_audit *au, const char *id, bool open,
    const char *reason, store_cb *cb, void *arg, struct sh_error *err);
/* pools: {POOL: [[day, count], ...]} JSON, days since the epoch. */
int store_departures(const struct store_audit *au, const char *id,
    const char *pools, store_cb *cb, void *arg, struct sh_error *err);
int store_case_shelters(
    const char *case_id, store_cb *cb, void *arg, struct sh_error *err);
/*
 * shd_submit's answer when it made a proposal or found a duplicate: what
 * the daemon needs, read without decoding JSON, beside request.submit's
 * result for the client as JSON text ({request, proposal, explanation:
 * null, duplicate}), to be sent as it is. Strings are borrowed for the
 * callback; "" when there is none (a duplicate names only its request and
 * its open proposal).
 */
struct store_submit_reply {
	bool duplicate; /* else a proposal was made */
	const char *request_id, *proposal_id, *shelter_id, *pool;
	long long cseq; /* the hold's change of the shelter; 0: none */
	const char *result;
	size_t result_len;
};
/*
 * The answer to store_submit: sr as above, else the JSON result (as
 * store_cb gives it: the request waits, or a duplicate stored in an older
 * form) or err. Exactly one is not NULL.
 */
typedef void store_submit_cb(const struct store_submit_reply *sr,
    json_t *result, const struct sh_error *err, void *arg);
int store_submit(const struct store_submit_args *a, store_submit_cb *cb,
    void *arg, struct sh_error *err);
int store_submit_batch(const struct store_submit_batch_args *a, store_cb *cb,
    void *arg, struct sh_error *err);
int store_propose(const struct store_propose_args *a, store_cb *cb, void *arg,
    struct sh_error *err);
int store_accept(const struct store_audit *au, const char *proposal_id,
    store_cb *cb, void *arg, struct sh_error *err);
/* Reject and cancel reasons are checked by the caller and never sent. */
int store_reject(
    const char *proposal_id, store_cb *cb, void *arg, struct sh_error *err);
int store_cancel(const struct store_audit *au, const char *request_id,
    store_cb *cb, void *arg, struct sh_error *err);
/* own_shelter: the caller's shelter, NULL or "" for any. */
int store_arrived(const struct store_audit *au, const char *request_id,
    const char *own_shelter, store_cb *cb, void *arg, struct sh_error *err);
/* own_shelter as for store_arrived. */
int store_departed(const struct store_audit *au, const char *request_id,
    const char *own_shelter, store_cb *cb, void *arg, struct sh_error *err);
int store_sweep(store_cb *cb, void *arg, struct sh_error *err);
/* The time checks of alerts.c, every duration in milliseconds. */
struct store_alerts_args {
	long long stale_ms, remind_ms;
	long long immediate_ms, days_ms, planned_ms, repeat_ms;
	long long expiring_ms; /* 0: no proposal.expiring */
};
int store_alerts(const struct store_alerts_args *a, store_cb *cb, void *arg,
    struct sh_error *err);
/* program, own_shelter: NULL or "" for any; norms {PROGRAM: DAYS} JSON. */
int store_long_stays(const char *program, const char *own_shelter,
    const char *norms, store_cb *cb, void *arg, struct sh_error *err);
/*
 * The requests submitted in [from_ms, to_ms) with what report.placements
 * needs (lib/report_placements.c reads them), and the store's now.
 */
int store_placement_report(long long from_ms, long long to_ms, store_cb *cb,
    void *arg, struct sh_error *err);
/* The test clock (clock.h): read its offset; move it by seconds > 0. */
int store_clock(store_cb *cb, void *arg, struct sh_error *err);
int store_clock_advance(
    long long seconds, store_cb *cb, void *arg, struct sh_error *err);
/* by_ref: id is a ref only; else a request id, or else a ref. */
int store_request_get(
    const char *id, bool by_ref, store_cb *cb, void *arg, struct sh_error *err);
/* statuses: comma separated, NULL or "" for all; newest: newest first;
 * case_id: only that safety case (NULL or "": all). */
int store_request_list(const char *statuses, int limit, bool newest,
    const char *case_id, store_cb *cb, void *arg, struct sh_error *err);
/* statuses: expected and/or resident, comma separated ("": both);
 * own_shelter: "" for every shelter. */
int store_placement_list(const char *statuses, const char *own_shelter,
    store_cb *cb, void *arg, struct sh_error *err);
/* A page of at most limit waiting requests after the cursor after (NULL or
 * "": from the head); the result's "next" is the cursor of the next page,
 * or null after the last one. */
int store_waiting(int limit, const char *after, const char *ver, store_cb *cb,
    void *arg, struct sh_error *err);
int store_stats(store_cb *cb, void *arg, struct sh_error *err);

/* A registration for shd_reg_create / shd_reg_update (id NULL: create). */
struct store_reg_args {
	const struct store_audit *audit; /* NULL: no entry */
	const char *id, *ref, *doc, *date, *kind, *request_id;
	bool has_if_version;
	long long if_version;
};
int store_reg_put(const struct store_reg_args *a, store_cb *cb, void *arg,
    struct sh_error *err);
int store_reg_get(
    const char *id, store_cb *cb, void *arg, struct sh_error *err);
/* from, to: YYYYMMDD or NULL; kind NULL for all. */
int store_reg_list(const char *from, const char *to, const char *kind,
    int limit, store_cb *cb, void *arg, struct sh_error *err);
int store_reg_docs(const char *from, const char *to, store_cb *cb, void *arg,
    struct sh_error *err);
/* ids: space separated. */
int store_audit_add(const char *who, const char *method, const char *ids,
    const char *outcome, store_cb *cb, void *arg, struct sh_error *err);
/* from_ms, to_ms: below 0 for none; who, method NULL for any. */
int store_audit_list(long long from_ms, long long to_ms, const char *who,
    const char *method, int limit, store_cb *cb, void *arg,
    struct sh_error *err);
/* Cutoffs below 0 (dates NULL) keep everything of that kind. */
int store_retention(const struct store_audit *au, long long requests_cutoff_ms,
    const char *reg_cutoff_date, long long audit_cutoff_ms, store_cb *cb,
    void *arg, struct sh_error *err);

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
