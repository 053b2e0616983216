/* policy: the rule table and the policy's lifetime. Loading lives in
 * policy_load.c. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const char *const rule_names[RULE__ALL] = {
    [RULE_NO_ROOT] = "no-root",
    [RULE_READ_ONLY_ROOTFS] = "read-only-rootfs",
    [RULE_RESOURCE_LIMITS] = "resource-limits",
    [RULE_CAPABILITIES] = "capabilities",
    [RULE_REGISTRIES] = "registries",
    [RULE_PRIVILEGED] = "privileged",
    [RULE_HOST_NAMESPACES] = "host-namespaces",
    [RULE_HOST_MOUNTS] = "host-mounts",
    [RULE_DEVICES] = "devices",
    [RULE_NO_NEW_PRIVILEGES] = "no-new-privileges",
    [RULE_SECURITY_PROFILES] = "security-profiles",
    [RULE_IMAGE_TAGS] = "image-tags",
    [RULE_EXEC] = "exec",
    [RULE_UPDATE] = "update",
    [RULE_REQUEST_BODY] = "request-body",
    [RULE_AUTHZ_REQUEST] = "authz-request",
};

const char *rule_name(enum rule_id id)
{
	if ((unsigned)id >= RULE__ALL)
		return "unknown";
	return rule_names[id];
}

int rule_lookup(const char *name)
{
	for (int i = 0; i < RULE__COUNT; i++)
		if (strcmp(rule_names[i], name) == 0)
			return i;
	return -1;
}

void policy_errors_clear(struct policy_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

/* The count is touched from every worker thread, so it is atomic; the
 * policy itself is immutable once loaded. */
struct policy *policy_ref(struct policy *p)
{
	if (p != NULL)
		atomic_fetch_add_explicit(&p->refs, 1,
		                          memory_order_relaxed);
	return p;
}

static void policy_destroy(struct policy *p)
{
	free(p->source);
	for (size_t i = 0; i < p->n_cap_allow; i++)
		free(p->cap_allow[i]);
	free(p->cap_allow);
	for (size_t i = 0; i < p->n_registries; i++)
		free(p->registries[i]);
	free(p->registries);
	for (size_t i = 0; i < p->n_mounts_deny; i++)
		free(p->mounts_deny[i]);
	free(p->mounts_deny);
	for (size_t i = 0; i < p->n_mounts_allow; i++)
		free(p->mounts_allow[i]);
	free(p->mounts_allow);
	for (size_t i = 0; i < p->n_sysctls; i++)
		free(p->sysctls[i]);
	free(p->sysctls);
	free(p);
}

void policy_unref(struct policy *p)
{
	if (p == NULL)
		return;
	if (atomic_fetch_sub_explicit(&p->refs, 1,
	                              memory_order_acq_rel) == 1)
		policy_destroy(p);
}
