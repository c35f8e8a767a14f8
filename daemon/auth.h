/*
 * auth.h: who a connection is. Unix peers by uid (auth.peers), everyone
 * else by token (auth.tokens, stored as sha256). session.auth and
 * session.ping live in auth.c.
 */
#ifndef SHELTERD_AUTH_H
#define SHELTERD_AUTH_H

#include <stddef.h>
#include <sys/types.h>

#include "shelter/config.h"

struct call;
struct caller;

/* The auth.peers entry for uid, or NULL when it is not mapped. */
const struct peer_conf *auth_peer(const struct config *cfg, uid_t uid);
/*
 * The auth.tokens entry whose sha256 is that of token, or NULL. Compares
 * with every entry in constant time, so timing tells nothing.
 */
const struct token_conf *auth_token(
    const struct config *cfg, const char *token, size_t len);

/*
 * After a reload: a caller authenticated with a token takes the role and
 * shelter cfg gives that token now, or is unauthenticated when cfg no
 * longer has it (revoked). Callers identified by their peer are left to
 * their transport.
 */
void auth_reload_caller(const struct config *cfg, struct caller *c);

/* session.auth {token}: take the identity of a configured token. */
void auth_session(struct call *call);
/* session.ping {}: the server's time. */
void auth_ping(struct call *call);

#endif
