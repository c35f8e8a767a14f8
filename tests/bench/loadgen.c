/*
 * loadgen.c: a load generator for shelterd over TCP (PROTOCOL.md: JSON-RPC
 * 2.0, one JSON object per line, session.auth first).
 *
 * usage: loadgen --connect HOST:PORT --token T [--conns 50] [--requests N]
 *            [--method submit|capacity|ping|put] [--shelter ID] [--pool NAME]
 *            [--timeout S] [--places N] [--rate R] [--kind K]
 *            [--urgency U]
 *
 * put creates (or replaces) the fictional shelters bench-00000 ... with a mix
 * of programs, pools and Dutch coordinates: a way to seed a daemon. Their
 * women pool has N + i % 9 places, the men pool N / 2 + i % 5 (N: --places,
 * default 2, so a few hundred submits fill them).
 *
 * putx creates the shelter --shelter (default bench-x): program omm, care
 * intellectual_disability (which no put shelter offers), one pool "men"
 * for gender m that is full (total 1, occupied 1).
 *
 * submit --kind: normal (default; fits the put shelters), nofit (omm,
 * intellectual_disability, gender f: fits no shelter, waits) or fit (the
 * same for gender m: waits for a place in the putx shelter). --urgency
 * overrides the urgency (immediate, days, planned).
 *
 * watch: connection 0 subscribes to proposals; connection 1 raises the
 * total of --pool of --shelter by one (one more free place), waits for
 * the proposal.created event of that shelter, pauses 20 ms, N times.
 * Latency: from sending the capacity change to the event.
 *
 * Closed loop (default): every connection authenticates, then keeps
 * exactly one call outstanding until N calls have been answered in all.
 * Open loop (--rate R): N calls are due at R per second, round robin over
 * the connections, sent when due whatever is outstanding; latency counts
 * from when a call was due, and a call unanswered at the end (--timeout
 * after the last was due) counts as infinitely slow.
 *
 * Prints one line: calls, seconds, calls per second, latency p50/p99/max
 * in milliseconds ("inf" for unanswered) and the number of error
 * responses. Exit 0 when every call got a result, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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

enum lg_method { LG_SUBMIT, LG_CAPACITY, LG_PING, LG_PUT, LG_PUTX, LG_WATCH };
enum lg_kind { LG_NORMAL, LG_NOFIT, LG_FIT };
enum lg_state { LG_CONNECTING, LG_AUTH, LG_CALL, LG_DONE };

struct lg_conn {
	int fd;
	int index;
	enum lg_state state;
	char *in;
	size_t inlen, incap;
	char *out; /* pending bytes [outoff, outlen) */
	size_t outlen, outoff, outcap;
	long long sent_ns;
	unsigned seq;
	long outstanding;
};

struct lg {
	const char *host, *port, *token, *shelter, *pool, *urgency;
	enum lg_method method;
	enum lg_kind kind;
	int nconns, timeout_s;
	long total, issued, answered, errors;
	long long *lat; /* by call index; -1: unanswered */
	long long *due; /* by call index: when it was due (or sent) */
	long long start_ns, end_ns;
	double rate;    /* > 0: open loop */
	int pool_total; /* occupied alternates 0, 1 when >= 1, else stays 0 */
	int places;     /* put: base size of the pools */
	int epfd, open, authed;
	bool first_error_shown;
	long long watch_sent; /* watch: the change in flight (0: none) */
	long long watch_next; /* watch: when to send the next change */
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

/* Append n bytes to c's output. -1 on ENOMEM. */
static int
lg_queue(struct lg_conn *c, const char *p, int n)
{
	size_t cap;
	char *q;

	if (n <= 0)
		return -1;
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + (size_t)n > c->outcap) {
		cap = (c->outcap + (size_t)n) * 2;
		if ((q = realloc(c->out, cap)) == NULL)
			return -1;
		c->out = q;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, (size_t)n);
	c->outlen += (size_t)n;
	return 0;
}

/* shelter.put for shelter number i, call id k. */
static int
lg_format_put(struct lg *g, char *out, size_t size, long i, long k)
{
	static const char *const progs[] = {"regular", "crisis", "screening",
	    "labour", "regular", "cosm", "omm", "regular"};
	static const char *const care[] = {"[\"trauma\"]",
	    "[\"trauma\",\"psychiatric\"]", "[]", "[\"medical\",\"addiction\"]",
	    "[\"trauma\",\"pregnancy\"]"};

	return snprintf(out, size,
	    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"shelter.put\","
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
}

/* Format call number i (0-based; JSON id i + 1) for c into out. */
static int
lg_format(struct lg *g, struct lg_conn *c, char *out, size_t size, long i)
{
	static const char *const genders[] = {"f", "f", "m", "x"};
	static const char *const langs[] = {
	    "en", "ro", "bg", "pl", "uk", "es", "nl", "ar"};
	unsigned k = c->seq++;
	long id = i + 1;
	const char *urg = g->urgency != NULL ? g->urgency
	    : k % 3 == 0                     ? "immediate"
	                                     : "days";

	switch (g->method) {
	case LG_PING:
		return snprintf(out, size,
		    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":"
		    "\"session.ping\",\"params\":{}}\n",
		    id);
	case LG_CAPACITY:
		return snprintf(out, size,
		    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":"
		    "\"shelter.capacity\",\"params\":{\"id\":\"%s\","
		    "\"pools\":{\"%s\":{\"occupied\":%d}}}}\n",
		    id, g->shelter, g->pool,
		    g->pool_total > 0 ? (int)(k % 2) : 0);
	case LG_WATCH:
		return snprintf(out, size,
		    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":"
		    "\"shelter.capacity\",\"params\":{\"id\":\"%s\","
		    "\"pools\":{\"%s\":{\"total\":%ld}}}}\n",
		    id, g->shelter, g->pool, g->pool_total + id);
	case LG_PUT:
		return lg_format_put(g, out, size, i, id);
	case LG_PUTX:
		return snprintf(out, size,
		    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"shelter."
		    "put\","
		    "\"params\":{\"shelter\":{\"id\":\"%s\","
		    "\"name\":\"Bench shelter X\",\"organisation\":\"Example\","
		    "\"program\":\"omm\",\"location\":{\"lat\":52.1,\"lon\":5."
		    "1},"
		    "\"care\":[\"intellectual_disability\"],"
		    "\"languages\":[\"nl\",\"en\"],\"security\":\"standard\","
		    "\"intake\":{\"open\":true,\"always\":false},\"pools\":["
		    "{\"name\":\"men\",\"genders\":[\"m\"],\"min_age\":18,"
		    "\"max_age\":120,\"children_max\":0,\"boys_max_age\":0,"
		    "\"total\":1,\"occupied\":1}]}}}\n",
		    id, g->shelter);
	case LG_SUBMIT:
		break;
	}
	if (g->kind != LG_NORMAL)
		return snprintf(out, size,
		    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":"
		    "\"request.submit\",\"params\":{\"request\":{"
		    "\"ref\":\"LG-%ld-%d-%u\",\"program\":\"omm\","
		    "\"person\":{\"gender\":\"%s\",\"age\":30,"
		    "\"languages\":[\"nl\"]},\"urgency\":\"%s\","
		    "\"needs\":[\"intellectual_disability\"],"
		    "\"residence\":\"reflection\"}}}\n",
		    id, (long)getpid(), c->index, k,
		    g->kind == LG_FIT ? "m" : "f", urg);
	/* Fictional, unique per process, connection and call. */
	return snprintf(out, size,
	    "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":"
	    "\"request.submit\",\"params\":{\"request\":{"
	    "\"ref\":\"LG-%ld-%d-%u\",\"program\":\"any\","
	    "\"person\":{\"gender\":\"%s\",\"age\":%u,"
	    "\"languages\":[\"%s\"]},\"urgency\":\"%s\","
	    "\"residence\":\"reflection\"}}}\n",
	    id, (long)getpid(), c->index, k,
	    genders[(k + (unsigned)c->index) % 4], 18 + (k * 7) % 40,
	    langs[(k + (unsigned)c->index) % 8], urg);
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

/* Queue call number g->issued on c, due at due_ns, and send it. */
static int
lg_send(struct lg *g, struct lg_conn *c, long long due_ns)
{
	char line[2048];
	long i = g->issued++;

	g->due[i] = due_ns;
	c->outstanding++;
	if (g->start_ns == 0)
		g->start_ns = due_ns;
	if (lg_queue(c, line, lg_format(g, c, line, sizeof line, i)) == -1)
		return -1;
	return lg_flush(g, c);
}

/* Closed loop: issue the next call on c, or close it when all are. */
static int
lg_next(struct lg *g, struct lg_conn *c)
{
	if (g->issued >= g->total) {
		if (c->outstanding == 0)
			lg_close(g, c);
		return 0;
	}
	c->state = LG_CALL;
	return lg_send(g, c, lg_ns());
}

/* A response line: an error when "error" comes before any "result". */
static bool
lg_is_error(const char *line)
{
	const char *e = strstr(line, "\"error\":"),
	           *r = strstr(line, "\"result\":");

	return e != NULL && (r == NULL || e < r);
}

/* watch: the proposal.created event of the watched shelter. */
static void
lg_watch_event(struct lg *g, const char *line)
{
	char want[128];
	long long now = lg_ns();

	snprintf(want, sizeof want, "\"shelter_id\":\"%s\"", g->shelter);
	if (g->watch_sent == 0 ||
	    strstr(line, "\"type\":\"proposal.created\"") == NULL ||
	    strstr(line, want) == NULL)
		return;
	g->lat[g->answered++] = now - g->watch_sent;
	g->watch_sent = 0;
	g->watch_next = now + 20000000LL;
}

static const char lg_subscribe[] =
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"session.subscribe\","
    "\"params\":{\"topics\":[\"proposals\"]}}\n";

static int
lg_line(struct lg *g, struct lg_conn *c, const char *line)
{
	const char *p = strstr(line, "\"id\":");
	long id;
	bool err;

	if (strstr(line, "\"method\":\"event\"") != NULL) {
		if (g->method == LG_WATCH)
			lg_watch_event(g, line);
		return 0;
	}
	if (p == NULL)
		return 0;
	id = strtol(p + 5, NULL, 10);
	err = lg_is_error(line);
	if (err && !g->first_error_shown) {
		fprintf(stderr, "loadgen: first error: %.300s\n", line);
		g->first_error_shown = true;
	}
	if (c->state == LG_AUTH) {
		if (err)
			return -1;
		c->state = LG_CALL;
		g->authed++;
		if (g->method == LG_WATCH && c->index == 0)
			return lg_queue(c, lg_subscribe,
			           (int)strlen(lg_subscribe)) == -1
			    ? -1
			    : lg_flush(g, c);
		return g->rate > 0 || g->method == LG_WATCH ? 0 : lg_next(g, c);
	}
	if (g->method == LG_WATCH) {
		/* The event gives the figure. */
		if (id >= 1) {
			c->outstanding--;
			g->errors += err;
		}
		return 0;
	}
	if (id < 1 || id > g->issued || g->lat[id - 1] >= 0)
		return 0; /* not ours */
	c->outstanding--;
	if (err)
		g->errors++;
	g->lat[id - 1] = lg_ns() - g->due[id - 1];
	g->answered++;
	return g->rate > 0 ? 0 : lg_next(g, c);
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
	char line[512];
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
		if (lg_queue(c, line,
		        snprintf(line, sizeof line,
		            "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":"
		            "\"session.auth\",\"params\":{\"token\":\"%s\"}}\n",
		            g->token)) == -1 ||
		    lg_flush(g, c) == -1)
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
	    "               [--method submit|capacity|ping|put|putx|watch] "
	    "[--shelter ID]\n"
	    "               [--pool NAME] [--timeout S] [--places N] "
	    "[--rate R]\n"
	    "               [--kind normal|nofit|fit] "
	    "[--urgency immediate|days|planned]\n");
	exit(2);
}

/* A positive number, or usage. */
static double
lg_num(const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > max)
		lg_usage();
	return v;
}

/* Send what is due now; returns ms until the next send (-1: none). */
static int
lg_tick(struct lg *g, struct lg_conn *conns, long long t0)
{
	long long now = lg_ns(), due;
	struct lg_conn *c;

	if (g->method == LG_WATCH) {
		if (g->authed < 2 || g->issued >= g->total)
			return -1;
		if (g->watch_sent != 0)
			return 1;
		if (now < g->watch_next)
			return (int)((g->watch_next - now) / 1000000) + 1;
		g->watch_sent = now;
		if (lg_send(g, &conns[1], now) == -1)
			lg_close(g, &conns[1]);
		return 1;
	}
	if (g->rate <= 0 || g->authed < g->nconns)
		return -1;
	while (g->issued < g->total) {
		due = t0 + (long long)(g->issued * 1e9 / g->rate);
		/* Sleep at least 1 ms, then send all that came due: waiting
		 * 0 ms for a call due in under 1 ms spun the generator on a
		 * core the daemon and Redis need (latency still counts from
		 * when each call was due). */
		if (due > now)
			return (int)((due - now + 999999) / 1000000);
		c = &conns[g->issued % g->nconns];
		if (c->fd == -1) {
			g->issued++; /* lost: counted as unanswered */
			continue;
		}
		if (lg_send(g, c, due) == -1)
			lg_close(g, c);
	}
	return -1;
}

/* Latency i of the sorted list in ms, or "inf" when unanswered. */
static const char *
lg_ms(const struct lg *g, long i, char *buf, size_t size)
{
	if (g->lat[i] == LLONG_MAX)
		return "inf";
	snprintf(buf, size, "%.2f", g->lat[i] / 1e6);
	return buf;
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
	    {"rate", required_argument, NULL, 'R'},
	    {"kind", required_argument, NULL, 'k'},
	    {"urgency", required_argument, NULL, 'u'},
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
	char b50[32], b99[32], bmax[32];
	char *colon;
	long long deadline, now, t0 = 0, last;
	double secs;
	long answered;
	int o, i, n, wait_ms;

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
			g.nconns = (int)lg_num(optarg, 100000);
			break;
		case 'r':
			g.total = (long)lg_num(optarg, 1e8);
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
			else if (strcmp(optarg, "putx") == 0)
				g.method = LG_PUTX;
			else if (strcmp(optarg, "watch") == 0)
				g.method = LG_WATCH;
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
			g.timeout_s = (int)lg_num(optarg, 3600);
			break;
		case 'P':
			g.places = (int)lg_num(optarg, 10000);
			break;
		case 'R':
			g.rate = lg_num(optarg, 1e7);
			break;
		case 'k':
			if (strcmp(optarg, "normal") == 0)
				g.kind = LG_NORMAL;
			else if (strcmp(optarg, "nofit") == 0)
				g.kind = LG_NOFIT;
			else if (strcmp(optarg, "fit") == 0)
				g.kind = LG_FIT;
			else
				lg_usage();
			break;
		case 'u':
			if (strcmp(optarg, "immediate") != 0 &&
			    strcmp(optarg, "days") != 0 &&
			    strcmp(optarg, "planned") != 0)
				lg_usage();
			g.urgency = optarg;
			break;
		default:
			lg_usage();
		}
	}
	if (optind < argc)
		lg_usage();
	if (g.method == LG_PUTX && g.shelter == NULL)
		g.shelter = "bench-x";
	if (g.method == LG_WATCH) {
		if (g.shelter == NULL)
			g.shelter = "bench-x";
		g.nconns = 2;
		g.rate = 0;
	}
	if (g.host == NULL || g.token == NULL ||
	    (g.method == LG_CAPACITY && g.shelter == NULL))
		lg_usage();
	if (strlen(g.token) > 256 || (g.shelter && strlen(g.shelter) > 64) ||
	    (g.pool && strlen(g.pool) > 32))
		lg_usage();
	if ((g.method == LG_CAPACITY || g.method == LG_WATCH) &&
	    g.pool == NULL && lg_discover_pool(&g) == -1)
		return 1;
	if (g.method == LG_WATCH && g.pool_total < 0)
		return 1;

	g.lat = calloc((size_t)g.total, sizeof *g.lat);
	g.due = calloc((size_t)g.total, sizeof *g.due);
	conns = calloc((size_t)g.nconns, sizeof *conns);
	if (g.lat == NULL || g.due == NULL || conns == NULL ||
	    (g.epfd = epoll_create1(0)) == -1) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	for (i = 0; i < g.total; i++)
		g.lat[i] = -1;
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
	/* Open loop: the schedule, then --timeout after the last was due
	 * (set once the last is sent); a deadline of --timeout alone ended
	 * a schedule as long as it before its last calls were sent. Watch:
	 * each change has --timeout for its event and a 20 ms pause (a
	 * deadline of --timeout alone cut 200 changes off after 60). */
	deadline = lg_ns() + (long long)g.timeout_s * 1000000000LL +
	    (g.rate > 0 ? (long long)(g.total * 1e9 / g.rate) : 0) +
	    (g.method == LG_WATCH
	            ? g.total * (20000000LL + g.timeout_s * 1000000000LL)
	            : 0);
	last = 0;
	while (g.open > 0 && (now = lg_ns()) < deadline) {
		if (t0 == 0 && g.authed == g.nconns) {
			t0 = now + (g.method == LG_WATCH ? 200000000LL : 0);
			g.watch_next = t0;
		}
		wait_ms = t0 != 0 ? lg_tick(&g, conns, t0) : -1;
		if (g.rate > 0 && g.issued >= g.total && last == 0) {
			/* Open loop: --timeout after the last was due. */
			last = g.due[g.total - 1];
			deadline = last + (long long)g.timeout_s * 1000000000LL;
		}
		if (g.method == LG_WATCH && g.watch_sent != 0 &&
		    now - g.watch_sent > (long long)g.timeout_s * 1000000000LL)
			break; /* the event never came */
		if (g.issued >= g.total &&
		    (g.method == LG_WATCH ? g.answered >= g.total
		                          : g.answered >= g.issued))
			break;
		if (wait_ms < 0 || wait_ms > (deadline - now) / 1000000 + 1)
			wait_ms = (int)((deadline - now) / 1000000) + 1;
		n = epoll_wait(g.epfd, evs, 64, wait_ms);
		if (n == -1 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			lg_event(&g, evs[i].data.ptr, evs[i].events);
	}
	g.end_ns = lg_ns();
	for (i = 0; i < g.nconns; i++) {
		lg_close(&g, &conns[i]);
		free(conns[i].in);
		free(conns[i].out);
	}
	close(g.epfd);

	answered = g.answered;
	if (answered == 0 || g.total == 0) {
		printf("%s: no call answered (%ld issued)\n", mname, g.issued);
		return 1;
	}
	for (i = 0; i < g.total; i++)
		if (g.lat[i] < 0)
			g.lat[i] = LLONG_MAX; /* unanswered: infinitely slow */
	qsort(g.lat, (size_t)g.total, sizeof *g.lat, lg_cmp);
	secs = (g.end_ns - g.start_ns) / 1e9;
	printf("%s: %d conns%s, %ld calls in %.2f s: %.0f calls/s, "
	       "p50 %s ms, p99 %s ms, max %s ms, %ld errors, %ld "
	       "unanswered%s\n",
	    mname, g.nconns, g.rate > 0 ? " open loop" : "", answered, secs,
	    answered / secs, lg_ms(&g, g.total / 2, b50, sizeof b50),
	    lg_ms(&g, (g.total * 99 + 99) / 100 - 1, b99, sizeof b99),
	    lg_ms(&g, g.total - 1, bmax, sizeof bmax), g.errors,
	    g.total - answered,
	    answered < g.total ? " (timed out or connections lost)" : "");
	free(g.lat);
	free(g.due);
	free(conns);
	return answered == g.total && g.errors == 0 ? 0 : 1;
}
