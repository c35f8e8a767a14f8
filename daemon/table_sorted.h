/*
 * table_sorted.h: an array of shelters kept sorted by id, for the table
 * (table.c): its live entries and a reload's pages. Who owns the shelters
 * and how they are freed is the table's business.
 */
#ifndef SHELTERD_TABLE_SORTED_H
#define SHELTERD_TABLE_SORTED_H

#include <stdbool.h>
#include <stddef.h>

#include "shelter/model.h"

struct tab {
	struct shelter **v;
	size_t n, cap;
};

/* Index of id in t, or of where it would go (*found false). */
size_t tab_find(const struct tab *t, const char *id, bool *found);
/* Insert s at index i, moving what is after it: 0, or -1 on ENOMEM
 * (logged; t unchanged). */
int tab_insert_at(struct tab *t, size_t i, struct shelter *s);
/* Drop the pointer at index i (< t->n), moving what is after it. */
void tab_remove_at(struct tab *t, size_t i);

#endif
