/* gojson: read jdoc values the way Go's encoding/json fills a struct.
 *
 * Go matches an object key to a field name case-insensitively, with Unicode
 * simple folding: "ſ" (U+017F) matches 's' and "K" (U+212A) matches 'k'.
 * When two keys fold to the same name, the last one wins in Go; a JSON
 * library that looks keys up exactly would read the first. We refuse to
 * guess: an object whose keys collide after folding is ambiguous. */
#ifndef DOCKGATE_GOJSON_H
#define DOCKGATE_GOJSON_H

#include "jdoc.h"
#include <stdbool.h>
#include <stdint.h>

enum gojson_status {
	GOJSON_OK = 0,
	GOJSON_ABSENT,    /* no key folds to the name (or its value is null) */
	GOJSON_AMBIGUOUS, /* two keys fold to the same name */
	GOJSON_BADTYPE,   /* present with a type Go would refuse to decode */
};

/* Folds a UTF-8 key as Go does for matching against ASCII field names.
 * Returns a new string with ASCII letters lowered, U+017F as 's' and U+212A
 * as 'k'; other bytes are kept as they are, so they never match. */
char *gojson_fold(const char *key);

/* Checks that no two keys of obj fold to the same name. Returns false and
 * sets *dup (borrowed from obj) to one of the colliding keys otherwise. */
bool gojson_unambiguous(const jv *obj, const char **dup);

/* Finds the value for field name in obj. On GOJSON_OK *out is borrowed from
 * obj. A JSON null counts as absent, as Go leaves the field zero. */
enum gojson_status gojson_get(const jv *obj, const char *name, const jv **out);

/* Typed getters: GOJSON_BADTYPE when the value is not what Go would accept
 * for a field of that type (for int64: an integer in range, no fraction). */
enum gojson_status gojson_get_string(const jv *obj, const char *name, const char **out);
enum gojson_status gojson_get_bool(const jv *obj, const char *name, bool *out);
enum gojson_status gojson_get_int64(const jv *obj, const char *name, int64_t *out);
/* An object field; also checks it is unambiguous (GOJSON_AMBIGUOUS). */
enum gojson_status gojson_get_object(const jv *obj, const char *name, const jv **out);

#endif
