/* base64: standard alphabet with padding, as Go's encoding/base64.StdEncoding
 * (which encoding/json uses for []byte fields). */
#ifndef DOCKGATE_BASE64_H
#define DOCKGATE_BASE64_H

#include <stddef.h>

/* Decodes src (len bytes). Like Go, '\r' and '\n' are skipped; anything else
 * outside the alphabet or a missing or misplaced '=' is an error. Returns a new buffer (NUL-terminated for convenience,
 * *outlen excludes it) or NULL on error. */
unsigned char *base64_decode(const char *src, size_t len, size_t *outlen);
/* Returns a new NUL-terminated string. */
char *base64_encode(const unsigned char *src, size_t len);

#endif
