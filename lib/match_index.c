/*
 * match_index.c: the shelter index match_run_indexed scores through, and
 * the explanation it leaves for later.
 *
 * One bitset per fact a static filter reads (open for intake, program,
 * security level, care tag, a pool for the gender, for a minor, for k
 * children), bit i for the shelter at position i. A request ANDs the ones
 * it needs and ORs the programs it may go to: what is left is every
 * shelter that can pass those filters (and a few that fail on a
 * combination no single bitset sees, which the filters then drop), in
 * table order, so ranking ties come out as with a full pass.
 */
#include <stdlib.h>
#include <string.h>

#include "shelter/geo.h"
#include "shelter/match.h"

#include "match_blocks.h"
#include "match_index.h"

enum {
	IX_OPEN,
	IX_PROGRAM,                                    /* PROGRAM_COUNT sets */
	IX_PROGRAM_OTHER = IX_PROGRAM + PROGRAM_COUNT, /* out of range */
	IX_SECURITY,                                   /* security >= level */
	IX_CARE = IX_SECURITY + SECURITY_SECRET + 1,
	IX_GENDER = IX_CARE + CARE_COUNT,    /* a pool takes the gender */
	IX_MINOR = IX_GENDER + GENDER_COUNT, /* a pool from under 18 */
	IX_CHILDREN,                         /* a pool for >= k children */
	IX_COUNT = IX_CHILDREN + MODEL_CHILD_MAX
};

static uint64_t *
match_index_set_of(const struct match_index *idx, int k)
{
	return idx->bits + (size_t)k * idx->words;
}

/* Prepare idx: empty, no buffers. */
void
match_index_init(struct match_index *idx)
{
	memset(idx, 0, sizeof *idx);
}

/* Free idx's buffers; it may be initialised again afterwards. */
void
match_index_free(struct match_index *idx)
{
	match_blocks_free(idx);
	free(idx->bits);
	free(idx->coslat);
	memset(idx, 0, sizeof *idx);
}

/* match_index_set: see match.h. */
void
match_index_set(struct match_index *idx, size_t i, const struct shelter *s)
{
	const uint64_t bit = (uint64_t)1 << (i % 64);
	uint64_t *w = idx->bits + i / 64;
	const struct pool *p;
	int k, j, c;

	if (i >= idx->n)
		return;
	for (k = 0; k < IX_COUNT; k++)
		w[(size_t)k * idx->words] &= ~bit;
#define MATCH_INDEX_ON(set) (w[(size_t)(set)*idx->words] |= bit)
	if (s->intake_open)
		MATCH_INDEX_ON(IX_OPEN);
	if ((unsigned)s->program < PROGRAM_COUNT)
		MATCH_INDEX_ON(IX_PROGRAM + s->program);
	else
		MATCH_INDEX_ON(IX_PROGRAM_OTHER);
	for (k = 0; k <= SECURITY_SECRET; k++)
		if ((int)s->security >= k)
			MATCH_INDEX_ON(IX_SECURITY + k);
	for (k = 0; k < CARE_COUNT; k++)
		if (s->care & (1u << k))
			MATCH_INDEX_ON(IX_CARE + k);
	for (j = 0; j < s->npools && j < MODEL_POOL_MAX; j++) {
		p = &s->pools[j];
		for (k = 0; k < GENDER_COUNT; k++)
			if (p->genders & (1u << k))
				MATCH_INDEX_ON(IX_GENDER + k);
		if (p->min_age < 18)
			MATCH_INDEX_ON(IX_MINOR);
		c = p->children_max < MODEL_CHILD_MAX ? p->children_max
		                                      : MODEL_CHILD_MAX;
		for (k = 1; k <= c; k++)
			MATCH_INDEX_ON(IX_CHILDREN + k - 1);
	}
#undef MATCH_INDEX_ON
	idx->coslat[i] = geo_cos_lat(s->location.lat);
	match_blocks_set(idx, i, s);
}

/* match_index_counts: see match.h. */
void
match_index_counts(struct match_index *idx, size_t i, const struct shelter *s)
{
	match_blocks_counts(idx, i, s);
}

/* match_index_build: see match.h. */
int
match_index_build(
    struct match_index *idx, const struct shelter *const *shelters, size_t n)
{
	size_t words = n / 64 + 1, i;
	uint64_t *b;
	double *c;

	if (words > SIZE_MAX / IX_COUNT / sizeof *b ||
	    words > SIZE_MAX / 64 / sizeof *c) {
		match_index_free(idx);
		return -1;
	}
	if (idx->cap_words < words) {
		b = malloc(words * IX_COUNT * sizeof *b);
		c = malloc(words * 64 * sizeof *c);
		if (b == NULL || c == NULL) {
			free(b);
			free(c);
			match_index_free(idx);
			return -1;
		}
		free(idx->bits);
		free(idx->coslat);
		idx->bits = b;
		idx->coslat = c;
		idx->cap_words = words;
	}
	idx->words = words;
	idx->n = n;
	/* Ranking ties are then in id order without comparing ids. */
	idx->by_id = true;
	for (i = 1; i < n && idx->by_id; i++)
		if (strcmp(shelters[i - 1]->id, shelters[i]->id) >= 0)
			idx->by_id = false;
	memset(idx->bits, 0, words * IX_COUNT * sizeof *idx->bits);
	match_blocks_free(idx);
	for (i = 0; i < n; i++)
		match_index_set(idx, i, shelters[i]);
	/* Without the blocks match_run_top ranks every candidate. */
	match_blocks_build(idx, shelters, n);
	return 0;
}

/* match_index_query: see match_index.h. */
void
match_index_query(const struct match_index *idx, const struct request *r,
    unsigned programs, struct match_query *q)
{
	int k;

	q->nall = q->nany = 0;
	q->all[q->nall++] = match_index_set_of(idx, IX_OPEN);
	/* Out of range: no restriction (the filters still run). */
	if (r->min_security > SECURITY_STANDARD &&
	    r->min_security <= SECURITY_SECRET)
		q->all[q->nall++] =
		    match_index_set_of(idx, IX_SECURITY + r->min_security);
	for (k = 0; k < CARE_COUNT; k++)
		if (r->needs & (1u << k))
			q->all[q->nall++] =
			    match_index_set_of(idx, IX_CARE + k);
	if ((unsigned)r->gender < GENDER_COUNT)
		q->all[q->nall++] =
		    match_index_set_of(idx, IX_GENDER + r->gender);
	if (r->age < 18)
		q->all[q->nall++] = match_index_set_of(idx, IX_MINOR);
	if (r->nchildren > 0 && r->nchildren <= MODEL_CHILD_MAX)
		q->all[q->nall++] =
		    match_index_set_of(idx, IX_CHILDREN + r->nchildren - 1);
	for (k = 0; k < PROGRAM_COUNT; k++)
		if (programs & (1u << k))
			q->any[q->nany++] =
			    match_index_set_of(idx, IX_PROGRAM + k);
	q->any[q->nany++] = match_index_set_of(idx, IX_PROGRAM_OTHER);
}

/* match_index_program_free: see match_index.h. */
void
match_index_program_free(const struct match_index *idx,
    const struct shelter *const *shelters, unsigned programs, long long *out)
{
	const uint64_t *open = match_index_set_of(idx, IX_OPEN), *prog;
	const struct shelter *s;
	uint64_t m;
	size_t w;
	int p, j, f;

	memset(out, 0, PROGRAM_COUNT * sizeof *out);
	for (p = 0; p < PROGRAM_COUNT; p++) {
		if (!(programs & (1u << p)))
			continue;
		prog = match_index_set_of(idx, IX_PROGRAM + p);
		for (w = 0; w < idx->words; w++)
			for (m = open[w] & prog[w]; m != 0; m &= m - 1) {
				s = shelters[w * 64 +
				    (size_t)__builtin_ctzll(m)];
				for (j = 0; j < s->npools && j < MODEL_POOL_MAX;
				     j++) {
					f = model_pool_free(&s->pools[j]);
					if (f > 0)
						out[p] += f;
				}
			}
	}
}

/* Room for n ids and len characters in l. 0 or -1. */
static int
match_lazy_room(struct match_lazy *l, size_t n, size_t len)
{
	const char **ids;
	char *text;

	if (l->cap_ids < n) {
		if ((ids = reallocarray(l->ids, n, sizeof *ids)) == NULL)
			return -1;
		l->ids = ids;
		l->cap_ids = n;
	}
	if (l->cap_text < len) {
		if ((text = realloc(l->text, len)) == NULL)
			return -1;
		l->text = text;
		l->cap_text = len;
	}
	return 0;
}

/* Copy ids[0..n) into l's buffers at *k (ids) and *off (text). */
static const char *const *
match_lazy_copy(struct match_lazy *l, const char *const *ids, size_t n,
    size_t *k, size_t *off)
{
	const char **out;
	size_t i, len;

	if (n == 0)
		return NULL;
	out = l->ids + *k;
	for (i = 0; i < n; i++) {
		if (ids[i] == NULL) {
			out[i] = NULL;
			continue;
		}
		len = strlen(ids[i]) + 1;
		memcpy(l->text + *off, ids[i], len);
		out[i] = l->text + *off;
		*off += len;
	}
	*k += n;
	return out;
}

/* match_lazy_save: see match_index.h. */
int
match_lazy_save(struct match_result *res, const struct shelter *const *shelters,
    size_t n, const struct request *req, const struct match_input *in,
    const struct match_options *opt)
{
	const char *const *lists[3];
	size_t counts[3], nids = 0, len = 0, i, j, k = 0, off = 0;
	struct match_lazy *l = res->lazy;

	if (l == NULL) {
		if ((l = calloc(1, sizeof *l)) == NULL)
			return -1;
		res->lazy = l;
	}
	l->pending = false;
	l->has_in = in != NULL;
	if (in != NULL) {
		lists[0] = in->rejected;
		counts[0] = in->nrejected;
		lists[1] = in->case_shelters;
		counts[1] = in->ncase_shelters;
		lists[2] = in->case_apart;
		counts[2] = in->ncase_apart;
		for (i = 0; i < 3; i++) {
			if (lists[i] == NULL)
				counts[i] = 0;
			nids += counts[i];
			for (j = 0; j < counts[i]; j++)
				if (lists[i][j] != NULL)
					len += strlen(lists[i][j]) + 1;
		}
		if (match_lazy_room(l, nids, len) == -1)
			return -1;
		l->in.nrejected = counts[0];
		l->in.rejected =
		    match_lazy_copy(l, lists[0], counts[0], &k, &off);
		l->in.ncase_shelters = counts[1];
		l->in.case_shelters =
		    match_lazy_copy(l, lists[1], counts[1], &k, &off);
		l->in.ncase_apart = counts[2];
		l->in.case_apart =
		    match_lazy_copy(l, lists[2], counts[2], &k, &off);
	}
	l->shelters = shelters;
	l->n = n;
	l->req = *req;
	l->opt = *opt;
	l->pending = true;
	return 0;
}

/* match_lazy_free: see match_index.h. */
void
match_lazy_free(struct match_result *res)
{
	if (res->lazy == NULL)
		return;
	free(res->lazy->ids);
	free(res->lazy->text);
	free(res->lazy);
	res->lazy = NULL;
}
