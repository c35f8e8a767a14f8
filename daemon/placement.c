/* placement.c: waitlist passes and the hold sweep (stub). */
#include "placement.h"

void
placement_start(void)
{
}

void
placement_stop(void)
{
}

void
placement_wake(void)
{
}

char *
placement_candidates_arg(const struct match_result *res)
{
	return NULL;
}
