/* server: libmicrohttpd on a Unix socket, one daemon per worker thread,
 * fed by the acceptor (acceptor.h). Buffers AuthZReq bodies up to a limit,
 * hands them to decide(), and answers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "acceptor.h"
#include "authz_proto.h"
#include "bufpool.h"
#include "declog.h"
#include "log.h"
#include "decide.h"
#include "server.h"
#include "spinwait.h"
#include "strbuf.h"

struct slow_lane;

struct server {
	struct MHD_Daemon **mhd; /* one per worker thread */
	unsigned n_mhd;          /* started so far */
	struct acceptor *acceptor;
	int listen_fd;
	struct slow_lane *slow;
	pthread_mutex_t lock; /* guards policy (the pointer, not the policy) */
	struct policy *policy;
	size_t max_body;
	FILE *log;
	struct declog *declog; /* batches the lines for log; NULL: direct */
	/* {"Allow":true} and the Activate reply, built once and queued for
	 * every request that gets them (MHD counts their references): most
	 * replies are one of these. NULL: built per reply. */
	struct MHD_Response *allow_reply, *activate_reply;
	const struct decide_opts *opts; /* borrowed from the config */
	const struct decide_hooks *hooks;
	char *socket_path; /* the socket we created and must remove, or NULL */
	dev_t sock_dev;
	ino_t sock_ino;
};

/* How long decision-log lines may gather before they are written in one
 * call (declog.h). */
static void flush_declog(void *arg)
{
	declog_flush(arg);
}

static void queue_declog(void *arg, const char *line, size_t len)
{
	declog_write(arg, line, len);
}

/* libmicrohttpd's per-connection pool holds the request head and the read
 * buffer, and it zeroes the whole pool after every request: with the
 * default 32 KiB that memset was 13% of the daemon's CPU at 16
 * connections. dockerd's request heads are a few hundred bytes; bodies are
 * streamed into our own buffer whatever the pool size. 8 KiB is also the
 * usual limit on a request head (larger ones get 431). */
#define CONN_MEMORY (8u * 1024)
/* Open connections at most, over all workers; more wait in the backlog. */
#define MAX_CONNECTIONS 4096u
/* Descriptors that must be left once everything else is up, besides the
 * acceptor's eventfd: connections (dockerd keeps one or two per plugin,
 * more for parallel calls), a reload's policy file, an audit log
 * reopened, a look-up's socket to dockerd. */
#define FD_ROOM 16u

enum endpoint { EP_ACTIVATE, EP_AUTHZ_REQ, EP_AUTHZ_RES, EP_UNKNOWN };

/* Per-request state, from the first call of the handler until the request
 * completes. */
struct req_state {
	enum endpoint ep;
	struct strbuf body;
	size_t seen;   /* bytes of body received, kept or not */
	bool too_big;  /* body exceeded max_body: rest discarded */
	char *slow_reply; /* set by the slow lane before it resumes us */
	bool slow_done;
	/* The decision, kept until the request completes: its log line is
	 * made and queued, and the request freed, once the reply has gone,
	 * so the client waits for neither. */
	struct decide_record *record;
};

static int slow_submit(struct server *s, struct MHD_Connection *conn,
                       struct req_state *st, struct policy *p);
static struct slow_lane *slow_start(struct server *s, unsigned n);
static void slow_drain(struct slow_lane *sl);
static void slow_free(struct slow_lane *sl);
static void stop_serving(struct server *s);

static const char not_found_reply[] =
    "{\"Err\":\"dockgate: unknown endpoint; dockerd calls /Plugin.Activate, "
    "/AuthZPlugin.AuthZReq and /AuthZPlugin.AuthZRes\"}";
static const char bad_method_reply[] =
    "{\"Err\":\"dockgate: plugin endpoints take POST\"}";

static enum endpoint endpoint_of(const char *url)
{
	if (strcmp(url, "/AuthZPlugin.AuthZReq") == 0)
		return EP_AUTHZ_REQ;
	if (strcmp(url, "/AuthZPlugin.AuthZRes") == 0)
		return EP_AUTHZ_RES;
	if (strcmp(url, "/Plugin.Activate") == 0)
		return EP_ACTIVATE;
	return EP_UNKNOWN;
}

/* A connection that has had an answer is dockerd's keep-alive connection,
 * and only dockerd may close it. Its plugin client (Go's http.Transport,
 * no IdleConnTimeout) keeps idle connections forever and cannot replay a
 * POST: when our idle timeout closes one just as dockerd reuses it, that
 * call fails with "connection reset by peer", dockerd sleeps a second and
 * sends it again with an empty body, and we deny it ([authz-request]).
 * With --idle-timeout 1, 46 of 150 calls spaced 0.99 to 1.01 s apart
 * failed that way. So the timeout is lifted at the first reply; it still
 * closes connections that stay silent or stall before one. dockerd keeps
 * at most two idle connections per plugin. */
static void keep_until_client_closes(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_TIMEOUT);
	if (ci == NULL || ci->connection_timeout != 0)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
}

static struct MHD_Response *new_response(const char *body, bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)(uintptr_t)body,
	    must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r != NULL &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                            "application/vnd.docker.plugins.v1.2+json") !=
	        MHD_YES) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return r;
}

/* Queues a reply. When must_free, body is a malloc'd string MHD frees.
 * The two common bodies go out as the server's prebuilt responses. */
static enum MHD_Result reply(struct server *s, struct MHD_Connection *conn,
                             unsigned status, const char *body, bool must_free)
{
	struct MHD_Response *shared = NULL;
	if (status == MHD_HTTP_OK && strcmp(body, authz_res_allow_reply) == 0)
		shared = s->allow_reply;
	else if (status == MHD_HTTP_OK && body == authz_activate_reply)
		shared = s->activate_reply;
	enum MHD_Result ret;
	if (shared != NULL) {
		if (must_free)
			free((void *)(uintptr_t)body);
		ret = MHD_queue_response(conn, status, shared);
	} else {
		struct MHD_Response *r = new_response(body, must_free);
		if (r == NULL) {
			if (must_free)
				free((void *)(uintptr_t)body);
			return MHD_NO;
		}
		ret = MHD_queue_response(conn, status, r);
		MHD_destroy_response(r);
	}
	if (ret == MHD_YES)
		keep_until_client_closes(conn);
	return ret;
}

/* The epoll descriptor of a daemon's thread, or -1. */
static int epoll_fd(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	return di != NULL ? di->epoll_fd : -1;
}

/* True when the acceptor's eventfd and FD_ROOM more descriptors can be
 * had (copies of fd, closed again). A daemon started with none left would
 * accept nothing, ever: every connection would wait in the backlog while
 * it looked healthy, and dockerd's calls would hang. */
static bool fd_room(int fd)
{
	int got[FD_ROOM + 1];
	unsigned n = 0;
	while (n < FD_ROOM + 1 && (got[n] = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0)
		n++;
	for (unsigned i = 0; i < n; i++)
		close(got[i]);
	return n == FD_ROOM + 1;
}

/* The prebuilt replies and the decision-log writer, once no worker can
 * use them (after MHD stopped, or when it never started). */
static void release_output(struct server *s)
{
	if (s->allow_reply != NULL)
		MHD_destroy_response(s->allow_reply);
	if (s->activate_reply != NULL)
		MHD_destroy_response(s->activate_reply);
	if (s->declog != NULL) {
		/* Written while other lines still flush it first (a reload
		 * logged now comes after them); no worker queues any more. */
		declog_flush(s->declog);
		log_set_queue(NULL, NULL);
		log_set_flush(NULL, NULL);
		declog_stop(s->declog);
	}
}

/* A new reference to the policy in force; the caller unrefs it. */
static struct policy *current_policy(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	struct policy *p = policy_ref(s->policy);
	pthread_mutex_unlock(&s->lock);
	return p;
}

/* Decides st's body on p with this call's side of the hooks, keeping the
 * decision's record for the request's completion. */
static char *decide_body(const struct server *s, struct req_state *st,
                         const struct policy *p, struct decide_call *call,
                         bool *allow)
{
	char *out = decide_hooked(p, s->opts, st->body.buf ? st->body.buf : "",
	                          st->body.len, allow, s->log, s->hooks, call);
	st->record = call->record;
	return out;
}

static enum MHD_Result answer_authz_req(struct server *s,
                                        struct MHD_Connection *conn,
                                        struct req_state *st)
{
	char *out;
	bool allow;

	if (st->too_big || st->body.oom) {
		char *msg = xasprintf(
		    "[authz-request] the AuthZ request is larger than %zu bytes "
		    "(%zu received), so it cannot be checked; send a smaller request",
		    s->max_body, st->seen);
		out = msg ? authz_reply(false, msg) : NULL;
		free(msg);
		if (out == NULL)
			return reply(s, conn, MHD_HTTP_OK, decide_fallback_deny, false);
		return reply(s, conn, MHD_HTTP_OK, out, true);
	}
	struct policy *p = current_policy(s);
	struct decide_call call = {.defer_log = true};
	out = decide_body(s, st, p, &call, &allow);
	/* The decision needs I/O (an image look-up in dockerd, whose own
	 * authorization call comes back here): the connection waits, the
	 * worker does not. The slow lane decides again and resumes it. */
	if (call.deferred) {
		if (slow_submit(s, conn, st, p) == 0)
			return MHD_YES; /* the policy reference went with the job */
		/* The lane is full (or there is none): decided again here,
		 * the look-up failed, so the deny is logged, audited and
		 * counted like any other. */
		struct decide_call refused = {
		    .defer_log = true,
		    .refuse_lookup = "too many image look-ups are waiting for "
		                     "dockerd; try again"};
		out = decide_body(s, st, p, &refused, &allow);
	}
	policy_unref(p);
	if (out == NULL)
		return reply(s, conn, MHD_HTTP_OK, decide_fallback_deny, false);
	return reply(s, conn, MHD_HTTP_OK, out, true);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct req_state *st = *con_cls;
	(void)version;

	if (st == NULL) {
		/* The thread's last request state, or a new one. */
		st = bufpool_calloc_exact(sizeof *st);
		if (st == NULL)
			return MHD_NO;
		st->ep = endpoint_of(url);
		*con_cls = st;
		/* The body's size is known up front (dockerd sends a
		 * Content-Length): one allocation instead of doubling. */
		const char *cl = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (st->ep == EP_AUTHZ_REQ && cl != NULL) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno == 0 && end != cl && *end == '\0' && n > 0 &&
			    n <= s->max_body) {
				/* This thread's last body buffer, if it fits. */
				size_t cap;
				char *b = bufpool_get((size_t)n + 1, &cap);
				if (b != NULL) {
					b[0] = '\0';
					st->body = (struct strbuf){b, 0, cap, 0};
				} else {
					strbuf_reserve(&st->body, (size_t)n);
				}
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		st->seen += n;
		/* Only AuthZReq bodies are read; others are drained unread, and
		 * nothing past the limit is kept. */
		if (st->ep == EP_AUTHZ_REQ && !st->too_big) {
			if (st->body.len + n > s->max_body)
				st->too_big = true;
			else
				strbuf_add(&st->body, upload_data, n);
		}
		if (st->too_big)
			strbuf_release(&st->body);
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (st->slow_done) {
		char *out = st->slow_reply;
		st->slow_reply = NULL;
		if (out == NULL)
			return reply(s, conn, MHD_HTTP_OK, decide_fallback_deny, false);
		return reply(s, conn, MHD_HTTP_OK, out, true);
	}
	if (st->ep == EP_UNKNOWN)
		return reply(s, conn, MHD_HTTP_NOT_FOUND, not_found_reply, false);
	if (strcmp(method, "POST") != 0)
		return reply(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method_reply, false);
	switch (st->ep) {
	case EP_ACTIVATE:
		return reply(s, conn, MHD_HTTP_OK, authz_activate_reply, false);
	case EP_AUTHZ_RES:
		return reply(s, conn, MHD_HTTP_OK, authz_res_allow_reply, false);
	case EP_AUTHZ_REQ:
		return answer_authz_req(s, conn, st);
	case EP_UNKNOWN:
		break;
	}
	return MHD_NO;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct req_state *st = *con_cls;
	(void)conn;
	(void)toe;
	if (st != NULL) {
		/* Whether the reply went out or the client left first, the
		 * decision was made: it is logged either way. */
		if (st->record != NULL && s->log != NULL) {
			/* The queue copies the line. */
			struct strbuf sb = strbuf_pooled(512);
			decide_record_line(st->record, &sb);
			bool made = !sb.oom && sb.len > 0;
			if (made && s->declog != NULL) {
				declog_write(s->declog, sb.buf, sb.len);
			} else if (made) {
				fputs(sb.buf, s->log);
				fflush(s->log);
			}
			strbuf_unpool(&sb);
		}
		decide_record_free(st->record);
		bufpool_put(st->body.buf, st->body.cap);
		free(st->slow_reply);
		bufpool_put_exact(st, sizeof *st);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	/* Said on a connection's first reply, when libmicrohttpd learns that
	 * the socket has no TCP options (acceptor.c): Unix sockets have no
	 * Nagle or cork delay, so there is nothing to push. */
	if (strncmp(fmt, "Failed to push the data", 23) == 0)
		return;
	fputs("dockgate: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int server_bind_unix(const char *path, char **why)
{
	struct sockaddr_un sa;
	struct stat sb;

	*why = NULL;
	if (strlen(path) >= sizeof sa.sun_path) {
		*why = xasprintf("%s: socket path is longer than %zu bytes", path,
		                 sizeof sa.sun_path - 1);
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);

	/* Parent directories, as dockerd's plugin directory may not exist
	 * before dockerd first runs. */
	char *dir = strdup(path);
	if (dir == NULL) {
		*why = strdup("out of memory");
		return -1;
	}
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*why = xasprintf("%s: cannot create directory: %s", dir,
			                 strerror(errno));
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			*why = xasprintf("%s: exists and is not a socket; refusing to "
			                 "replace it", path);
			goto fail;
		}
		/* A socket file: live if something accepts on it. */
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			*why = xasprintf("%s: another process is serving on this socket "
			                 "(is dockgate already running?)", path);
			goto fail;
		}
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			*why = xasprintf("socket: %s", strerror(errno));
			return -1;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			*why = xasprintf("%s: cannot remove stale socket: %s", path,
			                 strerror(errno));
			goto fail;
		}
	}
	/* The umask makes the socket 0660 from its first moment, so no other
	 * user can connect in the window before chmod. */
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0) {
		*why = xasprintf("%s: cannot bind: %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, 0660) < 0 || listen(fd, 1024) < 0) {
		*why = xasprintf("%s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

struct server *server_start(const struct server_config *cfg, struct policy *p,
                            char **why)
{
	struct server *s = calloc(1, sizeof *s);
	int fd = cfg->listen_fd;
	struct stat sb;

	*why = NULL;
	if (s == NULL) {
		*why = strdup("out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->policy = policy_ref(p);
	s->max_body = cfg->max_body;
	s->log = cfg->log;
	s->opts = cfg->opts;
	s->hooks = cfg->hooks;
	if (fd < 0) {
		fd = server_bind_unix(cfg->socket_path, why);
		if (fd < 0)
			goto fail;
		s->socket_path = strdup(cfg->socket_path);
		if (s->socket_path == NULL || stat(cfg->socket_path, &sb) < 0) {
			*why = strdup("out of memory");
			close(fd);
			unlink(cfg->socket_path);
			goto fail;
		}
		s->sock_dev = sb.st_dev;
		s->sock_ino = sb.st_ino;
	}
	/* The accepting thread takes what the backlog holds, then polls; an
	 * accept must never block it. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	s->allow_reply = new_response(authz_res_allow_reply, false);
	s->activate_reply = new_response(authz_activate_reply, false);
	/* Before the workers exist. Without the writer thread, each line
	 * is written by its worker, as before. */
	int log_fd = s->log != NULL ? fileno(s->log)
	             : cfg->queue_json ? STDERR_FILENO : -1;
	if (log_fd >= 0 &&
	    (s->declog = declog_start(log_fd, DECLOG_DELAY_MS)) != NULL) {
		log_set_flush(flush_declog, s->declog);
		/* --log-format json's decision records: the same queue,
		 * when it is stderr's. */
		if (cfg->queue_json && log_fd == STDERR_FILENO)
			log_set_queue(queue_declog, s->declog);
	}

	unsigned threads = cfg->threads;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	/* The look-up threads first: a worker hands them a request as soon
	 * as MHD accepts one, and a request that found no slow lane would
	 * be denied as if the lane were full. */
	if (cfg->slow_threads > 0 &&
	    (s->slow = slow_start(s, cfg->slow_threads)) == NULL) {
		*why = strdup("cannot start the look-up threads");
		close(fd);
		if (s->socket_path)
			unlink(s->socket_path);
		goto fail;
	}
	/* A daemon per worker rather than libmicrohttpd's thread pool, whose
	 * workers race to accept (acceptor.h). */
	unsigned limit_each = MAX_CONNECTIONS / threads;
	s->listen_fd = fd;
	s->acceptor = acceptor_new(threads);
	s->mhd = calloc(threads, sizeof *s->mhd);
	if (s->acceptor == NULL || s->mhd == NULL) {
		/* acceptor_new also needs a descriptor (its eventfd). */
		*why = strdup("out of memory or file descriptors");
		goto fail_serving;
	}
	for (unsigned i = 0; i < threads; i++) {
		s->mhd[i] = MHD_start_daemon(
		    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_NO_LISTEN_SOCKET |
		        MHD_USE_TURBO | MHD_USE_ITC | MHD_USE_ERROR_LOG |
		        MHD_ALLOW_SUSPEND_RESUME,
		    0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		    (void *)NULL, MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
		    /* The acceptor keeps to limit_each. One more here,
		     * because libmicrohttpd reports a close before it counts
		     * it, and a connection handed over in between must not
		     * find the daemon full (it would be closed, not kept
		     * waiting). */
		    MHD_OPTION_CONNECTION_LIMIT, limit_each + 1,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, (void *)s,
		    MHD_OPTION_NOTIFY_CONNECTION, acceptor_notify,
		    acceptor_slot(s->acceptor, i), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)CONN_MEMORY, MHD_OPTION_END);
		if (s->mhd[i] == NULL) {
			*why = strdup("cannot start the HTTP server (libmicrohttpd)");
			goto fail_serving;
		}
		s->n_mhd = i + 1;
		/* Its thread may look for the next request a little before it
		 * sleeps (spinwait.h). Without a slot it just sleeps. */
		int ep = epoll_fd(s->mhd[i]);
		if (ep >= 0)
			spinwait_add(ep);
	}
	if (!fd_room(fd)) {
		struct rlimit rl = {0, 0};
		getrlimit(RLIMIT_NOFILE, &rl);
		*why = xasprintf(
		    "too few file descriptors: fewer than %u would be left for "
		    "connections (limit %llu); raise it (ulimit -n, or "
		    "LimitNOFILE= in the systemd unit)",
		    FD_ROOM, (unsigned long long)rl.rlim_cur);
		goto fail_serving;
	}
	if (!acceptor_start(s->acceptor, fd, s->mhd, limit_each, why))
		goto fail_serving;
	return s;
fail_serving:
	stop_serving(s);
	if (s->socket_path)
		unlink(s->socket_path);
fail:
	release_output(s);
	policy_unref(s->policy);
	pthread_mutex_destroy(&s->lock);
	free(s->socket_path);
	free(s);
	return NULL;
}

void server_set_policy(struct server *s, struct policy *p)
{
	pthread_mutex_lock(&s->lock);
	struct policy *old = s->policy;
	s->policy = policy_ref(p);
	pthread_mutex_unlock(&s->lock);
	policy_unref(old);
}

/* Stops accepting, then the look-up lane and the daemons, and closes the
 * listening socket. The socket is never shut down: an inherited one is
 * shared with systemd and the next instance, which must go on accepting. */
static void stop_serving(struct server *s)
{
	acceptor_stop(s->acceptor);
	/* Suspended connections must be resumed before MHD stops: the slow
	 * lane finishes its queue first. Workers still answering on open
	 * connections may look at the lane until their daemon stops; it
	 * refuses them from now on, and is freed after. */
	slow_drain(s->slow);
	for (unsigned i = 0; i < s->n_mhd; i++) {
		/* Before the daemon closes it: the number may be reused.
		 * (Nothing, if it got no slot.) */
		spinwait_remove(epoll_fd(s->mhd[i]));
		MHD_stop_daemon(s->mhd[i]);
	}
	free(s->mhd);
	s->mhd = NULL;
	s->n_mhd = 0;
	slow_free(s->slow);
	s->slow = NULL;
	acceptor_free(s->acceptor);
	s->acceptor = NULL;
	close(s->listen_fd);
}

void server_stop(struct server *s)
{
	struct stat sb;

	if (s == NULL)
		return;
	stop_serving(s);
	/* Every request has completed: its line is queued. */
	release_output(s);
	/* Remove the socket only if it is still ours: a newer instance may
	 * have replaced it. */
	if (s->socket_path != NULL && stat(s->socket_path, &sb) == 0 &&
	    sb.st_dev == s->sock_dev && sb.st_ino == s->sock_ino)
		unlink(s->socket_path);
	policy_unref(s->policy);
	pthread_mutex_destroy(&s->lock);
	free(s->socket_path);
	free(s);
}

/* ---- the slow lane --------------------------------------------------
 *
 * Decisions that must wait for dockerd (unset-user: inspect) never wait on
 * an HTTP worker: dockerd authorizes our own GET /images/{name}/json with a
 * call to this daemon, on any of its keep-alive connections, so a worker
 * blocked on dockerd could be the one that call needs. The worker suspends
 * the connection and queues a job; a slow-lane thread decides again (now
 * allowed to block), stores the reply and resumes the connection, whose
 * handler then sends it. The queue is bounded: past it, deny. */

#define SLOW_QUEUE_MAX 1024

struct slow_job {
	struct MHD_Connection *conn;
	struct req_state *st;
	struct policy *p; /* the policy in force when the request came */
	struct slow_job *next;
};

struct slow_lane {
	struct server *s;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slow_job *head, *tail;
	size_t queued;
	bool stopping;
	unsigned n;
	pthread_t threads[];
};

static void *slow_main(void *arg)
{
	struct slow_lane *sl = arg;
	for (;;) {
		pthread_mutex_lock(&sl->lock);
		while (sl->head == NULL && !sl->stopping)
			pthread_cond_wait(&sl->cond, &sl->lock);
		struct slow_job *j = sl->head;
		if (j == NULL) { /* stopping, and the queue is empty */
			pthread_mutex_unlock(&sl->lock);
			return NULL;
		}
		sl->head = j->next;
		if (sl->head == NULL)
			sl->tail = NULL;
		pthread_mutex_unlock(&sl->lock);

		struct req_state *st = j->st;
		struct decide_call call = {.may_block = true, .defer_log = true};
		bool allow;
		/* Logged with the others when the request completes. */
		st->slow_reply = decide_body(sl->s, st, j->p, &call, &allow);
		policy_unref(j->p);
		st->slow_done = true;

		pthread_mutex_lock(&sl->lock);
		sl->queued--;
		pthread_mutex_unlock(&sl->lock);
		MHD_resume_connection(j->conn);
		free(j);
	}
}

static struct slow_lane *slow_start(struct server *s, unsigned n)
{
	struct slow_lane *sl = calloc(1, sizeof *sl + n * sizeof(pthread_t));
	if (sl == NULL)
		return NULL;
	sl->s = s;
	pthread_mutex_init(&sl->lock, NULL);
	pthread_cond_init(&sl->cond, NULL);
	for (sl->n = 0; sl->n < n; sl->n++)
		if (pthread_create(&sl->threads[sl->n], NULL, slow_main, sl) != 0)
			break;
	if (sl->n == 0) {
		slow_free(sl);
		return NULL;
	}
	return sl;
}

/* Suspends conn and queues its decision. Returns 0, or -1 (queue full, no
 * memory, no slow lane) with nothing changed. Called on the connection's
 * worker, from its handler, as MHD_suspend_connection requires. */
static int slow_submit(struct server *s, struct MHD_Connection *conn,
                       struct req_state *st, struct policy *p)
{
	struct slow_lane *sl = s->slow;
	struct slow_job *j = sl ? malloc(sizeof *j) : NULL;
	if (j == NULL)
		return -1;
	*j = (struct slow_job){conn, st, p, NULL};
	pthread_mutex_lock(&sl->lock);
	if (sl->queued >= SLOW_QUEUE_MAX || sl->stopping) {
		pthread_mutex_unlock(&sl->lock);
		free(j);
		return -1;
	}
	sl->queued++;
	/* Suspended before a thread can see the job, so its resume always
	 * comes after. */
	MHD_suspend_connection(conn);
	if (sl->tail != NULL)
		sl->tail->next = j;
	else
		sl->head = j;
	sl->tail = j;
	pthread_cond_signal(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
	return 0;
}

/* Finishes the queue and ends the threads; slow_submit refuses from then
 * on. */
static void slow_drain(struct slow_lane *sl)
{
	if (sl == NULL)
		return;
	pthread_mutex_lock(&sl->lock);
	bool running = !sl->stopping;
	sl->stopping = true;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
	if (running)
		for (unsigned i = 0; i < sl->n; i++)
			pthread_join(sl->threads[i], NULL);
}

/* Once no worker can reach it: after the daemons have stopped. */
static void slow_free(struct slow_lane *sl)
{
	if (sl == NULL)
		return;
	slow_drain(sl);
	pthread_cond_destroy(&sl->cond);
	pthread_mutex_destroy(&sl->lock);
	free(sl);
}
