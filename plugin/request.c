/* request: AuthZ request -> request model. The container-create body is
 * decoded the way dockerd's ContainerDecoder does (encoding/json into
 * container.Config with HostConfig beside it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "gojson.h"
#include "jdoc.h"
#include "request.h"
#include "strbuf.h"

/* Says why a field could not be read, as a new string. */
static char *field_why(enum gojson_status st, const char *obj, const char *field)
{
	if (st == GOJSON_AMBIGUOUS)
		return xasprintf("%s.%s has keys that differ only in case", obj, field);
	return xasprintf("%s.%s has the wrong JSON type", obj, field);
}

/* StrSlice fields (CapAdd, Binds, ...) accept a list of strings or a
 * single string, and a null element is "" (docker/api/types/strslice).
 * Finds name in obj and checks that shape: *first is its first item (the
 * string itself, or the list's first element; the next is first +
 * first->span) and *n how many (0 when absent or empty). */
static enum gojson_status strslice_items(const jv *obj, const char *name,
                                         const jv **first, size_t *n)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	*first = NULL;
	*n = 0;
	if (st != GOJSON_OK)
		return st == GOJSON_ABSENT ? GOJSON_OK : st;
	if (jv_is_string(v)) {
		*first = v;
		*n = 1;
		return GOJSON_OK;
	}
	if (!jv_is_array(v))
		return GOJSON_BADTYPE;
	const jv *e = v + 1;
	for (uint32_t i = 0; i < v->size; i++, e += e->span)
		if (!jv_is_string(e) && !jv_is_null(e))
			return GOJSON_BADTYPE;
	*first = v + 1;
	*n = v->size;
	return GOJSON_OK;
}

/* A StrSlice item's text: "" for null. */
static const char *strslice_text(const jv *e)
{
	return jv_is_null(e) ? "" : e->u.s;
}

/* A StrSlice field as a list of strings, all a's. */
static enum gojson_status get_strslice(struct arena *a, const jv *obj,
                                       const char *name, char ***out,
                                       size_t *n)
{
	const jv *e;
	size_t len;
	enum gojson_status st = strslice_items(obj, name, &e, &len);
	if (st != GOJSON_OK || len == 0)
		return st;
	if ((*out = arena_alloc(a, len * sizeof **out)) == NULL)
		return GOJSON_BADTYPE;
	for (size_t i = 0; i < len; i++, e += e->span) {
		if (((*out)[i] = arena_strdup(a, strslice_text(e))) == NULL)
			return GOJSON_BADTYPE;
		*n = i + 1;
	}
	return GOJSON_OK;
}

/* Appends a copy of path[0..len) to the list *vp of *n, both a's.
 * Returns 0 or -1. */
static int push_host_path(struct arena *a, struct host_path **vp, size_t *n,
                          size_t *room, const char *path, size_t len,
                          const char *origin)
{
	struct host_path *v = arena_grow(a, *vp, *n, room, sizeof *v);
	if (v == NULL)
		return -1;
	*vp = v;
	if ((v[*n].path = arena_strndup(a, path, len)) == NULL)
		return -1;
	v[(*n)++].origin = origin;
	return 0;
}

static int add_host_path(struct container_spec *spec, const char *path,
                         size_t len, const char *origin)
{
	return push_host_path(&spec->arena, &spec->host_paths,
	                      &spec->n_host_paths, &spec->room_host_paths, path,
	                      len, origin);
}

/* True when "o" of a volume's driver options holds bind or rbind. */
static bool opts_bind(const char *o)
{
	while (o != NULL && *o) {
		size_t n = strcspn(o, ",");
		if ((n == 4 && strncmp(o, "bind", 4) == 0) ||
		    (n == 5 && strncmp(o, "rbind", 5) == 0))
			return true;
		o += n;
		if (*o == ',')
			o++;
	}
	return false;
}

/* The host path a volume's driver options mount, into the list *vp of *n: the local
 * driver mounts "device" with mount(2), so an absolute device is a host
 * path (a directory bound with type=none,o=bind, or a disk), and with a
 * bind a relative one is resolved from dockerd's working directory, so it
 * is kept (and refused) too. A remote device (NFS ":/export") is not a
 * host path. opts is a Go map: keys match exactly. Returns BODY_OK, or
 * BODY_INVALID with *why. */
static enum body_status driver_device(const jv *opts, const char *where,
                                      struct arena *a, struct host_path **vp,
                                      size_t *n, size_t *room, char **why)
{
	const jv *dev = jv_object_get(opts, "device");
	const jv *type = jv_object_get(opts, "type");
	const jv *o = jv_object_get(opts, "o");
	if (dev == NULL)
		return BODY_OK;
	if (!jv_is_string(dev) || (type != NULL && !jv_is_string(type)) ||
	    (o != NULL && !jv_is_string(o))) {
		*why = xasprintf("%s has a value of the wrong JSON type", where);
		return BODY_INVALID;
	}
	const char *d = dev->u.s;
	bool bind = opts_bind(o ? o->u.s : NULL) ||
	            (type != NULL && strcmp(type->u.s, "none") == 0);
	if ((d[0] == '/' || (bind && d[0] != '\0')) &&
	    push_host_path(a, vp, n, room, d, dev->size, "volume options") < 0) {
		*why = strdup("out of memory while decoding the request body");
		return BODY_INVALID;
	}
	return BODY_OK;
}

/* True when s is a mode list docker's Linux bind parser accepts as the
 * second field of "target:mode" ("ro", "rw,z", "rshared", ...). */
static bool bind_mode(const char *s)
{
	static const char *const modes[] = {
	    "ro",      "rw",     "z",     "Z",      "shared", "rshared",
	    "slave",   "rslave", "private", "rprivate", "nocopy", NULL};
	if (*s == '\0')
		return false;
	while (*s) {
		size_t n = strcspn(s, ",");
		bool ok = false;
		for (size_t i = 0; modes[i] && !ok; i++)
			ok = strlen(modes[i]) == n && strncmp(modes[i], s, n) == 0;
		if (!ok)
			return false;
		s += n;
		if (*s == ',')
			s++;
	}
	return true;
}

/* The host path a Binds entry mounts, as docker's Linux parser splits
 * "source:target[:mode]" (a one-field entry, or "target:mode", is an
 * anonymous volume; a source that is not absolute is a named volume).
 * Anything with more fields dockerd refuses; its first field is still
 * judged, which can only be stricter. Returns the length of raw's
 * host-path prefix, 0 when the entry mounts no host path. */
static size_t bind_source(const char *raw)
{
	const char *c1 = strchr(raw, ':');
	if (c1 == NULL)
		return 0;
	const char *c2 = strchr(c1 + 1, ':');
	if (c2 == NULL && bind_mode(c1 + 1))
		return 0;
	if (raw[0] != '/')
		return 0;
	return (size_t)(c1 - raw);
}

/* Reads an array field: its length into *n (0 when absent), whatever the
 * elements are. BADTYPE when it is not an array. */
static enum gojson_status get_array_len(const jv *obj, const char *name,
                                        size_t *n)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	*n = 0;
	if (st != GOJSON_OK)
		return st == GOJSON_ABSENT ? GOJSON_OK : st;
	if (!jv_is_array(v))
		return GOJSON_BADTYPE;
	*n = v->size;
	return GOJSON_OK;
}

/* A []string that unmasks when given empty: *empty is true for []. */
static enum gojson_status get_empty_list(const jv *obj, const char *name,
                                         bool *empty)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	*empty = false;
	if (st != GOJSON_OK)
		return st == GOJSON_ABSENT ? GOJSON_OK : st;
	if (!jv_is_array(v))
		return GOJSON_BADTYPE;
	*empty = v->size == 0;
	return GOJSON_OK;
}

/* Says in *why what went wrong with one field and returns the status the
 * body gets. st is not GOJSON_OK. */
static enum body_status field_fail(enum gojson_status st, const char *obj,
                                   const char *field, char **why)
{
	*why = field_why(st, obj, field);
	return st == GOJSON_AMBIGUOUS ? BODY_AMBIGUOUS : BODY_INVALID;
}

/* One Mounts[] entry: a bind's Source, and a volume whose driver options
 * name a "device" path on the host (the local driver's
 * type=none,o=bind,device=/ makes a bind mount of it). Driver options are a
 * Go map, so their keys match exactly, as the local driver reads them. */
static enum body_status decode_mount(const jv *m, struct container_spec *spec,
                                     char **why)
{
	const char *dup, *type = "", *src = "";
	enum gojson_status st;
	const jv *vo = NULL, *dc = NULL, *opts = NULL;

	if (!jv_is_object(m))
		return field_fail(GOJSON_BADTYPE, "HostConfig", "Mounts", why);
	if (!gojson_unambiguous(m, &dup))
		return field_fail(GOJSON_AMBIGUOUS, "HostConfig", "Mounts", why);
	if ((st = gojson_get_string(m, "Type", &type)) > GOJSON_ABSENT)
		return field_fail(st, "Mounts[]", "Type", why);
	if ((st = gojson_get_string(m, "Source", &src)) > GOJSON_ABSENT)
		return field_fail(st, "Mounts[]", "Source", why);
	/* dockerd knows the type only spelled "bind"; any case is judged. */
	if (strcasecmp(type, "bind") == 0 &&
	    add_host_path(spec, src, strlen(src), "Mounts") < 0)
		goto oom;
	if ((st = gojson_get_object(m, "VolumeOptions", &vo)) > GOJSON_ABSENT)
		return field_fail(st, "Mounts[]", "VolumeOptions", why);
	if (vo != NULL &&
	    (st = gojson_get_object(vo, "DriverConfig", &dc)) > GOJSON_ABSENT)
		return field_fail(st, "VolumeOptions", "DriverConfig", why);
	if (dc != NULL &&
	    (st = gojson_get_object(dc, "Options", &opts)) > GOJSON_ABSENT)
		return field_fail(st, "DriverConfig", "Options", why);
	if (opts != NULL)
		return driver_device(opts, "DriverConfig.Options", &spec->arena,
		                     &spec->host_paths, &spec->n_host_paths,
		                     &spec->room_host_paths, why);
	return BODY_OK;
oom:
	*why = strdup("out of memory while decoding the request body");
	return BODY_INVALID;
}

/* Sysctls is a Go map: its keys are the kernel's names, exact. */
static enum body_status decode_sysctls(const jv *obj, const char *obj_name,
                                       struct container_spec *spec, char **why)
{
	const jv *v;
	enum gojson_status st = gojson_get(obj, "Sysctls", &v);
	if (st == GOJSON_ABSENT)
		return BODY_OK;
	if (st != GOJSON_OK)
		return field_fail(st, obj_name, "Sysctls", why);
	const jv *val;
	uint32_t i;
	if (!jv_is_object(v))
		return field_fail(GOJSON_BADTYPE, obj_name, "Sysctls", why);
	size_t n = v->size;
	if (n > 0 &&
	    (spec->sysctls = arena_alloc(&spec->arena, n * sizeof *spec->sysctls)) ==
	        NULL)
		goto oom;
	jv_foreach(v, i, val)
	{
		if (!jv_is_string(val) && !jv_is_null(val))
			return field_fail(GOJSON_BADTYPE, obj_name, "Sysctls", why);
		if (spec->n_sysctls < n &&
		    (spec->sysctls[spec->n_sysctls++] =
		         arena_strdup(&spec->arena, val->key)) == NULL)
			goto oom;
	}
	return BODY_OK;
oom:
	*why = strdup("out of memory while decoding the request body");
	return BODY_INVALID;
}

/* Whether a CapDrop list (HostConfig.CapDrop, ContainerSpec.CapabilityDrop)
 * holds "ALL" (any case, "CAP_" optional, as dockerd reads it). */
static enum gojson_status get_drop_all(const jv *obj, const char *name,
                                       bool *all)
{
	const jv *e;
	size_t n;
	enum gojson_status st = strslice_items(obj, name, &e, &n);
	*all = false;
	for (size_t i = 0; i < n; i++, e += e->span) {
		const char *c = strslice_text(e);
		if (strncasecmp(c, "CAP_", 4) == 0)
			c += 4;
		if (strcasecmp(c, "ALL") == 0)
			*all = true;
	}
	return st;
}

/* Reads the JSON seccomp profiles among spec's SecurityOpt entries (the
 * last one wins, as in dockerd) into spec->seccomp_lax: a profile whose
 * defaultAction allows every syscall is "unconfined" by another name, and
 * one that cannot be read (not JSON, keys that differ only in case, no
 * defaultAction) is refused rather than guessed. Returns 0 or -1. */
static int seccomp_profiles(struct container_spec *spec)
{
	for (size_t i = 0; i < spec->n_security_opt; i++) {
		const char *o = spec->security_opt[i];
		const char *sep = strchr(o, '=');
		if (sep == NULL)
			sep = strchr(o, ':');
		if (sep == NULL || (size_t)(sep - o) != 7 ||
		    strncasecmp(o, "seccomp", 7) != 0)
			continue;
		const char *v = sep + 1, *act = NULL, *dup;
		spec->seccomp_lax = NULL;
		if (strcasecmp(v, "unconfined") == 0 || strcmp(v, "builtin") == 0)
			continue;
		json_error_t err;
		jdoc *doc = jdoc_load(v, strlen(v), JSON_REJECT_DUPLICATES, &err);
		const jv *prof = doc != NULL ? jdoc_root(doc) : NULL;
		if (prof != NULL && jv_is_object(prof) &&
		    gojson_unambiguous(prof, &dup))
			gojson_get_string(prof, "defaultAction", &act);
		const char *lax = NULL;
		if (act == NULL || act[0] == '\0')
			lax = "";
		else if (strcmp(act, "SCMP_ACT_ALLOW") == 0 ||
		         strcmp(act, "SCMP_ACT_LOG") == 0)
			lax = act;
		if (lax != NULL &&
		    (spec->seccomp_lax = arena_strdup(&spec->arena, lax)) == NULL) {
			jdoc_free(doc);
			return -1;
		}
		jdoc_free(doc);
	}
	return 0;
}

/* The HostConfig fields beyond the five rules' (privileges, namespaces,
 * mounts, devices, security options), from hc called hc_name. */
static enum body_status decode_host_more(const jv *hc, const char *hc_name,
                                         struct container_spec *spec,
                                         char **why)
{
	static const char *const ns_fields[NS__COUNT] = {
	    "NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode",
	    "CgroupnsMode"};
	enum gojson_status st;
	const char *s;
	const jv *v;

	if ((st = gojson_get_bool(hc, "Privileged", &spec->privileged)) > GOJSON_ABSENT)
		return field_fail(st, hc_name, "Privileged", why);
	if ((st = get_drop_all(hc, "CapDrop", &spec->cap_drop_all)) != GOJSON_OK)
		return field_fail(st, hc_name, "CapDrop", why);
	for (int i = 0; i < NS__COUNT; i++) {
		s = NULL;
		if ((st = gojson_get_string(hc, ns_fields[i], &s)) > GOJSON_ABSENT)
			return field_fail(st, hc_name, ns_fields[i], why);
		if (s != NULL &&
		    (spec->ns_mode[i] = arena_strdup(&spec->arena, s)) == NULL)
			goto oom;
	}

	/* A StrSlice, of which only the host paths are kept. */
	size_t n_binds;
	if ((st = strslice_items(hc, "Binds", &v, &n_binds)) != GOJSON_OK)
		return field_fail(st, hc_name, "Binds", why);
	for (size_t i = 0; i < n_binds; i++, v += v->span) {
		const char *b = strslice_text(v);
		size_t n = bind_source(b);
		if (n > 0 && add_host_path(spec, b, n, "Binds") < 0)
			goto oom;
	}

	if ((st = gojson_get(hc, "Mounts", &v)) == GOJSON_OK) {
		if (!jv_is_array(v))
			return field_fail(GOJSON_BADTYPE, hc_name, "Mounts", why);
		for (const jv *m = v + 1; m < v + v->span; m += m->span) {
			if (jv_is_null(m))
				continue;
			enum body_status bs = decode_mount(m, spec, why);
			if (bs != BODY_OK)
				return bs;
		}
	} else if (st != GOJSON_ABSENT) {
		return field_fail(st, hc_name, "Mounts", why);
	}

	st = get_strslice(&spec->arena, hc, "VolumesFrom", &spec->volumes_from,
	                  &spec->n_volumes_from);
	if (st != GOJSON_OK)
		return field_fail(st, hc_name, "VolumesFrom", why);
	if ((st = get_array_len(hc, "Devices", &spec->n_devices)) != GOJSON_OK)
		return field_fail(st, hc_name, "Devices", why);
	if ((st = get_array_len(hc, "DeviceCgroupRules",
	                        &spec->n_device_cgroup_rules)) != GOJSON_OK)
		return field_fail(st, hc_name, "DeviceCgroupRules", why);
	if ((st = get_array_len(hc, "DeviceRequests",
	                        &spec->n_device_requests)) != GOJSON_OK)
		return field_fail(st, hc_name, "DeviceRequests", why);
	st = get_strslice(&spec->arena, hc, "SecurityOpt", &spec->security_opt,
	                  &spec->n_security_opt);
	if (st != GOJSON_OK)
		return field_fail(st, hc_name, "SecurityOpt", why);
	/* The list is exactly as long as what it holds. */
	spec->room_security_opt = spec->n_security_opt;
	if (seccomp_profiles(spec) < 0)
		goto oom;
	if ((st = get_empty_list(hc, "MaskedPaths", &spec->masked_paths_empty)) !=
	    GOJSON_OK)
		return field_fail(st, hc_name, "MaskedPaths", why);
	if ((st = get_empty_list(hc, "ReadonlyPaths",
	                         &spec->readonly_paths_empty)) != GOJSON_OK)
		return field_fail(st, hc_name, "ReadonlyPaths", why);

	return decode_sysctls(hc, hc_name, spec, why);
oom:
	*why = strdup("out of memory while decoding the request body");
	return BODY_INVALID;
}

/* Parses body as dockerd does (only the first JSON value, an object) and
 * checks its top-level keys are unambiguous: exact duplicate keys anywhere
 * are refused by the reader, case-folded ones here (and by each decoder
 * for the objects it reads). Returns BODY_OK with *doc (the caller frees
 * it) and *root, or the status with *why. */
static enum body_status load_object(const unsigned char *body, size_t len,
                                    jdoc **doc, const jv **root, char **why)
{
	json_error_t err;
	const char *dup;

	*root = NULL;
	*doc = jdoc_load((const char *)body, len,
	                 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
	if (*doc == NULL) {
		if (json_error_code(&err) == json_error_duplicate_key) {
			*why = xasprintf("request body has a duplicate key (%s)", err.text);
			return BODY_AMBIGUOUS;
		}
		*why = xasprintf("request body is not valid JSON: %s (at byte %d)",
		                 err.text, err.position);
		return BODY_INVALID;
	}
	enum body_status st = BODY_OK;
	const jv *r = jdoc_root(*doc);
	if (!jv_is_object(r)) {
		*why = strdup("request body is not a JSON object");
		st = BODY_INVALID;
	} else if (!gojson_unambiguous(r, &dup)) {
		*why = xasprintf("request body has keys that differ only in case "
		                 "('%s')", dup);
		st = BODY_AMBIGUOUS;
	}
	if (st != BODY_OK) {
		jdoc_free(*doc);
		*doc = NULL;
		return st;
	}
	*root = r;
	return BODY_OK;
}

enum body_status request_decode_create(const unsigned char *body, size_t len,
                                       struct container_spec *spec,
                                       char **why)
{
	enum gojson_status st;
	const char *s;
	const jv *hc = NULL, *root;
	jdoc *doc;

	memset(spec, 0, sizeof *spec);
	*why = NULL;
	enum body_status ret = load_object(body, len, &doc, &root, why);
	if (ret != BODY_OK)
		return ret;
	ret = BODY_INVALID;

	s = NULL;
	if ((st = gojson_get_string(root, "Image", &s)) == GOJSON_BADTYPE)
		goto bad_root;
	if (s != NULL && (spec->image = arena_strdup(&spec->arena, s)) == NULL)
		goto oom;
	s = "";
	if ((st = gojson_get_string(root, "User", &s)) == GOJSON_BADTYPE) {
		*why = field_why(st, "Config", "User");
		goto out;
	}
	if ((spec->user = arena_strdup(&spec->arena, s)) == NULL)
		goto oom;

	st = gojson_get_object(root, "HostConfig", &hc);
	if (st == GOJSON_AMBIGUOUS) {
		*why = strdup("request body's HostConfig has keys that differ only "
		              "in case");
		ret = BODY_AMBIGUOUS;
		goto out;
	}
	if (st == GOJSON_BADTYPE) {
		*why = strdup("request body's HostConfig is not a JSON object");
		goto out;
	}
	/* Older engines (20.10 among them: runconfig.ContainerConfigWrapper)
	 * also embed a HostConfig in the top level and use it when the body
	 * has no "HostConfig": {"Image":"x","CapAdd":["ALL"]} adds every
	 * capability. Read the fields there then; engines that ignore them
	 * only make this stricter. */
	const char *hc_name = "HostConfig";
	if (hc == NULL) {
		hc = root;
		hc_name = "Config";
	}
	if (hc != NULL) {
		static const struct {
			const char *name;
			size_t off;
		} ints[] = {
		    {"Memory", offsetof(struct container_spec, memory)},
		    {"NanoCpus", offsetof(struct container_spec, nano_cpus)},
		    {"CpuQuota", offsetof(struct container_spec, cpu_quota)},
		    {"CpuPeriod", offsetof(struct container_spec, cpu_period)},
		    {"PidsLimit", offsetof(struct container_spec, pids_limit)},
		};
		for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
			int64_t *dst = (int64_t *)((char *)spec + ints[i].off);
			st = gojson_get_int64(hc, ints[i].name, dst);
			if (st == GOJSON_BADTYPE) {
				*why = field_why(st, hc_name, ints[i].name);
				goto out;
			}
		}
		st = gojson_get_bool(hc, "ReadonlyRootfs", &spec->readonly_rootfs);
		if (st == GOJSON_BADTYPE) {
			*why = field_why(st, hc_name, "ReadonlyRootfs");
			goto out;
		}
		st = get_strslice(&spec->arena, hc, "CapAdd", &spec->cap_add,
		                  &spec->n_cap_add);
		if (st != GOJSON_OK) {
			*why = field_why(st, hc_name, "CapAdd");
			goto out;
		}
		ret = decode_host_more(hc, hc_name, spec, why);
		if (ret != BODY_OK)
			goto out;
	}
	jdoc_free(doc);
	return BODY_OK;

bad_root:
	*why = field_why(st, "Config", "Image");
	goto out;
oom:
	*why = strdup("out of memory while decoding the request body");
out:
	jdoc_free(doc);
	container_spec_clear(spec);
	return ret;
}

void container_spec_clear(struct container_spec *spec)
{
	if (spec == NULL)
		return;
	arena_free(&spec->arena);
	memset(spec, 0, sizeof *spec);
}

enum body_status request_decode_exec(const unsigned char *body, size_t len,
                                     struct exec_spec *spec, char **why)
{
	jdoc *doc;
	const jv *root;
	enum gojson_status st;
	const char *user = "";

	memset(spec, 0, sizeof *spec);
	*why = NULL;
	enum body_status ret = load_object(body, len, &doc, &root, why);
	if (ret != BODY_OK)
		return ret;
	if ((st = gojson_get_string(root, "User", &user)) > GOJSON_ABSENT)
		ret = field_fail(st, "ExecConfig", "User", why);
	else if ((st = gojson_get_bool(root, "Privileged", &spec->privileged)) >
	         GOJSON_ABSENT)
		ret = field_fail(st, "ExecConfig", "Privileged", why);
	else if ((spec->user = strdup(user)) == NULL) {
		*why = strdup("out of memory while decoding the request body");
		ret = BODY_INVALID;
	}
	jdoc_free(doc);
	if (ret != BODY_OK)
		exec_spec_clear(spec);
	return ret;
}

void exec_spec_clear(struct exec_spec *spec)
{
	if (spec == NULL)
		return;
	free(spec->user);
	memset(spec, 0, sizeof *spec);
}

enum body_status request_decode_update(const unsigned char *body, size_t len,
                                       struct update_spec *spec, char **why)
{
	static const struct {
		const char *name;
		size_t off;
	} ints[] = {
	    {"Memory", offsetof(struct update_spec, memory)},
	    {"NanoCpus", offsetof(struct update_spec, nano_cpus)},
	    {"CpuQuota", offsetof(struct update_spec, cpu_quota)},
	    {"CpuPeriod", offsetof(struct update_spec, cpu_period)},
	};
	jdoc *doc;
	const jv *root;
	enum gojson_status st;

	memset(spec, 0, sizeof *spec);
	*why = NULL;
	enum body_status ret = load_object(body, len, &doc, &root, why);
	if (ret != BODY_OK)
		return ret;
	/* container.UpdateConfig embeds Resources: the limits are top-level. */
	for (size_t i = 0; i < sizeof ints / sizeof ints[0] && ret == BODY_OK; i++) {
		int64_t *dst = (int64_t *)((char *)spec + ints[i].off);
		if ((st = gojson_get_int64(root, ints[i].name, dst)) > GOJSON_ABSENT)
			ret = field_fail(st, "UpdateConfig", ints[i].name, why);
	}
	if (ret == BODY_OK) {
		/* PidsLimit is a *int64: null or absent leaves it unchanged,
		 * 0 or -1 removes the limit. */
		st = gojson_get_int64(root, "PidsLimit", &spec->pids_limit);
		if (st == GOJSON_OK)
			spec->has_pids_limit = true;
		else if (st != GOJSON_ABSENT)
			ret = field_fail(st, "UpdateConfig", "PidsLimit", why);
	}
	jdoc_free(doc);
	if (ret != BODY_OK)
		memset(spec, 0, sizeof *spec);
	return ret;
}

enum body_status request_decode_volume(const unsigned char *body, size_t len,
                                       struct volume_spec *spec, char **why)
{
	jdoc *doc;
	const jv *root, *opts = NULL;
	enum gojson_status st;

	memset(spec, 0, sizeof *spec);
	*why = NULL;
	enum body_status ret = load_object(body, len, &doc, &root, why);
	if (ret != BODY_OK)
		return ret;
	/* DriverOpts is a Go map; its field name still folds. */
	st = gojson_get(root, "DriverOpts", &opts);
	if (st == GOJSON_OK && !jv_is_object(opts))
		ret = field_fail(GOJSON_BADTYPE, "VolumeCreateBody", "DriverOpts", why);
	else if (st == GOJSON_OK)
		ret = driver_device(opts, "DriverOpts", &spec->arena,
		                    &spec->host_paths, &spec->n_host_paths,
		                    &spec->room_host_paths, why);
	jdoc_free(doc);
	if (ret != BODY_OK)
		volume_spec_clear(spec);
	return ret;
}

void volume_spec_clear(struct volume_spec *spec)
{
	if (spec == NULL)
		return;
	arena_free(&spec->arena);
	memset(spec, 0, sizeof *spec);
}

/* Appends a copy of opt to spec's SecurityOpt list. Returns 0 or -1. */
static int push_security_opt(struct container_spec *spec, const char *opt)
{
	char **v = arena_grow(&spec->arena, spec->security_opt,
	                      spec->n_security_opt, &spec->room_security_opt,
	                      sizeof *v);
	if (v == NULL)
		return -1;
	spec->security_opt = v;
	if ((v[spec->n_security_opt] = arena_strdup(&spec->arena, opt)) == NULL)
		return -1;
	spec->n_security_opt++;
	return 0;
}

/* A network attachment list (TaskTemplate.Networks, or the deprecated
 * ServiceSpec.Networks): a Target of "host" puts the tasks in the host's
 * network namespace. */
static enum body_status service_networks(const jv *obj, const char *name,
                                         struct container_spec *spec,
                                         char **why)
{
	const jv *v;
	const char *dup;
	enum gojson_status st = gojson_get(obj, "Networks", &v);
	if (st == GOJSON_ABSENT)
		return BODY_OK;
	if (st != GOJSON_OK || !jv_is_array(v))
		return field_fail(st != GOJSON_OK ? st : GOJSON_BADTYPE, name,
		                  "Networks", why);
	for (const jv *n = v + 1; n < v + v->span; n += n->span) {
		const char *target = NULL;
		if (jv_is_null(n))
			continue;
		if (!jv_is_object(n) || !gojson_unambiguous(n, &dup))
			return field_fail(jv_is_object(n) ? GOJSON_AMBIGUOUS
			                                    : GOJSON_BADTYPE,
			                  name, "Networks", why);
		if ((st = gojson_get_string(n, "Target", &target)) > GOJSON_ABSENT)
			return field_fail(st, "Networks[]", "Target", why);
		if (target != NULL && strcasecmp(target, "host") == 0 &&
		    spec->ns_mode[NS_NETWORK] == NULL &&
		    (spec->ns_mode[NS_NETWORK] = arena_strdup(&spec->arena, target)) ==
		        NULL) {
			*why = strdup("out of memory while decoding the request body");
			return BODY_INVALID;
		}
	}
	return BODY_OK;
}

/* ContainerSpec.Privileges, as the SecurityOpt entries that would mean
 * the same to dockerd, so one rule judges both: SELinux disabled or of
 * an unconfined type, seccomp or AppArmor off (API 1.44+), and
 * NoNewPrivileges (API 1.44+; older engines cannot ask for it). */
static enum body_status service_privileges(const jv *cs,
                                           struct container_spec *spec,
                                           char **why)
{
	const jv *pv = NULL, *se = NULL, *sc = NULL, *aa = NULL;
	enum gojson_status st;
	bool b = false;
	const char *m = NULL;
	int rc = 0;

	if ((st = gojson_get_object(cs, "Privileges", &pv)) > GOJSON_ABSENT)
		return field_fail(st, "ContainerSpec", "Privileges", why);
	if (pv == NULL)
		return BODY_OK;
	if ((st = gojson_get_object(pv, "SELinuxContext", &se)) > GOJSON_ABSENT)
		return field_fail(st, "Privileges", "SELinuxContext", why);
	if (se != NULL) {
		if ((st = gojson_get_bool(se, "Disable", &b)) > GOJSON_ABSENT)
			return field_fail(st, "SELinuxContext", "Disable", why);
		if (b)
			rc |= push_security_opt(spec, "label=disable");
		if ((st = gojson_get_string(se, "Type", &m)) > GOJSON_ABSENT)
			return field_fail(st, "SELinuxContext", "Type", why);
		if (m != NULL && m[0] != '\0') {
			char *t = xasprintf("label=type:%s", m);
			rc |= t == NULL ? -1 : push_security_opt(spec, t);
			free(t);
		}
	}
	if ((st = gojson_get_object(pv, "Seccomp", &sc)) > GOJSON_ABSENT)
		return field_fail(st, "Privileges", "Seccomp", why);
	m = NULL;
	if (sc != NULL && (st = gojson_get_string(sc, "Mode", &m)) > GOJSON_ABSENT)
		return field_fail(st, "Seccomp", "Mode", why);
	if (m != NULL && strcasecmp(m, "unconfined") == 0)
		rc |= push_security_opt(spec, "seccomp=unconfined");
	if ((st = gojson_get_object(pv, "AppArmor", &aa)) > GOJSON_ABSENT)
		return field_fail(st, "Privileges", "AppArmor", why);
	m = NULL;
	if (aa != NULL && (st = gojson_get_string(aa, "Mode", &m)) > GOJSON_ABSENT)
		return field_fail(st, "AppArmor", "Mode", why);
	if (m != NULL && strcasecmp(m, "disabled") == 0)
		rc |= push_security_opt(spec, "apparmor=unconfined");
	b = false;
	if ((st = gojson_get_bool(pv, "NoNewPrivileges", &b)) > GOJSON_ABSENT)
		return field_fail(st, "Privileges", "NoNewPrivileges", why);
	if (b)
		rc |= push_security_opt(spec, "no-new-privileges");
	if (rc != 0) {
		*why = strdup("out of memory while decoding the request body");
		return BODY_INVALID;
	}
	return BODY_OK;
}

enum body_status request_decode_service(const unsigned char *body, size_t len,
                                        struct container_spec *spec,
                                        char **why)
{
	static const struct {
		const char *name;
		size_t off;
	} limits[] = {
	    {"MemoryBytes", offsetof(struct container_spec, memory)},
	    {"NanoCPUs", offsetof(struct container_spec, nano_cpus)},
	    {"Pids", offsetof(struct container_spec, pids_limit)},
	};
	jdoc *doc;
	const jv *root, *tt = NULL, *cs = NULL, *res = NULL, *lim = NULL, *v;
	enum gojson_status st;
	const char *s;

	memset(spec, 0, sizeof *spec);
	*why = NULL;
	enum body_status ret = load_object(body, len, &doc, &root, why);
	if (ret != BODY_OK)
		return ret;
	ret = BODY_INVALID;
	if ((st = gojson_get_object(root, "TaskTemplate", &tt)) > GOJSON_ABSENT) {
		ret = field_fail(st, "ServiceSpec", "TaskTemplate", why);
		goto out;
	}
	if ((ret = service_networks(root, "ServiceSpec", spec, why)) != BODY_OK)
		goto out;
	ret = BODY_INVALID;
	if (tt == NULL)
		goto done;
	/* A plugin service installs a plugin on every node; its privileges
	 * are not a container's, so refuse rather than guess. */
	if (gojson_get(tt, "PluginSpec", &v) == GOJSON_OK) {
		*why = strdup("plugin services (TaskTemplate.PluginSpec) cannot be "
		              "checked");
		goto out;
	}
	if ((ret = service_networks(tt, "TaskTemplate", spec, why)) != BODY_OK)
		goto out;
	ret = BODY_INVALID;
	if ((st = gojson_get_object(tt, "Resources", &res)) > GOJSON_ABSENT ||
	    (res != NULL &&
	     (st = gojson_get_object(res, "Limits", &lim)) > GOJSON_ABSENT)) {
		ret = field_fail(st, "TaskTemplate", "Resources", why);
		goto out;
	}
	for (size_t i = 0; lim != NULL && i < sizeof limits / sizeof limits[0]; i++) {
		int64_t *dst = (int64_t *)((char *)spec + limits[i].off);
		if ((st = gojson_get_int64(lim, limits[i].name, dst)) > GOJSON_ABSENT) {
			ret = field_fail(st, "Limits", limits[i].name, why);
			goto out;
		}
	}
	if ((st = gojson_get_object(tt, "ContainerSpec", &cs)) > GOJSON_ABSENT) {
		ret = field_fail(st, "TaskTemplate", "ContainerSpec", why);
		goto out;
	}
	if (cs == NULL)
		goto done;
	s = NULL;
	if ((st = gojson_get_string(cs, "Image", &s)) > GOJSON_ABSENT) {
		ret = field_fail(st, "ContainerSpec", "Image", why);
		goto out;
	}
	if (s != NULL && (spec->image = arena_strdup(&spec->arena, s)) == NULL)
		goto oom;
	s = "";
	if ((st = gojson_get_string(cs, "User", &s)) > GOJSON_ABSENT) {
		ret = field_fail(st, "ContainerSpec", "User", why);
		goto out;
	}
	if ((spec->user = arena_strdup(&spec->arena, s)) == NULL)
		goto oom;
	if ((st = gojson_get_bool(cs, "ReadOnly", &spec->readonly_rootfs)) >
	    GOJSON_ABSENT) {
		ret = field_fail(st, "ContainerSpec", "ReadOnly", why);
		goto out;
	}
	if ((st = get_strslice(&spec->arena, cs, "CapabilityAdd", &spec->cap_add,
	                       &spec->n_cap_add)) != GOJSON_OK) {
		ret = field_fail(st, "ContainerSpec", "CapabilityAdd", why);
		goto out;
	}
	if ((st = get_drop_all(cs, "CapabilityDrop", &spec->cap_drop_all)) !=
	    GOJSON_OK) {
		ret = field_fail(st, "ContainerSpec", "CapabilityDrop", why);
		goto out;
	}
	if ((st = gojson_get(cs, "Mounts", &v)) == GOJSON_OK) {
		if (!jv_is_array(v)) {
			ret = field_fail(GOJSON_BADTYPE, "ContainerSpec", "Mounts", why);
			goto out;
		}
		for (const jv *m = v + 1; m < v + v->span; m += m->span) {
			if (!jv_is_null(m) &&
			    (ret = decode_mount(m, spec, why)) != BODY_OK)
				goto out;
		}
	} else if (st != GOJSON_ABSENT) {
		ret = field_fail(st, "ContainerSpec", "Mounts", why);
		goto out;
	}
	if ((ret = service_privileges(cs, spec, why)) != BODY_OK ||
	    (ret = decode_sysctls(cs, "ContainerSpec", spec, why)) != BODY_OK)
		goto out;
done:
	jdoc_free(doc);
	return BODY_OK;
oom:
	*why = strdup("out of memory while decoding the request body");
	ret = BODY_INVALID;
out:
	jdoc_free(doc);
	container_spec_clear(spec);
	return ret;
}

/* Whether the decision for action depends on the request body. */
static bool needs_body(enum action a)
{
	return a == ACTION_CONTAINER_CREATE || a == ACTION_EXEC_CREATE ||
	       a == ACTION_CONTAINER_UPDATE || a == ACTION_VOLUME_CREATE ||
	       a == ACTION_SERVICE_CREATE || a == ACTION_SERVICE_UPDATE;
}

/* Routes whose decision reads the query string, which dockerd's
 * ParseForm overrides with the values of a form-encoded body. */
static bool reads_query(enum action a)
{
	switch (a) {
	case ACTION_IMAGE_CREATE:
	case ACTION_IMAGE_TAG:
	case ACTION_IMAGE_PUSH:
	case ACTION_COMMIT:
	case ACTION_BUILD:
	case ACTION_PLUGIN_PULL:
	case ACTION_PLUGIN_UPGRADE:
		return true;
	default:
		return false;
	}
}

/* True when Content-Type's media type is a URL-encoded form (Go's
 * mime.ParseMediaType: case-insensitive, parameters after ';'). */
static bool is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == sizeof form - 1 && strncasecmp(ct, form, n) == 0;
}

/* Why the body of a query-driven request makes its query untrustworthy,
 * as static text, or NULL when it does not. A pull carries no body; one
 * that was announced but not forwarded cannot be ruled out as a form. */
static const char *query_body_why(const struct authz_req *az,
                                  const struct route *r)
{
	if (az->headers_ambiguous)
		return "the request headers are ambiguous";
	if (is_form(az->content_type))
		return "a form-encoded body overrides the query string";
	if (r->action == ACTION_IMAGE_CREATE && route_query(r, "fromSrc") == NULL &&
	    az->content_length > 0 && (!az->has_body || az->body_len == 0))
		return "a pull carries a body that was not forwarded";
	return NULL;
}

int request_build(const struct authz_req *az, struct request *rq, char **why)
{
	const char *rwhy;

	memset(rq, 0, sizeof *rq);
	*why = NULL;
	rq->user = az->user;
	rq->authn_method = az->authn_method;
	rq->method = az->method;
	rq->uri = az->uri;
	if (route_parse(az->method, az->uri, &rq->route, &rwhy) < 0) {
		*why = strdup(rwhy);
		return -1;
	}
	if (reads_query(rq->route.action)) {
		const char *qwhy = query_body_why(az, &rq->route);
		rq->body_status = qwhy != NULL ? BODY_FORM : BODY_NOT_NEEDED;
		if (qwhy != NULL && (rq->body_why = strdup(qwhy)) == NULL)
			rq->body_status = BODY_INVALID;
		return 0;
	}
	if (!needs_body(rq->route.action)) {
		rq->body_status = BODY_NOT_NEEDED;
		return 0;
	}
	if (!az->has_body || (!az->body_bad && az->body_len == 0)) {
		rq->body_status = BODY_MISSING;
		return 0;
	}
	if (az->body_bad) {
		rq->body_status = BODY_INVALID;
		rq->body_why = strdup("RequestBody is not valid base64");
		return 0;
	}
	switch (rq->route.action) {
	case ACTION_EXEC_CREATE:
		rq->body_status = request_decode_exec(az->body, az->body_len,
		                                      &rq->exec, &rq->body_why);
		break;
	case ACTION_CONTAINER_UPDATE:
		rq->body_status = request_decode_update(az->body, az->body_len,
		                                        &rq->update, &rq->body_why);
		break;
	case ACTION_SERVICE_CREATE:
	case ACTION_SERVICE_UPDATE:
		rq->body_status = request_decode_service(az->body, az->body_len,
		                                         &rq->create, &rq->body_why);
		break;
	case ACTION_VOLUME_CREATE:
		rq->body_status = request_decode_volume(az->body, az->body_len,
		                                        &rq->volume, &rq->body_why);
		break;
	default:
		rq->body_status = request_decode_create(az->body, az->body_len,
		                                        &rq->create, &rq->body_why);
		break;
	}
	return 0;
}

void image_user_failed(struct image_user *u, char *why)
{
	free(u->user);
	free(u->why);
	u->user = NULL;
	u->why = why;
	u->status = IMAGE_USER_FAILED;
}

void request_clear(struct request *rq)
{
	if (rq == NULL)
		return;
	route_clear(&rq->route);
	free(rq->body_why);
	container_spec_clear(&rq->create);
	exec_spec_clear(&rq->exec);
	volume_spec_clear(&rq->volume);
	free(rq->image_user.user);
	free(rq->image_user.why);
	memset(rq, 0, sizeof *rq);
}
