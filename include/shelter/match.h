/*
 * match.h: the matching core. A pure function from (shelters with live
 * counts, one request, per-request state, options) to ranked candidates and
 * an explanation. No I/O, no allocation per shelter.
 *
 * Filters (every filter runs on every shelter, so explanations are complete):
 *   intake_closed  shelter not open for intake
 *   program        request program is cosm/omm and differs from the shelter's
 *   eligibility    the shelter program's rules (options.programs): min_age,
 *                  residence (an absent residence counts as "unknown"),
 *                  needs_any; minors never go to cosm or omm
 *   security       shelter security below safety.min_security
 *   care           some of request.needs not in shelter.care
 *   too_close      exploitation location known, min_distance_km > 0 and the
 *                  shelter lies closer than min_distance_km to it
 *   case_conflict  the shelter holds, expects or houses a request of the
 *                  same case, and this request or that one says "apart"
 *                  (match_input.case_shelters, match_input.case_apart)
 *   rejected       a coordinator rejected this shelter for this request
 *   household      no pool admits the gender, age and children
 *   no_free_place  some pool admits the household but none has a free place
 *   reserved       only when every other filter passes: the request is not
 *                  urgency immediate, options.reserve[program] = N > 0 and
 *                  the free places of that program (every pool of every
 *                  shelter of the program open for intake) are N or fewer:
 *                  taking one would break into the raid reserve
 *
 * Scorers, each an integer 0..100 (formulas rounded half up; 50 = neutral,
 * when it does not apply):
 *   language         100 when person and shelter share a language, 0 when
 *                    not; 50 when the request names no language
 *   safety_distance  min(100, 100 * d / 150) with d the km to the
 *                    exploitation location: farther is safer, saturating at
 *                    150 km; 50 when that location is unknown
 *   proximity        max(0, 100 - 100 * d / 250) with d the km to the
 *                    preferred location; 50 when none is given
 *   care_fit         P - 20 * W, clamped to 0..100, where P is the percentage
 *                    of `prefers` the shelter offers (100 when none) and W the
 *                    number of specialised tags (psychiatric, addiction,
 *                    intellectual_disability, medical) the shelter offers that
 *                    the request neither needs nor prefers
 *   occupancy        100 * free / total over all the shelter's pools (free
 *                    never below 0; 0 when total is 0): spread the load
 *   freshness        max(0, 100 - 100 * h / 48), h = whole hours since the
 *                    last capacity report (0 when updated_at is unknown)
 *   together         co_victims "together": 100 when the shelter holds,
 *                    expects or houses a request of the same case, else 0;
 *                    50 otherwise
 *   scarcity         how little others need the place, relative to this
 *                    request's other candidates (lib/scarcity.c):
 *                    100 - 50 P - 25 F - 25 C, where
 *                    P = 1 when the shelter's program has no eligibility
 *                        rules (open to more people) while some candidate
 *                        is in a program with rules (cosm, omm by default);
 *                    F = 1 when the chosen pool has more spare children
 *                        places (children_max - children) than the chosen
 *                        pool of some other candidate;
 *                    C = 1 when the shelter offers more specialised care
 *                        tags the request neither needs nor prefers than
 *                        some other candidate.
 *                    100 for every candidate when none is better on any
 *                    of the three (then the ranking is that without it).
 *
 * score = sum(w_i * s_i) / sum(w_i) over scorers with w_i > 0, in hundredths
 * (0..10000, rounded half up). A scorer with weight 0 is off: not computed,
 * reported as -1.
 *
 * Pool choice inside a shelter: among pools that admit the household and have
 * a free place, the fewest children places to spare (children_max -
 * children), then the most free places, then the pool name.
 * Ranking: score desc, chosen pool's free desc, shelter id asc.
 */
#ifndef SHELTER_MATCH_H
#define SHELTER_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "shelter/model.h"

enum filter {
	FILTER_INTAKE_CLOSED,
	FILTER_PROGRAM,
	FILTER_ELIGIBILITY,
	FILTER_SECURITY,
	FILTER_CARE,
	FILTER_TOO_CLOSE,
	FILTER_CASE_CONFLICT,
	FILTER_REJECTED,
	FILTER_HOUSEHOLD,
	FILTER_NO_FREE_PLACE,
	FILTER_RESERVED,
	FILTER_COUNT
};

enum scorer {
	SCORER_LANGUAGE,
	SCORER_SAFETY_DISTANCE,
	SCORER_PROXIMITY,
	SCORER_CARE_FIT,
	SCORER_OCCUPANCY,
	SCORER_FRESHNESS,
	SCORER_TOGETHER,
	SCORER_SCARCITY,
	SCORER_COUNT
};

/* Eligibility rules of one program (config matching.programs). */
struct program_rule {
	bool set;           /* rules configured for this program */
	int min_age;        /* -1: none */
	unsigned residence; /* bits 1u << RESIDENCE_x; 0: any */
	unsigned needs_any; /* care bits; 0: none required */
};

struct match_options {
	double weights[SCORER_COUNT]; /* >= 0, at least one > 0 */
	struct program_rule programs[PROGRAM_COUNT];
	long long now_ms; /* for freshness */
	/* matching.reserve: free places per program kept for immediate */
	int reserve[PROGRAM_COUNT];
	/* matching.referrals: where to refer a dead end (borrowed, NULL:
	 * none), for a person under 18 and for everyone else. */
	const char *referral_minor;
	const char *referral_default;
};

/* Per-request state the daemon keeps outside the request object. */
struct match_input {
	const char *const *rejected; /* shelter ids rejected for the request */
	size_t nrejected;
	/* shelter ids that hold, expect or house a request of the same case */
	const char *const *case_shelters;
	size_t ncase_shelters;
	/* those of them where such a request says apart */
	const char *const *case_apart;
	size_t ncase_apart;
};

struct match_candidate {
	const struct shelter *shelter;
	int pool; /* the chosen pool: index into shelter->pools */
	int pools[MODEL_POOL_MAX]; /* every admitting pool with a free place, in
	                              preference order; pools[0] == pool */
	int npools;
	int score;                /* hundredths: 0..10000 */
	int scores[SCORER_COUNT]; /* 0..100, -1 when the scorer is off */
	int free;                 /* free places in the chosen pool */
	/* km to the exploitation and the preferred location, rounded to
	 * 0.1; -1 when the request has no such location */
	double distance_km[2];
};

struct match_near_miss {
	const struct shelter *shelter;
	enum filter failed;
};

/* Where a place the request fits is expected to free up (forecast.h). */
struct match_forecast {
	const struct shelter *shelter; /* NULL: no forecast */
	int pool;                      /* index into shelter->pools */
	int day;                       /* days since the epoch */
};

struct match_result {
	struct match_candidate *candidates; /* ranked */
	size_t ncandidates;
	size_t total;    /* shelters considered */
	size_t eligible; /* == ncandidates */
	unsigned reasons[FILTER_COUNT];
	struct match_near_miss *near; /* shelters that failed exactly one */
	size_t nnear;
	unsigned missing_care; /* needs lacking in the care-failing shelters */
	/* Every shelter fails a filter no capacity report lifts (program,
	 * eligibility, security, care, too_close, household), and there is
	 * at least one shelter. referral: the options' text for it (NULL:
	 * not a dead end, or none configured). */
	bool dead_end;
	const char *referral;
	struct match_forecast forecast; /* from planned departures */
	char message[512]; /* "0/23 shelters can take this request: ..." */
	size_t cap_candidates, cap_near; /* internal */
	struct match_lazy *lazy; /* internal: an explanation not yet computed */
};

/*
 * An index over a table of shelters (positions 0..n), by what the filters
 * intake_closed, program, eligibility, security, care and household read
 * of a shelter: the shelters outside it fail one of them, so only those in
 * it need the filters run and are scored. It also bounds what blocks of
 * shelters can score, for match_run_top, from their live counts too: a
 * change of those must be told (match_index_counts) before the next
 * match_run_top; match_run_indexed does not read them.
 */
struct match_index {
	uint64_t *bits; /* one bitset of `words` words per indexed fact */
	size_t n, words, cap_words;
	double *coslat; /* by position: geo_cos_lat of the shelter's latitude */
	struct match_top *top; /* bounds for match_run_top (NULL: none) */
	bool by_id;            /* the shelters were in increasing id order */
};

void match_index_init(struct match_index *idx);
void match_index_free(struct match_index *idx);

/*
 * Index shelters[0..n) (idx reset first, buffers kept). 0, or -1 on ENOMEM
 * (idx is then empty).
 */
int match_index_build(
    struct match_index *idx, const struct shelter *const *shelters, size_t n);

/*
 * Shelter i (< idx->n) changed in place, other than in its live counts
 * and keeping its id: index s at position i again.
 */
void match_index_set(
    struct match_index *idx, size_t i, const struct shelter *s);

/*
 * The live counts (free places, holds, arrivals) of shelter i (< idx->n)
 * changed, nothing else: s is at position i now (it may be a new copy).
 */
void match_index_counts(
    struct match_index *idx, size_t i, const struct shelter *s);

/* Default options: the weights and program rules of docs/protocol.md
 * "Matching: filters and scores", now = 0. */
void match_options_default(struct match_options *opt);

/*
 * Candidate c's score (hundredths, as c->score) had scorer k given value
 * (0..100) instead, under weights w (a match_options' weights): for what
 * a choice would score at a shelter that changes one score, such as a
 * batch-mate of a together request placed there.
 */
int match_rescore(
    const double *w, const struct match_candidate *c, enum scorer k, int value);

void match_result_init(struct match_result *res);
void match_result_free(struct match_result *res);

/*
 * Match req against shelters[0..n). in may be NULL (nothing rejected, no
 * co-victims). res must have been initialised; it is reset and may be reused
 * across calls without freeing (buffers grow once, then are kept). Returns
 * 0, or -1 on ENOMEM. Pointers in res borrow from shelters.
 */
int match_run(const struct shelter *const *shelters, size_t n,
    const struct request *req, const struct match_input *in,
    const struct match_options *opt, struct match_result *res);

/*
 * match_run through idx, an index of the same shelters[0..n) (NULL or of
 * another size: match_run). The candidates, their ranking, total and
 * eligible are those of match_run; the rest of the explanation (reasons,
 * near misses, missing care, dead end, referral, forecast, message) is
 * computed on first use: match_explain, which match_explanation_json and
 * match_result_json call. req, in and opt are copied for it; shelters
 * must stay unchanged until then (as for the pointers in res). Returns 0,
 * or -1 on ENOMEM.
 */
int match_run_indexed(const struct match_index *idx,
    const struct shelter *const *shelters, size_t n, const struct request *req,
    const struct match_input *in, const struct match_options *opt,
    struct match_result *res);

/*
 * The first k candidates of match_run's ranking, through idx (NULL or of
 * another size: match_run_indexed, cut to k): res->candidates holds them,
 * ncandidates = eligible = their number (k or fewer: all there are when
 * fewer). Only the blocks of shelters that can rank among them are
 * filtered and scored, so the cost does not grow with the table. Ties are
 * broken by id, as match_run does (its ranking is the same while no pool
 * has 262,143 free places or more). total is n; the explanation is left
 * for match_explain (which then ranks every candidate), as with
 * match_run_indexed. 0, or -1 on ENOMEM.
 */
int match_run_top(const struct match_index *idx,
    const struct shelter *const *shelters, size_t n, const struct request *req,
    const struct match_input *in, const struct match_options *opt, size_t k,
    struct match_result *res);

/*
 * Complete res's explanation if match_run_indexed left it for later (a
 * full match_run of the same inputs; the candidates come out the same).
 * 0, or -1 on ENOMEM.
 */
int match_explain(struct match_result *res);

/* [{shelter_id, pool, score, scores: {NAME: n}, free, distance_km:
 * {exploitation, preferred}}, ...]; score as a
 * number with two decimals (a JSON real: dump it with
 * JSON_REAL_PRECISION(15), Jansson's default of 17 digits prints 41.67 as
 * 41.670000000000002). Scorers that are off are left out. */
json_t *match_candidates_json(const struct match_result *res);

/* {total, eligible, reasons: {REASON: n}, near_misses: [{shelter_id,
 * failed: [REASON]}], dead_end, referral (string or null), forecast:
 * {shelter_id, pool, date} or null, message}. A pending explanation
 * (match_run_indexed) is computed first: res is const as seen from the
 * caller, its explanation a cache filled in on demand. */
json_t *match_explanation_json(const struct match_result *res);

/* {candidates, explanation}: the result of match.preview. */
json_t *match_result_json(const struct match_result *res);

/* match_distance.c: fill c's distance_km for request r; write them as
 * {"exploitation": km|null, "preferred": km|null}, as text into buf
 * (MATCH_DISTANCE_TEXT_MAX bytes hold any; a shorter buf gets what fits;
 * returns buf) or as a new object (NULL: ENOMEM). */
#define MATCH_DISTANCE_TEXT_MAX 96
void match_distance_fill(struct match_candidate *c, const struct request *r);
char *match_distance_text(
    const struct match_candidate *c, char *buf, size_t len);
json_t *match_distance_json(const struct match_candidate *c);

const char *match_filter_name(enum filter f);
const char *match_scorer_name(enum scorer s);

#endif
