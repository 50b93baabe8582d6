/* Request authentication: Digest against the account store, or an identity
 * asserted by a trusted proxy. Decided before anything else in a request. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_MODULE "auth"
#include "core/log.h"
#include "core/mem.h"
#include "core/crypto.h"
#include "http/auth.h"
#include "http/digest.h"

#define META_KEY "digest-nonce-key"

enum mcx_err auth_init(struct auth_conf *c, struct mcx_store *st)
{
	char *val = NULL;
	size_t len = 0;
	enum mcx_err err;

	err = store_meta_get(st, META_KEY, &val, &len);
	if (!err && len == sizeof(c->key)) {
		memcpy(c->key, val, len);
		mcx_free(val);
		return MCX_OK;
	}
	mcx_free(val);
	if (err && err != MCX_ENOENT)
		return err;
	err = crypto_random(c->key, sizeof(c->key));
	if (!err)
		err = store_meta_put(st, META_KEY, c->key, sizeof(c->key));
	return err;
}

void auth_out_free(struct auth_out *out)
{
	int i;

	for (i = 0; i < out->nchallenge; i++)
		buf_reset(&out->challenge[i]);
	out->nchallenge = 0;
}

bool auth_peer_trusted(const char *list, const struct sockaddr *peer)
{
	char addr[INET6_ADDRSTRLEN];
	const char *p = list;
	size_t al;

	if (!list || !peer)
		return false;
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, addr, sizeof(addr));
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr, addr, sizeof(addr));
	else
		return false;
	al = strlen(addr);
	while (*p) {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, " ,");
		if (n == al && !memcmp(p, addr, n))
			return true;
		p += n;
	}
	return false;
}

bool auth_clean_identity(const char *in, char *out, size_t outlen)
{
	const char *b = in, *e;
	size_t n;

	if (!in)
		return false;
	e = strchr(b, '<');
	if (e) {
		b = e + 1;
		e = strchr(b, '>');
		if (!e)
			return false;
	} else {
		while (*b == ' ' || *b == '"')
			b++;
		e = b + strlen(b);
		while (e > b && (e[-1] == ' ' || e[-1] == '"'))
			e--;
	}
	n = (size_t)(e - b);
	if (!n || n >= outlen || memchr(b, ' ', n) || memchr(b, '"', n))
		return false;
	if (strncmp(b, "sip:", 4) && strncmp(b, "sips:", 5) && strncmp(b, "tel:", 4))
		return false;
	memcpy(out, b, n);
	out[n] = '\0';
	return true;
}

/* Realm for a challenge: the domain of the users tree in the URI. */
static void realm_for(const struct auth_conf *c, const char *xui, char *out, size_t len)
{
	const char *at = xui ? strrchr(xui, '@') : NULL;

	if (at && at[1] && (!strncmp(xui, "sip:", 4) || !strncmp(xui, "sips:", 5))) {
		snprintf(out, len, "%s", at + 1);
		out[strcspn(out, ";?%/")] = '\0';
	} else {
		snprintf(out, len, "%s", c->realm);
	}
}

static int challenge(const struct auth_conf *c, const struct auth_in *in, bool stale,
		     struct auth_out *out)
{
	char realm[DIGEST_REALM_MAX], nonce[DIGEST_NONCE_MAX];
	int i;

	realm_for(c, in->uri_xui, realm, sizeof(realm));
	if (digest_nonce_make(c->key, sizeof(c->key), realm, (int64_t)time(NULL), nonce))
		return 401;
	for (i = 0; i < DIGEST_OFFER_N; i++) {
		buf_init(&out->challenge[i], 1024);
		out->nchallenge = i + 1;
		if (digest_challenge(&out->challenge[i], digest_offer[i], realm, nonce, "mcx", stale))
			break;
	}
	if ((c->jwks || c->jwks_fn) && out->nchallenge < AUTH_CHALLENGES_MAX) {
		struct mcx_buf *b = &out->challenge[out->nchallenge++];

		buf_init(b, 1024);
		enum mcx_err err = buf_addf(b, "Bearer realm=\"%s\"", realm);

		if (!err && out->bearer_error)
			err = buf_addf(b, ", error=\"%s\", error_description=\"%s\"", out->bearer_error,
				       out->why ? out->why : "refused");
		if (err)
			log_warn("challenge: %s", mcx_strerror(err));
	}
	return 401;
}

static const char *ha1_of(const struct store_user *u, enum mcx_hash alg, bool full)
{
	if (alg == MCX_HASH_MD5)
		return full ? u->ha1_md5_full : u->ha1_md5_short;
	return full ? u->ha1_sha256_full : u->ha1_sha256_short;
}

static int digest(const struct auth_conf *c, struct mcx_store *st, const struct auth_in *in,
		  struct auth_out *out)
{
	struct digest_params *p = mcx_malloc(sizeof(*p));
	struct store_user *u = NULL;
	char user[AUTH_XUI_MAX], realm[DIGEST_REALM_MAX];
	enum mcx_hash alg;
	enum digest_nonce_state ns;
	int rc = 401;

	if (!p)
		return challenge(c, in, false, out);
	if (digest_parse(in->authorization, strlen(in->authorization), in->target,
			 in->target_len, p)) {
		out->why = "malformed Digest credentials";
		goto out;
	}
	if (digest_params_check(p, &alg) != DIGEST_CHECK_OK) {
		out->why = "unsupported Digest parameters";
		goto out;
	}
	if (!digest_uri_matches(p, in->target, in->target_len)) {
		out->why = "Digest uri does not match the request";
		goto out;
	}
	if (p->username.l >= sizeof(user) || p->realm.l >= sizeof(realm)) {
		out->why = "Digest username or realm too long";
		goto out;
	}
	snprintf(user, sizeof(user), "%.*s", (int)p->username.l, p->username.p);
	snprintf(realm, sizeof(realm), "%.*s", (int)p->realm.l, p->realm.p);
	ns = digest_nonce_check(c->key, sizeof(c->key), realm, p->nonce, (int64_t)time(NULL),
				(uint32_t)c->nonce_lifetime);
	if (ns != DIGEST_NONCE_OK) {
		out->why = ns == DIGEST_NONCE_STALE ? "stale nonce" : "nonce not issued here";
		mcx_free(p);
		return ns == DIGEST_NONCE_STALE ? challenge(c, in, true, out) : challenge(c, in, false, out);
	}
	if (store_user_find(st, user, realm, &u)) {
		out->why = "unknown user";
		goto out;
	}
	if (!digest_response_ok(p, in->method, alg, ha1_of(u, alg, strchr(user, '@') != NULL))) {
		out->why = "wrong password";
		goto out;
	}
	snprintf(out->xui, sizeof(out->xui), "%s", u->xui);
	out->admin = (u->roles & STORE_ROLE_ADMIN) != 0;
	rc = 0;
out:
	if (u)
		store_user_free(u);
	mcx_free(p);
	return rc ? challenge(c, in, false, out) : 0;
}

static void set_admin(struct mcx_store *st, struct auth_out *out)
{
	struct store_user *u = NULL;

	if (!store_user_get(st, out->xui, &u)) {
		out->admin = (u->roles & STORE_ROLE_ADMIN) != 0;
		store_user_free(u);
	}
}

enum mcx_err auth_token(const struct auth_conf *c, struct mcx_store *st, const char *tok,
			size_t len, struct auth_out *out, int64_t *expp)
{
	struct jwt_claims cl;
	struct jwt_expect ex;
	enum jwt_result r;
	const struct jwks *ks = c->jwks_fn ? c->jwks_fn(c->jwks_arg) :
				__atomic_load_n(&c->jwks, __ATOMIC_ACQUIRE);

	if (!ks) {
		out->why = "access tokens are not configured (jwks-file, jwks-url)";
		return MCX_EAUTH;
	}
	memset(&ex, 0, sizeof(ex));
	ex.iss = c->token_issuer && *c->token_issuer ? c->token_issuer : NULL;
	ex.aud = c->token_audience && *c->token_audience ? c->token_audience : NULL;
	ex.now = (int64_t)time(NULL);
	ex.skew = c->token_skew;
	r = jwt_verify(ks, tok, len, &ex, &cl);
	if (r == JWT_OK && c->revoked_fn && c->revoked_fn(c->jwks_arg, cl.jti)) {
		out->why = "the token was revoked";
		return MCX_EAUTH;
	}
	if (r != JWT_OK) {
		out->why = jwt_result_str(r);
		return MCX_EAUTH;
	}
	snprintf(out->xui, sizeof(out->xui), "%s", cl.mcptt_id);
	snprintf(out->scopes, sizeof(out->scopes), "%s", cl.scope);
	out->token = true;
	set_admin(st, out);
	if (expp)
		*expp = cl.exp;
	return MCX_OK;
}

/* RFC 6750 Bearer with a TS 33.180 access token. */
static int bearer(const struct auth_conf *c, struct mcx_store *st, const struct auth_in *in,
		  struct auth_out *out)
{
	const char *tok = in->authorization + 7;

	while (*tok == ' ')
		tok++;
	if (auth_token(c, st, tok, strlen(tok), out, NULL)) {
		out->bearer_error = "invalid_token";
		return challenge(c, in, false, out);
	}
	return 0;
}

int auth_check(const struct auth_conf *c, struct mcx_store *st, const struct auth_in *in,
	       struct auth_out *out)
{
	out->xui[0] = '\0';
	out->admin = false;
	out->token = false;
	out->scopes[0] = '\0';
	out->bearer_error = NULL;
	out->why = NULL;
	if (in->asserted) {
		if (auth_peer_trusted(c->trusted_proxies, in->peer)) {
			if (!auth_clean_identity(in->asserted, out->xui, sizeof(out->xui))) {
				out->why = "malformed X-3GPP-Asserted-Identity";
				return challenge(c, in, false, out);
			}
			set_admin(st, out);
			return 0;
		}
		log_debug("X-3GPP-Asserted-Identity from an untrusted peer ignored");
	}
	if (in->authorization && !strncasecmp(in->authorization, "Digest ", 7))
		return digest(c, st, in, out);
	if (in->authorization && !strncasecmp(in->authorization, "Bearer ", 7))
		return bearer(c, st, in, out);
	out->why = in->authorization ? "unsupported authorization scheme" : "no credentials";
	return challenge(c, in, false, out);
}
