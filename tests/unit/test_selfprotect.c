/* selfprotect suite: which plugin names are dockgate itself, which cannot
 * be told apart from it, and the exact text the user reads. Each table row
 * is one request; the verdict files in tests/verdicts run the same through
 * the whole pipeline. */
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "route.h"
#include "selfprotect.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

enum want { ALLOW, SELF, ID, INVALID };

static const struct {
	const char *names; /* self names, space separated */
	const char *method, *uri;
	enum want want;
} check_cases[] = {
    /* The default name, every way dockerd would resolve to it. */
    {"dockgate", "POST", "/plugins/dockgate/disable", SELF},
    {"dockgate", "POST", "/v1.41/plugins/dockgate:latest/disable", SELF},
    {"dockgate", "POST", "/v1.41/plugins/dockgate:0.1/disable", SELF},
    {"dockgate", "POST", "/v1.41/plugins/library/dockgate/disable", SELF},
    {"dockgate", "POST", "/v1.41/plugins/docker.io/library/dockgate/disable",
     SELF},
    {"dockgate", "POST", "/v1.41/plugins/index.docker.io/dockgate/disable",
     SELF},
    {"dockgate", "POST", "/v1.41/plugins/myorg/dockgate:1.2/disable", SELF},
    {"dockgate", "POST", "/v1.41/plugins/localhost:5000/dockgate/disable",
     SELF},
    {"dockgate", "POST", "/v1.41/plugins/dockgate@sha256:"
                         "0123456789abcdef0123456789abcdef0123456789abcdef"
                         "0123456789abcdef/disable",
     SELF},
    {"dockgate", "POST", "/v1.41/plugins/d%6fckgate/disable", SELF},
    {"dockgate", "POST", "/v1.41/plugins//dockgate/disable", SELF},
    {"dockgate", "DELETE", "/v1.41/plugins/dockgate", SELF},
    {"dockgate", "delete", "/v1.41/plugins/dockgate?force=1", SELF},
    {"dockgate", "POST", "/v1.41/plugins/dockgate/set", SELF},
    {"dockgate", "POST", "/v1.41/plugins/dockgate/upgrade?remote=x", SELF},
    /* Not dockgate. */
    {"dockgate", "POST", "/v1.41/plugins/dockgate2/disable", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/dockgate-exporter/disable", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/dockgate/x/disable", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/vieux/sshfs/disable", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/cafe:latest/disable", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/dockgate/enable", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/dockgate/push", ALLOW},
    {"dockgate", "GET", "/v1.41/plugins/dockgate/json", ALLOW},
    {"dockgate", "POST", "/v1.41/plugins/pull?remote=dockgate", ALLOW},
    {"dockgate", "POST", "/v1.41/containers/create", ALLOW},
    /* IDs and what may be ID prefixes: dockgate cannot know its own. */
    {"dockgate", "POST", "/v1.41/plugins/4f/disable", ID},
    {"dockgate", "POST", "/v1.41/plugins/0123456789abcdef/disable", ID},
    {"dockgate", "DELETE",
     "/v1.41/plugins/0123456789abcdef0123456789abcdef0123456789abcdef"
     "0123456789abcdef",
     ID},
    {"dockgate", "POST", "/v1.41/plugins/sha256:"
                         "0123456789abcdef0123456789abcdef0123456789abcdef"
                         "0123456789abcdef/disable",
     ID},
    /* Names dockerd cannot parse. */
    {"dockgate", "POST", "/v1.41/plugins/a%20b/disable", INVALID},
    {"dockgate", "POST", "/v1.41/plugins/UPPER/disable", INVALID},
    {"dockgate", "POST", "/v1.41/plugins/-x/disable", INVALID},
    /* Other self names. */
    {"authz", "POST", "/v1.41/plugins/authz:2/disable", SELF},
    {"authz", "POST", "/v1.41/plugins/dockgate/disable", ALLOW},
    {"authz dockgate", "POST", "/v1.41/plugins/dockgate/disable", SELF},
    {"myorg/dockgate", "POST", "/v1.41/plugins/myorg/dockgate:3/disable", SELF},
    {"myorg/dockgate", "POST", "/v1.41/plugins/docker.io/myorg/dockgate/disable",
     SELF},
    {"myorg/dockgate", "POST", "/v1.41/plugins/dockgate/disable", ALLOW},
    {"myorg/dockgate", "POST", "/v1.41/plugins/evil/dockgate/disable", ALLOW},
    {"ghcr.io/acme/dockgate:1", "POST",
     "/v1.41/plugins/GHCR.io/acme/dockgate:2/disable", SELF},
    {"dockgate:1.0", "POST", "/v1.41/plugins/dockgate:2.0/disable", SELF},
    /* An empty name list protects nothing (decide() with NULL options). */
    {"", "POST", "/v1.41/plugins/dockgate/disable", ALLOW},
    {"", "POST", "/v1.41/plugins/4f/disable", ALLOW},
};

START_TEST(test_check)
{
	char *names = strdup(check_cases[_i].names), *save = NULL;
	const char *v[4];
	struct selfprotect_opts o = {v, 0};
	for (char *t = strtok_r(names, " ", &save); t && o.n < 4;
	     t = strtok_r(NULL, " ", &save))
		v[o.n++] = t;

	struct route r;
	const char *why;
	ck_assert_int_eq(route_parse(check_cases[_i].method, check_cases[_i].uri,
	                             &r, &why),
	                 0);
	struct decision d = {.allow = true};
	bool denied = selfprotect_check(&o, &r, &d);
	enum want w = check_cases[_i].want;
	ck_assert_msg(denied == (w != ALLOW), "%s %s with [%s]: denied=%d",
	              check_cases[_i].method, check_cases[_i].uri,
	              check_cases[_i].names, denied);
	if (w == ALLOW) {
		ck_assert(d.allow);
		ck_assert_uint_eq(d.n, 0);
	} else {
		enum reason want = w == SELF ? REASON_SELF_PLUGIN
		                   : w == ID ? REASON_SELF_PLUGIN_ID
		                             : REASON_SELF_PLUGIN_INVALID;
		ck_assert(!d.allow);
		ck_assert_uint_eq(d.n, 1);
		ck_assert_int_eq(d.v[0].rule, RULE_SELF_PROTECTION);
		ck_assert_msg(d.v[0].reason == want, "%s: reason %d, want %d",
		              check_cases[_i].uri, d.v[0].reason, want);
		ck_assert(d.v[0].enforced);
		ck_assert_str_eq(d.v[0].arg, r.param);
	}
	decision_clear(&d);
	route_clear(&r);
	free(names);
}
END_TEST

static const struct {
	const char *method, *uri, *text;
} text_cases[] = {
    {"POST", "/v1.41/plugins/dockgate:latest/disable",
     "[self-protection] plugin \"dockgate:latest\" is dockgate itself, and "
     "disabling it would switch off authorization for every user of this "
     "Docker host; an administrator must first take it out of dockerd's "
     "authorization plugins (remove it from authorization-plugins in "
     "daemon.json and reload dockerd, or restart dockerd without "
     "--authorization-plugin; see dockgate(8))"},
    {"DELETE", "/v1.41/plugins/dockgate?force=1",
     "[self-protection] plugin \"dockgate\" is dockgate itself, and removing "
     "it would switch off authorization for every user of this Docker host; "
     "an administrator must first take it out of dockerd's authorization "
     "plugins (remove it from authorization-plugins in daemon.json and "
     "reload dockerd, or restart dockerd without --authorization-plugin; see "
     "dockgate(8))"},
    {"POST", "/v1.41/plugins/4f1a/set",
     "[self-protection] plugin \"4f1a\" may be a plugin ID or ID prefix, and "
     "dockgate cannot tell whether it is dockgate itself, so re-configuring "
     "it is refused; name the plugin as `docker plugin ls` shows it, e.g. "
     "docker plugin set NAME:TAG"},
    {"POST", "/v1.41/plugins/A%22B/upgrade",
     "[self-protection] plugin \"A\\\"B\" is not a valid plugin name, so "
     "dockgate cannot tell whether it is dockgate itself; name the plugin as "
     "`docker plugin ls` shows it, e.g. docker plugin upgrade NAME:TAG"},
};

START_TEST(test_text)
{
	const char *v[] = {selfprotect_default_name};
	struct selfprotect_opts o = {v, 1};
	struct route r;
	const char *why;
	ck_assert_int_eq(
	    route_parse(text_cases[_i].method, text_cases[_i].uri, &r, &why), 0);
	struct decision d = {.allow = true};
	ck_assert(selfprotect_check(&o, &r, &d));
	char *text = decision_render_violation(&d.v[0]);
	ck_assert_str_eq(text, text_cases[_i].text);
	free(text);
	decision_clear(&d);
	route_clear(&r);
}
END_TEST

static const struct {
	const char *name;
	bool valid;
} name_cases[] = {
    {"dockgate", true},
    {"dockgate:1.0", true},
    {"myorg/dockgate", true},
    {"registry.example.com/platform/dockgate:2", true},
    {"", false},
    {"Dock Gate", false},
    {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
};

START_TEST(test_name_valid)
{
	const char *why = NULL;
	bool ok = selfprotect_name_valid(name_cases[_i].name, &why);
	ck_assert_msg(ok == name_cases[_i].valid, "'%s': %d", name_cases[_i].name,
	              ok);
	if (!ok)
		ck_assert_ptr_nonnull(why);
}
END_TEST

Suite *selfprotect_suite(void)
{
	Suite *s = suite_create("selfprotect");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_check, 0, (int)N(check_cases));
	tcase_add_loop_test(tc, test_text, 0, (int)N(text_cases));
	tcase_add_loop_test(tc, test_name_valid, 0, (int)N(name_cases));
	suite_add_tcase(s, tc);
	return s;
}
