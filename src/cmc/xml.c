/* libxml2 helpers of the client (see xml.h). */
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>

#include "cmc/xml.h"
#include "cmc/limits.h"
#include "core/banned.h"

static unsigned depth_of(const xmlNode *n, unsigned d)
{
	unsigned max = d;
	const xmlNode *k;

	if (d > CMC_MAX_XML_DEPTH)
		return d;
	for (k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			unsigned kd = depth_of(k, d + 1);

			if (kd > max)
				max = kd;
			if (max > CMC_MAX_XML_DEPTH)
				break;
		}
	}
	return max;
}

enum mcx_err cmc_xml_parse(xmlDoc **dp, const char *p, size_t len, char *eb, size_t el)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len > CMC_MAX_DOC || len > (size_t)0x7fffffff) {
		snprintf(eb, el, "document larger than %u bytes", CMC_MAX_DOC);
		return MCX_ELIMIT;
	}
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(eb, el, "out of memory");
		return MCX_ENOMEM;
	}
	doc = xmlCtxtReadMemory(ctxt, p, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !ctxt->wellFormed || !ctxt->nsWellFormed || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);

		snprintf(eb, el, "not well-formed XML (line %d: %s)", e ? e->line : 0,
			 e && e->message ? e->message : "?");
		eb[strcspn(eb, "\n")] = '\0';
		if (doc)
			xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		return MCX_EINVAL;
	}
	xmlFreeParserCtxt(ctxt);
	if (depth_of(xmlDocGetRootElement(doc), 1) > CMC_MAX_XML_DEPTH) {
		snprintf(eb, el, "elements nested deeper than %u", CMC_MAX_XML_DEPTH);
		xmlFreeDoc(doc);
		return MCX_ELIMIT;
	}
	*dp = doc;
	return MCX_OK;
}

const xmlNode *cmc_xml_child(const xmlNode *n, const char *local)
{
	const xmlNode *k;

	for (k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && !strcmp((const char *)k->name, local))
			return k;
	return NULL;
}

const xmlNode *cmc_xml_next(const xmlNode *n)
{
	const xmlNode *k;

	for (k = n ? n->next : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && !strcmp((const char *)k->name,
							   (const char *)n->name))
			return k;
	return NULL;
}

const xmlNode *cmc_xml_path(const xmlNode *n, const char *path)
{
	char step[128];

	while (n && *path) {
		size_t l = strcspn(path, "/");

		if (l >= sizeof(step))
			return NULL;
		memcpy(step, path, l);
		step[l] = '\0';
		n = cmc_xml_child(n, step);
		path += l;
		if (*path == '/')
			path++;
	}
	return n;
}

static const char *trimmed(const char *s, char *out, size_t outlen)
{
	size_t l;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
		l--;
	if (l >= outlen)
		l = outlen - 1;
	memcpy(out, s, l);
	out[l] = '\0';
	return out;
}

const char *cmc_xml_text(const xmlNode *n, char *out, size_t outlen)
{
	xmlChar *t;

	out[0] = '\0';
	if (!n)
		return out;
	t = xmlNodeGetContent(n);
	if (t) {
		trimmed((const char *)t, out, outlen);
		xmlFree(t);
	}
	return out;
}

const char *cmc_xml_attr(const xmlNode *n, const char *name, char *out, size_t outlen)
{
	xmlChar *v;

	out[0] = '\0';
	if (!n)
		return out;
	v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v) {
		trimmed((const char *)v, out, outlen);
		xmlFree(v);
	}
	return out;
}
