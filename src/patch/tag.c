/* Start tag edits for patch_diff: attribute remove, replace and add, checked
 * by building the bytes patch_apply will make of the tag and comparing them
 * with the next document's tag (quotes, spacing and order included). */
#include <string.h>

#include "patch/diff.h"
#include "patch/apply.h"
#include "core/banned.h"

/* Can the raw value travel as the text of an operation and come back the
 * same? Literal whitespace characters would be turned into references. */
static bool value_ok(struct pl raw)
{
	size_t i;

	for (i = 0; i < raw.l; i++)
		if (raw.p[i] == '\t' || raw.p[i] == '\n' || raw.p[i] == '\r')
			return false;
	return !memmem(raw.p, raw.l, "]]>", 3);
}

static uint32_t find_q(const struct xmldoc *d, uint32_t e, struct pl qname)
{
	const struct xel *x = &d->els[e];
	uint32_t a;

	for (a = x->attr0; a < x->attr0 + x->nattr; a++)
		if (pl_eq(d->attrs[a].qname, qname))
			return a;
	return XEL_NONE;
}

/* One attribute operation: remove pa, replace pa's value with na's, or add na. */
static enum mcx_err attr_op(struct dctx *dc, const char *name, uint32_t pe, uint32_t pa,
			    uint32_t na)
{
	struct emit *em = &dc->em;
	struct pl v = na == XEL_NONE ? pl_make("", 0) : dc->n->attrs[na].raw;
	enum mcx_err err;

	emit_begin(em);
	if (pa == XEL_NONE) {
		err = emit_type_attr(em, na);
		if (!err)
			err = emit_sel_elem(em, pe);
	} else {
		err = emit_sel_attr(em, pe, pa);
	}
	if (!err)
		err = emit_op(em, name, NULL, NULL, v);
	return err;
}

static enum mcx_err quoted(struct mcx_buf *b, char q, struct pl v)
{
	enum mcx_err err = buf_add(b, &q, 1);

	if (!err)
		err = buf_add(b, v.p, v.l);
	if (!err)
		err = buf_add(b, &q, 1);
	return err;
}

/* The attributes pe keeps, edited in place; removals and replacements. */
static enum mcx_err old_attrs(struct dctx *dc, uint32_t pe, uint32_t ne, struct mcx_buf *sim,
			      size_t *last)
{
	const struct xmldoc *p = dc->p, *n = dc->n;
	const struct xel *px = &p->els[pe];
	uint32_t a, b;
	enum mcx_err err = MCX_OK;

	for (a = px->attr0; !err && a < px->attr0 + px->nattr; a++) {
		const struct xattr *at = &p->attrs[a];
		size_t vb = (size_t)(at->raw.p - p->buf);

		b = find_q(n, ne, at->qname);
		if (at->nsdecl && (b == XEL_NONE || !pl_eq(at->raw, n->attrs[b].raw)))
			return MCX_EINVAL;
		if (b == XEL_NONE) {
			err = attr_op(dc, "remove", pe, a, XEL_NONE);
		} else if (pl_eq(at->raw, n->attrs[b].raw)) {
			err = buf_add(sim, p->buf + *last, at->end - *last);
		} else if (!value_ok(n->attrs[b].raw)) {
			return MCX_EINVAL;
		} else {
			err = attr_op(dc, "replace", pe, a, b);
			if (!err)
				err = buf_add(sim, p->buf + *last, vb - 1 - *last);
			if (!err)
				err = quoted(sim, edit_quote_keep(at->quote, n->attrs[b].raw),
					     n->attrs[b].raw);
		}
		*last = at->end;
	}
	return err;
}

/* The attributes ne has and pe has not, appended in order. */
static enum mcx_err new_attrs(struct dctx *dc, uint32_t pe, uint32_t ne, struct mcx_buf *sim)
{
	const struct xmldoc *n = dc->n;
	const struct xel *nx = &n->els[ne];
	uint32_t b;
	enum mcx_err err = MCX_OK;

	for (b = nx->attr0; !err && b < nx->attr0 + nx->nattr; b++) {
		const struct xattr *at = &n->attrs[b];

		if (find_q(dc->p, pe, at->qname) != XEL_NONE)
			continue;
		if (at->nsdecl || !value_ok(at->raw))
			return MCX_EINVAL;
		err = attr_op(dc, "add", pe, XEL_NONE, b);
		if (!err)
			err = buf_adds(sim, " ");
		if (!err)
			err = buf_add(sim, at->qname.p, at->qname.l);
		if (!err)
			err = buf_adds(sim, "=");
		if (!err)
			err = quoted(sim, edit_quote_new(at->raw), at->raw);
	}
	return err;
}

enum mcx_err tag_ops(struct dctx *dc, uint32_t pe, uint32_t ne, bool expand)
{
	const struct xmldoc *p = dc->p, *n = dc->n;
	const struct xel *px = &p->els[pe], *nx = &n->els[ne];
	size_t last = (size_t)(px->qname.p + px->qname.l - p->buf);
	size_t tail_end = px->stag_end;
	struct mcx_buf sim;
	enum mcx_err err;

	/* big enough for any outcome: a failed append here is never a mismatch */
	buf_init(&sim, px->stag_end - px->start + 2 * (size_t)(nx->stag_end - nx->start) + 16);
	err = buf_add(&sim, p->buf + px->start, last - px->start);
	if (!err)
		err = old_attrs(dc, pe, ne, &sim, &last);
	if (!err)
		err = new_attrs(dc, pe, ne, &sim);
	if (!err && expand)
		tail_end -= 2;
	if (!err)
		err = buf_add(&sim, p->buf + last, tail_end - last);
	if (!err && expand)
		err = buf_adds(&sim, ">");
	if (!err && (sim.len != nx->stag_end - nx->start ||
		     memcmp(sim.p, n->buf + nx->start, sim.len)))
		err = MCX_EINVAL;
	buf_reset(&sim);
	return err;
}
