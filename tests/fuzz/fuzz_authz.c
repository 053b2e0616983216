/* libFuzzer target for the AuthZ request decoder: any bytes as the JSON
 * dockerd POSTs to /AuthZPlugin.AuthZReq, decoded with authz_req_decode and,
 * when that succeeds, routed with route_parse. The same bytes are also read
 * as "METHOD\nURI" and routed directly, so the router is fuzzed without the
 * fuzzer first having to learn JSON (jansson is not instrumented).
 *
 * Besides the sanitizers, it checks:
 *  - decode fails exactly when *why is set, and leaves *req zeroed then;
 *  - a decoded body round-trips through base64_encode;
 *  - a routed path is absolute and clean (no "//", "/./", "/../", trailing
 *    '/'), its action is in range, and routing is deterministic.
 *
 * Built and run by `make fuzz` / `make fuzz-smoke` (see the Makefile):
 *   build/fuzz/fuzz_authz -max_total_time=60 tests/fuzz/corpus/authz
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz_proto.h"
#include "base64.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
			        __LINE__);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

static void check_route(const char *method, const char *uri)
{
	struct route r, r2;
	const char *why = NULL, *why2 = NULL;
	int rc = route_parse(method, uri, &r, &why);
	if (rc < 0) {
		CHECK(why != NULL);
		CHECK(r.path == NULL && r.query == NULL && r.nquery == 0);
		return;
	}
	CHECK(r.path != NULL && r.path[0] == '/');
	CHECK((unsigned)r.action < ACTION__COUNT);
	CHECK(strstr(r.path, "//") == NULL);
	CHECK(strstr(r.path, "/./") == NULL && strstr(r.path, "/../") == NULL);
	size_t n = strlen(r.path);
	CHECK(n == 1 || r.path[n - 1] != '/');
	CHECK(!(n >= 2 && strcmp(r.path + n - 2, "/.") == 0));
	CHECK(!(n >= 3 && strcmp(r.path + n - 3, "/..") == 0));
	for (size_t i = 0; i < r.nquery; i++)
		CHECK(r.query[i].key != NULL && r.query[i].value != NULL);
	if (r.nquery > 0)
		CHECK(route_query(&r, r.query[0].key) == r.query[0].value);

	/* Same input, same answer. */
	CHECK(route_parse(method, uri, &r2, &why2) == 0);
	CHECK(r2.action == r.action && strcmp(r2.path, r.path) == 0);
	CHECK((r.param == NULL) == (r2.param == NULL));
	route_clear(&r2);

	/* dockerd routes the decoded path, so percent-encoding every byte of
	 * a path that had no escape must change nothing (the %63reate
	 * trick, generalised). */
	size_t plen = strcspn(uri, "?");
	if (memchr(uri, '%', plen) == NULL) {
		static const char hex[] = "0123456789ABCDEF";
		char *enc = malloc(plen * 3 + strlen(uri + plen) + 1), *o = enc;
		CHECK(enc != NULL);
		for (size_t i = 0; i < plen; i++) {
			unsigned char c = (unsigned char)uri[i];
			if (c == '/') {
				*o++ = '/';
				continue;
			}
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		strcpy(o, uri + plen);
		CHECK(route_parse(method, enc, &r2, &why2) == 0);
		CHECK(r2.action == r.action && strcmp(r2.path, r.path) == 0);
		route_clear(&r2);
		free(enc);
	}
	route_clear(&r);
}

static void check_decode(const uint8_t *data, size_t size)
{
	struct authz_req req;
	char *why = NULL;

	if (authz_req_decode((const char *)data, size, &req, &why) < 0) {
		CHECK(why != NULL);
		CHECK(req.user == NULL && req.uri == NULL && req.body == NULL);
		free(why);
		return;
	}
	CHECK(why == NULL);
	CHECK(req.user && req.authn_method && req.method && req.uri);
	CHECK(!req.body_bad || req.has_body);
	CHECK(req.body == NULL || req.has_body);
	if (req.body != NULL) {
		CHECK(req.body[req.body_len] == '\0');
		char *enc = base64_encode(req.body, req.body_len);
		size_t n2 = 0;
		CHECK(enc != NULL);
		unsigned char *dec = base64_decode(enc, strlen(enc), &n2);
		CHECK(dec != NULL && n2 == req.body_len);
		CHECK(memcmp(dec, req.body, n2) == 0);
		free(dec);
		free(enc);
	}
	check_route(req.method, req.uri);
	authz_req_clear(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_decode(data, size);

	/* "METHOD\nURI": the router on its own. */
	char *s = malloc(size + 1);
	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	char *nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		check_route(s, nl + 1);
	} else {
		check_route("POST", s);
	}
	free(s);
	return 0;
}
