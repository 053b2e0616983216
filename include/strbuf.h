/* strbuf: a growable NUL-terminated byte buffer. */
#ifndef DOCKGATE_STRBUF_H
#define DOCKGATE_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct strbuf {
	char *buf; /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
	int oom; /* set when an allocation failed; further adds are dropped */
};

#define STRBUF_INIT {NULL, 0, 0, 0}

/* Makes room for extra more bytes, so the adds that follow do not
 * reallocate (an allocation failure is sticky, as with any add). */
void strbuf_reserve(struct strbuf *sb, size_t extra);
/* strbuf_reserve's growing half, for the inline adds below: 0, or -1
 * when out of memory (sb->oom then set). */
int strbuf_grow_slow(struct strbuf *sb, size_t extra);

/* The adds are inline: a decision's messages and log line are built from
 * a few dozen short appends, most of them of literals. */
static inline void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if ((sb->oom || len >= sb->cap - sb->len) &&
	    strbuf_grow_slow(sb, len) < 0)
		return;
	if (len > 0)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

static inline void strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

static inline void strbuf_addc(struct strbuf *sb, char c)
{
	if ((sb->oom || 1 >= sb->cap - sb->len) && strbuf_grow_slow(sb, 1) < 0)
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A strbuf over one of this thread's pooled buffers (bufpool.h) of at
 * least want bytes, or an empty one when none fits; for text that is
 * copied out and dropped (a log line, a record). strbuf_unpool gives the
 * buffer back and empties sb. */
struct strbuf strbuf_pooled(size_t want);
void strbuf_unpool(struct strbuf *sb);
/* Appends v in decimal, as "%lld" would: without a format to parse. */
void strbuf_add_int(struct strbuf *sb, long long v);
/* Appends s with control characters, quotes and backslashes escaped, so a
 * value from a request can never forge a log field or a new line. */
void strbuf_add_escaped(struct strbuf *sb, const char *s);
/* Returns the buffer (a new string the caller frees; "" when empty) and
 * resets sb. Returns NULL when an allocation failed. */
char *strbuf_detach(struct strbuf *sb);
/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 (overlong forms,
 * surrogates and code points past U+10FFFF are not valid). */
size_t utf8_seq_len(const unsigned char *s);
/* The same, 0 too when the sequence would run past avail bytes (at least
 * one): no byte past them is read. */
size_t utf8_seq_len_n(const unsigned char *s, size_t avail);
void strbuf_release(struct strbuf *sb);
/* Whether s[0..n) is valid UTF-8 throughout; nothing past it is read. */
bool utf8_valid(const char *s, size_t n);
/* How many bytes of s[0..n) come before the first one a JSON or log
 * string must escape: '"', '\\', a byte below 0x20, and 0x7f if del.
 * Sixteen bytes a step where SSE2 is there. */
size_t json_plain_prefix(const char *s, size_t n, bool del);

/* printf into a new string; NULL on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
