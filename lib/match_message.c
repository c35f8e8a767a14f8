/*
 * match_message.c: the one sentence of an explanation (docs/protocol.md
 * "Explanation"), from the reason histogram and near misses of a match.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shelter/match.h"

#include "match_message.h"

/* Appends to the message; silently truncates (512 bytes is ample). */
static void match_message_add(struct match_result *res, size_t *off,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
match_message_add(struct match_result *res, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= sizeof res->message)
		return;
	va_start(ap, fmt);
	n = vsnprintf(res->message + *off, sizeof res->message - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

/* "; expected: a fitting place at S from 14 Dec", when there is one. */
static void
match_message_forecast(struct match_result *res, size_t *off)
{
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char d[16];
	int m;

	if (res->forecast.shelter == NULL)
		return;
	model_date_format(res->forecast.day, d, sizeof d);
	m = (d[5] - '0') * 10 + (d[6] - '0');
	match_message_add(res, off,
	    "; expected: a fitting place at %s from %d %s",
	    res->forecast.shelter->id, (d[8] - '0') * 10 + (d[9] - '0'),
	    mon[(m >= 1 && m <= 12 ? m : 1) - 1]);
}

/* The explanation's sentence: see match_message.h. */
void
match_message(struct match_result *res, const struct request *req)
{
	int order[FILTER_COUNT] = {0}, nparts = 0, i, j, f, t;
	size_t off = 0;
	bool first;

	match_message_add(res, &off, "%zu/%zu shelters can take this request",
	    res->eligible, res->total);
	for (i = 0; i < FILTER_COUNT; i++) {
		if (res->reasons[i] == 0)
			continue;
		/* Stable insertion: count desc, then filter order. */
		for (j = nparts;
		     j > 0 && res->reasons[order[j - 1]] < res->reasons[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
		nparts++;
	}
	for (i = 0; i < nparts; i++) {
		f = order[i];
		match_message_add(
		    res, &off, "%s%u ", i == 0 ? ": " : ", ", res->reasons[f]);
		/* On the enum, with no default: a new filter without its
		 * sentence is a -Wswitch warning. */
		switch ((enum filter)f) {
		case FILTER_NO_FREE_PLACE:
			match_message_add(res, &off, "no free place");
			break;
		case FILTER_CARE:
			match_message_add(res, &off, "lack required care (");
			first = true;
			for (t = 0; t < CARE_COUNT; t++) {
				if (!(res->missing_care & (1u << t)))
					continue;
				match_message_add(res, &off, "%s%s",
				    first ? "" : ", ",
				    model_care_name((enum care_tag)t));
				first = false;
			}
			match_message_add(res, &off, ")");
			break;
		case FILTER_TOO_CLOSE:
			match_message_add(res, &off,
			    "within %g km of the exploitation location",
			    req->min_distance_km);
			break;
		case FILTER_INTAKE_CLOSED:
			match_message_add(res, &off, "closed for intake");
			break;
		case FILTER_PROGRAM:
			match_message_add(res, &off, "in another program");
			break;
		case FILTER_ELIGIBILITY:
			match_message_add(res, &off,
			    "with eligibility rules this "
			    "request does not meet");
			break;
		case FILTER_SECURITY:
			match_message_add(res, &off,
			    "below the required security level (%s)",
			    model_security_name(req->min_security));
			break;
		case FILTER_CASE_CONFLICT:
			match_message_add(res, &off,
			    "hold, expect or house a co-victim of the same "
			    "case");
			break;
		case FILTER_REJECTED:
			match_message_add(
			    res, &off, "rejected for this request");
			break;
		case FILTER_HOUSEHOLD:
			match_message_add(
			    res, &off, "without a place for this household");
			break;
		case FILTER_RESERVED:
			match_message_add(res, &off,
			    "with their last places reserved for immediate "
			    "requests");
			break;
		case FILTER_COUNT: /* not a filter: never counted */
			break;
		}
	}
	match_message_forecast(res, &off);
	match_message_add(res, &off, ".");
	if (res->dead_end)
		match_message_add(res, &off,
		    " Dead end: no shelter in this register can take this "
		    "request, whatever places free up.");
}
