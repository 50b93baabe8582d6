/* xcap-caps (RFC 4825 §12): the server's capabilities, generated from the
 * registry and served read-only from the global tree. */
#include <string.h>

#include "xcap/usage.h"
#include "xcap/caps.h"

const struct xcap_usage usage_xcap_caps = {
	.auid = "xcap-caps",
	.mime = "application/xcap-caps+xml",
	.default_ns = "urn:ietf:params:xml:ns:xcap-caps",
	.root_local = "xcap-caps",
	.schema = "xcap-caps.xsd",
	.policy = XCAP_POLICY_READONLY,
	.help = "XCAP server capabilities (RFC 4825 section 12), generated",
};

enum mcx_err xcap_caps_render(bool with_opt_in, struct mcx_buf *out)
{
	enum mcx_err err;
	int i, j;

	err = buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<xcap-caps xmlns=\"urn:ietf:params:xml:ns:xcap-caps\">\n  <auids>\n");
	for (i = 0; !err && xcap_usages[i]; i++) {
		if (xcap_usages[i]->opt_in && !with_opt_in)
			continue;
		err = buf_addf(out, "    <auid>%s</auid>\n", xcap_usages[i]->auid);
	}
	if (!err)
		err = buf_adds(out, "  </auids>\n  <extensions/>\n  <namespaces>\n");
	for (i = 0; !err && xcap_usages[i]; i++) {
		const char *ns = xcap_usages[i]->default_ns;
		bool dup = false;

		if (!ns || (xcap_usages[i]->opt_in && !with_opt_in))
			continue;
		for (j = 0; j < i; j++)
			if (xcap_usages[j]->default_ns && !strcmp(xcap_usages[j]->default_ns, ns))
				dup = true;
		if (!dup)
			err = buf_addf(out, "    <namespace>%s</namespace>\n", ns);
	}
	if (!err)
		err = buf_adds(out, "  </namespaces>\n</xcap-caps>\n");
	return err;
}
