/*
 * ctl_work.c: the shelterctl views of one piece of work: `request ID|REF`
 * (a request whole: household, needs, its open proposal and alternatives,
 * where it was placed, rejections, the proposals it had and the events
 * of its life, why it waits and the forecast) and
 * `arrivals` (a shelter's expected arrivals and residents).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shelter/model.h"

/* shelterctl request ID|REF ------------------------------------------ */

/* The proposals a request has: the open one with its alternatives, the
 * one it was placed by, the shelters rejected for it. */
static void
ctl_work_proposals(const json_t *r)
{
	const json_t *prop = json_object_get(r, "proposal");
	const json_t *pl = json_object_get(r, "placement");
	const json_t *alt = json_object_get(prop, "alternatives"), *a;
	char buf[512], when[96], score[32];
	size_t i, n = 0;

	if (json_is_object(prop)) {
		ctl_out_kv("proposal", "%s: %s, pool %s, score %s%s",
		    ctl_out_str(prop, "id"), ctl_out_str(prop, "shelter_id"),
		    ctl_out_str(prop, "pool"),
		    ctl_out_score(
		        json_object_get(prop, "score"), score, sizeof score),
		    json_is_true(json_object_get(prop, "stale"))
		        ? " (capacity report stale)"
		        : "");
		ctl_out_distance(prop);
		ctl_out_kv("held until", "%s",
		    ctl_time_both(
		        json_string_value(json_object_get(prop, "expires_at")),
		        when, sizeof when));
		buf[0] = '\0';
		json_array_foreach(alt, i, a)
		{
			if (n >= sizeof buf)
				break;
			n += (size_t)snprintf(buf + n, sizeof buf - n,
			    "%s%s (%s, %s)", i > 0 ? ", " : "",
			    ctl_out_str(a, "shelter_id"),
			    ctl_out_str(a, "pool"),
			    ctl_out_score(json_object_get(a, "score"), score,
			        sizeof score));
		}
		if (buf[0] != '\0')
			ctl_out_kv("alternatives", "%s", buf);
	}
	if (json_is_object(pl))
		ctl_out_kv("placed at", "%s, pool %s (proposal %s)",
		    ctl_out_str(pl, "shelter_id"), ctl_out_str(pl, "pool"),
		    ctl_out_str(pl, "proposal_id"));
	ctl_out_kv("rejected", "%s",
	    json_array_size(json_object_get(r, "rejected")) > 0
	        ? ctl_out_join(json_object_get(r, "rejected"), buf, sizeof buf)
	        : "-");
}

/* The proposals a request had, from its history: each proposal id once,
 * in order, with its shelter ("prop-1 at s1, prop-2 at s2"). */
static char *
ctl_work_had(const json_t *hist, char *buf, size_t len)
{
	const json_t *e, *f;
	const char *pid;
	size_t i, j, n = 0;
	int seen;

	buf[0] = '\0';
	json_array_foreach(hist, i, e)
	{
		if ((pid = json_string_value(
		         json_object_get(e, "proposal_id"))) == NULL ||
		    n >= len)
			continue;
		seen = 0;
		for (j = 0; j < i && !seen; j++) {
			f = json_array_get(hist, j);
			seen = json_equal(json_object_get(f, "proposal_id"),
			    json_object_get(e, "proposal_id"));
		}
		if (!seen)
			n += (size_t)snprintf(buf + n, len - n, "%s%s at %s",
			    n > 0 ? ", " : "", pid,
			    ctl_out_str(e, "shelter_id"));
	}
	return buf[0] != '\0' ? buf : "-";
}

/* The history of a request as a table: time, what, proposal, shelter. */
static int
ctl_work_history(const json_t *hist)
{
	static const char *const h[] = {"TIME", "WHAT", "PROPOSAL", "SHELTER"};
	const json_t *e;
	const char *cells[4];
	char at[64];
	struct ctl_table t;
	size_t i;

	if (json_array_size(hist) == 0)
		return CTL_OK;
	if (ctl_out_table_init(&t, 4, h) == -1)
		return ctl_nomem();
	json_array_foreach(hist, i, e)
	{
		cells[0] = ctl_time_at(
		    json_string_value(json_object_get(e, "at")), at, sizeof at);
		cells[1] = ctl_out_str(e, "what");
		cells[2] = ctl_out_str(e, "proposal_id");
		cells[3] = ctl_out_str(e, "shelter_id");
		if (ctl_out_table_add(&t, cells) == -1) {
			ctl_out_table_free(&t);
			return ctl_nomem();
		}
	}
	fputc('\n', stdout);
	ctl_out_table_print(&t, stdout, 0);
	ctl_out_table_free(&t);
	return CTL_OK;
}

static int
ctl_work_show_request(const json_t *res)
{
	const json_t *r = json_object_get(res, "request");
	const json_t *p = json_object_get(r, "person");
	const json_t *sf = json_object_get(r, "safety");
	const json_t *expl = json_object_get(res, "explanation");
	const json_t *fc = json_object_get(expl, "forecast");
	const char *created =
	    json_string_value(json_object_get(r, "created_at"));
	char buf[256], at[64], span[32], day[32];
	int rc;

	ctl_out_kv("request", "%s (ref %s)", ctl_out_str(r, "id"),
	    ctl_out_str(r, "ref"));
	ctl_out_kv("status", "%s%s", ctl_out_str(r, "status"),
	    json_is_true(json_object_get(r, "escalated"))
	        ? " (escalated: waiting longer than its urgency allows)"
	        : "");
	ctl_out_kv("household", "%s",
	    ctl_out_household(ctl_out_str(p, "gender"),
	        (long long)json_integer_value(json_object_get(p, "age")),
	        json_object_get(r, "children"), buf, sizeof buf));
	if (json_array_size(json_object_get(p, "languages")) > 0)
		ctl_out_kv("languages", "%s",
		    ctl_out_join(
		        json_object_get(p, "languages"), buf, sizeof buf));
	ctl_out_kv("needs", "%s",
	    json_array_size(json_object_get(r, "needs")) > 0
	        ? ctl_out_join(json_object_get(r, "needs"), buf, sizeof buf)
	        : "-");
	if (json_array_size(json_object_get(r, "prefers")) > 0)
		ctl_out_kv("prefers", "%s",
		    ctl_out_join(
		        json_object_get(r, "prefers"), buf, sizeof buf));
	ctl_out_kv("program", "%s", ctl_out_str(r, "program"));
	ctl_out_kv("urgency", "%s", ctl_out_str(r, "urgency"));
	if (json_is_string(json_object_get(sf, "case")))
		ctl_out_kv("case", "%s", ctl_out_str(sf, "case"));
	ctl_out_kv("submitted", "%s (%s for %s)",
	    ctl_time_at(created, at, sizeof at),
	    strcmp(ctl_out_str(r, "status"), "waiting") == 0 ? "waiting"
	                                                     : "open",
	    ctl_time_span(
	        (ctl_out_now_ms() - model_time_parse(created ? created : "")) /
	            1000,
	        span, sizeof span));
	ctl_work_proposals(r);
	ctl_out_kv("proposals had", "%s",
	    ctl_work_had(json_object_get(r, "history"), buf, sizeof buf));
	if (json_is_object(fc))
		ctl_out_kv("expected",
		    "a fitting place at %s, pool %s, from %s",
		    ctl_out_str(fc, "shelter_id"), ctl_out_str(fc, "pool"),
		    ctl_time_date(
		        json_string_value(json_object_get(fc, "date")), day,
		        sizeof day));
	if (json_is_object(expl))
		ctl_out_kv(
		    "why", "%s", ctl_list_why(expl, NULL, buf, sizeof buf));
	/* The events after the key-value block, the explanation last. */
	if ((rc = ctl_work_history(json_object_get(r, "history"))) != CTL_OK)
		return rc;
	if (json_is_object(expl)) {
		fputc('\n', stdout);
		return ctl_out_explanation(expl);
	}
	return CTL_OK;
}

/* shelterctl request ID|REF: one request whole. */
int
ctl_work_request(struct ctl *ctl, int argc, char **argv)
{
	int rc;

	if ((rc = ctl_cmd_plain(ctl, argc, argv, 1, "ID|REF")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "request.get",
	    json_pack("{s:s}", "id", argv[optind]), ctl_work_show_request);
}

/* shelterctl arrivals ------------------------------------------------ */

static int
ctl_work_show_arrivals(const json_t *res)
{
	static const char *const h[] = {"SINCE", "STATUS", "SHELTER", "POOL",
	    "REQUEST", "HOUSEHOLD", "NEEDS", "LANGUAGES"};
	const json_t *pls = json_object_get(res, "placements"), *x, *hh;
	char since[32], house[96], needs[128], langs[64];
	const char *cells[8];
	struct ctl_table t;
	size_t i;

	if (json_array_size(pls) == 0) {
		printf("no expected arrivals or residents\n");
		return CTL_OK;
	}
	if (ctl_out_table_init(&t, 8, h) == -1)
		return ctl_nomem();
	json_array_foreach(pls, i, x)
	{
		hh = json_object_get(x, "household");
		ctl_time_ago(json_string_value(json_object_get(x, "since")),
		    since, sizeof since);
		cells[0] = since;
		cells[1] = ctl_out_str(x, "status");
		cells[2] = ctl_out_str(x, "shelter_id");
		cells[3] = ctl_out_str(x, "pool");
		cells[4] = ctl_out_str(x, "request_id");
		cells[5] = ctl_out_household(ctl_out_str(hh, "gender"),
		    (long long)json_integer_value(json_object_get(hh, "age")),
		    json_object_get(hh, "children"), house, sizeof house);
		cells[6] = json_array_size(json_object_get(hh, "needs")) > 0
		    ? ctl_out_join(
		          json_object_get(hh, "needs"), needs, sizeof needs)
		    : "-";
		cells[7] = json_array_size(json_object_get(hh, "languages")) > 0
		    ? ctl_out_join(
		          json_object_get(hh, "languages"), langs, sizeof langs)
		    : "-";
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	return ctl_out_table_flush(&t);
}

/* shelterctl arrivals [--expected | --residents] */
int
ctl_work_arrivals(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"expected", no_argument, NULL, 'e'},
	    {"residents", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *only = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'e')
			only = "expected";
		else if (ch == 'r')
			only = "resident";
		else
			return ctl_usage(ctl, NULL);
	}
	if ((rc = ctl_cmd_nargs(ctl, argc, argv, 0, "")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "placement.list",
	    only != NULL ? json_pack("{s:[s]}", "status", only)
	                 : json_pack("{}"),
	    ctl_work_show_arrivals);
}
