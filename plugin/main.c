/* dockgate: command line. serve | check | eval | --version. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "decide.h"
#include "policy.h"
#include "server.h"

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
    "                      [--idle-timeout SECONDS]\n"
    "       dockgate check FILE...\n"
    "       dockgate eval --policy FILE [REQUEST.json | -]\n"
    "       dockgate --version\n"
    "\n"
    "serve   answer dockerd's authorization requests (--authorization-plugin)\n"
    "        defaults: --policy " DEFAULT_POLICY "\n"
    "                  --socket " DEFAULT_SOCKET "\n"
    "                  --idle-timeout 60 (an idle connection is closed)\n"
    "        SIGHUP reloads the policy; SIGINT/SIGTERM stop.\n"
    "check   validate policy files: prints FILE: ok, or every error\n"
    "eval    decide one AuthZReq JSON offline; prints the reply;\n"
    "        exit 0 allow, 1 deny, 2 error\n";

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

static int cmd_eval(int argc, char **argv)
{
	const char *policy_path = NULL, *input = "-";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy_path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "dockgate eval: unknown option %s\n%s", argv[i],
			        usage);
			return 2;
		} else
			input = argv[i];
	}
	if (policy_path == NULL) {
		fprintf(stderr, "dockgate eval: --policy FILE is required\n");
		return 2;
	}
	struct policy *p = load_or_report(policy_path);
	if (p == NULL)
		return 2;
	FILE *f = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb");
	if (f == NULL) {
		fprintf(stderr, "dockgate eval: %s: %s\n", input, strerror(errno));
		policy_unref(p);
		return 2;
	}
	size_t len = 0;
	char *data = read_all(f, MAX_EVAL_INPUT, &len);
	if (f != stdin)
		fclose(f);
	if (data == NULL) {
		fprintf(stderr, "dockgate eval: %s: %s\n", input, strerror(errno));
		policy_unref(p);
		return 2;
	}
	bool allow = false;
	char *reply = decide(p, data, len, &allow, NULL);
	puts(reply ? reply : decide_fallback_deny);
	free(reply);
	free(data);
	policy_unref(p);
	return allow ? 0 : 1;
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
		fprintf(stderr, "dockgate: %ld sockets passed; serving the first\n", n);
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

static int cmd_serve(int argc, char **argv)
{
	const char *policy_path = DEFAULT_POLICY, *socket_path = DEFAULT_SOCKET;
	unsigned threads = 0, idle_timeout = 60;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy_path = argv[++i];
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			char *end;
			long t = strtol(argv[++i], &end, 10);
			if (*end != '\0' || t < 1 || t > 256) {
				fprintf(stderr, "dockgate serve: --threads takes 1 to 256\n");
				return 2;
			}
			threads = (unsigned)t;
		} else if (strcmp(argv[i], "--idle-timeout") == 0 && i + 1 < argc) {
			/* 0 would mean "never" to libmicrohttpd: a client could then
			 * hold a connection forever, so it is refused. */
			char *end;
			long t = strtol(argv[++i], &end, 10);
			if (*end != '\0' || t < 1 || t > 86400) {
				fprintf(stderr,
				        "dockgate serve: --idle-timeout takes 1 to 86400\n");
				return 2;
			}
			idle_timeout = (unsigned)t;
		} else {
			fprintf(stderr, "dockgate serve: unknown argument %s\n%s", argv[i],
			        usage);
			return 2;
		}
	}

	/* The policy is valid before anything listens: a daemon that cannot
	 * judge must not answer at all. */
	struct policy *p = load_or_report(policy_path);
	if (p == NULL) {
		fprintf(stderr, "dockgate: %s: policy has errors; not serving\n",
		        policy_path);
		return 1;
	}

	/* Signals are taken synchronously by this thread; the server's
	 * threads inherit the mask and never see them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	int fd = inherited_socket();
	struct server_config cfg = {
	    .socket_path = socket_path,
	    .listen_fd = fd,
	    .threads = threads,
	    .max_body = MAX_AUTHZ_BODY,
	    .idle_timeout = idle_timeout,
	    .log = stderr,
	};
	char *why = NULL;
	struct server *s = server_start(&cfg, p, &why);
	if (s == NULL) {
		fprintf(stderr, "dockgate: %s\n", why ? why : "cannot start");
		free(why);
		policy_unref(p);
		return 1;
	}
	fprintf(stderr,
	        "dockgate %s: serving %s (%d rules, mode %s) on %s\n",
	        DOCKGATE_VERSION, policy_path, count_rules(p), mode_name(p),
	        fd >= 0 ? "an inherited socket" : socket_path);
	policy_unref(p);

	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		/* Load aside; swap only a policy with zero errors. */
		struct policy *np = load_or_report(policy_path);
		if (np == NULL) {
			fprintf(stderr, "dockgate: reload of %s failed; keeping the "
			                "policy in force\n", policy_path);
			continue;
		}
		server_set_policy(s, np);
		fprintf(stderr, "dockgate: reloaded %s (%d rules, mode %s)\n",
		        policy_path, count_rules(np), mode_name(np));
		policy_unref(np);
	}
	fprintf(stderr, "dockgate: stopping\n");
	server_stop(s);
	return 0;
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
