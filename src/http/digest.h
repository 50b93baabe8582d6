/* HTTP Digest access authentication (RFC 7616), sans-I/O: parse the
 * Authorization value, mint and check stateless nonces, build challenges and
 * verify responses. No sockets, no clock, no allocation except in the buffer
 * the caller hands to digest_challenge().
 *
 * The glue checks a request in this order and maps outcomes to statuses:
 *   no Authorization                       -> 401 + challenges
 *   digest_parse() fails                   -> 400
 *   digest_params_check() DIGEST_CHECK_BAD -> 400; other non-OK -> 401 + challenges
 *   realm differs from ours                -> 401 + challenges
 *   digest_nonce_check() BAD / STALE       -> 401 + challenges (stale=true when STALE)
 *   !digest_uri_matches()                  -> 400 (RFC 7616 §3.4.6)
 *   user unknown / !digest_response_ok()   -> 401 + challenges
 * Nonces are stateless, so nc is not tracked: a captured request can be
 * replayed verbatim until its nonce goes stale. */
#ifndef MCX_HTTP_DIGEST_H
#define MCX_HTTP_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/pl.h"

#define DIGEST_HDR_MAX     8192  /* longest Authorization value parsed */
#define DIGEST_PARAMS_MAX  32    /* most auth-params in one Authorization value */
#define DIGEST_REALM_MAX   256   /* longest realm a nonce can be bound to */
#define DIGEST_METHOD_MAX  32    /* longest request method hashed into HA2 */
#define DIGEST_KEY_MIN     16    /* shortest nonce key accepted, in bytes */
#define DIGEST_NONCE_LEN   43    /* base64url of 8 time + 8 random + 16 MAC bytes */
#define DIGEST_NONCE_MAX   (DIGEST_NONCE_LEN + 1)
#define DIGEST_NONCE_SKEW  5     /* seconds a nonce may be ahead of the clock */
#define DIGEST_HEX_MAX     (2 * MCX_HASH_MAX + 1)

/* The parameters of one Authorization: Digest value. Each view is the value
 * with quotes removed and quoted-pairs undone; a view with p == NULL means the
 * parameter was absent (an empty quoted value has p != NULL, l == 0).
 * Views point into the parsed header, or into scratch when the value had
 * backslash escapes: the struct must not be copied, and it is valid as long as
 * the header bytes are. */
struct digest_params {
	struct pl username;
	struct pl realm;
	struct pl nonce;
	struct pl uri;
	struct pl response;
	struct pl algorithm;
	struct pl cnonce;
	struct pl opaque;
	struct pl qop;
	struct pl nc;
	struct pl userhash;
	const char *why;              /* after a failed parse: what was wrong (static) */
	char scratch[DIGEST_HDR_MAX]; /* private: unescaped copies of values */
};

/* Parse hdr[0..len), the whole Authorization value ("Digest username=...").
 * Parameter names are case-insensitive, values are tokens or quoted-strings,
 * unknown parameters are ignored. request_target[0..target_len) is the raw
 * request target (may be NULL/0): it lets a uri="..." value hold the bare
 * double quotes XCAP clients send in node selectors. Requires username,
 * realm, nonce, uri and response.
 * Errors: MCX_EINVAL malformed, not Digest, duplicate or missing parameter;
 * MCX_ELIMIT longer than DIGEST_HDR_MAX or more than DIGEST_PARAMS_MAX params.
 * out->why says which. Never reads outside hdr[0..len). */
MCX_WUR enum mcx_err digest_parse(const char *hdr, size_t len, const char *request_target,
				  size_t target_len, struct digest_params *out);

/* Why parsed parameters cannot be verified here. */
enum digest_check {
	DIGEST_CHECK_OK,
	DIGEST_CHECK_BAD,        /* nc/cnonce missing or malformed, response not hex, bad userhash: 400 */
	DIGEST_CHECK_ALGORITHM,  /* not MD5 or SHA-256: -sess variants, SHA-512-256, unknown */
	DIGEST_CHECK_QOP,        /* qop missing (RFC 2069 form) or not "auth" (auth-int) */
	DIGEST_CHECK_USERHASH    /* userhash=true: never offered, so not supported */
};

/* Semantic check of parsed parameters; on DIGEST_CHECK_OK *alg is the hash
 * (MD5 when the algorithm parameter is absent). The RFC 2069 form without
 * qop is refused: our challenges always send qop="auth", which RFC 7616
 * §3.4 makes the client echo, and without cnonce/nc the response has no
 * client randomness. */
enum digest_check digest_params_check(const struct digest_params *p, enum mcx_hash *alg);
/* A short English phrase for logs. */
const char *digest_check_str(enum digest_check c);

/* "MD5" or "SHA-256" (case-insensitive) into *out; false for anything else. */
bool digest_alg_parse(struct pl name, enum mcx_hash *out);
/* "MD5" or "SHA-256". */
const char *digest_alg_name(enum mcx_hash alg);

/* Algorithms in the order challenges are sent (RFC 7616 §3.7: preferred first). */
#define DIGEST_OFFER_N 2
extern const enum mcx_hash digest_offer[DIGEST_OFFER_N];

/* Mint a nonce: base64url(8-byte big-endian now || 8 random bytes ||
 * HMAC-SHA256(key, time || random || realm)[0..16)), NUL-terminated in out.
 * Errors: MCX_EINVAL key shorter than DIGEST_KEY_MIN or realm longer than
 * DIGEST_REALM_MAX; MCX_EINTERNAL the CSPRNG failed. */
MCX_WUR enum mcx_err digest_nonce_make(const uint8_t *key, size_t keylen, const char *realm,
				       int64_t now, char out[DIGEST_NONCE_MAX]);

enum digest_nonce_state {
	DIGEST_NONCE_OK,
	DIGEST_NONCE_STALE,  /* ours, but older than lifetime_s (or from the future) */
	DIGEST_NONCE_BAD     /* not ours: malformed, other key, other realm, tampered */
};

/* Check a nonce minted by digest_nonce_make() with the same key and realm. */
enum digest_nonce_state digest_nonce_check(const uint8_t *key, size_t keylen, const char *realm,
					   struct pl nonce, int64_t now, uint32_t lifetime_s);

/* Append one WWW-Authenticate value to b:
 *   Digest realm="R", qop="auth", algorithm=A, nonce="N"[, opaque="O"][, stale=true]
 * opaque may be NULL. Errors: MCX_EINVAL realm, nonce or opaque holds a
 * control character; MCX_ELIMIT / MCX_ENOMEM from b, which is then left as
 * it was. Send one value per algorithm, in digest_offer[] order. */
MCX_WUR enum mcx_err digest_challenge(struct mcx_buf *b, enum mcx_hash alg, const char *realm,
				      const char *nonce, const char *opaque, bool stale);

/* HA1 = H(username ":" realm ":" password) as lower-case hex into out
 * (DIGEST_HEX_MAX bytes). Errors: MCX_ELIMIT the three exceed DIGEST_HDR_MAX. */
MCX_WUR enum mcx_err digest_ha1_hex(enum mcx_hash alg, struct pl username, struct pl realm,
				    struct pl password, char out[DIGEST_HEX_MAX]);

/* True when p->response equals H(HA1:nonce:nc:cnonce:qop:H(method:uri)),
 * compared in constant time. False as well when digest_params_check() is not
 * OK, when p's algorithm is not alg, or when method or ha1_hex is malformed.
 * Checks neither the nonce, the realm nor the uri: see the order above. */
bool digest_response_ok(const struct digest_params *p, const char *method, enum mcx_hash alg,
			const char *ha1_hex);

/* True when p->uri is the request target target[0..len), byte for byte, or an
 * absolute URI (scheme://authority...) whose path and query are (RFC 7616
 * §3.4.6). The authority is not compared with Host. */
bool digest_uri_matches(const struct digest_params *p, const char *target, size_t len);

/* Split "alice@example.org" at the last '@' into name "alice" and domain
 * "example.org"; "alice" gives the name and an absent domain (p == NULL).
 * False (views unset) for an empty name or an empty domain after '@'. */
bool digest_user_split(struct pl username, struct pl *name, struct pl *domain);

#endif
