/* Configuration tables of the daemon's components. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "http/config.h"

#define G(f) offsetof(struct general_conf, f)
static const struct conf_def general_defs[] = {
	{ "data-dir", CONF_STR, G(data_dir), "./var", 0, 0,
	  "directory of the SQLite database (created if missing)" },
	{ "log-level", CONF_LEVEL, G(log_level), "info", 0, 0,
	  "error, warn, info or debug" },
	{ "demo", CONF_BOOL, G(demo), "no", 0, 0,
	  "seed the demo organisation example.org (users and documents) at start" },
};

#define H(f) offsetof(struct http_conf, f)
static const struct conf_def http_defs[] = {
	{ "http-bind", CONF_STR, H(bind), "127.0.0.1", 0, 0, "IP address to listen on" },
	{ "http-port", CONF_INT, H(port), "8080", 0, 65535, "TCP port (0 = any free port)" },
	{ "http-threads", CONF_INT, H(threads), "2", 1, 256,
	  "event threads serving connections; reads are answered on them (one per core)" },
	{ "http-write-workers", CONF_INT, H(write_workers), "32", 1, 1024,
	  "threads running PUT/DELETE (validation + durable commit) while the connection waits; "
	  "more of them make bigger group commits" },
	{ "http-max-connections", CONF_INT, H(conn_limit), "1024", 1, 100000,
	  "concurrent connections accepted" },
	{ "http-timeout", CONF_INT, H(conn_timeout), "30", 1, 3600,
	  "seconds an idle or slow connection is kept" },
	{ "http-max-header-size", CONF_SIZE, H(header_max), "32k", 4096, 1024 * 1024,
	  "memory per connection for the request line and headers (larger: 431/413)" },
	{ "tls-cert", CONF_STR, H(tls_cert), NULL, 0, 0, "PEM certificate; with tls-key enables HTTPS" },
	{ "tls-key", CONF_STR, H(tls_key), NULL, 0, 0, "PEM private key" },
	{ "realm", CONF_STR, H(realm), "example.org", 0, 0,
	  "Digest realm when the URI names no user domain" },
	{ "nonce-lifetime", CONF_INT, H(nonce_lifetime), "300", 1, 86400,
	  "seconds before a Digest nonce is stale" },
	{ "trusted-proxies", CONF_STR, H(trusted_proxies), "", 0, 0,
	  "space-separated peer addresses allowed to send X-3GPP-Asserted-Identity" },
	{ "access-log", CONF_STR, H(access_log), "-", 0, 0,
	  "access log file, '-' for stderr, 'off' for none" },
	{ "jwks-file", CONF_STR, H(jwks_file), NULL, 0, 0,
	  "JWKS file with the identity management server's public keys: enables "
	  "Authorization: Bearer access tokens (TS 33.180)" },
	{ "jwks-url", CONF_STR, H(jwks_url), NULL, 0, 0,
	  "URL of the identity management server's JWKS (used when jwks-file is not set); "
	  "fetched at start and every jwks-refresh seconds, so key rotation needs no restart" },
	{ "jwks-refresh", CONF_INT, H(jwks_refresh), "300", 1, 86400,
	  "seconds between fetches of jwks-url" },
	{ "token-issuer", CONF_STR, H(token_issuer), "", 0, 0,
	  "required \"iss\" of access tokens (empty: any issuer the keys sign for)" },
	{ "token-audience", CONF_STR, H(token_audience), "", 0, 0,
	  "required member of \"aud\" of access tokens (empty: not checked)" },
	{ "token-skew", CONF_INT, H(token_skew), "60", 0, 3600,
	  "seconds of clock skew allowed on exp, nbf and iat" },
};

#define X(f) offsetof(struct xcap_conf, f)
static const struct conf_def xcap_defs[] = {
	{ "xcap-root", CONF_STR, X(root), "/xcap-root", 0, 0,
	  "path of the XCAP root ('' for the server root)" },
	{ "max-document-size", CONF_SIZE, X(max_document_size), "1m", 64, 256 * 1024 * 1024,
	  "largest document or request body (413 beyond)" },
	{ "max-uri-length", CONF_SIZE, X(max_uri_length), "8k", 256, 1024 * 1024,
	  "longest request target (414 beyond)" },
	{ "xml-max-depth", CONF_INT, X(xml_max_depth), "64", 4, 10000, "deepest element nesting" },
	{ "xml-max-elements", CONF_INT, X(xml_max_elements), "200000", 16, 100000000,
	  "most elements in one document" },
	{ "xml-max-attributes", CONF_INT, X(xml_max_attributes), "256", 4, 100000,
	  "most attributes on one element" },
	{ "selector-max-steps", CONF_INT, X(selector_max_steps), "64", 1, 10000,
	  "most steps in a node selector" },
	{ "test-usage", CONF_BOOL, X(test_usage), "no", 0, 0,
	  "serve the schemaless test-app usage" },
	{ "commit-retries", CONF_INT, X(commit_retries), "8", 0, 1000,
	  "re-runs of a write that raced another one (without If-Match)" },
	{ "mcptt-servers", CONF_STR, X(mcptt_servers), "", 0, 0,
	  "space-separated identities of the authorised MCPTT servers (TS 24.484 6.2): "
	  "they read user profiles, service configurations and groups" },
};

#define S(f) offsetof(struct store_conf, f)
static const struct conf_def store_defs[] = {
	{ "history-keep", CONF_INT, S(history_keep), "100", 0, 1000000000,
	  "versions kept per document (0 = all)" },
	{ "cache-size", CONF_SIZE, S(cache_size), "64m", 0, 1LL << 40,
	  "bytes of current documents kept in memory" },
	{ "sync-full", CONF_BOOL, S(sync_full), "yes", 0, 0,
	  "fsync every commit: acknowledged writes survive power loss" },
	{ "busy-timeout", CONF_INT, S(busy_timeout_ms), "5000", 0, 600000,
	  "milliseconds to wait for a database lock held by another process" },
};

#define I(f) offsetof(struct idms_conf_src, f)
static const struct conf_def idms_defs[] = {
	{ "idms", CONF_BOOL, I(enabled), "no", 0, 0,
	  "run the identity management server (OpenID Connect, TS 24.482) in this daemon" },
	{ "idms-path", CONF_STR, I(path), "/idms", 0, 0, "path prefix of the IdMS endpoints" },
	{ "idms-issuer", CONF_STR, I(issuer), "", 0, 0,
	  "issuer URL (\"iss\"); empty: http(s)://<http-bind>:<http-port><idms-path>" },
	{ "idms-key-alg", CONF_STR, I(key_alg), "ES256", 0, 0, "signing algorithm: ES256 or RS256" },
	{ "idms-code-ttl", CONF_INT, I(code_ttl), "60", 1, 3600, "seconds an authorization code lives" },
	{ "idms-access-ttl", CONF_INT, I(access_ttl), "3600", 10, 86400, "access token lifetime, seconds" },
	{ "idms-id-ttl", CONF_INT, I(id_ttl), "3600", 10, 86400, "id token lifetime, seconds" },
	{ "idms-refresh-ttl", CONF_INT, I(refresh_ttl), "2592000", 60, 31536000,
	  "refresh token lifetime, seconds" },
	{ "idms-key-grace", CONF_INT, I(key_grace), "86400", 0, 31536000,
	  "seconds a rotated-out signing key stays in the JWKS" },
	{ "idms-max-failures", CONF_INT, I(max_failures), "5", 1, 1000,
	  "failed logins in a row before the account is locked" },
	{ "idms-lockout", CONF_INT, I(lockout), "300", 1, 86400, "seconds an account stays locked" },
	{ "idms-audiences", CONF_STR, I(audiences), "", 0, 0,
	  "space-separated \"aud\" of access tokens (the resource servers; empty: this daemon's "
	  "XCAP root URL, which its CMS/GMS then require unless token-audience says otherwise)" },
	{ "idms-audit-log", CONF_STR, I(audit_log), "-", 0, 0,
	  "audit log of logins and token grants: file, '-' for stderr, 'off'" },
	{ "idms-clients", CONF_STR, I(clients), "", 0, 0,
	  "registered clients: \"client_id uri1,uri2; client2 uri\" (also: mcx idms client add)" },
};

#define P(f) offsetof(struct sip_conf_src, f)
static const struct conf_def sip_defs[] = {
	{ "sip", CONF_BOOL, P(enabled), "no", 0, 0,
	  "run the SIP notifier: SUBSCRIBE/NOTIFY with the xcap-diff event package (RFC 5875)" },
	{ "sip-listen", CONF_STR, P(listen), "127.0.0.1:5060", 0, 0,
	  "address:port of the SIP listener (IPv6: [addr]:port)" },
	{ "sip-transports", CONF_STR, P(transports), "udp tcp", 0, 0,
	  "SIP transports to listen on: udp, tcp or both" },
	{ "sip-domain", CONF_STR, P(domain), "", 0, 0,
	  "Request-URI host of SUBSCRIBEs accepted besides the listen address (the CMS/GMS PSI "
	  "domain); empty: any" },
	{ "sip-trusted-proxies", CONF_STR, P(trusted_proxies), "", 0, 0,
	  "space-separated addresses of the SIP core allowed to assert the subscriber with "
	  "P-Asserted-Identity (a SUBSCRIBE without an access token)" },
	{ "sip-xcap-root", CONF_STR, P(xcap_root_uri), "", 0, 0,
	  "absolute XCAP root URI put in NOTIFY bodies; empty: http(s)://<http-bind>:<http-port><xcap-root>" },
	{ "sip-min-expires", CONF_INT, P(min_expires), "60", 1, 86400,
	  "shortest subscription accepted, seconds (423 Interval Too Brief below)" },
	{ "sip-max-expires", CONF_INT, P(max_expires), "7200", 1, 604800,
	  "longest subscription granted, seconds (longer requests are shortened)" },
	{ "sip-default-expires", CONF_INT, P(default_expires), "3600", 1, 604800,
	  "subscription duration when the SUBSCRIBE has no Expires, seconds" },
	{ "sip-notify-retries", CONF_INT, P(notify_retries), "3", 0, 100,
	  "times a NOTIFY is sent again after a timeout (408) or transport failure before the "
	  "subscription ends" },
	{ "sip-max-subscriptions", CONF_INT, P(max_subscriptions), "100000", 1, 10000000,
	  "subscriptions held at once (503 beyond)" },
	{ "sip-max-entries", CONF_INT, P(max_entries), "32", 1, 10000,
	  "XCAP URIs in one SUBSCRIBE's resource list" },
	{ "sip-max-body", CONF_SIZE, P(max_body), "64k", 1024, 16 * 1024 * 1024,
	  "largest SUBSCRIBE body (413 beyond)" },
	{ "sip-max-pending", CONF_INT, P(max_pending), "64", 1, 100000,
	  "changed documents queued for one subscription while a NOTIFY is in flight; beyond, "
	  "the next NOTIFY carries the full state" },
	{ "sip-queue-max", CONF_INT, P(queue_max), "100000", 16, 100000000,
	  "committed changes queued for the SIP thread; beyond, every subscription gets a "
	  "full-state NOTIFY" },
	{ "sip-tls-listen", CONF_STR, P(tls_listen), "", 0, 0,
	  "address:port of a SIP over TLS listener (RFC 3261 §26, sips: dialogs); empty: none" },
	{ "sip-tls-cert", CONF_STR, P(tls_cert), "", 0, 0,
	  "PEM certificate (chain) of the SIP TLS listener; empty: the HTTP tls-cert" },
	{ "sip-tls-key", CONF_STR, P(tls_key), "", 0, 0,
	  "PEM private key of the SIP TLS listener; empty: the HTTP tls-key" },
	{ "sip-max-inflight", CONF_INT, P(max_inflight), "256", 1, 100000,
	  "NOTIFYs awaiting their answer at once, over all subscriptions; a change for many "
	  "subscriptions goes out as answers come back" },
	{ "sip-max-unanswered", CONF_INT, P(max_unanswered), "4096", 0, 1000000,
	  "UDP NOTIFYs still unanswered after T1 that stop counting against sip-max-inflight "
	  "(still retransmitted), so subscribers that are off do not hold up the others" },
	{ "sip-notify-interval", CONF_INT, P(notify_interval_ms), "0", 0, 3600000,
	  "aggregation window, milliseconds: shortest time between two NOTIFYs of one "
	  "subscription; changes meanwhile are folded into the next one (0: send at once)" },
	{ "sip-max-patch", CONF_SIZE, P(max_patch), "16k", 0, 16 * 1024 * 1024,
	  "largest patch put in a NOTIFY (xcap-patching, aggregate); a larger change is "
	  "notified with etags only (0: never patch)" },
	{ "sip-poll-ms", CONF_INT, P(poll_ms), "1000", 0, 3600000,
	  "how often the notifier reads changes committed by other processes on the same "
	  "data directory (mcx, another mcxd), milliseconds (0: never)" },
	{ "sip-admin-poll-ms", CONF_INT, P(admin_poll_ms), "1000", 0, 3600000,
	  "how often the notifier looks for subscriptions marked by 'mcx sip end' and ends "
	  "them, milliseconds (0: never; marks are then handled at the next start)" },
};

#define D(f) offsetof(struct dm_conf_src, f)
static const struct conf_def dm_defs[] = {
	{ "dm", CONF_BOOL, D(enabled), "no", 0, 0,
	  "run the OMA DM server in this daemon: UEs get the MCPTT MOs (TS 24.483) generated from "
	  "the documents in the store (docs/dm-server.md)" },
	{ "dm-path", CONF_STR, D(path), "/dm", 0, 0,
	  "path UEs POST SyncML DM messages to; GET <dm-path>/bootstrap?devid=URN answers the "
	  "client-initiated bootstrap" },
	{ "dm-devices", CONF_STR, D(devices), "", 0, 0,
	  "file of the UEs the DM server knows, one per line: DEVID USER SECRET [NONCE_B64|-] "
	  "[MCPTT_ID|-] [SRV_USER SRV_SECRET [SRV_NONCE_B64|-]] (the DMAcc credentials the UE "
	  "presents; with an MCPTT ID it gets the five MOs of that user, else the UE initial "
	  "configuration; SRV_*: the SRVCRED the server presents to it, else dm-srv-secret); empty: "
	  "every DevId is refused" },
	{ "dm-server-id", CONF_STR, D(server_id), "mcxd", 0, 0, "ServerID of the DM server" },
	{ "dm-url", CONF_STR, D(url), "", 0, 0,
	  "absolute URL of dm-path as UEs reach it (RespURI, Addr of bootstrap accounts); empty: "
	  "http(s)://<http-bind>:<http-port><dm-path>" },
	{ "dm-max-msg-size", CONF_SIZE, D(max_msg), "64k", 1024, 16 * 1024 * 1024,
	  "MaxMsgSize of the DM server, and the cap of the UE's (larger plans are split into "
	  "several messages, one Atomic per MO, large objects)" },
	{ "dm-sessions", CONF_INT, D(sessions), "1000", 1, 1000000,
	  "DM sessions held at once (the least recently used is dropped beyond)" },
	{ "dm-srv-secret", CONF_STR, D(srv_secret), "", 0, 0,
	  "SRVCRED secret put in bootstrap accounts, and the server's credentials to UEs whose "
	  "dm-devices line has none (Cred auth-md5 as the dm-server-id); empty: none" },
	{ "dm-networkid", CONF_STR, D(networkid), "", 0, 0,
	  "NETWORKID key of the bootstrap message's MAC (SEC=NETWORKID; with dm-userpin "
	  "USERPIN_NETWORKID); empty: not secured by it" },
	{ "dm-userpin", CONF_STR, D(userpin), "", 0, 0,
	  "USERPIN key of the bootstrap message's MAC; empty: not secured by it" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

enum mcx_err mcx_config_init(struct mcx_config *c)
{
	memset(c, 0, sizeof(*c));
	c->parts[0] = (struct conf_part){ "general", general_defs, N(general_defs), &c->general };
	c->parts[1] = (struct conf_part){ "http", http_defs, N(http_defs), &c->http };
	c->parts[2] = (struct conf_part){ "xcap", xcap_defs, N(xcap_defs), &c->xcap };
	c->parts[3] = (struct conf_part){ "store", store_defs, N(store_defs), &c->store };
	c->parts[4] = (struct conf_part){ "idms", idms_defs, N(idms_defs), &c->idms };
	c->parts[5] = (struct conf_part){ "sip", sip_defs, N(sip_defs), &c->sip };
	c->parts[6] = (struct conf_part){ "dm", dm_defs, N(dm_defs), &c->dm };
	return conf_defaults(c->parts, MCX_CONFIG_PARTS);
}

void mcx_config_free(struct mcx_config *c)
{
	conf_free(c->parts, MCX_CONFIG_PARTS);
}

void mcx_config_handler(const struct mcx_config *c, struct xcap_handler_conf *hc)
{
	size_t rl;

	memset(hc, 0, sizeof(*hc));
	hc->root = c->xcap.root;
	rl = strlen(hc->root);
	while (rl && hc->root[rl - 1] == '/')
		c->xcap.root[--rl] = '\0';
	hc->max_doc = c->xcap.max_document_size;
	hc->max_uri = c->xcap.max_uri_length;
	hc->xml.max_depth = (uint32_t)c->xcap.xml_max_depth;
	hc->xml.max_elements = (uint32_t)c->xcap.xml_max_elements;
	hc->xml.max_attrs = (uint32_t)c->xcap.xml_max_attributes;
	hc->max_steps = (unsigned)c->xcap.selector_max_steps;
	hc->test_usage = c->xcap.test_usage;
	hc->commit_retries = (unsigned)c->xcap.commit_retries;
	hc->default_org = c->http.realm;
	hc->servers = c->xcap.mcptt_servers;
}

void mcx_config_store(const struct mcx_config *c, struct store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = c->general.data_dir;
	o->history_keep = c->store.history_keep;
	o->cache_max = c->store.cache_size;
	o->sync_full = c->store.sync_full;
	o->busy_timeout_ms = c->store.busy_timeout_ms;
}

void mcx_config_doc(const struct mcx_config *c, FILE *f)
{
	size_t i, j;

	for (i = 0; i < MCX_CONFIG_PARTS; i++) {
		fprintf(f, "\n## %s\n\n| key | default | range | meaning |\n|---|---|---|---|\n",
			c->parts[i].section);
		for (j = 0; j < c->parts[i].ndefs; j++) {
			const struct conf_def *d = &c->parts[i].defs[j];
			char range[64] = "";

			if (d->type == CONF_INT || d->type == CONF_SIZE)
				snprintf(range, sizeof(range), "%lld..%lld", d->min, d->max);
			else if (d->type == CONF_BOOL)
				snprintf(range, sizeof(range), "yes/no");
			fprintf(f, "| `%s` | `%s` | %s | %s |\n", d->name, d->def ? d->def : "",
				range, d->help);
		}
	}
}
