/* mcx dm client: the UE's DM client on a tree directory (init, accounts,
 * sessions, the push listener, bootstrap, inspection, export of the MCPTT
 * MOs as XML documents). Wiring only: the protocol is in src/dm/ (tree.c,
 * client.c, bootclient.c). */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "cmd/mcx.h"
#include "core/log.h"
#include "core/mem.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/client.h"
#include "dm/mo.h"
#include "dm/pkg0.h"
#include "dm/status.h"
#include "dm/tree.h"

static const char usage_text[] =
	"usage: mcx dm client COMMAND --tree DIR [options]\n"
	"  init --devid URN [--man M] [--mod M] [--lang L]   a new tree: DevInfo, DevDetail, DMAcc, Inbox\n"
	"  account add --server-id ID --addr URL [--name X] [--auth DIGEST|BASIC|HMAC]\n"
	"              [--user U --secret S [--nonce B64]] [--srv-user U --srv-secret S [--srv-nonce B64]]\n"
	"  account add --file DMACC.xml        a DMAcc TNDS file (customized bootstrap)\n"
	"  account list | account remove NAME\n"
	"  session [--account X] [--cms URL]    a client-initiated session (Alert 1201)\n"
	"  listen --push 127.0.0.1:PORT        take bootstrap messages and Package 0 on POST /push\n"
	"  bootstrap --url URL | --file FILE [--content-type CT]   client-initiated / file bootstrap\n"
	"  show [URI] [--xml]                  the tree (or a subtree)\n"
	"  export --out DIR                    the MCPTT MOs of the tree as XML documents\n"
	"common options: --wbxml  --smartcard FILE (read at start)  --networkid N  --userpin P\n"
	"  --max-msg-size N  --reject-confirm  --require-server-auth  --timeout S  --count N (listen)\n"
	"  --session-after-bootstrap (listen)  -v (debug log)\n";

struct copt {
	const char *tree, *devid, *man, *mod, *lang, *server_id, *addr, *name, *auth;
	const char *user, *secret, *nonce, *srv_user, *srv_secret, *srv_nonce, *file;
	const char *account, *cms, *push, *url, *ctype, *out, *smartcard, *networkid, *userpin;
	const char *max_msg, *timeout, *count;
	bool wbxml, xml, reject_confirm, require_server_auth, session_after, verbose, help;
	const char *args[3];
	int nargs;
};

static int parse(int argc, char **argv, struct copt *o)
{
	static const struct {
		const char *name;
		size_t off;
	} vals[] = {
#define V(n, f) { n, offsetof(struct copt, f) }
		V("--tree", tree), V("--devid", devid), V("--man", man), V("--mod", mod),
		V("--lang", lang), V("--server-id", server_id), V("--addr", addr), V("--name", name),
		V("--auth", auth), V("--user", user), V("--secret", secret), V("--nonce", nonce),
		V("--srv-user", srv_user), V("--srv-secret", srv_secret), V("--srv-nonce", srv_nonce),
		V("--file", file), V("--account", account), V("--cms", cms), V("--push", push),
		V("--url", url), V("--content-type", ctype), V("--out", out),
		V("--smartcard", smartcard), V("--networkid", networkid), V("--userpin", userpin),
		V("--max-msg-size", max_msg), V("--timeout", timeout), V("--count", count),
#undef V
	};
	int i;
	size_t k;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			o->help = true;
			continue;
		}
		if (!strcmp(a, "--wbxml") || !strcmp(a, "--xml") || !strcmp(a, "--reject-confirm") ||
		    !strcmp(a, "--require-server-auth") || !strcmp(a, "--session-after-bootstrap") ||
		    !strcmp(a, "-v")) {
			o->wbxml |= !strcmp(a, "--wbxml");
			o->xml |= !strcmp(a, "--xml");
			o->reject_confirm |= !strcmp(a, "--reject-confirm");
			o->require_server_auth |= !strcmp(a, "--require-server-auth");
			o->session_after |= !strcmp(a, "--session-after-bootstrap");
			o->verbose |= !strcmp(a, "-v");
			continue;
		}
		for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++)
			if (!strcmp(a, vals[k].name))
				break;
		if (k < sizeof(vals) / sizeof(vals[0])) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mcx dm client: %s needs a value\n", a);
				return -1;
			}
			*(const char **)((char *)o + vals[k].off) = argv[++i];
			continue;
		}
		if (a[0] == '-') {
			fprintf(stderr, "mcx dm client: unknown option %s (try --help)\n", a);
			return -1;
		}
		if (o->nargs == 3) {
			fprintf(stderr, "mcx dm client: unexpected argument %s\n", a);
			return -1;
		}
		o->args[o->nargs++] = a;
	}
	return 0;
}

static void conf_of(const struct copt *o, struct dm_client_conf *c)
{
	dm_client_conf_default(c);
	c->wbxml = o->wbxml;
	c->confirm_reject = o->reject_confirm;
	c->require_server_auth = o->require_server_auth;
	if (o->max_msg && atol(o->max_msg) >= DM_MAXMSGSIZE_MIN)
		c->msg_max = (size_t)strtoul(o->max_msg, NULL, 10);
	if (o->timeout && strtol(o->timeout, NULL, 10) > 0)
		c->timeout = strtol(o->timeout, NULL, 10);
}

static int load(const struct copt *o, struct dm_tree **tp)
{
	char eb[512];
	enum mcx_err err;

	if (!o->tree) {
		fprintf(stderr, "mcx dm client: --tree DIR is required\n");
		return 2;
	}
	err = dm_tree_load(tp, o->tree, NULL, eb, sizeof(eb));
	if (err) {
		fprintf(stderr, "mcx dm client: cannot load the tree: %s%s\n", eb,
			err == MCX_ENOENT ? " (run 'mcx dm client init' first)" : "");
		return 1;
	}
	return 0;
}

static int save(struct dm_tree *t, const char *dir)
{
	if (dm_tree_save(t, dir)) {
		fprintf(stderr, "mcx dm client: cannot save the tree: %s\n", t->errbuf);
		return 1;
	}
	return 0;
}

static int read_all(const char *path, size_t max, struct mcx_buf *b)
{
	enum mcx_err err;

	buf_init(b, max);
	err = buf_add_file(b, path);
	if (err == MCX_ELIMIT)
		fprintf(stderr, "mcx dm client: %s is over %zu bytes\n", path, max);
	else if (err)
		fprintf(stderr, "mcx dm client: cannot read %s: %s\n", path, strerror(errno));
	if (err)
		buf_reset(b);
	return err ? 1 : 0;
}

static struct dm_boot_keys keys_of(const struct copt *o)
{
	struct dm_boot_keys k = { o->networkid, o->userpin, false };

	return k;
}

/* --smartcard: read the image, apply it, drop the accounts it lost. */
static int smartcard(const struct copt *o, struct dm_tree *t)
{
	struct dm_boot_keys k = keys_of(o);
	struct dm_boot_result res;
	struct mcx_buf img;
	size_t removed = 0, i;
	char eb[512];

	if (!o->smartcard)
		return 0;
	if (read_all(o->smartcard, DM_CARD_MAX, &img))
		return 1;
	if (dm_card_apply(t, (const uint8_t *)img.p, img.len, &k, &res, &removed, eb, sizeof(eb))) {
		fprintf(stderr, "mcx dm client: smartcard %s: %s\n", o->smartcard, eb);
		buf_reset(&img);
		return 1;
	}
	buf_reset(&img);
	for (i = 0; i < res.n; i++)
		printf("smartcard: account %s (ServerID %s)\n", res.names[i], res.server_ids[i]);
	if (removed)
		printf("smartcard: %zu account(s) no longer on the card removed\n", removed);
	return save(t, o->tree);
}

/* --- init, accounts, show --- */

static int c_init(const struct copt *o)
{
	struct dm_devinfo di = { .dev_id = o->devid, .man = o->man, .mod = o->mod, .lang = o->lang };
	struct dm_tree *t = NULL;
	char path[4096];
	int rc;

	if (!o->tree || !o->devid) {
		fprintf(stderr, "mcx dm client init: --tree DIR and --devid URN are required\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, o->tree);
	if (!access(path, F_OK)) {
		fprintf(stderr, "mcx dm client init: %s already exists\n", path);
		return 1;
	}
	if (mkdir(o->tree, 0700) && errno != EEXIST) {
		fprintf(stderr, "mcx dm client init: cannot create %s: %s\n", o->tree, strerror(errno));
		return 1;
	}
	if (dm_tree_alloc(&t, NULL))
		return 1;
	if (dm_tree_init_std(t, &di)) {
		fprintf(stderr, "mcx dm client init: %s\n", t->errbuf);
		dm_tree_free(t);
		return 1;
	}
	rc = save(t, o->tree);
	if (!rc)
		printf("tree %s: DevId %s\n", o->tree, o->devid);
	dm_tree_free(t);
	return rc;
}

static int account_add(const struct copt *o, struct dm_tree *t)
{
	struct dm_acc_spec a = { o->name, o->server_id, o->addr, o->auth, o->user, o->secret,
				 o->nonce, o->srv_user, o->srv_secret, o->srv_nonce,
				 DM_ORIGIN_CUSTOMIZED };
	struct dm_boot_keys k = { o->networkid, o->userpin, true };
	struct dm_boot_result res;
	struct mcx_buf b;
	char eb[512];
	size_t i;

	if (o->file) {
		if (read_all(o->file, DM_BOOT_MSG_MAX, &b))
			return 1;
		if (dm_boot_apply(t, (const uint8_t *)b.p, b.len,
				  o->ctype ? o->ctype : DM_MIME_TNDS_XML, &k, DM_ORIGIN_CUSTOMIZED,
				  &res, eb, sizeof(eb))) {
			fprintf(stderr, "mcx dm client account add: %s: %s\n", o->file, eb);
			buf_reset(&b);
			return 1;
		}
		buf_reset(&b);
		for (i = 0; i < res.n; i++)
			printf("account %s (ServerID %s)\n", res.names[i], res.server_ids[i]);
		return save(t, o->tree);
	}
	if (dm_account_add(t, &a, eb, sizeof(eb))) {
		fprintf(stderr, "mcx dm client account add: %s\n", eb);
		return 1;
	}
	printf("account %s (ServerID %s) -> %s\n", o->name ? o->name : "(from ServerID)",
	       o->server_id, o->addr);
	return save(t, o->tree);
}

static int account_list(struct dm_tree *t)
{
	const struct dm_node *accs = dm_tree_find(t, "./DMAcc"), *x;
	struct dm_account a;
	char *pref = dm_account_prefer(t, NULL);

	for (x = accs ? accs->children : NULL; x; x = x->next) {
		if (dm_account_read(t, x->name, &a)) {
			printf("%s\t(incomplete)\n", x->name);
			continue;
		}
		printf("%s\t%s\t%s\t%s\t%s%s\n", a.name, a.server_id, a.addr,
		       a.origin ? a.origin : "-", dm_auth_type_name(a.auth),
		       pref && !strcmp(pref, a.name) ? "\tpreferred" : "");
		dm_account_clear(&a);
	}
	mcx_free(pref);
	return 0;
}

static void show_node(const struct dm_node *n, int depth)
{
	const struct dm_node *c;

	printf("%*s%s", depth * 2, "", n->name);
	if (!n->interior)
		printf(" = %.*s", (int)(n->value_len > 200 ? 200 : n->value_len),
		       n->value ? (strcmp(n->name, "AAuthSecret") ? n->value : "********") : "");
	printf("  [%s%s%s%s%s]\n", n->format ? n->format : "chr", n->type ? " " : "",
	       n->type ? n->type : "", n->acl ? " ACL " : "", n->acl ? n->acl : "");
	for (c = n->children; c; c = c->next)
		show_node(c, depth + 1);
}

static int c_show(const struct copt *o, struct dm_tree *t)
{
	const char *uri = o->nargs > 1 ? o->args[1] : ".";
	const struct dm_node *n = dm_tree_find(t, uri);
	struct mcx_buf b;

	if (!n) {
		fprintf(stderr, "mcx dm client show: no node %s\n", uri);
		return 1;
	}
	if (!o->xml) {
		show_node(n, 0);
		return 0;
	}
	buf_init(&b, t->lim.file_max);
	if (dm_tree_emit_tnds(t, n, &b)) {
		buf_reset(&b);
		return 1;
	}
	fwrite(b.p, 1, b.len, stdout);
	buf_reset(&b);
	return 0;
}

/* --- sessions --- */

static int run_session(const struct copt *o, struct dm_tree *t, const char *account,
		       unsigned alert, const char *sid)
{
	struct dm_client_conf c;
	struct dm_session *s = NULL;
	struct dm_session_stats st;
	char eb[512];
	enum mcx_err err;

	conf_of(o, &c);
	err = dm_session_alloc(&s, t, account, &c, alert, sid);
	if (err) {
		fprintf(stderr, "mcx dm client: cannot start a session: %s\n",
			t->errbuf[0] ? t->errbuf : mcx_strerror(err));
		return 1;
	}
	err = dm_client_run(s, t, o->tree, eb, sizeof(eb));
	dm_session_stats(s, &st);
	if (err)
		fprintf(stderr, "mcx dm client: session with %s failed: %s\n", account, eb);
	else
		printf("session %s with %s: ok, %u messages out, %u in, %u commands (%u failed, "
		       "%u denied), server %sauthenticated\n", alert == DM_ALERT_SERVER_INITIATED ?
		       "(server-initiated)" : "(client-initiated)", account, st.msgs_out,
		       st.msgs_in, st.cmds, st.failed, st.denied,
		       st.server_authenticated ? "" : "not ");
	fflush(stdout);
	dm_session_free(s);
	return err ? 1 : save(t, o->tree);
}

static int c_session(const struct copt *o, struct dm_tree *t)
{
	char *acc = o->account ? mcx_strdup(o->account) : dm_account_prefer(t, o->cms);
	int rc;

	if (!acc) {
		fprintf(stderr, "mcx dm client session: no DM account in the tree "
			"(mcx dm client account add ...)\n");
		return 1;
	}
	rc = run_session(o, t, acc, DM_ALERT_CLIENT_INITIATED, NULL);
	mcx_free(acc);
	return rc;
}

/* --- bootstrap --- */

static int apply_boot(const struct copt *o, struct dm_tree *t, const uint8_t *body, size_t len,
		      const char *ctype, const char *origin, char *eb, size_t el,
		      struct dm_boot_result *res)
{
	struct dm_boot_keys k = keys_of(o);
	size_t i;

	if (dm_boot_apply(t, body, len, ctype, &k, origin, res, eb, el))
		return 1;
	for (i = 0; i < res->n; i++)
		printf("bootstrap (%s): account %s (ServerID %s)\n", origin, res->names[i],
		       res->server_ids[i]);
	fflush(stdout);
	return save(t, o->tree);
}

static int c_bootstrap(const struct copt *o, struct dm_tree *t)
{
	struct dm_boot_result res;
	struct dm_http_resp r;
	struct mcx_buf b;
	char eb[512];
	int rc;

	if (o->url) {
		if (dm_http(o->url, NULL, 0, NULL, NULL, 30, DM_BOOT_MSG_MAX, &r, eb, sizeof(eb))) {
			fprintf(stderr, "mcx dm client bootstrap: fetch failed: %s\n", eb);
			return 1;
		}
		rc = apply_boot(o, t, (const uint8_t *)r.body.p, r.body.len, r.ctype,
				DM_ORIGIN_FETCH, eb, sizeof(eb), &res);
		dm_http_resp_free(&r);
	} else if (o->file) {
		if (read_all(o->file, DM_BOOT_MSG_MAX, &b))
			return 1;
		rc = apply_boot(o, t, (const uint8_t *)b.p, b.len,
				o->ctype ? o->ctype : DM_BOOT_MIME, DM_ORIGIN_PUSH, eb, sizeof(eb),
				&res);
		buf_reset(&b);
	} else if (o->smartcard) {
		return 0;	/* applied at start already */
	} else {
		fprintf(stderr, "mcx dm client bootstrap: --url, --file or --smartcard is required\n");
		return 2;
	}
	if (rc)
		fprintf(stderr, "mcx dm client bootstrap: refused: %s\n", eb);
	if (!rc && o->session_after && res.n)
		rc = run_session(o, t, res.names[0], DM_ALERT_CLIENT_INITIATED, NULL);
	return rc;
}

/* --- the push listener --- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct listener {
	const struct copt *o;
	struct dm_tree *t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *trigger_account;	/* a verified Package 0 waiting for its session */
	char trigger_session[5];
	char *boot_account;	/* --session-after-bootstrap */
	unsigned events;
};

struct upload {
	struct mcx_buf body;
	bool over;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* One push, under the tree lock: HTTP status and a line of text. */
static unsigned handle_push(struct listener *l, const char *ctype, const uint8_t *p, size_t n,
			    char *msg, size_t ml)
{
	struct dm_boot_result res;
	char eb[512], sess[5], *acc = NULL;
	enum mcx_err err;

	if (!ctype) {
		snprintf(msg, ml, "no Content-Type\n");
		return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
	}
	if (!strncasecmp(ctype, DM_PKG0_MIME, strlen(DM_PKG0_MIME))) {
		err = dm_boot_pkg0(l->t, p, n, &acc, sess, eb, sizeof(eb));
		if (err) {
			printf("push: Package 0 refused: %s\n", eb);
			snprintf(msg, ml, "%s\n", eb);
			return err == MCX_EINVAL ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_FORBIDDEN;
		}
		printf("push: Package 0 from account %s, session %s\n", acc, sess);
		mcx_free(l->trigger_account);
		l->trigger_account = acc;
		snprintf(l->trigger_session, sizeof(l->trigger_session), "%s", sess);
		snprintf(msg, ml, "session %s will start\n", sess);
		return MHD_HTTP_OK;
	}
	if (apply_boot(l->o, l->t, p, n, ctype, DM_ORIGIN_PUSH, eb, sizeof(eb), &res)) {
		printf("push: bootstrap refused: %s\n", eb);
		snprintf(msg, ml, "%s\n", eb);
		return strstr(eb, "MAC") || strstr(eb, "SEC") ? MHD_HTTP_FORBIDDEN :
		       strstr(eb, "Content-Type") || strstr(eb, "supported") ?
		       MHD_HTTP_UNSUPPORTED_MEDIA_TYPE : MHD_HTTP_BAD_REQUEST;
	}
	l->events++;
	if (l->o->session_after && res.n) {
		mcx_free(l->boot_account);
		l->boot_account = mcx_strdup(res.names[0]);
	}
	snprintf(msg, ml, "bootstrap applied: %zu account(s)\n", res.n);
	return MHD_HTTP_OK;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **state)
{
	struct listener *l = cls;
	struct upload *u = *state;
	char msg[700];
	unsigned code;

	(void)version;
	if (!u) {
		u = mcx_calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		buf_init(&u->body, DM_BOOT_MSG_MAX);
		*state = u;
		return MHD_YES;
	}
	if (*size) {
		if (buf_add(&u->body, data, *size))
			u->over = true;
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") || strcmp(url, "/push"))
		return reply(c, MHD_HTTP_NOT_FOUND, "POST /push only\n");
	if (u->over)
		return reply(c, 413, "push body too large\n");
	pthread_mutex_lock(&l->mu);
	code = handle_push(l, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							  MHD_HTTP_HEADER_CONTENT_TYPE),
			   (const uint8_t *)u->body.p, u->body.len, msg, sizeof(msg));
	fflush(stdout);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return reply(c, code, msg);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
		    enum MHD_RequestTerminationCode tc)
{
	struct upload *u = *state;

	(void)cls;
	(void)c;
	(void)tc;
	if (u) {
		buf_reset(&u->body);
		mcx_free(u);
		*state = NULL;
	}
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	long port;

	memset(sa, 0, sizeof(*sa));
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/* Run the sessions the handler queued (under the lock). */
static void run_triggers(struct listener *l)
{
	char *acc;

	if (l->trigger_account) {
		acc = l->trigger_account;
		l->trigger_account = NULL;
		run_session(l->o, l->t, acc, DM_ALERT_SERVER_INITIATED, l->trigger_session);
		mcx_free(acc);
		l->events++;
	}
	if (l->boot_account) {
		acc = l->boot_account;
		l->boot_account = NULL;
		run_session(l->o, l->t, acc, DM_ALERT_CLIENT_INITIATED, NULL);
		mcx_free(acc);
	}
}

static int c_listen(const struct copt *o, struct dm_tree *t)
{
	struct listener l;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	struct sigaction act;
	unsigned long count = o->count ? strtoul(o->count, NULL, 10) : 0;

	if (!o->push || parse_addr(o->push, &sa)) {
		fprintf(stderr, "mcx dm client listen: --push IPv4:PORT is required\n");
		return 2;
	}
	memset(&l, 0, sizeof(l));
	l.o = o;
	l.t = t;
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.cv, NULL);
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, &l, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mcx dm client listen: cannot listen on %s\n", o->push);
		pthread_mutex_destroy(&l.mu);
		pthread_cond_destroy(&l.cv);
		return 1;
	}
	printf("listening on http://%s/push\n", o->push);
	fflush(stdout);
	pthread_mutex_lock(&l.mu);
	while (!stop_flag && (!count || l.events < count)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&l.cv, &l.mu, &ts);
		run_triggers(&l);
	}
	pthread_mutex_unlock(&l.mu);
	MHD_stop_daemon(d);
	mcx_free(l.trigger_account);
	mcx_free(l.boot_account);
	pthread_mutex_destroy(&l.mu);
	pthread_cond_destroy(&l.cv);
	return 0;
}

/* --- export --- */

/* The nodes under an <x> in document order, paths relative to it. */
static enum mcx_err walk_mo(const struct dm_node *n, struct mcx_buf *path, struct mo_tree *mt)
{
	const struct dm_node *c;
	enum mcx_err err = MCX_OK;
	size_t mark;

	for (c = n->children; c && !err; c = c->next) {
		mark = path->len;
		err = buf_addf(path, "%s%s", mark ? "/" : "", c->name);
		if (!err)
			err = mo_tree_add(mt, path->p, !c->interior, c->value, c->value_len);
		if (!err && c->interior)
			err = walk_mo(c, path, mt);
		path->len = mark;
		if (path->p)
			path->p[mark] = '\0';
	}
	return err;
}

static int export_one(const struct copt *o, enum mo_kind k, const struct dm_node *x,
		      bool several, unsigned *written)
{
	const struct mo_map *map = mo_map_get(k);
	struct mo_tree *mt = NULL;
	struct mcx_buf path, xml;
	char file[4096], eb[512];
	FILE *f;
	enum mcx_err err = mo_tree_alloc(&mt, k, NULL);

	if (err)
		return 1;
	buf_init(&path, MO_PATH_MAX);
	buf_init(&xml, MO_DOC_MAX_DEFAULT);
	err = walk_mo(x, &path, mt);
	if (!err)
		err = mo_to_xml(mt, 0, &xml, NULL, eb, sizeof(eb));
	else
		snprintf(eb, sizeof(eb), "%s", mcx_strerror(err));
	if (err) {
		fprintf(stderr, "mcx dm client export: %s/%s: %s\n", map->tree_root, x->name, eb);
	} else {
		if (several)
			snprintf(file, sizeof(file), "%s/%s-%s.xml", o->out, map->name, x->name);
		else
			snprintf(file, sizeof(file), "%s/%s.xml", o->out, map->name);
		f = fopen(file, "wb");
		if (!f || fwrite(xml.p, 1, xml.len, f) != xml.len) {
			fprintf(stderr, "mcx dm client export: cannot write %s\n", file);
			err = MCX_EIO;
		} else {
			printf("%s <- %s/%s\n", file, map->tree_root, x->name);
			(*written)++;
		}
		if (f)
			fclose(f);
	}
	buf_reset(&path);
	buf_reset(&xml);
	mo_tree_free(mt);
	return err ? 1 : 0;
}

static int c_export(const struct copt *o, struct dm_tree *t)
{
	const struct dm_node *root, *x;
	unsigned written = 0;
	int k, rc = 0;

	if (!o->out) {
		fprintf(stderr, "mcx dm client export: --out DIR is required\n");
		return 2;
	}
	if (mkdir(o->out, 0700) && errno != EEXIST) {
		fprintf(stderr, "mcx dm client export: cannot create %s: %s\n", o->out,
			strerror(errno));
		return 1;
	}
	for (k = 0; k < MO_KIND_COUNT; k++) {
		root = dm_tree_find(t, mo_map_get((enum mo_kind)k)->tree_root);
		for (x = root ? root->children : NULL; x; x = x->next)
			if (x->interior)
				rc |= export_one(o, (enum mo_kind)k, x, root->children->next != NULL,
						 &written);
	}
	if (!written && !rc)
		fprintf(stderr, "mcx dm client export: the tree holds no MCPTT MO\n");
	return rc ? 1 : written ? 0 : 1;
}

int cmd_dm_client(struct mcx_ctx *x, int argc, char **argv)
{
	struct copt o;
	struct dm_tree *t = NULL;
	const char *cmd;
	int rc;

	(void)x;
	if (parse(argc - 1, argv + 1, &o))
		return 2;
	if (o.help || !o.nargs) {
		fputs(usage_text, o.help ? stdout : stderr);
		return o.help ? 0 : 2;
	}
	if (o.verbose)
		mcx_log_set_level(MCX_LOG_DEBUG);
	cmd = o.args[0];
	if (!strcmp(cmd, "init"))
		return c_init(&o);
	if (strcmp(cmd, "account") && strcmp(cmd, "session") && strcmp(cmd, "listen") &&
	    strcmp(cmd, "bootstrap") && strcmp(cmd, "show") && strcmp(cmd, "export")) {
		fprintf(stderr, "mcx dm client: unknown command '%s' (try --help)\n", cmd);
		return 2;
	}
	rc = load(&o, &t);
	if (rc)
		return rc;
	rc = smartcard(&o, t);
	if (rc)
		goto out;
	if (!strcmp(cmd, "account")) {
		const char *sub = o.nargs > 1 ? o.args[1] : "";

		if (!strcmp(sub, "add"))
			rc = account_add(&o, t);
		else if (!strcmp(sub, "list"))
			rc = account_list(t);
		else if (!strcmp(sub, "remove") && o.nargs > 2)
			rc = dm_account_remove(t, o.args[2]) ?
			     (fprintf(stderr, "mcx dm client: no account %s\n", o.args[2]), 1) :
			     save(t, o.tree);
		else {
			fprintf(stderr, "mcx dm client account: add|list|remove NAME\n");
			rc = 2;
		}
	} else if (!strcmp(cmd, "session")) {
		rc = c_session(&o, t);
	} else if (!strcmp(cmd, "listen")) {
		rc = c_listen(&o, t);
	} else if (!strcmp(cmd, "bootstrap")) {
		rc = c_bootstrap(&o, t);
	} else if (!strcmp(cmd, "show")) {
		rc = c_show(&o, t);
	} else {
		rc = c_export(&o, t);
	}
out:
	dm_tree_free(t);
	return rc;
}
