/* The userinfo endpoint (OIDC Core §5.3, RFC 6750 bearer tokens) and token revocation (RFC 7009). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "core/mem.h"
#include "http/jwt.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define OWN_SKEW 5   /* seconds of clock skew for our own tokens (other processes' clocks) */

/* The token of "Bearer <token>" (RFC 6750 §2.1), or NULL. */
static const char *bearer(const char *auth, size_t *len)
{
	const char *t;
	size_t n;

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return NULL;
	t = auth + 7;
	while (*t == ' ')
		t++;
	n = strlen(t);
	while (n && t[n - 1] == ' ')
		n--;
	*len = n;
	return n ? t : NULL;
}

/* Verify one of our access tokens (not an id token: those have no jti and
 * scope) and that it is not revoked. */
static bool access_ok(struct idms *i, const char *tok, size_t len, struct jwt_claims *cl)
{
	struct jwt_expect ex = { .iss = i->conf.issuer, .now = idms_now(i), .skew = OWN_SKEW };
	enum jwt_result r;

	r = jwt_verify(idms_jwks(i), tok, len, &ex, cl);
	if (r) {
		log_debug("userinfo: token refused: %s", jwt_result_str(r));
		return false;
	}
	return cl->jti[0] && cl->scope[0] && !db_access_revoked(&i->db, cl->jti);
}

static void unauthorized(struct idms_response *rs, const char *www)
{
	resp_oauth_error(rs, 401, "invalid_token", NULL);
	snprintf(rs->www_authenticate, sizeof(rs->www_authenticate), "%s", www);
}

static void userinfo_json(struct idms_response *rs, const struct jwt_claims *cl)
{
	json_t *j = json_pack("{s:s, s:s}", "sub", cl->sub, "mcptt_id", cl->mcptt_id);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!text) {
		resp_fail(rs, MCX_ENOMEM);
		return;
	}
	resp_json(rs, 200, text);
	rs->no_store = true;
	free(text);
}

void userinfo_endpoint(struct idms *i, const struct idms_request *rq, struct idms_response *rs)
{
	struct store_user *u = NULL;
	struct jwt_claims cl;
	const char *tok;
	size_t len = 0;

	tok = bearer(rq->authorization, &len);
	if (!tok) {
		unauthorized(rs, "Bearer");
		return;
	}
	if (!access_ok(i, tok, len, &cl)) {
		unauthorized(rs, "Bearer error=\"invalid_token\"");
		return;
	}
	if (!jwt_has_scope(&cl, "openid")) {
		resp_oauth_error(rs, 403, "insufficient_scope", NULL);
		snprintf(rs->www_authenticate, sizeof(rs->www_authenticate),
			 "Bearer error=\"insufficient_scope\", scope=\"openid\"");
		return;
	}
	if (store_user_get(i->st, cl.sub, &u)) {
		unauthorized(rs, "Bearer error=\"invalid_token\"");
		return;
	}
	store_user_free(u);
	userinfo_json(rs, &cl);
}

/* ---- revocation ---- */

/* Revoke token as an access token of ours (if it is one, of client_id). */
static bool revoke_access(struct idms *i, const char *token, const char *client_id)
{
	struct jwt_claims cl;

	if (!access_ok(i, token, strlen(token), &cl))
		return false;
	if (client_id && strcmp(client_id, cl.client_id))
		return false;
	if (db_access_revoke(&i->db, cl.jti, cl.exp)) {
		log_err("revoke: database error");
		return false;
	}
	return true;
}

static bool revoke_refresh(struct idms *i, const char *token, const char *client_id)
{
	char hash[IDMS_HASH_HEX];
	bool found = false;

	secret_hash(token, hash);
	if (db_refresh_revoke(&i->db, hash, client_id, idms_now(i), &found))
		log_err("revoke: database error");
	return found;
}

void revoke_endpoint(struct idms *i, const struct idms_request *rq, struct idms_response *rs)
{
	const char *why = "", *token, *hint, *client_id;
	struct idms_form f;
	enum mcx_err err;
	bool done;

	if (!is_form(rq)) {
		resp_oauth_error(rs, 400, "invalid_request",
				 "the body must be application/x-www-form-urlencoded");
		return;
	}
	err = form_parse(&f, rq->body, rq->body ? rq->body_len : 0, &why);
	if (err) {
		if (err == MCX_ENOMEM)
			resp_fail(rs, err);
		else
			resp_oauth_error(rs, 400, "invalid_request", why);
		return;
	}
	token = form_get(&f, "token");
	hint = form_get(&f, "token_type_hint");
	client_id = form_get(&f, "client_id");
	if (!token) {
		resp_oauth_error(rs, 400, "invalid_request", "token is required");
	} else {
		/* the hint only orders the look-ups (RFC 7009 §2.1) */
		if (hint && !strcmp(hint, "access_token"))
			done = revoke_access(i, token, client_id) || revoke_refresh(i, token, client_id);
		else
			done = revoke_refresh(i, token, client_id) || revoke_access(i, token, client_id);
		audit(i, rq, "revoke", done ? "revoked" : "no such token", client_id, NULL, hint);
		resp_text(rs, 200, "application/json", "");
		rs->no_store = true;
	}
	form_free(&f);
}
