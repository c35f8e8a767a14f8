/*
 * stats.c: stats.get. The counts come from the store (shd_stats), the
 * connections and the uptime from this instance.
 */
#include "call.h"
#include "clock.h"
#include "metrics.h"
#include "shelterd.h"
#include "stats.h"
#include "store.h"

static void
stats_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *out;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	/* stats.get has exactly the protocol's members (docs/protocol.md
	 * "stats.get"); the oldest waiting request's time is for /metrics only.
	 */
	if ((out = json_copy(result)) != NULL) {
		json_object_del(out, "oldest_waiting_ms");
		json_object_del(out, "escalated_waiting");
		if (json_object_set_new(out, "connections",
		        json_integer(metrics_counters.connections_open)) ==
		        -1 ||
		    json_object_set_new(out, "uptime_s",
		        json_integer(
		            (clock_now_ms() - sd.started_ms) / 1000)) == -1) {
			json_decref(out);
			out = NULL;
		}
	}
	if (out == NULL)
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
	else
		call_reply(call, out);
}

/* stats.get {}: see stats.h. */
void
stats_get(struct call *call)
{
	struct sh_error err;

	if (store_stats(stats_done, call, &err) == -1)
		call_error(call, &err);
}
