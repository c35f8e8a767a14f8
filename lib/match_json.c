/* match_json.c: the candidates and the explanation of a match as JSON. */
#include <jansson.h>

#include "shelter/match.h"

/*
 * The ranked candidates as a new JSON array (caller owns), or NULL on
 * ENOMEM.
 */
json_t *
match_candidates_json(const struct match_result *res)
{
	json_t *arr, *o, *scores;
	const struct match_candidate *c;
	size_t i;
	int k;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < res->ncandidates; i++) {
		c = &res->candidates[i];
		if ((scores = json_object()) == NULL)
			goto fail;
		for (k = 0; k < SCORER_COUNT; k++) {
			if (c->scores[k] < 0)
				continue;
			if (json_object_set_new(scores,
			        match_scorer_name((enum scorer)k),
			        json_integer(c->scores[k])) == -1) {
				json_decref(scores);
				goto fail;
			}
		}
		o = json_pack("{s:s, s:s, s:f, s:o, s:i, s:o}", "shelter_id",
		    c->shelter->id, "pool", c->shelter->pools[c->pool].name,
		    "score", c->score / 100.0, "scores", scores, "free",
		    c->free, "distance_km", match_distance_json(c));
		if (o == NULL || json_array_append_new(arr, o) == -1)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* {shelter_id, pool, date}, or null. */
static json_t *
match_forecast_json(const struct match_forecast *f)
{
	char d[16];

	if (f->shelter == NULL)
		return json_null();
	return json_pack("{s:s, s:s, s:s}", "shelter_id", f->shelter->id,
	    "pool", f->shelter->pools[f->pool].name, "date",
	    model_date_format(f->day, d, sizeof d));
}

/*
 * The explanation as a new JSON object (caller owns), or NULL on ENOMEM;
 * computed first when match_run_indexed left it pending.
 */
json_t *
match_explanation_json(const struct match_result *res)
{
	json_t *reasons, *near, *o;
	size_t i;
	int f;

	/* A pending explanation is a cache of res filled in on first use;
	 * res is never an object defined const (callers own it). */
	if (match_explain((struct match_result *)res) == -1)
		return NULL;
	reasons = json_object();
	near = json_array();
	if (reasons == NULL || near == NULL)
		goto fail;
	for (f = 0; f < FILTER_COUNT; f++)
		if (res->reasons[f] > 0 &&
		    json_object_set_new(reasons,
		        match_filter_name((enum filter)f),
		        json_integer(res->reasons[f])) == -1)
			goto fail;
	for (i = 0; i < res->nnear; i++) {
		o = json_pack("{s:s, s:[s]}", "shelter_id",
		    res->near[i].shelter->id, "failed",
		    match_filter_name(res->near[i].failed));
		if (o == NULL || json_array_append_new(near, o) == -1)
			goto fail;
	}
	return json_pack("{s:I, s:I, s:o, s:o, s:b, s:s?, s:o, s:s}", "total",
	    (json_int_t)res->total, "eligible", (json_int_t)res->eligible,
	    "reasons", reasons, "near_misses", near, "dead_end", res->dead_end,
	    "referral", res->referral, "forecast",
	    match_forecast_json(&res->forecast), "message", res->message);
fail:
	json_decref(reasons);
	json_decref(near);
	return NULL;
}

/*
 * {candidates, explanation}, the result of match.preview, as a new JSON
 * object (caller owns), or NULL on ENOMEM.
 */
json_t *
match_result_json(const struct match_result *res)
{
	json_t *c, *e;

	/* First: it runs the full match again (the same candidates). */
	if (match_explain((struct match_result *)res) == -1)
		return NULL;
	c = match_candidates_json(res);
	e = match_explanation_json(res);
	if (c == NULL || e == NULL) {
		json_decref(c);
		json_decref(e);
		return NULL;
	}
	return json_pack("{s:o, s:o}", "candidates", c, "explanation", e);
}
