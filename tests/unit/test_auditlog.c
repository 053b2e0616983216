/* auditlog: the JSON record of a decision, through the whole decide()
 * path: exactly the documented fields, would-deny records for audit mode
 * and audit-only rules, valid JSON whatever a client sent, and nothing
 * from the body. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "audit.h"
#include "auditlog.h"
#include "base64.h"
#include "decide.h"
#include "policy.h"
#include "strbuf.h"
#include "suites.h"

static char *last;

static void capture(void *cls, const struct policy *p, const struct request *rq,
                    const struct decision *d, long latency_us)
{
	(void)cls;
	free(last);
	last = auditlog_record(p, rq, d, latency_us);
}

static struct policy *load(const char *yaml)
{
	struct policy_errors errs = {0};
	struct policy *p = policy_load_buffer("t.yaml", yaml, strlen(yaml), &errs);
	ck_assert_msg(p != NULL, "policy: %s", errs.n ? errs.msg[0] : "?");
	policy_errors_clear(&errs);
	return p;
}

/* Decides one AuthZReq built from uri, user and body; returns the record,
 * parsed (new reference). */
static json_t *record_for(const struct policy *p, const char *uri,
                          const char *user, const char *body, bool *allow)
{
	json_t *o = json_object();
	json_object_set_new(o, "RequestMethod", json_string("POST"));
	json_object_set_new(o, "RequestUri", json_string(uri));
	if (user != NULL) {
		json_object_set_new(o, "User", json_string(user));
		json_object_set_new(o, "UserAuthNMethod", json_string("TLS"));
	}
	if (body != NULL) {
		char *b = base64_encode((const unsigned char *)body, strlen(body));
		json_object_set_new(o, "RequestBody", json_string(b));
		free(b);
	}
	char *req = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	struct decide_hooks h = {NULL, capture, NULL};
	char *reply = decide_hooked(p, NULL, req, strlen(req), allow, NULL, &h, NULL);
	ck_assert_ptr_nonnull(reply);
	ck_assert_ptr_nonnull(last);
	size_t n = strlen(last);
	ck_assert_msg(n > 0 && last[n - 1] == '\n' && strchr(last, '\n') == last + n - 1,
	              "one line: %s", last);
	json_error_t err;
	json_t *r = json_loads(last, 0, &err);
	ck_assert_msg(r != NULL, "not JSON (%s): %s", err.text, last);
	free(reply);
	free(req);
	return r;
}

static const char *str(json_t *r, const char *k)
{
	json_t *v = json_object_get(r, k);
	ck_assert_msg(v != NULL, "no key %s", k);
	return json_string_value(v);
}

static const char hardened[] =
    "{\"User\":\"1000:1000\",\"Image\":\"registry.example.com/team/app\","
    "\"HostConfig\":{\"ReadonlyRootfs\":true,\"Memory\":268435456,"
    "\"NanoCpus\":500000000,\"PidsLimit\":100}}";
static const char writable[] =
    "{\"User\":\"0\",\"Image\":\"nginx\",\"Env\":[\"PASSWORD=hunter2\"],"
    "\"HostConfig\":{\"ReadonlyRootfs\":false,\"Memory\":268435456,"
    "\"NanoCpus\":500000000,\"PidsLimit\":100}}";

START_TEST(test_fields_exactly)
{
	static const char *const keys[] = {
	    "time", "user", "auth_method", "method", "path", "action", "image",
	    "verdict", "enforced", "violations", "policy_sha256", "latency_us"};
	struct policy *p = load("version: 1\nrules:\n  no-root: deny\n");
	bool allow;
	json_t *r = record_for(p, "/v1.41/containers/%63reate?name=x", "alice",
	                       writable, &allow);
	ck_assert(!allow);
	ck_assert_uint_eq(json_object_size(r), sizeof keys / sizeof keys[0]);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		ck_assert_msg(json_object_get(r, keys[i]) != NULL, "no %s", keys[i]);
	const char *t = str(r, "time");
	/* 2026-11-23T17:00:50.312Z */
	ck_assert_uint_eq(strlen(t), 24);
	ck_assert(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
	ck_assert_str_eq(str(r, "user"), "alice");
	ck_assert_str_eq(str(r, "auth_method"), "TLS");
	ck_assert_str_eq(str(r, "method"), "POST");
	ck_assert_str_eq(str(r, "path"), "/containers/create");
	ck_assert_str_eq(str(r, "action"), "container_create");
	ck_assert_str_eq(str(r, "image"), "docker.io/library/nginx:latest");
	ck_assert_str_eq(str(r, "verdict"), "deny");
	ck_assert(json_is_true(json_object_get(r, "enforced")));
	ck_assert_str_eq(str(r, "policy_sha256"), p->sha256);
	ck_assert_uint_eq(strlen(p->sha256), 64);
	ck_assert(json_is_integer(json_object_get(r, "latency_us")));
	json_t *v = json_object_get(r, "violations");
	ck_assert_uint_eq(json_array_size(v), 1);
	json_t *v0 = json_array_get(v, 0);
	ck_assert_str_eq(str(v0, "rule"), "no-root");
	ck_assert_str_eq(str(v0, "message"),
	                 "[no-root] container would run as root (User \"0\"); run as "
	                 "a non-root numeric user, e.g. --user 1000:1000");
	ck_assert(json_is_true(json_object_get(v0, "enforced")));
	ck_assert_ptr_null(strstr(last, "hunter2"));
	ck_assert_ptr_null(strstr(last, "PASSWORD"));
	json_decref(r);
	policy_unref(p);
}
END_TEST

/* sha256 of "version: 1\n", as sha256sum prints it. */
START_TEST(test_policy_digest)
{
	struct policy *p = load("version: 1\n");
	ck_assert_str_eq(p->sha256,
	                 "09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e45c9ec09daa8f2b2847");
	policy_unref(p);
}
END_TEST

/* The padding boundaries of SHA-256 (55, 56 and 64 bytes), an empty file
 * and several blocks, against Python's hashlib: the digest must not change
 * whatever library computes it. */
START_TEST(test_policy_digest_lengths)
{
	static const struct {
		size_t n;
		const char *hex;
	} cases[] = {
	    {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
	    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
	    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
	    {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
	};
	static char a[1000];
	static struct policy p;

	memset(a, 'a', sizeof a);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		policy_set_digest(&p, a, cases[i].n);
		ck_assert_msg(strcmp(p.sha256, cases[i].hex) == 0, "%zu bytes: %s",
		              cases[i].n, p.sha256);
	}
	/* A policy loaded without data (the empty file) digests as "". */
	policy_set_digest(&p, NULL, 0);
	ck_assert_str_eq(p.sha256, cases[0].hex);
}
END_TEST

START_TEST(test_audit_mode_would_deny)
{
	struct policy *p = load("version: 1\nmode: audit\nrules:\n  no-root: deny\n"
	                        "  read-only-rootfs: deny\n");
	bool allow;
	json_t *r = record_for(p, "/containers/create", NULL, writable, &allow);
	ck_assert(allow);
	ck_assert_str_eq(str(r, "verdict"), "deny");
	ck_assert(json_is_false(json_object_get(r, "enforced")));
	json_t *v = json_object_get(r, "violations");
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert(json_is_false(json_object_get(json_array_get(v, 0), "enforced")));
	ck_assert(json_is_null(json_object_get(r, "user")) == false);
	json_decref(r);
	policy_unref(p);
}
END_TEST

START_TEST(test_audit_rule_would_deny)
{
	struct policy *p = load("version: 1\nrules:\n  read-only-rootfs: audit\n");
	bool allow;
	json_t *r = record_for(p, "/containers/create", NULL,
	                       "{\"User\":\"1000\",\"Image\":\"x\"}", &allow);
	ck_assert(allow);
	ck_assert_str_eq(str(r, "verdict"), "deny");
	ck_assert(json_is_false(json_object_get(r, "enforced")));
	json_t *v0 = json_array_get(json_object_get(r, "violations"), 0);
	ck_assert_str_eq(str(v0, "rule"), "read-only-rootfs");
	ck_assert(json_is_false(json_object_get(v0, "enforced")));
	json_decref(r);
	policy_unref(p);

	/* Mixed: the enforced rule denies; the audited one is marked so. */
	p = load("version: 1\nrules:\n  no-root: deny\n  read-only-rootfs: audit\n");
	r = record_for(p, "/containers/create", NULL, writable, &allow);
	ck_assert(!allow);
	ck_assert_str_eq(str(r, "verdict"), "deny");
	ck_assert(json_is_true(json_object_get(r, "enforced")));
	json_t *v = json_object_get(r, "violations");
	ck_assert_uint_eq(json_array_size(v), 2);
	json_decref(r);
	policy_unref(p);
}
END_TEST

START_TEST(test_allow_and_other_actions)
{
	struct policy *p = load("version: 1\nrules:\n  no-root: deny\n");
	bool allow;
	json_t *r = record_for(p, "/v1.41/containers/create", NULL, hardened, &allow);
	ck_assert(allow);
	ck_assert_str_eq(str(r, "verdict"), "allow");
	ck_assert(json_is_true(json_object_get(r, "enforced")));
	ck_assert_uint_eq(json_array_size(json_object_get(r, "violations")), 0);
	ck_assert_str_eq(str(r, "image"), "registry.example.com/team/app:latest");
	json_decref(r);

	/* The /auth body carries a password: never in the record. */
	r = record_for(p, "/v1.41/auth", NULL,
	               "{\"username\":\"u\",\"password\":\"s3cr3t-XYZZY\"}", &allow);
	ck_assert(allow);
	ck_assert_str_eq(str(r, "action"), "auth");
	ck_assert(json_is_null(json_object_get(r, "image")));
	ck_assert_ptr_null(strstr(last, "s3cr3t"));
	ck_assert_ptr_null(strstr(last, "password"));
	json_decref(r);
	policy_unref(p);
}
END_TEST

START_TEST(test_hostile_values_stay_json)
{
	struct policy *p = load("version: 1\nrules:\n  no-root: deny\n");
	bool allow;
	/* Quotes, control characters and non-ASCII in the TLS user name
	 * (invalid UTF-8 never gets past the AuthZ decoder; test_json_string
	 * covers it). */
	json_t *r = record_for(p, "/containers/create", "a\"b\n\x01\xc3\xa9",
	                       writable, &allow);
	ck_assert_str_eq(str(r, "user"), "a\"b\n\x01\xc3\xa9");
	json_decref(r);
	/* A body that is not JSON: the decoder's detail quotes the bytes it
	 * choked on; the record leaves them out. */
	r = record_for(p, "/containers/create", NULL,
	               "{\"Env\":[\"PASSWORD=hunter2", &allow);
	ck_assert(!allow);
	ck_assert_ptr_null(strstr(last, "hunter2"));
	ck_assert_ptr_null(strstr(last, " near '"));
	ck_assert_msg(strstr(last, "(at byte ") != NULL, "%s", last);
	json_t *v0 = json_array_get(json_object_get(r, "violations"), 0);
	ck_assert_str_eq(str(v0, "rule"), "request-body");
	json_decref(r);
	/* An AuthZ request that cannot be read: no request fields. */
	struct decide_hooks h = {NULL, capture, NULL};
	char *reply = decide_hooked(p, NULL, "{\"RequestUri\":", 14, &allow, NULL, &h, NULL);
	free(reply);
	json_error_t err;
	r = json_loads(last, 0, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert(json_is_null(json_object_get(r, "method")));
	ck_assert(json_is_null(json_object_get(r, "path")));
	ck_assert_str_eq(str(r, "verdict"), "deny");
	json_decref(r);
	policy_unref(p);
}
END_TEST

/* The record quotes each violation's text from the reply's message rather
 * than rendering it again: the same record either way, over every capture
 * and a policy that judges them all. */
static int quoted, compared;

static const char *after_time(const char *rec)
{
	const char *u = strstr(rec, "\"user\":");
	ck_assert_ptr_nonnull(u);
	return u;
}

static void both_ways(void *cls, const struct policy *p,
                      const struct request *rq, const struct decision *d,
                      long latency_us)
{
	(void)cls;
	char *with = auditlog_record(p, rq, d, latency_us);
	struct decision again = *d;
	again.msg = NULL;
	char *without = auditlog_record(p, rq, &again, latency_us);
	ck_assert_str_eq(after_time(with), after_time(without));
	compared++;
	for (size_t i = 0; d->msg != NULL && i < d->n; i++)
		quoted += d->v[i].msg_len > 0;
	free(with);
	free(without);
}

START_TEST(test_record_quotes_reply)
{
	struct policy *p = policy_load_file("policies/default.yaml", NULL);
	ck_assert_ptr_nonnull(p);
	struct decide_hooks h = {NULL, both_ways, NULL};
	DIR *dir = opendir("tests/fixtures/captures");
	struct dirent *e;
	char path[512];
	ck_assert_ptr_nonnull(dir);
	quoted = compared = 0;
	while ((e = readdir(dir)) != NULL) {
		if (strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof path, "tests/fixtures/captures/%s", e->d_name);
		size_t len;
		char *req = test_slurp(path, &len);
		bool allow;
		free(decide_hooked(p, NULL, req, len, &allow, NULL, &h, NULL));
		free(req);
	}
	closedir(dir);
	ck_assert_int_ge(compared, 40);
	ck_assert_int_ge(quoted, 20);
	policy_unref(p);
}
END_TEST

/* The time stamp is the clock's time in UTC, to the millisecond, however
 * often it is asked for: the second's text is cached per thread, and must
 * still change with the second. */
START_TEST(test_time_stamp)
{
	for (int round = 0; round < 3; round++) {
		struct strbuf sb = STRBUF_INIT;
		/* The clock the stamp reads: time() is the coarse one, which
		 * can still say the last second when gettimeofday says the
		 * next. */
		struct timeval tv0, tv1;
		gettimeofday(&tv0, NULL);
		audit_add_time(&sb);
		audit_add_time(&sb);
		gettimeofday(&tv1, NULL);
		time_t before = tv0.tv_sec, after = tv1.tv_sec;
		char *s = strbuf_detach(&sb);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(strlen(s), 48);
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		ck_assert_ptr_nonnull(rest);
		ck_assert(rest[0] == '.' && rest[4] == 'Z');
		for (int k = 1; k <= 3; k++)
			ck_assert(rest[k] >= '0' && rest[k] <= '9');
		time_t t = timegm(&tm);
		ck_assert(t >= before && t <= after);
		free(s);
		/* Into the next second, so the cached text must be redone. */
		if (round < 2)
			usleep(600 * 1000);
	}
}
END_TEST

START_TEST(test_json_string)
{
	struct strbuf sb = STRBUF_INIT;
	auditlog_add_json_string(&sb, "\x7f\t\\/\xe2\x82\xac\xed\xa0\x80");
	char *s = strbuf_detach(&sb);
	ck_assert_str_eq(s, "\"\\u007f\\u0009\\\\/\xe2\x82\xac\\ufffd\\ufffd\\ufffd\"");
	free(s);
}
END_TEST

/* A slice is read to its end and no further (ASan and valgrind see a
 * byte read past it: each buffer here is exactly the slice, no NUL), a
 * sequence cut off at the end included. */
START_TEST(test_json_string_slice)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
	    {"a\xc3", 2, "\"a\\ufffd\""},
	    {"ab\xe2\x82", 4, "\"ab\\ufffd\\ufffd\""},
	    {"\xf0\x9f\x98", 3, "\"\\ufffd\\ufffd\\ufffd\""},
	    {"x\xc3\xa9", 3, "\"x\xc3\xa9\""},
	    {"no \"end\"\n", 9, "\"no \\\"end\\\"\\n\""},
	    {"0123456789abcdef0123\xc3", 21, "\"0123456789abcdef0123\\ufffd\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *buf = malloc(cases[i].n);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf, cases[i].in, cases[i].n);
		struct strbuf sb = STRBUF_INIT;
		auditlog_add_json_string_n(&sb, buf, cases[i].n);
		ck_assert_str_eq(sb.buf, cases[i].want);
		ck_assert(!utf8_valid(buf, cases[i].n) || i >= 3);
		strbuf_release(&sb);
		free(buf);
	}
}
END_TEST

/* A prepare hook that always needs to block (a look-up not in cache). */
static int must_block(void *cls, struct decide_call *call,
                      const struct policy *p, struct request *rq)
{
	(void)cls;
	(void)p;
	(void)rq;
	return call->may_block ? 0 : 1;
}

/* A create that needs a look-up is deferred on a worker; when the slow
 * lane cannot take it, it is decided again with refuse_lookup: denied
 * for the reason given, recorded and logged like any other decision. */
START_TEST(test_refused_lookup_is_recorded)
{
	struct policy *p = load("version: 1\nrules:\n  no-root: {unset-user: inspect}\n");
	const char *body = "{\"Image\":\"registry.example.com/a:1\"}";
	char *b = base64_encode((const unsigned char *)body, strlen(body));
	char req[512];
	snprintf(req, sizeof req,
	         "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/v1.41/containers/create\","
	         "\"RequestBody\":\"%s\"}", b);
	free(b);
	struct decide_hooks h = {must_block, capture, NULL};
	bool allow = true;

	struct decide_call call = {.defer_log = true};
	ck_assert_ptr_null(decide_hooked(p, NULL, req, strlen(req), &allow, NULL, &h, &call));
	ck_assert(call.deferred);
	ck_assert_ptr_null(call.record);
	ck_assert_ptr_null(last);

	struct decide_call refused = {.defer_log = true,
	                              .refuse_lookup = "the lane is full"};
	char *reply = decide_hooked(p, NULL, req, strlen(req), &allow, NULL, &h, &refused);
	ck_assert_ptr_nonnull(reply);
	ck_assert(!refused.deferred);
	ck_assert(!allow);
	ck_assert_msg(strstr(reply, "[no-root]") && strstr(reply, "the lane is full"),
	              "%s", reply);
	ck_assert_ptr_nonnull(refused.record);
	struct strbuf lsb = STRBUF_INIT;
	decide_record_line(refused.record, &lsb);
	char *line = strbuf_detach(&lsb);
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strstr(line, "dockgate: deny action=container_create") &&
	                  strstr(line, "rules=no-root"),
	              "%s", line);
	ck_assert_ptr_nonnull(last);
	ck_assert_msg(strstr(last, "the lane is full"), "%s", last);
	free(line);
	decide_record_free(refused.record);
	free(reply);
	policy_unref(p);
}
END_TEST

/* auditlog_add_json_string a byte at a time, as the record format
 * defines it: valid UTF-8 copied, each invalid byte U+FFFD, '"', '\\'
 * and newline escaped, other controls and DEL as \u00XX. */
static void ref_json_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	strbuf_addc(sb, '"');
	while (*p) {
		size_t n = utf8_seq_len(p);
		if (n == 0) {
			strbuf_adds(sb, "\\ufffd");
			p++;
		} else if (n > 1) {
			strbuf_add(sb, p, n);
			p += n;
		} else {
			if (*p == '"')
				strbuf_adds(sb, "\\\"");
			else if (*p == '\\')
				strbuf_adds(sb, "\\\\");
			else if (*p == '\n')
				strbuf_adds(sb, "\\n");
			else if (*p < 0x20 || *p == 0x7f)
				strbuf_addf(sb, "\\u%04x", *p);
			else
				strbuf_addc(sb, (char)*p);
			p++;
		}
	}
	strbuf_addc(sb, '"');
}

/* Random strings of every length to 80, valid UTF-8 or not, against the
 * byte-at-a-time reference. */
START_TEST(test_json_string_matches_bytewise)
{
	static const unsigned char alpha[] = {'"',  '\\', '\n', '\t', 0x01, 0x7f,
	                                      0xc3, 0xa9,  0xe2, 0x82, 0xac, 0xff,
	                                      0xc5, 0xbf,  ' '};
	char buf[96];
	unsigned seed = 4242;
	for (int round = 0; round < 5000; round++) {
		size_t n = (size_t)(round % 81);
		test_random_text(buf, n, alpha, sizeof alpha, 64, &seed);
		struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
		auditlog_add_json_string(&got, buf);
		ref_json_string(&want, buf);
		ck_assert_str_eq(got.buf, want.buf);
		strbuf_release(&got);
		strbuf_release(&want);
	}
}
END_TEST

/* --- the file: records batched by a writer thread ---------------------- */

static size_t count_lines(const char *path, bool *well_formed)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t n = 0;
	*well_formed = true;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		size_t len = strlen(line);
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		if (len < 3 || line[len - 1] != '\n' || !json_is_object(j))
			*well_formed = false;
		json_decref(j);
		n++;
	}
	fclose(f);
	return n;
}

struct writer_arg {
	struct auditlog *al;
	const struct policy *p;
	int n;
};

static void *write_records(void *v)
{
	struct writer_arg *a = v;
	struct decision d = {.allow = true};
	for (int i = 0; i < a->n; i++)
		auditlog_write(a->al, a->p, NULL, &d, i);
	return NULL;
}

/* Four threads' records, whole and one per line; a record shows up
 * without a close, soon after its decision; a rotation puts every record
 * written before it in the old file; close writes the rest. */
START_TEST(test_file_batches)
{
	char dir[] = "/tmp/dockgate-auditlog.XXXXXX", path[64], moved[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/audit.log", dir);
	snprintf(moved, sizeof moved, "%s/audit.log.1", dir);
	struct policy *p = load("version: 1\nrules:\n  no-root: deny\n");
	char *why = NULL;
	struct auditlog *al = auditlog_open(path, &why);
	ck_assert_msg(al != NULL, "%s", why ? why : "");

	bool ok;
	struct decision d = {.allow = true};
	auditlog_write(al, p, NULL, &d, 1);
	size_t n = 0;
	for (int i = 0; i < 200 && (n = count_lines(path, &ok)) == 0; i++)
		usleep(5000);
	ck_assert_uint_eq(n, 1);

	pthread_t t[4];
	struct writer_arg a = {al, p, 500};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, write_records, &a), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* Once those are out, one more record: still queued (for
	 * DECLOG_DELAY_MS) when the file is rotated right after it. */
	usleep(100000);
	auditlog_write(al, p, NULL, &d, 2);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(auditlog_reopen(al, &why), 0);
	/* Everything written before the rotation is in the old file now. */
	ck_assert_uint_eq(count_lines(moved, &ok), 1 + 4 * 500 + 1);
	ck_assert(ok);
	for (int i = 0; i < 3; i++)
		auditlog_write(al, p, NULL, &d, i);
	auditlog_close(al);
	ck_assert_uint_eq(count_lines(path, &ok), 3);
	ck_assert(ok);
	unlink(path);
	unlink(moved);
	rmdir(dir);
	policy_unref(p);
}
END_TEST

static void teardown(void)
{
	free(last);
	last = NULL;
}

Suite *auditlog_suite(void)
{
	Suite *s = suite_create("auditlog");
	TCase *tc = tcase_create("record");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_fields_exactly);
	tcase_add_test(tc, test_policy_digest);
	tcase_add_test(tc, test_policy_digest_lengths);
	tcase_add_test(tc, test_audit_mode_would_deny);
	tcase_add_test(tc, test_audit_rule_would_deny);
	tcase_add_test(tc, test_allow_and_other_actions);
	tcase_add_test(tc, test_hostile_values_stay_json);
	tcase_add_test(tc, test_record_quotes_reply);
	tcase_add_test(tc, test_json_string_slice);
	tcase_add_test(tc, test_json_string);
	tcase_add_test(tc, test_json_string_matches_bytewise);
	tcase_add_test(tc, test_refused_lookup_is_recorded);
	tcase_add_test(tc, test_time_stamp);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_file_batches);
	suite_add_tcase(s, tc);
	return s;
}
