/* table.c: the in-memory shelter table (stub). */
#include "table.h"

int
table_load(const json_t *shelters)
{
	return 0;
}

int
table_put_json(const json_t *shelter)
{
	return 0;
}

void
table_remove(const char *id)
{
}

const struct shelter *
table_get(const char *id)
{
	return NULL;
}

const struct shelter *const *
table_all(size_t *n)
{
	*n = 0;
	return NULL;
}

void
table_refresh(const char *id)
{
}

void
table_free(void)
{
}
