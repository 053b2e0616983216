/* acceptor: spreads connections over the daemons (see acceptor.h). */
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
#include <unistd.h>

#include "acceptor.h"
#include "log.h"
#include "strbuf.h"

/* How long the thread waits before accepting again when it cannot: every
 * daemon is at its limit, or accept(2) ran out of descriptors or memory.
 * The connections wait in the backlog meanwhile. */
#define RETRY_MS 100

struct slot {
	atomic_uint open;
};

struct acceptor {
	unsigned n;
	unsigned next; /* where the search for the emptiest starts */
	unsigned limit;
	int listen_fd;
	int wake_fd; /* an eventfd, readable once stopping */
	bool started;
	bool failing; /* accept(2) failed; said once until it works again */
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
 * library's for the whole program and reports ENOPROTOOPT ("the option is
 * not supported by the protocol", POSIX's name for this case) instead, so
 * libmicrohttpd concludes once per connection. Anything else is the
 * system call's own answer, which is all glibc's wrapper returns on 64-bit
 * Linux. */
int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	long r = syscall(SYS_setsockopt, fd, level, name, value, len);
	if (r < 0 && errno == EOPNOTSUPP && level == IPPROTO_TCP)
		errno = ENOPROTOOPT;
	return (int)r;
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
	for (unsigned i = 0; i < n; i++)
		atomic_init(&a->slot[i].open, 0);
	return a;
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
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		slot_drop(slot);
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

/* Accepts what the backlog holds. false: try again after RETRY_MS. */
static bool accept_pending(struct acceptor *a)
{
	for (;;) {
		int i = emptiest(a);
		if (i < 0)
			return false;
		struct sockaddr_un sa;
		socklen_t len = sizeof sa;
		int fd = accept4(a->listen_fd, (struct sockaddr *)&sa, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				a->failing = false;
				return true;
			}
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection
			 * stays queued until descriptors or memory free up. */
			if (!a->failing)
				log_msg(LOG_ERROR,
				        "cannot accept connections: %s; "
				        "retrying every %d ms",
				        strerror(errno), RETRY_MS);
			a->failing = true;
			return false;
		}
		if (a->failing)
			log_msg(LOG_INFO, "accepting connections again");
		a->failing = false;
		atomic_fetch_add(&a->slot[i].open, 1);
		/* On failure libmicrohttpd has closed the socket. */
		if (MHD_add_connection(a->d[i], fd, (struct sockaddr *)&sa, len) !=
		    MHD_YES)
			slot_drop(&a->slot[i]);
	}
}

static void *run(void *arg)
{
	struct acceptor *a = arg;
	bool ready = true;

	for (;;) {
		struct pollfd p[2] = {{.fd = a->wake_fd, .events = POLLIN},
		                      {.fd = a->listen_fd, .events = POLLIN}};
		/* Not ready: watch only for the stop, and look again later. */
		int r = poll(p, ready ? 2 : 1, ready ? -1 : RETRY_MS);
		if (r < 0 && errno != EINTR) {
			log_msg(LOG_ERROR, "poll: %s", strerror(errno));
			ready = false;
			continue;
		}
		if (p[0].revents != 0)
			return NULL;
		ready = accept_pending(a);
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
		*why = xasprintf("eventfd: %s", strerror(errno));
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
}

void acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	acceptor_stop(a);
	if (a->wake_fd >= 0)
		close(a->wake_fd);
	free(a);
}
