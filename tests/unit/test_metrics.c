/* metrics: counters move with decisions and reloads, and render as
 * Prometheus text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "metrics.h"
#include "suites.h"

/* The value of the sample line that starts with key, or -1. */
static long long sample(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, n) == 0 && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

START_TEST(test_counts)
{
	struct metrics *m = metrics_new();
	struct request rq;
	struct violation v[2] = {
	    {.rule = RULE_NO_ROOT, .reason = REASON_USER_ROOT, .enforced = true},
	    {.rule = RULE_READ_ONLY_ROOTFS, .reason = REASON_ROOTFS_WRITABLE,
	     .enforced = false}};
	struct decision deny = {.allow = false, .v = v, .n = 2};
	struct decision would = {.allow = true, .v = v + 1, .n = 1};
	struct decision allow = {.allow = true};

	memset(&rq, 0, sizeof rq);
	rq.route.action = ACTION_CONTAINER_CREATE;
	metrics_observe(m, &rq, &deny, 40);
	metrics_observe(m, &rq, &would, 300);
	metrics_observe(m, &rq, &allow, 2000000);
	metrics_observe(m, NULL, &deny, 10);
	metrics_observe(NULL, NULL, &deny, 10); /* no-op */

	struct policy_errors errs = {0};
	struct policy *p = policy_load_buffer("p.yaml", "version: 1\nmode: audit\n",
	                                      22, &errs);
	ck_assert_ptr_nonnull(p);
	metrics_policy(m, p, true, true);
	metrics_policy(m, NULL, false, false);

	char *t = metrics_render(m);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(sample(t, "dockgate_decisions_total{verdict=\"deny\",action=\"container_create\"}"), 1);
	ck_assert_int_eq(sample(t, "dockgate_decisions_total{verdict=\"deny\",action=\"other\"}"), 1);
	ck_assert_int_eq(sample(t, "dockgate_decisions_total{verdict=\"would_deny\",action=\"container_create\"}"), 1);
	ck_assert_int_eq(sample(t, "dockgate_decisions_total{verdict=\"allow\",action=\"container_create\"}"), 1);
	ck_assert_int_eq(sample(t, "dockgate_decisions_total{verdict=\"allow\",action=\"exec_create\"}"), -1);
	ck_assert_int_eq(sample(t, "dockgate_violations_total{rule=\"no-root\",enforced=\"true\"}"), 2);
	ck_assert_int_eq(sample(t, "dockgate_violations_total{rule=\"read-only-rootfs\",enforced=\"false\"}"), 3);
	ck_assert_int_eq(sample(t, "dockgate_decision_duration_seconds_bucket{le=\"5e-05\"}"), 2);
	ck_assert_int_eq(sample(t, "dockgate_decision_duration_seconds_bucket{le=\"0.0005\"}"), 3);
	ck_assert_int_eq(sample(t, "dockgate_decision_duration_seconds_bucket{le=\"1\"}"), 3);
	ck_assert_int_eq(sample(t, "dockgate_decision_duration_seconds_bucket{le=\"+Inf\"}"), 4);
	ck_assert_int_eq(sample(t, "dockgate_decision_duration_seconds_count"), 4);
	ck_assert_ptr_nonnull(strstr(t, "dockgate_decision_duration_seconds_sum 2.000350\n"));
	ck_assert_int_eq(sample(t, "dockgate_policy_reloads_total{result=\"success\"}"), 0);
	ck_assert_int_eq(sample(t, "dockgate_policy_reloads_total{result=\"failure\"}"), 1);
	char want[256];
	snprintf(want, sizeof want,
	         "dockgate_policy_info{path=\"p.yaml\",sha256=\"%s\",mode=\"audit\",rules=\"0\"} 1\n",
	         p->sha256);
	ck_assert_msg(strstr(t, want) != NULL, "no %s in\n%s", want, t);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE dockgate_decision_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(t, "dockgate_build_info{version=\""));
	free(t);
	policy_unref(p);
	metrics_free(m);
	metrics_free(NULL);
}
END_TEST

Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("counters");
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);
	return s;
}
