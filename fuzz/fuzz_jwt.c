/* libFuzzer driver for src/http/jwt.c. The first input byte picks a mode
 * (its value mod 4, so the digits '0'..'3' in seed files):
 *   0  the rest is a compact token for jwt_verify() against a fixed key set;
 *   1  the rest is a JWKS document for jwks_parse();
 *   2  the rest is a claims payload, signed here (ES256) and then verified,
 *      so the claim checks behind the signature are reached;
 *   3  the rest is a JOSE header, signed here with a fixed payload, verified.
 * The keys below are throwaway test keys for this driver only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/jwt.h"

static const char EC_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgepddhxUHQ//cMKjG\n"
	"9x3u11fwzkm5Np2ehJy6pe/tamahRANCAAQwy+tFtbgSYZDw9SS2gvNvJdC6MXFU\n"
	"OY6SJjg8AY3gkgsEwr1cnBZnjCVabSwNjarME4irP2rPMU9f42XHfZFQ\n"
	"-----END PRIVATE KEY-----\n";
static const char RSA_PEM[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQChm+B2DRsj0E+g\n"
	"0MaqHkTEgbdN6dAhfo2A9EtgnuaOHLMzLh0PJX0C4mdPDc878xWSFhE/LcE6zo7s\n"
	"ctMn1OupaAdWUEEpbgJSW1sCQ8nPbV88dg4vJ5tDWKH/t6jmVUEpVu+B0c2i2jDj\n"
	"XJxoYwPyLRt3wAPp6sLiZdPx7yQSb1hpm3MnV0qhi06m9jDLOO5lI5D2Mb9rdSBr\n"
	"Ut2qnqD3Irva7zjW4n3UPxB/HO1KsURh+rncT3fZ39CwSbSpbaY2kZY+5LrF7S/P\n"
	"ul9ZhzvP9rktotadNPptNHzsBfFDyEWj/wKjzTzI2kzWPr2ngC2CanFP6nb65/N8\n"
	"9p4FH1GnAgMBAAECggEAAnN8yg2U1cw5CPVhrf7biCd3gkUDlR54QvZxljuSv6EL\n"
	"zsDqS+qDpOGOM5LAC+a58wdGp7Cn955eaJOtRDNkh6M+ST7aXih+/ITKMpSYoP7F\n"
	"rQMVX/23yyOzAU/lzeiJHnllFJD8D3ZDu48SCDtIOgoZGo3dAVVAM3Lb7hV0dJsZ\n"
	"iNq1qAoDgljToKZlAAPdoH3pdbNBm1aGb0eHcwL3OZz8sn84BgIpCO8b3fYabizH\n"
	"AK81lI5mlOh6WhMfReP2+dXJXggpLdg1UYjJqfoLGR/kTO3gw7ghrZcMjR+GADq7\n"
	"UDjsX3goUb26mq2CNIi+QzlDia+aP1lvQg7FtxuKAQKBgQDdmJqxOR9I/shk9AKw\n"
	"RUAF4GhbdG3ZKMRMuvf8x10vR51IaGWtTdFpISOTGkMsu5rc2B16Q6fCXxaMSOAS\n"
	"TMRSojE2HOaXZjkSfYsqF5hNZcRrbwbwfeZxgfymubi2VfcHz2b6Wm1qbRk53aap\n"
	"BM6iRrBigwjvohcPOKj0kI0bgQKBgQC6sxCYA/ACkrUDEsCZJGWvQFfPGpANxPmD\n"
	"YpXtHFLlbpCz93PG+EdpaGHZ1am/dQWeRtkPPPlQsyxa7PTgbVc0Nesj6fgpCddb\n"
	"MryMoEUwj4sMHdrRn1Vi37LoLilmQp5dhTV/K+CmFjRdjfD2v882xFkGUHNRBGxK\n"
	"5oyPu1ShJwKBgBjU8QDLFeZoJqypa2O1XudJrmgRM/4Rw22VxhRdguO5craafEpf\n"
	"XggZ3pKtbrmkjEYTMbpxumrdnPk7cWCbmaRo6HrX4j81BVA9IUsmObrynIAtgOmS\n"
	"MjCmEFnelgRYvcXyR+fmGjzC3QDPBc4K69zjbwCbDnVMBKl//+7oA+gBAoGAWSEZ\n"
	"P+lJUIEnRzNRnQqiPLsT8Hw230v07kNHXe4SqRNSo4fzzr5CoVDCvhLhudQs/XXH\n"
	"NB4gy+TtvO64rNemNPe0rO2KmlTnadNb7iqpPViZwgwSpdZSFiTDLVK0Uuxk3DK2\n"
	"6mJRGhkpoKwdqD7DttqfwYLwunHJHSzZV9jPuysCgYEAyfTew77ZnZlvQZYcI817\n"
	"JWrXnY+ArZfiyqAgWf18iCaXVOicYFV7ayB8Zr/JDeTeMPS+4J9NDsD0sOa4vNqP\n"
	"dtRWLewliHYVlJoZaNUsja3x7kh+5cZVwVX1unQ5UsOex9RB5+q+vr5PBJZEwcYm\n"
	"hLPBegSnaQkWUIvxUNmWtgA=\n"
	"-----END PRIVATE KEY-----\n";

#define NOW 1700000000

static const char payload_fixed[] =
	"{\"iss\":\"https://idms.example.org\",\"aud\":[\"mcptt-cms\",\"x\"],\"exp\":4102444800,"
	"\"iat\":1700000000,\"mcptt_id\":\"sip:alice@example.org\",\"sub\":\"alice\","
	"\"scope\":[\"openid\",\"3gpp:mcptt:config_management_server\"]}";
static const char header_fixed[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec1\"}";

static struct jwt_key *ec_key, *rsa_key;
static struct jwks *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mcx_buf doc;

	(void)argc;
	(void)argv;
	buf_init(&doc, 16384);
	if (jwt_key_load_pem(&ec_key, EC_PEM, sizeof(EC_PEM) - 1, "ec1", NULL, 0) ||
	    jwt_key_load_pem(&rsa_key, RSA_PEM, sizeof(RSA_PEM) - 1, "rsa1", NULL, 0) ||
	    buf_adds(&doc, "{\"keys\":[") || jwt_key_public_jwk(ec_key, &doc) ||
	    buf_adds(&doc, ",") || jwt_key_public_jwk(rsa_key, &doc) || buf_adds(&doc, "]}") ||
	    jwks_parse(&keys, doc.p, doc.len, NULL, 0))
		abort();
	buf_reset(&doc);
	return 0;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* What an accepted token must look like. */
static void check_ok(const struct jwt_claims *c, const struct jwt_expect *ex)
{
	if (!terminated(c->mcptt_id, sizeof(c->mcptt_id)) || !c->mcptt_id[0] ||
	    !terminated(c->sub, sizeof(c->sub)) || !terminated(c->iss, sizeof(c->iss)) ||
	    !terminated(c->client_id, sizeof(c->client_id)) ||
	    !terminated(c->jti, sizeof(c->jti)) || !terminated(c->kid, sizeof(c->kid)) ||
	    !terminated(c->alg, sizeof(c->alg)) || !terminated(c->scope, sizeof(c->scope)))
		abort();
	if (c->exp + ex->skew <= ex->now || c->nbf - ex->skew > ex->now ||
	    c->iat - ex->skew > ex->now)
		abort();
	if (ex->iss && strcmp(c->iss, ex->iss))
		abort();
	if (strcmp(c->alg, "ES256") && strcmp(c->alg, "RS256"))
		abort();
}

static void verify(const char *tok, size_t len, bool strict)
{
	struct jwt_expect ex = { .now = NOW, .skew = 60 };
	struct jwt_claims c;
	enum jwt_result r;

	if (strict) {
		ex.iss = "https://idms.example.org";
		ex.aud = "mcptt-cms";
	}
	r = jwt_verify(keys, tok, len, &ex, &c);
	if ((unsigned)r > JWT_NO_MCPTT_ID || !jwt_result_str(r))
		abort();
	if (r == JWT_OK) {
		check_ok(&c, &ex);
		(void)jwt_has_scope(&c, "3gpp:mcptt:config_management_server");
		(void)jwt_has_scope(&c, "openid");
	} else if (c.mcptt_id[0] || c.scope[0]) {
		abort(); /* nothing is handed out on failure */
	}
}

static void parse_jwks(const char *p, size_t len)
{
	struct jwks *ks = NULL;
	char errbuf[128];
	enum mcx_err err = jwks_parse(&ks, p, len, errbuf, sizeof(errbuf));

	if (err == MCX_OK && (jwks_count(ks) == 0 || jwks_count(ks) > JWKS_MAX_KEYS))
		abort();
	if (err != MCX_OK && (ks || !terminated(errbuf, sizeof(errbuf))))
		abort();
	jwks_free(ks);
}

/* Sign header and payload here, so the fuzzer reaches past the signature. */
static void sign_verify(const char *hdr, size_t hlen, const char *pl, size_t plen,
			bool strict)
{
	struct mcx_buf tok;
	char *copy;

	buf_init(&tok, 4 * JWT_MAX_LEN);
	if (jwt_sign_raw(ec_key, hdr, hlen, pl, plen, &tok) == MCX_OK) {
		copy = malloc(tok.len ? tok.len : 1);
		if (!copy)
			abort();
		memcpy(copy, tok.p, tok.len);
		verify(copy, tok.len, strict);
		free(copy);
	}
	buf_reset(&tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	/* an exact-size copy: ASan sees any read past the end */
	p = malloc(len ? len : 1);
	if (!p)
		abort();
	memcpy(p, data + 1, len);
	switch (data[0] % 4) {
	case 0:
		verify(p, len, data[0] & 4);
		break;
	case 1:
		parse_jwks(p, len);
		break;
	case 2:
		sign_verify(header_fixed, sizeof(header_fixed) - 1, p, len, data[0] & 4);
		break;
	default:
		sign_verify(p, len, payload_fixed, sizeof(payload_fixed) - 1, data[0] & 4);
		break;
	}
	free(p);
	return 0;
}
