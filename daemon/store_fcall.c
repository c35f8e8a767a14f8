/*
 * store_fcall.c: FCALL of the function library on the cmd connection, and
 * what its replies mean: the function's JSON result, its own error, or an
 * error by which Redis refused the call (store_unavailable: safe to retry).
 * A function that may write and got no answer (the connection dropped or
 * the watchdog fired after it was sent) is outcome_unknown: it may have
 * run. With redis.min_replicas_ack a WAIT follows every such FCALL on the
 * same connection, and the outcome is delivered only when that many
 * replicas have it (fewer: outcome_unknown). A function may also reply
 * in fields (store_call_fields, docs/store.md): the array is passed on
 * undecoded, with the same audited, WAIT and outcome_unknown handling.
 *
 * A master that refuses a write with NOREPLICAS (min-replicas-to-write,
 * its replicas gone or behind) refuses every write until they are back,
 * and the WAIT behind each would hold the connection STORE_WAIT_MS
 * first, reads queued behind it. So from then on writes are refused here
 * at once (-32010 store_unavailable) while ROLE, asked every second,
 * shows fewer replicas than needed; reads go on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

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
/* Below STORE_TIMEOUT_MS, so a slow replica is a WAIT short of acks, not
 * a dropped connection. */
#define STORE_WAIT_MS 1000

static struct event *ev_role; /* asks ROLE while store_st.noreplicas */

/* ROLE of a master that refused writes: enough replicas again? */
static void
store_role_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	const redisReply *reply = r;
	struct pending *p = privdata;
	size_t n;

	store_pending_done(p, r);
	free(p);
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING)
		return;
	/* Demoted meanwhile (a second failover): with writes refused here
	 * no -READONLY would ever say so. Ask the sentinels again. */
	if (strcmp(reply->element[0]->str, "master") != 0) {
		log_warnx(
		    "store: redis=%s is no longer the master", store_st.addr);
		store_drop("readonly");
		return;
	}
	if (reply->element[2]->type != REDIS_REPLY_ARRAY)
		return;
	n = reply->element[2]->elements;
	if (store_st.noreplicas &&
	    (long long)n >= (store_st.min_acks > 0 ? store_st.min_acks : 1)) {
		store_st.noreplicas = false;
		log_info("store: redis=%s has %zu replica(s) again: writes go "
		         "on",
		    store_st.addr, n);
	}
}

static void
store_role_tick(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = {1, 0};
	const char *av[] = {"ROLE"};
	struct pending *p;

	if (!store_st.noreplicas)
		return;
	if (store_st.up && (p = store_pending_new(PK_ROLE)) != NULL)
		(void)store_send(p, store_role_cb, 1, av, NULL);
	evtimer_add(ev_role, &tv);
}

/* A write got NOREPLICAS: refuse writes until ROLE shows replicas. */
static void
store_noreplicas(void)
{
	struct timeval tv = {1, 0};

	if (store_st.noreplicas)
		return;
	store_st.noreplicas = true;
	log_warnx("store: redis=%s refuses writes (NOREPLICAS): they get "
	          "store_unavailable at once until it has its replicas "
	          "again; reads go on",
	    store_st.addr);
	if (ev_role == NULL &&
	    (ev_role = evtimer_new(store_st.base, store_role_tick, NULL)) ==
	        NULL)
		return;
	evtimer_add(ev_role, &tv);
}

/* Does fn only read (STORE_FN_READS in store_fn.h)? */
static bool
store_fn_reads(enum store_fn fn)
{
	static const enum store_fn reads[] = {STORE_FN_READS};
	size_t i;

	for (i = 0; i < sizeof reads / sizeof reads[0]; i++)
		if (reads[i] == fn)
			return true;
	return false;
}

/*
 * May fn go on any connection of the pool (store_pick)? Calls on different
 * connections may run in another order than they were sent, so only the
 * calls of clients, whose order among callers was never defined and whose
 * caller waits for each, are spread: shd_submit and shd_capacity. Every
 * other call (the waitlist's proposals in order, the sweeps, the table's
 * reads) stays on cmd, in send order.
 */
static bool
store_fn_spread(enum store_fn fn)
{
	return fn == STORE_FN_SUBMIT || fn == STORE_FN_CAPACITY;
}

/* The next connection of the round robin over cmd and the open aux. */
static redisAsyncContext *
store_pick(void)
{
	unsigned i, k;

	for (i = 0; i < STORE_AUX + 1; i++) {
		k = store_st.aux_next++ % (STORE_AUX + 1);
		if (k == 0 && store_st.cmd != NULL)
			return store_st.cmd;
		if (k > 0 && store_st.aux[k - 1] != NULL)
			return store_st.aux[k - 1];
	}
	return store_st.cmd;
}

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

/*
 * What a reply to p means: a result (returned, owned) or NULL with err
 * set. A function's own error means it changed nothing (the functions
 * validate before they write) but, for one that audits, the audit entry.
 */
static json_t *
store_fcall_outcome(struct pending *p, redisReply *reply, struct sh_error *err)
{
	json_t *res = NULL, *e;
	json_error_t jerr;
	char buf[200];

	if (reply == NULL) {
		if (p->writes)
			store_outcome_unknown(err);
		else
			store_unavailable(err);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("store: fcall fn=%s error=%s", p->fn,
		    log_escape(reply->str, reply->len, buf, sizeof buf));
		if (strncmp(reply->str, "READONLY ", 9) == 0)
			store_drop(
			    "readonly"); /* a failover: find the master */
		if (strncmp(reply->str, "NOREPLICAS ", 11) == 0)
			store_noreplicas();
		if (store_refused(reply->str))
			store_unavailable(err);
		else
			store_internal(err);
		return NULL;
	}
	if (reply->type != REDIS_REPLY_STRING ||
	    (res = json_loadb(reply->str, reply->len, 0, &jerr)) == NULL ||
	    !json_is_object(res)) {
		log_warnx("store: fcall fn=%s returned no JSON object", p->fn);
		json_decref(res);
		store_internal(err);
		return NULL;
	}
	if (json_object_get(res, "audited") != NULL) {
		/* A function that audits wrote the call's entry. */
		if (p->audited != NULL)
			*p->audited = true;
		json_object_del(res, "audited");
	}
	if ((e = json_object_get(res, "error")) != NULL) {
		store_error_from_json(e, err);
		json_decref(res);
		/* Nothing was written but an audit entry, which is never
		 * waited for: no WAIT needed. */
		p->writes = false;
		return NULL;
	}
	return res;
}

/*
 * A reply in fields into f (borrowed from reply), and *p->audited set
 * from it. 0, or -1 (logged) when it is not [kind, audited, field...,
 * json] of strings.
 */
static int
store_fields_of(
    struct pending *p, const redisReply *reply, struct store_fields *f)
{
	const redisReply *e;
	size_t i;

	if (reply->elements < 3 || reply->elements > STORE_FIELDS_MAX)
		goto bad;
	for (i = 0; i < reply->elements; i++) {
		e = reply->element[i];
		if (e->type != REDIS_REPLY_STRING)
			goto bad;
		f->v[i] = e->str;
		f->len[i] = e->len;
	}
	f->n = reply->elements;
	if (f->v[1][0] == '1' && p->audited != NULL)
		*p->audited = true;
	return 0;
bad:
	log_warnx("store: fcall fn=%s returned no reply in fields", p->fn);
	return -1;
}

/* A copy of f in one block (the WAIT delivers it after hiredis has freed
 * the reply), or NULL on ENOMEM. */
static struct store_fields *
store_fields_copy(const struct store_fields *f)
{
	struct store_fields *c;
	size_t i, total = 0;
	char *s;

	for (i = 0; i < f->n; i++)
		total += f->len[i] + 1;
	if ((c = malloc(sizeof *c + total)) == NULL)
		return NULL;
	s = (char *)(c + 1);
	c->n = f->n;
	for (i = 0; i < f->n; i++) {
		memcpy(s, f->v[i], f->len[i]);
		s[f->len[i]] = '\0';
		c->v[i] = s;
		c->len[i] = f->len[i];
		s += f->len[i] + 1;
	}
	return c;
}

/* Run p's callback with its outcome (f, else res, else err) and free p. */
static void
store_fcall_deliver(struct pending *p, const struct store_fields *f,
    json_t *res, const struct sh_error *err)
{
	if (p->fcb != NULL)
		p->fcb(f, f == NULL ? res : NULL,
		    f == NULL && res == NULL ? err : NULL, p->arg);
	else
		p->cb(res, res != NULL ? NULL : err, p->arg);
	json_decref(res);
	free(p->fields);
	free(p);
}

static void
store_fcall_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	struct store_fields f, *fp = NULL;
	json_t *res = NULL;

	store_pending_done(p, reply);
	if (p->fcb != NULL && reply != NULL &&
	    reply->type == REDIS_REPLY_ARRAY) {
		if (store_fields_of(p, reply, &f) == 0)
			fp = &f;
		else
			store_internal(&p->err);
	} else
		res = store_fcall_outcome(p, reply, &p->err);
	if (p->noack && (res != NULL || fp != NULL)) {
		json_decref(res);
		res = NULL;
		fp = NULL;
		store_outcome_unknown(&p->err);
	}
	if (p->waited) {
		/* The WAIT behind it delivers (its callback always runs). */
		p->res = res;
		if (fp != NULL && (p->fields = store_fields_copy(fp)) == NULL)
			store_outcome_unknown(&p->err);
		p->replied = true;
		return;
	}
	store_fcall_deliver(p, fp, res, &p->err);
}

/*
 * The WAIT after a write: the outcome of the FCALL before it is
 * acknowledged only when min_acks replicas have it. A function's own error
 * wrote nothing and is delivered as it is.
 */
static void
store_wait_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *w = privdata, *p = w->fcall;
	redisReply *reply = r;
	json_t *res = p->res;
	const struct store_fields *f = p->fields;

	store_pending_done(w, reply);
	free(w);
	if (!p->replied) { /* cannot happen: replies come in order */
		p->res = NULL;
		store_outcome_unknown(&p->err);
	} else if ((res != NULL || f != NULL) &&
	    (reply == NULL || reply->type != REDIS_REPLY_INTEGER ||
	        reply->integer < store_st.min_acks)) {
		if (reply == NULL)
			log_warnx("store: fcall fn=%s: the connection was lost "
			          "before its WAIT answered; outcome unknown",
			    p->fn);
		else
			log_warnx("store: fcall fn=%s reached %lld of %d "
			          "replicas; outcome unknown",
			    p->fn,
			    reply->type == REDIS_REPLY_INTEGER ? reply->integer
			                                       : -1LL,
			    store_st.min_acks);
		json_decref(res);
		res = NULL;
		f = NULL; /* p->fields is freed with p */
		store_outcome_unknown(&p->err);
	}
	p->res = NULL;
	store_fcall_deliver(p, f, res, &p->err);
}

/* WAIT min_acks STORE_WAIT_MS behind the write p, pipelined. */
static int
store_wait_send(struct pending *p)
{
	char n[16], ms[16];
	const char *av[] = {"WAIT", n, ms};
	struct pending *w;

	snprintf(n, sizeof n, "%d", store_st.min_acks);
	snprintf(ms, sizeof ms, "%d", STORE_WAIT_MS);
	if ((w = store_pending_new(PK_WAIT)) == NULL)
		return -1;
	w->fcall = p;
	snprintf(w->fn, sizeof w->fn, "WAIT");
	/* On p's connection: WAIT counts the acks of its client's writes. */
	return store_send_on(p->ac, w, store_wait_cb, 3, av, NULL);
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
	return store_call_audited(fn, argc, argv, lens, NULL, cb, arg, err);
}

/* The FCALL of store_call_audited (cb) or store_call_fields (fcb). */
static int
store_fcall_send(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, bool *audited, store_cb *cb, store_fields_cb *fcb,
    void *arg, struct sh_error *err)
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
	if (!store_st.up || store_st.cmd == NULL ||
	    (store_st.noreplicas && !store_fn_reads(fn)))
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
	p->fcb = fcb;
	p->arg = arg;
	p->audited = audited;
	p->writes = !store_fn_reads(fn);
	p->waited = p->writes && store_st.min_acks > 0;
	snprintf(p->fn, sizeof p->fn, "%s", d->name);
	if (store_send_on(store_fn_spread(fn) ? store_pick() : store_st.cmd, p,
	        store_fcall_cb, argc + 4, av, al) == -1)
		return store_unavailable(err);
	/* Sent: from here on only the callbacks report. Without its WAIT
	 * the write cannot be acknowledged: the FCALL callback then
	 * delivers outcome_unknown (or the function's own error). */
	if (p->waited && store_wait_send(p) == -1) {
		p->waited = false;
		p->noack = true;
		store_drop("wait");
	}
	return 0;
}

/* store_call, and *audited set when the function wrote the audit entry:
 * see store_internal.h. */
int
store_call_audited(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, bool *audited, store_cb *cb, void *arg,
    struct sh_error *err)
{
	return store_fcall_send(
	    fn, argc, argv, lens, audited, cb, NULL, arg, err);
}

/* store_call_audited with a reply in fields: see store_internal.h. */
int
store_call_fields(enum store_fn fn, int argc, const char *const *argv,
    const size_t *lens, bool *audited, store_fields_cb *cb, void *arg,
    struct sh_error *err)
{
	return store_fcall_send(
	    fn, argc, argv, lens, audited, NULL, cb, arg, err);
}