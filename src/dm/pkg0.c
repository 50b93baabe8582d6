/* Package 0 encode/decode/digest. The header is big-endian bit-packed:
 * version(10) ui-mode(2) initiator(1) future(27) session-id(16) id-length(8). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "dm/b64.h"
#include "dm/pkg0.h"
#include "core/banned.h"

#define RESYNC_NONCE "0x00000000"

static enum mcx_err pfail(char *errbuf, size_t errlen, const char *fmt, ...) MCX_PRINTF(3, 4);

static enum mcx_err pfail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return MCX_EINVAL;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

enum mcx_err dm_pkg0_decode(const uint8_t *p, size_t n, struct dm_pkg0 *out,
			    char *errbuf, size_t errlen)
{
	uint64_t h;
	size_t idlen;

	memset(out, 0, sizeof(*out));
	if (n < DM_PKG0_MIN)
		return pfail(errbuf, errlen, "%zu bytes is shorter than digest and header", n);
	if (n > DM_PKG0_MAX)
		return pfail(errbuf, errlen, "%zu bytes is over the %d-byte limit", n, DM_PKG0_MAX);
	memcpy(out->digest, p, 16);
	h = be64(p + DM_PKG0_HDR_OFF);
	out->version = (unsigned)(h >> 54);
	out->ui = (enum dm_pkg0_ui)((h >> 52) & 3);
	out->server_initiated = (h >> 51) & 1;
	out->session_id = (uint16_t)(h >> 8);
	idlen = (size_t)(h & 0xFF);
	if (out->version < DM_PKG0_VERSION_MIN || out->version > DM_PKG0_VERSION_MAX)
		return pfail(errbuf, errlen, "notification version %u is not 1.0-1.3", out->version);
	if ((h >> 24) & 0x7FFFFFFu)
		return pfail(errbuf, errlen, "reserved header bits are set");
	if (idlen == 0 || idlen > n - DM_PKG0_MIN)
		return pfail(errbuf, errlen, "server identifier of %zu bytes does not fit", idlen);
	out->server_id = pl_make((const char *)p + DM_PKG0_MIN, idlen);
	out->vendor = pl_make((const char *)p + DM_PKG0_MIN + idlen, n - DM_PKG0_MIN - idlen);
	return MCX_OK;
}

static void put_hdr(const struct dm_pkg0 *in, size_t idlen, uint8_t out[8])
{
	uint64_t h = (uint64_t)(in->version & 0x3FF) << 54 | (uint64_t)(in->ui & 3) << 52 |
		     (uint64_t)(in->server_initiated ? 1 : 0) << 51 |
		     (uint64_t)in->session_id << 8 | (idlen & 0xFF);
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)h;
		h >>= 8;
	}
}

enum mcx_err dm_pkg0_digest(const char *server_id, size_t id_len, const char *pwd,
			    const struct dm_nonce *nonce, const uint8_t *trigger, size_t tlen,
			    uint8_t out[16])
{
	char hb[B64_ENC_LEN(16)], tb[B64_ENC_LEN(16)];
	struct mcx_buf b;
	uint8_t d[16];
	enum mcx_err err;

	buf_init(&b, 2 * DM_PKG0_MAX);
	err = buf_add(&b, server_id, id_len);
	if (!err)
		err = buf_addf(&b, ":%s", pwd);
	if (err)
		goto out;
	crypto_hash(MCX_HASH_MD5, b.p, b.len, d);
	b64_encode(d, 16, hb);
	crypto_hash(MCX_HASH_MD5, trigger, tlen, d);
	b64_encode(d, 16, tb);
	buf_reset(&b);
	err = buf_addf(&b, "%s:", hb);
	if (!err && nonce)
		err = buf_add(&b, nonce->b, nonce->len);
	if (!err)
		err = buf_addf(&b, ":%s", tb);
	if (!err)
		crypto_hash(MCX_HASH_MD5, b.p, b.len, out);
out:
	buf_reset(&b);
	return err;
}

enum mcx_err dm_pkg0_encode(const struct dm_pkg0 *in, const char *pwd,
			    const struct dm_nonce *nonce, struct mcx_buf *out)
{
	size_t start = out->len, idlen = in->server_id.l;
	uint8_t hdr[8], digest[16] = { 0 };
	enum mcx_err err;

	if (!idlen || idlen > 255 || in->vendor.l > DM_PKG0_VENDOR_MAX ||
	    in->version < DM_PKG0_VERSION_MIN || in->version > DM_PKG0_VERSION_MAX ||
	    (unsigned)in->ui > 3)
		return MCX_EINVAL;
	put_hdr(in, idlen, hdr);
	err = buf_add(out, digest, sizeof(digest));	/* placeholder */
	if (!err)
		err = buf_add(out, hdr, sizeof(hdr));
	if (!err)
		err = buf_add(out, in->server_id.p, idlen);
	if (!err && in->vendor.l)
		err = buf_add(out, in->vendor.p, in->vendor.l);
	if (!err)
		err = dm_pkg0_digest(in->server_id.p, idlen, pwd, nonce,
				     (const uint8_t *)out->p + start + 16, out->len - start - 16,
				     digest);
	if (!err)
		memcpy(out->p + start, digest, sizeof(digest));
	else
		out->len = start;
	return err;
}

enum mcx_err dm_pkg0_verify(const uint8_t *p, size_t n, const struct dm_pkg0 *d,
			    const char *pwd, const struct dm_nonce *nonce)
{
	uint8_t want[16];
	enum mcx_err err;

	if (n < DM_PKG0_MIN)
		return MCX_EINVAL;
	err = dm_pkg0_digest(d->server_id.p, d->server_id.l, pwd, nonce, p + 16, n - 16, want);
	if (err)
		return err;
	return crypto_eq(want, p, 16) ? MCX_OK : MCX_EAUTH;
}

enum mcx_err dm_pkg0_verify_resync(const uint8_t *p, size_t n, const struct dm_pkg0 *d,
				   const char *pwd, const struct dm_nonce *stored, bool *resync)
{
	struct dm_nonce zero;
	enum mcx_err err = dm_pkg0_verify(p, n, d, pwd, stored);

	*resync = false;
	if (err != MCX_EAUTH)
		return err;
	err = dm_nonce_set(&zero, RESYNC_NONCE, strlen(RESYNC_NONCE));
	if (!err)
		err = dm_pkg0_verify(p, n, d, pwd, &zero);
	*resync = err == MCX_OK;
	return err;
}

void dm_pkg0_session_hex(uint16_t session_id, char out[5])
{
	snprintf(out, 5, "%X", (unsigned)session_id);
}
