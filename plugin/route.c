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
 * QueryUnescape (plus=true). Returns a new string, or NULL when an escape is
 * malformed or decodes to NUL (*bad set) or on allocation failure. */
static char *unescape(const char *s, size_t len, bool plus, bool *bad)
{
	*bad = memchr(s, '\0', len) != NULL;
	if (*bad)
		return NULL;
	char *out = malloc(len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
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
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			*bad = true;
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 3;
	}
	out[o] = '\0';
	return out;
}

/* Strips a "/v<digits and dots>" first segment, as dockerd's router's
 * "/v{version:[0-9.]+}" prefix, setting *version to a new string. Returns
 * 0 (with *version NULL when there was no prefix) or -1 out of memory. */
static int strip_version(char *path, char **version)
{
	*version = NULL;
	if (path[0] != '/' || path[1] != 'v')
		return 0;
	size_t i = 2;
	while (path[i] == '.' || (path[i] >= '0' && path[i] <= '9'))
		i++;
	if (i == 2 || (path[i] != '/' && path[i] != '\0'))
		return 0;
	*version = strndup(path + 2, i - 2);
	if (*version == NULL)
		return -1;
	if (path[i] == '\0')
		strcpy(path, "/");
	else
		memmove(path, path + i, strlen(path + i) + 1);
	return 0;
}

/* Matches path against one table row: 1 on a match, with *param a new
 * string holding the {id}/{name} part (NULL for SPAN_NONE), 0 when it does
 * not match, -1 out of memory. */
static int match_def(const struct route_def *d, const char *path, size_t len,
                     char **param)
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
	*param = strndup(mid, mlen);
	return *param != NULL ? 1 : -1;
}

static int add_query(struct route *r, const char *s, size_t len, const char **why)
{
	if (len == 0)
		return 0;
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	bool bad;

	if (memchr(s, ';', len) != NULL) {
		/* Go's url.ParseQuery refuses ';' and dockerd then fails the
		 * request; refuse it here too rather than guess. */
		*why = "query string contains ';'";
		return -1;
	}
	struct query_param *q = realloc(r->query, (r->nquery + 1) * sizeof *q);
	if (q == NULL) {
		*why = "out of memory";
		return -1;
	}
	r->query = q;
	q = &r->query[r->nquery];
	q->key = unescape(s, klen, true, &bad);
	q->value = q->key == NULL ? NULL
	           : eq ? unescape(eq + 1, len - klen - 1, true, &bad)
	                : strdup("");
	if (q->key == NULL || q->value == NULL) {
		free(q->key);
		free(q->value);
		*why = bad ? "query string has an invalid %-escape" : "out of memory";
		return -1;
	}
	r->nquery++;
	return 0;
}

int route_parse(const char *method, const char *uri, struct route *r,
                const char **why)
{
	bool bad;

	memset(r, 0, sizeof *r);
	const char *qmark = strchr(uri, '?');
	size_t plen = qmark ? (size_t)(qmark - uri) : strlen(uri);

	if (plen == 0 || uri[0] != '/') {
		*why = "request path is not absolute";
		return -1;
	}
	r->path = unescape(uri, plen, false, &bad);
	if (r->path == NULL) {
		*why = bad ? "request path has an invalid %-escape" : "out of memory";
		return -1;
	}
	hostpath_clean_inplace(r->path);
	/* Out of memory must never turn a create into "other": fail. */
	if (strip_version(r->path, &r->api_version) < 0)
		goto oom;

	if (qmark != NULL) {
		const char *s = qmark + 1;
		while (*s) {
			size_t n = strcspn(s, "&");
			if (add_query(r, s, n, why) < 0) {
				route_clear(r);
				return -1;
			}
			s += n;
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
		int m = match_def(d, r->path, len, &r->param);
		if (m < 0)
			goto oom;
		if (m > 0) {
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
	free(r->path);
	free(r->api_version);
	free(r->param);
	for (size_t i = 0; i < r->nquery; i++) {
		free(r->query[i].key);
		free(r->query[i].value);
	}
	free(r->query);
	memset(r, 0, sizeof *r);
}

const char *route_query(const struct route *r, const char *key)
{
	for (size_t i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].value;
	return NULL;
}
