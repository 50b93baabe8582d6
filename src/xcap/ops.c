/* XCAP node operations by byte splicing (RFC 4825 §7.4-7.9, §8.2.3-8.2.5). */
#include <stdio.h>
#include <string.h>

#include "xcap/ops.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct pl xcap_trim(const char *p, size_t n)
{
	while (n && is_ws(p[0])) {
		p++;
		n--;
	}
	while (n && is_ws(p[n - 1]))
		n--;
	return pl_make(p, n);
}

/* <ancestor>: the document URI plus the steps that did match, percent-encoded
 * where a URI can't carry the selector's characters as they are. */
static void set_ancestor(struct xcap_status *st, const struct xcap_opctx *c,
			 const struct xsel *s, uint32_t matched)
{
	size_t n = 0, o, i;

	if (!c->doc_uri)
		return;
	if (matched)
		n = (size_t)(s->steps[matched - 1].text.p + s->steps[matched - 1].text.l - s->raw.p);
	o = (size_t)snprintf(st->ancestor, sizeof(st->ancestor), "%s%s", c->doc_uri,
			     matched ? "/~~/" : "");
	for (i = 0; i < n && o + 4 < sizeof(st->ancestor); i++) {
		unsigned char ch = (unsigned char)s->raw.p[i];

		if (ch <= 0x20 || ch >= 0x7f || strchr("\"<>[]{}|\\^`%#?", ch))
			o += (size_t)snprintf(st->ancestor + o, sizeof(st->ancestor) - o, "%%%02X", ch);
		else
			st->ancestor[o++] = (char)ch;
	}
	st->ancestor[o < sizeof(st->ancestor) ? o : sizeof(st->ancestor) - 1] = '\0';
}

static int locate_fail(enum xsel_res r, struct xcap_status *st)
{
	if (r == XSEL_BADPREFIX)
		return xs_set(st, 400, XE_NONE, "a prefix in the node selector is not bound by an xmlns() query");
	return xs_set(st, 404, XE_NONE, r == XSEL_MANY ?
		      "the node selector matches more than one element" :
		      "no element matches the node selector");
}

static enum mcx_err splice(struct mcx_buf *out, const struct xmldoc *d, size_t from, size_t to,
			   const char *ins, size_t inslen)
{
	enum mcx_err err = buf_add(out, d->buf, from);

	if (!err)
		err = buf_add(out, ins, inslen);
	if (!err)
		err = buf_add(out, d->buf + to, d->len - to);
	return err;
}

/* doc[0, from) + parts + doc[to, len): every byte outside [from, to) is kept. */
static enum mcx_err splicev(struct mcx_buf *out, const struct xmldoc *d, size_t from, size_t to,
			    const struct pl *parts, size_t n)
{
	enum mcx_err err = buf_add(out, d->buf, from);
	size_t i;

	for (i = 0; !err && i < n; i++)
		err = buf_add(out, parts[i].p, parts[i].l);
	if (!err)
		err = buf_add(out, d->buf + to, d->len - to);
	return err;
}

static int buf_fail(enum mcx_err err, struct xcap_status *st)
{
	if (err == MCX_ELIMIT)
		return xs_set(st, 413, XE_NONE, "the resulting document is too large");
	return xs_set(st, 500, XE_NONE, "%s", mcx_strerror(err));
}

/* Namespace bindings in scope of e as <qname xmlns...="..."/>. */
static int ns_bindings(const struct xmldoc *d, uint32_t e, struct mcx_buf *out,
		       struct xcap_status *st)
{
	const struct xel *x = &d->els[e];
	uint32_t k, j;
	enum mcx_err err;

	err = buf_add(out, "<", 1);
	if (!err)
		err = buf_add(out, x->qname.p, x->qname.l);
	for (k = x->nsscope; !err && k != XEL_NONE; k = d->decls[k].next) {
		bool shadowed = false;
		const char *uri = xmldoc_ns(d, d->decls[k].ns);

		for (j = x->nsscope; j != k; j = d->decls[j].next)
			if (pl_eq(d->decls[j].prefix, d->decls[k].prefix))
				shadowed = true;
		if (shadowed || (!d->decls[k].prefix.l && !*uri))
			continue;
		err = buf_adds(out, d->decls[k].prefix.l ? " xmlns:" : " xmlns");
		if (!err)
			err = buf_add(out, d->decls[k].prefix.p, d->decls[k].prefix.l);
		if (!err)
			err = buf_adds(out, "=\"");
		if (!err)
			err = buf_add_xml(out, uri, strlen(uri));
		if (!err)
			err = buf_adds(out, "\"");
	}
	if (!err)
		err = buf_adds(out, "/>");
	return err ? buf_fail(err, st) : xs_set(st, 200, XE_NONE, NULL);
}

int xcap_node_get(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		  const char **p, size_t *n, struct mcx_buf *ns_out, struct xcap_status *st)
{
	uint32_t el, matched, a;
	bool badprefix = false;
	enum xsel_res r = xsel_eval(d, s, s->n, &c->sel, &el, &matched);

	if (r != XSEL_FOUND)
		return locate_fail(r, st);
	switch (s->term) {
	case XSEL_ELEMENT:
		*p = d->buf + d->els[el].start;
		*n = d->els[el].end - d->els[el].start;
		return xs_set(st, 200, XE_NONE, NULL);
	case XSEL_ATTR:
		a = xsel_find_attr(d, el, s->tprefix, s->tlocal, &c->sel, &badprefix);
		if (badprefix)
			return locate_fail(XSEL_BADPREFIX, st);
		if (a == XEL_NONE)
			return xs_set(st, 404, XE_NONE, "the element has no such attribute");
		*p = d->attrs[a].raw.p;
		*n = d->attrs[a].raw.l;
		return xs_set(st, 200, XE_NONE, NULL);
	case XSEL_NS:
		return ns_bindings(d, el, ns_out, st);
	}
	return xs_set(st, 500, XE_NONE, "bad selector kind");
}

/* Where a new element goes among parent's children for the last step. */
static int insert_point(const struct xmldoc *d, uint32_t parent, const struct xsel_step *last,
			const struct xsel_ctx *sc, size_t *at, bool *expand,
			struct xcap_status *st)
{
	const struct xel *p = &d->els[parent];
	uint32_t ch, n = 0, last_match = XEL_NONE, first_match = XEL_NONE;
	bool badprefix = false;

	*expand = false;
	for (ch = p->first_child; ch != XEL_NONE; ch = d->els[ch].next) {
		if (!xsel_step_name_ok(d, ch, last, sc, &badprefix)) {
			if (badprefix)
				return locate_fail(XSEL_BADPREFIX, st);
			continue;
		}
		n++;
		if (first_match == XEL_NONE)
			first_match = ch;
		if (last->pos && n == last->pos - 1)
			last_match = ch;
		if (!last->pos)
			last_match = ch;
	}
	if (last->pos > 1) {
		if (n < last->pos - 1)
			return xs_set(st, 409, XE_CANNOT_INSERT,
				      "position %u asked for, but only %u such sibling element(s) exist",
				      last->pos, n);
		*at = d->els[last_match].end;
		return 0;
	}
	if (last->pos == 1 && first_match != XEL_NONE) {
		*at = d->els[first_match].start;
		return 0;
	}
	if (last_match != XEL_NONE) {
		*at = d->els[last_match].end;
		return 0;
	}
	if (p->last_child != XEL_NONE) {
		*at = d->els[p->last_child].end;
		return 0;
	}
	if (p->empty) {
		*expand = true;
		*at = p->stag_end;
		return 0;
	}
	*at = p->etag_start;
	return 0;
}

/* Exactly one balanced element, nothing before or after it. Prefixes may be
 * bound by the document, so they are not resolved here. MCX_OK when it is,
 * MCX_ENOMEM when that could not be found out, else MCX_EINVAL. */
static enum mcx_err fragment_check(struct pl body, const struct xmldoc_limits *lim)
{
	struct xmldoc_limits l = { XMLDOC_DEFAULT_MAX_DEPTH, XMLDOC_DEFAULT_MAX_ELEMENTS,
				   XMLDOC_DEFAULT_MAX_ATTRS, true };
	struct xmldoc *fd;
	enum mcx_err err;

	if (lim) {
		l = *lim;
		l.lenient_ns = true;
	}
	if (body.l < 3 || body.p[0] != '<' || body.p[1] == '?' || body.p[1] == '!')
		return MCX_EINVAL;
	err = xmldoc_index(&fd, body.p, body.l, &l, NULL, 0);
	if (err)
		return err == MCX_ENOMEM ? err : MCX_EINVAL;
	err = fd->els[0].end == body.l ? MCX_OK : MCX_EINVAL;
	xmldoc_free(fd);
	return err;
}

static int put_element(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		       struct pl body, struct mcx_buf *out, struct xcap_status *st)
{
	uint32_t el, matched, parent;
	enum xsel_res r;
	enum mcx_err err;
	size_t at = 0;
	bool expand;
	int rc;

	err = fragment_check(body, c->lim);
	if (err == MCX_ENOMEM)
		return buf_fail(err, st);
	if (err)
		return xs_set(st, 409, XE_NOT_XML_FRAG, "the body is not a single XML element");
	r = xsel_eval(d, s, s->n, &c->sel, &el, &matched);
	if (r == XSEL_BADPREFIX)
		return locate_fail(r, st);
	if (r == XSEL_MANY)
		return xs_set(st, 409, XE_CANNOT_INSERT, "the node selector matches more than one element");
	if (r == XSEL_FOUND) {
		err = splice(out, d, d->els[el].start, d->els[el].end, body.p, body.l);
		return err ? buf_fail(err, st) : xs_set(st, 200, XE_NONE, NULL);
	}
	if (s->n == 1)
		return xs_set(st, 409, XE_CANNOT_INSERT, "a document has exactly one root element");
	r = xsel_eval(d, s, s->n - 1, &c->sel, &parent, &matched);
	if (r == XSEL_BADPREFIX)
		return locate_fail(r, st);
	if (r != XSEL_FOUND) {
		xs_set(st, 409, XE_NO_PARENT, "the parent element does not exist");
		set_ancestor(st, c, s, matched);
		return 409;
	}
	rc = insert_point(d, parent, &s->steps[s->n - 1], &c->sel, &at, &expand, st);
	if (rc)
		return rc;
	if (expand) {
		/* <p .../> becomes <p ...>body</p> */
		const struct xel *p = &d->els[parent];
		const struct pl parts[] = { PL(">"), body, PL("</"), p->qname, PL(">") };

		err = splicev(out, d, p->stag_end - 2, p->stag_end, parts, 5);
	} else {
		err = splice(out, d, at, at, body.p, body.l);
	}
	return err ? buf_fail(err, st) : xs_set(st, 201, XE_NONE, NULL);
}

/* An attribute body is an AttValue without its quotes. Picks the quote. */
static bool att_value_ok(const char *p, size_t n, char *quote)
{
	bool dq = false, sq = false;
	char tmp[XSEL_ATTVAL_MAX * 4 + 8];
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '<')
			return false;
		dq |= p[i] == '"';
		sq |= p[i] == '\'';
	}
	if (dq && sq)
		return false;
	if (memchr(p, '&', n) && (n >= sizeof(tmp) || !xml_unescape(pl_make(p, n), tmp, sizeof(tmp), NULL)))
		return false;
	*quote = dq ? '\'' : '"';
	return xml_utf8_ok(p, n);
}

/* A prefix in scope of e bound to namespace id ns (for a new attribute). */
static bool prefix_for(const struct xmldoc *d, uint32_t e, uint32_t ns, struct pl *prefix)
{
	uint32_t k;

	for (k = d->els[e].nsscope; k != XEL_NONE; k = d->decls[k].next) {
		if (d->decls[k].ns == ns && d->decls[k].prefix.l) {
			uint32_t chk;

			if (xmldoc_prefix_ns(d, e, d->decls[k].prefix, &chk) && chk == ns) {
				*prefix = d->decls[k].prefix;
				return true;
			}
		}
	}
	return false;
}

static int put_attr(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		    const char *body, size_t blen, struct mcx_buf *out, struct xcap_status *st)
{
	uint32_t el, matched, a, ns = 0;
	bool badprefix = false, never = false;
	enum xsel_res r;
	enum mcx_err err;
	char q;
	struct pl prefix = PL_INIT;

	if (!att_value_ok(body, blen, &q))
		return xs_set(st, 409, XE_NOT_XML_ATT_VALUE, "the body is not a valid attribute value");
	if (pl_eqs(s->tlocal, "xmlns") || pl_eqs(s->tprefix, "xmlns"))
		return xs_set(st, 409, XE_CANNOT_INSERT, "namespace declarations are not attributes");
	r = xsel_eval(d, s, s->n, &c->sel, &el, &matched);
	if (r == XSEL_BADPREFIX)
		return locate_fail(r, st);
	if (r != XSEL_FOUND) {
		xs_set(st, 409, XE_NO_PARENT, "the element of the attribute does not exist");
		set_ancestor(st, c, s, matched);
		return 409;
	}
	a = xsel_find_attr(d, el, s->tprefix, s->tlocal, &c->sel, &badprefix);
	if (badprefix)
		return locate_fail(XSEL_BADPREFIX, st);
	if (a != XEL_NONE) {
		const struct xattr *at = &d->attrs[a];
		size_t vb = (size_t)(at->raw.p - d->buf);

		if (q == '"' && at->quote == '\'' && !memchr(body, '\'', blen))
			q = '\'';
		if (q == at->quote) {
			err = splice(out, d, vb, vb + at->raw.l, body, blen);
		} else {
			const struct pl parts[] = { pl_make(&q, 1), pl_make(body, blen), pl_make(&q, 1) };

			err = splicev(out, d, vb - 1, at->end, parts, 3);
		}
		return err ? buf_fail(err, st) : xs_set(st, 200, XE_NONE, NULL);
	}
	if (s->tprefix.l) {
		uint32_t i;
		const char *uri = NULL;
		bool found;

		for (i = 0; i < c->sel.nbinds; i++)
			if (pl_eq(c->sel.binds[i].prefix, s->tprefix))
				uri = c->sel.binds[i].uri;
		ns = uri ? xmldoc_ns_find(d, uri, &found) : 0;
		never = !uri || !found;
		if (never || !prefix_for(d, el, ns, &prefix))
			return xs_set(st, 409, XE_CANNOT_INSERT,
				      "the attribute's namespace is not declared in the document");
	}
	{
		const struct xel *x = &d->els[el];
		size_t at = x->nattr ? d->attrs[x->attr0 + x->nattr - 1].end :
			(size_t)(x->qname.p + x->qname.l - d->buf);

		const struct pl parts[] = {
			PL(" "), prefix, prefix.l ? PL(":") : pl_make("", 0), s->tlocal, PL("="),
			pl_make(&q, 1), pl_make(body, blen), pl_make(&q, 1),
		};

		err = splicev(out, d, at, at, parts, sizeof(parts) / sizeof(parts[0]));
	}
	return err ? buf_fail(err, st) : xs_set(st, 201, XE_NONE, NULL);
}

int xcap_node_put(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		  const char *body, size_t blen, struct mcx_buf *out, struct xcap_status *st)
{
	switch (s->term) {
	case XSEL_ELEMENT:
		if (!xml_utf8_ok(body, blen))
			return xs_set(st, 409, XE_NOT_UTF8, "the body is not valid UTF-8");
		return put_element(d, s, c, xcap_trim(body, blen), out, st);
	case XSEL_ATTR:
		return put_attr(d, s, c, body, blen, out, st);
	case XSEL_NS:
		break;
	}
	return xs_set(st, 405, XE_NONE, "namespace bindings are read-only");
}

int xcap_node_delete(const struct xmldoc *d, const struct xsel *s, const struct xcap_opctx *c,
		     struct mcx_buf *out, struct xcap_status *st)
{
	uint32_t el, matched, a;
	bool badprefix = false;
	enum xsel_res r;
	enum mcx_err err;

	if (s->term == XSEL_NS)
		return xs_set(st, 405, XE_NONE, "namespace bindings are read-only");
	r = xsel_eval(d, s, s->n, &c->sel, &el, &matched);
	if (r != XSEL_FOUND)
		return locate_fail(r, st);
	if (s->term == XSEL_ELEMENT) {
		if (el == 0)
			return xs_set(st, 409, XE_CANNOT_DELETE,
				      "the root element can't be deleted; delete the document instead");
		err = splice(out, d, d->els[el].start, d->els[el].end, "", 0);
		return err ? buf_fail(err, st) : xs_set(st, 200, XE_NONE, NULL);
	}
	a = xsel_find_attr(d, el, s->tprefix, s->tlocal, &c->sel, &badprefix);
	if (badprefix)
		return locate_fail(XSEL_BADPREFIX, st);
	if (a == XEL_NONE)
		return xs_set(st, 404, XE_NONE, "the element has no such attribute");
	{
		size_t from = d->attrs[a].off;

		while (from > 0 && is_ws(d->buf[from - 1]))
			from--;
		err = splice(out, d, from, d->attrs[a].end, "", 0);
	}
	return err ? buf_fail(err, st) : xs_set(st, 200, XE_NONE, NULL);
}

int xcap_verify_put(const struct xmldoc *nd, const struct xsel *s, const struct xcap_opctx *c,
		    const char *body, size_t blen, struct xcap_status *st)
{
	const char *p = NULL;
	size_t n = 0;
	struct xcap_status tmp;
	struct pl want = s->term == XSEL_ELEMENT ? xcap_trim(body, blen) : pl_make(body, blen);

	memset(&tmp, 0, sizeof(tmp));
	if (xcap_node_get(nd, s, c, &p, &n, NULL, &tmp) == 200 && n == want.l &&
	    !memcmp(p, want.p, n))
		return 0;
	return xs_set(st, 409, XE_CANNOT_INSERT,
		      "after this PUT the URI would not select the content that was put");
}

int xcap_verify_delete(const struct xmldoc *nd, const struct xsel *s,
		       const struct xcap_opctx *c, struct xcap_status *st)
{
	const char *p;
	size_t n;
	struct xcap_status tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (xcap_node_get(nd, s, c, &p, &n, NULL, &tmp) == 404)
		return 0;
	return xs_set(st, 409, XE_CANNOT_DELETE,
		      "after this DELETE the URI would select another node");
}
