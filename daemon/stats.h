/*
 * stats.h: stats.get, the store's counts plus this instance's.
 */
#ifndef SHELTERD_STATS_H
#define SHELTERD_STATS_H

struct call;

/* stats.get {}: -> the stats object of docs/protocol.md. */
void stats_get(struct call *call);

#endif
