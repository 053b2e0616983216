/* audit: one log record per decision. Never bodies, never credentials. */
#ifndef DOCKGATE_AUDIT_H
#define DOCKGATE_AUDIT_H

#include <stdio.h>

#include "eval.h"
#include "request.h"

/* Writes one line for the decision to out. rq may be NULL when the request
 * could not be modelled. Thread-safe (one fputs per record). */
void audit_log(FILE *out, const struct request *rq, const struct decision *d,
               long latency_us);

#endif
