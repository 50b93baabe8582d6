/* Unit tests: http. */
#include "test.h"

const struct test tests_http[] = {
	{ NULL, NULL, false }
};
