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
 * shd_shelter_put: id doc always open_if_new, then per pool name doc total
 * occupied. 0 or -1 with err (also on ENOMEM).
 */
int
store_shelter_put(const struct store_shelter_put_args *a, store_cb *cb,
    void *arg, struct sh_error *err)
{
	struct store_fn_vec v;
	size_t i, n = 4 + 4 * a->npools;
	int rc;

	if (store_fn_vec_new(&v, n, 2 * a->npools, err) == -1)
		return -1;
	v.argv[0] = store_fn_str(a->id);
	v.argv[1] = store_fn_str(a->doc);
	v.argv[2] = a->always ? "1" : "0";
	v.argv[3] = a->open_if_new ? "1" : "0";
	for (i = 0; i < a->npools; i++) {
		v.argv[4 + 4 * i] = store_fn_str(a->pools[i].name);
		v.argv[5 + 4 * i] = store_fn_str(a->pools[i].doc);
		v.argv[6 + 4 * i] =
		    store_fn_num(v.num[2 * i], a->pools[i].total);
		v.argv[7 + 4 * i] =
		    store_fn_num(v.num[2 * i + 1], a->pools[i].occupied);
	}
	rc = store_call(
	    STORE_FN_SHELTER_PUT, (int)n, v.argv, NULL, cb, arg, err);
	store_fn_vec_free(&v);
	return rc;
}

/* shd_shelter_remove id: {"id"}. */
int
store_shelter_remove(
    const char *id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_SHELTER_REMOVE, id, cb, arg, err);
}

/* shd_shelter_get id: {"shelter"}. */
int
store_shelter_get(const char *id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_SHELTER_GET, id, cb, arg, err);
}

/* shd_shelter_list: {"shelters"}. */
int
store_shelter_list(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_SHELTER_LIST, 0, NULL, NULL, cb, arg, err);
}

/*
 * shd_capacity: id if_version (empty: none), then per pool name total
 * occupied (a count below 0 empty: kept). 0 or -1 with err.
 */
int
store_capacity(const struct store_capacity_args *a, store_cb *cb, void *arg,
    struct sh_error *err)
{
	const struct store_pool_count *p;
	struct store_fn_vec v;
	size_t i, n = 2 + 3 * a->npools;
	int rc;

	if (store_fn_vec_new(&v, n, 1 + 2 * a->npools, err) == -1)
		return -1;
	v.argv[0] = store_fn_str(a->id);
	v.argv[1] =
	    a->has_if_version ? store_fn_num(v.num[0], a->if_version) : "";
	for (i = 0; i < a->npools; i++) {
		p = &a->pools[i];
		v.argv[2 + 3 * i] = store_fn_str(p->name);
		v.argv[3 + 3 * i] = p->total >= 0
		    ? store_fn_num(v.num[1 + 2 * i], p->total)
		    : "";
		v.argv[4 + 3 * i] = p->occupied >= 0
		    ? store_fn_num(v.num[2 + 2 * i], p->occupied)
		    : "";
	}
	rc = store_call(STORE_FN_CAPACITY, (int)n, v.argv, NULL, cb, arg, err);
	store_fn_vec_free(&v);
	return rc;
}

/* shd_intake id open reason (NULL: none): {"shelter"}. */
int
store_intake(const char *id, bool open, const char *reason, store_cb *cb,
    void *arg, struct sh_error *err)
{
	const char *argv[] = {
	    store_fn_str(id), open ? "1" : "0", store_fn_str(reason)};

	return store_call(STORE_FN_INTAKE, 3, argv, NULL, cb, arg, err);
}

/* shd_case_shelters case: {"shelters"} holding or expecting the case. */
int
store_case_shelters(
    const char *case_id, store_cb *cb, void *arg, struct sh_error *err)
{
	char ck[STORE_CASE_KEY];

	return store_fn_1(
	    STORE_FN_CASE_SHELTERS, store_fn_case(case_id, ck), cb, arg, err);
}

/*
 * shd_submit ref doc urgency case co_victims household ttl nalt
 * candidates: {"duplicate", "request", "proposal"}.
 */
int
store_submit(const struct store_submit_args *a, store_cb *cb, void *arg,
    struct sh_error *err)
{
	char urg[STORE_FN_NUM], ttl[STORE_FN_NUM], nalt[STORE_FN_NUM];
	char ck[STORE_CASE_KEY];
	const char *argv[] = {store_fn_str(a->ref), store_fn_str(a->doc),
	    store_fn_num(urg, a->urgency), store_fn_case(a->case_id, ck),
	    store_fn_str(a->co_victims), store_fn_str(a->household),
	    store_fn_num(ttl, a->ttl_s), store_fn_num(nalt, a->nalt),
	    store_fn_str(a->candidates)};

	return store_call(STORE_FN_SUBMIT, 9, argv, NULL, cb, arg, err);
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

/* shd_accept proposal_id: {"proposal", "request"}. */
int
store_accept(
    const char *proposal_id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_ACCEPT, proposal_id, cb, arg, err);
}

/* shd_reject proposal_id: {"proposal", "request"}. The caller's reason
 * stays in the daemon: free text is not sent to Redis. */
int
store_reject(
    const char *proposal_id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_REJECT, proposal_id, cb, arg, err);
}

/* shd_cancel request_id: {"request"} (the reason is not sent either). */
int
store_cancel(
    const char *request_id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_CANCEL, request_id, cb, arg, err);
}

/* shd_arrived request_id own_shelter (empty: any): {"request"}. */
int
store_arrived(const char *request_id, const char *own_shelter, store_cb *cb,
    void *arg, struct sh_error *err)
{
	return store_fn_2(
	    STORE_FN_ARRIVED, request_id, own_shelter, cb, arg, err);
}

/* shd_sweep: {"expired": N}. */
int
store_sweep(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_SWEEP, 0, NULL, NULL, cb, arg, err);
}

/* shd_request_get id: {"request"}. */
int
store_request_get(const char *id, store_cb *cb, void *arg, struct sh_error *err)
{
	return store_fn_1(STORE_FN_REQUEST_GET, id, cb, arg, err);
}

/* shd_request_list statuses limit: {"requests"}. */
int
store_request_list(const char *statuses, int limit, store_cb *cb, void *arg,
    struct sh_error *err)
{
	char lim[STORE_FN_NUM];

	return store_fn_2(STORE_FN_REQUEST_LIST, statuses,
	    store_fn_num(lim, limit), cb, arg, err);
}

/* shd_waiting limit: {"requests"} in waitlist order. */
int
store_waiting(int limit, store_cb *cb, void *arg, struct sh_error *err)
{
	char lim[STORE_FN_NUM];

	return store_fn_1(
	    STORE_FN_WAITING, store_fn_num(lim, limit), cb, arg, err);
}

/* shd_stats: {"shelters", "places", "requests", "oldest_waiting_ms"}. */
int
store_stats(store_cb *cb, void *arg, struct sh_error *err)
{
	return store_call(STORE_FN_STATS, 0, NULL, NULL, cb, arg, err);
}
