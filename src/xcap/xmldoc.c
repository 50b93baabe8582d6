/* Byte-offset index of an XML document: a scanner that records element,
 * attribute and namespace spans without building a tree of copies. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "xcap/xmldoc.h"
#include "core/mem.h"

#define XML_NS_URI "http://www.w3.org/XML/1998/namespace"

struct scan {
	struct xmldoc *d;
	const char *p;
	size_t n, i;
	struct xmldoc_limits lim;
	uint32_t cap_els, cap_attrs, cap_decls, cap_ns;
	uint32_t *stack;
	uint32_t depth;
	char *err;
	size_t errlen;
};

static enum mcx_err fail(struct scan *s, const char *what)
{
	if (s->err && s->errlen)
		snprintf(s->err, s->errlen, "%s at byte %zu", what, s->i);
	return MCX_EINVAL;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_end(char c)
{
	return is_ws(c) || c == '/' || c == '>' || c == '=' || c == '<' ||
	       c == '"' || c == '\'';
}

static void skip_ws(struct scan *s)
{
	while (s->i < s->n && is_ws(s->p[s->i]))
		s->i++;
}

static bool starts(struct scan *s, const char *lit)
{
	size_t l = strlen(lit);

	return s->n - s->i >= l && !memcmp(s->p + s->i, lit, l);
}

/* Skip to just after the terminator; false if absent. */
static bool skip_past(struct scan *s, const char *term)
{
	size_t l = strlen(term);
	const char *hit = memmem(s->p + s->i, s->n - s->i, term, l);

	if (!hit)
		return false;
	s->i = (size_t)(hit - s->p) + l;
	return true;
}

static enum mcx_err grow(void **arr, uint32_t *cap, uint32_t need, size_t sz, uint32_t max)
{
	uint32_t ncap;
	void *np;

	if (need <= *cap)
		return MCX_OK;
	if (need > max)
		return MCX_ELIMIT;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < need)
		ncap = need;
	if (ncap > max)
		ncap = max;
	np = mcx_realloc(*arr, (size_t)ncap * sz);
	if (!np)
		return MCX_ENOMEM;
	*arr = np;
	*cap = ncap;
	return MCX_OK;
}

static struct pl name_at(struct scan *s)
{
	size_t b = s->i;

	while (s->i < s->n && !is_name_end(s->p[s->i]))
		s->i++;
	return pl_make(s->p + b, s->i - b);
}

static void split_qname(struct pl q, struct pl *prefix, struct pl *local)
{
	const char *c = memchr(q.p, ':', q.l);

	if (c) {
		*prefix = pl_make(q.p, (size_t)(c - q.p));
		*local = pl_make(c + 1, q.l - (size_t)(c - q.p) - 1);
	} else {
		*prefix = pl_make(q.p, 0);
		*local = q;
	}
}

/* Intern a namespace URI given as escaped attribute bytes. */
static enum mcx_err ns_intern(struct scan *s, struct pl raw, uint32_t *id)
{
	struct xmldoc *d = s->d;
	char tmp[1024];
	size_t tl;
	uint32_t i;
	enum mcx_err err;

	if (!xml_unescape(raw, tmp, sizeof(tmp), &tl))
		return fail(s, "bad namespace URI");
	if (tl == 0) {
		*id = 0;
		return MCX_OK;
	}
	for (i = 1; i < d->nns; i++) {
		if (!strcmp(d->nsuris[i], tmp)) {
			*id = i;
			return MCX_OK;
		}
	}
	err = grow((void **)&d->nsuris, &s->cap_ns, d->nns + 1, sizeof(char *), 4096);
	if (err)
		return err;
	d->nsuris[d->nns] = mcx_strndup(tmp, tl);
	if (!d->nsuris[d->nns])
		return MCX_ENOMEM;
	*id = d->nns++;
	return MCX_OK;
}

bool xmldoc_prefix_ns(const struct xmldoc *d, uint32_t e, struct pl prefix, uint32_t *ns)
{
	uint32_t k;

	if (pl_eqs(prefix, "xml")) {
		bool found;

		*ns = xmldoc_ns_find(d, XML_NS_URI, &found);
		return found;
	}
	for (k = d->els[e].nsscope; k != XEL_NONE; k = d->decls[k].next) {
		if (pl_eq(d->decls[k].prefix, prefix)) {
			*ns = d->decls[k].ns;
			return prefix.l == 0 || *ns != 0;
		}
	}
	if (prefix.l == 0) {
		*ns = 0;
		return true;
	}
	return false;
}

static enum mcx_err start_tag(struct scan *s, uint32_t parent)
{
	struct xmldoc *d = s->d;
	struct xel *e;
	uint32_t idx = d->nels, a, scope;
	enum mcx_err err;

	err = grow((void **)&d->els, &s->cap_els, d->nels + 1, sizeof(*d->els),
		   s->lim.max_elements);
	if (err)
		return err == MCX_ELIMIT ? fail(s, "too many elements") : err;
	e = &d->els[idx];
	memset(e, 0, sizeof(*e));
	e->start = (uint32_t)s->i;
	s->i++; /* '<' */
	e->qname = name_at(s);
	if (!e->qname.l)
		return fail(s, "missing element name");
	split_qname(e->qname, &e->prefix, &e->local);
	if (!e->local.l)
		return fail(s, "bad element name");
	e->parent = parent;
	e->first_child = e->last_child = e->next = e->prev = XEL_NONE;
	e->attr0 = d->nattrs;
	e->depth = (uint16_t)(s->depth + 1);
	scope = parent == XEL_NONE ? XEL_NONE : d->els[parent].nsscope;
	d->nels++;
	for (;;) {
		struct xattr *at;
		size_t vb;

		skip_ws(s);
		if (s->i >= s->n)
			return fail(s, "unterminated start tag");
		if (s->p[s->i] == '>') {
			s->i++;
			break;
		}
		if (s->p[s->i] == '/') {
			if (s->i + 1 >= s->n || s->p[s->i + 1] != '>')
				return fail(s, "bad empty-element tag");
			s->i += 2;
			e->empty = true;
			break;
		}
		if (e->nattr >= s->lim.max_attrs)
			return fail(s, "too many attributes");
		err = grow((void **)&d->attrs, &s->cap_attrs, d->nattrs + 1, sizeof(*d->attrs),
			   UINT32_MAX / 2);
		if (err)
			return err;
		at = &d->attrs[d->nattrs];
		memset(at, 0, sizeof(*at));
		at->off = (uint32_t)s->i;
		at->qname = name_at(s);
		if (!at->qname.l)
			return fail(s, "bad attribute name");
		split_qname(at->qname, &at->prefix, &at->local);
		skip_ws(s);
		if (s->i >= s->n || s->p[s->i] != '=')
			return fail(s, "expected '=' after attribute name");
		s->i++;
		skip_ws(s);
		if (s->i >= s->n || (s->p[s->i] != '"' && s->p[s->i] != '\''))
			return fail(s, "expected a quoted attribute value");
		at->quote = s->p[s->i++];
		vb = s->i;
		while (s->i < s->n && s->p[s->i] != at->quote) {
			if (s->p[s->i] == '<')
				return fail(s, "'<' in attribute value");
			s->i++;
		}
		if (s->i >= s->n)
			return fail(s, "unterminated attribute value");
		at->raw = pl_make(s->p + vb, s->i - vb);
		s->i++;
		at->end = (uint32_t)s->i;
		for (a = e->attr0; a < d->nattrs; a++)
			if (pl_eq(d->attrs[a].qname, at->qname))
				return fail(s, "duplicate attribute");
		if (pl_eqs(at->qname, "xmlns") || pl_eqs(at->prefix, "xmlns")) {
			struct xnsdecl *nd;

			at->nsdecl = true;
			err = grow((void **)&d->decls, &s->cap_decls, d->ndecls + 1,
				   sizeof(*d->decls), UINT32_MAX / 2);
			if (err)
				return err;
			nd = &d->decls[d->ndecls];
			nd->prefix = at->prefix.l ? at->local : pl_make(at->qname.p, 0);
			err = ns_intern(s, at->raw, &nd->ns);
			if (err)
				return err;
			if (at->prefix.l && nd->ns == 0)
				return fail(s, "empty namespace for a prefix");
			nd->next = scope;
			scope = d->ndecls++;
		}
		d->nattrs++;
		e->nattr++;
	}
	e->nsscope = scope;
	e->stag_end = (uint32_t)s->i;
	if (!xmldoc_prefix_ns(d, idx, e->prefix, &e->ns) && !s->lim.lenient_ns)
		return fail(s, "unbound element prefix");
	for (a = e->attr0; a < e->attr0 + e->nattr; a++) {
		struct xattr *at = &d->attrs[a];

		if (at->nsdecl || !at->prefix.l)
			continue;
		if (!xmldoc_prefix_ns(d, idx, at->prefix, &at->ns) && !s->lim.lenient_ns)
			return fail(s, "unbound attribute prefix");
	}
	if (parent != XEL_NONE) {
		struct xel *p = &d->els[parent];

		if (p->last_child == XEL_NONE) {
			p->first_child = idx;
		} else {
			d->els[p->last_child].next = idx;
			e->prev = p->last_child;
		}
		p->last_child = idx;
	}
	if (e->empty) {
		e->etag_start = e->stag_end;
		e->end = e->stag_end;
	}
	return MCX_OK;
}

static enum mcx_err end_tag(struct scan *s, uint32_t top)
{
	struct xel *e = &s->d->els[top];
	struct pl q;

	e->etag_start = (uint32_t)s->i;
	s->i += 2;
	q = name_at(s);
	if (!pl_eq(q, e->qname))
		return fail(s, "mismatched end tag");
	skip_ws(s);
	if (s->i >= s->n || s->p[s->i] != '>')
		return fail(s, "bad end tag");
	s->i++;
	e->end = (uint32_t)s->i;
	return MCX_OK;
}

/* Comments, PIs and whitespace outside the root element. */
static enum mcx_err misc(struct scan *s, bool prolog)
{
	for (;;) {
		skip_ws(s);
		if (s->i >= s->n)
			return MCX_OK;
		if (starts(s, "<!--")) {
			s->i += 4;   /* "<!-->" is not a whole comment */
			if (!skip_past(s, "-->"))
				return fail(s, "unterminated comment");
		} else if (starts(s, "<?")) {
			s->i += 2;
			if (!skip_past(s, "?>"))
				return fail(s, "unterminated processing instruction");
		} else if (starts(s, "<!DOCTYPE") || starts(s, "<!doctype")) {
			return fail(s, "document type declarations are not accepted");
		} else if (prolog && s->p[s->i] == '<') {
			return MCX_OK;
		} else {
			return fail(s, prolog ? "expected the root element" :
				    "content after the root element");
		}
	}
}

static enum mcx_err content(struct scan *s)
{
	enum mcx_err err;

	while (s->depth > 0) {
		const char *lt = memchr(s->p + s->i, '<', s->n - s->i);
		uint32_t top = s->stack[s->depth - 1];

		if (!lt)
			return fail(s, "unterminated element");
		s->i = (size_t)(lt - s->p);
		if (starts(s, "</")) {
			err = end_tag(s, top);
			if (err)
				return err;
			s->depth--;
		} else if (starts(s, "<!--")) {
			s->i += 4;
			if (!skip_past(s, "-->"))
				return fail(s, "unterminated comment");
		} else if (starts(s, "<![CDATA[")) {
			s->i += 9;
			if (!skip_past(s, "]]>"))
				return fail(s, "unterminated CDATA section");
		} else if (starts(s, "<?")) {
			s->i += 2;
			if (!skip_past(s, "?>"))
				return fail(s, "unterminated processing instruction");
		} else if (starts(s, "<!")) {
			return fail(s, "unexpected markup declaration");
		} else {
			if (s->depth >= s->lim.max_depth)
				return fail(s, "elements nested too deeply");
			err = start_tag(s, top);
			if (err)
				return err;
			if (!s->d->els[s->d->nels - 1].empty)
				s->stack[s->depth++] = s->d->nels - 1;
		}
	}
	return MCX_OK;
}

void xmldoc_free(struct xmldoc *d)
{
	uint32_t i;

	if (!d)
		return;
	for (i = 0; i < d->nns; i++)
		mcx_free(d->nsuris[i]);
	mcx_free(d->nsuris);
	mcx_free(d->els);
	mcx_free(d->attrs);
	mcx_free(d->decls);
	mcx_free(d);
}

static enum mcx_err scan_doc(struct scan *s)
{
	struct xmldoc *d = s->d;
	enum mcx_err err;
	uint32_t xid;

	d->nsuris = mcx_calloc(4, sizeof(char *));
	if (!d->nsuris)
		return MCX_ENOMEM;
	s->cap_ns = 4;
	d->nsuris[0] = mcx_strdup("");
	if (!d->nsuris[0])
		return MCX_ENOMEM;
	d->nns = 1;
	err = ns_intern(s, pl_str(XML_NS_URI), &xid);
	if (err)
		return err;
	s->stack = mcx_malloc(sizeof(uint32_t) * (s->lim.max_depth + 1));
	if (!s->stack)
		return MCX_ENOMEM;
	if (s->n >= 3 && !memcmp(s->p, "\xEF\xBB\xBF", 3))
		s->i = 3;
	err = misc(s, true);
	if (err)
		return err;
	if (s->i >= s->n)
		return fail(s, "no root element");
	d->root_prolog_end = (uint32_t)s->i;
	err = start_tag(s, XEL_NONE);
	if (err)
		return err;
	if (!d->els[0].empty) {
		s->stack[s->depth++] = 0;
		err = content(s);
		if (err)
			return err;
	}
	return misc(s, false);
}

enum mcx_err xmldoc_index(struct xmldoc **dp, const char *buf, size_t len,
			  const struct xmldoc_limits *lim, char *errbuf, size_t errlen)
{
	struct scan s;
	enum mcx_err err;

	memset(&s, 0, sizeof(s));
	if (len >= UINT32_MAX)
		return MCX_ELIMIT;
	s.p = buf;
	s.n = len;
	s.err = errbuf;
	s.errlen = errlen;
	s.lim.max_depth = lim ? lim->max_depth : XMLDOC_DEFAULT_MAX_DEPTH;
	s.lim.max_elements = lim ? lim->max_elements : XMLDOC_DEFAULT_MAX_ELEMENTS;
	s.lim.max_attrs = lim ? lim->max_attrs : XMLDOC_DEFAULT_MAX_ATTRS;
	s.lim.lenient_ns = lim ? lim->lenient_ns : false;
	if (!s.lim.max_depth || s.lim.max_depth > 60000)
		s.lim.max_depth = XMLDOC_DEFAULT_MAX_DEPTH;
	s.d = mcx_calloc(1, sizeof(*s.d));
	if (!s.d)
		return MCX_ENOMEM;
	s.d->buf = buf;
	s.d->len = len;
	err = scan_doc(&s);
	mcx_free(s.stack);
	if (err) {
		xmldoc_free(s.d);
		return err;
	}
	*dp = s.d;
	return MCX_OK;
}

const char *xmldoc_ns(const struct xmldoc *d, uint32_t id)
{
	return id < d->nns ? d->nsuris[id] : "";
}

uint32_t xmldoc_ns_find(const struct xmldoc *d, const char *uri, bool *found)
{
	uint32_t i;

	*found = true;
	if (!uri || !*uri)
		return 0;
	for (i = 1; i < d->nns; i++)
		if (!strcmp(d->nsuris[i], uri))
			return i;
	*found = false;
	return 0;
}

/* XML 1.0 Char: what a character reference may name (§2.2, §4.1). */
static bool is_xml_char(unsigned long cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
	       (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

static bool put_utf8(char *out, size_t outmax, size_t *o, unsigned long cp)
{
	unsigned char b[4];
	size_t n, k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp; n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2;
	} else if (cp < 0x10000) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			return false;
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3;
	} else if (cp <= 0x10FFFF) {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4;
	} else {
		return false;
	}
	if (*o + n >= outmax)
		return false;
	for (k = 0; k < n; k++)
		out[(*o)++] = (char)b[k];
	return true;
}

bool xml_unescape(struct pl raw, char *out, size_t outmax, size_t *outlen)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	};
	size_t i = 0, o = 0;

	if (!outmax)
		return false;
	while (i < raw.l) {
		const char *semi;
		size_t rl, k;

		if (raw.p[i] != '&') {
			if (o + 1 >= outmax)
				return false;
			out[o++] = raw.p[i++];
			continue;
		}
		semi = memchr(raw.p + i, ';', raw.l - i);
		if (!semi)
			return false;
		rl = (size_t)(semi - (raw.p + i)) - 1;   /* name length */
		if (rl >= 2 && raw.p[i + 1] == '#') {
			unsigned long cp = 0;
			bool hex = raw.p[i + 2] == 'x';
			size_t b = i + (hex ? 3 : 2);

			if (b >= (size_t)(semi - raw.p) || (size_t)(semi - raw.p) - b > 8)
				return false;
			for (k = b; k < (size_t)(semi - raw.p); k++) {
				char c = raw.p[k];
				int v;

				if (c >= '0' && c <= '9') v = c - '0';
				else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
				else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
				else return false;
				cp = cp * (hex ? 16 : 10) + (unsigned long)v;
			}
			if (!is_xml_char(cp) || !put_utf8(out, outmax, &o, cp))
				return false;
		} else {
			bool ok = false;

			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				if (strlen(ents[k].name) == rl && !memcmp(raw.p + i + 1, ents[k].name, rl)) {
					if (o + 1 >= outmax)
						return false;
					out[o++] = ents[k].c;
					ok = true;
					break;
				}
			}
			if (!ok)
				return false;
		}
		i = (size_t)(semi - raw.p) + 1;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return true;
}

bool xml_utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned long cp;
		size_t k, need;

		if (p[i] < 0x80) {
			if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
				return false;
			i++;
			continue;
		}
		if ((p[i] & 0xE0) == 0xC0) { need = 1; cp = p[i] & 0x1F; }
		else if ((p[i] & 0xF0) == 0xE0) { need = 2; cp = p[i] & 0x0F; }
		else if ((p[i] & 0xF8) == 0xF0) { need = 3; cp = p[i] & 0x07; }
		else return false;
		for (k = 1; k <= need; k++) {
			if (i + k >= n || (p[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
			return false;
		i += need + 1;
	}
	return true;
}
