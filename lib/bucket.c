/*
 * bucket.c: the rate_per_s token bucket (shelter/bucket.h).
 */
#include "shelter/bucket.h"

double
bucket_burst(double rate)
{
	return rate < 1 ? 1 : rate;
}

void
bucket_fill(struct bucket *b, double rate, uint64_t now_us)
{
	b->tokens = bucket_burst(rate);
	b->refill_us = now_us;
}

bool
bucket_take(struct bucket *b, double rate, uint64_t now_us)
{
	if (rate <= 0)
		return true;
	if (now_us > b->refill_us)
		b->tokens += (double)(now_us - b->refill_us) * rate / 1e6;
	bucket_cap(b, rate);
	b->refill_us = now_us;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

void
bucket_cap(struct bucket *b, double rate)
{
	if (b->tokens > bucket_burst(rate))
		b->tokens = bucket_burst(rate);
}
