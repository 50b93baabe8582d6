/* XML document <-> MCPTT MO nodes through the table of mo_map.c. The
 * reader is our own bounded tokenizer (run after libxml2 has checked the
 * document is well-formed) because the presentation must be kept byte for
 * byte: libxml2's DOM forgets attribute quotes and whitespace inside tags. */
#include <stdio.h>
#include <string.h>

#include "dm/mo.h"
#include "dm/xmlutil.h"
#include "core/mem.h"
#include "core/banned.h"

#define XML_NS_URI "http://www.w3.org/XML/1998/namespace"
#define MO_ATTRS_MAX 64	/* attributes of one start tag (namespace declarations included) */
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static const struct mo_limits mo_lim_default = {
	MO_DOC_MAX_DEFAULT, MO_NODES_MAX_DEFAULT, MO_DEPTH_MAX_DEFAULT,
};

const struct mo_limits *mo_limits_default(void)
{
	return &mo_lim_default;
}

const struct mo_map *mo_map_get(enum mo_kind k)
{
	return (unsigned)k < MO_KIND_COUNT ? &mo_maps[k] : NULL;
}

bool mo_kind_by_name(const char *name, enum mo_kind *k)
{
	for (int i = 0; i < MO_KIND_COUNT; i++)
		if (name && !strcmp(mo_maps[i].name, name)) {
			*k = (enum mo_kind)i;
			return true;
		}
	return false;
}

bool mo_kind_by_urn(const char *urn, enum mo_kind *k)
{
	for (int i = 0; i < MO_KIND_COUNT; i++)
		if (urn && !strcmp(mo_maps[i].urn, urn)) {
			*k = (enum mo_kind)i;
			return true;
		}
	return false;
}

bool mo_kind_by_root(const char *ns_uri, const char *local, enum mo_kind *k)
{
	for (int i = 0; i < MO_KIND_COUNT; i++)
		if (ns_uri && local && !strcmp(mo_maps[i].ns[2].uri, ns_uri) &&
		    !strcmp(mo_maps[i].root, local)) {
			*k = (enum mo_kind)i;
			return true;
		}
	return false;
}

enum mcx_err mo_kind_of_xml(const char *xml, size_t len, enum mo_kind *k, char *errbuf,
			    size_t errlen)
{
	struct dm_xml_doc d;
	enum mcx_err err = dm_xml_read(xml, len, false, MO_DEPTH_MAX_DEFAULT, &d);
	if (err) {
		snprintf(errbuf, errlen, "not well-formed XML: %s", d.why);
		return err;
	}
	const xmlNode *r = xmlDocGetRootElement(d.doc);
	const char *ns = r && r->ns ? (const char *)r->ns->href : "";
	const char *name = r ? (const char *)r->name : "";
	if (!mo_kind_by_root(ns, name, k)) {
		snprintf(errbuf, errlen, "document element {%s}%s is none of the MCPTT MO documents",
			 ns, name);
		err = MCX_EINVAL;
	}
	dm_xml_close(&d);
	return err;
}

static bool ns_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

const struct mo_row *mo_row_by_xml(const struct mo_map *m, const char *ns_uri, const char *local,
				   bool attr)
{
	for (size_t i = 0; i < m->nrows; i++) {
		const struct mo_row *r = &m->rows[i];
		if (!!(r->flags & MO_ATTR) == attr && !strcmp(r->xml, local) &&
		    ns_eq(m->ns[r->ns].uri, ns_uri))
			return r;
	}
	return NULL;
}

const struct mo_row *mo_row_by_node(const struct mo_map *m, const char *node)
{
	for (size_t i = 0; i < m->nrows; i++)
		if (!strcmp(m->rows[i].node, node) && !(m->rows[i].flags & MO_ROOT))
			return &m->rows[i];
	return NULL;
}

/* ------------------------------------------------------------------ tree */

enum mcx_err mo_tree_alloc(struct mo_tree **tp, enum mo_kind k, const struct mo_limits *lim)
{
	if ((unsigned)k >= MO_KIND_COUNT)
		return MCX_EINVAL;
	struct mo_tree *t = mcx_calloc(1, sizeof *t);
	if (!t)
		return MCX_ENOMEM;
	t->kind = k;
	t->lim = lim ? *lim : mo_lim_default;
	*tp = t;
	return MCX_OK;
}

void mo_tree_free(struct mo_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		mcx_free(t->v[i].path);
		mcx_free(t->v[i].value);
	}
	mcx_free(t->v);
	mcx_free(t);
}

enum mcx_err mo_tree_add(struct mo_tree *t, const char *path, bool leaf, const char *value,
			 size_t len)
{
	if (t->n >= t->lim.nodes_max)
		return MCX_ELIMIT;
	if (strlen(path) >= MO_PATH_MAX)
		return MCX_ELIMIT;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct mo_node *v = mcx_realloc(t->v, cap * sizeof *v);
		if (!v)
			return MCX_ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	struct mo_node *nd = &t->v[t->n];
	memset(nd, 0, sizeof *nd);
	nd->path = mcx_strdup(path);
	if (!nd->path)
		return MCX_ENOMEM;
	nd->leaf = leaf;
	if (leaf) {
		nd->value = mcx_strndup(value ? value : "", value ? len : 0);
		if (!nd->value) {
			mcx_free(nd->path);
			return MCX_ENOMEM;
		}
		nd->len = value ? len : 0;
	}
	t->n++;
	return MCX_OK;
}

const struct mo_node *mo_tree_find(const struct mo_tree *t, const char *path)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].path, path))
			return &t->v[i];
	return NULL;
}

static bool is_form(const struct mo_node *nd)
{
	return !strcmp(nd->path, MO_NODE_FORM);
}

bool mo_tree_equal(const struct mo_tree *a, const struct mo_tree *b, bool with_form, char *why,
		   size_t whylen)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a->n && !with_form && is_form(&a->v[i]))
			i++;
		while (j < b->n && !with_form && is_form(&b->v[j]))
			j++;
		if (i == a->n || j == b->n)
			break;
		const struct mo_node *x = &a->v[i++], *y = &b->v[j++];
		if (strcmp(x->path, y->path) || x->leaf != y->leaf ||
		    (x->leaf && (x->len != y->len || memcmp(x->value, y->value, x->len)))) {
			snprintf(why, whylen, "node %zu: %s%s vs %s%s", i - 1, x->path,
				 x->leaf ? " (leaf)" : "", y->path, y->leaf ? " (leaf)" : "");
			return false;
		}
	}
	if (i != a->n || j != b->n) {
		snprintf(why, whylen, "node counts differ (%zu vs %zu)", a->n, b->n);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- reader */

struct nsbind {
	const char *p;
	size_t plen;
	char *uri;
	size_t depth;
};

struct seen {
	size_t depth;
	const struct mo_row *row;
	unsigned count;
};

struct frame {
	const struct mo_row *row;
	char path[MO_PATH_MAX];
	size_t node;		/* index of the element's node */
	size_t form_mark;	/* form length where the content starts */
	size_t content;		/* source offset where the content starts */
	bool children, attrs, comment, nonws;
};

struct rattr {
	const char *name;	/* qname */
	size_t nlen;
	const char *val;	/* raw, between the quotes */
	size_t vlen;
	size_t vstart;		/* source offset of the value */
};

struct px {
	const struct mo_map *m;
	const char *s;
	size_t n, i;
	struct mo_tree *t;
	struct mcx_buf form;
	bool want_form;
	struct frame *fr;
	size_t depth;
	struct nsbind ns[MO_NS_MAX];
	size_t nns;
	struct seen *seen;
	size_t nseen;
	char *errbuf;
	size_t errlen;
};

static enum mcx_err fail(struct px *x, enum mcx_err err, const char *fmt, const char *a, size_t alen)
{
	char tmp[200];
	snprintf(tmp, sizeof tmp, "%.*s", (int)(alen > 150 ? 150 : alen), a ? a : "");
	snprintf(x->errbuf, x->errlen, fmt, tmp);
	return err;
}

/* Append source bytes to the form, '%' doubled. */
static enum mcx_err form_raw(struct px *x, const char *p, size_t n)
{
	if (!x->want_form)
		return MCX_OK;
	size_t s = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '%') {
			enum mcx_err err = buf_add(&x->form, p + s, i + 1 - s);
			if (err)
				return err;
			s = i; /* the '%' again */
		}
	return buf_add(&x->form, p + s, n - s);
}

static bool xml_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t find(const struct px *x, size_t from, const char *pat)
{
	size_t pl = strlen(pat);
	for (size_t i = from; i + pl <= x->n; i++)
		if (!memcmp(x->s + i, pat, pl))
			return i;
	return x->n;
}

static void put_utf8(struct mcx_buf *b, unsigned long c, enum mcx_err *err)
{
	char u[4];
	size_t n;
	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	if (!*err)
		*err = buf_add(b, u, n);
}

/* Decode raw text or attribute content into b: references, CDATA, line
 * ends (CR LF and CR become LF), and in attributes TAB/LF/CR become spaces
 * (XML 1.0 3.3.3). The input is well-formed (libxml2 said so). */
static enum mcx_err decode(const char *p, size_t n, bool attr, struct mcx_buf *b)
{
	enum mcx_err err = MCX_OK;
	for (size_t i = 0; i < n && !err;) {
		if (!attr && n - i >= 9 && !memcmp(p + i, "<![CDATA[", 9)) {
			size_t j = i + 9;
			while (j + 3 <= n && memcmp(p + j, "]]>", 3))
				j++;
			err = buf_add(b, p + i + 9, j - i - 9);
			i = j + 3;
		} else if (p[i] == '&') {
			size_t j = i + 1;
			while (j < n && p[j] != ';')
				j++;
			const char *e = p + i + 1;
			size_t el = j - i - 1;
			if (el && e[0] == '#') {
				unsigned long c = el > 1 && (e[1] == 'x' || e[1] == 'X')
					? strtoul(e + 2, NULL, 16) : strtoul(e + 1, NULL, 10);
				put_utf8(b, c, &err);
			} else if (el == 3 && !memcmp(e, "amp", 3)) {
				err = buf_add(b, "&", 1);
			} else if (el == 2 && !memcmp(e, "lt", 2)) {
				err = buf_add(b, "<", 1);
			} else if (el == 2 && !memcmp(e, "gt", 2)) {
				err = buf_add(b, ">", 1);
			} else if (el == 4 && !memcmp(e, "quot", 4)) {
				err = buf_add(b, "\"", 1);
			} else if (el == 4 && !memcmp(e, "apos", 4)) {
				err = buf_add(b, "'", 1);
			} else {
				return MCX_EINVAL;
			}
			i = j + 1;
		} else if (p[i] == '\r') {
			err = buf_add(b, attr ? " " : "\n", 1);
			i += (i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
		} else if (attr && (p[i] == '\t' || p[i] == '\n')) {
			err = buf_add(b, " ", 1);
			i++;
		} else {
			err = buf_add(b, p + i, 1);
			i++;
		}
	}
	return err;
}

static const char *ns_lookup(const struct px *x, const char *p, size_t plen)
{
	if (plen == 3 && !memcmp(p, "xml", 3))
		return XML_NS_URI;
	for (size_t i = x->nns; i-- > 0;)
		if (x->ns[i].plen == plen && !memcmp(x->ns[i].p, p, plen))
			return x->ns[i].uri[0] ? x->ns[i].uri : NULL;
	return NULL;
}

static enum mcx_err path_join(struct px *x, char *out, const char *parent, const char *a,
			      const char *b)
{
	int r = snprintf(out, MO_PATH_MAX, "%s%s%s%s%s", parent, *parent ? "/" : "", a,
			 b ? "/" : "", b ? b : "");
	if (r < 0 || r >= MO_PATH_MAX)
		return fail(x, MCX_ELIMIT, "node path too long at %s", a, strlen(a));
	return MCX_OK;
}

static size_t name_end(const struct px *x, size_t i)
{
	while (i < x->n && !xml_ws(x->s[i]) && x->s[i] != '>' && x->s[i] != '/' &&
	       x->s[i] != '=')
		i++;
	return i;
}

static void split_qname(const char *q, size_t n, const char **pfx, size_t *plen,
			const char **local, size_t *llen)
{
	const char *c = memchr(q, ':', n);
	if (c) {
		*pfx = q;
		*plen = (size_t)(c - q);
		*local = c + 1;
		*llen = n - *plen - 1;
	} else {
		*pfx = "";
		*plen = 0;
		*local = q;
		*llen = n;
	}
}

static bool is_xmlns(const struct rattr *a)
{
	return (a->nlen == 5 && !memcmp(a->name, "xmlns", 5)) ||
	       (a->nlen > 6 && !memcmp(a->name, "xmlns:", 6));
}

/* The count of row's element under the current parent (depth). */
static enum mcx_err seen_bump(struct px *x, const struct mo_row *row, unsigned *count)
{
	for (size_t i = x->nseen; i-- > 0 && x->seen[i].depth == x->depth;)
		if (x->seen[i].row == row) {
			*count = ++x->seen[i].count;
			return MCX_OK;
		}
	if (x->nseen >= x->t->lim.nodes_max)
		return MCX_ELIMIT;
	x->seen[x->nseen++] = (struct seen){x->depth, row, 1};
	*count = 1;
	return MCX_OK;
}

static enum mcx_err add_value(struct px *x, const char *path, const char *raw, size_t n, bool attr)
{
	struct mcx_buf b;
	buf_init(&b, x->t->lim.doc_max);
	enum mcx_err err = decode(raw, n, attr, &b);
	if (err == MCX_EINVAL)
		err = fail(x, err, "unknown entity reference in %s", path, strlen(path));
	if (!err)
		err = mo_tree_add(x->t, path, true, b.p ? b.p : "", b.len);
	buf_reset(&b);
	return err;
}

/* Leave the scope of the namespace declarations made deeper than depth. */
static void ns_pop(struct px *x, size_t depth)
{
	while (x->nns && x->ns[x->nns - 1].depth > depth) {
		mcx_free(x->ns[x->nns - 1].uri);
		x->nns--;
	}
}

static enum mcx_err start_tag(struct px *x)
{
	size_t i = x->i + 1, qe = name_end(x, i);
	const char *q = x->s + i;
	size_t qlen = qe - i;
	struct rattr at[MO_ATTRS_MAX];
	size_t na = 0;
	enum mcx_err err;

	i = qe;
	for (;;) {
		while (i < x->n && xml_ws(x->s[i]))
			i++;
		if (i >= x->n)
			return fail(x, MCX_EINVAL, "truncated start tag %s", q, qlen);
		if (x->s[i] == '>' || x->s[i] == '/')
			break;
		if (na == MO_ATTRS_MAX)
			return fail(x, MCX_ELIMIT, "too many attributes on %s", q, qlen);
		struct rattr *a = &at[na++];
		size_t ne = name_end(x, i);
		a->name = x->s + i;
		a->nlen = ne - i;
		i = ne;
		while (i < x->n && (xml_ws(x->s[i]) || x->s[i] == '='))
			i++;
		if (i >= x->n)
			return fail(x, MCX_EINVAL, "truncated attribute in %s", q, qlen);
		char quote = x->s[i++];
		a->vstart = i;
		while (i < x->n && x->s[i] != quote)
			i++;
		a->val = x->s + a->vstart;
		a->vlen = i - a->vstart;
		i++;
	}
	bool empty = x->s[i] == '/';
	size_t end = empty ? i + 2 : i + 1;

	if (x->depth >= x->t->lim.depth_max)
		return fail(x, MCX_ELIMIT, "document deeper than the limit at %s", q, qlen);
	/* namespace declarations first: they apply to this element's names */
	for (size_t k = 0; k < na; k++) {
		if (!is_xmlns(&at[k]))
			continue;
		if (x->nns == MO_NS_MAX)
			return fail(x, MCX_ELIMIT, "too many namespace declarations at %s", q, qlen);
		struct nsbind *b = &x->ns[x->nns];
		b->p = at[k].nlen > 5 ? at[k].name + 6 : "";
		b->plen = at[k].nlen > 5 ? at[k].nlen - 6 : 0;
		b->depth = x->depth + 1;
		struct mcx_buf u;
		buf_init(&u, MO_PATH_MAX);
		err = decode(at[k].val, at[k].vlen, true, &u);
		if (err) {
			buf_reset(&u);
			return err == MCX_EINVAL ? fail(x, err, "bad namespace name at %s", q, qlen)
						 : err;
		}
		b->uri = u.p ? u.p : mcx_strdup("");
		if (!b->uri)
			return MCX_ENOMEM;
		x->nns++;
	}

	const char *pfx, *local;
	size_t plen, llen;
	split_qname(q, qlen, &pfx, &plen, &local, &llen);
	const char *nsu = ns_lookup(x, pfx, plen);
	char lname[256];
	if (llen >= sizeof lname)
		return fail(x, MCX_ELIMIT, "element name too long: %s", q, qlen);
	memcpy(lname, local, llen);
	lname[llen] = '\0';

	struct frame *parent = x->depth ? &x->fr[x->depth - 1] : NULL;
	struct frame *f = &x->fr[x->depth];
	memset(f, 0, sizeof *f);
	const struct mo_row *row;
	if (!parent) {
		row = &x->m->rows[0];
		if (!(row->flags & MO_ROOT) || strcmp(row->xml, lname) ||
		    !ns_eq(x->m->ns[row->ns].uri, nsu))
			return fail(x, MCX_EINVAL, "document element %s is not the one of this MO",
				    q, qlen);
		f->path[0] = '\0';
		f->node = SIZE_MAX;
	} else {
		if (parent->comment && !parent->children)
			parent->comment = false;	/* a comment between elements is form */
		parent->children = true;
		row = mo_row_by_xml(x->m, nsu, lname, false);
		if (!row || (row->flags & MO_ROOT)) {
			char what[300];
			snprintf(what, sizeof what, "{%s}%s", nsu ? nsu : "", lname);
			snprintf(x->errbuf, x->errlen,
				 "element %s has no row in the mapping table of the %s MO", what,
				 x->m->title);
			return MCX_EINVAL;
		}
		unsigned count;
		err = seen_bump(x, row, &count);
		if (err)
			return err;
		if (row->flags & MO_REPEAT) {
			char num[16];
			snprintf(num, sizeof num, "%u", count);
			if (count == 1) {
				err = path_join(x, f->path, parent->path, row->node, NULL);
				if (!err)
					err = mo_tree_add(x->t, f->path, false, NULL, 0);
				if (err)
					return err;
			}
			err = path_join(x, f->path, parent->path, row->node, num);
		} else {
			if (count > 1)
				return fail(x, MCX_EINVAL,
					    "element %s occurs twice but its row is not REPEAT", q,
					    qlen);
			err = path_join(x, f->path, parent->path, row->node, NULL);
		}
		if (err)
			return err;
		f->node = x->t->n;
		err = mo_tree_add(x->t, f->path, false, NULL, 0);
		if (err)
			return err;
	}
	f->row = row;

	/* attributes: leaves; the form gets %v for each value */
	size_t copied = x->i;
	for (size_t k = 0; k < na; k++) {
		const struct rattr *a = &at[k];
		if (is_xmlns(a))
			continue;
		const char *ap, *al;
		size_t apl, all;
		split_qname(a->name, a->nlen, &ap, &apl, &al, &all);
		const char *ansu = apl ? ns_lookup(x, ap, apl) : NULL;
		if (apl && !ansu)
			return fail(x, MCX_EINVAL, "unbound prefix on attribute %s", a->name,
				    a->nlen);
		char aname[128];
		if (all >= sizeof aname)
			return fail(x, MCX_ELIMIT, "attribute name too long: %s", a->name, a->nlen);
		memcpy(aname, al, all);
		aname[all] = '\0';
		const struct mo_row *ar = mo_row_by_xml(x->m, ansu, aname, true);
		if (!ar) {
			snprintf(x->errbuf, x->errlen,
				 "attribute %.*s of %.*s has no row in the mapping table of the %s MO",
				 (int)(a->nlen > 100 ? 100 : a->nlen), a->name,
				 (int)(qlen > 100 ? 100 : qlen), q, x->m->title);
			return MCX_EINVAL;
		}
		char ap_path[MO_PATH_MAX];
		err = path_join(x, ap_path, f->path, ar->node, NULL);
		if (!err)
			err = add_value(x, ap_path, a->val, a->vlen, true);
		if (!err)
			err = form_raw(x, x->s + copied, a->vstart - copied);
		if (!err && x->want_form)
			err = buf_add(&x->form, "%v", 2);
		if (err)
			return err;
		copied = a->vstart + a->vlen;
		f->attrs = true;
	}
	err = form_raw(x, x->s + copied, end - copied);
	if (err)
		return err;
	x->i = end;
	if (empty) {
		ns_pop(x, x->depth);	/* an empty element's declarations end with it */
		return MCX_OK;
	}
	f->form_mark = x->form.len;
	f->content = end;
	x->depth++;
	return MCX_OK;
}

static enum mcx_err end_tag(struct px *x)
{
	size_t close = find(x, x->i, ">");
	if (close == x->n || !x->depth)
		return fail(x, MCX_EINVAL, "unbalanced end tag", NULL, 0);
	struct frame *f = &x->fr[x->depth - 1];
	enum mcx_err err = MCX_OK;
	size_t clen = x->i - f->content;

	if (f->children) {
		if (f->nonws)
			return fail(x, MCX_EINVAL, "mixed content (text beside elements) in %s",
				    f->path, strlen(f->path));
	} else if (f->comment) {
		if (f->nonws)
			return fail(x, MCX_EINVAL, "a comment or PI inside the value of %s",
				    f->path, strlen(f->path));
	} else if (clen) {
		if (f->attrs || f->node == SIZE_MAX) {
			char tp[MO_PATH_MAX];
			err = path_join(x, tp, f->path, MO_NODE_TEXT, NULL);
			if (!err)
				err = add_value(x, tp, x->s + f->content, clen, false);
		} else {
			struct mcx_buf b;
			buf_init(&b, x->t->lim.doc_max);
			err = decode(x->s + f->content, clen, false, &b);
			if (err == MCX_EINVAL)
				err = fail(x, err, "unknown entity reference in %s", f->path,
					   strlen(f->path));
			if (!err) {
				struct mo_node *nd = &x->t->v[f->node];
				nd->value = b.p ? b.p : mcx_strdup("");
				nd->len = b.len;
				nd->leaf = true;
				if (!nd->value)
					err = MCX_ENOMEM;
			} else {
				buf_reset(&b);
			}
		}
		if (!err && x->want_form) {
			x->form.len = f->form_mark;
			err = buf_add(&x->form, "%v", 2);
		}
	}
	if (err)
		return err;
	err = form_raw(x, x->s + x->i, close + 1 - x->i);
	x->i = close + 1;
	x->depth--;
	while (x->nseen && x->seen[x->nseen - 1].depth > x->depth)
		x->nseen--;
	ns_pop(x, x->depth);
	return err;
}

static enum mcx_err parse(struct px *x)
{
	enum mcx_err err = MCX_OK;
	bool root_seen = false;
	/* a UTF-8 byte order mark (libxml2 takes it) is presentation */
	if (x->n >= 3 && !memcmp(x->s, "\xEF\xBB\xBF", 3)) {
		err = form_raw(x, x->s, 3);
		x->i = 3;
	}
	while (!err && x->i < x->n) {
		const char *p = x->s + x->i;
		size_t left = x->n - x->i;
		struct frame *f = x->depth ? &x->fr[x->depth - 1] : NULL;
		if (*p != '<') {
			size_t e = find(x, x->i, "<");
			bool ws = dm_xml_blank(p, e - x->i);
			if (!f && !ws)
				return fail(x, MCX_EINVAL, "text outside the document element", NULL, 0);
			if (f && !ws)
				f->nonws = true;
			err = form_raw(x, p, e - x->i);
			x->i = e;
		} else if (left >= 4 && !memcmp(p, "<!--", 4)) {
			size_t e = find(x, x->i + 4, "-->");
			if (f)
				f->comment = true;
			err = form_raw(x, p, e + 3 - x->i);
			x->i = e + 3;
		} else if (left >= 9 && !memcmp(p, "<![CDATA[", 9)) {
			size_t e = find(x, x->i + 9, "]]>");
			if (f)
				f->nonws = true;
			err = form_raw(x, p, e + 3 - x->i);
			x->i = e + 3;
		} else if (left >= 2 && p[1] == '!') {
			return fail(x, MCX_EINVAL, "DOCTYPE not allowed", NULL, 0);
		} else if (left >= 2 && p[1] == '?') {
			size_t e = find(x, x->i + 2, "?>");
			if (f)
				f->comment = true;
			err = form_raw(x, p, e + 2 - x->i);
			x->i = e + 2;
		} else if (left >= 2 && p[1] == '/') {
			err = end_tag(x);
		} else {
			if (!f && root_seen)
				return fail(x, MCX_EINVAL, "a second document element", NULL, 0);
			root_seen = true;
			err = start_tag(x);
		}
		if (x->i > x->n)
			return fail(x, MCX_EINVAL, "truncated document", NULL, 0);
	}
	if (!err && (x->depth || !root_seen))
		err = fail(x, MCX_EINVAL, "truncated document", NULL, 0);
	return err;
}

enum mcx_err mo_from_xml(enum mo_kind k, const char *xml, size_t len, unsigned flags,
			 const struct mo_limits *lim, struct mo_tree **tp, char *errbuf,
			 size_t errlen)
{
	const struct mo_map *m = mo_map_get(k);
	if (!m)
		return MCX_EINVAL;
	const struct mo_limits *l = lim ? lim : &mo_lim_default;
	if (len > l->doc_max) {
		snprintf(errbuf, errlen, "document of %zu bytes is over the limit %zu", len,
			 l->doc_max);
		return MCX_ELIMIT;
	}
	struct dm_xml_doc d;
	enum mcx_err err = dm_xml_read(xml, len, false, l->depth_max + 1, &d);
	if (err) {
		snprintf(errbuf, errlen, "not well-formed XML: %s", d.why);
		return err;
	}
	dm_xml_close(&d);

	struct px x = {.m = m, .s = xml, .n = len, .want_form = !(flags & MO_NO_FORM),
		       .errbuf = errbuf, .errlen = errlen};
	buf_init(&x.form, l->doc_max * 2 + 16);
	err = mo_tree_alloc(&x.t, k, l);
	if (err)
		return err;
	x.fr = mcx_calloc(l->depth_max + 1, sizeof *x.fr);
	x.seen = mcx_calloc(l->nodes_max + 1, sizeof *x.seen);
	if (!x.fr || !x.seen)
		err = MCX_ENOMEM;
	if (!err)
		err = parse(&x);
	if (!err && x.want_form)
		err = mo_tree_add(x.t, MO_NODE_FORM, true, x.form.p ? x.form.p : "", x.form.len);
	if (err == MCX_ELIMIT && !errbuf[0])
		snprintf(errbuf, errlen, "a bound of the MO mapping was exceeded");
	while (x.nns)
		mcx_free(x.ns[--x.nns].uri);
	mcx_free(x.fr);
	mcx_free(x.seen);
	buf_reset(&x.form);
	if (err) {
		mo_tree_free(x.t);
		return err;
	}
	*tp = x.t;
	return MCX_OK;
}

/* ---------------------------------------------------------------- writer */

/* Escape a value: in text & < and the > of "]]>", CR as a reference; in
 * an attribute quoted with q, & < q and TAB LF CR as references. Nothing
 * else is touched, so values read from a document come back as they were
 * written when it used the usual escapes. */
static enum mcx_err escape(struct mcx_buf *b, const char *s, size_t n, char q)
{
	enum mcx_err err = MCX_OK;
	size_t from = 0;
	for (size_t i = 0; i < n && !err; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': if (!q && i >= 2 && s[i - 1] == ']' && s[i - 2] == ']') rep = "&gt;"; break;
		case '"': if (q == '"') rep = "&quot;"; break;
		case '\'': if (q == '\'') rep = "&apos;"; break;
		case '\r': rep = "&#13;"; break;
		case '\n': if (q) rep = "&#10;"; break;
		case '\t': if (q) rep = "&#9;"; break;
		default: break;
		}
		if (!rep)
			continue;
		err = buf_add(b, s + from, i - from);
		if (!err)
			err = buf_adds(b, rep);
		from = i + 1;
	}
	return err ? err : buf_add(b, s + from, n - from);
}

static bool value_node(const struct mo_node *nd)
{
	return nd->leaf && !is_form(nd);
}

/* Fill the form's %v with the values in order; false when the counts do
 * not match (the caller then writes the canonical form). */
static enum mcx_err fill_form(const struct mo_tree *t, const struct mo_node *form,
			      struct mcx_buf *out, bool *ok)
{
	size_t vi = 0;
	enum mcx_err err = MCX_OK;
	*ok = false;
	for (size_t i = 0; i < form->len && !err; i++) {
		char c = form->value[i];
		if (c != '%') {
			err = buf_add(out, &c, 1);
			continue;
		}
		if (++i >= form->len)
			return MCX_OK;
		if (form->value[i] == '%') {
			err = buf_add(out, "%", 1);
			continue;
		}
		if (form->value[i] != 'v')
			return MCX_OK;
		while (vi < t->n && !value_node(&t->v[vi]))
			vi++;
		if (vi == t->n)
			return MCX_OK;
		char q = 0;
		if (i >= 2 && (form->value[i - 2] == '"' || form->value[i - 2] == '\''))
			q = form->value[i - 2];
		/* the quote before %v is an attribute's only when an '=' precedes it */
		if (q) {
			size_t j = i - 2;
			while (j > 0 && xml_ws(form->value[j - 1]))
				j--;
			if (!(j > 0 && form->value[j - 1] == '='))
				q = 0;
		}
		const struct mo_node *v = &t->v[vi++];
		err = escape(out, v->value, v->len, q);
	}
	while (!err && vi < t->n && !value_node(&t->v[vi]))
		vi++;
	if (!err)
		*ok = vi == t->n;
	return err;
}

/* The canonical writer works on a tree built from the paths. */
struct wnode {
	const char *name;	/* last path segment */
	size_t nlen;
	const struct mo_node *nd;	/* NULL for an implied interior node */
	long first, last, next;
};

struct wr {
	const struct mo_map *m;
	const struct mo_tree *t;
	struct wnode *w;
	size_t n;
	struct mcx_buf *out;
	bool used[256];
	char *errbuf;
	size_t errlen;
};

static long wchild(const struct wr *r, long parent, const char *name, size_t nlen)
{
	for (long c = r->w[parent].first; c >= 0; c = r->w[c].next)
		if (r->w[c].nlen == nlen && !memcmp(r->w[c].name, name, nlen))
			return c;
	return -1;
}

static long wadd(struct wr *r, long parent, const char *name, size_t nlen)
{
	long i = (long)r->n++;
	r->w[i] = (struct wnode){name, nlen, NULL, -1, -1, -1};
	if (r->w[parent].last >= 0)
		r->w[r->w[parent].last].next = i;
	else
		r->w[parent].first = i;
	r->w[parent].last = i;
	return i;
}

static enum mcx_err build(struct wr *r)
{
	r->w = mcx_calloc(r->t->n * 2 + 1, sizeof *r->w);
	if (!r->w)
		return MCX_ENOMEM;
	r->w[0] = (struct wnode){"", 0, NULL, -1, -1, -1};
	r->n = 1;
	for (size_t i = 0; i < r->t->n; i++) {
		const struct mo_node *nd = &r->t->v[i];
		if (is_form(nd))
			continue;
		long cur = 0;
		const char *p = nd->path;
		size_t segs = 0;
		while (*p) {
			const char *e = strchr(p, '/');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			long c = wchild(r, cur, p, l);
			if (c < 0) {
				if (r->n >= r->t->n * 2 + 1)
					return MCX_ELIMIT;
				c = wadd(r, cur, p, l);
			}
			cur = c;
			segs++;
			p += l + (e ? 1 : 0);
			if (!e)
				break;
		}
		if (!segs) {
			snprintf(r->errbuf, r->errlen, "a node with an empty path");
			return MCX_EINVAL;
		}
		r->w[cur].nd = nd;
	}
	return MCX_OK;
}

static enum mcx_err qname(struct wr *r, const struct mo_row *row)
{
	const char *p = r->m->ns[row->ns].prefix;
	if (*p) {
		enum mcx_err err = buf_adds(r->out, p);
		return err ? err : buf_add(r->out, ":", 1);
	}
	return MCX_OK;
}

static enum mcx_err indent(struct wr *r, size_t depth)
{
	enum mcx_err err = buf_add(r->out, "\n", 1);
	for (size_t i = 0; i < depth && !err; i++)
		err = buf_add(r->out, "  ", 2);
	return err;
}

static const struct mo_row *wrow(struct wr *r, const struct wnode *c)
{
	char name[256];
	if (c->nlen >= sizeof name)
		return NULL;
	memcpy(name, c->name, c->nlen);
	name[c->nlen] = '\0';
	return mo_row_by_node(r->m, name);
}

static bool is_text(const struct wnode *c)
{
	return c->nlen == strlen(MO_NODE_TEXT) && !memcmp(c->name, MO_NODE_TEXT, c->nlen);
}

static enum mcx_err bad_node(struct wr *r, const struct wnode *c, const char *why)
{
	snprintf(r->errbuf, r->errlen, "node %.*s: %s (%s MO)", (int)(c->nlen > 100 ? 100 : c->nlen),
		 c->name, why, r->m->title);
	return MCX_EINVAL;
}

static enum mcx_err mark_used(struct wr *r, long e)
{
	for (long c = r->w[e].first; c >= 0; c = r->w[c].next) {
		if (is_text(&r->w[c]))
			continue;
		const struct mo_row *row = wrow(r, &r->w[c]);
		if (!row)
			return bad_node(r, &r->w[c], "no row in the mapping table");
		r->used[row->ns] = true;
		if (row->flags & MO_REPEAT) {
			for (long g = r->w[c].first; g >= 0; g = r->w[g].next) {
				enum mcx_err err = mark_used(r, g);
				if (err)
					return err;
			}
		} else if (!(row->flags & MO_ATTR)) {
			enum mcx_err err = mark_used(r, c);
			if (err)
				return err;
		}
	}
	return MCX_OK;
}

static enum mcx_err welem(struct wr *r, long e, const struct mo_row *row, size_t depth)
{
	const struct wnode *en = &r->w[e];
	enum mcx_err err = buf_add(r->out, "<", 1);
	if (!err)
		err = qname(r, row);
	if (!err)
		err = buf_adds(r->out, row->xml);
	if (!err && (row->flags & MO_ROOT)) {
		for (size_t i = 2; i < r->m->nns && !err; i++) {
			if (i > 2 && !r->used[i])
				continue;
			err = buf_addf(r->out, " xmlns%s%s=\"", *r->m->ns[i].prefix ? ":" : "",
				       r->m->ns[i].prefix);
			if (!err)
				err = escape(r->out, r->m->ns[i].uri, strlen(r->m->ns[i].uri), '"');
			if (!err)
				err = buf_add(r->out, "\"", 1);
		}
	}
	if (en->nd && en->nd->leaf && en->first < 0) {
		if (!err)
			err = buf_add(r->out, ">", 1);
		if (!err)
			err = escape(r->out, en->nd->value, en->nd->len, 0);
		goto close;
	}
	if (en->nd && en->nd->leaf)
		return bad_node(r, en, "a leaf with children");
	long text = -1;
	bool kids = false;
	for (long c = en->first; c >= 0 && !err; c = r->w[c].next) {
		const struct wnode *cn = &r->w[c];
		if (is_text(cn)) {
			if (!cn->nd || !cn->nd->leaf)
				return bad_node(r, cn, "Text must be a leaf");
			text = c;
			continue;
		}
		const struct mo_row *cr = wrow(r, cn);
		if (!cr)
			return bad_node(r, cn, "no row in the mapping table");
		if (!(cr->flags & MO_ATTR)) {
			kids = true;
			continue;
		}
		if (!cn->nd || !cn->nd->leaf)
			return bad_node(r, cn, "an attribute must be a leaf");
		err = buf_add(r->out, " ", 1);
		if (!err)
			err = qname(r, cr);
		if (!err)
			err = buf_addf(r->out, "%s=\"", cr->xml);
		if (!err)
			err = escape(r->out, cn->nd->value, cn->nd->len, '"');
		if (!err)
			err = buf_add(r->out, "\"", 1);
	}
	if (err)
		return err;
	if (kids && text >= 0)
		return bad_node(r, en, "both Text and element children");
	if (!kids && text < 0)
		return buf_add(r->out, "/>", 2);
	err = buf_add(r->out, ">", 1);
	if (!err && text >= 0)
		err = escape(r->out, r->w[text].nd->value, r->w[text].nd->len, 0);
	for (long c = en->first; c >= 0 && !err && kids; c = r->w[c].next) {
		const struct wnode *cn = &r->w[c];
		if (is_text(cn))
			continue;
		const struct mo_row *cr = wrow(r, cn);
		if (cr->flags & MO_ATTR)
			continue;
		if (cr->flags & MO_REPEAT) {
			if (cn->nd && cn->nd->leaf)
				return bad_node(r, cn, "a repeated element's node must be interior");
			for (long g = cn->first; g >= 0 && !err; g = r->w[g].next) {
				err = indent(r, depth + 1);
				if (!err)
					err = welem(r, g, cr, depth + 1);
			}
		} else {
			err = indent(r, depth + 1);
			if (!err)
				err = welem(r, c, cr, depth + 1);
		}
	}
	if (!err && kids)
		err = indent(r, depth);
close:
	if (!err)
		err = buf_add(r->out, "</", 2);
	if (!err)
		err = qname(r, row);
	if (!err)
		err = buf_adds(r->out, row->xml);
	if (!err)
		err = buf_add(r->out, ">", 1);
	return err;
}

static enum mcx_err canonical(const struct mo_tree *t, struct mcx_buf *out, char *errbuf,
			      size_t errlen)
{
	struct wr r = {.m = mo_map_get(t->kind), .t = t, .out = out, .errbuf = errbuf,
		       .errlen = errlen};
	enum mcx_err err = build(&r);
	if (!err)
		err = mark_used(&r, 0);
	if (!err)
		err = buf_adds(out, XML_DECL);
	if (!err)
		err = welem(&r, 0, &r.m->rows[0], 0);
	if (!err)
		err = buf_add(out, "\n", 1);
	mcx_free(r.w);
	return err;
}

enum mcx_err mo_to_xml(const struct mo_tree *t, unsigned flags, struct mcx_buf *out,
		       bool *used_form, char *errbuf, size_t errlen)
{
	const struct mo_node *form = (flags & MO_NO_FORM) ? NULL : mo_tree_find(t, MO_NODE_FORM);
	size_t start = out->len;
	enum mcx_err err;
	if (used_form)
		*used_form = false;
	if (form && form->leaf) {
		bool ok;
		err = fill_form(t, form, out, &ok);
		if (err)
			return err;
		if (ok) {
			/* the filled form must read back as exactly these nodes */
			struct mo_tree *back = NULL;
			char why[200];
			err = mo_from_xml(t->kind, out->p + start, out->len - start, MO_NO_FORM,
					  &t->lim, &back, why, sizeof why);
			if (err == MCX_ENOMEM) {
				return err;
			}
			ok = !err && mo_tree_equal(t, back, false, why, sizeof why);
			mo_tree_free(back);
			if (ok) {
				if (used_form)
					*used_form = true;
				return MCX_OK;
			}
		}
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
	}
	return canonical(t, out, errbuf, errlen);
}
