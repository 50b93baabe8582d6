/* Unit tests: xmldoc. */
#include "test.h"

const struct test tests_xmldoc[] = {
	{ NULL, NULL, false }
};
