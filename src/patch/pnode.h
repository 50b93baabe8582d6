/* The XPath node view RFC 5261 selectors need, over an indexed document
 * (xcap/xmldoc): the child nodes of an element or of the document — elements,
 * text, comments, processing instructions — as byte spans. A text node is a
 * maximal run of character data and CDATA sections, as in the XPath model. */
#ifndef MCX_PATCH_PNODE_H
#define MCX_PATCH_PNODE_H

#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/pl.h"
#include "xcap/xmldoc.h"

enum pnode_kind { PN_ELEM, PN_TEXT, PN_COMMENT, PN_PI };

struct pnode {
	uint32_t start, end;   /* the node's bytes */
	uint32_t el;           /* element index for PN_ELEM, else XEL_NONE */
	uint8_t kind;          /* enum pnode_kind */
	bool cdata;            /* a text node holding a CDATA section */
};

struct pnodes {
	struct pnode *v;
	uint32_t n;
};

/* Child nodes of element el, or of the document when el is XEL_NONE (its
 * comments and PIs around the root element; not the XML declaration, and no
 * text: whitespace outside the root is not a node). Caller frees with
 * pnodes_free. MCX_EINVAL if the bytes do not fit the index. */
MCX_WUR enum mcx_err pnode_children(const struct xmldoc *d, uint32_t el, struct pnodes *out);
void pnodes_free(struct pnodes *c);
/* Index of the child starting at byte off, or UINT32_MAX. */
uint32_t pnode_find(const struct pnodes *c, uint32_t off);

static inline bool pnode_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is the raw text whitespace only (character references decoded)? */
bool pnode_text_ws(const char *p, size_t n);
/* Only XML whitespace bytes, literally. */
bool pnode_raw_ws(const char *p, size_t n);
/* Every '&' outside comments, CDATA and PIs starts a predefined entity or a
 * valid character reference. */
bool pnode_refs_ok(const char *p, size_t n);
/* Is the string value of element el (its decoded descendant text) v? */
bool pnode_strval_eq(const struct xmldoc *d, uint32_t el, const char *v, size_t vl);
/* UTF-8 bytes, with no XML declaration or one that says UTF-8. */
bool pnode_charset_ok(const char *p, size_t n);
/* Target name of the processing instruction starting at p. */
struct pl pnode_pi_target(const char *p, size_t n);

#endif
