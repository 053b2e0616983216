/* Data-driven verdicts: every .case file in tests/verdicts is one request
 * judged by one policy through the whole decide() path, with the verdict,
 * the rule ids in the reply and in the audit line asserted. Adding a case
 * adds a file, never code.
 *
 * Case format, one "key: value" per line, '#' starts a comment line:
 *   policy:   path of the policy (required)
 *   capture:  path of a raw AuthZReq JSON (as dockerd sent it), or else
 *   method:   request method (default POST)
 *   uri:      RequestUri, raw (default /v1.41/containers/create)
 *   user:     User (TLS CN), default none
 *   body:     the API request body, one line; sent base64-encoded
 *   body-b64: RequestBody exactly as given (to send invalid base64)
 *   nobody:   yes - send no RequestBody at all
 *   expect:   allow | deny ID...   the verdict and the set of [ids] in Msg
 *   audit:    ID...                rule ids the audit line lists as audit-only
 *   msg:      text that must appear in Msg (repeatable)
 *   line:     a line Msg must hold exactly, start to end (repeatable)
 *   self-name: a name of dockgate itself, as serve --self-name (repeatable;
 *             default "dockgate", as serve)
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "base64.h"
#include "decide.h"
#include "policy.h"
#include "suites.h"

#define MAX_MSGS 8

struct vcase {
	char *policy, *capture, *method, *uri, *user, *body, *body_b64;
	int nobody;
	char *expect, *audit;
	char *msg[MAX_MSGS];
	int nmsg;
	char *line[MAX_MSGS];
	int nline;
	char *self[MAX_MSGS];
	int nself;
};

static glob_t cases;

static void case_free(struct vcase *c)
{
	free(c->policy);
	free(c->capture);
	free(c->method);
	free(c->uri);
	free(c->user);
	free(c->body);
	free(c->body_b64);
	free(c->expect);
	free(c->audit);
	for (int i = 0; i < c->nmsg; i++)
		free(c->msg[i]);
	for (int i = 0; i < c->nline; i++)
		free(c->line[i]);
	for (int i = 0; i < c->nself; i++)
		free(c->self[i]);
}

static void case_parse(const char *path, struct vcase *c)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;

	memset(c, 0, sizeof *c);
	ck_assert_msg(f != NULL, "%s: cannot open", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		char *colon = strstr(line, ": ");
		ck_assert_msg(colon != NULL, "%s:%d: expected 'key: value'", path,
		              lineno);
		*colon = '\0';
		char *v = strdup(colon + 2);
		const char *k = line;
		if (strcmp(k, "policy") == 0)
			c->policy = v;
		else if (strcmp(k, "capture") == 0)
			c->capture = v;
		else if (strcmp(k, "method") == 0)
			c->method = v;
		else if (strcmp(k, "uri") == 0)
			c->uri = v;
		else if (strcmp(k, "user") == 0)
			c->user = v;
		else if (strcmp(k, "body") == 0)
			c->body = v;
		else if (strcmp(k, "body-b64") == 0)
			c->body_b64 = v;
		else if (strcmp(k, "nobody") == 0) {
			c->nobody = strcmp(v, "yes") == 0;
			free(v);
		} else if (strcmp(k, "expect") == 0)
			c->expect = v;
		else if (strcmp(k, "audit") == 0)
			c->audit = v;
		else if (strcmp(k, "msg") == 0 && c->nmsg < MAX_MSGS)
			c->msg[c->nmsg++] = v;
		else if (strcmp(k, "line") == 0 && c->nline < MAX_MSGS)
			c->line[c->nline++] = v;
		else if (strcmp(k, "self-name") == 0 && c->nself < MAX_MSGS)
			c->self[c->nself++] = v;
		else
			ck_abort_msg("%s:%d: unknown key '%s'", path, lineno, k);
	}
	free(line);
	fclose(f);
	ck_assert_msg(c->policy != NULL, "%s: no policy", path);
	ck_assert_msg(c->expect != NULL, "%s: no expect", path);
}

/* The AuthZReq JSON for c, new string. */
static char *case_request(const struct vcase *c, size_t *len)
{
	if (c->capture != NULL) {
		return test_slurp(c->capture, len);
	}
	json_t *o = json_object();
	json_object_set_new(o, "RequestMethod", json_string(c->method ? c->method : "POST"));
	json_object_set_new(o, "RequestUri",
	                    json_string(c->uri ? c->uri : "/v1.41/containers/create"));
	if (c->user != NULL) {
		json_object_set_new(o, "User", json_string(c->user));
		json_object_set_new(o, "UserAuthNMethod", json_string("TLS"));
	}
	if (c->body_b64 != NULL) {
		json_object_set_new(o, "RequestBody", json_string(c->body_b64));
	} else if (c->body != NULL && !c->nobody) {
		char *b = base64_encode((const unsigned char *)c->body, strlen(c->body));
		json_object_set_new(o, "RequestBody", json_string(b));
		free(b);
	}
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	*len = strlen(s);
	return s;
}

/* Sorted, de-duplicated "[id]" tokens of msg, space separated. */
static char *ids_in(const char *msg)
{
	char *ids[64];
	int n = 0;
	for (const char *p = msg; p && (p = strchr(p, '[')) != NULL; p++) {
		const char *e = strchr(p, ']');
		if (e == NULL)
			break;
		char *id = strndup(p + 1, (size_t)(e - p - 1));
		int dup = 0;
		for (int i = 0; i < n; i++)
			dup |= strcmp(ids[i], id) == 0;
		if (dup || n == 64)
			free(id);
		else
			ids[n++] = id;
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
			char *t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	size_t cap = 1;
	for (int i = 0; i < n; i++)
		cap += strlen(ids[i]) + 1;
	char *out = calloc(1, cap);
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, ids[i]);
		free(ids[i]);
	}
	return out;
}

/* The same for a space-separated list of ids. */
static char *ids_sorted(const char *list)
{
	char *tmp = malloc(strlen(list) * 3 + 3), *w = tmp;
	for (const char *p = list; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		*w++ = '[';
		memcpy(w, p, n);
		w += n;
		*w++ = ']';
		p += n;
	}
	*w = '\0';
	char *out = ids_in(tmp);
	free(tmp);
	return out;
}

/* True when one '\n'-separated line of msg is exactly line. */
static bool has_line(const char *msg, const char *line)
{
	size_t n = strlen(line);
	for (const char *l = msg; l != NULL; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (strncmp(l, line, n) == 0 && (l[n] == '\n' || l[n] == '\0'))
			return true;
	}
	return false;
}

START_TEST(test_verdict)
{
	const char *path = cases.gl_pathv[_i];
	struct vcase c;
	struct policy_errors errs = {0};
	size_t len;

	case_parse(path, &c);
	struct policy *p = policy_load_file(c.policy, &errs);
	ck_assert_msg(p != NULL, "%s: policy %s: %s", path, c.policy,
	              errs.n ? errs.msg[0] : "?");
	char *req = case_request(&c, &len);

	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	bool allow;
	const char *self_names[MAX_MSGS];
	struct decide_opts opts = {.self = {self_names, 0}};
	for (int i = 0; i < c.nself; i++)
		self_names[opts.self.n++] = c.self[i];
	if (opts.self.n == 0)
		self_names[opts.self.n++] = selfprotect_default_name;
	char *reply = decide(p, &opts, req, len, &allow, log);
	fclose(log);
	ck_assert_msg(reply != NULL, "%s: no reply", path);

	json_error_t jerr;
	json_t *r = json_loads(reply, 0, &jerr);
	ck_assert_msg(r != NULL, "%s: reply is not JSON: %s", path, reply);
	json_t *ja = json_object_get(r, "Allow");
	ck_assert_msg(json_is_boolean(ja), "%s: reply has no Allow: %s", path, reply);
	ck_assert_int_eq(json_is_true(ja), allow);
	const char *msg = json_string_value(json_object_get(r, "Msg"));

	int want_allow = strncmp(c.expect, "allow", 5) == 0;
	ck_assert_msg(want_allow || strncmp(c.expect, "deny", 4) == 0,
	              "%s: expect must start with allow or deny", path);
	ck_assert_msg(allow == want_allow, "%s: expected %s, got %s: %s", path,
	              want_allow ? "allow" : "deny", allow ? "allow" : "deny", reply);
	if (!want_allow) {
		char *want = ids_sorted(c.expect + 4);
		char *got = ids_in(msg);
		ck_assert_msg(strcmp(want, got) == 0,
		              "%s: expected rules [%s], reply names [%s]: %s", path,
		              want, got, msg);
		free(want);
		free(got);
		/* Every enforced violation is "[id] what; fix". */
		for (const char *l = strchr(msg, '\n'); l; l = strchr(l + 1, '\n'))
			if (l[1] == '[')
				ck_assert_msg(strchr(l, ';') != NULL,
				              "%s: violation without a fix: %s", path, l + 1);
	} else {
		ck_assert_msg(msg == NULL, "%s: an allow carries a Msg: %s", path, reply);
	}
	for (int i = 0; i < c.nmsg; i++)
		ck_assert_msg(msg != NULL && strstr(msg, c.msg[i]) != NULL,
		              "%s: Msg lacks \"%s\": %s", path, c.msg[i],
		              msg ? msg : "(none)");

	for (int i = 0; i < c.nline; i++)
		ck_assert_msg(msg != NULL && has_line(msg, c.line[i]),
		              "%s: Msg has no line \"%s\": %s", path, c.line[i],
		              msg ? msg : "(none)");

	/* The audit line: audit= lists the audit-only rules. */
	ck_assert_msg(loglen > 0 && logbuf[loglen - 1] == '\n' &&
	                  strchr(logbuf, '\n') == logbuf + loglen - 1,
	              "%s: expected one audit line, got: %s", path, logbuf);
	const char *a = strstr(logbuf, " audit=");
	ck_assert_msg(a != NULL, "%s: audit line lacks audit=: %s", path, logbuf);
	char field[256] = "";
	sscanf(a + 7, "%255[^ \n]", field);
	for (char *q = field; *q; q++)
		if (*q == ',')
			*q = ' ';
	char *want_audit = ids_sorted(c.audit ? c.audit : "");
	char *got_audit = ids_sorted(strcmp(field, "-") == 0 ? "" : field);
	ck_assert_msg(strcmp(want_audit, got_audit) == 0,
	              "%s: expected audit-only [%s], log says [%s]", path,
	              want_audit, got_audit);
	free(want_audit);
	free(got_audit);

	json_decref(r);
	free(reply);
	free(logbuf);
	free(req);
	policy_unref(p);
	policy_errors_clear(&errs);
	case_free(&c);
}
END_TEST

START_TEST(test_cases_found)
{
	/* A glob that silently matched nothing would pass every verdict. */
	ck_assert_uint_ge(cases.gl_pathc, 40);
}
END_TEST

static void free_cases(void)
{
	globfree(&cases);
}

Suite *verdicts_suite(void)
{
	Suite *s = suite_create("verdicts");
	TCase *tc = tcase_create("cases");

	if (cases.gl_pathv == NULL)
		if (glob("tests/verdicts/*.case", 0, NULL, &cases) == 0)
			atexit(free_cases);
	tcase_add_test(tc, test_cases_found);
	tcase_add_loop_test(tc, test_verdict, 0, (int)cases.gl_pathc);
	suite_add_tcase(s, tc);
	return s;
}
