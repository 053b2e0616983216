/* policy: the loaded, validated policy and its rule table. */
#ifndef DOCKGATE_POLICY_H
#define DOCKGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rules a policy can configure. Keep rule_names[] in policy.c in step. */
enum rule_id {
	RULE_NO_ROOT = 0,
	RULE_READ_ONLY_ROOTFS,
	RULE_RESOURCE_LIMITS,
	RULE_CAPABILITIES,
	RULE_REGISTRIES,
	RULE__COUNT,
	/* Checks that are not configurable and always deny. */
	RULE_REQUEST_BODY = RULE__COUNT, /* "request-body" */
	RULE_AUTHZ_REQUEST,              /* "authz-request" */
	RULE__ALL
};

/* "no-root", ...; static text. */
const char *rule_name(enum rule_id id);
/* The configurable rule called name, or -1. */
int rule_lookup(const char *name);

enum rule_action { RULE_OFF = 0, RULE_DENY, RULE_AUDIT };
enum policy_mode { POLICY_ENFORCE = 0, POLICY_AUDIT };

#define LIMIT_MEMORY 0x1u
#define LIMIT_CPUS 0x2u
#define LIMIT_PIDS 0x4u

struct policy {
	char *source; /* the file it came from */
	int version;
	enum policy_mode mode;
	enum rule_action action[RULE__COUNT]; /* RULE_OFF when absent */

	/* no-root */
	bool unset_user_allow; /* unset-user: allow */
	bool unset_user_inspect; /* unset-user: inspect: judge the image's
	                          * Config.User (looked up before eval) */

	/* resource-limits */
	unsigned limits_require; /* LIMIT_* bits */
	int64_t max_memory;      /* bytes; 0 = no ceiling */
	int64_t max_nano_cpus;   /* 1e9 = one CPU; 0 = no ceiling */
	int64_t max_pids;        /* 0 = no ceiling */

	/* capabilities: upper case, without "CAP_"; "ALL" only when listed */
	char **cap_allow;
	size_t n_cap_allow;

	/* registries: patterns valid for imageref_pattern_valid() */
	char **registries;
	size_t n_registries;

	_Atomic int refs; /* see policy_ref; 1 when loaded */

	/* sha256 of the file's bytes as loaded, lower-case hex; names the
	 * policy in audit records and metrics. Set by policy_set_digest. */
	char sha256[65];
};

/* Every error of a file, each "FILE:LINE:COL: message". */
struct policy_errors {
	char **msg;
	size_t n;
};
void policy_errors_clear(struct policy_errors *e);

/* Loads and validates. Returns a new policy (refs = 1) when the file has
 * no error; otherwise NULL with every error appended to *errs. */
struct policy *policy_load_file(const char *path, struct policy_errors *errs);
/* Same, from memory; name is used in error positions. */
struct policy *policy_load_buffer(const char *name, const char *data,
                                  size_t len, struct policy_errors *errs);

/* Fills p->sha256 with the digest of data (the bytes p was loaded from).
 * policy_digest.c. */
void policy_set_digest(struct policy *p, const void *data, size_t len);

/* Reference counting, so a reload can swap policies while decisions still
 * run on the old one. policy_unref(NULL) is a no-op. */
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);

/* Docker's units, as the CLI reads them: "64m" (1024-based, as
 * go-units.RAMInBytes), cpus "0.5" (to nano CPUs). Return 0 or -1. */
int policy_parse_memory(const char *s, int64_t *bytes);
int policy_parse_cpus(const char *s, int64_t *nano);

#endif
