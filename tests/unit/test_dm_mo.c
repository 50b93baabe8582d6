#include "test.h"

const struct test tests_dm_mo[] = {{NULL, NULL, false}};
