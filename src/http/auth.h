/* Request authentication for the HTTP front: HTTP Digest (RFC 7616) against
 * the account store, or an identity asserted by a configured trusted proxy
 * (X-3GPP-Asserted-Identity, the OMA XDM aggregation-proxy model). */
#ifndef MCX_HTTP_AUTH_H
#define MCX_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "store/store.h"
#include "http/jwt.h"

#define AUTH_XUI_MAX 256
#define AUTH_CHALLENGES_MAX 3

struct auth_conf {
	const char *realm;              /* default realm */
	long long nonce_lifetime;
	const char *trusted_proxies;    /* space-separated addresses */
	uint8_t key[32];                /* nonce MAC key, kept in the store */
	/* Bearer access tokens (TS 33.180): the IdMS key set and expectations */
	const struct jwks *jwks;        /* NULL = tokens are not accepted */
	/* or the key set of the identity management server in this process */
	const struct jwks *(*jwks_fn)(void *arg);
	bool (*revoked_fn)(void *arg, const char *jti);   /* tokens revoked at that IdMS */
	void *jwks_arg;
	const char *token_issuer;       /* "" = any */
	const char *token_audience;     /* "" = any */
	long long token_skew;           /* seconds */
};

struct auth_in {
	const char *method;
	const char *target;
	size_t target_len;
	const char *authorization;      /* header value or NULL */
	const char *asserted;           /* X-3GPP-Asserted-Identity or NULL */
	const struct sockaddr *peer;
	const char *uri_xui;            /* XUI of the users tree in the URI, for the realm */
};

struct auth_out {
	char xui[AUTH_XUI_MAX];         /* "" = not authenticated */
	bool admin;
	bool token;                     /* authenticated by an access token */
	char scopes[JWT_SCOPE_MAX];     /* the token's scopes */
	const char *bearer_error;       /* "invalid_token" on a refused token */
	const char *why;                /* reason for a refusal, for the log */
	struct mcx_buf challenge[AUTH_CHALLENGES_MAX]; /* WWW-Authenticate: SHA-256, MD5, Bearer */
	int nchallenge;
};

MCX_WUR enum mcx_err auth_init(struct auth_conf *c, struct mcx_store *st);
/* Decide who sent the request. Returns 0 when authenticated (out->xui set),
 * 401 with challenges otherwise. */
int auth_check(const struct auth_conf *c, struct mcx_store *st, const struct auth_in *in,
	       struct auth_out *out);
void auth_out_free(struct auth_out *out);
/* Validate an access token tok[0..len) exactly as the Bearer scheme does
 * (key set, issuer, audience, clock skew, revocation). On success out->xui,
 * scopes, token and admin are set and *expp (may be NULL) gets its "exp"
 * (0 when absent); MCX_EAUTH with out->why otherwise. Thread-safe. For the
 * other front ends that take the same tokens (sip/). */
MCX_WUR enum mcx_err auth_token(const struct auth_conf *c, struct mcx_store *st, const char *tok,
				size_t len, struct auth_out *out, int64_t *expp);
/* Is the peer address in the space-separated list? */
bool auth_peer_trusted(const char *list, const struct sockaddr *peer);
/* Clean an asserted identity: strip spaces, quotes, display name and <>. */
bool auth_clean_identity(const char *in, char *out, size_t outlen);

#endif
