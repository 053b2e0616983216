/* auditlog: the audit log, one JSON object per decision (--audit-log).
 *
 * A record holds the time, who asked, what was asked (method, decoded path,
 * action, normalized image), the verdict and whether it was enforced, the
 * violations, the policy's sha256 and the latency. It never holds request
 * bodies, environment values, credentials or headers. */
#ifndef DOCKGATE_AUDITLOG_H
#define DOCKGATE_AUDITLOG_H

#include <stddef.h>

#include "eval.h"
#include "policy.h"
#include "request.h"
#include "strbuf.h"

struct auditlog;

/* Opens path for appending (created 0640), or standard output for "-".
 * Returns a new auditlog (free with auditlog_close) or NULL with *why (new
 * string). */
struct auditlog *auditlog_open(const char *path, char **why);
/* Opens the path again (after log rotation moved the file away) and
 * switches to it atomically: writers in flight finish on the old file.
 * Returns 0, or -1 with *why (new string) and the old file kept. A no-op
 * for standard output. */
int auditlog_reopen(struct auditlog *al, char **why);
/* auditlog_close(NULL) is a no-op. */
void auditlog_close(struct auditlog *al);

/* Returns the record for one decision as a new string, one line ending in
 * '\n', or NULL on allocation failure. rq may be NULL (the request could
 * not be modelled). */
char *auditlog_record(const struct policy *p, const struct request *rq,
                      const struct decision *d, long latency_us);
/* Appends the same record to sb. */
void auditlog_record_add(struct strbuf *sb, const struct policy *p,
                         const struct request *rq, const struct decision *d,
                         long latency_us);
/* Queues the record for the log's writer thread, which appends it at most
 * DECLOG_DELAY_MS later (at once on rotation and close); one write(2) of
 * its own when that thread could not start. Thread-safe; records are
 * never interleaved. */
void auditlog_write(struct auditlog *al, const struct policy *p,
                    const struct request *rq, const struct decision *d,
                    long latency_us);
/* The same for a record already made (rec[0..len), a whole line). */
void auditlog_write_record(struct auditlog *al, const char *rec, size_t len);

/* Appends s to sb as a JSON string (quotes included); invalid UTF-8 bytes
 * become U+FFFD, so every record is valid JSON whatever a client sent. */
void auditlog_add_json_string(struct strbuf *sb, const char *s);
/* The same for s[0..n), which need not end in NUL. */
void auditlog_add_json_string_n(struct strbuf *sb, const char *s, size_t n);

#endif
