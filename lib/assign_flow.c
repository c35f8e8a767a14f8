/* assign_flow.c: min-cost flow for assign.c (edges, heap, Dijkstra). */
#include <limits.h>
#include <stddef.h>

#include "assign_internal.h"

#define ASSIGN_INF (LLONG_MAX / 4)

/*
 * Record one edge for assign_flow_csr; see assign_internal.h.
 */
int
assign_flow_edge(struct assign_ctx *c, int u, int v, int cap, long long cost)
{
	int e = c->nedges++;

	c->eu[e] = u;
	c->ev[e] = v;
	c->ecap[e] = cap;
	c->ecost[e] = cost;
	return e;
}

/*
 * Edges to CSR; see assign_internal.h.
 */
void
assign_flow_csr(struct assign_ctx *c)
{
	int *deg;
	int e, u;

	/* CSR: count, prefix, place (reverse arcs next to their pair's
	 * order of creation, which is deterministic). */
	deg = c->prev; /* free until the first solve */
	for (u = 0; u <= c->nnodes; u++)
		deg[u] = 0;
	for (e = 0; e < c->nedges; e++) {
		deg[c->eu[e]]++;
		deg[c->ev[e]]++;
	}
	c->adj[0] = 0;
	for (u = 0; u < c->nnodes; u++)
		c->adj[u + 1] = c->adj[u] + deg[u];
	for (u = 0; u < c->nnodes; u++)
		deg[u] = c->adj[u];
	for (e = 0; e < c->nedges; e++) {
		int a = deg[c->eu[e]]++, b = deg[c->ev[e]]++;

		c->to[a] = c->ev[e];
		c->cap0[a] = c->ecap[e];
		c->cost[a] = c->ecost[e];
		c->rev[a] = b;
		c->to[b] = c->eu[e];
		c->cap0[b] = 0;
		c->cost[b] = -c->ecost[e];
		c->rev[b] = a;
		c->arc_of_edge[e] = a;
	}
	c->narcs = 2 * c->nedges;
}

/* Binary min-heap on (d, v): ties by node, so the order is deterministic. */
static void
assign_flow_push(struct assign_ctx *c, long long d, int v)
{
	int i = c->nheap++, up;

	while (i > 0) {
		up = (i - 1) / 2;
		if (c->heap[up].d < d ||
		    (c->heap[up].d == d && c->heap[up].v <= v))
			break;
		c->heap[i] = c->heap[up];
		i = up;
	}
	c->heap[i].d = d;
	c->heap[i].v = v;
}

static struct assign_heap_item
assign_flow_pop(struct assign_ctx *c)
{
	struct assign_heap_item top = c->heap[0], last = c->heap[--c->nheap];
	int i = 0, k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= c->nheap)
			break;
		if (k + 1 < c->nheap &&
		    (c->heap[k + 1].d < c->heap[k].d ||
		        (c->heap[k + 1].d == c->heap[k].d &&
		            c->heap[k + 1].v < c->heap[k].v)))
			k++;
		if (last.d < c->heap[k].d ||
		    (last.d == c->heap[k].d && last.v <= c->heap[k].v))
			break;
		c->heap[i] = c->heap[k];
		i = k;
	}
	c->heap[i] = last;
	return top;
}

/*
 * Dijkstra on reduced costs from src over arcs with capacity; stops when
 * target (if >= 0) is settled. prev holds the arc into each node. See
 * assign_internal.h.
 */
void
assign_flow_dijkstra(struct assign_ctx *c, int src, int target)
{
	struct assign_heap_item it;
	long long nd;
	int u, v, a;

	for (u = 0; u < c->nnodes; u++) {
		c->dist[u] = ASSIGN_INF;
		c->prev[u] = -1;
	}
	c->nheap = 0;
	c->dist[src] = 0;
	assign_flow_push(c, 0, src);
	while (c->nheap > 0) {
		it = assign_flow_pop(c);
		u = it.v;
		if (it.d > c->dist[u])
			continue;
		if (u == target)
			return;
		for (a = c->adj[u]; a < c->adj[u + 1]; a++) {
			if (c->cap[a] <= 0)
				continue;
			v = c->to[a];
			nd = it.d + c->cost[a] + c->pot[u] - c->pot[v];
			if (nd < c->dist[v]) {
				c->dist[v] = nd;
				c->prev[v] = a;
				assign_flow_push(c, nd, v);
			}
		}
	}
}

/*
 * Push one unit along the prev arcs from src to dst; see assign_internal.h.
 */
void
assign_flow_augment(struct assign_ctx *c, int src, int dst)
{
	int v = dst, a;

	while (v != src) {
		a = c->prev[v];
		c->cap[a]--;
		c->cap[c->rev[a]]++;
		v = c->to[c->rev[a]];
	}
}

/*
 * The option the flow gives requests from..n-1, into out[]; returns their
 * count and score in hundredths. Frozen requests must come before from:
 * their arcs no longer show the flow. See assign_internal.h.
 */
int
assign_flow_read(struct assign_ctx *c, int from, int *out, long long *score)
{
	int i, k, count = 0;

	*score = 0;
	for (i = from; i < c->n; i++) {
		out[i] = -1;
		for (k = c->first[i]; k < c->first[i + 1]; k++)
			if (c->opt[k].disabled == 0 &&
			    c->cap[c->opt[k].arc] == 0) {
				out[i] = k;
				*score += c->opt[k].sh;
				count++;
				break;
			}
	}
	return count;
}

/*
 * Min-cost max-flow from scratch with the options of this branch, by
 * successive shortest paths. Leaves pot valid (reduced costs >= 0 on every
 * residual arc) and the solution in c->cur. See assign_internal.h.
 */
int
assign_flow_solve(struct assign_ctx *c, long long *score)
{
	long long dmax;
	int a, k, u;

	for (a = 0; a < c->narcs; a++)
		c->cap[a] = c->cap0[a];
	for (k = 0; k < c->nopt; k++)
		if (c->opt[k].disabled > 0)
			c->cap[c->opt[k].arc] = 0;
	for (u = 0; u < c->nnodes; u++)
		c->pot[u] = 0;
	for (;;) {
		/* Stop at the sink: nodes not settled by then are raised by
		 * the sink's distance, which keeps every reduced cost >= 0. */
		assign_flow_dijkstra(c, ASSIGN_SOURCE, ASSIGN_SINK);
		dmax = c->dist[ASSIGN_SINK];
		if (dmax >= ASSIGN_INF)
			break;
		for (u = 0; u < c->nnodes; u++)
			c->pot[u] += c->dist[u] < dmax ? c->dist[u] : dmax;
		assign_flow_augment(c, ASSIGN_SOURCE, ASSIGN_SINK);
	}
	/* The last search ran to the end. Nodes it did not reach stay
	 * unreachable; raising them by the largest distance keeps arcs into
	 * reached nodes >= 0, so level 3 may search from anywhere. */
	dmax = 0;
	for (u = 0; u < c->nnodes; u++)
		if (c->dist[u] < ASSIGN_INF && c->dist[u] > dmax)
			dmax = c->dist[u];
	for (u = 0; u < c->nnodes; u++)
		c->pot[u] += c->dist[u] < ASSIGN_INF ? c->dist[u] : dmax;
	return assign_flow_read(c, 0, c->cur, score);
}
