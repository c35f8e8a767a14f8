/*
 * server.h: listeners, connections, framing, auth and dispatch (server.c,
 * conn.c, call.c).
 *
 * Every JSON-RPC call becomes a struct call. The server has already checked
 * the envelope, that the method exists, authentication, the role, the own
 * shelter (OWN_PARAM_ID) and the params against the method's param_spec;
 * the handler validates deeper (request and shelter objects) and must end
 * the call exactly once, now or later, with call_reply or call_error.
 * Calls on one connection run one at a time, so responses come back in
 * request order.
 */
#ifndef SHELTERD_SERVER_H
#define SHELTERD_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "shelter/config.h"
#include "shelter/error.h"

struct conn;
struct method;
struct rpc_msg;

struct call {
	/* NULL once the connection has gone: the reply is then dropped, but
	 * the handler still ends the call. */
	struct conn *conn;
	json_t *id; /* owned; NULL for a notification */
	const struct method *method;
	json_t *params; /* owned; an object that passed the param_spec */
	enum role role;
	char shelter[MODEL_ID_MAX + 1]; /* own shelter of a shelter role */
	char who[80];                   /* "token=NAME" or "uid=N", for logs */
	uint64_t started_us;
};

/* End the call with a result (stolen). Frees the call. */
void call_reply(struct call *call, json_t *result);
/* End the call with an error. Frees the call. */
void call_error(struct call *call, const struct sh_error *err);
void call_errorf(struct call *call, int code, const char *reason,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Start listening as configured. 0 or -1 (logged). */
int server_start(void);
/* Stop accepting; connections finish their calls and are closed once
 * flushed. done is called when the last connection is gone. */
void server_stop(void (*done)(void));
/* Free what is left once the event loop has ended (after server_stop). */
void server_free(void);
/* Apply a new config (tokens, peers, limits) to the running server. */
void server_reload(const struct config *cfg);

/*
 * Queue a notification (a complete JSON-RPC message, borrowed) on conn.
 * Returns 0, or -1 when the connection's output is over
 * limits.output_buffer_bytes (the caller decides; events drop the
 * subscriber, which then closes the connection).
 */
int conn_send(struct conn *c, const json_t *msg);
/* Is the output below half of limits.output_buffer_bytes (room to send
 * a batch, e.g. a replay page)? */
bool conn_writable(const struct conn *c);
/* Close a connection after its output is flushed. */
void conn_close_after_flush(struct conn *c);
/* The subscription state events.c keeps on a connection (NULL: none). */
void *conn_sub(struct conn *c);
void conn_set_sub(struct conn *c, void *sub);
/* Take an identity for the rest of the connection (session.auth); who is
 * "token=NAME" for logs. */
void conn_set_identity(
    struct conn *c, enum role role, const char *shelter, const char *who);
/* "unix uid=N pid=P" or "tcp HOST:PORT", for logs. */
const char *conn_peer(const struct conn *c);
/* The role and own shelter of the connection now. */
enum role conn_role(const struct conn *c);
const char *conn_shelter(const struct conn *c);

/* Connections open now. */
int server_nclients(void);

/*
 * The checks after the envelope, in PROTOCOL.md's order (for conn.c):
 * authentication (authed, or a method allowed before it), the role, the
 * own shelter of a shelter role (OWN_PARAM_ID), then the params against
 * the method's param_spec. 0, or -1 with err filled.
 */
int server_check(const struct method *m, const struct rpc_msg *msg, bool authed,
    enum role role, const char *shelter, struct sh_error *err);

#endif
