/*
 * model_time.c: RFC 3339 UTC times, as the protocol writes them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shelter/model.h"

/*
 * ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (milliseconds dropped) into
 * buf; "" when it does not fit. Returns buf.
 */
char *
model_time_format(long long ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : -((999 - ms) / 1000));
	struct tm tm;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static long long
model_time_days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s; -1 when one is not a digit. */
static int
model_time_digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.fff...]Z" (UTC only) as ms since the epoch; -1 when
 * malformed or before 1970.
 */
long long
model_time_parse(const char *s)
{
	static const int mdays[12] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, ms = 0, scale = 100;
	bool leap;
	long long t;

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	y = model_time_digits(s, 4);
	mo = model_time_digits(s + 5, 2);
	d = model_time_digits(s + 8, 2);
	h = model_time_digits(s + 11, 2);
	mi = model_time_digits(s + 14, 2);
	sec = model_time_digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	s += 19;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return -1;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			ms += (*s - '0') * scale;
	}
	if (s[0] != 'Z' || s[1] != '\0')
		return -1;
	t = model_time_days_from_civil(y, mo, d) * 86400LL + h * 3600 +
	    mi * 60 + sec;
	if (t < 0)
		return -1;
	return t * 1000 + ms;
}

/*
 * "YYYY-MM-DD" as days since 1970-01-01; -1 when malformed, not a real
 * date, or before 1970.
 */
long long
model_date_parse(const char *s)
{
	static const int mdays[12] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d;
	bool leap;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = model_time_digits(s, 4);
	mo = model_time_digits(s + 5, 2);
	d = model_time_digits(s + 8, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	return model_time_days_from_civil(y, mo, d);
}

/* Days since the epoch as "YYYY-MM-DD" into buf (at least 11 bytes). */
char *
model_date_format(long long day, char *buf, size_t len)
{
	char t[32];

	model_time_format(day * 86400000LL, t, sizeof t);
	snprintf(buf, len, "%.10s", t);
	return buf;
}
