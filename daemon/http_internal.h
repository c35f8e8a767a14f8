/*
 * http_internal.h: what the http_*.c files share (daemon/ only).
 *
 *   http.c          the listener (TLS too) and the routes
 *   http_util.c     replies: the headers every response carries, errors
 *   http_session.c  people's sessions (cookie, CSRF, idle timeout),
 *                   /login, /logout, /session; who a request is; the
 *                   token buckets of HTTP callers
 *   http_rpc.c      POST /rpc: one caller per request
 *   http_sse.c      GET /events: one long-lived caller per stream
 *   http_static.c   the embedded web view (daemon/web/)
 *   http_metrics.c  GET /metrics
 */
#ifndef SHELTERD_HTTP_INTERNAL_H
#define SHELTERD_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "shelter/config.h"
#include "shelter/error.h"
#include "shelter/model.h"
#include "shelter/rpc.h"

struct caller;

/* http_util.c */

/* Set by http.c: the listener speaks TLS (cookies get Secure). */
extern bool http_is_tls;
/* Add the headers every response carries, and Content-Type type. */
void http_headers(struct evhttp_request *req, const char *type);
/* Reply code with body (borrowed; NULL: empty) of type, with the headers;
 * to HEAD the headers and Content-Length only, a 401 WWW-Authenticate. */
void http_send(struct evhttp_request *req, int code, const char *type,
    struct evbuffer *body);
/* Reply code with a JSON body {"error": reason, "message": message}. */
void http_send_error(struct evhttp_request *req, int code, const char *reason,
    const char *message);
/* Reply code with j (borrowed) as JSON. */
void http_send_json(struct evhttp_request *req, int code, const json_t *j);
/* Reply code with the JSON-RPC response r (borrowed; rpc_reply_dump). */
void http_send_reply(
    struct evhttp_request *req, int code, const struct rpc_reply *r);
/* A request header's value, or NULL. */
const char *http_header(struct evhttp_request *req, const char *name);
/* The first of Authorization, Content-Type, Last-Event-ID, X-CSRF-Token
 * that req has more than once (any case), or NULL: none is first-wins. */
const char *http_header_repeated(struct evhttp_request *req);
/* "http H:P" for logs, and the bare address for rate limits. */
void http_peer(struct evhttp_request *req, char *peer, size_t plen, char *addr,
    size_t alen);
/* Is the request's Content-Type application/json (parameters allowed)? */
bool http_is_json(struct evhttp_request *req);
/* Parse req's query into q (the caller clears it): 0 when it is
 * NAME=VALUE pairs with good percent-escapes, each name one of names
 * (NULL-terminated; none for { NULL }) at most once. Else -1, q empty,
 * and err: -32602 invalid_field (field the parameter, or "query"),
 * unknown_field or duplicate_key (the parameter), the first found. */
int http_query(struct evhttp_request *req, const char *const *names,
    struct evkeyvalq *q, struct sh_error *err);
/* The body as a NUL-terminated string (caller frees); NULL on ENOMEM. */
char *http_body(struct evhttp_request *req, size_t *len);

/* http_session.c */

/* Who a request is, from its Authorization or its session cookie. */
enum http_auth {
	HTTP_AUTH_NONE,    /* neither: unauthenticated */
	HTTP_AUTH_BEARER,  /* a valid Authorization: Bearer token */
	HTTP_AUTH_SESSION, /* a live session cookie */
	HTTP_AUTH_BAD,     /* a wrong Bearer token (counted, logged) */
};
struct http_who {
	enum http_auth kind;
	enum role role;
	char shelter[MODEL_ID_MAX + 1];
	char who[80];    /* "token=NAME", for logs */
	char bucket[80]; /* the key of its token bucket */
	bool csrf_ok;    /* session: X-CSRF-Token matches */
	char sid[65];    /* session: its id */
};
/* Resolve req's identity (touches a session: it is used). */
void http_session_who(struct evhttp_request *req, struct http_who *w);
/* Is the session sid still there (without touching it)? */
bool http_session_alive(const char *sid);
/* Apply w to caller c: identity and the token bucket of w->bucket. */
void http_session_apply(struct caller *c, const struct http_who *w);
/* Store c's token bucket back under key after a dispatch. */
void http_bucket_store(const char *key, const struct caller *c);
/* Take one token from the bucket of key (for /login): false when over. */
bool http_bucket_take(const char *key);
/* POST /login, POST /logout, GET /session. */
void http_session_login(struct evhttp_request *req);
void http_session_logout(struct evhttp_request *req);
void http_session_get(struct evhttp_request *req);
/* Free every session and bucket (at stop). */
void http_session_free_all(void);

/* http_rpc.c */
void http_rpc(struct evhttp_request *req);
void http_rpc_stop(void);

/* http_sse.c */
void http_sse(struct evhttp_request *req);
void http_sse_stop(void);
int http_sse_count(void);

/* http_static.c: true when path is an embedded asset (answered). */
bool http_static(struct evhttp_request *req, const char *path);

/* http_metrics.c */
void http_metrics(struct evhttp_request *req);
void http_metrics_stop(void);

#endif
