/*
 * client.c: a small blocking JSON-RPC client (include/shelter/client.h).
 *
 * One call is outstanding at a time: the request goes out, then lines are
 * read until the response with its id arrives. Notifications read meanwhile
 * are queued in arrival order. Every wait is a poll() bounded by the
 * client's timeout, so a silent daemon cannot hang a caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shelter/client.h"

/* A response or notification larger than this is treated as a broken
 * connection rather than grown without bound. */
#define CLIENT_MAX_LINE (64u * 1024 * 1024)

struct client {
	int fd;
	int timeout_ms;
	long long next_id;
	char *buf; /* bytes read, not yet consumed */
	size_t len, cap;
	json_t *queue; /* notifications, oldest first */
	bool broken;   /* io failed: every later call fails fast */
};

static long long
client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: no deadline), for poll(). */
static int
client_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - client_now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static int
client_io_error(struct client *c, struct sh_error *err, const char *what)
{
	if (c != NULL)
		c->broken = true;
	return sh_error_set(err, SH_UNAVAILABLE, "io", NULL, "%s", what);
}

/* Wait until fd is ready for events; 0, or -1 with err (timeout / io). */
static int
client_wait(int fd, short events, long long deadline, struct sh_error *err)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;

	for (;;) {
		n = poll(&pfd, 1, client_left(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return sh_error_set(err, SH_UNAVAILABLE, "timeout",
			    NULL, "no answer from shelterd in time");
		if (errno != EINTR)
			return sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
			    "poll: %s", strerror(errno));
	}
}

static int
client_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

static int
client_open_unix(const char *path, struct sh_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
		    "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL, "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
		    "cannot connect to %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (client_set_nonblock(fd) == -1) {
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL, "fcntl: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Split "HOST:PORT" or "[V6]:PORT" into host and port. */
static int
client_split_target(
    const char *target, char *host, size_t hostlen, const char **port)
{
	const char *colon, *end;
	size_t n;

	if (target[0] == '[') {
		end = strchr(target, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		target++;
		colon = end + 1;
		n = (size_t)(end - target);
	} else {
		colon = strrchr(target, ':');
		if (colon == NULL)
			return -1;
		n = (size_t)(colon - target);
	}
	if (n == 0 || n >= hostlen || colon[1] == '\0')
		return -1;
	memcpy(host, target, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

/* Non-blocking connect to one address, bounded by deadline. */
static int
client_try_addr(
    const struct addrinfo *ai, long long deadline, struct sh_error *err)
{
	int fd, one = 1, soerr = 0, idle = 30, intvl = 10, cnt = 3;
	socklen_t len = sizeof soerr;

	fd = socket(
	    ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
		    "socket: %s", strerror(errno));
	if (client_set_nonblock(fd) == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		if (client_wait(fd, POLLOUT, deadline, err) == -1) {
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* A watcher waits for events without a deadline: keepalive notices a
	 * peer that vanished without closing, within about a minute. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	return fd;
fail:
	sh_error_set(err, SH_UNAVAILABLE, "io", NULL, "%s", strerror(errno));
	close(fd);
	return -1;
}

static int
client_open_tcp(const char *target, long long deadline, struct sh_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char host[256];
	const char *port;
	int fd = -1, rc;

	if (client_split_target(target, host, sizeof host, &port) == -1) {
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
		    "%s: expected HOST:PORT", target);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
		    "cannot resolve %s: %s", target, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = client_try_addr(ai, deadline, err);
	freeaddrinfo(res);
	if (fd == -1) {
		char why[sizeof err->message];

		snprintf(why, sizeof why, "%s", err->message);
		sh_error_set(err, SH_UNAVAILABLE, "io", NULL,
		    "cannot connect to %s: %s", target, why);
	}
	return fd;
}

/*
 * Connect to target: a Unix socket path, or "HOST:PORT" (IPv6 as
 * "[ADDR]:PORT") when tcp is true, trying every address getaddrinfo gives.
 * timeout_ms bounds the connect and later each call; 0 means no bound.
 * Returns a client the caller closes with client_close, or NULL with err
 * filled (code SH_UNAVAILABLE, reason "io" or "timeout").
 */
struct client *
client_connect(
    const char *target, int tcp, int timeout_ms, struct sh_error *err)
{
	struct client *c;
	long long deadline = -1;
	int fd;

	if (timeout_ms > 0)
		deadline = client_now_ms() + timeout_ms;
	c = calloc(1, sizeof *c);
	if (c == NULL) {
		sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
		return NULL;
	}
	c->queue = json_array();
	if (c->queue == NULL) {
		free(c);
		sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
		return NULL;
	}
	fd = tcp ? client_open_tcp(target, deadline, err)
	         : client_open_unix(target, err);
	if (fd == -1) {
		json_decref(c->queue);
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	return c;
}

/*
 * Close the connection and free everything, queued notifications included.
 * c may be NULL.
 */
void
client_close(struct client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	json_decref(c->queue);
	free(c->buf);
	free(c);
}

static int
client_send_all(struct client *c, const char *p, size_t len, long long deadline,
    struct sh_error *err)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (client_wait(c->fd, POLLOUT, deadline, err) == -1) {
				c->broken = true;
				return -1;
			}
			continue;
		}
		return sh_error_set(err, SH_UNAVAILABLE, "io", NULL, "send: %s",
		    strerror(errno));
	}
	return 0;
}

/*
 * Take the next complete line out of the buffer, reading as needed. Empty
 * lines are skipped. Returns a malloc'ed NUL-terminated line (without "\n"
 * or "\r\n"), or NULL with err filled.
 */
static char *
client_read_line(struct client *c, long long deadline, struct sh_error *err)
{
	char *nl, *line, *p;
	size_t n;
	ssize_t r;

	for (;;) {
		while (
		    c->len > 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
			n = (size_t)(nl - c->buf);
			line = NULL;
			if (n > 0 && c->buf[n - 1] == '\r')
				n--;
			if (n > 0) {
				line = malloc(n + 1);
				if (line == NULL) {
					sh_error_set(err, SH_INTERNAL,
					    "internal", NULL, "out of memory");
					return NULL;
				}
				memcpy(line, c->buf, n);
				line[n] = '\0';
			}
			c->len -= (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len);
			if (line != NULL)
				return line;
		}
		if (c->len >= CLIENT_MAX_LINE) {
			client_io_error(c, err, "reply line too long");
			return NULL;
		}
		if (c->cap - c->len < 4096) {
			n = c->cap == 0 ? 16384 : c->cap * 2;
			p = realloc(c->buf, n);
			if (p == NULL) {
				sh_error_set(err, SH_INTERNAL, "internal", NULL,
				    "out of memory");
				return NULL;
			}
			c->buf = p;
			c->cap = n;
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0) {
			client_io_error(
			    c, err, "connection closed by shelterd");
			return NULL;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			char what[96];

			snprintf(
			    what, sizeof what, "recv: %s", strerror(errno));
			client_io_error(c, err, what);
			return NULL;
		}
		if (client_wait(c->fd, POLLIN, deadline, err) == -1) {
			if (strcmp(err->reason, "io") == 0)
				c->broken = true;
			return NULL;
		}
	}
}

/* Read one message: a JSON object, or NULL with err filled. */
static json_t *
client_read_msg(struct client *c, long long deadline, struct sh_error *err)
{
	json_t *msg;
	char *line;

	line = client_read_line(c, deadline, err);
	if (line == NULL)
		return NULL;
	msg = json_loads(line, 0, NULL);
	free(line);
	if (json_is_object(msg))
		return msg;
	json_decref(msg);
	client_io_error(c, err,
	    "shelterd sent a line that is not a JSON "
	    "object");
	return NULL;
}

/* Fill err from a JSON-RPC error object. */
static void
client_fill_error(const json_t *e, struct sh_error *err)
{
	json_t *data = json_object_get(e, "data");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *reason = json_string_value(json_object_get(data, "reason"));
	const char *field = json_string_value(json_object_get(data, "field"));

	if (err == NULL)
		return;
	err->code = (int)json_integer_value(json_object_get(e, "code"));
	snprintf(err->reason, sizeof err->reason, "%s", reason ? reason : "");
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	snprintf(err->message, sizeof err->message, "%s",
	    msg ? msg : "shelterd refused the call");
}

static bool
client_is_notification(const json_t *msg)
{
	return json_object_get(msg, "id") == NULL &&
	    json_is_string(json_object_get(msg, "method"));
}

/*
 * Call method with params (stolen; NULL means {}) and wait for its
 * response, at most the client's timeout. Returns the result (a new
 * reference), or NULL with err filled from the error response, or with
 * code SH_UNAVAILABLE and reason "io" (connection failed) or "timeout".
 * Notifications that arrive meanwhile are queued for
 * client_next_notification. After an io error every call fails at once.
 */
json_t *
client_call(
    struct client *c, const char *method, json_t *params, struct sh_error *err)
{
	json_t *req, *msg, *id, *res;
	long long deadline = -1, myid;
	char *text;
	int rc;

	if (params == NULL)
		params = json_object();
	if (c->broken) {
		json_decref(params);
		client_io_error(c, err, "connection to shelterd lost");
		return NULL;
	}
	myid = ++c->next_id;
	req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
	    (json_int_t)myid, "method", method, "params", params);
	if (req == NULL) {
		sh_error_set(err, SH_INTERNAL, "internal", NULL,
		    "cannot encode %s", method);
		return NULL;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		sh_error_set(err, SH_INTERNAL, "internal", NULL,
		    "cannot encode %s", method);
		return NULL;
	}
	if (c->timeout_ms > 0)
		deadline = client_now_ms() + c->timeout_ms;
	/* The compact form has no raw newline: one line on the wire. */
	rc = client_send_all(c, text, strlen(text), deadline, err);
	if (rc == 0)
		rc = client_send_all(c, "\n", 1, deadline, err);
	free(text);
	if (rc == -1) {
		c->broken = true;
		return NULL;
	}
	for (;;) {
		msg = client_read_msg(c, deadline, err);
		if (msg == NULL) {
			if (err != NULL && strcmp(err->reason, "timeout") == 0)
				snprintf(err->message, sizeof err->message,
				    "no answer from shelterd to %s within "
				    "%d.%03ds",
				    method, c->timeout_ms / 1000,
				    c->timeout_ms % 1000);
			return NULL;
		}
		if (client_is_notification(msg)) {
			if (json_array_append_new(c->queue, msg) == -1) {
				sh_error_set(err, SH_INTERNAL, "internal", NULL,
				    "out of memory");
				return NULL;
			}
			continue;
		}
		id = json_object_get(msg, "id");
		/* id null: the daemon could not read our id (a line or
		 * envelope error); with one call outstanding it is ours.
		 * Another id is a late answer to a call that timed out. */
		if (json_is_integer(id) && json_integer_value(id) != myid) {
			json_decref(msg);
			continue;
		}
		if ((res = json_object_get(msg, "result")) != NULL &&
		    json_is_integer(id)) {
			json_incref(res);
			json_decref(msg);
			return res;
		}
		if (json_is_object(json_object_get(msg, "error")))
			client_fill_error(json_object_get(msg, "error"), err);
		else
			sh_error_set(err, SH_INTERNAL, "internal", NULL,
			    "shelterd sent a malformed response to %s", method);
		json_decref(msg);
		return NULL;
	}
}

/*
 * The next notification, a whole message {"jsonrpc", "method", "params"}
 * (a new reference): the oldest queued one, else one read from the
 * connection, waiting up to timeout_ms (-1: forever, 0: only what is already
 * there). Responses read meanwhile are dropped: no call is outstanding.
 * NULL on timeout or error (err->reason "timeout" / "io").
 */
json_t *
client_next_notification(struct client *c, int timeout_ms, struct sh_error *err)
{
	long long deadline = -1;
	json_t *msg;

	if (json_array_size(c->queue) > 0) {
		msg = json_incref(json_array_get(c->queue, 0));
		json_array_remove(c->queue, 0);
		return msg;
	}
	if (c->broken) {
		client_io_error(c, err, "connection to shelterd lost");
		return NULL;
	}
	if (timeout_ms >= 0)
		deadline = client_now_ms() + timeout_ms;
	for (;;) {
		msg = client_read_msg(c, deadline, err);
		if (msg == NULL)
			return NULL;
		if (client_is_notification(msg))
			return msg;
		json_decref(msg);
	}
}
