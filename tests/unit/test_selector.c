/* Unit tests: selector. */
#include "test.h"

const struct test tests_selector[] = {
	{ NULL, NULL, false }
};
