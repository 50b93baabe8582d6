/* xcap-diff documents (RFC 5874 §4), the NOTIFY bodies of the xcap-diff
 * event package: <xcap-diff xcap-root="..."> with one <document> per changed
 * (or, for the full state, existing) document. Sans-I/O: text appended to a
 * capped buffer. */
#ifndef MCX_SIP_XCAPDIFF_H
#define MCX_SIP_XCAPDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"

#define NS_XCAP_DIFF "urn:ietf:params:xml:ns:xcap-diff"

MCX_WUR enum mcx_err xdiff_begin(struct mcx_buf *b, const char *xcap_root);
/* One <document sel=...>: prev "" = no previous-etag (initial state or a
 * creation), next "" = no new-etag (a deletion). ops[0..opslen) (NULL = none)
 * is inserted as the element's content: the RFC 5261 patch operations of
 * xcap-patching and aggregate, or <body-not-changed/>. Values are escaped. */
MCX_WUR enum mcx_err xdiff_document(struct mcx_buf *b, const char *sel, const char *prev,
				    const char *next, const char *ops, size_t opslen);
/* One <element sel=...> or <attribute sel=...> (sel[0..sellen)): content is
 * the element (with the namespace declarations it needs) or the attribute's
 * value as escaped in the document; exists false gives exists="0" and no
 * content. decls (" xmlns:p=\"...\"" ...) bind the prefixes of sel. */
MCX_WUR enum mcx_err xdiff_node(struct mcx_buf *b, bool attribute, const char *sel, size_t sellen,
				const char *decls, bool exists, const char *content, size_t len);
MCX_WUR enum mcx_err xdiff_end(struct mcx_buf *b);

#endif
