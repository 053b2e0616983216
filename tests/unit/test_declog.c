/* declog suite: the batched decision log loses no line, keeps each line
 * whole and in order per writer, writes within its delay without being
 * asked, and holds writers back rather than drop lines when the reader
 * is slow. Reads back through a pipe. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "declog.h"
#include "suites.h"

/* A reader thread that keeps everything from a pipe. */
struct sink {
	int fd;
	char *buf;
	size_t len, cap;
	unsigned slow_us; /* pause between reads */
	pthread_t t;
};

static void *sink_run(void *arg)
{
	struct sink *k = arg;
	char tmp[4096];
	for (;;) {
		ssize_t n = read(k->fd, tmp, sizeof tmp);
		if (n <= 0)
			break;
		if (k->len + (size_t)n + 1 > k->cap) {
			k->cap = (k->len + (size_t)n + 1) * 2;
			k->buf = realloc(k->buf, k->cap);
			if (k->buf == NULL)
				abort();
		}
		memcpy(k->buf + k->len, tmp, (size_t)n);
		k->len += (size_t)n;
		k->buf[k->len] = '\0';
		if (k->slow_us)
			usleep(k->slow_us);
	}
	return NULL;
}

static int sink_start(struct sink *k, unsigned slow_us)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	memset(k, 0, sizeof *k);
	k->fd = p[0];
	k->slow_us = slow_us;
	ck_assert_int_eq(pthread_create(&k->t, NULL, sink_run, k), 0);
	return p[1];
}

/* Closes the write end and waits for everything. */
static void sink_finish(struct sink *k, int wfd)
{
	close(wfd);
	pthread_join(k->t, NULL);
	close(k->fd);
}

START_TEST(test_order_and_stop)
{
	struct sink k;
	int w = sink_start(&k, 0);
	struct declog *dl = declog_start(w, 1000); /* long: stop must write */
	ck_assert_ptr_nonnull(dl);
	char line[64];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof line, "line %d\n", i);
		declog_write(dl, line, (size_t)n);
	}
	declog_stop(dl);
	sink_finish(&k, w);
	ck_assert_ptr_nonnull(k.buf);
	char *p = k.buf;
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof line, "line %d\n", i);
		ck_assert_msg(strncmp(p, line, (size_t)n) == 0, "line %d", i);
		p += n;
	}
	ck_assert_str_eq(p, "");
	free(k.buf);
}
END_TEST

/* Nobody flushes: the line still arrives, within the delay (and well
 * within a second). */
START_TEST(test_written_within_delay)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct declog *dl = declog_start(p[1], 20);
	ck_assert_ptr_nonnull(dl);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	declog_write(dl, "one\n", 4);
	struct pollfd pf = {p[0], POLLIN, 0};
	ck_assert_int_eq(poll(&pf, 1, 1000), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char buf[8] = {0};
	ck_assert_int_eq(read(p[0], buf, sizeof buf), 4);
	ck_assert_str_eq(buf, "one\n");
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 1000);
	/* declog_flush writes at once, whatever the delay. */
	declog_write(dl, "two\n", 4);
	declog_flush(dl);
	pf.revents = 0;
	ck_assert_int_eq(poll(&pf, 1, 0), 1);
	ck_assert_int_eq(read(p[0], buf, sizeof buf), 4);
	declog_stop(dl);
	close(p[0]);
	close(p[1]);
}
END_TEST

struct writer_arg {
	struct declog *dl;
	int id, lines;
};

static void *writer_run(void *arg)
{
	struct writer_arg *a = arg;
	char line[128];
	for (int i = 0; i < a->lines; i++) {
		/* Long lines, so the queue passes its limit with a slow
		 * reader. */
		int n = snprintf(line, sizeof line,
		                 "w%d n%d ........................................"
		                 "........................................\n",
		                 a->id, i);
		declog_write(a->dl, line, (size_t)n);
	}
	return NULL;
}

/* Four writers, 2.5 MiB in all, a reader that dawdles: every line comes
 * out whole, each writer's lines in its order. */
START_TEST(test_threads_slow_reader)
{
	enum { WRITERS = 4, LINES = 5000 };
	struct sink k;
	int w = sink_start(&k, 200);
	struct declog *dl = declog_start(w, 5);
	ck_assert_ptr_nonnull(dl);
	pthread_t t[WRITERS];
	struct writer_arg a[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		a[i] = (struct writer_arg){dl, i, LINES};
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer_run, &a[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	declog_stop(dl);
	sink_finish(&k, w);
	int next[WRITERS] = {0};
	int total = 0;
	for (char *line = strtok(k.buf, "\n"); line; line = strtok(NULL, "\n")) {
		int id, n;
		ck_assert_int_eq(sscanf(line, "w%d n%d", &id, &n), 2);
		ck_assert(id >= 0 && id < WRITERS);
		ck_assert_int_eq(n, next[id]);
		ck_assert(strstr(line, "........................................"
		                       "........................................") != NULL);
		next[id]++;
		total++;
	}
	ck_assert_int_eq(total, WRITERS * LINES);
	free(k.buf);
}
END_TEST

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

struct busy_arg {
	struct declog *dl;
	volatile int stop;
};

static void *busy_run(void *arg)
{
	struct busy_arg *a = arg;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!a->stop && ms_since(&t0) < 5000)
		declog_write(a->dl, "a line of the decision log\n", 27);
	return NULL;
}

/* declog_flush (a rotation, any other log line) waits for a write in
 * progress at most: neither for the writer's delay, which lines wait out
 * while they gather, nor for a queue that never empties. */
START_TEST(test_flush_does_not_wait)
{
	int fd = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(fd, 0);
	struct declog *dl = declog_start(fd, 500);
	ck_assert_ptr_nonnull(dl);
	struct timespec t0;
	declog_write(dl, "one\n", 4);
	usleep(20000); /* the writer is now waiting out its 500 ms */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	declog_flush(dl);
	ck_assert_int_lt(ms_since(&t0), 250);

	/* Two producers keep the queue from ever emptying. */
	struct busy_arg a = {dl, 0};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, busy_run, &a), 0);
	usleep(100000);
	for (int i = 0; i < 5; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		declog_flush(dl);
		ck_assert_int_lt(ms_since(&t0), 1000);
	}
	a.stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	declog_stop(dl);
	close(fd);
}
END_TEST

Suite *declog_suite(void)
{
	Suite *s = suite_create("declog");
	TCase *tc = tcase_create("declog");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_order_and_stop);
	tcase_add_test(tc, test_written_within_delay);
	tcase_add_test(tc, test_threads_slow_reader);
	tcase_add_test(tc, test_flush_does_not_wait);
	suite_add_tcase(s, tc);
	return s;
}
