/* request: the request model. Everything after this module sees plain C
 * structs; no json_t crosses this line. */
#ifndef DOCKGATE_REQUEST_H
#define DOCKGATE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "authz_proto.h"
#include "route.h"

/* The namespaces a container can share with the host or another
 * container; keep ns_fields[] in request.c and ns_names[] in eval.c in
 * step. */
enum ns_kind { NS_NETWORK = 0, NS_PID, NS_IPC, NS_UTS, NS_USERNS, NS_CGROUPNS,
               NS__COUNT };

/* A host path a container would mount, and where the request named it. */
struct host_path {
	char *path;         /* as given */
	const char *origin; /* static: "Binds", "Mounts", "volume options" */
};

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
	bool cap_drop_all;  /* HostConfig.CapDrop holds ALL */

	bool privileged;          /* HostConfig.Privileged */
	char *ns_mode[NS__COUNT]; /* NetworkMode, PidMode, ...; NULL when absent */
	/* Host paths from Binds, Mounts (type bind) and volume driver options
	 * with a "device" (Mounts[].VolumeOptions.DriverConfig.Options). */
	struct host_path *host_paths;
	size_t n_host_paths, room_host_paths; /* held, room for (arena_grow) */
	char **volumes_from; /* HostConfig.VolumesFrom */
	size_t n_volumes_from;
	size_t n_devices, n_device_cgroup_rules, n_device_requests;
	char **security_opt; /* HostConfig.SecurityOpt, in order */
	size_t n_security_opt, room_security_opt; /* held, room for */
	/* A JSON seccomp profile in SecurityOpt ("seccomp=<json>", what the
	 * CLI sends for --security-opt seccomp=FILE): */
	char *seccomp_lax; /* its defaultAction when that allows every
	                    * syscall (SCMP_ACT_ALLOW, SCMP_ACT_LOG), or ""
	                    * when the profile cannot be read; else NULL */
	bool masked_paths_empty;   /* MaskedPaths given as [] */
	bool readonly_paths_empty; /* ReadonlyPaths given as [] */
	char **sysctls;            /* HostConfig.Sysctls keys */
	size_t n_sysctls;
	/* Holds every string and list above (container_spec_clear frees
	 * it); a spec filled in by hand leaves it empty. */
	struct arena arena;
};

/* What an exec create asks for (POST /containers/{name}/exec). */
struct exec_spec {
	char *user; /* "" when absent: the container's own user */
	bool privileged;
};

/* What a container update asks for (POST /containers/{name}/update): the
 * limit fields of container.Resources. 0 leaves a value as it is. */
struct update_spec {
	int64_t memory, nano_cpus, cpu_quota, cpu_period;
	bool has_pids_limit; /* PidsLimit given (not null) */
	int64_t pids_limit;
};

/* What a volume create asks for (POST /volumes/create): the host paths
 * its driver options would mount. */
struct volume_spec {
	struct host_path *host_paths;
	size_t n_host_paths, room_host_paths; /* held, room for (arena_grow) */
	struct arena arena; /* holds host_paths and their strings */
};

enum body_status {
	BODY_NOT_NEEDED = 0, /* the action's decision does not read a body */
	BODY_OK,
	BODY_MISSING,   /* none forwarded (or empty) */
	BODY_INVALID,   /* not base64, not JSON, wrong types, ... */
	BODY_AMBIGUOUS, /* keys that fold to the same field name */
	BODY_FORM,      /* a query-driven route with a body dockerd would read
	                 * as form values (they override the query string) */
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

/* Records that the image's user could not be learned: status FAILED, why
 * taken (NULL renders as "not looked up"), any earlier answer freed. */
void image_user_failed(struct image_user *u, char *why);

struct request {
	/* borrowed from the authz_req it was built from */
	const char *user;
	const char *authn_method;
	const char *method;
	const char *uri;

	struct route route;

	enum body_status body_status;
	char *body_why; /* new string: what is wrong with the body, or NULL */

	struct container_spec create; /* ACTION_CONTAINER_CREATE, and the
	                               * ContainerSpec and Resources.Limits of
	                               * ACTION_SERVICE_CREATE/UPDATE */
	struct exec_spec exec;        /* ACTION_EXEC_CREATE */
	struct update_spec update;    /* ACTION_CONTAINER_UPDATE */
	struct volume_spec volume;    /* ACTION_VOLUME_CREATE */

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

/* The same for exec and update bodies. */
enum body_status request_decode_exec(const unsigned char *body, size_t len,
                                     struct exec_spec *spec, char **why);
enum body_status request_decode_update(const unsigned char *body, size_t len,
                                       struct update_spec *spec, char **why);
void exec_spec_clear(struct exec_spec *spec);
enum body_status request_decode_volume(const unsigned char *body, size_t len,
                                       struct volume_spec *spec, char **why);
void volume_spec_clear(struct volume_spec *spec);
/* A swarm ServiceSpec (services/create, services/{id}/update) as the
 * container its tasks would run: ContainerSpec's Image, User, ReadOnly,
 * CapabilityAdd, Mounts, Sysctls and Privileges (as SecurityOpt entries),
 * Resources.Limits, and a "host" network attachment as NetworkMode. */
enum body_status request_decode_service(const unsigned char *body, size_t len,
                                        struct container_spec *spec,
                                        char **why);

#endif
