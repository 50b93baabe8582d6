/* Private interface between the IdMS files: every bound as a named constant,
 * the server's state split by noun (keys, clients, codes, throttle, audit,
 * grant database) and the helpers one file offers the others. */
#ifndef MCX_IDMS_IDMS_INT_H
#define MCX_IDMS_IDMS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "idms/idms.h"

/* ---- bounds ---- */
#define IDMS_FORM_MAX          (16 * 1024)  /* bytes of a form body or query string */
#define IDMS_FORM_PARAMS       64           /* parameters in one form */
#define IDMS_FORM_VALUE_MAX    4096         /* bytes of one decoded name or value */
#define IDMS_BODY_MAX          (256 * 1024) /* bytes of a response body */
#define IDMS_URI_MAX           1024         /* bytes of a redirect URI */
#define IDMS_ISSUER_MAX        256          /* bytes of the issuer URL */
#define IDMS_CLIENT_ID_MAX     128
#define IDMS_CLIENT_URIS_MAX   16           /* redirect URIs per client */
#define IDMS_CLIENTS_MAX       64           /* clients in the configuration */
#define IDMS_STATE_MAX         512          /* bytes of the state parameter; with the two
					       above, a redirect always fits its 4 KiB */
#define IDMS_NONCE_MAX         255
#define IDMS_USERNAME_MAX      255          /* MCPTT ID: also the bound of "sub" (TS 33.180) */
#define IDMS_PW_MAX            1024         /* bytes of a password */
#define IDMS_SCOPE_TOKENS_MAX  16
#define IDMS_CODES_MAX         4096         /* authorization codes alive at once */
#define IDMS_THROTTLE_MAX      4096         /* accounts and peers remembered */
#define IDMS_PEER_FAILS_MAX    20           /* failed logins per peer per window */
#define IDMS_PEER_WINDOW       60           /* seconds */
#define IDMS_KEYS_MAX          16           /* keys kept in the manifest */
#define IDMS_KEY_PEM_MAX       (64 * 1024)
#define IDMS_MANIFEST_MAX      (16 * 1024)
#define IDMS_JWKS_OLD_MAX      64           /* superseded key sets kept alive */
#define IDMS_JWKS_HOLD         300          /* seconds a superseded set is kept at least */
#define IDMS_PURGE_EVERY       60           /* seconds between database purges */
#define IDMS_AUDIT_FIELD_MAX   160          /* bytes of one audit value */

/* Random secrets: 256 bits, base64url without padding (43 characters). */
#define IDMS_SECRET_BYTES      32
#define IDMS_SECRET_B64        44           /* 43 + NUL */
#define IDMS_ID_B64            23           /* 128-bit ids (jti, family): 22 + NUL */
#define IDMS_HASH_HEX          65           /* SHA-256 hex + NUL */
#define IDMS_VERIFIER_MIN      43           /* RFC 7636 §4.1 */
#define IDMS_VERIFIER_MAX      128

/* Lifetimes and policy when the configuration says 0. */
#define IDMS_DEF_CODE_TTL      60
#define IDMS_DEF_ACCESS_TTL    3600
#define IDMS_DEF_ID_TTL        3600
#define IDMS_DEF_REFRESH_TTL   (30LL * 24 * 3600)
#define IDMS_DEF_KEY_GRACE     (24LL * 3600)
#define IDMS_DEF_MAX_FAILURES  5
#define IDMS_DEF_LOCKOUT       300

/* argon2id (RFC 9106): 3 passes over 64 MiB, one lane; about 0.3 s on one
 * core of a 2020s server. IDMS_PW_CONCURRENT hashes run at once at most,
 * so logins use at most that many times IDMS_PW_M_KIB of memory. */
#define IDMS_PW_T_COST         3
#define IDMS_PW_M_KIB          (64 * 1024)
#define IDMS_PW_LANES          1
#define IDMS_PW_SALT           16
#define IDMS_PW_HASH           32
#define IDMS_PW_ENCODED_MAX    160
#define IDMS_PW_CONCURRENT     4
#define IDMS_PW_META_PREFIX    "idms-password:"
#define IDMS_CLIENT_META_PREFIX "idms-client:"

#define IDMS_PROFILE_AUID      "org.3gpp.mcptt.user-profile"

/* ---- scopes ---- */
enum idms_scope {
	SCOPE_OPENID = 1u << 0,
	SCOPE_PTT = 1u << 1,
	SCOPE_CMS = 1u << 2,
	SCOPE_GMS = 1u << 3,
	SCOPE_KMS = 1u << 4,
};
#define SCOPE_TEXT_MAX 256

/* ---- form parser (form.c) ---- */
struct idms_form {
	char *buf;                           /* decoded names and values, owned */
	size_t n;
	const char *name[IDMS_FORM_PARAMS];
	const char *value[IDMS_FORM_PARAMS];
};

/* Parse application/x-www-form-urlencoded p[0..len) (also a query string):
 * '&'-separated name=value pairs, '+' is a space, %HH decoded; empty pairs
 * skipped. Refused (MCX_EINVAL, *why says why): a bad %-escape, a decoded
 * NUL, invalid UTF-8, an empty name, a parameter given twice (RFC 6749
 * §3.1). MCX_ELIMIT beyond the IDMS_FORM_* bounds. f is empty on failure. */
MCX_WUR enum mcx_err form_parse(struct idms_form *f, const char *p, size_t len,
				const char **why);
/* The value of name; NULL when absent or empty (RFC 6749 §3.1). Borrowed. */
const char *form_get(const struct idms_form *f, const char *name);
void form_free(struct idms_form *f);

/* ---- clients (clients.c) ---- */
struct idms_client {
	char *id;
	char *uris[IDMS_CLIENT_URIS_MAX];
	size_t nuris;
};

struct idms_clients {
	struct idms_client *c;               /* from the configuration */
	size_t n;
};

MCX_WUR enum mcx_err clients_parse(struct idms_clients *cs, const char *spec,
				   char *errbuf, size_t errlen);
void clients_free(struct idms_clients *cs);
/* A copy of client id (configuration first, then the store) into out;
 * MCX_ENOENT if unknown. Free with client_free. */
MCX_WUR enum mcx_err client_lookup(struct idms *i, const char *id, struct idms_client *out);
void client_free(struct idms_client *c);
/* Exact match, or a loopback IP redirect that differs only in the port
 * (RFC 8252 §7.3). */
bool client_redirect_ok(const struct idms_client *c, const char *uri);
bool client_id_valid(const char *id);
bool redirect_uri_valid(const char *uri);

/* ---- keys (keys.c) ---- */
struct idms_keyent {
	char *kid;
	char alg[8];
	int64_t created;
	int64_t retired;                     /* 0 = current */
	struct jwt_key *key;
};

struct idms_keys {
	pthread_mutex_t lock;
	char *dir;                           /* <data_dir>/idms */
	struct idms_keyent ent[IDMS_KEYS_MAX];
	size_t n;
	int cur;                             /* index of the signing key */
	struct jwks *jwks;                   /* current set */
	char *jwks_json;                     /* its document */
	int64_t jwks_until;                  /* rebuild when now reaches it (grace end) */
	struct {
		struct jwks *ks;
		int64_t since;
	} old[IDMS_JWKS_OLD_MAX];
	size_t nold;
	/* manifest identity at the last load; checked once per clock second */
	unsigned long long m_ino, m_size;
	long long m_sec, m_nsec;
	int64_t checked;
};

MCX_WUR enum mcx_err keys_open(struct idms *i, char *errbuf, size_t errlen);
void keys_close(struct idms_keys *k);
/* Sign claims_json with the current key into out (appends). */
MCX_WUR enum mcx_err keys_sign(struct idms *i, const char *claims_json, struct mcx_buf *out);
/* Append the JWKS document to out. */
MCX_WUR enum mcx_err keys_jwks_json(struct idms *i, struct mcx_buf *out);
const char *keys_alg(struct idms *i);

/* ---- authorization codes, in memory (codes.c) ---- */
struct idms_code {
	uint8_t hash[32];                    /* SHA-256 of the code */
	char *client_id, *redirect_uri, *challenge, *nonce, *xui;
	unsigned scopes;
	int64_t auth_time, exp;
	bool used;
	/* set when exchanged: what a replay revokes */
	char family[IDMS_ID_B64];
	char jti[IDMS_ID_B64];
	int64_t access_exp;
};

struct idms_codes {
	pthread_mutex_t lock;
	struct idms_code *c[IDMS_CODES_MAX];
	size_t n;
};

enum code_result { CODE_OK, CODE_UNKNOWN, CODE_EXPIRED, CODE_REPLAYED };

void codes_init(struct idms_codes *cs);
void codes_free(struct idms_codes *cs);
/* Store a copy of tmpl (hash, used, family, jti ignored) under a new random
 * code written to out. MCX_ELIMIT when IDMS_CODES_MAX live codes exist. */
MCX_WUR enum mcx_err codes_add(struct idms_codes *cs, const struct idms_code *tmpl, int64_t now,
			       char out[IDMS_SECRET_B64]);
/* Consume code. CODE_OK: the code is now used, bound to family/jti/access_exp,
 * and out holds a copy (free with code_clear). CODE_REPLAYED: out->family
 * and out->jti say what the first exchange issued. *err: MCX_ENOMEM only. */
enum code_result codes_take(struct idms_codes *cs, const char *code, int64_t now,
			    const char *family, const char *jti, int64_t access_exp,
			    struct idms_code *out, enum mcx_err *err);
void code_clear(struct idms_code *c);

/* ---- login throttling, in memory (throttle.c) ---- */
struct idms_thr_ent;

struct idms_throttle {
	pthread_mutex_t lock;
	struct idms_thr_ent *e;
	size_t n, cap;
};

void throttle_init(struct idms_throttle *t);
void throttle_free(struct idms_throttle *t);
/* Seconds the account stays locked (0: not locked). */
int64_t throttle_locked(struct idms_throttle *t, const char *account, int64_t now);
bool throttle_peer_blocked(struct idms_throttle *t, const char *peer, int64_t now);
/* Count a failure; returns the seconds of lockout it started (0: none). */
int64_t throttle_fail(struct idms_throttle *t, const char *account, const char *peer, int64_t now,
		      long long max_failures, long long lockout);
void throttle_ok(struct idms_throttle *t, const char *account);

/* ---- audit log (audit.c) ---- */
struct idms_audit {
	pthread_mutex_t lock;
	FILE *f;
	bool own;                            /* f was opened here */
	bool off;
};

MCX_WUR enum mcx_err audit_open(struct idms_audit *a, const char *spec, char *errbuf, size_t errlen);
void audit_close(struct idms_audit *a);
/* One line: time, event, outcome, peer, client_id, user, reason. Values
 * come from requests and are escaped; never pass a secret. */
void audit(struct idms *i, const struct idms_request *rq, const char *event, const char *outcome,
	   const char *client_id, const char *user, const char *reason);

/* ---- grants: refresh tokens, families, access-token ids (grants.c) ---- */
struct idms_db {
	pthread_mutex_t lock;
	sqlite3 *db;
	int64_t purged;
};

struct idms_grant {
	char family[IDMS_ID_B64];
	char client_id[IDMS_CLIENT_ID_MAX + 1];
	char sub[IDMS_USERNAME_MAX + 1];
	char scope[SCOPE_TEXT_MAX];
	int64_t auth_time;
};

enum refresh_result { REFRESH_OK, REFRESH_UNKNOWN, REFRESH_EXPIRED, REFRESH_REUSED,
		      REFRESH_REVOKED, REFRESH_WRONG_CLIENT };

MCX_WUR enum mcx_err db_open(struct idms_db *d, const char *path, char *errbuf, size_t errlen);
void db_close(struct idms_db *d);
/* A new family with its first refresh token (hash: SHA-256 hex) and the
 * access token jti issued with it. */
MCX_WUR enum mcx_err db_grant_new(struct idms_db *d, const struct idms_grant *g, const char *hash,
				  int64_t refresh_exp, const char *jti, int64_t access_exp, int64_t now);
/* Rotate: the token with old_hash becomes dead, new_hash lives in the same
 * family. A dead token presented again revokes the whole family. g gets the
 * grant on REFRESH_OK (and the family on REFRESH_REUSED). */
MCX_WUR enum mcx_err db_refresh_rotate(struct idms_db *d, const char *old_hash, const char *client_id,
				       const char *new_hash, int64_t refresh_exp, const char *jti,
				       int64_t access_exp, int64_t now, struct idms_grant *g,
				       enum refresh_result *res);
/* Revoke a family: its refresh tokens and its access tokens. */
MCX_WUR enum mcx_err db_family_revoke(struct idms_db *d, const char *family, int64_t now);
/* Revoke the family of the refresh token with this hash; *found says if any. */
MCX_WUR enum mcx_err db_refresh_revoke(struct idms_db *d, const char *hash, const char *client_id,
				       int64_t now, bool *found);
MCX_WUR enum mcx_err db_access_revoke(struct idms_db *d, const char *jti, int64_t exp);
bool db_access_revoked(struct idms_db *d, const char *jti);

/* ---- password hashing (password.c) ---- */
/* Check password for xui the way a login does: an unknown account or one
 * without a password costs one hash too. *rehash: the stored hash uses
 * other parameters than the configured ones. */
bool password_login_check(struct idms *i, const char *xui, const char *password, bool *rehash);
MCX_WUR enum mcx_err password_rehash(struct idms *i, const char *xui, const char *password);

/* ---- scopes (scope.c) ---- */
/* Parse a scope parameter: known scopes into *mask, unknown ones dropped
 * (*unknown counts them). MCX_EINVAL for malformed text. */
MCX_WUR enum mcx_err scope_parse(const char *s, unsigned *mask, unsigned *unknown);
/* What the account may have: openid, plus the MCPTT scopes with an MCPTT
 * user profile, plus CMS/GMS for administrators. */
MCX_WUR enum mcx_err scope_allowed(struct idms *i, const struct store_user *u, unsigned *mask);
void scope_text(unsigned mask, char *out, size_t outlen);
const char *scope_name(unsigned bit);
const char *scope_label(unsigned bit);   /* human text for the login page */

/* ---- tokens (mint.c) ---- */
struct idms_mint {
	const char *xui;
	const char *client_id;
	const char *scope;                   /* space-separated */
	const char *nonce;                   /* NULL: none */
	const char *jti;
	int64_t auth_time, now;
};

MCX_WUR enum mcx_err mint_access(struct idms *i, const struct idms_mint *m, struct mcx_buf *out);
MCX_WUR enum mcx_err mint_id(struct idms *i, const struct idms_mint *m, struct mcx_buf *out);
/* A new random 256-bit secret (base64url) and its SHA-256 hex. */
MCX_WUR enum mcx_err secret_new(char out[IDMS_SECRET_B64], char hash[IDMS_HASH_HEX]);
MCX_WUR enum mcx_err id_new(char out[IDMS_ID_B64]);
void secret_hash(const char *secret, char hash[IDMS_HASH_HEX]);

/* ---- the server ---- */
struct idms {
	struct idms_conf conf;               /* strings owned (copied at open) */
	struct mcx_store *st;
	char *dir;                           /* <data_dir>/idms */
	struct idms_keys keys;
	struct idms_clients clients;
	struct idms_codes codes;
	struct idms_throttle thr;
	struct idms_audit aud;
	struct idms_db db;
	pthread_mutex_t pw_lock;
	char *pw_dummy;                      /* an encoded hash for unknown accounts */
};

int64_t idms_now(struct idms *i);

/* Responses (idms.c). Each replaces what rs held. */
void resp_header(struct idms_response *rs, const char *name, const char *value);
void resp_text(struct idms_response *rs, int status, const char *ctype, const char *text);
void resp_json(struct idms_response *rs, int status, const char *json);
void resp_oauth_error(struct idms_response *rs, int status, const char *error, const char *desc);
void resp_fail(struct idms_response *rs, enum mcx_err err);

/* Endpoints. */
void authorize_get(struct idms *i, const struct idms_request *rq, struct idms_response *rs);
void authorize_post(struct idms *i, const struct idms_request *rq, struct idms_response *rs);
void token_endpoint(struct idms *i, const struct idms_request *rq, struct idms_response *rs);
void userinfo_endpoint(struct idms *i, const struct idms_request *rq, struct idms_response *rs);
void revoke_endpoint(struct idms *i, const struct idms_request *rq, struct idms_response *rs);

/* Is the request body a form (Content-Type application/x-www-form-urlencoded)? */
bool is_form(const struct idms_request *rq);

/* ---- HTML pages (page.c) ---- */
struct login_page {
	const char *client_id;
	unsigned scopes;                     /* requested, shown */
	const struct idms_form *params;      /* the OAuth parameters, carried hidden */
	const char *username;                /* prefill, NULL = none */
	const char *alert;                   /* error text, NULL = none */
};

void page_login(struct idms *i, struct idms_response *rs, int status, const struct login_page *lp);
void page_error(struct idms_response *rs, int status, const char *title, const char *text);

#endif
