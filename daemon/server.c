/*
 * server.c: the socket transport's life cycle (start, stop, reload): the
 * listeners of listen.c and the connections of conn.c together. What a
 * line does is dispatch.c's.
 */
#include "conn.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "shelterd.h"

/* Connections open now: see server.h. */
int
server_nclients(void)
{
	return conn_count();
}

/* Start listening: see server.h. */
int
server_start(void)
{
	if (conn_init() == -1)
		return -1;
	return listen_start(sd.base, sd.cfg, conn_accept);
}

/* Stop: see server.h. done runs from the event loop, exactly once. */
void
server_stop(void (*done)(void))
{
	sd.stopping = true;
	listen_stop();
	conn_close_all(done);
}

/*
 * Free what is left after the loop has ended (connections that did not
 * flush in time, the TLS context). For a clean exit under valgrind.
 */
void
server_free(void)
{
	conn_free_all();
	listen_free();
}

/* Apply a new config: see server.h. Peer identities are mapped again. */
void
server_reload(const struct config *cfg)
{
	/* Bigger budgets than descriptors: accepting pauses at the limit. */
	if (listen_fit_fds(cfg) == -1)
		log_warnx("reload: limits do not fit the open-files limit");
	conn_reload(cfg);
}
