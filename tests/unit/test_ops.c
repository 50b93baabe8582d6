/* Unit tests: XCAP element/attribute/namespace operations by byte splicing —
 * each write test compares the WHOLE resulting document with the expected
 * bytes — the GET(PUT(x)) == x checks, and the xcap-error bodies (well-formed
 * and valid against the project's and, when present, the IETF schema). */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "test.h"
#include "core/mem.h"
#include "xcap/ops.h"

#define DOC_URI "http://x.example/xcap-root/rl/users/sip:u@x/index"

#define D_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- top -->\n" \
	"<resource-lists xmlns=\"urn:rl\" xmlns:x=\"urn:ext\">\n"
#define D_OPEN1 "  <list name=\"friends\">\n"
#define D_E1 "<entry uri=\"sip:a@x\"/>"
#define D_C1 "  <!-- a -->\n    "
#define D_E2 "<entry uri='sip:b@x' x:t=\"1\"/>"
#define D_CLOSE1 "\n  </list>\n"
#define D_LIST1 D_OPEN1 "    " D_E1 D_C1 D_E2 D_CLOSE1
#define D_EMPTY "  <list name=\"empty\"/>\n"
#define D_TEXT "  <list name=\"text\">hi<!-- c --></list>\n"
#define D_TAIL "</resource-lists>\n"
#define DOC D_HEAD D_LIST1 D_EMPTY D_TEXT D_TAIL

static const struct xsel_nsbind BINDS[] = { { { "x", 1 }, "urn:ext" } };
static const struct xcap_opctx OPC = { { "urn:rl", BINDS, 1 }, NULL, DOC_URI };

struct op {
	struct xmldoc *d;
	struct xsel s;
	struct mcx_buf out;
	struct xcap_status st;
};

/* Index doc and parse sel; false if either fails. */
static bool op_begin(struct op *o, const char *doc, const char *sel)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->out, 1 << 20);
	if (xmldoc_index(&o->d, doc, strlen(doc), NULL, NULL, 0))
		return false;
	if (xsel_parse(&o->s, sel, strlen(sel), 0, NULL, 0)) {
		xmldoc_free(o->d);
		o->d = NULL;
		return false;
	}
	return true;
}

static void op_end(struct op *o)
{
	xsel_free(&o->s);
	xmldoc_free(o->d);
	buf_reset(&o->out);
}

static int put(struct op *o, const char *doc, const char *sel, const char *body)
{
	if (!op_begin(o, doc, sel))
		return -1;
	return xcap_node_put(o->d, &o->s, &OPC, body, strlen(body), &o->out, &o->st);
}

static int del(struct op *o, const char *doc, const char *sel)
{
	if (!op_begin(o, doc, sel))
		return -1;
	return xcap_node_delete(o->d, &o->s, &OPC, &o->out, &o->st);
}

/* Run the RFC 4825 §8.2.3 / §8.2.5 check on the new bytes: 0 when fine,
 * else the status (409), -1 when the new bytes do not index. */
static int verify(struct op *o, const char *body)
{
	struct xmldoc *nd;
	int rc;

	if (xmldoc_index(&nd, o->out.p, o->out.len, NULL, NULL, 0))
		return -1;
	memset(&o->st, 0, sizeof(o->st));
	rc = body ? xcap_verify_put(nd, &o->s, &OPC, body, strlen(body), &o->st) :
		xcap_verify_delete(nd, &o->s, &OPC, &o->st);
	xmldoc_free(nd);
	return rc;
}

#define CHECK_OUT(t, o, want) do { const char *w_ = (want); \
	if ((o)->out.len != strlen(w_) || memcmp((o)->out.p, w_, (o)->out.len)) { \
		test_fail((t), __FILE__, __LINE__, "document is\n%.*s\nexpected\n%s", \
			  (int)(o)->out.len, (o)->out.p ? (o)->out.p : "", w_); \
		op_end(o); return; } } while (0)
#define CHECK_ST(t, o, want_http, want_tag) do { \
	if ((o)->st.http != (want_http) || (o)->st.tag != (want_tag)) { \
		test_fail((t), __FILE__, __LINE__, "status %d tag %d (%s), expected %d tag %d", \
			  (o)->st.http, (int)(o)->st.tag, (o)->st.phrase, (want_http), \
			  (int)(want_tag)); \
		op_end(o); return; } } while (0)

/* ---- element PUT ---- */

static void ops_put_replace_element(struct test_ctx *t)
{
	static const char body[] =
		"\n <entry uri=\"sip:a@x\"><display-name>A</display-name></entry>\n";
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[@name=\"friends\"]/entry[1]", body), 200);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    <entry uri=\"sip:a@x\"><display-name>A</display-name>"
		  "</entry>" D_C1 D_E2 D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, body), 0);
	op_end(&o);
}

static void ops_put_insert_after_sibling_before_whitespace(struct test_ctx *t)
{
	static const char body[] = "<entry uri=\"sip:c@x\"/>";
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[@uri=\"sip:c@x\"]", body), 201);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_E1 D_C1 D_E2 "<entry uri=\"sip:c@x\"/>"
		  D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, body), 0);
	op_end(&o);
}

/* No position: after the last same-name sibling, before other elements. */
static void ops_put_insert_after_last_same_name(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, "<r xmlns=\"urn:rl\">\n <e/>\n <f/>\n</r>", "r/e[@id=\"2\"]",
			 "<e id=\"2\"/>"), 201);
	CHECK_OUT(t, &o, "<r xmlns=\"urn:rl\">\n <e/><e id=\"2\"/>\n <f/>\n</r>");
	op_end(&o);
	CHECK_INT(t, put(&o, "<r xmlns=\"urn:rl\">\n <f/>\n</r>", "r/e", "<e/>"), 201);
	CHECK_OUT(t, &o, "<r xmlns=\"urn:rl\">\n <f/><e/>\n</r>");
	op_end(&o);
}

static void ops_put_insert_into_element_without_children(struct test_ctx *t)
{
	static const char body[] = "<entry uri=\"sip:t@x\"/>";
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[@name=\"text\"]/entry", body), 201);
	CHECK_OUT(t, &o, D_HEAD D_LIST1 D_EMPTY
		  "  <list name=\"text\">hi<!-- c --><entry uri=\"sip:t@x\"/></list>\n" D_TAIL);
	CHECK_INT(t, verify(&o, body), 0);
	op_end(&o);
}

static void ops_put_insert_into_self_closing_parent(struct test_ctx *t)
{
	static const char body[] = "<entry uri=\"sip:e@x\"/>";
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[@name=\"empty\"]/entry", body), 201);
	CHECK_OUT(t, &o, D_HEAD D_LIST1
		  "  <list name=\"empty\"><entry uri=\"sip:e@x\"/></list>\n" D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, body), 0);
	op_end(&o);
	/* a prefixed parent written <p:a /> keeps its prefix in the new end tag */
	CHECK_INT(t, put(&o, "<r xmlns:p=\"urn:rl\"><p:a k='1' /></r>", "*/p:a/p:b",
			 "<p:b/>"), 400);   /* p is not bound by the request */
	op_end(&o);
	{
		static const struct xsel_nsbind b[] = { { { "q", 1 }, "urn:rl" } };
		const struct xcap_opctx c = { { NULL, b, 1 }, NULL, DOC_URI };

		CHECK(t, op_begin(&o, "<r xmlns:p=\"urn:rl\"><p:a k='1' /></r>", "r/q:a/q:b"));
		CHECK_INT(t, xcap_node_put(o.d, &o.s, &c, "<p:b/>", 6, &o.out, &o.st), 201);
		CHECK_OUT(t, &o, "<r xmlns:p=\"urn:rl\"><p:a k='1' ><p:b/></p:a></r>");
		op_end(&o);
	}
}

static void ops_put_position_first_goes_before_first_sibling(struct test_ctx *t)
{
	static const char body[] = "<entry uri=\"sip:z@x\"/>";
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[1][@uri=\"sip:z@x\"]", body), 201);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    <entry uri=\"sip:z@x\"/>" D_E1 D_C1 D_E2 D_CLOSE1
		  D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, body), 0);
	op_end(&o);
}

static void ops_put_position_third_goes_after_second(struct test_ctx *t)
{
	static const char body[] = "<entry uri=\"sip:3@x\"/>";
	struct op o;

	CHECK_INT(t, put(&o, "<r xmlns=\"urn:rl\"><e/><x/><e/><y/></r>", "r/e[3]", body), 201);
	CHECK_OUT(t, &o, "<r xmlns=\"urn:rl\"><e/><x/><e/><entry uri=\"sip:3@x\"/><y/></r>");
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[3]", body), 201);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_E1 D_C1 D_E2 "<entry uri=\"sip:3@x\"/>" D_CLOSE1
		  D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, body), 0);
	op_end(&o);
}

static void ops_put_position_too_few_siblings(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[4]", "<entry/>"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	CHECK_INT(t, o.out.len, 0);
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[2]/entry[2]", "<entry/>"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	op_end(&o);
}

static void ops_put_second_root_refused(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "other", "<other/>"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists", "<resource-lists xmlns=\"urn:rl\"/>"), 200);
	CHECK_OUT(t, &o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- top -->\n"
		  "<resource-lists xmlns=\"urn:rl\"/>\n");
	op_end(&o);
}

static void ops_put_ambiguous_selector_refused(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list/entry", "<entry/>"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	op_end(&o);
}

static void ops_put_no_parent_ancestor(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[@name=\"nope\"]/entry", "<entry/>"), 409);
	CHECK_ST(t, &o, 409, XE_NO_PARENT);
	CHECK_STR(t, o.st.ancestor, DOC_URI "/~~/resource-lists");
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[1]/foo/bar", "<bar/>"), 409);
	CHECK_ST(t, &o, 409, XE_NO_PARENT);
	CHECK_STR(t, o.st.ancestor, DOC_URI "/~~/resource-lists/list%5B1%5D/entry%5B1%5D");
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "other/foo", "<foo/>"), 409);
	CHECK_ST(t, &o, 409, XE_NO_PARENT);
	CHECK_STR(t, o.st.ancestor, DOC_URI);
	op_end(&o);
}

static void ops_put_unbound_prefix(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/q:list/entry", "<entry/>"), 400);
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/@q:a", "v"), 400);
	op_end(&o);
}

static void ops_not_xml_frag(struct test_ctx *t)
{
	static const char *const bodies[] = {
		"<a/><b/>", "text", "<a>", "<?xml version='1.0'?><a/>", "<!-- c --><a/>",
		"<a/>tail", "", "  ", "<a></b>", "<a/><!-- c -->", "<!DOCTYPE a><a/>",
	};
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct op o;
		int rc = put(&o, DOC, "resource-lists/list[1]/entry[1]", bodies[i]);

		if (rc != 409 || o.st.tag != XE_NOT_XML_FRAG || o.out.len) {
			test_fail(t, __FILE__, __LINE__,
				  "body \"%s\": %d tag %d, expected not-xml-frag",
				  bodies[i], rc, (int)o.st.tag);
			op_end(&o);
			return;
		}
		op_end(&o);
	}
}

static void ops_not_utf8_body(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[1]", "<entry a=\"\xC3\"/>"), 409);
	CHECK_ST(t, &o, 409, XE_NOT_UTF8);
	op_end(&o);
}

/* ---- verify ---- */

static void ops_verify_put_attr_predicate_mismatch(struct test_ctx *t)
{
	static const char body[] = "<entry uri=\"sip:r@x\"/>";
	struct op o;

	/* the insertion itself succeeds ... */
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[@uri=\"sip:q@x\"]", body), 201);
	/* ... but the URI would not select what was put */
	CHECK_INT(t, verify(&o, body), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	op_end(&o);
	/* and a replacement with another name */
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[1]", "<other/>"), 200);
	CHECK_INT(t, verify(&o, "<other/>"), 409);
	op_end(&o);
}

static void ops_verify_delete_position_shift(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, del(&o, DOC, "resource-lists/list[1]/entry[1]"), 200);
	/* entry[2] becomes entry[1]: the URI still selects an element */
	CHECK_INT(t, verify(&o, NULL), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_DELETE);
	op_end(&o);
	CHECK_INT(t, del(&o, DOC, "resource-lists/list[1]/entry[2]"), 200);
	CHECK_INT(t, verify(&o, NULL), 0);
	op_end(&o);
	CHECK_INT(t, del(&o, DOC, "resource-lists/list[1]/entry[@uri=\"sip:a@x\"]"), 200);
	CHECK_INT(t, verify(&o, NULL), 0);
	op_end(&o);
}

/* ---- DELETE ---- */

static void ops_delete_element(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, del(&o, DOC, "resource-lists/list[1]/entry[1]"), 200);
	CHECK_ST(t, &o, 200, XE_NONE);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_C1 D_E2 D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	op_end(&o);
	CHECK_INT(t, del(&o, DOC, "resource-lists/list[@name=\"text\"]"), 200);
	CHECK_OUT(t, &o, D_HEAD D_LIST1 D_EMPTY "  \n" D_TAIL);
	op_end(&o);
}

static void ops_delete_root_refused(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, del(&o, DOC, "resource-lists"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_DELETE);
	CHECK_INT(t, o.out.len, 0);
	op_end(&o);
}

static void ops_delete_missing(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, del(&o, DOC, "resource-lists/list[9]"), 404);
	op_end(&o);
	CHECK_INT(t, del(&o, DOC, "resource-lists/list[1]/@nope"), 404);
	op_end(&o);
	CHECK_INT(t, del(&o, DOC, "resource-lists/namespace::*"), 405);
	op_end(&o);
}

/* ---- attributes ---- */

static void ops_put_attr_create_appends_after_last(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[@name=\"empty\"]/@id", "7"), 201);
	CHECK_OUT(t, &o, D_HEAD D_LIST1 "  <list name=\"empty\" id=\"7\"/>\n" D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, "7"), 0);
	op_end(&o);
	/* after the namespace declarations of the root, too */
	CHECK_INT(t, put(&o, "<r xmlns='urn:rl' xmlns:x=\"urn:ext\">\n</r>", "r/@v", "1"), 201);
	CHECK_OUT(t, &o, "<r xmlns='urn:rl' xmlns:x=\"urn:ext\" v=\"1\">\n</r>");
	op_end(&o);
	/* an element without attributes */
	CHECK_INT(t, put(&o, "<r xmlns='urn:rl'><a/></r>", "r/a/@v", "1"), 201);
	CHECK_OUT(t, &o, "<r xmlns='urn:rl'><a v=\"1\"/></r>");
	op_end(&o);
}

static void ops_put_attr_create_prefixed(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[1]/@x:p", "v"), 201);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    <entry uri=\"sip:a@x\" x:p=\"v\"/>" D_C1 D_E2 D_CLOSE1
		  D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, "v"), 0);
	op_end(&o);
	/* a namespace the document never declares */
	{
		static const struct xsel_nsbind b[] = { { { "n", 1 }, "urn:new" } };
		const struct xcap_opctx c = { { "urn:rl", b, 1 }, NULL, DOC_URI };

		CHECK(t, op_begin(&o, DOC, "resource-lists/list[1]/@n:p"));
		CHECK_INT(t, xcap_node_put(o.d, &o.s, &c, "v", 1, &o.out, &o.st), 409);
		CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
		op_end(&o);
	}
}

static void ops_put_attr_replace_keeps_quote(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[2]/@uri", "sip:c@x"), 200);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_E1 D_C1 "<entry uri='sip:c@x' x:t=\"1\"/>"
		  D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, "sip:c@x"), 0);
	op_end(&o);
	/* a value with '"' keeps the single quotes */
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[2]/@uri", "say \"hi\""), 200);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_E1 D_C1 "<entry uri='say \"hi\"' x:t=\"1\"/>"
		  D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	op_end(&o);
}

static void ops_put_attr_replace_switches_quote(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[2]/@uri", "it's"), 200);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_E1 D_C1 "<entry uri=\"it's\" x:t=\"1\"/>"
		  D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, "it's"), 0);
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[1]/@uri", "say \"hi\""), 200);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    <entry uri='say \"hi\"'/>" D_C1 D_E2
		  D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	op_end(&o);
}

static void ops_delete_attr_with_preceding_whitespace(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, del(&o, DOC, "resource-lists/list[1]/entry[2]/@x:t"), 200);
	CHECK_OUT(t, &o, D_HEAD D_OPEN1 "    " D_E1 D_C1 "<entry uri='sip:b@x'/>"
		  D_CLOSE1 D_EMPTY D_TEXT D_TAIL);
	CHECK_INT(t, verify(&o, NULL), 0);
	op_end(&o);
	CHECK_INT(t, del(&o, "<r xmlns='urn:rl'><a\n\tv=\"1\"\n\tw='2'/></r>", "r/a/@v"), 200);
	CHECK_OUT(t, &o, "<r xmlns='urn:rl'><a\n\tw='2'/></r>");
	op_end(&o);
}

static void ops_put_attr_no_parent(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/entry[7]/@id", "1"), 409);
	CHECK_ST(t, &o, 409, XE_NO_PARENT);
	CHECK_STR(t, o.st.ancestor, DOC_URI "/~~/resource-lists/list%5B1%5D");
	CHECK_INT(t, o.out.len, 0);
	op_end(&o);
}

static void ops_not_xml_att_value(struct test_ctx *t)
{
	static const char *const bodies[] = {
		"a<b", "both \" and '", "a & b", "&bogus;", "&#0;", "\x01", "\xC3",
	};
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct op o;
		int rc = put(&o, DOC, "resource-lists/list[1]/@id", bodies[i]);

		if (rc != 409 || o.st.tag != XE_NOT_XML_ATT_VALUE || o.out.len) {
			test_fail(t, __FILE__, __LINE__, "body \"%s\": %d tag %d, expected "
				  "not-xml-att-value", bodies[i], rc, (int)o.st.tag);
			op_end(&o);
			return;
		}
		op_end(&o);
	}
}

static void ops_put_attr_xmlns_refused(struct test_ctx *t)
{
	struct op o;

	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/@xmlns", "urn:z"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	op_end(&o);
	CHECK_INT(t, put(&o, DOC, "resource-lists/list[1]/@xmlns:z", "urn:z"), 409);
	CHECK_ST(t, &o, 409, XE_CANNOT_INSERT);
	op_end(&o);
}

/* ---- GET ---- */

static void ops_get_element_and_attribute(struct test_ctx *t)
{
	struct op o;
	const char *p = NULL;
	size_t n = 0;

	CHECK(t, op_begin(&o, DOC, "resource-lists/list[1]/entry[2]"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &OPC, &p, &n, &o.out, &o.st), 200);
	CHECK_MEM(t, p, n, D_E2, strlen(D_E2));
	op_end(&o);
	CHECK(t, op_begin(&o, DOC, "resource-lists/list[1]/entry[2]/@x:t"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &OPC, &p, &n, &o.out, &o.st), 200);
	CHECK_MEM(t, p, n, "1", 1);
	op_end(&o);
	CHECK(t, op_begin(&o, DOC, "resource-lists/list[1]/entry[2]/@t"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &OPC, &p, &n, &o.out, &o.st), 404);
	op_end(&o);
}

static void ops_get_namespace_bindings(struct test_ctx *t)
{
	static const char doc[] =
		"<r xmlns=\"urn:a\" xmlns:p=\"urn:p\">"
		"<s xmlns:p=\"urn:p2\" xmlns:q='urn:q&amp;'><t/></s></r>";
	static const struct xsel_nsbind b[] = { { { "b", 1 }, "urn:q&" } };
	const struct xcap_opctx c = { { "urn:a", b, 1 }, NULL, DOC_URI };
	struct op o;
	const char *p = NULL;
	size_t n = 0;

	CHECK(t, op_begin(&o, doc, "r/s/t/namespace::*"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &c, &p, &n, &o.out, &o.st), 200);
	/* innermost first; the outer p is shadowed and omitted */
	CHECK_OUT(t, &o, "<t xmlns:q=\"urn:q&amp;\" xmlns:p=\"urn:p2\" xmlns=\"urn:a\"/>");
	op_end(&o);
	CHECK(t, op_begin(&o, doc, "r/namespace::*"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &c, &p, &n, &o.out, &o.st), 200);
	CHECK_OUT(t, &o, "<r xmlns:p=\"urn:p\" xmlns=\"urn:a\"/>");
	op_end(&o);
	CHECK(t, op_begin(&o, "<b:r xmlns:b='urn:q&amp;'/>", "b:r/namespace::*"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &c, &p, &n, &o.out, &o.st), 200);
	CHECK_OUT(t, &o, "<b:r xmlns:b=\"urn:q&amp;\"/>");
	op_end(&o);
}

static void ops_get_namespace_bindings_undeclared_default(struct test_ctx *t)
{
	const struct xcap_opctx c = { { NULL, NULL, 0 }, NULL, DOC_URI };
	struct op o;
	const char *p = NULL;
	size_t n = 0;

	CHECK(t, op_begin(&o, "<r xmlns=\"urn:a\"><u xmlns=\"\"><v/></u></r>",
			  "*/u/v/namespace::*"));
	CHECK_INT(t, xcap_node_get(o.d, &o.s, &c, &p, &n, &o.out, &o.st), 200);
	CHECK_OUT(t, &o, "<v/>");
	op_end(&o);
	CHECK(t, op_begin(&o, "<r xmlns=\"urn:a\"/>", "*/namespace::*"));
	CHECK_INT(t, xcap_node_put(o.d, &o.s, &c, "<x/>", 4, &o.out, &o.st), 405);
	op_end(&o);
}

static void ops_put_result_too_large(struct test_ctx *t)
{
	struct op o;

	CHECK(t, op_begin(&o, DOC, "resource-lists/list[1]/entry[1]"));
	o.out.max = 16;
	CHECK_INT(t, xcap_node_put(o.d, &o.s, &OPC, "<entry/>", 8, &o.out, &o.st), 413);
	op_end(&o);
}

static void ops_trim(struct test_ctx *t)
{
	struct pl p = xcap_trim(" \r\n\t<a/> \n", 10);

	CHECK_MEM(t, p.p, p.l, "<a/>", 4);
	p = xcap_trim("   ", 3);
	CHECK_INT(t, p.l, 0);
}

/* ---- xcap-error bodies ---- */

static void fill_status(struct xcap_status *st, enum xcap_errtag tag)
{
	memset(st, 0, sizeof(*st));
	xs_set(st, 409, tag, "bad \"x\" & <y> 'z'\x01 \xC3\xA9");
	if (tag == XE_NO_PARENT)
		snprintf(st->ancestor, sizeof(st->ancestor), "%s",
			 DOC_URI "/~~/resource-lists/list%5b@name=%22a&amp;%22%5d");
	if (tag == XE_UNIQUENESS) {
		snprintf(st->field, sizeof(st->field), "resource-lists/list/entry/@uri");
		snprintf(st->alt[0], sizeof(st->alt[0]), "sip:a1@x");
		snprintf(st->alt[1], sizeof(st->alt[1]), "sip:<a2>@x");
		st->nalt = 2;
	}
}

static enum mcx_err render(enum xcap_errtag tag, struct mcx_buf *b)
{
	struct xcap_status st;

	fill_status(&st, tag);
	buf_init(b, 64 * 1024);
	return xcap_error_body(&st, b);
}

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* libxml2: is doc valid against the schema text xsd? why gets a reason. */
static bool schema_valid(const char *xsd, size_t xsdlen, const char *doc, size_t dlen,
			 const char **why)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(xsd, (int)xsdlen);
	xmlSchemaPtr sc = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlDocPtr d = NULL;
	bool ok = false;

	*why = "schema does not compile";
	xmlSetGenericErrorFunc(NULL, silent);
	if (pc) {
		xmlSchemaSetParserErrors(pc, silent, silent, NULL);
		sc = xmlSchemaParse(pc);
	}
	if (sc)
		vc = xmlSchemaNewValidCtxt(sc);
	if (vc) {
		xmlSchemaSetValidErrors(vc, silent, silent, NULL);
		*why = "body is not well-formed";
		d = xmlReadMemory(doc, (int)dlen, "error.xml", NULL, XML_PARSE_NONET);
	}
	if (d) {
		*why = "body is not valid";
		ok = xmlSchemaValidateDoc(vc, d) == 0;
	}
	xmlFreeDoc(d);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(sc);
	xmlSchemaFreeParserCtxt(pc);
	xmlSetGenericErrorFunc(NULL, NULL);
	return ok;
}

/* Every tag against the schema in file path; false with a message on the
 * first body that is not valid. */
static bool all_valid(struct test_ctx *t, const char *path)
{
	size_t xl, i;
	char *xsd = test_read_file(path, &xl);

	if (!xsd) {
		test_fail(t, __FILE__, __LINE__, "cannot read %s", path);
		return false;
	}
	for (i = XE_NOT_WELL_FORMED; i <= XE_CANNOT_DELETE; i++) {
		struct mcx_buf b;
		const char *why = "cannot render";
		bool ok = !render((enum xcap_errtag)i, &b) &&
			  schema_valid(xsd, xl, b.p, b.len, &why);

		if (!ok)
			test_fail(t, __FILE__, __LINE__, "%s against %s: %s\n%s",
				  xcap_errtag_name((enum xcap_errtag)i), path, why, b.p ? b.p : "");
		buf_reset(&b);
		if (!ok) {
			free(xsd);
			return false;
		}
	}
	free(xsd);
	return true;
}

static void error_body_well_formed(struct test_ctx *t)
{
	size_t i;

	for (i = XE_NOT_WELL_FORMED; i <= XE_CANNOT_DELETE; i++) {
		struct mcx_buf b;
		struct xmldoc *d = NULL;
		const char *tag = xcap_errtag_name((enum xcap_errtag)i);
		bool ok;

		CHECK_INT(t, render((enum xcap_errtag)i, &b), MCX_OK);
		ok = !xmldoc_index(&d, b.p, b.len, NULL, NULL, 0) && d->nels >= 2 &&
		     !strcmp(xmldoc_ns(d, d->els[0].ns), "urn:ietf:params:xml:ns:xcap-error") &&
		     pl_eqs(d->els[0].qname, "xcap-error") && pl_eqs(d->els[1].qname, tag) &&
		     xml_utf8_ok(b.p, b.len);
		if (!ok)
			test_fail(t, __FILE__, __LINE__, "%s body:\n%s", tag, b.p);
		xmldoc_free(d);
		buf_reset(&b);
		if (!ok)
			return;
	}
}

static void error_body_details(struct test_ctx *t)
{
	struct mcx_buf b;

	CHECK_INT(t, render(XE_NO_PARENT, &b), MCX_OK);
	CHECK(t, strstr(b.p, "<no-parent "
			"phrase=\"bad &quot;x&quot; &amp; &lt;y&gt; &apos;z&apos;\">"
			"<ancestor>" DOC_URI "/~~/resource-lists/list%5b@name=%22a&amp;amp;%22%5d"
			"</ancestor></no-parent>") != NULL);
	buf_reset(&b);
	CHECK_INT(t, render(XE_UNIQUENESS, &b), MCX_OK);
	CHECK(t, strstr(b.p, "<exists field=\"resource-lists/list/entry/@uri\">"
			"<alt-value>sip:a1@x</alt-value><alt-value>sip:&lt;a2&gt;@x</alt-value>"
			"</exists></uniqueness-failure>") != NULL);
	buf_reset(&b);
}

static void error_body_valid_own_schema(struct test_ctx *t)
{
	all_valid(t, "schemas/xcap-error.xsd");
}

static void error_body_valid_ietf_schema(struct test_ctx *t)
{
	const char *dir = test_spec_dir();
	char path[512];

	if (!dir) {
		printf("     (skipped: no spec folder)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/ietf/xcap-error.xsd", dir);
	all_valid(t, path);
}

/* Out of memory anywhere (index, selector, fragment check, output) is a
 * clean 500 or MCX_ENOMEM, never another status and never a leak. */
static void ops_oom(struct test_ctx *t)
{
	static const char sel[] = "resource-lists/list[1]/entry[@uri=\"sip:c@x\"]";
	struct op o;
	enum mcx_err err;
	int rc;

	memset(&o, 0, sizeof(o));
	buf_init(&o.out, 1 << 20);
	err = xmldoc_index(&o.d, DOC, strlen(DOC), NULL, NULL, 0);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	err = xsel_parse(&o.s, sel, strlen(sel), 0, NULL, 0);
	if (err)
		xmldoc_free(o.d);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	rc = xcap_node_put(o.d, &o.s, &OPC, "<entry uri=\"sip:c@x\"/>", 22, &o.out, &o.st);
	if (t->in_oom && rc == 500) {
		op_end(&o);
		return;
	}
	CHECK_INT(t, rc, 201);
	buf_reset(&o.out);
	rc = xcap_node_delete(o.d, &o.s, &OPC, &o.out, &o.st);
	CHECK_INT(t, rc, 404);
	op_end(&o);
}

const struct test tests_ops[] = {
	{ "ops_put_replace_element", ops_put_replace_element, false },
	{ "ops_put_insert_after_sibling_before_whitespace",
	  ops_put_insert_after_sibling_before_whitespace, false },
	{ "ops_put_insert_after_last_same_name", ops_put_insert_after_last_same_name, false },
	{ "ops_put_insert_into_element_without_children",
	  ops_put_insert_into_element_without_children, false },
	{ "ops_put_insert_into_self_closing_parent", ops_put_insert_into_self_closing_parent,
	  false },
	{ "ops_put_position_first_goes_before_first_sibling",
	  ops_put_position_first_goes_before_first_sibling, false },
	{ "ops_put_position_third_goes_after_second", ops_put_position_third_goes_after_second,
	  false },
	{ "ops_put_position_too_few_siblings", ops_put_position_too_few_siblings, false },
	{ "ops_put_second_root_refused", ops_put_second_root_refused, false },
	{ "ops_put_ambiguous_selector_refused", ops_put_ambiguous_selector_refused, false },
	{ "ops_put_no_parent_ancestor", ops_put_no_parent_ancestor, false },
	{ "ops_put_unbound_prefix", ops_put_unbound_prefix, false },
	{ "ops_not_xml_frag", ops_not_xml_frag, false },
	{ "ops_not_utf8_body", ops_not_utf8_body, false },
	{ "ops_verify_put_attr_predicate_mismatch", ops_verify_put_attr_predicate_mismatch, false },
	{ "ops_verify_delete_position_shift", ops_verify_delete_position_shift, false },
	{ "ops_delete_element", ops_delete_element, false },
	{ "ops_delete_root_refused", ops_delete_root_refused, false },
	{ "ops_delete_missing", ops_delete_missing, false },
	{ "ops_put_attr_create_appends_after_last", ops_put_attr_create_appends_after_last, false },
	{ "ops_put_attr_create_prefixed", ops_put_attr_create_prefixed, false },
	{ "ops_put_attr_replace_keeps_quote", ops_put_attr_replace_keeps_quote, false },
	{ "ops_put_attr_replace_switches_quote", ops_put_attr_replace_switches_quote, false },
	{ "ops_delete_attr_with_preceding_whitespace", ops_delete_attr_with_preceding_whitespace,
	  false },
	{ "ops_put_attr_no_parent", ops_put_attr_no_parent, false },
	{ "ops_not_xml_att_value", ops_not_xml_att_value, false },
	{ "ops_put_attr_xmlns_refused", ops_put_attr_xmlns_refused, false },
	{ "ops_get_element_and_attribute", ops_get_element_and_attribute, false },
	{ "ops_get_namespace_bindings", ops_get_namespace_bindings, false },
	{ "ops_get_namespace_bindings_undeclared_default",
	  ops_get_namespace_bindings_undeclared_default, false },
	{ "ops_put_result_too_large", ops_put_result_too_large, false },
	{ "ops_trim", ops_trim, false },
	{ "ops_oom", ops_oom, true },
	{ "error_body_well_formed", error_body_well_formed, false },
	{ "error_body_details", error_body_details, false },
	{ "error_body_valid_own_schema", error_body_valid_own_schema, false },
	{ "error_body_valid_ietf_schema", error_body_valid_ietf_schema, false },
	{ NULL, NULL, false }
};
