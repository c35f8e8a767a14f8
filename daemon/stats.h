/*
 * stats.h: stats.get, the store's counts plus this instance's.
 */
#ifndef SHELTERD_STATS_H
#define SHELTERD_STATS_H

struct call;

/* stats.get {}: -> PROTOCOL.md's stats object. */
void stats_get(struct call *call);

#endif
