/* dockgate: command line. serve | check | eval | --version. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "auditlog.h"
#include "decide.h"
#include "imageinspect.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "policy.h"
#include "selfprotect.h"
#include "server.h"
#include "spinwait.h"
#include "strbuf.h"
#include "watch.h"

#ifndef DOCKGATE_VERSION
#define DOCKGATE_VERSION "0.1.0"
#endif

#define DEFAULT_POLICY "/etc/dockgate/policy.yaml"
#define DEFAULT_SOCKET "/run/docker/plugins/dockgate.sock"
#define MAX_AUTHZ_BODY (8u << 20)
/* dockerd sends whole AuthZ requests well under this. */
#define MAX_EVAL_INPUT (64u << 20)

static const char usage[] =
    "usage: dockgate serve [--policy FILE] [--socket PATH] [--threads N]\n"
    "                      [--self-name NAME]...\n"
    "                      [--audit-log PATH|-] [--watch] [--metrics ADDR]\n"
    "                      [--docker-host URL] [--log-format human|json]\n"
    "                      [--log-level debug|info|warn|error]\n"
    "                      [--idle-timeout SECONDS] [--spin-us N]\n"
    "       dockgate check FILE...\n"
    "       dockgate eval --policy FILE [--self-name NAME]... [REQUEST.json... | -]\n"
    "       dockgate --version\n"
    "\n"
    "serve   answer dockerd's authorization requests (--authorization-plugin)\n"
    "        defaults: --policy " DEFAULT_POLICY "\n"
    "                  --socket " DEFAULT_SOCKET "\n"
    "        --self-name NAME  a plugin name that is dockgate itself (default\n"
    "                          dockgate); disabling, removing, setting or\n"
    "                          upgrading it is denied\n"
    "        --audit-log PATH  one JSON record per decision, appended to\n"
    "                          PATH (\"-\": standard output)\n"
    "        --watch           reload the policy when its file changes\n"
    "        --metrics ADDR    serve Prometheus /metrics and /healthz on a\n"
    "                          loopback HOST:PORT or a Unix socket path\n"
    "        --docker-host URL where to look up an image's user for\n"
    "                          unset-user: inspect (unix:///PATH or\n"
    "                          tcp://HOST:PORT; default\n"
    "                          " IMAGEINSPECT_DEFAULT_HOST ")\n"
    "        --log-format F    human (default) or json: stderr lines\n"
    "        --log-level L     debug, info (default; one line per\n"
    "                          decision), warn or error\n"
    "        --idle-timeout S  close a connection idle for S seconds before\n"
    "                          its first reply (60); once answered, it stays\n"
    "                          open until dockerd closes it\n"
    "        --spin-us N       under load, a worker polls up to N\n"
    "                          microseconds for the next request before it\n"
    "                          sleeps (0-1000, default 10; 0: never)\n"
    "        SIGHUP reloads the policy; SIGUSR1 reopens the audit log;\n"
    "        SIGINT/SIGTERM stop.\n"
    "check   validate policy files: prints FILE: ok, or every error\n"
    "eval    decide AuthZReq JSON offline; prints one reply line per file;\n"
    "        exit 0 all allowed, 1 some denied, 2 error\n";

/* The --self-name values of one command line. */
struct self_names {
	const char **v; /* borrowed from argv, or the default name */
	size_t n;
};

/* Reads "--self-name NAME" at argv[*i] into sn (v has room for argc
 * names). Returns 1 when it took the flag, 0 when argv[*i] is something
 * else, -1 (after printing why) when NAME cannot be a plugin name. */
static int take_self_name(const char *cmd, int argc, char **argv, int *i,
                          struct self_names *sn)
{
	const char *why;
	if (strcmp(argv[*i], "--self-name") != 0 || *i + 1 >= argc)
		return 0;
	const char *name = argv[++*i];
	if (!selfprotect_name_valid(name, &why)) {
		fprintf(stderr, "dockgate %s: --self-name '%s': %s\n", cmd, name, why);
		return -1;
	}
	sn->v[sn->n++] = name;
	return 1;
}

/* The options decide() gets; the default name when none was given. */
static struct decide_opts self_opts(struct self_names *sn)
{
	if (sn->n == 0)
		sn->v[sn->n++] = selfprotect_default_name;
	struct decide_opts o = {.self = {sn->v, sn->n}};
	return o;
}

/* Loads path, printing every error to stderr. Returns a new policy or
 * NULL. */
static struct policy *load_or_report(const char *path)
{
	struct policy_errors errs = {0};
	struct policy *p = policy_load_file(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	policy_errors_clear(&errs);
	return p;
}

/* The same for the daemon: errors go to the log (--log-format). */
static struct policy *load_or_log(const char *path)
{
	struct policy_errors errs = {0};
	struct policy *p = policy_load_file(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		log_line(LOG_ERROR, errs.msg[i]);
	policy_errors_clear(&errs);
	return p;
}

static int cmd_check(int argc, char **argv)
{
	int rc = 0;
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct policy *p = load_or_report(argv[i]);
		if (p == NULL) {
			rc = 1;
			continue;
		}
		printf("%s: ok\n", argv[i]);
		policy_unref(p);
	}
	return rc;
}

/* Reads all of f up to max bytes. Returns a new buffer or NULL. */
static char *read_all(FILE *f, size_t max, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (buf != NULL && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Decides one input file ("-" is stdin) and prints the reply. Returns 0
 * allow, 1 deny, 2 error. */
static int eval_one(const struct policy *p, const struct decide_opts *opts,
                    const char *input)
{
	FILE *f = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb");
	if (f == NULL) {
		fprintf(stderr, "dockgate eval: %s: %s\n", input, strerror(errno));
		return 2;
	}
	size_t len = 0;
	char *data = read_all(f, MAX_EVAL_INPUT, &len);
	if (f != stdin)
		fclose(f);
	if (data == NULL) {
		fprintf(stderr, "dockgate eval: %s: %s\n", input, strerror(errno));
		return 2;
	}
	bool allow = false;
	char *reply = decide(p, opts, data, len, &allow, NULL);
	puts(reply ? reply : decide_fallback_deny);
	free(reply);
	free(data);
	return allow ? 0 : 1;
}

/* Several inputs print one reply line each, in order, and exit with the
 * worst status (error over deny over allow); the benchmarks use this to
 * decide many requests in one process. */
static int cmd_eval(int argc, char **argv)
{
	const char *policy_path = NULL;
	const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
	struct self_names sn = {calloc((size_t)argc, sizeof(char *)), 0};
	struct policy *p = NULL;
	int n = 0, rc = 2;

	if (inputs == NULL || sn.v == NULL) {
		fprintf(stderr, "dockgate eval: out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		int took = take_self_name("eval", argc, argv, &i, &sn);
		if (took < 0)
			goto out;
		if (took > 0)
			continue;
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy_path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "dockgate eval: unknown option %s\n%s", argv[i],
			        usage);
			goto out;
		} else
			inputs[n++] = argv[i];
	}
	if (n == 0)
		inputs[n++] = "-";
	if (policy_path == NULL) {
		fprintf(stderr, "dockgate eval: --policy FILE is required\n");
		goto out;
	}
	p = load_or_report(policy_path);
	if (p == NULL)
		goto out;
	struct decide_opts opts = self_opts(&sn);
	rc = 0;
	for (int i = 0; i < n; i++) {
		int r = eval_one(p, &opts, inputs[i]);
		if (r > rc)
			rc = r;
	}
out:
	policy_unref(p);
	free(inputs);
	free(sn.v);
	return rc;
}

/* A socket handed over by systemd (sd_listen_fds protocol), or -1. */
static int inherited_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL)
		return -1;
	char *end;
	long lp = strtol(pid, &end, 10);
	if (*end != '\0' || lp != (long)getpid())
		return -1;
	long n = strtol(fds, &end, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (*end != '\0' || n < 1)
		return -1;
	if (n > 1)
		log_msg(LOG_WARN, "%ld sockets passed; serving the first", n);
	return 3; /* SD_LISTEN_FDS_START */
}

/* dockerd opens a connection per parallel call; a busy host needs more
 * than the usual 1024 descriptors. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static const char *mode_name(const struct policy *p)
{
	return p->mode == POLICY_ENFORCE ? "enforce" : "audit";
}

static int count_rules(const struct policy *p)
{
	int n = 0;
	for (int i = 0; i < RULE__COUNT; i++)
		n += p->action[i] != RULE_OFF;
	return n;
}

/* Everything a decision feeds besides its reply. */
struct observers {
	struct auditlog *audit;
	struct metrics *metrics;
	struct imageinspect *inspect;
};

/* Before eval: the image's user when the policy wants it. A cache hit
 * answers at once; a look-up in dockerd only where blocking is allowed
 * (the server's slow lane), never on an HTTP worker. */
static int prepare(void *cls, struct decide_call *call, const struct policy *p,
                   struct request *rq)
{
	struct observers *o = cls;
	if (!imageinspect_wanted(p, rq) ||
	    imageinspect_from_cache(o->inspect, rq))
		return 0;
	if (!call->may_block)
		return 1;
	imageinspect_lookup(o->inspect, rq);
	if (log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "image %s: %s %s", rq->create.image,
		        rq->image_user.status == IMAGE_USER_KNOWN ? "USER" : "unknown:",
		        rq->image_user.status == IMAGE_USER_KNOWN ? rq->image_user.user
		                                                 : rq->image_user.why);
	return 0;
}

/* unset-user: inspect needs libcurl, which is loaded when the first policy
 * that inspects is (and never otherwise). Without it such a policy is
 * still served, each create it would look up failing closed; this says so
 * at load rather than at the first denied docker run. */
static void load_inspect(const struct policy *p)
{
	const char *why;
	if (!p->unset_user_inspect || p->action[RULE_NO_ROOT] == RULE_OFF ||
	    imageinspect_load(&why))
		return;
	log_msg(LOG_ERROR, "unset-user: inspect: %s; every container create "
	        "without --user will be denied until it is installed and "
	        "dockgate restarted", why);
}

/* What a reload needs; SIGHUP (main thread) and --watch (its thread) both
 * reload, one at a time. */
struct reloader {
	pthread_mutex_t lock;
	const char *path;
	struct server *server; /* NULL until it serves */
	struct metrics *metrics;
	bool pending; /* the file changed before the server started */
};

/* Loads the policy aside and swaps it in only when it has zero errors;
 * otherwise every error is logged and the policy in force stays. In-flight
 * decisions finish on the policy they started with (policy refs). */
static void reload(struct reloader *r, const char *why)
{
	pthread_mutex_lock(&r->lock);
	if (r->server == NULL) {
		r->pending = true;
		pthread_mutex_unlock(&r->lock);
		return;
	}
	struct policy *np = load_or_log(r->path);
	if (np == NULL) {
		/* Counted before it is logged, so whoever reads the log line
		 * finds the counter moved. */
		metrics_policy(r->metrics, NULL, false, false);
		log_msg(LOG_ERROR, "reload of %s (%s) failed; keeping the policy in "
		                   "force", r->path, why);
	} else {
		metrics_policy(r->metrics, np, true, false);
		load_inspect(np);
		server_set_policy(r->server, np);
		log_msg(LOG_INFO, "reloaded %s (%s): sha256 %s, %d rules, mode %s",
		        r->path, why, np->sha256,
		        count_rules(np), mode_name(np));
		policy_unref(np);
	}
	pthread_mutex_unlock(&r->lock);
}

static void reload_on_change(void *cls)
{
	reload(cls, "file changed");
}

static void observe(void *cls, const struct policy *p,
                    const struct request *rq, const struct decision *d,
                    long latency_us)
{
	struct observers *o = cls;
	/* --log-format json: the decision line on stderr is the audit
	 * record; the human one comes from decide() itself. One record
	 * serves both. */
	bool json = log_format() == LOG_JSON && log_enabled(LOG_INFO);
	if (o->audit != NULL || json) {
		struct strbuf sb = strbuf_pooled(1024);
		auditlog_record_add(&sb, p, rq, d, latency_us);
		if (!sb.oom && sb.len > 0) {
			auditlog_write_record(o->audit, sb.buf, sb.len);
			if (json)
				log_json_record(LOG_INFO, "decision", sb.buf);
		}
		strbuf_unpool(&sb);
	}
	metrics_observe(o->metrics, rq, d, latency_us);
}

/* Reads flag's value s, a whole decimal number from lo to hi, into *out;
 * false, after saying what the flag takes, for anything else. */
static bool take_number(const char *flag, const char *s, unsigned lo,
                        unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < (long)lo ||
	    v > (long)hi) {
		fprintf(stderr, "dockgate serve: %s takes %u to %u\n", flag, lo, hi);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static int cmd_serve(int argc, char **argv)
{
	const char *policy_path = DEFAULT_POLICY, *socket_path = DEFAULT_SOCKET;
	const char *audit_path = NULL, *metrics_addr = NULL;
	bool watch = false;
	unsigned threads = 0, idle_timeout = 60, spin_us = 10;
	/* Lives as long as the server, which borrows it. */
	struct self_names sn = {calloc((size_t)argc, sizeof(char *)), 0};
	struct observers obs = {0};
	const char *docker_host = IMAGEINSPECT_DEFAULT_HOST;
	enum log_format log_fmt = LOG_HUMAN;
	enum log_level log_lvl = LOG_INFO;
	struct decide_hooks hooks = {prepare, observe, &obs};
	struct policy *p = NULL;
	struct metrics_http *mh = NULL;
	struct watch *w = NULL;
	char *why = NULL;
	int rc = 2;

	if (sn.v == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		int took = take_self_name("serve", argc, argv, &i, &sn);
		if (took < 0)
			goto out;
		if (took > 0)
			continue;
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy_path = argv[++i];
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strcmp(argv[i], "--audit-log") == 0 && i + 1 < argc)
			audit_path = argv[++i];
		else if (strcmp(argv[i], "--metrics") == 0 && i + 1 < argc)
			metrics_addr = argv[++i];
		else if (strcmp(argv[i], "--docker-host") == 0 && i + 1 < argc)
			docker_host = argv[++i];
		else if (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc) {
			if (log_parse_format(argv[++i], &log_fmt) < 0) {
				fprintf(stderr, "dockgate serve: --log-format takes human "
				                "or json\n");
				goto out;
			}
		} else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			if (log_parse_level(argv[++i], &log_lvl) < 0) {
				fprintf(stderr, "dockgate serve: --log-level takes debug, "
				                "info, warn or error\n");
				goto out;
			}
		} else if (strcmp(argv[i], "--watch") == 0)
			watch = true;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if (!take_number(argv[i], argv[i + 1], 1, 256, &threads))
				goto out;
			i++;
		} else if (strcmp(argv[i], "--idle-timeout") == 0 && i + 1 < argc) {
			/* 0 would mean "never" to libmicrohttpd: a client could then
			 * hold a connection forever, so it is refused. */
			if (!take_number(argv[i], argv[i + 1], 1, 86400, &idle_timeout))
				goto out;
			i++;
		} else if (strcmp(argv[i], "--spin-us") == 0 && i + 1 < argc) {
			if (!take_number(argv[i], argv[i + 1], 0, SPINWAIT_MAX_US,
			                 &spin_us))
				goto out;
			i++;
		} else {
			fprintf(stderr, "dockgate serve: unknown argument %s\n%s", argv[i],
			        usage);
			goto out;
		}
	}

	/* The policy is valid before anything listens: a daemon that cannot
	 * judge must not answer at all. */
	rc = 1;
	log_setup(log_fmt, log_lvl);
	p = load_or_log(policy_path);
	if (p == NULL) {
		log_msg(LOG_ERROR, "%s: policy has errors; not serving", policy_path);
		goto out;
	}

	/* Signals are taken synchronously by this thread; the server's
	 * threads inherit the mask and never see them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	struct decide_opts opts = self_opts(&sn);
	if (audit_path != NULL &&
	    (obs.audit = auditlog_open(audit_path, &why)) == NULL) {
		log_msg(LOG_ERROR, "%s", why ? why : "cannot open the audit log");
		goto out;
	}

	/* Made even when the policy does not inspect: a reload may turn it
	 * on. It connects only when asked. libcurl is loaded here only when
	 * this policy inspects: after the signal mask, so that any thread it
	 * starts leaves the signals to this one. */
	load_inspect(p);
	obs.inspect = imageinspect_new(docker_host, 4096, 5000, &why);
	if (obs.inspect == NULL) {
		log_msg(LOG_ERROR, "%s", why ? why : "out of memory");
		goto out;
	}

	if (metrics_addr != NULL) {
		obs.metrics = metrics_new();
		mh = obs.metrics ? metrics_http_start(metrics_addr, obs.metrics, &why)
		                 : NULL;
		if (mh == NULL) {
			log_msg(LOG_ERROR, "%s", why ? why : "out of memory");
			goto out;
		}
		metrics_policy(obs.metrics, p, true, true);
	}

	spinwait_set_us(spin_us);
	int fd = inherited_socket();
	struct server_config cfg = {
	    .socket_path = socket_path,
	    .listen_fd = fd,
	    .threads = threads,
	    .max_body = MAX_AUTHZ_BODY,
	    .idle_timeout = idle_timeout,
	    /* The one-line summary per decision, human format only. */
	    .log = log_fmt == LOG_HUMAN && log_enabled(LOG_INFO) ? stderr : NULL,
	    /* The JSON decision records, batched the same way. */
	    .queue_json = log_fmt == LOG_JSON && log_enabled(LOG_INFO),
	    .opts = &opts,
	    .hooks = &hooks,
	    .slow_threads = 4,
	};
	/* The watch starts before the socket answers, so no change made
	 * once dockgate serves can be missed. */
	struct reloader rl = {PTHREAD_MUTEX_INITIALIZER, policy_path, NULL,
	                      obs.metrics, false};
	if (watch) {
		w = watch_start(policy_path, 200, reload_on_change, &rl, &why);
		if (w == NULL) {
			log_msg(LOG_ERROR, "--watch: %s", why ? why : "out of memory");
			goto out;
		}
	}
	struct server *s = server_start(&cfg, p, &why);
	if (s == NULL) {
		log_msg(LOG_ERROR, "%s", why ? why : "cannot start");
		goto out;
	}
	struct strbuf names = STRBUF_INIT;
	for (size_t i = 0; i < sn.n; i++)
		strbuf_addf(&names, "%s%s", i ? ", " : "", sn.v[i]);
	log_msg(LOG_INFO, "serving %s (sha256 %s, %d rules, mode %s) on %s; "
	        "self-protected as %s; version %s", policy_path, p->sha256,
	        count_rules(p), mode_name(p),
	        fd >= 0 ? "an inherited socket" : socket_path,
	        names.buf ? names.buf : "", DOCKGATE_VERSION);
	strbuf_release(&names);

	/* Changes seen between the start of the watch and now. */
	pthread_mutex_lock(&rl.lock);
	rl.server = s;
	bool pending = rl.pending;
	pthread_mutex_unlock(&rl.lock);
	if (pending)
		reload(&rl, "file changed");

	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			/* logrotate moved the file away: write to a new one. */
			if (auditlog_reopen(obs.audit, &why) < 0) {
				log_msg(LOG_ERROR, "%s", why);
				free(why);
				why = NULL;
			}
			continue;
		}
		if (sig != SIGHUP)
			break;
		reload(&rl, "SIGHUP");
	}
	log_msg(LOG_INFO, "stopping");
	watch_stop(w);
	w = NULL;
	server_stop(s);
	rc = 0;
out:
	free(why);
	watch_stop(w);
	metrics_http_stop(mh);
	metrics_free(obs.metrics);
	imageinspect_free(obs.inspect);
	imageinspect_global_cleanup();
	auditlog_close(obs.audit);
	policy_unref(p);
	free(sn.v);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "eval") == 0)
		return cmd_eval(argc - 1, argv + 1);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("dockgate %s\n", DOCKGATE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	fprintf(stderr, "dockgate: unknown command '%s'\n%s", cmd, usage);
	return 2;
}
