/* ETags: a strong validator computed from the document bytes (so a client
 * can check a patched copy), and If-Match / If-None-Match list matching. */
#ifndef MCX_XCAP_ETAG_H
#define MCX_XCAP_ETAG_H

#include <stddef.h>
#include <stdbool.h>

#define XCAP_ETAG_LEN 32   /* hex characters, without quotes */

/* out gets XCAP_ETAG_LEN + 1 bytes. */
void xcap_etag(const char *bytes, size_t len, char *out);
/* Does the header value (a list of entity tags, "*", quoted or not) match
 * etag? etag NULL = no current representation, which nothing matches, not
 * even "*". strong: weak tags (W/"...") never match (If-Match, RFC 9110
 * 13.1.1); otherwise they compare by their opaque part (If-None-Match). */
bool xcap_etag_match(const char *hdr, const char *etag, bool strong);

#endif
