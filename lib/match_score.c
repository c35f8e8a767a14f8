/*
 * match_score.c: the formulas of the scorers that read one shelter
 * (include/shelter/match.h), for match.c's scoring and match_top.c's
 * bounds alike: each is monotone in its arguments, so a bound on the
 * argument bounds the score.
 */
#include <math.h>

#include "shelter/match.h"

#include "match_internal.h"

/* match_score_round: see match_internal.h. */
int
match_score_round(double x)
{
	/* Half up; the epsilon keeps 87.5 from becoming 87.4999999. */
	return (int)floor(x + 0.5 + 1e-9);
}

/* match_score_clamp: see match_internal.h. */
int
match_score_clamp(int v)
{
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

/* match_score_safety: see match_internal.h. */
int
match_score_safety(double km)
{
	return match_score_clamp(match_score_round(100.0 * km / 150.0));
}

/* match_score_proximity: see match_internal.h. */
int
match_score_proximity(double km)
{
	return match_score_clamp(match_score_round(100.0 - 100.0 * km / 250.0));
}

/* match_score_care_fit: see match_internal.h. */
int
match_score_care_fit(int np, int nhave, int nextra)
{
	int p = np == 0 ? 100 : match_score_round(100.0 * nhave / np);

	return match_score_clamp(p - 20 * nextra);
}

/* match_score_occupancy: see match_internal.h. */
int
match_score_occupancy(const struct shelter *s)
{
	int total = 0, free = 0, i;

	for (i = 0; i < s->npools && i < MODEL_POOL_MAX; i++) {
		total += s->pools[i].total;
		if (model_pool_free(&s->pools[i]) > 0)
			free += model_pool_free(&s->pools[i]);
	}
	if (total <= 0)
		return 0;
	return match_score_clamp(match_score_round(100.0 * free / total));
}

/* match_score_freshness: see match_internal.h. */
int
match_score_freshness(const struct match_options *opt, long long updated_at)
{
	long long h;

	if (updated_at <= 0)
		return 0;
	h = (opt->now_ms - updated_at) / 3600000;
	if (h < 0)
		h = 0;
	return match_score_clamp(match_score_round(100.0 - 100.0 * h / 48.0));
}
