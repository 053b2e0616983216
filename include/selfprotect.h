/* selfprotect: dockgate refuses the API calls that would switch itself off.
 *
 * A managed authorization plugin that is disabled, removed, re-configured
 * or upgraded leaves dockerd's authorization chain (or runs other code in
 * it), so every other rule would be void. These calls are judged before the
 * policy and denied whatever the policy says, audit mode included. */
#ifndef DOCKGATE_SELFPROTECT_H
#define DOCKGATE_SELFPROTECT_H

#include <stdbool.h>
#include <stddef.h>

#include "eval.h"
#include "route.h"

/* The names dockgate answers to as a managed plugin (`serve --self-name`).
 * A name without '/' ("dockgate") protects every plugin whose repository's
 * last path component is that name, whatever its registry, namespace or
 * tag ("dockgate:latest", "myorg/dockgate:1.2"); a name with '/'
 * ("myorg/dockgate") protects that repository only, under any tag. Tags
 * and digests given in a self name are ignored. Borrowed strings. */
struct selfprotect_opts {
	const char *const *names;
	size_t n;
};

/* The name used when `--self-name` is not given. Static text. */
extern const char selfprotect_default_name[];

/* Checks that name can serve as a self name. Returns false with *why
 * (static text) when it cannot, e.g. an image ID or an invalid reference. */
bool selfprotect_name_valid(const char *name, const char **why);

/* True when route r is an action that would weaken a plugin (disable,
 * remove, set, upgrade), whatever plugin it names. */
bool selfprotect_applies(const struct route *r);

/* Judges route r against opts (NULL: no self names, nothing protected) and
 * adds an enforced RULE_SELF_PROTECTION violation to d when r disables,
 * removes, re-configures or upgrades a plugin that is, or may be, dockgate
 * itself: one of its names, or a plugin given by ID or ID prefix, which
 * cannot be told apart from it. Returns true when it denied. */
bool selfprotect_check(const struct selfprotect_opts *opts,
                       const struct route *r, struct decision *d);

#endif
