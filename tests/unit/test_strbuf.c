/* strbuf suite: the decision path's own formatting and scanning must give
 * exactly what the libc routines and the byte-at-a-time definitions give:
 * strbuf_addf's fast path against snprintf, the SSE2 scans against plain
 * loops, on lengths either side of every 16-byte step. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "strbuf.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* sb's text, checked against what snprintf makes of the same call. */
#define CHECK_ADDF(...)                                                        \
	do {                                                                   \
		char want[512];                                                \
		struct strbuf sb = STRBUF_INIT;                                \
		strbuf_adds(&sb, "<");                                         \
		strbuf_addf(&sb, __VA_ARGS__);                                 \
		snprintf(want, sizeof want, "<" __VA_ARGS__);                  \
		char *got = strbuf_detach(&sb);                                \
		ck_assert_ptr_nonnull(got);                                    \
		ck_assert_str_eq(got, want);                                   \
		free(got);                                                     \
	} while (0)

START_TEST(test_addf_matches_snprintf)
{
	static const long long ll[] = {0, 1, -1, 9, 10, -10, 1234567890123LL,
	                               LLONG_MAX, LLONG_MIN};
	for (size_t i = 0; i < N(ll); i++) {
		CHECK_ADDF("%lld|%d|%ld", ll[i], (int)ll[i], (long)ll[i]);
		CHECK_ADDF("x=%llu y=%u z=%lu w=%zu", (unsigned long long)ll[i],
		           (unsigned)ll[i], (unsigned long)ll[i], (size_t)ll[i]);
		CHECK_ADDF("%zd", (ssize_t)ll[i]);
	}
	CHECK_ADDF("%s and %s", "one", "");
	CHECK_ADDF("100%% of %s", "it");
	CHECK_ADDF("no conversions at all");
	CHECK_ADDF("%s", "");
	CHECK_ADDF("%d%s%d", INT_MIN, "-", INT_MAX);
	/* The rest is vsnprintf's: flags, widths, precisions, hex, chars. */
	CHECK_ADDF("\\u%04X|%02x|%03ld|%.*s|%c|%5s|%-3d|", 0x1fu, 7u, 5L, 3,
	           "abcdef", 'q', "ab", 4);
	/* Longer than the 256-byte stack buffer, through both paths. */
	char longs[400];
	memset(longs, 'a', sizeof longs - 1);
	longs[sizeof longs - 1] = '\0';
	CHECK_ADDF("%s:%d", longs, 42);
	CHECK_ADDF("%s:%x", longs, 42u);
}
END_TEST

static size_t ref_plain(const char *s, size_t n, bool del)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || (del && c == 0x7f))
			break;
		i++;
	}
	return i;
}

static bool ref_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq_len(p);
		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

/* Random text over an alphabet of the bytes that matter, at every length
 * to 80 and every position of the byte that ends a run. */
/* strbuf_add_int against "%lld": the ends of the range, every power of
 * ten and its neighbours, both signs, appended after text. */
START_TEST(test_add_int_matches_snprintf)
{
	long long v[4 + 19 * 6];
	size_t n = 0;
	v[n++] = 0;
	v[n++] = LLONG_MAX;
	v[n++] = LLONG_MIN;
	v[n++] = LLONG_MIN + 1;
	for (long long p = 1; n + 6 <= N(v); p *= 10) {
		v[n++] = p - 1;
		v[n++] = p;
		v[n++] = p + 1;
		v[n++] = -(p - 1);
		v[n++] = -p;
		v[n++] = -(p + 1);
		if (p > LLONG_MAX / 10)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		char want[48];
		strbuf_adds(&sb, "x=");
		strbuf_add_int(&sb, v[i]);
		snprintf(want, sizeof want, "x=%lld", v[i]);
		ck_assert_str_eq(sb.buf, want);
		ck_assert_uint_eq(sb.len, strlen(want));
		strbuf_release(&sb);
	}
}
END_TEST

START_TEST(test_scans_match_bytewise)
{
	static const unsigned char alpha[] = {
	    'a', 'Z', ' ', '~', '"', '\\', 0x01, 0x1f, 0x20, 0x7f, 0x80, 0xbf,
	    0xc2, 0xc5, 0xe2, 0xed, 0xf0, 0xf4, 0xff, 0x84, 0xaa, 0x9f,
	};
	char buf[96];
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 81);
		/* Mostly plain letters, so long runs happen. */
		test_random_text(buf, n, alpha, N(alpha), 64, &seed);
		for (int del = 0; del < 2; del++)
			ck_assert_uint_eq(json_plain_prefix(buf, n, del),
			                  ref_plain(buf, n, del));
		ck_assert_int_eq(utf8_valid(buf, n), ref_utf8(buf));
	}
	/* A truncated sequence at the very end, after a plain block. */
	strcpy(buf, "0123456789abcdef\xe2\x84");
	ck_assert(!utf8_valid(buf, strlen(buf)));
	strcpy(buf, "0123456789abcdef\xe2\x84\xaa");
	ck_assert(utf8_valid(buf, strlen(buf)));
}
END_TEST

START_TEST(test_add_escaped)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_escaped(&sb, "plain text that is longer than sixteen bytes");
	strbuf_add_escaped(&sb, "|q\"b\\n\nr\rt\tc\x01\x1f" "d\x7f" "e\xc3\xa9|");
	char *s = strbuf_detach(&sb);
	ck_assert_str_eq(s, "plain text that is longer than sixteen bytes"
	                    "|q\\\"b\\\\n\\nr\\rt\\tc\\x01\\x1fd\\x7fe\xc3\xa9|");
	free(s);
}
END_TEST

/* strbuf_add_escaped byte by byte, as the log format defines it. */
static void ref_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[5];
		if (c == '"' || c == '\\')
			snprintf(e, sizeof e, "\\%c", c);
		else if (c == '\n')
			snprintf(e, sizeof e, "\\n");
		else if (c == '\r')
			snprintf(e, sizeof e, "\\r");
		else if (c == '\t')
			snprintf(e, sizeof e, "\\t");
		else if (c < 0x20 || c == 0x7f)
			snprintf(e, sizeof e, "\\x%02x", c);
		else
			snprintf(e, sizeof e, "%c", c);
		strbuf_adds(sb, e);
	}
}

/* Random values of every length to 80 (the short path below 16 bytes,
 * the vector scan above), appended after text already in the buffer. */
START_TEST(test_escaped_matches_bytewise)
{
	static const unsigned char alpha[] = {'"', '\\', '\n', '\r', '\t', 0x01,
	                                      0x1f, 0x7f, 0x80, 0xc3, 0xa9, ' '};
	char buf[96];
	unsigned seed = 777;
	for (int round = 0; round < 5000; round++) {
		size_t n = (size_t)(round % 81);
		test_random_text(buf, n, alpha, N(alpha), 48, &seed);
		struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
		strbuf_adds(&got, "key=");
		strbuf_adds(&want, "key=");
		strbuf_add_escaped(&got, buf);
		ref_escape(&want, buf);
		ck_assert_uint_eq(got.len, want.len);
		ck_assert_str_eq(got.buf, want.buf);
		strbuf_release(&got);
		strbuf_release(&want);
	}
}
END_TEST

static void *other_thread(void *arg)
{
	size_t cap;
	(void)arg;
	void *p = bufpool_get(1, &cap);
	if (p == NULL)
		p = bufpool_get_exact(48);
	bufpool_put(malloc(256), 256);
	bufpool_put_exact(malloc(48), 48);
	return p;
}

/* A thread gets back the buffers it put, the smallest that fits first;
 * too large ones and those past the slots are freed (valgrind and LSan
 * would see any that were lost). */
START_TEST(test_bufpool)
{
	size_t cap = 0;
	if (!bufpool_active()) {
		void *p = malloc(100);
		bufpool_put(p, 100);
		ck_assert_ptr_null(bufpool_get(1, &cap));
		return;
	}
	/* Empty what earlier tests left. */
	void *old;
	while ((old = bufpool_get(0, &cap)) != NULL)
		free(old);
	ck_assert_ptr_null(bufpool_get(1, &cap));
	char *small = malloc(1000), *mid = malloc(5000);
	ck_assert(small && mid);
	bufpool_put(mid, 5000);
	bufpool_put(small, 1000);
	ck_assert_ptr_eq(bufpool_get(900, &cap), small);
	ck_assert_uint_eq(cap, 1000);
	ck_assert_ptr_null(bufpool_get(6000, &cap));
	ck_assert_ptr_eq(bufpool_get(1001, &cap), mid);
	ck_assert_uint_eq(cap, 5000);
	free(small);
	free(mid);
	/* Larger than BUFPOOL_MAX: freed, not kept. */
	bufpool_put(malloc(BUFPOOL_MAX + 1), BUFPOOL_MAX + 1);
	ck_assert_ptr_null(bufpool_get(1, &cap));
	/* More than the slots: the rest are freed; what comes back is
	 * what was kept, each once. */
	void *kept[16];
	for (int i = 0; i < 16; i++)
		bufpool_put(malloc(64), 64);
	int n = 0;
	while (n < 16 && (kept[n] = bufpool_get(64, &cap)) != NULL)
		n++;
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, 16);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			ck_assert_ptr_ne(kept[i], kept[j]);
		free(kept[i]);
	}
	/* Exact slots: only the same size comes back, each object once,
	 * and past the slots the oldest are freed (so these eight take
	 * every slot, whatever earlier tests left there). */
	while ((old = bufpool_get_exact(48)) != NULL)
		free(old);
	void *e[8];
	for (int i = 0; i < 8; i++) {
		e[i] = malloc(48);
		ck_assert_ptr_nonnull(e[i]);
	}
	for (int i = 0; i < 8; i++)
		bufpool_put_exact(e[i], 48);
	bufpool_put_exact(NULL, 48);
	ck_assert_ptr_null(bufpool_get_exact(47));
	ck_assert_ptr_null(bufpool_get(1, &cap)); /* not among the big ones */
	int nback = 0;
	void *back[8];
	while (nback < 8 && (back[nback] = bufpool_get_exact(48)) != NULL) {
		for (int j = 0; j < nback; j++)
			ck_assert_ptr_ne(back[nback], back[j]);
		nback++;
	}
	ck_assert_int_eq(nback, 6);
	for (int i = 0; i < nback; i++)
		free(back[i]);
	/* A kept object comes back cleared from bufpool_calloc_exact. */
	unsigned char *dirty = malloc(48);
	ck_assert_ptr_nonnull(dirty);
	memset(dirty, 0xab, 48);
	bufpool_put_exact(dirty, 48);
	unsigned char *clean = bufpool_calloc_exact(48);
	ck_assert_ptr_eq(clean, dirty);
	for (int i = 0; i < 48; i++)
		ck_assert_uint_eq(clean[i], 0);
	free(clean);
	bufpool_put_exact(malloc(48), 48); /* left for the thread's end */
	/* Another thread has a pool of its own, freed when it ends (valgrind
	 * reports the buffer it put if the key's destructor did not run). */
	bufpool_put(malloc(128), 128);
	pthread_t t;
	void *got = (void *)1;
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &got), 0);
	ck_assert_ptr_null(got);
	void *mine = bufpool_get(128, &cap);
	ck_assert_ptr_nonnull(mine);
	free(mine);
}
END_TEST

Suite *strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");
	tcase_add_test(tc, test_addf_matches_snprintf);
	tcase_add_test(tc, test_add_int_matches_snprintf);
	tcase_add_test(tc, test_scans_match_bytewise);
	tcase_add_test(tc, test_add_escaped);
	tcase_add_test(tc, test_escaped_matches_bytewise);
	tcase_add_test(tc, test_bufpool);
	suite_add_tcase(s, tc);
	return s;
}
