/* imageref suite: table-driven from tests/imageref/{cases,match,patterns}.txt
 * (formats at the top of each file), plus the API's edge cases. Every
 * mismatch in a table is reported with file:line before the test fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"
#include "suites.h"

#define CASES_FILE "tests/imageref/cases.txt"
#define MATCH_FILE "tests/imageref/match.txt"
#define PATTERNS_FILE "tests/imageref/patterns.txt"
#define MAX_FIELDS 10

/* One line of a table, split into fields. Each field is a new string
 * (freed by line_free) or NULL for "-". */
struct line {
	char *f[MAX_FIELDS];
	size_t n;
};

static void line_free(struct line *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->f[i]);
	l->n = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns a new string: raw[0..n) with the escapes of the table format
 * expanded ("\t", "\n", "\\", "\xHH", "[[TEXT*N]]", "<empty>"), or NULL for
 * "-". Aborts the test on a malformed field. */
static char *unescape(const char *raw, size_t n, const char *file, int lineno)
{
	if (n == 1 && raw[0] == '-')
		return NULL;
	if (n == 7 && memcmp(raw, "<empty>", 7) == 0)
		return strdup("");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++) {
		if (raw[i] == '\\' && i + 1 < n) {
			char c = raw[++i];
			if (c == 't') {
				fputc('\t', out);
			} else if (c == 'n') {
				fputc('\n', out);
			} else if (c == '\\') {
				fputc('\\', out);
			} else if (c == 'x' && i + 2 < n && hexval(raw[i + 1]) >= 0 &&
			           hexval(raw[i + 2]) >= 0) {
				fputc(hexval(raw[i + 1]) * 16 + hexval(raw[i + 2]), out);
				i += 2;
			} else {
				ck_abort_msg("%s:%d: bad escape \\%c", file, lineno, c);
			}
		} else if (raw[i] == '[' && i + 1 < n && raw[i + 1] == '[') {
			const char *end = strstr(raw + i, "]]");
			const char *star = NULL;
			for (const char *p = raw + i + 2; end && p < end; p++)
				if (*p == '*')
					star = p;
			if (end == NULL || end > raw + n || star == NULL)
				ck_abort_msg("%s:%d: bad [[TEXT*N]]", file, lineno);
			int count = atoi(star + 1);
			for (int k = 0; k < count; k++)
				fwrite(raw + i + 2, 1, (size_t)(star - raw - i - 2), out);
			i = (size_t)(end - raw) + 1;
		} else {
			fputc(raw[i], out);
		}
	}
	fclose(out);
	return buf;
}

/* Reads the next table line of f into *l (fields split on runs of TABs,
 * comments and blank lines skipped). Returns false at end of file. */
static bool next_line(FILE *f, const char *file, int *lineno, struct line *l)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;

	while ((got = getline(&buf, &cap, f)) >= 0) {
		(*lineno)++;
		size_t len = (size_t)got;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		if (len == 0 || buf[0] == '#')
			continue;
		l->n = 0;
		size_t i = 0;
		while (i < len) {
			size_t start = i;
			while (i < len && buf[i] != '\t')
				i++;
			ck_assert_msg(l->n < MAX_FIELDS, "%s:%d: too many fields",
			              file, *lineno);
			l->f[l->n++] = unescape(buf + start, i - start, file, *lineno);
			while (i < len && buf[i] == '\t')
				i++;
		}
		free(buf);
		return true;
	}
	free(buf);
	return false;
}

static FILE *open_table(const char *file)
{
	FILE *f = fopen(file, "r");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)",
	              file);
	return f;
}

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *show(const char *s)
{
	return s != NULL ? s : "(null)";
}

static const char *status_name(enum imageref_status st)
{
	switch (st) {
	case IMAGEREF_OK:
		return "OK";
	case IMAGEREF_EMPTY:
		return "EMPTY";
	case IMAGEREF_ID:
		return "ID";
	case IMAGEREF_INVALID:
		return "INVALID";
	}
	return "?";
}

/* Compares one field, printing a file:line diagnostic on mismatch. Returns
 * the number of failures (0 or 1). */
static int expect_str(const char *what, const char *got, const char *want,
                      const char *input, int lineno)
{
	if (str_eq(got, want))
		return 0;
	fprintf(stderr, "%s:%d: input \"%s\": %s is \"%s\", want \"%s\"\n",
	        CASES_FILE, lineno, input, what, show(got), show(want));
	return 1;
}

static bool all_null(const struct imageref *r)
{
	return r->domain == NULL && r->path == NULL && r->tag == NULL &&
	       r->digest == NULL && r->name == NULL && r->full == NULL &&
	       !r->tag_given;
}

/* Checks one cases.txt line; returns the number of failures. */
static int check_case(const struct line *l, int lineno)
{
	const char *input = l->f[0];
	int fails = 0;
	struct imageref r;
	const char *why = "unset";

	if (l->n < 2 || input == NULL) {
		fprintf(stderr, "%s:%d: malformed line\n", CASES_FILE, lineno);
		return 1;
	}
	memset(&r, 0xa5, sizeof r); /* the parser must zero it */
	enum imageref_status st = imageref_parse(input, &r, &why);
	const char *want = l->f[1];
	if (!str_eq(status_name(st), want)) {
		fprintf(stderr, "%s:%d: input \"%s\": status %s (%s), want %s\n",
		        CASES_FILE, lineno, input, status_name(st), show(why),
		        show(want));
		if (st == IMAGEREF_OK)
			imageref_clear(&r);
		return 1;
	}
	/* Validation only (ref NULL) must agree. */
	const char *why2 = NULL;
	if (imageref_parse(input, NULL, &why2) != st || !str_eq(why, why2)) {
		fprintf(stderr, "%s:%d: input \"%s\": ref=NULL disagrees\n",
		        CASES_FILE, lineno, input);
		fails++;
	}
	if (st != IMAGEREF_OK) {
		if (!all_null(&r)) {
			fprintf(stderr, "%s:%d: input \"%s\": ref not zeroed\n",
			        CASES_FILE, lineno, input);
			fails++;
		}
		if (why == NULL) {
			fprintf(stderr, "%s:%d: input \"%s\": no why\n", CASES_FILE,
			        lineno, input);
			fails++;
		}
		if (st == IMAGEREF_INVALID) {
			if (l->n != 3) {
				fprintf(stderr, "%s:%d: INVALID wants a WHY column\n",
				        CASES_FILE, lineno);
				return fails + 1;
			}
			fails += expect_str("why", why, l->f[2], input, lineno);
		}
		return fails;
	}
	if (l->n != 8) {
		fprintf(stderr, "%s:%d: OK wants 8 columns, has %zu\n", CASES_FILE,
		        lineno, l->n);
		imageref_clear(&r);
		return fails + 1;
	}
	fails += expect_str("why", why, NULL, input, lineno);
	fails += expect_str("full", r.full, l->f[2], input, lineno);
	fails += expect_str("domain", r.domain, l->f[3], input, lineno);
	fails += expect_str("path", r.path, l->f[4], input, lineno);
	fails += expect_str("tag", r.tag, l->f[5], input, lineno);
	fails += expect_str("digest", r.digest, l->f[6], input, lineno);
	fails += expect_str("tag_given", r.tag_given ? "yes" : "no", l->f[7],
	                    input, lineno);
	/* name is domain "/" path, or the bare path without a domain. */
	char *name = NULL;
	if (l->f[3] != NULL && l->f[4] != NULL &&
	    asprintf(&name, "%s%s%s", l->f[3], l->f[3][0] ? "/" : "",
	             l->f[4]) < 0)
		name = NULL;
	fails += expect_str("name", r.name, name, input, lineno);
	free(name);
	/* The full form is canonical: it parses back to itself. */
	struct imageref again;
	if (r.full != NULL &&
	    imageref_parse(r.full, &again, NULL) == IMAGEREF_OK) {
		fails += expect_str("re-parsed full", again.full, r.full, input,
		                    lineno);
		fails += expect_str("re-parsed path", again.path, r.path, input,
		                    lineno);
		imageref_clear(&again);
	} else {
		fprintf(stderr, "%s:%d: input \"%s\": full form does not parse\n",
		        CASES_FILE, lineno, input);
		fails++;
	}
	imageref_clear(&r);
	imageref_clear(&r); /* cleared twice is fine */
	return fails;
}

START_TEST(test_cases_table)
{
	FILE *f = open_table(CASES_FILE);
	struct line l = {0};
	int lineno = 0, cases = 0, fails = 0;

	while (next_line(f, CASES_FILE, &lineno, &l)) {
		cases++;
		fails += check_case(&l, lineno);
		line_free(&l);
	}
	fclose(f);
	ck_assert_msg(cases >= 80, "%s: only %d cases", CASES_FILE, cases);
	ck_assert_msg(fails == 0, "%s: %d mismatches (see stderr)", CASES_FILE,
	              fails);
}
END_TEST

START_TEST(test_match_table)
{
	FILE *f = open_table(MATCH_FILE);
	struct line l = {0};
	int lineno = 0, cases = 0, fails = 0;

	while (next_line(f, MATCH_FILE, &lineno, &l)) {
		cases++;
		struct imageref r;
		const char *why = NULL;
		if (l.n != 3 || l.f[0] == NULL || l.f[1] == NULL ||
		    l.f[2] == NULL ||
		    (strcmp(l.f[2], "yes") != 0 && strcmp(l.f[2], "no") != 0)) {
			fprintf(stderr, "%s:%d: malformed line\n", MATCH_FILE, lineno);
			fails++;
		} else if (imageref_parse(l.f[1], &r, &why) != IMAGEREF_OK) {
			fprintf(stderr, "%s:%d: image \"%s\" does not parse: %s\n",
			        MATCH_FILE, lineno, l.f[1], show(why));
			fails++;
		} else {
			bool want = strcmp(l.f[2], "yes") == 0;
			if (imageref_match(&r, l.f[0]) != want) {
				fprintf(stderr, "%s:%d: \"%s\" vs \"%s\" (%s): match %s, "
				                "want %s\n",
				        MATCH_FILE, lineno, l.f[0], l.f[1], r.full,
				        want ? "no" : "yes", l.f[2]);
				fails++;
			}
			imageref_clear(&r);
		}
		line_free(&l);
	}
	fclose(f);
	ck_assert_msg(cases >= 20, "%s: only %d cases", MATCH_FILE, cases);
	ck_assert_msg(fails == 0, "%s: %d mismatches (see stderr)", MATCH_FILE,
	              fails);
}
END_TEST

START_TEST(test_patterns_table)
{
	FILE *f = open_table(PATTERNS_FILE);
	struct line l = {0};
	int lineno = 0, cases = 0, fails = 0;

	while (next_line(f, PATTERNS_FILE, &lineno, &l)) {
		cases++;
		const char *why = "unset";
		bool valid = l.n >= 2 && imageref_pattern_valid(l.f[0], &why);
		if (l.n == 2 && str_eq(l.f[1], "valid")) {
			if (!valid || why != NULL) {
				fprintf(stderr, "%s:%d: \"%s\" rejected: %s\n",
				        PATTERNS_FILE, lineno, show(l.f[0]), show(why));
				fails++;
			}
		} else if (l.n == 3 && str_eq(l.f[1], "invalid")) {
			if (valid || !str_eq(why, l.f[2])) {
				fprintf(stderr, "%s:%d: \"%s\": %s (%s), want invalid "
				                "(%s)\n",
				        PATTERNS_FILE, lineno, show(l.f[0]),
				        valid ? "valid" : "invalid", show(why),
				        show(l.f[2]));
				fails++;
			}
		} else {
			fprintf(stderr, "%s:%d: malformed line\n", PATTERNS_FILE,
			        lineno);
			fails++;
		}
		line_free(&l);
	}
	fclose(f);
	ck_assert_msg(cases >= 20, "%s: only %d cases", PATTERNS_FILE, cases);
	ck_assert_msg(fails == 0, "%s: %d mismatches (see stderr)",
	              PATTERNS_FILE, fails);
}
END_TEST

START_TEST(test_api_edges)
{
	struct imageref r = {0};
	const char *why = NULL;

	imageref_clear(NULL);
	imageref_clear(&r);
	ck_assert(all_null(&r));

	ck_assert_int_eq(imageref_parse(NULL, &r, &why), IMAGEREF_EMPTY);
	ck_assert_ptr_nonnull(why);
	ck_assert(all_null(&r));
	ck_assert_int_eq(imageref_parse("busybox", &r, NULL), IMAGEREF_OK);
	ck_assert_str_eq(r.full, "docker.io/library/busybox:latest");
	/* A second parse into a filled struct must not be asked of callers,
	 * but clearing and reusing it is the normal pattern. */
	imageref_clear(&r);
	ck_assert(all_null(&r));
	why = "unset";
	ck_assert_int_eq(imageref_parse("busybox", &r, &why), IMAGEREF_OK);
	ck_assert_ptr_null(why);

	ck_assert(!imageref_match(NULL, "docker.io"));
	ck_assert(!imageref_match(&r, NULL));
	ck_assert(!imageref_match(&r, ""));
	/* An invalid pattern never matches, even where a prefix would. */
	ck_assert(!imageref_match(&r, "docker.io/library/"));
	ck_assert(imageref_match(&r, "docker.io/library/busybox"));
	imageref_clear(&r);
	ck_assert(!imageref_match(&r, "docker.io"));

	ck_assert(!imageref_pattern_valid(NULL, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert(imageref_pattern_valid("ghcr.io", NULL));
	ck_assert(!imageref_pattern_valid("nginx", NULL));
}
END_TEST

Suite *imageref_suite(void)
{
	Suite *s = suite_create("imageref");
	TCase *tc = tcase_create("imageref");

	tcase_add_test(tc, test_cases_table);
	tcase_add_test(tc, test_match_table);
	tcase_add_test(tc, test_patterns_table);
	tcase_add_test(tc, test_api_edges);
	suite_add_tcase(s, tc);
	return s;
}
