/* acceptor suite: connections opened at once are spread evenly over the
 * daemons, a closed one frees its daemon's place, a full set leaves new
 * connections waiting in the backlog rather than dropping them, stopping
 * leaves the listening socket working, a connection libmicrohttpd refuses
 * is closed and its place given back, and libmicrohttpd neither retries
 * TCP options nor logs on the Unix sockets it is handed. Real daemons,
 * real sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "acceptor.h"
#include "suites.h"

enum { DAEMONS = 2 };

struct rig {
	char dir[64];
	struct sockaddr_un sa;
	int listen_fd;
	struct acceptor *acc;
	struct MHD_Daemon *d[DAEMONS];
	char names[DAEMONS][2]; /* each daemon answers with its index */
	unsigned limit;
};

/* libmicrohttpd's messages, all daemons: "Failed to push the data", and
 * any other. */
static int pushes, others;

static void count_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)ap;
	if (strncmp(fmt, "Failed to push the data", 23) == 0) {
		__atomic_add_fetch(&pushes, 1, __ATOMIC_SEQ_CST);
		return;
	}
	fprintf(stderr, "libmicrohttpd: %s", fmt);
	__atomic_add_fetch(&others, 1, __ATOMIC_SEQ_CST);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_len, void **ctx)
{
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	/* The first call only sees the headers; answer on the next. */
	if (*ctx == NULL) {
		*ctx = cls;
		return MHD_YES;
	}
	*upload_len = 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    1, cls, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

/* The acceptor's limit is limit_each a daemon, libmicrohttpd's mhd_limit. */
static void rig_up_limits(struct rig *g, unsigned limit_each,
                          unsigned mhd_limit)
{
	memset(g, 0, sizeof *g);
	strcpy(g->dir, "/tmp/dockgate-acceptor.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g->dir));
	g->sa.sun_family = AF_UNIX;
	snprintf(g->sa.sun_path, sizeof g->sa.sun_path, "%s/s", g->dir);
	g->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(g->listen_fd, 0);
	ck_assert_int_eq(bind(g->listen_fd, (struct sockaddr *)&g->sa, sizeof g->sa), 0);
	ck_assert_int_eq(listen(g->listen_fd, 64), 0);
	g->acc = acceptor_new(DAEMONS);
	ck_assert_ptr_nonnull(g->acc);
	for (unsigned i = 0; i < DAEMONS; i++) {
		g->names[i][0] = (char)('0' + i);
		g->d[i] = MHD_start_daemon(
		    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_NO_LISTEN_SOCKET |
		        MHD_USE_ITC | MHD_USE_TURBO | MHD_USE_ERROR_LOG,
		    0, NULL, NULL, answer, g->names[i], MHD_OPTION_EXTERNAL_LOGGER,
		    count_log, (void *)NULL,
		    MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
		    MHD_OPTION_NOTIFY_CONNECTION, acceptor_notify,
		    acceptor_slot(g->acc, i), MHD_OPTION_END);
		ck_assert_ptr_nonnull(g->d[i]);
	}
	g->limit = limit_each;
	__atomic_store_n(&pushes, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&others, 0, __ATOMIC_SEQ_CST);
}

/* One above the acceptor's, as plugin/server.c has it: libmicrohttpd
 * reports a close before it counts it, and a close hands a waiting
 * connection over at once. */
static void rig_up(struct rig *g, unsigned limit_each)
{
	rig_up_limits(g, limit_each, limit_each + 1);
}

static void rig_start(struct rig *g)
{
	char *why = NULL;
	ck_assert_msg(acceptor_start(g->acc, g->listen_fd, g->d, g->limit, &why),
	              "%s", why ? why : "");
}

static void rig_down(struct rig *g)
{
	acceptor_stop(g->acc);
	for (unsigned i = 0; i < DAEMONS; i++)
		MHD_stop_daemon(g->d[i]);
	acceptor_free(g->acc);
	close(g->listen_fd);
	unlink(g->sa.sun_path);
	rmdir(g->dir);
}

static int dial(const struct rig *g)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)&g->sa, sizeof g->sa), 0);
	return fd;
}

/* Reads a reply from fd and returns the index of the daemon that sent
 * it, or -1 when none came within ms milliseconds or the connection was
 * closed. */
static int reply(int fd, int ms)
{
	char buf[1024];
	size_t len = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, ms) <= 0)
			return -1;
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end != NULL && buf + len > end + 4) {
			ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
			return end[4] - '0';
		}
		ck_assert_uint_lt(len, sizeof buf - 1);
	}
}

/* Sends a request on fd; then as reply(). */
static int ask(int fd, int ms)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
	/* A connection already closed by the other end is -1 too. */
	if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1))
		return -1;
	return reply(fd, ms);
}

/* Waits up to 2 s for daemon i's count to reach want. */
static void await_open(const struct rig *g, unsigned i, unsigned want)
{
	for (int k = 0; k < 200 && acceptor_open(g->acc, i) != want; k++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	ck_assert_uint_eq(acceptor_open(g->acc, i), want);
}

/* 16 connections already waiting when the acceptor starts split 8 / 8:
 * they are counted as they are handed over, before libmicrohttpd has
 * seen any. Each keeps its daemon for its later requests. */
START_TEST(test_spreads_a_burst)
{
	struct rig g;
	rig_up(&g, 100);
	enum { N = 16 };
	int fd[N], first[N], per[DAEMONS] = {0};
	for (int i = 0; i < N; i++)
		fd[i] = dial(&g);
	rig_start(&g);
	for (int i = 0; i < N; i++) {
		first[i] = ask(fd[i], 2000);
		ck_assert_int_ge(first[i], 0);
		ck_assert_int_lt(first[i], DAEMONS);
		per[first[i]]++;
	}
	ck_assert_int_eq(per[0], N / 2);
	ck_assert_int_eq(per[1], N / 2);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(ask(fd[i], 2000), first[i]);
	await_open(&g, 0, N / 2);
	await_open(&g, 1, N / 2);
	for (int i = 0; i < N; i++)
		close(fd[i]);
	await_open(&g, 0, 0);
	await_open(&g, 1, 0);
	rig_down(&g);
}
END_TEST

/* A daemon whose connections closed gets the next ones. */
START_TEST(test_refills_the_emptier)
{
	struct rig g;
	rig_up(&g, 100);
	rig_start(&g);
	int fd[4], on[4];
	for (int i = 0; i < 4; i++) {
		fd[i] = dial(&g);
		on[i] = ask(fd[i], 2000);
		ck_assert_int_ge(on[i], 0);
	}
	await_open(&g, 0, 2);
	await_open(&g, 1, 2);
	/* Close both of daemon 0's. */
	for (int i = 0; i < 4; i++)
		if (on[i] == 0) {
			close(fd[i]);
			fd[i] = -1;
		}
	await_open(&g, 0, 0);
	int a = dial(&g), b = dial(&g);
	ck_assert_int_eq(ask(a, 2000), 0);
	ck_assert_int_eq(ask(b, 2000), 0);
	close(a);
	close(b);
	for (int i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	rig_down(&g);
}
END_TEST

/* With a limit of one each, two connections fill both daemons: *a and *b,
 * answered by daemons *on_a and *on_b, one each. */
static void fill_both(const struct rig *g, int *a, int *b, int *on_a, int *on_b)
{
	*a = dial(g);
	*b = dial(g);
	*on_a = ask(*a, 2000);
	*on_b = ask(*b, 2000);
	ck_assert_int_ge(*on_a, 0);
	ck_assert_int_ge(*on_b, 0);
	ck_assert_int_ne(*on_a, *on_b);
}

/* With every daemon at its limit a new connection is not dropped: it
 * waits in the backlog and is answered once a place frees up. */
START_TEST(test_full_leaves_backlog)
{
	struct rig g;
	rig_up(&g, 1);
	rig_start(&g);
	int a, b, on_a, on_b;
	fill_both(&g, &a, &b, &on_a, &on_b);
	int c = dial(&g);
	ck_assert_int_eq(ask(c, 300), -1);
	close(a);
	/* The place freed is a's. */
	ck_assert_int_eq(reply(c, 2000), on_a);
	close(b);
	close(c);
	rig_down(&g);
}
END_TEST

/* The waiting connection is handed over by the close itself: with the
 * timer set to a minute, it is answered at once all the same. */
START_TEST(test_full_wakes_on_close)
{
	struct rig g;
	rig_up(&g, 1);
	acceptor_set_retry_ms(g.acc, 60 * 1000);
	rig_start(&g);
	int a, b, on_a, on_b;
	fill_both(&g, &a, &b, &on_a, &on_b);
	int c = dial(&g);
	ck_assert_int_eq(ask(c, 300), -1);
	close(b);
	ck_assert_int_eq(reply(c, 5000), on_b);
	/* And again, now that the thread has waited once. */
	int d = dial(&g);
	ck_assert_int_eq(ask(d, 300), -1);
	close(a);
	ck_assert_int_eq(reply(d, 5000), on_a);
	close(c);
	close(d);
	/* Stopping is not held up by the minute either. */
	rig_down(&g);
}
END_TEST

/* Stopping joins the thread, and leaves the listening socket open and
 * listening, as an inherited one must stay for the next instance. */
START_TEST(test_stop_keeps_socket)
{
	struct rig g;
	rig_up(&g, 100);
	rig_start(&g);
	int a = dial(&g);
	ck_assert_int_ge(ask(a, 2000), 0);
	acceptor_stop(g.acc);
	int b = dial(&g); /* queued, not accepted */
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	int c = accept(g.listen_fd, (struct sockaddr *)&sa, &len);
	ck_assert_int_ge(c, 0);
	close(a);
	close(b);
	close(c);
	rig_down(&g);
}
END_TEST

/* CPU time of the whole process, in ms. */
static long cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

/* A listening socket shut down (by another holder of an inherited one)
 * polls readable for ever and accepts nothing: the thread must wait, not
 * spin. It did spin, at 84% of a core. */
START_TEST(test_shut_down_socket_does_not_spin)
{
	struct rig g;
	rig_up(&g, 100);
	rig_start(&g);
	ck_assert_int_eq(shutdown(g.listen_fd, SHUT_RDWR), 0);
	long before = cpu_ms();
	nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL);
	long used = cpu_ms() - before;
	ck_assert_msg(used < 150, "%ld ms of CPU in 500 ms", used);
	rig_down(&g);
}
END_TEST

/* Out of descriptors, accept(2) fails (EMFILE): the connection is neither
 * lost nor spun on; it is answered once a descriptor frees up. Not under
 * valgrind, which keeps descriptors of its own and emulates the limit. */
START_TEST(test_out_of_descriptors_waits)
{
	if (RUNNING_ON_VALGRIND)
		return;
	struct rig g;
	rig_up(&g, 100);
	rig_start(&g);
	struct rlimit old;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	/* No descriptor left: the lowest free one is the limit. */
	int lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	struct rlimit tight = {(rlim_t)lowest, old.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	ck_assert_int_eq(connect(c, (const struct sockaddr *)&g.sa, sizeof g.sa), 0);
	long before = cpu_ms();
	ck_assert_int_eq(ask(c, 400), -1);
	long used = cpu_ms() - before;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_msg(used < 150, "%ld ms of CPU in 400 ms", used);
	ck_assert_int_ge(reply(c, 2000), 0);
	close(c);
	rig_down(&g);
}
END_TEST

/* A TCP option on a Unix socket is refused with ENOPROTOOPT, which
 * libmicrohttpd reads as "not TCP"; other options and errors are the
 * system's. Then a whole exchange: no retries, nothing logged. */
START_TEST(test_unix_sockets_are_not_tcp)
{
	int sv[2];
	int one = 1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	errno = 0;
	ck_assert_int_eq(setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	ck_assert_int_eq(setsockopt(sv[0], IPPROTO_TCP, TCP_CORK, &one, sizeof one), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	int size = 65536;
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
	ck_assert_int_eq(setsockopt(-1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), -1);
	ck_assert_int_eq(errno, EBADF);
	close(sv[0]);
	close(sv[1]);

	struct rig g;
	rig_up(&g, 100);
	rig_start(&g);
	int fd[4];
	for (int i = 0; i < 4; i++)
		fd[i] = dial(&g);
	for (int k = 0; k < 25; k++)
		for (int i = 0; i < 4; i++)
			ck_assert_int_ge(ask(fd[i], 2000), 0);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	rig_down(&g);
	/* Without the ENOPROTOOPT each reply tried both options again and
	 * said so. With it, only a connection's first reply says "Failed
	 * to push the data" (server.c drops that line). */
	ck_assert_int_eq(__atomic_load_n(&others, __ATOMIC_SEQ_CST), 0);
	ck_assert_int_le(__atomic_load_n(&pushes, __ATOMIC_SEQ_CST), 4);
}
END_TEST

/* True when the peer closes fd (EOF or a reset) within ms milliseconds
 * without sending anything. */
static bool closed_by_peer(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return false;
	char c;
	ssize_t n = read(fd, &c, 1);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Reads everything fd's stderr file holds, from the start. */
static char *slurp(int fd)
{
	static char buf[4096];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* libmicrohttpd refuses a connection the acceptor handed it (here its
 * own limit is below the acceptor's; in the daemon, out of memory): the
 * client is closed, not left hanging; the daemon's count is put back,
 * so it is not counted full for ever; the refusal is logged once; the
 * thread waits rather than spins; and once libmicrohttpd has room again
 * a new connection is served and the log says so. */
START_TEST(test_refused_by_libmicrohttpd)
{
	struct rig g;
	rig_up_limits(&g, 3, 1);
	acceptor_set_retry_ms(g.acc, 50);
	char path[] = "/tmp/dockgate-acceptor-log.XXXXXX";
	int log_fd = mkstemp(path);
	ck_assert_int_ge(log_fd, 0);
	unlink(path);
	int saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(log_fd, 2), 0);
	rig_start(&g);

	int a, b, on_a, on_b;
	fill_both(&g, &a, &b, &on_a, &on_b);
	long before = cpu_ms();
	int c = dial(&g), d = dial(&g);
	ck_assert(closed_by_peer(c, 2000));
	ck_assert(closed_by_peer(d, 2000));
	await_open(&g, 0, 1);
	await_open(&g, 1, 1);
	nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
	long used = cpu_ms() - before;

	/* a's daemon has room once libmicrohttpd has counted the close,
	 * which comes just after the notice: a refused try is dialled
	 * again. */
	close(a);
	await_open(&g, (unsigned)on_a, 0);
	int e = -1, got = -1;
	for (int k = 0; k < 40 && got < 0; k++) {
		e = dial(&g);
		got = ask(e, 2000);
		if (got < 0) {
			close(e);
			nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
		}
	}
	ck_assert_int_eq(got, on_a);
	ck_assert_int_eq(ask(b, 2000), on_b);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);

	const char *log = slurp(log_fd);
	close(log_fd);
	const char *refused = "cannot accept connections: libmicrohttpd "
	                      "refused a connection";
	const char *first = strstr(log, refused);
	ck_assert_msg(first != NULL, "log: %s", log);
	/* The refusals in a row say it once; the end of the trouble is the
	 * connection that libmicrohttpd took. */
	const char *ok = strstr(log, "accepting connections again");
	ck_assert_msg(ok != NULL && ok > first, "log: %s", log);
	ck_assert_msg(strstr(first + 1, refused) == NULL, "log: %s", log);
	ck_assert_msg(strstr(ok + 1, "accepting connections again") == NULL,
	              "log: %s", log);
	ck_assert_msg(used < 150, "%ld ms of CPU in 300 ms", used);
	close(b);
	close(e);
	rig_down(&g);
}
END_TEST

Suite *acceptor_suite(void)
{
	Suite *s = suite_create("acceptor");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_spreads_a_burst);
	tcase_add_test(tc, test_refills_the_emptier);
	tcase_add_test(tc, test_full_leaves_backlog);
	tcase_add_test(tc, test_full_wakes_on_close);
	tcase_add_test(tc, test_stop_keeps_socket);
	tcase_add_test(tc, test_shut_down_socket_does_not_spin);
	tcase_add_test(tc, test_out_of_descriptors_waits);
	tcase_add_test(tc, test_unix_sockets_are_not_tcp);
	tcase_add_test(tc, test_refused_by_libmicrohttpd);
	suite_add_tcase(s, tc);
	return s;
}
