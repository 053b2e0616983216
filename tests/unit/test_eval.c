/* eval + decision: the exact text each reason renders to (what the user
 * reads in their terminal), and how enforced and audit-only violations are
 * laid out. Verdicts over whole requests live in tests/verdicts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "decision.h"
#include "eval.h"
#include "suites.h"

static const struct {
	enum rule_id rule;
	enum reason reason;
	const char *arg, *arg2;
	const char *want;
} renders[] = {
    {RULE_NO_ROOT, REASON_USER_ROOT, "0:0", NULL,
     "[no-root] container would run as root (User \"0:0\"); run as a non-root "
     "numeric user, e.g. --user 1000:1000"},
    {RULE_NO_ROOT, REASON_USER_ROOT, "a\"b\nc", NULL,
     "[no-root] container would run as root (User \"a\\\"b\\nc\"); run as a "
     "non-root numeric user, e.g. --user 1000:1000"},
    {RULE_NO_ROOT, REASON_USER_UNSET, NULL, NULL,
     "[no-root] no user given, so the container would run as the image's "
     "default user (often root); add --user 1000:1000"},
    {RULE_NO_ROOT, REASON_USER_INVALID, "-5", NULL,
     "[no-root] user \"-5\" is not a valid uid:gid (ids are 0 to 2147483647); "
     "use a non-root numeric user, e.g. --user 1000:1000"},
    {RULE_READ_ONLY_ROOTFS, REASON_ROOTFS_WRITABLE, NULL, NULL,
     "[read-only-rootfs] root filesystem is writable; add --read-only (and "
     "--tmpfs /tmp if the program needs scratch space)"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_MISSING, "memory", "0|0|0",
     "[resource-limits] no memory limit; add --memory 512m"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_MISSING, "memory", "1610612736|0|0",
     "[resource-limits] no memory limit; add --memory 512m (at most 1536m)"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_MISSING, "cpus", "0|1500000000|0",
     "[resource-limits] no CPU limit; add --cpus 1 (at most 1.5)"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_MISSING, "pids", "0|0|0",
     "[resource-limits] no PID limit; add --pids-limit 256"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_MISSING, "memory,cpus,pids",
     "4294967296|2000000000|4096",
     "[resource-limits] no memory, CPU or PID limits; add --memory 512m "
     "--cpus 1 --pids-limit 256 (at most 4g memory, 2 CPU, 4096 PID)"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_MISSING, "memory,pids", "0|0|64",
     "[resource-limits] no memory or PID limits; add --memory 512m "
     "--pids-limit 256 (at most 64 PID)"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_OVER, "memory", "8589934592|4294967296",
     "[resource-limits] memory limit 8g is above the maximum 4g; set --memory "
     "4g or lower"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_OVER, "memory", "4294967297|4294967296",
     "[resource-limits] memory limit 4294967297b is above the maximum 4g; set "
     "--memory 4g or lower"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_OVER, "cpus", "2500000000|2000000000",
     "[resource-limits] CPU limit 2.5 is above the maximum 2; set --cpus 2 or "
     "lower"},
    {RULE_RESOURCE_LIMITS, REASON_LIMIT_OVER, "pids", "5000|4096",
     "[resource-limits] PID limit 5000 is above the maximum 4096; set "
     "--pids-limit 4096 or lower"},
    {RULE_CAPABILITIES, REASON_CAP_NOT_ALLOWED, "SYS_ADMIN", "NET_BIND_SERVICE",
     "[capabilities] capability SYS_ADMIN is not allowed; remove --cap-add "
     "SYS_ADMIN (the policy allows: NET_BIND_SERVICE)"},
    {RULE_REGISTRIES, REASON_REGISTRY_DENIED, "docker.io/library/nginx",
     "registry.example.com, ghcr.io/acme",
     "[registries] image docker.io/library/nginx is not from an approved "
     "registry; use an image under one of: registry.example.com, ghcr.io/acme"},
    {RULE_REGISTRIES, REASON_IMAGE_ID, "sha256:abc", "registry.example.com",
     "[registries] image \"sha256:abc\" is an image ID, so its registry cannot "
     "be checked; use the image's name under an approved registry "
     "(registry.example.com)"},
    {RULE_REGISTRIES, REASON_IMAGE_INVALID, "A//b", "invalid reference format",
     "[registries] image reference \"A//b\" cannot be parsed (invalid "
     "reference format); use a reference like "
     "registry.example.com/team/app:1.0"},
    {RULE_REGISTRIES, REASON_IMAGE_MISSING, NULL, "registry.example.com",
     "[registries] no image given; use an image from an approved registry "
     "(registry.example.com)"},
    {RULE_REQUEST_BODY, REASON_BODY_MISSING, NULL, NULL,
     "[request-body] no request body reached the plugin, so the request "
     "cannot be checked; send it as JSON (Content-Type: application/json) and "
     "smaller than 1 MiB, which dockerd forwards"},
    {RULE_REQUEST_BODY, REASON_BODY_AMBIGUOUS, NULL, "keys 'User' and 'user'",
     "[request-body] request body is ambiguous (keys 'User' and 'user'); send "
     "each field once, spelled as the Docker API documents it"},
    {RULE_AUTHZ_REQUEST, REASON_URI_INVALID, NULL, "bad %-escape",
     "[authz-request] request cannot be decoded (bad %-escape); send a "
     "well-formed Docker API request"},
    {RULE_PRIVILEGED, REASON_PRIVILEGED, NULL, NULL,
     "[privileged] privileged containers have full access to the host; remove "
     "--privileged and add only the capabilities or devices the program needs"},
    {RULE_HOST_NAMESPACES, REASON_HOST_NS, "userns", "host",
     "[host-namespaces] container would share the host's user namespace "
     "(userns mode \"host\"); remove --userns host"},
    {RULE_HOST_NAMESPACES, REASON_CONTAINER_NS, "pid", "container:db",
     "[host-namespaces] container would join another container's PID "
     "namespace (\"container:db\"), which the policy does not allow; remove "
     "--pid container:..."},
    {RULE_HOST_MOUNTS, REASON_MOUNT_PROTECTED, "/var", "/var/lib/docker",
     "[host-mounts] host path /var contains protected path /var/lib/docker; "
     "mount a named volume (-v NAME:/path) or an unprotected host directory "
     "instead"},
    {RULE_HOST_MOUNTS, REASON_MOUNT_PROTECTED, "/etc/ssl", "/etc",
     "[host-mounts] host path /etc/ssl lies under protected path /etc; mount "
     "a named volume (-v NAME:/path) or an unprotected host directory "
     "instead"},
    {RULE_HOST_MOUNTS, REASON_MOUNT_NOT_ALLOWED, "/opt", "/srv",
     "[host-mounts] host path /opt is not an allowed bind source; mount a "
     "named volume or a path under one of: /srv"},
    {RULE_HOST_MOUNTS, REASON_MOUNT_RELATIVE, "etc", NULL,
     "[host-mounts] bind source \"etc\" is not an absolute path; give the "
     "host path from /"},
    {RULE_HOST_MOUNTS, REASON_VOLUMES_FROM, "db", NULL,
     "[host-mounts] --volumes-from db would inherit mounts that cannot be "
     "checked; mount the volumes by name instead (-v NAME:/path)"},
    {RULE_DEVICES, REASON_DEVICES, "DeviceRequests", NULL,
     "[devices] host device access (DeviceRequests) is not allowed; remove "
     "--gpus"},
    {RULE_NO_NEW_PRIVILEGES, REASON_NNP_MISSING, NULL, NULL,
     "[no-new-privileges] no-new-privileges is not set, so setuid programs "
     "can gain privileges; add --security-opt no-new-privileges"},
    {RULE_SECURITY_PROFILES, REASON_UNCONFINED, "label:disable", NULL,
     "[security-profiles] security option \"label:disable\" turns "
     "confinement off; remove --security-opt label:disable"},
    {RULE_SECURITY_PROFILES, REASON_SYSCTL, "kernel.msgmax", "net.core.*",
     "[security-profiles] sysctl kernel.msgmax is not allowed; remove --sysctl "
     "kernel.msgmax (the policy allows: net.core.*)"},
    {RULE_IMAGE_TAGS, REASON_TAG_LATEST, "docker.io/library/nginx:latest",
     NULL,
     "[image-tags] image docker.io/library/nginx:latest has no tag, so it "
     "means latest; name a version tag or a digest, e.g. app:1.4.2 or "
     "app@sha256:..."},
    {RULE_EXEC, REASON_EXEC_USER_INVALID, "-1", NULL,
     "[exec] exec user \"-1\" is not a valid uid:gid (ids are 0 to "
     "2147483647); exec as a non-root numeric user, e.g. -u 1000:1000"},
    {RULE_UPDATE, REASON_UPDATE_OVER, "cpus", "2500000000|2000000000",
     "[update] update would raise the CPU limit to 2.5, above the maximum 2; "
     "set --cpus 2 or lower"},
    {RULE_CAPABILITIES, REASON_CAP_DROP_ALL, NULL, NULL,
     "[capabilities] the default capabilities are kept; add --cap-drop ALL "
     "and --cap-add only what the program needs"},
    {RULE_REGISTRIES, REASON_TARGET_MISSING, "repo", NULL,
     "[registries] no image name given (parameter 'repo'); name the image "
     "under an approved registry"},
    {RULE_REGISTRIES, REASON_TARGET_INVALID, "A//b", "invalid reference format",
     "[registries] image name \"A//b\" cannot be checked (invalid reference "
     "format); use a name like registry.example.com/team/app:1.0"},
    {RULE_REGISTRIES, REASON_IMPORT_DENIED, NULL, NULL,
     "[registries] docker import creates images whose content cannot be "
     "checked; build or pull the image from an approved registry instead"},
    {RULE_API, REASON_API_DEFAULT, "POST /networks/create", NULL,
     "[api] POST /networks/create is not in the policy's api allow list and "
     "the default is deny; ask the platform team to allow it"},
    {RULE_REQUEST_BODY, REASON_BODY_FORM, NULL, "the request headers are ambiguous",
     "[request-body] the parameters this request is judged by may be replaced "
     "by its body (the request headers are ambiguous); send them in the query "
     "string with no form-encoded body"},
};

START_TEST(test_render)
{
	struct violation v = {.rule = renders[_i].rule,
	                      .reason = renders[_i].reason,
	                      .enforced = true,
	                      .arg = (char *)(uintptr_t)renders[_i].arg,
	                      .arg2 = (char *)(uintptr_t)renders[_i].arg2};
	char *got = decision_render_violation(&v);
	ck_assert_str_eq(got, renders[_i].want);
	free(got);
}
END_TEST

/* A service's fix names docker service's flags. */
START_TEST(test_render_service)
{
	struct violation v = {.rule = RULE_RESOURCE_LIMITS,
	                      .reason = REASON_LIMIT_MISSING,
	                      .enforced = true,
	                      .arg = (char *)"memory,cpus,pids",
	                      .arg2 = (char *)"0|0|0",
	                      .service = true};
	char *got = decision_render_violation(&v);
	ck_assert_str_eq(got, "[resource-limits] no memory, CPU or PID limits; "
	                      "add --limit-memory 512m --limit-cpu 1 "
	                      "--limit-pids 256");
	free(got);
	v.reason = REASON_LIMIT_OVER;
	v.arg = (char *)"memory";
	v.arg2 = (char *)"8589934592|4294967296";
	got = decision_render_violation(&v);
	ck_assert_str_eq(got, "[resource-limits] memory limit 8g is above the "
	                      "maximum 4g; set --limit-memory 4g or lower");
	free(got);
	struct violation n = {.rule = RULE_NO_NEW_PRIVILEGES,
	                      .reason = REASON_NNP_MISSING,
	                      .enforced = true,
	                      .service = true};
	got = decision_render_violation(&n);
	ck_assert_str_eq(got, "[no-new-privileges] no-new-privileges is not set, "
	                      "so setuid programs can gain privileges; set "
	                      "Privileges.NoNewPrivileges in the service spec "
	                      "(Docker API 1.44 or later)");
	free(got);
}
END_TEST

START_TEST(test_message_layout)
{
	struct decision d = {.allow = true};
	ck_assert_ptr_null(decision_message(&d));

	ck_assert_int_eq(decision_add(&d, RULE_READ_ONLY_ROOTFS,
	                              REASON_ROOTFS_WRITABLE, false, NULL, NULL), 0);
	ck_assert(d.allow); /* audit-only never denies */
	ck_assert_int_eq(decision_add(&d, RULE_NO_ROOT, REASON_USER_ROOT, true,
	                              "0", NULL), 0);
	ck_assert(!d.allow);
	ck_assert_int_eq(decision_add(&d, RULE_RESOURCE_LIMITS,
	                              REASON_LIMIT_MISSING, true, "pids", "0|0|0"),
	                 0);
	char *msg = decision_message(&d);
	ck_assert_str_eq(
	    msg, "2 policy violations:\n"
	         "[no-root] container would run as root (User \"0\"); run as a "
	         "non-root numeric user, e.g. --user 1000:1000\n"
	         "[resource-limits] no PID limit; add --pids-limit 256\n"
	         "not enforced yet (audit):\n"
	         "[read-only-rootfs] root filesystem is writable; add --read-only "
	         "(and --tmpfs /tmp if the program needs scratch space)");
	free(msg);
	decision_clear(&d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_null(d.v);
}
END_TEST

START_TEST(test_single_violation_singular)
{
	struct decision d = {.allow = true};
	decision_add(&d, RULE_NO_ROOT, REASON_USER_UNSET, true, NULL, NULL);
	char *msg = decision_message(&d);
	ck_assert_msg(strncmp(msg, "1 policy violation:\n[no-root] ", 30) == 0,
	              "%s", msg);
	free(msg);
	decision_clear(&d);
}
END_TEST

/* eval on a hand-built model: rules that are off are not run, and audit
 * rules never flip the verdict. */
START_TEST(test_eval_actions)
{
	struct policy p = {.version = 1};
	struct request rq = {0};
	struct decision d;
	char user[] = "0";

	rq.route.action = ACTION_CONTAINER_CREATE;
	rq.body_status = BODY_OK;
	rq.create.user = user;
	eval_request(&p, &rq, &d);
	ck_assert(d.allow);
	ck_assert_uint_eq(d.n, 0);
	decision_clear(&d);

	p.action[RULE_NO_ROOT] = RULE_AUDIT;
	eval_request(&p, &rq, &d);
	ck_assert(d.allow);
	ck_assert_uint_eq(d.n, 1);
	ck_assert(!d.v[0].enforced);
	decision_clear(&d);

	p.action[RULE_NO_ROOT] = RULE_DENY;
	eval_request(&p, &rq, &d);
	ck_assert(!d.allow);
	ck_assert_int_eq(d.v[0].reason, REASON_USER_ROOT);
	decision_clear(&d);

	p.mode = POLICY_AUDIT;
	eval_request(&p, &rq, &d);
	ck_assert(d.allow);
	ck_assert_uint_eq(d.n, 1);
	decision_clear(&d);

	/* The same request on another route is not a container create. */
	p.mode = POLICY_ENFORCE;
	rq.route.action = ACTION_OTHER;
	rq.body_status = BODY_NOT_NEEDED;
	eval_request(&p, &rq, &d);
	ck_assert(d.allow);
	ck_assert_uint_eq(d.n, 0);
	decision_clear(&d);
}
END_TEST

/* A policy of n registries "registry-NNNNN.example.net/team". */
static struct policy *registries_policy(int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	fputs("version: 1\nrules:\n  registries:\n    allow:\n", o);
	for (int i = 0; i < n; i++)
		fprintf(o, "      - registry-%05d.example.net/team\n", i);
	fclose(o);
	struct policy_errors errs = {0};
	struct policy *p = policy_load_buffer("regs", buf, len, &errs);
	ck_assert_msg(p != NULL, "%s", errs.n ? errs.msg[0] : "?");
	free(buf);
	return p;
}

static char *judge(const struct policy *p, struct request *rq)
{
	struct decision d;
	eval_request(p, rq, &d);
	ck_assert(!d.allow);
	char *msg = decision_message(&d);
	decision_clear(&d);
	return msg;
}

#define TEN_REGISTRIES                                                         \
	"registry-00000.example.net/team, registry-00001.example.net/team, "   \
	"registry-00002.example.net/team, registry-00003.example.net/team, "   \
	"registry-00004.example.net/team, registry-00005.example.net/team, "   \
	"registry-00006.example.net/team, registry-00007.example.net/team, "   \
	"registry-00008.example.net/team, registry-00009.example.net/team"

/* With 10,000 registries every message that lists them names ten and
 * says how many more, on the source routes and the target routes alike,
 * and a policy built by hand (no index) says the same. */
START_TEST(test_registries_capped)
{
	struct policy *p = registries_policy(10000);
	struct request rq = {0};
	char image[] = "evil.example.org/app:1", name[] = "evil.example.org/x";
	const char *more = " and 9,990 more listed in the policy's registries rule";
	char want[1024];

	rq.body_status = BODY_OK;
	rq.route.action = ACTION_CONTAINER_CREATE;
	rq.create.image = image;
	snprintf(want, sizeof want,
	         "1 policy violation:\n[registries] image evil.example.org/app is "
	         "not from an approved registry; use an image under one of: %s%s",
	         TEN_REGISTRIES, more);
	char *msg = judge(p, &rq);
	ck_assert_str_eq(msg, want);
	free(msg);

	/* Without the texts policy_index built, the same words. */
	char *saved = p->registries_text;
	p->registries_text = NULL;
	msg = judge(p, &rq);
	ck_assert_str_eq(msg, want);
	free(msg);
	p->registries_text = saved;

	rq.create.image = NULL;
	rq.route.action = ACTION_IMAGE_PUSH;
	rq.route.param = name;
	snprintf(want, sizeof want,
	         "1 policy violation:\n[registries] image name evil.example.org/x "
	         "is not under an approved registry; name, push and build images "
	         "only under one of: %s%s",
	         TEN_REGISTRIES, more);
	msg = judge(p, &rq);
	ck_assert_str_eq(msg, want);
	free(msg);
	policy_unref(p);

	/* Ten entries: the whole list, as ever. */
	p = registries_policy(10);
	msg = judge(p, &rq);
	ck_assert_str_eq(msg, "1 policy violation:\n[registries] image name "
	                      "evil.example.org/x is not under an approved "
	                      "registry; name, push and build images only under "
	                      "one of: " TEN_REGISTRIES);
	free(msg);
	policy_unref(p);
}
END_TEST

/* The rule ids of d's violations, as a bit set. */
static uint32_t violated(const struct decision *d)
{
	uint32_t m = 0;
	for (size_t i = 0; i < d->n; i++)
		m |= (uint32_t)1 << d->v[i].rule;
	return m;
}

/* Patterns and images for the index tests: look-alikes, case, Docker
 * Hub's spellings, IDs, nothing. */
static const char *const users[] = {"u0", "u1", "u2", "u3", "u4", "U0"};
static const char *const patterns[] = {
    "registry.example.com",        "registry.example.com/a",
    "registry.example.com/a/b",    "Registry.Example.COM/a",
    "registry.example.com/ab",     "index.docker.io/library",
    "docker.io/library/nginx",     "docker.io",
    "ghcr.io/x",                   "localhost:5000/a",
    "registry.example.com.evil.io"};
static const char *const images[] = {
    "registry.example.com/a/b/c:1", "registry.example.com/a:1",
    "registry.example.com/ab:1",    "registry.example.com/a/bc:1",
    "nginx:1",                      "docker.io/library/nginx:latest",
    "nginx/other:1",                "ghcr.io/x/y:1",
    "ghcr.io/xy:1",                 "localhost:5000/a/b:1",
    "registry.example.com.evil.io/a:1",
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "abc123",                       "INVALID//x",
    "Registry.Example.COM/a/x:1",   "index.docker.io/library/nginx:1",
    "INDEX.DOCKER.IO/library/x:1",  "docker.io/a:1",
    "localhost:5000/a:1",           ""};

static unsigned rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

/* Exceptions through the index (a loaded policy) decide exactly as
 * through the scan of every exception (the same policy without its
 * index), over random policies mixing users, groups, images, both, and
 * look-alike patterns (empty lists are load errors), and requests from every user with every
 * image. */
START_TEST(test_exception_index_same)
{
	static const char *const rules[] = {"no-root", "read-only-rootfs",
	                                    "privileged", "registries",
	                                    "image-tags", "exec"};
	size_t checked = 0;

	for (int round = 0; round < 150; round++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&buf, &len);
		fputs("version: 1\nrules:\n  no-root: deny\n"
		      "  read-only-rootfs: deny\n  privileged: deny\n"
		      "  registries: {allow: [registry.example.com/a]}\n"
		      "  image-tags: deny\n  exec: deny\ngroups:\n", o);
		for (int g = 0; g < 4; g++) {
			fprintf(o, "  g%d: [", g);
			for (int u = 0, n = 0; u < 6; u++)
				if (rnd(3) == 0)
					fprintf(o, "%s%s", n++ ? ", " : "", users[u]);
			fputs("]\n", o);
		}
		fputs("exceptions:\n", o);
		for (int e = 0, ne = 1 + (int)rnd(40); e < ne; e++) {
			/* Each list: absent, or one to three names. */
			unsigned shape = rnd(8);
			fputs("  - {", o);
			const char *lists[3] = {"users", "groups", "images"};
			int given = 0;
			for (int l = 0; l < 3; l++) {
				if (!((shape >> l) & 1))
					continue;
				fprintf(o, "%s: [", lists[l]);
				for (int k = 0, nk = 1 + (int)rnd(3); k < nk; k++) {
					if (k)
						fputs(", ", o);
					if (l == 0)
						fputs(users[rnd(6)], o);
					else if (l == 1)
						fprintf(o, "g%u", rnd(4));
					else
						fputs(patterns[rnd(sizeof patterns /
						                    sizeof patterns[0])],
						      o);
				}
				fputs("], ", o);
				given++;
			}
			if (given == 0)
				fprintf(o, "users: [%s], ", users[rnd(6)]);
			fprintf(o, "rules: [%s, %s]}\n", rules[rnd(6)], rules[rnd(6)]);
		}
		fclose(o);
		struct policy_errors errs = {0};
		struct policy *p = policy_load_buffer("random", buf, len, &errs);
		ck_assert_msg(p != NULL, "%s\n%s", errs.n ? errs.msg[0] : "?", buf);
		ck_assert_ptr_nonnull(p->ex_index);

		for (size_t u = 0; u <= 7; u++) {
			const char *user = u < 6 ? users[u] : u == 6 ? "" : NULL;
			for (size_t i = 0; i <= sizeof images / sizeof images[0]; i++) {
				char image[128] = "", root[] = "0";
				struct request rq = {0};
				struct decision d1, d2;
				rq.user = user;
				rq.body_status = BODY_OK;
				if (i < sizeof images / sizeof images[0]) {
					rq.route.action = ACTION_CONTAINER_CREATE;
					snprintf(image, sizeof image, "%s", images[i]);
					rq.create.image = image;
					rq.create.user = root;
					rq.create.privileged = true;
				} else {
					rq.route.action = ACTION_EXEC_CREATE;
					rq.exec.user = root;
				}
				eval_request(p, &rq, &d1);
				struct exception_index *x = p->ex_index;
				p->ex_index = NULL;
				eval_request(p, &rq, &d2);
				p->ex_index = x;
				ck_assert_msg(violated(&d1) == violated(&d2) &&
				                  d1.allow == d2.allow,
				              "user %s image %s: indexed %#x, scanned %#x\n%s",
				              user ? user : "(none)", image,
				              violated(&d1), violated(&d2), buf);
				decision_clear(&d1);
				decision_clear(&d2);
				checked++;
			}
		}
		policy_unref(p);
		policy_errors_clear(&errs);
		free(buf);
	}
	ck_assert_uint_gt(checked, 10000);
}
END_TEST

/* registries through the index decide exactly as through the scan of
 * every entry, on random lists, for runs, pulls and tags. */
START_TEST(test_registry_index_same)
{
	size_t checked = 0;

	for (int round = 0; round < 200; round++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&buf, &len);
		fputs("version: 1\nrules:\n  registries:\n    allow: [", o);
		for (int k = 0, nk = (int)rnd(6); k < nk; k++)
			fprintf(o, "%s%s", k ? ", " : "",
			        patterns[rnd(sizeof patterns / sizeof patterns[0])]);
		fputs("]\n", o);
		fclose(o);
		struct policy_errors errs = {0};
		struct policy *p = policy_load_buffer("random", buf, len, &errs);
		ck_assert_msg(p != NULL, "%s\n%s", errs.n ? errs.msg[0] : "?", buf);
		ck_assert_ptr_nonnull(p->reg_index);

		for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
			for (int route = 0; route < 3; route++) {
				char image[128], tag[] = "repo";
				struct query_param q = {tag, image};
				struct request rq = {0};
				struct decision d1, d2;
				snprintf(image, sizeof image, "%s", images[i]);
				rq.body_status = BODY_OK;
				if (route == 0) {
					rq.route.action = ACTION_CONTAINER_CREATE;
					rq.create.image = image;
				} else if (route == 1) {
					rq.route.action = ACTION_PLUGIN_PULL;
					q.key = (char *)(uintptr_t)"remote";
					rq.route.query = &q;
					rq.route.nquery = 1;
				} else {
					rq.route.action = ACTION_COMMIT;
					rq.route.query = &q;
					rq.route.nquery = 1;
				}
				eval_request(p, &rq, &d1);
				struct policy_keys *x = p->reg_index;
				p->reg_index = NULL;
				eval_request(p, &rq, &d2);
				p->reg_index = x;
				ck_assert_msg(d1.allow == d2.allow && d1.n == d2.n &&
				                  (d1.n == 0 || d1.v[0].reason == d2.v[0].reason),
				              "image %s route %d: indexed %s, scanned %s\n%s",
				              image, route, d1.allow ? "allow" : "deny",
				              d2.allow ? "allow" : "deny", buf);
				checked += d1.allow;
				decision_clear(&d1);
				decision_clear(&d2);
			}
		}
		policy_unref(p);
		policy_errors_clear(&errs);
		free(buf);
	}
	/* Allowed ones too, or the lists matched nothing. */
	ck_assert_uint_gt(checked, 100);
}
END_TEST

Suite *eval_suite(void)
{
	Suite *s = suite_create("eval");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, test_render_service);
	tcase_add_loop_test(tc, test_render, 0,
	                    (int)(sizeof renders / sizeof renders[0]));
	tcase_add_test(tc, test_message_layout);
	tcase_add_test(tc, test_single_violation_singular);
	tcase_add_test(tc, test_eval_actions);
	tcase_add_test(tc, test_registries_capped);
	tcase_add_test(tc, test_exception_index_same);
	tcase_add_test(tc, test_registry_index_same);
	suite_add_tcase(s, tc);
	return s;
}
