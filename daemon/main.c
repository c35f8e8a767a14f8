/*
 * main.c: flags, start-up, signals (graceful stop, reload) and the systemd
 * notify hooks around them.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "shelter/config.h"
#include "shelter/geo.h"

#include "alerts.h"
#include "audit.h"
#include "boot.h"
#include "call.h"
#include "dispatch.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "placement.h"
#include "server.h"
#include "shelterd.h"
#include "store.h"
#include "table.h"

/* Seconds a graceful stop may take before the rest is cut off. */
#define STOP_GRACE_S 4

/* What one read of the configuration gives. */
struct loaded {
	struct config *cfg;
	struct gazetteer *gaz;
	struct shelter *seed;
	size_t nseed;
};

static struct event *ev_term, *ev_int, *ev_hup, *ev_stop_timer;
static bool store_was_up;

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: shelterd [-t] -c FILE\n"
	    "       shelterd --version\n"
	    "  -c, --config FILE  the configuration (YAML)\n"
	    "  -t, --test         check the configuration and the shelters "
	    "file it names, then exit\n"
	    "  -h, --help         this text\n"
	    "      --version      print the version\n");
}

static void
main_loaded_free(struct loaded *l)
{
	config_free(l->cfg);
	geo_gazetteer_free(l->gaz);
	free(l->seed);
	memset(l, 0, sizeof *l);
}

/*
 * Load the config, the gazetteer and the seed shelters. 0, or -1 with
 * every error in errs.
 */
static int
main_load_all(const char *path, struct loaded *l, struct config_errors *errs)
{
	const char *gpath;
	char gerr[512];

	memset(l, 0, sizeof *l);
	if ((l->cfg = config_load_checked(path, errs)) == NULL)
		return -1;
	gpath = l->cfg->gazetteer_path != NULL ? l->cfg->gazetteer_path
	                                       : geo_default_path();
	if ((l->gaz = geo_gazetteer_load(gpath, gerr, sizeof gerr)) == NULL) {
		config_errors_add(errs, NULL, 0, 0, "%s", gerr);
		main_loaded_free(l);
		return -1;
	}
	if (l->cfg->shelters_path != NULL &&
	    config_load_shelters(l->cfg->shelters_path, l->gaz, 0, &l->seed,
	        &l->nseed, errs) == -1) {
		main_loaded_free(l);
		return -1;
	}
	return 0;
}

static bool
main_str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static bool
main_sentinels_differ(const struct config *o, const struct config *n)
{
	size_t i;

	if (o->nsentinels != n->nsentinels)
		return true;
	for (i = 0; i < o->nsentinels; i++)
		if (o->sentinels[i].port != n->sentinels[i].port ||
		    main_str_differs(
		        o->sentinels[i].host, n->sentinels[i].host))
			return true;
	return false;
}

/* Settings that only a restart applies. */
static void
main_reload_warn_restart(const struct config *o, const struct config *n)
{
	if (main_str_differs(o->listen_unix, n->listen_unix) ||
	    o->unix_mode != n->unix_mode ||
	    main_str_differs(o->listen_tcp_host, n->listen_tcp_host) ||
	    o->listen_tcp_port != n->listen_tcp_port ||
	    main_str_differs(o->port_file, n->port_file) ||
	    main_str_differs(o->tls_cert, n->tls_cert) ||
	    main_str_differs(o->tls_key, n->tls_key) ||
	    main_str_differs(o->tls_client_ca, n->tls_client_ca))
		log_warnx("reload: listen settings changed; they take effect "
		          "after a restart");
	if (main_str_differs(o->redis_unix, n->redis_unix) ||
	    main_str_differs(o->redis_host, n->redis_host) ||
	    o->redis_port != n->redis_port ||
	    main_str_differs(o->redis_password, n->redis_password) ||
	    main_str_differs(o->redis_user, n->redis_user) ||
	    main_str_differs(o->redis_prefix, n->redis_prefix) ||
	    o->require_durable != n->require_durable ||
	    main_sentinels_differ(o, n) ||
	    main_str_differs(o->redis_master_name, n->redis_master_name) ||
	    o->redis_min_replicas_ack != n->redis_min_replicas_ack)
		log_warnx("reload: redis settings changed; they take effect "
		          "after a restart");
	if (main_str_differs(o->http_host, n->http_host) ||
	    o->http_port != n->http_port ||
	    main_str_differs(o->http_tls_cert, n->http_tls_cert) ||
	    main_str_differs(o->http_tls_key, n->http_tls_key))
		log_warnx("reload: http changed; it takes effect after a "
		          "restart");
}

static void
main_on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct config_errors errs = {0};
	struct loaded l;
	size_t i;

	if (sd.stopping)
		return;
	/*
	 * Before the first READY=1 (the store never came up) systemd is still
	 * waiting for the start: a reload must not end it with READY=1.
	 */
	if (store_was_up)
		notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)clock_mono_us());
	log_info("reloading %s", sd.cfg->path);
	if (main_load_all(sd.cfg->path, &l, &errs) == -1) {
		for (i = 0; i < errs.n; i++)
			log_warnx("reload: %s", errs.v[i]);
		log_warnx("reload failed: keeping the running configuration");
		config_errors_free(&errs);
		if (store_was_up)
			notify_send("READY=1");
		return;
	}
	config_errors_free(&errs);
	main_reload_warn_restart(sd.cfg, l.cfg);
	config_free(sd.cfg);
	geo_gazetteer_free(sd.gaz);
	sd.cfg = l.cfg;
	sd.gaz = l.gaz;
	log_set_level(sd.cfg->log_level);
	server_reload(sd.cfg);
	boot_set_seed(l.seed, l.nseed);
	log_info("configuration reloaded (%zu seed shelters)", l.nseed);
	if (store_was_up)
		notify_send("READY=1");
}

static void
main_on_stopped(void)
{
	event_base_loopexit(sd.base, NULL);
}

static void
main_on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	log_warnx(
	    "stop: %d connections did not finish in time", server_nclients());
	event_base_loopbreak(sd.base);
}

static void
main_on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct timeval tv = {STOP_GRACE_S, 0};

	if (sd.stopping)
		return;
	log_info("stopping (signal %d)", (int)sig);
	notify_send("STOPPING=1");
	ev_stop_timer = evtimer_new(sd.base, main_on_stop_timeout, NULL);
	if (ev_stop_timer != NULL)
		evtimer_add(ev_stop_timer, &tv);
	http_stop();
	server_stop(main_on_stopped);
}

/* The table is loaded and the seed applied: we serve. */
static void
main_on_ready(void)
{
	notify_send("READY=1\nSTATUS=serving: connected to Redis");
}

static void
main_on_store_up(void)
{
	log_info("store up");
	if (!store_was_up) {
		store_was_up = true;
		events_start();
		placement_start();
		alerts_start();
		audit_start();
	}
	boot_store_up(main_on_ready);
}

static void
main_on_store_down(void)
{
	if (sd.stopping)
		return; /* we closed it ourselves */
	log_warnx("store down: calls that need it answer -32010 until it is "
	          "back");
	notify_send("STATUS=store unavailable, reconnecting");
}

static struct event *
main_signal_add(int sig, event_callback_fn cb)
{
	struct event *ev = evsignal_new(sd.base, sig, cb, NULL);

	if (ev == NULL || event_add(ev, NULL) == -1)
		fatalx("cannot watch signal %d", sig);
	return ev;
}

/* Everything after the loop: for a clean exit under valgrind. */
static void
main_shutdown_all(void)
{
	server_free();
	placement_stop();
	alerts_stop();
	audit_stop();
	store_stop();
	boot_free();
	table_free();
	table_refresh_free();
	notify_free();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	if (ev_stop_timer != NULL)
		event_free(ev_stop_timer);
	config_free(sd.cfg);
	geo_gazetteer_free(sd.gaz);
	event_base_free(sd.base);
	libevent_global_shutdown();
}

static void
main_print_errors(const struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->v[i]);
}

/* shelterd [-t] -c FILE | --version | -h: see main_usage(). */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"test", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct config_errors errs = {0};
	struct loaded l;
	const char *path = NULL;
	bool test = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:th", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'V':
			printf("shelterd %s\n", SHELTER_VERSION);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || path == NULL) {
		if (path == NULL)
			fprintf(stderr, "shelterd: -c FILE is required\n");
		else
			fprintf(stderr, "shelterd: unexpected argument %s\n",
			    argv[optind]);
		main_usage(stderr);
		return 2;
	}

	if (main_load_all(path, &l, &errs) == -1) {
		main_print_errors(&errs);
		config_errors_free(&errs);
		return 1;
	}
	config_errors_free(&errs);
	if (test) {
		if (l.cfg->debug_clock)
			fprintf(stderr,
			    "%s: warning: debug.clock is on: debug.advance "
			    "moves the clock of every time-based rule; never "
			    "enable it in production\n",
			    path);
		printf("configuration OK\n");
		main_loaded_free(&l);
		return 0;
	}

	log_init(l.cfg->log_level);
	sd.cfg = l.cfg;
	sd.gaz = l.gaz;
	sd.started_ms = clock_now_ms();
	if (sd.cfg->debug_clock)
		log_warnx("debug.clock is on: debug.advance moves the clock; "
		          "never enable it in production");
	if ((sd.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	signal(SIGPIPE, SIG_IGN);
	ev_term = main_signal_add(SIGTERM, main_on_stop);
	ev_int = main_signal_add(SIGINT, main_on_stop);
	ev_hup = main_signal_add(SIGHUP, main_on_hup);
	notify_init(sd.base);
	dispatch_on_caller_gone(events_caller_gone);
	call_on_end(audit_record);
	boot_set_seed(l.seed, l.nseed);

	/* Listen at once, so clients get -32010 while the store is away. */
	if (server_start() == -1 || http_start() == -1)
		fatalx("cannot listen; exiting");
	if (store_start(
	        sd.base, sd.cfg, main_on_store_up, main_on_store_down) == -1)
		fatalx("redis: bad address");
	log_info("shelterd %s started", SHELTER_VERSION);
	notify_send("STATUS=waiting for the store");

	if (event_base_dispatch(sd.base) == -1)
		log_warnx("event loop failed");
	log_info("stopped");
	main_shutdown_all();
	return 0;
}
