/*
 * assign_together.c: co-victims who asked to stay together, brought to one
 * shelter after the optimum (docs/assign.md, "together").
 *
 * The flow maximises a total of scores matched before the batch: each
 * `together` request scored its shelters as if none of its batch-mates
 * were there, so two of them went wherever each scored best alone. Here,
 * case by case in input order, every shelter that holds one of a case's
 * placed `together` members is tried as their common one: each member
 * elsewhere moves to its best option there with a place still free
 * (none: it stays), never into a shelter that holds a member of the case
 * who says apart. A `together` member who shares its shelter with another
 * scores its option's together score. The trial that raises the batch's
 * total most is kept. Nobody loses a place, so the count of level 1
 * holds, and the total only rises; it is a greedy pass, not an optimum
 * over every assignment.
 */
#include <string.h>

#include "shelter/assign.h"

#include "assign_internal.h"

#define EPS 1e-9

/* Is request i a together member of a case? */
static bool
assign_is_together(const struct assign_problem *p, int i)
{
	return p->requests[i].co_victims == CO_VICTIMS_TOGETHER &&
	    p->requests[i].case_id != NULL;
}

static bool
assign_same_case(const struct assign_problem *p, int i, int j)
{
	return p->requests[i].case_id != NULL &&
	    p->requests[j].case_id != NULL &&
	    strcmp(p->requests[i].case_id, p->requests[j].case_id) == 0;
}

/* Does i share its shelter with another together member of its case? */
static bool
assign_kin(
    const struct assign_problem *p, const struct assign_choice *ch, int i)
{
	int j;

	if (ch[i].option < 0 || !assign_is_together(p, i))
		return false;
	for (j = 0; j < p->nrequests; j++)
		if (j != i && ch[j].shelter == ch[i].shelter &&
		    assign_is_together(p, j) && assign_same_case(p, i, j))
			return true;
	return false;
}

/* Option o's score for its request, with kin (together) or without. */
static double
assign_opt_score(const struct assign_option *o, bool kin)
{
	return kin && o->together > o->score ? o->together : o->score;
}

/* The batch's total, each choice's score set as it counts now. */
static double
assign_total(const struct assign_problem *p, struct assign_choice *ch)
{
	double sum = 0;
	int i;

	for (i = 0; i < p->nrequests; i++) {
		if (ch[i].option < 0)
			continue;
		ch[i].score =
		    assign_opt_score(&p->requests[i].options[ch[i].option],
		        assign_kin(p, ch, i));
		sum += ch[i].score;
	}
	return sum;
}

/* Free places left in pool (s, pool) under ch. */
static int
assign_left(const struct assign_problem *p, const struct assign_choice *ch,
    int s, int pool)
{
	int i, n = p->shelters[s].free[pool];

	for (i = 0; i < p->nrequests; i++)
		if (ch[i].shelter == s && ch[i].pool == pool)
			n--;
	return n;
}

/* May i go to shelter s: no member of its case there says apart? */
static bool
assign_apart_free(const struct assign_problem *p,
    const struct assign_choice *ch, int i, int s)
{
	int j;

	for (j = 0; j < p->nrequests; j++)
		if (j != i && ch[j].shelter == s && assign_same_case(p, i, j) &&
		    p->requests[j].co_victims == CO_VICTIMS_APART)
			return false;
	return true;
}

/* Move i to its best option at shelter s with a free place, if any. */
static void
assign_move(
    const struct assign_problem *p, struct assign_choice *ch, int i, int s)
{
	const struct assign_request *r = &p->requests[i];
	int k, best = -1;

	if (!assign_apart_free(p, ch, i, s))
		return;
	for (k = 0; k < r->noptions; k++) {
		if (r->options[k].shelter != s ||
		    assign_left(p, ch, s, r->options[k].pool) <= 0)
			continue;
		if (best == -1 ||
		    assign_opt_score(&r->options[k], true) >
		        assign_opt_score(&r->options[best], true) + EPS)
			best = k;
	}
	if (best >= 0)
		ch[i] = (struct assign_choice){best, s, r->options[best].pool,
		    r->options[best].score, false};
}

/* Gather the together members of f's case (f: its first) where it pays. */
static void
assign_gather(const struct assign_problem *p, struct assign_choice *ch, int f)
{
	struct assign_choice trial[ASSIGN_REQUESTS_MAX],
	    best[ASSIGN_REQUESTS_MAX];
	size_t size = (size_t)p->nrequests * sizeof *ch;
	double top = assign_total(p, ch), t;
	int m, i, s;
	bool gain = false;

	for (m = f; m < p->nrequests; m++) {
		if (ch[m].option < 0 || !assign_is_together(p, m) ||
		    !assign_same_case(p, f, m))
			continue;
		s = ch[m].shelter;
		memcpy(trial, ch, size);
		for (i = f; i < p->nrequests; i++)
			if (trial[i].option >= 0 && trial[i].shelter != s &&
			    assign_is_together(p, i) &&
			    assign_same_case(p, f, i))
				assign_move(p, trial, i, s);
		if ((t = assign_total(p, trial)) > top + EPS) {
			top = t;
			memcpy(best, trial, size);
			gain = true;
		}
	}
	if (gain)
		memcpy(ch, best, size);
}

/* The pass over res: see the top of this file. */
void
assign_together(const struct assign_problem *p, struct assign_result *res)
{
	struct assign_choice *ch = res->choices;
	int f, j;

	for (f = 0; f < p->nrequests; f++) {
		if (!assign_is_together(p, f))
			continue;
		for (j = 0; j < f &&
		     !(assign_is_together(p, j) && assign_same_case(p, f, j));
		     j++)
			;
		if (j == f) /* f is the case's first together member */
			assign_gather(p, ch, f);
	}
	res->score = assign_total(p, ch);
	for (f = 0; f < p->nrequests; f++)
		ch[f].together = assign_kin(p, ch, f);
}
