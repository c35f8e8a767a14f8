/*
 * store_fn.c: one typed call per function of the library (the table is
 * store_fn.h's, instantiated in store_fcall.c). Each builds the argument vector
 * in the order the table names, formats the integers itself and hands it to
 * store_call, which holds the count against the table: no caller builds
 * an argv or a NULL-terminated list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

/* Room for a long long in decimal. */
#define STORE_FN_NUM 24

/* An argument that may be absent: the functions read "" as absent. */
static const char *
store_fn_str(const char *s)
{
	return s != NULL ? s : "";
}

/* v in decimal into buf (STORE_FN_NUM bytes). Returns buf. */
static char *
store_fn_num(char *buf, long long v)
{
	snprintf(buf, STORE_FN_NUM, "%lld", v);
	return buf;
}

/*
 * The case id as the store keys it (PREFIXcase:KEY): "h" and the hex
 * HMAC-SHA256 of the id under the store's case salt, so the id itself
 * never becomes a key name. "" for none (or when the hash fails: no case
 * then, which only loses the co-victim rule, and is logged).
 */
static const char *
store_fn_case(const char *case_id, char buf[STORE_CASE_KEY])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	buf[0] = '\0';
	if (case_id == NULL || case_id[0] == '\0')
		return buf;
	if (HMAC(EVP_sha256(), store_st.case_salt,
	        (int)strlen(store_st.case_salt), (const unsigned char *)case_id,
	        strlen(case_id), md, &mdlen) == NULL ||
	    mdlen != 32) {
		log_warnx("store: cannot hash a case id");
		return buf;
	}
	buf[0] = 'h';
	for (i = 0; i < 32; i++) {
		buf[1 + 2 * i] = digits[md[i] >> 4];
		buf[2 + 2 * i] = digits[md[i] & 0xf];
	}
	buf[65] = '\0';
	return buf;
}

/* The four audit arguments of a function that audits (store_fn.h) into
 * argv; a NULL au or who: none. Returns where the entry's flag goes. */
static bool *
store_fn_audit(const struct store_audit *au, const char *argv[4])
{
	bool none = au == NULL || au->who == NULL || au->who[0] == '\0';

	argv[0] = none ? "" : au->who;
	argv[1] = none ? "" : store_fn_str(au->method);
	argv[2] = none ? "" : store_fn_str(au->ids);
	argv[3] = !none && au->defer ? "1" : "";
	return none ? NULL : au->written;
}

/* fn, a function that audits (au), with n (1 or 2) arguments a1 a2. */
static int
store_fn_audited(enum store_fn fn, const struct store_audit *au, int n,
    const char *a1, const char *a2, store_cb *cb, void *arg,
    struct sh_error *err)
{
	const char *argv[] = {
	    "", "", "", "", store_fn_str(a1), store_fn_str(a2)};
	bool *written = store_fn_audit(au, argv);

	return store_call_audited(fn, 4 + n, argv, NULL, written, cb, arg, err);
}

/* fn with one argument. */
static int
store_fn_1(enum store_fn fn, const char *a1, store_cb *cb, void *arg,
    struct sh_error *err)
{
	const char *argv[] = {store_fn_str(a1)};

	return store_call(fn, 1, argv, NULL, cb, arg, err);
}

/* fn with two arguments. */
static int
store_fn_2(enum store_fn fn, const char *a1, const char *a2, store_cb *cb,
    void *arg, struct sh_error *err)
{
	const char *argv[] = {store_fn_str(a1), store_fn_str(a2)};

	return store_call(fn, 2, argv, NULL, cb, arg, err);
}

/* The vectors of a call with a repeated tail: arguments and numbers. */
struct store_fn_vec {
	const char **argv;
	char (*num)[STORE_FN_NUM];
};

/* Room for n arguments and nnum numbers: 0, or -1 with err (ENOMEM). */
static int
store_fn_vec_new(
    struct store_fn_vec *v, size_t n, size_t nnum, struct sh_error *err)
{
	v->argv = calloc(n ? n : 1, sizeof *v->argv);
	v->num = calloc(nnum ? nnum : 1, sizeof *v->num);
	if (v->argv == NULL || v->num == NULL) {
		free(v->argv);
		free(v->num);
		return sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
	}
	return 0;
}

static void
store_fn_vec_free(struct store_fn_vec *v)
{
	free(v->argv);
	free(v->num);
}

/* shd_version: {"version": N}. */
int
store_version(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_VERSION, 0, NULL, NULL, cb, arg, err);
}

/*
 * shd_shelter_put: who method ids defer (a->audit), id doc always
 * open_if_new tab, then per pool name doc total occupied. 0 or -1 with err
 * (also on ENOMEM).
 */
int
store_shelter_put(const struct store_shelter_put_args *a, store_cb *cb,
    void *arg, struct sh_error *err)
{
	struct store_fn_vec v;
	size_t i, n = 9 + 4 * a->npools;
	int rc;

	bool *written;

	if (store_fn_vec_new(&v, n, 2 * a->npools, err) == -1)
		return -1;
	written = store_fn_audit(a->audit, v.argv);
	v.argv[4] = store_fn_str(a->id);
	v.argv[5] = store_fn_str(a->doc);
	v.argv[6] = a->always ? "1" : "0";
	v.argv[7] = a->open_if_new ? "1" : "0";
	v.argv[8] = store_fn_str(a->tab);
	for (i = 0; i < a->npools; i++) {
		v.argv[9 + 4 * i] = store_fn_str(a->pools[i].name);
		v.argv[10 + 4 * i] = store_fn_str(a->pools[i].doc);
		v.argv[11 + 4 * i] =
		    store_fn_num(v.num[2 * i], a->pools[i].total);
		v.argv[12 + 4 * i] =
		    store_fn_num(v.num[2 * i + 1], a->pools[i].occupied);
	}
	rc = store_call_audited(
	    STORE_FN_SHELTER_PUT, (int)n, v.argv, NULL, written, cb, arg, err);
	store_fn_vec_free(&v);
	return rc;
}

/* shd_shelter_remove who method ids defer (au), id: {"id"}. */
int
store_shelter_remove(const struct store_audit *au, const char *id, store_cb *cb,
    void *arg, struct sh_error *err)
{
	return store_fn_audited(
	    STORE_FN_SHELTER_REMOVE, au, 1, id, NULL, cb, arg, err);
}

/* shd_shelter_get id: {"shelter"}. */
int
store_shelter_get(const char *id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_SHELTER_GET, id, cb, arg, err);
}

/*
 * shd_shelter_tabs [id version tab]: {"set": N}, each tab written while
 * its shelter is at that version. 0, or -1 with err.
 */
int
store_shelter_tabs(const char *const *argv, size_t n, store_cb *cb, void *arg,
    struct sh_error *err)
{
	return store_call(
	    STORE_FN_SHELTER_TABS, (int)(3 * n), argv, NULL, cb, arg, err);
}

/* shd_shelter_list: {"shelters"}. */
int
store_shelter_list(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_SHELTER_LIST, 0, NULL, NULL, cb, arg, err);
}

/* The caller of store_capacity, until shd_capacity answers. */
struct store_fn_capacity {
	store_capacity_cb *cb;
	void *arg;
};

/* shd_capacity's reply in fields: ["shelter", audited, row..., json]. */
static void
store_fn_capacity_done(const struct store_fields *f, json_t *result,
    const struct sh_error *err, void *arg)
{
	struct store_fn_capacity c = *(struct store_fn_capacity *)arg;
	struct store_capacity_reply cr;
	struct sh_error ierr;

	free(arg);
	if (f == NULL) {
		c.cb(NULL, result, err, c.arg);
		return;
	}
	if (f->n < 4 || strcmp(f->v[0], "shelter") != 0 ||
	    f->len[f->n - 1] == 0) {
		log_warnx("store: shd_capacity replied %zu fields, not a "
		          "shelter's row",
		    f->n);
		store_internal(&ierr);
		c.cb(NULL, NULL, &ierr, c.arg);
		return;
	}
	cr.row = f->v + 2;
	cr.row_len = f->len + 2;
	cr.nrow = f->n - 3;
	cr.shelter = f->v[f->n - 1];
	cr.shelter_len = f->len[f->n - 1];
	c.cb(&cr, NULL, NULL, c.arg);
}

/*
 * shd_capacity: who method ids defer (a->audit), id if_version (empty: none),
 * then per pool name total occupied (a count below 0 empty: kept). 0 or
 * -1 with err.
 */
int
store_capacity(const struct store_capacity_args *a, store_capacity_cb *cb,
    void *arg, struct sh_error *err)
{
	const struct store_pool_count *p;
	struct store_fn_capacity *c;
	struct store_fn_vec v;
	size_t i, n = 6 + 3 * a->npools;
	int rc;

	bool *written;

	if ((c = malloc(sizeof *c)) == NULL) {
		store_internal(err);
		return -1;
	}
	c->cb = cb;
	c->arg = arg;
	if (store_fn_vec_new(&v, n, 1 + 2 * a->npools, err) == -1) {
		free(c);
		return -1;
	}
	written = store_fn_audit(a->audit, v.argv);
	v.argv[4] = store_fn_str(a->id);
	v.argv[5] =
	    a->has_if_version ? store_fn_num(v.num[0], a->if_version) : "";
	for (i = 0; i < a->npools; i++) {
		p = &a->pools[i];
		v.argv[6 + 3 * i] = store_fn_str(p->name);
		v.argv[7 + 3 * i] = p->total >= 0
		    ? store_fn_num(v.num[1 + 2 * i], p->total)
		    : "";
		v.argv[8 + 3 * i] = p->occupied >= 0
		    ? store_fn_num(v.num[2 + 2 * i], p->occupied)
		    : "";
	}
	rc = store_call_fields(STORE_FN_CAPACITY, (int)n, v.argv, NULL, written,
	    store_fn_capacity_done, c, err);
	if (rc == -1)
		free(c);
	store_fn_vec_free(&v);
	return rc;
}

/* shd_intake who method ids defer (au), id open reason (NULL: none):
 * {"shelter"}. */
int
store_intake(const struct store_audit *au, const char *id, bool open,
    const char *reason, store_cb *cb, void *arg, struct sh_error *err)
{
	const char *argv[] = {"", "", "", "", store_fn_str(id),
	    open ? "1" : "0", store_fn_str(reason)};
	bool *written = store_fn_audit(au, argv);

	return store_call_audited(
	    STORE_FN_INTAKE, 7, argv, NULL, written, cb, arg, err);
}

/* shd_departures who method ids defer (au), id pools ({POOL: [[day,
 * count], ...]}): {"shelter"}. */
int
store_departures(const struct store_audit *au, const char *id,
    const char *pools, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_audited(
	    STORE_FN_DEPARTURES, au, 2, id, pools, cb, arg, err);
}

/*
 * shd_case_shelters case: {"shelters", "apart"}: the shelters holding,
 * expecting or housing the case, and those of its apart members.
 */
int
store_case_shelters(
    const char *case_id, store_cb *cb, void *arg, struct sh_error *err)
{
	char ck[STORE_CASE_KEY];

	return store_fn_1(
	    STORE_FN_CASE_SHELTERS, store_fn_case(case_id, ck), cb, arg, err);
}

/* The caller of store_submit, until shd_submit answers. */
struct store_fn_submit {
	store_submit_cb *cb;
	void *arg;
};

/*
 * shd_submit's reply in fields: [kind ("proposal" or "duplicate"),
 * audited, request_id, proposal_id, shelter_id, pool, cseq, ..., result].
 * A field added later goes before result, which is always the last.
 */
static void
store_fn_submitted(const struct store_fields *f, json_t *result,
    const struct sh_error *err, void *arg)
{
	struct store_fn_submit s = *(struct store_fn_submit *)arg;
	struct store_submit_reply sr;
	struct sh_error ierr;

	free(arg);
	if (f == NULL) {
		s.cb(NULL, result, err, s.arg);
		return;
	}
	sr.duplicate = strcmp(f->v[0], "duplicate") == 0;
	if (f->n < 8 || (!sr.duplicate && strcmp(f->v[0], "proposal") != 0) ||
	    f->len[2] == 0 ||
	    (!sr.duplicate &&
	        (f->len[3] == 0 || f->len[4] == 0 || f->len[5] == 0))) {
		log_warnx("store: shd_submit replied %zu fields, not the "
		          "ones of a proposal or a duplicate",
		    f->n);
		store_internal(&ierr);
		s.cb(NULL, NULL, &ierr, s.arg);
		return;
	}
	sr.request_id = f->v[2];
	sr.proposal_id = f->v[3];
	sr.shelter_id = f->v[4];
	sr.pool = f->v[5];
	sr.cseq = f->len[6] > 0 ? strtoll(f->v[6], NULL, 10) : 0;
	sr.result = f->v[f->n - 1];
	sr.result_len = f->len[f->n - 1];
	s.cb(&sr, NULL, NULL, s.arg);
}

/*
 * shd_submit who method ids defer (a->audit), ref doc urgency case co_victims
 * household ttl nalt candidates: in fields (store_submit_reply) when it
 * made a proposal or found a duplicate, else {"duplicate", "request",
 * "proposal"}. 0 or -1 with err (also on ENOMEM).
 */
int
store_submit(const struct store_submit_args *a, store_submit_cb *cb, void *arg,
    struct sh_error *err)
{
	char urg[STORE_FN_NUM], ttl[STORE_FN_NUM], nalt[STORE_FN_NUM];
	char ck[STORE_CASE_KEY];
	const char *argv[] = {"", "", "", "", store_fn_str(a->ref),
	    store_fn_str(a->doc), store_fn_num(urg, a->urgency),
	    store_fn_case(a->case_id, ck), store_fn_str(a->co_victims),
	    store_fn_str(a->household), store_fn_num(ttl, a->ttl_s),
	    store_fn_num(nalt, a->nalt), store_fn_str(a->candidates)};
	bool *written = store_fn_audit(a->audit, argv);
	struct store_fn_submit *s;

	if ((s = malloc(sizeof *s)) == NULL) {
		store_internal(err);
		return -1;
	}
	s->cb = cb;
	s->arg = arg;
	if (store_call_fields(STORE_FN_SUBMIT, 13, argv, NULL, written,
	        store_fn_submitted, s, err) == -1) {
		free(s);
		return -1;
	}
	return 0;
}

/*
 * shd_submit_batch ttl nalt partial, then per request ref doc urgency case
 * co_victims household choice: {"results"}, or {"retry", "shelters",
 * "duplicates"}. 0 or -1 with err (also on ENOMEM).
 */
int
store_submit_batch(const struct store_submit_batch_args *a, store_cb *cb,
    void *arg, struct sh_error *err)
{
	const struct store_batch_item *it;
	struct store_fn_vec v;
	size_t i, n = 3 + 7 * a->nitems;
	char(*ck)[STORE_CASE_KEY];
	int rc;

	if ((ck = calloc(a->nitems ? a->nitems : 1, sizeof *ck)) == NULL)
		return sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
	if (store_fn_vec_new(&v, n, 2 + a->nitems, err) == -1) {
		free(ck);
		return -1;
	}
	v.argv[0] = store_fn_num(v.num[0], a->ttl_s);
	v.argv[1] = store_fn_num(v.num[1], a->nalt);
	v.argv[2] = a->partial ? "1" : "0";
	for (i = 0; i < a->nitems; i++) {
		it = &a->items[i];
		v.argv[3 + 7 * i] = store_fn_str(it->ref);
		v.argv[4 + 7 * i] = store_fn_str(it->doc);
		v.argv[5 + 7 * i] = store_fn_num(v.num[2 + i], it->urgency);
		v.argv[6 + 7 * i] = store_fn_case(it->case_id, ck[i]);
		v.argv[7 + 7 * i] = store_fn_str(it->co_victims);
		v.argv[8 + 7 * i] = store_fn_str(it->household);
		v.argv[9 + 7 * i] = store_fn_str(it->choice);
	}
	rc = store_call(
	    STORE_FN_SUBMIT_BATCH, (int)n, v.argv, NULL, cb, arg, err);
	store_fn_vec_free(&v);
	free(ck);
	return rc;
}

/* shd_propose request_id ttl nalt candidates: {"request", "proposal"}. */
int
store_propose(const struct store_propose_args *a, store_cb *cb, void *arg,
    struct sh_error *err)
{
	char ttl[STORE_FN_NUM], nalt[STORE_FN_NUM];
	const char *argv[] = {store_fn_str(a->request_id),
	    store_fn_num(ttl, a->ttl_s), store_fn_num(nalt, a->nalt),
	    store_fn_str(a->candidates)};

	return store_call(STORE_FN_PROPOSE, 4, argv, NULL, cb, arg, err);
}

/* shd_accept who method ids defer (au), proposal_id: {"proposal",
 * "request"}. */
int
store_accept(const struct store_audit *au, const char *proposal_id,
    store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_audited(
	    STORE_FN_ACCEPT, au, 1, proposal_id, NULL, cb, arg, err);
}

/* shd_reject proposal_id: {"proposal", "request"}. The caller's reason
 * stays in the daemon: free text is not sent to Redis. */
int
store_reject(
    const char *proposal_id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_REJECT, proposal_id, cb, arg, err);
}

/* shd_cancel who method ids defer (au), request_id: {"request"} (the
 * reason is not sent either). */
int
store_cancel(const struct store_audit *au, const char *request_id, store_cb *cb,
    void *arg, struct sh_error *err)
{
	return store_fn_audited(
	    STORE_FN_CANCEL, au, 1, request_id, NULL, cb, arg, err);
}

/* shd_arrived who method ids defer (au), request_id own_shelter (empty:
 * any): {"request"}. */
int
store_arrived(const struct store_audit *au, const char *request_id,
    const char *own_shelter, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_audited(
	    STORE_FN_ARRIVED, au, 2, request_id, own_shelter, cb, arg, err);
}

/* shd_departed who method ids defer (au), request_id own_shelter (empty:
 * any): {"request"}. */
int
store_departed(const struct store_audit *au, const char *request_id,
    const char *own_shelter, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_audited(
	    STORE_FN_DEPARTED, au, 2, request_id, own_shelter, cb, arg, err);
}

/* shd_sweep: {"expired": N}. */
int
store_sweep(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_SWEEP, 0, NULL, NULL, cb, arg, err);
}

/* shd_alerts: the time checks; {"stale", "escalated", "expiring"}. */
int
store_alerts(const struct store_alerts_args *a, store_cb *cb, void *arg,
    struct sh_error *err)
{
	char n[7][STORE_FN_NUM];
	const char *argv[] = {store_fn_num(n[0], a->stale_ms),
	    store_fn_num(n[1], a->remind_ms),
	    store_fn_num(n[2], a->immediate_ms), store_fn_num(n[3], a->days_ms),
	    store_fn_num(n[4], a->planned_ms), store_fn_num(n[5], a->repeat_ms),
	    store_fn_num(n[6], a->expiring_ms)};

	return store_call(STORE_FN_ALERTS, 7, argv, NULL, cb, arg, err);
}

/* shd_long_stays program own_shelter norms: {"stays"}. */
int
store_long_stays(const char *program, const char *own_shelter,
    const char *norms, store_cb *cb, void *arg, struct sh_error *err)
{
	const char *argv[] = {store_fn_str(program), store_fn_str(own_shelter),
	    store_fn_str(norms)};

	return store_call(STORE_FN_LONG_STAYS, 3, argv, NULL, cb, arg, err);
}

/* shd_placement_report from_ms to_ms: {"requests", "now"}. */
int
store_placement_report(long long from_ms, long long to_ms, store_cb *cb,
    void *arg, struct sh_error *err)
{
	char f[STORE_FN_NUM], t[STORE_FN_NUM];
	const char *argv[] = {store_fn_num(f, from_ms), store_fn_num(t, to_ms)};

	return store_call(
	    STORE_FN_PLACEMENT_REPORT, 2, argv, NULL, cb, arg, err);
}

/* shd_clock: {"offset_ms", "now_ms"} of the test clock. */
int
store_clock(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_CLOCK, 0, NULL, NULL, cb, arg, err);
}

/* shd_clock_advance seconds: {"offset_ms", "now_ms"}. */
int
store_clock_advance(
    long long seconds, store_cb *cb, void *arg, struct sh_error *err)
{
	char s[STORE_FN_NUM];

	return store_fn_1(
	    STORE_FN_CLOCK_ADVANCE, store_fn_num(s, seconds), cb, arg, err);
}

/*
 * shd_request_get id by: {"request"}. by_ref false: id is a request id or
 * else a ref; true: only a ref.
 */
int
store_request_get(
    const char *id, bool by_ref, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_2(
	    STORE_FN_REQUEST_GET, id, by_ref ? "ref" : "", cb, arg, err);
}

/* shd_request_list statuses limit order case: {"requests"}. */
int
store_request_list(const char *statuses, int limit, bool newest,
    const char *case_id, store_cb *cb, void *arg, struct sh_error *err)
{
	char lim[STORE_FN_NUM], ck[STORE_CASE_KEY];
	const char *argv[] = {store_fn_str(statuses), store_fn_num(lim, limit),
	    newest ? "newest" : "oldest", store_fn_case(case_id, ck)};

	return store_call(STORE_FN_REQUEST_LIST, 4, argv, NULL, cb, arg, err);
}

/* shd_placement_list statuses own_shelter: {"placements"}. */
int
store_placement_list(const char *statuses, const char *own_shelter,
    store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_2(
	    STORE_FN_PLACEMENT_LIST, statuses, own_shelter, cb, arg, err);
}

/*
 * shd_waiting limit after ver: {"requests", "next", "ver"} in waitlist
 * order, or {"unchanged", "ver"} when ver (NULL or "": none) is the
 * waitlist's version still.
 */
int
store_waiting(int limit, const char *after, const char *ver, store_cb *cb,
    void *arg, struct sh_error *err)
{
	char lim[STORE_FN_NUM];
	const char *argv[3] = {store_fn_num(lim, limit),
	    after != NULL ? after : "", ver != NULL ? ver : ""};

	return store_call(STORE_FN_WAITING, 3, argv, NULL, cb, arg, err);
}

/* shd_stats: {"shelters", "places", "requests", "oldest_waiting_ms"}. */
int
store_stats(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_STATS, 0, NULL, NULL, cb, arg, err);
}

/*
 * shd_reg_create who method ids defer (a->audit), ref doc date kind
 * request_id, or with a->id shd_reg_update who method ids defer id ref doc
 * date kind request_id if_version:
 * {"registration"}.
 */
int
store_reg_put(const struct store_reg_args *a, store_cb *cb, void *arg,
    struct sh_error *err)
{
	char ifv[STORE_FN_NUM];
	/* The audit arguments go first: before the id of an update, or
	 * over it (argv + 1) for a create. */
	const char *argv[] = {"", "", "", "", "", store_fn_str(a->ref),
	    store_fn_str(a->doc), store_fn_str(a->date), store_fn_str(a->kind),
	    store_fn_str(a->request_id),
	    a->has_if_version ? store_fn_num(ifv, a->if_version) : ""};
	bool *written;

	if (a->id == NULL) {
		written = store_fn_audit(a->audit, argv + 1);
		return store_call_audited(STORE_FN_REG_CREATE, 9, argv + 1,
		    NULL, written, cb, arg, err);
	}
	written = store_fn_audit(a->audit, argv);
	argv[4] = a->id;
	return store_call_audited(
	    STORE_FN_REG_UPDATE, 11, argv, NULL, written, cb, arg, err);
}

/* shd_reg_get id: {"registration"}. */
int
store_reg_get(const char *id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_REG_GET, id, cb, arg, err);
}

/* shd_reg_list from to kind limit: {"registrations"}. */
int
store_reg_list(const char *from, const char *to, const char *kind, int limit,
    store_cb *cb, void *arg, struct sh_error *err)
{
	char lim[STORE_FN_NUM];
	const char *argv[] = {store_fn_str(from), store_fn_str(to),
	    store_fn_str(kind), store_fn_num(lim, limit)};

	return store_call(STORE_FN_REG_LIST, 4, argv, NULL, cb, arg, err);
}

/* shd_reg_docs from to: {"docs"}. */
int
store_reg_docs(const char *from, const char *to, store_cb *cb, void *arg,
    struct sh_error *err)
{
	return store_fn_2(STORE_FN_REG_DOCS, from, to, cb, arg, err);
}

/* shd_audit_add who method ids outcome: {"id"}. */
int
store_audit_add(const char *who, const char *method, const char *ids,
    const char *outcome, store_cb *cb, void *arg, struct sh_error *err)
{
	const char *argv[] = {store_fn_str(who), store_fn_str(method),
	    store_fn_str(ids), store_fn_str(outcome)};

	return store_call(STORE_FN_AUDIT_ADD, 4, argv, NULL, cb, arg, err);
}

/* shd_audit_list from to who method limit: {"entries"}. */
int
store_audit_list(long long from_ms, long long to_ms, const char *who,
    const char *method, int limit, store_cb *cb, void *arg,
    struct sh_error *err)
{
	char f[STORE_FN_NUM], t[STORE_FN_NUM], lim[STORE_FN_NUM];
	const char *argv[] = {from_ms >= 0 ? store_fn_num(f, from_ms) : "",
	    to_ms >= 0 ? store_fn_num(t, to_ms) : "", store_fn_str(who),
	    store_fn_str(method), store_fn_num(lim, limit)};

	return store_call(STORE_FN_AUDIT_LIST, 5, argv, NULL, cb, arg, err);
}

/* shd_retention who method ids defer (au), requests_cutoff
 * registrations_cutoff audit_cutoff. */
int
store_retention(const struct store_audit *au, long long requests_cutoff_ms,
    const char *reg_cutoff_date, long long audit_cutoff_ms, store_cb *cb,
    void *arg, struct sh_error *err)
{
	char r[STORE_FN_NUM], a[STORE_FN_NUM];
	const char *argv[] = {"", "", "", "",
	    requests_cutoff_ms >= 0 ? store_fn_num(r, requests_cutoff_ms) : "",
	    store_fn_str(reg_cutoff_date),
	    audit_cutoff_ms >= 0 ? store_fn_num(a, audit_cutoff_ms) : ""};
	bool *written = store_fn_audit(au, argv);

	return store_call_audited(
	    STORE_FN_RETENTION, 7, argv, NULL, written, cb, arg, err);
}
