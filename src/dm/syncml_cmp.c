/* Semantic comparison of two SyncML DM messages (tests, round-trip checks):
 * every field of the model, text and CDATA data being the same thing. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dm/syncml.h"
#include "core/banned.h"

struct why {
	char *p;
	size_t n;
};

static bool differ(struct why *w, const char *fmt, ...) MCX_PRINTF(2, 3);

static bool differ(struct why *w, const char *fmt, ...)
{
	va_list ap;

	if (w->p && w->n) {
		va_start(ap, fmt);
		vsnprintf(w->p, w->n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool str_eq(struct why *w, const char *what, const char *a, const char *b)
{
	if ((!a && !b) || (a && b && !strcmp(a, b)))
		return true;
	return differ(w, "%s: \"%s\" vs \"%s\"", what, a ? a : "(none)", b ? b : "(none)");
}

static bool num_eq(struct why *w, const char *what, uint64_t a, uint64_t b)
{
	if (a == b)
		return true;
	return differ(w, "%s: %" PRIu64 " vs %" PRIu64, what, a, b);
}

static bool meta_eq(struct why *w, const char *what, const struct dm_meta *a,
		    const struct dm_meta *b)
{
	if (!a || !b)
		return a == b ? true : differ(w, "%s Meta present on one side only", what);
	return str_eq(w, "Meta Format", a->format, b->format) &&
	       str_eq(w, "Meta Type", a->type, b->type) &&
	       str_eq(w, "Meta Mark", a->mark, b->mark) &&
	       str_eq(w, "Meta Version", a->version, b->version) &&
	       str_eq(w, "Meta NextNonce", a->next_nonce, b->next_nonce) &&
	       num_eq(w, "Meta fields present", a->has, b->has) &&
	       num_eq(w, "Meta Size", a->size, b->size) &&
	       num_eq(w, "Meta MaxMsgSize", a->max_msg_size, b->max_msg_size) &&
	       num_eq(w, "Meta MaxObjSize", a->max_obj_size, b->max_obj_size);
}

static bool data_eq(struct why *w, const struct dm_data *a, const struct dm_data *b)
{
	if (!a || !b)
		return a == b ? true : differ(w, "Data present on one side only");
	if ((a->kind == DM_DATA_XML) != (b->kind == DM_DATA_XML))
		return differ(w, "Data is XML on one side only");
	if (a->len != b->len || memcmp(a->p, b->p, a->len))
		return differ(w, "Data: \"%.*s\" vs \"%.*s\"", (int)(a->len > 60 ? 60 : a->len),
			      a->p, (int)(b->len > 60 ? 60 : b->len), b->p);
	return true;
}

static bool item_eq(struct why *w, const struct dm_item *a, const struct dm_item *b)
{
	return str_eq(w, "Item Target", a->target, b->target) &&
	       str_eq(w, "Item Target LocName", a->target_name, b->target_name) &&
	       str_eq(w, "Item Source", a->source, b->source) &&
	       str_eq(w, "Item Source LocName", a->source_name, b->source_name) &&
	       meta_eq(w, "Item", a->meta, b->meta) && data_eq(w, a->data, b->data) &&
	       num_eq(w, "Item MoreData", a->more_data, b->more_data);
}

static bool refs_eq(struct why *w, const char *what, const struct dm_ref *a,
		    const struct dm_ref *b)
{
	for (; a && b; a = a->next, b = b->next)
		if (!str_eq(w, what, a->uri, b->uri))
			return false;
	return a || b ? differ(w, "%s count differs", what) : true;
}

static bool cmd_eq(struct why *w, const struct dm_cmd *a, const struct dm_cmd *b);

static bool cmd_fields_eq(struct why *w, const struct dm_cmd *a, const struct dm_cmd *b)
{
	return num_eq(w, "command type", a->type, b->type) &&
	       str_eq(w, "unknown command name", a->name, b->name) &&
	       num_eq(w, "CmdID", a->cmd_id, b->cmd_id) &&
	       num_eq(w, "NoResp", a->no_resp, b->no_resp) &&
	       num_eq(w, "code present", a->has_code, b->has_code) &&
	       num_eq(w, "code", a->code, b->code) &&
	       str_eq(w, "Correlator", a->correlator, b->correlator) &&
	       num_eq(w, "MsgRef present", a->has_msg_ref, b->has_msg_ref) &&
	       num_eq(w, "MsgRef", a->msg_ref, b->msg_ref) &&
	       num_eq(w, "CmdRef present", a->has_cmd_ref, b->has_cmd_ref) &&
	       num_eq(w, "CmdRef", a->cmd_ref, b->cmd_ref) &&
	       str_eq(w, "Cmd", a->cmd, b->cmd) &&
	       refs_eq(w, "TargetRef", a->target_refs, b->target_refs) &&
	       refs_eq(w, "SourceRef", a->source_refs, b->source_refs) &&
	       meta_eq(w, "command", a->meta, b->meta) && meta_eq(w, "Chal", a->chal, b->chal);
}

static bool cmd_eq(struct why *w, const struct dm_cmd *a, const struct dm_cmd *b)
{
	const struct dm_item *ia = a->items, *ib = b->items;
	const struct dm_cmd *ca = a->children, *cb = b->children;

	if (!cmd_fields_eq(w, a, b))
		return false;
	for (; ia && ib; ia = ia->next, ib = ib->next)
		if (!item_eq(w, ia, ib))
			return false;
	if (ia || ib)
		return differ(w, "%s %u: item count differs", dm_cmd_name(a->type), a->cmd_id);
	for (; ca && cb; ca = ca->next, cb = cb->next)
		if (!cmd_eq(w, ca, cb))
			return false;
	if (ca || cb)
		return differ(w, "%s %u: child count differs", dm_cmd_name(a->type), a->cmd_id);
	return true;
}

static bool cred_eq(struct why *w, const struct dm_cred *a, const struct dm_cred *b)
{
	if (!a || !b)
		return a == b ? true : differ(w, "Cred present on one side only");
	return meta_eq(w, "Cred", a->meta, b->meta) && data_eq(w, a->data, b->data);
}

static bool hdr_eq(struct why *w, const struct dm_hdr *a, const struct dm_hdr *b)
{
	return str_eq(w, "VerDTD", a->ver_dtd, b->ver_dtd) &&
	       str_eq(w, "VerProto", a->ver_proto, b->ver_proto) &&
	       str_eq(w, "SessionID", a->session_id, b->session_id) &&
	       num_eq(w, "MsgID", a->msg_id, b->msg_id) &&
	       str_eq(w, "Target", a->target, b->target) &&
	       str_eq(w, "Target LocName", a->target_name, b->target_name) &&
	       str_eq(w, "Source", a->source, b->source) &&
	       str_eq(w, "Source LocName", a->source_name, b->source_name) &&
	       str_eq(w, "RespURI", a->resp_uri, b->resp_uri) &&
	       num_eq(w, "header NoResp", a->no_resp, b->no_resp) &&
	       cred_eq(w, a->cred, b->cred) && meta_eq(w, "header", a->meta, b->meta);
}

bool dm_msg_equal(const struct dm_msg *a, const struct dm_msg *b, char *whybuf, size_t whylen)
{
	struct why w = { whybuf, whylen };
	const struct dm_cmd *ca = a->cmds, *cb = b->cmds;

	if (whybuf && whylen)
		whybuf[0] = '\0';
	if (!hdr_eq(&w, &a->hdr, &b->hdr))
		return false;
	for (; ca && cb; ca = ca->next, cb = cb->next)
		if (!cmd_eq(&w, ca, cb))
			return false;
	if (ca || cb)
		return differ(&w, "command count differs");
	return num_eq(&w, "Final", a->final, b->final);
}
