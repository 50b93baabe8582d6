/* Canonical SyncML DM XML from struct dm_msg: DTD element order, no
 * whitespace, no XML declaration, metinf elements carry xmlns. */
#include <inttypes.h>
#include <string.h>

#include "dm/syncml.h"
#include "dm/xmlutil.h"
#include "xcap/xmldoc.h"
#include "core/banned.h"

#define METINF " xmlns=\"" DM_NS_METINF "\""

static enum mcx_err add(struct mcx_buf *b, const char *s)
{
	return buf_adds(b, s);
}

/* Escaped text; what XML cannot carry (NUL, controls, bad UTF-8) is an
 * error: such values travel as b64. */
static enum mcx_err esc(struct mcx_buf *b, const char *s, size_t n)
{
	return dm_xml_escape(b, s, n, false);
}

/* <name>escaped text</name>, nothing when s is NULL. */
static enum mcx_err text_el(struct mcx_buf *b, const char *name, const char *attrs,
			    const char *s)
{
	enum mcx_err err;

	if (!s)
		return MCX_OK;
	err = buf_addf(b, "<%s%s>", name, attrs);
	if (!err)
		err = esc(b, s, strlen(s));
	if (!err)
		err = buf_addf(b, "</%s>", name);
	return err;
}

static enum mcx_err num_el(struct mcx_buf *b, const char *name, const char *attrs, uint64_t v)
{
	return buf_addf(b, "<%s%s>%" PRIu64 "</%s>", name, attrs, v, name);
}

static enum mcx_err meta_body(struct mcx_buf *b, const struct dm_meta *mt)
{
	enum mcx_err err;

	err = text_el(b, "Format", METINF, mt->format);
	if (!err)
		err = text_el(b, "Type", METINF, mt->type);
	if (!err)
		err = text_el(b, "Mark", METINF, mt->mark);
	if (!err && (mt->has & DM_META_SIZE))
		err = num_el(b, "Size", METINF, mt->size);
	if (!err)
		err = text_el(b, "Version", METINF, mt->version);
	if (!err)
		err = text_el(b, "NextNonce", METINF, mt->next_nonce);
	if (!err && (mt->has & DM_META_MAXMSGSIZE))
		err = num_el(b, "MaxMsgSize", METINF, mt->max_msg_size);
	if (!err && (mt->has & DM_META_MAXOBJSIZE))
		err = num_el(b, "MaxObjSize", METINF, mt->max_obj_size);
	return err;
}

static enum mcx_err meta(struct mcx_buf *b, const struct dm_meta *mt)
{
	enum mcx_err err;

	if (!mt)
		return MCX_OK;
	err = add(b, "<Meta>");
	if (!err)
		err = meta_body(b, mt);
	if (!err)
		err = add(b, "</Meta>");
	return err;
}

static enum mcx_err cdata(struct mcx_buf *b, const char *p, size_t n)
{
	enum mcx_err err;
	size_t i, run = 0;

	if (memchr(p, '\r', n))
		return esc(b, p, n);	/* a CR in CDATA would come back as LF */
	err = xml_utf8_ok(p, n) ? add(b, "<![CDATA[") : MCX_EINVAL;
	for (i = 0; i + 2 < n && !err; i++) {
		if (memcmp(p + i, "]]>", 3))
			continue;
		err = buf_add(b, p + run, i + 2 - run);
		if (!err)
			err = add(b, "]]><![CDATA[");
		run = i + 2;
	}
	if (!err)
		err = buf_add(b, p + run, n - run);
	if (!err)
		err = add(b, "]]>");
	return err;
}

static enum mcx_err data(struct mcx_buf *b, const struct dm_data *d)
{
	enum mcx_err err;

	if (!d)
		return MCX_OK;
	if (!d->len)
		return add(b, "<Data/>");
	err = add(b, "<Data>");
	if (!err) {
		if (d->kind == DM_DATA_XML)
			err = xml_utf8_ok(d->p, d->len) ? buf_add(b, d->p, d->len) : MCX_EINVAL;
		else if (d->kind == DM_DATA_CDATA)
			err = cdata(b, d->p, d->len);
		else
			err = esc(b, d->p, d->len);
	}
	if (!err)
		err = add(b, "</Data>");
	return err;
}

static enum mcx_err loc(struct mcx_buf *b, const char *name, const char *uri, const char *lname)
{
	enum mcx_err err;

	if (!uri && !lname)
		return MCX_OK;
	err = buf_addf(b, "<%s>", name);
	if (!err)
		err = text_el(b, "LocURI", "", uri ? uri : "");
	if (!err)
		err = text_el(b, "LocName", "", lname);
	if (!err)
		err = buf_addf(b, "</%s>", name);
	return err;
}

static enum mcx_err item(struct mcx_buf *b, const struct dm_item *it)
{
	enum mcx_err err = add(b, "<Item>");

	if (!err)
		err = loc(b, "Target", it->target, it->target_name);
	if (!err)
		err = loc(b, "Source", it->source, it->source_name);
	if (!err)
		err = meta(b, it->meta);
	if (!err)
		err = data(b, it->data);
	if (!err && it->more_data)
		err = add(b, "<MoreData/>");
	if (!err)
		err = add(b, "</Item>");
	return err;
}

static enum mcx_err refs(struct mcx_buf *b, const char *name, const struct dm_ref *r)
{
	enum mcx_err err = MCX_OK;

	for (; r && !err; r = r->next)
		err = text_el(b, name, "", r->uri);
	return err;
}

/* The reference part of Status / Results. */
static enum mcx_err cmd_refs(struct mcx_buf *b, const struct dm_cmd *c)
{
	enum mcx_err err = MCX_OK;

	if (c->has_msg_ref)
		err = num_el(b, "MsgRef", "", c->msg_ref);
	if (!err && c->has_cmd_ref)
		err = num_el(b, "CmdRef", "", c->cmd_ref);
	if (!err)
		err = text_el(b, "Cmd", "", c->cmd);
	if (!err && c->type == DM_CMD_RESULTS)
		err = meta(b, c->meta);
	if (!err)
		err = refs(b, "TargetRef", c->target_refs);
	if (!err)
		err = refs(b, "SourceRef", c->source_refs);
	if (!err && c->chal) {
		err = add(b, "<Chal>");
		if (!err)
			err = meta(b, c->chal);
		if (!err)
			err = add(b, "</Chal>");
	}
	return err;
}

static enum mcx_err cmd_body(struct mcx_buf *b, const struct dm_cmd *c)
{
	const struct dm_item *it;
	const struct dm_cmd *ch;
	enum mcx_err err;

	err = num_el(b, "CmdID", "", c->cmd_id);
	if (!err && c->no_resp)
		err = add(b, "<NoResp/>");
	if (!err)
		err = cmd_refs(b, c);
	if (!err && c->type != DM_CMD_RESULTS)
		err = meta(b, c->meta);
	if (!err && c->has_code)
		err = num_el(b, "Data", "", c->code);
	if (!err)
		err = text_el(b, "Correlator", "", c->correlator);
	for (it = c->items; it && !err; it = it->next)
		err = item(b, it);
	for (ch = c->children; ch && !err; ch = ch->next)
		err = dm_cmd_emit(ch, b);
	return err;
}

enum mcx_err dm_cmd_emit(const struct dm_cmd *c, struct mcx_buf *b)
{
	const char *name = c->type == DM_CMD_UNKNOWN && c->name ? c->name : dm_cmd_name(c->type);
	enum mcx_err err;

	if (c->type == DM_CMD_UNKNOWN)
		return MCX_EINVAL; /* we never send what we do not understand */
	err = buf_addf(b, "<%s>", name);
	if (!err)
		err = cmd_body(b, c);
	if (!err)
		err = buf_addf(b, "</%s>", name);
	return err;
}

static enum mcx_err cred(struct mcx_buf *b, const struct dm_cred *cr)
{
	enum mcx_err err;

	if (!cr)
		return MCX_OK;
	err = add(b, "<Cred>");
	if (!err)
		err = meta(b, cr->meta);
	if (!err)
		err = data(b, cr->data);
	if (!err)
		err = add(b, "</Cred>");
	return err;
}

static enum mcx_err hdr(struct mcx_buf *b, const struct dm_hdr *h)
{
	enum mcx_err err = add(b, "<SyncHdr>");

	if (!err)
		err = text_el(b, "VerDTD", "", h->ver_dtd ? h->ver_dtd : "1.2");
	if (!err)
		err = text_el(b, "VerProto", "", h->ver_proto ? h->ver_proto : "DM/1.2");
	if (!err)
		err = text_el(b, "SessionID", "", h->session_id ? h->session_id : "");
	if (!err)
		err = num_el(b, "MsgID", "", h->msg_id);
	if (!err)
		err = loc(b, "Target", h->target ? h->target : "", h->target_name);
	if (!err)
		err = loc(b, "Source", h->source ? h->source : "", h->source_name);
	if (!err)
		err = text_el(b, "RespURI", "", h->resp_uri);
	if (!err && h->no_resp)
		err = add(b, "<NoResp/>");
	if (!err)
		err = cred(b, h->cred);
	if (!err)
		err = meta(b, h->meta);
	if (!err)
		err = add(b, "</SyncHdr>");
	return err;
}

enum mcx_err dm_msg_emit(const struct dm_msg *m, struct mcx_buf *b)
{
	const struct dm_cmd *c;
	enum mcx_err err;

	err = add(b, "<SyncML xmlns=\"" DM_NS_SYNCML12 "\">");
	if (!err)
		err = hdr(b, &m->hdr);
	if (!err)
		err = add(b, "<SyncBody>");
	for (c = m->cmds; c && !err; c = c->next)
		err = dm_cmd_emit(c, b);
	if (!err && m->final)
		err = add(b, "<Final/>");
	if (!err)
		err = add(b, "</SyncBody></SyncML>");
	return err;
}
