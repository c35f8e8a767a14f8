/*
 * clock.h: the one clock of the daemon. Everything time-based reads it,
 * so a test clock can later move all of it at once.
 */
#ifndef SHELTERD_CLOCK_H
#define SHELTERD_CLOCK_H

#include <stdint.h>

/* Wall clock: milliseconds since the epoch. */
long long clock_now_ms(void);
/* Monotonic clock: microseconds from an arbitrary start, for durations. */
uint64_t clock_mono_us(void);

#endif
