/*
 * claims.h: the places one waitlist pass has sent proposals for
 * (lib/claims.c), so it sends no proposal the table says cannot be met.
 *
 * A pass matches every waiting request against the same table and sends
 * shd_propose for each that fits; the table only learns of the holds
 * those calls take when their events come back. With one free place and
 * 200 requests that fit it, 200 calls went to the store and 199 failed.
 * A pass claims, for each request it proposes for, the first place of its
 * ranking it has not claimed yet, and sends nothing for a request all of
 * whose places are claimed. Counts are taken from the table when a place
 * is first claimed: the holds a pass's own calls take, arriving meanwhile,
 * are not counted twice.
 */
#ifndef SHELTER_CLAIMS_H
#define SHELTER_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "shelter/match.h"

struct claim {
	const struct shelter *shelter; /* NULL: a free slot */
	int pool;
	int left; /* free places when first claimed, less the claims since */
};

struct claims {
	struct claim *v; /* open addressing, cap a power of two */
	size_t n, cap;
	long long left; /* free places in the table not claimed yet */
	size_t skipped; /* requests sent nothing: their places were claimed */
	/* Free places of open shelters per program not claimed yet, as the
	 * reserved filter counts them (claims_count_programs). */
	long long program_left[PROGRAM_COUNT];
};

/*
 * A new pass: no claims, free places in the table (every pool's free
 * places above zero, summed: claims_free_total).
 */
void claims_reset(struct claims *c, long long free_places);
/* The free places of the shelters in v, pools below zero counted as 0. */
long long claims_free_total(const struct shelter *const *v, size_t n);
/* program_left from the shelters in v (open for intake), at a reset. */
void claims_count_programs(
    struct claims *c, const struct shelter *const *v, size_t n);
/*
 * matching.reserve across one pass: drop from res the candidates of every
 * program whose places left unclaimed are no more than reserve[program]
 * (a request the reserve applies to, not urgency immediate), as the
 * reserved filter would once the pass's own holds are in the table.
 * Returns the candidates left (res->ncandidates).
 */
size_t claims_keep_reserve(
    const struct claims *c, struct match_result *res, const int *reserve);
/*
 * Claim the first place of res's ranking not claimed yet (the first pool
 * of its candidate with places left): the candidate's index; -1 when
 * every place is claimed (the request is counted in skipped); -2 on
 * ENOMEM (nothing claimed: propose anyway).
 */
int claims_take(struct claims *c, const struct match_result *res);
/* Is no place of the table left to claim? */
static inline bool
claims_exhausted(const struct claims *c)
{
	return c->left <= 0;
}
void claims_free(struct claims *c);

#endif
