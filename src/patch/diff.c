/* patch_diff(): walk both documents from the root, aligning the children of
 * each pair of matched elements, and write operations for what differs;
 * where an element's change can't be said exactly, replace that element.
 * The result is applied to the previous bytes before it is returned. */
#include <string.h>

#include "patch/diff.h"
#include "patch/align.h"
#include "patch/status.h"
#include "core/mem.h"
#include "core/banned.h"

static struct pl span(const struct xmldoc *d, uint32_t e)
{
	return pl_make(d->buf + d->els[e].start, d->els[e].end - d->els[e].start);
}

static enum mcx_err replace_elem(struct dctx *dc, uint32_t pe, uint32_t ne)
{
	struct emit *em = &dc->em;
	const struct xel *nx = &dc->n->els[ne];
	enum mcx_err err;

	emit_begin(em);
	err = emit_content_ns(em, nx->start, nx->end, nx->parent);
	if (!err)
		err = emit_sel_elem(em, pe);
	if (!err)
		err = emit_op(em, "replace", NULL, NULL, span(dc->n, ne));
	return err == MCX_EINVAL ? MCX_EINVAL : err;
}

static void items(const struct xmldoc *d, const struct pnodes *c, struct aitem *it, uint32_t *n)
{
	uint32_t k;

	*n = 0;
	for (k = 0; k < c->n; k++) {
		const struct pnode *nd = &c->v[k];
		struct aitem *a = &it[*n];

		if (nd->kind == PN_TEXT)
			continue;
		memset(a, 0, sizeof(*a));
		a->idx = k;
		a->kind = nd->kind;
		a->bytes = pl_make(d->buf + nd->start, nd->end - nd->start);
		if (nd->kind == PN_ELEM) {
			const struct xel *x = &d->els[nd->el];

			a->stag = pl_make(d->buf + x->start,
					  x->stag_end - x->start - (x->empty ? 2 : 1));
			a->qname = x->qname;
		}
		align_hash(a);
		(*n)++;
	}
}

struct pairs {
	uint32_t *pi, *nj;   /* child indices of the aligned nodes, in order */
	uint32_t n;
};

static enum mcx_err pair_up(const struct dctx *dc, const struct pnodes *cp,
			    const struct pnodes *cn, struct pairs *pr)
{
	struct aitem *P, *N;
	uint32_t m = 0, n = 0, *match, i;
	enum mcx_err err = MCX_ENOMEM;

	P = mcx_calloc((size_t)cp->n + 1, sizeof(*P));
	N = mcx_calloc((size_t)cn->n + 1, sizeof(*N));
	match = mcx_calloc((size_t)cp->n + 1, sizeof(*match));
	pr->pi = mcx_calloc(((size_t)cp->n + 1) * 2, sizeof(uint32_t));
	pr->n = 0;
	if (P && N && match && pr->pi) {
		pr->nj = pr->pi + cp->n + 1;
		items(dc->p, cp, P, &m);
		items(dc->n, cn, N, &n);
		err = align(P, m, N, n, match);
		for (i = 0; !err && i < m; i++) {
			if (match[i] == UINT32_MAX)
				continue;
			pr->pi[pr->n] = P[i].idx;
			pr->nj[pr->n++] = N[match[i]].idx;
		}
	}
	mcx_free(P);
	mcx_free(N);
	mcx_free(match);
	return err;
}

/* A comment or PI aligned with a different one: replace it. */
static enum mcx_err replace_child(struct dctx *dc, uint32_t pe, const struct pnodes *cp,
				  uint32_t k, const struct pnode *nn)
{
	struct emit *em = &dc->em;
	enum mcx_err err;

	emit_begin(em);
	err = emit_sel_child(em, pe, cp, k);
	if (!err)
		err = emit_op(em, "replace", NULL, NULL,
			      pl_make(dc->n->buf + nn->start, nn->end - nn->start));
	return err;
}

/* Gaps and aligned children, last to first. */
static enum mcx_err walk_pairs(struct dctx *dc, uint32_t pe, uint32_t ne, const struct pnodes *cp,
			       const struct pnodes *cn, const struct pairs *pr, uint32_t depth)
{
	uint32_t g;
	enum mcx_err err = MCX_OK;

	for (g = pr->n + 1; !err && g-- > 0;) {
		struct gap gp = {
			pe, ne, cp, cn,
			g ? pr->pi[g - 1] : UINT32_MAX, g < pr->n ? pr->pi[g] : cp->n,
			g ? pr->nj[g - 1] : UINT32_MAX, g < pr->n ? pr->nj[g] : cn->n,
		};
		const struct pnode *a, *b;

		err = gap_ops(dc, &gp);
		if (err || !g)
			continue;
		a = &cp->v[pr->pi[g - 1]];
		b = &cn->v[pr->nj[g - 1]];
		if (a->kind == PN_ELEM)
			err = diff_elem(dc, a->el, b->el, depth + 1);
		else if (!pl_eq(pl_make(dc->p->buf + a->start, a->end - a->start),
				pl_make(dc->n->buf + b->start, b->end - b->start)))
			err = replace_child(dc, pe, cp, pr->pi[g - 1], b);
	}
	return err;
}

static enum mcx_err diff_content(struct dctx *dc, uint32_t pe, uint32_t ne, uint32_t depth)
{
	struct pnodes cp = { NULL, 0 }, cn = { NULL, 0 };
	struct pairs pr = { NULL, NULL, 0 };
	enum mcx_err err;

	err = pnode_children(dc->p, pe, &cp);
	if (err)
		return err;
	err = pnode_children(dc->n, ne, &cn);
	if (!err)
		err = pair_up(dc, &cp, &cn, &pr);
	if (!err)
		err = walk_pairs(dc, pe, ne, &cp, &cn, &pr, depth);
	mcx_free(pr.pi);
	pnodes_free(&cp);
	pnodes_free(&cn);
	return err;
}

/* <x/> that gets content: append it all in one <add>. */
static enum mcx_err fill_empty(struct dctx *dc, uint32_t pe, uint32_t ne)
{
	struct emit *em = &dc->em;
	const struct xel *nx = &dc->n->els[ne];
	enum mcx_err err;

	if (nx->etag_start == nx->stag_end)
		return MCX_EINVAL;
	emit_begin(em);
	err = emit_content_ns(em, nx->stag_end, nx->etag_start, ne);
	if (!err)
		err = emit_sel_elem(em, pe);
	if (!err)
		err = emit_op(em, "add", NULL, NULL,
			      pl_make(dc->n->buf + nx->stag_end, nx->etag_start - nx->stag_end));
	return err;
}

/* The end tag ne will have: pe's own, or "</qname>" when pe is <x/>. */
static bool end_tag_ok(const struct dctx *dc, const struct xel *px, const struct xel *nx)
{
	struct pl ne = pl_make(dc->n->buf + nx->etag_start, nx->end - nx->etag_start);

	if (px->empty)
		return ne.l == px->qname.l + 3 && !memcmp(ne.p + 2, px->qname.p, px->qname.l);
	return pl_eq(ne, pl_make(dc->p->buf + px->etag_start, px->end - px->etag_start));
}

static enum mcx_err diff_inner(struct dctx *dc, uint32_t pe, uint32_t ne, uint32_t depth)
{
	const struct xel *px = &dc->p->els[pe], *nx = &dc->n->els[ne];
	enum mcx_err err;

	if (!pl_eq(px->qname, nx->qname) || (!px->empty && nx->empty) || depth > PATCH_MAX_DEPTH ||
	    (!nx->empty && !end_tag_ok(dc, px, nx)))
		return MCX_EINVAL;
	err = tag_ops(dc, pe, ne, px->empty && !nx->empty);
	if (err)
		return err;
	if (px->empty && !nx->empty)
		return fill_empty(dc, pe, ne);
	if (!px->empty)
		return diff_content(dc, pe, ne, depth);
	return MCX_OK;
}

enum mcx_err diff_elem(struct dctx *dc, uint32_t pe, uint32_t ne, uint32_t depth)
{
	struct mcx_buf *out = dc->em.out;
	size_t mark = out->len;
	uint32_t nops = dc->em.nops;
	enum mcx_err err;

	if (pl_eq(span(dc->p, pe), span(dc->n, ne)))
		return MCX_OK;
	err = diff_inner(dc, pe, ne, depth);
	if (err != MCX_EINVAL)
		return err;
	out->len = mark;
	if (out->p)
		out->p[mark] = '\0';
	dc->em.nops = nops;
	return replace_elem(dc, pe, ne);
}

static bool same_outside_root(const struct xmldoc *p, const struct xmldoc *n)
{
	size_t pt = p->len - p->els[0].end, nt = n->len - n->els[0].end;

	return p->els[0].start == n->els[0].start && pt == nt &&
	       !memcmp(p->buf, n->buf, p->els[0].start) &&
	       !memcmp(p->buf + p->els[0].end, n->buf + n->els[0].end, pt);
}

/* Apply the patch to prev: it must give next. */
static enum mcx_err verify(const char *prev, size_t plen, const char *next, size_t nlen,
			   const struct mcx_buf *patch, size_t max_doc, struct patch_status *st)
{
	struct patch_opts ao = { .max_doc = max_doc, .max_ops = PATCH_MAX_OPS * 4 };
	struct mcx_buf res;
	enum mcx_err err;

	buf_init(&res, max_doc);
	err = patch_apply(prev, plen, patch->p ? patch->p : "", patch->len, &ao, &res, NULL);
	if (!err && (res.len != nlen || memcmp(res.p ? res.p : "", next, nlen)))
		err = MCX_EINVAL;
	buf_reset(&res);
	if (err == MCX_ENOMEM)
		return err;
	if (err)
		return status_fail(st, PATCH_E_NONE, "the patch did not give the new bytes");
	return MCX_OK;
}

/* Free of "<!-->", "<!--->" and "<?>", which the xmldoc scanner reads as a
 * whole comment or PI and an XML parser does not: ops carrying them would be
 * read one way by the applier's scanner and another by everyone else. */
static bool lax_free(const char *p, size_t n)
{
	return !memmem(p, n, "<!-->", 5) && !memmem(p, n, "<!--->", 6) && !memmem(p, n, "<?>", 3);
}

static enum mcx_err index_both(const char *prev, size_t plen, const char *next, size_t nlen,
			       struct xmldoc **p, struct xmldoc **n, struct patch_status *st)
{
	struct xmldoc_limits lim = { PATCH_MAX_DEPTH, PATCH_MAX_ELEMENTS, XMLDOC_DEFAULT_MAX_ATTRS,
				     false };
	enum mcx_err err;

	if (!pnode_charset_ok(prev, plen) || !pnode_charset_ok(next, nlen))
		return status_fail(st, PATCH_E_NONE, "a document is not UTF-8");
	if (!lax_free(prev, plen) || !lax_free(next, nlen))
		return status_fail(st, PATCH_E_NONE, "a document has \"<!-->\" or \"<?>\"");
	err = xmldoc_index(p, prev, plen, &lim, NULL, 0);
	if (!err) {
		err = xmldoc_index(n, next, nlen, &lim, NULL, 0);
		if (err) {
			xmldoc_free(*p);
			*p = NULL;
		}
	}
	if (err == MCX_ENOMEM)
		return err;
	if (err)
		return status_fail(st, PATCH_E_NONE, "a document is not well-formed or too big");
	if (!same_outside_root(*p, *n))
		return status_fail(st, PATCH_E_NONE, "the prolog or what follows the root changed");
	return MCX_OK;
}

static enum mcx_err run(const char *prev, size_t plen, const char *next, size_t nlen,
			const struct patch_opts *o, struct mcx_buf *patch, struct patch_status *st)
{
	struct xmldoc *p = NULL, *n = NULL;
	struct dctx dc;
	enum mcx_err err;

	err = index_both(prev, plen, next, nlen, &p, &n, st);
	if (!err) {
		dc.p = p;
		dc.n = n;
		emit_init(&dc.em, p, n, patch, o);
		err = diff_elem(&dc, 0, 0, 1);
		emit_free(&dc.em);
		if (err == MCX_ELIMIT)
			status_limit(st, PATCH_E_NONE, "the patch");
		else if (err == MCX_EINVAL)
			status_fail(st, PATCH_E_NONE, "the change can't be expressed");
	}
	xmldoc_free(p);
	xmldoc_free(n);
	return err;
}

enum mcx_err patch_diff(const char *prev, size_t plen, const char *next, size_t nlen,
			const struct patch_opts *opts, struct mcx_buf *out, struct patch_status *st)
{
	size_t max_doc = opts && opts->max_doc ? opts->max_doc : PATCH_MAX_DOC;
	size_t max_patch = opts && opts->max_patch ? opts->max_patch : PATCH_MAX_PATCH;
	struct mcx_buf patch;
	enum mcx_err err;

	status_clear(st);
	if (plen > max_doc || nlen > max_doc)
		return status_limit(st, PATCH_E_NONE, "a document");
	if (plen == nlen && !memcmp(prev, next, plen))
		return MCX_OK;
	buf_init(&patch, max_patch);
	err = run(prev, plen, next, nlen, opts, &patch, st);
	if (!err)
		err = verify(prev, plen, next, nlen, &patch, max_doc, st);
	if (!err)
		err = buf_add(out, patch.p ? patch.p : "", patch.len);
	if (err == MCX_ELIMIT && st && !st->detail[0])
		status_limit(st, PATCH_E_NONE, "the output buffer");
	buf_reset(&patch);
	return err;
}
