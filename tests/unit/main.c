/* Runs every unit suite. Tests read their data relative to the repository
 * root, which is where make runs them. CK_FORK=no runs them in one process,
 * as valgrind wants. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	Suite *(*const suites[])(void) = {
	    base64_suite, gojson_suite, jdoc_suite, imageref_suite, route_suite,
	    authz_proto_suite, request_suite, policy_suite, eval_suite,
	    selfprotect_suite, hostpath_suite, verdicts_suite, auditlog_suite,
	    metrics_suite, strbuf_suite, declog_suite, arena_suite, acceptor_suite,
	    spinwait_suite,
	};
	SRunner *sr = srunner_create(NULL);
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
