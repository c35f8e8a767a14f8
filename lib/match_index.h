/*
 * match_index.h: the shelter index and the deferred explanation, for
 * match.c (lib/ only; the public side is in include/shelter/match.h).
 */
#ifndef SHELTER_MATCH_INDEX_H
#define SHELTER_MATCH_INDEX_H

#include <stdint.h>

#include "shelter/match.h"

/* Bitsets a shelter must be in every one of, and in one of. */
struct match_query {
	const uint64_t *all[5 + CARE_COUNT];
	int nall;
	const uint64_t *any[PROGRAM_COUNT + 1];
	int nany;
};

/*
 * The query of r: the shelters that may pass intake_closed, security,
 * care and household for it, and whose program is one of the bits
 * `programs` (1u << PROGRAM_x: those that pass program and eligibility) or
 * outside the known programs.
 */
void match_index_query(const struct match_index *idx, const struct request *r,
    unsigned programs, struct match_query *q);

/* Word w of q's shelters: bit b is position 64 w + b. */
static inline uint64_t
match_query_word(const struct match_query *q, size_t w)
{
	uint64_t all = ~(uint64_t)0, any = 0;
	int k;

	for (k = 0; k < q->nall; k++)
		all &= q->all[k][w];
	for (k = 0; k < q->nany && all != 0; k++)
		any |= q->any[k][w];
	return all & any;
}

/*
 * scarcity_program_free for the programs in `programs` only (the others
 * are left 0), visiting only the open shelters of those programs.
 */
void match_index_program_free(const struct match_index *idx,
    const struct shelter *const *shelters, unsigned programs, long long *out);

/*
 * The blocks of match_blocks.c: built for shelters[0..n) with the bitsets
 * (0, or -1 on ENOMEM: idx->top is then NULL and match_run_top falls back
 * to match_run_indexed), shelter i indexed again (same id), freed.
 */
int match_blocks_build(
    struct match_index *idx, const struct shelter *const *shelters, size_t n);
void match_blocks_set(
    struct match_index *idx, size_t i, const struct shelter *s);
void match_blocks_free(struct match_index *idx);

/* What match_explain needs to run the full match later. */
struct match_lazy {
	bool pending;
	const struct shelter *const *shelters;
	size_t n;
	struct request req;
	struct match_options opt;
	bool has_in;
	struct match_input in;
	const char **ids; /* in's three arrays, one after the other */
	size_t cap_ids;
	char *text; /* the ids' characters */
	size_t cap_text;
};

/*
 * Keep copies of the inputs in res->lazy (allocated once, then reused) and
 * mark the explanation pending. 0, or -1 on ENOMEM.
 */
int match_lazy_save(struct match_result *res,
    const struct shelter *const *shelters, size_t n, const struct request *req,
    const struct match_input *in, const struct match_options *opt);

/* Free res->lazy and what it holds. */
void match_lazy_free(struct match_result *res);

#endif
