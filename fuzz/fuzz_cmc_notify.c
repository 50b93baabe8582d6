/* libFuzzer driver: the client's side of an xcap-diff NOTIFY. The input is
 * the body; every <document> found is then decided against a fixed cached
 * copy (so the ops reach patch_apply with the bindings in scope). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmc/notify.h"
#include "xcap/etag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CACHED[] = "<r xmlns=\"urn:r\"><a x=\"1\">t</a><b/></r>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmc_notify *n = NULL;
	struct mcx_buf out;
	char eb[200], why[400], etag[XCAP_ETAG_LEN + 1];
	unsigned i;

	if (cmc_notify_parse(&n, (const char *)data, size, eb, sizeof(eb)))
		return 0;
	xcap_etag(CACHED, sizeof(CACHED) - 1, etag);
	buf_init(&out, 1 << 20);
	for (i = 0; i < n->ndocs; i++) {
		enum cmc_action a;

		if (!n->docs[i].sel || (n->docs[i].opslen && !n->docs[i].ops))
			abort();
		out.len = 0;
		a = cmc_notify_decide(&n->docs[i], CACHED, sizeof(CACHED) - 1, etag, &out, why,
				      sizeof(why));
		/* a patched copy always hashes to the new-etag it was checked against */
		if (a == CMC_PATCHED) {
			char got[XCAP_ETAG_LEN + 1];

			xcap_etag(out.p ? out.p : "", out.len, got);
			if (strcmp(got, n->docs[i].next))
				abort();
		}
	}
	buf_reset(&out);
	cmc_notify_free(n);
	return 0;
}
