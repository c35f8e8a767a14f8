/*
 * config_role.c: the names of the roles (admin, coordinator, shelter,
 * service), shared by the config loader and everything that prints a role.
 */
#include <stddef.h>
#include <string.h>

#include "shelter/config.h"

static const char *const config_role_names[] = {
    "admin", "coordinator", "shelter", "service"};

/*
 * The name of one role bit ("coordinator"), or "none" for anything else.
 */
const char *
config_role_name(enum role r)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (r == (enum role)(1 << i))
			return config_role_names[i];
	return "none";
}

/*
 * The role called s, or ROLE_NONE when s names no role.
 */
enum role
config_role_parse(const char *s)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, config_role_names[i]) == 0)
			return (enum role)(1 << i);
	return ROLE_NONE;
}
