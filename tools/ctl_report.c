/*
 * ctl_report.c: shelterctl report registrations (an aligned table or CSV
 * of report.registrations; suppressed counts shown as <MIN_CELL), report
 * placements (shown by ctl_report_pl.c) and shelterctl audit (audit.list).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static bool report_csv;

/* The count of entry e for people: a number, or <MIN when suppressed. */
static const char *
ctl_report_count(const json_t *e, long long min_cell, char *buf, size_t len)
{
	if (json_is_true(json_object_get(e, "suppressed")))
		snprintf(buf, len, "<%lld", min_cell);
	else
		snprintf(buf, len, "%lld",
		    (long long)json_integer_value(json_object_get(e, "count")));
	return buf;
}

/* One CSV field: quoted when it holds a comma or a quote. */
static void
ctl_report_csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else
		fputs(s, stdout);
	putchar(last ? '\n' : ',');
}

static void
ctl_report_csv_row(const char *const *vals, size_t n, const json_t *e)
{
	bool sup = json_is_true(json_object_get(e, "suppressed"));
	char num[32] = "";
	size_t i;

	for (i = 0; i < n; i++)
		ctl_report_csv_field(vals[i], false);
	if (!sup)
		snprintf(num, sizeof num, "%lld",
		    (long long)json_integer_value(json_object_get(e, "count")));
	ctl_report_csv_field(num, false);
	ctl_report_csv_field(sup ? "true" : "false", true);
}

/* Every row of a report: see ctl.h. */
void
ctl_report_walk(const json_t *r, ctl_report_row_fn *fn)
{
	const json_t *by = json_object_get(r, "by"), *c, *m;
	const char *vals[8];
	size_t n = json_array_size(by), i, j, k;

	if (n == 0 || n > 8)
		return;
	json_array_foreach(json_object_get(r, "cells"), j, c)
	{
		for (i = 0; i < n; i++)
			vals[i] = ctl_out_str(json_object_get(c, "key"),
			    json_string_value(json_array_get(by, i)));
		fn(vals, n, c);
	}
	for (i = 0; n > 1 && i < n; i++)
		json_array_foreach(
		    json_object_get(json_object_get(r, "margins"),
		        json_string_value(json_array_get(by, i))),
		    j, m)
		{
			for (k = 0; k < n; k++)
				vals[k] =
				    k == i ? ctl_out_str(m, "value") : "total";
			fn(vals, n, m);
		}
}

/* CSV for the ministry: cells, then margins (other dimensions "total"),
 * then the total; an empty count is suppressed. */
static int
ctl_report_show_csv(const json_t *r)
{
	const json_t *by = json_object_get(r, "by");
	const char *vals[8];
	size_t n = json_array_size(by), i;
	json_t *tot;

	if (n == 0 || n > 8)
		return ctl_fail("unexpected report shape");
	for (i = 0; i < n; i++)
		ctl_report_csv_field(
		    json_string_value(json_array_get(by, i)), false);
	printf("count,suppressed\n");
	ctl_report_walk(r, ctl_report_csv_row);
	for (i = 0; i < n; i++)
		vals[i] = "total";
	tot = json_pack("{s:O, s:O}", "count", json_object_get(r, "total"),
	    "suppressed", json_object_get(r, "total_suppressed"));
	if (tot == NULL)
		return ctl_nomem();
	ctl_report_csv_row(vals, n, tot);
	json_decref(tot);
	return CTL_OK;
}

/* One table of entries (cells, or a margin as one-dimensional cells). */
static int
ctl_report_table(const json_t *by, const json_t *entries, bool margin,
    const char *dim, long long min_cell)
{
	const char *hdr[9], *row[9];
	char num[32];
	size_t n = margin ? 1 : json_array_size(by), i, j;
	struct ctl_table t;
	const json_t *e;

	for (i = 0; i < n; i++)
		hdr[i] =
		    margin ? dim : json_string_value(json_array_get(by, i));
	hdr[n] = "COUNT";
	if (ctl_out_table_init(&t, (int)n + 1, hdr) == -1)
		return ctl_nomem();
	t.right = 1u << n;
	json_array_foreach(entries, j, e)
	{
		for (i = 0; i < n; i++)
			row[i] = margin
			    ? ctl_out_str(e, "value")
			    : ctl_out_str(json_object_get(e, "key"), hdr[i]);
		row[n] = ctl_report_count(e, min_cell, num, sizeof num);
		if (ctl_out_table_add(&t, row) == -1) {
			ctl_out_table_free(&t);
			return ctl_nomem();
		}
	}
	return ctl_out_table_flush(&t);
}

static int
ctl_report_show(const json_t *r)
{
	const json_t *by = json_object_get(r, "by");
	long long min = json_integer_value(json_object_get(r, "min_cell"));
	char num[32];
	size_t i;
	int rc;

	if (report_csv)
		return ctl_report_show_csv(r);
	printf("registrations %s to %s\n\n", ctl_out_str(r, "from"),
	    ctl_out_str(r, "to"));
	if ((rc = ctl_report_table(
	         by, json_object_get(r, "cells"), false, NULL, min)) != CTL_OK)
		return rc;
	for (i = 0; json_array_size(by) > 1 && i < json_array_size(by); i++) {
		const char *d = json_string_value(json_array_get(by, i));

		putchar('\n');
		if ((rc = ctl_report_table(by,
		         json_object_get(json_object_get(r, "margins"), d),
		         true, d, min)) != CTL_OK)
			return rc;
	}
	if (json_is_true(json_object_get(r, "total_suppressed")))
		snprintf(num, sizeof num, "<%lld", min);
	else
		snprintf(num, sizeof num, "%lld",
		    (long long)json_integer_value(json_object_get(r, "total")));
	printf("\ntotal %s\n\n<%lld: suppressed (a count below %lld, or one "
	       "hidden so that no such count can be derived)\n",
	    num, min, min);
	return CTL_OK;
}

static int
ctl_report_pl_show(const json_t *r)
{
	return report_csv ? ctl_report_pl_csv(r) : ctl_report_pl_table(r);
}

/*
 * shelterctl report registrations|placements --from D --to D --by DIM,...
 * [--csv]
 */
int
ctl_report_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"by", required_argument, NULL, 'b'},
	    {"csv", no_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	json_t *params = json_object(), *by = json_array();
	char *copy, *tok, *save = NULL;
	bool placements;
	int ch, rc = 0;

	if (params == NULL || by == NULL) {
		json_decref(params);
		json_decref(by);
		return ctl_nomem();
	}
	while (
	    rc == 0 && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'f' || ch == 't')
			rc = json_object_set_new(params,
			    ch == 'f' ? "from" : "to", json_string(optarg));
		else if (ch == 'c')
			report_csv = true;
		else if (ch == 'b' && (copy = strdup(optarg)) != NULL) {
			for (tok = strtok_r(copy, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save))
				rc |=
				    json_array_append_new(by, json_string(tok));
			free(copy);
		} else
			rc = -2;
	}
	placements = optind < argc && strcmp(argv[optind], "placements") == 0;
	if (rc != 0 || optind >= argc ||
	    (!placements && strcmp(argv[optind], "registrations") != 0) ||
	    optind + 1 != argc) {
		json_decref(params);
		json_decref(by);
		return rc == -1 ? ctl_nomem() : ctl_usage(ctl, NULL);
	}
	if (json_object_set_new(params, "by", by) == -1) {
		json_decref(params);
		return ctl_nomem();
	}
	if (placements)
		return ctl_cmd_call(
		    ctl, "report.placements", params, ctl_report_pl_show);
	return ctl_cmd_call(
	    ctl, "report.registrations", params, ctl_report_show);
}

static int
ctl_audit_show(const json_t *r)
{
	static const char *const h[] = {
	    "AT", "WHO", "METHOD", "IDS", "OUTCOME"};
	const char *row[5];
	struct ctl_table t;
	char ids[256], at[64];
	const json_t *e;
	size_t i;

	if (ctl_out_table_init(&t, 5, h) == -1)
		return ctl_nomem();
	json_array_foreach(json_object_get(r, "entries"), i, e)
	{
		row[0] = ctl_time_stamp(
		    json_string_value(json_object_get(e, "at")), at, sizeof at);
		row[1] = ctl_out_str(e, "who");
		row[2] = ctl_out_str(e, "method");
		row[3] =
		    ctl_out_join(json_object_get(e, "ids"), ids, sizeof ids);
		row[4] = ctl_out_str(e, "outcome");
		if (ctl_out_table_add(&t, row) == -1) {
			ctl_out_table_free(&t);
			return ctl_nomem();
		}
	}
	return ctl_out_table_flush(&t);
}

/* shelterctl audit [--from T] [--to T] [--who W] [--method M] [--limit N] */
int
ctl_audit_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"who", required_argument, NULL, 'w'},
	    {"method", required_argument, NULL, 'm'},
	    {"limit", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const names[] = {
	    ['f'] = "from", ['t'] = "to", ['w'] = "who", ['m'] = "method"};
	json_t *params = json_object();
	int ch, rc = 0;

	if (params == NULL)
		return ctl_nomem();
	while (
	    rc == 0 && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'l')
			rc = json_object_set_new(
			    params, "limit", json_integer(atoll(optarg)));
		else if (ch == 'f' || ch == 't' || ch == 'w' || ch == 'm')
			rc = json_object_set_new(
			    params, names[ch], json_string(optarg));
		else
			rc = -2;
	}
	if (rc != 0 || optind != argc) {
		json_decref(params);
		return rc == -1 ? ctl_nomem() : ctl_usage(ctl, NULL);
	}
	return ctl_cmd_call(ctl, "audit.list", params, ctl_audit_show);
}
