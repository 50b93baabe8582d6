/* Unit tests: RFC 5261 patch operations. patch_apply on a fixed document —
 * every case compares the WHOLE resulting document — and its RFC 5261
 * errors; patch_diff on pairs of documents (synthetic, resource-lists, the
 * MCPTT demo documents edited as an administrator would), where the contract
 * is apply(prev, diff(prev, next)) == next byte for byte and small edits give
 * small patches; a randomized property test over mutated documents. */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#include "test.h"
#include "core/mem.h"
#include "patch/patch.h"
#include "xcap/usage.h"
#include "xcap/xmldoc.h"

#define NSD "urn:ietf:params:xml:ns:xcap-diff"
#define NS "xmlns:r=\"urn:r\" xmlns:d=\"urn:d\""

#define A_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- top -->\n"
#define A_ROOT "<r:root xmlns:r=\"urn:r\" xmlns=\"urn:d\" a=\"1\">"
#define A_I1 "<item id=\"x\">one</item>"
#define A_I2 "<item id=\"y\" b='2'/>"
#define A_SUB "<r:sub>text<b>bold</b>tail</r:sub>"
#define A_DOC A_HEAD A_ROOT "\n  " A_I1 "\n  " A_I2 "\n  <!-- c1 -->\n  <?pi data?>\n  " \
	A_SUB "\n</r:root>\n"

#define B_DOC "<config version=\"2\">\n  <!-- settings -->\n  <group name=\"a\">\n" \
	"    <item key=\"k1\">v1</item>\n    <item key=\"k2\"><![CDATA[x < y]]></item>\n" \
	"    <empty/>\n  </group>\n  <group name=\"b\" flag='yes'>mixed <b>bold</b> text</group>\n" \
	"</config>\n"

/* A_DOC with "from" replaced by "to" (once), into a malloc'd string. */
static char *edit(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	size_t pre, fl = strlen(from), tl = strlen(to), dl = strlen(doc);
	char *s;

	if (!at)
		return NULL;
	pre = (size_t)(at - doc);
	s = malloc(dl - fl + tl + 1);
	if (!s)
		return NULL;
	memcpy(s, doc, pre);
	memcpy(s + pre, to, tl);
	memcpy(s + pre + tl, at + fl, dl - pre - fl + 1);
	return s;
}

struct acase {
	const char *ops;
	const char *from, *to;    /* expected: A_DOC with from replaced by to */
};

static const struct acase APPLY[] = {
	/* add: append, prepend, before, after; content namespaces */
	{ "<add sel=\"r:root/r:sub\" " NS "><d:x/></add>", "tail</r:sub>", "tail<d:x xmlns:d=\"urn:d\"/></r:sub>" },
	{ "<add sel=\"r:root/r:sub\" " NS "><x/></add>", "tail</r:sub>",
	  "tail<x xmlns=\"" NSD "\"/></r:sub>" },
	{ "<x:add xmlns:x=\"" NSD "\" xmlns=\"urn:d\" xmlns:r=\"urn:r\" sel=\"r:root/item[1]\" "
	  "pos=\"after\">\n  <item id=\"z\"/></x:add>", A_I1, A_I1 "\n  <item id=\"z\"/>" },
	{ "<add sel=\"/r:root/r:sub\" pos=\"prepend\" " NS ">pre</add>", "<r:sub>text", "<r:sub>pretext" },
	{ "<add sel=\"r:root/r:sub/text()[2]\" pos=\"before\" " NS "><!--c--></add>", "</b>tail",
	  "</b><!--c-->tail" },
	{ "<add sel=\"r:root/comment()\" pos=\"after\" " NS "><?p q?></add>", "<!-- c1 -->",
	  "<!-- c1 --><?p q?>" },
	{ "<add sel=\"r:root/d:item[2]\" " NS ">in</add>", A_I2, "<item id=\"y\" b='2'>in</item>" },
	{ "<add sel=\"r:root\" pos=\"before\" " NS "><!-- b -->\n</add>", "\n<r:root",
	  "\n<!-- b -->\n<r:root" },
	{ "<add sel=\"r:root\" pos=\"after\" " NS ">\n<?end?></add>", "</r:root>", "</r:root>\n<?end?>" },
	/* add: attributes and namespaces */
	{ "<add sel=\"r:root/d:item[2]\" type=\"@c\" " NS ">3</add>", A_I2,
	  "<item id=\"y\" b='2' c=\"3\"/>" },
	{ "<add sel=\"r:root/d:item[2]\" type=\"@c\" " NS ">say \"hi\"\t&amp;</add>", A_I2,
	  "<item id=\"y\" b='2' c='say \"hi\"&#9;&amp;'/>" },
	{ "<add sel=\"r:root/d:item[1]\" type=\"@z:q\" xmlns:z=\"urn:r\" " NS ">v</add>",
	  "<item id=\"x\">", "<item id=\"x\" r:q=\"v\">" },
	{ "<add sel=\"r:root/d:item[1]\" type=\"@z:q\" xmlns:z=\"urn:new\" " NS ">v</add>",
	  "<item id=\"x\">", "<item id=\"x\" xmlns:z=\"urn:new\" z:q=\"v\">" },
	{ "<add sel=\"r:root/d:item[1]\" type=\"namespace::n\" " NS ">urn:n</add>",
	  "<item id=\"x\">", "<item id=\"x\" xmlns:n=\"urn:n\">" },
	/* replace */
	{ "<replace sel=\"r:root/d:item[1]\" " NS "><d:item id=\"w\">new</d:item></replace>", A_I1,
	  "<d:item xmlns:d=\"urn:d\" id=\"w\">new</d:item>" },
	{ "<x:replace sel=\"r:root/d:item[1]\" xmlns:x=\"" NSD "\" xmlns=\"urn:d\" " NS ">"
	  "<item id=\"w\"/></x:replace>", A_I1, "<item id=\"w\"/>" },
	{ "<replace sel=\"r:root/@a\" xmlns=\"urn:other\" " NS ">9</replace>", "", "" },
	{ "<replace sel=\"r:root/@a\" " NS ">9</replace>", "a=\"1\"", "a=\"9\"" },
	{ "<replace sel=\"r:root/@a\" " NS ">x\"y</replace>", "a=\"1\"", "a='x\"y'" },
	{ "<replace sel=\"r:root/d:item[2]/@b\" " NS "></replace>", "b='2'", "b=''" },
	{ "<replace sel=\"r:root/r:sub/text()[2]\" " NS ">TAIL</replace>", ">tail<", ">TAIL<" },
	{ "<replace sel=\"r:root/comment()\" " NS "><!-- c2 --></replace>", "<!-- c1 -->",
	  "<!-- c2 -->" },
	{ "<replace sel=\"r:root/processing-instruction('pi')\" " NS "><?pi other?></replace>",
	  "<?pi data?>", "<?pi other?>" },
	{ "<replace sel=\"r:root/namespace::r\" " NS ">urn:r2</replace>", "xmlns:r=\"urn:r\"",
	  "xmlns:r=\"urn:r2\"" },
	/* remove */
	{ "<remove sel=\"r:root/d:item[@id='y']\" ws=\"before\" " NS "/>", "\n  " A_I2, "" },
	{ "<remove sel=\"r:root/d:item[@id=&quot;y&quot;]\" ws=\"after\" " NS "/>", A_I2 "\n  ", "" },
	{ "<remove sel=\"r:root/d:item[2]\" ws=\"both\" " NS "/>", "\n  " A_I2 "\n  ", "" },
	{ "<remove sel=\"r:root/d:item[2]\" " NS "/>", A_I2, "" },
	{ "<remove sel=\"r:root/d:item[2]/@b\" " NS "/>", " b='2'", "" },
	{ "<remove sel=\"r:root/r:sub/text()[1]\" " NS "/>", "<r:sub>text", "<r:sub>" },
	{ "<remove sel=\"/comment()\" " NS "/>", "<!-- top -->", "" },
	{ "<remove sel=\"r:root/processing-instruction()\" ws=\"before\" " NS "/>", "\n  <?pi data?>", "" },
	{ "<add sel=\"r:root/d:item[1]\" type=\"namespace::n\" " NS ">urn:n</add>"
	  "<remove sel=\"r:root/d:item[1]/namespace::n\" " NS "/>", "", "" },
	/* predicates, containers, several operations */
	{ "<replace sel=\"r:root/d:item[.='one']/@id\" " NS ">q</replace>", "id=\"x\"", "id=\"q\"" },
	{ "<x:replace sel=\"r:root[d:item='one']/*[3]/b/text()\" xmlns:x=\"" NSD "\" "
	  NS " xmlns=\"urn:d\">B</x:replace>", "bold", "B" },
	{ "<diff xmlns:r=\"urn:r\"><replace sel=\"r:root/@a\">5</replace>\n</diff>", "a=\"1\"", "a=\"5\"" },
	{ "<diff xmlns=\"urn:x\" xmlns:r=\"urn:r\"><replace sel=\"r:root/@a\">5</replace></diff>",
	  "a=\"1\"", "a=\"5\"" },
	{ "<document sel=\"rl/users/u/index\" xmlns=\"" NSD "\"><replace sel=\"r:root/@a\" "
	  "xmlns:r=\"urn:r\">6</replace><body-not-changed/></document>", "a=\"1\"", "a=\"6\"" },
	{ "\n<!-- ops -->\n<replace sel=\"r:root/@a\" " NS ">7</replace>\n"
	  "<remove sel=\"r:root/@a\" " NS "/><foo:bar xmlns:foo=\"urn:ext\"/>", " a=\"1\"", "" },
};

static void t_apply(struct test_ctx *t)
{
	struct mcx_buf out;
	struct patch_status st;
	size_t i;

	for (i = 0; i < sizeof(APPLY) / sizeof(APPLY[0]); i++) {
		const struct acase *c = &APPLY[i];
		char *want = edit(A_DOC, c->from, c->to);
		enum mcx_err err;

		CHECK(t, want != NULL);
		buf_init(&out, 1 << 16);
		err = patch_apply(A_DOC, strlen(A_DOC), c->ops, strlen(c->ops), NULL, &out, &st);
		if (err || out.len != strlen(want) || memcmp(out.p, want, out.len)) {
			test_fail(t, __FILE__, __LINE__, "case %zu: %s (%s: %s)\n got  %s\n want %s", i,
				  mcx_strerror(err), patch_error_name(st.code), st.detail,
				  out.p ? out.p : "", want);
			buf_reset(&out);
			free(want);
			return;
		}
		buf_reset(&out);
		free(want);
	}
}

struct ecase {
	const char *doc;          /* NULL: A_DOC */
	const char *ops;
	enum patch_error code;
};

static const struct ecase ERRORS[] = {
	{ NULL, "<replace sel=\"r:root/d:item[5]\" " NS "><d:x/></replace>", PATCH_E_UNLOCATED_NODE },
	{ NULL, "<remove sel=\"r:root/d:item\" " NS "/>", PATCH_E_UNLOCATED_NODE },
	{ NULL, "<remove sel=\"r:root/item[1]\" " NS "/>", PATCH_E_UNLOCATED_NODE },
	{ NULL, "<remove sel=\"r:root/@zz\" " NS "/>", PATCH_E_UNLOCATED_NODE },
	{ NULL, "<remove sel=\"r:root\" " NS "/>", PATCH_E_INVALID_ROOT_ELEMENT_OPERATION },
	{ NULL, "<add sel=\"r:root\" pos=\"after\" " NS "><d:x/></add>",
	  PATCH_E_INVALID_ROOT_ELEMENT_OPERATION },
	{ NULL, "<add sel=\"r:root\" pos=\"before\" " NS ">text</add>",
	  PATCH_E_INVALID_XML_PROLOG_OPERATION },
	{ NULL, "<remove sel=\"q:root\"/>", PATCH_E_INVALID_NAMESPACE_PREFIX },
	{ NULL, "<add sel=\"r:root\" type=\"@q:x\" " NS ">1</add>", PATCH_E_INVALID_NAMESPACE_PREFIX },
	{ NULL, "<remove sel=\"r:root/namespace::r\" " NS "/>", PATCH_E_INVALID_NAMESPACE_PREFIX },
	{ NULL, "<add sel=\"r:root\" type=\"namespace::r\" " NS ">urn:x</add>",
	  PATCH_E_INVALID_NAMESPACE_PREFIX },
	{ NULL, "<add sel=\"r:root\" type=\"namespace::n\" " NS "></add>", PATCH_E_INVALID_NAMESPACE_URI },
	{ NULL, "<replace sel=\"r:root/namespace::r\" " NS "/>", PATCH_E_INVALID_NAMESPACE_URI },
	{ NULL, "<replace sel=\"r:root/d:item[1]\" " NS ">text</replace>", PATCH_E_INVALID_NODE_TYPES },
	{ NULL, "<replace sel=\"r:root/d:item[1]\" " NS "><d:a/><d:b/></replace>",
	  PATCH_E_INVALID_NODE_TYPES },
	{ NULL, "<replace sel=\"r:root/@a\" " NS "><d:a/></replace>", PATCH_E_INVALID_NODE_TYPES },
	{ NULL, "<replace sel=\"r:root/comment()\" " NS ">x</replace>", PATCH_E_INVALID_NODE_TYPES },
	{ NULL, "<add sel=\"r:root/@a\" " NS ">x</add>", PATCH_E_INVALID_NODE_TYPES },
	{ NULL, "<add sel=\"r:root/r:sub/text()[1]\" " NS ">x</add>", PATCH_E_INVALID_NODE_TYPES },
	{ NULL, "<add sel=\"r:root\" type=\"@a\" " NS ">2</add>", PATCH_E_INVALID_ATTRIBUTE_VALUE },
	{ NULL, "<replace sel=\"r:root/@a\" " NS ">&foo;</replace>",
	  PATCH_E_INVALID_ENTITY_DECLARATION },
	{ NULL, "<add sel=\"r:root\" " NS "><d:x a=\"&bar;\"/></add>",
	  PATCH_E_INVALID_ENTITY_DECLARATION },
	{ NULL, "<remove sel=\"r:root/r:sub/d:b\" ws=\"before\" " NS "/>",
	  PATCH_E_INVALID_WHITESPACE_DIRECTIVE },
	{ NULL, "<remove sel=\"r:root/r:sub/d:b\" ws=\"after\" " NS "/>",
	  PATCH_E_INVALID_WHITESPACE_DIRECTIVE },
	{ NULL, "<remove sel=\"r:root/@a\" ws=\"before\" " NS "/>", PATCH_E_INVALID_WHITESPACE_DIRECTIVE },
	{ NULL, "<remove sel=\"/comment()\" ws=\"after\" " NS "/>", PATCH_E_INVALID_WHITESPACE_DIRECTIVE },
	{ NULL, "<remove sel=\"id('x')\"/>", PATCH_E_UNSUPPORTED_ID_FUNCTION },
	{ NULL, "<move sel=\"r:root\" " NS "/>", PATCH_E_INVALID_PATCH_DIRECTIVE },
	{ NULL, "<add sel=\"r:root\" pos=\"before\" type=\"@x\" " NS ">1</add>",
	  PATCH_E_INVALID_PATCH_DIRECTIVE },
	{ NULL, "<add sel=\"r:root\"", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<add pos=\"before\"/>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<add sel=\"r:root\" pos=\"inside\" " NS "/>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "junk<remove sel=\"r:root/@a\" " NS "/>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<remove sel=\"r:root//d:item\" " NS "/>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<remove sel=\"r:root/text()/x\" " NS "/>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<remove sel=\"r:root/d:item[0]\" " NS "/>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<remove sel=\"r:root/@a\" " NS ">x</remove>", PATCH_E_INVALID_DIFF_FORMAT },
	{ NULL, "<add sel=\"r:root\" type=\"@xmlns\" " NS ">x</add>", PATCH_E_INVALID_DIFF_FORMAT },
	{ "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", "<remove sel=\"a/@b\"/>",
	  PATCH_E_INVALID_CHARACTER_SET },
	{ NULL, "<replace sel=\"r:root/@a\" " NS ">\xff</replace>", PATCH_E_INVALID_CHARACTER_SET },
	{ "<a><b></a>", "<remove sel=\"a\"/>", PATCH_E_TARGET },
};

static void t_apply_errors(struct test_ctx *t)
{
	struct mcx_buf out;
	struct patch_status st;
	size_t i;

	for (i = 0; i < sizeof(ERRORS) / sizeof(ERRORS[0]); i++) {
		const struct ecase *c = &ERRORS[i];
		const char *doc = c->doc ? c->doc : A_DOC;
		enum mcx_err err;

		buf_init(&out, 1 << 16);
		err = patch_apply(doc, strlen(doc), c->ops, strlen(c->ops), NULL, &out, &st);
		if (err != MCX_EINVAL || st.code != c->code || out.len || !st.detail[0]) {
			test_fail(t, __FILE__, __LINE__, "case %zu: %s, %s (%s), expected %s", i,
				  mcx_strerror(err), patch_error_name(st.code), st.detail,
				  patch_error_name(c->code));
			buf_reset(&out);
			return;
		}
		buf_reset(&out);
	}
}

/* Two operations fail at the second: the status says which. */
static void t_apply_status(struct test_ctx *t)
{
	static const char ops[] = "<replace sel=\"r:root/@a\" " NS ">2</replace>"
				  "<remove sel=\"r:root/d:zz\" " NS "/>";
	struct mcx_buf out;
	struct patch_status st;
	struct patch_opts o = { .max_ops = 1 };

	buf_init(&out, 1 << 16);
	CHECK_INT(t, patch_apply(A_DOC, strlen(A_DOC), ops, strlen(ops), NULL, &out, &st), MCX_EINVAL);
	CHECK_INT(t, st.op, 2);
	CHECK_STR(t, patch_error_name(st.code), "unlocated-node");
	CHECK_INT(t, out.len, 0);
	CHECK_INT(t, patch_apply(A_DOC, strlen(A_DOC), ops, strlen(ops), &o, &out, &st), MCX_ELIMIT);
	o.max_ops = 0;
	o.max_doc = 64;
	CHECK_INT(t, patch_apply(A_DOC, strlen(A_DOC), ops, strlen(ops), &o, &out, &st), MCX_ELIMIT);
	CHECK_INT(t, st.code, PATCH_E_TARGET);
	buf_reset(&out);
}

/* The caller's namespace context (from <xcap-diff>) binds the prefixes. */
static void t_apply_context(struct test_ctx *t)
{
	static const struct patch_nsbind binds[] = {
		{ "d", NSD }, { "r", "urn:r" }, { "", "urn:d" },
	};
	static const char ops[] = "<d:add sel=\"r:root/item[1]\" type=\"@n\">1</d:add>";
	struct patch_opts o = { .binds = binds, .nbinds = 3 };
	struct mcx_buf out;
	struct patch_status st;
	char *want = edit(A_DOC, "<item id=\"x\">", "<item id=\"x\" n=\"1\">");

	CHECK(t, want != NULL);
	buf_init(&out, 1 << 16);
	CHECK_INT(t, patch_apply(A_DOC, strlen(A_DOC), ops, strlen(ops), &o, &out, &st), MCX_OK);
	CHECK_STR(t, out.p, want);
	buf_reset(&out);
	free(want);
}

/* ---- diff ---- */

/* diff, then apply: exactly next. Returns the patch length or -1. */
static long roundtrip(struct test_ctx *t, const char *prev, size_t plen, const char *next,
		      size_t nlen, const struct patch_opts *o, char *show, size_t showlen)
{
	struct mcx_buf patch, res;
	struct patch_status st;
	enum mcx_err err;
	long n = -1;

	buf_init(&patch, 1 << 20);
	buf_init(&res, 1 << 22);
	err = patch_diff(prev, plen, next, nlen, o, &patch, &st);
	if (err) {
		test_fail(t, __FILE__, __LINE__, "diff: %s (%s)", mcx_strerror(err), st.detail);
	} else {
		err = patch_apply(prev, plen, patch.p ? patch.p : "", patch.len, NULL, &res, &st);
		if (err || res.len != nlen || memcmp(res.p ? res.p : "", next, nlen))
			test_fail(t, __FILE__, __LINE__, "apply: %s %s (%s)\n%s", mcx_strerror(err),
				  patch_error_name(st.code), st.detail, patch.p ? patch.p : "");
		else
			n = (long)patch.len;
	}
	if (show && showlen)
		snprintf(show, showlen, "%s", patch.p ? patch.p : "");
	buf_reset(&patch);
	buf_reset(&res);
	return n;
}

struct dcase {
	const char *prev, *next;
	long max;                 /* patch bytes at most */
};

#define RL_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
#define RL_E(u) "    <entry uri=\"sip:" u "@x\"><display-name>" u "</display-name></entry>\n"
#define RL_L(n, body) "  <list name=\"" n "\">\n" body "  </list>\n"
#define RL(body) RL_HEAD body "</resource-lists>\n"

static const struct dcase DIFFS[] = {
	/* resource lists: entries and lists added, removed, reordered, edited */
	{ RL(RL_L("a", RL_E("b") RL_E("c"))), RL(RL_L("a", RL_E("b") RL_E("c") RL_E("d"))), 260 },
	{ RL(RL_L("a", RL_E("b") RL_E("c"))), RL(RL_L("a", RL_E("d") RL_E("b") RL_E("c"))), 260 },
	{ RL(RL_L("a", RL_E("b") RL_E("c") RL_E("d"))), RL(RL_L("a", RL_E("b") RL_E("d"))), 160 },
	{ RL(RL_L("a", RL_E("b") RL_E("c") RL_E("d"))), RL(RL_L("a", RL_E("d") RL_E("b") RL_E("c"))), 400 },
	{ RL(RL_L("a", RL_E("b"))), RL(RL_L("a", RL_E("b")) RL_L("z", RL_E("y"))), 300 },
	{ RL(RL_L("a", RL_E("b")) RL_L("z", RL_E("y"))), RL(RL_L("z", RL_E("y"))), 160 },
	{ RL(RL_L("a", RL_E("b") RL_E("c"))), RL(RL_L("a", RL_E("b") RL_E("C"))), 300 },
	{ RL(RL_L("a", RL_E("b"))), RL(RL_L("a", "")), 160 },
	{ RL(RL_L("a", "")), RL(RL_L("a", RL_E("b"))), 260 },
	{ RL(RL_L("a", RL_E("b"))), RL(RL_L("renamed", RL_E("b"))), 160 },
	/* attributes: add, change, remove, quotes kept */
	{ "<a x=\"1\" y='2'/>", "<a x=\"1\" y='3'/>", 80 },
	{ "<a x=\"1\" y='2'/>", "<a x=\"1\"/>", 80 },
	{ "<a x=\"1\"/>", "<a x=\"1\" z=\"9\"/>", 80 },
	{ "<a x=\"1\"/>", "<a x=\"it's\"/>", 80 },
	{ "<a x='1'/>", "<a x='say \"x\"'/>", 80 },
	{ "<a><b x=\"1\"/></a>", "<a><b x='1'/></a>", 120 },
	{ "<a><b x=\"1\" y=\"2\"/></a>", "<a><b y=\"2\" x=\"1\"/></a>", 120 },
	{ "<a x=\"1\"/>", "<a x='2'/>", -1 },
	{ "<a xml:lang=\"en\"/>", "<a xml:lang=\"fr\"/>", 80 },
	/* text, comments, whitespace, empty elements */
	{ "<a><b>one</b></a>", "<a><b>two</b></a>", 80 },
	{ "<a><b>one</b></a>", "<a><b></b></a>", 80 },
	{ "<a><b></b></a>", "<a><b>x</b></a>", 80 },
	{ "<a><b/></a>", "<a><b>x</b></a>", 80 },
	{ "<a><b>x</b></a>", "<a><b/></a>", 100 },
	{ "<a><b/><c/></a>", "<a><b/><!-- note --><c/></a>", 100 },
	{ "<a><!-- x --><b/></a>", "<a><b/></a>", 80 },
	{ "<a><!-- x --><b/></a>", "<a><!-- y --><b/></a>", 80 },
	{ "<a>\n  <b/>\n  <c/>\n</a>", "<a>\n    <b/>\n    <c/>\n</a>", 200 },
	{ "<a>\n  <b/>\n  <c/>\n</a>", "<a><b/><c/></a>", 200 },
	{ "<a>t1<b/>t2<c/>t3</a>", "<a>t1<c/>t3</a>", 120 },
	{ "<a>t1<b/>t2<c/>t3</a>", "<a>x<d/>y<b/>t2<c/>t3</a>", 160 },
	{ "<a>t1<b/>t2</a>", "<a>t1<b/>t2<c/>t3</a>", 120 },
	{ "<a><?p x?><b/></a>", "<a><?p y?><b/></a>", 80 },
	{ "<a><b>x</b></a>", "<a><b>x</b ></a>", 120 },
	{ "<a><b/></a>", "<a><b>x</b\n></a>", 120 },
	{ "<a><b>x</b></a>", "<a><b>x<![CDATA[y]]></b></a>", 200 },
	{ "<a>x<![CDATA[y]]>z<b/></a>", "<a>x<![CDATA[y]]>z<b/>w</a>", 200 },
	{ "<a>&amp;&#60;</a>", "<a>&lt;&#x3E;</a>", 80 },
	/* namespaces: prefixes, defaults, no namespace, declarations */
	{ "<p:a xmlns:p=\"urn:p\"><p:b x=\"1\"/></p:a>", "<p:a xmlns:p=\"urn:p\"><p:b x=\"2\"/></p:a>", 120 },
	{ "<a xmlns=\"urn:d\" xmlns:q=\"urn:q\"><b/></a>",
	  "<a xmlns=\"urn:d\" xmlns:q=\"urn:q\"><b/><q:c q:t=\"1\"><d/></q:c></a>", 260 },
	{ "<a xmlns=\"urn:d\"><b xmlns=\"\"><c/></b></a>", "<a xmlns=\"urn:d\"><b xmlns=\"\"><c x=\"1\"/></b></a>", 120 },
	{ "<a xmlns:q=\"urn:q\"><b/></a>", "<a xmlns:q=\"urn:q\"><b q:z=\"1\"/></a>", 120 },
	{ "<a xmlns:q=\"urn:q\"><b/></a>", "<a xmlns:q=\"urn:q2\"><b/></a>", -1 },
	{ "<a><b/></a>", "<a><b xmlns:n=\"urn:n\"/></a>", 120 },
	{ "<a xmlns=\"urn:d\"><b/></a>", "<a xmlns=\"urn:d\"><b/><xd:c xmlns:xd=\"urn:x\"><d/></xd:c></a>", 300 },
	/* the root changes name: the whole element */
	{ "<a><b/></a>", "<z><b/></z>", -1 },
};

static void t_diff_pairs(struct test_ctx *t)
{
	struct patch_opts ex = { .ns_explicit = true };
	char show[2048];
	size_t i;
	long n;

	for (i = 0; i < sizeof(DIFFS) / sizeof(DIFFS[0]); i++) {
		const struct dcase *c = &DIFFS[i];

		n = roundtrip(t, c->prev, strlen(c->prev), c->next, strlen(c->next), NULL, show,
			      sizeof(show));
		if (t->failed) {
			size_t l = strlen(t->msg);

			snprintf(t->msg + l, sizeof(t->msg) - l, " (case %zu)", i);
			return;
		}
		if (c->max >= 0 && n > c->max) {
			test_fail(t, __FILE__, __LINE__, "case %zu: %ld bytes:\n%s", i, n, show);
			return;
		}
		n = roundtrip(t, c->prev, strlen(c->prev), c->next, strlen(c->next), &ex, NULL, 0);
		CHECK(t, n >= 0);
	}
}

/* What a diff of identical documents, an unchanged document and the cases
 * RFC 5261 can't say exactly give. */
static void t_diff_nopatch(struct test_ctx *t)
{
	static const struct { const char *p, *n; enum mcx_err err; } C[] = {
		{ "<a/>", "<a/>", MCX_OK },
		{ "<?xml version=\"1.0\"?><a/>", "<?xml version='1.0'?><a/>", MCX_EINVAL },
		{ "<!-- 1 --><a/>", "<!-- 2 --><a/>", MCX_EINVAL },
		{ "<a/>\n", "<a/>", MCX_EINVAL },
		{ "<a/>", "<a>", MCX_EINVAL },
		{ "<a", "<a/>", MCX_EINVAL },
		{ "<a><!-- x --></a>", "<a><!-->x--></a>", MCX_EINVAL },
		{ "<a>\xff</a>", "<a/>", MCX_EINVAL },
	};
	struct mcx_buf out;
	struct patch_status st;
	size_t i;

	for (i = 0; i < sizeof(C) / sizeof(C[0]); i++) {
		buf_init(&out, 1 << 16);
		CHECK_INT(t, patch_diff(C[i].p, strlen(C[i].p), C[i].n, strlen(C[i].n), NULL, &out,
					&st), C[i].err);
		CHECK_INT(t, out.len, 0);
		CHECK(t, C[i].err == MCX_OK || st.detail[0]);
		buf_reset(&out);
	}
}

/* A resource list of n entries of about 105 bytes (malloc'd); entry
 * `changed` (or every one at 7 mod `changed` when that is below 1000) gets
 * another index, and entries between `gone` and `gone + 9` are left out. */
static char *big_list3(unsigned n, unsigned changed, unsigned gone)
{
	size_t cap = 256 + (size_t)n * 160, len;
	char *s = malloc(cap);
	unsigned i;

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "%s  <list name=\"all\">\n", RL_HEAD);
	for (i = 0; i < n; i++) {
		bool ch = changed < 1000 ? i % changed == 7 : i == changed;

		if (i >= gone && i < gone + 10)
			continue;
		len += (size_t)snprintf(s + len, cap - len,
					"    <entry uri=\"sip:user%u@example.org\" index=\"%u\">"
					"<display-name>User number %u</display-name></entry>\n",
					i, ch ? 1000 + i : i, i);
	}
	snprintf(s + len, cap - len, "  </list>\n</resource-lists>\n");
	return s;
}

/* A resource list of n entries of about 105 bytes (malloc'd). */
static char *big_list(unsigned n, unsigned changed)
{
	return big_list3(n, changed, UINT32_MAX - 10);
}

/* Changes spread over a list too long for the LCS table: still one op each. */
static void t_diff_big_spread(struct test_ctx *t)
{
	char *a = big_list3(3000, 5000, UINT32_MAX - 10), *b = big_list3(3000, 300, 1500);
	long n;

	CHECK(t, a && b);
	n = roundtrip(t, a, strlen(a), b, strlen(b), NULL, NULL, 0);
	free(a);
	free(b);
	CHECK(t, n > 0);
	CHECK(t, n < 10 * 130 + 10 * 110);
}

/* One attribute changed in a 20 KB document: a small patch. */
static void t_diff_big(struct test_ctx *t)
{
	char *a = big_list(200, 1000), *b = big_list(200, 97);
	long n;

	CHECK(t, a && b);
	CHECK(t, strlen(a) > 20000);
	n = roundtrip(t, a, strlen(a), b, strlen(b), NULL, NULL, 0);
	free(a);
	free(b);
	CHECK(t, n > 0);
	CHECK(t, n < 300);
}

/* The patch size limit, and the op count limit, say "no patch". */
static void t_diff_limits(struct test_ctx *t)
{
	char *a = big_list(150, 1000), *b = big_list(150, 97);
	struct patch_opts o = { .max_patch = 100 };
	struct mcx_buf out;
	struct patch_status st;

	CHECK(t, a && b);
	buf_init(&out, 1 << 20);
	CHECK_INT(t, patch_diff(a, strlen(a), b, strlen(b), &o, &out, &st), MCX_ELIMIT);
	CHECK_INT(t, out.len, 0);
	o.max_patch = 0;
	o.max_doc = 1000;
	CHECK_INT(t, patch_diff(a, strlen(a), b, strlen(b), &o, &out, &st), MCX_ELIMIT);
	buf_reset(&out);
	free(a);
	free(b);
}

struct demo_edit {
	const char *file, *from, *to;
	long max;
};

static const struct demo_edit DEMO[] = {
	{ "alice-profile-0.xml", "dispatch-day", "dispatch-night", 200 },
	{ "alice-profile-0.xml", "Alice Martin</alias-entry>",
	  "Alice Martin</alias-entry>\n      <alias-entry index=\"1\" xml:lang=\"en\">Ali</alias-entry>",
	  300 },
	{ "alice-profile-0.xml", "<allow-private-call>true", "<allow-private-call>false", 250 },
	{ "alice-profile-0.xml", "<Pre-selected-indication/>\n  ", "", 200 },
	{ "group-fire.xml", "      <entry uri=\"sip:carol@example.org\">\n"
	  "        <mcpttgi:user-priority>100</mcpttgi:user-priority>\n"
	  "        <mcpttgi:participant-type>firefighter</mcpttgi:participant-type>\n"
	  "      </entry>\n", "", 200 },
	{ "group-fire.xml", "<display-name xml:lang=\"en\">Fire brigade",
	  "<display-name xml:lang=\"en\">Fire and rescue", 200 },
	{ "service-config.xml", "<hang-time>PT10S</hang-time>", "<hang-time>PT15S</hang-time>", 250 },
	{ "service-config.xml", "<T1-end-of-rtp-media>PT4S", "<T1-end-of-rtp-media>PT6S", 250 },
	{ "service-config.xml", "domain=\"example.org\"", "domain=\"example.net\"", 250 },
	{ "rl-alice.xml", "    <entry uri=\"sip:carol@example.org\">",
	  "    <entry uri=\"sip:dave@example.org\"/>\n    <entry uri=\"sip:carol@example.org\">", 250 },
	{ "ue1-config.xml", "<group-priority-hierarchy>5", "<group-priority-hierarchy>3", 250 },
	{ "ue1-config.xml", "        <MCPTT-Group-Priority index=\"1\">\n"
	  "          <MCPTT-Group-ID>sip:group-all@example.org</MCPTT-Group-ID>\n"
	  "          <group-priority-hierarchy>5</group-priority-hierarchy>\n"
	  "        </MCPTT-Group-Priority>\n", "", 200 },
};

static char *demo_edit(const struct demo_edit *e, const char **prev, size_t *plen)
{
	char name[128];

	snprintf(name, sizeof(name), "demo/%s", e->file);
	*prev = xcap_embedded(name, plen);
	return *prev ? edit(*prev, e->from, e->to) : NULL;
}

static void t_diff_demo(struct test_ctx *t)
{
	const char *sizes = getenv("MCX_PATCH_SIZES");
	char show[4096];
	size_t i, plen;

	for (i = 0; i < sizeof(DEMO) / sizeof(DEMO[0]); i++) {
		const char *prev;
		char *next = demo_edit(&DEMO[i], &prev, &plen);
		long n;

		CHECK(t, next != NULL);
		n = roundtrip(t, prev, plen, next, strlen(next), NULL, show, sizeof(show));
		free(next);
		if (t->failed)
			return;
		if (sizes)
			printf("  %s %s -> %ld bytes\n%s\n", DEMO[i].file, DEMO[i].to, n, show);
		if (n > DEMO[i].max) {
			test_fail(t, __FILE__, __LINE__, "edit %zu: %ld bytes\n%s", i, n, show);
			return;
		}
	}
}

/* ---- the property test ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

struct sdoc {
	char *p;
	size_t len;
};

/* s = s[0, from) + ins + s[to, len). */
static bool splice_doc(struct sdoc *s, size_t from, size_t to, const char *ins)
{
	size_t il = strlen(ins), nl = s->len - (to - from) + il;
	char *np = malloc(nl + 1);

	if (!np)
		return false;
	memcpy(np, s->p, from);
	memcpy(np + from, ins, il);
	memcpy(np + from + il, s->p + to, s->len - to);
	np[nl] = '\0';
	free(s->p);
	s->p = np;
	s->len = nl;
	return true;
}

static const char *const TOKENS[] = {
	"v", "x y", "a&amp;b", "", "sip:new@example.org", "PT20S", "true", "42", " spaced ",
	"&lt;tag&gt;", "\xc3\xa9t\xc3\xa9",
};

static const char *token(void)
{
	return TOKENS[rnd(sizeof(TOKENS) / sizeof(TOKENS[0]))];
}

/* A byte offset between two children of element e (or its content's ends). */
static size_t boundary(const struct xmldoc *d, uint32_t e)
{
	uint32_t ch, n = 0, k;

	for (ch = d->els[e].first_child; ch != XEL_NONE; ch = d->els[ch].next)
		n++;
	k = rnd(2 * n + 2);
	if (k == 0)
		return d->els[e].stag_end;
	if (k == 1)
		return d->els[e].etag_start;
	for (ch = d->els[e].first_child, k -= 2; k >= 2; k -= 2)
		ch = d->els[ch].next;
	return k ? d->els[ch].end : d->els[ch].start;
}

static uint32_t pick_attr(const struct xmldoc *d, uint32_t e)
{
	const struct xel *x = &d->els[e];
	uint32_t a;

	if (!x->nattr)
		return XEL_NONE;
	a = x->attr0 + rnd(x->nattr);
	return d->attrs[a].nsdecl ? XEL_NONE : a;
}

/* Move element src to a child boundary of element e (outside src). */
static bool move(struct sdoc *s, const struct xmldoc *d, uint32_t src, uint32_t e)
{
	const struct xel *x = &d->els[src];
	size_t b, l = x->end - x->start;
	char *tmp;
	bool ok;

	if (!src || d->els[e].empty)
		return false;
	b = boundary(d, e);
	if (b > x->start && b < x->end)
		return false;
	tmp = malloc(l + 1);
	if (!tmp)
		return false;
	memcpy(tmp, d->buf + x->start, l);
	tmp[l] = '\0';
	ok = splice_doc(s, x->start, x->end, "");
	if (ok)
		ok = splice_doc(s, b >= x->end ? b - l : b, b >= x->end ? b - l : b, tmp);
	free(tmp);
	return ok;
}

/* One random edit of an element, attribute or text (false: none made). */
static bool mutate_once(struct sdoc *s, const struct xmldoc *d)
{
	uint32_t e = rnd(d->nels), a, src = rnd(d->nels);
	const struct xel *x = &d->els[e];
	char tmp[512];

	switch (rnd(11)) {
	case 0:
		a = pick_attr(d, e);
		return a != XEL_NONE && splice_doc(s, (size_t)(d->attrs[a].raw.p - d->buf),
						    (size_t)(d->attrs[a].raw.p - d->buf) + d->attrs[a].raw.l, token());
	case 1:
		snprintf(tmp, sizeof(tmp), rnd(2) ? " n%u=\"%s\"" : " n%u='%s'", rnd(1000), token());
		a = x->nattr ? d->attrs[x->attr0 + x->nattr - 1].end :
			(uint32_t)(x->qname.p + x->qname.l - d->buf);
		return splice_doc(s, a, a, tmp);
	case 2:
		a = pick_attr(d, e);
		if (a == XEL_NONE)
			return false;
		for (src = d->attrs[a].off; src > 0 && d->buf[src - 1] == ' '; src--)
			;
		return splice_doc(s, src, d->attrs[a].end, "");
	case 3:
		return !x->empty && x->first_child == XEL_NONE &&
		       splice_doc(s, x->stag_end, x->etag_start, token());
	case 4:
		return e && splice_doc(s, x->start - (rnd(2) && d->buf[x->start - 1] == ' ' ? 1 : 0),
				       x->end, "");
	case 5:
		if (x->empty || !src || d->els[src].end - d->els[src].start >= sizeof(tmp) - 8)
			return false;
		snprintf(tmp, sizeof(tmp), "%s%.*s", rnd(2) ? "\n    " : "",
			 (int)(d->els[src].end - d->els[src].start), d->buf + d->els[src].start);
		a = (uint32_t)boundary(d, e);
		return splice_doc(s, a, a, tmp);
	case 6:
		return !x->empty && x->first_child != XEL_NONE &&
		       splice_doc(s, d->els[x->last_child].end, x->etag_start,
				  (const char *[]){ "", "\n", "\n  ", " \n\t" }[rnd(4)]);
	case 7:
		a = x->empty ? XEL_NONE : (uint32_t)boundary(d, e);
		return a != XEL_NONE && splice_doc(s, a, a, rnd(2) ? "<!-- note -->" : "\n  <?pi x?>");
	case 8:
		if (x->empty) {
			snprintf(tmp, sizeof(tmp), "></%.*s>", (int)x->qname.l, x->qname.p);
			return splice_doc(s, x->stag_end - 2, x->stag_end, tmp);
		}
		return x->etag_start == x->stag_end && splice_doc(s, x->stag_end - 1, x->end, "/>");
	case 9:
		a = x->empty ? XEL_NONE : (uint32_t)boundary(d, e);
		snprintf(tmp, sizeof(tmp), "<new-el k=\"%u\">%s</new-el>", rnd(9), token());
		return a != XEL_NONE && splice_doc(s, a, a, tmp);
	default:
		return move(s, d, src, e);
	}
}

static bool mutate(struct sdoc *s)
{
	struct xmldoc *d;
	struct sdoc keep;
	bool ok;

	if (xmldoc_index(&d, s->p, s->len, NULL, NULL, 0))
		return false;
	keep.len = s->len;
	keep.p = malloc(s->len + 1);
	if (!keep.p) {
		xmldoc_free(d);
		return false;
	}
	memcpy(keep.p, s->p, s->len + 1);
	ok = mutate_once(s, d);
	xmldoc_free(d);
	if (ok && !xmldoc_index(&d, s->p, s->len, NULL, NULL, 0)) {
		xmldoc_free(d);
		free(keep.p);
		return true;
	}
	free(s->p);
	*s = keep;
	return false;
}

static const char *const BASES[] = {
	"alice-profile-0.xml", "bob-profile-0.xml", "group-fire.xml", "group-all.xml",
	"rl-alice.xml", "rl-bob.xml", "service-config.xml", "ue-config-default.xml",
	"ue1-init-config.xml", "ue-init-config.xml",
};

/* Does the patch replace the whole root element (the coarsest fallback)? */
static bool root_replaced(const char *p)
{
	const char *r;

	for (r = strstr(p, "replace sel=\"/"); r; r = strstr(r + 1, "replace sel=\"/")) {
		const char *q = strchr(r + 14, '"');

		if (q && !memchr(r + 14, '/', (size_t)(q - r - 14)))
			return true;
	}
	return false;
}

struct pstats {
	unsigned runs, patched, nopatch, broken, maxlen, coarse;
	unsigned long total;
};

static void property_run(struct test_ctx *t, const struct patch_opts *o, struct pstats *ps)
{
	const char *base;
	char name[128];
	struct sdoc s;
	size_t blen;
	unsigned k, edits;
	struct mcx_buf patch, res;
	struct patch_status st;
	enum mcx_err err;

	snprintf(name, sizeof(name), "demo/%s", BASES[rnd(sizeof(BASES) / sizeof(BASES[0]))]);
	if (rng_state & 0x100) {
		base = rng_state & 0x200 ? A_DOC : B_DOC;
		blen = strlen(base);
	} else {
		base = xcap_embedded(name, &blen);
	}
	CHECK(t, base != NULL);
	s.p = malloc(blen + 1);
	CHECK(t, s.p != NULL);
	memcpy(s.p, base, blen);
	s.p[blen] = '\0';
	s.len = blen;
	for (k = edits = 0; k < 40 && edits < 1 + rnd(4); k++)
		edits += mutate(&s);
	buf_init(&patch, 1 << 20);
	buf_init(&res, 1 << 22);
	err = patch_diff(base, blen, s.p, s.len, o, &patch, &st);
	ps->runs++;
	if (err == MCX_OK) {
		ps->patched++;
		ps->maxlen = patch.len > ps->maxlen ? (unsigned)patch.len : ps->maxlen;
		ps->total += patch.len;
		ps->coarse += patch.p && root_replaced(patch.p);
		err = patch_apply(base, blen, patch.p ? patch.p : "", patch.len, NULL, &res, &st);
		if (err || res.len != s.len || memcmp(res.p ? res.p : "", s.p, s.len))
			ps->broken++;
	} else if (strstr(st.detail, "did not give")) {
		ps->broken++;
		if (getenv("MCX_PATCH_SIZES"))
			printf("BROKEN\n--- prev\n%s\n--- next\n%s\n", base, s.p);
		{ FILE *f = fopen("/tmp/pt/bp.xml", "wb"); fwrite(base, 1, blen, f); fclose(f);
		  f = fopen("/tmp/pt/bn.xml", "wb"); fwrite(s.p, 1, s.len, f); fclose(f); }
	} else {
		ps->nopatch++;
	}
	buf_reset(&patch);
	buf_reset(&res);
	free(s.p);
}

/* MCX_PATCH_ITERS and MCX_PATCH_SEED change the run; MCX_PATCH_SIZES prints
 * the figures (and a failing pair). */
static void t_property(struct test_ctx *t)
{
	struct patch_opts ex = { .ns_explicit = true };
	struct pstats ps;
	unsigned i;

	const char *it = getenv("MCX_PATCH_ITERS"), *seed = getenv("MCX_PATCH_SEED");
	unsigned iters = it ? (unsigned)strtoul(it, NULL, 10) : 500;

	memset(&ps, 0, sizeof(ps));
	rng_state = seed ? strtoull(seed, NULL, 0) | 1 : 0x9E3779B97F4A7C15ULL;
	for (i = 0; i < iters && !t->failed; i++)
		property_run(t, i % 5 == 4 ? &ex : NULL, &ps);
	if (getenv("MCX_PATCH_SIZES"))
		printf("  property: %u runs, %u patched (%u replacing the root), %u no patch, "
		       "%u broken; patches %lu bytes on average, %u at most\n", ps.runs, ps.patched,
		       ps.coarse, ps.nopatch, ps.broken, ps.patched ? ps.total / ps.patched : 0,
		       ps.maxlen);
	CHECK_INT(t, ps.broken, 0);
	CHECK(t, ps.nopatch * 50 <= ps.runs);   /* "no patch" stays rare: at most 2 % */
}

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* Is the patch, inside an xcap-diff <document>, valid against RFC 5874's
 * schema (which holds RFC 5261's selector patterns)? */
static bool xcapdiff_valid(xmlSchemaValidCtxtPtr vc, const char *patch, size_t len)
{
	static const char head[] = "<xcap-diff xmlns=\"" NSD "\" xcap-root=\"http://x/\">"
				   "<document sel=\"a/users/u/index\">";
	static const char tail[] = "</document></xcap-diff>";
	size_t n = sizeof(head) - 1 + len + sizeof(tail);
	char *doc = malloc(n);
	xmlDocPtr d;
	bool ok = false;

	if (!doc)
		return false;
	snprintf(doc, n, "%s%.*s%s", head, (int)len, patch, tail);
	d = xmlReadMemory(doc, (int)strlen(doc), "diff.xml", NULL, XML_PARSE_NONET);
	if (d)
		ok = xmlSchemaValidateDoc(vc, d) == 0;
	xmlFreeDoc(d);
	free(doc);
	return ok;
}

static bool diff_valid(struct test_ctx *t, xmlSchemaValidCtxtPtr vc, const char *prev,
		       size_t plen, const char *next, const struct patch_opts *o)
{
	struct mcx_buf patch;
	struct patch_status st;
	bool ok;

	buf_init(&patch, 1 << 20);
	ok = patch_diff(prev, plen, next, strlen(next), o, &patch, &st) == MCX_OK &&
	     xcapdiff_valid(vc, patch.p ? patch.p : "", patch.len);
	if (!ok)
		test_fail(t, __FILE__, __LINE__, "not valid: %s", patch.p ? patch.p : st.detail);
	buf_reset(&patch);
	return ok;
}

static void schema_cases(struct test_ctx *t, xmlSchemaValidCtxtPtr vc)
{
	struct patch_opts ex = { .ns_explicit = true };
	const char *prev;
	size_t i, plen;

	for (i = 0; i < sizeof(DIFFS) / sizeof(DIFFS[0]); i++)
		if (!diff_valid(t, vc, DIFFS[i].prev, strlen(DIFFS[i].prev), DIFFS[i].next,
				i % 2 ? &ex : NULL))
			return;
	for (i = 0; i < sizeof(DEMO) / sizeof(DEMO[0]); i++) {
		char *next = demo_edit(&DEMO[i], &prev, &plen);
		bool ok = next && diff_valid(t, vc, prev, plen, next, NULL);

		free(next);
		if (!ok)
			return;
	}
}

/* Schema files come from the spec folder's ietf/ (the library's own loader
 * refuses what is not embedded). */
static xmlParserInputPtr spec_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	const char *base = url ? strrchr(url, '/') : NULL;
	char path[640];

	(void)id;
	if (!url || !test_spec_dir())
		return NULL;
	snprintf(path, sizeof(path), "%s/ietf/%s", test_spec_dir(), base ? base + 1 : url);
	return xmlNewInputFromFile(ctxt, path);
}

/* The operations diff writes are valid RFC 5874 <document> content. */
static void t_diff_schema(struct test_ctx *t)
{
	const char *dir = test_spec_dir();
	char path[512];
	xmlExternalEntityLoader old;
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr sc = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;

	if (!dir) {
		printf("     (skipped: no spec folder)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/ietf/xcapdiff.xsd", dir);
	xmlSetGenericErrorFunc(NULL, silent);
	old = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(spec_loader);
	pc = xmlSchemaNewParserCtxt(path);
	if (pc) {
		xmlSchemaSetParserErrors(pc, silent, silent, NULL);
		sc = xmlSchemaParse(pc);
	}
	xmlSetExternalEntityLoader(old);
	if (sc)
		vc = xmlSchemaNewValidCtxt(sc);
	if (vc) {
		xmlSchemaSetValidErrors(vc, silent, silent, NULL);
		schema_cases(t, vc);
	} else {
		test_fail(t, __FILE__, __LINE__, "%s does not compile", path);
	}
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(sc);
	xmlSchemaFreeParserCtxt(pc);
	xmlSetGenericErrorFunc(NULL, NULL);
}

/* Allocation failures anywhere give MCX_ENOMEM and no leak. */
static void t_oom(struct test_ctx *t)
{
	static const char prev[] = RL(RL_L("a", RL_E("b") RL_E("c")));
	static const char next[] = RL(RL_L("a", RL_E("c") RL_E("d")));
	struct mcx_buf patch, res;
	struct patch_status st;
	enum mcx_err err;

	buf_init(&patch, 1 << 16);
	buf_init(&res, 1 << 16);
	err = patch_diff(prev, sizeof(prev) - 1, next, sizeof(next) - 1, NULL, &patch, &st);
	if (!err)
		err = patch_apply(prev, sizeof(prev) - 1, patch.p, patch.len, NULL, &res, &st);
	if (err == MCX_ENOMEM && t->in_oom) {
		buf_reset(&patch);
		buf_reset(&res);
		return;
	}
	CHECK_INT(t, err, MCX_OK);
	CHECK_MEM(t, res.p, res.len, next, sizeof(next) - 1);
	buf_reset(&patch);
	buf_reset(&res);
}

const struct test tests_patch[] = {
	{ "patch_apply_ops", t_apply, false },
	{ "patch_apply_errors", t_apply_errors, false },
	{ "patch_apply_status", t_apply_status, false },
	{ "patch_apply_context", t_apply_context, false },
	{ "patch_diff_pairs", t_diff_pairs, false },
	{ "patch_diff_nopatch", t_diff_nopatch, false },
	{ "patch_diff_big", t_diff_big, false },
	{ "patch_diff_big_spread", t_diff_big_spread, false },
	{ "patch_diff_limits", t_diff_limits, false },
	{ "patch_diff_demo", t_diff_demo, false },
	{ "patch_diff_schema", t_diff_schema, false },
	{ "patch_property", t_property, false },
	{ "patch_oom", t_oom, true },
	{ NULL, NULL, false },
};
