/*
 * claims.c: the places one waitlist pass has claimed (shelter/claims.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/claims.h"

#include "scarcity.h"

void
claims_reset(struct claims *c, long long free_places)
{
	if (c->v != NULL)
		memset(c->v, 0, c->cap * sizeof *c->v);
	c->n = 0;
	c->left = free_places;
	c->skipped = 0;
	memset(c->program_left, 0, sizeof c->program_left);
}

long long
claims_free_total(const struct shelter *const *v, size_t n)
{
	long long sum = 0;
	size_t i;
	int k, f;

	for (i = 0; i < n; i++)
		for (k = 0; k < v[i]->npools; k++)
			if ((f = model_pool_free(&v[i]->pools[k])) > 0)
				sum += f;
	return sum;
}

static size_t
claims_hash(const struct shelter *s, int pool, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ull;

	return (size_t)((h ^ (h >> 29)) + (uint64_t)pool) & (cap - 1);
}

/* The slot of (s, pool): its claim, or the free slot it would take. */
static struct claim *
claims_slot(const struct claims *c, const struct shelter *s, int pool)
{
	size_t i = claims_hash(s, pool, c->cap);

	while (c->v[i].shelter != NULL &&
	    (c->v[i].shelter != s || c->v[i].pool != pool))
		i = (i + 1) & (c->cap - 1);
	return &c->v[i];
}

/* Room for one more claim, at most half full. 0, or -1 on ENOMEM. */
static int
claims_grow(struct claims *c)
{
	struct claim *old = c->v, *v;
	size_t i, ocap = c->cap, cap = ocap ? ocap * 2 : 64;

	if (2 * (c->n + 1) <= ocap)
		return 0;
	if ((v = calloc(cap, sizeof *v)) == NULL)
		return -1;
	c->v = v;
	c->cap = cap;
	for (i = 0; i < ocap; i++)
		if (old[i].shelter != NULL)
			*claims_slot(c, old[i].shelter, old[i].pool) = old[i];
	free(old);
	return 0;
}

/* Places of pool k of s not claimed yet. */
static int
claims_left_in(const struct claims *c, const struct shelter *s, int k)
{
	const struct claim *cl = c->cap ? claims_slot(c, s, k) : NULL;

	return cl != NULL && cl->shelter != NULL
	    ? cl->left
	    : model_pool_free(&s->pools[k]);
}

void
claims_count_programs(
    struct claims *c, const struct shelter *const *v, size_t n)
{
	scarcity_program_free(v, n, c->program_left);
}

size_t
claims_keep_reserve(
    const struct claims *c, struct match_result *res, const int *reserve)
{
	size_t i, k = 0;
	int p;

	for (i = 0; i < res->ncandidates; i++) {
		p = (int)res->candidates[i].shelter->program;
		if (p >= 0 && p < PROGRAM_COUNT && reserve[p] > 0 &&
		    c->program_left[p] <= reserve[p])
			continue;
		if (k != i)
			res->candidates[k] = res->candidates[i];
		k++;
	}
	res->ncandidates = res->eligible = k;
	return k;
}

int
claims_take(struct claims *c, const struct match_result *res)
{
	const struct match_candidate *cand;
	struct claim *cl;
	size_t i;
	int j, k;

	for (i = 0; i < res->ncandidates; i++) {
		cand = &res->candidates[i];
		for (j = 0; j < cand->npools; j++) {
			k = cand->pools[j];
			if (claims_left_in(c, cand->shelter, k) <= 0)
				continue;
			if (claims_grow(c) == -1)
				return -2;
			cl = claims_slot(c, cand->shelter, k);
			if (cl->shelter == NULL) {
				*cl = (struct claim){cand->shelter, k,
				    model_pool_free(&cand->shelter->pools[k])};
				c->n++;
			}
			cl->left--;
			c->left--;
			if ((unsigned)cand->shelter->program < PROGRAM_COUNT)
				c->program_left[cand->shelter->program]--;
			return (int)i;
		}
	}
	c->skipped++;
	return -1;
}

void
claims_free(struct claims *c)
{
	free(c->v);
	memset(c, 0, sizeof *c);
}
