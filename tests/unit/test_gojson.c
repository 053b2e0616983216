/* gojson suite: object keys matched to field names the way Go's
 * encoding/json does (ASCII case, U+017F and U+212A), collisions refused,
 * and the typed getters refusing what Go would refuse. One table per
 * function; a case is one line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gojson.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a table's JSON text; aborts the test when the table is wrong. */
static jdoc *load(const char *text)
{
	json_error_t err;
	jdoc *j = jdoc_load(text, strlen(text), JSON_DECODE_ANY, &err);
	ck_assert_msg(j != NULL, "bad test JSON '%s': %s", text, err.text);
	return j;
}

/* A value as compact JSON text (a new string). */
static char *dump(const jv *v)
{
	json_t *j = test_jv_json(v);
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	ck_assert_ptr_nonnull(s);
	return s;
}

static const char *status_name(enum gojson_status st)
{
	switch (st) {
	case GOJSON_OK:
		return "OK";
	case GOJSON_ABSENT:
		return "ABSENT";
	case GOJSON_AMBIGUOUS:
		return "AMBIGUOUS";
	case GOJSON_BADTYPE:
		return "BADTYPE";
	}
	return "?";
}

#define ck_assert_status(got, want, what)                                     \
	ck_assert_msg((got) == (want), "%s: got %s, want %s", (what),         \
	              status_name(got), status_name(want))

/* --- gojson_fold ------------------------------------------------------- */

static const struct {
	const char *in, *out;
} fold_cases[] = {
    {"", ""},
    {"HostConfig", "hostconfig"},
    {"HOSTCONFIG", "hostconfig"},
    {"hostconfig", "hostconfig"},
    {"A_b-1.Z", "a_b-1.z"},
    {"@[`{", "@[`{"},                       /* neighbours of the letters */
    {"Ho\xc5\xbftconfig", "hostconfig"},    /* U+017F LATIN SMALL LONG S */
    {"\xc5\xbf\xc5\xbf", "ss"},
    {"\xe2\x84\xaa" "ey", "key"},           /* U+212A KELVIN SIGN */
    {"\xe2\x84\xaa\xe2\x84\xaa", "kk"},
    {"\xe2\x84\xab", "\xe2\x84\xab"},       /* U+212B ANGSTROM SIGN: kept */
    {"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"}, /* é kept */
    {"\xc3\x89T\xc3\x89", "\xc3\x89t\xc3\x89"}, /* É kept (only ASCII lowered) */
    {"\xc4\xb1", "\xc4\xb1"},               /* U+0131 dotless i: kept */
    {"\xc4\xb0", "\xc4\xb0"},               /* U+0130 I with dot: kept */
    {"\xc5\xbe", "\xc5\xbe"},               /* U+017E shares a lead byte */
    {"\xc5", "\xc5"},                       /* truncated sequences */
    {"a\xe2\x84", "a\xe2\x84"},
    {"\xe2", "\xe2"},
};

START_TEST(test_fold)
{
	char *f = gojson_fold(fold_cases[_i].in);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f, fold_cases[_i].out);
	free(f);
}
END_TEST

/* --- gojson_get -------------------------------------------------------- */

static const struct {
	const char *json, *name;
	enum gojson_status st;
	const char *value; /* compact JSON of the value found, when OK */
} get_cases[] = {
    {"{\"hostconfig\":1}", "HostConfig", GOJSON_OK, "1"},
    {"{\"HOSTCONFIG\":1}", "HostConfig", GOJSON_OK, "1"},
    {"{\"HostConfig\":1}", "HostConfig", GOJSON_OK, "1"},
    {"{\"Ho\xc5\xbftconfig\":1}", "HostConfig", GOJSON_OK, "1"},
    {"{\"Ho\\u017ftconfig\":2}", "HostConfig", GOJSON_OK, "2"},
    {"{\"\\u212Aey\":3}", "Key", GOJSON_OK, "3"},
    {"{\"\\u212aEY\":3}", "key", GOJSON_OK, "3"},
    {"{\"HOST\\u0043ONFIG\":4}", "HostConfig", GOJSON_OK, "4"},
    {"{\"a\":1,\"hostconfig\":{\"x\":[]},\"b\":2}", "HostConfig", GOJSON_OK,
     "{\"x\":[]}"},
    {"{\"s\":\"v\"}", "S", GOJSON_OK, "\"v\""},
    {"{\"s\":false}", "s", GOJSON_OK, "false"},
    /* Go lets the last of two folding keys win. */
    {"{\"user\":\"a\",\"User\":\"b\"}", "User", GOJSON_OK, "\"b\""},
    {"{\"User\":\"b\",\"user\":\"a\"}", "User", GOJSON_OK, "\"a\""},
    /* null is a field left zero. */
    {"{\"HostConfig\":null}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"HostConfigX\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"HostConfi\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"Host_Config\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"HostConf\\u0131g\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"H\\u00f6stConfig\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"Ho\\u017f\":1}", "HostConfig", GOJSON_ABSENT, NULL},
    {"{\"x\":{\"HostConfig\":1}}", "HostConfig", GOJSON_ABSENT, NULL},
    /* Not an object at all. */
    {"[]", "HostConfig", GOJSON_BADTYPE, NULL},
    {"\"HostConfig\"", "HostConfig", GOJSON_BADTYPE, NULL},
    {"null", "HostConfig", GOJSON_BADTYPE, NULL},
};

START_TEST(test_get)
{
	jdoc *doc = load(get_cases[_i].json);
	const jv *obj = jdoc_root(doc);
	const jv *sentinel = obj; /* never a value of itself */
	const jv *v = sentinel;
	enum gojson_status st = gojson_get(obj, get_cases[_i].name, &v);

	ck_assert_status(st, get_cases[_i].st, get_cases[_i].json);
	if (st == GOJSON_OK) {
		char *d = dump(v);
		ck_assert_str_eq(d, get_cases[_i].value);
		free(d);
	} else {
		/* Callers rely on their default staying in place. */
		ck_assert_ptr_eq(v, sentinel);
	}
	jdoc_free(doc);
}
END_TEST

/* --- gojson_unambiguous ------------------------------------------------ */

static const struct {
	const char *json;
	bool ok;
	const char *dup1, *dup2; /* either may be reported */
} unambiguous_cases[] = {
    {"{}", true, NULL, NULL},
    {"{\"User\":1}", true, NULL, NULL},
    {"{\"User\":1,\"Image\":2}", true, NULL, NULL},
    {"{\"User\":1,\"user\":2}", false, "User", "user"},
    {"{\"user\":1,\"USER\":2}", false, "user", "USER"},
    {"{\"HostConfig\":{},\"ho\\u017ftconfig\":{}}", false, "HostConfig",
     "ho\xc5\xbftconfig"},
    {"{\"Kind\":1,\"\\u212Aind\":2}", false, "Kind", "\xe2\x84\xaaind"},
    {"{\"ss\":1,\"\\u017f\\u017f\":2}", false, "ss", "\xc5\xbf\xc5\xbf"},
    {"{\"a\":1,\"User\":2,\"b\":3,\"c\":4,\"uSeR\":5,\"d\":6}", false, "User",
     "uSeR"},
    {"{\"z\":1,\"y\":2,\"x\":3,\"Z\":4}", false, "z", "Z"},
    /* Collisions inside a nested object are its reader's business. */
    {"{\"a\":{\"b\":1,\"B\":2}}", true, NULL, NULL},
    /* Only the two ASCII-folding runes count; other bytes are kept. */
    {"{\"\\u00e9\":1,\"\\u00c9\":2}", true, NULL, NULL},
    {"{\"k\":1,\"\\u212B\":2}", true, NULL, NULL},
    {"{\"User\":1,\"Users\":2,\"Use\":3}", true, NULL, NULL},
};

START_TEST(test_unambiguous)
{
	jdoc *doc = load(unambiguous_cases[_i].json);
	const jv *obj = jdoc_root(doc);
	const char *dup = NULL;
	bool ok = gojson_unambiguous(obj, &dup);

	ck_assert_msg(ok == unambiguous_cases[_i].ok, "%s: got %d",
	              unambiguous_cases[_i].json, ok);
	if (!ok) {
		ck_assert_ptr_nonnull(dup);
		ck_assert_msg(strcmp(dup, unambiguous_cases[_i].dup1) == 0 ||
		                  strcmp(dup, unambiguous_cases[_i].dup2) == 0,
		              "%s: reported '%s'", unambiguous_cases[_i].json,
		              dup);
		/* Borrowed from obj: the key itself, not a copy. */
		ck_assert_ptr_nonnull(jv_object_get(obj, dup));
	}
	jdoc_free(doc);
}
END_TEST

/* --- typed getters ----------------------------------------------------- */

enum getter { G_STRING, G_BOOL, G_INT64, G_OBJECT };

static const struct {
	enum getter g;
	const char *json;
	enum gojson_status st;
	const char *s; /* G_STRING value, G_OBJECT compact dump */
	int64_t i;     /* G_INT64 value, G_BOOL 0/1 */
} typed_cases[] = {
    {G_INT64, "{\"n\":1}", GOJSON_OK, NULL, 1},
    {G_INT64, "{\"N\":-7}", GOJSON_OK, NULL, -7},
    {G_INT64, "{\"n\":-0}", GOJSON_OK, NULL, 0},
    {G_INT64, "{\"n\":9223372036854775807}", GOJSON_OK, NULL, INT64_MAX},
    {G_INT64, "{\"n\":-9223372036854775808}", GOJSON_OK, NULL, INT64_MIN},
    {G_INT64, "{\"n\":1.5}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":1e3}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":1E3}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":1.0}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":-0.0}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":\"1\"}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":true}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":[1]}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":{}}", GOJSON_BADTYPE, NULL, 0},
    {G_INT64, "{\"n\":null}", GOJSON_ABSENT, NULL, 0},
    {G_INT64, "{\"m\":1}", GOJSON_ABSENT, NULL, 0},
    {G_STRING, "{\"n\":\"x\"}", GOJSON_OK, "x", 0},
    {G_STRING, "{\"N\":\"\"}", GOJSON_OK, "", 0},
    {G_STRING, "{\"n\":\"\\u00e9\"}", GOJSON_OK, "\xc3\xa9", 0},
    {G_STRING, "{\"n\":1}", GOJSON_BADTYPE, NULL, 0},
    {G_STRING, "{\"n\":0}", GOJSON_BADTYPE, NULL, 0},
    {G_STRING, "{\"n\":false}", GOJSON_BADTYPE, NULL, 0},
    {G_STRING, "{\"n\":[\"x\"]}", GOJSON_BADTYPE, NULL, 0},
    {G_STRING, "{\"n\":{}}", GOJSON_BADTYPE, NULL, 0},
    {G_STRING, "{\"n\":null}", GOJSON_ABSENT, NULL, 0},
    {G_BOOL, "{\"n\":true}", GOJSON_OK, NULL, 1},
    {G_BOOL, "{\"N\":false}", GOJSON_OK, NULL, 0},
    {G_BOOL, "{\"n\":\"true\"}", GOJSON_BADTYPE, NULL, 0},
    {G_BOOL, "{\"n\":1}", GOJSON_BADTYPE, NULL, 0},
    {G_BOOL, "{\"n\":0}", GOJSON_BADTYPE, NULL, 0},
    {G_BOOL, "{\"n\":[]}", GOJSON_BADTYPE, NULL, 0},
    {G_BOOL, "{\"n\":null}", GOJSON_ABSENT, NULL, 0},
    {G_OBJECT, "{\"n\":{}}", GOJSON_OK, "{}", 0},
    {G_OBJECT, "{\"N\":{\"a\":1,\"b\":2}}", GOJSON_OK, "{\"a\":1,\"b\":2}", 0},
    {G_OBJECT, "{\"n\":{\"a\":1,\"A\":2}}", GOJSON_AMBIGUOUS, NULL, 0},
    {G_OBJECT, "{\"n\":{\"\\u212a\":1,\"K\":2}}", GOJSON_AMBIGUOUS, NULL, 0},
    {G_OBJECT, "{\"n\":{\"a\":{\"b\":1,\"B\":2}}}", GOJSON_OK,
     "{\"a\":{\"b\":1,\"B\":2}}", 0},
    {G_OBJECT, "{\"n\":[]}", GOJSON_BADTYPE, NULL, 0},
    {G_OBJECT, "{\"n\":\"x\"}", GOJSON_BADTYPE, NULL, 0},
    {G_OBJECT, "{\"n\":1}", GOJSON_BADTYPE, NULL, 0},
    {G_OBJECT, "{\"n\":null}", GOJSON_ABSENT, NULL, 0},
};

START_TEST(test_typed)
{
	jdoc *doc = load(typed_cases[_i].json);
	const jv *obj = jdoc_root(doc);
	enum gojson_status st = GOJSON_OK;
	const char *what = typed_cases[_i].json;

	/* Each output starts at a sentinel that must survive anything but OK,
	 * since callers preset their defaults there. */
	switch (typed_cases[_i].g) {
	case G_STRING: {
		const char *sentinel = "sentinel", *s = sentinel;
		st = gojson_get_string(obj, "n", &s);
		ck_assert_status(st, typed_cases[_i].st, what);
		if (st == GOJSON_OK)
			ck_assert_str_eq(s, typed_cases[_i].s);
		else
			ck_assert_ptr_eq(s, sentinel);
		break;
	}
	case G_BOOL: {
		/* Preset to the opposite so a stray write shows. */
		bool b = typed_cases[_i].st == GOJSON_OK ? !typed_cases[_i].i : true;
		st = gojson_get_bool(obj, "n", &b);
		ck_assert_status(st, typed_cases[_i].st, what);
		ck_assert_int_eq(b, st == GOJSON_OK ? typed_cases[_i].i != 0 : true);
		break;
	}
	case G_INT64: {
		int64_t i = 424242;
		st = gojson_get_int64(obj, "n", &i);
		ck_assert_status(st, typed_cases[_i].st, what);
		ck_assert_int_eq(i, st == GOJSON_OK ? typed_cases[_i].i : 424242);
		break;
	}
	case G_OBJECT: {
		const jv *sentinel = obj, *o = sentinel;
		st = gojson_get_object(obj, "n", &o);
		ck_assert_status(st, typed_cases[_i].st, what);
		if (st == GOJSON_OK) {
			char *d = dump(o);
			ck_assert_str_eq(d, typed_cases[_i].s);
			free(d);
		} else {
			ck_assert_ptr_eq(o, sentinel);
		}
		break;
	}
	}
	jdoc_free(doc);
}
END_TEST

/* --- tests/gojson/fold.txt: the differential table ---------------------- */

/* Decodes "<empty>" and \xHH escapes of a table field into a new string. */
static char *table_field(const char *raw)
{
	if (strcmp(raw, "<empty>") == 0)
		return strdup("");
	char *out = malloc(strlen(raw) + 1), *o = out;
	ck_assert_ptr_nonnull(out);
	for (const char *p = raw; *p; p++) {
		unsigned v;
		if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1) {
			*o++ = (char)v;
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* Every row: gojson_get finds the key's value under the field name exactly
 * when Go would, and an object holding both spellings is ambiguous exactly
 * then (when they are two distinct keys). */
START_TEST(test_fold_table)
{
	const char *file = "tests/gojson/fold.txt";
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rows = 0;

	ck_assert_msg(f != NULL, "%s: cannot open", file);
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		char *save = NULL;
		char *k = strtok_r(line, "\t", &save);
		char *fname = strtok_r(NULL, "\t", &save);
		char *want = strtok_r(NULL, "\t", &save);
		ck_assert_msg(k && fname && want &&
		                  (!strcmp(want, "yes") || !strcmp(want, "no")),
		              "%s:%d: expected KEY<TAB>FIELD<TAB>yes|no", file, lineno);
		char *key = table_field(k), *field = table_field(fname);
		bool yes = strcmp(want, "yes") == 0;

		json_t *tree = json_object();
		const jv *got = NULL;
		/* The table holds bytes jansson would refuse from the wire; the
		 * matcher must still say no to them. */
		json_object_setn_new_nocheck(tree, key, strlen(key), json_integer(7));
		jdoc *doc = jdoc_from_tree(json_incref(tree));
		ck_assert_ptr_nonnull(doc);
		enum gojson_status st = gojson_get(jdoc_root(doc), field, &got);
		ck_assert_msg(yes ? (st == GOJSON_OK && got->u.i == 7)
		                  : st == GOJSON_ABSENT,
		              "%s:%d: key '%s' field '%s': got %s, want %s", file,
		              lineno, key, field, status_name(st), want);
		if (strcmp(key, field) != 0) {
			const char *dup = NULL;
			json_object_setn_new_nocheck(tree, field, strlen(field),
			                             json_integer(8));
			jdoc *two = jdoc_from_tree(json_incref(tree));
			ck_assert_ptr_nonnull(two);
			ck_assert_msg(gojson_unambiguous(jdoc_root(two), &dup) == !yes,
			              "%s:%d: {'%s','%s'} ambiguous should be %s", file,
			              lineno, key, field, want);
			jdoc_free(two);
		}
		jdoc_free(doc);
		json_decref(tree);
		free(key);
		free(field);
		rows++;
	}
	free(line);
	fclose(f);
	ck_assert_int_ge(rows, 50);
}
END_TEST

/* Names are looked up by a per-thread cache keyed by address: one buffer
 * that holds name after name (each in a big and a small object, indexed
 * and walked) must find each one's own field, including names too long
 * for the cache and a name that differs from the last only past its
 * first bytes. */
START_TEST(test_name_buffer)
{
	jdoc *big = load("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,"
	                 "\"g\":7,\"h\":8,\"Memory\":9,\"MemorySwap\":10,"
	                 "\"AVeryLongFieldNameOfMoreThanThirtyTwoBytes\":11}");
	jdoc *small = load("{\"Memory\":9,\"MemorySwap\":10,"
	                   "\"AVeryLongFieldNameOfMoreThanThirtyTwoBytes\":11}");
	ck_assert_ptr_nonnull(jdoc_root(big)->u.index);
	ck_assert_ptr_null(jdoc_root(small)->u.index);
	static const struct {
		const char *name;
		int64_t want; /* 0: absent */
	} seq[] = {
	    {"Memory", 9},      {"MemorySwap", 10}, {"memory", 9},
	    {"MemorySwapX", 0}, {"Memory", 9},      {"b", 2},
	    {"AVeryLongFieldNameOfMoreThanThirtyTwoBytes", 11},
	    {"AVeryLongFieldNameOfMoreThanThirtyTwoBytez", 0},
	    {"h", 8},           {"MemorySwap", 10},
	};
	char buf[64];
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < N(seq); i++) {
			snprintf(buf, sizeof buf, "%s", seq[i].name);
			const jv *roots[] = {jdoc_root(big), jdoc_root(small)};
			for (size_t r = 0; r < 2; r++) {
				int64_t v = 0;
				enum gojson_status st = gojson_get_int64(roots[r], buf, &v);
				bool in_small = seq[i].want >= 9;
				int64_t want = r == 0 || in_small ? seq[i].want : 0;
				ck_assert_msg(st == (want ? GOJSON_OK : GOJSON_ABSENT) && v == want,
				              "%s in object %zu: %s %lld", buf, r,
				              status_name(st), (long long)v);
			}
		}
	}
	jdoc_free(big);
	jdoc_free(small);
}
END_TEST

Suite *gojson_suite(void)
{
	Suite *s = suite_create("gojson");
	TCase *tc = tcase_create("fold");
	tcase_add_loop_test(tc, test_fold, 0, (int)N(fold_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("get");
	tcase_add_loop_test(tc, test_get, 0, (int)N(get_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("unambiguous");
	tcase_add_loop_test(tc, test_unambiguous, 0, (int)N(unambiguous_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("fold-table");
	tcase_add_test(tc, test_fold_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("name-buffer");
	tcase_add_test(tc, test_name_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("typed");
	tcase_add_loop_test(tc, test_typed, 0, (int)N(typed_cases));
	suite_add_tcase(s, tc);
	return s;
}
