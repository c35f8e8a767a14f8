/*
 * audit.c: the audit trail (audit_record, audit.list) and the retention
 * sweep, which reads the one clock (clock_now_ms) and the periods of the
 * config, and is idempotent: the store marks what it has reduced.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "shelter/retention.h"

#include "audit.h"
#include "call.h"
#include "clock.h"
#include "log.h"
#include "methods.h"
#include "shelterd.h"
#include "store.h"

static struct event *ev_retention;
static bool sweeping;
static bool sweep_again; /* audit_retention_now came during a sweep */

/* Is s one of the space-separated ids of ids (not a part of one)? */
static bool
audit_has_id(const char *ids, const char *s)
{
	size_t len = strlen(s);
	const char *p;

	for (p = ids; (p = strstr(p, s)) != NULL; p++)
		if ((p == ids || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

/* Append " ID" for a string member of obj (id-shaped values only). */
static void
audit_add_id(char *ids, const json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));
	size_t n = strlen(ids);

	if (s == NULL || s[0] == '\0' || strlen(s) > MODEL_ID_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s) ||
	    audit_has_id(ids, s) || n + 1 + strlen(s) >= AUDIT_IDS_MAX)
		return; /* never a cut id */
	snprintf(ids + n, AUDIT_IDS_MAX - n, "%s%s", n ? " " : "", s);
}

static void
audit_added(json_t *result, const struct sh_error *err, void *arg)
{
	if (result == NULL)
		log_warnx("audit: entry not written: %s", err->message);
}

/* An id the store made (req-N, prop-N, reg-N): a request param may hold
 * a ref instead, which an entry never names. */
static bool
audit_made_id(const char *s)
{
	static const char *const kinds[] = {"req-", "prop-", "reg-"};
	size_t i, n;

	for (i = 0; s != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
		n = strlen(kinds[i]);
		if (strncmp(s, kinds[i], n) == 0 && s[n] != '\0' &&
		    strspn(s + n, "0123456789") == strlen(s + n))
			return true;
	}
	return false;
}

/* The ids call's params name, in the entry's order: a shelter method's
 * id (a shelter id), else only ids the store made. */
static void
audit_param_ids(const struct call *call, char ids[AUDIT_IDS_MAX])
{
	static const char *const names[] = {"id", "request_id"};
	bool shelter = strncmp(call->method->name, "shelter.", 8) == 0;
	const char *s;
	size_t i;

	ids[0] = '\0';
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		s = json_string_value(json_object_get(call->params, names[i]));
		if ((shelter && i == 0) || audit_made_id(s))
			audit_add_id(ids, call->params, names[i]);
	}
}

/* The entry a function that audits writes for call: see audit.h. */
const struct store_audit *
audit_store_args(struct call *call, struct audit_args *a, bool defer)
{
	if (!call->method->audit)
		return NULL;
	audit_param_ids(call, a->ids);
	a->au.who = call->who;
	a->au.method = call->method->name;
	a->au.ids = a->ids;
	a->au.defer = defer;
	a->au.written = &call->audited;
	return &a->au;
}

void
audit_record(
    const struct call *call, const json_t *result, const struct sh_error *err)
{
	static const char *const objs[] = {
	    "request", "proposal", "registration", "shelter", "next"};
	char ids[AUDIT_IDS_MAX];
	struct sh_error serr;
	const json_t *r;
	size_t i;

	/* A function that audits wrote the entry with its change. */
	if (!call->method->audit || call->audited)
		return;
	audit_param_ids(call, ids);
	for (i = 0; result != NULL && i < sizeof objs / sizeof objs[0]; i++)
		audit_add_id(ids, json_object_get(result, objs[i]), "id");
	/* request.submit_batch: each result's request and proposal. */
	json_array_foreach(json_object_get(result, "results"), i, r)
	{
		audit_add_id(ids, json_object_get(r, "request"), "id");
		audit_add_id(ids, json_object_get(r, "proposal"), "id");
	}
	if (store_audit_add(call->who, call->method->name, ids,
	        err != NULL ? err->reason : "ok", audit_added, NULL,
	        &serr) == -1)
		log_warnx("audit: entry not written: %s", serr.message);
}

static void
audit_list_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	call_reply(call,
	    json_pack("{s:O}", "entries", json_object_get(result, "entries")));
}

/* params[name], an RFC 3339 time, in ms (-1 absent). 0 or -1 (ended). */
static int
audit_time(struct call *call, const char *name, long long *ms)
{
	const json_t *v = json_object_get(call->params, name);

	*ms = -1;
	if (v == NULL)
		return 0;
	if ((*ms = model_time_parse(json_string_value(v))) < 0) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", name,
		    "must be an RFC 3339 UTC time");
		return -1;
	}
	return 0;
}

void
audit_list(struct call *call)
{
	const json_t *lim = json_object_get(call->params, "limit");
	long long from, to;
	struct sh_error err;

	if (audit_time(call, "from", &from) == -1 ||
	    audit_time(call, "to", &to) == -1)
		return;
	if (lim != NULL &&
	    (json_integer_value(lim) < 1 || json_integer_value(lim) > 1000)) {
		call_errorf(call, SH_INVALID_PARAMS, "invalid_field", "limit",
		    "must be an integer from 1 to 1000");
		return;
	}
	if (store_audit_list(from, to, call_str(call, "who"),
	        call_str(call, "method"),
	        lim != NULL ? (int)json_integer_value(lim) : 100, audit_list_cb,
	        call, &err) == -1)
		call_error(call, &err);
}

/* Retention ---------------------------------------------------------- */

static int audit_sweep(struct call *call, struct sh_error *err);

static void
audit_swept(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	struct sh_error e;

	sweeping = false;
	if (sweep_again && store_is_up()) {
		/* The clock moved meanwhile: sweep again at the new time. */
		sweep_again = false;
		(void)audit_sweep(NULL, &e);
	}
	if (result == NULL) {
		log_warnx("retention: sweep failed: %s", err->message);
		if (call != NULL)
			call_error(call, err);
		return;
	}
	log_info("retention: reduced %lld request(s), %lld registration(s); "
	         "deleted %lld audit entr(ies)",
	    (long long)json_integer_value(json_object_get(result, "requests")),
	    (long long)json_integer_value(
	        json_object_get(result, "registrations")),
	    (long long)json_integer_value(json_object_get(result, "audit")));
	if (call != NULL)
		call_reply(call, json_copy(result));
}

/* Start a sweep; call (NULL for the timer) gets the counts. */
static int
audit_sweep(struct call *call, struct sh_error *err)
{
	const struct config *cfg = sd.cfg;
	struct retention_cutoffs c;
	struct audit_args au;

	retention_cutoffs(clock_now_ms(), cfg->retention_requests_closed_days,
	    cfg->retention_registrations_years, cfg->retention_audit_days, &c);
	if (store_retention(
	        call != NULL ? audit_store_args(call, &au, false) : NULL,
	        c.requests_ms, c.registrations, c.audit_ms, audit_swept, call,
	        err) == -1)
		return -1;
	sweeping = true;
	return 0;
}

void
audit_retention_sweep(struct call *call)
{
	struct sh_error err;

	if (audit_sweep(call, &err) == -1)
		call_error(call, &err);
}

void
audit_retention_now(void)
{
	struct sh_error err;

	if (!store_is_up())
		return;
	if (sweeping) {
		sweep_again = true;
		return;
	}
	audit_sweep(NULL, &err);
}

static void
audit_tick(evutil_socket_t fd, short what, void *arg)
{
	audit_retention_now();
}

void
audit_start(void)
{
	struct timeval tv = {3600, 0};

	if (ev_retention != NULL)
		return;
	if ((ev_retention = event_new(
	         sd.base, -1, EV_PERSIST, audit_tick, NULL)) == NULL) {
		log_warnx("retention: event_new failed");
		return;
	}
	evtimer_add(ev_retention, &tv);
	audit_tick(-1, 0, NULL);
}

void
audit_stop(void)
{
	if (ev_retention != NULL)
		event_free(ev_retention);
	ev_retention = NULL;
}
