/* OMA DM security tests: auth-basic/md5, HMAC, Package 0, bootstrap MAC. */
#include "test.h"

const struct test tests_dm_security[] = {
	{ NULL, NULL, false },
};
