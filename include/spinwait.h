/* spinwait: a worker under load looks for its next request for a few
 * microseconds before it sleeps.
 *
 * Each libmicrohttpd daemon sleeps in epoll_wait(2) between requests. Under
 * load the next request comes a few microseconds after the last reply, and
 * the sleep then costs more than it saves: the wake-up (an inter-processor
 * interrupt, a context switch) falls on the request's path, and on a busy
 * two-core host about a tenth of the CPU went idle in those gaps
 * (doc/benchmarks-notes.md). This module defines epoll_wait for the whole
 * program, in front of the C library's. For an epoll descriptor registered
 * here, a call that would block first polls it without blocking, back to
 * back, for up to the window; only then does it block. The window is
 * short (10 us by default): the poller holds its CPU meanwhile, which is
 * what keeps it first in line when the request comes.
 *
 * The spin is adaptive: a descriptor spins only while requests come
 * within the window of the wait before them. Once a spin finds nothing,
 * the descriptor sleeps at once until a request ends a wait within the
 * window (not the "ready to write" that follows each reply, nor a
 * hang-up). A burst of requests therefore costs a window or two of polls
 * after its last one, and a lone request on a kept-alive connection, such
 * as dockerd's calls milliseconds apart, costs none; nor does an idle
 * daemon. A new connection whose request is already there when it is
 * added can turn polling on: a window or two again.
 *
 * Every other descriptor, and every call with a zero timeout, goes straight
 * to the C library. */
#ifndef DOCKGATE_SPINWAIT_H
#define DOCKGATE_SPINWAIT_H

#include <stdbool.h>

/* Descriptors that can be registered at once. */
#define SPINWAIT_SLOTS 256
/* The longest window accepted, in microseconds. */
#define SPINWAIT_MAX_US 1000u

/* Sets the window for every registered descriptor (clamped to
 * SPINWAIT_MAX_US); 0 turns spinning off. */
void spinwait_set_us(unsigned us);
unsigned spinwait_us(void);

/* Registers epfd, whose waits may spin from now on. false when every slot
 * is taken (the caller then goes on without spinning). One thread waits on
 * each registered descriptor. */
bool spinwait_add(int epfd);
/* Unregisters epfd; call before the descriptor is closed, since its number
 * may then be reused by another. */
void spinwait_remove(int epfd);

/* For tests: non-blocking polls made while spinning, over all descriptors,
 * since the program started. */
unsigned long spinwait_polls(void);

#endif
