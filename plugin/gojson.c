/* gojson: field lookup with Go's encoding/json key matching. */
#include <stdlib.h>
#include <string.h>

#include "gojson.h"

char *gojson_fold(const char *key)
{
	size_t len = strlen(key);
	char *out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	const unsigned char *p = (const unsigned char *)key;
	size_t o = 0;
	while (*p)
		out[o++] = (char)jdoc_fold_next(&p);
	out[o] = '\0';
	return out;
}

/* True when key folds to name (an ASCII field name). No allocation: this
 * runs for every key of every object read. */
static bool fold_equal(const char *key, const char *name)
{
	/* dockerd's clients spell fields as Go names them: an exact match
	 * first, which libc compares a vector at a time. */
	if (strcmp(key, name) == 0)
		return true;
	const unsigned char *p = (const unsigned char *)key;
	const unsigned char *n = (const unsigned char *)name;
	for (;;) {
		unsigned a = *p, b = *n;
		/* ASCII on both sides, nearly always: lower and compare. */
		if (a < 0x80 && b < 0x80) {
			a |= (unsigned)(a - 'A' < 26u) << 5;
			b |= (unsigned)(b - 'A' < 26u) << 5;
			if (a != b)
				return false;
			if (a == 0)
				return true;
			p++;
			n++;
			continue;
		}
		if (jdoc_fold_next(&p) != jdoc_fold_next(&n))
			return false;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool gojson_unambiguous(const jv *obj, const char **dup)
{
	/* jdoc marked every object whose keys fold together when it read
	 * it; only those need the slow look for a key to report. */
	if (!jv_is_object(obj) || !obj->fold_dup)
		return true;

	size_t n = obj->size;
	size_t total = 0;
	const jv *e;
	uint32_t j;
	jv_foreach(obj, j, e) total += strlen(e->key) + 1;
	char **sorted = malloc(n * 2 * sizeof *sorted + total);
	if (sorted == NULL) {
		*dup = "(out of memory)";
		return false;
	}
	char **orig = sorted + n;
	char *arena = (char *)(orig + n);
	size_t i = 0;
	jv_foreach(obj, j, e)
	{
		const unsigned char *p = (const unsigned char *)e->key;
		sorted[i] = arena;
		while (*p)
			*arena++ = (char)jdoc_fold_next(&p);
		*arena++ = '\0';
		i++;
	}
	memcpy(orig, sorted, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_str);

	bool ok = true;
	for (i = 1; i < n && ok; i++) {
		if (strcmp(sorted[i - 1], sorted[i]) != 0)
			continue;
		ok = false;
		/* Report a key as the request spelled it. */
		size_t k = 0;
		jv_foreach(obj, j, e)
		{
			if (orig[k++] == sorted[i]) {
				*dup = e->key;
				break;
			}
		}
	}
	free(sorted);
	return ok;
}

/* Field names are a few dozen strings looked up thousands of times a
 * second: each thread remembers their hashes by address. An entry is used
 * only while the name at that address still reads the same, so a buffer
 * reused for another name cannot get a stale hash. With 512 slots the
 * thirty-odd names a create looks up rarely share one; with 128 a few
 * pairs did, took turns missing, and which pairs depended on where the
 * linker put the strings. */
#define NAME_BITS 9
#define NAME_SLOTS (1u << NAME_BITS)
#define NAME_MAX_LEN 31
struct name_hash {
	const char *at;
	uint64_t hash;
	char copy[NAME_MAX_LEN + 1];
};
static __thread struct name_hash name_cache[NAME_SLOTS];

static struct name_hash *name_slot(const char *name)
{
	return &name_cache[((uintptr_t)name * 0x9e3779b97f4a7c15ULL) >>
	                   (64 - NAME_BITS)];
}

static uint64_t name_hash(const char *name)
{
	struct name_hash *e = name_slot(name);
	if (e->at == name && strcmp(e->copy, name) == 0)
		return e->hash;
	uint64_t h = jdoc_fold_hash(name);
	size_t len = strlen(name);
	if (len <= NAME_MAX_LEN) {
		memcpy(e->copy, name, len + 1);
		e->at = name;
		e->hash = h;
	}
	return h;
}

enum gojson_status gojson_get(const jv *obj, const char *name, const jv **out)
{
	const jv *e, *found = NULL;
	uint32_t i;

	if (!jv_is_object(obj))
		return GOJSON_BADTYPE;
	/* Go lets the last matching key win; callers reject objects with
	 * colliding keys before they read them, so any match is the match.
	 * The folded hash skips the other keys without folding them.
	 *
	 * The hash remembered for this address is tried before it is
	 * checked: a key found with it still has to fold to the name as it
	 * reads now (fold_equal), so a hit is right whatever the hash. Only a
	 * miss could be a stale hash's doing, and it is looked up again
	 * with the hash checked (name_hash). */
	const struct name_hash *slot = name_slot(name);
	bool checked = slot->at != name;
	uint64_t h = checked ? name_hash(name) : slot->hash;
again:
	if (obj->u.index != NULL) {
		/* No two keys fold together here: the first match is the
		 * only one. */
		size_t cap = jdoc_index_cap(obj->size);
		for (size_t at = (size_t)h & (cap - 1); obj->u.index[at] != 0;
		     at = (at + 1) & (cap - 1)) {
			e = obj + obj->u.index[at];
			if (e->key_hash == h && fold_equal(e->key, name)) {
				found = e;
				break;
			}
		}
	} else {
		jv_foreach(obj, i, e)
		{
			if (e->key_hash == h && fold_equal(e->key, name))
				found = e;
		}
	}
	if (found == NULL && !checked) {
		uint64_t now = name_hash(name);
		checked = true;
		if (now != h) {
			h = now;
			goto again;
		}
	}
	if (found == NULL || jv_is_null(found))
		return GOJSON_ABSENT;
	*out = found;
	return GOJSON_OK;
}

enum gojson_status gojson_get_string(const jv *obj, const char *name,
                                     const char **out)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	if (st != GOJSON_OK)
		return st;
	if (!jv_is_string(v))
		return GOJSON_BADTYPE;
	*out = v->u.s;
	return GOJSON_OK;
}

enum gojson_status gojson_get_bool(const jv *obj, const char *name, bool *out)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	if (st != GOJSON_OK)
		return st;
	if (!jv_is_boolean(v))
		return GOJSON_BADTYPE;
	*out = jv_is_true(v);
	return GOJSON_OK;
}

enum gojson_status gojson_get_int64(const jv *obj, const char *name,
                                    int64_t *out)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	if (st != GOJSON_OK)
		return st;
	/* jansson reads 1.0 and 1e3 as reals; Go refuses both for an int64
	 * field, so do we. Out-of-range integers already failed the parse. */
	if (!jv_is_integer(v))
		return GOJSON_BADTYPE;
	*out = (int64_t)v->u.i;
	return GOJSON_OK;
}

enum gojson_status gojson_get_object(const jv *obj, const char *name,
                                     const jv **out)
{
	const jv *v;
	const char *dup;
	enum gojson_status st = gojson_get(obj, name, &v);
	if (st != GOJSON_OK)
		return st;
	if (!jv_is_object(v))
		return GOJSON_BADTYPE;
	if (!gojson_unambiguous(v, &dup))
		return GOJSON_AMBIGUOUS;
	*out = v;
	return GOJSON_OK;
}
