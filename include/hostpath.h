/* hostpath: host paths as a bind mount will resolve them, for the
 * host-mounts rule and its policy lists. */
#ifndef DOCKGATE_HOSTPATH_H
#define DOCKGATE_HOSTPATH_H

#include <stdbool.h>

/* The deny list host-mounts uses when the policy gives none. NULL-ended. */
extern const char *const hostpath_default_deny[];

/* Returns a new string: absolute path p cleaned as Go's filepath.Clean
 * (and so dockerd) does: "//" folded, "." dropped, ".." resolved (never
 * above "/"), no trailing "/". NULL when p is not absolute or out of
 * memory. Symbolic links on the host are not (cannot be) resolved. */
char *hostpath_clean(const char *p);

/* The same in place, for a string that starts with '/'. The router uses
 * it too: dockerd's router redirects unclean paths, so judging the clean
 * form of a request path can only make dockgate stricter. */
void hostpath_clean_inplace(char *p);

/* True when mounting host path `path` (clean) exposes protected path
 * `prot` (clean): path is prot, lies under it, or contains it ("/var"
 * exposes "/var/run/docker.sock"). "/" as prot covers only "/" itself,
 * which every path contains anyway. */
bool hostpath_exposes(const char *path, const char *prot);

/* True when clean `path` is `dir` or lies under it, on whole components. */
bool hostpath_under(const char *path, const char *dir);

#endif
