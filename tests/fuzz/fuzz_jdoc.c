/* libFuzzer target for jdoc: the in-place fast path against jansson. The
 * first byte picks the flags (the envelope's, a body's, and two others);
 * the rest is the document. Both readers must accept the same inputs,
 * read the same values node for node, and refuse with the same error text
 * and position. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t flag_sets[] = {
	    0,
	    JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
	    JSON_DISABLE_EOF_CHECK,
	    JSON_REJECT_DUPLICATES,
	};
	if (size == 0)
		return 0;
	size_t flags = flag_sets[data[0] % 4];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	json_error_t ferr, jerr;

	jdoc *d = jdoc_load(text, len, flags, &ferr);
	json_t *tree = json_loadb(text, len, flags, &jerr);
	if (tree == NULL) {
		if (d != NULL) {
			fprintf(stderr, "jdoc read what jansson refuses: %s\n", jerr.text);
			abort();
		}
		if (strcmp(ferr.text, jerr.text) != 0 || ferr.position != jerr.position) {
			fprintf(stderr, "errors differ: '%s' / '%s'\n", ferr.text,
			        jerr.text);
			abort();
		}
		return 0;
	}
	if (d == NULL) {
		fprintf(stderr, "jdoc refused what jansson reads: %s\n", ferr.text);
		abort();
	}
	jdoc *ref = jdoc_from_tree(tree);
	if (ref == NULL || !jv_equal(jdoc_root(d), jdoc_root(ref))) {
		fprintf(stderr, "jdoc and jansson read different values\n");
		abort();
	}
	jdoc_free(ref);
	jdoc_free(d);
	return 0;
}
