/* eval: one function per rule, each judging a request model against the
 * policy and adding violations with a reason code. Pure: no I/O, no
 * globals, nothing but the decision is written. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval.h"
#include "hostpath.h"
#include "imageref.h"
#include "strbuf.h"

/* The largest uid/gid runc accepts (libcontainer/user: 0..2^31-1). */
#define MAX_ID 2147483647LL

int decision_add(struct decision *d, enum rule_id rule, enum reason reason,
                 bool enforced, const char *arg, const char *arg2)
{
	struct violation *v =
	    arena_grow(&d->arena, d->v, d->n, &d->cap, sizeof *v);
	if (v == NULL)
		return -1;
	d->v = v;
	v = &d->v[d->n];
	v->rule = rule;
	v->reason = reason;
	v->enforced = enforced;
	v->service = false;
	v->msg_off = v->msg_len = 0; /* decision_message sets them */
	v->arg = arg ? arena_strdup(&d->arena, arg) : NULL;
	v->arg2 = arg2 ? arena_strdup(&d->arena, arg2) : NULL;
	if ((arg && !v->arg) || (arg2 && !v->arg2))
		return -1;
	d->n++;
	if (enforced)
		d->allow = false;
	return 0;
}

void decision_clear(struct decision *d)
{
	if (d == NULL)
		return;
	arena_free(&d->arena);
	memset(d, 0, sizeof *d);
}

/* The context every rule function gets. */
/* The create's image reference (rq->create.image), parsed once per
 * decision for every rule that reads it. */
struct image_parse {
	enum imageref_status st; /* IMAGEREF_EMPTY: no image given */
	struct imageref ref;     /* st == IMAGEREF_OK */
	const char *why;         /* st == IMAGEREF_INVALID */
};

static void image_parse(const char *image, struct image_parse *ip)
{
	ip->why = NULL;
	ip->st = IMAGEREF_EMPTY;
	memset(&ip->ref, 0, sizeof ip->ref);
	if (image != NULL && image[0] != '\0')
		ip->st = imageref_parse(image, &ip->ref, &ip->why);
}

static void image_parse_clear(struct image_parse *ip)
{
	if (ip->st == IMAGEREF_OK)
		imageref_clear(&ip->ref);
}

struct ctx {
	const struct policy *p;
	const struct request *rq;
	struct decision *d;
	enum rule_id rule;
	bool enforced;
	const struct image_parse *img; /* of rq->create.image */
};

/* Adds a violation of the current rule. On allocation failure the
 * decision is forced to deny: a rule that failed must never be lost. */
static void fail(struct ctx *c, enum reason reason, const char *arg,
                 const char *arg2)
{
	if (decision_add(c->d, c->rule, reason, c->enforced, arg, arg2) < 0)
		c->d->allow = false;
	else
		c->d->v[c->d->n - 1].service =
		    c->rq->route.action == ACTION_SERVICE_CREATE ||
		    c->rq->route.action == ACTION_SERVICE_UPDATE;
}

/* How runc reads one side of "user:group": a number (Go's strconv.Atoi:
 * optional sign, decimal digits) or a name. */
enum id_kind { ID_NAME, ID_ROOT, ID_OK, ID_INVALID };

static enum id_kind classify_id(const char *s, size_t len)
{
	size_t i = 0;
	if (len == 0)
		return ID_NAME; /* "user:" - an empty group is the user's own */
	if (s[0] == '+' || s[0] == '-')
		i = 1;
	if (i == len)
		return ID_NAME;
	long long v = 0;
	for (size_t j = i; j < len; j++) {
		if (!isdigit((unsigned char)s[j]))
			return (len == 4 && strncmp(s, "root", 4) == 0) ? ID_ROOT : ID_NAME;
		if (v <= MAX_ID)
			v = v * 10 + (s[j] - '0');
	}
	if (s[0] == '-' && v != 0)
		return ID_INVALID;
	if (v > MAX_ID)
		return ID_INVALID;
	return v == 0 ? ID_ROOT : ID_OK;
}

/* How a non-empty "user[:group]" runs: ID_ROOT when either side is root
 * (or the user part is empty), ID_INVALID when an id is out of range,
 * ID_OK otherwise. */
static enum id_kind classify_user(const char *user)
{
	const char *colon = strchr(user, ':');
	size_t ulen = colon ? (size_t)(colon - user) : strlen(user);
	enum id_kind u = classify_id(user, ulen);
	enum id_kind g = colon ? classify_id(colon + 1, strlen(colon + 1)) : ID_NAME;
	if (u == ID_INVALID || g == ID_INVALID)
		return ID_INVALID;
	if (u == ID_ROOT || g == ID_ROOT || ulen == 0)
		return ID_ROOT;
	return ID_OK;
}

/* unset-user: inspect. The container runs as the image's Config.User,
 * which the daemon looked up before eval: judged like an explicit --user;
 * not known means deny (fail closed). */
static void judge_image_user(struct ctx *c)
{
	const struct image_user *iu = &c->rq->image_user;
	const char *image = c->rq->create.image ? c->rq->create.image : "";

	if (iu->status != IMAGE_USER_KNOWN || iu->user == NULL) {
		fail(c, REASON_IMAGE_USER_UNKNOWN, image,
		     iu->why ? iu->why : "it was not looked up");
		return;
	}
	enum id_kind k = iu->user[0] == '\0' ? ID_ROOT : classify_user(iu->user);
	if (k == ID_ROOT)
		fail(c, REASON_IMAGE_USER_ROOT, iu->user, image);
	else if (k == ID_INVALID)
		fail(c, REASON_USER_INVALID, iu->user, NULL);
}

static void rule_no_root(struct ctx *c)
{
	const char *user = c->rq->create.user;
	if (user == NULL || user[0] == '\0') {
		if (c->p->unset_user_inspect)
			judge_image_user(c);
		else if (!c->p->unset_user_allow)
			fail(c, REASON_USER_UNSET, NULL, NULL);
		return;
	}
	enum id_kind k = classify_user(user);
	if (k == ID_INVALID)
		fail(c, REASON_USER_INVALID, user, NULL);
	else if (k == ID_ROOT)
		fail(c, REASON_USER_ROOT, user, NULL);
}

static void rule_read_only_rootfs(struct ctx *c)
{
	if (!c->rq->create.readonly_rootfs)
		fail(c, REASON_ROOTFS_WRITABLE, NULL, NULL);
}

/* The CPU share a container gets, in nano CPUs: NanoCpus, or the CFS quota
 * over its period (100 ms when not given), saturated at INT64_MAX. 0 when
 * unlimited. */
static int64_t effective_nano_cpus(const struct container_spec *s)
{
	if (s->nano_cpus > 0)
		return s->nano_cpus;
	if (s->cpu_quota > 0) {
		int64_t period = s->cpu_period > 0 ? s->cpu_period : 100000;
		double v = (double)s->cpu_quota / (double)period * 1e9;
		/* A double past INT64_MAX does not convert (undefined; x86 gives
		 * INT64_MIN, which read as "no limit" and passed any ceiling). */
		if (v >= 9223372036854775807.0)
			return INT64_MAX;
		return (int64_t)v;
	}
	return 0;
}

/* Writes v[0..n) as "A|B|C" at out (room for 21 bytes a number): the
 * figures a violation carries for decision.c to render. */
static void join_figures(char *out, const int64_t *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char tmp[24], *p = tmp + sizeof tmp;
		uint64_t u = v[k] < 0 ? 0 - (uint64_t)v[k] : (uint64_t)v[k];
		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (v[k] < 0)
			*--p = '-';
		if (k > 0)
			*out++ = '|';
		size_t len = (size_t)(tmp + sizeof tmp - p);
		memcpy(out, p, len);
		out += len;
	}
	*out = '\0';
}

static void limit_over(struct ctx *c, const char *what, int64_t have,
                       int64_t max)
{
	char buf[64];
	join_figures(buf, (const int64_t[]){have, max}, 2);
	fail(c, REASON_LIMIT_OVER, what, buf);
}

static void rule_resource_limits(struct ctx *c)
{
	const struct container_spec *s = &c->rq->create;
	const struct policy *p = c->p;
	int64_t cpus = effective_nano_cpus(s);
	char missing[32] = "", maxima[80];

	/* Missing limits are one violation, so the fix is one line. */
	if (s->memory <= 0) {
		if (p->limits_require & LIMIT_MEMORY)
			strcat(missing, ",memory");
	} else if (p->max_memory > 0 && s->memory > p->max_memory) {
		limit_over(c, "memory", s->memory, p->max_memory);
	}
	if (cpus <= 0) {
		if (p->limits_require & LIMIT_CPUS)
			strcat(missing, ",cpus");
	} else if (p->max_nano_cpus > 0 && cpus > p->max_nano_cpus) {
		limit_over(c, "cpus", cpus, p->max_nano_cpus);
	}
	if (s->pids_limit <= 0) {
		if (p->limits_require & LIMIT_PIDS)
			strcat(missing, ",pids");
	} else if (p->max_pids > 0 && s->pids_limit > p->max_pids) {
		limit_over(c, "pids", s->pids_limit, p->max_pids);
	}
	if (missing[0] != '\0') {
		join_figures(maxima, (const int64_t[]){p->max_memory,
		                                       p->max_nano_cpus,
		                                       p->max_pids},
		             3);
		fail(c, REASON_LIMIT_MISSING, missing + 1, maxima);
	}
}

/* True when cap (any case, "CAP_" optional) is in the policy's list. */
static bool cap_allowed(const struct policy *p, const char *cap)
{
	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	bool is_all = strcasecmp(cap, "ALL") == 0;
	for (size_t i = 0; i < p->n_cap_allow; i++) {
		if (strcasecmp(p->cap_allow[i], cap) == 0)
			return true;
		/* "ALL" in the list allows everything; "ALL" requested needs
		 * exactly that. */
		if (!is_all && strcmp(p->cap_allow[i], "ALL") == 0)
			return true;
	}
	return false;
}

static void rule_capabilities(struct ctx *c)
{
	const struct container_spec *s = &c->rq->create;
	char *joined = NULL;
	const char *allowed = c->p->cap_allow_text;
	for (size_t i = 0; i < s->n_cap_add; i++) {
		if (cap_allowed(c->p, s->cap_add[i]))
			continue;
		if (allowed == NULL)
			allowed = joined = policy_join_list(c->p->cap_allow, c->p->n_cap_allow);
		fail(c, REASON_CAP_NOT_ALLOWED, s->cap_add[i], allowed);
	}
	free(joined);
	if (c->p->require_drop_all && !s->cap_drop_all)
		fail(c, REASON_CAP_DROP_ALL, NULL, NULL);
}

/* True when s could be a short image ID: hex only, optionally after
 * "sha256:". dockerd's create looks a name up as a reference first and then
 * as an ID prefix, so "4f2a" may run a local image of any name even though
 * it parses as docker.io/library/4f2a:latest. */
static bool maybe_short_id(const char *s)
{
	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

struct registry_probe {
	const struct policy *p;
	const struct imageref *ref;
	bool ok;
};

static bool registry_hit(void *cls, const struct policy_key *k)
{
	struct registry_probe *r = cls;
	r->ok = imageref_match(r->ref, r->p->registries[k->i]);
	return r->ok; /* the first match settles it */
}

/* True when ref lies under one of the policy's registries. With an index
 * only the entries whose pattern key ref's name can lie under are tried
 * (see policy_keys_under): a handful, whatever the list's length. */
static bool registry_ok(const struct policy *p, const struct imageref *ref)
{
	if (p->reg_index == NULL) {
		for (size_t i = 0; i < p->n_registries; i++)
			if (imageref_match(ref, p->registries[i]))
				return true;
		return false;
	}
	if (ref->domain == NULL || ref->path == NULL)
		return false;
	size_t domlen;
	char *name = policy_name_key(ref->domain, ref->path, &domlen);
	if (name == NULL)
		return false; /* out of memory: not allowed */
	struct registry_probe r = {p, ref, false};
	policy_keys_under(p->reg_index, name, domlen, registry_hit, &r);
	free(name);
	return r.ok;
}

/* An image that would run or be fetched (create, pull, the source of a
 * tag, a plugin): it must be a name under an approved registry; an image
 * ID (short ones too) cannot show where it came from. */
static void judge_source(struct ctx *c, const char *image)
{
	struct image_parse own;
	const struct image_parse *ip = &own;

	if (image == c->rq->create.image)
		ip = c->img;
	else
		image_parse(image, &own);
	enum imageref_status st = ip->st;
	if (st == IMAGEREF_OK && maybe_short_id(image))
		st = IMAGEREF_ID;
	if (st == IMAGEREF_INVALID) {
		fail(c, REASON_IMAGE_INVALID, image, ip->why);
		return;
	}
	const struct imageref *ref = &ip->ref;
	if (st != IMAGEREF_OK || !registry_ok(c->p, ref)) {
		char *joined = NULL;
		const char *approved = c->p->registries_text;
		if (approved == NULL)
			approved = joined = policy_list_text(c->p->registries,
			                                     c->p->n_registries,
			                                     RULE_REGISTRIES);
		if (st == IMAGEREF_OK)
			fail(c, REASON_REGISTRY_DENIED, ref->name, approved);
		else
			fail(c, st == IMAGEREF_ID ? REASON_IMAGE_ID : REASON_IMAGE_MISSING,
			     image, approved);
		free(joined);
	}
	if (ip == &own)
		image_parse_clear(&own);
}

/* A name an image would get on this host or in a registry (tag, push,
 * commit, import, build): it must lie under an approved registry, or an
 * unapproved image could be renamed into an approved-looking one. param
 * names the query parameter for the message when name is missing. */
static void judge_target(struct ctx *c, const char *name, const char *param)
{
	struct imageref ref;
	const char *why;

	if (name == NULL || name[0] == '\0') {
		fail(c, REASON_TARGET_MISSING, param, NULL);
		return;
	}
	enum imageref_status st = imageref_parse(name, &ref, &why);
	if (st != IMAGEREF_OK) {
		fail(c, REASON_TARGET_INVALID, name,
		     st == IMAGEREF_ID ? "an image ID is not a name" : why);
		return;
	}
	if (!registry_ok(c->p, &ref)) {
		/* The text judge_source names too, worked out at load. */
		char *joined = NULL;
		const char *approved = c->p->registries_text;
		if (approved == NULL)
			approved = joined = policy_list_text(c->p->registries,
			                                     c->p->n_registries,
			                                     RULE_REGISTRIES);
		fail(c, REASON_TARGET_DENIED, ref.name, approved);
		free(joined);
	}
	imageref_clear(&ref);
}

/* registries on every route that brings an image onto the host or sends
 * one away. Loads and imports are tar streams dockerd never forwards, and
 * a build's base images are fetched by the builder: the policy says
 * whether each is allowed at all. */
static void rule_registries(struct ctx *c)
{
	const struct route *r = &c->rq->route;
	switch (r->action) {
	case ACTION_CONTAINER_CREATE:
	case ACTION_SERVICE_CREATE:
	case ACTION_SERVICE_UPDATE:
		judge_source(c, c->rq->create.image);
		break;
	case ACTION_IMAGE_CREATE:
		if (route_query(r, "fromSrc") != NULL) {
			if (!c->p->import_allow)
				fail(c, REASON_IMPORT_DENIED, NULL, NULL);
			else if (route_query(r, "repo") != NULL)
				judge_target(c, route_query(r, "repo"), "repo");
		} else {
			judge_source(c, route_query(r, "fromImage"));
		}
		break;
	case ACTION_IMAGE_TAG:
		judge_source(c, r->param);
		judge_target(c, route_query(r, "repo"), "repo");
		break;
	case ACTION_IMAGE_PUSH:
		judge_target(c, r->param, "name");
		break;
	case ACTION_COMMIT:
		if (route_query(r, "repo") != NULL)
			judge_target(c, route_query(r, "repo"), "repo");
		break;
	case ACTION_IMAGE_LOAD:
		if (!c->p->load_allow)
			fail(c, REASON_LOAD_DENIED, NULL, NULL);
		break;
	case ACTION_BUILD:
		if (c->p->build_deny) {
			fail(c, REASON_BUILD_DENIED, NULL, NULL);
			break;
		}
		/* Every "t" names the result, as dockerd reads r.Form["t"]. */
		for (size_t i = 0; i < r->nquery; i++)
			if (strcmp(r->query[i].key, "t") == 0)
				judge_target(c, r->query[i].value, "t");
		if (route_query(r, "remote") != NULL)
			fail(c, REASON_BUILD_REMOTE, route_query(r, "remote"), NULL);
		break;
	case ACTION_PLUGIN_PULL:
	case ACTION_PLUGIN_UPGRADE:
		judge_source(c, route_query(r, "remote"));
		break;
	default:
		break;
	}
}

static void rule_privileged(struct ctx *c)
{
	if (c->rq->create.privileged)
		fail(c, REASON_PRIVILEGED, NULL, NULL);
}

static const char *const ns_names[NS__COUNT] = {
    "network", "pid", "ipc", "uts", "userns", "cgroupns"};

/* dockerd reads "host" (PidMode and UsernsMode also "host:...") as the
 * host's namespace and "container:ID" as another container's; the part
 * before ':' is compared without case, which can only be stricter. */
static void rule_host_namespaces(struct ctx *c)
{
	for (int i = 0; i < NS__COUNT; i++) {
		const char *m = c->rq->create.ns_mode[i];
		if (m == NULL)
			continue;
		size_t n = strcspn(m, ":");
		if (n == 4 && strncasecmp(m, "host", 4) == 0)
			fail(c, REASON_HOST_NS, ns_names[i], m);
		else if (c->p->ns_container_deny && n == 9 &&
		         strncasecmp(m, "container", 9) == 0 && m[n] == ':')
			fail(c, REASON_CONTAINER_NS, ns_names[i], m);
	}
}

/* Each host path against the protected list, then the allowed one. */
static void judge_host_paths(struct ctx *c, const struct host_path *v,
                             size_t n)
{
	const struct policy *p = c->p;
	char *joined = NULL;
	const char *allowed = p->mounts_allow_text;

	for (size_t i = 0; i < n; i++) {
		const char *src = v[i].path;
		if (src[0] != '/') {
			fail(c, REASON_MOUNT_RELATIVE, src, NULL);
			continue;
		}
		char *clean = hostpath_clean(src);
		if (clean == NULL) {
			c->d->allow = false;
			continue;
		}
		bool bad = false;
		for (size_t j = 0; j < p->n_mounts_deny && !bad; j++) {
			if (hostpath_exposes(clean, p->mounts_deny[j])) {
				fail(c, REASON_MOUNT_PROTECTED, clean, p->mounts_deny[j]);
				bad = true;
			}
		}
		if (!bad && p->has_mounts_allow) {
			bool ok = false;
			for (size_t j = 0; j < p->n_mounts_allow && !ok; j++)
				ok = hostpath_under(clean, p->mounts_allow[j]);
			if (!ok) {
				if (allowed == NULL)
					allowed = joined = policy_list_text(
					    p->mounts_allow, p->n_mounts_allow,
					    RULE_HOST_MOUNTS);
				fail(c, REASON_MOUNT_NOT_ALLOWED, clean, allowed);
			}
		}
		free(clean);
	}
	free(joined);
}

static void rule_host_mounts(struct ctx *c)
{
	if (c->rq->route.action == ACTION_VOLUME_CREATE) {
		judge_host_paths(c, c->rq->volume.host_paths,
		                 c->rq->volume.n_host_paths);
		return;
	}
	const struct container_spec *s = &c->rq->create;
	judge_host_paths(c, s->host_paths, s->n_host_paths);
	if (!c->p->volumes_from_allow)
		for (size_t i = 0; i < s->n_volumes_from; i++)
			fail(c, REASON_VOLUMES_FROM, s->volumes_from[i], NULL);
}

static void rule_devices(struct ctx *c)
{
	const struct container_spec *s = &c->rq->create;
	if (s->n_devices > 0)
		fail(c, REASON_DEVICES, "Devices", NULL);
	if (s->n_device_cgroup_rules > 0)
		fail(c, REASON_DEVICES, "DeviceCgroupRules", NULL);
	if (s->n_device_requests > 0)
		fail(c, REASON_DEVICES, "DeviceRequests", NULL);
}

/* Splits a SecurityOpt entry as dockerd's parseSecurityOpt does: at the
 * first '=' when there is one, else at the first ':'. Returns false when
 * there is neither. */
static bool split_opt(const char *opt, size_t *klen, const char **val)
{
	const char *sep = strchr(opt, '=');
	if (sep == NULL)
		sep = strchr(opt, ':');
	if (sep == NULL)
		return false;
	*klen = (size_t)(sep - opt);
	*val = sep + 1;
	return true;
}

static bool key_is(const char *opt, size_t klen, const char *key)
{
	return strlen(key) == klen && strncasecmp(opt, key, klen) == 0;
}

/* Go's strconv.ParseBool: 1 true, 0 false, -1 neither. */
static int parse_go_bool(const char *s)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0)
			return 1;
		if (strcmp(s, f[i]) == 0)
			return 0;
	}
	return -1;
}

/* The last no-new-privileges entry wins in dockerd, so the entries are
 * read in order: "no-new-privileges" then "no-new-privileges=false" is
 * off. A value ParseBool refuses is off too. */
static void rule_no_new_privileges(struct ctx *c)
{
	const struct container_spec *s = &c->rq->create;
	bool on = false;
	const char *off_by = NULL;
	for (size_t i = 0; i < s->n_security_opt; i++) {
		const char *o = s->security_opt[i], *val;
		size_t klen;
		if (strcmp(o, "no-new-privileges") == 0) {
			on = true;
			continue;
		}
		if (!split_opt(o, &klen, &val) ||
		    !key_is(o, klen, "no-new-privileges"))
			continue;
		on = parse_go_bool(val) == 1;
		off_by = on ? NULL : o;
	}
	if (!on)
		fail(c, REASON_NNP_MISSING, off_by, NULL);
}

/* True when name (with '/' read as '.') is in the policy's sysctl list,
 * exactly or under a "prefix.*" entry. */
static bool sysctl_allowed(const struct policy *p, const char *name)
{
	char *n = strdup(name);
	bool ok = false;
	if (n == NULL)
		return false;
	for (char *x = n; *x; x++)
		if (*x == '/')
			*x = '.';
	for (size_t i = 0; i < p->n_sysctls && !ok; i++) {
		const char *a = p->sysctls[i];
		size_t len = strlen(a);
		if (len >= 2 && a[len - 1] == '*')
			ok = strncmp(n, a, len - 1) == 0 && n[len - 1] != '\0';
		else
			ok = strcmp(n, a) == 0;
	}
	free(n);
	return ok;
}

/* Confinement switched off: seccomp or AppArmor "unconfined", SELinux
 * labels disabled ("label=disable", "label:disable", bare "disable") or
 * an unconfined SELinux type, and /proc unmasked by empty path lists. */
static void rule_security_profiles(struct ctx *c)
{
	const struct container_spec *s = &c->rq->create;
	for (size_t i = 0; i < s->n_security_opt; i++) {
		const char *o = s->security_opt[i], *val;
		size_t klen;
		if (strcasecmp(o, "disable") == 0) {
			fail(c, REASON_UNCONFINED, o, NULL);
			continue;
		}
		if (!split_opt(o, &klen, &val))
			continue;
		if ((key_is(o, klen, "seccomp") || key_is(o, klen, "apparmor")) &&
		    strcasecmp(val, "unconfined") == 0)
			fail(c, REASON_UNCONFINED, o, NULL);
		else if (key_is(o, klen, "label") &&
		         (strcasecmp(val, "disable") == 0 ||
		          strcasecmp(val, "type:spc_t") == 0 ||
		          strcasecmp(val, "type:unconfined_t") == 0))
			fail(c, REASON_UNCONFINED, o, NULL);
	}
	if (s->seccomp_lax != NULL)
		fail(c, REASON_SECCOMP_LAX, s->seccomp_lax, NULL);
	if (s->masked_paths_empty)
		fail(c, REASON_PATHS_UNMASKED, "MaskedPaths", NULL);
	if (s->readonly_paths_empty)
		fail(c, REASON_PATHS_UNMASKED, "ReadonlyPaths", NULL);
	if (c->p->has_sysctls) {
		char *joined = NULL;
		const char *allowed = c->p->sysctls_text;
		for (size_t i = 0; i < s->n_sysctls; i++) {
			if (sysctl_allowed(c->p, s->sysctls[i]))
				continue;
			if (allowed == NULL)
				allowed = joined = policy_list_text(c->p->sysctls,
				                                    c->p->n_sysctls,
				                                    RULE_SECURITY_PROFILES);
			fail(c, REASON_SYSCTL, s->sysctls[i], allowed);
		}
		free(joined);
	}
}

/* Pinned images only: no "latest" (given or implied), and a digest when
 * the policy requires one. An image ID is content-addressed, so it passes
 * here (registries judges it); a reference that does not parse is left to
 * registries and to dockerd, which refuses it. */
static void rule_image_tags(struct ctx *c)
{
	if (c->img->st != IMAGEREF_OK)
		return;
	const struct imageref *ref = &c->img->ref;
	if (ref->digest == NULL) {
		if (c->p->require_digest)
			fail(c, REASON_DIGEST_REQUIRED, ref->full, NULL);
		else if (ref->tag != NULL && strcmp(ref->tag, "latest") == 0)
			fail(c, REASON_TAG_LATEST, ref->full,
			     ref->tag_given ? "given" : NULL);
	}
}

/* An exec runs as the container's user unless it names one, and that
 * user was judged when the container was created. */
static void rule_exec(struct ctx *c)
{
	const struct exec_spec *e = &c->rq->exec;
	if (!c->p->exec_root_allow && e->user != NULL && e->user[0] != '\0') {
		enum id_kind k = classify_user(e->user);
		if (k == ID_INVALID)
			fail(c, REASON_EXEC_USER_INVALID, e->user, NULL);
		else if (k == ID_ROOT)
			fail(c, REASON_EXEC_ROOT, e->user, NULL);
	}
	if (e->privileged)
		fail(c, REASON_EXEC_PRIVILEGED, NULL, NULL);
}

static void update_over(struct ctx *c, const char *what, int64_t have,
                        int64_t max)
{
	char buf[64];
	join_figures(buf, (const int64_t[]){have, max}, 2);
	fail(c, REASON_UPDATE_OVER, what, buf);
}

/* An update changes only the limits it names (0 keeps a value); a
 * negative one, or a PidsLimit of 0 or less, removes the limit. Limits
 * that resource-limits requires may not be removed, and none may be raised
 * above its ceiling. A CPU quota or period given without the other would
 * be combined with the container's current value, which the request does
 * not show, so with a CPU ceiling it is refused. */
static void rule_update(struct ctx *c)
{
	const struct update_spec *u = &c->rq->update;
	const struct policy *p = c->p;
	bool mem_kept = (p->limits_require & LIMIT_MEMORY) || p->max_memory > 0;
	bool cpu_kept = (p->limits_require & LIMIT_CPUS) || p->max_nano_cpus > 0;
	bool pid_kept = (p->limits_require & LIMIT_PIDS) || p->max_pids > 0;

	if (u->memory < 0 && mem_kept)
		fail(c, REASON_UPDATE_REMOVES, "memory", NULL);
	else if (p->max_memory > 0 && u->memory > p->max_memory)
		update_over(c, "memory", u->memory, p->max_memory);

	if ((u->nano_cpus < 0 || u->cpu_quota < 0) && cpu_kept) {
		fail(c, REASON_UPDATE_REMOVES, "cpus", NULL);
	} else if (p->max_nano_cpus > 0) {
		if (u->nano_cpus > p->max_nano_cpus)
			update_over(c, "cpus", u->nano_cpus, p->max_nano_cpus);
		if ((u->cpu_quota > 0) != (u->cpu_period > 0)) {
			fail(c, REASON_UPDATE_PERIOD, NULL, NULL);
		} else if (u->cpu_quota > 0) {
			int64_t n = (int64_t)((double)u->cpu_quota /
			                      (double)u->cpu_period * 1e9);
			if (n > p->max_nano_cpus)
				update_over(c, "cpus", n, p->max_nano_cpus);
		}
	}

	if (u->has_pids_limit && u->pids_limit <= 0 && pid_kept)
		fail(c, REASON_UPDATE_REMOVES, "pids", NULL);
	else if (u->has_pids_limit && p->max_pids > 0 && u->pids_limit > p->max_pids)
		update_over(c, "pids", u->pids_limit, p->max_pids);
}

/* Whole endpoints: a deny pattern wins, then an allow pattern; a route
 * no pattern names is judged by the default only when no other rule
 * governs it (action "other"), so "default: deny" makes the policy an
 * allow list of endpoints without touching the routes rules inspect. */
static void rule_api(struct ctx *c)
{
	const struct policy *p = c->p;
	const char *method = c->rq->method, *path = c->rq->route.path;
	char *what = NULL;

	for (size_t i = 0; i < p->n_api_deny; i++) {
		if (policy_api_match(p->api_deny[i], method, path)) {
			what = xasprintf("%s %s", method, path);
			fail(c, REASON_API_DENIED, what, p->api_deny[i]);
			free(what);
			return;
		}
	}
	for (size_t i = 0; i < p->n_api_allow; i++)
		if (policy_api_match(p->api_allow[i], method, path))
			return;
	if (p->api_default_deny && c->rq->route.action == ACTION_OTHER) {
		what = xasprintf("%s %s", method, path);
		fail(c, REASON_API_DEFAULT, what, NULL);
		free(what);
	}
}

typedef void (*rule_fn)(struct ctx *);

/* The actions that create containers: docker run/create, and swarm
 * services, whose specs request.c models as the same container. */
#define CREATES ACTION_CONTAINER_CREATE, ACTION_SERVICE_CREATE, ACTION_SERVICE_UPDATE

/* Which rule judges which action. A row per rule; a rule that grows to
 * more actions adds them here. */
static const struct {
	rule_fn fn;
	/* ACTION_OTHER ends the list; ACTION__COUNT first: every action */
	enum action actions[12];
} rule_table[RULE__COUNT] = {
    [RULE_NO_ROOT] = {rule_no_root, {CREATES}},
    [RULE_READ_ONLY_ROOTFS] = {rule_read_only_rootfs, {CREATES}},
    [RULE_RESOURCE_LIMITS] = {rule_resource_limits, {CREATES}},
    [RULE_CAPABILITIES] = {rule_capabilities, {CREATES}},
    [RULE_REGISTRIES] = {rule_registries,
                         {CREATES, ACTION_IMAGE_CREATE, ACTION_IMAGE_TAG,
                          ACTION_IMAGE_PUSH, ACTION_COMMIT, ACTION_IMAGE_LOAD,
                          ACTION_BUILD, ACTION_PLUGIN_PULL,
                          ACTION_PLUGIN_UPGRADE}},
    [RULE_PRIVILEGED] = {rule_privileged, {CREATES}},
    [RULE_HOST_NAMESPACES] = {rule_host_namespaces, {CREATES}},
    [RULE_HOST_MOUNTS] = {rule_host_mounts, {CREATES, ACTION_VOLUME_CREATE}},
    [RULE_DEVICES] = {rule_devices, {ACTION_CONTAINER_CREATE}},
    [RULE_NO_NEW_PRIVILEGES] = {rule_no_new_privileges, {CREATES}},
    [RULE_SECURITY_PROFILES] = {rule_security_profiles, {CREATES}},
    [RULE_IMAGE_TAGS] = {rule_image_tags, {CREATES}},
    [RULE_EXEC] = {rule_exec, {ACTION_EXEC_CREATE}},
    [RULE_UPDATE] = {rule_update, {ACTION_CONTAINER_UPDATE}},
    [RULE_API] = {rule_api, {ACTION__COUNT}}, /* every action */
};

#undef CREATES

static bool rule_applies(int rule, enum action a)
{
	if (rule_table[rule].actions[0] == ACTION__COUNT)
		return true;
	for (size_t i = 0; i < 12 && rule_table[rule].actions[i] != ACTION_OTHER; i++)
		if (rule_table[rule].actions[i] == a)
			return true;
	return false;
}

static void set_image(const struct request *rq, const struct image_parse *img,
                      struct decision *d)
{
	if (rq->create.image == NULL)
		return;
	d->image = arena_strdup(&d->arena, img->st == IMAGEREF_OK ? img->ref.full
	                                                          : rq->create.image);
}

/* True when the request's TLS user is one of e's users or in one of its
 * groups. Only User is read: dockerd sets it from the verified client
 * certificate, while labels, names, env and headers are the requester's
 * to choose and never identify anyone. */
static bool exception_user(const struct policy *p,
                           const struct policy_exception *e, const char *user)
{
	if (user == NULL || user[0] == '\0')
		return false;
	for (size_t i = 0; i < e->n_users; i++)
		if (strcmp(e->users[i], user) == 0)
			return true;
	for (size_t i = 0; i < e->n_groups; i++)
		for (size_t g = 0; g < p->n_groups; g++) {
			if (strcmp(p->groups[g].name, e->groups[i]) != 0)
				continue;
			for (size_t u = 0; u < p->groups[g].n_users; u++)
				if (strcmp(p->groups[g].users[u], user) == 0)
					return true;
		}
	return false;
}

/* True when ref lies under one of e's images. */
static bool exception_image(const struct policy_exception *e,
                            const struct imageref *ref)
{
	for (size_t j = 0; j < e->n_images; j++)
		if (imageref_match(ref, e->images[j]))
			return true;
	return false;
}

/* The rules every exception whose lists all match waives, one exception
 * after the other: for a policy built by hand, which has no index. */
static uint32_t waived_scan(const struct policy *p, const char *user,
                            const struct imageref *ref)
{
	uint32_t mask = 0;
	for (size_t i = 0; i < p->n_exceptions; i++) {
		const struct policy_exception *e = &p->exceptions[i];
		if ((e->n_users > 0 || e->n_groups > 0) &&
		    !exception_user(p, e, user))
			continue;
		if (e->n_images > 0 && (ref == NULL || !exception_image(e, ref)))
			continue;
		mask |= e->rules;
	}
	return mask;
}

/* One decision's walk through p->ex_index. */
struct waive {
	const struct policy *p;
	const char *user;
	size_t glo, ghi; /* the user's groups in ex_index->user_groups */
	const struct imageref *ref;
	char *name;    /* ref's name key (policy_name_key) */
	size_t domlen; /* its domain part's length */
	uint32_t mask;
};

typedef bool (*waive_fn)(void *w, const struct policy_key *k);

/* The user's side of the index: what the user's own name and the names of
 * its groups (user_groups[glo, ghi)) lead to in users[k] and groups[k].
 * Calls fn for each entry found (an exception more than once when several
 * of its names match), or with fn NULL only counts them. */
static size_t by_user(struct waive *w, int k, waive_fn fn)
{
	const struct exception_index *x = w->p->ex_index;
	size_t lo, hi, n = 0;

	policy_keys_range(&x->users[k], w->user, strlen(w->user), &lo, &hi);
	n += hi - lo;
	for (; fn != NULL && lo < hi; lo++)
		fn(w, &x->users[k].v[lo]);
	for (size_t g = w->glo; g < w->ghi; g++) {
		const char *name = w->p->groups[x->user_groups.v[g].i].name;
		policy_keys_range(&x->groups[k], name, strlen(name), &lo, &hi);
		n += hi - lo;
		for (; fn != NULL && lo < hi; lo++)
			fn(w, &x->groups[k].v[lo]);
	}
	return n;
}

/* The image's side: the patterns of images[k] ref can lie under. */
static size_t by_image(struct waive *w, int k, waive_fn fn)
{
	return policy_keys_under(&w->p->ex_index->images[k], w->name, w->domlen,
	                         fn, w);
}

/* The callbacks never stop a walk: every exception found may add rules. */
static bool waive_user_only(void *cls, const struct policy_key *k)
{
	struct waive *w = cls;
	w->mask |= w->p->exceptions[k->i].rules;
	return false;
}

static bool waive_image_only(void *cls, const struct policy_key *k)
{
	struct waive *w = cls;
	if (imageref_match(w->ref, w->p->exceptions[k->i].images[k->j]))
		w->mask |= w->p->exceptions[k->i].rules;
	return false;
}

/* Found by user, with images too. */
static bool waive_both_by_user(void *cls, const struct policy_key *k)
{
	struct waive *w = cls;
	const struct policy_exception *e = &w->p->exceptions[k->i];
	if ((w->mask & e->rules) != e->rules && exception_image(e, w->ref))
		w->mask |= e->rules;
	return false;
}

/* exception_user, with the user's groups known: e names the user, or one
 * of the groups user_groups[glo, ghi) found for it. */
static bool waive_user_ok(const struct waive *w,
                          const struct policy_exception *e)
{
	const struct policy_keys *ug = &w->p->ex_index->user_groups;
	for (size_t i = 0; i < e->n_users; i++)
		if (strcmp(e->users[i], w->user) == 0)
			return true;
	for (size_t i = 0; i < e->n_groups; i++)
		for (size_t g = w->glo; g < w->ghi; g++)
			if (strcmp(w->p->groups[ug->v[g].i].name, e->groups[i]) == 0)
				return true;
	return false;
}

/* Found by image, with users or groups too. */
static bool waive_both_by_image(void *cls, const struct policy_key *k)
{
	struct waive *w = cls;
	const struct policy_exception *e = &w->p->exceptions[k->i];
	if ((w->mask & e->rules) != e->rules &&
	    imageref_match(w->ref, e->images[k->j]) && waive_user_ok(w, e))
		w->mask |= e->rules;
	return false;
}

/* waived_scan's answer, visiting only the exceptions the index finds for
 * the user and the image. */
static uint32_t waived_indexed(const struct policy *p, const char *user,
                               const struct imageref *ref)
{
	const struct exception_index *x = p->ex_index;
	struct waive w = {p, NULL, 0, 0, ref, NULL, 0, x->always};

	if (user != NULL && user[0] != '\0') {
		w.user = user;
		policy_keys_range(&x->user_groups, user, strlen(user), &w.glo,
		                  &w.ghi);
		by_user(&w, EX_ONE, waive_user_only);
	}
	if (ref != NULL && (x->images[EX_ONE].n > 0 || x->images[EX_BOTH].n > 0)) {
		w.name = policy_name_key(ref->domain, ref->path, &w.domlen);
		if (w.name == NULL)
			return w.mask; /* out of memory: waive less, never more */
		by_image(&w, EX_ONE, waive_image_only);
	}
	/* Both lists must match: look up the side with fewer candidates and
	 * check the other on each. */
	if (w.user != NULL && w.name != NULL && x->images[EX_BOTH].n > 0) {
		if (by_user(&w, EX_BOTH, NULL) <= by_image(&w, EX_BOTH, NULL))
			by_user(&w, EX_BOTH, waive_both_by_user);
		else
			by_image(&w, EX_BOTH, waive_both_by_image);
	}
	free(w.name);
	return w.mask;
}

/* The rules (bit 1 << id) the policy's exceptions waive for rq: those of
 * every exception whose lists all match. An image list matches only a
 * request that runs a named image (container or service create); an image
 * ID or unparsable reference matches nothing. */
static uint32_t waived_rules(const struct policy *p, const struct request *rq,
                             const struct image_parse *img)
{
	enum action a = rq->route.action;
	bool have_ref = (a == ACTION_CONTAINER_CREATE ||
	                 a == ACTION_SERVICE_CREATE ||
	                 a == ACTION_SERVICE_UPDATE) &&
	                img->st == IMAGEREF_OK && !maybe_short_id(rq->create.image);
	const struct imageref *ref = have_ref ? &img->ref : NULL;
	return p->ex_index != NULL ? waived_indexed(p, rq->user, ref)
	                           : waived_scan(p, rq->user, ref);
}

void eval_request(const struct policy *p, const struct request *rq,
                  struct decision *d)
{
	bool enforcing = p->mode == POLICY_ENFORCE;

	memset(d, 0, sizeof *d);
	d->allow = true;

	switch (rq->body_status) {
	case BODY_NOT_NEEDED:
	case BODY_OK:
		break;
	case BODY_MISSING:
		if (decision_add(d, RULE_REQUEST_BODY, REASON_BODY_MISSING, enforcing,
		                 NULL, rq->body_why) < 0)
			d->allow = false;
		return;
	case BODY_FORM:
		if (decision_add(d, RULE_REQUEST_BODY, REASON_BODY_FORM, enforcing,
		                 NULL, rq->body_why) < 0)
			d->allow = false;
		return;
	case BODY_INVALID:
	case BODY_AMBIGUOUS:
		if (decision_add(d, RULE_REQUEST_BODY,
		                 rq->body_status == BODY_INVALID ? REASON_BODY_INVALID
		                                                 : REASON_BODY_AMBIGUOUS,
		                 enforcing, NULL, rq->body_why) < 0)
			d->allow = false;
		return;
	}

	struct image_parse img;
	image_parse(rq->create.image, &img);
	if (rq->route.action == ACTION_CONTAINER_CREATE ||
	    rq->route.action == ACTION_SERVICE_CREATE ||
	    rq->route.action == ACTION_SERVICE_UPDATE)
		set_image(rq, &img, d);
	uint32_t waived = p->n_exceptions > 0 ? waived_rules(p, rq, &img) : 0;
	for (int r = 0; r < RULE__COUNT; r++) {
		if (p->action[r] == RULE_OFF || !rule_applies(r, rq->route.action) ||
		    (waived & ((uint32_t)1 << r)) != 0)
			continue;
		struct ctx c = {p, rq, d, (enum rule_id)r,
		                enforcing && p->action[r] == RULE_DENY, &img};
		rule_table[r].fn(&c);
	}
	image_parse_clear(&img);
}
