/*
 * rpc_scan.c: a small structure scanner for JSON text, run before Jansson
 * parses a line (rpc.c): the nesting depth, the dotted path of the first
 * duplicate key, and numbers beyond what Jansson holds, written over with
 * 0 in a copy so the rest of the message can still be read.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/rpc.h"

/* The scanner keeps per-level state for this many levels, then stops: any
 * deeper text is too deep anyway. */
#define SCAN_STACK (RPC_MAX_DEPTH + 1)

struct scan_key {
	const char *p; /* key text between the quotes, escapes decoded */
	size_t len;
	char *own; /* p when decoded (malloc'ed), else NULL: p is the text */
};

struct scan_level {
	bool object;
	size_t index;    /* arrays: member index */
	size_t key_base; /* objects: first key of this object in keys */
};

struct scan {
	struct scan_key *keys;
	size_t nkeys, cap;
	struct scan_level st[SCAN_STACK];
	int depth;
};

/* Append s[0..len) to the path, never cutting a UTF-8 sequence. */
static void
rpc_scan_path_add(
    char *dup, size_t duplen, size_t *off, const char *s, size_t len)
{
	size_t room;

	if (*off + 1 >= duplen)
		return;
	room = duplen - *off - 1;
	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dup + *off, s, len);
	*off += len;
	dup[*off] = '\0';
}

/* The dotted path of the key k at the current level (a duplicate, or the
 * key of the value there; NULL: none), or of the member there when the
 * level is an array. */
static void
rpc_scan_path(
    struct scan *sc, const struct scan_key *k, char *dup, size_t duplen)
{
	char num[24];
	size_t off = 0;
	int i;

	if (duplen == 0)
		return;
	dup[0] = '\0';
	for (i = 0; i < sc->depth; i++) {
		const struct scan_level *l = &sc->st[i];

		if (i > 0)
			rpc_scan_path_add(dup, duplen, &off, ".", 1);
		if (i == sc->depth - 1 && l->object) {
			if (k != NULL)
				rpc_scan_path_add(
				    dup, duplen, &off, k->p, k->len);
		} else if (l->object) {
			/* The key whose value holds the next level (none in
			 * text that is not JSON past this point). */
			size_t kb = sc->st[i + 1].key_base;

			if (kb > l->key_base)
				rpc_scan_path_add(dup, duplen, &off,
				    sc->keys[kb - 1].p, sc->keys[kb - 1].len);
		} else {
			snprintf(num, sizeof num, "%zu", l->index);
			rpc_scan_path_add(dup, duplen, &off, num, strlen(num));
		}
	}
}

/* The four hex digits at p, or -1. */
static long
rpc_hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/* Code point u as UTF-8 at out: its length. */
static size_t
rpc_utf8(long u, char *out)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | u >> 6);
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | u >> 12);
		out[1] = (char)(0x80 | (u >> 6 & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | u >> 18);
	out[1] = (char)(0x80 | (u >> 12 & 0x3f));
	out[2] = (char)(0x80 | (u >> 6 & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/*
 * The JSON string text p[0..len) with its escapes decoded into out (of at
 * least len bytes: decoding never lengthens), its length; -1 on an escape
 * Jansson refuses anyway.
 */
static long
rpc_unescape(const char *p, size_t len, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = p + len, *c;
	long u, lo;
	size_t n = 0;

	while (p < e) {
		if (*p != '\\') {
			out[n++] = *p++;
		} else if (p + 1 < e &&
		    (c = memchr(from, p[1], sizeof from - 1)) != NULL) {
			out[n++] = to[c - from];
			p += 2;
		} else {
			if (p + 6 > e || p[1] != 'u' ||
			    (u = rpc_hex4(p + 2)) < 0)
				return -1;
			p += 6;
			if (u >= 0xd800 && u < 0xdc00) {
				if (p + 6 > e || p[0] != '\\' || p[1] != 'u' ||
				    (lo = rpc_hex4(p + 2)) < 0xdc00 ||
				    lo > 0xdfff)
					return -1;
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			n += rpc_utf8(u, out + n);
		}
	}
	return (long)n;
}

/* Forget the keys from base on. */
static void
rpc_scan_keys_drop(struct scan *sc, size_t base)
{
	while (sc->nkeys > base)
		free(sc->keys[--sc->nkeys].own);
}

/*
 * Record key p[0..len) (its text) in the current object, escapes decoded,
 * so "a" and "\u0061" are one key. *dup: the key it repeats (then it is
 * not recorded), else NULL. dup NULL: record it unchecked.
 */
static int
rpc_scan_key_add(
    struct scan *sc, const char *p, size_t len, const struct scan_key **dup)
{
	char *own = NULL;
	long n;
	size_t i;

	if (memchr(p, '\\', len) != NULL && (own = malloc(len + 1)) != NULL) {
		if ((n = rpc_unescape(p, len, own)) >= 0) {
			p = own;
			len = (size_t)n;
		} else {
			free(own);
			own = NULL;
		}
	}
	if (dup != NULL)
		*dup = NULL;
	for (i = sc->st[sc->depth - 1].key_base; dup != NULL && i < sc->nkeys;
	     i++) {
		if (sc->keys[i].len == len &&
		    memcmp(sc->keys[i].p, p, len) == 0) {
			*dup = &sc->keys[i];
			free(own);
			return 0;
		}
	}
	if (sc->nkeys == sc->cap) {
		size_t ncap = sc->cap ? sc->cap * 2 : 32;
		struct scan_key *nk = realloc(sc->keys, ncap * sizeof *nk);

		if (nk == NULL) {
			free(own);
			return -1;
		}
		sc->keys = nk;
		sc->cap = ncap;
	}
	sc->keys[sc->nkeys].p = p;
	sc->keys[sc->nkeys].len = len;
	sc->keys[sc->nkeys].own = own;
	sc->nkeys++;
	return 0;
}

/* Does ch end a scalar? (Not strchr: a NUL byte must not match.) */
static bool
rpc_scan_delim(char ch)
{
	static const char delims[] = " \t\r\n,:[]{}\"";

	return memchr(delims, ch, sizeof delims - 1) != NULL;
}

/*
 * Is the scalar p[0..n) a number Jansson refuses as out of range, an
 * integer beyond json_int_t or a real beyond double? Then write 0 over it,
 * padded with spaces, and say so. p[n] is writable (restored).
 */
static bool
rpc_number_mend(char *p, size_t n)
{
	char save = p[n], *end;
	bool real, over;
	double d;

	if (n == 0 || !(p[0] == '-' || (p[0] >= '0' && p[0] <= '9')))
		return false;
	real = memchr(p, '.', n) != NULL || memchr(p, 'e', n) != NULL ||
	    memchr(p, 'E', n) != NULL;
	p[n] = '\0';
	errno = 0;
	if (real) {
		d = strtod(p, &end);
		over = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
	} else {
		(void)strtoll(p, &end, 10);
		over = errno == ERANGE;
	}
	p[n] = save;
	if (!over || end != p + n)
		return false;
	p[0] = '0';
	memset(p + 1, ' ', n - 1);
	return true;
}

/*
 * What a scan looks for beyond the depth: the first duplicate key (mend
 * NULL) or the first number out of range (mend: the text, written over by
 * rpc_number_mend), its dotted path into path, *found set.
 */
struct scan_want {
	char *path;
	size_t pathlen;
	bool *found;
	char *mend;
};

/*
 * Scan text: see rpc.h. Keys are compared with their escapes decoded
 * (rpc_scan_key_add). Stops early (returning
 * a depth above RPC_MAX_DEPTH) once the text is too deep. Key tracking only
 * runs when w asks for a path.
 */
static int
rpc_scan_run(const char *text, size_t len, const struct scan_want *w)
{
	struct scan sc = {0};
	size_t i = 0;
	int maxdepth = 0, rc = -1;
	bool expect_key = false, track = w->path != NULL && w->found != NULL;

	if (w->found != NULL)
		*w->found = false;
	while (i < len) {
		char ch = text[i];
		struct scan_level *l;

		switch (ch) {
		case ' ':
		case '\t':
		case '\r':
		case '\n':
		case ':':
			i++;
			break;
		case '{':
		case '[':
			if (sc.depth == SCAN_STACK) {
				rc = sc.depth + 1;
				goto out;
			}
			l = &sc.st[sc.depth++];
			l->object = ch == '{';
			l->index = 0;
			l->key_base = sc.nkeys;
			expect_key = l->object;
			if (sc.depth > maxdepth)
				maxdepth = sc.depth;
			i++;
			break;
		case '}':
		case ']':
			if (sc.depth == 0 ||
			    sc.st[sc.depth - 1].object != (ch == '}'))
				goto out;
			rpc_scan_keys_drop(&sc, sc.st[--sc.depth].key_base);
			expect_key = false;
			i++;
			break;
		case ',':
			if (sc.depth == 0)
				goto out;
			l = &sc.st[sc.depth - 1];
			if (l->object)
				expect_key = true;
			else
				l->index++;
			i++;
			break;
		case '"': {
			size_t start = ++i;

			while (i < len && text[i] != '"') {
				if (text[i] == '\\')
					i++;
				i++;
			}
			if (i >= len)
				goto out;
			if (expect_key && track && w->mend != NULL) {
				if (rpc_scan_key_add(&sc, text + start,
				        i - start, NULL) == -1)
					goto out;
			} else if (expect_key && track && !*w->found) {
				const struct scan_key *d;

				if (rpc_scan_key_add(
				        &sc, text + start, i - start, &d) == -1)
					goto out;
				if (d != NULL) {
					rpc_scan_path(
					    &sc, d, w->path, w->pathlen);
					*w->found = true;
				}
			}
			expect_key = false;
			i++;
			break;
		}
		default: {
			/* A scalar: skip to the next delimiter. */
			size_t start = i;

			while (i < len && !rpc_scan_delim(text[i]))
				i++;
			if (w->mend != NULL &&
			    rpc_number_mend(w->mend + start, i - start) &&
			    track && !*w->found) {
				l = sc.depth > 0 ? &sc.st[sc.depth - 1] : NULL;
				rpc_scan_path(&sc,
				    l != NULL && l->object &&
				            sc.nkeys > l->key_base
				        ? &sc.keys[sc.nkeys - 1]
				        : NULL,
				    w->path, w->pathlen);
				*w->found = true;
			}
			break;
		}
		}
	}
	rc = sc.depth == 0 ? maxdepth : -1;
out:
	rpc_scan_keys_drop(&sc, 0);
	free(sc.keys);
	return rc;
}

/* Scan text: see rpc.h. */
int
rpc_scan(const char *text, size_t len, char *dup, size_t duplen, bool *has_dup)
{
	struct scan_want w = {dup, duplen, dup != NULL ? has_dup : NULL, NULL};

	if (has_dup != NULL)
		*has_dup = false;
	return rpc_scan_run(text, len, &w);
}

/* Mend the numbers out of range: see rpc.h. */
char *
rpc_mend_numbers(const char *line, size_t len, char *path, size_t pathlen)
{
	bool found;
	struct scan_want w = {path, pathlen, &found, NULL};

	if ((w.mend = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(w.mend, line, len);
	w.mend[len] = '\0';
	if (rpc_scan_run(w.mend, len, &w) < 0 || !found) {
		free(w.mend);
		return NULL;
	}
	return w.mend;
}
