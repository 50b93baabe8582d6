/* Unit tests: JWKS parsing, JWT signing and verification (src/http/jwt.c),
 * with a forged-token suite: each forgery names the check that stops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "test.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "http/jwt.h"

#define NOW       1700000000LL
#define ISS       "https://idms.example.org"
#define AUD       "mcptt-cms"
#define MCPTT     "sip:alice@example.org"
#define CMS_SCOPE "3gpp:mcptt:config_management_server"

/* ---- fixtures: keys generated once, kept as PEM (plain malloc) ---- */

enum { K_EC, K_EC_EVIL, K_RSA, K_RSA_EVIL, K_N };

static char *pem_cache[K_N];
static size_t pem_cache_len[K_N];

/* The PEM text of pk (PKCS#8, or the traditional form), malloc'd. */
static char *pem_write(EVP_PKEY *pk, bool traditional, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *p = NULL;
	long n;
	int ok;

	if (!bio)
		return NULL;
	ok = traditional ? PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &data);
	if (ok && n > 0 && (p = malloc((size_t)n + 1))) {
		memcpy(p, data, (size_t)n);
		p[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(bio);
	return p;
}

static const char *key_pem(int which, size_t *len)
{
	EVP_PKEY *pk;

	if (!pem_cache[which]) {
		pk = which == K_EC || which == K_EC_EVIL ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
		if (!pk)
			return NULL;
		/* the "evil" twins are written in the traditional format, to cover it */
		pem_cache[which] = pem_write(pk, which == K_EC_EVIL || which == K_RSA_EVIL,
					     &pem_cache_len[which]);
		EVP_PKEY_free(pk);
	}
	*len = pem_cache_len[which];
	return pem_cache[which];
}

static enum mcx_err key_load(int which, const char *kid, struct jwt_key **k)
{
	size_t len = 0;
	const char *pem = key_pem(which, &len);

	if (!pem)
		return MCX_EINTERNAL;
	return jwt_key_load_pem(k, pem, len, kid, NULL, 0);
}

/* {"keys":[jwk(a), jwk(b)]} parsed into *ks (b may be NULL). */
static enum mcx_err jwks_of(const struct jwt_key *a, const struct jwt_key *b, struct jwks **ks)
{
	struct mcx_buf doc;
	enum mcx_err err;

	buf_init(&doc, 64 * 1024);
	err = buf_adds(&doc, "{\"keys\":[");
	if (!err)
		err = jwt_key_public_jwk(a, &doc);
	if (!err && b)
		err = buf_adds(&doc, ",");
	if (!err && b)
		err = jwt_key_public_jwk(b, &doc);
	if (!err)
		err = buf_adds(&doc, "]}");
	if (!err)
		err = jwks_parse(ks, doc.p, doc.len, NULL, 0);
	buf_reset(&doc);
	return err;
}

struct fx {
	struct jwt_key *ec, *ec_evil, *rsa, *rsa_evil; /* evil: another key, same kid */
	struct jwks *ks;                                 /* public ec1 + rsa1 */
	struct jwt_expect ex;
	struct jwt_claims c;
	struct mcx_buf tok;
};

static void fx_close(struct fx *f)
{
	jwt_key_free(f->ec);
	jwt_key_free(f->ec_evil);
	jwt_key_free(f->rsa);
	jwt_key_free(f->rsa_evil);
	jwks_free(f->ks);
	buf_reset(&f->tok);
}

static enum mcx_err fx_open(struct fx *f)
{
	enum mcx_err err;

	memset(f, 0, sizeof(*f));
	buf_init(&f->tok, 64 * 1024);
	f->ex = (struct jwt_expect){ .iss = ISS, .aud = AUD, .now = NOW, .skew = 60 };
	err = key_load(K_EC, "ec1", &f->ec);
	if (!err)
		err = key_load(K_EC_EVIL, "ec1", &f->ec_evil);
	if (!err)
		err = key_load(K_RSA, "rsa1", &f->rsa);
	if (!err)
		err = key_load(K_RSA_EVIL, "rsa1", &f->rsa_evil);
	if (!err)
		err = jwks_of(f->ec, f->rsa, &f->ks);
	if (err)
		fx_close(f);
	return err;
}

/* Claims as raw JSON value texts; NULL leaves the claim out. */
struct cl {
	const char *iss, *sub, *aud, *exp, *nbf, *iat, *jti, *client_id, *mcptt_id, *scope;
	const char *extra; /* more members, verbatim */
};

#define CL_DEFAULT { .iss = "\"" ISS "\"", .sub = "\"alice\"", .aud = "\"" AUD "\"", \
	.exp = "1700000600", .iat = "1700000000", .jti = "\"j-1\"", \
	.client_id = "\"mcptt_client\"", .mcptt_id = "\"" MCPTT "\"", \
	.scope = "\"openid " CMS_SCOPE "\"" }

static const char *num(long long v)
{
	static char b[8][24];
	static int i;

	i = (i + 1) % 8;
	snprintf(b[i], sizeof(b[i]), "%lld", v);
	return b[i];
}

static const char *claims(const struct cl *c)
{
	static char b[80 * 1024];
	const char *name[] = { "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id",
			       "mcptt_id", "scope" };
	const char *val[] = { c->iss, c->sub, c->aud, c->exp, c->nbf, c->iat, c->jti,
			      c->client_id, c->mcptt_id, c->scope };
	size_t i, n = 1;

	b[0] = '{';
	for (i = 0; i < sizeof(name) / sizeof(name[0]); i++)
		if (val[i])
			n += (size_t)snprintf(b + n, sizeof(b) - n, "%s\"%s\":%s", n > 1 ? "," : "",
					      name[i], val[i]);
	if (c->extra)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%s", n > 1 ? "," : "", c->extra);
	snprintf(b + n, sizeof(b) - n, "}");
	return b;
}

/* f->tok = claims signed by k; the standard header unless hdr is given. */
static enum mcx_err mk(struct fx *f, const struct jwt_key *k, const char *hdr, const char *cl)
{
	f->tok.len = 0;
	if (hdr)
		return jwt_sign_raw(k, hdr, strlen(hdr), cl, strlen(cl), &f->tok);
	return jwt_sign(k, cl, &f->tok);
}

static enum mcx_err mk_cl(struct fx *f, const struct jwt_key *k, const struct cl *c)
{
	return mk(f, k, NULL, claims(c));
}

/* Verify an exact-size heap copy, so ASan sees any read past len. */
static enum jwt_result vfy(const struct jwks *ks, const char *tok, size_t len,
			   const struct jwt_expect *ex, struct jwt_claims *c)
{
	char *p = malloc(len ? len : 1);
	enum jwt_result r;

	if (!p)
		return JWT_MALFORMED;
	if (len)
		memcpy(p, tok, len);
	r = jwt_verify(ks, tok ? p : NULL, len, ex, c);
	free(p);
	return r;
}

static enum jwt_result vf(struct fx *f)
{
	return vfy(f->ks, f->tok.p, f->tok.len, &f->ex, &f->c);
}

static enum jwt_result vfs(struct fx *f, const char *tok)
{
	return vfy(f->ks, tok, strlen(tok), &f->ex, &f->c);
}

/* "b64(hdr).b64(payload)." + sig (already base64url) into out. */
static const char *unsigned_tok(char *out, size_t outlen, const char *hdr, const char *payload,
				const char *sig)
{
	char h[2048], p[8192];

	b64url_encode((const uint8_t *)hdr, strlen(hdr), h);
	b64url_encode((const uint8_t *)payload, strlen(payload), p);
	if (snprintf(out, outlen, "%s.%s.%s", h, p, sig) >= (int)outlen)
		out[0] = '\0'; /* too long for the test: make it plainly malformed */
	return out;
}

/* ---- valid tokens ---- */

static void jwt_es256_valid(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK_STR(t, f.c.mcptt_id, MCPTT);
	CHECK_STR(t, f.c.sub, "alice");
	CHECK_STR(t, f.c.iss, ISS);
	CHECK_STR(t, f.c.client_id, "mcptt_client");
	CHECK_STR(t, f.c.jti, "j-1");
	CHECK_STR(t, f.c.kid, "ec1");
	CHECK_STR(t, f.c.alg, "ES256");
	CHECK_STR(t, f.c.scope, "openid " CMS_SCOPE);
	CHECK_INT(t, f.c.exp, NOW + 600);
	CHECK_INT(t, f.c.iat, NOW);
	CHECK_INT(t, f.c.nbf, 0);
	CHECK(t, jwt_has_scope(&f.c, CMS_SCOPE));
	/* a signature is 64 raw bytes: 86 base64url characters */
	CHECK_INT(t, f.tok.len - (size_t)(strrchr(f.tok.p, '.') - f.tok.p) - 1, 86);
	fx_close(&f);
}

static void jwt_rs256_valid(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	c.nbf = "1699999990";
	CHECK_INT(t, fx_open(&f), MCX_OK);
	CHECK_INT(t, mk_cl(&f, f.rsa, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK_STR(t, f.c.mcptt_id, MCPTT);
	CHECK_STR(t, f.c.kid, "rsa1");
	CHECK_STR(t, f.c.alg, "RS256");
	CHECK_INT(t, f.c.nbf, NOW - 10);
	CHECK(t, jwt_has_scope(&f.c, "openid"));
	fx_close(&f);
}

/* ---- the forged-token suite ---- */

/* Check: the signature itself. Another key published under the same kid. */
static void jwt_forged_wrong_key(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	CHECK_INT(t, mk_cl(&f, f.ec_evil, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_SIGNATURE);
	CHECK(t, f.c.mcptt_id[0] == '\0'); /* nothing handed out on failure */
	CHECK_INT(t, mk_cl(&f, f.rsa_evil, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_SIGNATURE);
	fx_close(&f);
}

/* Check: alg allow-list. "none" in any spelling, with an empty signature. */
static void jwt_forged_alg_none(struct test_ctx *t)
{
	static const char *const hdr[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"ec1\"}",
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"NONE\"}",
	};
	struct cl c = CL_DEFAULT;
	char tok[8192];
	struct fx f;
	size_t i;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		CHECK_INT(t, vfs(&f, unsigned_tok(tok, sizeof(tok), hdr[i], claims(&c), "")),
			  JWT_BAD_ALG);
	fx_close(&f);
}

/* The HS256 token an attacker makes with secret as the HMAC key. */
static const char *hs256_tok(char *out, size_t outlen, const char *hdr, const char *payload,
			     const void *secret, size_t slen)
{
	uint8_t mac[32];
	char sig[64];
	const char *dot;

	unsigned_tok(out, outlen, hdr, payload, "");
	dot = strrchr(out, '.');
	crypto_hmac_sha256(secret, slen, out, (size_t)(dot - out), mac);
	b64url_encode(mac, sizeof(mac), sig);
	snprintf(out + strlen(out), outlen - strlen(out), "%s", sig);
	return out;
}

/* Check: alg allow-list (no HMAC at all). The classic RS256 -> HS256
 * confusion: the public key's PEM, and its JWK, as the HMAC secret. */
static void jwt_forged_hs256_confusion(struct test_ctx *t)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}";
	struct cl c = CL_DEFAULT;
	struct mcx_buf jwk;
	char tok[8192], *pub;
	EVP_PKEY *pk;
	size_t plen;
	BIO *bio;
	long n;

	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	pub = (char *)key_pem(K_RSA, &plen);
	bio = BIO_new_mem_buf(pub, (int)plen);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	CHECK(t, pk != NULL);
	bio = BIO_new(BIO_s_mem());
	CHECK(t, PEM_write_bio_PUBKEY(bio, pk) == 1);
	n = BIO_get_mem_data(bio, &pub);
	CHECK(t, n > 0 && !memcmp(pub, "-----BEGIN PUBLIC KEY-----", 26));
	CHECK_INT(t, vfs(&f, hs256_tok(tok, sizeof(tok), hdr, claims(&c), pub, (size_t)n)),
		  JWT_BAD_ALG);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	buf_init(&jwk, 8192);
	CHECK_INT(t, jwt_key_public_jwk(f.rsa, &jwk), MCX_OK);
	CHECK_INT(t, vfs(&f, hs256_tok(tok, sizeof(tok), hdr, claims(&c), jwk.p, jwk.len)),
		  JWT_BAD_ALG);
	CHECK_INT(t, vfs(&f, hs256_tok(tok, sizeof(tok), "{\"alg\":\"HS256\"}", claims(&c),
				       jwk.p, jwk.len)), JWT_BAD_ALG);
	buf_reset(&jwk);
	fx_close(&f);
}

/* Check: the key's type must match the alg. ES256 naming an RSA kid (and
 * the reverse); without the check these would be BAD_SIGNATURE at best. */
static void jwt_forged_alg_key_mismatch(struct test_ctx *t)
{
	static const char es_rsa[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}";
	static const char rs_ec[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"ec1\"}";
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	CHECK_INT(t, mk(&f, f.ec, es_rsa, claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_ALG);
	CHECK_INT(t, mk(&f, f.rsa, rs_ec, claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_ALG);
	fx_close(&f);
}

/* Check: alg allow-list is exact (ES256, RS256 only). */
static void jwt_forged_other_algs(struct test_ctx *t)
{
	static const char *const alg[] = { "PS256", "ES384", "RS512", "es256", "ES256 ",
					   "EdDSA", "HS512", "", "ES256ES256ES256ES256" };
	struct cl c = CL_DEFAULT;
	char hdr[128];
	struct fx f;
	size_t i;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	for (i = 0; i < sizeof(alg) / sizeof(alg[0]); i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"ec1\"}", alg[i]);
		CHECK_INT(t, mk(&f, f.ec, hdr, claims(&c)), MCX_OK);
		CHECK_INT(t, vf(&f), JWT_BAD_ALG);
	}
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":256,\"kid\":\"ec1\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	CHECK_INT(t, mk(&f, f.ec, "{\"kid\":\"ec1\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	fx_close(&f);
}

/* Check: exp > now - skew. */
static void jwt_forged_expired(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.exp = num(NOW - 3600);
	c.iat = num(NOW - 7200);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_EXPIRED);
	c.exp = num(NOW - 60); /* exactly now - skew: expired */
	CHECK_INT(t, mk_cl(&f, f.rsa, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_EXPIRED);
	c.exp = NULL; /* exp is required */
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	fx_close(&f);
}

/* The skew works both ways, and only as far as configured. */
static void jwt_expired_within_skew(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.exp = num(NOW - 30);
	c.iat = num(NOW - 600);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	c.exp = num(NOW - 59);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	f.ex.skew = 0;
	CHECK_INT(t, vf(&f), JWT_EXPIRED);
	f.ex.skew = -1000; /* a negative skew counts as none */
	CHECK_INT(t, vf(&f), JWT_EXPIRED);
	fx_close(&f);
}

/* Check: nbf <= now + skew. */
static void jwt_forged_not_yet_valid(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.nbf = num(NOW + 3600);
	c.exp = num(NOW + 7200);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_NOT_YET_VALID);
	c.nbf = num(NOW + 61);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_NOT_YET_VALID);
	c.nbf = num(NOW + 60);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	fx_close(&f);
}

/* Check: iat <= now + skew. */
static void jwt_forged_iat_future(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.iat = num(NOW + 3600);
	c.exp = num(NOW + 7200);
	CHECK_INT(t, mk_cl(&f, f.rsa, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_NOT_YET_VALID);
	c.iat = num(NOW + 30);
	CHECK_INT(t, mk_cl(&f, f.rsa, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	fx_close(&f);
}

/* Check: iss equals the expected issuer. */
static void jwt_forged_wrong_issuer(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.iss = "\"https://idms.evil.example\"";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_ISSUER);
	c.iss = "\"https://idms.example.org/\""; /* not a prefix match either way */
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_ISSUER);
	c.iss = NULL;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_ISSUER);
	f.ex.iss = NULL; /* any issuer */
	CHECK_INT(t, vf(&f), JWT_OK);
	c.iss = "[\"" ISS "\"]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	fx_close(&f);
}

/* Check: aud (string form) contains the expected audience. */
static void jwt_forged_wrong_audience(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.aud = "\"mcptt-gms\"";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_AUDIENCE);
	c.aud = NULL;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_AUDIENCE);
	f.ex.aud = NULL;
	CHECK_INT(t, vf(&f), JWT_OK);
	fx_close(&f);
}

/* Check: aud (array form) contains the expected audience. */
static void jwt_forged_wrong_audience_array(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.aud = "[\"mcptt-gms\",\"mcptt-kms\"]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_AUDIENCE);
	c.aud = "[]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_AUDIENCE);
	c.aud = "[\"mcptt-gms\",\"" AUD "\"]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	c.aud = "[\"" AUD "\",7]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.aud = "{\"" AUD "\":1}";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	fx_close(&f);
}

/* Check: mcptt_id is a non-empty string (TS 33.179 B.1.1: REQUIRED). */
static void jwt_forged_no_mcptt_id(struct test_ctx *t)
{
	static const char *const bad[] = { NULL, "\"\"", "42", "null", "[\"" MCPTT "\"]" };
	struct cl c = CL_DEFAULT;
	struct fx f;
	size_t i;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.mcptt_id = bad[i];
		CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
		CHECK_INT(t, vf(&f), JWT_NO_MCPTT_ID);
	}
	fx_close(&f);
}

/* Check: bounds. Every prefix of a valid token: never OK, never a crash. */
static void jwt_forged_truncated(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;
	size_t n;
	int which;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	for (which = 0; which < 2; which++) {
		CHECK_INT(t, mk_cl(&f, which ? f.rsa : f.ec, &c), MCX_OK);
		CHECK_INT(t, vf(&f), JWT_OK);
		for (n = 0; n < f.tok.len; n++)
			CHECK(t, vfy(f.ks, f.tok.p, n, &f.ex, &f.c) != JWT_OK);
	}
	fx_close(&f);
}

/* Check: max_len. A validly signed token one byte too long is refused. */
static void jwt_forged_oversized(struct test_ctx *t)
{
	char pad[8192];
	struct cl c = CL_DEFAULT;
	struct fx f;
	size_t len;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	memset(pad, 'a', sizeof(pad));
	memcpy(pad, "\"pad\":\"", 7);
	pad[sizeof(pad) - 2] = '"';
	pad[sizeof(pad) - 1] = '\0';
	c.extra = pad;
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", claims(&c)), MCX_OK);
	CHECK(t, f.tok.len > JWT_MAX_LEN);
	CHECK_INT(t, vf(&f), JWT_TOO_LARGE);
	f.ex.max_len = 100 * 1024; /* values past JWT_MAX_LEN are clamped */
	CHECK_INT(t, vf(&f), JWT_TOO_LARGE);
	c.extra = NULL;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	len = f.tok.len;
	f.ex.max_len = len - 1;
	CHECK_INT(t, vf(&f), JWT_TOO_LARGE);
	f.ex.max_len = len;
	CHECK_INT(t, vf(&f), JWT_OK);
	/* jwt_sign itself refuses to produce what jwt_verify would refuse */
	c.extra = pad;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_ELIMIT);
	fx_close(&f);
}

/* Flip payload character i to another base64url character. */
static char flip(char ch)
{
	return ch == 'A' ? 'B' : 'A';
}

/* Check: the signature covers the payload. Every payload character changed
 * (the last one keeps the encoding canonical only for some flips, so it is
 * left out). */
static void jwt_forged_tampered(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	size_t i, p0, p1;
	struct fx f;
	int which;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	for (which = 0; which < 2; which++) {
		CHECK_INT(t, mk_cl(&f, which ? f.rsa : f.ec, &c), MCX_OK);
		p0 = (size_t)(strchr(f.tok.p, '.') - f.tok.p) + 1;
		p1 = (size_t)(strrchr(f.tok.p, '.') - f.tok.p);
		for (i = p0; i + 1 < p1; i++) {
			char save = f.tok.p[i];

			f.tok.p[i] = flip(save);
			CHECK_INT(t, vf(&f), JWT_BAD_SIGNATURE);
			f.tok.p[i] = save;
		}
		/* and a signature byte */
		f.tok.p[p1 + 5] = flip(f.tok.p[p1 + 5]);
		CHECK_INT(t, vf(&f), JWT_BAD_SIGNATURE);
	}
	fx_close(&f);
}

/* Check: ES256 r and s must be in range: the all-zero "psychic signature"
 * (CVE-2022-21449), and signatures of the wrong length. */
static void jwt_forged_zero_signature(struct test_ctx *t)
{
	static const char hdr[] = "{\"alg\":\"ES256\",\"kid\":\"ec1\"}";
	uint8_t raw[65];
	char sig[128], tok[8192];
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	memset(raw, 0, sizeof(raw));
	b64url_encode(raw, 64, sig);
	CHECK_INT(t, vfs(&f, unsigned_tok(tok, sizeof(tok), hdr, claims(&c), sig)),
		  JWT_BAD_SIGNATURE);
	b64url_encode(raw, 65, sig);
	CHECK_INT(t, vfs(&f, unsigned_tok(tok, sizeof(tok), hdr, claims(&c), sig)),
		  JWT_BAD_SIGNATURE);
	CHECK_INT(t, vfs(&f, unsigned_tok(tok, sizeof(tok), hdr, claims(&c), "")),
		  JWT_BAD_SIGNATURE);
	/* a good signature with a byte appended, or with its last byte cut */
	CHECK_INT(t, mk(&f, f.ec, hdr, claims(&c)), MCX_OK);
	CHECK_INT(t, b64url_decode(strrchr(f.tok.p, '.') + 1, 86, raw, sizeof(raw)), 64);
	raw[64] = 0x01;
	b64url_encode(raw, 65, sig);
	snprintf(tok, sizeof(tok), "%.*s.%s", (int)(strrchr(f.tok.p, '.') - f.tok.p), f.tok.p, sig);
	CHECK_INT(t, vfs(&f, tok), JWT_BAD_SIGNATURE);
	b64url_encode(raw, 63, sig);
	snprintf(tok, sizeof(tok), "%.*s.%s", (int)(strrchr(f.tok.p, '.') - f.tok.p), f.tok.p, sig);
	CHECK_INT(t, vfs(&f, tok), JWT_BAD_SIGNATURE);
	fx_close(&f);
}

/* Check: the kid must be in the set; no kid picks only an unambiguous key. */
static void jwt_forged_unknown_kid(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct jwks *two = NULL;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec2\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_UNKNOWN_KEY);
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_UNKNOWN_KEY);
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":1}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	/* no kid: the one EC key of the set */
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK_STR(t, f.c.kid, "ec1");
	/* no kid and two EC keys: ambiguous */
	jwt_key_free(f.ec_evil);
	f.ec_evil = NULL;
	CHECK_INT(t, key_load(K_EC_EVIL, "ec2", &f.ec_evil), MCX_OK);
	CHECK_INT(t, jwks_of(f.ec, f.ec_evil, &two), MCX_OK);
	CHECK_INT(t, vfy(two, f.tok.p, f.tok.len, &f.ex, &f.c), JWT_UNKNOWN_KEY);
	jwks_free(two);
	fx_close(&f);
}

/* Check: embedded keys (jwk / jku / x5u header members) are never trusted. */
static void jwt_forged_embedded_jwk(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct mcx_buf hdr;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	buf_init(&hdr, 8192);
	CHECK_INT(t, buf_adds(&hdr, "{\"alg\":\"ES256\",\"kid\":\"evil\",\"jku\":\"https://evil/\","
			      "\"jwk\":"), MCX_OK);
	CHECK_INT(t, jwt_key_public_jwk(f.ec_evil, &hdr), MCX_OK);
	CHECK_INT(t, buf_adds(&hdr, "}"), MCX_OK);
	CHECK_INT(t, mk(&f, f.ec_evil, hdr.p, claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_UNKNOWN_KEY);
	memcpy(strstr(hdr.p, "\"evil\""), "\"ec1\" ", 6);
	CHECK_INT(t, mk(&f, f.ec_evil, hdr.p, claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_BAD_SIGNATURE);
	buf_reset(&hdr);
	fx_close(&f);
}

/* Check: duplicate members (JSON_REJECT_DUPLICATES) in the claims and header. */
static void jwt_forged_duplicate_claims(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.extra = "\"mcptt_id\":\"sip:admin@example.org\"";
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_EINVAL); /* jwt_sign will not make one */
	c.extra = "\"exp\":4102444800";
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.extra = NULL;
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\",\"alg\":\"none\"}",
			claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	fx_close(&f);
}

/* ---- claims ---- */

static void jwt_scope_forms(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	c.scope = "\"openid  " CMS_SCOPE " 3gpp:mcptt:group_management_server\"";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK(t, jwt_has_scope(&f.c, CMS_SCOPE));
	CHECK(t, jwt_has_scope(&f.c, "3gpp:mcptt:group_management_server"));
	CHECK(t, jwt_has_scope(&f.c, "openid"));
	CHECK(t, !jwt_has_scope(&f.c, "3gpp:mcptt:config"));
	CHECK(t, !jwt_has_scope(&f.c, "3gpp:mcptt:config_management_server2"));
	CHECK(t, !jwt_has_scope(&f.c, "config_management_server"));
	CHECK(t, !jwt_has_scope(&f.c, ""));
	CHECK(t, !jwt_has_scope(&f.c, " "));
	CHECK(t, !jwt_has_scope(&f.c, NULL));
	c.scope = "[\"openid\",\"" CMS_SCOPE "\"]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK_STR(t, f.c.scope, "openid " CMS_SCOPE);
	CHECK(t, jwt_has_scope(&f.c, CMS_SCOPE));
	CHECK(t, !jwt_has_scope(&f.c, "3gpp:mcptt:config"));
	CHECK(t, !jwt_has_scope(&f.c, "openid " CMS_SCOPE));
	c.scope = "[\"openid " CMS_SCOPE "\"]"; /* a space inside an array token */
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.scope = "[\"openid\",5]";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.scope = NULL;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK(t, !jwt_has_scope(&f.c, CMS_SCOPE));
	fx_close(&f);
}

static void jwt_numeric_claims(struct test_ctx *t)
{
	static const char *const bad[] = { "\"1700000600\"", "1700000600.5", "-1", "true",
					   "1e300", "253402300800", "null", "[1700000600]" };
	struct cl c = CL_DEFAULT;
	struct fx f;
	size_t i;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.exp = bad[i];
		CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
		CHECK_INT(t, vf(&f), JWT_MALFORMED);
	}
	c.exp = "1700000600.0";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK_INT(t, f.c.exp, NOW + 600);
	c.exp = "1.7000006e9";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	c.iat = "-5";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.iat = "1700000000";
	c.nbf = "\"now\"";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.nbf = "99999999999999999999999"; /* past json_int_t: invalid JSON for jansson */
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\"}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	/* times near the limits do not overflow */
	c.nbf = NULL;
	c.exp = "253402300799";
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	f.ex.now = INT64_MAX;
	f.ex.skew = INT64_MAX;
	CHECK_INT(t, vf(&f), JWT_EXPIRED);
	f.ex.now = INT64_MIN;
	CHECK_INT(t, vf(&f), JWT_NOT_YET_VALID);
	fx_close(&f);
}

/* Claims longer than their field are refused, never truncated. */
static void jwt_claim_too_long(struct test_ctx *t)
{
	char v[JWT_SCOPE_MAX + 8];
	struct cl c = CL_DEFAULT;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	v[0] = '"';
	memset(v + 1, 'x', JWT_CLAIM_MAX - 1);
	v[JWT_CLAIM_MAX] = '"';
	v[JWT_CLAIM_MAX + 1] = '\0';
	c.sub = v; /* 255 bytes: fits */
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_OK);
	CHECK_INT(t, strlen(f.c.sub), JWT_CLAIM_MAX - 1);
	v[JWT_CLAIM_MAX] = 'x';
	v[JWT_CLAIM_MAX + 1] = '"';
	v[JWT_CLAIM_MAX + 2] = '\0';
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.sub = "\"alice\"";
	c.mcptt_id = v;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.mcptt_id = "\"" MCPTT "\"";
	c.jti = v;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	c.jti = NULL;
	memset(v + 1, 'x', JWT_SCOPE_MAX);
	v[JWT_SCOPE_MAX + 1] = '"';
	v[JWT_SCOPE_MAX + 2] = '\0';
	c.scope = v;
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	fx_close(&f);
}

/* Not the compact serialization, or not canonical base64url. */
static void jwt_malformed_structure(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	char tok[8192], alt[8192], *p = NULL;
	struct fx f;
	size_t n;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
	snprintf(tok, sizeof(tok), "%s", f.tok.p);
	n = strlen(tok);
	CHECK_INT(t, vfs(&f, "..."), JWT_MALFORMED);
	CHECK_INT(t, vfs(&f, ".."), JWT_MALFORMED);
	CHECK_INT(t, vfs(&f, ""), JWT_MALFORMED);
	CHECK_INT(t, vfy(f.ks, NULL, 0, &f.ex, &f.c), JWT_MALFORMED);
	CHECK_INT(t, vfy(NULL, tok, n, &f.ex, &f.c), JWT_MALFORMED);
	CHECK_INT(t, jwt_verify(f.ks, tok, n, NULL, NULL), JWT_MALFORMED);
	CHECK_INT(t, jwt_verify(f.ks, tok, n, &f.ex, NULL), JWT_OK);
	CHECK(t, n + 2 < sizeof(alt));
	memcpy(alt, tok, n);
	memcpy(alt + n, ".", 2);
	CHECK_INT(t, vfs(&f, alt), JWT_MALFORMED);
	alt[n] = '=';
	CHECK_INT(t, vfs(&f, alt), JWT_MALFORMED);
	alt[0] = ' ';
	memcpy(alt + 1, tok, n + 1);
	CHECK_INT(t, vfs(&f, alt), JWT_MALFORMED);
	snprintf(alt, sizeof(alt), "%s", tok);
	*strchr(alt, '.') = '+';
	CHECK_INT(t, vfs(&f, alt), JWT_MALFORMED);
	CHECK_INT(t, vfs(&f, strchr(tok, '.')), JWT_MALFORMED); /* empty header */
	/* a NUL inside the token is not base64url */
	memcpy(alt, tok, n);
	alt[10] = '\0';
	CHECK_INT(t, vfy(f.ks, alt, n, &f.ex, &f.c), JWT_MALFORMED);
	/* header not an object, not JSON, or with a critical extension */
	CHECK_INT(t, vfs(&f, unsigned_tok(alt, sizeof(alt), "[\"ES256\"]", "{}", "")),
		  JWT_MALFORMED);
	CHECK_INT(t, vfs(&f, unsigned_tok(alt, sizeof(alt), "{\"alg\":\"ES256\"", "{}", "")),
		  JWT_MALFORMED);
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\",\"crit\":[\"exp\"],"
			"\"exp\":1}", claims(&c)), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":7}", claims(&c)),
		  MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	/* payload not an object, or not JSON (after a good signature) */
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", "[1,2]"), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	CHECK_INT(t, mk(&f, f.ec, "{\"alg\":\"ES256\",\"kid\":\"ec1\"}", "{\"a\":1} x"), MCX_OK);
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	/* the standard alphabet decodes to the same signature: still refused */
	for (n = 0; n < 100; n++) {
		CHECK_INT(t, mk_cl(&f, f.ec, &c), MCX_OK);
		CHECK_INT(t, vf(&f), JWT_OK);
		p = strpbrk(strrchr(f.tok.p, '.'), "-_");
		if (p)
			break;
	}
	CHECK(t, p != NULL);
	*p = *p == '-' ? '+' : '/';
	CHECK_INT(t, vf(&f), JWT_MALFORMED);
	CHECK_INT(t, jwt_sign(f.ec, "{\"a\":", &f.tok), MCX_EINVAL);
	CHECK_INT(t, jwt_sign(f.ec, "[]", &f.tok), MCX_EINVAL);
	CHECK_STR(t, jwt_result_str(JWT_BAD_ALG), "algorithm not accepted");
	CHECK_STR(t, jwt_result_str((enum jwt_result)99), "unknown result");
	fx_close(&f);
}

/* Output goes after what the buffer holds, and a failure leaves it as it was. */
static void jwt_sign_appends(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct mcx_buf b;
	struct fx f;

	CHECK_INT(t, fx_open(&f), MCX_OK);
	buf_init(&b, 200);
	CHECK_INT(t, buf_adds(&b, "Bearer "), MCX_OK);
	CHECK_INT(t, jwt_sign(f.ec, claims(&c), &b), MCX_ELIMIT);
	CHECK_STR(t, b.p, "Bearer ");
	CHECK_INT(t, jwt_key_public_jwk(f.rsa, &b), MCX_ELIMIT);
	CHECK_STR(t, b.p, "Bearer ");
	buf_reset(&b);
	buf_init(&b, 4096);
	CHECK_INT(t, buf_adds(&b, "Bearer "), MCX_OK);
	CHECK_INT(t, jwt_sign(f.rsa, claims(&c), &b), MCX_OK);
	CHECK(t, !strncmp(b.p, "Bearer ey", 9));
	CHECK_INT(t, vfy(f.ks, b.p + 7, b.len - 7, &f.ex, &f.c), JWT_OK);
	buf_reset(&b);
	fx_close(&f);
}

/* ---- keys ---- */

static void jwt_key_load(struct test_ctx *t)
{
	struct jwt_key *k = NULL;
	struct mcx_buf jwk;

	/* PKCS#8 and traditional, EC and RSA */
	CHECK_INT(t, key_load(K_EC, "a", &k), MCX_OK);
	jwt_key_free(k);
	CHECK_INT(t, key_load(K_RSA_EVIL, "a", &k), MCX_OK);
	jwt_key_free(k);
	/* the JWK, with a kid that needs escaping */
	CHECK_INT(t, key_load(K_EC, "a\"b\\c\n", &k), MCX_OK);
	buf_init(&jwk, 4096);
	CHECK_INT(t, jwt_key_public_jwk(k, &jwk), MCX_OK);
	CHECK(t, !strncmp(jwk.p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"", 31));
	CHECK(t, strstr(jwk.p, "\"kid\":\"a\\u0022b\\u005cc\\u000a\",\"alg\":\"ES256\","
			"\"use\":\"sig\"}"));
	buf_reset(&jwk);
	jwt_key_free(k);
}

/* The RFC 7638 thumbprint of a JWK (EC or RSA), computed here from its text. */
static void thumbprint_of(const char *jwk, char tp[64])
{
	json_t *j = json_loads(jwk, 0, NULL);
	const char *x = json_string_value(json_object_get(j, "x"));
	const char *y = json_string_value(json_object_get(j, "y"));
	const char *n = json_string_value(json_object_get(j, "n"));
	const char *e = json_string_value(json_object_get(j, "e"));
	char canon[1024];
	uint8_t md[32];
	int len;

	if (x && y)
		len = snprintf(canon, sizeof(canon), "{\"crv\":\"P-256\",\"kty\":\"EC\","
			       "\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	else
		len = snprintf(canon, sizeof(canon), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
			       e ? e : "", n ? n : "");
	crypto_hash(MCX_HASH_SHA256, canon, (size_t)len, md);
	b64url_encode(md, sizeof(md), tp);
	json_decref(j);
}

/* No kid given: the RFC 7638 JWK thumbprint, the same on every load. */
static void jwt_key_thumbprint_kid(struct test_ctx *t)
{
	static const int which[] = { K_EC, K_RSA };
	struct jwt_key *k = NULL;
	struct mcx_buf jwk;
	char tp[64], kid[JWT_CLAIM_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK_INT(t, key_load(which[i], NULL, &k), MCX_OK);
		buf_init(&jwk, 4096);
		CHECK_INT(t, jwt_key_public_jwk(k, &jwk), MCX_OK);
		jwt_key_free(k);
		thumbprint_of(jwk.p, tp);
		CHECK(t, strstr(jwk.p, "\"kid\":\"") != NULL);
		snprintf(kid, sizeof(kid), "%.43s", strstr(jwk.p, "\"kid\":\"") + 7);
		CHECK_STR(t, kid, tp);
		buf_reset(&jwk);
	}
}

/* Refused: a small RSA key, another curve, encrypted (without a prompt),
 * a public key, garbage, a truncated PEM, an empty kid. */
static void jwt_key_refused(struct test_ctx *t)
{
	struct jwt_key *k = NULL;
	char errbuf[256], *p, *data;
	const char *q;
	EVP_PKEY *pk;
	size_t len;
	BIO *bio;
	long n;

	pk = EVP_RSA_gen(1024);
	CHECK(t, pk != NULL);
	p = pem_write(pk, false, &len);
	EVP_PKEY_free(pk);
	CHECK(t, p != NULL);
	CHECK_INT(t, jwt_key_load_pem(&k, p, len, "x", errbuf, sizeof(errbuf)), MCX_EINVAL);
	CHECK(t, strstr(errbuf, "P-256") != NULL);
	free(p);
	pk = EVP_EC_gen("P-384");
	CHECK(t, pk != NULL);
	p = pem_write(pk, false, &len);
	CHECK(t, p != NULL);
	CHECK_INT(t, jwt_key_load_pem(&k, p, len, "x", NULL, 0), MCX_EINVAL);
	free(p);
	bio = BIO_new(BIO_s_mem());
	CHECK(t, PEM_write_bio_PrivateKey(bio, pk, EVP_aes_128_cbc(),
					  (unsigned char *)"pw", 2, NULL, NULL) == 1);
	n = BIO_get_mem_data(bio, &data);
	CHECK_INT(t, jwt_key_load_pem(&k, data, (size_t)n, "x", NULL, 0), MCX_EINVAL);
	BIO_free(bio);
	bio = BIO_new(BIO_s_mem());
	CHECK(t, PEM_write_bio_PUBKEY(bio, pk) == 1);
	n = BIO_get_mem_data(bio, &data);
	CHECK_INT(t, jwt_key_load_pem(&k, data, (size_t)n, "x", NULL, 0), MCX_EINVAL);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	CHECK_INT(t, jwt_key_load_pem(&k, "hello", 5, "x", NULL, 0), MCX_EINVAL);
	q = key_pem(K_EC, &len);
	CHECK_INT(t, jwt_key_load_pem(&k, q, len / 2, "x", NULL, 0), MCX_EINVAL);
	CHECK_INT(t, jwt_key_load_pem(&k, q, len, "", NULL, 0), MCX_EINVAL);
	CHECK(t, k == NULL);
}

/* ---- JWKS ---- */

/* The JWK text of key which under kid. */
static enum mcx_err jwk_text(int which, const char *kid, char *out, size_t outlen)
{
	struct jwt_key *k = NULL;
	struct mcx_buf b;
	enum mcx_err err;

	err = key_load(which, kid, &k);
	if (err)
		return err;
	buf_init(&b, outlen - 1);
	err = jwt_key_public_jwk(k, &b);
	if (!err)
		memcpy(out, b.p, b.len + 1);
	buf_reset(&b);
	jwt_key_free(k);
	return err;
}

static enum mcx_err parse_s(const char *json, struct jwks **ks, char *errbuf)
{
	return jwks_parse(ks, json, strlen(json), errbuf, 256);
}

/* Parse {"keys":[a,b]} (b may be NULL); the set is freed, the count kept. */
static enum mcx_err parse2(const char *a, const char *b, size_t *count, char *errbuf)
{
	static char doc[64 * 1024];
	struct jwks *ks = NULL;
	enum mcx_err err;

	snprintf(doc, sizeof(doc), "{\"keys\":[%s%s%s]}", a, b ? "," : "", b ? b : "");
	err = parse_s(doc, &ks, errbuf);
	*count = jwks_count(ks);
	jwks_free(ks);
	return err;
}

/* Replace member's value text in a JWK with val (a JSON value). */
static void jwk_set(char *jwk, const char *member, const char *val)
{
	char key[32], rest[8192], *p, *end;

	snprintf(key, sizeof(key), "\"%s\":", member);
	p = strstr(jwk, key);
	if (!p)
		return;
	p += strlen(key);
	end = *p == '"' ? strchr(p + 1, '"') + 1 : strpbrk(p, ",}");
	snprintf(rest, sizeof(rest), "%s", end);
	snprintf(p, 8192, "%s%s", val, rest);
}

/* The text of member's string value inside a JWK. */
static char *member_val(char *jwk, const char *member)
{
	char key[32];
	char *p;

	snprintf(key, sizeof(key), "\"%s\":\"", member);
	p = strstr(jwk, key);
	return p ? p + strlen(key) : jwk + strlen(jwk);
}

/* The base64url symbol after c (same high bits, low bit set). */
static char b64_next(char c)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	return a[(strchr(a, c) - a) | 1];
}

static void jwks_parse_valid(struct test_ctx *t)
{
	char ec[1024], rsa[2048], errbuf[256];
	size_t n = 0;

	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	CHECK_INT(t, jwk_text(K_RSA_EVIL, "rsa1", rsa, sizeof(rsa)), MCX_OK);
	CHECK_INT(t, parse2(ec, rsa, &n, errbuf), MCX_OK);
	CHECK_INT(t, n, 2);
	/* no "use", no "alg": still a signing key */
	jwk_set(ec, "use", "null");
	jwk_set(ec, "alg", "null");
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL); /* null is not a string */
	CHECK(t, strstr(errbuf, "key 0") != NULL);
	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	memcpy(strstr(ec, ",\"alg\""), "}", 2);
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_OK);
	CHECK_INT(t, n, 1);
	CHECK_INT(t, jwks_count(NULL), 0);
	jwks_free(NULL);
}

/* Check: kids are unique in the set (also across key types). */
static void jwks_duplicate_kid(struct test_ctx *t)
{
	char ec[1024], rsa[2048], errbuf[256];
	size_t n = 0;

	CHECK_INT(t, jwk_text(K_EC, "k", ec, sizeof(ec)), MCX_OK);
	CHECK_INT(t, jwk_text(K_RSA, "k", rsa, sizeof(rsa)), MCX_OK);
	CHECK_INT(t, parse2(ec, rsa, &n, errbuf), MCX_EINVAL);
	CHECK(t, strstr(errbuf, "duplicate kid") != NULL);
	CHECK_INT(t, parse2(ec, ec, &n, errbuf), MCX_EINVAL);
	/* a duplicate member inside one key is a JSON error */
	jwk_set(ec, "use", "\"sig\",\"kid\":\"k2\"");
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
}

/* Check: coordinates and modulus are canonical base64url of the right size. */
static void jwks_bad_base64(struct test_ctx *t)
{
	static const char *const bad_x[] = {
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+\"",   /* '+' */
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",  /* padding */
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",    /* 31 bytes */
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",/* 34 bytes */
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB\"",   /* stray low bits */
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!A\"",
		"42", "\"\"",
	};
	char ec[1024], rsa[2048], errbuf[256], *x;
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad_x) / sizeof(bad_x[0]); i++) {
		CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
		jwk_set(ec, "x", bad_x[i]);
		CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	}
	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	strstr(ec, "\"y\"")[1] = 'z'; /* no y at all */
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	CHECK_INT(t, jwk_text(K_RSA, "rsa1", rsa, sizeof(rsa)), MCX_OK);
	*(strstr(rsa, "\"n\":\"") + 20) = '/';
	CHECK_INT(t, parse2(rsa, NULL, &n, errbuf), MCX_EINVAL);
	CHECK_INT(t, jwk_text(K_RSA, "rsa1", rsa, sizeof(rsa)), MCX_OK);
	jwk_set(rsa, "e", "\"AQAB=\"");
	CHECK_INT(t, parse2(rsa, NULL, &n, errbuf), MCX_EINVAL);
	/* encodings that decode to the very same good bytes: only the strict
	 * decoder stops them (padding, stray bits, the standard alphabet) */
	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_OK);
	x = member_val(ec, "x");
	memmove(x + 44, x + 43, strlen(x + 43) + 1);
	x[43] = '=';
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	x = member_val(ec, "x");
	x[42] = b64_next(x[42]); /* the last symbol of 32 bytes has 2 stray bits */
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	CHECK_INT(t, jwk_text(K_RSA, "rsa1", rsa, sizeof(rsa)), MCX_OK);
	x = member_val(rsa, "n");
	x = strpbrk(x, "-_\"");
	if (*x != '"') { /* a 2048-bit n has a '-' or '_' but with p = 2e-5 */
		*x = *x == '-' ? '+' : '/';
		CHECK_INT(t, parse2(rsa, NULL, &n, errbuf), MCX_EINVAL);
	}
}

/* Check: the public key is sound: the point is on P-256 (an invalid-curve
 * key must not load); the RSA modulus is odd and the exponent not 1. */
static void jwks_invalid_public_key(struct test_ctx *t)
{
	char ec[1024], rsa[2048], errbuf[256], b64[400], *y;
	uint8_t bin[300];
	size_t n = 0;
	long len;

	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	y = strstr(ec, "\"y\":\"") + 5 + 10;
	*y = flip(*y);
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	jwk_set(ec, "x", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"");
	jwk_set(ec, "y", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"");
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	/* RSA: e = 1 (every message is its own signature), an even modulus */
	CHECK_INT(t, jwk_text(K_RSA, "rsa1", rsa, sizeof(rsa)), MCX_OK);
	CHECK_INT(t, parse2(rsa, NULL, &n, errbuf), MCX_OK);
	jwk_set(rsa, "e", "\"AQ\"");
	CHECK_INT(t, parse2(rsa, NULL, &n, errbuf), MCX_EINVAL);
	CHECK_INT(t, jwk_text(K_RSA, "rsa1", rsa, sizeof(rsa)), MCX_OK);
	y = member_val(rsa, "n");
	len = b64url_decode(y, (size_t)(strchr(y, '"') - y), bin, sizeof(bin));
	CHECK_INT(t, len, 256);
	bin[255] &= 0xfe;
	b64url_encode(bin, 256, b64);
	memcpy(y, b64, strlen(b64));
	CHECK_INT(t, parse2(rsa, NULL, &n, errbuf), MCX_EINVAL);
}

/* Check: RSA moduli of at least 2048 bits. */
static void jwks_rsa_too_small(struct test_ctx *t)
{
	EVP_PKEY *pk = EVP_RSA_gen(1024);
	char jwk[1024], nb64[512], errbuf[256];
	BIGNUM *bn = NULL;
	uint8_t bin[256];
	size_t n = 0;
	int len;

	CHECK(t, pk != NULL);
	CHECK(t, EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn) == 1);
	len = BN_bn2bin(bn, bin);
	BN_free(bn);
	EVP_PKEY_free(pk);
	b64url_encode(bin, (size_t)len, nb64);
	snprintf(jwk, sizeof(jwk), "{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\"%s\",\"e\":\"AQAB\"}",
		 nb64);
	CHECK_INT(t, parse2(jwk, NULL, &n, errbuf), MCX_EINVAL);
	CHECK(t, strstr(errbuf, "RSA") != NULL);
}

/* Keys we cannot use are skipped, not errors; a set of only those is. */
static void jwks_unsupported_skipped(struct test_ctx *t)
{
	static const char *const skip[] = {
		"{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}",
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"p384\",\"x\":\"AA\",\"y\":\"AA\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"enc\",\"use\":\"enc\",\"x\":\"AA\",\"y\":\"AA\"}",
		"{\"kty\":\"RSA\",\"kid\":\"ps\",\"alg\":\"PS256\",\"n\":\"AA\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA\",\"kid\":\"ops\",\"key_ops\":[\"encrypt\"],\"n\":\"AA\",\"e\":\"AQAB\"}",
		"{\"kty\":\"RSA-X\"}",
	};
	char ec[1024], errbuf[256];
	size_t i, n = 0;

	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		CHECK_INT(t, parse2(skip[i], ec, &n, errbuf), MCX_OK);
		CHECK_INT(t, n, 1);
		CHECK_INT(t, parse2(skip[i], NULL, &n, errbuf), MCX_EINVAL);
		CHECK(t, strstr(errbuf, "no usable") != NULL);
	}
	/* key_ops with "verify" is used */
	jwk_set(ec, "use", "\"sig\",\"key_ops\":[\"verify\"]");
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_OK);
	CHECK_INT(t, n, 1);
}

/* Check: a usable key needs a kid. */
static void jwks_missing_kid(struct test_ctx *t)
{
	char ec[1024], errbuf[256];
	size_t n = 0;

	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	jwk_set(ec, "kid", "\"\"");
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	CHECK(t, strstr(errbuf, "kid") != NULL);
	jwk_set(ec, "kid", "7");
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
	strstr(ec, "\"kid\"")[1] = 'K';
	CHECK_INT(t, parse2(ec, NULL, &n, errbuf), MCX_EINVAL);
}

/* Check: at most JWKS_MAX_KEYS keys (33 good keys are refused, 32 taken). */
static void jwks_too_many_keys(struct test_ctx *t)
{
	static char doc[JWKS_MAX_LEN];
	char jwk[1024], kid[16], errbuf[256];
	struct jwks *ks = NULL;
	size_t len = 0;
	int i;

	len += (size_t)snprintf(doc, sizeof(doc), "{\"keys\":[");
	for (i = 0; i < JWKS_MAX_KEYS + 1; i++) {
		snprintf(kid, sizeof(kid), "k%02d", i);
		CHECK_INT(t, jwk_text(K_EC, kid, jwk, sizeof(jwk)), MCX_OK);
		if (i == JWKS_MAX_KEYS) {
			snprintf(doc + len, sizeof(doc) - len, "]}");
			CHECK_INT(t, parse_s(doc, &ks, errbuf), MCX_OK);
			CHECK_INT(t, jwks_count(ks), JWKS_MAX_KEYS);
			jwks_free(ks);
			ks = NULL;
		}
		len += (size_t)snprintf(doc + len, sizeof(doc) - len, "%s%s", i ? "," : "", jwk);
	}
	snprintf(doc + len, sizeof(doc) - len, "]}");
	CHECK_INT(t, parse_s(doc, &ks, errbuf), MCX_ELIMIT);
	CHECK(t, ks == NULL);
}

static void jwks_malformed(struct test_ctx *t)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"keys\":{}}", "{\"keys\":[]}", "{\"keys\":[1]}",
		"{\"keys\":[{}]}", "{\"keys\":[{\"kty\":1}]}", "{\"keys\":[],\"keys\":[]}",
		"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\",\"key_ops\":\"verify\"}]}",
		"{\"keys\":[{\"kty\":\"EC\",\"kid\":\"a\",\"x\":\"AA\",\"y\":\"AA\"}]}",
		"{\"keys\":[]} trailing",
	};
	char errbuf[256], *big;
	struct jwks *ks = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(t, parse_s(bad[i], &ks, errbuf), MCX_EINVAL);
		CHECK(t, ks == NULL && errbuf[0]);
	}
	CHECK_INT(t, jwks_parse(&ks, "{\"keys\":[]}", 11, NULL, 0), MCX_EINVAL);
	CHECK_INT(t, jwks_parse(&ks, NULL, 0, errbuf, sizeof(errbuf)), MCX_EINVAL);
	/* a NUL inside is not JSON */
	CHECK_INT(t, jwks_parse(&ks, "{\"keys\":[]}\0", 12, errbuf, sizeof(errbuf)), MCX_EINVAL);
	big = malloc(JWKS_MAX_LEN + 1);
	CHECK(t, big != NULL);
	memset(big, ' ', JWKS_MAX_LEN + 1);
	CHECK_INT(t, jwks_parse(&ks, big, JWKS_MAX_LEN + 1, errbuf, sizeof(errbuf)), MCX_ELIMIT);
	free(big);
	CHECK(t, ks == NULL);
}

static void jwks_load_files(struct test_ctx *t)
{
	char path[] = "/tmp/mcx-jwks-XXXXXX", ec[1024], doc[2048], errbuf[256];
	struct jwks *ks = NULL;
	int fd, n;

	CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
	n = snprintf(doc, sizeof(doc), "{\"keys\":[%s]}\n", ec);
	fd = mkstemp(path);
	CHECK(t, fd >= 0);
	CHECK(t, write(fd, doc, (size_t)n) == n);
	close(fd);
	CHECK_INT(t, jwks_load_file(&ks, path, errbuf, sizeof(errbuf)), MCX_OK);
	CHECK_INT(t, jwks_count(ks), 1);
	jwks_free(ks);
	ks = NULL;
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(t, fd >= 0);
	CHECK(t, write(fd, "{\"keys\":[]}", 11) == 11);
	close(fd);
	CHECK_INT(t, jwks_load_file(&ks, path, errbuf, sizeof(errbuf)), MCX_EINVAL);
	CHECK(t, strstr(errbuf, path) == errbuf);
	CHECK(t, truncate(path, JWKS_MAX_LEN + 1) == 0);
	CHECK_INT(t, jwks_load_file(&ks, path, errbuf, sizeof(errbuf)), MCX_ELIMIT);
	unlink(path);
	CHECK_INT(t, jwks_load_file(&ks, path, errbuf, sizeof(errbuf)), MCX_ENOENT);
	CHECK_INT(t, jwks_load_file(&ks, "/", errbuf, sizeof(errbuf)), MCX_EIO);
	CHECK(t, ks == NULL);
}

/* OOM: every counted allocation of jwks_parse fails cleanly. */
static void jwks_parse_oom(struct test_ctx *t)
{
	static char doc[4096];
	char ec[1024], rsa[2048], errbuf[256];
	struct jwks *ks = NULL;
	enum mcx_err err;

	if (!doc[0]) { /* built once, in the first (non-OOM) run */
		CHECK_INT(t, jwk_text(K_EC, "ec1", ec, sizeof(ec)), MCX_OK);
		CHECK_INT(t, jwk_text(K_RSA, "rsa1", rsa, sizeof(rsa)), MCX_OK);
		snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", ec, rsa);
	}
	err = parse_s(doc, &ks, errbuf);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, jwks_count(ks), 2);
	jwks_free(ks);
}

/* OOM: key load, JWK export, JWKS parse, signing and verification together. */
static void jwt_sign_oom(struct test_ctx *t)
{
	struct cl c = CL_DEFAULT;
	struct jwt_expect ex = { .iss = ISS, .aud = AUD, .now = NOW, .skew = 60 };
	struct jwt_claims cl;
	struct jwt_key *k = NULL;
	struct jwks *ks = NULL;
	struct mcx_buf tok;
	enum mcx_err err;

	buf_init(&tok, 16384);
	err = key_load(K_EC, "ec1", &k);
	if (!err)
		err = jwks_of(k, NULL, &ks);
	if (!err)
		err = jwt_sign(k, claims(&c), &tok);
	if (!err && jwt_verify(ks, tok.p, tok.len, &ex, &cl) != JWT_OK)
		err = MCX_EINTERNAL;
	buf_reset(&tok);
	jwks_free(ks);
	jwt_key_free(k);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, cl.mcptt_id, MCPTT);
}

const struct test tests_jwt[] = {
	{ "jwt_es256_valid", jwt_es256_valid, false },
	{ "jwt_rs256_valid", jwt_rs256_valid, false },
	{ "jwt_forged_wrong_key", jwt_forged_wrong_key, false },
	{ "jwt_forged_alg_none", jwt_forged_alg_none, false },
	{ "jwt_forged_hs256_confusion", jwt_forged_hs256_confusion, false },
	{ "jwt_forged_alg_key_mismatch", jwt_forged_alg_key_mismatch, false },
	{ "jwt_forged_other_algs", jwt_forged_other_algs, false },
	{ "jwt_forged_expired", jwt_forged_expired, false },
	{ "jwt_expired_within_skew", jwt_expired_within_skew, false },
	{ "jwt_forged_not_yet_valid", jwt_forged_not_yet_valid, false },
	{ "jwt_forged_iat_future", jwt_forged_iat_future, false },
	{ "jwt_forged_wrong_issuer", jwt_forged_wrong_issuer, false },
	{ "jwt_forged_wrong_audience", jwt_forged_wrong_audience, false },
	{ "jwt_forged_wrong_audience_array", jwt_forged_wrong_audience_array, false },
	{ "jwt_forged_no_mcptt_id", jwt_forged_no_mcptt_id, false },
	{ "jwt_forged_truncated", jwt_forged_truncated, false },
	{ "jwt_forged_oversized", jwt_forged_oversized, false },
	{ "jwt_forged_tampered", jwt_forged_tampered, false },
	{ "jwt_forged_zero_signature", jwt_forged_zero_signature, false },
	{ "jwt_forged_unknown_kid", jwt_forged_unknown_kid, false },
	{ "jwt_forged_embedded_jwk", jwt_forged_embedded_jwk, false },
	{ "jwt_forged_duplicate_claims", jwt_forged_duplicate_claims, false },
	{ "jwt_scope_forms", jwt_scope_forms, false },
	{ "jwt_numeric_claims", jwt_numeric_claims, false },
	{ "jwt_claim_too_long", jwt_claim_too_long, false },
	{ "jwt_malformed_structure", jwt_malformed_structure, false },
	{ "jwt_sign_appends", jwt_sign_appends, false },
	{ "jwt_key_load", jwt_key_load, false },
	{ "jwt_key_thumbprint_kid", jwt_key_thumbprint_kid, false },
	{ "jwt_key_refused", jwt_key_refused, false },
	{ "jwt_jwks_parse_valid", jwks_parse_valid, false },
	{ "jwt_jwks_duplicate_kid", jwks_duplicate_kid, false },
	{ "jwt_jwks_bad_base64", jwks_bad_base64, false },
	{ "jwt_jwks_invalid_public_key", jwks_invalid_public_key, false },
	{ "jwt_jwks_rsa_too_small", jwks_rsa_too_small, false },
	{ "jwt_jwks_unsupported_skipped", jwks_unsupported_skipped, false },
	{ "jwt_jwks_missing_kid", jwks_missing_kid, false },
	{ "jwt_jwks_too_many_keys", jwks_too_many_keys, false },
	{ "jwt_jwks_malformed", jwks_malformed, false },
	{ "jwt_jwks_load_file", jwks_load_files, false },
	{ "jwt_jwks_parse_oom", jwks_parse_oom, true },
	{ "jwt_sign_oom", jwt_sign_oom, true },
	{ NULL, NULL, false }
};
