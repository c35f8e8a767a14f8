/*
 * ld.c: one YAML file being loaded, read with libyaml's document API so
 * every node keeps its position for error messages; what a plain scalar
 * means (null, true/false/yes/no, a decimal number), and a subtree as JSON
 * (see ld.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ld.h"

#define LD_FILE_MAX  (64L << 20) /* bytes of YAML we read */
#define LD_DEPTH_MAX 32          /* nesting in a shelters file */
#define LD_NODES_MAX 1000000     /* nodes converted (alias bombs) */

/*
 * Report "FILE:LINE:COL: message" at mark m (1-based) into ld->errs
 * and count it in ld->nerr.
 */
void
ld_err(struct ld *ld, yaml_mark_t m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_errors_add(
	    ld->errs, ld->file, (int)m.line + 1, (int)m.column + 1, "%s", msg);
	ld->nerr++;
}

/* Node i of the document (libyaml: NULL when there is none). */
yaml_node_t *
ld_node(struct ld *ld, yaml_node_item_t i)
{
	return yaml_document_get_node(&ld->doc, i);
}

/* The text of a scalar node, or NULL for a mapping or sequence. */
const char *
ld_scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The text of a plain (unquoted) scalar, or NULL. */
const char *
ld_plain(yaml_node_t *n)
{
	const char *s = ld_scalar(n);

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return NULL;
	return s;
}

/* A plain empty, ~, null, Null or NULL scalar. */
bool
ld_is_null(yaml_node_t *n)
{
	const char *s = ld_plain(n);

	return s != NULL &&
	    (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	        strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

/* 1 for true/yes, 0 for false/no, -1 for anything else. */
int
ld_bool_value(yaml_node_t *n)
{
	const char *s = ld_plain(n);

	if (s == NULL)
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		return 0;
	return -1;
}

/* Decimal integer, optional sign; false on anything else or overflow. */
bool
ld_parse_ll(const char *s, long long *out)
{
	const char *p = s;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* A decimal number (integer or float, no hex, inf or nan). */
bool
ld_parse_num(const char *s, double *out)
{
	const char *p = s;
	char *end;
	bool digits = false;

	if (*p == '-' || *p == '+')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

/* The value of key name in mapping map (the first one), or NULL. */
yaml_node_t *
ld_get(struct ld *ld, yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *p;
	const char *s;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		s = ld_scalar(ld_node(ld, p->key));
		if (s != NULL && strcmp(s, name) == 0)
			return ld_node(ld, p->value);
	}
	return NULL;
}

/* "PATH.NAME", or NAME at the top. */
void
ld_join(char *buf, size_t len, const char *path, const char *name)
{
	if (path[0] == '\0')
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s.%s", path, name);
}

/* True for a sequence; else false with "PATH: must be a list". */
bool
ld_is_list(struct ld *ld, yaml_node_t *v, const char *path)
{
	if (v->type == YAML_SEQUENCE_NODE)
		return true;
	ld_err(ld, v->start_mark, "%s: must be a list", path);
	return false;
}

/* Opening files */

/* The position of byte off in the text, for reader errors. */
static yaml_mark_t
ld_mark_at(struct ld *ld, size_t off)
{
	yaml_mark_t m = {0, 0, 0};
	size_t i;

	for (i = 0; i < off && i < ld->len; i++) {
		if (ld->text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	m.index = i;
	return m;
}

static void
ld_syntax(struct ld *ld, yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR) {
		config_errors_add(ld->errs, ld->file, 0, 0, "out of memory");
		ld->nerr++;
	} else if (p->error == YAML_READER_ERROR) {
		ld_err(ld, ld_mark_at(ld, p->problem_offset),
		    "invalid input: %s", p->problem ? p->problem : "?");
	} else if (p->context != NULL &&
	    p->context_mark.index == p->problem_mark.index) {
		ld_err(ld, p->problem_mark, "syntax error: %s (%s)",
		    p->problem ? p->problem : "?", p->context);
	} else if (p->context != NULL) {
		ld_err(ld, p->problem_mark,
		    "syntax error: %s (%s at line %zu, column %zu)",
		    p->problem ? p->problem : "?", p->context,
		    p->context_mark.line + 1, p->context_mark.column + 1);
	} else {
		ld_err(ld, p->problem_mark, "syntax error: %s",
		    p->problem ? p->problem : "?");
	}
}

static int
ld_read(struct ld *ld, const char *path)
{
	FILE *f;
	long size;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		config_errors_add(ld->errs, ld->file, 0, 0, "cannot open: %s",
		    strerror(errno));
		ld->nerr++;
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || size > LD_FILE_MAX ||
	    (ld->text = malloc((size_t)size + 1)) == NULL) {
		config_errors_add(ld->errs, ld->file, 0, 0,
		    "cannot read (not a regular file, too large, or out of "
		    "memory)");
		ld->nerr++;
		fclose(f);
		return -1;
	}
	n = fread(ld->text, 1, (size_t)size, f);
	if (ferror(f)) {
		config_errors_add(ld->errs, ld->file, 0, 0, "cannot read: %s",
		    strerror(errno));
		ld->nerr++;
		fclose(f);
		return -1;
	}
	fclose(f);
	ld->text[n] = '\0';
	ld->len = n;
	return 0;
}

/*
 * The folder of path as written (a symlinked file resolves against the
 * link's folder), made canonical with realpath when possible.
 */
static char *
ld_folder(const char *path, bool *canonical)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	*canonical = false;
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	if ((real = realpath(dir, NULL)) == NULL)
		return dir;
	free(dir);
	*canonical = true;
	return real;
}

/* Read and parse path into ld->doc (a single YAML document). */
int
ld_open(struct ld *ld, const char *path, struct config_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root;

	memset(ld, 0, sizeof *ld);
	ld->file = path;
	ld->errs = errs;
	if (ld_read(ld, path) < 0)
		return -1;
	if ((ld->dir = ld_folder(path, &ld->dir_canonical)) == NULL) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld->nerr++;
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld->nerr++;
		return -1;
	}
	yaml_parser_set_input_string(
	    &parser, (const unsigned char *)ld->text, ld->len);
	if (!yaml_parser_load(&parser, &ld->doc)) {
		ld_syntax(ld, &parser);
		yaml_parser_delete(&parser);
		return -1;
	}
	ld->have_doc = true;
	if (yaml_document_get_root_node(&ld->doc) != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			ld_syntax(ld, &parser);
		} else {
			if ((root = yaml_document_get_root_node(&extra)) !=
			    NULL)
				ld_err(ld, root->start_mark,
				    "only one YAML document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	return ld->nerr ? -1 : 0;
}

/* Free what ld_open allocated, also after a failed ld_open. */
void
ld_close(struct ld *ld)
{
	if (ld->have_doc)
		yaml_document_delete(&ld->doc);
	free(ld->text);
	free(ld->dir);
}

/* YAML as JSON */

/* A plain scalar as YAML means it; quoted scalars stay strings. */
static json_t *
ld_scalar_json(yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	long long i;
	double d;
	int b;

	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (ld_is_null(n))
			return json_null();
		if ((b = ld_bool_value(n)) >= 0)
			return json_boolean(b);
		if (ld_parse_ll(s, &i))
			return json_integer(i);
		if (ld_parse_num(s, &d))
			return json_real(d);
	}
	return json_stringn(s, len);
}

/* The pairs of mapping n into object j, for ld_json. */
static void
ld_json_pairs(
    struct ld *ld, yaml_node_t *n, json_t *j, const char *path, int depth)
{
	char sub[LD_PATH_MAX];
	const char *in = path[0] ? " in " : "";
	yaml_node_pair_t *p;
	yaml_node_t *kn;
	const char *s;
	json_t *c;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		kn = ld_node(ld, p->key);
		if ((s = ld_scalar(kn)) == NULL ||
		    strlen(s) != kn->data.scalar.length) {
			ld_err(ld, kn->start_mark, "keys must be strings%s%s",
			    in, path);
			continue;
		}
		if (json_object_get(j, s) != NULL) {
			ld_err(ld, kn->start_mark, "duplicate key '%s'%s%s", s,
			    in, path);
			continue;
		}
		ld_join(sub, sizeof sub, path, s);
		c = ld_json(ld, ld_node(ld, p->value), sub, depth + 1);
		/* A value that failed still marks its key as seen. */
		if (json_object_set_new(j, s, c != NULL ? c : json_null()) < 0)
			ld_err(ld, kn->start_mark, "out of memory");
	}
}

/*
 * Convert node n to JSON; path names it for messages. Reports duplicate
 * keys, non-string keys, too deep nesting, and returns NULL after any
 * error in the subtree.
 */
json_t *
ld_json(struct ld *ld, yaml_node_t *n, const char *path, int depth)
{
	char sub[LD_PATH_MAX];
	yaml_node_item_t *it;
	json_t *j, *c;
	int nerr = ld->nerr;

	if (++ld->nodes > LD_NODES_MAX) {
		if (ld->nodes == LD_NODES_MAX + 1)
			ld_err(ld, n->start_mark,
			    "more than %d values (aliases expanded)",
			    LD_NODES_MAX);
		return NULL;
	}
	if (depth > LD_DEPTH_MAX) {
		ld_err(ld, n->start_mark, "nested deeper than %d levels",
		    LD_DEPTH_MAX);
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if ((j = ld_scalar_json(n)) == NULL)
			ld_err(ld, n->start_mark,
			    "%s%scannot convert this value", path,
			    path[0] ? ": " : "");
		return j;
	case YAML_SEQUENCE_NODE:
		if ((j = json_array()) == NULL)
			break;
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			snprintf(sub, sizeof sub, "%s%s%ld", path,
			    path[0] ? "." : "",
			    (long)(it - n->data.sequence.items.start));
			c = ld_json(ld, ld_node(ld, *it), sub, depth + 1);
			if (c != NULL && json_array_append_new(j, c) < 0)
				ld_err(ld, n->start_mark, "out of memory");
		}
		break;
	case YAML_MAPPING_NODE:
		if ((j = json_object()) == NULL)
			break;
		ld_json_pairs(ld, n, j, path, depth);
		break;
	default:
		return NULL;
	}
	if (j == NULL) {
		ld_err(ld, n->start_mark, "out of memory");
		return NULL;
	}
	if (ld->nerr != nerr) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * The position of dotted field path under node n: the key of the last
 * component when at_key (an unknown field), else its value; the deepest
 * node that exists when the path goes further (a missing field).
 */
yaml_mark_t
ld_locate(struct ld *ld, yaml_node_t *n, const char *field, bool at_key)
{
	char comp[LD_PATH_MAX];
	const char *dot;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *next;
	size_t len;
	long long idx;

	while (*field != '\0') {
		dot = strchr(field, '.');
		len = dot ? (size_t)(dot - field) : strlen(field);
		if (len >= sizeof comp)
			break;
		memcpy(comp, field, len);
		comp[len] = '\0';
		next = NULL;
		if (n->type == YAML_MAPPING_NODE) {
			for (p = n->data.mapping.pairs.start;
			     p < n->data.mapping.pairs.top; p++) {
				yaml_node_t *kn = ld_node(ld, p->key);

				if (ld_scalar(kn) == NULL ||
				    strcmp(ld_scalar(kn), comp) != 0)
					continue;
				if (at_key && dot == NULL)
					return kn->start_mark;
				next = ld_node(ld, p->value);
				break;
			}
		} else if (n->type == YAML_SEQUENCE_NODE &&
		    ld_parse_ll(comp, &idx) && idx >= 0 &&
		    idx < n->data.sequence.items.top -
		            n->data.sequence.items.start) {
			it = n->data.sequence.items.start + idx;
			next = ld_node(ld, *it);
		}
		if (next == NULL)
			break;
		n = next;
		field = dot ? dot + 1 : field + len;
	}
	return n->start_mark;
}
