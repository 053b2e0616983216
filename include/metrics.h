/* metrics: counters for Prometheus (--metrics) and the text they are
 * served as. Counting is lock-free (relaxed atomics): it runs on every
 * decision. The HTTP side is metrics_http.c. */
#ifndef DOCKGATE_METRICS_H
#define DOCKGATE_METRICS_H

#include <stdbool.h>

#include "eval.h"
#include "policy.h"
#include "request.h"

struct metrics;

/* Returns new, zeroed counters (free with metrics_free), or NULL. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Counts one decision: by verdict and action, its violations by rule, and
 * its latency. rq may be NULL. m may be NULL (then nothing happens). */
void metrics_observe(struct metrics *m, const struct request *rq,
                     const struct decision *d, long latency_us);
/* Counts a reload; when it succeeded, p (borrowed) is the policy now in
 * force and becomes the info metric. Also used at start (ok, not counted
 * as a reload when initial). */
void metrics_policy(struct metrics *m, const struct policy *p, bool ok,
                    bool initial);

/* The Prometheus text exposition (version 0.0.4). New string or NULL. */
char *metrics_render(struct metrics *m);

#endif
