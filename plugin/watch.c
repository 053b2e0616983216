/* watch: inotify on the policy's directory, debounced. See watch.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "watch.h"

/* What identifies one version of the file. */
struct sig {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct watch {
	char *path;
	char *names[2]; /* base names that concern us: the path's, its target's */
	unsigned debounce_ms;
	void (*changed)(void *cls);
	void *cls;
	int ifd;     /* inotify */
	int stop[2]; /* a pipe: writing to it ends the thread */
	pthread_t thread;
	struct sig last;
};

static struct sig sig_of(const char *path)
{
	struct sig s;
	struct stat sb;

	memset(&s, 0, sizeof s);
	if (stat(path, &sb) == 0) { /* follows symlinks, as the loader does */
		s.present = true;
		s.dev = sb.st_dev;
		s.ino = sb.st_ino;
		s.size = sb.st_size;
		s.mtime = sb.st_mtim;
		s.ctime = sb.st_ctim;
	}
	return s;
}

static bool sig_same(const struct sig *a, const struct sig *b)
{
	return a->present == b->present && a->dev == b->dev &&
	       a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* True when an event on name may change what path reads: the file itself,
 * its symlink target, or Kubernetes' "..data" symlink swap. Other files in
 * the directory (a log next to the policy) must not keep the debounce from
 * ever going quiet. */
static bool concerns(const struct watch *w, const struct inotify_event *ev)
{
	if (ev->len == 0)
		return true; /* the directory itself moved or went away */
	if (strncmp(ev->name, "..", 2) == 0)
		return true;
	for (int i = 0; i < 2; i++)
		if (w->names[i] != NULL && strcmp(ev->name, w->names[i]) == 0)
			return true;
	return false;
}

/* Reads every pending event; sets *hit when one concerns the policy.
 * Returns false when the watch cannot go on. */
static bool drain(struct watch *w, bool *hit)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->ifd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *ev =
			    (const struct inotify_event *)(buf + off);
			if ((ev->mask & IN_Q_OVERFLOW) || concerns(w, ev))
				*hit = true;
			off += (ssize_t)(sizeof *ev + ev->len);
		}
	}
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	struct pollfd pf[2] = {{w->ifd, POLLIN, 0}, {w->stop[0], POLLIN, 0}};
	long due = -1; /* when to look at the file; -1: nothing pending */

	for (;;) {
		/* Idle: wait for anything. Pending: until debounce_ms after the
		 * last event that concerned the policy; events on other files
		 * do not move that deadline. */
		long left = due < 0 ? -1 : due - now_ms();
		int rc = left == 0 || left < -1 ? 0 : poll(pf, 2, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 || (pf[1].revents & (POLLIN | POLLHUP)))
			break;
		if (rc > 0) {
			bool hit = false;
			if ((pf[0].revents & POLLIN) && !drain(w, &hit))
				break;
			if (hit)
				due = now_ms() + (long)w->debounce_ms;
			continue;
		}
		/* Quiet. A file that is absent (mid-rename, deleted) is not a
		 * new policy: wait for it to come back. */
		due = -1;
		struct sig now = sig_of(w->path);
		if (!now.present || sig_same(&now, &w->last))
			continue;
		w->last = now;
		w->changed(w->cls);
	}
	return NULL;
}

/* The last component of path. New string. */
static char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strdup(slash != NULL ? slash + 1 : path);
}

/* The directory part of path ("." when there is none). New string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int add_dir_watch(int ifd, const char *file, char **why)
{
	char *dir = dir_of(file);
	if (dir == NULL) {
		*why = strdup("out of memory");
		return -1;
	}
	int rc = inotify_add_watch(ifd, dir,
	                           IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO |
	                               IN_MOVED_FROM | IN_CREATE | IN_DELETE |
	                               IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
	if (rc < 0)
		*why = xasprintf("%s: cannot watch: %s", dir, strerror(errno));
	free(dir);
	return rc < 0 ? -1 : 0;
}

struct watch *watch_start(const char *path, unsigned debounce_ms,
                          void (*changed)(void *cls), void *cls, char **why)
{
	struct watch *w = calloc(1, sizeof *w);
	char real[PATH_MAX];

	*why = NULL;
	if (w == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		*why = strdup("out of memory");
		return NULL;
	}
	w->debounce_ms = debounce_ms;
	w->changed = changed;
	w->cls = cls;
	w->stop[0] = w->stop[1] = -1;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0) {
		*why = xasprintf("inotify: %s", strerror(errno));
		goto fail;
	}
	if ((w->names[0] = base_of(path)) == NULL) {
		*why = strdup("out of memory");
		goto fail;
	}
	if (add_dir_watch(w->ifd, path, why) < 0)
		goto fail;
	/* A symlink's target may live elsewhere; edits there count too. */
	if (realpath(path, real) != NULL && strcmp(real, path) != 0) {
		if ((w->names[1] = base_of(real)) == NULL) {
			*why = strdup("out of memory");
			goto fail;
		}
		if (add_dir_watch(w->ifd, real, why) < 0)
			goto fail;
	}
	if (pipe2(w->stop, O_CLOEXEC) < 0) {
		*why = xasprintf("pipe: %s", strerror(errno));
		goto fail;
	}
	w->last = sig_of(path);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		*why = strdup("cannot start the watch thread");
		goto fail;
	}
	return w;
fail:
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->stop[0] >= 0) {
		close(w->stop[0]);
		close(w->stop[1]);
	}
	free(w->names[0]);
	free(w->names[1]);
	free(w->path);
	free(w);
	return NULL;
}

void watch_stop(struct watch *w)
{
	if (w == NULL)
		return;
	/* Closing the write end wakes poll with POLLHUP. */
	close(w->stop[1]);
	pthread_join(w->thread, NULL);
	close(w->stop[0]);
	close(w->ifd);
	free(w->names[0]);
	free(w->names[1]);
	free(w->path);
	free(w);
}
