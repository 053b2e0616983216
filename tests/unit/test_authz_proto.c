/* authz_proto suite: AuthZReq decoding (real captures from dockerd 20.10 in
 * tests/fixtures/captures, hand-written edge cases inline) and the exact
 * bytes of the replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz_proto.h"
#include "jdoc.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CAPTURES "tests/fixtures/captures/"
#define AUTHZ "tests/fixtures/authz/"

/* --- real captures ----------------------------------------------------- */

static const struct {
	const char *file;
	const char *method, *uri;
	bool has_body;
	size_t body_len;        /* the capture's Content-Length */
	const char *body_start; /* the first bytes of the decoded body */
} capture_cases[] = {
    {"create-hardened.1.json", "POST", "/v1.41/containers/create", true, 1821,
     "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"1000:1000\","},
    {"create-default.1.json", "POST", "/v1.41/containers/create", true, 1755,
     "{\"Hostname\":\"\","},
    {"create-privileged.1.json", "POST", "/v1.41/containers/create", true,
     1754, "{\"Hostname\":\"\","},
    {"exec-root.2.json", "POST", "/v1.41/containers/runner/exec", true, 192,
     "{\"User\":\"0\",\"Privileged\":false,"},
    {"exec-root.1.json", "GET", "/v1.41/containers/runner/json", false, 0,
     NULL},
    {"pull.1.json", "POST",
     "/v1.41/images/create?fromImage=registry.example.com%2Ffoo&tag=1", false,
     0, NULL},
    {"load.1.json", "POST", "/v1.41/images/load?quiet=1", false, 0, NULL},
    {"plugin-disable.1.json", "POST", "/v1.41/plugins/capture/disable", false,
     0, NULL},
    {"volume-bind.1.json", "POST", "/v1.41/volumes/create", true, 89,
     "{\"Driver\":\"local\",\"DriverOpts\":{\"device\":\"/\","},
    {"login.1.json", "POST", "/v1.41/auth", true, 72,
     "{\"username\":\"u\",\"password\":\"pw\","},
};

START_TEST(test_capture)
{
	char path[256];
	size_t len;
	snprintf(path, sizeof path, CAPTURES "%s", capture_cases[_i].file);
	char *data = test_slurp(path, &len);
	struct authz_req req;
	char *why = NULL;

	ck_assert_msg(authz_req_decode(data, len, &req, &why) == 0, "%s: %s",
	              path, why);
	ck_assert_ptr_null(why);
	/* Over the Unix socket dockerd sends no identity. */
	ck_assert_str_eq(req.user, "");
	ck_assert_str_eq(req.authn_method, "");
	ck_assert_str_eq(req.method, capture_cases[_i].method);
	ck_assert_str_eq(req.uri, capture_cases[_i].uri);
	ck_assert_int_eq(req.has_body, capture_cases[_i].has_body);
	ck_assert(!req.body_bad);
	if (capture_cases[_i].has_body) {
		ck_assert_ptr_nonnull(req.body);
		ck_assert_uint_eq(req.body_len, capture_cases[_i].body_len);
		ck_assert_uint_eq(strlen((char *)req.body), req.body_len);
		ck_assert_mem_eq(req.body, capture_cases[_i].body_start,
		                 strlen(capture_cases[_i].body_start));
	} else {
		ck_assert_ptr_null(req.body);
		ck_assert_uint_eq(req.body_len, 0);
	}
	authz_req_clear(&req);
	ck_assert_ptr_null(req.uri);
	authz_req_clear(&req);
	free(data);
}
END_TEST

/* --- hand-written requests that decode --------------------------------- */

static const struct {
	const char *json;
	const char *user, *authn, *method, *uri;
	bool has_body, body_bad;
	const char *body; /* NULL: no buffer */
	size_t body_len;
} ok_cases[] = {
    {"{}", "", "", "", "", false, false, NULL, 0},
    /* Keys in any case, as Go matches them. */
    {"{\"requesturi\":\"/x\"}", "", "", "", "/x", false, false, NULL, 0},
    {"{\"REQUESTURI\":\"/x\"}", "", "", "", "/x", false, false, NULL, 0},
    {"{\"RequestURI\":\"/x\"}", "", "", "", "/x", false, false, NULL, 0},
    {"{\"RequestUri\":\"/x\"}", "", "", "", "/x", false, false, NULL, 0},
    {"{\"Reque\\u017ftUri\":\"/x\"}", "", "", "", "/x", false, false, NULL, 0},
    {"{\"requestmethod\":\"POST\",\"USER\":\"alice\",\"userauthnmethod\":"
     "\"TLS\"}",
     "alice", "TLS", "POST", "", false, false, NULL, 0},
    {"{\"User\":\"CN=a\\\"b\",\"UserAuthNMethod\":\"TLS\","
     "\"RequestMethod\":\"DELETE\",\"RequestUri\":\"/plugins/x\"}",
     "CN=a\"b", "TLS", "DELETE", "/plugins/x", false, false, NULL, 0},
    /* null is absent, for strings and for the body. */
    {"{\"RequestMethod\":null,\"RequestUri\":null,\"User\":null}", "", "", "",
     "", false, false, NULL, 0},
    {"{\"RequestBody\":null}", "", "", "", "", false, false, NULL, 0},
    {"{\"requestbody\":null}", "", "", "", "", false, false, NULL, 0},
    /* An empty body is a body of no bytes. */
    {"{\"RequestBody\":\"\"}", "", "", "", "", true, false, "", 0},
    {"{\"RequestBody\":\"Zm9v\"}", "", "", "", "", true, false, "foo", 3},
    {"{\"REQUESTBODY\":\"Zm9v\\nYmFy\"}", "", "", "", "", true, false,
     "foobar", 6},
    {"{\"RequestBody\":\"AAE=\"}", "", "", "", "", true, false, "\0\1", 2},
    {"{\"RequestBody\":\"e30=\"}", "", "", "", "", true, false, "{}", 2},
    /* Envelopes jansson reads (a key spelled with U+017F, a non-ASCII
     * user): the body is decoded into its own buffer, not in place. */
    {"{\"U\\u017fer\":\"x\",\"RequestBody\":\"Zm9vYmFy\"}", "x", "", "", "",
     true, false, "foobar", 6},
    {"{\"User\":\"\xc3\xa9\",\"RequestBody\":\"Zm9v\"}", "\xc3\xa9", "", "",
     "", true, false, "foo", 3},
    {"{\"User\":\"\xc3\xa9\",\"RequestBody\":\"Zm9v!\"}", "\xc3\xa9", "", "",
     "", true, true, NULL, 0},
    /* Bodies that are not base64 are recorded, not fatal. */
    {"{\"RequestBody\":\"Zm9v!\"}", "", "", "", "", true, true, NULL, 0},
    {"{\"RequestBody\":\"Zg=\"}", "", "", "", "", true, true, NULL, 0},
    {"{\"RequestBody\":\"Zg\"}", "", "", "", "", true, true, NULL, 0},
    {"{\"RequestBody\":\"{}\"}", "", "", "", "", true, true, NULL, 0},
    /* Other fields are not ours to read. */
    {"{\"RequestHeaders\":{\"A\":\"b\",\"a\":\"c\"},\"ResponseStatusCode\":"
     "200,\"Foo\":[1],\"RequestPeerCertificates\":null,\"RequestUri\":\"/x\"}",
     "", "", "", "/x", false, false, NULL, 0},
    /* An exact duplicate: jansson keeps the last, as Go does. */
    {"{\"RequestUri\":\"/a\",\"RequestUri\":\"/b\"}", "", "", "", "/b", false,
     false, NULL, 0},
    {"  {\"RequestUri\":\"/x\"}\n\n", "", "", "", "/x", false, false, NULL, 0},
};

START_TEST(test_decode_ok)
{
	const char *json = ok_cases[_i].json;
	struct authz_req req;
	char *why = NULL;

	ck_assert_msg(authz_req_decode(json, strlen(json), &req, &why) == 0,
	              "%s: %s", json, why);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(req.user, ok_cases[_i].user);
	ck_assert_str_eq(req.authn_method, ok_cases[_i].authn);
	ck_assert_str_eq(req.method, ok_cases[_i].method);
	ck_assert_str_eq(req.uri, ok_cases[_i].uri);
	ck_assert_int_eq(req.has_body, ok_cases[_i].has_body);
	ck_assert_int_eq(req.body_bad, ok_cases[_i].body_bad);
	if (ok_cases[_i].body == NULL) {
		ck_assert_ptr_null(req.body);
	} else {
		ck_assert_ptr_nonnull(req.body);
		ck_assert_uint_eq(req.body_len, ok_cases[_i].body_len);
		ck_assert_mem_eq(req.body, ok_cases[_i].body,
		                 ok_cases[_i].body_len + 1); /* + the NUL */
		/* Decoded in the envelope's own copy when the fast path
		 * read it; in a buffer of its own when jansson did. */
		if (jdoc_was_fast(req.doc))
			ck_assert_ptr_null(req.body_own);
		else
			ck_assert_ptr_eq(req.body_own, req.body);
	}
	authz_req_clear(&req);
}
END_TEST

/* --- requests that do not decode --------------------------------------- */

static const struct {
	const char *json; /* or a file under tests/fixtures/authz when file */
	bool file;
	const char *why;  /* exact, or a prefix when it ends in '*' */
} bad_cases[] = {
    {"not-json.json", true, "AuthZ request is not valid JSON: *"},
    {"array.json", true, "AuthZ request is not a JSON object"},
    {"ambiguous-uri.json", true, "AuthZ request has ambiguous key '*"},
    {"", false, "AuthZ request is not valid JSON: *"},
    {"not json", false, "AuthZ request is not valid JSON: *"},
    {"{\"RequestUri\":\"/x\"", false, "AuthZ request is not valid JSON: *"},
    {"{\"RequestUri\":\"/x\"} {}", false, "AuthZ request is not valid JSON: *"},
    {"\"x\"", false, "AuthZ request is not valid JSON: *"},
    {"null", false, "AuthZ request is not valid JSON: *"},
    {"[]", false, "AuthZ request is not a JSON object"},
    {"[{\"RequestUri\":\"/x\"}]", false, "AuthZ request is not a JSON object"},
    {"{\"RequestUri\":\"/info\",\"requesturi\":\"/containers/create\"}", false,
     "AuthZ request has ambiguous key '*"},
    {"{\"RequestBody\":\"e30=\",\"REQUESTBODY\":null}", false,
     "AuthZ request has ambiguous key '*"},
    {"{\"User\":\"a\",\"U\\u017fer\":\"b\"}", false,
     "AuthZ request has ambiguous key '*"},
    {"{\"RequestUri\":1}", false, "field RequestUri is not a string"},
    {"{\"RequestUri\":[\"/x\"]}", false, "field RequestUri is not a string"},
    {"{\"requesturi\":{}}", false, "field RequestUri is not a string"},
    {"{\"User\":true}", false, "field User is not a string"},
    {"{\"UserAuthNMethod\":0}", false, "field UserAuthNMethod is not a string"},
    {"{\"requestmethod\":false}", false, "field RequestMethod is not a string"},
    {"{\"RequestBody\":1}", false, "field RequestBody is not a string"},
    {"{\"RequestBody\":[\"Zm9v\"]}", false, "field RequestBody is not a string"},
    {"{\"RequestBody\":{}}", false, "field RequestBody is not a string"},
    {"{\"RequestUri\":\"/x\",\"RequestBody\":true}", false,
     "field RequestBody is not a string"},
    {"{\"RequestUri\":\"/\\u0000\"}", false,
     "AuthZ request is not valid JSON: *"},
    {"{\"RequestUri\":\"/\xff\"}", false, "AuthZ request is not valid JSON: *"},
};

START_TEST(test_decode_bad)
{
	char *data;
	size_t len;
	if (bad_cases[_i].file) {
		char path[256];
		snprintf(path, sizeof path, AUTHZ "%s", bad_cases[_i].json);
		data = test_slurp(path, &len);
	} else {
		data = strdup(bad_cases[_i].json);
		ck_assert_ptr_nonnull(data);
		len = strlen(data);
	}
	struct authz_req req;
	char *why = NULL;

	ck_assert_msg(authz_req_decode(data, len, &req, &why) == -1,
	              "'%s' decoded", bad_cases[_i].json);
	ck_assert_ptr_nonnull(why);
	const char *want = bad_cases[_i].why;
	size_t wlen = strlen(want);
	if (want[wlen - 1] == '*')
		ck_assert_msg(strncmp(why, want, wlen - 1) == 0 && why[wlen - 1],
		              "%s: why '%s', want '%s'", bad_cases[_i].json, why,
		              want);
	else
		ck_assert_str_eq(why, want);
	/* Nothing half-filled is left behind. */
	ck_assert_ptr_null(req.user);
	ck_assert_ptr_null(req.uri);
	ck_assert_ptr_null(req.body);
	authz_req_clear(&req);
	free(why);
	free(data);
}
END_TEST

/* The ambiguous key is reported as the request spelled it. */
START_TEST(test_decode_ambiguous_key)
{
	const char *json = "{\"RequestMethod\":\"POST\",\"RequestUri\":\"/info\","
	                   "\"requesturi\":\"/containers/create\"}";
	struct authz_req req;
	char *why = NULL;

	ck_assert_int_eq(authz_req_decode(json, strlen(json), &req, &why), -1);
	ck_assert_msg(strcmp(why, "AuthZ request has ambiguous key "
	                          "'RequestUri'") == 0 ||
	                  strcmp(why, "AuthZ request has ambiguous key "
	                              "'requesturi'") == 0,
	              "why: %s", why);
	free(why);
}
END_TEST

/* Only len bytes are read: the buffer from the HTTP layer need not end in
 * a NUL. */
START_TEST(test_decode_len)
{
	const char *json = "{\"RequestUri\":\"/x\"}GARBAGE";
	struct authz_req req;
	char *why = NULL;

	ck_assert_int_eq(authz_req_decode(json, 19, &req, &why), 0);
	ck_assert_str_eq(req.uri, "/x");
	authz_req_clear(&req);
	ck_assert_int_eq(authz_req_decode(json, strlen(json), &req, &why), -1);
	free(why);
}
END_TEST

/* --- replies ----------------------------------------------------------- */

static const struct {
	bool allow;
	const char *msg, *out;
} reply_cases[] = {
    {false, "x", "{\"Allow\":false,\"Msg\":\"x\"}"},
    {true, NULL, "{\"Allow\":true}"},
    {false, NULL, "{\"Allow\":false}"},
    {true, "ok", "{\"Allow\":true,\"Msg\":\"ok\"}"},
    {false, "", "{\"Allow\":false,\"Msg\":\"\"}"},
    {false, "say \"hi\"\nnext line",
     "{\"Allow\":false,\"Msg\":\"say \\\"hi\\\"\\nnext line\"}"},
    {false, "back\\slash\ttab\r\x01", 
     "{\"Allow\":false,\"Msg\":\"back\\\\slash\\ttab\\r\\u0001\"}"},
    {false, "/etc/</script>", "{\"Allow\":false,\"Msg\":\"/etc/</script>\"}"},
    {false, "[no-root] User \"0\" \xc3\xa9",
     "{\"Allow\":false,\"Msg\":\"[no-root] User \\\"0\\\" \xc3\xa9\"}"},
    /* Not UTF-8: a vague reason rather than none. */
    {false, "bad \xff byte",
     "{\"Allow\":false,\"Msg\":\"denied by dockgate (reason not printable)\"}"},
};

START_TEST(test_reply)
{
	char *s = authz_reply(reply_cases[_i].allow, reply_cases[_i].msg);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, reply_cases[_i].out);
	free(s);
}
END_TEST

START_TEST(test_fixed_replies)
{
	ck_assert_str_eq(authz_activate_reply, "{\"Implements\":[\"authz\"]}");
	ck_assert_str_eq(authz_res_allow_reply, "{\"Allow\":true}");
}
END_TEST

START_TEST(test_decode_headers)
{
	static const struct {
		const char *json;
		const char *ct;
		long long cl;
		bool ambiguous;
	} cases[] = {
	    {"{\"RequestHeaders\":{\"Content-Type\":\"application/json\","
	     "\"Content-Length\":\"12\"}}",
	     "application/json", 12, false},
	    {"{}", NULL, -1, false},
	    {"{\"requestheaders\":{\"content-type\":\"x\"}}", "x", -1, false},
	    {"{\"RequestHeaders\":{\"Content-Type\":\"a\",\"content-type\":\"b\"}}",
	     "a", -1, true},
	    {"{\"RequestHeaders\":{\"Content-Length\":\"-1\"}}", NULL, -1, true},
	    {"{\"RequestHeaders\":{\"Content-Length\":\"12x\"}}", NULL, -1, true},
	    {"{\"RequestHeaders\":{\"Content-Type\":7}}", NULL, -1, true},
	    {"{\"RequestHeaders\":[\"Content-Type\"]}", NULL, -1, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct authz_req az;
		char *why = NULL;
		ck_assert_int_eq(authz_req_decode(cases[i].json, strlen(cases[i].json),
		                                  &az, &why),
		                 0);
		if (cases[i].ct == NULL)
			ck_assert_ptr_null(az.content_type);
		else
			ck_assert_str_eq(az.content_type, cases[i].ct);
		ck_assert_int_eq(az.content_length, cases[i].cl);
		ck_assert_int_eq(az.headers_ambiguous, cases[i].ambiguous);
		authz_req_clear(&az);
	}
}
END_TEST

Suite *authz_proto_suite(void)
{
	Suite *s = suite_create("authz_proto");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_capture, 0, (int)N(capture_cases));
	tcase_add_loop_test(tc, test_decode_ok, 0, (int)N(ok_cases));
	tcase_add_loop_test(tc, test_decode_bad, 0, (int)N(bad_cases));
	tcase_add_test(tc, test_decode_ambiguous_key);
	tcase_add_test(tc, test_decode_len);
	tcase_add_test(tc, test_decode_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_loop_test(tc, test_reply, 0, (int)N(reply_cases));
	tcase_add_test(tc, test_fixed_replies);
	suite_add_tcase(s, tc);
	return s;
}
