/*
 * dispatch.c: from a line to a started call, once for every transport
 * (see dispatch.h). The method table is in methods.c, the end of a call in
 * call.c, who a caller is in auth.c.
 *
 * Where the protocol is silent (docs/protocol.md, "our decisions"):
 * - a notification gets no response, not even an error (JSON-RPC 2.0),
 *   also when it is rate limited; a line that cannot be parsed is
 *   answered with id null, since it cannot be known to be one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/rpc.h"

#include "auth.h"
#include "boot.h"
#include "call.h"
#include "caller.h"
#include "clock.h"
#include "dispatch.h"
#include "log.h"
#include "methods.h"
#include "metrics.h"
#include "shelterd.h"

static void (*dispatch_gone_hook)(struct caller *c);

static const char *
dispatch_ptype_name(enum ptype t)
{
	switch (t) {
	case PT_STRING:
		return "a string";
	case PT_INT:
		return "an integer";
	case PT_BOOL:
		return "a boolean";
	case PT_OBJECT:
		return "an object";
	case PT_ARRAY:
		return "an array";
	}
	return "valid";
}

static bool
dispatch_ptype_ok(enum ptype t, const json_t *v)
{
	switch (t) {
	case PT_STRING:
		return json_is_string(v);
	case PT_INT:
		return json_is_integer(v);
	case PT_BOOL:
		return json_is_boolean(v);
	case PT_OBJECT:
		return json_is_object(v);
	case PT_ARRAY:
		return json_is_array(v);
	}
	return false;
}

/* The params check (-32602) against the method's param_spec. */
static int
dispatch_check_params(
    const struct method *m, const struct rpc_msg *msg, struct sh_error *err)
{
	const struct param_spec *p;
	const char *key;
	json_t *v;

	if (msg->params_invalid)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "params", "must be an object");
	if (msg->bad_reason != NULL) {
		const char *f = msg->bad_field;
		size_t olen = m->object != NULL ? strlen(m->object) : 0;

		/* Name it relative to the object being validated. */
		if (olen > 0 && strncmp(f, m->object, olen) == 0 &&
		    f[olen] == '.')
			f += olen + 1;
		/* An empty key of params itself names its object. */
		if (f[0] == '\0')
			f = "params.";
		return sh_error_set(err, SH_INVALID_PARAMS, msg->bad_reason, f,
		    strcmp(msg->bad_reason, "duplicate_key") == 0
		        ? "duplicate key"
		        : "number out of range");
	}
	json_object_foreach(msg->params, key, v)
	{
		for (p = m->params; p->name != NULL; p++)
			if (strcmp(p->name, key) == 0)
				break;
		/* An empty key names its object (PROTOCOL.md, v2). */
		if (p->name == NULL)
			return model_field_unknown(
			    err, key[0] != '\0' ? key : "params.", key);
	}
	for (p = m->params; p->name != NULL; p++) {
		v = json_object_get(msg->params, p->name);
		if (v == NULL && p->required)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "missing_field", p->name, "is required");
		if (v != NULL && !dispatch_ptype_ok(p->type, v))
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", p->name, "must be %s",
			    dispatch_ptype_name(p->type));
	}
	return 0;
}

/*
 * The checks after the envelope, in the protocol's order (docs/protocol.md
 * "Envelope and errors"): authentication (authed, or a method allowed before
 * it), the role, the own shelter of a shelter role (OWN_PARAM_ID), the params,
 * and that the daemon serves.
 */
static int
dispatch_check(const struct method *m, const struct rpc_msg *msg,
    const struct caller *c, struct sh_error *err)
{
	enum role role = caller_role(c);

	if (!c->authed && c->bad_token)
		return sh_error_set(err, SH_UNAUTHENTICATED, "bad_token", NULL,
		    "%s: invalid token", m->name);
	if (!c->authed && !m->before_auth)
		return sh_error_set(err, SH_UNAUTHENTICATED, "auth_required",
		    NULL, "%s: authenticate with session.auth first", m->name);
	if (role != ROLE_NONE && (m->roles & role) == 0)
		return sh_error_set(err, SH_FORBIDDEN, "role", NULL,
		    "%s: not allowed for role %s", m->name,
		    config_role_name(role));
	if (m->own == OWN_PARAM_ID && role == ROLE_SHELTER &&
	    !msg->params_invalid) {
		const char *id =
		    json_string_value(json_object_get(msg->params, "id"));

		if (id != NULL && strcmp(id, c->shelter) != 0)
			return sh_error_set(err, SH_FORBIDDEN,
			    "not_own_shelter", "id",
			    "a shelter may only name its own shelter");
	}
	if (dispatch_check_params(m, msg, err) == -1)
		return -1;
	if (!boot_ready() && !m->before_auth)
		return sh_error_set(err, SH_UNAVAILABLE, "store_unavailable",
		    NULL,
		    "%s: shelterd is starting (the shelter table is not "
		    "loaded yet); nothing was changed, safe to retry",
		    m->name);
	return 0;
}

/* The token bucket: true when the line may run (and a token is taken). */
static bool
dispatch_take_token(struct caller *c)
{
	return bucket_take(&c->bucket, sd.cfg->rate_per_s, clock_mono_us());
}

/* Answer id (borrowed; NULL: null) with err, outside any call. */
static void
dispatch_answer_error(struct caller *c, json_t *id, const struct sh_error *err)
{
	json_t *m = rpc_error(id, err);

	if (m != NULL && c->ops->send(c, m) == -1)
		log_debug("%s: output full, error reply dropped", c->peer);
	json_decref(m);
}

/* A rate-limited line: answered unless it is a notification. */
static void
dispatch_rate_limited(struct caller *c, const char *line, size_t len)
{
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id = NULL;
	bool notification = false;

	metrics_counters.rate_limited++;
	if (rpc_parse(line, len, &msg, &id, &err) == 0) {
		id = json_incref(msg.id);
		notification = id == NULL;
		rpc_msg_free(&msg);
	} else {
		notification = msg.notification;
	}
	/* JSON-RPC 2.0: a notification is never answered. */
	if (!notification) {
		sh_error_set(&err, SH_RATE_LIMITED, "rate_limited", NULL,
		    "rate limit exceeded: slow down");
		dispatch_answer_error(c, id, &err);
	}
	json_decref(id);
}

/* A line: see dispatch.h. */
void
dispatch_line(struct caller *c, const char *line, size_t len)
{
	struct rpc_msg msg;
	struct sh_error err;
	const struct method *m;
	struct call *call;
	json_t *id = NULL;

	if (!dispatch_take_token(c)) {
		dispatch_rate_limited(c, line, len);
		return;
	}
	if (rpc_parse(line, len, &msg, &id, &err) == -1) {
		/* Never the line itself: it may carry a person's data. */
		log_info("protocol error: peer=%s code=%d reason=%s bytes=%zu",
		    c->peer, err.code, err.reason, len);
		if (!msg.notification)
			dispatch_answer_error(c, id, &err);
		json_decref(id);
		return;
	}
	if ((m = methods_find(msg.method)) == NULL) {
		char esc[96];
		size_t n = strlen(msg.method);
		int cut;

		log_info("%s: unknown method %s", c->peer,
		    log_escape(msg.method, n, esc, sizeof esc));
		/* As sent, valid UTF-8 (the JSON escapes what it must), cut
		 * on a character boundary: 'unknown method "sessiön.ping"'. */
		for (cut = n > 64 ? 64 : (int)n;
		     cut > 0 && ((unsigned char)msg.method[cut] & 0xc0) == 0x80;
		     cut--)
			;
		sh_error_set(&err, SH_METHOD_NOT_FOUND, "unknown_method", NULL,
		    "unknown method \"%.*s%s\"", cut, msg.method,
		    (size_t)cut < n ? "..." : "");
		goto fail;
	}
	if (dispatch_check(m, &msg, c, &err) == -1)
		goto fail;
	if ((call = calloc(1, sizeof *call)) == NULL) {
		sh_error_set(
		    &err, SH_INTERNAL, "internal", NULL, "out of memory");
		goto fail;
	}
	call->caller = c;
	call->id = msg.id != NULL ? json_incref(msg.id) : NULL;
	call->method = m;
	call->params = json_incref(msg.params);
	call->role = caller_role(c);
	memcpy(call->shelter, c->shelter, sizeof call->shelter);
	memcpy(call->who, c->who, sizeof call->who);
	call->started_us = clock_mono_us();
	rpc_msg_free(&msg);
	c->call = call;
	m->fn(call);
	return;
fail:
	call_refused(c, m, msg.params, &err);
	/* A notification gets no response, not even an error. */
	if (msg.id != NULL)
		dispatch_answer_error(c, msg.id, &err);
	metrics_call(m != NULL ? m->name : NULL, err.code, 0);
	rpc_msg_free(&msg);
}

/* A new caller: see dispatch.h. */
void
dispatch_caller_init(struct caller *c)
{
	bucket_fill(&c->bucket, sd.cfg->rate_per_s, clock_mono_us());
}

/* The caller goes: see dispatch.h. */
void
dispatch_caller_gone(struct caller *c)
{
	if (c->call != NULL)
		c->call->caller = NULL;
	c->call = NULL;
	if (dispatch_gone_hook != NULL)
		dispatch_gone_hook(c);
}

/* Register the caller-gone hook: see dispatch.h. */
void
dispatch_on_caller_gone(void (*fn)(struct caller *c))
{
	dispatch_gone_hook = fn;
}

/* A reloaded config: see dispatch.h. */
void
dispatch_caller_reload(struct caller *c, const struct config *cfg)
{
	bucket_cap(&c->bucket, cfg->rate_per_s);
	auth_reload_caller(cfg, c);
}
