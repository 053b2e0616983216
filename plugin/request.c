/* request: AuthZ request -> request model. The container-create body is
 * decoded the way dockerd's ContainerDecoder does (encoding/json into
 * container.Config with HostConfig beside it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gojson.h"
#include "request.h"
#include "strbuf.h"

/* Says why a field could not be read, as a new string. */
static char *field_why(enum gojson_status st, const char *obj, const char *field)
{
	if (st == GOJSON_AMBIGUOUS)
		return xasprintf("%s.%s has keys that differ only in case", obj, field);
	return xasprintf("%s.%s has the wrong JSON type", obj, field);
}

/* StrSlice fields (CapAdd) accept a list of strings or a single string,
 * and a null element is "" (docker/api/types/strslice). */
static enum gojson_status get_strslice(const json_t *obj, const char *name,
                                       char ***out, size_t *n)
{
	json_t *v;
	enum gojson_status st = gojson_get(obj, name, &v);
	if (st != GOJSON_OK)
		return st == GOJSON_ABSENT ? GOJSON_OK : st;
	if (json_is_string(v)) {
		*out = malloc(sizeof **out);
		if (*out == NULL || ((*out)[0] = strdup(json_string_value(v))) == NULL)
			return GOJSON_BADTYPE;
		*n = 1;
		return GOJSON_OK;
	}
	if (!json_is_array(v))
		return GOJSON_BADTYPE;
	size_t len = json_array_size(v);
	if (len == 0)
		return GOJSON_OK;
	*out = calloc(len, sizeof **out);
	if (*out == NULL)
		return GOJSON_BADTYPE;
	for (size_t i = 0; i < len; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e) && !json_is_null(e))
			return GOJSON_BADTYPE;
		(*out)[i] = strdup(json_is_null(e) ? "" : json_string_value(e));
		if ((*out)[i] == NULL)
			return GOJSON_BADTYPE;
		*n = i + 1;
	}
	return GOJSON_OK;
}

enum body_status request_decode_create(const unsigned char *body, size_t len,
                                       struct container_spec *spec,
                                       char **why)
{
	json_error_t err;
	enum gojson_status st;
	const char *dup, *s;
	json_t *hc = NULL;

	memset(spec, 0, sizeof *spec);
	*why = NULL;
	/* dockerd decodes only the first JSON value of the body, so do we;
	 * exact duplicate keys are refused here, case-folded ones below. */
	json_t *root = json_loadb((const char *)body, len,
	                          JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
	                          &err);
	if (root == NULL) {
		if (json_error_code(&err) == json_error_duplicate_key) {
			*why = xasprintf("request body has a duplicate key (%s)", err.text);
			return BODY_AMBIGUOUS;
		}
		*why = xasprintf("request body is not valid JSON: %s (at byte %d)",
		                 err.text, err.position);
		return BODY_INVALID;
	}
	enum body_status ret = BODY_INVALID;
	if (!json_is_object(root)) {
		*why = strdup("request body is not a JSON object");
		goto out;
	}
	if (!gojson_unambiguous(root, &dup)) {
		*why = xasprintf("request body has keys that differ only in case "
		                 "('%s')", dup);
		ret = BODY_AMBIGUOUS;
		goto out;
	}

	s = NULL;
	if ((st = gojson_get_string(root, "Image", &s)) == GOJSON_BADTYPE)
		goto bad_root;
	if (s != NULL && (spec->image = strdup(s)) == NULL)
		goto oom;
	s = "";
	if ((st = gojson_get_string(root, "User", &s)) == GOJSON_BADTYPE) {
		*why = field_why(st, "Config", "User");
		goto out;
	}
	if ((spec->user = strdup(s)) == NULL)
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
		st = get_strslice(hc, "CapAdd", &spec->cap_add, &spec->n_cap_add);
		if (st != GOJSON_OK) {
			*why = field_why(st, hc_name, "CapAdd");
			goto out;
		}
	}
	json_decref(root);
	return BODY_OK;

bad_root:
	*why = field_why(st, "Config", "Image");
	goto out;
oom:
	*why = strdup("out of memory while decoding the request body");
out:
	json_decref(root);
	container_spec_clear(spec);
	return ret;
}

void container_spec_clear(struct container_spec *spec)
{
	if (spec == NULL)
		return;
	free(spec->image);
	free(spec->user);
	for (size_t i = 0; i < spec->n_cap_add; i++)
		free(spec->cap_add[i]);
	free(spec->cap_add);
	memset(spec, 0, sizeof *spec);
}

/* Whether the decision for action depends on the request body. */
static bool needs_body(enum action a)
{
	return a == ACTION_CONTAINER_CREATE;
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
	rq->body_status = request_decode_create(az->body, az->body_len,
	                                        &rq->create, &rq->body_why);
	return 0;
}

void request_clear(struct request *rq)
{
	if (rq == NULL)
		return;
	route_clear(&rq->route);
	free(rq->body_why);
	container_spec_clear(&rq->create);
	free(rq->image_user.user);
	free(rq->image_user.why);
	memset(rq, 0, sizeof *rq);
}
