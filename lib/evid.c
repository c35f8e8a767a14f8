/*
 * evid.c: event ids "MS-SEQ" (see include/shelter/evid.h). Strict, because
 * an id a client sends (since) is refused when it is not one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "shelter/evid.h"

/* Two digit runs joined by '-', nothing around them. */
int
evid_parse(const char *s, struct evid *id)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	id->ms = strtoull(s, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	id->seq = strtoull(end + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* Milliseconds first, then the sequence number. */
int
evid_cmp(const struct evid *a, const struct evid *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

/* "MS-SEQ" into buf. */
char *
evid_format(const struct evid *id, char *buf, size_t len)
{
	if (len > 0)
		snprintf(buf, len, "%llu-%llu", (unsigned long long)id->ms,
		    (unsigned long long)id->seq);
	return buf;
}
