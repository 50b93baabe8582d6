/* The daemon's configuration: one typed table per component (general,
 * http, xcap, store), shared by mcxd and mcx so both read the same files
 * and the same defaults. Every bound the server enforces is a key here. */
#ifndef MCX_HTTP_CONFIG_H
#define MCX_HTTP_CONFIG_H

#include <stdbool.h>

#include "core/conf.h"
#include "http/server.h"
#include "http/handler.h"
#include "store/store.h"

struct general_conf {
	char *data_dir;
	int log_level;
	bool demo;
};

struct xcap_conf {
	char *root;
	size_t max_document_size;
	size_t max_uri_length;
	long long xml_max_depth;
	long long xml_max_elements;
	long long xml_max_attributes;
	long long selector_max_steps;
	bool test_usage;
	long long commit_retries;
	char *mcptt_servers;
};

struct store_conf {
	long long history_keep;
	size_t cache_size;
	bool sync_full;
	long long busy_timeout_ms;
};

struct idms_conf_src {
	bool enabled;
	char *path;
	char *issuer;
	char *key_alg;
	long long code_ttl, access_ttl, id_ttl, refresh_ttl, key_grace;
	long long max_failures, lockout;
	char *audiences;
	char *audit_log;
	char *clients;
};

/* The SIP notifier (SUBSCRIBE/NOTIFY, xcap-diff); src/sip/server.h. */
struct sip_conf_src {
	bool enabled;
	char *listen;               /* "address:port", UDP and TCP */
	char *transports;           /* "udp tcp", "udp" or "tcp" */
	char *domain;               /* Request-URI domain accepted ("" = any) */
	char *trusted_proxies;      /* peers allowed to assert P-Asserted-Identity */
	char *xcap_root_uri;        /* xcap-root of NOTIFY bodies ("" = from http-bind) */
	long long min_expires, max_expires, default_expires;
	long long notify_retries;
	long long max_subscriptions;
	long long max_entries;
	size_t max_body;
	long long max_pending;
	long long queue_max;
	char *tls_listen;             /* SIP over TLS ("" = none) */
	char *tls_cert, *tls_key;     /* "" = the HTTP ones */
	long long max_inflight;       /* NOTIFYs in flight, all subscriptions */
	long long max_unanswered;     /* of which unanswered after T1, out of the window */
	long long notify_interval_ms; /* aggregation window */
	size_t max_patch;             /* patch bytes in one NOTIFY document */
	long long poll_ms;            /* other processes' changes */
	long long admin_poll_ms;      /* subscriptions marked by mcx sip end */
};

/* The OMA DM server role (src/dm/server_role.h, docs/dm-server.md). */
struct dm_conf_src {
	bool enabled;
	char *path;                 /* POST <path>, GET <path>/bootstrap */
	char *devices;              /* devices file ("" = none: every DevId refused) */
	char *server_id;            /* our ServerID */
	char *url;                  /* the DM URL UEs use ("" = from http-bind/port) */
	size_t max_msg;             /* our MaxMsgSize, the cap of the peer's */
	long long sessions;         /* live sessions */
	char *srv_secret;           /* SRVCRED secret in bootstrap accounts */
	char *networkid, *userpin;  /* SEC/MAC of bootstrap messages */
};

struct mcx_config {
	struct general_conf general;
	struct http_conf http;
	struct xcap_conf xcap;
	struct store_conf store;
	struct idms_conf_src idms;
	struct sip_conf_src sip;
	struct dm_conf_src dm;
	struct conf_part parts[7];
};

#define MCX_CONFIG_PARTS 7

/* Set the tables up and apply the defaults. */
MCX_WUR enum mcx_err mcx_config_init(struct mcx_config *c);
void mcx_config_free(struct mcx_config *c);
void mcx_config_handler(const struct mcx_config *c, struct xcap_handler_conf *hc);
void mcx_config_store(const struct mcx_config *c, struct store_opts *o);
/* Markdown reference of every key (docs/config.md is generated from it). */
void mcx_config_doc(const struct mcx_config *c, FILE *f);

#endif
