/* auditlog: one JSON object per decision, appended to a file or standard
 * output. Records are built in memory and queued whole, in order, for a
 * writer thread that appends them in batches (declog.h: at most
 * DECLOG_DELAY_MS after their decision, and everything at a rotation or
 * a stop), so a decision pays no system call and records never
 * interleave. Without that thread each record is one write(2) on the
 * O_APPEND descriptor, as before. Log rotation swaps the file under the
 * same descriptor number with dup2(2), after the queue is written. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "auditlog.h"
#include "decision.h"
#include "declog.h"
#include "strbuf.h"

struct auditlog {
	char *path; /* NULL for standard output */
	int fd;
	struct declog *queue; /* NULL: each record written at once */
};

static int open_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	            0640);
}

struct auditlog *auditlog_open(const char *path, char **why)
{
	struct auditlog *al = calloc(1, sizeof *al);

	*why = NULL;
	if (al == NULL || (strcmp(path, "-") != 0 &&
	                   (al->path = strdup(path)) == NULL)) {
		free(al);
		*why = strdup("out of memory");
		return NULL;
	}
	if (al->path == NULL) {
		al->fd = STDOUT_FILENO;
	} else if ((al->fd = open_append(path)) < 0) {
		*why = xasprintf("%s: cannot open the audit log: %s", path,
		                 strerror(errno));
		free(al->path);
		free(al);
		return NULL;
	}
	al->queue = declog_start(al->fd, DECLOG_DELAY_MS);
	return al;
}

int auditlog_reopen(struct auditlog *al, char **why)
{
	*why = NULL;
	if (al == NULL || al->path == NULL)
		return 0;
	/* Records queued so far belong to the old file: written before the
	 * new one exists, so nothing decided after it appears goes there. */
	if (al->queue != NULL)
		declog_flush(al->queue);
	int fd = open_append(al->path);
	if (fd < 0) {
		*why = xasprintf("%s: cannot reopen the audit log: %s; still "
		                 "writing to the old file", al->path,
		                 strerror(errno));
		return -1;
	}
	/* dup2 replaces the file behind al->fd in one step: a write in
	 * flight goes wholly to the old file or wholly to the new one. */
	int rc = dup2(fd, al->fd) < 0 ? -1 : 0;
	if (rc < 0)
		*why = xasprintf("%s: cannot reopen the audit log: %s", al->path,
		                 strerror(errno));
	close(fd);
	return rc;
}

void auditlog_close(struct auditlog *al)
{
	if (al == NULL)
		return;
	declog_stop(al->queue);
	if (al->path != NULL)
		close(al->fd);
	free(al->path);
	free(al);
}

/* One byte of s that a JSON string cannot hold as it is. */
static void add_json_escape(struct strbuf *sb, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	switch (c) {
	case '"':
		strbuf_add(sb, "\\\"", 2);
		break;
	case '\\':
		strbuf_add(sb, "\\\\", 2);
		break;
	case '\n':
		strbuf_add(sb, "\\n", 2);
		break;
	default: {
		char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		strbuf_add(sb, e, sizeof e);
		break;
	}
	}
}

void auditlog_add_json_string(struct strbuf *sb, const char *s)
{
	auditlog_add_json_string_n(sb, s, strlen(s));
}

void auditlog_add_json_string_n(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_reserve(sb, n + 2);
	strbuf_addc(sb, '"');
	if (utf8_valid(s, n)) {
		/* The usual case: plain runs (valid UTF-8 included) copied
		 * whole, found a vector at a time. */
		while (n > 0) {
			size_t run = json_plain_prefix((const char *)p, n, true);
			strbuf_add(sb, p, run);
			p += run;
			n -= run;
			if (n == 0)
				break;
			add_json_escape(sb, *p);
			p++;
			n--;
		}
		strbuf_addc(sb, '"');
		return;
	}
	while (n > 0 && *p) {
		size_t len = utf8_seq_len_n(p, n);
		if (len == 0) {
			strbuf_adds(sb, "\\ufffd");
			p++;
			n--;
			continue;
		}
		if (len > 1) {
			strbuf_add(sb, p, len);
			p += len;
			n -= len;
			continue;
		}
		if (*p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			add_json_escape(sb, *p);
		else
			strbuf_addc(sb, (char)*p);
		p++;
		n--;
	}
	strbuf_addc(sb, '"');
}

static void add_str(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_add(sb, ",\"", 2);
	strbuf_adds(sb, name);
	strbuf_add(sb, "\":", 2);
	if (value == NULL)
		strbuf_adds(sb, "null");
	else
		auditlog_add_json_string(sb, value);
}

/* A decoder's detail can quote the bytes it choked on ("... near
 * 'PASSWORD=hunter2"): that is fine in the reply to the client who sent
 * them, not in a log others read. The quoted part is cut out: s is the
 * detail, which holds " near '" at near, and the rest goes to buf (no
 * allocation that could fail and leave the quote in). A detail is a
 * decoder's short sentence; a longer one is cut short. */
static char *redact_detail(const char *s, const char *near, char *buf,
                           size_t size)
{
	const char *at = strstr(near, " (at byte ");
	size_t head = (size_t)(near - s);
	if (head > size / 2)
		head = size / 2;
	snprintf(buf, size, "%.*s%s", (int)head, s, at != NULL ? at : "");
	return buf;
}

static void add_violations(struct strbuf *sb, const struct decision *d)
{
	strbuf_adds(sb, ",\"violations\":[");
	for (size_t i = 0; i < d->n; i++) {
		struct violation v = d->v[i];
		strbuf_adds(sb, i ? ",{\"rule\":\"" : "{\"rule\":\"");
		strbuf_adds(sb, rule_name(v.rule));
		strbuf_adds(sb, "\",\"message\":");
		const char *near = v.arg2 != NULL ? strstr(v.arg2, " near '") : NULL;
		char redacted[512];
		if (near == NULL && d->msg != NULL && v.msg_len > 0) {
			/* The reply's own text of it, not rendered again. */
			auditlog_add_json_string_n(sb, d->msg + v.msg_off, v.msg_len);
		} else {
			if (near != NULL)
				v.arg2 = redact_detail(v.arg2, near, redacted,
				                       sizeof redacted);
			char *msg = decision_render_violation(&v);
			/* Out of memory: the rule id stays, the text goes. */
			auditlog_add_json_string(sb, msg ? msg : "");
			free(msg);
		}
		strbuf_adds(sb, v.enforced ? ",\"enforced\":true}"
		                           : ",\"enforced\":false}");
	}
	strbuf_addc(sb, ']');
}

char *auditlog_record(const struct policy *p, const struct request *rq,
                      const struct decision *d, long latency_us)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_reserve(&sb, 1024);
	auditlog_record_add(&sb, p, rq, d, latency_us);
	return strbuf_detach(&sb);
}

void auditlog_record_add(struct strbuf *sb, const struct policy *p,
                         const struct request *rq, const struct decision *d,
                         long latency_us)
{
	/* The policy's verdict, and whether dockerd got it: a would-deny of
	 * mode audit or of an audit-only rule is "deny" not enforced, while
	 * the request itself was allowed. */
	bool deny = d->n > 0 || !d->allow;
	bool enforced = !deny || !d->allow;

	strbuf_adds(sb, "{\"time\":\"");
	audit_add_time(sb);
	strbuf_addc(sb, '"');
	add_str(sb, "user", rq ? rq->user : NULL);
	add_str(sb, "auth_method", rq ? rq->authn_method : NULL);
	add_str(sb, "method", rq ? rq->method : NULL);
	add_str(sb, "path", rq ? rq->route.path : NULL);
	add_str(sb, "action", rq ? action_name(rq->route.action) : NULL);
	add_str(sb, "image", d->image);
	strbuf_adds(sb, deny ? ",\"verdict\":\"deny\"" : ",\"verdict\":\"allow\"");
	strbuf_adds(sb, enforced ? ",\"enforced\":true" : ",\"enforced\":false");
	add_violations(sb, d);
	add_str(sb, "policy_sha256", p != NULL ? p->sha256 : NULL);
	strbuf_adds(sb, ",\"latency_us\":");
	strbuf_add_int(sb, latency_us);
	strbuf_add(sb, "}\n", 2);
}

void auditlog_write(struct auditlog *al, const struct policy *p,
                    const struct request *rq, const struct decision *d,
                    long latency_us)
{
	if (al == NULL)
		return;
	/* The queue copies the record. */
	struct strbuf sb = strbuf_pooled(1024);
	auditlog_record_add(&sb, p, rq, d, latency_us);
	if (!sb.oom && sb.len > 0)
		auditlog_write_record(al, sb.buf, sb.len);
	strbuf_unpool(&sb);
}

void auditlog_write_record(struct auditlog *al, const char *rec, size_t len)
{
	size_t off = 0;
	if (al == NULL)
		return;
	if (al->queue != NULL) {
		declog_write(al->queue, rec, len);
		return;
	}
	while (off < len) {
		ssize_t n = write(al->fd, rec + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}
