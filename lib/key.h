/*
 * key.h: tables of keys for walking YAML mappings into structs (lib/ only).
 *
 * A table is an array of struct key ended by a NULL name. key_walk checks
 * that every key of a mapping is known and appears once, hands each value
 * to its handler with base, and reports missing required keys. A handler
 * checks one value and stores it at base + k->off (KEY_FIELD), or reports
 * the problem with ld_err and leaves the field alone.
 */
#ifndef SHELTER_KEY_H
#define SHELTER_KEY_H

#include <stddef.h>

#include <yaml.h>

struct ld;
struct key;
typedef void key_fn(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base);

#define K_REQUIRED 0x1  /* missing is an error */
#define K_NULL     0x2  /* null allowed (stores NULL) */
#define K_ABOVE    0x4  /* number: strictly above min */
#define K_SOCKET   0x8  /* path: must fit a sockaddr_un */
#define K_FILE     0x10 /* path: a file read (ld->check_files: it must open) */

struct key {
	const char *name;
	key_fn *fn;
	size_t off; /* field in base */
	long long min, max;
	unsigned flags;
	const struct key *sub; /* key_map: the keys of the mapping */
};

#define KEY_FIELD(type, base, k) ((type *)(void *)((char *)(base) + (k)->off))

/* Walk mapping map (path names it) with the table keys into base. */
void key_walk(struct ld *ld, yaml_node_t *map, const char *path,
    const struct key *keys, void *base);

/* Handlers. */
key_fn key_map;  /* a mapping: key_walk with k->sub into the same base */
key_fn key_int;  /* an int from k->min to k->max */
key_fn key_size; /* a size_t from k->min to k->max */
key_fn key_num;  /* a double from k->min (K_ABOVE: above it) to k->max */
key_fn key_bool; /* true/false/yes/no */
key_fn key_str;  /* a new non-empty string (K_NULL: or null) in a char * */
key_fn key_path; /* key_str, resolved against the file's folder (K_SOCKET,
                   K_FILE) */
key_fn key_mode; /* an octal file mode string such as "0660" */

#endif
