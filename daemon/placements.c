/*
 * placements.c: placement.list, the shelters' side of placed requests:
 * who is expected and who lives there, with the household summary the
 * placement events carry, never the case, origin or referrer (the store
 * function builds the rows from the stored household only).
 */
#include <stdio.h>
#include <string.h>

#include "shelter/vocab.h"

#include "placements.h"
#include "store.h"

static void
placements_list_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *pl;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	pl = json_object_get(result, "placements");
	call_reply(call,
	    pl != NULL ? json_pack("{s:O}", "placements", pl)
	               : json_pack("{s:[]}", "placements"));
}

/*
 * placement.list {status?: [expected|resident]}: sorted by since. A
 * shelter token sees its own shelter's placements only, silently.
 */
void
placements_list(struct call *call)
{
	const json_t *st = json_object_get(call->params, "status");
	char buf[64] = "", field[32];
	struct sh_error err;
	const char *s;
	size_t i;

	for (i = 0; i < json_array_size(st); i++) {
		s = json_string_value(json_array_get(st, i));
		if (vocab_placement_status_parse(s) == -1) {
			snprintf(field, sizeof field, "status.%zu", i);
			sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field",
			    field, "must be one of %s",
			    VOCAB_PLACEMENT_STATUS_LIST);
			call_error(call, &err);
			return;
		}
		if (strstr(buf, s) == NULL) {
			if (buf[0] != '\0')
				strcat(buf, ",");
			strcat(buf, s);
		}
	}
	if (store_placement_list(buf,
	        call->role == ROLE_SHELTER ? call->shelter : "",
	        placements_list_cb, call, &err) == -1)
		call_error(call, &err);
}
