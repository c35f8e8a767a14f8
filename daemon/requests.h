/*
 * requests.h: the handlers of the request, proposal and preview methods,
 * one file per workflow: requests_submit.c, requests_batch.c,
 * requests_preview.c,
 * requests_reject.c, requests_cancel.c and requests_simple.c (the methods
 * of one store round trip). What they share is in requests_internal.h.
 */
#ifndef SHELTERD_REQUESTS_H
#define SHELTERD_REQUESTS_H

#include "methods.h"

method_fn requests_submit;       /* request.submit */
method_fn requests_submit_batch; /* request.submit_batch */
method_fn requests_cancel;       /* request.cancel */
method_fn requests_get;          /* request.get */
method_fn requests_list;         /* request.list */
method_fn requests_accept;       /* proposal.accept */
method_fn requests_reject;       /* proposal.reject */
method_fn requests_arrived;      /* placement.arrived */
method_fn requests_departed;     /* placement.departed */
method_fn requests_preview;      /* match.preview */

#endif
