/*
 * log.c: one line per message on stderr.
 *
 * Under journald (stderr is the stream JOURNAL_STREAM names as DEV:INODE,
 * as systemd.exec(5) says to check) lines carry a "<N>" priority prefix
 * and no timestamp, since the journal stamps them itself; elsewhere they
 * start with an RFC 3339 UTC timestamp. Each line is written with a single
 * write so concurrent writers do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static int log_journal;

static const char *const log_names[] = {"err", "warn", "info", "debug"};
static const char log_prio[] = {'3', '4', '6', '7'};

static void
log_vwrite(
    enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n = 0;
	int r;

	if (level > log_level)
		return;
	if (log_journal) {
		r = snprintf(buf, sizeof buf, "<%c>", log_prio[level]);
	} else {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		r = snprintf(buf, sizeof buf,
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (int)(tv.tv_usec / 1000));
	}
	n = r > 0 ? (size_t)r : 0;
	r = snprintf(buf + n, sizeof buf - n, "%s ", log_names[level]);
	if (r > 0)
		n += (size_t)r;
	if (n < sizeof buf) {
		r = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
		if (r > 0)
			n += (size_t)r;
	}
	if (errstr != NULL && n < sizeof buf) {
		r = snprintf(buf + n, sizeof buf - n, ": %s", errstr);
		if (r > 0)
			n += (size_t)r;
	}
	if (n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	/* Nothing sensible to do when stderr is gone. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

static void
log_event_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/*
 * Is stderr the journal? JOURNAL_STREAM ("DEV:INODE", decimal) names the
 * stream systemd connected; it is inherited by children whose stderr may
 * be redirected elsewhere, so it counts only when it is stderr's.
 */
static int
log_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (js == NULL || sscanf(js, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    js[end] != '\0' || fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* Start logging at level; routes libevent's messages through here. */
void
log_init(enum log_level level)
{
	log_journal = log_is_journal();
	log_level = level;
	event_set_log_callback(log_event_cb);
}

/* Change the level (on reload). */
void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* A warning with ": strerror(errno)" appended. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

/* A warning without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
}

/*
 * A warning that comes back at every retry while its cause lasts (a
 * reconnect every 100 ms to 1 s): logged as a warning when its text
 * differs from the last one logged so, or LOG_AGAIN_S after it; in
 * between at debug level.
 */
#define LOG_AGAIN_S 60
void
log_warnx_again(const char *fmt, ...)
{
	static char last[512];
	static struct timespec at;
	struct timespec now;
	char msg[sizeof last];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (strcmp(msg, last) == 0 && now.tv_sec - at.tv_sec < LOG_AGAIN_S) {
		log_debug("%s (again)", msg);
		return;
	}
	memcpy(last, msg, sizeof last);
	at = now;
	log_warnx("%s", msg);
}

/* An informational message. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* A debug message (connections, calls). */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Log an error with strerror(errno) and exit 1. Start-up only. */
void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit 1. Start-up only. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * Copy at most len bytes of s into buf as a quoted string, printable ASCII
 * as is (quote and backslash escaped with a backslash), the rest as \xNN; "..."
 * marks a cut. Returns buf (always terminated, buflen >= 8).
 */
char *
log_escape(const char *s, size_t len, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	buf[n++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (n + 4 + 5 > buflen) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		if (ch == '"' || ch == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[n++] = (char)ch;
		} else {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[ch >> 4];
			buf[n++] = hex[ch & 0xf];
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}
