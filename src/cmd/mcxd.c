/* mcxd: the daemon. Parses configuration, opens the store, starts the roles
 * (XCAP/HTTP, the identity management server, the SIP notifier), waits for
 * SIGTERM/SIGINT and shuts down cleanly. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#define LOG_MODULE "mcxd"
#include "core/log.h"
#include "http/config.h"
#include "http/accounts.h"
#include "xcap/usage.h"
#include "idms/idms.h"
#include "sip/server.h"
#include "dm/server_role.h"
#include "core/mem.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcxd [--config FILE] [--KEY VALUE ...] [options]\n"
		"\n"
		"MCPTT configuration management daemon: an XCAP server (RFC 4825) on\n"
		"durable SQLite storage. Every configuration key can be given on the\n"
		"command line as --KEY VALUE or --KEY=VALUE (e.g. --http-port 8080\n"
		"--data-dir ./var); later values win over the config file.\n"
		"\n"
		"options:\n"
		"  --config FILE     read FILE (lines \"key value\", # comments)\n"
		"  --check-config    validate the configuration and exit\n"
		"  --dump-config     print the effective configuration and exit\n"
		"  --config-doc      print the reference of every key (Markdown) and exit\n"
		"  --config-example  print a configuration file with every key commented\n"
		"  --help, -h        this text\n"
		"  --version         print the version\n"
		"\n"
		"See docs/config.md for every key, default and meaning.\n");
}

/* Returns 0 to run, 1 to exit successfully, -1 on error. */
static int parse_args(struct mcx_config *cfg, int argc, char **argv, int *check, int *dump)
{
	char eb[512];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			if (conf_load_file(cfg->parts, MCX_CONFIG_PARTS, argv[++i], eb, sizeof(eb))) {
				fprintf(stderr, "mcxd: %s\n", eb);
				return -1;
			}
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		char key[128];
		const char *eq;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--version")) {
			printf("mcxd %s\n", MCX_VERSION);
			return 1;
		}
		if (!strcmp(a, "--check-config")) {
			*check = 1;
			continue;
		}
		if (!strcmp(a, "--dump-config")) {
			*dump = 1;
			continue;
		}
		if (!strcmp(a, "--config-doc")) {
			mcx_config_doc(cfg, stdout);
			return 1;
		}
		if (!strcmp(a, "--config-example")) {
			printf("# mcxd configuration: every key with its default (mcxd --config-example).\n"
			       "# Use with: mcxd --config mcxd.conf; any key also works as --key value.\n\n");
			conf_dump(cfg->parts, MCX_CONFIG_PARTS, stdout, 1);
			return 1;
		}
		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "mcxd: unexpected argument '%s' (try --help)\n", a);
			return -1;
		}
		eq = strchr(a, '=');
		if (eq) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - a - 2), a + 2);
			val = eq + 1;
		} else {
			snprintf(key, sizeof(key), "%s", a + 2);
			if (i + 1 >= argc) {
				enum conf_type t;

				if (conf_lookup(cfg->parts, MCX_CONFIG_PARTS, key, &t) && t == CONF_BOOL) {
					val = "yes";
				} else {
					fprintf(stderr, "mcxd: --%s needs a value\n", key);
					return -1;
				}
			} else {
				val = argv[++i];
			}
		}
		if (conf_set(cfg->parts, MCX_CONFIG_PARTS, key, val, eb, sizeof(eb))) {
			fprintf(stderr, "mcxd: --%s\n", eb);
			return -1;
		}
	}
	return 0;
}

/* Checks beyond each key's own range; prints every problem. 0 when fine. */
static int check_config(const struct mcx_config *cfg)
{
	struct in6_addr a6;
	struct in_addr a4;
	const char *root = cfg->xcap.root;
	int bad = 0;

	if (inet_pton(AF_INET, cfg->http.bind, &a4) != 1 &&
	    inet_pton(AF_INET6, cfg->http.bind, &a6) != 1) {
		fprintf(stderr, "mcxd: http-bind: '%s' is not an IP address\n", cfg->http.bind);
		bad = 1;
	}
	if (*root && (root[0] != '/' || strpbrk(root, "?#~ "))) {
		fprintf(stderr, "mcxd: xcap-root: '%s' must be empty or a path starting with '/'\n", root);
		bad = 1;
	}
	if (!cfg->http.tls_cert != !cfg->http.tls_key) {
		fprintf(stderr, "mcxd: tls-cert and tls-key must be given together\n");
		bad = 1;
	}
	if (cfg->http.tls_cert && access(cfg->http.tls_cert, R_OK)) {
		fprintf(stderr, "mcxd: tls-cert: %s: %s\n", cfg->http.tls_cert, strerror(errno));
		bad = 1;
	}
	if (cfg->http.tls_key && access(cfg->http.tls_key, R_OK)) {
		fprintf(stderr, "mcxd: tls-key: %s: %s\n", cfg->http.tls_key, strerror(errno));
		bad = 1;
	}
	if (!*cfg->general.data_dir) {
		fprintf(stderr, "mcxd: data-dir is empty\n");
		bad = 1;
	}
	return bad;
}

/* How to get an access token from the demo IdMS with curl (code + PKCE). */
static void print_idms_banner(const struct mcx_config *cfg, unsigned port, const char *root,
			      const char *k)
{
	char base[300];

	snprintf(base, sizeof(base), "%s://%s:%u%s", *k ? "https" : "http", cfg->http.bind, port,
		 cfg->idms.path);
	printf("The identity management server (OpenID Connect) is at %s\n"
	       "  discovery: %s/.well-known/openid-configuration   login page: %s/authorize\n"
	       "Get an access token for Alice (authorization code + PKCE, driven by curl):\n"
	       "  V=$(openssl rand -hex 32); C=$(printf %%s \"$V\" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')\n"
	       "  LOC=$(curl %s-s -o /dev/null -w '%%{redirect_url}' -d username=alice -d password=alice-demo \\\n"
	       "       -d response_type=code -d client_id=%s --data-urlencode redirect_uri=http://127.0.0.1:8123/callback \\\n"
	       "       --data-urlencode 'scope=openid 3gpp:mcptt:config_management_server 3gpp:mcptt:group_management_server' \\\n"
	       "       -d state=s1 -d code_challenge=$C -d code_challenge_method=S256 %s/authorize)\n"
	       "  CODE=$(printf %%s \"$LOC\" | sed -n 's/.*[?&]code=\\([^&]*\\).*/\\1/p')\n"
	       "  TOKEN=$(curl %s-s -d grant_type=authorization_code -d code=$CODE -d client_id=%s \\\n"
	       "       --data-urlencode redirect_uri=http://127.0.0.1:8123/callback -d code_verifier=$V %s/token \\\n"
	       "       | sed -n 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/p')\n"
	       "  curl %s-s -H \"Authorization: Bearer $TOKEN\" '%s/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml'\n\n",
	       base, base, base, k, DEMO_CLIENT_ID, base, k, DEMO_CLIENT_ID, base, k, root);
}

/* The client side: Alice's UE logs in, fetches, subscribes (mcx cmc). */
static void print_cmc_banner(const struct mcx_config *cfg, unsigned port, const char *root,
			     const char *k)
{
	printf("Alice's UE as the configuration management client would run it (log in, fetch,\n"
	       "subscribe over SIP at %s, one JSON line per change; password alice-demo):\n"
	       "  bin/mcx cmc sync %s--init demo/ue-init-config.xml --instance-id urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01 \\\n"
	       "       --user sip:alice@example.org --idms %s://%s:%u%s --xcap-root %s --cache var/cmc\n"
	       "  bin/mcx cmc run --cache var/cmc --sip-server %s\n"
	       "  (then change her profile as above: the NOTIFY's patch is applied to the cached copy)\n\n",
	       cfg->sip.listen, k, *k ? "https" : "http", cfg->http.bind, port, cfg->idms.path, root,
	       cfg->sip.listen);
}

static void print_banner(const struct mcx_config *cfg, unsigned port)
{
	const bool tls = cfg->http.tls_cert && *cfg->http.tls_cert;
	char root[512];
	const char *k = tls ? "-k " : "";

	snprintf(root, sizeof(root), "%s://%s:%u%s", tls ? "https" : "http", cfg->http.bind, port,
		 cfg->xcap.root);
	log_info("mcxd %s ready: %s/ (data in %s)", MCX_VERSION, root, cfg->general.data_dir);
	if (!cfg->general.demo)
		return;
	printf("\nmcxd serves the demo organisation example.org (and rescue.example):\n"
	       "  XCAP root       %s/\n"
	       "  administrator   admin / admin-demo      (sip:admin@example.org)\n"
	       "  users           alice, bob, carol, dave, erin / <name>-demo   (sip:<name>@example.org)\n"
	       "  other tenant    admin@rescue.example / rescue-admin-demo, zoe / zoe-demo\n\n",
	       root);
	printf("Alice reads her MCPTT user profile; Bob may not:\n"
	       "  curl %s--digest -u alice:alice-demo '%s/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml'\n"
	       "  curl %s--digest -u bob:bob-demo -w '%%{http_code}\\n' '%s/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml'\n"
	       "The administrator changes it, Alice sees the change:\n"
	       "  curl %s--digest -u admin:admin-demo -X PUT -H 'Content-Type: application/xcap-el+xml' \\\n"
	       "       --data '<ProfileName xml:lang=\"en\">night-shift</ProfileName>' \\\n"
	       "       '%s/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml/~~/mcptt-user-profile/ProfileName'\n"
	       "  curl %s--digest -u alice:alice-demo '%s/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml/~~/mcptt-user-profile/ProfileName'\n"
	       "The other documents:\n"
	       "  curl %s--digest -u alice:alice-demo '%s/org.3gpp.mcptt.ue-config/users/sip:alice@example.org/urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01'\n"
	       "  curl %s--digest -u bob:bob-demo '%s/org.3gpp.mcptt.ue-config/users/urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e02/urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e02'\n"
	       "  curl %s--digest -u bob:bob-demo '%s/org.3gpp.mcptt.service-config/global/service-config.xml'\n"
	       "  curl %s--digest -u carol:carol-demo '%s/org.openmobilealliance.groups/global/byGroupID/sip:group-fire@example.org'\n"
	       "  curl %s--digest -u admin:admin-demo '%s/org.3gpp.mcptt.ue-init-config/users/sip:admin@example.org/ue-init-config.xml'\n"
	       "  curl %s--digest -u alice:alice-demo '%s/xcap-caps/global/index'\n"
	       "\n",
	       k, root, k, root, k, root, k, root, k, root, k, root, k, root, k, root, k, root, k, root);
	if (cfg->idms.enabled)
		print_idms_banner(cfg, port, root, k);
	if (cfg->idms.enabled && cfg->sip.enabled)
		print_cmc_banner(cfg, port, root, k);
	fflush(stdout);
}

/* The identity management server, when configured. */
static int start_idms(struct mcx_config *cfg, struct mcx_store *st, struct idms **ip)
{
	struct idms_conf ic;
	char issuer[512], eb[512];
	static char aud[512];   /* lives as long as the daemon */
	const struct idms_conf_src *c = &cfg->idms;

	if (!c->enabled)
		return 0;
	if (*c->issuer)
		snprintf(issuer, sizeof(issuer), "%s", c->issuer);
	else
		snprintf(issuer, sizeof(issuer), "%s://%s:%lld%s",
			 cfg->http.tls_cert && *cfg->http.tls_cert ? "https" : "http",
			 cfg->http.bind, cfg->http.port, c->path);
	memset(&ic, 0, sizeof(ic));
	ic.issuer = issuer;
	ic.path = c->path;
	ic.data_dir = cfg->general.data_dir;
	ic.key_alg = c->key_alg;
	ic.code_ttl = c->code_ttl;
	ic.access_ttl = c->access_ttl;
	ic.id_ttl = c->id_ttl;
	ic.refresh_ttl = c->refresh_ttl;
	ic.key_grace = c->key_grace;
	ic.max_failures = c->max_failures;
	ic.lockout = c->lockout;
	/* Access tokens are for the resource servers: by default this daemon's
	 * CMS/GMS (its XCAP root), which then requires that audience. */
	if (*c->audiences) {
		snprintf(aud, sizeof(aud), "%s", c->audiences);
	} else {
		snprintf(aud, sizeof(aud), "%s://%s:%lld%s",
			 cfg->http.tls_cert && *cfg->http.tls_cert ? "https" : "http",
			 cfg->http.bind, cfg->http.port, cfg->xcap.root);
		if (!*cfg->http.token_audience) {
			mcx_free(cfg->http.token_audience);
			cfg->http.token_audience = mcx_strdup(aud);
		}
	}
	ic.audiences = aud;
	ic.audit_log = c->audit_log;
	ic.clients = c->clients;
	if (idms_open(ip, &ic, st, eb, sizeof(eb))) {
		log_err("cannot start the identity management server: %s", eb);
		return -1;
	}
	cfg->http.idms = *ip;
	cfg->http.idms_path = c->path;
	log_info("identity management server at %s (discovery: %s/.well-known/openid-configuration)",
		 issuer, issuer);
	return 0;
}

/* The OMA DM server, when configured: a role of the HTTP front whose UEs
 * get the MCPTT MOs generated from the store (docs/dm-server.md). */
static int start_dm(struct mcx_config *cfg, struct mcx_store *st, struct dm_role **rp)
{
	struct dm_conf_src *c = &cfg->dm;
	struct dm_role_conf rc;
	char url[600], eb[512] = "";
	size_t pl = strlen(c->path);
	bool tls = cfg->http.tls_cert && *cfg->http.tls_cert;
	bool v6 = strchr(cfg->http.bind, ':') != NULL;

	if (!c->enabled)
		return 0;
	while (pl > 1 && c->path[pl - 1] == '/')
		c->path[--pl] = '\0';
	if (c->path[0] != '/' || pl < 2) {
		log_err("dm-path must be a path below the server root, like /dm");
		return -1;
	}
	if (*c->url)
		snprintf(url, sizeof(url), "%s", c->url);
	else if (cfg->http.port)
		snprintf(url, sizeof(url), "%s://%s%s%s:%lld%s", tls ? "https" : "http", v6 ? "[" : "",
			 cfg->http.bind, v6 ? "]" : "", cfg->http.port, c->path);
	else
		url[0] = '\0';   /* any free port: no RespURI (set dm-url) */
	memset(&rc, 0, sizeof(rc));
	rc.server_id = c->server_id;
	rc.url = url[0] ? url : NULL;
	rc.tls = tls;
	rc.max_msg = c->max_msg;
	rc.sessions_max = (size_t)c->sessions;
	rc.default_domain = cfg->http.realm;
	rc.srv_secret = c->srv_secret;
	rc.networkid = c->networkid;
	rc.userpin = c->userpin;
	if (dm_role_alloc(rp, &rc, st, eb, sizeof(eb)) ||
	    (*c->devices && dm_role_load_devices(*rp, c->devices, eb, sizeof(eb)))) {
		log_err("cannot start the DM server: %s", eb);
		return -1;
	}
	cfg->http.dm = *rp;
	cfg->http.dm_path = c->path;
	log_info("DM server %s at %s (%zu device(s); bootstrap: %s/bootstrap?devid=)", c->server_id,
		 url[0] ? url : c->path, dm_role_devices(*rp), c->path);
	return 0;
}

/* The SIP notifier, when configured: after the HTTP front (its token keys). */
static int start_sip(struct mcx_config *cfg, struct xcap_handler *h, struct mcx_store *st,
		     struct http_server *srv, char *root, size_t rootlen, struct sip_server **sp)
{
	const struct sip_conf_src *c = &cfg->sip;
	struct sip_server_conf sc;
	char eb[512];
	bool v6 = strchr(cfg->http.bind, ':') != NULL;

	if (!c->enabled)
		return 0;
	if (*c->xcap_root_uri)
		snprintf(root, rootlen, "%s", c->xcap_root_uri);
	else
		snprintf(root, rootlen, "%s://%s%s%s:%u%s",
			 cfg->http.tls_cert && *cfg->http.tls_cert ? "https" : "http", v6 ? "[" : "",
			 cfg->http.bind, v6 ? "]" : "", http_server_port(srv), cfg->xcap.root);
	memset(&sc, 0, sizeof(sc));
	sc.listen = c->listen;
	sc.transports = c->transports;
	sc.domain = c->domain;
	sc.trusted_proxies = c->trusted_proxies;
	sc.xcap_root = root;
	sc.min_expires = (uint32_t)c->min_expires;
	sc.max_expires = (uint32_t)c->max_expires;
	sc.default_expires = (uint32_t)c->default_expires;
	sc.notify_retries = (unsigned)c->notify_retries;
	sc.max_subscriptions = (size_t)c->max_subscriptions;
	sc.max_entries = (size_t)c->max_entries;
	sc.max_body = c->max_body;
	sc.max_pending = (size_t)c->max_pending;
	sc.queue_max = (size_t)c->queue_max;
	sc.tls_listen = c->tls_listen;
	sc.tls_cert = *c->tls_cert ? c->tls_cert : cfg->http.tls_cert;
	sc.tls_key = *c->tls_key ? c->tls_key : cfg->http.tls_key;
	if (*c->tls_listen && (!sc.tls_cert || !*sc.tls_cert || !sc.tls_key || !*sc.tls_key)) {
		log_err("sip-tls-listen needs a certificate and key: sip-tls-cert and sip-tls-key "
			"(or tls-cert and tls-key)");
		return -1;
	}
	sc.max_inflight = (unsigned)c->max_inflight;
	sc.max_unanswered = (unsigned)c->max_unanswered;
	sc.notify_interval_ms = (uint32_t)c->notify_interval_ms;
	sc.max_patch = c->max_patch;
	sc.poll_ms = (uint32_t)c->poll_ms;
	sc.admin_poll_ms = (uint32_t)c->admin_poll_ms;
	if (sip_server_start(sp, &sc, h, st, http_server_auth(srv), eb, sizeof(eb))) {
		log_err("cannot start the SIP notifier: %s", eb);
		return -1;
	}
	return 0;
}

static int run(struct mcx_config *cfg)
{
	struct mcx_store *st = NULL;
	struct idms *idms = NULL;
	struct dm_role *dm = NULL;
	struct http_server *srv = NULL;
	struct sip_server *sip = NULL;
	struct xcap_handler h;
	struct xcap_handler_conf hc;
	struct store_opts so;
	sigset_t set;
	char eb[512], sip_root[600];
	int sig = 0, rc = 1;

	if (xcap_usages_init(eb, sizeof(eb))) {
		log_err("%s", eb);
		return 1;
	}
	mcx_config_store(cfg, &so);
	if (store_open(&st, &so, eb, sizeof(eb))) {
		log_err("cannot open the store: %s", eb);
		goto out;
	}
	mcx_config_handler(cfg, &hc);
	xcap_handler_init(&h, &hc, st);
	if (cfg->general.demo && demo_seed(&h, eb, sizeof(eb))) {
		log_err("cannot seed the demo organisation: %s", eb);
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (start_idms(cfg, st, &idms))
		goto out;
	if (start_dm(cfg, st, &dm))
		goto out;
	if (http_server_start(&srv, &cfg->http, &h, eb, sizeof(eb))) {
		log_err("%s", eb);
		goto out;
	}
	if (start_sip(cfg, &h, st, srv, sip_root, sizeof(sip_root), &sip))
		goto out;
	print_banner(cfg, http_server_port(srv));
	for (;;) {
		if (sigwait(&set, &sig))
			break;
		if (sig == SIGHUP) {
			log_info("SIGHUP: nothing to reload yet (restart to apply configuration)");
			continue;
		}
		break;
	}
	log_info("signal %d: shutting down", sig);
	rc = 0;
out:
	sip_server_stop(sip);
	http_server_stop(srv);
	dm_role_free(dm);
	idms_close(idms);
	store_close(st);
	xcap_usages_cleanup();
	if (!rc)
		log_info("stopped cleanly");
	return rc;
}

int main(int argc, char **argv)
{
	struct mcx_config cfg;
	int check = 0, dump = 0, r, rc = 0;

	/* Requests allocate and free many small XML nodes next to large
	 * buffers: fixed thresholds keep glibc from trimming and re-growing
	 * the heap on every request (measured: +8% PUT throughput). */
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);

	if (mcx_config_init(&cfg)) {
		fprintf(stderr, "mcxd: out of memory\n");
		return 1;
	}
	r = parse_args(&cfg, argc, argv, &check, &dump);
	if (r) {
		mcx_config_free(&cfg);
		return r > 0 ? 0 : 2;
	}
	mcx_log_set_level((enum mcx_log_level)cfg.general.log_level);
	if (check_config(&cfg)) {
		mcx_config_free(&cfg);
		return 2;
	}
	if (dump)
		conf_dump(cfg.parts, MCX_CONFIG_PARTS, stdout, 0);
	if (check) {
		char eb[512];

		if (xcap_usages_init(eb, sizeof(eb))) {
			fprintf(stderr, "mcxd: %s\n", eb);
			rc = 1;
		} else {
			printf("configuration OK\n");
		}
		xcap_usages_cleanup();
	}
	if (!dump && !check)
		rc = run(&cfg);
	mcx_config_free(&cfg);
	return rc;
}
