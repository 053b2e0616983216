/* metrics_http: serves GET /metrics and GET /healthz (--metrics ADDR) on a
 * loopback TCP address or a Unix socket, on its own thread, apart from the
 * plugin's workers. */
#ifndef DOCKGATE_METRICS_HTTP_H
#define DOCKGATE_METRICS_HTTP_H

#include "metrics.h"

struct metrics_http;

/* Opens addr: "HOST:PORT" with a loopback HOST (127.0.0.0/8, ::1 as
 * "[::1]:PORT", or localhost), or a path (anything with a '/') for a Unix
 * socket (mode 0660). Any other host is refused: the metrics name rules,
 * paths and images and are not for the network. Returns a new server or
 * NULL with *why (new string). */
struct metrics_http *metrics_http_start(const char *addr, struct metrics *m,
                                        char **why);
/* Stops serving and removes a Unix socket it created. NULL is a no-op. */
void metrics_http_stop(struct metrics_http *h);

#endif
