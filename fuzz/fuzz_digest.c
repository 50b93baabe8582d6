/* libFuzzer driver for the Digest Authorization parser (src/http/digest.c).
 * Input: "<request target>\n<Authorization value>", or just the value when
 * there is no '\n'. Every accepted header is pushed through the checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/digest.h"

static struct digest_params dp;

static const uint8_t key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

/* A view is absent, inside hdr[0..len) or inside dp.scratch. */
static void check_view(struct pl v, const char *hdr, size_t len)
{
	if (!v.p) {
		if (v.l)
			abort();
		return;
	}
	if (v.p >= hdr && v.p + v.l <= hdr + len)
		return;
	if (v.p >= dp.scratch && v.p + v.l <= dp.scratch + sizeof(dp.scratch))
		return;
	abort();
}

static void exercise(const char *hdr, size_t len, const char *target, size_t tlen)
{
	const struct pl all[] = { dp.username, dp.realm, dp.nonce, dp.uri, dp.response,
				  dp.algorithm, dp.cnonce, dp.opaque, dp.qop, dp.nc, dp.userhash };
	char ha1[DIGEST_HEX_MAX];
	struct pl name, domain;
	enum mcx_hash alg;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		check_view(all[i], hdr, len);
	if (!dp.username.p || !dp.realm.p || !dp.nonce.p || !dp.uri.p || !dp.response.p)
		abort();
	if (digest_params_check(&dp, &alg) == DIGEST_CHECK_OK) {
		if (digest_ha1_hex(alg, dp.username, dp.realm, PL("pw"), ha1) == MCX_OK)
			(void)digest_response_ok(&dp, "GET", alg, ha1);
	}
	(void)digest_uri_matches(&dp, target, tlen);
	(void)digest_nonce_check(key, sizeof(key), "example.org", dp.nonce, 1000, 300);
	if (digest_user_split(dp.username, &name, &domain)) {
		check_view(name, hdr, len);
		check_view(domain, hdr, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : 0;
	size_t off = nl ? tlen + 1 : 0;
	size_t len = size - off;
	char *target = malloc(tlen ? tlen : 1);
	char *hdr = malloc(len ? len : 1);
	enum mcx_err err;

	if (!target || !hdr)
		goto out;
	/* separate exact-size blocks: ASan sees any read past either */
	memcpy(target, data, tlen);
	memcpy(hdr, data + off, len);
	err = digest_parse(hdr, len, nl ? target : NULL, tlen, &dp);
	if (err == MCX_OK)
		exercise(hdr, len, target, tlen);
	else if (err != MCX_EINVAL && err != MCX_ELIMIT)
		abort();
	else if (!dp.why)
		abort();
out:
	free(target);
	free(hdr);
	return 0;
}
