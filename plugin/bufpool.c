/* bufpool: per-thread reuse of large buffers (see bufpool.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"

#define SLOTS 8
/* Small objects of a fixed size (a document's header, a request's state
 * and record): a request makes four. */
#define EXACT_SLOTS 6

#if defined(__SANITIZE_ADDRESS__)
#define POOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_OFF 1
#endif
#endif
#ifndef POOL_OFF
#define POOL_OFF 0
#endif

struct slot {
	void *p;
	size_t cap;
};

struct pool {
	struct slot big[SLOTS];
	struct slot exact[EXACT_SLOTS];
	unsigned evict; /* the exact slot a put frees next when all are full */
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;
/* This thread's slots, once made: a get and a put are on every request's
 * path, and pthread_once with pthread_getspecific cost more than the
 * search. The key is only there for its destructor. */
static __thread struct pool *mine;

/* A thread's buffers go when it ends; the main thread's stay reachable
 * until the process exits. */
static void pool_free(void *v)
{
	struct pool *s = v;
	for (int i = 0; i < SLOTS; i++)
		free(s->big[i].p);
	for (int i = 0; i < EXACT_SLOTS; i++)
		free(s->exact[i].p);
	free(s);
	/* A later destructor of this thread that puts a buffer makes a
	 * new pool (pthread runs destructors again). */
	mine = NULL;
}

static void pool_init(void)
{
	ready = pthread_key_create(&key, pool_free) == 0;
}

static struct pool *pool(void)
{
	if (POOL_OFF)
		return NULL;
	if (mine != NULL)
		return mine;
	pthread_once(&once, pool_init);
	if (!ready)
		return NULL;
	struct pool *s = calloc(1, sizeof *s);
	if (s != NULL && pthread_setspecific(key, s) != 0) {
		free(s);
		s = NULL;
	}
	return mine = s;
}

void *bufpool_get(size_t need, size_t *cap)
{
	struct pool *ps = pool();
	struct slot *s = ps != NULL ? ps->big : NULL;
	int best = -1;
	for (int i = 0; s != NULL && i < SLOTS; i++)
		if (s[i].p != NULL && s[i].cap >= need &&
		    (best < 0 || s[i].cap < s[best].cap))
			best = i;
	if (best < 0)
		return NULL;
	void *p = s[best].p;
	*cap = s[best].cap;
	s[best].p = NULL;
	s[best].cap = 0;
	return p;
}

void bufpool_put(void *p, size_t cap)
{
	if (p == NULL)
		return;
	struct pool *ps = cap <= BUFPOOL_MAX ? pool() : NULL;
	struct slot *s = ps != NULL ? ps->big : NULL;
	for (int i = 0; s != NULL && i < SLOTS; i++) {
		if (s[i].p == NULL) {
			s[i].p = p;
			s[i].cap = cap;
			return;
		}
	}
	free(p);
}

void *bufpool_get_exact(size_t size)
{
	struct pool *ps = pool();
	for (int i = 0; ps != NULL && i < EXACT_SLOTS; i++) {
		struct slot *e = &ps->exact[i];
		if (e->p != NULL && e->cap == size) {
			void *p = e->p;
			e->p = NULL;
			e->cap = 0;
			return p;
		}
	}
	return NULL;
}

void *bufpool_calloc_exact(size_t size)
{
	void *p = bufpool_get_exact(size);
	if (p == NULL)
		return calloc(1, size);
	memset(p, 0, size);
	return p;
}

void bufpool_put_exact(void *p, size_t size)
{
	if (p == NULL)
		return;
	struct pool *ps = pool();
	if (ps == NULL) {
		free(p);
		return;
	}
	struct slot *e = NULL;
	for (int i = 0; i < EXACT_SLOTS && e == NULL; i++)
		if (ps->exact[i].p == NULL)
			e = &ps->exact[i];
	if (e == NULL) {
		/* All taken (by other sizes, perhaps): the newest object is
		 * the likelier to be wanted again. */
		e = &ps->exact[ps->evict];
		ps->evict = (ps->evict + 1) % EXACT_SLOTS;
		free(e->p);
	}
	e->p = p;
	e->cap = size;
}

int bufpool_active(void)
{
	return !POOL_OFF;
}
