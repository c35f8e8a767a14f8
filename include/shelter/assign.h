/*
 * assign.h: joint assignment of a batch of requests (a raid) to pools.
 *
 * Input: n requests (1..ASSIGN_REQUESTS_MAX), each with its candidate
 * options {shelter, pool, score} as match_run computed them for that
 * request, its case (or none) and its co_victims mode; and every shelter's
 * pools with their free places. Output: for each request one option or none.
 *
 * Hard constraints:
 *   capacity  no pool gets more requests than its free places;
 *   apart     two requests of the same case never share a shelter when
 *             either of the two says apart (symmetric).
 *
 * Objective, lexicographic:
 *   1. the most requests placed;
 *   2. then the highest total score, counted in hundredths (match's own
 *      resolution: scores are rounded to 0.01 before they are compared);
 *   3. then, for the requests in input order, each gets the best-ranked
 *      option that keeps 1 and 2 optimal given the choices before it. An
 *      option's rank is that of single matching: score desc, the pool's
 *      free places desc, shelter id asc (index when ids are NULL), pool
 *      index asc. `together` is part of this level: a together request
 *      ranks the shelters that already took an earlier together request of
 *      its case first. So togetherness never costs a place or a point of
 *      score; it decides between assignments that are equal on 1 and 2.
 *   4. then together pays: the scores of 2 are each request's alone, but
 *      a together member who shares a shelter with another of its case
 *      scores its option's together score. Case by case, the together
 *      members are moved to one of their shelters where that raises the
 *      total of those scores most (lib/assign_together.c). A greedy pass
 *      after the optimum: it never unplaces anyone and only raises the
 *      total, but another assignment might raise it more.
 * The output depends only on the input, not on the order options are
 * listed in (they are ranked first; duplicates are refused).
 *
 * Model: min-cost max-flow, source -> request (cap 1) -> pool (cap free)
 * -> sink, an option being the edge request -> pool with cost 10000 -
 * score in hundredths. Every unit of flow crosses exactly one option edge,
 * so among maximum flows the cheapest is the one with the highest total
 * score: levels 1 and 2 are exact in integers. Successive shortest paths
 * (Dijkstra with potentials) solve it.
 *
 * Apart: the flow is a relaxation. For every (case, shelter, pool) that two
 * apart members of a case could use, their option edges go through a hub
 * node with one exit of capacity 1, which settles the common crowded case
 * (many apart co-victims of one gender) inside the flow. What is left (two
 * apart members in different pools of one shelter, or an apart member with
 * a non-apart one) is found in the flow's solution and settled by branch
 * and bound: for the first conflicting pair in input order at shelter s,
 * with a the one of the two that says apart (the earlier when both do),
 * one branch forbids a at s (searched first), the other every other
 * member of a's case at s. Every valid assignment lies in one branch, and a
 * relaxation's optimum bounds its branch, so the search is exact (keeping
 * the others off s one at a time instead would need a node for every
 * subset of them); every node also repairs its solution
 * (drops the later of each conflicting pair) into a valid incumbent, which
 * prunes early.
 *
 * Level 3 then walks the requests in input order on the optimal flow: a
 * better-ranked option o of request i is taken when the residual graph has
 * a zero-cost cycle through i -> o (same count, same score), found with one
 * Dijkstra on reduced costs; i is then frozen. For cases with an apart
 * member this runs inside the apart pattern of the optimum found (which
 * shelters took an apart member of which case), so there level 3 is exact
 * within that pattern, not across all optimal patterns.
 *
 * Complexity: with T options in all, one flow solve is O(n T log T); level
 * 3 adds at most T Dijkstra runs. Branch and bound is exponential in the
 * worst case in the number of conflicts the relaxation produces; it is
 * capped at max_nodes flow solves (ASSIGN_NODES_DEFAULT when 0). When the
 * cap stops it, the best valid assignment found is returned and `exact` is
 * false.
 *
 * Limits: n <= ASSIGN_REQUESTS_MAX, at most ASSIGN_OPTIONS_MAX options per
 * request, any number of shelters and pools. No allocation beyond one
 * block of assign_work_size() bytes, which the caller may provide.
 *
 * The options must already leave out shelters that conflict with requests
 * outside the batch (match's case_conflict filter); apart here is among the
 * batch's own requests.
 */
#ifndef SHELTER_ASSIGN_H
#define SHELTER_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "shelter/error.h"
#include "shelter/model.h"

#define ASSIGN_REQUESTS_MAX  50
#define ASSIGN_OPTIONS_MAX   256
#define ASSIGN_NODES_DEFAULT 1000

struct assign_option {
	int shelter;  /* index into assign_problem.shelters */
	int pool;     /* index into that shelter's free[] */
	double score; /* 0..100, as match computed it for this request */
	/* 0..100: its score when a together co-victim of its case is at the
	 * shelter too (a together request of a case; match's together
	 * scorer at 100); not above score (0: not given): score. */
	double together;
};

struct assign_request {
	const struct assign_option *options; /* any order */
	int noptions;                        /* 0..ASSIGN_OPTIONS_MAX */
	const char *case_id;                 /* NULL: no case */
	enum co_victims co_victims;
};

struct assign_shelter {
	const char *id;  /* for the rank; NULL: index order */
	const int *free; /* free places per pool, each >= 0 */
	int npools;
};

struct assign_problem {
	const struct assign_request *requests;
	int nrequests; /* 1..ASSIGN_REQUESTS_MAX */
	const struct assign_shelter *shelters;
	int nshelters;
	long max_nodes; /* branch and bound cap; 0: ASSIGN_NODES_DEFAULT */
};

struct assign_choice {
	int option;    /* index into the request's options[], -1: none */
	int shelter;   /* -1 when none */
	int pool;      /* -1 when none */
	double score;  /* the option's score (together: its together score),
	                  0 when none */
	bool together; /* with a together co-victim of its case */
};

struct assign_result {
	struct assign_choice choices[ASSIGN_REQUESTS_MAX]; /* input order */
	int placed;   /* requests with an option */
	double score; /* sum of the choices' scores */
	bool exact;   /* false: the node cap stopped the search */
	long nodes;   /* flow solves of the branch and bound */
};

/*
 * Bytes of workspace assign_batch needs for p (counts are clamped to the
 * limits, so an invalid p still gets a bounded size).
 */
size_t assign_work_size(const struct assign_problem *p);

/*
 * Assign the batch p jointly into res (see above). work is caller-owned
 * scratch of size bytes (at least assign_work_size(p)); when work is NULL,
 * one block of that size is allocated and freed before returning. Nothing
 * in p is modified or kept. Returns 0, or -1 with err filled: invalid
 * input (-32602, the field named as in "requests.3.options.1.pool"), work
 * too small or ENOMEM (-32603).
 */
int assign_batch(const struct assign_problem *p, void *work, size_t size,
    struct assign_result *res, struct sh_error *err);

#endif
