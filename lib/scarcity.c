/*
 * scarcity.c: the scarcity scorer and the per-program free places of the
 * raid reserve (see include/shelter/match.h for the formulas).
 *
 * Scarcity is relative: a place scores lower only when this request has
 * another candidate that others need less, so a request with one kind of
 * option keeps the ranking it had without the scorer.
 */
#include <string.h>

#include "scarcity.h"

/* The three ways a place can be needed more by others than another one. */
struct scarcity_facts {
	bool open_program; /* a program without eligibility rules */
	int spare;         /* children places the household leaves unused */
	int unneeded_care; /* specialised tags the request does not use */
};

static void
scarcity_facts(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, struct scarcity_facts *f)
{
	const struct shelter *s = c->shelter;
	unsigned extra = s->care & CARE_SPECIALISED & ~(r->needs | r->prefers);

	f->open_program = (unsigned)s->program >= PROGRAM_COUNT ||
	    !opt->programs[s->program].set;
	f->spare = s->pools[c->pool].children_max - r->nchildren;
	f->unneeded_care = __builtin_popcount(extra);
}

/* scarcity_score: see scarcity.h. */
void
scarcity_score(const struct request *r, const struct match_options *opt,
    struct match_candidate *c, size_t n)
{
	struct scarcity_facts f;
	bool any_ruled = false;
	int min_spare = 0, min_care = 0, v;
	size_t i;

	for (i = 0; i < n; i++) {
		scarcity_facts(r, opt, &c[i], &f);
		if (!f.open_program)
			any_ruled = true;
		if (i == 0 || f.spare < min_spare)
			min_spare = f.spare;
		if (i == 0 || f.unneeded_care < min_care)
			min_care = f.unneeded_care;
	}
	for (i = 0; i < n; i++) {
		scarcity_facts(r, opt, &c[i], &f);
		v = 100;
		if (f.open_program && any_ruled)
			v -= 50;
		if (f.spare > min_spare)
			v -= 25;
		if (f.unneeded_care > min_care)
			v -= 25;
		c[i].scores[SCORER_SCARCITY] = v;
	}
}

/* scarcity_program_free: see scarcity.h. */
void
scarcity_program_free(
    const struct shelter *const *shelters, size_t n, long long *out)
{
	const struct shelter *s;
	size_t i;
	int j, f;

	memset(out, 0, PROGRAM_COUNT * sizeof *out);
	for (i = 0; i < n; i++) {
		s = shelters[i];
		if (!s->intake_open || (unsigned)s->program >= PROGRAM_COUNT)
			continue;
		for (j = 0; j < s->npools && j < MODEL_POOL_MAX; j++) {
			f = model_pool_free(&s->pools[j]);
			if (f > 0)
				out[s->program] += f;
		}
	}
}
