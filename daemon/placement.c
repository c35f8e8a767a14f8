/*
 * placement.c: the waitlist pass and the hold expiry sweep (matching one
 * request against the table is in placement_match.c, the candidates
 * argument of the store's functions in placement_arg.c).
 *
 * A pass reads the waitlist in order (urgency, then age), matches every
 * waiting request against the in-memory table and sends shd_propose for
 * those with candidates, pipelined. Nothing is applied locally: the
 * function holds a place only if the store still has it and only for a
 * request that is still waiting, so passes of several instances may run at
 * once; the events they cause refresh every instance's table.
 *
 * Wakes are coalesced: a wake while a pass is queued does nothing, a wake
 * while a pass runs queues exactly one more pass after it.
 *
 * A pass reads the whole waitlist, PLACEMENT_PAGE requests at a time (a
 * cursor, not a fixed head: requests nothing can take do not hide those
 * behind them), the first page PLACEMENT_FIRST: a pass that frees one
 * place mostly stops in it (see the claims below), and the store builds
 * and the daemon parses no more than it needs. Before every page it sends the
 * table refreshes that events have queued, so their replies land before the
 * page's: a pass never matches against a table older than the events that woke
 * it. The next page is asked for before a page is matched, so the store builds
 * it meanwhile.
 *
 * A pass whose pages all came at one version of the waitlist (shd_waiting
 * "ver") keeps what it read, parsed, in the memo. The next pass sends that
 * version: while the waitlist is unchanged the store answers "unchanged"
 * and the pass runs on the memo without reading it again. A request that
 * had no candidates can only gain some at a shelter that changed since it
 * was matched (every filter looks at one shelter; not so the reserve,
 * which sums a program's places: those requests are matched in full), so
 * it is matched against those shelters first, and in full only when one
 * of them takes it.
 *
 * The memo is only as good as the last pass: requests that joined the
 * waitlist since make the store send it all again. So a pass also runs
 * once the waitlist has had no new request for PLACEMENT_SETTLE_MS
 * (placement_settle), and the pass a freed place starts finds the memo
 * current unless a request joined in the last moments.
 *
 * A pass claims a place for every request it proposes for (claims.h) and
 * sends nothing for one whose places it has all claimed; once the table's
 * free places are all claimed it matches no more but reads on, so that it
 * keeps the memo. When such a pass left something out and one of its
 * proposals failed (the table was ahead of the store), the next pass
 * claims nothing and sends for every request that fits, as if no claims
 * were kept.
 *
 * The memo outlives the pass's own proposals: a shd_propose that holds a
 * place takes its request off the waitlist, one change of its version
 * (more when the request has a case). So a page may come at the first
 * page's version plus the proposals made so far, and at the end of the
 * pass those requests leave the memo and its version moves on by as many.
 * The store answers "unchanged" to that version only when nothing else
 * changed: any other change (a case's, another daemon's) counts too, and
 * the next pass reads the waitlist again. A pass that a shelter's report
 * woke may know the version without asking (placement_hint.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "alerts.h"
#include "log.h"
#include "shelter/claims.h"
#include "placement.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

#define PLACEMENT_PAGE      500 /* waiting requests per read */
#define PLACEMENT_FIRST     50  /* in a pass's first read */
#define PLACEMENT_SETTLE_MS 200 /* see placement_settle */

static struct event *ev_pass, *ev_sweep, *ev_settle;
static bool running; /* a pass is between shd_waiting and its last reply */
static bool again;   /* woken while running: one more pass after it */
static int pending;  /* shd_propose replies the running pass awaits */
static bool sweeping;
static struct claims claims; /* of the running pass */
static bool claiming;        /* the running pass keeps claims */
static bool counted;         /* its claims know the table's free places */
static bool unclaimed;       /* the next pass keeps none */
static bool retry;           /* a proposal failed while claims left some */
static uint64_t seen;        /* table_gen() when the last pass started */

/* A request as the last complete read of the waitlist held it. */
struct memo_entry {
	char id[MODEL_ID_MAX + 1];
	struct request req;
	json_t *in;   /* [rejected, case_shelters, case_apart], owned */
	uint64_t gen; /* the table's generation when it was last matched */
	bool fits;    /* it had candidates then */
};

struct memo {
	struct memo_entry *v;
	size_t n, cap;
	long long ver;   /* the waitlist's version it holds; -1: none */
	bool ok;         /* every entry kept, at one version */
	uint64_t loaded; /* table_loaded_gen() when read */
	struct match_options opt; /* the options it was matched with */
};

static struct memo memo;     /* valid when memo.ok */
static struct memo building; /* the pass that reads the waitlist */
static bool first_page;      /* the pass awaits its first page */
static char **won;           /* requests the running pass placed, owned */
static size_t nwon, capwon;

#define MEMO_CHANGED_MAX 64 /* changed shelters matched before in full */

static void placement_pass_end(void);
static int placement_won(char *id);

static void
placement_pass_propose_done(
    json_t *result, const struct sh_error *err, void *arg)
{
	const json_t *prop = json_object_get(result, "proposal");
	const char *sid, *pool;
	char *id = arg;

	if (!json_is_object(prop) && claiming && claims.skipped > 0)
		retry = true;
	if (result == NULL)
		log_debug(
		    "placement: propose request=%s: %s", id, err->message);
	else if (json_is_object(prop))
		log_info("placement: proposed request=%s proposal=%s "
		         "shelter=%s pool=%s",
		    id, json_string_value(json_object_get(prop, "id")),
		    json_string_value(json_object_get(prop, "shelter_id")),
		    json_string_value(json_object_get(prop, "pool")));
	/* The hold is in the table at once, as a submit's is: the next pass
	 * (and the reserve) must not wait for its event. */
	sid = json_string_value(json_object_get(prop, "shelter_id"));
	pool = json_string_value(json_object_get(prop, "pool"));
	if (sid != NULL && pool != NULL)
		(void)table_add_held(sid, pool, table_cseq_of(result));
	if (json_is_object(prop) && placement_won(id) == 0)
		id = NULL; /* kept */
	free(id);
	if (--pending == 0)
		placement_pass_end();
}

static void
placement_memo_free(struct memo *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		json_decref(m->v[i].in);
	free(m->v);
	memset(m, 0, sizeof *m);
	m->ver = -1;
}

/* Keep id (owned) as placed by the running pass. 0, or -1 on ENOMEM (the
 * memo is then dropped: it would keep a request no longer waiting). */
static int
placement_won(char *id)
{
	char **v;
	size_t cap;

	if (nwon == capwon) {
		cap = capwon ? capwon * 2 : 16;
		if ((v = reallocarray(won, cap, sizeof *v)) == NULL) {
			placement_memo_free(&memo);
			placement_memo_free(&building);
			return -1;
		}
		won = v;
		capwon = cap;
	}
	won[nwon++] = id;
	return 0;
}

static int
placement_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pass ended: the requests it placed leave the memo, whose version
 * moves on by their number (see the top of this file). */
static void
placement_memo_won(void)
{
	const char *id;
	size_t i, k;

	if (memo.ok && nwon > 0) {
		qsort(won, nwon, sizeof *won, placement_strcmp);
		for (i = k = 0; i < memo.n; i++) {
			id = memo.v[i].id;
			if (bsearch(&id, won, nwon, sizeof *won,
			        placement_strcmp) != NULL)
				json_decref(memo.v[i].in);
			else
				memo.v[k++] = memo.v[i];
		}
		memo.n = k;
		memo.ver += (long long)nwon;
	}
	for (i = 0; i < nwon; i++)
		free(won[i]);
	nwon = 0;
}

/* Keep request id (parsed req, its inputs in) in the memo being read.
 * Returns the entry, or NULL (the memo is then not kept). */
static struct memo_entry *
placement_memo_add(const char *id, const struct request *req, const json_t *w)
{
	struct memo_entry *e, *v;
	size_t cap;

	if (!building.ok)
		return NULL;
	if (strlen(id) > MODEL_ID_MAX)
		goto fail;
	if (building.n == building.cap) {
		cap = building.cap ? building.cap * 2 : 512;
		if ((v = reallocarray(building.v, cap, sizeof *v)) == NULL)
			goto fail;
		building.v = v;
		building.cap = cap;
	}
	e = &building.v[building.n];
	if ((e->in = json_pack("[OOO]", json_object_get(w, "rejected"),
	         json_object_get(w, "case_shelters"),
	         json_object_get(w, "case_apart"))) == NULL)
		goto fail;
	memcpy(e->id, id, strlen(id) + 1);
	e->req = *req;
	e->gen = table_gen();
	e->fits = false;
	building.n++;
	return e;
fail:
	building.ok = false;
	return NULL;
}

/* Send shd_propose for request id with the candidates in res. */
static void
placement_propose(const char *id, const struct match_result *res)
{
	struct store_propose_args pa = {
	    .ttl_s = sd.cfg->hold_ttl_s,
	    .nalt = sd.cfg->alternatives,
	};
	struct sh_error err;
	char *cands, *arg;

	if ((cands = placement_candidates_arg(res, SIZE_MAX)) == NULL ||
	    (arg = strdup(id)) == NULL) {
		log_warnx("placement: out of memory for request=%s", id);
		free(cands);
		return;
	}
	pa.request_id = id;
	pa.candidates = cands;
	pending++;
	if (store_propose(&pa, placement_pass_propose_done, arg, &err) == -1) {
		pending--;
		free(arg);
	}
	free(cands);
}

/* Does the reserve filter apply to req (it sums a program's places)? */
static bool
placement_reserve_applies(const struct request *req)
{
	int p;

	for (p = 0; p < PROGRAM_COUNT; p++)
		if (sd.cfg->match.reserve[p] > 0)
			return req->urgency != URGENCY_IMMEDIATE;
	return false;
}

/* Match req (inputs in: see struct memo_entry) and propose if anything
 * fits. Returns whether it did; -1 on ENOMEM (logged). */
static int
placement_match_propose(const char *id, const struct request *req,
    const json_t *in, struct match_result *res)
{
	/* No free place in the table: every request fails "no_free_place". */
	if (claiming && counted && claims.n == 0 && claims_exhausted(&claims))
		return 0;
	if (placement_match(req, json_array_get(in, 0), json_array_get(in, 1),
	        json_array_get(in, 2), res) == -1) {
		log_warnx("placement: out of memory matching request=%s", id);
		return -1;
	}
	if (res->ncandidates == 0)
		return 0;
	/* The reserve counts the places this pass has claimed already. */
	if (claiming && counted && placement_reserve_applies(req) &&
	    claims_keep_reserve(&claims, res, sd.cfg->match.reserve) == 0)
		return 0;
	if (!claiming || !counted || claims_take(&claims, res) != -1)
		placement_propose(id, res);
	return 1;
}

/*
 * Has the running pass claimed every free place of the table? A request
 * left out for it counts as one that fits: matched in full next time.
 * When the table had none to claim, the pass goes on without matching
 * (placement_match_propose), so the memo is kept. The free places are
 * counted when a pass first asks, before its first request (after its
 * first reply: the refreshes sent before it have landed), so a pass over
 * an empty waitlist does not look at the table.
 */
static bool
placement_pass_full(void)
{
	const struct shelter *const *all;
	size_t n;

	if (!claiming)
		return false;
	if (!counted) {
		all = table_all(&n);
		claims_reset(&claims, claims_free_total(all, n));
		claims_count_programs(&claims, all, n);
		counted = true;
	}
	if (!claims_exhausted(&claims) || claims.n == 0)
		return false;
	claims.skipped++;
	return true;
}

/* Match one waiting request of a page, keep it in the memo being read,
 * and send shd_propose if anything fits. */
static void
placement_pass_one(const json_t *w, struct match_result *res)
{
	const char *id = json_string_value(json_object_get(w, "id"));
	struct memo_entry *e;
	struct request req;
	json_t *in;
	int rc;

	if (id == NULL ||
	    placement_parse_stored(json_object_get(w, "doc"), &req) == -1) {
		building.ok = false; /* not kept: read it again next time */
		return;
	}
	e = placement_memo_add(id, &req, w);
	if (placement_pass_full()) {
		if (e != NULL)
			e->fits = true; /* not matched: in full next time */
		return;
	}
	in = e != NULL ? json_incref(e->in)
	               : json_pack("[OOO]", json_object_get(w, "rejected"),
	                     json_object_get(w, "case_shelters"),
	                     json_object_get(w, "case_apart"));
	if (in == NULL) {
		log_warnx("placement: out of memory matching request=%s", id);
		return;
	}
	rc = placement_match_propose(id, &req, in, res);
	if (e != NULL)
		e->fits = rc != 0;
	json_decref(in);
}

/*
 * A pass on the memo: the waitlist is what the memo holds (see the top of
 * this file). A request without candidates is matched against the
 * shelters changed since, and in full only when one of them takes it.
 */
static void
placement_pass_memo(struct match_result *res)
{
	const struct shelter *sub[MEMO_CHANGED_MAX];
	const struct shelter *const *ch;
	/* No rejected or case lists: they only leave shelters out. */
	struct match_input none = {0};
	struct match_options opt = sd.cfg->match;
	struct memo_entry *e;
	uint64_t since = UINT64_MAX, now = table_gen();
	size_t i, j, n, k;
	int rc;

	for (i = 0; i < memo.n; i++)
		if (memo.v[i].gen < since)
			since = memo.v[i].gen;
	if (memo.n == 0)
		return;
	ch = table_changed_since(since, &n);
	opt.now_ms = clock_now_ms();
	for (i = 0; i < memo.n && !placement_pass_full(); i++) {
		e = &memo.v[i];
		if (!e->fits && !placement_reserve_applies(&e->req) &&
		    ch != NULL) {
			for (j = k = 0; j < n && k < MEMO_CHANGED_MAX; j++)
				if (table_shelter_gen(ch[j]) > e->gen)
					sub[k++] = ch[j];
			if (k < MEMO_CHANGED_MAX && j == n) {
				if (k == 0 ||
				    (match_run(sub, k, &e->req, &none, &opt,
				         res) == 0 &&
				        res->ncandidates == 0)) {
					e->gen = now;
					continue;
				}
			}
		}
		rc = placement_match_propose(e->id, &e->req, e->in, res);
		e->fits = rc != 0;
		e->gen = now;
	}
}

static void placement_pass_waiting_done(
    json_t *result, const struct sh_error *err, void *arg);

/* Read the page after the cursor after ("": the head), table refreshed
 * first; ver: the memo's version, or "". 0, or -1 when the store is
 * down. */
static int
placement_pass_read(const char *after, long long ver)
{
	struct sh_error err;
	char text[24] = "";

	if (ver >= 0)
		snprintf(text, sizeof text, "%lld", ver);
	table_flush_pending();
	return store_waiting(after[0] ? PLACEMENT_PAGE : PLACEMENT_FIRST, after,
	    text, placement_pass_waiting_done, NULL, &err);
}

/* The version of a shd_waiting reply, or -1. */
static long long
placement_ver_of(const json_t *result)
{
	const json_t *v = json_object_get(result, "ver");

	return json_is_integer(v) && json_integer_value(v) >= 0
	    ? (long long)json_integer_value(v)
	    : -1;
}

/* The last page was read: keep what it read when it came at one version. */
static void
placement_memo_done(void)
{
	placement_memo_free(&memo);
	if (building.ok && building.ver >= 0) {
		memo = building;
		memset(&building, 0, sizeof building);
	} else
		placement_memo_free(&building);
}

static void
placement_pass_waiting_done(
    json_t *result, const struct sh_error *err, void *arg)
{
	const json_t *reqs = json_object_get(result, "requests");
	const char *next = json_string_value(json_object_get(result, "next"));
	struct match_result *res = table_scratch();
	long long ver;
	size_t i;
	bool sent = false;

	if (result == NULL) {
		/* The store is down: methods_store_up wakes us again. */
		log_debug("placement: waitlist: %s", err->message);
		placement_memo_free(&building);
		if (--pending == 0)
			placement_pass_end();
		return;
	}
	ver = placement_ver_of(result);
	if (json_is_true(json_object_get(result, "unchanged"))) {
		first_page = false;
		if (memo.ok && ver >= 0 && ver == memo.ver)
			placement_pass_memo(res);
		else /* cannot happen: only the memo's version is sent */
			placement_memo_free(&memo);
		if (--pending == 0)
			placement_pass_end();
		return;
	}
	if (first_page) {
		/* The first page of a pass that reads the waitlist. */
		first_page = false;
		placement_memo_free(&memo);
		building.ok = true;
		building.ver = ver;
		building.loaded = table_loaded_gen();
		memcpy(&building.opt, &sd.cfg->match, sizeof building.opt);
	} else if (ver < 0 || building.ver < 0 ||
	    ver != building.ver + (long long)nwon)
		building.ok = false; /* changed between pages, not only by us */
	/* The next page's read goes first: the store builds it while this
	 * one is matched. Its reference replaces this one's. */
	if (next != NULL)
		sent = placement_pass_read(next, -1) == 0;
	for (i = 0; i < json_array_size(reqs); i++)
		placement_pass_one(json_array_get(reqs, i), res);
	if (next == NULL)
		placement_memo_done();
	else if (!sent)
		placement_memo_free(&building);
	if (!sent)
		pending--;
	if (pending == 0)
		placement_pass_end();
}

static void
placement_pass_end(void)
{
	running = false;
	placement_memo_won();
	if (retry)
		unclaimed = true;
	if (again || retry) {
		again = retry = false;
		placement_wake();
	}
}

static void
placement_pass_start(evutil_socket_t fd, short what, void *arg)
{
	int use;

	if (!store_is_up())
		return;
	/* The memo stands only for the table and options it was read with. */
	if (memo.ok &&
	    (memo.loaded != table_loaded_gen() ||
	        memcmp(&memo.opt, &sd.cfg->match, sizeof memo.opt) != 0))
		placement_memo_free(&memo);
	if ((use = placement_hint_use(memo.ok, memo.ver, placement_wake)) == -1)
		return;
	running = true;
	pending = 1; /* the page read's reference */
	claiming = !unclaimed;
	unclaimed = counted = false;
	placement_memo_free(&building);
	if (use == 1) {
		first_page = false;
		table_seen(seen);
		seen = table_gen();
		placement_pass_memo(table_scratch());
		if (--pending == 0)
			placement_pass_end();
		return;
	}
	first_page = true;
	if (placement_pass_read("", memo.ok ? memo.ver : -1) == -1) {
		pending = 0;
		running = false;
		return;
	}
	/* Sent: the pass sees every place free now (a failure that ends it
	 * early is the store going down, and its return wakes a pass). */
	table_seen(seen);
	seen = table_gen();
}

/*
 * A place may have freed up (an event, a reject, a cancel, an expiry, the
 * store came back): run a waitlist pass from the event loop soon. Wakes
 * while a pass is queued or running coalesce into one more pass.
 */
void
placement_wake(void)
{
	struct timeval tv = {0, 0};

	if (sd.stopping)
		return;
	if (running) {
		again = true;
		return;
	}
	if (ev_pass == NULL &&
	    (ev_pass = evtimer_new(sd.base, placement_pass_start, NULL)) ==
	        NULL) {
		log_warnx("placement: evtimer_new failed");
		return;
	}
	if (!evtimer_pending(ev_pass, NULL))
		evtimer_add(ev_pass, &tv);
}

static void
placement_settled(evutil_socket_t fd, short what, void *arg)
{
	placement_wake();
}

/* A request joined the waitlist: see placement.h. Every join moves the
 * timer on, so a stream of them costs no pass until it pauses. */
void
placement_settle(void)
{
	struct timeval tv = {0, PLACEMENT_SETTLE_MS * 1000};

	if (sd.stopping)
		return;
	if (ev_settle == NULL &&
	    (ev_settle = evtimer_new(sd.base, placement_settled, NULL)) ==
	        NULL) {
		log_warnx("placement: evtimer_new failed");
		return;
	}
	evtimer_add(ev_settle, &tv);
}

static void
placement_sweep_done(json_t *result, const struct sh_error *err, void *arg)
{
	json_int_t n = json_integer_value(json_object_get(result, "expired"));

	sweeping = false;
	if (n > 0) {
		log_info("placement: %lld hold(s) expired", (long long)n);
		placement_wake();
	}
}

static void
placement_sweep_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sh_error err;

	/* One sweep at a time: a slow store does not pile them up. */
	if (sweeping || !store_is_up())
		return;
	sweeping = true;
	if (store_sweep(placement_sweep_done, NULL, &err) == -1)
		sweeping = false;
}

/*
 * Sweep now, whether or not the timer's sweep is in flight: the test clock
 * moved, and a sweep sent before that ran at the old time. Idempotent.
 */
void
placement_sweep_now(void)
{
	struct sh_error err;

	if (!store_is_up())
		return;
	if (store_sweep(placement_sweep_done, NULL, &err) == 0)
		sweeping = true;
}

/* Start the hold expiry sweep: shd_sweep every second. */
void
placement_start(void)
{
	struct timeval tv = {1, 0};

	if (ev_sweep != NULL)
		return;
	if ((ev_sweep = event_new(sd.base, -1, EV_PERSIST, placement_sweep_tick,
	         NULL)) == NULL) {
		log_warnx("placement: event_new failed");
		return;
	}
	evtimer_add(ev_sweep, &tv);
}

/* Stop the sweep and any queued pass; replies in flight still end. */
void
placement_stop(void)
{
	if (ev_sweep != NULL)
		event_free(ev_sweep);
	if (ev_pass != NULL)
		event_free(ev_pass);
	if (ev_settle != NULL)
		event_free(ev_settle);
	ev_sweep = ev_pass = ev_settle = NULL;
	again = false;
	placement_hint_free();
	placement_memo_free(&memo);
	placement_memo_free(&building);
	placement_memo_won(); /* frees what a pass in flight placed */
	free(won);
	won = NULL;
	capwon = 0;
	claims_free(&claims);
}
