/* libFuzzer target for the container-create body decoder: any bytes as the
 * body of POST /containers/create, decoded with request_decode_create.
 *
 * Besides the sanitizers, it checks the decoder's contract:
 *  - BODY_OK exactly when *why is NULL; on failure *spec is zeroed;
 *  - an OK spec is complete (User never NULL, CapAdd entries present);
 *  - the same bytes decode the same way twice.
 *
 * Built and run by `make fuzz` / `make fuzz-smoke` (see the Makefile):
 *   build/fuzz/fuzz_create -max_total_time=60 tests/fuzz/corpus/create
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
			        __LINE__);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

static int streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_spec s1, s2;
	char *why1 = NULL, *why2 = NULL;

	enum body_status st1 = request_decode_create(data, size, &s1, &why1);
	enum body_status st2 = request_decode_create(data, size, &s2, &why2);
	CHECK(st1 == st2);
	CHECK(st1 == BODY_OK || st1 == BODY_INVALID || st1 == BODY_AMBIGUOUS);
	if (st1 != BODY_OK) {
		CHECK(why1 != NULL && why2 != NULL && strcmp(why1, why2) == 0);
		CHECK(s1.image == NULL && s1.user == NULL && s1.cap_add == NULL);
		CHECK(s1.n_cap_add == 0 && s1.memory == 0);
	} else {
		CHECK(why1 == NULL && why2 == NULL);
		CHECK(s1.user != NULL);
		CHECK(streq(s1.image, s2.image) && streq(s1.user, s2.user));
		CHECK(s1.memory == s2.memory && s1.nano_cpus == s2.nano_cpus &&
		      s1.cpu_quota == s2.cpu_quota &&
		      s1.cpu_period == s2.cpu_period &&
		      s1.pids_limit == s2.pids_limit &&
		      s1.readonly_rootfs == s2.readonly_rootfs);
		CHECK(s1.n_cap_add == s2.n_cap_add);
		CHECK(s1.n_cap_add == 0 || s1.cap_add != NULL);
		for (size_t i = 0; i < s1.n_cap_add; i++)
			CHECK(streq(s1.cap_add[i], s2.cap_add[i]));
	}
	free(why1);
	free(why2);
	container_spec_clear(&s1);
	container_spec_clear(&s2);
	return 0;
}
