/* Table-driven WBXML writer for SyncML DM and TNDS documents: inline
 * strings, opaque for CDATA, code pages from namespaces, TNDS inside <Data>
 * as an embedded WBXML document. Input is XML read by the safe reader. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dm/wbxml.h"
#include "dm/wbxml_tab.h"
#include "dm/xmlutil.h"
#include "core/banned.h"

struct enc {
	struct mcx_buf *out;
	uint8_t version;
	uint8_t page;
	size_t depth;
	size_t depth_max;
	unsigned embed;
	char *errbuf;
	size_t errlen;
};

static enum mcx_err efail(struct enc *e, enum mcx_err err, const char *fmt, ...) MCX_PRINTF(3, 4);

static enum mcx_err efail(struct enc *e, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	if (e->errbuf && e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->errbuf, e->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static enum mcx_err put_u8(struct enc *e, uint8_t b)
{
	return buf_add(e->out, &b, 1);
}

static enum mcx_err put_mb(struct enc *e, uint32_t v)
{
	uint8_t tmp[5];
	int i = 4;

	tmp[i] = v & 0x7F;
	while (v >>= 7)
		tmp[--i] = (uint8_t)(0x80 | (v & 0x7F));
	return buf_add(e->out, tmp + i, (size_t)(5 - i));
}

static enum mcx_err put_str_i(struct enc *e, const char *s, size_t n)
{
	enum mcx_err err = put_u8(e, DM_WB_STR_I);

	if (!err)
		err = buf_add(e->out, s, n);
	if (!err)
		err = put_u8(e, 0);
	return err;
}

static enum mcx_err put_opaque(struct enc *e, const void *p, size_t n)
{
	enum mcx_err err;

	if (n > UINT32_MAX)
		return MCX_ELIMIT;
	err = put_u8(e, DM_WB_OPAQUE);
	if (!err)
		err = put_mb(e, (uint32_t)n);
	if (!err)
		err = buf_add(e->out, p, n);
	return err;
}

static enum mcx_err header(struct enc *e, bool dmddf, bool pubid_string)
{
	const char *fpi = dmddf ? DM_WB_FPI_DMDDF12 : DM_WB_FPI_SYNCML12;
	enum mcx_err err = put_u8(e, e->version);

	if (err)
		return err;
	if (dmddf || pubid_string) {
		err = put_mb(e, DM_WB_PUBID_LITERAL);
		if (!err)
			err = put_mb(e, 0); /* the FPI is at offset 0 of the string table */
	} else {
		err = put_mb(e, DM_WB_PUBID_SYNCML12);
	}
	if (!err)
		err = put_mb(e, DM_WB_CHARSET_UTF8);
	if (err)
		return err;
	if (!(dmddf || pubid_string))
		return put_mb(e, 0);
	err = put_mb(e, (uint32_t)strlen(fpi) + 1);
	if (!err)
		err = buf_add(e->out, fpi, strlen(fpi) + 1);
	return err;
}

/* --- the TNDS-in-Data rules, mirrored from what decoders (libwbxml2) do --- */

static const char *ns_of(const xmlNode *n)
{
	return n->ns ? (const char *)n->ns->href : NULL;
}

static bool named(const xmlNode *n, const char *name)
{
	return n && !strcmp((const char *)n->name, name);
}

static bool text_is(const xmlNode *n, const char *s)
{
	struct dm_xml_text t;
	bool eq = false;
	size_t len = strlen(s);

	if (dm_xml_text_get(n, 256, &t))
		return false;
	eq = t.len >= len && !memcmp(t.p, s, len) && dm_xml_blank(t.p + len, t.len - len);
	dm_xml_text_free(&t);
	return eq;
}

/* The Meta/Type a decoder consults for a Data: on its parent, else on its
 * grandparent. */
static const xmlNode *type_of_data(const xmlNode *data)
{
	const xmlNode *up = data->parent;
	int i;

	for (i = 0; i < 2 && up && up->type == XML_ELEMENT_NODE; i++, up = up->parent) {
		const xmlNode *meta = dm_xml_child(up, "Meta");
		const xmlNode *type = meta ? dm_xml_child(meta, "Type") : NULL;

		if (type)
			return type;
	}
	return NULL;
}

static bool is_tnds_type(const xmlNode *type)
{
	return type && (text_is(type, DM_MIME_TNDS_XML) || text_is(type, DM_MIME_TNDS_WBXML));
}

static bool has_elements(const xmlNode *n)
{
	return dm_xml_first(n) != NULL;
}

/* Does a Data governed by this Type hold elements (so TNDS goes embedded)? */
static bool type_embeds(const xmlNode *type)
{
	const xmlNode *owner, *c, *d;

	if (!is_tnds_type(type) || !named(type->parent, "Meta"))
		return false;
	owner = type->parent->parent;
	d = dm_xml_child(owner, "Data");
	if (d && has_elements(d) && type_of_data(d) == type)
		return true;
	for (c = dm_xml_first(owner); c; c = dm_xml_next(c)) {
		d = named(c, "Item") ? dm_xml_child(c, "Data") : NULL;
		if (d && has_elements(d) && type_of_data(d) == type)
			return true;
	}
	return false;
}

/* --- elements --- */

static enum mcx_err element(struct enc *e, const xmlNode *n, bool dmddf);

static enum mcx_err embedded_doc(struct enc *e, const xmlNode *tree)
{
	struct mcx_buf sub;
	struct enc se = *e;
	enum mcx_err err;

	if (e->embed >= DM_WBXML_EMBED_MAX)
		return efail(e, MCX_ELIMIT, "TNDS nested inside TNDS");
	if (!named(tree, "MgmtTree"))
		return efail(e, MCX_EINVAL, "TNDS data must be a <MgmtTree>, not <%s>",
			     (const char *)tree->name);
	buf_init(&sub, e->out->max);
	se.out = &sub;
	se.page = 0;
	se.embed++;
	err = header(&se, true, true);
	if (!err)
		err = element(&se, tree, true);
	if (!err)
		err = put_opaque(e, sub.p, sub.len);
	buf_reset(&sub);
	return err;
}

static enum mcx_err tnds_data(struct enc *e, const xmlNode *data)
{
	const xmlNode *c;
	enum mcx_err err = MCX_OK;

	for (c = data->children; c && !err; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			err = embedded_doc(e, c);
		else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
			 !dm_xml_blank((const char *)c->content, strlen((const char *)c->content)))
			err = efail(e, MCX_EINVAL, "TNDS data mixes text and elements");
	}
	return err;
}

static enum mcx_err child(struct enc *e, const xmlNode *c, bool dmddf)
{
	const char *s = (const char *)c->content;

	/* WBXML decoders (libwbxml2, ours) write Data back as CDATA sections */
	if (s && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
	    strstr(s, "]]>"))
		return efail(e, MCX_EINVAL, "text holding \"]]>\" cannot travel in WBXML");
	if (s && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
	    strchr(s, '\r'))
		return efail(e, MCX_EINVAL, "a carriage return cannot travel in WBXML "
			     "(decoders write Data as CDATA, where XML turns it into LF)");

	switch (c->type) {
	case XML_ELEMENT_NODE:
		return element(e, c, dmddf);
	case XML_TEXT_NODE:
		return s && *s ? put_str_i(e, s, strlen(s)) : MCX_OK;
	case XML_CDATA_SECTION_NODE:
		return put_opaque(e, s ? s : "", s ? strlen(s) : 0);
	case XML_ENTITY_REF_NODE:
		return efail(e, MCX_EINVAL, "entity references are not accepted");
	default:
		return MCX_OK;
	}
}

static enum mcx_err children(struct enc *e, const xmlNode *n, bool dmddf)
{
	const xmlNode *c;
	enum mcx_err err = MCX_OK;

	if (!dmddf && named(n, "Type") && type_embeds(n))
		return put_str_i(e, DM_MIME_TNDS_WBXML, strlen(DM_MIME_TNDS_WBXML));
	if (!dmddf && named(n, "Data") && has_elements(n) && is_tnds_type(type_of_data(n)))
		return tnds_data(e, n);
	for (c = n->children; c && !err; c = c->next)
		err = child(e, c, dmddf);
	return err;
}

static bool has_content(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE || c->type == XML_CDATA_SECTION_NODE)
			return true;
		if (c->type == XML_TEXT_NODE && c->content && c->content[0])
			return true;
	}
	return false;
}

/* The page and token of an element: its namespace's page first. */
static enum mcx_err token_of(struct enc *e, const xmlNode *n, bool dmddf, uint8_t *page,
			     uint8_t *tok)
{
	int pref = dm_wb_page_of_ns(ns_of(n));
	static const uint8_t order[] = { DM_WB_PAGE_SYNCML, DM_WB_PAGE_METINF, DM_WB_PAGE_DMDDF };
	size_t i;

	if (pref < 0)
		return efail(e, MCX_EINVAL, "namespace %s has no WBXML code page", ns_of(n));
	if (dmddf && !ns_of(n))
		pref = DM_WB_PAGE_DMDDF;
	if (dm_wb_tab_token((unsigned)pref, (const char *)n->name, tok)) {
		*page = (uint8_t)pref;
		return MCX_OK;
	}
	for (i = 0; i < sizeof(order); i++) {
		if (dmddf != (order[i] == DM_WB_PAGE_DMDDF))
			continue;
		if (dm_wb_tab_token(order[i], (const char *)n->name, tok)) {
			*page = order[i];
			return MCX_OK;
		}
	}
	return efail(e, MCX_EINVAL, "<%s> has no WBXML token", (const char *)n->name);
}

static enum mcx_err element(struct enc *e, const xmlNode *n, bool dmddf)
{
	uint8_t page = 0, tok = 0;
	bool content = has_content(n);
	enum mcx_err err;

	if (n->properties)
		return efail(e, MCX_EINVAL, "<%s> has attributes, which WBXML SyncML cannot carry",
			     (const char *)n->name);
	if (++e->depth > e->depth_max)
		return efail(e, MCX_ELIMIT, "elements nested deeper than %zu", e->depth_max);
	err = token_of(e, n, dmddf, &page, &tok);
	if (!err && page != e->page) {
		err = put_u8(e, DM_WB_SWITCH_PAGE);
		if (!err)
			err = put_u8(e, page);
		e->page = page;
	}
	if (!err)
		err = put_u8(e, (uint8_t)(tok | (content ? DM_WB_TAG_CONTENT : 0)));
	if (!err && content)
		err = children(e, n, dmddf);
	if (!err && content)
		err = put_u8(e, DM_WB_END);
	e->depth--;
	return err;
}

enum mcx_err dm_wbxml_encode(const char *xml, size_t len, const struct dm_wbxml_opts *o,
			     const struct dm_limits *lim, struct mcx_buf *out,
			     char *errbuf, size_t errlen)
{
	const struct dm_limits *l = dm_limits_or_default(lim);
	struct enc e = { .out = out, .depth_max = l->depth_max, .errbuf = errbuf,
			 .errlen = errlen };
	struct dm_xml_doc d;
	const xmlNode *root;
	bool dmddf;
	enum mcx_err err;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	e.version = o && o->version ? o->version : 0x02;
	if (e.version < 0x01 || e.version > 0x03)
		return efail(&e, MCX_EINVAL, "WBXML version 0x%02x is not 1.1-1.3", e.version);
	if (len > l->msg_max)
		return efail(&e, MCX_ELIMIT, "document over the %zu-byte limit", l->msg_max);
	err = dm_xml_read(xml, len, false, l->depth_max, &d);
	if (err)
		return efail(&e, err, "%s", d.why);
	root = xmlDocGetRootElement(d.doc);
	dmddf = named(root, "MgmtTree");
	if (!dmddf && !named(root, "SyncML"))
		err = efail(&e, MCX_EINVAL, "the root element is neither SyncML nor MgmtTree");
	if (!err)
		err = header(&e, dmddf, o && o->pubid_string);
	if (!err)
		err = element(&e, root, dmddf);
	dm_xml_close(&d);
	return err;
}
