/*
 * config_errors.c: the list of "FILE:LINE:COL: message" strings every
 * loader (config.c, ld.c, config_shelters.c) appends to. It calls nothing
 * of theirs, so the loaders all depend on it and never on each other
 * for error reporting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/config.h"

/*
 * Append "FILE:LINE:COL: message" to e ("FILE: message" when line <= 0,
 * the bare message when file is NULL). On ENOMEM the error is dropped:
 * callers count their errors themselves and fail anyway.
 */
void
config_errors_add(struct config_errors *e, const char *file, int line, int col,
    const char *fmt, ...)
{
	char msg[1024], *s, **v;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;

		if ((v = realloc(e->v, cap * sizeof *v)) == NULL)
			return;
		e->v = v;
		e->cap = cap;
	}
	if (file != NULL && line > 0)
		n = asprintf(&s, "%s:%d:%d: %s", file, line, col, msg);
	else if (file != NULL)
		n = asprintf(&s, "%s: %s", file, msg);
	else
		n = asprintf(&s, "%s", msg);
	if (n < 0)
		return;
	e->v[e->n++] = s;
}

/*
 * Free every message of e and reset it to empty.
 */
void
config_errors_free(struct config_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	memset(e, 0, sizeof *e);
}
