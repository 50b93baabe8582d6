/* Unit tests: the IdMS (src/idms/) in-process through idms_handle, on a
 * temporary store with three accounts, a fake clock and cheap argon2 costs.
 *
 *   test            IdMS
 *    |-- GET /authorize?...  -->|  checks client, redirect URI, PKCE
 *    |<-- 200 login page -------|
 *    |-- POST /authorize ----->|  hidden params + username + password
 *    |<-- 302 redirect?code&state
 *    |-- POST /token (code, verifier) -->|
 *    |<-- access, id, refresh --|  verified with jwt_verify + idms_jwks()
 *    |-- POST /token (refresh) -->|  rotation; reuse revokes the family
 */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "test.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "http/accounts.h"
#include "http/jwt.h"
#include "idms/idms.h"
#include "idms/idms_int.h"

#define ISS      "http://127.0.0.1:8080/idms"
#define ALICE    "sip:alice@example.org"
#define BOB      "sip:bob@example.org"
#define ADMIN    "sip:admin@example.org"
#define PW       "correct horse battery staple"
#define CMC      "cmc"
#define CMC_CB   "com.example.cmc:/callback"
#define LOOP_CB  "http://127.0.0.1/cb"
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-test-verifier"
#define SCOPE_ALL "openid 3gpp:mcptt:ptt_server 3gpp:mcptt:config_management_server " \
		  "3gpp:mcptt:group_management_server 3gpp:mcptt:key_management_server"
#define GRACE    100

struct fx {
	char dir[64];
	struct mcx_store *st;
	struct idms *i;
	struct idms_conf c;
	int64_t offset;           /* the fake clock: time() + offset */
	const char *peer;
};

static int64_t fx_clock(void *arg)
{
	return (int64_t)time(NULL) + ((struct fx *)arg)->offset;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static enum mcx_err user_add(struct fx *f, const char *xui, unsigned roles, bool profile)
{
	struct store_commit c = { 0 };
	struct store_result r;
	struct store_user u;
	char path[256];
	enum mcx_err err;

	err = account_make(&u, xui, "digest-pw", roles, "example.org");
	if (err)
		return err;
	err = store_user_put(f->st, &u);
	mcx_free(u.xui);
	mcx_free(u.name);
	mcx_free(u.domain);
	if (!err)
		err = idms_password_set_cost(f->st, xui, PW, 1, 8);
	if (err || !profile)
		return err;
	snprintf(path, sizeof(path), "org.3gpp.mcptt.user-profile/users/%s/mcptt-user-profile-0.xml",
		 xui);
	c.path = path;
	c.bytes = "<mcptt-user-profile/>";
	c.len = strlen(c.bytes);
	c.etag = "e1";
	c.author = "test";
	return store_commit(f->st, &c, &r);
}

static void fx_conf(struct fx *f)
{
	memset(&f->c, 0, sizeof(f->c));
	f->c.issuer = ISS;
	f->c.path = "/idms";
	f->c.data_dir = f->dir;
	f->c.audiences = "mcptt-cms mcptt-gms";
	f->c.clients = CMC " " CMC_CB "," LOOP_CB "; other https://other.example.org/cb";
	f->c.max_failures = 3;
	f->c.lockout = 300;
	f->c.key_grace = GRACE;
	f->c.pw_t_cost = 1;
	f->c.pw_m_kib = 8;
	f->c.clock = fx_clock;
	f->c.clock_arg = f;
}

static bool fx_open(struct test_ctx *t, struct fx *f)
{
	struct store_opts so = { 0 };
	char eb[256], audit[96];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mcx-unit-idms-XXXXXX");
	f->peer = "192.0.2.1";
	if (!mkdtemp(f->dir)) {
		test_fail(t, __FILE__, __LINE__, "mkdtemp failed");
		return false;
	}
	so.dir = f->dir;
	so.cache_max = 1 << 20;
	fx_conf(f);
	snprintf(audit, sizeof(audit), "%s/audit.log", f->dir);
	f->c.audit_log = mcx_strdup(audit);
	if (store_open(&f->st, &so, eb, sizeof(eb)) || user_add(f, ALICE, 0, true) ||
	    user_add(f, BOB, 0, false) || user_add(f, ADMIN, STORE_ROLE_ADMIN, false) ||
	    idms_open(&f->i, &f->c, f->st, eb, sizeof(eb))) {
		test_fail(t, __FILE__, __LINE__, "fixture: %s", eb);
		return false;
	}
	return true;
}

static void fx_close(struct fx *f)
{
	idms_close(f->i);
	store_close(f->st);
	mcx_free((char *)f->c.audit_log);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run body on a fresh fixture; the fixture is closed whatever body did. */
#define WITH_FX(name, body) \
	static void name(struct test_ctx *t) \
	{ \
		struct fx f; \
		if (fx_open(t, &f)) \
			body(t, &f); \
		fx_close(&f); \
	}

/* ---- HTTP-ish helpers ---- */

static int call(struct fx *f, const char *method, const char *path, const char *query,
		const char *body, const char *auth, struct idms_response *rs)
{
	struct idms_request rq = { 0 };

	rq.method = method;
	rq.path = path;
	rq.query = query;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.content_type = body ? "application/x-www-form-urlencoded" : NULL;
	rq.authorization = auth;
	rq.peer = f->peer;
	idms_response_init(rs);
	idms_handle(f->i, &rq, rs);
	return rs->status;
}

static void enc(char *out, size_t outlen, const char *s)
{
	size_t o = strlen(out);

	for (; *s && o + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
	}
	out[o] = '\0';
}

/* Append "&name=value" (value percent-encoded) to out. */
static void param(char *out, size_t outlen, const char *name, const char *value)
{
	size_t o = strlen(out);

	snprintf(out + o, outlen - o, "%s%s=", o ? "&" : "", name);
	enc(out, outlen, value);
}

static void challenge_of(const char *verifier, char out[64])
{
	uint8_t md[32];

	crypto_hash(MCX_HASH_SHA256, verifier, strlen(verifier), md);
	b64url_encode(md, sizeof(md), out);
}

struct authz_q {
	const char *client_id, *redirect_uri, *scope, *state, *nonce, *method, *response_type;
	const char *challenge;    /* NULL: S256 of VERIFIER */
};

static void authz_query(const struct authz_q *q, char *out, size_t outlen)
{
	char ch[64];

	challenge_of(VERIFIER, ch);
	out[0] = '\0';
	param(out, outlen, "response_type", q->response_type ? q->response_type : "code");
	param(out, outlen, "client_id", q->client_id ? q->client_id : CMC);
	param(out, outlen, "redirect_uri", q->redirect_uri ? q->redirect_uri : CMC_CB);
	param(out, outlen, "scope", q->scope ? q->scope : SCOPE_ALL);
	param(out, outlen, "state", q->state ? q->state : "st-1 &=?");
	if (q->nonce)
		param(out, outlen, "nonce", q->nonce);
	param(out, outlen, "code_challenge", q->challenge ? q->challenge : ch);
	param(out, outlen, "code_challenge_method", q->method ? q->method : "S256");
}

/* Decode &amp; &lt; &gt; &quot; &apos; in s[0..n) into out. */
static void unxml(const char *s, size_t n, char *out, size_t outlen)
{
	static const char *const ent[][2] = { { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
					      { "&quot;", "\"" }, { "&apos;", "'" } };
	size_t i = 0, o = 0, k;

	while (i < n && o + 1 < outlen) {
		for (k = 0; k < 5; k++)
			if (!strncmp(s + i, ent[k][0], strlen(ent[k][0])))
				break;
		if (k < 5) {
			out[o++] = ent[k][1][0];
			i += strlen(ent[k][0]);
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

/* What a browser submits: the page's hidden inputs plus the credentials. */
static bool form_from_page(const char *html, const char *user, const char *pw, char *out,
			   size_t outlen)
{
	const char *p = html;
	int n = 0;

	out[0] = '\0';
	while ((p = strstr(p, "<input type=\"hidden\" name=\""))) {
		char name[64], value[2048];
		const char *ne, *vs, *ve;

		p += strlen("<input type=\"hidden\" name=\"");
		ne = strchr(p, '"');
		vs = ne ? strstr(ne, "value=\"") : NULL;
		ve = vs ? strchr(vs + 7, '"') : NULL;
		if (!ve || (size_t)(ne - p) >= sizeof(name))
			return false;
		snprintf(name, sizeof(name), "%.*s", (int)(ne - p), p);
		unxml(vs + 7, (size_t)(ve - vs - 7), value, sizeof(value));
		param(out, outlen, name, value);
		n++;
	}
	if (user)
		param(out, outlen, "username", user);
	if (pw)
		param(out, outlen, "password", pw);
	return n >= 6;
}

/* The decoded value of name in the query of uri, or "" if absent. */
static void qparam(const char *uri, const char *name, char *out, size_t outlen)
{
	const char *q = strchr(uri, '?');
	struct idms_form fm;
	const char *v;

	out[0] = '\0';
	if (!q || form_parse(&fm, q + 1, strlen(q + 1), NULL))
		return;
	v = form_get(&fm, name);
	snprintf(out, outlen, "%s", v ? v : "");
	form_free(&fm);
}

/* GET the login page for q, POST the credentials: the status of the POST,
 * Location in loc. */
static int login(struct fx *f, const struct authz_q *q, const char *user, const char *pw,
		 char *loc, size_t loclen, char *page, size_t pagelen)
{
	struct idms_response rs;
	char query[4096], body[8192];
	int st;

	authz_query(q, query, sizeof(query));
	st = call(f, "GET", "/authorize", query, NULL, NULL, &rs);
	if (st != 200 || !form_from_page(rs.body.p, user, pw, body, sizeof(body))) {
		idms_response_free(&rs);
		return -st;
	}
	idms_response_free(&rs);
	st = call(f, "POST", "/authorize", NULL, body, NULL, &rs);
	snprintf(loc, loclen, "%s", rs.location);
	if (page)
		snprintf(page, pagelen, "%s", rs.body.p ? rs.body.p : "");
	idms_response_free(&rs);
	return st;
}

/* Log in and return the code (empty on failure). */
static void code_for(struct fx *f, const struct authz_q *q, const char *user, char *code,
		     size_t codelen)
{
	char loc[4096];

	code[0] = '\0';
	if (login(f, q, user, PW, loc, sizeof(loc), NULL, 0) == 302)
		qparam(loc, "code", code, codelen);
}

struct tokens {
	char access[JWT_MAX_LEN + 1], id[JWT_MAX_LEN + 1], refresh[64], scope[256];
	char error[64];
	int status;
};

/* A string member of j, "" if absent. */
static const char *jstr(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v ? v : "";
}

static void tokens_from(struct idms_response *rs, struct tokens *tk)
{
	json_t *j = json_loads(rs->body.p ? rs->body.p : "", 0, NULL);

	memset(tk, 0, sizeof(*tk));
	tk->status = rs->status;
	snprintf(tk->access, sizeof(tk->access), "%s",
		 jstr(j, "access_token"));
	snprintf(tk->id, sizeof(tk->id), "%s", jstr(j, "id_token"));
	snprintf(tk->refresh, sizeof(tk->refresh), "%s",
		 jstr(j, "refresh_token"));
	snprintf(tk->scope, sizeof(tk->scope), "%s", jstr(j, "scope"));
	snprintf(tk->error, sizeof(tk->error), "%s", jstr(j, "error"));
	json_decref(j);
}

static int exchange(struct fx *f, const char *code, const char *verifier, const char *redirect,
		    const char *client_id, struct tokens *tk)
{
	struct idms_response rs;
	char body[4096] = "";

	param(body, sizeof(body), "grant_type", "authorization_code");
	param(body, sizeof(body), "code", code);
	param(body, sizeof(body), "redirect_uri", redirect);
	param(body, sizeof(body), "client_id", client_id);
	param(body, sizeof(body), "code_verifier", verifier);
	call(f, "POST", "/token", NULL, body, NULL, &rs);
	tokens_from(&rs, tk);
	if (rs.status == 200 && !rs.no_store)
		tk->status = -1;
	idms_response_free(&rs);
	return tk->status;
}

static int refresh(struct fx *f, const char *token, const char *scope, struct tokens *tk)
{
	struct idms_response rs;
	char body[2048] = "";

	param(body, sizeof(body), "grant_type", "refresh_token");
	param(body, sizeof(body), "refresh_token", token);
	param(body, sizeof(body), "client_id", CMC);
	if (scope)
		param(body, sizeof(body), "scope", scope);
	call(f, "POST", "/token", NULL, body, NULL, &rs);
	tokens_from(&rs, tk);
	idms_response_free(&rs);
	return tk->status;
}

static int userinfo(struct fx *f, const char *access, char *sub, size_t sublen)
{
	struct idms_response rs;
	char auth[JWT_MAX_LEN + 16];
	json_t *j;
	int st;

	snprintf(auth, sizeof(auth), "Bearer %s", access);
	st = call(f, "GET", "/userinfo", NULL, NULL, auth, &rs);
	j = json_loads(rs.body.p ? rs.body.p : "", 0, NULL);
	if (sub)
		snprintf(sub, sublen, "%s", jstr(j, "mcptt_id"));
	if (st == 401 && !strstr(rs.www_authenticate, "Bearer"))
		st = -401;
	json_decref(j);
	idms_response_free(&rs);
	return st;
}

/* A full login + exchange for user with q. */
static int flow(struct fx *f, const struct authz_q *q, const char *user, struct tokens *tk)
{
	char code[128];

	code_for(f, q, user, code, sizeof(code));
	if (!code[0])
		return -1;
	return exchange(f, code, VERIFIER, q->redirect_uri ? q->redirect_uri : CMC_CB,
			q->client_id ? q->client_id : CMC, tk);
}

static enum jwt_result verify(struct fx *f, const char *tok, const char *aud, struct jwt_claims *cl)
{
	struct jwt_expect ex = { .iss = ISS, .aud = aud, .now = fx_clock(f) };

	return jwt_verify(idms_jwks(f->i), tok, strlen(tok), &ex, cl);
}

/* The JSON payload of a JWT (not verified), for claims jwt_claims lacks. */
static json_t *payload(const char *tok)
{
	const char *a = strchr(tok, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	uint8_t raw[JWT_MAX_LEN];
	long n;

	if (!b)
		return NULL;
	n = b64url_decode(a + 1, (size_t)(b - a - 1), raw, sizeof(raw));
	return n < 0 ? NULL : json_loadb((const char *)raw, (size_t)n, 0, NULL);
}

/* ---- tests ---- */

static void discovery_body(struct test_ctx *t, struct fx *f)
{
	struct idms_response rs;
	struct jwks *ks = NULL;
	json_t *d, *v;
	char eb[128];
	size_t k;
	bool mcptt = false;

	CHECK_INT(t, call(f, "GET", "/.well-known/openid-configuration", NULL, NULL, NULL, &rs), 200);
	d = json_loads(rs.body.p, 0, NULL);
	idms_response_free(&rs);
	CHECK(t, d != NULL);
	CHECK_STR(t, json_string_value(json_object_get(d, "issuer")), ISS);
	CHECK_STR(t, json_string_value(json_object_get(d, "authorization_endpoint")), ISS "/authorize");
	CHECK_STR(t, json_string_value(json_object_get(d, "token_endpoint")), ISS "/token");
	CHECK_STR(t, json_string_value(json_object_get(d, "jwks_uri")), ISS "/jwks");
	CHECK_STR(t, json_string_value(json_object_get(d, "userinfo_endpoint")), ISS "/userinfo");
	CHECK_STR(t, json_string_value(json_object_get(d, "revocation_endpoint")), ISS "/revoke");
	v = json_object_get(d, "code_challenge_methods_supported");
	CHECK(t, json_array_size(v) == 1);
	CHECK_STR(t, json_string_value(json_array_get(v, 0)), "S256");
	v = json_object_get(d, "token_endpoint_auth_methods_supported");
	CHECK_STR(t, json_string_value(json_array_get(v, 0)), "none");
	v = json_object_get(d, "response_types_supported");
	CHECK_STR(t, json_string_value(json_array_get(v, 0)), "code");
	CHECK_STR(t, json_string_value(json_array_get(json_object_get(d,
		  "id_token_signing_alg_values_supported"), 0)), "ES256");
	CHECK_INT(t, json_array_size(json_object_get(d, "scopes_supported")), 5);
	CHECK_INT(t, json_array_size(json_object_get(d, "grant_types_supported")), 2);
	json_array_foreach(json_object_get(d, "claims_supported"), k, v)
		mcptt |= !strcmp(json_string_value(v), "mcptt_id");
	json_decref(d);
	CHECK(t, mcptt);
	CHECK_INT(t, call(f, "GET", "/jwks", NULL, NULL, NULL, &rs), 200);
	CHECK(t, jwks_parse(&ks, rs.body.p, rs.body.len, eb, sizeof(eb)) == MCX_OK);
	idms_response_free(&rs);
	CHECK_INT(t, jwks_count(ks), 1);
	jwks_free(ks);
	CHECK_INT(t, call(f, "POST", "/jwks", NULL, "", NULL, &rs), 405);
	idms_response_free(&rs);
	CHECK_INT(t, call(f, "GET", "/nope", NULL, NULL, NULL, &rs), 404);
	idms_response_free(&rs);
}
WITH_FX(t_discovery, discovery_body)

static void login_page_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { .nonce = "n-0S6_WzA2Mj" };
	struct idms_response rs;
	char query[4096];
	const char *p;

	authz_query(&q, query, sizeof(query));
	CHECK_INT(t, call(f, "GET", "/authorize", query, NULL, NULL, &rs), 200);
	p = rs.body.p;
	CHECK(t, !strncmp(rs.content_type, "text/html", 9));
	CHECK(t, rs.no_store);
	CHECK(t, strstr(p, "<!DOCTYPE html>") && strstr(p, "<html lang=\"en\">"));
	CHECK(t, strstr(p, "<form method=\"post\" action=\"" ISS "/authorize\">"));
	CHECK(t, strstr(p, "<label for=\"username\">") && strstr(p, "id=\"username\" name=\"username\""));
	CHECK(t, strstr(p, "<label for=\"password\">") && strstr(p, "type=\"password\""));
	CHECK(t, strstr(p, "autocomplete=\"current-password\""));
	CHECK(t, strstr(p, "<button type=\"submit\">"));
	CHECK(t, strstr(p, "value=\"st-1 &amp;=?\""));               /* state carried, escaped */
	CHECK(t, strstr(p, "name=\"nonce\" value=\"n-0S6_WzA2Mj\""));
	CHECK(t, strstr(p, "<strong>cmc</strong>"));                  /* the client */
	CHECK(t, strstr(p, "configuration management"));              /* the scopes */
	CHECK(t, !strstr(p, "<script") && !strstr(p, "src=") && !strstr(p, "href="));
	CHECK(t, !strstr(p, "role=\"alert\""));
	CHECK(t, rs.nheaders >= 2 && !strcmp(rs.headers[0].name, "Content-Security-Policy"));
	idms_response_free(&rs);
}
WITH_FX(t_login_page, login_page_body)

static void code_flow_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { .nonce = "nonce-123" };
	char loc[4096], state[64], code[128], iss[128], sub[256];
	struct jwt_claims cl;
	struct tokens tk, tk2, tk3;
	json_t *idp;

	CHECK_INT(t, login(f, &q, "alice@example.org", PW, loc, sizeof(loc), NULL, 0), 302);
	CHECK(t, !strncmp(loc, CMC_CB "?code=", strlen(CMC_CB "?code=")));
	qparam(loc, "state", state, sizeof(state));
	qparam(loc, "code", code, sizeof(code));
	qparam(loc, "iss", iss, sizeof(iss));
	CHECK_STR(t, state, "st-1 &=?");
	CHECK_STR(t, iss, ISS);
	CHECK_INT(t, strlen(code), 43);                                  /* 256 bits */
	CHECK_INT(t, exchange(f, code, VERIFIER, CMC_CB, CMC, &tk), 200);
	CHECK_STR(t, tk.scope, SCOPE_ALL);
	/* access token: for the resource servers */
	CHECK_INT(t, verify(f, tk.access, "mcptt-cms", &cl), JWT_OK);
	CHECK_STR(t, cl.mcptt_id, ALICE);
	CHECK_STR(t, cl.sub, ALICE);
	CHECK_STR(t, cl.client_id, CMC);
	CHECK(t, jwt_has_scope(&cl, "3gpp:mcptt:config_management_server"));
	CHECK(t, jwt_has_scope(&cl, "3gpp:mcptt:ptt_server"));
	CHECK(t, cl.jti[0] && cl.exp == cl.iat + IDMS_DEF_ACCESS_TTL);
	CHECK_STR(t, cl.alg, "ES256");
	CHECK_INT(t, verify(f, tk.access, "mcptt-gms", &cl), JWT_OK);
	CHECK_INT(t, verify(f, tk.access, CMC, &cl), JWT_BAD_AUDIENCE);
	/* id token: for the client */
	CHECK_INT(t, verify(f, tk.id, CMC, &cl), JWT_OK);
	CHECK_STR(t, cl.mcptt_id, ALICE);
	idp = payload(tk.id);
	CHECK(t, idp != NULL);
	CHECK_STR(t, json_string_value(json_object_get(idp, "nonce")), "nonce-123");
	CHECK_STR(t, json_string_value(json_object_get(idp, "aud")), CMC);
	CHECK_STR(t, json_string_value(json_object_get(idp, "azp")), CMC);
	CHECK(t, json_integer_value(json_object_get(idp, "auth_time")) > 0);
	json_decref(idp);
	CHECK_INT(t, userinfo(f, tk.access, sub, sizeof(sub)), 200);
	CHECK_STR(t, sub, ALICE);
	CHECK_INT(t, userinfo(f, tk.id, NULL, 0), 401);              /* not an access token */
	/* refresh: rotation */
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk2), 200);
	CHECK(t, strcmp(tk2.refresh, tk.refresh) && strlen(tk2.refresh) == 43);
	CHECK_INT(t, verify(f, tk2.access, "mcptt-cms", &cl), JWT_OK);
	CHECK_STR(t, tk2.scope, SCOPE_ALL);
	idp = payload(tk2.id);
	CHECK(t, idp && !json_object_get(idp, "nonce"));
	json_decref(idp);
	CHECK_INT(t, userinfo(f, tk2.access, NULL, 0), 200);
	/* narrowing on refresh */
	CHECK_INT(t, refresh(f, tk2.refresh, "openid 3gpp:mcptt:ptt_server", &tk3), 200);
	CHECK_STR(t, tk3.scope, "openid 3gpp:mcptt:ptt_server");
	/* the rotated-out token is dead; reusing it revokes the family */
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk2), 400);
	CHECK_STR(t, tk2.error, "invalid_grant");
	CHECK_INT(t, refresh(f, tk3.refresh, NULL, &tk2), 400);
	CHECK_STR(t, tk2.error, "invalid_grant");
	CHECK_INT(t, userinfo(f, tk3.access, NULL, 0), 401);
}
WITH_FX(t_code_flow, code_flow_body)

static void loopback_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { .redirect_uri = "http://127.0.0.1:53127/cb" };
	char loc[4096];
	struct tokens tk;

	/* RFC 8252 §7.3: any port on a registered loopback redirect */
	CHECK_INT(t, login(f, &q, "alice", PW, loc, sizeof(loc), NULL, 0), 302);
	CHECK(t, !strncmp(loc, "http://127.0.0.1:53127/cb?code=", 31));
	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);
	q.redirect_uri = "http://127.0.0.1:53127/other";
	CHECK_INT(t, login(f, &q, ALICE, PW, loc, sizeof(loc), NULL, 0), -400);
	q.redirect_uri = "http://localhost:53127/cb";
	CHECK_INT(t, login(f, &q, ALICE, PW, loc, sizeof(loc), NULL, 0), -400);
}
WITH_FX(t_loopback, loopback_body)

/* A GET /authorize that must answer with the error page (no redirect). */
static int error_page(struct fx *f, const char *query, bool *redirected)
{
	struct idms_response rs;
	int st = call(f, "GET", "/authorize", query, NULL, NULL, &rs);

	*redirected = rs.location[0] != '\0';
	if (st == 400 && (!strstr(rs.body.p, "role=\"alert\"") || strncmp(rs.content_type, "text/html", 9)))
		st = -400;
	idms_response_free(&rs);
	return st;
}

/* A GET /authorize that must redirect with error; returns the error. */
static void error_redirect(struct fx *f, const char *query, char *err, size_t errlen, char *state,
			   size_t statelen)
{
	struct idms_response rs;

	err[0] = state[0] = '\0';
	if (call(f, "GET", "/authorize", query, NULL, NULL, &rs) == 302) {
		qparam(rs.location, "error", err, errlen);
		qparam(rs.location, "state", state, statelen);
	}
	idms_response_free(&rs);
}

static void authz_refusals_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	char query[4096], err[64], state[64];
	bool redirected;

	q.redirect_uri = "com.example.cmc:/evil";
	authz_query(&q, query, sizeof(query));
	CHECK_INT(t, error_page(f, query, &redirected), 400);         /* redirect URI mismatch */
	CHECK(t, !redirected);
	q.redirect_uri = CMC_CB "/";
	authz_query(&q, query, sizeof(query));
	CHECK_INT(t, error_page(f, query, &redirected), 400);         /* exact match only */
	q.redirect_uri = NULL;
	q.client_id = "nobody";
	authz_query(&q, query, sizeof(query));
	CHECK_INT(t, error_page(f, query, &redirected), 400);         /* unknown client */
	CHECK(t, !redirected);
	q.client_id = NULL;
	authz_query(&q, query, sizeof(query));
	param(query, sizeof(query), "state", "twice");
	CHECK_INT(t, error_page(f, query, &redirected), 400);         /* duplicate parameter */
	CHECK_INT(t, error_page(f, "client_id=%zz", &redirected), 400);
	q.method = "plain";
	authz_query(&q, query, sizeof(query));
	error_redirect(f, query, err, sizeof(err), state, sizeof(state));
	CHECK_STR(t, err, "invalid_request");                          /* plain PKCE refused */
	CHECK_STR(t, state, "st-1 &=?");
	q.method = NULL;
	q.challenge = "short";
	authz_query(&q, query, sizeof(query));
	error_redirect(f, query, err, sizeof(err), state, sizeof(state));
	CHECK_STR(t, err, "invalid_request");
	q.challenge = NULL;
	q.scope = "3gpp:mcptt:ptt_server";
	authz_query(&q, query, sizeof(query));
	error_redirect(f, query, err, sizeof(err), state, sizeof(state));
	CHECK_STR(t, err, "invalid_scope");                            /* no openid */
	q.scope = NULL;
	q.response_type = "token";
	authz_query(&q, query, sizeof(query));
	error_redirect(f, query, err, sizeof(err), state, sizeof(state));
	CHECK_STR(t, err, "unsupported_response_type");
	/* without PKCE at all */
	snprintf(query, sizeof(query), "response_type=code&client_id=cmc&redirect_uri=%s"
		 "&scope=openid&state=s", "com.example.cmc%3A%2Fcallback");
	error_redirect(f, query, err, sizeof(err), state, sizeof(state));
	CHECK_STR(t, err, "invalid_request");
	CHECK_STR(t, state, "s");
}
WITH_FX(t_authz_refusals, authz_refusals_body)

static void token_refusals_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	struct idms_response rs;
	char code[128];
	struct tokens tk, tk2;

	code_for(f, &q, ALICE, code, sizeof(code));
	CHECK(t, code[0]);
	/* wrong verifier: refused, and the code is spent */
	CHECK_INT(t, exchange(f, code, VERIFIER "x", CMC_CB, CMC, &tk), 400);
	CHECK_STR(t, tk.error, "invalid_grant");
	CHECK_INT(t, exchange(f, code, VERIFIER, CMC_CB, CMC, &tk), 400);
	/* redirect_uri must be the code's */
	code_for(f, &q, ALICE, code, sizeof(code));
	CHECK_INT(t, exchange(f, code, VERIFIER, "http://127.0.0.1/cb", CMC, &tk), 400);
	CHECK_STR(t, tk.error, "invalid_grant");
	/* another client */
	code_for(f, &q, ALICE, code, sizeof(code));
	CHECK_INT(t, exchange(f, code, VERIFIER, CMC_CB, "other", &tk), 400);
	CHECK_STR(t, tk.error, "invalid_grant");
	/* replay: refused, and what the first exchange issued is revoked */
	code_for(f, &q, ALICE, code, sizeof(code));
	CHECK_INT(t, exchange(f, code, VERIFIER, CMC_CB, CMC, &tk), 200);
	CHECK_INT(t, userinfo(f, tk.access, NULL, 0), 200);
	CHECK_INT(t, exchange(f, code, VERIFIER, CMC_CB, CMC, &tk2), 400);
	CHECK_STR(t, tk2.error, "invalid_grant");
	CHECK_INT(t, userinfo(f, tk.access, NULL, 0), 401);
	CHECK(t, idms_token_revoked(f->i, "no-such-jti") == false);
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk2), 400);
	/* expired */
	code_for(f, &q, ALICE, code, sizeof(code));
	f->offset += IDMS_DEF_CODE_TTL + 1;
	CHECK_INT(t, exchange(f, code, VERIFIER, CMC_CB, CMC, &tk), 400);
	CHECK_STR(t, tk.error, "invalid_grant");
	/* request errors */
	CHECK_INT(t, exchange(f, "x", VERIFIER, CMC_CB, "nobody", &tk), 400);
	CHECK_STR(t, tk.error, "invalid_client");
	CHECK_INT(t, call(f, "POST", "/token", NULL, "grant_type=password&client_id=cmc", NULL, &rs), 400);
	tokens_from(&rs, &tk);
	idms_response_free(&rs);
	CHECK_STR(t, tk.error, "unsupported_grant_type");
	CHECK_INT(t, call(f, "POST", "/token", NULL, "grant_type=authorization_code&client_id=cmc",
			  NULL, &rs), 400);
	tokens_from(&rs, &tk);
	CHECK(t, rs.no_store);
	idms_response_free(&rs);
	CHECK_STR(t, tk.error, "invalid_request");
	CHECK_INT(t, call(f, "POST", "/token", NULL, "grant_type=a&grant_type=b", NULL, &rs), 400);
	idms_response_free(&rs);
	CHECK_INT(t, call(f, "GET", "/token", NULL, NULL, NULL, &rs), 405);
	idms_response_free(&rs);
}
WITH_FX(t_token_refusals, token_refusals_body)

static void wrong_password_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	char loc[4096], page[16384];
	int k;

	CHECK_INT(t, login(f, &q, ALICE, "wrong", loc, sizeof(loc), page, sizeof(page)), 200);
	CHECK(t, !loc[0]);
	CHECK(t, strstr(page, "role=\"alert\"") && strstr(page, "Wrong MCPTT ID or password"));
	CHECK(t, strstr(page, "value=\"" ALICE "\""));                 /* username kept */
	CHECK(t, !strstr(page, "wrong\""));                            /* the password is not */
	CHECK_INT(t, login(f, &q, "sip:nobody@example.org", PW, loc, sizeof(loc), page,
			   sizeof(page)), 200);                          /* same answer */
	CHECK(t, strstr(page, "Wrong MCPTT ID or password"));
	/* lockout: max_failures (3) in a row, then even the right password is refused */
	f->peer = "192.0.2.2";
	CHECK_INT(t, login(f, &q, "alice", "wrong", loc, sizeof(loc), NULL, 0), 200); /* 2nd */
	CHECK_INT(t, login(f, &q, "alice@example.org", "wrong", loc, sizeof(loc), page,
			   sizeof(page)), 429);
	CHECK(t, strstr(page, "locked"));
	CHECK_INT(t, login(f, &q, ALICE, PW, loc, sizeof(loc), page, sizeof(page)), 429);
	CHECK(t, !loc[0] && strstr(page, "locked"));
	CHECK_INT(t, login(f, &q, BOB, PW, loc, sizeof(loc), NULL, 0), 302); /* others are not */
	f->offset += 301;
	CHECK_INT(t, login(f, &q, ALICE, PW, loc, sizeof(loc), NULL, 0), 302);
	/* a success resets the count */
	CHECK_INT(t, login(f, &q, ALICE, "wrong", loc, sizeof(loc), NULL, 0), 200);
	CHECK_INT(t, login(f, &q, ALICE, "wrong", loc, sizeof(loc), NULL, 0), 200);
	CHECK_INT(t, login(f, &q, ALICE, PW, loc, sizeof(loc), NULL, 0), 302);
	/* per peer: IDMS_PEER_FAILS_MAX failures a minute, whatever the accounts */
	f->peer = "198.51.100.7";
	for (k = 0; k < IDMS_PEER_FAILS_MAX; k++) {
		char user[64];

		snprintf(user, sizeof(user), "user%d@example.org", k);
		CHECK(t, login(f, &q, user, "x", loc, sizeof(loc), NULL, 0) != 302);
	}
	CHECK_INT(t, login(f, &q, BOB, PW, loc, sizeof(loc), NULL, 0), 429);
	f->peer = "192.0.2.3";
	CHECK_INT(t, login(f, &q, BOB, PW, loc, sizeof(loc), NULL, 0), 302);
	/* missing credentials are not a failure */
	CHECK_INT(t, login(f, &q, NULL, NULL, loc, sizeof(loc), page, sizeof(page)), 200);
	CHECK(t, strstr(page, "Enter your MCPTT ID"));
}
WITH_FX(t_wrong_password, wrong_password_body)

static void scopes_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	struct jwt_claims cl;
	struct tokens tk;

	/* no MCPTT user profile: openid only */
	CHECK_INT(t, flow(f, &q, BOB, &tk), 200);
	CHECK_STR(t, tk.scope, "openid");
	CHECK_INT(t, verify(f, tk.access, NULL, &cl), JWT_OK);
	CHECK_STR(t, cl.scope, "openid");
	/* administrator without a profile: configuration and group management */
	CHECK_INT(t, flow(f, &q, ADMIN, &tk), 200);
	CHECK_STR(t, tk.scope, "openid 3gpp:mcptt:config_management_server "
		  "3gpp:mcptt:group_management_server");
	/* only what was asked; unknown scopes dropped */
	q.scope = "openid 3gpp:mcptt:config_management_server urn:unknown:scope";
	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);
	CHECK_STR(t, tk.scope, "openid 3gpp:mcptt:config_management_server");
	CHECK_INT(t, verify(f, tk.access, NULL, &cl), JWT_OK);
	CHECK(t, !jwt_has_scope(&cl, "3gpp:mcptt:ptt_server"));
}
WITH_FX(t_scopes, scopes_body)

static int key_files(const char *dir)
{
	char path[128];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/idms", dir);
	d = opendir(path);
	while (d && (de = readdir(d)))
		n += !strncmp(de->d_name, "key-", 4) && strstr(de->d_name, ".pem") &&
		     !strstr(de->d_name, ".tmp");
	if (d)
		closedir(d);
	return n;
}

static void rotation_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	int k;
	struct jwt_claims cl, cl2;
	struct tokens tk, tk2;
	char eb[256], old_kid[JWT_CLAIM_MAX];

	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);
	CHECK_INT(t, verify(f, tk.access, NULL, &cl), JWT_OK);
	snprintf(old_kid, sizeof(old_kid), "%s", cl.kid);
	/* as `mcx idms rotate-keys` in another process would */
	CHECK(t, idms_rotate_keys(f->dir, "ES256", eb, sizeof(eb)) == MCX_OK);
	f->offset += 1;                      /* the manifest is checked once per second */
	CHECK_INT(t, jwks_count(idms_jwks(f->i)), 2);
	CHECK_INT(t, verify(f, tk.access, NULL, &cl), JWT_OK);   /* old token, grace period */
	CHECK_STR(t, cl.kid, old_kid);
	CHECK_INT(t, flow(f, &q, ALICE, &tk2), 200);
	CHECK_INT(t, verify(f, tk2.access, NULL, &cl2), JWT_OK);
	CHECK(t, strcmp(cl2.kid, old_kid));                      /* signed with the new key */
	f->offset += GRACE + 1;
	CHECK_INT(t, jwks_count(idms_jwks(f->i)), 1);
	CHECK_INT(t, verify(f, tk.access, NULL, &cl), JWT_UNKNOWN_KEY);
	CHECK_INT(t, verify(f, tk2.access, NULL, &cl), JWT_OK);
	CHECK(t, idms_rotate_keys(f->dir, "HS256", eb, sizeof(eb)) == MCX_EINVAL);
	/* many rotations: the oldest retired keys and their files go */
	f->offset = 0;
	for (k = 0; k < IDMS_KEYS_MAX + 4; k++)
		CHECK(t, idms_rotate_keys(f->dir, "ES256", eb, sizeof(eb)) == MCX_OK);
	f->offset += 1;
	CHECK_INT(t, jwks_count(idms_jwks(f->i)), IDMS_KEYS_MAX);  /* all in grace */
	CHECK_INT(t, key_files(f->dir), IDMS_KEYS_MAX);
	CHECK_INT(t, verify(f, tk2.access, NULL, &cl), JWT_UNKNOWN_KEY);
	f->offset += GRACE + 1;
	CHECK_INT(t, jwks_count(idms_jwks(f->i)), 1);
}
WITH_FX(t_rotation, rotation_body)

static void restart_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	struct jwt_claims cl, cl2;
	struct tokens tk, tk2;
	char eb[256];

	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);
	CHECK_INT(t, verify(f, tk.access, NULL, &cl), JWT_OK);
	idms_close(f->i);
	f->i = NULL;
	CHECK(t, idms_open(&f->i, &f->c, f->st, eb, sizeof(eb)) == MCX_OK);
	/* same key, refresh token still valid */
	CHECK_INT(t, verify(f, tk.access, NULL, &cl2), JWT_OK);
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk2), 200);
	CHECK_INT(t, verify(f, tk2.access, NULL, &cl2), JWT_OK);
	CHECK_STR(t, cl2.kid, cl.kid);
	/* a change of algorithm makes a new current key */
	idms_close(f->i);
	f->i = NULL;
	f->c.key_alg = "RS256";
	CHECK(t, idms_open(&f->i, &f->c, f->st, eb, sizeof(eb)) == MCX_OK);
	CHECK_INT(t, refresh(f, tk2.refresh, NULL, &tk), 200);
	CHECK_INT(t, verify(f, tk.access, NULL, &cl2), JWT_OK);
	CHECK_STR(t, cl2.alg, "RS256");
	CHECK_INT(t, verify(f, tk2.access, NULL, &cl2), JWT_OK);   /* the ES256 one, in grace */
}
WITH_FX(t_restart, restart_body)

static void revoke_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	struct idms_response rs;
	char body[JWT_MAX_LEN + 64];
	struct tokens tk, tk2;

	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);
	body[0] = '\0';
	param(body, sizeof(body), "token", tk.access);
	param(body, sizeof(body), "token_type_hint", "access_token");
	CHECK_INT(t, call(f, "POST", "/revoke", NULL, body, NULL, &rs), 200);
	idms_response_free(&rs);
	CHECK_INT(t, userinfo(f, tk.access, NULL, 0), 401);
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk2), 200);   /* the grant lives on */
	body[0] = '\0';
	param(body, sizeof(body), "token", tk2.refresh);
	CHECK_INT(t, call(f, "POST", "/revoke", NULL, body, NULL, &rs), 200);
	idms_response_free(&rs);
	CHECK_INT(t, refresh(f, tk2.refresh, NULL, &tk), 400);
	CHECK_INT(t, userinfo(f, tk2.access, NULL, 0), 401);     /* the family's access tokens too */
	CHECK_INT(t, call(f, "POST", "/revoke", NULL, "token=garbage", NULL, &rs), 200);
	idms_response_free(&rs);
	CHECK_INT(t, call(f, "POST", "/revoke", NULL, "token_type_hint=x", NULL, &rs), 400);
	idms_response_free(&rs);
	CHECK_INT(t, call(f, "GET", "/userinfo", NULL, NULL, NULL, &rs), 401);
	CHECK_STR(t, rs.www_authenticate, "Bearer");
	idms_response_free(&rs);
	CHECK_INT(t, call(f, "GET", "/userinfo", NULL, NULL, "Bearer a.b.c", &rs), 401);
	CHECK_STR(t, rs.www_authenticate, "Bearer error=\"invalid_token\"");
	idms_response_free(&rs);
}
WITH_FX(t_revoke, revoke_body)

static void clients_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { .client_id = "late", .redirect_uri = "https://late.example.org/cb" };
	char loc[4096];
	struct tokens tk;

	CHECK_INT(t, login(f, &q, ALICE, PW, loc, sizeof(loc), NULL, 0), -400);
	CHECK(t, idms_client_add(f->st, "late", "https://late.example.org/cb, org.example.late:/cb")
	      == MCX_OK);
	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);               /* seen without a restart */
	CHECK(t, idms_client_add(f->st, "bad", "http://example.org/cb") == MCX_EINVAL);
	CHECK(t, idms_client_add(f->st, "bad", "https://example.org/cb#frag") == MCX_EINVAL);
	CHECK(t, idms_client_add(f->st, "bad id", "https://example.org/cb") == MCX_EINVAL);
	CHECK(t, idms_client_add(f->st, "bad", "") == MCX_EINVAL);
}
WITH_FX(t_clients, clients_body)

static void passwords_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	char loc[4096], *enc = NULL;

	CHECK(t, idms_password_check(f->st, ALICE, PW));
	CHECK(t, !idms_password_check(f->st, ALICE, PW "x"));
	CHECK(t, !idms_password_check(f->st, "sip:nobody@example.org", PW));
	CHECK(t, idms_password_set_cost(f->st, "sip:nobody@example.org", PW, 1, 8) == MCX_ENOENT);
	CHECK(t, idms_password_set_cost(f->st, BOB, "", 1, 8) == MCX_EINVAL);
	/* a hash with other parameters is redone with the configured ones at login */
	CHECK(t, idms_password_set_cost(f->st, BOB, "other pw", 2, 16) == MCX_OK);
	CHECK(t, store_meta_get(f->st, "idms-password:" BOB, &enc, NULL) == MCX_OK);
	CHECK(t, !strncmp(enc, "$argon2id$v=19$m=16,t=2,p=1$", 28));
	mcx_free(enc);
	CHECK_INT(t, login(f, &q, BOB, "other pw", loc, sizeof(loc), NULL, 0), 302);
	CHECK(t, store_meta_get(f->st, "idms-password:" BOB, &enc, NULL) == MCX_OK);
	CHECK(t, !strncmp(enc, "$argon2id$v=19$m=8,t=1,p=1$", 27));
	mcx_free(enc);
	CHECK(t, idms_password_check(f->st, BOB, "other pw"));
	/* the real default is the interactive cost, not the test one */
	CHECK_INT(t, IDMS_PW_T_COST, 3);
	CHECK_INT(t, IDMS_PW_M_KIB, 65536);
}
WITH_FX(t_passwords, passwords_body)

static void audit_body(struct test_ctx *t, struct fx *f)
{
	struct authz_q q = { 0 };
	char path[128], loc[4096], *log;
	struct tokens tk, tk2, tk3;

	CHECK_INT(t, flow(f, &q, ALICE, &tk), 200);
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk2), 200);
	CHECK_INT(t, refresh(f, tk.refresh, NULL, &tk3), 400);
	CHECK_INT(t, login(f, &q, ALICE, "secret-wrong-pw", loc, sizeof(loc), NULL, 0), 200);
	snprintf(path, sizeof(path), "%s/audit.log", f->dir);
	log = test_read_file(path, NULL);
	CHECK(t, log != NULL);
	if (!strstr(log, "event=\"login\" outcome=\"ok\" peer=\"192.0.2.1\" client_id=\"cmc\" "
		    "user=\"" ALICE "\"") || !strstr(log, "event=\"code\" outcome=\"issued\"") ||
	    !strstr(log, "event=\"token\" outcome=\"granted\"") ||
	    !strstr(log, "event=\"refresh\" outcome=\"rotated\"") ||
	    !strstr(log, "event=\"refresh\" outcome=\"reuse detected\"") ||
	    !strstr(log, "event=\"login\" outcome=\"failed\"") ||
	    strstr(log, "secret-wrong-pw") || strstr(log, PW) || strstr(log, tk.refresh) ||
	    strstr(log, tk2.refresh) || strstr(log, VERIFIER)) {
		test_fail(t, __FILE__, __LINE__, "audit log:\n%.400s", log);
		free(log);
		return;
	}
	free(log);
}
WITH_FX(t_audit, audit_body)

/* Four threads log in, exchange and refresh at once. */
#define THREADS 4
#define ROUNDS  5

struct worker {
	struct fx *f;
	int ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct authz_q q = { 0 };
	struct tokens tk, tk2;
	int k;

	for (k = 0; k < ROUNDS; k++)
		if (flow(w->f, &q, ALICE, &tk) == 200 && refresh(w->f, tk.refresh, NULL, &tk2) == 200 &&
		    userinfo(w->f, tk2.access, NULL, 0) == 200 && idms_jwks(w->f->i))
			w->ok++;
	return NULL;
}

static void threads_body(struct test_ctx *t, struct fx *f)
{
	struct worker w[THREADS];
	pthread_t th[THREADS];
	int k, ok = 0;

	for (k = 0; k < THREADS; k++) {
		w[k].f = f;
		w[k].ok = 0;
		CHECK(t, pthread_create(&th[k], NULL, work, &w[k]) == 0);
	}
	for (k = 0; k < THREADS; k++) {
		pthread_join(th[k], NULL);
		ok += w[k].ok;
	}
	CHECK_INT(t, ok, THREADS * ROUNDS);
}
WITH_FX(t_threads, threads_body)

/* ---- the form parser, without a server ---- */

static void t_form(struct test_ctx *t)
{
	char big[IDMS_FORM_MAX + 2], *p;
	struct idms_form f;
	const char *why;
	enum mcx_err err;
	int k;

	err = form_parse(&f, "a=1&b=%20x+y%2B&&c=&d&e=%C3%A9", 30, &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, form_get(&f, "a"), "1");
	CHECK_STR(t, form_get(&f, "b"), " x y+");
	CHECK(t, form_get(&f, "c") == NULL && form_get(&f, "d") == NULL);  /* empty = absent */
	CHECK_STR(t, form_get(&f, "e"), "\xc3\xa9");
	CHECK(t, form_get(&f, "z") == NULL);
	form_free(&f);
	err = form_parse(&f, "", 0, &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	form_free(&f);
	err = form_parse(&f, "a=1&a=2", 7, &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_EINVAL);
	CHECK(t, strstr(why, "more than once"));
	err = form_parse(&f, "a=%zz", 5, &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_EINVAL);
	CHECK(t, form_parse(&f, "a=%2", 4, &why) != MCX_OK);
	CHECK(t, form_parse(&f, "a=%00", 5, &why) != MCX_OK);
	CHECK(t, form_parse(&f, "a=%ff", 5, &why) != MCX_OK);            /* not UTF-8 */
	CHECK(t, form_parse(&f, "a=%C0%AF", 8, &why) != MCX_OK);         /* overlong */
	CHECK(t, form_parse(&f, "a=%ED%A0%80", 11, &why) != MCX_OK);     /* surrogate */
	CHECK(t, form_parse(&f, "=x", 2, &why) != MCX_OK);
	p = big;
	for (k = 0; k < IDMS_FORM_PARAMS + 1; k++)
		p += snprintf(p, 16, "p%d=1&", k);
	err = form_parse(&f, big, strlen(big), &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_ELIMIT);
	memset(big, 'a', sizeof(big));
	big[0] = 'v';
	big[1] = '=';
	err = form_parse(&f, big, IDMS_FORM_VALUE_MAX + 3, &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_ELIMIT);
	err = form_parse(&f, big, IDMS_FORM_VALUE_MAX + 2, &why);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	form_free(&f);
	CHECK_INT(t, form_parse(&f, big, IDMS_FORM_MAX + 1, &why), MCX_ELIMIT);
}

/* In-memory parts under allocation failure: clients, codes, the page. */
static void t_oom_parts(struct test_ctx *t)
{
	struct idms i = { .conf = { .issuer = ISS } };
	struct idms_clients cs;
	struct idms_code c = { .client_id = CMC, .redirect_uri = CMC_CB, .challenge = "ch",
			       .xui = ALICE, .exp = 100 };
	struct idms_code out;
	struct idms_response rs;
	struct idms_form fm;
	struct login_page lp = { .client_id = CMC, .scopes = SCOPE_OPENID | SCOPE_CMS,
				 .params = &fm, .username = "a<b", .alert = "x" };
	char code[IDMS_SECRET_B64], eb[256];
	enum code_result r;
	enum mcx_err err;

	err = clients_parse(&cs, CMC " " CMC_CB "," LOOP_CB ";b https://b.example/cb", eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, cs.n, 2);
	clients_free(&cs);
	err = clients_parse(&cs, "x http://example.org/", eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_EINVAL);
	codes_init(&i.codes);
	err = codes_add(&i.codes, &c, 1, code);
	if (!err) {
		r = codes_take(&i.codes, code, 2, "fam", "jti", 50, &out, &err);
		if (!err) {
			CHECK_INT(t, r, CODE_OK);
			CHECK_STR(t, out.xui, ALICE);
			code_clear(&out);
			r = codes_take(&i.codes, code, 3, "f2", "j2", 50, &out, &err);
			CHECK_INT(t, r, CODE_REPLAYED);
			CHECK_STR(t, out.family, "fam");
			code_clear(&out);
		}
	}
	codes_free(&i.codes);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	err = form_parse(&fm, "state=s%22&scope=openid", 23, NULL);
	OOM_OK(t, err);
	idms_response_init(&rs);
	page_login(&i, &rs, 200, &lp);
	form_free(&fm);
	if (t->in_oom && rs.status == 503) {
		idms_response_free(&rs);
		return;
	}
	CHECK(t, rs.status == 200 && strstr(rs.body.p, "value=\"s&quot;\"") &&
	      strstr(rs.body.p, "value=\"a&lt;b\""));
	idms_response_free(&rs);
}

static void t_redirects(struct test_ctx *t)
{
	struct idms_client c = { .id = "x", .uris = { "http://127.0.0.1/cb", "http://[::1]:8000/",
						      "com.example.app:/cb" }, .nuris = 3 };

	CHECK(t, client_redirect_ok(&c, "http://127.0.0.1/cb"));
	CHECK(t, client_redirect_ok(&c, "http://127.0.0.1:1/cb"));
	CHECK(t, client_redirect_ok(&c, "http://127.0.0.1:65535/cb"));
	CHECK(t, !client_redirect_ok(&c, "http://127.0.0.1:65535/cb?x"));
	CHECK(t, !client_redirect_ok(&c, "http://127.0.0.1:/cb"));
	CHECK(t, !client_redirect_ok(&c, "http://127.0.0.10/cb"));
	CHECK(t, !client_redirect_ok(&c, "http://127.0.0.1@evil.example/cb"));
	CHECK(t, client_redirect_ok(&c, "http://[::1]/"));
	CHECK(t, client_redirect_ok(&c, "http://[::1]:9/"));
	CHECK(t, !client_redirect_ok(&c, "http://[::1]:9/x"));
	CHECK(t, client_redirect_ok(&c, "com.example.app:/cb"));
	CHECK(t, !client_redirect_ok(&c, "com.example.app:/cb2"));
	CHECK(t, !client_redirect_ok(&c, "COM.example.app:/cb"));
	CHECK(t, redirect_uri_valid("https://app.example.org/cb?x=1"));
	CHECK(t, !redirect_uri_valid("https:///cb"));
	CHECK(t, !redirect_uri_valid("http://localhost/cb"));
	CHECK(t, !redirect_uri_valid("nocolon"));
	CHECK(t, !redirect_uri_valid("app:/a b"));
	CHECK(t, client_id_valid("cmc-1.0") && !client_id_valid("") && !client_id_valid("a;b"));
}

const struct test tests_idms[] = {
	{ "idms_form", t_form, true },
	{ "idms_redirect_match", t_redirects, false },
	{ "idms_oom_parts", t_oom_parts, true },
	{ "idms_discovery", t_discovery, false },
	{ "idms_login_page", t_login_page, false },
	{ "idms_code_flow", t_code_flow, false },
	{ "idms_loopback", t_loopback, false },
	{ "idms_authorize_refusals", t_authz_refusals, false },
	{ "idms_token_refusals", t_token_refusals, false },
	{ "idms_wrong_password_lockout", t_wrong_password, false },
	{ "idms_scopes", t_scopes, false },
	{ "idms_key_rotation", t_rotation, false },
	{ "idms_restart", t_restart, false },
	{ "idms_revoke_userinfo", t_revoke, false },
	{ "idms_clients", t_clients, false },
	{ "idms_passwords", t_passwords, false },
	{ "idms_audit", t_audit, false },
	{ "idms_threads", t_threads, false },
	{ NULL, NULL, false },
};
