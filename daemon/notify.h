/*
 * notify.h: the systemd notify protocol ($NOTIFY_SOCKET), and the watchdog
 * ($WATCHDOG_USEC). Every function does nothing when not run by systemd.
 */
#ifndef SHELTERD_NOTIFY_H
#define SHELTERD_NOTIFY_H

#include <event2/event.h>

/* Open the notify socket and start the watchdog timer if asked for. */
void notify_init(struct event_base *base);
/* Send one datagram, e.g. "READY=1\nSTATUS=serving". */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_free(void);

#endif
