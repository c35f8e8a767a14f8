/*
 * server.c: the server's life cycle (start, stop, reload) and the checks a
 * call passes before its handler runs, once for every method, in
 * PROTOCOL.md's order: authentication, role, own shelter, params against
 * the method's param_spec. Connections are in conn.c, the end of a call in
 * call.c.
 */
#include <stdbool.h>
#include <string.h>

#include <event2/event.h>

#include "shelter/rpc.h"

#include "conn.h"
#include "listen.h"
#include "methods.h"
#include "server.h"
#include "shelterd.h"

/* Connections open now, refused ones not counted. */
int
server_nclients(void)
{
	return sd.nclients;
}

static const char *
server_ptype_name(enum ptype t)
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
server_ptype_ok(enum ptype t, const json_t *v)
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
server_check_params(
    const struct method *m, const struct rpc_msg *msg, struct sh_error *err)
{
	const struct param_spec *p;
	const char *key;
	json_t *v;

	if (msg->params_invalid)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "params", "must be an object");
	if (msg->dup_in_params) {
		const char *f = msg->dup_field;
		size_t olen = m->object != NULL ? strlen(m->object) : 0;

		/* Name it relative to the object being validated. */
		if (olen > 0 && strncmp(f, m->object, olen) == 0 &&
		    f[olen] == '.')
			f += olen + 1;
		return sh_error_set(err, SH_INVALID_PARAMS, "duplicate_key", f,
		    "duplicate key");
	}
	json_object_foreach(msg->params, key, v)
	{
		for (p = m->params; p->name != NULL; p++)
			if (strcmp(p->name, key) == 0)
				break;
		if (p->name == NULL)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "unknown_field", key, "unknown field");
	}
	for (p = m->params; p->name != NULL; p++) {
		v = json_object_get(msg->params, p->name);
		if (v == NULL && p->required)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "missing_field", p->name, "is required");
		if (v != NULL && !server_ptype_ok(p->type, v))
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", p->name, "must be %s",
			    server_ptype_name(p->type));
	}
	return 0;
}

/* Checks after the envelope, in PROTOCOL.md's order: see server.h. */
int
server_check(const struct method *m, const struct rpc_msg *msg, bool authed,
    enum role role, const char *shelter, struct sh_error *err)
{
	if (!authed && !m->before_auth)
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

		if (id != NULL && strcmp(id, shelter) != 0)
			return sh_error_set(err, SH_FORBIDDEN,
			    "not_own_shelter", "id",
			    "a shelter may only name its own shelter");
	}
	if (server_check_params(m, msg, err) == -1)
		return -1;
	if (!sd.ready && !m->before_auth)
		return sh_error_set(err, SH_UNAVAILABLE, "store_unavailable",
		    NULL,
		    "%s: shelterd is starting (the shelter table is not "
		    "loaded yet); nothing was changed, safe to retry",
		    m->name);
	return 0;
}

/* Start listening: see server.h. */
int
server_start(void)
{
	if (conn_init() == -1)
		return -1;
	return listen_start(sd.base, sd.cfg, conn_accept);
}

/* Stop: see server.h. done runs from the event loop, exactly once. */
void
server_stop(void (*done)(void))
{
	sd.stopping = true;
	listen_stop();
	conn_close_all(done);
}

/*
 * Free what is left after the loop has ended (connections that did not
 * flush in time, the TLS context). For a clean exit under valgrind.
 */
void
server_free(void)
{
	conn_free_all();
	listen_free();
}

/* Apply a new config: see server.h. Peer identities are mapped again. */
void
server_reload(const struct config *cfg)
{
	conn_reload(cfg);
}
