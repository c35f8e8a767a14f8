/*
 * table_sorted.c: an array of shelters kept sorted by id (table_sorted.h).
 * Lookups are a binary search; an insert or removal moves the pointers
 * after it, which for the register's size (tens of thousands at most) is
 * a memmove of a few hundred KB at worst and rare beside the lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "table_sorted.h"

/* tab_find: see table_sorted.h. */
size_t
tab_find(const struct tab *t, const char *id, bool *found)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->v[mid]->id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* tab_insert_at: see table_sorted.h. */
int
tab_insert_at(struct tab *t, size_t i, struct shelter *s)
{
	struct shelter **v;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((v = reallocarray(t->v, cap, sizeof *v)) == NULL) {
			log_warn("table: realloc");
			return -1;
		}
		t->v = v;
		t->cap = cap;
	}
	memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof *t->v);
	t->v[i] = s;
	t->n++;
	return 0;
}

/* tab_remove_at: see table_sorted.h. */
void
tab_remove_at(struct tab *t, size_t i)
{
	memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof *t->v);
	t->n--;
}
