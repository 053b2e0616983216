/* watch: --watch, reload when the policy file changes (inotify).
 *
 * Watches the directory that holds the policy (and, when the path is a
 * symlink, the directory of its target), because editors and config
 * managers replace the file by renaming a new one over it, and Kubernetes
 * swaps a symlink: a watch on the file itself would stay on the old inode.
 * Bursts of events are debounced; the callback runs once the directory has
 * been quiet for a moment and the file's identity (inode, size, times)
 * differs from the last one seen. */
#ifndef DOCKGATE_WATCH_H
#define DOCKGATE_WATCH_H

struct watch;

/* Starts a thread watching path. changed(cls) runs on that thread. Returns
 * a new watch (stop with watch_stop) or NULL with *why (new string). */
struct watch *watch_start(const char *path, unsigned debounce_ms,
                          void (*changed)(void *cls), void *cls, char **why);
/* Stops the thread and frees w. watch_stop(NULL) is a no-op. */
void watch_stop(struct watch *w);

#endif
