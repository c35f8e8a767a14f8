/*
 * requests_cancel.c: request.cancel, a state machine (enum
 * requests_cancel_step) whose store answers and refresh set all land in
 * requests_cancel_advance().
 *
 * The request is read first: the reply of the cancel no longer names the
 * shelter of a hold it released, and that shelter is one to refresh.
 */
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "requests.h"
#include "requests_internal.h"
#include "store.h"

/* What a cancel waits for. */
enum requests_cancel_step {
	CANCEL_READ,    /* the request as it is before the cancel */
	CANCEL_STORE,   /* shd_cancel */
	CANCEL_REFRESH, /* the freed places' shelters' reloads, then reply */
};

struct requests_cancel_op {
	struct call *call;
	enum requests_cancel_step step;
	/* The shelter of the open proposal before the cancel ("": none). */
	char held[MODEL_ID_MAX + 1];
	json_t *reply; /* CANCEL_REFRESH: the result to send (NULL: ENOMEM) */
	struct requests_refresh refresh;
};

static void requests_cancel_advance(
    struct requests_cancel_op *op, json_t *result, const struct sh_error *err);

static void
requests_cancel_free(struct requests_cancel_op *op)
{
	json_decref(op->reply);
	free(op);
}

static void
requests_cancel_fail(struct requests_cancel_op *op, const struct sh_error *err)
{
	call_error(op->call, err);
	requests_cancel_free(op);
}

static void
requests_cancel_store_cb(json_t *result, const struct sh_error *err, void *arg)
{
	requests_cancel_advance(arg, result, err);
}

static void
requests_cancel_refreshed(void *arg)
{
	requests_cancel_advance(arg, NULL, NULL);
}

/* shd_cancel of the request (the reason stays here). */
static int
requests_cancel_send_cancel(struct requests_cancel_op *op, struct sh_error *err)
{
	struct audit_args au;

	return store_cancel(audit_store_args(op->call, &au, false),
	    call_str(op->call, "id"), requests_cancel_store_cb, op, err);
}

/* The request before the cancel (result borrowed; NULL: not read). */
static void
requests_cancel_read(struct requests_cancel_op *op, const json_t *result)
{
	const json_t *prop =
	    json_object_get(json_object_get(result, "request"), "proposal");
	const char *sid =
	    json_string_value(json_object_get(prop, "shelter_id"));
	struct sh_error err;

	if (sid != NULL)
		snprintf(op->held, sizeof op->held, "%s", sid);
	op->step = CANCEL_STORE;
	if (requests_cancel_send_cancel(op, &err) == -1)
		requests_cancel_fail(op, &err);
}

/* shd_cancel answered (borrowed): log, then refresh before the reply. */
static void
requests_cancel_cancelled(struct requests_cancel_op *op, json_t *result)
{
	json_t *req = json_object_get(result, "request");
	const json_t *pl = json_object_get(req, "placement");

	requests_log_status("request.cancel", req, op->call->who);
	op->reply = json_pack("{s:O}", "request", req);
	/* A hold (its shelter read before the cancel) or an expected place
	 * may be free again; a waiting request freed none. */
	op->step = CANCEL_REFRESH;
	requests_refresh_begin(&op->refresh, requests_cancel_refreshed, op);
	requests_refresh_changed(&op->refresh,
	    json_string_value(json_object_get(pl, "shelter_id")),
	    op->held[0] != '\0' ? op->held : NULL);
	requests_refresh_end(&op->refresh);
}

/*
 * Every store answer and the end of the refresh set of op: result and err
 * as store_cb gives them; both NULL when the refresh set is done.
 */
static void
requests_cancel_advance(
    struct requests_cancel_op *op, json_t *result, const struct sh_error *err)
{
	/* An error reading the request is the cancel's own: shd_cancel
	 * reports it. */
	if (result == NULL && err != NULL && op->step != CANCEL_READ) {
		requests_cancel_fail(op, err);
		return;
	}
	switch (op->step) {
	case CANCEL_READ:
		requests_cancel_read(op, result);
		break;
	case CANCEL_STORE:
		requests_cancel_cancelled(op, result);
		break;
	case CANCEL_REFRESH:
		result = op->reply;
		op->reply = NULL;
		if (result == NULL)
			requests_nomem(op->call);
		else
			call_reply(op->call, result);
		requests_cancel_free(op);
		break;
	}
}

/*
 * request.cancel {id, reason}: releases its hold or expected place, then
 * replies {request} once the table holds the freed places.
 */
void
requests_cancel(struct call *call)
{
	struct sh_error err;
	struct requests_cancel_op *op;

	if (requests_check_reason(call) == -1 ||
	    (op = requests_op_new(call, sizeof *op)) == NULL)
		return;
	op->call = call;
	op->step = CANCEL_READ;
	if (requests_send_get(
	        call_str(call, "id"), requests_cancel_store_cb, op, &err) == -1)
		requests_cancel_fail(op, &err);
}
