/*
 * match_blocks.c: building the blocks of match_run_top (match_top.c) with
 * the index, and keeping them as shelters and their live counts change.
 *
 * Every shelter has a small record of what bounds its key (languages as
 * bits, care, program, last report, occupancy score, free places per
 * gender); a block holds the same over its members, plus a circle around
 * them. A change recomputes the shelter's record and its two blocks.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/geo.h"
#include "shelter/match.h"

#include "match_blocks.h"
#include "match_index.h"
#include "match_internal.h"

/* match_blocks_spec: see match_blocks.h. */
unsigned
match_blocks_spec(unsigned m)
{
	unsigned out = 0, bit = 0;
	int k;

	for (k = 0; k < CARE_COUNT; k++)
		if (CARE_SPECIALISED & (1u << k)) {
			if (m & (1u << k))
				out |= 1u << bit;
			bit++;
		}
	return out & 15;
}

/* match_blocks_lang: see match_blocks.h. */
uint64_t
match_blocks_lang(struct match_top *t, lang_t l, bool add)
{
	int i;

	for (i = 0; i < t->nlangs; i++)
		if (t->langs[i] == l)
			return (uint64_t)1 << i;
	if (add && t->nlangs < TOP_LANGS) {
		t->langs[t->nlangs] = l;
		return (uint64_t)1 << t->nlangs++;
	}
	if (add)
		t->lang_overflow = true;
	return t->lang_overflow ? (uint64_t)1 << TOP_LANGS : 0;
}

/* match_blocks_members: see match_blocks.h. */
size_t
match_blocks_members(const struct match_top *t, size_t b, size_t *end)
{
	size_t start = b * TOP_B;

	*end = start + TOP_B < t->n ? start + TOP_B : t->n;
	return start;
}

/* The record of the shelter at position i, but its live counts. */
static void
top_member_static(struct match_top *t, size_t i)
{
	const struct shelter *s = t->sh[i];
	struct top_member *m = &t->mem[i];
	int k;

	m->langs = 0;
	for (k = 0; k < s->nlanguages && k < MODEL_LANG_MAX; k++)
		m->langs |= match_blocks_lang(t, s->languages[k], true);
	m->updated_at = s->updated_at;
	m->care = s->care;
	m->spec = match_blocks_spec(s->care);
	m->program = (int)s->program;
}

/* The live counts in the record of position i. */
static void
top_member_live(struct match_top *t, size_t i)
{
	const struct shelter *s = t->sh[i];
	struct top_member *m = &t->mem[i];
	int k, g, f;

	m->occupancy = match_score_occupancy(s);
	memset(m->free_max, 0, sizeof m->free_max);
	m->open_free = 0;
	for (k = 0; k < s->npools && k < MODEL_POOL_MAX; k++) {
		f = model_pool_free(&s->pools[k]);
		if (f > 0 && s->intake_open &&
		    (unsigned)s->program < PROGRAM_COUNT)
			m->open_free += f;
		for (g = 0; g < GENDER_COUNT; g++)
			if ((s->pools[k].genders & (1u << g)) &&
			    f > m->free_max[g])
				m->free_max[g] = f;
	}
}

/* Block b of set si from what its members are, but the live counts. */
static void
top_block_static(struct match_top *t, int si, size_t b)
{
	struct top_set *set = &t->set[si];
	struct top_block *k = &set->b[b];
	const struct shelter *s;
	const struct pool *p;
	double lat0 = 0, lat1 = 0, lon0 = 0, lon1 = 0, d;
	size_t j, end, start = match_blocks_members(t, b, &end);
	unsigned m, spec;
	int i, g, c;

	memset(k, 0, offsetof(struct top_block, occupancy_max));
	memset(k->care_min, 0xff, sizeof k->care_min);
	k->security_max = INT_MIN;
	k->updated_max = LLONG_MIN;
	k->rank_min = UINT32_MAX;
	for (j = start; j < end; j++) {
		s = t->sh[set->order[j]];
		if (j == start || s->location.lat < lat0)
			lat0 = s->location.lat;
		if (j == start || s->location.lat > lat1)
			lat1 = s->location.lat;
		if (j == start || s->location.lon < lon0)
			lon0 = s->location.lon;
		if (j == start || s->location.lon > lon1)
			lon1 = s->location.lon;
		k->langs |= t->mem[set->order[j]].langs;
		k->care_or |= s->care;
		spec = match_blocks_spec(s->care);
		for (m = 0; m < 16; m++)
			if (__builtin_popcount(spec & m) < k->care_min[m])
				k->care_min[m] =
				    (uint8_t)__builtin_popcount(spec & m);
		k->programs |= (unsigned)s->program < PROGRAM_COUNT
		    ? 1u << s->program
		    : 1u << PROGRAM_COUNT;
		if ((int)s->security > k->security_max)
			k->security_max = (int)s->security;
		if (s->updated_at > k->updated_max)
			k->updated_max = s->updated_at;
		for (i = 0; i < s->npools && i < MODEL_POOL_MAX; i++) {
			p = &s->pools[i];
			c = p->children_max < 0          ? 0
			    : p->children_max > TOP_KIDS ? TOP_KIDS
			                                 : p->children_max;
			for (g = 0; g < GENDER_COUNT; g++)
				if (p->genders & (1u << g))
					k->kids[g] |= (uint32_t)1 << c;
		}
		if (t->rank[set->order[j]] < k->rank_min)
			k->rank_min = t->rank[set->order[j]];
	}
	k->lat = (lat0 + lat1) / 2;
	k->lon = (lon0 + lon1) / 2;
	for (j = start; j < end; j++) {
		s = t->sh[set->order[j]];
		d = geo_distance_km(
		    k->lat, k->lon, s->location.lat, s->location.lon);
		if (d > k->radius_km)
			k->radius_km = d;
	}
	k->radius_km += TOP_EPS_KM;
}

/* The live counts of block b of set si. */
static void
top_block_live(struct match_top *t, int si, size_t b)
{
	struct top_set *set = &t->set[si];
	struct top_block *k = &set->b[b];
	const struct top_member *m;
	size_t j, end, start = match_blocks_members(t, b, &end);
	int g;

	k->occupancy_max = 0;
	memset(k->free_max, 0, sizeof k->free_max);
	memset(k->program_free, 0, sizeof k->program_free);
	for (j = start; j < end; j++) {
		m = &t->mem[set->order[j]];
		if (m->occupancy > k->occupancy_max)
			k->occupancy_max = m->occupancy;
		for (g = 0; g < GENDER_COUNT; g++)
			if (m->free_max[g] > k->free_max[g])
				k->free_max[g] = m->free_max[g];
		if (m->open_free > 0)
			k->program_free[m->program] += m->open_free;
	}
}

/* Free t and what it holds. */
static void
top_free(struct match_top *t)
{
	int si;

	if (t == NULL)
		return;
	for (si = 0; si < TOP_SETS; si++) {
		free(t->set[si].order);
		free(t->set[si].block);
		free(t->set[si].b);
	}
	free(t->sh);
	free(t->mem);
	free(t->rank);
	free(t->byid);
	free(t->mark);
	free(t->bound);
	free(t->left);
	free(t);
}

/* match_blocks_free: see match_index.h. */
void
match_blocks_free(struct match_index *idx)
{
	top_free(idx->top);
	idx->top = NULL;
}

static const struct shelter *const *top_sort_sh; /* for the comparators */
static const uint64_t *top_sort_key;

static int
top_cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(top_sort_sh[x]->id, top_sort_sh[y]->id);

	return c != 0 ? c : (x > y) - (x < y);
}

static int
top_cmp_key(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t kx = top_sort_key[x], ky = top_sort_key[y];

	return kx != ky ? (kx > ky) - (kx < ky) : (x > y) - (x < y);
}

/* Bits of v spread to the even bits of a 32-bit word. */
static uint64_t
top_spread(uint32_t v)
{
	uint64_t x = v & 0xffff;

	x = (x | x << 8) & 0x00ff00ff;
	x = (x | x << 4) & 0x0f0f0f0f;
	x = (x | x << 2) & 0x33333333;
	x = (x | x << 1) & 0x55555555;
	return x;
}

/* Set TOP_PLACE's order: a Morton curve over the shelters' box. */
static int
top_order_place(struct match_top *t, uint32_t *order)
{
	uint64_t *key;
	double lat0 = 0, lat1 = 0, lon0 = 0, lon1 = 0, a, o;
	const struct location *l;
	size_t i;

	if ((key = calloc(t->n ? t->n : 1, sizeof *key)) == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		l = &t->sh[i]->location;
		if (i == 0 || l->lat < lat0)
			lat0 = l->lat;
		if (i == 0 || l->lat > lat1)
			lat1 = l->lat;
		if (i == 0 || l->lon < lon0)
			lon0 = l->lon;
		if (i == 0 || l->lon > lon1)
			lon1 = l->lon;
	}
	for (i = 0; i < t->n; i++) {
		l = &t->sh[i]->location;
		a = lat1 > lat0 ? (l->lat - lat0) / (lat1 - lat0) * 65535 : 0;
		o = lon1 > lon0 ? (l->lon - lon0) / (lon1 - lon0) * 65535 : 0;
		key[i] = top_spread((uint32_t)(a >= 0 && a <= 65535 ? a : 0)) |
		    top_spread((uint32_t)(o >= 0 && o <= 65535 ? o : 0)) << 1;
		order[i] = (uint32_t)i;
	}
	top_sort_key = key;
	qsort(order, t->n, sizeof *order, top_cmp_key);
	top_sort_key = NULL;
	free(key);
	return 0;
}

/* Set TOP_KIND's order: by what the filters and the scores but the live
 * ones read (program, care, security, languages), then id, so a block
 * holds shelters alike and bounds them closely. */
static int
top_order_kind(struct match_top *t, uint32_t *order)
{
	uint64_t *key, l;
	const struct top_member *m;
	size_t i;

	if ((key = calloc(t->n ? t->n : 1, sizeof *key)) == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		m = &t->mem[i];
		l = m->langs * 0x9e3779b97f4a7c15ULL >> 50;
		key[i] = (uint64_t)((unsigned)m->program & 15) << 60 |
		    (uint64_t)(m->care & 0xff) << 52 |
		    (uint64_t)((unsigned)t->sh[i]->security & 3) << 50 |
		    (l & 0x3ffff) << 32 | t->rank[i];
		order[i] = (uint32_t)i;
	}
	top_sort_key = key;
	qsort(order, t->n, sizeof *order, top_cmp_key);
	top_sort_key = NULL;
	free(key);
	return 0;
}

/* match_blocks_build: see match_index.h. */
int
match_blocks_build(
    struct match_index *idx, const struct shelter *const *shelters, size_t n)
{
	struct match_top *t;
	size_t i, b, nb = (n + TOP_B - 1) / TOP_B;
	bool sorted = true;
	int si;

	match_blocks_free(idx);
	if (n >= UINT32_MAX || (t = calloc(1, sizeof *t)) == NULL)
		return -1;
	t->n = n;
	t->sh = calloc(n ? n : 1, sizeof *t->sh);
	t->mem = calloc(n ? n : 1, sizeof *t->mem);
	t->rank = calloc(n ? n : 1, sizeof *t->rank);
	t->byid = calloc(n ? n : 1, sizeof *t->byid);
	t->mark = calloc(nb ? nb : 1, 1);
	t->bound = calloc(nb ? nb : 1, sizeof *t->bound);
	t->left = calloc(n / 64 + 1, sizeof *t->left);
	for (si = 0; si < TOP_SETS; si++) {
		t->set[si].order = calloc(n ? n : 1, sizeof(uint32_t));
		t->set[si].block = calloc(n ? n : 1, sizeof(uint32_t));
		t->set[si].b = calloc(nb ? nb : 1, sizeof(struct top_block));
		t->set[si].nblocks = nb;
		if (t->set[si].order == NULL || t->set[si].block == NULL ||
		    t->set[si].b == NULL)
			goto fail;
	}
	if (t->sh == NULL || t->mem == NULL || t->rank == NULL ||
	    t->byid == NULL || t->mark == NULL || t->bound == NULL ||
	    t->left == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		t->sh[i] = shelters[i];
		t->byid[i] = (uint32_t)i;
		if (i > 0 && strcmp(shelters[i - 1]->id, shelters[i]->id) >= 0)
			sorted = false;
	}
	if (!sorted) {
		top_sort_sh = shelters;
		qsort(t->byid, n, sizeof *t->byid, top_cmp_id);
		top_sort_sh = NULL;
	}
	for (i = 0; i < n; i++) {
		t->rank[t->byid[i]] = (uint32_t)i;
		top_member_static(t, i);
		top_member_live(t, i);
	}
	if (top_order_kind(t, t->set[TOP_KIND].order) == -1 ||
	    top_order_place(t, t->set[TOP_PLACE].order) == -1)
		goto fail;
	for (si = 0; si < TOP_SETS; si++) {
		for (i = 0; i < n; i++)
			t->set[si].block[t->set[si].order[i]] =
			    (uint32_t)(i / TOP_B);
		for (b = 0; b < nb; b++) {
			top_block_static(t, si, b);
			top_block_live(t, si, b);
		}
	}
	idx->top = t;
	return 0;
fail:
	top_free(t);
	return -1;
}

/* match_blocks_set: see match_index.h. */
void
match_blocks_set(struct match_index *idx, size_t i, const struct shelter *s)
{
	struct match_top *t = idx->top;
	int si;

	if (t == NULL || i >= t->n)
		return;
	t->sh[i] = s;
	top_member_static(t, i);
	top_member_live(t, i);
	for (si = 0; si < TOP_SETS; si++) {
		top_block_static(t, si, t->set[si].block[i]);
		top_block_live(t, si, t->set[si].block[i]);
	}
}

/* match_blocks_counts: see match_blocks.h. */
void
match_blocks_counts(struct match_index *idx, size_t i, const struct shelter *s)
{
	struct match_top *t = idx->top;
	int si;

	if (t == NULL || i >= t->n)
		return;
	t->sh[i] = s;
	top_member_live(t, i);
	for (si = 0; si < TOP_SETS; si++)
		top_block_live(t, si, t->set[si].block[i]);
}

/* The positions in id order with id: [*lo, return value). */
static size_t
top_find(const struct match_top *t, const char *id, size_t *lo)
{
	size_t a = 0, b = t->n, mid;

	while (a < b) { /* the first place in id order >= id */
		mid = a + (b - a) / 2;
		if (strcmp(t->sh[t->byid[mid]]->id, id) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	while (b < t->n && strcmp(t->sh[t->byid[b]]->id, id) == 0)
		b++;
	return b;
}

/* match_lists_find: see match_internal.h. */
int
match_lists_find(const struct match_index *idx,
    const struct shelter *const *shelters, const struct match_input *in,
    struct match_lists *out)
{
	const struct match_top *t = idx != NULL ? idx->top : NULL;
	const char *const *ids[MATCH_LISTS] = {
	    in->rejected, in->case_shelters, in->case_apart};
	size_t n[MATCH_LISTS] = {
	    in->nrejected, in->ncase_shelters, in->ncase_apart};
	size_t k = 0, i, lo, hi;
	int l;

	if (t == NULL)
		return -1;
	for (l = 0; l < MATCH_LISTS; l++) {
		out->start[l] = k;
		for (i = 0; ids[l] != NULL && i < n[l]; i++) {
			if (ids[l][i] == NULL)
				continue;
			for (hi = top_find(t, ids[l][i], &lo); lo < hi; lo++) {
				if (k == MATCH_LISTED_MAX)
					return -1;
				out->sh[k++] = shelters[t->byid[lo]];
			}
		}
	}
	out->start[MATCH_LISTS] = k;
	return 0;
}
