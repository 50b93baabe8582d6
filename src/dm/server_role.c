/* The DM server role over the store (server_role.h): devices, the plan of
 * a device from the store's documents, bootstrap messages, and the HTTP
 * entry point of mcxd's route and of `mcx dm serve`.
 *
 * Which documents a device gets (docs/dm-server.md):
 *   UE initial configuration  the UE's own (users/sip:<DevId>/...), else the
 *                             master in an administrator's directory of the
 *                             device's organisation (TS 24.484 7.2.1.0)
 *   UE configuration          the user's for this UE, else a "default"
 *   user profiles             every profile of the user
 *   service configuration     global/<domain>/service-config.xml
 *   groups                    every group document listing the user */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "dm"
#include "core/log.h"
#include "core/mem.h"
#include "dm/b64.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/mo.h"
#include "dm/server_role.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/w7.h"
#include "dm/wbxml.h"
#include "store/store.h"
#include "xcap/xmldoc.h"
#include "core/banned.h"

struct dm_role {
	struct dm_role_conf c;
	char *strs[16];		/* copies of the conf strings we keep */
	size_t nstrs;
	struct dm_delegate del;
	struct mcx_store *st;
	struct dm_srv_account *devs;
	size_t ndevs, capdevs;
	struct dm_server *eng;
};

/* ------------------------------------------------------------ bootstrap */

static const char *nz(const char *s)
{
	return s ? s : "";
}

#define SET(field, v) do { if (!err) err = dm_w7_set(w, &(field), nz(v)); } while (0)

enum mcx_err dm_role_boot_msg(const struct dm_boot_acc *o, struct mcx_buf *out,
			      struct mcx_buf *tnds_xml, struct mcx_buf *w7_xml, char *eb, size_t el)
{
	struct dm_w7 *w = NULL;
	struct dm_tnds *t = NULL;
	struct dm_msg *m = NULL;
	struct mcx_buf tx;
	enum mcx_err err = dm_w7_alloc(&w);
	if (err)
		return err;
	buf_init(&tx, DM_BOOT_MSG_MAX);
	struct dm_w7_acc *a = &w->accs[0];
	w->n = 1;
	SET(a->server_id, o->server_id);
	SET(a->name, o->server_id);
	SET(a->addrs[0].addr, o->addr);
	a->naddrs = 1;
	a->nauths = 2;
	SET(a->auths[0].level, "APPSRV");
	SET(a->auths[0].type, "DIGEST");
	SET(a->auths[0].name, o->ue_user);
	SET(a->auths[0].secret, o->ue_secret);
	if (o->ue_nonce_b64 && *o->ue_nonce_b64)
		SET(a->auths[0].data, o->ue_nonce_b64);
	SET(a->auths[1].level, "CLIENT");
	SET(a->auths[1].type, "DIGEST");
	SET(a->auths[1].name, o->srv_user ? o->srv_user : o->server_id);
	SET(a->auths[1].secret, o->srv_secret);
	char nb[B64_ENC_LEN(DM_NONCE_MAX)] = "";
	if (!err && o->srv_nonce_b64 && *o->srv_nonce_b64) {
		SET(a->auths[1].data, o->srv_nonce_b64);
	} else if (!err && o->srv_nonce && *o->srv_nonce) {
		struct dm_nonce n;
		err = dm_nonce_set(&n, o->srv_nonce, strlen(o->srv_nonce));
		if (!err)
			err = dm_nonce_to_b64(&n, nb, sizeof nb);
		SET(a->auths[1].data, nb);
	}
	if (!err && w7_xml)
		err = dm_w7_emit(w, w7_xml);
	if (!err)
		err = dm_tnds_alloc(&t, NULL);
	if (!err)
		err = dm_w7_to_dmacc(a, o->acc ? o->acc : "mcx", t, NULL);
	if (!err)
		err = dm_tnds_emit(t, &tx);
	if (!err && tnds_xml)
		err = buf_add(tnds_xml, tx.p, tx.len);
	if (!err && out) {
		struct dm_cmd *c;
		struct dm_item *it;
		err = dm_msg_alloc(&m, NULL);
		if (!err)
			err = dm_hdr_init(m, "0", 1, o->devid ? o->devid : "*", o->server_id);
		if (!err)
			err = dm_cmd_add(m, NULL, DM_CMD_ADD, 1, &c);
		if (!err)
			err = dm_item_add(m, c, &it);
		if (!err)
			err = dm_set(m, &it->target, "./DMAcc");
		if (!err)
			err = dm_meta_get(m, &it->meta);
		if (!err)
			err = dm_set(m, &it->meta->type, DM_MIME_TNDS_XML);
		if (!err)
			err = dm_set(m, &it->meta->format, "xml");
		if (!err)
			err = dm_data_set(m, &it->data, DM_DATA_XML, tx.p, tx.len);
		if (!err) {
			m->final = true;
			err = dm_msg_emit_wbxml(m, NULL, out, eb, el);
		}
	}
	if (err && eb && el && !eb[0])
		snprintf(eb, el, "cannot build the bootstrap account: %s", mcx_strerror(err));
	buf_reset(&tx);
	dm_msg_free(m);
	dm_tnds_free(t);
	dm_w7_free(w);
	return err;
}

#undef SET

enum mcx_err dm_role_boot_ctype(const char *networkid, const char *userpin,
				const struct mcx_buf *doc, struct mcx_buf *ct)
{
	bool net = networkid && *networkid, pin = userpin && *userpin;
	if (!net && !pin)
		return buf_adds(ct, DM_BOOT_MIME);
	enum dm_boot_sec sec = net && pin ? DM_BOOT_SEC_USERPIN_NETWORKID
			       : pin	  ? DM_BOOT_SEC_USERPIN
					  : DM_BOOT_SEC_NETWORKID;
	return dm_boot_ctype(sec, net ? networkid : NULL, pin ? userpin : NULL,
			     (const uint8_t *)doc->p, doc->len, ct);
}

/* -------------------------------------------------------------- devices */

static const struct dm_srv_account *dev_find(const struct dm_role *r, const char *devid)
{
	for (size_t i = 0; i < r->ndevs; i++)
		if (!strcmp(r->devs[i].devid, devid))
			return &r->devs[i];
	return NULL;
}

enum mcx_err dm_role_add_device(struct dm_role *r, const struct dm_srv_account *a)
{
	if (dev_find(r, a->devid))
		return MCX_EEXIST;
	if (r->ndevs == DM_ROLE_DEVICES_MAX)
		return MCX_ELIMIT;
	if (r->ndevs == r->capdevs) {
		size_t cap = r->capdevs ? 2 * r->capdevs : 16;
		struct dm_srv_account *v = mcx_realloc(r->devs, cap * sizeof *v);
		if (!v)
			return MCX_ENOMEM;
		r->devs = v;
		r->capdevs = cap;
	}
	r->devs[r->ndevs++] = *a;
	return MCX_OK;
}

size_t dm_role_devices(const struct dm_role *r)
{
	return r->ndevs;
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct mcx_buf b;
	char tmp[8192];
	size_t n;
	bool bad = false;
	buf_init(&b, max);
	while (!bad && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
		bad = buf_add(&b, tmp, n) != MCX_OK;
	fclose(f);
	if (bad) {
		buf_reset(&b);
		return NULL;
	}
	if (!b.p) {	/* an empty file */
		*len = 0;
		return mcx_strdup("");
	}
	return buf_take(&b, len);
}

/* One devices-file line (NUL-terminated, comments already cut). */
static enum mcx_err dev_line(struct dm_role *r, char *l, const char *path, int line, char *eb,
			     size_t el)
{
	char *f[9];
	size_t n = 0;
	for (char *save = NULL, *tok = strtok_r(l, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save))
		if (n < 9)
			f[n++] = tok;
		else
			n = 9;
	if (!n)
		return MCX_OK;
	if (n < 3 || n == 6 || n > 8) {
		snprintf(eb, el, "%s:%d: want DEVID USER SECRET [NONCE_B64|-] [MCPTT_ID|-] "
			 "[SRV_USER SRV_SECRET [SRV_NONCE_B64|-]]", path, line);
		return MCX_EINVAL;
	}
	for (size_t i = 0; i < n; i++)	/* they go into XML: the bootstrap message */
		if (!xml_utf8_ok(f[i], strlen(f[i]))) {
			snprintf(eb, el, "%s:%d: field %zu is not UTF-8 text", path, line, i + 1);
			return MCX_EINVAL;
		}
	struct dm_srv_account a;
	memset(&a, 0, sizeof a);
	for (size_t i = 0; i < n; i++)	/* every field fits DM_SRV_ID_MAX (a.devid's size) */
		if (strlen(f[i]) >= sizeof a.devid) {
			snprintf(eb, el, "%s:%d: a field is longer than %d bytes", path, line,
				 DM_SRV_ID_MAX - 1);
			return MCX_ELIMIT;
		}
	snprintf(a.devid, sizeof a.devid, "%s", f[0]);
	snprintf(a.user, sizeof a.user, "%s", f[1]);
	snprintf(a.secret, sizeof a.secret, "%s", f[2]);
	if (n >= 5 && strcmp(f[4], "-"))
		snprintf(a.mcptt_id, sizeof a.mcptt_id, "%s", f[4]);
	if (n >= 4 && strcmp(f[3], "-") && dm_nonce_from_b64(&a.nonce, f[3])) {
		snprintf(eb, el, "%s:%d: the nonce is not base64", path, line);
		return MCX_EINVAL;
	}
	if (n >= 7) {	/* the SRVCRED the server presents to this UE */
		snprintf(a.srv_user, sizeof a.srv_user, "%s", f[5]);
		snprintf(a.srv_secret, sizeof a.srv_secret, "%s", f[6]);
	}
	if (n == 8 && strcmp(f[7], "-") && dm_nonce_from_b64(&a.srv_nonce, f[7])) {
		snprintf(eb, el, "%s:%d: the server nonce is not base64", path, line);
		return MCX_EINVAL;
	}
	enum mcx_err err = dm_role_add_device(r, &a);
	if (err)
		snprintf(eb, el, "%s:%d: %s", path, line,
			 err == MCX_EEXIST ? "DevId listed twice" : mcx_strerror(err));
	return err;
}

enum mcx_err dm_role_load_devices(struct dm_role *r, const char *path, char *eb, size_t el)
{
	size_t len;
	char *f = read_file(path, DM_ROLE_DEVFILE_MAX, &len);
	if (!f) {
		snprintf(eb, el, "%s: cannot read the devices file (missing, or over %d bytes)", path,
			 DM_ROLE_DEVFILE_MAX);
		return MCX_EIO;
	}
	enum mcx_err err = MCX_OK;
	int line = 0;
	for (char *l = f; !err && l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		line++;
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		err = dev_line(r, l, path, line, eb, el);
		l = nl ? nl + 1 : NULL;
	}
	mcx_free(f);
	return err;
}

/* The SRVCRED the server presents to device d: its own, else the conf's
 * (what the role's bootstrap accounts hold). */
static void srv_cred(const struct dm_role *r, const struct dm_srv_account *d,
		     struct dm_srv_account *out)
{
	if (d->srv_secret[0] || !r->c.srv_secret || !r->c.srv_secret[0])
		return;
	snprintf(out->srv_user, sizeof out->srv_user, "%s",
		 r->c.srv_user ? r->c.srv_user : r->c.server_id);
	snprintf(out->srv_secret, sizeof out->srv_secret, "%s", r->c.srv_secret);
	out->srv_nonce.len = 0;
	if (r->c.srv_nonce)	/* its length was checked by dm_role_alloc */
		(void)!dm_nonce_set(&out->srv_nonce, r->c.srv_nonce, strlen(r->c.srv_nonce));
}

static enum mcx_err on_account(void *arg, const char *devid, struct dm_srv_account *acc)
{
	const struct dm_srv_account *a = dev_find(arg, devid);
	if (!a)
		return MCX_ENOENT;
	*acc = *a;
	srv_cred(arg, a, acc);
	return MCX_OK;
}

/* ---------------------------------------------------------------- plans */

struct paths {
	struct mcx_buf all;	/* "path\n" ... */
};

static int collect(const char *path, const char *etag, size_t len, long long mtime, void *arg)
{
	struct paths *p = arg;
	(void)etag;
	(void)len;
	(void)mtime;
	return buf_adds(&p->all, path) || buf_add(&p->all, "\n", 1);
}

/* Every path under prefix, '\n'-terminated, into p (caller resets). */
static enum mcx_err list(struct dm_role *r, const char *prefix, struct paths *p)
{
	buf_init(&p->all, DM_ROLE_REPLY_MAX);
	if (store_list(r->st, prefix, collect, p))
		return MCX_EDB;
	return MCX_OK;	/* p->all.p: NUL-terminated, NULL when nothing is there */
}

/* The directory and the document name of "<auid>/users/<dir>/<name>". */
static bool split_user_path(const char *path, char *dir, size_t dl, const char **name)
{
	const char *u = strstr(path, "/users/");
	if (!u)
		return false;
	u += 7;
	const char *slash = strchr(u, '/');
	if (!slash || (size_t)(slash - u) >= dl)
		return false;
	snprintf(dir, dl, "%.*s", (int)(slash - u), u);
	*name = strrchr(path, '/') + 1;
	return true;
}

static bool is_admin_of(struct dm_role *r, const char *xui, const char *domain)
{
	struct store_user *u = NULL;
	if (strncmp(xui, "sip:", 4) || store_user_get(r->st, xui, &u))
		return false;
	bool ok = (u->roles & STORE_ROLE_ADMIN) && u->domain && !strcmp(u->domain, domain);
	store_user_free(u);
	return ok;
}

/* The UE initial configuration of devid: the UE's own document, else the
 * master in an administrator's directory of domain. */
static enum mcx_err pick_init(struct dm_role *r, const char *devid, const char *domain,
			      char *out, size_t ol, char *eb, size_t el)
{
	struct paths p;
	char pre[256], own[DM_SRV_ID_MAX + 8], master[1024] = "";
	snprintf(pre, sizeof pre, "%s/users/", mo_maps[MO_UE_INIT_CONFIG].auid);
	snprintf(own, sizeof own, "sip:%s", devid);
	enum mcx_err err = list(r, pre, &p);
	out[0] = '\0';
	for (char *l = p.all.p; !err && l && *l && !out[0];) {
		char *nl = strchr(l, '\n');
		*nl = '\0';
		char dir[1024];
		const char *name;
		if (split_user_path(l, dir, sizeof dir, &name)) {
			if (!strcmp(dir, own) || !strcmp(dir, devid))
				snprintf(out, ol, "%s", l);
			else if (!master[0] && is_admin_of(r, dir, domain))
				snprintf(master, sizeof master, "%s", l);
		}
		l = nl + 1;
	}
	buf_reset(&p.all);
	if (!err && !out[0] && master[0])
		snprintf(out, ol, "%s", master);
	if (!err && !out[0]) {
		snprintf(eb, el, "no UE initial configuration for %s: neither its own (users/%s/) nor a "
			 "master in an administrator's directory of %s", devid, own, domain);
		err = MCX_ENOENT;
	}
	return err;
}

/* Put the document at path into the plan as instance inst of kind k. */
static enum mcx_err put_doc(struct dm_role *r, struct dm_plan *p, const char *devid,
			    enum mo_kind k, const char *path, const char *inst, char *eb, size_t el)
{
	struct store_doc *d = NULL;
	struct mo_tree *t = NULL;
	enum mcx_err err = store_get(r->st, path, &d);
	if (err) {
		snprintf(eb, el, "%s: %s", path, mcx_strerror(err));
		return err;
	}
	char why[300] = "";
	err = mo_from_xml(k, d->bytes, d->len, 0, NULL, &t, why, sizeof why);
	if (err)
		snprintf(eb, el, "%s: %s", path, why);
	else
		err = dm_plan_put_mo(p, inst, t);
	mo_tree_free(t);
	store_doc_deref(d);
	if (!err)
		log_info("%s: %s -> %s/%s", devid, path, mo_maps[k].tree_root, inst);
	return err;
}

/* The user's UE configuration for this UE, else a "default" one. */
static enum mcx_err plan_ue_config(struct dm_role *r, struct dm_plan *p,
				   const struct dm_srv_account *a, char *eb, size_t el)
{
	struct paths ps;
	char pre[600], want[DM_SRV_ID_MAX + 8], best[1024] = "", dflt[1024] = "";
	snprintf(pre, sizeof pre, "%s/users/", mo_maps[MO_UE_CONFIG].auid);
	snprintf(want, sizeof want, "sip:%s", a->mcptt_id);
	enum mcx_err err = list(r, pre, &ps);
	for (char *l = ps.all.p; !err && l && *l;) {
		char *nl = strchr(l, '\n');
		*nl = '\0';
		char dir[1024];
		const char *name;
		if (split_user_path(l, dir, sizeof dir, &name)) {
			bool mine = !strcmp(dir, a->mcptt_id) || !strcmp(dir, want);
			if (mine && !strcmp(name, a->devid) && !best[0])
				snprintf(best, sizeof best, "%s", l);
			if (!strcmp(name, "default") && !dflt[0])
				snprintf(dflt, sizeof dflt, "%s", l);
		}
		l = nl + 1;
	}
	buf_reset(&ps.all);
	if (!err && (best[0] || dflt[0]))
		err = put_doc(r, p, a->devid, MO_UE_CONFIG, best[0] ? best : dflt, "1", eb, el);
	return err;
}

/* Every document under prefix (filtered by needle when not NULL) as
 * instances 1, 2, ... of kind k. */
static enum mcx_err plan_all(struct dm_role *r, struct dm_plan *p, const char *devid,
			     enum mo_kind k, const char *prefix, const char *needle, char *eb,
			     size_t el)
{
	struct paths ps;
	enum mcx_err err = list(r, prefix, &ps);
	int n = 0;
	for (char *l = ps.all.p; !err && l && *l;) {
		char *nl = strchr(l, '\n');
		*nl = '\0';
		bool take = true;
		if (needle) {
			struct store_doc *d = NULL;
			take = !store_get(r->st, l, &d) && strstr(d->bytes, needle);
			store_doc_deref(d);
		}
		if (take) {
			char inst[16];
			snprintf(inst, sizeof inst, "%d", ++n);
			err = put_doc(r, p, devid, k, l, inst, eb, el);
		}
		l = nl + 1;
	}
	buf_reset(&ps.all);
	return err;
}

static enum mcx_err plan_store(struct dm_role *r, const struct dm_srv_account *a,
			       struct dm_plan *p, char *eb, size_t el)
{
	const char *uid = a->mcptt_id;
	const char *at = strchr(uid, '@');
	const char *dom = at ? at + 1 : r->c.default_domain ? r->c.default_domain : "";
	char path[1200];
	enum mcx_err err = MCX_OK;

	dm_plan_set_atomic(p, true);
	for (int k = 0; k < MO_KIND_COUNT && !err; k++)
		if (*uid || k == MO_UE_INIT_CONFIG)
			err = dm_plan_clear(p, mo_maps[k].tree_root);
	if (!err)
		err = pick_init(r, a->devid, dom, path, sizeof path, eb, el);
	if (!err)
		err = put_doc(r, p, a->devid, MO_UE_INIT_CONFIG, path, "1", eb, el);
	if (err || !*uid)
		return err;
	err = plan_ue_config(r, p, a, eb, el);
	snprintf(path, sizeof path, "%s/users/%s/", mo_maps[MO_USER_PROFILE].auid, uid);
	if (!err)
		err = plan_all(r, p, a->devid, MO_USER_PROFILE, path, NULL, eb, el);
	snprintf(path, sizeof path, "%s/global/%s/service-config.xml",
		 mo_maps[MO_SERVICE_CONFIG].auid, dom);
	struct store_doc *d = NULL;
	if (!err && !store_get(r->st, path, &d)) {
		store_doc_deref(d);
		err = put_doc(r, p, a->devid, MO_SERVICE_CONFIG, path, "1", eb, el);
	}
	/* the groups that list the user as a member (entry uri="ID") */
	char needle[DM_SRV_ID_MAX + 8];
	snprintf(needle, sizeof needle, "uri=\"%s\"", uid);
	snprintf(path, sizeof path, "%s/users/", mo_maps[MO_GROUP_CONFIG].auid);
	if (!err)
		err = plan_all(r, p, a->devid, MO_GROUP_CONFIG, path, needle, eb, el);
	return err;
}

static enum mcx_err on_plan(void *arg, const struct dm_srv_account *a, struct dm_plan *p,
			    char *eb, size_t el)
{
	struct dm_role *r = arg;
	enum mcx_err err;
	if (r->c.delegate) {
		dm_plan_set_atomic(p, true);
		err = dm_plan_delegate(p, &r->del);
		if (!err)
			log_info("%s: delegating the MCPTT MOs to %s (%s)", a->devid,
				 r->del.server_id, r->del.addr);
	} else {
		err = plan_store(r, a, p, eb, el);
	}
	for (size_t i = 0; !err && i < r->c.nget_uris; i++)
		err = dm_plan_get(p, r->c.get_uris[i]);
	return err;
}

static void on_done(void *arg, const struct dm_srv_report *rep)
{
	struct dm_role *r = arg;
	if (r->c.done) {
		r->c.done(r->c.done_arg, rep);
		return;
	}
	if (rep->refused)
		log_warn("%s session %s refused (%u): %s", rep->devid, rep->session_id, rep->refused,
			 rep->why);
	else
		log_info("%s session %s %s: %zu/%zu commands OK, Atomic %u, %zu messages%s%s%s%s",
			 rep->devid, rep->session_id, rep->ok ? "done" : "FAILED", rep->ops_ok,
			 rep->ops, rep->atomic, rep->messages, rep->fail_code ? ", first failure " : "",
			 rep->fail_code ? rep->fail_uri : "", rep->why[0] ? "; " : "", rep->why);
	if (rep->srv_accepted)
		log_info("%s session %s: the UE accepted the server's credentials (%u challenge(s))",
			 rep->devid, rep->session_id, rep->srv_challenges);
}

/* ----------------------------------------------------------------- role */

static const char *keep(struct dm_role *r, const char *s)
{
	if (!s)
		return NULL;
	if (r->nstrs == sizeof r->strs / sizeof r->strs[0])
		return NULL;
	char *d = mcx_strdup(s);
	if (d)
		r->strs[r->nstrs++] = d;
	return d;
}

enum mcx_err dm_role_alloc(struct dm_role **rp, const struct dm_role_conf *c,
			   struct mcx_store *st, char *eb, size_t el)
{
	if (!c->server_id || !*c->server_id) {
		snprintf(eb, el, "the DM server needs a ServerID");
		return MCX_EINVAL;
	}
	struct dm_role *r = mcx_calloc(1, sizeof *r);
	if (!r)
		return MCX_ENOMEM;
	r->c = *c;
	r->st = st;
	const char **sv[] = {&r->c.server_id, &r->c.url, &r->c.default_domain, &r->c.acc,
			     &r->c.srv_user, &r->c.srv_secret, &r->c.srv_nonce, &r->c.networkid,
			     &r->c.userpin};
	bool oom = false;
	if ((c->srv_user && strlen(c->srv_user) >= DM_SRV_ID_MAX) ||
	    (c->srv_secret && strlen(c->srv_secret) >= DM_SRV_ID_MAX) ||
	    (c->srv_nonce && strlen(c->srv_nonce) > DM_NONCE_MAX)) {
		snprintf(eb, el, "the server's SRVCRED name or secret is over %d bytes, or its nonce "
			 "over %d", DM_SRV_ID_MAX - 1, DM_NONCE_MAX);
		mcx_free(r);
		return MCX_ELIMIT;
	}
	for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++)
		if (*sv[i] && !(*sv[i] = keep(r, *sv[i])))
			oom = true;
	if (c->delegate) {
		r->del = *c->delegate;
		if (!r->del.owner_id)
			r->del.owner_id = r->c.server_id;
		if (!r->del.acc || !r->del.server_id || !r->del.addr || !r->del.client_user ||
		    !r->del.client_secret) {
			snprintf(eb, el, "a delegation needs the delegate's ServerID, address and the "
				 "UE's credentials for it");
			dm_role_free(r);
			return MCX_EINVAL;
		}
		if (!r->del.server_user)
			r->del.server_user = r->del.server_id;
		if (!r->del.server_secret)
			r->del.server_secret = "";
	}
	struct dm_server_opts so = {.server_id = r->c.server_id, .resp_uri = r->c.url,
				    .tls = c->tls, .max_msg = c->max_msg,
				    .sessions_max = c->sessions_max, .account = on_account,
				    .plan = on_plan, .done = on_done, .arg = r};
	enum mcx_err err = oom ? MCX_ENOMEM : dm_server_alloc(&r->eng, &so);
	if (err) {
		snprintf(eb, el, "cannot start the DM session engine: %s", mcx_strerror(err));
		dm_role_free(r);
		return err;
	}
	*rp = r;
	return MCX_OK;
}

void dm_role_free(struct dm_role *r)
{
	if (!r)
		return;
	dm_server_free(r->eng);
	mcx_free(r->devs);
	for (size_t i = 0; i < r->nstrs; i++)
		mcx_free(r->strs[i]);
	mcx_free(r);
}

struct dm_server *dm_role_engine(struct dm_role *r)
{
	return r->eng;
}

/* ----------------------------------------------------------------- HTTP */

void dm_role_answer_init(struct dm_role_answer *a)
{
	memset(a, 0, sizeof *a);
	buf_init(&a->body, DM_ROLE_REPLY_MAX);
}

void dm_role_answer_free(struct dm_role_answer *a)
{
	buf_reset(&a->body);
}

static void text(struct dm_role_answer *a, unsigned status, const char *msg)
{
	a->status = status;
	snprintf(a->ctype, sizeof a->ctype, "text/plain; charset=utf-8");
	buf_reset(&a->body);
	buf_init(&a->body, DM_ROLE_REPLY_MAX);
	snprintf(a->why, sizeof a->why, "%s", msg);
	if (buf_adds(&a->body, msg) || buf_add(&a->body, "\n", 1))
		a->status = 500;
}

static void bootstrap(struct dm_role *r, const char *devid, struct dm_role_answer *a)
{
	const struct dm_srv_account *d = devid ? dev_find(r, devid) : NULL;
	if (!d) {
		text(a, 404, devid ? "unknown devid" : "the devid parameter is missing");
		return;
	}
	char nb[B64_ENC_LEN(DM_NONCE_MAX)] = "", sb[B64_ENC_LEN(DM_NONCE_MAX)] = "", eb[200] = "";
	if (d->nonce.len && dm_nonce_to_b64(&d->nonce, nb, sizeof nb))
		nb[0] = '\0';
	struct dm_boot_acc ba = {.devid = d->devid, .server_id = r->c.server_id, .addr = r->c.url,
				 .acc = r->c.acc, .ue_user = d->user, .ue_secret = d->secret,
				 .ue_nonce_b64 = nb, .srv_user = r->c.srv_user,
				 .srv_secret = r->c.srv_secret, .srv_nonce = r->c.srv_nonce};
	if (d->srv_secret[0]) {	/* the device's own SRVCRED: what the server presents */
		if (d->srv_nonce.len && dm_nonce_to_b64(&d->srv_nonce, sb, sizeof sb))
			sb[0] = '\0';
		ba.srv_user = d->srv_user;
		ba.srv_secret = d->srv_secret;
		ba.srv_nonce = NULL;
		ba.srv_nonce_b64 = sb;
	}
	struct mcx_buf ct;
	buf_init(&ct, DM_BOOT_CTYPE_MAX);
	if (dm_role_boot_msg(&ba, &a->body, NULL, NULL, eb, sizeof eb) ||
	    dm_role_boot_ctype(r->c.networkid, r->c.userpin, &a->body, &ct)) {
		text(a, 500, eb[0] ? eb : "cannot build the bootstrap message");
	} else {
		a->status = 200;
		snprintf(a->ctype, sizeof a->ctype, "%s", ct.p);
		log_info("%s: bootstrap message fetched", devid);
	}
	buf_reset(&ct);
}

/* Is ctype a SyncML DM type? *wbxml says which encoding. */
static bool dm_ctype(const char *ctype, bool *wbxml)
{
	size_t n = strcspn(ctype, "; \t");
	if (n == strlen(DM_MIME_XML) && !strncasecmp(ctype, DM_MIME_XML, n)) {
		*wbxml = false;
		return true;
	}
	if (n == strlen(DM_MIME_WBXML) && !strncasecmp(ctype, DM_MIME_WBXML, n)) {
		*wbxml = true;
		return true;
	}
	return false;
}

void dm_role_http(struct dm_role *r, const char *method, const char *sub, const char *token,
		  const char *devid, const char *ctype, const void *body, size_t len,
		  bool too_large, struct dm_role_answer *a)
{
	bool wbxml = false;
	if (!strcmp(sub, "/bootstrap")) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			text(a, 405, "the bootstrap message is fetched with GET");
		else
			bootstrap(r, devid, a);
		return;
	}
	if (*sub) {
		text(a, 404, "not found (POST SyncML to the DM path; GET .../bootstrap?devid=)");
		return;
	}
	if (strcmp(method, "POST")) {
		text(a, 405, "SyncML DM messages are POSTed");
		return;
	}
	if (too_large) {
		text(a, 413, "message too large");
		return;
	}
	if (ctype && *ctype && !dm_ctype(ctype, &wbxml)) {
		text(a, 415, "Content-Type must be application/vnd.syncml.dm+xml or +wbxml");
		return;
	}
	if (!ctype || !*ctype)
		wbxml = dm_is_wbxml(body, len);
	char eb[300] = "";
	enum mcx_err err = dm_server_handle(r->eng, body ? body : "", len, wbxml, token, &a->body,
					    eb, sizeof eb);
	if (err) {
		char msg[400];
		snprintf(msg, sizeof msg, "%s: %s", err == MCX_EINVAL ? "not a SyncML DM message"
						      : mcx_strerror(err), eb);
		text(a, err == MCX_EINVAL ? 400 : 500, msg);
		return;
	}
	a->status = 200;
	snprintf(a->ctype, sizeof a->ctype, "%s", wbxml ? DM_MIME_WBXML : DM_MIME_XML);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

bool dm_role_query(const char *q, size_t ql, const char *name, char *out, size_t ol)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < ql;) {
		size_t e = i;
		while (e < ql && q[e] != '&')
			e++;
		if (e - i > nl && !memcmp(q + i, name, nl) && q[i + nl] == '=') {
			size_t o = 0;
			for (size_t k = i + nl + 1; k < e; k++) {
				int c = (unsigned char)q[k];
				if (c == '%') {
					int h = k + 2 < e ? hexval(q[k + 1]) : -1;
					int l = h >= 0 ? hexval(q[k + 2]) : -1;
					if (l < 0)
						return false;
					c = h * 16 + l;
					k += 2;
				} else if (c == '+') {
					c = ' ';
				}
				if (!c || o + 1 >= ol)
					return false;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return true;
		}
		i = e + 1;
	}
	return false;
}
