/*
 * caller.c: a caller's identity (see caller.h).
 */
#include <stdio.h>

#include "caller.h"

/* Take an identity: see caller.h. */
void
caller_set_identity(struct caller *c, enum role role, const char *shelter,
    const char *who, bool by_peer)
{
	c->authed = true;
	c->by_peer = by_peer;
	c->role = role;
	snprintf(c->shelter, sizeof c->shelter, "%s", shelter);
	snprintf(c->who, sizeof c->who, "%s", who);
}

/* No identity: see caller.h. */
void
caller_clear_identity(struct caller *c)
{
	c->authed = false;
	c->role = ROLE_NONE;
	c->shelter[0] = '\0';
}
