/*
 * changes.c: the recent changes of a keyed table (shelter/changes.h).
 */
#include <stdio.h>

#include "shelter/changes.h"

void
changes_add(struct changes *c, const char *id, uint64_t gen)
{
	snprintf(c->id[c->head], sizeof c->id[c->head], "%s", id);
	c->gen[c->head] = gen;
	c->head = (c->head + 1) % CHANGES_MAX;
	if (c->count < CHANGES_MAX)
		c->count++;
}

void
changes_all(struct changes *c, uint64_t gen)
{
	c->head = c->count = 0;
	c->floor = gen;
}

int
changes_since(
    struct changes *c, uint64_t since, const char *const **out, size_t *n)
{
	size_t i, slot;

	*out = c->out;
	*n = 0;
	if (since < c->floor)
		return -1;
	for (i = 0; i < c->count; i++) {
		slot = (c->head + CHANGES_MAX - 1 - i) % CHANGES_MAX;
		if (c->gen[slot] <= since)
			return 0;
		c->out[(*n)++] = c->id[slot];
	}
	/* All it holds are newer: complete only if none fell out. */
	if (c->count == CHANGES_MAX) {
		*n = 0;
		return -1;
	}
	return 0;
}
