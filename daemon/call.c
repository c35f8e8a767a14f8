/*
 * call.c: the end of a call. A handler ends every call exactly once, now or
 * later, with call_reply or call_error (see call.h); the reply goes to the
 * caller if it is still there, through its transport's end_call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/rpc.h"

#include "call.h"
#include "caller.h"
#include "clock.h"
#include "methods.h"
#include "metrics.h"

static void (*call_end_hook)(
    const struct call *, const json_t *, const struct sh_error *);

/* Register the end hook: see call.h. */
void
call_on_end(void (*fn)(
    const struct call *call, const json_t *result, const struct sh_error *err))
{
	call_end_hook = fn;
}

static void
call_free(struct call *call)
{
	json_decref(call->id);
	json_decref(call->params);
	free(call);
}

/* Send r (borrowed; NULL or r->msg NULL without text: nothing) for
 * call, record it, free the call, resume input. */
static void
call_end_reply(struct call *call, const struct rpc_reply *r, int code)
{
	struct caller *c = call->caller;

	metrics_call(
	    call->method->name, code, clock_mono_us() - call->started_us);
	if (c != NULL) {
		c->call = NULL;
		c->ops->end_call(c,
		    call->id != NULL && r != NULL &&
		            (r->msg != NULL || r->text != NULL)
		        ? r
		        : NULL);
	}
	call_free(call);
}

/* call_end_reply of a whole message msg (borrowed; NULL: nothing). */
static void
call_end(struct call *call, const json_t *msg, int code)
{
	struct rpc_reply r = {.msg = msg};

	call_end_reply(call, &r, code);
}

/* End a call with its result (stolen): see call.h. */
void
call_reply(struct call *call, json_t *result)
{
	json_t *m = NULL;

	if (result == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	if (call_end_hook != NULL)
		call_end_hook(call, result, NULL);
	if (call->caller != NULL && call->id != NULL)
		m = rpc_result(call->id, result);
	else
		json_decref(result);
	call_end(call, m, 0);
	json_decref(m);
}

/* End a call with a result in JSON text: see call.h. */
void
call_reply_text(struct call *call, const char *text, size_t len)
{
	struct rpc_reply r = {.id = call->id, .text = text, .len = len};

	if (call_end_hook != NULL)
		call_end_hook(call, NULL, NULL);
	call_end_reply(call, &r, 0);
}

/* End a call with an error: see call.h. */
void
call_error(struct call *call, const struct sh_error *err)
{
	json_t *m = NULL;

	if (call_end_hook != NULL)
		call_end_hook(call, NULL, err);
	if (call->caller != NULL && call->id != NULL)
		m = rpc_error(call->id, err);
	call_end(call, m, err->code);
	json_decref(m);
}

/* call_error for the first of v, with data.errors: see call.h. */
void
call_error_list(struct call *call, const struct sh_error *v, size_t n)
{
	json_t *m = NULL, *list, *data;
	size_t i;

	if (call->caller != NULL && call->id != NULL &&
	    (m = rpc_error(call->id, &v[0])) != NULL) {
		data = json_object_get(json_object_get(m, "error"), "data");
		list = json_array();
		for (i = 0; list != NULL && i < n; i++)
			json_array_append_new(list,
			    json_pack("{s:s, s:s, s:s}", "field", v[i].field,
			        "reason", v[i].reason, "message",
			        v[i].message));
		json_object_set_new(data, "errors", list);
	}
	call_end(call, m, v[0].code);
	json_decref(m);
}

void
call_error_all(struct call *call, const struct sh_errors *all)
{
	call_error_list(call, all->v, all->n);
}

/* A call dispatch refused before it began: see call.h. */
void
call_refused(struct caller *c, const struct method *m, json_t *params,
    const struct sh_error *err)
{
	struct call call;

	if (call_end_hook == NULL || c == NULL || m == NULL || !c->authed)
		return;
	memset(&call, 0, sizeof call);
	call.caller = c;
	call.method = m;
	call.params = params;
	call.role = caller_role(c);
	memcpy(call.shelter, c->shelter, sizeof call.shelter);
	memcpy(call.who, c->who, sizeof call.who);
	call_end_hook(&call, NULL, err);
}

/* call_error with a formatted message: see call.h. */
void
call_errorf(struct call *call, int code, const char *reason, const char *field,
    const char *fmt, ...)
{
	struct sh_error err;
	char msg[sizeof err.message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sh_error_set(&err, code, reason, field, "%s", msg);
	call_error(call, &err);
}

/* A string param: see call.h. */
const char *
call_str(const struct call *call, const char *name)
{
	return json_string_value(json_object_get(call->params, name));
}
