/* patch_apply(): parse the patch, then run its operations one by one, each
 * on a fresh index of the document as the previous one left it. */
#include <string.h>

#include "patch/apply.h"
#include "patch/status.h"
#include "core/mem.h"
#include "core/banned.h"

struct applier {
	struct patch_status *st;
	size_t max_doc;
	uint32_t max_ops;
	struct xmldoc_limits lim;
	struct mcx_buf wrap;       /* the patch inside a wrapper element */
	struct xmldoc *pd;
	uint32_t cont;             /* the element holding the operations */
	struct mcx_buf cur;        /* the document now */
	struct xmldoc *d;
};

static size_t skip_bom(const char *p, size_t n)
{
	return n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0;
}

static enum mcx_err add_bind(struct mcx_buf *b, const char *prefix, const char *uri)
{
	enum mcx_err err = buf_adds(b, prefix && *prefix ? " xmlns:" : " xmlns");

	if (!err && prefix)
		err = buf_adds(b, prefix);
	if (!err)
		err = buf_adds(b, "=\"");
	if (!err)
		err = buf_add_xml(b, uri ? uri : "", uri ? strlen(uri) : 0);
	if (!err)
		err = buf_adds(b, "\"");
	return err;
}

static enum mcx_err wrap_ops(struct applier *ap, const char *ops, size_t olen,
			     const struct patch_opts *o)
{
	size_t i = skip_bom(ops, olen);
	uint32_t k;
	enum mcx_err err;

	buf_init(&ap->wrap, olen + 4096 + (size_t)(o ? o->nbinds : 0) * 2048);
	err = buf_adds(&ap->wrap, "<_");
	if (!err && (!o || !o->binds))
		err = add_bind(&ap->wrap, "", PATCH_NS_XCAP_DIFF);
	for (k = 0; !err && o && o->binds && k < o->nbinds; k++)
		err = add_bind(&ap->wrap, o->binds[k].prefix, o->binds[k].uri);
	if (!err)
		err = buf_adds(&ap->wrap, ">");
	if (!err)
		err = buf_add(&ap->wrap, ops + i, olen - i);
	if (!err)
		err = buf_adds(&ap->wrap, "</_>");
	if (err)
		return err == MCX_ELIMIT ? status_limit(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
							"the namespace context") : err;
	err = xmldoc_index(&ap->pd, ap->wrap.p, ap->wrap.len, &ap->lim, NULL, 0);
	if (err == MCX_ENOMEM)
		return err;
	if (err)
		return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
				   "the patch is not well-formed XML");
	return MCX_OK;
}

static bool is_container(const struct xmldoc *pd, uint32_t e)
{
	return pl_eqs(pd->els[e].local, "diff") || pl_eqs(pd->els[e].local, "document");
}

/* The wrapper itself, or the one <diff>/<document> element it holds. */
static enum mcx_err find_container(struct applier *ap)
{
	const struct xmldoc *pd = ap->pd;
	struct pnodes ch = { NULL, 0 };
	uint32_t k, nel = 0, el = XEL_NONE;
	bool other = false;
	enum mcx_err err;

	err = pnode_children(pd, 0, &ch);
	if (err)
		return err == MCX_ENOMEM ? err : status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
							     "the patch is not well-formed XML");
	for (k = 0; k < ch.n; k++) {
		if (ch.v[k].kind == PN_ELEM) {
			nel++;
			el = ch.v[k].el;
		} else if (ch.v[k].kind == PN_TEXT) {
			const struct pnode *t = &ch.v[k];

			other |= !pnode_text_ws(pd->buf + t->start, t->end - t->start);
		}
	}
	pnodes_free(&ch);
	ap->cont = (nel == 1 && !other && is_container(pd, el)) ? el : 0;
	return MCX_OK;
}

static struct pl attr_raw(const struct xmldoc *pd, uint32_t e, const char *name, bool *found)
{
	const struct xel *x = &pd->els[e];
	uint32_t a;

	*found = false;
	for (a = x->attr0; a < x->attr0 + x->nattr; a++) {
		const struct xattr *at = &pd->attrs[a];

		if (!at->nsdecl && !at->prefix.l && pl_eqs(at->local, name)) {
			*found = true;
			return at->raw;
		}
	}
	return pl_make("", 0);
}

static bool parse_pos(struct pl v, bool found, enum apply_pos *pos)
{
	*pos = POS_NONE;
	if (!found)
		return true;
	if (pl_eqs(v, "before"))
		*pos = POS_BEFORE;
	else if (pl_eqs(v, "after"))
		*pos = POS_AFTER;
	else if (pl_eqs(v, "prepend"))
		*pos = POS_PREPEND;
	else
		return false;
	return true;
}

static bool parse_ws(struct pl v, bool found, enum apply_ws *ws)
{
	*ws = WS_NONE;
	if (!found)
		return true;
	if (pl_eqs(v, "before"))
		*ws = WS_BEFORE;
	else if (pl_eqs(v, "after"))
		*ws = WS_AFTER;
	else if (pl_eqs(v, "both"))
		*ws = WS_BOTH;
	else
		return false;
	return true;
}

/* Decode, parse, bind and evaluate the op's sel attribute. */
static enum mcx_err locate(struct applier *ap, uint32_t op, char *sel, struct ptarget *t)
{
	struct psel ps;
	enum patch_error code;
	struct pl raw;
	size_t sl;
	bool found;
	enum mcx_err err;

	raw = attr_raw(ap->pd, op, "sel", &found);
	if (!found)
		return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT, "an operation without sel");
	if (raw.l > PATCH_MAX_SEL * 6 || !xml_unescape(raw, sel, PATCH_MAX_SEL + 1, &sl))
		return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT, "a bad or too long sel");
	err = psel_parse(&ps, sel, sl, &code);
	if (err)
		return err == MCX_ENOMEM ? err :
			status_fail(ap->st, code, "the selector \"%.80s\" is not supported", sel);
	err = psel_bind(&ps, ap->pd, op, ap->d);
	if (err) {
		psel_free(&ps);
		return status_fail(ap->st, PATCH_E_INVALID_NAMESPACE_PREFIX,
				   "a prefix in \"%.80s\" is not declared", sel);
	}
	err = psel_eval(&ps, ap->d, t);
	psel_free(&ps);
	if (err == MCX_ENOENT)
		return status_fail(ap->st, PATCH_E_UNLOCATED_NODE,
				   "\"%.100s\" does not select exactly one node", sel);
	return err;
}

static enum mcx_err dispatch(struct applier *ap, struct actx *a, const struct ptarget *t)
{
	struct pl name = ap->pd->els[a->op].local, v;
	char type[256];
	size_t tl = 0;
	bool found;
	enum apply_pos pos;
	enum apply_ws ws;

	if (pl_eqs(name, "replace"))
		return edit_replace(a, t);
	if (pl_eqs(name, "remove")) {
		v = attr_raw(ap->pd, a->op, "ws", &found);
		if (!parse_ws(v, found, &ws))
			return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT, "a bad ws value");
		return edit_remove(a, t, ws);
	}
	v = attr_raw(ap->pd, a->op, "pos", &found);
	if (!parse_pos(v, found, &pos))
		return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT, "a bad pos value");
	v = attr_raw(ap->pd, a->op, "type", &found);
	if (found && (v.l >= sizeof(type) || !xml_unescape(v, type, sizeof(type), &tl)))
		return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT, "a bad type value");
	return edit_add(a, t, pos, pl_make(type, found ? tl : 0));
}

/* Make the new bytes the current document. */
static enum mcx_err adopt(struct applier *ap, struct mcx_buf *nb)
{
	struct xmldoc *nd;
	enum mcx_err err;

	err = xmldoc_index(&nd, nb->p ? nb->p : "", nb->len, &ap->lim, NULL, 0);
	if (err == MCX_ENOMEM)
		return err;
	if (err == MCX_ELIMIT)
		return status_limit(ap->st, PATCH_E_TARGET, "the patched document");
	if (err)
		return status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
				   "the operation would leave the document malformed");
	xmldoc_free(ap->d);
	buf_reset(&ap->cur);
	ap->cur = *nb;
	buf_init(nb, ap->max_doc);
	ap->d = nd;
	return MCX_OK;
}

static enum mcx_err run_op(struct applier *ap, uint32_t op)
{
	struct mcx_buf nb;
	struct actx a = { ap->st, ap->pd, op, ap->d, &nb };
	struct ptarget t = { 0, 0, 0, { 0, 0, 0, 0, false } };
	char *sel;
	enum mcx_err err;

	sel = mcx_malloc(PATCH_MAX_SEL + 1);
	if (!sel)
		return MCX_ENOMEM;
	buf_init(&nb, ap->max_doc);
	err = locate(ap, op, sel, &t);
	if (!err)
		err = dispatch(ap, &a, &t);
	if (err == MCX_ELIMIT && ap->st && ap->st->code == PATCH_E_NONE)
		err = status_limit(ap->st, PATCH_E_TARGET, "the patched document");
	if (!err)
		err = adopt(ap, &nb);
	buf_reset(&nb);
	mcx_free(sel);
	return err;
}

/* Is element e of the patch an operation (1), ignorable (0), or wrong (-1)? */
static int op_kind(const struct applier *ap, uint32_t e)
{
	const struct xmldoc *pd = ap->pd;
	const struct xel *x = &pd->els[e];

	if (x->ns != pd->els[ap->cont].ns && strcmp(xmldoc_ns(pd, x->ns), PATCH_NS_XCAP_DIFF))
		return 0;
	if (pl_eqs(x->local, "add") || pl_eqs(x->local, "replace") || pl_eqs(x->local, "remove"))
		return 1;
	return pl_eqs(x->local, "body-not-changed") ? 0 : -1;
}

static enum mcx_err run_ops(struct applier *ap)
{
	struct pnodes ch = { NULL, 0 };
	uint32_t k, nops = 0;
	enum mcx_err err;
	int kind;

	err = pnode_children(ap->pd, ap->cont, &ch);
	if (err)
		return err == MCX_ENOMEM ? err : status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
							     "the patch is not well-formed XML");
	for (k = 0; !err && k < ch.n; k++) {
		const struct pnode *n = &ch.v[k];

		if (n->kind == PN_TEXT && !pnode_text_ws(ap->pd->buf + n->start, n->end - n->start))
			err = status_fail(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
					  "text between the operations");
		if (err || n->kind != PN_ELEM || (kind = op_kind(ap, n->el)) == 0)
			continue;
		if (ap->st)
			ap->st->op = nops + 1;
		if (kind < 0)
			err = status_fail(ap->st, PATCH_E_INVALID_PATCH_DIRECTIVE,
					  "<%.*s> is not a patch operation",
					  (int)(ap->pd->els[n->el].qname.l > 40 ? 40 :
						ap->pd->els[n->el].qname.l),
					  ap->pd->els[n->el].qname.p);
		else if (++nops > ap->max_ops)
			err = status_limit(ap->st, PATCH_E_INVALID_DIFF_FORMAT,
					   "the number of operations");
		else
			err = run_op(ap, n->el);
	}
	pnodes_free(&ch);
	return err;
}

static enum mcx_err load_doc(struct applier *ap, const char *doc, size_t dlen)
{
	enum mcx_err err;

	buf_init(&ap->cur, ap->max_doc);
	err = buf_add(&ap->cur, doc, dlen);
	if (err)
		return err;
	err = xmldoc_index(&ap->d, ap->cur.p, ap->cur.len, &ap->lim, NULL, 0);
	if (err == MCX_ENOMEM)
		return err;
	if (err)
		return status_fail(ap->st, PATCH_E_TARGET,
				   "the document is not well-formed or is over a limit");
	return MCX_OK;
}

static enum mcx_err check_input(struct applier *ap, const char *doc, size_t dlen,
				const char *ops, size_t olen)
{
	if (dlen > ap->max_doc)
		return status_limit(ap->st, PATCH_E_TARGET, "the document");
	if (olen > ap->max_doc)
		return status_limit(ap->st, PATCH_E_INVALID_DIFF_FORMAT, "the patch");
	if (!pnode_charset_ok(doc, dlen))
		return status_fail(ap->st, PATCH_E_INVALID_CHARACTER_SET,
				   "the document is not UTF-8");
	if (!pnode_charset_ok(ops, olen))
		return status_fail(ap->st, PATCH_E_INVALID_CHARACTER_SET, "the patch is not UTF-8");
	return MCX_OK;
}

enum mcx_err patch_apply(const char *doc, size_t dlen, const char *ops, size_t olen,
			 const struct patch_opts *opts, struct mcx_buf *out,
			 struct patch_status *st)
{
	struct applier ap;
	enum mcx_err err;

	memset(&ap, 0, sizeof(ap));
	status_clear(st);
	ap.st = st;
	ap.max_doc = opts && opts->max_doc ? opts->max_doc : PATCH_MAX_DOC;
	ap.max_ops = opts && opts->max_ops ? opts->max_ops : PATCH_MAX_OPS;
	ap.lim.max_depth = PATCH_MAX_DEPTH;
	ap.lim.max_elements = PATCH_MAX_ELEMENTS;
	ap.lim.max_attrs = XMLDOC_DEFAULT_MAX_ATTRS;
	buf_init(&ap.wrap, 0);
	buf_init(&ap.cur, 0);
	err = check_input(&ap, doc ? doc : "", doc ? dlen : 0, ops ? ops : "", ops ? olen : 0);
	if (!err)
		err = wrap_ops(&ap, ops ? ops : "", ops ? olen : 0, opts);
	if (!err)
		err = find_container(&ap);
	if (!err)
		err = load_doc(&ap, doc ? doc : "", doc ? dlen : 0);
	if (!err)
		err = run_ops(&ap);
	if (!err)
		err = buf_add(out, ap.cur.p ? ap.cur.p : "", ap.cur.len);
	if (err == MCX_ELIMIT && st && st->code == PATCH_E_NONE)
		err = status_limit(st, PATCH_E_TARGET, "the output buffer");
	xmldoc_free(ap.d);
	xmldoc_free(ap.pd);
	buf_reset(&ap.cur);
	buf_reset(&ap.wrap);
	return err;
}
