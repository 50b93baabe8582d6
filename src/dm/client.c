/* The DM client session: package 1, the server's commands executed on the
 * tree as that server, statuses and results, authentication both ways,
 * multi-message packages and large objects. No I/O (client_http.c moves
 * the bytes). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "dm-client"
#include "core/log.h"
#include "core/mem.h"
#include "dm/b64.h"
#include "dm/client.h"
#include "dm/largeobj.h"
#include "dm/split.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/wbxml.h"
#include "core/banned.h"

/* Bytes kept free in each split message for the statuses we put in front
 * of it when the server asks for it (Status SyncHdr, Status 1222), beyond
 * what they measure. */
#define RESERVE_SLACK	64
/* Bytes of a SyncHdr Cred (md5 or basic) besides the user name. */
#define CRED_RESERVE	256

struct dm_session {
	struct dm_tree *t;
	struct dm_client_conf conf;
	struct dm_account acc;
	char *devid;
	char session_id[16];
	unsigned alert;
	uint32_t msg_id;	/* the last MsgID we sent */
	char *url;		/* where to POST (RespURI wins) */
	struct dm_nonce cl_use;	/* nonce for our next Cred */
	struct dm_nonce sv_nonce;	/* nonce the server must use for its Cred */
	bool accepted;		/* the server took our header (212/200) */
	bool cred_each;		/* 200: send Cred in every message */
	bool server_authed;
	unsigned tries;
	struct dm_msg **pending;	/* the rest of a split package */
	size_t npending, ipending;
	struct mcx_buf out;
	char ctype[64];
	struct mcx_buf hmac;
	bool has_out;
	bool done;
	struct dm_lobj *lobj;
	size_t peer_max;
	struct dm_session_stats stats;
	char err[256];
};

/* Statuses added inside an Atomic, so a rollback can rewrite them. */
struct track {
	struct dm_cmd **v;
	size_t n, cap;
};

/* What one server message produces. */
struct reply {
	struct dm_msg *r;
	const struct dm_msg *m;	/* the server message */
	uint32_t cid;
	bool abort;		/* Alert 1223 */
};

void dm_client_conf_default(struct dm_client_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->msg_max = DM_CLIENT_MSG_MAX_DEFAULT;
	c->msgs_max = DM_CLIENT_MSGS_MAX_DEFAULT;
	c->auth_tries = DM_CLIENT_AUTH_TRIES_DEFAULT;
	c->timeout = DM_CLIENT_TIMEOUT_DEFAULT;
}

static enum mcx_err fail(struct dm_session *s, enum mcx_err err, const char *fmt, ...)
	MCX_PRINTF(3, 4);

static enum mcx_err fail(struct dm_session *s, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->done = true;
	s->has_out = false;
	return err;
}

/* --- accounts --- */

static char *leaf_dup(const struct dm_node *n, const char *name)
{
	const struct dm_node *c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (!c->interior && !strcmp(c->name, name))
			return mcx_strdup(c->value ? c->value : "");
	return NULL;
}

static const struct dm_node *child(const struct dm_node *n, const char *name)
{
	const struct dm_node *c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static enum dm_auth_type auth_of(const char *s)
{
	if (!s)
		return DM_AUTH_NONE;
	if (!strcasecmp(s, "DIGEST") || !strcmp(s, DM_AUTH_MD5_TYPE))
		return DM_AUTH_MD5;
	if (!strcasecmp(s, "BASIC") || !strcmp(s, DM_AUTH_BASIC_TYPE))
		return DM_AUTH_BASIC;
	if (!strcasecmp(s, "HMAC") || !strcmp(s, DM_AUTH_HMAC_TYPE))
		return DM_AUTH_HMAC;
	return DM_AUTH_NONE;
}

/* "scheme://host/path" with ":port" put after the host when it has none. */
static char *addr_with_port(const char *addr, const char *port)
{
	const char *h = strstr(addr, "://"), *e;
	struct mcx_buf b;

	if (!port || !*port || !h)
		return mcx_strdup(addr);
	h += 3;
	e = h + strcspn(h, "/?#");
	if (memchr(h, ':', (size_t)(e - h)) && h[0] != '[')
		return mcx_strdup(addr);
	buf_init(&b, strlen(addr) + strlen(port) + 2);
	if (buf_add(&b, addr, (size_t)(e - addr)) || buf_addf(&b, ":%s%s", port, e)) {
		buf_reset(&b);
		return NULL;
	}
	return buf_take(&b, NULL);
}

static enum mcx_err read_auths(const struct dm_node *acc, struct dm_account *a)
{
	const struct dm_node *list = child(acc, "AppAuth"), *x;
	int i = 0;

	for (x = list ? list->children : NULL; x; x = x->next) {
		char *level = leaf_dup(x, "AAuthLevel");
		char *type = leaf_dup(x, "AAuthType");
		bool cl = level && !strcmp(level, "CLCRED"), sv = level && !strcmp(level, "SRVCRED");

		i++;
		if ((cl && !a->cl_index) || (sv && !a->sv_index)) {
			char **nm = cl ? &a->cl_name : &a->sv_name;
			char **sc = cl ? &a->cl_secret : &a->sv_secret;
			char **nc = cl ? &a->cl_nonce : &a->sv_nonce;

			*nm = leaf_dup(x, "AAuthName");
			*sc = leaf_dup(x, "AAuthSecret");
			*nc = leaf_dup(x, "AAuthData");
			if (cl) {
				a->cl_index = i;
				if (a->auth == DM_AUTH_NONE)
					a->auth = auth_of(type);
			} else {
				a->sv_index = i;
			}
		}
		mcx_free(level);
		mcx_free(type);
	}
	return MCX_OK;
}

static const struct dm_node *find_account(const struct dm_tree *t, const char *name)
{
	const struct dm_node *accs = dm_tree_find(t, "./DMAcc"), *x, *sid;

	if (!accs || !name)
		return NULL;
	if ((x = child(accs, name)) && x->interior)
		return x;
	for (x = accs->children; x; x = x->next) {
		sid = child(x, "ServerID");
		if (sid && sid->value && !strcmp(sid->value, name))
			return x;
	}
	return NULL;
}

enum mcx_err dm_account_read(const struct dm_tree *t, const char *name, struct dm_account *a)
{
	const struct dm_node *acc = find_account(t, name), *addrs, *x, *ports;
	char *addr = NULL, *port = NULL, *pref = NULL;
	enum mcx_err err = MCX_OK;

	memset(a, 0, sizeof(*a));
	if (!acc)
		return MCX_ENOENT;
	a->name = mcx_strdup(acc->name);
	a->server_id = leaf_dup(acc, "ServerID");
	pref = leaf_dup(acc, "AAuthPref");
	a->auth = auth_of(pref);
	mcx_free(pref);
	addrs = child(acc, "AppAddr");
	x = addrs ? addrs->children : NULL;
	if (x) {
		addr = leaf_dup(x, "Addr");
		ports = child(x, "Port");
		if (ports && ports->children)
			port = leaf_dup(ports->children, "PortNbr");
	}
	a->addr = addr ? addr_with_port(addr, port) : NULL;
	mcx_free(addr);
	mcx_free(port);
	x = child(acc, "Ext");
	a->origin = leaf_dup(x, "MCXOrigin");
	err = read_auths(acc, a);
	if (a->auth == DM_AUTH_NONE)
		a->auth = DM_AUTH_MD5;
	if (!err && (!a->name || !a->server_id || !*a->server_id || !a->addr || !*a->addr))
		err = MCX_EINVAL;
	if (err)
		dm_account_clear(a);
	return err;
}

void dm_account_clear(struct dm_account *a)
{
	mcx_free(a->name);
	mcx_free(a->server_id);
	mcx_free(a->addr);
	mcx_free(a->origin);
	mcx_free(a->cl_name);
	mcx_free(a->cl_secret);
	mcx_free(a->cl_nonce);
	mcx_free(a->sv_name);
	mcx_free(a->sv_secret);
	mcx_free(a->sv_nonce);
	memset(a, 0, sizeof(*a));
}

enum mcx_err dm_account_store_nonce(struct dm_tree *t, const struct dm_account *a,
				    bool server_side, const char *b64)
{
	char uri[512];
	int idx = server_side ? a->sv_index : a->cl_index;

	if (!idx)
		return MCX_ENOENT;
	snprintf(uri, sizeof(uri), "./DMAcc/%s/AppAuth/%d/AAuthData", a->name, idx);
	return dm_tree_set_leaf(t, uri, b64, "b64");
}

/* --- session setup --- */

static enum mcx_err send_pkg1(struct dm_session *s);

static enum mcx_err nonce_of(const char *b64, struct dm_nonce *n)
{
	n->len = 0;
	if (!b64 || !*b64)
		return MCX_OK;
	return dm_nonce_from_b64(n, b64);
}

enum mcx_err dm_session_alloc(struct dm_session **sp, struct dm_tree *t, const char *account,
			      const struct dm_client_conf *conf, unsigned alert,
			      const char *session_id)
{
	struct dm_session *s = mcx_calloc(1, sizeof(*s));
	enum mcx_err err;
	const char *devid = dm_tree_value(t, "./DevInfo/DevId");

	if (!s)
		return MCX_ENOMEM;
	s->t = t;
	if (conf)
		s->conf = *conf;
	else
		dm_client_conf_default(&s->conf);
	s->alert = alert;
	buf_init(&s->out, s->conf.msg_max);
	buf_init(&s->hmac, DM_HMAC_HDR_MAX);
	err = dm_account_read(t, account, &s->acc);
	if (err) {
		snprintf(t->errbuf, sizeof(t->errbuf), err == MCX_ENOENT ?
			 "no account '%s' in ./DMAcc" : "account '%s' lacks ServerID or AppAddr",
			 account ? account : "");
		goto out;
	}
	if (!devid || !dm_devid_valid(devid)) {
		snprintf(t->errbuf, sizeof(t->errbuf), "./DevInfo/DevId is missing or invalid");
		err = MCX_EINVAL;
		goto out;
	}
	s->devid = mcx_strdup(devid);
	s->url = mcx_strdup(s->acc.addr);
	if (!s->devid || !s->url) {
		err = MCX_ENOMEM;
		goto out;
	}
	if (nonce_of(s->acc.cl_nonce, &s->cl_use) || nonce_of(s->acc.sv_nonce, &s->sv_nonce)) {
		snprintf(t->errbuf, sizeof(t->errbuf), "account '%s': AAuthData is not base64",
			 s->acc.name);
		err = MCX_EINVAL;
		goto out;
	}
	if (session_id)
		snprintf(s->session_id, sizeof(s->session_id), "%s", session_id);
	else {
		uint8_t r[2];
		struct dm_nonce tmp;

		err = dm_nonce_fresh(&tmp);
		if (err)
			goto out;
		memcpy(r, tmp.b, 2);
		snprintf(s->session_id, sizeof(s->session_id), "%X", (unsigned)(r[0] << 8 | r[1]));
	}
	{	/* a large object can be as large as a node value may be */
		struct dm_limits ll = *dm_limits_default();

		ll.lobj_max = t->lim.value_max;
		err = dm_lobj_alloc(&s->lobj, &ll);
	}
	if (!err)
		err = send_pkg1(s);
out:
	if (err) {
		dm_session_free(s);
		return err;
	}
	*sp = s;
	return MCX_OK;
}

void dm_session_free(struct dm_session *s)
{
	if (!s)
		return;
	dm_account_clear(&s->acc);
	dm_split_free(s->pending, s->npending);
	buf_reset(&s->out);
	buf_reset(&s->hmac);
	dm_lobj_free(s->lobj);
	mcx_free(s->devid);
	mcx_free(s->url);
	mcx_free(s);
}

/* --- sending --- */

static enum mcx_err new_msg(struct dm_session *s, struct dm_msg **mp)
{
	struct dm_msg *m = NULL;
	enum mcx_err err = dm_msg_alloc(&m, NULL);

	if (err)
		return err;
	err = dm_hdr_init(m, s->session_id, 0, s->url, s->devid);
	if (!err && s->acc.cl_name)
		err = dm_set(m, &m->hdr.source_name, s->acc.cl_name);
	if (!err)
		err = dm_meta_get(m, &m->hdr.meta);
	if (!err) {
		m->hdr.meta->max_msg_size = s->conf.msg_max;
		m->hdr.meta->has |= DM_META_MAXMSGSIZE;
		*mp = m;
	} else {
		dm_msg_free(m);
	}
	return err;
}

/* MsgID and credentials of a message about to go. */
static enum mcx_err finish_hdr(struct dm_session *s, struct dm_msg *m)
{
	m->hdr.msg_id = ++s->msg_id;
	m->hdr.cred = NULL;
	if ((s->accepted && !s->cred_each) || !s->acc.cl_name)
		return MCX_OK;
	if (s->acc.auth == DM_AUTH_MD5 || s->acc.auth == DM_AUTH_BASIC)
		return dm_auth_cred_set(m, s->acc.auth, s->acc.cl_name,
					s->acc.cl_secret ? s->acc.cl_secret : "", &s->cl_use);
	return MCX_OK;
}

/* Encode m as the message to send. */
static enum mcx_err emit(struct dm_session *s, const struct dm_msg *m)
{
	enum mcx_err err;
	char eb[200];

	if (s->stats.msgs_out >= s->conf.msgs_max)
		return fail(s, MCX_ELIMIT, "more than %zu messages in one session", s->conf.msgs_max);
	buf_reset(&s->out);
	buf_init(&s->out, s->conf.msg_max * 2);
	if (s->conf.wbxml) {
		err = dm_msg_emit_wbxml(m, NULL, &s->out, eb, sizeof(eb));
		snprintf(s->ctype, sizeof(s->ctype), "%s", DM_MIME_WBXML);
	} else {
		err = dm_msg_emit(m, &s->out);
		snprintf(s->ctype, sizeof(s->ctype), "%s", DM_MIME_XML);
	}
	if (err)
		return fail(s, err, "cannot encode our message: %s", mcx_strerror(err));
	buf_reset(&s->hmac);
	buf_init(&s->hmac, DM_HMAC_HDR_MAX);
	if (s->acc.auth == DM_AUTH_HMAC && s->acc.cl_name) {
		err = dm_hmac_build(s->acc.cl_name, s->acc.cl_secret ? s->acc.cl_secret : "",
				    &s->cl_use, s->out.p, s->out.len, &s->hmac);
		if (err)
			return fail(s, err, "cannot compute x-syncml-hmac");
	}
	s->has_out = true;
	s->stats.msgs_out++;
	return MCX_OK;
}

static enum mcx_err devinfo_item(struct dm_session *s, struct dm_msg *m, struct dm_cmd *c,
				 const char *leaf)
{
	char uri[64];
	const char *v;
	struct dm_item *it = NULL;
	enum mcx_err err;

	snprintf(uri, sizeof(uri), "./DevInfo/%s", leaf);
	v = dm_tree_value(s->t, uri);
	if (!v)
		return MCX_OK;
	err = dm_item_add(m, c, &it);
	if (!err)
		err = dm_set(m, &it->source, uri);
	if (!err)
		err = dm_meta_get(m, &it->meta);
	if (!err)
		err = dm_set(m, &it->meta->format, "chr");
	if (!err)
		err = dm_data_set(m, &it->data, DM_DATA_TEXT, v, strlen(v));
	return err;
}

/* Package 1: Alert 1201/1200 and Replace of ./DevInfo (sent again after a
 * challenge). */
static enum mcx_err send_pkg1(struct dm_session *s)
{
	static const char *const leaves[] = { "DevId", "Man", "Mod", "DmV", "Lang" };
	struct dm_msg *m = NULL;
	struct dm_cmd *c = NULL;
	enum mcx_err err = new_msg(s, &m);
	size_t i;

	if (!err)
		err = dm_cmd_add(m, NULL, DM_CMD_ALERT, 1, &c);
	if (!err) {
		c->code = s->alert;
		c->has_code = true;
		err = dm_cmd_add(m, NULL, DM_CMD_REPLACE, 2, &c);
	}
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]) && !err; i++)
		err = devinfo_item(s, m, c, leaves[i]);
	if (!err) {
		m->final = true;
		err = finish_hdr(s, m);
	}
	if (!err)
		err = emit(s, m);
	dm_msg_free(m);
	return err;
}

bool dm_session_has_out(const struct dm_session *s)
{
	return s->has_out;
}

enum mcx_err dm_session_out(struct dm_session *s, struct dm_out *o)
{
	if (!s->has_out)
		return MCX_ENOENT;
	o->url = s->url;
	o->body = (const uint8_t *)s->out.p;
	o->len = s->out.len;
	o->ctype = s->ctype;
	o->hmac = s->hmac.len ? s->hmac.p : NULL;
	return MCX_OK;
}

bool dm_session_done(const struct dm_session *s)
{
	return s->done;
}

const char *dm_session_error(const struct dm_session *s)
{
	return s->err;
}

void dm_session_stats(const struct dm_session *s, struct dm_session_stats *st)
{
	*st = s->stats;
	st->server_authenticated = s->server_authed;
}

const struct dm_client_conf *dm_session_conf(const struct dm_session *s)
{
	return &s->conf;
}

/* --- replies --- */

static struct dm_cmd *add_status(struct reply *rp, const struct dm_cmd *c, unsigned code,
				 const char *target, const char *source, struct track *tr,
				 enum mcx_err *err)
{
	struct dm_cmd *st = NULL;

	if (*err || c->no_resp)
		return NULL;
	*err = dm_status_add(rp->r, ++rp->cid, rp->m->hdr.msg_id, c->cmd_id,
			     dm_cmd_name(c->type), code, &st);
	if (!*err && target)
		*err = dm_ref_add(rp->r, &st->target_refs, target);
	if (!*err && source)
		*err = dm_ref_add(rp->r, &st->source_refs, source);
	if (!*err && tr) {
		if (tr->n == tr->cap) {
			size_t cap = tr->cap ? tr->cap * 2 : 16;
			struct dm_cmd **v = mcx_realloc(tr->v, cap * sizeof(*v));

			if (!v) {
				*err = MCX_ENOMEM;
				return NULL;
			}
			tr->v = v;
			tr->cap = cap;
		}
		tr->v[tr->n++] = st;
	}
	return *err ? NULL : st;
}

static enum mcx_err add_results(struct reply *rp, const struct dm_cmd *c, const char *uri,
				const char *format, const char *type, const char *p, size_t len)
{
	struct dm_cmd *res = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_cmd_add(rp->r, NULL, DM_CMD_RESULTS, ++rp->cid, &res);

	if (!err) {
		res->msg_ref = rp->m->hdr.msg_id;
		res->has_msg_ref = true;
		res->cmd_ref = c->cmd_id;
		res->has_cmd_ref = true;
		err = dm_item_add(rp->r, res, &it);
	}
	if (!err)
		err = dm_set(rp->r, &it->source, uri);
	if (!err)
		err = dm_meta_get(rp->r, &it->meta);
	if (!err)
		err = dm_set(rp->r, &it->meta->format, format);
	if (!err && type)
		err = dm_set(rp->r, &it->meta->type, type);
	if (!err)
		err = dm_data_set(rp->r, &it->data, DM_DATA_TEXT, p ? p : "", len);
	return err;
}

static bool is_tnds(const char *type)
{
	return type && (!strcmp(type, DM_MIME_TNDS_XML) || !strcmp(type, DM_MIME_TNDS_WBXML));
}

/* The format string of an item: its Meta, the command's, else chr. */
static const char *item_format(const struct dm_cmd *c, const struct dm_item *it)
{
	if (it->meta && it->meta->format)
		return it->meta->format;
	if (c->meta && c->meta->format)
		return c->meta->format;
	return "chr";
}

/* uri "A/B?prop=ACL": copy of the node part into base, *prop the name;
 * false when the query is something else (?list=...). */
static bool split_query(const char *uri, char *base, size_t bl, const char **prop)
{
	const char *q = strchr(uri, '?');

	*prop = NULL;
	if (!q) {
		snprintf(base, bl, "%s", uri);
		return true;
	}
	snprintf(base, bl, "%.*s", (int)(q - uri), uri);
	if (strncmp(q, "?prop=", 6))
		return false;
	*prop = q + 6;
	return true;
}

/* Large objects: feed the item; 200 with the whole value in *p, or the
 * status to answer (213 buffered, 412, 416, 424). */
static unsigned lobj_step(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			  const struct dm_item *it, const char **p, size_t *len,
			  const char **fmt, const char **type, enum mcx_err *err)
{
	unsigned st = DM_ST_OK;

	(void)rp;
	if (!it->more_data && !dm_lobj_pending(s->lobj))
		return DM_ST_OK;
	*err = dm_lobj_feed(s->lobj, c, it, &st);
	if (*err || st != DM_ST_OK)
		return st;
	*p = dm_lobj_data(s->lobj, len);
	if (dm_lobj_format(s->lobj))
		*fmt = dm_lobj_format(s->lobj);
	if (dm_lobj_type(s->lobj))
		*type = dm_lobj_type(s->lobj);
	return DM_ST_OK;
}

static unsigned do_item(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			const struct dm_item *it, enum mcx_err *err)
{
	const char *sid = s->acc.server_id, *prop, *fmt = item_format(c, it);
	const char *type = dm_item_type(c, it), *p = it->data ? it->data->p : NULL;
	size_t len = it->data ? it->data->len : 0;
	char uri[1024];
	unsigned st;

	if (!it->target && c->type != DM_CMD_COPY)
		return DM_ST_BAD_REQUEST;
	if (it->target && strlen(it->target) >= sizeof(uri))
		return DM_ST_URI_TOO_LONG;
	if (it->target && !split_query(it->target, uri, sizeof(uri), &prop))
		return DM_ST_OPTIONAL_NOT_SUPPORTED;	/* ?list=Struct... */
	switch (c->type) {
	case DM_CMD_ADD:
		if (prop)
			return DM_ST_NOT_ALLOWED;
		st = lobj_step(s, rp, c, it, &p, &len, &fmt, &type, err);
		if (st != DM_ST_OK)
			return st;
		if (is_tnds(type))
			return dm_tree_add_tnds(s->t, sid, uri, p ? p : "", len);
		{
			struct dm_value v = { fmt, type, p, len };

			return dm_tree_add(s->t, sid, uri, &v, NULL);
		}
	case DM_CMD_REPLACE:
		if (prop)
			return dm_tree_prop_replace(s->t, sid, uri, prop, p ? p : "", len);
		st = lobj_step(s, rp, c, it, &p, &len, &fmt, &type, err);
		if (st != DM_ST_OK)
			return st;
		if (is_tnds(type))
			return DM_ST_OPTIONAL_NOT_SUPPORTED;
		{
			struct dm_value v = { fmt, type, p, len };

			return dm_tree_replace(s->t, sid, uri, &v);
		}
	case DM_CMD_DELETE:
		return prop ? DM_ST_NOT_ALLOWED : dm_tree_delete(s->t, sid, uri);
	case DM_CMD_COPY:
		if (!it->target || !it->source)
			return DM_ST_BAD_REQUEST;
		return prop ? DM_ST_NOT_ALLOWED : dm_tree_copy(s->t, sid, it->source, uri);
	case DM_CMD_EXEC: {
		struct dm_node *n = NULL;

		if (prop)
			return DM_ST_NOT_ALLOWED;
		st = dm_tree_exec_check(s->t, sid, uri, &n);
		if (st != DM_ST_OK)
			return st;
		if (!s->conf.exec)
			return DM_ST_OPTIONAL_NOT_SUPPORTED;
		return s->conf.exec(s->conf.exec_arg, s->t, sid, uri, p, len, c->correlator);
	}
	case DM_CMD_GET: {
		const struct dm_node *n = NULL;
		struct mcx_buf b;

		buf_init(&b, s->t->lim.value_max + 64);
		if (prop) {
			st = dm_tree_prop_get(s->t, sid, uri, prop, &b);
			if (st == DM_ST_OK)
				*err = add_results(rp, c, it->target, "chr", NULL, b.p, b.len);
		} else {
			st = dm_tree_get(s->t, sid, uri, &n);
			if (st == DM_ST_OK && n->interior) {
				*err = dm_node_child_list(n, &b);
				if (!*err)
					*err = add_results(rp, c, it->target, "node", n->type,
							   b.p, b.len);
			} else if (st == DM_ST_OK) {
				*err = add_results(rp, c, it->target, n->format ? n->format : "chr",
						   n->type ? n->type : "text/plain", n->value,
						   n->value_len);
			}
		}
		buf_reset(&b);
		return st;
	}
	default:
		return DM_ST_OPTIONAL_NOT_SUPPORTED;
	}
}

static unsigned run_cmd(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			struct track *tr, bool in_atomic, enum mcx_err *err);

/* An item command: one Status per item (Results follow each Get's Status). */
static unsigned run_items(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			  struct track *tr, enum mcx_err *err)
{
	const struct dm_item *it;
	unsigned worst = DM_ST_OK, st;
	struct dm_cmd *stc;

	if (!c->items) {
		add_status(rp, c, DM_ST_BAD_REQUEST, NULL, NULL, tr, err);
		return DM_ST_BAD_REQUEST;
	}
	for (it = c->items; it && !*err; it = it->next) {
		/* the Status goes before the Results it explains */
		stc = add_status(rp, c, DM_ST_OK, it->target,
				 c->type == DM_CMD_COPY ? it->source : NULL, tr, err);
		if (*err)
			break;
		st = do_item(s, rp, c, it, err);
		if (stc)
			stc->code = st;
		s->stats.cmds++;
		if (!dm_status_is_success(st)) {
			s->stats.failed++;
			worst = st;
		}
		if (st == DM_ST_PERMISSION_DENIED)
			s->stats.denied++;
		if (st == DM_ST_OK || st == DM_ST_CHUNK_ACCEPTED)
			continue;
		if (s->t->errbuf[0])
			log_debug("%s %s: %u (%s)", dm_cmd_name(c->type),
				  it->target ? it->target : "", st, s->t->errbuf);
		s->t->errbuf[0] = '\0';
	}
	return worst;
}

static unsigned run_alert(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			  struct track *tr, enum mcx_err *err)
{
	unsigned st;

	switch (c->code) {
	case DM_ALERT_DISPLAY:
		st = DM_ST_OK;	/* headless: shown in the log */
		if (c->items && c->items->next && c->items->next->data)
			log_info("server says: %.*s", (int)c->items->next->data->len,
				 c->items->next->data->p);
		break;
	case DM_ALERT_CONFIRM:
		st = s->conf.confirm_reject ? 304 : DM_ST_OK;
		break;
	case DM_ALERT_NEXT_MESSAGE:
		st = DM_ST_OK;
		break;
	case DM_ALERT_SESSION_ABORT:
		rp->abort = true;
		st = DM_ST_OK;
		break;
	default:	/* text input and choices need a user; other codes are not the server's */
		st = DM_ST_OPTIONAL_NOT_SUPPORTED;
		break;
	}
	add_status(rp, c, st, NULL, NULL, tr, err);
	s->stats.cmds++;
	return st;
}

/* Statuses for the children of a container that were not run. */
static void not_executed(struct reply *rp, const struct dm_cmd *c, struct track *tr,
			 enum mcx_err *err)
{
	const struct dm_item *it;

	if (!c->items) {
		add_status(rp, c, DM_ST_NOT_EXECUTED, NULL, NULL, tr, err);
		return;
	}
	for (it = c->items; it; it = it->next)
		add_status(rp, c, DM_ST_NOT_EXECUTED, it->target, NULL, tr, err);
}

static unsigned run_sequence(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			     struct track *tr, bool in_atomic, enum mcx_err *err)
{
	const struct dm_cmd *k;
	bool stop = false;
	unsigned st, worst = DM_ST_OK;

	add_status(rp, c, DM_ST_OK, NULL, NULL, tr, err);
	for (k = c->children; k && !*err; k = k->next) {
		if (stop) {
			not_executed(rp, k, tr, err);
			continue;
		}
		st = run_cmd(s, rp, k, tr, in_atomic, err);
		if (!dm_status_is_success(st) || st == 304)
			worst = st;
		/* a rejected confirmation or an abort ends the sequence */
		if (st == 304 || rp->abort)
			stop = true;
	}
	return worst;
}

static unsigned run_atomic(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			   struct track *outer, enum mcx_err *err)
{
	struct dm_tree *snap = NULL;
	struct track tr = { NULL, 0, 0 };
	const struct dm_cmd *k;
	struct dm_cmd *ast;
	bool failed = false;
	unsigned st;
	size_t i;

	if (outer) {	/* Atomic in Atomic is not allowed (DM 1.2) */
		add_status(rp, c, DM_ST_FAILED, NULL, NULL, outer, err);
		return DM_ST_FAILED;
	}
	ast = add_status(rp, c, DM_ST_OK, NULL, NULL, NULL, err);
	if (*err)
		return DM_ST_FAILED;
	if (dm_tree_dup(s->t, &snap)) {
		if (ast)
			ast->code = DM_ST_DEVICE_FULL;
		return DM_ST_DEVICE_FULL;
	}
	for (k = c->children; k && !*err; k = k->next) {
		if (failed) {
			not_executed(rp, k, &tr, err);
			continue;
		}
		st = run_cmd(s, rp, k, &tr, true, err);
		if (!dm_status_is_success(st) || st == 304)
			failed = true;
	}
	if (failed) {
		dm_tree_swap(s->t, snap);	/* all or nothing */
		for (i = 0; i < tr.n; i++)
			if (tr.v[i]->code == DM_ST_OK)
				tr.v[i]->code = DM_ST_ATOMIC_ROLLBACK_OK;
		if (ast)
			ast->code = DM_ST_ATOMIC_FAILED;
	}
	dm_tree_free(snap);
	mcx_free(tr.v);
	return failed ? DM_ST_ATOMIC_FAILED : DM_ST_OK;
}

static unsigned run_cmd(struct dm_session *s, struct reply *rp, const struct dm_cmd *c,
			struct track *tr, bool in_atomic, enum mcx_err *err)
{
	switch (c->type) {
	case DM_CMD_ADD:
	case DM_CMD_REPLACE:
	case DM_CMD_DELETE:
	case DM_CMD_COPY:
	case DM_CMD_EXEC:
		return run_items(s, rp, c, tr, err);
	case DM_CMD_GET:
		if (in_atomic) {	/* Get has no place in an Atomic */
			add_status(rp, c, DM_ST_FAILED, NULL, NULL, tr, err);
			return DM_ST_FAILED;
		}
		return run_items(s, rp, c, tr, err);
	case DM_CMD_ALERT:
		return run_alert(s, rp, c, tr, err);
	case DM_CMD_SEQUENCE:
		return run_sequence(s, rp, c, tr, in_atomic, err);
	case DM_CMD_ATOMIC:
		return run_atomic(s, rp, c, in_atomic ? tr : NULL, err);
	case DM_CMD_STATUS:
	case DM_CMD_RESULTS:
		return DM_ST_OK;
	default:
		add_status(rp, c, DM_ST_OPTIONAL_NOT_SUPPORTED, NULL, NULL, tr, err);
		s->stats.cmds++;
		s->stats.failed++;
		return DM_ST_OPTIONAL_NOT_SUPPORTED;
	}
}

/* --- receiving --- */

/* Our statuses in front of a pending message the server asked for. */
static enum mcx_err prefix_statuses(const struct dm_msg *m, struct dm_msg *r, uint32_t *cid, unsigned hdr_code)
{
	const struct dm_cmd *c;
	struct dm_cmd *st = NULL;
	enum mcx_err err = dm_status_add(r, ++*cid, m->hdr.msg_id, 0, "SyncHdr", hdr_code, &st);

	if (!err && m->hdr.target)
		err = dm_ref_add(r, &st->target_refs, m->hdr.target);
	if (!err && m->hdr.source)
		err = dm_ref_add(r, &st->source_refs, m->hdr.source);
	for (c = m->cmds; c && !err; c = c->next)
		if (c->type == DM_CMD_ALERT && c->code == DM_ALERT_NEXT_MESSAGE && !c->no_resp)
			err = dm_status_add(r, ++*cid, m->hdr.msg_id, c->cmd_id, "Alert",
					    DM_ST_OK, NULL);
	return err;
}

/* Send the next part of a split package, after the statuses for m. */
static enum mcx_err send_next_part(struct dm_session *s, const struct dm_msg *m,
				   unsigned hdr_code)
{
	const struct dm_msg *part = s->pending[s->ipending++];
	const struct dm_cmd *c;
	struct dm_cmd *copy = NULL;
	struct dm_msg *r = NULL;
	uint32_t cid = 0;
	enum mcx_err err = new_msg(s, &r);

	if (!err)
		err = prefix_statuses(m, r, &cid, hdr_code);
	for (c = part->cmds; c && !err; c = c->next) {
		err = dm_cmd_copy(r, NULL, c, &copy);
		if (!err)
			copy->cmd_id = ++cid;
	}
	if (!err) {
		r->final = part->final;
		err = finish_hdr(s, r);
	}
	if (!err)
		err = emit(s, r);
	dm_msg_free(r);
	if (s->ipending == s->npending) {
		dm_split_free(s->pending, s->npending);
		s->pending = NULL;
		s->npending = s->ipending = 0;
	}
	return err;
}

/* Bytes the prefix statuses take, measured on m. */
static size_t prefix_size(struct dm_session *s, const struct dm_msg *m)
{
	struct dm_msg *r = NULL;
	struct mcx_buf b;
	const struct dm_cmd *c;
	uint32_t cid = 0;
	size_t n = 0;

	buf_init(&b, s->conf.msg_max);
	if (!dm_msg_alloc(&r, NULL) && !prefix_statuses(m, r, &cid, DM_ST_OK)) {
		if (!dm_alert_next_add(r, ++cid))	/* an asking server's Alert 1222 costs as much */
			for (c = r->cmds; c; c = c->next)
				if (!dm_cmd_emit(c, &b))
					n = b.len;
	}
	dm_msg_free(r);
	buf_reset(&b);
	return n + RESERVE_SLACK;
}

/* Send our answer r, split into messages of the server's MaxMsgSize. */
static enum mcx_err send_reply(struct dm_session *s, const struct dm_msg *m, struct dm_msg *r)
{
	struct mcx_buf b;
	enum mcx_err err = finish_hdr(s, r);
	size_t max = s->peer_max, reserve;
	char eb[200];

	if (err)
		return err;
	buf_init(&b, 4 * s->conf.msg_max + (1 << 20));
	err = dm_msg_emit(r, &b);
	if (!err && b.len <= max) {
		buf_reset(&b);
		return emit(s, r);
	}
	buf_reset(&b);
	if (err)
		return fail(s, err, "cannot encode our answer: %s", mcx_strerror(err));
	reserve = prefix_size(s, m);
	if (s->acc.cl_name)	/* a later part may need a Cred (after a 200) */
		reserve += CRED_RESERVE + strlen(s->acc.cl_name);
	if (reserve >= max / 2)
		reserve = max / 2;
	err = dm_split(r, max - reserve, NULL, &s->pending, &s->npending, eb, sizeof(eb));
	if (err)
		return fail(s, err, "cannot split our answer into %zu-byte messages: %s", max, eb);
	s->ipending = 1;
	s->msg_id--;	/* the first part goes out under the MsgID finish_hdr took */
	err = finish_hdr(s, s->pending[0]);
	if (!err)
		err = emit(s, s->pending[0]);
	if (s->npending == 1) {
		dm_split_free(s->pending, s->npending);
		s->pending = NULL;
		s->npending = s->ipending = 0;
	}
	return err;
}

static const struct dm_cmd *hdr_status(const struct dm_msg *m)
{
	const struct dm_cmd *c;

	for (c = m->cmds; c; c = c->next)
		if (c->type == DM_CMD_STATUS && c->has_cmd_ref && c->cmd_ref == 0)
			return c;
	return NULL;
}

/* The server's NextNonce for our next Cred; kept for the next session
 * only when the server proved who it is. */
static enum mcx_err take_nonce(struct dm_session *s, const struct dm_meta *chal)
{
	struct dm_nonce stored;
	char b64[B64_ENC_LEN(DM_NONCE_MAX)];
	enum mcx_err err;

	stored.len = (size_t)-1;
	if (!chal)
		return MCX_OK;
	err = dm_nonce_accept(chal, s->server_authed, &s->cl_use, &stored);
	if (err == MCX_ENOENT)
		return MCX_OK;
	if (err)
		return fail(s, err, "the server's NextNonce is not base64");
	if (stored.len == (size_t)-1)
		return MCX_OK;
	err = dm_nonce_to_b64(&stored, b64, sizeof(b64));
	if (!err)
		err = dm_account_store_nonce(s->t, &s->acc, false, b64);
	return err == MCX_ENOENT ? MCX_OK : err;
}

/* Our credentials in the server's eyes: MCX_OK to go on, MCX_EAGAIN-like
 * *restart when package 1 must be sent again. */
static enum mcx_err check_our_auth(struct dm_session *s, const struct dm_msg *m, bool *restart)
{
	const struct dm_cmd *st = hdr_status(m);
	enum mcx_err err;

	*restart = false;
	if (!st)
		return s->accepted ? MCX_OK :
		       fail(s, MCX_EINVAL, "the server did not answer our SyncHdr");
	err = take_nonce(s, st->chal);
	if (err)
		return err;
	switch (st->code) {
	case DM_ST_AUTH_ACCEPTED:
		s->accepted = true;
		s->cred_each = false;
		return MCX_OK;
	case DM_ST_OK:
		s->accepted = true;
		s->cred_each = s->acc.cl_name != NULL;	/* DM 1.2: send them again */
		return MCX_OK;
	case DM_ST_INVALID_CRED:
	case DM_ST_MISSING_CRED:
		if (s->accepted)
			return fail(s, MCX_EAUTH, "the server refused our credentials mid-session (%u)",
				    st->code);
		if (++s->tries > s->conf.auth_tries)
			return fail(s, MCX_EAUTH, "the server refused our credentials (%u %s) after "
				    "%u tries", st->code, dm_status_name(st->code), s->tries);
		s->stats.auth_retries++;
		*restart = true;
		return MCX_OK;
	default:
		return fail(s, MCX_EAUTH, "the server refused the session: status %u (%s)",
			    st->code, dm_status_name(st->code) ? dm_status_name(st->code) : "?");
	}
}

/* The server's credentials: the SyncHdr status we answer. */
static unsigned check_server_auth(struct dm_session *s, const struct dm_msg *m,
				  const uint8_t *body, size_t len, const char *hmac)
{
	struct dm_auth_policy pol = { DM_AUTH_MD5, false, s->acc.sv_name, s->acc.sv_secret,
				      &s->sv_nonce };
	enum mcx_err err;

	pol.tls = !strncmp(s->url, "https:", 6);
	if (hmac && s->acc.sv_name && s->acc.sv_secret) {
		err = dm_hmac_verify(hmac, strlen(hmac), s->acc.sv_name, s->acc.sv_secret,
				     &s->sv_nonce, body, len);
		if (err)
			return DM_ST_INVALID_CRED;
		s->server_authed = true;
		return DM_ST_OK;	/* HMAC: the SyncHdr status is 200 (DM Security 5.1.4) */
	}
	if (m->hdr.cred) {
		if (!s->acc.sv_name || !s->acc.sv_secret)
			return DM_ST_INVALID_CRED;	/* nothing to check them against */
		err = dm_auth_check(&m->hdr, &pol);
		if (err)
			return dm_auth_status(err);
		s->server_authed = true;
		return DM_ST_AUTH_ACCEPTED;
	}
	if (!s->server_authed && s->conf.require_server_auth)
		return DM_ST_MISSING_CRED;
	return DM_ST_OK;
}

/* A failed server authentication: a fresh nonce in a Chal, kept as the
 * account's SRVCRED AAuthData. */
static enum mcx_err challenge(struct dm_session *s, struct dm_msg *r, struct dm_cmd *st)
{
	char b64[B64_ENC_LEN(DM_NONCE_MAX)];
	enum mcx_err err = dm_nonce_fresh(&s->sv_nonce);

	if (!err)
		err = dm_auth_chal_set(r, st, DM_AUTH_MD5, &s->sv_nonce);
	if (!err)
		err = dm_nonce_to_b64(&s->sv_nonce, b64, sizeof(b64));
	if (!err) {
		err = dm_account_store_nonce(s->t, &s->acc, true, b64);
		if (err == MCX_ENOENT)
			err = MCX_OK;
	}
	return err;
}

static bool has_commands(const struct dm_msg *m)
{
	const struct dm_cmd *c;

	for (c = m->cmds; c; c = c->next)
		if (c->type != DM_CMD_STATUS && c->type != DM_CMD_RESULTS &&
		    !(c->type == DM_CMD_ALERT && c->code == DM_ALERT_NEXT_MESSAGE))
			return true;
	return false;
}

static enum mcx_err parse_msg(struct dm_session *s, const uint8_t *body, size_t len,
			      struct dm_msg **mp)
{
	struct dm_limits lim = *dm_limits_default();
	char eb[200];
	enum mcx_err err;

	lim.msg_max = s->conf.msg_max;
	lim.data_max = s->t->lim.value_max > lim.data_max ? s->t->lim.value_max : lim.data_max;
	if (len > s->conf.msg_max)
		return fail(s, MCX_ELIMIT, "the server's message is %zu bytes, over our MaxMsgSize "
			    "%zu", len, s->conf.msg_max);
	if (dm_is_wbxml(body, len))
		err = dm_msg_parse_wbxml(body, len, &lim, mp, eb, sizeof(eb));
	else
		err = dm_msg_parse((const char *)body, len, &lim, 0, mp, eb, sizeof(eb));
	if (err)
		return fail(s, err, "the server's message is malformed: %s", eb);
	return MCX_OK;
}

/* Alert 1225: a large object never got its last chunk. */
static enum mcx_err alert_1225(struct reply *rp, const char *target)
{
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_cmd_add(rp->r, NULL, DM_CMD_ALERT, ++rp->cid, &c);

	if (!err) {
		c->code = DM_ALERT_NO_END_OF_DATA;
		c->has_code = true;
		err = dm_item_add(rp->r, c, &it);
	}
	if (!err && target && *target)
		err = dm_set(rp->r, &it->target, target);
	return err;
}

/* Execute the commands of m into a reply. */
static enum mcx_err answer(struct dm_session *s, const struct dm_msg *m, unsigned hdr_code)
{
	struct reply rp = { NULL, m, 0, false };
	struct dm_cmd *st = NULL;
	const struct dm_cmd *c;
	enum mcx_err err = new_msg(s, &rp.r);
	bool cmds = has_commands(m);

	if (!err)
		err = prefix_statuses(m, rp.r, &rp.cid, hdr_code);
	st = rp.r ? rp.r->cmds : NULL;	/* the SyncHdr status */
	if (!err && (hdr_code == DM_ST_INVALID_CRED || hdr_code == DM_ST_MISSING_CRED)) {
		err = challenge(s, rp.r, st);
		/* the server is not who it says: none of its commands run */
		for (c = m->cmds; c && !err; c = c->next)
			if (c->type != DM_CMD_STATUS && c->type != DM_CMD_RESULTS &&
			    !(c->type == DM_CMD_ALERT && c->code == DM_ALERT_NEXT_MESSAGE))
				add_status(&rp, c, hdr_code, NULL, NULL, NULL, &err);
	} else {
		for (c = m->cmds; c && !err && !rp.abort; c = c->next)
			if (!(c->type == DM_CMD_ALERT && c->code == DM_ALERT_NEXT_MESSAGE))
				run_cmd(s, &rp, c, NULL, false, &err);
	}
	if (!err && dm_lobj_abandoned(s->lobj))
		err = alert_1225(&rp, dm_lobj_abandoned(s->lobj));
	if (!err && m->final && dm_lobj_pending(s->lobj)) {
		err = alert_1225(&rp, "");
	}
	if (err)
		goto out;
	if (rp.abort) {
		s->done = true;
		s->has_out = false;
		goto out;
	}
	if (!m->final)
		err = dm_alert_next_add(rp.r, ++rp.cid);	/* more of the server's package */
	else if (!cmds && hdr_code != DM_ST_INVALID_CRED && hdr_code != DM_ST_MISSING_CRED) {
		s->done = true;	/* package 4: nothing more to say */
		s->has_out = false;
		goto out;
	}
	if (!err) {
		rp.r->final = true;
		err = send_reply(s, m, rp.r);
	}
out:
	dm_msg_free(rp.r);
	return err;
}

enum mcx_err dm_session_feed(struct dm_session *s, const uint8_t *body, size_t len,
			     const char *ctype, const char *hmac)
{
	struct dm_msg *m = NULL;
	enum mcx_err err;
	unsigned hdr_code;
	bool restart;

	(void)ctype;
	if (s->done)
		return MCX_EINVAL;
	s->has_out = false;
	s->stats.msgs_in++;
	err = parse_msg(s, body, len, &m);
	if (err)
		return err;
	if (!m->hdr.session_id || strcmp(m->hdr.session_id, s->session_id)) {
		err = fail(s, MCX_EINVAL, "the server answered session '%s', ours is '%s'",
			   m->hdr.session_id ? m->hdr.session_id : "", s->session_id);
		goto out;
	}
	if (m->hdr.resp_uri && *m->hdr.resp_uri) {
		char *u = mcx_strdup(m->hdr.resp_uri);

		if (!u) {
			err = MCX_ENOMEM;
			goto out;
		}
		mcx_free(s->url);
		s->url = u;
	}
	s->peer_max = dm_max_msg_size(m, s->conf.msg_max);
	hdr_code = check_server_auth(s, m, body, len, hmac);
	err = check_our_auth(s, m, &restart);
	if (err)
		goto out;
	if (restart) {
		err = send_pkg1(s);
		goto out;
	}
	if (s->npending && s->ipending < s->npending) {
		if (!dm_msg_asks_next(m)) {
			err = fail(s, MCX_EINVAL, "the server did not ask for the rest of our package");
			goto out;
		}
		err = send_next_part(s, m, hdr_code);
		goto out;
	}
	err = answer(s, m, hdr_code);
out:
	dm_msg_free(m);
	if (err && !s->done)
		fail(s, err, "%s", mcx_strerror(err));
	return err;
}
