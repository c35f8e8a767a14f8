/*
 * match_blocks.h: the blocks of shelters match_run_top bounds (lib/ only;
 * see match_top.c for how a request uses them, match_blocks.c for how
 * they are kept).
 */
#ifndef SHELTER_MATCH_BLOCKS_H
#define SHELTER_MATCH_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shelter/match.h"

#define TOP_B      64   /* shelters per block */
#define TOP_LANGS  63   /* languages with a bit; bit 63: all the others */
#define TOP_KIDS   31   /* children_max from which pools share a bit */
#define TOP_EPS_KM 1e-6 /* rounding in the distances the circles bound */

/* The two orders of blocks: shelters alike (program, care, security,
 * languages, then id), and shelters near each other. */
enum { TOP_KIND, TOP_PLACE, TOP_SETS };

struct top_block {
	/* What match_index_set saw. */
	double lat, lon, radius_km; /* every member within radius_km */
	uint64_t langs;
	unsigned care_or;
	uint8_t care_min[16]; /* least popcount(care & M), M specialised */
	unsigned programs;    /* 1u << program; 1u << PROGRAM_COUNT: other */
	int security_max;
	long long updated_max;
	uint32_t kids[GENDER_COUNT]; /* bit c: a pool, children_max c */
	uint32_t rank_min;
	/* The live counts (match_index_counts). */
	int occupancy_max;
	int free_max[GENDER_COUNT];
	long long program_free[PROGRAM_COUNT]; /* the open members' */
};

struct top_set {
	uint32_t *order; /* [j]: the position of the j-th member */
	uint32_t *block; /* [position]: its block */
	struct top_block *b;
	size_t nblocks;
};

/* A block as a request bounds it (match_top.c). */
struct top_bound {
	uint64_t key; /* no member ranks above it */
	uint32_t block;
};

/* What bounds one shelter's key, by position, in a small record. */
struct top_member {
	uint64_t langs;
	long long updated_at;
	unsigned care;
	unsigned spec; /* match_blocks_spec(care) */
	int program;
	int occupancy;              /* live */
	int free_max[GENDER_COUNT]; /* live */
	long long open_free; /* live: its free places when open, in a program */
};

struct match_top {
	const struct shelter **sh; /* by position */
	struct top_member *mem;    /* by position */
	uint32_t *rank;            /* position -> place in id order */
	uint32_t *byid;            /* place in id order -> position */
	size_t n;
	lang_t langs[TOP_LANGS];
	int nlangs;
	bool lang_overflow;
	struct top_set set[TOP_SETS];
	uint8_t *mark;           /* per block of a set: a case shelter */
	struct top_bound *bound; /* per block: a request's bounds */
	/* Per request, bit by position: left by the index and not yet seen
	 * to fail a filter. */
	uint64_t *left;
};

/* The specialised tags of m as 4 bits (one per CARE_SPECIALISED tag). */
unsigned match_blocks_spec(unsigned m);

/*
 * The bit of language l in t's languages (added first when add and there
 * is room); 0 when no indexed shelter speaks it.
 */
uint64_t match_blocks_lang(struct match_top *t, lang_t l, bool add);

/* Block b's members: positions order[start, *end) of its set; start. */
size_t match_blocks_members(const struct match_top *t, size_t b, size_t *end);

/* Shelter i (< idx->n; s, perhaps a new copy) has new live counts. */
void match_blocks_counts(
    struct match_index *idx, size_t i, const struct shelter *s);

#endif
