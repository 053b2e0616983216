/* route: method + RequestUri -> the Docker API action it will run.
 *
 * The path is percent-decoded once (dockerd's router matches the decoded
 * path while the plugin sees the raw one), cleaned like Go's path.Clean,
 * and stripped of an optional "/vN.NN" prefix before it is matched. */
#ifndef DOCKGATE_ROUTE_H
#define DOCKGATE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

/* Keep in step with the table in route.c and action_name(). */
enum action {
	ACTION_OTHER = 0,
	ACTION_CONTAINER_CREATE,
	ACTION_CONTAINER_UPDATE,
	ACTION_EXEC_CREATE,
	ACTION_IMAGE_CREATE, /* pull (fromImage) and import (fromSrc) */
	ACTION_IMAGE_TAG,
	ACTION_IMAGE_PUSH,
	ACTION_IMAGE_LOAD,
	ACTION_COMMIT,
	ACTION_BUILD,
	ACTION_VOLUME_CREATE,
	ACTION_SERVICE_CREATE,
	ACTION_SERVICE_UPDATE,
	ACTION_PLUGIN_PULL,
	ACTION_PLUGIN_UPGRADE,
	ACTION_PLUGIN_DISABLE,
	ACTION_PLUGIN_REMOVE,
	ACTION_PLUGIN_SET,
	ACTION_AUTH,
	ACTION__COUNT
};

/* "container_create", ...; static text. */
const char *action_name(enum action a);

struct query_param {
	char *key;
	char *value;
};

struct route {
	enum action action;
	char *path;        /* decoded, cleaned, version prefix stripped */
	char *api_version; /* "1.41" when the prefix was given, else NULL */
	char *param;       /* the {id} or {name} the path carried, or NULL */
	struct query_param *query; /* decoded, in order */
	size_t nquery;
	/* One allocation that holds all of the above (route_parse); the
	 * fields point into it. NULL when a test filled them in. */
	char *store;
};

/* Routes one request. Returns 0 and fills *r (free with route_clear), or -1
 * with *why (static text) when the URI cannot be decoded; dockerd would
 * refuse such a request too. */
int route_parse(const char *method, const char *uri, struct route *r,
                const char **why);
void route_clear(struct route *r);

/* The first value of key, as Go's url.Values.Get; NULL when absent.
 * Borrowed, valid while r lives. */
const char *route_query(const struct route *r, const char *key);

#endif
