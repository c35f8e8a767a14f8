/*
 * requests_simple.c: the request and proposal methods of one store round
 * trip: proposal.accept, placement.arrived and placement.departed.
 * Each callback gets the call itself: there is nothing else to keep.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "requests.h"
#include "requests_internal.h"
#include "store.h"

/* Reply {request} from a store answer that carries it. */
static void
requests_simple_reply_request(struct call *call, const json_t *result)
{
	call_reply(call,
	    json_pack("{s:O}", "request", json_object_get(result, "request")));
}

/* proposal.accept ---------------------------------------------------- */

static void
requests_simple_accept_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *prop, *req;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	prop = json_object_get(result, "proposal");
	req = json_object_get(result, "request");
	log_info("proposal.accept: proposal=%s request=%s shelter=%s by %s",
	    call_str(call, "id"), requests_str_of(req, "id"),
	    requests_str_of(prop, "shelter_id"), call->who);
	call_reply(
	    call, json_pack("{s:O, s:O}", "proposal", prop, "request", req));
}

/* proposal.accept {id}: the held place becomes an expected arrival. */
void
requests_accept(struct call *call)
{
	struct audit_args au;
	struct sh_error err;

	if (store_accept(audit_store_args(call, &au, false),
	        call_str(call, "id"), requests_simple_accept_cb, call,
	        &err) == -1)
		call_error(call, &err);
}

/* placement.arrived -------------------------------------------------- */

static void
requests_simple_arrived_cb(
    json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	requests_log_status(
	    "placement.arrived", json_object_get(result, "request"), call->who);
	requests_simple_reply_request(call, result);
}

/*
 * placement.arrived {request_id}: the expected place becomes occupied.
 * A shelter role may only confirm arrivals in its own shelter; the store
 * knows where the request was placed.
 */
void
requests_arrived(struct call *call)
{
	struct audit_args au;
	struct sh_error err;

	if (store_arrived(audit_store_args(call, &au, false),
	        call_str(call, "request_id"),
	        call->role == ROLE_SHELTER ? call->shelter : "",
	        requests_simple_arrived_cb, call, &err) == -1)
		call_error(call, &err);
}

/* placement.departed ------------------------------------------------- */

static void
requests_simple_departed_cb(
    json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	requests_log_status("placement.departed",
	    json_object_get(result, "request"), call->who);
	requests_simple_reply_request(call, result);
}

/*
 * placement.departed {request_id}: a resident left; its place is free
 * again. Ownership follows from the request, as for placement.arrived.
 */
void
requests_departed(struct call *call)
{
	struct audit_args au;
	struct sh_error err;

	if (store_departed(audit_store_args(call, &au, false),
	        call_str(call, "request_id"),
	        call->role == ROLE_SHELTER ? call->shelter : "",
	        requests_simple_departed_cb, call, &err) == -1)
		call_error(call, &err);
}
