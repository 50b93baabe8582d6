#include "test.h"

const struct test tests_dm_tree[] = {{NULL, NULL, false}};
