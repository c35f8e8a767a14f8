/*
 * http.h: the operator's HTTP listener (config `http:`): GET /healthz and
 * GET /metrics (Prometheus text). Anything else is refused.
 */
#ifndef SHELTERD_HTTP_H
#define SHELTERD_HTTP_H

/* Listen on cfg http_host:http_port when set. 0, or -1 (logged). */
int http_start(void);
void http_stop(void);

#endif
