/* arena suite: what an arena hands out is aligned, zeroed, its own, and
 * survives every later allocation until arena_free; arena_grow keeps a
 * list's elements while it doubles. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "suites.h"

/* How many bytes from p on, of n, are c. */
static size_t span_of(const unsigned char *p, size_t n, unsigned char c)
{
	size_t k = 0;
	while (k < n && p[k] == c)
		k++;
	return k;
}

/* Many allocations of every size from 0 to 3 KiB (past a block), each
 * filled with its own byte, then all checked: none overlaps another. */
START_TEST(test_many_sizes)
{
	struct arena a = ARENA_INIT;
	enum { COUNT = 3000 };
	unsigned char *p[COUNT];
	size_t n[COUNT];

	for (size_t i = 0; i < COUNT; i++) {
		n[i] = (i * 7919) % 3072;
		p[i] = arena_alloc(&a, n[i]);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % 16, 0);
		ck_assert_msg(span_of(p[i], n[i], 0) == n[i], "allocation %zu not zeroed", i);
		memset(p[i], (int)(i & 0xff), n[i]);
	}
	for (size_t i = 0; i < COUNT; i++) {
		size_t k = span_of(p[i], n[i], (unsigned char)(i & 0xff));
		ck_assert_msg(k == n[i], "allocation %zu (%zu bytes) overwritten at %zu",
		              i, n[i], k);
	}
	arena_free(&a);
	ck_assert_ptr_null(a.head);
	/* Empty again, and usable. */
	char *s = arena_strdup(&a, "again");
	ck_assert_str_eq(s, "again");
	arena_free(&a);
}
END_TEST

START_TEST(test_strings)
{
	struct arena a = ARENA_INIT;
	char big[5000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_str_eq(arena_strdup(&a, ""), "");
	ck_assert_str_eq(arena_strdup(&a, "local/busybox:1"), "local/busybox:1");
	ck_assert_str_eq(arena_strndup(&a, "/srv/data:/data:ro", 9), "/srv/data");
	ck_assert_str_eq(arena_strndup(&a, "abc", 0), "");
	char *b = arena_strdup(&a, big);
	ck_assert_uint_eq(strlen(b), sizeof big - 1);
	ck_assert_int_eq(memcmp(b, big, sizeof big), 0);
	ck_assert_ptr_null(arena_alloc(&a, SIZE_MAX));
	ck_assert_ptr_null(arena_alloc(&a, SIZE_MAX - 8));
	ck_assert_ptr_null(arena_strndup(&a, "x", SIZE_MAX));
	arena_free(&a);
}
END_TEST

/* A list appended one element at a time keeps every element, and is
 * copied only when it reaches a power of two (4, 8, 16, ...). */
START_TEST(test_grow)
{
	struct arena a = ARENA_INIT;
	size_t *v = NULL, copies = 0;

	for (size_t n = 0; n < 5000; n++) {
		size_t *before = v;
		ck_assert_int_eq(arena_grow(&a, (void **)&v, n, sizeof *v), 0);
		if (v != before) {
			copies++;
			ck_assert_msg(n == 0 || (n >= 4 && (n & (n - 1)) == 0),
			              "copied at %zu", n);
		}
		v[n] = n * 3;
		if (n % 997 == 0) /* other allocations in between */
			ck_assert_ptr_nonnull(arena_strdup(&a, "between"));
	}
	for (size_t n = 0; n < 5000; n++)
		ck_assert_uint_eq(v[n], n * 3);
	ck_assert_uint_eq(copies, 12); /* 4, 8, ..., 8192 */
	void *w = v;
	ck_assert_int_eq(arena_grow(&a, &w, SIZE_MAX / 2 + 1, 4), -1);
	ck_assert_ptr_eq(w, v);
	arena_free(&a);
}
END_TEST

Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, test_many_sizes);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_grow);
	suite_add_tcase(s, tc);
	return s;
}
