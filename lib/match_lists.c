/*
 * match_lists.c: whether a shelter is in one of a request's lists
 * (rejected, case shelters, case apart), for the filters and the
 * together scorer alike.
 */
#include <string.h>

#include "shelter/match.h"

#include "match_internal.h"

static bool
match_lists_listed(const char *const *ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] != NULL && strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/* match_lists_scan: see match_internal.h. By pointer when the ids were
 * looked up in the index (match_lists_find), else by id. */
bool
match_lists_scan(const struct match_ctx *x, int l, const struct shelter *s)
{
	const struct match_lists *k = x->lists;
	const struct match_input *in = x->in;
	size_t i;

	if (k != NULL) {
		for (i = k->start[l]; i < k->start[l + 1]; i++)
			if (k->sh[i] == s)
				return true;
		return false;
	}
	switch (l) {
	case MATCH_REJECTED:
		return match_lists_listed(in->rejected, in->nrejected, s->id);
	case MATCH_CASE:
		return match_lists_listed(
		    in->case_shelters, in->ncase_shelters, s->id);
	default:
		return match_lists_listed(
		    in->case_apart, in->ncase_apart, s->id);
	}
}
