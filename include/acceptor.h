/* acceptor: one thread accepts on the listening socket and hands each
 * connection to the libmicrohttpd daemon (one per worker thread) that
 * holds the fewest.
 *
 * libmicrohttpd's own thread pool lets every worker accept on the shared
 * socket, and the first to wake takes up to ten connections of a burst:
 * 16 connections opened at once often all landed on one worker, which then
 * ran at a full core while the other slept (doc/benchmarks-notes.md). A
 * daemon at its limit gets no more; when all are, new connections wait in
 * the socket's backlog, as they did with libmicrohttpd's accept, and the
 * next close hands the first of them over at once. */
#ifndef DOCKGATE_ACCEPTOR_H
#define DOCKGATE_ACCEPTOR_H

#include <stdbool.h>

#include <microhttpd.h>

struct acceptor;

/* The counters for n daemons; NULL when out of memory or descriptors
 * (an eventfd). Create it before the daemons, which report their closed
 * connections to it. */
struct acceptor *acceptor_new(unsigned n);

/* How long the thread waits before it tries again when accepting fails
 * (out of descriptors, the socket in error), and how often it checks its
 * counts while every daemon is full (default 100 ms). Before
 * acceptor_start; tests set it high to show that a close, not the timer,
 * hands a waiting connection over. */
void acceptor_set_retry_ms(struct acceptor *a, unsigned ms);

/* Daemon i's MHD_OPTION_NOTIFY_CONNECTION: acceptor_notify with
 * acceptor_slot(a, i) as its argument. */
void acceptor_notify(void *slot, struct MHD_Connection *conn,
                     void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);
void *acceptor_slot(struct acceptor *a, unsigned i);

/* Starts the thread: it accepts on listen_fd (non-blocking; never closed
 * or shut down here, as systemd may share it) and adds each connection to
 * one of d[0..n), none past limit_each open connections. The daemons need
 * MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC, and must outlive the thread.
 * false, with *why set (free it), when the thread cannot start. */
bool acceptor_start(struct acceptor *a, int listen_fd,
                    struct MHD_Daemon *const *d, unsigned limit_each,
                    char **why);

/* How many connections daemon i holds, as the acceptor counts them. */
unsigned acceptor_open(const struct acceptor *a, unsigned i);

/* Stops the thread, if started: no more connections are accepted. Those
 * already handed over stay with their daemons. NULL: nothing. */
void acceptor_stop(struct acceptor *a);

/* Stops the thread and frees a, once the daemons have stopped (they report
 * closed connections to it until then). NULL: nothing. */
void acceptor_free(struct acceptor *a);

#endif
