/* route: the Docker API routes dockgate judges, matched the way dockerd's
 * router (gorilla/mux) does after net/http decoded the path. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostpath.h"
#include "route.h"

static const char *const action_names[ACTION__COUNT] = {
    [ACTION_OTHER] = "other",
    [ACTION_CONTAINER_CREATE] = "container_create",
    [ACTION_CONTAINER_UPDATE] = "container_update",
    [ACTION_EXEC_CREATE] = "exec_create",
    [ACTION_IMAGE_CREATE] = "image_create",
    [ACTION_IMAGE_TAG] = "image_tag",
    [ACTION_IMAGE_PUSH] = "image_push",
    [ACTION_IMAGE_LOAD] = "image_load",
    [ACTION_COMMIT] = "commit",
    [ACTION_BUILD] = "build",
    [ACTION_VOLUME_CREATE] = "volume_create",
    [ACTION_SERVICE_CREATE] = "service_create",
    [ACTION_SERVICE_UPDATE] = "service_update",
    [ACTION_PLUGIN_PULL] = "plugin_pull",
    [ACTION_PLUGIN_UPGRADE] = "plugin_upgrade",
    [ACTION_PLUGIN_DISABLE] = "plugin_disable",
    [ACTION_PLUGIN_REMOVE] = "plugin_remove",
    [ACTION_PLUGIN_SET] = "plugin_set",
    [ACTION_AUTH] = "auth",
};

const char *action_name(enum action a)
{
	if ((unsigned)a >= ACTION__COUNT)
		return "other";
	return action_names[a];
}

/* How the part between prefix and suffix is matched. */
enum span {
	SPAN_NONE, /* the path is exactly prefix */
	SPAN_ONE,  /* one non-empty segment: {id} */
	SPAN_MANY, /* one or more segments: {name:.*}, for container, image and
	            * plugin names (a legacy link alias "parent/alias" is a
	            * container name) */
};

struct route_def {
	const char *method;
	const char *prefix;
	enum span span;
	const char *suffix;
	enum action action;
};

/* dockerd's routes (daemon/server/router/...) that change what runs on the
 * host or what images it holds. New rules add a row here. */
static const struct route_def routes[] = {
    {"POST", "/containers/create", SPAN_NONE, "", ACTION_CONTAINER_CREATE},
    {"POST", "/containers/", SPAN_MANY, "/update", ACTION_CONTAINER_UPDATE},
    {"POST", "/containers/", SPAN_MANY, "/exec", ACTION_EXEC_CREATE},
    {"POST", "/images/create", SPAN_NONE, "", ACTION_IMAGE_CREATE},
    {"POST", "/images/load", SPAN_NONE, "", ACTION_IMAGE_LOAD},
    {"POST", "/images/", SPAN_MANY, "/tag", ACTION_IMAGE_TAG},
    {"POST", "/images/", SPAN_MANY, "/push", ACTION_IMAGE_PUSH},
    {"POST", "/commit", SPAN_NONE, "", ACTION_COMMIT},
    {"POST", "/build", SPAN_NONE, "", ACTION_BUILD},
    {"POST", "/volumes/create", SPAN_NONE, "", ACTION_VOLUME_CREATE},
    {"POST", "/services/create", SPAN_NONE, "", ACTION_SERVICE_CREATE},
    {"POST", "/services/", SPAN_ONE, "/update", ACTION_SERVICE_UPDATE},
    {"POST", "/plugins/pull", SPAN_NONE, "", ACTION_PLUGIN_PULL},
    {"POST", "/plugins/", SPAN_MANY, "/upgrade", ACTION_PLUGIN_UPGRADE},
    {"POST", "/plugins/", SPAN_MANY, "/disable", ACTION_PLUGIN_DISABLE},
    {"POST", "/plugins/", SPAN_MANY, "/set", ACTION_PLUGIN_SET},
    {"DELETE", "/plugins/", SPAN_MANY, "", ACTION_PLUGIN_REMOVE},
    {"POST", "/auth", SPAN_NONE, "", ACTION_AUTH},
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..len) once, as Go's url.PathUnescape (plus=false) or
 * QueryUnescape (plus=true), into out (room for len + 1 bytes), ending it
 * with NUL. Returns the decoded length, or -1 when s holds a NUL or an
 * escape is malformed or decodes to NUL. */
static long unescape(const char *s, size_t len, bool plus, char *out)
{
	size_t o = 0;

	if (memchr(s, '\0', len) != NULL)
		return -1;
	for (size_t i = 0; i < len;) {
		/* Plain text up to the next escape (or '+') goes in whole. */
		const char *pct = memchr(s + i, '%', len - i);
		size_t run = pct != NULL ? (size_t)(pct - s) - i : len - i;
		if (plus) {
			const char *sp = memchr(s + i, '+', run);
			if (sp != NULL)
				run = (size_t)(sp - s) - i;
		}
		memcpy(out + o, s + i, run);
		o += run;
		i += run;
		if (i == len)
			break;
		if (s[i] == '+') {
			out[o++] = ' ';
			i++;
			continue;
		}
		int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 3;
	}
	out[o] = '\0';
	return (long)o;
}

/* Strips a "/v<digits and dots>" first segment, as dockerd's router's
 * "/v{version:[0-9.]+}" prefix, copying the version to *at (the route's
 * store, which moves on past it); *version stays NULL when there was no
 * prefix. */
static void strip_version(char *path, char **version, char **at)
{
	*version = NULL;
	if (path[0] != '/' || path[1] != 'v')
		return;
	size_t i = 2;
	while (path[i] == '.' || (path[i] >= '0' && path[i] <= '9'))
		i++;
	if (i == 2 || (path[i] != '/' && path[i] != '\0'))
		return;
	*version = *at;
	memcpy(*at, path + 2, i - 2);
	(*at)[i - 2] = '\0';
	*at += i - 1;
	if (path[i] == '\0')
		strcpy(path, "/");
	else
		memmove(path, path + i, strlen(path + i) + 1);
}

/* Matches path against one table row: 1 on a match, with *param set to
 * store (the route's, room for len + 1 bytes) holding the {id}/{name}
 * part (NULL for SPAN_NONE); 0 when it does not match. */
static int match_def(const struct route_def *d, const char *path, size_t len,
                     char **param, char *store)
{
	*param = NULL;
	if (d->span == SPAN_NONE)
		return strcmp(path, d->prefix) == 0;
	size_t plen = strlen(d->prefix), slen = strlen(d->suffix);
	if (len <= plen + slen || strncmp(path, d->prefix, plen) != 0 ||
	    strcmp(path + len - slen, d->suffix) != 0)
		return 0;
	const char *mid = path + plen;
	size_t mlen = len - plen - slen;
	if (d->span == SPAN_ONE && memchr(mid, '/', mlen) != NULL)
		return 0;
	memcpy(store, mid, mlen);
	store[mlen] = '\0';
	*param = store;
	return 1;
}

/* Appends one "key[=value]" of the query, decoded into *at (the route's
 * store, which moves on past it). r->query has room for every '&' + 1. */
static int add_query(struct route *r, const char *s, size_t len, char **at,
                     const char **why)
{
	if (len == 0)
		return 0;
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;

	if (memchr(s, ';', len) != NULL) {
		/* Go's url.ParseQuery refuses ';' and dockerd then fails the
		 * request; refuse it here too rather than guess. */
		*why = "query string contains ';'";
		return -1;
	}
	struct query_param *q = &r->query[r->nquery];
	long kn = unescape(s, klen, true, *at), vn = 0;
	if (kn >= 0) {
		q->key = *at;
		*at += kn + 1;
		vn = eq ? unescape(eq + 1, len - klen - 1, true, *at)
		        : (**at = '\0', 0);
	}
	if (kn < 0 || vn < 0) {
		*why = "query string has an invalid %-escape";
		return -1;
	}
	q->value = *at;
	*at += vn + 1;
	r->nquery++;
	return 0;
}

int route_parse(const char *method, const char *uri, struct route *r,
                const char **why)
{
	memset(r, 0, sizeof *r);
	const char *qmark = strchr(uri, '?');
	size_t plen = qmark ? (size_t)(qmark - uri) : strlen(uri);

	if (plen == 0 || uri[0] != '/') {
		*why = "request path is not absolute";
		return -1;
	}
	/* One allocation holds everything: the query array, then the path,
	 * the version, the parameter (each at most the path's length + 1),
	 * and each key and value decoded (at most the query's length, plus
	 * two NULs for each of at most (length + 1) / 2 members). */
	size_t qlen = 0, nq = 0;
	if (qmark != NULL) {
		qlen = strlen(qmark + 1);
		nq = 1;
		for (const char *c = qmark + 1; (c = strchr(c, '&')) != NULL; c++)
			nq++;
	}
	size_t arr = nq * sizeof *r->query;
	r->store = malloc(arr + 3 * (plen + 1) + 2 * qlen + 2);
	if (r->store == NULL)
		goto oom;
	r->query = nq ? (struct query_param *)(void *)r->store : NULL;
	char *at = r->store + arr;

	long n = unescape(uri, plen, false, at);
	if (n < 0) {
		route_clear(r);
		*why = "request path has an invalid %-escape";
		return -1;
	}
	r->path = at;
	at += n + 1;
	hostpath_clean_inplace(r->path);
	strip_version(r->path, &r->api_version, &at);

	if (qmark != NULL) {
		const char *s = qmark + 1;
		while (*s) {
			size_t k = strcspn(s, "&");
			if (add_query(r, s, k, &at, why) < 0) {
				route_clear(r);
				return -1;
			}
			s += k;
			if (*s == '&')
				s++;
		}
	}

	r->action = ACTION_OTHER;
	size_t len = strlen(r->path);
	const char *last_method = NULL;
	bool method_ok = false;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route_def *d = &routes[i];
		/* Methods are case-sensitive in Go; comparing without case can
		 * only widen what is judged. The table's runs of one method
		 * are compared once. */
		if (d->method != last_method) {
			last_method = d->method;
			method_ok = strcasecmp(method, d->method) == 0;
		}
		if (!method_ok)
			continue;
		if (match_def(d, r->path, len, &r->param, at) > 0) {
			r->action = d->action;
			break;
		}
	}
	return 0;
oom:
	route_clear(r);
	*why = "out of memory";
	return -1;
}

void route_clear(struct route *r)
{
	if (r == NULL)
		return;
	free(r->store);
	memset(r, 0, sizeof *r);
}

const char *route_query(const struct route *r, const char *key)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].value;
	return NULL;
}
