/* The identity management server (TS 24.482 over OpenID Connect, TS 33.180
 * token profile): authorization code flow with PKCE (RFC 7636, S256), token
 * endpoint (authorization_code, refresh_token with rotation), JWKS, userinfo,
 * revocation, discovery. Sans-I/O: a parsed HTTP request in, a response out;
 * http/server.c routes every request under the IdMS path prefix here.
 * Thread-safe: any number of threads may call idms_handle at once. */
#ifndef MCX_IDMS_IDMS_H
#define MCX_IDMS_IDMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "store/store.h"

struct idms;
struct jwks;

#define IDMS_RESP_HEADERS_MAX 6

struct idms_conf {
	const char *issuer;            /* e.g. "http://127.0.0.1:8080/idms" (no trailing '/') */
	const char *path;              /* path prefix served, e.g. "/idms" */
	const char *data_dir;          /* keys live in <data_dir>/idms/ */
	const char *key_alg;           /* "ES256" (default) or "RS256" */
	long long code_ttl;            /* seconds an authorization code lives (default 60) */
	long long access_ttl;          /* seconds (default 3600) */
	long long id_ttl;              /* seconds (default 3600) */
	long long refresh_ttl;         /* seconds (default 30 days) */
	long long key_grace;           /* seconds a rotated-out key stays in the JWKS */
	long long max_failures;        /* failed logins before lockout (default 5) */
	long long lockout;             /* seconds of lockout (default 300) */
	const char *audiences;         /* space-separated "aud" of access tokens (resource servers) */
	const char *audit_log;         /* file path, "-" stderr, "off" */
	const char *clients;           /* registered clients: "client_id redirect_uri[,redirect_uri...]"
					  entries separated by ';' (also: mcx idms client add) */
	/* Added by the IdMS implementation: */
	unsigned pw_t_cost;            /* argon2id passes for new hashes; 0 = IDMS_PW_T_COST */
	unsigned pw_m_kib;             /* argon2id memory (KiB) for new hashes; 0 = IDMS_PW_M_KIB.
					  Stored hashes with other parameters are rehashed at the
					  next successful login. Lower only in tests. */
	int64_t (*clock)(void *arg);   /* unix seconds; NULL = time(). For tests. */
	void *clock_arg;
};

struct idms_request {
	const char *method;            /* GET or POST */
	const char *path;              /* path below the prefix, e.g. "/authorize" */
	const char *query;             /* raw query string (no '?'), NULL if none */
	const char *content_type;
	const char *body;              /* application/x-www-form-urlencoded for POSTs */
	size_t body_len;
	const char *authorization;     /* Authorization header (userinfo, client auth) */
	const char *peer;              /* client address text, for throttling and the audit log */
};

struct idms_response {
	int status;
	const char *content_type;      /* static string */
	char location[4096];           /* Location for 302, "" = none */
	bool no_store;                 /* Cache-Control: no-store, Pragma: no-cache */
	char www_authenticate[256];    /* for 401 from userinfo */
	struct mcx_buf body;           /* owned */
	/* Added: further response headers, static strings, to be sent as they
	 * are (Content-Security-Policy, X-Frame-Options, Referrer-Policy on the
	 * HTML pages; Allow on 405; Retry-After on 429). */
	struct {
		const char *name;
		const char *value;
	} headers[IDMS_RESP_HEADERS_MAX];
	unsigned nheaders;
};

MCX_WUR enum mcx_err idms_open(struct idms **ip, const struct idms_conf *c, struct mcx_store *st,
			       char *errbuf, size_t errlen);
void idms_close(struct idms *i);
void idms_response_init(struct idms_response *r);
void idms_response_free(struct idms_response *r);
void idms_handle(struct idms *i, const struct idms_request *rq, struct idms_response *rs);

/* The public keys as a key set for the CMS/GMS side of the same daemon.
 * Valid until the next rotation + grace; the IdMS keeps old sets alive. */
const struct jwks *idms_jwks(struct idms *i);

/* Key management for `mcx idms rotate-keys` (on the data directory). */
MCX_WUR enum mcx_err idms_rotate_keys(const char *data_dir, const char *alg,
				      char *errbuf, size_t errlen);

/* Passwords (argon2id) for the accounts in the store: set and check. */
MCX_WUR enum mcx_err idms_password_set(struct mcx_store *st, const char *xui, const char *password);
bool idms_password_check(struct mcx_store *st, const char *xui, const char *password);
/* Added: idms_password_set with explicit argon2id cost (t_cost passes,
 * m_kib KiB of memory; 0 = the defaults). For tests and tools. */
MCX_WUR enum mcx_err idms_password_set_cost(struct mcx_store *st, const char *xui,
					    const char *password, unsigned t_cost, unsigned m_kib);

/* Added: register (or replace) a client in the store for `mcx idms client
 * add`: uris is one or more redirect URIs separated by ',' or white space
 * (https, a private-use scheme, or http on a loopback IP only; no fragment).
 * MCX_EINVAL for a bad id or URI. A running IdMS sees it at the next request. */
MCX_WUR enum mcx_err idms_client_add(struct mcx_store *st, const char *id, const char *uris);

/* Added: has the access token with this jti been revoked (at /revoke, by a
 * replayed authorization code, or by refresh-token reuse)? For the CMS/GMS
 * of the same daemon, after jwt_verify. */
bool idms_token_revoked(struct idms *i, const char *jti);

#endif
