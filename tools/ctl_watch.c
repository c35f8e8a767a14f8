/*
 * ctl_watch.c: shelterctl watch, live events one per line. It remembers the
 * id of the last event it printed; when the connection drops it reconnects
 * with backoff and subscribes again with since = that id, so no event is
 * lost, and it skips any event not newer than that id, so none is printed
 * twice.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "shelter/error.h"
#include "shelter/evid.h"
#include "shelter/vocab.h"

#define CTL_WATCH_BACKOFF_MIN_MS 250
#define CTL_WATCH_BACKOFF_MAX_MS 8000

/* With no topic named: every topic the most trusted role sees, then what
 * a shelter, then what a service may see, until one is allowed (a
 * forbidden topic refuses the whole subscribe). */
static const enum role ctl_watch_roles[] = {
    ROLE_ADMIN, ROLE_SHELTER, ROLE_SERVICE};
#define CTL_WATCH_NROLES (sizeof ctl_watch_roles / sizeof ctl_watch_roles[0])

struct ctl_watch {
	const char *const *topics; /* NULL: the defaults */
	char last[64];             /* id of the last event printed, or "" */
	bool subscribed;           /* a subscribe succeeded once */
	long long count, printed;  /* --count (0: forever), events printed */
};

/* Compare event ids "MS-SEQ" as numbers: <0, 0, >0. An id that does not
 * parse counts as 0-0 (the daemon refuses such a --since anyway). */
static int
ctl_watch_cmp(const char *a, const char *b)
{
	struct evid ia = {0, 0}, ib = {0, 0};

	if (evid_parse(a, &ia) == -1)
		ia = (struct evid){0, 0};
	if (evid_parse(b, &ib) == -1)
		ib = (struct evid){0, 0};
	return evid_cmp(&ia, &ib);
}

/* The topics to ask for into arr: the ones named, else the defaults of
 * ctl_watch_roles[k]. 0, or -1 on ENOMEM. */
static int
ctl_watch_topics(const struct ctl_watch *w, size_t k, json_t *arr)
{
	unsigned bits;
	int i;

	if (w->topics != NULL) {
		for (i = 0; w->topics[i] != NULL; i++)
			if (json_array_append_new(
			        arr, json_string(w->topics[i])) == -1)
				return -1;
		return 0;
	}
	bits = vocab_role_topics(ctl_watch_roles[k]);
	for (i = 0; i < VOCAB_TOPIC_COUNT; i++)
		if ((bits & VOCAB_TOPIC_BIT(i)) != 0 &&
		    json_array_append_new(
		        arr, json_string(vocab_topic_name(i))) == -1)
			return -1;
	return 0;
}

/* The free places of a capacity.changed: "free women 2/10, family 0/4". */
static void
ctl_watch_pools(const json_t *pools, char *buf, size_t len)
{
	const json_t *p;
	size_t i, n = 0;

	n = (size_t)snprintf(buf, len, "free/total ");
	json_array_foreach(pools, i, p)
	{
		if (n >= len)
			break;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %lld/%lld",
		    i > 0 ? ", " : "", ctl_out_str(p, "name"),
		    (long long)json_integer_value(json_object_get(p, "free")),
		    (long long)json_integer_value(json_object_get(p, "total")));
	}
}

/* The width of the TYPE column: the longest event type name. */
static int
ctl_watch_type_width(void)
{
	static int w;
	int i, n;

	if (w > 0)
		return w;
	for (i = 0; i < VOCAB_EVENT_COUNT; i++)
		if ((n = (int)strlen(vocab_event_name(i))) > w)
			w = n;
	return w;
}

/* One line for people, in aligned columns: event id, time, type and
 * what happened. */
static void
ctl_watch_print(const json_t *ev)
{
	const char *type = ctl_out_str(ev, "type");
	const json_t *d = json_object_get(ev, "data"), *p;
	char buf[512], score[32], at[64];
	char *text;

	printf("%-15s  %s  %-*s  ", ctl_out_str(ev, "id"),
	    ctl_time_stamp(
	        json_string_value(json_object_get(ev, "at")), at, sizeof at),
	    ctl_watch_type_width(), type);
	if (strncmp(type, "proposal.", 9) == 0) {
		p = json_object_get(d, "proposal");
		printf("%s for %s: %s, pool %s, score %s\n",
		    ctl_out_str(p, "id"), ctl_out_str(d, "request_id"),
		    ctl_out_str(p, "shelter_id"), ctl_out_str(p, "pool"),
		    ctl_out_score(
		        json_object_get(p, "score"), score, sizeof score));
	} else if (strncmp(type, "request.", 8) == 0) {
		printf("%s (ref %s) %s\n", ctl_out_str(d, "request_id"),
		    ctl_out_str(d, "ref"), ctl_out_str(d, "status"));
	} else if (strcmp(type, "capacity.changed") == 0) {
		ctl_watch_pools(json_object_get(d, "pools"), buf, sizeof buf);
		printf("%s version %lld: %s\n", ctl_out_str(d, "shelter_id"),
		    (long long)json_integer_value(
		        json_object_get(d, "version")),
		    buf);
	} else if (strcmp(type, "shelter.intake") == 0) {
		printf("%s %s%s%s\n", ctl_out_str(d, "shelter_id"),
		    json_is_true(json_object_get(d, "open")) ? "open"
		                                             : "closed",
		    json_is_string(json_object_get(d, "reason")) ? ": " : "",
		    json_is_string(json_object_get(d, "reason"))
		        ? ctl_out_str(d, "reason")
		        : "");
	} else if (strncmp(type, "placement.", 10) == 0) {
		printf("%s at %s, pool %s\n", ctl_out_str(d, "request_id"),
		    ctl_out_str(d, "shelter_id"), ctl_out_str(d, "pool"));
	} else {
		text = json_dumps(d, JSON_COMPACT);
		printf("%s\n", text ? text : "");
		free(text);
	}
}

/* Subscribe on c; fills err on failure. 0 or -1. */
static int
ctl_watch_subscribe(struct client *c, struct ctl_watch *w, struct sh_error *err)
{
	json_t *params, *res;
	size_t k, nk;
	const char *last;

	nk = w->topics != NULL ? 1 : CTL_WATCH_NROLES;
	for (k = 0; k < nk; k++) {
		params = json_pack("{s:[]}", "topics");
		if (params == NULL ||
		    ctl_watch_topics(w, k, json_object_get(params, "topics")) ==
		        -1) {
			json_decref(params);
			return sh_error_set(err, SH_INTERNAL, "internal", NULL,
			    "out of memory");
		}
		/* After the first subscribe, resume after the last event
		 * printed, or after the newest one when none was ("0-0": the
		 * stream was empty then). */
		if (w->last[0] != '\0' || w->subscribed)
			json_object_set_new(params, "since",
			    json_string(w->last[0] ? w->last : "0-0"));
		res = client_call(c, "session.subscribe", params, err);
		if (res != NULL) {
			last =
			    json_string_value(json_object_get(res, "last_id"));
			if (w->last[0] == '\0' && !w->subscribed &&
			    last != NULL)
				snprintf(w->last, sizeof w->last, "%s", last);
			w->subscribed = true;
			json_decref(res);
			return 0;
		}
		if (err->code != SH_FORBIDDEN)
			return -1;
	}
	return -1;
}

/* Print the events of c until the connection fails (returns -1 with err)
 * or --count is reached (returns 0). */
static int
ctl_watch_loop(const struct ctl *ctl, struct client *c, struct ctl_watch *w,
    struct sh_error *err)
{
	const json_t *params;
	const char *id;
	json_t *msg;
	char *text;

	while (w->count == 0 || w->printed < w->count) {
		msg = client_next_notification(c, -1, err);
		if (msg == NULL)
			return -1;
		params = json_object_get(msg, "params");
		id = json_string_value(json_object_get(params, "id"));
		if (strcmp(ctl_out_str(msg, "method"), "event") != 0 ||
		    id == NULL ||
		    (w->last[0] != '\0' && ctl_watch_cmp(id, w->last) <= 0)) {
			json_decref(msg);
			continue;
		}
		if (ctl->json) {
			text = json_dumps(
			    params, JSON_COMPACT | JSON_REAL_PRECISION(15));
			printf("%s\n", text ? text : "");
			free(text);
		} else {
			ctl_watch_print(params);
		}
		fflush(stdout);
		snprintf(w->last, sizeof w->last, "%s", id);
		w->printed++;
		json_decref(msg);
	}
	return 0;
}

static void
ctl_watch_sleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * shelterctl watch [--since ID] [--count N] [TOPIC...]: print events until
 * interrupted (or N were printed). A refused subscribe or token is exit 1;
 * a lost connection is retried with backoff, forever.
 */
int
ctl_watch_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"since", required_argument, NULL, 's'},
	    {"count", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_watch w = {0};
	struct sh_error err = {0};
	struct client *c;
	int ch, backoff = CTL_WATCH_BACKOFF_MIN_MS;
	bool ever = false;
	char *end;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 's') {
			snprintf(w.last, sizeof w.last, "%s", optarg);
		} else if (ch == 'n') {
			errno = 0;
			w.count = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    w.count < 1)
				return ctl_usage(ctl,
				    "--count: expected a "
				    "positive number, got "
				    "'%s'",
				    optarg);
		} else {
			return ctl_usage(ctl, NULL);
		}
	}
	if (optind < argc)
		w.topics = (const char *const *)&argv[optind];

	for (;;) {
		c = ctl_conn_open(ctl, &err);
		if (c != NULL && ctl_watch_subscribe(c, &w, &err) == 0) {
			/* Said where the printed events go on; JSON lines
			 * stay JSON on stdout. */
			if (ever)
				fprintf(ctl->json ? stderr : stdout,
				    "%sreconnected, resumed after %s\n",
				    ctl->json ? "shelterctl: " : "",
				    w.last[0] != '\0' ? w.last : "the start");
			fflush(stdout);
			ever = true;
			backoff = CTL_WATCH_BACKOFF_MIN_MS;
			if (ctl_watch_loop(ctl, c, &w, &err) == 0) {
				client_close(c);
				return CTL_OK;
			}
		}
		client_close(c);
		/* Refusals are final; so is a daemon never reached. */
		if (err.code != SH_UNAVAILABLE || !ever)
			return ctl_fail("%s", err.message);
		fprintf(stderr, "shelterctl: %s; reconnecting in %d.%ds\n",
		    err.message, backoff / 1000, backoff % 1000 / 100);
		ctl_watch_sleep(backoff);
		backoff = backoff * 2 > CTL_WATCH_BACKOFF_MAX_MS
		    ? CTL_WATCH_BACKOFF_MAX_MS
		    : backoff * 2;
	}
}
