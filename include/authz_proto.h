/* authz_proto: the only module that knows Docker's AuthZ wire field names.
 * Decodes the JSON dockerd POSTs to /AuthZPlugin.AuthZReq and encodes the
 * reply. */
#ifndef DOCKGATE_AUTHZ_PROTO_H
#define DOCKGATE_AUTHZ_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/* The strings are borrowed from the decoded envelope, which the request
 * keeps until authz_req_clear. */
struct authz_req {
	const char *user;         /* TLS client certificate CN, "" over the Unix socket */
	const char *authn_method; /* "TLS" or "" */
	const char *method;       /* "POST", ... ("" when absent) */
	const char *uri;          /* raw RequestUri, not decoded ("" when absent) */
	bool has_body;      /* RequestBody present and not null */
	unsigned char *body; /* decoded RequestBody, NUL-terminated; NULL if absent
	                      * (decoded where it lay in the envelope, or
	                      * body_own) */
	size_t body_len;
	bool body_bad;      /* RequestBody present but not valid base64 */
	/* From RequestHeaders (names compared without case): */
	const char *content_type; /* Content-Type, or NULL when absent */
	long long content_length; /* Content-Length, -1 when absent or not a
	                           * number */
	bool headers_ambiguous; /* a header given twice in different case, or
	                         * RequestHeaders not an object of strings */
	struct jdoc *doc;       /* the envelope the strings point into */
	unsigned char *body_own; /* body, when it could not be decoded in place */
};

/* Decodes one AuthZReq. Keys match as Go's encoding/json would (any case of
 * "RequestUri", Unicode folds). Returns 0 and fills *req (free with
 * authz_req_clear), or -1 with *why set to a new string saying why. */
int authz_req_decode(const char *data, size_t len, struct authz_req *req,
                     char **why);
void authz_req_clear(struct authz_req *req);

/* Returns a new JSON string {"Allow":allow,"Msg":msg} (Msg left out when
 * msg is NULL), or NULL on allocation failure. */
char *authz_reply(bool allow, const char *msg);

/* The fixed replies. Static strings. */
extern const char authz_activate_reply[];   /* {"Implements":["authz"]} */
extern const char authz_res_allow_reply[];  /* {"Allow":true} */

#endif
