/* RFC 5261 selector parsing, namespace binding and evaluation. */
#include <string.h>

#include "patch/psel.h"
#include "core/mem.h"
#include "core/banned.h"

/* An XML NameChar or ':'; bytes of UTF-8 sequences are let through. */
static bool name_char(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
	       u == '-' || u == '.' || u == '_' || u == ':' || u >= 0x80;
}

bool psel_ncname_ok(struct pl n)
{
	size_t i;

	if (!n.l || (n.p[0] >= '0' && n.p[0] <= '9') || n.p[0] == '-' || n.p[0] == '.')
		return false;
	for (i = 0; i < n.l; i++)
		if (!name_char(n.p[i]) || n.p[i] == ':')
			return false;
	return true;
}

bool psel_qname_split(struct pl q, struct pl *prefix, struct pl *local)
{
	const char *c = memchr(q.p, ':', q.l);

	if (!c) {
		*prefix = pl_make(q.p, 0);
		*local = q;
		return psel_ncname_ok(q);
	}
	*prefix = pl_make(q.p, (size_t)(c - q.p));
	*local = pl_make(c + 1, q.l - prefix->l - 1);
	return psel_ncname_ok(*prefix) && psel_ncname_ok(*local);
}

/* End of the step starting at i: the next '/' outside literals and brackets. */
static size_t step_end(const char *p, size_t i, size_t n)
{
	char q = 0;
	int depth = 0;

	for (; i < n; i++) {
		char c = p[i];

		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '[') {
			depth++;
		} else if (c == ']') {
			depth--;
		} else if (c == '/' && depth == 0) {
			break;
		}
	}
	return i;
}

static size_t name_len(struct pl t, size_t i)
{
	size_t b = i;

	while (i < t.l && name_char(t.p[i]))
		i++;
	return i - b;
}

/* A quoted literal at t.p[*i]; *i moves past the closing quote. */
static bool literal(struct pl t, size_t *i, struct pl *val)
{
	const char *e;
	char q;

	if (*i >= t.l || (t.p[*i] != '"' && t.p[*i] != '\''))
		return false;
	q = t.p[(*i)++];
	e = memchr(t.p + *i, q, t.l - *i);
	if (!e)
		return false;
	*val = pl_make(t.p + *i, (size_t)(e - (t.p + *i)));
	*i = (size_t)(e - t.p) + 1;
	return true;
}

static bool parse_pos(struct pl t, size_t *i, struct psel_pred *pr)
{
	size_t b = *i;
	long long v;

	while (*i < t.l && t.p[*i] >= '0' && t.p[*i] <= '9')
		(*i)++;
	v = pl_u64(pl_make(t.p + b, *i - b));
	if (v < 1 || v > 1000000000)
		return false;
	pr->kind = PP_POS;
	pr->pos = (uint32_t)v;
	return true;
}

/* One "[...]" at t.p[*i] == '['. only_pos: text(), comment(), PIs. */
static bool parse_pred(struct pl t, size_t *i, struct psel_pred *pr, bool only_pos)
{
	size_t nl;

	memset(pr, 0, sizeof(*pr));
	(*i)++;
	if (*i < t.l && t.p[*i] >= '0' && t.p[*i] <= '9') {
		if (!parse_pos(t, i, pr))
			return false;
	} else if (only_pos) {
		return false;
	} else if (*i < t.l && t.p[*i] == '.') {
		pr->kind = PP_SELF;
		(*i)++;
	} else {
		bool at = *i < t.l && t.p[*i] == '@';

		*i += at;
		nl = name_len(t, *i);
		if (!psel_qname_split(pl_make(t.p + *i, nl), &pr->prefix, &pr->local))
			return false;
		pr->kind = at ? PP_ATTR : PP_CHILD;
		*i += nl;
	}
	if (pr->kind != PP_POS) {
		if (*i >= t.l || t.p[*i] != '=')
			return false;
		(*i)++;
		if (!literal(t, i, &pr->val))
			return false;
	}
	if (*i >= t.l || t.p[*i] != ']')
		return false;
	(*i)++;
	return true;
}

static bool parse_preds(struct pl t, size_t i, struct psel_step *st, bool only_pos)
{
	while (i < t.l) {
		if (t.p[i] != '[' || st->npred >= PATCH_MAX_PREDS)
			return false;
		if (!parse_pred(t, &i, &st->preds[st->npred++], only_pos))
			return false;
		if (only_pos && st->npred > 1)
			return false;
	}
	return true;
}

static bool parse_pi(struct pl t, struct psel_step *st)
{
	size_t i = 23; /* strlen("processing-instruction(") */

	st->kind = PS_PI;
	if (i < t.l && t.p[i] != ')') {
		if (!literal(t, &i, &st->local) || !psel_ncname_ok(st->local))
			return false;
	}
	if (i >= t.l || t.p[i] != ')')
		return false;
	return parse_preds(t, i + 1, st, true);
}

static bool parse_step(struct pl t, struct psel_step *st, bool last)
{
	size_t nl;

	memset(st, 0, sizeof(*st));
	if (pl_startswith(t, "text()") || pl_startswith(t, "comment()")) {
		bool text = t.p[0] == 't';

		st->kind = text ? PS_TEXT : PS_COMMENT;
		return last && parse_preds(t, text ? 6 : 9, st, true);
	}
	if (pl_startswith(t, "processing-instruction("))
		return last && parse_pi(t, st);
	if (t.l && t.p[0] == '@') {
		st->kind = PS_ATTR;
		return last && psel_qname_split(pl_make(t.p + 1, t.l - 1), &st->prefix, &st->local);
	}
	if (pl_startswith(t, "namespace::")) {
		st->kind = PS_NS;
		st->prefix = pl_make(t.p + 11, t.l - 11);
		return last && psel_ncname_ok(st->prefix);
	}
	st->kind = PS_ELEM;
	if (t.l && t.p[0] == '*') {
		st->any = true;
		return parse_preds(t, 1, st, false);
	}
	nl = name_len(t, 0);
	if (!psel_qname_split(pl_make(t.p, nl), &st->prefix, &st->local))
		return false;
	return parse_preds(t, nl, st, false);
}

enum mcx_err psel_parse(struct psel *ps, const char *s, size_t len, enum patch_error *code)
{
	size_t i = 0, e;

	memset(ps, 0, sizeof(*ps));
	*code = PATCH_E_INVALID_DIFF_FORMAT;
	if (len && s[0] == '/')
		i = 1;
	if (len - i >= 3 && !memcmp(s + i, "id(", 3)) {
		*code = PATCH_E_UNSUPPORTED_ID_FUNCTION;
		return MCX_EINVAL;
	}
	if (i >= len || len > PATCH_MAX_SEL)
		return MCX_EINVAL;
	ps->steps = mcx_calloc(PATCH_MAX_STEPS, sizeof(*ps->steps));
	if (!ps->steps)
		return MCX_ENOMEM;
	while (i <= len) {
		e = step_end(s, i, len);
		if (e == i || ps->n >= PATCH_MAX_STEPS ||
		    !parse_step(pl_make(s + i, e - i), &ps->steps[ps->n], e >= len)) {
			psel_free(ps);
			return MCX_EINVAL;
		}
		ps->n++;
		i = e + 1;
	}
	*code = PATCH_E_NONE;
	return MCX_OK;
}

void psel_free(struct psel *ps)
{
	mcx_free(ps->steps);
	ps->steps = NULL;
	ps->n = 0;
}

/* The target document's id for the namespace prefix has in the patch;
 * elem: an unprefixed name takes the patch's default namespace. */
static bool bind_name(const struct xmldoc *pd, uint32_t op, const struct xmldoc *d,
		      struct pl prefix, bool elem, uint32_t *ns, bool *nsok)
{
	uint32_t pid = 0;

	if (!prefix.l && !elem) {
		*ns = 0;
		*nsok = true;
		return true;
	}
	if (!xmldoc_prefix_ns(pd, op, prefix, &pid))
		return false;
	*ns = xmldoc_ns_find(d, xmldoc_ns(pd, pid), nsok);
	return true;
}

enum mcx_err psel_bind(struct psel *ps, const struct xmldoc *pd, uint32_t op,
		       const struct xmldoc *d)
{
	uint32_t i, k;

	for (i = 0; i < ps->n; i++) {
		struct psel_step *st = &ps->steps[i];
		bool elem = st->kind == PS_ELEM;

		if (((elem && !st->any) || st->kind == PS_ATTR) &&
		    !bind_name(pd, op, d, st->prefix, elem, &st->ns, &st->nsok))
			return MCX_EINVAL;
		for (k = 0; k < st->npred; k++) {
			struct psel_pred *pr = &st->preds[k];

			if (pr->kind != PP_ATTR && pr->kind != PP_CHILD)
				continue;
			elem = pr->kind == PP_CHILD;
			if (!bind_name(pd, op, d, pr->prefix, elem, &pr->ns, &pr->nsok))
				return MCX_EINVAL;
		}
	}
	return MCX_OK;
}

struct ev {
	const struct psel *ps;
	const struct xmldoc *d;
	struct ptarget *t;
	uint32_t hits;
};

static bool name_ok(const struct xmldoc *d, uint32_t e, bool any, struct pl local, uint32_t ns,
		    bool nsok)
{
	const struct xel *x = &d->els[e];

	return any || (nsok && x->ns == ns && pl_eq(x->local, local));
}

static uint32_t find_attr(const struct xmldoc *d, uint32_t e, struct pl local, uint32_t ns,
			  bool nsok)
{
	const struct xel *x = &d->els[e];
	uint32_t a;

	if (!nsok)
		return XEL_NONE;
	for (a = x->attr0; a < x->attr0 + x->nattr; a++) {
		const struct xattr *at = &d->attrs[a];

		if (!at->nsdecl && at->ns == ns && pl_eq(at->local, local))
			return a;
	}
	return XEL_NONE;
}

static uint32_t find_nsdecl(const struct xmldoc *d, uint32_t e, struct pl prefix)
{
	const struct xel *x = &d->els[e];
	uint32_t a;

	for (a = x->attr0; a < x->attr0 + x->nattr; a++) {
		const struct xattr *at = &d->attrs[a];

		if (at->nsdecl && at->prefix.l && pl_eq(at->local, prefix))
			return a;
	}
	return XEL_NONE;
}

/* Does the attribute's normalised, decoded value equal v? */
static bool attr_val_eq(struct pl raw, struct pl v)
{
	size_t i = 0, j = 0;

	while (i < raw.l) {
		char tmp[8], c = raw.p[i];
		size_t ol = 1, rl = 1;
		const char *semi;

		if (c == '&') {
			semi = memchr(raw.p + i, ';', raw.l - i < 16 ? raw.l - i : 16);
			if (!semi)
				return false;
			rl = (size_t)(semi - raw.p) - i + 1;
			if (!xml_unescape(pl_make(raw.p + i, rl), tmp, sizeof(tmp), &ol))
				return false;
		} else {
			tmp[0] = pnode_is_ws(c) ? ' ' : c;
		}
		if (ol > v.l - j || memcmp(tmp, v.p + j, ol))
			return false;
		j += ol;
		i += rl;
	}
	return j == v.l;
}

static bool pred_ok(const struct xmldoc *d, uint32_t e, const struct psel_pred *pr)
{
	uint32_t a, ch;

	switch (pr->kind) {
	case PP_ATTR:
		a = find_attr(d, e, pr->local, pr->ns, pr->nsok);
		return a != XEL_NONE && attr_val_eq(d->attrs[a].raw, pr->val);
	case PP_SELF:
		return pnode_strval_eq(d, e, pr->val.p, pr->val.l);
	case PP_CHILD:
		for (ch = d->els[e].first_child; ch != XEL_NONE; ch = d->els[ch].next)
			if (name_ok(d, ch, false, pr->local, pr->ns, pr->nsok) &&
			    pnode_strval_eq(d, ch, pr->val.p, pr->val.l))
				return true;
		return false;
	}
	return true;
}

/* Keep the candidates that pass the step's predicates, in order. */
static uint32_t filter(const struct xmldoc *d, const struct psel_step *st, uint32_t *c,
		       uint32_t n, bool elems)
{
	uint32_t k, i, m;

	for (k = 0; k < st->npred && n; k++) {
		const struct psel_pred *pr = &st->preds[k];

		if (pr->kind == PP_POS) {
			if (pr->pos > n)
				return 0;
			c[0] = c[pr->pos - 1];
			n = 1;
			continue;
		}
		for (i = m = 0; elems && i < n; i++)
			if (pred_ok(d, c[i], pr))
				c[m++] = c[i];
		n = m;
	}
	return n;
}

static void hit(struct ev *ev, uint8_t kind, uint32_t el, uint32_t attr, const struct pnode *nd)
{
	if (ev->hits++)
		return;
	ev->t->kind = kind;
	ev->t->el = el;
	ev->t->attr = attr;
	if (nd)
		ev->t->node = *nd;
}

static enum mcx_err walk(struct ev *ev, uint32_t ctx, uint32_t i);

static enum mcx_err walk_elems(struct ev *ev, uint32_t ctx, uint32_t i)
{
	const struct xmldoc *d = ev->d;
	const struct psel_step *st = &ev->ps->steps[i];
	uint32_t n = 0, ch, k, *c;
	enum mcx_err err = MCX_OK;

	if (ctx == XEL_NONE) {
		n = 1;
	} else {
		for (ch = d->els[ctx].first_child; ch != XEL_NONE; ch = d->els[ch].next)
			n++;
	}
	if (!n)
		return MCX_OK;
	c = mcx_malloc((size_t)n * sizeof(*c));
	if (!c)
		return MCX_ENOMEM;
	n = 0;
	for (ch = ctx == XEL_NONE ? 0 : d->els[ctx].first_child; ch != XEL_NONE;
	     ch = ctx == XEL_NONE ? XEL_NONE : d->els[ch].next)
		if (name_ok(d, ch, st->any, st->local, st->ns, st->nsok))
			c[n++] = ch;
	n = filter(d, st, c, n, true);
	for (k = 0; !err && k < n && ev->hits < 2; k++) {
		if (i + 1 == ev->ps->n) {
			const struct xel *x = &d->els[c[k]];
			struct pnode nd = { x->start, x->end, c[k], PN_ELEM, false };

			hit(ev, PS_ELEM, c[k], XEL_NONE, &nd);
		} else {
			err = walk(ev, c[k], i + 1);
		}
	}
	mcx_free(c);
	return err;
}

static bool node_kind_ok(const struct xmldoc *d, const struct pnode *nd,
			 const struct psel_step *st)
{
	switch (st->kind) {
	case PS_TEXT:
		return nd->kind == PN_TEXT;
	case PS_COMMENT:
		return nd->kind == PN_COMMENT;
	case PS_PI:
		return nd->kind == PN_PI && (!st->local.l ||
		       pl_eq(pnode_pi_target(d->buf + nd->start, nd->end - nd->start), st->local));
	}
	return false;
}

static enum mcx_err walk_nodes(struct ev *ev, uint32_t ctx, uint32_t i)
{
	const struct psel_step *st = &ev->ps->steps[i];
	struct pnodes ch = { NULL, 0 };
	uint32_t k, n = 0, *c;
	enum mcx_err err;

	err = pnode_children(ev->d, ctx, &ch);
	if (err)
		return err == MCX_ENOMEM ? err : MCX_OK;
	c = mcx_malloc((size_t)(ch.n ? ch.n : 1) * sizeof(*c));
	if (!c) {
		pnodes_free(&ch);
		return MCX_ENOMEM;
	}
	for (k = 0; k < ch.n; k++)
		if (node_kind_ok(ev->d, &ch.v[k], st))
			c[n++] = k;
	n = filter(ev->d, st, c, n, false);
	for (k = 0; k < n; k++)
		hit(ev, st->kind, ctx, XEL_NONE, &ch.v[c[k]]);
	mcx_free(c);
	pnodes_free(&ch);
	return MCX_OK;
}

static enum mcx_err walk(struct ev *ev, uint32_t ctx, uint32_t i)
{
	const struct psel_step *st = &ev->ps->steps[i];
	uint32_t a;

	switch (st->kind) {
	case PS_ELEM:
		return walk_elems(ev, ctx, i);
	case PS_ATTR:
	case PS_NS:
		if (ctx == XEL_NONE)
			return MCX_OK;
		a = st->kind == PS_ATTR ? find_attr(ev->d, ctx, st->local, st->ns, st->nsok) :
			find_nsdecl(ev->d, ctx, st->prefix);
		if (a != XEL_NONE)
			hit(ev, st->kind, ctx, a, NULL);
		return MCX_OK;
	}
	return walk_nodes(ev, ctx, i);
}

enum mcx_err psel_eval(const struct psel *ps, const struct xmldoc *d, struct ptarget *t)
{
	struct ev ev = { ps, d, t, 0 };
	enum mcx_err err;

	memset(t, 0, sizeof(*t));
	t->attr = XEL_NONE;
	if (!ps->n)
		return MCX_ENOENT;
	err = walk(&ev, XEL_NONE, 0);
	if (err)
		return err;
	return ev.hits == 1 ? MCX_OK : MCX_ENOENT;
}
