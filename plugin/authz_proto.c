/* authz_proto: Docker's AuthZ plugin wire format (pkg/authorization). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "authz_proto.h"
#include "base64.h"
#include "gojson.h"
#include "jdoc.h"
#include "strbuf.h"

const char authz_activate_reply[] = "{\"Implements\":[\"authz\"]}";
const char authz_res_allow_reply[] = "{\"Allow\":true}";

/* Points *out at the string field name of obj ("" when absent), borrowed
 * from the envelope. Returns 0, or -1 with *why set. */
static int get_str(const jv *obj, const char *name, const char **out, char **why)
{
	const char *v = "";
	enum gojson_status st = gojson_get_string(obj, name, &v);
	if (st == GOJSON_BADTYPE) {
		*why = xasprintf("field %s is not a string", name);
		return -1;
	}
	*out = st == GOJSON_OK ? v : "";
	return 0;
}

/* The two headers a decision reads. dockerd sends Go's canonical names,
 * but a header map is judged without case: a second spelling of the same
 * name makes it ambiguous. */
static void get_headers(const jv *root, struct authz_req *req)
{
	const jv *h, *val;
	uint32_t i;
	bool seen_ct = false, seen_cl = false;

	req->content_length = -1;
	if (gojson_get(root, "RequestHeaders", &h) != GOJSON_OK)
		return;
	if (!jv_is_object(h)) {
		req->headers_ambiguous = true;
		return;
	}
	/* The folded key hashes pass over the other headers (User-Agent,
	 * Accept, ...) without a comparison; a match is still checked. */
	static __thread uint64_t hct, hcl;
	if (hct == 0 && hcl == 0) {
		hct = jdoc_fold_hash("Content-Type");
		hcl = jdoc_fold_hash("Content-Length");
	}
	jv_foreach(h, i, val)
	{
		const char *key = val->key;
		bool ct = val->key_hash == hct && strcasecmp(key, "Content-Type") == 0;
		bool cl = val->key_hash == hcl &&
		          strcasecmp(key, "Content-Length") == 0;
		if (!ct && !cl)
			continue;
		if (!jv_is_string(val) || (ct && seen_ct) || (cl && seen_cl)) {
			req->headers_ambiguous = true;
			continue;
		}
		const char *v = val->u.s;
		if (ct) {
			seen_ct = true;
			req->content_type = v;
		} else {
			char *end;
			seen_cl = true;
			errno = 0;
			long long n = strtoll(v, &end, 10);
			if (*v != '\0' && *end == '\0' && errno == 0 && n >= 0)
				req->content_length = n;
			else
				req->headers_ambiguous = true;
		}
	}
}

int authz_req_decode(const char *data, size_t len, struct authz_req *req,
                     char **why)
{
	json_error_t err;
	const char *dup = NULL;

	memset(req, 0, sizeof *req);
	*why = NULL;
	jdoc *doc = jdoc_load(data, len, 0, &err);
	if (doc == NULL) {
		*why = xasprintf("AuthZ request is not valid JSON: %s", err.text);
		return -1;
	}
	const jv *root = jdoc_root(doc);
	if (!jv_is_object(root)) {
		*why = strdup("AuthZ request is not a JSON object");
		goto fail;
	}
	if (!gojson_unambiguous(root, &dup)) {
		*why = xasprintf("AuthZ request has ambiguous key '%s'", dup);
		goto fail;
	}
	if (get_str(root, "User", &req->user, why) < 0 ||
	    get_str(root, "UserAuthNMethod", &req->authn_method, why) < 0 ||
	    get_str(root, "RequestMethod", &req->method, why) < 0 ||
	    get_str(root, "RequestUri", &req->uri, why) < 0)
		goto fail;

	const jv *b64;
	enum gojson_status st = gojson_get(root, "RequestBody", &b64);
	if (st == GOJSON_OK && !jv_is_string(b64)) {
		*why = strdup("field RequestBody is not a string");
		goto fail;
	}
	if (st == GOJSON_OK) {
		/* Decoded where it lies: the envelope's copy is ours and
		 * nothing reads the base64 text again. */
		char *text = jdoc_string_bytes(doc, b64);
		req->has_body = true;
		if (text != NULL) {
			if (base64_decode_inplace(text, b64->size, &req->body_len))
				req->body = (unsigned char *)text;
		} else {
			req->body = req->body_own =
			    base64_decode(b64->u.s, b64->size, &req->body_len);
		}
		if (req->body == NULL)
			req->body_bad = true;
	}
	get_headers(root, req);
	req->doc = doc;
	return 0;
fail:
	jdoc_free(doc);
	authz_req_clear(req);
	if (*why == NULL)
		*why = strdup("out of memory");
	return -1;
}

void authz_req_clear(struct authz_req *req)
{
	if (req == NULL)
		return;
	free(req->body_own);
	jdoc_free(req->doc);
	memset(req, 0, sizeof *req);
}

/* The reply is written directly, byte for byte what jansson's compact
 * dump of {"Allow":..,"Msg":..} gave (json_dumps was a fifth of a
 * decision): runs of plain bytes copied at once, the rest escaped. */
char *authz_reply(bool allow, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	if (msg != NULL) {
		/* Everything in msg came from valid UTF-8, but a reply that
		 * silently lost its reason would be worse than a vague one. */
		n = strlen(msg);
		if (!utf8_valid(msg, n)) {
			msg = "denied by dockgate (reason not printable)";
			n = strlen(msg);
		}
	}
	/* One allocation: the frame, and the message with room to escape. */
	strbuf_reserve(&sb, n + n / 8 + 48);
	strbuf_adds(&sb, allow ? "{\"Allow\":true" : "{\"Allow\":false");
	if (msg != NULL) {
		strbuf_adds(&sb, ",\"Msg\":\"");
		const char *p = msg, *end = msg + n;
		while (p < end) {
			size_t run = json_plain_prefix(p, (size_t)(end - p), false);
			strbuf_add(&sb, p, run);
			p += run;
			if (p == end)
				break;
			switch (*p) {
			case '"': strbuf_adds(&sb, "\\\""); break;
			case '\\': strbuf_adds(&sb, "\\\\"); break;
			case '\b': strbuf_adds(&sb, "\\b"); break;
			case '\f': strbuf_adds(&sb, "\\f"); break;
			case '\n': strbuf_adds(&sb, "\\n"); break;
			case '\r': strbuf_adds(&sb, "\\r"); break;
			case '\t': strbuf_adds(&sb, "\\t"); break;
			default: strbuf_addf(&sb, "\\u%04X", (unsigned char)*p); break;
			}
			p++;
		}
		strbuf_addc(&sb, '"');
	}
	strbuf_addc(&sb, '}');
	return strbuf_detach(&sb);
}
