/*
 * bucket.h: the rate_per_s token bucket of a connection or an HTTP
 * caller (lib/bucket.c). Full when it starts, refilled continuously at
 * rate tokens a second, never above its burst; a line takes one token.
 * The burst is rate, but at least 1: below one token a second a line is
 * let through every 1/rate seconds instead of never. rate <= 0: no limit.
 */
#ifndef SHELTER_BUCKET_H
#define SHELTER_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct bucket {
	double tokens;
	uint64_t refill_us; /* when tokens was last brought up to date */
};

/* The most tokens a bucket of rate holds. */
double bucket_burst(double rate);
/* Full, at now_us. */
void bucket_fill(struct bucket *b, double rate, uint64_t now_us);
/* Refill to now_us, then take a token: true, or false (none taken). */
bool bucket_take(struct bucket *b, double rate, uint64_t now_us);
/* A new rate (a reload): no more than its burst. */
void bucket_cap(struct bucket *b, double rate);

#endif
