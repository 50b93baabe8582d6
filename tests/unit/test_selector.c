/* Unit tests: node selector parsing (steps, predicates, terminal attribute
 * and namespace selectors) and evaluation against an indexed document. */
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "xcap/selector.h"

static enum mcx_err sparse(struct xsel *s, const char *sel, uint32_t max_steps)
{
	char eb[160];

	return xsel_parse(s, sel, strlen(sel), max_steps, eb, sizeof(eb));
}

static bool step_is(const struct xsel_step *st, const char *prefix, const char *local)
{
	return pl_eqs(st->prefix, prefix) && pl_eqs(st->local, local);
}

/* ---- parsing ---- */

static void selector_parse_by_name(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "resource-lists/list", 0), MCX_OK);
	CHECK_INT(t, s.n, 2);
	CHECK_INT(t, s.term, XSEL_ELEMENT);
	CHECK(t, step_is(&s.steps[0], "", "resource-lists"));
	CHECK(t, step_is(&s.steps[1], "", "list"));
	CHECK(t, !s.steps[1].any && !s.steps[1].has_attr && s.steps[1].pos == 0);
	CHECK(t, pl_eqs(s.elem_part, "resource-lists/list"));
	xsel_free(&s);
}

static void selector_parse_prefixed_name(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "rl:resource-lists/rl:list", 0), MCX_OK);
	CHECK_INT(t, s.n, 2);
	CHECK(t, step_is(&s.steps[0], "rl", "resource-lists"));
	CHECK(t, step_is(&s.steps[1], "rl", "list"));
	xsel_free(&s);
}

static void selector_parse_any_and_position(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "*/*[2]/entry[13]", 0), MCX_OK);
	CHECK_INT(t, s.n, 3);
	CHECK(t, s.steps[0].any && s.steps[0].pos == 0);
	CHECK(t, s.steps[1].any);
	CHECK_INT(t, s.steps[1].pos, 2);
	CHECK(t, !s.steps[2].any);
	CHECK_INT(t, s.steps[2].pos, 13);
	xsel_free(&s);
}

static void selector_parse_attr_double_quotes(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "l/list[@name=\"fr'iends\"]", 0), MCX_OK);
	CHECK(t, s.steps[1].has_attr);
	CHECK(t, pl_eqs(s.steps[1].alocal, "name") && !s.steps[1].aprefix.l);
	CHECK_MEM(t, s.steps[1].aval, s.steps[1].avlen, "fr'iends", 8);
	xsel_free(&s);
}

static void selector_parse_attr_single_quotes(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "l/list[@p:name='fr\"iends']", 0), MCX_OK);
	CHECK(t, pl_eqs(s.steps[1].aprefix, "p") && pl_eqs(s.steps[1].alocal, "name"));
	CHECK_MEM(t, s.steps[1].aval, s.steps[1].avlen, "fr\"iends", 8);
	xsel_free(&s);
}

static void selector_parse_position_then_attr(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "l/entry[2][@uri=\"sip:x\"]", 0), MCX_OK);
	CHECK_INT(t, s.steps[1].pos, 2);
	CHECK(t, s.steps[1].has_attr);
	CHECK_MEM(t, s.steps[1].aval, s.steps[1].avlen, "sip:x", 5);
	xsel_free(&s);
}

static void selector_parse_entity_refs_in_value(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "l/e[@a=\"&quot;x&amp;y&#x41;&#66;&lt;&apos;\"]", 0), MCX_OK);
	CHECK_MEM(t, s.steps[1].aval, s.steps[1].avlen, "\"x&yAB<'", 8);
	xsel_free(&s);
}

static void selector_parse_slash_in_value(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "l/e[@u=\"http://h/a/b\"]/f", 0), MCX_OK);
	CHECK_INT(t, s.n, 3);
	CHECK_MEM(t, s.steps[1].aval, s.steps[1].avlen, "http://h/a/b", 12);
	CHECK(t, step_is(&s.steps[2], "", "f"));
	xsel_free(&s);
}

static void selector_parse_terminal_attr(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "a/b[1]/@id", 0), MCX_OK);
	CHECK_INT(t, s.term, XSEL_ATTR);
	CHECK_INT(t, s.n, 2);
	CHECK(t, !s.tprefix.l && pl_eqs(s.tlocal, "id"));
	CHECK(t, pl_eqs(s.elem_part, "a/b[1]"));
	xsel_free(&s);
}

static void selector_parse_terminal_prefixed_attr(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "a/@p:id", 0), MCX_OK);
	CHECK_INT(t, s.term, XSEL_ATTR);
	CHECK(t, pl_eqs(s.tprefix, "p") && pl_eqs(s.tlocal, "id"));
	xsel_free(&s);
}

static void selector_parse_namespace_axis(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "a/b/namespace::*", 0), MCX_OK);
	CHECK_INT(t, s.term, XSEL_NS);
	CHECK_INT(t, s.n, 2);
	CHECK(t, pl_eqs(s.elem_part, "a/b"));
	xsel_free(&s);
}

static void selector_err_syntax(struct test_ctx *t)
{
	static const char *const bad[] = {
		"/a", "a//b", "a/", "a[0]", "a[@b=\"x]", "a[@b='x\"]", "a[@b=x]",
		"a[@b=\"v\"][2]", "a[", "a[1", "a[x]", "a]b", "a b", "p:", ":a", "a:b:c",
		"a[@=\"x\"]", "a[@b]", "a[@b=\"v\"", "a[@b=\"x<y\"]", "*x", "a/@b/c",
		"@a", "namespace::*", "a/namespace::*/b", "a/@", "a/@p:", "a[1][2]",
		"a[1000000001]", "a[99999999999999999999]",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xsel s;
		enum mcx_err err = sparse(&s, bad[i], 0);

		if (err != MCX_EINVAL) {
			if (!err)
				xsel_free(&s);
			test_fail(t, __FILE__, __LINE__, "\"%s\" gave %d, expected MCX_EINVAL",
				  bad[i], (int)err);
			return;
		}
		CHECK(t, s.steps == NULL);
	}
}

/* put_attr writes a terminal attribute name into the document: anything
 * but name characters must be refused here, not discovered later. */
static void selector_err_attr_and_element_name_chars(struct test_ctx *t)
{
	static const char *const bad[] = {
		"a/@x=\"y\"", "a/@b[1]", "a/@b&c", "a/@b<c", "a/@b>", "a/@b c", "a/@b;",
		"a<b", "a&b/c", "a/b>", "a[@x&y=\"1\"]",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xsel s;
		enum mcx_err err = sparse(&s, bad[i], 0);

		if (err != MCX_EINVAL) {
			if (!err)
				xsel_free(&s);
			test_fail(t, __FILE__, __LINE__, "\"%s\" gave %d, expected MCX_EINVAL",
				  bad[i], (int)err);
			return;
		}
	}
}

static void selector_err_empty(struct test_ctx *t)
{
	struct xsel s;
	char eb[80] = "";

	CHECK_INT(t, xsel_parse(&s, "", 0, 0, eb, sizeof(eb)), MCX_EINVAL);
	CHECK(t, strstr(eb, "empty") != NULL);
}

static void selector_err_bad_reference(struct test_ctx *t)
{
	struct xsel s;

	CHECK_INT(t, sparse(&s, "a[@b=\"&bogus;\"]", 0), MCX_EINVAL);
	CHECK_INT(t, sparse(&s, "a[@b=\"x & y\"]", 0), MCX_EINVAL);
	CHECK_INT(t, sparse(&s, "a[@b=\"&#0;\"]", 0), MCX_EINVAL);
}

static void selector_err_too_many_steps(struct test_ctx *t)
{
	char many[2 * 65 + 1];
	struct xsel s;
	size_t i;

	CHECK_INT(t, sparse(&s, "a/b/c", 2), MCX_EINVAL);
	CHECK_INT(t, sparse(&s, "a/b/c", 3), MCX_OK);
	xsel_free(&s);
	for (i = 0; i < 65; i++) {
		many[2 * i] = 'a';
		many[2 * i + 1] = '/';
	}
	many[2 * 65 - 1] = '\0';
	CHECK_INT(t, sparse(&s, many, 0), MCX_EINVAL);      /* default 64 */
	many[2 * 64 - 1] = '\0';
	CHECK_INT(t, sparse(&s, many, 0), MCX_OK);
	CHECK_INT(t, s.n, 64);
	xsel_free(&s);
}

static void selector_parse_oom(struct test_ctx *t)
{
	struct xsel s;
	enum mcx_err err = sparse(&s, "a/b[@c=\"&amp;d\"]/e[2][@f='g']/@h", 0);

	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, s.n, 3);
	CHECK_MEM(t, s.steps[1].aval, s.steps[1].avlen, "&d", 2);
	xsel_free(&s);
}

/* ---- evaluation ---- */

/* Elements in document order: 0 resource-lists, 1 list friends, 2 entry a,
 * 3 x:note, 4 entry b (x:tag), 5 entry b, 6 list a&b, 7 plain, 8 leaf. */
static const char DOC[] =
	"<?xml version=\"1.0\"?>\n"
	"<resource-lists xmlns=\"urn:rl\" xmlns:x=\"urn:ext\">\n"
	" <list name=\"friends\">\n"
	"  <entry uri=\"sip:a@x\"/>\n"
	"  <x:note>n</x:note>\n"
	"  <entry uri=\"sip:b@x\" x:tag=\"t\"/>\n"
	"  <entry uri=\"sip:b@x\"/>\n"
	" </list>\n"
	" <list name=\"a&amp;b\"/>\n"
	" <plain xmlns=\"\"><leaf/></plain>\n"
	"</resource-lists>\n";

static const struct xsel_nsbind BINDS[] = {
	{ { "r", 1 }, "urn:rl" },
	{ { "y", 1 }, "urn:ext" },
};
static const struct xsel_ctx CTX_RL = { "urn:rl", BINDS, 2 };
static const struct xsel_ctx CTX_NONE = { NULL, NULL, 0 };

#define PARSE_ERR 99

/* Evaluate sel on d; PARSE_ERR when sel does not parse. */
static int ev(const struct xmldoc *d, const char *sel, const struct xsel_ctx *c,
	      uint32_t *el, uint32_t *matched)
{
	struct xsel s;
	enum xsel_res r;

	if (sparse(&s, sel, 0))
		return PARSE_ERR;
	*el = XEL_NONE;
	r = xsel_eval(d, &s, s.n, c, el, matched);
	xsel_free(&s);
	return (int)r;
}

static struct xmldoc *index_doc(const char *text)
{
	struct xmldoc *d = NULL;

	if (xmldoc_index(&d, text, strlen(text), NULL, NULL, 0))
		return NULL;
	return d;
}

#define EV(sel, ctx, want_r, want_el) do { uint32_t el_, m_; \
	int r_ = ev(d, (sel), (ctx), &el_, &m_); \
	if (r_ != (want_r) || (r_ == XSEL_FOUND && el_ != (uint32_t)(want_el))) { \
		test_fail(t, __FILE__, __LINE__, "%s: result %d el %u, expected %d el %d", \
			  (sel), r_, el_, (int)(want_r), (int)(want_el)); \
		xmldoc_free(d); return; } } while (0)
#define EV_NONE(sel, ctx, want_r, want_matched) do { uint32_t el_, m_ = 77; \
	int r_ = ev(d, (sel), (ctx), &el_, &m_); \
	if (r_ != (want_r) || m_ != (uint32_t)(want_matched)) { \
		test_fail(t, __FILE__, __LINE__, \
			  "%s: result %d matched %u, expected %d matched %d", \
			  (sel), r_, m_, (int)(want_r), (int)(want_matched)); \
		xmldoc_free(d); return; } } while (0)

static void selector_eval_default_ns_from_ctx(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV("resource-lists/list[@name=\"friends\"]", &CTX_RL, XSEL_FOUND, 1);
	EV("resource-lists/list[1]/entry[1]", &CTX_RL, XSEL_FOUND, 2);
	/* without a default namespace unprefixed names mean "no namespace" */
	EV_NONE("resource-lists/list[1]", &CTX_NONE, XSEL_NONE, 0);
	/* plain is in no namespace: an unprefixed step can't reach it here */
	EV_NONE("resource-lists/plain", &CTX_RL, XSEL_NONE, 1);
	EV("resource-lists/*[3]/leaf", &CTX_NONE, XSEL_NONE, 0);
	EV("*/*[3]/leaf", &CTX_NONE, XSEL_FOUND, 8);
	xmldoc_free(d);
}

static void selector_eval_default_ns_absent_from_doc(struct test_ctx *t)
{
	const struct xsel_ctx other = { "urn:unused", NULL, 0 };
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV_NONE("resource-lists", &other, XSEL_NONE, 0);
	xmldoc_free(d);
}

static void selector_eval_prefixed_via_binds(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	/* selector prefixes are the query's, not the document's */
	EV("r:resource-lists/r:list[1]/y:note", &CTX_RL, XSEL_FOUND, 3);
	EV("resource-lists/list[1]/y:note", &CTX_RL, XSEL_FOUND, 3);
	EV("r:resource-lists/r:list[1]/r:note", &CTX_RL, XSEL_NONE, 0);
	xmldoc_free(d);
}

static void selector_eval_unbound_prefix(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV("resource-lists/list[1]/x:note", &CTX_RL, XSEL_BADPREFIX, 0);
	EV("q:resource-lists", &CTX_RL, XSEL_BADPREFIX, 0);
	EV("resource-lists/list[1]/entry[@x:tag=\"t\"]", &CTX_RL, XSEL_BADPREFIX, 0);
	xmldoc_free(d);
}

static void selector_eval_many(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV_NONE("resource-lists/list", &CTX_RL, XSEL_MANY, 1);
	EV_NONE("resource-lists/list[1]/entry[@uri=\"sip:b@x\"]", &CTX_RL, XSEL_MANY, 2);
	EV_NONE("resource-lists/list[1]/entry", &CTX_RL, XSEL_MANY, 2);
	xmldoc_free(d);
}

static void selector_eval_position_among_same_name(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	/* x:note between the entries does not count for entry[n] */
	EV("resource-lists/list[1]/entry[2]", &CTX_RL, XSEL_FOUND, 4);
	EV("resource-lists/list[1]/entry[3]", &CTX_RL, XSEL_FOUND, 5);
	/* but counts for *[n] */
	EV("resource-lists/list[1]/*[2]", &CTX_RL, XSEL_FOUND, 3);
	EV("resource-lists/list[1]/*[4]", &CTX_RL, XSEL_FOUND, 5);
	EV("resource-lists/list[2]", &CTX_RL, XSEL_FOUND, 6);
	xmldoc_free(d);
}

static void selector_eval_position_before_attr(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV("resource-lists/list[1]/entry[2][@uri=\"sip:a@x\"]", &CTX_RL, XSEL_NONE, 0);
	EV("resource-lists/list[1]/entry[1][@uri=\"sip:a@x\"]", &CTX_RL, XSEL_FOUND, 2);
	EV("resource-lists/list[1]/entry[3][@uri=\"sip:b@x\"]", &CTX_RL, XSEL_FOUND, 5);
	xmldoc_free(d);
}

static void selector_eval_attr_predicates(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV("resource-lists/list[1]/entry[@y:tag=\"t\"]", &CTX_RL, XSEL_FOUND, 4);
	/* an unprefixed attribute test does not match a namespaced attribute */
	EV("resource-lists/list[1]/entry[@tag=\"t\"]", &CTX_RL, XSEL_NONE, 0);
	EV("resource-lists/list[1]/entry[@uri='sip:a@x']", &CTX_RL, XSEL_FOUND, 2);
	EV("resource-lists/list[1]/entry[@uri='sip:A@x']", &CTX_RL, XSEL_NONE, 0);
	xmldoc_free(d);
}

static void selector_eval_attr_value_entities(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV("resource-lists/list[@name=\"a&amp;b\"]", &CTX_RL, XSEL_FOUND, 6);
	EV("resource-lists/list[@name='a&#x26;b']", &CTX_RL, XSEL_FOUND, 6);
	EV("resource-lists/list[@name='a&amp;amp;b']", &CTX_RL, XSEL_NONE, 0);
	xmldoc_free(d);
}

static void selector_eval_matched_steps_on_none(struct test_ctx *t)
{
	struct xmldoc *d = index_doc(DOC);

	CHECK(t, d != NULL);
	EV_NONE("resource-lists/list[1]/entry[9]", &CTX_RL, XSEL_NONE, 2);
	EV_NONE("resource-lists/list[1]/entry[1]/x/y", &CTX_RL, XSEL_NONE, 3);
	EV_NONE("resource-lists/nope/x", &CTX_RL, XSEL_NONE, 1);
	EV_NONE("nope", &CTX_RL, XSEL_NONE, 0);
	xmldoc_free(d);
}

const struct test tests_selector[] = {
	{ "selector_parse_by_name", selector_parse_by_name, false },
	{ "selector_parse_prefixed_name", selector_parse_prefixed_name, false },
	{ "selector_parse_any_and_position", selector_parse_any_and_position, false },
	{ "selector_parse_attr_double_quotes", selector_parse_attr_double_quotes, false },
	{ "selector_parse_attr_single_quotes", selector_parse_attr_single_quotes, false },
	{ "selector_parse_position_then_attr", selector_parse_position_then_attr, false },
	{ "selector_parse_entity_refs_in_value", selector_parse_entity_refs_in_value, false },
	{ "selector_parse_slash_in_value", selector_parse_slash_in_value, false },
	{ "selector_parse_terminal_attr", selector_parse_terminal_attr, false },
	{ "selector_parse_terminal_prefixed_attr", selector_parse_terminal_prefixed_attr, false },
	{ "selector_parse_namespace_axis", selector_parse_namespace_axis, false },
	{ "selector_err_syntax", selector_err_syntax, false },
	{ "selector_err_attr_and_element_name_chars", selector_err_attr_and_element_name_chars,
	  false },
	{ "selector_err_empty", selector_err_empty, false },
	{ "selector_err_bad_reference", selector_err_bad_reference, false },
	{ "selector_err_too_many_steps", selector_err_too_many_steps, false },
	{ "selector_parse_oom", selector_parse_oom, true },
	{ "selector_eval_default_ns_from_ctx", selector_eval_default_ns_from_ctx, false },
	{ "selector_eval_default_ns_absent_from_doc", selector_eval_default_ns_absent_from_doc,
	  false },
	{ "selector_eval_prefixed_via_binds", selector_eval_prefixed_via_binds, false },
	{ "selector_eval_unbound_prefix", selector_eval_unbound_prefix, false },
	{ "selector_eval_many", selector_eval_many, false },
	{ "selector_eval_position_among_same_name", selector_eval_position_among_same_name, false },
	{ "selector_eval_position_before_attr", selector_eval_position_before_attr, false },
	{ "selector_eval_attr_predicates", selector_eval_attr_predicates, false },
	{ "selector_eval_attr_value_entities", selector_eval_attr_value_entities, false },
	{ "selector_eval_matched_steps_on_none", selector_eval_matched_steps_on_none, false },
	{ NULL, NULL, false }
};
