/* nullplugin: a Docker authorization plugin that allows everything and does
 * nothing else. It is the reference of tests/bench/dockerd-overhead.sh: the
 * difference between dockerd with it and dockerd without a plugin is what
 * dockerd's authorization machinery costs on its own (two plugin calls per
 * API call, the response buffered for AuthZRes), and the difference between
 * it and dockgate is dockgate's share. libc only.
 *
 *   nullplugin [-v] SOCKET
 *
 * One thread, one epoll loop, keep-alive HTTP/1.1 on a Unix socket: a
 * request head (at most 16 KiB), then a body by Content-Length or chunked,
 * which is read and thrown away. POST /Plugin.Activate gets
 * {"Implements":["authz"]}, every other request {"Allow":true}. nginx
 * cannot play this part: it answers dockerd with 400, because dockerd sends
 * the socket path as the Host header.
 *
 * -v prints each request's line and framing headers to stderr. On SIGINT or
 * SIGTERM it removes SOCKET and prints
 *   nullplugin: connections=N requests=N chunked=N bad=N
 * (connections accepted in all: dockerd keeps its plugin connections alive,
 * so this stays far below requests unless something makes it reconnect).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define IN_MAX (16 * 1024) /* a request head must fit; dockerd's are ~300 B */
#define OUT_MAX 4096       /* replies waiting to be written (pipelining) */

enum state { ST_HEAD, ST_BODY, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_CRLF,
             ST_TRAILER };

struct conn {
	int fd;
	enum state st;
	unsigned long long left; /* body or chunk bytes still to skip */
	bool activate;           /* the request in progress is Plugin.Activate */
	bool close_after;        /* Connection: close, HTTP/1.0, or a bad request */
	bool want_out;           /* registered for EPOLLOUT, not EPOLLIN */
	bool closing;            /* no more requests: close once written */
	size_t inlen, outlen, outoff;
	char in[IN_MAX];
	char out[OUT_MAX];
};

static const char *sock_path;
static bool verbose;
static volatile sig_atomic_t stop;
static unsigned long n_conns, n_reqs, n_chunked, n_bad;
static int ep;

static char allow_reply[256], activate_reply[256], bad_reply[256];
static size_t allow_len, activate_len, bad_len;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static size_t make_reply(char *buf, size_t cap, const char *status,
                         const char *body, bool close)
{
	int n = snprintf(buf, cap,
	                 "HTTP/1.1 %s\r\n"
	                 "Content-Type: application/vnd.docker.plugins.v1.2+json\r\n"
	                 "Content-Length: %zu\r\n%s\r\n%s",
	                 status, strlen(body), close ? "Connection: close\r\n" : "",
	                 body);
	return (size_t)n;
}

static void conn_close(struct conn *c)
{
	close(c->fd); /* also takes it out of the epoll set */
	free(c);
}

static void queue(struct conn *c, const char *msg, size_t len)
{
	/* The caller made sure there is room (parse() stops otherwise). */
	memcpy(c->out + c->outlen, msg, len);
	c->outlen += len;
}

/* The value of header NAME in the head's line at p (up to eol), or NULL. */
static const char *header_value(const char *p, const char *eol, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(eol - p) <= n || strncasecmp(p, name, n) != 0 || p[n] != ':')
		return NULL;
	for (p += n + 1; p < eol && (*p == ' ' || *p == '\t'); p++)
		;
	return p;
}

/* Reads the head in [p, lim) (lim is past its blank line). Returns false
 * for a request this server cannot frame. */
static bool read_head(struct conn *c, const char *p, const char *lim)
{
	const char *eol = memmem(p, (size_t)(lim - p), "\r\n", 2);
	static const char activate[] = "/Plugin.Activate";
	bool chunked = false;
	unsigned long long len = 0;

	/* Request line: METHOD SP PATH SP VERSION */
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (sp2 == NULL)
		return false;
	c->activate = (size_t)(sp2 - sp1 - 1) == strlen(activate) &&
	              memcmp(sp1 + 1, activate, strlen(activate)) == 0;
	c->close_after = eol - sp2 - 1 == 8 && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0;
	if (verbose)
		fprintf(stderr, "nullplugin: %.*s\n", (int)(eol - p), p);

	for (p = eol + 2; p < lim - 2; p = eol + 2) {
		const char *v;
		eol = memmem(p, (size_t)(lim - p), "\r\n", 2);
		if ((v = header_value(p, eol, "Content-Length")) != NULL) {
			char *e;
			if (*v < '0' || *v > '9')
				return false;
			len = strtoull(v, &e, 10);
			if (e != eol && *e != ' ' && *e != '\t')
				return false;
		} else if ((v = header_value(p, eol, "Transfer-Encoding")) != NULL) {
			/* dockerd's plugin client sends Content-Length (its bodies
			 * are bytes.Buffers); chunked is read in case that changes. */
			if (eol - v < 7 || strncasecmp(eol - 7, "chunked", 7) != 0)
				return false;
			chunked = true;
		} else if ((v = header_value(p, eol, "Connection")) != NULL) {
			if (eol - v == 5 && strncasecmp(v, "close", 5) == 0)
				c->close_after = true;
		} else
			continue;
		if (verbose)
			fprintf(stderr, "nullplugin:   %.*s\n", (int)(eol - p), p);
	}
	if (chunked) { /* chunked wins over a Content-Length (RFC 9112 6.3) */
		n_chunked++;
		c->st = ST_CHUNK_SIZE;
	} else {
		c->st = ST_BODY; /* neither header: no body */
		c->left = len;
	}
	return true;
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* Consumes what c->in holds: heads, bodies, replies queued. Returns false
 * when the connection must close once its output is written. *full is set
 * when it stopped for want of room in c->out, with requests maybe left. */
static bool parse(struct conn *c, bool *full)
{
	size_t pos = 0;
	bool ok = true;

	*full = false;

	while (ok) {
		char *p = c->in + pos, *eol, *e;
		size_t avail = c->inlen - pos, n;

		switch (c->st) {
		case ST_HEAD:
			/* Room for one more reply, or wait until it is written. */
			if (OUT_MAX - c->outlen < sizeof allow_reply) {
				*full = true;
				goto out;
			}
			eol = memmem(p, avail, "\r\n\r\n", 4);
			if (eol == NULL)
				goto out;
			ok = read_head(c, p, eol + 4);
			pos += (size_t)(eol + 4 - p);
			break;
		case ST_BODY:
		case ST_CHUNK_DATA:
			n = avail < c->left ? avail : (size_t)c->left;
			pos += n;
			c->left -= n;
			if (c->left > 0)
				goto out;
			if (c->st == ST_CHUNK_DATA) {
				c->st = ST_CHUNK_CRLF;
				break;
			}
			queue(c, c->activate ? activate_reply : allow_reply,
			      c->activate ? activate_len : allow_len);
			n_reqs++;
			c->st = ST_HEAD;
			if (c->close_after)
				return false;
			break;
		case ST_CHUNK_CRLF:
			if (avail < 2)
				goto out;
			ok = p[0] == '\r' && p[1] == '\n';
			pos += 2;
			c->st = ST_CHUNK_SIZE;
			break;
		case ST_CHUNK_SIZE:
		case ST_TRAILER:
			eol = memmem(p, avail, "\r\n", 2);
			if (eol == NULL)
				goto out;
			pos += (size_t)(eol + 2 - p);
			if (c->st == ST_TRAILER) {
				if (eol == p) { /* the blank line: the request is whole */
					c->st = ST_BODY;
					c->left = 0;
				}
				break;
			}
			if (!is_hex(*p)) {
				ok = false;
				break;
			}
			c->left = strtoull(p, &e, 16);
			ok = e == eol || *e == ';';
			c->st = c->left ? ST_CHUNK_DATA : ST_TRAILER;
			break;
		}
	}
out:
	/* A head or line that fills the whole buffer will never end. */
	if (ok && !*full && pos == 0 && c->inlen == IN_MAX)
		ok = false;
	memmove(c->in, c->in + pos, c->inlen - pos);
	c->inlen -= pos;
	if (!ok) {
		n_bad++;
		queue(c, bad_reply, bad_len);
	}
	return ok;
}

/* Writes what is queued. Returns -1 on error, 0 when all is written, 1
 * when the socket is full. */
static int flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		                 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 1 : -1;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

static void set_events(struct conn *c, bool want_out)
{
	if (c->want_out == want_out)
		return;
	struct epoll_event ev = {.events = want_out ? EPOLLOUT : EPOLLIN,
	                         .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = want_out;
}

static void on_conn(struct conn *c)
{
	bool eof = false, full = false, keep;
	int w;

	/* One read per wake-up: epoll is level-triggered, so what is left in
	 * the socket brings us back. Not while replies wait to be written:
	 * a client that does not read its replies is not read either. */
	if (!c->want_out && !c->closing && c->inlen < IN_MAX) {
		ssize_t n = read(c->fd, c->in + c->inlen, IN_MAX - c->inlen);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_close(c);
			return;
		}
		if (n == 0)
			eof = true;
		if (n > 0)
			c->inlen += (size_t)n;
	}
	do {
		keep = !c->closing && parse(c, &full);
		c->closing = !keep;
		w = flush(c);
		if (w < 0 || (w == 0 && (!keep || (eof && !full)))) {
			conn_close(c);
			return;
		}
		if (w > 0) {
			set_events(c, true);
			return;
		}
		/* All written: go on with the requests that waited for room. */
	} while (full);
	set_events(c, false);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "nullplugin: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* A stale socket from an earlier run; never anything else. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 128) < 0) {
		fprintf(stderr, "nullplugin: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void on_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN, or out of descriptors: try later */
		}
		struct conn *c = calloc(1, sizeof *c);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (c == NULL || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		n_conns++;
	}
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "v")) != -1) {
		if (opt != 'v') {
			fprintf(stderr, "usage: nullplugin [-v] SOCKET\n");
			return 2;
		}
		verbose = true;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: nullplugin [-v] SOCKET\n");
		return 2;
	}
	sock_path = argv[optind];
	allow_len = make_reply(allow_reply, sizeof allow_reply, "200 OK",
	                       "{\"Allow\":true}", false);
	activate_len = make_reply(activate_reply, sizeof activate_reply, "200 OK",
	                          "{\"Implements\":[\"authz\"]}", false);
	bad_len = make_reply(bad_reply, sizeof bad_reply, "400 Bad Request",
	                     "{\"Err\":\"nullplugin: cannot read the request\"}",
	                     true);

	/* The signals are taken only inside epoll_pwait, so one that comes
	 * between two waits is not lost. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int lfd = listen_on(sock_path);
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	if (lfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
		if (lfd >= 0)
			unlink(sock_path);
		return 1;
	}
	while (!stop) {
		struct epoll_event evs[64];
		int n = epoll_pwait(ep, evs, 64, -1, &waitmask);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				on_accept(lfd);
			else
				on_conn(evs[i].data.ptr);
		}
		if (n < 0 && errno != EINTR) {
			perror("nullplugin: epoll_wait");
			break;
		}
	}
	unlink(sock_path);
	fprintf(stderr, "nullplugin: connections=%lu requests=%lu chunked=%lu bad=%lu\n",
	        n_conns, n_reqs, n_chunked, n_bad);
	return 0;
}
