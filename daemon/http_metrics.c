/*
 * http_metrics.c: GET /metrics (Prometheus text). It adds one FCALL for
 * the request and place counts (the same numbers as stats.get).
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "alerts.h"
#include "events.h"
#include "shelter/vocab.h"

#include "http_internal.h"
#include "metrics.h"
#include "server.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

/*
 * A /metrics request waiting for shd_stats. evhttp_free() (at stop) frees
 * the request under us, and the FCALL callback runs later (store_stop):
 * http_metrics_stop() clears req so that the callback only frees this.
 */
struct pending {
	struct evhttp_request *req;
	TAILQ_ENTRY(pending) entry;
};
static TAILQ_HEAD(, pending) pendings = TAILQ_HEAD_INITIALIZER(pendings);

static void
http_gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.10g\n",
	    name, help, name, name, v);
}

static void
http_counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
	    name, help, name, name, (unsigned long long)v);
}

/* Free places by program and by shelter, from the in-memory table. */
static void
http_write_free_places(struct evbuffer *b)
{
	const struct shelter *const *all;
	long long by_program[PROGRAM_COUNT] = {0};
	int nfresh[FRESHNESS_STALE + 1] = {0};
	size_t n, i;
	int p, f, sum;

	all = table_all(&n);
	evbuffer_add_printf(b,
	    "# HELP shelterd_shelter_free_places Free places per shelter.\n"
	    "# TYPE shelterd_shelter_free_places gauge\n");
	for (i = 0; i < n; i++) {
		sum = 0;
		for (p = 0; p < all[i]->npools; p++) {
			f = model_pool_free(&all[i]->pools[p]);
			sum += f > 0 ? f : 0;
		}
		by_program[all[i]->program] += sum;
		evbuffer_add_printf(b,
		    "shelterd_shelter_free_places{shelter=\"%s\","
		    "program=\"%s\",open=\"%s\"} %d\n",
		    all[i]->id, model_program_name(all[i]->program),
		    all[i]->intake_open ? "true" : "false", sum);
	}
	evbuffer_add_printf(b,
	    "# HELP shelterd_shelter_report_age_seconds Age of each "
	    "shelter's last capacity report or heartbeat.\n"
	    "# TYPE shelterd_shelter_report_age_seconds gauge\n");
	for (i = 0; i < n; i++) {
		enum freshness fr = alerts_freshness(all[i]);

		nfresh[fr]++;
		evbuffer_add_printf(b,
		    "shelterd_shelter_report_age_seconds{shelter=\"%s\","
		    "freshness=\"%s\"} %lld\n",
		    all[i]->id, forecast_freshness_name(fr),
		    (clock_now_ms() - all[i]->updated_at) / 1000);
	}
	evbuffer_add_printf(b,
	    "# HELP shelterd_shelters_by_freshness Shelters per freshness "
	    "state.\n# TYPE shelterd_shelters_by_freshness gauge\n");
	for (p = FRESHNESS_FRESH; p <= FRESHNESS_STALE; p++)
		evbuffer_add_printf(b,
		    "shelterd_shelters_by_freshness{freshness=\"%s\"} %d\n",
		    forecast_freshness_name(p), nfresh[p]);
	evbuffer_add_printf(b,
	    "# HELP shelterd_free_places Free places per program.\n"
	    "# TYPE shelterd_free_places gauge\n");
	for (p = 0; p < PROGRAM_COUNT; p++)
		evbuffer_add_printf(b,
		    "shelterd_free_places{program=\"%s\"} "
		    "%lld\n",
		    model_program_name(p), by_program[p]);
}

/* The part that comes from the store's stats (NULL when it is away). */
static void
http_write_store_stats(struct evbuffer *b, json_t *st)
{
	static const char *places[] = {
	    "total", "occupied", "held", "expected", "free"};
	json_t *pl = json_object_get(st, "places");
	json_t *rq = json_object_get(st, "requests");
	json_t *old = json_object_get(st, "oldest_waiting_ms");
	size_t i;

	http_gauge(b, "shelterd_shelters", "Shelters in the store.",
	    (double)json_integer_value(json_object_get(st, "shelters")));
	evbuffer_add_printf(b,
	    "# HELP shelterd_places Places by state, "
	    "over all shelters.\n# TYPE shelterd_places gauge\n");
	for (i = 0; i < sizeof places / sizeof places[0]; i++)
		evbuffer_add_printf(b, "shelterd_places{state=\"%s\"} %lld\n",
		    places[i],
		    (long long)json_integer_value(
		        json_object_get(pl, places[i])));
	http_gauge(b, "shelterd_holds_open", "Open proposals holding a place.",
	    (double)json_integer_value(json_object_get(pl, "held")));
	evbuffer_add_printf(b,
	    "# HELP shelterd_requests Requests by status."
	    "\n# TYPE shelterd_requests gauge\n");
	for (i = 0; i < VOCAB_REQUEST_COUNT; i++)
		evbuffer_add_printf(b,
		    "shelterd_requests{status=\"%s\"} %lld\n",
		    vocab_request_status_name((int)i),
		    (long long)json_integer_value(json_object_get(
		        rq, vocab_request_status_name((int)i))));
	http_gauge(b, "shelterd_requests_escalated",
	    "Waiting requests that waited past their urgency's limit.",
	    (double)json_integer_value(
	        json_object_get(st, "escalated_waiting")));
	http_gauge(b, "shelterd_waiting_oldest_age_seconds",
	    "Age of the oldest waiting request (0 when none waits).",
	    json_is_integer(old) && json_integer_value(old) > 0
	        ? (double)(clock_now_ms() - json_integer_value(old)) / 1000.0
	        : 0.0);
}

static void
http_write_metrics(struct evhttp_request *req, json_t *st)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		http_send(req, 500, NULL, NULL);
		return;
	}
	http_gauge(b, "shelterd_up", "1 while the daemon runs.", 1);
	http_gauge(b, "shelterd_uptime_seconds", "Seconds since start.",
	    (double)(clock_now_ms() - sd.started_ms) / 1000.0);
	http_gauge(b, "shelterd_connections", "Client connections open now.",
	    server_nclients());
	http_counter(b, "shelterd_connections_total",
	    "Client connections accepted.", metrics_counters.connections_total);
	http_counter(b, "shelterd_connections_refused_total",
	    "Connections refused over limits.max_clients.",
	    metrics_counters.connections_refused);
	http_counter(b, "shelterd_connections_timed_out_total",
	    "Connections closed by a handshake, auth or idle timeout.",
	    metrics_counters.connections_timed_out);
	http_counter(b, "shelterd_accept_paused_total",
	    "Times accepting paused: out of file descriptors.",
	    metrics_counters.accept_paused);
	http_counter(b, "shelterd_auth_failures_total",
	    "Failed session.auth calls.", metrics_counters.auth_failures);
	http_counter(b, "shelterd_rate_limited_total",
	    "Lines refused by the per-connection rate limit.",
	    metrics_counters.rate_limited);
	http_counter(b, "shelterd_events_pushed_total",
	    "Event notifications sent to subscribers.",
	    metrics_counters.events_pushed);
	http_counter(b, "shelterd_subscribers_dropped_total",
	    "Subscribers disconnected over limits.output_buffer_bytes.",
	    metrics_counters.subscribers_dropped);
	http_gauge(b, "shelterd_subscribers",
	    "Connections with a subscription.", events_nsubscribers());
	http_gauge(b, "shelterd_http_event_streams",
	    "Open GET /events streams.", http_sse_count());
	http_gauge(b, "shelterd_redis_up", "1 while Redis is reachable.",
	    store_is_up() ? 1 : 0);
	http_gauge(b, "shelterd_redis_rtt_seconds",
	    "Round-trip time of the last PING to Redis.",
	    (double)store_rtt_us() / 1e6);
	if (st != NULL)
		http_write_store_stats(b, st);
	http_write_free_places(b);
	metrics_write(b);
	http_send(req, 200, "text/plain; version=0.0.4", b);
	evbuffer_free(b);
}

static void
http_metrics_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct pending *p = arg;

	if (p->req != NULL) {
		TAILQ_REMOVE(&pendings, p, entry);
		http_write_metrics(p->req, err == NULL ? result : NULL);
	}
	free(p);
}

/* GET /metrics: see http_internal.h. */
void
http_metrics(struct evhttp_request *req)
{
	struct sh_error err;
	struct pending *p;

	if ((p = malloc(sizeof *p)) == NULL) {
		http_write_metrics(req, NULL);
		return;
	}
	p->req = req;
	if (store_stats(http_metrics_done, p, &err) == -1) {
		free(p);
		http_write_metrics(req, NULL);
		return;
	}
	TAILQ_INSERT_TAIL(&pendings, p, entry);
}

/* At stop: see http_internal.h. */
void
http_metrics_stop(void)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&pendings)) != NULL) {
		TAILQ_REMOVE(&pendings, p, entry);
		p->req = NULL; /* freed with evhttp; p by its callback */
	}
}
