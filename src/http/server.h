/* The HTTP front: libmicrohttpd glue around the sans-I/O XCAP handler.
 * Owns the listening sockets and worker threads; authenticates requests
 * (Digest, or an identity asserted by a trusted proxy) before anything else. */
#ifndef MCX_HTTP_SERVER_H
#define MCX_HTTP_SERVER_H

#include <stdbool.h>
#include <stdio.h>

#include "mcx/mcx.h"
#include "http/handler.h"

struct idms;
struct dm_role;
struct auth_conf;

struct http_conf {
	char *bind;                /* address to listen on */
	long long port;
	long long threads;         /* event threads (MHD thread pool): reads run here */
	long long write_workers;   /* threads that run writes while their connection waits */
	long long conn_limit;      /* concurrent connections */
	long long conn_timeout;    /* seconds a connection may idle */
	size_t header_max;         /* per-connection memory for headers */
	char *tls_cert;            /* PEM files; both set = HTTPS */
	char *tls_key;
	char *realm;               /* default Digest realm (the demo domain) */
	long long nonce_lifetime;  /* seconds before a nonce is stale */
	char *trusted_proxies;     /* space-separated IPs allowed to assert identity */
	char *access_log;          /* file, "-" = stderr, "off" */
	char *jwks_file;           /* the IdMS keys (JWKS): enables Bearer access tokens */
	char *jwks_url;            /* or fetched from the IdMS (refreshed) */
	long long jwks_refresh;    /* seconds between fetches of jwks-url */
	char *token_issuer;        /* required "iss" ("" = any) */
	char *token_audience;      /* required "aud" member ("" = any) */
	long long token_skew;      /* seconds of clock skew for exp/nbf/iat */
	/* the identity management server, when this daemon runs one (set by
	 * mcxd, not a configuration key): requests under idms_path go to it */
	struct idms *idms;
	const char *idms_path;
	/* the OMA DM server, when this daemon runs one (set by mcxd): requests
	 * under dm_path go to it, without HTTP authentication (SyncML carries
	 * its own) */
	struct dm_role *dm;
	const char *dm_path;
};

struct http_server;

MCX_WUR enum mcx_err http_server_start(struct http_server **sp, const struct http_conf *c,
				       struct xcap_handler *h, char *errbuf, size_t errlen);
void http_server_stop(struct http_server *s);
/* The authentication settings requests are checked with (the access-token
 * key set included), for other front ends that validate the same tokens
 * (auth_token). Valid until http_server_stop(). */
const struct auth_conf *http_server_auth(const struct http_server *s);
/* Port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *s);

#endif
