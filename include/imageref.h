/* imageref: image references parsed and normalized as dockerd does
 * (github.com/distribution/reference, ParseNormalizedNamed). */
#ifndef DOCKGATE_IMAGEREF_H
#define DOCKGATE_IMAGEREF_H

#include <stdbool.h>

enum imageref_status {
	IMAGEREF_OK = 0,
	IMAGEREF_EMPTY,   /* "" */
	IMAGEREF_ID,      /* a 64-hex image ID (or "sha256:<64hex>") */
	IMAGEREF_INVALID, /* not a reference dockerd would accept */
};

struct imageref {
	char *domain; /* "docker.io", "ghcr.io", "localhost:5000" */
	char *path;   /* "library/nginx", "acme/app" */
	char *tag;    /* "latest" when neither tag nor digest was given; NULL
	               * when a digest is present (the digest wins) */
	char *digest; /* "sha256:...", or NULL */
	char *name;   /* domain "/" path */
	char *full;   /* name ":" tag, or name "@" digest */
	bool tag_given; /* the input named a tag explicitly */
	/* The strings are one allocation, which name starts. */
};

/* Parses s. On IMAGEREF_OK fills *ref (free with imageref_clear); on any
 * other status *ref is zeroed and *why (static text) says what is wrong. */
enum imageref_status imageref_parse(const char *s, struct imageref *ref,
                                    const char **why);
void imageref_clear(struct imageref *ref);

/* Pattern for an allow list: "DOMAIN[/PATH...]" where the first component is
 * always a domain ("docker.io/library", "ghcr.io/acme", "localhost:5000").
 * Returns false and sets *why when the pattern cannot be one (for example
 * when its first component does not look like a registry host). */
bool imageref_pattern_valid(const char *pattern, const char **why);

/* True when ref's name lies under pattern, compared on whole '/'-separated
 * components: "ghcr.io/acme" matches "ghcr.io/acme" and "ghcr.io/acme/app",
 * never "ghcr.io/acme-evil/app"; "registry.example.com" never matches
 * "registry.example.com.evil.io/x". The domain compares case-insensitively
 * ("index.docker.io" in a pattern means "docker.io"). */
bool imageref_match(const struct imageref *ref, const char *pattern);

/* The key imageref_match compares domains on: the first '/'-separated
 * component of s (a pattern, or a parsed reference's domain), lower-cased,
 * with "index.docker.io" read as "docker.io". Two domains match exactly
 * when their keys are equal. Returns a new string, NULL when out of
 * memory. */
char *imageref_domain_key(const char *s);
/* The same key followed by "/" and path, in one allocation; *domlen is
 * the key's length. */
char *imageref_domain_key_path(const char *s, const char *path, size_t *domlen);

#endif
