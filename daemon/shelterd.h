/*
 * shelterd.h: the daemon's global state, as in Redis's `server`.
 */
#ifndef SHELTERD_H
#define SHELTERD_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "shelter/config.h"
#include "shelter/geo.h"
#include "shelter/match.h"

/* Counters for stats.get and /metrics. Per instance. */
struct metrics {
	uint64_t connections_total;
	uint64_t connections_refused; /* over max_clients */
	uint64_t auth_failures;
	uint64_t rate_limited;
	uint64_t events_pushed;
	uint64_t subscribers_dropped; /* over output_buffer_bytes */
	uint64_t lines_too_long;
};

struct shelterd {
	struct event_base *base;
	struct config *cfg; /* swapped on SIGHUP */
	struct gazetteer *gaz;
	long long started_ms;
	bool stopping;
	/* The shelter table has been loaded and the seed applied once: until
	 * then, calls other than session.auth and session.ping answer -32010,
	 * so nothing is matched against an empty table. */
	bool ready;
	int nclients;
	struct metrics m;
};

extern struct shelterd sd;

/* Milliseconds / microseconds since the epoch (wall clock), and a
 * monotonic clock in microseconds. */
long long now_ms(void);
uint64_t mono_us(void);

#endif
