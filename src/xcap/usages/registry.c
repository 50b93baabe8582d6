/* The registry of application usages this server knows. */
#include <stddef.h>

#include "xcap/usage.h"

extern const struct xcap_usage usage_xcap_caps;
extern const struct xcap_usage usage_resource_lists;
extern const struct xcap_usage usage_test;
extern const struct xcap_usage usage_mcptt_ue_init_config;
extern const struct xcap_usage usage_mcptt_ue_config;
extern const struct xcap_usage usage_mcptt_user_profile;
extern const struct xcap_usage usage_mcptt_service_config;
extern const struct xcap_usage usage_groups;

const struct xcap_usage *const xcap_usages[] = {
	&usage_xcap_caps,
	&usage_resource_lists,
	&usage_mcptt_ue_init_config,
	&usage_mcptt_ue_config,
	&usage_mcptt_user_profile,
	&usage_mcptt_service_config,
	&usage_groups,
	&usage_test,
	NULL
};
