/*
 * report_placements.c: report.placements (include/shelter/
 * report_placements.h). Every count (requests, placed, ...) is its own
 * cross-table with margins and total under suppress.c; the medians are
 * computed per entry over the records it covers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/report_placements.h"
#include "shelter/suppress.h"

#define RP_DAY_MS  86400000LL
#define RP_HOUR_MS 3600000LL

/* The counts, in output order; RP_REQUESTS first (it rules the others). */
enum rp_count {
	RP_REQUESTS,
	RP_PLACED,
	RP_PLACED_24H,
	RP_CANCELLED,
	RP_LONG_STAYS,
	RP_NCOUNTS
};
static const char *const rp_count_names[RP_NCOUNTS] = {
    "requests", "placed", "placed_24h", "cancelled", "long_stays"};

static const char *const rp_dim_names[RP_DIM_COUNT] = {
    "program", "urgency", "referrer"};

const char *
report_placements_dim_name(enum rp_dim d)
{
	return (int)d >= 0 && d < RP_DIM_COUNT ? rp_dim_names[d] : NULL;
}

int
report_placements_dim_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < RP_DIM_COUNT; i++)
		if (strcmp(s, rp_dim_names[i]) == 0)
			return i;
	return -1;
}

const char *const *
report_placements_values(enum rp_dim d, int *n)
{
	static const char *const programs[] = {"cosm", "omm", "any"};
	static const char *const urgencies[] = {"immediate", "days", "planned"};
	static const char *const referrers[] = {"police", "kmar", "nla",
	    "fairwork", "care", "lawyer", "coa", "self", "other", "unknown"};
#define R(a) (*n = (int)(sizeof a / sizeof a[0]), a)
	switch (d) {
	case RP_DIM_PROGRAM:
		return R(programs);
	case RP_DIM_URGENCY:
		return R(urgencies);
	case RP_DIM_REFERRER:
		return R(referrers);
	case RP_DIM_COUNT:
		break;
	}
#undef R
	*n = 0;
	return NULL;
}

/* The index of s among d's values; the last ("unknown") for a referrer
 * not in the list, -1 for another dimension. */
static int
rp_value_index(enum rp_dim d, const char *s)
{
	const char *const *v;
	int i, n;

	v = report_placements_values(d, &n);
	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(v[i], s) == 0)
			return i;
	return d == RP_DIM_REFERRER ? n - 1 : -1;
}

/* A time member: ms, or -1 when null or absent. */
static long long
rp_ms(const json_t *row, const char *name)
{
	const json_t *v = json_object_get(row, name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static int
rp_read_row(
    const json_t *row, const int norm_days[PROGRAM_COUNT], struct rp_rec *r)
{
	const char *st = json_string_value(json_object_get(row, "status"));
	int d, p;

	if (!json_is_object(row) || st == NULL)
		return -1;
	memset(r, 0, sizeof *r);
	for (d = 0; d < RP_DIM_COUNT; d++)
		if ((r->value[d] = rp_value_index((enum rp_dim)d,
		         json_string_value(
		             json_object_get(row, rp_dim_names[d])))) < 0)
			return -1;
	if ((r->created_ms = rp_ms(row, "created_at")) < 0)
		return -1;
	r->accepted_ms = rp_ms(row, "accepted_at");
	r->arrived_ms = rp_ms(row, "arrived_at");
	r->departed_ms = rp_ms(row, "departed_at");
	r->cancelled = strcmp(st, "cancelled") == 0;
	r->resident = strcmp(st, "arrived") == 0;
	/* A cancel after the accept still reached a placement. */
	r->placed = strcmp(st, "placed") == 0 || r->resident ||
	    strcmp(st, "departed") == 0 || r->accepted_ms >= 0;
	p = model_program_parse(
	    json_string_value(json_object_get(row, "shelter_program")));
	r->norm_days = p >= 0 && p < PROGRAM_COUNT ? norm_days[p] : 0;
	return 0;
}

int
report_placements_read(const json_t *rows, const int norm_days[PROGRAM_COUNT],
    struct rp_rec **out, size_t *n, size_t *bad)
{
	size_t i;

	*out = NULL;
	*n = *bad = 0;
	if (!json_is_array(rows))
		return -1;
	if ((*out = calloc(json_array_size(rows) + 1, sizeof **out)) == NULL)
		return -1;
	for (i = 0; i < json_array_size(rows); i++) {
		if (rp_read_row(
		        json_array_get(rows, i), norm_days, &(*out)[*n]) == 0)
			(*n)++;
		else
			(*bad)++;
	}
	return 0;
}

/* Does r count in counter c at now? */
static bool
rp_counts(const struct rp_rec *r, enum rp_count c, long long now)
{
	switch (c) {
	case RP_REQUESTS:
		return true;
	case RP_PLACED:
		return r->placed;
	case RP_PLACED_24H:
		return r->accepted_ms >= 0 &&
		    r->accepted_ms - r->created_ms <= 24 * RP_HOUR_MS;
	case RP_CANCELLED:
		return r->cancelled;
	case RP_LONG_STAYS:
		return r->resident && r->arrived_ms >= 0 && r->norm_days > 0 &&
		    (now - r->arrived_ms) / RP_DAY_MS > r->norm_days;
	case RP_NCOUNTS:
		break;
	}
	return false;
}

/* The table shape shared by every count. */
struct rp_shape {
	int ndims;
	enum rp_dim dims[RP_DIM_COUNT];
	int sizes[RP_DIM_COUNT];
};

/* Is r in entry e (a cell, a margin or the total) of t? */
static bool
rp_in_entry(const struct suppress_table *t, const struct rp_shape *s,
    const struct rp_rec *r, size_t e)
{
	int key[RP_DIM_COUNT], d;

	if (e == suppress_total(t))
		return true;
	for (d = 0; d < s->ndims; d++)
		key[d] = r->value[s->dims[d]];
	if (e < t->ncells)
		return suppress_cell(t, key) == e;
	for (d = 0; d < s->ndims; d++)
		if (suppress_margin(t, d, key[d]) == e)
			return true;
	return false;
}

static int
rp_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* One decimal. */
static json_t *
rp_round(double v)
{
	return json_real(round(v * 10.0) / 10.0);
}

/* The median (p == 50) or the nearest-rank p-th percentile of v[0..n)
 * in units of unit ms, or null below min_cell values. Sorts v. */
static json_t *
rp_quantile(long long *v, size_t n, int p, long long unit, long long min_cell)
{
	size_t k;

	if (n == 0 || (long long)n < min_cell)
		return json_null();
	qsort(v, n, sizeof *v, rp_cmp);
	if (p == 50 && n % 2 == 0)
		return rp_round(((double)v[n / 2 - 1] + (double)v[n / 2]) /
		    2.0 / (double)unit);
	if (p == 50)
		return rp_round((double)v[n / 2] / (double)unit);
	k = (n * (size_t)p + 99) / 100; /* ceil(n * p / 100), 1-based */
	return rp_round((double)v[k - 1] / (double)unit);
}

struct rp_work {
	const struct rp_rec *recs;
	size_t n;
	long long now, min_cell;
	struct rp_shape shape;
	struct suppress_table t[RP_NCOUNTS];
	long long *scratch; /* n values */
};

/* The figures of entry e into o. */
static int
rp_figures(json_t *o, struct rp_work *w, size_t e)
{
	bool hidden = w->t[RP_REQUESTS].suppressed[e];
	size_t i, nw = 0, ns = 0;
	int c, bad = 0;
	long long *stay;

	for (c = 0; c < RP_NCOUNTS; c++) {
		const struct suppress_table *t = &w->t[c];

		bad |= json_object_set_new(o, rp_count_names[c],
		    hidden || t->suppressed[e] ? json_null()
		                               : json_integer(t->count[e]));
	}
	if (hidden) {
		bad |= json_object_set_new(o, "median_wait_h", json_null()) |
		    json_object_set_new(o, "p90_wait_h", json_null()) |
		    json_object_set_new(o, "median_stay_d", json_null());
		return bad | json_object_set_new(o, "suppressed", json_true());
	}
	/* Waits from the front of scratch, stays from the back. */
	stay = w->scratch + 2 * w->n;
	for (i = 0; i < w->n; i++) {
		const struct rp_rec *r = &w->recs[i];

		if (!rp_in_entry(&w->t[0], &w->shape, r, e))
			continue;
		if (r->accepted_ms >= 0 && r->accepted_ms >= r->created_ms)
			w->scratch[nw++] = r->accepted_ms - r->created_ms;
		if (r->arrived_ms >= 0) {
			long long end =
			    r->departed_ms >= 0 ? r->departed_ms : w->now;

			if (end >= r->arrived_ms) {
				*--stay = end - r->arrived_ms;
				ns++;
			}
		}
	}
	bad |= json_object_set_new(o, "median_wait_h",
	    rp_quantile(w->scratch, nw, 50, RP_HOUR_MS, w->min_cell));
	bad |= json_object_set_new(o, "p90_wait_h",
	    rp_quantile(w->scratch, nw, 90, RP_HOUR_MS, w->min_cell));
	bad |= json_object_set_new(o, "median_stay_d",
	    rp_quantile(stay, ns, 50, RP_DAY_MS, w->min_cell));
	return bad | json_object_set_new(o, "suppressed", json_false());
}

static json_t *
rp_json(struct rp_work *w)
{
	const struct rp_shape *s = &w->shape;
	const struct suppress_table *t = &w->t[0];
	json_t *out = json_object(), *cells = json_array(),
	       *margins = json_object(), *cell, *key, *list, *m, *tot;
	int d, v, nv, keyv[RP_DIM_COUNT], bad = 0;
	const char *const *vals;
	size_t c, rest;

	bad = out == NULL || cells == NULL || margins == NULL;
	for (c = 0; !bad && c < t->ncells; c++) {
		rest = c;
		for (d = s->ndims - 1; d >= 0; d--) {
			keyv[d] = (int)(rest % (size_t)s->sizes[d]);
			rest /= (size_t)s->sizes[d];
		}
		cell = json_object();
		key = json_object();
		bad |= cell == NULL || key == NULL;
		for (d = 0; !bad && d < s->ndims; d++) {
			vals = report_placements_values(s->dims[d], &nv);
			bad |=
			    json_object_set_new(key, rp_dim_names[s->dims[d]],
			        json_string(vals[keyv[d]]));
		}
		bad |= json_object_set_new(cell, "key", key) |
		    rp_figures(cell, w, c) | json_array_append_new(cells, cell);
	}
	for (d = 0; !bad && d < s->ndims; d++) {
		vals = report_placements_values(s->dims[d], &nv);
		bad |= (list = json_array()) == NULL;
		for (v = 0; !bad && v < nv; v++) {
			bad |= (m = json_object()) == NULL;
			bad |= json_object_set_new(
			           m, "value", json_string(vals[v])) |
			    rp_figures(m, w, suppress_margin(t, d, v)) |
			    json_array_append_new(list, m);
		}
		bad |= json_object_set_new(
		    margins, rp_dim_names[s->dims[d]], list);
	}
	bad |= (tot = json_object()) == NULL;
	bad |= bad ? 0
	           : rp_figures(tot, w, suppress_total(t)) |
	        json_object_set_new(out, "total", tot) |
	        json_object_set_new(out, "cells", cells) |
	        json_object_set_new(out, "margins", margins);
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *
report_placements(const struct rp_rec *recs, size_t n, const enum rp_dim *dims,
    int ndims, long long now_ms, long long min_cell)
{
	struct rp_work w;
	json_t *out = NULL;
	int key[RP_DIM_COUNT], c, d, ok = 0;
	size_t i, e;

	if (ndims < 1 || ndims > RP_DIM_COUNT || ndims > SUPPRESS_MAX_DIMS)
		return NULL;
	memset(&w, 0, sizeof w);
	w.recs = recs;
	w.n = n;
	w.now = now_ms;
	w.min_cell = min_cell;
	w.shape.ndims = ndims;
	for (d = 0; d < ndims; d++) {
		if ((int)dims[d] < 0 || dims[d] >= RP_DIM_COUNT)
			return NULL;
		w.shape.dims[d] = dims[d];
		report_placements_values(dims[d], &w.shape.sizes[d]);
	}
	if ((w.scratch = calloc(2 * n + 1, sizeof *w.scratch)) == NULL)
		return NULL;
	for (c = 0; c < RP_NCOUNTS; c++)
		if (suppress_init(&w.t[c], ndims, w.shape.sizes) == -1)
			goto out;
	for (i = 0; i < n; i++) {
		for (d = 0; d < ndims; d++)
			key[d] = recs[i].value[dims[d]];
		for (c = 0; c < RP_NCOUNTS; c++)
			if (rp_counts(&recs[i], (enum rp_count)c, now_ms))
				suppress_add(&w.t[c], key, 1);
	}
	/* Out of memory leaves everything non-zero suppressed: still safe. */
	suppress_protect(&w.t[RP_REQUESTS], min_cell);
	/*
	 * An entry whose requests are hidden hides every figure; a non-zero
	 * one starts suppressed in its table, so the audit protects it from
	 * the published margins. A zero stays "published" to the audit: the
	 * reader knows less than the audit assumes, which is safe.
	 */
	for (c = 1; c < RP_NCOUNTS; c++) {
		for (e = 0; e < w.t[c].nentries; e++)
			w.t[c].suppressed[e] = w.t[RP_REQUESTS].suppressed[e] &&
			    w.t[c].count[e] > 0;
		suppress_protect(&w.t[c], min_cell);
	}
	/* The zeros of small groups, in every figure's table. */
	for (c = 0; c < RP_NCOUNTS; c++)
		suppress_mask_zeros(&w.t[c], min_cell);
	ok = 1;
out:
	if (ok)
		out = rp_json(&w);
	for (c = 0; c < RP_NCOUNTS; c++)
		suppress_free(&w.t[c]);
	free(w.scratch);
	return out;
}
