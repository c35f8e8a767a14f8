/*
 * store_reply.c: FCALL of a read-only function whose reply is not one
 * JSON text but Redis arrays the caller walks itself (shd_shelter_rows:
 * the table loads without a JSON parser). The reply is borrowed for the
 * callback; the watchdog covers it as every command on cmd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

static void
store_reply_cb_(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	redisReply *reply = r;
	struct sh_error err;
	char buf[200];

	store_pending_done(p, reply);
	if (reply == NULL) {
		store_unavailable(&err);
		p->xcb(NULL, &err, p->arg);
	} else if (reply->type != REDIS_REPLY_ARRAY) {
		/* An error of Redis, or of the function (one JSON text). */
		log_warnx("store: fcall fn=%s refused: %s", p->fn,
		    reply->str != NULL
		        ? log_escape(reply->str, reply->len, buf, sizeof buf)
		        : "not an array");
		store_internal(&err);
		p->xcb(NULL, &err, p->arg);
	} else
		p->xcb(reply, NULL, p->arg);
	free(p);
}

/* FCALL fn 0 PREFIX ARGV... on cmd, fn a function that only reads: 0 and
 * cb runs once later, or -1 with err set and cb not run. */
static int
store_reply_call(enum store_fn fn, int argc, const char *const *argv,
    store_reply_cb *cb, void *arg, struct sh_error *err)
{
	const char *av[8];
	const struct store_fn_def *d = &store_fns[fn];
	struct pending *p;
	int i;

	if (argc != d->argc || argc + 4 > (int)(sizeof av / sizeof av[0])) {
		log_warnx("store: fcall fn=%s with %d arguments, not %d",
		    d->name, argc, d->argc);
		store_internal(err);
		return -1;
	}
	if (!store_st.up || store_st.cmd == NULL)
		return store_unavailable(err);
	av[0] = "FCALL";
	av[1] = d->name;
	av[2] = "0";
	av[3] = store_st.prefix;
	for (i = 0; i < argc; i++)
		av[i + 4] = argv[i];
	if ((p = store_pending_new(PK_REPLY)) == NULL) {
		store_internal(err);
		return -1;
	}
	p->xcb = cb;
	p->arg = arg;
	snprintf(p->fn, sizeof p->fn, "%s", d->name);
	if (store_send(p, store_reply_cb_, argc + 4, av, NULL) == -1)
		return store_unavailable(err);
	return 0;
}

/*
 * shd_shelter_rows after limit upto: a page of the shelters by id in the
 * table's row form (docs/store.md), as the array Redis sent; after and
 * upto NULL are "". 0, or -1 with err set.
 */
int
store_shelter_rows(const char *after, int limit, const char *upto,
    store_reply_cb *cb, void *arg, struct sh_error *err)
{
	char n[24];
	const char *argv[3] = {
	    after != NULL ? after : "", n, upto != NULL ? upto : ""};

	snprintf(n, sizeof n, "%d", limit);
	return store_reply_call(STORE_FN_SHELTER_ROWS, 3, argv, cb, arg, err);
}
