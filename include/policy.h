/* policy: the loaded, validated policy and its rule table. */
#ifndef DOCKGATE_POLICY_H
#define DOCKGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct policy_group {
	char *name;
	char **users; /* TLS client-certificate CNs */
	size_t n_users;
};

/* Waives rules (bit 1 << rule_id) for requests whose TLS user is listed
 * (or in a listed group) and/or whose image matches a pattern; every list
 * given must match. */
struct policy_exception {
	char **users;
	size_t n_users;
	char **groups; /* names of p->groups */
	size_t n_groups;
	char **images; /* registry patterns, as registries.allow */
	size_t n_images;
	uint32_t rules;
};

/* Rules a policy can configure. Keep rule_names[] in policy.c in step. */
enum rule_id {
	RULE_NO_ROOT = 0,
	RULE_READ_ONLY_ROOTFS,
	RULE_RESOURCE_LIMITS,
	RULE_CAPABILITIES,
	RULE_REGISTRIES,
	RULE_PRIVILEGED,
	RULE_HOST_NAMESPACES,
	RULE_HOST_MOUNTS,
	RULE_DEVICES,
	RULE_NO_NEW_PRIVILEGES,
	RULE_SECURITY_PROFILES,
	RULE_IMAGE_TAGS,
	RULE_EXEC,
	RULE_UPDATE,
	RULE_API,
	RULE__COUNT,
	/* Checks that are not configurable and always deny. */
	RULE_REQUEST_BODY = RULE__COUNT, /* "request-body" */
	RULE_AUTHZ_REQUEST,              /* "authz-request" */
	RULE_SELF_PROTECTION,            /* "self-protection": see selfprotect.h */
	RULE__ALL
};

/* Exceptions keep the rules they waive as bits of a uint32_t. */
_Static_assert(RULE__COUNT <= 32, "too many rules for an exception mask");

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
	bool require_drop_all; /* capabilities.require-drop-all: true */

	/* registries: patterns valid for imageref_pattern_valid() */
	char **registries;
	size_t n_registries;
	/* Image ingress that cannot be inspected: allowed at all? */
	bool load_allow;   /* load: allow (default deny) */
	bool import_allow; /* import: allow (default deny) */
	bool build_deny;   /* build: deny (default allow, to approved names) */

	/* host-namespaces: joining another container's namespace too */
	bool ns_container_deny; /* container: deny */

	/* host-mounts: clean absolute paths */
	char **mounts_deny; /* the default list when the policy gives none */
	size_t n_mounts_deny;
	bool has_mounts_allow; /* allow given: sources must lie under it */
	char **mounts_allow;
	size_t n_mounts_allow;
	bool volumes_from_allow; /* volumes-from: allow */

	/* security-profiles: sysctl names ('.'-separated), "prefix.*" too */
	bool has_sysctls;
	char **sysctls;
	size_t n_sysctls;

	/* image-tags */
	bool require_digest;

	/* exec */
	bool exec_root_allow; /* root: allow (only Privileged is judged) */

	/* api: "METHOD /path" patterns (see policy_api_match) */
	char **api_deny;
	size_t n_api_deny;
	char **api_allow;
	size_t n_api_allow;
	bool api_default_deny; /* default: deny, for routes nothing governs */

	/* groups and exceptions (see below) */
	struct policy_group *groups;
	size_t n_groups;
	struct policy_exception *exceptions;
	size_t n_exceptions;

	/* Derived by policy_index when a load succeeds; NULL in a policy
	 * built by hand, where callers fall back to the lists above. */
	char *cap_allow_text;    /* cap_allow as messages print it */
	char *registries_text;   /* registries as messages print it (capped:
	                          * see policy_list_text) */
	char *mounts_allow_text; /* mounts_allow, the same */
	char *sysctls_text;      /* sysctls, the same */
	/* registries by pattern key: (key, index in registries) */
	struct policy_keys *reg_index;
	char *reg_keys; /* the keys' text */
	struct exception_index *ex_index; /* NULL without exceptions */

	_Atomic int refs; /* see policy_ref; 1 when loaded */

	/* sha256 of the file's bytes as loaded, lower-case hex; names the
	 * policy in audit records and metrics. Set by policy_set_digest. */
	char sha256[65];
};

/* An entry of a sorted look-up table. */
struct policy_key {
	const char *key; /* borrowed from the policy or its index */
	size_t i;        /* an index in registries, exceptions or groups */
	size_t j;        /* images: the pattern's index in the exception's */
};

struct policy_keys {
	struct policy_key *v; /* sorted by key (strcmp), then i, then j */
	size_t n;
};

/* The [*lo, *hi) of k's entries whose key is s[0..len) (s need not end
 * there). */
void policy_keys_range(const struct policy_keys *k, const char *s, size_t len,
                       size_t *lo, size_t *hi);

/* Image patterns (registries.allow, exceptions' images) are indexed by
 * their pattern key: the pattern with its first component replaced by
 * imageref_domain_key's, "docker.io/library" for "Index.Docker.IO/library".
 * imageref_match(ref, pattern) holds only when the pattern's key is ref's
 * name key ("DOMAINKEY/PATH") cut at the end of the domain or of a path
 * component, so those few keys are the only ones to look up. */

/* ref's name key, a new string (NULL when out of memory); *domlen is the
 * length of its domain part. */
char *policy_name_key(const char *domain, const char *path, size_t *domlen);

/* Visits the entries of t (pattern keys) that name, a name key with a
 * domain part of domlen bytes, can lie under, calling fn(cls, entry) on
 * each until it returns true. Returns the number visited; with fn NULL
 * it only counts them. */
size_t policy_keys_under(const struct policy_keys *t, const char *name,
                         size_t domlen,
                         bool (*fn)(void *cls, const struct policy_key *k),
                         void *cls);

enum { EX_ONE = 0, EX_BOTH = 1 };

/* The exceptions by what they can match, so that a decision visits only
 * exceptions whose user or image matches instead of all of them. An
 * exception waives its rules when each of its non-empty lists matches:
 * [EX_ONE] holds those with users/groups or images, [EX_BOTH] those with
 * both, which are looked up from whichever side has fewer candidates and
 * checked on the other. */
struct exception_index {
	uint32_t always; /* rules of exceptions whose lists are all empty */
	struct policy_keys user_groups; /* (user, index in groups) */
	struct policy_keys users[2];    /* (user, exception) */
	struct policy_keys groups[2];   /* (group name, exception) */
	struct policy_keys images[2];   /* (pattern key, exception, pattern) */
	char *keys; /* the pattern keys' text */
};

/* Fills the derived fields above. Returns 0, or -1 when out of memory. */
int policy_index(struct policy *p);

/* A policy list as messages print it: "a, b", or "nothing" when empty.
 * Returns a new string or NULL. */
char *policy_join_list(char *const *items, size_t n);

/* Deny messages name at most this many entries of a list the policy can
 * make arbitrarily long. */
#define POLICY_LIST_SHOWN 10

/* The same, naming at most the first POLICY_LIST_SHOWN items and then how
 * many more there are and where: "a, b, ..., j and 9,990 more listed in
 * the policy's registries rule" (rule names the rule whose list it is).
 * Up to POLICY_LIST_SHOWN items it is exactly policy_join_list's text.
 * Returns a new string or NULL. */
char *policy_list_text(char *const *items, size_t n, enum rule_id rule);

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

/* True when "METHOD /path" pattern matches method and the cleaned,
 * version-less path: METHOD is an HTTP method (any case) or "*"; in the
 * path "*" matches within one segment and a "**" segment any number of
 * segments, none included. */
bool policy_api_match(const char *pattern, const char *method,
                      const char *path);
/* Whether s is a valid pattern; *why (static) says why not. */
bool policy_api_valid(const char *s, const char **why);

/* Docker's units, as the CLI reads them: "64m" (1024-based, as
 * go-units.RAMInBytes), cpus "0.5" (to nano CPUs). Return 0 or -1. */
int policy_parse_memory(const char *s, int64_t *bytes);
int policy_parse_cpus(const char *s, int64_t *nano);

#endif
