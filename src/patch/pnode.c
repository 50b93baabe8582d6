/* Child node lists (elements, text, comments, PIs) over an xmldoc index. */
#include <string.h>
#include <strings.h>

#include "patch/pnode.h"
#include "core/mem.h"
#include "core/banned.h"

struct plist {
	struct pnodes *c;
	uint32_t cap;
};

static enum mcx_err push(struct plist *l, uint8_t kind, size_t start, size_t end, uint32_t el,
			 bool cdata)
{
	struct pnodes *c = l->c;
	struct pnode *nv;

	if (c->n == l->cap) {
		uint32_t ncap = l->cap ? l->cap * 2 : 8;

		nv = mcx_realloc(c->v, (size_t)ncap * sizeof(*c->v));
		if (!nv)
			return MCX_ENOMEM;
		c->v = nv;
		l->cap = ncap;
	}
	c->v[c->n].start = (uint32_t)start;
	c->v[c->n].end = (uint32_t)end;
	c->v[c->n].el = el;
	c->v[c->n].kind = kind;
	c->v[c->n].cdata = cdata;
	c->n++;
	return MCX_OK;
}

static bool starts(const char *p, size_t i, size_t b, const char *lit)
{
	size_t l = strlen(lit);

	return b - i >= l && !memcmp(p + i, lit, l);
}

/* End of the markup starting at i with an opener of ol bytes and ending with
 * term, searched after the opener (so "<!-->" is no comment, as for an XML
 * parser; the xmldoc scanner is laxer there, and a document where the two
 * disagree gives MCX_EINVAL below); 0 when absent before b. */
static size_t past(const char *p, size_t i, size_t b, size_t ol, const char *term)
{
	size_t l = strlen(term);
	const char *hit = i + ol <= b ? memmem(p + i + ol, b - i - ol, term, l) : NULL;

	return hit ? (size_t)(hit - p) + l : 0;
}

/* A text run being collected: from ts (SIZE_MAX: none), holding CDATA. */
struct run {
	size_t ts;
	bool cdata;
};

static enum mcx_err flush(struct plist *l, struct run *r, size_t end)
{
	enum mcx_err err = MCX_OK;

	if (r->ts != SIZE_MAX)
		err = push(l, PN_TEXT, r->ts, end, XEL_NONE, r->cdata);
	r->ts = SIZE_MAX;
	r->cdata = false;
	return err;
}

/* The comment or PI at p[i]; *i moves past it. */
static enum mcx_err markup(struct plist *l, const char *p, size_t *i, size_t b, bool com)
{
	size_t e = past(p, *i, b, com ? 4 : 2, com ? "-->" : "?>");
	enum mcx_err err;

	if (!e)
		return MCX_EINVAL;
	err = push(l, com ? PN_COMMENT : PN_PI, *i, e, XEL_NONE, false);
	*i = e;
	return err;
}

/* Split the bytes [i, b) between two child elements into nodes. */
static enum mcx_err gap(struct plist *l, const char *p, size_t i, size_t b, bool doc_level)
{
	struct run r = { SIZE_MAX, false };
	enum mcx_err err = MCX_OK;
	size_t e;

	while (!err && i < b) {
		bool com = starts(p, i, b, "<!--"), pi = !com && starts(p, i, b, "<?");

		if (com || pi) {
			err = flush(l, &r, i);
			if (!err)
				err = markup(l, p, &i, b, com);
		} else if (doc_level) {
			if (!pnode_is_ws(p[i++]))
				return MCX_EINVAL;
		} else if (starts(p, i, b, "<![CDATA[")) {
			e = past(p, i, b, 9, "]]>");
			if (!e)
				return MCX_EINVAL;
			r.ts = r.ts == SIZE_MAX ? i : r.ts;
			r.cdata = true;
			i = e;
		} else if (p[i] == '<') {
			return MCX_EINVAL;
		} else {
			const char *lt = memchr(p + i, '<', b - i);

			r.ts = r.ts == SIZE_MAX ? i : r.ts;
			i = lt ? (size_t)(lt - p) : b;
		}
	}
	return err ? err : flush(l, &r, b);
}

/* Where the prolog's nodes start: after a BOM and the XML declaration. */
static size_t prolog_start(const struct xmldoc *d)
{
	size_t i = 0;

	if (d->len >= 3 && !memcmp(d->buf, "\xEF\xBB\xBF", 3))
		i = 3;
	if (d->len - i >= 6 && !memcmp(d->buf + i, "<?xml", 5) && pnode_is_ws(d->buf[i + 5])) {
		size_t e = past(d->buf, i, d->root_prolog_end, 2, "?>");

		if (e)
			i = e;
	}
	return i;
}

static enum mcx_err doc_children(const struct xmldoc *d, struct plist *l)
{
	enum mcx_err err;

	err = gap(l, d->buf, prolog_start(d), d->root_prolog_end, true);
	if (!err)
		err = push(l, PN_ELEM, d->els[0].start, d->els[0].end, 0, false);
	if (!err)
		err = gap(l, d->buf, d->els[0].end, d->len, true);
	return err;
}

enum mcx_err pnode_children(const struct xmldoc *d, uint32_t el, struct pnodes *out)
{
	struct plist l = { out, 0 };
	const struct xel *x;
	uint32_t ch;
	size_t at;
	enum mcx_err err = MCX_OK;

	out->v = NULL;
	out->n = 0;
	if (el == XEL_NONE) {
		err = doc_children(d, &l);
	} else {
		x = &d->els[el];
		at = x->stag_end;
		for (ch = x->first_child; !err && ch != XEL_NONE; ch = d->els[ch].next) {
			const struct xel *c = &d->els[ch];

			err = gap(&l, d->buf, at, c->start, false);
			if (!err)
				err = push(&l, PN_ELEM, c->start, c->end, ch, false);
			at = c->end;
		}
		if (!err && !x->empty)
			err = gap(&l, d->buf, at, x->etag_start, false);
	}
	if (err)
		pnodes_free(out);
	return err;
}

void pnodes_free(struct pnodes *c)
{
	mcx_free(c->v);
	c->v = NULL;
	c->n = 0;
}

uint32_t pnode_find(const struct pnodes *c, uint32_t off)
{
	uint32_t lo = 0, hi = c->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].start == off)
			return mid;
		if (c->v[mid].start < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

bool pnode_raw_ws(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pnode_is_ws(p[i]))
			return false;
	return true;
}

/* Decode the reference at p[0] == '&' into out; its length in *rl. */
static bool ref_at(const char *p, size_t n, char *out, size_t outmax, size_t *ol, size_t *rl)
{
	const char *semi = memchr(p, ';', n < 16 ? n : 16);

	if (!semi)
		return false;
	*rl = (size_t)(semi - p) + 1;
	return xml_unescape(pl_make(p, *rl), out, outmax, ol);
}

bool pnode_text_ws(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		char tmp[8];
		size_t ol, rl;

		if (pnode_is_ws(p[i])) {
			i++;
			continue;
		}
		if (p[i] != '&' || !ref_at(p + i, n - i, tmp, sizeof(tmp), &ol, &rl) ||
		    !pnode_raw_ws(tmp, ol))
			return false;
		i += rl;
	}
	return true;
}

/* Length of the comment, PI or CDATA section at p[i] ('<'), 0 if none. */
static size_t skip_special(const char *p, size_t i, size_t n)
{
	size_t e = 0;

	if (starts(p, i, n, "<!--"))
		e = past(p, i, n, 4, "-->");
	else if (starts(p, i, n, "<![CDATA["))
		e = past(p, i, n, 9, "]]>");
	else if (starts(p, i, n, "<?"))
		e = past(p, i, n, 2, "?>");
	else
		return 0;
	return e ? e - i : n - i;
}

bool pnode_refs_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		char tmp[8];
		size_t ol, rl, sk;

		if (p[i] == '<' && (sk = skip_special(p, i, n)) > 0) {
			i += sk;
		} else if (p[i] == '&') {
			if (!ref_at(p + i, n - i, tmp, sizeof(tmp), &ol, &rl))
				return false;
			i += rl;
		} else {
			i++;
		}
	}
	return true;
}

/* Compare the next decoded bytes with v[*j]. */
static bool feed(const char *s, size_t sl, const char *v, size_t vl, size_t *j)
{
	if (sl > vl - *j || memcmp(s, v + *j, sl))
		return false;
	*j += sl;
	return true;
}

/* End of the tag starting at p[i] == '<' (after its '>'), quotes respected. */
static size_t tag_end(const char *p, size_t i, size_t n)
{
	char q = 0;

	for (i++; i < n; i++) {
		if (q) {
			if (p[i] == q)
				q = 0;
		} else if (p[i] == '"' || p[i] == '\'') {
			q = p[i];
		} else if (p[i] == '>') {
			return i + 1;
		}
	}
	return n;
}

bool pnode_strval_eq(const struct xmldoc *d, uint32_t el, const char *v, size_t vl)
{
	const struct xel *x = &d->els[el];
	const char *p = d->buf;
	size_t i = x->stag_end, n = x->empty ? x->stag_end : x->etag_start, j = 0;

	while (i < n) {
		char tmp[8];
		size_t ol, rl, e;

		if (starts(p, i, n, "<![CDATA[")) {
			e = past(p, i, n, 9, "]]>");
			if (!e || !feed(p + i + 9, e - i - 12, v, vl, &j))
				return false;
			i = e;
		} else if (p[i] == '<') {
			e = skip_special(p, i, n);
			i = e ? i + e : tag_end(p, i, n);
		} else if (p[i] == '&') {
			if (!ref_at(p + i, n - i, tmp, sizeof(tmp), &ol, &rl) ||
			    !feed(tmp, ol, v, vl, &j))
				return false;
			i += rl;
		} else {
			if (!feed(p + i, 1, v, vl, &j))
				return false;
			i++;
		}
	}
	return j == vl;
}

struct pl pnode_pi_target(const char *p, size_t n)
{
	size_t i = 2;

	while (i < n && !pnode_is_ws(p[i]) && p[i] != '?')
		i++;
	return pl_make(p + 2, i > 2 ? i - 2 : 0);
}

/* No XML declaration, or one that says UTF-8. */
static bool encoding_ok(const char *p, size_t n)
{
	size_t i = n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0, e, k;
	const char *end, *enc;
	char q;

	if (n - i < 6 || memcmp(p + i, "<?xml", 5) || !pnode_is_ws(p[i + 5]))
		return true;
	end = memmem(p + i, n - i, "?>", 2);
	if (!end)
		return false;
	e = (size_t)(end - p);
	enc = memmem(p + i, e - i, "encoding", 8);
	if (!enc)
		return true;
	k = (size_t)(enc - p) + 8;
	while (k < e && (pnode_is_ws(p[k]) || p[k] == '='))
		k++;
	if (k >= e || (p[k] != '"' && p[k] != '\''))
		return false;
	q = p[k++];
	return (e - k > 5 && !strncasecmp(p + k, "utf-8", 5) && p[k + 5] == q) ||
	       (e - k > 4 && !strncasecmp(p + k, "utf8", 4) && p[k + 4] == q);
}

bool pnode_charset_ok(const char *p, size_t n)
{
	return xml_utf8_ok(p, n) && encoding_ok(p, n);
}
