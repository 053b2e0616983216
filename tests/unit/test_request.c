/* request suite: container-create bodies decoded the way dockerd decodes
 * them (real captures, then hand-written Go encoding/json corner cases),
 * and request_build's body status for each kind of AuthZ request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "request.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CAPTURES "tests/fixtures/captures/"
#define MAX_CAPS 3

static const char *body_status_name(enum body_status st)
{
	switch (st) {
	case BODY_NOT_NEEDED:
		return "NOT_NEEDED";
	case BODY_OK:
		return "OK";
	case BODY_MISSING:
		return "MISSING";
	case BODY_INVALID:
		return "INVALID";
	case BODY_AMBIGUOUS:
		return "AMBIGUOUS";
	case BODY_FORM:
		return "FORM";
	}
	return "?";
}

/* Checks why against want: exact, or a prefix when want ends in '*'. A
 * NULL want skips the check. */
static void check_why(const char *what, const char *why, const char *want)
{
	if (want == NULL)
		return;
	ck_assert_msg(why != NULL, "%s: no why, want '%s'", what, want);
	size_t wlen = strlen(want);
	if (wlen > 0 && want[wlen - 1] == '*')
		ck_assert_msg(strncmp(why, want, wlen - 1) == 0,
		              "%s: why '%s', want '%s'", what, why, want);
	else
		ck_assert_msg(strcmp(why, want) == 0, "%s: why '%s', want '%s'", what,
		              why, want);
}

/* What one body must decode to. */
struct expect {
	enum body_status status;
	const char *why; /* see check_why */
	const char *image, *user;
	bool readonly;
	int64_t memory, nano_cpus, cpu_quota, cpu_period, pids;
	size_t ncap;
	const char *cap[MAX_CAPS];
};

static void check_spec(const char *what, enum body_status st, const char *why,
                       const struct container_spec *spec,
                       const struct expect *e)
{
	ck_assert_msg(st == e->status, "%s: status %s (%s), want %s", what,
	              body_status_name(st), why ? why : "", body_status_name(e->status));
	if (st != BODY_OK) {
		check_why(what, why, e->why);
		/* A refused body leaves nothing to free or to misread. */
		ck_assert_ptr_null(spec->image);
		ck_assert_ptr_null(spec->user);
		ck_assert_ptr_null(spec->cap_add);
		ck_assert_uint_eq(spec->n_cap_add, 0);
		return;
	}
	ck_assert_msg(why == NULL, "%s: why '%s' on success", what, why);
	if (e->image == NULL)
		ck_assert_ptr_null(spec->image);
	else
		ck_assert_str_eq(spec->image, e->image);
	ck_assert_ptr_nonnull(spec->user);
	ck_assert_str_eq(spec->user, e->user ? e->user : "");
	ck_assert_int_eq(spec->readonly_rootfs, e->readonly);
	ck_assert_int_eq(spec->memory, e->memory);
	ck_assert_int_eq(spec->nano_cpus, e->nano_cpus);
	ck_assert_int_eq(spec->cpu_quota, e->cpu_quota);
	ck_assert_int_eq(spec->cpu_period, e->cpu_period);
	ck_assert_int_eq(spec->pids_limit, e->pids);
	ck_assert_uint_eq(spec->n_cap_add, e->ncap);
	for (size_t i = 0; i < e->ncap; i++)
		ck_assert_str_eq(spec->cap_add[i], e->cap[i]);
}

/* --- real captures ----------------------------------------------------- */

static const struct {
	const char *file;
	struct expect e;
} capture_cases[] = {
    /* The CLI sends capabilities with the CAP_ prefix, as given to it or
     * not: request.c keeps them as given. */
    {"create-hardened.1.json",
     {BODY_OK, NULL, "local/busybox:1", "1000:1000", true, 268435456,
      500000000, 0, 0, 100, 1, {"CAP_NET_BIND_SERVICE"}}},
    {"create-cpuquota.1.json",
     {BODY_OK, NULL, "local/busybox:1", "", false, 1073741824, 0, 50000,
      100000, 64, 0, {NULL}}},
    {"create-capadd.1.json",
     {BODY_OK, NULL, "local/busybox:1", "1000", true, 268435456, 500000000, 0,
      0, 100, 2, {"CAP_NET_RAW", "CAP_SYS_ADMIN"}}},
    {"create-default.1.json",
     {BODY_OK, NULL, "local/busybox:1", "", false, 0, 0, 0, 0, 0, 0, {NULL}}},
    {"create-root-user.1.json",
     {BODY_OK, NULL, "local/busybox:1", "root", false, 0, 0, 0, 0, 0, 0,
      {NULL}}},
    {"create-uid0.1.json",
     {BODY_OK, NULL, "local/busybox:1", "0:0", true, 268435456, 500000000, 0,
      0, 100, 0, {NULL}}},
    {"create-latest.1.json",
     {BODY_OK, NULL, "busybox", "", false, 0, 0, 0, 0, 0, 0, {NULL}}},
    {"create-digest.1.json",
     {BODY_OK, NULL,
      "registry.example.com/team/app@sha256:"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "", false, 0, 0, 0, 0, 0, 0, {NULL}}},
    {"run-rm.1.json",
     {BODY_OK, NULL, "local/busybox:1", "1000", false, 0, 0, 0, 0, 0, 0,
      {NULL}}},
};

/* Reads a capture's RequestBody with jansson and base64_decode, so this
 * suite does not depend on authz_proto. Returns a new buffer. */
static unsigned char *capture_body(const char *file, size_t *len)
{
	char path[256];
	size_t flen;
	snprintf(path, sizeof path, CAPTURES "%s", file);
	char *data = test_slurp(path, &flen);
	json_error_t err;
	json_t *root = json_loadb(data, flen, 0, &err);
	ck_assert_msg(root != NULL, "%s: %s", path, err.text);
	const char *b64 = json_string_value(json_object_get(root, "RequestBody"));
	ck_assert_msg(b64 != NULL, "%s has no RequestBody", path);
	unsigned char *body = base64_decode(b64, strlen(b64), len);
	ck_assert_msg(body != NULL, "%s: RequestBody is not base64", path);
	json_decref(root);
	free(data);
	return body;
}

START_TEST(test_capture)
{
	size_t len;
	unsigned char *body = capture_body(capture_cases[_i].file, &len);
	struct container_spec spec;
	char *why = NULL;
	enum body_status st = request_decode_create(body, len, &spec, &why);

	check_spec(capture_cases[_i].file, st, why, &spec, &capture_cases[_i].e);
	container_spec_clear(&spec);
	ck_assert_ptr_null(spec.user);
	container_spec_clear(&spec);
	free(why);
	free(body);
}
END_TEST

/* --- hand-written bodies ----------------------------------------------- */

#define NOT_JSON "request body is not valid JSON: *"
#define NOT_OBJECT "request body is not a JSON object"
#define DUP_KEY "request body has a duplicate key (*"
#define CASE_DUP "request body has keys that differ only in case ('*"
#define HC_CASE_DUP "request body's HostConfig has keys that differ only in case"
#define HC_NOT_OBJECT "request body's HostConfig is not a JSON object"
#define WRONG(f) f " has the wrong JSON type"
/* Expectations: a decoded body (fields left out are zero: no image, user "",
 * no limits, no capabilities), or a refusal and its reason. */
#define OK_(...) {.status = BODY_OK, __VA_ARGS__}
#define REFUSED(st, w) {.status = (st), .why = (w)}

/* len 0: strlen(body). */
static const struct {
	const char *body;
	size_t len;
	struct expect e;
} body_cases[] = {
    {"{}", 0, OK_()},
    {"{\"Image\":\"busybox\",\"User\":\"1000\"}", 0,
     OK_(.image = "busybox", .user = "1000")},
    /* Keys match field names in any case, and with Unicode folds. */
    {"{\"user\":\"0\",\"hostconfig\":{\"privileged\":true,\"readonlyrootfs\":"
     "true}}", 0,
     OK_(.user = "0", .readonly = true)},
    {"{\"USER\":\"0\",\"IMAGE\":\"x\",\"HOSTCONFIG\":{\"MEMORY\":5,"
     "\"nanocpus\":6,\"cpuquota\":7,\"CPUPERIOD\":8,\"pidslimit\":9,"
     "\"capadd\":[\"A\"]}}", 0,
     OK_(.image = "x", .user = "0", .memory = 5, .nano_cpus = 6,
      .cpu_quota = 7, .cpu_period = 8, .pids = 9, .ncap = 1, .cap = {"A"})},
    {"{\"U\xc5\xbf" "er\":\"0\"}", 0, OK_(.user = "0")},
    {"{\"U\\u017fer\":\"0\",\"Ho\\u017ftConfig\":{\"ReadonlyRootf\\u017f\":"
     "true,\"Pid\\u017fLimit\":3}}", 0,
     OK_(.user = "0", .readonly = true, .pids = 3)},
    {"{\"\\u0055ser\":\"0\"}", 0, OK_(.user = "0")},
    /* Kelvin sign: no field read here has a 'k', but it still collides. */
    {"{\"HostConfig\":{\"KernelMemory\":1,\"\\u212AernelMemory\":2}}", 0,
     REFUSED(BODY_AMBIGUOUS, HC_CASE_DUP)},
    {"{\"\\u212Aey\":1,\"key\":2}", 0, REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"Hostname\":\"a\",\"\\u212Aostname\":\"b\"}", 0, OK_()},
    /* Keys that collide: Go takes the last, a naive reader the first. */
    {"{\"User\":\"1000\",\"user\":\"0\"}", 0, REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"user\":\"0\",\"User\":\"1000\"}", 0, REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"User\":\"1000\",\"U\\u017fer\":\"0\"}", 0,
     REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"HostConfig\":{},\"hostconfig\":{\"Privileged\":true}}", 0,
     REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"Hostname\":\"a\",\"hostname\":\"b\"}", 0,
     REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"HostConfig\":{\"Privileged\":false,\"privileged\":true}}", 0,
     REFUSED(BODY_AMBIGUOUS, HC_CASE_DUP)},
    {"{\"HostConfig\":{\"Memory\":1,\"MEMORY\":0}}", 0,
     REFUSED(BODY_AMBIGUOUS, HC_CASE_DUP)},
    {"{\"HostConfig\":{\"Binds\":[],\"binds\":[\"/:/host\"]}}", 0,
     REFUSED(BODY_AMBIGUOUS, HC_CASE_DUP)},
    /* Exact duplicates, anywhere (stricter than Go for maps: fine). */
    {"{\"User\":\"1000\",\"User\":\"0\"}", 0, REFUSED(BODY_AMBIGUOUS, DUP_KEY)},
    {"{\"User\":\"1000\",\"\\u0055ser\":\"0\"}", 0,
     REFUSED(BODY_AMBIGUOUS, DUP_KEY)},
    {"{\"HostConfig\":{\"Privileged\":false,\"Privileged\":true}}", 0,
     REFUSED(BODY_AMBIGUOUS, DUP_KEY)},
    {"{\"Labels\":{\"a\":\"1\",\"a\":\"2\"}}", 0,
     REFUSED(BODY_AMBIGUOUS, DUP_KEY)},
    /* Objects this module does not read are not its business. */
    {"{\"HostConfig\":{\"LogConfig\":{\"Type\":\"a\",\"type\":\"b\"}}}", 0,
     OK_()},
    /* Only the first JSON value counts, as with Go's json.Decoder. */
    {"{\"User\":\"1000\"} {\"User\":\"0\"}", 0, OK_(.user = "1000")},
    {"{\"User\":\"1000\"}garbage", 0, OK_(.user = "1000")},
    {"{\"User\":\"1000\"}}", 0, OK_(.user = "1000")},
    {"{\"User\":\"1000\"}\0{\"User\":\"0\"}", 28, OK_(.user = "1000")},
    {" \r\n\t{\"User\":\"1000\"}\n", 0, OK_(.user = "1000")},
    /* CapAdd is a StrSlice: a list or one string; null elements are "". */
    {"{\"HostConfig\":{\"CapAdd\":\"SYS_ADMIN\"}}", 0,
     OK_(.ncap = 1, .cap = {"SYS_ADMIN"})},
    {"{\"HostConfig\":{\"CapAdd\":[\"NET_ADMIN\",null,\"ALL\"]}}", 0,
     OK_(.ncap = 3, .cap = {"NET_ADMIN", "", "ALL"})},
    {"{\"HostConfig\":{\"CapAdd\":[null]}}", 0,
     OK_(.ncap = 1, .cap = {""})},
    {"{\"HostConfig\":{\"CapAdd\":\"\"}}", 0, OK_(.ncap = 1, .cap = {""})},
    {"{\"HostConfig\":{\"CapAdd\":null}}", 0, OK_()},
    {"{\"HostConfig\":{\"CapAdd\":[]}}", 0, OK_()},
    {"{\"HostConfig\":{\"CapAdd\":[1]}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CapAdd"))},
    {"{\"HostConfig\":{\"CapAdd\":[\"A\",[\"B\"]]}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CapAdd"))},
    {"{\"HostConfig\":{\"CapAdd\":{}}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CapAdd"))},
    {"{\"HostConfig\":{\"CapAdd\":true}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CapAdd"))},
    {"{\"HostConfig\":{\"CapAdd\":7}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CapAdd"))},
    /* Integers: null is zero; anything Go would not put in an int64 is
     * refused. */
    {"{\"HostConfig\":{\"PidsLimit\":null}}", 0, OK_()},
    {"{\"HostConfig\":{\"PidsLimit\":-1}}", 0, OK_(.pids = -1)},
    {"{\"HostConfig\":{\"Memory\":9223372036854775807}}", 0,
     OK_(.memory = INT64_MAX)},
    {"{\"HostConfig\":{\"Memory\":9223372036854775808}}", 0,
     REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"HostConfig\":{\"Memory\":\"1g\"}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.Memory"))},
    {"{\"HostConfig\":{\"Memory\":1.5}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.Memory"))},
    {"{\"HostConfig\":{\"Memory\":1e9}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.Memory"))},
    {"{\"HostConfig\":{\"Memory\":1.0}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.Memory"))},
    {"{\"HostConfig\":{\"NanoCpus\":true}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.NanoCpus"))},
    {"{\"HostConfig\":{\"CpuQuota\":[]}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CpuQuota"))},
    {"{\"HostConfig\":{\"CpuPeriod\":{}}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.CpuPeriod"))},
    {"{\"HostConfig\":{\"PidsLimit\":\"100\"}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.PidsLimit"))},
    {"{\"HostConfig\":{\"ReadonlyRootfs\":\"true\"}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.ReadonlyRootfs"))},
    {"{\"HostConfig\":{\"ReadonlyRootfs\":1}}", 0,
     REFUSED(BODY_INVALID, WRONG("HostConfig.ReadonlyRootfs"))},
    {"{\"HostConfig\":{\"ReadonlyRootfs\":null}}", 0, OK_()},
    /* Config strings. */
    {"{\"User\":0}", 0, REFUSED(BODY_INVALID, WRONG("Config.User"))},
    {"{\"User\":[\"0\"]}", 0, REFUSED(BODY_INVALID, WRONG("Config.User"))},
    {"{\"User\":null}", 0, OK_()},
    {"{\"User\":\"\"}", 0, OK_()},
    {"{\"Image\":1}", 0, REFUSED(BODY_INVALID, WRONG("Config.Image"))},
    {"{\"Image\":null,\"User\":\"1\"}", 0, OK_(.user = "1")},
    {"{\"Image\":\"\"}", 0, OK_(.image = "")},
    /* HostConfig. */
    /* Without a "HostConfig", dockerd 20.10 takes host settings from the
     * top level (the deprecated embedded HostConfig); with one, it ignores
     * them (Memory merely fills in a zero). */
    {"{\"User\":\"1000\",\"CapAdd\":[\"SYS_ADMIN\"],\"Memory\":5,"
     "\"ReadonlyRootfs\":true,\"PidsLimit\":6}", 0,
     OK_(.user = "1000", .readonly = true, .memory = 5, .pids = 6, .ncap = 1,
         .cap = {"SYS_ADMIN"})},
    {"{\"hostconfig\":null,\"capadd\":\"ALL\"}", 0,
     OK_(.ncap = 1, .cap = {"ALL"})},
    {"{\"HostConfig\":{},\"CapAdd\":[\"SYS_ADMIN\"],\"Memory\":5}", 0,
     OK_()},
    {"{\"HostConfig\":{\"CapAdd\":[\"A\"]},\"CapAdd\":[\"B\"]}", 0,
     OK_(.ncap = 1, .cap = {"A"})},
    {"{\"CapAdd\":[\"A\"],\"capadd\":[\"B\"]}", 0,
     REFUSED(BODY_AMBIGUOUS, CASE_DUP)},
    {"{\"Memory\":\"1g\"}", 0, REFUSED(BODY_INVALID, WRONG("Config.Memory"))},
    {"{\"CapAdd\":[1]}", 0, REFUSED(BODY_INVALID, WRONG("Config.CapAdd"))},
    {"{\"ReadonlyRootfs\":1}", 0,
     REFUSED(BODY_INVALID, WRONG("Config.ReadonlyRootfs"))},
    {"{\"HostConfig\":[]}", 0, REFUSED(BODY_INVALID, HC_NOT_OBJECT)},
    {"{\"HostConfig\":\"x\"}", 0, REFUSED(BODY_INVALID, HC_NOT_OBJECT)},
    {"{\"HostConfig\":true}", 0, REFUSED(BODY_INVALID, HC_NOT_OBJECT)},
    {"{\"HostConfig\":null,\"User\":\"1\"}", 0, OK_(.user = "1")},
    {"{\"HostConfig\":{}}", 0, OK_()},
    /* Not an object, or not JSON. */
    {"[]", 0, REFUSED(BODY_INVALID, NOT_OBJECT)},
    {"[{\"User\":\"0\"}]", 0, REFUSED(BODY_INVALID, NOT_OBJECT)},
    {"null", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"\"x\"", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"1", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"true", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {" ", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"User\":\"1000\"", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"User\":\"1000\",}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{'User':'0'}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"\xef\xbb\xbf{}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    /* NULs: escaped in a value or a key, or raw. */
    {"{\"User\":\"0\\u0000\"}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"Image\":\"busybox\\u0000evil\"}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"Us\\u0000er\":\"0\"}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"User\":\"\0\"}", 12, REFUSED(BODY_INVALID, NOT_JSON)},
    {"\0{\"User\":\"0\"}", 13, REFUSED(BODY_INVALID, NOT_JSON)},
    /* Not UTF-8. */
    {"{\"User\":\"\xff\"}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
    {"{\"U\xc5\"}", 0, REFUSED(BODY_INVALID, NOT_JSON)},
};

START_TEST(test_body)
{
	const char *body = body_cases[_i].body;
	size_t len = body_cases[_i].len ? body_cases[_i].len : strlen(body);
	struct container_spec spec;
	char *why = NULL;
	enum body_status st = request_decode_create((const unsigned char *)body,
	                                            len, &spec, &why);

	check_spec(body, st, why, &spec, &body_cases[_i].e);
	container_spec_clear(&spec);
	free(why);
}
END_TEST

/* Only len bytes are read. */
START_TEST(test_body_len)
{
	const char *body = "{\"User\":\"1000\"}";
	struct container_spec spec;
	char *why = NULL;

	ck_assert_int_eq(request_decode_create((const unsigned char *)body, 10,
	                                       &spec, &why),
	                 BODY_INVALID);
	free(why);
	why = NULL;
	ck_assert_int_eq(request_decode_create((const unsigned char *)body,
	                                       strlen(body), &spec, &why),
	                 BODY_OK);
	ck_assert_str_eq(spec.user, "1000");
	container_spec_clear(&spec);
}
END_TEST

/* Nesting far past any parser's limit must fail cleanly, not overflow the
 * stack. Built at run time: 100,000 levels in several shapes. */
#define DEEP 100000

static const struct {
	const char *prefix, *unit, *suffix;
} deep_cases[] = {
    {"", "[", ""},
    {"", "{\"a\":", ""},
    {"{\"HostConfig\":", "{\"a\":", ""},
    {"{\"HostConfig\":{\"CapAdd\":", "[", ""},
    {"{\"User\":\"0\",\"x\":", "[", "}"},
};

START_TEST(test_deep)
{
	size_t plen = strlen(deep_cases[_i].prefix);
	size_t ulen = strlen(deep_cases[_i].unit);
	size_t slen = strlen(deep_cases[_i].suffix);
	size_t len = plen + ulen * DEEP + slen;
	char *body = malloc(len + 1);
	ck_assert_ptr_nonnull(body);
	memcpy(body, deep_cases[_i].prefix, plen);
	for (size_t i = 0; i < DEEP; i++)
		memcpy(body + plen + i * ulen, deep_cases[_i].unit, ulen);
	memcpy(body + plen + ulen * DEEP, deep_cases[_i].suffix, slen + 1);

	struct container_spec spec;
	char *why = NULL;
	enum body_status st =
	    request_decode_create((unsigned char *)body, len, &spec, &why);
	ck_assert_msg(st == BODY_INVALID, "depth %d: %s", DEEP,
	              body_status_name(st));
	check_why("deep", why, NOT_JSON);
	free(why);
	free(body);
}
END_TEST

/* Ordinary nesting well inside the limit still decodes. */
START_TEST(test_nested_ok)
{
	enum { DEPTH = 500 };
	char body[64 + 2 * DEPTH];
	size_t o = (size_t)sprintf(body, "{\"User\":\"7\",\"Labels\":");
	for (int i = 0; i < DEPTH; i++)
		body[o++] = '[';
	for (int i = 0; i < DEPTH; i++)
		body[o++] = ']';
	body[o++] = '}';
	body[o] = '\0';

	struct container_spec spec;
	char *why = NULL;
	ck_assert_int_eq(request_decode_create((unsigned char *)body, o, &spec,
	                                       &why),
	                 BODY_OK);
	ck_assert_str_eq(spec.user, "7");
	container_spec_clear(&spec);
}
END_TEST

/* --- request_build ----------------------------------------------------- */

#define B64_EMPTY_OBJECT "e30="                        /* {} */
#define B64_ROOT "eyJVc2VyIjoiMCJ9"                    /* {"User":"0"} */
/* {"User":"0","user":"1"} */
#define B64_AMBIGUOUS "eyJVc2VyIjoiMCIsInVzZXIiOiIxIn0="
#define B64_SPACE "IA=="                               /* " " */
#define B64_ARRAY "W10="                               /* [] */

static const struct {
	const char *authz; /* AuthZReq JSON */
	int rc;
	enum action action;
	enum body_status body;
	const char *why;      /* request_build's *why when rc is -1 */
	const char *body_why; /* see check_why; NULL: must be NULL */
	const char *user;     /* create.user when BODY_OK */
} build_cases[] = {
    /* Container create without a usable body. */
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.41/containers/create\"}",
     0, ACTION_CONTAINER_CREATE, BODY_MISSING, NULL, NULL, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":null}",
     0, ACTION_CONTAINER_CREATE, BODY_MISSING, NULL, NULL, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"\"}",
     0, ACTION_CONTAINER_CREATE, BODY_MISSING, NULL, NULL, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"!!!!\"}",
     0, ACTION_CONTAINER_CREATE, BODY_INVALID, NULL,
     "RequestBody is not valid base64", NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"Zg=\"}",
     0, ACTION_CONTAINER_CREATE, BODY_INVALID, NULL,
     "RequestBody is not valid base64", NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"" B64_SPACE "\"}",
     0, ACTION_CONTAINER_CREATE, BODY_INVALID, NULL, NOT_JSON, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"" B64_ARRAY "\"}",
     0, ACTION_CONTAINER_CREATE, BODY_INVALID, NULL, NOT_OBJECT, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"" B64_AMBIGUOUS "\"}",
     0, ACTION_CONTAINER_CREATE, BODY_AMBIGUOUS, NULL, CASE_DUP, NULL},
    /* ... and with one. */
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"" B64_EMPTY_OBJECT "\"}",
     0, ACTION_CONTAINER_CREATE, BODY_OK, NULL, NULL, ""},
    {"{\"RequestMethod\":\"post\",\"RequestUri\":\"/v1.41/containers/%63reate"
     "?name=x\",\"RequestBody\":\"" B64_ROOT "\"}",
     0, ACTION_CONTAINER_CREATE, BODY_OK, NULL, NULL, "0"},
    /* Routes whose decision reads no body. */
    {"{\"RequestMethod\":\"GET\",\"RequestUri\":\"/containers/json\"}", 0,
     ACTION_OTHER, BODY_NOT_NEEDED, NULL, NULL, NULL},
    {"{\"RequestMethod\":\"GET\",\"RequestUri\":\"/containers/create\","
     "\"RequestBody\":\"!!!!\"}",
     0, ACTION_OTHER, BODY_NOT_NEEDED, NULL, NULL, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/images/create?fromImage="
     "x\"}",
     0, ACTION_IMAGE_CREATE, BODY_NOT_NEEDED, NULL, NULL, NULL},
    {"{\"RequestUri\":\"/containers/create\"}", 0, ACTION_OTHER,
     BODY_NOT_NEEDED, NULL, NULL, NULL},
    /* URIs that cannot be understood at all. */
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/containers/%zz\"}", -1,
     ACTION_OTHER, BODY_NOT_NEEDED, "request path has an invalid %-escape",
     NULL, NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"/images/create?a=1;b=2\"}",
     -1, ACTION_OTHER, BODY_NOT_NEEDED, "query string contains ';'", NULL,
     NULL},
    {"{\"RequestMethod\":\"POST\",\"RequestUri\":\"containers/create\"}", -1,
     ACTION_OTHER, BODY_NOT_NEEDED, "request path is not absolute", NULL,
     NULL},
    {"{\"RequestMethod\":\"POST\"}", -1, ACTION_OTHER, BODY_NOT_NEEDED,
     "request path is not absolute", NULL, NULL},
};

START_TEST(test_build)
{
	const char *json = build_cases[_i].authz;
	struct authz_req az;
	struct request rq;
	char *why = NULL;

	ck_assert_msg(authz_req_decode(json, strlen(json), &az, &why) == 0,
	              "bad test AuthZReq %s: %s", json, why);
	int rc = request_build(&az, &rq, &why);
	ck_assert_msg(rc == build_cases[_i].rc, "%s: rc %d (%s)", json, rc,
	              why ? why : "");
	if (rc < 0) {
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, build_cases[_i].why);
		free(why);
	} else {
		ck_assert_ptr_null(why);
		/* Borrowed from az, not copied. */
		ck_assert_ptr_eq(rq.uri, az.uri);
		ck_assert_ptr_eq(rq.method, az.method);
		ck_assert_ptr_eq(rq.user, az.user);
		ck_assert_ptr_eq(rq.authn_method, az.authn_method);
		ck_assert_msg(rq.route.action == build_cases[_i].action,
		              "%s: action %s", json, action_name(rq.route.action));
		ck_assert_msg(rq.body_status == build_cases[_i].body,
		              "%s: body %s (%s), want %s", json,
		              body_status_name(rq.body_status),
		              rq.body_why ? rq.body_why : "",
		              body_status_name(build_cases[_i].body));
		if (build_cases[_i].body_why == NULL)
			ck_assert_ptr_null(rq.body_why);
		else
			check_why(json, rq.body_why, build_cases[_i].body_why);
		if (rq.body_status == BODY_OK)
			ck_assert_str_eq(rq.create.user, build_cases[_i].user);
		else
			ck_assert_ptr_null(rq.create.user);
	}
	request_clear(&rq);
	request_clear(&rq);
	authz_req_clear(&az);
}
END_TEST

/* A whole capture, through both modules, as the server runs them. */
START_TEST(test_build_capture)
{
	size_t len;
	char *data = test_slurp(CAPTURES "create-hardened.1.json", &len);
	struct authz_req az;
	struct request rq;
	char *why = NULL;

	ck_assert_int_eq(authz_req_decode(data, len, &az, &why), 0);
	ck_assert_int_eq(request_build(&az, &rq, &why), 0);
	ck_assert_int_eq(rq.route.action, ACTION_CONTAINER_CREATE);
	ck_assert_str_eq(rq.route.api_version, "1.41");
	ck_assert_int_eq(rq.body_status, BODY_OK);
	ck_assert_str_eq(rq.create.user, "1000:1000");
	ck_assert_int_eq(rq.create.memory, 268435456);
	ck_assert_int_eq(rq.create.pids_limit, 100);
	request_clear(&rq);
	authz_req_clear(&az);
	free(data);
}
END_TEST

/* --- the escape fields, exec, update, volume, service -------------------- */

START_TEST(test_capture_escapes)
{
	struct container_spec spec;
	char *why;
	size_t len;
	unsigned char *body = capture_body("create-binds.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert_uint_eq(spec.n_host_paths, 3);
	ck_assert_str_eq(spec.host_paths[0].path, "/");
	ck_assert_str_eq(spec.host_paths[1].path, "/var/run/docker.sock");
	ck_assert_str_eq(spec.host_paths[2].path, "/etc");
	ck_assert_str_eq(spec.host_paths[2].origin, "Binds");
	container_spec_clear(&spec);
	free(body);

	body = capture_body("create-mounts.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert_uint_eq(spec.n_host_paths, 1);
	ck_assert_str_eq(spec.host_paths[0].path, "/etc");
	ck_assert_str_eq(spec.host_paths[0].origin, "Mounts");
	container_spec_clear(&spec);
	free(body);

	body = capture_body("create-host-ns.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert_str_eq(spec.ns_mode[NS_NETWORK], "host");
	ck_assert_str_eq(spec.ns_mode[NS_PID], "host");
	ck_assert_str_eq(spec.ns_mode[NS_IPC], "host");
	ck_assert_str_eq(spec.ns_mode[NS_UTS], "host");
	ck_assert_str_eq(spec.ns_mode[NS_USERNS], "host");
	container_spec_clear(&spec);
	free(body);

	body = capture_body("create-unconfined.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert_uint_eq(spec.n_security_opt, 3);
	ck_assert_str_eq(spec.security_opt[0], "seccomp=unconfined");
	container_spec_clear(&spec);
	free(body);

	body = capture_body("create-devices.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert_uint_eq(spec.n_devices, 1);
	ck_assert_uint_eq(spec.n_device_cgroup_rules, 1);
	container_spec_clear(&spec);
	free(body);

	body = capture_body("create-privileged.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert(spec.privileged);
	container_spec_clear(&spec);
	free(body);

	body = capture_body("create-hardened.1.json", &len);
	ck_assert_int_eq(request_decode_create(body, len, &spec, &why), BODY_OK);
	ck_assert(spec.cap_drop_all);
	ck_assert(!spec.privileged);
	container_spec_clear(&spec);
	free(body);
}
END_TEST

START_TEST(test_exec_update_volume)
{
	char *why;
	size_t len;
	struct exec_spec ex;
	unsigned char *body = capture_body("exec-root.2.json", &len);
	ck_assert_int_eq(request_decode_exec(body, len, &ex, &why), BODY_OK);
	ck_assert_str_eq(ex.user, "0");
	ck_assert(!ex.privileged);
	exec_spec_clear(&ex);
	free(body);
	body = capture_body("exec-privileged.2.json", &len);
	ck_assert_int_eq(request_decode_exec(body, len, &ex, &why), BODY_OK);
	ck_assert_str_eq(ex.user, "");
	ck_assert(ex.privileged);
	exec_spec_clear(&ex);
	free(body);
	const char *bad = "{\"User\":1}";
	ck_assert_int_eq(request_decode_exec((const unsigned char *)bad,
	                                     strlen(bad), &ex, &why),
	                 BODY_INVALID);
	ck_assert_ptr_null(ex.user);
	check_why("exec", why, "ExecConfig.User has the wrong JSON type");
	free(why);

	struct update_spec up;
	body = capture_body("update-memory.1.json", &len);
	ck_assert_int_eq(request_decode_update(body, len, &up, &why), BODY_OK);
	ck_assert_int_eq(up.memory, 536870912);
	ck_assert(up.has_pids_limit);
	ck_assert_int_eq(up.pids_limit, 200);
	free(body);
	const char *nul = "{\"PidsLimit\":null}";
	ck_assert_int_eq(request_decode_update((const unsigned char *)nul,
	                                       strlen(nul), &up, &why),
	                 BODY_OK);
	ck_assert(!up.has_pids_limit);

	struct volume_spec vol;
	body = capture_body("volume-bind.1.json", &len);
	ck_assert_int_eq(request_decode_volume(body, len, &vol, &why), BODY_OK);
	ck_assert_uint_eq(vol.n_host_paths, 1);
	ck_assert_str_eq(vol.host_paths[0].path, "/");
	ck_assert_str_eq(vol.host_paths[0].origin, "volume options");
	volume_spec_clear(&vol);
	free(body);
}
END_TEST

START_TEST(test_service)
{
	struct container_spec spec;
	char *why;
	const char *b =
	    "{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x:1\",\"User\":"
	    "\"0\",\"ReadOnly\":true,\"CapabilityAdd\":[\"NET_RAW\"],"
	    "\"CapabilityDrop\":[\"all\"],\"Mounts\":[{\"Type\":\"bind\","
	    "\"Source\":\"/srv\"}],\"Privileges\":{\"NoNewPrivileges\":true,"
	    "\"SELinuxContext\":{\"Disable\":true}}},\"Resources\":{\"Limits\":"
	    "{\"MemoryBytes\":1,\"NanoCPUs\":2,\"Pids\":3}},\"Networks\":[{"
	    "\"Target\":\"host\"}]}}";
	ck_assert_int_eq(request_decode_service((const unsigned char *)b,
	                                        strlen(b), &spec, &why),
	                 BODY_OK);
	ck_assert_str_eq(spec.image, "x:1");
	ck_assert_str_eq(spec.user, "0");
	ck_assert(spec.readonly_rootfs);
	ck_assert(spec.cap_drop_all);
	ck_assert_uint_eq(spec.n_cap_add, 1);
	ck_assert_int_eq(spec.memory, 1);
	ck_assert_int_eq(spec.nano_cpus, 2);
	ck_assert_int_eq(spec.pids_limit, 3);
	ck_assert_str_eq(spec.ns_mode[NS_NETWORK], "host");
	ck_assert_uint_eq(spec.n_host_paths, 1);
	ck_assert_uint_eq(spec.n_security_opt, 2);
	ck_assert_str_eq(spec.security_opt[0], "label=disable");
	ck_assert_str_eq(spec.security_opt[1], "no-new-privileges");
	container_spec_clear(&spec);
}
END_TEST

Suite *request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("decode_create");
	tcase_add_loop_test(tc, test_capture, 0, (int)N(capture_cases));
	tcase_add_loop_test(tc, test_body, 0, (int)N(body_cases));
	tcase_add_test(tc, test_body_len);
	tcase_add_loop_test(tc, test_deep, 0, (int)N(deep_cases));
	tcase_add_test(tc, test_nested_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_loop_test(tc, test_build, 0, (int)N(build_cases));
	tcase_add_test(tc, test_build_capture);
	tcase_add_test(tc, test_capture_escapes);
	tcase_add_test(tc, test_exec_update_volume);
	tcase_add_test(tc, test_service);
	suite_add_tcase(s, tc);
	return s;
}
