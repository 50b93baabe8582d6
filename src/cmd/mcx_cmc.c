/* mcx cmc: the UE's configuration management client on the command line —
 * login, sync (one-shot), run (stay subscribed, one JSON line per event),
 * show (the effective configuration as JSON). Wiring only: the client is
 * libmcx's (include/mcx/cmc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cmd/mcx.h"
#include "mcx/cmc.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx cmc login|sync|run|show [options]\n"
		"  login   log in at the IdMS of the initial configuration (code + PKCE, headless)\n"
		"  sync    fetch the profiles, UE configuration, service configuration,\n"
		"          groups (and the UE's initial configuration when the user may read\n"
		"          it) with If-None-Match into the cache, once\n"
		"  run     sync, subscribe (SIP xcap-diff) and follow the changes; prints one\n"
		"          JSON line per event; stops on SIGINT/SIGTERM (unsubscribing)\n"
		"  show    the effective configuration from the cache, as JSON\n"
		"options:\n"
		"  --init FILE          UE initial configuration XML (kept in the cache: needed once)\n"
		"  --dm-tree DIR        or the UE initial configuration MO of an OMA DM client's tree\n"
		"                       (mcx dm client ... --tree DIR); its DevInfo/DevId is the\n"
		"                       instance ID unless --instance-id is given\n"
		"  --instance-id URN    the UE's instance ID: urn:uuid:... or urn:gsma:imei:... (kept)\n"
		"  --user MCPTT-ID      e.g. sip:alice@example.org (kept in the cache)\n"
		"  --password PW        login password (else $MCX_PASSWORD, else a line of stdin;\n"
		"                       read by login, and by sync/run when --user is given)\n"
		"  --refresh-token T    log in with a refresh token instead of a password\n"
		"  --cache DIR          cache directory (default ./cmc-cache)\n"
		"  --xcap-root URL      use this CMS/GMS XCAP root, not the initial configuration's\n"
		"  --idms URL           use this IdMS issuer (URL/authorize, URL/token)\n"
		"  --sip-server H:P     where SUBSCRIBE goes (run)\n"
		"  --sip-transport T    udp (default), tcp or tls (the server's certificate is checked\n"
		"                       against --cacert or the system's CAs and the host of\n"
		"                       --sip-server, unless -k)\n"
		"  --sip-local A:P      local SIP address (default: 127.0.0.1 for a loopback server)\n"
		"  --client-id ID       OAuth client (default mcptt-demo-client)\n"
		"  --redirect-uri URI   its redirect URI (default http://127.0.0.1:8123/callback)\n"
		"  --expires S          SUBSCRIBE Expires asked for (default 3600)\n"
		"  --token-margin S     refresh the access token S seconds before it expires (30)\n"
		"  --backoff-min MS, --backoff-max MS   re-subscription backoff (500, 60000)\n"
		"  -k                   accept any TLS certificate;  --cacert FILE  CA bundle\n"
		"                       (both for HTTPS and SIP over TLS)\n"
		"  -q                   no progress lines on stderr\n");
}

struct opts {
	const char *init, *pw;
	bool quiet, json;
};

static const char *const ev_names[] = {"progress", "login", "doc", "unchanged",
				       "subscribed", "notify", "retry", "error"};

static void json_str(FILE *f, const char *k, const char *v)
{
	const unsigned char *p;

	if (!v)
		return;
	fprintf(f, ",\"%s\":\"", k);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void on_event(const struct mcx_cmc_event *ev, void *arg)
{
	const struct opts *o = arg;
	struct timeval tv;

	if (o->json) {
		gettimeofday(&tv, NULL);
		printf("{\"t\":%ld.%06ld,\"event\":\"%s\"", (long)tv.tv_sec, (long)tv.tv_usec,
		       ev_names[ev->type]);
		json_str(stdout, "sel", ev->sel);
		json_str(stdout, "etag", ev->etag);
		json_str(stdout, "how", ev->how);
		json_str(stdout, "detail", ev->detail);
		if (ev->type == MCX_CMC_EV_RETRY)
			printf(",\"ms\":%u", ev->ms);
		printf("}\n");
		fflush(stdout);
		return;
	}
	if (o->quiet && ev->type != MCX_CMC_EV_ERROR)
		return;
	switch (ev->type) {
	case MCX_CMC_EV_PROGRESS:
		fprintf(stderr, "mcx cmc: %s %s\n", ev->how ? ev->how : "", ev->detail ? ev->detail : "");
		break;
	case MCX_CMC_EV_DOC:
	case MCX_CMC_EV_UNCHANGED:
		fprintf(stderr, "mcx cmc:   %-9s %s%s%s\n",
			ev->type == MCX_CMC_EV_UNCHANGED ? "unchanged" : ev->how, ev->sel,
			ev->etag ? "  " : "", ev->etag ? ev->etag : "");
		break;
	case MCX_CMC_EV_ERROR:
		break; /* the caller prints the error once */
	default:
		fprintf(stderr, "mcx cmc: %s %s\n", ev_names[ev->type], ev->detail ? ev->detail : "");
	}
}

static char *read_file(const char *path, size_t *len)
{
	struct mcx_buf b;

	buf_init(&b, 1u << 20);
	if (buf_add_file(&b, path) || buf_add(&b, "", 0)) {
		buf_reset(&b);
		return NULL;
	}
	return buf_take(&b, len);
}

static int parse(struct mcx_ctx *x, int argc, char **argv, struct mcx_cmc_conf *c,
		 struct opts *o)
{
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-k")) {
			c->insecure = true;
			continue;
		}
		if (!strcmp(a, "-q")) {
			o->quiet = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!v) {
			fprintf(stderr, "mcx cmc: %s needs a value (try --help)\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--init"))
			o->init = v;
		else if (!strcmp(a, "--dm-tree"))
			c->dm_tree = v;
		else if (!strcmp(a, "--sip-transport")) {
			if (!strcmp(v, "udp"))
				c->sip_transport = MCX_CMC_SIP_UDP;
			else if (!strcmp(v, "tcp"))
				c->sip_transport = MCX_CMC_SIP_TCP;
			else if (!strcmp(v, "tls"))
				c->sip_transport = MCX_CMC_SIP_TLS;
			else {
				fprintf(stderr, "mcx cmc: --sip-transport is udp, tcp or tls, not '%s'\n",
					v);
				return 2;
			}
		}
		else if (!strcmp(a, "--instance-id"))
			c->instance_id = v;
		else if (!strcmp(a, "--user"))
			c->user = v;
		else if (!strcmp(a, "--password"))
			o->pw = v;
		else if (!strcmp(a, "--refresh-token"))
			c->refresh_token = v;
		else if (!strcmp(a, "--cache"))
			c->cache_dir = v;
		else if (!strcmp(a, "--xcap-root"))
			c->xcap_root = v;
		else if (!strcmp(a, "--idms"))
			c->idms_issuer = v;
		else if (!strcmp(a, "--sip-server"))
			c->sip_server = v;
		else if (!strcmp(a, "--sip-local"))
			c->sip_local = v;
		else if (!strcmp(a, "--client-id"))
			c->client_id = v;
		else if (!strcmp(a, "--redirect-uri"))
			c->redirect_uri = v;
		else if (!strcmp(a, "--cacert"))
			c->cacert = v;
		else if (!strcmp(a, "--expires"))
			c->expires = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--token-margin"))
			c->token_margin = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--backoff-min"))
			c->backoff_min_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--backoff-max"))
			c->backoff_max_ms = (uint32_t)strtoul(v, NULL, 10);
		else {
			fprintf(stderr, "mcx cmc: unknown option %s (try --help)\n", a);
			return 2;
		}
	}
	if (!c->user)
		c->user = x->user;
	if (!o->pw)
		o->pw = x->password;
	if (x->insecure)
		c->insecure = true;
	return 0;
}

int cmd_cmc(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	struct mcx_cmc_conf conf;
	struct opts o;
	struct mcx_cmc *c = NULL;
	char eb[600], pw[1024], *init = NULL, *json = NULL;
	enum mcx_err err;
	int rc;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (strcmp(sub, "login") && strcmp(sub, "sync") && strcmp(sub, "run") && strcmp(sub, "show")) {
		fprintf(stderr, "mcx cmc: unknown command '%s' (try --help)\n", sub);
		return 2;
	}
	memset(&conf, 0, sizeof(conf));
	memset(&o, 0, sizeof(o));
	rc = parse(x, argc, argv, &conf, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (!conf.cache_dir)
		conf.cache_dir = "cmc-cache";
	if (o.init) {
		init = read_file(o.init, &conf.init_len);
		if (!init) {
			fprintf(stderr, "mcx cmc: cannot read the initial configuration %s\n", o.init);
			return 1;
		}
		conf.init_xml = init;
	}
	/* a password only where one is needed: login without a refresh token,
	 * sync/run naming the user (a first start: log in as part of it), or
	 * given explicitly */
	if (o.pw || getenv("MCX_PASSWORD") ||
	    ((!strcmp(sub, "login") || (strcmp(sub, "show") && conf.user)) &&
	     !conf.refresh_token)) {
		if (mcx_read_password(o.pw, pw, sizeof(pw))) {
			fprintf(stderr, "mcx cmc: no password (--password, $MCX_PASSWORD or stdin)\n");
			mcx_free(init);
			return 1;
		}
		conf.password = pw;
	}
	o.json = !strcmp(sub, "run");
	/* mcx --log-level debug cmc ...: the library's log (SIP trace included) */
	if (x->cfg.general.log_level > MCX_LOG_WARN)
		mcx_log_set_level((enum mcx_log_level)x->cfg.general.log_level);
	conf.event_h = on_event;
	conf.arg = &o;
	err = mcx_cmc_alloc(&c, &conf, eb, sizeof(eb));
	memset(pw, 0, sizeof(pw));
	mcx_free(init);
	if (err) {
		fprintf(stderr, "mcx cmc: %s\n", eb);
		return 1;
	}
	if (!strcmp(sub, "login"))
		err = mcx_cmc_login(c);
	else if (!strcmp(sub, "sync"))
		err = mcx_cmc_sync(c);
	else if (!strcmp(sub, "run"))
		err = mcx_cmc_run(c, true);
	else if (!(err = mcx_cmc_show(c, &json))) {
		printf("%s\n", json);
		free(json);
	}
	if (err)
		fprintf(stderr, "mcx cmc %s: %s\n", sub, mcx_cmc_errmsg(c));
	else if (!strcmp(sub, "login") && !o.quiet)
		fprintf(stderr, "mcx cmc: logged in; tokens kept in %s\n", conf.cache_dir);
	mcx_cmc_free(c);
	return err ? 1 : 0;
}
