/*
 * metrics.h: per-instance counters and latency histograms for /metrics.
 * Recording is a few additions: cheap enough for every call.
 */
#ifndef SHELTERD_METRICS_H
#define SHELTERD_METRICS_H

#include <stdint.h>

#include <event2/buffer.h>

/* Record one finished call: method name (NULL when the method is unknown),
 * error code (0 for success) and its latency. */
void metrics_call(const char *method, int code, uint64_t us);
/* Record one run of the matching core. */
void metrics_match(uint64_t us);
/* Append the counters and histograms in Prometheus text format. */
void metrics_write(struct evbuffer *out);

#endif
