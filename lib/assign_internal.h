/*
 * assign_internal.h: the private state shared by assign.c (the model:
 * options, network, branch and bound, refinement) and assign_flow.c (the
 * min-cost flow on that network). lib/assign*.c only.
 *
 * One struct assign_ctx lives on assign_batch's stack; its arrays are
 * slices of the caller's workspace (assign_layout). Nothing here allocates
 * or frees.
 */
#ifndef SHELTER_ASSIGN_INTERNAL_H
#define SHELTER_ASSIGN_INTERNAL_H

#include <stdbool.h>

#include "shelter/assign.h"

#define ASSIGN_SOURCE 0
#define ASSIGN_SINK   1

/* One option, ranked; the options of a request are contiguous. */
struct assign_opt {
	int req;
	int orig; /* index in the caller's options[] */
	int shelter, pool;
	int free;     /* the pool's free places, for the rank */
	long long sh; /* score in hundredths */
	int node;     /* pool node */
	int hub;      /* hub node, -1: none */
	int arc;      /* forward arc request -> pool or hub */
	int disabled; /* > 0: forbidden in this branch */
};

struct assign_heap_item {
	long long d;
	int v;
};

struct assign_ctx {
	const struct assign_problem *p;
	int n, nopt, nnodes, narcs, nedges;
	struct assign_opt *opt;
	int *first; /* [n + 1]: options of request i are first[i]..first[i+1] */
	int *case_of;     /* [n]: first request of the same case, -1: none */
	bool *apart;      /* [n] */
	int *cur;         /* [n]: option of the current flow, -1: none */
	int *inc;         /* [n]: incumbent */
	int *tmp;         /* [n] */
	int *order;       /* [ASSIGN_OPTIONS_MAX] */
	int *pmap;        /* [total pools]: pool node, -1: none */
	int *pbase;       /* [nshelters]: first global pool of a shelter */
	int *cnt, *hubof; /* [nopt]: per pool node, while building hubs */
	/* edges while building, then arcs in CSR order */
	int *eu, *ev, *ecap;
	long long *ecost;
	int *adj, *to, *cap, *cap0, *rev, *arc_of_edge;
	long long *cost, *pot, *dist;
	int *prev;
	struct assign_heap_item *heap;
	int nheap;
	int inc_count;
	long long inc_score;
	bool have_inc;
	long nodes, max_nodes;
	bool exact;
};

/*
 * Record the edge u -> v (capacity cap, cost per unit cost) in the build
 * arrays eu/ev/ecap/ecost, which must have room for it. Returns its edge
 * index; assign_flow_csr maps it to an arc (arc_of_edge).
 */
int assign_flow_edge(
    struct assign_ctx *c, int u, int v, int cap, long long cost);

/*
 * Turn the c->nedges recorded edges over c->nnodes nodes into the CSR
 * residual graph: adj, to, cap0, cost, rev, narcs, and arc_of_edge for
 * each edge (its forward arc; the reverse arc has capacity 0 and cost
 * -cost). Uses prev as scratch, so it must run before the first solve.
 */
void assign_flow_csr(struct assign_ctx *c);

/*
 * Dijkstra on reduced costs (cost + pot[u] - pot[v]) from src over arcs
 * with capacity left; stops once target is settled (target < 0: never).
 * Fills dist (LLONG_MAX / 4: unreached) and prev (the arc into each
 * node, -1: none); uses heap. Needs pot to keep every residual reduced
 * cost >= 0.
 */
void assign_flow_dijkstra(struct assign_ctx *c, int src, int target);

/*
 * Push one unit along the prev arcs from src to dst (as the last
 * assign_flow_dijkstra from src left them).
 */
void assign_flow_augment(struct assign_ctx *c, int src, int dst);

/*
 * The option the flow gives each request from..n-1, into out[from..n-1]
 * (-1: none); returns their count and stores their score in hundredths in
 * *score. Frozen requests must come before from: their arcs no longer show
 * the flow.
 */
int assign_flow_read(
    struct assign_ctx *c, int from, int *out, long long *score);

/*
 * Min-cost max-flow from scratch with the options not disabled in this
 * branch, by successive shortest paths. Leaves pot valid (reduced costs
 * >= 0 on every residual arc) and the solution in c->cur; returns the
 * count placed and stores the score in hundredths in *score.
 */
int assign_flow_solve(struct assign_ctx *c, long long *score);

/*
 * After the optimum: bring each case's together members to one shelter
 * where that raises the total with their together scores, and set every
 * choice's score and together flag and res->score (assign_together.c).
 */
void assign_together(const struct assign_problem *p, struct assign_result *res);

#endif
