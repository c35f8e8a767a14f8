/*
 * scarcity.c: the scarcity scorer and the per-program free places of the
 * raid reserve (see include/shelter/match.h for the formulas).
 *
 * Scarcity is relative: a place scores lower only when this request has
 * another candidate that others need less, so a request with one kind of
 * option keeps the ranking it had without the scorer.
 */
#include <string.h>

#include "match_internal.h"
#include "scarcity.h"

/* scarcity_facts: see scarcity.h. */
void
scarcity_facts(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, struct scarcity_facts *f)
{
	const struct shelter *s = c->shelter;
	unsigned extra = s->care & CARE_SPECIALISED & ~(r->needs | r->prefers);

	f->open_program = (unsigned)s->program >= PROGRAM_COUNT ||
	    !opt->programs[s->program].set;
	f->spare = s->pools[c->pool].children_max - r->nchildren;
	f->unneeded_care = match_popcount(extra);
}

static void
scarcity_note_facts(const struct scarcity_facts *f, struct scarcity_min *m)
{
	if (!f->open_program)
		m->any_ruled = true;
	if (m->n == 0 || f->spare < m->min_spare)
		m->min_spare = f->spare;
	if (m->n == 0 || f->unneeded_care < m->min_care)
		m->min_care = f->unneeded_care;
	m->n++;
}

static int
scarcity_of_facts(const struct scarcity_facts *f, const struct scarcity_min *m)
{
	int v = 100;

	if (f->open_program && m->any_ruled)
		v -= 50;
	if (f->spare > m->min_spare)
		v -= 25;
	if (f->unneeded_care > m->min_care)
		v -= 25;
	return v;
}

/* scarcity_note: see scarcity.h. */
void
scarcity_note(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, struct scarcity_min *m)
{
	struct scarcity_facts f;

	scarcity_facts(r, opt, c, &f);
	scarcity_note_facts(&f, m);
}

/* scarcity_of: see scarcity.h. */
int
scarcity_of(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, const struct scarcity_min *m)
{
	struct scarcity_facts f;

	scarcity_facts(r, opt, c, &f);
	return scarcity_of_facts(&f, m);
}

/* scarcity_score: see scarcity.h. */
void
scarcity_score(
    struct match_candidate *c, const struct scarcity_facts *f, size_t n)
{
	struct scarcity_min m = {0};
	size_t i;

	for (i = 0; i < n; i++)
		scarcity_note_facts(&f[i], &m);
	for (i = 0; i < n; i++)
		c[i].scores[SCORER_SCARCITY] = scarcity_of_facts(&f[i], &m);
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
