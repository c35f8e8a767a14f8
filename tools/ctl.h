/*
 * ctl.h: what the parts of shelterctl share: global options, exit codes,
 * the connection helpers, output helpers and the commands.
 */
#ifndef SHELTERCTL_H
#define SHELTERCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "shelter/client.h"

/* Exit codes, the same for every command. */
enum {
	CTL_OK = 0,    /* done */
	CTL_FAIL = 1,  /* the daemon refused, the input is invalid, io */
	CTL_USAGE = 2, /* bad command line */
	CTL_NOFIT = 3  /* nothing fits: match, preview, a submit that waits */
};

#define CTL_DEFAULT_SOCKET     "/run/shelterd/shelterd.sock"
#define CTL_DEFAULT_TIMEOUT_MS 10000

struct ctl {
	const char *socket;     /* Unix socket path */
	const char *connect;    /* HOST:PORT, or NULL for the Unix socket */
	const char *token_file; /* NULL: $SHELTERCTL_TOKEN if set */
	int timeout_ms;         /* 0: none */
	bool json;              /* --json: raw results for programs */
	const char *cmd;        /* the command being run */
	char prog[48];          /* "shelterctl CMD", argv[0] for getopt */
};

/* shelterctl.c */
int ctl_usage(const struct ctl *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_nomem(void);

/* ctl_conn.c */
struct client *ctl_conn_open(const struct ctl *ctl, struct sh_error *err);
json_t *ctl_conn_call(struct client *c, const char *method, json_t *params);
int ctl_conn_run(
    const struct ctl *ctl, const char *method, json_t *params, json_t **result);

/* ctl_out.c */
struct ctl_table {
	int ncols;
	unsigned right; /* bit i: column i is right-aligned */
	char **cells;   /* row-major; row 0 holds the headers */
	size_t nrows, cap;
};
int ctl_out_table_init(
    struct ctl_table *t, int ncols, const char *const *headers);
int ctl_out_table_add(struct ctl_table *t, const char *const *cells);
void ctl_out_table_print(const struct ctl_table *t, FILE *f, int indent);
int ctl_out_table_flush(struct ctl_table *t);
void ctl_out_table_free(struct ctl_table *t);
void ctl_out_json(const json_t *v);
void ctl_out_kv(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *ctl_out_str(const json_t *obj, const char *key);
char *ctl_out_join(const json_t *arr, char *buf, size_t len);
char *ctl_out_score(const json_t *score, char *buf, size_t len);
char *ctl_out_duration(long long s, char *buf, size_t len);
char *ctl_out_household(const char *gender, long long age,
    const json_t *children, char *buf, size_t len);
void ctl_out_where(
    const json_t *r, char *where, size_t wlen, char *prop, size_t plen);
long long ctl_out_now_ms(void);
int ctl_out_candidates(const json_t *result);
void ctl_out_distance(const json_t *p);
int ctl_out_explanation(const json_t *expl);

/* ctl_list.c */
char *ctl_list_why(
    const json_t *expl, const json_t *shelters, char *buf, size_t len);

/* ctl_time.c */
void ctl_time_use_utc(bool utc);
char *ctl_time_at(const char *rfc3339, char *buf, size_t len);
char *ctl_time_stamp(const char *rfc3339, char *buf, size_t len);
char *ctl_time_span(long long s, char *buf, size_t len);
char *ctl_time_ago(const char *rfc3339, char *buf, size_t len);
char *ctl_time_until(const char *rfc3339, char *buf, size_t len);
char *ctl_time_both(const char *rfc3339, char *buf, size_t len);
char *ctl_time_date(const char *date, char *buf, size_t len);

/* ctl_req.c */
struct ctl_req_opts {
	bool offline; /* match: accept --shelters, --config, --gazetteer */
	const char *shelters, *config, *gazetteer;
	const char *default_ref; /* ref when built from flags without --ref */
	bool many; /* submit: a file may hold an array or one per line */
};
int ctl_req_parse(const struct ctl *ctl, int argc, char **argv,
    struct ctl_req_opts *o, json_t **req);
json_t *ctl_req_load(const char *path);
const char *ctl_req_flag_message(const char *msg, char *buf, size_t len);
json_t *ctl_req_load_many(const char *path);

/* ctl_cmd.c: helpers the commands share */
int ctl_cmd_nargs(
    const struct ctl *ctl, int argc, char **argv, int n, const char *what);
int ctl_cmd_plain(
    const struct ctl *ctl, int argc, char **argv, int n, const char *what);
int ctl_cmd_print(
    const struct ctl *ctl, json_t *result, int (*show)(const json_t *));
int ctl_cmd_call(const struct ctl *ctl, const char *method, json_t *params,
    int (*show)(const json_t *));

/* The commands: each takes its own argv (argv[0] is ctl->prog) and returns
 * an exit code. */
int ctl_cmd_status(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_shelters(struct ctl *ctl, int argc, char **argv);
int ctl_report_run(struct ctl *ctl, int argc, char **argv);
/* One row of a report: the key values vals[0..n) (a margin's other
 * dimensions are "total") and its entry e (borrowed). */
typedef void ctl_report_row_fn(
    const char *const *vals, size_t n, const json_t *e);
/*
 * Call fn for every cell of report r (report.registrations or
 * report.placements), then for every margin when r has more than one
 * dimension; nothing when its shape is not 1..8 dimensions.
 */
void ctl_report_walk(const json_t *r, ctl_report_row_fn *fn);

/* report.placements for people (aligned tables) or as CSV (ctl_report_pl.c). */
int ctl_report_pl_table(const json_t *r);
int ctl_report_pl_csv(const json_t *r);
int ctl_audit_run(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_shelter(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_capacity(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_intake(struct ctl *ctl, int argc, char **argv);
int ctl_request_submit(struct ctl *ctl, int argc, char **argv);
int ctl_request_preview(struct ctl *ctl, int argc, char **argv);
int ctl_request_list(struct ctl *ctl, int argc, char **argv);
int ctl_request_accept(struct ctl *ctl, int argc, char **argv);
int ctl_request_reject(struct ctl *ctl, int argc, char **argv);
int ctl_request_cancel(struct ctl *ctl, int argc, char **argv);
int ctl_request_arrived(struct ctl *ctl, int argc, char **argv);
int ctl_request_departed(struct ctl *ctl, int argc, char **argv);
int ctl_list_long_stays(struct ctl *ctl, int argc, char **argv);
int ctl_work_request(struct ctl *ctl, int argc, char **argv);
int ctl_work_arrivals(struct ctl *ctl, int argc, char **argv);
int ctl_watch_run(struct ctl *ctl, int argc, char **argv);
int ctl_token_run(struct ctl *ctl, int argc, char **argv);
int ctl_match_run(struct ctl *ctl, int argc, char **argv);

#endif
