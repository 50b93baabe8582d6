/* The body of a SUBSCRIBE for xcap-diff (TS 24.484 §6.3.13.2.2, A.2.2):
 * multipart/mixed with the MCPTT access token in an
 * application/vnd.3gpp.mcptt-info+xml part and the XCAP URIs in an
 * application/resource-lists+xml part (RFC 4826), or a bare resource list
 * when the SIP core asserts the subscriber. Sans-I/O: bytes in, copies of
 * the token and the entry URIs out. */
#ifndef MCX_SIP_BODY_H
#define MCX_SIP_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"

#define MIME_MULTIPART "multipart/mixed"
#define MIME_MCPTT_INFO "application/vnd.3gpp.mcptt-info+xml"
#define MIME_RLS "application/resource-lists+xml"
#define NS_MCPTT_INFO "urn:3gpp:ns:mcpttInfo:1.0"
#define NS_RLS "urn:ietf:params:xml:ns:resource-lists"

struct sip_body {
	char *token; /* the access token (NUL-terminated); NULL when absent */
	char **uris; /* the <entry uri="..."> values, unescaped, in order */
	size_t nuris;
};

/* Parse body (of Content-Type ctype) into b, which the caller frees with
 * sip_body_free even on failure. Errors, with a reason in errbuf:
 * MCX_ENOENT no resource list (or an empty one), MCX_EINVAL malformed or
 * an unsupported media type, MCX_ELIMIT more than max_entries URIs,
 * MCX_EAUTH a token this server cannot use (encrypted), MCX_ENOMEM. */
MCX_WUR enum mcx_err sip_body_parse(struct sip_body *b, const char *ctype, size_t ctlen,
				    const char *body, size_t len, size_t max_entries, char *errbuf,
				    size_t errlen);
void sip_body_free(struct sip_body *b);
/* Is ctype[0..ctlen) a body type sip_body_parse understands? */
bool sip_body_type_ok(const char *ctype, size_t ctlen);

#endif
