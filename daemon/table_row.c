/*
 * table_row.c: reading a shelter of a store reply for the table: the
 * live JSON (model_shelter_parse), or a row of shd_shelter_rows, the
 * packed static part and the live fields (model_shelter_row), read
 * without a JSON parser.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "table_row.h"

/* table_read_json: see table_row.h. */
int
table_read_json(const json_t *obj, struct shelter *out)
{
	struct sh_error err;
	const char *id = json_string_value(json_object_get(obj, "id"));

	if (model_shelter_parse(obj, NULL, MODEL_STORED, out, &err) == -1) {
		log_warnx("table: stored shelter %s refused: %s",
		    id != NULL ? id : "?", err.message);
		return -1;
	}
	return 0;
}

/* The bytes of a string element of r (nil: absent). */
static struct model_text
table_text(const redisReply *r)
{
	if (r->type != REDIS_REPLY_STRING)
		return (struct model_text){NULL, 0};
	return (struct model_text){r->str, r->len};
}

/* A row's cseq field: the change of the shelter it shows, -1: none. */
static long long
table_row_cseq(const redisReply *r)
{
	char buf[24], *end;
	long long v;

	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type != REDIS_REPLY_STRING || r->len == 0 ||
	    r->len >= sizeof buf)
		return -1;
	memcpy(buf, r->str, r->len);
	buf[r->len] = '\0';
	v = strtoll(buf, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

static int table_read_texts(
    const struct model_text *f, size_t n, struct shelter *out);

/* table_read_row: see table_row.h. */
int
table_read_row(
    const redisReply *row, struct shelter *out, long long *cseq, bool *json)
{
	struct model_text f[MODEL_ROW_N + MODEL_POOL_MAX * MODEL_ROW_POOL_N];
	json_t *obj;
	size_t i;
	int rc;

	*cseq = -1;
	*json = false;
	if (row->type != REDIS_REPLY_ARRAY)
		return -1;
	if (row->elements <= 2 && row->elements > 0 &&
	    row->element[0]->type == REDIS_REPLY_STRING) {
		if ((obj = json_loadb(row->element[0]->str,
		         row->element[0]->len, 0, NULL)) == NULL) {
			log_warnx("table: a stored shelter is not JSON");
			return -1;
		}
		rc = table_read_json(obj, out);
		json_decref(obj);
		if (row->elements == 2)
			*cseq = table_row_cseq(row->element[1]);
		*json = true;
		return rc;
	}
	if (row->elements > sizeof f / sizeof f[0]) {
		log_warnx("table: a shelter row of %zu fields", row->elements);
		return -1;
	}
	for (i = 0; i < row->elements; i++)
		f[i] = table_text(row->element[i]);
	if (table_read_texts(f, row->elements, out) == -1)
		return -1;
	*cseq = table_row_cseq(row->element[MODEL_ROW_CSEQ]);
	return 0;
}

/* A row's fields f[0..n) (absent ones {NULL, 0}) into out: 0, or -1
 * (logged). */
static int
table_read_texts(const struct model_text *f, size_t n, struct shelter *out)
{
	struct sh_error err;

	if (n < MODEL_ROW_N) {
		log_warnx("table: a shelter row of %zu fields", n);
		return -1;
	}
	if (model_shelter_row(f, f + MODEL_ROW_N, n - MODEL_ROW_N, out, &err) ==
	    -1) {
		log_warnx("table: stored shelter %s refused: %s: %s",
		    out->id[0] != '\0' ? out->id : "?", err.field, err.message);
		return -1;
	}
	return 0;
}

/* table_read_fields: see table_row.h. */
int
table_read_fields(const char *const *v, const size_t *len, size_t n,
    struct shelter *out, long long *cseq)
{
	struct model_text f[MODEL_ROW_N + MODEL_POOL_MAX * MODEL_ROW_POOL_N];
	char *end;
	size_t i;

	*cseq = -1;
	if (n > sizeof f / sizeof f[0]) {
		log_warnx("table: a shelter row of %zu fields", n);
		return -1;
	}
	for (i = 0; i < n; i++)
		f[i] = len[i] > 0 ? (struct model_text){v[i], len[i]}
		                  : (struct model_text){NULL, 0};
	if (table_read_texts(f, n, out) == -1)
		return -1;
	if (len[MODEL_ROW_CSEQ] > 0) {
		*cseq = strtoll(v[MODEL_ROW_CSEQ], &end, 10);
		if (*end != '\0' || *cseq < 0)
			*cseq = -1;
	}
	return 0;
}

/* table_read_ids: see table_row.h. */
int
table_read_ids(const redisReply *m, char (**ids)[MODEL_ID_MAX + 1], size_t *n)
{
	size_t i;

	if (m->type != REDIS_REPLY_ARRAY || m->elements == 0)
		return 0;
	if ((*ids = calloc(m->elements, sizeof **ids)) == NULL) {
		log_warn("table: calloc");
		return -1;
	}
	for (i = 0; i < m->elements; i++) {
		if (m->element[i]->type != REDIS_REPLY_STRING ||
		    m->element[i]->len > MODEL_ID_MAX)
			return -1;
		memcpy((*ids)[i], m->element[i]->str, m->element[i]->len);
	}
	*n = m->elements;
	return 0;
}
