/* Library-internal pieces of patch_diff(): the walk over matched element
 * pairs (diff.c), the edits of one gap between aligned children (gap.c) and
 * of one start tag (tag.c). Every operation names nodes of the previous
 * document by position; they are written in reverse document order, so each
 * one's selector still holds when it is applied (edits only ever move nodes
 * that come later in the document). MCX_EINVAL from these means "not
 * expressible here": the caller replaces the whole element instead. */
#ifndef MCX_PATCH_DIFF_H
#define MCX_PATCH_DIFF_H

#include "patch/patch.h"
#include "patch/pnode.h"
#include "patch/emit.h"

struct dctx {
	const struct xmldoc *p, *n;   /* previous, next */
	struct emit em;
};

/* Operations turning element pe of prev into element ne of next. */
MCX_WUR enum mcx_err diff_elem(struct dctx *dc, uint32_t pe, uint32_t ne, uint32_t depth);

/* The children between two aligned anchors: cp[ia+1, ib) of pe become
 * cn[ja+1, jb) of ne; ia/ja == UINT32_MAX: from the first child. */
struct gap {
	uint32_t pe, ne;
	const struct pnodes *cp, *cn;
	uint32_t ia, ib, ja, jb;
};
MCX_WUR enum mcx_err gap_ops(struct dctx *dc, const struct gap *g);

/* Attribute operations turning pe's start tag into ne's; expand: pe is
 * written <x/> and ne is not. MCX_EINVAL when the bytes would differ. */
MCX_WUR enum mcx_err tag_ops(struct dctx *dc, uint32_t pe, uint32_t ne, bool expand);

#endif
