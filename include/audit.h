/* audit: one log record per decision. Never bodies, never credentials. */
#ifndef DOCKGATE_AUDIT_H
#define DOCKGATE_AUDIT_H

#include <stdio.h>

#include "eval.h"
#include "request.h"

/* Writes one line for the decision to out. rq may be NULL when the request
 * could not be modelled. Thread-safe (one fputs per record). */
struct strbuf;
/* Appends the current time as RFC 3339 in UTC with milliseconds
 * ("2026-11-23T17:00:50.312Z"), as every log and audit record writes it. */
void audit_add_time(struct strbuf *sb);

void audit_log(FILE *out, const struct request *rq, const struct decision *d,
               long latency_us);
/* The line audit_log writes, newline included: a new string, or NULL when
 * out of memory. */
char *audit_line(const struct request *rq, const struct decision *d,
                 long latency_us);
/* The same line, appended to sb. */
void audit_line_add(struct strbuf *sb, const struct request *rq,
                    const struct decision *d, long latency_us);

#endif
