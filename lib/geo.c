/* geo.c: distances and the municipality gazetteer (stub). */
#include <stdio.h>

#include "shelter/geo.h"

double
geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	return 0.0;
}

struct gazetteer *
geo_gazetteer_load(const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: gazetteer not implemented", path);
	return NULL;
}

void
geo_gazetteer_free(struct gazetteer *g)
{
}

size_t
geo_gazetteer_size(const struct gazetteer *g)
{
	return 0;
}

int
geo_lookup(const struct gazetteer *g, const char *name, double *lat,
    double *lon, const char **canonical)
{
	return -1;
}

const char *
geo_default_path(void)
{
	return SHELTER_SRCDIR "/config/municipalities.tsv";
}
