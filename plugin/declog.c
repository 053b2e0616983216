/* declog: batched decision-log writes (see declog.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "declog.h"

#define HIGH (32u * 1024)   /* write without waiting out the delay */
#define LIMIT (1024u * 1024) /* workers wait beyond this */

struct declog {
	int fd;
	unsigned delay_ms;
	pthread_t thread;
	pthread_mutex_t mu;     /* the buffer and the flags */
	pthread_cond_t wake;    /* writer: lines arrived, full, or stop */
	pthread_cond_t space;   /* workers: the buffer was taken */
	pthread_mutex_t out;    /* held while a batch goes to fd, so batches
	                         * keep their order */
	char *buf;
	size_t len, cap;
	bool stop;
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the log is gone; as fputs did, go on */
		p += w;
		n -= (size_t)w;
	}
}

/* Takes the buffer (under mu) and writes it (under out only). */
static void drain_locked(struct declog *dl)
{
	char *b = dl->buf;
	size_t n = dl->len;
	dl->buf = NULL;
	dl->len = dl->cap = 0;
	pthread_cond_broadcast(&dl->space);
	pthread_mutex_unlock(&dl->mu);
	write_all(dl->fd, b, n);
	free(b);
	pthread_mutex_lock(&dl->mu);
}

/* With mu held: takes out as well (out before mu, the one order) and
 * writes what is queued. Returns holding both. */
static void drain_in_order(struct declog *dl)
{
	pthread_mutex_unlock(&dl->mu);
	pthread_mutex_lock(&dl->out);
	pthread_mutex_lock(&dl->mu);
	if (dl->len > 0)
		drain_locked(dl);
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *writer(void *arg)
{
	struct declog *dl = arg;
	pthread_mutex_lock(&dl->mu);
	for (;;) {
		while (dl->len == 0 && !dl->stop)
			pthread_cond_wait(&dl->wake, &dl->mu);
		if (dl->len == 0 && dl->stop)
			break;
		/* Let more lines gather, unless there are plenty. */
		struct timespec ts;
		deadline_after(&ts, dl->delay_ms);
		while (!dl->stop && dl->len < HIGH &&
		       pthread_cond_timedwait(&dl->wake, &dl->mu, &ts) != ETIMEDOUT)
			;
		/* A batch is taken and written under out, as declog_flush
		 * does, so batches go out in the order they were taken. out
		 * is not held while lines gather: a flush waits for a write
		 * in progress at most, never for the delay or a busy queue. */
		drain_in_order(dl);
		pthread_mutex_unlock(&dl->out);
	}
	pthread_mutex_unlock(&dl->mu);
	return NULL;
}

static void release(struct declog *dl)
{
	free(dl->buf);
	pthread_cond_destroy(&dl->wake);
	pthread_cond_destroy(&dl->space);
	pthread_mutex_destroy(&dl->mu);
	pthread_mutex_destroy(&dl->out);
	free(dl);
}

struct declog *declog_start(int fd, unsigned delay_ms)
{
	struct declog *dl = calloc(1, sizeof *dl);
	if (dl == NULL)
		return NULL;
	dl->fd = fd;
	dl->delay_ms = delay_ms;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&dl->mu, NULL);
	pthread_mutex_init(&dl->out, NULL);
	pthread_cond_init(&dl->wake, &ca);
	pthread_cond_init(&dl->space, NULL);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&dl->thread, NULL, writer, dl) != 0) {
		release(dl);
		return NULL;
	}
	return dl;
}

void declog_write(struct declog *dl, const char *line, size_t len)
{
	pthread_mutex_lock(&dl->mu);
	while (dl->len > 0 && dl->len + len > LIMIT && !dl->stop)
		pthread_cond_wait(&dl->space, &dl->mu);
	if (dl->len + len > dl->cap) {
		size_t cap = dl->cap ? dl->cap : 4096;
		while (cap < dl->len + len)
			cap *= 2;
		char *b = realloc(dl->buf, cap);
		if (b == NULL) {
			/* No memory for the queue: write what is queued and
			 * this line now, in order, rather than lose it. */
			drain_in_order(dl);
			pthread_mutex_unlock(&dl->mu);
			write_all(dl->fd, line, len);
			pthread_mutex_unlock(&dl->out);
			return;
		}
		dl->buf = b;
		dl->cap = cap;
	}
	bool was_empty = dl->len == 0;
	memcpy(dl->buf + dl->len, line, len);
	dl->len += len;
	/* The writer sleeps on an empty buffer and counts out the delay
	 * after the first line: one wake-up per batch, or when full. */
	if (was_empty || dl->len >= HIGH)
		pthread_cond_signal(&dl->wake);
	pthread_mutex_unlock(&dl->mu);
}

void declog_flush(struct declog *dl)
{
	if (dl == NULL)
		return;
	pthread_mutex_lock(&dl->mu);
	drain_in_order(dl);
	pthread_mutex_unlock(&dl->mu);
	pthread_mutex_unlock(&dl->out);
}

void declog_stop(struct declog *dl)
{
	if (dl == NULL)
		return;
	pthread_mutex_lock(&dl->mu);
	dl->stop = true;
	pthread_cond_broadcast(&dl->wake);
	pthread_cond_broadcast(&dl->space);
	pthread_mutex_unlock(&dl->mu);
	pthread_join(dl->thread, NULL);
	/* Anything queued after the writer's last look. */
	if (dl->len > 0)
		write_all(dl->fd, dl->buf, dl->len);
	release(dl);
}
