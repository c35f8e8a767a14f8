/*
 * ctl_request.c: the request commands of shelterctl: submit, preview,
 * accept, reject, cancel, arrived and departed.
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
	char score[32], when[96], buf[512];
	size_t i, n = 0;

	ctl_out_kv(key, "%s: %s, pool %s, score %s", ctl_out_str(p, "id"),
	    ctl_out_str(p, "shelter_id"), ctl_out_str(p, "pool"),
	    ctl_out_score(json_object_get(p, "score"), score, sizeof score));
	ctl_out_distance(p);
	if (json_is_string(json_object_get(p, "expires_at")) &&
	    strcmp(ctl_out_str(p, "status"), "open") == 0)
		ctl_out_kv("held until", "%s",
		    ctl_time_both(
		        json_string_value(json_object_get(p, "expires_at")),
		        when, sizeof when));
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
		ctl_out_where(req, where, sizeof where, prop, sizeof prop);
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

/*
 * The proposal id to act on for arg: arg itself when it names a proposal
 * (prop-N), else the open proposal of the request arg names (id or ref).
 * Into pid; CTL_OK, or CTL_FAIL after saying why.
 */
static int
ctl_request_open_proposal(
    const struct ctl *ctl, const char *arg, char *pid, size_t len)
{
	const json_t *r, *p;
	json_t *res;
	int rc;

	if (strncmp(arg, "prop-", 5) == 0) {
		snprintf(pid, len, "%s", arg);
		return CTL_OK;
	}
	rc = ctl_conn_run(
	    ctl, "request.get", json_pack("{s:s}", "id", arg), &res);
	if (rc != CTL_OK)
		return rc;
	r = json_object_get(res, "request");
	p = json_object_get(r, "proposal");
	if (!json_is_object(p) ||
	    strcmp(ctl_out_str(p, "status"), "open") != 0) {
		rc = ctl_fail("%s (ref %s) has no open proposal: it is %s",
		    ctl_out_str(r, "id"), ctl_out_str(r, "ref"),
		    ctl_out_str(r, "status"));
		json_decref(res);
		return rc;
	}
	snprintf(pid, len, "%s", ctl_out_str(p, "id"));
	json_decref(res);
	return CTL_OK;
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

/* shelterctl accept PROPOSAL|REQUEST|REF | --case CASE */
int
ctl_request_accept(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"case", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *cs = NULL;
	char pid[96];
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
	if ((rc = ctl_request_open_proposal(
	         ctl, argv[optind], pid, sizeof pid)) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "proposal.accept",
	    json_pack("{s:s}", "id", pid), ctl_request_show_accept);
}

/*
 * The commands "ID --reason TEXT" (the reason is required): call method
 * with {id, reason} and print the result with show. what names the ID.
 */
static int
ctl_request_with_reason(const struct ctl *ctl, int argc, char **argv,
    const char *what, const char *method, int (*show)(const json_t *))
{
	char pid[96];
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
	snprintf(pid, sizeof pid, "%s", argv[optind]);
	/* reject takes a request too: its open proposal is rejected. */
	if (strcmp(method, "proposal.reject") == 0 &&
	    (rc = ctl_request_open_proposal(
	         ctl, argv[optind], pid, sizeof pid)) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, method,
	    json_pack("{s:s, s:s}", "id", pid, "reason", reason), show);
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

/* shelterctl reject PROPOSAL|REQUEST|REF --reason TEXT */
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
