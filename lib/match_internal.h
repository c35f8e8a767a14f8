/*
 * match_internal.h: the pieces of match.c that match_top.c ranks with
 * (lib/ only), so both paths filter and score a shelter with the same code.
 */
#ifndef SHELTER_MATCH_INTERNAL_H
#define SHELTER_MATCH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "shelter/geo.h"
#include "shelter/match.h"

/* The bits set in v (care and tag masks) without a libgcc call: the
 * build targets CPUs without popcnt. */
static inline int
match_popcount(unsigned v)
{
	v = v - ((v >> 1) & 0x55555555u);
	v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
	return (int)((((v + (v >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24);
}

/* The lists of a match_input. */
enum { MATCH_REJECTED, MATCH_CASE, MATCH_APART, MATCH_LISTS };

#define MATCH_LISTED_MAX  64 /* shelters of the lists looked up at most */
#define MATCH_FRESH_HOURS 49 /* freshness is 0 from 48 hours on */
#define MATCH_PREFETCH    8  /* shelters fetched ahead */

/* The shelters of a match_input's lists as pointers into the table: list l
 * is sh[start[l], start[l + 1]). */
struct match_lists {
	const struct shelter *sh[MATCH_LISTED_MAX];
	size_t start[MATCH_LISTS + 1];
};

/*
 * Look the ids of in's lists up in idx (an index of shelters): 0, or -1
 * when there is no such index or more than MATCH_LISTED_MAX shelters
 * (then compare the ids). Only a shelter with a listed id is listed.
 */
int match_lists_find(const struct match_index *idx,
    const struct shelter *const *shelters, const struct match_input *in,
    struct match_lists *out);

/* Per-request facts derived once, so the shelter loop stays cheap. */
struct match_ctx {
	const struct request *req;
	const struct match_input *in;
	const struct match_options *opt;
	unsigned residence_bit;
	unsigned eligible; /* bit p: match_eligible(p), for p < PROGRAM_COUNT */
	struct model_household household; /* for model_household_admits */
	bool minor;
	bool check_distance;
	double too_close_deg; /* latitude degrees beyond which none is */
	/* geo_cos_lat of the exploitation and preferred locations */
	double exp_cos, pref_cos;
	bool check_reserve; /* not immediate, and some reserve is set */
	long long program_free[PROGRAM_COUNT]; /* when check_reserve */
	bool by_id; /* the shelters are in increasing id order */
	/* Only whether a shelter is a candidate counts (the explanation is
	 * left for later): match_filter stops at a failing filter. */
	bool first_fail;
	/* The scorers with a weight (> 0) in order, and their weights' sum
	 * (in that order, as match_combine sums them). */
	unsigned char scored[SCORER_COUNT];
	int nscored;
	double wsum;
	int fresh[MATCH_FRESH_HOURS];    /* match_score_fresh_table */
	const struct match_lists *lists; /* NULL: compare the input's ids */
	unsigned listed; /* bit l: list l of the input is not empty */
};

/* match_lists.c: is s in list l (MATCH_REJECTED...) of x's input? */
bool match_lists_scan(
    const struct match_ctx *x, int l, const struct shelter *s);

/* The same without a call for a list that is empty, as most are. */
static inline bool
match_lists_has(const struct match_ctx *x, int l, const struct shelter *s)
{
	return (x->listed & (1u << l)) != 0 && match_lists_scan(x, l, s);
}

/*
 * The table is bigger than the cache: fetch ahead the lines every filter
 * reads of s (program and location, care and languages, intake and the
 * counts' neighbours, the first two pools' admission fields).
 */
static inline void
match_prefetch(const struct shelter *s)
{
	__builtin_prefetch(&s->program);
	__builtin_prefetch(&s->care);
	__builtin_prefetch(&s->intake_open);
	__builtin_prefetch(&s->pools[0].genders);
	__builtin_prefetch(&s->pools[1].genders);
}

/* A shelter's geo_cos_lat not known yet (a cosine is at most 1). */
#define MATCH_COS_UNKNOWN 2.0

/* cs, or s's cosine when cs is MATCH_COS_UNKNOWN. */
static inline double
match_cos_of(const struct shelter *s, double cs)
{
	return cs > 1 ? geo_cos_lat(s->location.lat) : cs;
}

/* x for req (program_free left for the caller when check_reserve). */
void match_ctx_init(struct match_ctx *x, const struct request *req,
    const struct match_input *in, const struct match_options *opt);

/* Does x's request pass the eligibility rules of program p? */
bool match_eligible(const struct match_ctx *x, enum program p);

/*
 * Every filter on s: the failing ones as bits (0: a candidate). Fills c's
 * pools in preference order, *missing (needs s lacks) and *dexp (km to the
 * exploitation location when computed, else -1). cs: geo_cos_lat of s's
 * latitude, or MATCH_COS_UNKNOWN (then computed if needed).
 */
unsigned match_filter(const struct match_ctx *x, const struct shelter *s,
    double cs, struct match_candidate *c, unsigned *missing, double *dexp);

/* c's scores but scarcity (100) and distance_km, then c->score unless
 * scarcity is on (the caller combines once it is known); c->shelter set,
 * cs and dexp as match_filter had and left them. */
void match_score(const struct match_ctx *x, struct match_candidate *c,
    double cs, double dexp);

/* c's distance_km from the km to the request's locations (-1: none). */
void match_distance_set(struct match_candidate *c, double dexp, double dpref);

/* c->score from c->scores and the weights w. */
void match_combine(const double *w, struct match_candidate *c);

/* match_combine with x's weights, the same score in fewer steps. */
void match_combine_ctx(const struct match_ctx *x, struct match_candidate *c);

/* The rank key of c at input position pos: ascending is rank order. */
uint64_t match_rank_key(const struct match_candidate *c, size_t pos);

/* Reset res for a run over n shelters. 0, or -1 on ENOMEM. */
int match_begin(struct match_result *res, size_t n);

/*
 * match_score.c: the scorers' formulas (match.h), each nondecreasing or
 * nonincreasing in every argument: x rounded half up; v clamped to
 * 0..100; safety_distance and proximity at km; care_fit with np preferred
 * tags, nhave of them offered, nextra unneeded specialised ones;
 * occupancy of s; freshness of a report at `at` (opt->now_ms).
 */
int match_score_round(double x);
int match_score_clamp(int v);
int match_score_safety(double km);
int match_score_proximity(double km);
int match_score_care_fit(int np, int nhave, int nextra);
int match_score_occupancy(const struct shelter *s);
int match_score_freshness(const struct match_options *opt, long long at);

/* freshness after h >= 0 whole hours; its values for h below
 * MATCH_FRESH_HOURS as a table (it is 0 from there on); freshness of a
 * report at `at` from that table, the same as match_score_freshness. */
int match_score_fresh_hours(long long h);
void match_score_fresh_table(int *fresh);
int match_score_fresh_of(
    const int *fresh, const struct match_options *opt, long long at);

#endif
