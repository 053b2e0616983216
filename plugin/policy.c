/* policy: the rule table and the policy's lifetime. Loading lives in
 * policy_load.c. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imageref.h"
#include "policy.h"
#include "strbuf.h"

static const char *const rule_names[RULE__ALL] = {
    [RULE_NO_ROOT] = "no-root",
    [RULE_READ_ONLY_ROOTFS] = "read-only-rootfs",
    [RULE_RESOURCE_LIMITS] = "resource-limits",
    [RULE_CAPABILITIES] = "capabilities",
    [RULE_REGISTRIES] = "registries",
    [RULE_PRIVILEGED] = "privileged",
    [RULE_HOST_NAMESPACES] = "host-namespaces",
    [RULE_HOST_MOUNTS] = "host-mounts",
    [RULE_DEVICES] = "devices",
    [RULE_NO_NEW_PRIVILEGES] = "no-new-privileges",
    [RULE_SECURITY_PROFILES] = "security-profiles",
    [RULE_IMAGE_TAGS] = "image-tags",
    [RULE_EXEC] = "exec",
    [RULE_UPDATE] = "update",
    [RULE_API] = "api",
    [RULE_REQUEST_BODY] = "request-body",
    [RULE_AUTHZ_REQUEST] = "authz-request",
    [RULE_SELF_PROTECTION] = "self-protection",
};

const char *rule_name(enum rule_id id)
{
	if ((unsigned)id >= RULE__ALL)
		return "unknown";
	return rule_names[id];
}

int rule_lookup(const char *name)
{
	for (int i = 0; i < RULE__COUNT; i++)
		if (strcmp(rule_names[i], name) == 0)
			return i;
	return -1;
}

void policy_errors_clear(struct policy_errors *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

/* The count is touched from every worker thread, so it is atomic; the
 * policy itself is immutable once loaded. */
struct policy *policy_ref(struct policy *p)
{
	if (p != NULL)
		atomic_fetch_add_explicit(&p->refs, 1,
		                          memory_order_relaxed);
	return p;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *policy_join_list(char *const *items, size_t n)
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

/* n with thousands separators, as the numbers in messages read: 9990 is
 * "9,990". */
static void add_count(struct strbuf *sb, size_t n)
{
	char digits[24];
	int len = snprintf(digits, sizeof digits, "%zu", n);
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			strbuf_addc(sb, ',');
		strbuf_addc(sb, digits[i]);
	}
}

/* A message that names every entry of a 10,000-entry list is ~300 KB,
 * built, escaped and sent for each such deny, and no one reads it: the
 * first few show the form, the count and the rule say where the rest is. */
char *policy_list_text(char *const *items, size_t n, enum rule_id rule)
{
	if (n <= POLICY_LIST_SHOWN)
		return policy_join_list(items, n);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < POLICY_LIST_SHOWN; i++) {
		if (i > 0)
			strbuf_adds(&sb, ", ");
		strbuf_adds(&sb, items[i]);
	}
	strbuf_adds(&sb, " and ");
	add_count(&sb, n - POLICY_LIST_SHOWN);
	strbuf_addf(&sb, " more listed in the policy's %s rule", rule_name(rule));
	return strbuf_detach(&sb);
}

static int cmp_key(const void *a, const void *b)
{
	const struct policy_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	if (x->i != y->i)
		return (x->i > y->i) - (x->i < y->i);
	return (x->j > y->j) - (x->j < y->j);
}

/* strcmp(key, s[0..len)), for an s that goes on past len. */
static int key_cmp(const char *key, const char *s, size_t len)
{
	int c = strncmp(key, s, len);
	return c != 0 ? c : key[len] != '\0';
}

void policy_keys_range(const struct policy_keys *k, const char *s, size_t len,
                       size_t *lo, size_t *hi)
{
	size_t a = 0, b = k->n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (key_cmp(k->v[mid].key, s, len) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	for (b = k->n; a < b;) {
		size_t mid = a + (b - a) / 2;
		if (key_cmp(k->v[mid].key, s, len) <= 0)
			a = mid + 1;
		else
			b = mid;
	}
	*hi = a;
}

char *policy_name_key(const char *domain, const char *path, size_t *domlen)
{
	return imageref_domain_key_path(domain, path, domlen);
}

size_t policy_keys_under(const struct policy_keys *t, const char *name,
                         size_t domlen,
                         bool (*fn)(void *cls, const struct policy_key *k),
                         void *cls)
{
	size_t lo, hi, n = 0, end = domlen;

	if (t->n == 0)
		return 0;
	for (;;) {
		policy_keys_range(t, name, end, &lo, &hi);
		if (fn == NULL)
			n += hi - lo;
		for (; fn != NULL && lo < hi; lo++) {
			n++;
			if (fn(cls, &t->v[lo]))
				return n;
		}
		if (name[end] == '\0')
			return n;
		end += 1 + strcspn(name + end + 1, "/");
	}
}

/* Writes pat's pattern key at out; returns where the next one goes, or
 * NULL when out of memory. The key is never longer than pat: the domain
 * key only lower-cases the domain, or shortens index.docker.io. */
static char *pattern_key(char *out, const char *pat)
{
	char *dom = imageref_domain_key(pat);
	if (dom == NULL)
		return NULL;
	const char *rest = strchr(pat, '/');
	char *next = stpcpy(stpcpy(out, dom), rest ? rest : "") + 1;
	free(dom);
	return next;
}

static void keys_add(struct policy_keys *k, const char *key, size_t i, size_t j)
{
	k->v[k->n].key = key;
	k->v[k->n].i = i;
	k->v[k->n].j = j;
	k->n++;
}

static int keys_alloc(struct policy_keys *k)
{
	if (k->n == 0)
		return 0;
	k->v = calloc(k->n, sizeof *k->v);
	k->n = 0; /* counted again as keys_add fills it */
	return k->v == NULL ? -1 : 0;
}

static void keys_sort(struct policy_keys *k)
{
	if (k->n > 1)
		qsort(k->v, k->n, sizeof *k->v, cmp_key);
}

static void exception_index_free(struct exception_index *x)
{
	if (x == NULL)
		return;
	free(x->user_groups.v);
	for (int k = 0; k < 2; k++) {
		free(x->users[k].v);
		free(x->groups[k].v);
		free(x->images[k].v);
	}
	free(x->keys);
	free(x);
}

/* Adds e's entries to the tables (or, with fill false, only counts them,
 * for keys_alloc). keys is where the next pattern key goes. */
static int exception_index_add(struct exception_index *x, size_t i,
                               const struct policy_exception *e, bool fill,
                               char **keys)
{
	bool who = e->n_users > 0 || e->n_groups > 0, what = e->n_images > 0;
	int k = who && what ? EX_BOTH : EX_ONE;

	if (!who && !what) {
		/* Only empty lists (users: []): it names no one, so it waives
		 * its rules for everyone, as the loop over every exception
		 * always did. */
		if (fill)
			x->always |= e->rules;
		return 0;
	}
	if (!fill) {
		x->users[k].n += e->n_users;
		x->groups[k].n += e->n_groups;
		x->images[k].n += e->n_images;
		return 0;
	}
	for (size_t u = 0; u < e->n_users; u++)
		keys_add(&x->users[k], e->users[u], i, 0);
	for (size_t g = 0; g < e->n_groups; g++)
		keys_add(&x->groups[k], e->groups[g], i, 0);
	for (size_t m = 0; m < e->n_images; m++) {
		char *key = *keys;
		if ((*keys = pattern_key(key, e->images[m])) == NULL)
			return -1;
		keys_add(&x->images[k], key, i, m);
	}
	return 0;
}

/* See struct exception_index. Built in two passes: count, then fill. */
static int exception_index_build(struct policy *p)
{
	struct exception_index *x = calloc(1, sizeof *x);
	size_t keylen = 0;
	char *next;

	if (x == NULL)
		return -1;
	p->ex_index = x;
	for (size_t g = 0; g < p->n_groups; g++)
		x->user_groups.n += p->groups[g].n_users;
	for (size_t i = 0; i < p->n_exceptions; i++) {
		exception_index_add(x, i, &p->exceptions[i], false, NULL);
		for (size_t m = 0; m < p->exceptions[i].n_images; m++)
			keylen += strlen(p->exceptions[i].images[m]) + 1;
	}
	if (keys_alloc(&x->user_groups) < 0)
		return -1;
	for (int k = 0; k < 2; k++)
		if (keys_alloc(&x->users[k]) < 0 || keys_alloc(&x->groups[k]) < 0 ||
		    keys_alloc(&x->images[k]) < 0)
			return -1;
	if (keylen > 0 && (x->keys = malloc(keylen)) == NULL)
		return -1;
	next = x->keys;
	for (size_t g = 0; g < p->n_groups; g++)
		for (size_t u = 0; u < p->groups[g].n_users; u++)
			keys_add(&x->user_groups, p->groups[g].users[u], g, 0);
	for (size_t i = 0; i < p->n_exceptions; i++)
		if (exception_index_add(x, i, &p->exceptions[i], true, &next) < 0)
			return -1;
	keys_sort(&x->user_groups);
	for (int k = 0; k < 2; k++) {
		keys_sort(&x->users[k]);
		keys_sort(&x->groups[k]);
		keys_sort(&x->images[k]);
	}
	return 0;
}

/* By pattern key, not by domain alone: 10,000 entries under one host
 * (docker.io/org-N) would otherwise all be tried for every image of that
 * host. */
static int registries_index_build(struct policy *p)
{
	struct policy_keys *t = calloc(1, sizeof *t);
	size_t keylen = 0;

	if (t == NULL)
		return -1;
	p->reg_index = t;
	for (size_t i = 0; i < p->n_registries; i++)
		keylen += strlen(p->registries[i]) + 1;
	t->n = p->n_registries;
	if (keys_alloc(t) < 0 ||
	    (keylen > 0 && (p->reg_keys = malloc(keylen)) == NULL))
		return -1;
	char *next = p->reg_keys;
	for (size_t i = 0; i < p->n_registries; i++) {
		char *key = next;
		if ((next = pattern_key(key, p->registries[i])) == NULL)
			return -1;
		keys_add(t, key, i, 0);
	}
	keys_sort(t);
	return 0;
}

/* The lists a deny message names are the same for every request, and the
 * registries and exceptions a request can match are found by its image
 * and user: all are worked out once here, so that a decision costs the
 * same with 10 entries as with 10,000. */
int policy_index(struct policy *p)
{
	/* capabilities.allow is not capped: it holds at most the kernel's
	 * ~40 capability names, and the developer asking for one is best
	 * served by seeing exactly which are allowed. */
	p->cap_allow_text = policy_join_list(p->cap_allow, p->n_cap_allow);
	p->registries_text = policy_list_text(p->registries, p->n_registries,
	                                      RULE_REGISTRIES);
	p->mounts_allow_text = policy_list_text(p->mounts_allow, p->n_mounts_allow,
	                                        RULE_HOST_MOUNTS);
	p->sysctls_text = policy_list_text(p->sysctls, p->n_sysctls,
	                                   RULE_SECURITY_PROFILES);
	if (p->cap_allow_text == NULL || p->registries_text == NULL ||
	    p->mounts_allow_text == NULL || p->sysctls_text == NULL)
		return -1;
	if (p->n_exceptions > 0 && exception_index_build(p) < 0)
		return -1;
	return registries_index_build(p);
}

static void policy_destroy(struct policy *p)
{
	free_list(p->api_deny, p->n_api_deny);
	free_list(p->api_allow, p->n_api_allow);
	for (size_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].name);
		free_list(p->groups[i].users, p->groups[i].n_users);
	}
	free(p->groups);
	for (size_t i = 0; i < p->n_exceptions; i++) {
		free_list(p->exceptions[i].users, p->exceptions[i].n_users);
		free_list(p->exceptions[i].groups, p->exceptions[i].n_groups);
		free_list(p->exceptions[i].images, p->exceptions[i].n_images);
	}
	free(p->exceptions);
	free(p->source);
	free(p->cap_allow_text);
	free(p->registries_text);
	free(p->mounts_allow_text);
	free(p->sysctls_text);
	if (p->reg_index != NULL)
		free(p->reg_index->v);
	free(p->reg_index);
	free(p->reg_keys);
	exception_index_free(p->ex_index);
	for (size_t i = 0; i < p->n_cap_allow; i++)
		free(p->cap_allow[i]);
	free(p->cap_allow);
	for (size_t i = 0; i < p->n_registries; i++)
		free(p->registries[i]);
	free(p->registries);
	for (size_t i = 0; i < p->n_mounts_deny; i++)
		free(p->mounts_deny[i]);
	free(p->mounts_deny);
	for (size_t i = 0; i < p->n_mounts_allow; i++)
		free(p->mounts_allow[i]);
	free(p->mounts_allow);
	for (size_t i = 0; i < p->n_sysctls; i++)
		free(p->sysctls[i]);
	free(p->sysctls);
	free(p);
}

void policy_unref(struct policy *p)
{
	if (p == NULL)
		return;
	if (atomic_fetch_sub_explicit(&p->refs, 1,
	                              memory_order_acq_rel) == 1)
		policy_destroy(p);
}

static const char *const api_methods[] = {"GET",    "HEAD",    "POST",
                                          "PUT",    "DELETE",  "PATCH",
                                          "OPTIONS", "*",      NULL};

bool policy_api_valid(const char *s, const char **why)
{
	const char *sp = strchr(s, ' ');
	if (sp == NULL) {
		*why = "expected 'METHOD /path', e.g. 'POST /images/load'";
		return false;
	}
	bool ok = false;
	for (size_t i = 0; api_methods[i] && !ok; i++)
		ok = strlen(api_methods[i]) == (size_t)(sp - s) &&
		     strncasecmp(api_methods[i], s, (size_t)(sp - s)) == 0;
	if (!ok) {
		*why = "the method must be GET, HEAD, POST, PUT, DELETE, PATCH, "
		       "OPTIONS or *";
		return false;
	}
	const char *path = sp + 1;
	if (path[0] != '/') {
		*why = "the path must start with /";
		return false;
	}
	if (strpbrk(path, "?# \t%") != NULL) {
		*why = "the path is matched decoded and without a query: no ?, #, "
		       "% or blanks";
		return false;
	}
	for (const char *seg = path + 1; *seg;) {
		size_t n = strcspn(seg, "/");
		const char *st = memchr(seg, '*', n);
		if (st != NULL && memmem(seg, n, "**", 2) != NULL && n != 2) {
			*why = "** must be a whole path segment";
			return false;
		}
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "the path must be clean (no //, . or .. segments)";
			return false;
		}
		seg += n;
		if (*seg == '/')
			seg++;
		else
			break;
	}
	return true;
}

/* Glob of one segment: '*' matches any run of characters but '/'. */
static bool seg_match(const char *p, size_t pn, const char *s, size_t sn)
{
	if (pn == 0)
		return sn == 0;
	if (p[0] == '*') {
		for (size_t k = 0; k <= sn; k++)
			if (seg_match(p + 1, pn - 1, s + k, sn - k))
				return true;
		return false;
	}
	return sn > 0 && p[0] == s[0] && seg_match(p + 1, pn - 1, s + 1, sn - 1);
}

/* Matches pattern segments against path segments; "**" takes any
 * number of them. Both start after a '/' (or are empty). */
static bool path_match(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	size_t pn = strcspn(p, "/");
	const char *pnext = p[pn] == '/' ? p + pn + 1 : p + pn;
	if (pn == 2 && p[0] == '*' && p[1] == '*') {
		if (path_match(pnext, s))
			return true;
		while (*s) {
			size_t sn = strcspn(s, "/");
			s = s[sn] == '/' ? s + sn + 1 : s + sn;
			if (path_match(pnext, s))
				return true;
		}
		return false;
	}
	if (*s == '\0')
		return false;
	size_t sn = strcspn(s, "/");
	const char *snext = s[sn] == '/' ? s + sn + 1 : s + sn;
	return seg_match(p, pn, s, sn) && path_match(pnext, snext);
}

bool policy_api_match(const char *pattern, const char *method,
                      const char *path)
{
	const char *sp = strchr(pattern, ' ');
	if (sp == NULL || path[0] != '/')
		return false;
	size_t mn = (size_t)(sp - pattern);
	if (!(mn == 1 && pattern[0] == '*') &&
	    !(strlen(method) == mn && strncasecmp(pattern, method, mn) == 0))
		return false;
	return path_match(sp + 2, path + 1);
}
