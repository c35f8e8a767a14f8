/*
 * geo.h: distances and the municipality gazetteer.
 */
#ifndef SHELTER_GEO_H
#define SHELTER_GEO_H

#include <stddef.h>

struct gazetteer;

/* Great-circle distance in km between two points in degrees (haversine,
 * mean Earth radius 6371.0088 km). */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* The cosine of latitude lat (degrees), as geo_distance_km_cos takes it. */
double geo_cos_lat(double lat);

/*
 * geo_distance_km with the points' geo_cos_lat given: the same result, bit
 * for bit, for a caller that measures from one point to many and keeps
 * each point's cosine.
 */
double geo_distance_km_cos(double lat1, double lon1, double cos1, double lat2,
    double lon2, double cos2);

/*
 * Load a gazetteer from a TSV file with a header line; the columns name,
 * lat and lon are found by header name, other columns are ignored. Returns
 * NULL with a "FILE:LINE: message" in err on failure. Caller frees with
 * geo_gazetteer_free.
 */
struct gazetteer *geo_gazetteer_load(
    const char *path, char *err, size_t errlen);
void geo_gazetteer_free(struct gazetteer *g);
size_t geo_gazetteer_size(const struct gazetteer *g);

/*
 * Resolve a municipality name, case- and accent-insensitively, with common
 * aliases (Den Haag / 's-Gravenhage, Den Bosch / 's-Hertogenbosch, "The
 * Hague"). Returns 0 and fills lat/lon (and *canonical, the name as the file
 * spells it, borrowed from g) or -1 when unknown. canonical may be NULL.
 */
int geo_lookup(const struct gazetteer *g, const char *name, double *lat,
    double *lon, const char **canonical);

/*
 * The default gazetteer path: $SHELTER_GAZETTEER if set, else the installed
 * file if it exists, else the file in the source tree shelterd was built
 * from. Never NULL.
 */
const char *geo_default_path(void);

#endif
