/*
 * report.c: the cross-table of registrations under small-cell protection
 * (report_registrations in include/shelter/registration.h).
 */
#include <stdlib.h>
#include <string.h>

#include "shelter/registration.h"
#include "shelter/suppress.h"

/* Every two-letter code there can be, and "unknown". */
#define REPORT_CODES_MAX (26 * 26 + 1)

/* The values of one dimension of a report. */
struct report_axis {
	const char *const *fixed;
	const char *codes[REPORT_CODES_MAX]; /* nationality: those present */
	int n;
};

static int
report_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	/* "unknown" sorts after every code. */
	if (strcmp(x, "unknown") == 0 || strcmp(y, "unknown") == 0)
		return (strcmp(x, "unknown") == 0) -
		    (strcmp(y, "unknown") == 0);
	return strcmp(x, y);
}

static const char *
report_axis_value(const struct report_axis *ax, int i)
{
	return ax->fixed != NULL ? ax->fixed[i] : ax->codes[i];
}

static int
report_axis_index(const struct report_axis *ax, const char *v)
{
	int i;

	for (i = 0; i < ax->n; i++)
		if (strcmp(report_axis_value(ax, i), v) == 0)
			return i;
	return -1;
}

static void
report_axis_init(struct report_axis *ax, enum report_dim d,
    const struct registration *regs, size_t n)
{
	size_t i;

	memset(ax, 0, sizeof *ax);
	if ((ax->fixed = report_dim_values(d, &ax->n)) != NULL)
		return;
	for (i = 0; i < n && ax->n < REPORT_CODES_MAX; i++) {
		const char *v = report_dim_value(&regs[i], d);

		if (report_axis_index(ax, v) == -1)
			ax->codes[ax->n++] = v;
	}
	qsort(ax->codes, (size_t)ax->n, sizeof ax->codes[0], report_cmp);
}

/* {count, suppressed} members of entry e into o. */
static int
report_entry(json_t *o, const struct suppress_table *t, size_t e)
{
	return json_object_set_new(o, "count",
	           t->suppressed[e] ? json_null() : json_integer(t->count[e])) |
	    json_object_set_new(
	        o, "suppressed", json_boolean(t->suppressed[e]));
}

static json_t *
report_json(const struct suppress_table *t, const struct report_axis *axes,
    const enum report_dim *dims, int ndims)
{
	json_t *out = json_object(), *cells = json_array(),
	       *margins = json_object(), *cell, *key, *list, *m;
	int d, v, keyv[REPORT_MAX_BY], bad = 0;
	size_t c, rest;

	if (out == NULL || cells == NULL || margins == NULL)
		bad = 1;
	for (c = 0; !bad && c < t->ncells; c++) {
		rest = c;
		for (d = ndims - 1; d >= 0; d--) {
			keyv[d] = (int)(rest % (size_t)axes[d].n);
			rest /= (size_t)axes[d].n;
		}
		cell = json_object();
		key = json_object();
		bad |= cell == NULL || key == NULL;
		for (d = 0; !bad && d < ndims; d++)
			bad |= json_object_set_new(key,
			    report_dim_name(dims[d]),
			    json_string(report_axis_value(&axes[d], keyv[d])));
		bad |= json_object_set_new(cell, "key", key) |
		    report_entry(cell, t, c) |
		    json_array_append_new(cells, cell);
	}
	for (d = 0; !bad && d < ndims; d++) {
		bad |= (list = json_array()) == NULL;
		for (v = 0; !bad && v < axes[d].n; v++) {
			bad |= (m = json_object()) == NULL;
			bad |=
			    json_object_set_new(m, "value",
			        json_string(report_axis_value(&axes[d], v))) |
			    report_entry(m, t, suppress_margin(t, d, v)) |
			    json_array_append_new(list, m);
		}
		bad |= json_object_set_new(
		    margins, report_dim_name(dims[d]), list);
	}
	c = suppress_total(t);
	bad |= json_object_set_new(out, "total",
	           t->suppressed[c] ? json_null() : json_integer(t->count[c])) |
	    json_object_set_new(
	        out, "total_suppressed", json_boolean(t->suppressed[c])) |
	    json_object_set_new(out, "cells", cells) |
	    json_object_set_new(out, "margins", margins);
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *
report_registrations(const struct registration *regs, size_t n,
    const enum report_dim *dims, int ndims, long long min_cell)
{
	struct report_axis *axes;
	struct suppress_table t;
	int sizes[REPORT_MAX_BY], key[REPORT_MAX_BY], d;
	json_t *out = NULL;
	size_t i;

	if (ndims < 1 || ndims > REPORT_MAX_BY ||
	    (axes = calloc((size_t)ndims, sizeof *axes)) == NULL)
		return NULL;
	for (d = 0; d < ndims; d++) {
		report_axis_init(&axes[d], dims[d], regs, n);
		/* An empty nationality axis still needs a value. */
		if (axes[d].n == 0)
			axes[d].codes[axes[d].n++] = "unknown";
		sizes[d] = axes[d].n;
	}
	if (suppress_init(&t, ndims, sizes) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		for (d = 0; d < ndims; d++)
			if ((key[d] = report_axis_index(&axes[d],
			         report_dim_value(&regs[i], dims[d]))) < 0)
				break;
		if (d == ndims)
			suppress_add(&t, key, 1);
	}
	/* Out of memory leaves everything non-zero suppressed: still safe. */
	suppress_protect(&t, min_cell);
	suppress_mask_zeros(&t, min_cell);
	out = report_json(&t, axes, dims, ndims);
	suppress_free(&t);
out:
	free(axes);
	return out;
}
