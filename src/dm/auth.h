/* OMA DM 1.2 authentication (DM Security 5.1.3-5.1.4): syncml:auth-basic
 * (only over TLS), syncml:auth-md5 with nonces and NextNonce rotation, the
 * x-syncml-hmac integrity header, and the server's SyncHdr challenge flow
 * (212 / 401 / 407 with Chal). Pure functions: no I/O, no clocks. */
#ifndef MCX_DM_AUTH_H
#define MCX_DM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "core/pl.h"
#include "dm/limits.h"
#include "dm/syncml.h"

#define DM_AUTH_BASIC_TYPE	"syncml:auth-basic"
#define DM_AUTH_MD5_TYPE	"syncml:auth-md5"
#define DM_AUTH_HMAC_TYPE	"syncml:auth-MAC"
#define DM_HMAC_HEADER		"x-syncml-hmac"

enum dm_auth_type { DM_AUTH_NONE, DM_AUTH_BASIC, DM_AUTH_MD5, DM_AUTH_HMAC };

/* b64 of a 16-byte MD5 digest plus NUL. */
#define DM_B64_MD5_LEN 25

struct dm_nonce {
	uint8_t b[DM_NONCE_MAX];
	size_t len;
};

const char *dm_auth_type_name(enum dm_auth_type t);
/* DM_AUTH_NONE for an unknown or absent type. */
enum dm_auth_type dm_auth_type_of(const char *s);

/* --- nonces --- */

/* DM_NONCE_LEN random bytes. */
MCX_WUR enum mcx_err dm_nonce_fresh(struct dm_nonce *n);
MCX_WUR enum mcx_err dm_nonce_set(struct dm_nonce *n, const void *p, size_t len);
/* From / to the b64 text of a NextNonce. */
MCX_WUR enum mcx_err dm_nonce_from_b64(struct dm_nonce *n, const char *b64);
MCX_WUR enum mcx_err dm_nonce_to_b64(const struct dm_nonce *n, char *out, size_t outlen);
/* A Chal or a Status Meta arrived with NextNonce: *use becomes the nonce for
 * the next Cred we send; *stored (what we keep for the next session) is
 * overwritten only when the sender was authenticated (DM Security 5.1.3.4).
 * MCX_ENOENT when meta has no NextNonce, MCX_EINVAL when it is not b64. */
MCX_WUR enum mcx_err dm_nonce_accept(const struct dm_meta *meta, bool sender_authenticated,
				     struct dm_nonce *use, struct dm_nonce *stored);

/* --- credentials --- */

/* B64(user ":" pwd) into out. */
MCX_WUR enum mcx_err dm_auth_basic(const char *user, const char *pwd, char *out, size_t outlen);
/* B64(MD5(B64(MD5(user ":" pwd)) ":" nonce)) into out (DM_B64_MD5_LEN). */
MCX_WUR enum mcx_err dm_auth_md5(const char *user, const char *pwd, const struct dm_nonce *nonce,
				 char out[DM_B64_MD5_LEN]);
/* The same from a stored B64(MD5(user ":" pwd)) (servers need not keep
 * passwords). */
MCX_WUR enum mcx_err dm_auth_md5_from_ha(const char *ha_b64, const struct dm_nonce *nonce,
					 char out[DM_B64_MD5_LEN]);
/* Put a Cred of type t into m's header (user goes in Source/LocName for md5). */
MCX_WUR enum mcx_err dm_auth_cred_set(struct dm_msg *m, enum dm_auth_type t, const char *user,
				      const char *pwd, const struct dm_nonce *nonce);

/* --- the server side of a received header --- */

struct dm_auth_policy {
	enum dm_auth_type want;		/* what we challenge with (MD5 normally) */
	bool tls;			/* the transport is TLS: auth-basic allowed */
	const char *user;		/* the account's user name (AAuthName) */
	const char *pwd;		/* its secret (AAuthSecret) */
	const struct dm_nonce *nonce;	/* the nonce we issued to that client */
};

/* Check the Cred of a received header against p: MCX_OK when the
 * credentials are right; MCX_ENOENT none sent; MCX_EPERM auth-basic
 * without TLS; MCX_EAUTH wrong; MCX_EINVAL malformed. */
MCX_WUR enum mcx_err dm_auth_check(const struct dm_hdr *h, const struct dm_auth_policy *p);
/* The SyncHdr Status for that outcome: 212 OK, 407 no credentials, 401
 * otherwise (auth-basic over plain HTTP is refused with 401). */
unsigned dm_auth_status(enum mcx_err check);
/* Add a Chal (Type, Format b64, NextNonce = b64 of next) to a Status. */
MCX_WUR enum mcx_err dm_auth_chal_set(struct dm_msg *m, struct dm_cmd *status, enum dm_auth_type t,
				      const struct dm_nonce *next);

/* --- HMAC (x-syncml-hmac) --- */

struct dm_hmac_hdr {
	struct pl algorithm;	/* "MD5" when absent */
	struct pl username;
	struct pl mac;
};

/* mac = B64(MD5(B64(MD5(user ":" pwd)) ":" nonce ":" B64(MD5(body)))). */
MCX_WUR enum mcx_err dm_hmac_mac(const char *user, const char *pwd, const struct dm_nonce *nonce,
				 const void *body, size_t len, char out[DM_B64_MD5_LEN]);
/* The header value: algorithm=MD5, username="user", mac=... */
MCX_WUR enum mcx_err dm_hmac_build(const char *user, const char *pwd, const struct dm_nonce *nonce,
				   const void *body, size_t len, struct mcx_buf *out);
/* Parse a header value (views into v); MCX_EINVAL when malformed. */
MCX_WUR enum mcx_err dm_hmac_parse(const char *v, size_t n, struct dm_hmac_hdr *h);
/* Parse and check against the account: MCX_OK, MCX_EAUTH (wrong user or
 * mac, or an algorithm other than MD5), MCX_EINVAL. */
MCX_WUR enum mcx_err dm_hmac_verify(const char *v, size_t n, const char *user, const char *pwd,
				    const struct dm_nonce *nonce, const void *body, size_t len);

#endif
