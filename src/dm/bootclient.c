/* Bootstrap, client side: accounts from flags, DMAcc files, DM-profile and
 * w7 bootstrap messages (MAC checked), smartcard images, Package 0, and the
 * account preference rule. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "dm/auth.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/client.h"
#include "dm/pkg0.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/w7.h"
#include "dm/wbxml.h"
#include "core/banned.h"

static enum mcx_err bfail(char *eb, size_t el, enum mcx_err err, const char *fmt, ...)
	MCX_PRINTF(4, 5);

static enum mcx_err bfail(char *eb, size_t el, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	if (eb && el) {
		va_start(ap, fmt);
		vsnprintf(eb, el, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* --- accounts --- */

static struct dm_node *accounts(const struct dm_tree *t)
{
	return dm_tree_find(t, "./DMAcc");
}

static const char *sid_of(const struct dm_node *acc)
{
	const struct dm_node *c;

	for (c = acc->children; c; c = c->next)
		if (!strcmp(c->name, "ServerID") && !c->interior)
			return c->value;
	return NULL;
}

enum mcx_err dm_account_remove(struct dm_tree *t, const char *name)
{
	char uri[256];

	snprintf(uri, sizeof(uri), "./DMAcc/%s", name);
	switch (dm_tree_delete(t, NULL, uri)) {	/* scrubs the ServerID from the ACLs */
	case DM_ST_OK:		return MCX_OK;
	case DM_ST_NOT_FOUND:	return MCX_ENOENT;
	case DM_ST_DEVICE_FULL:	return MCX_ENOMEM;
	default:		return MCX_EINVAL;
	}
}

/* Remove accounts named name or serving server_id (a bootstrap replaces). */
static enum mcx_err remove_same(struct dm_tree *t, const char *name, const char *server_id)
{
	struct dm_node *accs = accounts(t), *a, *next;
	enum mcx_err err = MCX_OK;
	char nm[128];

	for (a = accs ? accs->children : NULL; a && !err; a = next) {
		const char *sid = sid_of(a);

		next = a->next;
		if ((name && !strcmp(a->name, name)) || (server_id && sid && !strcmp(sid, server_id))) {
			snprintf(nm, sizeof(nm), "%s", a->name);
			err = dm_account_remove(t, nm);
		}
	}
	return err;
}

/* A node name from a ServerID: letters, digits, '-', '_', '.' kept. */
static void name_from(const char *sid, char *out, size_t n)
{
	size_t i, j = 0;

	for (i = 0; sid[i] && j + 1 < n && j < 48; i++) {
		char c = sid[i];

		out[j++] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '-' || c == '_' ? c : '_');
	}
	out[j] = '\0';
	if (!j)
		snprintf(out, n, "acc");
}

static const char *origin_uri(const char *name, char *uri, size_t n)
{
	snprintf(uri, n, "./DMAcc/%s/Ext/MCXOrigin", name);
	return uri;
}

static enum mcx_err set_origin(struct dm_tree *t, const char *name, const char *origin)
{
	char uri[256];

	return dm_tree_set_leaf(t, origin_uri(name, uri, sizeof(uri)), origin, "chr");
}

/* TNDS of one w7 account added locally under ./DMAcc. */
static enum mcx_err add_w7_acc(struct dm_tree *t, const struct dm_w7_acc *wa, const char *name,
			       const char *origin, char *eb, size_t el)
{
	struct dm_tnds *doc = NULL;
	struct mcx_buf b;
	enum mcx_err err;
	unsigned st;

	err = remove_same(t, name, wa->server_id);
	if (!err)
		err = dm_tnds_alloc(&doc, NULL);
	if (!err)
		err = dm_w7_to_dmacc(wa, name, doc, NULL);
	if (err) {
		dm_tnds_free(doc);
		return bfail(eb, el, err, "account %s: %s", name, mcx_strerror(err));
	}
	buf_init(&b, DM_BOOT_MSG_MAX * 2);
	err = dm_tnds_emit(doc, &b);
	dm_tnds_free(doc);
	if (err) {
		buf_reset(&b);
		return err;
	}
	st = dm_tree_add_tnds(t, NULL, "./DMAcc", b.p, b.len);
	buf_reset(&b);
	if (st != DM_ST_OK)
		return bfail(eb, el, st == DM_ST_DEVICE_FULL ? MCX_ENOMEM : MCX_EINVAL,
			     "account %s: the tree refused it (%u %s)", name, st,
			     dm_status_name(st) ? dm_status_name(st) : "");
	return origin ? set_origin(t, name, origin) : MCX_OK;
}

static void w7_auth(struct dm_w7 *w, struct dm_w7_auth *au, const char *level, const char *type,
		    const char *name, const char *secret, const char *nonce, enum mcx_err *err)
{
	if (!*err)
		*err = dm_w7_set(w, &au->level, level);
	if (!*err)
		*err = dm_w7_set(w, &au->type, type);
	if (!*err)
		*err = dm_w7_set(w, &au->name, name);
	if (!*err)
		*err = dm_w7_set(w, &au->secret, secret);
	if (!*err && nonce)
		*err = dm_w7_set(w, &au->data, nonce);
}

enum mcx_err dm_account_add(struct dm_tree *t, const struct dm_acc_spec *a, char *eb, size_t el)
{
	struct dm_w7 *w = NULL;
	struct dm_w7_acc *wa;
	const char *auth = a->auth ? a->auth : "DIGEST";
	char name[64];
	enum mcx_err err;

	if (!a->server_id || !*a->server_id || !a->addr || !*a->addr)
		return bfail(eb, el, MCX_EINVAL, "an account needs a ServerID and an address");
	if (strncmp(a->addr, "http://", 7) && strncmp(a->addr, "https://", 8))
		return bfail(eb, el, MCX_EINVAL, "the address must be an http:// or https:// URL");
	if (strcmp(auth, "DIGEST") && strcmp(auth, "BASIC") && strcmp(auth, "HMAC"))
		return bfail(eb, el, MCX_EINVAL, "--auth must be DIGEST, BASIC or HMAC");
	if (a->name)
		snprintf(name, sizeof(name), "%s", a->name);
	else
		name_from(a->server_id, name, sizeof(name));
	err = dm_w7_alloc(&w);
	if (err)
		return err;
	wa = &w->accs[0];
	w->n = 1;
	err = dm_w7_set(w, &wa->server_id, a->server_id);
	if (!err)
		err = dm_w7_set(w, &wa->name, a->server_id);
	if (!err)
		err = dm_w7_set(w, &wa->addrs[0].addr, a->addr);
	wa->naddrs = 1;
	if (a->cl_name) {
		w7_auth(w, &wa->auths[wa->nauths++], "APPSRV", auth, a->cl_name,
			a->cl_secret ? a->cl_secret : "", a->cl_nonce, &err);
	}
	if (a->sv_name || a->sv_secret) {
		w7_auth(w, &wa->auths[wa->nauths++], "CLIENT", auth,
			a->sv_name ? a->sv_name : a->server_id, a->sv_secret ? a->sv_secret : "",
			a->sv_nonce, &err);
	}
	if (!err)
		err = add_w7_acc(t, wa, name, a->origin ? a->origin : DM_ORIGIN_CUSTOMIZED, eb, el);
	if (!err && !strcmp(auth, "HMAC")) {
		char uri[256];

		snprintf(uri, sizeof(uri), "./DMAcc/%s/AAuthPref", name);
		err = dm_tree_set_leaf(t, uri, "HMAC", "chr");
	}
	dm_w7_free(w);
	return err;
}

/* --- bootstrap messages --- */

static void result_add(struct dm_boot_result *res, const char *name, const char *sid)
{
	if (!res || res->n >= DM_BOOT_ACCOUNTS_MAX)
		return;
	snprintf(res->names[res->n], sizeof(res->names[0]), "%s", name);
	snprintf(res->server_ids[res->n], sizeof(res->server_ids[0]), "%s", sid ? sid : "");
	res->n++;
}

/* Accounts the bootstrap added: names not in old, or (re-added under an
 * old name) without an origin yet. */
static enum mcx_err note_new(struct dm_tree *t, const struct mcx_buf *old, const char *origin,
			     struct dm_boot_result *res)
{
	struct dm_node *accs = accounts(t), *a;
	enum mcx_err err = MCX_OK;
	char key[80], uri[256];

	for (a = accs ? accs->children : NULL; a && !err; a = a->next) {
		snprintf(key, sizeof(key), "/%s/", a->name);
		if (old->p && strstr(old->p, key) && dm_tree_value(t, origin_uri(a->name, uri,
										    sizeof(uri))))
			continue;
		err = set_origin(t, a->name, origin);
		if (!err && sid_of(a) && !a->acl) {	/* the server may manage its own account */
			const char *sid = sid_of(a);
			struct mcx_buf acl;
			char acc[256];

			/* only a ServerID that is one ACL server name ("*", '&', '+' or
			 * '=' in it would grant others), in an ACL within its bound */
			buf_init(&acl, t->lim.acl_max);
			snprintf(acc, sizeof(acc), "./DMAcc/%s", a->name);
			if (strcmp(sid, "*") && !strpbrk(sid, "&+=") &&
			    !buf_addf(&acl, "Get=%s&Replace=%s&Delete=%s", sid, sid, sid) &&
			    dm_acl_valid(acl.p, t->lim.acl_max))
				err = dm_tree_set_acl(t, acc, acl.p);
			buf_reset(&acl);
		}
		result_add(res, a->name, sid_of(a));
	}
	return err;
}

static enum mcx_err account_names(const struct dm_tree *t, struct mcx_buf *b)
{
	const struct dm_node *accs = accounts(t), *a;
	enum mcx_err err = buf_adds(b, "/");

	for (a = accs ? accs->children : NULL; a && !err; a = a->next)
		err = buf_addf(b, "%s/", a->name);
	return err;
}

/* Before a TNDS bootstrap adds DMAcc nodes: drop accounts it replaces. */
static enum mcx_err tnds_replaces(struct dm_tree *t, const char *target, const char *xml,
				  size_t len)
{
	struct dm_tnds *doc = NULL;
	const struct dm_tnode *n, *sid;
	enum mcx_err err = dm_tnds_parse(xml, len, NULL, &doc, NULL, 0);
	bool to_dmacc = !strcmp(target, "./DMAcc") || !strcmp(target, "DMAcc");

	if (err)
		return MCX_OK;	/* the add will report it */
	for (n = doc->nodes; n && !err; n = n->next) {
		bool is_acc = to_dmacc || (n->type && (!strcmp(n->type, DM_DMACC_DDF_NAME) ||
						       !strcmp(n->type, DM_URN_DMACC)));

		if (!is_acc)
			continue;
		for (sid = n->children; sid && strcmp(sid->name, "ServerID"); sid = sid->next)
			;
		err = remove_same(t, n->name, sid && sid->value ? sid->value : NULL);
	}
	dm_tnds_free(doc);
	return err;
}

static unsigned apply_cmd(struct dm_tree *t, const struct dm_cmd *c, char *eb, size_t el);

static unsigned apply_item(struct dm_tree *t, const struct dm_cmd *c, const struct dm_item *it,
			   char *eb, size_t el)
{
	const char *type = dm_item_type(c, it), *fmt = "chr";
	const char *p = it->data ? it->data->p : "";
	size_t len = it->data ? it->data->len : 0;
	struct dm_value v;

	if (!it->target)
		return DM_ST_BAD_REQUEST;
	if (it->meta && it->meta->format)
		fmt = it->meta->format;
	else if (c->meta && c->meta->format)
		fmt = c->meta->format;
	if (type && (!strcmp(type, DM_MIME_TNDS_XML) || !strcmp(type, DM_MIME_TNDS_WBXML))) {
		if (c->type != DM_CMD_ADD)
			return DM_ST_OPTIONAL_NOT_SUPPORTED;
		if (tnds_replaces(t, it->target, p, len))
			return DM_ST_DEVICE_FULL;
		return dm_tree_add_tnds(t, NULL, it->target, p, len);
	}
	v.format = fmt;
	v.type = type;
	v.p = p;
	v.len = len;
	if (c->type == DM_CMD_ADD)
		return dm_tree_add(t, NULL, it->target, &v, NULL);
	if (c->type == DM_CMD_REPLACE)
		return dm_tree_find(t, it->target) ? dm_tree_replace(t, NULL, it->target, &v)
						   : dm_tree_add(t, NULL, it->target, &v, NULL);
	(void)eb;
	(void)el;
	return DM_ST_OPTIONAL_NOT_SUPPORTED;
}

static unsigned apply_cmd(struct dm_tree *t, const struct dm_cmd *c, char *eb, size_t el)
{
	const struct dm_cmd *k;
	const struct dm_item *it;
	unsigned st = DM_ST_OK;

	switch (c->type) {
	case DM_CMD_ATOMIC:
	case DM_CMD_SEQUENCE:
		for (k = c->children; k && st == DM_ST_OK; k = k->next)
			st = apply_cmd(t, k, eb, el);
		return st;
	case DM_CMD_ADD:
	case DM_CMD_REPLACE:
		for (it = c->items; it && st == DM_ST_OK; it = it->next) {
			st = apply_item(t, c, it, eb, el);
			if (st != DM_ST_OK)
				bfail(eb, el, MCX_EINVAL, "%s %s: %u %s", dm_cmd_name(c->type),
				      it->target ? it->target : "", st,
				      t->errbuf[0] ? t->errbuf : (dm_status_name(st) ?
								  dm_status_name(st) : ""));
		}
		return st;
	case DM_CMD_STATUS:
	case DM_CMD_RESULTS:
	case DM_CMD_ALERT:
		return DM_ST_OK;	/* a bootstrap is not answered */
	default:
		bfail(eb, el, MCX_EINVAL, "a bootstrap message may not hold %s", dm_cmd_name(c->type));
		return DM_ST_OPTIONAL_NOT_SUPPORTED;
	}
}

static enum mcx_err apply_dm_profile(struct dm_tree *t, const uint8_t *body, size_t len,
				     char *eb, size_t el)
{
	struct dm_msg *m = NULL;
	const struct dm_cmd *c;
	enum mcx_err err;
	unsigned st = DM_ST_OK;

	if (dm_is_wbxml(body, len))
		err = dm_msg_parse_wbxml(body, len, NULL, &m, eb, el);
	else
		err = dm_msg_parse((const char *)body, len, NULL, 0, &m, eb, el);
	if (err)
		return err;
	for (c = m->cmds; c && st == DM_ST_OK; c = c->next)
		st = apply_cmd(t, c, eb, el);
	dm_msg_free(m);
	return st == DM_ST_OK ? MCX_OK : st == DM_ST_DEVICE_FULL ? MCX_ENOMEM : MCX_EINVAL;
}

static enum mcx_err apply_w7(struct dm_tree *t, const uint8_t *body, size_t len,
			     char *eb, size_t el)
{
	struct dm_w7 *w = NULL;
	enum mcx_err err = dm_w7_parse((const char *)body, len, &w, eb, el);
	char name[64];
	size_t i;

	for (i = 0; !err && i < w->n; i++) {
		name_from(w->accs[i].server_id, name, sizeof(name));
		err = add_w7_acc(t, &w->accs[i], name, NULL, eb, el);	/* note_new marks it */
	}
	dm_w7_free(w);
	return err;
}

static bool mime_is(const char *ctype, const char *mime)
{
	size_t n = strlen(mime);

	return !strncasecmp(ctype, mime, n) && (ctype[n] == '\0' || ctype[n] == ';' ||
						ctype[n] == ' ');
}

static enum mcx_err check_mac(const char *ctype, const uint8_t *body, size_t len,
			      const struct dm_boot_keys *k, char *eb, size_t el)
{
	const char *params = strchr(ctype, ';');
	char canon[DM_BOOT_CTYPE_MAX + 64];
	struct dm_boot_ct ct;
	enum mcx_err err = MCX_ENOENT;

	/* the SEC/MAC parameters mean the same on any of our bootstrap types;
	 * the codec reads them on the DM-profile type */
	if (params && strlen(ctype) <= DM_BOOT_CTYPE_MAX) {
		snprintf(canon, sizeof(canon), "%s%s", DM_BOOT_MIME, params);
		err = dm_boot_ct_parse(canon, strlen(canon), &ct);
	} else if (params) {
		err = MCX_EINVAL;
	}
	if (err == MCX_ENOENT)
		return k->allow_unsigned ? MCX_OK :
		       bfail(eb, el, MCX_EPERM, "the bootstrap message carries no SEC/MAC");
	if (err)
		return bfail(eb, el, MCX_EINVAL, "bad bootstrap Content-Type '%.200s'", ctype);
	if ((ct.sec != DM_BOOT_SEC_USERPIN && !k->networkid) ||
	    (ct.sec != DM_BOOT_SEC_NETWORKID && !k->userpin))
		return bfail(eb, el, MCX_EAUTH, "the message is secured with SEC=%s and we were "
			     "given no such secret", dm_boot_sec_name(ct.sec));
	err = dm_boot_verify(canon, strlen(canon), body, len, k->networkid, k->userpin);
	if (err)
		return bfail(eb, el, MCX_EAUTH, "the bootstrap MAC (SEC=%s) does not match",
			     dm_boot_sec_name(ct.sec));
	return MCX_OK;
}

enum mcx_err dm_boot_apply(struct dm_tree *t, const uint8_t *body, size_t len, const char *ctype,
			   const struct dm_boot_keys *keys, const char *origin,
			   struct dm_boot_result *res, char *eb, size_t el)
{
	static const struct dm_boot_keys none = { NULL, NULL, false };
	struct dm_tree *snap = NULL;
	struct mcx_buf old;
	enum mcx_err err;

	if (!keys)
		keys = &none;
	if (res)
		memset(res, 0, sizeof(*res));
	if (len > DM_BOOT_MSG_MAX)
		return bfail(eb, el, MCX_ELIMIT, "bootstrap message over %d bytes", DM_BOOT_MSG_MAX);
	if (!ctype)
		ctype = DM_BOOT_MIME;
	if (mime_is(ctype, DM_BOOT_CP_MIME))
		return bfail(eb, el, MCX_EINVAL, "%s (WBXML OMA CP) is not supported: send the w7 "
			     "document as %s", DM_BOOT_CP_MIME, DM_W7_XML_MIME);
	if (!mime_is(ctype, DM_BOOT_MIME) && !mime_is(ctype, DM_MIME_XML) &&
	    !mime_is(ctype, DM_W7_XML_MIME) && !mime_is(ctype, DM_MIME_TNDS_XML))
		return bfail(eb, el, MCX_EINVAL, "unsupported bootstrap Content-Type '%.200s'", ctype);
	err = check_mac(ctype, body, len, keys, eb, el);
	if (err)
		return err;
	buf_init(&old, 64 * 1024);
	err = account_names(t, &old);
	if (!err)
		err = dm_tree_dup(t, &snap);
	if (err) {
		buf_reset(&old);
		return err;
	}
	if (mime_is(ctype, DM_W7_XML_MIME))
		err = apply_w7(t, body, len, eb, el);
	else if (mime_is(ctype, DM_MIME_TNDS_XML))
		err = tnds_replaces(t, "./DMAcc", (const char *)body, len) ? MCX_ENOMEM :
		      dm_tree_add_tnds(t, NULL, "./DMAcc", (const char *)body, len) == DM_ST_OK ?
		      MCX_OK : bfail(eb, el, MCX_EINVAL, "the DMAcc file was refused: %s",
				     t->errbuf[0] ? t->errbuf : "bad nodes");
	else
		err = apply_dm_profile(t, body, len, eb, el);
	if (!err)
		err = note_new(t, &old, origin, res);
	if (err)
		dm_tree_swap(t, snap);	/* nothing unless all */
	dm_tree_free(snap);
	buf_reset(&old);
	return err;
}

/* --- smartcard --- */

enum mcx_err dm_card_append(struct mcx_buf *out, const char *ctype, const uint8_t *body,
			    size_t len)
{
	enum mcx_err err = MCX_OK;

	if (strchr(ctype, '\n') || strchr(ctype, '\r'))
		return MCX_EINVAL;
	if (!out->len)
		err = buf_adds(out, DM_CARD_MAGIC);
	if (!err)
		err = buf_addf(out, "Content-Type: %s\nContent-Length: %zu\n\n", ctype, len);
	if (!err)
		err = buf_add(out, body, len);
	return err;
}

/* One entry at *pos: its Content-Type (copied into ct) and body view. */
static enum mcx_err card_entry(const uint8_t *img, size_t len, size_t *pos, char *ct, size_t ctl,
			       const uint8_t **body, size_t *blen)
{
	const char *p = (const char *)img + *pos, *end = (const char *)img + len, *nl;
	unsigned long long n = 0;
	const char *q;

	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || strncmp(p, "Content-Type: ", 14) || (size_t)(nl - p - 14) >= ctl)
		return MCX_EINVAL;
	snprintf(ct, ctl, "%.*s", (int)(nl - p - 14), p + 14);
	p = nl + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || strncmp(p, "Content-Length: ", 16) || nl == p + 16)
		return MCX_EINVAL;
	for (q = p + 16; q < nl; q++) {
		if (*q < '0' || *q > '9' || n > DM_BOOT_MSG_MAX)
			return MCX_EINVAL;
		n = n * 10 + (unsigned)(*q - '0');
	}
	p = nl + 1;
	if (p >= end || *p != '\n' || n > (unsigned long long)(end - p - 1))
		return MCX_EINVAL;
	*body = (const uint8_t *)p + 1;
	*blen = (size_t)n;
	*pos = (size_t)((const char *)*body + n - (const char *)img);
	return MCX_OK;
}

enum mcx_err dm_card_apply(struct dm_tree *t, const uint8_t *img, size_t len,
			   const struct dm_boot_keys *keys, struct dm_boot_result *res,
			   size_t *removed, char *eb, size_t el)
{
	size_t pos = strlen(DM_CARD_MAGIC), k = 0, i;
	struct dm_boot_result one, all;
	struct dm_node *accs, *a, *next;
	char ct[DM_BOOT_CTYPE_MAX + 1], nm[128];
	const uint8_t *body;
	size_t blen;
	enum mcx_err err = MCX_OK;

	memset(&all, 0, sizeof(all));
	*removed = 0;
	if (len > DM_CARD_MAX)
		return bfail(eb, el, MCX_ELIMIT, "smartcard image over %d bytes", DM_CARD_MAX);
	if (len < pos || memcmp(img, DM_CARD_MAGIC, pos))
		return bfail(eb, el, MCX_EINVAL, "not a smartcard image (no '%.11s' line)",
			     DM_CARD_MAGIC);
	while (pos < len && !err) {
		if (++k > DM_CARD_ENTRIES_MAX)
			return bfail(eb, el, MCX_ELIMIT, "more than %d entries on the card",
				     DM_CARD_ENTRIES_MAX);
		if (card_entry(img, len, &pos, ct, sizeof(ct), &body, &blen))
			return bfail(eb, el, MCX_EINVAL, "smartcard entry %zu is malformed", k);
		err = dm_boot_apply(t, body, blen, ct, keys, DM_ORIGIN_SMARTCARD, &one, eb, el);
		for (i = 0; !err && i < one.n; i++)
			result_add(&all, one.names[i], one.server_ids[i]);
	}
	if (err)
		return err;
	/* DM Bootstrap 1.2: accounts that came from the card and are no longer
	 * on it go away */
	accs = accounts(t);
	for (a = accs ? accs->children : NULL; a && !err; a = next) {
		const struct dm_node *ext = NULL, *o = NULL;
		const char *sid = sid_of(a);
		bool keep = false;

		next = a->next;
		for (ext = a->children; ext && strcmp(ext->name, "Ext"); ext = ext->next)
			;
		for (o = ext ? ext->children : NULL; o && strcmp(o->name, "MCXOrigin"); o = o->next)
			;
		if (!o || !o->value || strcmp(o->value, DM_ORIGIN_SMARTCARD))
			continue;
		for (i = 0; i < all.n; i++)
			if (sid && !strcmp(all.server_ids[i], sid))
				keep = true;
		if (keep)
			continue;
		snprintf(nm, sizeof(nm), "%s", a->name);
		err = dm_account_remove(t, nm);
		(*removed)++;
	}
	if (res)
		*res = all;
	return err;
}

/* --- Package 0 --- */

enum mcx_err dm_boot_pkg0(const struct dm_tree *t, const uint8_t *p, size_t n, char **account,
			  char session[5], char *eb, size_t el)
{
	struct dm_pkg0 d;
	struct dm_account a;
	struct dm_nonce nonce = { .len = 0 };
	char sid[256];
	bool resync = false;
	enum mcx_err err = dm_pkg0_decode(p, n, &d, eb, el);

	if (err)
		return err;
	if (d.server_id.l >= sizeof(sid))
		return bfail(eb, el, MCX_EINVAL, "Package 0 server id too long");
	snprintf(sid, sizeof(sid), "%.*s", (int)d.server_id.l, d.server_id.p);
	err = dm_account_read(t, sid, &a);
	if (err == MCX_ENOENT || (!err && strcmp(a.server_id, sid))) {
		if (!err)
			dm_account_clear(&a);
		return bfail(eb, el, MCX_ENOENT, "Package 0 from '%s': no account has that ServerID",
			     sid);
	}
	if (err)
		return bfail(eb, el, err, "account of '%s' is incomplete", sid);
	if (!a.sv_secret || (a.sv_nonce && *a.sv_nonce && dm_nonce_from_b64(&nonce, a.sv_nonce))) {
		dm_account_clear(&a);
		return bfail(eb, el, MCX_EAUTH, "account of '%s' has no server credentials (SRVCRED) "
			     "to check Package 0 with", sid);
	}
	err = dm_pkg0_verify_resync(p, n, &d, a.sv_secret, &nonce, &resync);
	if (err) {
		dm_account_clear(&a);
		return bfail(eb, el, MCX_EAUTH, "Package 0 from '%s': wrong digest", sid);
	}
	dm_pkg0_session_hex(d.session_id, session);
	*account = a.name;
	a.name = NULL;
	dm_account_clear(&a);
	return *account ? MCX_OK : MCX_ENOMEM;
}

/* --- preference --- */

/* host[:port] of a URL into out ("" when none). */
static void host_of(const char *url, char *out, size_t n)
{
	const char *h = url ? strstr(url, "://") : NULL;
	size_t l;

	out[0] = '\0';
	if (!h)
		return;
	h += 3;
	l = strcspn(h, "/?#");
	snprintf(out, n, "%.*s", (int)l, h);
}

/* A leaf whose name starts with CMS (CMS, CMSXCAPRootURI) under n. */
static const char *find_cms(const struct dm_node *n, int depth)
{
	const struct dm_node *c;
	const char *r;

	for (c = n ? n->children : NULL; c && depth < 32; c = c->next) {
		if (!c->interior && !strncmp(c->name, "CMS", 3) && c->value && strstr(c->value, "://"))
			return c->value;
		if (c->interior && (r = find_cms(c, depth + 1)))
			return r;
	}
	return NULL;
}

static int origin_rank(const char *o)
{
	static const char *const order[] = { DM_ORIGIN_SMARTCARD, DM_ORIGIN_PUSH, DM_ORIGIN_FETCH,
					     DM_ORIGIN_CUSTOMIZED };
	int i;

	for (i = 0; i < 4; i++)
		if (o && !strcmp(o, order[i]))
			return i;
	return 4;
}

char *dm_account_prefer(const struct dm_tree *t, const char *cms_url)
{
	const struct dm_node *accs = accounts(t), *x;
	char cms[256], host[256], *best = NULL;
	int best_rank = 100, rank;
	struct dm_account a;

	if (!cms_url)
		cms_url = find_cms(dm_tree_find(t, "./MCPTT"), 0);
	host_of(cms_url, cms, sizeof(cms));
	for (x = accs ? accs->children : NULL; x; x = x->next) {
		if (dm_account_read(t, x->name, &a))
			continue;
		host_of(a.addr, host, sizeof(host));
		rank = *cms && !strcasecmp(host, cms) ? -1 : origin_rank(a.origin);
		if (rank < best_rank) {
			mcx_free(best);
			best = a.name;
			a.name = NULL;
			best_rank = rank;
		}
		dm_account_clear(&a);
	}
	return best;
}
