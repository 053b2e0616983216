/* mhdref: dockgate's HTTP stack with no decision behind it. libmicrohttpd
 * configured as plugin/server.c configures it (epoll, a pool of one
 * thread per CPU, turbo, 8 KiB per connection), reading each body and
 * answering every POST with {"Allow":true} (Plugin.Activate with the
 * plugin manifest). tests/bench/bench.sh runs it beside nginx and dockgate,
 * so the table shows what the HTTP layer alone reaches on the machine,
 * before any decision.
 *
 *   mhdref SOCKET
 *
 * Stops on SIGINT or SIGTERM and removes SOCKET. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

static const char allow[] = "{\"Allow\":true}";
static const char activate[] = "{\"Implements\":[\"authz\"]}";

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	struct MHD_Response **replies = cls;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = (void *)(uintptr_t)1;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK,
	                          replies[strcmp(url, "/Plugin.Activate") == 0]);
}

static struct MHD_Response *response(const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (r != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        "application/vnd.docker.plugins.v1.2+json");
	return r;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (argc != 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: mhdref SOCKET\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 1024) < 0) {
		perror("mhdref: socket");
		return 1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct MHD_Response *replies[2] = {response(allow), response(activate)};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD's threads inherit it */
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ITC, 0, NULL,
	    NULL, handle, replies, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(n > 0 ? n : 1),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(8 * 1024), MHD_OPTION_END);
	if (d == NULL || replies[0] == NULL || replies[1] == NULL) {
		fprintf(stderr, "mhdref: cannot start libmicrohttpd\n");
		return 1;
	}
	int sig;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(replies[0]);
	MHD_destroy_response(replies[1]);
	unlink(argv[1]);
	return 0;
}
