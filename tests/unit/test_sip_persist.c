#include "test.h"

const struct test tests_sip_persist[] = {{NULL, NULL, false}};
