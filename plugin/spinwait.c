/* spinwait: adaptive spinning before a worker's epoll_wait sleeps (see
 * spinwait.h). */
#include <dlfcn.h>
#include <limits.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "spinwait.h"

/* One per daemon thread (SPINWAIT_SLOTS). The default thread count is the
 * number of CPUs: a daemon past the last slot just sleeps. Each slot has a
 * cache line of its own, as its worker writes it under load. */
struct slot {
	alignas(64) atomic_int key; /* the descriptor + 1; 0: free */
	atomic_bool spin;   /* requests have come within the window */
	atomic_ulong polls; /* non-blocking polls made while spinning */
};

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);

static struct slot slots[SPINWAIT_SLOTS];
/* Read by every call, written only when set up: a line of their own. */
static struct {
	alignas(64) atomic_uint used; /* slots[0..used) taken at some time */
	atomic_uint window_ns;
	_Atomic(epoll_wait_fn) next; /* the C library's epoll_wait */
} g;

static int raw_epoll_wait(int epfd, struct epoll_event *ev, int max,
                          int timeout)
{
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, NULL, 0);
}

static epoll_wait_fn libc_epoll_wait(void)
{
	epoll_wait_fn f = atomic_load_explicit(&g.next, memory_order_relaxed);
	if (f == NULL) {
		void *sym = dlsym(RTLD_NEXT, "epoll_wait");
		f = sym != NULL ? (epoll_wait_fn)sym : raw_epoll_wait;
		atomic_store_explicit(&g.next, f, memory_order_relaxed);
	}
	return f;
}

void spinwait_set_us(unsigned us)
{
	if (us > SPINWAIT_MAX_US)
		us = SPINWAIT_MAX_US;
	atomic_store(&g.window_ns, us * 1000u);
}

unsigned spinwait_us(void)
{
	return atomic_load(&g.window_ns) / 1000u;
}

/* A slot's key for epfd, 0 (no slot's) for one that cannot be a
 * descriptor. */
static int key_of(int epfd)
{
	return epfd < 0 || epfd == INT_MAX ? 0 : epfd + 1;
}

bool spinwait_add(int epfd)
{
	int key = key_of(epfd);
	if (key == 0)
		return false;
	for (unsigned i = 0; i < SPINWAIT_SLOTS; i++) {
		int free_key = 0;
		if (atomic_compare_exchange_strong(&slots[i].key, &free_key, key)) {
			atomic_store(&slots[i].spin, true);
			unsigned u = atomic_load(&g.used);
			while (u < i + 1 &&
			       !atomic_compare_exchange_weak(&g.used, &u, i + 1))
				;
			return true;
		}
	}
	return false;
}

void spinwait_remove(int epfd)
{
	int key = key_of(epfd);
	unsigned n = key != 0 ? atomic_load(&g.used) : 0;
	for (unsigned i = 0; i < n; i++) {
		int k = key;
		if (atomic_compare_exchange_strong(&slots[i].key, &k, 0))
			return;
	}
}

unsigned long spinwait_polls(void)
{
	unsigned long sum = 0;
	unsigned n = atomic_load(&g.used);
	for (unsigned i = 0; i < n; i++)
		sum += atomic_load_explicit(&slots[i].polls, memory_order_relaxed);
	return sum;
}

static struct slot *slot_of(int epfd)
{
	int key = key_of(epfd);
	unsigned n =
	    key != 0 ? atomic_load_explicit(&g.used, memory_order_acquire) : 0;
	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&slots[i].key, memory_order_relaxed) == key)
			return &slots[i];
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether a wait's events include a request: input on a descriptor that
 * has not hung up. The client's read of each reply frees room in the
 * socket, an EPOLLOUT edge a few microseconds later, and a client that
 * closes after its reply makes a hang-up: neither says when the next
 * request comes, and neither turns polling back on. */
static bool any_input(const struct epoll_event *ev, int n)
{
	const uint32_t gone = EPOLLHUP | EPOLLRDHUP | EPOLLERR;
	for (int i = 0; i < n; i++)
		if ((ev[i].events & (EPOLLIN | EPOLLPRI)) && !(ev[i].events & gone))
			return true;
	return false;
}

static void set_spin(struct slot *s, bool on)
{
	if (atomic_load_explicit(&s->spin, memory_order_relaxed) != on)
		atomic_store_explicit(&s->spin, on, memory_order_relaxed);
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	epoll_wait_fn wait = libc_epoll_wait();
	unsigned w = atomic_load_explicit(&g.window_ns, memory_order_relaxed);
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
			/* No sched_yield between polls: a yielding poller is
			 * runnable but not running when its request comes, and
			 * waits out another thread's time slice (0.75 ms) where
			 * a sleeper would be woken first. That doubled p99 at 16
			 * connections with a 50 us window; a short window that
			 * holds the CPU did not. */
			if (r != 0 || now_ns() - start >= w)
				break;
		}
		atomic_fetch_add_explicit(&s->polls, n, memory_order_relaxed);
		if (r != 0)
			return r;
		/* Nothing within the window: sleep at once from now on,
		 * until a request comes within it again. The timeout runs
		 * late by the window at most, and libmicrohttpd's are
		 * seconds. */
		set_spin(s, false);
	}
	/* Nothing below runs on an error: errno is the wait's. */
	int r = wait(epfd, ev, max, timeout);
	if (r > 0 && any_input(ev, r) && now_ns() - start < w)
		set_spin(s, true);
	return r;
}
