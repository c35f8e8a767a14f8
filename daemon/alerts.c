/*
 * alerts.c: the time checks (see alerts.h).
 */
#include <event2/event.h>

#include "alerts.h"
#include "clock.h"
#include "log.h"
#include "shelterd.h"
#include "table.h"

#define MIN_MS  (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)

static struct event *ev_tick;
static bool ticking; /* a timer's check is in flight */

/* Freshness of s: see alerts.h. */
enum freshness
alerts_freshness(const struct shelter *s)
{
	long long age = (clock_now_ms() - s->updated_at) / 1000;

	return forecast_freshness(age < 0 ? 0 : age, sd.cfg->ageing_h,
	    sd.cfg->stale_h, s->departures_unconfirmed);
}

/* Freshness of a shelter's live JSON: see alerts.h. */
enum freshness
alerts_freshness_json(const json_t *shelter)
{
	const json_t *du = json_object_get(shelter, "departures_unconfirmed");
	int unconfirmed = 0;
	size_t i;

	for (i = 0; i < json_array_size(du); i++)
		unconfirmed += (int)json_integer_value(
		    json_object_get(json_array_get(du, i), "count"));
	return forecast_freshness(
	    json_integer_value(json_object_get(shelter, "report_age_s")),
	    sd.cfg->ageing_h, sd.cfg->stale_h, unconfirmed);
}

/* The checks now: see alerts.h. */
int
alerts_run(store_cb *cb, void *arg, struct sh_error *err)
{
	const struct config *c = sd.cfg;
	struct store_alerts_args a = {
	    .stale_ms = c->stale_h * HOUR_MS,
	    .remind_ms = c->remind_h * HOUR_MS,
	    .immediate_ms = c->escalate_immediate_min * MIN_MS,
	    .days_ms = c->escalate_days_h * HOUR_MS,
	    .planned_ms = c->escalate_planned_d * DAY_MS,
	    .repeat_ms = c->escalate_repeat_min * MIN_MS,
	    .expiring_ms = c->expiring_min * MIN_MS,
	};

	return store_alerts(&a, cb, arg, err);
}

static void
alerts_tick_done(json_t *result, const struct sh_error *err, void *arg)
{
	json_int_t st = json_integer_value(json_object_get(result, "stale"));
	json_int_t es =
	    json_integer_value(json_object_get(result, "escalated"));
	json_int_t ex = json_integer_value(json_object_get(result, "expiring"));

	ticking = false;
	if (result == NULL)
		log_debug("alerts: %s", err->message);
	else if (st + es + ex > 0)
		log_info("alerts: %lld stale shelter(s), %lld escalation(s), "
		         "%lld expiring proposal(s)",
		    (long long)st, (long long)es, (long long)ex);
}

static void
alerts_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sh_error err;

	/*
	 * One at a time: a slow store does not pile them up. Not while the
	 * table loads: the checks read every shelter in the store, and on
	 * the one connection the pages wait behind them (100,000 shelters:
	 * about 0.9 s a check, once a second, so the load took minutes).
	 */
	if (ticking || !store_is_up() || table_reloading())
		return;
	ticking = true;
	if (alerts_run(alerts_tick_done, NULL, &err) == -1)
		ticking = false;
}

/* Start the checks: shd_alerts every second. */
void
alerts_start(void)
{
	struct timeval tv = {1, 0};

	if (ev_tick != NULL)
		return;
	if ((ev_tick = event_new(sd.base, -1, EV_PERSIST, alerts_tick, NULL)) ==
	    NULL) {
		log_warnx("alerts: event_new failed");
		return;
	}
	evtimer_add(ev_tick, &tv);
}

/* Stop the checks. */
void
alerts_stop(void)
{
	if (ev_tick != NULL)
		event_free(ev_tick);
	ev_tick = NULL;
}
