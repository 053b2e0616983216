/* libFuzzer target for the policy loader: any bytes as a policy file.
 * Besides the sanitizers (no crash, no leak, no undefined behaviour), it
 * checks the loader's contract:
 *  - a policy comes back exactly when there is no error, and is sane;
 *  - every error is one printable line that starts with the file name;
 *  - at most 100 errors and one "more errors" line;
 *  - loading the same bytes twice gives the same errors.
 *
 * Build and run from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *       $(pkg-config --cflags yaml-0.1) tests/fuzz/fuzz_policy.c \
 *       plugin/policy.c plugin/policy_load.c plugin/imageref.c plugin/hostpath.c \
 *       $(pkg-config --libs yaml-0.1) -o fuzz_policy
 *   ./fuzz_policy -max_total_time=60 tests/fuzz/corpus/policy
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
			        __LINE__);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

static void check_policy(const struct policy *p)
{
	CHECK(p->version == 1);
	CHECK(strcmp(p->source, "fuzz.yaml") == 0);
	CHECK(p->mode == POLICY_ENFORCE || p->mode == POLICY_AUDIT);
	for (int i = 0; i < RULE__COUNT; i++)
		CHECK(p->action[i] == RULE_OFF || p->action[i] == RULE_DENY ||
		      p->action[i] == RULE_AUDIT);
	CHECK((p->limits_require & ~7u) == 0);
	CHECK(p->max_memory >= 0 && p->max_nano_cpus >= 0 && p->max_pids >= 0);
	CHECK(p->max_memory == 0 || p->max_memory >= 6 * 1024 * 1024);
	for (size_t i = 0; i < p->n_cap_allow; i++) {
		const char *c = p->cap_allow[i];
		CHECK(c[0] != '\0' && strncmp(c, "CAP_", 4) != 0);
		for (; *c != '\0'; c++)
			CHECK((*c >= 'A' && *c <= 'Z') || *c == '_');
	}
	for (size_t i = 0; i < p->n_registries; i++)
		CHECK(p->registries[i][0] != '\0');
}

static void check_errors(const struct policy_errors *e)
{
	CHECK(e->n >= 1 && e->n <= 101);
	for (size_t i = 0; i < e->n; i++) {
		const char *m = e->msg[i];
		CHECK(strncmp(m, "fuzz.yaml:", 10) == 0);
		for (const unsigned char *c = (const unsigned char *)m; *c; c++)
			CHECK(*c >= 0x20 && *c < 0x7f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors e1 = {0}, e2 = {0};
	struct policy *p =
	    policy_load_buffer("fuzz.yaml", (const char *)data, size, &e1);
	if (p != NULL) {
		CHECK(e1.n == 0);
		check_policy(p);
		policy_unref(p);
	} else {
		check_errors(&e1);
	}
	/* Same bytes, same verdict, same words. */
	p = policy_load_buffer("fuzz.yaml", (const char *)data, size, &e2);
	CHECK((p != NULL) == (e1.n == 0) && e1.n == e2.n);
	for (size_t i = 0; i < e1.n; i++)
		CHECK(strcmp(e1.msg[i], e2.msg[i]) == 0);
	policy_unref(p);
	policy_errors_clear(&e1);
	policy_errors_clear(&e2);
	return 0;
}
