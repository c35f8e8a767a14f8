/*
 * retention.c: the cutoffs of the storage-limitation sweep
 * (include/shelter/retention.h).
 */
#include <stdio.h>
#include <string.h>

#include "shelter/model.h"
#include "shelter/retention.h"

#define DAY_MS 86400000LL

void
retention_cutoffs(long long now_ms, int requests_closed_days,
    int registrations_years, int audit_days, struct retention_cutoffs *out)
{
	char buf[32];
	int y, m, d;

	memset(out, 0, sizeof *out);
	out->requests_ms = requests_closed_days > 0
	    ? now_ms - requests_closed_days * DAY_MS
	    : -1;
	out->audit_ms = audit_days > 0 ? now_ms - audit_days * DAY_MS : -1;
	if (registrations_years <= 0)
		return;
	model_time_format(now_ms, buf, sizeof buf);
	if (sscanf(buf, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
	    y - registrations_years < 0 || m < 1 || m > 12 || d < 1 || d > 31)
		return;
	y -= registrations_years;
	snprintf(out->registrations, sizeof out->registrations, "%04d%02d%02d",
	    y % 10000, m % 100, d % 100);
}

bool
retention_request_due(const struct retention_cutoffs *c, long long closed_ms)
{
	return c->requests_ms >= 0 && closed_ms < c->requests_ms;
}

bool
retention_registration_due(const struct retention_cutoffs *c, const char *date)
{
	char num[9];

	if (c->registrations[0] == '\0' || date == NULL || strlen(date) != 10)
		return false;
	memcpy(num, date, 4);
	memcpy(num + 4, date + 5, 2);
	memcpy(num + 6, date + 8, 2);
	num[8] = '\0';
	return strcmp(num, c->registrations) < 0;
}
