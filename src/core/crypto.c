/* Hashes, HMAC, encodings and randomness on top of OpenSSL's libcrypto. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

#include "core/crypto.h"

size_t crypto_hash_len(enum mcx_hash h)
{
	return h == MCX_HASH_MD5 ? 16 : 32;
}

void crypto_hash(enum mcx_hash h, const void *p, size_t n, uint8_t *out)
{
	unsigned int len = 0;

	EVP_Digest(p, n, out, &len, h == MCX_HASH_MD5 ? EVP_md5() : EVP_sha256(), NULL);
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void crypto_hash_hex(enum mcx_hash h, const void *p, size_t n, char *out)
{
	uint8_t md[MCX_HASH_MAX];

	crypto_hash(h, p, n, md);
	hex_encode(md, crypto_hash_len(h), out);
}

void crypto_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
			uint8_t out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, p, n, out, &len);
}

enum mcx_err crypto_random(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? MCX_OK : MCX_EINTERNAL;
}

bool crypto_eq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64url_encode(const uint8_t *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
		out[o++] = b64u[(v >> 6) & 63];
		out[o++] = b64u[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
		out[o++] = b64u[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-' || c == '+') return 62;
	if (c == '_' || c == '/') return 63;
	return -1;
}

long b64url_decode(const char *p, size_t n, uint8_t *out, size_t outmax)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	while (n && p[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		int v = b64val(p[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outmax)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 6)
		return -1;
	return (long)o;
}
