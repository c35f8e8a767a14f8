/*
 * auth.c: peers and tokens, session.auth and session.ping.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "auth.h"
#include "call.h"
#include "caller.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "shelterd.h"

/* The peer mapping of uid: see auth.h. */
const struct peer_conf *
auth_peer(const struct config *cfg, uid_t uid)
{
	size_t i;

	for (i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].uid == uid)
			return &cfg->peers[i];
	return NULL;
}

/* The token entry of token: see auth.h. */
const struct token_conf *
auth_token(const struct config *cfg, const char *token, size_t len)
{
	const struct token_conf *match = NULL;
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)token, len, md);
	for (i = 0; i < cfg->ntokens; i++) {
		if (CRYPTO_memcmp(md, cfg->tokens[i].sha256, sizeof md) == 0)
			match = &cfg->tokens[i];
	}
	return match;
}

/*
 * A reloaded config: a caller authenticated by a token takes that token's
 * role and shelter as cfg has them now, or loses its identity when the
 * token is gone (its next call needs session.auth again).
 */
void
auth_reload_caller(const struct config *cfg, struct caller *c)
{
	const struct token_conf *tok = NULL;
	size_t i;

	if (!c->authed || c->by_peer)
		return;
	for (i = 0; i < cfg->ntokens && tok == NULL; i++)
		if (CRYPTO_memcmp(cfg->tokens[i].sha256, c->token_sha256,
		        sizeof c->token_sha256) == 0)
			tok = &cfg->tokens[i];
	if (tok == NULL) {
		log_info("session: peer=%s %s revoked by the reload", c->peer,
		    c->who);
		caller_clear_identity(c);
		return;
	}
	if (tok->role != c->role || strcmp(tok->shelter, c->shelter) != 0) {
		char who[sizeof c->who];

		snprintf(who, sizeof who, "token=%s", tok->name);
		caller_set_identity(c, tok->role, tok->shelter, who, false);
		log_info("session: peer=%s %s role=%s after the reload",
		    c->peer, c->who, config_role_name(tok->role));
	}
}

/* session.auth {token}: take the identity of a configured token. */
void
auth_session(struct call *call)
{
	json_t *t = json_object_get(call->params, "token"), *res;
	const struct token_conf *tok;
	char who[sizeof call->who];

	if (!json_is_string(t)) {
		call_errorf(call, SH_INVALID_PARAMS,
		    t ? "invalid_field" : "missing_field", "token",
		    t ? "must be a string" : "is required");
		return;
	}
	tok = auth_token(sd.cfg, json_string_value(t), json_string_length(t));
	if (tok == NULL) {
		/* The peer, never the token. */
		metrics_counters.auth_failures++;
		log_info("session.auth: peer=%s failed reason=bad_token",
		    call->caller != NULL ? call->caller->peer : "?");
		call_errorf(call, SH_UNAUTHENTICATED, "bad_token", NULL,
		    "invalid token");
		return;
	}
	if (call->caller != NULL) {
		snprintf(who, sizeof who, "token=%s", tok->name);
		caller_set_identity(
		    call->caller, tok->role, tok->shelter, who, false);
		memcpy(call->caller->token_sha256, tok->sha256,
		    sizeof call->caller->token_sha256);
		log_info("session.auth: peer=%s token=%s role=%s",
		    call->caller->peer, tok->name, config_role_name(tok->role));
	}
	res = json_pack("{s:s, s:s}", "name", tok->name, "role",
	    config_role_name(tok->role));
	if (res != NULL && tok->role == ROLE_SHELTER &&
	    json_object_set_new(res, "shelter", json_string(tok->shelter)) ==
	        -1) {
		json_decref(res);
		res = NULL;
	}
	call_reply(call, res);
}

/* session.ping {}: the server's time. */
void
auth_ping(struct call *call)
{
	char buf[32];

	call_reply(call,
	    json_pack("{s:s}", "time",
	        model_time_format(clock_now_ms(), buf, sizeof buf)));
}
