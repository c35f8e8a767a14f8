/*
 * geo.c: great-circle distances and the municipality gazetteer.
 *
 * The gazetteer is a sorted array of folded keys searched with bsearch.
 * A key is the name lowercased, with Latin-1 accents folded to ASCII
 * (Súdwest-Fryslân -> sudwest fryslan), apostrophes and full stops dropped
 * and every run of spaces, hyphens and other punctuation turned into one
 * space, so "'s-Gravenhage", "'s Gravenhage" and "s-gravenhage" are one key.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shelter/geo.h"

#define GEO_EARTH_RADIUS_KM 6371.0088
#define GEO_NAME_MAX        127 /* bytes of a name in the file */
#define GEO_KEY_MAX         255 /* bytes of a folded key */

struct geo_entry {
	char *key;
	const char *name; /* borrowed from the entry that owns it */
	char *own_name;   /* NULL for built-in aliases */
	double lat, lon;
	unsigned line;
};

struct gazetteer {
	struct geo_entry *entries;
	size_t n, cap;
};

/*
 * Names that mean the same municipality. When the file has one name of a
 * group, the others are added as aliases of it (unless the file has them).
 */
static const char *const geo_alias_groups[][4] = {
    {"s gravenhage", "den haag", "the hague", NULL},
    {"s hertogenbosch", "den bosch", NULL, NULL},
};

/* ASCII folding of U+00C0..U+00FF; "" is a separator (×, ÷). */
static const char *const geo_latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",  /* C0 */
    "e", "e", "e", "e", "i", "i", "i", "i",   /* C8 */
    "d", "n", "o", "o", "o", "o", "o", "",    /* D0 */
    "o", "u", "u", "u", "u", "y", "th", "ss", /* D8 */
    "a", "a", "a", "a", "a", "a", "ae", "c",  /* E0 */
    "e", "e", "e", "e", "i", "i", "i", "i",   /* E8 */
    "d", "n", "o", "o", "o", "o", "o", "",    /* F0 */
    "o", "u", "u", "u", "u", "y", "th", "y",  /* F8 */
};

/*
 * Great-circle distance in km (haversine on the mean Earth radius).
 */
double
geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	return geo_distance_km_cos(
	    lat1, lon1, geo_cos_lat(lat1), lat2, lon2, geo_cos_lat(lat2));
}

/* geo_cos_lat: see geo.h. */
double
geo_cos_lat(double lat)
{
	const double rad = M_PI / 180.0;

	return cos(lat * rad);
}

/* geo_distance_km_cos: see geo.h. The one formula both share. */
double
geo_distance_km_cos(double lat1, double lon1, double cos1, double lat2,
    double lon2, double cos2)
{
	const double rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	    cos1 * cos2 * sin(dlon / 2) * sin(dlon / 2);

	if (a > 1.0)
		a = 1.0;
	return 2.0 * GEO_EARTH_RADIUS_KM * asin(sqrt(a));
}

/* Append text to the key, with a space first when a separator is pending. */
static int
geo_key_put(char *out, size_t len, size_t *n, bool *sep, const char *text)
{
	size_t tl = strlen(text);

	if (tl == 0) {
		*sep = true;
		return 0;
	}
	if (*sep && *n > 0) {
		if (*n + 1 >= len)
			return -1;
		out[(*n)++] = ' ';
	}
	*sep = false;
	if (*n + tl >= len)
		return -1;
	memcpy(out + *n, text, tl);
	*n += tl;
	out[*n] = '\0';
	return 0;
}

/* Fold a name into its lookup key. -1 when it does not fit or is empty. */
static int
geo_key(const char *name, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 0;
	bool sep = false;
	char one[2] = {0, 0};
	int rc = 0;

	out[0] = '\0';
	while (*p != '\0' && rc == 0) {
		if (isalnum(*p)) {
			one[0] = (char)tolower(*p);
			rc = geo_key_put(out, len, &n, &sep, one);
			p++;
		} else if (*p == '\'' || *p == '.' || *p == '`') {
			p++; /* 's-Gravenhage and s-Gravenhage are one name */
		} else if (*p < 0x80) {
			sep = true;
			p++;
		} else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
			rc = geo_key_put(
			    out, len, &n, &sep, geo_latin1[p[1] - 0x80]);
			p += 2;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0xbf) {
			sep = true; /* no-break space and Latin-1 symbols */
			p += 2;
		} else if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0x98 || p[2] == 0x99)) {
			p += 3; /* typographic apostrophes */
		} else {
			/* Any other byte is kept as it is. */
			one[0] = (char)*p;
			rc = geo_key_put(out, len, &n, &sep, one);
			p++;
		}
	}
	if (rc < 0 || n == 0)
		return -1;
	return 0;
}

static int
geo_entry_cmp(const void *a, const void *b)
{
	const struct geo_entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int
geo_key_cmp(const void *key, const void *elem)
{
	const struct geo_entry *e = elem;

	return strcmp(key, e->key);
}

/* Search the first n entries, which are sorted. */
static const struct geo_entry *
geo_find(const struct gazetteer *g, size_t n, const char *key)
{
	if (n == 0)
		return NULL;
	return bsearch(key, g->entries, n, sizeof *g->entries, geo_key_cmp);
}

static struct geo_entry *
geo_add(struct gazetteer *g)
{
	struct geo_entry *e;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 512;

		e = realloc(g->entries, cap * sizeof *e);
		if (e == NULL)
			return NULL;
		g->entries = e;
		g->cap = cap;
	}
	e = &g->entries[g->n];
	memset(e, 0, sizeof *e);
	return e;
}

/* Add the alias groups the file does not spell out. */
static int
geo_add_aliases(struct gazetteer *g)
{
	size_t i, j, n = g->n; /* entries [0, n) are the sorted file rows */

	for (i = 0; i < sizeof geo_alias_groups / sizeof *geo_alias_groups;
	     i++) {
		const char *const *grp = geo_alias_groups[i];
		const struct geo_entry *t = NULL;
		struct geo_entry target, *e;

		for (j = 0; grp[j] != NULL && t == NULL; j++)
			t = geo_find(g, n, grp[j]);
		if (t == NULL)
			continue;
		target = *t; /* t moves when the array grows */
		for (j = 0; grp[j] != NULL; j++) {
			if (geo_find(g, n, grp[j]) != NULL)
				continue;
			if ((e = geo_add(g)) == NULL)
				return -1;
			if ((e->key = strdup(grp[j])) == NULL)
				return -1;
			e->name = target.name;
			e->lat = target.lat;
			e->lon = target.lon;
			g->n++;
		}
	}
	qsort(g->entries, g->n, sizeof *g->entries, geo_entry_cmp);
	return 0;
}

/* Trim ASCII blanks on both ends, in place. */
static char *
geo_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s &&
	    (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
	        end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/* Split a line on tabs; returns the number of fields (at most max). */
static int
geo_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line, *tab;

	while (n < max) {
		fields[n++] = p;
		if ((tab = strchr(p, '\t')) == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

static int
geo_number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

#define GEO_MAX_COLUMNS 64

/* Find the columns name, lat and lon in the header line. */
static int
geo_header(char *line, int col[3], const char *path, char *err, size_t errlen)
{
	static const char *const want[3] = {"name", "lat", "lon"};
	char *fields[GEO_MAX_COLUMNS];
	int n = geo_split(line, fields, GEO_MAX_COLUMNS), i, j;

	for (j = 0; j < 3; j++) {
		col[j] = -1;
		for (i = 0; i < n; i++)
			if (strcasecmp(geo_trim(fields[i]), want[j]) == 0 &&
			    col[j] < 0)
				col[j] = i;
		if (col[j] < 0) {
			snprintf(err, errlen,
			    "%s:1: the header line has no column \"%s\"", path,
			    want[j]);
			return -1;
		}
	}
	return 0;
}

/* Parse one data line into a new entry. */
static int
geo_row(struct gazetteer *g, char *line, const int col[3], unsigned lineno,
    const char *path, char *err, size_t errlen)
{
	char *fields[GEO_MAX_COLUMNS], key[GEO_KEY_MAX + 1], *name;
	int n = geo_split(line, fields, GEO_MAX_COLUMNS), need = 0, i;
	double lat, lon;
	struct geo_entry *e;

	for (i = 0; i < 3; i++)
		if (col[i] + 1 > need)
			need = col[i] + 1;
	if (n < need) {
		snprintf(err, errlen, "%s:%u: %d columns, the header has %d",
		    path, lineno, n, need);
		return -1;
	}
	name = geo_trim(fields[col[0]]);
	if (strlen(name) > GEO_NAME_MAX || geo_key(name, key, sizeof key)) {
		snprintf(err, errlen,
		    "%s:%u: name must have 1 to %d bytes and a letter or digit",
		    path, lineno, GEO_NAME_MAX);
		return -1;
	}
	if (geo_number(geo_trim(fields[col[1]]), -90, 90, &lat) < 0) {
		snprintf(err, errlen,
		    "%s:%u: lat must be a number from -90 to 90", path, lineno);
		return -1;
	}
	if (geo_number(geo_trim(fields[col[2]]), -180, 180, &lon) < 0) {
		snprintf(err, errlen,
		    "%s:%u: lon must be a number from -180 to 180", path,
		    lineno);
		return -1;
	}
	if ((e = geo_add(g)) == NULL || (e->key = strdup(key)) == NULL ||
	    (e->own_name = strdup(name)) == NULL) {
		if (e != NULL) {
			free(e->key);
			e->key = NULL;
		}
		snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
		return -1;
	}
	e->name = e->own_name;
	e->lat = lat;
	e->lon = lon;
	e->line = lineno;
	g->n++;
	return 0;
}

/* Read every line of f into g. */
static int
geo_read(
    struct gazetteer *g, FILE *f, const char *path, char *err, size_t errlen)
{
	char *line = NULL, *p;
	size_t cap = 0;
	unsigned lineno = 0;
	int col[3], rc = 0;

	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		p = line;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3; /* a byte order mark */
		if (lineno == 1) {
			rc = geo_header(p, col, path, err, errlen);
			continue;
		}
		p[strcspn(p, "\r\n")] = '\0';
		if (p[strspn(p, " \t")] == '\0' || *p == '#')
			continue;
		rc = geo_row(g, p, col, lineno, path, err, errlen);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s:%u: %s", path, lineno + 1,
		    strerror(errno));
		rc = -1;
	}
	if (rc == 0 && lineno == 0) {
		snprintf(err, errlen, "%s:1: missing the header line", path);
		rc = -1;
	} else if (rc == 0 && g->n == 0) {
		snprintf(err, errlen, "%s:%u: no municipalities", path, lineno);
		rc = -1;
	}
	free(line);
	return rc;
}

/* Refuse two rows that fold to the same key (sorted entries). */
static int
geo_check_unique(
    const struct gazetteer *g, const char *path, char *err, size_t errlen)
{
	size_t i;

	for (i = 1; i < g->n; i++) {
		const struct geo_entry *a = &g->entries[i - 1];
		const struct geo_entry *b = &g->entries[i];

		if (strcmp(a->key, b->key) != 0)
			continue;
		if (a->line > b->line) {
			a = b;
			b = &g->entries[i - 1];
		}
		snprintf(err, errlen,
		    "%s:%u: \"%s\" is the same name as line %u", path, b->line,
		    b->name, a->line);
		return -1;
	}
	return 0;
}

/*
 * Load a gazetteer from a TSV file with a header line (columns name, lat,
 * lon by header name). NULL with "FILE:LINE: message" in err on failure.
 */
struct gazetteer *
geo_gazetteer_load(const char *path, char *err, size_t errlen)
{
	struct gazetteer *g;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((g = calloc(1, sizeof *g)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	rc = geo_read(g, f, path, err, errlen);
	fclose(f);
	if (rc == 0) {
		qsort(g->entries, g->n, sizeof *g->entries, geo_entry_cmp);
		rc = geo_check_unique(g, path, err, errlen);
	}
	if (rc == 0 && geo_add_aliases(g) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -1;
	}
	if (rc < 0) {
		geo_gazetteer_free(g);
		return NULL;
	}
	return g;
}

/*
 * Free a gazetteer and every name it lent out. NULL is a no-op.
 */
void
geo_gazetteer_free(struct gazetteer *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->entries[i].key);
		free(g->entries[i].own_name);
	}
	free(g->entries);
	free(g);
}

/*
 * The number of names the gazetteer resolves, aliases included.
 */
size_t
geo_gazetteer_size(const struct gazetteer *g)
{
	return g == NULL ? 0 : g->n;
}

/*
 * Resolve a municipality name (case-, accent- and punctuation-insensitive,
 * with aliases). 0 with lat, lon and the file's spelling in *canonical
 * (borrowed from g), or -1 when unknown.
 */
int
geo_lookup(const struct gazetteer *g, const char *name, double *lat,
    double *lon, const char **canonical)
{
	char key[GEO_KEY_MAX + 1];
	const struct geo_entry *e;

	if (g == NULL || name == NULL || geo_key(name, key, sizeof key) < 0)
		return -1;
	if ((e = geo_find(g, g->n, key)) == NULL)
		return -1;
	*lat = e->lat;
	*lon = e->lon;
	if (canonical != NULL)
		*canonical = e->name;
	return 0;
}

/*
 * $SHELTER_GAZETTEER, else the installed file when it is readable, else
 * the file in the source tree. The string is static or the environment's.
 */
const char *
geo_default_path(void)
{
	const char *env = getenv("SHELTER_GAZETTEER");

	if (env != NULL && env[0] != '\0')
		return env;
	if (access(SHELTER_DATADIR "/municipalities.tsv", R_OK) == 0)
		return SHELTER_DATADIR "/municipalities.tsv";
	return SHELTER_SRCDIR "/config/municipalities.tsv";
}
