/* The IdMS front: opening and closing, request routing, the discovery document, the JWKS endpoint and response helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "core/mem.h"
#include "http/jwt.h"
#include "idms/idms_int.h"
#include "core/banned.h"

#define PATH_LEN_MAX 4096

int64_t idms_now(struct idms *i)
{
	return i->conf.clock ? i->conf.clock(i->conf.clock_arg) : (int64_t)time(NULL);
}

/* ---- responses ---- */

void idms_response_init(struct idms_response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	buf_init(&r->body, IDMS_BODY_MAX);
}

void idms_response_free(struct idms_response *r)
{
	buf_reset(&r->body);
}

void resp_header(struct idms_response *rs, const char *name, const char *value)
{
	if (rs->nheaders < IDMS_RESP_HEADERS_MAX) {
		rs->headers[rs->nheaders].name = name;
		rs->headers[rs->nheaders].value = value;
		rs->nheaders++;
	}
}

static void resp_clear(struct idms_response *rs)
{
	buf_reset(&rs->body);
	buf_init(&rs->body, IDMS_BODY_MAX);
	rs->location[0] = '\0';
	rs->www_authenticate[0] = '\0';
	rs->nheaders = 0;
}

void resp_fail(struct idms_response *rs, enum mcx_err err)
{
	resp_clear(rs);
	rs->status = err == MCX_ENOMEM || err == MCX_EBUSY || err == MCX_ELIMIT ? 503 : 500;
	rs->content_type = "application/json";
	rs->no_store = true;
	if (buf_adds(&rs->body, rs->status == 503 ? "{\"error\":\"temporarily_unavailable\"}"
				 : "{\"error\":\"server_error\"}"))
		buf_reset(&rs->body);
}

void resp_text(struct idms_response *rs, int status, const char *ctype, const char *text)
{
	resp_clear(rs);
	if (buf_adds(&rs->body, text)) {
		resp_fail(rs, MCX_ENOMEM);
		return;
	}
	rs->status = status;
	rs->content_type = ctype;
}

void resp_json(struct idms_response *rs, int status, const char *json)
{
	resp_text(rs, status, "application/json", json);
}

void resp_oauth_error(struct idms_response *rs, int status, const char *error, const char *desc)
{
	json_t *j = json_pack("{s:s}", "error", error);
	char *text = NULL;

	if (j && desc && json_object_set_new(j, "error_description", json_string(desc)))
		json_decref(j), j = NULL;
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		resp_fail(rs, MCX_ENOMEM);
		return;
	}
	resp_json(rs, status, text);
	free(text);
	rs->no_store = true;
}

bool is_form(const struct idms_request *rq)
{
	static const char form[] = "application/x-www-form-urlencoded";
	const char *ct = rq->content_type;
	size_t n = sizeof(form) - 1;

	return ct && !strncasecmp(ct, form, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

/* ---- discovery and keys ---- */

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t k;

	for (k = 0; a && k < n; k++)
		if (json_array_append_new(a, json_string(v[k]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

#define STRINGS(v) strings((v), sizeof(v) / sizeof((v)[0]))

static json_t *endpoints(struct idms *i)
{
	static const char *const names[] = { "authorization_endpoint", "token_endpoint",
		"jwks_uri", "userinfo_endpoint", "revocation_endpoint" };
	static const char *const paths[] = { "/authorize", "/token", "/jwks", "/userinfo",
		"/revoke" };
	json_t *d = json_pack("{s:s}", "issuer", i->conf.issuer);
	char url[PATH_LEN_MAX];
	size_t k;

	for (k = 0; d && k < sizeof(names) / sizeof(names[0]); k++) {
		snprintf(url, sizeof(url), "%s%s", i->conf.issuer, paths[k]);
		if (json_object_set_new(d, names[k], json_string(url))) {
			json_decref(d);
			d = NULL;
		}
	}
	return d;
}

static void discovery(struct idms *i, struct idms_response *rs)
{
	static const char *const code[] = { "code" };
	static const char *const grants[] = { "authorization_code", "refresh_token" };
	static const char *const s256[] = { "S256" };
	static const char *const none[] = { "none" };
	static const char *const query[] = { "query" };
	static const char *const pub[] = { "public" };
	static const char *const claims[] = { "iss", "sub", "aud", "exp", "iat", "auth_time",
		"nonce", "azp", "mcptt_id" };
	unsigned scopes[] = { SCOPE_OPENID, SCOPE_PTT, SCOPE_CMS, SCOPE_GMS, SCOPE_KMS };
	const char *names[5], *alg[1];
	json_t *d = endpoints(i);
	char *text;
	size_t k;

	for (k = 0; k < 5; k++)
		names[k] = scope_name(scopes[k]);
	alg[0] = keys_alg(i);
	if (d && json_object_update_new(d, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
						     " s:o, s:o, s:b, s:b, s:b}",
		"response_types_supported", STRINGS(code), "grant_types_supported", STRINGS(grants),
		"code_challenge_methods_supported", STRINGS(s256),
		"id_token_signing_alg_values_supported", STRINGS(alg),
		"scopes_supported", STRINGS(names), "token_endpoint_auth_methods_supported",
		STRINGS(none), "revocation_endpoint_auth_methods_supported", STRINGS(none),
		"response_modes_supported", STRINGS(query), "subject_types_supported", STRINGS(pub),
		"claims_supported", STRINGS(claims), "ui_locales_supported", json_pack("[s]", "en"),
		"authorization_response_iss_parameter_supported", 1,
		"request_parameter_supported", 0, "claims_parameter_supported", 0))) {
		json_decref(d);
		d = NULL;
	}
	text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	if (!text) {
		resp_fail(rs, MCX_ENOMEM);
		return;
	}
	resp_json(rs, 200, text);
	free(text);
	resp_header(rs, "Cache-Control", "public, max-age=3600");
}

static void jwks_endpoint(struct idms *i, struct idms_response *rs)
{
	enum mcx_err err;

	resp_clear(rs);
	err = keys_jwks_json(i, &rs->body);
	if (err) {
		resp_fail(rs, err);
		return;
	}
	rs->status = 200;
	rs->content_type = "application/jwk-set+json";
	/* short: a rotation must reach the resource servers well within the grace */
	resp_header(rs, "Cache-Control", "public, max-age=300");
}

/* ---- routing ---- */

static void not_allowed(struct idms_response *rs, const char *allow)
{
	resp_oauth_error(rs, 405, "invalid_request", "method not allowed");
	resp_header(rs, "Allow", allow);
}

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

void idms_handle(struct idms *i, const struct idms_request *rq, struct idms_response *rs)
{
	const char *p = rq->path ? rq->path : "";
	bool get = is(rq->method, "GET"), post = is(rq->method, "POST");

	if (!strcmp(p, "/.well-known/openid-configuration")) {
		if (get)
			discovery(i, rs);
		else
			not_allowed(rs, "GET");
	} else if (!strcmp(p, "/authorize")) {
		if (get)
			authorize_get(i, rq, rs);
		else if (post)
			authorize_post(i, rq, rs);
		else
			not_allowed(rs, "GET, POST");
	} else if (!strcmp(p, "/token")) {
		if (post)
			token_endpoint(i, rq, rs);
		else
			not_allowed(rs, "POST");
	} else if (!strcmp(p, "/jwks")) {
		if (get)
			jwks_endpoint(i, rs);
		else
			not_allowed(rs, "GET");
	} else if (!strcmp(p, "/userinfo")) {
		if (get || post)
			userinfo_endpoint(i, rq, rs);
		else
			not_allowed(rs, "GET, POST");
	} else if (!strcmp(p, "/revoke")) {
		if (post)
			revoke_endpoint(i, rq, rs);
		else
			not_allowed(rs, "POST");
	} else {
		resp_oauth_error(rs, 404, "invalid_request", "no such endpoint");
	}
}

/* ---- open and close ---- */

static enum mcx_err conf_copy(struct idms_conf *dst, const struct idms_conf *src)
{
	const char **strs[] = { &dst->issuer, &dst->path, &dst->data_dir, &dst->key_alg,
				&dst->audiences, &dst->audit_log, &dst->clients };
	size_t k;

	*dst = *src;
	for (k = 0; k < sizeof(strs) / sizeof(strs[0]); k++) {
		if (!*strs[k])
			continue;
		*strs[k] = mcx_strdup(*strs[k]);
		if (!*strs[k]) {
			for (; k < sizeof(strs) / sizeof(strs[0]); k++)
				*strs[k] = NULL;
			return MCX_ENOMEM;
		}
	}
	return MCX_OK;
}

static void conf_release(struct idms_conf *c)
{
	mcx_free((char *)c->issuer);
	mcx_free((char *)c->path);
	mcx_free((char *)c->data_dir);
	mcx_free((char *)c->key_alg);
	mcx_free((char *)c->audiences);
	mcx_free((char *)c->audit_log);
	mcx_free((char *)c->clients);
}

static void defaults(struct idms_conf *c)
{
	if (!c->code_ttl)
		c->code_ttl = IDMS_DEF_CODE_TTL;
	if (!c->access_ttl)
		c->access_ttl = IDMS_DEF_ACCESS_TTL;
	if (!c->id_ttl)
		c->id_ttl = IDMS_DEF_ID_TTL;
	if (!c->refresh_ttl)
		c->refresh_ttl = IDMS_DEF_REFRESH_TTL;
	if (!c->key_grace)
		c->key_grace = IDMS_DEF_KEY_GRACE;
	if (!c->max_failures)
		c->max_failures = IDMS_DEF_MAX_FAILURES;
	if (!c->lockout)
		c->lockout = IDMS_DEF_LOCKOUT;
}

static enum mcx_err conf_check(const struct idms_conf *c, char *errbuf, size_t errlen)
{
	size_t n = c->issuer ? strlen(c->issuer) : 0;
	const char *alg = c->key_alg;

	if (!n || n > IDMS_ISSUER_MAX || c->issuer[n - 1] == '/' ||
	    (strncmp(c->issuer, "https://", 8) && strncmp(c->issuer, "http://", 7))) {
		snprintf(errbuf, errlen, "issuer: an http(s) URL of at most %d bytes without a "
			 "trailing '/' is required", IDMS_ISSUER_MAX);
		return MCX_EINVAL;
	}
	if (!c->data_dir || !*c->data_dir) {
		snprintf(errbuf, errlen, "data directory: required");
		return MCX_EINVAL;
	}
	if (alg && *alg && strcmp(alg, "ES256") && strcmp(alg, "RS256")) {
		snprintf(errbuf, errlen, "key-alg: ES256 or RS256, not %s", alg);
		return MCX_EINVAL;
	}
	if (c->code_ttl < 0 || c->access_ttl < 0 || c->id_ttl < 0 || c->refresh_ttl < 0 ||
	    c->key_grace < 0 || c->max_failures < 0 || c->lockout < 0) {
		snprintf(errbuf, errlen, "lifetimes and limits must not be negative");
		return MCX_EINVAL;
	}
	return MCX_OK;
}

static enum mcx_err dir_setup(struct idms *i, char *errbuf, size_t errlen)
{
	char path[PATH_LEN_MAX];
	int n = snprintf(path, sizeof(path), "%s/idms", i->conf.data_dir);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(errbuf, errlen, "data directory path too long");
		return MCX_ELIMIT;
	}
	if (mkdir(i->conf.data_dir, 0700) && errno != EEXIST) {
		snprintf(errbuf, errlen, "%s: %s", i->conf.data_dir, strerror(errno));
		return MCX_EIO;
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return MCX_EIO;
	}
	i->dir = mcx_strdup(path);
	return i->dir ? MCX_OK : MCX_ENOMEM;
}

static enum mcx_err parts_open(struct idms *i, char *errbuf, size_t errlen)
{
	char path[PATH_LEN_MAX];
	enum mcx_err err;

	err = dir_setup(i, errbuf, errlen);
	if (!err)
		err = keys_open(i, errbuf, errlen);
	if (!err) {
		snprintf(path, sizeof(path), "%s/idms.db", i->dir);
		err = db_open(&i->db, path, errbuf, errlen);
	}
	if (!err)
		err = clients_parse(&i->clients, i->conf.clients, errbuf, errlen);
	if (!err)
		err = audit_open(&i->aud, i->conf.audit_log, errbuf, errlen);
	return err;
}

enum mcx_err idms_open(struct idms **ip, const struct idms_conf *c, struct mcx_store *st,
		       char *errbuf, size_t errlen)
{
	struct idms *i;
	enum mcx_err err;

	if (!ip || !c || !st)
		return MCX_EINVAL;
	err = conf_check(c, errbuf, errlen);
	if (err)
		return err;
	i = mcx_calloc(1, sizeof(*i));
	if (!i)
		return MCX_ENOMEM;
	err = conf_copy(&i->conf, c);
	if (!err && (!i->conf.key_alg || !*i->conf.key_alg)) {
		mcx_free((char *)i->conf.key_alg);
		i->conf.key_alg = mcx_strdup("ES256");
		err = i->conf.key_alg ? MCX_OK : MCX_ENOMEM;
	}
	defaults(&i->conf);
	i->st = st;
	pthread_mutex_init(&i->pw_lock, NULL);
	codes_init(&i->codes);
	throttle_init(&i->thr);
	if (!err)
		err = parts_open(i, errbuf, errlen);
	if (err) {
		if (err == MCX_ENOMEM)
			snprintf(errbuf, errlen, "out of memory");
		idms_close(i);
		return err;
	}
	if (i->conf.key_grace < i->conf.access_ttl || i->conf.key_grace < i->conf.id_ttl)
		log_warn("key-grace %llds is shorter than the token lifetimes: tokens signed with "
			 "a rotated-out key stop verifying before they expire", i->conf.key_grace);
	log_info("IdMS %s: %zu configured client(s), %s keys", i->conf.issuer, i->clients.n,
		 i->conf.key_alg);
	*ip = i;
	return MCX_OK;
}

void idms_close(struct idms *i)
{
	if (!i)
		return;
	if (i->aud.f || i->aud.off)
		audit_close(&i->aud);
	clients_free(&i->clients);
	if (i->db.db)
		db_close(&i->db);
	if (i->keys.dir)
		keys_close(&i->keys);
	codes_free(&i->codes);
	throttle_free(&i->thr);
	pthread_mutex_destroy(&i->pw_lock);
	mcx_free(i->pw_dummy);
	mcx_free(i->dir);
	conf_release(&i->conf);
	mcx_free(i);
}

bool idms_token_revoked(struct idms *i, const char *jti)
{
	return !i || !jti || db_access_revoked(&i->db, jti);
}
