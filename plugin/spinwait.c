/* spinwait: adaptive spinning before a worker's epoll_wait sleeps (see
 * spinwait.h). */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "spinwait.h"

/* One per daemon thread; --threads takes at most 256. */
#define SLOTS 256

struct slot {
	atomic_int key;     /* the descriptor + 1; 0: free */
	atomic_bool spin;   /* the last wait ended within the window */
};

static struct slot slots[SLOTS];
static atomic_uint used; /* slots[0..used) have been taken at some time */
static atomic_uint window_ns;
static atomic_ulong polls;

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
static _Atomic(epoll_wait_fn) next_epoll_wait;

static int raw_epoll_wait(int epfd, struct epoll_event *ev, int max,
                          int timeout)
{
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, NULL, 0);
}

static epoll_wait_fn libc_epoll_wait(void)
{
	epoll_wait_fn f = atomic_load_explicit(&next_epoll_wait,
	                                       memory_order_relaxed);
	if (f == NULL) {
		void *sym = dlsym(RTLD_NEXT, "epoll_wait");
		f = sym != NULL ? (epoll_wait_fn)sym : raw_epoll_wait;
		atomic_store_explicit(&next_epoll_wait, f, memory_order_relaxed);
	}
	return f;
}

void spinwait_set_us(unsigned us)
{
	if (us > SPINWAIT_MAX_US)
		us = SPINWAIT_MAX_US;
	atomic_store(&window_ns, us * 1000u);
}

unsigned spinwait_us(void)
{
	return atomic_load(&window_ns) / 1000u;
}

bool spinwait_add(int epfd)
{
	if (epfd < 0 || epfd == INT_MAX)
		return false;
	for (unsigned i = 0; i < SLOTS; i++) {
		int free_key = 0;
		if (atomic_compare_exchange_strong(&slots[i].key, &free_key,
		                                   epfd + 1)) {
			atomic_store(&slots[i].spin, true);
			unsigned u = atomic_load(&used);
			while (u < i + 1 &&
			       !atomic_compare_exchange_weak(&used, &u, i + 1))
				;
			return true;
		}
	}
	return false;
}

void spinwait_remove(int epfd)
{
	if (epfd < 0 || epfd == INT_MAX)
		return;
	unsigned n = atomic_load(&used);
	for (unsigned i = 0; i < n; i++) {
		int key = epfd + 1;
		if (atomic_compare_exchange_strong(&slots[i].key, &key, 0))
			return;
	}
}

unsigned long spinwait_polls(void)
{
	return atomic_load(&polls);
}

static struct slot *slot_of(int epfd)
{
	if (epfd < 0 || epfd == INT_MAX)
		return NULL;
	unsigned n = atomic_load_explicit(&used, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&slots[i].key, memory_order_relaxed) ==
		    epfd + 1)
			return &slots[i];
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	epoll_wait_fn wait = libc_epoll_wait();
	unsigned w = atomic_load_explicit(&window_ns, memory_order_relaxed);
	struct slot *s;
	if (timeout == 0 || w == 0 || (s = slot_of(epfd)) == NULL)
		return wait(epfd, ev, max, timeout);

	uint64_t start = now_ns();
	if (atomic_load_explicit(&s->spin, memory_order_relaxed)) {
		unsigned long n = 0;
		int r;
		for (;;) {
			r = wait(epfd, ev, max, 0);
			n++;
			if (r != 0 || now_ns() - start >= w)
				break;
			/* Another thread on this CPU (the client, say) may be
			 * the one about to send the next request. */
			sched_yield();
		}
		atomic_fetch_add_explicit(&polls, n, memory_order_relaxed);
		if (r != 0)
			return r;
		/* Nothing within the window: sleep at once from now on,
		 * until a wait ends within it again. The timeout runs late
		 * by the window at most, and libmicrohttpd's are seconds. */
		atomic_store_explicit(&s->spin, false, memory_order_relaxed);
	}
	int r = wait(epfd, ev, max, timeout);
	int saved = errno;
	if (r > 0 && now_ns() - start < w)
		atomic_store_explicit(&s->spin, true, memory_order_relaxed);
	errno = saved;
	return r;
}
