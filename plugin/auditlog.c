/* auditlog: one JSON object per decision, appended to a file or standard
 * output. Records are built in memory and written with a single write(2)
 * on an O_APPEND descriptor, so concurrent workers never interleave and
 * need no lock; log rotation swaps the file under the same descriptor
 * number with dup2(2). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "auditlog.h"
#include "decision.h"
#include "strbuf.h"

struct auditlog {
	char *path; /* NULL for standard output */
	int fd;
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
		return al;
	}
	al->fd = open_append(path);
	if (al->fd < 0) {
		*why = xasprintf("%s: cannot open the audit log: %s", path,
		                 strerror(errno));
		free(al->path);
		free(al);
		return NULL;
	}
	return al;
}

int auditlog_reopen(struct auditlog *al, char **why)
{
	*why = NULL;
	if (al == NULL || al->path == NULL)
		return 0;
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
	if (al->path != NULL)
		close(al->fd);
	free(al->path);
	free(al);
}

void auditlog_add_json_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_addc(sb, '"');
	while (*p) {
		size_t n = utf8_seq_len(p);
		if (n == 0) {
			strbuf_adds(sb, "\\ufffd");
			p++;
			continue;
		}
		if (n > 1) {
			strbuf_add(sb, p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			strbuf_adds(sb, "\\\"");
			break;
		case '\\':
			strbuf_adds(sb, "\\\\");
			break;
		case '\n':
			strbuf_adds(sb, "\\n");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				strbuf_addf(sb, "\\u%04x", *p);
			else
				strbuf_addc(sb, (char)*p);
		}
		p++;
	}
	strbuf_addc(sb, '"');
}

/* "name":"value", or "name":null when value is NULL. */
static void add_str(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_addf(sb, ",\"%s\":", name);
	if (value == NULL)
		strbuf_adds(sb, "null");
	else
		auditlog_add_json_string(sb, value);
}

/* A decoder's detail can quote the bytes it choked on ("... near
 * 'PASSWORD=hunter2"): that is fine in the reply to the client who sent
 * them, not in a log others read. The quoted part is cut out. */
static char *redact_detail(const char *s)
{
	const char *near = s != NULL ? strstr(s, " near '") : NULL;
	if (near == NULL)
		return NULL;
	const char *at = strstr(near, " (at byte ");
	return xasprintf("%.*s%s", (int)(near - s), s, at != NULL ? at : "");
}

static void add_violations(struct strbuf *sb, const struct decision *d)
{
	strbuf_adds(sb, ",\"violations\":[");
	for (size_t i = 0; i < d->n; i++) {
		struct violation v = d->v[i];
		char *arg2 = redact_detail(v.arg2);
		if (arg2 != NULL)
			v.arg2 = arg2;
		char *msg = decision_render_violation(&v);
		free(arg2);
		strbuf_addf(sb, "%s{\"rule\":\"%s\",\"message\":", i ? "," : "",
		            rule_name(v.rule));
		auditlog_add_json_string(sb, msg ? msg : "");
		strbuf_addf(sb, ",\"enforced\":%s}", v.enforced ? "true" : "false");
		free(msg);
	}
	strbuf_addc(sb, ']');
}

char *auditlog_record(const struct policy *p, const struct request *rq,
                      const struct decision *d, long latency_us)
{
	struct strbuf sb = STRBUF_INIT;
	/* The policy's verdict, and whether dockerd got it: a would-deny of
	 * mode audit or of an audit-only rule is "deny" not enforced, while
	 * the request itself was allowed. */
	bool deny = d->n > 0 || !d->allow;
	bool enforced = !deny || !d->allow;

	strbuf_adds(&sb, "{\"time\":\"");
	audit_add_time(&sb);
	strbuf_addc(&sb, '"');
	add_str(&sb, "user", rq ? rq->user : NULL);
	add_str(&sb, "auth_method", rq ? rq->authn_method : NULL);
	add_str(&sb, "method", rq ? rq->method : NULL);
	add_str(&sb, "path", rq ? rq->route.path : NULL);
	add_str(&sb, "action", rq ? action_name(rq->route.action) : NULL);
	add_str(&sb, "image", d->image);
	strbuf_addf(&sb, ",\"verdict\":\"%s\",\"enforced\":%s",
	            deny ? "deny" : "allow", enforced ? "true" : "false");
	add_violations(&sb, d);
	add_str(&sb, "policy_sha256", p != NULL ? p->sha256 : NULL);
	strbuf_addf(&sb, ",\"latency_us\":%ld}\n", latency_us);
	return strbuf_detach(&sb);
}

void auditlog_write(struct auditlog *al, const struct policy *p,
                    const struct request *rq, const struct decision *d,
                    long latency_us)
{
	if (al == NULL)
		return;
	char *rec = auditlog_record(p, rq, d, latency_us);
	if (rec == NULL)
		return;
	size_t len = strlen(rec), off = 0;
	while (off < len) {
		ssize_t n = write(al->fd, rec + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(rec);
}
