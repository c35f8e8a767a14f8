/*
 * clock.c: the daemon's clock (see clock.h).
 */
#include <time.h>

#include "clock.h"

/* Wall clock, ms since the epoch: see clock.h. */
long long
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic clock, microseconds: see clock.h. */
uint64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
