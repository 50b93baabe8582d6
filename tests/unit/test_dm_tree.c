/* The DM client: management tree operations and their statuses, ACL
 * inheritance and 425, server delegation by ACLs, Inbox, DevId validation,
 * bounds, persistence; the session engine: package 1, the 401/212 flow,
 * Atomic rollback, Sequence, alerts, large objects both ways; bootstrap
 * (DMAcc file, w7, smartcard image, Package 0) and the account preference. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "core/mem.h"
#include "dm/auth.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/client.h"
#include "dm/pkg0.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/tree.h"
#include "dm/wbxml.h"

#define DEVID "urn:gsma:imei:35209900-176148-0"
#define SRV "http://127.0.0.1:9/dm"

static struct dm_tree *std_tree(void)
{
	struct dm_tree *t = NULL;
	struct dm_devinfo di = { .dev_id = DEVID };

	if (dm_tree_alloc(&t, NULL))
		return NULL;
	if (dm_tree_init_std(t, &di)) {
		dm_tree_free(t);
		return NULL;
	}
	return t;
}

static struct dm_value chr(const char *s)
{
	struct dm_value v = { "chr", NULL, s, strlen(s) };

	return v;
}

/* In OOM mode a 420 (Device full) is the clean outcome of a tree operation. */
#define ST(expr, want) do { unsigned s_ = (expr); \
	if (t->in_oom && s_ == DM_ST_DEVICE_FULL) { goto out; } \
	CHECK_INT(t, s_, (want)); } while (0)

static void dm_tree_ops(struct test_ctx *t)
{
	struct dm_tree *tr = NULL;
	struct dm_value v = chr("hello"), node = { "node", NULL, NULL, 0 }, bad = chr("x1");
	const struct dm_node *n = NULL;
	struct mcx_buf b;
	enum mcx_err err = dm_tree_alloc(&tr, NULL);

	OOM_OK(t, err);
	CHECK(t, !err);
	ST(dm_tree_add(tr, NULL, "./A/B/C", &v, NULL), DM_ST_OK);	/* parents made */
	CHECK_INT(t, tr->count, 4);
	ST(dm_tree_add(tr, NULL, "./A/B/C", &v, NULL), DM_ST_ALREADY_EXISTS);
	ST(dm_tree_add(tr, NULL, "A/B/C/D", &v, NULL), DM_ST_NOT_ALLOWED);	/* under a leaf */
	ST(dm_tree_add(tr, NULL, "./A/N", &node, NULL), DM_ST_OK);
	CHECK(t, dm_tree_find(tr, "A/N")->interior);
	CHECK_STR(t, dm_tree_value(tr, "A/B/C"), "hello");
	v = chr("world");
	ST(dm_tree_replace(tr, NULL, "./A/B/C", &v), DM_ST_OK);
	CHECK_STR(t, dm_tree_value(tr, "./A/B/C"), "world");
	ST(dm_tree_replace(tr, NULL, "./A/B", &v), DM_ST_NOT_ALLOWED);	/* interior */
	ST(dm_tree_replace(tr, NULL, "./A/X", &v), DM_ST_NOT_FOUND);
	bad.format = "int";
	ST(dm_tree_add(tr, NULL, "./A/I", &bad, NULL), DM_ST_UNSUPPORTED_MEDIA);
	bad.format = "weird";
	ST(dm_tree_add(tr, NULL, "./A/I", &bad, NULL), DM_ST_UNSUPPORTED_MEDIA);
	ST(dm_tree_copy(tr, NULL, "./A/B/C", "./A/C2"), DM_ST_OK);
	CHECK_STR(t, dm_tree_value(tr, "./A/C2"), "world");
	ST(dm_tree_get(tr, NULL, "./A", &n), DM_ST_OK);
	buf_init(&b, 1024);
	err = dm_node_child_list(n, &b);
	if (!err && strcmp(b.p, "B/N/C2"))
		CHECK_STR(t, b.p, "B/N/C2");
	buf_reset(&b);
	if (err && t->in_oom)
		goto out;
	CHECK_INT(t, dm_tree_check_uri(tr, "./A/../B"), DM_ST_BAD_REQUEST);
	CHECK_INT(t, dm_tree_check_uri(tr, "/A"), DM_ST_BAD_REQUEST);
	CHECK_INT(t, dm_tree_check_uri(tr, "./A/"), DM_ST_BAD_REQUEST);
	ST(dm_tree_delete(tr, NULL, "./A/B"), DM_ST_OK);
	CHECK(t, !dm_tree_find(tr, "./A/B/C"));
	CHECK_INT(t, tr->count, 4);
	ST(dm_tree_delete(tr, NULL, "."), DM_ST_NOT_ALLOWED);
	ST(dm_tree_delete(tr, NULL, "./A/B"), DM_ST_NOT_FOUND);
out:
	dm_tree_free(tr);
}

static void dm_tree_acl_inheritance(struct test_ctx *t)
{
	struct dm_tree *tr = std_tree();
	struct dm_value v = chr("1");
	struct mcx_buf b;
	const struct dm_node *n = NULL;

	CHECK(t, tr);
	CHECK(t, dm_acl_valid("Add=a+b&Get=*&Replace=c", 100));
	CHECK(t, !dm_acl_valid("Add=a&Frob=b", 100));
	CHECK(t, !dm_acl_valid("Add=a b", 100));
	CHECK(t, !dm_acl_valid("Add=", 100));
	CHECK(t, !dm_acl_valid("Add=a&", 100));
	CHECK(t, dm_acl_grants("Add=a+b&Get=*", DM_ACL_ADD, "b"));
	CHECK(t, dm_acl_grants("Add=a+b&Get=*", DM_ACL_GET, "zz"));
	CHECK(t, !dm_acl_grants("Add=a+b&Get=*", DM_ACL_DELETE, "a"));
	CHECK(t, !dm_acl_grants("Add=ab", DM_ACL_ADD, "a"));
	/* X has an ACL; X/Y has none and inherits it as a whole */
	CHECK_INT(t, dm_tree_add(tr, NULL, "./X/Y/Z", &v, NULL), DM_ST_OK);
	CHECK(t, !dm_tree_set_acl(tr, "./X", "Get=s1&Replace=s1+s2"));
	CHECK_STR(t, dm_node_acl_effective(dm_tree_find(tr, "./X/Y/Z")), "Get=s1&Replace=s1+s2");
	CHECK_INT(t, dm_tree_get(tr, "s1", "./X/Y/Z", &n), DM_ST_OK);
	CHECK_INT(t, dm_tree_get(tr, "s2", "./X/Y/Z", &n), DM_ST_PERMISSION_DENIED);
	CHECK_INT(t, dm_tree_replace(tr, "s2", "./X/Y/Z", &v), DM_ST_OK);
	/* a node's own ACL replaces the inherited one (no merge) */
	CHECK(t, !dm_tree_set_acl(tr, "./X/Y", "Get=s2"));
	CHECK_INT(t, dm_tree_get(tr, "s2", "./X/Y/Z", &n), DM_ST_OK);
	CHECK_INT(t, dm_tree_get(tr, "s1", "./X/Y/Z", &n), DM_ST_PERMISSION_DENIED);
	CHECK_INT(t, dm_tree_replace(tr, "s2", "./X/Y/Z", &v), DM_ST_PERMISSION_DENIED);
	/* ?prop=ACL: an inherited ACL reads empty; a leaf's ACL is its parent's to change */
	buf_init(&b, 256);
	CHECK_INT(t, dm_tree_prop_get(tr, "s2", "./X/Y/Z", "ACL", &b), DM_ST_OK);
	CHECK_INT(t, b.len, 0);
	buf_reset(&b);
	CHECK_INT(t, dm_tree_prop_replace(tr, "s2", "./X/Y/Z", "ACL", "Get=*", 5),
		  DM_ST_PERMISSION_DENIED);
	CHECK(t, !dm_tree_set_acl(tr, "./X/Y", "Get=s2&Replace=s2"));
	CHECK_INT(t, dm_tree_prop_replace(tr, "s2", "./X/Y/Z", "ACL", "Get=*", 5), DM_ST_OK);
	CHECK_INT(t, dm_tree_prop_replace(tr, "s2", "./X/Y/Z", "ACL", "Get=", 4), DM_ST_BAD_REQUEST);
	CHECK_INT(t, dm_tree_prop_replace(tr, "s2", "./X/Y", "TStamp", "1", 1), DM_ST_NOT_ALLOWED);
	CHECK_INT(t, dm_tree_prop_get(tr, "s2", "./X/Y", "VerNo", &b), DM_ST_OPTIONAL_NOT_SUPPORTED);
	/* a server without Replace on the parent gets full rights on what it adds */
	CHECK_INT(t, dm_tree_add(tr, "s9", "./New/Leaf", &v, NULL), DM_ST_OK);
	CHECK_STR(t, dm_tree_find(tr, "./New")->acl, "Add=s9&Delete=s9&Get=s9&Replace=s9");
	CHECK(t, !dm_tree_find(tr, "./New/Leaf")->acl);
	/* deleting a ServerID scrubs it; the root keeps '*' where it empties */
	CHECK(t, !dm_tree_set_acl(tr, ".", "Add=*&Get=*&Replace=s9"));
	CHECK(t, !dm_tree_acl_scrub(tr, "s9"));
	CHECK_STR(t, dm_tree_find(tr, ".")->acl, "Add=*&Get=*&Replace=*");
	CHECK_STR(t, dm_tree_find(tr, "./New")->acl, "");
	dm_tree_free(tr);
}

/* Server delegation: the operator's server owns ./Operator and hands
 * ./MCPTT to the service provider's server, which then manages only it. */
static void dm_tree_acl_425_delegation(struct test_ctx *t)
{
	struct dm_tree *tr = std_tree();
	struct dm_value v = chr("v"), node = { "node", NULL, NULL, 0 };
	const struct dm_node *n = NULL;
	const char *sp_acl = "Add=sp&Delete=sp&Exec=sp&Get=sp&Replace=sp";

	CHECK(t, tr);
	CHECK_INT(t, dm_tree_add(tr, "op", "./Operator/Conf", &v, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_add(tr, "op", "./MCPTT", &node, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_prop_replace(tr, "op", "./MCPTT", "ACL", sp_acl, strlen(sp_acl)),
		  DM_ST_OK);
	/* the operator gave ./MCPTT away: it may no longer touch it */
	CHECK_INT(t, dm_tree_add(tr, "op", "./MCPTT/UEConfig", &v, NULL), DM_ST_PERMISSION_DENIED);
	CHECK_INT(t, dm_tree_add(tr, "sp", "./MCPTT/UEConfig", &v, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_get(tr, "sp", "./MCPTT/UEConfig", &n), DM_ST_OK);
	CHECK_INT(t, dm_tree_get(tr, "op", "./MCPTT/UEConfig", &n), DM_ST_PERMISSION_DENIED);
	/* and the service provider cannot touch the operator's MO */
	CHECK_INT(t, dm_tree_replace(tr, "sp", "./Operator/Conf", &v), DM_ST_PERMISSION_DENIED);
	CHECK_INT(t, dm_tree_delete(tr, "sp", "./Operator"), DM_ST_PERMISSION_DENIED);
	CHECK_INT(t, dm_tree_get(tr, "sp", "./Operator/Conf", &n), DM_ST_PERMISSION_DENIED);
	CHECK_INT(t, dm_tree_prop_replace(tr, "sp", "./Operator", "ACL", "Get=*", 5),
		  DM_ST_PERMISSION_DENIED);
	/* standard MOs: DevInfo is read-only for everyone (405), secrets never read */
	CHECK_INT(t, dm_tree_replace(tr, "op", "./DevInfo/DevId", &v), DM_ST_NOT_ALLOWED);
	CHECK_INT(t, dm_tree_delete(tr, "op", "./DevInfo"), DM_ST_NOT_ALLOWED);
	CHECK_INT(t, dm_tree_get(tr, "sp", "./DevInfo/DevId", &n), DM_ST_OK);
	CHECK_INT(t, dm_tree_add(tr, "op", "./DMAcc/x/AppAuth/1/AAuthSecret", &v, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_get(tr, "op", "./DMAcc/x/AppAuth/1/AAuthSecret", &n), DM_ST_NOT_ALLOWED);
	dm_tree_free(tr);
}

static void dm_tree_devid(struct test_ctx *t)
{
	struct dm_tree *tr = NULL;
	struct dm_devinfo di = { .dev_id = "IMEI:493005100592800" };

	CHECK(t, dm_devid_valid("urn:gsma:imei:35209900-176148-0"));
	CHECK(t, dm_devid_valid("URN:GSMA:IMEI:35209900-176148-1"));
	CHECK(t, dm_devid_valid("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
	CHECK(t, !dm_devid_valid("urn:gsma:imei:3520990-176148-0"));	/* 7-digit TAC */
	CHECK(t, !dm_devid_valid("urn:gsma:imei:35209900-176148-"));
	CHECK(t, !dm_devid_valid("urn:gsma:imei:35209900-176148-0x"));
	CHECK(t, !dm_devid_valid("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf"));
	CHECK(t, !dm_devid_valid("urn:uuid:g81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
	CHECK(t, !dm_devid_valid("IMEI:493005100592800"));
	CHECK(t, !dm_devid_valid(NULL));
	CHECK(t, !dm_tree_alloc(&tr, NULL));
	CHECK_INT(t, dm_tree_init_std(tr, &di), MCX_EINVAL);
	CHECK(t, strstr(tr->errbuf, "IMEI:493005100592800") != NULL);
	CHECK(t, !dm_tree_find(tr, "./DevInfo"));
	dm_tree_free(tr);
}

static void dm_tree_bounds(struct test_ctx *t)
{
	struct dm_tree_limits l;
	struct dm_tree *tr = NULL;
	struct dm_value v = chr("12345"), big = chr("123456789");
	char uri[64];
	int i;

	dm_tree_limits_default(&l);
	l.nodes_max = 6;
	l.depth_max = 3;
	l.seg_max = 4;
	l.uri_max = 20;
	l.value_max = 8;
	l.bytes_max = 12;
	CHECK(t, !dm_tree_alloc(&tr, &l));
	CHECK_INT(t, dm_tree_add(tr, NULL, "./A/B/C/D", &v, NULL), DM_ST_URI_TOO_LONG);	/* depth */
	CHECK_INT(t, dm_tree_add(tr, NULL, "./ABCDE", &v, NULL), DM_ST_URI_TOO_LONG);	/* segment */
	CHECK_INT(t, dm_tree_add(tr, NULL, "./A/B/CCCC/", &v, NULL), DM_ST_BAD_REQUEST);
	CHECK_INT(t, dm_tree_add(tr, NULL, "./AAAA/BBBB/CCCC", &v, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_add(tr, NULL, "./AAAA/BBBB/DDDD1", &v, NULL), DM_ST_URI_TOO_LONG);
	CHECK_INT(t, dm_tree_add(tr, NULL, "./V", &big, NULL), DM_ST_TOO_LARGE);	/* value */
	CHECK_INT(t, dm_tree_add(tr, NULL, "./W", &v, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_add(tr, NULL, "./X", &v, NULL), DM_ST_DEVICE_FULL);	/* all values */
	CHECK_INT(t, tr->bytes, 10);
	for (i = 0; i < 3; i++) {
		snprintf(uri, sizeof(uri), "./N%d", i);
		if (dm_tree_add(tr, NULL, uri, NULL, NULL) != DM_ST_OK)
			break;
	}
	CHECK_INT(t, i, 1);	/* 6 nodes: root, AAAA, BBBB, CCCC, W, N0 */
	CHECK_INT(t, tr->count, 6);
	dm_tree_free(tr);
}

static void dm_tree_persistence(struct test_ctx *t)
{
	char dir[] = "/tmp/mcx-dmtree-XXXXXX", path[256], eb[256];
	struct dm_tree *tr = std_tree(), *back = NULL;
	struct mcx_buf a, b;
	struct dm_value v = chr("a&b <c>\r\n\"q\"");
	enum mcx_err err;

	CHECK(t, tr);
	CHECK(t, mkdtemp(dir));
	CHECK_INT(t, dm_tree_add(tr, "s1", "./MCPTT/x/Name", &v, NULL), DM_ST_OK);
	CHECK_INT(t, dm_tree_prop_replace(tr, NULL, "./MCPTT", "Title", "My MO", 5), DM_ST_OK);
	CHECK(t, !dm_tree_save(tr, dir));
	err = dm_tree_load(&back, dir, NULL, eb, sizeof(eb));
	CHECK(t, !err);
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	CHECK(t, !dm_tree_emit_tnds(tr, tr->root, &a));
	CHECK(t, !dm_tree_emit_tnds(back, back->root, &b));
	CHECK_MEM(t, b.p, b.len, a.p, a.len);
	CHECK_STR(t, dm_tree_value(back, "./MCPTT/x/Name"), "a&b <c>\r\n\"q\"");
	CHECK_STR(t, dm_tree_find(back, "./MCPTT")->acl, "Add=s1&Delete=s1&Get=s1&Replace=s1");
	/* access types come back from positions: DevInfo stays read-only */
	CHECK_INT(t, dm_tree_replace(back, "s1", "./DevInfo/DevId", &v), DM_ST_NOT_ALLOWED);
	CHECK_INT(t, back->count, tr->count);
	buf_reset(&a);
	buf_reset(&b);
	dm_tree_free(back);
	back = NULL;
	/* a damaged file is refused with a reason */
	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	{
		FILE *f = fopen(path, "w");

		CHECK(t, f);
		fputs("<MgmtTree><Node><NodeName>x</NodeName></Node></MgmtTree>", f);
		fclose(f);
	}
	CHECK_INT(t, dm_tree_load(&back, dir, NULL, eb, sizeof(eb)), MCX_EINVAL);
	CHECK(t, strstr(eb, "\".\"") != NULL);
	unlink(path);
	CHECK_INT(t, dm_tree_load(&back, dir, NULL, eb, sizeof(eb)), MCX_ENOENT);
	rmdir(dir);
	dm_tree_free(tr);
}

/* The tree file is checked like a server's Add: a leaf value that does not
 * match its Format, an unknown Format, or two children with one name (the
 * second could never be found) are refused with a reason. */
static void dm_tree_load_refusals(struct test_ctx *t)
{
#define ROOT "<MgmtTree><Node><NodeName>.</NodeName><RTProperties><ACL>Add=*&amp;Get=*</ACL>" \
	     "</RTProperties>"
	static const struct {
		const char *file, *why;
	} cases[] = {
		{ ROOT "<Node><NodeName>a</NodeName><RTProperties><Format><int/></Format>"
		  "</RTProperties><Value>abc</Value></Node></Node></MgmtTree>", "format int" },
		{ ROOT "<Node><NodeName>a</NodeName><RTProperties><Format><x-foo/></Format>"
		  "</RTProperties><Value>1</Value></Node></Node></MgmtTree>", "format x-foo" },
		{ ROOT "<Node><NodeName>a</NodeName><Value>1</Value></Node>"
		  "<Node><NodeName>a</NodeName><Value>2</Value></Node></Node></MgmtTree>",
		  "two children named 'a'" },
		{ ROOT "<Node><NodeName>a</NodeName><RTProperties><Format><int/></Format>"
		  "</RTProperties><Value>12</Value></Node></Node></MgmtTree>", NULL },
	};
#undef ROOT
	char dir[] = "/tmp/mcx-dmtree-XXXXXX", path[256], eb[256];
	size_t i;

	CHECK(t, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dm_tree *back = NULL;
		FILE *f = fopen(path, "w");
		enum mcx_err err;

		CHECK(t, f);
		if (!f)
			break;
		fputs(cases[i].file, f);
		fclose(f);
		eb[0] = '\0';
		err = dm_tree_load(&back, dir, NULL, eb, sizeof(eb));
		if (cases[i].why) {
			CHECK_INT(t, err, MCX_EINVAL);
			if (!strstr(eb, cases[i].why))
				test_fail(t, __FILE__, __LINE__, "case %zu: %s", i, eb);
		} else {
			CHECK_INT(t, err, MCX_OK);
			CHECK_STR(t, back ? dm_tree_value(back, "./a") : "", "12");
		}
		dm_tree_free(back);
	}
	unlink(path);
	rmdir(dir);
}

static const char dmacc_tnds[] =
	"<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD>"
	"<Node><NodeName>laptop</NodeName><RTProperties><Format><node/></Format>"
	"<Type><DDFName>org.openmobilealliance/1.0/w7</DDFName></Type></RTProperties>"
	"<Node><NodeName>AppID</NodeName><Value>w7</Value></Node>"
	"<Node><NodeName>ServerID</NodeName><Value>laptop-dm</Value></Node>"
	"<Node><NodeName>AppAddr</NodeName><Node><NodeName>1</NodeName>"
	"<Node><NodeName>Addr</NodeName><Value>http://127.0.0.1:8/dm</Value></Node></Node></Node>"
	"</Node></MgmtTree>";

static void dm_tree_inbox(struct test_ctx *t)
{
	struct dm_tree *tr = std_tree();
	const struct dm_node *n = NULL;
	struct dm_value v = chr("x");
	const char *unknown_mo = "<MgmtTree><Node><NodeName>q</NodeName><RTProperties>"
				 "<Type><DDFName>urn:x:unknown</DDFName></Type>"
				 "</RTProperties></Node></MgmtTree>";
	const char *twice = "<MgmtTree><Node><NodeName>a</NodeName><Value>1</Value></Node>"
			    "<Node><NodeName>a</NodeName><Value>2</Value></Node></MgmtTree>";

	CHECK(t, tr);
	CHECK_INT(t, dm_tree_add_tnds(tr, "op", "./Inbox", dmacc_tnds, strlen(dmacc_tnds)),
		  DM_ST_OK);
	CHECK_STR(t, dm_tree_value(tr, "./DMAcc/laptop/ServerID"), "laptop-dm");
	CHECK(t, !dm_tree_find(tr, "./Inbox/laptop"));	/* placed by its MO identifier */
	CHECK_INT(t, dm_tree_get(tr, "op", "./Inbox", &n), DM_ST_NOT_ALLOWED);
	CHECK_INT(t, dm_tree_get(tr, "op", "./DMAcc/laptop/ServerID", &n), DM_ST_OK);
	/* an MO the client does not know is refused, and nothing stays */
	CHECK_INT(t, dm_tree_add_tnds(tr, "op", "./Inbox", unknown_mo, strlen(unknown_mo)),
		  DM_ST_OPTIONAL_NOT_SUPPORTED);
	/* all or nothing: the second node fails (exists), the first is undone */
	CHECK_INT(t, dm_tree_add_tnds(tr, NULL, "./T", twice, strlen(twice)),
		  DM_ST_ALREADY_EXISTS);
	CHECK(t, !dm_tree_find(tr, "./T"));
	CHECK_INT(t, dm_tree_add(tr, "op", "./Inbox/x", &v, NULL), DM_ST_OK);	/* (Add=* on Inbox) */
	dm_tree_free(tr);
}

/* --- the session engine, against a scripted server --- */

struct fx {
	struct dm_tree *tr;
	struct dm_session *s;
	struct dm_client_conf conf;
	unsigned last_msg;	/* the MsgID of the client's last message */
	unsigned srv_msg;
};

static struct dm_tree *acc_tree(void)
{
	struct dm_tree *tr = std_tree();
	struct dm_acc_spec a = { .name = "op", .server_id = "op-srv", .addr = SRV,
				 .cl_name = "ue", .cl_secret = "uepw", .sv_name = "op-srv",
				 .sv_secret = "oppw", .sv_nonce = "c3J2bm9uY2U=" };
	char eb[200];

	if (tr && dm_account_add(tr, &a, eb, sizeof(eb))) {
		dm_tree_free(tr);
		return NULL;
	}
	return tr;
}

static int fx_start(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->tr = acc_tree();
	dm_client_conf_default(&f->conf);
	return f->tr && !dm_session_alloc(&f->s, f->tr, "op", &f->conf, DM_ALERT_CLIENT_INITIATED,
					  "1A") ? 0 : -1;
}

static void fx_end(struct fx *f)
{
	dm_session_free(f->s);
	dm_tree_free(f->tr);
}

/* The client's pending message, parsed (caller frees). */
static struct dm_msg *fx_out(struct fx *f)
{
	struct dm_out o;
	struct dm_msg *m = NULL;
	char eb[200];

	if (dm_session_out(f->s, &o))
		return NULL;
	if (dm_is_wbxml(o.body, o.len)) {
		if (dm_msg_parse_wbxml(o.body, o.len, NULL, &m, eb, sizeof(eb)))
			return NULL;
	} else if (dm_msg_parse((const char *)o.body, o.len, NULL, 0, &m, eb, sizeof(eb))) {
		return NULL;
	}
	f->last_msg = m->hdr.msg_id;
	return m;
}

/* Feed a server message: header status hdr (0: none), then cmds. */
static enum mcx_err fx_feed(struct fx *f, unsigned hdr, const char *extra_hdr, const char *cmds,
			    bool final)
{
	static char x[65536];

	snprintf(x, sizeof(x),
		 "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
		 "<VerProto>DM/1.2</VerProto><SessionID>1A</SessionID><MsgID>%u</MsgID>"
		 "<Target><LocURI>" DEVID "</LocURI></Target><Source><LocURI>" SRV
		 "</LocURI></Source>%s</SyncHdr><SyncBody>"
		 "%s%u%s%u%s"
		 "%s%s</SyncBody></SyncML>",
		 ++f->srv_msg, extra_hdr ? extra_hdr : "",
		 hdr ? "<Status><CmdID>1</CmdID><MsgRef>" : "<!--", f->last_msg,
		 hdr ? "</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>" : "", hdr,
		 hdr ? "</Data></Status>" : "-->", cmds, final ? "<Final/>" : "");
	return dm_session_feed(f->s, (const uint8_t *)x, strlen(x), DM_MIME_XML, NULL);
}

/* The code of the n-th Status (0-based) answering cmd_ref; 0 when absent. */
static unsigned status_of(const struct dm_msg *m, uint32_t cmd_ref, int nth)
{
	const struct dm_cmd *c;

	for (c = m->cmds; c; c = c->next)
		if (c->type == DM_CMD_STATUS && c->cmd_ref == cmd_ref && nth-- == 0)
			return c->code;
	return 0;
}

static const struct dm_cmd *find_cmd(const struct dm_msg *m, enum dm_cmd_type type)
{
	const struct dm_cmd *c;

	for (c = m->cmds; c; c = c->next)
		if (c->type == type)
			return c;
	return NULL;
}

static void dm_session_pkg1_and_auth(struct test_ctx *t)
{
	struct fx f;
	struct dm_msg *m;
	struct dm_nonce n = { .len = 5 };
	char want[DM_B64_MD5_LEN];
	struct dm_session_stats st;
	const struct dm_cmd *c;

	CHECK(t, !fx_start(&f));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_STR(t, m->hdr.source, DEVID);
	CHECK_STR(t, m->hdr.target, SRV);
	CHECK_STR(t, m->hdr.source_name, "ue");
	CHECK(t, m->hdr.cred && m->final);
	c = find_cmd(m, DM_CMD_ALERT);
	CHECK(t, c && c->code == DM_ALERT_CLIENT_INITIATED);
	c = find_cmd(m, DM_CMD_REPLACE);
	CHECK(t, c && dm_cmd_count_items(c) == 5);
	CHECK_STR(t, c->items->source, "./DevInfo/DevId");
	CHECK_MEM(t, c->items->data->p, c->items->data->len, DEVID, strlen(DEVID));
	dm_msg_free(m);
	/* 401 with a Chal: package 1 again, with the new nonce */
	CHECK(t, !fx_feed(&f, 0, NULL,
			  "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr"
			  "</Cmd><Chal><Meta><Type xmlns=\"syncml:metinf\">syncml:auth-md5</Type>"
			  "<Format xmlns=\"syncml:metinf\">b64</Format><NextNonce xmlns=\"syncml:"
			  "metinf\">Tm9uY2U=</NextNonce></Meta></Chal><Data>401</Data></Status>",
			  true));
	m = fx_out(&f);
	CHECK(t, m && m->hdr.cred && m->hdr.msg_id == 2);
	memcpy(n.b, "Nonce", 5);
	CHECK(t, !dm_auth_md5("ue", "uepw", &n, want));
	CHECK_MEM(t, m->hdr.cred->data->p, m->hdr.cred->data->len, want, strlen(want));
	CHECK(t, find_cmd(m, DM_CMD_ALERT) != NULL);
	dm_msg_free(m);
	/* 212 and no commands: the session is over, nothing more to send */
	CHECK(t, !fx_feed(&f, 212, NULL, "", true));
	CHECK(t, dm_session_done(f.s));
	CHECK(t, !dm_session_has_out(f.s));
	dm_session_stats(f.s, &st);
	CHECK_INT(t, st.auth_retries, 1);
	fx_end(&f);
	/* refused again and again: MCX_EAUTH naming the status */
	CHECK(t, !fx_start(&f));
	m = fx_out(&f);
	dm_msg_free(m);
	CHECK(t, !fx_feed(&f, 401, NULL, "", true));
	m = fx_out(&f);
	dm_msg_free(m);
	CHECK(t, !fx_feed(&f, 401, NULL, "", true));
	m = fx_out(&f);
	dm_msg_free(m);
	CHECK_INT(t, fx_feed(&f, 401, NULL, "", true), MCX_EAUTH);
	CHECK(t, strstr(dm_session_error(f.s), "401") != NULL);
	fx_end(&f);
}

static void dm_session_commands(struct test_ctx *t)
{
	struct fx f;
	struct dm_msg *m;
	const struct dm_cmd *c;

	CHECK(t, !fx_start(&f));
	dm_msg_free(fx_out(&f));
	CHECK(t, !fx_feed(&f, 212, NULL,
			  "<Add><CmdID>2</CmdID><Item><Target><LocURI>./MCPTT/X/Name</LocURI></Target>"
			  "<Data>alpha</Data></Item></Add>"
			  "<Get><CmdID>3</CmdID><Item><Target><LocURI>./MCPTT/X/Name</LocURI></Target>"
			  "</Item><Item><Target><LocURI>./DevInfo</LocURI></Target></Item></Get>"
			  "<Replace><CmdID>4</CmdID><Item><Target><LocURI>./DevInfo/Man</LocURI>"
			  "</Target><Data>evil</Data></Item></Replace>"
			  "<Get><CmdID>5</CmdID><Item><Target><LocURI>./Inbox</LocURI></Target>"
			  "</Item></Get>"
			  "<Get><CmdID>6</CmdID><Item><Target><LocURI>./DMAcc/op/AppAuth/1/AAuthSecret"
			  "</LocURI></Target></Item></Get>"
			  "<Alert><CmdID>7</CmdID><Data>1101</Data><Item><Data>MINDT=10</Data></Item>"
			  "<Item><Data>Apply?</Data></Item></Alert>"
			  "<Alert><CmdID>8</CmdID><Data>1102</Data></Alert>"
			  "<Exec><CmdID>9</CmdID><Item><Target><LocURI>./MCPTT/X/Name</LocURI></Target>"
			  "</Item></Exec>"
			  "<Delete><CmdID>10</CmdID><Item><Target><LocURI>./Nope</LocURI></Target>"
			  "</Item></Delete>"
			  "<Get><CmdID>11</CmdID><Item><Target><LocURI>./MCPTT/X?prop=ACL</LocURI>"
			  "</Target></Item></Get>"
			  "<Copy><CmdID>12</CmdID><Item><Target><LocURI>./MCPTT/X/Copy</LocURI>"
			  "</Target><Source><LocURI>./MCPTT/X/Name</LocURI></Source></Item></Copy>"
			  "<Sequence><CmdID>13</CmdID><Add><CmdID>14</CmdID><Item><Target><LocURI>"
			  "./MCPTT/X/Seq</LocURI></Target><Data>1</Data></Item></Add></Sequence>",
			  true));
	m = fx_out(&f);
	CHECK(t, m && m->final);
	CHECK_INT(t, status_of(m, 0, 0), 200);
	CHECK_INT(t, status_of(m, 2, 0), 200);
	CHECK_INT(t, status_of(m, 3, 0), 200);
	CHECK_INT(t, status_of(m, 3, 1), 200);
	CHECK_INT(t, status_of(m, 4, 0), 405);
	CHECK_INT(t, status_of(m, 5, 0), 405);
	CHECK_INT(t, status_of(m, 6, 0), 405);
	CHECK_INT(t, status_of(m, 7, 0), 200);
	CHECK_INT(t, status_of(m, 8, 0), 406);
	CHECK_INT(t, status_of(m, 9, 0), 425);	/* its own new node: Add/Delete/Get/Replace only */
	CHECK_INT(t, status_of(m, 10, 0), 404);
	CHECK_INT(t, status_of(m, 11, 0), 200);
	CHECK_INT(t, status_of(m, 12, 0), 200);
	CHECK_INT(t, status_of(m, 13, 0), 200);
	CHECK_INT(t, status_of(m, 14, 0), 200);
	c = find_cmd(m, DM_CMD_RESULTS);
	CHECK(t, c && c->cmd_ref == 3);
	CHECK_STR(t, c->items->source, "./MCPTT/X/Name");
	CHECK_MEM(t, c->items->data->p, c->items->data->len, "alpha", 5);
	for (c = c->next; c && c->type != DM_CMD_RESULTS; c = c->next)
		;
	CHECK(t, c && c->cmd_ref == 3);
	CHECK_STR(t, c->items->meta->format, "node");
	CHECK_MEM(t, c->items->data->p, c->items->data->len, "DevId/Man/Mod/DmV/Lang", 22);
	CHECK_STR(t, dm_tree_value(f.tr, "./MCPTT/X/Copy"), "alpha");
	dm_msg_free(m);
	CHECK(t, !fx_feed(&f, 200, NULL, "", true));
	CHECK(t, dm_session_done(f.s));
	fx_end(&f);
}

static void dm_session_atomic_rollback(struct test_ctx *t)
{
	struct fx f;
	struct dm_msg *m;
	size_t before;

	CHECK(t, !fx_start(&f));
	dm_msg_free(fx_out(&f));
	before = f.tr->count;
	CHECK(t, !fx_feed(&f, 212, NULL,
			  "<Atomic><CmdID>2</CmdID>"
			  "<Add><CmdID>3</CmdID><Item><Target><LocURI>./MCPTT/A</LocURI></Target>"
			  "<Data>x</Data></Item></Add>"
			  "<Replace><CmdID>4</CmdID><Item><Target><LocURI>./DMAcc/op/Name</LocURI>"
			  "</Target><Data>renamed</Data></Item></Replace>"
			  "<Add><CmdID>5</CmdID><Item><Target><LocURI>./DevInfo/Foo</LocURI></Target>"
			  "<Data>y</Data></Item></Add>"
			  "<Add><CmdID>6</CmdID><Item><Target><LocURI>./MCPTT/B</LocURI></Target>"
			  "<Data>z</Data></Item></Add></Atomic>"
			  "<Atomic><CmdID>7</CmdID><Add><CmdID>8</CmdID><Item><Target><LocURI>./OK"
			  "</LocURI></Target><Data>1</Data></Item></Add></Atomic>",
			  true));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_INT(t, status_of(m, 2, 0), DM_ST_ATOMIC_FAILED);
	CHECK_INT(t, status_of(m, 3, 0), DM_ST_ATOMIC_ROLLBACK_OK);
	CHECK_INT(t, status_of(m, 4, 0), DM_ST_ATOMIC_ROLLBACK_OK);
	CHECK_INT(t, status_of(m, 5, 0), DM_ST_NOT_ALLOWED);
	CHECK_INT(t, status_of(m, 6, 0), DM_ST_NOT_EXECUTED);
	CHECK_INT(t, status_of(m, 7, 0), 200);
	CHECK_INT(t, status_of(m, 8, 0), 200);
	CHECK(t, !dm_tree_find(f.tr, "./MCPTT"));
	CHECK_STR(t, dm_tree_value(f.tr, "./DMAcc/op/Name"), "op-srv");
	CHECK_STR(t, dm_tree_value(f.tr, "./OK"), "1");
	CHECK_INT(t, f.tr->count, before + 1);
	dm_msg_free(m);
	fx_end(&f);
}

static void dm_session_acl_425(struct test_ctx *t)
{
	struct fx f;
	struct dm_msg *m;
	struct dm_session_stats st;

	CHECK(t, !fx_start(&f));
	CHECK(t, !dm_tree_set_leaf(f.tr, "./Other/Conf", "secret", "chr"));
	CHECK(t, !dm_tree_set_acl(f.tr, "./Other", "Get=sp&Replace=sp&Add=sp&Delete=sp"));
	dm_msg_free(fx_out(&f));
	CHECK(t, !fx_feed(&f, 212, NULL,
			  "<Get><CmdID>2</CmdID><Item><Target><LocURI>./Other/Conf</LocURI></Target>"
			  "</Item></Get>"
			  "<Replace><CmdID>3</CmdID><Item><Target><LocURI>./Other/Conf</LocURI>"
			  "</Target><Data>mine</Data></Item></Replace>"
			  "<Add><CmdID>4</CmdID><Item><Target><LocURI>./Other/New</LocURI></Target>"
			  "<Data>1</Data></Item></Add>"
			  "<Delete><CmdID>5</CmdID><Item><Target><LocURI>./Other</LocURI></Target>"
			  "</Item></Delete>",
			  true));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_INT(t, status_of(m, 2, 0), 425);
	CHECK_INT(t, status_of(m, 3, 0), 425);
	CHECK_INT(t, status_of(m, 4, 0), 425);
	CHECK_INT(t, status_of(m, 5, 0), 425);
	CHECK(t, !find_cmd(m, DM_CMD_RESULTS));
	CHECK_STR(t, dm_tree_value(f.tr, "./Other/Conf"), "secret");
	dm_session_stats(f.s, &st);
	CHECK_INT(t, st.denied, 4);
	dm_msg_free(m);
	fx_end(&f);
}

static void dm_session_large_objects(struct test_ctx *t)
{
	struct fx f;
	struct dm_msg *m;
	const struct dm_cmd *c;
	char big[6000], *got = NULL;
	size_t glen = 0;
	int parts = 0;
	struct dm_out o;

	CHECK(t, !fx_start(&f));
	dm_msg_free(fx_out(&f));
	/* in: a value in two chunks over two messages */
	CHECK(t, !fx_feed(&f, 212, NULL,
			  "<Add><CmdID>2</CmdID><Item><Target><LocURI>./Big</LocURI></Target>"
			  "<Meta><Size xmlns=\"syncml:metinf\">10</Size></Meta><Data>12345</Data>"
			  "<MoreData/></Item></Add>", false));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_INT(t, status_of(m, 2, 0), DM_ST_CHUNK_ACCEPTED);
	c = find_cmd(m, DM_CMD_ALERT);
	CHECK(t, c && c->code == DM_ALERT_NEXT_MESSAGE);
	dm_msg_free(m);
	CHECK(t, !fx_feed(&f, 0, NULL,
			  "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Big</LocURI></Target>"
			  "<Data>67890</Data></Item></Add>", true));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_INT(t, status_of(m, 1, 0), 200);
	CHECK_STR(t, dm_tree_value(f.tr, "./Big"), "1234567890");
	dm_msg_free(m);
	/* out: a Get of 6000 bytes with the server's MaxMsgSize at 2000 */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(t, !dm_tree_set_leaf(f.tr, "./Big", big, "chr"));
	CHECK(t, !fx_feed(&f, 0, "<Meta><MaxMsgSize xmlns=\"syncml:metinf\">2000</MaxMsgSize></Meta>",
			  "<Get><CmdID>2</CmdID><Item><Target><LocURI>./Big</LocURI></Target></Item>"
			  "</Get>", true));
	for (;;) {
		CHECK(t, !dm_session_out(f.s, &o));
		if (o.len > 2000)
			CHECK_INT(t, o.len, 2000);
		m = fx_out(&f);
		CHECK(t, m);
		parts++;
		c = find_cmd(m, DM_CMD_RESULTS);
		if (c) {
			char *g = realloc(got, glen + c->items->data->len + 1);

			CHECK(t, g);
			got = g;
			memcpy(got + glen, c->items->data->p, c->items->data->len);
			glen += c->items->data->len;
			got[glen] = '\0';
		}
		if (m->final) {
			dm_msg_free(m);
			break;
		}
		dm_msg_free(m);
		CHECK(t, parts < 20);
		CHECK(t, !fx_feed(&f, 200, NULL, "<Alert><CmdID>2</CmdID><Data>1222</Data></Alert>",
				  false));
	}
	CHECK(t, parts >= 3);
	CHECK(t, got && glen == strlen(big) && !memcmp(got, big, glen));
	free(got);
	fx_end(&f);
}

static void dm_session_server_auth(struct test_ctx *t)
{
	struct fx f;
	struct dm_msg *m;
	struct dm_nonce n = { .len = 8 };
	char cred[DM_B64_MD5_LEN], hdr[512];

	memcpy(n.b, "srvnonce", 8);
	CHECK(t, !dm_auth_md5("op-srv", "oppw", &n, cred));
	/* right credentials: 212 and the commands run */
	CHECK(t, !fx_start(&f));
	dm_msg_free(fx_out(&f));
	snprintf(hdr, sizeof(hdr), "<Cred><Meta><Type xmlns=\"syncml:metinf\">syncml:auth-md5</Type>"
		 "<Format xmlns=\"syncml:metinf\">b64</Format></Meta><Data>%s</Data></Cred>", cred);
	CHECK(t, !fx_feed(&f, 212, hdr,
			  "<Add><CmdID>2</CmdID><Item><Target><LocURI>./S</LocURI></Target>"
			  "<Data>1</Data></Item></Add>", true));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_INT(t, status_of(m, 0, 0), 212);
	CHECK_INT(t, status_of(m, 2, 0), 200);
	dm_msg_free(m);
	CHECK(t, !fx_feed(&f, 200, NULL, "", true));
	CHECK(t, dm_session_done(f.s));
	fx_end(&f);
	/* wrong credentials: 401 with a Chal, and nothing runs */
	CHECK(t, !fx_start(&f));
	dm_msg_free(fx_out(&f));
	snprintf(hdr, sizeof(hdr), "<Cred><Meta><Type xmlns=\"syncml:metinf\">syncml:auth-md5</Type>"
		 "<Format xmlns=\"syncml:metinf\">b64</Format></Meta><Data>AAAAAAAAAAAAAAAAAAAAAA=="
		 "</Data></Cred>");
	CHECK(t, !fx_feed(&f, 212, hdr,
			  "<Add><CmdID>2</CmdID><Item><Target><LocURI>./S</LocURI></Target>"
			  "<Data>1</Data></Item></Add>", true));
	m = fx_out(&f);
	CHECK(t, m);
	CHECK_INT(t, status_of(m, 0, 0), 401);
	CHECK(t, m->cmds->chal && m->cmds->chal->next_nonce);
	CHECK_INT(t, status_of(m, 2, 0), 401);
	CHECK(t, !dm_tree_find(f.tr, "./S"));
	dm_msg_free(m);
	fx_end(&f);
}

/* --- bootstrap --- */

static void dm_boot_methods(struct test_ctx *t)
{
	struct dm_tree *tr = std_tree();
	struct dm_boot_keys k = { "001010123456789", NULL, false };
	struct dm_boot_result res;
	struct mcx_buf ct, card;
	char eb[256], *pref;
	const char *w7 =
		"<wap-provisioningdoc version=\"1.1\"><characteristic type=\"APPLICATION\">"
		"<parm name=\"APPID\" value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"cms.op\"/>"
		"<parm name=\"ADDR\" value=\"http://cms.example:80/dm\"/>"
		"<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>"
		"<parm name=\"AAUTHTYPE\" value=\"DIGEST\"/><parm name=\"AAUTHNAME\" value=\"ue\"/>"
		"<parm name=\"AAUTHSECRET\" value=\"pw\"/></characteristic></characteristic>"
		"</wap-provisioningdoc>";
	size_t removed;

	CHECK(t, tr);
	/* customized: a DMAcc file, unsigned */
	k.allow_unsigned = true;
	if (dm_boot_apply(tr, (const uint8_t *)dmacc_tnds, strlen(dmacc_tnds), DM_MIME_TNDS_XML, &k,
			  DM_ORIGIN_CUSTOMIZED, &res, eb, sizeof(eb)))
		CHECK_STR(t, eb, "");
	CHECK_INT(t, res.n, 1);
	CHECK_STR(t, res.server_ids[0], "laptop-dm");
	CHECK_STR(t, dm_tree_value(tr, "./DMAcc/laptop/Ext/MCXOrigin"), "customized");
	CHECK_STR(t, dm_tree_find(tr, "./DMAcc/laptop")->acl,
		  "Get=laptop-dm&Replace=laptop-dm&Delete=laptop-dm");
	k.allow_unsigned = false;
	/* server-initiated / fetched w7 with a MAC: checked, then applied */
	buf_init(&ct, 512);
	CHECK(t, !dm_boot_ctype(DM_BOOT_SEC_NETWORKID, k.networkid, NULL, (const uint8_t *)w7,
				strlen(w7), &ct));
	{	/* the same MAC on a w7 type */
		char w7ct[512];

		snprintf(w7ct, sizeof(w7ct), "%s%s", DM_W7_XML_MIME, strchr(ct.p, ';'));
		CHECK_INT(t, dm_boot_apply(tr, (const uint8_t *)w7, strlen(w7), DM_W7_XML_MIME, &k,
					   DM_ORIGIN_PUSH, &res, eb, sizeof(eb)), MCX_EPERM);
		k.networkid = "001010999999999";
		CHECK_INT(t, dm_boot_apply(tr, (const uint8_t *)w7, strlen(w7), w7ct, &k,
					   DM_ORIGIN_PUSH, &res, eb, sizeof(eb)), MCX_EAUTH);
		CHECK(t, !dm_tree_find(tr, "./DMAcc/cms_op"));
		k.networkid = "001010123456789";
		CHECK(t, !dm_boot_apply(tr, (const uint8_t *)w7, strlen(w7), w7ct, &k,
					DM_ORIGIN_PUSH, &res, eb, sizeof(eb)));
		/* smartcard: the card holds the w7 account */
		buf_init(&card, 65536);
		CHECK(t, !dm_card_append(&card, w7ct, (const uint8_t *)w7, strlen(w7)));
	}
	CHECK_STR(t, dm_tree_value(tr, "./DMAcc/cms_op/ServerID"), "cms.op");
	CHECK_STR(t, dm_tree_value(tr, "./DMAcc/cms_op/Ext/MCXOrigin"), "push");
	/* preference: the account reaching the CMS wins over origin order */
	pref = dm_account_prefer(tr, NULL);
	CHECK_STR(t, pref, "cms_op");	/* push ranks before customized */
	mcx_free(pref);
	pref = dm_account_prefer(tr, "http://127.0.0.1:8/xcap");
	CHECK_STR(t, pref, "laptop");
	mcx_free(pref);
	CHECK(t, !dm_card_apply(tr, (const uint8_t *)card.p, card.len, &k, &res, &removed, eb,
				sizeof(eb)));
	CHECK_STR(t, dm_tree_value(tr, "./DMAcc/cms_op/Ext/MCXOrigin"), "smartcard");
	CHECK_INT(t, removed, 0);
	/* a card without that account: the smartcard account goes, others stay */
	buf_reset(&card);
	buf_init(&card, 1024);
	CHECK(t, !buf_adds(&card, DM_CARD_MAGIC));
	CHECK(t, !dm_card_apply(tr, (const uint8_t *)card.p, card.len, &k, &res, &removed, eb,
				sizeof(eb)));
	CHECK_INT(t, removed, 1);
	CHECK(t, !dm_tree_find(tr, "./DMAcc/cms_op"));
	CHECK(t, dm_tree_find(tr, "./DMAcc/laptop"));
	CHECK_INT(t, dm_card_apply(tr, (const uint8_t *)"junk", 4, &k, &res, &removed, eb,
				   sizeof(eb)), MCX_EINVAL);
	buf_reset(&card);
	buf_reset(&ct);
	dm_tree_free(tr);
}

/* An account a bootstrap adds gets an ACL for its own ServerID only when
 * that ServerID is one ACL server name and the ACL fits its bound:
 * "a&Add=*", "a+b" or "*" would have granted other servers, and a long one
 * was cut at 511 bytes into an ACL that names a different server. */
static void dm_boot_server_acl(struct test_ctx *t)
{
	char sids[6][420], want[1300], doc[1600], eb[256];
	struct dm_boot_keys k = { NULL, NULL, true };
	size_t i;

	snprintf(sids[0], sizeof(sids[0]), "a&amp;Add=*");
	snprintf(sids[1], sizeof(sids[1]), "a+b");
	snprintf(sids[2], sizeof(sids[2]), "*");
	memset(sids[3], 'x', 400);	/* the ACL would be over acl_max (1024) */
	sids[3][400] = '\0';
	memset(sids[4], 'y', 250);	/* fits acl_max, not the old 512-byte buffer */
	sids[4][250] = '\0';
	snprintf(sids[5], sizeof(sids[5]), "good");
	for (i = 0; i < 6; i++) {
		struct dm_tree *tr = std_tree();
		const struct dm_node *n;

		CHECK(t, tr);
		if (!tr)
			return;
		snprintf(doc, sizeof(doc),
			 "<MgmtTree><Node><NodeName>ev</NodeName><Node><NodeName>ServerID</NodeName>"
			 "<Value>%.419s</Value></Node><Node><NodeName>AppAddr</NodeName><Node><NodeName>1"
			 "</NodeName><Node><NodeName>Addr</NodeName><Value>http://h/dm</Value></Node>"
			 "</Node></Node></Node></MgmtTree>", sids[i]);
		CHECK_INT(t, dm_boot_apply(tr, (const uint8_t *)doc, strlen(doc), DM_MIME_TNDS_XML,
					   &k, DM_ORIGIN_CUSTOMIZED, NULL, eb, sizeof(eb)), MCX_OK);
		n = dm_tree_find(tr, "./DMAcc/ev");
		CHECK(t, n != NULL);
		if (n && i < 4 && n->acl)
			test_fail(t, __FILE__, __LINE__, "sid %zu: ACL %.80s", i, n->acl);
		if (n && i >= 4) {
			snprintf(want, sizeof(want), "Get=%.419s&Replace=%.419s&Delete=%.419s", sids[i],
				 sids[i], sids[i]);
			CHECK_STR(t, n->acl ? n->acl : "", want);
		}
		dm_tree_free(tr);
	}
}

static void dm_boot_package0(struct test_ctx *t)
{
	struct dm_tree *tr = acc_tree();
	struct dm_pkg0 p = { .version = DM_PKG0_VERSION, .ui = DM_PKG0_UI_BACKGROUND,
			     .server_initiated = true, .session_id = 0x1234 };
	struct dm_nonce n = { .len = 8 };
	struct mcx_buf b;
	char *acc = NULL, sess[5], eb[200];

	CHECK(t, tr);
	memcpy(n.b, "srvnonce", 8);
	p.server_id.p = "op-srv";
	p.server_id.l = 6;
	buf_init(&b, 4096);
	CHECK(t, !dm_pkg0_encode(&p, "oppw", &n, &b));
	CHECK(t, !dm_boot_pkg0(tr, (const uint8_t *)b.p, b.len, &acc, sess, eb, sizeof(eb)));
	CHECK_STR(t, acc, "op");
	CHECK_STR(t, sess, "1234");
	mcx_free(acc);
	b.p[21] ^= 1;	/* tampered session id: wrong digest */
	CHECK_INT(t, dm_boot_pkg0(tr, (const uint8_t *)b.p, b.len, &acc, sess, eb, sizeof(eb)),
		  MCX_EAUTH);
	buf_reset(&b);
	buf_init(&b, 4096);
	CHECK(t, !dm_pkg0_encode(&p, "wrong", &n, &b));
	CHECK_INT(t, dm_boot_pkg0(tr, (const uint8_t *)b.p, b.len, &acc, sess, eb, sizeof(eb)),
		  MCX_EAUTH);
	buf_reset(&b);
	p.server_id.p = "nobody";
	buf_init(&b, 4096);
	CHECK(t, !dm_pkg0_encode(&p, "oppw", &n, &b));
	CHECK_INT(t, dm_boot_pkg0(tr, (const uint8_t *)b.p, b.len, &acc, sess, eb, sizeof(eb)),
		  MCX_ENOENT);
	buf_reset(&b);
	dm_tree_free(tr);
}

const struct test tests_dm_tree[] = {
	{ "dm_tree_ops", dm_tree_ops, true },
	{ "dm_tree_acl_inheritance", dm_tree_acl_inheritance, false },
	{ "dm_tree_acl_425_delegation", dm_tree_acl_425_delegation, false },
	{ "dm_tree_devid", dm_tree_devid, false },
	{ "dm_tree_bounds", dm_tree_bounds, false },
	{ "dm_tree_persistence", dm_tree_persistence, false },
	{ "dm_tree_load_refusals", dm_tree_load_refusals, false },
	{ "dm_tree_inbox", dm_tree_inbox, false },
	{ "dm_tree_session_pkg1_and_auth", dm_session_pkg1_and_auth, false },
	{ "dm_tree_session_commands", dm_session_commands, false },
	{ "dm_tree_session_atomic_rollback", dm_session_atomic_rollback, false },
	{ "dm_tree_session_acl_425", dm_session_acl_425, false },
	{ "dm_tree_session_large_objects", dm_session_large_objects, false },
	{ "dm_tree_session_server_auth", dm_session_server_auth, false },
	{ "dm_tree_boot_methods", dm_boot_methods, false },
	{ "dm_tree_boot_package0", dm_boot_package0, false },
	{ "dm_tree_boot_server_acl", dm_boot_server_acl, false },
	{ NULL, NULL, false },
};
