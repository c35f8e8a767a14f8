/*
 * shelterctl.c: the command-line client of shelterd. Global options, the
 * command table, help and exit codes; the commands live in ctl_*.c.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shelter/model.h"
#include "shelter/vocab.h"

#ifndef SHELTER_VERSION
#define SHELTER_VERSION "dev"
#endif

struct command {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	const char *args;    /* synopsis after the name */
	const char *summary; /* one line for the command list */
	const char *help;    /* options and details, or NULL */
	bool values;         /* help lists the allowed request values */
};

#define REPORT_DIMS_HELP                                                       \
	"kind, sector, nationality, age_band, referrer, region, gender,\n"     \
	"                minor_dutch"

#define REQUEST_FLAGS                                                          \
	"Request from flags (instead of FILE.json):\n"                         \
	"  --ref R              case reference\n"                              \
	"  --gender G --age N --languages ro,en --nationality RO\n"            \
	"  --children 4m,7f     accompanying children: AGE[GENDER],...\n"      \
	"  --needs T,...        care the shelter must offer\n"                 \
	"  --prefers T,...      care that only scores (the same values)\n"     \
	"  --program P --urgency U\n"                                          \
	"  --exploitation LOC --sector S   --preferred LOC\n"                  \
	"  --min-distance KM --security S --case C --co-victims V\n"           \
	"  --residence R --referrer R\n"                                       \
	"LOC is a municipality (Utrecht) or LAT,LON. FILE.json may be - "      \
	"(stdin).\n"

static const struct command commands[] = {
    {.name = "status",
        .fn = ctl_cmd_status,
        .args = "",
        .summary = "places and requests at a glance (stats.get)"},
    {.name = "shelters",
        .fn = ctl_cmd_shelters,
        .args = "[--program P] [--available]",
        .summary = "list shelters with their free places per pool",
        .help = "  --program P   only shelters of program P\n"
                "  --available   only shelters open for intake with a free "
                "place\n"
                "FREE shows each pool as NAME FREE/TOTAL.\n"},
    {.name = "shelter",
        .fn = ctl_cmd_shelter,
        .args = "SHELTER",
        .summary = "show one shelter and its pools"},
    {.name = "capacity",
        .fn = ctl_cmd_capacity,
        .args = "SHELTER [POOL=OCCUPIED[/TOTAL]...] [--if-version N]",
        .summary = "report occupied and total places of pools",
        .help = "  POOL=OCCUPIED/TOTAL  set both counts of POOL (occupied, "
                "then total:\n"
                "                       men=5/6 is 5 of 6 places taken, 1 "
                "free)\n"
                "  POOL=OCCUPIED        keep the total\n"
                "  POOL=/TOTAL          keep the occupied count\n"
                "  (no pools)           a heartbeat: the counts are still "
                "right\n"
                "  --if-version N       refuse if the shelter changed since "
                "version N\n"
                "Every display shows places as FREE/TOTAL.\n"},
    {.name = "intake",
        .fn = ctl_cmd_intake,
        .args = "SHELTER open|closed [--reason TEXT]",
        .summary = "open or close a shelter for intake"},
    {.name = "submit",
        .fn = ctl_request_submit,
        .args = "FILE | REQUEST FLAGS",
        .summary = "submit a placement request, or a batch: a FILE with "
                   "a JSON array or one request per line (exit 3 when one "
                   "waits)",
        .help = REQUEST_FLAGS,
        .values = true},
    {.name = "preview",
        .fn = ctl_request_preview,
        .args = "FILE.json | REQUEST FLAGS",
        .summary = "rank the shelters for a request, without side effects",
        .help = "Scorer columns as for match; KM-EXPL and KM-PREF are the "
                "distances to the\nexploitation and the preferred "
                "location.\n" REQUEST_FLAGS,
        .values = true},
    {.name = "requests",
        .fn = ctl_request_list,
        .args = "[--status S,...] [--limit N] [--case CASE] [--order O]",
        .summary = "the worklist: open requests, newest first",
        .help =
            "  --status S,...  " VOCAB_REQUEST_STATUS_LIST ",\n"
            "                  or all (default: waiting, proposed, placed;\n"
            "                  all with --case)\n"
            "  --limit N       at most N requests (1..500, default 100)\n"
            "  --case CASE     only the requests of that safety case\n"
            "  --order O       newest (default) or oldest first\n"
            "  --oldest        the same as --order oldest\n"
            "Escalated requests (waiting longer than their urgency "
            "allows) come\nfirst, marked ! after the urgency. WAITING FOR "
            "is the time since\nsubmission; HOLD LEFT the time until an "
            "open proposal's hold expires;\nWHY, for a waiting request, "
            "what the shelters closest to fitting lack\n(full, closed with "
            "the shelter's reason, ...) and the forecast.\n"},
    {.name = "request",
        .fn = ctl_work_request,
        .args = "ID|REF",
        .summary = "one request whole: household, proposal, rejections, "
                   "why it waits"},
    {.name = "accept",
        .fn = ctl_request_accept,
        .args = "PROPOSAL|REQUEST|REF | --case CASE",
        .summary = "accept a proposal: the request is placed",
        .help = "  REQUEST|REF  accept the open proposal of that request\n"
                "  --case CASE  accept every open proposal of that safety "
                "case\n"},
    {.name = "reject",
        .fn = ctl_request_reject,
        .args = "PROPOSAL|REQUEST|REF --reason TEXT",
        .summary = "reject a proposal; the next shelter is proposed",
        .help = "  REQUEST|REF  reject the open proposal of that request\n"},
    {.name = "cancel",
        .fn = ctl_request_cancel,
        .args = "REQUEST --reason TEXT",
        .summary = "cancel a request and release its place"},
    {.name = "arrived",
        .fn = ctl_request_arrived,
        .args = "REQUEST",
        .summary = "record that a placed person arrived"},
    {.name = "departed",
        .fn = ctl_request_departed,
        .args = "REQUEST",
        .summary = "record that a resident left: the place is free again"},
    {.name = "arrivals",
        .fn = ctl_work_arrivals,
        .args = "[--expected | --residents]",
        .summary = "who is expected and who lives there (placement.list)"},
    {.name = "long-stays",
        .fn = ctl_list_long_stays,
        .args = "[--program P]",
        .summary = "residents past their program's norm, longest first "
                   "(report.long_stays)",
        .help = "  --program P  only that program\n"
                "DAYS is the stay so far, NORM the program's norm (config "
                "norms), OVER\nthe days past it.\n"},
    {.name = "report",
        .fn = ctl_report_run,
        .args = "registrations|placements --from DATE --to DATE --by "
                "DIM,... [--csv]",
        .summary = "registrations, or placement figures of requests, by up "
                   "to three dimensions, small counts suppressed",
        .help = "  --by DIM,...  registrations: " REPORT_DIMS_HELP "\n"
                "                placements: program, urgency, referrer\n"
                "  --csv         CSV for the ministry (suppressed: empty "
                "count)\n"
                "Suppressed counts show as <MIN_CELL (reports.min_cell).\n"},
    {.name = "audit",
        .fn = ctl_audit_run,
        .args = "[--from T] [--to T] [--who W] [--method M] [--limit N]",
        .summary = "the audit trail of state changes, newest first "
                   "(admin)"},
    {.name = "watch",
        .fn = ctl_watch_run,
        .args = "[--since ID] [--count N] [TOPIC...]",
        .summary = "print live events, one per line; resumes after a "
                   "reconnect",
        .help = "  TOPIC        " VOCAB_TOPIC_LIST "\n"
                "               (default: every topic the role may see)\n"
                "  --since ID   first replay the events after event ID\n"
                "  --count N    exit after N events\n"},
    {.name = "token",
        .fn = ctl_token_run,
        .args = "new --role R --name N [--shelter S]",
        .summary = "make a token and its config line (offline)",
        .help = "  --role R     admin, coordinator, shelter or service\n"
                "  --name N     the name logs and the config show\n"
                "  --shelter S  the own shelter of a shelter token\n"
                "Prints the token (shown only here) and the line for "
                "auth.tokens.\n"},
    {.name = "match",
        .fn = ctl_match_run,
        .args = "--shelters FILE [--config FILE] [--gazetteer FILE] "
                "REQUEST.json",
        .summary = "rank shelters offline, without a daemon (exit 3: none "
                   "fits)",
        .help = "  --shelters FILE   a YAML list or JSON array of shelters, or "
                "the output of\n"
                "                    shelterctl --json shelters (held places "
                "not free)\n"
                "  --config FILE     weights and programs from shelterd.yaml\n"
                "  --gazetteer FILE  municipality coordinates (TSV)\n"
                "The request is a file (- for stdin) or request flags, as "
                "for submit.\n"
                "Scorer columns: LANG language, SAFETY safety_distance, "
                "PROX proximity,\n"
                "CARE care_fit, OCC occupancy, FRESH freshness, TOGETHER "
                "together.\n"
                "KM-EXPL and KM-PREF: km to the exploitation and the "
                "preferred location\n(shown when the request names "
                "one).\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char global_help[] =
    "Global options:\n"
    "  -s, --socket PATH     Unix socket (default $SHELTERD_SOCKET or\n"
    "                        " CTL_DEFAULT_SOCKET ")\n"
    "  --connect HOST:PORT   TCP instead of the Unix socket\n"
    "  --token-file FILE     authenticate with the token in FILE\n"
    "                        (default: $SHELTERCTL_TOKEN)\n"
    "  --timeout SECONDS     bound connect and each call (default 10, 0: "
    "none)\n"
    "  --json                print raw JSON results, for programs (times "
    "in UTC)\n"
    "  --utc                 show times in UTC, not in the local time of "
    "TZ\n"
    "  -h, --help            this help; COMMAND --help for a command\n"
    "Exit status: 0 ok, 1 refused or invalid input, 2 usage, 3 nothing "
    "fits.\n";

static const struct command *
shelterctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
shelterctl_usage_all(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: shelterctl [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
	    "Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(
		    f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-9s %s\n\n%s", "help", "help on a command", global_help);
}

/* The allowed values of the request flags, from the model's tables. */
static void
shelterctl_values(void)
{
	static const struct {
		const char *flag, *field;
	} flags[] = {
	    {"--gender", "gender"},
	    {"--needs", "needs"},
	    {"--program", "program"},
	    {"--urgency", "urgency"},
	    {"--sector", "sector"},
	    {"--security", "security"},
	    {"--co-victims", "co_victims"},
	    {"--residence", "residence"},
	    {"--referrer", "referrer"},
	};
	char buf[512], *w, *save = NULL;
	size_t i;
	int col;

	printf("\nAllowed values:\n");
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		col = printf("  %-14s", flags[i].flag);
		model_values(flags[i].field, buf, sizeof buf);
		/* Wrapped at 78 columns, continued under the first value. */
		for (w = strtok_r(buf, " ", &save); w != NULL;
		     w = strtok_r(NULL, " ", &save)) {
			if (col > 17 && col + 1 + (int)strlen(w) > 78)
				col = printf("\n%17s", "") - 1;
			col += printf(" %s", w);
		}
		putchar('\n');
	}
}

static int
shelterctl_help_cmd(const struct command *cmd)
{
	printf("usage: shelterctl %s %s\n\n%c%s.\n", cmd->name, cmd->args,
	    toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->help != NULL)
		printf("\n%s", cmd->help);
	if (cmd->values)
		shelterctl_values();
	printf("\n--json prints the raw result. See shelterctl --help for "
	       "global options.\n");
	return CTL_OK;
}

static int
shelterctl_timeout(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	if (v > 0 && *ms == 0)
		*ms = 1;
	return 0;
}

/*
 * shelterctl [GLOBAL OPTIONS] COMMAND [ARGS]: the exit status is
 * CTL_OK, CTL_FAIL, CTL_USAGE or CTL_NOFIT (see ctl.h).
 */
int
main(int argc, char **argv)
{
	enum {
		OPT_CONNECT = 256,
		OPT_TOKEN_FILE,
		OPT_TIMEOUT,
		OPT_JSON,
		OPT_UTC,
		OPT_VERSION
	};
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"connect", required_argument, NULL, OPT_CONNECT},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"utc", no_argument, NULL, OPT_UTC},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	struct ctl ctl = {.timeout_ms = CTL_DEFAULT_TIMEOUT_MS};
	const struct command *cmd;
	char **sub;
	int ch, i, nsub, rc;
	bool ended = false;

	ctl.socket = getenv("SHELTERD_SOCKET");
	if (ctl.socket == NULL || ctl.socket[0] == '\0')
		ctl.socket = CTL_DEFAULT_SOCKET;
	snprintf(ctl.prog, sizeof ctl.prog, "shelterctl");
	argv[0] = ctl.prog;
	while ((ch = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			ctl.socket = optarg;
			break;
		case OPT_CONNECT:
			ctl.connect = optarg;
			break;
		case OPT_TOKEN_FILE:
			ctl.token_file = optarg;
			break;
		case OPT_TIMEOUT:
			if (shelterctl_timeout(optarg, &ctl.timeout_ms) == -1) {
				fprintf(stderr,
				    "shelterctl: --timeout: "
				    "expected seconds, got '%s'\n",
				    optarg);
				return CTL_USAGE;
			}
			break;
		case OPT_JSON:
			ctl.json = true;
			break;
		case OPT_UTC:
			ctl_time_use_utc(true);
			break;
		case 'h':
			shelterctl_usage_all(stdout);
			return CTL_OK;
		case OPT_VERSION:
			printf("shelterctl %s\n", SHELTER_VERSION);
			return CTL_OK;
		default:
			fprintf(stderr, "Try 'shelterctl --help'.\n");
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		shelterctl_usage_all(stderr);
		return CTL_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			shelterctl_usage_all(stdout);
			return CTL_OK;
		}
		if ((cmd = shelterctl_find(argv[optind + 1])) == NULL) {
			fprintf(stderr,
			    "shelterctl: unknown command '%s'\n"
			    "Try 'shelterctl --help'.\n",
			    argv[optind + 1]);
			return CTL_USAGE;
		}
		return shelterctl_help_cmd(cmd);
	}
	if ((cmd = shelterctl_find(argv[optind])) == NULL) {
		fprintf(stderr,
		    "shelterctl: unknown command '%s'\n"
		    "Try 'shelterctl --help'.\n",
		    argv[optind]);
		return CTL_USAGE;
	}
	ctl.cmd = cmd->name;
	snprintf(ctl.prog, sizeof ctl.prog, "shelterctl %s", cmd->name);

	/* The command's own argv: --json and --utc may come after the
	 * command too, and
	 * --help anywhere before "--" asks for the command's help. */
	sub = calloc((size_t)(argc - optind + 1), sizeof *sub);
	if (sub == NULL)
		return ctl_nomem();
	sub[0] = ctl.prog;
	nsub = 1;
	for (i = optind + 1; i < argc; i++) {
		if (!ended && strcmp(argv[i], "--") == 0)
			ended = true;
		if (!ended && strcmp(argv[i], "--json") == 0) {
			ctl.json = true;
			continue;
		}
		if (!ended && strcmp(argv[i], "--utc") == 0) {
			ctl_time_use_utc(true);
			continue;
		}
		if (!ended &&
		    (strcmp(argv[i], "--help") == 0 ||
		        strcmp(argv[i], "-h") == 0)) {
			free(sub);
			return shelterctl_help_cmd(cmd);
		}
		sub[nsub++] = argv[i];
	}
	sub[nsub] = NULL;
	optind = 0; /* GNU getopt: reinitialise for the command's options */
	rc = cmd->fn(&ctl, nsub, sub);
	free(sub);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "shelterctl: cannot write output: %s\n",
		    strerror(errno));
		return CTL_FAIL;
	}
	return rc;
}
