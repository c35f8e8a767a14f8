/*
 * table_row.h: a shelter of a store reply read into a struct shelter, for
 * the table (table.c): its live JSON, or a row of shd_shelter_rows.
 */
#ifndef SHELTERD_TABLE_ROW_H
#define SHELTERD_TABLE_ROW_H

#include <stdbool.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "shelter/model.h"

/* The live shelter obj into out: 0, or -1 (logged). */
int table_read_json(const json_t *obj, struct shelter *out);
/*
 * One shelter of a row page (shd_shelter_rows, docs/store.md): its fields,
 * then its pools' counts; or {T, cseq}, its JSON form (stored before the
 * packed form; *json set). Into out with *cseq the change it shows (-1:
 * not known): 0, or -1 (logged) when it does not read.
 */
int table_read_row(
    const redisReply *row, struct shelter *out, long long *cseq, bool *json);
/*
 * A shelter's row in a reply in fields (shd_capacity's): v[0..n), each
 * NUL-terminated, len[i] its length (0: absent), into out with *cseq the
 * change it shows (-1: not known). 0, or -1 (logged).
 */
int table_read_fields(const char *const *v, const size_t *len, size_t n,
    struct shelter *out, long long *cseq);
/*
 * The ids of an array reply m (the marks of a first row page) into *ids,
 * calloc'ed, and *n: 0 (none when m is no array or empty), or -1 when
 * one is not an id (*ids may then be set, for the caller to free).
 */
int table_read_ids(
    const redisReply *m, char (**ids)[MODEL_ID_MAX + 1], size_t *n);

#endif
