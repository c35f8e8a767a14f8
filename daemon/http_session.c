/*
 * http_session.c: who an HTTP request is (PROTOCOL.md "HTTP").
 *
 * A service sends `Authorization: Bearer TOKEN` with every request. A
 * person logs in once (POST /login {token}) and gets a server-side
 * session: a random id in an HttpOnly, SameSite=Strict cookie (Secure
 * under TLS) and a random CSRF token that every state-changing request
 * must send back in X-CSRF-Token. Sessions live in this instance's
 * memory; they end at logout, after web.session_idle_min without a
 * request, and at a restart.
 *
 * Token buckets: an HTTP caller lives for one request, so its rate_per_s
 * bucket is kept here by key (the session, the Bearer token's name, or
 * the peer address when unauthenticated) and copied in and out around
 * each dispatch. Failed logins and wrong Bearer tokens cost a token of
 * the peer address's bucket and are counted and logged as a failed
 * session.auth is.
 *
 * Where PROTOCOL.md is silent:
 * - every POST /rpc authenticated by the cookie needs the CSRF header,
 *   reads included (one rule, nothing to get wrong); GET /events does
 *   not (it changes nothing, and EventSource cannot send headers);
 *   POST /logout needs it;
 * - GET /session answers {name, role, shelter?, csrf} for a live cookie
 *   ({} otherwise, still 200: a page asks before it knows), so that a
 *   reloaded page finds its CSRF token;
 * - an event stream does not keep its session alive; it is closed at
 *   its next heartbeat once the session has gone;
 * - a wrong /login token is HTTP 401; a wrong Bearer token is no
 *   identity with caller.bad_token set, so the call's answer is the
 *   JSON-RPC error -32001 bad_token (on /events: 401 with it as body);
 *   an unknown or expired cookie is simply no identity;
 * - of several shelterd_session cookies the first live one counts.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "shelter/bucket.h"

#include "auth.h"
#include "caller.h"
#include "clock.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"
#include "random.h"
#include "shelterd.h"

#define SESSION_COOKIE "shelterd_session"
#define SESSION_MAX    4096
#define BUCKET_MAX     1024

struct session {
	LIST_ENTRY(session) entry;
	char id[65];
	char csrf[65];
	char name[64];
	enum role role;
	char shelter[MODEL_ID_MAX + 1];
	unsigned char token_sha256[32]; /* the token it logged in with */
	long long last_ms;
};

struct keyed_bucket {
	char key[80];
	struct bucket b;
};

static LIST_HEAD(, session) sessions = LIST_HEAD_INITIALIZER(sessions);
static int nsessions;
static struct keyed_bucket buckets[BUCKET_MAX];

static void
session_free(struct session *s)
{
	LIST_REMOVE(s, entry);
	nsessions--;
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

static bool
session_expired(const struct session *s, long long now)
{
	return (double)(now - s->last_ms) >
	    sd.cfg->web_session_idle_min * 60000.0;
}

/* Drop expired sessions; the oldest one too when the table is full. */
static void
session_sweep(void)
{
	struct session *s, *next, *oldest = NULL;
	long long now = clock_now_ms();

	for (s = LIST_FIRST(&sessions); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		if (session_expired(s, now))
			session_free(s);
		else if (oldest == NULL || s->last_ms < oldest->last_ms)
			oldest = s;
	}
	if (nsessions >= SESSION_MAX && oldest != NULL)
		session_free(oldest);
}

/*
 * The session id (64 hex digits) of the next shelterd_session cookie at or
 * after *pos in the Cookie header c into sid, moving *pos past it; false
 * when there is none. A malformed value is passed over.
 */
static bool
session_cookie_next(const char *c, const char **pos, char sid[65])
{
	size_t n = strlen(SESSION_COOKIE), i;
	const char *p, *v;

	for (p = *pos; p != NULL && (p = strstr(p, SESSION_COOKIE)) != NULL;
	     p += n) {
		if ((p != c && p[-1] != ' ' && p[-1] != ';') || p[n] != '=')
			continue;
		v = p + n + 1; /* the value: 64 lower-case hex digits */
		for (i = 0; i < 64; i++)
			if (!((v[i] >= '0' && v[i] <= '9') ||
			        (v[i] >= 'a' && v[i] <= 'f')))
				break;
		if (i < 64 || (v[64] != '\0' && v[64] != ';' && v[64] != ' '))
			continue;
		memcpy(sid, v, 64);
		sid[64] = '\0';
		*pos = v + 64;
		return true;
	}
	*pos = NULL;
	return false;
}

/* Does s's token still give what it gave at login (a reload may have
 * removed it or changed its role or shelter)? */
static bool
session_token_holds(const struct session *s)
{
	const struct token_conf *tok;
	size_t i;

	for (i = 0; i < sd.cfg->ntokens; i++) {
		tok = &sd.cfg->tokens[i];
		if (CRYPTO_memcmp(tok->sha256, s->token_sha256,
		        sizeof s->token_sha256) == 0)
			return tok->role == s->role &&
			    strcmp(tok->shelter, s->shelter) == 0;
	}
	return false;
}

/* The live session of sid, or NULL: an expired one, or one whose token
 * a reload removed or changed, is dropped (its person logs in again). */
static struct session *
session_find(const char *sid)
{
	struct session *s, *found = NULL;
	long long now = clock_now_ms();

	LIST_FOREACH(s, &sessions, entry)
	{
		if (CRYPTO_memcmp(s->id, sid, 64) == 0)
			found = s;
	}
	if (found != NULL && !session_expired(found, now) &&
	    !session_token_holds(found)) {
		log_info("http: session of token=%s ended: the token was "
		         "removed or changed by a reload",
		    found->name);
		session_free(found);
		found = NULL;
	}
	if (found != NULL && session_expired(found, now)) {
		session_free(found);
		found = NULL;
	}
	return found;
}

/*
 * The live session of the request's cookies into sid, or NULL (sid
 * empty). A browser may send several shelterd_session cookies (set by
 * another path or host it counts as this one): the first that names a
 * live session is the one, not merely the first.
 */
static struct session *
session_of_cookies(struct evhttp_request *req, char sid[65])
{
	const char *c = http_header(req, "Cookie"), *pos = c;
	struct session *s;

	while (session_cookie_next(c, &pos, sid))
		if ((s = session_find(sid)) != NULL)
			return s;
	sid[0] = '\0';
	return NULL;
}

/* The token of an Authorization value: the scheme Bearer in any case
 * (RFC 9110 11.1), then one or more spaces or tabs. NULL for another
 * scheme. */
static const char *
session_bearer(const char *a)
{
	if (strncasecmp(a, "Bearer", 6) != 0 || (a[6] != ' ' && a[6] != '\t'))
		return NULL;
	for (a += 6; *a == ' ' || *a == '\t'; a++)
		;
	return a;
}

/* Who a request is: see http_internal.h. */
void
http_session_who(struct evhttp_request *req, struct http_who *w)
{
	const char *a = http_header(req, "Authorization"), *csrf, *t;
	const struct token_conf *tok;
	struct session *s;
	char peer[72], addr[64];

	memset(w, 0, sizeof *w);
	w->kind = HTTP_AUTH_NONE;
	http_peer(req, peer, sizeof peer, addr, sizeof addr);
	snprintf(w->bucket, sizeof w->bucket, "ip:%s", addr);
	if (a != NULL) {
		if ((t = session_bearer(a)) != NULL &&
		    (tok = auth_token(sd.cfg, t, strlen(t))) != NULL) {
			w->kind = HTTP_AUTH_BEARER;
			w->role = tok->role;
			snprintf(
			    w->shelter, sizeof w->shelter, "%s", tok->shelter);
			snprintf(w->who, sizeof w->who, "token=%s", tok->name);
			snprintf(
			    w->bucket, sizeof w->bucket, "t:%s", tok->name);
			return;
		}
		/* The peer, never the token. */
		w->kind = HTTP_AUTH_BAD;
		metrics_counters.auth_failures++;
		log_info("http: peer=%s failed reason=bad_token", peer);
		return;
	}
	if ((s = session_of_cookies(req, w->sid)) == NULL)
		return;
	s->last_ms = clock_now_ms();
	w->kind = HTTP_AUTH_SESSION;
	w->role = s->role;
	snprintf(w->shelter, sizeof w->shelter, "%s", s->shelter);
	snprintf(w->who, sizeof w->who, "token=%s", s->name);
	snprintf(w->bucket, sizeof w->bucket, "s:%.64s", s->id);
	csrf = http_header(req, "X-CSRF-Token");
	w->csrf_ok = csrf != NULL && strlen(csrf) == 64 &&
	    CRYPTO_memcmp(csrf, s->csrf, 64) == 0;
}

/* Is sid alive: see http_internal.h. */
bool
http_session_alive(const char *sid)
{
	return sid[0] != '\0' && session_find(sid) != NULL;
}

/* The bucket of key, a full new one when it is not kept. */
static struct bucket *
bucket_get(const char *key)
{
	struct keyed_bucket *k, *lru = &buckets[0];
	size_t i;

	for (i = 0; i < BUCKET_MAX; i++) {
		k = &buckets[i];
		if (strcmp(k->key, key) == 0)
			return &k->b;
		if (k->b.refill_us < lru->b.refill_us)
			lru = k;
	}
	/* Forgetting the longest idle one is safe: it has refilled. */
	snprintf(lru->key, sizeof lru->key, "%s", key);
	bucket_fill(&lru->b, sd.cfg->rate_per_s, clock_mono_us());
	return &lru->b;
}

/* Apply an identity and a bucket: see http_internal.h. */
void
http_session_apply(struct caller *c, const struct http_who *w)
{
	if (w->kind == HTTP_AUTH_BEARER || w->kind == HTTP_AUTH_SESSION)
		caller_set_identity(c, w->role, w->shelter, w->who, false);
	c->bad_token = w->kind == HTTP_AUTH_BAD;
	c->bucket = *bucket_get(w->bucket);
}

/* Store a bucket back: see http_internal.h. */
void
http_bucket_store(const char *key, const struct caller *c)
{
	*bucket_get(key) = c->bucket;
}

/* Take a token: see http_internal.h. The same bucket as dispatch's. */
bool
http_bucket_take(const char *key)
{
	if (!bucket_take(
	        bucket_get(key), sd.cfg->rate_per_s, clock_mono_us())) {
		metrics_counters.rate_limited++;
		return false;
	}
	return true;
}

static void
session_set_cookie(struct evhttp_request *req, const char *sid, bool clear)
{
	char buf[256];

	snprintf(buf, sizeof buf,
	    SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
	    clear ? "" : sid, clear ? "; Max-Age=0" : "",
	    http_is_tls ? "; Secure" : "");
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Set-Cookie", buf);
}

static json_t *
session_json(const struct session *s)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "name", s->name, "role",
	    config_role_name(s->role), "csrf", s->csrf);

	if (j != NULL && s->role == ROLE_SHELTER)
		json_object_set_new(j, "shelter", json_string(s->shelter));
	return j;
}

/* POST /login {token}: see http_internal.h. */
void
http_session_login(struct evhttp_request *req)
{
	const struct token_conf *tok;
	struct session *s;
	json_t *body, *t, *res;
	char peer[72], addr[64], key[80];
	size_t len;
	char *text;

	http_peer(req, peer, sizeof peer, addr, sizeof addr);
	snprintf(key, sizeof key, "ip:%s", addr);
	if (!http_bucket_take(key)) {
		http_send_error(
		    req, 429, "rate_limited", "rate limit exceeded: slow down");
		return;
	}
	if ((text = http_body(req, &len)) == NULL) {
		http_send(req, 500, NULL, NULL);
		return;
	}
	body = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	t = json_object_get(body, "token");
	if (!json_is_object(body) || !json_is_string(t) ||
	    json_object_size(body) != 1) {
		json_decref(body);
		http_send_error(req, 400, "invalid_field",
		    "the body must be {\"token\": \"...\"}");
		return;
	}
	tok = auth_token(sd.cfg, json_string_value(t), json_string_length(t));
	json_decref(body);
	if (tok == NULL) {
		metrics_counters.auth_failures++;
		log_info("http /login: peer=%s failed reason=bad_token", peer);
		http_send_error(req, 401, "bad_token", "invalid token");
		return;
	}
	session_sweep();
	if ((s = calloc(1, sizeof *s)) == NULL || random_hex(s->id) == -1 ||
	    random_hex(s->csrf) == -1) {
		free(s);
		http_send(req, 500, NULL, NULL);
		return;
	}
	snprintf(s->name, sizeof s->name, "%s", tok->name);
	s->role = tok->role;
	snprintf(s->shelter, sizeof s->shelter, "%s", tok->shelter);
	memcpy(s->token_sha256, tok->sha256, sizeof s->token_sha256);
	s->last_ms = clock_now_ms();
	LIST_INSERT_HEAD(&sessions, s, entry);
	nsessions++;
	log_info("http /login: peer=%s token=%s role=%s", peer, tok->name,
	    config_role_name(tok->role));
	session_set_cookie(req, s->id, false);
	res = session_json(s);
	http_send_json(req, 200, res);
	json_decref(res);
}

/* POST /logout: see http_internal.h. */
void
http_session_logout(struct evhttp_request *req)
{
	struct http_who w;
	struct session *s;

	http_session_who(req, &w);
	if (w.kind == HTTP_AUTH_SESSION && !w.csrf_ok) {
		http_send_error(
		    req, 403, "csrf", "X-CSRF-Token is missing or wrong");
		return;
	}
	if (w.kind == HTTP_AUTH_SESSION && (s = session_find(w.sid)) != NULL)
		session_free(s);
	session_set_cookie(req, "", true);
	http_send(req, 204, NULL, NULL);
}

/* GET /session: see http_internal.h. */
void
http_session_get(struct evhttp_request *req)
{
	struct http_who w;
	struct session *s;
	json_t *res;

	http_session_who(req, &w);
	if (w.kind != HTTP_AUTH_SESSION || (s = session_find(w.sid)) == NULL)
		res = json_object(); /* not logged in: no error for a page */
	else
		res = session_json(s);
	http_send_json(req, 200, res);
	json_decref(res);
}

/* Free everything: see http_internal.h. */
void
http_session_free_all(void)
{
	while (!LIST_EMPTY(&sessions))
		session_free(LIST_FIRST(&sessions));
	memset(buckets, 0, sizeof buckets);
}
