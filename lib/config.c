/*
 * config.c: shelterd.yaml and the shelters seed file, read with libyaml's
 * document API so every node keeps its position for error messages.
 *
 * The config is walked with tables of keys (name, handler, field offset,
 * range); a handler checks one value and stores it. Every problem becomes
 * one "FILE:LINE:COL: message" and the walk goes on, so a user sees all of
 * them at once. Relative paths resolve against the config file's folder.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "shelter/config.h"

#define CONFIG_FILE_MAX  (64L << 20) /* bytes of YAML we read */
#define CONFIG_DEPTH_MAX 32          /* nesting in a shelters file */
#define CONFIG_NODES_MAX 1000000     /* nodes converted (alias bombs) */
#define CONFIG_PATH_MAX  256         /* key paths in messages */

/* One file being loaded. */
struct ld {
	const char *file;   /* as given, for messages */
	char *dir;          /* the file's folder, absolute when possible */
	bool dir_canonical; /* dir came from realpath */
	char *text;         /* the file's bytes */
	size_t len;
	yaml_document_t doc;
	bool have_doc;
	struct config_errors *errs;
	int nerr;
	long nodes;
};

/* A key of a mapping in the config and how to read its value. */
struct key;
typedef void key_fn(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base);

#define K_REQUIRED 0x1 /* missing is an error */
#define K_NULL     0x2 /* null allowed (stores NULL) */
#define K_ABOVE    0x4 /* number: strictly above min */
#define K_SOCKET   0x8 /* path: must fit a sockaddr_un */

struct key {
	const char *name;
	key_fn *fn;
	size_t off; /* field in base */
	long long min, max;
	unsigned flags;
	const struct key *sub; /* key_map: the keys of the mapping */
};

static const char *const config_role_names[] = {
    "admin", "coordinator", "shelter", "service"};

/*
 * The name of one role bit ("coordinator"), or "none" for anything else.
 */
const char *
config_role_name(enum role r)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (r == (enum role)(1 << i))
			return config_role_names[i];
	return "none";
}

/*
 * The role called s, or ROLE_NONE when s names no role.
 */
enum role
config_role_parse(const char *s)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, config_role_names[i]) == 0)
			return (enum role)(1 << i);
	return ROLE_NONE;
}

/*
 * Append "FILE:LINE:COL: message" to e ("FILE: message" when line <= 0,
 * the bare message when file is NULL). On ENOMEM the error is dropped:
 * callers count their errors themselves and fail anyway.
 */
void
config_errors_add(struct config_errors *e, const char *file, int line, int col,
    const char *fmt, ...)
{
	char msg[1024], *s, **v;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;

		if ((v = realloc(e->v, cap * sizeof *v)) == NULL)
			return;
		e->v = v;
		e->cap = cap;
	}
	if (file != NULL && line > 0)
		n = asprintf(&s, "%s:%d:%d: %s", file, line, col, msg);
	else if (file != NULL)
		n = asprintf(&s, "%s: %s", file, msg);
	else
		n = asprintf(&s, "%s", msg);
	if (n < 0)
		return;
	e->v[e->n++] = s;
}

/*
 * Free every message of e and reset it to empty.
 */
void
config_errors_free(struct config_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	memset(e, 0, sizeof *e);
}

/*
 * A new config with DESIGN.md's defaults: no listeners, Redis on
 * 127.0.0.1:6379 with prefix "shelterd:", durability required. NULL on
 * ENOMEM. Free with config_free.
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
	if (cfg->redis_host == NULL || cfg->redis_prefix == NULL) {
		config_free(cfg);
		return NULL;
	}
	cfg->redis_port = 6379;
	cfg->require_durable = true;
	cfg->hold_ttl_s = 1800;
	cfg->alternatives = 3;
	match_options_default(&cfg->match);
	cfg->max_line_bytes = 65536;
	cfg->max_clients = 1024;
	cfg->rate_per_s = 200;
	cfg->output_buffer_bytes = 8388608;
	cfg->log_level = LOG_LEVEL_INFO;
	return cfg;
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
	free(cfg->redis_prefix);
	free(cfg->peers);
	free(cfg->tokens);
	free(cfg->shelters_path);
	free(cfg->gazetteer_path);
	free(cfg->http_host);
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

/* Errors, nodes and scalars. */

static void ld_err(struct ld *ld, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ld_err(struct ld *ld, yaml_mark_t m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_errors_add(
	    ld->errs, ld->file, (int)m.line + 1, (int)m.column + 1, "%s", msg);
	ld->nerr++;
}

static yaml_node_t *
ld_node(struct ld *ld, yaml_node_item_t i)
{
	return yaml_document_get_node(&ld->doc, i);
}

/* The text of a scalar node, or NULL for a mapping or sequence. */
static const char *
ld_scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The text of a plain (unquoted) scalar, or NULL. */
static const char *
ld_plain(yaml_node_t *n)
{
	const char *s = ld_scalar(n);

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return NULL;
	return s;
}

static bool
ld_is_null(yaml_node_t *n)
{
	const char *s = ld_plain(n);

	return s != NULL &&
	    (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	        strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

/* 1 for true/yes, 0 for false/no, -1 for anything else. */
static int
ld_bool_value(yaml_node_t *n)
{
	const char *s = ld_plain(n);

	if (s == NULL)
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		return 0;
	return -1;
}

/* Decimal integer, optional sign; false on anything else or overflow. */
static bool
ld_parse_ll(const char *s, long long *out)
{
	const char *p = s;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* A decimal number (integer or float, no hex, inf or nan). */
static bool
ld_parse_num(const char *s, double *out)
{
	const char *p = s;
	char *end;
	bool digits = false;

	if (*p == '-' || *p == '+')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

/* The value of key name in mapping map (the first one), or NULL. */
static yaml_node_t *
ld_get(struct ld *ld, yaml_node_t *map, const char *name)
{
	yaml_node_pair_t *p;
	const char *s;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		s = ld_scalar(ld_node(ld, p->key));
		if (s != NULL && strcmp(s, name) == 0)
			return ld_node(ld, p->value);
	}
	return NULL;
}

/* "PATH.NAME", or NAME at the top. */
static void
ld_join(char *buf, size_t len, const char *path, const char *name)
{
	if (path[0] == '\0')
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s.%s", path, name);
}

/*
 * Walk mapping map: each key must be known to keys and appear once; known
 * keys go to their handler with base. Reports missing required keys.
 */
static void
ld_map(struct ld *ld, yaml_node_t *map, const char *path,
    const struct key *keys, void *base)
{
	char sub[CONFIG_PATH_MAX];
	const char *where = path[0] ? " in " : "";
	yaml_node_pair_t *p, *q;
	const struct key *k;
	yaml_node_t *kn;
	const char *s;

	if (map->type != YAML_MAPPING_NODE) {
		if (path[0] == '\0')
			ld_err(ld, map->start_mark,
			    "the configuration must be a mapping");
		else
			ld_err(
			    ld, map->start_mark, "%s: must be a mapping", path);
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		kn = ld_node(ld, p->key);
		if ((s = ld_scalar(kn)) == NULL) {
			ld_err(ld, kn->start_mark, "keys must be strings%s%s",
			    where, path);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++)
			if (ld_scalar(ld_node(ld, q->key)) != NULL &&
			    strcmp(ld_scalar(ld_node(ld, q->key)), s) == 0)
				break;
		if (q < p) {
			ld_err(ld, kn->start_mark, "duplicate key '%s'%s%s", s,
			    where, path);
			continue;
		}
		for (k = keys; k->name != NULL; k++)
			if (strcmp(k->name, s) == 0)
				break;
		if (k->name == NULL) {
			ld_err(ld, kn->start_mark, "unknown key '%s'%s%s", s,
			    where, path);
			continue;
		}
		ld_join(sub, sizeof sub, path, k->name);
		k->fn(ld, ld_node(ld, p->value), sub, k, base);
	}
	for (k = keys; k->name != NULL; k++)
		if ((k->flags & K_REQUIRED) && ld_get(ld, map, k->name) == NULL)
			ld_err(ld, map->start_mark,
			    "%s: missing required key '%s'", path, k->name);
}

/* Handlers: each checks one value and stores it at base + k->off. */

#define FIELD(type, base, k) ((type *)(void *)((char *)(base) + (k)->off))

static void
key_map(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	ld_map(ld, v, path, k->sub, base);
}

static void
key_int(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_plain(v);
	long long n;

	if (s == NULL || !ld_parse_ll(s, &n) || n < k->min || n > k->max) {
		ld_err(ld, v->start_mark,
		    "%s: must be an integer from %lld to %lld", path, k->min,
		    k->max);
		return;
	}
	*FIELD(int, base, k) = (int)n;
}

static void
key_size(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_plain(v);
	long long n;

	if (s == NULL || !ld_parse_ll(s, &n) || n < k->min || n > k->max) {
		ld_err(ld, v->start_mark,
		    "%s: must be an integer from %lld to %lld", path, k->min,
		    k->max);
		return;
	}
	*FIELD(size_t, base, k) = (size_t)n;
}

static void
key_num(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_plain(v);
	double d, min = (double)k->min, max = (double)k->max;

	if (s == NULL || !ld_parse_num(s, &d) || d > max ||
	    ((k->flags & K_ABOVE) ? d <= min : d < min)) {
		if (k->flags & K_ABOVE)
			ld_err(ld, v->start_mark,
			    "%s: must be a number above %lld and at most %lld",
			    path, k->min, k->max);
		else
			ld_err(ld, v->start_mark,
			    "%s: must be a number from %lld to %lld", path,
			    k->min, k->max);
		return;
	}
	*FIELD(double, base, k) = d;
}

static void
key_bool(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	int b = ld_bool_value(v);

	if (b < 0) {
		ld_err(ld, v->start_mark,
		    "%s: must be true or false (or yes/no)", path);
		return;
	}
	*FIELD(bool, base, k) = b;
}

/* A non-empty string without NUL bytes (or null with K_NULL) into *dst. */
static int
ld_string(
    struct ld *ld, yaml_node_t *v, const char *path, unsigned flags, char **dst)
{
	const char *s = ld_scalar(v);
	char *copy = NULL;

	if ((flags & K_NULL) && ld_is_null(v)) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (s == NULL || ld_is_null(v) || s[0] == '\0') {
		ld_err(ld, v->start_mark, "%s: must be a non-empty string%s",
		    path, (flags & K_NULL) ? " or null" : "");
		return -1;
	}
	if (strlen(s) != v->data.scalar.length) {
		ld_err(ld, v->start_mark,
		    "%s: must not contain a NUL character", path);
		return -1;
	}
	if ((copy = strdup(s)) == NULL) {
		ld_err(ld, v->start_mark, "%s: out of memory", path);
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static void
key_str(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	ld_string(ld, v, path, k->flags, FIELD(char *, base, k));
}

/*
 * dir/rel as a new string, or NULL on ENOMEM. When dir is canonical (from
 * realpath: no symlinks, no dots) leading "./" and "../" of rel fold into
 * it, which is exact there: "/srv/conf" + "../run/x" is "/srv/run/x".
 */
static char *
ld_resolve(const char *dir, bool canonical, const char *rel)
{
	size_t dlen = strlen(dir);
	char *out;

	while (canonical) {
		if (strncmp(rel, "./", 2) == 0) {
			rel += 2;
		} else if (strncmp(rel, "../", 3) == 0) {
			while (dlen > 1 && dir[dlen - 1] != '/')
				dlen--;
			if (dlen > 1)
				dlen--; /* the slash, unless it is the root */
			rel += 3;
		} else {
			break;
		}
	}
	if (dlen == 1 && dir[0] == '/')
		dlen = 0;
	if (asprintf(&out, "%.*s/%s", (int)dlen, dir, rel) < 0)
		return NULL;
	return out;
}

/* A file path, resolved against the config file's folder. */
static void
key_path(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	char **dst = FIELD(char *, base, k), *full;
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (ld_string(ld, v, path, k->flags, dst) < 0 || *dst == NULL)
		return;
	if ((*dst)[0] != '/') {
		full = ld_resolve(ld->dir, ld->dir_canonical, *dst);
		if (full == NULL) {
			ld_err(ld, v->start_mark, "%s: out of memory", path);
			return;
		}
		free(*dst);
		*dst = full;
	}
	if ((k->flags & K_SOCKET) && strlen(*dst) > max)
		ld_err(ld, v->start_mark,
		    "%s: the socket path %s is %zu bytes long, at most %zu fit",
		    path, *dst, strlen(*dst), max);
}

/*
 * Split "HOST:PORT" or "[V6]:PORT" into a new host string and a port.
 * Returns 0, or -1 on a malformed value or ENOMEM (*host NULL then).
 */
static int
ld_hostport(const char *s, char **host, int *port)
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
ld_listen_addr(
    struct ld *ld, yaml_node_t *v, const char *path, char **host, int *port)
{
	const char *s = ld_scalar(v);
	char *h;
	int p;

	if (s == NULL || ld_hostport(s, &h, &p) < 0) {
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
key_tcp(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	struct config *cfg = base;

	ld_listen_addr(
	    ld, v, path, &cfg->listen_tcp_host, &cfg->listen_tcp_port);
}

static void
key_http(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	struct config *cfg = base;

	ld_listen_addr(ld, v, path, &cfg->http_host, &cfg->http_port);
}

/* An octal file mode as a string ("0660"); a plain 0660 is taken as such. */
static void
key_mode(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_scalar(v), *p;
	unsigned mode = 0;

	if (s != NULL && strlen(s) >= 3 && strlen(s) <= 4) {
		for (p = s; *p >= '0' && *p <= '7'; p++)
			mode = mode * 8 + (unsigned)(*p - '0');
		if (*p == '\0' && mode <= 0777) {
			*FIELD(unsigned, base, k) = mode;
			return;
		}
	}
	ld_err(ld, v->start_mark,
	    "%s: must be an octal mode string from \"0000\" to \"0777\", "
	    "such as \"0660\"",
	    path);
}

static void
key_level(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	const char *s = ld_scalar(v);
	size_t i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*FIELD(enum log_level, base, k) = (enum log_level)i;
			return;
		}
	ld_err(ld, v->start_mark, "%s: must be one of error, warn, info, debug",
	    path);
}

/* auth.peers and auth.tokens */

static void
key_uid(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_plain(v);
	long long n;

	if (s == NULL || !ld_parse_ll(s, &n) || n < 0 || n > 4294967294LL) {
		ld_err(ld, v->start_mark,
		    "%s: must be an integer from 0 to 4294967294", path);
		return;
	}
	*FIELD(uid_t, base, k) = (uid_t)n;
}

static void
key_role(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_scalar(v);
	enum role r = s ? config_role_parse(s) : ROLE_NONE;

	if (r == ROLE_NONE) {
		ld_err(ld, v->start_mark,
		    "%s: must be one of admin, coordinator, shelter, service",
		    path);
		return;
	}
	*FIELD(enum role, base, k) = r;
}

static void
key_shelter_id(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	const char *s = ld_scalar(v);

	if (s == NULL || strlen(s) > MODEL_ID_MAX || !model_valid_id(s)) {
		ld_err(ld, v->start_mark,
		    "%s: must be a shelter id (lowercase letters, digits and "
		    "'-', at most 63)",
		    path);
		return;
	}
	memcpy(FIELD(char, base, k), s, strlen(s) + 1);
}

static void
key_token_name(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	const char *s = ld_scalar(v), *p;
	size_t len = s ? strlen(s) : 0;

	for (p = s; p != NULL && *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		        *p == '-'))
			break;
	if (s == NULL || len == 0 || len > 63 || *p != '\0') {
		ld_err(ld, v->start_mark,
		    "%s: must be 1 to 63 letters, digits, '.', '_' or '-'",
		    path);
		return;
	}
	memcpy(FIELD(char, base, k), s, len + 1);
}

static int
ld_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
key_sha256(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	const char *s = ld_scalar(v);
	unsigned char *out = FIELD(unsigned char, base, k);
	int i, hi, lo;

	if (s != NULL && strlen(s) == 64) {
		for (i = 0; i < 32; i++) {
			hi = ld_hexval(s[2 * i]);
			lo = ld_hexval(s[2 * i + 1]);
			if (hi < 0 || lo < 0)
				break;
			out[i] = (unsigned char)(hi << 4 | lo);
		}
		if (i == 32)
			return;
	}
	ld_err(ld, v->start_mark,
	    "%s: must be 64 hexadecimal characters (the sha256 of the token)",
	    path);
}

static const struct key peer_keys[] = {
    {"uid", key_uid, offsetof(struct peer_conf, uid), 0, 0, K_REQUIRED, NULL},
    {"role", key_role, offsetof(struct peer_conf, role), 0, 0, K_REQUIRED,
        NULL},
    {"shelter", key_shelter_id, offsetof(struct peer_conf, shelter), 0, 0, 0,
        NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key token_keys[] = {
    {"name", key_token_name, offsetof(struct token_conf, name), 0, 0,
        K_REQUIRED, NULL},
    {"role", key_role, offsetof(struct token_conf, role), 0, 0, K_REQUIRED,
        NULL},
    {"shelter", key_shelter_id, offsetof(struct token_conf, shelter), 0, 0, 0,
        NULL},
    {"sha256", key_sha256, offsetof(struct token_conf, sha256), 0, 0,
        K_REQUIRED, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* A role shelter names its shelter; no other role may. */
static void
ld_role_shelter(
    struct ld *ld, yaml_node_t *item, const char *path, enum role role)
{
	yaml_node_t *sn = ld_get(ld, item, "shelter");

	if (role == ROLE_SHELTER && sn == NULL)
		ld_err(ld, item->start_mark,
		    "%s: role shelter needs a 'shelter' key", path);
	else if (role != ROLE_SHELTER && role != ROLE_NONE && sn != NULL)
		ld_err(ld, sn->start_mark,
		    "%s.shelter: only allowed with role shelter", path);
}

static bool
ld_is_list(struct ld *ld, yaml_node_t *v, const char *path)
{
	if (v->type == YAML_SEQUENCE_NODE)
		return true;
	ld_err(ld, v->start_mark, "%s: must be a list", path);
	return false;
}

static void
key_peers(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	struct config *cfg = base;
	char sub[CONFIG_PATH_MAX];
	yaml_node_item_t *it;
	struct peer_conf *p;
	yaml_node_t *item;
	size_t i, n;

	if (!ld_is_list(ld, v, path))
		return;
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	free(cfg->peers);
	cfg->npeers = 0;
	if ((cfg->peers = calloc(n ? n : 1, sizeof *cfg->peers)) == NULL) {
		ld_err(ld, v->start_mark, "%s: out of memory", path);
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		item = ld_node(ld, *it);
		p = &cfg->peers[cfg->npeers];
		p->uid = (uid_t)-1;
		snprintf(sub, sizeof sub, "%s.%zu", path, cfg->npeers);
		ld_map(ld, item, sub, peer_keys, p);
		ld_role_shelter(ld, item, sub, p->role);
		for (i = 0; p->uid != (uid_t)-1 && i < cfg->npeers; i++)
			if (cfg->peers[i].uid == p->uid) {
				ld_err(ld, ld_get(ld, item, "uid")->start_mark,
				    "%s.uid: duplicate uid %lu", sub,
				    (unsigned long)p->uid);
				break;
			}
		cfg->npeers++;
	}
}

static void
key_tokens(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	struct config *cfg = base;
	char sub[CONFIG_PATH_MAX];
	yaml_node_item_t *it;
	struct token_conf *t;
	yaml_node_t *item;
	size_t i, n;

	if (!ld_is_list(ld, v, path))
		return;
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	free(cfg->tokens);
	cfg->ntokens = 0;
	if ((cfg->tokens = calloc(n ? n : 1, sizeof *cfg->tokens)) == NULL) {
		ld_err(ld, v->start_mark, "%s: out of memory", path);
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		item = ld_node(ld, *it);
		t = &cfg->tokens[cfg->ntokens];
		snprintf(sub, sizeof sub, "%s.%zu", path, cfg->ntokens);
		ld_map(ld, item, sub, token_keys, t);
		ld_role_shelter(ld, item, sub, t->role);
		for (i = 0; t->name[0] != '\0' && i < cfg->ntokens; i++)
			if (strcmp(cfg->tokens[i].name, t->name) == 0) {
				ld_err(ld, ld_get(ld, item, "name")->start_mark,
				    "%s.name: duplicate token name '%s'", sub,
				    t->name);
				break;
			}
		cfg->ntokens++;
	}
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
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static void
key_weights(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	int nerr = ld->nerr, i;

	ld_map(ld, v, path, weight_keys, base);
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
ld_name_list(struct ld *ld, yaml_node_t *v, const char *path,
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
key_residence(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	ld_name_list(ld, v, path, model_residence_parse, RESIDENCE_NONE + 1,
	    "reflection, b8_permit, asylum, eu, nl, unknown",
	    FIELD(unsigned, base, k));
}

static void
key_care(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	ld_name_list(ld, v, path, model_care_parse, 0,
	    "psychiatric, addiction, intellectual_disability, medical, "
	    "trauma, wheelchair, pregnancy",
	    FIELD(unsigned, base, k));
}

static const struct key rule_keys[] = {
    {"min_age", key_int, offsetof(struct program_rule, min_age), 0, 120, 0,
        NULL},
    {"residence", key_residence, offsetof(struct program_rule, residence), 0, 0,
        0, NULL},
    {"needs_any", key_care, offsetof(struct program_rule, needs_any), 0, 0, 0,
        NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* An entry replaces the defaults of its program; others keep theirs. */
static void
key_program(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;
	struct program_rule *r = &cfg->match.programs[k->min];

	r->set = true;
	r->min_age = -1;
	r->residence = 0;
	r->needs_any = 0;
	ld_map(ld, v, path, rule_keys, r);
}

static const struct key program_keys[] = {
    {"cosm", key_program, 0, PROGRAM_COSM, 0, 0, NULL},
    {"omm", key_program, 0, PROGRAM_OMM, 0, 0, NULL},
    {"crisis", key_program, 0, PROGRAM_CRISIS, 0, 0, NULL},
    {"screening", key_program, 0, PROGRAM_SCREENING, 0, 0, NULL},
    {"labour", key_program, 0, PROGRAM_LABOUR, 0, 0, NULL},
    {"regular", key_program, 0, PROGRAM_REGULAR, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* The sections */

#define C(f) offsetof(struct config, f)

static const struct key tls_keys[] = {
    {"cert", key_path, C(tls_cert), 0, 0, K_REQUIRED, NULL},
    {"key", key_path, C(tls_key), 0, 0, K_REQUIRED, NULL},
    {"client_ca", key_path, C(tls_client_ca), 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key listen_keys[] = {
    {"unix", key_path, C(listen_unix), 0, 0, K_SOCKET, NULL},
    {"unix_mode", key_mode, C(unix_mode), 0, 0, 0, NULL},
    {"tcp", key_tcp, 0, 0, 0, 0, NULL},
    {"port_file", key_path, C(port_file), 0, 0, 0, NULL},
    {"tls", key_map, 0, 0, 0, 0, tls_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static void
key_listen(struct ld *ld, yaml_node_t *v, const char *path, const struct key *k,
    void *base)
{
	yaml_node_t *tls = ld_get(ld, v, "tls");

	ld_map(ld, v, path, listen_keys, base);
	if (tls != NULL && ld_get(ld, v, "tcp") == NULL)
		ld_err(ld, tls->start_mark, "%s.tls: needs %s.tcp", path, path);
}

static const struct key redis_keys[] = {
    {"unix", key_path, C(redis_unix), 0, 0, K_SOCKET, NULL},
    {"host", key_str, C(redis_host), 0, 0, 0, NULL},
    {"port", key_int, C(redis_port), 1, 65535, 0, NULL},
    {"password", key_str, C(redis_password), 0, 0, K_NULL, NULL},
    {"prefix", key_str, C(redis_prefix), 0, 0, 0, NULL},
    {"require_durable", key_bool, C(require_durable), 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key auth_keys[] = {
    {"peers", key_peers, 0, 0, 0, 0, NULL},
    {"tokens", key_tokens, 0, 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key matching_keys[] = {
    {"hold_ttl_s", key_int, C(hold_ttl_s), 1, 604800, 0, NULL},
    {"alternatives", key_int, C(alternatives), 0, 10, 0, NULL},
    {"weights", key_weights, 0, 0, 0, 0, NULL},
    {"programs", key_map, 0, 0, 0, 0, program_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key limits_keys[] = {
    {"max_line_bytes", key_size, C(max_line_bytes), 64, 16777216, 0, NULL},
    {"max_clients", key_int, C(max_clients), 1, 1000000, 0, NULL},
    {"rate_per_s", key_num, C(rate_per_s), 0, 1000000, K_ABOVE, NULL},
    {"output_buffer_bytes", key_size, C(output_buffer_bytes), 1024, 1073741824,
        0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key log_keys[] = {
    {"level", key_level, C(log_level), 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key top_keys[] = {
    {"listen", key_listen, 0, 0, 0, 0, NULL},
    {"redis", key_map, 0, 0, 0, 0, redis_keys},
    {"auth", key_map, 0, 0, 0, 0, auth_keys},
    {"matching", key_map, 0, 0, 0, 0, matching_keys},
    {"limits", key_map, 0, 0, 0, 0, limits_keys},
    {"shelters", key_path, C(shelters_path), 0, 0, 0, NULL},
    {"gazetteer", key_path, C(gazetteer_path), 0, 0, 0, NULL},
    {"http", key_http, 0, 0, 0, 0, NULL},
    {"log", key_map, 0, 0, 0, 0, log_keys},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* Opening files */

/* The position of byte off in the text, for reader errors. */
static yaml_mark_t
ld_mark_at(struct ld *ld, size_t off)
{
	yaml_mark_t m = {0, 0, 0};
	size_t i;

	for (i = 0; i < off && i < ld->len; i++) {
		if (ld->text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	m.index = i;
	return m;
}

static void
ld_syntax(struct ld *ld, yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR) {
		config_errors_add(ld->errs, ld->file, 0, 0, "out of memory");
		ld->nerr++;
	} else if (p->error == YAML_READER_ERROR) {
		ld_err(ld, ld_mark_at(ld, p->problem_offset),
		    "invalid input: %s", p->problem ? p->problem : "?");
	} else if (p->context != NULL &&
	    p->context_mark.index == p->problem_mark.index) {
		ld_err(ld, p->problem_mark, "syntax error: %s (%s)",
		    p->problem ? p->problem : "?", p->context);
	} else if (p->context != NULL) {
		ld_err(ld, p->problem_mark,
		    "syntax error: %s (%s at line %zu, column %zu)",
		    p->problem ? p->problem : "?", p->context,
		    p->context_mark.line + 1, p->context_mark.column + 1);
	} else {
		ld_err(ld, p->problem_mark, "syntax error: %s",
		    p->problem ? p->problem : "?");
	}
}

static int
ld_read(struct ld *ld, const char *path)
{
	FILE *f;
	long size;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		config_errors_add(ld->errs, ld->file, 0, 0, "cannot open: %s",
		    strerror(errno));
		ld->nerr++;
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || size > CONFIG_FILE_MAX ||
	    (ld->text = malloc((size_t)size + 1)) == NULL) {
		config_errors_add(ld->errs, ld->file, 0, 0,
		    "cannot read (not a regular file, too large, or out of "
		    "memory)");
		ld->nerr++;
		fclose(f);
		return -1;
	}
	n = fread(ld->text, 1, (size_t)size, f);
	if (ferror(f)) {
		config_errors_add(ld->errs, ld->file, 0, 0, "cannot read: %s",
		    strerror(errno));
		ld->nerr++;
		fclose(f);
		return -1;
	}
	fclose(f);
	ld->text[n] = '\0';
	ld->len = n;
	return 0;
}

/*
 * The folder of path as written (a symlinked file resolves against the
 * link's folder), made canonical with realpath when possible.
 */
static char *
ld_folder(const char *path, bool *canonical)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	*canonical = false;
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	if ((real = realpath(dir, NULL)) == NULL)
		return dir;
	free(dir);
	*canonical = true;
	return real;
}

/* Read and parse path into ld->doc (a single YAML document). */
static int
ld_open(struct ld *ld, const char *path, struct config_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root;

	memset(ld, 0, sizeof *ld);
	ld->file = path;
	ld->errs = errs;
	if (ld_read(ld, path) < 0)
		return -1;
	if ((ld->dir = ld_folder(path, &ld->dir_canonical)) == NULL) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld->nerr++;
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld->nerr++;
		return -1;
	}
	yaml_parser_set_input_string(
	    &parser, (const unsigned char *)ld->text, ld->len);
	if (!yaml_parser_load(&parser, &ld->doc)) {
		ld_syntax(ld, &parser);
		yaml_parser_delete(&parser);
		return -1;
	}
	ld->have_doc = true;
	if (yaml_document_get_root_node(&ld->doc) != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			ld_syntax(ld, &parser);
		} else {
			if ((root = yaml_document_get_root_node(&extra)) !=
			    NULL)
				ld_err(ld, root->start_mark,
				    "only one YAML document is allowed");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	return ld->nerr ? -1 : 0;
}

static void
ld_close(struct ld *ld)
{
	if (ld->have_doc)
		yaml_document_delete(&ld->doc);
	free(ld->text);
	free(ld->dir);
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
	struct config *cfg = NULL;
	yaml_node_t *root;
	struct ld ld;

	if (ld_open(&ld, path, errs) < 0)
		goto out;
	if ((cfg = config_default()) == NULL ||
	    (cfg->path = strdup(path)) == NULL) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld.nerr++;
		goto out;
	}
	if ((root = yaml_document_get_root_node(&ld.doc)) != NULL)
		ld_map(&ld, root, "", top_keys, cfg);
out:
	ld_close(&ld);
	if (ld.nerr > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The shelters file */

/* A plain scalar as YAML means it; quoted scalars stay strings. */
static json_t *
ld_scalar_json(yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	long long i;
	double d;
	int b;

	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (ld_is_null(n))
			return json_null();
		if ((b = ld_bool_value(n)) >= 0)
			return json_boolean(b);
		if (ld_parse_ll(s, &i))
			return json_integer(i);
		if (ld_parse_num(s, &d))
			return json_real(d);
	}
	return json_stringn(s, len);
}

static json_t *ld_json(
    struct ld *ld, yaml_node_t *n, const char *path, int depth);

/* The pairs of mapping n into object j, for ld_json. */
static void
ld_json_pairs(
    struct ld *ld, yaml_node_t *n, json_t *j, const char *path, int depth)
{
	char sub[CONFIG_PATH_MAX];
	const char *in = path[0] ? " in " : "";
	yaml_node_pair_t *p;
	yaml_node_t *kn;
	const char *s;
	json_t *c;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		kn = ld_node(ld, p->key);
		if ((s = ld_scalar(kn)) == NULL ||
		    strlen(s) != kn->data.scalar.length) {
			ld_err(ld, kn->start_mark, "keys must be strings%s%s",
			    in, path);
			continue;
		}
		if (json_object_get(j, s) != NULL) {
			ld_err(ld, kn->start_mark, "duplicate key '%s'%s%s", s,
			    in, path);
			continue;
		}
		ld_join(sub, sizeof sub, path, s);
		c = ld_json(ld, ld_node(ld, p->value), sub, depth + 1);
		/* A value that failed still marks its key as seen. */
		if (json_object_set_new(j, s, c != NULL ? c : json_null()) < 0)
			ld_err(ld, kn->start_mark, "out of memory");
	}
}

/*
 * Convert node n to JSON; path names it for messages. Reports duplicate
 * keys, non-string keys, too deep nesting, and returns NULL after any
 * error in the subtree.
 */
static json_t *
ld_json(struct ld *ld, yaml_node_t *n, const char *path, int depth)
{
	char sub[CONFIG_PATH_MAX];
	yaml_node_item_t *it;
	json_t *j, *c;
	int nerr = ld->nerr;

	if (++ld->nodes > CONFIG_NODES_MAX) {
		if (ld->nodes == CONFIG_NODES_MAX + 1)
			ld_err(ld, n->start_mark,
			    "more than %d values (aliases expanded)",
			    CONFIG_NODES_MAX);
		return NULL;
	}
	if (depth > CONFIG_DEPTH_MAX) {
		ld_err(ld, n->start_mark, "nested deeper than %d levels",
		    CONFIG_DEPTH_MAX);
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if ((j = ld_scalar_json(n)) == NULL)
			ld_err(ld, n->start_mark,
			    "%s%scannot convert this value", path,
			    path[0] ? ": " : "");
		return j;
	case YAML_SEQUENCE_NODE:
		if ((j = json_array()) == NULL)
			break;
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			snprintf(sub, sizeof sub, "%s%s%ld", path,
			    path[0] ? "." : "",
			    (long)(it - n->data.sequence.items.start));
			c = ld_json(ld, ld_node(ld, *it), sub, depth + 1);
			if (c != NULL && json_array_append_new(j, c) < 0)
				ld_err(ld, n->start_mark, "out of memory");
		}
		break;
	case YAML_MAPPING_NODE:
		if ((j = json_object()) == NULL)
			break;
		ld_json_pairs(ld, n, j, path, depth);
		break;
	default:
		return NULL;
	}
	if (j == NULL) {
		ld_err(ld, n->start_mark, "out of memory");
		return NULL;
	}
	if (ld->nerr != nerr) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/*
 * The position of dotted field path under node n: the key of the last
 * component when at_key (an unknown field), else its value; the deepest
 * node that exists when the path goes further (a missing field).
 */
static yaml_mark_t
ld_locate(struct ld *ld, yaml_node_t *n, const char *field, bool at_key)
{
	char comp[CONFIG_PATH_MAX];
	const char *dot;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *next;
	size_t len;
	long long idx;

	while (*field != '\0') {
		dot = strchr(field, '.');
		len = dot ? (size_t)(dot - field) : strlen(field);
		if (len >= sizeof comp)
			break;
		memcpy(comp, field, len);
		comp[len] = '\0';
		next = NULL;
		if (n->type == YAML_MAPPING_NODE) {
			for (p = n->data.mapping.pairs.start;
			     p < n->data.mapping.pairs.top; p++) {
				yaml_node_t *kn = ld_node(ld, p->key);

				if (ld_scalar(kn) == NULL ||
				    strcmp(ld_scalar(kn), comp) != 0)
					continue;
				if (at_key && dot == NULL)
					return kn->start_mark;
				next = ld_node(ld, p->value);
				break;
			}
		} else if (n->type == YAML_SEQUENCE_NODE &&
		    ld_parse_ll(comp, &idx) && idx >= 0 &&
		    idx < n->data.sequence.items.top -
		            n->data.sequence.items.start) {
			it = n->data.sequence.items.start + idx;
			next = ld_node(ld, *it);
		}
		if (next == NULL)
			break;
		n = next;
		field = dot ? dot + 1 : field + len;
	}
	return n->start_mark;
}

/* Check one shelter node into *out; 0, or -1 with its error reported. */
static int
ld_shelter(struct ld *ld, yaml_node_t *item, const struct gazetteer *gaz,
    struct shelter *out)
{
	struct sh_error err;
	json_t *j;
	int rc;

	if (item->type != YAML_MAPPING_NODE) {
		ld_err(ld, item->start_mark,
		    "must be a shelter object (a mapping)");
		return -1;
	}
	if ((j = ld_json(ld, item, "", 1)) == NULL)
		return -1;
	memset(&err, 0, sizeof err);
	rc = model_shelter_parse(j, gaz, 0, out, &err);
	json_decref(j);
	if (rc < 0)
		ld_err(ld,
		    ld_locate(ld, item, err.field,
		        strcmp(err.reason, "unknown_field") == 0),
		    "%s", err.message);
	return rc;
}

/*
 * Load the shelters file at path (see config.h). An empty file is an empty
 * list. On success *out is a malloc'ed array (NULL when empty).
 */
int
config_load_shelters(const char *path, const struct gazetteer *gaz,
    struct shelter **out, size_t *n, struct config_errors *errs)
{
	struct shelter *v = NULL;
	yaml_node_t *root, *item, **nodes = NULL;
	yaml_node_item_t *it;
	yaml_node_t *first;
	size_t count = 0, i, cap;
	struct ld ld;

	*out = NULL;
	*n = 0;
	if (ld_open(&ld, path, errs) < 0)
		goto out;
	if ((root = yaml_document_get_root_node(&ld.doc)) == NULL)
		goto out;
	if (root->type != YAML_SEQUENCE_NODE) {
		ld_err(
		    &ld, root->start_mark, "must be a list of shelter objects");
		goto out;
	}
	cap = (size_t)(root->data.sequence.items.top -
	    root->data.sequence.items.start);
	if ((v = calloc(cap ? cap : 1, sizeof *v)) == NULL ||
	    (nodes = calloc(cap ? cap : 1, sizeof *nodes)) == NULL) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld.nerr++;
		goto out;
	}
	for (it = root->data.sequence.items.start;
	     it < root->data.sequence.items.top; it++) {
		item = ld_node(&ld, *it);
		if (ld_shelter(&ld, item, gaz, &v[count]) < 0)
			continue;
		for (i = 0; i < count; i++)
			if (strcmp(v[i].id, v[count].id) == 0)
				break;
		if (i < count) {
			first = ld_get(&ld, nodes[i], "id");
			ld_err(&ld, ld_get(&ld, item, "id")->start_mark,
			    "id: duplicate shelter id '%s' (first at line %zu)",
			    v[count].id, first->start_mark.line + 1);
			continue;
		}
		nodes[count++] = item;
	}
out:
	ld_close(&ld);
	free(nodes);
	if (ld.nerr > 0) {
		free(v);
		return -1;
	}
	if (count == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = count;
	return 0;
}
