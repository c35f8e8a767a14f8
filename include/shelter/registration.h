/*
 * registration.h: registrations of reported victims and the report over
 * them (docs/protocol.md "Registrations and reports").
 *
 * Parsing is strict like requests (model.h): unknown fields refused, enums,
 * ISO codes, dotted field paths relative to the registration. No names,
 * birth dates or addresses: the object has no field for them.
 */
#ifndef SHELTER_REGISTRATION_H
#define SHELTER_REGISTRATION_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/error.h"
#include "shelter/model.h"

enum reg_kind { REG_KIND_REGISTRATION, REG_KIND_SHELTER, REG_KIND_ADVICE };

enum age_band {
	AGE_BAND_MINOR,
	AGE_BAND_18_22,
	AGE_BAND_23,
	AGE_BAND_UNKNOWN,
};

/* The ten police units, the national unit, the KMar, unknown. */
#define REG_REGION_COUNT 13

struct registration {
	char ref[MODEL_REF_MAX + 1]; /* "" in a reduced registration */
	char date[11];               /* YYYY-MM-DD */
	enum reg_kind kind;
	enum sector sector; /* SECTOR_NONE when not given */
	bool has_gender;
	enum gender gender;
	int age;                /* -1 when not given */
	enum age_band age_band; /* given, or derived from age */
	char nationality[3];    /* "" when not given */
	enum referrer referrer; /* REFERRER_NONE when not given */
	int region;             /* index of the region names, -1: not given */
	char request_id[MODEL_ID_MAX + 1]; /* "" when not given */
};

/*
 * Parse a registration (registration.create / update). With MODEL_STORED
 * also a document this library wrote (person.age_band beside age, no
 * ref after retention). 0, or -1 with err.
 */
int model_registration_parse(const json_t *obj, int flags,
    struct registration *out, struct sh_error *err);
/*
 * The same, every problem found into all (all->v[0] is the one
 * model_registration_parse names): for data.errors. 0, or -1.
 */
int model_registration_parse_all(const json_t *obj, int flags,
    struct registration *out, struct sh_errors *all);
/* The registration, normalised (person.age_band always present). */
json_t *model_registration_to_json(const struct registration *r);
/*
 * What retention keeps: the same minus ref, request_id and the exact age
 * (age_band stays). Reports give the same figures before and after.
 */
void model_registration_reduce(struct registration *r);
const char *model_reg_kind_name(enum reg_kind k);
int model_reg_kind_parse(const char *s); /* -1 when unknown */
/* Is s a real date written YYYY-MM-DD? */
bool model_valid_date(const char *s);

/* Report dimensions, in the protocol's order. */
enum report_dim {
	REPORT_DIM_KIND,
	REPORT_DIM_SECTOR,
	REPORT_DIM_NATIONALITY,
	REPORT_DIM_AGE_BAND,
	REPORT_DIM_REFERRER,
	REPORT_DIM_REGION,
	REPORT_DIM_GENDER,
	REPORT_DIM_MINOR_DUTCH,
	REPORT_DIM_COUNT
};
#define REPORT_DIM_LIST                                                        \
	"kind, sector, nationality, age_band, referrer, region, gender, "      \
	"minor_dutch"
#define REPORT_MAX_BY 3 /* dimensions per report */

const char *report_dim_name(enum report_dim d);
int report_dim_parse(const char *s); /* -1 when unknown */
/* The values of dimension d in report order ("unknown" last) and their
 * number, or NULL for nationality (its values are the codes present). */
const char *const *report_dim_values(enum report_dim d, int *n);
/* The value of dimension d of r as reported ("unknown" when not given). */
const char *report_dim_value(const struct registration *r, enum report_dim d);

/*
 * The cross-table of regs by dims (1..REPORT_MAX_BY distinct dimensions)
 * under small-cell protection with min_cell (suppress.h):
 * {total, cells: [{key, count, suppressed}], margins: {DIM: [{value,
 * count, suppressed}]}}, a suppressed entry with count null. Every value
 * of a fixed vocabulary is listed (zeros too); nationality lists the codes
 * present. NULL on ENOMEM or an impossible table.
 */
json_t *report_registrations(const struct registration *regs, size_t n,
    const enum report_dim *dims, int ndims, long long min_cell);

#endif
