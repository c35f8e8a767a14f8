/*
 * listen.h: the sockets shelterd accepts on. listen.unix (a stale socket is
 * replaced, one still answered is not; mode set), listen.tcp (port 0 picks
 * a free port, written to listen.port_file) and the TLS context for TCP.
 */
#ifndef SHELTERD_LISTEN_H
#define SHELTERD_LISTEN_H

#include <stdbool.h>

#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "shelter/config.h"

/* A new connection; fd is non-blocking and now the callee's. */
typedef void listen_accept_fn(
    evutil_socket_t fd, struct sockaddr *sa, bool is_unix);

/* Listen as cfg says. 0, or -1 (logged). */
int listen_start(
    struct event_base *base, const struct config *cfg, listen_accept_fn *cb);
/*
 * Make the open-files soft limit fit limits.max_clients +
 * limits.max_unix_clients and a reserve: raise it up to the hard limit
 * when it is lower. 0, or -1 (logged: the hard limit is too low, or it
 * could not be raised).
 */
int listen_fit_fds(const struct config *cfg);
/* Close the listeners and remove the Unix socket. */
void listen_stop(void);
/* The TLS context for TCP connections, or NULL. */
SSL_CTX *listen_tls(void);
/* listen_stop, and free the TLS context. */
void listen_free(void);

#endif
