/* JSON Web Tokens for MCPTT access tokens (TS 33.180 / TS 24.482, RFC 7519,
 * RFC 7515, RFC 7517): a JWKS key set, verification of JWS-signed tokens
 * (ES256 and RS256 only: "none" and HMAC are refused, so a public key can
 * never be used as an HMAC secret) with the registered claims checked, and
 * signing (for the IdMS and for tests). Sans-I/O except jwks_load_file. */
#ifndef MCX_HTTP_JWT_H
#define MCX_HTTP_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"

#define JWT_MAX_LEN      8192   /* longest token accepted (bytes) */
#define JWT_CLAIM_MAX    256    /* longest string claim kept */
#define JWT_SCOPE_MAX    1024
#define JWKS_MAX_KEYS    32
#define JWKS_MAX_LEN     (256 * 1024)

struct jwks;   /* a parsed key set: public keys by kid */

/* Parse a JWKS document ({"keys":[...]}, EC P-256 "kty":"EC","crv":"P-256"
 * and RSA "kty":"RSA" keys with "kid"; other keys are skipped). */
MCX_WUR enum mcx_err jwks_parse(struct jwks **ksp, const char *json, size_t len,
				char *errbuf, size_t errlen);
MCX_WUR enum mcx_err jwks_load_file(struct jwks **ksp, const char *path,
				    char *errbuf, size_t errlen);
void jwks_free(struct jwks *ks);
size_t jwks_count(const struct jwks *ks);

struct jwt_expect {
	const char *iss;            /* required issuer; NULL = any */
	const char *aud;            /* must be in "aud" (string or array); NULL = any */
	int64_t now;                /* unix seconds */
	int64_t skew;               /* seconds of clock skew allowed */
	size_t max_len;             /* 0 = JWT_MAX_LEN */
};

struct jwt_claims {
	char mcptt_id[JWT_CLAIM_MAX];
	char sub[JWT_CLAIM_MAX];
	char iss[JWT_CLAIM_MAX];
	char client_id[JWT_CLAIM_MAX];
	char jti[JWT_CLAIM_MAX];
	char kid[JWT_CLAIM_MAX];
	char alg[16];
	char scope[JWT_SCOPE_MAX];  /* space-separated (a JSON array is joined) */
	int64_t exp, iat, nbf;      /* 0 when absent */
};

enum jwt_result {
	JWT_OK = 0,
	JWT_MALFORMED,       /* not three base64url parts, bad JSON, missing claims */
	JWT_TOO_LARGE,
	JWT_BAD_ALG,         /* none, HS*, anything but ES256/RS256, or alg/key mismatch */
	JWT_UNKNOWN_KEY,     /* kid not in the key set */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,   /* nbf or iat in the future beyond skew */
	JWT_BAD_ISSUER,
	JWT_BAD_AUDIENCE,
	JWT_NO_MCPTT_ID
};

/* Verify token[0..len) against the key set and expectations; fill out. */
enum jwt_result jwt_verify(const struct jwks *ks, const char *token, size_t len,
			   const struct jwt_expect *ex, struct jwt_claims *out);
const char *jwt_result_str(enum jwt_result r);
/* Is scope (exact token) in the space-separated scope claim? */
bool jwt_has_scope(const struct jwt_claims *c, const char *scope);

/* Signing: a private key from PEM (EC P-256 or RSA >= 2048). */
struct jwt_key;
MCX_WUR enum mcx_err jwt_key_load_pem(struct jwt_key **kp, const char *pem, size_t len,
				      const char *kid, char *errbuf, size_t errlen);
void jwt_key_free(struct jwt_key *k);
/* The public half as one JWK object appended to out ({"kty":..,"kid":..,...}). */
MCX_WUR enum mcx_err jwt_key_public_jwk(const struct jwt_key *k, struct mcx_buf *out);
/* Sign a JSON claims object (the payload, as text) into a compact JWS with
 * header {"alg":"ES256"|"RS256","typ":"JWT","kid":kid}. */
MCX_WUR enum mcx_err jwt_sign(const struct jwt_key *k, const char *claims_json,
			      struct mcx_buf *out);
/* Sign header[0..hlen) and payload[0..plen) verbatim with the key's own alg
 * (no checks at all): for tests and fuzzing, to build tokens jwt_sign()
 * refuses to (foreign alg, duplicate members, oversized). Appends to out;
 * out is unchanged on failure. */
MCX_WUR enum mcx_err jwt_sign_raw(const struct jwt_key *k, const char *header, size_t hlen,
				  const char *payload, size_t plen, struct mcx_buf *out);

#endif
