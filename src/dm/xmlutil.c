/* Safe libxml2 reading for the DM parsers and DOM text helpers. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/buf.h"
#include "core/mem.h"
#include "dm/xmlutil.h"
#include "xcap/xmldoc.h"
#include "core/banned.h"

static bool name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Length of a reference at p ("&amp;", "&#10;", "&#x1F;"), 0 if none. */
static size_t ref_len(const char *p, size_t n)
{
	size_t i = 1;

	if (i < n && p[i] == '#') {
		bool hex = ++i < n && p[i] == 'x';

		i += hex;
		while (i < n && ((p[i] >= '0' && p[i] <= '9') ||
				 (hex && ((p[i] >= 'a' && p[i] <= 'f') || (p[i] >= 'A' && p[i] <= 'F')))))
			i++;
		return i < n && p[i] == ';' && i > 2u + hex ? i + 1 : 0;
	}
	if (i >= n || !name_start(p[i]))
		return 0;
	while (i < n && name_char(p[i]))
		i++;
	return i < n && p[i] == ';' ? i + 1 : 0;
}

static enum mcx_err escape_amps(const char *p, size_t n, struct mcx_buf *out)
{
	size_t i, run = 0;
	enum mcx_err err = MCX_OK;

	for (i = 0; i < n && !err; i++) {
		if (p[i] != '&' || ref_len(p + i, n - i))
			continue;
		err = buf_add(out, p + run, i - run);
		if (!err)
			err = buf_adds(out, "&amp;");
		run = i + 1;
	}
	if (!err)
		err = buf_add(out, p + run, n - run);
	return err;
}

/* Element depth of the tree under root (root counts 1), iteratively. */
static size_t tree_depth(const xmlNode *root)
{
	const xmlNode *n = root;
	size_t d = 1, max = 1;

	while (n) {
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			if (++d > max)
				max = d;
			continue;
		}
		while (n != root && !n->next) {
			n = n->parent;
			d--;
		}
		if (n == root)
			break;
		n = n->next;
	}
	return max;
}

/* The encoding in the XML declaration, if any, must say UTF-8. */
static bool utf8_declared(const char *b, size_t n)
{
	const char *end, *enc;
	size_t l;
	char q;

	if (n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3)) {
		b += 3;
		n -= 3;
	}
	if (n < 5 || memcmp(b, "<?xml", 5))
		return true;
	end = memmem(b, n, "?>", 2);
	enc = end ? memmem(b, (size_t)(end - b), "encoding", 8) : NULL;
	if (!enc)
		return true;
	for (enc += 8; enc < end && (*enc == ' ' || *enc == '=' || *enc == '\t' ||
				     *enc == '\r' || *enc == '\n'); enc++)
		;
	if (enc >= end || (*enc != '"' && *enc != '\''))
		return true;	/* malformed: libxml2 says so */
	q = *enc++;
	for (l = 0; enc + l < end && enc[l] != q; l++)
		;
	return (l == 5 && !strncasecmp(enc, "UTF-8", 5)) || (l == 4 && !strncasecmp(enc, "UTF8", 4));
}

static enum mcx_err read_fail(struct dm_xml_doc *d, xmlParserCtxtPtr ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	size_t n;

	snprintf(d->why, sizeof(d->why), "not well-formed XML (line %d): %s", e ? e->line : 0,
		 e && e->message ? e->message : "parse error");
	n = strlen(d->why);
	while (n && (d->why[n - 1] == '\n' || d->why[n - 1] == ' '))
		d->why[--n] = '\0';
	return MCX_EINVAL;
}

static enum mcx_err check_doc(struct dm_xml_doc *d, size_t depth_max)
{
	const xmlNode *root = xmlDocGetRootElement(d->doc);

	if (d->doc->intSubset && d->doc->intSubset->children) {
		snprintf(d->why, sizeof(d->why), "an internal DTD subset is not accepted");
		return MCX_EINVAL;
	}
	if (!root) {
		snprintf(d->why, sizeof(d->why), "no root element");
		return MCX_EINVAL;
	}
	if (tree_depth(root) > depth_max) {
		snprintf(d->why, sizeof(d->why), "elements nested deeper than %zu", depth_max);
		return MCX_ELIMIT;
	}
	return MCX_OK;
}

enum mcx_err dm_xml_read(const char *p, size_t len, bool lenient_amp, size_t depth_max,
			 struct dm_xml_doc *d)
{
	struct mcx_buf esc;
	xmlParserCtxtPtr ctxt;
	enum mcx_err err = MCX_OK;

	d->doc = NULL;
	d->why[0] = '\0';
	buf_init(&esc, len <= INT_MAX / 5 ? len * 5 + 1 : INT_MAX);
	if (len > INT_MAX / 5) {
		snprintf(d->why, sizeof(d->why), "document too large");
		return MCX_ELIMIT;
	}
	if (lenient_amp) {
		err = escape_amps(p, len, &esc);
		if (err) {
			snprintf(d->why, sizeof(d->why), "out of memory");
			goto out;
		}
		p = esc.p ? esc.p : "";
		len = esc.len;
	}
	if (!xml_utf8_ok(p, len) || !utf8_declared(p, len)) {
		/* also keeps libxml2's encoding converters (which print) out of it */
		snprintf(d->why, sizeof(d->why), "the document is not UTF-8 XML text");
		err = MCX_EINVAL;
		goto out;
	}
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(d->why, sizeof(d->why), "out of memory");
		err = MCX_ENOMEM;
		goto out;
	}
	d->doc = xmlCtxtReadMemory(ctxt, p, (int)len, NULL, NULL,
				   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!d->doc || !ctxt->wellFormed || !ctxt->nsWellFormed)
		err = read_fail(d, ctxt);
	else
		err = check_doc(d, depth_max);
	xmlFreeParserCtxt(ctxt);
	if (err)
		dm_xml_close(d);
out:
	buf_reset(&esc);
	return err;
}

void dm_xml_close(struct dm_xml_doc *d)
{
	if (d->doc)
		xmlFreeDoc(d->doc);
	d->doc = NULL;
}

const xmlNode *dm_xml_next(const xmlNode *n)
{
	for (n = n->next; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

const xmlNode *dm_xml_first(const xmlNode *n)
{
	n = n->children;
	if (!n || n->type == XML_ELEMENT_NODE)
		return n;
	return dm_xml_next(n);
}

const xmlNode *dm_xml_child(const xmlNode *n, const char *name)
{
	const xmlNode *c;

	for (c = dm_xml_first(n); c; c = dm_xml_next(c))
		if (!strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

bool dm_xml_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

static bool node_blank(const xmlNode *n)
{
	const char *s = (const char *)n->content;

	return n->type == XML_TEXT_NODE && (!s || dm_xml_blank(s, strlen(s)));
}

bool dm_xml_check_children(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE || c->type == XML_COMMENT_NODE ||
		    c->type == XML_PI_NODE || node_blank(c))
			continue;
		return false;
	}
	return true;
}

void dm_xml_text_free(struct dm_xml_text *t)
{
	mcx_free(t->p);
	t->p = NULL;
	t->len = 0;
}

static enum mcx_err text_finish(struct mcx_buf *b, struct dm_xml_text *t)
{
	t->p = buf_take(b, &t->len);
	return t->p ? MCX_OK : MCX_ENOMEM;
}

static enum mcx_err add_content(struct mcx_buf *b, const xmlNode *c)
{
	const char *s = (const char *)c->content;

	return s ? buf_adds(b, s) : MCX_OK;
}

enum mcx_err dm_xml_text_get(const xmlNode *n, size_t max, struct dm_xml_text *t)
{
	struct mcx_buf b;
	const xmlNode *c;
	enum mcx_err err = MCX_OK;

	memset(t, 0, sizeof(*t));
	buf_init(&b, max);
	for (c = n->children; c && !err; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			t->cdata |= c->type == XML_CDATA_SECTION_NODE;
			err = add_content(&b, c);
		} else if (c->type == XML_ELEMENT_NODE) {
			t->why = "holds an element where text was expected";
			err = MCX_EINVAL;
		} else if (c->type == XML_ENTITY_REF_NODE) {
			t->why = "holds an entity reference";
			err = MCX_EINVAL;
		}
	}
	if (!err)
		err = text_finish(&b, t);
	buf_reset(&b);
	return err;
}

static bool has_default_decl(const xmlNode *n)
{
	const xmlNs *ns;

	for (ns = n->nsDef; ns; ns = ns->next)
		if (!ns->prefix)
			return true;
	return false;
}

/* Serialize one element with every namespace it uses declared on it: a
 * copy in a fresh document gets the declarations its ancestors held. */
static enum mcx_err dump_element(struct mcx_buf *b, const xmlNode *el)
{
	xmlDocPtr tmp = xmlNewDoc((const xmlChar *)"1.0");
	xmlBufferPtr xb = xmlBufferCreate();
	xmlNodePtr copy;
	enum mcx_err err = MCX_ENOMEM;

	if (!tmp || !xb)
		goto out;
	copy = xmlDocCopyNode((xmlNodePtr)el, tmp, 1);
	if (!copy)
		goto out;
	/* an element in no namespace must stay so inside the SyncML default
	 * namespace of the message it is written back into */
	if (!copy->ns && !has_default_decl(copy) && !xmlNewNs(copy, (const xmlChar *)"", NULL))
		goto out;
	xmlDocSetRootElement(tmp, copy);
	if (xmlNodeDump(xb, tmp, copy, 0, 0) < 0)
		goto out;
	err = buf_add(b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
out:
	if (xb)
		xmlBufferFree(xb);
	if (tmp)
		xmlFreeDoc(tmp);
	return err;
}

static enum mcx_err dump_cdata(struct mcx_buf *b, const char *s)
{
	enum mcx_err err = buf_adds(b, "<![CDATA[");
	const char *end;

	/* "]]>" cannot sit in one section: split it across two */
	while (!err && (end = strstr(s, "]]>")) != NULL) {
		err = buf_add(b, s, (size_t)(end - s) + 2);
		if (!err)
			err = buf_adds(b, "]]><![CDATA[");
		s = end + 2;
	}
	if (!err)
		err = buf_adds(b, s);
	if (!err)
		err = buf_adds(b, "]]>");
	return err;
}

static enum mcx_err dump_node(struct mcx_buf *b, const xmlNode *c)
{
	const char *s = (const char *)c->content;

	switch (c->type) {
	case XML_ELEMENT_NODE:
		return dump_element(b, c);
	case XML_TEXT_NODE:
		return s ? buf_add_xml(b, s, strlen(s)) : MCX_OK;
	case XML_CDATA_SECTION_NODE:
		return dump_cdata(b, s ? s : "");
	default:
		return MCX_OK;	/* comments and PIs are dropped */
	}
}

static bool has_element(const xmlNode *n)
{
	return dm_xml_first(n) != NULL;
}

static bool significant(const xmlNode *c)
{
	return c->type == XML_ELEMENT_NODE || c->type == XML_CDATA_SECTION_NODE ||
	       (c->type == XML_TEXT_NODE && !node_blank(c));
}

enum mcx_err dm_xml_data_get(const xmlNode *n, size_t max, struct dm_xml_text *t)
{
	const xmlNode *first = NULL, *last = NULL, *c;
	struct mcx_buf b;
	enum mcx_err err = MCX_OK;

	if (!has_element(n))
		return dm_xml_text_get(n, max, t);
	memset(t, 0, sizeof(*t));
	t->xml = true;
	for (c = n->children; c; c = c->next) {
		if (c->type == XML_ENTITY_REF_NODE) {
			t->why = "holds an entity reference";
			return MCX_EINVAL;
		}
		if (significant(c)) {
			if (!first)
				first = c;
			last = c;
		}
	}
	buf_init(&b, max);
	for (c = first; c && !err; c = c == last ? NULL : c->next)
		err = dump_node(&b, c);
	if (!err)
		err = text_finish(&b, t);
	buf_reset(&b);
	return err;
}

static const char *escape_of(char c, bool attr)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	case '\r': return "&#13;";
	case '\n': return attr ? "&#10;" : NULL;
	case '\t': return attr ? "&#9;" : NULL;
	default: return NULL;
	}
}

enum mcx_err dm_xml_escape(struct mcx_buf *b, const char *s, size_t n, bool attr)
{
	size_t i, run = 0;
	enum mcx_err err = MCX_OK;

	if (!xml_utf8_ok(s, n))
		return MCX_EINVAL;
	for (i = 0; i < n && !err; i++) {
		const char *rep = escape_of(s[i], attr);

		if (!rep)
			continue;
		err = buf_add(b, s + run, i - run);
		if (!err)
			err = buf_adds(b, rep);
		run = i + 1;
	}
	if (!err)
		err = buf_add(b, s + run, n - run);
	return err;
}
