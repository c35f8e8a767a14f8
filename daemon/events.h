/*
 * events.h: the events stream, fanned out to subscribers by topic and role,
 * with `since` replay (docs/protocol.md "Events").
 */
#ifndef SHELTERD_EVENTS_H
#define SHELTERD_EVENTS_H

#include "store.h"

struct call;
struct caller;

/* Start tailing the stream (main.c, once the store is first up). */
void events_start(void);

/* Called by the store's tail for each event: refreshes the shelter table,
 * wakes the waitlist and pushes the event to subscribers. */
void events_on_event(const struct store_event *ev, void *arg);
/* A caller is going away: forget its subscription (registered with
 * dispatch_on_caller_gone at start-up). */
void events_caller_gone(struct caller *c);
/* session.subscribe {topics, since?}: see docs/protocol.md "Methods". */
void events_subscribe(struct call *call);
/* session.unsubscribe {topics}: -> {topics} still subscribed. */
void events_unsubscribe(struct call *call);
/* Subscribers now. */
int events_nsubscribers(void);

#endif
