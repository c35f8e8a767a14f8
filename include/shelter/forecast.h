/*
 * forecast.h: what shelters know about the near future, as pure
 * functions: how fresh a shelter's report is, and where a place a waiting
 * request fits is expected to free up (planned departures).
 */
#ifndef SHELTER_FORECAST_H
#define SHELTER_FORECAST_H

#include <stdbool.h>

#include "shelter/match.h"
#include "shelter/model.h"

enum freshness {
	FRESHNESS_FRESH,
	FRESHNESS_AGEING,
	FRESHNESS_STALE,
};

/*
 * The state of a report age_s seconds old: fresh below ageing_h hours,
 * ageing below stale_h, else stale; stale also while unconfirmed > 0
 * places had a planned departure pass without being confirmed.
 */
enum freshness forecast_freshness(
    long long age_s, int ageing_h, int stale_h, int unconfirmed);
/* "fresh", "ageing", "stale". */
const char *forecast_freshness_name(enum freshness f);

/*
 * The earliest planned departure on or after today (days since the
 * epoch) in a pool that admits req, among the shelters that passed every
 * filter or failed only for want of a free place. Ties: shelter id, then
 * pool order. Returns true and fills out (shelter and pool index), or
 * false when there is none.
 */
bool forecast_find(const struct match_result *res, const struct request *req,
    int today, struct match_forecast *out);

#endif
