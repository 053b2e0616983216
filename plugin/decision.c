/* decision: reason codes -> "[rule-id] what is wrong; how to fix it". The
 * wording lives here and only here, so every surface (docker CLI, eval,
 * logs) says the same thing. */
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
	strbuf_addf(sb, "%lld%c", v, units[u]);
}

/* Nano CPUs as --cpus writes them: "2", "0.5", "1.25". */
static void add_cpus(struct strbuf *sb, long long nano)
{
	strbuf_addf(sb, "%lld", nano / 1000000000);
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
		strbuf_addf(sb, "%lld", v);
}

static const char *limit_flag(const char *what)
{
	if (strcmp(what, "memory") == 0)
		return "--memory";
	if (strcmp(what, "cpus") == 0)
		return "--cpus";
	return "--pids-limit";
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

/* "no memory, CPU or PID limit; add --memory 512m --cpus 1 --pids-limit
 * 256 (at most 4g, 2 and 4096)": kinds is the comma list of missing
 * limits, maxima "MEM|NANOCPUS|PIDS" with 0 for no ceiling. */
static void render_missing_limits(struct strbuf *sb, const char *kinds,
                                  const char *maxima)
{
	const char *which[3];
	long long max[3] = {0, 0, 0};
	size_t n = 0, nmax = 0;

	sscanf(maxima, "%lld|%lld|%lld", &max[0], &max[1], &max[2]);
	for (int k = 0; k < 3; k++)
		if (strstr(kinds, limit_kinds[k]) != NULL)
			which[n++] = limit_kinds[k];
	strbuf_adds(sb, "no ");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
		            limit_noun(which[i]));
	strbuf_adds(sb, n == 1 ? " limit; add" : " limits; add");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, " %s %s", limit_flag(which[i]), limit_example(which[i]));
	for (size_t i = 0; i < n; i++) {
		int k = which[i] == limit_kinds[0] ? 0 : which[i] == limit_kinds[1] ? 1 : 2;
		if (max[k] <= 0)
			continue;
		strbuf_adds(sb, nmax++ == 0 ? " (at most " : ", ");
		add_limit(sb, which[i], max[k]);
		if (n > 1)
			strbuf_addf(sb, " %s", limit_noun(which[i]));
	}
	if (nmax > 0)
		strbuf_addc(sb, ')');
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void render(struct strbuf *sb, const struct violation *v)
{
	const char *a = or_empty(v->arg), *b = or_empty(v->arg2);

	strbuf_addf(sb, "[%s] ", rule_name(v->rule));
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
		render_missing_limits(sb, a, b);
		break;
	case REASON_LIMIT_OVER: {
		const char *bar = strchr(b, '|');
		long long have = strtoll(b, NULL, 10);
		long long max = bar ? strtoll(bar + 1, NULL, 10) : 0;
		strbuf_addf(sb, "%s limit ", limit_noun(a));
		add_limit(sb, a, have);
		strbuf_adds(sb, " is above the maximum ");
		add_limit(sb, a, max);
		strbuf_addf(sb, "; set %s ", limit_flag(a));
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

char *decision_message(const struct decision *d)
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
	if (enforced > 0)
		strbuf_addf(&sb, "%zu policy violation%s:", enforced,
		            enforced == 1 ? "" : "s");
	for (int pass = 0; pass < 2; pass++) {
		bool want = pass == 0;
		if (!want && audited > 0)
			strbuf_adds(&sb, enforced > 0 ? "\nnot enforced yet (audit):"
			                              : "audit only:");
		for (size_t i = 0; i < d->n; i++) {
			if (d->v[i].enforced != want)
				continue;
			strbuf_addc(&sb, '\n');
			render(&sb, &d->v[i]);
		}
	}
	return strbuf_detach(&sb);
}
