/*
 * caller.h: who is on the other end of a call, as every transport presents
 * it to dispatch and the services.
 *
 * A transport (the socket connections of conn.c; later the HTTP listener)
 * embeds a struct caller in its own connection object and fills in the
 * ops. Dispatch, the call and the services only ever see this interface,
 * so none of them calls back into a transport by name: the layering stays
 * transport -> dispatch -> services -> store.
 */
#ifndef SHELTERD_CALLER_H
#define SHELTERD_CALLER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "shelter/bucket.h"
#include "shelter/config.h"
#include "shelter/model.h"

struct call;
struct caller;
struct rpc_reply;

struct caller_ops {
	/*
	 * The call in flight has ended: write r (a JSON-RPC response,
	 * borrowed, written with rpc_reply_dump; NULL: nothing to send, as
	 * for a notification), then read on, or close when closing.
	 */
	void (*end_call)(struct caller *c, const struct rpc_reply *r);
	/*
	 * Queue a notification (borrowed). 0, or -1 when the output is over
	 * limits.output_buffer_bytes (the caller of send decides what to
	 * do: events drop the subscriber and close).
	 */
	int (*send)(struct caller *c, const json_t *msg);
	/* Is the output below half of limits.output_buffer_bytes, room for a
	 * batch such as a replay page? */
	bool (*writable)(const struct caller *c);
	/* Close once the output is flushed; a call in flight ends first. */
	void (*close)(struct caller *c);
};

struct caller {
	const struct caller_ops *ops;
	bool authed;
	/* Not authed because the transport was shown a wrong token (a
	 * Bearer header): -32001 says bad_token, whatever the method. */
	bool bad_token;
	/* The identity came from the transport (Unix peer credentials) and
	 * is mapped through auth.peers again on reload. */
	bool by_peer;
	enum role role;
	char shelter[MODEL_ID_MAX + 1]; /* own shelter of a shelter role */
	char who[80];                   /* "token=NAME" or "uid=N", for logs */
	unsigned char token_sha256[32]; /* the token's, checked on reload */
	char peer[72];                  /* "unix uid=N pid=P", "tcp H:P" */
	struct call *call;              /* in flight, or NULL */
	void *sub;                      /* the subscription events.c keeps */
	struct bucket bucket;           /* rate_per_s (shelter/bucket.h) */
};

/*
 * Take an identity for the rest of the connection: session.auth with a
 * token (by_peer false), or a transport's peer credentials (by_peer
 * true). shelter is "" for roles other than shelter; who is for logs.
 */
void caller_set_identity(struct caller *c, enum role role, const char *shelter,
    const char *who, bool by_peer);
/* No identity: ROLE_NONE, unauthenticated. */
void caller_clear_identity(struct caller *c);
/* The role now: ROLE_NONE until authenticated. */
static inline enum role
caller_role(const struct caller *c)
{
	return c->authed ? c->role : ROLE_NONE;
}

#endif
