/*
 * alerts.h: the time checks, once a second (and at once after
 * debug.advance): shelters turning stale and their reminders, planned
 * departures passing unconfirmed, waiting requests escalating, open
 * proposals close to expiry. The rules run in the store (shd_alerts),
 * which records what it emitted, so every instance may run them.
 */
#ifndef SHELTERD_ALERTS_H
#define SHELTERD_ALERTS_H

#include "shelter/forecast.h"
#include "shelter/model.h"

#include "store.h"

/* Start the 1 s timer; stop it (replies in flight still end). */
void alerts_start(void);
void alerts_stop(void);

/*
 * Run the checks now with the configured limits; cb runs with the store's
 * reply ({stale, escalated, expiring}). 0, or -1 with err (not sent).
 */
int alerts_run(store_cb *cb, void *arg, struct sh_error *err);

/* The freshness of shelter s now (config freshness, the daemon's clock). */
enum freshness alerts_freshness(const struct shelter *s);
/* The freshness of a shelter's live JSON (report_age_s and
 * departures_unconfirmed as the store wrote them). */
enum freshness alerts_freshness_json(const json_t *shelter);

#endif
