/*
 * scarcity.h: keeping scarce places for those who need them (lib/ only):
 * the scarcity scorer and the free places per program the raid reserve
 * is held against. match.c calls these; the formulas are in
 * include/shelter/match.h.
 */
#ifndef SHELTER_SCARCITY_H
#define SHELTER_SCARCITY_H

#include <stddef.h>

#include "shelter/match.h"

/* What scarcity compares a candidate with: the least of each fact over
 * the n candidates noted so far. */
struct scarcity_min {
	size_t n;
	bool any_ruled; /* some candidate is in a program with rules */
	int min_spare;  /* children places the chosen pool leaves unused */
	int min_care;   /* specialised tags the request does not use */
};

/* The three ways a place can be needed more by others than another one. */
struct scarcity_facts {
	bool open_program; /* a program without eligibility rules */
	int spare;         /* children places the household leaves unused */
	int unneeded_care; /* specialised tags the request does not use */
};

/* The facts of candidate c (its shelter and chosen pool) for r. */
void scarcity_facts(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, struct scarcity_facts *f);

/* Note candidate c (passed every filter for r) into m (zero at first). */
void scarcity_note(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, struct scarcity_min *m);

/* The scarcity score of candidate c against every candidate in m. */
int scarcity_of(const struct request *r, const struct match_options *opt,
    const struct match_candidate *c, const struct scarcity_min *m);

/*
 * Set scores[SCORER_SCARCITY] of the n candidates c (which passed every
 * filter), each relative to the others, from their facts f[0..n) (taken
 * when the shelters were scored, so that they are not read again). Does
 * not combine the score.
 */
void scarcity_score(
    struct match_candidate *c, const struct scarcity_facts *f, size_t n);

/*
 * The free places (never below 0 per pool) of every program over the
 * shelters open for intake, into out[PROGRAM_COUNT].
 */
void scarcity_program_free(
    const struct shelter *const *shelters, size_t n, long long *out);

#endif
