/*
 * notify.c: sd_notify without libsystemd: datagrams to $NOTIFY_SOCKET
 * (a path, or "@name" in the abstract namespace), and WATCHDOG=1 every
 * half of $WATCHDOG_USEC.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static struct event *notify_wd;

static void
notify_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

/* Open $NOTIFY_SOCKET and arm the watchdog: see notify.h. */
void
notify_init(struct event_base *base)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wdpid = getenv("WATCHDOG_PID");
	size_t len;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof notify_addr.sun_path) {
		log_warnx("NOTIFY_SOCKET too long");
		return;
	}
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		log_warn("notify socket");
		return;
	}
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = offsetof(struct sockaddr_un, sun_path) + len;

	if (wd != NULL && (wdpid == NULL || atol(wdpid) == (long)getpid())) {
		unsigned long long usec = strtoull(wd, NULL, 10);
		struct timeval tv = {.tv_sec = usec / 2 / 1000000,
		    .tv_usec = usec / 2 % 1000000};

		if (usec == 0)
			return;
		notify_wd =
		    event_new(base, -1, EV_PERSIST, notify_watchdog, NULL);
		if (notify_wd == NULL || event_add(notify_wd, &tv) == -1)
			log_warnx("watchdog timer");
	}
}

/* Send one message: see notify.h. Failures are logged, not fatal. */
void
notify_send(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		return;
	if (sendto(notify_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
	        (struct sockaddr *)&notify_addr, notify_len) == -1) {
		/* A full queue is the manager's business: never block. */
		if (errno == EAGAIN)
			log_debug("notify: queue full");
		else
			log_warn("notify");
	}
}

/* Close the socket and stop the watchdog. */
void
notify_free(void)
{
	if (notify_wd != NULL)
		event_free(notify_wd);
	notify_wd = NULL;
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
