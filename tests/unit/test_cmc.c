#include "test.h"

const struct test tests_cmc[] = {{NULL, NULL, false}};
