/* eval: one function per rule, each judging a request model against the
 * policy and adding violations with a reason code. Pure: no I/O, no
 * globals, nothing but the decision is written. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval.h"
#include "imageref.h"
#include "strbuf.h"

/* The largest uid/gid runc accepts (libcontainer/user: 0..2^31-1). */
#define MAX_ID 2147483647LL

int decision_add(struct decision *d, enum rule_id rule, enum reason reason,
                 bool enforced, const char *arg, const char *arg2)
{
	struct violation *v = realloc(d->v, (d->n + 1) * sizeof *v);
	if (v == NULL)
		return -1;
	d->v = v;
	v = &d->v[d->n];
	v->rule = rule;
	v->reason = reason;
	v->enforced = enforced;
	v->arg = arg ? strdup(arg) : NULL;
	v->arg2 = arg2 ? strdup(arg2) : NULL;
	if ((arg && !v->arg) || (arg2 && !v->arg2)) {
		free(v->arg);
		free(v->arg2);
		return -1;
	}
	d->n++;
	if (enforced)
		d->allow = false;
	return 0;
}

void decision_clear(struct decision *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].arg);
		free(d->v[i].arg2);
	}
	free(d->v);
	free(d->image);
	memset(d, 0, sizeof *d);
}

/* The context every rule function gets. */
struct ctx {
	const struct policy *p;
	const struct request *rq;
	struct decision *d;
	enum rule_id rule;
	bool enforced;
};

/* Adds a violation of the current rule. On allocation failure the
 * decision is forced to deny: a rule that failed must never be lost. */
static void fail(struct ctx *c, enum reason reason, const char *arg,
                 const char *arg2)
{
	if (decision_add(c->d, c->rule, reason, c->enforced, arg, arg2) < 0)
		c->d->allow = false;
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

static void rule_no_root(struct ctx *c)
{
	const char *user = c->rq->create.user;
	if (user == NULL || user[0] == '\0') {
		if (!c->p->unset_user_allow)
			fail(c, REASON_USER_UNSET, NULL, NULL);
		return;
	}
	const char *colon = strchr(user, ':');
	size_t ulen = colon ? (size_t)(colon - user) : strlen(user);
	enum id_kind u = classify_id(user, ulen);
	enum id_kind g = colon ? classify_id(colon + 1, strlen(colon + 1)) : ID_NAME;
	if (u == ID_INVALID || g == ID_INVALID)
		fail(c, REASON_USER_INVALID, user, NULL);
	else if (u == ID_ROOT || g == ID_ROOT || ulen == 0)
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

static void limit_over(struct ctx *c, const char *what, int64_t have,
                       int64_t max)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%lld|%lld", (long long)have, (long long)max);
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
		snprintf(maxima, sizeof maxima, "%lld|%lld|%lld",
		         (long long)p->max_memory, (long long)p->max_nano_cpus,
		         (long long)p->max_pids);
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

/* Joins a policy list for a message: "a, b", or "nothing" when empty.
 * Returns a new string or NULL. */
static char *join_list(char *const *items, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_adds(&sb, ", ");
		strbuf_adds(&sb, items[i]);
	}
	if (n == 0)
		strbuf_adds(&sb, "nothing");
	return strbuf_detach(&sb);
}

static void rule_capabilities(struct ctx *c)
{
	const struct container_spec *s = &c->rq->create;
	char *allowed = NULL;
	for (size_t i = 0; i < s->n_cap_add; i++) {
		if (cap_allowed(c->p, s->cap_add[i]))
			continue;
		if (allowed == NULL)
			allowed = join_list(c->p->cap_allow, c->p->n_cap_allow);
		fail(c, REASON_CAP_NOT_ALLOWED, s->cap_add[i], allowed);
	}
	free(allowed);
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

static void rule_registries(struct ctx *c)
{
	const char *image = c->rq->create.image;
	struct imageref ref;
	const char *why;

	enum imageref_status st = IMAGEREF_EMPTY;
	if (image != NULL && image[0] != '\0')
		st = imageref_parse(image, &ref, &why);
	if (st == IMAGEREF_OK && maybe_short_id(image)) {
		imageref_clear(&ref);
		st = IMAGEREF_ID;
	}
	if (st == IMAGEREF_INVALID) {
		fail(c, REASON_IMAGE_INVALID, image, why);
		return;
	}
	bool ok = false;
	for (size_t i = 0; st == IMAGEREF_OK && i < c->p->n_registries && !ok; i++)
		ok = imageref_match(&ref, c->p->registries[i]);
	if (!ok) {
		char *approved = join_list(c->p->registries, c->p->n_registries);
		if (st == IMAGEREF_OK)
			fail(c, REASON_REGISTRY_DENIED, ref.name, approved);
		else
			fail(c, st == IMAGEREF_ID ? REASON_IMAGE_ID : REASON_IMAGE_MISSING,
			     image, approved);
		free(approved);
	}
	if (st == IMAGEREF_OK)
		imageref_clear(&ref);
}

typedef void (*rule_fn)(struct ctx *);

/* Which rule judges which action. A row per rule; a rule that grows to
 * more actions adds them here. */
static const struct {
	rule_fn fn;
	enum action actions[4]; /* ACTION_OTHER ends the list */
} rule_table[RULE__COUNT] = {
    [RULE_NO_ROOT] = {rule_no_root, {ACTION_CONTAINER_CREATE}},
    [RULE_READ_ONLY_ROOTFS] = {rule_read_only_rootfs, {ACTION_CONTAINER_CREATE}},
    [RULE_RESOURCE_LIMITS] = {rule_resource_limits, {ACTION_CONTAINER_CREATE}},
    [RULE_CAPABILITIES] = {rule_capabilities, {ACTION_CONTAINER_CREATE}},
    [RULE_REGISTRIES] = {rule_registries, {ACTION_CONTAINER_CREATE}},
};

static bool rule_applies(int rule, enum action a)
{
	for (size_t i = 0; i < 4 && rule_table[rule].actions[i] != ACTION_OTHER; i++)
		if (rule_table[rule].actions[i] == a)
			return true;
	return false;
}

static void set_image(const struct request *rq, struct decision *d)
{
	struct imageref ref;
	const char *why;
	if (rq->create.image == NULL)
		return;
	if (imageref_parse(rq->create.image, &ref, &why) == IMAGEREF_OK) {
		d->image = ref.full;
		ref.full = NULL;
		imageref_clear(&ref);
	} else {
		d->image = strdup(rq->create.image);
	}
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
	case BODY_INVALID:
	case BODY_AMBIGUOUS:
		if (decision_add(d, RULE_REQUEST_BODY,
		                 rq->body_status == BODY_INVALID ? REASON_BODY_INVALID
		                                                 : REASON_BODY_AMBIGUOUS,
		                 enforcing, NULL, rq->body_why) < 0)
			d->allow = false;
		return;
	}

	if (rq->route.action == ACTION_CONTAINER_CREATE)
		set_image(rq, d);
	for (int r = 0; r < RULE__COUNT; r++) {
		if (p->action[r] == RULE_OFF || !rule_applies(r, rq->route.action))
			continue;
		struct ctx c = {p, rq, d, (enum rule_id)r,
		                enforcing && p->action[r] == RULE_DENY};
		rule_table[r].fn(&c);
	}
}
