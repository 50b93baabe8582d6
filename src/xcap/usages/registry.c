/* The registry of application usages this server knows. */
#include <stddef.h>

#include "xcap/usage.h"

extern const struct xcap_usage usage_xcap_caps;
extern const struct xcap_usage usage_resource_lists;
extern const struct xcap_usage usage_test;

const struct xcap_usage *const xcap_usages[] = {
	&usage_xcap_caps,
	&usage_resource_lists,
	&usage_test,
	NULL
};
