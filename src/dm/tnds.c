/* TNDS MgmtTree reader (namespace-agnostic, bounded nodes and depth, DDF
 * DFProperties understood) and canonical writer; lookups by path. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/xmlutil.h"
#include "core/banned.h"

enum mcx_err dm_tnds_alloc(struct dm_tnds **tp, const struct dm_limits *lim)
{
	struct dm_tnds *t = mcx_calloc(1, sizeof(*t));

	if (!t)
		return MCX_ENOMEM;
	pool_init(&t->pool, dm_limits_or_default(lim)->pool_max);
	*tp = t;
	return MCX_OK;
}

void dm_tnds_free(struct dm_tnds *t)
{
	if (!t)
		return;
	pool_free(&t->pool);
	mcx_free(t);
}

enum mcx_err dm_tnds_set(struct dm_tnds *t, char **field, const char *s)
{
	return pool_set(&t->pool, field, s);
}

enum mcx_err dm_tnode_set_value(struct dm_tnds *t, struct dm_tnode *n, const char *p, size_t len)
{
	char *c = pool_strndup(&t->pool, p ? p : "", p ? len : 0);

	if (!c)
		return pool_err(&t->pool);
	n->value = c;
	n->value_len = p ? len : 0;
	return MCX_OK;
}

enum mcx_err dm_tnode_add(struct dm_tnds *t, struct dm_tnode *parent, const char *name,
			  struct dm_tnode **nodep)
{
	struct dm_tnode *n = pool_zalloc(&t->pool, sizeof(*n)), **pp;
	enum mcx_err err;

	if (!n)
		return pool_err(&t->pool);
	err = dm_tnds_set(t, &n->name, name ? name : "");
	if (err)
		return err;
	n->parent = parent;
	for (pp = parent ? &parent->children : &t->nodes; *pp; pp = &(*pp)->next)
		;
	*pp = n;
	t->count++;
	*nodep = n;
	return MCX_OK;
}

/* --- reader --- */

struct tctx {
	struct dm_tnds *t;
	const struct dm_limits *lim;
	char *errbuf;
	size_t errlen;
};

static enum mcx_err tfail(struct tctx *c, enum mcx_err err, const char *fmt, ...) MCX_PRINTF(3, 4);

static enum mcx_err tfail(struct tctx *c, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	if (c->errbuf && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->errbuf, c->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool is(const xmlNode *n, const char *name)
{
	return !strcmp((const char *)n->name, name);
}

static enum mcx_err text(struct tctx *c, const xmlNode *n, char **out, bool trim)
{
	struct dm_xml_text x;
	enum mcx_err err = dm_xml_text_get(n, c->lim->str_max, &x);
	size_t b = 0, e;

	if (err)
		return tfail(c, err, "<%s> %s", (const char *)n->name,
			     err == MCX_ELIMIT ? "is too long" : x.why);
	e = x.len;
	while (trim && b < e && dm_xml_blank(x.p + b, 1))
		b++;
	while (trim && e > b && dm_xml_blank(x.p + e - 1, 1))
		e--;
	*out = pool_strndup(&c->t->pool, x.p + b, e - b);
	dm_xml_text_free(&x);
	return *out ? MCX_OK : tfail(c, pool_err(&c->t->pool), "out of memory");
}

/* <Format><chr/></Format>: the name of the one empty child. */
static enum mcx_err format(struct tctx *c, const xmlNode *n, char **out)
{
	const xmlNode *f = dm_xml_first(n);

	if (!f || dm_xml_next(f))
		return tfail(c, MCX_EINVAL, "<%s> must hold one format element", (const char *)n->name);
	*out = pool_strdup(&c->t->pool, (const char *)f->name);
	return *out ? MCX_OK : tfail(c, pool_err(&c->t->pool), "out of memory");
}

static enum mcx_err type(struct tctx *c, struct dm_tnode *nd, const xmlNode *n)
{
	const xmlNode *k = dm_xml_first(n);

	if (!k)
		return MCX_OK;	/* <Type/>: no type */
	if (dm_xml_next(k) || (!is(k, "MIME") && !is(k, "DDFName")))
		return tfail(c, MCX_EINVAL, "<Type> must hold <MIME> or <DDFName>");
	nd->type_ddf = is(k, "DDFName");
	return text(c, k, &nd->type, true);
}

static enum mcx_err rt_prop(struct tctx *c, struct dm_tnode *nd, const xmlNode *p)
{
	if (is(p, "ACL"))
		return text(c, p, &nd->acl, true);
	if (is(p, "Format") || is(p, "DFFormat"))
		return format(c, p, &nd->format);
	if (is(p, "Name"))
		return MCX_OK;	/* the Name property repeats NodeName */
	if (is(p, "Size"))
		return text(c, p, &nd->size, true);
	if (is(p, "Title") || is(p, "DFTitle"))
		return text(c, p, &nd->title, false);
	if (is(p, "TStamp"))
		return text(c, p, &nd->tstamp, true);
	if (is(p, "Type") || is(p, "DFType"))
		return type(c, nd, p);
	if (is(p, "VerNo"))
		return text(c, p, &nd->verno, true);
	return MCX_OK;	/* DDF-only facets: CaseSense, Occurrence, Scope, ... */
}

static void access_types(struct dm_tnode *nd, const xmlNode *n)
{
	static const struct { const char *name; unsigned bit; } acc[] = {
		{ "Add", DM_ACC_ADD }, { "Copy", DM_ACC_COPY }, { "Delete", DM_ACC_DELETE },
		{ "Exec", DM_ACC_EXEC }, { "Get", DM_ACC_GET }, { "Replace", DM_ACC_REPLACE },
	};
	const xmlNode *k;
	size_t i;

	for (k = dm_xml_first(n); k; k = dm_xml_next(k))
		for (i = 0; i < sizeof(acc) / sizeof(acc[0]); i++)
			if (is(k, acc[i].name))
				nd->access |= acc[i].bit;
}

static enum mcx_err props(struct tctx *c, struct dm_tnode *nd, const xmlNode *n)
{
	const xmlNode *p;
	enum mcx_err err = MCX_OK;

	for (p = dm_xml_first(n); p && !err; p = dm_xml_next(p)) {
		if (is(p, "AccessType"))
			access_types(nd, p);
		else
			err = rt_prop(c, nd, p);
	}
	return err;
}

static enum mcx_err value(struct tctx *c, struct dm_tnode *nd, const xmlNode *n)
{
	struct dm_xml_text x;
	enum mcx_err err = dm_xml_text_get(n, c->lim->data_max, &x);

	if (err)
		return tfail(c, err, "<Value> %s", err == MCX_ELIMIT ? "is too long" : x.why);
	err = dm_tnode_set_value(c->t, nd, x.p, x.len);
	dm_xml_text_free(&x);
	return err ? tfail(c, err, "out of memory") : MCX_OK;
}

static enum mcx_err node(struct tctx *c, struct dm_tnode *parent, const xmlNode *n, size_t depth);

static enum mcx_err node_child(struct tctx *c, struct dm_tnode *nd, const xmlNode *k,
			       size_t depth)
{
	if (is(k, "NodeName"))
		return text(c, k, &nd->name, true);
	if (is(k, "Path"))
		return text(c, k, &nd->path, true);
	if (is(k, "RTProperties") || is(k, "DFProperties"))
		return props(c, nd, k);
	if (is(k, "Value"))
		return value(c, nd, k);
	if (is(k, "Node"))
		return node(c, nd, k, depth + 1);
	return tfail(c, MCX_EINVAL, "unexpected <%s> in <Node>", (const char *)k->name);
}

static enum mcx_err node(struct tctx *c, struct dm_tnode *parent, const xmlNode *n, size_t depth)
{
	struct dm_tnode *nd = NULL;
	const xmlNode *k;
	enum mcx_err err = MCX_OK;

	if (depth > c->lim->tnds_depth_max)
		return tfail(c, MCX_ELIMIT, "nodes nested deeper than %zu", c->lim->tnds_depth_max);
	if (c->t->count >= c->lim->tnds_nodes_max)
		return tfail(c, MCX_ELIMIT, "more than %zu nodes", c->lim->tnds_nodes_max);
	if (dm_tnode_add(c->t, parent, "", &nd))
		return tfail(c, pool_err(&c->t->pool), "out of memory");
	for (k = dm_xml_first(n); k && !err; k = dm_xml_next(k))
		err = node_child(c, nd, k, depth);
	if (!err && !dm_xml_child(n, "NodeName"))
		err = tfail(c, MCX_EINVAL, "<Node> without <NodeName>");
	if (!err && nd->value && nd->children)
		err = tfail(c, MCX_EINVAL, "node %s has both a value and children", nd->name);
	return err;
}

static enum mcx_err tree(struct tctx *c, const xmlNode *root)
{
	const xmlNode *k;
	enum mcx_err err = MCX_OK;

	if (!root || !is(root, "MgmtTree"))
		return tfail(c, MCX_EINVAL, "the root element is not <MgmtTree>");
	for (k = dm_xml_first(root); k && !err; k = dm_xml_next(k)) {
		if (is(k, "VerDTD"))
			err = text(c, k, &c->t->ver_dtd, true);
		else if (is(k, "Man"))
			err = text(c, k, &c->t->man, true);
		else if (is(k, "Mod"))
			err = text(c, k, &c->t->mod, true);
		else if (is(k, "Node"))
			err = node(c, NULL, k, 1);
		else
			err = tfail(c, MCX_EINVAL, "unexpected <%s> in <MgmtTree>", (const char *)k->name);
	}
	return err;
}

enum mcx_err dm_tnds_parse(const char *xml, size_t len, const struct dm_limits *lim,
			   struct dm_tnds **tp, char *errbuf, size_t errlen)
{
	struct tctx c = { .lim = dm_limits_or_default(lim), .errbuf = errbuf, .errlen = errlen };
	struct dm_xml_doc d;
	enum mcx_err err;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (len > c.lim->msg_max)
		return tfail(&c, MCX_ELIMIT, "TNDS document over the %zu-byte limit", c.lim->msg_max);
	err = dm_xml_read(xml, len, false, c.lim->depth_max * 4, &d);
	if (err)
		return tfail(&c, err, "%s", d.why);
	err = dm_tnds_alloc(&c.t, lim);
	if (!err)
		err = tree(&c, xmlDocGetRootElement(d.doc));
	dm_xml_close(&d);
	if (err) {
		dm_tnds_free(c.t);
		return err;
	}
	*tp = c.t;
	return MCX_OK;
}

/* --- writer --- */

static enum mcx_err el(struct mcx_buf *b, const char *name, const char *s)
{
	enum mcx_err err;

	if (!s)
		return MCX_OK;
	err = buf_addf(b, "<%s>", name);
	if (!err)
		err = dm_xml_escape(b, s, strlen(s), false);
	if (!err)
		err = buf_addf(b, "</%s>", name);
	return err;
}

static bool has_props(const struct dm_tnode *n)
{
	return n->acl || n->format || n->size || n->title || n->tstamp || n->type || n->verno;
}

static enum mcx_err emit_props(struct mcx_buf *b, const struct dm_tnode *n)
{
	enum mcx_err err;

	if (!has_props(n))
		return MCX_OK;
	err = buf_adds(b, "<RTProperties>");
	if (!err)
		err = el(b, "ACL", n->acl);
	if (!err && n->format)
		err = buf_addf(b, "<Format><%s/></Format>", n->format);
	if (!err)
		err = el(b, "Size", n->size);
	if (!err)
		err = el(b, "Title", n->title);
	if (!err)
		err = el(b, "TStamp", n->tstamp);
	if (!err && n->type) {
		err = buf_adds(b, "<Type>");
		if (!err)
			err = el(b, n->type_ddf ? "DDFName" : "MIME", n->type);
		if (!err)
			err = buf_adds(b, "</Type>");
	}
	if (!err)
		err = el(b, "VerNo", n->verno);
	if (!err)
		err = buf_adds(b, "</RTProperties>");
	return err;
}

static enum mcx_err emit_node(struct mcx_buf *b, const struct dm_tnode *n)
{
	const struct dm_tnode *ch;
	enum mcx_err err = buf_adds(b, "<Node>");

	if (!err)
		err = el(b, "NodeName", n->name ? n->name : "");
	if (!err)
		err = el(b, "Path", n->path);
	if (!err)
		err = emit_props(b, n);
	for (ch = n->children; ch && !err; ch = ch->next)
		err = emit_node(b, ch);
	if (!err && n->value) {	/* binary values travel as b64: NUL etc. are refused */
		err = buf_adds(b, "<Value>");
		if (!err)
			err = dm_xml_escape(b, n->value, n->value_len, false);
		if (!err)
			err = buf_adds(b, "</Value>");
	}
	if (!err)
		err = buf_adds(b, "</Node>");
	return err;
}

enum mcx_err dm_tnds_emit(const struct dm_tnds *t, struct mcx_buf *b)
{
	const struct dm_tnode *n;
	enum mcx_err err = buf_adds(b, "<MgmtTree xmlns=\"" DM_NS_DMDDF "\">");

	if (!err)
		err = el(b, "VerDTD", t->ver_dtd ? t->ver_dtd : "1.2");
	if (!err)
		err = el(b, "Man", t->man);
	if (!err)
		err = el(b, "Mod", t->mod);
	for (n = t->nodes; n && !err; n = n->next)
		err = emit_node(b, n);
	if (!err)
		err = buf_adds(b, "</MgmtTree>");
	return err;
}

/* --- lookups --- */

/* Next segment of path at *p (skipping "./" and "/"); false at the end. */
static bool segment(const char **p, const char **seg, size_t *len)
{
	const char *s = *p, *e;

	while (*s == '/' || (s[0] == '.' && (s[1] == '/' || !s[1])))
		s++;
	if (!*s)
		return false;
	e = strchr(s, '/');
	*seg = s;
	*len = e ? (size_t)(e - s) : strlen(s);
	*p = s + *len;
	return true;
}

static const struct dm_tnode *child_named(const struct dm_tnode *n, const char *s, size_t len)
{
	for (; n; n = n->next)
		if (strlen(n->name) == len && !memcmp(n->name, s, len))
			return n;
	return NULL;
}

/* Walk path from a list of siblings. */
static const struct dm_tnode *walk(const struct dm_tnode *list, const char *path)
{
	const struct dm_tnode *n = NULL;
	const char *seg;
	size_t len;

	while (segment(&path, &seg, &len)) {
		n = child_named(list, seg, len);
		if (!n)
			return NULL;
		list = n->children;
	}
	return n;
}

/* Does path start with the top-level node's Path? Then the rest follows. */
static const char *after_prefix(const char *path, const char *prefix)
{
	const char *s, *q;
	size_t sl, ql;

	for (;;) {
		bool more_p = segment(&prefix, &q, &ql);

		if (!more_p)
			return path;
		if (!segment(&path, &s, &sl) || sl != ql || memcmp(s, q, sl))
			return NULL;
	}
}

/* Does path (after the node's Path) lead to or through top-level node n? */
static const struct dm_tnode *from_top(const struct dm_tnode *n, const char *path)
{
	const char *rest = after_prefix(path, n->path ? n->path : ""), *seg;
	size_t len;

	if (!rest)
		return NULL;
	if (!strcmp(n->name, ".")) {	/* the root itself (a DDF's first node) */
		const char *probe = rest;

		return segment(&probe, &seg, &len) ? walk(n->children, rest) : n;
	}
	if (!segment(&rest, &seg, &len) || strlen(n->name) != len || memcmp(n->name, seg, len))
		return NULL;
	{
		const char *probe = rest;

		return segment(&probe, &seg, &len) ? walk(n->children, rest) : n;
	}
}

struct dm_tnode *dm_tnds_find(const struct dm_tnds *t, const char *path)
{
	const struct dm_tnode *n, *hit;

	for (n = t->nodes; n; n = n->next) {
		hit = from_top(n, path);
		if (hit)
			return (struct dm_tnode *)hit;
	}
	return NULL;
}

static bool uri_up(const struct dm_tnode *n, struct mcx_buf *b)
{
	if (n->parent) {
		if (!uri_up(n->parent, b))
			return false;
	} else if (n->path && strcmp(n->path, ".") && *n->path) {
		if (buf_adds(b, n->path))
			return false;
	} else if (buf_adds(b, ".")) {
		return false;
	}
	if (!strcmp(n->name, ".") && !n->parent)
		return true;
	return buf_adds(b, "/") == MCX_OK && buf_adds(b, n->name) == MCX_OK;
}

bool dm_tnode_uri(const struct dm_tnode *n, char *out, size_t outlen)
{
	struct mcx_buf b;
	bool ok;

	buf_init(&b, outlen ? outlen - 1 : 0);
	ok = outlen && uri_up(n, &b);
	if (ok)
		memcpy(out, b.p, b.len + 1);
	buf_reset(&b);
	return ok;
}

/* --- comparison --- */

static bool s_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool node_eq(const struct dm_tnode *a, const struct dm_tnode *b, char *why, size_t wl)
{
	const struct dm_tnode *x, *y;

	if (!s_eq(a->name, b->name) || !s_eq(a->path, b->path) || !s_eq(a->acl, b->acl) ||
	    !s_eq(a->format, b->format) || !s_eq(a->title, b->title) ||
	    !s_eq(a->tstamp, b->tstamp) || !s_eq(a->type, b->type) ||
	    a->type_ddf != b->type_ddf || !s_eq(a->verno, b->verno) || !s_eq(a->size, b->size) ||
	    (!a->value) != (!b->value) || a->value_len != b->value_len ||
	    (a->value && memcmp(a->value, b->value, a->value_len))) {
		if (why && wl)
			snprintf(why, wl, "node %s differs", a->name);
		return false;
	}
	for (x = a->children, y = b->children; x && y; x = x->next, y = y->next)
		if (!node_eq(x, y, why, wl))
			return false;
	if (x || y) {
		if (why && wl)
			snprintf(why, wl, "node %s: children differ", a->name);
		return false;
	}
	return true;
}

bool dm_tnds_equal(const struct dm_tnds *a, const struct dm_tnds *b, char *why, size_t wl)
{
	const struct dm_tnode *x, *y;

	if (why && wl)
		why[0] = '\0';
	if (!s_eq(a->man, b->man) || !s_eq(a->mod, b->mod)) {
		if (why && wl)
			snprintf(why, wl, "Man/Mod differ");
		return false;
	}
	for (x = a->nodes, y = b->nodes; x && y; x = x->next, y = y->next)
		if (!node_eq(x, y, why, wl))
			return false;
	if (x || y) {
		if (why && wl)
			snprintf(why, wl, "top-level node count differs");
		return false;
	}
	return true;
}
