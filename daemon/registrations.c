/*
 * registrations.c: the registration methods and report.registrations.
 * Each is one store round trip; the callback gets the call itself. The
 * report is computed here from the stored documents (lib/report.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/registration.h"

#include "audit.h"
#include "call.h"
#include "log.h"
#include "methods.h"
#include "registrations.h"
#include "shelterd.h"
#include "store.h"

/* Reply {registration} from a store answer. */
static void
registrations_reply_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *reg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	reg = json_object_get(result, "registration");
	log_info("%s: registration=%s by %s", call->method->name,
	    json_string_value(json_object_get(reg, "id")), call->who);
	call_reply(call, json_pack("{s:O}", "registration", reg));
}

/* Parse params.registration and send it (id NULL: create). */
static void
registrations_put(struct call *call, const char *id)
{
	const json_t *ifv = json_object_get(call->params, "if_version");
	struct audit_args au;
	struct store_reg_args a = {
	    .audit = audit_store_args(call, &au, false), .id = id};
	struct sh_errors *all = malloc(sizeof *all);
	struct registration r;
	struct sh_error err;
	json_t *doc;
	char *text;
	int rc;

	if (all == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	rc = model_registration_parse_all(
	    json_object_get(call->params, "registration"), 0, &r, all);
	if (rc == -1) {
		sh_errors_name_object(all, "registration");
		call_error_all(call, all);
	}
	free(all);
	if (rc == -1)
		return;
	if ((doc = model_registration_to_json(&r)) == NULL ||
	    (text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(doc);
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	json_decref(doc);
	a.ref = r.ref;
	a.doc = text;
	a.date = r.date;
	a.kind = model_reg_kind_name(r.kind);
	a.request_id = r.request_id;
	a.has_if_version = ifv != NULL;
	a.if_version = json_integer_value(ifv);
	if (store_reg_put(&a, registrations_reply_cb, call, &err) == -1)
		call_error(call, &err);
	free(text);
}

void
registrations_create(struct call *call)
{
	registrations_put(call, NULL);
}

void
registrations_update(struct call *call)
{
	registrations_put(call, call_str(call, "id"));
}

static void
registrations_get_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	call_reply(call,
	    json_pack("{s:O}", "registration",
	        json_object_get(result, "registration")));
}

void
registrations_get(struct call *call)
{
	struct sh_error err;

	if (store_reg_get(
	        call_str(call, "id"), registrations_get_cb, call, &err) == -1)
		call_error(call, &err);
}

/*
 * params[name], a date, as YYYYMMDD into out (9 bytes; "" when absent and
 * not required). 0, or -1 after ending the call.
 */
static int
registrations_date(
    struct call *call, const char *name, bool required, char out[9])
{
	const json_t *v = json_object_get(call->params, name);
	const char *s = json_string_value(v);

	out[0] = '\0';
	if (v == NULL && !required)
		return 0;
	if (v == NULL) {
		call_errorf(call, SH_INVALID_PARAMS, "missing_field", name,
		    "is required");
		return -1;
	}
	if (!model_valid_date(s)) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", name,
		    "must be a date written YYYY-MM-DD");
		return -1;
	}
	memcpy(out, s, 4);
	memcpy(out + 4, s + 5, 2);
	memcpy(out + 6, s + 8, 2);
	out[8] = '\0';
	return 0;
}

/* from and to as YYYYMMDD: see registrations.h. */
int
registrations_range(struct call *call, bool required, char from[9], char to[9])
{
	if (registrations_date(call, "from", required, from) == -1 ||
	    registrations_date(call, "to", required, to) == -1)
		return -1;
	if (from[0] != '\0' && to[0] != '\0' && strcmp(to, from) < 0) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "to",
		    "must not be before from");
		return -1;
	}
	return 0;
}

static void
registrations_list_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	call_reply(call,
	    json_pack("{s:O}", "registrations",
	        json_object_get(result, "registrations")));
}

void
registrations_list(struct call *call)
{
	const json_t *lim = json_object_get(call->params, "limit");
	const char *kind = call_str(call, "kind");
	char from[9], to[9];
	struct sh_error err;

	if (registrations_range(call, false, from, to) == -1)
		return;
	if (json_object_get(call->params, "kind") != NULL &&
	    model_reg_kind_parse(kind) == -1) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "kind",
		    "must be one of registration, shelter, advice");
		return;
	}
	if (lim != NULL &&
	    (json_integer_value(lim) < 1 || json_integer_value(lim) > 1000)) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "limit",
		    "must be an integer from 1 to 1000");
		return;
	}
	if (store_reg_list(from, to, kind,
	        lim != NULL ? (int)json_integer_value(lim) : 100,
	        registrations_list_cb, call, &err) == -1)
		call_error(call, &err);
}

/* report.registrations ----------------------------------------------- */

static void
registrations_report_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	const json_t *docs = json_object_get(result, "docs");
	json_t *by;
	enum report_dim dims[REPORT_MAX_BY];
	struct registration *regs;
	struct sh_error perr;
	size_t i, n = 0, nbad = 0;
	json_t *out;
	int ndims;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	by = json_object_get(call->params, "by");
	ndims = (int)json_array_size(by);
	for (i = 0; i < (size_t)ndims; i++)
		dims[i] = (enum report_dim)report_dim_parse(
		    json_string_value(json_array_get(by, i)));
	regs = calloc(json_array_size(docs) + 1, sizeof *regs);
	if (regs == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	for (i = 0; i < json_array_size(docs); i++) {
		if (model_registration_parse(json_array_get(docs, i),
		        MODEL_STORED, &regs[n], &perr) == 0)
			n++;
		else
			nbad++;
	}
	if (nbad > 0)
		log_warnx("report.registrations: %zu stored registration(s) "
		          "could not be read",
		    nbad);
	out = report_registrations(
	    regs, n, dims, ndims, sd.cfg->reports_min_cell);
	free(regs);
	if (out == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	json_object_set(out, "from", json_object_get(call->params, "from"));
	json_object_set(out, "to", json_object_get(call->params, "to"));
	json_object_set(out, "by", by);
	json_object_set_new(
	    out, "min_cell", json_integer(sd.cfg->reports_min_cell));
	call_reply(call, out);
}

/* Check a report's by param: see registrations.h. */
int
registrations_check_by(struct call *call, const json_t *by, size_t max,
    int (*parse)(const char *), const char *list)
{
	char field[32];
	size_t i, j;

	if (json_array_size(by) < 1 || json_array_size(by) > max) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "by",
		    "must name 1 to %zu dimensions", max);
		return -1;
	}
	for (i = 0; i < json_array_size(by); i++) {
		const char *s = json_string_value(json_array_get(by, i));

		snprintf(field, sizeof field, "by.%zu", i);
		if (parse(s) == -1) {
			call_errorf(call, SH_INVALID_PARAMS, "invalid_field",
			    field, "must be one of %s", list);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(
			        s, json_string_value(json_array_get(by, j))) ==
			    0) {
				call_errorf(call, SH_INVALID_PARAMS,
				    "invalid_field", field,
				    "is a duplicate of by.%zu", j);
				return -1;
			}
	}
	return 0;
}

void
registrations_report(struct call *call)
{
	const json_t *by = json_object_get(call->params, "by");
	char from[9], to[9];
	struct sh_error err;

	if (registrations_range(call, true, from, to) == -1)
		return;
	if (registrations_check_by(call, by, REPORT_MAX_BY, report_dim_parse,
	        REPORT_DIM_LIST) == -1)
		return;
	if (store_reg_docs(from, to, registrations_report_cb, call, &err) == -1)
		call_error(call, &err);
}
