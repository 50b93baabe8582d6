/* The node edits of RFC 5261 (§4.3 add, §4.4 replace, §4.5 remove) as byte
 * splices: everything outside the addressed node is copied unchanged. */
#include <stdio.h>
#include <string.h>

#include "patch/apply.h"
#include "patch/status.h"
#include "core/mem.h"
#include "core/banned.h"

static struct pl content(const struct actx *a)
{
	const struct xel *x = &a->pd->els[a->op];

	return pl_make(a->pd->buf + x->stag_end, x->empty ? 0 : x->etag_start - x->stag_end);
}

/* nb = doc[0, from) + parts + doc[to, len). */
static enum mcx_err splice(struct actx *a, size_t from, size_t to, const struct pl *parts,
			   size_t n)
{
	const struct xmldoc *d = a->d;
	enum mcx_err err = buf_add(a->nb, d->buf, from);
	size_t i;

	for (i = 0; !err && i < n; i++)
		err = buf_add(a->nb, parts[i].p, parts[i].l);
	if (!err)
		err = buf_add(a->nb, d->buf + to, d->len - to);
	return err;
}

static enum mcx_err text_content(struct actx *a, struct pl *txt)
{
	struct pl c = content(a);

	if (memchr(c.p, '<', c.l))
		return status_fail(a->st, PATCH_E_INVALID_NODE_TYPES,
				   "the operation needs text content, not markup");
	if (!pnode_refs_ok(c.p, c.l))
		return status_fail(a->st, PATCH_E_INVALID_ENTITY_DECLARATION,
				   "the content refers to an undeclared entity");
	*txt = c;
	return MCX_OK;
}

char edit_quote_new(struct pl v)
{
	return v.l && memchr(v.p, '"', v.l) ? '\'' : '"';
}

char edit_quote_keep(char q, struct pl v)
{
	if (!v.l || !memchr(v.p, q, v.l))
		return q;
	return q == '"' ? '\'' : '"';
}

/* v between quotes q: whitespace characters as references (so they survive
 * attribute value normalisation), the quote itself escaped. */
static enum mcx_err att_value(struct mcx_buf *b, struct pl v, char q)
{
	enum mcx_err err = MCX_OK;
	size_t i;

	for (i = 0; !err && i < v.l; i++) {
		char c = v.p[i];

		if (c == '\t')
			err = buf_adds(b, "&#9;");
		else if (c == '\n')
			err = buf_adds(b, "&#10;");
		else if (c == '\r')
			err = buf_adds(b, "&#13;");
		else if (c == q)
			err = buf_adds(b, q == '"' ? "&quot;" : "&apos;");
		else
			err = buf_add(b, &c, 1);
	}
	return err;
}

/* Child nodes of the document's element el (or of the patch's operation). */
static enum mcx_err children(struct actx *a, const struct xmldoc *d, uint32_t el,
			     struct pnodes *ch)
{
	enum mcx_err err = pnode_children(d, el, ch);

	if (err == MCX_EINVAL)
		return status_fail(a->st, d == a->d ? PATCH_E_TARGET : PATCH_E_INVALID_DIFF_FORMAT,
				   "a comment or processing instruction is malformed");
	return err;
}

/* Content nodes of an add, for a new home under parent. */
static enum mcx_err build_content(struct actx *a, uint32_t parent, struct mcx_buf *ins)
{
	struct pl c = content(a);
	struct pnodes ch = { NULL, 0 };
	uint32_t k;
	enum mcx_err err;

	if (!pnode_refs_ok(c.p, c.l))
		return status_fail(a->st, PATCH_E_INVALID_ENTITY_DECLARATION,
				   "the content refers to an undeclared entity");
	err = children(a, a->pd, a->op, &ch);
	if (err)
		return err;
	for (k = 0; !err && k < ch.n; k++) {
		const struct pnode *n = &ch.v[k];

		if (parent == XEL_NONE && n->kind == PN_ELEM)
			err = status_fail(a->st, PATCH_E_INVALID_ROOT_ELEMENT_OPERATION,
					  "a document has one root element");
		else if (parent == XEL_NONE && n->kind == PN_TEXT &&
			 !pnode_raw_ws(a->pd->buf + n->start, n->end - n->start))
			err = status_fail(a->st, PATCH_E_INVALID_XML_PROLOG_OPERATION,
					  "text outside the root element");
		else if (n->kind == PN_ELEM)
			err = nsfix_copy(a, n->el, parent, ins);
		else
			err = buf_add(ins, a->pd->buf + n->start, n->end - n->start);
	}
	pnodes_free(&ch);
	return err;
}

/* Insert ins into element e: as its last (or first) children. */
static enum mcx_err insert_into(struct actx *a, uint32_t e, bool first, struct pl ins)
{
	const struct xel *x = &a->d->els[e];

	if (x->empty) {
		const struct pl parts[] = { PL(">"), ins, PL("</"), x->qname, PL(">") };

		return splice(a, x->stag_end - 2, x->stag_end, parts, 5);
	}
	return splice(a, first ? x->stag_end : x->etag_start, first ? x->stag_end : x->etag_start,
		      &ins, 1);
}

static enum mcx_err add_nodes(struct actx *a, const struct ptarget *t, enum apply_pos pos)
{
	struct mcx_buf ins;
	uint32_t parent;
	size_t at;
	enum mcx_err err;

	if ((pos == POS_NONE || pos == POS_PREPEND) && t->kind != PS_ELEM)
		return status_fail(a->st, PATCH_E_INVALID_NODE_TYPES,
				   "children can only be added to an element");
	if (t->kind == PS_ATTR || t->kind == PS_NS)
		return status_fail(a->st, PATCH_E_INVALID_NODE_TYPES,
				   "nodes can't be added beside an attribute or a namespace");
	if (pos == POS_NONE || pos == POS_PREPEND)
		parent = t->el;
	else
		parent = t->kind == PS_ELEM ? a->d->els[t->el].parent : t->el;
	buf_init(&ins, a->nb->max);
	err = build_content(a, parent, &ins);
	if (!err && (pos == POS_NONE || pos == POS_PREPEND)) {
		err = insert_into(a, t->el, pos == POS_PREPEND,
				  pl_make(ins.p ? ins.p : "", ins.len));
	} else if (!err) {
		at = pos == POS_BEFORE ? t->node.start : t->node.end;
		err = splice(a, at, at, &(struct pl){ ins.p ? ins.p : "", ins.len }, 1);
	}
	buf_reset(&ins);
	return err;
}

static uint32_t own_decl(const struct xmldoc *d, uint32_t e, struct pl prefix)
{
	const struct xel *x = &d->els[e];
	uint32_t a;

	for (a = x->attr0; a < x->attr0 + x->nattr; a++)
		if (d->attrs[a].nsdecl && d->attrs[a].prefix.l && pl_eq(d->attrs[a].local, prefix))
			return a;
	return XEL_NONE;
}

/* A prefix for namespace ns (uri) on a new attribute of e: the patch's own
 * when the document binds it the same, another one in scope, or a new one to
 * declare (*decl). */
static void attr_prefix(const struct xmldoc *d, uint32_t e, struct pl want, uint32_t ns,
			bool known, struct pl *use, char *gen, size_t genlen, bool *decl)
{
	uint32_t id, k, i;

	*decl = false;
	if (known && xmldoc_prefix_ns(d, e, want, &id) && id == ns) {
		*use = want;
		return;
	}
	for (k = d->els[e].nsscope; known && k != XEL_NONE; k = d->decls[k].next) {
		if (d->decls[k].ns == ns && d->decls[k].prefix.l &&
		    xmldoc_prefix_ns(d, e, d->decls[k].prefix, &id) && id == ns) {
			*use = d->decls[k].prefix;
			return;
		}
	}
	*decl = true;
	*use = want;
	for (i = 1; xmldoc_prefix_ns(d, e, *use, &id) && i < 1000; i++) {
		snprintf(gen, genlen, "ns%u", i);
		*use = pl_str(gen);
	}
}

static bool attr_exists(const struct xmldoc *d, uint32_t e, uint32_t ns, struct pl local)
{
	const struct xel *x = &d->els[e];
	uint32_t a;

	for (a = x->attr0; a < x->attr0 + x->nattr; a++)
		if (!d->attrs[a].nsdecl && d->attrs[a].ns == ns && pl_eq(d->attrs[a].local, local))
			return true;
	return false;
}

/* End of the last attribute of e (or of its name): where new ones go. */
static size_t attr_end(const struct xmldoc *d, uint32_t e)
{
	const struct xel *x = &d->els[e];

	return x->nattr ? d->attrs[x->attr0 + x->nattr - 1].end :
		(size_t)(x->qname.p + x->qname.l - d->buf);
}

/* Write ` [xmlns:use="uri" ]use:local="value"` after e's last attribute. */
static enum mcx_err write_attr(struct actx *a, uint32_t e, struct pl use, bool decl,
			       const char *uri, struct pl local, struct pl txt)
{
	struct mcx_buf ins;
	char q = edit_quote_new(txt);
	size_t at = attr_end(a->d, e);
	enum mcx_err err = MCX_OK;

	buf_init(&ins, a->nb->max);
	if (decl) {
		err = buf_adds(&ins, " xmlns:");
		if (!err)
			err = buf_add(&ins, use.p, use.l);
		if (!err)
			err = buf_adds(&ins, "=\"");
		if (!err)
			err = att_value(&ins, pl_str(uri), '"');
		if (!err)
			err = buf_adds(&ins, "\"");
	}
	if (!err)
		err = buf_adds(&ins, " ");
	if (!err && use.l) {
		err = buf_add(&ins, use.p, use.l);
		if (!err)
			err = buf_adds(&ins, ":");
	}
	if (!err)
		err = buf_add(&ins, local.p, local.l);
	if (!err)
		err = buf_addf(&ins, "=%c", q);
	if (!err)
		err = att_value(&ins, txt, q);
	if (!err)
		err = buf_add(&ins, &q, 1);
	if (!err)
		err = splice(a, at, at, &(struct pl){ ins.p, ins.len }, 1);
	buf_reset(&ins);
	return err;
}

static enum mcx_err add_attr(struct actx *a, uint32_t e, struct pl qn)
{
	struct pl prefix, local, txt, use = PL_INIT;
	uint32_t pid = 0, ns;
	char gen[16];
	const char *uri = "";
	bool known, decl = false;
	enum mcx_err err;

	if (!psel_qname_split(qn, &prefix, &local))
		return status_fail(a->st, PATCH_E_INVALID_DIFF_FORMAT,
				   "a bad attribute name in type");
	if (pl_eqs(qn, "xmlns") || pl_eqs(prefix, "xmlns"))
		return status_fail(a->st, PATCH_E_INVALID_DIFF_FORMAT,
				   "namespaces are added with type=\"namespace::prefix\"");
	err = text_content(a, &txt);
	if (err)
		return err;
	if (prefix.l) {
		if (!xmldoc_prefix_ns(a->pd, a->op, prefix, &pid))
			return status_fail(a->st, PATCH_E_INVALID_NAMESPACE_PREFIX,
					   "the prefix of the new attribute is not declared");
		uri = xmldoc_ns(a->pd, pid);
	}
	ns = xmldoc_ns_find(a->d, uri, &known);
	if (known && attr_exists(a->d, e, ns, local))
		return status_fail(a->st, PATCH_E_INVALID_ATTRIBUTE_VALUE,
				   "the element already has this attribute");
	if (prefix.l)
		attr_prefix(a->d, e, prefix, ns, known, &use, gen, sizeof(gen), &decl);
	return write_attr(a, e, use, decl, uri, local, txt);
}

static enum mcx_err add_ns(struct actx *a, uint32_t e, struct pl prefix)
{
	struct pl txt;
	struct mcx_buf ins;
	char q;
	size_t at;
	enum mcx_err err;

	if (!psel_ncname_ok(prefix))
		return status_fail(a->st, PATCH_E_INVALID_DIFF_FORMAT, "a bad prefix in type");
	if (pl_eqs(prefix, "xml") || pl_eqs(prefix, "xmlns") ||
	    own_decl(a->d, e, prefix) != XEL_NONE)
		return status_fail(a->st, PATCH_E_INVALID_NAMESPACE_PREFIX,
				   "the element already declares this prefix");
	err = text_content(a, &txt);
	if (err)
		return err;
	if (!txt.l)
		return status_fail(a->st, PATCH_E_INVALID_NAMESPACE_URI, "an empty namespace URI");
	q = edit_quote_new(txt);
	at = attr_end(a->d, e);
	buf_init(&ins, a->nb->max);
	err = buf_adds(&ins, " xmlns:");
	if (!err)
		err = buf_add(&ins, prefix.p, prefix.l);
	if (!err)
		err = buf_addf(&ins, "=%c", q);
	if (!err)
		err = att_value(&ins, txt, q);
	if (!err)
		err = buf_add(&ins, &q, 1);
	if (!err)
		err = splice(a, at, at, &(struct pl){ ins.p, ins.len }, 1);
	buf_reset(&ins);
	return err;
}

enum mcx_err edit_add(struct actx *a, const struct ptarget *t, enum apply_pos pos, struct pl type)
{
	if (!type.l)
		return add_nodes(a, t, pos);
	if (pos != POS_NONE)
		return status_fail(a->st, PATCH_E_INVALID_PATCH_DIRECTIVE,
				   "pos and type can't be used together");
	if (t->kind != PS_ELEM)
		return status_fail(a->st, PATCH_E_INVALID_NODE_TYPES,
				   "attributes and namespaces are added to an element");
	if (type.p[0] == '@')
		return add_attr(a, t->el, pl_make(type.p + 1, type.l - 1));
	if (pl_startswith(type, "namespace::"))
		return add_ns(a, t->el, pl_make(type.p + 11, type.l - 11));
	return status_fail(a->st, PATCH_E_INVALID_DIFF_FORMAT, "a bad type value");
}

/* The one node of kind the content holds, ignoring whitespace text when
 * kind is an element; XEL_NONE-like UINT32_MAX when it holds anything else. */
static uint32_t single_node(const struct pnodes *ch, const struct xmldoc *pd, uint8_t kind)
{
	uint32_t k, hit = UINT32_MAX;

	for (k = 0; k < ch->n; k++) {
		const struct pnode *n = &ch->v[k];

		if (kind == PN_ELEM && n->kind == PN_TEXT &&
		    pnode_text_ws(pd->buf + n->start, n->end - n->start))
			continue;
		if (n->kind != kind || hit != UINT32_MAX)
			return UINT32_MAX;
		hit = k;
	}
	return hit;
}

static enum mcx_err replace_node(struct actx *a, const struct ptarget *t)
{
	uint8_t kind = t->kind == PS_ELEM ? PN_ELEM : t->kind == PS_COMMENT ? PN_COMMENT : PN_PI;
	struct pl c = content(a);
	struct pnodes ch = { NULL, 0 };
	struct mcx_buf ins;
	uint32_t k;
	enum mcx_err err;

	if (!pnode_refs_ok(c.p, c.l))
		return status_fail(a->st, PATCH_E_INVALID_ENTITY_DECLARATION,
				   "the content refers to an undeclared entity");
	err = children(a, a->pd, a->op, &ch);
	if (err)
		return err;
	k = single_node(&ch, a->pd, kind);
	buf_init(&ins, a->nb->max);
	if (k == UINT32_MAX)
		err = status_fail(a->st, PATCH_E_INVALID_NODE_TYPES,
				  "the content must be one node of the replaced node's type");
	else if (kind == PN_ELEM)
		err = nsfix_copy(a, ch.v[k].el, a->d->els[t->el].parent, &ins);
	else
		err = buf_add(&ins, a->pd->buf + ch.v[k].start, ch.v[k].end - ch.v[k].start);
	if (!err)
		err = splice(a, t->node.start, t->node.end, &(struct pl){ ins.p, ins.len }, 1);
	buf_reset(&ins);
	pnodes_free(&ch);
	return err;
}

/* New value of an attribute or of a namespace declaration. */
static enum mcx_err replace_value(struct actx *a, const struct ptarget *t)
{
	const struct xattr *at = &a->d->attrs[t->attr];
	size_t vb = (size_t)(at->raw.p - a->d->buf);
	struct mcx_buf v;
	struct pl txt;
	char q;
	enum mcx_err err;

	err = text_content(a, &txt);
	if (err)
		return err;
	if (t->kind == PS_NS && !txt.l)
		return status_fail(a->st, PATCH_E_INVALID_NAMESPACE_URI, "an empty namespace URI");
	q = edit_quote_keep(at->quote, txt);
	buf_init(&v, a->nb->max);
	if (q != at->quote)
		err = buf_add(&v, &q, 1);
	if (!err)
		err = att_value(&v, txt, q);
	if (!err && q != at->quote)
		err = buf_add(&v, &q, 1);
	if (!err && q == at->quote)
		err = splice(a, vb, vb + at->raw.l, &(struct pl){ v.p ? v.p : "", v.len }, 1);
	else if (!err)
		err = splice(a, vb - 1, at->end, &(struct pl){ v.p, v.len }, 1);
	buf_reset(&v);
	return err;
}

enum mcx_err edit_replace(struct actx *a, const struct ptarget *t)
{
	struct pl txt;
	enum mcx_err err;

	switch (t->kind) {
	case PS_ATTR:
	case PS_NS:
		return replace_value(a, t);
	case PS_TEXT:
		err = text_content(a, &txt);
		return err ? err : splice(a, t->node.start, t->node.end, &txt, 1);
	}
	return replace_node(a, t);
}

static bool ws_text_at(const struct xmldoc *d, const struct pnodes *ch, uint32_t k)
{
	return k < ch->n && ch->v[k].kind == PN_TEXT &&
	       pnode_text_ws(d->buf + ch->v[k].start, ch->v[k].end - ch->v[k].start);
}

/* Remove a child node of parent, with the whitespace text ws asks for. */
static enum mcx_err remove_node(struct actx *a, const struct ptarget *t, uint32_t parent,
				enum apply_ws ws)
{
	struct pnodes ch = { NULL, 0 };
	size_t from = t->node.start, to = t->node.end;
	uint32_t k;
	enum mcx_err err;

	if (ws != WS_NONE) {
		bool ok, before = ws == WS_BEFORE || ws == WS_BOTH;
		bool after = ws == WS_AFTER || ws == WS_BOTH;

		err = children(a, a->d, parent, &ch);
		if (err)
			return err;
		k = pnode_find(&ch, t->node.start);
		ok = k != UINT32_MAX;
		if (ok && before) {
			ok = k > 0 && ws_text_at(a->d, &ch, k - 1);
			from = ok ? ch.v[k - 1].start : from;
		}
		if (ok && after) {
			ok = ws_text_at(a->d, &ch, k + 1);
			to = ok ? ch.v[k + 1].end : to;
		}
		pnodes_free(&ch);
		if (!ok)
			return status_fail(a->st, PATCH_E_INVALID_WHITESPACE_DIRECTIVE,
					   "no whitespace text node where ws asks for one");
	}
	return splice(a, from, to, NULL, 0);
}

static uint32_t decl_of(const struct xmldoc *d, uint32_t x, struct pl prefix)
{
	uint32_t k;

	for (k = d->els[x].nsscope; k != XEL_NONE; k = d->decls[k].next)
		if (pl_eq(d->decls[k].prefix, prefix))
			return k;
	return XEL_NONE;
}

/* Does anything in e's subtree use the declaration of prefix on e? */
static bool ns_in_use(const struct xmldoc *d, uint32_t e, struct pl prefix)
{
	uint32_t own = decl_of(d, e, prefix), x, k;

	for (x = e; x < d->nels && d->els[x].start < d->els[e].end; x++) {
		const struct xel *xe = &d->els[x];

		if (pl_eq(xe->prefix, prefix) && decl_of(d, x, prefix) == own)
			return true;
		for (k = xe->attr0; k < xe->attr0 + xe->nattr; k++)
			if (!d->attrs[k].nsdecl && pl_eq(d->attrs[k].prefix, prefix) &&
			    decl_of(d, x, prefix) == own)
				return true;
	}
	return false;
}

static enum mcx_err remove_attr(struct actx *a, const struct ptarget *t)
{
	const struct xattr *at = &a->d->attrs[t->attr];
	size_t from = at->off;

	if (t->kind == PS_NS && ns_in_use(a->d, t->el, at->local))
		return status_fail(a->st, PATCH_E_INVALID_NAMESPACE_PREFIX,
				   "the namespace declaration is still in use");
	while (from > 0 && pnode_is_ws(a->d->buf[from - 1]))
		from--;
	return splice(a, from, at->end, NULL, 0);
}

enum mcx_err edit_remove(struct actx *a, const struct ptarget *t, enum apply_ws ws)
{
	struct pl c = content(a);

	if (!pnode_raw_ws(c.p, c.l))
		return status_fail(a->st, PATCH_E_INVALID_DIFF_FORMAT, "<remove> has no content");
	if (ws != WS_NONE && (t->kind == PS_TEXT || t->kind == PS_ATTR || t->kind == PS_NS))
		return status_fail(a->st, PATCH_E_INVALID_WHITESPACE_DIRECTIVE,
				   "ws applies to elements, comments and processing instructions");
	switch (t->kind) {
	case PS_ELEM:
		if (t->el == 0)
			return status_fail(a->st, PATCH_E_INVALID_ROOT_ELEMENT_OPERATION,
					   "the root element can't be removed");
		return remove_node(a, t, a->d->els[t->el].parent, ws);
	case PS_ATTR:
	case PS_NS:
		return remove_attr(a, t);
	case PS_TEXT:
		return splice(a, t->node.start, t->node.end, NULL, 0);
	}
	return remove_node(a, t, t->el, ws);
}
