/* eval: policy evaluation. Pure: no I/O, no globals. */
#ifndef DOCKGATE_EVAL_H
#define DOCKGATE_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "request.h"

/* Why a rule failed; decision.c turns each into prose with a fix. */
enum reason {
	REASON_USER_ROOT,        /* arg: the User given */
	REASON_USER_UNSET,       /* no User: the image default, often root */
	REASON_USER_INVALID,     /* arg: the User given (uid/gid out of range) */
	REASON_ROOTFS_WRITABLE,
	REASON_LIMIT_MISSING,    /* arg: missing kinds, "memory,cpus,pids" or a
	                          * subset; arg2: "MEM|NANOCPUS|PIDS" ceilings,
	                          * 0 where none */
	REASON_LIMIT_OVER,       /* arg: "memory" ..., arg2: "value|max" */
	REASON_CAP_NOT_ALLOWED,  /* arg: the capability as given, arg2: allowed */
	REASON_IMAGE_MISSING,    /* no Config.Image; arg2: approved registries */
	REASON_IMAGE_ID,         /* arg: the reference, arg2: approved registries */
	REASON_IMAGE_INVALID,    /* arg: the reference, arg2: why */
	REASON_REGISTRY_DENIED,  /* arg: normalized name, arg2: approved list */
	REASON_BODY_MISSING,     /* arg2: the decoder's detail, if any */
	REASON_BODY_INVALID,
	REASON_BODY_AMBIGUOUS,
	REASON_URI_INVALID,      /* arg2: why */
	REASON_IMAGE_USER_ROOT,  /* unset-user: inspect; arg: the image's
	                          * Config.User ("" none), arg2: the image */
	REASON_IMAGE_USER_UNKNOWN, /* arg: the image, arg2: why not known */
	REASON__COUNT
};

struct violation {
	enum rule_id rule;
	enum reason reason;
	bool enforced; /* false: action audit, or policy mode audit */
	char *arg;     /* new strings or NULL */
	char *arg2;
};

struct decision {
	bool allow;
	struct violation *v;
	size_t n;
	char *image; /* the normalized image judged, or NULL */
};

/* Judges rq against p into *d (free with decision_clear). */
void eval_request(const struct policy *p, const struct request *rq,
                  struct decision *d);
void decision_clear(struct decision *d);

/* Adds a violation; used by eval and by the pipeline for requests that
 * could not be modelled. arg/arg2 are copied. Returns 0 or -1 (no memory). */
int decision_add(struct decision *d, enum rule_id rule, enum reason reason,
                 bool enforced, const char *arg, const char *arg2);

#endif
