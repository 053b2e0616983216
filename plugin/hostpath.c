/* hostpath: cleaning and comparing host paths on whole components. */
#include <stdlib.h>
#include <string.h>

#include "hostpath.h"

const char *const hostpath_default_deny[] = {
    "/",        "/etc",           "/proc",
    "/sys",     "/dev",           "/boot",
    "/root",    "/var/lib/docker", "/var/run/docker.sock",
    "/run/docker.sock", "/run/containerd", NULL,
};

void hostpath_clean_inplace(char *out)
{
	char *w = out + 1; /* p[0] is '/'; the output never outgrows the input */
	const char *r = out;
	while (*r) {
		while (*r == '/')
			r++;
		if (*r == '\0')
			break;
		const char *seg = r;
		while (*r && *r != '/')
			r++;
		size_t n = (size_t)(r - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (w > out + 1 && w[-1] != '/')
				w--;
			if (w > out + 1)
				w--;
			continue;
		}
		if (w > out + 1)
			*w++ = '/';
		memmove(w, seg, n);
		w += n;
	}
	*w = '\0';
}

char *hostpath_clean(const char *p)
{
	if (p == NULL || p[0] != '/')
		return NULL;
	char *out = strdup(p);
	if (out != NULL)
		hostpath_clean_inplace(out);
	return out;
}

bool hostpath_under(const char *path, const char *dir)
{
	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool hostpath_exposes(const char *path, const char *prot)
{
	if (strcmp(prot, "/") == 0)
		return strcmp(path, "/") == 0;
	return hostpath_under(path, prot) || hostpath_under(prot, path);
}
