/* The policy loader.
 *
 * Invalid policies are data, as in jansson's test suite: every
 * tests/policy-invalid/NAME.yaml must fail to load with exactly the lines of
 * NAME.err (paths, positions and text), in order. Adding a case adds two
 * files and no code. Valid policies in tests/policy-valid/ (and the shipped
 * policies/) must load without a word; a few have their fields asserted
 * here. Inputs too big to commit (a 10 MB alias bomb, a flood of aliases
 * just under the size limit) are generated into /tmp at test time. */
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "policy.h"
#include "suites.h"

static glob_t invalid, valid;

static void free_globs(void)
{
	globfree(&invalid);
	globfree(&valid);
}

/* Reads a whole file into a new NUL-terminated string (NULL if it cannot),
 * splitting it into lines in place when lines is not NULL: *lines is a new
 * array of pointers into the returned buffer, without the '\n'. */
static char *slurp(const char *path, const char ***lines, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf != NULL && (r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (len + 1 == cap) {
			char *b = realloc(buf, cap * 2);
			if (b == NULL)
				free(buf);
			buf = b;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf == NULL)
		return NULL;
	buf[len] = '\0';
	if (lines == NULL)
		return buf;
	*n = 0;
	*lines = malloc((len + 1) * sizeof **lines);
	ck_assert_ptr_nonnull(*lines);
	for (char *s = buf; *s != '\0';) {
		char *nl = strchr(s, '\n');
		(*lines)[(*n)++] = s;
		if (nl == NULL)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	return buf;
}

/* Asserts that loading path fails with exactly the lines of want. */
static void expect_errors(const char *path, const char *const *want,
                          size_t nwant)
{
	struct policy_errors errs = {0};
	struct policy *p = policy_load_file(path, &errs);
	if (p != NULL)
		policy_unref(p);
	ck_assert_msg(p == NULL, "%s: loaded, but should fail", path);
	for (size_t i = 0; i < errs.n || i < nwant; i++) {
		const char *got = i < errs.n ? errs.msg[i] : "(nothing)";
		const char *exp = i < nwant ? want[i] : "(nothing)";
		ck_assert_msg(strcmp(got, exp) == 0,
		              "%s: error %zu of %zu (expected %zu):\n"
		              "   got: %s\n  want: %s",
		              path, i + 1, errs.n, nwant, got, exp);
	}
	policy_errors_clear(&errs);
}

START_TEST(test_invalid_case)
{
	const char *path = invalid.gl_pathv[_i];
	size_t len = strlen(path);
	char *errpath = strdup(path);
	ck_assert_ptr_nonnull(errpath);
	strcpy(errpath + len - strlen(".yaml"), ".err");
	const char **want = NULL;
	size_t nwant = 0;
	char *buf = slurp(errpath, &want, &nwant);
	ck_assert_msg(buf != NULL, "%s: no %s next to it", path, errpath);
	expect_errors(path, want, nwant);
	free(want);
	free(buf);
	free(errpath);
}
END_TEST

START_TEST(test_invalid_cases_found)
{
	/* A glob that silently matched nothing would pass every case. */
	ck_assert_uint_ge(invalid.gl_pathc, 30);
	/* And an .err whose .yaml was renamed away would test nothing. */
	glob_t errs;
	ck_assert_int_eq(glob("tests/policy-invalid/*.err", 0, NULL, &errs), 0);
	ck_assert_uint_eq(errs.gl_pathc, invalid.gl_pathc);
	globfree(&errs);
}
END_TEST

/* Loads path, which must be valid. Returns the policy (the caller unrefs). */
static struct policy *load_ok(const char *path)
{
	struct policy_errors errs = {0};
	struct policy *p = policy_load_file(path, &errs);
	ck_assert_msg(p != NULL && errs.n == 0, "%s: %s", path,
	              errs.n > 0 ? errs.msg[0] : "failed without an error");
	policy_errors_clear(&errs);
	ck_assert_int_eq(p->refs, 1);
	ck_assert_str_eq(p->source, path);
	ck_assert_int_eq(p->version, 1);
	return p;
}

START_TEST(test_valid_case)
{
	policy_unref(load_ok(valid.gl_pathv[_i]));
}
END_TEST

START_TEST(test_valid_cases_found)
{
	ck_assert_uint_ge(valid.gl_pathc, 6);
}
END_TEST

START_TEST(test_valid_minimal)
{
	struct policy *p = load_ok("tests/policy-valid/minimal.yaml");
	ck_assert_int_eq(p->mode, POLICY_ENFORCE);
	for (int i = 0; i < RULE__COUNT; i++)
		ck_assert_int_eq(p->action[i], RULE_OFF);
	ck_assert(!p->unset_user_allow);
	ck_assert_uint_eq(p->limits_require,
	                  LIMIT_MEMORY | LIMIT_CPUS | LIMIT_PIDS);
	ck_assert_int_eq(p->max_memory, 0);
	ck_assert_int_eq(p->max_nano_cpus, 0);
	ck_assert_int_eq(p->max_pids, 0);
	ck_assert_uint_eq(p->n_cap_allow, 0);
	ck_assert_uint_eq(p->n_registries, 0);
	policy_unref(p);
}
END_TEST

START_TEST(test_valid_full)
{
	struct policy *p = load_ok("tests/policy-valid/full.yaml");
	ck_assert_int_eq(p->mode, POLICY_AUDIT);
	ck_assert_int_eq(p->action[RULE_NO_ROOT], RULE_AUDIT);
	ck_assert_int_eq(p->action[RULE_READ_ONLY_ROOTFS], RULE_DENY);
	ck_assert_int_eq(p->action[RULE_RESOURCE_LIMITS], RULE_DENY);
	ck_assert_int_eq(p->action[RULE_CAPABILITIES], RULE_OFF);
	ck_assert_int_eq(p->action[RULE_REGISTRIES], RULE_DENY);
	ck_assert(p->unset_user_allow);
	ck_assert_uint_eq(p->limits_require, LIMIT_MEMORY | LIMIT_PIDS);
	ck_assert_int_eq(p->max_memory, INT64_C(1610612736));
	ck_assert_int_eq(p->max_nano_cpus, 250000000);
	ck_assert_int_eq(p->max_pids, 100);
	/* Upper case, without CAP_, duplicates merged, in kernel order. */
	ck_assert_uint_eq(p->n_cap_allow, 4);
	ck_assert_str_eq(p->cap_allow[0], "CHOWN");
	ck_assert_str_eq(p->cap_allow[1], "NET_BIND_SERVICE");
	ck_assert_str_eq(p->cap_allow[2], "NET_RAW");
	ck_assert_str_eq(p->cap_allow[3], "ALL");
	ck_assert_uint_eq(p->n_registries, 3);
	ck_assert_str_eq(p->registries[0], "registry.example.com");
	ck_assert_str_eq(p->registries[1], "ghcr.io/acme");
	ck_assert_str_eq(p->registries[2], "localhost:5000/team");
	policy_unref(p);
}
END_TEST

START_TEST(test_valid_shorthand)
{
	struct policy *p = load_ok("tests/policy-valid/shorthand.yaml");
	ck_assert_int_eq(p->action[RULE_NO_ROOT], RULE_DENY);
	ck_assert_int_eq(p->action[RULE_READ_ONLY_ROOTFS], RULE_AUDIT);
	/* A mapping without action means deny. */
	ck_assert_int_eq(p->action[RULE_RESOURCE_LIMITS], RULE_DENY);
	ck_assert_uint_eq(p->limits_require,
	                  LIMIT_MEMORY | LIMIT_CPUS | LIMIT_PIDS);
	/* capabilities without allow: no capability may be added. */
	ck_assert_int_eq(p->action[RULE_CAPABILITIES], RULE_DENY);
	ck_assert_uint_eq(p->n_cap_allow, 0);
	/* registries: off needs no allow list. */
	ck_assert_int_eq(p->action[RULE_REGISTRIES], RULE_OFF);
	policy_unref(p);
}
END_TEST

START_TEST(test_valid_flow_style)
{
	struct policy *p = load_ok("tests/policy-valid/flow-style.yaml");
	ck_assert_int_eq(p->action[RULE_NO_ROOT], RULE_DENY);
	/* An explicit empty list requires nothing. */
	ck_assert_uint_eq(p->limits_require, 0);
	ck_assert_int_eq(p->max_memory, INT64_C(512) << 20);
	ck_assert_int_eq(p->max_nano_cpus, INT64_C(2000000000));
	ck_assert_int_eq(p->max_pids, 10);
	policy_unref(p);
}
END_TEST

START_TEST(test_valid_tags_bom)
{
	struct policy *p = load_ok("tests/policy-valid/tags-standard.yaml");
	ck_assert_int_eq(p->action[RULE_NO_ROOT], RULE_DENY);
	ck_assert_uint_eq(p->n_cap_allow, 1);
	ck_assert_str_eq(p->cap_allow[0], "SYS_PTRACE");
	policy_unref(p);
	p = load_ok("tests/policy-valid/bom-crlf.yaml");
	ck_assert_int_eq(p->action[RULE_READ_ONLY_ROOTFS], RULE_DENY);
	policy_unref(p);
}
END_TEST

START_TEST(test_default_policy)
{
	struct policy *p = load_ok("policies/default.yaml");
	ck_assert_int_eq(p->mode, POLICY_ENFORCE);
	for (int i = 0; i < RULE__COUNT; i++)
		ck_assert_int_eq(p->action[i], RULE_DENY);
	ck_assert(!p->unset_user_allow);
	ck_assert_uint_eq(p->limits_require,
	                  LIMIT_MEMORY | LIMIT_CPUS | LIMIT_PIDS);
	ck_assert_int_eq(p->max_memory, INT64_C(4) << 30);
	ck_assert_int_eq(p->max_nano_cpus, INT64_C(2000000000));
	ck_assert_int_eq(p->max_pids, 4096);
	ck_assert_uint_eq(p->n_cap_allow, 1);
	ck_assert_str_eq(p->cap_allow[0], "NET_BIND_SERVICE");
	ck_assert_uint_eq(p->n_registries, 3);
	ck_assert_str_eq(p->registries[0], "registry.example.com");
	ck_assert_str_eq(p->registries[1], "ghcr.io/acme");
	ck_assert_str_eq(p->registries[2], "docker.io/library");
	policy_unref(p);
}
END_TEST

START_TEST(test_refcount)
{
	struct policy *p = load_ok("policies/default.yaml");
	ck_assert_ptr_eq(policy_ref(p), p);
	ck_assert_int_eq(p->refs, 2);
	policy_unref(p);
	ck_assert_int_eq(p->refs, 1);
	policy_unref(p);
	policy_unref(NULL);
	ck_assert_ptr_null(policy_ref(NULL));
}
END_TEST

/* Writes head, count times text, then tail to a new file in /tmp;
 * returns its path (a new string). */
static char *write_tmp(const char *head, const char *text, size_t count,
                       const char *tail)
{
	char *path = strdup("/tmp/dockgate-test-policy-XXXXXX");
	ck_assert_ptr_nonnull(path);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(head, f);
	for (size_t i = 0; i < count; i++)
		fputs(text, f);
	fputs(tail, f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Asserts that loading path fails with exactly one error, path + suffix. */
static void expect_one(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *want = malloc(n);
	ck_assert_ptr_nonnull(want);
	snprintf(want, n, "%s%s", path, suffix);
	const char *w = want;
	expect_errors(path, &w, 1);
	free(want);
}

START_TEST(test_alias_bomb_10mb)
{
	/* Billion laughs padded to 10 MB: refused unread, before parsing. */
	char *path = write_tmp("version: 1\na: &a [lol, lol, lol, lol]\n",
	                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n",
	                       260000, "");
	expect_one(path, ": policy file is larger than 1 MiB");
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_alias_flood)
{
	/* 260,000 aliases just under the limit: one error each for the first
	 * anchor and alias, and quickly. */
	char *path = write_tmp("version: 1\nx: &x [a]\ny: [*x", ", *x", 262000,
	                       "]\n");
	char *want[2];
	size_t n = strlen(path) + 64;
	want[0] = malloc(n);
	want[1] = malloc(n);
	ck_assert(want[0] != NULL && want[1] != NULL);
	snprintf(want[0], n, "%s:2:4: YAML anchors are not supported", path);
	snprintf(want[1], n, "%s:3:5: YAML aliases are not supported", path);
	expect_errors(path, (const char *const *)want, 2);
	free(want[0]);
	free(want[1]);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_size_limit_exact)
{
	/* Exactly 1 MiB loads; one byte more is refused. */
	static const char head[] = "version: 1\n#";
	size_t mib = 1024 * 1024;
	char *buf = malloc(mib + 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, head, sizeof head - 1);
	memset(buf + sizeof head - 1, 'x', mib + 1 - (sizeof head - 1));
	struct policy_errors errs = {0};
	struct policy *p = policy_load_buffer("big", buf, mib, &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(errs.n, 0);
	policy_unref(p);
	p = policy_load_buffer("big", buf, mib + 1, &errs);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "big: policy file is larger than 1 MiB");
	policy_errors_clear(&errs);
	free(buf);
}
END_TEST

START_TEST(test_cannot_open)
{
	const char *want = "tests/policy-invalid/no-such-file.yaml: cannot "
	                   "open: No such file or directory";
	expect_errors("tests/policy-invalid/no-such-file.yaml", &want, 1);
	want = "tests/policy-invalid: cannot read: Is a directory";
	expect_errors("tests/policy-invalid", &want, 1);
}
END_TEST

START_TEST(test_buffer_api)
{
	struct policy_errors errs = {0};
	/* Errors are appended to what is there already. */
	ck_assert_ptr_null(policy_load_buffer("a", "version: 2\n", 11, &errs));
	ck_assert_ptr_null(policy_load_buffer(NULL, NULL, 0, &errs));
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.msg[0], "a:1:10: expected version 1, got '2'");
	ck_assert_str_eq(errs.msg[1], "<policy>:1:1: policy file is empty");
	policy_errors_clear(&errs);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_ptr_null(errs.msg);
	/* errs may be NULL; the load still fails. */
	ck_assert_ptr_null(policy_load_buffer("a", "rules: {}\n", 10, NULL));
	/* The length is what counts, not a NUL. */
	const char twice[] = "version: 1\n\0version: 1\n";
	struct policy *p = policy_load_buffer("n", twice, 11, &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->source, "n");
	policy_unref(p);
	ck_assert_ptr_null(policy_load_buffer("n", twice, sizeof twice - 1,
	                                      &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0],
	                 "n:2:1: control characters are not allowed (0x00)");
	policy_errors_clear(&errs);
	policy_errors_clear(NULL);
}
END_TEST

/* Deny messages name at most POLICY_LIST_SHOWN entries of a list: up to
 * that it is the whole list as before, past it the first ten, how many
 * more (with thousands separators) and the rule that lists them. */
START_TEST(test_list_text)
{
	enum { BIG = 1000010 };
	char **items = malloc(BIG * sizeof *items);
	char names[11][8];
	ck_assert_ptr_nonnull(items);
	for (int i = 0; i < 11; i++)
		snprintf(names[i], sizeof names[i], "r%02d", i);
	for (size_t i = 0; i < BIG; i++)
		items[i] = names[i < 11 ? i : 10];
	const char *ten = "r00, r01, r02, r03, r04, r05, r06, r07, r08, r09";
	static const struct {
		size_t n;
		enum rule_id rule;
		const char *more; /* after the first ten; NULL: the whole list */
	} cases[] = {
	    {11, RULE_REGISTRIES, " and 1 more listed in the policy's registries rule"},
	    {1010, RULE_REGISTRIES, " and 1,000 more listed in the policy's registries rule"},
	    {10000, RULE_REGISTRIES, " and 9,990 more listed in the policy's registries rule"},
	    {BIG, RULE_REGISTRIES, " and 1,000,000 more listed in the policy's registries rule"},
	    {110, RULE_HOST_MOUNTS, " and 100 more listed in the policy's host-mounts rule"},
	    {12, RULE_SECURITY_PROFILES, " and 2 more listed in the policy's security-profiles rule"},
	};
	char *got = policy_list_text(items, 0, RULE_REGISTRIES);
	ck_assert_str_eq(got, "nothing");
	free(got);
	got = policy_list_text(items, 1, RULE_REGISTRIES);
	ck_assert_str_eq(got, "r00");
	free(got);
	for (size_t n = 0; n <= POLICY_LIST_SHOWN; n++) {
		char *joined = policy_join_list(items, n);
		got = policy_list_text(items, n, RULE_REGISTRIES);
		ck_assert_str_eq(got, joined);
		free(joined);
		free(got);
	}
	got = policy_list_text(items, 10, RULE_REGISTRIES);
	ck_assert_str_eq(got, ten);
	free(got);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char want[256];
		snprintf(want, sizeof want, "%s%s", ten, cases[i].more);
		got = policy_list_text(items, cases[i].n, cases[i].rule);
		ck_assert_str_eq(got, want);
		free(got);
	}
	free(items);
}
END_TEST

/* policy_index builds the capped texts once, at load. */
START_TEST(test_list_text_at_load)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	fputs("version: 1\nrules:\n  registries:\n    allow:\n", o);
	for (int i = 0; i < 10000; i++)
		fprintf(o, "      - registry-%05d.example.net/team\n", i);
	fputs("  host-mounts:\n    allow: [/a, /b]\n"
	      "  security-profiles:\n    sysctls: [net.core.somaxconn]\n", o);
	fclose(o);
	struct policy_errors errs = {0};
	struct policy *p = policy_load_buffer("big", buf, len, &errs);
	ck_assert_msg(p != NULL, "%s", errs.n ? errs.msg[0] : "?");
	ck_assert_str_eq(p->registries_text,
	                 "registry-00000.example.net/team, "
	                 "registry-00001.example.net/team, "
	                 "registry-00002.example.net/team, "
	                 "registry-00003.example.net/team, "
	                 "registry-00004.example.net/team, "
	                 "registry-00005.example.net/team, "
	                 "registry-00006.example.net/team, "
	                 "registry-00007.example.net/team, "
	                 "registry-00008.example.net/team, "
	                 "registry-00009.example.net/team and 9,990 more listed "
	                 "in the policy's registries rule");
	ck_assert_str_eq(p->mounts_allow_text, "/a, /b");
	ck_assert_str_eq(p->sysctls_text, "net.core.somaxconn");
	policy_unref(p);
	free(buf);
}
END_TEST

START_TEST(test_parse_memory)
{
	static const struct {
		const char *s;
		int64_t want; /* -1: rejected */
	} t[] = {
	    {"0", 0},
	    {"1", 1},
	    {"1b", 1},
	    {"1B", 1},
	    {"1k", 1024},
	    {"1K", 1024},
	    {"1kb", 1024},
	    {"1KiB", 1024},
	    {"1ki", 1024},
	    {"1 k", 1024},
	    {"1 kib", 1024},
	    {"64m", INT64_C(64) << 20},
	    {"4g", INT64_C(4) << 30},
	    {"4G", INT64_C(4) << 30},
	    {"1.5g", INT64_C(3) << 29},
	    {"0.5k", 512},
	    {"0.1k", 102}, /* truncated, as go-units does */
	    {"1.5", 1},
	    {"1t", INT64_C(1) << 40},
	    {"2p", INT64_C(2) << 50},
	    {"8191p", INT64_C(8191) << 50},
	    {"8191.999p", INT64_C(9223370910954868965)},
	    /* exactly 2^-50 PiB = one byte: computed without floats */
	    {"0.00000000000000088817841970012523233890533447265625p", 1},
	    {"0.00000000000000088817841970012523233890533447265624p", 0},
	    {"007m", INT64_C(7) << 20},
	    {"9223372036854775807", INT64_MAX},
	    {"9223372036854775808", -1},
	    {"8192p", -1},
	    /* floor(8192 PiB - 10^-58 PiB) */
	    {"8191.9999999999999999999999999999999999999999999999999999999p",
	     INT64_MAX},
	    {"99999999999999999999999k", -1},
	    {"", -1},
	    {"k", -1},
	    {".5k", -1},
	    {"1.k", -1},
	    {"1..5k", -1},
	    {"1.5.5", -1},
	    {"-1", -1},
	    {"+1", -1},
	    {" 1", -1},
	    {"1  k", -1},
	    {"1kk", -1},
	    {"1bi", -1},
	    {"1e3", -1},
	    {"1x", -1},
	    {"1 ", 1},
	    {"0x10", -1},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t v = -7;
		int r = policy_parse_memory(t[i].s, &v);
		if (t[i].want < 0) {
			ck_assert_msg(r == -1 && v == -7, "'%s' accepted",
			              t[i].s);
		} else {
			ck_assert_msg(r == 0, "'%s' rejected", t[i].s);
			ck_assert_msg(v == t[i].want,
			              "'%s': %lld, want %lld", t[i].s,
			              (long long)v, (long long)t[i].want);
		}
	}
	int64_t v;
	ck_assert_int_eq(policy_parse_memory(NULL, &v), -1);
}
END_TEST

START_TEST(test_parse_cpus)
{
	static const struct {
		const char *s;
		int64_t want; /* -1: rejected */
	} t[] = {
	    {"0", 0},
	    {"1", 1000000000},
	    {"2", 2000000000},
	    {"0.5", 500000000},
	    {".25", 250000000},
	    {"2.", 2000000000},
	    {"1.5", 1500000000},
	    {"0.000000001", 1},
	    {"0.0000000010", 1},
	    {"1.500000000000000", 1500000000},
	    {"64", INT64_C(64000000000)},
	    {"9223372036", INT64_C(9223372036000000000)},
	    {"9223372036.854775807", INT64_MAX},
	    {"9223372036.854775808", -1},
	    {"9223372037", -1},
	    {"99999999999999999999999", -1},
	    {"0.0000000001", -1},
	    {"0.1234567891", -1},
	    {"", -1},
	    {".", -1},
	    {"-1", -1},
	    {"+1", -1},
	    {"1e3", -1},
	    {"1/2", -1},
	    {" 1", -1},
	    {"1 ", -1},
	    {"1,5", -1},
	    {"1.2.3", -1},
	    {"one", -1},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t v = -7;
		int r = policy_parse_cpus(t[i].s, &v);
		if (t[i].want < 0) {
			ck_assert_msg(r == -1 && v == -7, "'%s' accepted",
			              t[i].s);
		} else {
			ck_assert_msg(r == 0, "'%s' rejected", t[i].s);
			ck_assert_msg(v == t[i].want,
			              "'%s': %lld, want %lld", t[i].s,
			              (long long)v, (long long)t[i].want);
		}
	}
	int64_t v;
	ck_assert_int_eq(policy_parse_cpus(NULL, &v), -1);
}
END_TEST

static const struct {
	const char *pattern, *method, *path;
	bool want;
} api_matches[] = {
    {"POST /images/load", "POST", "/images/load", true},
    {"POST /images/load", "post", "/images/load", true},
    {"post /images/load", "POST", "/images/load", true},
    {"POST /images/load", "GET", "/images/load", false},
    {"POST /images/load", "POST", "/images/load/x", false},
    {"POST /images/load", "POST", "/images", false},
    {"* /plugins/**", "DELETE", "/plugins/x", true},
    {"* /plugins/**", "POST", "/plugins/a/b/c", true},
    {"* /plugins/**", "GET", "/plugins", true},
    {"* /plugins/**", "GET", "/pluginsx", false},
    {"POST /containers/*/exec", "POST", "/containers/abc/exec", true},
    {"POST /containers/*/exec", "POST", "/containers/a/b/exec", false},
    {"POST /containers/**/exec", "POST", "/containers/a/b/exec", true},
    {"GET /**", "GET", "/", true},
    {"GET /", "GET", "/", true},
    {"GET /", "GET", "/info", false},
    {"GET /v*", "GET", "/version", true},
    {"GET /*s*n", "GET", "/version", true},
    {"GET /*s*n", "GET", "/versio", false},
    {"GET /**/json", "GET", "/containers/x/json", true},
    {"GET /**/json", "GET", "/json", true},
};

START_TEST(test_api_match)
{
	bool got = policy_api_match(api_matches[_i].pattern, api_matches[_i].method,
	                            api_matches[_i].path);
	ck_assert_msg(got == api_matches[_i].want, "'%s' vs %s %s: got %d",
	              api_matches[_i].pattern, api_matches[_i].method,
	              api_matches[_i].path, got);
	const char *why;
	ck_assert(policy_api_valid(api_matches[_i].pattern, &why));
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	if (invalid.gl_pathv == NULL && valid.gl_pathv == NULL) {
		glob("tests/policy-invalid/*.yaml", 0, NULL, &invalid);
		glob("tests/policy-valid/*.yaml", 0, NULL, &valid);
		glob("policies/*.yaml", GLOB_APPEND, NULL, &valid);
		atexit(free_globs);
	}
	tcase_add_test(tc, test_invalid_cases_found);
	tcase_add_loop_test(tc, test_invalid_case, 0, (int)invalid.gl_pathc);
	tcase_add_test(tc, test_valid_cases_found);
	tcase_add_loop_test(tc, test_valid_case, 0, (int)valid.gl_pathc);
	tcase_add_test(tc, test_valid_minimal);
	tcase_add_test(tc, test_valid_full);
	tcase_add_test(tc, test_valid_shorthand);
	tcase_add_test(tc, test_valid_flow_style);
	tcase_add_test(tc, test_valid_tags_bom);
	tcase_add_test(tc, test_default_policy);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_alias_bomb_10mb);
	tcase_add_test(tc, test_alias_flood);
	tcase_add_test(tc, test_size_limit_exact);
	tcase_add_test(tc, test_cannot_open);
	tcase_add_test(tc, test_buffer_api);
	tcase_add_test(tc, test_list_text);
	tcase_add_test(tc, test_list_text_at_load);
	tcase_add_test(tc, test_parse_memory);
	tcase_add_test(tc, test_parse_cpus);
	tcase_add_loop_test(tc, test_api_match, 0,
	                    sizeof api_matches / sizeof api_matches[0]);
	suite_add_tcase(s, tc);
	return s;
}
