/*
 * model_pack.c: a shelter in the store's row form (docs/store.md "The
 * table's rows"), so the daemon's table loads without a JSON parser.
 *
 * The static part of a shelter (all shelter.put sets but the intake and
 * the live counts) is packed once, at shelter.put, into one text: words
 * separated by single spaces, each free text as LEN:BYTES (a text may hold
 * any byte but NUL), enum values and sets by their wire names (so the form
 * does not depend on the order of the enums), numbers in decimal, doubles
 * with 17 significant digits (they read back as the same double). The
 * first word names the form (MODEL_PACK_FORM); a stored text of another
 * form is not read (the store sends that shelter as JSON instead).
 *
 * A row is that text and the live fields beside it, as the store keeps
 * them: intake open and always, version, updated_at (ms), the unconfirmed
 * departures (JSON), and per pool total, occupied, held, expected and the
 * planned departures (JSON). model_shelter_row fills the same struct
 * shelter model_shelter_parse fills from the JSON form.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_enum.h"
#include "shelter/model.h"

/* The text being written: overflow is remembered, not checked each time. */
struct out {
	char *buf;
	size_t len, n;
	bool full;
};

static void
model_pack_put(struct out *o, const char *s, size_t len)
{
	if (o->full || len >= o->len - o->n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
	o->buf[o->n] = '\0';
}

static void
model_pack_word(struct out *o, const char *s)
{
	if (o->n > 0)
		model_pack_put(o, " ", 1);
	model_pack_put(o, s, strlen(s));
}

static void
model_pack_text(struct out *o, const char *s)
{
	char n[24];

	snprintf(n, sizeof n, "%zu:", strlen(s));
	model_pack_word(o, n);
	model_pack_put(o, s, strlen(s));
}

static void
model_pack_int(struct out *o, long long v)
{
	char n[24];

	snprintf(n, sizeof n, "%lld", v);
	model_pack_word(o, n);
}

/* The names of the bits of mask (tab's values) as "a,b", or "-". */
static void
model_pack_set(struct out *o, const struct model_enum *tab, unsigned mask)
{
	size_t i;
	bool any = false;

	if (o->n > 0)
		model_pack_put(o, " ", 1);
	for (i = 0; tab[i].name != NULL; i++) {
		if (!(mask & (1u << tab[i].value)))
			continue;
		if (any)
			model_pack_put(o, ",", 1);
		model_pack_put(o, tab[i].name, strlen(tab[i].name));
		any = true;
	}
	if (!any)
		model_pack_put(o, "-", 1);
}

/* The static part of s in the row form into buf: its length, or -1 when
 * it does not fit (MODEL_PACK_MAX always does). */
int
model_shelter_pack(const struct shelter *s, char *buf, size_t len)
{
	struct out o = {buf, len, 0, len == 0};
	char d[40];
	int i;

	if (len > 0)
		buf[0] = '\0';
	model_pack_word(&o, MODEL_PACK_FORM);
	model_pack_word(&o, s->id);
	model_pack_text(&o, s->name);
	model_pack_text(&o, s->organisation);
	model_pack_word(&o, model_enum_name(model_programs, s->program));
	model_pack_text(
	    &o, s->location.has_name ? s->location.municipality : "");
	snprintf(d, sizeof d, "%.17g", s->location.lat);
	model_pack_word(&o, d);
	snprintf(d, sizeof d, "%.17g", s->location.lon);
	model_pack_word(&o, d);
	model_pack_set(&o, model_cares, s->care);
	model_pack_put(&o, " ", 1);
	for (i = 0; i < s->nlanguages; i++) {
		d[0] = (char)(s->languages[i] >> 8);
		d[1] = (char)(s->languages[i] & 0xff);
		d[2] = ',';
		model_pack_put(&o, d, i + 1 < s->nlanguages ? 3 : 2);
	}
	if (s->nlanguages == 0)
		model_pack_put(&o, "-", 1);
	model_pack_word(&o, model_enum_name(model_securities, s->security));
	model_pack_int(&o, s->npools);
	for (i = 0; i < s->npools; i++) {
		const struct pool *p = &s->pools[i];

		model_pack_word(&o, p->name);
		model_pack_set(&o, model_genders, p->genders);
		model_pack_int(&o, p->min_age);
		model_pack_int(&o, p->max_age);
		model_pack_int(&o, p->children_max);
		model_pack_int(&o, p->boys_max_age);
	}
	return o.full ? -1 : (int)o.n;
}

/* The text being read. */
struct in {
	const char *p, *end;
};

/* The next word (up to a space or the end) as [*w, *w + *n): 0, or -1. */
static int
model_pack_next(struct in *in, const char **w, size_t *n)
{
	const char *e;

	if (in->p >= in->end)
		return -1;
	e = memchr(in->p, ' ', (size_t)(in->end - in->p));
	if (e == NULL)
		e = in->end;
	*w = in->p;
	*n = (size_t)(e - in->p);
	in->p = e < in->end ? e + 1 : e;
	return *n > 0 ? 0 : -1;
}

/* The next word into dst (at most max bytes): 0, or -1. */
static int
model_pack_str(struct in *in, char *dst, size_t max)
{
	const char *w;
	size_t n;

	if (model_pack_next(in, &w, &n) == -1 || n > max ||
	    memchr(w, '\0', n) != NULL)
		return -1;
	memcpy(dst, w, n);
	dst[n] = '\0';
	return 0;
}

/* A LEN:BYTES text into dst (at most max bytes): 0, or -1. */
static int
model_pack_read_text(struct in *in, char *dst, size_t max)
{
	size_t n = 0;

	while (in->p < in->end && *in->p >= '0' && *in->p <= '9' && n <= max)
		n = n * 10 + (size_t)(*in->p++ - '0');
	if (in->p >= in->end || *in->p != ':' || n > max ||
	    n > (size_t)(in->end - in->p - 1) ||
	    memchr(in->p + 1, '\0', n) != NULL)
		return -1;
	memcpy(dst, in->p + 1, n);
	dst[n] = '\0';
	in->p += 1 + n;
	if (in->p < in->end) {
		if (*in->p != ' ')
			return -1;
		in->p++;
	}
	return 0;
}

/* A decimal integer from lo to hi: 0, or -1. */
static int
model_pack_int_in(
    const char *w, size_t n, long long lo, long long hi, long long *v)
{
	char buf[24], *e;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, w, n);
	buf[n] = '\0';
	errno = 0;
	*v = strtoll(buf, &e, 10);
	if (errno != 0 || *e != '\0' ||
	    !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')) || *v < lo ||
	    *v > hi)
		return -1;
	return 0;
}

static int
model_pack_read_int(struct in *in, int lo, int hi, int *v)
{
	const char *w;
	size_t n;
	long long x;

	if (model_pack_next(in, &w, &n) == -1 ||
	    model_pack_int_in(w, n, lo, hi, &x) == -1)
		return -1;
	*v = (int)x;
	return 0;
}

static int
model_pack_read_double(struct in *in, double lo, double hi, double *v)
{
	char buf[40], *e;

	if (model_pack_str(in, buf, sizeof buf - 1) == -1)
		return -1;
	errno = 0;
	*v = strtod(buf, &e);
	return errno != 0 || *e != '\0' || !(*v >= lo && *v <= hi) ? -1 : 0;
}

/* One enum name of tab: 0, or -1. */
static int
model_pack_read_enum(struct in *in, const struct model_enum *tab, int *v)
{
	char buf[40];

	if (model_pack_str(in, buf, sizeof buf - 1) == -1 ||
	    (*v = model_enum_lookup(tab, buf)) < 0)
		return -1;
	return 0;
}

/* A set "a,b" or "-" of tab's names as a bit mask: 0, or -1. */
static int
model_pack_read_set(struct in *in, const struct model_enum *tab, unsigned *m)
{
	char buf[256], *s, *save = NULL;
	int v;

	*m = 0;
	if (model_pack_str(in, buf, sizeof buf - 1) == -1)
		return -1;
	if (strcmp(buf, "-") == 0)
		return 0;
	for (s = strtok_r(buf, ",", &save); s != NULL;
	     s = strtok_r(NULL, ",", &save)) {
		if ((v = model_enum_lookup(tab, s)) < 0)
			return -1;
		*m |= 1u << v;
	}
	return 0;
}

static int
model_pack_read_langs(struct in *in, struct shelter *s)
{
	const char *w;
	size_t n, i;

	s->nlanguages = 0;
	if (model_pack_next(in, &w, &n) == -1)
		return -1;
	if (n == 1 && w[0] == '-')
		return 0;
	for (i = 0; i < n; i += 3) {
		if (n - i < 2 || (n - i > 2 && w[i + 2] != ',') ||
		    s->nlanguages == MODEL_LANG_MAX || w[i] < 'a' ||
		    w[i] > 'z' || w[i + 1] < 'a' || w[i + 1] > 'z')
			return -1;
		s->languages[s->nlanguages++] =
		    (lang_t)((unsigned char)w[i] << 8 |
		        (unsigned char)w[i + 1]);
	}
	return 0;
}

static int
model_pack_read_pool(struct in *in, struct pool *p)
{
	memset(p, 0, sizeof *p);
	if (model_pack_str(in, p->name, MODEL_POOL_NAME_MAX) == -1 ||
	    !model_valid_pool_name(p->name) ||
	    model_pack_read_set(in, model_genders, &p->genders) == -1 ||
	    p->genders == 0 ||
	    model_pack_read_int(in, 0, 120, &p->min_age) == -1 ||
	    model_pack_read_int(in, p->min_age, 120, &p->max_age) == -1 ||
	    model_pack_read_int(in, 0, MODEL_CHILD_MAX, &p->children_max) ==
	        -1 ||
	    model_pack_read_int(in, 0, 17, &p->boys_max_age) == -1)
		return -1;
	return 0;
}

/* The static part of a shelter from its packed text into out (the rest
 * zero, intake open): 0, or -1 when it is not of MODEL_PACK_FORM or does
 * not read. */
int
model_shelter_unpack(const char *text, size_t len, struct shelter *out)
{
	struct in in = {text, text + len};
	char form[8];
	int v, i;

	memset(out, 0, sizeof *out);
	out->intake_open = true;
	if (model_pack_str(&in, form, sizeof form - 1) == -1 ||
	    strcmp(form, MODEL_PACK_FORM) != 0 ||
	    model_pack_str(&in, out->id, MODEL_ID_MAX) == -1 ||
	    !model_valid_id(out->id) ||
	    model_pack_read_text(&in, out->name, MODEL_TEXT_MAX) == -1 ||
	    model_pack_read_text(&in, out->organisation, MODEL_TEXT_MAX) ==
	        -1 ||
	    model_pack_read_enum(&in, model_programs, &v) == -1)
		return -1;
	out->program = (enum program)v;
	if (model_pack_read_text(
	        &in, out->location.municipality, MODEL_MUNI_MAX) == -1 ||
	    model_pack_read_double(&in, -90, 90, &out->location.lat) == -1 ||
	    model_pack_read_double(&in, -180, 180, &out->location.lon) == -1 ||
	    model_pack_read_set(&in, model_cares, &out->care) == -1 ||
	    model_pack_read_langs(&in, out) == -1 ||
	    model_pack_read_enum(&in, model_securities, &v) == -1)
		return -1;
	out->location.has_name = out->location.municipality[0] != '\0';
	out->security = (enum security)v;
	if (model_pack_read_int(&in, 1, MODEL_POOL_MAX, &out->npools) == -1)
		return -1;
	for (i = 0; i < out->npools; i++)
		if (model_pack_read_pool(&in, &out->pools[i]) == -1)
			return -1;
	return in.p == in.end ? 0 : -1;
}

/* A stored integer from lo to hi (absent: 0): 0, or -1. */
static int
model_row_int(
    const struct model_text *t, long long lo, long long hi, long long *v)
{
	*v = 0;
	if (t->s == NULL)
		return 0;
	return model_pack_int_in(t->s, t->len, lo, hi, v);
}

/* The sum of the counts of the JSON array text [{..., count}] (absent or
 * "[]": 0), or -1 when it is not an array. */
static int
model_row_unconfirmed(const struct model_text *t)
{
	json_t *a, *e;
	size_t i;
	int n = 0;

	if (t->s == NULL || (t->len == 2 && memcmp(t->s, "[]", 2) == 0))
		return 0;
	if ((a = json_loadb(t->s, t->len, 0, NULL)) == NULL ||
	    !json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, e) n +=
	    (int)json_integer_value(json_object_get(e, "count"));
	json_decref(a);
	return n;
}

/* The planned departures of a pool from their JSON text: 0, or -1. */
static int
model_row_departures(
    const struct model_text *t, struct pool *p, struct sh_error *err)
{
	json_t *a;
	int rc;

	p->ndepartures = 0;
	if (t->s == NULL || (t->len == 2 && memcmp(t->s, "[]", 2) == 0))
		return 0;
	if ((a = json_loadb(t->s, t->len, 0, NULL)) == NULL)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "departures", "must be a JSON array");
	rc = model_departures_array(a, p->name, p, err);
	json_decref(a);
	return rc;
}

/*
 * A shelter from its row (see the top of this file): row holds the
 * MODEL_ROW_N fields of enum model_row_field, pools MODEL_ROW_POOL_N per
 * pool of the packed text, in its order. Fills out as model_shelter_parse
 * fills it from the same shelter's JSON form (updated_at in whole
 * seconds, as that form has it). 0, or -1 with err set.
 */
int
model_shelter_row(const struct model_text *row, const struct model_text *pools,
    size_t npools, struct shelter *out, struct sh_error *err)
{
	const struct model_text *t;
	long long v;
	int i, du;

	if (row[MODEL_ROW_TAB].s == NULL ||
	    model_shelter_unpack(
	        row[MODEL_ROW_TAB].s, row[MODEL_ROW_TAB].len, out) == -1)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "tab", "does not read as a packed shelter");
	if (npools != (size_t)out->npools * MODEL_ROW_POOL_N)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "pools", "has %zu count fields for %d pools", npools,
		    out->npools);
	t = &row[MODEL_ROW_OPEN];
	out->intake_open = t->s != NULL && t->len == 1 && t->s[0] == '1';
	t = &row[MODEL_ROW_ALWAYS];
	out->intake_always = t->s != NULL && t->len == 1 && t->s[0] == '1';
	if (model_row_int(&row[MODEL_ROW_VERSION], 0, LLONG_MAX, &v) == -1)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "version", "must be an integer of at least 0");
	out->version = v;
	if (model_row_int(&row[MODEL_ROW_UPDATED_AT], 0, LLONG_MAX, &v) == -1)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "updated_at", "must be milliseconds since the epoch");
	out->updated_at = v / 1000 * 1000;
	if ((du = model_row_unconfirmed(&row[MODEL_ROW_DU])) < 0)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "departures_unconfirmed", "must be a JSON array");
	out->departures_unconfirmed = du;
	for (i = 0; i < out->npools; i++) {
		struct pool *p = &out->pools[i];
		const struct model_text *c = &pools[i * MODEL_ROW_POOL_N];
		int *counts[] = {
		    &p->total, &p->occupied, &p->held, &p->expected};
		const long long hi[] = {10000, INT_MAX, INT_MAX, INT_MAX};
		size_t k;

		for (k = 0; k < 4; k++) {
			if (model_row_int(&c[k], 0, hi[k], &v) == -1)
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "invalid_field", p->name,
				    "has a count that is not an integer of "
				    "at least 0");
			*counts[k] = (int)v;
		}
		if (model_row_departures(&c[4], p, err) == -1)
			return -1;
	}
	return 0;
}
