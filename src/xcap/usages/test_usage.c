/* An opt-in schemaless usage for tests and experiments: any well-formed
 * document, unprefixed selector names match elements in no namespace. */
#include "xcap/usage.h"

const struct xcap_usage usage_test = {
	.auid = "test-app",
	.mime = "application/xml",
	.default_ns = NULL,
	.policy = XCAP_POLICY_DEFAULT,
	.opt_in = true,
	.help = "schemaless test usage (enable with test-usage yes)",
};
