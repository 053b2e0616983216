/* request: the request model. Everything after this module sees plain C
 * structs; no json_t crosses this line. */
#ifndef DOCKGATE_REQUEST_H
#define DOCKGATE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz_proto.h"
#include "route.h"

/* What a container create asks dockerd to execute. */
struct container_spec {
	char *image; /* Config.Image, as given; NULL when absent */
	char *user;  /* Config.User, as given; "" when absent */
	bool readonly_rootfs;
	int64_t memory;     /* HostConfig.Memory, bytes */
	int64_t nano_cpus;  /* HostConfig.NanoCpus */
	int64_t cpu_quota;  /* HostConfig.CpuQuota */
	int64_t cpu_period; /* HostConfig.CpuPeriod */
	int64_t pids_limit; /* HostConfig.PidsLimit; 0 when absent or null */
	char **cap_add;     /* HostConfig.CapAdd, as given */
	size_t n_cap_add;
};

enum body_status {
	BODY_NOT_NEEDED = 0, /* the action's decision does not read a body */
	BODY_OK,
	BODY_MISSING,   /* none forwarded (or empty) */
	BODY_INVALID,   /* not base64, not JSON, wrong types, ... */
	BODY_AMBIGUOUS, /* keys that fold to the same field name */
};

/* The image's own user, for unset-user: inspect. The daemon looks it up
 * (imageinspect.c) before eval, which never does I/O. */
enum image_user_status {
	IMAGE_USER_NOT_ASKED = 0, /* no lookup was made (eval fails closed) */
	IMAGE_USER_KNOWN,         /* user holds Config.User, "" when unset */
	IMAGE_USER_FAILED,        /* dockerd could not be asked; why says so */
};

struct image_user {
	enum image_user_status status;
	char *user; /* new string or NULL */
	char *why;  /* new string or NULL */
};

struct request {
	/* borrowed from the authz_req it was built from */
	const char *user;
	const char *authn_method;
	const char *method;
	const char *uri;

	struct route route;

	enum body_status body_status;
	char *body_why; /* new string: what is wrong with the body, or NULL */

	struct container_spec create; /* ACTION_CONTAINER_CREATE */

	struct image_user image_user; /* filled before eval, or NOT_ASKED */
};

/* Builds the model for az. Returns 0, or -1 with *why (new string) when the
 * request cannot be understood at all (an undecodable URI). A body that
 * cannot be decoded is not an error here: it is recorded in body_status so
 * the policy can deny with a reason. Free with request_clear. */
int request_build(const struct authz_req *az, struct request *rq, char **why);
void request_clear(struct request *rq);

/* Decodes a container-create body (JSON) into *spec the way dockerd does.
 * Returns BODY_OK, BODY_INVALID or BODY_AMBIGUOUS (then *why is a new
 * string). Exposed for the fuzzers and unit tests. */
enum body_status request_decode_create(const unsigned char *body, size_t len,
                                       struct container_spec *spec,
                                       char **why);
void container_spec_clear(struct container_spec *spec);

#endif
