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
#include "strbuf.h"

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

struct request;
struct decision;
struct decide_record;

/* One call's side of the hooks: whether prepare may block, and whether it
 * asked for the decision to be made again where it may. */
struct decide_call {
	bool may_block; /* in: not on an HTTP worker thread */
	bool deferred;  /* out: prepare needs I/O; decide() returned NULL */
	/* in: keep what the decision-log line is made of (the request and
	 * the decision) in *record instead of writing the line, so that the
	 * server sends the reply first and then formats the line
	 * (decide_record_line) and frees the request (decide_record_free):
	 * neither holds the reply up. */
	bool defer_log;
	/* out, with defer_log: NULL when out of memory, and the line was
	 * then written to log at once. */
	struct decide_record *record;
	/* in: when not NULL, a decision whose prepare would block is not
	 * deferred: its look-up counts as failed for this reason (the slow
	 * lane is full), and the decision is made, logged and recorded as
	 * any other. */
	const char *refuse_lookup;
};

/* Appends the decision-log line of a kept decision (as audit_log writes
 * it) to sb. */
void decide_record_line(const struct decide_record *r, struct strbuf *sb);
void decide_record_free(struct decide_record *r);

/* What the daemon adds around a decision (audit log, metrics). Every
 * member is optional; decide() runs with none. */
struct decide_hooks {
	/* Called with the request model before eval, to add facts that need
	 * I/O (the image's user). Returns 0 to go on, or 1 when it must block
	 * and call->may_block is false: decide_hooked() then stops, sets
	 * call->deferred and returns NULL, and the caller runs it again on a
	 * thread that may block. */
	int (*prepare)(void *cls, struct decide_call *call,
	               const struct policy *p, struct request *rq);
	/* Called once per decision after the reply is built. rq is NULL when
	 * the request could not be modelled. Runs on the deciding thread; must
	 * not block for long. */
	void (*record)(void *cls, const struct policy *p,
	               const struct request *rq, const struct decision *d,
	               long latency_us);
	void *cls;
};

/* decide(), with hooks (NULL: none) and this call's side of them (NULL:
 * may not block). */
char *decide_hooked(const struct policy *p, const struct decide_opts *opts,
                    const char *data, size_t len, bool *allow, FILE *log,
                    const struct decide_hooks *h, struct decide_call *call);

/* The reply used when the request cannot even be read (too large, out of
 * memory). Static string. */
extern const char decide_fallback_deny[];

#endif
