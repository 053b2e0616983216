/* jdoc suite: the in-place fast path must read exactly what jansson reads,
 * refuse exactly what it refuses (with its error text), and be the path
 * the real traffic takes. Every check compares jdoc_load against
 * json_loadb of the same bytes and flags, converted node for node. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "gojson.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BODY_FLAGS (JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES)

/* Loads data both ways and fails unless they agree. Returns whether the
 * fast path read it (false also when jansson refused it). */
static bool agree(const char *data, size_t len, size_t flags, const char *what)
{
	json_error_t ferr, jerr;
	jdoc *d = jdoc_load(data, len, flags, &ferr);
	json_t *tree = json_loadb(data, len, flags, &jerr);

	if (tree == NULL) {
		ck_assert_msg(d == NULL, "%s: jdoc read what jansson refuses (%s)",
		              what, jerr.text);
		ck_assert_msg(strcmp(ferr.text, jerr.text) == 0 &&
		                  ferr.position == jerr.position,
		              "%s: error '%s' at %d, jansson '%s' at %d", what,
		              ferr.text, ferr.position, jerr.text, jerr.position);
		return false;
	}
	ck_assert_msg(d != NULL, "%s: jdoc refused what jansson reads (%s)", what,
	              ferr.text);
	jdoc *ref = jdoc_from_tree(tree);
	ck_assert_ptr_nonnull(ref);
	ck_assert_msg(jv_equal(jdoc_root(d), jdoc_root(ref)),
	              "%s: jdoc and jansson read different values", what);
	bool fast = jdoc_was_fast(d);
	jdoc_free(ref);
	jdoc_free(d);
	return fast;
}

/* A body the fast path must read: loaded, and read fast. */
static jdoc *load_fast(const char *buf, size_t n)
{
	json_error_t err;
	jdoc *d = jdoc_load(buf, n, BODY_FLAGS, &err);
	ck_assert_msg(d != NULL, "%s", err.text);
	ck_assert(jdoc_was_fast(d));
	return d;
}

/* --- a table: each input, the flags, and whether the fast path takes it */

enum { SLOW = 0, FAST = 1 };

/* A literal and its length, NULs included. */
#define L(s) s, sizeof(s) - 1

static const struct {
	const char *json;
	size_t len;
	size_t flags;
	int path;
} cases[] = {
    {L("{}"), 0, FAST},
    {L("[]"), 0, FAST},
    {L(" \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 ] } \n"), 0, FAST},
    {L("{\"a\":true,\"b\":false,\"c\":null,\"d\":\"\"}"), 0, FAST},
    {L("{\"a\":{\"b\":{\"c\":[[],[{}]]}}}"), 0, FAST},
    {L("{\"s\":\"tab\\there \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\"}"), 0, FAST},
    /* Go escapes <, > and & in every string it encodes. */
    {L("{\"RequestUri\":\"/x?a=1\\u0026b=\\u003c\\u003e\"}"), 0, FAST},
    {L("{\"s\":\"\\u0001\\u001F\\u007f\"}"), 0, FAST},
    {L("{\"n\":999999999999999999,\"m\":-999999999999999999}"), 0, FAST},
    {L("{\"a\":1,\"A\":2}"), 0, FAST},
    {L("{\"Privileged\":1,\"privileged\":2,\"x\":3}"), BODY_FLAGS, FAST},
    {L("{\"a\":1} trailing"), JSON_DISABLE_EOF_CHECK, FAST},
    {L("{\"a\":1}{\"a\":2}"), JSON_DISABLE_EOF_CHECK, FAST},
    {L("{\"abcdefghijklmnopqrstuvwxyz0123456789\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ+/==\"}"),
     0, FAST},
    /* Everything else is jansson's: its verdict and its words. */
    {L("{\"a\":1} trailing"), 0, SLOW},
    {L("{\"a\":1,\"a\":2}"), 0, SLOW},
    {L("{\"a\":1,\"a\":2}"), BODY_FLAGS, SLOW},
    {L("{\"a\":{\"k\":1,\"b\":2,\"k\":3}}"), BODY_FLAGS, SLOW},
    {L("{\"a\":1.5}"), 0, SLOW},
    {L("{\"a\":1e3}"), 0, SLOW},
    {L("{\"a\":1E3}"), 0, SLOW},
    {L("{\"a\":1234567890123456789}"), 0, SLOW},
    {L("{\"a\":99999999999999999999999}"), 0, SLOW},
    {L("{\"a\":-}"), 0, SLOW},
    {L("{\"a\":01}"), 0, SLOW},
    {L("{\"a\":+1}"), 0, SLOW},
    {L("{\"a\":1x}"), 0, SLOW},
    {L("{\"a\":tru}"), 0, SLOW},
    {L("{\"a\":truex}"), 0, SLOW},
    {L("{\"a\":nul}"), 0, SLOW},
    {L("{\"a\":\"\\u00e9\"}"), 0, SLOW},
    {L("{\"a\":\"\xc3\xa9\"}"), 0, SLOW},
    {L("{\"a\":\"\xc3\"}"), 0, SLOW},
    {L("{\"a\":\"\xff\"}"), 0, SLOW},
    {L("{\"a\":\"\\u0000\"}"), 0, SLOW},
    {L("{\"a\":\"\\ud800\"}"), 0, SLOW},
    {L("{\"a\":\"\\ud83d\\ude00\"}"), 0, SLOW},
    {L("{\"a\":\"\\x\"}"), 0, SLOW},
    {L("{\"a\":\"\\u12\"}"), 0, SLOW},
    {L("{\"a\":\"\\u12g4\"}"), 0, SLOW},
    {L("{\"a\":\"tab\there\"}"), 0, SLOW},
    {L("{\"a\":\"unterminated"), 0, SLOW},
    {L("{\"a\":1"), 0, SLOW},
    {L("{\"a\":1,}"), 0, SLOW},
    {L("[1,]"), 0, SLOW},
    {L("{\"a\" 1}"), 0, SLOW},
    {L("{a:1}"), 0, SLOW},
    {L("{'a':1}"), 0, SLOW},
    {L("{\"\xc5\xbf" "er\":1,\"User\":2}"), 0, SLOW},
    {L("\"top\""), 0, SLOW},
    {L("1"), 0, SLOW},
    {L("null"), JSON_DECODE_ANY, SLOW},
    {L(""), 0, SLOW},
    {L("   "), 0, SLOW},
    {L("{\"a\":[1,2]]"), 0, SLOW},
    {L("{}\x00"), 0, SLOW},
    {L("{\"a\":1}\x00"), JSON_DISABLE_EOF_CHECK, FAST},
};

START_TEST(test_table)
{
	const char *j = cases[_i].json;
	bool fast = agree(j, cases[_i].len, cases[_i].flags, j);
	ck_assert_msg(fast == (cases[_i].path == FAST), "%s: took the %s path", j,
	              fast ? "fast" : "jansson");
}
END_TEST

/* Nesting: the fast path stops at 64 levels and jansson takes over. */
START_TEST(test_depth)
{
	char buf[2 * 200 + 1];
	for (int depth = 60; depth <= 200; depth += 70) {
		int n = 0;
		for (int i = 0; i < depth; i++)
			buf[n++] = '[';
		for (int i = 0; i < depth; i++)
			buf[n++] = ']';
		buf[n] = '\0';
		ck_assert_int_eq(agree(buf, (size_t)n, 0, "nested arrays"), depth <= 64);
	}
}
END_TEST

/* Objects large enough for the heap-allocated key set, with and without a
 * folded duplicate at the far end. */
START_TEST(test_big_objects)
{
	for (int dup = 0; dup < 2; dup++) {
		size_t cap = 300 * 16 + 64, n = 0;
		char *buf = malloc(cap);
		ck_assert_ptr_nonnull(buf);
		n += (size_t)sprintf(buf + n, "{");
		for (int i = 0; i < 300; i++)
			n += (size_t)sprintf(buf + n, "%s\"key%d\":%d", i ? "," : "", i, i);
		if (dup)
			n += (size_t)sprintf(buf + n, ",\"KEY7\":1");
		n += (size_t)sprintf(buf + n, "}");
		jdoc *d = load_fast(buf, n);
		const jv *root = jdoc_root(d);
		ck_assert_int_eq(root->fold_dup, dup);
		/* Lookups go through the key index, which only an object
		 * without folded duplicates has; both must find every key. */
		ck_assert(dup ? root->u.index == NULL : root->u.index != NULL);
		for (int i = 0; i < 300; i++) {
			char name[16];
			int64_t v = -1;
			snprintf(name, sizeof name, "KEY%d", i);
			enum gojson_status st = gojson_get_int64(root, name, &v);
			ck_assert_int_eq(st, GOJSON_OK);
			ck_assert_int_eq(v, dup && i == 7 ? 1 : i);
		}
		const jv *none;
		ck_assert_int_eq(gojson_get(root, "key300", &none), GOJSON_ABSENT);
		ck_assert_int_eq(gojson_get(root, "key", &none), GOJSON_ABSENT);
		jdoc_free(d);
		ck_assert(agree(buf, n, BODY_FLAGS, "big object"));
		free(buf);
	}
}
END_TEST

/* Keys that fold together hash alike, whether a key is read eight bytes
 * at a time (plain ASCII) or a unit at a time (anything else), at every
 * length around the eight-byte steps. */
START_TEST(test_fold_hash)
{
	char ascii[64], upper[64], odd[256];
	for (size_t n = 0; n < 40; n++) {
		for (size_t i = 0; i < n; i++)
			ascii[i] = (char)("abcdefghijklmnopqrstuvwxyz0123456789_-"[i % 38]);
		ascii[n] = '\0';
		for (size_t i = 0; i <= n; i++)
			upper[i] = (char)(ascii[i] >= 'a' && ascii[i] <= 'z'
			                      ? ascii[i] - 32 : ascii[i]);
		uint64_t h = jdoc_fold_hash(ascii);
		ck_assert(jdoc_fold_hash(upper) == h);
		ck_assert(jdoc_fold_hash_n(ascii, n) == h);
		/* Every 's' and 'k' spelled as U+017F and U+212A. */
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			if (ascii[i] == 's')
				o += (size_t)sprintf(odd + o, "\xc5\xbf");
			else if (ascii[i] == 'k')
				o += (size_t)sprintf(odd + o, "\xe2\x84\xaa");
			else
				odd[o++] = upper[i];
		}
		odd[o] = '\0';
		ck_assert_msg(jdoc_fold_hash(odd) == h, "length %zu", n);
		/* Keys read by the fast path hash as the slow path does
		 * (agree() compares key hashes), and each spelling finds
		 * the field. */
		const char *spellings[] = {ascii, upper, odd};
		for (size_t k = 0; k < 3; k++) {
			char doc[320];
			int len = snprintf(doc, sizeof doc, "{\"%s\":7}", spellings[k]);
			agree(doc, (size_t)len, BODY_FLAGS, "one key");
			json_error_t err;
			jdoc *d = jdoc_load(doc, (size_t)len, BODY_FLAGS, &err);
			ck_assert_ptr_nonnull(d);
			ck_assert(jdoc_root(d)[1].key_hash == h);
			int64_t v = 0;
			if (n > 0) {
				ck_assert_int_eq(gojson_get_int64(jdoc_root(d), ascii, &v),
				                 GOJSON_OK);
				ck_assert_int_eq(v, 7);
			}
			jdoc_free(d);
		}
		/* One more unit is another key. */
		if (n > 0) {
			ascii[n - 1] = '\0';
			ck_assert(jdoc_fold_hash(ascii) != h);
		}
	}
	/* Other non-ASCII bytes are units of their own, never letters. */
	ck_assert(jdoc_fold_hash("caf\xc3\xa9") != jdoc_fold_hash("cafe"));
	ck_assert(jdoc_fold_hash("\xc3\xa9") != jdoc_fold_hash("\xc3\x89"));
}
END_TEST

/* The low bits an object's index uses depend on every byte of a key:
 * keys that differ only in their last byte land in the same one of 128
 * slots about as often as chance would have them (1 in 128), at every
 * length around the eight-byte words, the word's last byte included. */
START_TEST(test_hash_low_bits)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	uint32_t seed = 7;
	for (size_t len = 4; len <= 17; len++) {
		enum { PAIRS = 20000 };
		int same = 0;
		for (int t = 0; t < PAIRS; t++) {
			char a[24] = {0}, b[24] = {0};
			for (size_t i = 0; i < len; i++) {
				seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
				a[i] = cs[seed % 37];
			}
			memcpy(b, a, len);
			do {
				seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
				b[len - 1] = cs[seed % 37];
			} while (b[len - 1] == a[len - 1]);
			same += ((jdoc_fold_hash(a) ^ jdoc_fold_hash(b)) & 127) == 0;
		}
		/* Chance: PAIRS / 128 = 156; a one-multiply finish gave
		 * about 1,900 at lengths 8 and 16. */
		ck_assert_msg(same < PAIRS / 128 * 3 / 2, "length %zu: %d of %d pairs share "
		              "the low 7 bits", len, same, PAIRS);
	}
}
END_TEST

/* A body whose keys were chosen to share the low bits of their hashes
 * (anyone who can call the API can send one) must cost no more than a
 * linear walk: the object gets no index, duplicate marking sorts instead
 * of probing, and every key is still found. */
START_TEST(test_colliding_keys)
{
	enum { KEYS = 600 };
	const size_t mask = jdoc_index_cap(KEYS + 1) - 1;
	char (*keys)[16] = malloc(KEYS * sizeof *keys);
	ck_assert_ptr_nonnull(keys);
	uint64_t target = jdoc_fold_hash("k0") & mask;
	int found = 0;
	for (unsigned i = 0; found < KEYS; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%u", i);
		if ((jdoc_fold_hash(k) & mask) == target)
			memcpy(keys[found++], k, sizeof k);
	}
	for (int dup = 0; dup < 2; dup++) {
		size_t cap = KEYS * 32 + 64, n = 0;
		char *buf = malloc(cap);
		ck_assert_ptr_nonnull(buf);
		n += (size_t)sprintf(buf + n, "{");
		for (int i = 0; i < KEYS; i++)
			n += (size_t)sprintf(buf + n, "%s\"%s\":%d", i ? "," : "",
			                     keys[i], i);
		/* One key more, folding onto the first. */
		if (dup)
			n += (size_t)sprintf(buf + n, ",\"K%s\":-1", keys[0] + 1);
		n += (size_t)sprintf(buf + n, "}");
		jdoc *d = load_fast(buf, n);
		const jv *root = jdoc_root(d);
		ck_assert_int_eq(root->fold_dup, dup);
		ck_assert_ptr_null(root->u.index);
		for (int i = dup; i < KEYS; i++) {
			int64_t v = -2;
			ck_assert_int_eq(gojson_get_int64(root, keys[i], &v), GOJSON_OK);
			ck_assert_int_eq(v, i);
		}
		jdoc_free(d);
		ck_assert(agree(buf, n, BODY_FLAGS, "colliding keys"));
		free(buf);
	}
	free(keys);
}
END_TEST

/* Strings of every length around the one- and two-load steps (16, 32):
 * plain, with an escape or a non-ASCII byte at each position, and cut
 * off before their closing quote at the very end of the input, where
 * the loads read into the zeroed padding. */
START_TEST(test_string_lengths)
{
	/* And long ones, read 32 bytes a step on a CPU with AVX2 (from
	 * 128 bytes on), with the special byte in each step and at each
	 * step's edges. */
	static const size_t longer[] = {127, 128, 129, 159, 160, 161,
	                                191, 192, 193, 250, 300};
	char text[320], doc[720];
	for (size_t t = 0; t <= 40 + sizeof longer / sizeof longer[0]; t++) {
		size_t n = t <= 40 ? t : longer[t - 41];
		for (size_t i = 0; i < n; i++)
			text[i] = (char)('a' + i % 26);
		text[n] = '\0';
		int len = snprintf(doc, sizeof doc, "[\"%s\",\"%s\"]", text, text);
		ck_assert_msg(agree(doc, (size_t)len, 0, doc), "%s: not fast", doc);
		/* Cut off: the text runs to the end of the input. */
		len = snprintf(doc, sizeof doc, "[\"%s", text);
		ck_assert(!agree(doc, (size_t)len, 0, doc));
		len = snprintf(doc, sizeof doc, "{\"%s", text);
		ck_assert(!agree(doc, (size_t)len, 0, doc));
		for (size_t at = 0; at < n; at++) {
			/* An escape at each position, a quote among them:
			 * decoded in place, and the escaped quote does not
			 * end the string. */
			len = snprintf(doc, sizeof doc, "{\"k\":\"%.*s\\n%s\"}",
			               (int)at, text, text + at);
			ck_assert_msg(agree(doc, (size_t)len, 0, doc), "%s: not fast", doc);
			len = snprintf(doc, sizeof doc, "{\"%.*s\\\"%s\":1}",
			               (int)at, text, text + at);
			ck_assert_msg(agree(doc, (size_t)len, 0, doc), "%s: not fast", doc);
			/* A non-ASCII byte at each position: jansson's. */
			len = snprintf(doc, sizeof doc, "{\"k\":\"%.*s\xc3\xa9%s\"}",
			               (int)at, text, text + at);
			ck_assert(!agree(doc, (size_t)len, 0, doc));
			/* A raw control byte (NUL included) at each position:
			 * refused by both, with jansson's error. */
			static const char ctl[] = {'\x01', '\x1f', '\t', '\n', '\0'};
			for (size_t c = 0; c < sizeof ctl; c++) {
				len = snprintf(doc, sizeof doc, "{\"k\":\"%.*sX%s\"}",
				               (int)at, text, text + at);
				doc[7 + at] = ctl[c];
				ck_assert(!agree(doc, (size_t)len, 0, "control byte"));
			}
		}
	}
}
END_TEST

/* The AVX2 step of the string scan takes every whole 32 bytes of plain
 * text, and stops at the step holding a special byte: if it always
 * stopped at once, the 16-byte step would read everything right and only
 * the speed would show it. */
START_TEST(test_avx2_run_takes_its_share)
{
	char text[1024];
	memset(text, 'a', sizeof text);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	bool avx2 = __builtin_cpu_supports("avx2");
#else
	bool avx2 = false;
#endif
	for (size_t len = 0; len <= sizeof text; len += 7)
		ck_assert_uint_eq(jdoc_avx2_run(text, len), avx2 ? len / 32 * 32 : 0);
	static const char special[] = {'"', '\\', '\x1f', '\0', '\n'};
	for (size_t c = 0; c < sizeof special; c++) {
		for (size_t at = 0; at < 200; at += 13) {
			text[at] = special[c];
			ck_assert_uint_eq(jdoc_avx2_run(text, sizeof text),
			                  avx2 ? at / 32 * 32 : 0);
			text[at] = 'a';
		}
	}
}
END_TEST

/* Many indexed objects in one document, so that the index storage grows
 * while later objects are read, and each object still finds its keys.
 * Up to 16 indexed objects are finished from a list of them, more by a
 * walk over every node: counts on both sides of that. */
START_TEST(test_many_indexes)
{
	static const int counts[] = {3, 16, 17, 18, 64};
	for (size_t t = 0; t < sizeof counts / sizeof counts[0]; t++) {
		/* Object 5 has a folded duplicate: no index, found anyway. */
		int objs = counts[t] + (counts[t] > 5);
		size_t cap = 64 * 200, n = 0;
		char *buf = malloc(cap);
		ck_assert_ptr_nonnull(buf);
		n += (size_t)sprintf(buf + n, "[");
		for (int o = 0; o < objs; o++) {
			n += (size_t)sprintf(buf + n, "%s{", o ? "," : "");
			for (int k = 0; k < 9 + o % 5; k++)
				n += (size_t)sprintf(buf + n, "%s\"%s%d\":%d", k ? "," : "",
				                     o == 5 && k == 3 ? "F" : "f", k,
				                     o * 100 + k);
			if (o == 5)
				n += (size_t)sprintf(buf + n, ",\"F2\":1");
			n += (size_t)sprintf(buf + n, "}");
		}
		n += (size_t)sprintf(buf + n, "]");
		jdoc *d = load_fast(buf, n);
		const jv *root = jdoc_root(d), *obj;
		uint32_t o;
		int indexed = 0;
		jv_foreach(root, o, obj)
		{
			ck_assert_int_eq(obj->fold_dup, o == 5);
			ck_assert(o == 5 ? obj->u.index == NULL : obj->u.index != NULL);
			indexed += obj->u.index != NULL;
			for (int k = 0; k < 9 + (int)o % 5; k++) {
				char name[16];
				int64_t v = -1;
				snprintf(name, sizeof name, "F%d", k);
				ck_assert_int_eq(gojson_get_int64(obj, name, &v), GOJSON_OK);
				ck_assert_int_eq(v, o == 5 && k == 2 ? 1
				                                     : (int64_t)o * 100 + k);
			}
		}
		ck_assert_int_eq(indexed, counts[t]);
		jdoc_free(d);
		ck_assert(agree(buf, n, BODY_FLAGS, "many indexed objects"));
		free(buf);
	}
}
END_TEST

/* Documents reuse the arrays of the thread's last ones: a small document
 * after a big one, one that goes to jansson after a fast one, and three
 * alive at once must each read as if loaded alone. */
START_TEST(test_reuse)
{
	char big[4096];
	size_t n = 0;
	n += (size_t)sprintf(big + n, "{\"pad\":\"");
	while (n < sizeof big - 64)
		big[n++] = 'x';
	n += (size_t)sprintf(big + n, "\",\"a\":[1,2,3],\"b\":{\"c\":true}}");
	const char *docs[] = {
	    big, "{\"k\":\"v\"}", "[1,2]", "{\"\\u00e9\":1}",
	    "{\"r\":1.5}",  big,          "{}",    "{\"k\":\"w\"}",
	};
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < N(docs); i++)
			ck_assert(agree(docs[i], strlen(docs[i]), 0, "reuse") ||
			          strchr(docs[i], '.') || strstr(docs[i], "\\u00e9"));
		json_error_t err;
		jdoc *x = jdoc_load(big, strlen(big), 0, &err);
		jdoc *y = jdoc_load("{\"k\":\"v\"}", 9, 0, &err);
		jdoc *z = jdoc_load("{\"k\":\"w\"}", 9, 0, &err);
		ck_assert(x && y && z);
		const char *v;
		ck_assert_int_eq(gojson_get_string(jdoc_root(y), "k", &v), GOJSON_OK);
		ck_assert_str_eq(v, "v");
		ck_assert_int_eq(gojson_get_string(jdoc_root(z), "k", &v), GOJSON_OK);
		ck_assert_str_eq(v, "w");
		ck_assert_int_eq(gojson_get_string(jdoc_root(x), "pad", &v), GOJSON_OK);
		ck_assert_uint_eq(strlen(v), sizeof big - 64 - 8);
		jdoc_free(y);
		jdoc_free(x);
		jdoc_free(z);
	}
}
END_TEST

/* --- the real traffic: every capture's envelope and body go the fast way */

static int is_json(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

START_TEST(test_captures)
{
	const char *dir = "tests/fixtures/captures";
	struct dirent **names;
	int n = scandir(dir, &names, is_json, alphasort);
	ck_assert_msg(n >= 30, "%s: %d captures", dir, n);
	int bodies = 0;
	for (int i = 0; i < n; i++) {
		char path[512];
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		char *data = test_slurp(path, &len);
		ck_assert_msg(agree(data, len, 0, path),
		              "%s: the envelope missed the fast path", path);

		json_error_t err;
		jdoc *d = jdoc_load(data, len, 0, &err);
		const jv *b64 = jv_object_get(jdoc_root(d), "RequestBody");
		if (b64 != NULL && jv_is_string(b64) && b64->size > 0) {
			size_t blen;
			unsigned char *body = base64_decode(b64->u.s, b64->size, &blen);
			ck_assert_ptr_nonnull(body);
			/* Pull, load and build bodies are not JSON at all. */
			if (blen > 0 && (body[0] == '{' || body[0] == '[')) {
				ck_assert_msg(agree((const char *)body, blen, BODY_FLAGS,
				                    path),
				              "%s: the body missed the fast path", path);
				bodies++;
			}
			free(body);
		}
		jdoc_free(d);
		free(data);
		free(names[i]);
	}
	free(names);
	ck_assert_int_ge(bodies, 20);
}
END_TEST

/* --- every body the verdict cases and the fuzz corpora hold ------------ */

START_TEST(test_verdict_bodies)
{
	const char *dir = "tests/verdicts";
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	ck_assert_int_gt(n, 0);
	int bodies = 0;
	for (int i = 0; i < n; i++) {
		char path[512];
		size_t len;
		if (strstr(names[i]->d_name, ".case") == NULL) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		char *data = test_slurp(path, &len);
		for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
			if (strncmp(line, "body: ", 6) != 0)
				continue;
			agree(line + 6, strlen(line + 6), BODY_FLAGS, path);
			bodies++;
		}
		free(data);
		free(names[i]);
	}
	free(names);
	ck_assert_int_ge(bodies, 300);
}
END_TEST

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

START_TEST(test_fuzz_corpora)
{
	static const char *const dirs[] = {"tests/fuzz/corpus/create",
	                                   "tests/fuzz/corpus/authz"};
	int files = 0;
	for (size_t k = 0; k < N(dirs); k++) {
		struct dirent **names;
		int n = scandir(dirs[k], &names, not_dot, alphasort);
		ck_assert_msg(n > 0, "%s: empty", dirs[k]);
		for (int i = 0; i < n; i++) {
			char path[512];
			size_t len;
			snprintf(path, sizeof path, "%s/%s", dirs[k], names[i]->d_name);
			char *data = test_slurp(path, &len);
			agree(data, len, 0, path);
			agree(data, len, BODY_FLAGS, path);
			free(data);
			free(names[i]);
			files++;
		}
		free(names);
	}
	ck_assert_int_ge(files, 10);
}
END_TEST

Suite *jdoc_suite(void)
{
	Suite *s = suite_create("jdoc");
	TCase *tc = tcase_create("jdoc");
	tcase_add_loop_test(tc, test_table, 0, N(cases));
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_big_objects);
	tcase_add_test(tc, test_fold_hash);
	tcase_add_test(tc, test_hash_low_bits);
	tcase_add_test(tc, test_colliding_keys);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_string_lengths);
	tcase_add_test(tc, test_many_indexes);
	tcase_add_test(tc, test_avx2_run_takes_its_share);
	tcase_add_test(tc, test_captures);
	tcase_add_test(tc, test_verdict_bodies);
	tcase_add_test(tc, test_fuzz_corpora);
	suite_add_tcase(s, tc);
	return s;
}
