/* Unit tests: the byte-offset XML index (spans, links, namespaces, limits,
 * refusals), xml_unescape and xml_utf8_ok. */
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "xcap/xmldoc.h"

static enum mcx_err idx(struct xmldoc **d, const char *text, const struct xmldoc_limits *lim,
			char *eb, size_t ebl)
{
	*d = NULL;
	if (eb)
		eb[0] = '\0';
	return xmldoc_index(d, text, strlen(text), lim, eb, ebl);
}

/* MCX_EINVAL for text, with errbuf containing what. */
static bool refused(const char *text, const struct xmldoc_limits *lim, const char *what)
{
	struct xmldoc *d;
	char eb[128];
	enum mcx_err err = idx(&d, text, lim, eb, sizeof(eb));

	if (!err) {
		xmldoc_free(d);
		return false;
	}
	return err == MCX_EINVAL && d == NULL && strstr(eb, what) != NULL;
}

/* Offsets (hand-counted, see the comment under each line):
 *   0  <?xml version="1.0"?>\n                     22 <!-- c <r> -->\n
 *   37 <r ...>  stag_end 70
 *   70 <p:a k="1" p:j='2'/>   k at 75..80, p:j at 81..88, end 90
 *   90 <?pi <x/>?>  101 <![CDATA[<y>]]>
 *  116 <b xmlns:p="urn:q"> 135 <p:c/> 141 </b> 145
 *  145 <d xmlns=""> 157 <e> 160 </e> 164 </d> 168 </r> 172 "\n<!-- end -->\n" */
static const char SPANS[] =
	"<?xml version=\"1.0\"?>\n"
	"<!-- c <r> -->\n"
	"<r xmlns=\"urn:d\" xmlns:p='urn:p'>"
	"<p:a k=\"1\" p:j='2'/>"
	"<?pi <x/>?>"
	"<![CDATA[<y>]]>"
	"<b xmlns:p=\"urn:q\"><p:c/></b>"
	"<d xmlns=\"\"><e></e></d>"
	"</r>\n"
	"<!-- end -->\n";

static bool span_is(const struct xel *e, uint32_t start, uint32_t stag_end,
		    uint32_t etag_start, uint32_t end)
{
	return e->start == start && e->stag_end == stag_end && e->etag_start == etag_start &&
	       e->end == end;
}

static void xmldoc_spans(struct test_ctx *t)
{
	struct xmldoc *d;

	CHECK_INT(t, idx(&d, SPANS, NULL, NULL, 0), MCX_OK);
	CHECK_INT(t, d->len, 186);
	CHECK_INT(t, d->nels, 6);
	CHECK_INT(t, d->root_prolog_end, 37);
	CHECK(t, span_is(&d->els[0], 37, 70, 168, 172));
	CHECK(t, span_is(&d->els[1], 70, 90, 90, 90) && d->els[1].empty);
	CHECK(t, span_is(&d->els[2], 116, 135, 141, 145) && !d->els[2].empty);
	CHECK(t, span_is(&d->els[3], 135, 141, 141, 141) && d->els[3].empty);
	CHECK(t, span_is(&d->els[4], 145, 157, 164, 168));
	CHECK(t, span_is(&d->els[5], 157, 160, 160, 164) && !d->els[5].empty);
	xmldoc_free(d);
}

static void xmldoc_links_and_depth(struct test_ctx *t)
{
	struct xmldoc *d;
	const struct xel *e;

	CHECK_INT(t, idx(&d, SPANS, NULL, NULL, 0), MCX_OK);
	e = d->els;
	CHECK(t, e[0].parent == XEL_NONE && e[0].first_child == 1 && e[0].last_child == 4);
	CHECK(t, e[1].prev == XEL_NONE && e[1].next == 2 && e[1].parent == 0);
	CHECK(t, e[2].prev == 1 && e[2].next == 4 && e[2].first_child == 3 && e[2].last_child == 3);
	CHECK(t, e[3].parent == 2 && e[3].next == XEL_NONE && e[3].first_child == XEL_NONE);
	CHECK(t, e[4].prev == 2 && e[4].next == XEL_NONE && e[4].first_child == 5);
	CHECK(t, e[5].parent == 4);
	CHECK(t, e[0].depth == 1 && e[1].depth == 2 && e[3].depth == 3 && e[5].depth == 3);
	CHECK(t, pl_eqs(e[1].qname, "p:a") && pl_eqs(e[1].prefix, "p") && pl_eqs(e[1].local, "a"));
	xmldoc_free(d);
}

static void xmldoc_attributes(struct test_ctx *t)
{
	struct xmldoc *d;
	const struct xattr *a;

	CHECK_INT(t, idx(&d, SPANS, NULL, NULL, 0), MCX_OK);
	CHECK_INT(t, d->nattrs, 6);
	CHECK(t, d->els[0].attr0 == 0 && d->els[0].nattr == 2);
	CHECK(t, d->attrs[0].nsdecl && d->attrs[1].nsdecl && d->attrs[1].quote == '\'');
	CHECK(t, d->els[1].attr0 == 2 && d->els[1].nattr == 2);
	a = &d->attrs[2];
	CHECK(t, pl_eqs(a->qname, "k") && a->off == 75 && a->end == 80 && a->quote == '"');
	CHECK(t, pl_eqs(a->raw, "1") && a->ns == 0 && !a->nsdecl);
	a = &d->attrs[3];
	CHECK(t, pl_eqs(a->prefix, "p") && pl_eqs(a->local, "j") && a->off == 81 && a->end == 88);
	CHECK(t, a->quote == '\'' && pl_eqs(a->raw, "2"));
	CHECK_STR(t, xmldoc_ns(d, a->ns), "urn:p");
	xmldoc_free(d);
}

static void xmldoc_namespaces(struct test_ctx *t)
{
	struct xmldoc *d;
	uint32_t ns;
	bool found;

	CHECK_INT(t, idx(&d, SPANS, NULL, NULL, 0), MCX_OK);
	CHECK_STR(t, xmldoc_ns(d, d->els[0].ns), "urn:d");     /* default */
	CHECK_STR(t, xmldoc_ns(d, d->els[1].ns), "urn:p");     /* prefixed */
	CHECK_STR(t, xmldoc_ns(d, d->els[2].ns), "urn:d");     /* inherited default */
	CHECK_STR(t, xmldoc_ns(d, d->els[3].ns), "urn:q");     /* p redeclared on b */
	CHECK_INT(t, d->els[4].ns, 0);                          /* xmlns="" */
	CHECK_INT(t, d->els[5].ns, 0);                          /* ... inherited */
	CHECK(t, xmldoc_prefix_ns(d, 4, PL("p"), &ns));         /* p still bound in d */
	CHECK_STR(t, xmldoc_ns(d, ns), "urn:p");
	CHECK(t, !xmldoc_prefix_ns(d, 0, PL("zz"), &ns));
	CHECK(t, xmldoc_prefix_ns(d, 0, PL("xml"), &ns));
	CHECK_STR(t, xmldoc_ns(d, ns), "http://www.w3.org/XML/1998/namespace");
	CHECK(t, xmldoc_ns_find(d, "urn:q", &found) == d->els[3].ns && found);
	CHECK(t, xmldoc_ns_find(d, "urn:none", &found) == 0 && !found);
	CHECK(t, xmldoc_ns_find(d, "", &found) == 0 && found);
	xmldoc_free(d);
}

static void xmldoc_bom(struct test_ctx *t)
{
	struct xmldoc *d;

	CHECK_INT(t, idx(&d, "\xEF\xBB\xBF<a x='1'/>", NULL, NULL, 0), MCX_OK);
	CHECK_INT(t, d->root_prolog_end, 3);
	CHECK(t, span_is(&d->els[0], 3, 13, 13, 13));
	xmldoc_free(d);
	/* a BOM only counts at the very start */
	CHECK(t, refused(" \xEF\xBB\xBF<a/>", NULL, "root"));
}

static void xmldoc_err_doctype_billion_laughs(struct test_ctx *t)
{
	static const char lol[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE lolz [\n"
		" <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		"]>\n"
		"<lolz>&lol3;</lolz>\n";

	CHECK(t, refused(lol, NULL, "document type"));
	CHECK(t, refused("<!doctype a><a/>", NULL, "document type"));
	CHECK(t, refused("<a/><!DOCTYPE a>", NULL, "document type"));
	CHECK(t, refused("<a><!DOCTYPE a></a>", NULL, "markup declaration"));
}

static void xmldoc_err_mismatched_end_tag(struct test_ctx *t)
{
	CHECK(t, refused("<a><b></a></b>", NULL, "mismatched end tag"));
	CHECK(t, refused("<a></ab>", NULL, "mismatched end tag"));
	CHECK(t, refused("<p:a xmlns:p='u' xmlns:q='u'></q:a>", NULL, "mismatched end tag"));
	CHECK(t, refused("<a><b>", NULL, "unterminated"));
}

static void xmldoc_err_duplicate_attribute(struct test_ctx *t)
{
	CHECK(t, refused("<a x=\"1\" x='2'/>", NULL, "duplicate attribute"));
	CHECK(t, refused("<a xmlns:p='u' p:x='1' y='' p:x='2'/>", NULL, "duplicate attribute"));
}

static void xmldoc_err_unbound_prefix(struct test_ctx *t)
{
	struct xmldoc_limits lenient = { 0, 100, 10, true };
	struct xmldoc *d;

	CHECK(t, refused("<p:a/>", NULL, "unbound element prefix"));
	CHECK(t, refused("<a p:x='1'/>", NULL, "unbound attribute prefix"));
	/* a prefix declared on a sibling is not in scope */
	CHECK(t, refused("<r><a xmlns:p='u'/><p:b/></r>", NULL, "unbound element prefix"));
	CHECK(t, refused("<a xmlns:p=''/>", NULL, "empty namespace"));
	CHECK_INT(t, idx(&d, "<p:a q:x='1'><p:b/></p:a>", &lenient, NULL, 0), MCX_OK);
	CHECK(t, d->nels == 2 && d->els[0].ns == 0 && d->attrs[0].ns == 0);
	xmldoc_free(d);
}

static void xmldoc_err_depth_over_max(struct test_ctx *t)
{
	struct xmldoc_limits lim = { 3, 100, 10, false };
	struct xmldoc *d;

	CHECK_INT(t, idx(&d, "<a><b><c/></b></a>", &lim, NULL, 0), MCX_OK);
	CHECK_INT(t, d->els[2].depth, 3);
	xmldoc_free(d);
	CHECK(t, refused("<a><b><c><d/></c></b></a>", &lim, "nested too deeply"));
	CHECK(t, refused("<a><b><c><d></d></c></b></a>", &lim, "nested too deeply"));
}

static void xmldoc_err_elements_over_max(struct test_ctx *t)
{
	struct xmldoc_limits lim = { 8, 3, 10, false };
	struct xmldoc *d;

	CHECK_INT(t, idx(&d, "<a><b/><c/></a>", &lim, NULL, 0), MCX_OK);
	xmldoc_free(d);
	CHECK(t, refused("<a><b/><c/><d/></a>", &lim, "too many elements"));
}

static void xmldoc_err_attributes_over_max(struct test_ctx *t)
{
	struct xmldoc_limits lim = { 8, 10, 2, false };
	struct xmldoc *d;

	CHECK_INT(t, idx(&d, "<a x='1' y='2'/>", &lim, NULL, 0), MCX_OK);
	xmldoc_free(d);
	CHECK(t, refused("<a x='1' y='2' z='3'/>", &lim, "too many attributes"));
}

static void xmldoc_err_lt_in_attribute_value(struct test_ctx *t)
{
	CHECK(t, refused("<a x='a<b'/>", NULL, "'<' in attribute value"));
	CHECK(t, refused("<a x=\"<\"/>", NULL, "'<' in attribute value"));
}

static void xmldoc_err_text_after_root(struct test_ctx *t)
{
	struct xmldoc *d;

	CHECK(t, refused("<a/>x", NULL, "after the root"));
	CHECK(t, refused("<a></a>\n<b/>", NULL, "after the root"));
	CHECK(t, refused("x<a/>", NULL, "root element"));
	CHECK_INT(t, idx(&d, "<a/>\n<!-- c -->\n<?pi x?>\n", NULL, NULL, 0), MCX_OK);
	xmldoc_free(d);
}

static void xmldoc_err_malformed(struct test_ctx *t)
{
	CHECK(t, refused("", NULL, "no root"));
	CHECK(t, refused("  \n", NULL, "no root"));
	CHECK(t, refused("<!-- x", NULL, "unterminated comment"));
	CHECK(t, refused("<a><!-- x</a>", NULL, "unterminated comment"));
	CHECK(t, refused("<a><![CDATA[x</a>", NULL, "unterminated CDATA"));
	CHECK(t, refused("<?pi <a/>", NULL, "unterminated processing"));
	CHECK(t, refused("<a x='1'", NULL, "unterminated start tag"));
	CHECK(t, refused("<a x='1/>", NULL, "unterminated attribute value"));
	CHECK(t, refused("<a x=1/>", NULL, "quoted attribute value"));
	CHECK(t, refused("<a x/>", NULL, "expected '='"));
	CHECK(t, refused("<a /x>", NULL, "bad empty-element tag"));
	CHECK(t, refused("< a/>", NULL, "missing element name"));
	CHECK(t, refused("<p:/>", NULL, "bad element name"));
	CHECK(t, refused("<a></a >x", NULL, "after the root"));
	CHECK(t, refused("<a></a x>", NULL, "bad end tag"));
	CHECK(t, refused("<a =\"x\"/>", NULL, "bad attribute name"));
	CHECK(t, refused("<a xmlns=\"&bogus;\"/>", NULL, "bad namespace URI"));
	CHECK(t, refused("<a><?pi </a>", NULL, "unterminated processing"));
}

static void xmldoc_index_oom(struct test_ctx *t)
{
	struct xmldoc *d = NULL;
	enum mcx_err err = idx(&d, SPANS, NULL, NULL, 0);

	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, d->nels, 6);
	xmldoc_free(d);
}

/* ---- xml_unescape ---- */

static bool unesc(const char *raw, const char *want)
{
	char out[64];
	size_t n = 99;

	if (!xml_unescape(pl_str(raw), out, sizeof(out), &n))
		return false;
	return n == strlen(want) && !memcmp(out, want, n) && out[n] == '\0';
}

static bool unesc_fails(const char *raw)
{
	char out[64];

	return !xml_unescape(pl_str(raw), out, sizeof(out), NULL);
}

static void xmldoc_unescape_refs(struct test_ctx *t)
{
	CHECK(t, unesc("", ""));
	CHECK(t, unesc("plain", "plain"));
	CHECK(t, unesc("&amp;&lt;&gt;&quot;&apos;", "&<>\"'"));
	CHECK(t, unesc("a&#65;b&#x42;&#x63;", "aAbBc"));
	CHECK(t, unesc("&#x20AC;&#8364;", "\xE2\x82\xAC\xE2\x82\xAC"));
	CHECK(t, unesc("&#x1F600;", "\xF0\x9F\x98\x80"));
	CHECK(t, unesc("&#xE9;", "\xC3\xA9"));
	CHECK(t, unesc("&#9;&#10;&#13;", "\t\n\r"));
	CHECK(t, unesc("&#x10FFFF;", "\xF4\x8F\xBF\xBF"));
}

static void xmldoc_unescape_bad_refs(struct test_ctx *t)
{
	CHECK(t, unesc_fails("&bogus;"));
	CHECK(t, unesc_fails("&amp"));
	CHECK(t, unesc_fails("a & b"));
	CHECK(t, unesc_fails("&;"));
	CHECK(t, unesc_fails("&#;"));
	CHECK(t, unesc_fails("&#x;"));
	CHECK(t, unesc_fails("&#0;"));
	CHECK(t, unesc_fails("&#x12G;"));
	CHECK(t, unesc_fails("&#12a;"));
	CHECK(t, unesc_fails("&#xD800;"));
	CHECK(t, unesc_fails("&#x110000;"));
	CHECK(t, unesc_fails("&#x000000041;"));
	CHECK(t, unesc_fails("&AMP;"));
}

/* XML 1.0 §4.1 "Legal Character": a reference must name a Char. */
static void xmldoc_unescape_refuses_non_chars(struct test_ctx *t)
{
	CHECK(t, unesc_fails("&#1;"));
	CHECK(t, unesc_fails("&#x1F;"));
	CHECK(t, unesc_fails("&#xFFFE;"));
	CHECK(t, unesc_fails("&#xFFFF;"));
}

static void xmldoc_unescape_overflow(struct test_ctx *t)
{
	char out[4];
	size_t n;

	CHECK(t, xml_unescape(PL("abc"), out, sizeof(out), &n) && n == 3);
	CHECK(t, !xml_unescape(PL("abcd"), out, sizeof(out), &n));
	CHECK(t, !xml_unescape(PL("ab&amp;"), out, 3, &n));
	CHECK(t, !xml_unescape(PL("&#x20AC;"), out, 3, &n));
	CHECK(t, xml_unescape(PL("&#x20AC;"), out, 4, &n) && n == 3);
	CHECK(t, !xml_unescape(PL(""), out, 0, &n));
}

/* ---- xml_utf8_ok ---- */

#define U8(s) xml_utf8_ok((s), sizeof(s) - 1)

static void xmldoc_utf8_valid(struct test_ctx *t)
{
	CHECK(t, U8(""));
	CHECK(t, U8("ascii <x> \t\r\n"));
	CHECK(t, U8("\xC3\xA9"));                 /* é */
	CHECK(t, U8("\xE2\x82\xAC"));             /* € */
	CHECK(t, U8("\xF0\x9F\x98\x80"));         /* U+1F600 */
	CHECK(t, U8("\xF4\x8F\xBF\xBF"));         /* U+10FFFF */
	CHECK(t, U8("\xEF\xBF\xBD"));             /* U+FFFD */
	CHECK(t, U8("\xC2\x80"));                 /* U+0080, smallest 2-byte */
}

static void xmldoc_utf8_invalid(struct test_ctx *t)
{
	CHECK(t, !U8("\xC0\x80"));                /* overlong NUL */
	CHECK(t, !U8("\xC1\xBF"));                /* overlong 2-byte */
	CHECK(t, !U8("\xE0\x80\x80"));            /* overlong 3-byte */
	CHECK(t, !U8("\xF0\x80\x80\x80"));        /* overlong 4-byte */
	CHECK(t, !U8("\xED\xA0\x80"));            /* surrogate D800 */
	CHECK(t, !U8("\xED\xBF\xBF"));            /* surrogate DFFF */
	CHECK(t, !U8("a\xE2\x82"));               /* truncated */
	CHECK(t, !U8("\xC3"));
	CHECK(t, !U8("\xE2\x28\xA1"));            /* bad continuation */
	CHECK(t, !U8("\x80"));                    /* lone continuation */
	CHECK(t, !U8("\xFF"));
	CHECK(t, !U8("\xF4\x90\x80\x80"));        /* above U+10FFFF */
	CHECK(t, !U8("\xEF\xBF\xBE"));            /* U+FFFE */
	CHECK(t, !U8("\xEF\xBF\xBF"));            /* U+FFFF */
	CHECK(t, !U8("a\x01z"));                  /* control */
	CHECK(t, !U8("\x1F"));
	CHECK(t, !xml_utf8_ok("a\0b", 3));        /* NUL */
}

/* "<!-->" opens a comment that "-->" ends later: what follows is not markup. */
static void xmldoc_comment_opener_is_not_a_comment(struct test_ctx *t)
{
	static const char doc[] = "<a><!--><b/>--><?x?><c/></a>";
	struct xmldoc *d = NULL;
	enum mcx_err err = xmldoc_index(&d, doc, sizeof(doc) - 1, NULL, NULL, 0);

	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, d->nels, 2);   /* a and c; b is inside the comment */
	CHECK(t, pl_eqs(d->els[1].local, "c"));
	xmldoc_free(d);
}

const struct test tests_xmldoc[] = {
	{ "xmldoc_comment_opener_is_not_a_comment", xmldoc_comment_opener_is_not_a_comment, false },
	{ "xmldoc_spans", xmldoc_spans, false },
	{ "xmldoc_links_and_depth", xmldoc_links_and_depth, false },
	{ "xmldoc_attributes", xmldoc_attributes, false },
	{ "xmldoc_namespaces", xmldoc_namespaces, false },
	{ "xmldoc_bom", xmldoc_bom, false },
	{ "xmldoc_err_doctype_billion_laughs", xmldoc_err_doctype_billion_laughs, false },
	{ "xmldoc_err_mismatched_end_tag", xmldoc_err_mismatched_end_tag, false },
	{ "xmldoc_err_duplicate_attribute", xmldoc_err_duplicate_attribute, false },
	{ "xmldoc_err_unbound_prefix", xmldoc_err_unbound_prefix, false },
	{ "xmldoc_err_depth_over_max", xmldoc_err_depth_over_max, false },
	{ "xmldoc_err_elements_over_max", xmldoc_err_elements_over_max, false },
	{ "xmldoc_err_attributes_over_max", xmldoc_err_attributes_over_max, false },
	{ "xmldoc_err_lt_in_attribute_value", xmldoc_err_lt_in_attribute_value, false },
	{ "xmldoc_err_text_after_root", xmldoc_err_text_after_root, false },
	{ "xmldoc_err_malformed", xmldoc_err_malformed, false },
	{ "xmldoc_index_oom", xmldoc_index_oom, true },
	{ "xmldoc_unescape_refs", xmldoc_unescape_refs, false },
	{ "xmldoc_unescape_bad_refs", xmldoc_unescape_bad_refs, false },
	{ "xmldoc_unescape_refuses_non_chars", xmldoc_unescape_refuses_non_chars, false },
	{ "xmldoc_unescape_overflow", xmldoc_unescape_overflow, false },
	{ "xmldoc_utf8_valid", xmldoc_utf8_valid, false },
	{ "xmldoc_utf8_invalid", xmldoc_utf8_invalid, false },
	{ NULL, NULL, false }
};
