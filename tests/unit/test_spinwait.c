/* spinwait suite: a registered epoll descriptor polls before it blocks
 * while input comes within the window, stops polling once a spin finds
 * nothing, and starts again only after input ends a wait within the
 * window (not after output readiness, nor after input that came late);
 * other descriptors, a zero window and zero timeouts never poll; events,
 * errors and timeouts come back as the C library gives them. Counts the
 * polls through spinwait_polls. Time enters where a timeout must still be
 * waited out, and where a wait that returns at once (an event already
 * pending) is taken to end within the 1 ms window. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "spinwait.h"
#include "suites.h"

/* An epoll set holding one eventfd, readable once poked. */
struct rig {
	int ep, ev;
};

static void rig_open(struct rig *r)
{
	r->ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->ev, 0);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(r->ep, 0);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x5eedf00dULL};
	ck_assert_int_eq(epoll_ctl(r->ep, EPOLL_CTL_ADD, r->ev, &e), 0);
}

static void rig_poke(const struct rig *r)
{
	uint64_t one = 1;
	ck_assert_int_eq(write(r->ev, &one, sizeof one), (ssize_t)sizeof one);
}

static void rig_drain(const struct rig *r)
{
	uint64_t v;
	ck_assert_int_eq(read(r->ev, &v, sizeof v), (ssize_t)sizeof v);
}

static void rig_close(struct rig *r)
{
	spinwait_remove(r->ep);
	close(r->ep);
	close(r->ev);
	spinwait_set_us(0);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000LL;
}

/* One wait of up to timeout_ms; returns what epoll_wait did and adds the
 * polls it made to *polls. */
static int wait_once(const struct rig *r, int timeout_ms, unsigned long *polls,
                     struct epoll_event *e)
{
	unsigned long before = spinwait_polls();
	int n = epoll_wait(r->ep, e, 1, timeout_ms);
	*polls = spinwait_polls() - before;
	return n;
}

/* With input pending, the last wait ended at once, so the next one polls
 * (and finds it on the first poll). A preemption of over a millisecond on
 * a loaded machine can make "at once" late; then that wait, which did not
 * poll, was another that ended at once, and the next is tried. */
static void expect_polling_back(const struct rig *r)
{
	struct epoll_event e;
	unsigned long polls = 0;
	for (int i = 0; i < 20 && polls == 0; i++)
		ck_assert_int_eq(wait_once(r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 1);
}

/* A registered rig whose polling a spin that found nothing turned off. */
static void rig_open_off(struct rig *r)
{
	struct epoll_event e;
	unsigned long polls;
	rig_open(r);
	spinwait_set_us(SPINWAIT_MAX_US);
	ck_assert(spinwait_add(r->ep));
	ck_assert_int_eq(wait_once(r, 10, &polls, &e), 0);
	ck_assert_uint_ge(polls, 1);
}

START_TEST(test_unregistered_never_polls)
{
	struct rig r;
	struct epoll_event e;
	unsigned long polls;
	rig_open(&r);
	spinwait_set_us(SPINWAIT_MAX_US);
	/* Nothing ready: it sleeps the whole timeout, without polling. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(wait_once(&r, 30, &polls, &e), 0);
	ck_assert_int_ge(ms_since(&t0), 25);
	ck_assert_uint_eq(polls, 0);
	/* Ready: returned, still without polling. */
	rig_poke(&r);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	rig_close(&r);
}
END_TEST

START_TEST(test_registered_polls_first)
{
	struct rig r;
	struct epoll_event e = {0};
	unsigned long polls;
	rig_open(&r);
	spinwait_set_us(SPINWAIT_MAX_US);
	ck_assert(spinwait_add(r.ep));
	/* A ready event is found by the first poll, and is the right one. */
	rig_poke(&r);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 1);
	ck_assert(e.events & EPOLLIN);
	ck_assert_uint_eq(e.data.u64, 0x5eedf00dULL);
	/* A zero timeout is the caller's own poll: passed through. */
	ck_assert_int_eq(wait_once(&r, 0, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	rig_drain(&r);
	ck_assert_int_eq(wait_once(&r, 0, &polls, &e), 0);
	ck_assert_uint_eq(polls, 0);
	rig_close(&r);
}
END_TEST

START_TEST(test_adaptive)
{
	struct rig r;
	struct epoll_event e;
	unsigned long polls;
	struct timespec t0;
	rig_open(&r);
	spinwait_set_us(SPINWAIT_MAX_US);
	ck_assert(spinwait_add(r.ep));

	/* Nothing comes: it polls, then sleeps out the timeout. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(wait_once(&r, 40, &polls, &e), 0);
	ck_assert_int_ge(ms_since(&t0), 35);
	ck_assert_uint_ge(polls, 1);
	/* That wait took longer than the window: the next sleeps at once,
	 * even with an event ready. */
	rig_poke(&r);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	/* That one ended at once, well within the window: polling again. */
	expect_polling_back(&r);
	rig_drain(&r);

	/* A spin that finds nothing turns it off again, and a wait that
	 * times out leaves it off. */
	ck_assert_int_eq(wait_once(&r, 20, &polls, &e), 0);
	ck_assert_uint_ge(polls, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(wait_once(&r, 20, &polls, &e), 0);
	ck_assert_uint_eq(polls, 0);
	ck_assert_int_ge(ms_since(&t0), 15);
	rig_close(&r);
}
END_TEST

/* A thread that pokes a rig after a delay. */
struct poke {
	const struct rig *r;
	useconds_t after_us;
	pthread_t t;
};

static void *poke_run(void *arg)
{
	const struct poke *p = arg;
	usleep(p->after_us);
	rig_poke(p->r);
	return NULL;
}

static void poke_start(struct poke *p, const struct rig *r, useconds_t us)
{
	p->r = r;
	p->after_us = us;
	ck_assert_int_eq(pthread_create(&p->t, NULL, poke_run, p), 0);
}

START_TEST(test_late_input_keeps_sleeping)
{
	struct rig r;
	struct epoll_event e;
	unsigned long polls;
	struct poke pk;
	rig_open_off(&r);
	/* A request that comes after the 1 ms window ends a sleep... */
	poke_start(&pk, &r, 5000);
	ck_assert_int_eq(wait_once(&r, 10000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	pthread_join(pk.t, NULL);
	/* ...and leaves polling off: the next wait does not poll, even for
	 * an event already there. */
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	rig_close(&r);
}
END_TEST

START_TEST(test_output_only_keeps_sleeping)
{
	/* After each reply, the client's read of it makes the socket
	 * writable again: an EPOLLOUT event microseconds later. It must not
	 * turn polling back on, or every lone request would cost a window
	 * of polls. */
	struct rig r;
	struct epoll_event e;
	unsigned long polls;
	rig_open_off(&r);
	/* An eventfd is always writable: a wait that ends at once. */
	int out = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(out, 0);
	struct epoll_event oe = {.events = EPOLLOUT, .data.u64 = 7};
	ck_assert_int_eq(epoll_ctl(r.ep, EPOLL_CTL_ADD, out, &oe), 0);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	ck_assert_uint_eq(e.events, EPOLLOUT);
	ck_assert_int_eq(epoll_ctl(r.ep, EPOLL_CTL_DEL, out, NULL), 0);
	close(out);
	/* Still off: input already there is returned without a poll, and
	 * since that wait ended at once, polling is back on after it. */
	rig_poke(&r);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	expect_polling_back(&r);
	/* A negative timeout (wait for ever) polls the same way. */
	ck_assert_int_eq(wait_once(&r, -1, &polls, &e), 1);
	ck_assert_uint_eq(polls, 1);
	rig_close(&r);
}
END_TEST


START_TEST(test_hangup_keeps_sleeping)
{
	/* A client that closes after its reply: its hang-up (input and
	 * EPOLLHUP) does not turn polling back on. */
	struct rig r;
	struct epoll_event e;
	unsigned long polls;
	int sp[2];
	rig_open_off(&r);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	struct epoll_event he = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = 9};
	ck_assert_int_eq(epoll_ctl(r.ep, EPOLL_CTL_ADD, sp[0], &he), 0);
	close(sp[1]);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	ck_assert(e.events & EPOLLRDHUP);
	ck_assert_int_eq(epoll_ctl(r.ep, EPOLL_CTL_DEL, sp[0], NULL), 0);
	close(sp[0]);
	/* Still off. */
	rig_poke(&r);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	rig_close(&r);
}
END_TEST

START_TEST(test_event_from_another_thread)
{
	struct rig r;
	struct epoll_event e = {0};
	unsigned long polls;
	struct timespec t0;
	rig_open(&r);
	spinwait_set_us(SPINWAIT_MAX_US);
	ck_assert(spinwait_add(r.ep));
	/* The event arrives while the waiter polls or sleeps: either way
	 * the waiter gets it, long before its timeout. */
	for (int i = 0; i < 20; i++) {
		struct poke pk;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		poke_start(&pk, &r, 300);
		ck_assert_int_eq(wait_once(&r, 10000, &polls, &e), 1);
		ck_assert_uint_eq(e.data.u64, 0x5eedf00dULL);
		ck_assert_int_lt(ms_since(&t0), 5000);
		pthread_join(pk.t, NULL);
		rig_drain(&r);
	}
	rig_close(&r);
}
END_TEST

START_TEST(test_off_and_removed)
{
	struct rig r;
	struct epoll_event e;
	unsigned long polls;
	rig_open(&r);
	ck_assert(spinwait_add(r.ep));
	rig_poke(&r);
	/* A zero window: no polling. */
	spinwait_set_us(0);
	ck_assert_uint_eq(spinwait_us(), 0);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	/* Clamped, and on. */
	spinwait_set_us(SPINWAIT_MAX_US * 10);
	ck_assert_uint_eq(spinwait_us(), SPINWAIT_MAX_US);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 1);
	/* Removed: no polling. */
	spinwait_remove(r.ep);
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 0);
	/* Registered again, in the slot it left. */
	ck_assert(spinwait_add(r.ep));
	ck_assert_int_eq(wait_once(&r, 1000, &polls, &e), 1);
	ck_assert_uint_eq(polls, 1);
	rig_close(&r);
	/* Nonsense descriptors are refused or ignored. */
	ck_assert(!spinwait_add(-1));
	spinwait_remove(-1);
}
END_TEST

START_TEST(test_error_passed_through)
{
	/* A registered descriptor that is not an epoll set: the poll's
	 * error is what the caller gets, errno included. */
	int p[2];
	struct epoll_event e;
	ck_assert_int_eq(pipe(p), 0);
	spinwait_set_us(SPINWAIT_MAX_US);
	ck_assert(spinwait_add(p[0]));
	unsigned long before = spinwait_polls();
	errno = 0;
	ck_assert_int_eq(epoll_wait(p[0], &e, 1, 1000), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(spinwait_polls() - before, 1);
	spinwait_remove(p[0]);
	errno = 0;
	ck_assert_int_eq(epoll_wait(p[0], &e, 1, 1000), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(p[0]);
	close(p[1]);
	spinwait_set_us(0);
}
END_TEST

START_TEST(test_slots_run_out)
{
	/* Every slot taken: the next is refused (the daemon then just
	 * sleeps), and freeing one makes room. */
	int n = 0;
	while (n < 100000 && spinwait_add(1000000 + n))
		n++;
	ck_assert_int_eq(n, SPINWAIT_SLOTS);
	ck_assert(!spinwait_add(2000000));
	spinwait_remove(1000000 + n / 2);
	ck_assert(spinwait_add(2000000));
	spinwait_remove(2000000);
	for (int i = 0; i < n; i++)
		spinwait_remove(1000000 + i);
	ck_assert(spinwait_add(2000000));
	spinwait_remove(2000000);
}
END_TEST

Suite *spinwait_suite(void)
{
	Suite *s = suite_create("spinwait");
	TCase *tc = tcase_create("spinwait");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unregistered_never_polls);
	tcase_add_test(tc, test_registered_polls_first);
	tcase_add_test(tc, test_adaptive);
	tcase_add_test(tc, test_late_input_keeps_sleeping);
	tcase_add_test(tc, test_output_only_keeps_sleeping);
	tcase_add_test(tc, test_hangup_keeps_sleeping);
	tcase_add_test(tc, test_event_from_another_thread);
	tcase_add_test(tc, test_off_and_removed);
	tcase_add_test(tc, test_error_passed_through);
	tcase_add_test(tc, test_slots_run_out);
	suite_add_tcase(s, tc);
	return s;
}
