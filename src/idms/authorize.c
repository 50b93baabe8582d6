/* The authorization endpoint (OIDC Core §3.1.2, RFC 7636, RFC 8252): request checks, the login page, password login with throttling, and code issuance. */
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define CHALLENGE_LEN 43  /* base64url of a SHA-256 */

/* A checked authorization request: views into the form, and the client. */
struct authz {
	struct idms_form form;
	struct idms_client client;
	const char *client_id, *redirect_uri, *state, *nonce, *challenge;
	unsigned scopes;      /* requested and known */
};

enum authz_result { AUTHZ_OK, AUTHZ_ANSWERED };

static void authz_free(struct authz *a)
{
	form_free(&a->form);
	client_free(&a->client);
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static enum mcx_err add_encoded(struct mcx_buf *b, const char *s)
{
	enum mcx_err err = MCX_OK;

	for (; !err && *s; s++)
		err = unreserved((unsigned char)*s) ? buf_add(b, s, 1)
						    : buf_addf(b, "%%%02X", (unsigned char)*s);
	return err;
}

/* 302 to uri with the name/value pairs (NULL values skipped) in the query. */
static void redirect(struct idms_response *rs, const char *uri, const char *const *kv, size_t n)
{
	struct mcx_buf b;
	enum mcx_err err;
	char sep = strchr(uri, '?') ? '&' : '?';
	size_t k;

	buf_init(&b, sizeof(rs->location) - 1);
	err = buf_adds(&b, uri);
	for (k = 0; !err && k + 1 < n; k += 2) {
		if (!kv[k + 1])
			continue;
		err = buf_addf(&b, "%c%s=", sep, kv[k]);
		if (!err)
			err = add_encoded(&b, kv[k + 1]);
		sep = '&';
	}
	if (err) {
		buf_reset(&b);
		resp_fail(rs, err);
		return;
	}
	resp_text(rs, 302, "text/plain; charset=utf-8", "");
	memcpy(rs->location, b.p, b.len + 1);
	rs->no_store = true;
	buf_reset(&b);
}

static void error_redirect(struct idms *i, const struct idms_request *rq, struct authz *a,
			   struct idms_response *rs, const char *error, const char *desc)
{
	const char *state = a->state && strlen(a->state) <= IDMS_STATE_MAX ? a->state : NULL;
	const char *kv[] = { "error", error, "error_description", desc, "state", state,
			     "iss", i->conf.issuer };

	audit(i, rq, "authorize", "refused", a->client_id, NULL, desc);
	redirect(rs, a->redirect_uri, kv, sizeof(kv) / sizeof(kv[0]));
}

static void error_page(struct idms *i, const struct idms_request *rq, struct idms_response *rs,
		       const char *client_id, const char *why)
{
	audit(i, rq, "authorize", "refused", client_id, NULL, why);
	page_error(rs, 400, "Sign-in request refused", why);
}

static bool challenge_ok(const char *c)
{
	size_t k;

	if (!c || strlen(c) != CHALLENGE_LEN)
		return false;
	for (k = 0; k < CHALLENGE_LEN; k++)
		if (!unreserved((unsigned char)c[k]) || c[k] == '.' || c[k] == '~')
			return false;
	return true;
}

static const char *refuse(const char **desc, const char *why, const char *error)
{
	*desc = why;
	return error;
}

/* The checks after client and redirect URI are known: the error to redirect
 * with (*desc explains), or NULL. */
static const char *params_check(struct authz *a, const char **desc)
{
	const char *rt = form_get(&a->form, "response_type");
	const char *scope = form_get(&a->form, "scope");
	const char *method = form_get(&a->form, "code_challenge_method");
	const char *prompt = form_get(&a->form, "prompt");
	unsigned unknown = 0;

	*desc = NULL;
	if (a->state && strlen(a->state) > IDMS_STATE_MAX)
		return refuse(desc, "state too long", "invalid_request");
	if (form_get(&a->form, "request"))
		return "request_not_supported";
	if (form_get(&a->form, "request_uri"))
		return "request_uri_not_supported";
	if (!rt)
		return refuse(desc, "response_type is required", "invalid_request");
	if (strcmp(rt, "code"))
		return refuse(desc, "only response_type=code is supported", "unsupported_response_type");
	if (!a->state)
		return refuse(desc, "state is required", "invalid_request");
	if (!scope || scope_parse(scope, &a->scopes, &unknown) || !(a->scopes & SCOPE_OPENID))
		return refuse(desc, "scope must be a valid list that includes openid", "invalid_scope");
	if (!a->challenge)
		return refuse(desc, "code_challenge is required (PKCE, S256)", "invalid_request");
	if (!method || strcmp(method, "S256"))
		return refuse(desc, "code_challenge_method must be S256", "invalid_request");
	if (!challenge_ok(a->challenge))
		return refuse(desc, "code_challenge must be a base64url SHA-256", "invalid_request");
	if (a->nonce && strlen(a->nonce) > IDMS_NONCE_MAX)
		return refuse(desc, "nonce too long", "invalid_request");
	if (prompt && strstr(prompt, "none"))
		return refuse(desc, "no session: the user must log in", "login_required");
	return NULL;
}

/* Parse and check an authorization request from text[0..len) (a query or a
 * form body). On AUTHZ_ANSWERED rs holds the error page or redirect. */
static enum authz_result authz_check(struct idms *i, const struct idms_request *rq,
				     const char *text, size_t len, struct authz *a,
				     struct idms_response *rs)
{
	const char *why = "", *error, *desc;
	enum mcx_err err;

	memset(a, 0, sizeof(*a));
	err = form_parse(&a->form, text, len, &why);
	if (err == MCX_ENOMEM) {
		resp_fail(rs, err);
		return AUTHZ_ANSWERED;
	}
	if (err) {
		error_page(i, rq, rs, NULL, why);
		return AUTHZ_ANSWERED;
	}
	a->client_id = form_get(&a->form, "client_id");
	a->redirect_uri = form_get(&a->form, "redirect_uri");
	a->state = form_get(&a->form, "state");
	a->nonce = form_get(&a->form, "nonce");
	a->challenge = form_get(&a->form, "code_challenge");
	err = a->client_id ? client_lookup(i, a->client_id, &a->client) : MCX_ENOENT;
	if (err == MCX_ENOMEM) {
		resp_fail(rs, err);
		return AUTHZ_ANSWERED;
	}
	if (err) {
		error_page(i, rq, rs, a->client_id, a->client_id ? "unknown client" :
			   "client_id is required");
		return AUTHZ_ANSWERED;
	}
	if (!client_redirect_ok(&a->client, a->redirect_uri)) {
		error_page(i, rq, rs, a->client_id, a->redirect_uri ?
			   "redirect_uri is not registered for this client" : "redirect_uri is required");
		return AUTHZ_ANSWERED;
	}
	error = params_check(a, &desc);
	if (error) {
		error_redirect(i, rq, a, rs, error, desc ? desc : error);
		return AUTHZ_ANSWERED;
	}
	return AUTHZ_OK;
}

static void login_page(struct idms *i, struct idms_response *rs, int status, struct authz *a,
		       const char *username, const char *alert)
{
	struct login_page lp = { .client_id = a->client_id, .scopes = a->scopes,
				 .params = &a->form, .username = username, .alert = alert };

	page_login(i, rs, status, &lp);
}

void authorize_get(struct idms *i, const struct idms_request *rq, struct idms_response *rs)
{
	const char *q = rq->query ? rq->query : "";
	struct authz a;

	if (authz_check(i, rq, q, strlen(q), &a, rs) == AUTHZ_OK)
		login_page(i, rs, 200, &a, form_get(&a.form, "login_hint"), NULL);
	authz_free(&a);
}

/* ---- login ---- */

struct find_name {
	const char *name;
	char *xui;
	int n;
	bool oom;
};

static int name_match(const struct store_user *u, void *arg)
{
	struct find_name *f = arg;

	if (strcmp(u->name, f->name))
		return 0;
	if (++f->n == 1) {
		f->xui = mcx_strdup(u->xui);
		f->oom = !f->xui;
	}
	return f->n > 1;
}

/* The account for what the user typed: an XUI, "name@domain", or a name
 * that exists in one domain only. *up = NULL when there is none. */
static enum mcx_err user_resolve(struct idms *i, const char *typed, struct store_user **up)
{
	struct find_name f = { .name = typed };
	const char *at = strrchr(typed, '@');
	enum mcx_err err;

	*up = NULL;
	if (!strncmp(typed, "sip:", 4) || !strncmp(typed, "sips:", 5) || !strncmp(typed, "tel:", 4))
		err = store_user_get(i->st, typed, up);
	else if (at)
		err = store_user_find(i->st, typed, at + 1, up);
	else {
		err = store_user_list(i->st, name_match, &f);
		if (!err && f.oom)
			err = MCX_ENOMEM;
		if (!err)
			err = f.n == 1 ? store_user_get(i->st, f.xui, up) : MCX_ENOENT;
		mcx_free(f.xui);
	}
	if (!err && strlen((*up)->xui) > IDMS_USERNAME_MAX) {
		store_user_free(*up);
		*up = NULL;
	}
	return err == MCX_ENOENT || err == MCX_EINVAL ? MCX_OK : err;
}

static void locked_page(struct idms *i, struct idms_response *rs, struct authz *a,
			const char *username, int64_t secs)
{
	char text[200];

	snprintf(text, sizeof(text), "Too many failed sign-in attempts: this account is locked. "
		 "Try again in %lld minute(s).", (long long)((secs + 59) / 60));
	login_page(i, rs, 429, a, username, text);
	resp_header(rs, "Retry-After", "60");
}

/* Issue the code and redirect; the user has authenticated. */
static void issue_code(struct idms *i, const struct idms_request *rq, struct authz *a,
		       const struct store_user *u, struct idms_response *rs)
{
	struct idms_code c = { 0 };
	char code[IDMS_SECRET_B64], granted[SCOPE_TEXT_MAX];
	const char *kv[] = { "code", code, "state", a->state, "iss", i->conf.issuer };
	unsigned allowed = SCOPE_OPENID;
	int64_t now = idms_now(i);
	enum mcx_err err;

	err = scope_allowed(i, u, &allowed);
	c.client_id = (char *)a->client_id;
	c.redirect_uri = (char *)a->redirect_uri;
	c.challenge = (char *)a->challenge;
	c.nonce = (char *)a->nonce;
	c.xui = u->xui;
	c.scopes = (a->scopes & allowed) | SCOPE_OPENID;
	c.auth_time = now;
	c.exp = now + i->conf.code_ttl;
	if (!err)
		err = codes_add(&i->codes, &c, now, code);
	if (err) {
		audit(i, rq, "code", "error", a->client_id, u->xui, mcx_strerror(err));
		resp_fail(rs, err);
		return;
	}
	scope_text(c.scopes, granted, sizeof(granted));
	audit(i, rq, "code", "issued", a->client_id, u->xui, granted);
	redirect(rs, a->redirect_uri, kv, sizeof(kv) / sizeof(kv[0]));
}

/* Count a failed login; show the page again (locked or wrong credentials). */
static void login_failed(struct idms *i, const struct idms_request *rq, struct authz *a,
			 const char *account, const char *username, struct idms_response *rs)
{
	int64_t locked = throttle_fail(&i->thr, account, rq->peer, idms_now(i),
				       i->conf.max_failures, i->conf.lockout);

	audit(i, rq, "login", "failed", a->client_id, account, "wrong credentials");
	if (locked) {
		audit(i, rq, "login", "locked", a->client_id, account, "too many failures");
		locked_page(i, rs, a, username, locked);
		return;
	}
	login_page(i, rs, 200, a, username, "Wrong MCPTT ID or password.");
}

static void login(struct idms *i, const struct idms_request *rq, struct authz *a,
		  struct idms_response *rs)
{
	const char *username = form_get(&a->form, "username");
	const char *password = form_get(&a->form, "password");
	struct store_user *u = NULL;
	const char *account;
	enum mcx_err err;
	int64_t locked;
	bool rehash;

	if (!username || !password) {
		login_page(i, rs, 200, a, username, "Enter your MCPTT ID and your password.");
		return;
	}
	if (throttle_peer_blocked(&i->thr, rq->peer, idms_now(i))) {
		audit(i, rq, "login", "refused", a->client_id, username, "peer rate limit");
		login_page(i, rs, 429, a, username, "Too many failed sign-in attempts from your "
			   "network address. Try again in a minute.");
		resp_header(rs, "Retry-After", "60");
		return;
	}
	err = strlen(username) > IDMS_USERNAME_MAX ? MCX_OK : user_resolve(i, username, &u);
	if (err) {
		resp_fail(rs, err);
		return;
	}
	account = u ? u->xui : username;
	locked = throttle_locked(&i->thr, account, idms_now(i));
	if (locked) {
		audit(i, rq, "login", "locked", a->client_id, account, "account locked");
		locked_page(i, rs, a, username, locked);
	} else if (!password_login_check(i, u ? u->xui : NULL, password, &rehash)) {
		login_failed(i, rq, a, account, username, rs);
	} else {
		throttle_ok(&i->thr, account);
		audit(i, rq, "login", "ok", a->client_id, u->xui, NULL);
		if (rehash && password_rehash(i, u->xui, password))
			log_warn("password of %s: rehash with the configured cost failed", u->xui);
		issue_code(i, rq, a, u, rs);
	}
	store_user_free(u);
}

void authorize_post(struct idms *i, const struct idms_request *rq, struct idms_response *rs)
{
	struct authz a;

	if (!is_form(rq)) {
		error_page(i, rq, rs, NULL, "the login form must be sent as "
			   "application/x-www-form-urlencoded");
		return;
	}
	if (authz_check(i, rq, rq->body ? rq->body : "", rq->body ? rq->body_len : 0, &a, rs) ==
	    AUTHZ_OK)
		login(i, rq, &a, rs);
	authz_free(&a);
}
