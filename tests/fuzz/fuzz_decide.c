/* libFuzzer target for the whole request -> decision path: decide() with
 * policies/default.yaml (loaded once; DOCKGATE_FUZZ_POLICY overrides it).
 * Every input is judged twice:
 *  - as the AuthZReq JSON itself, as dockerd would POST it;
 *  - as the body of POST /v1.41/containers/create, wrapped in an AuthZReq
 *    (base64), so that the fuzzer reaches the rules without first having to
 *    learn base64.
 *
 * Besides the sanitizers, it checks:
 *  - the reply is a JSON object whose Allow agrees with *allow, with a Msg
 *    exactly when it denies;
 *  - an allowed create satisfies default.yaml, checked here independently of
 *    eval.c: a body that decodes, a non-root User, a read-only rootfs,
 *    memory/cpus/pids set and under the ceilings, no capability but
 *    NET_BIND_SERVICE, an image from an approved registry.
 *
 * Built and run by `make fuzz` / `make fuzz-smoke` (see the Makefile):
 *   build/fuzz/fuzz_decide -max_total_time=60 tests/fuzz/corpus/decide
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base64.h"
#include "decide.h"
#include "imageref.h"
#include "policy.h"
#include "request.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
			        __LINE__);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

static struct policy *policy;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct policy_errors errs = {0};
	const char *path = getenv("DOCKGATE_FUZZ_POLICY");
	(void)argc;
	(void)argv;
	if (path == NULL)
		path = "policies/default.yaml";
	policy = policy_load_file(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	policy_errors_clear(&errs);
	if (policy == NULL) {
		fprintf(stderr, "fuzz_decide: cannot load %s (run from the "
		                "repository root)\n", path);
		exit(1);
	}
	/* The audit line is written too, so its escaping is fuzzed. */
	devnull = fopen("/dev/null", "w");
	CHECK(devnull != NULL);
	return 0;
}

/* One side of "user:group" as runc would resolve it: 1 when it is root. */
static int id_is_root(const char *s, size_t len)
{
	if (len == 4 && strncmp(s, "root", 4) == 0)
		return 1;
	size_t i = (len > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
	if (i == len)
		return 0;
	for (size_t j = i; j < len; j++)
		if (!isdigit((unsigned char)s[j]))
			return 0;
	for (size_t j = i; j < len; j++)
		if (s[j] != '0')
			return 0;
	return 1;
}

static int user_ok(const char *user)
{
	if (user == NULL || user[0] == '\0')
		return 0; /* default.yaml: unset-user: deny */
	const char *colon = strchr(user, ':');
	size_t ulen = colon ? (size_t)(colon - user) : strlen(user);
	if (ulen == 0 || id_is_root(user, ulen))
		return 0;
	if (colon != NULL && id_is_root(colon + 1, strlen(colon + 1)))
		return 0;
	return 1;
}

static int cap_ok(const char *c)
{
	if (strncasecmp(c, "CAP_", 4) == 0)
		c += 4;
	return strcasecmp(c, "NET_BIND_SERVICE") == 0;
}

static int image_ok(const char *image)
{
	static const char *const approved[] = {"registry.example.com",
	                                       "ghcr.io/acme", "docker.io/library"};
	struct imageref ref;
	const char *why;
	if (image == NULL || imageref_parse(image, &ref, &why) != IMAGEREF_OK)
		return 0;
	int ok = 0;
	for (size_t i = 0; i < 3 && !ok; i++)
		ok = imageref_match(&ref, approved[i]);
	imageref_clear(&ref);
	return ok;
}

/* default.yaml, judged without eval.c. */
static void check_allowed_create(const uint8_t *body, size_t size)
{
	struct container_spec s;
	char *why = NULL;
	CHECK(request_decode_create(body, size, &s, &why) == BODY_OK);
	CHECK(user_ok(s.user));
	CHECK(s.readonly_rootfs);
	CHECK(s.memory > 0 && s.memory <= 4LL << 30);
	/* In long double, never converted back: a huge quota must read as
	 * huge (see limits-cpu-quota-overflow.case). One nano CPU of slack for
	 * eval's truncation. */
	long double cpus = (long double)s.nano_cpus;
	if (cpus <= 0 && s.cpu_quota > 0)
		cpus = (long double)s.cpu_quota * 1e9L /
		       (long double)(s.cpu_period > 0 ? s.cpu_period : 100000);
	CHECK(cpus > 0 && cpus < 2000000001.0L);
	CHECK(s.pids_limit > 0 && s.pids_limit <= 4096);
	for (size_t i = 0; i < s.n_cap_add; i++)
		CHECK(cap_ok(s.cap_add[i]));
	CHECK(image_ok(s.image));
	container_spec_clear(&s);
}

static void check_reply(const char *reply, bool allow)
{
	json_error_t err;
	CHECK(reply != NULL);
	json_t *o = json_loads(reply, 0, &err);
	CHECK(o != NULL && json_is_object(o));
	json_t *a = json_object_get(o, "Allow");
	CHECK(json_is_boolean(a) && json_is_true(a) == allow);
	json_t *m = json_object_get(o, "Msg");
	CHECK(allow ? m == NULL : json_is_string(m));
	json_decref(o);
}

/* As the daemon runs by default: self-protected as "dockgate". */
static const char *const self_names[] = {selfprotect_default_name};
static const struct decide_opts opts = {.self = {self_names, 1}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool allow = true;
	char *reply = decide(policy, &opts, (const char *)data, size, &allow, devnull);
	check_reply(reply, allow);
	free(reply);

	char *b64 = base64_encode(data, size);
	CHECK(b64 != NULL);
	json_t *req = json_pack("{s:s, s:s, s:s}", "RequestMethod", "POST",
	                        "RequestUri", "/v1.41/containers/create",
	                        "RequestBody", b64);
	CHECK(req != NULL);
	char *wrapped = json_dumps(req, JSON_COMPACT);
	CHECK(wrapped != NULL);
	allow = true;
	reply = decide(policy, &opts, wrapped, strlen(wrapped), &allow, devnull);
	check_reply(reply, allow);
	if (allow)
		check_allowed_create(data, size);
	free(reply);
	free(wrapped);
	json_decref(req);
	free(b64);
	return 0;
}
