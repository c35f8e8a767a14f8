/*
 * match_distance.c: the distances a candidate shows (distance_km:
 * {exploitation, preferred}), in km rounded to 0.1, or null when the
 * request has no such location. Beside the scorers, which use the same
 * great-circle distance.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

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

/*
 * Km v >= 0 as "%.1f" writes it, at p; returns the end. A distance is
 * rounded to 0.1 already (match_distance_round), so v * 10 is within a
 * rounding error of an integer: that integer's digits are the text (a
 * submit writes some forty of these, and printf was a tenth of the
 * daemon's time for it). Any other value goes to snprintf.
 */
static char *
match_km_put(char *p, double v)
{
	char tmp[32], *e = tmp + sizeof tmp, *q = e;
	double t = v * 10.0, k = nearbyint(t);
	unsigned long long n;
	int len;

	if (!(k < 1e15) || fabs(t - k) > 1e-6) {
		len = snprintf(tmp, sizeof tmp, "%.1f", v);
		if (len < 0 || len >= (int)sizeof tmp)
			len = snprintf(tmp, sizeof tmp, "null");
		memcpy(p, tmp, (size_t)len);
		return p + len;
	}
	n = (unsigned long long)k;
	*--q = (char)('0' + n % 10);
	*--q = '.';
	n /= 10;
	do
		*--q = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	memcpy(p, q, (size_t)(e - q));
	return p + (e - q);
}

/* {"exploitation": km or null, "preferred": km or null} as JSON text. */
char *
match_distance_text(const struct match_candidate *c, char *buf, size_t len)
{
	static const char *const keys[2] = {
	    "{\"exploitation\":", ",\"preferred\":"};
	char tmp[MATCH_DISTANCE_TEXT_MAX], *p = tmp;
	size_t n;
	int i;

	for (i = 0; i < 2; i++) {
		n = strlen(keys[i]);
		memcpy(p, keys[i], n);
		p += n;
		if (c->distance_km[i] >= 0) {
			p = match_km_put(p, c->distance_km[i]);
		} else {
			memcpy(p, "null", 4);
			p += 4;
		}
	}
	*p++ = '}';
	if (len > 0) { /* what fits */
		n = (size_t)(p - tmp) < len - 1 ? (size_t)(p - tmp) : len - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
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
