/*
 * ctl_cmd.c: the shelter commands of shelterctl (status, shelters, shelter,
 * capacity, intake): one JSON-RPC call each, printed for people or, with
 * --json, as the raw result.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shelter/model.h"
#include "shelter/vocab.h"

static const struct option ctl_cmd_none[] = {{NULL, 0, NULL, 0}};

/*
 * Check that exactly n positional arguments are left after the options
 * (what names them for the message). CTL_OK or CTL_USAGE (printed).
 */
int
ctl_cmd_nargs(
    const struct ctl *ctl, int argc, char **argv, int n, const char *what)
{
	if (argc - optind < n)
		return ctl_usage(ctl, "missing %s", what);
	if (argc - optind > n)
		return ctl_usage(
		    ctl, "unexpected argument '%s'", argv[optind + n]);
	return CTL_OK;
}

/* Commands without options: reject any, then count the arguments. */
int
ctl_cmd_plain(
    const struct ctl *ctl, int argc, char **argv, int n, const char *what)
{
	if (getopt_long(argc, argv, "", ctl_cmd_none, NULL) != -1)
		return ctl_usage(ctl, NULL);
	return ctl_cmd_nargs(ctl, argc, argv, n, what);
}

/* Print result as --json wants it or hand it to show. Frees result. */
int
ctl_cmd_print(
    const struct ctl *ctl, json_t *result, int (*show)(const json_t *))
{
	int rc = CTL_OK;

	if (ctl->json)
		ctl_out_json(result);
	else
		rc = show(result);
	json_decref(result);
	return rc;
}

/*
 * Call method with params (stolen) and print its result as ctl_cmd_print
 * does. Returns the exit code.
 */
int
ctl_cmd_call(const struct ctl *ctl, const char *method, json_t *params,
    int (*show)(const json_t *))
{
	json_t *res;
	int rc;

	if ((rc = ctl_conn_run(ctl, method, params, &res)) != CTL_OK)
		return rc;
	return ctl_cmd_print(ctl, res, show);
}

static long long
ctl_cmd_int(const json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

static int
ctl_cmd_show_status(const json_t *r)
{
	const json_t *p = json_object_get(r, "places");
	const json_t *q = json_object_get(r, "requests");
	char up[32], counts[256];
	size_t off = 0;
	int i;

	ctl_out_kv("shelters", "%lld", ctl_cmd_int(r, "shelters"));
	ctl_out_kv("places",
	    "%lld/%lld free (%lld occupied, %lld held, %lld expected)",
	    ctl_cmd_int(p, "free"), ctl_cmd_int(p, "total"),
	    ctl_cmd_int(p, "occupied"), ctl_cmd_int(p, "held"),
	    ctl_cmd_int(p, "expected"));
	/* "3 waiting, 1 proposed, ...": every request status, in order. */
	counts[0] = '\0';
	for (i = 0; i < VOCAB_REQUEST_COUNT && off < sizeof counts; i++)
		off += (size_t)snprintf(counts + off, sizeof counts - off,
		    "%s%lld %s", i > 0 ? ", " : "",
		    ctl_cmd_int(q, vocab_request_status_name(i)),
		    vocab_request_status_name(i));
	ctl_out_kv("requests", "%s", counts);
	ctl_out_kv("connections", "%lld", ctl_cmd_int(r, "connections"));
	ctl_out_kv("uptime", "%s",
	    ctl_out_duration(ctl_cmd_int(r, "uptime_s"), up, sizeof up));
	return CTL_OK;
}

/* The places of the shelters by program: COSM, OMM, then the others
 * together, as free/total with what is occupied, held and expected; then
 * the requests that ask for the program, waiting, proposed and placed
 * (stats.get requests_by_program). */
static int
ctl_cmd_show_programs(const json_t *list, const json_t *stats)
{
	static const char *const h[] = {"PROGRAM", "SHELTERS", "OPEN",
	    "FREE/TOTAL", "OCCUPIED", "HELD", "EXPECTED", "WAITING", "PROPOSED",
	    "PLACED"};
	static const char *const names[] = {"cosm", "omm", "others"};
	static const char *const counts[] = {
	    "free", "total", "occupied", "held", "expected"};
	static const char *const reqs[] = {"waiting", "proposed", "placed"};
	const json_t *by = json_object_get(stats, "requests_by_program");
	long long sum[3][7] = {{0}};
	const json_t *s, *p;
	const char *prog, *cells[10];
	char v[10][32];
	struct ctl_table t;
	size_t i, j, k;

	json_array_foreach(json_object_get(list, "shelters"), i, s)
	{
		prog = ctl_out_str(s, "program");
		k = strcmp(prog, "cosm") == 0  ? 0
		    : strcmp(prog, "omm") == 0 ? 1
		                               : 2;
		sum[k][0]++;
		if (json_is_true(
		        json_object_get(json_object_get(s, "intake"), "open")))
			sum[k][1]++;
		json_array_foreach(json_object_get(s, "pools"), j, p)
		{
			size_t c;

			for (c = 0; c < 5; c++)
				sum[k][2 + c] += ctl_cmd_int(p, counts[c]);
		}
	}
	if (ctl_out_table_init(&t, 10, h) == -1)
		return ctl_nomem();
	t.right = 0x3fe;
	for (k = 0; k < 3; k++) {
		cells[0] = names[k];
		snprintf(v[1], sizeof v[1], "%lld", sum[k][0]);
		snprintf(v[2], sizeof v[2], "%lld", sum[k][1]);
		snprintf(v[3], sizeof v[3], "%lld/%lld", sum[k][2], sum[k][3]);
		snprintf(v[4], sizeof v[4], "%lld", sum[k][4]);
		snprintf(v[5], sizeof v[5], "%lld", sum[k][5]);
		snprintf(v[6], sizeof v[6], "%lld", sum[k][6]);
		for (j = 0; j < 3; j++)
			snprintf(v[7 + j], sizeof v[7 + j], "%lld",
			    ctl_cmd_int(
			        json_object_get(by, names[k]), reqs[j]));
		for (j = 1; j < 10; j++)
			cells[j] = v[j];
		if (ctl_out_table_add(&t, cells) == -1) {
			ctl_out_table_free(&t);
			return ctl_nomem();
		}
	}
	fputc('\n', stdout);
	return ctl_out_table_flush(&t);
}

/* shelterctl status: stats.get, and for people the places and requests
 * by program (shelter.list on the same connection). */
int
ctl_cmd_status(struct ctl *ctl, int argc, char **argv)
{
	struct sh_error err = {0};
	struct client *c;
	json_t *stats, *list;
	int rc;

	if ((rc = ctl_cmd_plain(ctl, argc, argv, 0, "")) != CTL_OK)
		return rc;
	if (ctl->json)
		return ctl_cmd_call(ctl, "stats.get", NULL, NULL);
	if ((c = ctl_conn_open(ctl, &err)) == NULL)
		return ctl_fail("%s", err.message);
	if ((stats = ctl_conn_call(c, "stats.get", NULL)) == NULL) {
		client_close(c);
		return CTL_FAIL;
	}
	list = ctl_conn_call(c, "shelter.list", json_object());
	client_close(c);
	rc = ctl_cmd_show_status(stats);
	if (rc == CTL_OK && list != NULL)
		rc = ctl_cmd_show_programs(list, stats);
	json_decref(stats);
	json_decref(list);
	return list != NULL ? rc : CTL_FAIL;
}

/* "Rotterdam", or "52.1000, 5.1200" without a name, or "-". */
static char *
ctl_cmd_location(const json_t *s, char *buf, size_t len)
{
	const json_t *loc = json_object_get(s, "location");
	const char *m = json_string_value(json_object_get(loc, "municipality"));

	if (m != NULL)
		snprintf(buf, len, "%s", m);
	else if (json_is_number(json_object_get(loc, "lat")))
		snprintf(buf, len, "%.4f, %.4f",
		    json_number_value(json_object_get(loc, "lat")),
		    json_number_value(json_object_get(loc, "lon")));
	else
		snprintf(buf, len, "-");
	return buf;
}

static const char *
ctl_cmd_intake_word(const json_t *s)
{
	const json_t *in = json_object_get(s, "intake");

	if (!json_is_true(json_object_get(in, "open")))
		return "closed";
	return json_is_true(json_object_get(in, "always")) ? "open 24/7"
	                                                   : "open";
}

/* "women 2/10, family 0/4": free of total per pool. */
static char *
ctl_cmd_free(const json_t *s, char *buf, size_t len)
{
	const json_t *p;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(s, "pools"), i, p)
	{
		if (n >= len)
			break;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %lld/%lld%s",
		    i > 0 ? ", " : "", ctl_out_str(p, "name"),
		    ctl_cmd_int(p, "free"), ctl_cmd_int(p, "total"),
		    json_is_true(json_object_get(p, "overbooked"))
		        ? " overbooked"
		        : "");
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
	return buf;
}

static int
ctl_cmd_show_shelters(const json_t *r)
{
	static const char *const h[] = {
	    "ID", "PROGRAM", "MUNICIPALITY", "INTAKE", "FREE"};
	const char *cells[5];
	char loc[96], free_[512];
	struct ctl_table t;
	const json_t *s;
	size_t i;

	if (ctl_out_table_init(&t, 5, h) == -1)
		return ctl_nomem();
	json_array_foreach(json_object_get(r, "shelters"), i, s)
	{
		cells[0] = ctl_out_str(s, "id");
		cells[1] = ctl_out_str(s, "program");
		cells[2] = ctl_cmd_location(s, loc, sizeof loc);
		cells[3] = ctl_cmd_intake_word(s);
		cells[4] = ctl_cmd_free(s, free_, sizeof free_);
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	return ctl_out_table_flush(&t);
}

/* shelterctl shelters [--program P] [--available] */
int
ctl_cmd_shelters(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"program", required_argument, NULL, 'p'},
	    {"available", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	json_t *params;
	int ch, rc;

	if ((params = json_object()) == NULL)
		return ctl_nomem();
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			rc = json_object_set_new(
			    params, "program", json_string(optarg));
		else if (ch == 'a')
			rc = json_object_set_new(
			    params, "available_only", json_true());
		else {
			json_decref(params);
			return ctl_usage(ctl, NULL);
		}
		if (rc == -1) {
			json_decref(params);
			return ctl_nomem();
		}
	}
	if ((rc = ctl_cmd_nargs(ctl, argc, argv, 0, "")) != CTL_OK) {
		json_decref(params);
		return rc;
	}
	return ctl_cmd_call(ctl, "shelter.list", params, ctl_cmd_show_shelters);
}

/* The pools of a shelter as a table. */
static int
ctl_cmd_pools(const json_t *s)
{
	static const char *const h[] = {"POOL", "GENDERS", "AGES", "CHILDREN",
	    "TOTAL", "OCCUPIED", "HELD", "EXPECTED", "FREE"};
	char g[32], ages[32], kids[40], n[5][24];
	const char *cells[9];
	struct ctl_table t;
	const json_t *p;
	size_t i, k;
	static const char *const counts[] = {
	    "total", "occupied", "held", "expected", "free"};

	if (ctl_out_table_init(&t, 9, h) == -1)
		return ctl_nomem();
	t.right = 0x1f0; /* the counts */
	json_array_foreach(json_object_get(s, "pools"), i, p)
	{
		cells[0] = ctl_out_str(p, "name");
		cells[1] =
		    ctl_out_join(json_object_get(p, "genders"), g, sizeof g);
		snprintf(ages, sizeof ages, "%lld-%lld",
		    ctl_cmd_int(p, "min_age"), ctl_cmd_int(p, "max_age"));
		cells[2] = ages;
		if (ctl_cmd_int(p, "children_max") > 0)
			snprintf(kids, sizeof kids, "%lld, boys to %lld",
			    ctl_cmd_int(p, "children_max"),
			    ctl_cmd_int(p, "boys_max_age"));
		else
			snprintf(kids, sizeof kids, "0");
		cells[3] = kids;
		for (k = 0; k < 5; k++) {
			snprintf(n[k], sizeof n[k], "%lld",
			    ctl_cmd_int(p, counts[k]));
			cells[4 + k] = n[k];
		}
		if (ctl_out_table_add(&t, cells) == -1)
			return ctl_nomem();
	}
	return ctl_out_table_flush(&t);
}

static int
ctl_cmd_show_shelter(const json_t *r)
{
	const json_t *s = json_object_get(r, "shelter");
	const json_t *in = json_object_get(s, "intake"), *loc;
	const char *upd = json_string_value(json_object_get(s, "updated_at"));
	const char *reason = json_string_value(json_object_get(in, "reason"));
	const char *since = json_string_value(json_object_get(in, "since"));
	char buf[512], age[96];

	ctl_out_kv("id", "%s", ctl_out_str(s, "id"));
	if (json_object_get(s, "name") != NULL)
		ctl_out_kv("name", "%s", ctl_out_str(s, "name"));
	if (json_object_get(s, "organisation") != NULL)
		ctl_out_kv(
		    "organisation", "%s", ctl_out_str(s, "organisation"));
	ctl_out_kv("program", "%s", ctl_out_str(s, "program"));
	loc = json_object_get(s, "location");
	if (json_is_string(json_object_get(loc, "municipality")) &&
	    json_is_number(json_object_get(loc, "lat")))
		ctl_out_kv("location", "%s (%.4f, %.4f)",
		    ctl_out_str(loc, "municipality"),
		    json_number_value(json_object_get(loc, "lat")),
		    json_number_value(json_object_get(loc, "lon")));
	else
		ctl_out_kv(
		    "location", "%s", ctl_cmd_location(s, buf, sizeof buf));
	ctl_out_kv("security", "%s", ctl_out_str(s, "security"));
	ctl_out_kv("care", "%s",
	    ctl_out_join(json_object_get(s, "care"), buf, sizeof buf));
	ctl_out_kv("languages", "%s",
	    ctl_out_join(json_object_get(s, "languages"), buf, sizeof buf));
	if (reason != NULL && reason[0] != '\0')
		ctl_out_kv("intake", "%s (%s)", ctl_cmd_intake_word(s), reason);
	else
		ctl_out_kv("intake", "%s", ctl_cmd_intake_word(s));
	if (since != NULL)
		ctl_out_kv("intake since", "%s",
		    ctl_time_both(since, age, sizeof age));
	ctl_out_kv("version", "%lld", ctl_cmd_int(s, "version"));
	if (upd != NULL)
		ctl_out_kv("updated", "%s%s%s",
		    ctl_time_both(upd, age, sizeof age),
		    json_is_string(json_object_get(s, "freshness")) ? ", " : "",
		    json_is_string(json_object_get(s, "freshness"))
		        ? ctl_out_str(s, "freshness")
		        : "");
	fputc('\n', stdout);
	return ctl_cmd_pools(s);
}

/* shelterctl shelter SHELTER */
int
ctl_cmd_shelter(struct ctl *ctl, int argc, char **argv)
{
	int rc;

	if ((rc = ctl_cmd_plain(ctl, argc, argv, 1, "SHELTER")) != CTL_OK)
		return rc;
	return ctl_cmd_call(ctl, "shelter.get",
	    json_pack("{s:s}", "id", argv[optind]), ctl_cmd_show_shelter);
}

static int
ctl_cmd_show_capacity(const json_t *r)
{
	const json_t *s = json_object_get(r, "shelter");

	printf("%s version %lld: reported as POOL=OCCUPIED/TOTAL; FREE is what "
	       "is left\n\n",
	    ctl_out_str(s, "id"), ctl_cmd_int(s, "version"));
	return ctl_cmd_pools(s);
}

static int
ctl_cmd_show_heartbeat(const json_t *r)
{
	const json_t *s = json_object_get(r, "shelter");
	char at[64];

	printf("%s: counts confirmed, nothing changed (version %lld, updated "
	       "%s)\n",
	    ctl_out_str(s, "id"), ctl_cmd_int(s, "version"),
	    ctl_time_at(json_string_value(json_object_get(s, "updated_at")), at,
	        sizeof at));
	return CTL_OK;
}

/* A non-negative count of at most a million; -1 when it is not one. */
static long long
ctl_cmd_count(const char *s, size_t len)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > 7)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* POOL=OCCUPIED/TOTAL, POOL=OCCUPIED or POOL=/TOTAL into pools. */
static int
ctl_cmd_pool_arg(const char *arg, json_t *pools)
{
	const char *eq = strchr(arg, '='), *val, *slash;
	long long occ = -1, tot = -1;
	json_t *p;
	char name[MODEL_POOL_NAME_MAX + 1];

	if (eq == NULL || eq == arg || (size_t)(eq - arg) > MODEL_POOL_NAME_MAX)
		return -1;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	val = eq + 1;
	slash = strchr(val, '/');
	if (slash == NULL) {
		if ((occ = ctl_cmd_count(val, strlen(val))) < 0)
			return -1;
	} else {
		if (slash > val &&
		    (occ = ctl_cmd_count(val, (size_t)(slash - val))) < 0)
			return -1;
		if ((tot = ctl_cmd_count(slash + 1, strlen(slash + 1))) < 0)
			return -1;
	}
	if ((p = json_object()) == NULL ||
	    json_object_set_new(pools, name, p) == -1)
		return -1;
	if (tot >= 0 && json_object_set_new(p, "total", json_integer(tot)))
		return -1;
	if (occ >= 0 &&
	    json_object_set_new(p, "occupied", json_integer(occ)) == -1)
		return -1;
	return 0;
}

/* shelterctl capacity SHELTER POOL=OCCUPIED[/TOTAL]... [--if-version N] */
int
ctl_cmd_capacity(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"if-version", required_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	json_t *params, *pools;
	long long ver = -1;
	char *end;
	int ch, i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'v')
			return ctl_usage(ctl, NULL);
		errno = 0;
		ver = strtoll(optarg, &end, 10);
		if (errno != 0 || end == optarg || *end != '\0' || ver < 0)
			return ctl_usage(ctl,
			    "--if-version: expected a "
			    "version number, got '%s'",
			    optarg);
	}
	if (argc - optind < 1)
		return ctl_usage(ctl, "missing SHELTER");
	if (argc - optind < 2) {
		/* No pools: a heartbeat ("our numbers are still right"). */
		params = json_pack("{s:s}", "id", argv[optind]);
		if (params != NULL && ver >= 0 &&
		    json_object_set_new(
		        params, "if_version", json_integer(ver))) {
			json_decref(params);
			return ctl_nomem();
		}
		return ctl_cmd_call(
		    ctl, "shelter.capacity", params, ctl_cmd_show_heartbeat);
	}
	params = json_pack("{s:s, s:{}}", "id", argv[optind], "pools");
	if (params == NULL)
		return ctl_nomem();
	pools = json_object_get(params, "pools");
	for (i = optind + 1; i < argc; i++) {
		if (ctl_cmd_pool_arg(argv[i], pools) == -1) {
			json_decref(params);
			return ctl_usage(ctl,
			    "'%s' is not POOL=OCCUPIED/TOTAL, POOL=OCCUPIED "
			    "or POOL=/TOTAL",
			    argv[i]);
		}
	}
	if (ver >= 0 &&
	    json_object_set_new(params, "if_version", json_integer(ver))) {
		json_decref(params);
		return ctl_nomem();
	}
	return ctl_cmd_call(
	    ctl, "shelter.capacity", params, ctl_cmd_show_capacity);
}

static int
ctl_cmd_show_intake(const json_t *r)
{
	const json_t *s = json_object_get(r, "shelter");

	printf("%s is %s for intake (version %lld)\n", ctl_out_str(s, "id"),
	    json_is_true(json_object_get(json_object_get(s, "intake"), "open"))
	        ? "open"
	        : "closed",
	    ctl_cmd_int(s, "version"));
	return CTL_OK;
}

/* shelterctl intake SHELTER open|closed [--reason TEXT] */
int
ctl_cmd_intake(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *reason = NULL, *state;
	json_t *params;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'r')
			return ctl_usage(ctl, NULL);
		reason = optarg;
	}
	if (argc - optind == 1)
		return ctl_usage(ctl, "missing open or closed");
	rc = ctl_cmd_nargs(ctl, argc, argv, 2, "SHELTER");
	if (rc != CTL_OK)
		return rc;
	state = argv[optind + 1];
	if (strcmp(state, "open") != 0 && strcmp(state, "closed") != 0)
		return ctl_usage(
		    ctl, "expected open or closed, got '%s'", state);
	params = json_pack("{s:s, s:b}", "id", argv[optind], "open",
	    strcmp(state, "open") == 0);
	if (params == NULL ||
	    (reason != NULL &&
	        json_object_set_new(params, "reason", json_string(reason)) ==
	            -1)) {
		json_decref(params);
		return ctl_nomem();
	}
	return ctl_cmd_call(ctl, "shelter.intake", params, ctl_cmd_show_intake);
}
