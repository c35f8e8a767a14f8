/*
 * match_distance.c: the distances a candidate shows (distance_km:
 * {exploitation, preferred}), in km rounded to 0.1, or null when the
 * request has no such location. Beside the scorers, which use the same
 * great-circle distance.
 */
#include <math.h>
#include <stdio.h>

#include "shelter/geo.h"
#include "shelter/match.h"

#include "match_internal.h"

/* d rounded to 0.1 km. */
static double
match_distance_round(double d)
{
	return round(d * 10.0) / 10.0;
}

/* Fill c's distances to the request's locations (-1: no such location). */
void
match_distance_fill(struct match_candidate *c, const struct request *r)
{
	const struct shelter *s = c->shelter;

	c->distance_km[0] = r->has_exploitation_location
	    ? match_distance_round(geo_distance_km(s->location.lat,
	          s->location.lon, r->exploitation_location.lat,
	          r->exploitation_location.lon))
	    : -1;
	c->distance_km[1] = r->has_preferred_location
	    ? match_distance_round(
	          geo_distance_km(s->location.lat, s->location.lon,
	              r->preferred_location.lat, r->preferred_location.lon))
	    : -1;
}

/* match_distance_set: see match_internal.h. */
void
match_distance_set(struct match_candidate *c, double dexp, double dpref)
{
	c->distance_km[0] = dexp >= 0 ? match_distance_round(dexp) : -1;
	c->distance_km[1] = dpref >= 0 ? match_distance_round(dpref) : -1;
}

/* {"exploitation": km or null, "preferred": km or null} as JSON text. */
char *
match_distance_text(const struct match_candidate *c, char *buf, size_t len)
{
	char e[32] = "null", p[32] = "null";

	if (c->distance_km[0] >= 0)
		snprintf(e, sizeof e, "%.1f", c->distance_km[0]);
	if (c->distance_km[1] >= 0)
		snprintf(p, sizeof p, "%.1f", c->distance_km[1]);
	snprintf(buf, len, "{\"exploitation\":%s,\"preferred\":%s}", e, p);
	return buf;
}

/* The same as a new JSON object, or NULL on ENOMEM. */
json_t *
match_distance_json(const struct match_candidate *c)
{
	return json_pack("{s:o, s:o}", "exploitation",
	    c->distance_km[0] >= 0 ? json_real(c->distance_km[0]) : json_null(),
	    "preferred",
	    c->distance_km[1] >= 0 ? json_real(c->distance_km[1])
	                           : json_null());
}
