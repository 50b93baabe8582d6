/* Unit tests: usage. */
#include "test.h"

const struct test tests_usage[] = {
	{ NULL, NULL, false }
};
