/*
 * call.h: one JSON-RPC call, from dispatch to the handler that ends it.
 *
 * Dispatch has already checked the envelope, that the method exists,
 * authentication, the role, the own shelter (OWN_PARAM_ID) and the params
 * against the method's param_spec; the handler validates deeper (request
 * and shelter objects) and must end the call exactly once, now or later,
 * with call_reply or call_error. Calls from one caller run one at a time,
 * so responses come back in request order.
 */
#ifndef SHELTERD_CALL_H
#define SHELTERD_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "shelter/config.h"
#include "shelter/error.h"
#include "shelter/model.h"

struct caller;
struct method;

/* Bytes of a free-text reason param (reject, cancel, intake). */
#define CALL_REASON_MAX 500

struct call {
	/* NULL once the caller has gone: the reply is then dropped, but the
	 * handler still ends the call. */
	struct caller *caller;
	json_t *id; /* owned; NULL for a notification */
	const struct method *method;
	json_t *params; /* owned; an object that passed the param_spec */
	enum role role;
	char shelter[MODEL_ID_MAX + 1]; /* own shelter of a shelter role */
	char who[80];                   /* "token=NAME" or "uid=N", for logs */
	uint64_t started_us;
	/* A store function wrote this call's audit entry (audit.h). */
	bool audited;
};

/* End the call with a result (stolen; NULL means out of memory). Frees
 * the call. */
void call_reply(struct call *call, json_t *result);
/*
 * End the call with a result that is already JSON text (a JSON object,
 * borrowed: sent as it is, never decoded; len > 0). Frees the call. The
 * end hook gets neither result nor error.
 */
void call_reply_text(struct call *call, const char *text, size_t len);
/* End the call with an error. Frees the call. */
void call_error(struct call *call, const struct sh_error *err);
/*
 * Dispatch refused a call of m by c before it began (its role, its own
 * shelter, its params): the end hook sees it as a call that ended with
 * err (its audit entry), when c is authenticated. An unauthenticated line
 * is logged and counted, never audited: nobody to name, and anyone could
 * fill the trail.
 */
void call_refused(struct caller *c, const struct method *m, json_t *params,
    const struct sh_error *err);
/*
 * End the call with the first error of all (at least one), carrying
 * every one of them as data.errors: [{field, reason, message}]. Frees the
 * call.
 */
void call_error_all(struct call *call, const struct sh_errors *all);
/* The same for the n problems v (n >= 1). */
void call_error_list(struct call *call, const struct sh_error *v, size_t n);
/* call_error with a formatted message. */
void call_errorf(struct call *call, int code, const char *reason,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * The hook every ending call runs (before it is freed), with its result
 * or error (both NULL: the result was JSON text, call_reply_text): the
 * audit trail. Registered once at start-up.
 */
void call_on_end(void (*fn)(
    const struct call *call, const json_t *result, const struct sh_error *err));
/* The string value of params[name], or NULL when absent or not a string. */
const char *call_str(const struct call *call, const char *name);

#endif
