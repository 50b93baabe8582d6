/* XCAP node selector parsing and evaluation (RFC 4825 §6.3, §6.4). */
#include <stdio.h>
#include <string.h>

#include "xcap/selector.h"
#include "core/mem.h"

static enum mcx_err bad(char *errbuf, size_t errlen, const char *what, struct pl at)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s in \"%.*s\"", what, (int)(at.l > 80 ? 80 : at.l), at.p);
	return MCX_EINVAL;
}

/* An XML NameChar, or ':'. Non-ASCII bytes are let through as UTF-8. */
static bool qname_char(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
	       u == '-' || u == '.' || u == '_' || u == ':' || u >= 0x80;
}

static bool split_qname(struct pl q, struct pl *prefix, struct pl *local)
{
	const char *c = memchr(q.p, ':', q.l);

	if (!c) {
		*prefix = pl_make(q.p, 0);
		*local = q;
		return q.l > 0;
	}
	*prefix = pl_make(q.p, (size_t)(c - q.p));
	*local = pl_make(c + 1, q.l - prefix->l - 1);
	return prefix->l > 0 && local->l > 0 && !memchr(local->p, ':', local->l);
}

/* A terminal "@name": only name characters, for put_attr writes it out. */
static bool attr_qname(struct pl q, struct pl *prefix, struct pl *local)
{
	size_t i;

	for (i = 0; i < q.l; i++)
		if (!qname_char(q.p[i]))
			return false;
	return split_qname(q, prefix, local);
}

/* Split the selector into steps at '/' outside quotes and brackets. */
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

static enum mcx_err parse_attr_test(struct xsel_step *st, struct pl in, size_t *i,
				    char *errbuf, size_t errlen)
{
	size_t b, k = *i;
	char q;
	struct pl name;
	enum mcx_err err = MCX_OK;
	char *tmp;

	/* in.p[k] == '@' */
	b = ++k;
	while (k < in.l && qname_char(in.p[k]))
		k++;
	name = pl_make(in.p + b, k - b);
	if (!split_qname(name, &st->aprefix, &st->alocal))
		return bad(errbuf, errlen, "bad attribute name", in);
	if (k >= in.l || in.p[k] != '=')
		return bad(errbuf, errlen, "expected '=' in attribute test", in);
	k++;
	if (k >= in.l || (in.p[k] != '"' && in.p[k] != '\''))
		return bad(errbuf, errlen, "expected a quoted value", in);
	q = in.p[k++];
	b = k;
	while (k < in.l && in.p[k] != q)
		k++;
	if (k >= in.l)
		return bad(errbuf, errlen, "unterminated attribute value", in);
	if (k - b > XSEL_ATTVAL_MAX || memchr(in.p + b, '<', k - b))
		return bad(errbuf, errlen, "bad attribute value", in);
	tmp = mcx_malloc(k - b + 1);
	if (!tmp)
		return MCX_ENOMEM;
	if (!xml_unescape(pl_make(in.p + b, k - b), tmp, k - b + 1, &st->avlen)) {
		mcx_free(tmp);
		return bad(errbuf, errlen, "bad reference in attribute value", in);
	}
	st->aval = tmp;
	st->has_attr = true;
	*i = k + 1;
	return err;
}

static enum mcx_err parse_step(struct xsel_step *st, struct pl in, char *errbuf, size_t errlen)
{
	size_t i = 0, b;
	struct pl name;
	enum mcx_err err;

	memset(st, 0, sizeof(*st));
	st->text = in;
	if (in.l && in.p[0] == '*') {
		st->any = true;
		i = 1;
	} else {
		while (i < in.l && qname_char(in.p[i]))
			i++;
		name = pl_make(in.p, i);
		if (!split_qname(name, &st->prefix, &st->local))
			return bad(errbuf, errlen, "bad element name", in);
	}
	if (i < in.l && in.p[i] == '[' && i + 1 < in.l && in.p[i + 1] >= '0' && in.p[i + 1] <= '9') {
		unsigned long long v = 0;

		b = ++i;
		while (i < in.l && in.p[i] >= '0' && in.p[i] <= '9') {
			v = v * 10 + (unsigned)(in.p[i] - '0');
			if (v > 1000000000ULL)
				return bad(errbuf, errlen, "position too large", in);
			i++;
		}
		if (i >= in.l || in.p[i] != ']' || v == 0 || i == b)
			return bad(errbuf, errlen, "bad position predicate", in);
		st->pos = (uint32_t)v;
		i++;
	}
	if (i < in.l && in.p[i] == '[') {
		i++;
		if (i >= in.l || in.p[i] != '@')
			return bad(errbuf, errlen, "bad predicate", in);
		err = parse_attr_test(st, in, &i, errbuf, errlen);
		if (err)
			return err;
		if (i >= in.l || in.p[i] != ']')
			return bad(errbuf, errlen, "expected ']'", in);
		i++;
	}
	if (i != in.l)
		return bad(errbuf, errlen, "unexpected characters in step", in);
	return MCX_OK;
}

void xsel_free(struct xsel *s)
{
	uint32_t i;

	if (!s->steps)
		return;
	for (i = 0; i < s->n; i++)
		mcx_free(s->steps[i].aval);
	mcx_free(s->steps);
	s->steps = NULL;
	s->n = 0;
}

enum mcx_err xsel_parse(struct xsel *s, const char *sel, size_t len, uint32_t max_steps,
			char *errbuf, size_t errlen)
{
	size_t i = 0, cap;
	enum mcx_err err = MCX_OK;

	memset(s, 0, sizeof(*s));
	s->raw = pl_make(sel, len);
	if (!len || sel[0] == '/')
		return bad(errbuf, errlen, "empty node selector", s->raw);
	if (!max_steps)
		max_steps = XSEL_MAX_STEPS_DEFAULT;
	cap = 1;
	for (i = 0; i < len; i++)
		cap += sel[i] == '/';
	if (cap > max_steps)
		return bad(errbuf, errlen, "too many steps", s->raw);
	s->steps = mcx_calloc(cap, sizeof(*s->steps));
	if (!s->steps)
		return MCX_ENOMEM;
	i = 0;
	while (i < len) {
		size_t e = step_end(sel, i, len);
		struct pl st = pl_make(sel + i, e - i);
		bool last = e >= len;

		if (!st.l) {
			err = bad(errbuf, errlen, "empty step", s->raw);
			goto out;
		}
		if (last && st.p[0] == '@') {
			if (!attr_qname(pl_make(st.p + 1, st.l - 1), &s->tprefix, &s->tlocal)) {
				err = bad(errbuf, errlen, "bad attribute selector", s->raw);
				goto out;
			}
			s->term = XSEL_ATTR;
			break;
		}
		if (last && pl_eqs(st, "namespace::*")) {
			s->term = XSEL_NS;
			break;
		}
		err = parse_step(&s->steps[s->n], st, errbuf, errlen);
		if (err) {
			/* a step that fails after its attribute test owns aval */
			mcx_free(s->steps[s->n].aval);
			goto out;
		}
		s->n++;
		if (last)
			break;
		i = e + 1;
		if (i >= len) {
			err = bad(errbuf, errlen, "trailing '/'", s->raw);
			goto out;
		}
	}
	if (!s->n) {
		err = bad(errbuf, errlen, "no element step", s->raw);
		goto out;
	}
	s->elem_part = pl_make(sel, (size_t)(s->steps[s->n - 1].text.p +
				    s->steps[s->n - 1].text.l - sel));
out:
	if (err)
		xsel_free(s);
	return err;
}

/* Namespace id a selector prefix stands for, in the document's id space.
 * *never: the namespace is not used by the document at all. */
static bool resolve(const struct xmldoc *d, struct pl prefix, bool element,
		    const struct xsel_ctx *ctx, uint32_t *ns, bool *never)
{
	const char *uri = NULL;
	bool found;
	uint32_t i;

	*never = false;
	if (!prefix.l) {
		uri = element ? ctx->default_ns : NULL;
	} else {
		for (i = 0; i < ctx->nbinds; i++) {
			if (pl_eq(ctx->binds[i].prefix, prefix)) {
				uri = ctx->binds[i].uri;
				break;
			}
		}
		if (!uri && pl_eqs(prefix, "xml"))
			uri = "http://www.w3.org/XML/1998/namespace";   /* bound by definition */
		if (!uri)
			return false;
	}
	*ns = xmldoc_ns_find(d, uri, &found);
	*never = !found;
	return true;
}

bool xsel_step_name_ok(const struct xmldoc *d, uint32_t e, const struct xsel_step *st,
		       const struct xsel_ctx *ctx, bool *badprefix)
{
	const struct xel *x = &d->els[e];
	uint32_t ns;
	bool never;

	if (st->any)
		return true;
	if (!resolve(d, st->prefix, true, ctx, &ns, &never)) {
		*badprefix = true;
		return false;
	}
	return !never && x->ns == ns && pl_eq(x->local, st->local);
}

uint32_t xsel_find_attr(const struct xmldoc *d, uint32_t e, struct pl prefix,
			struct pl local, const struct xsel_ctx *ctx, bool *badprefix)
{
	const struct xel *x = &d->els[e];
	uint32_t ns, a;
	bool never;

	if (!resolve(d, prefix, false, ctx, &ns, &never)) {
		*badprefix = true;
		return XEL_NONE;
	}
	if (never)
		return XEL_NONE;
	for (a = x->attr0; a < x->attr0 + x->nattr; a++) {
		const struct xattr *at = &d->attrs[a];

		if (!at->nsdecl && at->ns == ns && pl_eq(at->local, local))
			return a;
	}
	return XEL_NONE;
}

bool xsel_step_attr_ok(const struct xmldoc *d, uint32_t e, const struct xsel_step *st,
		       const struct xsel_ctx *ctx, bool *badprefix)
{
	char val[XSEL_ATTVAL_MAX + 1];
	uint32_t a;
	size_t vl;

	if (!st->has_attr)
		return true;
	a = xsel_find_attr(d, e, st->aprefix, st->alocal, ctx, badprefix);
	if (a == XEL_NONE)
		return false;
	if (!xml_unescape(d->attrs[a].raw, val, sizeof(val), &vl))
		return false;
	return vl == st->avlen && !memcmp(val, st->aval, vl);
}

/* One step from parent (XEL_NONE = document node) → the unique match. */
static enum xsel_res step_eval(const struct xmldoc *d, uint32_t parent,
			       const struct xsel_step *st, const struct xsel_ctx *ctx,
			       uint32_t *out)
{
	uint32_t c, n = 0, found = XEL_NONE, hits = 0;
	bool badprefix = false;

	c = parent == XEL_NONE ? 0 : d->els[parent].first_child;
	for (; c != XEL_NONE; c = parent == XEL_NONE ? XEL_NONE : d->els[c].next) {
		if (!xsel_step_name_ok(d, c, st, ctx, &badprefix)) {
			if (badprefix)
				return XSEL_BADPREFIX;
			continue;
		}
		n++;
		if (st->pos && n != st->pos)
			continue;
		if (!xsel_step_attr_ok(d, c, st, ctx, &badprefix)) {
			if (badprefix)
				return XSEL_BADPREFIX;
			continue;
		}
		found = c;
		hits++;
		if (st->pos)
			break;
	}
	if (hits == 0)
		return XSEL_NONE;
	if (hits > 1)
		return XSEL_MANY;
	*out = found;
	return XSEL_FOUND;
}

enum xsel_res xsel_eval(const struct xmldoc *d, const struct xsel *s, uint32_t nsteps,
			const struct xsel_ctx *ctx, uint32_t *el, uint32_t *matched)
{
	uint32_t cur = XEL_NONE, i;

	*matched = 0;
	if (!d->nels)
		return XSEL_NONE;
	for (i = 0; i < nsteps && i < s->n; i++) {
		uint32_t next;
		enum xsel_res r = step_eval(d, cur, &s->steps[i], ctx, &next);

		if (r != XSEL_FOUND)
			return r;
		cur = next;
		*matched = i + 1;
	}
	*el = cur;
	return XSEL_FOUND;
}
