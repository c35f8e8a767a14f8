/*
 * ctl_token.c: shelterctl token new, offline. A token is 32 random bytes
 * from /dev/urandom, written as 64 hex digits; the config keeps only its
 * sha256. The token is printed here and nowhere else, ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl.h"
#include "shelter/config.h"
#include "shelter/model.h"

#define CTL_TOKEN_BYTES 32

static int
ctl_token_random(unsigned char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	while (n < len) {
		r = read(fd, buf + n, len - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	return 0;
}

/* A name the config line can carry as a plain YAML scalar. */
static bool
ctl_token_valid_name(const char *s)
{
	static const char *const special[] = {
	    "true", "false", "yes", "no", "on", "off", "null"};
	size_t i, n = strlen(s);

	if (n == 0 || n >= 64 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	if (strspn(s,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789._-") != n)
		return false;
	for (i = 0; i < sizeof special / sizeof special[0]; i++)
		if (strcasecmp(s, special[i]) == 0)
			return false;
	return true;
}

/*
 * shelterctl token new --role R --name N [--shelter S]: print a new token
 * on the first line and the line for auth.tokens in shelterd.yaml on the
 * second (with --json: {token, name, role, shelter?, sha256}). No daemon.
 */
int
ctl_token_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"role", required_argument, NULL, 'r'},
	    {"name", required_argument, NULL, 'n'},
	    {"shelter", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *role = NULL, *name = NULL, *shelter = NULL;
	unsigned char raw[CTL_TOKEN_BYTES];
	char token[2 * CTL_TOKEN_BYTES + 1], hash[65];
	enum role r;
	json_t *out;
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			role = optarg;
		else if (ch == 'n')
			name = optarg;
		else if (ch == 's')
			shelter = optarg;
		else
			return ctl_usage(ctl, NULL);
	}
	if (optind >= argc)
		return ctl_usage(ctl, "missing 'new'");
	if (strcmp(argv[optind], "new") != 0)
		return ctl_usage(
		    ctl, "unknown subcommand '%s' (only 'new')", argv[optind]);
	if (optind + 1 < argc)
		return ctl_usage(
		    ctl, "unexpected argument '%s'", argv[optind + 1]);
	if (role == NULL || name == NULL)
		return ctl_usage(ctl, "--role and --name are required");
	r = config_role_parse(role);
	if (r == ROLE_NONE)
		return ctl_usage(ctl,
		    "--role: expected admin, coordinator, "
		    "shelter or service, got '%s'",
		    role);
	if (!ctl_token_valid_name(name))
		return ctl_usage(ctl,
		    "--name: expected a letter, then "
		    "letters, digits, '.', '_' or '-' (up to "
		    "63), not a YAML keyword");
	if (r == ROLE_SHELTER && shelter == NULL)
		return ctl_usage(ctl,
		    "--shelter is required for a shelter "
		    "token");
	if (r != ROLE_SHELTER && shelter != NULL)
		return ctl_usage(ctl, "--shelter is for shelter tokens only");
	if (shelter != NULL && !model_valid_id(shelter))
		return ctl_usage(
		    ctl, "--shelter: '%s' is not a shelter id", shelter);

	if (ctl_token_random(raw, sizeof raw) == -1)
		return ctl_fail(
		    "cannot read /dev/urandom: %s", strerror(errno));
	for (i = 0; i < sizeof raw; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	config_sha256_hex(token, strlen(token), hash);

	if (ctl->json) {
		out = json_pack("{s:s, s:s, s:s, s:s*, s:s}", "token", token,
		    "name", name, "role", config_role_name(r), "shelter",
		    shelter, "sha256", hash);
		explicit_bzero(token, sizeof token);
		if (out == NULL)
			return ctl_nomem();
		ctl_out_json(out);
		json_decref(out);
		return CTL_OK;
	}
	printf("%s\n", token);
	explicit_bzero(token, sizeof token);
	if (shelter != NULL)
		printf("- {name: %s, role: %s, shelter: %s, sha256: \"%s\"}\n",
		    name, config_role_name(r), shelter, hash);
	else
		printf("- {name: %s, role: %s, sha256: \"%s\"}\n", name,
		    config_role_name(r), hash);
	if (isatty(STDOUT_FILENO))
		fprintf(stderr,
		    "The token is shown only now: give it to its "
		    "holder. Add the second line under auth.tokens "
		    "and reload shelterd (SIGHUP).\n");
	return CTL_OK;
}
