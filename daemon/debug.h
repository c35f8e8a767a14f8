/*
 * debug.h: the debug.* methods, which exist only with config debug.clock
 * (methods.c hides them otherwise: -32601).
 */
#ifndef SHELTERD_DEBUG_H
#define SHELTERD_DEBUG_H

#include "call.h"

/*
 * debug.advance {seconds} -> {now}: move the test clock forward (clock.h),
 * then run the hold sweep and the time checks (alerts.c) before answering,
 * so what the new time causes is in the events stream by the reply.
 */
void debug_advance(struct call *call);

#endif
