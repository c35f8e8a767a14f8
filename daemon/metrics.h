/*
 * metrics.h: per-instance counters and latency histograms for /metrics.
 * Recording is a few additions: cheap enough for every call.
 */
#ifndef SHELTERD_METRICS_H
#define SHELTERD_METRICS_H

#include <stdint.h>

#include <event2/buffer.h>

/* Counters for stats.get and /metrics, per instance; each layer counts
 * its own. */
struct metrics_counters {
	int connections_open; /* socket connections now, refused ones not */
	uint64_t connections_total;
	uint64_t connections_refused;   /* over max_clients */
	uint64_t connections_timed_out; /* handshake, auth or idle timeout */
	uint64_t accept_paused;         /* the listeners paused (EMFILE) */
	uint64_t auth_failures;
	uint64_t rate_limited;
	uint64_t events_pushed;
	uint64_t subscribers_dropped; /* over output_buffer_bytes */
	uint64_t lines_too_long;
};
extern struct metrics_counters metrics_counters;

/* Record one finished call: method name (NULL when the method is unknown),
 * error code (0 for success) and its latency. */
void metrics_call(const char *method, int code, uint64_t us);
/* Record one run of the matching core. */
void metrics_match(uint64_t us);
/* Append the counters and histograms in Prometheus text format. */
void metrics_write(struct evbuffer *out);

#endif
