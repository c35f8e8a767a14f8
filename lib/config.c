/*
 * config.c: shelterd.yaml, read with libyaml's document API (ld.c) so
 * every node keeps its position for error messages.
 *
 * The config is walked with tables of keys (key.c: name, handler, field
 * offset, range); a handler checks one value and stores it. Every problem
 * becomes one "FILE:LINE:COL: message" and the walk goes on, so a user sees
 * all of them at once. Relative paths resolve against the config file's
 * folder. The auth section is in config_auth.c, the shelters seed file in
 * config_shelters.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "config_auth.h"
#include "key.h"
#include "ld.h"

/*
 * A new config with the defaults config/shelterd.yaml documents: no
 * listeners, Redis on 127.0.0.1:6379 with prefix "shelterd:", durability
 * required. NULL on ENOMEM. Free with config_free.
 */
struct config *
config_default(void)
{
	struct config *cfg;

	if ((cfg = calloc(1, sizeof *cfg)) == NULL)
		return NULL;
	cfg->unix_mode = 0660;
	cfg->redis_host = strdup("127.0.0.1");
	cfg->redis_prefix = strdup("shelterd:");
	cfg->redis_master_name = strdup("shelterd");
	if (cfg->redis_host == NULL || cfg->redis_prefix == NULL ||
	    cfg->redis_master_name == NULL) {
		config_free(cfg);
		return NULL;
	}
	cfg->redis_port = 6379;
	cfg->require_durable = true;
	cfg->hold_ttl_s = 1800;
	cfg->alternatives = 3;
	cfg->expiring_min = 10;
	match_options_default(&cfg->match);
	cfg->ageing_h = 12;
	cfg->stale_h = 24;
	cfg->remind_h = 24;
	cfg->escalate_immediate_min = 60;
	cfg->escalate_days_h = 48;
	cfg->escalate_planned_d = 14;
	cfg->escalate_repeat_min = 60;
	cfg->norm_days[PROGRAM_COSM] = 90;
	cfg->norm_days[PROGRAM_OMM] = 180;
	cfg->max_line_bytes = 65536;
	cfg->max_clients = 1024;
	cfg->max_unix_clients = 64;
	cfg->handshake_timeout_s = 10;
	cfg->auth_timeout_s = 30;
	cfg->idle_timeout_s = 600;
	cfg->rate_per_s = 200;
	cfg->output_buffer_bytes = 8388608;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->reports_min_cell = 10;
	cfg->retention_requests_closed_days = 180;
	cfg->retention_registrations_years = 5;
	cfg->retention_audit_days = 730;
	cfg->web_session_idle_min = 30;
	return cfg;
}

static void
config_sentinels_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsentinels; i++)
		free(cfg->sentinels[i].host);
	free(cfg->sentinels);
	cfg->sentinels = NULL;
	cfg->nsentinels = 0;
}

/*
 * Free cfg and everything it owns. NULL is a no-op.
 */
void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->listen_unix);
	free(cfg->listen_tcp_host);
	free(cfg->port_file);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_client_ca);
	free(cfg->redis_unix);
	free(cfg->redis_host);
	free(cfg->redis_password);
	free(cfg->redis_user);
	free(cfg->redis_prefix);
	config_sentinels_free(cfg);
	free(cfg->redis_master_name);
	free(cfg->peers);
	free(cfg->tokens);
	free(cfg->shelters_path);
	free(cfg->gazetteer_path);
	free(cfg->http_host);
	free((char *)cfg->match.referral_minor);
	free((char *)cfg->match.referral_default);
	free(cfg->http_tls_cert);
	free(cfg->http_tls_key);
	free(cfg);
}

/*
 * Write the lowercase hex sha256 of s[0..len) and a NUL into hex. On an
 * OpenSSL failure hex is the empty string, which matches no token.
 */
void
config_sha256_hex(const char *s, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		hex[0] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
}

/*
 * Split "HOST:PORT" or "[V6]:PORT" into a new host string and a port.
 * Returns 0, or -1 on a malformed value or ENOMEM (*host NULL then).
 */
static int
config_hostport(const char *s, char **host, int *port)
{
	const char *h = s, *colon;
	size_t hlen;
	long long p;

	*host = NULL;
	if (s[0] == '[') {
		if ((colon = strchr(s, ']')) == NULL || colon[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL)
			return -1; /* an IPv6 address needs brackets */
	}
	if (hlen == 0 || !(colon[1] >= '0' && colon[1] <= '9') ||
	    !ld_parse_ll(colon + 1, &p) || p < 0 || p > 65535)
		return -1;
	if ((*host = strndup(h, hlen)) == NULL)
		return -1;
	*port = (int)p;
	return 0;
}

static void
config_listen_addr(
    struct ld *ld, yaml_node_t *v, const char *path, char **host, int *port)
{
	const char *s = ld_scalar(v);
	char *h;
	int p;

	if (s == NULL || config_hostport(s, &h, &p) < 0) {
		ld_err(ld, v->start_mark,
		    "%s: must be \"HOST:PORT\" with a port from 0 to 65535 "
		    "(IPv6 as \"[::1]:PORT\")",
		    path);
		return;
	}
	free(*host);
	*host = h;
	*port = p;
}

static void
config_key_tcp(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;

	config_listen_addr(
	    ld, v, path, &cfg->listen_tcp_host, &cfg->listen_tcp_port);
}

static void
config_key_http_listen(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;

	config_listen_addr(ld, v, path, &cfg->http_host, &cfg->http_port);
}

static const struct key http_tls_keys[] = {
    {"cert", key_path, offsetof(struct config, http_tls_cert), 0, 0,
        K_REQUIRED | K_FILE, NULL},
    {"key", key_path, offsetof(struct config, http_tls_key), 0, 0,
        K_REQUIRED | K_FILE, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key http_keys[] = {
    {"listen", config_key_http_listen, 0, 0, 0, K_REQUIRED, NULL},
    {"tls", key_map, 0, 0, 0, 0, http_tls_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* http: "HOST:PORT", or {listen: "HOST:PORT", tls: {cert, key}}. */
static void
config_key_http(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	if (v->type == YAML_MAPPING_NODE)
		key_walk(ld, v, path, http_keys, base);
	else
		config_key_http_listen(ld, v, path, k, base);
}

static void
config_key_level(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	const char *s = ld_scalar(v);
	size_t i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*KEY_FIELD(enum log_level, base, k) = (enum log_level)i;
			return;
		}
	ld_err(ld, v->start_mark, "%s: must be one of error, warn, info, debug",
	    path);
}

/* matching */

#define WEIGHT(s) offsetof(struct config, match.weights[s])

static const struct key weight_keys[] = {
    {"language", key_num, WEIGHT(SCORER_LANGUAGE), 0, 1000, 0, NULL},
    {"safety_distance", key_num, WEIGHT(SCORER_SAFETY_DISTANCE), 0, 1000, 0,
        NULL},
    {"proximity", key_num, WEIGHT(SCORER_PROXIMITY), 0, 1000, 0, NULL},
    {"care_fit", key_num, WEIGHT(SCORER_CARE_FIT), 0, 1000, 0, NULL},
    {"occupancy", key_num, WEIGHT(SCORER_OCCUPANCY), 0, 1000, 0, NULL},
    {"freshness", key_num, WEIGHT(SCORER_FRESHNESS), 0, 1000, 0, NULL},
    {"together", key_num, WEIGHT(SCORER_TOGETHER), 0, 1000, 0, NULL},
    {"scarcity", key_num, WEIGHT(SCORER_SCARCITY), 0, 1000, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static void
config_key_weights(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	int nerr = ld->nerr, i;

	key_walk(ld, v, path, weight_keys, base);
	if (ld->nerr != nerr)
		return;
	for (i = 0; i < SCORER_COUNT; i++)
		if (cfg->match.weights[i] > 0)
			return;
	ld_err(
	    ld, v->start_mark, "%s: at least one weight must be above 0", path);
}

/* A list of names parsed by parse into a mask of 1u << value. */
static void
config_name_list(struct ld *ld, yaml_node_t *v, const char *path,
    int (*parse)(const char *), int min, const char *names, unsigned *mask)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *s;
	unsigned m = 0;
	int val, nerr = ld->nerr;

	if (!ld_is_list(ld, v, path))
		return;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		item = ld_node(ld, *it);
		s = ld_scalar(item);
		val = s ? parse(s) : -1;
		if (val < min) {
			ld_err(ld, item->start_mark,
			    "%s.%ld: must be one of %s", path,
			    (long)(it - v->data.sequence.items.start), names);
			continue;
		}
		m |= 1u << val;
	}
	if (ld->nerr == nerr)
		*mask = m;
}

static void
config_key_residence(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	config_name_list(ld, v, path, model_residence_parse, RESIDENCE_NONE + 1,
	    "reflection, b8_permit, asylum, eu, nl, unknown",
	    KEY_FIELD(unsigned, base, k));
}

static void
config_key_care(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	config_name_list(ld, v, path, model_care_parse, 0,
	    "psychiatric, addiction, intellectual_disability, medical, "
	    "trauma, wheelchair, pregnancy",
	    KEY_FIELD(unsigned, base, k));
}

static const struct key rule_keys[] = {
    {"min_age", key_int, offsetof(struct program_rule, min_age), 0, 120, 0,
        NULL},
    {"residence", config_key_residence,
        offsetof(struct program_rule, residence), 0, 0, 0, NULL},
    {"needs_any", config_key_care, offsetof(struct program_rule, needs_any), 0,
        0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* An entry replaces the defaults of its program; others keep theirs. */
static void
config_key_program(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	struct program_rule *r = &cfg->match.programs[k->min];

	r->set = true;
	r->min_age = -1;
	r->residence = 0;
	r->needs_any = 0;
	key_walk(ld, v, path, rule_keys, r);
}

static const struct key program_keys[] = {
    {"cosm", config_key_program, 0, PROGRAM_COSM, 0, 0, NULL},
    {"omm", config_key_program, 0, PROGRAM_OMM, 0, 0, NULL},
    {"crisis", config_key_program, 0, PROGRAM_CRISIS, 0, 0, NULL},
    {"screening", config_key_program, 0, PROGRAM_SCREENING, 0, 0, NULL},
    {"labour", config_key_program, 0, PROGRAM_LABOUR, 0, 0, NULL},
    {"regular", config_key_program, 0, PROGRAM_REGULAR, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

#define RESERVE(p) offsetof(struct config, match.reserve[p])

/* matching.reserve: free places per program kept for immediate requests. */
static const struct key reserve_keys[] = {
    {"cosm", key_int, RESERVE(PROGRAM_COSM), 0, 100000, 0, NULL},
    {"omm", key_int, RESERVE(PROGRAM_OMM), 0, 100000, 0, NULL},
    {"crisis", key_int, RESERVE(PROGRAM_CRISIS), 0, 100000, 0, NULL},
    {"screening", key_int, RESERVE(PROGRAM_SCREENING), 0, 100000, 0, NULL},
    {"labour", key_int, RESERVE(PROGRAM_LABOUR), 0, 100000, 0, NULL},
    {"regular", key_int, RESERVE(PROGRAM_REGULAR), 0, 100000, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* The sections */

#define C(f) offsetof(struct config, f)

static const struct key tls_keys[] = {
    {"cert", key_path, C(tls_cert), 0, 0, K_REQUIRED | K_FILE, NULL},
    {"key", key_path, C(tls_key), 0, 0, K_REQUIRED | K_FILE, NULL},
    {"client_ca", key_path, C(tls_client_ca), 0, 0, K_FILE, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key listen_keys[] = {
    {"unix", key_path, C(listen_unix), 0, 0, K_SOCKET, NULL},
    {"unix_mode", key_mode, C(unix_mode), 0, 0, 0, NULL},
    {"tcp", config_key_tcp, 0, 0, 0, 0, NULL},
    {"port_file", key_path, C(port_file), 0, 0, 0, NULL},
    {"tls", key_map, 0, 0, 0, 0, tls_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static void
config_key_listen(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	yaml_node_t *tls = ld_get(ld, v, "tls");

	key_walk(ld, v, path, listen_keys, base);
	if (tls != NULL && ld_get(ld, v, "tcp") == NULL)
		ld_err(ld, tls->start_mark, "%s.tls: needs %s.tcp", path, path);
}

static const struct key sentinel_keys[] = {
    {"host", key_str, offsetof(struct sentinel_conf, host), 0, 0, K_REQUIRED,
        NULL},
    {"port", key_int, offsetof(struct sentinel_conf, port), 1, 65535,
        K_REQUIRED, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* redis.sentinels: a list of {host, port}, at most CONFIG_SENTINELS_MAX. */
static void
config_key_sentinels(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	yaml_node_item_t *it;
	char sub[LD_PATH_MAX];
	size_t n;

	if (!ld_is_list(ld, v, path))
		return;
	config_sentinels_free(cfg);
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n > CONFIG_SENTINELS_MAX) {
		ld_err(ld, v->start_mark, "%s: at most %d sentinels", path,
		    CONFIG_SENTINELS_MAX);
		return;
	}
	if (n == 0)
		return;
	if ((cfg->sentinels = calloc(n, sizeof *cfg->sentinels)) == NULL) {
		ld_err(ld, v->start_mark, "%s: out of memory", path);
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		snprintf(sub, sizeof sub, "%s.%zu", path, cfg->nsentinels);
		key_walk(ld, ld_node(ld, *it), sub, sentinel_keys,
		    &cfg->sentinels[cfg->nsentinels++]);
	}
}

static const struct key redis_keys[] = {
    {"unix", key_path, C(redis_unix), 0, 0, K_SOCKET, NULL},
    {"host", key_str, C(redis_host), 0, 0, 0, NULL},
    {"port", key_int, C(redis_port), 1, 65535, 0, NULL},
    {"password", key_str, C(redis_password), 0, 0, K_NULL, NULL},
    {"user", key_str, C(redis_user), 0, 0, K_NULL, NULL},
    {"prefix", key_str, C(redis_prefix), 0, 0, 0, NULL},
    {"require_durable", key_bool, C(require_durable), 0, 0, 0, NULL},
    {"sentinels", config_key_sentinels, 0, 0, 0, 0, NULL},
    {"master_name", key_str, C(redis_master_name), 0, 0, 0, NULL},
    {"min_replicas_ack", key_int, C(redis_min_replicas_ack), 0, 16, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key referral_keys[] = {
    {"minor", key_str, C(match.referral_minor), 0, 0, K_NULL, NULL},
    {"default", key_str, C(match.referral_default), 0, 0, K_NULL, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};
/* redis.user needs redis.password: an ACL user always authenticates. */
static void
config_key_redis(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	yaml_node_t *user = ld_get(ld, v, "user");

	key_walk(ld, v, path, redis_keys, base);
	if (user != NULL && cfg->redis_user != NULL &&
	    cfg->redis_password == NULL)
		ld_err(ld, user->start_mark, "%s.user: needs %s.password", path,
		    path);
}

static const struct key matching_keys[] = {
    {"hold_ttl_s", key_int, C(hold_ttl_s), 1, 604800, 0, NULL},
    {"alternatives", key_int, C(alternatives), 0, 10, 0, NULL},
    {"expiring_min", key_int, C(expiring_min), 0, 10080, 0, NULL},
    {"weights", config_key_weights, 0, 0, 0, 0, NULL},
    {"programs", key_map, 0, 0, 0, 0, program_keys},
    {"reserve", key_map, 0, 0, 0, 0, reserve_keys},
    {"referrals", key_map, 0, 0, 0, 0, referral_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key limits_keys[] = {
    {"max_line_bytes", key_size, C(max_line_bytes), 64, 16777216, 0, NULL},
    {"max_clients", key_int, C(max_clients), 1, 1000000, 0, NULL},
    {"max_unix_clients", key_int, C(max_unix_clients), 1, 1000000, 0, NULL},
    {"handshake_timeout_s", key_int, C(handshake_timeout_s), 1, 3600, 0, NULL},
    {"auth_timeout_s", key_int, C(auth_timeout_s), 1, 3600, 0, NULL},
    {"idle_timeout_s", key_int, C(idle_timeout_s), 0, 604800, 0, NULL},
    {"rate_per_s", key_num, C(rate_per_s), 0, 1000000, K_ABOVE, NULL},
    {"output_buffer_bytes", key_size, C(output_buffer_bytes), 1024, 1073741824,
        0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key freshness_keys[] = {
    {"ageing_h", key_int, C(ageing_h), 1, 8760, 0, NULL},
    {"stale_h", key_int, C(stale_h), 1, 8760, 0, NULL},
    {"remind_h", key_int, C(remind_h), 1, 8760, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* freshness: ageing_h must come before stale_h. */
static void
config_key_freshness(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	int nerr = ld->nerr;

	key_walk(ld, v, path, freshness_keys, base);
	if (ld->nerr == nerr && cfg->ageing_h >= cfg->stale_h)
		ld_err(ld, v->start_mark,
		    "%s: ageing_h (%d) must be below stale_h (%d)", path,
		    cfg->ageing_h, cfg->stale_h);
}

static const struct key escalation_keys[] = {
    {"immediate_min", key_int, C(escalate_immediate_min), 1, 525600, 0, NULL},
    {"days_h", key_int, C(escalate_days_h), 1, 8760, 0, NULL},
    {"planned_d", key_int, C(escalate_planned_d), 1, 365, 0, NULL},
    {"repeat_min", key_int, C(escalate_repeat_min), 1, 525600, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

#define NORM(p) offsetof(struct config, norm_days[p])

/* Days of stay per program; 0 switches the norm of a program off. */
static const struct key norm_keys[] = {
    {"cosm", key_int, NORM(PROGRAM_COSM), 0, 3650, 0, NULL},
    {"omm", key_int, NORM(PROGRAM_OMM), 0, 3650, 0, NULL},
    {"crisis", key_int, NORM(PROGRAM_CRISIS), 0, 3650, 0, NULL},
    {"screening", key_int, NORM(PROGRAM_SCREENING), 0, 3650, 0, NULL},
    {"labour", key_int, NORM(PROGRAM_LABOUR), 0, 3650, 0, NULL},
    {"regular", key_int, NORM(PROGRAM_REGULAR), 0, 3650, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key debug_keys[] = {
    {"clock", key_bool, C(debug_clock), 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key reports_keys[] = {
    {"min_cell", key_int, C(reports_min_cell), 2, 1000, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key retention_keys[] = {
    {"requests_closed_days", key_int, C(retention_requests_closed_days), 0,
        36500, 0, NULL},
    {"registrations_years", key_int, C(retention_registrations_years), 0, 100,
        0, NULL},
    {"audit_days", key_int, C(retention_audit_days), 0, 36500, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key web_keys[] = {
    {"enabled", key_bool, C(web_enabled), 0, 0, 0, NULL},
    {"session_idle_min", key_num, C(web_session_idle_min), 0, 10080, K_ABOVE,
        NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key log_keys[] = {
    {"level", config_key_level, C(log_level), 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key top_keys[] = {
    {"listen", config_key_listen, 0, 0, 0, 0, NULL},
    {"redis", config_key_redis, 0, 0, 0, 0, NULL},
    {"auth", key_map, 0, 0, 0, 0, config_auth_keys},
    {"matching", key_map, 0, 0, 0, 0, matching_keys},
    {"freshness", config_key_freshness, 0, 0, 0, 0, NULL},
    {"escalation", key_map, 0, 0, 0, 0, escalation_keys},
    {"norms", key_map, 0, 0, 0, 0, norm_keys},
    {"limits", key_map, 0, 0, 0, 0, limits_keys},
    {"reports", key_map, 0, 0, 0, 0, reports_keys},
    {"retention", key_map, 0, 0, 0, 0, retention_keys},
    {"shelters", key_path, C(shelters_path), 0, 0, K_FILE, NULL},
    {"gazetteer", key_path, C(gazetteer_path), 0, 0, K_FILE, NULL},
    {"http", config_key_http, 0, 0, 0, 0, NULL},
    {"web", key_map, 0, 0, 0, 0, web_keys},
    {"log", key_map, 0, 0, 0, 0, log_keys},
    {"debug", key_map, 0, 0, 0, 0, debug_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static struct config *
config_load_(const char *path, bool check_files, struct config_errors *errs)
{
	struct config *cfg = NULL;
	yaml_node_t *root;
	struct ld ld;

	if (ld_open(&ld, path, errs) < 0)
		goto out;
	ld.check_files = check_files;
	if ((cfg = config_default()) == NULL ||
	    (cfg->path = strdup(path)) == NULL) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld.nerr++;
		goto out;
	}
	if ((root = yaml_document_get_root_node(&ld.doc)) != NULL)
		key_walk(&ld, root, "", top_keys, cfg);
	if (root != NULL && ld.nerr == 0 && cfg->web_enabled &&
	    cfg->http_host == NULL)
		ld_err(&ld, ld_get(&ld, root, "web")->start_mark,
		    "web.enabled: needs http (the listener that serves it)");
out:
	ld_close(&ld);
	if (ld.nerr > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/*
 * Load and validate the config at path: defaults, then every key of the
 * file. Returns a new config (free with config_free), or NULL with every
 * problem appended to errs as "FILE:LINE:COL: message". An empty file is
 * the defaults.
 */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	return config_load_(path, false, errs);
}

/*
 * config_load, and every file the config names for shelterd to read (the
 * TLS certificates, keys and CA, shelters, gazetteer) must open: one that
 * does not is "FILE:LINE:COL: KEY: cannot open PATH: REASON" at its key's
 * value.
 */
struct config *
config_load_checked(const char *path, struct config_errors *errs)
{
	return config_load_(path, true, errs);
}
