/*
 * placement.h: matching requests to places against the store: the first
 * proposal at submit, the next one after a rejection, the waitlist pass
 * whenever a place may have freed up, and the hold expiry sweep.
 */
#ifndef SHELTERD_PLACEMENT_H
#define SHELTERD_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/match.h"

/* Start the sweep timer (every second). */
void placement_start(void);
void placement_stop(void);
/* Sweep the holds now (the test clock moved); the timer keeps its pace. */
void placement_sweep_now(void);
/* A place may have freed up: run a waitlist pass soon (coalesced). */
void placement_wake(void);
/*
 * An event arrived: change cseq of shelter id (NULL: of none) left the
 * waitlist at version wver (-1: the event does not say, which forgets
 * what an earlier one said). See placement_hint.c.
 */
void placement_hint(const char *id, long long cseq, long long wver);
/*
 * A pass starts with the memo of the waitlist at version memo_ver (when
 * memo_ok): 1 when it may run on the memo without asking the store, 0
 * when it must ask, -1 when it is to wait: again() is called once the
 * table has taken the hinted change, or after a short while. The hint is
 * used once.
 */
int placement_hint_use(bool memo_ok, long long memo_ver, void (*again)(void));
void placement_hint_free(void);
/*
 * A request joined the waitlist: once it has had no new one for
 * PLACEMENT_SETTLE_MS, run a pass, so that the pass a freed place starts
 * runs on what this one read (the memo) instead of reading it all again.
 */
void placement_settle(void);

/*
 * The candidates argument for shd_submit / shd_propose: one line per
 * candidate, "SHELTER_ID POOL[,POOL...] SCORE STALE SCORES" (docs/store.md),
 * built from the first max candidates of a match result (SIZE_MAX: all).
 * Caller frees; NULL on ENOMEM.
 */
char *placement_candidates_arg(const struct match_result *res, size_t max);

/*
 * How many candidates a submit sends first: PLACEMENT_WINDOW plus the
 * configured alternatives. With a current table the first candidate has
 * the place, and every line sent costs the store: a submit of 4 + 3 lines
 * took 95 us of Redis CPU where 16 + 3 took 116 us (fewer bytes, so more
 * calls in each of Redis's reads and fsyncs). A submit that finds no place
 * among them proposes again with them all (the request is then stored as
 * waiting first: request.waiting comes before proposal.created). Only
 * when the place is found past the first PLACEMENT_WINDOW candidates (a
 * table that many shelters behind the store) can the proposal list fewer
 * alternatives than a full list would give.
 */
#define PLACEMENT_WINDOW 4
size_t placement_window(void);

/* Does matching r need the shelters that hold, expect or house its case? */
bool placement_needs_case(const struct request *r);

/*
 * Match r against the shelter table with the configured options, now.
 * rejected, case_shelters (holding, expecting or housing r's case) and
 * case_apart (those of them with an apart member) are JSON arrays of
 * shelter ids (NULL: none).
 * res must be initialised; it borrows from the table until the table
 * changes, so use it before returning to the event loop. 0 or -1.
 */
int placement_match(const struct request *r, const json_t *rejected,
    const json_t *case_shelters, const json_t *case_apart,
    struct match_result *res);

/*
 * placement_match, but only the first k (< SIZE_MAX) candidates of the
 * same ranking are found, at a cost that does not grow with the table:
 * res->ncandidates is min(k, the candidates there are). The explanation
 * (match_explanation_json) still counts every shelter. 0 or -1.
 */
int placement_match_top(const struct request *r, const json_t *rejected,
    const json_t *case_shelters, const json_t *case_apart, size_t k,
    struct match_result *res);

/*
 * Parse a request as the store returns it: the normalised document, as
 * JSON text or as an object whose output fields (id, status, ...) are
 * ignored. 0 or -1 (logged by field only).
 */
int placement_parse_stored(const json_t *doc, struct request *out);

#endif
