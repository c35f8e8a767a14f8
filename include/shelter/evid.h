/*
 * evid.h: event ids "MS-SEQ" (a Redis stream id: milliseconds, then a
 * sequence number within that millisecond), parsed, compared as numbers
 * and formatted.
 */
#ifndef SHELTER_EVID_H
#define SHELTER_EVID_H

#include <stddef.h>
#include <stdint.h>

/* "18446744073709551615-18446744073709551615" and its NUL. */
#define EVID_STRLEN 42

struct evid {
	uint64_t ms, seq;
};

/*
 * Parse s as "MS-SEQ": two runs of decimal digits joined by '-', nothing
 * else (no sign, no space, no missing half). 0 with *id set, or -1 with
 * *id unspecified; s may be NULL (-1).
 */
int evid_parse(const char *s, struct evid *id);
/* <0, 0 or >0 as a is older than, the same as or newer than b. */
int evid_cmp(const struct evid *a, const struct evid *b);
/*
 * id as "MS-SEQ" into buf (len bytes, EVID_STRLEN is always enough);
 * returns buf, truncated to len - 1 bytes when it is too small.
 */
char *evid_format(const struct evid *id, char *buf, size_t len);

#endif
