/* Unit tests: core. */
#include "test.h"

const struct test tests_core[] = {
	{ NULL, NULL, false }
};
