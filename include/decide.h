/* decide: the whole path for one AuthZReq body, shared by the daemon and
 * `dockgate eval`: decode -> route -> model -> eval -> render -> audit ->
 * encode. */
#ifndef DOCKGATE_DECIDE_H
#define DOCKGATE_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"
#include "selfprotect.h"

/* What a decision needs besides the policy: fixed for the process's life
 * (command-line flags), so a policy reload never changes them. */
struct decide_opts {
	struct selfprotect_opts self; /* dockgate's own plugin names */
};

/* Returns the reply JSON (new string) for the AuthZReq in data, sets *allow,
 * and writes one audit line to log (when not NULL). opts may be NULL (no
 * self-protection). Never NULL except on allocation failure; the caller
 * then answers with a static deny. */
char *decide(const struct policy *p, const struct decide_opts *opts,
             const char *data, size_t len, bool *allow, FILE *log);

/* The reply used when the request cannot even be read (too large, out of
 * memory). Static string. */
extern const char decide_fallback_deny[];

#endif
