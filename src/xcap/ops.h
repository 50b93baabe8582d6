/* XCAP element, attribute and namespace operations on document bytes
 * (RFC 4825 §7, §8.2): locate, fetch, create-or-replace and delete by
 * splicing bytes, so everything outside the addressed node stays identical.
 * Sans-I/O and store-agnostic: bytes and an index in, bytes and a status out. */
#ifndef MCX_XCAP_OPS_H
#define MCX_XCAP_OPS_H

#include "mcx/mcx.h"
#include "core/buf.h"
#include "xcap/xmldoc.h"
#include "xcap/selector.h"
#include "xcap/error.h"

enum xcap_kind { XCAP_KIND_DOC, XCAP_KIND_ELEMENT, XCAP_KIND_ATTR, XCAP_KIND_NS };

struct xcap_opctx {
	struct xsel_ctx sel;              /* default namespace and xmlns() bindings */
	const struct xmldoc_limits *lim;
	const char *doc_uri;              /* URI of the document, for <ancestor> */
};

/* GET of a node: on 200, (*p, *n) is the node's bytes inside d (element or
 * attribute value), or, for namespace bindings, ns_out holds the body. */
int xcap_node_get(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		  const char **p, size_t *n, struct mcx_buf *ns_out, struct xcap_status *st);

/* PUT of an element or attribute: on success (200 replace / 201 create) out
 * holds the new document. Other statuses are set in st. */
int xcap_node_put(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		  const char *body, size_t blen, struct mcx_buf *out, struct xcap_status *st);

/* DELETE of an element or attribute: on 200 out holds the new document. */
int xcap_node_delete(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		     struct mcx_buf *out, struct xcap_status *st);

/* After a PUT: does the selector now pick exactly the content that was put
 * (GET(PUT(x)) == x)? After a DELETE: does it now pick nothing? Both return
 * 0 when fine, else set st (409 cannot-insert / cannot-delete). */
int xcap_verify_put(const struct xmldoc *nd, const struct xsel *s, const struct xcap_opctx *c,
		    const char *body, size_t blen, struct xcap_status *st);
int xcap_verify_delete(const struct xmldoc *nd, const struct xsel *s,
		       const struct xcap_opctx *c, struct xcap_status *st);

/* Trim XML whitespace around an element body. */
struct pl xcap_trim(const char *p, size_t n);

#endif
