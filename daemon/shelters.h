/*
 * shelters.h: the handlers of the shelter methods, and shelter.put as the
 * seed shelters use it.
 */
#ifndef SHELTERD_SHELTERS_H
#define SHELTERD_SHELTERS_H

#include "methods.h"
#include "store.h"

method_fn shelters_put;      /* shelter.put */
method_fn shelters_remove;   /* shelter.remove */
method_fn shelters_get;      /* shelter.get */
method_fn shelters_list;     /* shelter.list */
method_fn shelters_capacity; /* shelter.capacity */
method_fn shelters_intake;   /* shelter.intake */
/* shelter.departures, in departures.c */
method_fn shelters_departures;

/* Add `freshness` to a shelter's live JSON (as the store returned it). */
void shelters_freshness(json_t *shelter);

/*
 * shd_shelter_put for s: its static document and pools; the store keeps
 * the live counts and intake of an existing shelter; au: the audit entry
 * of the call (NULL: none, as at start-up). 0 (cb runs later), or -1 with
 * err set.
 */
int shelters_store_put(const struct shelter *s, const struct store_audit *au,
    store_cb *cb, void *arg, struct sh_error *err);

#endif
