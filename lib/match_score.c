/*
 * match_score.c: the scorers (include/shelter/match.h) of one candidate
 * and their weighted mean, and the formulas of those that read one
 * shelter, for match.c's scoring and match_top.c's bounds alike: each
 * formula is monotone in its arguments, so a bound on the argument
 * bounds the score.
 */
#include <math.h>

#include "shelter/geo.h"
#include "shelter/match.h"

#include "match_internal.h"

/* match_score_round: see match_internal.h. */
int
match_score_round(double x)
{
	/* Half up; the epsilon keeps 87.5 from becoming 87.4999999. Every
	 * score is at least 0, and there truncation is floor without its
	 * libm sequence. */
	double y = x + 0.5 + 1e-9;

	return y >= 0 ? (int)y : (int)floor(y);
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

/* Whole hours from at to now (0 for a time ahead), or -1 for none. */
static long long
match_score_hours_since(const struct match_options *opt, long long at)
{
	long long h;

	if (at <= 0)
		return -1;
	h = (opt->now_ms - at) / 3600000;
	return h < 0 ? 0 : h;
}

/* match_score_freshness: see match_internal.h. */
int
match_score_freshness(const struct match_options *opt, long long updated_at)
{
	long long h = match_score_hours_since(opt, updated_at);

	return h < 0 ? 0 : match_score_fresh_hours(h);
}

/* match_score_fresh_hours: see match_internal.h. */
int
match_score_fresh_hours(long long h)
{
	return match_score_clamp(match_score_round(100.0 - 100.0 * h / 48.0));
}

/* match_score_fresh_table: see match_internal.h. */
void
match_score_fresh_table(int *fresh)
{
	int h;

	for (h = 0; h < MATCH_FRESH_HOURS; h++)
		fresh[h] = match_score_fresh_hours(h);
}

/* match_score_fresh_of: see match_internal.h. */
int
match_score_fresh_of(
    const int *fresh, const struct match_options *opt, long long at)
{
	long long h = match_score_hours_since(opt, at);

	/* From 48 hours on the formula gives 0 or less: clamped to 0. */
	return h >= 0 && h < MATCH_FRESH_HOURS ? fresh[h] : 0;
}

static bool
match_common_language(const struct request *r, const struct shelter *s)
{
	int i, j;

	for (i = 0; i < r->nlanguages; i++)
		for (j = 0; j < s->nlanguages; j++)
			if (r->languages[i] == s->languages[j])
				return true;
	return false;
}

/* Scorer k of s; dexp and dpref: km to the request's locations. */
static int
match_score_one(const struct match_ctx *x, const struct shelter *s,
    enum scorer k, double dexp, double dpref)
{
	const struct request *r = x->req;
	const struct match_input *in = x->in;
	unsigned extra;

	switch (k) {
	case SCORER_LANGUAGE:
		if (r->nlanguages == 0)
			return 50;
		return match_common_language(r, s) ? 100 : 0;
	case SCORER_SAFETY_DISTANCE:
		if (!r->has_exploitation_location)
			return 50;
		return match_score_safety(dexp);
	case SCORER_PROXIMITY:
		if (!r->has_preferred_location)
			return 50;
		return match_score_proximity(dpref);
	case SCORER_CARE_FIT:
		extra = s->care & CARE_SPECIALISED & ~(r->needs | r->prefers);
		return match_score_care_fit(match_popcount(r->prefers),
		    match_popcount(r->prefers & s->care),
		    match_popcount(extra));
	case SCORER_OCCUPANCY:
		return match_score_occupancy(s);
	case SCORER_FRESHNESS:
		return match_score_fresh_of(x->fresh, x->opt, s->updated_at);
	case SCORER_TOGETHER:
		if (r->co_victims != CO_VICTIMS_TOGETHER)
			return 50;
		return in != NULL && match_lists_has(x, MATCH_CASE, s) ? 100
		                                                       : 0;
	default:
		return 50;
	}
}

/* The weighted mean of c's scores, in hundredths: nondecreasing in each
 * score. */
void
match_combine(const double *w, struct match_candidate *c)
{
	double sum = 0, wsum = 0;
	int k;

	for (k = 0; k < SCORER_COUNT; k++) {
		if (!(w[k] > 0))
			continue;
		sum += w[k] * c->scores[k];
		wsum += w[k];
	}
	c->score = wsum > 0 ? match_score_round(100.0 * sum / wsum) : 0;
	if (c->score > 10000)
		c->score = 10000;
}

/* One score changed: see match.h. */
int
match_rescore(
    const double *w, const struct match_candidate *c, enum scorer k, int value)
{
	struct match_candidate x = *c;

	if ((int)k >= 0 && k < SCORER_COUNT)
		x.scores[k] = value;
	match_combine(w, &x);
	return x.score;
}

/* match_combine_ctx: see match_internal.h. */
void
match_combine_ctx(const struct match_ctx *x, struct match_candidate *c)
{
	const double *w = x->opt->weights;
	double sum = 0;
	int i;

	for (i = 0; i < x->nscored; i++)
		sum += w[x->scored[i]] * c->scores[x->scored[i]];
	c->score = x->wsum > 0 ? match_score_round(100.0 * sum / x->wsum) : 0;
	if (c->score > 10000)
		c->score = 10000;
}

/* Every scorer but scarcity, which needs all candidates (scarcity.c);
 * that one is 100 here, and c->score is left for the caller to combine
 * once scarcity is known. The distances are computed once, for the
 * scorers and distance_km alike. */
void
match_score(const struct match_ctx *x, struct match_candidate *c, double cs,
    double dexp)
{
	const struct request *r = x->req;
	const struct shelter *s = c->shelter;
	const double *w = x->opt->weights;
	double dpref = -1;
	int i, k;

	/* Once for both distances, when the index did not keep it. */
	if (r->has_preferred_location ||
	    (r->has_exploitation_location && dexp < 0))
		cs = match_cos_of(s, cs);
	if (!r->has_exploitation_location)
		dexp = -1;
	else if (dexp < 0)
		dexp = geo_distance_km_cos(s->location.lat, s->location.lon, cs,
		    r->exploitation_location.lat, r->exploitation_location.lon,
		    x->exp_cos);
	if (r->has_preferred_location)
		dpref = geo_distance_km_cos(s->location.lat, s->location.lon,
		    cs, r->preferred_location.lat, r->preferred_location.lon,
		    x->pref_cos);
	for (k = 0; k < SCORER_COUNT; k++)
		c->scores[k] = -1;
	for (i = 0; i < x->nscored; i++) {
		k = x->scored[i];
		c->scores[k] = k == SCORER_SCARCITY
		    ? 100
		    : match_score_one(x, s, (enum scorer)k, dexp, dpref);
	}
	match_distance_set(c, dexp, dpref);
	if (!(w[SCORER_SCARCITY] > 0))
		match_combine_ctx(x, c);
}
