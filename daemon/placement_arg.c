/*
 * placement_arg.c: the candidates argument of shd_submit and shd_propose,
 * written by hand into one buffer from a match result.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "placement.h"

/* A growing text buffer; oom sticks once an allocation failed. */
struct placement_sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static bool
placement_sbuf_room(struct placement_sbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len > n)
		return true;
	for (cap = b->cap ? b->cap : 256; cap - b->len <= n; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
placement_sbuf_add(struct placement_sbuf *b, const char *s, size_t n)
{
	if (!placement_sbuf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

#define placement_sbuf_lit(b, lit) placement_sbuf_add(b, lit, sizeof lit - 1)

/* A non-negative integer in decimal. */
static void
placement_sbuf_uint(struct placement_sbuf *b, unsigned v)
{
	char tmp[16], *e = tmp + sizeof tmp, *q = e;

	do
		*--q = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	placement_sbuf_add(b, q, (size_t)(e - q));
}

/* A JSON string; ids and pool names are plain, but escape anyway. */
static void
placement_sbuf_str(struct placement_sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = {'\\', 'u', '0', '0'};
	const char *run;

	placement_sbuf_lit(b, "\"");
	while (*s != '\0') {
		for (run = s; *s != '\0' && (unsigned char)*s >= 0x20 &&
		     *s != '"' && *s != '\\';
		     s++)
			;
		placement_sbuf_add(b, run, (size_t)(s - run));
		if (*s == '\0')
			break;
		if (*s == '"' || *s == '\\') {
			esc[1] = *s;
			placement_sbuf_add(b, esc, 2);
			esc[1] = 'u';
		} else {
			esc[4] = hex[(unsigned char)*s >> 4];
			esc[5] = hex[(unsigned char)*s & 15];
			placement_sbuf_add(b, esc, 6);
		}
		s++;
	}
	placement_sbuf_lit(b, "\"");
}

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
	struct placement_sbuf b = {0};
	size_t i, n = res->ncandidates < max ? res->ncandidates : max;
	char dist[96];
	unsigned frac;
	int k;
	bool first;

	if (!placement_sbuf_room(&b, 64 + n * 260))
		return NULL;
	b.p[0] = '\0';
	for (i = 0; i < n; i++) {
		c = &res->candidates[i];
		if (i > 0)
			placement_sbuf_lit(&b, "\n");
		placement_sbuf_add(&b, c->shelter->id, strlen(c->shelter->id));
		placement_sbuf_lit(&b, " ");
		for (k = 0; k < c->npools; k++) {
			if (k > 0)
				placement_sbuf_lit(&b, ",");
			placement_sbuf_add(&b,
			    c->shelter->pools[c->pools[k]].name,
			    strlen(c->shelter->pools[c->pools[k]].name));
		}
		placement_sbuf_lit(&b, " ");
		placement_sbuf_uint(&b, (unsigned)c->score / 100);
		if ((frac = (unsigned)c->score % 100) != 0) {
			placement_sbuf_lit(&b, ".");
			placement_sbuf_add(&b, &"0123456789"[frac / 10], 1);
			if (frac % 10 != 0)
				placement_sbuf_add(
				    &b, &"0123456789"[frac % 10], 1);
		}
		if (alerts_freshness(c->shelter) == FRESHNESS_STALE)
			placement_sbuf_lit(&b, " 1 {");
		else
			placement_sbuf_lit(&b, " 0 {");
		for (k = 0, first = true; k < SCORER_COUNT; k++) {
			if (c->scores[k] < 0)
				continue;
			if (!first)
				placement_sbuf_lit(&b, ",");
			first = false;
			placement_sbuf_str(&b, match_scorer_name(k));
			placement_sbuf_lit(&b, ":");
			placement_sbuf_uint(&b, (unsigned)c->scores[k]);
		}
		/* Then the distances, compact JSON without spaces. */
		placement_sbuf_lit(&b, "} ");
		placement_sbuf_add(&b, dist,
		    strlen(match_distance_text(c, dist, sizeof dist)));
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
