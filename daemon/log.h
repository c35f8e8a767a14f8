/*
 * log.h: one line per event on stderr, "LEVEL key=value ..." style, so
 * journald stores it as it is. Messages name ids, never a token or a
 * person's attributes; log_escape() makes peer bytes printable.
 */
#ifndef SHELTERD_LOG_H
#define SHELTERD_LOG_H

#include <stddef.h>

#include "shelter/config.h"

void log_init(enum log_level level);
void log_set_level(enum log_level level);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warnx, but the same text again within a minute at debug level (a
 * warning that every retry repeats). */
void log_warnx_again(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Copy at most len bytes of s into buf, escaping non-printables as \xNN
 * and quoting; returns buf. */
char *log_escape(const char *s, size_t len, char *buf, size_t buflen);

#endif
