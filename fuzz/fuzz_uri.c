/* libFuzzer driver: XCAP request targets through xcap_uri_parse (root
 * "/xcap-root" and the empty root), then the node selector it yields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xcap/uri.h"
#include "xcap/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a successful parse promises; abort() when it does not hold. */
static void check(const struct xcap_uri *u)
{
	if (!u->auid || !*u->auid || !u->docname || !u->docpath)
		abort();
	if (strncmp(u->docpath, u->auid, strlen(u->auid)))
		abort();
	if (u->global == (u->xui != NULL) || (u->xui && (!*u->xui || strchr(u->xui, '/'))))
		abort();
	if (u->node && (!u->node_len || strlen(u->node) != u->node_len))
		abort();
	if (u->collection && u->node)
		abort();
	if (u->nbinds > XCAP_NSBIND_MAX)
		abort();
}

static void one(const char *p, size_t n, const char *root)
{
	struct xcap_uri u;
	char eb[128];

	if (xcap_uri_parse(&u, p, n, root, 8192, eb, sizeof(eb)) != XCAP_URI_OK)
		return;
	check(&u);
	if (u.node) {
		struct xsel s;

		if (!xsel_parse(&s, u.node, u.node_len, 0, eb, sizeof(eb)))
			xsel_free(&s);
	}
	xcap_uri_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, "/xcap-root");
	one((const char *)data, size, "");
	return 0;
}
