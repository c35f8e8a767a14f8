/*
 * forecast.c: freshness states and the forecast of a waiting request
 * (see forecast.h).
 */
#include <string.h>

#include "shelter/forecast.h"

/* The freshness of a report: see forecast.h. */
enum freshness
forecast_freshness(long long age_s, int ageing_h, int stale_h, int unconfirmed)
{
	if (unconfirmed > 0 || age_s >= (long long)stale_h * 3600)
		return FRESHNESS_STALE;
	if (age_s >= (long long)ageing_h * 3600)
		return FRESHNESS_AGEING;
	return FRESHNESS_FRESH;
}

/* The wire name of f. */
const char *
forecast_freshness_name(enum freshness f)
{
	switch (f) {
	case FRESHNESS_FRESH:
		return "fresh";
	case FRESHNESS_AGEING:
		return "ageing";
	case FRESHNESS_STALE:
		break;
	}
	return "stale";
}

/* Is (s, day) earlier than the best so far? */
static bool
forecast_better(
    const struct match_forecast *best, const struct shelter *s, int day)
{
	if (best->shelter == NULL || day < best->day)
		return true;
	return day == best->day && strcmp(s->id, best->shelter->id) < 0;
}

/* The shelter's admitting pools' planned departures against best. */
static void
forecast_shelter(const struct shelter *s, const struct request *req, int today,
    struct match_forecast *best)
{
	const struct pool *p;
	int k, j;

	for (k = 0; k < s->npools; k++) {
		p = &s->pools[k];
		if (!model_pool_admits(p, req))
			continue;
		for (j = 0; j < p->ndepartures; j++) {
			if (p->departures[j].day < today)
				continue;
			if (forecast_better(best, s, p->departures[j].day)) {
				best->shelter = s;
				best->pool = k;
				best->day = p->departures[j].day;
			}
			break; /* by date: the first one counts */
		}
	}
}

/* The forecast of req: see forecast.h. */
bool
forecast_find(const struct match_result *res, const struct request *req,
    int today, struct match_forecast *out)
{
	struct match_forecast best = {0};
	size_t i;

	for (i = 0; i < res->ncandidates; i++)
		forecast_shelter(res->candidates[i].shelter, req, today, &best);
	for (i = 0; i < res->nnear; i++)
		if (res->near[i].failed == FILTER_NO_FREE_PLACE)
			forecast_shelter(
			    res->near[i].shelter, req, today, &best);
	*out = best;
	return best.shelter != NULL;
}
