/* mcx token: keys and access tokens for testing and operating the token
 * side of the CMS/GMS without an identity management server: generate a
 * signing key, publish its JWKS, sign a TS 33.180-style access token, and
 * verify one the way mcxd does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "cmd/mcx.h"
#include "core/buf.h"
#include "core/mem.h"
#include "http/jwt.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx token COMMAND\n"
		"  keygen [--alg ES256|RS256] --out FILE        a new private key (PEM, mode 0600)\n"
		"  jwks --key FILE --kid KID [--key FILE --kid KID ...]\n"
		"                                               the public keys as a JWKS document\n"
		"  sign --key FILE --kid KID --mcptt-id XUI [--scope S] [--iss I] [--aud A]\n"
		"       [--ttl SECONDS] [--nbf-in SECONDS] [--claims JSON-OBJECT-MEMBERS]\n"
		"                                               an access token (JWS compact form)\n"
		"  verify --jwks FILE [--iss I] [--aud A] TOKEN the claims, or why it is refused\n"
		"Scopes (Rel-13): 3gpp:mcptt:config_management_server, 3gpp:mcptt:group_management_server, ...\n");
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	int i;

	for (i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

static char *slurp(const char *path, size_t *len)
{
	struct mcx_buf b;

	buf_init(&b, 1 << 20);
	if (buf_add_file(&b, path) || buf_add(&b, "", 0)) {
		buf_reset(&b);
		return NULL;
	}
	return buf_take(&b, len);
}

static int keygen(int argc, char **argv)
{
	const char *alg = opt(argc, argv, "--alg", "ES256"), *out = opt(argc, argv, "--out", NULL);
	EVP_PKEY *k = NULL;
	FILE *f;
	int rc = 1;

	if (!out) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(alg, "ES256"))
		k = EVP_EC_gen("P-256");
	else if (!strcmp(alg, "RS256"))
		k = EVP_RSA_gen(2048);
	else {
		fprintf(stderr, "mcx: --alg is ES256 or RS256\n");
		return 2;
	}
	f = k ? fopen(out, "wx") : NULL;
	if (!f) {
		fprintf(stderr, "mcx: cannot create %s (exists?)\n", out);
		goto out;
	}
	if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1)
		rc = 0;
	fclose(f);
out:
	EVP_PKEY_free(k);
	return rc;
}

static struct jwt_key *load_key(const char *path, const char *kid)
{
	struct jwt_key *k = NULL;
	char eb[256], *pem;
	size_t len = 0;

	pem = slurp(path, &len);
	if (!pem || jwt_key_load_pem(&k, pem, len, kid, eb, sizeof(eb))) {
		fprintf(stderr, "mcx: %s: %s\n", path, pem ? eb : "cannot read");
		k = NULL;
	}
	mcx_free(pem);
	return k;
}

static int jwks(int argc, char **argv)
{
	struct mcx_buf out;
	int i, n = 0, rc = 0;

	buf_init(&out, 1 << 20);
	if (buf_adds(&out, "{\"keys\":["))
		return 1;
	for (i = 2; i + 3 < argc + 1 && !rc; i++) {
		struct jwt_key *k;

		if (strcmp(argv[i], "--key") || i + 3 >= argc || strcmp(argv[i + 2], "--kid"))
			continue;
		k = load_key(argv[i + 1], argv[i + 3]);
		if (!k || (n++ && buf_adds(&out, ",")) || jwt_key_public_jwk(k, &out))
			rc = 1;
		jwt_key_free(k);
		i += 3;
	}
	if (!n) {
		usage(stderr);
		rc = 2;
	}
	if (!rc && !buf_adds(&out, "]}\n"))
		fwrite(out.p, 1, out.len, stdout);
	buf_reset(&out);
	return rc;
}

static int json_esc(struct mcx_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) {
			if (buf_addf(b, "\\u%04x", (unsigned char)*s))
				return -1;
		} else if (buf_add(b, s, 1)) {
			return -1;
		}
	}
	return 0;
}

static int sign(int argc, char **argv)
{
	const char *key = opt(argc, argv, "--key", NULL), *kid = opt(argc, argv, "--kid", "k1");
	const char *id = opt(argc, argv, "--mcptt-id", NULL), *extra = opt(argc, argv, "--claims", NULL);
	const char *scope = opt(argc, argv, "--scope",
				"openid 3gpp:mcptt:config_management_server 3gpp:mcptt:group_management_server");
	const char *iss = opt(argc, argv, "--iss", "https://idms.example.org");
	const char *aud = opt(argc, argv, "--aud", NULL);
	long ttl = strtol(opt(argc, argv, "--ttl", "3600"), NULL, 10);
	long nbf = strtol(opt(argc, argv, "--nbf-in", "0"), NULL, 10);
	struct mcx_buf claims, tok;
	struct jwt_key *k;
	long long now = (long long)time(NULL);
	unsigned char rnd[8];
	int rc = 1;

	if (!key || !id) {
		usage(stderr);
		return 2;
	}
	k = load_key(key, kid);
	if (!k)
		return 1;
	buf_init(&claims, 64 * 1024);
	buf_init(&tok, 64 * 1024);
	if (RAND_bytes_ex(NULL, rnd, sizeof(rnd), 0) != 1)
		goto out;
	if (buf_adds(&claims, "{\"mcptt_id\":\"") || json_esc(&claims, id) ||
	    buf_adds(&claims, "\",\"sub\":\"") || json_esc(&claims, id) ||
	    buf_adds(&claims, "\",\"iss\":\"") || json_esc(&claims, iss) ||
	    buf_adds(&claims, "\",\"scope\":\"") || json_esc(&claims, scope) ||
	    buf_addf(&claims, "\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"%02x%02x%02x%02x%02x%02x%02x%02x\"",
		     now, now + ttl, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]))
		goto out;
	if (nbf && buf_addf(&claims, ",\"nbf\":%lld", now + nbf))
		goto out;
	if (aud && (buf_adds(&claims, ",\"aud\":\"") || json_esc(&claims, aud) || buf_adds(&claims, "\"")))
		goto out;
	if (extra && (buf_adds(&claims, ",") || buf_adds(&claims, extra)))
		goto out;
	if (buf_adds(&claims, "}") || jwt_sign(k, claims.p, &tok))
		goto out;
	printf("%s\n", tok.p);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "mcx: cannot sign the token\n");
	jwt_key_free(k);
	buf_reset(&claims);
	buf_reset(&tok);
	return rc;
}

static int verify(int argc, char **argv)
{
	const char *path = opt(argc, argv, "--jwks", NULL), *tok = argv[argc - 1];
	struct jwt_expect ex;
	struct jwt_claims cl;
	struct jwks *ks = NULL;
	enum jwt_result r;
	char eb[256];

	if (!path || argc < 5) {
		usage(stderr);
		return 2;
	}
	if (jwks_load_file(&ks, path, eb, sizeof(eb))) {
		fprintf(stderr, "mcx: %s\n", eb);
		return 1;
	}
	memset(&ex, 0, sizeof(ex));
	ex.iss = opt(argc, argv, "--iss", NULL);
	ex.aud = opt(argc, argv, "--aud", NULL);
	ex.now = (int64_t)time(NULL);
	ex.skew = 60;
	r = jwt_verify(ks, tok, strlen(tok), &ex, &cl);
	jwks_free(ks);
	if (r != JWT_OK) {
		fprintf(stderr, "mcx: refused: %s\n", jwt_result_str(r));
		return 1;
	}
	printf("mcptt_id %s\nscope %s\niss %s\nkid %s\nalg %s\nexp %lld\n", cl.mcptt_id, cl.scope,
	       cl.iss, cl.kid, cl.alg, (long long)cl.exp);
	return 0;
}

int cmd_token(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	(void)x;
	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (!strcmp(sub, "keygen"))
		return keygen(argc, argv);
	if (!strcmp(sub, "jwks"))
		return jwks(argc, argv);
	if (!strcmp(sub, "sign"))
		return sign(argc, argv);
	if (!strcmp(sub, "verify"))
		return verify(argc, argv);
	usage(stderr);
	return 2;
}
