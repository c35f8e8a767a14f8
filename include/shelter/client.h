/*
 * client.h: a small blocking JSON-RPC client for shelterctl and tests.
 */
#ifndef SHELTER_CLIENT_H
#define SHELTER_CLIENT_H

#include <jansson.h>

#include "shelter/error.h"

struct client;

/* Connect to a Unix socket path, or to "HOST:PORT" when tcp is true.
 * timeout_ms bounds connect and each call (0: none). NULL with err filled. */
struct client *client_connect(
    const char *target, int tcp, int timeout_ms, struct sh_error *err);
void client_close(struct client *c);

/*
 * Call method with params (stolen; NULL means {}). Returns the result (a new
 * reference), or NULL with err filled from the error response, or code
 * SH_UNAVAILABLE and reason "io" when the connection failed. Notifications
 * that arrive meanwhile are queued for client_next_notification.
 */
json_t *client_call(
    struct client *c, const char *method, json_t *params, struct sh_error *err);

/* The next notification (queued or read, waiting up to timeout_ms, -1:
 * forever), or NULL on timeout or error (err->reason "timeout" / "io"). */
json_t *client_next_notification(
    struct client *c, int timeout_ms, struct sh_error *err);

#endif
