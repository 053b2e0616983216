/* jdoc: flat JSON documents, read in place or converted from jansson. */
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"
#include "jdoc.h"

/* Deeper than anything dockerd's types need; deeper input goes to jansson,
 * whose own limit (2048) then applies. */
#define FAST_MAX_DEPTH 64

/* Zeroed bytes after the fast path's copy of the input (and after its
 * NUL): a 16-byte load at any position up to the end stays inside the
 * buffer, and fold_hash's last load of a key too. */
#define BUF_PAD 16

/* Indexed objects finish_indexes is told of; a create body has two or
 * three (Config, HostConfig). */
#define IXO_MAX 16

struct jdoc {
	jv *nodes;
	size_t n, cap;
	char *buf;    /* the fast path's copy of the input, decoded in place */
	size_t buf_cap;
	uint32_t *index; /* every object's key index, one allocation */
	size_t index_n, index_cap; /* slots used and allocated */
	/* The node numbers of the objects given an index, for
	 * finish_indexes; past IXO_MAX it walks every node instead. */
	uint32_t ixo[IXO_MAX];
	unsigned ixo_n;
	json_t *tree; /* or jansson's tree, which the nodes point into */
	bool fast;
};

/* The folded key, eight units to a word, each word mixed in with a
 * multiply, then the length, then a final avalanche so that the low bits
 * an index uses depend on every byte. A key of plain ASCII folds eight
 * bytes at once; one with other bytes goes a unit at a time through
 * jdoc_fold_next, building the same words. Not a secret-keyed hash: what
 * an attacker can collide is bounded where the hashes are used (the probe
 * limits below), not here. */
#define MIX_K 0x9e3779b97f4a7c15ULL

static inline uint64_t mix_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * MIX_K;
	return h ^ (h >> 29);
}

/* Lowers the ASCII capitals of a word holding only bytes below 0x80. */
static inline uint64_t fold_ascii_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t ge_a = w + ones * (0x80 - 'A'); /* high bit: byte >= 'A' */
	uint64_t gt_z = w + ones * (0x7f - 'Z'); /* high bit: byte > 'Z' */
	uint64_t upper = ge_a & ~gt_z & ones * 0x80;
	return w | upper >> 2;
}

#define HASH_SEED 0x243f6a8885a308d3ULL

/* The length, then a final avalanche (murmur3's fmix64), so that the low
 * bits an index uses depend on every byte. A one-multiply finish saved
 * about 1.4% of a decision but left the last byte of a key 8 or 16 bytes
 * long barely reaching the low bits: two such keys differing only there
 * shared an index slot 12 times as often as chance. */
static inline uint64_t finish_hash(uint64_t h, size_t units)
{
	h ^= units;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* padded: key[0..len+8) may be read (the fast path's buffer has eight
 * spare bytes), so a short tail is one load, not a memcpy call. */
static inline uint64_t fold_hash(const char *key, size_t len, bool padded)
{
	const unsigned char *s = (const unsigned char *)key, *end = s + len;
	uint64_t h = HASH_SEED, acc = 0;
	unsigned nacc = 0;
	size_t units = 0;

	while (s < end) {
		if (nacc == 0) {
			/* Eight bytes, or the last few zero-extended: the
			 * same word the units would build. */
			size_t n = end - s >= 8 ? 8 : (size_t)(end - s);
			uint64_t w = 0;
			if (padded) {
				/* Eight bytes are there to read; keep n. */
				memcpy(&w, s, sizeof w);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
				w = __builtin_bswap64(w);
#endif
				if (n < 8)
					w &= (1ULL << (8 * n)) - 1;
			} else {
				memcpy(&w, s, n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
				w = __builtin_bswap64(w);
#endif
			}
			if ((w & 0x8080808080808080ULL) == 0) {
				h = mix_word(h, fold_ascii_word(w));
				s += n;
				units += n;
				continue;
			}
		}
		/* jdoc_fold_next reads up to two bytes ahead; the key's NUL
		 * stops it. */
		acc |= (uint64_t)jdoc_fold_next(&s) << (8 * nacc);
		units++;
		if (++nacc == 8) {
			h = mix_word(h, acc);
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc != 0)
		h = mix_word(h, acc);
	return finish_hash(h, units);
}

/* fold_hash of a padded key of plain ASCII longer than 16 bytes, a word
 * a step. */
static __attribute__((noinline)) uint64_t fold_hash_long(const char *key,
                                                         size_t len)
{
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t h = HASH_SEED;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;
		memcpy(&w, key + i, sizeof w);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		if (len - i < 8)
			w &= (1ULL << (8 * (len - i))) - 1;
		if ((w & high) != 0)
			return fold_hash(key, len, true);
		h = mix_word(h, fold_ascii_word(w));
	}
	return finish_hash(h, len);
}

/* fold_hash of a padded key, straight-line for the usual one: plain ASCII
 * of at most 16 bytes, so one or two words. The same value by
 * construction (same words, same mixing); anything else goes the long
 * way. */
static inline __attribute__((always_inline)) uint64_t
fold_hash_key(const char *key, size_t len)
{
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t w0, w1 = 0;
	if (len > 16)
		return fold_hash_long(key, len);
	memcpy(&w0, key, sizeof w0);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w0 = __builtin_bswap64(w0);
#endif
	if (len < 8) {
		w0 &= (1ULL << (8 * len)) - 1;
	} else if (len > 8) {
		memcpy(&w1, key + 8, sizeof w1);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w1 = __builtin_bswap64(w1);
#endif
		if (len < 16)
			w1 &= (1ULL << (8 * (len - 8))) - 1;
	}
	if (((w0 | w1) & high) != 0)
		return fold_hash(key, len, true);
	uint64_t h = HASH_SEED;
	if (len > 0)
		h = mix_word(h, fold_ascii_word(w0));
	if (len > 8)
		h = mix_word(h, fold_ascii_word(w1));
	return finish_hash(h, len);
}

uint64_t jdoc_fold_hash_n(const char *key, size_t len)
{
	return fold_hash(key, len, false);
}

uint64_t jdoc_fold_hash(const char *key)
{
	size_t len = strlen(key);
	/* Field names (gojson's lookups) are short: a padded copy takes the
	 * straight-line path that keys take. */
	if (len <= 16) {
		char pad[16 + 8] = {0};
		memcpy(pad, key, len);
		return fold_hash_key(pad, len);
	}
	return jdoc_fold_hash_n(key, len);
}

/* Doubles the node array; 0, or -1 when out of memory. */
static __attribute__((noinline)) int grow_nodes(struct jdoc *d)
{
	size_t cap = d->cap ? d->cap * 2 : 64;
	jv *v = realloc(d->nodes, cap * sizeof *v);
	if (v == NULL)
		return -1;
	d->nodes = v;
	d->cap = cap;
	return 0;
}

/* Appends a node; returns its index, or -1 when out of memory. */
static inline long new_node(struct jdoc *d, uint8_t type, const char *key,
                            uint64_t key_hash)
{
	if (d->n == d->cap && grow_nodes(d) < 0)
		return -1;
	d->nodes[d->n] = (jv){.type = type, .span = 1, .key = key,
	                      .key_hash = key_hash};
	return (long)d->n++;
}

/* Open addressing over key hashes is quadratic when keys are chosen to
 * collide, and a request body is the attacker's to choose: no insert may
 * probe further than this. Past it, mark_fold_dups sorts instead and an
 * object goes without an index (gojson_get walks it, linear). Honest keys
 * at load 1/2 stay far below it. */
#define MAX_PROBES 32

/* Orders two keys by their folded units. */
static int fold_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	while (*p && *q) {
		unsigned char x = jdoc_fold_next(&p), y = jdoc_fold_next(&q);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return (*p != '\0') - (*q != '\0');
}

static int cmp_member(const void *x, const void *y)
{
	const jv *a = *(const jv *const *)x, *b = *(const jv *const *)y;
	if (a->key_hash != b->key_hash)
		return a->key_hash < b->key_hash ? -1 : 1;
	int c = fold_cmp(a->key, b->key);
	return c != 0 ? c : strcmp(a->key, b->key);
}

/* Reserves cap zeroed index slots at the end of d->index; returns their
 * offset, or -1 when out of memory. */
static long index_reserve(struct jdoc *d, size_t cap)
{
	if (d->index_n + cap > d->index_cap) {
		size_t n = d->index_cap ? d->index_cap * 2 : 512;
		while (n < d->index_n + cap)
			n *= 2;
		uint32_t *v = NULL;
		size_t got;
		if (d->index_cap == 0 &&
		    (v = bufpool_get(n * sizeof *v, &got)) != NULL)
			n = got / sizeof *v;
		else if ((v = realloc(d->index, n * sizeof *v)) == NULL)
			return -1;
		d->index = v;
		d->index_cap = n;
	}
	memset(d->index + d->index_n, 0, cap * sizeof *d->index);
	long at = (long)d->index_n;
	d->index_n += cap;
	return at;
}

/* Places obj's members in slot[0..cap) by key hash: each slot is 0 or a
 * member's offset from obj. With check, stops at a hash already placed
 * (a duplicate, or a collision, for the caller to look at closely).
 * Returns false when it stopped there or at MAX_PROBES. */
static bool index_fill(const jv *obj, uint32_t *slot, size_t cap, bool check)
{
	const jv *e;
	uint32_t i;
	jv_foreach(obj, i, e)
	{
		size_t at = (size_t)e->key_hash & (cap - 1), probes = 0;
		while (slot[at] != 0) {
			if (check && obj[slot[at]].key_hash == e->key_hash)
				return false;
			if (++probes == MAX_PROBES)
				return false;
			at = (at + 1) & (cap - 1);
		}
		slot[at] = (uint32_t)(e - obj);
	}
	return true;
}

/* Gives obj the index at off, and notes it for finish_indexes. */
static void set_index(struct jdoc *d, jv *obj, long off)
{
	obj->u.i = off + 1;
	if (d->ixo_n < IXO_MAX)
		d->ixo[d->ixo_n] = (uint32_t)(obj - d->nodes);
	d->ixo_n++;
}

/* Sets obj->fold_dup when two of its keys fold to the same name, and
 * *exact when two are byte for byte the same. An object of
 * JDOC_INDEX_MIN members or more gets its index by key hash here (so
 * gojson_get finds a field of HostConfig's sixty-odd without walking
 * them), and the index is the check: only a repeated hash (a duplicate,
 * or a collision) is looked at closely. Until finish_indexes, obj->u.i
 * holds the index's offset in d->index plus one. Returns 0, or -1 when
 * out of memory. */
static int mark_fold_dups(struct jdoc *d, jv *obj, bool *exact)
{
	const jv *e;
	uint32_t i;
	size_t cap = 0;
	long off = -1;

	*exact = false;
	obj->fold_dup = false;
	if (obj->size < 2)
		return 0;
	if (obj->size < JDOC_INDEX_MIN) {
		/* Most objects are this small: compare the hashes pairwise
		 * rather than clear and fill a table. */
		const jv *f;
		uint32_t j;
		jv_foreach(obj, i, e)
		{
			for (j = i + 1, f = e + e->span; j < obj->size; j++, f += f->span)
				if (f->key_hash == e->key_hash)
					goto sort;
		}
		return 0;
	}
	cap = jdoc_index_cap(obj->size);
	if ((off = index_reserve(d, cap)) < 0)
		return -1;
	/* A long probe means keys made to share low bits: the sort below
	 * costs n log n whatever the hashes are. */
	if (index_fill(obj, d->index + off, cap, true)) {
		set_index(d, obj, off);
		return 0;
	}
sort:;
	/* Rare: sort the members by hash, then folded key, then bytes, so
	 * that keys folding together, and identical keys, end up side by
	 * side whatever the object's size. */
	const jv **m = malloc(obj->size * sizeof *m);
	if (m == NULL)
		return -1;
	jv_foreach(obj, i, e) m[i] = e;
	qsort(m, obj->size, sizeof *m, cmp_member);
	for (i = 1; i < obj->size; i++) {
		if (m[i]->key_hash != m[i - 1]->key_hash ||
		    fold_cmp(m[i]->key, m[i - 1]->key) != 0)
			continue;
		obj->fold_dup = true;
		if (strcmp(m[i]->key, m[i - 1]->key) == 0)
			*exact = true;
	}
	free(m);
	/* Only a collision, or long probes: the index may still hold
	 * (equal hashes can share it; MAX_PROBES still bounds it). An
	 * object whose keys fold together gets none. */
	if (off >= 0 && !obj->fold_dup) {
		memset(d->index + off, 0, cap * sizeof *d->index);
		if (index_fill(obj, d->index + off, cap, false))
			set_index(d, obj, off);
	}
	return 0;
}

/* ---- the fast path: in place over a private copy of the input ---- */

enum { FP_OK = 0, FP_BAIL = -1, FP_NOMEM = -2 };

struct fp {
	struct jdoc *d;
	char *p, *end;
};

static inline void skip_ws(struct fp *f)
{
	/* The buffer ends in a NUL, which is not white space, so the end
	 * needs no test of its own; most bytes fail the first test. */
	while ((unsigned char)*f->p <= ' ' &&
	       (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
		f->p++;
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

/* How many bytes from p on, before end, are plain string text: printable
 * ASCII other than '"' and '\\'. Sixteen bytes a step with SSE2 (every
 * x86-64 has it), else eight with a word trick. Base64 request bodies are
 * kilobytes of plain text, so this loop is most of reading an envelope. */
#if defined(__SSE2__)
#include <emmintrin.h>
/* A bit for each of the 16 bytes at s that is not plain string text. */
static inline unsigned special_mask(const char *s)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
	/* Signed: bytes of 0x80 and up are negative, so "below ' '" catches
	 * them with the control characters (and the NUL padding). */
	__m128i bad = _mm_or_si128(
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_cmplt_epi8(v, _mm_set1_epi8(' ')));
	return (unsigned)_mm_movemask_epi8(bad);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_RUN 1
/* plain_run's long stretches, 32 bytes a step, on a CPU with AVX2: a
 * RequestBody is kilobytes of base64. Stops before the last 32 bytes, or
 * at the 32-byte step that holds a special byte; plain_run does the rest
 * 16 bytes at a time. */
__attribute__((target("avx2"))) static size_t plain_run_avx2(const char *p,
                                                              const char *end)
{
	const char *s = p;
	const __m256i quote = _mm256_set1_epi8('"'),
	              bslash = _mm256_set1_epi8('\\'),
	              space = _mm256_set1_epi8(' ');
	while (end - s >= 32) {
		const __m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)s);
		__m256i bad = _mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
		                    _mm256_cmpeq_epi8(v, bslash)),
		    _mm256_cmpgt_epi8(space, v));
		if (!_mm256_testz_si256(bad, bad))
			break;
		s += 32;
	}
	return (size_t)(s - p);
}
#endif

static size_t plain_run(const char *p, const char *end)
{
	const char *s = p;
#ifdef HAVE_AVX2_RUN
	if (end - s >= 128 && __builtin_cpu_supports("avx2"))
		s += plain_run_avx2(s, end);
#endif
	while (end - s >= 16) {
		unsigned m = special_mask(s);
		if (m != 0)
			return (size_t)(s - p) + (size_t)__builtin_ctz(m);
		s += 16;
	}
	return (size_t)(s - p);
}
#else
/* Any byte of w that is '"', '\\', below 0x20 or above 0x7f. */
static bool word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b;
	uint64_t ctl = (w - ones * 0x20) & ~w;
	return ((zq | zb | ctl) & high) != 0 || (w & high) != 0;
}

static size_t plain_run(const char *p, const char *end)
{
	const char *s = p;
	while (end - s >= 8) {
		uint64_t w;
		memcpy(&w, s, sizeof w);
		if (word_special(w))
			break;
		s += 8;
	}
	return (size_t)(s - p);
}
#endif

size_t jdoc_avx2_run(const char *p, size_t len)
{
#ifdef HAVE_AVX2_RUN
	if (__builtin_cpu_supports("avx2"))
		return plain_run_avx2(p, p + len);
#endif
	(void)p;
	(void)len;
	return 0;
}

/* Reads the string whose opening quote is at f->p - 1, decoding it where
 * it lies and ending it with NUL. Only printable ASCII and escapes that
 * decode to ASCII (1..0x7f) are taken; the rest is jansson's. */
static __attribute__((noinline)) int fp_string_slow(struct fp *f, const char **out,
                                                    uint32_t *len, uint64_t *kh)
{
	char *start = f->p, *p = f->p, *o = f->p;

	/* The text is decoded where it lies: o is where the next decoded
	 * byte goes, and falls behind p from the first escape on. Until
	 * then nothing is written, so the key's hash below reads bytes no
	 * store is pending on. */
	for (;;) {
		size_t run = plain_run(p, f->end);
		if (o != p)
			memmove(o, p, run);
		o += run;
		p += run;
		if (p >= f->end)
			return FP_BAIL;
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			/* A key is hashed before its NUL goes in: loading
			 * the word that holds a byte just stored stalls the
			 * load (no store forwarding across sizes), once per
			 * key. fold_hash_key masks off what follows it. */
			if (kh != NULL)
				*kh = fold_hash_key(start, (size_t)(o - start));
			*o = '\0';
			*out = start;
			*len = (uint32_t)(o - start);
			f->p = p + 1;
			return FP_OK;
		}
		if (c < 0x20 || c >= 0x80)
			return FP_BAIL;
		if (c != '\\') {
			/* Plain, in the last few bytes plain_run leaves. */
			if (o != p)
				*o = (char)c;
			o++;
			p++;
			continue;
		}
		if (p + 1 >= f->end)
			return FP_BAIL;
		switch (p[1]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			if (f->end - p < 6)
				return FP_BAIL;
			int v = 0;
			for (int k = 2; k < 6; k++) {
				int h = hexval(p[k]);
				if (h < 0)
					return FP_BAIL;
				v = v * 16 + h;
			}
			if (v == 0 || v >= 0x80)
				return FP_BAIL;
			*o++ = (char)v;
			p += 6;
			continue;
		}
		default:
			return FP_BAIL;
		}
		p += 2;
	}
}

/* fp_string, with the common case inline: most strings, keys above all,
 * are plain and shorter than 32 bytes, and one or two loads find their
 * closing quote. The BUF_PAD zeroed bytes make the load safe at the very end,
 * and a zero is special, so a quote found is inside the text. */
static inline int fp_string(struct fp *f, const char **out, uint32_t *len,
                            uint64_t *kh)
{
#if defined(__SSE2__)
	char *p = f->p;
	unsigned m = special_mask(p);
	/* All 16 plain means none of them is padding: the next 16 are
	 * inside the buffer too. */
	if (m == 0)
		m = special_mask(p + 16) << 16;
	if (m != 0) {
		unsigned k = (unsigned)__builtin_ctz(m);
		if (p[k] == '"') {
			if (kh != NULL)
				*kh = fold_hash_key(p, k);
			p[k] = '\0';
			*out = p;
			*len = k;
			f->p = p + k + 1;
			return FP_OK;
		}
	}
#endif
	return fp_string_slow(f, out, len, kh);
}

static bool delim(const struct fp *f)
{
	if (f->p >= f->end)
		return true;
	char c = *f->p;
	return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\n' ||
	       c == '\r' || c == '\t';
}

/* -?(0|[1-9][0-9]*) of at most 18 digits; the rest is jansson's. */
static int fp_number(struct fp *f, json_int_t *out)
{
	bool neg = false;
	if (*f->p == '-') {
		neg = true;
		f->p++;
	}
	char *d = f->p;
	int64_t v = 0;
	/* Past 18 digits only count them: they are jansson's anyway. */
	while (f->p < f->end && *f->p >= '0' && *f->p <= '9') {
		if (f->p - d < 18)
			v = v * 10 + (*f->p - '0');
		f->p++;
	}
	size_t nd = (size_t)(f->p - d);
	if (nd == 0 || nd > 18 || (d[0] == '0' && nd > 1) || !delim(f))
		return FP_BAIL;
	*out = neg ? -v : v;
	return FP_OK;
}

static int fp_literal(struct fp *f, const char *word, size_t n)
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
		return FP_BAIL;
	f->p += n;
	return delim(f) ? FP_OK : FP_BAIL;
}

static int fp_container(struct fp *f, const char *key, uint64_t kh,
                        int depth);
static void finish_indexes(struct jdoc *d);

/* A string, number, true, false or null at f->p (not a container),
 * inline in fp_members' loop: most values are these, and a call per
 * value cost more than reading most of them. */
static inline __attribute__((always_inline)) int
fp_scalar(struct fp *f, const char *key, uint64_t kh)
{
	char c = *f->p;
	long idx;
	int rc;

	switch (c) {
	case '"': {
		const char *s;
		uint32_t len;
		f->p++;
		if ((rc = fp_string(f, &s, &len, NULL)) != FP_OK)
			return rc;
		if ((idx = new_node(f->d, JV_STRING, key, kh)) < 0)
			return FP_NOMEM;
		f->d->nodes[idx].u.s = s;
		f->d->nodes[idx].size = len;
		return FP_OK;
	}
	case 't':
	case 'f':
	case 'n':
		rc = c == 't' ? fp_literal(f, "true", 4)
		     : c == 'f' ? fp_literal(f, "false", 5)
		                : fp_literal(f, "null", 4);
		if (rc != FP_OK)
			return rc;
		return new_node(f->d, c == 't' ? JV_TRUE : c == 'f' ? JV_FALSE
		                                                    : JV_NULL,
		                key, kh) < 0
		           ? FP_NOMEM
		           : FP_OK;
	default: {
		/* The NUL after the text lands here too, and is refused. */
		json_int_t v;
		if (c != '-' && (c < '0' || c > '9'))
			return FP_BAIL;
		if ((rc = fp_number(f, &v)) != FP_OK)
			return rc;
		if ((idx = new_node(f->d, JV_INT, key, kh)) < 0)
			return FP_NOMEM;
		f->d->nodes[idx].u.i = v;
		return FP_OK;
	}
	}
}

/* The members of the container at node index idx, its '{' or '[' read.
 * The text ends in a NUL (and zeroed padding) and f->p never passes
 * f->end, so a test of the next byte needs no test of the end: the NUL
 * is none of the bytes looked for. */
static int fp_members(struct fp *f, long idx, bool object, int depth)
{
	char close = object ? '}' : ']';
	uint32_t n = 0;
	int rc;

	if (depth >= FAST_MAX_DEPTH)
		return FP_BAIL;
	skip_ws(f);
	if (*f->p == close) {
		f->p++;
		goto done;
	}
	for (;;) {
		const char *key = NULL;
		uint64_t kh = 0;
		if (object) {
			uint32_t klen;
			if (*f->p != '"')
				return FP_BAIL;
			f->p++;
			if ((rc = fp_string(f, &key, &klen, &kh)) != FP_OK)
				return rc;
			skip_ws(f);
			if (*f->p != ':')
				return FP_BAIL;
			f->p++;
			skip_ws(f);
		}
		if (*f->p == '{' || *f->p == '[')
			rc = fp_container(f, key, kh, depth + 1);
		else
			rc = fp_scalar(f, key, kh);
		if (rc != FP_OK)
			return rc;
		n++;
		skip_ws(f);
		if (*f->p == close) {
			f->p++;
			break;
		}
		if (*f->p != ',')
			return FP_BAIL;
		f->p++;
		skip_ws(f);
	}
done:;
	jv *c = &f->d->nodes[idx];
	c->size = n;
	c->span = (uint32_t)(f->d->n - (size_t)idx);
	if (object) {
		bool exact;
		if (mark_fold_dups(f->d, c, &exact) < 0)
			return FP_NOMEM;
		/* jansson either rejects an exact duplicate or keeps the last
		 * value in the first one's place: its call. */
		if (exact)
			return FP_BAIL;
	}
	return FP_OK;
}

/* The object or array at f->p. */
static int fp_container(struct fp *f, const char *key, uint64_t kh, int depth)
{
	char c = *f->p;
	long idx = new_node(f->d, c == '{' ? JV_OBJECT : JV_ARRAY, key, kh);
	if (idx < 0)
		return FP_NOMEM;
	f->p++;
	return fp_members(f, idx, c == '{', depth);
}

static int fast_parse(struct jdoc *d, const char *data, size_t len,
                      size_t flags)
{
	if (d->buf_cap < len + 1 + BUF_PAD) {
		free(d->buf);
		d->buf_cap = 0;
		if ((d->buf = malloc(len + 1 + BUF_PAD)) == NULL)
			return FP_NOMEM;
		d->buf_cap = len + 1 + BUF_PAD;
	}
	memcpy(d->buf, data, len);
	memset(d->buf + len, 0, 1 + BUF_PAD);
	struct fp f = {d, d->buf, d->buf + len};
	skip_ws(&f);
	/* jansson decodes only an object or an array at the top. */
	if (f.p >= f.end || (*f.p != '{' && *f.p != '['))
		return FP_BAIL;
	int rc = fp_container(&f, NULL, 0, 0);
	if (rc != FP_OK)
		return rc;
	if (!(flags & JSON_DISABLE_EOF_CHECK)) {
		skip_ws(&f);
		if (f.p != f.end)
			return FP_BAIL;
	}
	finish_indexes(d);
	d->fast = true;
	return FP_OK;
}

/* Turns each indexed object's offset (mark_fold_dups) into its pointer,
 * now that d->index has stopped moving. */
static void finish_indexes(struct jdoc *d)
{
	/* The objects without one hold 0, which reads as NULL. */
	if (d->ixo_n <= IXO_MAX) {
		for (unsigned k = 0; k < d->ixo_n; k++) {
			jv *o = &d->nodes[d->ixo[k]];
			o->u.index = d->index + (o->u.i - 1);
		}
		return;
	}
	for (size_t k = 0; k < d->n; k++) {
		jv *o = &d->nodes[k];
		if (o->type == JV_OBJECT)
			o->u.index = o->u.i != 0 ? d->index + (o->u.i - 1) : NULL;
	}
}

/* ---- the slow path: jansson's tree as nodes ---- */

static int convert(struct jdoc *d, json_t *v, const char *key, int depth)
{
	uint64_t kh = key != NULL ? jdoc_fold_hash(key) : 0;
	long idx;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY: {
		bool obj = json_is_object(v);
		if ((idx = new_node(d, obj ? JV_OBJECT : JV_ARRAY, key, kh)) < 0)
			return -1;
		uint32_t n = 0;
		if (obj) {
			const char *k;
			json_t *m;
			json_object_foreach(v, k, m)
			{
				if (convert(d, m, k, depth + 1) < 0)
					return -1;
				n++;
			}
		} else {
			size_t i;
			json_t *m;
			json_array_foreach(v, i, m)
			{
				if (convert(d, m, NULL, depth + 1) < 0)
					return -1;
				n++;
			}
		}
		jv *c = &d->nodes[idx];
		c->size = n;
		c->span = (uint32_t)(d->n - (size_t)idx);
		bool exact;
		return obj ? mark_fold_dups(d, c, &exact) : 0;
	}
	case JSON_STRING:
		if ((idx = new_node(d, JV_STRING, key, kh)) < 0)
			return -1;
		d->nodes[idx].u.s = json_string_value(v);
		d->nodes[idx].size = (uint32_t)json_string_length(v);
		return 0;
	case JSON_INTEGER:
		if ((idx = new_node(d, JV_INT, key, kh)) < 0)
			return -1;
		d->nodes[idx].u.i = json_integer_value(v);
		return 0;
	case JSON_REAL:
		if ((idx = new_node(d, JV_REAL, key, kh)) < 0)
			return -1;
		d->nodes[idx].u.r = json_real_value(v);
		return 0;
	case JSON_TRUE:
		return new_node(d, JV_TRUE, key, kh) < 0 ? -1 : 0;
	case JSON_FALSE:
		return new_node(d, JV_FALSE, key, kh) < 0 ? -1 : 0;
	default:
		return new_node(d, JV_NULL, key, kh) < 0 ? -1 : 0;
	}
}

static void nomem(json_error_t *err)
{
	memset(err, 0, sizeof *err);
	strcpy(err->text, "out of memory");
	err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
	err->position = -1;
}

jdoc *jdoc_load(const char *data, size_t len, size_t flags, json_error_t *err)
{
	/* The thread's last freed header first: calloc and free of it cost
	 * more than its buffers' trips through the pool. */
	struct jdoc *d = bufpool_calloc_exact(sizeof *d);
	if (d == NULL) {
		nomem(err);
		return NULL;
	}
	/* Buffers of the thread's earlier documents (bufpool.h). The node
	 * count is guessed from the size (a node per 8 bytes covers a create
	 * body) and grows by realloc. A guess the pool cannot meet is
	 * allocated whole, so that the buffer going back to the pool meets
	 * it next time; past what the pool keeps, the array grows from 64. */
	size_t cap, guess = len / 8 > 64 ? len / 8 : 64;
	if ((d->nodes = bufpool_get(guess * sizeof *d->nodes, &cap)) != NULL)
		d->cap = cap / sizeof *d->nodes;
	else if (guess * sizeof *d->nodes <= BUFPOOL_MAX &&
	         (d->nodes = malloc(guess * sizeof *d->nodes)) != NULL)
		d->cap = guess;
	if ((d->buf = bufpool_get(len + 1 + BUF_PAD, &cap)) != NULL)
		d->buf_cap = cap;
	/* Sizes that do not fit the nodes' 32-bit counts are jansson's. */
	int rc = len < UINT32_MAX / 2 ? fast_parse(d, data, len, flags) : FP_BAIL;
	if (rc == FP_OK)
		return d;
	d->index_n = 0;
	d->ixo_n = 0;
	d->n = 0;
	if (rc == FP_NOMEM)
		goto oom;
	d->tree = json_loadb(data, len, flags, err);
	if (d->tree == NULL) {
		jdoc_free(d);
		return NULL;
	}
	if (convert(d, d->tree, NULL, 0) < 0)
		goto oom;
	finish_indexes(d);
	return d;
oom:
	jdoc_free(d);
	nomem(err);
	return NULL;
}

jdoc *jdoc_from_tree(json_t *tree)
{
	struct jdoc *d = calloc(1, sizeof *d);
	if (d == NULL) {
		json_decref(tree);
		return NULL;
	}
	d->tree = tree;
	if (convert(d, tree, NULL, 0) < 0) {
		jdoc_free(d);
		return NULL;
	}
	finish_indexes(d);
	return d;
}

void jdoc_free(jdoc *d)
{
	if (d == NULL)
		return;
	bufpool_put(d->nodes, d->cap * sizeof *d->nodes);
	bufpool_put(d->buf, d->buf_cap);
	bufpool_put(d->index, d->index_cap * sizeof *d->index);
	json_decref(d->tree);
	bufpool_put_exact(d, sizeof *d);
}

const jv *jdoc_root(const jdoc *d)
{
	return d->nodes;
}

bool jdoc_was_fast(const jdoc *d)
{
	return d->fast;
}

char *jdoc_string_bytes(jdoc *d, const jv *v)
{
	/* As integers: v may point into another allocation (a tree). */
	uintptr_t s = (uintptr_t)v->u.s, b = (uintptr_t)d->buf;
	if (!d->fast || v->type != JV_STRING || s < b ||
	    s - b + v->size >= d->buf_cap)
		return NULL;
	return d->buf + (s - b);
}

const jv *jv_object_get(const jv *obj, const char *key)
{
	const jv *e, *found = NULL;
	uint32_t i;

	if (!jv_is_object(obj))
		return NULL;
	jv_foreach(obj, i, e)
	{
		if (strcmp(e->key, key) == 0)
			found = e;
	}
	return found;
}

bool jv_equal(const jv *a, const jv *b)
{
	if (a->type != b->type || a->size != b->size || a->span != b->span ||
	    a->fold_dup != b->fold_dup || a->key_hash != b->key_hash ||
	    (a->key == NULL) != (b->key == NULL) ||
	    (a->key != NULL && strcmp(a->key, b->key) != 0))
		return false;
	switch (a->type) {
	case JV_STRING:
		return memcmp(a->u.s, b->u.s, a->size) == 0;
	case JV_INT:
		return a->u.i == b->u.i;
	case JV_REAL:
		return memcmp(&a->u.r, &b->u.r, sizeof a->u.r) == 0;
	case JV_ARRAY:
	case JV_OBJECT: {
		const jv *x = a + 1, *y = b + 1;
		for (uint32_t i = 0; i < a->size; i++, x += x->span, y += y->span)
			if (!jv_equal(x, y))
				return false;
		return true;
	}
	default:
		return true;
	}
}
