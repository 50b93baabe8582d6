/* Safe libxml2 parsing and schema validation for application usages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#define LOG_MODULE "xcap"
#include "core/log.h"
#include "xcap/usage.h"

struct embedded {
	const char *name;
	const char *start;
	const char *end;
};

extern const struct embedded mcx_schemas[];

#define MAX_USAGES 32

static xmlSchemaPtr compiled[MAX_USAGES];
static xmlExternalEntityLoader default_loader;

/* Validation contexts are reusable but not shareable: one per thread and
 * usage, freed when the thread ends (or at cleanup for the calling one). */
static pthread_key_t vkey;
static pthread_once_t vkey_once = PTHREAD_ONCE_INIT;

struct vcache {
	xmlSchemaValidCtxtPtr vc[MAX_USAGES];
};

static void vcache_free(void *p)
{
	struct vcache *c = p;
	int i;

	if (!c)
		return;
	for (i = 0; i < MAX_USAGES; i++)
		if (c->vc[i])
			xmlSchemaFreeValidCtxt(c->vc[i]);
	free(c);
}

static void vkey_make(void)
{
	pthread_key_create(&vkey, vcache_free);
}

static xmlSchemaValidCtxtPtr valid_ctxt(int idx)
{
	struct vcache *c;

	pthread_once(&vkey_once, vkey_make);
	c = pthread_getspecific(vkey);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || pthread_setspecific(vkey, c)) {
			free(c);
			return NULL;
		}
	}
	if (!c->vc[idx])
		c->vc[idx] = xmlSchemaNewValidCtxt(compiled[idx]);
	return c->vc[idx];
}

const char *xcap_embedded(const char *name, size_t *len)
{
	const struct embedded *e;

	for (e = mcx_schemas; e->name; e++) {
		if (!strcmp(e->name, name)) {
			if (len)
				*len = (size_t)(e->end - e->start);
			return e->start;
		}
	}
	return NULL;
}

/* libxml2 loads nothing from files or the network: only embedded schemas. */
static xmlParserInputPtr loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	const char *base, *p;
	size_t len;

	(void)id;
	if (!url)
		return NULL;
	base = strrchr(url, '/');
	base = base ? base + 1 : url;
	p = xcap_embedded(base, &len);
	if (!p) {
		log_warn("refused to load external resource %s", url);
		return NULL;
	}
	return xmlNewStringInputStream(ctxt, (const xmlChar *)p);
}

static int usage_index(const struct xcap_usage *u)
{
	int i;

	for (i = 0; xcap_usages[i]; i++)
		if (xcap_usages[i] == u)
			return i;
	return -1;
}

static void schema_err(void *arg, xmlErrorPtr e)
{
	char *buf = arg;

	if (!buf[0] && e && e->message)
		snprintf(buf, 256, "%s", e->message);
}

enum mcx_err xcap_usages_init(char *errbuf, size_t errlen)
{
	int i;

	xmlInitParser();
	if (!default_loader)
		default_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(loader);
	for (i = 0; xcap_usages[i] && i < MAX_USAGES; i++) {
		const struct xcap_usage *u = xcap_usages[i];
		xmlSchemaParserCtxtPtr pc;
		const char *p;
		size_t len;
		char msg[256] = "";

		if (!u->schema || compiled[i])
			continue;
		p = xcap_embedded(u->schema, &len);
		if (!p) {
			snprintf(errbuf, errlen, "%s: schema %s is not built in", u->auid, u->schema);
			return MCX_ENOENT;
		}
		pc = xmlSchemaNewMemParserCtxt(p, (int)len);
		if (!pc)
			return MCX_ENOMEM;
		xmlSchemaSetParserStructuredErrors(pc, schema_err, msg);
		compiled[i] = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
		if (!compiled[i]) {
			snprintf(errbuf, errlen, "%s: schema %s does not compile: %s", u->auid,
				 u->schema, msg);
			return MCX_EINVAL;
		}
	}
	return MCX_OK;
}

void xcap_usages_cleanup(void)
{
	int i;

	pthread_once(&vkey_once, vkey_make);
	vcache_free(pthread_getspecific(vkey));
	pthread_setspecific(vkey, NULL);
	for (i = 0; i < MAX_USAGES; i++) {
		if (compiled[i])
			xmlSchemaFree(compiled[i]);
		compiled[i] = NULL;
	}
	xmlCleanupParser();
}

const struct xcap_usage *xcap_usage_find(const char *auid, bool with_opt_in)
{
	int i;

	for (i = 0; xcap_usages[i]; i++) {
		if (!strcmp(xcap_usages[i]->auid, auid)) {
			if (xcap_usages[i]->opt_in && !with_opt_in)
				return NULL;
			return xcap_usages[i];
		}
	}
	return NULL;
}

/* The encoding named in the XML declaration must be UTF-8 (or absent). */
static bool encoding_ok(const char *b, size_t n)
{
	const char *end, *enc;
	char q;
	size_t l;

	if (n < 5 || memcmp(b, "<?xml", 5))
		return !(n >= 2 && ((unsigned char)b[0] == 0xFE || (unsigned char)b[0] == 0xFF));
	end = memmem(b, n, "?>", 2);
	if (!end)
		return true;
	enc = memmem(b, (size_t)(end - b), "encoding", 8);
	if (!enc)
		return true;
	enc += 8;
	while (enc < end && (*enc == ' ' || *enc == '=' || *enc == '\t'))
		enc++;
	if (enc >= end || (*enc != '"' && *enc != '\''))
		return true;   /* malformed: libxml2 reports it */
	q = *enc++;
	for (l = 0; enc + l < end && enc[l] != q; l++)
		;
	return (l == 5 && !strncasecmp(enc, "UTF-8", 5)) || (l == 4 && !strncasecmp(enc, "UTF8", 4));
}

static int parse_fail(xmlParserCtxtPtr ctxt, struct xcap_status *st)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);

	return xs_set(st, 409, XE_NOT_WELL_FORMED, "line %d: %s", e ? e->line : 0,
		      e && e->message ? e->message : "not well-formed");
}

int xcap_validate(const struct xcap_usage *u, const struct xcap_uri *uri,
		  const struct xcap_env *env, const char *bytes, size_t len,
		  const struct xmldoc *ix, xmlDoc **docp, struct xcap_status *st)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNodePtr root;
	int idx = usage_index(u), rc = 0;
	char msg[256] = "";

	if (!xml_utf8_ok(bytes, len) || !encoding_ok(bytes, len))
		return xs_set(st, 409, XE_NOT_UTF8, "the document is not UTF-8");
	if (len > INT32_MAX)
		return xs_set(st, 413, XE_NONE, "document too large");
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return xs_set(st, 500, XE_NONE, "out of memory");
	doc = xmlCtxtReadMemory(ctxt, bytes, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
	if (!doc || !ctxt->wellFormed || !ctxt->nsWellFormed) {
		rc = parse_fail(ctxt, st);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		rc = xs_set(st, 409, XE_NOT_WELL_FORMED, "document type declarations are not accepted");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (u->root_local && (!root || strcmp((const char *)root->name, u->root_local) ||
			      !root->ns || !u->default_ns ||
			      strcmp((const char *)root->ns->href, u->default_ns))) {
		rc = xs_set(st, 409, XE_SCHEMA, "the root element must be <%s> in namespace %s",
			    u->root_local, u->default_ns ? u->default_ns : "(none)");
		goto out;
	}
	if (idx >= 0 && compiled[idx]) {
		xmlSchemaValidCtxtPtr vc = valid_ctxt(idx);

		if (!vc) {
			rc = xs_set(st, 500, XE_NONE, "out of memory");
			goto out;
		}
		xmlSchemaSetValidStructuredErrors(vc, schema_err, msg);
		if (xmlSchemaValidateDoc(vc, doc) != 0)
			rc = xs_set(st, 409, XE_SCHEMA, "%s", msg[0] ? msg : "the document does not validate");
		xmlSchemaSetValidStructuredErrors(vc, NULL, NULL);
		if (rc)
			goto out;
	}
	if (u->constraints)
		rc = u->constraints(u, uri, env, doc, ix, st);
out:
	xmlFreeParserCtxt(ctxt);
	if (rc || !docp)
		xmlFreeDoc(doc);
	else
		*docp = doc;
	return rc;
}
