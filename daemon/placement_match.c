/*
 * placement_match.c: matching one request against the in-memory shelter
 * table with the configured options, and reading a stored request for it
 * (the waitlist pass and the sweep are in placement.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "placement.h"
#include "shelterd.h"
#include "table.h"

/*
 * True when matching r needs the shelters that hold, expect or house its
 * case: any request of a case, since apart is symmetric (a co-victim there
 * may say apart even when r does not).
 */
bool
placement_needs_case(const struct request *r)
{
	return r->case_id[0] != '\0';
}

#define IDS_STACK 16 /* shelter ids matched without an allocation */

/*
 * The strings of a JSON array (borrowed) into *out: buf when they fit in
 * IDS_STACK, else a new allocation (*out != buf: the caller frees it).
 * 0 or -1.
 */
static int
placement_ids_of(
    const json_t *arr, const char **buf, const char ***out, size_t *n)
{
	const char **v = buf;
	size_t i, k = 0, len = json_array_size(arr);

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr) || len == 0)
		return 0;
	if (len > IDS_STACK && (v = calloc(len, sizeof *v)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		if (json_is_string(json_array_get(arr, i)))
			v[k++] = json_string_value(json_array_get(arr, i));
	*out = v;
	*n = k;
	return 0;
}

/* placement_match for the first k candidates (SIZE_MAX: all of them). */
static int
placement_match_first(const struct request *r, const json_t *rejected,
    const json_t *case_shelters, const json_t *case_apart, size_t k,
    struct match_result *res)
{
	struct match_options opt = sd.cfg->match;
	struct match_input in = {0};
	const struct shelter *const *all;
	const char *rbuf[IDS_STACK], *cbuf[IDS_STACK], *abuf[IDS_STACK];
	const char **rej = NULL, **cs = NULL, **ca = NULL;
	uint64_t t0 = clock_mono_us();
	size_t n;
	int rc = -1;

	if (placement_ids_of(rejected, rbuf, &rej, &in.nrejected) == -1 ||
	    placement_ids_of(case_shelters, cbuf, &cs, &in.ncase_shelters) ==
	        -1 ||
	    placement_ids_of(case_apart, abuf, &ca, &in.ncase_apart) == -1)
		goto out;
	in.rejected = rej;
	in.case_shelters = cs;
	in.case_apart = ca;
	opt.now_ms = clock_now_ms();
	all = table_all(&n);
	/* Only the shelters the index leaves are scored (with k, only those
	 * that can rank among the first k); the explanation is computed
	 * when one is asked for (match_explanation_json). */
	rc = k == SIZE_MAX
	    ? match_run_indexed(table_index(), all, n, r, &in, &opt, res)
	    : match_run_top(table_index(), all, n, r, &in, &opt, k, res);
	metrics_match(clock_mono_us() - t0);
out:
	if (rej != rbuf)
		free(rej);
	if (cs != cbuf)
		free(cs);
	if (ca != abuf)
		free(ca);
	return rc;
}

/*
 * Match r against the table with the configured options at the current
 * time; rejected, case_shelters and case_apart are arrays of shelter ids
 * or NULL. res is usually table_scratch(). Returns 0, or -1 on ENOMEM.
 */
int
placement_match(const struct request *r, const json_t *rejected,
    const json_t *case_shelters, const json_t *case_apart,
    struct match_result *res)
{
	return placement_match_first(
	    r, rejected, case_shelters, case_apart, SIZE_MAX, res);
}

/*
 * placement_match, but only the first k candidates of the ranking are
 * found (res->ncandidates <= k; k of them: there may be more); the
 * explanation still counts every shelter. 0 or -1.
 */
int
placement_match_top(const struct request *r, const json_t *rejected,
    const json_t *case_shelters, const json_t *case_apart, size_t k,
    struct match_result *res)
{
	return placement_match_first(
	    r, rejected, case_shelters, case_apart, k, res);
}

/*
 * Parse a stored request: JSON text, or an object whose output fields are
 * dropped before the strict parse. Returns 0, or -1 (logged by field only:
 * the values are a person's attributes).
 */
int
placement_parse_stored(const json_t *doc, struct request *out)
{
	static const char *const output[] = {"id", "status", "created_at",
	    "updated_at", "proposal", "placement", "rejected", "escalated",
	    "history", NULL};
	struct sh_error err;
	json_t *obj;
	size_t i;
	int rc;

	if (json_is_string(doc))
		obj = json_loads(json_string_value(doc), 0, NULL);
	else if (json_is_object(doc)) {
		/* A copy only when there is something to drop (the stored
		 * documents have no output fields: no allocation then). */
		for (i = 0; output[i] != NULL &&
		     json_object_get(doc, output[i]) == NULL;
		     i++)
			;
		obj = output[i] != NULL ? json_copy((json_t *)doc)
		                        : json_incref((json_t *)doc);
	} else
		obj = NULL;
	if (obj == NULL) {
		log_warnx("placement: a stored request is not a JSON object");
		return -1;
	}
	for (i = 0; output[i] != NULL && obj != doc; i++)
		json_object_del(obj, output[i]);
	rc = model_request_parse(obj, sd.gaz, out, &err);
	if (rc == -1)
		log_warnx("placement: a stored request does not parse (%s)",
		    err.field[0] ? err.field : err.reason);
	json_decref(obj);
	return rc;
}

/* Candidates a submit sends first: see placement.h. */
size_t
placement_window(void)
{
	return PLACEMENT_WINDOW + (size_t)sd.cfg->alternatives;
}
