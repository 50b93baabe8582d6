/* Library-internal pieces of patch_apply(): one operation's context and the
 * node edits (add, replace, remove) that splice the document's bytes. */
#ifndef MCX_PATCH_APPLY_H
#define MCX_PATCH_APPLY_H

#include "patch/patch.h"
#include "patch/psel.h"
#include "core/buf.h"

struct actx {
	struct patch_status *st;
	const struct xmldoc *pd;   /* the patch, inside its wrapper element */
	uint32_t op;               /* the operation element in pd */
	const struct xmldoc *d;    /* the document before the operation */
	struct mcx_buf *nb;        /* receives the whole document after it */
};

enum apply_pos { POS_NONE, POS_BEFORE, POS_AFTER, POS_PREPEND };
enum apply_ws { WS_NONE, WS_BEFORE, WS_AFTER, WS_BOTH };

/* Each writes the new document to a->nb, or fails with MCX_EINVAL and the
 * RFC 5261 error in a->st (MCX_ELIMIT, MCX_ENOMEM). */
MCX_WUR enum mcx_err edit_add(struct actx *a, const struct ptarget *t, enum apply_pos pos,
			      struct pl type);
MCX_WUR enum mcx_err edit_replace(struct actx *a, const struct ptarget *t);
MCX_WUR enum mcx_err edit_remove(struct actx *a, const struct ptarget *t, enum apply_ws ws);

/* Append the bytes of patch element c to out, with namespace declarations
 * added to its start tag where a prefix it uses from the patch's context
 * would mean another namespace (or none) under document element parent
 * (XEL_NONE: the document node). */
MCX_WUR enum mcx_err nsfix_copy(const struct actx *a, uint32_t c, uint32_t parent,
				struct mcx_buf *out);

/* The quote an edit writes around an attribute value whose raw text is v:
 * new attributes take '"' unless v holds one; a replaced value keeps its old
 * quote q unless v holds that one. diff relies on both rules. */
char edit_quote_new(struct pl v);
char edit_quote_keep(char q, struct pl v);

#endif
