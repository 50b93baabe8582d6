/* Unit tests: ops. */
#include "test.h"

const struct test tests_ops[] = {
	{ NULL, NULL, false }
};
