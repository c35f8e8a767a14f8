/*
 * ctl.c: the messages every shelterctl command shares (usage errors,
 * failures, out of memory), so they read the same everywhere (see ctl.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "ctl.h"

/*
 * Report a usage error of the running command (fmt may be NULL when getopt
 * already said what is wrong) and point at its help. Returns CTL_USAGE.
 */
int
ctl_usage(const struct ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", ctl->prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(
	    stderr, "Try 'shelterctl %s --help'.\n", ctl->cmd ? ctl->cmd : "");
	return CTL_USAGE;
}

/* Print "shelterctl: MESSAGE" on stderr. Returns CTL_FAIL. */
int
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("shelterctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAIL;
}

/* The one message for a failed allocation. Returns CTL_FAIL. */
int
ctl_nomem(void)
{
	return ctl_fail("out of memory");
}
