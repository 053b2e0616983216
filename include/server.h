/* server: the HTTP side. The only module that includes microhttpd.h. */
#ifndef DOCKGATE_SERVER_H
#define DOCKGATE_SERVER_H

#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

#include "decide.h"
#include "policy.h"

struct server_config {
	const char *socket_path; /* ignored when listen_fd >= 0 */
	int listen_fd;           /* an inherited listening socket, or -1 */
	unsigned threads;        /* worker threads; 0 = number of CPUs */
	size_t max_body;         /* bytes; larger AuthZ requests are denied */
	unsigned idle_timeout;   /* seconds before an idle connection closes,
	                          * until its first reply (then never) */
	FILE *log;               /* decision log; NULL for none */
	bool queue_json;         /* log_json_record's decision records are
	                          * batched with the decision log (on stderr) */
	const struct decide_opts *opts; /* borrowed; must outlive the server */
	const struct decide_hooks *hooks; /* audit log, metrics; NULL for none */
	unsigned slow_threads;   /* threads for decisions that block (image
	                          * look-ups); 0 = none, they are then denied */
};

struct server;

/* Opens the socket (unless inherited) and starts serving policy p (a
 * reference is taken). Returns NULL with *why (new string) on failure. */
struct server *server_start(const struct server_config *cfg,
                            struct policy *p, char **why);
/* Swaps in a new policy; in-flight decisions finish on the old one. */
void server_set_policy(struct server *s, struct policy *p);
/* Stops, closes every connection, and removes the socket it created. */
void server_stop(struct server *s);

/* Binds a Unix socket at path with mode 0660, creating the parent directory.
 * A stale socket file is replaced; a live one (something answers) is an
 * error. Returns the listening fd or -1 with *why (new string). */
int server_bind_unix(const char *path, char **why);

#endif
