/* sh_error.c: filling struct sh_error (include/shelter/error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/error.h"

/*
 * Fill err (if not NULL): code, reason, field (NULL or "" for none)
 * and the message, "FIELD: " first when a field is set. Returns -1.
 */
int
sh_error_set(struct sh_error *err, int code, const char *reason,
    const char *field, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err == NULL)
		return -1;
	err->code = code;
	snprintf(err->reason, sizeof err->reason, "%s", reason);
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	if (err->field[0] != '\0')
		n = snprintf(
		    err->message, sizeof err->message, "%s: ", err->field);
	if (n < 0 || (size_t)n >= sizeof err->message)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->message + n, sizeof err->message - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Append a copy of err to all: see error.h. */
void
sh_errors_add(struct sh_errors *all, const struct sh_error *err)
{
	if (all->n < SH_ERRORS_MAX)
		all->v[all->n++] = *err;
	else
		all->dropped++;
}

/* Append a copy of err to l, growing it: see error.h. */
int
sh_error_list_add(struct sh_error_list *l, const struct sh_error *err)
{
	struct sh_error *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : SH_ERRORS_MAX;
		if ((v = realloc(l->v, cap * sizeof *v)) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *err;
	return 0;
}

void
sh_error_list_free(struct sh_error_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

/*
 * Put "PREFIX." before err->field (or make it PREFIX) and rebuild
 * the message so that it names the new path.
 */
void
sh_error_prefix(struct sh_error *err, const char *prefix)
{
	char field[sizeof err->field + 64],
	    msg[sizeof err->field + 64 + sizeof err->message + 8];
	const char *text = err->message, *colon = strstr(err->message, ": ");
	size_t flen = strlen(err->field);

	/* The message starts with "FIELD: " when it names the field, with
	 * "OBJECT: " (one word) when the field is empty: the prefix names
	 * that object now ("requests.1: must be an object"). */
	if (flen > 0 && strncmp(err->message, err->field, flen) == 0 &&
	    strncmp(err->message + flen, ": ", 2) == 0)
		text = err->message + flen + 2;
	else if (flen == 0 && colon != NULL &&
	    strcspn(err->message, " :") == (size_t)(colon - err->message))
		text = colon + 2;
	if (strcmp(err->field, ".") == 0)
		snprintf(field, sizeof field, "%s.", prefix);
	else if (flen > 0)
		snprintf(field, sizeof field, "%s.%s", prefix, err->field);
	else
		snprintf(field, sizeof field, "%s", prefix);
	snprintf(msg, sizeof msg, "%s: %s", field, text);
	/* Truncate to the struct's sizes; paths and messages are short. */
	snprintf(err->field, sizeof err->field, "%.*s",
	    (int)(sizeof err->field - 1), field);
	snprintf(err->message, sizeof err->message, "%.*s",
	    (int)(sizeof err->message - 1), msg);
}

/* The object's own empty key named: see error.h. */
void
sh_errors_name_object(struct sh_errors *all, const char *object)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		if (strcmp(all->v[i].field, ".") == 0)
			sh_error_prefix(&all->v[i], object);
}
