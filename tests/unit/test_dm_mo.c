/* The MCPTT MO mapping (src/dm/mo.c, the table in mo_map.c) and the DM
 * server session engine (src/dm/server.c) driven by a scripted client. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/buf.h"
#include "core/mem.h"
#include "dm/mo.h"
#include "xcap/usage.h"

/* Every demo document of the five kinds, by the manifest's AUID. */
static bool demo_kind(const char *auid, enum mo_kind *k)
{
	for (int i = 0; i < MO_KIND_COUNT; i++)
		if (!strcmp(mo_maps[i].auid, auid)) {
			*k = (enum mo_kind)i;
			return true;
		}
	return false;
}

typedef void (demo_h)(struct test_ctx *t, enum mo_kind k, const char *name, const char *doc,
		      size_t len, int *bad);

static int each_demo(struct test_ctx *t, demo_h *h, int counts[MO_KIND_COUNT])
{
	size_t mlen;
	const char *m = xcap_embedded("demo/manifest", &mlen);
	int bad = 0, docs = 0;
	if (!m) {
		test_fail(t, __FILE__, __LINE__, "no embedded demo/manifest");
		return -1;
	}
	for (const char *line = m; line < m + mlen && !bad;) {
		const char *nl = memchr(line, '\n', (size_t)(m + mlen - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(m + mlen - line);
		char l[1400], name[300];
		snprintf(l, sizeof l, "%.*s", (int)ll, line);
		line += ll + 1;
		char *sp = strchr(l, ' '), *sl = strchr(l, '/');
		if (l[0] == '#' || !sp || !sl)
			continue;
		*sl = '\0';
		enum mo_kind k;
		if (!demo_kind(l, &k))
			continue;
		snprintf(name, sizeof name, "demo/%s", sp + 1);
		size_t flen;
		const char *doc = xcap_embedded(name, &flen);
		if (!doc) {
			test_fail(t, __FILE__, __LINE__, "%s not embedded", name);
			return -1;
		}
		h(t, k, name, doc, flen, &bad);
		counts[k]++;
		docs++;
	}
	return bad ? -1 : docs;
}

static void rt_one(struct test_ctx *t, enum mo_kind k, const char *name, const char *doc,
		   size_t len, int *bad)
{
	struct mo_tree *tr = NULL;
	char eb[300] = "";
	struct mcx_buf out;
	bool used_form = false;
	buf_init(&out, 1 << 20);
	enum mcx_err err = mo_from_xml(k, doc, len, 0, NULL, &tr, eb, sizeof eb);
	if (!err)
		err = mo_to_xml(tr, 0, &out, &used_form, eb, sizeof eb);
	if (err || !used_form || out.len != len || memcmp(out.p, doc, len)) {
		test_fail(t, __FILE__, __LINE__, "%s: err %d (%s), form %d, %zu vs %zu bytes:\n%s",
			  name, (int)err, eb, used_form, out.len, len, out.p ? out.p : "");
		*bad = 1;
	}
	mo_tree_free(tr);
	buf_reset(&out);
}

/* XML -> MO -> XML gives the demo document's exact bytes, for every demo
 * document of the five kinds (the XMLForm leaf carries the presentation). */
static void test_mo_roundtrip_demo(struct test_ctx *t)
{
	int counts[MO_KIND_COUNT] = {0};
	int n = each_demo(t, rt_one, counts);
	CHECK(t, n > 0);
	for (int i = 0; i < MO_KIND_COUNT; i++)
		CHECK(t, counts[i] > 0);
	CHECK_INT(t, n, 14);
}

static void canon_one(struct test_ctx *t, enum mo_kind k, const char *name, const char *doc,
		      size_t len, int *bad)
{
	struct mo_tree *a = NULL, *b = NULL, *c = NULL;
	char eb[300] = "", why[300] = "";
	struct mcx_buf x1, x2;
	bool used_form = true;
	buf_init(&x1, 1 << 20);
	buf_init(&x2, 1 << 20);
	enum mcx_err err = mo_from_xml(k, doc, len, MO_NO_FORM, NULL, &a, eb, sizeof eb);
	if (!err && mo_tree_find(a, MO_NODE_FORM))
		err = MCX_EINTERNAL;
	/* the reverse mapping alone (no form): the table decides every name */
	if (!err)
		err = mo_to_xml(a, 0, &x1, &used_form, eb, sizeof eb);
	if (!err)
		err = mo_from_xml(k, x1.p, x1.len, MO_NO_FORM, NULL, &b, eb, sizeof eb);
	if (!err)
		err = mo_to_xml(b, 0, &x2, NULL, eb, sizeof eb);
	if (!err)
		err = mo_from_xml(k, x2.p, x2.len, MO_NO_FORM, NULL, &c, eb, sizeof eb);
	if (err || used_form || !mo_tree_equal(a, b, true, why, sizeof why) ||
	    x1.len != x2.len || memcmp(x1.p, x2.p, x1.len) ||
	    !mo_tree_equal(b, c, true, why, sizeof why)) {
		test_fail(t, __FILE__, __LINE__, "%s: err %d (%s) %s\n%s", name, (int)err, eb, why,
			  x1.p ? x1.p : "");
		*bad = 1;
	}
	mo_tree_free(a);
	mo_tree_free(b);
	mo_tree_free(c);
	buf_reset(&x1);
	buf_reset(&x2);
}

/* Without XMLForm the writer uses the table in reverse: the canonical
 * document maps back to the same nodes and is stable. */
static void test_mo_canonical_both_ways(struct test_ctx *t)
{
	int counts[MO_KIND_COUNT] = {0};
	CHECK(t, each_demo(t, canon_one, counts) == 14);
}

static const char *val(const struct mo_tree *tr, const char *path)
{
	const struct mo_node *nd = mo_tree_find(tr, path);
	return nd && nd->leaf ? nd->value : NULL;
}

/* Node names and structure: the verified names (Name, Ext, the URNs), the
 * naming rule, <x> for repeated elements, attributes as leaves, Text. */
static void test_mo_node_names(struct test_ctx *t)
{
	size_t len;
	const char *doc = xcap_embedded("demo/ue-init-config.xml", &len);
	struct mo_tree *tr = NULL;
	char eb[300] = "";
	CHECK(t, doc);
	CHECK_INT(t, mo_from_xml(MO_UE_INIT_CONFIG, doc, len, 0, NULL, &tr, eb, sizeof eb), MCX_OK);
	CHECK_STR(t, val(tr, "Domain"), "example.org");
	CHECK_STR(t, val(tr, "XUIURI"), "sip:admin@example.org");
	CHECK_STR(t, val(tr, "Name/1/Text"), "example.org handsets");
	CHECK_STR(t, val(tr, "Name/1/Lang"), "en");
	CHECK_STR(t, val(tr, "Name/1/Index"), "0");
	CHECK_STR(t, val(tr, "DefaultUserProfile/1/UserID"), "sip:alice@example.org");
	CHECK_STR(t, val(tr, "OnNetwork/1/Timers/T100"), "2");
	CHECK_STR(t, val(tr, "OnNetwork/1/HPLMN/PLMN"), "00101");
	CHECK_STR(t, val(tr, "OnNetwork/1/HPLMN/Service/MCPTTToConRef"), "mcptt");
	CHECK_STR(t, val(tr, "OnNetwork/1/AppServerInfo/TlsTunnelAuthMethod/MutualAuthentication"),
		  "false");
	const struct mo_node *nd = mo_tree_find(tr, "OnNetwork");
	CHECK(t, nd && !nd->leaf);
	nd = mo_tree_find(tr, "OnNetwork/1/Timers");
	CHECK(t, nd && !nd->leaf);
	mo_tree_free(tr);

	/* the verified names are in the table with MO_VERIFIED */
	for (int k = 0; k < MO_KIND_COUNT; k++) {
		const struct mo_map *m = mo_map_get((enum mo_kind)k);
		const struct mo_row *r = mo_row_by_xml(m, m->ns[2].uri, "anyExt", false);
		if (k != MO_GROUP_CONFIG) {
			CHECK(t, r && !strcmp(r->node, "Ext") && (r->flags & MO_VERIFIED));
		}
		CHECK(t, m->rows[0].flags & MO_ROOT);
		CHECK_STR(t, m->rows[0].node, "");
		CHECK(t, !strncmp(m->urn, "urn:oma:mo:ext-3gpp-MCPTT-", 26));
		enum mo_kind back;
		CHECK(t, mo_kind_by_urn(m->urn, &back) && back == (enum mo_kind)k);
		CHECK(t, mo_kind_by_name(m->name, &back) && back == (enum mo_kind)k);
	}
	CHECK_STR(t, mo_maps[MO_UE_CONFIG].urn, "urn:oma:mo:ext-3gpp-MCPTT-UE-configuration:1.0");
	CHECK(t, mo_maps[MO_UE_CONFIG].urn_verified);
	CHECK_STR(t, mo_maps[MO_SERVICE_CONFIG].urn,
		  "urn:oma:mo:ext-3gpp-MCPTT-service-configuration:1.0");
	CHECK_STR(t, mo_maps[MO_GROUP_CONFIG].urn,
		  "urn:oma:mo:ext-3gpp-MCPTT-group-configuration:1.0");
	CHECK(t, !mo_maps[MO_USER_PROFILE].urn_verified);
	const struct mo_row *r = mo_row_by_xml(&mo_maps[MO_UE_CONFIG], mo_maps[MO_UE_CONFIG].ns[2].uri,
					       "name", false);
	CHECK(t, r && !strcmp(r->node, "Name") && (r->flags & MO_VERIFIED));
}

/* The table is a bijection per MO (one node name, one row), and no row
 * uses a reserved name: that is what lets it work both ways. */
static void test_mo_table_bijective(struct test_ctx *t)
{
	for (int k = 0; k < MO_KIND_COUNT; k++) {
		const struct mo_map *m = &mo_maps[k];
		for (size_t i = 1; i < m->nrows; i++) {
			const struct mo_row *a = &m->rows[i];
			CHECK(t, a->ns < m->nns);
			CHECK(t, !(a->flags & MO_ROOT));
			CHECK(t, strcmp(a->node, MO_NODE_TEXT) && strcmp(a->node, MO_NODE_FORM));
			CHECK(t, a->node[0] && !strchr(a->node, '/'));
			CHECK(t, mo_row_by_node(m, a->node) == a);
			CHECK(t, mo_row_by_xml(m, m->ns[a->ns].uri, a->xml, a->flags & MO_ATTR) == a);
		}
	}
}

/* The form survives a value change by a server: the new value goes into
 * its place; a structural change falls back to the canonical form. */
static void test_mo_form_edit(struct test_ctx *t)
{
	const char *doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n"
			  "<mcptt-UE-configuration xmlns='urn:3gpp:mcptt:mcpttUEConfig:1.0'  domain='a&amp;b'>\n"
			  "\t<common><private-call><Max-Simul-Call-N10>1</Max-Simul-Call-N10></private-call>"
			  "<MCPTT-Group-Call><Max-Simul-Call-N4>4</Max-Simul-Call-N4><Max-Simul-Trans-N5>1</Max-Simul-Trans-N5>"
			  "<Prioritized-MCPTT-Group><MCPTT-Group-Priority><MCPTT-Group-ID>x%y</MCPTT-Group-ID>"
			  "<group-priority-hierarchy>1</group-priority-hierarchy></MCPTT-Group-Priority>"
			  "</Prioritized-MCPTT-Group></MCPTT-Group-Call></common>"
			  "<on-network><IPv6Preferred>false</IPv6Preferred><Relay-Service>false</Relay-Service></on-network>"
			  "</mcptt-UE-configuration>\n";
	struct mo_tree *tr = NULL;
	char eb[300] = "";
	struct mcx_buf out;
	bool used;
	buf_init(&out, 1 << 16);
	CHECK_INT(t, mo_from_xml(MO_UE_CONFIG, doc, strlen(doc), 0, NULL, &tr, eb, sizeof eb), MCX_OK);
	CHECK_STR(t, val(tr, "Domain"), "a&b");
	CHECK_STR(t, val(tr, "Common/PrivateCall/MaxSimulCallN10"), "1");
	CHECK_STR(t, val(tr, "Common/MCPTTGroupCall/PrioritizedMCPTTGroup/MCPTTGroupPriority/1/MCPTTGroupID"),
		  "x%y");
	/* change a value in place */
	struct mo_node *nd = (struct mo_node *)mo_tree_find(tr, "Common/PrivateCall/MaxSimulCallN10");
	CHECK(t, nd);
	mcx_free(nd->value);
	nd->value = mcx_strdup("7<'");
	nd->len = 3;
	enum mcx_err err = mo_to_xml(tr, 0, &out, &used, eb, sizeof eb);
	if (err || !used || !strstr(out.p, "<Max-Simul-Call-N10>7&lt;'</Max-Simul-Call-N10>") ||
	    !strstr(out.p, "domain='a&amp;b'") || !strstr(out.p, "<!-- c -->")) {
		test_fail(t, __FILE__, __LINE__, "edit: %d %s\n%s", err, eb, out.p ? out.p : "");
		goto out;
	}
	/* remove a node: the form no longer fits; canonical form */
	buf_reset(&out);
	buf_init(&out, 1 << 16);
	nd = (struct mo_node *)mo_tree_find(tr, "On-network/RelayService");
	nd = (struct mo_node *)mo_tree_find(tr, "OnNetwork/RelayService");
	if (!nd) {
		test_fail(t, __FILE__, __LINE__, "no OnNetwork/RelayService");
		goto out;
	}
	mcx_free(nd->path);
	mcx_free(nd->value);
	memmove(nd, nd + 1, (size_t)(&tr->v[tr->n] - (nd + 1)) * sizeof *nd);
	tr->n--;
	err = mo_to_xml(tr, 0, &out, &used, eb, sizeof eb);
	if (err || used || strstr(out.p, "Relay-Service") ||
	    strncmp(out.p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mcptt-UE-configuration "
			   "xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\" domain=\"a&amp;b\">\n  <common>", 120))
		test_fail(t, __FILE__, __LINE__, "canonical: %d %s\n%s", err, eb, out.p ? out.p : "");
out:
	buf_reset(&out);
	mo_tree_free(tr);
}

/* Refusals and bounds: wrong kind, unknown element/attribute, mixed
 * content, DOCTYPE, depth, node count, document size, truncation. */
static void test_mo_refusals_bounds(struct test_ctx *t)
{
	static const struct {
		const char *doc;
		enum mcx_err err;
		const char *why;
	} cases[] = {
		{"<service-configuration-info xmlns=\"urn:3gpp:ns:mcpttServiceConfig:1.0\"/>",
		 MCX_EINVAL, "not the one of this MO"},
		{"<mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\"><bogus/></mcptt-UE-configuration>",
		 MCX_EINVAL, "no row in the mapping table"},
		{"<mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\" bogus=\"1\"/>",
		 MCX_EINVAL, "no row in the mapping table"},
		{"<mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\">x<common/></mcptt-UE-configuration>",
		 MCX_EINVAL, "mixed content"},
		{"<mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\"><common/><common/></mcptt-UE-configuration>",
		 MCX_EINVAL, "not REPEAT"},
		{"<mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\"><common>a<!--x-->b</common></mcptt-UE-configuration>",
		 MCX_EINVAL, "comment or PI inside"},
		{"<mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\"><common>",
		 MCX_EINVAL, "well-formed"},
		{"<!DOCTYPE a><mcptt-UE-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEConfig:1.0\"/>",
		 MCX_EINVAL, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mo_tree *tr = NULL;
		char eb[300] = "";
		enum mcx_err err = mo_from_xml(MO_UE_CONFIG, cases[i].doc, strlen(cases[i].doc), 0,
					       NULL, &tr, eb, sizeof eb);
		if (err != cases[i].err || tr || !strstr(eb, cases[i].why)) {
			test_fail(t, __FILE__, __LINE__, "case %zu: %d (%s)", i, (int)err, eb);
			mo_tree_free(tr);
			return;
		}
	}
	size_t len;
	const char *doc = xcap_embedded("demo/service-config.xml", &len);
	struct mo_tree *tr = NULL;
	char eb[300] = "";
	struct mo_limits lim = *mo_limits_default();
	lim.depth_max = 3;
	CHECK_INT(t, mo_from_xml(MO_SERVICE_CONFIG, doc, len, 0, &lim, &tr, eb, sizeof eb), MCX_ELIMIT);
	lim = *mo_limits_default();
	lim.nodes_max = 10;
	CHECK_INT(t, mo_from_xml(MO_SERVICE_CONFIG, doc, len, 0, &lim, &tr, eb, sizeof eb), MCX_ELIMIT);
	lim = *mo_limits_default();
	lim.doc_max = len - 1;
	CHECK_INT(t, mo_from_xml(MO_SERVICE_CONFIG, doc, len, 0, &lim, &tr, eb, sizeof eb), MCX_ELIMIT);
	CHECK(t, !tr);
	/* kind detection */
	enum mo_kind k;
	CHECK_INT(t, mo_kind_of_xml(doc, len, &k, eb, sizeof eb), MCX_OK);
	CHECK_INT(t, k, MO_SERVICE_CONFIG);
	CHECK_INT(t, mo_kind_of_xml("<a/>", 4, &k, eb, sizeof eb), MCX_EINVAL);
}

/* Allocation failures anywhere in both directions end cleanly. */
static void test_mo_oom(struct test_ctx *t)
{
	size_t len;
	const char *doc = xcap_embedded("demo/group-fire.xml", &len);
	struct mo_tree *tr = NULL;
	char eb[300] = "";
	struct mcx_buf out;
	CHECK(t, doc);
	enum mcx_err err = mo_from_xml(MO_GROUP_CONFIG, doc, len, 0, NULL, &tr, eb, sizeof eb);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	buf_init(&out, 1 << 20);
	err = mo_to_xml(tr, 0, &out, NULL, eb, sizeof eb);
	if (!(t->in_oom && err == MCX_ENOMEM)) {
		CHECK_INT(t, err, MCX_OK);
		CHECK(t, out.len == len && !memcmp(out.p, doc, len));
	}
	buf_reset(&out);
	mo_tree_free(tr);
}


const struct test tests_dm_mo[] = {
	{"dm_mo_roundtrip_demo", test_mo_roundtrip_demo, false},
	{"dm_mo_canonical_both_ways", test_mo_canonical_both_ways, false},
	{"dm_mo_node_names", test_mo_node_names, false},
	{"dm_mo_table_bijective", test_mo_table_bijective, false},
	{"dm_mo_form_edit", test_mo_form_edit, false},
	{"dm_mo_refusals_bounds", test_mo_refusals_bounds, false},
	{"dm_mo_oom", test_mo_oom, true},
	{NULL, NULL, false},
};
