/* Hashes, HMAC, encodings and randomness on top of OpenSSL's libcrypto. */
#ifndef MCX_CORE_CRYPTO_H
#define MCX_CORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"

enum mcx_hash { MCX_HASH_MD5, MCX_HASH_SHA256 };

#define MCX_HASH_MAX 32

/* Digest length in bytes of the algorithm. */
size_t crypto_hash_len(enum mcx_hash h);
/* out must hold crypto_hash_len(h) bytes. */
void crypto_hash(enum mcx_hash h, const void *p, size_t n, uint8_t *out);
/* Lower-case hex of the hash into out (2*len+1 bytes, NUL-terminated). */
void crypto_hash_hex(enum mcx_hash h, const void *p, size_t n, char *out);
void crypto_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
			uint8_t out[32]);
void hex_encode(const uint8_t *p, size_t n, char *out);
/* Fill p with n bytes from the OS CSPRNG. */
MCX_WUR enum mcx_err crypto_random(void *p, size_t n);
/* Timing-safe equality. */
bool crypto_eq(const void *a, const void *b, size_t n);
/* base64url without padding; out needs 4*((n+2)/3)+1 bytes. Returns length. */
size_t b64url_encode(const uint8_t *p, size_t n, char *out);
/* Decode base64url (padding optional); returns -1 on bad input or if out
 * (outmax bytes) is too small, else the decoded length. */
long b64url_decode(const char *p, size_t n, uint8_t *out, size_t outmax);

#endif
