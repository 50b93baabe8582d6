/* libFuzzer driver: RFC 5261 patches. The first byte picks a mode:
 *   'a' — the rest is a patch applied to a fixed document;
 *   'd' — the rest is "prev\0next": diff them;
 *   other — next is the fixed document with the bytes at an offset (from
 *           bytes 1-2) replaced by the rest: diff the fixed document and it.
 * Whenever diff gives a patch, applying it to prev must give next exactly;
 * its own check of that never fails when libxml2 finds both documents
 * namespace-well-formed; a patch that applies must leave a document that
 * indexes; abort() otherwise (or when a failure leaves bytes in the output). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "patch/patch.h"
#include "xcap/xmldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static const char DOC[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!-- top -->\n"
	"<rl:resource-lists xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\" xmlns=\"urn:d\""
	" xmlns:x=\"urn:x\">\n"
	"  <rl:list name=\"friends\">\n"
	"    <entry uri=\"sip:a@x\"/>  <!-- a -->\n"
	"    <entry uri='sip:b@x' x:t=\"1\"><display-name>B &amp; co</display-name></entry>\n"
	"    <?pi data?>\n"
	"  </rl:list>\n"
	"  <rl:list name=\"empty\"/>\n"
	"  <text>hi<![CDATA[<no/>]]>there<b/>tail</text>\n"
	"  <other xmlns=\"\" xmlns:x=\"urn:x2\"><x:in/></other>\n"
	"</rl:resource-lists>\n";

static const struct patch_nsbind BINDS[] = {
	{ "", "urn:ietf:params:xml:ns:xcap-diff" },
	{ "rl", "urn:ietf:params:xml:ns:resource-lists" },
	{ "d", "urn:d" },
	{ "x", "urn:x" },
};

static void apply(const char *ops, size_t olen)
{
	struct patch_opts o = { .binds = BINDS, .nbinds = 4, .max_doc = 1 << 20 };
	struct patch_status st;
	struct mcx_buf out;
	struct xmldoc *d;
	enum mcx_err err;

	buf_init(&out, 1 << 20);
	err = patch_apply(DOC, sizeof(DOC) - 1, ops, olen, &o, &out, &st);
	if (err) {
		ASSERT(out.len == 0);
		ASSERT(err != MCX_EINVAL || (st.code != PATCH_E_NONE && st.detail[0]));
	} else {
		ASSERT(xmldoc_index(&d, out.p ? out.p : "", out.len, NULL, NULL, 0) == MCX_OK);
		xmldoc_free(d);
	}
	buf_reset(&out);
}

/* Does libxml2 find the bytes namespace-well-formed? */
static bool well_formed(const char *p, size_t n)
{
	xmlParserCtxtPtr c = xmlNewParserCtxt();
	xmlDocPtr d;
	bool ok;

	if (!c)
		return false;
	d = xmlCtxtReadMemory(c, p, (int)n, NULL, NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ok = d && c->wellFormed && c->nsWellFormed;
	xmlFreeDoc(d);
	xmlFreeParserCtxt(c);
	return ok;
}

static void diff(const char *prev, size_t plen, const char *next, size_t nlen, bool explicit)
{
	struct patch_opts o = { .max_patch = 1 << 16, .ns_explicit = explicit };
	struct patch_status st;
	struct mcx_buf patch, res;
	enum mcx_err err;

	buf_init(&patch, 1 << 20);
	buf_init(&res, 1 << 22);
	err = patch_diff(prev, plen, next, nlen, &o, &patch, &st);
	if (err) {
		ASSERT(patch.len == 0);
		/* the internal check fails only on what a parser would refuse */
		if (strstr(st.detail, "did not give"))
			ASSERT(!well_formed(prev, plen) || !well_formed(next, nlen));
	} else if (!patch.len) {
		ASSERT(plen == nlen && !memcmp(prev, next, plen));   /* nothing changed */
	} else {
		ASSERT(patch.len <= o.max_patch);
		err = patch_apply(prev, plen, patch.p ? patch.p : "", patch.len, NULL, &res, &st);
		ASSERT(err == MCX_OK);
		ASSERT(res.len == nlen && !memcmp(res.p ? res.p : "", next, nlen));
	}
	buf_reset(&patch);
	buf_reset(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul;
	char *next;
	size_t off, cut;

	if (size < 1 || size > 1 << 16)
		return 0;
	if (p[0] == 'a') {
		apply(p + 1, size - 1);
		return 0;
	}
	if (p[0] == 'd') {
		nul = memchr(p + 1, '\0', size - 1);
		if (nul)
			diff(p + 1, (size_t)(nul - p) - 1, nul + 1, size - (size_t)(nul - p) - 1,
			     size & 1);
		return 0;
	}
	if (size < 3)
		return 0;
	off = ((size_t)data[1] << 8 | data[2]) % sizeof(DOC);
	cut = data[0] % 8;
	if (off + cut > sizeof(DOC) - 1)
		cut = sizeof(DOC) - 1 - off;
	next = malloc(sizeof(DOC) + size);
	if (!next)
		return 0;
	memcpy(next, DOC, off);
	memcpy(next + off, p + 3, size - 3);
	memcpy(next + off + size - 3, DOC + off + cut, sizeof(DOC) - 1 - off - cut);
	diff(DOC, sizeof(DOC) - 1, next, sizeof(DOC) - 1 - cut + size - 3, data[0] & 1);
	free(next);
	return 0;
}
