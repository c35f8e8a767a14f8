/*
 * store_error.c: the errors a store call reports, one wording each, for
 * every store_*.c file.
 */
#include "store_internal.h"

/* SH_UNAVAILABLE store_unavailable into err (nothing changed: retry).
 * Returns -1. */
int
store_unavailable(struct sh_error *err)
{
	return sh_error_set(err, SH_UNAVAILABLE, "store_unavailable", NULL,
	    "store unavailable: nothing was changed; safe to retry");
}

/*
 * SH_UNAVAILABLE outcome_unknown into err: a call that may write was sent
 * and got no answer (or fewer replicas than redis.min_replicas_ack have
 * it): it may or may not have been made.
 */
void
store_outcome_unknown(struct sh_error *err)
{
	sh_error_set(err, SH_UNAVAILABLE, "outcome_unknown", NULL,
	    "store did not answer: the change may or may not have been made; "
	    "read the current state before retrying");
}

/* SH_INTERNAL internal into err: the store answered something unusable. */
void
store_internal(struct sh_error *err)
{
	sh_error_set(
	    err, SH_INTERNAL, "internal", NULL, "internal error in the store");
}
