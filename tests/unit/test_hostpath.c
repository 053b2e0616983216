/* hostpath: cleaning as Go's filepath.Clean, and "exposes" on whole
 * components. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "hostpath.h"
#include "suites.h"

static const struct {
	const char *in, *want; /* want NULL: refused */
} cleans[] = {
    {"/", "/"},
    {"//", "/"},
    {"/etc/", "/etc"},
    {"/etc/../", "/"},
    {"/etc/..", "/"},
    {"/../../etc", "/etc"},
    {"/var/run//docker.sock", "/var/run/docker.sock"},
    {"/./etc/./passwd", "/etc/passwd"},
    {"/srv/../etc/./passwd/", "/etc/passwd"},
    {"/a/b/../../c", "/c"},
    {"/...", "/..."},
    {"/a/..b", "/a/..b"},
    {"etc", NULL},
    {"", NULL},
    {"./etc", NULL},
};

START_TEST(test_clean)
{
	char *got = hostpath_clean(cleans[_i].in);
	if (cleans[_i].want == NULL) {
		ck_assert_msg(got == NULL, "'%s' -> '%s'", cleans[_i].in, got);
	} else {
		ck_assert_msg(got != NULL, "'%s' refused", cleans[_i].in);
		ck_assert_str_eq(got, cleans[_i].want);
	}
	free(got);
}
END_TEST

START_TEST(test_exposes)
{
	ck_assert(hostpath_exposes("/", "/"));
	ck_assert(!hostpath_exposes("/srv", "/"));
	ck_assert(hostpath_exposes("/etc", "/etc"));
	ck_assert(hostpath_exposes("/etc/ssl", "/etc"));
	ck_assert(!hostpath_exposes("/etcetera", "/etc"));
	ck_assert(hostpath_exposes("/var", "/var/run/docker.sock"));
	ck_assert(hostpath_exposes("/var/run", "/var/run/docker.sock"));
	ck_assert(!hostpath_exposes("/var/run/docker", "/var/run/docker.sock"));
	ck_assert(!hostpath_exposes("/var/lib", "/var/run/docker.sock"));
	ck_assert(hostpath_exposes("/", "/etc"));
}
END_TEST

START_TEST(test_under)
{
	ck_assert(hostpath_under("/srv/data", "/srv/data"));
	ck_assert(hostpath_under("/srv/data/x", "/srv/data"));
	ck_assert(!hostpath_under("/srv/database", "/srv/data"));
	ck_assert(!hostpath_under("/srv", "/srv/data"));
	ck_assert(hostpath_under("/anything", "/"));
}
END_TEST

START_TEST(test_default_list_clean)
{
	/* The built-in list must already be in clean form, or it would
	 * never match a cleaned source. */
	for (size_t i = 0; hostpath_default_deny[i] != NULL; i++) {
		char *c = hostpath_clean(hostpath_default_deny[i]);
		ck_assert_str_eq(c, hostpath_default_deny[i]);
		free(c);
	}
}
END_TEST

Suite *hostpath_suite(void)
{
	Suite *s = suite_create("hostpath");
	TCase *tc = tcase_create("hostpath");
	tcase_add_loop_test(tc, test_clean, 0, sizeof cleans / sizeof cleans[0]);
	tcase_add_test(tc, test_exposes);
	tcase_add_test(tc, test_under);
	tcase_add_test(tc, test_default_list_clean);
	suite_add_tcase(s, tc);
	return s;
}
