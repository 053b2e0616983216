/* bufpool: large buffers kept per thread from one request to the next.
 *
 * A decision allocates a few buffers of some KiB (the request body, the
 * documents' node arrays and text copies), which glibc serves from its
 * large-chunk path on every request, in memory that arrives cold. Each
 * thread keeps the last few such buffers and hands them out again. Off
 * under AddressSanitizer, so a use after free is still caught there. */
#ifndef DOCKGATE_BUFPOOL_H
#define DOCKGATE_BUFPOOL_H

#include <stddef.h>

/* The largest buffer kept; larger ones are simply freed. */
#define BUFPOOL_MAX (256u * 1024)

/* A buffer of at least need bytes from this thread's pool (the smallest
 * that fits), its size in *cap; NULL when none fits, and the caller
 * allocates. What it returns is malloc'd memory: free() or realloc() may
 * take it, or bufpool_put. */
void *bufpool_get(size_t need, size_t *cap);
/* Keeps p (cap bytes, malloc'd) for this thread, or frees it when the
 * pool is full or p is larger than BUFPOOL_MAX. p may be NULL. */
void bufpool_put(void *p, size_t cap);

/* The same for small objects of one size: a malloc'd object of exactly
 * size bytes (contents as left), or NULL; and keeping one (p may be
 * NULL), in place of the oldest kept when the few slots are full. */
void *bufpool_get_exact(size_t size);
void bufpool_put_exact(void *p, size_t size);
/* A zeroed object of size bytes: a kept one cleared, else calloc's; NULL
 * when out of memory. */
void *bufpool_calloc_exact(size_t size);

/* False when built with AddressSanitizer: every get is then NULL and
 * every put a free. */
int bufpool_active(void);

#endif
