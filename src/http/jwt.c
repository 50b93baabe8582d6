/* JSON Web Tokens: JWKS parsing, ES256/RS256 verification with the claim checks, and signing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#define LOG_MODULE "jwt"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/jwt.h"
#include "core/banned.h"

#define RSA_MIN_BITS   2048
#define RSA_MAX_BITS   8192
#define RSA_MAX_BYTES  (RSA_MAX_BITS / 8)
#define RSA_E_MAX      8                        /* bytes of public exponent */
#define EC_COORD       32                       /* P-256 coordinate / scalar */
#define EC_DER_MAX     80                       /* DER ECDSA-Sig-Value for P-256 is <= 72 */
#define SIG_MAX        RSA_MAX_BYTES
#define B64_LEN(n)     (4 * (((n) + 2) / 3) + 1) /* what b64url_encode() asks for */
#define PEM_MAX        (64 * 1024)
#define TIME_MAX       253402300799LL           /* 9999-12-31T23:59:59Z */
#define SKEW_MAX       INT32_MAX

enum key_type { KEY_EC, KEY_RSA };

static const char *const type_alg[] = { [KEY_EC] = "ES256", [KEY_RSA] = "RS256" };

struct jwk {
	char *kid;
	enum key_type type;
	EVP_PKEY *pkey;
};

struct jwks {
	struct jwk keys[JWKS_MAX_KEYS];
	size_t n;
};

struct jwt_key {
	EVP_PKEY *pkey;
	enum key_type type;
	char *kid;
};

/* The JOSE header fields we act on. */
struct header {
	enum key_type type;
	bool has_kid;
	char kid[JWT_CLAIM_MAX];
	char alg[16];
};

/* A compact JWS cut into its three parts, decoded into scratch. */
struct parts {
	const uint8_t *raw[3];
	size_t rawlen[3];
	size_t signed_len;                       /* bytes of "header.payload" */
};

static enum mcx_err fail(char *errbuf, size_t errlen, enum mcx_err err,
			 const char *fmt, ...) MCX_PRINTF(4, 5);

static enum mcx_err fail(char *errbuf, size_t errlen, enum mcx_err err,
			 const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return err;
}

/* ---- base64url -------------------------------------------------------- */

static int b64u_val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

/* Decode p[0..n) only if it is canonical unpadded base64url (RFC 7515 §2):
 * no '=', '+', '/', no impossible length, no stray bits in the last symbol,
 * so that one byte string has exactly one encoding. -1 otherwise. */
static long b64u_strict(const char *p, size_t n, uint8_t *out, size_t outmax)
{
	size_t i;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++)
		if (b64u_val(p[i]) < 0)
			return -1;
	if (n % 4 && (b64u_val(p[n - 1]) & (n % 4 == 2 ? 0x0f : 0x03)))
		return -1;
	return b64url_decode(p, n, out, outmax);
}

/* Decode the string member name of o into out; the length must be in [min, max]. */
static long b64_member(json_t *o, const char *name, uint8_t *out, size_t min, size_t max)
{
	json_t *v = json_object_get(o, name);
	long n;

	if (!json_is_string(v))
		return -1;
	n = b64u_strict(json_string_value(v), json_string_length(v), out, max);
	if (n < 0 || (size_t)n < min)
		return -1;
	return n;
}

/* ---- keys from JWK members -------------------------------------------- */

/* Is the public half of pk sound (point on the curve; RSA modulus odd,
 * not a prime power, exponent in range)? */
static bool public_ok(EVP_PKEY *pk)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	bool ok = ctx && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	if (pk && !public_ok(pk)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

static EVP_PKEY *ec_from_jwk(json_t *k)
{
	uint8_t pt[1 + 2 * EC_COORD];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pk = NULL;

	pt[0] = 0x04; /* uncompressed point */
	if (b64_member(k, "x", pt + 1, EC_COORD, EC_COORD) < 0 ||
	    b64_member(k, "y", pt + 1 + EC_COORD, EC_COORD, EC_COORD) < 0)
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						    SN_X9_62_prime256v1, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)))
		pk = pkey_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static EVP_PKEY *rsa_from_jwk(json_t *k)
{
	uint8_t nb[RSA_MAX_BYTES + 1], eb[RSA_E_MAX];
	long nl = b64_member(k, "n", nb, 1, sizeof(nb));
	long el = b64_member(k, "e", eb, 1, sizeof(eb));
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pk = NULL;

	if (nl < 0 || el < 0)
		return NULL;
	n = BN_bin2bn(nb, (int)nl, NULL);
	e = BN_bin2bn(eb, (int)el, NULL);
	if (!n || !e || BN_num_bits(n) < RSA_MIN_BITS || BN_num_bits(n) > RSA_MAX_BITS)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		pk = pkey_fromdata("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

/* ---- JWKS ----------------------------------------------------------------- */

static const struct jwk *kid_find(const struct jwks *ks, const char *kid, size_t len)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strlen(ks->keys[i].kid) == len && !memcmp(ks->keys[i].kid, kid, len))
			return &ks->keys[i];
	return NULL;
}

/* Optional string member: absent is fine, any other type is not. */
static bool opt_str(json_t *o, const char *name, const char **v)
{
	json_t *j = json_object_get(o, name);

	*v = json_is_string(j) ? json_string_value(j) : NULL;
	return !j || json_is_string(j);
}

static bool ops_allow_verify(json_t *ops)
{
	json_t *v;
	size_t i;

	json_array_foreach(ops, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), "verify"))
			return true;
	return false;
}

/* Decide whether key idx is one we use: sets *use and *type, or says why the
 * JWK is malformed. Unknown kty, other curves, "use" other than "sig",
 * "key_ops" without "verify" and other algs are skipped, not errors. */
static enum mcx_err key_classify(json_t *k, size_t idx, bool *use, enum key_type *type,
				 char *errbuf, size_t errlen)
{
	const char *kty, *u, *alg, *crv;
	json_t *ops = json_object_get(k, "key_ops");

	*use = false;
	if (!json_is_object(k))
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS key %zu: not an object", idx);
	if (!opt_str(k, "kty", &kty) || !kty || !opt_str(k, "use", &u) ||
	    !opt_str(k, "alg", &alg) || !opt_str(k, "crv", &crv) ||
	    (ops && !json_is_array(ops)))
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS key %zu: bad kty/use/alg/crv/key_ops", idx);
	if (!strcmp(kty, "EC"))
		*type = KEY_EC;
	else if (!strcmp(kty, "RSA"))
		*type = KEY_RSA;
	else
		return MCX_OK;
	if (*type == KEY_EC && (!crv || strcmp(crv, "P-256")))
		return MCX_OK;
	if ((u && strcmp(u, "sig")) || (ops && !ops_allow_verify(ops)) ||
	    (alg && strcmp(alg, type_alg[*type])))
		return MCX_OK;
	*use = true;
	return MCX_OK;
}

static enum mcx_err key_add(struct jwks *ks, json_t *k, size_t idx, char *errbuf, size_t errlen)
{
	struct jwk *slot = &ks->keys[ks->n];
	enum key_type type = KEY_EC;
	const char *kid;
	enum mcx_err err;
	bool use;

	err = key_classify(k, idx, &use, &type, errbuf, errlen);
	if (err)
		return err;
	if (!use) {
		log_debug("JWKS key %zu skipped (kty/crv/use/alg not for ES256/RS256 signatures)", idx);
		return MCX_OK;
	}
	if (!opt_str(k, "kid", &kid) || !kid || !*kid || strlen(kid) >= JWT_CLAIM_MAX)
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS key %zu: no usable \"kid\"", idx);
	if (kid_find(ks, kid, strlen(kid)))
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS key %zu: duplicate kid", idx);
	slot->pkey = type == KEY_EC ? ec_from_jwk(k) : rsa_from_jwk(k);
	if (!slot->pkey)
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS key %zu: bad %s public key "
			    "(base64url, size or point)", idx, type == KEY_EC ? "P-256" : "RSA");
	slot->kid = mcx_strdup(kid);
	if (!slot->kid) {
		EVP_PKEY_free(slot->pkey);
		slot->pkey = NULL;
		return fail(errbuf, errlen, MCX_ENOMEM, "out of memory");
	}
	slot->type = type;
	ks->n++;
	return MCX_OK;
}

static enum mcx_err keys_add(struct jwks *ks, json_t *root, char *errbuf, size_t errlen)
{
	json_t *keys = json_object_get(root, "keys"), *k;
	enum mcx_err err;
	size_t i;

	if (!json_is_array(keys))
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS: no \"keys\" array");
	if (json_array_size(keys) > JWKS_MAX_KEYS)
		return fail(errbuf, errlen, MCX_ELIMIT, "JWKS: more than %d keys", JWKS_MAX_KEYS);
	json_array_foreach(keys, i, k) {
		err = key_add(ks, k, i, errbuf, errlen);
		if (err)
			return err;
	}
	if (!ks->n)
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS: no usable ES256/RS256 signing key");
	return MCX_OK;
}

enum mcx_err jwks_parse(struct jwks **ksp, const char *json, size_t len,
			char *errbuf, size_t errlen)
{
	struct jwks *ks = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	enum mcx_err err;

	if (!ksp || !json)
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS: no input");
	if (len > JWKS_MAX_LEN)
		return fail(errbuf, errlen, MCX_ELIMIT, "JWKS: longer than %d bytes", JWKS_MAX_LEN);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		err = fail(errbuf, errlen, MCX_EINVAL, "JWKS: %d:%d: %s", jerr.line,
			   jerr.column, jerr.text);
		goto out;
	}
	ks = mcx_calloc(1, sizeof(*ks));
	if (!ks) {
		err = fail(errbuf, errlen, MCX_ENOMEM, "out of memory");
		goto out;
	}
	err = keys_add(ks, root, errbuf, errlen);
	if (err)
		goto out;
	*ksp = ks;
	ks = NULL;
out:
	jwks_free(ks);
	json_decref(root);
	return err;
}

/* Read at most max bytes of path into a fresh buffer (ELIMIT beyond). */
static enum mcx_err read_file(const char *path, size_t max, char **pp, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum mcx_err err = MCX_OK;
	size_t len = 0;
	ssize_t n = 1;
	char *p;

	if (fd < 0)
		return errno == ENOENT ? MCX_ENOENT : MCX_EIO;
	p = mcx_malloc(max + 1);
	if (!p) {
		close(fd);
		return MCX_ENOMEM;
	}
	while (n > 0 && len <= max) {
		n = read(fd, p + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			len += (size_t)n;
	}
	close(fd);
	if (n < 0)
		err = MCX_EIO;
	else if (len > max)
		err = MCX_ELIMIT;
	if (err) {
		mcx_free(p);
		return err;
	}
	*pp = p;
	*lenp = len;
	return MCX_OK;
}

enum mcx_err jwks_load_file(struct jwks **ksp, const char *path, char *errbuf, size_t errlen)
{
	enum mcx_err err;
	char *p = NULL;
	size_t len = 0;

	if (!path)
		return fail(errbuf, errlen, MCX_EINVAL, "JWKS: no file name");
	err = read_file(path, JWKS_MAX_LEN, &p, &len);
	if (err)
		return fail(errbuf, errlen, err, "%s: %s", path, err == MCX_ELIMIT ?
			    "longer than JWKS_MAX_LEN" : mcx_strerror(err));
	err = jwks_parse(ksp, p, len, errbuf, errlen);
	mcx_free(p);
	if (err && errbuf && errlen) {
		char tmp[256]; /* prefix the file name: "path: JWKS: ..." */

		snprintf(tmp, sizeof(tmp), "%s", errbuf);
		snprintf(errbuf, errlen, "%s: %s", path, tmp);
	}
	return err;
}

void jwks_free(struct jwks *ks)
{
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->n; i++) {
		EVP_PKEY_free(ks->keys[i].pkey);
		mcx_free(ks->keys[i].kid);
	}
	mcx_free(ks);
}

size_t jwks_count(const struct jwks *ks)
{
	return ks ? ks->n : 0;
}

/* ---- verification ----------------------------------------------------- */

/* Cut token[0..len) at its two dots and decode the three parts into
 * scratch (at least 3/4 len bytes). The signature may be empty, so that
 * alg "none" gets as far as the header check. */
static enum jwt_result split(const char *token, size_t len, struct parts *pt,
			     uint8_t *scratch, size_t smax)
{
	const char *dot[2], *start = token;
	size_t i, used = 0;

	dot[0] = memchr(token, '.', len);
	dot[1] = dot[0] ? memchr(dot[0] + 1, '.', len - (size_t)(dot[0] + 1 - token)) : NULL;
	if (!dot[1] || memchr(dot[1] + 1, '.', len - (size_t)(dot[1] + 1 - token)))
		return JWT_MALFORMED;
	pt->signed_len = (size_t)(dot[1] - token);
	for (i = 0; i < 3; i++) {
		const char *end = i < 2 ? dot[i] : token + len;
		long n = b64u_strict(start, (size_t)(end - start), scratch + used, smax - used);

		if (n < 0 || (n == 0 && i < 2))
			return JWT_MALFORMED;
		pt->raw[i] = scratch + used;
		pt->rawlen[i] = (size_t)n;
		used += (size_t)n;
		start = end + 1;
	}
	return JWT_OK;
}

/* Copy the string member name (absent: dst = "", *present false). Not a
 * string, or too long for dst: MALFORMED (never silently truncated). */
static enum jwt_result get_str(json_t *o, const char *name, char *dst, size_t dstlen,
			       bool *present)
{
	json_t *v = json_object_get(o, name);
	size_t n;

	dst[0] = '\0';
	if (present)
		*present = v != NULL;
	if (!v)
		return JWT_OK;
	if (!json_is_string(v))
		return JWT_MALFORMED;
	n = json_string_length(v);
	if (n >= dstlen)
		return JWT_MALFORMED;
	memcpy(dst, json_string_value(v), n + 1);
	return JWT_OK;
}

static enum jwt_result alg_type(const char *alg, enum key_type *type)
{
	if (!strcmp(alg, "ES256"))
		*type = KEY_EC;
	else if (!strcmp(alg, "RS256"))
		*type = KEY_RSA;
	else
		return JWT_BAD_ALG; /* "none", HS*, PS*, ES384, ...: never */
	return JWT_OK;
}

static enum jwt_result header_check(json_t *h, struct header *hd)
{
	enum jwt_result r;
	char typ[64];
	bool has_alg;

	if (!json_is_object(h) || json_object_get(h, "crit"))
		return JWT_MALFORMED; /* we understand no critical extension */
	r = get_str(h, "alg", hd->alg, sizeof(hd->alg), &has_alg);
	if (r == JWT_MALFORMED && json_is_string(json_object_get(h, "alg")))
		return JWT_BAD_ALG; /* a long alg name is not one we accept */
	if (r || !has_alg)
		return JWT_MALFORMED;
	r = alg_type(hd->alg, &hd->type);
	if (r)
		return r;
	r = get_str(h, "kid", hd->kid, sizeof(hd->kid), &hd->has_kid);
	if (!r)
		r = get_str(h, "typ", typ, sizeof(typ), NULL);
	return r;
}

static enum jwt_result header_parse(const uint8_t *p, size_t n, struct header *hd)
{
	json_t *h = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	enum jwt_result r = h ? header_check(h, hd) : JWT_MALFORMED;

	json_decref(h);
	return r;
}

/* The key named by the header's kid; without a kid, the only key of the
 * alg's type. A key of the other type is an alg/key mismatch. */
static enum jwt_result key_find(const struct jwks *ks, const struct header *hd,
				const struct jwk **kp)
{
	const struct jwk *k = NULL;
	size_t i, n = 0;

	if (hd->has_kid) {
		k = kid_find(ks, hd->kid, strlen(hd->kid));
		if (!k)
			return JWT_UNKNOWN_KEY;
		if (k->type != hd->type)
			return JWT_BAD_ALG;
	} else {
		for (i = 0; i < ks->n; i++)
			if (ks->keys[i].type == hd->type) {
				k = &ks->keys[i];
				n++;
			}
		if (n != 1)
			return JWT_UNKNOWN_KEY;
	}
	*kp = k;
	return JWT_OK;
}

/* JWS ES256 r||s (RFC 7518 §3.4) to a DER ECDSA-Sig-Value; -1 on failure. */
static int raw_to_der(const uint8_t raw[2 * EC_COORD], uint8_t *der, int dermax)
{
	BIGNUM *r = BN_bin2bn(raw, EC_COORD, NULL);
	BIGNUM *s = BN_bin2bn(raw + EC_COORD, EC_COORD, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	int n = -1;

	if (!r || !s || !sig || !ECDSA_SIG_set0(sig, r, s))
		goto out;
	r = s = NULL; /* owned by sig now */
	n = i2d_ECDSA_SIG(sig, NULL);
	if (n <= 0 || n > dermax)
		n = -1;
	else
		n = i2d_ECDSA_SIG(sig, &der);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return n;
}

static bool sig_verify(const struct jwk *k, const char *msg, size_t mlen,
		       const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *ctx = NULL;
	uint8_t der[EC_DER_MAX];
	int bits = EVP_PKEY_get_bits(k->pkey);
	bool ok = false;

	if (k->type == KEY_EC) {
		int n;

		if (slen != 2 * EC_COORD)
			return false;
		n = raw_to_der(sig, der, (int)sizeof(der));
		if (n < 0)
			goto out;
		sig = der;
		slen = (size_t)n;
	} else if (bits < RSA_MIN_BITS || slen != (size_t)EVP_PKEY_get_size(k->pkey)) {
		return false;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, slen, (const unsigned char *)msg, mlen) == 1;
out:
	EVP_MD_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok;
}

/* A NumericDate: a non-negative integer (or integral real) up to year 9999. */
static enum jwt_result get_time(json_t *c, const char *name, int64_t *t, bool *present)
{
	json_t *v = json_object_get(c, name);
	double d;

	*t = 0;
	*present = v != NULL;
	if (!v)
		return JWT_OK;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > TIME_MAX)
			return JWT_MALFORMED;
		*t = (int64_t)i;
		return JWT_OK;
	}
	if (!json_is_real(v))
		return JWT_MALFORMED;
	d = json_real_value(v);
	if (!(d >= 0 && d <= (double)TIME_MAX) || (double)(int64_t)d != d)
		return JWT_MALFORMED;
	*t = (int64_t)d;
	return JWT_OK;
}

static enum jwt_result check_times(json_t *c, const struct jwt_expect *ex,
				   struct jwt_claims *out)
{
	int64_t skew = ex->skew < 0 ? 0 : ex->skew > SKEW_MAX ? SKEW_MAX : ex->skew;
	bool has_exp, has_nbf, has_iat;
	enum jwt_result r;

	r = get_time(c, "exp", &out->exp, &has_exp);
	if (!r)
		r = get_time(c, "nbf", &out->nbf, &has_nbf);
	if (!r)
		r = get_time(c, "iat", &out->iat, &has_iat);
	if (r || !has_exp)
		return JWT_MALFORMED;
	/* claims and skew are bounded, so these sums cannot overflow */
	if (out->exp + skew <= ex->now)
		return JWT_EXPIRED;
	if ((has_nbf && out->nbf - skew > ex->now) || (has_iat && out->iat - skew > ex->now))
		return JWT_NOT_YET_VALID;
	return JWT_OK;
}

static enum jwt_result check_aud(json_t *c, const char *want)
{
	json_t *aud = json_object_get(c, "aud"), *v;
	bool found = false;
	size_t i;

	if (json_is_string(aud)) {
		found = want && !strcmp(json_string_value(aud), want);
	} else if (json_is_array(aud)) {
		json_array_foreach(aud, i, v) {
			if (!json_is_string(v))
				return JWT_MALFORMED;
			if (want && !strcmp(json_string_value(v), want))
				found = true;
		}
	} else if (aud) {
		return JWT_MALFORMED;
	}
	return !want || found ? JWT_OK : JWT_BAD_AUDIENCE;
}

/* scope: a space-separated string, or an array of scope tokens joined with ' '. */
static enum jwt_result get_scope(json_t *c, char *dst, size_t dstlen)
{
	json_t *s = json_object_get(c, "scope"), *v;
	size_t i, used = 0;

	if (!json_is_array(s))
		return get_str(c, "scope", dst, dstlen, NULL);
	dst[0] = '\0';
	json_array_foreach(s, i, v) {
		const char *tok = json_string_value(v);
		size_t n = json_string_length(v);

		if (!tok || !n || memchr(tok, ' ', n) || used + 1 + n >= dstlen)
			return JWT_MALFORMED;
		if (used)
			dst[used++] = ' ';
		memcpy(dst + used, tok, n + 1);
		used += n;
	}
	return JWT_OK;
}

static enum jwt_result copy_strings(json_t *c, struct jwt_claims *out)
{
	static const struct { const char *name; size_t off; } strs[] = {
		{ "sub", offsetof(struct jwt_claims, sub) },
		{ "client_id", offsetof(struct jwt_claims, client_id) },
		{ "jti", offsetof(struct jwt_claims, jti) },
	};
	enum jwt_result r = JWT_OK;
	size_t i;

	for (i = 0; !r && i < sizeof(strs) / sizeof(strs[0]); i++)
		r = get_str(c, strs[i].name, (char *)out + strs[i].off, JWT_CLAIM_MAX, NULL);
	if (!r)
		r = get_scope(c, out->scope, sizeof(out->scope));
	return r;
}

static enum jwt_result claims_check(json_t *c, const struct jwt_expect *ex,
				    struct jwt_claims *out)
{
	enum jwt_result r;
	bool present;

	if (!json_is_object(c))
		return JWT_MALFORMED;
	r = check_times(c, ex, out);
	if (r)
		return r;
	r = get_str(c, "iss", out->iss, sizeof(out->iss), &present);
	if (r)
		return r;
	if (ex->iss && (!present || strcmp(out->iss, ex->iss)))
		return JWT_BAD_ISSUER;
	r = check_aud(c, ex->aud);
	if (r)
		return r;
	if (!json_is_string(json_object_get(c, "mcptt_id")))
		return JWT_NO_MCPTT_ID;
	r = get_str(c, "mcptt_id", out->mcptt_id, sizeof(out->mcptt_id), NULL);
	if (r)
		return r;
	if (!out->mcptt_id[0])
		return JWT_NO_MCPTT_ID;
	return copy_strings(c, out);
}

static enum jwt_result claims_parse(const uint8_t *p, size_t n, const struct jwt_expect *ex,
				    struct jwt_claims *out)
{
	json_t *c = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	enum jwt_result r = c ? claims_check(c, ex, out) : JWT_MALFORMED;

	json_decref(c);
	return r;
}

static enum jwt_result verify(const struct jwks *ks, const char *token, size_t len,
			      const struct jwt_expect *ex, struct jwt_claims *c)
{
	uint8_t scratch[JWT_MAX_LEN];
	const struct jwk *k = NULL;
	struct header hd;
	struct parts pt;
	enum jwt_result r;

	r = split(token, len, &pt, scratch, sizeof(scratch));
	if (r)
		return r;
	memset(&hd, 0, sizeof(hd));
	r = header_parse(pt.raw[0], pt.rawlen[0], &hd);
	if (r)
		return r;
	r = key_find(ks, &hd, &k);
	if (r)
		return r;
	if (!sig_verify(k, token, pt.signed_len, pt.raw[2], pt.rawlen[2]))
		return JWT_BAD_SIGNATURE;
	/* only now is the payload trusted enough to parse */
	memcpy(c->alg, hd.alg, sizeof(c->alg));
	memcpy(c->kid, k->kid, strlen(k->kid) + 1);
	return claims_parse(pt.raw[1], pt.rawlen[1], ex, c);
}

enum jwt_result jwt_verify(const struct jwks *ks, const char *token, size_t len,
			   const struct jwt_expect *ex, struct jwt_claims *out)
{
	size_t max = ex && ex->max_len && ex->max_len < JWT_MAX_LEN ? ex->max_len : JWT_MAX_LEN;
	struct jwt_claims c;
	enum jwt_result r;

	memset(&c, 0, sizeof(c));
	if (!ks || !token || !ex)
		r = JWT_MALFORMED;
	else if (len > max)
		r = JWT_TOO_LARGE;
	else
		r = verify(ks, token, len, ex, &c);
	if (r)
		log_debug("token rejected: %s", jwt_result_str(r));
	if (out) {
		if (r)
			memset(out, 0, sizeof(*out));
		else
			*out = c;
	}
	return r;
}

const char *jwt_result_str(enum jwt_result r)
{
	static const char *const str[] = {
		[JWT_OK] = "ok",
		[JWT_MALFORMED] = "malformed token",
		[JWT_TOO_LARGE] = "token too large",
		[JWT_BAD_ALG] = "algorithm not accepted",
		[JWT_UNKNOWN_KEY] = "unknown signing key",
		[JWT_BAD_SIGNATURE] = "bad signature",
		[JWT_EXPIRED] = "token expired",
		[JWT_NOT_YET_VALID] = "token not yet valid",
		[JWT_BAD_ISSUER] = "wrong issuer",
		[JWT_BAD_AUDIENCE] = "wrong audience",
		[JWT_NO_MCPTT_ID] = "no mcptt_id claim",
	};

	if ((size_t)r >= sizeof(str) / sizeof(str[0]) || !str[r])
		return "unknown result";
	return str[r];
}

bool jwt_has_scope(const struct jwt_claims *c, const char *scope)
{
	size_t i = 0, n, len;

	if (!c || !scope || !*scope)
		return false;
	n = strlen(scope);
	len = strnlen(c->scope, sizeof(c->scope));
	while (i < len) {
		size_t j = i;

		while (j < len && c->scope[j] != ' ')
			j++;
		if (j - i == n && !memcmp(c->scope + i, scope, n))
			return true;
		i = j + 1;
	}
	return false;
}

/* ---- signing -------------------------------------------------------------- */

/* Never prompt for a passphrase: encrypted keys are refused. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static enum mcx_err key_type_of(EVP_PKEY *pk, enum key_type *type)
{
	char group[64];
	int bits = EVP_PKEY_get_bits(pk);

	if (EVP_PKEY_is_a(pk, "RSA") && bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS) {
		*type = KEY_RSA;
		return MCX_OK;
	}
	if (EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
					   sizeof(group), NULL) == 1 &&
	    !strcmp(group, SN_X9_62_prime256v1)) {
		*type = KEY_EC;
		return MCX_OK;
	}
	return MCX_EINVAL;
}

/* Big-endian unsigned bytes of a key parameter, left-padded to pad bytes
 * (0: minimal), base64url into out (outlen bytes). */
static enum mcx_err param_b64(EVP_PKEY *pk, const char *name, int pad, char *out, size_t outlen)
{
	uint8_t bin[RSA_MAX_BYTES];
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return MCX_EINTERNAL;
	n = pad ? BN_bn2binpad(bn, bin, pad) : BN_bn2bin(bn, bin);
	BN_free(bn);
	if (n <= 0 || n > (int)sizeof(bin) || B64_LEN((size_t)n) > outlen)
		return MCX_EINTERNAL;
	b64url_encode(bin, (size_t)n, out);
	return MCX_OK;
}

/* The public members as base64url: x/y for EC, n/e for RSA. */
struct pub_text {
	char a[B64_LEN(RSA_MAX_BYTES)];
	char b[B64_LEN(EC_COORD)];
};

static enum mcx_err pub_text(const struct jwt_key *k, struct pub_text *t)
{
	enum mcx_err err;

	if (k->type == KEY_EC) {
		err = param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, EC_COORD, t->a, sizeof(t->a));
		if (!err)
			err = param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, EC_COORD, t->b, sizeof(t->b));
	} else {
		err = param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0, t->a, sizeof(t->a));
		if (!err)
			err = param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0, t->b, sizeof(t->b));
	}
	ERR_clear_error();
	return err;
}

/* RFC 7638 JWK thumbprint: base64url SHA-256 of the required members in
 * lexicographic order; used as the kid when none is given. */
static enum mcx_err thumbprint(const struct jwt_key *k, char *out, size_t outlen)
{
	struct pub_text t;
	uint8_t md[32];
	char json[sizeof(t.a) + sizeof(t.b) + 64];
	enum mcx_err err;
	int n;

	err = pub_text(k, &t);
	if (err)
		return err;
	if (k->type == KEY_EC)
		n = snprintf(json, sizeof(json), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
			     "\"y\":\"%s\"}", t.a, t.b);
	else
		n = snprintf(json, sizeof(json), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
			     t.b, t.a);
	if (n < 0 || (size_t)n >= sizeof(json) || outlen < B64_LEN(sizeof(md)))
		return MCX_EINTERNAL;
	crypto_hash(MCX_HASH_SHA256, json, (size_t)n, md);
	b64url_encode(md, sizeof(md), out);
	return MCX_OK;
}

static enum mcx_err key_set_kid(struct jwt_key *k, const char *kid)
{
	char tp[B64_LEN(32)];
	enum mcx_err err;

	if (!kid) {
		err = thumbprint(k, tp, sizeof(tp));
		if (err)
			return err;
		kid = tp;
	}
	k->kid = mcx_strdup(kid);
	return k->kid ? MCX_OK : MCX_ENOMEM;
}

enum mcx_err jwt_key_load_pem(struct jwt_key **kp, const char *pem, size_t len,
			      const char *kid, char *errbuf, size_t errlen)
{
	struct jwt_key *k = NULL;
	enum key_type type;
	EVP_PKEY *pk = NULL;
	enum mcx_err err;
	BIO *bio;

	if (!kp || !pem || (kid && (!*kid || strlen(kid) >= JWT_CLAIM_MAX)))
		return fail(errbuf, errlen, MCX_EINVAL, "signing key: bad arguments or kid");
	if (len > PEM_MAX)
		return fail(errbuf, errlen, MCX_ELIMIT, "signing key: PEM longer than %d bytes",
			    PEM_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio)
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (!pk || key_type_of(pk, &type)) {
		err = fail(errbuf, errlen, MCX_EINVAL, "signing key: not an unencrypted "
			   "P-256 or RSA %d..%d bit PEM private key", RSA_MIN_BITS, RSA_MAX_BITS);
		goto out;
	}
	k = mcx_calloc(1, sizeof(*k));
	if (!k) {
		err = fail(errbuf, errlen, MCX_ENOMEM, "out of memory");
		goto out;
	}
	k->pkey = pk;
	k->type = type;
	pk = NULL;
	err = key_set_kid(k, kid);
	if (err) {
		err = fail(errbuf, errlen, err, "signing key: %s", mcx_strerror(err));
		goto out;
	}
	*kp = k;
	k = NULL;
out:
	EVP_PKEY_free(pk);
	jwt_key_free(k);
	return err;
}

void jwt_key_free(struct jwt_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	mcx_free(k->kid);
	mcx_free(k);
}

/* Append s as a JSON string literal. */
static enum mcx_err json_str_add(struct mcx_buf *b, const char *s)
{
	enum mcx_err err = buf_adds(b, "\"");
	const char *run = s;

	for (; !err && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		err = buf_add(b, run, (size_t)(s - run));
		if (!err)
			err = buf_addf(b, "\\u%04x", ch);
		run = s + 1;
	}
	if (!err)
		err = buf_add(b, run, (size_t)(s - run));
	if (!err)
		err = buf_adds(b, "\"");
	return err;
}

/* Undo a failed append: out gets back its first len bytes. */
static enum mcx_err rollback(struct mcx_buf *out, size_t len, enum mcx_err err)
{
	if (err && out->p) {
		out->len = len;
		out->p[len] = '\0';
	}
	return err;
}

enum mcx_err jwt_key_public_jwk(const struct jwt_key *k, struct mcx_buf *out)
{
	struct pub_text t;
	enum mcx_err err;
	size_t start;

	if (!k || !out)
		return MCX_EINVAL;
	start = out->len;
	err = pub_text(k, &t);
	if (err)
		return err;
	if (k->type == KEY_EC)
		err = buf_addf(out, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\","
			       "\"kid\":", t.a, t.b);
	else
		err = buf_addf(out, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"kid\":", t.a, t.b);
	if (!err)
		err = json_str_add(out, k->kid);
	if (!err)
		err = buf_addf(out, ",\"alg\":\"%s\",\"use\":\"sig\"}", type_alg[k->type]);
	return rollback(out, start, err);
}

static enum mcx_err b64_add(struct mcx_buf *out, const void *p, size_t n)
{
	char *tmp;
	size_t len;
	enum mcx_err err;

	if (n > SIZE_MAX / 2)
		return MCX_ELIMIT;
	tmp = mcx_malloc(B64_LEN(n));
	if (!tmp)
		return MCX_ENOMEM;
	len = b64url_encode(p, n, tmp);
	err = buf_add(out, tmp, len);
	mcx_free(tmp);
	return err;
}

/* ES256 DER ECDSA-Sig-Value to the JWS r||s form, each left-padded to 32. */
static bool der_to_raw(const uint8_t *der, size_t n, uint8_t raw[2 * EC_COORD])
{
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)n);
	const BIGNUM *r, *s;
	bool ok;

	if (!sig)
		return false;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, EC_COORD) == EC_COORD &&
	     BN_bn2binpad(s, raw + EC_COORD, EC_COORD) == EC_COORD;
	ECDSA_SIG_free(sig);
	return ok;
}

/* The JWS signature over tbs[0..n) into sig (SIG_MAX bytes). */
static enum mcx_err sign_bytes(const struct jwt_key *k, const void *tbs, size_t n,
			       uint8_t *sig, size_t *slen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[SIG_MAX];
	size_t dlen = sizeof(der);
	bool ok;

	ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, NULL, &dlen, tbs, n) == 1 && dlen <= sizeof(der) &&
	     EVP_DigestSign(ctx, der, &dlen, tbs, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (ok && k->type == KEY_EC) {
		ok = der_to_raw(der, dlen, sig);
		dlen = 2 * EC_COORD;
	} else if (ok) {
		memcpy(sig, der, dlen);
	}
	if (!ok) {
		ERR_clear_error();
		return MCX_EINTERNAL;
	}
	*slen = dlen;
	return MCX_OK;
}

static enum mcx_err sign_append(const struct jwt_key *k, const char *header, size_t hlen,
				const char *payload, size_t plen, struct mcx_buf *out,
				size_t start)
{
	uint8_t sig[SIG_MAX];
	size_t slen = 0;
	enum mcx_err err;

	err = b64_add(out, header, hlen);
	if (!err)
		err = buf_adds(out, ".");
	if (!err)
		err = b64_add(out, payload, plen);
	if (!err)
		err = sign_bytes(k, out->p + start, out->len - start, sig, &slen);
	if (!err)
		err = buf_adds(out, ".");
	if (!err)
		err = b64_add(out, sig, slen);
	return err;
}

enum mcx_err jwt_sign_raw(const struct jwt_key *k, const char *header, size_t hlen,
			  const char *payload, size_t plen, struct mcx_buf *out)
{
	size_t start;

	if (!k || !header || !payload || !out)
		return MCX_EINVAL;
	start = out->len;
	return rollback(out, start, sign_append(k, header, hlen, payload, plen, out, start));
}

/* Is text a JSON object without duplicate members? */
static bool json_object_ok(const char *text)
{
	json_t *j = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	bool ok = json_is_object(j);

	json_decref(j);
	return ok;
}

enum mcx_err jwt_sign(const struct jwt_key *k, const char *claims_json, struct mcx_buf *out)
{
	struct mcx_buf hdr;
	enum mcx_err err;
	size_t start;

	if (!k || !out || !json_object_ok(claims_json))
		return MCX_EINVAL;
	start = out->len;
	buf_init(&hdr, 64 + 6 * JWT_CLAIM_MAX);
	err = buf_addf(&hdr, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":", type_alg[k->type]);
	if (!err)
		err = json_str_add(&hdr, k->kid);
	if (!err)
		err = buf_adds(&hdr, "}");
	if (!err)
		err = jwt_sign_raw(k, hdr.p, hdr.len, claims_json, strlen(claims_json), out);
	if (!err && out->len - start > JWT_MAX_LEN)
		err = MCX_ELIMIT; /* jwt_verify() would refuse it */
	buf_reset(&hdr);
	return rollback(out, start, err);
}
