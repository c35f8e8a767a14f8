/*
 * conn.h: the socket transport's set of connections, for server.c. The
 * rest of the daemon sees a connection only as a struct caller.
 */
#ifndef SHELTERD_CONN_H
#define SHELTERD_CONN_H

#include <stdbool.h>

#include <event2/util.h>
#include <jansson.h>

#include "shelter/config.h"

struct conn;

/* Create the event that frees dead connections. 0, or -1 on ENOMEM. */
int conn_init(void);
/* A new connection from listen.c (a listen_accept_fn): fd is now ours. */
void conn_accept(evutil_socket_t fd, struct sockaddr *sa, bool is_unix);
/*
 * Close every connection once its call has ended and its output is
 * flushed; done runs from the event loop, exactly once, when the last one
 * has gone (at once when conn_init never ran).
 */
void conn_close_all(void (*done)(void));
/* Free every connection left, and the reaper (after the loop has ended). */
void conn_free_all(void);
/* Apply cfg's line limit and rate, and map Unix peers through auth.peers
 * again, on every live connection. */
void conn_reload(const struct config *cfg);
/* Connections open now, refused ones not counted. */
int conn_count(void);

#endif
