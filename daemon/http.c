/*
 * http.c: the HTTP listener (config `http:`) on libevent's evhttp, TLS
 * when http.tls is set, and its routes:
 *
 *   GET  /healthz, /metrics            operators (health, Prometheus)
 *   POST /rpc, GET /events             the protocol (http_rpc.c, http_sse.c)
 *   POST /login, /logout, GET /session people's sessions (web.enabled)
 *   GET  /, /app.js, ...               the web view (web.enabled)
 *
 * Every response carries the headers of http_util.c. Anything else is
 * 404, a wrong method 405. Only /events takes query parameters: one on
 * another route of data is 400 (unknown_field), not ignored. A header
 * of identity or meaning given twice is 400 (duplicate_key) there and on
 * /events, not first-wins.
 */
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "shelterd.h"
#include "store.h"

#define HTTP_MAX_HEADERS 16384

static struct evhttp *http;
static SSL_CTX *http_tls;

static void
http_healthz(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	bool up = store_is_up();

	if (b == NULL) {
		http_send(req, 500, NULL, NULL);
		return;
	}
	evbuffer_add_printf(b, "{\"status\":\"%s\",\"redis\":\"%s\"}\n",
	    up ? "ok" : "unavailable", up ? "up" : "down");
	http_send(req, up ? 200 : 503, "application/json", b);
	evbuffer_free(b);
}

/* A POST with a small JSON body: false when answered with an error. */
static bool
http_check_post_json(struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", "POST");
		http_send_error(req, 405, "method", "POST only");
		return false;
	}
	if (!http_is_json(req)) {
		http_send_error(req, 415, "content_type",
		    "Content-Type must be application/json");
		return false;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 4096) {
		http_send_error(req, 413, "too_large", "the body is too large");
		return false;
	}
	return true;
}

static bool
http_get_only(struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) &
	    (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))
		return true;
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
	http_send_error(req, 405, "method", "GET or HEAD only");
	return false;
}

/* A route of data other than /events (they take no query parameter). */
static bool
http_is_data(const char *path, bool web)
{
	static const char *const routes[] = {
	    "/healthz", "/metrics", "/rpc", "/login", "/logout", "/session"};
	size_t i;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(path, routes[i]) == 0)
			return web ||
			    i < 3; /* the sessions' need web.enabled */
	return false;
}

/* The routes of data take no query parameter, and none is first-wins
 * for a repeated header: false when answered 400 naming it (the pages
 * are left alone). */
static bool
http_data_ok(struct evhttp_request *req)
{
	static const char *const none[] = {NULL};
	struct evkeyvalq q;
	struct sh_error err;
	const char *dup;

	if ((dup = http_header_repeated(req)) != NULL) {
		sh_error_set(&err, SH_INVALID_PARAMS, "duplicate_key", dup,
		    "given more than once in the headers");
		http_send_error(req, 400, err.reason, err.message);
		return false;
	}
	if (http_query(req, none, &q, &err) == -1) {
		http_send_error(req, 400, err.reason, err.message);
		return false;
	}
	evhttp_clear_headers(&q);
	return true;
}

static void
http_handle(struct evhttp_request *req, void *arg)
{
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	bool web = sd.cfg->web_enabled;

	if (path == NULL)
		path = "";
	if (http_is_data(path, web) && !http_data_ok(req))
		return;
	if (strcmp(path, "/healthz") == 0) {
		if (http_get_only(req))
			http_healthz(req);
	} else if (strcmp(path, "/metrics") == 0) {
		if (http_get_only(req))
			http_metrics(req);
	} else if (strcmp(path, "/rpc") == 0) {
		http_rpc(req);
	} else if (strcmp(path, "/events") == 0) {
		http_sse(req);
	} else if (web && strcmp(path, "/login") == 0) {
		if (http_check_post_json(req))
			http_session_login(req);
	} else if (web && strcmp(path, "/logout") == 0) {
		if (evhttp_request_get_command(req) == EVHTTP_REQ_POST)
			http_session_logout(req);
		else
			http_check_post_json(req);
	} else if (web && strcmp(path, "/session") == 0) {
		if (http_get_only(req))
			http_session_get(req);
	} else if (!web || !http_static(req, path)) {
		http_send_error(req, 404, "not_found", "no such page");
	}
}

/* A TLS bufferevent for each connection (http.tls). */
static struct bufferevent *
http_tls_bev(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(http_tls);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static int
http_tls_init(const struct config *cfg)
{
	if ((http_tls = SSL_CTX_new(TLS_server_method())) == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(http_tls, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(http_tls, cfg->http_tls_cert) !=
	        1 ||
	    SSL_CTX_use_PrivateKey_file(
	        http_tls, cfg->http_tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(http_tls) != 1) {
		char buf[128];

		ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
		log_warnx("http: tls: %s", buf);
		SSL_CTX_free(http_tls);
		http_tls = NULL;
		return -1;
	}
	return 0;
}

int
http_start(void)
{
	const struct config *cfg = sd.cfg;

	if (cfg->http_host == NULL)
		return 0;
	if (cfg->http_tls_cert != NULL && http_tls_init(cfg) == -1)
		return -1;
	http_is_tls = http_tls != NULL;
	if ((http = evhttp_new(sd.base)) == NULL)
		return -1;
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS);
	/* Bodies up to this reach http_rpc, which answers 413 itself (with
	 * the headers) over limits.max_line_bytes; evhttp refuses more. */
	evhttp_set_max_body_size(http, cfg->max_line_bytes + 65536);
	evhttp_set_timeout(http, 10);
	evhttp_set_allowed_methods(http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
	if (http_tls != NULL)
		evhttp_set_bevcb(http, http_tls_bev, NULL);
	evhttp_set_gencb(http, http_handle, NULL);
	if (evhttp_bind_socket(http, cfg->http_host, cfg->http_port) != 0) {
		log_warnx("http: cannot listen on %s:%d", cfg->http_host,
		    cfg->http_port);
		evhttp_free(http);
		http = NULL;
		return -1;
	}
	log_info("http: listening on %s:%d%s%s", cfg->http_host, cfg->http_port,
	    http_tls != NULL ? " (tls)" : "",
	    cfg->web_enabled ? ", web view on" : "");
	return 0;
}

void
http_stop(void)
{
	http_metrics_stop();
	http_rpc_stop();
	http_sse_stop();
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
	http_session_free_all();
	if (http_tls != NULL)
		SSL_CTX_free(http_tls);
	http_tls = NULL;
}
