/*
 * listen.c: the listening sockets and the TLS context (listen.h).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "clock.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"

/* Out of descriptors: how long accepting pauses, how often it is logged. */
#define LISTEN_PAUSE_MS 250
#define LISTEN_LOG_S    60

#define LISTEN_TLS12_CIPHERS                                                   \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static struct event_base *listen_base;
static listen_accept_fn *listen_cb;
static struct evconnlistener *lis_unix, *lis_tcp;
static char *unix_path; /* removed at stop */
static SSL_CTX *tls_ctx;
static struct event *ev_resume; /* accepting again after a pause */
static uint64_t paused_logged_us;
static unsigned long paused_quiet; /* pauses since the last log line */

static void
listen_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	listen_cb(fd, sa, arg == &lis_unix);
}

static void
listen_resume(evutil_socket_t fd, short what, void *arg)
{
	if (lis_unix != NULL)
		evconnlistener_enable(lis_unix);
	if (lis_tcp != NULL)
		evconnlistener_enable(lis_tcp);
}

/*
 * accept failed. Out of descriptors (or memory) the pending connection
 * stays in the backlog and the socket stays readable: accepting again at
 * once would spin. Pause both listeners for LISTEN_PAUSE_MS instead and
 * log it at most once per LISTEN_LOG_S.
 */
static void
listen_error(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {0, LISTEN_PAUSE_MS * 1000};
	uint64_t now = clock_mono_us();

	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM) {
		log_warn("accept");
		return;
	}
	metrics_counters.accept_paused++;
	if (lis_unix != NULL)
		evconnlistener_disable(lis_unix);
	if (lis_tcp != NULL)
		evconnlistener_disable(lis_tcp);
	if (ev_resume == NULL &&
	    (ev_resume = evtimer_new(listen_base, listen_resume, NULL)) == NULL)
		tv.tv_usec = 0; /* cannot pause: the next iteration retries */
	if (ev_resume != NULL)
		evtimer_add(ev_resume, &tv);
	if (paused_logged_us != 0 &&
	    now - paused_logged_us < (uint64_t)LISTEN_LOG_S * 1000000u) {
		paused_quiet++;
		return;
	}
	log_warnx("accept: %s; not accepting for %d ms (%lu more pauses since "
	          "the last message)",
	    strerror(e), LISTEN_PAUSE_MS, paused_quiet);
	paused_logged_us = now;
	paused_quiet = 0;
}

/* listen.tls: the context, or -1 with the key and file that failed logged. */
static int
listen_tls_init(const struct config *cfg)
{
	const char *key = NULL, *file = NULL;

	if (cfg->tls_cert == NULL)
		return 0;
	if ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
	/* TLS 1.2: forward secret AEAD suites only (no CBC, no SHA-1). */
	if (SSL_CTX_set_cipher_list(tls_ctx, LISTEN_TLS12_CIPHERS) != 1)
		goto fail;
	SSL_CTX_set_options(
	    tls_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
	key = "listen.tls.cert";
	file = cfg->tls_cert;
	if (SSL_CTX_use_certificate_chain_file(tls_ctx, file) != 1)
		goto fail;
	key = "listen.tls.key";
	file = cfg->tls_key;
	if (SSL_CTX_use_PrivateKey_file(tls_ctx, file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(tls_ctx) != 1)
		goto fail;
	if (cfg->tls_client_ca != NULL) {
		STACK_OF(X509_NAME) * names;

		key = "listen.tls.client_ca";
		file = cfg->tls_client_ca;
		names = SSL_load_client_CA_file(file);
		if (names == NULL ||
		    SSL_CTX_load_verify_locations(tls_ctx, file, NULL) != 1)
			goto fail;
		SSL_CTX_set_client_CA_list(tls_ctx, names);
		SSL_CTX_set_verify(tls_ctx,
		    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return 0;
fail:
	if (file != NULL)
		log_warnx("tls: %s %s: %s", key, file,
		    ERR_error_string(ERR_get_error(), NULL));
	else
		log_warnx("tls: %s", ERR_error_string(ERR_get_error(), NULL));
	return -1;
}

static int
listen_unix(const struct config *cfg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = cfg->listen_unix;
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		log_warnx("listen.unix: %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket someone still answers on is not stale. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(fd);
		log_warnx("listen.unix: %s: in use by another process", path);
		return -1;
	}
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("listen.unix: unlink %s", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	         0)) == -1) {
		log_warn("socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(path, cfg->unix_mode) == -1) {
		log_warn("listen.unix: %s", path);
		close(fd);
		return -1;
	}
	lis_unix = evconnlistener_new(listen_base, listen_accept, &lis_unix,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (lis_unix == NULL || (unix_path = strdup(path)) == NULL) {
		log_warn("listen.unix: %s", path);
		if (lis_unix == NULL)
			close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(lis_unix, listen_error);
	log_info("listening on %s", path);
	return 0;
}

static int
listen_write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		goto fail;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		goto fail;
	return 0;
fail:
	log_warn("listen.port_file: %s", path);
	return -1;
}

static int
listen_tcp(const struct config *cfg)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char port[16];
	int rc, bound;

	snprintf(port, sizeof port, "%d", cfg->listen_tcp_port);
	if ((rc = getaddrinfo(cfg->listen_tcp_host, port, &hints, &ai)) != 0) {
		log_warnx("listen.tcp: %s: %s", cfg->listen_tcp_host,
		    gai_strerror(rc));
		return -1;
	}
	lis_tcp = evconnlistener_new_bind(listen_base, listen_accept, &lis_tcp,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (lis_tcp == NULL) {
		log_warn("listen.tcp: %s:%d", cfg->listen_tcp_host,
		    cfg->listen_tcp_port);
		return -1;
	}
	evconnlistener_set_error_cb(lis_tcp, listen_error);
	if (getsockname(evconnlistener_get_fd(lis_tcp), (struct sockaddr *)&ss,
	        &sslen) == -1) {
		log_warn("getsockname");
		return -1;
	}
	bound = ntohs(ss.ss_family == AF_INET6
	        ? ((struct sockaddr_in6 *)&ss)->sin6_port
	        : ((struct sockaddr_in *)&ss)->sin_port);
	log_info("listening on %s port %d%s", cfg->listen_tcp_host, bound,
	    tls_ctx != NULL ? " (TLS)" : "");
	if (cfg->port_file != NULL)
		return listen_write_port_file(cfg->port_file, bound);
	return 0;
}

/* Listen as cfg says: see listen.h. */
int
listen_start(
    struct event_base *base, const struct config *cfg, listen_accept_fn *cb)
{
	listen_base = base;
	listen_cb = cb;
	if (listen_fit_fds(cfg) == -1 || listen_tls_init(cfg) == -1)
		return -1;
	if (cfg->listen_unix != NULL && listen_unix(cfg) == -1)
		return -1;
	if (cfg->listen_tcp_host != NULL && listen_tcp(cfg) == -1)
		return -1;
	if (lis_unix == NULL && lis_tcp == NULL)
		log_warnx("no listener configured (listen.unix, listen.tcp)");
	return 0;
}

/* File descriptors beyond the clients: Redis, HTTP, listeners, logs. */
#define LISTEN_FD_RESERVE 64

/* Fit the open-files limit to the client budgets: see listen.h. */
int
listen_fit_fds(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)cfg->max_clients + (rlim_t)cfg->max_unix_clients +
	    LISTEN_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		log_warnx(
		    "limits: max_clients %d + max_unix_clients %d need %llu "
		    "open files, but the hard limit is %llu: raise it "
		    "(LimitNOFILE= in the unit, ulimit -Hn) or lower "
		    "limits.max_clients",
		    cfg->max_clients, cfg->max_unix_clients,
		    (unsigned long long)need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rlim_t old = rl.rlim_cur;

	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn(
		    "limits: raising the open-files limit from %llu to %llu",
		    (unsigned long long)old, (unsigned long long)need);
		return -1;
	}
	log_info("limits: open-files limit raised from %llu to %llu",
	    (unsigned long long)old, (unsigned long long)need);
	return 0;
}

/* Close the listeners: see listen.h. */
void
listen_stop(void)
{
	if (lis_unix != NULL)
		evconnlistener_free(lis_unix);
	if (lis_tcp != NULL)
		evconnlistener_free(lis_tcp);
	lis_unix = lis_tcp = NULL;
	if (ev_resume != NULL)
		event_free(ev_resume);
	ev_resume = NULL;
	if (unix_path != NULL) {
		unlink(unix_path);
		free(unix_path);
		unix_path = NULL;
	}
}

/* The TLS context: see listen.h. */
SSL_CTX *
listen_tls(void)
{
	return tls_ctx;
}

/* Free everything: see listen.h. */
void
listen_free(void)
{
	listen_stop();
	if (tls_ctx != NULL)
		SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}
