/* The edits of one gap between aligned children for patch_diff. A gap is
 * text s0, node u1, text s1, ... node um, text sm in the previous document
 * (any text may be absent) and r0 v1 r1 ... vn rn in the next. Nodes go with
 * one neighbouring text (ws="before"/"after" when it is whitespace), one
 * text survives, and the new nodes are added in one <add> next to it — so
 * no step ever leaves two text nodes side by side, where DOM-based appliers
 * and this byte-based one would count text() positions differently. */
#include <string.h>

#include "patch/diff.h"
#include "core/mem.h"
#include "core/banned.h"

#define NONE UINT32_MAX

struct side {
	const struct pnodes *c;
	uint32_t *txt;     /* txt[0..m]: child index of text i, or NONE */
	uint32_t *node;    /* node[1..m]: child index of node i */
	uint32_t m;
};

static enum mcx_err split(const struct pnodes *c, uint32_t from, uint32_t to, struct side *s)
{
	uint32_t k;

	s->c = c;
	s->m = 0;
	s->txt = mcx_malloc(((size_t)(to - from) + 2) * sizeof(uint32_t) * 2);
	if (!s->txt)
		return MCX_ENOMEM;
	s->node = s->txt + (to - from) + 2;
	s->txt[0] = NONE;
	for (k = from; k < to; k++) {
		if (c->v[k].kind == PN_TEXT) {
			s->txt[s->m] = k;
		} else {
			s->node[++s->m] = k;
			s->txt[s->m] = NONE;
		}
	}
	return MCX_OK;
}

static struct pl bytes(const struct xmldoc *d, const struct pnodes *c, uint32_t k)
{
	return pl_make(d->buf + c->v[k].start, c->v[k].end - c->v[k].start);
}

static bool text_eq(struct dctx *dc, const struct side *ps, uint32_t pk, const struct side *ns,
		    uint32_t nk)
{
	if (pk == NONE || nk == NONE)
		return pk == nk;
	return pl_eq(bytes(dc->p, ps->c, pk), bytes(dc->n, ns->c, nk));
}

/* <remove> of child k of pe, or <replace> of that text with v. */
static enum mcx_err child_op(struct dctx *dc, const struct gap *g, uint32_t k, const char *ws,
			     struct pl v, bool replace)
{
	enum mcx_err err;

	emit_begin(&dc->em);
	err = emit_sel_child(&dc->em, g->pe, g->cp, k);
	if (!err)
		err = emit_op(&dc->em, replace ? "replace" : "remove", NULL, ws, v);
	return err;
}

/* Remove node u and its neighbouring text t (before or after it). */
static enum mcx_err remove_pair(struct dctx *dc, const struct gap *g, uint32_t u, uint32_t t,
				bool before)
{
	enum mcx_err err = MCX_OK;

	if (t != NONE && pnode_raw_ws(dc->p->buf + g->cp->v[t].start,
				      g->cp->v[t].end - g->cp->v[t].start))
		return child_op(dc, g, u, before ? "before" : "after", pl_make("", 0), false);
	if (t != NONE)
		err = child_op(dc, g, t, NULL, pl_make("", 0), false);
	if (!err)
		err = child_op(dc, g, u, NULL, pl_make("", 0), false);
	return err;
}

/* <add> of next's children [from, to] after child k of pe (the gap's first
 * anchor when k is NONE: or as pe's first children). */
static enum mcx_err add_after(struct dctx *dc, const struct gap *g, uint32_t k, uint32_t from,
			      uint32_t to)
{
	struct emit *em = &dc->em;
	size_t a = g->cn->v[from].start, b = g->cn->v[to].end;
	enum mcx_err err;

	if (k == NONE)
		k = g->ia;
	emit_begin(em);
	err = emit_content_ns(em, a, b, g->ne);
	if (!err && k == NONE)
		err = emit_sel_elem(em, g->pe);
	else if (!err)
		err = emit_sel_child(em, g->pe, g->cp, k);
	if (!err)
		err = emit_op(em, "add", k == NONE ? "prepend" : "after", NULL,
			      pl_make(dc->n->buf + a, b - a));
	return err;
}

/* Make the one remaining text s0 (maybe absent) into r0 (maybe absent). */
static enum mcx_err fix_text(struct dctx *dc, const struct gap *g, uint32_t s0, uint32_t r0)
{
	enum mcx_err err;

	if (s0 == NONE && r0 == NONE)
		return MCX_OK;
	if (s0 == NONE)
		return add_after(dc, g, NONE, r0, r0);
	if (r0 != NONE && !g->cn->v[r0].cdata)
		return child_op(dc, g, s0, NULL, bytes(dc->n, g->cn, r0), true);
	/* <replace> of a text takes text only: CDATA goes in with an <add> */
	err = child_op(dc, g, s0, NULL, pl_make("", 0), false);
	if (!err && r0 != NONE)
		err = add_after(dc, g, NONE, r0, r0);
	return err;
}

static uint32_t first(const struct side *s)
{
	return s->txt[0] != NONE ? s->txt[0] : s->node[1];
}

static uint32_t last(const struct side *s)
{
	return s->txt[s->m] != NONE ? s->txt[s->m] : s->node[s->m];
}

/* sm survives (it equals rn): nodes go with the text before them. */
static enum mcx_err keep_last(struct dctx *dc, const struct gap *g, const struct side *ps,
			      const struct side *ns)
{
	uint32_t i;
	enum mcx_err err = MCX_OK;

	for (i = ps->m; !err && i >= 1; i--)
		err = remove_pair(dc, g, ps->node[i], ps->txt[i - 1], true);
	if (!err && ns->m)
		err = add_after(dc, g, NONE, first(ns), ns->node[ns->m]);
	return err;
}

/* s0 survives: nodes go with the text after them. */
static enum mcx_err keep_first(struct dctx *dc, const struct gap *g, const struct side *ps,
			       const struct side *ns)
{
	uint32_t i, s0 = ps->txt[0], r0 = ns->txt[0];
	enum mcx_err err = MCX_OK;

	for (i = ps->m; !err && i >= 1; i--)
		err = remove_pair(dc, g, ps->node[i], ps->txt[i], false);
	if (err)
		return err;
	if (text_eq(dc, ps, s0, ns, r0))
		return ns->m ? add_after(dc, g, s0, ns->node[1], last(ns)) : MCX_OK;
	if (!ns->m)
		return fix_text(dc, g, s0, r0);
	if (s0 != NONE)
		err = child_op(dc, g, s0, NULL, pl_make("", 0), false);
	if (!err)
		err = add_after(dc, g, NONE, first(ns), last(ns));
	return err;
}

enum mcx_err gap_ops(struct dctx *dc, const struct gap *g)
{
	struct side ps, ns;
	uint32_t pf = g->ia == NONE ? 0 : g->ia + 1, nf = g->ja == NONE ? 0 : g->ja + 1;
	enum mcx_err err;

	err = split(g->cp, pf, g->ib, &ps);
	if (err)
		return err;
	err = split(g->cn, nf, g->jb, &ns);
	if (err) {
		mcx_free(ps.txt);
		return err;
	}
	if (!ps.m && !ns.m)
		err = text_eq(dc, &ps, ps.txt[0], &ns, ns.txt[0]) ? MCX_OK :
			fix_text(dc, g, ps.txt[0], ns.txt[0]);
	else if (text_eq(dc, &ps, ps.txt[ps.m], &ns, ns.txt[ns.m]))
		err = keep_last(dc, g, &ps, &ns);
	else
		err = keep_first(dc, g, &ps, &ns);
	mcx_free(ps.txt);
	mcx_free(ns.txt);
	return err;
}
