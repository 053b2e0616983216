/* decide: the whole path for one AuthZReq body, shared by the daemon and
 * `dockgate eval`: decode -> route -> model -> eval -> render -> audit ->
 * encode. */
#ifndef DOCKGATE_DECIDE_H
#define DOCKGATE_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"

/* Returns the reply JSON (new string) for the AuthZReq in data, sets *allow,
 * and writes one audit line to log (when not NULL). Never NULL except on
 * allocation failure; the caller then answers with a static deny. */
char *decide(const struct policy *p, const char *data, size_t len,
             bool *allow, FILE *log);

struct request;
struct decision;

/* What the daemon adds around a decision (audit log, metrics). Every
 * member is optional; decide() runs with none. */
struct decide_hooks {
	/* Called once per decision after the reply is built. rq is NULL when
	 * the request could not be modelled. Runs on the deciding thread; must
	 * not block for long. */
	void (*record)(void *cls, const struct policy *p,
	               const struct request *rq, const struct decision *d,
	               long latency_us);
	void *cls;
};

/* decide(), with hooks (NULL: none). */
char *decide_hooked(const struct policy *p, const char *data, size_t len,
                    bool *allow, FILE *log, const struct decide_hooks *h);

/* The reply used when the request cannot even be read (too large, out of
 * memory). Static string. */
extern const char decide_fallback_deny[];

#endif
