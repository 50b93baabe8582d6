/* The DM server session engine (server.h): authentication, the packages of
 * a session, the plan turned into Get/Add/Delete/Replace commands (in an
 * Atomic), split into messages the client's MaxMsgSize allows, and the
 * client's Statuses and Results read back into a report.
 *
 *   UE                                      server
 *   Pkg1 Alert 1201 + Replace DevInfo  -->  (DevId known? credentials?)
 *                                      <--  401/407 + Chal (fresh nonce)   [bad or none]
 *   Pkg1 again, new Cred               -->
 *                                      <--  212 + NextNonce, Get of what the plan touches
 *   Pkg3 Status + Results              -->
 *                                      <--  Atomic { Add/Delete/Replace ... } (one or more messages)
 *   Pkg3 Status (Alert 1222 if more)   -->
 *                                      <--  Status SyncHdr + Final: session over (Pkg4)
 *
 * From the 212 on, our messages carry our own Cred (the device's SRVCRED,
 * md5 on the nonce the UE gave us) until the UE answers 212. A 401/407
 * from the UE means it ran none of that message: we send it again with a
 * Cred on the NextNonce of its Chal (DM_SRV_AUTH_TRIES times, then the
 * session ends with 403).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dm/server.h"
#include "dm/split.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/wbxml.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "core/banned.h"

enum op_type { OP_ENSURE, OP_CLEAR, OP_PUT, OP_REPLACE, OP_GET };

struct op {
	enum op_type type;
	char *uri;
	char *ddf;		/* OP_PUT: DDF type of the subtree root */
	struct mo_tree *tree;	/* OP_PUT */
	char *value;		/* OP_REPLACE */
	/* discovery */
	unsigned get_status;
	char *children;		/* Results of the Get: "a/b/c" */
};

struct dm_plan {
	struct op *v;
	size_t n, cap;
	bool atomic;
};

/* One command on the wire. */
struct wop {
	enum dm_cmd_type cmd;
	char *uri;		/* owned */
	bool node;		/* Add of an interior node */
	const char *ddf;	/* borrowed from the plan */
	const char *value;	/* borrowed from the plan */
	size_t len;
	size_t group;		/* subtree it belongs to (Atomic fallback) */
	unsigned status;
};

enum mref { REF_DISC, REF_WOP, REF_ATOMIC };

struct map {
	uint32_t msg, cmd;
	enum mref kind;
	size_t idx;
};

enum sstate { S_AUTH, S_DISCOVER, S_SENDING };

struct sess {
	struct sess *next;
	char devid[DM_SRV_ID_MAX];
	char sid[64];
	char token[33];
	struct dm_srv_account acc;
	struct dm_nonce nonce;	/* what the client must use for its next Cred */
	unsigned tries;
	struct dm_nonce srv_nonce;	/* what our next Cred uses (the UE's last Chal) */
	bool srv_ok;		/* the UE accepted our Cred (212): no more needed */
	enum sstate st;
	uint32_t msg_id;	/* our next MsgID */
	size_t peer_max;
	struct dm_plan *plan;
	struct wop *w;
	size_t nw;
	struct dm_msg **out;	/* split package not yet all sent */
	size_t nout, iout;
	struct map *map;
	size_t nmap, capmap;
	struct dm_srv_report rep;
	uint64_t used;
};

/* The nonce each device must use next (after a success), remembered
 * across sessions (the nonce callback may persist it too), and the nonce
 * the device last gave us for our own Cred. In memory only: a restarted
 * server starts from the devices' accounts, and each side recovers with
 * one challenge. */
struct known {
	struct known *next;
	char devid[DM_SRV_ID_MAX];
	struct dm_nonce nonce;
	struct dm_nonce srv;
	bool has_nonce, has_srv;
};

struct dm_server {
	struct dm_server_opts o;
	struct known *known;
	size_t nknown;
	char *server_id;
	char *resp_uri;
	struct sess *sessions;
	size_t nsess;
	uint64_t clock;
	pthread_mutex_t mu;
};

/* ------------------------------------------------------------------ plan */

static enum mcx_err plan_alloc(struct dm_plan **pp)
{
	*pp = mcx_calloc(1, sizeof **pp);
	return *pp ? MCX_OK : MCX_ENOMEM;
}

static void plan_free(struct dm_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		mcx_free(p->v[i].uri);
		mcx_free(p->v[i].ddf);
		mo_tree_free(p->v[i].tree);
		mcx_free(p->v[i].value);
		mcx_free(p->v[i].children);
	}
	mcx_free(p->v);
	mcx_free(p);
}

void dm_plan_set_atomic(struct dm_plan *p, bool atomic)
{
	p->atomic = atomic;
}

static enum mcx_err plan_add(struct dm_plan *p, enum op_type t, const char *uri, struct op **opp)
{
	if (p->n >= DM_SRV_OPS_MAX)
		return MCX_ELIMIT;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct op *v = mcx_realloc(p->v, cap * sizeof *v);
		if (!v)
			return MCX_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	struct op *o = &p->v[p->n];
	memset(o, 0, sizeof *o);
	o->type = t;
	o->uri = mcx_strdup(uri);
	if (!o->uri)
		return MCX_ENOMEM;
	p->n++;
	*opp = o;
	return MCX_OK;
}

enum mcx_err dm_plan_ensure(struct dm_plan *p, const char *uri)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].type == OP_ENSURE && !strcmp(p->v[i].uri, uri))
			return MCX_OK;
	struct op *o;
	return plan_add(p, OP_ENSURE, uri, &o);
}

enum mcx_err dm_plan_clear(struct dm_plan *p, const char *uri)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].type == OP_CLEAR && !strcmp(p->v[i].uri, uri))
			return MCX_OK;
	struct op *o;
	return plan_add(p, OP_CLEAR, uri, &o);
}

static enum mcx_err tree_copy(const struct mo_tree *t, struct mo_tree **cp)
{
	enum mcx_err err = mo_tree_alloc(cp, t->kind, &t->lim);
	for (size_t i = 0; !err && i < t->n; i++)
		err = mo_tree_add(*cp, t->v[i].path, t->v[i].leaf, t->v[i].value, t->v[i].len);
	if (err) {
		mo_tree_free(*cp);
		*cp = NULL;
	}
	return err;
}

enum mcx_err dm_plan_put_tree(struct dm_plan *p, const char *uri, const char *type,
			      const struct mo_tree *t)
{
	struct op *o;
	enum mcx_err err = plan_add(p, OP_PUT, uri, &o);
	if (!err && type && !(o->ddf = mcx_strdup(type)))
		err = MCX_ENOMEM;
	if (!err)
		err = tree_copy(t, &o->tree);
	return err;
}

enum mcx_err dm_plan_put_mo(struct dm_plan *p, const char *instance, const struct mo_tree *t)
{
	const struct mo_map *m = mo_map_get(t->kind);
	char uri[512];
	if (!m)
		return MCX_EINVAL;
	const char *slash = strrchr(m->tree_root, '/');
	snprintf(uri, sizeof uri, "%.*s", (int)(slash - m->tree_root), m->tree_root);
	enum mcx_err err = dm_plan_ensure(p, uri);
	if (!err)
		err = dm_plan_ensure(p, m->tree_root);
	if (snprintf(uri, sizeof uri, "%s/%s", m->tree_root, instance) >= (int)sizeof uri)
		return MCX_ELIMIT;
	return err ? err : dm_plan_put_tree(p, uri, m->urn, t);
}

enum mcx_err dm_plan_replace(struct dm_plan *p, const char *uri, const char *value)
{
	struct op *o;
	enum mcx_err err = plan_add(p, OP_REPLACE, uri, &o);
	if (!err && !(o->value = mcx_strdup(value)))
		err = MCX_ENOMEM;
	return err;
}

enum mcx_err dm_plan_get(struct dm_plan *p, const char *uri)
{
	struct op *o;
	return plan_add(p, OP_GET, uri, &o);
}

enum mcx_err dm_plan_delegate(struct dm_plan *p, const struct dm_delegate *d)
{
	struct mo_tree *t;
	char uri[512];
	enum mcx_err err = mo_tree_alloc(&t, MO_UE_CONFIG, NULL);
	if (err)
		return err;
#define LEAF(path, v) do { if (!err) err = mo_tree_add(t, path, true, v, strlen(v)); } while (0)
#define NODE(path) do { if (!err) err = mo_tree_add(t, path, false, NULL, 0); } while (0)
	LEAF("AppID", "w7");
	LEAF("ServerID", d->server_id);
	LEAF("Name", d->server_id);
	NODE("AppAddr");
	NODE("AppAddr/1");
	LEAF("AppAddr/1/Addr", d->addr);
	LEAF("AppAddr/1/AddrType", "URI");
	NODE("AppAuth");
	NODE("AppAuth/1");
	LEAF("AppAuth/1/AAuthLevel", "CLCRED");
	LEAF("AppAuth/1/AAuthType", "DIGEST");
	LEAF("AppAuth/1/AAuthName", d->client_user);
	LEAF("AppAuth/1/AAuthSecret", d->client_secret);
	NODE("AppAuth/2");
	LEAF("AppAuth/2/AAuthLevel", "SRVCRED");
	LEAF("AppAuth/2/AAuthType", "DIGEST");
	LEAF("AppAuth/2/AAuthName", d->server_user);
	LEAF("AppAuth/2/AAuthSecret", d->server_secret);
#undef LEAF
#undef NODE
	if (!err && snprintf(uri, sizeof uri, "./DMAcc/%s", d->acc) >= (int)sizeof uri)
		err = MCX_ELIMIT;
	if (!err)
		err = dm_plan_put_tree(p, uri, "org.openmobilealliance/1.0/w7", t);
	mo_tree_free(t);
	/* the delegate may read ./MCPTT (its sessions look for the MO roots
	 * there) and manage the MCPTT MOs; the owner keeps ./MCPTT and reads
	 * the MOs */
	char acl[3 * DM_SRV_ID_MAX + 64];
	if (!err)
		err = dm_plan_ensure(p, "./MCPTT");
	snprintf(acl, sizeof acl, "Add=%s&Delete=%s&Get=%s+%s&Replace=%s", d->owner_id, d->owner_id,
		 d->owner_id, d->server_id, d->owner_id);
	if (!err)
		err = dm_plan_replace(p, "./MCPTT?prop=ACL", acl);
	for (int k = 0; !err && k < MO_KIND_COUNT; k++) {
		err = dm_plan_ensure(p, mo_maps[k].tree_root);
		snprintf(uri, sizeof uri, "%s?prop=ACL", mo_maps[k].tree_root);
		snprintf(acl, sizeof acl, "Add=%s&Delete=%s&Get=%s+%s&Replace=%s", d->server_id,
			 d->server_id, d->owner_id, d->server_id, d->server_id);
		if (!err)
			err = dm_plan_replace(p, uri, acl);
	}
	return err;
}

/* ---------------------------------------------------------------- server */

enum mcx_err dm_server_alloc(struct dm_server **sp, const struct dm_server_opts *o)
{
	if (!o || !o->server_id || !o->account || !o->plan)
		return MCX_EINVAL;
	struct dm_server *s = mcx_calloc(1, sizeof *s);
	if (!s)
		return MCX_ENOMEM;
	s->o = *o;
	if (!s->o.max_msg)
		s->o.max_msg = DM_SRV_MAXMSG_DEFAULT;
	if (!s->o.sessions_max)
		s->o.sessions_max = DM_SRV_SESSIONS_MAX_DEFAULT;
	s->server_id = mcx_strdup(o->server_id);
	s->resp_uri = o->resp_uri ? mcx_strdup(o->resp_uri) : NULL;
	if (!s->server_id || (o->resp_uri && !s->resp_uri) || pthread_mutex_init(&s->mu, NULL)) {
		mcx_free(s->server_id);
		mcx_free(s->resp_uri);
		mcx_free(s);
		return MCX_ENOMEM;
	}
	s->o.server_id = s->server_id;
	s->o.resp_uri = s->resp_uri;
	*sp = s;
	return MCX_OK;
}

static void sess_free(struct sess *se)
{
	plan_free(se->plan);
	for (size_t i = 0; i < se->nw; i++)
		mcx_free(se->w[i].uri);
	mcx_free(se->w);
	dm_split_free(se->out, se->nout);
	mcx_free(se->map);
	mcx_free(se);
}

void dm_server_free(struct dm_server *s)
{
	if (!s)
		return;
	while (s->sessions) {
		struct sess *n = s->sessions->next;
		sess_free(s->sessions);
		s->sessions = n;
	}
	while (s->known) {
		struct known *n = s->known->next;
		mcx_free(s->known);
		s->known = n;
	}
	pthread_mutex_destroy(&s->mu);
	mcx_free(s->server_id);
	mcx_free(s->resp_uri);
	mcx_free(s);
}

size_t dm_server_sessions(struct dm_server *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nsess;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void sess_remove(struct dm_server *s, struct sess *se)
{
	for (struct sess **pp = &s->sessions; *pp; pp = &(*pp)->next)
		if (*pp == se) {
			*pp = se->next;
			s->nsess--;
			break;
		}
	sess_free(se);
}

static void report(struct dm_server *s, struct sess *se)
{
	if (s->o.done)
		s->o.done(s->o.arg, &se->rep);
}

/* ------------------------------------------------------------- messages */

static enum mcx_err reply_init(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			       struct dm_msg **rp)
{
	struct dm_msg *r;
	enum mcx_err err = dm_msg_alloc(&r, s->o.lim);
	if (err)
		return err;
	err = dm_hdr_init(r, req->hdr.session_id ? req->hdr.session_id : "0",
			  se ? se->msg_id++ : 1, req->hdr.source, s->o.server_id);
	if (!err && se && s->o.resp_uri) {
		char u[1024];
		snprintf(u, sizeof u, "%s%ss=%s", s->o.resp_uri,
			 strchr(s->o.resp_uri, '?') ? "&" : "?", se->token);
		err = dm_set(r, &r->hdr.resp_uri, u);
	}
	if (!err)
		err = dm_meta_get(r, &r->hdr.meta);
	if (!err) {
		r->hdr.meta->max_msg_size = s->o.max_msg;
		r->hdr.meta->has |= DM_META_MAXMSGSIZE;
	}
	if (err) {
		dm_msg_free(r);
		return err;
	}
	*rp = r;
	return MCX_OK;
}

static uint32_t next_cmd_id(const struct dm_msg *m)
{
	uint32_t id = 0;
	for (const struct dm_cmd *c = m->cmds; c; c = c->next)
		if (c->cmd_id > id)
			id = c->cmd_id;
	return id + 1;
}

/* Status for the SyncHdr (with a Chal when chal) and, unless hdr_only,
 * for every command of req that wants one. */
static enum mcx_err add_statuses(struct dm_msg *r, const struct dm_msg *req, unsigned hdr_code,
				 const struct dm_nonce *chal, unsigned cmd_code, bool hdr_only)
{
	struct dm_cmd *st;
	enum mcx_err err = dm_status_add(r, next_cmd_id(r), req->hdr.msg_id, 0, "SyncHdr", hdr_code,
					 &st);
	if (!err && req->hdr.target)
		err = dm_ref_add(r, &st->target_refs, req->hdr.target);
	if (!err && req->hdr.source)
		err = dm_ref_add(r, &st->source_refs, req->hdr.source);
	if (!err && chal)
		err = dm_auth_chal_set(r, st, DM_AUTH_MD5, chal);
	for (const struct dm_cmd *c = req->cmds; !err && !hdr_only && c; c = c->next) {
		if (c->type == DM_CMD_STATUS || c->type == DM_CMD_RESULTS || c->no_resp)
			continue;
		err = dm_status_add(r, next_cmd_id(r), req->hdr.msg_id, c->cmd_id,
				    c->type == DM_CMD_UNKNOWN ? c->name : dm_cmd_name(c->type),
				    c->type == DM_CMD_UNKNOWN ? DM_ST_OPTIONAL_NOT_SUPPORTED : cmd_code,
				    &st);
	}
	return err;
}

static enum mcx_err emit(const struct dm_msg *m, bool wbxml, struct mcx_buf *out)
{
	char eb[200];
	return wbxml ? dm_msg_emit_wbxml(m, NULL, out, eb, sizeof eb) : dm_msg_emit(m, out);
}

/* Our credentials to the UE (the device's SRVCRED) in m's header, until
 * the UE accepted them with a 212 (a 200 asks for them again, DM 1.2);
 * none when the device has no server secret. */
static enum mcx_err sign(struct dm_server *s, struct sess *se, struct dm_msg *m)
{
	m->hdr.cred = NULL;
	m->hdr.source_name = NULL;
	if (!se->acc.srv_secret[0] || se->srv_ok)
		return MCX_OK;
	se->rep.srv_cred = true;
	return dm_auth_cred_set(m, DM_AUTH_MD5, se->acc.srv_user[0] ? se->acc.srv_user
								     : s->o.server_id,
				se->acc.srv_secret, &se->srv_nonce);
}

static enum mcx_err emit_signed(struct dm_server *s, struct sess *se, struct dm_msg *m, bool wbxml,
				struct mcx_buf *out)
{
	enum mcx_err err = sign(s, se, m);
	return err ? err : emit(m, wbxml, out);
}

static enum mcx_err map_add(struct sess *se, uint32_t msg, uint32_t cmd, enum mref kind, size_t idx)
{
	if (se->nmap == se->capmap) {
		size_t cap = se->capmap ? se->capmap * 2 : 64;
		struct map *v = mcx_realloc(se->map, cap * sizeof *v);
		if (!v)
			return MCX_ENOMEM;
		se->map = v;
		se->capmap = cap;
	}
	se->map[se->nmap++] = (struct map){msg, cmd, kind, idx};
	return MCX_OK;
}

static const struct map *map_find(const struct sess *se, uint32_t msg, uint32_t cmd)
{
	for (size_t i = se->nmap; i-- > 0;)
		if (se->map[i].msg == msg && se->map[i].cmd == cmd)
			return &se->map[i];
	return NULL;
}

/* Record what each command of the split messages stands for. */
static enum mcx_err map_messages(struct sess *se, enum mref kind)
{
	size_t idx = 0;
	enum mcx_err err = MCX_OK;
	for (size_t i = 0; i < se->nout && !err; i++) {
		const struct dm_msg *m = se->out[i];
		for (const struct dm_cmd *c = m->cmds; c && !err; c = c->next) {
			if (c->type == DM_CMD_STATUS)
				continue;
			if (c->type == DM_CMD_ATOMIC) {
				err = map_add(se, m->hdr.msg_id, c->cmd_id, REF_ATOMIC, 0);
				for (const struct dm_cmd *k = c->children; k && !err; k = k->next)
					err = map_add(se, m->hdr.msg_id, k->cmd_id, kind, idx++);
				continue;
			}
			err = map_add(se, m->hdr.msg_id, c->cmd_id, kind, idx);
			if (!(c->items && c->items->more_data))
				idx++;
		}
	}
	return err;
}

/* Split full into the session's outgoing messages (MsgIDs continue ours). */
static enum mcx_err split_out(struct dm_server *s, struct sess *se, struct dm_msg *full,
			      char *errbuf, size_t errlen)
{
	size_t max = se->peer_max > 512 ? se->peer_max - 256 : se->peer_max;
	dm_split_free(se->out, se->nout);
	se->out = NULL;
	se->nout = se->iout = 0;
	full->hdr.msg_id = se->msg_id;
	enum mcx_err err = sign(s, se, full);	/* the messages are sized with our Cred */
	if (!err)
		err = dm_split(full, max, s->o.lim, &se->out, &se->nout, errbuf, errlen);
	if (!err)
		se->msg_id += (uint32_t)se->nout;
	return err;
}

/* ---------------------------------------------------------------- rounds */

static enum mcx_err item_add(struct dm_msg *m, struct dm_cmd *c, const char *uri, const char *fmt,
			     const char *type, const char *value, size_t len)
{
	struct dm_item *it;
	enum mcx_err err = dm_item_add(m, c, &it);
	if (!err)
		err = dm_set(m, &it->target, uri);
	if (!err && (fmt || type)) {
		err = dm_meta_get(m, &it->meta);
		if (!err && fmt)
			err = dm_set(m, &it->meta->format, fmt);
		if (!err && type)
			err = dm_set(m, &it->meta->type, type);
	}
	if (!err && value)
		err = dm_data_set(m, &it->data, DM_DATA_TEXT, value, len);
	return err;
}

static struct known *known_find(struct dm_server *s, const char *devid)
{
	for (struct known *k = s->known; k; k = k->next)
		if (!strcmp(k->devid, devid))
			return k;
	return NULL;
}

/* Best effort: when memory or the bound runs out, the device's account
 * nonce is used and the peer recovers through one 401 challenge. srv: n is
 * the nonce for our Cred, else the one the client must use. */
static void remember(struct dm_server *s, const char *devid, const struct dm_nonce *n, bool srv)
{
	struct known *k = known_find(s, devid);
	if (!k && s->nknown < DM_SRV_DEVICES_MAX && (k = mcx_calloc(1, sizeof *k))) {
		snprintf(k->devid, sizeof k->devid, "%s", devid);
		k->next = s->known;
		s->known = k;
		s->nknown++;
	}
	if (k && srv) {
		k->srv = *n;
		k->has_srv = true;
	} else if (k) {
		k->nonce = *n;
		k->has_nonce = true;
	}
}

/* Package 2, first half: Get every node the plan touches. */
static enum mcx_err build_discovery(struct dm_server *s, struct sess *se, const struct dm_msg *req,
				    struct mcx_buf *reply, bool wbxml, char *errbuf, size_t errlen)
{
	struct dm_msg *full;
	enum mcx_err err = reply_init(s, se, req, &full);
	if (err)
		return err;
	se->msg_id--;	/* split_out numbers the messages */
	struct dm_nonce next;
	err = dm_nonce_fresh(&next);
	if (!err)
		err = add_statuses(full, req, DM_ST_AUTH_ACCEPTED, &next, DM_ST_OK, false);
	for (size_t i = 0; !err && i < se->plan->n; i++) {
		struct op *o = &se->plan->v[i];
		if (o->type == OP_REPLACE || o->type == OP_GET)
			continue;
		struct dm_cmd *c;
		err = dm_cmd_add(full, NULL, DM_CMD_GET, next_cmd_id(full), &c);
		if (!err)
			err = item_add(full, c, o->uri, NULL, NULL, NULL, 0);
	}
	full->final = true;
	if (!err)
		err = split_out(s, se, full, errbuf, errlen);
	dm_msg_free(full);
	if (!err)
		err = map_messages(se, REF_DISC);
	if (err)
		return err;
	/* the nonce rotates: the next session's Cred uses next */
	se->nonce = next;
	remember(s, se->devid, &next, false);
	if (s->o.nonce)
		s->o.nonce(s->o.arg, se->devid, &next);
	se->st = S_DISCOVER;
	return emit_signed(s, se, se->out[se->iout++], wbxml, reply);
}

static enum mcx_err wop_add(struct sess *se, size_t *cap, enum dm_cmd_type cmd, const char *uri,
			    bool node, const char *ddf, const char *value, size_t len, size_t group)
{
	if (se->nw >= DM_SRV_OPS_MAX)
		return MCX_ELIMIT;
	if (se->nw == *cap) {
		size_t c2 = *cap ? *cap * 2 : 64;
		struct wop *v = mcx_realloc(se->w, c2 * sizeof *v);
		if (!v)
			return MCX_ENOMEM;
		se->w = v;
		*cap = c2;
	}
	char *u = mcx_strdup(uri);
	if (!u)
		return MCX_ENOMEM;
	se->w[se->nw++] = (struct wop){cmd, u, node, ddf, value, len, group, 0};
	return MCX_OK;
}

static bool deleted(const struct sess *se, const char *uri)
{
	for (size_t i = 0; i < se->nw; i++)
		if (se->w[i].cmd == DM_CMD_DELETE && !strcmp(se->w[i].uri, uri))
			return true;
	return false;
}

/* The plan, now that we know what exists, as wire commands. */
static enum mcx_err expand(struct sess *se)
{
	size_t cap = 0, group = 0, puts = 0;
	enum mcx_err err = MCX_OK;
	for (size_t i = 0; i < se->plan->n; i++)
		puts += se->plan->v[i].type == OP_PUT;
	char uri[MO_PATH_MAX + 512];
	for (size_t i = 0; !err && i < se->plan->n; i++) {
		const struct op *o = &se->plan->v[i];
		bool exists = dm_status_is_success(o->get_status);
		/* an op goes with the subtree that follows it (the last after all) */
		size_t g = group < puts ? group + 1 : group;
		switch (o->type) {
		case OP_ENSURE:
			if (!exists)
				err = wop_add(se, &cap, DM_CMD_ADD, o->uri, true, NULL, NULL, 0, g);
			break;
		case OP_CLEAR:
			for (const char *p = exists ? o->children : NULL; !err && p && *p;) {
				const char *e = strchr(p, '/');
				size_t l = e ? (size_t)(e - p) : strlen(p);
				snprintf(uri, sizeof uri, "%s/%.*s", o->uri, (int)l, p);
				if (l)
					err = wop_add(se, &cap, DM_CMD_DELETE, uri, false, NULL, NULL, 0,
						      g);
				p += l + (e ? 1 : 0);
			}
			break;
		case OP_PUT:
			group++;
			if (exists && !deleted(se, o->uri))
				err = wop_add(se, &cap, DM_CMD_DELETE, o->uri, false, NULL, NULL, 0,
					      group);
			if (!err)
				err = wop_add(se, &cap, DM_CMD_ADD, o->uri, true, o->ddf, NULL, 0, group);
			for (size_t k = 0; !err && k < o->tree->n; k++) {
				const struct mo_node *nd = &o->tree->v[k];
				if (snprintf(uri, sizeof uri, "%s/%s", o->uri, nd->path) >=
				    (int)sizeof uri)
					return MCX_ELIMIT;
				err = wop_add(se, &cap, DM_CMD_ADD, uri, !nd->leaf, NULL, nd->value,
					      nd->len, group);
			}
			break;
		case OP_REPLACE:
			err = wop_add(se, &cap, DM_CMD_REPLACE, o->uri, false, NULL, o->value,
				      strlen(o->value), g);
			break;
		case OP_GET:
			err = wop_add(se, &cap, DM_CMD_GET, o->uri, false, NULL, NULL, 0, g);
			break;
		}
	}
	/* Get may not go inside an Atomic: the Gets go last, outside */
	for (size_t i = 0, w = 0; !err && i < se->nw; i++) {
		if (se->w[i].cmd == DM_CMD_GET)
			continue;
		struct wop tmp = se->w[i];
		memmove(&se->w[w + 1], &se->w[w], (i - w) * sizeof tmp);
		se->w[w++] = tmp;
	}
	se->rep.ops = se->nw;
	return err;
}

/* mode 0: one Atomic; 1: one per group; 2: none. */
static enum mcx_err build_plan_msg(struct dm_server *s, struct sess *se, const struct dm_msg *req,
				   int mode, struct dm_msg **fp)
{
	struct dm_msg *full;
	enum mcx_err err = reply_init(s, se, req, &full);
	if (err)
		return err;
	se->msg_id--;
	err = add_statuses(full, req, DM_ST_OK, NULL, DM_ST_OK, false);
	struct dm_cmd *atomic = NULL;
	size_t cur_group = SIZE_MAX;
	uint32_t id = next_cmd_id(full);
	for (size_t i = 0; !err && i < se->nw; i++) {
		const struct wop *w = &se->w[i];
		if (w->cmd == DM_CMD_GET) {
			atomic = NULL;
		} else if (se->plan->atomic && mode < 2 &&
			   (!atomic || (mode == 1 && w->group != cur_group))) {
			err = dm_cmd_add(full, NULL, DM_CMD_ATOMIC, id++, &atomic);
			cur_group = w->group;
			if (err)
				break;
		}
		struct dm_cmd *c;
		err = dm_cmd_add(full, atomic, w->cmd, id++, &c);	/* dm_split renumbers */
		if (err)
			break;
		if (w->cmd == DM_CMD_DELETE || w->cmd == DM_CMD_GET)
			err = item_add(full, c, w->uri, NULL, NULL, NULL, 0);
		else if (w->node)
			err = item_add(full, c, w->uri, "node", w->ddf, NULL, 0);
		else
			err = item_add(full, c, w->uri, "chr", NULL, w->value ? w->value : "",
				       w->value ? w->len : 0);
	}
	full->final = true;
	if (err) {
		dm_msg_free(full);
		return err;
	}
	*fp = full;
	return MCX_OK;
}

static enum mcx_err send_plan(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			      struct mcx_buf *reply, bool wbxml, char *errbuf, size_t errlen)
{
	enum mcx_err err = expand(se);
	int mode = 0;
	for (; !err && mode < 3; mode++) {
		struct dm_msg *full = NULL;
		err = build_plan_msg(s, se, req, mode, &full);
		if (!err)
			err = split_out(s, se, full, errbuf, errlen);
		dm_msg_free(full);
		if (err != MCX_ELIMIT || !se->plan->atomic)
			break;
		err = MCX_OK;	/* the Atomic does not fit: try smaller ones */
	}
	if (err)
		return err;
	if (mode > 0 && se->plan->atomic)
		snprintf(se->rep.why, sizeof se->rep.why, "%s",
			 mode == 1 ? "one Atomic per subtree (MaxMsgSize too small for one)"
				   : "no Atomic (a subtree alone exceeds the MaxMsgSize)");
	se->nmap = 0;
	err = map_messages(se, REF_WOP);
	if (err)
		return err;
	se->st = S_SENDING;
	return emit_signed(s, se, se->out[se->iout++], wbxml, reply);
}

/* Our next pending message, with the statuses for req put first (their
 * CmdIDs after the message's own: CmdIDs need only be unique). again: the
 * message is sent a second time (the UE refused our Cred on it): its old
 * Statuses are left out, and ours say 212 with the client's NextNonce
 * again (it keeps a NextNonce only from a server it authenticated). */
static enum mcx_err send_next(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			      struct mcx_buf *reply, bool wbxml, bool again)
{
	const struct dm_msg *p = se->out[se->iout++];
	struct dm_msg *r;
	enum mcx_err err = dm_msg_alloc(&r, s->o.lim);
	if (err)
		return err;
	err = dm_hdr_copy(r, &p->hdr);
	if (!err)
		err = add_statuses(r, req, again ? DM_ST_AUTH_ACCEPTED : DM_ST_OK,
				   again ? &se->nonce : NULL, DM_ST_OK, false);
	uint32_t id = next_cmd_id(p);
	for (struct dm_cmd *c = r->cmds; !err && c; c = c->next)
		c->cmd_id = id++;
	for (const struct dm_cmd *c = p->cmds; !err && c; c = c->next)
		if (!(again && c->type == DM_CMD_STATUS))
			err = dm_cmd_copy(r, NULL, c, NULL);
	r->final = p->final;
	if (!err)
		err = emit_signed(s, se, r, wbxml, reply);
	dm_msg_free(r);
	return err;
}

/* The UE ran none of our last message (it refused our Cred): that message
 * again, and the ones still to come after it, under new MsgIDs (the map
 * follows), the Cred on the nonce of the UE's Chal. */
static enum mcx_err send_again(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			       struct mcx_buf *reply, bool wbxml)
{
	size_t first = se->iout - 1;
	for (size_t i = first; i < se->nout; i++) {
		uint32_t old = se->out[i]->hdr.msg_id, id = se->msg_id++;
		for (size_t k = 0; k < se->nmap; k++)
			if (se->map[k].msg == old)
				se->map[k].msg = id;
		se->out[i]->hdr.msg_id = id;
	}
	se->iout = first;
	return send_next(s, se, req, reply, wbxml, true);
}

/* Package 4: only statuses, Final: the session is over. */
static enum mcx_err send_end(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			     struct mcx_buf *reply, bool wbxml)
{
	struct dm_msg *r;
	enum mcx_err err = reply_init(s, se, req, &r);
	if (!err)
		err = add_statuses(r, req, DM_ST_OK, NULL, DM_ST_OK, false);
	if (!err) {
		r->final = true;
		err = emit_signed(s, se, r, wbxml, reply);
	}
	dm_msg_free(r);
	return err;
}

static enum mcx_err send_more(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			      struct mcx_buf *reply, bool wbxml)
{
	struct dm_msg *r;
	enum mcx_err err = reply_init(s, se, req, &r);
	if (!err)
		err = add_statuses(r, req, DM_ST_OK, NULL, DM_ST_OK, false);
	if (!err)
		err = dm_alert_next_add(r, next_cmd_id(r));
	if (!err)
		err = emit_signed(s, se, r, wbxml, reply);
	dm_msg_free(r);
	return err;
}

/* Statuses and Results of the client for our commands. */
static void absorb(struct sess *se, const struct dm_msg *req)
{
	for (const struct dm_cmd *c = req->cmds; c; c = c->next) {
		if ((c->type != DM_CMD_STATUS && c->type != DM_CMD_RESULTS) || !c->has_cmd_ref ||
		    !c->cmd_ref)
			continue;
		uint32_t mref = c->has_msg_ref ? c->msg_ref : req->hdr.msg_id;
		const struct map *m = map_find(se, mref, c->cmd_ref);
		if (!m)
			continue;
		if (c->type == DM_CMD_RESULTS) {
			se->rep.results += dm_cmd_count_items(c);
			if (m->kind == REF_DISC) {
				/* the op behind the n-th discovery Get */
				size_t n = 0;
				for (size_t i = 0; i < se->plan->n; i++) {
					struct op *o = &se->plan->v[i];
					if (o->type == OP_REPLACE || o->type == OP_GET)
						continue;
					if (n++ == m->idx && c->items && c->items->data) {
						mcx_free(o->children);
						o->children = mcx_strndup(c->items->data->p,
									  c->items->data->len);
					}
				}
			}
			continue;
		}
		if (!c->has_code)
			continue;
		if (m->kind == REF_ATOMIC) {
			se->rep.atomic = c->code;
		} else if (m->kind == REF_WOP && m->idx < se->nw) {
			se->w[m->idx].status = c->code;
		} else if (m->kind == REF_DISC) {
			size_t n = 0;
			for (size_t i = 0; i < se->plan->n; i++) {
				struct op *o = &se->plan->v[i];
				if (o->type == OP_REPLACE || o->type == OP_GET)
					continue;
				if (n++ == m->idx)
					o->get_status = c->code;
			}
		}
	}
}

static void finish_report(struct sess *se)
{
	se->rep.ops_ok = 0;
	for (size_t i = 0; i < se->nw; i++) {
		if (dm_status_is_success(se->w[i].status)) {
			se->rep.ops_ok++;
		} else if (!se->rep.fail_code) {
			se->rep.fail_code = se->w[i].status;
			snprintf(se->rep.fail_uri, sizeof se->rep.fail_uri, "%s", se->w[i].uri);
		}
	}
	se->rep.ok = se->rep.ops_ok == se->nw &&
		     (!se->rep.atomic || dm_status_is_success(se->rep.atomic));
}

/* ------------------------------------------------------------- handling */

/* The UE's SyncHdr Status for our last message. A NextNonce in its Chal is
 * the nonce of our next Cred (kept for the device's next sessions too: the
 * UE is authenticated by now); 212 means it accepted our Cred; 401/407 that
 * it refused it (or wants one) and ran none of our commands: that code is
 * returned, else 0. */
static unsigned their_verdict(struct dm_server *s, struct sess *se, const struct dm_msg *req)
{
	const struct dm_cmd *st = NULL;
	for (const struct dm_cmd *c = req->cmds; c && !st; c = c->next)
		if (c->type == DM_CMD_STATUS && c->has_cmd_ref && !c->cmd_ref && c->has_code)
			st = c;
	if (!st)
		return 0;
	struct dm_nonce n;
	if (st->chal && st->chal->next_nonce && !dm_nonce_from_b64(&n, st->chal->next_nonce)) {
		se->srv_nonce = n;
		remember(s, se->devid, &n, true);
	}
	if (st->code == DM_ST_AUTH_ACCEPTED && se->rep.srv_cred)
		se->srv_ok = se->rep.srv_accepted = true;
	if (st->code != DM_ST_INVALID_CRED && st->code != DM_ST_MISSING_CRED)
		return 0;
	se->rep.srv_challenges++;
	return st->code;
}

/* The UE keeps refusing our credentials, or wants some and the device has
 * none: the session ends (403 on its message), reported as refused with
 * the UE's code. */
static enum mcx_err give_up(struct dm_server *s, struct sess *se, const struct dm_msg *req,
			    unsigned code, bool wbxml, struct mcx_buf *reply)
{
	struct dm_msg *r;
	enum mcx_err err = reply_init(s, se, req, &r);
	if (!err)
		err = add_statuses(r, req, DM_ST_FORBIDDEN, NULL, DM_ST_OK, true);
	if (!err) {
		r->final = true;
		err = emit(r, wbxml, reply);
	}
	dm_msg_free(r);
	finish_report(se);
	se->rep.ok = false;
	se->rep.refused = code;
	if (se->acc.srv_secret[0])
		snprintf(se->rep.why, sizeof se->rep.why,
			 "the UE refused the server's credentials %u times (last %u): check the "
			 "SRVCRED of its DMAcc for %.64s", se->rep.srv_challenges, code,
			 se->acc.srv_user[0] ? se->acc.srv_user : s->o.server_id);
	else
		snprintf(se->rep.why, sizeof se->rep.why,
			 "the UE requires the server to authenticate (%u) and this device has no "
			 "server credentials (SRVCRED secret)", code);
	report(s, se);
	sess_remove(s, se);
	return err;
}

static struct sess *sess_find(struct dm_server *s, const char *devid, const char *sid)
{
	for (struct sess *se = s->sessions; se; se = se->next)
		if (!strcmp(se->devid, devid) && !strcmp(se->sid, sid))
			return se;
	return NULL;
}

static struct sess *sess_by_token(struct dm_server *s, const char *token)
{
	for (struct sess *se = s->sessions; token && se; se = se->next)
		if (!strcmp(se->token, token))
			return se;
	return NULL;
}

static enum mcx_err refuse(struct dm_server *s, const struct dm_msg *req, unsigned code,
			   const struct dm_nonce *chal, bool wbxml, struct mcx_buf *reply,
			   const char *why)
{
	struct dm_msg *r;
	enum mcx_err err = reply_init(s, NULL, req, &r);
	if (!err)
		err = add_statuses(r, req, code, chal, DM_ST_OK, true);
	if (!err) {
		r->final = true;
		err = emit(r, wbxml, reply);
	}
	dm_msg_free(r);
	if (s->o.done && !chal) {
		struct dm_srv_report rep;
		memset(&rep, 0, sizeof rep);
		snprintf(rep.devid, sizeof rep.devid, "%s", req->hdr.source ? req->hdr.source : "");
		snprintf(rep.session_id, sizeof rep.session_id, "%s",
			 req->hdr.session_id ? req->hdr.session_id : "");
		rep.refused = code;
		snprintf(rep.why, sizeof rep.why, "%s", why);
		s->o.done(s->o.arg, &rep);
	}
	return err;
}

/* The DevId the client states in its package 1 (./DevInfo/DevId), or NULL. */
static const char *devinfo_devid(const struct dm_msg *m)
{
	for (const struct dm_cmd *c = m->cmds; c; c = c->next) {
		if (c->type != DM_CMD_REPLACE)
			continue;
		for (const struct dm_item *it = c->items; it; it = it->next) {
			const char *u = it->source ? it->source : it->target;
			if (u && (!strcmp(u, "./DevInfo/DevId") || !strcmp(u, "DevInfo/DevId")) &&
			    it->data)
				return it->data->p;
		}
	}
	return NULL;
}

static bool has_alert(const struct dm_msg *m, unsigned code)
{
	for (const struct dm_cmd *c = m->cmds; c; c = c->next)
		if (c->type == DM_CMD_ALERT && c->has_code && c->code == code)
			return true;
	return false;
}

static enum mcx_err new_session(struct dm_server *s, const struct dm_msg *req, struct sess **sep,
				struct dm_srv_account *acc)
{
	if (s->nsess >= s->o.sessions_max) {	/* drop the least recently used */
		struct sess *old = s->sessions;
		for (struct sess *se = s->sessions; se; se = se->next)
			if (se->used < old->used)
				old = se;
		sess_remove(s, old);
	}
	struct sess *se = mcx_calloc(1, sizeof *se);
	if (!se)
		return MCX_ENOMEM;
	uint8_t rnd[16];
	if (crypto_random(rnd, sizeof rnd)) {
		mcx_free(se);
		return MCX_EINTERNAL;
	}
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(se->token + 2 * i, 3, "%02x", rnd[i]);
	snprintf(se->devid, sizeof se->devid, "%s", req->hdr.source);
	snprintf(se->sid, sizeof se->sid, "%s", req->hdr.session_id ? req->hdr.session_id : "");
	se->acc = *acc;
	const struct known *k = known_find(s, acc->devid[0] ? acc->devid : req->hdr.source);
	se->nonce = k && k->has_nonce ? k->nonce : acc->nonce;
	se->srv_nonce = k && k->has_srv ? k->srv : acc->srv_nonce;
	se->msg_id = 1;
	se->st = S_AUTH;
	snprintf(se->rep.devid, sizeof se->rep.devid, "%s", se->devid);
	snprintf(se->rep.session_id, sizeof se->rep.session_id, "%s", se->sid);
	se->next = s->sessions;
	s->sessions = se;
	s->nsess++;
	*sep = se;
	return MCX_OK;
}

static enum mcx_err handle(struct dm_server *s, const struct dm_msg *req, bool wbxml,
			   const char *token, struct mcx_buf *reply, char *errbuf, size_t errlen)
{
	const char *devid = req->hdr.source;
	const char *sid = req->hdr.session_id ? req->hdr.session_id : "";
	enum mcx_err err;
	if (!devid || !*devid) {
		snprintf(errbuf, errlen, "SyncHdr without Source LocURI (DevId)");
		return MCX_EINVAL;
	}
	struct sess *se = sess_by_token(s, token);
	if (se && (strcmp(se->devid, devid) || strcmp(se->sid, sid)))
		return refuse(s, req, DM_ST_FORBIDDEN, NULL, wbxml, reply,
			      "a DevId other than the session's");
	if (!se)
		se = sess_find(s, devid, sid);
	const char *stated = devinfo_devid(req);
	if (stated && strcmp(stated, devid)) {
		if (se)
			sess_remove(s, se);
		return refuse(s, req, DM_ST_FORBIDDEN, NULL, wbxml, reply,
			      "./DevInfo/DevId differs from the SyncHdr Source");
	}
	bool pkg1 = has_alert(req, DM_ALERT_CLIENT_INITIATED) ||
		    has_alert(req, DM_ALERT_SERVER_INITIATED);
	if (!se) {
		struct dm_srv_account acc;
		memset(&acc, 0, sizeof acc);
		if (!pkg1)
			return refuse(s, req, DM_ST_FORBIDDEN, NULL, wbxml, reply,
				      "no session and no Alert 1200/1201");
		err = s->o.account(s->o.arg, devid, &acc);
		if (err == MCX_ENOENT)
			return refuse(s, req, DM_ST_FORBIDDEN, NULL, wbxml, reply, "unknown DevId");
		if (!err)
			err = new_session(s, req, &se, &acc);
		if (err)
			return err;
	}
	se->used = ++s->clock;
	size_t pmax = dm_max_msg_size(req, s->o.max_msg);
	if (req->hdr.meta && (req->hdr.meta->has & DM_META_MAXMSGSIZE))
		se->peer_max = pmax;
	else if (!se->peer_max)
		se->peer_max = s->o.max_msg;

	if (has_alert(req, DM_ALERT_SESSION_ABORT)) {
		snprintf(se->rep.why, sizeof se->rep.why, "the client aborted (Alert 1223)");
		finish_report(se);
		se->rep.ok = false;
		report(s, se);
		err = refuse(s, req, DM_ST_OK, NULL, wbxml, reply, "");
		sess_remove(s, se);
		return err;
	}

	if (se->st == S_AUTH) {
		if (!pkg1)
			return refuse(s, req, DM_ST_FORBIDDEN, NULL, wbxml, reply,
				      "not authenticated and no package 1");
		struct dm_auth_policy pol = {DM_AUTH_MD5, s->o.tls, se->acc.user, se->acc.secret,
					     &se->nonce};
		unsigned code = dm_auth_status(dm_auth_check(&req->hdr, &pol));
		if (code != DM_ST_AUTH_ACCEPTED) {
			if (++se->tries > DM_SRV_AUTH_TRIES) {
				sess_remove(s, se);
				return refuse(s, req, DM_ST_INVALID_CRED, NULL, wbxml, reply,
					      "bad credentials, too many tries");
			}
			err = dm_nonce_fresh(&se->nonce);
			if (!err)
				err = refuse(s, req, code, &se->nonce, wbxml, reply, "");
			return err;
		}
		err = plan_alloc(&se->plan);
		if (!err) {
			se->plan->atomic = false;
			err = s->o.plan(s->o.arg, &se->acc, se->plan, se->rep.why, sizeof se->rep.why);
		}
		if (!err)
			err = build_discovery(s, se, req, reply, wbxml, errbuf, errlen);
		if (err) {
			if (!se->rep.why[0])
				snprintf(se->rep.why, sizeof se->rep.why, "plan: %s", mcx_strerror(err));
			report(s, se);
			sess_remove(s, se);
		}
		return err;
	}

	/* the UE's word on our credentials: a 401/407 means it ran nothing */
	unsigned verdict = their_verdict(s, se, req);
	if (verdict && (!se->acc.srv_secret[0] || se->rep.srv_challenges > DM_SRV_AUTH_TRIES ||
			!se->iout))
		return give_up(s, se, req, verdict, wbxml, reply);
	if (!verdict)
		absorb(se, req);
	if (verdict) {
		err = send_again(s, se, req, reply, wbxml);
	} else if (!req->final && !dm_msg_asks_next(req)) {
		err = send_more(s, se, req, reply, wbxml);	/* the rest of the UE's package first */
	} else if (se->iout < se->nout) {
		err = send_next(s, se, req, reply, wbxml, false);
	} else if (!req->final) {
		err = send_more(s, se, req, reply, wbxml);
	} else if (se->st == S_DISCOVER) {
		err = send_plan(s, se, req, reply, wbxml, errbuf, errlen);
		if (!err)
			se->rep.messages = se->nout;
	} else {
		err = send_end(s, se, req, reply, wbxml);
		finish_report(se);
		report(s, se);
		sess_remove(s, se);
		return err;
	}
	if (err) {
		snprintf(se->rep.why, sizeof se->rep.why, "%s: %s", mcx_strerror(err), errbuf);
		report(s, se);
		sess_remove(s, se);
	}
	return err;
}

enum mcx_err dm_server_handle(struct dm_server *s, const void *body, size_t n, bool wbxml,
			      const char *token, struct mcx_buf *reply, char *errbuf, size_t errlen)
{
	struct dm_msg *req = NULL;
	enum mcx_err err = wbxml ? dm_msg_parse_wbxml(body, n, s->o.lim, &req, errbuf, errlen)
				 : dm_msg_parse(body, n, s->o.lim, 0, &req, errbuf, errlen);
	if (err)
		return err;
	pthread_mutex_lock(&s->mu);
	err = handle(s, req, wbxml, token, reply, errbuf, errlen);
	pthread_mutex_unlock(&s->mu);
	dm_msg_free(req);
	return err;
}
