/* Operation writer for patch_diff: bindings, positional selectors, op elements. */
#include <stdio.h>
#include <string.h>

#include "patch/emit.h"
#include "core/banned.h"

#define XML_NS_URI "http://www.w3.org/XML/1998/namespace"

void emit_init(struct emit *e, const struct xmldoc *p, const struct xmldoc *n,
	       struct mcx_buf *out, const struct patch_opts *o)
{
	memset(e, 0, sizeof(*e));
	e->p = p;
	e->n = n;
	e->out = out;
	e->ns_explicit = o && o->ns_explicit;
	e->max_ops = o && o->max_ops ? o->max_ops : PATCH_MAX_OPS;
	buf_init(&e->sel, PATCH_MAX_SEL);
	buf_init(&e->type, 256);
}

void emit_free(struct emit *e)
{
	buf_reset(&e->sel);
	buf_reset(&e->type);
}

void emit_begin(struct emit *e)
{
	e->nb = 0;
	e->own_default = false;
	e->default_uri = "";
	e->opfx[0] = '\0';
	e->sel.len = 0;
	e->type.len = 0;
}

static struct emit_bind *find_prefix(struct emit *e, struct pl prefix)
{
	uint32_t k;

	for (k = 0; k < e->nb; k++)
		if (e->b[k].plen == prefix.l && !memcmp(e->b[k].prefix, prefix.p, prefix.l))
			return &e->b[k];
	return NULL;
}

static bool prefix_free(struct emit *e, struct pl prefix)
{
	return prefix.l && !find_prefix(e, prefix) && !pl_eqs(prefix, e->opfx) &&
	       !pl_startswith(prefix, "xml");
}

/* Declare prefix = uri on the op; MCX_EINVAL if the prefix means another. */
static enum mcx_err bind(struct emit *e, struct pl prefix, const char *uri)
{
	struct emit_bind *b = find_prefix(e, prefix);

	if (b)
		return strcmp(b->uri, uri) ? MCX_EINVAL : MCX_OK;
	if (e->nb >= PATCH_MAX_BINDINGS || prefix.l >= sizeof(b->prefix))
		return MCX_EINVAL;
	b = &e->b[e->nb++];
	memcpy(b->prefix, prefix.p, prefix.l);
	b->prefix[prefix.l] = '\0';
	b->plen = prefix.l;
	b->uri = uri;
	return MCX_OK;
}

/* A prefix declared on the op for uri: one already there, the hint (the
 * document's own prefix), or p, p1, p2, ... */
static enum mcx_err prefix_for(struct emit *e, const char *uri, struct pl hint, struct pl *out)
{
	char gen[16];
	uint32_t k;

	if (!strcmp(uri, XML_NS_URI)) {
		*out = PL("xml");
		return MCX_OK;
	}
	for (k = 0; k < e->nb; k++) {
		if (e->b[k].plen && !strcmp(e->b[k].uri, uri)) {
			*out = pl_make(e->b[k].prefix, e->b[k].plen);
			return MCX_OK;
		}
	}
	if (!prefix_free(e, hint)) {
		for (k = 0; k < 1000; k++) {
			snprintf(gen, sizeof(gen), k ? "p%u" : "p", k);
			if (prefix_free(e, pl_str(gen)))
				break;
		}
		hint = pl_str(gen);
	}
	if (bind(e, hint, uri))
		return MCX_EINVAL;
	*out = pl_make(e->b[e->nb - 1].prefix, e->b[e->nb - 1].plen);
	return MCX_OK;
}

static uint32_t find_el(const struct xmldoc *d, size_t off)
{
	uint32_t lo = 0, hi = d->nels;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->els[mid].start < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static enum mcx_err content_prefix(struct emit *e, uint32_t x, uint32_t parent, struct pl prefix)
{
	const struct xmldoc *n = e->n;
	uint32_t stop = parent == XEL_NONE ? XEL_NONE : n->els[parent].nsscope, k, id = 0;

	if (pl_eqs(prefix, "xml"))
		return MCX_OK;
	for (k = n->els[x].nsscope; k != stop && k != XEL_NONE; k = n->decls[k].next)
		if (pl_eq(n->decls[k].prefix, prefix))
			return MCX_OK;
	if (parent != XEL_NONE && !xmldoc_prefix_ns(n, parent, prefix, &id))
		return MCX_EINVAL;
	if (parent == XEL_NONE && prefix.l)
		return MCX_EINVAL;
	if (!prefix.l) {
		e->own_default = true;
		e->default_uri = xmldoc_ns(n, id);
		return MCX_OK;
	}
	return bind(e, prefix, xmldoc_ns(n, id));
}

enum mcx_err emit_content_ns(struct emit *e, size_t from, size_t to, uint32_t parent)
{
	const struct xmldoc *n = e->n;
	uint32_t x, k;
	enum mcx_err err = MCX_OK;

	for (x = find_el(n, from); !err && x < n->nels && n->els[x].start < to; x++) {
		const struct xel *xe = &n->els[x];

		err = content_prefix(e, x, parent, xe->prefix);
		for (k = xe->attr0; !err && k < xe->attr0 + xe->nattr; k++)
			if (!n->attrs[k].nsdecl && n->attrs[k].prefix.l)
				err = content_prefix(e, x, parent, n->attrs[k].prefix);
	}
	for (k = 0; !err && e->own_default && k < 100; k++) {
		snprintf(e->opfx, sizeof(e->opfx), k ? "xd%u" : "xd", k);
		if (!find_prefix(e, pl_str(e->opfx)))
			break;
	}
	return err;
}

enum mcx_err emit_type_attr(struct emit *e, uint32_t a)
{
	const struct xattr *at = &e->n->attrs[a];
	enum mcx_err err = MCX_OK;

	if (at->prefix.l && !pl_eqs(at->prefix, "xml"))
		err = bind(e, at->prefix, xmldoc_ns(e->n, at->ns));
	if (!err)
		err = buf_adds(&e->type, "@");
	if (!err)
		err = buf_add(&e->type, at->qname.p, at->qname.l);
	return err == MCX_ELIMIT ? MCX_EINVAL : err;
}

/* 1-based position of x among its siblings with the same expanded name (or
 * among all element siblings: any). Every step but the root's carries it,
 * also when it is 1: an <add> written earlier (later in the document) may
 * give the element a namesake after it, never one before it. */
static uint32_t position(const struct xmldoc *d, uint32_t x, bool any)
{
	uint32_t s, pos = 0;

	for (s = x; s != XEL_NONE; s = d->els[s].prev)
		if (any || (d->els[s].ns == d->els[x].ns &&
			    pl_eq(d->els[s].local, d->els[x].local)))
			pos++;
	return pos;
}

static enum mcx_err step(struct emit *e, uint32_t x)
{
	const struct xel *xe = &e->p->els[x];
	const char *uri = xmldoc_ns(e->p, xe->ns);
	bool any = false;
	struct pl pfx = PL_INIT;
	enum mcx_err err;

	if (e->own_default && !strcmp(uri, e->default_uri))
		pfx = pl_make("", 0);
	else if (!*uri)
		any = true;
	else if (prefix_for(e, uri, xe->prefix, &pfx))
		return MCX_EINVAL;
	err = buf_adds(&e->sel, "/");
	if (!err && any)
		err = buf_adds(&e->sel, "*");
	if (!err && !any && pfx.l)
		err = buf_addf(&e->sel, "%.*s:", (int)pfx.l, pfx.p);
	if (!err && !any)
		err = buf_add(&e->sel, xe->local.p, xe->local.l);
	if (!err && xe->parent != XEL_NONE)
		err = buf_addf(&e->sel, "[%u]", position(e->p, x, any));
	return err;
}

enum mcx_err emit_sel_elem(struct emit *e, uint32_t el)
{
	uint32_t chain[PATCH_MAX_DEPTH + 2], n = 0, x;
	enum mcx_err err = MCX_OK;

	for (x = el; x != XEL_NONE; x = e->p->els[x].parent) {
		if (n >= sizeof(chain) / sizeof(chain[0]))
			return MCX_EINVAL;
		chain[n++] = x;
	}
	while (!err && n)
		err = step(e, chain[--n]);
	return err == MCX_ELIMIT ? MCX_EINVAL : err;
}

enum mcx_err emit_sel_child(struct emit *e, uint32_t parent, const struct pnodes *c, uint32_t k)
{
	uint8_t kind = c->v[k].kind;
	uint32_t i, pos = 0;
	enum mcx_err err;

	if (kind == PN_ELEM)
		return emit_sel_elem(e, c->v[k].el);
	for (i = 0; i < c->n; i++) {
		if (kind == PN_TEXT && c->v[i].cdata)
			return MCX_EINVAL;   /* DOMs count CDATA sections apart */
		if (c->v[i].kind != kind)
			continue;
		if (i <= k)
			pos++;
	}
	err = emit_sel_elem(e, parent);
	if (!err)
		err = buf_adds(&e->sel, kind == PN_TEXT ? "/text()" : kind == PN_COMMENT ?
			       "/comment()" : "/processing-instruction()");
	if (!err)
		err = buf_addf(&e->sel, "[%u]", pos);
	return err == MCX_ELIMIT ? MCX_EINVAL : err;
}

enum mcx_err emit_sel_attr(struct emit *e, uint32_t el, uint32_t a)
{
	const struct xattr *at = &e->p->attrs[a];
	struct pl pfx = PL_INIT;
	enum mcx_err err;

	err = emit_sel_elem(e, el);
	if (!err && at->prefix.l && prefix_for(e, xmldoc_ns(e->p, at->ns), at->prefix, &pfx))
		return MCX_EINVAL;
	if (!err)
		err = buf_adds(&e->sel, "/@");
	if (!err && pfx.l)
		err = buf_addf(&e->sel, "%.*s:", (int)pfx.l, pfx.p);
	if (!err)
		err = buf_add(&e->sel, at->local.p, at->local.l);
	return err == MCX_ELIMIT ? MCX_EINVAL : err;
}

static enum mcx_err decl(struct mcx_buf *o, const char *prefix, size_t plen, const char *uri)
{
	enum mcx_err err = buf_adds(o, plen ? " xmlns:" : " xmlns");

	if (!err)
		err = buf_add(o, prefix, plen);
	if (!err)
		err = buf_adds(o, "=\"");
	if (!err)
		err = buf_add_xml(o, uri, strlen(uri));
	if (!err)
		err = buf_adds(o, "\"");
	return err;
}

static enum mcx_err decls(struct emit *e)
{
	struct mcx_buf *o = e->out;
	enum mcx_err err = MCX_OK;
	uint32_t k;

	if (e->own_default) {
		err = decl(o, e->opfx, strlen(e->opfx), PATCH_NS_XCAP_DIFF);
		if (!err)
			err = decl(o, "", 0, e->default_uri);
	} else if (e->ns_explicit) {
		err = decl(o, "", 0, PATCH_NS_XCAP_DIFF);
	}
	for (k = 0; !err && k < e->nb; k++)
		err = decl(o, e->b[k].prefix, e->b[k].plen, e->b[k].uri);
	return err;
}

static enum mcx_err tag_name(struct emit *e, const char *name)
{
	if (e->own_default)
		return buf_addf(e->out, "%s:%s", e->opfx, name);
	return buf_adds(e->out, name);
}

enum mcx_err emit_op(struct emit *e, const char *name, const char *pos, const char *ws,
		     struct pl content)
{
	struct mcx_buf *o = e->out;
	enum mcx_err err;

	if (++e->nops > e->max_ops)
		return MCX_ELIMIT;
	err = buf_adds(o, "<");
	if (!err)
		err = tag_name(e, name);
	if (!err)
		err = buf_adds(o, " sel=\"");
	if (!err)
		err = buf_add(o, e->sel.p, e->sel.len);
	if (!err && pos)
		err = buf_addf(o, "\" pos=\"%s", pos);
	if (!err && e->type.len)
		err = buf_addf(o, "\" type=\"%.*s", (int)e->type.len, e->type.p);
	if (!err && ws)
		err = buf_addf(o, "\" ws=\"%s", ws);
	if (!err)
		err = buf_adds(o, "\"");
	if (!err)
		err = decls(e);
	if (!err && !content.l && !strcmp(name, "remove"))
		return buf_adds(o, "/>");
	if (!err)
		err = buf_adds(o, ">");
	if (!err)
		err = buf_add(o, content.p, content.l);
	if (!err)
		err = buf_adds(o, "</");
	if (!err)
		err = tag_name(e, name);
	if (!err)
		err = buf_adds(o, ">");
	return err;
}
