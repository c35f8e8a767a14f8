/*
 * dispatch.h: one JSON-RPC line from any transport to its handler.
 *
 * Every transport hands complete lines (a socket line, an HTTP body) to
 * dispatch_line with its struct caller. Dispatch does, in the protocol's
 * order and the same for every transport: the rate limit (a token per
 * line), the envelope, the method, authentication, the role, the own
 * shelter, the params against the method's param_spec, the start-up
 * check; it answers what fails, logs protocol errors without the line's
 * bytes, counts every outcome, and otherwise starts the call.
 */
#ifndef SHELTERD_DISPATCH_H
#define SHELTERD_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "shelter/config.h"
#include "shelter/error.h"

struct caller;

/*
 * Run one line (without its terminator) from c. Answers through c->ops
 * (errors at once; a started call through call_reply/call_error later).
 * While a call is in flight (c->call != NULL) the transport must not pass
 * another line.
 */
void dispatch_line(struct caller *c, const char *line, size_t len);
/*
 * Ready a new caller: a full token bucket and no identity. A transport
 * calls it once per connection, before any line.
 */
void dispatch_caller_init(struct caller *c);
/*
 * The caller is going away (its transport frees it after this): the call
 * in flight loses its caller (its reply is dropped), and the gone hook
 * runs (events.c forgets the subscription).
 */
void dispatch_caller_gone(struct caller *c);
/* The hook dispatch_caller_gone runs, registered once at start-up. */
void dispatch_on_caller_gone(void (*fn)(struct caller *c));
/* Apply a reloaded config to a caller: the token bucket's cap. */
void dispatch_caller_reload(struct caller *c, const struct config *cfg);

#endif
