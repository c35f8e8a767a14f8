/*
 * key.c: tables of keys (name, handler, field offset, range, flags) that
 * walk a YAML mapping into a struct, and the handlers for plain values:
 * integers, sizes, numbers, booleans, strings, paths and file modes.
 * Relative paths resolve against the loaded file's folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "key.h"
#include "ld.h"

/*
 * Walk mapping map: each key must be known to keys and appear once; known
 * keys go to their handler with base. Reports missing required keys.
 */
void
key_walk(struct ld *ld, yaml_node_t *map, const char *path,
    const struct key *keys, void *base)
{
	char sub[LD_PATH_MAX];
	const char *where = path[0] ? " in " : "";
	yaml_node_pair_t *p, *q;
	const struct key *k;
	yaml_node_t *kn;
	const char *s;

	if (map->type != YAML_MAPPING_NODE) {
		if (path[0] == '\0')
			ld_err(ld, map->start_mark,
			    "the configuration must be a mapping");
		else
			ld_err(
			    ld, map->start_mark, "%s: must be a mapping", path);
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		kn = ld_node(ld, p->key);
		if ((s = ld_scalar(kn)) == NULL) {
			ld_err(ld, kn->start_mark, "keys must be strings%s%s",
			    where, path);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++)
			if (ld_scalar(ld_node(ld, q->key)) != NULL &&
			    strcmp(ld_scalar(ld_node(ld, q->key)), s) == 0)
				break;
		if (q < p) {
			ld_err(ld, kn->start_mark, "duplicate key '%s'%s%s", s,
			    where, path);
			continue;
		}
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, s) == 0)
				break;
		if (k->name == NULL) {
			ld_err(ld, kn->start_mark, "unknown key '%s'%s%s", s,
			    where, path);
			continue;
		}
		ld_join(sub, sizeof sub, path, k->name);
		k->fn(ld, ld_node(ld, p->value), sub, k, base);
	}
	for (k = keys; k->name != NULL; k++)
		if ((k->flags & K_REQUIRED) && ld_get(ld, map, k->name) == NULL)
			ld_err(ld, map->start_mark,
			    "%s: missing required key '%s'", path, k->name);
}

/* A mapping: walks it with k->sub into the same base. */
void
key_map(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	key_walk(ld, v, path, k->sub, base);
}

/* An integer from k->min to k->max into *n; false (reported) otherwise. */
static bool
key_integer(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, long long *n)
{
	const char *s = ld_plain(v);

	if (s == NULL || !ld_parse_ll(s, n) || *n < k->min || *n > k->max) {
		ld_err(ld, v->start_mark,
		    "%s: must be an integer from %lld to %lld", path, k->min,
		    k->max);
		return false;
	}
	return true;
}

/* An int from k->min to k->max at base + k->off; else reported. */
void
key_int(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	long long n;

	if (key_integer(ld, v, path, k, &n))
		*KEY_FIELD(int, base, k) = (int)n;
}

/* A size_t from k->min to k->max at base + k->off; else reported. */
void
key_size(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	long long n;

	if (key_integer(ld, v, path, k, &n))
		*KEY_FIELD(size_t, base, k) = (size_t)n;
}

/* A finite double from k->min (K_ABOVE: above it) to k->max. */
void
key_num(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_plain(v);
	double d, min = (double)k->min, max = (double)k->max;

	if (s == NULL || !ld_parse_num(s, &d) || d > max ||
	    ((k->flags & K_ABOVE) ? d <= min : d < min)) {
		if (k->flags & K_ABOVE)
			ld_err(ld, v->start_mark,
			    "%s: must be a number above %lld and at most %lld",
			    path, k->min, k->max);
		else
			ld_err(ld, v->start_mark,
			    "%s: must be a number from %lld to %lld", path,
			    k->min, k->max);
		return;
	}
	*KEY_FIELD(double, base, k) = d;
}

/* true/false/yes/no as a bool at base + k->off; else reported. */
void
key_bool(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	int b = ld_bool_value(v);

	if (b < 0) {
		ld_err(ld, v->start_mark,
		    "%s: must be true or false (or yes/no)", path);
		return;
	}
	*KEY_FIELD(bool, base, k) = b;
}

/* A non-empty string without NUL bytes (or null with K_NULL) into *dst. */
static int
key_string(
    struct ld *ld, yaml_node_t *v, const char *path, unsigned flags, char **dst)
{
	const char *s = ld_scalar(v);
	char *copy = NULL;

	if ((flags & K_NULL) && ld_is_null(v)) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (s == NULL || ld_is_null(v) || s[0] == '\0') {
		ld_err(ld, v->start_mark, "%s: must be a non-empty string%s",
		    path, (flags & K_NULL) ? " or null" : "");
		return -1;
	}
	if (strlen(s) != v->data.scalar.length) {
		ld_err(ld, v->start_mark,
		    "%s: must not contain a NUL character", path);
		return -1;
	}
	if ((copy = strdup(s)) == NULL) {
		ld_err(ld, v->start_mark, "%s: out of memory", path);
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

/*
 * A new non-empty string (K_NULL: or null) in the char * at
 * base + k->off; the string there before is freed.
 */
void
key_str(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	key_string(ld, v, path, k->flags, KEY_FIELD(char *, base, k));
}

/*
 * dir/rel as a new string, or NULL on ENOMEM. When dir is canonical (from
 * realpath: no symlinks, no dots) leading "./" and "../" of rel fold into
 * it, which is exact there: "/srv/conf" + "../run/x" is "/srv/run/x".
 */
static char *
key_resolve(const char *dir, bool canonical, const char *rel)
{
	size_t dlen = strlen(dir);
	char *out;

	while (canonical) {
		if (strncmp(rel, "./", 2) == 0) {
			rel += 2;
		} else if (strncmp(rel, "../", 3) == 0) {
			while (dlen > 1 && dir[dlen - 1] != '/')
				dlen--;
			if (dlen > 1)
				dlen--; /* the slash, unless it is the root */
			rel += 3;
		} else {
			break;
		}
	}
	if (dlen == 1 && dir[0] == '/')
		dlen = 0;
	if (asprintf(&out, "%.*s/%s", (int)dlen, dir, rel) < 0)
		return NULL;
	return out;
}

/* Can file (path's value v) be opened and read? Reported at v if not. */
static void
key_readable(struct ld *ld, yaml_node_t *v, const char *path, const char *file)
{
	FILE *f;

	if ((f = fopen(file, "r")) == NULL) {
		ld_err(ld, v->start_mark, "%s: cannot open %s: %s", path, file,
		    strerror(errno));
		return;
	}
	errno = 0;
	if (fgetc(f) == EOF && ferror(f))
		ld_err(ld, v->start_mark, "%s: cannot read %s: %s", path, file,
		    strerror(errno));
	fclose(f);
}

/* A file path, resolved against the config file's folder. */
void
key_path(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	char **dst = KEY_FIELD(char *, base, k), *full;
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (key_string(ld, v, path, k->flags, dst) < 0 || *dst == NULL)
		return;
	if ((*dst)[0] != '/') {
		full = key_resolve(ld->dir, ld->dir_canonical, *dst);
		if (full == NULL) {
			ld_err(ld, v->start_mark, "%s: out of memory", path);
			return;
		}
		free(*dst);
		*dst = full;
	}
	if ((k->flags & K_SOCKET) && strlen(*dst) > max)
		ld_err(ld, v->start_mark,
		    "%s: the socket path %s is %zu bytes long, at most %zu fit",
		    path, *dst, strlen(*dst), max);
	if ((k->flags & K_FILE) && ld->check_files)
		key_readable(ld, v, path, *dst);
}

/* An octal file mode as a string ("0660"); a plain 0660 is taken as such. */
void
key_mode(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_scalar(v), *p;
	unsigned mode = 0;

	if (s != NULL && strlen(s) >= 3 && strlen(s) <= 4) {
		for (p = s; *p >= '0' && *p <= '7'; p++)
			mode = mode * 8 + (unsigned)(*p - '0');
		if (*p == '\0' && mode <= 0777) {
			*KEY_FIELD(unsigned, base, k) = mode;
			return;
		}
	}
	ld_err(ld, v->start_mark,
	    "%s: must be an octal mode string from \"0000\" to \"0777\", "
	    "such as \"0660\"",
	    path);
}
