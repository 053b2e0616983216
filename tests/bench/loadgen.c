/* loadgen: an HTTP/1.1 load generator for a Docker AuthZ plugin (or anything
 * else that answers POSTs) on a Unix socket. libc and pthreads only.
 *
 *   loadgen -s SOCKET [-c CONNS] [-t THREADS] (-d SECONDS [-w SECONDS] | -n COUNT)
 *           [-p PATH] [-T TIMEOUT] [-m PID [-g KB]] [-x] [-q]
 *           FILE[=allow|deny]...
 *
 * CONNS keep-alive connections, one request in flight on each (no
 * pipelining), spread over THREADS epoll loops. Bodies are the FILEs, sent in
 * round-robin order over all connections. A request counts only when its
 * complete reply has status 200; with =allow or =deny the reply must also
 * say "Allow":true or "Allow":false, or it is a wrong verdict.
 *
 * -d runs for a fixed time after a warm-up of -w seconds (not counted);
 * -n sends exactly COUNT requests and counts them all. -m samples the VmRSS
 * of process PID while running; after warm-up (the first 10% of -n, or the
 * -w seconds) the growth above the RSS at the end of warm-up must stay
 * within -g KB. -x exits 1 on any failure, wrong verdict, a run with no
 * successful request, or RSS growth over the bound.
 *
 * The last line printed is machine-readable:
 *   result conns=16 secs=5.00 ok=N rps=N p50_us=N p99_us=N p999_us=N
 *          fail=N wrong=N all=N [rss_start_kb=N rss_base_kb=N rss_max_kb=N
 *          rss_growth_kb=N]
 * where all counts every reply, warm-up included (to divide the server's
 * CPU time by). 
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum verdict { EXPECT_ANY = -1, EXPECT_DENY = 0, EXPECT_ALLOW = 1 };

struct input {
	const char *name;
	char *msg; /* the whole HTTP request */
	size_t len;
	enum verdict expect;
};

struct conn {
	int fd;
	bool busy;       /* a request is in flight */
	bool want_out;   /* registered for EPOLLOUT */
	size_t in_idx;   /* which input is in flight */
	size_t sent;     /* bytes of it written */
	uint64_t t0;     /* when its first byte was written */
	char *buf;       /* reply bytes so far */
	size_t len, cap;
};

struct worker {
	pthread_t th;
	int ep;
	struct conn *c;
	size_t nc;
	/* Results, merged by main after join. */
	uint32_t *lat; /* ns, capped at UINT32_MAX */
	size_t nlat, caplat;
	uint64_t ok, fail, wrong;
	char first_error[200];
};

static const char *sock_path;
static const char *http_path = "/AuthZPlugin.AuthZReq";
static struct input *inputs;
static size_t n_inputs;
static double timeout_s = 10.0;
static bool quiet;

static atomic_uint_fast64_t next_input; /* round-robin over all connections */
static atomic_int_fast64_t remaining;   /* -n mode: requests left to issue */
static atomic_uint_fast64_t completed;  /* replies processed, for progress */
static atomic_bool measuring;           /* -d mode: inside the window */
static atomic_bool stopping;
static bool count_mode;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "loadgen: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		die("%s: cannot open", path);
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	for (;;) {
		if (b == NULL)
			die("%s: out of memory", path);
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap)
			b = realloc(b, cap *= 2);
	}
	fclose(f);
	*len = n;
	return b;
}

/* The request dockerd's plugin client sends: POST, the plugin Accept
 * header, no Content-Type. */
static void load_input(struct input *in, const char *arg)
{
	char *spec = strdup(arg);
	char *eq = strrchr(spec, '=');
	in->expect = EXPECT_ANY;
	if (eq != NULL && (strcmp(eq + 1, "allow") == 0 || strcmp(eq + 1, "deny") == 0)) {
		in->expect = strcmp(eq + 1, "allow") == 0 ? EXPECT_ALLOW : EXPECT_DENY;
		*eq = '\0';
	}
	in->name = spec;
	size_t blen;
	char *body = read_file(spec, &blen);
	char head[512];
	int hl = snprintf(head, sizeof head,
	                  "POST %s HTTP/1.1\r\nHost: plugin\r\n"
	                  "User-Agent: Go-http-client/1.1\r\n"
	                  "Accept: application/vnd.docker.plugins.v1.2+json\r\n"
	                  "Content-Length: %zu\r\n\r\n",
	                  http_path, blen);
	in->len = (size_t)hl + blen;
	in->msg = malloc(in->len);
	if (in->msg == NULL)
		die("%s: out of memory", spec);
	memcpy(in->msg, head, (size_t)hl);
	memcpy(in->msg + hl, body, blen);
	free(body);
}

static void note_error(struct worker *w, const char *what)
{
	if (w->first_error[0] == '\0')
		snprintf(w->first_error, sizeof w->first_error, "%s", what);
}

static int connect_unix(void)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void set_events(struct worker *w, struct conn *c, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0u),
	                         .data.ptr = c};
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = out;
}

static bool open_conn(struct worker *w, struct conn *c)
{
	c->fd = connect_unix();
	if (c->fd < 0)
		return false;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
	c->want_out = false;
	c->busy = false;
	c->len = 0;
	return true;
}

static void close_conn(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->busy = false;
	c->len = 0;
}

/* Writes what is left of the request in flight. Returns false on error. */
static bool flush_out(struct worker *w, struct conn *c)
{
	const struct input *in = &inputs[c->in_idx];
	while (c->sent < in->len) {
		ssize_t k = send(c->fd, in->msg + c->sent, in->len - c->sent,
		                 MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!c->want_out)
					set_events(w, c, true);
				return true;
			}
			return false;
		}
		c->sent += (size_t)k;
	}
	if (c->want_out)
		set_events(w, c, false);
	return true;
}

/* Starts the next request on c, if any is left to send. Returns false when
 * the connection failed (the caller counts it). */
static bool issue(struct worker *w, struct conn *c)
{
	if (atomic_load(&stopping))
		return true;
	if (count_mode && atomic_fetch_sub(&remaining, 1) <= 0)
		return true;
	c->in_idx = (size_t)(atomic_fetch_add(&next_input, 1) % n_inputs);
	c->sent = 0;
	c->len = 0;
	c->busy = true;
	c->t0 = now_ns();
	return flush_out(w, c);
}

static void record(struct worker *w, uint64_t ns)
{
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? w->caplat * 2 : 65536;
		uint32_t *n = realloc(w->lat, cap * sizeof *n);
		if (n == NULL)
			return;
		w->lat = n;
		w->caplat = cap;
	}
	w->lat[w->nlat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* A request that will never complete: counted, the connection replaced,
 * and (in -d mode, or while -n has requests left) the next one sent. */
static void fail_conn(struct worker *w, struct conn *c, const char *why)
{
	bool counts = count_mode || atomic_load(&measuring);
	if (c->busy && counts) {
		w->fail++;
		note_error(w, why);
	}
	if (c->busy)
		atomic_fetch_add(&completed, 1);
	close_conn(c);
	if (atomic_load(&stopping) || (count_mode && atomic_load(&remaining) <= 0))
		return;
	if (!open_conn(w, c)) {
		/* The server is gone: every later request would fail too. */
		w->fail++;
		note_error(w, "cannot reconnect");
		atomic_store(&stopping, true);
		return;
	}
	if (!issue(w, c))
		fail_conn(w, c, "write failed");
}

static const char *find_header(const char *h, size_t hlen, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = h; p < h + hlen;) {
		const char *eol = memchr(p, '\n', (size_t)(h + hlen - p));
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':')
			return p + nl + 1;
		p = eol + 1;
	}
	return NULL;
}

/* Parses c->buf. Returns 1 when one whole reply was handled, 2 when it
 * was handled and the server asked to close (c is then a new connection),
 * 0 when more bytes are needed, -1 on a protocol error (message in *why). */
static int parse_reply(struct worker *w, struct conn *c, const char **why)
{
	char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
	if (end == NULL) {
		if (c->len > 16384) {
			*why = "reply header too long";
			return -1;
		}
		return 0;
	}
	size_t hlen = (size_t)(end - c->buf) + 4;
	if (c->len < 12 || memcmp(c->buf, "HTTP/1.", 7) != 0) {
		*why = "not an HTTP reply";
		return -1;
	}
	int status = atoi(c->buf + 9);
	const char *cl = find_header(c->buf, hlen, "content-length");
	if (cl == NULL) {
		*why = "reply without Content-Length";
		return -1;
	}
	size_t blen = strtoul(cl, NULL, 10);
	if (c->len < hlen + blen)
		return 0;
	if (c->len > hlen + blen) {
		*why = "bytes after the reply (nothing was pipelined)";
		return -1;
	}
	uint64_t t = now_ns() - c->t0;
	const char *body = c->buf + hlen;
	const char *close_hdr = find_header(c->buf, hlen, "connection");
	bool closing = close_hdr != NULL && strncasecmp(close_hdr + strspn(close_hdr, " "), "close", 5) == 0;
	bool counts = count_mode || atomic_load(&measuring);

	c->busy = false;
	atomic_fetch_add(&completed, 1);
	if (status != 200) {
		if (counts) {
			w->fail++;
			char msg[80];
			snprintf(msg, sizeof msg, "HTTP status %d", status);
			note_error(w, msg);
		}
	} else {
		enum verdict want = inputs[c->in_idx].expect;
		/* The verdict is the first key of every reply we judge; looking
		 * only there keeps long deny messages from costing the client. */
		size_t head = blen < 32 ? blen : 32;
		bool allow = memmem(body, head, "\"Allow\":true", 12) != NULL;
		bool deny = memmem(body, head, "\"Allow\":false", 13) != NULL;
		bool right = want == EXPECT_ANY ||
		             (want == EXPECT_ALLOW ? allow && !deny : deny && !allow);
		if (counts) {
			record(w, t);
			w->ok++;
			if (!right) {
				w->wrong++;
				if (w->first_error[0] == '\0')
					snprintf(w->first_error, sizeof w->first_error,
					         "wrong verdict for %s: %.*s", inputs[c->in_idx].name,
					         (int)(blen > 100 ? 100 : blen), body);
			}
		}
	}
	c->len = 0;
	if (closing) {
		/* The server ended keep-alive: not a failure of this request. */
		close_conn(c);
		if (!open_conn(w, c)) {
			*why = "cannot reconnect";
			return -1;
		}
		return 2;
	}
	return 1;
}

static void reopen_and_issue(struct worker *w, struct conn *c)
{
	close_conn(c);
	if (!open_conn(w, c)) {
		w->fail++;
		note_error(w, "cannot reconnect");
		atomic_store(&stopping, true);
		return;
	}
	if (!issue(w, c))
		fail_conn(w, c, "write failed");
}

static void on_readable(struct worker *w, struct conn *c)
{
	bool eof = false;
	for (;;) {
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 16384;
			char *n = realloc(c->buf, cap);
			if (n == NULL) {
				fail_conn(w, c, "out of memory");
				return;
			}
			c->buf = n;
			c->cap = cap;
		}
		ssize_t k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			fail_conn(w, c, "read error");
			return;
		}
		if (k == 0) {
			eof = true;
			break;
		}
		c->len += (size_t)k;
	}
	if (!c->busy) {
		if (c->len > 0)
			fail_conn(w, c, "unexpected bytes on an idle connection");
		else if (eof) /* the server closed an idle connection */
			reopen_and_issue(w, c);
		return;
	}
	const char *why = NULL;
	int r = parse_reply(w, c, &why);
	if (r < 0)
		fail_conn(w, c, why);
	else if (r == 0 && eof)
		fail_conn(w, c, "connection closed before the reply");
	else if (r == 1 && eof)
		reopen_and_issue(w, c);
	else if (r > 0 && !issue(w, c))
		fail_conn(w, c, "write failed");
}

static bool all_idle(const struct worker *w)
{
	for (size_t i = 0; i < w->nc; i++)
		if (w->c[i].busy)
			return false;
	return true;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	uint64_t last_scan = now_ns();
	uint64_t tmo = (uint64_t)(timeout_s * 1e9);

	for (size_t i = 0; i < w->nc; i++)
		if (!issue(w, &w->c[i]))
			fail_conn(w, &w->c[i], "write failed");
	for (;;) {
		if (atomic_load(&stopping) || count_mode) {
			/* -d: stop at once (replies after the window do not count);
			 * -n: stop when every issued request has its answer. */
			if (!count_mode || (atomic_load(&remaining) <= 0 && all_idle(w)))
				break;
			if (atomic_load(&stopping) && all_idle(w))
				break;
		}
		int n = epoll_wait(w->ep, evs, 64, 50);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->fd < 0)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(w, c);
			if (c->fd >= 0 && c->busy && (evs[i].events & EPOLLOUT) &&
			    !flush_out(w, c))
				fail_conn(w, c, "write failed");
		}
		uint64_t t = now_ns();
		if (t - last_scan > 100000000u) {
			last_scan = t;
			for (size_t i = 0; i < w->nc; i++) {
				struct conn *c = &w->c[i];
				if (c->fd >= 0 && c->busy && t - c->t0 > tmo)
					fail_conn(w, c, "timed out waiting for the reply");
			}
		}
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_us(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)n);
	if (i >= n)
		i = n - 1;
	return v[i] / 1000.0;
}

/* VmRSS of pid in kB, or -1. */
static long rss_kb(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void usage(void)
{
	fputs("usage: loadgen -s SOCKET [-c CONNS] [-t THREADS] "
	      "(-d SECONDS [-w SECONDS] | -n COUNT)\n"
	      "               [-p PATH] [-T TIMEOUT] [-m PID [-g KB]] [-x] [-q] "
	      "FILE[=allow|deny]...\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	long conns = 1, threads = 1, rss_pid = 0, growth_kb = -1;
	double duration = 0, warmup = 0;
	long long count = 0;
	bool strict = false;
	int opt;

	while ((opt = getopt(argc, argv, "s:c:t:d:w:n:p:T:m:g:xq")) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'c': conns = atol(optarg); break;
		case 't': threads = atol(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'n': count = atoll(optarg); break;
		case 'p': http_path = optarg; break;
		case 'T': timeout_s = atof(optarg); break;
		case 'm': rss_pid = atol(optarg); break;
		case 'g': growth_kb = atol(optarg); break;
		case 'x': strict = true; break;
		case 'q': quiet = true; break;
		default: usage();
		}
	}
	if (sock_path == NULL || optind >= argc || conns < 1 || threads < 1 ||
	    (duration <= 0) == (count <= 0) || timeout_s <= 0)
		usage();
	if (threads > conns)
		threads = conns;
	count_mode = count > 0;
	signal(SIGPIPE, SIG_IGN);

	n_inputs = (size_t)(argc - optind);
	inputs = calloc(n_inputs, sizeof *inputs);
	for (size_t i = 0; i < n_inputs; i++)
		load_input(&inputs[i], argv[optind + (int)i]);
	atomic_store(&remaining, count);

	struct worker *ws = calloc((size_t)threads, sizeof *ws);
	struct conn *cs = calloc((size_t)conns, sizeof *cs);
	if (ws == NULL || cs == NULL || inputs == NULL)
		die("%s", "out of memory");
	for (long t = 0; t < threads; t++) {
		struct worker *w = &ws[t];
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		/* Connections split as evenly as they go. */
		size_t lo = (size_t)(conns * t / threads), hi = (size_t)(conns * (t + 1) / threads);
		w->c = &cs[lo];
		w->nc = hi - lo;
		for (size_t i = 0; i < w->nc; i++)
			if (!open_conn(w, &w->c[i]))
				die("%s: cannot connect", sock_path);
	}

	atomic_store(&measuring, !count_mode && warmup <= 0);
	uint64_t t_start = now_ns();
	for (long t = 0; t < threads; t++)
		pthread_create(&ws[t].th, NULL, run_worker, &ws[t]);

	long rss_base = -1, rss_max = -1, rss_first = -1;
	uint64_t t_meas = t_start;
	if (!count_mode) {
		/* Warm-up, then the measured window. */
		if (warmup > 0) {
			sleep_s(warmup);
			atomic_store(&measuring, true);
		}
		t_meas = now_ns();
		if (rss_pid)
			rss_base = rss_max = rss_kb(rss_pid);
		double left = duration;
		while (left > 0) {
			double step = left < 0.2 ? left : 0.2;
			sleep_s(step);
			left -= step;
			if (rss_pid) {
				long k = rss_kb(rss_pid);
				if (k > rss_max)
					rss_max = k;
			}
		}
		atomic_store(&stopping, true);
	} else {
		/* Progress and RSS every 200 ms until every request is done; the
		 * first 10% are the warm-up. */
		uint64_t warm = (uint64_t)count / 10, next_print = (uint64_t)count / 10;
		if (rss_pid)
			rss_first = rss_kb(rss_pid);
		for (;;) {
			sleep_s(0.2);
			uint64_t done = atomic_load(&completed);
			bool over = atomic_load(&stopping) ||
			            (atomic_load(&remaining) <= 0 && done >= (uint64_t)count);
			if (rss_pid) {
				long k = rss_kb(rss_pid);
				if (done >= warm && rss_base < 0)
					rss_base = rss_max = k;
				else if (rss_base >= 0 && k > rss_max)
					rss_max = k;
			}
			if (!quiet && done >= next_print && next_print > 0) {
				double el = (double)(now_ns() - t_start) / 1e9;
				if (rss_pid)
					printf("  %7.1fs %10" PRIu64 " decisions  VmRSS %ld kB\n", el,
					       done, rss_kb(rss_pid));
				else
					printf("  %7.1fs %10" PRIu64 " decisions\n", el, done);
				fflush(stdout);
				while (next_print <= done)
					next_print += (uint64_t)count / 10;
			}
			if (over)
				break;
		}
		/* Late stragglers (timeouts) end the workers themselves. */
	}
	for (long t = 0; t < threads; t++)
		pthread_join(ws[t].th, NULL);
	uint64_t t_end = now_ns();

	uint64_t ok = 0, fail = 0, wrong = 0;
	size_t nlat = 0;
	const char *err = NULL;
	for (long t = 0; t < threads; t++) {
		ok += ws[t].ok;
		fail += ws[t].fail;
		wrong += ws[t].wrong;
		nlat += ws[t].nlat;
		if (err == NULL && ws[t].first_error[0])
			err = ws[t].first_error;
	}
	if (count_mode) {
		/* Requests never answered (the run was cut short) are failures. */
		uint64_t answered = ok + fail;
		if (answered < (uint64_t)count) {
			fail += (uint64_t)count - answered;
			if (err == NULL)
				err = "requests left unanswered";
		}
	}
	uint32_t *lat = malloc((nlat ? nlat : 1) * sizeof *lat);
	size_t k = 0;
	for (long t = 0; t < threads; t++) {
		if (ws[t].nlat)
			memcpy(lat + k, ws[t].lat, ws[t].nlat * sizeof *lat);
		k += ws[t].nlat;
	}
	qsort(lat, nlat, sizeof *lat, cmp_u32);
	double secs = (double)(t_end - t_meas) / 1e9;
	if (!count_mode)
		secs = duration; /* the window; workers stop at its end */
	double rps = secs > 0 ? (double)ok / secs : 0;

	if (!quiet) {
		printf("%ld connection%s, %.2f s: %" PRIu64 " decisions, %.0f/s; "
		       "latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us; "
		       "%" PRIu64 " failed, %" PRIu64 " wrong verdicts\n",
		       conns, conns == 1 ? "" : "s", secs, ok, rps, pct_us(lat, nlat, 0.50),
		       pct_us(lat, nlat, 0.99), pct_us(lat, nlat, 0.999), fail, wrong);
		if (err)
			printf("first problem: %s\n", err);
	}
	printf("result conns=%ld secs=%.2f ok=%" PRIu64 " rps=%.0f p50_us=%.1f "
	       "p99_us=%.1f p999_us=%.1f fail=%" PRIu64 " wrong=%" PRIu64
	       " all=%" PRIu64,
	       conns, secs, ok, rps, pct_us(lat, nlat, 0.50), pct_us(lat, nlat, 0.99),
	       pct_us(lat, nlat, 0.999), fail, wrong, (uint64_t)atomic_load(&completed));
	bool rss_bad = false;
	if (rss_pid) {
		long growth = rss_base >= 0 && rss_max >= 0 ? rss_max - rss_base : -1;
		printf(" rss_start_kb=%ld rss_base_kb=%ld rss_max_kb=%ld rss_growth_kb=%ld",
		       rss_first, rss_base, rss_max, growth);
		rss_bad = growth_kb >= 0 && (growth < 0 || growth > growth_kb);
	}
	printf("\n");
	if (rss_bad && !quiet)
		printf("resident memory grew by more than %ld kB after warm-up\n",
		       growth_kb);
	if (strict && (fail > 0 || wrong > 0 || ok == 0 || rss_bad))
		return 1;
	return 0;
}
