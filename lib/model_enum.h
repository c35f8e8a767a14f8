/*
 * model_enum.h: tables of enum value names (lib/ only: model*.c).
 */
#ifndef SHELTER_MODEL_ENUM_H
#define SHELTER_MODEL_ENUM_H

#include <stddef.h>

#include "shelter/model.h"

/* One name of a table ended by a NULL name. */
struct model_enum {
	const char *name;
	int value;
};

extern const struct model_enum model_programs[];
extern const struct model_enum model_request_programs[]; /* and "any" */
extern const struct model_enum model_securities[];
extern const struct model_enum model_genders[];
extern const struct model_enum model_cares[];
extern const struct model_enum model_sectors[];
extern const struct model_enum model_co_victims[];
extern const struct model_enum model_urgencies[];
extern const struct model_enum model_referrers[];
extern const struct model_enum model_residences[];

/* "a, b, c": the names of tab into buf. Returns buf. */
const char *model_enum_list(
    const struct model_enum *tab, char *buf, size_t len);
/* The value called s, or -1. */
int model_enum_lookup(const struct model_enum *tab, const char *s);
/* The name of value, or "?". */
const char *model_enum_name(const struct model_enum *tab, int value);

#endif
