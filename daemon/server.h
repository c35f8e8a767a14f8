/*
 * server.h: the socket transport's life cycle: listeners and connections
 * (listen.c, conn.c) started, stopped and reloaded together.
 */
#ifndef SHELTERD_SERVER_H
#define SHELTERD_SERVER_H

#include "shelter/config.h"

/* Start listening as configured. 0 or -1 (logged). */
int server_start(void);
/* Stop accepting; connections finish their calls and are closed once
 * flushed. done is called when the last connection is gone. */
void server_stop(void (*done)(void));
/* Free what is left once the event loop has ended (after server_stop). */
void server_free(void);
/* Apply a new config (peers, limits) to the running server. */
void server_reload(const struct config *cfg);
/* Connections open now. */
int server_nclients(void);

#endif
