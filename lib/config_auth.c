/*
 * config_auth.c: the auth section of shelterd.yaml, peers (Unix uids) and
 * tokens (sha256 of the secret), each with a role and, for role shelter,
 * its shelter.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_auth.h"
#include "key.h"
#include "ld.h"

static void
config_auth_uid(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	const char *s = ld_plain(v);
	long long n;

	if (s == NULL || !ld_parse_ll(s, &n) || n < 0 || n > 4294967294LL) {
		ld_err(ld, v->start_mark,
		    "%s: must be an integer from 0 to 4294967294", path);
		return;
	}
	*KEY_FIELD(uid_t, base, k) = (uid_t)n;
}

static void
config_auth_role(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	const char *s = ld_scalar(v);
	enum role r = s ? config_role_parse(s) : ROLE_NONE;

	if (r == ROLE_NONE) {
		ld_err(ld, v->start_mark,
		    "%s: must be one of admin, coordinator, shelter, service",
		    path);
		return;
	}
	*KEY_FIELD(enum role, base, k) = r;
}

static void
config_auth_shelter_id(struct ld *ld, yaml_node_t *v, const char *path,
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
	memcpy(KEY_FIELD(char, base, k), s, strlen(s) + 1);
}

static void
config_auth_token_name(struct ld *ld, yaml_node_t *v, const char *path,
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
	memcpy(KEY_FIELD(char, base, k), s, len + 1);
}

static int
config_auth_hexval(char c)
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
config_auth_sha256(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	const char *s = ld_scalar(v);
	unsigned char *out = KEY_FIELD(unsigned char, base, k);
	int i, hi, lo;

	if (s != NULL && strlen(s) == 64) {
		for (i = 0; i < 32; i++) {
			hi = config_auth_hexval(s[2 * i]);
			lo = config_auth_hexval(s[2 * i + 1]);
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
    {"uid", config_auth_uid, offsetof(struct peer_conf, uid), 0, 0, K_REQUIRED,
        NULL},
    {"role", config_auth_role, offsetof(struct peer_conf, role), 0, 0,
        K_REQUIRED, NULL},
    {"shelter", config_auth_shelter_id, offsetof(struct peer_conf, shelter), 0,
        0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

static const struct key token_keys[] = {
    {"name", config_auth_token_name, offsetof(struct token_conf, name), 0, 0,
        K_REQUIRED, NULL},
    {"role", config_auth_role, offsetof(struct token_conf, role), 0, 0,
        K_REQUIRED, NULL},
    {"shelter", config_auth_shelter_id, offsetof(struct token_conf, shelter), 0,
        0, 0, NULL},
    {"sha256", config_auth_sha256, offsetof(struct token_conf, sha256), 0, 0,
        K_REQUIRED, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};

/* A role shelter names its shelter; no other role may. */
static void
config_auth_role_shelter(
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

/* How to read one list of the auth section. */
struct auth_list {
	const struct key *keys;
	size_t size;     /* of an element */
	size_t role_off; /* of its enum role */
	void (*init)(void *e);
	/* Is e a duplicate of the earlier element a? Reported if so. */
	bool (*dup)(struct ld *ld, yaml_node_t *item, const char *path,
	    const void *a, const void *e);
};

/*
 * The elements of list v as a new array (NULL with the error reported on
 * ENOMEM) and their number in *count, each walked with l->keys, its role
 * and shelter checked, and checked against the ones before it.
 */
static void *
config_auth_list(struct ld *ld, yaml_node_t *v, const char *path,
    const struct auth_list *l, size_t *count)
{
	char sub[LD_PATH_MAX], *arr, *e;
	yaml_node_item_t *it;
	yaml_node_t *item;
	size_t i, n;

	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	*count = 0;
	if ((arr = calloc(n ? n : 1, l->size)) == NULL) {
		ld_err(ld, v->start_mark, "%s: out of memory", path);
		return NULL;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		item = ld_node(ld, *it);
		e = arr + *count * l->size;
		if (l->init != NULL)
			l->init(e);
		snprintf(sub, sizeof sub, "%s.%zu", path, *count);
		key_walk(ld, item, sub, l->keys, e);
		config_auth_role_shelter(
		    ld, item, sub, *(enum role *)(void *)(e + l->role_off));
		for (i = 0; i < *count; i++)
			if (l->dup(ld, item, sub, arr + i * l->size, e))
				break;
		(*count)++;
	}
	return arr;
}

/* A peer without a uid (an error already) is nobody's duplicate. */
static void
config_auth_peer_init(void *e)
{
	((struct peer_conf *)e)->uid = (uid_t)-1;
}

static bool
config_auth_peer_dup(struct ld *ld, yaml_node_t *item, const char *path,
    const void *a, const void *e)
{
	const struct peer_conf *p = e;

	if (p->uid == (uid_t)-1 || ((const struct peer_conf *)a)->uid != p->uid)
		return false;
	ld_err(ld, ld_get(ld, item, "uid")->start_mark,
	    "%s.uid: duplicate uid %lu", path, (unsigned long)p->uid);
	return true;
}

static bool
config_auth_token_dup(struct ld *ld, yaml_node_t *item, const char *path,
    const void *a, const void *e)
{
	const struct token_conf *t = e;

	if (t->name[0] == '\0' ||
	    strcmp(((const struct token_conf *)a)->name, t->name) != 0)
		return false;
	ld_err(ld, ld_get(ld, item, "name")->start_mark,
	    "%s.name: duplicate token name '%s'", path, t->name);
	return true;
}

static const struct auth_list peer_list = {peer_keys, sizeof(struct peer_conf),
    offsetof(struct peer_conf, role), config_auth_peer_init,
    config_auth_peer_dup};

static const struct auth_list token_list = {token_keys,
    sizeof(struct token_conf), offsetof(struct token_conf, role), NULL,
    config_auth_token_dup};

static void
config_auth_peers(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;

	if (!ld_is_list(ld, v, path))
		return;
	free(cfg->peers);
	cfg->peers = config_auth_list(ld, v, path, &peer_list, &cfg->npeers);
}

static void
config_auth_tokens(struct ld *ld, yaml_node_t *v, const char *path,
    const struct key *k, void *base)
{
	struct config *cfg = base;

	if (!ld_is_list(ld, v, path))
		return;
	free(cfg->tokens);
	cfg->tokens = config_auth_list(ld, v, path, &token_list, &cfg->ntokens);
}

/* The auth section. */
const struct key config_auth_keys[] = {
    {"peers", config_auth_peers, 0, 0, 0, 0, NULL},
    {"tokens", config_auth_tokens, 0, 0, 0, 0, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL},
};
