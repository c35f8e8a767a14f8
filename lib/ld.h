/*
 * ld.h: one YAML file being loaded (lib/ only: config.c and its parts).
 *
 * ld_open reads and parses a file into a libyaml document; every error is
 * appended to errs as "FILE:LINE:COL: message" (1-based) and counted in
 * nerr, so a loader reports all of them and fails at the end.
 */
#ifndef SHELTER_LD_H
#define SHELTER_LD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <yaml.h>

#include "shelter/config.h"

#define LD_PATH_MAX 256 /* key paths in messages */

/* One file being loaded. */
struct ld {
	const char *file;   /* as given, for messages */
	char *dir;          /* the file's folder, absolute when possible */
	bool dir_canonical; /* dir came from realpath */
	char *text;         /* the file's bytes */
	size_t len;
	yaml_document_t doc;
	bool have_doc;
	struct config_errors *errs;
	int nerr;
	long nodes;
	bool check_files; /* key_path opens each K_FILE path (after ld_open) */
};

/*
 * Read and parse path (a single YAML document) into ld, which is zeroed
 * first. 0, or -1 with the errors reported; ld_close it either way.
 */
int ld_open(struct ld *ld, const char *path, struct config_errors *errs);
/* Free what ld_open allocated. */
void ld_close(struct ld *ld);

/* Report "FILE:LINE:COL: message" at mark m and count it. */
void ld_err(struct ld *ld, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Node i of the document. */
yaml_node_t *ld_node(struct ld *ld, yaml_node_item_t i);
/* The text of a scalar node, or NULL for a mapping or sequence. */
const char *ld_scalar(yaml_node_t *n);
/* The text of a plain (unquoted) scalar, or NULL. */
const char *ld_plain(yaml_node_t *n);
/* A plain empty, ~, null, Null or NULL. */
bool ld_is_null(yaml_node_t *n);
/* 1 for true/yes, 0 for false/no, -1 for anything else. */
int ld_bool_value(yaml_node_t *n);
/* Decimal integer, optional sign; false on anything else or overflow. */
bool ld_parse_ll(const char *s, long long *out);
/* A decimal number (integer or float, no hex, inf or nan). */
bool ld_parse_num(const char *s, double *out);
/* The value of key name in mapping map (the first one), or NULL. */
yaml_node_t *ld_get(struct ld *ld, yaml_node_t *map, const char *name);
/* "PATH.NAME", or NAME at the top, into buf. */
void ld_join(char *buf, size_t len, const char *path, const char *name);
/* True for a sequence; else false, with "PATH: must be a list" reported. */
bool ld_is_list(struct ld *ld, yaml_node_t *v, const char *path);

/*
 * Node n as new JSON (caller owns it); path names it in messages, depth is
 * its nesting. Reports duplicate keys, non-string keys, too deep nesting
 * and too many nodes, and returns NULL after any error in the subtree.
 */
json_t *ld_json(struct ld *ld, yaml_node_t *n, const char *path, int depth);
/*
 * Where the dotted field path under n is: the key of the last component
 * when at_key (an unknown field), else its value; the deepest node that
 * exists when the path goes further (a missing field).
 */
yaml_mark_t ld_locate(
    struct ld *ld, yaml_node_t *n, const char *field, bool at_key);

#endif
