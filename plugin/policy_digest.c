/* policy_digest: the sha256 that names a loaded policy in audit records,
 * metrics and logs.
 *
 * libmd (Debian's libmd0, 47 KiB), not OpenSSL's libcrypto: this is the
 * daemon's only digest, and mapping libcrypto for it cost about 3 MiB of
 * resident memory (issue 7). The output is what sha256sum prints. */
#include <sha2.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

void policy_set_digest(struct policy *p, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA2_CTX ctx;

	_Static_assert(sizeof p->sha256 == SHA256_DIGEST_STRING_LENGTH,
	               "policy.sha256 holds 64 hex digits and a NUL");
	SHA256Init(&ctx);
	if (data != NULL)
		SHA256Update(&ctx, data, len);
	SHA256Final(md, &ctx);
	for (size_t i = 0; i < sizeof md; i++) {
		p->sha256[2 * i] = hex[md[i] >> 4];
		p->sha256[2 * i + 1] = hex[md[i] & 0xf];
	}
	p->sha256[2 * sizeof md] = '\0';
}
