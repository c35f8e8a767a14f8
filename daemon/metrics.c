/*
 * metrics.c: counters by method and outcome, and two latency histograms
 * (calls, matching), rendered in Prometheus text format.
 */
#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define NBUCKETS    12
#define MAX_METHODS 32

/* Upper bounds in seconds, Prometheus style (le). */
static const double bounds[NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0};

struct histogram {
	uint64_t buckets[NBUCKETS]; /* not cumulative */
	uint64_t count;
	double sum;
};

/* Outcomes by class: ok, client error, refused by state, unavailable,
 * internal. */
enum outcome {
	OUT_OK,
	OUT_INVALID,
	OUT_DENIED,
	OUT_CONFLICT,
	OUT_UNAVAILABLE,
	OUT_INTERNAL,
	OUT_COUNT
};
static const char *outcome_names[OUT_COUNT] = {
    "ok", "invalid", "denied", "conflict", "unavailable", "internal"};

struct method_stats {
	const char *name; /* borrowed from the static method table */
	uint64_t outcomes[OUT_COUNT];
	struct histogram latency;
};

struct metrics_counters metrics_counters;

static struct method_stats methods[MAX_METHODS];
static int nmethods;
static struct histogram match_latency;

static void
metrics_histogram_add(struct histogram *h, uint64_t us)
{
	double s = (double)us / 1e6;
	int i;

	for (i = 0; i < NBUCKETS && s > bounds[i]; i++)
		;
	if (i < NBUCKETS)
		h->buckets[i]++;
	h->count++;
	h->sum += s;
}

static void
metrics_histogram_write(struct evbuffer *out, const char *name,
    const char *labels, const struct histogram *h)
{
	uint64_t cum = 0;
	const char *sep = labels[0] != '\0' ? "," : "";
	int i;

	for (i = 0; i < NBUCKETS; i++) {
		cum += h->buckets[i];
		evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n",
		    name, labels, sep, bounds[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
	    labels, sep, (unsigned long long)h->count);
	evbuffer_add_printf(out, "%s_sum{%s} %.6f\n", name, labels, h->sum);
	evbuffer_add_printf(out, "%s_count{%s} %llu\n", name, labels,
	    (unsigned long long)h->count);
}

static enum outcome
metrics_outcome_of(int code)
{
	switch (code) {
	case 0:
		return OUT_OK;
	case -32001:
	case -32003:
	case -32029:
		return OUT_DENIED;
	case -32004:
	case -32009:
		return OUT_CONFLICT;
	case -32010:
		return OUT_UNAVAILABLE;
	case -32603:
		return OUT_INTERNAL;
	default:
		return OUT_INVALID;
	}
}

/* One finished call: see metrics.h. Methods are counted by name in the
 * order they are first seen, up to MAX_METHODS. */
void
metrics_call(const char *method, int code, uint64_t us)
{
	struct method_stats *m = NULL;
	int i;

	if (method == NULL)
		method = "unknown";
	for (i = 0; i < nmethods; i++) {
		if (methods[i].name == method ||
		    strcmp(methods[i].name, method) == 0) {
			m = &methods[i];
			break;
		}
	}
	if (m == NULL) {
		if (nmethods == MAX_METHODS)
			return;
		m = &methods[nmethods++];
		m->name = method;
	}
	m->outcomes[metrics_outcome_of(code)]++;
	metrics_histogram_add(&m->latency, us);
}

/* One run of the matching core: see metrics.h. */
void
metrics_match(uint64_t us)
{
	metrics_histogram_add(&match_latency, us);
}

/* The counters and histograms as Prometheus text: see metrics.h. */
void
metrics_write(struct evbuffer *out)
{
	char labels[96];
	int i, o;

	evbuffer_add_printf(out,
	    "# HELP shelterd_calls_total JSON-RPC calls by method and "
	    "outcome.\n# TYPE shelterd_calls_total counter\n");
	for (i = 0; i < nmethods; i++)
		for (o = 0; o < OUT_COUNT; o++)
			evbuffer_add_printf(out,
			    "shelterd_calls_total{method=\"%s\",outcome=\"%s\"}"
			    " %llu\n",
			    methods[i].name, outcome_names[o],
			    (unsigned long long)methods[i].outcomes[o]);
	evbuffer_add_printf(out,
	    "# HELP shelterd_call_duration_seconds Call latency by method.\n"
	    "# TYPE shelterd_call_duration_seconds histogram\n");
	for (i = 0; i < nmethods; i++) {
		snprintf(
		    labels, sizeof labels, "method=\"%s\"", methods[i].name);
		metrics_histogram_write(out, "shelterd_call_duration_seconds",
		    labels, &methods[i].latency);
	}
	evbuffer_add_printf(out,
	    "# HELP shelterd_match_duration_seconds Matching core latency "
	    "per request.\n"
	    "# TYPE shelterd_match_duration_seconds histogram\n");
	metrics_histogram_write(
	    out, "shelterd_match_duration_seconds", "", &match_latency);
}
