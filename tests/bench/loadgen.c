/*
 * loadgen.c: a load generator for shelterd over TCP (PROTOCOL.md: JSON-RPC
 * 2.0, one JSON object per line, session.auth first).
 *
 * usage: loadgen --connect HOST:PORT --token T [--conns 50] [--requests N]
 *            [--method submit|capacity|ping|put] [--shelter ID] [--pool NAME]
 *            [--timeout S] [--places N]
 *
 * put creates (or replaces) the fictional shelters bench-00000 ... with a mix
 * of programs, pools and Dutch coordinates: a way to seed a daemon. Their
 * women pool has N + i % 9 places, the men pool N / 2 + i % 5 (N: --places,
 * default 2, so a few hundred submits fill them).
 *
 * Every connection authenticates, then keeps exactly one call outstanding
 * until N calls have been answered in all. Prints one line: calls, seconds,
 * calls per second, latency p50/p99/max in milliseconds and the number of
 * error responses. Exit 0 when every call got a result, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

enum lg_method { LG_SUBMIT, LG_CAPACITY, LG_PING, LG_PUT };
enum lg_state { LG_CONNECTING, LG_AUTH, LG_CALL, LG_DONE };

struct lg_conn {
	int fd;
	int index;
	enum lg_state state;
	char *in;
	size_t inlen, incap;
	char out[1024];
	size_t outlen, outoff;
	long long sent_ns;
	unsigned seq;
};

struct lg {
	const char *host, *port, *token, *shelter, *pool;
	enum lg_method method;
	int nconns, timeout_s;
	long total, issued, answered, errors;
	long long *lat;
	long long start_ns, end_ns;
	int pool_total; /* occupied alternates 0, 1 when >= 1, else stays 0 */
	int places;     /* put: base size of the pools */
	int epfd, open;
	bool first_error_shown;
};

static long long
lg_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
lg_connect(const struct lg *g, bool blocking)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(g->host, g->port, &hints, &res)) != 0) {
		fprintf(stderr, "loadgen: %s:%s: %s\n", g->host, g->port,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | (blocking ? 0 : SOCK_NONBLOCK),
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (!blocking && errno == EINPROGRESS))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fprintf(stderr, "loadgen: cannot connect to %s:%s\n", g->host,
		    g->port);
	return fd;
}

/* shelter.put for shelter number g->issued - 1 (ids are global). */
static void
lg_format_put(struct lg *g, struct lg_conn *c, unsigned k)
{
	static const char *const progs[] = {"regular", "crisis", "screening",
	    "labour", "regular", "cosm", "omm", "regular"};
	static const char *const care[] = {"[\"trauma\"]",
	    "[\"trauma\",\"psychiatric\"]", "[]", "[\"medical\",\"addiction\"]",
	    "[\"trauma\",\"pregnancy\"]"};
	long i = g->issued - 1;
	int n;

	n = snprintf(c->out, sizeof c->out,
	    "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"shelter.put\","
	    "\"params\":{\"shelter\":{\"id\":\"bench-%05ld\","
	    "\"name\":\"Bench shelter %ld\",\"organisation\":\"Example\","
	    "\"program\":\"%s\",\"location\":{\"lat\":%.4f,\"lon\":%.4f},"
	    "\"care\":%s,\"languages\":[\"nl\",\"en\"],"
	    "\"security\":\"%s\",\"intake\":{\"open\":true,"
	    "\"always\":false},\"pools\":["
	    "{\"name\":\"women\",\"genders\":[\"f\",\"x\"],\"min_age\":18,"
	    "\"max_age\":120,\"children_max\":2,\"boys_max_age\":12,"
	    "\"total\":%ld,\"occupied\":0},"
	    "{\"name\":\"men\",\"genders\":[\"m\"],\"min_age\":18,"
	    "\"max_age\":120,\"children_max\":0,\"boys_max_age\":0,"
	    "\"total\":%ld,\"occupied\":0}]}}}\n",
	    k, i, i, progs[i % 8], 50.8 + (i * 37 % 250) / 100.0,
	    3.6 + (i * 53 % 350) / 100.0, care[i % 5],
	    i % 4 == 0 ? "protected" : "standard", g->places + i % 9,
	    (g->places + 1) / 2 + i % 5);
	c->outlen = n > 0 && (size_t)n < sizeof c->out ? (size_t)n : 0;
	c->outoff = 0;
}

/* Format the next line to send on c into c->out. */
static void
lg_format(struct lg *g, struct lg_conn *c, bool auth)
{
	static const char *const genders[] = {"f", "f", "m", "x"};
	static const char *const langs[] = {
	    "en", "ro", "bg", "pl", "uk", "es", "nl", "ar"};
	unsigned k = c->seq++;
	int n;

	if (auth) {
		n = snprintf(c->out, sizeof c->out,
		    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":"
		    "\"session.auth\",\"params\":{\"token\":\"%s\"}}\n",
		    g->token);
	} else if (g->method == LG_PING) {
		n = snprintf(c->out, sizeof c->out,
		    "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":"
		    "\"session.ping\",\"params\":{}}\n",
		    k);
	} else if (g->method == LG_CAPACITY) {
		n = snprintf(c->out, sizeof c->out,
		    "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":"
		    "\"shelter.capacity\",\"params\":{\"id\":\"%s\","
		    "\"pools\":{\"%s\":{\"occupied\":%d}}}}\n",
		    k, g->shelter, g->pool,
		    g->pool_total > 0 ? (int)(k % 2) : 0);
	} else if (g->method == LG_PUT) {
		lg_format_put(g, c, k);
		return;
	} else {
		/* Fictional, unique per process, connection and call. */
		n = snprintf(c->out, sizeof c->out,
		    "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":"
		    "\"request.submit\",\"params\":{\"request\":{"
		    "\"ref\":\"LG-%ld-%d-%u\",\"program\":\"any\","
		    "\"person\":{\"gender\":\"%s\",\"age\":%u,"
		    "\"languages\":[\"%s\"]},\"urgency\":\"%s\","
		    "\"residence\":\"reflection\"}}}\n",
		    k, (long)getpid(), c->index, k,
		    genders[(k + (unsigned)c->index) % 4], 18 + (k * 7) % 40,
		    langs[(k + (unsigned)c->index) % 8],
		    k % 3 == 0 ? "immediate" : "days");
	}
	c->outlen = n > 0 && (size_t)n < sizeof c->out ? (size_t)n : 0;
	c->outoff = 0;
}

static void
lg_close(struct lg *g, struct lg_conn *c)
{
	if (c->fd != -1) {
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		g->open--;
	}
	c->state = LG_DONE;
}

static int
lg_watch(struct lg *g, struct lg_conn *c, bool out)
{
	struct epoll_event ev = {
	    .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

	return epoll_ctl(g->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is pending; returns -1 when the connection failed. */
static int
lg_flush(struct lg *g, struct lg_conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return lg_watch(g, c, true);
		return -1;
	}
	return lg_watch(g, c, false);
}

/* Issue the next call on c, or close it when all calls are issued. */
static int
lg_next(struct lg *g, struct lg_conn *c)
{
	if (g->issued >= g->total) {
		lg_close(g, c);
		return 0;
	}
	g->issued++;
	lg_format(g, c, false);
	c->state = LG_CALL;
	c->sent_ns = lg_ns();
	if (g->start_ns == 0)
		g->start_ns = c->sent_ns;
	return lg_flush(g, c);
}

/* A response line: an error when "error" comes before any "result". */
static bool
lg_is_error(const char *line)
{
	const char *e = strstr(line, "\"error\":"),
	           *r = strstr(line, "\"result\":");

	return e != NULL && (r == NULL || e < r);
}

static int
lg_line(struct lg *g, struct lg_conn *c, const char *line)
{
	bool err;

	if (strstr(line, "\"id\":") == NULL)
		return 0; /* a notification */
	err = lg_is_error(line);
	if (err && !g->first_error_shown) {
		fprintf(stderr, "loadgen: first error: %.300s\n", line);
		g->first_error_shown = true;
	}
	if (c->state == LG_AUTH) {
		if (err)
			return -1;
		return lg_next(g, c);
	}
	if (c->state != LG_CALL)
		return 0;
	g->lat[g->answered++] = lg_ns() - c->sent_ns;
	if (err)
		g->errors++;
	return lg_next(g, c);
}

static int
lg_read(struct lg *g, struct lg_conn *c)
{
	char *nl, *p, *line;
	size_t used;
	ssize_t n;

	for (;;) {
		if (c->incap - c->inlen < 4096) {
			p = realloc(c->in, c->incap * 2 + 8192);
			if (p == NULL)
				return -1;
			c->in = p;
			c->incap = c->incap * 2 + 8192;
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen - 1);
		if (n == 0)
			return -1;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->inlen += (size_t)n;
	}
	c->in[c->inlen] = '\0';
	line = c->in;
	while ((nl = memchr(line, '\n', c->inlen - (line - c->in))) != NULL) {
		*nl = '\0';
		if (lg_line(g, c, line) == -1)
			return -1;
		line = nl + 1;
		if (c->state == LG_DONE)
			return 0;
	}
	used = (size_t)(line - c->in);
	memmove(c->in, line, c->inlen - used);
	c->inlen -= used;
	return 0;
}

static void
lg_event(struct lg *g, struct lg_conn *c, unsigned events)
{
	int soerr = 0;
	socklen_t len = sizeof soerr;

	if (c->state == LG_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr != 0) {
			if (!g->first_error_shown)
				fprintf(stderr, "loadgen: connect: %s\n",
				    strerror(soerr));
			g->first_error_shown = true;
			lg_close(g, c);
			return;
		}
		c->state = LG_AUTH;
		lg_format(g, c, true);
		if (lg_flush(g, c) == -1)
			lg_close(g, c);
		return;
	}
	if ((events & EPOLLOUT) && lg_flush(g, c) == -1) {
		lg_close(g, c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && lg_read(g, c) == -1)
		lg_close(g, c);
}

/* For capacity: learn the first pool of the shelter when none was named. */
static int
lg_discover_pool(struct lg *g)
{
	char buf[65536], line[512];
	json_t *j, *pools, *p;
	json_error_t jerr;
	size_t len = 0;
	ssize_t n;
	int fd, lines = 0;
	char *nl;

	if ((fd = lg_connect(g, true)) == -1)
		return -1;
	snprintf(line, sizeof line,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"session.auth\","
	    "\"params\":{\"token\":\"%s\"}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"shelter.get\","
	    "\"params\":{\"id\":\"%s\"}}\n",
	    g->token, g->shelter);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return -1;
	}
	while (lines < 2 && len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		lines = 0;
		for (nl = buf; (nl = strchr(nl, '\n')) != NULL; nl++)
			lines++;
	}
	close(fd);
	if (lines < 2)
		return -1;
	j = json_loads(strchr(buf, '\n') + 1, JSON_DISABLE_EOF_CHECK, &jerr);
	pools = json_object_get(
	    json_object_get(json_object_get(j, "result"), "shelter"), "pools");
	p = json_array_get(pools, 0);
	if (p == NULL || !json_is_string(json_object_get(p, "name"))) {
		fprintf(
		    stderr, "loadgen: shelter %s: no pool found\n", g->shelter);
		json_decref(j);
		return -1;
	}
	g->pool = strdup(json_string_value(json_object_get(p, "name")));
	g->pool_total = (int)json_integer_value(json_object_get(p, "total"));
	json_decref(j);
	return g->pool == NULL ? -1 : 0;
}

static int
lg_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void
lg_usage(void)
{
	fprintf(stderr,
	    "usage: loadgen --connect HOST:PORT --token T [--conns 50] "
	    "[--requests N]\n"
	    "               [--method submit|capacity|ping|put] [--shelter ID] "
	    "[--pool NAME] [--timeout S]\n"
	    "               [--places N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"connect", required_argument, NULL, 'c'},
	    {"token", required_argument, NULL, 't'},
	    {"conns", required_argument, NULL, 'n'},
	    {"requests", required_argument, NULL, 'r'},
	    {"method", required_argument, NULL, 'm'},
	    {"shelter", required_argument, NULL, 's'},
	    {"pool", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"places", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	struct lg g = {.nconns = 50,
	    .total = 10000,
	    .timeout_s = 120,
	    .method = LG_SUBMIT,
	    .pool_total = 1,
	    .places = 2};
	struct epoll_event evs[64], ev;
	struct lg_conn *conns;
	static char hostbuf[256];
	const char *mname = "submit";
	char *colon;
	long long deadline, now;
	double secs;
	int o, i, n;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			snprintf(hostbuf, sizeof hostbuf, "%s", optarg);
			if ((colon = strrchr(hostbuf, ':')) == NULL)
				lg_usage();
			*colon = '\0';
			g.host = hostbuf;
			g.port = colon + 1;
			break;
		case 't':
			g.token = optarg;
			break;
		case 'n':
			g.nconns = atoi(optarg);
			break;
		case 'r':
			g.total = atol(optarg);
			break;
		case 'm':
			mname = optarg;
			if (strcmp(optarg, "submit") == 0)
				g.method = LG_SUBMIT;
			else if (strcmp(optarg, "capacity") == 0)
				g.method = LG_CAPACITY;
			else if (strcmp(optarg, "ping") == 0)
				g.method = LG_PING;
			else if (strcmp(optarg, "put") == 0)
				g.method = LG_PUT;
			else
				lg_usage();
			break;
		case 's':
			g.shelter = optarg;
			break;
		case 'p':
			g.pool = optarg;
			break;
		case 'T':
			g.timeout_s = atoi(optarg);
			break;
		case 'P':
			g.places = atoi(optarg);
			break;
		default:
			lg_usage();
		}
	}
	if (g.host == NULL || g.token == NULL || g.nconns < 1 || g.total < 1 ||
	    g.timeout_s < 1 || g.places < 1 || g.places > 10000 ||
	    (g.method == LG_CAPACITY && g.shelter == NULL))
		lg_usage();
	if (strlen(g.token) > 256 || (g.shelter && strlen(g.shelter) > 64) ||
	    (g.pool && strlen(g.pool) > 32))
		lg_usage();
	if (g.method == LG_CAPACITY && g.pool == NULL &&
	    lg_discover_pool(&g) == -1)
		return 1;

	g.lat = calloc((size_t)g.total, sizeof *g.lat);
	conns = calloc((size_t)g.nconns, sizeof *conns);
	if (g.lat == NULL || conns == NULL ||
	    (g.epfd = epoll_create1(0)) == -1) {
		fprintf(stderr, "loadgen: out of memory\n");
		free(g.lat);
		free(conns);
		return 1;
	}
	for (i = 0; i < g.nconns; i++)
		conns[i].fd = -1;
	for (i = 0; i < g.nconns; i++) {
		conns[i].index = i;
		conns[i].state = LG_CONNECTING;
		if ((conns[i].fd = lg_connect(&g, false)) == -1)
			break;
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.ptr = &conns[i];
		g.open++;
		if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, conns[i].fd, &ev) == -1) {
			lg_close(&g, &conns[i]);
			break;
		}
	}
	if (i < g.nconns) /* connect failed: stop before starting */
		g.total = 0;
	deadline = lg_ns() + (long long)g.timeout_s * 1000000000LL;
	while (g.open > 0 && (now = lg_ns()) < deadline) {
		n = epoll_wait(
		    g.epfd, evs, 64, (int)((deadline - now) / 1000000) + 1);
		if (n == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			lg_event(&g, evs[i].data.ptr, evs[i].events);
	}
	g.end_ns = lg_ns();
	for (i = 0; i < g.nconns; i++) {
		lg_close(&g, &conns[i]);
		free(conns[i].in);
	}
	close(g.epfd);

	if (g.answered == 0) {
		printf("%s: no call answered (%ld issued)\n", mname, g.issued);
		free(g.lat);
		free(conns);
		return 1;
	}
	qsort(g.lat, (size_t)g.answered, sizeof *g.lat, lg_cmp);
	secs = (g.end_ns - g.start_ns) / 1e9;
	printf("%s: %d conns, %ld calls in %.2f s: %.0f calls/s, "
	       "p50 %.2f ms, p99 %.2f ms, max %.2f ms, %ld errors%s\n",
	    mname, g.nconns, g.answered, secs, g.answered / secs,
	    g.lat[g.answered / 2] / 1e6,
	    g.lat[(g.answered * 99 + 99) / 100 - 1] / 1e6,
	    g.lat[g.answered - 1] / 1e6, g.errors,
	    g.answered < g.total ? " (timed out or connections lost)" : "");
	free(g.lat);
	free(conns);
	return g.answered == g.total && g.errors == 0 ? 0 : 1;
}
