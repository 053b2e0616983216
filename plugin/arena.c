/* arena: see arena.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_EXACT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_EXACT 1
#endif
#endif
#ifndef ARENA_EXACT
#define ARENA_EXACT 0
#endif

#define ALIGN 16u

struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	_Alignas(ALIGN) unsigned char data[];
};

/* Enough for a usual create's strings in one block of 1 KiB. */
#define FIRST_BLOCK (1024u - sizeof(struct arena_blk))

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_blk *b = a->head;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	if (need < n)
		return NULL; /* n near SIZE_MAX */
	if (ARENA_EXACT || b == NULL || b->cap - b->used < need) {
		/* Exactly n under ASan, so that a byte past it is caught: the
		 * header keeps the data aligned. */
		size_t cap = ARENA_EXACT ? n
		             : b == NULL ? FIRST_BLOCK
		                         : b->cap * 2;
		if (!ARENA_EXACT && cap < need)
			cap = need;
		if (cap > SIZE_MAX - sizeof *b)
			return NULL;
		struct arena_blk *nb = malloc(sizeof *nb + cap);
		if (nb == NULL)
			return NULL;
		nb->next = b;
		nb->used = 0;
		nb->cap = cap;
		a->head = b = nb;
	}
	void *p = b->data + b->used;
	b->used = ARENA_EXACT ? b->cap : b->used + need;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = n + 1 > n ? arena_alloc(a, n + 1) : NULL;
	if (p != NULL)
		memcpy(p, s, n); /* the NUL is already there */
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void *arena_grow(struct arena *a, void *v, size_t n, size_t *room,
                 size_t elem)
{
	if (n < *room)
		return v;
	size_t more = n < 2 ? 4 : n * 2;
	if (more < n || (elem != 0 && more > SIZE_MAX / elem))
		return NULL;
	void *nv = arena_alloc(a, more * elem);
	if (nv == NULL)
		return NULL;
	if (n > 0)
		memcpy(nv, v, n * elem);
	*room = more;
	return nv;
}

void arena_free(struct arena *a)
{
	struct arena_blk *b = a->head;
	while (b != NULL) {
		struct arena_blk *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}
