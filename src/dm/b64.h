/* Plain base64 (RFC 4648 section 4, with padding) as SyncML uses it for
 * credentials, nonces, digests and b64-format data. */
#ifndef MCX_DM_B64_H
#define MCX_DM_B64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes b64_encode writes for n input bytes, NUL included. */
#define B64_ENC_LEN(n) (4 * (((n) + 2) / 3) + 1)

/* Encode p[0..n) into out (B64_ENC_LEN(n) bytes, NUL-terminated); returns
 * the length without the NUL. */
size_t b64_encode(const uint8_t *p, size_t n, char *out);
/* Decode, skipping ASCII whitespace (MIME-style line breaks); padding is
 * optional but must be right when present. Returns the decoded length, or
 * -1 on bad input or when out (outmax bytes) is too small. */
long b64_decode(const char *p, size_t n, uint8_t *out, size_t outmax);

#endif
