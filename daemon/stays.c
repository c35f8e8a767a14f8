/*
 * stays.c: report.long_stays {program?} -> {stays}: residents (arrived,
 * not departed) past their program's norm (config norms), longest first.
 * A shelter role sees its own residents only.
 */
#include <stdlib.h>

#include "shelterd.h"
#include "stays.h"
#include "store.h"

static void
stays_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL)
		call_error(call, err);
	else
		call_reply(call, json_incref(result));
}

/* report.long_stays {program?}: see the top of this file. */
void
stays_report(struct call *call)
{
	const char *program = call_str(call, "program");
	struct sh_error err;
	json_t *norms;
	char *text;
	int p;

	if (program != NULL &&
	    (model_program_parse(program) < 0 ||
	        model_program_parse(program) >= PROGRAM_COUNT)) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "program",
		    "must be a shelter program");
		return;
	}
	if ((norms = json_object()) == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	for (p = 0; p < PROGRAM_COUNT; p++)
		if (sd.cfg->norm_days[p] > 0)
			json_object_set_new(norms, model_program_name(p),
			    json_integer(sd.cfg->norm_days[p]));
	text = json_dumps(norms, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(norms);
	if (text == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	if (store_long_stays(program,
	        call->role == ROLE_SHELTER ? call->shelter : NULL, text,
	        stays_done, call, &err) == -1)
		call_error(call, &err);
	free(text);
}
