/* Namespace context of inserted elements (RFC 5261 §4.2.1: the content's
 * prefixes mean what the patch document binds them to): when the document
 * binds a used prefix otherwise at the insertion point, the inserted element
 * gets its own declaration. A patch made by patch_diff never needs one. */
#include <string.h>

#include "patch/apply.h"
#include "patch/status.h"
#include "core/banned.h"

struct need {
	struct pl prefix;
	const char *uri;
};

struct nsfix {
	const struct actx *a;
	uint32_t parent;
	struct need v[PATCH_MAX_NSFIX];
	uint32_t n;
};

/* Is prefix declared by x or an ancestor below the operation element? */
static bool declared_inside(const struct xmldoc *pd, uint32_t x, uint32_t stop, struct pl prefix)
{
	uint32_t k;

	for (k = pd->els[x].nsscope; k != stop && k != XEL_NONE; k = pd->decls[k].next)
		if (pl_eq(pd->decls[k].prefix, prefix))
			return true;
	return false;
}

static enum mcx_err check(struct nsfix *f, uint32_t x, struct pl prefix)
{
	const struct actx *a = f->a;
	const char *puri, *duri = "";
	uint32_t pid = 0, did = 0, k;
	bool bound;

	if (pl_eqs(prefix, "xml") ||
	    declared_inside(a->pd, x, a->pd->els[a->op].nsscope, prefix))
		return MCX_OK;
	if (!xmldoc_prefix_ns(a->pd, a->op, prefix, &pid))
		pid = 0;
	puri = xmldoc_ns(a->pd, pid);
	if (f->parent == XEL_NONE) {
		bound = !prefix.l;
	} else {
		bound = xmldoc_prefix_ns(a->d, f->parent, prefix, &did);
		duri = bound ? xmldoc_ns(a->d, did) : "";
	}
	if ((bound || !prefix.l) && !strcmp(puri, duri))
		return MCX_OK;
	for (k = 0; k < f->n; k++)
		if (pl_eq(f->v[k].prefix, prefix))
			return MCX_OK;
	if (f->n >= PATCH_MAX_NSFIX)
		return status_limit(a->st, PATCH_E_INVALID_DIFF_FORMAT,
				    "the number of namespaces an inserted element needs");
	f->v[f->n].prefix = prefix;
	f->v[f->n++].uri = puri;
	return MCX_OK;
}

static enum mcx_err collect(struct nsfix *f, uint32_t c)
{
	const struct xmldoc *pd = f->a->pd;
	uint32_t x, k;
	enum mcx_err err = MCX_OK;

	for (x = c; !err && x < pd->nels && pd->els[x].start < pd->els[c].end; x++) {
		const struct xel *xe = &pd->els[x];

		err = check(f, x, xe->prefix);
		for (k = xe->attr0; !err && k < xe->attr0 + xe->nattr; k++)
			if (!pd->attrs[k].nsdecl && pd->attrs[k].prefix.l)
				err = check(f, x, pd->attrs[k].prefix);
	}
	return err;
}

enum mcx_err nsfix_copy(const struct actx *a, uint32_t c, uint32_t parent, struct mcx_buf *out)
{
	const struct xmldoc *pd = a->pd;
	const struct xel *xc = &pd->els[c];
	struct nsfix f;
	size_t at = (size_t)(xc->qname.p + xc->qname.l - pd->buf);
	uint32_t k;
	enum mcx_err err;

	memset(&f, 0, sizeof(f));
	f.a = a;
	f.parent = parent;
	err = collect(&f, c);
	if (!err)
		err = buf_add(out, pd->buf + xc->start, (f.n ? at : xc->end) - xc->start);
	for (k = 0; !err && k < f.n; k++) {
		err = buf_adds(out, f.v[k].prefix.l ? " xmlns:" : " xmlns");
		if (!err)
			err = buf_add(out, f.v[k].prefix.p, f.v[k].prefix.l);
		if (!err)
			err = buf_adds(out, "=\"");
		if (!err)
			err = buf_add_xml(out, f.v[k].uri, strlen(f.v[k].uri));
		if (!err)
			err = buf_adds(out, "\"");
	}
	if (!err && f.n)
		err = buf_add(out, pd->buf + at, xc->end - at);
	return err;
}
