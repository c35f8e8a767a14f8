/*
 * test_config.c: shelterd.yaml and the shelters file.
 *
 * Bad inputs live in tests/fixtures as NAME.yaml (or .json) beside
 * NAME.err, the exact "FILE:LINE:COL: message" lines they must produce;
 * the tests run from the source tree so FILE reads as written there.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tempfile.h"

#include "shelter/config.h"
#include "shelter/geo.h"

#define FIXTURES "tests/fixtures"

static char srcdir[PATH_MAX]; /* realpath of the source tree */

/* "a\nb\n" of every error, as the .err files hold them. Caller frees. */
static char *
joined(const struct config_errors *e)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < e->n; i++)
		len += strlen(e->v[i]) + 1;
	s = calloc(1, len);
	assert_non_null(s);
	for (i = 0; i < e->n; i++) {
		strcat(s, e->v[i]);
		strcat(s, "\n");
	}
	return s;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* The path srcdir/rel, into buf. */
static const char *
src(char *buf, size_t len, const char *rel)
{
	if ((size_t)snprintf(buf, len, "%s/%s", srcdir, rel) >= len)
		fail_msg("path too long: %s", rel);
	return buf;
}

static struct gazetteer *
gazetteer(void)
{
	char err[256];
	struct gazetteer *g;

	g = geo_gazetteer_load("config/municipalities.tsv", err, sizeof err);
	if (g == NULL)
		fail_msg("%s", err);
	return g;
}

static struct config *
load_ok(const char *path)
{
	struct config_errors e = {0};
	struct config *cfg = config_load(path, &e);

	if (cfg == NULL)
		fail_msg("%s: %s", path, e.n ? e.v[0] : "no error message");
	assert_int_equal(e.n, 0);
	config_errors_free(&e);
	return cfg;
}

static const struct shelter *
find_shelter(const struct shelter *v, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

/* The example config `make run` uses, and the demo shelters it names. */
static void
test_example_config(void **state)
{
	char buf[PATH_MAX], hex[65], want[65];
	struct config_errors e = {0};
	struct shelter *v = NULL;
	const struct shelter *s;
	struct gazetteer *g;
	struct config *cfg;
	size_t n = 0, i;
	int p, cosm = 0, omm = 0, closed = 0, full = 0;

	cfg = load_ok("config/shelterd.yaml");
	assert_string_equal(cfg->path, "config/shelterd.yaml");
	assert_string_equal(
	    cfg->listen_unix, src(buf, sizeof buf, "run/shelterd.sock"));
	assert_int_equal(cfg->unix_mode, 0660);
	assert_string_equal(cfg->listen_tcp_host, "127.0.0.1");
	assert_int_equal(cfg->listen_tcp_port, 7411);
	assert_string_equal(
	    cfg->port_file, src(buf, sizeof buf, "run/shelterd.port"));
	assert_null(cfg->tls_cert);
	assert_string_equal(
	    cfg->redis_unix, src(buf, sizeof buf, "run/redis.sock"));
	assert_null(cfg->redis_password);
	assert_string_equal(cfg->redis_prefix, "shelterd:");
	assert_true(cfg->require_durable);
	assert_int_equal(cfg->nsentinels, 0);
	assert_string_equal(cfg->redis_master_name, "shelterd");
	assert_int_equal(cfg->redis_min_replicas_ack, 0);
	assert_int_equal(cfg->npeers, 1);
	assert_int_equal(cfg->peers[0].uid, 0);
	assert_int_equal(cfg->peers[0].role, ROLE_ADMIN);
	assert_int_equal(cfg->ntokens, 2);
	/* The demo token documented in the file is the one configured. */
	assert_string_equal(cfg->tokens[0].name, "demo-coordinator");
	assert_int_equal(cfg->tokens[0].role, ROLE_COORDINATOR);
	config_sha256_hex("demo-coordinator-token", 22, want);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", cfg->tokens[0].sha256[i]);
	assert_string_equal(hex, want);
	assert_int_equal(cfg->tokens[1].role, ROLE_SHELTER);
	assert_string_equal(cfg->tokens[1].shelter, "cosm-rotterdam");
	assert_int_equal(cfg->hold_ttl_s, 1800);
	assert_int_equal(cfg->alternatives, 3);
	assert_true(cfg->match.weights[SCORER_LANGUAGE] == 3);
	assert_true(cfg->match.weights[SCORER_TOGETHER] == 2);
	assert_true(cfg->match.weights[SCORER_SCARCITY] == 2);
	assert_int_equal(cfg->match.reserve[PROGRAM_CRISIS], 0);
	assert_int_equal(cfg->max_line_bytes, 65536);
	assert_string_equal(
	    cfg->shelters_path, src(buf, sizeof buf, "config/shelters.yaml"));
	assert_string_equal(cfg->gazetteer_path,
	    src(buf, sizeof buf, "config/municipalities.tsv"));
	assert_string_equal(cfg->http_host, "127.0.0.1");
	assert_int_equal(cfg->http_port, 9411);
	assert_int_equal(cfg->log_level, LOG_LEVEL_INFO);

	/* The demo shelters: 50 COSM and 36 OMM places, one closed. */
	g = gazetteer();
	if (config_load_shelters(cfg->shelters_path, g, 0, &v, &n, &e) < 0)
		fail_msg("%s", e.n ? e.v[0] : "no error message");
	assert_true(n >= 15);
	for (i = 0; i < n; i++) {
		for (p = 0; p < v[i].npools; p++) {
			if (v[i].program == PROGRAM_COSM)
				cosm += v[i].pools[p].total;
			if (v[i].program == PROGRAM_OMM)
				omm += v[i].pools[p].total;
			if (model_pool_free(&v[i].pools[p]) == 0)
				full++;
		}
		closed += !v[i].intake_open;
	}
	assert_int_equal(cosm, 50);
	assert_int_equal(omm, 36);
	assert_int_equal(closed, 1);
	assert_true(full >= 3);
	s = find_shelter(v, n, "omm-alkmaar");
	assert_non_null(s);
	assert_false(s->intake_open);
	/* Every shelter token names a shelter that exists. */
	for (i = 0; i < cfg->ntokens; i++)
		if (cfg->tokens[i].role == ROLE_SHELTER)
			assert_non_null(
			    find_shelter(v, n, cfg->tokens[i].shelter));
	free(v);
	geo_gazetteer_free(g);
	config_free(cfg);
}

static void
assert_defaults(const struct config *cfg)
{
	struct match_options def;
	int i;

	match_options_default(&def);
	assert_null(cfg->listen_unix);
	assert_null(cfg->listen_tcp_host);
	assert_null(cfg->port_file);
	assert_null(cfg->tls_cert);
	assert_null(cfg->redis_unix);
	assert_string_equal(cfg->redis_host, "127.0.0.1");
	assert_int_equal(cfg->redis_port, 6379);
	assert_null(cfg->redis_password);
	assert_string_equal(cfg->redis_prefix, "shelterd:");
	assert_true(cfg->require_durable);
	assert_int_equal(cfg->npeers, 0);
	assert_int_equal(cfg->ntokens, 0);
	assert_int_equal(cfg->hold_ttl_s, 1800);
	assert_int_equal(cfg->alternatives, 3);
	for (i = 0; i < SCORER_COUNT; i++)
		assert_true(cfg->match.weights[i] == def.weights[i]);
	assert_true(cfg->match.weights[SCORER_LANGUAGE] == 3);
	assert_true(cfg->match.weights[SCORER_SAFETY_DISTANCE] == 2);
	assert_memory_equal(
	    cfg->match.programs, def.programs, sizeof def.programs);
	assert_int_equal(cfg->max_line_bytes, 65536);
	assert_int_equal(cfg->max_clients, 1024);
	assert_true(cfg->rate_per_s == 200);
	assert_int_equal(cfg->output_buffer_bytes, 8388608);
	assert_null(cfg->shelters_path);
	assert_null(cfg->gazetteer_path);
	assert_null(cfg->http_host);
	assert_int_equal(cfg->log_level, LOG_LEVEL_INFO);
}

/* config_default, and an empty file, give the documented defaults. */
static void
test_defaults(void **state)
{
	struct config *cfg = config_default();

	assert_non_null(cfg);
	assert_defaults(cfg);
	config_free(cfg);
	cfg = load_ok(FIXTURES "/good-empty.yaml");
	assert_defaults(cfg);
	config_free(cfg);
}

static void
check_full(const struct config *cfg)
{
	char buf[PATH_MAX];

	assert_string_equal(
	    cfg->listen_unix, src(buf, sizeof buf, FIXTURES "/run/test.sock"));
	assert_int_equal(cfg->unix_mode, 0600);
	assert_string_equal(cfg->listen_tcp_host, "::1");
	assert_int_equal(cfg->listen_tcp_port, 0);
	assert_string_equal(
	    cfg->port_file, src(buf, sizeof buf, FIXTURES "/run/port"));
	assert_string_equal(
	    cfg->tls_cert, src(buf, sizeof buf, FIXTURES "/tls/cert.pem"));
	assert_string_equal(cfg->tls_key, "/etc/shelterd/key.pem");
	assert_string_equal(
	    cfg->tls_client_ca, src(buf, sizeof buf, FIXTURES "/tls/ca.pem"));
	assert_string_equal(cfg->redis_unix, "/run/redis/redis.sock");
	assert_string_equal(cfg->redis_host, "::1");
	assert_int_equal(cfg->redis_port, 6390);
	assert_string_equal(cfg->redis_password, "not-a-real-secret");
	assert_string_equal(cfg->redis_user, "shelterd-test");
	assert_string_equal(cfg->redis_prefix, "test:");
	assert_false(cfg->require_durable); /* "no" */
	assert_int_equal(cfg->nsentinels, 2);
	assert_string_equal(cfg->sentinels[1].host, "::1");
	assert_int_equal(cfg->sentinels[1].port, 26380);
	assert_string_equal(cfg->redis_master_name, "shelterd-test");
	assert_int_equal(cfg->redis_min_replicas_ack, 1);
	assert_int_equal(cfg->npeers, 2);
	assert_int_equal(cfg->peers[1].uid, 1001);
	assert_int_equal(cfg->peers[1].role, ROLE_SHELTER);
	assert_string_equal(cfg->peers[1].shelter, "cosm-test");
	assert_int_equal(cfg->ntokens, 2);
	assert_string_equal(cfg->tokens[1].name, "monitor");
	assert_int_equal(cfg->tokens[1].role, ROLE_SERVICE);
	assert_string_equal(cfg->tokens[1].shelter, "");
	/* Uppercase hex is accepted. */
	assert_int_equal(cfg->tokens[0].sha256[0], 0x02);
	assert_int_equal(cfg->tokens[0].sha256[31], 0x31);
	assert_int_equal(cfg->hold_ttl_s, 600);
	assert_int_equal(cfg->alternatives, 0);
	/* Weights left out keep their defaults; 0 switches one off. */
	assert_true(cfg->match.weights[SCORER_LANGUAGE] == 5.5);
	assert_true(cfg->match.weights[SCORER_TOGETHER] == 0);
	assert_true(cfg->match.weights[SCORER_CARE_FIT] == 2);
	assert_true(cfg->match.weights[SCORER_SCARCITY] == 4);
	/* The raid reserve: programs not named keep none. */
	assert_int_equal(cfg->match.reserve[PROGRAM_CRISIS], 2);
	assert_int_equal(cfg->match.reserve[PROGRAM_LABOUR], 1);
	assert_int_equal(cfg->match.reserve[PROGRAM_COSM], 0);
	assert_string_equal(cfg->match.referral_minor, "Refer to youth care.");
	assert_null(cfg->match.referral_default);
	/* A programs entry replaces that program's rules only. */
	assert_true(cfg->match.programs[PROGRAM_COSM].set);
	assert_int_equal(cfg->match.programs[PROGRAM_COSM].min_age, 21);
	assert_int_equal(cfg->match.programs[PROGRAM_COSM].residence,
	    1u << RESIDENCE_REFLECTION);
	assert_int_equal(cfg->match.programs[PROGRAM_COSM].needs_any, 0);
	assert_true(cfg->match.programs[PROGRAM_CRISIS].set);
	assert_int_equal(cfg->match.programs[PROGRAM_CRISIS].min_age, -1);
	assert_int_equal(cfg->match.programs[PROGRAM_CRISIS].needs_any,
	    (1u << CARE_TRAUMA) | (1u << CARE_MEDICAL));
	assert_true(cfg->match.programs[PROGRAM_OMM].set);
	assert_int_equal(cfg->match.programs[PROGRAM_OMM].min_age, 18);
	assert_int_equal(cfg->match.programs[PROGRAM_OMM].needs_any,
	    (1u << CARE_PSYCHIATRIC) | (1u << CARE_ADDICTION) |
	        (1u << CARE_INTELLECTUAL_DISABILITY));
	assert_false(cfg->match.programs[PROGRAM_LABOUR].set);
	assert_int_equal(cfg->max_line_bytes, 4096);
	assert_int_equal(cfg->max_clients, 7);
	assert_true(cfg->rate_per_s == 0.5);
	assert_int_equal(cfg->output_buffer_bytes, 2048);
	assert_string_equal(cfg->shelters_path,
	    src(buf, sizeof buf, FIXTURES "/sub/shelters.yaml"));
	assert_string_equal(
	    cfg->gazetteer_path, "/usr/share/shelterd/municipalities.tsv");
	assert_string_equal(cfg->http_host, "0.0.0.0");
	assert_int_equal(cfg->http_port, 9412);
	assert_int_equal(cfg->log_level, LOG_LEVEL_DEBUG);
}

/* Every key set; relative paths resolve against the file's folder, so
 * the result does not depend on the current directory. */
static void
test_full_config(void **state)
{
	struct config *cfg;

	cfg = load_ok(FIXTURES "/good-full.yaml");
	assert_string_equal(cfg->path, FIXTURES "/good-full.yaml");
	check_full(cfg);
	config_free(cfg);

	assert_int_equal(chdir(FIXTURES), 0);
	cfg = load_ok("good-full.yaml");
	assert_int_equal(chdir(srcdir), 0);
	check_full(cfg);
	config_free(cfg);
}

/* "./" and "../" fold into the folder; a symlinked config resolves
 * against the link's folder, as the user sees it. */
static void
test_relative_paths(void **state)
{
	char tmpl[] = "/tmp/test_config.XXXXXX", dir[PATH_MAX],
	     sub[PATH_MAX + 32];
	char cfgpath[PATH_MAX + 32], link[PATH_MAX + 32], want[PATH_MAX + 32];
	struct config *cfg;
	FILE *f;

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	snprintf(sub, sizeof sub, "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(cfgpath, sizeof cfgpath, "%s/sub/c.yaml", dir);
	f = fopen(cfgpath, "w");
	assert_non_null(f);
	fputs("listen: {unix: ./s.sock, port_file: ./../p}\n"
	      "shelters: ../x.yaml\ngazetteer: g.tsv\n",
	    f);
	fclose(f);
	snprintf(link, sizeof link, "%s/link.yaml", dir);
	assert_int_equal(symlink("sub/c.yaml", link), 0);

	cfg = load_ok(cfgpath);
	snprintf(want, sizeof want, "%s/sub/s.sock", dir);
	assert_string_equal(cfg->listen_unix, want);
	snprintf(want, sizeof want, "%s/p", dir);
	assert_string_equal(cfg->port_file, want);
	snprintf(want, sizeof want, "%s/x.yaml", dir);
	assert_string_equal(cfg->shelters_path, want);
	snprintf(want, sizeof want, "%s/sub/g.tsv", dir);
	assert_string_equal(cfg->gazetteer_path, want);
	config_free(cfg);

	cfg = load_ok(link);
	snprintf(want, sizeof want, "%s/g.tsv", dir);
	assert_string_equal(cfg->gazetteer_path, want);
	/* ../ from the link's folder: the parent of dir. */
	snprintf(want, sizeof want, "%.*s/x.yaml",
	    (int)(strrchr(dir, '/') - dir), dir);
	assert_string_equal(cfg->shelters_path, want);
	config_free(cfg);

	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(cfgpath), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

static int
is_fixture(const struct dirent *d, const char *prefix)
{
	size_t n = strlen(d->d_name);

	return strncmp(d->d_name, prefix, strlen(prefix)) == 0 && n > 5 &&
	    (strcmp(d->d_name + n - 5, ".yaml") == 0 ||
	        strcmp(d->d_name + n - 5, ".json") == 0);
}

static int
is_bad_config(const struct dirent *d)
{
	return is_fixture(d, "bad-");
}

static int
is_bad_shelters(const struct dirent *d)
{
	return is_fixture(d, "shelters-bad-");
}

/* Load every fixture the filter picks and compare with its .err file. */
static int
run_fixtures(int (*filter)(const struct dirent *), bool shelters)
{
	char path[PATH_MAX], errpath[PATH_MAX], *got, *want;
	struct config_errors e = {0};
	struct dirent **list;
	struct gazetteer *g = gazetteer();
	struct shelter *v;
	size_t nv;
	int n, i, bad = 0;

	n = scandir(FIXTURES, &list, filter, alphasort);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, FIXTURES "/%s", list[i]->d_name);
		snprintf(errpath, sizeof errpath, "%.*s.err",
		    (int)(strlen(path) - 5), path);
		if (shelters) {
			assert_int_equal(
			    config_load_shelters(path, g, 0, &v, &nv, &e), -1);
		} else {
			assert_null(config_load(path, &e));
		}
		got = joined(&e);
		want = slurp(errpath);
		if (strcmp(got, want) != 0) {
			print_error(
			    "%s:\n--- want\n%s--- got\n%s", path, want, got);
			bad++;
		}
		free(got);
		free(want);
		config_errors_free(&e);
		free(list[i]);
	}
	free(list);
	geo_gazetteer_free(g);
	assert_int_equal(bad, 0);
	return n;
}

/* Each bad config gives exactly the errors beside it, all of them. */
static void
test_bad_configs(void **state)
{
	assert_true(run_fixtures(is_bad_config, false) >= 15);
}

/* Shelters file errors point at the offending field's line and column. */
static void
test_bad_shelters(void **state)
{
	assert_true(run_fixtures(is_bad_shelters, true) >= 5);
}

/* A JSON array is a shelters file too; quoted and plain scalars. */
static void
test_good_shelters(void **state)
{
	struct config_errors e = {0};
	struct shelter *v = NULL;
	struct gazetteer *g = gazetteer();
	size_t n = 0;

	if (config_load_shelters(
	        FIXTURES "/shelters-good.json", g, 0, &v, &n, &e) < 0)
		fail_msg("%s", e.n ? e.v[0] : "no error message");
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, "regular-test");
	assert_string_equal(v[0].organisation, "Fictional Foundation");
	assert_int_equal(v[0].security, SECURITY_SECRET);
	assert_false(v[0].intake_open);
	assert_true(v[0].intake_always);
	assert_int_equal(v[0].pools[0].children_max, 2);
	assert_int_equal(v[0].pools[0].occupied, 3);
	assert_true(v[0].location.lat > 51.9 && v[0].location.lat < 52.1);
	assert_true(v[1].location.lat == 51.5);
	assert_int_equal(v[1].pools[0].total, 10);
	free(v);

	/* An empty file is an empty list. */
	assert_int_equal(
	    config_load_shelters(FIXTURES "/good-empty.yaml", g, 0, &v, &n, &e),
	    0);
	assert_int_equal(n, 0);
	assert_null(v);

	/* Without a gazetteer a name-only location cannot be placed. */
	assert_int_equal(
	    config_load_shelters("config/shelters.yaml", NULL, 0, &v, &n, &e),
	    -1);
	assert_true(e.n >= 1);
	assert_non_null(strstr(e.v[0], "location"));
	config_errors_free(&e);
	geo_gazetteer_free(g);
}

/*
 * A register saved from shelter.list: CONFIG_SHELTERS_LIVE takes its
 * result object and the live counts; the seed file (flags 0) refuses both.
 */
static void
test_shelters_live(void **state)
{
	static const char shelter[] =
	    "{\"id\":\"live-1\",\"program\":\"cosm\",\"location\":"
	    "{\"municipality\":\"Utrecht\"},\"intake\":{\"open\":true,"
	    "\"always\":false,\"reason\":null,\"since\":\"2026-12-01T10:00:"
	    "00Z\"},"
	    "\"pools\":[{\"name\":\"main\",\"genders\":[\"f\"],\"total\":4,"
	    "\"occupied\":1,\"held\":2,\"expected\":1,\"free\":0,"
	    "\"overbooked\":false,\"departures\":[]}],\"version\":7,"
	    "\"updated_at\":\"2026-12-01T10:00:00Z\",\"report_age_s\":60,"
	    "\"departures_unconfirmed\":[],\"freshness\":\"fresh\"}";
	char obj[sizeof shelter + 32], list[sizeof shelter + 8];
	char p1[64], p2[64], p3[64];
	struct config_errors e = {0};
	struct gazetteer *g = gazetteer();
	struct shelter *v = NULL;
	size_t n = 0;

	(void)state;
	snprintf(obj, sizeof obj, "{\"shelters\":[%s]}", shelter);
	snprintf(list, sizeof list, "[%s]", shelter);
	temp_write(p1, sizeof p1, "config", obj);
	temp_write(p2, sizeof p2, "config", list);
	temp_write(p3, sizeof p3, "config", "{\"shelters\":[],\"next\":1}");

	assert_int_equal(
	    config_load_shelters(p1, g, CONFIG_SHELTERS_LIVE, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "live-1");
	assert_int_equal(v[0].pools[0].held, 2);
	assert_int_equal(v[0].pools[0].expected, 1);
	assert_int_equal(v[0].version, 7);
	assert_true(v[0].updated_at > 0);
	free(v);
	assert_int_equal(
	    config_load_shelters(p2, g, CONFIG_SHELTERS_LIVE, &v, &n, &e), 0);
	assert_int_equal(v[0].pools[0].held, 2);
	free(v);

	/* Not a seed file. */
	assert_int_equal(config_load_shelters(p1, g, 0, &v, &n, &e), -1);
	assert_non_null(strstr(e.v[0], "must be a list of shelter objects"));
	config_errors_free(&e);
	assert_int_equal(config_load_shelters(p2, g, 0, &v, &n, &e), -1);
	assert_non_null(strstr(e.v[0], "unknown field"));
	config_errors_free(&e);
	/* An object with more than the list. */
	assert_int_equal(
	    config_load_shelters(p3, g, CONFIG_SHELTERS_LIVE, &v, &n, &e), -1);
	assert_non_null(strstr(e.v[0], "only \"shelters\""));
	config_errors_free(&e);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	geo_gazetteer_free(g);
}

/* A missing file is one error naming it; errors are appended. */
static void
test_missing_file(void **state)
{
	struct config_errors e = {0};

	config_errors_add(&e, "x.yaml", 3, 4, "first %d", 1);
	assert_null(config_load(FIXTURES "/no-such-file.yaml", &e));
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0], "x.yaml:3:4: first 1");
	assert_string_equal(e.v[1],
	    FIXTURES
	    "/no-such-file.yaml: cannot open: No such file or directory");
	config_errors_free(&e);
	assert_int_equal(e.n, 0);
	assert_null(e.v);
}

static void
test_sha256(void **state)
{
	char hex[65];

	config_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	config_sha256_hex("", 0, hex);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_roles(void **state)
{
	static const enum role roles[] = {
	    ROLE_ADMIN, ROLE_COORDINATOR, ROLE_SHELTER, ROLE_SERVICE};
	size_t i;

	for (i = 0; i < 4; i++)
		assert_int_equal(
		    config_role_parse(config_role_name(roles[i])), roles[i]);
	assert_string_equal(config_role_name(ROLE_COORDINATOR), "coordinator");
	assert_int_equal(config_role_parse("root"), ROLE_NONE);
	assert_int_equal(config_role_parse("Admin"), ROLE_NONE);
	assert_string_equal(
	    config_role_name(ROLE_ADMIN | ROLE_SERVICE), "none");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example_config),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_full_config),
	    cmocka_unit_test(test_relative_paths),
	    cmocka_unit_test(test_bad_configs),
	    cmocka_unit_test(test_bad_shelters),
	    cmocka_unit_test(test_good_shelters),
	    cmocka_unit_test(test_shelters_live),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_roles),
	};

	if (realpath(SHELTER_SRCDIR, srcdir) == NULL || chdir(srcdir) != 0) {
		perror(SHELTER_SRCDIR);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
