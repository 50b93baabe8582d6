/* SyncML DM message parser: libxml2 DOM (XML_PARSE_NONET, no DTD, no
 * entities) walked into struct dm_msg with every bound of dm_limits checked. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/pl.h"
#include "dm/syncml.h"
#include "dm/xmlutil.h"
#include "core/banned.h"

struct pctx {
	struct dm_msg *m;
	const struct dm_limits *lim;
	char *errbuf;
	size_t errlen;
	size_t ncmds;
};

static enum mcx_err fail(struct pctx *c, enum mcx_err err, const char *fmt, ...)
	MCX_PRINTF(3, 4);

static enum mcx_err fail(struct pctx *c, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	if (c->errbuf && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->errbuf, c->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static enum mcx_err oom(struct pctx *c)
{
	enum mcx_err err = dm_msg_err(c->m);

	return fail(c, err, err == MCX_ELIMIT ? "message needs more memory than allowed"
		    : "out of memory");
}

static const char *lname(const xmlNode *n)
{
	return (const char *)n->name;
}

/* SyncML elements: no namespace or SYNCML:SYNCML1.x (any case). */
static bool syncml_ns(const xmlNode *n)
{
	const char *href = n->ns ? (const char *)n->ns->href : NULL;

	return !href || !strcasecmp(href, DM_NS_SYNCML12) || !strcasecmp(href, DM_NS_SYNCML11);
}

/* metinf elements: their own namespace or inherited SyncML/none. */
static bool metinf_ns(const xmlNode *n)
{
	return syncml_ns(n) || !strcasecmp((const char *)n->ns->href, DM_NS_METINF);
}

static bool is(const xmlNode *n, const char *name)
{
	return !strcmp(lname(n), name);
}

/* Scalar text of an element: text and CDATA only, trimmed. */
static enum mcx_err text_of(struct pctx *c, const xmlNode *n, char **out)
{
	struct dm_xml_text t;
	enum mcx_err err;
	struct pl v;

	err = dm_xml_text_get(n, c->lim->str_max, &t);
	if (err == MCX_ELIMIT)
		return fail(c, err, "<%s> is longer than %zu bytes", lname(n), c->lim->str_max);
	if (err)
		return fail(c, err, "<%s> %s", lname(n), t.why);
	v = pl_trim(pl_make(t.p, t.len));
	err = dm_setn(c->m, out, v.p ? v.p : "", v.l);
	dm_xml_text_free(&t);
	return err ? oom(c) : MCX_OK;
}

static enum mcx_err u64_of(struct pctx *c, const xmlNode *n, uint64_t max, uint64_t *out)
{
	char *s = NULL;
	long long v;
	enum mcx_err err;

	err = text_of(c, n, &s);
	if (err)
		return err;
	v = pl_u64(pl_str(s));
	if (v < 0 || (uint64_t)v > max)
		return fail(c, MCX_EINVAL, "<%s> is not a number up to %llu", lname(n),
			    (unsigned long long)max);
	*out = (uint64_t)v;
	return MCX_OK;
}

static enum mcx_err u32_of(struct pctx *c, const xmlNode *n, uint32_t *out)
{
	uint64_t v = 0;
	enum mcx_err err = u64_of(c, n, UINT32_MAX, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

static enum mcx_err unexpected(struct pctx *c, const xmlNode *n, const char *in)
{
	return fail(c, MCX_EINVAL, "unexpected <%s> in <%s>", lname(n), in);
}

/* --- Meta (metinf) --- */

static enum mcx_err meta_child(struct pctx *c, struct dm_meta *mt, const xmlNode *n)
{
	if (is(n, "Format"))
		return text_of(c, n, &mt->format);
	if (is(n, "Type"))
		return text_of(c, n, &mt->type);
	if (is(n, "Mark"))
		return text_of(c, n, &mt->mark);
	if (is(n, "Version"))
		return text_of(c, n, &mt->version);
	if (is(n, "NextNonce"))
		return text_of(c, n, &mt->next_nonce);
	if (is(n, "Size")) {
		mt->has |= DM_META_SIZE;
		return u64_of(c, n, UINT64_MAX >> 8, &mt->size);
	}
	if (is(n, "MaxMsgSize")) {
		mt->has |= DM_META_MAXMSGSIZE;
		return u64_of(c, n, UINT64_MAX >> 8, &mt->max_msg_size);
	}
	if (is(n, "MaxObjSize")) {
		mt->has |= DM_META_MAXOBJSIZE;
		return u64_of(c, n, UINT64_MAX >> 8, &mt->max_obj_size);
	}
	return MCX_OK; /* Anchor, EMI, Mem, FieldLevel, ...: DS-only, skipped */
}

static enum mcx_err parse_meta(struct pctx *c, const xmlNode *n, struct dm_meta **metap)
{
	const xmlNode *ch;
	enum mcx_err err;

	if (*metap)
		return fail(c, MCX_EINVAL, "two <Meta> in one element");
	if (dm_meta_get(c->m, metap))
		return oom(c);
	for (ch = dm_xml_first(n); ch; ch = dm_xml_next(ch)) {
		if (!metinf_ns(ch))
			return unexpected(c, ch, "Meta");
		err = meta_child(c, *metap, ch);
		if (err)
			return err;
	}
	return dm_xml_check_children(n) ? MCX_OK
		: fail(c, MCX_EINVAL, "<Meta> holds text or entity references");
}

/* --- Data --- */

static enum mcx_err parse_data(struct pctx *c, const xmlNode *n, struct dm_data **datap)
{
	struct dm_xml_text t;
	enum dm_data_kind kind;
	enum mcx_err err;

	if (*datap)
		return fail(c, MCX_EINVAL, "two <Data> in one element");
	err = dm_xml_data_get(n, c->lim->data_max, &t);
	if (err == MCX_ELIMIT)
		return fail(c, err, "<Data> is longer than %zu bytes", c->lim->data_max);
	if (err)
		return fail(c, err, "<Data> %s", t.why ? t.why : "cannot be read");
	kind = t.xml ? DM_DATA_XML : t.cdata ? DM_DATA_CDATA : DM_DATA_TEXT;
	err = dm_data_set(c->m, datap, kind, t.p, t.len);
	dm_xml_text_free(&t);
	return err ? oom(c) : MCX_OK;
}

/* --- Target / Source (LocURI, LocName) --- */

static enum mcx_err parse_loc(struct pctx *c, const xmlNode *n, char **uri, char **name)
{
	const xmlNode *ch;
	enum mcx_err err = MCX_OK;

	if (*uri || *name)
		return fail(c, MCX_EINVAL, "two <%s> in one element", lname(n));
	for (ch = dm_xml_first(n); ch && !err; ch = dm_xml_next(ch)) {
		if (!syncml_ns(ch))
			err = unexpected(c, ch, lname(n));
		else if (is(ch, "LocURI"))
			err = text_of(c, ch, uri);
		else if (is(ch, "LocName"))
			err = text_of(c, ch, name);
		else
			err = unexpected(c, ch, lname(n));
	}
	if (!err && !*uri)
		err = fail(c, MCX_EINVAL, "<%s> without <LocURI>", lname(n));
	return err;
}

/* --- Item --- */

static enum mcx_err item_child(struct pctx *c, struct dm_item *it, const xmlNode *n)
{
	if (!syncml_ns(n))
		return unexpected(c, n, "Item");
	if (is(n, "Target"))
		return parse_loc(c, n, &it->target, &it->target_name);
	if (is(n, "Source"))
		return parse_loc(c, n, &it->source, &it->source_name);
	if (is(n, "Meta"))
		return parse_meta(c, n, &it->meta);
	if (is(n, "Data"))
		return parse_data(c, n, &it->data);
	if (is(n, "MoreData")) {
		it->more_data = true;
		return MCX_OK;
	}
	return unexpected(c, n, "Item");
}

static enum mcx_err parse_item(struct pctx *c, struct dm_cmd *cmd, const xmlNode *n)
{
	struct dm_item *it;
	const xmlNode *ch;
	enum mcx_err err = MCX_OK;

	if (dm_cmd_count_items(cmd) >= c->lim->items_max)
		return fail(c, MCX_ELIMIT, "more than %zu items in one command", c->lim->items_max);
	if (dm_item_add(c->m, cmd, &it))
		return oom(c);
	for (ch = dm_xml_first(n); ch && !err; ch = dm_xml_next(ch))
		err = item_child(c, it, ch);
	if (!err && !dm_xml_check_children(n))
		err = fail(c, MCX_EINVAL, "<Item> holds text or entity references");
	return err;
}

/* --- commands --- */

static enum mcx_err parse_cmd(struct pctx *c, struct dm_cmd *parent, const xmlNode *n,
			      size_t nest);

static size_t count_refs(const struct dm_ref *r)
{
	size_t k = 0;

	for (; r; r = r->next)
		k++;
	return k;
}

static enum mcx_err add_ref(struct pctx *c, struct dm_ref **list, const xmlNode *n)
{
	char *uri = NULL;
	enum mcx_err err;

	if (count_refs(*list) >= c->lim->refs_max)
		return fail(c, MCX_ELIMIT, "more than %zu <%s>", c->lim->refs_max, lname(n));
	err = text_of(c, n, &uri);
	if (!err && dm_ref_add(c->m, list, uri))
		err = oom(c);
	return err;
}

static enum mcx_err parse_code(struct pctx *c, struct dm_cmd *cmd, const xmlNode *n)
{
	enum mcx_err err;

	if (cmd->has_code)
		return fail(c, MCX_EINVAL, "two <Data> in <%s>", lname(n->parent));
	err = u32_of(c, n, &cmd->code);
	if (err)
		return err;
	cmd->has_code = true;
	return MCX_OK;
}

static enum mcx_err cmd_child(struct pctx *c, struct dm_cmd *cmd, const xmlNode *n, size_t nest)
{
	const char *in = lname(n->parent);

	if (!syncml_ns(n))
		return unexpected(c, n, in);
	if (is(n, "CmdID"))
		return u32_of(c, n, &cmd->cmd_id);
	if (is(n, "NoResp")) {
		cmd->no_resp = true;
		return MCX_OK;
	}
	if (is(n, "Meta"))
		return parse_meta(c, n, &cmd->meta);
	if (is(n, "Item"))
		return parse_item(c, cmd, n);
	if (is(n, "Correlator"))
		return text_of(c, n, &cmd->correlator);
	if (is(n, "Lang"))
		return MCX_OK; /* Get's language hint: DS-only, ignored */
	if (cmd->type == DM_CMD_ALERT || cmd->type == DM_CMD_STATUS) {
		if (is(n, "Data"))
			return parse_code(c, cmd, n);
	}
	if (cmd->type == DM_CMD_STATUS || cmd->type == DM_CMD_RESULTS) {
		if (is(n, "MsgRef")) {
			cmd->has_msg_ref = true;
			return u32_of(c, n, &cmd->msg_ref);
		}
		if (is(n, "CmdRef")) {
			cmd->has_cmd_ref = true;
			return u32_of(c, n, &cmd->cmd_ref);
		}
		if (is(n, "Cmd"))
			return text_of(c, n, &cmd->cmd);
		if (is(n, "TargetRef"))
			return add_ref(c, &cmd->target_refs, n);
		if (is(n, "SourceRef"))
			return add_ref(c, &cmd->source_refs, n);
		if (is(n, "Chal")) {
			const xmlNode *mt = dm_xml_first(n);

			if (!mt || !is(mt, "Meta") || dm_xml_next(mt))
				return fail(c, MCX_EINVAL, "<Chal> must hold one <Meta>");
			return parse_meta(c, mt, &cmd->chal);
		}
	}
	if (cmd->type == DM_CMD_ATOMIC || cmd->type == DM_CMD_SEQUENCE)
		return parse_cmd(c, cmd, n, nest + 1);
	return unexpected(c, n, in);
}

static enum mcx_err parse_cmd(struct pctx *c, struct dm_cmd *parent, const xmlNode *n,
			      size_t nest)
{
	enum dm_cmd_type t = dm_cmd_type_of(lname(n));
	const xmlNode *ch;
	struct dm_cmd *cmd;
	enum mcx_err err = MCX_OK;

	if (nest > c->lim->cmd_nest_max)
		return fail(c, MCX_ELIMIT, "commands nested deeper than %zu", c->lim->cmd_nest_max);
	if (++c->ncmds > c->lim->cmds_max)
		return fail(c, MCX_ELIMIT, "more than %zu commands", c->lim->cmds_max);
	if (dm_cmd_add(c->m, parent, t, 0, &cmd))
		return oom(c);
	if (t == DM_CMD_UNKNOWN) {
		const xmlNode *id = dm_xml_child(n, "CmdID");

		if (dm_set(c->m, &cmd->name, lname(n)))
			return oom(c);
		return id ? u32_of(c, id, &cmd->cmd_id) : MCX_OK;
	}
	for (ch = dm_xml_first(n); ch && !err; ch = dm_xml_next(ch))
		err = cmd_child(c, cmd, ch, nest);
	if (!err && !dm_xml_check_children(n))
		err = fail(c, MCX_EINVAL, "<%s> holds text or entity references", lname(n));
	return err;
}

/* --- header --- */

static enum mcx_err parse_cred(struct pctx *c, const xmlNode *n)
{
	struct dm_cred *cr;
	const xmlNode *ch;
	enum mcx_err err = MCX_OK;

	if (c->m->hdr.cred)
		return fail(c, MCX_EINVAL, "two <Cred> in <SyncHdr>");
	cr = pool_zalloc(&c->m->pool, sizeof(*cr));
	if (!cr)
		return oom(c);
	c->m->hdr.cred = cr;
	for (ch = dm_xml_first(n); ch && !err; ch = dm_xml_next(ch)) {
		if (syncml_ns(ch) && is(ch, "Meta"))
			err = parse_meta(c, ch, &cr->meta);
		else if (syncml_ns(ch) && is(ch, "Data"))
			err = parse_data(c, ch, &cr->data);
		else
			err = unexpected(c, ch, "Cred");
	}
	return err;
}

static enum mcx_err hdr_child(struct pctx *c, const xmlNode *n)
{
	struct dm_hdr *h = &c->m->hdr;

	if (!syncml_ns(n))
		return unexpected(c, n, "SyncHdr");
	if (is(n, "VerDTD"))
		return text_of(c, n, &h->ver_dtd);
	if (is(n, "VerProto"))
		return text_of(c, n, &h->ver_proto);
	if (is(n, "SessionID"))
		return text_of(c, n, &h->session_id);
	if (is(n, "MsgID"))
		return u32_of(c, n, &h->msg_id);
	if (is(n, "Target"))
		return parse_loc(c, n, &h->target, &h->target_name);
	if (is(n, "Source"))
		return parse_loc(c, n, &h->source, &h->source_name);
	if (is(n, "RespURI"))
		return text_of(c, n, &h->resp_uri);
	if (is(n, "NoResp")) {
		h->no_resp = true;
		return MCX_OK;
	}
	if (is(n, "Cred"))
		return parse_cred(c, n);
	if (is(n, "Meta"))
		return parse_meta(c, n, &h->meta);
	return unexpected(c, n, "SyncHdr");
}

static enum mcx_err parse_hdr(struct pctx *c, const xmlNode *n)
{
	const xmlNode *ch;
	enum mcx_err err = MCX_OK;

	for (ch = dm_xml_first(n); ch && !err; ch = dm_xml_next(ch))
		err = hdr_child(c, ch);
	if (err)
		return err;
	if (!c->m->hdr.ver_dtd || !c->m->hdr.ver_proto || !c->m->hdr.session_id ||
	    !c->m->hdr.target || !c->m->hdr.source)
		return fail(c, MCX_EINVAL, "<SyncHdr> lacks VerDTD, VerProto, SessionID, "
			    "Target or Source");
	return MCX_OK;
}

static enum mcx_err parse_body(struct pctx *c, const xmlNode *n)
{
	const xmlNode *ch;
	enum mcx_err err = MCX_OK;

	for (ch = dm_xml_first(n); ch && !err; ch = dm_xml_next(ch)) {
		if (!syncml_ns(ch))
			err = unexpected(c, ch, "SyncBody");
		else if (is(ch, "Final"))
			c->m->final = true;
		else if (c->m->final)
			err = fail(c, MCX_EINVAL, "<%s> after <Final/>", lname(ch));
		else
			err = parse_cmd(c, NULL, ch, 0);
	}
	return err;
}

static enum mcx_err parse_root(struct pctx *c, const xmlNode *root)
{
	const xmlNode *hdr, *body;
	enum mcx_err err;

	if (!root || !is(root, "SyncML") || !syncml_ns(root))
		return fail(c, MCX_EINVAL, "the root element is not <SyncML>");
	hdr = dm_xml_first(root);
	body = hdr ? dm_xml_next(hdr) : NULL;
	if (!hdr || !is(hdr, "SyncHdr") || !body || !is(body, "SyncBody") ||
	    dm_xml_next(body) || !syncml_ns(hdr) || !syncml_ns(body))
		return fail(c, MCX_EINVAL, "<SyncML> must hold <SyncHdr> then <SyncBody>");
	err = parse_hdr(c, hdr);
	if (!err)
		err = parse_body(c, body);
	return err;
}

enum mcx_err dm_msg_parse(const char *xml, size_t len, const struct dm_limits *lim,
			  unsigned flags, struct dm_msg **msgp, char *errbuf, size_t errlen)
{
	struct pctx c = { .lim = dm_limits_or_default(lim), .errbuf = errbuf, .errlen = errlen };
	struct dm_xml_doc d = { 0 };
	enum mcx_err err;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (len > c.lim->msg_max)
		return fail(&c, MCX_ELIMIT, "message of %zu bytes is over the %zu-byte limit", len,
			    c.lim->msg_max);
	err = dm_xml_read(xml, len, flags & DM_PARSE_LENIENT_AMP, c.lim->depth_max, &d);
	if (err)
		return fail(&c, err, "%s", d.why);
	err = dm_msg_alloc(&c.m, lim);
	if (err)
		goto out;
	err = parse_root(&c, xmlDocGetRootElement(d.doc));
	if (err)
		goto out;
	*msgp = c.m;
	c.m = NULL;
out:
	dm_msg_free(c.m);
	dm_xml_close(&d);
	return err;
}
