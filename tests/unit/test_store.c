/* Unit tests: store. */
#include "test.h"

const struct test tests_store[] = {
	{ NULL, NULL, false }
};
