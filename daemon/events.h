/*
 * events.h: the events stream, fanned out to subscribers by topic and role,
 * with `since` replay (PROTOCOL.md "Events").
 */
#ifndef SHELTERD_EVENTS_H
#define SHELTERD_EVENTS_H

#include "server.h"
#include "store.h"

/* Start tailing the stream (main.c, once the store is first up). */
void events_start(void);

/* Called by the store's tail for each event: refreshes the shelter table,
 * wakes the waitlist and pushes the event to subscribers. */
void events_on_event(const struct store_event *ev, void *arg);
/* A connection is closing: forget its subscription. */
void events_conn_closed(struct conn *c);
/* Subscribers now. */
int events_nsubscribers(void);

#endif
