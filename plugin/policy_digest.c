/* policy_digest: the sha256 that names a loaded policy in audit records,
 * metrics and logs (libcrypto). */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

void policy_set_digest(struct policy *p, const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	p->sha256[0] = '\0';
	if (EVP_Digest(data != NULL ? data : "", data != NULL ? len : 0, md, &n,
	               EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return;
	for (unsigned int i = 0; i < n; i++)
		snprintf(p->sha256 + 2 * i, 3, "%02x", md[i]);
}
