/*
 * store_check.c: what the setup of a connection reads from Redis's
 * replies (store.c), as pure functions of the reply.
 */
#include <stdbool.h>
#include <string.h>

#include "store_internal.h"

/* "yes"/"always" from a CONFIG GET reply [name, value]. */
bool
store_config_is(const redisReply *r, const char *want)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[1]->str, want) == 0;
}

/* Does a FUNCTION LIST ... WITHCODE reply show a library of this code? */
bool
store_library_current(const redisReply *r, const char *code)
{
	const redisReply *lib, *k, *v;
	size_t i, j;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return false;
	for (i = 0; i < r->elements; i++) {
		lib = r->element[i];
		if (lib->type != REDIS_REPLY_ARRAY)
			continue;
		for (j = 0; j + 1 < lib->elements; j += 2) {
			k = lib->element[j];
			v = lib->element[j + 1];
			if (k->type == REDIS_REPLY_STRING &&
			    strcmp(k->str, "library_code") == 0 &&
			    v->type == REDIS_REPLY_STRING &&
			    strcmp(v->str, code) == 0)
				return true;
		}
	}
	return false;
}

/*
 * The id of a stream entry [id, [field, value, ...]], or NULL when it is
 * not one (store_stream.c parses the fields of the entries it delivers).
 */
const char *
store_entry_id(const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	return e->element[0]->str;
}
