/*
 * ctl_report_pl.c: shelterctl report placements (report.placements as
 * aligned tables or CSV; a suppressed count shows as <MIN_CELL, a figure
 * not published as "-").
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char *const pl_figures[] = {"requests", "placed", "placed_24h",
    "cancelled", "long_stays", "median_wait_h", "p90_wait_h", "median_stay_d"};
#define PL_NFIG   (sizeof pl_figures / sizeof pl_figures[0])
#define PL_NCOUNT 5 /* the first five are counts */

/* Figure f of entry e for people, into buf. */
static const char *
ctl_pl_figure(const json_t *e, size_t f, long long min, char *buf, size_t len)
{
	const json_t *v = json_object_get(e, pl_figures[f]);

	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		snprintf(buf, len, "%.1f", json_number_value(v));
	else if (f < PL_NCOUNT)
		snprintf(buf, len, "<%lld", min);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* One table: cells (n dimensions of by) or one margin (dim). */
static int
ctl_pl_table(
    const json_t *by, const json_t *entries, const char *dim, long long min)
{
	static const char *const fig_hdr[PL_NFIG] = {"REQUESTS", "PLACED",
	    "PLACED_24H", "CANCELLED", "LONG_STAYS", "MEDIAN_WAIT_H",
	    "P90_WAIT_H", "MEDIAN_STAY_D"};
	const char *hdr[3 + PL_NFIG], *row[3 + PL_NFIG];
	char num[PL_NFIG][32];
	size_t n = dim != NULL ? 1 : json_array_size(by), i, j, f;
	struct ctl_table t;
	const json_t *e;

	if (n == 0 || n > 3)
		return ctl_fail("unexpected report shape");
	for (i = 0; i < n; i++)
		hdr[i] = dim != NULL ? dim
		                     : json_string_value(json_array_get(by, i));
	for (f = 0; f < PL_NFIG; f++)
		hdr[n + f] = fig_hdr[f];
	if (ctl_out_table_init(&t, (int)(n + PL_NFIG), hdr) == -1)
		return ctl_nomem();
	t.right = ((1u << PL_NFIG) - 1) << n;
	json_array_foreach(entries, j, e)
	{
		for (i = 0; i < n; i++)
			row[i] = dim != NULL
			    ? ctl_out_str(e, "value")
			    : ctl_out_str(json_object_get(e, "key"), hdr[i]);
		for (f = 0; f < PL_NFIG; f++)
			row[n + f] =
			    ctl_pl_figure(e, f, min, num[f], sizeof num[f]);
		if (ctl_out_table_add(&t, row) == -1) {
			ctl_out_table_free(&t);
			return ctl_nomem();
		}
	}
	return ctl_out_table_flush(&t);
}

/* Report placements as tables: see ctl.h. */
int
ctl_report_pl_table(const json_t *r)
{
	const json_t *by = json_object_get(r, "by"), *tot;
	long long min = json_integer_value(json_object_get(r, "min_cell"));
	json_t *one;
	size_t i;
	int rc;

	printf("placements of requests submitted %s to %s\n\n",
	    ctl_out_str(r, "from"), ctl_out_str(r, "to"));
	if ((rc = ctl_pl_table(by, json_object_get(r, "cells"), NULL, min)) !=
	    CTL_OK)
		return rc;
	for (i = 0; json_array_size(by) > 1 && i < json_array_size(by); i++) {
		const char *d = json_string_value(json_array_get(by, i));

		putchar('\n');
		if ((rc = ctl_pl_table(by,
		         json_object_get(json_object_get(r, "margins"), d), d,
		         min)) != CTL_OK)
			return rc;
	}
	putchar('\n');
	tot = json_object_get(r, "total");
	if ((one = json_pack("[O]", tot)) == NULL ||
	    json_object_set_new((json_t *)tot, "value", json_string("all")) ==
	        -1) {
		json_decref(one);
		return ctl_nomem();
	}
	rc = ctl_pl_table(by, one, "total", min);
	json_decref(one);
	if (rc != CTL_OK)
		return rc;
	printf("\n<%lld: suppressed (a count below %lld, or one hidden so that "
	       "no such count can be derived); -: not published (suppressed, "
	       "or fewer than %lld values)\n",
	    min, min, min);
	return CTL_OK;
}

static void
ctl_pl_csv_row(const char *const *vals, size_t n, const json_t *e)
{
	char buf[32];
	size_t i, f;

	for (i = 0; i < n; i++)
		printf("%s,", vals[i]);
	for (f = 0; f < PL_NFIG; f++) {
		const json_t *v = json_object_get(e, pl_figures[f]);

		if (json_is_integer(v))
			snprintf(buf, sizeof buf, "%lld",
			    (long long)json_integer_value(v));
		else if (json_is_number(v))
			snprintf(buf, sizeof buf, "%.1f", json_number_value(v));
		else
			buf[0] = '\0';
		printf("%s,", buf);
	}
	printf("%s\n",
	    json_is_true(json_object_get(e, "suppressed")) ? "true" : "false");
}

/* Report placements as CSV: see ctl.h. Values come from fixed
 * vocabularies, so no field needs quoting. */
int
ctl_report_pl_csv(const json_t *r)
{
	const json_t *by = json_object_get(r, "by");
	const char *vals[3];
	size_t n = json_array_size(by), i, f;

	if (n == 0 || n > 3)
		return ctl_fail("unexpected report shape");
	for (i = 0; i < n; i++)
		printf("%s,", json_string_value(json_array_get(by, i)));
	for (f = 0; f < PL_NFIG; f++)
		printf("%s,", pl_figures[f]);
	printf("suppressed\n");
	ctl_report_walk(r, ctl_pl_csv_row);
	for (i = 0; i < n; i++)
		vals[i] = "total";
	ctl_pl_csv_row(vals, n, json_object_get(r, "total"));
	return CTL_OK;
}
