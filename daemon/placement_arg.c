/*
 * placement_arg.c: the candidates argument of shd_submit and shd_propose,
 * written by hand into one buffer from a match result.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "placement.h"

/* A growing text buffer. */
struct placement_sbuf {
	char *p;
	size_t len, cap;
};

static bool
placement_sbuf_room(struct placement_sbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len > n)
		return true;
	for (cap = b->cap ? b->cap : 256; cap - b->len <= n; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

/* Copy s[0..n) to w: the end. */
static char *
placement_put(char *w, const char *s, size_t n)
{
	memcpy(w, s, n);
	return w + n;
}

#define placement_lit(w, lit) placement_put(w, lit, sizeof lit - 1)

/* A non-negative integer in decimal at w: the end. */
static char *
placement_uint(char *w, unsigned v)
{
	char tmp[16], *e = tmp + sizeof tmp, *q = e;

	do
		*--q = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return placement_put(w, q, (size_t)(e - q));
}

/* "NAME": of each scorer, written once (the names are plain words). */
static struct {
	char text[40];
	size_t len;
} scorer_keys[SCORER_COUNT];

static void
placement_scorer_keys(void)
{
	int k;

	if (scorer_keys[0].len != 0)
		return;
	for (k = 0; k < SCORER_COUNT; k++)
		scorer_keys[k].len = (size_t)snprintf(scorer_keys[k].text,
		    sizeof scorer_keys[k].text,
		    "\"%s\":", match_scorer_name(k));
}

/* The most one candidate's line takes (ids and pool names are plain). */
#define PLACEMENT_LINE_MAX                                                     \
	(MODEL_ID_MAX + MODEL_POOL_MAX * (MODEL_POOL_NAME_MAX + 1) + 32 +      \
	    SCORER_COUNT * (sizeof scorer_keys[0].text + 5) +                  \
	    MATCH_DISTANCE_TEXT_MAX)

/*
 * The candidates argument of shd_submit and shd_propose (docs/store.md),
 * one line per candidate in rank order (the first max):
 *   SHELTER_ID POOL[,POOL...] SCORE STALE SCORES DIST
 * every pool that admits the household with a free place in preference
 * order, the score as a JSON number (its hundredths, no trailing zeros:
 * what the store wrote when it decoded JSON), STALE 1 when the shelter's
 * report is stale (the proposal says so: the coordinator phones first),
 * SCORES a JSON object of the scorers that are on, DIST its distance_km
 * as compact JSON (stored with the proposal; never in events). Ids and
 * pool names
 * hold no space, comma or newline, so the store reads the lines with
 * string.find up to the candidate it takes instead of decoding them. ""
 * when there is none. Caller frees; NULL on ENOMEM.
 *
 * Written by hand into one buffer: with Jansson (an object per candidate,
 * then a dump that prints each score with printf) this was most of the
 * daemon's CPU time per submit.
 */
char *
placement_candidates_arg(const struct match_result *res, size_t max)
{
	const struct match_candidate *c;
	const struct shelter *sh;
	struct placement_sbuf b = {0};
	size_t i, n = res->ncandidates < max ? res->ncandidates : max;
	unsigned frac;
	char *w;
	int k;
	bool first;

	placement_scorer_keys();
	if (!placement_sbuf_room(&b, 64 + n * 260 + PLACEMENT_LINE_MAX))
		return NULL;
	b.p[0] = '\0';
	for (i = 0; i < n; i++) {
		/* Room for the whole line first, then write it unchecked. */
		if (!placement_sbuf_room(&b, PLACEMENT_LINE_MAX + 1)) {
			free(b.p);
			return NULL;
		}
		c = &res->candidates[i];
		sh = c->shelter;
		w = b.p + b.len;
		if (i > 0)
			*w++ = '\n';
		w = placement_put(w, sh->id, strlen(sh->id));
		*w++ = ' ';
		for (k = 0; k < c->npools; k++) {
			if (k > 0)
				*w++ = ',';
			w = placement_put(w, sh->pools[c->pools[k]].name,
			    strlen(sh->pools[c->pools[k]].name));
		}
		*w++ = ' ';
		w = placement_uint(w, (unsigned)c->score / 100);
		if ((frac = (unsigned)c->score % 100) != 0) {
			*w++ = '.';
			*w++ = (char)('0' + frac / 10);
			if (frac % 10 != 0)
				*w++ = (char)('0' + frac % 10);
		}
		w = alerts_freshness(sh) == FRESHNESS_STALE
		    ? placement_lit(w, " 1 {")
		    : placement_lit(w, " 0 {");
		for (k = 0, first = true; k < SCORER_COUNT; k++) {
			if (c->scores[k] < 0)
				continue;
			if (!first)
				*w++ = ',';
			first = false;
			w = placement_put(
			    w, scorer_keys[k].text, scorer_keys[k].len);
			w = placement_uint(w, (unsigned)c->scores[k]);
		}
		/* Then the distances, compact JSON without spaces. */
		w = placement_lit(w, "} ");
		match_distance_text(c, w, MATCH_DISTANCE_TEXT_MAX);
		w += strlen(w);
		b.len = (size_t)(w - b.p);
	}
	return b.p;
}
