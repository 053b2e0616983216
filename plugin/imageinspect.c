/* imageinspect: GET /images/{name}/json from dockerd with libcurl.
 *
 * libcurl is not linked: it is opened with dlopen the first time a policy
 * with unset-user: inspect is loaded or a look-up is made. Linked, it
 * mapped some twenty libraries (OpenSSL, krb5, ldap, ssh2, nghttp2, ...)
 * into every daemon, about 2 MiB resident plus libcrypto's 3 MiB, for a
 * feature the default policy does not use (issue 7). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "imageinspect.h"
#include "strbuf.h"

/* dockerd's answer is a few KiB; anything near this is not an image. */
#define MAX_REPLY (4u << 20)

/* Debian's libcurl4, the library libcurl4-openssl-dev builds against. */
#define LIBCURL_SONAME "libcurl.so.4"

struct cache_entry {
	char id[72]; /* "sha256:<64 hex>", "" when free */
	char *user;
};

struct imageinspect {
	char *unix_path; /* set for unix:// */
	char *base_url;  /* "http://docker" or "http://host:port" */
	long timeout_ms;
	pthread_mutex_t lock; /* the cache */
	struct cache_entry *cache;
	size_t ncache;
};

/* The libcurl functions used here, typed from curl.h's own prototypes so
 * a mismatch cannot compile. Through these pointers curl.h's type-checking
 * macros for setopt/getinfo do not apply: each option's argument below is
 * the type the option takes (long, char *, a callback, a pointer). Set
 * once by load_curl, read-only afterwards. */
static struct {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
/* Atomic for imageinspect_global_cleanup, which reads it without the once:
 * set (release) after every cu field is written. */
static _Atomic bool cu_ready;
static char cu_error[512]; /* why not, when !cu_ready */

static void *cu_sym(void *h, const char *lib, const char *name)
{
	void *f = dlsym(h, name);
	if (f == NULL && cu_error[0] == '\0')
		snprintf(cu_error, sizeof cu_error, "libcurl4 is broken: %s has no %s",
		         lib, name);
	return f;
}

#define CU_SYM(h, lib, field) \
	(cu.field = (__typeof__(cu.field))cu_sym(h, lib, "curl_" #field))

/* Runs once (pthread_once), on whichever thread first needs libcurl; every
 * other caller waits for it. curl_global_init is not thread-safe in every
 * libcurl, which the once also covers. */
static void load_curl(void)
{
	/* Test hook, documented in doc/testing.md: another soname, so the
	 * tests can see a daemon without libcurl fail closed. Only root's own
	 * environment reaches a root daemon, and LD_PRELOAD already gives it
	 * more; secure_getenv ignores it in a set-id process all the same. */
	const char *lib = secure_getenv("DOCKGATE_TEST_LIBCURL");
	if (lib == NULL || lib[0] == '\0')
		lib = LIBCURL_SONAME;
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(cu_error, sizeof cu_error,
		         "libcurl4 is missing on the dockgate host: %s", e ? e : lib);
		return;
	}
	CU_SYM(h, lib, global_init);
	CU_SYM(h, lib, global_cleanup);
	CU_SYM(h, lib, easy_init);
	CU_SYM(h, lib, easy_setopt);
	CU_SYM(h, lib, easy_perform);
	CU_SYM(h, lib, easy_getinfo);
	CU_SYM(h, lib, easy_cleanup);
	CU_SYM(h, lib, easy_strerror);
	if (cu_error[0] != '\0') {
		dlclose(h);
		return;
	}
	CURLcode rc = cu.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		snprintf(cu_error, sizeof cu_error, "curl_global_init failed: %s",
		         cu.easy_strerror(rc));
		return; /* left mapped: what a failed init set up may point into it */
	}
	/* Never closed: libcurl's TLS library keeps exit handlers in it. */
	cu_ready = true;
}

bool imageinspect_load(const char **why)
{
	pthread_once(&cu_once, load_curl);
	*why = cu_ready ? NULL : cu_error;
	return cu_ready;
}

/* At exit, with no look-up running. Never loads libcurl to clean it up. */
void imageinspect_global_cleanup(void)
{
	if (cu_ready)
		cu.global_cleanup();
}

struct imageinspect *imageinspect_new(const char *host, size_t cache_max,
                                      long timeout_ms, char **why)
{
	struct imageinspect *ii = calloc(1, sizeof *ii);

	*why = NULL;
	if (ii == NULL)
		goto oom;
	if (strncmp(host, "unix://", 7) == 0 && host[7] == '/') {
		ii->unix_path = strdup(host + 7);
		ii->base_url = strdup("http://docker");
		if (ii->unix_path == NULL || ii->base_url == NULL)
			goto oom;
	} else if (strncmp(host, "tcp://", 6) == 0 && host[6] != '\0' &&
	           strchr(host + 6, '/') == NULL) {
		ii->base_url = xasprintf("http://%s", host + 6);
		if (ii->base_url == NULL)
			goto oom;
	} else {
		*why = xasprintf("--docker-host %s: expected unix:///PATH or "
		                 "tcp://HOST:PORT", host);
		imageinspect_free(ii);
		return NULL;
	}
	ii->timeout_ms = timeout_ms;
	ii->ncache = cache_max > 0 ? cache_max : 1;
	ii->cache = calloc(ii->ncache, sizeof *ii->cache);
	if (ii->cache == NULL)
		goto oom;
	pthread_mutex_init(&ii->lock, NULL);
	return ii;
oom:
	*why = strdup("out of memory");
	if (ii != NULL) {
		free(ii->unix_path);
		free(ii->base_url);
		free(ii);
	}
	return NULL;
}

void imageinspect_free(struct imageinspect *ii)
{
	if (ii == NULL)
		return;
	if (ii->cache != NULL) {
		for (size_t i = 0; i < ii->ncache; i++)
			free(ii->cache[i].user);
		free(ii->cache);
		pthread_mutex_destroy(&ii->lock);
	}
	free(ii->unix_path);
	free(ii->base_url);
	free(ii);
}

bool imageinspect_wanted(const struct policy *p, const struct request *rq)
{
	return p->unset_user_inspect && p->action[RULE_NO_ROOT] != RULE_OFF &&
	       rq->route.action == ACTION_CONTAINER_CREATE &&
	       rq->body_status == BODY_OK &&
	       (rq->create.user == NULL || rq->create.user[0] == '\0');
}

/* "sha256:<64 hex>" for an image named by its full ID, else NULL. New. */
static char *full_id(const char *image)
{
	const char *hex = strncmp(image, "sha256:", 7) == 0 ? image + 7 : image;
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return NULL;
	return xasprintf("sha256:%s", hex);
}

/* A slot for id: FNV-1a over the ID, direct-mapped. A collision evicts,
 * which keeps the bound without any bookkeeping. */
static struct cache_entry *slot(struct imageinspect *ii, const char *id)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return &ii->cache[h % ii->ncache];
}

static void set_known(struct request *rq, const char *user)
{
	free(rq->image_user.user);
	free(rq->image_user.why);
	rq->image_user.why = NULL;
	rq->image_user.user = strdup(user);
	rq->image_user.status =
	    rq->image_user.user ? IMAGE_USER_KNOWN : IMAGE_USER_FAILED;
}

static void set_failed(struct request *rq, char *why)
{
	image_user_failed(&rq->image_user, why);
}

bool imageinspect_from_cache(struct imageinspect *ii, struct request *rq)
{
	if (ii == NULL || rq->create.image == NULL)
		return false;
	char *id = full_id(rq->create.image);
	if (id == NULL)
		return false;
	bool hit = false;
	pthread_mutex_lock(&ii->lock);
	struct cache_entry *e = slot(ii, id);
	if (strcmp(e->id, id) == 0 && e->user != NULL) {
		set_known(rq, e->user);
		hit = true;
	}
	pthread_mutex_unlock(&ii->lock);
	free(id);
	return hit;
}

static void cache_put(struct imageinspect *ii, const char *id, const char *user)
{
	if (strlen(id) >= sizeof ((struct cache_entry *)0)->id)
		return;
	char *u = strdup(user);
	if (u == NULL)
		return;
	pthread_mutex_lock(&ii->lock);
	struct cache_entry *e = slot(ii, id);
	free(e->user);
	e->user = u;
	strcpy(e->id, id);
	pthread_mutex_unlock(&ii->lock);
}

static size_t on_data(char *data, size_t size, size_t n, void *cls)
{
	struct strbuf *sb = cls;
	if (sb->len + size * n > MAX_REPLY)
		return 0; /* makes curl fail the transfer */
	strbuf_add(sb, data, size * n);
	return size * n;
}

/* A reference is passed in the URL path as dockerd's CLI does, unescaped;
 * anything outside the reference alphabet is refused rather than escaped
 * into something dockerd would read differently. */
static bool url_safe(const char *s)
{
	return s[0] != '\0' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789._-/:@") == strlen(s) &&
	       strstr(s, "..") == NULL;
}

void imageinspect_lookup(struct imageinspect *ii, struct request *rq)
{
	const char *image = rq->create.image;
	struct strbuf body = STRBUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *why;
	long status = 0;

	if (ii == NULL) {
		set_failed(rq, strdup("no --docker-host to ask"));
		return;
	}
	if (image == NULL || !url_safe(image)) {
		set_failed(rq, strdup("not an image reference dockerd can look up"));
		return;
	}
	/* Fails closed: without libcurl no image is known to be non-root. */
	if (!imageinspect_load(&why)) {
		set_failed(rq, strdup(why));
		return;
	}
	char *url = xasprintf("%s/images/%s/json", ii->base_url, image);
	CURL *c = cu.easy_init();
	if (url == NULL || c == NULL) {
		free(url);
		if (c != NULL)
			cu.easy_cleanup(c);
		set_failed(rq, strdup("out of memory"));
		return;
	}
	cu.easy_setopt(c, CURLOPT_URL, url);
	if (ii->unix_path != NULL)
		cu.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, ii->unix_path);
	cu.easy_setopt(c, CURLOPT_TIMEOUT_MS, ii->timeout_ms);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, &body);
	CURLcode rc = cu.easy_perform(c);
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	cu.easy_cleanup(c);
	free(url);

	if (rc != CURLE_OK || body.oom) {
		set_failed(rq, xasprintf("dockerd did not answer: %s",
		                         errbuf[0] ? errbuf : cu.easy_strerror(rc)));
		strbuf_release(&body);
		return;
	}
	if (status == 404) {
		/* Fail closed: the image may be pulled between this answer and
		 * dockerd's create. */
		set_failed(rq, strdup("it is not on this host yet; docker pull it "
		                      "first"));
		strbuf_release(&body);
		return;
	}
	if (status != 200) {
		set_failed(rq, xasprintf("dockerd answered HTTP %ld", status));
		strbuf_release(&body);
		return;
	}
	json_error_t err;
	json_t *root = json_loadb(body.buf ? body.buf : "", body.len, 0, &err);
	strbuf_release(&body);
	json_t *cfg = root ? json_object_get(root, "Config") : NULL;
	json_t *user = cfg ? json_object_get(cfg, "User") : NULL;
	const char *id = root ? json_string_value(json_object_get(root, "Id")) : NULL;
	if (root == NULL || id == NULL ||
	    (user != NULL && !json_is_string(user) && !json_is_null(user))) {
		set_failed(rq, strdup("dockerd's answer has no Id or Config.User"));
		json_decref(root);
		return;
	}
	const char *u = json_is_string(user) ? json_string_value(user) : "";
	set_known(rq, u);
	cache_put(ii, id, u);
	json_decref(root);
}
