/* route suite: method + raw RequestUri -> the action dockerd's router would
 * run. Each table row is one request; adding a route or a bypass attempt is
 * adding a line. */
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define ck_assert_opt_str_eq(got, want, what)                                 \
	do {                                                                  \
		const char *g_ = (got), *w_ = (want);                         \
		ck_assert_msg((g_ == NULL && w_ == NULL) ||                   \
		                  (g_ != NULL && w_ != NULL &&                \
		                   strcmp(g_, w_) == 0),                      \
		              "%s: got '%s', want '%s'", (what),              \
		              g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

static const struct {
	const char *method, *uri;
	enum action action;
	const char *path;    /* decoded, cleaned, version stripped */
	const char *version; /* NULL: no prefix */
	const char *param;   /* NULL: none */
} route_cases[] = {
    /* Container create, however it is spelled. */
    {"POST", "/v1.41/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/v1.41/containers/%63reate", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/v1.41/%63%6F%6e%74ainers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/v1.41/containers/create?name=x", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/v1/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "1", NULL},
    {"POST", "/v1.41.2/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41.2", NULL},
    {"POST", "/v.../containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "...", NULL},
    {"POST", "/containers%2Fcreate", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/containers%2fcreate", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "//containers/./create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/containers/x/../create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/v1.41/containers/create/", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/v1.41//containers///create//", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/../../containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/%2E%2E/containers/%2E/create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/%761.41/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    {"POST", "/v1.41/../containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"POST", "/x/../v1.41/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", "1.41", NULL},
    /* Methods compare without case (only widens what is judged). */
    {"post", "/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"Post", "/containers/create", ACTION_CONTAINER_CREATE,
     "/containers/create", NULL, NULL},
    {"GET", "/containers/create", ACTION_OTHER, "/containers/create", NULL,
     NULL},
    {"", "/containers/create", ACTION_OTHER, "/containers/create", NULL,
     NULL},
    {"POSTX", "/containers/create", ACTION_OTHER, "/containers/create", NULL,
     NULL},
    /* Not container create: the router is case-sensitive and decodes once. */
    {"POST", "/v/containers/create", ACTION_OTHER, "/v/containers/create",
     NULL, NULL},
    {"POST", "/vx/containers/create", ACTION_OTHER, "/vx/containers/create",
     NULL, NULL},
    {"POST", "/v1a/containers/create", ACTION_OTHER,
     "/v1a/containers/create", NULL, NULL},
    {"POST", "/V1.41/containers/create", ACTION_OTHER,
     "/V1.41/containers/create", NULL, NULL},
    {"POST", "/Containers/create", ACTION_OTHER, "/Containers/create", NULL,
     NULL},
    {"POST", "/containers/create%3Fx", ACTION_OTHER, "/containers/create?x",
     NULL, NULL},
    {"POST", "/containers/%2563reate", ACTION_OTHER, "/containers/%63reate",
     NULL, NULL},
    {"POST", "/v1.41/v1.41/containers/create", ACTION_OTHER,
     "/v1.41/containers/create", "1.41", NULL},
    {"POST", "/v1.41", ACTION_OTHER, "/", "1.41", NULL},
    {"POST", "/", ACTION_OTHER, "/", NULL, NULL},
    {"POST", "/containers/createx", ACTION_OTHER, "/containers/createx",
     NULL, NULL},
    {"GET", "/containers/json", ACTION_OTHER, "/containers/json", NULL,
     NULL},
    {"GET", "/v1.41/containers/json?all=1", ACTION_OTHER,
     "/containers/json", "1.41", NULL},
    /* Exec and update: {name:.*} in dockerd, so a name may hold a '/'
     * (legacy link aliases are registered as "/parent/alias"). */
    {"POST", "/containers/abc/exec", ACTION_EXEC_CREATE,
     "/containers/abc/exec", NULL, "abc"},
    {"POST", "/v1.41/containers/runner/exec", ACTION_EXEC_CREATE,
     "/containers/runner/exec", "1.41", "runner"},
    {"POST", "/containers/abc/exec/", ACTION_EXEC_CREATE,
     "/containers/abc/exec", NULL, "abc"},
    {"POST", "/containers/ab%63/exec", ACTION_EXEC_CREATE,
     "/containers/abc/exec", NULL, "abc"},
    {"POST", "/containers/create/exec", ACTION_EXEC_CREATE,
     "/containers/create/exec", NULL, "create"},
    {"POST", "/containers/parent/alias/exec", ACTION_EXEC_CREATE,
     "/containers/parent/alias/exec", NULL, "parent/alias"},
    {"POST", "/containers/parent%2Falias/exec", ACTION_EXEC_CREATE,
     "/containers/parent/alias/exec", NULL, "parent/alias"},
    {"POST", "/containers/abc/update", ACTION_CONTAINER_UPDATE,
     "/containers/abc/update", NULL, "abc"},
    {"POST", "/containers/parent/alias/update", ACTION_CONTAINER_UPDATE,
     "/containers/parent/alias/update", NULL, "parent/alias"},
    {"POST", "/containers//exec", ACTION_OTHER, "/containers/exec", NULL,
     NULL},
    {"POST", "/containers/exec", ACTION_OTHER, "/containers/exec", NULL,
     NULL},
    {"GET", "/containers/abc/exec", ACTION_OTHER, "/containers/abc/exec",
     NULL, NULL},
    {"POST", "/containers/abc/exec/x", ACTION_OTHER,
     "/containers/abc/exec/x", NULL, NULL},
    /* Images. */
    {"POST", "/images/create?fromImage=registry.example.com%2Ffoo&tag=1",
     ACTION_IMAGE_CREATE, "/images/create", NULL, NULL},
    {"POST", "/v1.41/images/create?fromSrc=-&repo=local%2Fimported%3A1",
     ACTION_IMAGE_CREATE, "/images/create", "1.41", NULL},
    {"POST", "/images/load", ACTION_IMAGE_LOAD, "/images/load", NULL, NULL},
    {"POST", "/v1.41/images/load?quiet=1", ACTION_IMAGE_LOAD, "/images/load",
     "1.41", NULL},
    {"POST", "/images/registry.example.com/app/tag", ACTION_IMAGE_TAG,
     "/images/registry.example.com/app/tag", NULL,
     "registry.example.com/app"},
    {"POST", "/v1.41/images/local/busybox:1/tag?repo=x&tag=2",
     ACTION_IMAGE_TAG, "/images/local/busybox:1/tag", "1.41",
     "local/busybox:1"},
    {"POST", "/images/busybox/tag", ACTION_IMAGE_TAG, "/images/busybox/tag",
     NULL, "busybox"},
    {"POST", "/images/registry.example.com:5000/app/push?tag=2",
     ACTION_IMAGE_PUSH, "/images/registry.example.com:5000/app/push", NULL,
     "registry.example.com:5000/app"},
    {"POST", "/images/tag", ACTION_OTHER, "/images/tag", NULL, NULL},
    {"DELETE", "/images/busybox", ACTION_OTHER, "/images/busybox", NULL,
     NULL},
    {"POST", "/commit", ACTION_COMMIT, "/commit", NULL, NULL},
    {"POST", "/v1.41/commit?container=runner&repo=x", ACTION_COMMIT,
     "/commit", "1.41", NULL},
    {"POST", "/build", ACTION_BUILD, "/build", NULL, NULL},
    {"POST", "/v1.41/build?t=local%2Fbuilt%3A1", ACTION_BUILD, "/build",
     "1.41", NULL},
    {"POST", "/volumes/create", ACTION_VOLUME_CREATE, "/volumes/create", NULL,
     NULL},
    /* Swarm services: {id} takes no '/'. */
    {"POST", "/services/create", ACTION_SERVICE_CREATE, "/services/create",
     NULL, NULL},
    {"POST", "/services/x/update", ACTION_SERVICE_UPDATE,
     "/services/x/update", NULL, "x"},
    {"POST", "/services/x/y/update", ACTION_OTHER, "/services/x/y/update",
     NULL, NULL},
    /* Plugins: {name:.*}. */
    {"POST", "/plugins/pull", ACTION_PLUGIN_PULL, "/plugins/pull", NULL,
     NULL},
    {"POST", "/plugins/pull?remote=foo%3Alatest", ACTION_PLUGIN_PULL,
     "/plugins/pull", NULL, NULL},
    {"POST", "/plugins/foo:latest/disable", ACTION_PLUGIN_DISABLE,
     "/plugins/foo:latest/disable", NULL, "foo:latest"},
    {"POST", "/v1.41/plugins/capture/disable", ACTION_PLUGIN_DISABLE,
     "/plugins/capture/disable", "1.41", "capture"},
    {"POST", "/plugins/registry.example.com/foo:1/disable",
     ACTION_PLUGIN_DISABLE, "/plugins/registry.example.com/foo:1/disable",
     NULL, "registry.example.com/foo:1"},
    {"DELETE", "/plugins/foo", ACTION_PLUGIN_REMOVE, "/plugins/foo", NULL,
     "foo"},
    {"delete", "/plugins/foo:latest?force=1", ACTION_PLUGIN_REMOVE,
     "/plugins/foo:latest", NULL, "foo:latest"},
    {"DELETE", "/plugins/", ACTION_OTHER, "/plugins", NULL, NULL},
    {"POST", "/plugins/foo", ACTION_OTHER, "/plugins/foo", NULL, NULL},
    {"POST", "/plugins/foo/set", ACTION_PLUGIN_SET, "/plugins/foo/set", NULL,
     "foo"},
    {"POST", "/plugins/foo/upgrade", ACTION_PLUGIN_UPGRADE,
     "/plugins/foo/upgrade", NULL, "foo"},
    {"POST", "/plugins/foo/enable", ACTION_OTHER, "/plugins/foo/enable", NULL,
     NULL},
    {"POST", "/auth", ACTION_AUTH, "/auth", NULL, NULL},
    {"POST", "/v1.41/auth", ACTION_AUTH, "/auth", "1.41", NULL},
    {"GET", "/auth", ACTION_OTHER, "/auth", NULL, NULL},
    {"POST", "/networks/create", ACTION_OTHER, "/networks/create", NULL,
     NULL},
};

START_TEST(test_route)
{
	struct route r;
	const char *why = "unset";
	int rc = route_parse(route_cases[_i].method, route_cases[_i].uri, &r,
	                     &why);

	ck_assert_msg(rc == 0, "%s %s: failed: %s", route_cases[_i].method,
	              route_cases[_i].uri, why);
	ck_assert_msg(r.action == route_cases[_i].action,
	              "%s %s: action %s, want %s", route_cases[_i].method,
	              route_cases[_i].uri, action_name(r.action),
	              action_name(route_cases[_i].action));
	ck_assert_str_eq(r.path, route_cases[_i].path);
	ck_assert_opt_str_eq(r.api_version, route_cases[_i].version,
	                     route_cases[_i].uri);
	ck_assert_opt_str_eq(r.param, route_cases[_i].param, route_cases[_i].uri);
	route_clear(&r);
	ck_assert_ptr_null(r.path);
	route_clear(&r); /* cleared twice is harmless */
}
END_TEST

/* URIs dockerd would refuse too: -1 and the reason. */
static const struct {
	const char *uri, *why;
} bad_cases[] = {
    {"/containers/%zz", "request path has an invalid %-escape"},
    {"/containers/%4", "request path has an invalid %-escape"},
    {"/containers/create%", "request path has an invalid %-escape"},
    {"/containers/%4g", "request path has an invalid %-escape"},
    {"/containers/%00create", "request path has an invalid %-escape"},
    {"/containers/%g4?x=1", "request path has an invalid %-escape"},
    {"/images/create?fromImage=%zz", "query string has an invalid %-escape"},
    {"/images/create?fromImage=a%4", "query string has an invalid %-escape"},
    {"/images/create?fromImage=a%00", "query string has an invalid %-escape"},
    {"/images/create?%zz=a", "query string has an invalid %-escape"},
    {"/images/create?tag=1&fromImage=x%", "query string has an invalid %-escape"},
    {"/images/create?fromImage=a;tag=b", "query string contains ';'"},
    {"/images/create?a=1&;", "query string contains ';'"},
    {"/images/create?a=%3B&b=;", "query string contains ';'"},
    {"containers/create", "request path is not absolute"},
    {"", "request path is not absolute"},
    {"?fromImage=x", "request path is not absolute"},
    {"http://host/containers/create", "request path is not absolute"},
    {"*", "request path is not absolute"},
    {"%2Fcontainers/create", "request path is not absolute"},
};

START_TEST(test_route_bad)
{
	struct route r;
	const char *why = NULL;
	int rc = route_parse("POST", bad_cases[_i].uri, &r, &why);

	ck_assert_msg(rc == -1, "'%s' was accepted", bad_cases[_i].uri);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, bad_cases[_i].why);
	/* Nothing is left to free, and clearing is still safe. */
	ck_assert_ptr_null(r.path);
	ck_assert_ptr_null(r.query);
	route_clear(&r);
}
END_TEST

/* route_query: decoded keys and values, the first of repeated keys. */
static const struct {
	const char *uri, *key, *value; /* value NULL: absent */
	size_t nquery;
} query_cases[] = {
    {"/images/create?fromImage=registry.example.com%2Ffoo&tag=1", "fromImage",
     "registry.example.com/foo", 2},
    {"/images/create?fromImage=registry.example.com%2Ffoo&tag=1", "tag", "1",
     2},
    {"/images/create?fromImage=a+b", "fromImage", "a b", 1},
    {"/images/create?fromImage=a%2Bb", "fromImage", "a+b", 1},
    {"/images/create?fromImage=a%20b", "fromImage", "a b", 1},
    {"/images/create?tag=1&tag=2", "tag", "1", 2},
    {"/images/create?tag=&tag=2", "tag", "", 2},
    {"/images/create?tag", "tag", "", 1},
    {"/images/create?tag=", "tag", "", 1},
    {"/images/create?a=b=c", "a", "b=c", 1},
    {"/images/create?a=%26b", "a", "&b", 1},
    {"/images/create?&&a=1&&", "a", "1", 1},
    {"/images/create?%66romImage=x", "fromImage", "x", 1},
    {"/images/create?from+Image=x", "from Image", "x", 1},
    {"/images/create?x=1", "y", NULL, 1},
    {"/images/create?A=1", "a", NULL, 1},
    {"/images/create?fromimage=x", "fromImage", NULL, 1},
    {"/images/create?=x", "", "x", 1},
    {"/images/create", "fromImage", NULL, 0},
    {"/images/create?", "fromImage", NULL, 0},
    {"/images/create?fromImage=%C3%A9", "fromImage", "\xc3\xa9", 1},
    {"/images/create?fromImage=a?b", "fromImage", "a?b", 1},
    {"/images/create?fromImage=a/b#c", "fromImage", "a/b#c", 1},
    {"/images/create%3Fa=1?b=2", "b", "2", 1},
    {"/images/create%3Fa=1?b=2", "a", NULL, 1},
};

START_TEST(test_query)
{
	struct route r;
	const char *why = "unset";

	ck_assert_msg(route_parse("POST", query_cases[_i].uri, &r, &why) == 0,
	              "%s: %s", query_cases[_i].uri, why);
	ck_assert_uint_eq(r.nquery, query_cases[_i].nquery);
	ck_assert_opt_str_eq(route_query(&r, query_cases[_i].key),
	                     query_cases[_i].value, query_cases[_i].uri);
	route_clear(&r);
}
END_TEST

/* route_parse keeps every string in one allocation sized from the URI:
 * the tightest queries (members of one byte, none of them empty, each
 * decoding to a key and a value) fill it. Under ASan and valgrind an
 * overrun fails here. */
START_TEST(test_store_bound)
{
	static const struct {
		const char *member, *key, *value;
	} forms[] = {
	    {"a", "a", ""},      {"=", "", ""},       {"a=", "a", ""},
	    {"%41", "A", ""},    {"a=%42", "a", "B"}, {"+", " ", ""},
	    {"%41=%42", "A", "B"},
	};
	/* A path that takes its share (version, parameter), and one that
	 * leaves the query no slack. */
	static const struct {
		const char *prefix, *path, *version, *param;
	} paths[] = {
	    {"/v1.41/services/x/update?", "/services/x/update", "1.41", "x"},
	    {"/?", "/", NULL, NULL},
	};
	char uri[512];

	for (size_t p = 0; p < N(paths); p++) {
		for (size_t f = 0; f < N(forms); f++) {
			for (size_t n = 1; n <= 40; n++) {
				int len = snprintf(uri, sizeof uri, "%s", paths[p].prefix);
				for (size_t i = 0; i < n; i++)
					len += snprintf(uri + len, sizeof uri - (size_t)len,
					                "%s%s", i ? "&" : "", forms[f].member);
				struct route r;
				const char *why = "unset";
				ck_assert_msg(route_parse("POST", uri, &r, &why) == 0,
				              "%s: %s", uri, why);
				ck_assert_str_eq(r.path, paths[p].path);
				ck_assert_opt_str_eq(r.api_version, paths[p].version, uri);
				ck_assert_opt_str_eq(r.param, paths[p].param, uri);
				ck_assert_uint_eq(r.nquery, n);
				for (size_t i = 0; i < n; i++) {
					ck_assert_str_eq(r.query[i].key, forms[f].key);
					ck_assert_str_eq(r.query[i].value, forms[f].value);
				}
				route_clear(&r);
			}
		}
	}
}
END_TEST

/* Every action has its name; out-of-range values read as "other". */
static const struct {
	enum action a;
	const char *name;
} name_cases[] = {
    {ACTION_OTHER, "other"},
    {ACTION_CONTAINER_CREATE, "container_create"},
    {ACTION_CONTAINER_UPDATE, "container_update"},
    {ACTION_EXEC_CREATE, "exec_create"},
    {ACTION_IMAGE_CREATE, "image_create"},
    {ACTION_IMAGE_TAG, "image_tag"},
    {ACTION_IMAGE_PUSH, "image_push"},
    {ACTION_IMAGE_LOAD, "image_load"},
    {ACTION_COMMIT, "commit"},
    {ACTION_BUILD, "build"},
    {ACTION_VOLUME_CREATE, "volume_create"},
    {ACTION_SERVICE_CREATE, "service_create"},
    {ACTION_SERVICE_UPDATE, "service_update"},
    {ACTION_PLUGIN_PULL, "plugin_pull"},
    {ACTION_PLUGIN_UPGRADE, "plugin_upgrade"},
    {ACTION_PLUGIN_DISABLE, "plugin_disable"},
    {ACTION_PLUGIN_REMOVE, "plugin_remove"},
    {ACTION_PLUGIN_SET, "plugin_set"},
    {ACTION_AUTH, "auth"},
    {ACTION__COUNT, "other"},
    {(enum action)1000, "other"},
    {(enum action)-1, "other"},
};

START_TEST(test_action_name)
{
	ck_assert_str_eq(action_name(name_cases[_i].a), name_cases[_i].name);
}
END_TEST

/* The name table has one row per action: a new action added to the enum
 * but not to name_cases (or to route.c) shows here. */
START_TEST(test_action_name_complete)
{
	ck_assert_int_eq(N(name_cases), ACTION__COUNT + 3);
	for (int a = 1; a < ACTION__COUNT; a++) {
		ck_assert_ptr_nonnull(action_name((enum action)a));
		ck_assert_str_ne(action_name((enum action)a), "other");
		for (int b = 0; b < a; b++)
			ck_assert_str_ne(action_name((enum action)a),
			                 action_name((enum action)b));
	}
}
END_TEST

Suite *route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_route, 0, (int)N(route_cases));
	tcase_add_loop_test(tc, test_route_bad, 0, (int)N(bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("query");
	tcase_add_loop_test(tc, test_query, 0, (int)N(query_cases));
	tcase_add_test(tc, test_store_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("action_name");
	tcase_add_loop_test(tc, test_action_name, 0, (int)N(name_cases));
	tcase_add_test(tc, test_action_name_complete);
	suite_add_tcase(s, tc);
	return s;
}
