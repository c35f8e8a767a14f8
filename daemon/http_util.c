/*
 * http_util.c: replies with the headers every HTTP response carries
 * (PROTOCOL.md "HTTP"): a strict Content-Security-Policy (no inline
 * script or style, frame-ancestors 'none'), nosniff, no referrer, no
 * caching. The same set goes on pages, assets and data: it costs nothing
 * and no response can forget it.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/keyvalq_struct.h>

#include "shelter/rpc.h"

#include "http_internal.h"

bool http_is_tls;

#define HTTP_CSP                                                               \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self'; connect-src 'self'; object-src 'none'; "              \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* The headers of every response: see http_internal.h. */
void
http_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Security-Policy", HTTP_CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (http_is_tls)
		evhttp_add_header(
		    h, "Strict-Transport-Security", "max-age=31536000");
}

/* A reply with the headers: see http_internal.h. */
void
http_send(struct evhttp_request *req, int code, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char len[24];

	http_headers(req, body != NULL ? type : NULL);
	if (code == 401)
		evhttp_add_header(
		    h, "WWW-Authenticate", "Bearer realm=\"shelterd\"");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* What GET would send, without the body (evhttp sends one). */
		snprintf(len, sizeof len, "%zu",
		    body != NULL ? evbuffer_get_length(body) : 0);
		evhttp_add_header(h, "Content-Length", len);
		body = NULL;
	}
	evhttp_send_reply(req, code, NULL, body);
}

/* A JSON-RPC response: see http_internal.h. */
void
http_send_reply(struct evhttp_request *req, int code, const struct rpc_reply *r)
{
	struct evbuffer *b = evbuffer_new();
	char small[4096], *s = small;
	size_t n = rpc_reply_dump(r, small, sizeof small);

	if (n > sizeof small &&
	    ((s = malloc(n)) == NULL || rpc_reply_dump(r, s, n) != n))
		n = 0;
	if (b == NULL || n == 0 || evbuffer_add(b, s, n) == -1 ||
	    evbuffer_add(b, "\n", 1) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		http_send(req, 500, NULL, NULL);
	} else {
		http_send(req, code, "application/json", b);
		evbuffer_free(b);
	}
	if (s != small)
		free(s);
}

/* A JSON reply: see http_internal.h. */
void
http_send_json(struct evhttp_request *req, int code, const json_t *j)
{
	struct rpc_reply r = {.msg = j};

	if (j == NULL) {
		http_send(req, 500, NULL, NULL);
		return;
	}
	http_send_reply(req, code, &r);
}

/* An HTTP-level error: see http_internal.h. */
void
http_send_error(struct evhttp_request *req, int code, const char *reason,
    const char *message)
{
	json_t *j =
	    json_pack("{s:s, s:s}", "error", reason, "message", message);

	http_send_json(req, code, j);
	json_decref(j);
}

/* A request header: see http_internal.h. */
const char *
http_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

/* A header of identity or meaning twice: see http_internal.h. */
const char *
http_header_repeated(struct evhttp_request *req)
{
	static const char *const names[] = {
	    "Authorization", "Content-Type", "Last-Event-ID", "X-CSRF-Token"};
	const struct evkeyval *kv;
	int seen[4] = {0, 0, 0, 0};
	size_t i;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next)
	{
		for (i = 0; i < 4; i++)
			if (strcasecmp(kv->key, names[i]) == 0 && seen[i]++ > 0)
				return names[i];
	}
	return NULL;
}

/* The peer: see http_internal.h. */
void
http_peer(struct evhttp_request *req, char *peer, size_t plen, char *addr,
    size_t alen)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(peer, plen, "http %s:%u", host != NULL ? host : "?",
	    (unsigned)port);
	snprintf(addr, alen, "%s", host != NULL ? host : "?");
}

/* Content-Type application/json: see http_internal.h. */
bool
http_is_json(struct evhttp_request *req)
{
	const char *t = http_header(req, "Content-Type");
	size_t n = strlen("application/json");

	if (t == NULL || strncasecmp(t, "application/json", n) != 0)
		return false;
	return t[n] == '\0' || t[n] == ';' || t[n] == ' ';
}

/* Is s[0..n) free of a bad percent-escape? One is % and two hex digits,
 * not %00: libevent keeps a bad one as sent, and %00 would cut a value. */
static bool
http_escapes_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= n)
			return false;
		if (!isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]) ||
		    (s[i + 1] == '0' && s[i + 2] == '0'))
			return false;
		i += 2;
	}
	return true;
}

/* The query as sent: NAME=VALUE between '&' (a final '&' allowed, as
 * libevent has it), no bad percent-escape. -1 and err (invalid_field,
 * the parameter, or "query" when its name is the problem) on the first
 * that is not. */
static int
http_query_scan(const char *query, struct sh_error *err)
{
	const char *p = query, *end, *eq;
	size_t klen;
	char name[65];

	for (; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(end - p));
		klen = (size_t)((eq != NULL ? eq : end) - p);
		if (klen == 0)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", "query",
			    "a parameter without a name (NAME=VALUE)");
		if (!http_escapes_ok(p, klen))
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", "query",
			    "bad percent-escape in a name (%%XX, not %%00)");
		snprintf(name, sizeof name, "%.*s", (int)klen, p);
		if (eq == NULL)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", name, "has no value (NAME=VALUE)");
		if (!http_escapes_ok(eq + 1, (size_t)(end - eq - 1)))
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", name,
			    "bad percent-escape (%%XX, not %%00)");
	}
	return 0;
}

/* Every parameter of q one of names, none twice: 0, or -1 and err. */
static int
http_query_check(
    const struct evkeyvalq *q, const char *const *names, struct sh_error *err)
{
	const struct evkeyval *kv, *o;
	char list[128];
	size_t i, n = 0;

	list[0] = '\0';
	for (i = 0; names[i] != NULL && n < sizeof list; i++)
		n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
		    i > 0 ? ", " : "", names[i]);
	TAILQ_FOREACH(kv, q, next)
	{
		for (i = 0; names[i] != NULL && strcmp(kv->key, names[i]) != 0;
		     i++)
			;
		if (names[i] == NULL)
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "unknown_field", kv->key, "unknown parameter (%s)",
			    list[0] != '\0' ? list : "none is taken here");
		for (o = TAILQ_FIRST(q); o != kv; o = TAILQ_NEXT(o, next))
			if (strcmp(o->key, kv->key) == 0)
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "duplicate_key", kv->key,
				    "given more than once in the query");
	}
	return 0;
}

/* The query's parameters: see http_internal.h. */
int
http_query(struct evhttp_request *req, const char *const *names,
    struct evkeyvalq *q, struct sh_error *err)
{
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	TAILQ_INIT(q);
	if (query == NULL)
		return 0;
	if (http_query_scan(query, err) == -1)
		return -1;
	if (evhttp_parse_query_str(query, q) != 0) {
		evhttp_clear_headers(q);
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "query", "cannot be parsed");
	}
	if (http_query_check(q, names, err) == -1) {
		evhttp_clear_headers(q);
		return -1;
	}
	return 0;
}

/* The body: see http_internal.h. */
char *
http_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	evbuffer_copyout(in, s, n);
	s[n] = '\0';
	*len = n;
	return s;
}
