/* mcx dm: the DM server on a laptop (serve, offline), bootstrap artefacts
 * (gen, push), message and MO inspection (dump, mo); `client` goes to
 * cmd_dm_client() (mcx_dm_client.c). Wiring only: the protocol is in
 * src/dm/ (server.c, mo.c, bootstrap.c, pkg0.c, w7.c). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/mcx.h"
#include "core/mem.h"
#include "dm/auth.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/mo.h"
#include "dm/pkg0.h"
#include "dm/server.h"
#include "dm/tnds.h"
#include "dm/w7.h"
#include "dm/wbxml.h"
#include "store/store.h"

/* Declared weak so this file links before mcx_dm_client.c exists. */
int cmd_dm_client(struct mcx_ctx *x, int argc, char **argv) __attribute__((weak));

static const char usage[] =
	"usage: mcx dm <command> [options]\n"
	"  offline --mcptt-id ID --ue URN [--data DIR] [--listen 127.0.0.1:PORT]\n"
	"          [--ue-user U] [--ue-secret S] [--nonce B64] [--server-id ID] [--once]\n"
	"      serve the five MCPTT MOs of that user to that UE, in one Atomic\n"
	"  serve --devices FILE [--data DIR] [--listen 127.0.0.1:PORT] [--server-id ID] [--once]\n"
	"      serve every device of FILE (lines: DEVID USER SECRET [NONCE_B64] [MCPTT_ID]);\n"
	"      a device with an MCPTT ID gets the five MOs, else the UE initial configuration\n"
	"  gen dmacc|w7|bootstrap|smartcard|pkg0 [account options] [--out FILE]\n"
	"  push --to http://UE/push [account options]   bootstrap message, then Package 0\n"
	"  dump FILE          a recorded message (XML or WBXML) as readable XML\n"
	"  mo FILE [--canonical]   a document's MO nodes, and the XML they give back\n"
	"  client ...         the DM client (mcx dm client --help)\n"
	"account options: --server-id ID --addr URL --ue-user U --ue-secret S [--nonce B64]\n"
	"  --srv-user U --srv-secret S [--srv-nonce TEXT] [--acc NAME]\n"
	"  [--networkid N | --userpin P] (bootstrap SEC/MAC) [--session N] (Package 0)\n"
	"HTTP (serve/offline): POST /dm (SyncML XML or WBXML), GET /dm/bootstrap?devid=URN\n";

struct dmopt {
	const char *mcptt_id, *ue, *data, *listen, *ue_user, *ue_secret, *nonce, *server_id;
	const char *devices, *out, *to, *addr, *srv_user, *srv_secret, *srv_nonce, *acc;
	const char *networkid, *userpin, *session;
	bool once, canonical;
	const char *arg;	/* the first positional argument */
};

static int parse_opts(int argc, char **argv, struct dmopt *o)
{
	static const struct {
		const char *name;
		size_t off;
	} tab[] = {
#define O(n, f) {n, offsetof(struct dmopt, f)}
		O("--mcptt-id", mcptt_id), O("--ue", ue), O("--data", data), O("--listen", listen),
		O("--ue-user", ue_user), O("--ue-secret", ue_secret), O("--nonce", nonce),
		O("--server-id", server_id), O("--devices", devices), O("--out", out), O("--to", to),
		O("--addr", addr), O("--srv-user", srv_user), O("--srv-secret", srv_secret),
		O("--srv-nonce", srv_nonce), O("--acc", acc), O("--networkid", networkid),
		O("--userpin", userpin), O("--session", session),
#undef O
	};
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--once")) {
			o->once = true;
			continue;
		}
		if (!strcmp(argv[i], "--canonical")) {
			o->canonical = true;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof tab / sizeof tab[0]; k++)
			if (!strcmp(argv[i], tab[k].name))
				break;
		if (k < sizeof tab / sizeof tab[0]) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mcx dm: %s needs a value\n", argv[i]);
				return -1;
			}
			*(const char **)(void *)((char *)o + tab[k].off) = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' || o->arg) {
			fprintf(stderr, "mcx dm: unknown argument %s\n%s", argv[i], usage);
			return -1;
		}
		o->arg = argv[i];
	}
	if (!o->server_id)
		o->server_id = "mcx-dm";
	if (!o->listen)
		o->listen = "127.0.0.1:8443";
	if (!o->ue_user)
		o->ue_user = "mcx-ue";
	if (!o->srv_user)
		o->srv_user = o->server_id;
	if (!o->acc)
		o->acc = "mcx";
	return 0;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct mcx_buf b;
	buf_init(&b, 64 * 1024 * 1024);
	char tmp[8192];
	size_t n;
	bool bad = false;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(&b, tmp, n))
			bad = true;
	fclose(f);
	if (bad) {
		buf_reset(&b);
		return NULL;
	}
	return buf_take(&b, len);
}

static int write_out(const char *path, const void *p, size_t n)
{
	FILE *f = path ? fopen(path, "wb") : stdout;
	if (!f || fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "mcx dm: cannot write %s\n", path ? path : "stdout");
		if (f && path)
			fclose(f);
		return 1;
	}
	if (path)
		fclose(f);
	return 0;
}

/* ------------------------------------------------------------ the server */

struct dev {
	struct dm_srv_account a;
};

struct srv {
	struct mcx_ctx *x;
	const struct dmopt *o;
	struct dev *devs;
	size_t ndevs;
	struct dm_server *dm;
	int done;		/* sessions ended (for --once) */
	int failed;
};

static enum mcx_err srv_account(void *arg, const char *devid, struct dm_srv_account *acc)
{
	struct srv *s = arg;
	for (size_t i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i].a.devid, devid)) {
			*acc = s->devs[i].a;
			return MCX_OK;
		}
	return MCX_ENOENT;
}

struct pick {
	const char *want;	/* a name to prefer ("" none) */
	char best[1024];
	char any[1024];
	struct mcx_buf *all;	/* collect every path */
};

static int pick_one(const char *path, const char *etag, size_t len, long long mtime, void *arg)
{
	struct pick *p = arg;
	(void)etag;
	(void)len;
	(void)mtime;
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	if (p->want && *p->want && !strcmp(name, p->want) && !p->best[0])
		snprintf(p->best, sizeof p->best, "%s", path);
	if (!p->any[0])
		snprintf(p->any, sizeof p->any, "%s", path);
	if (p->all && (buf_adds(p->all, path) || buf_add(p->all, "\n", 1)))
		return 1;
	return 0;
}

/* Put the document at path into the plan as instance inst. */
static enum mcx_err put_doc(struct srv *s, struct dm_plan *p, enum mo_kind k, const char *path,
			    const char *inst, char *eb, size_t el)
{
	struct store_doc *d = NULL;
	struct mo_tree *t = NULL;
	enum mcx_err err = store_get(s->x->store, path, &d);
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
	fprintf(stderr, "mcx dm: %s -> %s/%s\n", path, mo_maps[k].tree_root, inst);
	return err;
}

static enum mcx_err srv_plan(void *arg, const struct dm_srv_account *acc, struct dm_plan *p,
			     char *eb, size_t el)
{
	struct srv *s = arg;
	char pre[1200];
	enum mcx_err err = MCX_OK;
	const char *uid = acc->mcptt_id;

	dm_plan_set_atomic(p, true);
	for (int k = 0; k < MO_KIND_COUNT && !err; k++)
		if (*uid || k == MO_UE_INIT_CONFIG)
			err = dm_plan_clear(p, mo_maps[k].tree_root);
	/* UE initial configuration: the UE's own, else the master (the
	 * administrator's directory: any user directory but a UE's) */
	struct pick pk = {.want = acc->devid};
	snprintf(pre, sizeof pre, "%s/users/", mo_maps[MO_UE_INIT_CONFIG].auid);
	if (!err && store_list(s->x->store, pre, pick_one, &pk))
		err = MCX_EDB;
	if (!err && !pk.best[0] && !pk.any[0]) {
		snprintf(eb, el, "no UE initial configuration document in the store");
		return MCX_ENOENT;
	}
	if (!err)
		err = put_doc(s, p, MO_UE_INIT_CONFIG, pk.best[0] ? pk.best : pk.any, "1", eb, el);
	if (err || !*uid)
		return err;

	/* UE configuration: the user's for this UE, else a default */
	memset(&pk, 0, sizeof pk);
	pk.want = acc->devid;
	snprintf(pre, sizeof pre, "%s/users/%s/", mo_maps[MO_UE_CONFIG].auid, uid);
	if (store_list(s->x->store, pre, pick_one, &pk))
		return MCX_EDB;
	if (!pk.best[0]) {
		struct pick d = {.want = "default"};
		snprintf(pre, sizeof pre, "%s/users/", mo_maps[MO_UE_CONFIG].auid);
		if (store_list(s->x->store, pre, pick_one, &d))
			return MCX_EDB;
		snprintf(pk.best, sizeof pk.best, "%s", d.best);
	}
	if (pk.best[0])
		err = put_doc(s, p, MO_UE_CONFIG, pk.best, "1", eb, el);

	/* every user profile of the user */
	struct mcx_buf all;
	buf_init(&all, 1 << 20);
	memset(&pk, 0, sizeof pk);
	pk.all = &all;
	snprintf(pre, sizeof pre, "%s/users/%s/", mo_maps[MO_USER_PROFILE].auid, uid);
	if (!err && store_list(s->x->store, pre, pick_one, &pk))
		err = MCX_EDB;
	int n = 0;
	for (char *l = all.p; !err && l && *l;) {
		char *nl = strchr(l, '\n');
		*nl = '\0';
		char inst[16];
		snprintf(inst, sizeof inst, "%d", ++n);
		err = put_doc(s, p, MO_USER_PROFILE, l, inst, eb, el);
		l = nl + 1;
	}
	buf_reset(&all);

	/* the service configuration of the user's organisation */
	const char *dom = strchr(uid, '@');
	snprintf(pre, sizeof pre, "%s/global/%s/service-config.xml", mo_maps[MO_SERVICE_CONFIG].auid,
		 dom ? dom + 1 : "");
	struct store_doc *d = NULL;
	if (!err && !store_get(s->x->store, pre, &d)) {
		store_doc_deref(d);
		err = put_doc(s, p, MO_SERVICE_CONFIG, pre, "1", eb, el);
	}

	/* the groups that list the user as a member (entry uri="ID") */
	buf_init(&all, 1 << 20);
	memset(&pk, 0, sizeof pk);
	pk.all = &all;
	snprintf(pre, sizeof pre, "%s/users/", mo_maps[MO_GROUP_CONFIG].auid);
	if (!err && store_list(s->x->store, pre, pick_one, &pk))
		err = MCX_EDB;
	char needle[1100];
	snprintf(needle, sizeof needle, "uri=\"%s\"", uid);
	n = 0;
	for (char *l = all.p; !err && l && *l;) {
		char *nl = strchr(l, '\n');
		*nl = '\0';
		if (!store_get(s->x->store, l, &d)) {
			bool member = strstr(d->bytes, needle) != NULL;
			store_doc_deref(d);
			if (member) {
				char inst[16];
				snprintf(inst, sizeof inst, "%d", ++n);
				err = put_doc(s, p, MO_GROUP_CONFIG, l, inst, eb, el);
			}
		}
		l = nl + 1;
	}
	buf_reset(&all);
	return err;
}

static void srv_done(void *arg, const struct dm_srv_report *r)
{
	struct srv *s = arg;
	if (r->refused)
		fprintf(stderr, "mcx dm: %s session %s refused (%u): %s\n", r->devid, r->session_id,
			r->refused, r->why);
	else
		fprintf(stderr, "mcx dm: %s session %s %s: %zu/%zu commands OK, Atomic %u, "
			"%zu messages%s%s%s%s\n", r->devid, r->session_id, r->ok ? "done" : "FAILED",
			r->ops_ok, r->ops, r->atomic, r->messages, r->fail_code ? ", first failure " : "",
			r->fail_code ? r->fail_uri : "", r->why[0] ? "; " : "", r->why);
	if (!r->refused && r->ops) {
		s->done++;
		if (!r->ok)
			s->failed++;
	}
}

/* The DM-profile bootstrap message for an account: a SyncML message with
 * Add of the DMAcc TNDS to ./DMAcc, WBXML. */
static enum mcx_err boot_msg(const struct dmopt *o, const char *ue_secret, const char *ue_nonce,
			     struct mcx_buf *out, struct mcx_buf *tnds_xml, struct mcx_buf *w7_xml,
			     char *eb, size_t el)
{
	struct dm_w7 *w = NULL;
	struct dm_tnds *t = NULL;
	struct dm_msg *m = NULL;
	enum mcx_err err = dm_w7_alloc(&w);
	if (err)
		return err;
	struct dm_w7_acc *a = &w->accs[0];
	w->n = 1;
	err = dm_w7_set(w, &a->server_id, o->server_id);
	if (!err)
		err = dm_w7_set(w, &a->name, o->server_id);
	if (!err)
		err = dm_w7_set(w, &a->addrs[0].addr, o->addr);
	a->naddrs = 1;
	a->nauths = 2;
	if (!err)
		err = dm_w7_set(w, &a->auths[0].level, "APPSRV");
	if (!err)
		err = dm_w7_set(w, &a->auths[0].type, "DIGEST");
	if (!err)
		err = dm_w7_set(w, &a->auths[0].name, o->ue_user);
	if (!err)
		err = dm_w7_set(w, &a->auths[0].secret, ue_secret);
	if (!err && ue_nonce)
		err = dm_w7_set(w, &a->auths[0].data, ue_nonce);
	if (!err)
		err = dm_w7_set(w, &a->auths[1].level, "CLIENT");
	if (!err)
		err = dm_w7_set(w, &a->auths[1].type, "DIGEST");
	if (!err)
		err = dm_w7_set(w, &a->auths[1].name, o->srv_user);
	if (!err)
		err = dm_w7_set(w, &a->auths[1].secret, o->srv_secret ? o->srv_secret : "");
	char nb[64] = "";
	if (!err && o->srv_nonce) {
		struct dm_nonce n;
		err = dm_nonce_set(&n, o->srv_nonce, strlen(o->srv_nonce));
		if (!err)
			err = dm_nonce_to_b64(&n, nb, sizeof nb);
		if (!err)
			err = dm_w7_set(w, &a->auths[1].data, nb);
	}
	if (!err && w7_xml)
		err = dm_w7_emit(w, w7_xml);
	if (!err)
		err = dm_tnds_alloc(&t, NULL);
	if (!err)
		err = dm_w7_to_dmacc(a, o->acc, t, NULL);
	if (!err)
		err = dm_tnds_emit(t, tnds_xml);
	if (!err && out) {
		struct dm_cmd *c;
		struct dm_item *it;
		err = dm_msg_alloc(&m, NULL);
		if (!err)
			err = dm_hdr_init(m, "0", 1, o->ue ? o->ue : "*", o->server_id);
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
			err = dm_data_set(m, &it->data, DM_DATA_XML, tnds_xml->p, tnds_xml->len);
		m ? m->final = true : 0;
		if (!err)
			err = dm_msg_emit_wbxml(m, NULL, out, eb, el);
	}
	dm_msg_free(m);
	dm_tnds_free(t);
	dm_w7_free(w);
	return err;
}

static enum mcx_err boot_ctype(const struct dmopt *o, const struct mcx_buf *doc,
			       struct mcx_buf *ct)
{
	enum dm_boot_sec sec = o->userpin && o->networkid ? DM_BOOT_SEC_USERPIN_NETWORKID
			       : o->userpin		   ? DM_BOOT_SEC_USERPIN
							   : DM_BOOT_SEC_NETWORKID;
	if (!o->userpin && !o->networkid)
		return buf_adds(ct, DM_BOOT_MIME);
	return dm_boot_ctype(sec, o->networkid, o->userpin, (const uint8_t *)doc->p, doc->len, ct);
}

struct hreq {
	struct mcx_buf body;
};

static enum MHD_Result answer(struct MHD_Connection *con, unsigned code, const char *ctype,
			      const void *p, size_t n)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)(uintptr_t)p,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	enum MHD_Result ret = MHD_queue_response(con, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *con, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct hreq *h = *con_cls;
	(void)version;
	if (!h) {
		h = mcx_calloc(1, sizeof *h);
		if (!h)
			return MHD_NO;
		buf_init(&h->body, DM_MSG_MAX_DEFAULT);
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_size) {
		if (buf_add(&h->body, upload, *upload_size))
			h->body.max = 0;	/* remembered as too large */
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strcmp(method, "GET") && !strcmp(url, "/dm/bootstrap")) {
		const char *devid = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "devid");
		struct dm_srv_account a;
		if (!devid || srv_account(s, devid, &a))
			return answer(con, 404, "text/plain", "unknown devid\n", 14);
		struct dmopt o = *s->o;
		char nb[64] = "";
		o.ue = devid;
		o.ue_user = a.user;
		if (a.nonce.len && dm_nonce_to_b64(&a.nonce, nb, sizeof nb))
			nb[0] = '\0';
		struct mcx_buf doc, tx, ct;
		char eb[200];
		buf_init(&doc, DM_BOOT_MSG_MAX);
		buf_init(&tx, DM_BOOT_MSG_MAX);
		buf_init(&ct, DM_BOOT_CTYPE_MAX);
		enum MHD_Result ret;
		if (boot_msg(&o, a.secret, nb[0] ? nb : NULL, &doc, &tx, NULL, eb, sizeof eb) ||
		    boot_ctype(&o, &doc, &ct))
			ret = answer(con, 500, "text/plain", "bootstrap failed\n", 17);
		else
			ret = answer(con, 200, ct.p, doc.p, doc.len);
		fprintf(stderr, "mcx dm: bootstrap for %s fetched\n", devid);
		buf_reset(&doc);
		buf_reset(&tx);
		buf_reset(&ct);
		return ret;
	}
	if (strcmp(method, "POST") || strcmp(url, "/dm"))
		return answer(con, 404, "text/plain", "not found\n", 10);
	if (!h->body.max)
		return answer(con, 413, "text/plain", "message too large\n", 18);
	const char *ct = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type");
	bool wbxml = ct ? strstr(ct, "wbxml") != NULL : dm_is_wbxml(h->body.p, h->body.len);
	const char *token = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "s");
	struct mcx_buf rep;
	char eb[300] = "";
	buf_init(&rep, 16 * 1024 * 1024);
	enum mcx_err err = dm_server_handle(s->dm, h->body.p ? h->body.p : "", h->body.len, wbxml,
					    token, &rep, eb, sizeof eb);
	enum MHD_Result ret;
	if (err) {
		fprintf(stderr, "mcx dm: refused a message: %s: %s\n", mcx_strerror(err), eb);
		ret = answer(con, err == MCX_EINVAL ? 400 : 500, "text/plain", eb, strlen(eb));
	} else {
		ret = answer(con, 200, wbxml ? DM_MIME_WBXML : DM_MIME_XML, rep.p, rep.len);
	}
	buf_reset(&rep);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct hreq *h = *con_cls;
	(void)cls;
	(void)con;
	(void)toe;
	if (h) {
		buf_reset(&h->body);
		mcx_free(h);
		*con_cls = NULL;
	}
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int load_devices(struct srv *s, const char *path)
{
	size_t len;
	char *f = read_all(path, &len);
	if (!f) {
		fprintf(stderr, "mcx dm: cannot read the devices file %s\n", path);
		return -1;
	}
	int line = 0;
	for (char *l = f; *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		line++;
		char devid[256], user[256], secret[256], nonce[128] = "", uid[256] = "";
		int n = sscanf(l, "%255s %255s %255s %127s %255s", devid, user, secret, nonce, uid);
		if (n >= 1 && devid[0] != '#') {
			if (n < 3) {
				fprintf(stderr, "%s:%d: DEVID USER SECRET [NONCE_B64|-] [MCPTT_ID]\n",
					path, line);
				mcx_free(f);
				return -1;
			}
			struct dev *v = mcx_realloc(s->devs, (s->ndevs + 1) * sizeof *v);
			if (!v) {
				mcx_free(f);
				return -1;
			}
			s->devs = v;
			struct dm_srv_account *a = &s->devs[s->ndevs++].a;
			memset(a, 0, sizeof *a);
			snprintf(a->devid, sizeof a->devid, "%s", devid);
			snprintf(a->user, sizeof a->user, "%s", user);
			snprintf(a->secret, sizeof a->secret, "%s", secret);
			snprintf(a->mcptt_id, sizeof a->mcptt_id, "%s", uid);
			if (nonce[0] && strcmp(nonce, "-") && dm_nonce_from_b64(&a->nonce, nonce)) {
				fprintf(stderr, "%s:%d: the nonce is not base64\n", path, line);
				mcx_free(f);
				return -1;
			}
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	mcx_free(f);
	return 0;
}

static int set_data_dir(struct mcx_ctx *x, const char *dir)
{
	if (!dir)
		return 0;
	char *d = mcx_strdup(dir);
	if (!d)
		return -1;
	mcx_free(x->cfg.general.data_dir);
	x->cfg.general.data_dir = d;
	return 0;
}

static int run_server(struct mcx_ctx *x, struct dmopt *o, bool offline)
{
	struct srv s = {.x = x, .o = o};
	int rc = 1;
	struct MHD_Daemon *d = NULL;
	char host[64];
	unsigned port = 0;
	const char *colon = strrchr(o->listen, ':');
	if (!colon || (size_t)(colon - o->listen) >= sizeof host ||
	    sscanf(colon + 1, "%u", &port) != 1 || port > 65535) {
		fprintf(stderr, "mcx dm: --listen wants HOST:PORT, not %s\n", o->listen);
		return 2;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - o->listen), o->listen);
	if (offline) {
		if (!o->mcptt_id || !o->ue) {
			fprintf(stderr, "mcx dm offline: --mcptt-id and --ue are required\n%s", usage);
			return 2;
		}
		const char *sec = o->ue_secret ? o->ue_secret : getenv("MCX_DM_SECRET");
		if (!sec) {
			fprintf(stderr, "mcx dm offline: --ue-secret (or $MCX_DM_SECRET) is required: "
				"the UE's DMAcc AAuthSecret for this server\n");
			return 2;
		}
		s.devs = mcx_calloc(1, sizeof *s.devs);
		if (!s.devs)
			return 1;
		s.ndevs = 1;
		struct dm_srv_account *a = &s.devs[0].a;
		snprintf(a->devid, sizeof a->devid, "%s", o->ue);
		snprintf(a->user, sizeof a->user, "%s", o->ue_user);
		snprintf(a->secret, sizeof a->secret, "%s", sec);
		snprintf(a->mcptt_id, sizeof a->mcptt_id, "%s", o->mcptt_id);
		if (o->nonce && dm_nonce_from_b64(&a->nonce, o->nonce)) {
			fprintf(stderr, "mcx dm: --nonce is not base64\n");
			goto out;
		}
	} else {
		if (!o->devices) {
			fprintf(stderr, "mcx dm serve: --devices FILE is required\n%s", usage);
			return 2;
		}
		if (load_devices(&s, o->devices))
			goto out;
	}
	if (set_data_dir(x, o->data) || mcx_open(x))
		goto out;
	char resp[128];
	snprintf(resp, sizeof resp, "http://%s:%u/dm", host, port);
	/* a laptop on a local link: allow messages as large as the UE does */
	struct dm_server_opts so = {.server_id = o->server_id, .resp_uri = resp,
				    .max_msg = DM_MSG_MAX_DEFAULT,
				    .account = srv_account, .plan = srv_plan, .done = srv_done,
				    .arg = &s};
	if (dm_server_alloc(&s.dm, &so)) {
		fprintf(stderr, "mcx dm: cannot start the session engine\n");
		goto out;
	}
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "mcx dm: %s is not an IPv4 address\n", host);
		goto out;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_req, &s,
			     MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mcx dm: cannot listen on %s\n", o->listen);
		goto out;
	}
	printf("mcx dm: %s server %s listening on http://%s/dm (bootstrap: /dm/bootstrap?devid=)\n",
	       offline ? "offline" : "DM", o->server_id, o->listen);
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop_flag && !(o->once && s.done))
		usleep(50 * 1000);
	rc = s.failed ? 1 : 0;
out:
	if (d)
		MHD_stop_daemon(d);
	dm_server_free(s.dm);
	mcx_free(s.devs);
	return rc;
}

/* ------------------------------------------------------------ artefacts */

static int gen(struct dmopt *o, const char *what, struct mcx_buf *body, struct mcx_buf *ctype)
{
	struct mcx_buf doc, tx, w7;
	char eb[300] = "";
	int rc = 1;
	const char *sec = o->ue_secret ? o->ue_secret : getenv("MCX_DM_SECRET");
	buf_init(&doc, DM_BOOT_MSG_MAX);
	buf_init(&tx, DM_BOOT_MSG_MAX);
	buf_init(&w7, DM_W7_MAX);
	if (!strcmp(what, "pkg0")) {
		struct dm_pkg0 p;
		struct dm_nonce n;
		memset(&p, 0, sizeof p);
		p.version = DM_PKG0_VERSION;
		p.ui = DM_PKG0_UI_BACKGROUND;
		p.server_initiated = true;
		p.session_id = (uint16_t)strtoul(o->session ? o->session : "1", NULL, 16);
		p.server_id.p = o->server_id;
		p.server_id.l = strlen(o->server_id);
		if (!o->srv_secret) {
			fprintf(stderr, "mcx dm gen pkg0: --srv-secret (the SRVCRED secret) is required\n");
			goto out;
		}
		if (dm_nonce_set(&n, o->srv_nonce ? o->srv_nonce : "", o->srv_nonce ? strlen(o->srv_nonce) : 0) ||
		    dm_pkg0_encode(&p, o->srv_secret, &n, body) || buf_adds(ctype, DM_PKG0_MIME)) {
			fprintf(stderr, "mcx dm gen pkg0: encoding failed\n");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!o->addr || !sec) {
		fprintf(stderr, "mcx dm gen %s: --addr and --ue-secret are required\n", what);
		goto out;
	}
	if (boot_msg(o, sec, o->nonce, &doc, &tx, &w7, eb, sizeof eb)) {
		fprintf(stderr, "mcx dm gen %s: %s\n", what, eb[0] ? eb : "cannot build the account");
		goto out;
	}
	enum mcx_err err = MCX_OK;
	if (!strcmp(what, "dmacc")) {
		err = buf_add(body, tx.p, tx.len);
		if (!err)
			err = buf_adds(ctype, DM_MIME_TNDS_XML);
	} else if (!strcmp(what, "w7")) {
		err = buf_add(body, w7.p, w7.len);
		if (!err)
			err = buf_adds(ctype, DM_W7_XML_MIME);
	} else if (!strcmp(what, "bootstrap")) {
		err = buf_add(body, doc.p, doc.len);
		if (!err)
			err = boot_ctype(o, &doc, ctype);
	} else if (!strcmp(what, "smartcard")) {
		struct mcx_buf ct;
		buf_init(&ct, DM_BOOT_CTYPE_MAX);
		err = boot_ctype(o, &doc, &ct);
		if (!err)
			err = buf_adds(body, DM_CARD_MAGIC);
		if (!err)
			err = dm_card_append(body, ct.p, (const uint8_t *)doc.p, doc.len);
		buf_reset(&ct);
		if (!err)
			err = buf_adds(ctype, "application/octet-stream");
	} else {
		fprintf(stderr, "mcx dm gen: unknown artefact %s (dmacc w7 bootstrap smartcard pkg0)\n",
			what);
		goto out;
	}
	rc = err ? 1 : 0;
out:
	buf_reset(&doc);
	buf_reset(&tx);
	buf_reset(&w7);
	return rc;
}

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static int post(const char *url, const struct mcx_buf *body, const char *ctype)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char hdr[DM_BOOT_CTYPE_MAX + 32];
	long code = 0;
	if (!c)
		return 1;
	snprintf(hdr, sizeof hdr, "Content-Type: %s", ctype);
	h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	CURLcode r = curl_easy_perform(c);
	if (r == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r != CURLE_OK) {
		fprintf(stderr, "mcx dm push: %s: %s\n", url, curl_easy_strerror(r));
		return 1;
	}
	printf("mcx dm push: %s (%s): HTTP %ld\n", url, ctype, code);
	return code >= 200 && code < 300 ? 0 : 1;
}

static int cmd_gen_push(struct dmopt *o, bool push)
{
	struct mcx_buf body, ct;
	int rc = 1;
	buf_init(&body, DM_CARD_MAX);
	buf_init(&ct, DM_BOOT_CTYPE_MAX);
	if (!push) {
		if (!o->arg) {
			fprintf(stderr, "mcx dm gen: which artefact? (dmacc w7 bootstrap smartcard pkg0)\n");
			goto out;
		}
		rc = gen(o, o->arg, &body, &ct);
		if (!rc)
			rc = write_out(o->out, body.p, body.len);
		if (!rc && o->out)
			printf("%s\n", ct.p);
		goto out;
	}
	if (!o->to) {
		fprintf(stderr, "mcx dm push: --to http://UE/push is required\n");
		goto out;
	}
	/* server-initiated bootstrap: the bootstrap message, then Package 0 */
	rc = gen(o, "bootstrap", &body, &ct);
	if (!rc)
		rc = post(o->to, &body, ct.p);
	buf_reset(&body);
	buf_reset(&ct);
	buf_init(&body, DM_PKG0_MAX);
	buf_init(&ct, DM_BOOT_CTYPE_MAX);
	if (!rc && o->srv_secret)
		rc = gen(o, "pkg0", &body, &ct);
	if (!rc && o->srv_secret)
		rc = post(o->to, &body, ct.p);
out:
	buf_reset(&body);
	buf_reset(&ct);
	return rc;
}

static int cmd_dump(const char *path)
{
	size_t len;
	char *p = path ? read_all(path, &len) : NULL;
	if (!p) {
		fprintf(stderr, "mcx dm dump: cannot read %s\n", path ? path : "(no file given)");
		return 2;
	}
	struct mcx_buf out;
	char eb[300] = "";
	buf_init(&out, DM_WBXML_XML_MAX_DEFAULT);
	enum mcx_err err = MCX_OK;
	if (dm_is_wbxml(p, len)) {
		err = dm_wbxml_decode((const uint8_t *)p, len, NULL, &out, eb, sizeof eb);
	} else {
		struct dm_msg *m = NULL;
		err = dm_msg_parse(p, len, NULL, DM_PARSE_LENIENT_AMP, &m, eb, sizeof eb);
		if (!err)
			err = dm_msg_emit(m, &out);
		dm_msg_free(m);
	}
	mcx_free(p);
	if (err) {
		fprintf(stderr, "mcx dm dump: %s: %s\n", path, eb);
		buf_reset(&out);
		return 1;
	}
	/* one element per line for reading */
	for (size_t i = 0; i < out.len; i++) {
		putchar(out.p[i]);
		if (out.p[i] == '>' && i + 1 < out.len && out.p[i + 1] == '<')
			putchar('\n');
	}
	putchar('\n');
	buf_reset(&out);
	return 0;
}

static int cmd_mo(const struct dmopt *o)
{
	size_t len;
	char *p = o->arg ? read_all(o->arg, &len) : NULL;
	if (!p) {
		fprintf(stderr, "mcx dm mo: cannot read %s\n", o->arg ? o->arg : "(no file given)");
		return 2;
	}
	enum mo_kind k;
	char eb[300] = "";
	struct mo_tree *t = NULL;
	struct mcx_buf out;
	buf_init(&out, MO_DOC_MAX_DEFAULT);
	int rc = 1;
	if (mo_kind_of_xml(p, len, &k, eb, sizeof eb) ||
	    mo_from_xml(k, p, len, o->canonical ? MO_NO_FORM : 0, NULL, &t, eb, sizeof eb)) {
		fprintf(stderr, "mcx dm mo: %s: %s\n", o->arg, eb);
		goto out;
	}
	printf("# %s MO (%s), instance root under %s\n", mo_maps[k].title, mo_maps[k].urn,
	       mo_maps[k].tree_root);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].leaf && strcmp(t->v[i].path, MO_NODE_FORM))
			printf("%s = %s\n", t->v[i].path, t->v[i].value);
		else if (!t->v[i].leaf)
			printf("%s/\n", t->v[i].path);
	bool used;
	if (mo_to_xml(t, 0, &out, &used, eb, sizeof eb)) {
		fprintf(stderr, "mcx dm mo: back to XML: %s\n", eb);
		goto out;
	}
	printf("# back to XML (%s): %s\n%s", used ? "XMLForm" : "canonical",
	       out.len == len && !memcmp(out.p, p, len) ? "same bytes" : "different bytes", out.p);
	rc = 0;
out:
	mo_tree_free(t);
	buf_reset(&out);
	mcx_free(p);
	return rc;
}

int cmd_dm(struct mcx_ctx *x, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "client")) {
		if (!cmd_dm_client) {
			fprintf(stderr, "mcx dm client: not built in this version\n");
			return 2;
		}
		return cmd_dm_client(x, argc - 1, argv + 1);
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
	struct dmopt o;
	memset(&o, 0, sizeof o);
	if (parse_opts(argc - 2, argv + 2, &o))
		return 2;
	if (!strcmp(sub, "offline"))
		return run_server(x, &o, true);
	if (!strcmp(sub, "serve"))
		return run_server(x, &o, false);
	if (!strcmp(sub, "gen"))
		return cmd_gen_push(&o, false);
	if (!strcmp(sub, "push"))
		return cmd_gen_push(&o, true);
	if (!strcmp(sub, "dump"))
		return cmd_dump(o.arg);
	if (!strcmp(sub, "mo"))
		return cmd_mo(&o);
	fprintf(stderr, "mcx dm: unknown command %s\n%s", sub, usage);
	return 2;
}
