/*
 * departures.c: shelter.departures {id, pools: {POOL: [{date, count?}]}}.
 *
 * Planned departures are dates and counts only, never a person. The
 * params are checked here (form, dates not in the past by the daemon's
 * clock, at most MODEL_DEPARTURE_MAX dates per pool after merging equal
 * dates); the store checks the shelter and its pools and replaces the
 * plans of the pools named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "shelters.h"
#include "store.h"
#include "table.h"

#define DEPARTURES_COUNT_MAX 10000

static int
departures_cmp(const void *a, const void *b)
{
	const struct departure *x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}

/* One entry {date, count?} at path into d. 0 or -1 with err. */
static int
departures_entry(const json_t *e, const char *path, int today,
    struct departure *d, struct sh_error *err)
{
	const char *k;
	json_t *v, *date, *count;
	long long day;

	if (!json_is_object(e))
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
		    path, "must be an object {date, count?}");
	json_object_foreach((json_t *)e, k, v)
	{
		if (strcmp(k, "date") != 0 && strcmp(k, "count") != 0) {
			char f[240];

			snprintf(f, sizeof f, "%s.%s", path, k);
			return model_field_unknown(err, f, k);
		}
	}
	date = json_object_get(e, "date");
	count = json_object_get(e, "count");
	if (date == NULL) {
		char f[240];

		snprintf(f, sizeof f, "%s.date", path);
		return sh_error_set(
		    err, SH_INVALID_PARAMS, "missing_field", f, "is required");
	}
	if ((day = model_date_parse(json_string_value(date))) < 0) {
		char f[240];

		snprintf(f, sizeof f, "%s.date", path);
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field", f,
		    "must be a date YYYY-MM-DD");
	}
	if (day < today) {
		char f[240];

		snprintf(f, sizeof f, "%s.date", path);
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field", f,
		    "is in the past");
	}
	if (count != NULL &&
	    (!json_is_integer(count) || json_integer_value(count) < 1 ||
	        json_integer_value(count) > DEPARTURES_COUNT_MAX)) {
		char f[240];

		snprintf(f, sizeof f, "%s.count", path);
		return sh_error_set(err, SH_INVALID_PARAMS, "invalid_field", f,
		    "must be an integer from 1 to %d", DEPARTURES_COUNT_MAX);
	}
	d->day = (int)day;
	d->count = count != NULL ? (int)json_integer_value(count) : 1;
	return 0;
}

/*
 * The pools param as the store's argument {POOL: [[day, count], ...]},
 * each list by date with equal dates merged. New reference, or NULL with
 * err.
 */
static json_t *
departures_arg(const json_t *pools, struct sh_error *err)
{
	struct departure d[MODEL_DEPARTURE_MAX * 4];
	int today = (int)(clock_now_ms() / 86400000);
	char path[160];
	const char *name;
	json_t *list, *out, *arr, *e;
	size_t i, n, m;

	if ((out = json_object()) == NULL) {
		sh_error_set(
		    err, SH_INTERNAL, "internal", NULL, "out of memory");
		return NULL;
	}
	json_object_foreach((json_t *)pools, name, list)
	{
		snprintf(path, sizeof path, "pools.%s", name);
		/* An empty key names its object (PROTOCOL.md, v2). */
		if (name[0] == '\0') {
			model_field_unknown(err, path, name);
			goto fail;
		}
		if (!model_valid_pool_name(name)) {
			sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
			    path, "is not a pool name");
			goto fail;
		}
		if (!json_is_array(list) ||
		    json_array_size(list) > sizeof d / sizeof d[0]) {
			sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
			    path, "must be an array of {date, count?}");
			goto fail;
		}
		n = 0;
		json_array_foreach(list, i, e)
		{
			char epath[200];

			snprintf(epath, sizeof epath, "%s.%zu", path, i);
			if (departures_entry(e, epath, today, &d[n], err) == -1)
				goto fail;
			n++;
		}
		qsort(d, n, sizeof d[0], departures_cmp);
		for (i = 0, m = 0; i < n; i++) {
			if (m > 0 && d[m - 1].day == d[i].day)
				d[m - 1].count += d[i].count;
			else
				d[m++] = d[i];
		}
		if (m > MODEL_DEPARTURE_MAX) {
			sh_error_set(err, SH_INVALID_PARAMS, "invalid_field",
			    path, "must name at most %d dates",
			    MODEL_DEPARTURE_MAX);
			goto fail;
		}
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(out, name, arr) == -1)
			goto nomem;
		for (i = 0; i < m; i++)
			if (json_array_append_new(arr,
			        json_pack("[i,i]", d[i].day, d[i].count)) == -1)
				goto nomem;
	}
	return out;
nomem:
	sh_error_set(err, SH_INTERNAL, "internal", NULL, "out of memory");
fail:
	json_decref(out);
	return NULL;
}

static void
departures_done(json_t *result, const struct sh_error *err, void *arg)
{
	struct call *call = arg;
	json_t *s = json_object_get(result, "shelter");

	if (result == NULL) {
		call_error(call, err);
		return;
	}
	log_info("shelter.departures: shelter=%s by %s", call_str(call, "id"),
	    call->who);
	table_put_json(s, table_cseq_of(result));
	shelters_freshness(s);
	call_reply(call, json_pack("{s:O}", "shelter", s));
}

/* shelter.departures {id, pools}: see the top of this file. */
void
shelters_departures(struct call *call)
{
	struct audit_args au;
	struct sh_error err;
	json_t *arg;
	char *text;

	if ((arg = departures_arg(
	         json_object_get(call->params, "pools"), &err)) == NULL) {
		call_error(call, &err);
		return;
	}
	text = json_dumps(arg, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(arg);
	if (text == NULL) {
		call_errorf(
		    call, SH_INTERNAL, "internal", NULL, "out of memory");
		return;
	}
	if (store_departures(audit_store_args(call, &au, false),
	        call_str(call, "id"), text, departures_done, call, &err) == -1)
		call_error(call, &err);
	free(text);
}
