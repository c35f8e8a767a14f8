/*
 * clock.c: the daemon's clock (see clock.h).
 */
#include <time.h>

#include "clock.h"

/* The test clock's offset (debug.advance), the same as the store's. */
static long long clock_offset;

/* Wall clock, ms since the epoch, plus the test clock's offset. */
long long
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    clock_offset;
}

/* The offset: see clock.h. */
long long
clock_offset_ms(void)
{
	return clock_offset;
}

/* Take the store's offset: see clock.h. */
void
clock_set_offset_ms(long long ms)
{
	clock_offset = ms;
}

/* Monotonic clock, microseconds: see clock.h. */
uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
