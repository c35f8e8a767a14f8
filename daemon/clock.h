/*
 * clock.h: the one clock of the daemon. Everything time-based reads it,
 * so the test clock (debug.advance) moves all of it at once.
 *
 * The test clock is an offset in milliseconds added to the wall clock. Its
 * record is the store's key PREFIX "clock_offset_ms", which the Redis
 * functions add to Redis TIME: the daemon reads it when the store comes up
 * and whenever a debug.advance (of any daemon sharing the store) is seen
 * on the events stream, so the daemon's clock and the functions' clock
 * move together. It only ever moves forward; without debug.clock nothing
 * writes it and it is 0.
 */
#ifndef SHELTERD_CLOCK_H
#define SHELTERD_CLOCK_H

#include <stdint.h>

/* Wall clock plus the test clock's offset: milliseconds since the epoch. */
long long clock_now_ms(void);
/* The test clock's offset in milliseconds (0 unless debug.advance ran). */
long long clock_offset_ms(void);
/* Set the offset to the store's value (ms >= 0). */
void clock_set_offset_ms(long long ms);
/* Monotonic clock: microseconds from an arbitrary start, for durations.
 * Not moved by the test clock (rate limits, latencies). */
uint64_t clock_mono_us(void);

#endif
