/*
 * tempfile.h: the unit tests' temporary files (include after cmocka.h).
 */
#ifndef TESTS_UNIT_TEMPFILE_H
#define TESTS_UNIT_TEMPFILE_H

#include <stdio.h>
#include <stdlib.h>

/* Write text to a new file /tmp/test_NAME.XXXXXX; returns its path in buf. */
static inline const char *
temp_write(char *buf, size_t len, const char *name, const char *text)
{
	FILE *f;
	int fd;

	snprintf(buf, len, "/tmp/test_%s.XXXXXX", name);
	fd = mkstemp(buf);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return buf;
}

#endif
