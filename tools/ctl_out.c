/*
 * ctl_out.c: what shelterctl prints: aligned tables, key-value lines, JSON
 * for programs, and the ranked candidates or the explanation of a match.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "shelter/model.h"

/* Scorer columns of the candidates table: short headers keep it near 80
 * columns; the JSON names stay the reference (match --help). */
static const struct {
	const char *name, *header;
} ctl_out_scorers[] = {
    {"language", "LANG"},
    {"safety_distance", "SAFETY"},
    {"proximity", "PROX"},
    {"care_fit", "CARE"},
    {"occupancy", "OCC"},
    {"freshness", "FRESH"},
    {"together", "TOGETHER"},
};
#define CTL_NSCORERS (sizeof ctl_out_scorers / sizeof ctl_out_scorers[0])

/*
 * Start a table of ncols columns with these headers (copied). Returns 0,
 * or -1 on ENOMEM (nothing to free). Free with ctl_out_table_free, or
 * print and free with ctl_out_table_flush.
 */
int
ctl_out_table_init(struct ctl_table *t, int ncols, const char *const *headers)
{
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	return ctl_out_table_add(t, headers);
}

/*
 * Append a row of t->ncols cells (copied; NULL prints as "-"). Returns 0,
 * or -1 on ENOMEM after freeing t's cells (as ctl_out_table_free).
 */
int
ctl_out_table_add(struct ctl_table *t, const char *const *cells)
{
	size_t need = (t->nrows + 1) * (size_t)t->ncols, ncap;
	char **p;
	int i;

	if (need > t->cap) {
		ncap = t->cap == 0 ? (size_t)t->ncols * 16 : t->cap * 2;
		while (ncap < need)
			ncap *= 2;
		p = realloc(t->cells, ncap * sizeof *p);
		if (p == NULL) {
			ctl_out_table_free(t);
			return -1;
		}
		t->cells = p;
		t->cap = ncap;
	}
	p = t->cells + t->nrows * (size_t)t->ncols;
	for (i = 0; i < t->ncols; i++) {
		p[i] = strdup(cells[i] != NULL ? cells[i] : "-");
		if (p[i] == NULL) {
			while (i-- > 0)
				free(p[i]);
			ctl_out_table_free(t);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

/* Columns a UTF-8 string takes on a terminal (continuation bytes take
 * none): municipality names such as Súdwest-Fryslân stay aligned. */
static size_t
ctl_out_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/*
 * Print t to f, columns two spaces apart, each line indented by indent
 * spaces; right-aligned columns per t->right. No trailing blanks.
 */
void
ctl_out_table_print(const struct ctl_table *t, FILE *f, int indent)
{
	size_t widths[32] = {0}, w, r;
	int i, n = t->ncols < 32 ? t->ncols : 32;
	const char *cell;

	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < n; i++) {
			w = ctl_out_width(t->cells[r * t->ncols + i]);
			if (w > widths[i])
				widths[i] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		fprintf(f, "%*s", indent, "");
		for (i = 0; i < n; i++) {
			cell = t->cells[r * t->ncols + i];
			w = ctl_out_width(cell);
			if (t->right & (1u << i))
				fprintf(f, "%*s", (int)(widths[i] - w), "");
			fputs(cell, f);
			if (i + 1 < n && !(t->right & (1u << i)))
				fprintf(f, "%*s", (int)(widths[i] - w), "");
			if (i + 1 < n)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

/* Print t on stdout (no indent) and free its cells. Returns CTL_OK. */
int
ctl_out_table_flush(struct ctl_table *t)
{
	ctl_out_table_print(t, stdout, 0);
	ctl_out_table_free(t);
	return CTL_OK;
}

/* Free the cells of t (t itself is the caller's). */
void
ctl_out_table_free(struct ctl_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

/* Print v as indented JSON and a newline on stdout. */
void
ctl_out_json(const json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	fputc('\n', stdout);
}

/* Print "KEY" padded to 14 columns, then the formatted value. */
void
ctl_out_kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%-13s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* The string member key of obj, or "-" when absent or not a string. */
const char *
ctl_out_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "-";
}

/* Join the strings of arr with ", " into buf ("-" when empty). */
char *
ctl_out_join(const json_t *arr, char *buf, size_t len)
{
	size_t i, n = 0;
	const char *s;

	buf[0] = '\0';
	for (i = 0; i < json_array_size(arr) && n < len; i++) {
		s = json_string_value(json_array_get(arr, i));
		n += (size_t)snprintf(
		    buf + n, len - n, "%s%s", i > 0 ? ", " : "", s ? s : "?");
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
	return buf;
}

/* A score (a JSON number, 0..100) with two decimals, or "-". */
char *
ctl_out_score(const json_t *score, char *buf, size_t len)
{
	if (json_is_number(score))
		snprintf(buf, len, "%.2f", json_number_value(score));
	else
		snprintf(buf, len, "-");
	return buf;
}

/* Milliseconds since the epoch, wall clock. */
long long
ctl_out_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A duration in seconds as 45s, 12m, 3h05m or 2d04h. */
char *
ctl_out_duration(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
	return buf;
}

/*
 * A household as a person reads it: "f 31 +1 child (4)", "m 40",
 * "f 29 +2 children (4, 7)". gender and age as given, children the array
 * of {age}.
 */
char *
ctl_out_household(const char *gender, long long age, const json_t *children,
    char *buf, size_t len)
{
	const json_t *c;
	size_t i, n = json_array_size(children), off;

	off = (size_t)snprintf(buf, len, "%s %lld", gender ? gender : "-", age);
	if (n > 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, " +%zu %s (", n,
		    n == 1 ? "child" : "children");
	json_array_foreach(children, i, c)
	{
		if (off >= len)
			break;
		off += (size_t)snprintf(buf + off, len - off, "%s%lld",
		    i > 0 ? ", " : "",
		    (long long)json_integer_value(json_object_get(c, "age")));
	}
	if (n > 0 && off < len)
		snprintf(buf + off, len - off, ")");
	return buf;
}

/* Where a request is (to be) placed, "cosm-rotterdam/women", into where,
 * and its open proposal into prop ("-" for none). */
void
ctl_out_where(
    const json_t *r, char *where, size_t wlen, char *prop, size_t plen)
{
	const json_t *p = json_object_get(r, "proposal");
	const json_t *pl = json_object_get(r, "placement");

	snprintf(prop, plen, "-");
	if (json_is_object(p)) {
		snprintf(where, wlen, "%s/%s", ctl_out_str(p, "shelter_id"),
		    ctl_out_str(p, "pool"));
		snprintf(prop, plen, "%s", ctl_out_str(p, "id"));
	} else if (json_is_object(pl))
		snprintf(where, wlen, "%s/%s", ctl_out_str(pl, "shelter_id"),
		    ctl_out_str(pl, "pool"));
	else
		snprintf(where, wlen, "-");
}

/* "distance     312.4 km from the exploitation location, 4.1 km from
 * the preferred location" for a proposal or candidate that has one. */
void
ctl_out_distance(const json_t *p)
{
	const json_t *d = json_object_get(p, "distance_km");
	const json_t *e = json_object_get(d, "exploitation");
	const json_t *w = json_object_get(d, "preferred");
	char a[64] = "", b[64] = "";

	if (json_is_number(e))
		snprintf(a, sizeof a, "%.1f km from the exploitation location",
		    json_number_value(e));
	if (json_is_number(w))
		snprintf(b, sizeof b, "%.1f km from the preferred location",
		    json_number_value(w));
	if (a[0] != '\0' || b[0] != '\0')
		ctl_out_kv(
		    "distance", "%s%s%s", a, a[0] && b[0] ? ", " : "", b);
}

/* Order reasons by count, most first (the message does the same). */
struct ctl_out_reason {
	const char *name;
	long long n;
};

static int
ctl_out_reason_cmp(const void *a, const void *b)
{
	const struct ctl_out_reason *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Print an explanation for people: its message sentence, the reasons with
 * their shelter counts, and the near misses. Returns CTL_OK or CTL_FAIL
 * (ENOMEM).
 */
int
ctl_out_explanation(const json_t *expl)
{
	static const char *const rh[] = {"REASON", "SHELTERS"};
	static const char *const nh[] = {"NEAR MISS", "FAILED"};
	struct ctl_out_reason rs[32] = {{0}};
	const json_t *reasons, *near, *v, *nm;
	struct ctl_table t;
	const char *key, *cells[2];
	char num[24], failed[256];
	size_t nr = 0, i;

	printf("%s\n", ctl_out_str(expl, "message"));
	if (json_is_string(json_object_get(expl, "referral")))
		printf("refer to: %s\n", ctl_out_str(expl, "referral"));
	reasons = json_object_get(expl, "reasons");
	json_object_foreach((json_t *)reasons, key, v)
	{
		if (nr < sizeof rs / sizeof rs[0] && json_integer_value(v) > 0)
			rs[nr++] =
			    (struct ctl_out_reason){key, json_integer_value(v)};
	}
	qsort(rs, nr, sizeof rs[0], ctl_out_reason_cmp);
	if (nr > 0) {
		if (ctl_out_table_init(&t, 2, rh) == -1)
			return ctl_nomem();
		t.right = 1u << 1;
		for (i = 0; i < nr; i++) {
			snprintf(num, sizeof num, "%lld", rs[i].n);
			cells[0] = rs[i].name;
			cells[1] = num;
			if (ctl_out_table_add(&t, cells) == -1)
				return ctl_nomem();
		}
		fputc('\n', stdout);
		ctl_out_table_flush(&t);
	}
	near = json_object_get(expl, "near_misses");
	if (json_array_size(near) == 0)
		return CTL_OK;
	if (ctl_out_table_init(&t, 2, nh) == -1)
		return ctl_nomem();
	json_array_foreach(near, i, nm)
	{
		cells[0] = ctl_out_str(nm, "shelter_id");
		cells[1] = ctl_out_join(
		    json_object_get(nm, "failed"), failed, sizeof failed);
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	fputc('\n', stdout);
	return ctl_out_table_flush(&t);
}

/*
 * Print a match result ({candidates, explanation}, as match.preview and
 * match_result_json give it): the ranked candidates as a table (rank,
 * shelter, pool, score, free, the km to the exploitation and preferred
 * locations the request names, one column per scorer that is on), or the
 * explanation when there is none. Returns CTL_OK, CTL_NOFIT (nothing fits)
 * or CTL_FAIL.
 */
int
ctl_out_candidates(const json_t *result)
{
	const json_t *cands = json_object_get(result, "candidates"), *c;
	const char *headers[7 + CTL_NSCORERS], *cells[7 + CTL_NSCORERS];
	char vals[7 + CTL_NSCORERS][32];
	size_t col[CTL_NSCORERS], ncol = 0, i, k, j, nd = 0, d0;
	static const char *const dist[2] = {"exploitation", "preferred"};
	size_t dcol[2];
	struct ctl_table t;
	json_t *s;

	if (json_array_size(cands) == 0) {
		if (ctl_out_explanation(
		        json_object_get(result, "explanation")) != CTL_OK)
			return CTL_FAIL;
		return CTL_NOFIT;
	}
	/* A column for every scorer some candidate reports (off: left out). */
	for (k = 0; k < CTL_NSCORERS; k++)
		json_array_foreach(cands, i, c)
		{
			if (json_object_get(json_object_get(c, "scores"),
			        ctl_out_scorers[k].name) != NULL) {
				col[ncol++] = k;
				break;
			}
		}
	/* The distances the request has a location for, in km. */
	for (k = 0; k < 2; k++)
		json_array_foreach(cands, i, c)
		{
			if (json_is_number(json_object_get(
			        json_object_get(c, "distance_km"), dist[k]))) {
				dcol[nd++] = k;
				break;
			}
		}
	headers[0] = "RANK";
	headers[1] = "SHELTER";
	headers[2] = "POOL";
	headers[3] = "SCORE";
	headers[4] = "FREE";
	d0 = 5;
	for (j = 0; j < nd; j++)
		headers[d0 + j] = dcol[j] == 0 ? "KM-EXPL" : "KM-PREF";
	for (j = 0; j < ncol; j++)
		headers[d0 + nd + j] = ctl_out_scorers[col[j]].header;
	if (ctl_out_table_init(&t, (int)(d0 + nd + ncol), headers) == -1)
		return ctl_nomem();
	t.right = 1u << 0 | 1u << 3 | 1u << 4;
	for (j = 0; j < nd + ncol; j++)
		t.right |= 1u << (d0 + j);
	json_array_foreach(cands, i, c)
	{
		snprintf(vals[0], sizeof vals[0], "%zu", i + 1);
		cells[0] = vals[0];
		cells[1] = ctl_out_str(c, "shelter_id");
		cells[2] = ctl_out_str(c, "pool");
		cells[3] = ctl_out_score(
		    json_object_get(c, "score"), vals[3], sizeof vals[3]);
		snprintf(vals[4], sizeof vals[4], "%lld",
		    (long long)json_integer_value(json_object_get(c, "free")));
		cells[4] = vals[4];
		for (j = 0; j < nd; j++) {
			s = json_object_get(
			    json_object_get(c, "distance_km"), dist[dcol[j]]);
			if (json_is_number(s))
				snprintf(vals[d0 + j], sizeof vals[d0 + j],
				    "%.1f", json_number_value(s));
			else
				snprintf(
				    vals[d0 + j], sizeof vals[d0 + j], "-");
			cells[d0 + j] = vals[d0 + j];
		}
		for (j = 0; j < ncol; j++) {
			k = d0 + nd + j;
			s = json_object_get(json_object_get(c, "scores"),
			    ctl_out_scorers[col[j]].name);
			if (json_is_number(s))
				snprintf(vals[k], sizeof vals[k], "%.0f",
				    json_number_value(s));
			else
				snprintf(vals[k], sizeof vals[k], "-");
			cells[k] = vals[k];
		}
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	return ctl_out_table_flush(&t);
}
