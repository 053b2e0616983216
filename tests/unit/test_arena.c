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
 * copied only when it is full (at 4, 8, 16, ...); a list that starts
 * exactly full (room = n) grows on its next append. */
START_TEST(test_grow)
{
	struct arena a = ARENA_INIT;
	size_t *v = NULL, copies = 0, room = 0;

	for (size_t n = 0; n < 5000; n++) {
		size_t *before = v;
		v = arena_grow(&a, v, n, &room, sizeof *v);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_gt(room, n);
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
	size_t big = SIZE_MAX / 2 + 1, keep = big;
	ck_assert_ptr_null(arena_grow(&a, v, big, &keep, 4));
	ck_assert_uint_eq(keep, big);

	/* Three elements in exactly three slots, as get_strslice makes. */
	size_t *w = arena_alloc(&a, 3 * sizeof *w), wroom = 3;
	for (size_t i = 0; i < 3; i++)
		w[i] = i + 1;
	size_t *w2 = arena_grow(&a, w, 3, &wroom, sizeof *w);
	ck_assert_ptr_ne(w2, w);
	ck_assert_uint_eq(wroom, 6);
	w2[3] = 4;
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(w2[i], i + 1);
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
