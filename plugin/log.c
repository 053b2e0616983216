/* log: stderr lines, human or JSON. See log.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "auditlog.h"
#include "log.h"
#include "strbuf.h"

static enum log_format format = LOG_HUMAN;
static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

int log_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "human") == 0 || strcmp(s, "text") == 0)
		*out = LOG_HUMAN;
	else if (strcmp(s, "json") == 0)
		*out = LOG_JSON;
	else
		return -1;
	return 0;
}

void log_setup(enum log_format f, enum log_level min)
{
	format = f;
	min_level = min;
}

enum log_format log_format(void)
{
	return format;
}

bool log_enabled(enum log_level l)
{
	return l >= min_level;
}

/* Set and read from different threads (a server starting or stopping
 * while another logs): under a lock. Lines here are few. */
static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*flush_fn)(void *);
static void *flush_arg;

void log_set_flush(void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&flush_lock);
	flush_fn = fn;
	flush_arg = arg;
	pthread_mutex_unlock(&flush_lock);
}

static void (*queue_fn)(void *, const char *, size_t);
static void *queue_arg;

void log_set_queue(void (*fn)(void *, const char *, size_t), void *arg)
{
	pthread_mutex_lock(&flush_lock);
	queue_fn = fn;
	queue_arg = arg;
	pthread_mutex_unlock(&flush_lock);
}

static void put(struct strbuf *sb)
{
	char *s = strbuf_detach(sb);
	if (s == NULL)
		return;
	/* Decision lines queued before this line go out before it; the
	 * lock keeps the queue from being stopped meanwhile. */
	pthread_mutex_lock(&flush_lock);
	if (flush_fn != NULL)
		flush_fn(flush_arg);
	size_t len = strlen(s), off = 0;
	while (off < len) {
		ssize_t n = write(STDERR_FILENO, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&flush_lock);
	free(s);
}

static void json_head(struct strbuf *sb, enum log_level l)
{
	struct timeval tv;
	struct tm tm;
	char buf[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(sb, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\"", buf,
	            (long)(tv.tv_usec / 1000), level_names[l]);
}

void log_line(enum log_level l, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	if (!log_enabled(l))
		return;
	if (format == LOG_JSON) {
		json_head(&sb, l);
		strbuf_adds(&sb, ",\"msg\":");
		auditlog_add_json_string(&sb, text);
		strbuf_adds(&sb, "}\n");
	} else {
		strbuf_adds(&sb, text);
		strbuf_addc(&sb, '\n');
	}
	put(&sb);
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	if (!log_enabled(l))
		return;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (format == LOG_JSON) {
		log_line(l, text);
	} else {
		char *line = xasprintf("dockgate: %s%s", l == LOG_WARN ? "warning: "
		                                         : l == LOG_ERROR ? "error: "
		                                                          : "",
		                       text);
		if (line != NULL)
			log_line(l, line);
		free(line);
	}
	free(text);
}

void log_json_record(enum log_level l, const char *msg, const char *record)
{
	struct strbuf sb = STRBUF_INIT;
	if (!log_enabled(l) || record == NULL || record[0] != '{')
		return;
	/* The record has its own "time" (the decision's). */
	strbuf_addf(&sb, "{\"level\":\"%s\",\"msg\":", level_names[l]);
	auditlog_add_json_string(&sb, msg);
	if (record[1] != '}')
		strbuf_addc(&sb, ',');
	strbuf_adds(&sb, record + 1);
	/* Queued with the decision log when a server runs; the lock keeps
	 * the queue from being stopped meanwhile. */
	pthread_mutex_lock(&flush_lock);
	if (queue_fn != NULL && !sb.oom && sb.buf != NULL) {
		queue_fn(queue_arg, sb.buf, sb.len);
		pthread_mutex_unlock(&flush_lock);
		strbuf_release(&sb);
		return;
	}
	pthread_mutex_unlock(&flush_lock);
	put(&sb);
}
