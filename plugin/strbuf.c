/* strbuf: a growable string. Allocation failure is sticky (sb->oom) so
 * callers can add freely and check once at strbuf_detach. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "bufpool.h"
#include "strbuf.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int strbuf_grow_slow(struct strbuf *sb, size_t extra)
{
	if (sb->oom)
		return -1;
	if (sb->len + extra + 1 <= sb->cap)
		return 0;
	if (extra > SIZE_MAX / 2 - sb->len) {
		sb->oom = 1;
		return -1;
	}
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < sb->len + extra + 1)
		cap *= 2;
	char *p = realloc(sb->buf, cap);
	if (p == NULL) {
		sb->oom = 1;
		return -1;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

/* Room for extra more bytes and the NUL; the common case inline. */
static inline int strbuf_grow(struct strbuf *sb, size_t extra)
{
	if (!sb->oom && extra < sb->cap - sb->len)
		return 0;
	return strbuf_grow_slow(sb, extra);
}

void strbuf_reserve(struct strbuf *sb, size_t extra)
{
	strbuf_grow(sb, extra);
}

/* Appends v in decimal. */
static void add_signed(struct strbuf *sb, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
	                             : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	strbuf_add(sb, p, (size_t)(buf + sizeof buf - p));
}

static void add_unsigned(struct strbuf *sb, unsigned long long u)
{
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	strbuf_add(sb, p, (size_t)(buf + sizeof buf - p));
}

/* Most formats on the decision path are text with %s and integers:
 * vsnprintf spent more on parsing them than on the text, so those are
 * formatted here: %s %d %ld %lld %u %lu %llu %zu %%, no flags, width or
 * precision. Returns false at any other conversion, having added part
 * of the text: the caller takes that back and asks vsnprintf. */
static bool add_simple(struct strbuf *sb, const char *fmt, va_list ap)
{
	const char *p = fmt;
	for (;;) {
		const char *pc = strchr(p, '%');
		if (pc == NULL) {
			strbuf_adds(sb, p);
			return true;
		}
		strbuf_add(sb, p, (size_t)(pc - p));
		p = pc + 1;
		int longs = 0;
		bool size = false;
		if (*p == 'l') {
			longs = p[1] == 'l' ? 2 : 1;
			p += longs;
		} else if (*p == 'z') {
			size = true;
			p++;
		}
		bool plain = longs == 0 && !size;
		switch (*p++) {
		case 's': {
			/* %s takes no length modifier. */
			if (!plain)
				return false;
			const char *s = va_arg(ap, const char *);
			strbuf_adds(sb, s != NULL ? s : "(null)");
			break;
		}
		case 'd':
			add_signed(sb, size ? (long long)va_arg(ap, ssize_t)
			               : longs == 2 ? va_arg(ap, long long)
			               : longs == 1 ? va_arg(ap, long)
			                            : va_arg(ap, int));
			break;
		case 'u':
			add_unsigned(sb, size ? va_arg(ap, size_t)
			                 : longs == 2 ? va_arg(ap, unsigned long long)
			                 : longs == 1 ? va_arg(ap, unsigned long)
			                              : va_arg(ap, unsigned));
			break;
		case '%':
			if (!plain)
				return false;
			strbuf_addc(sb, '%');
			break;
		default:
			return false;
		}
	}
}

struct strbuf strbuf_pooled(size_t want)
{
	size_t cap;
	char *b = bufpool_get(want, &cap);
	if (b == NULL)
		return (struct strbuf)STRBUF_INIT;
	b[0] = '\0';
	return (struct strbuf){b, 0, cap, 0};
}

void strbuf_unpool(struct strbuf *sb)
{
	bufpool_put(sb->buf, sb->cap);
	*sb = (struct strbuf)STRBUF_INIT;
}

void strbuf_add_int(struct strbuf *sb, long long v)
{
	char digits[24];
	size_t at = sizeof digits;
	/* Unsigned, so that LLONG_MIN negates. */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
	                             : (unsigned long long)v;
	do
		digits[--at] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		digits[--at] = '-';
	strbuf_add(sb, digits + at, sizeof digits - at);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	size_t start = sb->len;

	va_start(ap, fmt);
	bool done = add_simple(sb, fmt, ap);
	va_end(ap);
	if (done)
		return;
	/* A conversion add_simple does not take: what it added goes, and
	 * vsnprintf formats the whole. */
	if (sb->buf != NULL) {
		sb->len = start;
		sb->buf[start] = '\0';
	}
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		strbuf_add(sb, small, (size_t)n);
		return;
	}
	if (strbuf_grow(sb, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

size_t json_plain_prefix(const char *s, size_t n, bool del)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i below = _mm_set1_epi8(0x1f);
	const __m128i delc = _mm_set1_epi8(del ? 0x7f : '"');
	for (; n - i >= 16; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* Unsigned v <= 0x1f: min(v, 0x1f) == v. */
		__m128i bad = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
		    _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, below), v),
		                 _mm_cmpeq_epi8(v, delc)));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || (del && c == 0x7f))
			break;
	}
	return i;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
#if defined(__SSE2__)
		if (end - p >= 16 &&
		    _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)p)) == 0) {
			p += 16;
			continue;
		}
#endif
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t k = utf8_seq_len_n(p, (size_t)(end - p));
		if (k == 0)
			return false;
		p += k;
	}
	return true;
}

void strbuf_add_escaped(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);
	/* The usual value is short and plain: copied a byte at a time
	 * straight into room made for all of it, up to the first byte that
	 * needs escaping, if any. */
	if (n < 16) {
		if (strbuf_grow(sb, n) < 0)
			return;
		char *o = sb->buf + sb->len;
		size_t i = 0;
		for (; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
				break;
			o[i] = (char)c;
		}
		sb->len += i;
		sb->buf[sb->len] = '\0';
		s += i;
		n -= i;
	}
	while (n > 0) {
		size_t run = json_plain_prefix(s, n, true);
		strbuf_add(sb, s, run);
		s += run;
		n -= run;
		if (n == 0)
			break;
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"':
			strbuf_adds(sb, "\\\"");
			break;
		case '\\':
			strbuf_adds(sb, "\\\\");
			break;
		case '\n':
			strbuf_adds(sb, "\\n");
			break;
		case '\r':
			strbuf_adds(sb, "\\r");
			break;
		case '\t':
			strbuf_adds(sb, "\\t");
			break;
		default: {
			static const char hex[] = "0123456789abcdef";
			char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			strbuf_add(sb, e, sizeof e);
			break;
		}
		}
		s++;
		n--;
	}
}

char *strbuf_detach(struct strbuf *sb)
{
	if (sb->oom) {
		strbuf_release(sb);
		return NULL;
	}
	char *s = sb->buf ? sb->buf : strdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = 0;
}

char *xasprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0. */
size_t utf8_seq_len_n(const unsigned char *s, size_t avail)
{
	/* The length the lead byte announces, checked against what is
	 * there before any byte after it is read. */
	size_t want = s[0] < 0x80                  ? 1
	              : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
	              : s[0] >= 0xe0 && s[0] <= 0xef ? 3
	              : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
	                                             : 0;
	if (want == 0 || want > avail)
		return 0;
	return utf8_seq_len(s);
}

size_t utf8_seq_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0; /* overlong, or a surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}
