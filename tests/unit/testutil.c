/* Helpers shared by the unit suites. */
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	ck_assert_msg(!ferror(f), "cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

json_t *test_jv_json(const jv *v)
{
	const jv *e;
	uint32_t i;
	json_t *o;

	switch (v->type) {
	case JV_NULL:
		return json_null();
	case JV_TRUE:
		return json_true();
	case JV_FALSE:
		return json_false();
	case JV_INT:
		return json_integer(v->u.i);
	case JV_REAL:
		return json_real(v->u.r);
	case JV_STRING:
		return json_stringn_nocheck(v->u.s, v->size);
	case JV_ARRAY:
		o = json_array();
		jv_foreach(v, i, e) json_array_append_new(o, test_jv_json(e));
		return o;
	default:
		o = json_object();
		jv_foreach(v, i, e) json_object_set_new_nocheck(o, e->key, test_jv_json(e));
		return o;
	}
}

void test_random_text(char *buf, size_t n, const unsigned char *alpha,
                      size_t nalpha, unsigned span, unsigned *seed)
{
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		unsigned r = (*seed >> 16) % span;
		buf[i] = (char)(r < nalpha ? alpha[r] : 'a' + r % 26);
	}
	buf[n] = '\0';
}
