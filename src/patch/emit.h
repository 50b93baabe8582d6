/* Writing RFC 5261 operations for patch_diff(): the namespace declarations an
 * operation carries (for its selector and its content), selectors naming a
 * node of the previous document by position, and the operation element. */
#ifndef MCX_PATCH_EMIT_H
#define MCX_PATCH_EMIT_H

#include "patch/patch.h"
#include "patch/pnode.h"
#include "core/buf.h"

struct emit_bind {
	char prefix[32];
	size_t plen;
	const char *uri;           /* decoded, owned by one of the indexes */
};

struct emit {
	const struct xmldoc *p;    /* the previous document: what selectors name */
	const struct xmldoc *n;    /* the next document: where content comes from */
	struct mcx_buf *out;       /* the patch */
	bool ns_explicit;
	uint32_t nops, max_ops;
	/* the operation being written */
	struct emit_bind b[PATCH_MAX_BINDINGS];
	uint32_t nb;
	bool own_default;          /* the op declares xmlns=default_uri (and a prefix
				      opfx for the xcap-diff namespace) */
	const char *default_uri;
	char opfx[8];
	struct mcx_buf sel, type;
};

void emit_init(struct emit *e, const struct xmldoc *p, const struct xmldoc *n,
	       struct mcx_buf *out, const struct patch_opts *o);
void emit_free(struct emit *e);

/* Start a new operation. */
void emit_begin(struct emit *e);
/* Declarations for content next[from, to) going under next's element parent
 * (XEL_NONE: the document): the prefixes it uses that it does not declare. */
MCX_WUR enum mcx_err emit_content_ns(struct emit *e, size_t from, size_t to, uint32_t parent);
/* type="@name" for attribute a of next (bound to its own prefix). */
MCX_WUR enum mcx_err emit_type_attr(struct emit *e, uint32_t a);
/* sel naming element el of prev, child k of prev's child list c of element
 * parent, or attribute a of element el. MCX_EINVAL: not expressible. */
MCX_WUR enum mcx_err emit_sel_elem(struct emit *e, uint32_t el);
MCX_WUR enum mcx_err emit_sel_child(struct emit *e, uint32_t parent, const struct pnodes *c,
				    uint32_t k);
MCX_WUR enum mcx_err emit_sel_attr(struct emit *e, uint32_t el, uint32_t a);
/* Write <name sel=... [pos=...] [type=...] [ws=...] xmlns...>content</name>;
 * pos and ws may be NULL. MCX_ELIMIT past the op count or the patch size. */
MCX_WUR enum mcx_err emit_op(struct emit *e, const char *name, const char *pos, const char *ws,
			     struct pl content);

#endif
