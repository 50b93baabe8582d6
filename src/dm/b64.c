/* Plain base64 with padding; the decoder tolerates embedded whitespace. */
#include "dm/b64.h"
#include "core/banned.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encode(const uint8_t *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

long b64_decode(const char *p, size_t n, uint8_t *out, size_t outmax)
{
	uint32_t acc = 0;
	size_t i, o = 0, pad = 0, got = 0;

	for (i = 0; i < n; i++) {
		int s;

		if (is_space(p[i]))
			continue;
		if (p[i] == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after padding */
		s = sextet(p[i]);
		if (s < 0)
			return -1;
		acc = acc << 6 | (uint32_t)s;
		if (++got % 4 == 0) {
			if (outmax - o < 3)
				return -1;
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	switch (got % 4) {
	case 0:
		if (pad)
			return -1;
		break;
	case 2:
		if ((pad && pad != 2) || (acc & 15) || outmax - o < 1)
			return -1;
		out[o++] = (uint8_t)(acc >> 4);
		break;
	case 3:
		if ((pad && pad != 1) || (acc & 3) || outmax - o < 2)
			return -1;
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
		break;
	default:
		return -1;
	}
	return (long)o;
}
