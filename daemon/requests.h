/*
 * requests.h: the handlers of the request, proposal and preview methods.
 */
#ifndef SHELTERD_REQUESTS_H
#define SHELTERD_REQUESTS_H

#include "methods.h"

method_fn requests_submit;  /* request.submit */
method_fn requests_cancel;  /* request.cancel */
method_fn requests_get;     /* request.get */
method_fn requests_list;    /* request.list */
method_fn requests_accept;  /* proposal.accept */
method_fn requests_reject;  /* proposal.reject */
method_fn requests_arrived; /* placement.arrived */
method_fn requests_preview; /* match.preview */

#endif
