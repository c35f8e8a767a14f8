/* methods.c: the method table (stub). */
#include <stdlib.h>
#include <string.h>

#include "methods.h"

static const struct method methods[] = {
	{.name = "session.auth", .roles = ~0u, .before_auth = true,
	    .params = {{"token", PT_STRING, true}}, .fn = session_auth},
	{.name = "session.ping", .roles = ~0u, .before_auth = true,
	    .fn = session_ping},
};

const struct method *
method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

void
methods_store_up(void)
{
}

void
methods_set_seed(struct shelter *shelters, size_t n)
{
	free(shelters);
}

void
methods_free(void)
{
}
