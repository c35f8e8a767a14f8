/*
 * ctl_list.c: the shelterctl tables of many requests: `requests` (the
 * worklist: escalated first, then the open work newest first, each
 * waiting request with the short reason why) and `long-stays`
 * (report.long_stays).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shelter/model.h"

/* The words of the short reason, per filter (the explanation's names). */
static const struct {
	const char *reason, *word;
} ctl_list_words[] = {
    {"no_free_place", "full"},
    {"intake_closed", "closed"},
    {"rejected", "rejected"},
    {"case_conflict", "co-victim there"},
    {"reserved", "reserved"},
    {"household", "no place for household"},
    {"care", "lacks care"},
    {"too_close", "too close"},
    {"security", "security too low"},
    {"eligibility", "rules not met"},
    {"program", "other program"},
};
#define CTL_LIST_NWORDS (sizeof ctl_list_words / sizeof ctl_list_words[0])

static const char *
ctl_list_word(const char *reason)
{
	size_t i;

	for (i = 0; i < CTL_LIST_NWORDS; i++)
		if (strcmp(ctl_list_words[i].reason, reason) == 0)
			return ctl_list_words[i].word;
	return reason;
}

/* The intake reason of shelter sid in a shelter.list result, or NULL. */
static const char *
ctl_list_intake_reason(const json_t *shelters, const char *sid)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(shelters, "shelters"), i, s)
	{
		if (strcmp(ctl_out_str(s, "id"), sid) == 0)
			return json_string_value(json_object_get(
			    json_object_get(s, "intake"), "reason"));
	}
	return NULL;
}

/*
 * The short reason a request waits, from its explanation: "dead end:
 * refer", else the near misses by what they lack ("full: a, b +1;
 * closed: c (renovation)"), else the two most common reasons ("14 other
 * program, 13 lacks care"); then the forecast ("; expected at a from 14
 * Dec 2026"). shelters (a shelter.list result, or NULL) gives intake
 * reasons.
 */
char *
ctl_list_why(const json_t *expl, const json_t *shelters, char *buf, size_t len)
{
	const json_t *near = json_object_get(expl, "near_misses"), *nm, *v;
	const json_t *fc = json_object_get(expl, "forecast");
	const char *first, *f, *key, *top[2] = {NULL, NULL}, *ir, *groups[4];
	long long topn[2] = {0, 0}, n;
	size_t i, g, ngroups = 0, off = 0, shown, more;
	char day[32];

	buf[0] = '\0';
	if (!json_is_object(expl)) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (json_is_true(json_object_get(expl, "dead_end"))) {
		snprintf(buf, len, "dead end: refer elsewhere");
		return buf;
	}
	/* What the near misses lack, each reason with its shelters: they
	 * are one step from fitting. */
	json_array_foreach(near, i, nm)
	{
		f = json_string_value(
		    json_array_get(json_object_get(nm, "failed"), 0));
		for (g = 0; f != NULL && g < ngroups; g++)
			if (strcmp(groups[g], f) == 0)
				break;
		if (f != NULL && g == ngroups && ngroups < 4)
			groups[ngroups++] = f;
	}
	for (g = 0; g < ngroups; g++) {
		first = groups[g];
		shown = more = 0;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off,
			    "%s%s: ", g > 0 ? "; " : "", ctl_list_word(first));
		json_array_foreach(near, i, nm)
		{
			f = json_string_value(
			    json_array_get(json_object_get(nm, "failed"), 0));
			if (f == NULL || strcmp(f, first) != 0)
				continue;
			if (shown == 2) {
				more++;
				continue;
			}
			ir = strcmp(first, "intake_closed") == 0
			    ? ctl_list_intake_reason(
			          shelters, ctl_out_str(nm, "shelter_id"))
			    : NULL;
			if (off < len)
				off += (size_t)snprintf(buf + off, len - off,
				    "%s%s%s%s%s", shown > 0 ? ", " : "",
				    ctl_out_str(nm, "shelter_id"),
				    ir != NULL ? " (" : "",
				    ir != NULL ? ir : "",
				    ir != NULL ? ")" : "");
			shown++;
		}
		if (more > 0 && off < len)
			off += (size_t)snprintf(
			    buf + off, len - off, " +%zu", more);
	}
	if (ngroups == 0) {
		json_object_foreach(
		    (json_t *)json_object_get(expl, "reasons"), key, v)
		{
			n = json_integer_value(v);
			if (n > topn[0] ||
			    (n == topn[0] && top[0] != NULL &&
			        strcmp(key, top[0]) < 0)) {
				top[1] = top[0], topn[1] = topn[0];
				top[0] = key, topn[0] = n;
			} else if (n > topn[1]) {
				top[1] = key, topn[1] = n;
			}
		}
		for (i = 0; i < 2 && top[i] != NULL && topn[i] > 0; i++)
			if (off < len)
				off += (size_t)snprintf(buf + off, len - off,
				    "%s%lld %s", i > 0 ? ", " : "", topn[i],
				    ctl_list_word(top[i]));
	}
	if (json_is_object(fc) && off < len)
		snprintf(buf + off, len - off, "%sexpected at %s from %s",
		    off > 0 ? "; " : "", ctl_out_str(fc, "shelter_id"),
		    ctl_time_date(
		        json_string_value(json_object_get(fc, "date")), day,
		        sizeof day));
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
	return buf;
}

/* Does some waiting request fail at a shelter closed for intake? */
static bool
ctl_list_needs_intake(const json_t *reqs)
{
	const json_t *r, *nm;
	size_t i, j;

	json_array_foreach(reqs, i, r)
	{
		json_array_foreach(
		    json_object_get(
		        json_object_get(r, "explanation"), "near_misses"),
		    j, nm)
		{
			const char *f = json_string_value(
			    json_array_get(json_object_get(nm, "failed"), 0));

			if (f != NULL && strcmp(f, "intake_closed") == 0)
				return true;
		}
	}
	return false;
}

static int
ctl_list_show(const json_t *res, const json_t *shelters, size_t shown)
{
	static const char *const h[] = {"ID", "REF", "CASE", "STATUS",
	    "HOUSEHOLD", "URGENCY", "WAITING FOR", "HOLD LEFT", "SHELTER/POOL",
	    "PROPOSAL", "WHY"};
	char age[32], hold[32], where[192], prop[96], hh[96], urg[32], why[512];
	const json_t *reqs = json_object_get(res, "requests"), *r, *p;
	const json_t **rows;
	const char *cells[11], *cs;
	struct ctl_table t;
	size_t i, j, n = json_array_size(reqs), k = n < shown ? n : shown;
	bool escalated = false;

	if (n == 0) {
		printf("no open requests\n");
		return CTL_OK;
	}
	if ((rows = calloc(k, sizeof *rows)) == NULL)
		return ctl_nomem();
	/* Escalated requests first, each part in the order asked for. */
	for (i = 0, j = 0; i < k; i++)
		if (json_is_true(
		        json_object_get(json_array_get(reqs, i), "escalated")))
			rows[j++] = json_array_get(reqs, i);
	for (i = 0; i < k; i++)
		if (!json_is_true(
		        json_object_get(json_array_get(reqs, i), "escalated")))
			rows[j++] = json_array_get(reqs, i);
	if (ctl_out_table_init(&t, 11, h) == -1) {
		free(rows);
		return ctl_nomem();
	}
	for (i = 0; i < k; i++) {
		r = rows[i];
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
		snprintf(urg, sizeof urg, "%s%s", ctl_out_str(r, "urgency"),
		    json_is_true(json_object_get(r, "escalated")) ? " !" : "");
		escalated =
		    escalated || json_is_true(json_object_get(r, "escalated"));
		cells[5] = urg;
		cells[6] = ctl_time_span(
		    (ctl_out_now_ms() -
		        model_time_parse(ctl_out_str(r, "created_at"))) /
		        1000,
		    age, sizeof age);
		snprintf(hold, sizeof hold, "-");
		if (json_is_object(json_object_get(r, "proposal")))
			ctl_time_until(
			    json_string_value(json_object_get(
			        json_object_get(r, "proposal"), "expires_at")),
			    hold, sizeof hold);
		cells[7] = hold;
		ctl_out_where(r, where, sizeof where, prop, sizeof prop);
		cells[8] = where;
		cells[9] = prop;
		cells[10] = strcmp(ctl_out_str(r, "status"), "waiting") == 0
		    ? ctl_list_why(json_object_get(r, "explanation"), shelters,
		          why, sizeof why)
		    : "-";
		if (ctl_out_table_add(&t, cells) == -1) {
			free(rows);
			return ctl_nomem();
		}
	}
	free(rows);
	ctl_out_table_flush(&t);
	if (escalated)
		printf("  ! escalated: waiting longer than its urgency allows "
		       "(listed first)\n");
	if (n > shown)
		printf("more requests than shown: use --limit N (at most 500) "
		       "or --status\n");
	return CTL_OK;
}

/* request.list with params (stolen) on one connection, then, for people,
 * shelter.list when an intake reason is wanted; print. */
static int
ctl_list_run(const struct ctl *ctl, json_t *params, size_t shown)
{
	struct sh_error err = {0};
	struct client *c;
	json_t *res, *shelters = NULL;
	int rc;

	if (ctl->json)
		return ctl_cmd_call(ctl, "request.list", params, NULL);
	if ((c = ctl_conn_open(ctl, &err)) == NULL) {
		json_decref(params);
		return ctl_fail("%s", err.message);
	}
	if (json_object_set_new(params, "explain", json_true()) == -1) {
		json_decref(params);
		client_close(c);
		return ctl_nomem();
	}
	if ((res = ctl_conn_call(c, "request.list", params)) == NULL) {
		client_close(c);
		return CTL_FAIL;
	}
	if (ctl_list_needs_intake(json_object_get(res, "requests")))
		shelters = ctl_conn_call(c, "shelter.list", json_object());
	client_close(c);
	rc = ctl_list_show(res, shelters, shown);
	json_decref(shelters);
	json_decref(res);
	return rc;
}

/*
 * shelterctl requests [--status S,...] [--limit N] [--case CASE]
 * [--order oldest|newest] [--oldest]: the open work (waiting, proposed,
 * placed; every status with --case), escalated first, then newest first
 * by default.
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
	if (limit != -1 && (limit < 1 || limit > 500))
		return ctl_usage(
		    ctl, "--limit: expected 1 to 500, got %lld", limit);
	if (limit == -1)
		limit = 100;
	if (status == NULL)
		status = cs != NULL ? "all" : "waiting,proposed,placed";
	/* One more than shown tells whether the list was cut. */
	params = json_pack("{s:s, s:I}", "order", order, "limit",
	    (json_int_t)(limit < 500 && !ctl->json ? limit + 1 : limit));
	if (params == NULL ||
	    (cs != NULL &&
	        json_object_set_new(params, "case", json_string(cs)) == -1)) {
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
	return ctl_list_run(ctl, params, (size_t)limit);
}

/* shelterctl long-stays ---------------------------------------------- */

static int
ctl_list_show_stays(const json_t *res)
{
	static const char *const h[] = {"REQUEST", "SHELTER", "POOL", "PROGRAM",
	    "DAYS", "NORM", "OVER", "PLANNED DEPARTURE"};
	const json_t *stays = json_object_get(res, "stays"), *s;
	char days[24], norm[24], over[24], dep[32];
	const char *cells[8];
	struct ctl_table t;
	long long d, nd;
	size_t i;

	if (json_array_size(stays) == 0) {
		printf("no resident is past the norm of their program\n");
		return CTL_OK;
	}
	if (ctl_out_table_init(&t, 8, h) == -1)
		return ctl_nomem();
	t.right = 1u << 4 | 1u << 5 | 1u << 6;
	json_array_foreach(stays, i, s)
	{
		d = (long long)json_integer_value(json_object_get(s, "days"));
		nd = (long long)json_integer_value(
		    json_object_get(s, "norm_days"));
		snprintf(days, sizeof days, "%lld", d);
		snprintf(norm, sizeof norm, "%lld", nd);
		snprintf(over, sizeof over, "+%lld", d - nd);
		cells[0] = ctl_out_str(s, "request_id");
		cells[1] = ctl_out_str(s, "shelter_id");
		cells[2] = ctl_out_str(s, "pool");
		cells[3] = ctl_out_str(s, "program");
		cells[4] = days;
		cells[5] = norm;
		cells[6] = over;
		cells[7] =
		    json_is_string(json_object_get(s, "planned_departure"))
		    ? ctl_time_date(json_string_value(json_object_get(
		                        s, "planned_departure")),
		          dep, sizeof dep)
		    : "none reported";
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	return ctl_out_table_flush(&t);
}

/* shelterctl long-stays [--program P] */
int
ctl_list_long_stays(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"program", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *program = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'p')
			return ctl_usage(ctl, NULL);
		program = optarg;
	}
	if ((rc = ctl_cmd_nargs(ctl, argc, argv, 0, "")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "report.long_stays",
	    program != NULL ? json_pack("{s:s}", "program", program)
	                    : json_object(),
	    ctl_list_show_stays);
}
