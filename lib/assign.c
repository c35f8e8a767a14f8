/* assign.c: joint batch assignment: the model, branch and bound, level 3. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/assign.h"

#include "assign_internal.h"

/* Bump allocator over the caller's block; 8-byte aligned slices. */
struct assign_arena {
	char *base;
	size_t off, size;
};

static void *
assign_take(struct assign_arena *a, size_t count, size_t each)
{
	size_t bytes = count * each, at = (a->off + 7) & ~(size_t)7;

	if (a->base == NULL) {
		/* Sizing pass: only count. */
		a->off = at + bytes;
		return NULL;
	}
	if (at > a->size || bytes > a->size - at)
		return NULL;
	a->off = at + bytes;
	return a->base + at;
}

struct assign_dims {
	size_t n, nopt, nnodes, nedges, narcs, npools, nshelters;
};

static void
assign_dims(const struct assign_problem *p, struct assign_dims *d)
{
	int i, k;

	memset(d, 0, sizeof *d);
	d->n = p->nrequests > 0 && p->nrequests <= ASSIGN_REQUESTS_MAX
	    ? (size_t)p->nrequests
	    : 0;
	for (i = 0; i < (int)d->n && p->requests != NULL; i++) {
		k = p->requests[i].noptions;
		if (k > 0 && k <= ASSIGN_OPTIONS_MAX)
			d->nopt += (size_t)k;
	}
	d->nshelters =
	    p->nshelters > 0 && p->shelters != NULL ? (size_t)p->nshelters : 0;
	for (i = 0; i < (int)d->nshelters; i++)
		if (p->shelters[i].npools > 0)
			d->npools += (size_t)p->shelters[i].npools;
	/* source, sink, requests, at most one pool node and one hub an
	 * option */
	d->nnodes = 2 + d->n + 2 * d->nopt;
	/* source -> request, option, hub -> pool, pool -> sink */
	d->nedges = d->n + 3 * d->nopt;
	d->narcs = 2 * d->nedges;
}

/* Lay the arrays out in a (or only measure them when a->base is NULL). */
static int
assign_layout(
    struct assign_ctx *c, struct assign_arena *a, const struct assign_dims *d)
{
	size_t n = d->n, no = d->nopt, nv = d->nnodes, ne = d->nedges;
	size_t na = d->narcs;

	c->opt = assign_take(a, no + 1, sizeof *c->opt);
	c->first = assign_take(a, n + 1, sizeof(int));
	c->case_of = assign_take(a, n + 1, sizeof(int));
	c->apart = assign_take(a, n + 1, sizeof(bool));
	c->cur = assign_take(a, n + 1, sizeof(int));
	c->inc = assign_take(a, n + 1, sizeof(int));
	c->tmp = assign_take(a, n + 1, sizeof(int));
	c->order = assign_take(a, ASSIGN_OPTIONS_MAX, sizeof(int));
	c->pmap = assign_take(a, d->npools + 1, sizeof(int));
	c->pbase = assign_take(a, d->nshelters + 1, sizeof(int));
	c->cnt = assign_take(a, no + 1, sizeof(int));
	c->hubof = assign_take(a, no + 1, sizeof(int));
	c->eu = assign_take(a, ne + 1, sizeof(int));
	c->ev = assign_take(a, ne + 1, sizeof(int));
	c->ecap = assign_take(a, ne + 1, sizeof(int));
	c->ecost = assign_take(a, ne + 1, sizeof(long long));
	c->arc_of_edge = assign_take(a, ne + 1, sizeof(int));
	c->adj = assign_take(a, nv + 1, sizeof(int));
	c->to = assign_take(a, na + 1, sizeof(int));
	c->cap = assign_take(a, na + 1, sizeof(int));
	c->cap0 = assign_take(a, na + 1, sizeof(int));
	c->rev = assign_take(a, na + 1, sizeof(int));
	c->cost = assign_take(a, na + 1, sizeof(long long));
	c->pot = assign_take(a, nv + 1, sizeof(long long));
	c->dist = assign_take(a, nv + 1, sizeof(long long));
	c->prev = assign_take(a, nv + 1, sizeof(int));
	c->heap = assign_take(a, na + nv + 1, sizeof *c->heap);
	return a->base == NULL || c->heap != NULL ? 0 : -1;
}

/*
 * Bytes of workspace assign_batch needs for p; see assign.h.
 */
size_t
assign_work_size(const struct assign_problem *p)
{
	struct assign_dims d;
	struct assign_arena a = {NULL, 0, 0};
	struct assign_ctx c;

	assign_dims(p, &d);
	assign_layout(&c, &a, &d);
	return a.off + 8;
}

static int
assign_validate(const struct assign_problem *p, struct sh_error *err)
{
	const struct assign_request *r;
	const struct assign_option *o, *q;
	char field[96];
	int i, k, m;

	if (p->nrequests < 1 || p->nrequests > ASSIGN_REQUESTS_MAX ||
	    p->requests == NULL)
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "requests", "must hold 1 to %d requests",
		    ASSIGN_REQUESTS_MAX);
	if (p->nshelters < 0 || (p->nshelters > 0 && p->shelters == NULL))
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    "shelters", "must be an array");
	for (i = 0; i < p->nshelters; i++) {
		if (p->shelters[i].npools < 0 ||
		    (p->shelters[i].npools > 0 &&
		        p->shelters[i].free == NULL)) {
			snprintf(field, sizeof field, "shelters.%d.free", i);
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", field, "must be an array");
		}
		for (k = 0; k < p->shelters[i].npools; k++)
			if (p->shelters[i].free[k] < 0) {
				snprintf(field, sizeof field,
				    "shelters.%d.free.%d", i, k);
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "invalid_field", field,
				    "must be an integer >= 0");
			}
	}
	for (i = 0; i < p->nrequests; i++) {
		r = &p->requests[i];
		if (r->noptions < 0 || r->noptions > ASSIGN_OPTIONS_MAX ||
		    (r->noptions > 0 && r->options == NULL)) {
			snprintf(field, sizeof field, "requests.%d.options", i);
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", field, "must hold 0 to %d options",
			    ASSIGN_OPTIONS_MAX);
		}
		if ((unsigned)r->co_victims > CO_VICTIMS_TOGETHER) {
			snprintf(
			    field, sizeof field, "requests.%d.co_victims", i);
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", field,
			    "must be any, apart or together");
		}
		for (k = 0; k < r->noptions; k++) {
			o = &r->options[k];
			if (o->shelter < 0 || o->shelter >= p->nshelters) {
				snprintf(field, sizeof field,
				    "requests.%d.options.%d.shelter", i, k);
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "invalid_field", field, "no such shelter");
			}
			if (o->pool < 0 ||
			    o->pool >= p->shelters[o->shelter].npools) {
				snprintf(field, sizeof field,
				    "requests.%d.options.%d.pool", i, k);
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "invalid_field", field, "no such pool");
			}
			if (!(o->score >= 0 && o->score <= 100) ||
			    !(o->together >= 0 && o->together <= 100)) {
				snprintf(field, sizeof field,
				    "requests.%d.options.%d.%s", i, k,
				    o->score >= 0 && o->score <= 100
				        ? "together"
				        : "score");
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "invalid_field", field,
				    "must be a number from 0 to 100");
			}
			for (m = 0; m < k; m++) {
				q = &r->options[m];
				if (q->shelter == o->shelter &&
				    q->pool == o->pool) {
					snprintf(field, sizeof field,
					    "requests.%d.options.%d", i, k);
					return sh_error_set(err,
					    SH_INVALID_PARAMS, "invalid_field",
					    field,
					    "repeats option %d (same shelter "
					    "and pool)",
					    m);
				}
			}
		}
	}
	return 0;
}

/* Rank of single matching: score desc, free desc, shelter id asc, pool. */
static bool
assign_before(const struct assign_problem *p, const struct assign_opt *a,
    const struct assign_opt *b)
{
	const char *ia = p->shelters[a->shelter].id;
	const char *ib = p->shelters[b->shelter].id;
	int c;

	if (a->sh != b->sh)
		return a->sh > b->sh;
	if (a->free != b->free)
		return a->free > b->free;
	if (a->shelter != b->shelter) {
		if (ia != NULL && ib != NULL && (c = strcmp(ia, ib)) != 0)
			return c < 0;
		return a->shelter < b->shelter;
	}
	return a->pool < b->pool;
}

/* Options ranked, pool nodes, hubs, then the graph in CSR form. */
static void
assign_build(struct assign_ctx *c)
{
	const struct assign_problem *p = c->p;
	const struct assign_request *r;
	struct assign_opt *o, t;
	int i, j, k, m, g, base, nodes, first, u;

	c->n = p->nrequests;
	for (i = 0, base = 0; i < p->nshelters; i++) {
		c->pbase[i] = base;
		base += p->shelters[i].npools;
	}
	for (g = 0; g < base; g++)
		c->pmap[g] = -1;
	for (i = 0; i < c->n; i++) {
		r = &p->requests[i];
		c->apart[i] = r->co_victims == CO_VICTIMS_APART;
		c->case_of[i] = -1;
		for (j = 0; r->case_id != NULL && j < i; j++)
			if (p->requests[j].case_id != NULL &&
			    strcmp(p->requests[j].case_id, r->case_id) == 0) {
				c->case_of[i] = c->case_of[j];
				break;
			}
		if (r->case_id != NULL && c->case_of[i] == -1)
			c->case_of[i] = i;
	}

	/* Ranked options; insertion sort, at most ASSIGN_OPTIONS_MAX. */
	c->nopt = 0;
	for (i = 0; i < c->n; i++) {
		r = &p->requests[i];
		c->first[i] = first = c->nopt;
		for (k = 0; k < r->noptions; k++) {
			o = &c->opt[c->nopt];
			o->req = i;
			o->orig = k;
			o->shelter = r->options[k].shelter;
			o->pool = r->options[k].pool;
			o->free = p->shelters[o->shelter].free[o->pool];
			o->sh = llround(r->options[k].score * 100.0);
			o->hub = -1;
			o->disabled = 0;
			t = *o;
			for (m = c->nopt;
			     m > first && assign_before(p, &t, &c->opt[m - 1]);
			     m--)
				c->opt[m] = c->opt[m - 1];
			c->opt[m] = t;
			c->nopt++;
		}
	}
	c->first[c->n] = c->nopt;

	/* Pool nodes in rank order, so numbering never depends on the order
	 * options were given in. */
	nodes = 2 + c->n;
	for (k = 0; k < c->nopt; k++) {
		g = c->pbase[c->opt[k].shelter] + c->opt[k].pool;
		if (c->pmap[g] == -1)
			c->pmap[g] = nodes++;
		c->opt[k].node = c->pmap[g];
	}
	/* Hubs: per case, a pool node two apart members could use. cnt and
	 * hubof are indexed by pool node - first pool node. */
	for (k = 0; k < c->nopt; k++) {
		c->cnt[k] = 0;
		c->hubof[k] = -1;
	}
	c->nedges = 0;
	for (i = 0; i < c->n; i++) {
		if (c->case_of[i] != i)
			continue;
		for (j = i; j < c->n; j++)
			if (c->case_of[j] == i && c->apart[j])
				for (k = c->first[j]; k < c->first[j + 1]; k++)
					c->cnt[c->opt[k].node - 2 - c->n]++;
		for (j = i; j < c->n; j++) {
			if (c->case_of[j] != i || !c->apart[j])
				continue;
			for (k = c->first[j]; k < c->first[j + 1]; k++) {
				u = c->opt[k].node - 2 - c->n;
				if (c->cnt[u] < 2)
					continue;
				if (c->hubof[u] == -1) {
					c->hubof[u] = nodes++;
					assign_flow_edge(c, c->hubof[u],
					    c->opt[k].node, 1, 0);
				}
				c->opt[k].hub = c->hubof[u];
			}
		}
		for (j = i; j < c->n; j++)
			if (c->case_of[j] == i && c->apart[j])
				for (k = c->first[j]; k < c->first[j + 1];
				     k++) {
					u = c->opt[k].node - 2 - c->n;
					c->cnt[u] = 0;
					c->hubof[u] = -1;
				}
	}
	c->nnodes = nodes;
	for (i = 0; i < c->n; i++)
		assign_flow_edge(c, ASSIGN_SOURCE, 2 + i, 1, 0);
	for (k = 0; k < c->nopt; k++) {
		o = &c->opt[k];
		/* One unit crosses one option: a constant cost that keeps
		 * every cost >= 0 and leaves max-score intact per count. */
		o->arc = assign_flow_edge(c, 2 + o->req,
		    o->hub >= 0 ? o->hub : o->node, 1, 10000 - o->sh);
	}
	for (i = 0; i < p->nshelters; i++)
		for (k = 0; k < p->shelters[i].npools; k++) {
			g = c->pbase[i] + k;
			if (c->pmap[g] == -1)
				continue;
			m = p->shelters[i].free[k];
			assign_flow_edge(
			    c, c->pmap[g], ASSIGN_SINK, m < c->n ? m : c->n, 0);
		}
	assign_flow_csr(c);
	for (k = 0; k < c->nopt; k++)
		c->opt[k].arc = c->arc_of_edge[c->opt[k].arc];
}

static bool
assign_conflict(const struct assign_ctx *c, const int *sol, int i, int j)
{
	return sol[i] >= 0 && sol[j] >= 0 && c->case_of[i] >= 0 &&
	    c->case_of[i] == c->case_of[j] && (c->apart[i] || c->apart[j]) &&
	    c->opt[sol[i]].shelter == c->opt[sol[j]].shelter;
}

/* Keep the incumbent if (count, score) beats it. */
static void
assign_offer(struct assign_ctx *c, const int *sol)
{
	long long score = 0;
	int i, count = 0;

	for (i = 0; i < c->n; i++)
		if (sol[i] >= 0) {
			count++;
			score += c->opt[sol[i]].sh;
		}
	if (c->have_inc &&
	    (count < c->inc_count ||
	        (count == c->inc_count && score <= c->inc_score)))
		return;
	c->have_inc = true;
	c->inc_count = count;
	c->inc_score = score;
	memcpy(c->inc, sol, (size_t)c->n * sizeof *sol);
}

static void
assign_disable(struct assign_ctx *c, int req, int shelter, int delta)
{
	int k;

	for (k = c->first[req]; k < c->first[req + 1]; k++)
		if (c->opt[k].shelter == shelter)
			c->opt[k].disabled += delta;
}

/* Every other member of a's case at shelter s, disabled by delta. */
static void
assign_case_disable(struct assign_ctx *c, int a, int shelter, int delta)
{
	int j;

	for (j = 0; j < c->n; j++)
		if (j != a && c->case_of[j] == c->case_of[a])
			assign_disable(c, j, shelter, delta);
}

/* Branch and bound over apart conflicts the flow relaxation leaves. */
static void
assign_search(struct assign_ctx *c)
{
	long long score;
	int count, i, j, ci = -1, cj = -1, s, a;

	if (c->nodes >= c->max_nodes) {
		c->exact = false;
		return;
	}
	c->nodes++;
	count = assign_flow_solve(c, &score);
	if (c->have_inc &&
	    (count < c->inc_count ||
	        (count == c->inc_count && score <= c->inc_score)))
		return;
	for (i = 0; i < c->n && ci < 0; i++)
		for (j = i + 1; j < c->n; j++)
			if (assign_conflict(c, c->cur, i, j)) {
				ci = i;
				cj = j;
				break;
			}
	if (ci < 0) {
		assign_offer(c, c->cur);
		return;
	}
	/* The repaired solution is valid: an incumbent that prunes early. */
	memcpy(c->tmp, c->cur, (size_t)c->n * sizeof *c->tmp);
	for (j = 0; j < c->n; j++)
		for (i = 0; i < j; i++)
			if (assign_conflict(c, c->tmp, i, j)) {
				c->tmp[j] = -1;
				break;
			}
	assign_offer(c, c->tmp);
	s = c->opt[c->cur[ci]].shelter;
	/*
	 * a, one of the two that says apart (the earlier when both do),
	 * either stays at s with no other member of its case there, or is
	 * not at s: every valid assignment lies in one of the two branches.
	 * Forbidding the others all at once, not one at a time, keeps the
	 * tree small when an apart member shares a case with many members
	 * who do not say apart (each of them could take its turn at s).
	 * Moving a is searched first: it displaces one request, the other
	 * branch many.
	 */
	a = c->apart[ci] ? ci : cj;
	assign_disable(c, a, s, 1);
	assign_search(c);
	assign_disable(c, a, s, -1);
	assign_case_disable(c, a, s, 1);
	assign_search(c);
	assign_case_disable(c, a, s, -1);
}

/*
 * Restrict the options to the apart pattern of the incumbent, so that
 * every flow of the restricted graph is valid: at a shelter that took an
 * apart member of a case, no other member of that case; elsewhere, no
 * apart member of it.
 */
static void
assign_restrict(struct assign_ctx *c)
{
	struct assign_opt *o;
	int k, j, holder;
	bool any_apart;

	for (k = 0; k < c->nopt; k++) {
		o = &c->opt[k];
		o->disabled = 0;
		if (c->case_of[o->req] < 0)
			continue;
		any_apart = false;
		holder = -1;
		for (j = 0; j < c->n; j++) {
			if (c->case_of[j] != c->case_of[o->req])
				continue;
			if (c->apart[j])
				any_apart = true;
			if (c->apart[j] && c->inc[j] >= 0 &&
			    c->opt[c->inc[j]].shelter == o->shelter)
				holder = j;
		}
		if (!any_apart)
			continue;
		if (holder >= 0 ? holder != o->req : c->apart[o->req])
			o->disabled = 1;
	}
}

/* Freeze request i: its flow can no longer move. */
static void
assign_freeze(struct assign_ctx *c, int i)
{
	int a, k;

	for (a = c->adj[ASSIGN_SOURCE]; a < c->adj[ASSIGN_SOURCE + 1]; a++)
		if (c->to[a] == 2 + i) {
			c->cap[a] = 0;
			c->cap[c->rev[a]] = 0;
		}
	for (k = c->first[i]; k < c->first[i + 1]; k++) {
		a = c->opt[k].arc;
		c->cap[a] = 0;
		c->cap[c->rev[a]] = 0;
	}
}

/* Is shelter s holding an earlier, frozen together member of i's case? */
static bool
assign_with_kin(const struct assign_ctx *c, int i, int s)
{
	int j;

	for (j = 0; j < i; j++)
		if (c->case_of[j] >= 0 && c->case_of[j] == c->case_of[i] &&
		    c->p->requests[j].co_victims == CO_VICTIMS_TOGETHER &&
		    c->cur[j] >= 0 && c->opt[c->cur[j]].shelter == s)
			return true;
	return false;
}

/*
 * Level 3: requests in input order take their best-ranked option reachable
 * by a zero-cost residual cycle (same count and score), then are frozen.
 */
static void
assign_refine(struct assign_ctx *c)
{
	struct assign_opt *o;
	int i, k, m, norder, a, h, pass;
	bool together;
	long long rc;

	for (i = 0; i < c->n; i++) {
		together =
		    c->p->requests[i].co_victims == CO_VICTIMS_TOGETHER &&
		    c->case_of[i] >= 0;
		norder = 0;
		for (pass = together ? 0 : 1; pass < 2; pass++)
			for (k = c->first[i]; k < c->first[i + 1]; k++) {
				if (c->opt[k].disabled > 0)
					continue;
				if (together &&
				    assign_with_kin(c, i, c->opt[k].shelter) !=
				        (pass == 0))
					continue;
				c->order[norder++] = k;
			}
		for (m = 0; m < norder; m++) {
			k = c->order[m];
			if (k == c->cur[i])
				break;
			o = &c->opt[k];
			a = o->arc;
			if (c->cap[a] <= 0)
				continue;
			h = c->to[a];
			rc = c->cost[a] + c->pot[2 + i] - c->pot[h];
			if (rc != 0)
				continue; /* rc > 0: no zero cycle uses it */
			assign_flow_dijkstra(c, h, 2 + i);
			if (c->dist[2 + i] != 0)
				continue;
			assign_flow_augment(c, h, 2 + i);
			c->cap[a]--;
			c->cap[c->rev[a]]++;
			/* The cycle moved others too: read them again. */
			assign_flow_read(c, i, c->cur, &rc);
			break;
		}
		assign_freeze(c, i);
	}
}

static void
assign_result_fill(const struct assign_ctx *c, struct assign_result *res)
{
	const struct assign_opt *o;
	const struct assign_option *src;
	int i;

	memset(res, 0, sizeof *res);
	for (i = 0; i < c->n; i++) {
		res->choices[i] = (struct assign_choice){-1, -1, -1, 0, false};
		if (c->cur[i] < 0)
			continue;
		o = &c->opt[c->cur[i]];
		src = &c->p->requests[i].options[o->orig];
		res->choices[i].option = o->orig;
		res->choices[i].shelter = o->shelter;
		res->choices[i].pool = o->pool;
		res->choices[i].score = src->score;
		res->placed++;
		res->score += src->score;
	}
	res->exact = c->exact;
	res->nodes = c->nodes;
}

/*
 * Assign the batch p jointly into res; see assign.h.
 */
int
assign_batch(const struct assign_problem *p, void *work, size_t size,
    struct assign_result *res, struct sh_error *err)
{
	struct assign_ctx c;
	struct assign_dims d;
	struct assign_arena a;
	long long score;
	size_t need;
	void *own = NULL;
	int i;

	if (assign_validate(p, err) == -1)
		return -1;
	need = assign_work_size(p);
	if (work == NULL) {
		if ((own = work = malloc(need)) == NULL)
			return sh_error_set(err, SH_INTERNAL, "internal", NULL,
			    "out of memory");
		size = need;
	}
	if (size < need)
		return sh_error_set(err, SH_INTERNAL, "internal", NULL,
		    "assign: workspace of %zu bytes, %zu needed", size, need);
	memset(&c, 0, sizeof c);
	c.p = p;
	a = (struct assign_arena){work, 0, size};
	assign_dims(p, &d);
	if (assign_layout(&c, &a, &d) == -1) {
		free(own);
		return sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "assign: layout");
	}
	assign_build(&c);
	c.max_nodes = p->max_nodes > 0 ? p->max_nodes : ASSIGN_NODES_DEFAULT;
	c.exact = true;
	assign_search(&c);
	if (!c.have_inc) {
		/* The cap was 0 nodes deep: nobody placed is valid. */
		for (i = 0; i < c.n; i++)
			c.inc[i] = -1;
		c.have_inc = true;
	}
	assign_restrict(&c);
	assign_flow_solve(&c, &score);
	assign_refine(&c);
	assign_result_fill(&c, res);
	assign_together(p, res);
	free(own);
	return 0;
}
