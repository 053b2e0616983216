/* imageinspect: the image's own user, from dockerd (unset-user: inspect).
 *
 * Asks GET /images/{name}/json over --docker-host with libcurl, loaded at
 * run time (imageinspect_load), and reads Id and Config.User. Blocking:
 * callers on HTTP worker threads must not use imageinspect_lookup
 * (dockerd's own authorization call for the lookup comes back to this
 * daemon and needs a free worker); see decide.h's prepare hook and
 * server.c's slow lane. */
#ifndef DOCKGATE_IMAGEINSPECT_H
#define DOCKGATE_IMAGEINSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "request.h"

#define IMAGEINSPECT_DEFAULT_HOST "unix:///var/run/docker.sock"

struct imageinspect;

/* Loads libcurl (dlopen "libcurl.so.4", Debian's libcurl4) and runs
 * curl_global_init, once per process whichever thread asks first; later
 * calls return the first result. Returns true when look-ups can be made,
 * else false with *why (static text, "libcurl4 is missing ..."). A daemon
 * whose policies never inspect never maps libcurl. The environment
 * variable DOCKGATE_TEST_LIBCURL names another library instead (a test
 * hook). */
bool imageinspect_load(const char **why);
/* At exit: curl_global_cleanup when libcurl was loaded. */
void imageinspect_global_cleanup(void);

/* docker_host: "unix:///path" or "tcp://host:port" (plain HTTP; dockerd's
 * TLS port is not supported). cache_max bounds the cache (entries).
 * Returns a new handle or NULL with *why (new string). */
struct imageinspect *imageinspect_new(const char *docker_host,
                                      size_t cache_max, long timeout_ms,
                                      char **why);
void imageinspect_free(struct imageinspect *ii);

/* True when judging rq under p needs the image's user: no-root is on with
 * unset-user: inspect, and a container create names no user. */
bool imageinspect_wanted(const struct policy *p, const struct request *rq);

/* Non-blocking: fills rq->image_user from the cache when rq names its image
 * by an ID that is cached. Returns true when it did. */
bool imageinspect_from_cache(struct imageinspect *ii, struct request *rq);

/* Blocking (bounded by the timeout): asks dockerd, fills rq->image_user
 * (KNOWN, or FAILED with a reason) and caches the answer by image ID.
 * Loads libcurl first if need be; without it the look-up fails (closed). */
void imageinspect_lookup(struct imageinspect *ii, struct request *rq);

#endif
