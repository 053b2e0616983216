/* eval: policy evaluation. Pure: no I/O, no globals. */
#ifndef DOCKGATE_EVAL_H
#define DOCKGATE_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
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
	REASON_BODY_FORM,        /* arg2: why */
	REASON_URI_INVALID,      /* arg2: why */
	/* selfprotect.c; arg: the plugin as the request named it, arg2: the
	 * `docker plugin` subcommand ("disable", "rm", "set", "upgrade"). */
	REASON_SELF_PLUGIN,         /* one of dockgate's own names */
	REASON_SELF_PLUGIN_ID,      /* an ID or what may be an ID prefix */
	REASON_SELF_PLUGIN_INVALID, /* not a plugin reference at all */
	REASON_PRIVILEGED,
	REASON_HOST_NS,          /* arg: "network", ...; arg2: the mode */
	REASON_CONTAINER_NS,     /* arg: "network", ...; arg2: the mode */
	REASON_MOUNT_PROTECTED,  /* arg: host path (clean), arg2: the protected
	                          * path it exposes */
	REASON_MOUNT_NOT_ALLOWED, /* arg: host path (clean), arg2: allowed list */
	REASON_MOUNT_RELATIVE,   /* arg: the source as given */
	REASON_VOLUMES_FROM,     /* arg: the container named */
	REASON_DEVICES,          /* arg: "Devices", "DeviceCgroupRules" or
	                          * "DeviceRequests" */
	REASON_NNP_MISSING,      /* arg: the option that turned it off, or NULL */
	REASON_UNCONFINED,       /* arg: the SecurityOpt entry as given */
	REASON_SECCOMP_LAX,      /* arg: the profile's defaultAction, "" when
	                          * the profile cannot be read */
	REASON_PATHS_UNMASKED,   /* arg: "MaskedPaths" or "ReadonlyPaths" */
	REASON_SYSCTL,           /* arg: the sysctl, arg2: allowed list */
	REASON_TAG_LATEST,       /* arg: the normalized reference, arg2: "given"
	                          * when the tag was explicit */
	REASON_DIGEST_REQUIRED,  /* arg: the normalized reference */
	REASON_EXEC_ROOT,        /* arg: the User given */
	REASON_EXEC_USER_INVALID, /* arg: the User given */
	REASON_EXEC_PRIVILEGED,
	REASON_UPDATE_REMOVES,   /* arg: "memory", "cpus" or "pids" */
	REASON_UPDATE_OVER,      /* as REASON_LIMIT_OVER */
	REASON_UPDATE_PERIOD,    /* a CPU period alone, with a cpus ceiling */
	REASON_TARGET_DENIED,    /* arg: normalized name an image would get
	                          * (tag, push, commit, import, build), arg2:
	                          * approved list */
	REASON_TARGET_MISSING,   /* arg: the parameter ("repo", "remote") */
	REASON_TARGET_INVALID,   /* arg: the name, arg2: why */
	REASON_LOAD_DENIED,
	REASON_IMPORT_DENIED,
	REASON_BUILD_DENIED,
	REASON_BUILD_REMOTE,     /* arg: the remote context */
	REASON_CAP_DROP_ALL,     /* CapDrop lacks ALL */
	REASON_API_DENIED,       /* arg: "METHOD /path", arg2: the pattern */
	REASON_API_DEFAULT,      /* arg: "METHOD /path" */
	REASON_IMAGE_USER_ROOT,  /* unset-user: inspect; arg: the image's
	                          * Config.User ("" none), arg2: the image */
	REASON_IMAGE_USER_UNKNOWN, /* arg: the image, arg2: why not known */
	REASON__COUNT
};

struct violation {
	enum rule_id rule;
	enum reason reason;
	bool enforced; /* false: action audit, or policy mode audit */
	char *arg;     /* the decision's strings (decision_add), or NULL */
	char *arg2;
	bool service; /* judged from a swarm service spec: the fix names
	               * docker service flags */
	/* Where decision_message wrote this violation's text in its
	 * message (msg_len 0: it did not), for the audit record. */
	uint32_t msg_off, msg_len;
};

struct decision {
	bool allow;
	struct violation *v;
	size_t n, cap; /* violations held, and room for */
	char *image; /* the normalized image judged, or NULL */
	/* The message decision_message made of v, while decide's record
	 * hook runs (borrowed; NULL otherwise). */
	const char *msg;
	/* Holds v, the violations' strings and image (decision_clear frees
	 * it); a decision filled in by hand leaves it empty. */
	struct arena arena;
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
