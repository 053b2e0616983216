/* metrics_http: GET /metrics and GET /healthz on a loopback address or a
 * Unix socket. libmicrohttpd with one internal thread: scrapes are rare and
 * must never take a worker from dockerd's requests. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics_http.h"
#include "server.h"
#include "strbuf.h"

struct metrics_http {
	struct MHD_Daemon *mhd;
	struct metrics *m;
	char *unix_path; /* the socket we created, or NULL */
	dev_t dev;
	ino_t ino;
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
                                 const char *type, char *body, bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), body,
	    must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	struct metrics_http *h = cls;
	static char text[] = "text/plain; charset=utf-8";
	static char ok[] = "ok\n", not_found[] = "not found: try /metrics or /healthz\n",
	            bad_method[] = "method not allowed\n";
	(void)version;
	(void)upload_data;

	/* First call: headers only. Bodies are not wanted; drain them. */
	if (*con_cls == NULL) {
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, bad_method,
		                 false);
	if (strcmp(url, "/healthz") == 0)
		return send_text(conn, MHD_HTTP_OK, text, ok, false);
	if (strcmp(url, "/metrics") == 0) {
		char *body = metrics_render(h->m);
		if (body == NULL)
			return MHD_NO;
		return send_text(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; "
		                 "charset=utf-8", body, true);
	}
	return send_text(conn, MHD_HTTP_NOT_FOUND, text, not_found, false);
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/* Binds a listening TCP socket on addr ("HOST:PORT", "[V6]:PORT") when
 * every address HOST names is a loopback one. Returns the fd or -1 with
 * *why. */
static int bind_tcp(const char *addr, char **why)
{
	const char *colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr || colon[1] == '\0') {
		*why = xasprintf("--metrics %s: expected HOST:PORT on a loopback "
		                 "address (127.0.0.1:9323) or a Unix socket path",
		                 addr);
		return -1;
	}
	char *host = strndup(addr, (size_t)(colon - addr));
	if (host == NULL) {
		*why = strdup("out of memory");
		return -1;
	}
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	int fd = -1;
	if (rc != 0) {
		*why = xasprintf("--metrics %s: %s", addr, gai_strerror(rc));
		goto out;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
		if (!is_loopback(ai->ai_addr)) {
			*why = xasprintf("--metrics %s: %s is not a loopback address; "
			                 "metrics are served on 127.0.0.1, ::1 or a Unix "
			                 "socket only (put a proxy in front to publish "
			                 "them)", addr, host);
			goto out;
		}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		*why = xasprintf("--metrics %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return fd;
}

struct metrics_http *metrics_http_start(const char *addr, struct metrics *m,
                                        char **why)
{
	struct metrics_http *h = calloc(1, sizeof *h);
	struct stat sb;
	int fd;

	*why = NULL;
	if (h == NULL) {
		*why = strdup("out of memory");
		return NULL;
	}
	h->m = m;
	if (strchr(addr, '/') != NULL) {
		fd = server_bind_unix(addr, why);
		if (fd >= 0 && ((h->unix_path = strdup(addr)) == NULL ||
		                stat(addr, &sb) < 0)) {
			*why = strdup("out of memory");
			close(fd);
			unlink(addr);
			fd = -1;
		}
		if (fd >= 0) {
			h->dev = sb.st_dev;
			h->ino = sb.st_ino;
		}
	} else {
		fd = bind_tcp(addr, why);
	}
	if (fd < 0)
		goto fail;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	h->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC, 0, NULL,
	    NULL, handle, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (h->mhd == NULL) {
		*why = xasprintf("--metrics %s: cannot start the HTTP server", addr);
		close(fd);
		if (h->unix_path != NULL)
			unlink(h->unix_path);
		goto fail;
	}
	return h;
fail:
	free(h->unix_path);
	free(h);
	return NULL;
}

void metrics_http_stop(struct metrics_http *h)
{
	struct stat sb;

	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);
	if (h->unix_path != NULL && stat(h->unix_path, &sb) == 0 &&
	    sb.st_dev == h->dev && sb.st_ino == h->ino)
		unlink(h->unix_path);
	free(h->unix_path);
	free(h);
}
