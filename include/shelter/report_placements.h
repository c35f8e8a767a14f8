/*
 * report_placements.h: report.placements, the placement figures of the
 * requests submitted in a period by program, urgency or referrer, under
 * the small-cell protection of suppress.h (docs/protocol.md
 * "report.placements").
 *
 * Pure: the records come from the store (shd_placement_report), the
 * clock's now is an argument.
 */
#ifndef SHELTER_REPORT_PLACEMENTS_H
#define SHELTER_REPORT_PLACEMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/model.h"

enum rp_dim { RP_DIM_PROGRAM, RP_DIM_URGENCY, RP_DIM_REFERRER, RP_DIM_COUNT };
#define RP_DIM_LIST "program, urgency, referrer"

/* What a report needs of one request; times in ms since the epoch. */
struct rp_rec {
	int value[RP_DIM_COUNT]; /* index into report_placements_values */
	bool placed;             /* reached placed (arrived, departed too) */
	bool cancelled;
	bool resident; /* status arrived */
	long long created_ms;
	long long accepted_ms; /* -1: not accepted or not recorded */
	long long arrived_ms;  /* -1: not arrived or not recorded */
	long long departed_ms; /* -1: not departed or not recorded */
	int norm_days;         /* of its shelter's program; 0: no norm */
};

const char *report_placements_dim_name(enum rp_dim d);
int report_placements_dim_parse(const char *s); /* -1 when unknown */
/* The values of dimension d in report order ("unknown" last). */
const char *const *report_placements_values(enum rp_dim d, int *n);

/*
 * Read the store's {"requests": [...]} rows (see daemon/functions.lua
 * shd_placement_report) into a new array *out of *n records (caller
 * frees); norm_days[p] is the norm of shelter program p (config norms).
 * A row that cannot be read is skipped and counted in *bad. 0, or -1 on
 * ENOMEM or when rows is not an array.
 */
int report_placements_read(const json_t *rows,
    const int norm_days[PROGRAM_COUNT], struct rp_rec **out, size_t *n,
    size_t *bad);

/*
 * The report of recs by dims (1..RP_DIM_COUNT distinct dimensions) at
 * now_ms: {total, cells: [{key, FIGURES...}], margins: {DIM: [{value,
 * FIGURES...}]}}, FIGURES being requests, placed, placed_24h, cancelled,
 * long_stays (counts), median_wait_h, p90_wait_h, median_stay_d and
 * suppressed. Each count has its own table protected with min_cell; an
 * entry whose requests is suppressed publishes no figure (suppressed
 * true, every figure null), and its other counts are suppressed in their
 * tables too, so they cannot be derived from the margins. A median or
 * p90 is published only over at least min_cell values. NULL on ENOMEM or
 * bad arguments.
 */
json_t *report_placements(const struct rp_rec *recs, size_t n,
    const enum rp_dim *dims, int ndims, long long now_ms, long long min_cell);

#endif
