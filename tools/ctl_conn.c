/*
 * ctl_conn.c: connecting shelterctl to shelterd: the Unix socket or TCP,
 * the token and session.auth, and calls that report their error.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "shelter/error.h"

#define CTL_TOKEN_MAX 512

/* Read the token from --token-file or $SHELTERCTL_TOKEN into buf; "" when
 * neither is given. 0, or -1 with err filled (the token never appears in
 * a message). */
static int
ctl_conn_token(
    const struct ctl *ctl, char *buf, size_t len, struct sh_error *err)
{
	const char *env;
	size_t n = 0;
	ssize_t r;
	int fd;

	buf[0] = '\0';
	if (ctl->token_file == NULL) {
		env = getenv("SHELTERCTL_TOKEN");
		if (env == NULL)
			return 0;
		n = strlen(env);
		if (n >= len)
			return sh_error_set(err, SH_INVALID_PARAMS, "bad_token",
			    NULL, "$SHELTERCTL_TOKEN is too long");
		memcpy(buf, env, n + 1);
	} else {
		fd = open(ctl->token_file, O_RDONLY | O_CLOEXEC);
		if (fd == -1)
			return sh_error_set(err, SH_INVALID_PARAMS, "bad_token",
			    NULL, "cannot read %s: %s", ctl->token_file,
			    strerror(errno));
		while (
		    n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) != 0) {
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1) {
				close(fd);
				return sh_error_set(err, SH_INVALID_PARAMS,
				    "bad_token", NULL, "cannot read %s: %s",
				    ctl->token_file, strerror(errno));
			}
			n += (size_t)r;
		}
		close(fd);
		buf[n] = '\0';
		/* The first line is the token. */
		buf[strcspn(buf, "\r\n")] = '\0';
	}
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (n == 0)
		return sh_error_set(err, SH_INVALID_PARAMS, "bad_token", NULL,
		    "%s holds no token",
		    ctl->token_file ? ctl->token_file : "$SHELTERCTL_TOKEN");
	return 0;
}

/*
 * Connect as the global options say (the Unix socket, or --connect
 * HOST:PORT) and, when a token is given (--token-file or
 * $SHELTERCTL_TOKEN), call session.auth with it. Returns the client, or
 * NULL with err filled: code SH_UNAVAILABLE for a connection that failed
 * (worth retrying), another code when the daemon refused the token.
 */
struct client *
ctl_conn_open(const struct ctl *ctl, struct sh_error *err)
{
	char token[CTL_TOKEN_MAX];
	struct client *c;
	json_t *params, *res;

	if (ctl_conn_token(ctl, token, sizeof token, err) == -1)
		return NULL;
	if (ctl->connect != NULL)
		c = client_connect(ctl->connect, 1, ctl->timeout_ms, err);
	else
		c = client_connect(ctl->socket, 0, ctl->timeout_ms, err);
	if (c == NULL || token[0] == '\0')
		return c;
	params = json_pack("{s:s}", "token", token);
	explicit_bzero(token, sizeof token);
	if (params == NULL) {
		client_close(c);
		sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
		return NULL;
	}
	res = client_call(c, "session.auth", params, err);
	if (res == NULL) {
		client_close(c);
		return NULL;
	}
	json_decref(res);
	return c;
}

/*
 * Call method on c with params (stolen). Returns the result (caller owns)
 * or NULL after printing the daemon's message as "shelterctl: MESSAGE".
 */
json_t *
ctl_conn_call(struct client *c, const char *method, json_t *params)
{
	struct sh_error err = {0};
	json_t *res;

	char buf[sizeof err.message + 32];

	res = client_call(c, method, params, &err);
	if (res == NULL)
		ctl_fail(
		    "%s", ctl_req_flag_message(err.message, buf, sizeof buf));
	return res;
}

/*
 * Connect, call method with params (stolen) and disconnect. On success
 * *result holds the result (caller owns) and CTL_OK is returned; else the
 * error is printed and CTL_FAIL returned.
 */
int
ctl_conn_run(
    const struct ctl *ctl, const char *method, json_t *params, json_t **result)
{
	struct sh_error err = {0};
	struct client *c;

	*result = NULL;
	c = ctl_conn_open(ctl, &err);
	if (c == NULL) {
		json_decref(params);
		return ctl_fail("%s", err.message);
	}
	*result = ctl_conn_call(c, method, params);
	client_close(c);
	return *result != NULL ? CTL_OK : CTL_FAIL;
}
