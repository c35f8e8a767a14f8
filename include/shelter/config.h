/*
 * config.h: shelterd.yaml and the shelters seed file.
 *
 * Loading collects every error, each as "FILE:LINE:COL: message" (1-based),
 * before failing. Unknown keys, wrong types, out-of-range values and
 * duplicate keys are errors. Booleans are true/false/yes/no only.
 */
#ifndef SHELTER_CONFIG_H
#define SHELTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shelter/match.h"
#include "shelter/model.h"

/* Roles, as bits so a method can name the roles it allows. */
enum role {
	ROLE_NONE = 0,
	ROLE_ADMIN = 1 << 0,
	ROLE_COORDINATOR = 1 << 1,
	ROLE_SHELTER = 1 << 2,
	ROLE_SERVICE = 1 << 3,
};
const char *config_role_name(enum role r);
enum role config_role_parse(const char *s); /* ROLE_NONE when unknown */

struct peer_conf {
	uid_t uid;
	enum role role;
	char shelter[MODEL_ID_MAX + 1]; /* role shelter only */
};

struct token_conf {
	char name[64];
	enum role role;
	char shelter[MODEL_ID_MAX + 1]; /* role shelter only */
	unsigned char sha256[32];
};

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

#define CONFIG_SENTINELS_MAX 8

/* One Redis Sentinel of redis.sentinels. */
struct sentinel_conf {
	char *host;
	int port;
};

struct config {
	char *path; /* as given */

	/* listen */
	char *listen_unix; /* NULL: none */
	unsigned unix_mode;
	char *listen_tcp_host; /* NULL: none */
	int listen_tcp_port;   /* 0: pick a free port */
	char *port_file;
	char *tls_cert, *tls_key, *tls_client_ca; /* resolved paths or NULL */

	/* redis */
	char *redis_unix; /* NULL: use host + port */
	char *redis_host;
	int redis_port;
	char *redis_password;
	char *redis_user; /* ACL user (needs the password); NULL: default */
	char *redis_prefix;
	bool require_durable;
	struct sentinel_conf *sentinels; /* none: host/port/unix */
	size_t nsentinels;
	char *redis_master_name;    /* the master's name in Sentinel */
	int redis_min_replicas_ack; /* > 0: WAIT for that many replicas */

	/* auth */
	struct peer_conf *peers;
	size_t npeers;
	struct token_conf *tokens;
	size_t ntokens;

	/* matching */
	int hold_ttl_s;
	int alternatives;
	int expiring_min; /* proposal.expiring this long before expires_at */
	struct match_options match;

	/* freshness: hours after the last capacity report or heartbeat */
	int ageing_h, stale_h, remind_h;
	/* escalation: how long a request may wait, per urgency */
	int escalate_immediate_min, escalate_days_h, escalate_planned_d;
	int escalate_repeat_min;
	/* norms: days of stay per program; 0: no norm */
	int norm_days[PROGRAM_COUNT];

	/* limits */
	size_t max_line_bytes;
	int max_clients;      /* TCP connections at once */
	int max_unix_clients; /* Unix socket connections, a budget of their own
	                       */
	int handshake_timeout_s; /* a TLS handshake */
	int auth_timeout_s;      /* from connect to session.auth */
	int idle_timeout_s;      /* no line, no call, no subscription; 0: off */
	double rate_per_s;
	size_t output_buffer_bytes;

	/* reports, retention (0 days or years: kept for ever) */
	int reports_min_cell;
	int retention_requests_closed_days;
	int retention_registrations_years;
	int retention_audit_days;

	char *shelters_path; /* resolved against the config's folder, or NULL */
	char *gazetteer_path; /* resolved, or NULL: geo_default_path() */
	char *http_host;      /* NULL: no HTTP listener */
	int http_port;
	char *http_tls_cert; /* http.tls: resolved paths or NULL */
	char *http_tls_key;
	bool web_enabled;            /* web: the pages, /login and sessions */
	double web_session_idle_min; /* web.session_idle_min: idle timeout */
	enum log_level log_level;
	bool debug_clock; /* debug.clock: debug.advance moves the clock */
};

/* A growing list of "FILE:LINE:COL: message" strings. */
struct config_errors {
	char **v;
	size_t n, cap;
};
void config_errors_add(struct config_errors *e, const char *file, int line,
    int col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void config_errors_free(struct config_errors *e);

/* A config with every default and no listeners. Caller frees. */
struct config *config_default(void);

/*
 * Load and validate path. Returns the config, or NULL with every error in
 * errs (which the caller initialises to {0} and frees).
 */
struct config *config_load(const char *path, struct config_errors *errs);
/*
 * config_load, and every file shelterd will read (listen.tls and http.tls
 * files, shelters, gazetteer) must open and read, else an error at its key.
 */
struct config *config_load_checked(
    const char *path, struct config_errors *errs);
void config_free(struct config *cfg);

/*
 * Load a shelters file: a YAML list of shelter objects as in shelter.put (or
 * a JSON array, which is YAML too). Each shelter is validated with
 * model_shelter_parse; its errors are reported at the YAML position of the
 * offending field. Returns 0 with *out (caller frees) and *n set, or -1 with
 * errs filled. Duplicate shelter ids are errors. flags: CONFIG_SHELTERS_LIVE
 * also takes shelters as shelter.list gives them, with their live fields
 * (held, expected, version, updated_at, ...), in a list or in its result
 * object {"shelters": [...]}; the seed file of shelterd.yaml takes 0.
 */
#define CONFIG_SHELTERS_LIVE 0x1
int config_load_shelters(const char *path, const struct gazetteer *gaz,
    int flags, struct shelter **out, size_t *n, struct config_errors *errs);

/* Lowercase hex sha256 of s (65 bytes incl. NUL) into hex. */
void config_sha256_hex(const char *s, size_t len, char hex[65]);

#endif
