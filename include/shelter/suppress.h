/*
 * suppress.h: small-cell protection of a cross-table with margins
 * (docs/protocol.md "report.registrations").
 *
 * A table of ndims dimensions (sizes[d] values each) has its cells in
 * row-major order (the last dimension varies fastest), one margin per
 * dimension value and a total. Published relations: every margin is the
 * sum of its cells, and the total is the sum of each dimension's margins.
 *
 * suppress_protect marks entries suppressed so that no suppressed count
 * can be narrowed down from the published ones: a non-zero count below
 * min_cell is suppressed (primary), zeros are published (but see
 * suppress_mask_zeros), and
 * further entries are suppressed (secondary) until every suppressed
 * entry's feasible range, given the published entries, the relations and
 * that a suppressed count is at least 1, spans at least min_cell
 * (suppress_range). The published figures are exact; only the flags
 * change.
 */
#ifndef SHELTER_SUPPRESS_H
#define SHELTER_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#define SUPPRESS_MAX_DIMS 3

struct suppress_table {
	int ndims;
	int sizes[SUPPRESS_MAX_DIMS];
	/*
	 * Every entry: the cells (product of sizes), then the margins of
	 * dimension 0, 1, ..., then the total. count and suppressed have
	 * nentries elements each.
	 */
	size_t ncells, nentries;
	long long *count;
	bool *suppressed;
};

/*
 * A table of ndims (1..SUPPRESS_MAX_DIMS) dimensions with the given sizes
 * (each >= 1), every count 0 and nothing suppressed. 0, or -1 when the
 * arguments are out of range or memory runs out.
 */
int suppress_init(struct suppress_table *t, int ndims, const int *sizes);
void suppress_free(struct suppress_table *t);

/* The entry index of the cell at key (one value index per dimension). */
size_t suppress_cell(const struct suppress_table *t, const int *key);
/* The entry index of dimension d's margin for value v. */
size_t suppress_margin(const struct suppress_table *t, int d, int v);
/* The entry index of the total. */
size_t suppress_total(const struct suppress_table *t);

/* Add n to the cell at key and to its margins and the total. */
void suppress_add(struct suppress_table *t, const int *key, long long n);

/*
 * Mark the suppressed entries (see above) for min_cell >= 1. An entry
 * already marked (by the caller, e.g. because a related table hides it)
 * stays marked and is protected like a primary one; mark only non-zero
 * entries, since the audit takes a suppressed count to be at least 1.
 * 0, or -1 on ENOMEM (then everything non-zero is marked suppressed,
 * which is safe).
 */
int suppress_protect(struct suppress_table *t, long long min_cell);

/*
 * Hide the zeros that would tell what a small group has in common. A
 * group is the cells that share the values of some of the dimensions
 * (all cells: the total; one value of one dimension: its margin; in three
 * dimensions also the cells of two values). When a group counts 1 to
 * min_cell - 1, its zeros, published, would say which values its few
 * members do not have, and so often which they do (one hidden cell among
 * zeros: everyone in the group is in it). So every zero cell in such a
 * group, and every zero margin when the total is such a count, is marked
 * suppressed. Run after suppress_protect, whose audit took every zero to
 * be published: a reader now knows less than it assumed, so every range
 * it found stays as wide. 0, or -1 on ENOMEM (then everything is marked).
 */
int suppress_mask_zeros(struct suppress_table *t, long long min_cell);

/*
 * The feasible range of entry e as an attacker sees it: every published
 * entry as given, every suppressed one unknown but at least 1, the
 * relations above. *hi is -1 when unbounded. For a published entry both
 * are its count. 0, or -1 on ENOMEM.
 */
int suppress_range(
    const struct suppress_table *t, size_t e, long long *lo, long long *hi);

#endif
