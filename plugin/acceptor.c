/* acceptor: spreads connections over the daemons (see acceptor.h). */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "log.h"
#include "strbuf.h"

/* How long the thread waits before accepting again when it cannot:
 * accept(2) ran out of descriptors or memory, or the socket is in error.
 * The connections wait in the backlog meanwhile. When every daemon is at
 * its limit, a closed connection wakes the thread at once; this is then
 * only the interval at which it checks the counts (settle). */
#define RETRY_MS 100
/* A daemon given nothing for this long has every connection it was given
 * counted by libmicrohttpd, so its count can be checked against ours. */
#define SETTLED_MS 1000

struct slot {
	atomic_uint open;
	long long last_ms; /* when it was last given one; the thread's own */
	struct acceptor *owner;
};

struct acceptor {
	unsigned n;
	unsigned next; /* where the search for the emptiest starts */
	unsigned limit;
	int listen_fd;
	int wake_fd; /* an eventfd, readable once stopping */
	int room_fd; /* an eventfd, written when a place frees up... */
	atomic_bool waiting; /* ...while the thread waits for one */
	unsigned retry_ms;
	bool started;
	const char *trouble; /* what was last logged; NULL once working */
	pthread_t thread;
	struct MHD_Daemon *const *d;
	struct slot slot[];
};

/* libmicrohttpd 0.9.75 does not know that a socket given to
 * MHD_add_connection is a Unix one, and sets TCP_NODELAY and TCP_CORK
 * around each reply to find out. Linux refuses those on a Unix socket with
 * EOPNOTSUPP, which that version does not read as "not TCP" (it does for
 * ENOPROTOOPT, EINVAL and ENOTSOCK): it would try again, and log three
 * lines, on every reply. This definition takes the place of the C
 * library's for the whole program (libmicrohttpd's calls and libcurl's
 * bind to it) and reports ENOPROTOOPT ("the option is not supported by the
 * protocol", POSIX's name for this case) instead, so libmicrohttpd
 * concludes once per connection. Everything else is the C library's own
 * setsockopt, found once. */
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);
static _Atomic(setsockopt_fn) next_setsockopt;

static int raw_setsockopt(int fd, int level, int name, const void *value,
                          socklen_t len)
{
	return (int)syscall(SYS_setsockopt, fd, level, name, value, len);
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	setsockopt_fn f = atomic_load_explicit(&next_setsockopt,
	                                       memory_order_relaxed);
	if (f == NULL) {
		void *sym = dlsym(RTLD_NEXT, "setsockopt");
		f = sym != NULL ? (setsockopt_fn)sym : raw_setsockopt;
		atomic_store_explicit(&next_setsockopt, f, memory_order_relaxed);
	}
	int r = f(fd, level, name, value, len);
	if (r < 0 && errno == EOPNOTSUPP && level == IPPROTO_TCP)
		errno = ENOPROTOOPT;
	return r;
}

struct acceptor *acceptor_new(unsigned n)
{
	if (n == 0)
		return NULL;
	struct acceptor *a = calloc(1, sizeof *a + n * sizeof a->slot[0]);
	if (a == NULL)
		return NULL;
	a->n = n;
	a->listen_fd = -1;
	a->wake_fd = -1;
	a->retry_ms = RETRY_MS;
	atomic_init(&a->waiting, false);
	/* Made here, not at start: the daemons may report closes before. */
	a->room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->room_fd < 0) {
		free(a);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		atomic_init(&a->slot[i].open, 0);
		a->slot[i].owner = a;
	}
	return a;
}

void acceptor_set_retry_ms(struct acceptor *a, unsigned ms)
{
	/* poll(2) takes an int; an hour is more than any use needs. */
	a->retry_ms = ms < 1 ? 1 : ms > 3600 * 1000 ? 3600 * 1000 : ms;
}

void *acceptor_slot(struct acceptor *a, unsigned i)
{
	return &a->slot[i];
}

unsigned acceptor_open(const struct acceptor *a, unsigned i)
{
	return atomic_load(&a->slot[i].open);
}

/* One connection fewer; never below zero, should a daemon report a
 * connection it was not handed. */
static void slot_drop(struct slot *s)
{
	unsigned v = atomic_load(&s->open);
	while (v > 0 && !atomic_compare_exchange_weak(&s->open, &v, v - 1))
		;
}

void acceptor_notify(void *slot, struct MHD_Connection *conn,
                     void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
	(void)conn;
	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED)
		return;
	struct slot *s = slot;
	slot_drop(s);
	/* Sequentially consistent with the thread's "set waiting, then look
	 * at the counts again": either it sees this drop or we see it
	 * waiting. A write is only made while it waits, so not per close. */
	if (atomic_load(&s->owner->waiting)) {
		uint64_t one = 1;
		while (write(s->owner->room_fd, &one, sizeof one) < 0 &&
		       errno == EINTR)
			;
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Logs what stops the thread from accepting, once until it accepts again
 * (what stays wrong is not repeated every RETRY_MS). */
static void trouble(struct acceptor *a, const char *what, int err)
{
	if (a->trouble != what)
		log_msg(LOG_ERROR, "cannot accept connections: %s: %s; retrying "
		                   "every %u ms", what, strerror(err), a->retry_ms);
	a->trouble = what;
}

/* Our count of a daemon's connections can only be too high if one it was
 * given never started (libmicrohttpd closes it without a notice when it
 * cannot set it up, out of memory), and a daemon so counted full would
 * never get another. When all look full, a daemon given nothing for
 * SETTLED_MS is checked against libmicrohttpd's own count, which then
 * includes all it was given. (libmicrohttpd reads that count unlocked for
 * this call; it lags behind a close, so it errs high, never low.) */
static void settle(struct acceptor *a)
{
	long long now = now_ms();
	for (unsigned i = 0; i < a->n; i++) {
		if (now - a->slot[i].last_ms < SETTLED_MS)
			continue;
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(
		    a->d[i], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (info == NULL)
			continue;
		unsigned real = info->num_connections;
		unsigned v = atomic_load(&a->slot[i].open);
		while (real < v &&
		       !atomic_compare_exchange_weak(&a->slot[i].open, &v, real))
			;
	}
}

/* The daemon with the fewest connections, below the limit; ties go round
 * in turn. -1: all are full. */
static int emptiest(struct acceptor *a)
{
	int best = -1;
	unsigned least = a->limit;
	for (unsigned k = 0; k < a->n; k++) {
		unsigned i = (a->next + k) % a->n;
		unsigned v = atomic_load(&a->slot[i].open);
		if (v < least) {
			least = v;
			best = (int)i;
		}
	}
	if (best >= 0)
		a->next = ((unsigned)best + 1) % a->n;
	return best;
}

enum accepted {
	DRAINED, /* the backlog is empty */
	FULL,    /* every daemon is at its limit: wait for a close */
	TROUBLE, /* accepting failed: try again after retry_ms */
};

/* The daemon to hand the next connection to, or -1 (FULL), in which case
 * the thread is marked waiting for a place. */
static int place(struct acceptor *a)
{
	int i = emptiest(a);
	if (i >= 0)
		return i;
	settle(a);
	if ((i = emptiest(a)) >= 0)
		return i;
	atomic_store(&a->waiting, true);
	/* A close between the look above and the mark found no one
	 * waiting: look once more. */
	if ((i = emptiest(a)) >= 0)
		atomic_store(&a->waiting, false);
	return i;
}

/* Accepts what the backlog holds. */
static enum accepted accept_pending(struct acceptor *a)
{
	for (;;) {
		int i = place(a);
		if (i < 0)
			return FULL;
		struct sockaddr_un sa;
		socklen_t len = sizeof sa;
		int fd = accept4(a->listen_fd, (struct sockaddr *)&sa, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return DRAINED;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection
			 * stays queued until descriptors or memory free up. */
			trouble(a, "accept", errno);
			return TROUBLE;
		}
		atomic_fetch_add(&a->slot[i].open, 1);
		a->slot[i].last_ms = now_ms();
		/* On failure libmicrohttpd has closed the socket (and said
		 * why); the rest wait rather than meet the same fate. */
		if (MHD_add_connection(a->d[i], fd, (struct sockaddr *)&sa, len) !=
		    MHD_YES) {
			slot_drop(&a->slot[i]);
			trouble(a, "libmicrohttpd refused a connection", errno);
			return TROUBLE;
		}
		/* Only now: a connection accepted and then refused has not
		 * ended the trouble. */
		if (a->trouble != NULL)
			log_msg(LOG_INFO, "accepting connections again");
		a->trouble = NULL;
	}
}

static void *run(void *arg)
{
	struct acceptor *a = arg;
	enum accepted state = DRAINED;

	for (;;) {
		/* Drained: wait for a connection. Full: for a place (or the
		 * next settle). Trouble: only for the stop, then look again. */
		struct pollfd p[2] = {
		    {.fd = a->wake_fd, .events = POLLIN},
		    {.fd = state == FULL ? a->room_fd : a->listen_fd,
		     .events = POLLIN}};
		int r = poll(p, state == TROUBLE ? 1 : 2,
		             state == DRAINED ? -1 : (int)a->retry_ms);
		if (r < 0) {
			if (errno != EINTR) {
				trouble(a, "poll", errno);
				nanosleep(&(struct timespec){a->retry_ms / 1000,
				                             (a->retry_ms % 1000) *
				                                 1000000L},
				          NULL);
			}
			continue;
		}
		if (p[0].revents != 0)
			return NULL;
		if (state == FULL) {
			uint64_t n;
			(void)!read(a->room_fd, &n, sizeof n);
			atomic_store(&a->waiting, false);
		} else if (state == DRAINED &&
		           (p[1].revents & (POLLHUP | POLLERR | POLLNVAL))) {
			/* A socket shut down or in error polls readable for
			 * ever and accepts nothing: look again later rather
			 * than spin. */
			trouble(a, "the listening socket is shut down or in error",
			        p[1].revents & POLLNVAL ? EBADF : EPIPE);
			state = TROUBLE;
			continue;
		}
		state = accept_pending(a);
	}
}

bool acceptor_start(struct acceptor *a, int listen_fd,
                    struct MHD_Daemon *const *d, unsigned limit_each,
                    char **why)
{
	*why = NULL;
	a->listen_fd = listen_fd;
	a->d = d;
	a->limit = limit_each > 0 ? limit_each : 1;
	a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->wake_fd < 0) {
		*why = xasprintf("cannot start the accepting thread: eventfd: %s",
		                 strerror(errno));
		return false;
	}
	int rc = pthread_create(&a->thread, NULL, run, a);
	if (rc != 0) {
		*why = xasprintf("cannot start the accepting thread: %s",
		                 strerror(rc));
		close(a->wake_fd);
		a->wake_fd = -1;
		return false;
	}
	a->started = true;
	return true;
}

void acceptor_stop(struct acceptor *a)
{
	if (a == NULL || !a->started)
		return;
	uint64_t one = 1;
	while (write(a->wake_fd, &one, sizeof one) < 0 && errno == EINTR)
		;
	pthread_join(a->thread, NULL);
	a->started = false;
	/* Closes during the daemons' stop need not wake anyone now. */
	atomic_store(&a->waiting, false);
}

void acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	acceptor_stop(a);
	if (a->wake_fd >= 0)
		close(a->wake_fd);
	close(a->room_fd);
	free(a);
}
