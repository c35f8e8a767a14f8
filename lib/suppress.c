/*
 * suppress.c: small-cell protection (include/shelter/suppress.h).
 *
 * Primary suppression marks every count from 1 to min_cell - 1. Then
 * rounds of audit and secondary suppression: the audit computes, with a
 * linear program over the published relations, the range an attacker can
 * narrow each suppressed count down to; for the first suppressed entry
 * whose range is narrower than min_cell one more published non-zero entry
 * is suppressed, the smallest in a relation nearest to it. Suppressing more
 * only widens every range (the true table stays feasible, and every
 * earlier solution too), so an entry once protected stays protected and
 * the rounds end: at worst every non-zero entry is suppressed, and then
 * the total is unbounded and so is every range.
 */
#include <stdlib.h>
#include <string.h>

#include "shelter/suppress.h"

#define EPS 1e-9

/* Entry indexes. */

int
suppress_init(struct suppress_table *t, int ndims, const int *sizes)
{
	size_t ncells = 1, nmargins = 0;
	int d;

	memset(t, 0, sizeof *t);
	if (ndims < 1 || ndims > SUPPRESS_MAX_DIMS)
		return -1;
	for (d = 0; d < ndims; d++) {
		if (sizes[d] < 1 || sizes[d] > 100000 || ncells > 1000000)
			return -1;
		t->sizes[d] = sizes[d];
		ncells *= (size_t)sizes[d];
		nmargins += (size_t)sizes[d];
	}
	t->ndims = ndims;
	t->ncells = ncells;
	t->nentries = ncells + nmargins + 1;
	t->count = calloc(t->nentries, sizeof *t->count);
	t->suppressed = calloc(t->nentries, sizeof *t->suppressed);
	if (t->count == NULL || t->suppressed == NULL) {
		suppress_free(t);
		return -1;
	}
	return 0;
}

void
suppress_free(struct suppress_table *t)
{
	free(t->count);
	free(t->suppressed);
	t->count = NULL;
	t->suppressed = NULL;
}

size_t
suppress_cell(const struct suppress_table *t, const int *key)
{
	size_t i = 0;
	int d;

	for (d = 0; d < t->ndims; d++)
		i = i * (size_t)t->sizes[d] + (size_t)key[d];
	return i;
}

size_t
suppress_margin(const struct suppress_table *t, int d, int v)
{
	size_t i = t->ncells;
	int k;

	for (k = 0; k < d; k++)
		i += (size_t)t->sizes[k];
	return i + (size_t)v;
}

size_t
suppress_total(const struct suppress_table *t)
{
	return t->nentries - 1;
}

void
suppress_add(struct suppress_table *t, const int *key, long long n)
{
	int d;

	t->count[suppress_cell(t, key)] += n;
	for (d = 0; d < t->ndims; d++)
		t->count[suppress_margin(t, d, key[d])] += n;
	t->count[suppress_total(t)] += n;
}

/* The value of dimension d in cell c. */
static int
suppress_key_of(const struct suppress_table *t, size_t c, int d)
{
	int k;

	for (k = t->ndims - 1; k > d; k--)
		c /= (size_t)t->sizes[k];
	return (int)(c % (size_t)t->sizes[d]);
}

/*
 * The relations: one per margin (lhs the margin, rhs its cells) and one
 * per dimension (lhs the total, rhs that dimension's margins), flattened:
 * rel_lhs[r], members rel_start[r] .. rel_start[r + 1] in rel_rhs.
 */
struct rels {
	size_t n;
	size_t *lhs, *start, *rhs;
};

static void
rels_free(struct rels *r)
{
	free(r->lhs);
	free(r->start);
	free(r->rhs);
}

static int
rels_build(const struct suppress_table *t, struct rels *r)
{
	size_t nmargins = t->nentries - t->ncells - 1, c, k = 0, i;
	int d, v;

	r->n = nmargins + (size_t)t->ndims;
	r->lhs = calloc(r->n, sizeof *r->lhs);
	r->start = calloc(r->n + 1, sizeof *r->start);
	r->rhs =
	    calloc(t->ncells * (size_t)t->ndims + nmargins, sizeof *r->rhs);
	if (r->lhs == NULL || r->start == NULL || r->rhs == NULL) {
		rels_free(r);
		return -1;
	}
	i = 0;
	for (d = 0; d < t->ndims; d++)
		for (v = 0; v < t->sizes[d]; v++) {
			r->lhs[i] = suppress_margin(t, d, v);
			r->start[i++] = k;
			for (c = 0; c < t->ncells; c++)
				if (suppress_key_of(t, c, d) == v)
					r->rhs[k++] = c;
		}
	for (d = 0; d < t->ndims; d++) {
		r->lhs[i] = suppress_total(t);
		r->start[i++] = k;
		for (v = 0; v < t->sizes[d]; v++)
			r->rhs[k++] = suppress_margin(t, d, v);
	}
	r->start[i] = k;
	return 0;
}

/*
 * The linear program of one audit: the unknowns y_j = x_j - 1 >= 0 of the
 * suppressed entries, one equality row per relation that has an unknown,
 * in a dense simplex tableau with one artificial column per row. After
 * lp_build the basis is feasible (phase I done); every objective then
 * starts from the current basis, which stays feasible.
 */
struct lp {
	size_t m, n, cols; /* rows, unknowns, n + m + 1 (rhs last) */
	double *T;         /* (m + 1) x cols, the objective row last */
	size_t *basis;     /* per row, its basic column */
	size_t *var;       /* entry -> unknown + 1, 0: published */
};

#define LP(lp, i, j) ((lp)->T[(i) * (lp)->cols + (j)])

static void
lp_free(struct lp *lp)
{
	free(lp->T);
	free(lp->basis);
	free(lp->var);
}

static void
lp_pivot(struct lp *lp, size_t r, size_t c)
{
	double p = LP(lp, r, c), f;
	size_t i, j;

	for (j = 0; j < lp->cols; j++)
		LP(lp, r, j) /= p;
	for (i = 0; i <= lp->m; i++) {
		if (i == r || (f = LP(lp, i, c)) == 0.0)
			continue;
		for (j = 0; j < lp->cols; j++)
			LP(lp, i, j) -= f * LP(lp, r, j);
	}
	lp->basis[r] = c;
}

/*
 * Maximise the objective row over columns below ncols (Bland's rule).
 * stop: end as soon as the objective reaches it. 0, or 1 when unbounded.
 */
static int
lp_run(struct lp *lp, size_t ncols, double stop)
{
	size_t i, j, r, rhs = lp->cols - 1;
	double best, ratio;

	for (;;) {
		if (LP(lp, lp->m, rhs) >= stop - EPS)
			return 0;
		for (j = 0; j < ncols; j++)
			if (LP(lp, lp->m, j) < -EPS)
				break;
		if (j == ncols)
			return 0;
		r = lp->m;
		best = 0;
		for (i = 0; i < lp->m; i++) {
			if (LP(lp, i, j) <= EPS)
				continue;
			ratio = LP(lp, i, rhs) / LP(lp, i, j);
			if (r == lp->m || ratio < best - EPS ||
			    (ratio < best + EPS &&
			        lp->basis[i] < lp->basis[r])) {
				r = i;
				best = ratio;
			}
		}
		if (r == lp->m)
			return 1;
		lp_pivot(lp, r, j);
	}
}

static int
lp_build(const struct suppress_table *t, const struct rels *rl, struct lp *lp)
{
	size_t e, r, k, i, j, nrows = 0, row;
	double b;

	memset(lp, 0, sizeof *lp);
	if ((lp->var = calloc(t->nentries, sizeof *lp->var)) == NULL)
		return -1;
	for (e = 0; e < t->nentries; e++)
		if (t->suppressed[e])
			lp->var[e] = ++lp->n;
	for (r = 0; r < rl->n; r++) {
		bool any = lp->var[rl->lhs[r]] != 0;

		for (k = rl->start[r]; !any && k < rl->start[r + 1]; k++)
			any = lp->var[rl->rhs[k]] != 0;
		nrows += any;
	}
	lp->m = nrows;
	lp->cols = lp->n + lp->m + 1;
	lp->T = calloc((lp->m + 1) * lp->cols, sizeof *lp->T);
	lp->basis = calloc(lp->m ? lp->m : 1, sizeof *lp->basis);
	if (lp->T == NULL || lp->basis == NULL) {
		lp_free(lp);
		return -1;
	}
	row = 0;
	for (r = 0; r < rl->n; r++) {
		bool any = false;

		/* lhs - sum(rhs) = 0, known counts and the 1s of x = y + 1
		 * moved to the right. */
		b = 0;
		for (k = rl->start[r]; k <= rl->start[r + 1]; k++) {
			double a = k == rl->start[r + 1] ? 1.0 : -1.0;

			e = k == rl->start[r + 1] ? rl->lhs[r] : rl->rhs[k];
			if (lp->var[e] != 0) {
				LP(lp, row, lp->var[e] - 1) += a;
				b -= a;
				any = true;
			} else
				b -= a * (double)t->count[e];
		}
		if (!any) {
			for (j = 0; j < lp->cols; j++)
				LP(lp, row, j) = 0;
			continue;
		}
		if (b < 0) {
			for (j = 0; j < lp->n; j++)
				LP(lp, row, j) = -LP(lp, row, j);
			b = -b;
		}
		LP(lp, row, lp->n + row) = 1;
		LP(lp, row, lp->cols - 1) = b;
		lp->basis[row] = lp->n + row;
		row++;
	}
	/* Phase I: maximise -sum(artificials). */
	for (j = 0; j < lp->cols; j++) {
		double s = 0;

		for (i = 0; i < lp->m; i++)
			s += LP(lp, i, j);
		LP(lp, lp->m, j) = j >= lp->n && j < lp->n + lp->m ? 0 : -s;
	}
	lp_run(lp, lp->n + lp->m, 0.0);
	/* Drive the artificials out of the basis; a row where none can go
	 * is redundant and never limits a ratio (its entries are 0). */
	for (i = 0; i < lp->m; i++) {
		if (lp->basis[i] < lp->n)
			continue;
		for (j = 0; j < lp->n; j++)
			if (LP(lp, i, j) > EPS || LP(lp, i, j) < -EPS) {
				lp_pivot(lp, i, j);
				break;
			}
	}
	return 0;
}

/* Optimise sign * y_v from the current basis; unbounded: 1. *val the
 * objective reached (stop ends early, see lp_run). */
static int
lp_opt(struct lp *lp, size_t v, double sign, double stop, double *val)
{
	size_t i, j, rhs = lp->cols - 1;
	int rc;

	for (j = 0; j < lp->cols; j++)
		LP(lp, lp->m, j) = 0;
	LP(lp, lp->m, v) = -sign;
	for (i = 0; i < lp->m; i++)
		if (lp->basis[i] == v)
			for (j = 0; j < lp->cols; j++)
				LP(lp, lp->m, j) += sign * LP(lp, i, j);
	rc = lp_run(lp, lp->n, stop);
	*val = LP(lp, lp->m, rhs);
	return rc;
}

/* lo, hi (-1: unbounded) of entry e in lp; stop_width > 0 ends the
 * maximisation once hi - lo reaches it. */
static void
lp_range(const struct suppress_table *t, struct lp *lp, size_t e,
    double stop_width, long long *lo, long long *hi)
{
	double v;

	if (lp->var[e] == 0) {
		*lo = *hi = t->count[e];
		return;
	}
	lp_opt(lp, lp->var[e] - 1, -1.0, 0.0, &v);
	*lo = 1 + (long long)(-v + 0.5);
	if (lp_opt(lp, lp->var[e] - 1, 1.0,
	        stop_width > 0 ? (double)(*lo - 1) + stop_width : 1e300,
	        &v) == 1)
		*hi = -1;
	else
		*hi = 1 + (long long)(v + 0.5);
}

int
suppress_range(
    const struct suppress_table *t, size_t e, long long *lo, long long *hi)
{
	struct rels rl;
	struct lp lp;

	if (rels_build(t, &rl) == -1)
		return -1;
	if (lp_build(t, &rl, &lp) == -1) {
		rels_free(&rl);
		return -1;
	}
	lp_range(t, &lp, e, 0, lo, hi);
	lp_free(&lp);
	rels_free(&rl);
	return 0;
}

/*
 * The published non-zero entry with the smallest count in a relation of e,
 * or, when there is none, in a relation of a suppressed entry reached from
 * e through relations (breadth first); the total only when nothing else
 * is left. seen and queue have nentries elements. (size_t)-1 when there
 * is none.
 */
static size_t
suppress_partner(const struct suppress_table *t, const struct rels *rl,
    size_t e, bool *seen, size_t *queue)
{
	size_t head = 0, tail = 0, best, r, k, f, x, level_end;
	size_t total = (size_t)-1;

	memset(seen, 0, t->nentries * sizeof *seen);
	seen[e] = true;
	queue[tail++] = e;
	while (head < tail) {
		best = (size_t)-1;
		level_end = tail;
		for (; head < level_end; head++) {
			x = queue[head];
			for (r = 0; r < rl->n; r++) {
				bool in = rl->lhs[r] == x;

				for (k = rl->start[r];
				     !in && k < rl->start[r + 1]; k++)
					in = rl->rhs[k] == x;
				if (!in)
					continue;
				for (k = rl->start[r]; k <= rl->start[r + 1];
				     k++) {
					f = k == rl->start[r + 1] ? rl->lhs[r]
					                          : rl->rhs[k];
					if (t->suppressed[f]) {
						if (!seen[f]) {
							seen[f] = true;
							queue[tail++] = f;
						}
					} else if (f == suppress_total(t)) {
						if (t->count[f] > 0)
							total = f;
					} else if (t->count[f] > 0 &&
					    (best == (size_t)-1 ||
					        t->count[f] < t->count[best]))
						best = f;
				}
			}
		}
		if (best != (size_t)-1)
			return best;
	}
	return total;
}

/*
 * The index of cell c's group that keeps the dimensions in mask (bit d:
 * dimension d kept, the others summed over), among that mask's groups.
 */
static size_t
suppress_group_of(const struct suppress_table *t, size_t c, unsigned mask)
{
	size_t g = 0;
	int d;

	for (d = 0; d < t->ndims; d++)
		if (mask & (1u << d))
			g = g * (size_t)t->sizes[d] +
			    (size_t)suppress_key_of(t, c, d);
	return g;
}

int
suppress_mask_zeros(struct suppress_table *t, long long min_cell)
{
	unsigned full = (1u << t->ndims) - 1, mask;
	long long *sum[1u << SUPPRESS_MAX_DIMS] = {NULL}, n;
	size_t c, e, size;
	bool small;
	int d, rc = -1;

	/* The sums of every group of cells that share some of their values
	 * (mask 0: the total), but not the cells themselves. */
	for (mask = 0; mask < full; mask++) {
		for (d = 0, size = 1; d < t->ndims; d++)
			if (mask & (1u << d))
				size *= (size_t)t->sizes[d];
		if ((sum[mask] = calloc(size, sizeof *sum[mask])) == NULL)
			goto out;
		for (c = 0; c < t->ncells; c++)
			sum[mask][suppress_group_of(t, c, mask)] += t->count[c];
	}
	for (c = 0; c < t->ncells; c++) {
		for (mask = 0, small = false;
		     t->count[c] == 0 && !small && mask < full; mask++) {
			n = sum[mask][suppress_group_of(t, c, mask)];
			small = n > 0 && n < min_cell;
		}
		t->suppressed[c] = t->suppressed[c] || small;
	}
	/* A margin's one group larger than itself is the total. */
	n = t->count[suppress_total(t)];
	for (e = t->ncells; e < suppress_total(t); e++)
		if (t->count[e] == 0 && n > 0 && n < min_cell)
			t->suppressed[e] = true;
	rc = 0;
out:
	for (mask = 0; mask < full; mask++)
		free(sum[mask]);
	if (rc == -1)
		for (e = 0; e < t->nentries; e++)
			t->suppressed[e] = true;
	return rc;
}

/* Everything non-zero suppressed: the safe answer when memory runs out. */
static int
suppress_all(struct suppress_table *t)
{
	size_t e;

	for (e = 0; e < t->nentries; e++)
		t->suppressed[e] = t->count[e] > 0;
	return -1;
}

int
suppress_protect(struct suppress_table *t, long long min_cell)
{
	bool *done = NULL, *seen = NULL, added;
	size_t *queue = NULL, e, p;
	long long lo, hi;
	struct rels rl;
	struct lp lp;

	for (e = 0; e < t->nentries; e++)
		t->suppressed[e] = t->suppressed[e] ||
		    (t->count[e] > 0 && t->count[e] < min_cell);
	if (rels_build(t, &rl) == -1)
		return suppress_all(t);
	done = calloc(t->nentries, sizeof *done);
	seen = calloc(t->nentries, sizeof *seen);
	queue = calloc(t->nentries, sizeof *queue);
	if (done == NULL || seen == NULL || queue == NULL)
		goto fail;
	do {
		added = false;
		if (lp_build(t, &rl, &lp) == -1)
			goto fail;
		for (e = 0; e < t->nentries; e++) {
			/* Marked in this round: audited in the next. */
			if (!t->suppressed[e] || done[e] || lp.var[e] == 0)
				continue;
			lp_range(t, &lp, e, (double)min_cell, &lo, &hi);
			if (hi == -1 || hi - lo >= min_cell) {
				done[e] = true; /* stays protected */
				continue;
			}
			/* One secondary per round: it may protect the
			 * others too (suppressing a pair hides both). */
			p = suppress_partner(t, &rl, e, seen, queue);
			if (p != (size_t)-1) {
				t->suppressed[p] = true;
				added = true;
				break;
			}
		}
		lp_free(&lp);
	} while (added);
	free(done);
	free(seen);
	free(queue);
	rels_free(&rl);
	return 0;
fail:
	free(done);
	free(seen);
	free(queue);
	rels_free(&rl);
	return suppress_all(t);
}
