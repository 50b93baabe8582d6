/* The MCPTT MO mapping (src/dm/mo.c, the table in mo_map.c) and the DM
 * server session engine (src/dm/server.c) driven by a scripted client. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "core/buf.h"
#include "core/mem.h"
#include "dm/largeobj.h"
#include "dm/mo.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/client.h"
#include "dm/server.h"
#include "dm/server_role.h"
#include "dm/tree.h"
#include "dm/split.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/wbxml.h"
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

/* Namespace declarations on an empty element end with it: a prefix it
 * rebinds, or the default namespace it sets, does not leak to its
 * siblings (a foreign element was taken for an MO one, an MO element
 * refused); a UTF-8 byte order mark is kept as presentation. */
static void test_mo_namespace_scope(struct test_ctx *t)
{
#define UEI "urn:3gpp:mcptt:mcpttUEinitConfig:1.0"
	static const char shadow[] =
		"<mcptt-UE-initial-configuration xmlns=\"" UEI "\" xmlns:p=\"urn:other\" domain=\"x\">"
		"<p:on-network xmlns:p=\"" UEI "\"/><p:on-network/></mcptt-UE-initial-configuration>";
	static const char dflt[] =
		"<mcptt-UE-initial-configuration xmlns=\"" UEI "\" xmlns:u=\"" UEI "\" domain=\"x\">"
		"<u:Default-user-profile xmlns=\"urn:other\"/><on-network/>"
		"</mcptt-UE-initial-configuration>";
	static const char bom[] = "\xEF\xBB\xBF<mcptt-UE-initial-configuration xmlns=\"" UEI
				  "\" domain=\"x\"/>";
#undef UEI
	struct mo_tree *tr = NULL;
	struct mcx_buf out;
	char eb[300] = "";
	bool used = false;

	CHECK_INT(t, mo_from_xml(MO_UE_INIT_CONFIG, shadow, strlen(shadow), 0, NULL, &tr, eb,
				 sizeof eb), MCX_EINVAL);
	CHECK(t, strstr(eb, "{urn:other}on-network") != NULL);
	CHECK(t, !tr);
	eb[0] = '\0';
	CHECK_INT(t, mo_from_xml(MO_UE_INIT_CONFIG, dflt, strlen(dflt), 0, NULL, &tr, eb, sizeof eb),
		  MCX_OK);
	if (tr)
		CHECK(t, mo_tree_find(tr, "OnNetwork") != NULL);
	mo_tree_free(tr);
	tr = NULL;
	CHECK_INT(t, mo_from_xml(MO_UE_INIT_CONFIG, bom, strlen(bom), 0, NULL, &tr, eb, sizeof eb),
		  MCX_OK);
	buf_init(&out, 4096);
	if (tr)
		CHECK_INT(t, mo_to_xml(tr, 0, &out, &used, eb, sizeof eb), MCX_OK);
	CHECK(t, used);
	CHECK_MEM(t, out.p, out.len, bom, strlen(bom));
	buf_reset(&out);
	mo_tree_free(tr);
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



/* ------------------------------------------------ the DM server session */

/* A scripted UE: a flat management tree, package 1 with auth-md5, and
 * Status/Results for every server command (Atomic executed in order). */
#define UE_NODES 4096
struct ue_node {
	char *uri;
	char *value;	/* NULL: interior */
};

struct ue {
	const char *devid, *user, *pwd;
	struct dm_nonce nonce;
	const char *sid;
	uint32_t msg_id;
	bool wbxml;
	size_t max_msg;
	struct ue_node *n;
	size_t nn;
	unsigned hdr_status;	/* the server's last SyncHdr status */
	size_t atomics, msgs, alerts_next, chunks;
	char token[64];
	struct dm_lobj *lo;
};

static void ue_free(struct ue *u)
{
	for (size_t i = 0; i < u->nn; i++) {
		free(u->n[i].uri);
		free(u->n[i].value);
	}
	free(u->n);
	u->n = NULL;
	u->nn = 0;
	dm_lobj_free(u->lo);
	u->lo = NULL;
}

static long ue_find(const struct ue *u, const char *uri)
{
	for (size_t i = 0; i < u->nn; i++)
		if (!strcmp(u->n[i].uri, uri))
			return (long)i;
	return -1;
}

static unsigned ue_exec(struct ue *u, const struct dm_cmd *c, struct dm_msg *r, uint32_t msg,
			uint32_t *id)
{
	const struct dm_item *it = c->items;
	const char *uri = it ? it->target : NULL;
	if (!uri)
		return 400;
	char base[600];
	snprintf(base, sizeof base, "%s", uri);
	char *q = strchr(base, '?');
	long at;
	if (q) {	/* ?prop=ACL: accepted on an existing node */
		*q = '\0';
		return ue_find(u, base) >= 0 ? 200 : 404;
	}
	at = ue_find(u, uri);
	const char *data = it->data ? it->data->p : "";
	size_t dlen = it->data ? it->data->len : 0;
	if ((c->type == DM_CMD_ADD || c->type == DM_CMD_REPLACE) &&
	    (it->more_data || (u->lo && dm_lobj_pending(u->lo)))) {
		unsigned code;
		if (!u->lo && dm_lobj_alloc(&u->lo, NULL))
			return 500;
		if (dm_lobj_feed(u->lo, c, it, &code))
			return 500;
		if (code != 200)
			return code;
		u->chunks++;
		data = dm_lobj_data(u->lo, &dlen);
	}
	switch (c->type) {
	case DM_CMD_ADD: {
		if (at >= 0)
			return 418;
		char parent[600];
		snprintf(parent, sizeof parent, "%s", uri);
		char *sl = strrchr(parent, '/');
		if (sl && strcmp(parent, ".") && (*sl = '\0', strcmp(parent, ".")) &&
		    ue_find(u, parent) < 0)
			return 404;
		if (u->nn == UE_NODES)
			return 420;
		bool node = it->meta && it->meta->format && !strcmp(it->meta->format, "node");
		u->n[u->nn].uri = strdup(uri);
		u->n[u->nn].value = node ? NULL : strndup(data, dlen);
		u->nn++;
		return 200;
	}
	case DM_CMD_DELETE: {
		if (at < 0)
			return 404;
		size_t l = strlen(uri), w = 0;
		for (size_t i = 0; i < u->nn; i++) {
			if (!strcmp(u->n[i].uri, uri) ||
			    (!strncmp(u->n[i].uri, uri, l) && u->n[i].uri[l] == '/')) {
				free(u->n[i].uri);
				free(u->n[i].value);
				continue;
			}
			u->n[w++] = u->n[i];
		}
		u->nn = w;
		return 200;
	}
	case DM_CMD_REPLACE:
		if (at < 0)
			return 404;
		free(u->n[at].value);
		u->n[at].value = strndup(data, dlen);
		return 200;
	case DM_CMD_GET: {
		if (at < 0)
			return 404;
		struct mcx_buf b;
		struct dm_cmd *res;
		struct dm_item *ri;
		buf_init(&b, 1 << 20);
		size_t l = strlen(uri);
		if (!u->n[at].value) {
			for (size_t i = 0; i < u->nn; i++)
				if (!strncmp(u->n[i].uri, uri, l) && u->n[i].uri[l] == '/' &&
				    !strchr(u->n[i].uri + l + 1, '/') &&
				    (!b.len || !buf_add(&b, "/", 1)))
					(void)!buf_adds(&b, u->n[i].uri + l + 1);
		} else {
			(void)!buf_adds(&b, u->n[at].value);
		}
		if (!dm_cmd_add(r, NULL, DM_CMD_RESULTS, (*id)++, &res) &&
		    !dm_item_add(r, res, &ri)) {
			res->msg_ref = msg;
			res->has_msg_ref = true;
			res->cmd_ref = c->cmd_id;
			res->has_cmd_ref = true;
			(void)!dm_set(r, &ri->source, uri);
			(void)!dm_data_set(r, &ri->data, DM_DATA_TEXT, b.p ? b.p : "", b.len);
		}
		buf_reset(&b);
		return 200;
	}
	default:
		return 406;
	}
}

static enum mcx_err ue_pkg1(struct ue *u, bool cred, struct dm_msg **mp)
{
	struct dm_msg *m;
	struct dm_cmd *c;
	struct dm_item *it;
	enum mcx_err e = dm_msg_alloc(&m, NULL);
	if (e)
		return e;
	e = dm_hdr_init(m, u->sid, u->msg_id++, "http://127.0.0.1/dm", u->devid);
	if (!e && u->max_msg) {
		e = dm_meta_get(m, &m->hdr.meta);
		if (!e) {
			m->hdr.meta->max_msg_size = u->max_msg;
			m->hdr.meta->has |= DM_META_MAXMSGSIZE;
		}
	}
	if (!e && cred)
		e = dm_auth_cred_set(m, DM_AUTH_MD5, u->user, u->pwd, &u->nonce);
	if (!e)
		e = dm_cmd_add(m, NULL, DM_CMD_ALERT, 1, &c);
	if (!e) {
		c->code = DM_ALERT_CLIENT_INITIATED;
		c->has_code = true;
		e = dm_cmd_add(m, NULL, DM_CMD_REPLACE, 2, &c);
	}
	if (!e)
		e = dm_item_add(m, c, &it);
	if (!e)
		e = dm_set(m, &it->source, "./DevInfo/DevId");
	if (!e)
		e = dm_data_set(m, &it->data, DM_DATA_TEXT, u->devid, strlen(u->devid));
	m->final = true;
	if (e) {
		dm_msg_free(m);
		return e;
	}
	*mp = m;
	return MCX_OK;
}

/* Send m (freed) to the server; *rp is its parsed reply. */
static enum mcx_err ue_send(struct ue *u, struct dm_server *s, struct dm_msg *m,
			    struct dm_msg **rp, char *eb, size_t elen)
{
	struct mcx_buf req, rep;
	buf_init(&req, 4 << 20);
	buf_init(&rep, 4 << 20);
	enum mcx_err e = u->wbxml ? dm_msg_emit_wbxml(m, NULL, &req, eb, elen) : dm_msg_emit(m, &req);
	dm_msg_free(m);
	if (!e)
		e = dm_server_handle(s, req.p, req.len, u->wbxml, u->token[0] ? u->token : NULL, &rep,
				     eb, elen);
	if (!e && u->max_msg && rep.len > u->max_msg) {
		snprintf(eb, elen, "reply of %zu bytes over MaxMsgSize %zu", rep.len, u->max_msg);
		e = MCX_ELIMIT;
	}
	if (!e && u->wbxml != dm_is_wbxml(rep.p, rep.len))
		e = MCX_EINVAL;
	if (!e)
		e = u->wbxml ? dm_msg_parse_wbxml((const uint8_t *)rep.p, rep.len, NULL, rp, eb, elen)
			     : dm_msg_parse(rep.p, rep.len, NULL, 0, rp, eb, elen);
	if (!e) {
		u->msgs++;
		u->hdr_status = 0;
		for (const struct dm_cmd *c = (*rp)->cmds; c; c = c->next)
			if (c->type == DM_CMD_STATUS && c->cmd_ref == 0 && c->cmd &&
			    !strcmp(c->cmd, "SyncHdr")) {
				u->hdr_status = c->code;
				if (c->chal && c->chal->next_nonce)
					(void)!dm_nonce_from_b64(&u->nonce, c->chal->next_nonce);
			}
	}
	buf_reset(&req);
	buf_reset(&rep);
	return e;
}

/* The UE's answer to a server message; false when the session is over. */
static bool ue_answer(struct ue *u, const struct dm_msg *r, struct dm_msg **mp)
{
	bool cmds = false;
	for (const struct dm_cmd *c = r->cmds; c; c = c->next)
		if (c->type != DM_CMD_STATUS)
			cmds = true;
	if (r->final && !cmds)
		return false;
	struct dm_msg *m;
	if (dm_msg_alloc(&m, NULL))
		return false;
	uint32_t id = 1;
	struct dm_cmd *st;
	if (dm_hdr_init(m, u->sid, u->msg_id++, "http://127.0.0.1/dm", u->devid) ||
	    dm_status_add(m, id++, r->hdr.msg_id, 0, "SyncHdr", 200, &st)) {
		dm_msg_free(m);
		return false;
	}
	for (const struct dm_cmd *c = r->cmds; c; c = c->next) {
		if (c->type == DM_CMD_STATUS)
			continue;
		if (c->type == DM_CMD_ALERT) {
			if (c->code == DM_ALERT_NEXT_MESSAGE)
				u->alerts_next++;
			(void)!dm_status_add(m, id++, r->hdr.msg_id, c->cmd_id, "Alert", 200, &st);
			continue;
		}
		if (c->type == DM_CMD_ATOMIC) {
			u->atomics++;
			(void)!dm_status_add(m, id++, r->hdr.msg_id, c->cmd_id, "Atomic", 200, &st);
			struct dm_cmd *ast = st;
			for (const struct dm_cmd *k = c->children; k; k = k->next) {
				unsigned code = ue_exec(u, k, m, r->hdr.msg_id, &id);
				(void)!dm_status_add(m, id++, r->hdr.msg_id, k->cmd_id,
						     dm_cmd_name(k->type), code, &st);
				if (!dm_status_is_success(code))
					ast->code = 507;
			}
			continue;
		}
		unsigned code = ue_exec(u, c, m, r->hdr.msg_id, &id);
		(void)!dm_status_add(m, id++, r->hdr.msg_id, c->cmd_id, dm_cmd_name(c->type), code,
				     &st);
	}
	if (!r->final)
		(void)!dm_alert_next_add(m, id++);
	m->final = r->final;
	*mp = m;
	return true;
}

struct srv_fix {
	struct dm_srv_report rep;
	int reports;
	const char *docs[4];
	enum mo_kind kinds[4];
	size_t ndocs;
	bool atomic;
};

static enum mcx_err fix_account(void *arg, const char *devid, struct dm_srv_account *acc)
{
	(void)arg;
	if (strcmp(devid, "urn:gsma:imei:35209900-176148-1") &&
	    strcmp(devid, "urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01"))
		return MCX_ENOENT;
	snprintf(acc->devid, sizeof acc->devid, "%s", devid);
	snprintf(acc->user, sizeof acc->user, "%s", "ue-1");
	snprintf(acc->secret, sizeof acc->secret, "%s", "ue-secret");
	return dm_nonce_set(&acc->nonce, "boot", 4);
}

static enum mcx_err fix_plan(void *arg, const struct dm_srv_account *acc, struct dm_plan *p,
			     char *eb, size_t elen)
{
	struct srv_fix *f = arg;
	(void)acc;
	dm_plan_set_atomic(p, f->atomic);
	for (int k = 0; k < MO_KIND_COUNT; k++) {
		enum mcx_err e = dm_plan_clear(p, mo_maps[k].tree_root);
		if (e)
			return e;
	}
	for (size_t i = 0; i < f->ndocs; i++) {
		size_t len;
		const char *doc = xcap_embedded(f->docs[i], &len);
		struct mo_tree *tr = NULL;
		enum mcx_err e = doc ? mo_from_xml(f->kinds[i], doc, len, 0, NULL, &tr, eb, elen)
				     : MCX_ENOENT;
		if (!e)
			e = dm_plan_put_mo(p, "1", tr);
		mo_tree_free(tr);
		if (e)
			return e;
	}
	return MCX_OK;
}

static void fix_done(void *arg, const struct dm_srv_report *r)
{
	struct srv_fix *f = arg;
	f->rep = *r;
	f->reports++;
}

static enum mcx_err fix_server(struct srv_fix *f, size_t max_msg, struct dm_server **sp)
{
	struct dm_server_opts o = {.server_id = "mcx-test", .resp_uri = "http://127.0.0.1/dm",
				   .max_msg = max_msg, .account = fix_account, .plan = fix_plan,
				   .done = fix_done, .arg = f};
	return dm_server_alloc(sp, &o);
}

/* Run a whole session: package 1 (with Cred), then answer until the end. */
static enum mcx_err ue_session(struct ue *u, struct dm_server *s, char *eb, size_t elen)
{
	struct dm_msg *m = NULL, *r = NULL;
	enum mcx_err e = ue_pkg1(u, true, &m);
	for (int round = 0; !e && round < 200; round++) {
		e = ue_send(u, s, m, &r, eb, elen);
		if (e)
			break;
		if (u->hdr_status != 212 && u->hdr_status != 200) {
			snprintf(eb, elen, "SyncHdr status %u", u->hdr_status);
			dm_msg_free(r);
			return MCX_EAUTH;
		}
		bool more = ue_answer(u, r, &m);
		dm_msg_free(r);
		if (!more)
			return MCX_OK;
	}
	return e ? e : MCX_ELIMIT;
}

/* The instance under root in the UE's tree as MO nodes, then XML. */
static enum mcx_err ue_export(const struct ue *u, enum mo_kind k, const char *inst,
			      struct mcx_buf *out, char *eb, size_t elen)
{
	char pre[300];
	snprintf(pre, sizeof pre, "%s/%s/", mo_maps[k].tree_root, inst);
	size_t pl = strlen(pre);
	struct mo_tree *tr;
	enum mcx_err e = mo_tree_alloc(&tr, k, NULL);
	for (size_t i = 0; !e && i < u->nn; i++)
		if (!strncmp(u->n[i].uri, pre, pl))
			e = mo_tree_add(tr, u->n[i].uri + pl, u->n[i].value != NULL,
					u->n[i].value, u->n[i].value ? strlen(u->n[i].value) : 0);
	if (!e)
		e = mo_to_xml(tr, 0, out, NULL, eb, elen);
	mo_tree_free(tr);
	return e;
}

static bool same_as_demo(const struct mcx_buf *b, const char *name)
{
	size_t len;
	const char *doc = xcap_embedded(name, &len);
	return doc && b->len == len && !memcmp(b->p, doc, len);
}

/*   UE                                   server
 *   Pkg1 Alert 1201, DevInfo, Cred ---->  212 + NextNonce, Get ./MCPTT/...
 *   Status + Results             ---->   Atomic { Add ./MCPTT/... (3 MOs) }
 *   Status (Atomic 200, Adds 200) ---->  Status only, Final: over
 * The MOs land in the UE's tree and read back as the demo documents'
 * bytes; a second session (nonce rotated) replaces them in one Atomic. */
static void test_srv_atomic_delivery(struct test_ctx *t)
{
	struct srv_fix f = {.docs = {"demo/ue1-config.xml", "demo/alice-profile-0.xml",
				     "demo/service-config.xml"},
			    .kinds = {MO_UE_CONFIG, MO_USER_PROFILE, MO_SERVICE_CONFIG},
			    .ndocs = 3, .atomic = true};
	struct dm_server *s = NULL;
	struct ue u = {.devid = "urn:gsma:imei:35209900-176148-1", .user = "ue-1",
		       .pwd = "ue-secret", .sid = "1", .msg_id = 1};
	char eb[300] = "";
	struct mcx_buf x;
	buf_init(&x, 1 << 20);
	u.n = calloc(UE_NODES, sizeof *u.n);
	CHECK(t, u.n);
	CHECK_INT(t, dm_nonce_set(&u.nonce, "boot", 4), MCX_OK);
	if (fix_server(&f, 0, &s)) {
		test_fail(t, __FILE__, __LINE__, "server");
		goto out;
	}
	enum mcx_err e = ue_session(&u, s, eb, sizeof eb);
	if (e || f.reports != 1 || !f.rep.ok || f.rep.atomic != 200 || u.atomics != 1 ||
	    dm_server_sessions(s) != 0 || u.msgs != 3) {
		test_fail(t, __FILE__, __LINE__, "session: %d %s; reports %d ok %d atomic %u "
			  "atomics %zu msgs %zu fail %u %s why %s", e, eb, f.reports, f.rep.ok,
			  f.rep.atomic, u.atomics, u.msgs, f.rep.fail_code, f.rep.fail_uri, f.rep.why);
		goto out;
	}
	if (ue_find(&u, "./MCPTT/UserProfile/1/Common/1/MCPTTUserID/1/UriEntry") < 0 ||
	    ue_export(&u, MO_USER_PROFILE, "1", &x, eb, sizeof eb) ||
	    !same_as_demo(&x, "demo/alice-profile-0.xml")) {
		test_fail(t, __FILE__, __LINE__, "profile in the UE tree: %s\n%s", eb, x.p ? x.p : "");
		goto out;
	}
	buf_reset(&x);
	buf_init(&x, 1 << 20);
	if (ue_export(&u, MO_SERVICE_CONFIG, "1", &x, eb, sizeof eb) ||
	    !same_as_demo(&x, "demo/service-config.xml")) {
		test_fail(t, __FILE__, __LINE__, "service config: %s", eb);
		goto out;
	}
	/* again: the nonce rotated (the UE took NextNonce from the 212); the
	 * instances exist now, so they are deleted and added in the Atomic */
	size_t before = u.nn;
	u.sid = "2";
	u.atomics = 0;
	f.reports = 0;
	e = ue_session(&u, s, eb, sizeof eb);
	if (e || !f.rep.ok || f.rep.atomic != 200 || u.atomics != 1 || u.nn != before)
		test_fail(t, __FILE__, __LINE__, "second session: %d %s ok %d nodes %zu/%zu %u %s",
			  e, eb, f.rep.ok, u.nn, before, f.rep.fail_code, f.rep.fail_uri);
out:
	buf_reset(&x);
	ue_free(&u);
	dm_server_free(s);
}

/* Refusals: unknown DevId (403, no session), no / bad credentials (407 /
 * 401 with a fresh Chal, the session survives until the tries run out),
 * ./DevInfo/DevId other than the Source (403), a RespURI token of
 * another device's session (403). */
static void test_srv_refusals(struct test_ctx *t)
{
	struct srv_fix f = {.docs = {"demo/ue1-config.xml"}, .kinds = {MO_UE_CONFIG}, .ndocs = 1,
			    .atomic = true};
	struct dm_server *s = NULL;
	struct ue u = {.devid = "urn:gsma:imei:99999999-000000-0", .user = "ue-1",
		       .pwd = "ue-secret", .sid = "1", .msg_id = 1};
	char eb[300] = "";
	struct dm_msg *m = NULL, *r = NULL;
	CHECK_INT(t, dm_nonce_set(&u.nonce, "boot", 4), MCX_OK);
	CHECK_INT(t, fix_server(&f, 0, &s), MCX_OK);

	/* unknown DevId */
	CHECK_INT(t, ue_pkg1(&u, true, &m), MCX_OK);
	if (ue_send(&u, s, m, &r, eb, sizeof eb) || u.hdr_status != 403 ||
	    dm_server_sessions(s) != 0 || f.rep.refused != 403) {
		test_fail(t, __FILE__, __LINE__, "unknown DevId: %u %s", u.hdr_status, eb);
		goto out;
	}
	dm_msg_free(r);
	r = NULL;

	/* no credentials: 407 + Chal; wrong password: 401 + a new Chal */
	u.devid = "urn:gsma:imei:35209900-176148-1";
	struct dm_nonce first = u.nonce;
	if (ue_pkg1(&u, false, &m) || ue_send(&u, s, m, &r, eb, sizeof eb) ||
	    u.hdr_status != 407 || dm_server_sessions(s) != 1 ||
	    (u.nonce.len == first.len && !memcmp(u.nonce.b, first.b, first.len))) {
		test_fail(t, __FILE__, __LINE__, "no Cred: %u", u.hdr_status);
		goto out;
	}
	for (const struct dm_cmd *c = r->cmds; c; c = c->next)
		if (c->type != DM_CMD_STATUS) {
			test_fail(t, __FILE__, __LINE__, "commands sent before authentication");
			goto out;
		}
	dm_msg_free(r);
	r = NULL;
	u.pwd = "wrong";
	if (ue_pkg1(&u, true, &m) || ue_send(&u, s, m, &r, eb, sizeof eb) || u.hdr_status != 401) {
		test_fail(t, __FILE__, __LINE__, "bad Cred: %u", u.hdr_status);
		goto out;
	}
	dm_msg_free(r);
	r = NULL;
	/* the right password with the nonce of the last Chal: accepted */
	u.pwd = "ue-secret";
	if (ue_pkg1(&u, true, &m) || ue_send(&u, s, m, &r, eb, sizeof eb) || u.hdr_status != 212 ||
	    !r->hdr.resp_uri || !strstr(r->hdr.resp_uri, "?s=")) {
		test_fail(t, __FILE__, __LINE__, "good Cred after 401: %u %s", u.hdr_status, eb);
		goto out;
	}
	/* another device posting to this session's RespURI */
	snprintf(u.token, sizeof u.token, "%s", strstr(r->hdr.resp_uri, "?s=") + 3);
	dm_msg_free(r);
	r = NULL;
	struct ue v = u;
	v.devid = "urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01";
	if (ue_pkg1(&v, true, &m) || ue_send(&v, s, m, &r, eb, sizeof eb) || v.hdr_status != 403 ||
	    f.rep.refused != 403 || !strstr(f.rep.why, "DevId other")) {
		test_fail(t, __FILE__, __LINE__, "wrong DevId in a session: %u %s", v.hdr_status,
			  f.rep.why);
		goto out;
	}
	dm_msg_free(r);
	r = NULL;

	/* DevInfo/DevId differing from the SyncHdr Source */
	u.token[0] = '\0';
	u.sid = "7";
	if (ue_pkg1(&u, true, &m)) {
		test_fail(t, __FILE__, __LINE__, "pkg1");
		goto out;
	}
	for (struct dm_cmd *c = m->cmds; c; c = c->next)
		if (c->type == DM_CMD_REPLACE)
			(void)!dm_data_set(m, &c->items->data, DM_DATA_TEXT, "urn:uuid:x", 10);
	if (ue_send(&u, s, m, &r, eb, sizeof eb) || u.hdr_status != 403) {
		test_fail(t, __FILE__, __LINE__, "DevInfo/DevId mismatch: %u", u.hdr_status);
		goto out;
	}
	dm_msg_free(r);
	r = NULL;

	/* bad credentials, again and again: the session is dropped */
	u.sid = "8";
	u.pwd = "wrong";
	for (int i = 0; i <= DM_SRV_AUTH_TRIES; i++) {
		if (ue_pkg1(&u, true, &m) || ue_send(&u, s, m, &r, eb, sizeof eb) ||
		    u.hdr_status != 401) {
			test_fail(t, __FILE__, __LINE__, "try %d: %u", i, u.hdr_status);
			goto out;
		}
		dm_msg_free(r);
		r = NULL;
	}
	CHECK(t, f.rep.refused == 401);
	/* not a SyncML message at all */
	struct mcx_buf rep;
	buf_init(&rep, 1 << 16);
	CHECK_INT(t, dm_server_handle(s, "<x/>", 4, false, NULL, &rep, eb, sizeof eb), MCX_EINVAL);
	buf_reset(&rep);
out:
	dm_msg_free(r);
	dm_server_free(s);
}

/* A client MaxMsgSize too small for one Atomic: several messages (Alert
 * 1222), one Atomic per MO, large objects for the XMLForm leaves; over
 * WBXML. The UE still ends with the exact documents. */
static void test_srv_small_maxmsg(struct test_ctx *t)
{
	struct srv_fix f = {.docs = {"demo/ue-init-config.xml", "demo/group-fire.xml"},
			    .kinds = {MO_UE_INIT_CONFIG, MO_GROUP_CONFIG}, .ndocs = 2, .atomic = true};
	struct dm_server *s = NULL;
	struct ue u = {.devid = "urn:gsma:imei:35209900-176148-1", .user = "ue-1",
		       .pwd = "ue-secret", .sid = "3", .msg_id = 1, .wbxml = true, .max_msg = 3000};
	char eb[300] = "";
	struct mcx_buf x;
	buf_init(&x, 1 << 20);
	u.n = calloc(UE_NODES, sizeof *u.n);
	CHECK(t, u.n);
	CHECK_INT(t, dm_nonce_set(&u.nonce, "boot", 4), MCX_OK);
	if (fix_server(&f, 0, &s)) {
		test_fail(t, __FILE__, __LINE__, "server");
		goto out;
	}
	enum mcx_err e = ue_session(&u, s, eb, sizeof eb);
	if (e || !f.rep.ok || u.msgs < 5 || u.atomics != 0 || !f.rep.why[0] || !u.chunks) {
		test_fail(t, __FILE__, __LINE__, "session: %d %s ok %d msgs %zu atomics %zu why %s "
			  "fail %u %s", e, eb, f.rep.ok, u.msgs, u.atomics, f.rep.why,
			  f.rep.fail_code, f.rep.fail_uri);
		goto out;
	}
	if (ue_export(&u, MO_GROUP_CONFIG, "1", &x, eb, sizeof eb) ||
	    !same_as_demo(&x, "demo/group-fire.xml"))
		test_fail(t, __FILE__, __LINE__, "group: %s\n%s", eb, x.p ? x.p : "");
	/* a roomier client gets one Atomic per MO (the whole does not fit) */
	ue_free(&u);
	u.n = calloc(UE_NODES, sizeof *u.n);
	CHECK(t, u.n);
	u.max_msg = 16000;
	u.atomics = 0;
	u.sid = "4";
	e = ue_session(&u, s, eb, sizeof eb);
	if (e || !f.rep.ok || u.atomics != 2)
		test_fail(t, __FILE__, __LINE__, "per-MO Atomic: %d %s atomics %zu why %s", e, eb,
			  u.atomics, f.rep.why);
out:
	buf_reset(&x);
	ue_free(&u);
	dm_server_free(s);
}

/* ------------------------------------------- the role, with the real client */

/* The server-side role's HTTP entry (server_role.h): the routes, statuses
 * and content types mcxd and `mcx dm serve` share, the devices file, the
 * bootstrap GET (SEC/MAC) and the query decoding. */
static void test_role_http(struct test_ctx *t)
{
	char path[] = "/tmp/mcx-dm-devices-XXXXXX", eb[300] = "", v[64];
	struct dm_delegate del = {.acc = "sp", .server_id = "sp", .addr = "http://sp/dm",
				  .client_user = "u", .client_secret = "s"};
	struct dm_role_conf c = {.server_id = "op", .url = "http://127.0.0.1/dm",
				 .networkid = "001010123456789", .delegate = &del};
	struct dm_role *r = NULL;
	struct dm_role_answer a;
	int fd = mkstemp(path);
	CHECK(t, fd >= 0);
	static const char good[] = "# comment\n\nurn:gsma:imei:35209900-176148-1 ue1 pw1 Ym9vdA== "
				   "sip:alice@example.org\nurn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01 u2 p2\n"
				   "urn:gsma:imei:35209900-176148-1 again x\n";
	CHECK(t, write(fd, good, sizeof good - 1) == (ssize_t)(sizeof good - 1));
	close(fd);
	CHECK_INT(t, dm_role_alloc(&r, &c, NULL, eb, sizeof eb), MCX_OK);
	/* the third line repeats a DevId: refused with file:line */
	enum mcx_err e = dm_role_load_devices(r, path, eb, sizeof eb);
	unlink(path);
	if (e != MCX_EEXIST || !strstr(eb, ":5: DevId listed twice") || dm_role_devices(r) != 2) {
		test_fail(t, __FILE__, __LINE__, "devices: %d %s (%zu)", e, eb, dm_role_devices(r));
		dm_role_free(r);
		return;
	}
	static const struct {
		const char *method, *sub, *devid, *ctype, *body;
		bool big;
		unsigned status;
		const char *ct;
	} cases[] = {
		{"GET", "/bootstrap", "urn:gsma:imei:35209900-176148-1", NULL, NULL, false, 200,
		 "application/vnd.syncml.dm+wbxml; SEC=NETWORKID; MAC="},
		{"GET", "/bootstrap", "urn:uuid:00000000-0000-0000-0000-000000000000", NULL, NULL, false,
		 404, "text/plain"},
		{"GET", "/bootstrap", NULL, NULL, NULL, false, 404, "text/plain"},
		{"POST", "/bootstrap", "urn:gsma:imei:35209900-176148-1", NULL, "x", false, 405, "text/plain"},
		{"GET", "", NULL, NULL, NULL, false, 405, "text/plain"},
		{"POST", "/x", NULL, DM_MIME_XML, "x", false, 404, "text/plain"},
		{"POST", "", NULL, "text/plain", "x", false, 415, "text/plain"},
		{"POST", "", NULL, DM_MIME_XML, "<SyncML>", false, 400, "text/plain"},
		{"POST", "", NULL, DM_MIME_XML, "<SyncML>", true, 413, "text/plain"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dm_role_answer_init(&a);
		dm_role_http(r, cases[i].method, cases[i].sub, NULL, cases[i].devid, cases[i].ctype,
			     cases[i].body, cases[i].body ? strlen(cases[i].body) : 0, cases[i].big, &a);
		bool ok = a.status == cases[i].status &&
			  !strncmp(a.ctype, cases[i].ct, strlen(cases[i].ct));
		if (ok && a.status == 200)	/* the bootstrap message verifies with its MAC */
			ok = dm_boot_verify(a.ctype, strlen(a.ctype), (const uint8_t *)a.body.p,
					    a.body.len, "001010123456789", NULL) == MCX_OK &&
			     dm_boot_verify(a.ctype, strlen(a.ctype), (const uint8_t *)a.body.p,
					    a.body.len, "001010123456780", NULL) == MCX_EAUTH;
		if (!ok)
			test_fail(t, __FILE__, __LINE__, "case %zu: %u %s (%s)", i, a.status, a.ctype,
				  a.why);
		dm_role_answer_free(&a);
		if (!ok) {
			dm_role_free(r);
			return;
		}
	}
	dm_role_free(r);
	static const char q[] = "a=1&devid=urn%3Agsma%3Aimei%3A1&s=ab+c&bad=%4&nul=%00";
	CHECK(t, dm_role_query(q, strlen(q), "devid", v, sizeof v));
	CHECK_STR(t, v, "urn:gsma:imei:1");
	CHECK(t, dm_role_query(q, strlen(q), "s", v, sizeof v));
	CHECK_STR(t, v, "ab c");
	CHECK(t, !dm_role_query(q, strlen(q), "bad", v, sizeof v));
	CHECK(t, !dm_role_query(q, strlen(q), "nul", v, sizeof v));
	CHECK(t, !dm_role_query(q, strlen(q), "devid", v, 8));
	CHECK(t, !dm_role_query(q, strlen(q), "dev", v, sizeof v));
}

/* A device's nonce of the largest size the devices file takes (64 bytes)
 * reaches the UE in its bootstrap message (the b64 text was cut off and
 * silently dropped past 45 bytes); a line whose fields are not UTF-8 text
 * (they go into the XML of that message, which then could not be built) is
 * refused when the file is read. */
static void test_role_boot_devices(struct test_ctx *t)
{
	char path[] = "/tmp/mcx-dm-devices-XXXXXX", eb[300] = "", line[400], b64[100];
	struct dm_role_conf c = {.server_id = "op", .url = "http://127.0.0.1/dm",
				 .networkid = "001010123456789"};
	struct dm_boot_keys k = {"001010123456789", NULL, false};
	struct dm_devinfo di = {.dev_id = "urn:gsma:imei:35209900-176148-1"};
	struct dm_nonce n = {.len = DM_NONCE_MAX};
	struct dm_role *r = NULL;
	struct dm_tree *tr = NULL;
	struct dm_role_answer a;
	struct dm_account acc = {0};
	int fd = mkstemp(path);

	CHECK(t, fd >= 0);
	memset(n.b, 0xA5, sizeof n.b);
	CHECK_INT(t, dm_nonce_to_b64(&n, b64, sizeof b64), MCX_OK);
	int ll = snprintf(line, sizeof line, "%s ue1 pw1 %s\n", di.dev_id, b64);
	CHECK(t, write(fd, line, (size_t)ll) == ll);
	close(fd);
	CHECK_INT(t, dm_role_alloc(&r, &c, NULL, eb, sizeof eb), MCX_OK);
	if (!r) {
		unlink(path);
		return;
	}
	CHECK_INT(t, dm_role_load_devices(r, path, eb, sizeof eb), MCX_OK);
	unlink(path);
	dm_role_answer_init(&a);
	dm_role_http(r, "GET", "/bootstrap", NULL, di.dev_id, NULL, NULL, 0, false, &a);
	CHECK_INT(t, a.status, 200);
	CHECK(t, !dm_tree_alloc(&tr, NULL) && !dm_tree_init_std(tr, &di));
	if (a.status == 200 && tr) {
		CHECK_INT(t, dm_boot_apply(tr, (const uint8_t *)a.body.p, a.body.len, a.ctype, &k,
					   DM_ORIGIN_FETCH, NULL, eb, sizeof eb), MCX_OK);
		CHECK_INT(t, dm_account_read(tr, "op", &acc), MCX_OK);
		CHECK_STR(t, acc.cl_nonce ? acc.cl_nonce : "", b64);
		dm_account_clear(&acc);
	}
	dm_tree_free(tr);
	dm_role_answer_free(&a);
	dm_role_free(r);
	r = NULL;
	static const char bad[] = "# x\nurn:uuid:1 ue1 p\xE4w1\n";
	snprintf(path, sizeof path, "/tmp/mcx-dm-devices-XXXXXX");
	fd = mkstemp(path);
	CHECK(t, fd >= 0);
	CHECK(t, write(fd, bad, sizeof bad - 1) == (ssize_t)(sizeof bad - 1));
	close(fd);
	CHECK_INT(t, dm_role_alloc(&r, &c, NULL, eb, sizeof eb), MCX_OK);
	if (r) {
		CHECK_INT(t, dm_role_load_devices(r, path, eb, sizeof eb), MCX_EINVAL);
		CHECK(t, strstr(eb, ":2: field 3 is not UTF-8") != NULL);
		CHECK_INT(t, dm_role_devices(r), 0);
	}
	unlink(path);
	dm_role_free(r);
}

/* One whole session between DM-CLIENT's session engine on a real tree and
 * a server (the role's HTTP entry, or a bare engine); the reply of each
 * message is fed back as the HTTP body would be. conf NULL: the default
 * client with a 1 MiB MaxMsgSize (one Atomic for the whole plan). */
static enum mcx_err real_session(struct dm_tree *tr, const char *account, struct dm_role *role,
				 struct dm_server *eng, const struct dm_client_conf *conf,
				 struct dm_session_stats *st, char *eb, size_t el)
{
	struct dm_client_conf cc;
	struct dm_session *ss = NULL;
	dm_client_conf_default(&cc);
	cc.msg_max = 1024 * 1024;
	if (conf)
		cc = *conf;
	enum mcx_err e = dm_session_alloc(&ss, tr, account, &cc, 1201, NULL);
	for (int round = 0; !e && round < 100 && dm_session_has_out(ss); round++) {
		struct dm_out o;
		struct dm_role_answer a;
		char tok[64];
		const char *q;
		e = dm_session_out(ss, &o);
		if (e)
			break;
		q = strchr(o.url, '?');
		bool has_tok = q && dm_role_query(q + 1, strlen(q + 1), "s", tok, sizeof tok);
		dm_role_answer_init(&a);
		if (role) {
			dm_role_http(role, "POST", "", has_tok ? tok : NULL, NULL, o.ctype, o.body,
				     o.len, false, &a);
		} else {
			bool wb = !strcmp(o.ctype, DM_MIME_WBXML);
			e = dm_server_handle(eng, o.body, o.len, wb, has_tok ? tok : NULL, &a.body,
					     eb, el);
			a.status = e ? 400 : 200;
			snprintf(a.ctype, sizeof a.ctype, "%s", wb ? DM_MIME_WBXML : DM_MIME_XML);
		}
		if (!e && a.status != 200) {
			snprintf(eb, el, "HTTP %u %.200s", a.status, a.why);
			e = MCX_EIO;
		}
		if (!e)
			e = dm_session_feed(ss, (const uint8_t *)a.body.p, a.body.len, a.ctype, NULL);
		if (e)
			snprintf(eb, el, "%s", dm_session_error(ss));
		dm_role_answer_free(&a);
	}
	if (!e && !dm_session_done(ss))
		e = MCX_ELIMIT;
	if (ss)
		dm_session_stats(ss, st);
	dm_session_free(ss);
	return e;
}

struct sp_fix {
	struct srv_fix f;
	const char *user, *secret, *get;
};

static enum mcx_err sp_account(void *arg, const char *devid, struct dm_srv_account *acc)
{
	struct sp_fix *s = arg;
	memset(acc, 0, sizeof *acc);
	snprintf(acc->devid, sizeof acc->devid, "%s", devid);
	snprintf(acc->user, sizeof acc->user, "%s", s->user);
	snprintf(acc->secret, sizeof acc->secret, "%s", s->secret);
	return MCX_OK;
}

static enum mcx_err sp_plan(void *arg, const struct dm_srv_account *acc, struct dm_plan *p,
			    char *eb, size_t el)
{
	struct sp_fix *s = arg;
	enum mcx_err e = fix_plan(&s->f, acc, p, eb, el);
	return e || !s->get ? e : dm_plan_get(p, s->get);
}

static void sp_done(void *arg, const struct dm_srv_report *r)
{
	fix_done(&((struct sp_fix *)arg)->f, r);
}

/* Server delegation, DM 1.2 ACLs, against DM-CLIENT's real tree and
 * session engine:
 *   op session: Add ./DMAcc/sp, ACL of ./MCPTT and of the five MO roots
 *   sp session: Atomic of its MOs (200), Get ./DMAcc/op outside them: 425
 *   op session: its Atomic on the MCPTT MOs fails (425), the tree stays */
static void test_role_delegation_real_client(struct test_ctx *t)
{
	static const char ue[] = "urn:gsma:imei:35209900-176148-2";
	struct dm_tree *tr = NULL;
	struct dm_role *op = NULL;
	struct dm_server *eng = NULL;
	struct dm_session_stats st;
	char eb[300] = "";
	struct dm_devinfo di = {.dev_id = ue, .man = "mcx", .mod = "test", .lang = "en"};
	struct dm_acc_spec as = {.name = "op", .server_id = "op", .addr = "http://op.example/dm",
				 .cl_name = "ue-op", .cl_secret = "op-s", .sv_name = "op",
				 .sv_secret = "x"};
	struct dm_delegate del = {.acc = "sp", .server_id = "sp", .addr = "http://sp.example/dm",
				  .client_user = "ue-sp", .client_secret = "sp-s",
				  .server_secret = "sp-srv"};
	struct dm_role_conf c = {.server_id = "op", .url = "http://op.example/dm", .delegate = &del};
	struct dm_srv_account dev = {.user = "ue-op", .secret = "op-s"};
	struct sp_fix sp = {.f = {.docs = {"demo/alice-profile-0.xml", "demo/service-config.xml"},
				  .kinds = {MO_USER_PROFILE, MO_SERVICE_CONFIG}, .ndocs = 2,
				  .atomic = true},
			    .user = "ue-sp", .secret = "sp-s", .get = "./DMAcc/op"};
	struct dm_server_opts so = {.server_id = "sp", .resp_uri = "http://sp.example/dm",
				    .max_msg = 1024 * 1024, .account = sp_account, .plan = sp_plan,
				    .done = sp_done, .arg = &sp};
	snprintf(dev.devid, sizeof dev.devid, "%s", ue);
	if (dm_tree_alloc(&tr, NULL) || dm_tree_init_std(tr, &di) ||
	    dm_account_add(tr, &as, eb, sizeof eb) || dm_role_alloc(&op, &c, NULL, eb, sizeof eb) ||
	    dm_role_add_device(op, &dev) || dm_server_alloc(&eng, &so)) {
		test_fail(t, __FILE__, __LINE__, "setup: %s", eb);
		goto out;
	}
	enum mcx_err e = real_session(tr, "op", op, NULL, NULL, &st, eb, sizeof eb);
	const struct dm_node *mc = dm_tree_find(tr, "./MCPTT");
	const struct dm_node *upr = dm_tree_find(tr, "./MCPTT/UserProfile");
	if (e || st.failed > st.cmds || !dm_tree_value(tr, "./DMAcc/sp/ServerID") ||
	    strcmp(dm_tree_value(tr, "./DMAcc/sp/ServerID"), "sp") || !mc || !mc->acl ||
	    strcmp(mc->acl, "Add=op&Delete=op&Get=op+sp&Replace=op") || !upr || !upr->acl ||
	    strcmp(upr->acl, "Add=sp&Delete=sp&Get=op+sp&Replace=sp")) {
		test_fail(t, __FILE__, __LINE__, "op session: %d %s; ACLs %s / %s", e, eb,
			  mc && mc->acl ? mc->acl : "-", upr && upr->acl ? upr->acl : "-");
		goto out;
	}
	/* the service provider: its MOs land, the Get outside them is denied */
	e = real_session(tr, "sp", NULL, eng, NULL, &st, eb, sizeof eb);
	if (e || sp.f.reports != 1 || sp.f.rep.atomic != 200 || sp.f.rep.fail_code != 425 ||
	    strcmp(sp.f.rep.fail_uri, "./DMAcc/op") || st.denied != 1 ||
	    !dm_tree_value(tr, "./MCPTT/UserProfile/1/XMLForm")) {
		test_fail(t, __FILE__, __LINE__, "sp session: %d %s; atomic %u fail %u %s denied %u",
			  e, eb, sp.f.rep.atomic, sp.f.rep.fail_code, sp.f.rep.fail_uri, st.denied);
		goto out;
	}
	/* the operator now only reads them: its plan of MOs fails as a whole */
	dm_server_free(eng);
	eng = NULL;
	sp.f.reports = 0;
	sp.user = "ue-op";
	sp.secret = "op-s";
	sp.get = NULL;
	sp.f.docs[0] = "demo/bob-profile-0.xml";
	so.server_id = "op";
	CHECK_INT(t, dm_server_alloc(&eng, &so), MCX_OK);
	e = real_session(tr, "op", NULL, eng, NULL, &st, eb, sizeof eb);
	const char *xui = dm_tree_value(tr, "./MCPTT/UserProfile/1/Common/1/MCPTTUserID/1/UriEntry");
	if (e || sp.f.reports != 1 || sp.f.rep.ok || sp.f.rep.atomic == 200 || !st.denied || !xui ||
	    strcmp(xui, "sip:alice@example.org"))
		test_fail(t, __FILE__, __LINE__, "op after delegation: %d %s; ok %d atomic %u "
			  "denied %u, profile of %s", e, eb, sp.f.rep.ok, sp.f.rep.atomic, st.denied,
			  xui ? xui : "-");
out:
	dm_server_free(eng);
	dm_role_free(op);
	dm_tree_free(tr);
}

/* The server authenticating itself to the UE (DM 1.2 both ways), against
 * DM-CLIENT's real session engine requiring it (--require-server-auth):
 *   SRVCRED name/secret right, the nonce the UE holds (AAuthData): 212 at
 *     once, the MOs land;
 *   a server that lost that nonce (restart, stale account): the UE answers
 *     401 + Chal and runs nothing, the server sends the same message again
 *     on the new nonce: accepted; the next session uses the kept nonce;
 *   a wrong server secret: the UE refuses every try, nothing of the plan
 *     reaches its tree, the server reports the UE's 401;
 *   no server secret at all: the UE's 407 ends the session. */
struct sa_fix {
	struct srv_fix f;
	const char *srv_user, *srv_secret, *srv_nonce;
};

static enum mcx_err sa_account(void *arg, const char *devid, struct dm_srv_account *acc)
{
	struct sa_fix *s = arg;
	memset(acc, 0, sizeof *acc);
	snprintf(acc->devid, sizeof acc->devid, "%s", devid);
	snprintf(acc->user, sizeof acc->user, "%s", "ue-1");
	snprintf(acc->secret, sizeof acc->secret, "%s", "ue-secret");
	snprintf(acc->srv_user, sizeof acc->srv_user, "%s", s->srv_user);
	snprintf(acc->srv_secret, sizeof acc->srv_secret, "%s", s->srv_secret);
	return dm_nonce_set(&acc->srv_nonce, s->srv_nonce, strlen(s->srv_nonce));
}

static enum mcx_err sa_plan(void *arg, const struct dm_srv_account *acc, struct dm_plan *p,
			    char *eb, size_t el)
{
	return fix_plan(&((struct sa_fix *)arg)->f, acc, p, eb, el);
}

static void sa_done(void *arg, const struct dm_srv_report *r)
{
	fix_done(&((struct sa_fix *)arg)->f, r);
}

static enum mcx_err sa_tree(struct dm_tree **tr, char *eb, size_t el)
{
	struct dm_devinfo di = {.dev_id = "urn:gsma:imei:35209900-176148-1", .man = "mcx",
				.mod = "test", .lang = "en"};
	/* SRVCRED AAuthData b64("n0"): the nonce the server's Cred must use */
	struct dm_acc_spec as = {.name = "op", .server_id = "op", .addr = "http://op.example/dm",
				 .cl_name = "ue-1", .cl_secret = "ue-secret", .sv_name = "op-srv",
				 .sv_secret = "srv-secret", .sv_nonce = "bjA="};
	enum mcx_err e = dm_tree_alloc(tr, NULL);
	if (!e)
		e = dm_tree_init_std(*tr, &di);
	return e ? e : dm_account_add(*tr, &as, eb, el);
}

static void test_srv_auth_real_client(struct test_ctx *t)
{
	struct sa_fix sa = {.f = {.docs = {"demo/alice-profile-0.xml"}, .kinds = {MO_USER_PROFILE},
				  .ndocs = 1, .atomic = true},
			    .srv_user = "op-srv", .srv_secret = "srv-secret", .srv_nonce = "n0"};
	struct dm_server_opts so = {.server_id = "op", .resp_uri = "http://op.example/dm",
				    .max_msg = 1024 * 1024, .account = sa_account, .plan = sa_plan,
				    .done = sa_done, .arg = &sa};
	struct dm_tree *tr = NULL;
	struct dm_server *eng = NULL;
	struct dm_session_stats st;
	char eb[300] = "";
	const char *xui = "./MCPTT/UserProfile/1/Common/1/MCPTTUserID/1/UriEntry";
	struct dm_client_conf req;
	dm_client_conf_default(&req);
	req.msg_max = 1024 * 1024;
	req.require_server_auth = true;
	if (sa_tree(&tr, eb, sizeof eb) || dm_server_alloc(&eng, &so)) {
		test_fail(t, __FILE__, __LINE__, "setup: %s", eb);
		goto out;
	}
	/* the right SRVCRED on the nonce the UE holds: accepted at once */
	enum mcx_err e = real_session(tr, "op", NULL, eng, &req, &st, eb, sizeof eb);
	if (e || !st.server_authenticated || sa.f.reports != 1 || !sa.f.rep.ok ||
	    sa.f.rep.atomic != 200 || !sa.f.rep.srv_cred || !sa.f.rep.srv_accepted ||
	    sa.f.rep.srv_challenges != 0 || !dm_tree_value(tr, xui)) {
		test_fail(t, __FILE__, __LINE__, "good SRVCRED: %d %s; srv auth %d, ok %d atomic %u "
			  "cred %d accepted %d challenges %u", e, eb, st.server_authenticated,
			  sa.f.rep.ok, sa.f.rep.atomic, sa.f.rep.srv_cred, sa.f.rep.srv_accepted,
			  sa.f.rep.srv_challenges);
		goto out;
	}
	/* a restarted server with a stale nonce: one challenge, then accepted */
	dm_server_free(eng);
	eng = NULL;
	sa.srv_nonce = "stale";
	sa.f.reports = 0;
	sa.f.docs[0] = "demo/bob-profile-0.xml";
	CHECK_INT(t, dm_server_alloc(&eng, &so), MCX_OK);
	e = real_session(tr, "op", NULL, eng, &req, &st, eb, sizeof eb);
	const char *who = dm_tree_value(tr, xui);
	if (e || !st.server_authenticated || !sa.f.rep.ok || sa.f.rep.srv_challenges != 1 ||
	    !sa.f.rep.srv_accepted || !who || strcmp(who, "sip:bob@example.org")) {
		test_fail(t, __FILE__, __LINE__, "stale nonce: %d %s; srv auth %d ok %d challenges %u "
			  "profile of %s (%s)", e, eb, st.server_authenticated, sa.f.rep.ok,
			  sa.f.rep.srv_challenges, who ? who : "-", sa.f.rep.why);
		goto out;
	}
	/* the same server again: it kept the nonce of the UE's Chal */
	sa.f.reports = 0;
	e = real_session(tr, "op", NULL, eng, &req, &st, eb, sizeof eb);
	if (e || !st.server_authenticated || !sa.f.rep.ok || sa.f.rep.srv_challenges != 0) {
		test_fail(t, __FILE__, __LINE__, "kept nonce: %d %s; challenges %u", e, eb,
			  sa.f.rep.srv_challenges);
		goto out;
	}
	/* a wrong server secret: refused, the plan (alice again) never runs */
	dm_server_free(eng);
	eng = NULL;
	sa.srv_secret = "not-the-secret";
	sa.f.reports = 0;
	sa.f.docs[0] = "demo/alice-profile-0.xml";
	CHECK_INT(t, dm_server_alloc(&eng, &so), MCX_OK);
	e = real_session(tr, "op", NULL, eng, &req, &st, eb, sizeof eb);
	who = dm_tree_value(tr, xui);
	if (e == MCX_OK || st.server_authenticated || sa.f.reports != 1 ||
	    sa.f.rep.refused != 401 || sa.f.rep.srv_accepted ||
	    sa.f.rep.srv_challenges != DM_SRV_AUTH_TRIES + 1 || !strstr(sa.f.rep.why, "refused") ||
	    !who || strcmp(who, "sip:bob@example.org") || dm_server_sessions(eng) != 0) {
		test_fail(t, __FILE__, __LINE__, "wrong secret: %d %s; srv auth %d refused %u "
			  "challenges %u why %s; profile of %s", e, eb, st.server_authenticated,
			  sa.f.rep.refused, sa.f.rep.srv_challenges, sa.f.rep.why, who ? who : "-");
		goto out;
	}
	/* no server secret at all: the UE wants one (407), the session ends */
	dm_server_free(eng);
	eng = NULL;
	sa.srv_secret = "";
	sa.f.reports = 0;
	CHECK_INT(t, dm_server_alloc(&eng, &so), MCX_OK);
	e = real_session(tr, "op", NULL, eng, &req, &st, eb, sizeof eb);
	if (e == MCX_OK || sa.f.rep.refused != 407 || sa.f.rep.srv_cred ||
	    !strstr(sa.f.rep.why, "no server credentials"))
		test_fail(t, __FILE__, __LINE__, "no SRVCRED: %d %s; refused %u why %s", e, eb,
			  sa.f.rep.refused, sa.f.rep.why);
	/* and the same server for a UE that does not require it: served */
	sa.f.reports = 0;
	e = real_session(tr, "op", NULL, eng, NULL, &st, eb, sizeof eb);
	who = dm_tree_value(tr, xui);
	if (e || !sa.f.rep.ok || st.server_authenticated || !who ||
	    strcmp(who, "sip:alice@example.org"))
		test_fail(t, __FILE__, __LINE__, "not required: %d %s", e, eb);
out:
	dm_server_free(eng);
	dm_tree_free(tr);
}

/* The devices file's SRVCRED columns through the role (mcxd and `mcx dm
 * serve`): a device's own `SRV_USER SRV_SECRET SRV_NONCE_B64` (MCPTT ID
 * "-": none) and, for a device without them, the role's srv_user/secret/
 * nonce; each reaches the UE in its bootstrap account, and the UE, which
 * then requires server authentication, accepts the role's sessions. A line
 * with a server user but no secret is refused with file:line. */
static void test_role_srvcred_devices(struct test_ctx *t)
{
	static const char *const ues[] = {"urn:gsma:imei:35209900-176148-1",
					  "urn:gsma:imei:35209900-176148-2"};
	static const char good[] = "urn:gsma:imei:35209900-176148-1 ue1 pw1 - - dev-srv dev-pw bjA=\n"
				   "urn:gsma:imei:35209900-176148-2 ue2 pw2\n";
	static const char bad[] = "# x\nurn:uuid:1 ue1 pw1 - - dev-srv\n";
	static const struct {
		const char *name, *secret, *nonce;
	} want[] = {{"dev-srv", "dev-pw", "bjA="}, {"op", "conf-pw", "Y24="}};
	char path[] = "/tmp/mcx-dm-devices-XXXXXX", eb[300] = "";
	struct dm_delegate del = {.acc = "sp", .server_id = "sp", .addr = "http://sp/dm",
				  .client_user = "u", .client_secret = "s"};
	struct dm_role_conf c = {.server_id = "op", .url = "http://127.0.0.1/dm", .delegate = &del,
				 .srv_secret = "conf-pw", .srv_nonce = "cn"};
	struct dm_boot_keys k = {NULL, NULL, true};
	struct dm_role *r = NULL;
	struct dm_client_conf req;
	int fd = mkstemp(path);
	dm_client_conf_default(&req);
	req.require_server_auth = true;
	CHECK(t, fd >= 0);
	CHECK(t, write(fd, good, sizeof good - 1) == (ssize_t)(sizeof good - 1));
	close(fd);
	CHECK_INT(t, dm_role_alloc(&r, &c, NULL, eb, sizeof eb), MCX_OK);
	if (!r || dm_role_load_devices(r, path, eb, sizeof eb) || dm_role_devices(r) != 2) {
		test_fail(t, __FILE__, __LINE__, "devices: %s", eb);
		goto out;
	}
	for (size_t i = 0; i < 2; i++) {
		struct dm_devinfo di = {.dev_id = ues[i], .man = "mcx", .mod = "t", .lang = "en"};
		struct dm_tree *tr = NULL;
		struct dm_account acc = {0};
		struct dm_session_stats st;
		struct dm_role_answer a;
		dm_role_answer_init(&a);
		dm_role_http(r, "GET", "/bootstrap", NULL, ues[i], NULL, NULL, 0, false, &a);
		enum mcx_err e = a.status == 200 ? MCX_OK : MCX_EIO;
		if (!e)
			e = dm_tree_alloc(&tr, NULL);
		if (!e)
			e = dm_tree_init_std(tr, &di);
		if (!e)
			e = dm_boot_apply(tr, (const uint8_t *)a.body.p, a.body.len, a.ctype, &k,
					  DM_ORIGIN_FETCH, NULL, eb, sizeof eb);
		if (!e)
			e = dm_account_read(tr, "op", &acc);
		if (e || !acc.sv_name || strcmp(acc.sv_name, want[i].name) || !acc.sv_secret ||
		    strcmp(acc.sv_secret, want[i].secret) || !acc.sv_nonce ||
		    strcmp(acc.sv_nonce, want[i].nonce))
			test_fail(t, __FILE__, __LINE__, "device %zu bootstrap: %d %s; SRVCRED %s %s %s",
				  i, e, eb, acc.sv_name ? acc.sv_name : "-",
				  acc.sv_secret ? acc.sv_secret : "-", acc.sv_nonce ? acc.sv_nonce : "-");
		else if ((e = real_session(tr, "op", r, NULL, &req, &st, eb, sizeof eb)) ||
			 !st.server_authenticated || !dm_tree_value(tr, "./DMAcc/sp/ServerID"))
			test_fail(t, __FILE__, __LINE__, "device %zu session: %d %s; server auth %d", i,
				  e, eb, st.server_authenticated);
		dm_account_clear(&acc);
		dm_tree_free(tr);
		dm_role_answer_free(&a);
	}
	dm_role_free(r);
	r = NULL;
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(t, fd >= 0);
	CHECK(t, write(fd, bad, sizeof bad - 1) == (ssize_t)(sizeof bad - 1));
	close(fd);
	CHECK_INT(t, dm_role_alloc(&r, &c, NULL, eb, sizeof eb), MCX_OK);
	if (r) {
		CHECK_INT(t, dm_role_load_devices(r, path, eb, sizeof eb), MCX_EINVAL);
		CHECK(t, strstr(eb, ":2: want DEVID") != NULL);
	}
out:
	unlink(path);
	dm_role_free(r);
}

/* A real client with a 3000-byte MaxMsgSize over WBXML, requiring server
 * authentication: both sides split their packages (the server its Gets and
 * commands, the client its Statuses and Results), the server's Cred rides
 * on the split messages, and the server asks for the rest of a split
 * client package (Alert 1222) before sending more of its own. */
static void test_srv_small_maxmsg_real_client(struct test_ctx *t)
{
	struct sa_fix sa = {.f = {.docs = {"demo/ue-init-config.xml", "demo/group-fire.xml",
					   "demo/alice-profile-0.xml", "demo/service-config.xml"},
				  .kinds = {MO_UE_INIT_CONFIG, MO_GROUP_CONFIG, MO_USER_PROFILE,
					    MO_SERVICE_CONFIG},
				  .ndocs = 4, .atomic = true},
			    .srv_user = "op-srv", .srv_secret = "srv-secret", .srv_nonce = "n0"};
	struct dm_server_opts so = {.server_id = "op", .resp_uri = "http://op.example/dm",
				    .account = sa_account, .plan = sa_plan, .done = sa_done,
				    .arg = &sa};
	struct dm_tree *tr = NULL;
	struct dm_server *eng = NULL;
	struct dm_session_stats st;
	struct dm_client_conf cc;
	char eb[300] = "";
	dm_client_conf_default(&cc);
	cc.msg_max = 3000;
	cc.wbxml = true;
	cc.require_server_auth = true;
	if (sa_tree(&tr, eb, sizeof eb) || dm_server_alloc(&eng, &so)) {
		test_fail(t, __FILE__, __LINE__, "setup: %s", eb);
		goto out;
	}
	enum mcx_err e = real_session(tr, "op", NULL, eng, &cc, &st, eb, sizeof eb);
	if (e || !st.server_authenticated || sa.f.reports != 1 || !sa.f.rep.ok ||
	    sa.f.rep.messages < 5 || !sa.f.rep.srv_accepted ||
	    !dm_tree_value(tr, "./MCPTT/GroupConfiguration/1/XMLForm") ||
	    !dm_tree_value(tr, "./MCPTT/UserProfile/1/XMLForm"))
		test_fail(t, __FILE__, __LINE__, "session: %d %s; srv auth %d reports %d ok %d msgs %zu "
			  "why %s fail %u %s", e, eb, st.server_authenticated, sa.f.reports,
			  sa.f.rep.ok, sa.f.rep.messages, sa.f.rep.why, sa.f.rep.fail_code,
			  sa.f.rep.fail_uri);
out:
	dm_server_free(eng);
	dm_tree_free(tr);
}

const struct test tests_dm_mo[] = {
	{"dm_mo_roundtrip_demo", test_mo_roundtrip_demo, false},
	{"dm_mo_canonical_both_ways", test_mo_canonical_both_ways, false},
	{"dm_mo_node_names", test_mo_node_names, false},
	{"dm_mo_table_bijective", test_mo_table_bijective, false},
	{"dm_mo_form_edit", test_mo_form_edit, false},
	{"dm_mo_refusals_bounds", test_mo_refusals_bounds, false},
	{"dm_mo_namespace_scope", test_mo_namespace_scope, false},
	{"dm_mo_oom", test_mo_oom, true},
	{"dm_mo_srv_atomic_delivery", test_srv_atomic_delivery, false},
	{"dm_mo_srv_refusals", test_srv_refusals, false},
	{"dm_mo_srv_small_maxmsg", test_srv_small_maxmsg, false},
	{"dm_mo_role_http", test_role_http, false},
	{"dm_mo_role_boot_devices", test_role_boot_devices, false},
	{"dm_mo_role_delegation_real_client", test_role_delegation_real_client, false},
	{"dm_mo_srv_auth_real_client", test_srv_auth_real_client, false},
	{"dm_mo_role_srvcred_devices", test_role_srvcred_devices, false},
	{"dm_mo_srv_small_maxmsg_real_client", test_srv_small_maxmsg_real_client, false},
	{NULL, NULL, false},
};
