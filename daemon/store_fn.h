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
 * Dependency-free on purpose: the unit test includes it without linking the
 * daemon.
 */
#ifndef SHELTERD_STORE_FN_H
#define SHELTERD_STORE_FN_H

#define STORE_FUNCTIONS(X)                                                     \
	X(VERSION, "shd_version", 0, 0, "")                                    \
	X(SHELTER_PUT, "shd_shelter_put", 4, 4,                                \
	    "id doc always open_if_new [pool pool_json total occupied]")       \
	X(SHELTER_REMOVE, "shd_shelter_remove", 1, 0, "id")                    \
	X(SHELTER_GET, "shd_shelter_get", 1, 0, "id")                          \
	X(SHELTER_LIST, "shd_shelter_list", 0, 0, "")                          \
	X(CAPACITY, "shd_capacity", 2, 3,                                      \
	    "id if_version [pool total occupied]")                             \
	X(INTAKE, "shd_intake", 3, 0, "id open reason")                        \
	X(CASE_SHELTERS, "shd_case_shelters", 1, 0, "case")                    \
	X(SUBMIT, "shd_submit", 9, 0,                                          \
	    "ref doc urgency case co_victims household ttl nalt candidates")   \
	X(PROPOSE, "shd_propose", 4, 0, "request_id ttl nalt candidates")      \
	X(ACCEPT, "shd_accept", 1, 0, "proposal_id")                           \
	X(REJECT, "shd_reject", 1, 0, "proposal_id")                           \
	X(CANCEL, "shd_cancel", 1, 0, "request_id")                            \
	X(ARRIVED, "shd_arrived", 2, 0, "request_id own_shelter")              \
	X(SWEEP, "shd_sweep", 0, 0, "")                                        \
	X(REQUEST_GET, "shd_request_get", 1, 0, "id")                          \
	X(REQUEST_LIST, "shd_request_list", 2, 0, "statuses limit")            \
	X(WAITING, "shd_waiting", 1, 0, "limit")                               \
	X(STATS, "shd_stats", 0, 0, "")

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
