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
	char *redis_prefix;
	bool require_durable;

	/* auth */
	struct peer_conf *peers;
	size_t npeers;
	struct token_conf *tokens;
	size_t ntokens;

	/* matching */
	int hold_ttl_s;
	int alternatives;
	struct match_options match;

	/* limits */
	size_t max_line_bytes;
	int max_clients;
	double rate_per_s;
	size_t output_buffer_bytes;

	char *shelters_path; /* resolved against the config's folder, or NULL */
	char *gazetteer_path; /* resolved, or NULL: geo_default_path() */
	char *http_host;      /* NULL: no HTTP listener */
	int http_port;
	char *http_tls_cert; /* http.tls: resolved paths or NULL */
	char *http_tls_key;
	bool web_enabled;            /* web: the pages, /login and sessions */
	double web_session_idle_min; /* web.session_idle_min: idle timeout */
	enum log_level log_level;
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
void config_free(struct config *cfg);

/*
 * Load a shelters file: a YAML list of shelter objects as in shelter.put (or
 * a JSON array, which is YAML too). Each shelter is validated with
 * model_shelter_parse; its errors are reported at the YAML position of the
 * offending field. Returns 0 with *out (caller frees) and *n set, or -1 with
 * errs filled. Duplicate shelter ids are errors.
 */
int config_load_shelters(const char *path, const struct gazetteer *gaz,
    struct shelter **out, size_t *n, struct config_errors *errs);

/* Lowercase hex sha256 of s (65 bytes incl. NUL) into hex. */
void config_sha256_hex(const char *s, size_t len, char hex[65]);

#endif
