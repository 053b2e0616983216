/* imageref: image references parsed and normalized as dockerd 20.10 does.
 *
 * This is a hand-written scanner for the grammar of
 * github.com/docker/distribution/reference (the copy vendored by dockerd
 * 20.10) and the steps of its ParseNormalizedNamed:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path
 *   domain     := host-component [ "." host-component ]* [ ":" [0-9]+ ]
 *   host-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   path       := component [ "/" component ]*
 *   component  := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ":" [0-9a-fA-F]{32,}
 *   algorithm  := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*
 *
 * after which go-digest only accepts sha256, sha384 and sha512 with exactly
 * 64, 96 or 128 lower-case hex digits. No regex engine: this runs for every
 * image named in every request, and each step below is one linear pass.
 *
 * Where dockerd versions differ: the name length limit (255) counts the
 * domain, as 20.10's copy does (newer ones count the path only); IPv6 hosts
 * are not accepted (the library added them later); and an upper-case first
 * component is taken as a domain ("Foo/bar"), a rule of newer versions that
 * the project's protocol notes ask for, where 20.10's copy rejects it as
 * "must be lowercase". Each of these only changes which malformed names are
 * refused, never where an accepted name points. Only ASCII counts as upper
 * case: Go would also say "must be lowercase" for a non-ASCII capital, where
 * this says "invalid reference format"; both refuse.
 *
 * Thread safety: nothing here writes to static storage. */
#include <stdlib.h>
#include <string.h>

#include "imageref.h"

/* reference.NameTotalLengthMax: in the 20.10 copy it bounds the whole name,
 * domain included ("docker.io/library/x" counts 19). */
#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

static const char DEFAULT_DOMAIN[] = "docker.io";
static const char LEGACY_DOMAIN[] = "index.docker.io";
static const char OFFICIAL_PREFIX[] = "library/";
static const char DEFAULT_TAG[] = "latest";

/* The texts of the upstream errors, so a deny message says what dockerd
 * itself would have said. */
static const char WHY_EMPTY[] = "empty image reference";
static const char WHY_ID[] = "an image ID, not a repository name";
static const char WHY_FORMAT[] = "invalid reference format";
static const char WHY_LOWER_NORMALIZED[] =
    "invalid reference format: repository name must be lowercase";
static const char WHY_LOWER[] = "repository name must be lowercase";
static const char WHY_TOO_LONG[] =
    "repository name must not be more than 255 characters";
static const char WHY_DIGEST_FORMAT[] = "invalid checksum digest format";
static const char WHY_DIGEST_LENGTH[] = "invalid checksum digest length";
static const char WHY_DIGEST_UNSUPPORTED[] = "unsupported digest algorithm";
static const char WHY_OOM[] = "out of memory";

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_alpha(char c)
{
	return is_lower(c) || is_upper(c);
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_xdigit(char c)
{
	return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

/* Go's \w, which is ASCII only. */
static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static char to_lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static bool has_upper(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_upper(p[i]))
			return true;
	return false;
}

static bool eq_n(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static bool eq_n_nocase(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (to_lower(p[i]) != to_lower(lit[i]))
			return false;
	return true;
}

/* True when p[0..n) is one path component. With fold, upper case counts as
 * lower case: Parse retries a failed match on the lower-cased input to tell
 * "must be lowercase" from any other format error. */
static bool scan_component(const char *p, size_t n, bool fold)
{
	size_t i = 0;

	for (;;) {
		size_t run = i;
		while (i < n && (is_lower(p[i]) || is_digit(p[i]) ||
		                 (fold && is_upper(p[i]))))
			i++;
		if (i == run)
			return false; /* empty alphanumeric run */
		if (i == n)
			return true;
		if (p[i] == '.') {
			i++;
		} else if (p[i] == '_') {
			i++;
			if (i < n && p[i] == '_')
				i++;
		} else if (p[i] == '-') {
			while (i < n && p[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

/* True when p[0..n) is one or more '/'-separated path components. */
static bool scan_path(const char *p, size_t n, bool fold)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			if (!scan_component(p + start, i - start, fold))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* True when p[0..n) is host[:port] as the 20.10 grammar has it. IPv6
 * literals ("[::1]:5000") came to the library after 20.10. */
static bool scan_domain(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t host_len = colon != NULL ? (size_t)(colon - p) : n;

	if (colon != NULL) {
		size_t port_len = n - host_len - 1;
		if (port_len == 0)
			return false;
		for (size_t i = host_len + 1; i < n; i++)
			if (!is_digit(p[i]))
				return false;
	}
	size_t start = 0;
	for (size_t i = 0; i <= host_len; i++) {
		if (i == host_len || p[i] == '.') {
			size_t len = i - start;
			if (len == 0 || p[start] == '-' || p[i - 1] == '-')
				return false;
			for (size_t j = start; j < i; j++)
				if (!is_alnum(p[j]) && p[j] != '-')
					return false;
			start = i + 1;
		}
	}
	return true;
}

static bool scan_tag(const char *p, size_t n)
{
	if (n == 0 || n > TAG_MAX_LEN || !is_word(p[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(p[i]) && p[i] != '.' && p[i] != '-')
			return false;
	return true;
}

/* True when p[0..n) matches the reference grammar's digest (which is looser
 * than go-digest, checked afterwards by digest_why). */
static bool scan_digest(const char *p, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i == n || !is_alpha(p[i]))
			return false;
		while (i < n && is_alnum(p[i]))
			i++;
		if (i == n)
			return false;
		if (p[i] == ':')
			break;
		if (p[i] != '-' && p[i] != '_' && p[i] != '+' && p[i] != '.')
			return false;
		i++;
	}
	i++; /* ':' */
	if (n - i < 32)
		return false;
	for (; i < n; i++)
		if (!is_xdigit(p[i]))
			return false;
	return true;
}

/* go-digest's Digest.Validate on a string scan_digest accepted, with the
 * algorithms dockerd links in. Returns NULL when valid, else static text. */
static const char *digest_why(const char *p, size_t n)
{
	static const struct {
		const char *name;
		size_t hex_len;
	} algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
	const char *colon = memchr(p, ':', n);
	size_t alg_len = (size_t)(colon - p);
	const char *hex = colon + 1;
	size_t hex_len = n - alg_len - 1;

	for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++) {
		if (!eq_n(p, alg_len, algs[a].name))
			continue;
		if (hex_len != algs[a].hex_len)
			return WHY_DIGEST_LENGTH;
		for (size_t i = 0; i < hex_len; i++)
			if (!is_lower_hex(hex[i]))
				return WHY_DIGEST_FORMAT;
		return NULL;
	}
	/* An unknown algorithm: go-digest's own pattern wants it lower case. */
	return has_upper(p, alg_len) ? WHY_DIGEST_FORMAT : WHY_DIGEST_UNSUPPORTED;
}

/* True when p[0..n) is a digest go-digest accepts. */
static bool is_valid_digest(const char *p, size_t n)
{
	return memchr(p, ':', n) != NULL && scan_digest(p, n) &&
	       digest_why(p, n) == NULL;
}

static bool is_identifier(const char *p, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(p[i]))
			return false;
	return true;
}

/* The pieces of dom "/" prefix rem, the string ParseNormalizedNamed hands to
 * Parse, with what Parse found in it. All pointers borrow from the input or
 * from the constants above. */
struct split {
	const char *dom; /* the first component as split off, never "" */
	size_t dom_len;
	const char *prefix; /* "" or "library/" */
	size_t prefix_len;
	const char *rem; /* the rest of the input */
	size_t rem_len;
	size_t path_len; /* path part of rem: up to the first ':' or '@' */
	const char *tag; /* NULL when absent */
	size_t tag_len;
	const char *digest; /* NULL when absent */
	size_t digest_len;
	bool has_domain; /* false: Parse saw no domain, dom is a path component */
};

/* reference.Parse on dom "/" prefix rem: fills the tag, digest and domain
 * fields of *sp and returns true when the whole string matches the grammar
 * (with fold, as if it were lower-cased). */
static bool grammar_match(struct split *sp, bool fold)
{
	const char *rem = sp->rem;
	size_t n = sp->rem_len;
	size_t i = 0;

	while (i < n && rem[i] != ':' && rem[i] != '@')
		i++;
	sp->path_len = i;
	/* With prefix "library/", the path is "library/" + rem's path, which
	 * is valid exactly when rem's path is. */
	if (!scan_path(rem, i, fold))
		return false;
	sp->tag = NULL;
	sp->tag_len = 0;
	sp->digest = NULL;
	sp->digest_len = 0;
	if (i < n && rem[i] == ':') {
		size_t start = ++i;
		while (i < n && rem[i] != '@')
			i++;
		sp->tag = rem + start;
		sp->tag_len = i - start;
		if (!scan_tag(sp->tag, sp->tag_len))
			return false;
	}
	if (i < n) { /* rem[i] == '@' */
		sp->digest = rem + i + 1;
		sp->digest_len = n - i - 1;
		if (!scan_digest(sp->digest, sp->digest_len))
			return false;
	}
	/* The domain is optional in Parse's grammar and preferred when it
	 * matches; when it does not, the first component may still be read
	 * as a path component ("foo_bar.com/x" has no domain at all). */
	if (scan_domain(sp->dom, sp->dom_len)) {
		sp->has_domain = true;
		return true;
	}
	sp->has_domain = false;
	return scan_component(sp->dom, sp->dom_len, fold);
}

/* splitDockerDomain: where the domain ends and what prefix the path gets. */
static void split_domain(const char *s, size_t n, struct split *sp)
{
	const char *slash = memchr(s, '/', n);

	memset(sp, 0, sizeof *sp);
	sp->dom = DEFAULT_DOMAIN;
	sp->dom_len = sizeof DEFAULT_DOMAIN - 1;
	sp->prefix = "";
	sp->rem = s;
	sp->rem_len = n;
	if (slash != NULL) {
		size_t first = (size_t)(slash - s);
		/* Repository paths never have upper case, so a first
		 * component with upper case is taken as a domain (see the top
		 * of the file for the dockerd versions that do so). */
		if (eq_n(s, first, "localhost") || memchr(s, '.', first) ||
		    memchr(s, ':', first) || has_upper(s, first)) {
			sp->dom = s;
			sp->dom_len = first;
			sp->rem = slash + 1;
			sp->rem_len = n - first - 1;
		}
		if (eq_n(sp->dom, sp->dom_len, LEGACY_DOMAIN)) {
			sp->dom = DEFAULT_DOMAIN;
			sp->dom_len = sizeof DEFAULT_DOMAIN - 1;
		}
	}
	if (eq_n(sp->dom, sp->dom_len, DEFAULT_DOMAIN) &&
	    memchr(sp->rem, '/', sp->rem_len) == NULL)
		sp->prefix = OFFICIAL_PREFIX;
	sp->prefix_len = strlen(sp->prefix);
}

struct piece {
	const char *p;
	size_t n;
};

/* The bytes the pieces join to, plus a NUL. */
static size_t joined_len(const struct piece *pc, size_t npc)
{
	size_t len = 1;
	for (size_t i = 0; i < npc; i++)
		len += pc[i].n;
	return len;
}

/* Writes the pieces joined, and a NUL, at *w; returns where they start
 * and moves *w past them. */
static char *put(char **w, const struct piece *pc, size_t npc)
{
	char *start = *w;
	for (size_t i = 0; i < npc; i++) {
		memcpy(*w, pc[i].p, pc[i].n);
		*w += pc[i].n;
	}
	*(*w)++ = '\0';
	return start;
}

/* Fills *ref from a split that passed every check. The fields are one
 * allocation, name first (imageref_clear frees it). Returns false, with
 * *ref cleared, when out of memory. */
static bool build(const struct split *sp, struct imageref *ref)
{
	const struct piece dom = {sp->dom, sp->dom_len};
	const struct piece slash = {"/", 1};
	const struct piece prefix = {sp->prefix, sp->prefix_len};
	const struct piece path = {sp->rem, sp->path_len};
	const struct piece tag =
	    sp->tag != NULL ? (struct piece){sp->tag, sp->tag_len}
	                    : (struct piece){DEFAULT_TAG, sizeof DEFAULT_TAG - 1};
	const struct piece digest = {sp->digest, sp->digest_len};
	const bool has_digest = sp->digest != NULL;
	/* Name() is the bare path when Parse found no domain. */
	const struct piece name[4] = {dom, slash, prefix, path};
	const struct piece dom_path[2] = {prefix, path};
	const struct piece *path_pc = sp->has_domain ? dom_path : name;
	const size_t path_n = sp->has_domain ? 2 : 4;
	const struct piece full[6] = {dom, slash, prefix, path,
	                              has_digest ? (struct piece){"@", 1}
	                                         : (struct piece){":", 1},
	                              has_digest ? digest : tag};

	ref->tag_given = sp->tag != NULL;
	size_t total = joined_len(name, 4) + joined_len(&dom, sp->has_domain) +
	               joined_len(path_pc, path_n) + joined_len(&full[5], 1) +
	               joined_len(full, 6);
	char *w = malloc(total);
	if (w == NULL) {
		imageref_clear(ref);
		return false;
	}
	ref->name = put(&w, name, 4);
	ref->domain = put(&w, &dom, sp->has_domain);
	ref->path = put(&w, path_pc, path_n);
	if (has_digest)
		ref->digest = put(&w, &digest, 1);
	else
		ref->tag = put(&w, &tag, 1);
	ref->full = put(&w, full, 6);
	return true;
}

/* Short image IDs ("abc123") are plain names to this function, as they are to
 * ParseNormalizedNamed: they come back as docker.io/library/abc123:latest,
 * although dockerd's container create also tries them as an ID prefix when
 * no such tag exists locally. */
enum imageref_status imageref_parse(const char *s, struct imageref *ref,
                                    const char **why)
{
	const char *why_sink;
	struct split sp;

	if (why == NULL)
		why = &why_sink;
	*why = NULL;
	if (ref != NULL)
		memset(ref, 0, sizeof *ref);
	if (s == NULL || s[0] == '\0') {
		*why = WHY_EMPTY;
		return IMAGEREF_EMPTY;
	}
	size_t n = strlen(s);
	/* ParseAnyReference, as container create uses it, reads a 64-hex
	 * string or a valid digest as an image ID; ParseNormalizedNamed
	 * refuses the 64-hex string outright. */
	if (is_identifier(s, n) || is_valid_digest(s, n)) {
		*why = WHY_ID;
		return IMAGEREF_ID;
	}
	split_domain(s, n, &sp);
	/* The remote name up to the first ':' (which may include an
	 * "@algorithm" part) must be lower case before Parse even runs. */
	const char *colon = memchr(sp.rem, ':', sp.rem_len);
	size_t remote_len = colon ? (size_t)(colon - sp.rem) : sp.rem_len;
	if (has_upper(sp.rem, remote_len)) {
		*why = WHY_LOWER_NORMALIZED;
		return IMAGEREF_INVALID;
	}
	if (!grammar_match(&sp, false)) {
		bool upper = has_upper(sp.dom, sp.dom_len) ||
		             has_upper(sp.rem, sp.rem_len);
		*why = upper && grammar_match(&sp, true) ? WHY_LOWER : WHY_FORMAT;
		return IMAGEREF_INVALID;
	}
	if (sp.dom_len + 1 + sp.prefix_len + sp.path_len > NAME_MAX_LEN) {
		*why = WHY_TOO_LONG;
		return IMAGEREF_INVALID;
	}
	if (sp.digest != NULL) {
		const char *dwhy = digest_why(sp.digest, sp.digest_len);
		if (dwhy != NULL) {
			*why = dwhy;
			return IMAGEREF_INVALID;
		}
	}
	if (ref != NULL && !build(&sp, ref)) {
		*why = WHY_OOM;
		return IMAGEREF_INVALID;
	}
	return IMAGEREF_OK;
}

void imageref_clear(struct imageref *ref)
{
	if (ref == NULL)
		return;
	/* One allocation, name first (build). */
	free(ref->name);
	memset(ref, 0, sizeof *ref);
}

static const char PWHY_EMPTY[] = "empty pattern";
static const char PWHY_WILDCARD[] =
    "wildcards are not supported: a pattern already covers every "
    "repository under it";
static const char PWHY_TAG[] =
    "a pattern names a registry or repository prefix, not a tag or digest";
static const char PWHY_SLASH[] = "a pattern must not end with '/'";
static const char PWHY_EMPTY_COMPONENT[] = "empty component in pattern";
static const char PWHY_NO_DOMAIN[] =
    "the first component must be a registry host: write "
    "docker.io/library/nginx, not nginx or library/nginx";
static const char PWHY_BAD_DOMAIN[] = "invalid registry host in pattern";
static const char PWHY_LOWER[] = "repository path must be lowercase";
static const char PWHY_BAD_PATH[] = "invalid repository path in pattern";
static const char PWHY_TOO_LONG[] =
    "pattern is longer than a repository name can be (255 characters)";

/* Returns NULL when pattern is a valid allow-list pattern, else static text
 * saying why not. */
static const char *pattern_why(const char *pattern)
{
	if (pattern == NULL || pattern[0] == '\0')
		return PWHY_EMPTY;
	size_t n = strlen(pattern);
	if (strpbrk(pattern, "*?") != NULL)
		return PWHY_WILDCARD;
	if (memchr(pattern, '@', n) != NULL)
		return PWHY_TAG;
	if (pattern[n - 1] == '/')
		return PWHY_SLASH;
	if (pattern[0] == '/' || strstr(pattern, "//") != NULL)
		return PWHY_EMPTY_COMPONENT;
	const char *slash = memchr(pattern, '/', n);
	size_t dom_len = slash ? (size_t)(slash - pattern) : n;
	if (slash != NULL && strchr(slash, ':') != NULL)
		return PWHY_TAG;
	const char *colon = NULL;
	for (size_t i = 0; i < dom_len; i++)
		if (pattern[i] == ':')
			colon = pattern + i; /* the last one */
	if (!eq_n_nocase(pattern, dom_len, "localhost") && colon == NULL &&
	    memchr(pattern, '.', dom_len) == NULL)
		return PWHY_NO_DOMAIN;
	if (colon != NULL) {
		/* "nginx:latest" reads as host "nginx", port "latest". */
		for (const char *c = colon + 1; c < pattern + dom_len; c++)
			if (!is_digit(*c))
				return PWHY_TAG;
	}
	if (!scan_domain(pattern, dom_len))
		return PWHY_BAD_DOMAIN;
	if (slash != NULL) {
		const char *path = slash + 1;
		size_t path_len = n - dom_len - 1;
		if (!scan_path(path, path_len, false))
			return scan_path(path, path_len, true) ? PWHY_LOWER
			                                       : PWHY_BAD_PATH;
	}
	if (n > NAME_MAX_LEN)
		return PWHY_TOO_LONG;
	return NULL;
}

bool imageref_pattern_valid(const char *pattern, const char **why)
{
	const char *w = pattern_why(pattern);

	if (why != NULL)
		*why = w;
	return w == NULL;
}

/* The domain as matching sees it: "index.docker.io" in any case is
 * "docker.io". Returns a borrowed pointer (p or a constant) and sets *len. */
static const char *match_domain(const char *p, size_t *len)
{
	if (eq_n_nocase(p, *len, LEGACY_DOMAIN)) {
		*len = sizeof DEFAULT_DOMAIN - 1;
		return DEFAULT_DOMAIN;
	}
	return p;
}

bool imageref_match(const struct imageref *ref, const char *pattern)
{
	if (ref == NULL || ref->domain == NULL || ref->path == NULL ||
	    pattern_why(pattern) != NULL)
		return false;
	const char *slash = strchr(pattern, '/');
	size_t pdom_len = slash ? (size_t)(slash - pattern) : strlen(pattern);
	size_t rdom_len = strlen(ref->domain);
	const char *pdom = match_domain(pattern, &pdom_len);
	const char *rdom = match_domain(ref->domain, &rdom_len);
	if (rdom_len != pdom_len)
		return false;
	for (size_t i = 0; i < pdom_len; i++)
		if (to_lower(rdom[i]) != to_lower(pdom[i]))
			return false;
	if (slash == NULL)
		return true;
	const char *ppath = slash + 1;
	size_t ppath_len = strlen(ppath);
	return strncmp(ref->path, ppath, ppath_len) == 0 &&
	       (ref->path[ppath_len] == '\0' || ref->path[ppath_len] == '/');
}

/* The domain key of s, with room for extra more bytes after it. */
static char *domain_key(const char *s, size_t extra, size_t *keylen)
{
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	const char *dom = match_domain(s, &len);
	char *out = malloc(len + 1 + extra);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		out[i] = to_lower(dom[i]);
	out[len] = '\0';
	*keylen = len;
	return out;
}

char *imageref_domain_key(const char *s)
{
	size_t len;
	return domain_key(s, 0, &len);
}

char *imageref_domain_key_path(const char *s, const char *path, size_t *domlen)
{
	size_t plen = strlen(path);
	char *out = domain_key(s, 1 + plen, domlen);
	if (out != NULL) {
		out[*domlen] = '/';
		memcpy(out + *domlen + 1, path, plen + 1);
	}
	return out;
}
