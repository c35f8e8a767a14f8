/*
 * requests.h: the handlers of the request and proposal methods, and the
 * matching helpers they share with placement.c.
 */
#ifndef SHELTERD_REQUESTS_H
#define SHELTERD_REQUESTS_H

#include <stdbool.h>

#include <jansson.h>

#include "shelter/match.h"
#include "shelter/model.h"
#include "methods.h"

method_fn requests_submit;  /* request.submit */
method_fn requests_cancel;  /* request.cancel */
method_fn requests_get;     /* request.get */
method_fn requests_list;    /* request.list */
method_fn requests_accept;  /* proposal.accept */
method_fn requests_reject;  /* proposal.reject */
method_fn requests_arrived; /* placement.arrived */
method_fn requests_preview; /* match.preview */

/* Does matching r need the shelters that hold or expect its case? */
bool requests_needs_case(const struct request *r);

/*
 * Match r against the shelter table with the configured options, now.
 * rejected and case_shelters are JSON arrays of shelter ids (NULL: none).
 * res must be initialised; it borrows from the table until the next change
 * of the table, so use it before returning to the event loop. 0 or -1.
 */
int requests_match(const struct request *r, const json_t *rejected,
    const json_t *case_shelters, struct match_result *res);

/*
 * Parse a request as the store returns it: the normalised document, either
 * as JSON text or as an object that may carry the output fields (id,
 * status, ...), which are ignored. 0 or -1 (logged).
 */
int requests_parse_stored(const json_t *doc, struct request *out);

#endif
