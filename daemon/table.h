/*
 * table.h: the in-memory shelter table that matching runs against,
 * refreshed from the store (at start, after each reconnect, and for every
 * event that names a shelter), so every instance sees the same table.
 */
#ifndef SHELTERD_TABLE_H
#define SHELTERD_TABLE_H

#include <stddef.h>

#include <jansson.h>

#include "shelter/model.h"

/* Replace the whole table from a JSON array of shelters (live form). */
int table_load(const json_t *shelters);
/* Insert or replace one shelter from its JSON (live form). */
int table_put_json(const json_t *shelter);
void table_remove(const char *id);
const struct shelter *table_get(const char *id);
/* The shelters, sorted by id; valid until the next change. */
const struct shelter *const *table_all(size_t *n);
/* Reload one shelter from the store (async); removes it if gone. */
void table_refresh(const char *id);
void table_free(void);

#endif
