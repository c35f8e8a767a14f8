/*
 * shelters.c: shelter.put, shelter.remove, shelter.get, shelter.list,
 * shelter.capacity and shelter.intake.
 *
 * Each is one Redis function call (docs/store.md). A reply that carries the
 * shelter also goes into the in-memory table, so the caller reads its own
 * write; the events of the change refresh every other instance's table
 * and wake the waitlist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "audit.h"
#include "log.h"
#include "placement.h"
#include "shelters.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define COUNT_MAX 10000 /* places in one pool */

/*
 * A store call made for a JSON-RPC call: the store's refusal or failure
 * ends the call with that error here, once, so the handler's ok function
 * only sees a result.
 */
typedef void shelters_ok_fn(struct call *call, json_t *result);

struct shelters_op {
	struct call *call;
	shelters_ok_fn *ok;
};

static bool
shelters_str_is(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* An op for call, or NULL with the call ended (out of memory). */
static struct shelters_op *
shelters_op_new(struct call *call, shelters_ok_fn *ok)
{
	struct shelters_op *op = malloc(sizeof *op);

	if (op == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return NULL;
	}
	op->call = call;
	op->ok = ok;
	return op;
}

/* The store_cb of every op: the error ends the call, a result goes on. */
static void
shelters_op_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct shelters_op op = *(struct shelters_op *)arg;

	free(arg);
	if (result == NULL)
		call_error(op.call, err);
	else
		op.ok(op.call, result);
}

/* After sending op's store call: when it was not sent (rc -1), end the
 * call with err. */
static void
shelters_op_sent(struct shelters_op *op, int rc, const struct sh_error *err)
{
	if (rc == 0)
		return;
	call_error(op->call, err);
	free(op);
}

/* Add `freshness` (config freshness) to a shelter's live JSON. */
void
shelters_freshness(json_t *s)
{
	json_object_set_new(s, "freshness",
	    json_string(forecast_freshness_name(alerts_freshness_json(s))));
}

/*
 * End call with a store reply's member "shelter", after putting it into the
 * table so this connection reads its own write. The waitlist is woken by
 * the capacity.changed / shelter.intake event (events.c), on every
 * instance.
 */
static void
shelters_reply_shelter(struct call *call, json_t *result)
{
	json_t *s = json_object_get(result, "shelter");

	if (s != NULL) {
		table_put_json(s, table_cseq_of(result));
		shelters_freshness(s);
	}
	call_reply(call, json_pack("{s:O?}", "shelter", s));
}

/* The static pool JSON the store keeps: no counts. */
static char *
shelters_pool_doc(json_t *pool)
{
	json_t *p = json_copy(pool);
	char *text;

	if (p == NULL)
		return NULL;
	json_object_del(p, "total");
	json_object_del(p, "occupied");
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return text;
}

/*
 * shd_shelter_put for s: the static document (no intake, pools or live
 * fields), the same packed (model_shelter_pack: what the table loads), and
 * per pool its static JSON and the counts, which the function uses for new
 * pools only. 0, or -1 with err set.
 */
int
shelters_store_put(const struct shelter *s, const struct store_audit *au,
    store_cb *cb, void *arg, struct sh_error *err)
{
	struct store_pool_put pools[MODEL_POOL_MAX];
	struct store_shelter_put_args a = {
	    .audit = au,
	    .id = s->id,
	    .always = s->intake_always,
	    .open_if_new = s->intake_open,
	    .pools = pools,
	};
	char *docs[MODEL_POOL_MAX] = {NULL}, *doc = NULL;
	static char tab[MODEL_PACK_MAX]; /* the loop is single-threaded */
	json_t *sdoc, *spools;
	size_t i;
	int rc = -1;

	if ((sdoc = model_shelter_to_json(s, 0)) == NULL)
		return sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
	spools = json_incref(json_object_get(sdoc, "pools"));
	json_object_del(sdoc, "pools");
	json_object_del(sdoc, "intake");
	if ((doc = json_dumps(sdoc, JSON_COMPACT)) == NULL)
		goto nomem;
	a.doc = doc;
	a.tab = model_shelter_pack(s, tab, sizeof tab) >= 0 ? tab : "";
	for (i = 0; i < (size_t)s->npools && i < MODEL_POOL_MAX; i++) {
		if ((docs[i] = shelters_pool_doc(json_array_get(spools, i))) ==
		    NULL)
			goto nomem;
		pools[i].name = s->pools[i].name;
		pools[i].doc = docs[i];
		pools[i].total = s->pools[i].total;
		pools[i].occupied = s->pools[i].occupied;
		a.npools++;
	}
	rc = store_shelter_put(&a, cb, arg, err);
	goto out;
nomem:
	sh_error_set(err, SH_INTERNAL, "internal", NULL, "out of memory");
out:
	for (i = 0; i < MODEL_POOL_MAX; i++)
		free(docs[i]);
	free(doc);
	json_decref(sdoc);
	json_decref(spools);
	return rc;
}

static void
shelters_put_ok(struct call *call, json_t *result)
{
	json_t *s = json_object_get(result, "shelter");

	log_info("shelter.put: shelter=%s %s by %s",
	    json_string_value(json_object_get(s, "id")),
	    json_is_true(json_object_get(result, "created")) ? "created"
	        : json_is_true(json_object_get(result, "changed"))
	        ? "changed"
	        : "unchanged",
	    call->who);
	if (json_is_true(json_object_get(result, "changed")))
		placement_wake();
	shelters_reply_shelter(call, result);
}

/* shelter.put {shelter}: create, or replace the static attributes. */
void
shelters_put(struct call *call)
{
	static struct sh_errors all; /* the loop is single-threaded */
	struct shelters_op *op;
	struct audit_args au;
	struct shelter s;
	struct sh_error err;

	if (model_shelter_parse_all(json_object_get(call->params, "shelter"),
	        sd.gaz, 0, &s, &all) == -1) {
		sh_errors_name_object(&all, "shelter");
		call_error_all(call, &all);
		return;
	}
	if ((op = shelters_op_new(call, shelters_put_ok)) != NULL)
		shelters_op_sent(op,
		    shelters_store_put(&s, audit_store_args(call, &au, false),
		        shelters_op_done, op, &err),
		    &err);
}

static void
shelters_remove_ok(struct call *call, json_t *result)
{
	const char *id = call_str(call, "id");

	table_remove(id);
	log_info("shelter.remove: shelter=%s by %s", id, call->who);
	call_reply(call, json_pack("{s:s}", "id", id));
}

/* shelter.remove {id}: refused while it holds or expects someone. */
void
shelters_remove(struct call *call)
{
	struct shelters_op *op;
	struct audit_args au;
	struct sh_error err;

	if ((op = shelters_op_new(call, shelters_remove_ok)) != NULL)
		shelters_op_sent(op,
		    store_shelter_remove(audit_store_args(call, &au, false),
		        call_str(call, "id"), shelters_op_done, op, &err),
		    &err);
}

/* shelter.get {id}: a shelter role only its own (checked by the server). */
void
shelters_get(struct call *call)
{
	struct shelters_op *op;
	struct sh_error err;

	if ((op = shelters_op_new(call, shelters_reply_shelter)) != NULL)
		shelters_op_sent(op,
		    store_shelter_get(
		        call_str(call, "id"), shelters_op_done, op, &err),
		    &err);
}

/* Open for intake with a free place in some pool. */
static bool
shelters_available(const json_t *s)
{
	const json_t *pools = json_object_get(s, "pools");
	size_t i;

	if (!json_is_true(
	        json_object_get(json_object_get(s, "intake"), "open")))
		return false;
	for (i = 0; i < json_array_size(pools); i++)
		if (json_integer_value(
		        json_object_get(json_array_get(pools, i), "free")) > 0)
			return true;
	return false;
}

static void
shelters_list_ok(struct call *call, json_t *result)
{
	const json_t *all = json_object_get(result, "shelters"), *s;
	const char *program = call_str(call, "program");
	bool avail =
	    json_is_true(json_object_get(call->params, "available_only"));
	json_t *out;
	size_t i;

	if ((out = json_array()) == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	for (i = 0; i < json_array_size(all); i++) {
		s = json_array_get(all, i);
		if (call->role == ROLE_SHELTER &&
		    !shelters_str_is(json_object_get(s, "id"), call->shelter))
			continue;
		if (program != NULL &&
		    !shelters_str_is(json_object_get(s, "program"), program))
			continue;
		if (avail && !shelters_available(s))
			continue;
		shelters_freshness((json_t *)s);
		json_array_append(out, (json_t *)s);
	}
	call_reply(call, json_pack("{s:o}", "shelters", out));
}

/*
 * shelter.list {program?, available_only?}: sorted by id; a shelter role
 * sees only its own.
 */
void
shelters_list(struct call *call)
{
	const char *program = call_str(call, "program");
	struct shelters_op *op;
	struct sh_error err;

	if (program != NULL &&
	    (model_program_parse(program) < 0 ||
	        model_program_parse(program) >= PROGRAM_COUNT)) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field",
		    "program",
		    "must be one of cosm, omm, crisis, screening, labour, "
		    "regular");
		call_error(call, &err);
		return;
	}
	if ((op = shelters_op_new(call, shelters_list_ok)) != NULL)
		shelters_op_sent(
		    op, store_shelter_list(shelters_op_done, op, &err), &err);
}

static void
shelters_capacity_ok(struct call *call, json_t *result)
{
	log_info("shelter.capacity: shelter=%s version=%lld by %s",
	    call_str(call, "id"),
	    (long long)json_integer_value(
	        json_object_get(json_object_get(result, "shelter"), "version")),
	    call->who);
	shelters_reply_shelter(call, result);
}

/*
 * shd_capacity's answer. A shelter's row (cr) goes into the table and its
 * JSON to the caller as it is, with its freshness spliced in: the object
 * shelters_reply_shelter would send, neither decoded nor written out
 * again. Were the call's audit entry not written, or the row not read,
 * the JSON is decoded after all.
 */
static void
shelters_capacity_done(const struct store_capacity_reply *cr, json_t *result,
    const struct sh_error *err, void *arg)
{
	struct shelters_op *op = arg;
	struct call *call = op->call;
	const struct shelter *s;
	struct sh_error ierr;
	const char *f;
	json_t *res;
	char *text;
	int n;

	if (cr == NULL) {
		shelters_op_done(result, err, arg);
		return;
	}
	if ((call->audited || !call->method->audit) &&
	    table_put_row(cr->row, cr->row_len, cr->nrow, &s) == 0 &&
	    s != NULL) {
		f = forecast_freshness_name(alerts_freshness(s));
		n = (int)cr->shelter_len - 1; /* without its closing brace */
		if (asprintf(&text, "{\"shelter\":%.*s,\"freshness\":\"%s\"}}",
		        n, cr->shelter, f) != -1) {
			log_info(
			    "shelter.capacity: shelter=%s version=%lld by %s",
			    s->id, (long long)s->version, call->who);
			free(op);
			call_reply_text(call, text, strlen(text));
			free(text);
			return;
		}
	}
	res = json_pack("{s:o?, s:I}", "shelter",
	    json_loadb(cr->shelter, cr->shelter_len, 0, NULL), "cseq",
	    (json_int_t)(cr->nrow > MODEL_ROW_CSEQ
	            ? strtoll(cr->row[MODEL_ROW_CSEQ], NULL, 10)
	            : -1));
	if (json_object_get(res, "shelter") == NULL)
		sh_error_set(&ierr, SH_INTERNAL, "internal", NULL,
		    "the store's reply did not read");
	shelters_op_done(
	    json_object_get(res, "shelter") != NULL ? res : NULL, &ierr, arg);
	json_decref(res);
}

/*
 * Check one pool's counts {total?, occupied?} of shelter.capacity into pc
 * (an absent count: -1, kept). 0, or -1 with err naming the field.
 */
static int
shelters_capacity_pool(const char *name, const json_t *p,
    struct store_pool_count *pc, struct sh_error *err)
{
	static const char *const keys[] = {"total", "occupied"};
	long long *counts[] = {&pc->total, &pc->occupied};
	char field[128];
	const char *k;
	json_t *v;
	int i;

	snprintf(field, sizeof field, "pools.%s", name);
	/* An empty key names its object: "pools." (PROTOCOL.md, v2). */
	if (name[0] == '\0')
		return model_field_unknown(err, field, name);
	if (!json_is_object(p))
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    field, "must be an object with total and/or occupied");
	json_object_foreach((json_t *)p, k, v)
	{
		if (strcmp(k, "total") != 0 && strcmp(k, "occupied") != 0) {
			snprintf(field, sizeof field, "pools.%s.%s", name, k);
			return model_field_unknown(err, field, k);
		}
	}
	pc->name = name;
	for (i = 0; i < 2; i++) {
		v = json_object_get(p, keys[i]);
		snprintf(field, sizeof field, "pools.%s.%s", name, keys[i]);
		if (v != NULL &&
		    (!json_is_integer(v) || json_integer_value(v) < 0 ||
		        json_integer_value(v) > COUNT_MAX))
			return sh_error_set(err, SH_INVALID_PARAMS,
			    "invalid_field", field,
			    "must be an integer from 0 to %d", COUNT_MAX);
		*counts[i] = v != NULL ? (long long)json_integer_value(v) : -1;
	}
	return 0;
}

/*
 * shelter.capacity {id, pools: {POOL: {total?, occupied?}}, if_version?}:
 * the shelter's own view of its beds; pools not named keep their counts.
 * Without pools (or with {}) a heartbeat: the store only sets updated_at.
 */
void
shelters_capacity(struct call *call)
{
	const json_t *pools = json_object_get(call->params, "pools");
	const json_t *ifv = json_object_get(call->params, "if_version");
	struct audit_args au;
	struct store_capacity_args a = {
	    .audit = audit_store_args(call, &au, false),
	    .id = call_str(call, "id"),
	    .has_if_version = ifv != NULL,
	    .if_version = (long long)json_integer_value(ifv),
	};
	struct store_pool_count *pc;
	struct shelters_op *op;
	struct sh_error err;
	const char *name;
	json_t *p;

	if ((pc = calloc(json_object_size(pools) + 1, sizeof *pc)) == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	a.pools = pc;
	json_object_foreach((json_t *)pools, name, p)
	{
		if (shelters_capacity_pool(name, p, &pc[a.npools], &err) ==
		    -1) {
			free(pc);
			call_error(call, &err);
			return;
		}
		a.npools++;
	}
	if ((op = shelters_op_new(call, shelters_capacity_ok)) != NULL)
		shelters_op_sent(op,
		    store_capacity(&a, shelters_capacity_done, op, &err), &err);
	free(pc);
}

static void
shelters_intake_ok(struct call *call, json_t *result)
{
	bool open = json_is_true(json_object_get(call->params, "open"));

	log_info("shelter.intake: shelter=%s %s by %s", call_str(call, "id"),
	    open ? "open" : "closed", call->who);
	shelters_reply_shelter(call, result);
}

/* shelter.intake {id, open, reason?} */
void
shelters_intake(struct call *call)
{
	const char *reason = call_str(call, "reason");
	struct shelters_op *op;
	struct audit_args au;
	struct sh_error err;

	if (reason != NULL && strlen(reason) > CALL_REASON_MAX) {
		sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "reason",
		    "must be at most %d bytes", CALL_REASON_MAX);
		call_error(call, &err);
		return;
	}
	if ((op = shelters_op_new(call, shelters_intake_ok)) != NULL)
		shelters_op_sent(op,
		    store_intake(audit_store_args(call, &au, false),
		        call_str(call, "id"),
		        json_is_true(json_object_get(call->params, "open")),
		        reason, shelters_op_done, op, &err),
		    &err);
}
