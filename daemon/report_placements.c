/*
 * report_placements.c: report.placements {from, to, by}. One store round
 * trip reads the requests submitted in the period; lib/report_placements.c
 * counts them under small-cell protection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shelter/report_placements.h"

#include "call.h"
#include "clock.h"
#include "log.h"
#include "methods.h"
#include "registrations.h"
#include "report_placements.h"
#include "shelterd.h"
#include "store.h"

/* A YYYYMMDD day as ms since the epoch at 00:00 UTC. */
static long long
report_placements_day_ms(const char *d)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 +
	    (d[2] - '0') * 10 + (d[3] - '0') - 1900;
	tm.tm_mon = (d[4] - '0') * 10 + (d[5] - '0') - 1;
	tm.tm_mday = (d[6] - '0') * 10 + (d[7] - '0');
	return (long long)timegm(&tm) * 1000;
}

static void
report_placements_cb(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	const json_t *by = json_object_get(call->params, "by");
	enum rp_dim dims[RP_DIM_COUNT];
	struct rp_rec *recs;
	size_t i, n, nbad;
	json_t *out;

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	for (i = 0; i < json_array_size(by); i++)
		dims[i] = (enum rp_dim)report_placements_dim_parse(
		    json_string_value(json_array_get(by, i)));
	if (report_placements_read(json_object_get(result, "requests"),
	        sd.cfg->norm_days, &recs, &n, &nbad) == -1) {
		call_errorf(call, SH_INTERNAL, "internal", NULL,
		    "out of memory or a bad store answer");
		return;
	}
	if (nbad > 0)
		log_warnx("report.placements: %zu stored request(s) could not "
		          "be read",
		    nbad);
	out = report_placements(recs, n, dims, (int)json_array_size(by),
	    clock_now_ms(), sd.cfg->reports_min_cell);
	free(recs);
	if (out == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	json_object_set(out, "from", json_object_get(call->params, "from"));
	json_object_set(out, "to", json_object_get(call->params, "to"));
	json_object_set(out, "by", (json_t *)by);
	json_object_set_new(
	    out, "min_cell", json_integer(sd.cfg->reports_min_cell));
	call_reply(call, out);
}

void
report_placements_method(struct call *call)
{
	const json_t *by = json_object_get(call->params, "by");
	char from[9], to[9];
	struct sh_error err;

	if (registrations_range(call, true, from, to) == -1)
		return;
	if (registrations_check_by(call, by, RP_DIM_COUNT,
	        report_placements_dim_parse, RP_DIM_LIST) == -1)
		return;
	/* [from 00:00, the day after to 00:00) in UTC. */
	if (store_placement_report(report_placements_day_ms(from),
	        report_placements_day_ms(to) + 86400000LL, report_placements_cb,
	        call, &err) == -1)
		call_error(call, &err);
}
