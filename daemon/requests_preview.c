/*
 * requests_preview.c: match.preview, a match of a request that is not
 * stored, against the in-memory table, with no side effect.
 */
#include <stdlib.h>

#include "placement.h"
#include "requests.h"
#include "requests_internal.h"
#include "store.h"
#include "table.h"

struct requests_preview_op {
	struct call *call;
	struct request req;
};

/* Match with the case's shelters ({shelters, apart}, borrowed; NULL:
 * none), reply, free op. */
static void
requests_preview_reply(struct requests_preview_op *op, const json_t *cases)
{
	struct match_result *res = table_scratch();
	json_t *out = NULL;

	if (placement_match(&op->req, NULL, json_object_get(cases, "shelters"),
	        json_object_get(cases, "apart"), res) == 0)
		out = match_result_json(res);
	if (out == NULL)
		requests_nomem(op->call);
	else
		call_reply(op->call, out);
	free(op);
}

static void
requests_preview_case_cb(json_t *result, const struct sh_error *err, void *arg)
{
	/* Without the store the preview still answers, without the case. */
	requests_preview_reply(arg, result);
}

/*
 * match.preview {request}: the candidates and the explanation, from the
 * in-memory table, with no side effect. Answers while the store is down
 * (then without the co-victims' shelters).
 */
void
requests_preview(struct call *call)
{
	struct sh_error err;
	struct requests_preview_op *op;

	if ((op = requests_op_new(call, sizeof *op)) == NULL)
		return;
	op->call = call;
	if (requests_parse(call, &op->req) == -1) {
		free(op);
		return;
	}
	if (!placement_needs_case(&op->req) || !store_is_up() ||
	    requests_send_case(&op->req, requests_preview_case_cb, op, &err) ==
	        -1)
		requests_preview_reply(op, NULL);
}
