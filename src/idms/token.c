/* The token endpoint (RFC 6749 §4.1.3, §6; RFC 7636 §4.6): the authorization_code grant with PKCE and replay revocation, and refresh-token rotation with reuse detection. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define LOG_MODULE "idms"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/jwt.h"
#include "idms/idms_int.h"
#include "core/banned.h"

/* What a successful grant hands out. */
struct issued {
	char refresh[IDMS_SECRET_B64];
	char refresh_hash[IDMS_HASH_HEX];
	char jti[IDMS_ID_B64];
	char family[IDMS_ID_B64];
	char scope[SCOPE_TEXT_MAX];
	int64_t now;
};

static enum mcx_err issued_init(struct issued *is, int64_t now)
{
	enum mcx_err err;

	memset(is, 0, sizeof(*is));
	is->now = now;
	err = secret_new(is->refresh, is->refresh_hash);
	if (!err)
		err = id_new(is->jti);
	if (!err)
		err = id_new(is->family);
	return err;
}

static void refused(struct idms *i, const struct idms_request *rq, struct idms_response *rs,
		    const char *event, const char *client_id, const char *user, const char *error,
		    const char *desc)
{
	audit(i, rq, event, "refused", client_id, user, desc);
	resp_oauth_error(rs, 400, error, desc);
}

/* The JSON token response (RFC 6749 §5.1) with both JWTs minted. */
static void respond(struct idms *i, struct idms_response *rs, const struct issued *is,
		    const struct idms_mint *m)
{
	struct mcx_buf at, idt;
	enum mcx_err err;
	json_t *j = NULL;
	char *text = NULL;

	buf_init(&at, JWT_MAX_LEN);
	buf_init(&idt, JWT_MAX_LEN);
	err = mint_access(i, m, &at);
	if (!err)
		err = mint_id(i, m, &idt);
	if (!err)
		j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "access_token", at.p,
			      "token_type", "Bearer", "expires_in", (json_int_t)i->conf.access_ttl,
			      "refresh_token", is->refresh, "id_token", idt.p, "scope", is->scope);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	buf_reset(&at);
	buf_reset(&idt);
	if (!text) {
		resp_fail(rs, err ? err : MCX_ENOMEM);
		return;
	}
	resp_json(rs, 200, text);
	rs->no_store = true;
	free(text);
}

static bool verifier_ok(const char *verifier, const char *challenge)
{
	size_t n = strlen(verifier), k;
	char b64[IDMS_SECRET_B64];
	uint8_t md[32];

	if (n < IDMS_VERIFIER_MIN || n > IDMS_VERIFIER_MAX)
		return false;
	for (k = 0; k < n; k++) {
		char c = verifier[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~'))
			return false;
	}
	crypto_hash(MCX_HASH_SHA256, verifier, n, md);
	b64url_encode(md, sizeof(md), b64);
	return strlen(challenge) == strlen(b64) && crypto_eq(b64, challenge, strlen(b64));
}

/* A replayed code: revoke what its first exchange issued (RFC 6749 §4.1.2). */
static void replayed(struct idms *i, const struct idms_code *c, int64_t now)
{
	if (db_family_revoke(&i->db, c->family, now) || db_access_revoke(&i->db, c->jti, c->access_exp))
		log_err("code replay: revoking the tokens of the first exchange failed");
}

/* The checks on a consumed code; the refusal text or NULL. */
static const char *code_mismatch(const struct idms_code *c, const char *client_id,
				 const char *redirect_uri, const char *verifier)
{
	if (strcmp(c->client_id, client_id))
		return "code was issued to another client";
	if (strcmp(c->redirect_uri, redirect_uri))
		return "redirect_uri differs from the authorization request";
	if (!verifier_ok(verifier, c->challenge))
		return "code_verifier does not match the code_challenge";
	return NULL;
}

/* Store the grant and answer with the tokens for a consumed, checked code. */
static void code_tokens(struct idms *i, const struct idms_request *rq, struct idms_response *rs,
			const struct idms_code *c, struct issued *is)
{
	struct idms_grant g;
	struct idms_mint m = { .xui = c->xui, .client_id = c->client_id, .scope = is->scope,
			       .nonce = c->nonce, .jti = is->jti, .auth_time = c->auth_time,
			       .now = is->now };
	struct store_user *u = NULL;
	enum mcx_err err;

	if (store_user_get(i->st, c->xui, &u)) {
		refused(i, rq, rs, "token", c->client_id, c->xui, "invalid_grant", "account is gone");
		return;
	}
	store_user_free(u);
	memset(&g, 0, sizeof(g));
	scope_text(c->scopes, is->scope, sizeof(is->scope));
	memcpy(g.family, is->family, sizeof(g.family));
	snprintf(g.client_id, sizeof(g.client_id), "%s", c->client_id);
	snprintf(g.sub, sizeof(g.sub), "%s", c->xui);
	memcpy(g.scope, is->scope, sizeof(g.scope));
	g.auth_time = c->auth_time;
	err = db_grant_new(&i->db, &g, is->refresh_hash, is->now + i->conf.refresh_ttl, is->jti,
			   is->now + i->conf.access_ttl, is->now);
	if (err) {
		resp_fail(rs, err);
		return;
	}
	audit(i, rq, "token", "granted", c->client_id, c->xui, is->scope);
	respond(i, rs, is, &m);
}

static void code_grant(struct idms *i, const struct idms_request *rq, const struct idms_form *f,
		       const char *client_id, struct idms_response *rs)
{
	const char *code = form_get(f, "code"), *redirect_uri = form_get(f, "redirect_uri");
	const char *verifier = form_get(f, "code_verifier"), *bad;
	enum code_result res;
	struct idms_code c;
	struct issued is;
	enum mcx_err err;

	if (!code || !redirect_uri || !verifier) {
		refused(i, rq, rs, "token", client_id, NULL, "invalid_request",
			"code, redirect_uri and code_verifier are required");
		return;
	}
	err = issued_init(&is, idms_now(i));
	res = err ? CODE_UNKNOWN : codes_take(&i->codes, code, is.now, is.family, is.jti,
					       is.now + i->conf.access_ttl, &c, &err);
	if (err) {
		resp_fail(rs, err);
		return;
	}
	if (res == CODE_REPLAYED) {
		replayed(i, &c, is.now);
		refused(i, rq, rs, "token", client_id, c.xui, "invalid_grant",
			"code already used: the tokens issued for it are revoked");
	} else if (res != CODE_OK) {
		refused(i, rq, rs, "token", client_id, NULL, "invalid_grant",
			res == CODE_EXPIRED ? "code expired" : "unknown code");
	} else if ((bad = code_mismatch(&c, client_id, redirect_uri, verifier))) {
		refused(i, rq, rs, "token", client_id, c.xui, "invalid_grant", bad);
	} else {
		code_tokens(i, rq, rs, &c, &is);
	}
	code_clear(&c);
}

/* The access token's scope after a refresh: the grant's, less what the
 * account lost, narrowed to the request's scope parameter if any. */
static enum mcx_err refresh_scope(struct idms *i, const struct idms_grant *g, const char *req,
				  struct store_user *u, char *out, size_t outlen)
{
	unsigned mask = 0, allowed = 0, want = ~0u, unknown;
	enum mcx_err err;

	if (scope_parse(g->scope, &mask, &unknown))
		mask = SCOPE_OPENID;
	err = scope_allowed(i, u, &allowed);
	if (!err && req && scope_parse(req, &want, &unknown))
		want = SCOPE_OPENID;
	if (!err)
		scope_text((mask & allowed & want) | SCOPE_OPENID, out, outlen);
	return err;
}

static const char *refresh_why(enum refresh_result r)
{
	switch (r) {
	case REFRESH_EXPIRED: return "refresh token expired";
	case REFRESH_REUSED: return "refresh token reused after rotation: its family is revoked";
	case REFRESH_REVOKED: return "refresh token revoked";
	case REFRESH_WRONG_CLIENT: return "refresh token was issued to another client";
	default: return "unknown refresh token";
	}
}

static void refresh_tokens(struct idms *i, const struct idms_request *rq, struct idms_response *rs,
			   const struct idms_grant *g, const char *req_scope, struct issued *is)
{
	struct idms_mint m = { .xui = g->sub, .client_id = g->client_id, .scope = is->scope,
			       .jti = is->jti, .auth_time = g->auth_time, .now = is->now };
	struct store_user *u = NULL;
	enum mcx_err err;

	err = store_user_get(i->st, g->sub, &u);
	if (err == MCX_ENOENT) {
		if (db_family_revoke(&i->db, g->family, is->now))
			log_err("revoking the tokens of a deleted account failed");
		refused(i, rq, rs, "refresh", g->client_id, g->sub, "invalid_grant", "account is gone");
		return;
	}
	if (!err)
		err = refresh_scope(i, g, req_scope, u, is->scope, sizeof(is->scope));
	store_user_free(u);
	if (err) {
		resp_fail(rs, err);
		return;
	}
	audit(i, rq, "refresh", "rotated", g->client_id, g->sub, is->scope);
	respond(i, rs, is, &m);
}

static void refresh_grant(struct idms *i, const struct idms_request *rq, const struct idms_form *f,
			  const char *client_id, struct idms_response *rs)
{
	const char *token = form_get(f, "refresh_token");
	char hash[IDMS_HASH_HEX];
	enum refresh_result res;
	struct idms_grant g;
	struct issued is;
	enum mcx_err err;

	if (!token) {
		refused(i, rq, rs, "refresh", client_id, NULL, "invalid_request",
			"refresh_token is required");
		return;
	}
	secret_hash(token, hash);
	err = issued_init(&is, idms_now(i));
	if (!err)
		err = db_refresh_rotate(&i->db, hash, client_id, is.refresh_hash,
					is.now + i->conf.refresh_ttl, is.jti,
					is.now + i->conf.access_ttl, is.now, &g, &res);
	if (err) {
		resp_fail(rs, err);
		return;
	}
	if (res == REFRESH_REUSED)
		audit(i, rq, "refresh", "reuse detected", client_id, g.sub, "family revoked");
	if (res != REFRESH_OK) {
		refused(i, rq, rs, "refresh", client_id, g.sub[0] ? g.sub : NULL, "invalid_grant",
			refresh_why(res));
		return;
	}
	refresh_tokens(i, rq, rs, &g, form_get(f, "scope"), &is);
}

void token_endpoint(struct idms *i, const struct idms_request *rq, struct idms_response *rs)
{
	struct idms_client client = { 0 };
	const char *why = "", *grant, *client_id;
	struct idms_form f;
	enum mcx_err err;

	if (!is_form(rq)) {
		refused(i, rq, rs, "token", NULL, NULL, "invalid_request",
			"the body must be application/x-www-form-urlencoded");
		return;
	}
	err = form_parse(&f, rq->body, rq->body ? rq->body_len : 0, &why);
	if (err) {
		if (err == MCX_ENOMEM)
			resp_fail(rs, err);
		else
			refused(i, rq, rs, "token", NULL, NULL, "invalid_request", why);
		return;
	}
	grant = form_get(&f, "grant_type");
	client_id = form_get(&f, "client_id");
	err = client_id ? client_lookup(i, client_id, &client) : MCX_ENOENT;
	client_free(&client);
	if (!grant)
		refused(i, rq, rs, "token", client_id, NULL, "invalid_request", "grant_type is required");
	else if (err == MCX_ENOMEM)
		resp_fail(rs, err);
	else if (err)
		refused(i, rq, rs, "token", client_id, NULL, "invalid_client",
			client_id ? "unknown client" : "client_id is required");
	else if (!strcmp(grant, "authorization_code"))
		code_grant(i, rq, &f, client_id, rs);
	else if (!strcmp(grant, "refresh_token"))
		refresh_grant(i, rq, &f, client_id, rs);
	else
		refused(i, rq, rs, "token", client_id, NULL, "unsupported_grant_type",
			"grant_type must be authorization_code or refresh_token");
	form_free(&f);
}
