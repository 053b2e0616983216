/* base64: Go's StdEncoding, which encoding/json uses for []byte. */
#include <stdint.h>
#include <stdlib.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet bytes, 64 for '=', 65 for skipped CR/LF, 255 else. */
static const unsigned char sextets[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  65, 255, 255,  65, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255,  64, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

unsigned char *base64_decode(const char *src, size_t len, size_t *outlen)
{
	unsigned char *out = malloc(len / 4 * 3 + 4);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	uint32_t acc = 0;
	int n = 0;   /* sextets in acc */
	int pad = 0; /* '=' seen */
	size_t i = 0;

	/* Whole quanta of four alphabet bytes, which is all of a body
	 * dockerd encodes but its padding; anything else (line breaks,
	 * '=', bad bytes) goes to the careful loop below. */
	for (; i + 4 <= len; i += 4) {
		const unsigned char *q = (const unsigned char *)src + i;
		uint32_t a = sextets[q[0]], b = sextets[q[1]], c = sextets[q[2]],
		         d = sextets[q[3]];
		if ((a | b | c | d) >= 64)
			break;
		uint32_t v = a << 18 | b << 12 | c << 6 | d;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	for (; i < len; i++) {
		unsigned char v = sextets[(unsigned char)src[i]];
		if (v == 65)
			continue;
		if (v == 255)
			goto bad;
		if (v == 64) {
			/* Padding may only complete a quantum of 2 or 3. */
			if (n + pad < 2)
				goto bad;
			pad++;
			if (n + pad > 4)
				goto bad;
			continue;
		}
		if (pad)
			goto bad;
		acc = acc << 6 | v;
		if (++n == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (pad) {
		if (n + pad != 4)
			goto bad;
		/* Like Go's (non-strict) StdEncoding, leftover bits are dropped
		 * whatever their value. */
		if (n == 2) {
			out[o++] = (unsigned char)(acc >> 4);
		} else {
			out[o++] = (unsigned char)(acc >> 10);
			out[o++] = (unsigned char)(acc >> 2);
		}
	} else if (n != 0) {
		goto bad;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

char *base64_encode(const unsigned char *src, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)src[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}
