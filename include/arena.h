/* arena: many small allocations freed together.
 *
 * A decoded request holds a few dozen short strings and arrays (an image
 * name, namespace modes, capability lists, host paths), each malloc'd and
 * freed one by one: a create paid some thirty frees. An arena carves them
 * from a few blocks and frees the blocks. Under AddressSanitizer every
 * allocation is a block of its own, so overruns are still caught. */
#ifndef DOCKGATE_ARENA_H
#define DOCKGATE_ARENA_H

#include <stddef.h>

struct arena_blk;

struct arena {
	struct arena_blk *head; /* the newest block, the one carved from */
};

#define ARENA_INIT {NULL}

/* n bytes aligned for any type, zeroed; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies of s, and of its first n bytes, ending in NUL. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Room for n + 1 elements of size elem in the array v of n, whose room is
 * *room elements (0 for NULL): v itself while n < *room, else a copy in
 * a's memory with twice the room (4 at first), *room updated, so that n
 * appends copy O(n) in all. Returns the array to use, or NULL when out of
 * memory (v and *room unchanged). */
void *arena_grow(struct arena *a, void *v, size_t n, size_t *room,
                 size_t elem);
/* Frees every block; the arena is empty and may be used again. */
void arena_free(struct arena *a);

#endif
