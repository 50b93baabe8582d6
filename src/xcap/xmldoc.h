/* A byte-offset index of a well-formed XML document: every element with the
 * spans of its start tag, content and end tag, its attributes and resolved
 * namespace. Built by a small scanner over the stored bytes, so element and
 * attribute operations can splice bytes without re-serialising anything.
 * The index holds views into the bytes it was built from; keep them alive.
 * It assumes nothing: malformed input gives MCX_EINVAL, never a crash. */
#ifndef MCX_XCAP_XMLDOC_H
#define MCX_XCAP_XMLDOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/pl.h"

#define XEL_NONE UINT32_MAX

struct xattr {
	struct pl qname;      /* as written: "p:name" or "name" */
	struct pl prefix;     /* "" when none */
	struct pl local;
	struct pl raw;        /* value bytes between the quotes (escaped form) */
	uint32_t off;         /* offset of the first byte of the name */
	uint32_t end;         /* offset after the closing quote */
	uint32_t ns;          /* namespace id (0 = none); not set for xmlns */
	char quote;           /* '"' or '\'' */
	bool nsdecl;          /* xmlns or xmlns:p */
};

struct xel {
	uint32_t start;       /* '<' of the start tag */
	uint32_t stag_end;    /* after the '>' of the start tag */
	uint32_t etag_start;  /* '<' of the end tag; == stag_end when empty */
	uint32_t end;         /* after the '>' of the end tag (or of "/>") */
	uint32_t parent, first_child, last_child, next, prev;  /* elements only */
	uint32_t attr0, nattr;  /* slice of xmldoc.attrs */
	uint32_t ns;          /* namespace id; 0 = no namespace */
	uint32_t nsscope;     /* index into scopes: in-scope declarations */
	struct pl qname, prefix, local;
	uint16_t depth;       /* root = 1 */
	bool empty;           /* written as <x/> */
};

/* In-scope namespace declarations form a linked chain per element. */
struct xnsdecl {
	struct pl prefix;     /* "" for the default namespace */
	uint32_t ns;          /* id; 0 means xmlns="" (undeclare default) */
	uint32_t next;        /* next outer declaration, XEL_NONE at the end */
};

struct xmldoc_limits {
	uint32_t max_depth;
	uint32_t max_elements;
	uint32_t max_attrs;   /* per element */
	bool lenient_ns;      /* unbound prefixes resolve to no namespace
				 (for checking a fragment out of context) */
};

struct xmldoc {
	const char *buf;
	size_t len;
	struct xel *els;      /* document order; els[0] is the root */
	uint32_t nels;
	struct xattr *attrs;
	uint32_t nattrs;
	struct xnsdecl *decls;
	uint32_t ndecls;
	char **nsuris;        /* id -> decoded URI; [0] = "" */
	uint32_t nns;
	uint32_t root_prolog_end;   /* offset of the root's '<' */
	char errmsg[128];
};

/* Index buf[0..len). On failure *dp is untouched and errmsg explains (when
 * errbuf given). lim may be NULL for defaults. */
MCX_WUR enum mcx_err xmldoc_index(struct xmldoc **dp, const char *buf, size_t len,
				  const struct xmldoc_limits *lim,
				  char *errbuf, size_t errlen);
void xmldoc_free(struct xmldoc *d);

/* Namespace URI of an id ("" for none). */
const char *xmldoc_ns(const struct xmldoc *d, uint32_t id);
/* Find the id of a namespace URI; 0 when the document never declares it
 * (and uri is non-empty), in which case nothing in it can match. */
uint32_t xmldoc_ns_find(const struct xmldoc *d, const char *uri, bool *found);
/* Resolve a prefix in the scope of element e; returns false if unbound. */
bool xmldoc_prefix_ns(const struct xmldoc *d, uint32_t e, struct pl prefix, uint32_t *ns);

/* Decode entity and character references of an escaped text/attribute value
 * into out (NUL-terminated). Returns false on a bad reference or overflow. */
bool xml_unescape(struct pl raw, char *out, size_t outmax, size_t *outlen);
/* Is the byte string valid UTF-8 with only characters allowed by XML 1.0? */
bool xml_utf8_ok(const char *p, size_t n);

#define XMLDOC_DEFAULT_MAX_DEPTH 64
#define XMLDOC_DEFAULT_MAX_ELEMENTS 200000
#define XMLDOC_DEFAULT_MAX_ATTRS 256

#endif
