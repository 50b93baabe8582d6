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
#include "core/log.h"
#include "core/mem.h"
#include "dm/auth.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/mo.h"
#include "dm/pkg0.h"
#include "dm/server.h"
#include "dm/server_role.h"
#include "dm/tnds.h"
#include "dm/w7.h"
#include "dm/wbxml.h"
#include "store/store.h"

static const char usage[] =
	"usage: mcx dm <command> [options]\n"
	"  offline --mcptt-id ID --ue URN [--data DIR] [--listen 127.0.0.1:PORT]\n"
	"          [--ue-user U] [--ue-secret S] [--nonce B64] [--server-id ID] [--once]\n"
	"          [--srv-user U --srv-secret S [--srv-nonce TEXT]]\n"
	"      serve the five MCPTT MOs of that user to that UE, in one Atomic\n"
	"  serve --devices FILE [--data DIR] [--listen 127.0.0.1:PORT] [--server-id ID] [--once]\n"
	"      serve every device of FILE (lines: DEVID USER SECRET [NONCE_B64|-] [MCPTT_ID|-]\n"
	"      [SRV_USER SRV_SECRET [SRV_NONCE_B64|-]]); a device with an MCPTT ID gets the five\n"
	"      MOs, else the UE initial configuration\n"
	"  (offline, serve, delegate) --srv-secret S   the server authenticates itself to UEs\n"
	"      (Cred auth-md5 as --srv-user, default the ServerID) unless the line gives SRVCRED\n"
	"  delegate --ue URN|--devices FILE --to-server-id SP --to-addr URL --to-user U\n"
	"          --to-secret S [--to-srv-user U] [--to-srv-secret S] [--to-acc NAME] [...]\n"
	"      operator's server: the session adds ./DMAcc/NAME for the service provider's\n"
	"      server SP and gives it the MCPTT MO roots by ACL (DM 1.2 ACLs, not DM 1.3)\n"
	"  (offline, serve, delegate) --get URI   also Get URI (repeatable; failures reported)\n"
	"  (offline, serve, delegate) --addr URL  our URL as UEs reach it (default from --listen)\n"
	"  gen dmacc|w7|bootstrap|smartcard|pkg0 [account options] [--out FILE]\n"
	"  push --to http://UE/push [account options]   bootstrap message, then Package 0\n"
	"  dump FILE          a recorded message (XML or WBXML) as readable XML\n"
	"  mo FILE [--canonical]   a document's MO nodes, and the XML they give back\n"
	"  client ...         the DM client (mcx dm client --help)\n"
	"account options: --server-id ID --addr URL --ue-user U --ue-secret S [--nonce B64]\n"
	"  --srv-user U --srv-secret S [--srv-nonce TEXT] [--acc NAME]\n"
	"  [--networkid N | --userpin P] (bootstrap SEC/MAC) [--session N] (Package 0)\n"
	"HTTP (serve/offline/delegate): POST /dm (SyncML XML or WBXML), GET /dm/bootstrap?devid=URN\n"
	"mcxd serves the same routes under its dm-path with --dm yes --dm-devices FILE\n";

struct dmopt {
	const char *mcptt_id, *ue, *data, *listen, *ue_user, *ue_secret, *nonce, *server_id;
	const char *devices, *out, *to, *addr, *srv_user, *srv_secret, *srv_nonce, *acc;
	const char *networkid, *userpin, *session;
	const char *to_id, *to_addr, *to_user, *to_secret, *to_srv_user, *to_srv_secret, *to_acc;
	const char *gets_[DM_ROLE_GETS_MAX];	/* --get URI, repeated */
	size_t ngets;
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
		O("--userpin", userpin), O("--session", session), O("--to-server-id", to_id),
		O("--to-addr", to_addr), O("--to-user", to_user), O("--to-secret", to_secret),
		O("--to-srv-user", to_srv_user), O("--to-srv-secret", to_srv_secret),
		O("--to-acc", to_acc),
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
		if (!strcmp(argv[i], "--get")) {
			if (i + 1 >= argc || o->ngets == DM_ROLE_GETS_MAX) {
				fprintf(stderr, "mcx dm: --get needs a URI (at most %d)\n",
					DM_ROLE_GETS_MAX);
				return -1;
			}
			o->gets_[o->ngets++] = argv[++i];
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
	struct mcx_buf b;

	buf_init(&b, 64 * 1024 * 1024);
	if (buf_add_file(&b, path) || buf_add(&b, "", 0)) {
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

struct srv {
	const struct dmopt *o;
	struct dm_role *role;
	int done;		/* sessions ended (for --once) */
	int failed;
};

static void srv_done(void *arg, const struct dm_srv_report *r)
{
	struct srv *s = arg;
	if (r->refused)
		fprintf(stderr, "mcx dm: %s session %s refused (%u): %s\n", r->devid, r->session_id,
			r->refused, r->why);
	else
		fprintf(stderr, "mcx dm: %s session %s %s: %zu/%zu commands OK, Atomic %u, "
			"%zu messages, %zu results%s%s\n", r->devid, r->session_id,
			r->ok ? "done" : "FAILED", r->ops_ok, r->ops, r->atomic, r->messages, r->results,
			r->why[0] ? "; " : "", r->why);
	if (!r->refused && r->fail_code)
		fprintf(stderr, "mcx dm: %s: first failure: status %u on %s\n", r->devid, r->fail_code,
			r->fail_uri);
	if (r->srv_accepted)
		fprintf(stderr, "mcx dm: %s: the UE accepted the server's credentials (%u challenge(s))\n",
			r->devid, r->srv_challenges);
	if (!r->refused && r->ops) {
		s->done++;
		if (!r->ok)
			s->failed++;
	}
}

struct hreq {
	struct mcx_buf body;
	bool too_large;
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

/* libmicrohttpd glue: the routes below /dm go to dm_role_http(). */
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
		if (!h->too_large && buf_add(&h->body, upload, *upload_size))
			h->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/dm", 3) || (url[3] && url[3] != '/'))
		return answer(con, 404, "text/plain", "not found\n", 10);
	struct dm_role_answer a;
	dm_role_answer_init(&a);
	dm_role_http(s->role, method, url + 3,
		     MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "s"),
		     MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "devid"),
		     MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type"), h->body.p,
		     h->body.len, h->too_large, &a);
	if (a.status != 200)
		fprintf(stderr, "mcx dm: %s %s: %u %s\n", method, url, a.status, a.why);
	enum MHD_Result ret = answer(con, a.status, a.ctype, a.body.p ? a.body.p : "", a.body.len);
	dm_role_answer_free(&a);
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

/* The one device of --ue (offline, delegate without --devices). */
static int one_device(struct dm_role *role, const struct dmopt *o, const char *cmd)
{
	const char *sec = o->ue_secret ? o->ue_secret : getenv("MCX_DM_SECRET");
	if (!sec) {
		fprintf(stderr, "mcx dm %s: --ue-secret (or $MCX_DM_SECRET) is required: "
			"the UE's DMAcc AAuthSecret for this server\n", cmd);
		return 2;
	}
	struct dm_srv_account a;
	memset(&a, 0, sizeof a);
	if (strlen(o->ue) >= sizeof a.devid || strlen(o->ue_user) >= sizeof a.user ||
	    strlen(sec) >= sizeof a.secret ||
	    (o->mcptt_id && strlen(o->mcptt_id) >= sizeof a.mcptt_id)) {
		fprintf(stderr, "mcx dm %s: a value is longer than %d bytes\n", cmd, DM_SRV_ID_MAX - 1);
		return 2;
	}
	snprintf(a.devid, sizeof a.devid, "%s", o->ue);
	snprintf(a.user, sizeof a.user, "%s", o->ue_user);
	snprintf(a.secret, sizeof a.secret, "%s", sec);
	snprintf(a.mcptt_id, sizeof a.mcptt_id, "%s", o->mcptt_id ? o->mcptt_id : "");
	if (o->nonce && dm_nonce_from_b64(&a.nonce, o->nonce)) {
		fprintf(stderr, "mcx dm %s: --nonce is not base64\n", cmd);
		return 2;
	}
	return dm_role_add_device(role, &a) ? 1 : 0;
}

enum mode { M_OFFLINE, M_SERVE, M_DELEGATE };

static int run_server(struct mcx_ctx *x, struct dmopt *o, enum mode mode)
{
	static const char *const names[] = {"offline", "serve", "delegate"};
	const char *cmd = names[mode];
	struct srv s = {.o = o};
	int rc = 1;
	struct MHD_Daemon *d = NULL;
	char host[64], url[128], eb[300] = "";
	unsigned port = 0;
	const char *colon = strrchr(o->listen, ':');
	if (!colon || (size_t)(colon - o->listen) >= sizeof host ||
	    sscanf(colon + 1, "%u", &port) != 1 || port > 65535) {
		fprintf(stderr, "mcx dm: --listen wants HOST:PORT, not %s\n", o->listen);
		return 2;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - o->listen), o->listen);
	if (mode == M_OFFLINE && (!o->mcptt_id || !o->ue)) {
		fprintf(stderr, "mcx dm offline: --mcptt-id and --ue are required\n%s", usage);
		return 2;
	}
	if (mode == M_SERVE && !o->devices) {
		fprintf(stderr, "mcx dm serve: --devices FILE is required\n%s", usage);
		return 2;
	}
	if (mode == M_DELEGATE && (!o->ue == !o->devices)) {
		fprintf(stderr, "mcx dm delegate: --ue URN or --devices FILE (one of them)\n%s", usage);
		return 2;
	}
	struct dm_delegate del = {.acc = o->to_acc ? o->to_acc : "sp", .server_id = o->to_id,
				  .addr = o->to_addr, .client_user = o->to_user,
				  .client_secret = o->to_secret, .server_user = o->to_srv_user,
				  .server_secret = o->to_srv_secret, .owner_id = o->server_id};
	if (mode == M_DELEGATE && (!o->to_id || !o->to_addr || !o->to_user || !o->to_secret)) {
		fprintf(stderr, "mcx dm delegate: --to-server-id, --to-addr, --to-user and --to-secret "
			"(the UE's credentials for the delegate) are required\n");
		return 2;
	}
	/* --addr: our URL as the UE reaches it (RespURI, bootstrap Addr) */
	snprintf(url, sizeof url, "%s", o->addr ? o->addr : "");
	if (!o->addr || strlen(o->addr) >= sizeof url)
		snprintf(url, sizeof url, "http://%s:%u/dm", host, port);
	if (mode != M_DELEGATE && (set_data_dir(x, o->data) || mcx_open(x)))
		return 1;
	/* a laptop on a local link: allow messages as large as the UE does */
	struct dm_role_conf rc_ = {.server_id = o->server_id, .url = url,
				   .max_msg = DM_MSG_MAX_DEFAULT, .default_domain = x->cfg.http.realm,
				   .acc = o->acc, .srv_user = o->srv_user, .srv_secret = o->srv_secret,
				   .srv_nonce = o->srv_nonce, .networkid = o->networkid,
				   .userpin = o->userpin, .delegate = mode == M_DELEGATE ? &del : NULL,
				   .done = srv_done, .done_arg = &s};
	for (size_t i = 0; i < o->ngets; i++)
		rc_.get_uris[rc_.nget_uris++] = o->gets_[i];
	if (dm_role_alloc(&s.role, &rc_, x->store, eb, sizeof eb)) {
		fprintf(stderr, "mcx dm %s: %s\n", cmd, eb);
		goto out;
	}
	if (o->devices && dm_role_load_devices(s.role, o->devices, eb, sizeof eb)) {
		fprintf(stderr, "mcx dm %s: %s\n", cmd, eb);
		goto out;
	}
	if (!o->devices) {
		rc = one_device(s.role, o, cmd);
		if (rc)
			goto out;
		rc = 1;
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
	mcx_log_set_level(MCX_LOG_INFO);	/* which document goes where */
	printf("mcx dm: %s server %s listening on %s (bootstrap: /dm/bootstrap?devid=), %zu device(s)\n",
	       cmd, o->server_id, url, dm_role_devices(s.role));
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop_flag && !(o->once && s.done))
		usleep(50 * 1000);
	rc = s.failed ? 1 : 0;
out:
	if (d)
		MHD_stop_daemon(d);
	dm_role_free(s.role);
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
	struct dm_boot_acc ba = {.devid = o->ue, .server_id = o->server_id, .addr = o->addr,
				 .acc = o->acc, .ue_user = o->ue_user, .ue_secret = sec,
				 .ue_nonce_b64 = o->nonce, .srv_user = o->srv_user,
				 .srv_secret = o->srv_secret, .srv_nonce = o->srv_nonce};
	if (dm_role_boot_msg(&ba, &doc, &tx, &w7, eb, sizeof eb)) {
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
			err = dm_role_boot_ctype(o->networkid, o->userpin, &doc, ctype);
	} else if (!strcmp(what, "smartcard")) {
		struct mcx_buf ct;
		buf_init(&ct, DM_BOOT_CTYPE_MAX);
		err = dm_role_boot_ctype(o->networkid, o->userpin, &doc, &ct);
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
	if (!strcmp(sub, "client"))
		return cmd_dm_client(x, argc - 1, argv + 1);
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
		return run_server(x, &o, M_OFFLINE);
	if (!strcmp(sub, "serve"))
		return run_server(x, &o, M_SERVE);
	if (!strcmp(sub, "delegate"))
		return run_server(x, &o, M_DELEGATE);
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
