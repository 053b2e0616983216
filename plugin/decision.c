/* decision: reason codes -> "[rule-id] what is wrong; how to fix it". The
 * wording lives here and only here, so every surface (docker CLI, eval,
 * logs) says the same thing. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "strbuf.h"

/* Bytes in docker's units, exact: "4g", "512m", "1536k", "100b". */
static void add_bytes(struct strbuf *sb, long long v)
{
	static const char units[] = "bkmgtp";
	int u = 0;
	while (u < 5 && v != 0 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	strbuf_add_int(sb, v);
	strbuf_addc(sb, units[u]);
}

/* Nano CPUs as --cpus writes them: "2", "0.5", "1.25". */
static void add_cpus(struct strbuf *sb, long long nano)
{
	strbuf_add_int(sb, nano / 1000000000);
	long long frac = nano % 1000000000;
	if (frac == 0)
		return;
	char digits[16];
	snprintf(digits, sizeof digits, "%09lld", frac);
	for (int i = 8; i > 0 && digits[i] == '0'; i--)
		digits[i] = '\0';
	strbuf_addf(sb, ".%s", digits);
}

/* A limit value in the unit its flag takes. */
static void add_limit(struct strbuf *sb, const char *what, long long v)
{
	if (strcmp(what, "memory") == 0)
		add_bytes(sb, v);
	else if (strcmp(what, "cpus") == 0)
		add_cpus(sb, v);
	else
		strbuf_add_int(sb, v);
}

/* The flag that sets a limit: docker run's, or docker service's. */
static const char *limit_flag(const char *what, bool service)
{
	if (strcmp(what, "memory") == 0)
		return service ? "--limit-memory" : "--memory";
	if (strcmp(what, "cpus") == 0)
		return service ? "--limit-cpu" : "--cpus";
	return service ? "--limit-pids" : "--pids-limit";
}

static const char *limit_example(const char *what)
{
	if (strcmp(what, "memory") == 0)
		return "512m";
	if (strcmp(what, "cpus") == 0)
		return "1";
	return "256";
}

static const char *limit_noun(const char *what)
{
	if (strcmp(what, "memory") == 0)
		return "memory";
	if (strcmp(what, "cpus") == 0)
		return "CPU";
	return "PID";
}

static const char *const limit_kinds[3] = {"memory", "cpus", "pids"};

/* Reads n figures of "A|B|C", as eval.c's join_figures writes them
 * (decimal, a '-' the only sign) into v; those missing are 0. */
static void read_figures(const char *s, long long *v, int n)
{
	for (int k = 0; k < n; k++) {
		v[k] = 0;
		if (s == NULL)
			continue;
		bool neg = *s == '-';
		unsigned long long u = 0; /* wraps rather than overflows */
		for (s += neg; *s >= '0' && *s <= '9'; s++)
			u = u * 10 + (unsigned)(*s - '0');
		v[k] = (long long)(neg ? 0 - u : u);
		if ((s = strchr(s, '|')) != NULL)
			s++;
	}
}

/* "no memory, CPU or PID limit; add --memory 512m --cpus 1 --pids-limit
 * 256 (at most 4g, 2 and 4096)": kinds is the comma list of missing
 * limits, maxima "MEM|NANOCPUS|PIDS" with 0 for no ceiling. */
static void render_missing_limits(struct strbuf *sb, const char *kinds,
                                  const char *maxima, bool service)
{
	const char *which[3];
	long long max[3];
	size_t n = 0, nmax = 0;

	read_figures(maxima, max, 3); /* "M|C|P" */
	for (int k = 0; k < 3; k++)
		if (strstr(kinds, limit_kinds[k]) != NULL)
			which[n++] = limit_kinds[k];
	strbuf_adds(sb, "no ");
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(sb, i == 0 ? "" : i + 1 == n ? " or " : ", ");
		strbuf_adds(sb, limit_noun(which[i]));
	}
	strbuf_adds(sb, n == 1 ? " limit; add" : " limits; add");
	for (size_t i = 0; i < n; i++) {
		strbuf_addc(sb, ' ');
		strbuf_adds(sb, limit_flag(which[i], service));
		strbuf_addc(sb, ' ');
		strbuf_adds(sb, limit_example(which[i]));
	}
	for (size_t i = 0; i < n; i++) {
		int k = which[i] == limit_kinds[0] ? 0 : which[i] == limit_kinds[1] ? 1 : 2;
		if (max[k] <= 0)
			continue;
		strbuf_adds(sb, nmax++ == 0 ? " (at most " : ", ");
		add_limit(sb, which[i], max[k]);
		if (n > 1) {
			strbuf_addc(sb, ' ');
			strbuf_adds(sb, limit_noun(which[i]));
		}
	}
	if (nmax > 0)
		strbuf_addc(sb, ')');
}

/* "PID" for the kind "pid": the namespace's name in prose. */
static const char *ns_noun(const char *kind)
{
	static const char *const map[][2] = {
	    {"network", "network"}, {"pid", "PID"},   {"ipc", "IPC"},
	    {"uts", "UTS"},         {"userns", "user"}, {"cgroupns", "cgroup"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(kind, map[i][0]) == 0)
			return map[i][1];
	return kind;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* "disabling", ... for the `docker plugin` subcommand verb. */
static const char *self_gerund(const char *verb)
{
	if (strcmp(verb, "disable") == 0)
		return "disabling";
	if (strcmp(verb, "rm") == 0)
		return "removing";
	if (strcmp(verb, "set") == 0)
		return "re-configuring";
	if (strcmp(verb, "upgrade") == 0)
		return "upgrading";
	return "changing";
}

static void render_self(struct strbuf *sb, enum reason reason,
                        const char *name, const char *verb)
{
	strbuf_adds(sb, "plugin \"");
	strbuf_add_escaped(sb, name);
	switch (reason) {
	case REASON_SELF_PLUGIN:
		strbuf_addf(sb, "\" is dockgate itself, and %s it would switch off "
		                "authorization for every user of this Docker host; "
		                "an administrator must first take it out of dockerd's "
		                "authorization plugins (remove it from "
		                "authorization-plugins in daemon.json and reload "
		                "dockerd, or restart dockerd without "
		                "--authorization-plugin; see dockgate(8))",
		            self_gerund(verb));
		break;
	case REASON_SELF_PLUGIN_ID:
		strbuf_addf(sb, "\" may be a plugin ID or ID prefix, and dockgate "
		                "cannot tell whether it is dockgate itself, so %s it "
		                "is refused; name the plugin as `docker plugin ls` "
		                "shows it, e.g. docker plugin %s NAME:TAG",
		            self_gerund(verb), verb);
		break;
	default:
		strbuf_addf(sb, "\" is not a valid plugin name, so dockgate cannot "
		                "tell whether it is dockgate itself; name the plugin "
		                "as `docker plugin ls` shows it, e.g. docker plugin %s "
		                "NAME:TAG", verb);
		break;
	}
}

static void render(struct strbuf *sb, const struct violation *v)
{
	const char *a = or_empty(v->arg), *b = or_empty(v->arg2);

	strbuf_addc(sb, '[');
	strbuf_adds(sb, rule_name(v->rule));
	strbuf_add(sb, "] ", 2);
	switch (v->reason) {
	case REASON_USER_ROOT:
		strbuf_adds(sb, "container would run as root (User \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\"); run as a non-root numeric user, e.g. "
		                "--user 1000:1000");
		break;
	case REASON_USER_UNSET:
		strbuf_adds(sb, "no user given, so the container would run as the "
		                "image's default user (often root); add --user 1000:1000");
		break;
	case REASON_USER_INVALID:
		strbuf_adds(sb, "user \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\" is not a valid uid:gid (ids are 0 to 2147483647); "
		                "use a non-root numeric user, e.g. --user 1000:1000");
		break;
	case REASON_ROOTFS_WRITABLE:
		strbuf_adds(sb, "root filesystem is writable; add --read-only (and "
		                "--tmpfs /tmp if the program needs scratch space)");
		break;
	case REASON_LIMIT_MISSING:
		render_missing_limits(sb, a, b, v->service);
		break;
	case REASON_LIMIT_OVER: {
		long long f[2];
		read_figures(b, f, 2);
		long long have = f[0], max = f[1];
		strbuf_addf(sb, "%s limit ", limit_noun(a));
		add_limit(sb, a, have);
		strbuf_adds(sb, " is above the maximum ");
		add_limit(sb, a, max);
		strbuf_addf(sb, "; set %s ", limit_flag(a, v->service));
		add_limit(sb, a, max);
		strbuf_adds(sb, " or lower");
		break;
	}
	case REASON_CAP_NOT_ALLOWED:
		strbuf_adds(sb, "capability ");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, " is not allowed; remove --cap-add ");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, " (the policy allows: %s)", b);
		break;
	case REASON_IMAGE_MISSING:
		strbuf_addf(sb, "no image given; use an image from an approved "
		                "registry (%s)", b);
		break;
	case REASON_IMAGE_ID:
		strbuf_adds(sb, "image \"");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, "\" is an image ID, so its registry cannot be "
		                "checked; use the image's name under an approved "
		                "registry (%s)", b);
		break;
	case REASON_IMAGE_INVALID:
		strbuf_adds(sb, "image reference \"");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, "\" cannot be parsed (%s); use a reference like "
		                "registry.example.com/team/app:1.0", b);
		break;
	case REASON_REGISTRY_DENIED:
		strbuf_adds(sb, "image ");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, " is not from an approved registry; use an image "
		                "under one of: %s", b);
		break;
	case REASON_BODY_MISSING:
		strbuf_adds(sb, "no request body reached the plugin, so the request "
		                "cannot be checked; send it as JSON "
		                "(Content-Type: application/json) and smaller than "
		                "1 MiB, which dockerd forwards");
		break;
	case REASON_BODY_INVALID:
		strbuf_adds(sb, "request body cannot be decoded (");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "); send a valid JSON body as the Docker API "
		                "documents it");
		break;
	case REASON_BODY_AMBIGUOUS:
		strbuf_adds(sb, "request body is ambiguous (");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "); send each field once, spelled as the Docker API "
		                "documents it");
		break;
	case REASON_URI_INVALID:
		strbuf_adds(sb, "request cannot be decoded (");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "); send a well-formed Docker API request");
		break;
	/* Self-protection (selfprotect.c). */
	case REASON_SELF_PLUGIN:
	case REASON_SELF_PLUGIN_ID:
	case REASON_SELF_PLUGIN_INVALID:
		render_self(sb, v->reason, a, b);
		break;
	case REASON_PRIVILEGED:
		strbuf_adds(sb, "privileged containers have full access to the "
		                "host; remove --privileged and add only the "
		                "capabilities or devices the program needs");
		break;
	case REASON_HOST_NS:
		strbuf_addf(sb, "container would share the host's %s namespace "
		                "(%s mode \"", ns_noun(a), a);
		strbuf_add_escaped(sb, b);
		strbuf_addf(sb, "\"); remove --%s host", a);
		break;
	case REASON_CONTAINER_NS:
		strbuf_addf(sb, "container would join another container's %s "
		                "namespace (\"", ns_noun(a));
		strbuf_add_escaped(sb, b);
		strbuf_addf(sb, "\"), which the policy does not allow; remove "
		                "--%s container:...", a);
		break;
	case REASON_MOUNT_PROTECTED:
		strbuf_adds(sb, "host path ");
		strbuf_add_escaped(sb, a);
		if (strcmp(a, b) == 0) {
			strbuf_adds(sb, " is protected");
		} else {
			size_t n = strlen(b);
			bool under = strncmp(a, b, n) == 0 && a[n] == '/';
			strbuf_adds(sb, under ? " lies under protected path "
			                      : " contains protected path ");
			strbuf_add_escaped(sb, b);
		}
		strbuf_adds(sb, "; mount a named volume (-v NAME:/path) or an "
		                "unprotected host directory instead");
		break;
	case REASON_MOUNT_NOT_ALLOWED:
		strbuf_adds(sb, "host path ");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, " is not an allowed bind source; mount a named "
		                "volume or a path under one of: %s", b);
		break;
	case REASON_MOUNT_RELATIVE:
		strbuf_adds(sb, "bind source \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\" is not an absolute path; give the host "
		                "path from /");
		break;
	case REASON_VOLUMES_FROM:
		strbuf_adds(sb, "--volumes-from ");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, " would inherit mounts that cannot be checked; "
		                "mount the volumes by name instead (-v NAME:/path)");
		break;
	case REASON_DEVICES:
		strbuf_addf(sb, "host device access (%s) is not allowed; remove %s",
		            a,
		            strcmp(a, "Devices") == 0 ? "--device"
		            : strcmp(a, "DeviceCgroupRules") == 0
		                ? "--device-cgroup-rule"
		                : "--gpus");
		break;
	case REASON_NNP_MISSING:
		if (v->arg != NULL) {
			strbuf_adds(sb, "no-new-privileges is turned off (\"");
			strbuf_add_escaped(sb, a);
			strbuf_adds(sb, "\")");
		} else {
			strbuf_adds(sb, "no-new-privileges is not set, so setuid "
			                "programs can gain privileges");
		}
		strbuf_adds(sb, v->service
		                    ? "; set Privileges.NoNewPrivileges in the "
		                      "service spec (Docker API 1.44 or later)"
		                    : "; add --security-opt no-new-privileges");
		break;
	case REASON_UNCONFINED:
		strbuf_adds(sb, "security option \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\" turns confinement off; remove "
		                "--security-opt ");
		strbuf_add_escaped(sb, a);
		break;
	case REASON_SECCOMP_LAX:
		if (a[0] == '\0')
			strbuf_adds(sb, "the seccomp profile given cannot be read (it "
			                "must be a JSON object with a defaultAction)");
		else
			strbuf_addf(sb, "the seccomp profile's defaultAction %s allows "
			                "every syscall, as unconfined does", a);
		strbuf_adds(sb, "; use the default profile or one whose "
		                "defaultAction refuses (SCMP_ACT_ERRNO)");
		break;
	case REASON_PATHS_UNMASKED:
		strbuf_addf(sb, "an empty %s unmasks /proc and /sys paths; remove "
		                "--security-opt systempaths=unconfined",
		            a);
		break;
	case REASON_SYSCTL:
		strbuf_adds(sb, "sysctl ");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, " is not allowed; remove --sysctl ");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, " (the policy allows: %s)", b);
		break;
	case REASON_TAG_LATEST:
		strbuf_adds(sb, "image ");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, v->arg2 != NULL
		                    ? " uses the moving tag latest"
		                    : " has no tag, so it means latest");
		strbuf_adds(sb, "; name a version tag or a digest, e.g. "
		                "app:1.4.2 or app@sha256:...");
		break;
	case REASON_DIGEST_REQUIRED:
		strbuf_adds(sb, "image ");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, " is not pinned by digest; use NAME@sha256:... "
		                "(docker images --digests shows it)");
		break;
	case REASON_EXEC_ROOT:
		strbuf_adds(sb, "exec would run as root (User \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\"); remove -u/--user or exec as a non-root "
		                "user, e.g. -u 1000:1000");
		break;
	case REASON_EXEC_USER_INVALID:
		strbuf_adds(sb, "exec user \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\" is not a valid uid:gid (ids are 0 to "
		                "2147483647); exec as a non-root numeric user, "
		                "e.g. -u 1000:1000");
		break;
	case REASON_EXEC_PRIVILEGED:
		strbuf_adds(sb, "privileged exec has full access to the host; "
		                "remove --privileged");
		break;
	case REASON_UPDATE_REMOVES:
		strbuf_addf(sb, "update would remove the %s limit; give %s a "
		                "positive value instead",
		            limit_noun(a), limit_flag(a, false));
		break;
	case REASON_UPDATE_OVER: {
		long long f[2];
		read_figures(b, f, 2);
		long long have = f[0], max = f[1];
		strbuf_addf(sb, "update would raise the %s limit to ", limit_noun(a));
		add_limit(sb, a, have);
		strbuf_adds(sb, ", above the maximum ");
		add_limit(sb, a, max);
		strbuf_addf(sb, "; set %s ", limit_flag(a, false));
		add_limit(sb, a, max);
		strbuf_adds(sb, " or lower");
		break;
	}
	case REASON_UPDATE_PERIOD:
		strbuf_adds(sb, "a CPU quota or period updated alone cannot be "
		                "checked against the CPU maximum; use --cpus");
		break;
	case REASON_BODY_FORM:
		strbuf_adds(sb, "the parameters this request is judged by may be "
		                "replaced by its body (");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "); send them in the query string with no "
		                "form-encoded body");
		break;
	case REASON_TARGET_DENIED:
		strbuf_adds(sb, "image name ");
		strbuf_add_escaped(sb, a);
		strbuf_addf(sb, " is not under an approved registry; name, push "
		                "and build images only under one of: %s", b);
		break;
	case REASON_TARGET_MISSING:
		strbuf_addf(sb, "no image name given (parameter '%s'); name the "
		                "image under an approved registry", a);
		break;
	case REASON_TARGET_INVALID:
		strbuf_adds(sb, "image name \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\" cannot be checked (");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "); use a name like registry.example.com/team/app:1.0");
		break;
	case REASON_LOAD_DENIED:
		strbuf_adds(sb, "docker load brings in images whose origin cannot "
		                "be checked; push the image to an approved registry "
		                "and pull it from there");
		break;
	case REASON_IMPORT_DENIED:
		strbuf_adds(sb, "docker import creates images whose content cannot "
		                "be checked; build or pull the image from an "
		                "approved registry instead");
		break;
	case REASON_BUILD_DENIED:
		strbuf_adds(sb, "image builds are not allowed on this host; build "
		                "in CI and pull the result from an approved registry");
		break;
	case REASON_BUILD_REMOTE:
		strbuf_adds(sb, "remote build context \"");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, "\" cannot be inspected; build from a local "
		                "directory instead");
		break;
	case REASON_CAP_DROP_ALL:
		strbuf_adds(sb, "the default capabilities are kept; add --cap-drop "
		                "ALL and --cap-add only what the program needs");
		break;
	case REASON_API_DENIED:
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, " is not allowed on this host (api rule '");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "'); ask the platform team if you need it");
		break;
	case REASON_API_DEFAULT:
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, " is not in the policy's api allow list and the "
		                "default is deny; ask the platform team to allow it");
		break;
	case REASON_IMAGE_USER_ROOT:
		strbuf_adds(sb, "no user given, and image ");
		strbuf_add_escaped(sb, b);
		if (a[0] == '\0')
			strbuf_adds(sb, " sets no USER, so the container would run as "
			                "root");
		else {
			strbuf_adds(sb, " runs as root (USER \"");
			strbuf_add_escaped(sb, a);
			strbuf_adds(sb, "\")");
		}
		strbuf_adds(sb, "; add --user 1000:1000, or use an image with a "
		                "non-root USER");
		break;
	case REASON_IMAGE_USER_UNKNOWN:
		strbuf_adds(sb, "no user given, and the user of image ");
		strbuf_add_escaped(sb, a);
		strbuf_adds(sb, " could not be looked up (");
		strbuf_add_escaped(sb, b);
		strbuf_adds(sb, "); add --user 1000:1000");
		break;
	case REASON__COUNT:
		strbuf_adds(sb, "denied");
		break;
	}
}

char *decision_render_violation(const struct violation *v)
{
	struct strbuf sb = STRBUF_INIT;
	render(&sb, v);
	return strbuf_detach(&sb);
}

char *decision_message(struct decision *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t enforced = 0, audited = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].enforced)
			enforced++;
		else
			audited++;
	}
	if (d->n == 0)
		return NULL;
	/* A violation's line is a few hundred bytes: room for them up
	 * front rather than five doublings from 64. */
	strbuf_reserve(&sb, 256 * d->n);
	if (enforced > 0) {
		strbuf_add_int(&sb, (long long)enforced);
		strbuf_adds(&sb, enforced == 1 ? " policy violation:"
		                               : " policy violations:");
	}
	for (int pass = 0; pass < 2; pass++) {
		bool want = pass == 0;
		if (!want && audited > 0)
			strbuf_adds(&sb, enforced > 0 ? "\nnot enforced yet (audit):"
			                              : "audit only:");
		for (size_t i = 0; i < d->n; i++) {
			if (d->v[i].enforced != want)
				continue;
			strbuf_addc(&sb, '\n');
			size_t at = sb.len;
			render(&sb, &d->v[i]);
			/* Recorded for the audit record, which quotes each
			 * violation's text; a message past 4 GiB is not. */
			if (sb.len - at <= UINT32_MAX && at <= UINT32_MAX) {
				d->v[i].msg_off = (uint32_t)at;
				d->v[i].msg_len = (uint32_t)(sb.len - at);
			}
		}
	}
	return strbuf_detach(&sb);
}
