/* ETag computation and matching of If-Match / If-None-Match lists. */
#include <string.h>

#include "xcap/etag.h"
#include "core/crypto.h"

void xcap_etag(const char *bytes, size_t len, char *out)
{
	uint8_t md[32];

	crypto_hash(MCX_HASH_SHA256, bytes, len, md);
	hex_encode(md, XCAP_ETAG_LEN / 2, out);
}

bool xcap_etag_match(const char *hdr, const char *etag, bool strong)
{
	const char *p = hdr;
	size_t el = etag ? strlen(etag) : 0;

	while (*p) {
		const char *b, *e;
		bool weak = false;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (p[0] == 'W' && p[1] == '/') {
			weak = true;
			p += 2;
		}
		if (*p == '"') {
			b = ++p;
			while (*p && *p != '"')
				p++;
			e = p;
			if (*p)
				p++;
		} else {
			b = p;
			while (*p && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			e = p;
		}
		if (e - b == 1 && *b == '*') {
			if (etag)
				return true;
			continue;
		}
		if (etag && (size_t)(e - b) == el && !memcmp(b, etag, el) && !(weak && strong))
			return true;
	}
	return false;
}
