/*
 * store_fn.h: every function of the Redis library (daemon/functions.lua),
 * named once with its arguments.
 *
 * X(ID, name, argc, group, args): argc is the number of fixed arguments
 * after the key prefix (which store_call always sends first); group is the
 * size of a repeated tail (0: none), so a call carries argc + k * group
 * arguments for some k >= 0. args names them in order, the repeated tail in
 * brackets. functions.lua registers the same names and counts, which
 * tests/unit/test_store_fn.c holds against this table.
 *
 * A function whose args begin "who method ids defer" writes the audit
 * entry of the daemon's call itself, in the same call as its change (who
 * empty: none; see struct store_audit in store.h), and says so in its
 * reply ("audited": true).
 *
 * Dependency-free on purpose: the unit test includes it without linking the
 * daemon.
 */
#ifndef SHELTERD_STORE_FN_H
#define SHELTERD_STORE_FN_H

#define STORE_FUNCTIONS(X)                                                     \
	X(VERSION, "shd_version", 0, 0, "")                                    \
	X(SHELTER_PUT, "shd_shelter_put", 9, 4,                                \
	    "who method ids defer id doc always open_if_new tab [pool "        \
	    "pool_json total occupied]")                                       \
	X(SHELTER_REMOVE, "shd_shelter_remove", 5, 0,                          \
	    "who method ids defer id")                                         \
	X(SHELTER_GET, "shd_shelter_get", 1, 0, "id")                          \
	X(SHELTER_LIST, "shd_shelter_list", 0, 0, "")                          \
	X(SHELTER_ROWS, "shd_shelter_rows", 3, 0, "after limit upto")          \
	X(SHELTER_TABS, "shd_shelter_tabs", 0, 3, "[id version tab]")          \
	X(CAPACITY, "shd_capacity", 6, 3,                                      \
	    "who method ids defer id if_version [pool total occupied]")        \
	X(INTAKE, "shd_intake", 7, 0, "who method ids defer id open reason")   \
	X(DEPARTURES, "shd_departures", 6, 0, "who method ids defer id pools") \
	X(CASE_SHELTERS, "shd_case_shelters", 1, 0, "case")                    \
	X(SUBMIT, "shd_submit", 13, 0,                                         \
	    "who method ids defer ref doc urgency case co_victims household "  \
	    "ttl nalt candidates")                                             \
	X(SUBMIT_BATCH, "shd_submit_batch", 3, 7,                              \
	    "ttl nalt partial [ref doc urgency case co_victims household "     \
	    "choice]")                                                         \
	X(PROPOSE, "shd_propose", 4, 0, "request_id ttl nalt candidates")      \
	X(ACCEPT, "shd_accept", 5, 0, "who method ids defer proposal_id")      \
	X(REJECT, "shd_reject", 1, 0, "proposal_id")                           \
	X(CANCEL, "shd_cancel", 5, 0, "who method ids defer request_id")       \
	X(ARRIVED, "shd_arrived", 6, 0,                                        \
	    "who method ids defer request_id own_shelter")                     \
	X(DEPARTED, "shd_departed", 6, 0,                                      \
	    "who method ids defer request_id own_shelter")                     \
	X(SWEEP, "shd_sweep", 0, 0, "")                                        \
	X(ALERTS, "shd_alerts", 7, 0,                                          \
	    "stale_ms remind_ms immediate_ms days_ms planned_ms repeat_ms "    \
	    "expiring_ms")                                                     \
	X(LONG_STAYS, "shd_long_stays", 3, 0, "program own_shelter norms")     \
	X(PLACEMENT_REPORT, "shd_placement_report", 2, 0, "from_ms to_ms")     \
	X(CLOCK, "shd_clock", 0, 0, "")                                        \
	X(CLOCK_ADVANCE, "shd_clock_advance", 1, 0, "seconds")                 \
	X(REQUEST_GET, "shd_request_get", 2, 0, "id by")                       \
	X(REQUEST_LIST, "shd_request_list", 4, 0, "statuses limit order case") \
	X(PLACEMENT_LIST, "shd_placement_list", 2, 0, "statuses own_shelter")  \
	X(WAITING, "shd_waiting", 3, 0, "limit after ver")                     \
	X(STATS, "shd_stats", 0, 0, "")                                        \
	X(REG_CREATE, "shd_reg_create", 9, 0,                                  \
	    "who method ids defer ref doc date kind request_id")               \
	X(REG_UPDATE, "shd_reg_update", 11, 0,                                 \
	    "who method ids defer id ref doc date kind request_id if_version") \
	X(REG_GET, "shd_reg_get", 1, 0, "id")                                  \
	X(REG_LIST, "shd_reg_list", 4, 0, "from to kind limit")                \
	X(REG_DOCS, "shd_reg_docs", 2, 0, "from to")                           \
	X(AUDIT_ADD, "shd_audit_add", 4, 0, "who method ids outcome")          \
	X(AUDIT_LIST, "shd_audit_list", 5, 0, "from to who method limit")      \
	X(RETENTION, "shd_retention", 7, 0,                                    \
	    "who method ids defer requests_cutoff registrations_cutoff "       \
	    "audit_cutoff")

/*
 * The functions that only read, for an array of enum store_fn (registered with
 * the no-writes flag: `readonly = true` in functions.lua, which the unit test
 * holds against this list). A call of any other may write, so it is waited for
 * with WAIT when min_replicas_ack is set and answered outcome_unknown when no
 * answer came; a new function is a write until it is listed here.
 */
#define STORE_FN_READS                                                         \
	STORE_FN_VERSION, STORE_FN_SHELTER_GET, STORE_FN_SHELTER_LIST,         \
	    STORE_FN_SHELTER_ROWS, STORE_FN_CASE_SHELTERS,                     \
	    STORE_FN_LONG_STAYS, STORE_FN_PLACEMENT_REPORT, STORE_FN_CLOCK,    \
	    STORE_FN_REQUEST_GET, STORE_FN_REQUEST_LIST,                       \
	    STORE_FN_PLACEMENT_LIST, STORE_FN_WAITING, STORE_FN_STATS,         \
	    STORE_FN_REG_GET, STORE_FN_REG_LIST, STORE_FN_REG_DOCS,            \
	    STORE_FN_AUDIT_LIST

#define STORE_FN_ENUM_(id, name, argc, group, args) STORE_FN_##id,
enum store_fn { STORE_FUNCTIONS(STORE_FN_ENUM_) STORE_FN_COUNT };
#undef STORE_FN_ENUM_

struct store_fn_def {
	const char *name; /* "shd_submit" */
	int argc;         /* fixed arguments after the prefix */
	int group;        /* size of the repeated tail, 0: none */
	const char *args; /* their names, in order */
};

/* The table, indexed by enum store_fn (store_fn.c). */
extern const struct store_fn_def store_fns[STORE_FN_COUNT];

#endif
