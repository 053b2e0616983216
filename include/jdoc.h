/* jdoc: a read-only JSON document for the decision path.
 *
 * jansson turned out to be two thirds of a decision's cost (a tree of
 * hash tables for every envelope and body, read once and thrown away).
 * jdoc_load reads the common shape of what dockerd sends -- ASCII text,
 * simple escapes, integers -- in place into one flat array of nodes, and
 * hands anything else (non-ASCII, \u escapes beyond ASCII, reals, huge
 * integers, duplicate keys, deep nesting, any syntax error) to jansson
 * with the caller's flags, converting jansson's tree into the same nodes.
 * So what is accepted, what is refused and every error text stay
 * jansson's; the fast path only has to agree with it on the inputs it
 * takes, which tests/unit/test_jdoc.c and tests/fuzz/fuzz_jdoc.c check.
 *
 * Nodes are laid out in document order: a container's members follow it,
 * each member's subtree is `span` nodes long, so the next sibling is
 * `e + e->span`. */
#ifndef DOCKGATE_JDOC_H
#define DOCKGATE_JDOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type {
	JV_NULL,
	JV_FALSE,
	JV_TRUE,
	JV_INT,
	JV_REAL,
	JV_STRING,
	JV_ARRAY,
	JV_OBJECT,
};

typedef struct jv {
	uint8_t type;      /* enum jv_type */
	bool fold_dup;     /* object: two keys fold to the same Go field name */
	uint32_t size;     /* array/object: members; string: bytes */
	uint32_t span;     /* nodes in this subtree, this one included */
	uint64_t key_hash; /* member of an object: jdoc_fold_hash(key) */
	const char *key;   /* member of an object: its key, else NULL */
	union {
		const char *s;  /* JV_STRING, NUL-terminated */
		json_int_t i;   /* JV_INT */
		double r;       /* JV_REAL */
		/* JV_OBJECT of JDOC_INDEX_MIN members or more whose keys do
		 * not fold together: an open-addressing table of
		 * jdoc_index_cap(size) slots, each 0 or a member's offset
		 * from the object, placed by key_hash. NULL otherwise. */
		const uint32_t *index;
	} u;
} jv;

typedef struct jdoc jdoc;

/* Parses data[0..len) as json_loadb(data, len, flags, err) would; NULL
 * with *err filled when jansson would refuse it. */
jdoc *jdoc_load(const char *data, size_t len, size_t flags, json_error_t *err);
/* The nodes of a jansson tree; takes the reference (tests build trees
 * jansson would not read from text). NULL when out of memory. */
jdoc *jdoc_from_tree(json_t *tree);
void jdoc_free(jdoc *d);
const jv *jdoc_root(const jdoc *d);
/* Whether the document was read by the fast path (for tests). */
bool jdoc_was_fast(const jdoc *d);
/* A string value of d as writable bytes (v->size of them, and its NUL),
 * for a caller that decodes it where it lies, after which the node must
 * not be read again; NULL when d does not own the bytes (jansson's tree
 * does). */
char *jdoc_string_bytes(jdoc *d, const jv *v);

/* The member of obj whose key is exactly key (a Go map's lookup), or NULL.
 * A JSON null is returned as a node. */
const jv *jv_object_get(const jv *obj, const char *key);

/* Whether two values are the same node for node: types, keys, values and
 * the fold marks (the fast path and jansson's tree must agree). */
bool jv_equal(const jv *a, const jv *b);

#define JDOC_INDEX_MIN 8

/* The slots of an object's index: a power of two, at least twice size. */
static inline size_t jdoc_index_cap(uint32_t size)
{
	size_t cap = 16;
	while (cap < (size_t)size * 2)
		cap *= 2;
	return cap;
}

/* Reads one folded unit at *p, as Go's encoding/json matches keys to
 * field names: an ASCII byte lowered, or the two non-ASCII runes whose
 * simple fold orbit holds an ASCII letter (U+017F LATIN SMALL LONG S ->
 * 's', U+212A KELVIN SIGN -> 'k'). Any other byte is returned as it is,
 * which never equals an ASCII letter of a field name. Advances *p. The one
 * definition of folding: key hashes, the ambiguity marks and gojson's
 * comparisons all use it. */
static inline unsigned char jdoc_fold_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	if (s[0] == 0xc5 && s[1] == 0xbf) {
		*p += 2;
		return 's';
	}
	if (s[0] == 0xe2 && s[1] == 0x84 && s[2] == 0xaa) {
		*p += 3;
		return 'k';
	}
	*p += 1;
	return (s[0] >= 'A' && s[0] <= 'Z') ? (unsigned char)(s[0] + 32) : s[0];
}

/* A hash of the key folded as Go's encoding/json matches field names
 * (ASCII case, U+017F -> s, U+212A -> k): keys that fold together hash
 * alike. The _n form takes the length (key[len] must be NUL). */
uint64_t jdoc_fold_hash(const char *key);
uint64_t jdoc_fold_hash_n(const char *key, size_t len);

/* For tests: how many bytes of p[0..len) the AVX2 step of a string scan
 * passes over as plain text (0 without AVX2). The 16-byte step after it
 * would scan whatever it left, right but slower. */
size_t jdoc_avx2_run(const char *p, size_t len);

#define jv_is_null(v) ((v)->type == JV_NULL)
#define jv_is_boolean(v) ((v)->type == JV_TRUE || (v)->type == JV_FALSE)
#define jv_is_true(v) ((v)->type == JV_TRUE)
#define jv_is_integer(v) ((v)->type == JV_INT)
#define jv_is_string(v) ((v)->type == JV_STRING)
#define jv_is_array(v) ((v)->type == JV_ARRAY)
#define jv_is_object(v) ((v)->type == JV_OBJECT)

/* Every member e of an array or object v, i counting from 0. */
#define jv_foreach(v, i, e)                                                    \
	for ((i) = 0, (e) = (v) + 1; (i) < (v)->size; (i)++, (e) += (e)->span)

#endif
