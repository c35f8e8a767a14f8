/*
 * ctl_request.c: the request commands of shelterctl: submit, preview,
 * requests, accept, reject, cancel, arrived and departed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* "req-7 (ref CM-1), proposed" */
static void
ctl_request_line(const json_t *r, const char *note)
{
	ctl_out_kv("request", "%s (ref %s), %s%s", ctl_out_str(r, "id"),
	    ctl_out_str(r, "ref"), ctl_out_str(r, "status"), note);
}

static void
ctl_request_proposal(const char *key, const json_t *p)
{
	const json_t *alt = json_object_get(p, "alternatives"), *a;
	char score[32], buf[512];
	size_t i, n = 0;

	ctl_out_kv(key, "%s: %s, pool %s, score %s", ctl_out_str(p, "id"),
	    ctl_out_str(p, "shelter_id"), ctl_out_str(p, "pool"),
	    ctl_out_score(json_object_get(p, "score"), score, sizeof score));
	if (json_is_string(json_object_get(p, "expires_at")) &&
	    strcmp(ctl_out_str(p, "status"), "open") == 0)
		ctl_out_kv("held until", "%s", ctl_out_str(p, "expires_at"));
	buf[0] = '\0';
	json_array_foreach(alt, i, a)
	{
		if (n >= sizeof buf)
			break;
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s (%s, %s)",
		    i > 0 ? ", " : "", ctl_out_str(a, "shelter_id"),
		    ctl_out_str(a, "pool"),
		    ctl_out_score(
		        json_object_get(a, "score"), score, sizeof score));
	}
	if (buf[0] != '\0')
		ctl_out_kv("alternatives", "%s", buf);
}

static void
ctl_request_placement(const json_t *r)
{
	const json_t *pl = json_object_get(r, "placement");

	if (json_is_object(pl))
		ctl_out_kv("placed at", "%s, pool %s",
		    ctl_out_str(pl, "shelter_id"), ctl_out_str(pl, "pool"));
}

static void ctl_request_where(
    const json_t *r, char *where, size_t wlen, char *prop, size_t plen);

/* A request that waits for a place (what exit status 3 reports). */
static bool
ctl_request_waits(const json_t *res)
{
	const json_t *r = json_object_get(res, "request");

	return !json_is_object(json_object_get(res, "proposal")) &&
	    strcmp(ctl_out_str(r, "status"), "waiting") == 0;
}

static int
ctl_request_show_submit(const json_t *res)
{
	const json_t *r = json_object_get(res, "request");
	const json_t *p = json_object_get(res, "proposal");
	const json_t *expl = json_object_get(res, "explanation");

	ctl_request_line(r,
	    json_is_true(json_object_get(res, "duplicate"))
	        ? " (submitted before: nothing changed)"
	        : "");
	if (json_is_object(p))
		ctl_request_proposal("proposal", p);
	ctl_request_placement(r);
	if (json_is_object(expl)) {
		fputc('\n', stdout);
		return ctl_out_explanation(expl);
	}
	return CTL_OK;
}

/* One row per request of a batch, then the counts. */
static int
ctl_request_show_batch(const json_t *res)
{
	static const char *const h[] = {
	    "REF", "REQUEST", "STATUS", "SHELTER", "PROPOSAL", "NOTE"};
	const json_t *r, *req, *p;
	const char *cells[6];
	char where[192], prop[96];
	struct ctl_table t;
	int nprop = 0, nwait = 0, ndup = 0;
	size_t i;

	if (ctl_out_table_init(&t, 6, h) == -1)
		return ctl_nomem();
	json_array_foreach(json_object_get(res, "results"), i, r)
	{
		req = json_object_get(r, "request");
		p = json_object_get(r, "proposal");
		ctl_request_where(req, where, sizeof where, prop, sizeof prop);
		cells[0] = ctl_out_str(req, "ref");
		cells[1] = ctl_out_str(req, "id");
		cells[2] = ctl_out_str(req, "status");
		cells[3] = where;
		cells[4] = prop;
		cells[5] = "";
		if (json_is_true(json_object_get(r, "duplicate"))) {
			cells[5] = "submitted before: nothing changed";
			ndup++;
		} else if (json_is_object(p))
			nprop++;
		else {
			nwait++;
			cells[5] = ctl_out_str(
			    json_object_get(r, "explanation"), "message");
		}
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	if (ctl_out_table_flush(&t) != CTL_OK)
		return CTL_FAIL;
	printf("\n%zu requests: %d proposed, %d waiting, %d submitted "
	       "before\n",
	    i, nprop, nwait, ndup);
	return CTL_OK;
}

/* submit with an array of requests: exit 3 when one of them waits. */
static int
ctl_request_submit_batch(struct ctl *ctl, json_t *reqs)
{
	const json_t *r;
	json_t *res;
	bool waits = false;
	size_t i;
	int rc;

	rc = ctl_conn_run(ctl, "request.submit_batch",
	    json_pack("{s:o}", "requests", reqs), &res);
	if (rc != CTL_OK)
		return rc;
	json_array_foreach(json_object_get(res, "results"), i, r) waits =
	    waits || ctl_request_waits(r);
	rc = ctl_cmd_print(ctl, res, ctl_request_show_batch);
	return rc == CTL_OK && waits ? CTL_NOFIT : rc;
}

/*
 * shelterctl submit FILE | FLAGS: exit 3 when the request waits. A file
 * with an array of requests or one per line is submitted as one batch.
 */
int
ctl_request_submit(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_req_opts o = {.many = true};
	json_t *req, *res;
	bool waits;
	int rc;

	if ((rc = ctl_req_parse(ctl, argc, argv, &o, &req)) != CTL_OK)
		return rc;
	if (json_is_array(req))
		return ctl_request_submit_batch(ctl, req);
	rc = ctl_conn_run(
	    ctl, "request.submit", json_pack("{s:o}", "request", req), &res);
	if (rc != CTL_OK)
		return rc;
	waits = ctl_request_waits(res);
	rc = ctl_cmd_print(ctl, res, ctl_request_show_submit);
	return rc == CTL_OK && waits ? CTL_NOFIT : rc;
}

static int
ctl_request_show_preview(const json_t *res)
{
	return ctl_out_candidates(res);
}

/* shelterctl preview FILE.json | FLAGS: exit 3 when nothing fits. */
int
ctl_request_preview(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_req_opts o = {.default_ref = "preview"};
	json_t *req, *res;
	bool none;
	int rc;

	if ((rc = ctl_req_parse(ctl, argc, argv, &o, &req)) != CTL_OK)
		return rc;
	rc = ctl_conn_run(
	    ctl, "match.preview", json_pack("{s:o}", "request", req), &res);
	if (rc != CTL_OK)
		return rc;
	none = json_array_size(json_object_get(res, "candidates")) == 0;
	rc = ctl_cmd_print(ctl, res, ctl_request_show_preview);
	return rc == CTL_OK && none ? CTL_NOFIT : rc;
}

/* Where a request is (to be) placed, "cosm-rotterdam/women", into where,
 * and its open proposal into prop ("-" for none). */
static void
ctl_request_where(
    const json_t *r, char *where, size_t wlen, char *prop, size_t plen)
{
	const json_t *p = json_object_get(r, "proposal");
	const json_t *pl = json_object_get(r, "placement");

	snprintf(prop, plen, "-");
	if (json_is_object(p)) {
		snprintf(where, wlen, "%s/%s", ctl_out_str(p, "shelter_id"),
		    ctl_out_str(p, "pool"));
		snprintf(prop, plen, "%s", ctl_out_str(p, "id"));
	} else if (json_is_object(pl))
		snprintf(where, wlen, "%s/%s", ctl_out_str(pl, "shelter_id"),
		    ctl_out_str(pl, "pool"));
	else
		snprintf(where, wlen, "-");
}

/* The rows asked for; one more was fetched to tell whether there are. */
static size_t ctl_request_shown;

static int
ctl_request_show_list(const json_t *res)
{
	static const char *const h[] = {"ID", "REF", "CASE", "STATUS",
	    "HOUSEHOLD", "URGENCY", "WAITING FOR", "HOLD LEFT", "SHELTER/POOL",
	    "PROPOSAL"};
	char age[32], hold[32], where[192], prop[96], hh[96];
	const json_t *reqs = json_object_get(res, "requests"), *r, *p;
	const char *cells[10], *cs;
	struct ctl_table t;
	size_t i, n = json_array_size(reqs);

	if (ctl_out_table_init(&t, 10, h) == -1)
		return ctl_nomem();
	json_array_foreach(reqs, i, r)
	{
		if (i >= ctl_request_shown)
			break;
		p = json_object_get(r, "person");
		cs = json_string_value(
		    json_object_get(json_object_get(r, "safety"), "case"));
		cells[0] = ctl_out_str(r, "id");
		cells[1] = ctl_out_str(r, "ref");
		cells[2] = cs != NULL ? cs : "-";
		cells[3] = ctl_out_str(r, "status");
		cells[4] = ctl_out_household(ctl_out_str(p, "gender"),
		    (long long)json_integer_value(json_object_get(p, "age")),
		    json_object_get(r, "children"), hh, sizeof hh);
		cells[5] = ctl_out_str(r, "urgency");
		cells[6] = ctl_out_age(
		    json_string_value(json_object_get(r, "created_at")), age,
		    sizeof age);
		snprintf(hold, sizeof hold, "-");
		if (json_is_object(json_object_get(r, "proposal")))
			ctl_out_until(
			    json_string_value(json_object_get(
			        json_object_get(r, "proposal"), "expires_at")),
			    hold, sizeof hold);
		cells[7] = hold;
		ctl_request_where(r, where, sizeof where, prop, sizeof prop);
		cells[8] = where;
		cells[9] = prop;
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	if (n == 0) {
		ctl_out_table_free(&t);
		printf("no open requests\n");
		return CTL_OK;
	}
	ctl_out_table_flush(&t);
	if (n > ctl_request_shown)
		printf("more requests than shown: use --limit N (at most 500) "
		       "or --status\n");
	return CTL_OK;
}

/*
 * shelterctl requests [--status S,...] [--limit N] [--case CASE]
 * [--order oldest|newest] [--oldest]: the open work (waiting, proposed,
 * placed; every status with --case), newest first by default.
 */
int
ctl_request_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'},
	    {"limit", required_argument, NULL, 'n'},
	    {"case", required_argument, NULL, 'c'},
	    {"order", required_argument, NULL, 'r'},
	    {"oldest", no_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *status = NULL, *p, *cs = NULL, *order = "newest";
	json_t *params, *list;
	long long limit = -1;
	char *end;
	size_t n;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's') {
			status = optarg;
		} else if (ch == 'c') {
			cs = optarg;
		} else if (ch == 'r') {
			order = optarg;
		} else if (ch == 'o') {
			order = "oldest";
		} else if (ch == 'n') {
			errno = 0;
			limit = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0')
				return ctl_usage(ctl,
				    "--limit: expected a "
				    "number, got '%s'",
				    optarg);
		} else {
			return ctl_usage(ctl, NULL);
		}
	}
	if ((rc = ctl_cmd_nargs(ctl, argc, argv, 0, "")) != CTL_OK)
		return rc;
	if (status == NULL)
		status = cs != NULL ? "all" : "waiting,proposed,placed";
	if ((params = json_object()) == NULL)
		return ctl_nomem();
	if ((cs != NULL &&
	        json_object_set_new(params, "case", json_string(cs)) == -1) ||
	    json_object_set_new(params, "order", json_string(order)) == -1) {
		json_decref(params);
		return ctl_nomem();
	}
	if (strcmp(status, "all") != 0) {
		list = json_array();
		if (json_object_set_new(params, "status", list) == -1) {
			json_decref(params);
			return ctl_nomem();
		}
		for (p = status; *p != '\0'; p += n + (p[n] == ',')) {
			n = strcspn(p, ",");
			if (n > 0 &&
			    json_array_append_new(list, json_stringn(p, n))) {
				json_decref(params);
				return ctl_nomem();
			}
		}
	}
	if (limit != -1 && (limit < 1 || limit > 500)) {
		json_decref(params);
		return ctl_usage(
		    ctl, "--limit: expected 1 to 500, got %lld", limit);
	}
	if (limit == -1)
		limit = 100;
	/* One more than shown tells whether the list was cut. */
	ctl_request_shown = (size_t)limit;
	if (json_object_set_new(params, "limit",
	        json_integer(limit < 500 && !ctl->json ? limit + 1 : limit)) ==
	    -1) {
		json_decref(params);
		return ctl_nomem();
	}
	return ctl_cmd_call(ctl, "request.list", params, ctl_request_show_list);
}

static int
ctl_request_show_accept(const json_t *res)
{
	const json_t *p = json_object_get(res, "proposal");
	const json_t *r = json_object_get(res, "request");

	printf("%s accepted: %s is placed at %s, pool %s\n",
	    ctl_out_str(p, "id"), ctl_out_str(r, "id"),
	    ctl_out_str(p, "shelter_id"), ctl_out_str(p, "pool"));
	return CTL_OK;
}

/*
 * Accept every open proposal of the requests of case cs, on one
 * connection: one line each (--json: {"accepted": [results]}). Exit 1
 * when one could not be accepted (the others are).
 */
static int
ctl_request_accept_case(const struct ctl *ctl, const char *cs)
{
	struct sh_error err = {0};
	struct client *c;
	json_t *list, *res, *out;
	const json_t *r, *p;
	size_t i;
	int rc = CTL_OK;

	if ((c = ctl_conn_open(ctl, &err)) == NULL)
		return ctl_fail("%s", err.message);
	list = ctl_conn_call(c, "request.list",
	    json_pack("{s:s, s:[s], s:i}", "case", cs, "status", "proposed",
	        "limit", 500));
	if (list == NULL || (out = json_array()) == NULL) {
		json_decref(list);
		client_close(c);
		return CTL_FAIL;
	}
	json_array_foreach(json_object_get(list, "requests"), i, r)
	{
		p = json_object_get(r, "proposal");
		if (!json_is_object(p) ||
		    strcmp(ctl_out_str(p, "status"), "open") != 0)
			continue;
		res = ctl_conn_call(c, "proposal.accept",
		    json_pack("{s:s}", "id", ctl_out_str(p, "id")));
		if (res == NULL) {
			rc = CTL_FAIL;
			continue;
		}
		if (!ctl->json)
			ctl_request_show_accept(res);
		json_array_append_new(out, res);
	}
	client_close(c);
	json_decref(list);
	if (ctl->json)
		ctl_out_json(json_pack("{s:O}", "accepted", out));
	else if (json_array_size(out) == 0 && rc == CTL_OK)
		printf("case %s has no open proposal\n", cs);
	json_decref(out);
	return rc;
}

/* shelterctl accept PROPOSAL | --case CASE */
int
ctl_request_accept(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"case", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *cs = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'c')
			return ctl_usage(ctl, NULL);
		cs = optarg;
	}
	if (cs != NULL) {
		if ((rc = ctl_cmd_nargs(ctl, argc, argv, 0, "")) != CTL_OK)
			return rc;
		return ctl_request_accept_case(ctl, cs);
	}
	if ((rc = ctl_cmd_nargs(ctl, argc, argv, 1, "PROPOSAL")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "proposal.accept",
	    json_pack("{s:s}", "id", argv[optind]), ctl_request_show_accept);
}

/*
 * The commands "ID --reason TEXT" (the reason is required): call method
 * with {id, reason} and print the result with show. what names the ID.
 */
static int
ctl_request_with_reason(const struct ctl *ctl, int argc, char **argv,
    const char *what, const char *method, int (*show)(const json_t *))
{
	static const struct option opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *reason = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'r')
			return ctl_usage(ctl, NULL);
		reason = optarg;
	}
	if ((rc = ctl_cmd_nargs(ctl, argc, argv, 1, what)) != CTL_OK)
		return rc;
	if (reason == NULL)
		return ctl_usage(ctl, "--reason TEXT is required");
	return ctl_cmd_call(ctl, method,
	    json_pack("{s:s, s:s}", "id", argv[optind], "reason", reason),
	    show);
}

static int
ctl_request_show_reject(const json_t *res)
{
	const json_t *p = json_object_get(res, "proposal");
	const json_t *r = json_object_get(res, "request");
	const json_t *next = json_object_get(res, "next");

	printf("%s rejected: %s will not be proposed %s again\n",
	    ctl_out_str(p, "id"), ctl_out_str(r, "id"),
	    ctl_out_str(p, "shelter_id"));
	if (json_is_object(next))
		ctl_request_proposal("next", next);
	else
		printf("%s waits: no other shelter can take it now\n",
		    ctl_out_str(r, "id"));
	return CTL_OK;
}

/* shelterctl reject PROPOSAL --reason TEXT */
int
ctl_request_reject(struct ctl *ctl, int argc, char **argv)
{
	return ctl_request_with_reason(ctl, argc, argv, "PROPOSAL",
	    "proposal.reject", ctl_request_show_reject);
}

static int
ctl_request_show_cancel(const json_t *res)
{
	printf("%s cancelled\n",
	    ctl_out_str(json_object_get(res, "request"), "id"));
	return CTL_OK;
}

/* shelterctl cancel REQUEST --reason TEXT */
int
ctl_request_cancel(struct ctl *ctl, int argc, char **argv)
{
	return ctl_request_with_reason(ctl, argc, argv, "REQUEST",
	    "request.cancel", ctl_request_show_cancel);
}

static int
ctl_request_show_arrived(const json_t *res)
{
	const json_t *r = json_object_get(res, "request");
	const json_t *pl = json_object_get(r, "placement");

	printf("%s arrived at %s, pool %s\n", ctl_out_str(r, "id"),
	    ctl_out_str(pl, "shelter_id"), ctl_out_str(pl, "pool"));
	return CTL_OK;
}

/* shelterctl arrived REQUEST */
int
ctl_request_arrived(struct ctl *ctl, int argc, char **argv)
{
	int rc;

	if ((rc = ctl_cmd_plain(ctl, argc, argv, 1, "REQUEST")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "placement.arrived",
	    json_pack("{s:s}", "request_id", argv[optind]),
	    ctl_request_show_arrived);
}

static int
ctl_request_show_departed(const json_t *res)
{
	const json_t *r = json_object_get(res, "request");
	const json_t *pl = json_object_get(r, "placement");

	printf("%s departed from %s, pool %s\n", ctl_out_str(r, "id"),
	    ctl_out_str(pl, "shelter_id"), ctl_out_str(pl, "pool"));
	return CTL_OK;
}

/* shelterctl departed REQUEST */
int
ctl_request_departed(struct ctl *ctl, int argc, char **argv)
{
	int rc;

	if ((rc = ctl_cmd_plain(ctl, argc, argv, 1, "REQUEST")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "placement.departed",
	    json_pack("{s:s}", "request_id", argv[optind]),
	    ctl_request_show_departed);
}
