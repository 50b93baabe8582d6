/* OMA DM codec tests: SyncML XML and WBXML (against Debian's wbxml2xml /
 * xml2wbxml and the real recorded messages in ../shared/spec/omadm),
 * TNDS, MaxMsgSize splitting, large objects, status codes, bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "core/mem.h"
#include "dm/largeobj.h"
#include "dm/split.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/wbxml.h"

#define DM12 "android-omadm/dm12/"

/* --- helpers --- */

static char *spec_file(const char *rel, size_t *len)
{
	const char *dir = test_spec_dir();
	char path[512];

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/omadm/%s", dir, rel);
	return test_read_file(path, len);
}

static bool have_tool(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/usr/bin/%s", name);
	return access(path, X_OK) == 0;
}

static bool write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(p, 1, n, f) == n;

	if (f)
		ok = fclose(f) == 0 && ok;
	return ok;
}

/* Run Debian's tool (wbxml2xml / xml2wbxml) on in[0..n); malloc'ed output. */
static char *run_tool(const char *tool, const char *flags, const void *in, size_t n, size_t *outlen)
{
	char src[] = "/tmp/mcx-dm-inXXXXXX", dst[64], cmd[512];
	int fd = mkstemp(src);
	char *out = NULL;

	if (fd < 0)
		return NULL;
	close(fd);
	snprintf(dst, sizeof(dst), "%s.out", src);
	if (write_file(src, in, n)) {
		snprintf(cmd, sizeof(cmd), "/usr/bin/%s %s -o %s %s >/dev/null 2>&1", tool, flags,
			 dst, src);
		if (system(cmd) == 0)
			out = test_read_file(dst, outlen);
	}
	unlink(src);
	unlink(dst);
	return out;
}

/* "Type:code:target/source;" for every command, nested ones in brackets. */
static void summary_cmds(const struct dm_cmd *c, char *out, size_t len)
{
	for (; c; c = c->next) {
		const struct dm_item *it;
		size_t k = strlen(out);

		snprintf(out + k, len - k, "%s", dm_cmd_name(c->type));
		if (c->has_code) {
			k = strlen(out);
			snprintf(out + k, len - k, "=%u", c->code);
		}
		for (it = c->items; it; it = it->next) {
			k = strlen(out);
			snprintf(out + k, len - k, " %s", it->target ? it->target :
				 it->source ? it->source : "-");
		}
		if (c->children) {
			k = strlen(out);
			snprintf(out + k, len - k, "[");
			summary_cmds(c->children, out, len);
			k = strlen(out);
			snprintf(out + k, len - k, "]");
		}
		k = strlen(out);
		snprintf(out + k, len - k, ";");
	}
}

static const char *summary(const struct dm_msg *m)
{
	static char buf[4096];

	buf[0] = '\0';
	summary_cmds(m->cmds, buf, sizeof(buf));
	return buf;
}

static const char tnds_data[] =
	"<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD><Node><NodeName>Name</NodeName>"
	"<RTProperties><Format><chr/></Format></RTProperties><Value>UE &amp; co</Value></Node>"
	"</MgmtTree>";

static enum mcx_err item_add(struct dm_msg *m, struct dm_cmd *c, const char *target,
			     const char *source, enum dm_data_kind kind, const char *data,
			     struct dm_item **itp)
{
	struct dm_item *it = NULL;
	enum mcx_err err = dm_item_add(m, c, &it);

	if (!err)
		err = dm_set(m, &it->target, target);
	if (!err)
		err = dm_set(m, &it->source, source);
	if (!err && data)
		err = dm_data_set(m, &it->data, kind, data, strlen(data));
	if (!err && itp)
		*itp = it;
	return err;
}

static enum mcx_err meta_fmt(struct dm_msg *m, struct dm_meta **mt, const char *format,
			     const char *type)
{
	enum mcx_err err = dm_meta_get(m, mt);

	if (!err)
		err = dm_set(m, &(*mt)->format, format);
	if (!err)
		err = dm_set(m, &(*mt)->type, type);
	return err;
}

static enum mcx_err build_hdr(struct dm_msg *m)
{
	enum mcx_err err = dm_hdr_init(m, "1A2B", 3, "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
				       "https://dm.example.org/mcx");

	if (!err)
		err = dm_set(m, &m->hdr.source_name, "mcx-server");
	if (!err)
		err = dm_set(m, &m->hdr.resp_uri, "https://dm.example.org/mcx?s=1A2B&m=3");
	if (!err)
		err = dm_meta_get(m, &m->hdr.meta);
	if (!err) {
		m->hdr.meta->max_msg_size = 10000;
		m->hdr.meta->max_obj_size = 100000;
		m->hdr.meta->has = DM_META_MAXMSGSIZE | DM_META_MAXOBJSIZE;
		m->hdr.cred = pool_zalloc(&m->pool, sizeof(*m->hdr.cred));
		if (!m->hdr.cred)
			return dm_msg_err(m);
		err = meta_fmt(m, &m->hdr.cred->meta, "b64", "syncml:auth-md5");
	}
	if (!err)
		err = dm_data_set(m, &m->hdr.cred->data, DM_DATA_TEXT, "Zz6EivR3yeaaENcRN6lpAQ==", 24);
	return err;
}

static enum mcx_err build_status_alert(struct dm_msg *m)
{
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_status_add(m, 1, 1, 0, "SyncHdr", 212, &c);

	if (!err)
		err = dm_ref_add(m, &c->target_refs, "https://dm.example.org/mcx");
	if (!err)
		err = dm_ref_add(m, &c->source_refs, "urn:uuid:6ba7b810");
	if (!err)
		err = meta_fmt(m, &c->chal, "b64", "syncml:auth-md5");
	if (!err)
		err = dm_set(m, &c->chal->next_nonce, "Tm9uY2U=");
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_ALERT, 2, &c);
	if (!err) {
		c->code = 1101;
		c->has_code = true;
		err = item_add(m, c, NULL, NULL, DM_DATA_TEXT, "MINDT=10&MAXDT=30", NULL);
	}
	if (!err)
		err = item_add(m, c, NULL, NULL, DM_DATA_TEXT, "Configure this UE?", &it);
	return err;
}

/* "]]>" in a value: fine in XML, refused in WBXML (decoders CDATA-wrap Data). */
static bool with_cdata_end;

static enum mcx_err build_mgmt(struct dm_msg *m)
{
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_cmd_add(m, NULL, DM_CMD_ADD, 3, &c);

	if (!err)
		err = item_add(m, c, "./MCPTT/UE1", NULL, DM_DATA_XML, tnds_data, &it);
	if (!err)
		err = meta_fmt(m, &it->meta, "xml", DM_MIME_TNDS_XML);
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_REPLACE, 4, &c);
	if (!err)
		err = meta_fmt(m, &c->meta, "chr", "text/plain");
	if (!err)
		err = item_add(m, c, "./A/B", NULL, DM_DATA_TEXT,
			       "line1\nline2 <&> \"q\" 'a' \xc3\xa9", NULL);
	if (!err)
		err = item_add(m, c, "./A/C", NULL, DM_DATA_CDATA,
			       with_cdata_end ? "x]]>y  " : "x]]y  ", NULL);
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_GET, 5, &c);
	if (!err)
		err = item_add(m, c, "./DevDetail/URI/MaxDepth", NULL, DM_DATA_TEXT, NULL, NULL);
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_DELETE, 6, &c);
	if (!err) {
		c->no_resp = true;
		err = item_add(m, c, "./A/B", NULL, DM_DATA_TEXT, NULL, NULL);
	}
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_EXEC, 7, &c);
	if (!err)
		err = dm_set(m, &c->correlator, "corr-1");
	if (!err)
		err = item_add(m, c, "./FUMO/Update", NULL, DM_DATA_TEXT, "args", NULL);
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_COPY, 8, &c);
	if (!err)
		err = item_add(m, c, "./A/D", "./A/C", DM_DATA_TEXT, NULL, NULL);
	return err;
}

static enum mcx_err build_atomic(struct dm_msg *m)
{
	struct dm_cmd *a = NULL, *c = NULL, *s = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_cmd_add(m, NULL, DM_CMD_ATOMIC, 9, &a);

	if (!err)
		err = dm_cmd_add(m, a, DM_CMD_REPLACE, 10, &c);
	if (!err)
		err = item_add(m, c, "./MCPTT/UE1/T100", NULL, DM_DATA_TEXT, "42", &it);
	if (!err)
		err = meta_fmt(m, &it->meta, "int", NULL);
	if (!err)
		err = dm_cmd_add(m, a, DM_CMD_SEQUENCE, 11, &s);
	if (!err)
		err = dm_cmd_add(m, s, DM_CMD_ADD, 12, &c);
	if (!err)
		err = item_add(m, c, "./MCPTT/UE1/Key", NULL, DM_DATA_TEXT, "QUJD", &it);
	if (!err)
		err = meta_fmt(m, &it->meta, "b64", "application/octet-stream");
	if (!err)
		err = dm_cmd_add(m, s, DM_CMD_DELETE, 13, &c);
	if (!err)
		err = item_add(m, c, "./MCPTT/Old", NULL, DM_DATA_TEXT, NULL, NULL);
	return err;
}

static enum mcx_err build_results(struct dm_msg *m)
{
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_cmd_add(m, NULL, DM_CMD_RESULTS, 14, &c);

	if (!err) {
		c->msg_ref = 2;
		c->has_msg_ref = true;
		c->cmd_ref = 5;
		c->has_cmd_ref = true;
		err = meta_fmt(m, &c->meta, NULL, "text/plain");
	}
	if (!err)
		err = dm_ref_add(m, &c->source_refs, "./DevInfo/DevId");
	if (!err)
		err = item_add(m, c, NULL, "./DevInfo/DevId", DM_DATA_TEXT, "000000011234564", &it);
	if (!err)
		err = meta_fmt(m, &it->meta, "chr", NULL);
	if (!err) {
		it->meta->size = 15;
		it->meta->has = DM_META_SIZE;
		err = dm_status_add(m, 15, 1, 4, "Alert", 200, &c);
	}
	if (!err)
		err = item_add(m, c, NULL, NULL, DM_DATA_TEXT, "2", NULL);
	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_ALERT, 16, &c);
	if (!err) {
		c->code = 1226;
		c->has_code = true;
		err = dm_set(m, &c->correlator, "corr-1");
	}
	if (!err)
		err = item_add(m, c, NULL, "./FUMO", DM_DATA_TEXT, "200", &it);
	if (!err)
		err = meta_fmt(m, &it->meta, "chr",
			       "Reversed-Domain-Name: org.openmobilealliance.dm.firmwareupdate");
	if (!err)
		err = dm_set(m, &it->meta->mark, "critical");
	return err;
}

/* A message using every part of the model. */
static enum mcx_err build_full(struct dm_msg **mp)
{
	struct dm_msg *m = NULL;
	enum mcx_err err = dm_msg_alloc(&m, NULL);

	if (err)
		return err;
	err = build_hdr(m);
	if (!err)
		err = build_status_alert(m);
	if (!err)
		err = build_mgmt(m);
	if (!err)
		err = build_atomic(m);
	if (!err)
		err = build_results(m);
	if (err) {
		dm_msg_free(m);
		return err;
	}
	m->final = true;
	*mp = m;
	return MCX_OK;
}

static enum mcx_err emit(const struct dm_msg *m, struct mcx_buf *b)
{
	buf_init(b, 1 << 22);
	return dm_msg_emit(m, b);
}

/* --- XML --- */

/* XML -> struct -> XML: struct equality, and byte equality of the
 * canonical form on the second pass. */
static void dm_xml_roundtrip_built(struct test_ctx *t)
{
	struct dm_msg *m = NULL, *m2 = NULL;
	struct mcx_buf a, b;
	char err[256], why[256];
	enum mcx_err e;

	buf_init(&a, 1);
	buf_init(&b, 1);
	with_cdata_end = true;
	e = build_full(&m);
	with_cdata_end = false;
	OOM_OK(t, e);
	CHECK_INT(t, e, MCX_OK);
	e = emit(m, &a);
	if (!e)
		e = dm_msg_parse(a.p, a.len, NULL, 0, &m2, err, sizeof(err));
	if (!e)
		e = emit(m2, &b);
	if (t->in_oom && e == MCX_ENOMEM) {
		buf_reset(&a);
		buf_reset(&b);
		dm_msg_free(m);
		dm_msg_free(m2);
		return;
	}
	if (e)
		test_fail(t, __FILE__, __LINE__, "%s", err);
	else if (!dm_msg_equal(m, m2, why, sizeof(why)))
		test_fail(t, __FILE__, __LINE__, "round trip differs: %s", why);
	else if (a.len != b.len || memcmp(a.p, b.p, a.len))
		test_fail(t, __FILE__, __LINE__, "canonical XML is not stable");
	else if (!strstr(a.p, "<Data><![CDATA[x]]]]><![CDATA[>y  ]]></Data>") ||
		 !strstr(a.p, "<Data><MgmtTree xmlns=\"syncml:dmddf1.2\">") ||
		 !strstr(a.p, "line1\nline2 &lt;&amp;&gt; &quot;q&quot; &apos;a&apos;"))
		test_fail(t, __FILE__, __LINE__, "data kinds not serialized as expected");
	CHECK_STR(t, summary(m2), "Status=212;Alert=1101 - -;Add ./MCPTT/UE1;Replace ./A/B ./A/C;"
		  "Get ./DevDetail/URI/MaxDepth;Delete ./A/B;Exec ./FUMO/Update;Copy ./A/D;"
		  "Atomic[Replace ./MCPTT/UE1/T100;Sequence[Add ./MCPTT/UE1/Key;"
		  "Delete ./MCPTT/Old;];];Results ./DevInfo/DevId;Status=200 -;"
		  "Alert=1226 ./FUMO;");
	buf_reset(&a);
	buf_reset(&b);
	dm_msg_free(m);
	dm_msg_free(m2);
}

/* The canonical serializer's exact bytes. */
static void dm_xml_canonical_bytes(struct test_ctx *t)
{
	static const char doc[] =
		"<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>"
		"<VerProto>DM/1.2</VerProto><SessionID>7</SessionID><MsgID>1</MsgID>"
		"<Target><LocURI>https://s/dm</LocURI></Target><Source><LocURI>urn:gsma:imei:"
		"35209900-176148-1</LocURI><LocName>ue</LocName></Source><Cred><Meta>"
		"<Format xmlns=\"syncml:metinf\">b64</Format><Type xmlns=\"syncml:metinf\">"
		"syncml:auth-md5</Type></Meta><Data>Zz6EivR3yeaaENcRN6lpAQ==</Data></Cred><Meta>"
		"<MaxMsgSize xmlns=\"syncml:metinf\">5000</MaxMsgSize></Meta></SyncHdr><SyncBody>"
		"<Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Replace><CmdID>2</CmdID><Item>"
		"<Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>urn:gsma:imei:35209900-"
		"176148-1</Data></Item><Item><Source><LocURI>./DevInfo/Lang</LocURI></Source>"
		"<Data/></Item></Replace><Final/></SyncBody></SyncML>";
	struct dm_msg *m = NULL;
	struct mcx_buf b;
	enum mcx_err e;

	e = dm_msg_parse(doc, sizeof(doc) - 1, NULL, 0, &m, NULL, 0);
	CHECK_INT(t, e, MCX_OK);
	e = emit(m, &b);
	dm_msg_free(m);
	CHECK_INT(t, e, MCX_OK);
	CHECK_MEM(t, b.p, b.len, doc, sizeof(doc) - 1);
	buf_reset(&b);
}

struct real {
	const char *file;
	unsigned flags;
	const char *summary;
};

static const struct real real_xml[] = {
	{ DM12 "testnewdatatype.xml", 0,
	  "Add ./Test/MyApp;Add ./Test/MyApp/FloatLeaf;Add ./Test/MyApp/DateLeaf;"
	  "Add ./Test/MyApp/TimeLeaf;Replace ./Test/MyApp/FloatLeaf;Replace ./Test/MyApp/DateLeaf;"
	  "Replace ./Test/MyApp/TimeLeaf;Get ./Test/MyApp/FloatLeaf;Get ./Test/MyApp/DateLeaf;"
	  "Get ./Test/MyApp/TimeLeaf;Delete ./Test/MyApp/FloatLeaf;Delete ./Test/MyApp/DateLeaf;"
	  "Delete ./Test/MyApp/TimeLeaf;Delete ./Test/MyApp;" },
	{ DM12 "testalertconfirm.xml", DM_PARSE_LENIENT_AMP, "Alert=1101 - -;" },
	{ DM12 "testalertconfirmatomic.xml", 0,
	  "Atomic[Alert=1101 - -;Replace ./DevDetail/Bearer/GSM;];" },
	{ DM12 "testalertdisplay.xml", DM_PARSE_LENIENT_AMP, "Alert=1100 - -;" },
	{ DM12 "testalertmultiplechoice.xml", DM_PARSE_LENIENT_AMP,
	  "Alert=1104 - - - - - - - -;" },
	{ DM12 "testalertsinglechoice.xml", DM_PARSE_LENIENT_AMP, "Alert=1103 - - - - - - - -;" },
	{ DM12 "testalerttextinput.xml", DM_PARSE_LENIENT_AMP, "Alert=1102 - -;" },
	{ DM12 "testexecscript.xml", 0, "Exec .;" },
	{ DM12 "testgetscript.xml", 0, "Get ./DevInfo/DevId;" },
	{ DM12 "testadd.wbxml.decoded.xml", 0, "Status=212;Status=200;Status=200;Add ./TestLeafNode;" },
	{ DM12 "testget.wbxml.decoded.xml", 0,
	  "Status=212;Status=200;Status=200;Get ./DevDetail/URI/MaxDepth;" },
	{ DM12 "testdelete.wbxml.decoded.xml", 0,
	  "Status=212;Status=200;Status=200;Delete ./TestLeafNode;Delete ./TestLeaf;" },
	{ DM12 "testreplace.wbxml.decoded.xml", 0,
	  "Alert=1201;Replace ./DevInfo/DevId ./DevInfo/DmV ./DevInfo/Lang ./DevInfo/Man "
	  "./DevInfo/Mod ./DevInfo/Bearer/GSM ./DevInfo/Sort ./DevInfo/Loc ./DevInfo/LangAuto;" },
};

/* Every recorded XML message decodes, its commands/URIs are the expected
 * ones, and it survives XML -> struct -> XML. */
static void dm_xml_real_messages(struct test_ctx *t)
{
	size_t i;

	for (i = 0; i < sizeof(real_xml) / sizeof(real_xml[0]); i++) {
		struct dm_msg *a = NULL, *b = NULL;
		struct mcx_buf out;
		char err[256], why[256];
		size_t len;
		char *x = spec_file(real_xml[i].file, &len);
		enum mcx_err e;
		bool same;

		if (!x)
			return; /* ../shared absent: skip */
		e = dm_msg_parse(x, len, NULL, real_xml[i].flags, &a, err, sizeof(err));
		free(x);
		if (e)
			test_fail(t, __FILE__, __LINE__, "%s: %s", real_xml[i].file, err);
		CHECK_INT(t, e, MCX_OK);
		CHECK_STR(t, summary(a), real_xml[i].summary);
		e = emit(a, &out);
		if (!e)
			e = dm_msg_parse(out.p, out.len, NULL, 0, &b, err, sizeof(err));
		buf_reset(&out);
		same = !e && dm_msg_equal(a, b, why, sizeof(why));
		dm_msg_free(a);
		dm_msg_free(b);
		if (!same)
			test_fail(t, __FILE__, __LINE__, "%s: %s", real_xml[i].file, e ? err : why);
		CHECK(t, same);
	}
}

/* The AOSP scripts write a bare '&': refused unless the caller opts in. */
static void dm_xml_lenient_amp(struct test_ctx *t)
{
	struct dm_msg *m = NULL;
	char err[256];
	size_t len;
	char *x = spec_file(DM12 "testalertconfirm.xml", &len);
	enum mcx_err e;

	if (!x)
		return;
	e = dm_msg_parse(x, len, NULL, 0, &m, err, sizeof(err));
	if (e == MCX_OK)
		dm_msg_free(m);
	CHECK_INT(t, e, MCX_EINVAL);
	CHECK(t, strstr(err, "not well-formed") != NULL);
	e = dm_msg_parse(x, len, NULL, DM_PARSE_LENIENT_AMP, &m, err, sizeof(err));
	free(x);
	CHECK_INT(t, e, MCX_OK);
	CHECK_MEM(t, m->cmds->items->data->p, m->cmds->items->data->len, "MAXDT=15&DR=1", 13);
	CHECK_STR(t, m->hdr.resp_uri, "http://199.1.88.66/Scts?4Eq5AA==");
	dm_msg_free(m);
}

/* Text, CDATA and nested XML in <Data>; a prefix declared on an ancestor
 * travels with the nested element. */
static void dm_xml_data_kinds(struct test_ctx *t)
{
	static const char doc[] =
		"<SyncML xmlns='SYNCML:SYNCML1.2' xmlns:t='syncml:dmddf1.2'><SyncHdr>"
		"<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>"
		"<MsgID>1</MsgID><Target><LocURI>a</LocURI></Target><Source><LocURI>b</LocURI>"
		"</Source></SyncHdr><SyncBody><Add><CmdID>1</CmdID>"
		"<Item><Target><LocURI>./X</LocURI></Target><Meta><Format xmlns='syncml:metinf'>xml"
		"</Format></Meta><Data>\n  <t:MgmtTree><t:VerDTD>1.2</t:VerDTD></t:MgmtTree>\n</Data></Item>"
		"<Item><Target><LocURI>./Y</LocURI></Target><Data>  a &amp; <![CDATA[<b>]]>  </Data></Item>"
		"<Item><Target><LocURI>./Z</LocURI></Target><Data>  </Data></Item>"
		"</Add></SyncBody></SyncML>";
	struct dm_msg *m = NULL;
	const struct dm_item *it;
	enum mcx_err e;

	e = dm_msg_parse(doc, sizeof(doc) - 1, NULL, 0, &m, NULL, 0);
	CHECK_INT(t, e, MCX_OK);
	it = m->cmds->items;
	CHECK_INT(t, it->data->kind, DM_DATA_XML);
	CHECK_STR(t, it->data->p, "<t:MgmtTree xmlns:t=\"syncml:dmddf1.2\"><t:VerDTD>1.2</t:VerDTD>"
		  "</t:MgmtTree>");
	CHECK_INT(t, dm_item_format(m->cmds, it), DM_FMT_XML);
	it = it->next;
	CHECK_INT(t, it->data->kind, DM_DATA_CDATA);
	CHECK_STR(t, it->data->p, "  a & <b>  ");
	CHECK_INT(t, dm_item_format(m->cmds, it), DM_FMT_CHR);
	it = it->next;
	CHECK_INT(t, it->data->kind, DM_DATA_TEXT);
	CHECK_STR(t, it->data->p, "  ");
	CHECK(t, !m->final);
	dm_msg_free(m);
}

/* Nested XML in no namespace stays so when written back under SyncML's
 * default namespace; a CR survives XML but is refused by the WBXML writer. */
static void dm_xml_data_stable(struct test_ctx *t)
{
	static const char doc[] =
		"<SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1"
		"</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI></Target><Source><LocURI>b"
		"</LocURI></Source></SyncHdr><SyncBody><Replace><CmdID>1</CmdID><Item><Target>"
		"<LocURI>./X</LocURI></Target><Data>t<x>1</x></Data></Item><Item><Target><LocURI>"
		"./Y</LocURI></Target><Data>a&#13;\nb</Data></Item></Replace></SyncBody></SyncML>";
	struct dm_msg *m = NULL, *m2 = NULL;
	struct mcx_buf a, w;
	char why[256], err[256];
	enum mcx_err e;

	CHECK_INT(t, dm_msg_parse(doc, sizeof(doc) - 1, NULL, 0, &m, NULL, 0), MCX_OK);
	CHECK_STR(t, m->cmds->items->data->p, "t<x xmlns=\"\">1</x>");
	CHECK_STR(t, m->cmds->items->next->data->p, "a\r\nb");
	e = emit(m, &a);
	if (!e)
		e = dm_msg_parse(a.p, a.len, NULL, 0, &m2, NULL, 0);
	if (!e && !dm_msg_equal(m, m2, why, sizeof(why)))
		test_fail(t, __FILE__, __LINE__, "%s", why);
	buf_init(&w, 1 << 16);
	m->cmds->items = m->cmds->items->next;	/* just the CR */
	if (!e && dm_msg_emit_wbxml(m, NULL, &w, err, sizeof(err)) != MCX_EINVAL)
		test_fail(t, __FILE__, __LINE__, "a CR went out as WBXML");
	buf_reset(&a);
	buf_reset(&w);
	dm_msg_free(m);
	dm_msg_free(m2);
	CHECK_INT(t, e, MCX_OK);
	CHECK(t, strstr(err, "carriage return") != NULL);
}

static void dm_format_values(struct test_ctx *t)
{
	CHECK_INT(t, dm_format_of("b64"), DM_FMT_B64);
	CHECK_INT(t, dm_format_of("node"), DM_FMT_NODE);
	CHECK_INT(t, dm_format_of("xml"), DM_FMT_XML);
	CHECK_INT(t, dm_format_of("weird"), DM_FMT_OTHER);
	CHECK_STR(t, dm_format_name(DM_FMT_BOOL), "bool");
	CHECK(t, dm_format_check(DM_FMT_INT, "-2147483648", 11));
	CHECK(t, !dm_format_check(DM_FMT_INT, "2147483648", 10));
	CHECK(t, !dm_format_check(DM_FMT_INT, "12a", 3));
	CHECK(t, dm_format_check(DM_FMT_BOOL, "true", 4));
	CHECK(t, !dm_format_check(DM_FMT_BOOL, "TRUE", 4));
	CHECK(t, dm_format_check(DM_FMT_B64, "QUJD\r\nREVG", 10));
	CHECK(t, !dm_format_check(DM_FMT_B64, "QUJ!", 4));
	CHECK(t, dm_format_check(DM_FMT_NODE, "", 0));
	CHECK(t, !dm_format_check(DM_FMT_NODE, "x", 1));
	CHECK(t, dm_format_check(DM_FMT_DATE, "2005-10-18", 10));
	CHECK(t, dm_format_check(DM_FMT_TIME, "11:20:35+01:20", 14));
	CHECK(t, dm_format_check(DM_FMT_FLOAT, "+1.23e+01", 9));
	CHECK(t, !dm_format_check(DM_FMT_FLOAT, "1,5", 3));
	CHECK(t, dm_format_check(DM_FMT_CHR, "anything", 8));
}

static enum mcx_err parse_lim(const char *doc, const struct dm_limits *lim, char *err, size_t n)
{
	struct dm_msg *m = NULL;
	enum mcx_err e = dm_msg_parse(doc, strlen(doc), lim, 0, &m, err, n);

	dm_msg_free(m);
	return e;
}

#define HDR "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2" \
	"</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI>" \
	"</Target><Source><LocURI>b</LocURI></Source></SyncHdr><SyncBody>"
#define END "</SyncBody></SyncML>"
#define GET(id) "<Get><CmdID>" #id "</CmdID><Item><Target><LocURI>./X</LocURI></Target></Item></Get>"

/* Malformed and over-limit XML: clean errors, never a crash. */
static void dm_xml_refusals(struct test_ctx *t)
{
	struct dm_limits lim = *dm_limits_default();
	char err[256];
	struct dm_msg *m = NULL;
	char deep[4096];
	size_t i, k = 0;

	CHECK_INT(t, parse_lim("", NULL, err, sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, parse_lim("<SyncML", NULL, err, sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, parse_lim("<Foo/>", NULL, err, sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, parse_lim("<?xml version='1.0' encoding='ISO-8859-1'?>" HDR END, NULL, err,
			       sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "UTF-8") != NULL);
	CHECK_INT(t, parse_lim("<?xml version='1.0' encoding='utf-8'?>" HDR END, NULL, err,
			       sizeof(err)), MCX_OK);
	CHECK_INT(t, parse_lim(HDR "<Alert><CmdID>1</CmdID><Data>\xff</Data></Alert>" END, NULL, err,
			       sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, parse_lim("\xfe\xff<", NULL, err, sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, parse_lim("<!DOCTYPE SyncML [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;'>]>"
			       HDR "<Alert><CmdID>1</CmdID><Data>&b;</Data></Alert>" END, NULL,
			       err, sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "DTD") != NULL);
	CHECK_INT(t, parse_lim("<!DOCTYPE SyncML [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
			       HDR END, NULL, err, sizeof(err)), MCX_EINVAL);
	/* an external DTD is named but never fetched */
	CHECK_INT(t, parse_lim("<!DOCTYPE SyncML PUBLIC '-//SYNCML//DTD SyncML 1.2//EN' "
			       "'http://127.0.0.1:9/x.dtd'>" HDR END, NULL, err, sizeof(err)), MCX_OK);
	CHECK_INT(t, parse_lim(HDR "<Get><CmdID>x1</CmdID></Get>" END, NULL, err, sizeof(err)),
		  MCX_EINVAL);
	CHECK_INT(t, parse_lim(HDR "<Get><CmdID>1</CmdID><Item><Bogus/></Item></Get>" END, NULL, err,
			       sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "unexpected <Bogus> in <Item>") != NULL);
	CHECK_INT(t, parse_lim(HDR "<Final/>" GET(1) END, NULL, err, sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, parse_lim("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncBody/></SyncML>", NULL, err,
			       sizeof(err)), MCX_EINVAL);
	lim.cmds_max = 2;
	CHECK_INT(t, parse_lim(HDR GET(1) GET(2) GET(3) END, &lim, err, sizeof(err)), MCX_ELIMIT);
	lim = *dm_limits_default();
	lim.items_max = 1;
	CHECK_INT(t, parse_lim(HDR "<Get><CmdID>1</CmdID><Item><Target><LocURI>a</LocURI></Target>"
			       "</Item><Item><Target><LocURI>b</LocURI></Target></Item></Get>" END,
			       &lim, err, sizeof(err)), MCX_ELIMIT);
	lim = *dm_limits_default();
	lim.data_max = 4;
	CHECK_INT(t, parse_lim(HDR "<Add><CmdID>1</CmdID><Item><Data>12345</Data></Item></Add>" END,
			       &lim, err, sizeof(err)), MCX_ELIMIT);
	lim = *dm_limits_default();
	lim.str_max = 3;
	CHECK_INT(t, parse_lim(HDR END, &lim, err, sizeof(err)), MCX_ELIMIT);
	lim = *dm_limits_default();
	lim.msg_max = 10;
	CHECK_INT(t, parse_lim(HDR END, &lim, err, sizeof(err)), MCX_ELIMIT);
	/* Atomic inside Atomic inside ... past cmd_nest_max */
	CHECK_INT(t, parse_lim(HDR "<Atomic><CmdID>1</CmdID><Atomic><CmdID>2</CmdID><Atomic><CmdID>3"
			       "</CmdID><Atomic><CmdID>4</CmdID><Atomic><CmdID>5</CmdID>" GET(6)
			       "</Atomic></Atomic></Atomic></Atomic></Atomic>" END, NULL, err,
			       sizeof(err)), MCX_ELIMIT);
	/* element depth */
	k = (size_t)snprintf(deep, sizeof(deep), "%s<Add><CmdID>1</CmdID><Item><Data>", HDR);
	for (i = 0; i < 60; i++)
		k += (size_t)snprintf(deep + k, sizeof(deep) - k, "<a>");
	for (i = 0; i < 60; i++)
		k += (size_t)snprintf(deep + k, sizeof(deep) - k, "</a>");
	snprintf(deep + k, sizeof(deep) - k, "</Data></Item></Add>%s", END);
	CHECK_INT(t, parse_lim(deep, NULL, err, sizeof(err)), MCX_ELIMIT);
	/* an unknown command is kept by name for a 406 */
	CHECK_INT(t, dm_msg_parse(HDR "<Sync><CmdID>4</CmdID><Foo/></Sync>" END,
				  strlen(HDR "<Sync><CmdID>4</CmdID><Foo/></Sync>" END), NULL, 0, &m,
				  err, sizeof(err)), MCX_OK);
	CHECK_INT(t, m->cmds->type, DM_CMD_UNKNOWN);
	CHECK_STR(t, m->cmds->name, "Sync");
	CHECK_INT(t, m->cmds->cmd_id, 4);
	dm_msg_free(m);
}

/* --- WBXML --- */

struct real_wbxml {
	const char *name;
	const char *summary;
};

static const struct real_wbxml real_wbxml[] = {
	{ "testadd", "Status=212;Status=200;Status=200;Add ./TestLeafNode;" },
	{ "testget", "Status=212;Status=200;Status=200;Get ./DevDetail/URI/MaxDepth;" },
	{ "testdelete", "Status=212;Status=200;Status=200;Delete ./TestLeafNode;Delete ./TestLeaf;" },
	{ "testreplace",
	  "Alert=1201;Replace ./DevInfo/DevId ./DevInfo/DmV ./DevInfo/Lang ./DevInfo/Man "
	  "./DevInfo/Mod ./DevInfo/Bearer/GSM ./DevInfo/Sort ./DevInfo/Loc ./DevInfo/LangAuto;" },
};

/* Every recorded WBXML message (string public id, some saying "SyncML 1.1"
 * with VerDTD 1.2) decodes to what Debian's wbxml2xml made of it. */
static void dm_wbxml_real_messages(struct test_ctx *t)
{
	size_t i;

	for (i = 0; i < sizeof(real_wbxml) / sizeof(real_wbxml[0]); i++) {
		struct dm_msg *a = NULL, *b = NULL;
		char path[128], err[256], why[256];
		size_t len = 0, xlen = 0;
		char *w, *x;
		enum mcx_err e1, e2;
		bool same;

		snprintf(path, sizeof(path), DM12 "%s.wbxml", real_wbxml[i].name);
		w = spec_file(path, &len);
		snprintf(path, sizeof(path), DM12 "%s.wbxml.decoded.xml", real_wbxml[i].name);
		x = spec_file(path, &xlen);
		if (!w || !x) {
			free(w);
			free(x);
			return;
		}
		e1 = dm_msg_parse_wbxml((const uint8_t *)w, len, NULL, &a, err, sizeof(err));
		e2 = e1 ? e1 : dm_msg_parse(x, xlen, NULL, 0, &b, err, sizeof(err));
		free(w);
		free(x);
		if (t->in_oom && e2 == MCX_ENOMEM) {
			dm_msg_free(a);
			return;
		}
		same = !e2 && dm_msg_equal(a, b, why, sizeof(why)) &&
		       !strcmp(summary(a), real_wbxml[i].summary);
		if (!same)
			test_fail(t, __FILE__, __LINE__, "%s: %s", real_wbxml[i].name,
				  e2 ? err : why[0] ? why : summary(a));
		dm_msg_free(a);
		dm_msg_free(b);
		if (!same)
			return;
	}
}

/* Hex dumps "0000: 02 00 00 6a ..." of the AOSP client's WBXML output. */
static size_t hexdump_next(const char *s, size_t *pos, uint8_t *out, size_t max)
{
	const char *p = strstr(s + *pos, "Print result in HEX mode:");
	size_t n = 0;

	if (!p)
		return 0;
	p = strstr(p, "\n0000:");
	while (p && p[0] == '\n' && p[1] && p[5] == ':') {
		const char *q = p + 6;

		while (n < max && q[0] == ' ' && q[1] != ' ' && q[1] != '\n') {
			unsigned v;

			if (sscanf(q + 1, "%2x", &v) != 1)
				break;
			out[n++] = (uint8_t)v;
			q += 3;
		}
		p = strchr(q, '\n');
	}
	*pos = p ? (size_t)(p - s) : strlen(s);
	return n;
}

/* The client's own messages logged in testoutput12: XML ones and WBXML
 * hex dumps all decode; the Get response carries MaxDepth's value. */
static void dm_real_client_output(struct test_ctx *t)
{
	size_t len = 0, pos = 0, nxml = 0, nwb = 0, n;
	char *log = spec_file(DM12 "testoutput12", &len);
	static uint8_t wb[4096];
	const char *p;
	char err[256];

	if (!log)
		return;
	for (p = strstr(log, "<?xml"); p; p = strstr(p + 1, "<?xml")) {
		const char *e = strstr(p, "</SyncML>");
		struct dm_msg *m = NULL;
		enum mcx_err rc;

		if (!e)
			break;
		rc = dm_msg_parse(p, (size_t)(e + 9 - p), NULL, 0, &m, err, sizeof(err));
		if (rc)
			test_fail(t, __FILE__, __LINE__, "XML message %zu: %s", nxml, err);
		if (!rc && nxml == 0)
			CHECK_STR(t, summary(m), "Status=200;Results ./DevInfo/DevId;");
		dm_msg_free(m);
		if (rc)
			break;
		nxml++;
	}
	while (!t->failed && (n = hexdump_next(log, &pos, wb, sizeof(wb))) > 0) {
		uint8_t *copy = malloc(n);
		struct dm_msg *m = NULL;
		enum mcx_err rc;

		memcpy(copy, wb, n);	/* exact size: a sanitizer sees any over-read */
		rc = dm_msg_parse_wbxml(copy, n, NULL, &m, err, sizeof(err));
		free(copy);
		if (rc)
			test_fail(t, __FILE__, __LINE__, "WBXML dump %zu: %s", nwb, err);
		else if (nwb == 0 && strcmp(summary(m), "Status=200;Status=200;Results "
					    "./DevDetail/URI/MaxDepth;"))
			test_fail(t, __FILE__, __LINE__, "dump 0: %s", summary(m));
		else if (nwb == 0 && strcmp(m->cmds->next->next->items->data->p, "20"))
			test_fail(t, __FILE__, __LINE__, "MaxDepth value");
		dm_msg_free(m);
		nwb++;
	}
	free(log);
	if (t->failed)
		return;
	CHECK(t, nxml >= 8);
	CHECK(t, nwb >= 4);
}

static enum mcx_err wbxml_of(const struct dm_msg *m, uint8_t version, bool pubid_string,
			     struct mcx_buf *out)
{
	struct dm_wbxml_opts o = { version, pubid_string };

	buf_init(out, 1 << 22);
	return dm_msg_emit_wbxml(m, &o, out, NULL, 0);
}

/* The messages of the WBXML round trips: the full model and the real ones. */
static struct dm_msg *corpus_msg(size_t i)
{
	struct dm_msg *m = NULL;
	size_t len;
	char *x;

	if (i == 0)
		return build_full(&m) ? NULL : m;
	if (i > sizeof(real_xml) / sizeof(real_xml[0]))
		return NULL;
	x = spec_file(real_xml[i - 1].file, &len);
	if (x && dm_msg_parse(x, len, NULL, real_xml[i - 1].flags, &m, NULL, 0))
		m = NULL;
	free(x);
	return m;
}

#define CORPUS_N (1 + sizeof(real_xml) / sizeof(real_xml[0]))

/* Encode with ours, decode with Debian's wbxml2xml, compare the structs. */
static void dm_wbxml_ours_then_debian(struct test_ctx *t)
{
	size_t i;
	int form;

	if (!have_tool("wbxml2xml"))
		return;
	for (i = 0; i < CORPUS_N; i++) {
		struct dm_msg *m = corpus_msg(i);

		if (!m)
			continue;
		for (form = 0; form < 2; form++) {
			struct mcx_buf wb;
			struct dm_msg *back = NULL;
			char why[256], err[256];
			size_t xlen = 0;
			char *x = NULL;
			enum mcx_err e = wbxml_of(m, form ? 0x03 : 0x02, form, &wb);

			if (!e)
				x = run_tool("wbxml2xml", "-m 0 -k", wb.p, wb.len, &xlen);
			if (!e && x)
				e = dm_msg_parse(x, xlen, NULL, 0, &back, err, sizeof(err));
			if (e || !x || !dm_msg_equal(m, back, why, sizeof(why)))
				test_fail(t, __FILE__, __LINE__, "message %zu form %d: %s", i, form,
					  !x ? "wbxml2xml failed" : e ? err : why);
			free(x);
			buf_reset(&wb);
			dm_msg_free(back);
			if (t->failed)
				break;
		}
		dm_msg_free(m);
		if (t->failed)
			return;
	}
}

/* Encode with Debian's xml2wbxml, decode with ours, compare the structs. */
static void dm_wbxml_debian_then_ours(struct test_ctx *t)
{
	size_t i;

	if (!have_tool("xml2wbxml"))
		return;
	for (i = 0; i < CORPUS_N; i++) {
		struct dm_msg *m = corpus_msg(i), *back = NULL;
		struct mcx_buf xml;
		char why[256], err[256] = "";
		size_t wlen = 0;
		char *w = NULL;
		enum mcx_err e;

		if (!m)
			continue;
		e = emit(m, &xml);
		if (!e)
			w = run_tool("xml2wbxml", "-k", xml.p, xml.len, &wlen);
		if (!e && w)
			e = dm_msg_parse_wbxml((const uint8_t *)w, wlen, NULL, &back, err, sizeof(err));
		if (e || !w || !dm_msg_equal(m, back, why, sizeof(why)))
			test_fail(t, __FILE__, __LINE__, "message %zu: %s", i,
				  !w ? "xml2wbxml failed" : e ? err : why);
		free(w);
		buf_reset(&xml);
		dm_msg_free(back);
		dm_msg_free(m);
		if (t->failed)
			return;
	}
}

/* Both public-id forms; "SyncML 1.1" and anonymous ids still decode as
 * SyncML 1.2 (Correlator exists only in 1.2's code page); our WBXML is
 * never larger than the XML it came from. */
static void dm_wbxml_public_ids(struct test_ctx *t)
{
	static const char fpi11[] = "-//SYNCML//DTD SyncML 1.1//EN";
	struct dm_msg *m = NULL, *back = NULL, *anon_back = NULL;
	struct mcx_buf num, str, xml;
	char why[256], err[256] = "";
	uint8_t *anon = NULL;
	enum mcx_err e;

	buf_init(&num, 1);
	buf_init(&str, 1);
	buf_init(&xml, 1);
	e = build_full(&m);
	if (!e)
		e = wbxml_of(m, 0x02, false, &num);
	if (!e)
		e = wbxml_of(m, 0x02, true, &str);
	if (!e)
		e = emit(m, &xml);
	if (!e) {
		/* the string-table FPI rewritten to 1.1, as AOSP's test messages say */
		memcpy(str.p + 5, fpi11, sizeof(fpi11) - 1);
		e = dm_msg_parse_wbxml((const uint8_t *)str.p, str.len, NULL, &back, err,
				       sizeof(err));
	}
	if (!e) {
		/* anonymous: public id 0x01 */
		anon = malloc(num.len);
		memcpy(anon, num.p, num.len);
		anon[1] = 0x01;
		memmove(anon + 2, anon + 3, num.len - 3);
		e = dm_msg_parse_wbxml(anon, num.len - 1, NULL, &anon_back, err, sizeof(err));
	}
	if (!e) {
		if (memcmp(num.p, "\x02\xa4\x01\x6a\x00", 5))
			test_fail(t, __FILE__, __LINE__, "numeric public id header");
		else if (str.len < 36 || memcmp(str.p, "\x02\x00\x00\x6a\x1e-//SYNCML//DTD SyncML 1.1//EN"
						 "\0\x6d", 36))
			test_fail(t, __FILE__, __LINE__, "string public id header");
		else if (num.len >= xml.len || str.len >= xml.len)
			test_fail(t, __FILE__, __LINE__, "WBXML larger than XML");
		else if (!dm_msg_equal(m, back, why, sizeof(why)))
			test_fail(t, __FILE__, __LINE__, "SyncML 1.1 FPI: %s", why);
		else if (!dm_msg_equal(m, anon_back, why, sizeof(why)))
			test_fail(t, __FILE__, __LINE__, "anonymous: %s", why);
	}
	free(anon);
	buf_reset(&num);
	buf_reset(&str);
	buf_reset(&xml);
	dm_msg_free(m);
	dm_msg_free(back);
	dm_msg_free(anon_back);
	OOM_OK(t, e);
	if (e)
		test_fail(t, __FILE__, __LINE__, "%d: %s", e, err);
}

static void check_prefixes(struct test_ctx *t, const uint8_t *p, size_t n, const char *what)
{
	size_t k;

	for (k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1);
		struct dm_msg *m = NULL;
		char err[256] = "";
		enum mcx_err e;

		memcpy(copy, p, k);
		e = dm_msg_parse_wbxml(copy, k, NULL, &m, err, sizeof(err));
		free(copy);
		dm_msg_free(m);
		if (e != MCX_EINVAL && e != MCX_ELIMIT) {
			test_fail(t, __FILE__, __LINE__, "%s: prefix of %zu bytes gave %d", what, k, e);
			return;
		}
		if (!err[0]) {
			test_fail(t, __FILE__, __LINE__, "%s: prefix %zu: no reason given", what, k);
			return;
		}
	}
}

/* "]]>" in a value cannot go out as WBXML: a clean refusal. */
static void dm_wbxml_cdata_end(struct test_ctx *t)
{
	struct dm_msg *m = NULL;
	struct mcx_buf wb;
	char err[256] = "";
	enum mcx_err e;

	with_cdata_end = true;
	e = build_full(&m);
	with_cdata_end = false;
	CHECK_INT(t, e, MCX_OK);
	buf_init(&wb, 1 << 20);
	e = dm_msg_emit_wbxml(m, NULL, &wb, err, sizeof(err));
	buf_reset(&wb);
	dm_msg_free(m);
	CHECK_INT(t, e, MCX_EINVAL);
	CHECK(t, strstr(err, "]]>") != NULL);
}

/* Every prefix of a valid message is refused cleanly. */
static void dm_wbxml_truncated(struct test_ctx *t)
{
	struct dm_msg *m = NULL;
	struct mcx_buf wb;
	size_t len;
	char *w;

	CHECK_INT(t, build_full(&m), MCX_OK);
	CHECK_INT(t, wbxml_of(m, 0x03, true, &wb), MCX_OK);
	dm_msg_free(m);
	check_prefixes(t, (const uint8_t *)wb.p, wb.len, "ours");
	buf_reset(&wb);
	w = spec_file(DM12 "testreplace.wbxml", &len);
	if (w)
		check_prefixes(t, (const uint8_t *)w, len, "testreplace.wbxml");
	free(w);
}

/* The smallest valid message: SyncML/SyncHdr(...)/SyncBody/Final. */
static const uint8_t mini_hdr[] = { 0x02, 0xa4, 0x01, 0x6a, 0x00 };
static const uint8_t mini_body[] = {
	0x6d, 0x6c, 0x71, 0x03, '1', '.', '2', 0, 0x01, 0x72, 0x03, 'D', 'M', '/', '1', '.', '2',
	0, 0x01, 0x65, 0x03, '1', 0, 0x01, 0x5b, 0x03, '1', 0, 0x01, 0x6e, 0x57, 0x03, 'a', 0,
	0x01, 0x01, 0x67, 0x57, 0x03, 'b', 0, 0x01, 0x01, 0x01, 0x6b,
};
static const uint8_t mini_tail[] = { 0x12, 0x01, 0x01 };

/* header + body + mid + tail into a malloc'ed buffer. */
static uint8_t *mini(const void *hdr, size_t hl, const void *mid, size_t ml, size_t *n)
{
	uint8_t *p;

	*n = hl + sizeof(mini_body) + ml + sizeof(mini_tail);
	p = malloc(*n);
	memcpy(p, hdr, hl);
	memcpy(p + hl, mini_body, sizeof(mini_body));
	memcpy(p + hl + sizeof(mini_body), mid, ml);
	memcpy(p + hl + sizeof(mini_body) + ml, mini_tail, sizeof(mini_tail));
	return p;
}

static enum mcx_err try_mid(const void *mid, size_t ml, char *err, size_t errlen)
{
	struct dm_msg *m = NULL;
	size_t n;
	uint8_t *p = mini(mini_hdr, sizeof(mini_hdr), mid, ml, &n);
	enum mcx_err e = dm_msg_parse_wbxml(p, n, NULL, &m, err, errlen);

	free(p);
	dm_msg_free(m);
	return e;
}

static bool says(const char *err, const char *want)
{
	return !want || strstr(err, want) != NULL;
}

#define MID(t, bytes, want, text) do { static const uint8_t mid_[] = bytes; char e_[256] = ""; \
	enum mcx_err r_ = try_mid(mid_, sizeof(mid_), e_, sizeof(e_)); CHECK_INT(t, r_, want); \
	if (!says(e_, text)) { test_fail(t, __FILE__, __LINE__, "error \"%s\"", e_); \
	return; } } while (0)
#define B(...) { __VA_ARGS__ }

/* A Meta Type over DM_WBXML_TYPE_MAX in two inline strings: the second one
 * was copied past the scanner's type buffer (over its error buffer pointer
 * and the stack); now the Type is long, so treated as +wbxml. */
static void dm_wbxml_long_type(struct test_ctx *t)
{
	static const uint8_t head[] = { 0x54, 0x5a, 0x00, 0x01, 0x53 };
	static const uint8_t tail[] = { 0x01, 0x01, 0x00, 0x00, 0x4f, 0xc3, 0x03, 'a', 'b', 'c',
					0x01, 0x01 };
	size_t n = sizeof(head) + 2 * (1 + 4000 + 1) + sizeof(tail), o = 0;
	uint8_t *mid = malloc(n);
	char err[256] = "";
	int i;

	CHECK(t, mid);
	if (!mid)
		return;
	memcpy(mid, head, sizeof(head));
	o = sizeof(head);
	for (i = 0; i < 2; i++) {	/* STR_I "aaaa...", STR_I "bbbb..." */
		mid[o++] = 0x03;
		memset(mid + o, i ? 'b' : 'a', 4000);
		o += 4000;
		mid[o++] = 0;
	}
	memcpy(mid + o, tail, sizeof(tail));
	CHECK_INT(t, try_mid(mid, n, err, sizeof(err)), MCX_EINVAL);
	CHECK(t, says(err, "embedded document"));
	free(mid);
}

/* Hand-made malformed WBXML: each refused with a clear reason. */
static void dm_wbxml_malformed(struct test_ctx *t)
{
	static const uint8_t v0[] = { 0x00, 0x01, 0x6a, 0x00, 0x6d, 0x01 };
	static const uint8_t big_tbl[] = { 0x02, 0xa4, 0x01, 0x6a, 0x8f, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t bad_mb[] = { 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t bad_fpi[] = { 0x02, 0x00, 0x05, 0x6a, 0x01, 0x00 };
	char err[256];
	struct dm_msg *m = NULL;
	uint8_t *p, *deep;
	size_t n, i;

	MID(t, B(0x60, 0x4b, 0x03, '1', 0, 0x01, 0x01), MCX_OK, NULL);	/* Replace/CmdID: fine */
	MID(t, B(0x60, 0x4b, 0x83, 0x05, 0x01, 0x01), MCX_EINVAL, "outside the table");
	MID(t, B(0x60, 0x4b, 0xc3, 0x7f, 'x', 0x01, 0x01), MCX_EINVAL, "runs past the end");
	MID(t, B(0x7f, 0x01), MCX_EINVAL, "unknown tag 0x3f");
	MID(t, B(0x30), MCX_EINVAL, "unknown tag 0x30");
	MID(t, B(0xe0, 0x05, 0x03, 'x', 0, 0x01, 0x01), MCX_EINVAL, "attributes");
	MID(t, B(0x04, 0x00), MCX_EINVAL, "literal");
	MID(t, B(0x43, 0x05, 0x01), MCX_EINVAL, "processing instructions");
	MID(t, B(0xc0), MCX_EINVAL, "extension token");
	MID(t, B(0x00, 0x09), MCX_EINVAL, "code page 9");
	MID(t, B(0x02, 0x00), MCX_EINVAL, "entity 0");
	MID(t, B(0x4f, 0xc3, 0x02, 0x01, 0x02, 0x01), MCX_EINVAL, "byte 0x01");
	MID(t, B(0x4f, 0x03, ']', ']', '>', 0, 0x01), MCX_EINVAL, "\"]]>\"");
	/* Meta/Type says +wbxml: the Data must hold an embedded TNDS document */
	MID(t, B(0x54, 0x5a, 0x00, 0x01, 0x53, 0x03, 'x', '+', 'w', 'b', 'x', 'm', 'l', 0, 0x01, 0x01,
		 0x00, 0x00, 0x4f, 0xc3, 0x03, 'a', 'b', 'c', 0x01, 0x01), MCX_EINVAL,
	    "embedded document");
	/* the same with "wbxml" spelled through an entity, as libwbxml2 would join it */
	MID(t, B(0x54, 0x5a, 0x00, 0x01, 0x53, 0x03, '+', 0, 0x02, 0x77, 0x03, 'b', 'x', 'm', 'l', 0,
		 0x01, 0x01, 0x00, 0x00, 0x4f, 0xc3, 0x03, 'a', 'b', 'c', 0x01, 0x01), MCX_EINVAL,
	    "embedded document");
	MID(t, B(0x01, 0x01, 0x01, 0x01), MCX_EINVAL, "trailing bytes");
	/* trailing bytes after the root */
	p = mini(mini_hdr, sizeof(mini_hdr), "", 0, &n);
	p = realloc(p, n + 1);
	p[n] = 0x12;
	CHECK_INT(t, dm_msg_parse_wbxml(p, n + 1, NULL, &m, err, sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "trailing") != NULL);
	free(p);
	CHECK_INT(t, dm_msg_parse_wbxml(v0, sizeof(v0), NULL, &m, err, sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "version 0x00") != NULL);
	CHECK_INT(t, dm_msg_parse_wbxml(big_tbl, sizeof(big_tbl), NULL, &m, err, sizeof(err)),
		  MCX_EINVAL);
	CHECK_INT(t, dm_msg_parse_wbxml(bad_mb, sizeof(bad_mb), NULL, &m, err, sizeof(err)),
		  MCX_EINVAL);
	CHECK_INT(t, dm_msg_parse_wbxml(bad_fpi, sizeof(bad_fpi), NULL, &m, err, sizeof(err)),
		  MCX_EINVAL);
	{
		static const uint8_t end_first[] = { 0x02, 0xa4, 0x01, 0x6a, 0x00, 0x01 };

		CHECK_INT(t, dm_msg_parse_wbxml(end_first, sizeof(end_first), NULL, &m, err,
						sizeof(err)), MCX_EINVAL);
		CHECK(t, strstr(err, "END without an open element") != NULL);
	}
	/* nesting past depth_max */
	deep = malloc(5 + 200);
	memcpy(deep, mini_hdr, 5);
	for (i = 0; i < 200; i++)
		deep[5 + i] = 0x6d;
	CHECK_INT(t, dm_msg_parse_wbxml(deep, 205, NULL, &m, err, sizeof(err)), MCX_ELIMIT);
	free(deep);
}

/* A string-table entry referenced over and over cannot blow up the XML. */
static void dm_wbxml_amplification(struct test_ctx *t)
{
	size_t n = 0, i, tbl = 2000, refs = 4000;
	uint8_t *p = malloc(8 + tbl + 3 + refs * 2 + 8);
	struct dm_msg *m = NULL;
	char err[256];

	p[n++] = 0x02;
	p[n++] = 0xa4;
	p[n++] = 0x01;
	p[n++] = 0x6a;
	p[n++] = 0x80 | (uint8_t)(tbl >> 7);
	p[n++] = tbl & 0x7f;
	memset(p + n, 'A', tbl - 1);
	n += tbl - 1;
	p[n++] = 0;
	p[n++] = 0x6d;	/* SyncML with content, then the same string 4000 times */
	for (i = 0; i < refs; i++) {
		p[n++] = 0x83;
		p[n++] = 0x00;
	}
	p[n++] = 0x01;
	CHECK_INT(t, dm_msg_parse_wbxml(p, n, NULL, &m, err, sizeof(err)), MCX_ELIMIT);
	CHECK(t, strstr(err, "bytes of XML") != NULL);
	free(p);
}

/* --- TNDS --- */

static void dm_tnds_real(struct test_ctx *t)
{
	struct dm_tnds *a = NULL, *b = NULL;
	struct dm_tnode *n;
	struct mcx_buf out, wb, back;
	char err[256], why[256];
	size_t len;
	char *x = spec_file("libwbxml/ddf-001-tnds-email.xml", &len);
	enum mcx_err e;

	if (!x)
		return;
	e = dm_tnds_parse(x, len, NULL, &a, err, sizeof(err));
	free(x);
	OOM_OK(t, e);
	CHECK_INT(t, e, MCX_OK);
	n = dm_tnds_find(a, "E-Mail");
	CHECK(t, n && n->type_ddf && !strcmp(n->type, "com.operatorX.dm/1.0/EMail"));
	CHECK_STR(t, n->format, "node");
	n = dm_tnds_find(a, "./E-Mail/POP3/POPServer");
	CHECK(t, n != NULL);
	CHECK_STR(t, n->value, "mail.Operatorx.com");
	CHECK_STR(t, n->format, "chr");
	CHECK_STR(t, n->type, "text/plain");
	CHECK_STR(t, dm_tnds_find(a, "E-Mail/POP3/PWD")->value, "4571F7C34A9876B3");
	CHECK(t, dm_tnds_find(a, "E-Mail/POP3/Nope") == NULL);
	CHECK_INT(t, a->count, 5);
	/* XML -> tree -> XML -> tree; and through WBXML (ours, then Debian's) */
	buf_init(&out, 1 << 20);
	buf_init(&wb, 1 << 20);
	buf_init(&back, 1 << 20);
	e = dm_tnds_emit(a, &out);
	if (!e)
		e = dm_tnds_parse(out.p, out.len, NULL, &b, err, sizeof(err));
	if (!e && !dm_tnds_equal(a, b, why, sizeof(why)))
		test_fail(t, __FILE__, __LINE__, "XML round trip: %s", why);
	dm_tnds_free(b);
	b = NULL;
	if (!e)
		e = dm_wbxml_encode(out.p, out.len, NULL, NULL, &wb, err, sizeof(err));
	if (!e)
		e = dm_wbxml_decode((const uint8_t *)wb.p, wb.len, NULL, &back, err, sizeof(err));
	if (!e)
		e = dm_tnds_parse(back.p, back.len, NULL, &b, err, sizeof(err));
	if (!e && !dm_tnds_equal(a, b, why, sizeof(why)))
		test_fail(t, __FILE__, __LINE__, "WBXML round trip: %s", why);
	dm_tnds_free(b);
	b = NULL;
	if (!e && have_tool("wbxml2xml")) {
		size_t xl = 0;
		char *theirs = run_tool("wbxml2xml", "-m 0 -k", wb.p, wb.len, &xl);

		CHECK(t, theirs != NULL);
		e = dm_tnds_parse(theirs, xl, NULL, &b, err, sizeof(err));
		free(theirs);
		if (!e && !dm_tnds_equal(a, b, why, sizeof(why)))
			test_fail(t, __FILE__, __LINE__, "wbxml2xml: %s", why);
		dm_tnds_free(b);
	}
	buf_reset(&out);
	buf_reset(&wb);
	buf_reset(&back);
	dm_tnds_free(a);
	if (t->in_oom && e == MCX_ENOMEM)
		return;
	if (e)
		test_fail(t, __FILE__, __LINE__, "%s", err);
}

/* A DDF (DFProperties) gives the skeleton: Android's whole tree. */
static void dm_tnds_ddf(struct test_ctx *t)
{
	struct dm_tnds *d = NULL;
	struct dm_tnode *n;
	char err[256], uri[256];
	size_t len;
	char *x = spec_file("android-omadm/ddf/syncmldm.ddf", &len);
	enum mcx_err e;

	if (!x)
		return;
	e = dm_tnds_parse(x, len, NULL, &d, err, sizeof(err));
	free(x);
	if (e)
		test_fail(t, __FILE__, __LINE__, "%s", err);
	CHECK_INT(t, e, MCX_OK);
	CHECK_INT(t, d->count, 292);
	CHECK_STR(t, d->man, "Motorola");
	n = dm_tnds_find(d, "./DevInfo/DevId");
	CHECK(t, n != NULL);
	CHECK_STR(t, n->format, "chr");
	CHECK(t, n->access & DM_ACC_GET);
	CHECK(t, !(n->access & DM_ACC_DELETE));
	CHECK(t, dm_tnode_uri(n, uri, sizeof(uri)));
	CHECK_STR(t, uri, "./DevInfo/DevId");
	n = dm_tnds_find(d, "DMAcc");
	CHECK(t, n != NULL);
	CHECK_STR(t, n->format, "node");
	CHECK(t, dm_tnds_find(d, ".") != NULL);
	dm_tnds_free(d);
}

/* TNDS inside an Add's Data, read back into a tree. */
static void dm_tnds_in_data(struct test_ctx *t)
{
	struct dm_tnds *tr = NULL, *back = NULL;
	struct dm_tnode *acc = NULL, *leaf = NULL;
	struct dm_msg *m = NULL, *m2 = NULL;
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	struct mcx_buf tx, mx;
	char why[256], err[256] = "";
	enum mcx_err e;

	buf_init(&tx, 1 << 20);
	buf_init(&mx, 1 << 20);
	e = dm_tnds_alloc(&tr, NULL);
	if (!e)
		e = dm_tnode_add(tr, NULL, "MCPTT", &acc);
	if (!e)
		e = dm_tnds_set(tr, &acc->path, "./Ext");
	if (!e)
		e = dm_tnode_add(tr, acc, "GroupName", &leaf);
	if (!e)
		e = dm_tnode_set_value(tr, leaf, "Team <A> & \"B\"", 14);
	if (!e)
		e = dm_tnds_set(tr, &leaf->format, "chr");
	if (!e)
		e = dm_tnds_emit(tr, &tx);
	if (!e)
		e = dm_msg_alloc(&m, NULL);
	if (!e)
		e = dm_hdr_init(m, "1", 1, "a", "b");
	if (!e)
		e = dm_cmd_add(m, NULL, DM_CMD_ADD, 1, &c);
	if (!e)
		e = item_add(m, c, "./Ext", NULL, DM_DATA_XML, tx.p, &it);
	if (!e)
		e = meta_fmt(m, &it->meta, "xml", DM_MIME_TNDS_XML);
	if (!e)
		e = dm_msg_emit_wbxml(m, NULL, &mx, err, sizeof(err));
	if (!e)
		e = dm_msg_parse_wbxml((const uint8_t *)mx.p, mx.len, NULL, &m2, err, sizeof(err));
	if (!e)
		e = dm_tnds_parse(m2->cmds->items->data->p, m2->cmds->items->data->len, NULL, &back,
				  NULL, 0);
	if (!e && !dm_tnds_equal(tr, back, why, sizeof(why)))
		test_fail(t, __FILE__, __LINE__, "%s", why);
	if (!e && strcmp(dm_tnds_find(back, "./Ext/MCPTT/GroupName")->value, "Team <A> & \"B\""))
		test_fail(t, __FILE__, __LINE__, "value lost");
	if (!e && strcmp(m2->cmds->items->meta->type, DM_MIME_TNDS_XML))
		test_fail(t, __FILE__, __LINE__, "type not restored");
	if (!e && !memmem(mx.p, mx.len, DM_MIME_TNDS_WBXML, strlen(DM_MIME_TNDS_WBXML)))
		test_fail(t, __FILE__, __LINE__, "TNDS not embedded as WBXML");
	dm_tnds_free(tr);
	dm_tnds_free(back);
	dm_msg_free(m);
	dm_msg_free(m2);
	buf_reset(&tx);
	buf_reset(&mx);
	OOM_OK(t, e);
	if (e)
		test_fail(t, __FILE__, __LINE__, "%d: %s", e, err);
}

/* --- multi-message packages and large objects --- */

static enum mcx_err many_replaces(struct dm_msg **mp, size_t n, size_t datalen)
{
	struct dm_msg *m = NULL;
	enum mcx_err e = dm_msg_alloc(&m, NULL);
	char *data = malloc(datalen + 1);
	size_t i;

	for (i = 0; i < datalen; i++)
		data[i] = "ab&<\xc3\xa9"[i % 6];
	if (datalen && (data[datalen - 1] & 0xC0) == 0xC0)
		data[datalen - 1] = 'z';	/* do not end inside a character */
	data[datalen] = '\0';
	if (!e)
		e = dm_hdr_init(m, "5", 7, "urn:uuid:1", "https://s/dm");
	for (i = 0; i < n && !e; i++) {
		struct dm_cmd *c = NULL;
		char uri[64];

		snprintf(uri, sizeof(uri), "./MCPTT/Node%zu", i);
		e = dm_cmd_add(m, NULL, DM_CMD_REPLACE, (uint32_t)(i + 1), &c);
		if (!e)
			e = item_add(m, c, uri, NULL, DM_DATA_TEXT, data, NULL);
	}
	free(data);
	if (e) {
		dm_msg_free(m);
		return e;
	}
	m->final = true;
	*mp = m;
	return MCX_OK;
}

static bool same_items(const struct dm_item *a, const struct dm_item *b)
{
	return !strcmp(a->target, b->target) && a->data->len == b->data->len &&
	       !memcmp(a->data->p, b->data->p, a->data->len);
}

static void dm_split_package(struct test_ctx *t)
{
	struct dm_msg *m = NULL, **v = NULL;
	const struct dm_cmd *orig, *c;
	size_t n = 0, i;
	char err[256];
	enum mcx_err e = many_replaces(&m, 60, 150);

	OOM_OK(t, e);
	CHECK_INT(t, e, MCX_OK);
	e = dm_split(m, 2000, NULL, &v, &n, err, sizeof(err));
	if (t->in_oom && e == MCX_ENOMEM) {
		dm_msg_free(m);
		return;
	}
	CHECK_INT(t, e, MCX_OK);
	CHECK(t, n > 3);
	orig = m->cmds;
	for (i = 0; i < n && !t->failed; i++) {
		struct mcx_buf x, w;
		uint32_t id = 1;

		buf_init(&x, 1 << 20);
		buf_init(&w, 1 << 20);
		e = dm_msg_emit(v[i], &x);
		if (!e)
			e = dm_msg_emit_wbxml(v[i], NULL, &w, NULL, 0);
		if (t->in_oom && e == MCX_ENOMEM) {
			buf_reset(&x);
			buf_reset(&w);
			break;
		}
		if (e || x.len > 2000)
			test_fail(t, __FILE__, __LINE__, "message %zu: %zu bytes", i, x.len);
		else if (w.len > x.len)
			test_fail(t, __FILE__, __LINE__, "message %zu: WBXML %zu > XML", i, w.len);
		else if (v[i]->hdr.msg_id != 7 + i || v[i]->final != (i + 1 == n))
			test_fail(t, __FILE__, __LINE__, "message %zu: MsgID/Final", i);
		for (c = v[i]->cmds; c && !t->failed; c = c->next, orig = orig->next) {
			if (!orig || c->cmd_id != id++ || !same_items(c->items, orig->items))
				test_fail(t, __FILE__, __LINE__, "message %zu: command order", i);
		}
		buf_reset(&x);
		buf_reset(&w);
	}
	CHECK(t, t->failed || e == MCX_ENOMEM || orig == NULL);
	/* the receiver of a non-final message asks for the next with Alert 1222 */
	if (!t->failed && !t->in_oom) {
		struct dm_msg *rep = NULL;

		CHECK(t, dm_msg_more_follows(v[0]) && !dm_msg_more_follows(v[n - 1]));
		CHECK_INT(t, dm_msg_alloc(&rep, NULL), MCX_OK);
		if (dm_hdr_init(rep, "5", 2, v[0]->hdr.source, v[0]->hdr.target) ||
		    dm_status_add(rep, 1, v[0]->hdr.msg_id, 0, "SyncHdr", 200, NULL) ||
		    dm_alert_next_add(rep, 2))
			test_fail(t, __FILE__, __LINE__, "reply");
		else if (!dm_msg_asks_next(rep) || dm_msg_asks_next(v[0]) ||
			 strcmp(rep->cmds->next->items->target, "https://s/dm"))
			test_fail(t, __FILE__, __LINE__, "Alert 1222");
		dm_msg_free(rep);
	}
	dm_split_free(v, n);
	dm_msg_free(m);
}

/* One item too big for a message goes as a large object; the reassembly
 * helper gives it back whole. */
static void dm_split_large_object(struct test_ctx *t)
{
	struct dm_msg *m = NULL, **v = NULL;
	struct dm_lobj *l = NULL;
	const char *data;
	size_t n = 0, i, len = 0;
	unsigned st = 0;
	enum mcx_err e = many_replaces(&m, 1, 20000);

	OOM_OK(t, e);
	CHECK_INT(t, e, MCX_OK);
	e = dm_split(m, 2048, NULL, &v, &n, NULL, 0);
	if (!e)
		e = dm_lobj_alloc(&l, NULL);
	if (t->in_oom && e == MCX_ENOMEM) {
		dm_split_free(v, n);
		dm_msg_free(m);
		return;
	}
	CHECK_INT(t, e, MCX_OK);
	CHECK(t, n >= 10);
	for (i = 0; i < n && !t->failed; i++) {
		const struct dm_item *it = v[i]->cmds->items;

		if (v[i]->cmds->next || it->more_data != (i + 1 < n) ||
		    !!(it->meta && (it->meta->has & DM_META_SIZE)) != (i == 0))
			test_fail(t, __FILE__, __LINE__, "chunk %zu: MoreData/Size", i);
		else if (i == 0 && it->meta->size != 20000)
			test_fail(t, __FILE__, __LINE__, "Size %llu", (unsigned long long)it->meta->size);
		else if (dm_lobj_feed(l, v[i]->cmds, it, &st) ||
			 st != (i + 1 < n ? DM_ST_CHUNK_ACCEPTED : DM_ST_OK))
			test_fail(t, __FILE__, __LINE__, "chunk %zu: status %u", i, st);
	}
	data = dm_lobj_data(l, &len);
	if (!t->failed && (len != 20000 || memcmp(data, m->cmds->items->data->p, len)))
		test_fail(t, __FILE__, __LINE__, "reassembled object differs");
	dm_lobj_free(l);
	dm_split_free(v, n);
	dm_msg_free(m);
}

static void dm_split_refusals(struct test_ctx *t)
{
	struct dm_msg *m = NULL, **v = NULL, peer = { 0 };
	struct dm_meta mt = { 0 };
	struct dm_cmd *a = NULL, *c = NULL;
	size_t n = 0, i;
	char err[256];

	CHECK_INT(t, many_replaces(&m, 0, 0), MCX_OK);
	CHECK_INT(t, dm_split(m, 100, NULL, &v, &n, err, sizeof(err)), MCX_ELIMIT);
	CHECK(t, strstr(err, "header alone") != NULL);
	CHECK_INT(t, dm_cmd_add(m, NULL, DM_CMD_ATOMIC, 1, &a), MCX_OK);
	for (i = 0; i < 40; i++) {
		CHECK_INT(t, dm_cmd_add(m, a, DM_CMD_DELETE, (uint32_t)(i + 2), &c), MCX_OK);
		CHECK_INT(t, item_add(m, c, "./MCPTT/SomeRatherLongNodeName", NULL, DM_DATA_TEXT,
				      NULL, NULL), MCX_OK);
	}
	CHECK_INT(t, dm_split(m, 1500, NULL, &v, &n, err, sizeof(err)), MCX_ELIMIT);
	CHECK(t, strstr(err, "Atomic 1") != NULL);
	dm_msg_free(m);
	/* the peer's MaxMsgSize */
	CHECK_INT(t, dm_max_msg_size(&peer, 65536), 65536);
	peer.hdr.meta = &mt;
	mt.has = DM_META_MAXMSGSIZE;
	mt.max_msg_size = 3500;
	CHECK_INT(t, dm_max_msg_size(&peer, 65536), 3500);
	mt.max_msg_size = 10;
	CHECK_INT(t, dm_max_msg_size(&peer, 65536), DM_MAXMSGSIZE_MIN);
	mt.max_msg_size = 1u << 30;
	CHECK_INT(t, dm_max_msg_size(&peer, 65536), 65536);
}

/* 412 / 416 / 424 / abandoned objects. */
static void dm_lobj_statuses(struct test_ctx *t)
{
	struct dm_cmd c = { .type = DM_CMD_REPLACE };
	struct dm_meta sz = { .size = 6, .has = DM_META_SIZE }, big = { .size = 1u << 30,
								  .has = DM_META_SIZE };
	struct dm_data d1 = { DM_DATA_TEXT, (char *)"abc", 3 }, d2 = { DM_DATA_TEXT, (char *)"defg", 4 };
	struct dm_item first = { .target = (char *)"./A", .meta = &sz, .data = &d1, .more_data = true };
	struct dm_item last = { .target = (char *)"./A", .data = &d2 };
	struct dm_item other = { .target = (char *)"./B", .data = &d1 };
	struct dm_item nosize = { .target = (char *)"./A", .data = &d1, .more_data = true };
	struct dm_item huge = { .target = (char *)"./A", .meta = &big, .data = &d1, .more_data = true };
	struct dm_lobj *l = NULL;
	const char *data;
	unsigned st = 0;
	size_t len = 0;

	CHECK_INT(t, dm_lobj_alloc(&l, NULL), MCX_OK);
	CHECK_INT(t, dm_lobj_feed(l, &c, &other, &st), MCX_OK);
	CHECK_INT(t, st, 200);
	data = dm_lobj_data(l, &len);
	CHECK_MEM(t, data, len, "abc", 3);
	CHECK_INT(t, dm_lobj_feed(l, &c, &nosize, &st), MCX_OK);
	CHECK_INT(t, st, 412);
	CHECK_INT(t, dm_lobj_feed(l, &c, &huge, &st), MCX_OK);
	CHECK_INT(t, st, 416);
	CHECK_INT(t, dm_lobj_feed(l, &c, &first, &st), MCX_OK);
	CHECK_INT(t, st, 213);
	CHECK(t, dm_lobj_pending(l));
	CHECK_INT(t, dm_lobj_feed(l, &c, &last, &st), MCX_OK);
	CHECK_INT(t, st, 424);	/* 3 + 4 != 6 */
	CHECK(t, !dm_lobj_pending(l));
	CHECK_INT(t, dm_lobj_feed(l, &c, &first, &st), MCX_OK);
	CHECK_INT(t, dm_lobj_feed(l, &c, &other, &st), MCX_OK);
	CHECK_STR(t, dm_lobj_abandoned(l), "./A");
	CHECK_INT(t, st, 200);
	d2.len = 3;
	CHECK_INT(t, dm_lobj_feed(l, &c, &first, &st), MCX_OK);
	CHECK_INT(t, dm_lobj_feed(l, &c, &last, &st), MCX_OK);
	CHECK_INT(t, st, 200);
	data = dm_lobj_data(l, &len);
	CHECK_MEM(t, data, len, "abcdef", 6);
	dm_lobj_free(l);
}

static void dm_status_table(struct test_ctx *t)
{
	static const unsigned must[] = { 200, 212, 213, 214, 215, 216, 401, 403, 404, 405, 406, 407,
					 412, 415, 416, 418, 420, 425, 500, 506, 507, 516 };
	size_t i;

	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		CHECK(t, dm_status_name(must[i]) != NULL);
	CHECK_STR(t, dm_status_name(212), "Authentication accepted");
	CHECK_STR(t, dm_status_name(425), "Permission denied");
	CHECK_STR(t, dm_status_name(507), "Atomic failed");
	CHECK_STR(t, dm_status_name(216), "Atomic roll back OK");
	CHECK(t, dm_status_name(299) == NULL);
	CHECK(t, dm_status_is_success(213) && !dm_status_is_success(401));
	CHECK_STR(t, dm_alert_name(1222), "NEXT MESSAGE");
	CHECK_STR(t, dm_alert_name(1201), "CLIENT-INITIATED MGMT");
	CHECK(t, dm_alert_name(1999) == NULL);
	CHECK_INT(t, dm_status_from_err(MCX_ENOENT), 404);
	CHECK_INT(t, dm_status_from_err(MCX_EEXIST), 418);
	CHECK_INT(t, dm_status_from_err(MCX_EPERM), 425);
	CHECK_INT(t, dm_status_from_err(MCX_ENOMEM), 420);
}

const struct test tests_dm_codec[] = {
	{ "dm_xml_roundtrip_built", dm_xml_roundtrip_built, true },
	{ "dm_xml_canonical_bytes", dm_xml_canonical_bytes, false },
	{ "dm_xml_real_messages", dm_xml_real_messages, false },
	{ "dm_xml_lenient_amp", dm_xml_lenient_amp, false },
	{ "dm_xml_data_kinds", dm_xml_data_kinds, false },
	{ "dm_xml_data_stable", dm_xml_data_stable, false },
	{ "dm_format_values", dm_format_values, false },
	{ "dm_xml_refusals", dm_xml_refusals, false },
	{ "dm_wbxml_real_messages", dm_wbxml_real_messages, true },
	{ "dm_real_client_output", dm_real_client_output, false },
	{ "dm_wbxml_ours_then_debian", dm_wbxml_ours_then_debian, false },
	{ "dm_wbxml_debian_then_ours", dm_wbxml_debian_then_ours, false },
	{ "dm_wbxml_public_ids", dm_wbxml_public_ids, true },
	{ "dm_wbxml_cdata_end", dm_wbxml_cdata_end, false },
	{ "dm_wbxml_truncated", dm_wbxml_truncated, false },
	{ "dm_wbxml_malformed", dm_wbxml_malformed, false },
	{ "dm_wbxml_long_type", dm_wbxml_long_type, false },
	{ "dm_wbxml_amplification", dm_wbxml_amplification, false },
	{ "dm_tnds_real", dm_tnds_real, true },
	{ "dm_tnds_ddf", dm_tnds_ddf, false },
	{ "dm_tnds_in_data", dm_tnds_in_data, true },
	{ "dm_split_package", dm_split_package, true },
	{ "dm_split_large_object", dm_split_large_object, false },
	{ "dm_split_refusals", dm_split_refusals, false },
	{ "dm_lobj_statuses", dm_lobj_statuses, false },
	{ "dm_status_table", dm_status_table, false },
	{ NULL, NULL, false },
};
