/* base64: standard alphabet with padding, as Go's encoding/base64.StdEncoding
 * (which encoding/json uses for []byte fields). */
#ifndef DOCKGATE_BASE64_H
#define DOCKGATE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes src (len bytes). Like Go, '\r' and '\n' are skipped; anything else
 * outside the alphabet or a missing or misplaced '=' is an error. Returns a new buffer (NUL-terminated for convenience,
 * *outlen excludes it) or NULL on error. */
unsigned char *base64_decode(const char *src, size_t len, size_t *outlen);
/* The same, decoding buf[0..len) where it lies (buf[len] must be there
 * for the NUL). Returns false when it is not base64; buf is then spent. */
bool base64_decode_inplace(char *buf, size_t len, size_t *outlen);
/* For tests: how many bytes of src the vector steps of a decode take, the
 * AVX2 one and then the SSSE3 one, on this CPU (0 for a step it lacks). A
 * step that stopped early would still decode right, through the next, and
 * only the speed would show it. */
void base64_vector_steps(const char *src, size_t len, size_t *avx2,
                         size_t *ssse3);
/* Returns a new NUL-terminated string. */
char *base64_encode(const unsigned char *src, size_t len);

#endif
