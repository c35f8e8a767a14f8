/*
 * placement.h: matching requests to places against the store: the first
 * proposal at submit, the next one after a rejection, the waitlist pass
 * whenever a place may have freed up, and the hold expiry sweep.
 */
#ifndef SHELTERD_PLACEMENT_H
#define SHELTERD_PLACEMENT_H

#include <stdbool.h>

#include <jansson.h>

#include "shelter/match.h"

/* Start the sweep timer (every second). */
void placement_start(void);
void placement_stop(void);
/* A place may have freed up: run a waitlist pass soon (coalesced). */
void placement_wake(void);

/*
 * The candidates argument for shd_submit / shd_propose: a JSON array text
 * [{"shelter_id", "pools": [..], "score", "scores": {..}}, ...] built from a
 * match result. Caller frees.
 */
char *placement_candidates_arg(const struct match_result *res);

#endif
