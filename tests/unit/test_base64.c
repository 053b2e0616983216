/* base64 suite: Go's encoding/base64.StdEncoding as encoding/json uses it for
 * []byte fields (RequestBody). Every table row is one case; adding a vector
 * is adding a line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Input that decodes. len 0 means strlen(in); out holds outlen bytes. */
/* base64_decode, checked against base64_decode_inplace on a copy: both
 * must accept or refuse alike and give the same bytes, NUL after them.
 * Returns base64_decode's result. */
static unsigned char *decode_both(const char *in, size_t len, size_t *outlen)
{
	unsigned char *out = base64_decode(in, len, outlen);
	char *copy = malloc(len + 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, in, len);
	copy[len] = 'X';
	size_t n = 12345;
	bool ok = base64_decode_inplace(copy, len, &n);
	ck_assert_msg(ok == (out != NULL), "in place %s what the copy %s",
	              ok ? "accepted" : "refused", out ? "accepted" : "refused");
	if (ok) {
		ck_assert_uint_eq(n, *outlen);
		ck_assert_mem_eq(copy, out, n);
		ck_assert_int_eq(copy[n], '\0');
	}
	free(copy);
	return out;
}

static const struct {
	const char *in;
	const char *out;
	size_t outlen;
} decode_ok[] = {
    /* RFC 4648 section 10. */
    {"", "", 0},
    {"Zg==", "f", 1},
    {"Zm8=", "fo", 2},
    {"Zm9v", "foo", 3},
    {"Zm9vYg==", "foob", 4},
    {"Zm9vYmE=", "fooba", 5},
    {"Zm9vYmFy", "foobar", 6},
    /* The whole alphabet, and bytes that are not text. */
    {"AA==", "\0", 1},
    {"AAAA", "\0\0\0", 3},
    {"AAE=", "\0\1", 2},
    {"////", "\xff\xff\xff", 3},
    {"++++", "\xfb\xef\xbe", 3},
    {"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx"
     "MjM0NTY3ODkrLw==",
     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64},
    /* Go skips '\r' and '\n' anywhere, even inside the padding. */
    {"Zm9v\r\nYmFy", "foobar", 6},
    {"\nZm9v\n", "foo", 3},
    {"Z\rm\n9\r\nv", "foo", 3},
    {"Zg=\r\n=", "f", 1},
    {"Zm8=\n", "fo", 2},
    {"\r\n\r\n", "", 0},
    /* Non-strict StdEncoding: bits left over after the last byte may be
     * anything. */
    {"Zh==", "f", 1},
    {"Zv==", "f", 1},
    {"Zm9=", "fo", 2},
    {"Zm/=", "fo", 2},
};

START_TEST(test_decode_ok)
{
	const char *in = decode_ok[_i].in;
	size_t outlen = 12345;
	unsigned char *out = decode_both(in, strlen(in), &outlen);

	ck_assert_msg(out != NULL, "'%s' did not decode", in);
	ck_assert_uint_eq(outlen, decode_ok[_i].outlen);
	ck_assert_mem_eq(out, decode_ok[_i].out, outlen);
	/* Promised NUL terminator past the data. */
	ck_assert_int_eq(out[outlen], '\0');
	free(out);
}
END_TEST

/* Input that must not decode. len 0 means strlen(in). */
static const struct {
	const char *in;
	size_t len;
} decode_bad[] = {
    {"Zg=", 0},        /* padding short of a quantum */
    {"Zg=a", 0},       /* data after padding */
    {"=Zg=", 0},       /* padding first */
    {"Z", 0},          /* one sextet is not a byte */
    {"Z===", 0},       /* padding after one sextet */
    {"Zg", 0},         /* StdEncoding requires the padding */
    {"Zm9", 0},        /* likewise */
    {"Zg===", 0},      /* too much padding */
    {"Zm9v=", 0},      /* padding after a full quantum */
    {"Zm9v====", 0},   /* a quantum of padding alone */
    {"====", 0},       /* padding only */
    {"=", 0},          /* padding only */
    {"Zg==Zg==", 0},   /* data after the final quantum */
    {"Zg==a", 0},      /* likewise */
    {"Zm8==", 0},      /* one '=' too many */
    {"Zm9v YmFy", 0},  /* spaces are not skipped, only CR and LF */
    {"Zm9v\tYmFy", 0}, /* nor tabs */
    {"Zm9-", 0},       /* URL alphabet */
    {"Zm9_", 0},       /* URL alphabet */
    {"Zm9v\x80", 0},   /* a byte above ASCII */
    {"Zm9.", 0},
    {"Zm\0v", 4},      /* an embedded NUL is not skipped */
    {"Zm9v\0", 5},     /* nor a trailing one */
};

START_TEST(test_decode_bad)
{
	const char *in = decode_bad[_i].in;
	size_t len = decode_bad[_i].len ? decode_bad[_i].len : strlen(in);
	size_t outlen = 12345;
	unsigned char *out = decode_both(in, len, &outlen);

	ck_assert_msg(out == NULL, "case %d: '%s' decoded to %zu bytes", _i,
	              in, outlen);
}
END_TEST

/* Only len bytes of the input are read, whatever follows. */
START_TEST(test_decode_reads_len_only)
{
	size_t outlen = 0;
	unsigned char *out = decode_both("Zm9vYmFy!!!!", 8, &outlen);

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(outlen, 6);
	ck_assert_str_eq((char *)out, "foobar");
	free(out);
	out = decode_both("Zm9vYmFy", 4, &outlen);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(outlen, 3);
	ck_assert_str_eq((char *)out, "foo");
	free(out);
}
END_TEST

static const struct {
	const char *in;
	size_t len;
	const char *out;
} encode_cases[] = {
    {"", 0, ""},
    {"f", 1, "Zg=="},
    {"fo", 2, "Zm8="},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg=="},
    {"fooba", 5, "Zm9vYmE="},
    {"foobar", 6, "Zm9vYmFy"},
    {"\0", 1, "AA=="},
    {"\0\0\0", 3, "AAAA"},
    {"\xff\xff\xff", 3, "////"},
    {"\xfb\xef\xbe", 3, "++++"},
    {"{\"Image\":\"x\"}", 13, "eyJJbWFnZSI6IngifQ=="},
};

/* Every byte value in every position of 56 input bytes (a 32-byte AVX2
 * step, a 16-byte SSSE3 step, then table-driven quanta, on a CPU with
 * both): an alphabet byte decodes to the sextet the alphabet gives it,
 * and any other byte but '=', CR and LF is refused. Every fast loop must
 * agree with the alphabet on all 256. */
START_TEST(test_every_byte_every_position)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	enum { LEN = 56 };
	for (int c = 0; c < 256; c++) {
		if (c == '=' || c == '\r' || c == '\n')
			continue;
		const char *at = c != 0 ? strchr(alphabet, c) : NULL;
		for (int pos = 0; pos < LEN; pos++) {
			/* alphabet bytes only */
			char in[LEN + 1] =
			    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w";
			in[pos] = (char)c;
			size_t outlen = 0;
			unsigned char *out = decode_both(in, LEN, &outlen);
			if (at == NULL) {
				ck_assert_msg(out == NULL, "byte 0x%02x at %d decoded", c, pos);
				continue;
			}
			ck_assert_msg(out != NULL, "byte 0x%02x at %d refused", c, pos);
			uint32_t sx[LEN];
			for (int k = 0; k < LEN; k++)
				sx[k] = (uint32_t)(strchr(alphabet, in[k]) - alphabet);
			for (int q = 0; q < LEN / 4; q++) {
				uint32_t v = sx[4 * q] << 18 | sx[4 * q + 1] << 12 |
				             sx[4 * q + 2] << 6 | sx[4 * q + 3];
				ck_assert_uint_eq(out[3 * q], v >> 16);
				ck_assert_uint_eq(out[3 * q + 1], (v >> 8) & 0xff);
				ck_assert_uint_eq(out[3 * q + 2], v & 0xff);
			}
			ck_assert_uint_eq(outlen, LEN / 4 * 3);
			free(out);
		}
	}
}
END_TEST

/* The vector steps take what they should: a step that always stopped
 * early would go unseen by the tests above (the next step decodes right). */
START_TEST(test_vector_steps_take_their_share)
{
	enum { LEN = 4096 };
	unsigned char raw[LEN / 4 * 3];
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(i * 131 + 7);
	char *enc = base64_encode(raw, sizeof raw);
	ck_assert_ptr_nonnull(enc);
	ck_assert_uint_eq(strlen(enc), LEN);
	for (size_t len = 0; len <= LEN; len += len < 100 ? 1 : 97) {
		size_t avx2, ssse3;
		base64_vector_steps(enc, len, &avx2, &ssse3);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
		if (__builtin_cpu_supports("avx2")) {
			/* Every whole 32 bytes, then one 16 if left. */
			ck_assert_uint_eq(avx2, len / 32 * 32);
			ck_assert_uint_eq(ssse3, (len - avx2) / 16 * 16);
		} else if (__builtin_cpu_supports("ssse3")) {
			ck_assert_uint_eq(avx2, 0);
			ck_assert_uint_eq(ssse3, len / 16 * 16);
		}
#endif
		ck_assert_uint_le(avx2 + ssse3, len);
	}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	/* A byte outside the alphabet stops the step that holds it. */
	if (__builtin_cpu_supports("avx2")) {
		char *bad = strdup(enc);
		ck_assert_ptr_nonnull(bad);
		bad[100] = '=';
		size_t avx2, ssse3;
		base64_vector_steps(bad, LEN, &avx2, &ssse3);
		ck_assert_uint_eq(avx2, 96);
		ck_assert_uint_eq(ssse3, 0);
		free(bad);
	}
#endif
	free(enc);
}
END_TEST

START_TEST(test_encode)
{
	char *out = base64_encode((const unsigned char *)encode_cases[_i].in,
	                          encode_cases[_i].len);

	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, encode_cases[_i].out);
	free(out);
}
END_TEST

/* xorshift32: reproducible bytes, with plenty of NULs and high bytes. */
static uint32_t rng_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Every length from 0 to 299, with random bytes (a NUL in every other
 * position of the even lengths), survives encode then decode. */
START_TEST(test_round_trip)
{
	uint32_t seed = 0x9e3779b9u;
	for (size_t len = 0; len < 300; len++) {
		unsigned char buf[300];
		for (size_t i = 0; i < len; i++)
			buf[i] = (len % 2 == 0 && i % 2 == 0)
			             ? 0
			             : (unsigned char)rng_next(&seed);
		char *enc = base64_encode(buf, len);
		ck_assert_ptr_nonnull(enc);
		ck_assert_uint_eq(strlen(enc), (len + 2) / 3 * 4);

		size_t outlen = 12345;
		unsigned char *dec = decode_both(enc, strlen(enc), &outlen);
		ck_assert_msg(dec != NULL, "length %zu: '%s' did not decode",
		              len, enc);
		ck_assert_uint_eq(outlen, len);
		if (len > 0)
			ck_assert_mem_eq(dec, buf, len);
		ck_assert_int_eq(dec[outlen], '\0');
		free(dec);
		free(enc);
	}
}
END_TEST

/* The same, with the encoding wrapped at 76 columns by CRLF as MIME does:
 * Go accepts it, so must we. */
START_TEST(test_round_trip_wrapped)
{
	uint32_t seed = 12345;
	unsigned char buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rng_next(&seed);
	char *enc = base64_encode(buf, sizeof buf);
	ck_assert_ptr_nonnull(enc);
	size_t elen = strlen(enc);
	char *wrapped = malloc(elen + elen / 76 * 2 + 3);
	ck_assert_ptr_nonnull(wrapped);
	size_t w = 0;
	for (size_t i = 0; i < elen; i++) {
		if (i > 0 && i % 76 == 0) {
			wrapped[w++] = '\r';
			wrapped[w++] = '\n';
		}
		wrapped[w++] = enc[i];
	}
	wrapped[w++] = '\n';

	size_t outlen = 0;
	unsigned char *dec = decode_both(wrapped, w, &outlen);
	ck_assert_ptr_nonnull(dec);
	ck_assert_uint_eq(outlen, sizeof buf);
	ck_assert_mem_eq(dec, buf, sizeof buf);
	free(dec);
	free(wrapped);
	free(enc);
}
END_TEST

Suite *base64_suite(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode_ok, 0, (int)N(decode_ok));
	tcase_add_loop_test(tc, test_decode_bad, 0, (int)N(decode_bad));
	tcase_add_test(tc, test_decode_reads_len_only);
	tcase_add_test(tc, test_every_byte_every_position);
	tcase_add_test(tc, test_vector_steps_take_their_share);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_encode, 0, (int)N(encode_cases));
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_round_trip_wrapped);
	suite_add_tcase(s, tc);
	return s;
}
