/*
 * ctl_time.c: times as people read them in shelterctl: local time from
 * TZ (UTC with --utc), and times relative to now ("in 23 min", "2 h
 * ago"). --json keeps the daemon's RFC 3339 UTC untouched.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "shelter/model.h"

static bool ctl_time_utc;

/* --utc: print times in UTC instead of the local time of TZ. */
void
ctl_time_use_utc(bool utc)
{
	ctl_time_utc = utc;
}

/* ms as fmt in local time or UTC into buf ("-" on failure). */
static char *
ctl_time_fmt(
    long long ms, const char *local, const char *utc, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ctl_time_utc) {
		gmtime_r(&t, &tm);
		if (strftime(buf, len, utc, &tm) == 0)
			snprintf(buf, len, "-");
	} else {
		localtime_r(&t, &tm);
		if (strftime(buf, len, local, &tm) == 0)
			snprintf(buf, len, "-");
	}
	return buf;
}

/* An RFC 3339 time with seconds, "2026-12-01 21:34:05 CET" (or UTC). */
char *
ctl_time_stamp(const char *rfc3339, char *buf, size_t len)
{
	return ctl_time_fmt(rfc3339 != NULL ? model_time_parse(rfc3339) : -1,
	    "%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S UTC", buf, len);
}

/*
 * An RFC 3339 time as "2026-12-01 21:34 CET" (local, from TZ) or
 * "2026-12-01 20:34 UTC" (--utc) into buf; "-" when it does not parse.
 */
char *
ctl_time_at(const char *rfc3339, char *buf, size_t len)
{
	return ctl_time_fmt(rfc3339 != NULL ? model_time_parse(rfc3339) : -1,
	    "%Y-%m-%d %H:%M %Z", "%Y-%m-%d %H:%M UTC", buf, len);
}

/* A span of s seconds as "45 s", "12 min", "3 h 05 min", "2 d 04 h". */
char *
ctl_time_span(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%lld s", s);
	else if (s < 3600)
		snprintf(buf, len, "%lld min", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lld h %02lld min", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lld d %02lld h", s / 86400, s / 3600 % 24);
	return buf;
}

/* Seconds from now to an RFC 3339 time (negative: past); *ok false when
 * it does not parse. */
static long long
ctl_time_delta(const char *rfc3339, bool *ok)
{
	long long t = rfc3339 != NULL ? model_time_parse(rfc3339) : -1;

	*ok = t >= 0;
	return *ok ? (t - ctl_out_now_ms()) / 1000 : 0;
}

/* "2 h 05 min ago" (or "just now" within a second); "-" when it does
 * not parse. */
char *
ctl_time_ago(const char *rfc3339, char *buf, size_t len)
{
	char span[32];
	bool ok;
	long long d = ctl_time_delta(rfc3339, &ok);

	if (!ok)
		snprintf(buf, len, "-");
	else if (d > -1)
		snprintf(buf, len, "just now");
	else
		snprintf(
		    buf, len, "%s ago", ctl_time_span(-d, span, sizeof span));
	return buf;
}

/* "in 23 min", or "expired" once past; "-" when it does not parse. */
char *
ctl_time_until(const char *rfc3339, char *buf, size_t len)
{
	char span[32];
	bool ok;
	long long d = ctl_time_delta(rfc3339, &ok);

	if (!ok)
		snprintf(buf, len, "-");
	else if (d <= 0)
		snprintf(buf, len, "expired");
	else
		snprintf(
		    buf, len, "in %s", ctl_time_span(d, span, sizeof span));
	return buf;
}

/* "2026-12-01 21:34 CET (2 h ago)" or "... (in 23 min)". */
char *
ctl_time_both(const char *rfc3339, char *buf, size_t len)
{
	char at[48], rel[48];
	bool ok;
	long long d = ctl_time_delta(rfc3339, &ok);

	if (!ok) {
		snprintf(buf, len, "-");
		return buf;
	}
	ctl_time_at(rfc3339, at, sizeof at);
	if (d > 0)
		ctl_time_until(rfc3339, rel, sizeof rel);
	else
		ctl_time_ago(rfc3339, rel, sizeof rel);
	snprintf(buf, len, "%s (%s)", at, rel);
	return buf;
}

/* A "YYYY-MM-DD" date as "14 Dec 2026"; as given when it is not one. */
char *
ctl_time_date(const char *date, char *buf, size_t len)
{
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int y, m, d;

	if (date != NULL && sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3 &&
	    m >= 1 && m <= 12)
		snprintf(buf, len, "%d %s %d", d, mon[m - 1], y);
	else
		snprintf(buf, len, "%s", date != NULL ? date : "-");
	return buf;
}
