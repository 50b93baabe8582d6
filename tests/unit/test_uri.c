/* Unit tests: XCAP request URIs — root, trees, XUIs, document paths, node
 * selectors after "~~", the xmlns() query and every refusal (RFC 4825 §6). */
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "xcap/uri.h"

#define ROOT "/xcap-root"
#define MAXLEN 8192

static enum xcap_uri_res parse_max(struct xcap_uri *u, const char *target, const char *root,
				   size_t max_len, char *eb, size_t ebl)
{
	eb[0] = '\0';
	return xcap_uri_parse(u, target, strlen(target), root, max_len, eb, ebl);
}

static enum xcap_uri_res parse(struct xcap_uri *u, const char *target, const char *root)
{
	char eb[128];

	return parse_max(u, target, root, MAXLEN, eb, sizeof(eb));
}

/* The outcome of a target that must not parse; nothing is left allocated. */
static enum xcap_uri_res refuse(const char *target, const char *root)
{
	struct xcap_uri u;
	enum xcap_uri_res r = parse(&u, target, root);

	if (r == XCAP_URI_OK)
		xcap_uri_free(&u);
	return r;
}

static void uri_root_with_path_prefix(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/resource-lists/global/index", ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.auid, "resource-lists");
	CHECK(t, u.global);
	CHECK(t, u.xui == NULL);
	CHECK_STR(t, u.docname, "index");
	CHECK(t, !u.collection);
	CHECK_STR(t, u.docpath, "resource-lists/global/index");
	CHECK(t, u.node == NULL);
	CHECK_INT(t, u.nbinds, 0);
	xcap_uri_free(&u);
}

static void uri_root_empty(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, "/pres-rules/users/sip:a@b/index", ""), XCAP_URI_OK);
	CHECK_STR(t, u.auid, "pres-rules");
	CHECK_STR(t, u.xui, "sip:a@b");
	CHECK_STR(t, u.docpath, "pres-rules/users/sip:a@b/index");
	xcap_uri_free(&u);
}

static void uri_not_root(struct test_ctx *t)
{
	CHECK_INT(t, refuse("/xcap-rootx/rl/global/index", ROOT), XCAP_URI_NOT_ROOT);
	CHECK_INT(t, refuse("/other/rl/global/index", ROOT), XCAP_URI_NOT_ROOT);
	CHECK_INT(t, refuse(ROOT, ROOT), XCAP_URI_NOT_ROOT);
	CHECK_INT(t, refuse("", ""), XCAP_URI_NOT_ROOT);
	CHECK_INT(t, refuse("rl/global/index", ""), XCAP_URI_NOT_ROOT);
}

static void uri_global_tree(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/xcap-caps/global/index", ROOT), XCAP_URI_OK);
	CHECK(t, u.global);
	CHECK(t, u.xui == NULL);
	xcap_uri_free(&u);
	/* "globalx" is not the global tree */
	CHECK_INT(t, refuse(ROOT "/xcap-caps/globalx/index", ROOT), XCAP_URI_NOT_FOUND);
}

static void uri_users_tree_sip_xui(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/resource-lists/users/sip:joe%40example.com/index", ROOT),
		  XCAP_URI_OK);
	CHECK(t, !u.global);
	CHECK_STR(t, u.xui, "sip:joe@example.com");
	CHECK_STR(t, u.docname, "index");
	CHECK_STR(t, u.docpath, "resource-lists/users/sip:joe@example.com/index");
	xcap_uri_free(&u);
}

static void uri_users_tree_tel_xui(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/users/tel:%2B1-555-0100/index", ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.xui, "tel:+1-555-0100");
	CHECK_STR(t, u.docpath, "rl/users/tel:+1-555-0100/index");
	xcap_uri_free(&u);
	CHECK_INT(t, parse(&u, ROOT "/rl/users/tel:+15550100/index", ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.xui, "tel:+15550100");
	xcap_uri_free(&u);
}

static void uri_docpath_subdirectories(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/users/sip:a@b/dir/sub%20dir/doc.xml", ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.docname, "dir/sub dir/doc.xml");
	CHECK(t, !u.collection);
	CHECK_STR(t, u.docpath, "rl/users/sip:a@b/dir/sub dir/doc.xml");
	xcap_uri_free(&u);
}

static void uri_collection_trailing_slash(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/users/sip:a@b/dir/sub/", ROOT), XCAP_URI_OK);
	CHECK(t, u.collection);
	CHECK_STR(t, u.docname, "dir/sub");
	CHECK_STR(t, u.docpath, "rl/users/sip:a@b/dir/sub/");
	xcap_uri_free(&u);
	CHECK_INT(t, parse(&u, ROOT "/rl/users/sip:a@b/", ROOT), XCAP_URI_OK);
	CHECK(t, u.collection);
	CHECK_STR(t, u.docname, "");
	CHECK_STR(t, u.docpath, "rl/users/sip:a@b/");
	xcap_uri_free(&u);
	CHECK_INT(t, parse(&u, ROOT "/rl/global/", ROOT), XCAP_URI_OK);
	CHECK(t, u.collection);
	CHECK_STR(t, u.docpath, "rl/global/");
	xcap_uri_free(&u);
}

#define SEL_PLAIN "resource-lists/list[@name=\"friends\"]/entry[2]"

static void uri_node_selector_unescaped(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/users/sip:a@b/index/~~/" SEL_PLAIN, ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.docname, "index");
	CHECK_STR(t, u.docpath, "rl/users/sip:a@b/index");
	CHECK_STR(t, u.node, SEL_PLAIN);
	CHECK_INT(t, u.node_len, strlen(SEL_PLAIN));
	xcap_uri_free(&u);
}

static void uri_node_selector_percent_encoded(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/users/sip:a@b/index/~~/"
			   "resource-lists/list%5B@name=%22friends%22%5D/entry%5b2%5d", ROOT),
		  XCAP_URI_OK);
	CHECK_STR(t, u.node, SEL_PLAIN);
	CHECK_INT(t, u.node_len, strlen(SEL_PLAIN));
	xcap_uri_free(&u);
}

static void uri_question_mark_in_quoted_value(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/l/e[@uri=\"sip:a?b\"]?xmlns(p=urn:x)",
			   ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.node, "l/e[@uri=\"sip:a?b\"]");
	CHECK_INT(t, u.nbinds, 1);
	CHECK_STR(t, u.binds[0].uri, "urn:x");
	xcap_uri_free(&u);
	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/l/e[@uri='a?\"b']", ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.node, "l/e[@uri='a?\"b']");
	CHECK_INT(t, u.nbinds, 0);
	xcap_uri_free(&u);
}

static void uri_question_mark_outside_quotes_starts_query(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/l/e?xmlns(p=urn:x)", ROOT), XCAP_URI_OK);
	CHECK_STR(t, u.node, "l/e");
	CHECK_INT(t, u.nbinds, 1);
	xcap_uri_free(&u);
}

static void uri_xmlns_query_two_bindings(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/p:a/q:b?xmlns(p=urn:x)xmlns(q=urn:y)",
			   ROOT), XCAP_URI_OK);
	CHECK_INT(t, u.nbinds, 2);
	CHECK_MEM(t, u.binds[0].prefix.p, u.binds[0].prefix.l, "p", 1);
	CHECK_STR(t, u.binds[0].uri, "urn:x");
	CHECK_MEM(t, u.binds[1].prefix.p, u.binds[1].prefix.l, "q", 1);
	CHECK_STR(t, u.binds[1].uri, "urn:y");
	CHECK_STR(t, u.node, "p:a/q:b");
	xcap_uri_free(&u);
}

static void uri_xmlns_query_caret_escapes(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/p:a?xmlns(p=urn:a^)b^(c^^d)", ROOT),
		  XCAP_URI_OK);
	CHECK_INT(t, u.nbinds, 1);
	CHECK_STR(t, u.binds[0].uri, "urn:a)b(c^d");
	xcap_uri_free(&u);
	/* the same, percent-encoded */
	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/p:a?xmlns%28p=urn:a%5E%29b%29", ROOT),
		  XCAP_URI_OK);
	CHECK_STR(t, u.binds[0].uri, "urn:a)b");
	xcap_uri_free(&u);
}

static void uri_xmlns_query_spaces_and_separators(struct test_ctx *t)
{
	struct xcap_uri u;

	CHECK_INT(t, parse(&u, ROOT "/rl/global/index/~~/p:a?xmlns(%20p%20=%20urn:x%20)"
			   "&xmlns(q=urn:y)%20", ROOT), XCAP_URI_OK);
	CHECK_INT(t, u.nbinds, 2);
	CHECK_MEM(t, u.binds[0].prefix.p, u.binds[0].prefix.l, "p", 1);
	CHECK_STR(t, u.binds[0].uri, "urn:x");
	CHECK_STR(t, u.binds[1].uri, "urn:y");
	xcap_uri_free(&u);
}

static void uri_err_too_many_bindings(struct test_ctx *t)
{
	char tg[1024];
	int n, i;

	n = snprintf(tg, sizeof(tg), "%s", ROOT "/rl/global/index/~~/a?");
	for (i = 0; i < XCAP_NSBIND_MAX; i++)
		n += snprintf(tg + n, sizeof(tg) - (size_t)n, "xmlns(p%d=urn:%d)", i, i);
	CHECK(t, n < (int)sizeof(tg) - 32);
	{
		struct xcap_uri u;

		CHECK_INT(t, parse(&u, tg, ROOT), XCAP_URI_OK);
		CHECK_INT(t, u.nbinds, XCAP_NSBIND_MAX);
		xcap_uri_free(&u);
	}
	snprintf(tg + n, sizeof(tg) - (size_t)n, "xmlns(z=urn:z)");
	CHECK_INT(t, refuse(tg, ROOT), XCAP_URI_BAD);
}

static void uri_err_query(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?foo=bar", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?xmlns(p=urn:x", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?xmlns(=urn:x)", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?xmlns(p=)", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?xmlns(p=a^b)", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?xmlns(p)", ROOT), XCAP_URI_BAD);
}

static void uri_err_missing_tree(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/rl/", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/rl/other/index", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/rl/users", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/rl/users/", ROOT), XCAP_URI_NOT_FOUND);
}

/* "~~" right after the root: no AUID or tree before it (once read past the
 * end of the target). */
static void uri_err_selector_without_document(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/~~/", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/~~/a", ROOT), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse("/~~/a/b/c", ""), XCAP_URI_NOT_FOUND);
	CHECK_INT(t, refuse(ROOT "/rl/global/~~/a", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a@b/~~/a", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/", ROOT), XCAP_URI_BAD);
}

static void uri_err_bad_percent_escapes(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl/global/in%4", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/in%", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/in%zzdex", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/in%00dex", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/r%g1/global/index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a%4/index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a%2", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a?xmlns(p=urn:%x1)", ROOT), XCAP_URI_BAD);
}

static void uri_err_dot_segments(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl/global/../index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a@b/./index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a@b/dir/..", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a@b/%2E%2e/x", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a@b/dir/../", ROOT), XCAP_URI_BAD);
}

static void uri_err_empty_segments(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl/users//index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/dir//index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/dir//", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global//", ROOT), XCAP_URI_BAD);
}

static void uri_err_slash_in_xui(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a%2Fb@c/index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/users/sip:a%2fb@c/index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/r%2Fl/global/index", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/a%2Fb", ROOT), XCAP_URI_BAD);
}

static void uri_err_control_chars(struct test_ctx *t)
{
	CHECK_INT(t, refuse(ROOT "/rl/global/in\x01x", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/in dex", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index\x7f", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index/~~/a\tb", ROOT), XCAP_URI_BAD);
	CHECK_INT(t, refuse(ROOT "/rl/global/index\r\n", ROOT), XCAP_URI_BAD);
}

static void uri_err_target_too_long(struct test_ctx *t)
{
	const char *tg = ROOT "/rl/global/index";
	struct xcap_uri u;
	char eb[128];

	CHECK_INT(t, parse_max(&u, tg, ROOT, strlen(tg) - 1, eb, sizeof(eb)), XCAP_URI_BAD);
	CHECK(t, strstr(eb, "too long") != NULL);
	CHECK_INT(t, parse_max(&u, tg, ROOT, strlen(tg), eb, sizeof(eb)), XCAP_URI_OK);
	xcap_uri_free(&u);
}

static void uri_target_not_nul_terminated(struct test_ctx *t)
{
	const char tg[] = ROOT "/rl/global/index/~~/a/b?xmlns(p=urn:x)TRAILING";
	size_t len = strlen(tg) - strlen("TRAILING");
	struct xcap_uri u;
	char eb[64];

	CHECK_INT(t, xcap_uri_parse(&u, tg, len, ROOT, MAXLEN, eb, sizeof(eb)), XCAP_URI_OK);
	CHECK_STR(t, u.binds[0].uri, "urn:x");
	xcap_uri_free(&u);
}

static void uri_parse_oom(struct test_ctx *t)
{
	struct xcap_uri u;
	char eb[128];
	enum xcap_uri_res r;

	r = parse_max(&u, ROOT "/rl/users/sip:a%40b/d/index/~~/l[@n=\"x\"]/e?xmlns(p=urn:x)",
		      ROOT, MAXLEN, eb, sizeof(eb));
	/* The parser reports an allocation failure as BAD "out of memory". */
	if (t->in_oom && r == XCAP_URI_BAD && !strcmp(eb, "out of memory"))
		return;
	CHECK_INT(t, r, XCAP_URI_OK);
	CHECK_STR(t, u.xui, "sip:a@b");
	CHECK_STR(t, u.node, "l[@n=\"x\"]/e");
	xcap_uri_free(&u);
}

const struct test tests_uri[] = {
	{ "uri_root_with_path_prefix", uri_root_with_path_prefix, false },
	{ "uri_root_empty", uri_root_empty, false },
	{ "uri_not_root", uri_not_root, false },
	{ "uri_global_tree", uri_global_tree, false },
	{ "uri_users_tree_sip_xui", uri_users_tree_sip_xui, false },
	{ "uri_users_tree_tel_xui", uri_users_tree_tel_xui, false },
	{ "uri_docpath_subdirectories", uri_docpath_subdirectories, false },
	{ "uri_collection_trailing_slash", uri_collection_trailing_slash, false },
	{ "uri_node_selector_unescaped", uri_node_selector_unescaped, false },
	{ "uri_node_selector_percent_encoded", uri_node_selector_percent_encoded, false },
	{ "uri_question_mark_in_quoted_value", uri_question_mark_in_quoted_value, false },
	{ "uri_question_mark_outside_quotes_starts_query",
	  uri_question_mark_outside_quotes_starts_query, false },
	{ "uri_xmlns_query_two_bindings", uri_xmlns_query_two_bindings, false },
	{ "uri_xmlns_query_caret_escapes", uri_xmlns_query_caret_escapes, false },
	{ "uri_xmlns_query_spaces_and_separators", uri_xmlns_query_spaces_and_separators, false },
	{ "uri_err_too_many_bindings", uri_err_too_many_bindings, false },
	{ "uri_err_query", uri_err_query, false },
	{ "uri_err_missing_tree", uri_err_missing_tree, false },
	{ "uri_err_selector_without_document", uri_err_selector_without_document, false },
	{ "uri_err_bad_percent_escapes", uri_err_bad_percent_escapes, false },
	{ "uri_err_dot_segments", uri_err_dot_segments, false },
	{ "uri_err_empty_segments", uri_err_empty_segments, false },
	{ "uri_err_slash_in_xui", uri_err_slash_in_xui, false },
	{ "uri_err_control_chars", uri_err_control_chars, false },
	{ "uri_err_target_too_long", uri_err_target_too_long, false },
	{ "uri_target_not_nul_terminated", uri_target_not_nul_terminated, false },
	{ "uri_parse_oom", uri_parse_oom, true },
	{ NULL, NULL, false }
};
