/* The IdMS login of the client (see login.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>

#include "cmc/login.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "core/banned.h"

void cmc_tokens_clear(struct cmc_tokens *t)
{
	if (t->access)
		memset(t->access, 0, strlen(t->access));
	if (t->refresh)
		memset(t->refresh, 0, strlen(t->refresh));
	mcx_free(t->access);
	mcx_free(t->refresh);
	memset(t, 0, sizeof(*t));
}

static enum mcx_err random_b64(char *out, size_t nbytes)
{
	uint8_t r[48];
	enum mcx_err err;

	if (nbytes > sizeof(r))
		return MCX_EINVAL;
	err = crypto_random(r, nbytes);
	if (!err)
		b64url_encode(r, nbytes, out);
	return err;
}

/* The text of the login page's <p role="alert">, or of its <title>. */
static void page_says(const struct mcx_buf *b, char *out, size_t outlen)
{
	const char *p = b->p ? strstr(b->p, "role=\"alert\"") : NULL;
	size_t o = 0;

	if (!p && b->p)
		p = strstr(b->p, "<title");
	out[0] = '\0';
	if (!p || !(p = strchr(p, '>')))
		return;
	for (p++; *p && *p != '<' && o + 1 < outlen; p++)
		if (*p != '\n' && *p != '\r')
			out[o++] = *p;
	out[o] = '\0';
}

/* value of name in the query of url (decoded), "" when absent. */
static void query_get(const char *url, const char *name, char *out, size_t outlen)
{
	const char *q = strchr(url, '?');
	size_t nl = strlen(name);

	out[0] = '\0';
	while (q && *q) {
		q++;
		if (!strncmp(q, name, nl) && q[nl] == '=') {
			const char *v = q + nl + 1;
			int vl = (int)strcspn(v, "&#"), dl = 0;
			char *d = curl_easy_unescape(NULL, v, vl, &dl);

			if (d) {
				snprintf(out, outlen, "%.*s", dl, d);
				curl_free(d);
			}
			return;
		}
		q = strchr(q, '&');
	}
}

/* Read a token endpoint answer into t. */
static enum mcx_err token_answer(const struct cmc_http_resp *r, struct cmc_tokens *t,
				 const char *step, char *eb, size_t el)
{
	json_error_t je;
	json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, &je);
	const char *acc, *ref, *e, *ed;
	json_int_t ttl;
	enum mcx_err err = MCX_OK;

	if (!j || !json_is_object(j)) {
		snprintf(eb, el, "%s: HTTP %ld with no JSON answer", step, r->status);
		json_decref(j);
		return r->status == 200 ? MCX_EINVAL : MCX_EAUTH;
	}
	e = json_string_value(json_object_get(j, "error"));
	ed = json_string_value(json_object_get(j, "error_description"));
	acc = json_string_value(json_object_get(j, "access_token"));
	ref = json_string_value(json_object_get(j, "refresh_token"));
	ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (r->status != 200 || e || !acc) {
		snprintf(eb, el, "%s: the IdMS answered %ld %s%s%s", step, r->status,
			 e ? e : "without an access token", ed ? ": " : "", ed ? ed : "");
		err = MCX_EAUTH;
		goto out;
	}
	if (strlen(acc) > CMC_MAX_TOKEN || (ref && strlen(ref) > CMC_MAX_TOKEN)) {
		snprintf(eb, el, "%s: token longer than %u bytes", step, CMC_MAX_TOKEN);
		err = MCX_ELIMIT;
		goto out;
	}
	cmc_tokens_clear(t);
	t->access = mcx_strdup(acc);
	t->refresh = ref ? mcx_strdup(ref) : NULL;
	t->iat = (long long)time(NULL);
	t->exp = t->iat + (ttl > 0 ? (long long)ttl : 60);
	if (!t->access || (ref && !t->refresh)) {
		cmc_tokens_clear(t);
		snprintf(eb, el, "out of memory");
		err = MCX_ENOMEM;
	}
out:
	json_decref(j);
	return err;
}

static enum mcx_err authorize(struct cmc_http *h, const struct cmc_idms *i, const char *user,
			      const char *password, const char *challenge, char *code,
			      size_t codelen, char *eb, size_t el)
{
	struct cmc_http_resp r;
	struct mcx_buf form;
	char state[64], nonce[64], got[600], said[300];
	enum mcx_err err;

	buf_init(&form, 64 * 1024);
	cmc_http_resp_init(&r);
	err = random_b64(state, 18);
	if (!err)
		err = random_b64(nonce, 18);
	if (!err)
		err = cmc_form_add(&form, "response_type", "code");
	if (!err)
		err = cmc_form_add(&form, "client_id", i->client_id);
	if (!err)
		err = cmc_form_add(&form, "redirect_uri", i->redirect_uri);
	if (!err)
		err = cmc_form_add(&form, "scope", CMC_SCOPE);
	if (!err)
		err = cmc_form_add(&form, "state", state);
	if (!err)
		err = cmc_form_add(&form, "nonce", nonce);
	if (!err)
		err = cmc_form_add(&form, "code_challenge", challenge);
	if (!err)
		err = cmc_form_add(&form, "code_challenge_method", "S256");
	if (!err)
		err = cmc_form_add(&form, "username", user);
	if (!err)
		err = cmc_form_add(&form, "password", password);
	if (err) {
		snprintf(eb, el, "login: cannot build the form");
		goto out;
	}
	err = cmc_http_post_form(h, i->authorize, form.p, &r, got, sizeof(got));
	memset(form.p, 0, form.len); /* the password */
	if (err) {
		snprintf(eb, el, "login: IdMS not reachable: %s", got);
		goto out;
	}
	page_says(&r.body, said, sizeof(said));
	if (r.status == 302 && r.location[0]) {
		query_get(r.location, "error", got, sizeof(got));
		if (got[0]) {
			query_get(r.location, "error_description", said, sizeof(said));
			snprintf(eb, el, "login: the IdMS refused the authorization: %s%s%s", got,
				 said[0] ? ": " : "", said);
			err = MCX_EAUTH;
			goto out;
		}
		query_get(r.location, "state", got, sizeof(got));
		if (strcmp(got, state)) {
			snprintf(eb, el, "login: the redirect's state is not ours");
			err = MCX_EAUTH;
			goto out;
		}
		query_get(r.location, "code", code, codelen);
		if (!code[0]) {
			snprintf(eb, el, "login: the redirect carries no code");
			err = MCX_EAUTH;
		}
		goto out;
	}
	err = MCX_EAUTH;
	if (r.status == 200)
		snprintf(eb, el, "login: refused by the IdMS: %s",
			 said[0] ? said : "the login page came back (wrong MCPTT ID or password)");
	else if (r.status == 429)
		snprintf(eb, el, "login: the IdMS answered 429: %s%s%s", said[0] ? said : "too many attempts",
			 r.retry_after[0] ? "; retry after (s) " : "", r.retry_after);
	else
		snprintf(eb, el, "login: the IdMS answered %ld: %s", r.status,
			 said[0] ? said : "(no explanation)");
out:
	buf_reset(&form);
	cmc_http_resp_free(&r);
	return err;
}

enum mcx_err cmc_login_password(struct cmc_http *h, const struct cmc_idms *i, const char *user,
				const char *password, struct cmc_tokens *t, char *eb, size_t el)
{
	char verifier[72], challenge[48], code[512], got[600];
	uint8_t md[32];
	struct cmc_http_resp r;
	struct mcx_buf form;
	enum mcx_err err;

	err = random_b64(verifier, 32);
	if (err) {
		snprintf(eb, el, "login: no randomness for PKCE");
		return err;
	}
	crypto_hash(MCX_HASH_SHA256, verifier, strlen(verifier), md);
	b64url_encode(md, sizeof(md), challenge);
	err = authorize(h, i, user, password, challenge, code, sizeof(code), eb, el);
	if (err)
		return err;
	buf_init(&form, 16 * 1024);
	cmc_http_resp_init(&r);
	err = cmc_form_add(&form, "grant_type", "authorization_code");
	if (!err)
		err = cmc_form_add(&form, "code", code);
	if (!err)
		err = cmc_form_add(&form, "redirect_uri", i->redirect_uri);
	if (!err)
		err = cmc_form_add(&form, "client_id", i->client_id);
	if (!err)
		err = cmc_form_add(&form, "code_verifier", verifier);
	if (!err)
		err = cmc_http_post_form(h, i->token, form.p, &r, got, sizeof(got));
	if (err)
		snprintf(eb, el, "token exchange: %s", got);
	else
		err = token_answer(&r, t, "token exchange", eb, el);
	buf_reset(&form);
	cmc_http_resp_free(&r);
	return err;
}

enum mcx_err cmc_login_refresh(struct cmc_http *h, const struct cmc_idms *i, const char *refresh,
			       struct cmc_tokens *t, char *eb, size_t el)
{
	struct cmc_http_resp r;
	struct mcx_buf form;
	char got[600];
	enum mcx_err err;

	buf_init(&form, 2 * CMC_MAX_TOKEN);
	cmc_http_resp_init(&r);
	err = cmc_form_add(&form, "grant_type", "refresh_token");
	if (!err)
		err = cmc_form_add(&form, "refresh_token", refresh);
	if (!err)
		err = cmc_form_add(&form, "client_id", i->client_id);
	if (!err) {
		err = cmc_http_post_form(h, i->token, form.p, &r, got, sizeof(got));
		if (err)
			snprintf(eb, el, "token refresh: IdMS not reachable: %s", got);
	} else {
		snprintf(eb, el, "token refresh: cannot build the form");
	}
	if (!err)
		err = token_answer(&r, t, "token refresh", eb, el);
	buf_reset(&form);
	cmc_http_resp_free(&r);
	return err;
}
