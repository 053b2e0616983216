/* libFuzzer target for imageref. The input is an image reference, optionally
 * followed by '\n' and an allow-list pattern. Besides the sanitizers, it
 * checks:
 *  - imageref_parse against an oracle: ParseNormalizedNamed transcribed
 *    step by step, with the upstream regular expressions run by POSIX regex
 *    (fine here; the product's scanner must not use it, for speed);
 *  - every OK result is canonical: its full form parses back to itself;
 *  - imageref_pattern_valid and imageref_match against a naive oracle.
 *
 * Build and run from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *       tests/fuzz/fuzz_imageref.c plugin/imageref.c -o fuzz_imageref
 *   ./fuzz_imageref -max_total_time=60 tests/fuzz/corpus/imageref
 */
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imageref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The upstream expressions (docker/distribution/reference/regexp.go as
 * vendored by dockerd 20.10), in POSIX ERE spelling. */
#define COMP "[a-z0-9]+(([._]|__|[-]*)[a-z0-9]+)*"
#define DOMCOMP "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define DOMAIN DOMCOMP "(\\." DOMCOMP ")*(:[0-9]+)?"
#define TAG "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}"
#define DIGEST "[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}"

static regex_t re_ref, re_domain, re_identifier, re_pattern;

static void compile(regex_t *re, const char *pat)
{
	if (regcomp(re, pat, REG_EXTENDED) != 0) {
		fprintf(stderr, "regcomp failed: %s\n", pat);
		abort();
	}
}

static void init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	compile(&re_ref, "^((" DOMAIN "/)?" COMP "(/" COMP ")*)(:" TAG ")?(@" DIGEST
	                 ")?$");
	compile(&re_domain, "^" DOMAIN "$");
	compile(&re_identifier, "^[a-f0-9]{64}$");
	compile(&re_pattern, "^" DOMAIN "(/" COMP ")*$");
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
			        __LINE__);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

static int streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	CHECK(d != NULL);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
	char *d = malloc(na + nb + nc + 1);
	CHECK(d != NULL);
	memcpy(d, a, na);
	memcpy(d + na, b, nb);
	memcpy(d + na + nb, c, nc + 1);
	return d;
}

static int has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 1;
	return 0;
}

static int all_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* go-digest Validate, for the algorithms dockerd links. NULL when valid. */
static const char *oracle_digest(const char *d)
{
	const char *colon = strchr(d, ':');
	if (colon == NULL || colon == d || colon[1] == '\0')
		return "invalid checksum digest format";
	size_t alg_len = (size_t)(colon - d), hex_len = strlen(colon + 1);
	size_t want = 0;
	if (alg_len == 6 && memcmp(d, "sha256", 6) == 0)
		want = 64;
	else if (alg_len == 6 && memcmp(d, "sha384", 6) == 0)
		want = 96;
	else if (alg_len == 6 && memcmp(d, "sha512", 6) == 0)
		want = 128;
	if (want == 0)
		return has_upper(d, alg_len) ? "invalid checksum digest format"
		                             : "unsupported digest algorithm";
	if (hex_len != want)
		return "invalid checksum digest length";
	return all_lower_hex(colon + 1, hex_len) ? NULL
	                                         : "invalid checksum digest format";
}

struct oracle {
	enum imageref_status st;
	const char *why;
	char *full, *domain, *path, *tag, *digest;
	int tag_given;
};

static void oracle_free(struct oracle *o)
{
	free(o->full);
	free(o->domain);
	free(o->path);
	free(o->tag);
	free(o->digest);
}

/* ParseAnyReference's ID test, then ParseNormalizedNamed and Parse. */
static void oracle_parse(const char *s, struct oracle *o)
{
	memset(o, 0, sizeof *o);
	if (s[0] == '\0') {
		o->st = IMAGEREF_EMPTY;
		return;
	}
	if (regexec(&re_identifier, s, 0, NULL, 0) == 0 ||
	    oracle_digest(s) == NULL) {
		o->st = IMAGEREF_ID;
		return;
	}
	/* splitDockerDomain */
	const char *slash = strchr(s, '/');
	char *domain, *rem;
	if (slash == NULL) {
		domain = dupn("docker.io", 9);
		rem = dupn(s, strlen(s));
	} else {
		size_t i = (size_t)(slash - s);
		char *first = dupn(s, i);
		if (strcmp(first, "localhost") == 0 || strpbrk(first, ".:") ||
		    has_upper(first, i)) {
			domain = first;
			rem = dupn(slash + 1, strlen(slash + 1));
		} else {
			free(first);
			domain = dupn("docker.io", 9);
			rem = dupn(s, strlen(s));
		}
		if (strcmp(domain, "index.docker.io") == 0) {
			free(domain);
			domain = dupn("docker.io", 9);
		}
	}
	if (strcmp(domain, "docker.io") == 0 && strchr(rem, '/') == NULL) {
		char *r = cat3("library/", rem, "");
		free(rem);
		rem = r;
	}
	/* The remote name, up to the first ':', must be lower case. */
	if (has_upper(rem, strcspn(rem, ":"))) {
		o->st = IMAGEREF_INVALID;
		o->why = "invalid reference format: repository name must be "
		         "lowercase";
		free(domain);
		free(rem);
		return;
	}
	char *t = cat3(domain, "/", rem);
	free(domain);
	free(rem);
	/* Parse */
	regmatch_t m[2];
	if (regexec(&re_ref, t, 2, m, 0) != 0) {
		char *l = dupn(t, strlen(t));
		for (char *c = l; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		o->st = IMAGEREF_INVALID;
		o->why = strcmp(l, t) != 0 && regexec(&re_ref, l, 0, NULL, 0) == 0
		             ? "repository name must be lowercase"
		             : "invalid reference format";
		free(l);
		free(t);
		return;
	}
	size_t name_len = (size_t)m[1].rm_eo;
	CHECK(m[1].rm_so == 0);
	if (name_len > 255) {
		o->st = IMAGEREF_INVALID;
		o->why = "repository name must not be more than 255 characters";
		free(t);
		return;
	}
	char *name = dupn(t, name_len);
	const char *after = t + name_len;
	char *tag = NULL, *digest = NULL;
	if (*after == ':') {
		size_t n = strcspn(after + 1, "@");
		tag = dupn(after + 1, n);
		after += 1 + n;
	}
	if (*after == '@')
		digest = dupn(after + 1, strlen(after + 1));
	free(t);
	if (digest != NULL && (o->why = oracle_digest(digest)) != NULL) {
		o->st = IMAGEREF_INVALID;
		free(name);
		free(tag);
		free(digest);
		return;
	}
	/* anchoredNameRegexp: the domain when the first component is one. */
	size_t k = strcspn(name, "/");
	char *first = dupn(name, k);
	if (name[k] == '/' && regexec(&re_domain, first, 0, NULL, 0) == 0) {
		o->domain = first;
		o->path = dupn(name + k + 1, strlen(name + k + 1));
	} else {
		free(first);
		o->domain = dupn("", 0);
		o->path = dupn(name, name_len);
	}
	o->st = IMAGEREF_OK;
	o->tag_given = tag != NULL;
	if (digest != NULL) {
		free(tag);
		o->digest = digest;
		o->full = cat3(name, "@", digest);
	} else {
		o->tag = tag != NULL ? tag : dupn("latest", 6);
		o->full = cat3(name, ":", o->tag);
	}
	free(name);
}

static int oracle_pattern_valid(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 255 || regexec(&re_pattern, p, 0, NULL, 0) != 0)
		return 0;
	size_t k = strcspn(p, "/");
	return (k == 9 && strncasecmp(p, "localhost", 9) == 0) ||
	       memchr(p, '.', k) != NULL || memchr(p, ':', k) != NULL;
}

static int oracle_match(const struct imageref *r, const char *p)
{
	if (!oracle_pattern_valid(p))
		return 0;
	size_t k = strcspn(p, "/");
	char *pd = dupn(p, k);
	char *rd = dupn(r->domain, strlen(r->domain));
	if (strcasecmp(pd, "index.docker.io") == 0) {
		free(pd);
		pd = dupn("docker.io", 9);
	}
	if (strcasecmp(rd, "index.docker.io") == 0) {
		free(rd);
		rd = dupn("docker.io", 9);
	}
	int ok = strcasecmp(pd, rd) == 0;
	free(pd);
	free(rd);
	if (!ok || p[k] == '\0')
		return ok;
	const char *pp = p + k + 1;
	size_t n = strlen(pp);
	return strncmp(r->path, pp, n) == 0 &&
	       (r->path[n] == '\0' || r->path[n] == '/');
}

static void check_match(const struct imageref *r, const char *pattern)
{
	const char *why = NULL;
	int valid = imageref_pattern_valid(pattern, &why);
	CHECK(valid == oracle_pattern_valid(pattern));
	CHECK(valid == (why == NULL));
	CHECK(imageref_match(r, pattern) == oracle_match(r, pattern));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size > 4096)
		return 0;
	char *buf = dupn((const char *)data, size);
	/* Bytes after a NUL are out of reach of a C string: cut there. */
	char *pattern = NULL;
	char *nl = strchr(buf, '\n');
	if (nl != NULL) {
		*nl = '\0';
		pattern = nl + 1;
	}

	struct imageref r;
	struct oracle o;
	const char *why = NULL;
	enum imageref_status st = imageref_parse(buf, &r, &why);
	oracle_parse(buf, &o);
	if (st != o.st) {
		fprintf(stderr, "input \"%s\": status %d, oracle %d (%s)\n", buf, st,
		        o.st, why ? why : "");
		abort();
	}
	CHECK(imageref_parse(buf, NULL, NULL) == st);
	if (st != IMAGEREF_OK) {
		CHECK(why != NULL);
		CHECK(r.full == NULL && r.name == NULL && r.domain == NULL &&
		      r.path == NULL && r.tag == NULL && r.digest == NULL);
		if (st == IMAGEREF_INVALID && !streq(why, o.why)) {
			fprintf(stderr, "input \"%s\": why \"%s\", oracle \"%s\"\n",
			        buf, why, o.why);
			abort();
		}
	} else {
		CHECK(why == NULL);
		CHECK(streq(r.full, o.full) && streq(r.domain, o.domain) &&
		      streq(r.path, o.path) && streq(r.tag, o.tag) &&
		      streq(r.digest, o.digest) && r.tag_given == o.tag_given);
		CHECK((r.tag == NULL) != (r.digest == NULL));
		CHECK(strlen(r.name) <= 255);
		char *name = r.domain[0] ? cat3(r.domain, "/", r.path)
		                         : cat3(r.path, "", "");
		CHECK(streq(r.name, name));
		free(name);
		struct imageref again;
		CHECK(imageref_parse(r.full, &again, NULL) == IMAGEREF_OK);
		CHECK(streq(again.full, r.full) && streq(again.name, r.name) &&
		      streq(again.domain, r.domain) && streq(again.path, r.path) &&
		      streq(again.tag, r.tag) && streq(again.digest, r.digest));
		imageref_clear(&again);

		static const char *const patterns[] = {
		    "docker.io/library", "ghcr.io/acme", "localhost:5000",
		    "index.docker.io", "docker.io"};
		for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
			check_match(&r, patterns[i]);
		check_match(&r, r.name);
		if (r.domain[0] != '\0')
			CHECK(imageref_match(&r, r.name) ==
			      oracle_pattern_valid(r.name));
		if (pattern != NULL)
			check_match(&r, pattern);
	}
	if (pattern != NULL)
		(void)imageref_pattern_valid(pattern, NULL);
	(void)imageref_pattern_valid(buf, NULL);
	imageref_clear(&r);
	imageref_clear(&r);
	oracle_free(&o);
	free(buf);
	return 0;
}
