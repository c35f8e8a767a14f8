/*
 * changes.h: the recent changes of a keyed table (lib/changes.c): which
 * ids changed after a generation, without looking at every entry.
 *
 * A ring of the last CHANGES_MAX changes, each an id and the generation
 * it got (generations only grow). Older ones fall out; a change of every
 * entry at once (changes_all) empties it and sets its floor. Asked for
 * the changes after a generation from before the floor or before what it
 * still holds, it says it does not know: any entry may have changed.
 */
#ifndef SHELTER_CHANGES_H
#define SHELTER_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "shelter/model.h"

#define CHANGES_MAX 1024

struct changes {
	char id[CHANGES_MAX][MODEL_ID_MAX + 1];
	uint64_t gen[CHANGES_MAX];
	size_t head, count; /* the next slot; how many are kept */
	uint64_t floor;     /* every entry changed at it */
	const char *out[CHANGES_MAX];
};

/* Entry id (at most MODEL_ID_MAX bytes are kept) changed at gen. */
void changes_add(struct changes *c, const char *id, uint64_t gen);
/* Every entry changed at gen. */
void changes_all(struct changes *c, uint64_t gen);
/*
 * The ids changed after generation since, newest first (one may be listed
 * more than once), in c->out: *n of them. 0, or -1 when c does not reach
 * back to since (then any entry may have changed).
 */
int changes_since(
    struct changes *c, uint64_t since, const char *const **out, size_t *n);

#endif
