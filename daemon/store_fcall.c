/*
 * store_fcall.c: FCALL of the function library on the cmd connection, and
 * what its replies mean: the function's JSON result, its own error, or an
 * error by which Redis refused the call (store_unavailable: safe to retry).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

/* The table of store_fn.h: every FCALL is held against its row. */
#define STORE_FN_DEF_(id, name, argc, group, args)                             \
	[STORE_FN_##id] = {name, argc, group, args},
const struct store_fn_def store_fns[STORE_FN_COUNT] = {
    STORE_FUNCTIONS(STORE_FN_DEF_)};
#undef STORE_FN_DEF_

/* The largest call: shd_submit_batch with 50 requests (3 + 7 * 50). */
#define STORE_FCALL_MAXARGS 384

/* {"error":{code, reason, field, message}} into err. */
static void
store_error_from_json(const json_t *e, struct sh_error *err)
{
	const char *reason = json_string_value(json_object_get(e, "reason"));
	const char *field = json_string_value(json_object_get(e, "field"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	err->code = (int)json_integer_value(json_object_get(e, "code"));
	if (err->code == 0)
		err->code = SH_INTERNAL;
	snprintf(err->reason, sizeof err->reason, "%s",
	    reason ? reason : "internal");
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	snprintf(err->message, sizeof err->message, "%s",
	    msg ? msg : "internal error in the store");
}

/*
 * Error replies by which Redis refuses a call before running it (disk
 * errors, loading, a busy script, a read-only replica after a failover,
 * out of memory): nothing was changed, so the caller may retry.
 */
static bool
store_refused(const char *msg)
{
	static const char *const codes[] = {"MISCONF ", "LOADING ", "BUSY ",
	    "READONLY ", "NOREPLICAS ", "OOM ", "MASTERDOWN ", "TRYAGAIN "};
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strncmp(msg, codes[i], strlen(codes[i])) == 0)
			return true;
	return false;
}

static void
store_fcall_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	struct sh_error err;
	json_t *res = NULL, *e;
	json_error_t jerr;
	char buf[200];

	store_pending_done(p, reply);
	if (reply == NULL) {
		store_unavailable(&err);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: fcall fn=%s error=%s", p->fn,
		    log_escape(reply->str, reply->len, buf, sizeof buf));
		if (store_refused(reply->str))
			store_unavailable(&err);
		else
			store_internal(&err);
	} else if (reply->type != REDIS_REPLY_STRING ||
	    (res = json_loadb(reply->str, reply->len, 0, &jerr)) == NULL ||
	    !json_is_object(res)) {
		log_warnx("store: fcall fn=%s returned no JSON object", p->fn);
		store_internal(&err);
	} else if ((e = json_object_get(res, "error")) != NULL) {
		store_error_from_json(e, &err);
	} else {
		p->cb(res, NULL, p->arg);
		json_decref(res);
		free(p);
		return;
	}
	json_decref(res);
	p->cb(NULL, &err, p->arg);
	free(p);
}

/* Does argc fit fn's row of the table: argc + k * group arguments? */
static bool
store_argc_ok(const struct store_fn_def *d, int argc)
{
	if (argc == d->argc)
		return true;
	return d->group > 0 && argc > d->argc &&
	    (argc - d->argc) % d->group == 0;
}

/*
 * FCALL fn 0 PREFIX ARGV...: argc must fit fn's row of store_fns (else
 * SH_INTERNAL, logged: a bug in the caller). argv[i] may hold NUL bytes
 * (lens; NULL: NUL-terminated strings). 0 and cb runs exactly once later,
 * or -1 with err set (store down, too many arguments, out of memory) and
 * cb not run.
 */
int
store_call(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, store_cb *cb, void *arg, struct sh_error *err)
{
	const char *av[STORE_FCALL_MAXARGS + 4];
	size_t al[STORE_FCALL_MAXARGS + 4];
	const struct store_fn_def *d;
	struct pending *p;
	int i;

	if ((unsigned)fn >= STORE_FN_COUNT) {
		log_warnx("store: fcall of an unknown function %d", (int)fn);
		store_internal(err);
		return -1;
	}
	d = &store_fns[fn];
	if (!store_argc_ok(d, argc)) {
		log_warnx("store: fcall fn=%s with %d arguments, not %d%s",
		    d->name, argc, d->argc, d->group > 0 ? " and groups" : "");
		store_internal(err);
		return -1;
	}
	if (!store_st.up || store_st.cmd == NULL)
		return store_unavailable(err);
	if (argc > STORE_FCALL_MAXARGS) {
		store_internal(err);
		return -1;
	}
	av[0] = "FCALL";
	av[1] = d->name;
	av[2] = "0";
	av[3] = store_st.prefix;
	for (i = 0; i < 4; i++)
		al[i] = strlen(av[i]);
	for (i = 0; i < argc; i++) {
		av[i + 4] = argv[i];
		al[i + 4] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	if ((p = store_pending_new(PK_FCALL)) == NULL) {
		store_internal(err);
		return -1;
	}
	p->cb = cb;
	p->arg = arg;
	snprintf(p->fn, sizeof p->fn, "%s", d->name);
	if (store_send(p, store_fcall_cb, argc + 4, av, al) == -1)
		return store_unavailable(err);
	return 0;
}
