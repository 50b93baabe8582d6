/* Package 0, the General Notification Initiated Session Alert (OMA DM
 * Notification 1.2 section 6.2, application/vnd.syncml.notification):
 * 16-byte MD5 digest, 64-bit header (version, UI mode, initiator, session
 * id, server-id length), server id, optional vendor part. */
#ifndef MCX_DM_PKG0_H
#define MCX_DM_PKG0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "core/pl.h"
#include "dm/auth.h"

#define DM_PKG0_MIME		"application/vnd.syncml.notification"
#define DM_PKG0_VERSION		11	/* "1.1" as the 10-bit field carries it */
#define DM_PKG0_VERSION_MIN	10
#define DM_PKG0_VERSION_MAX	13
#define DM_PKG0_HDR_OFF		16
#define DM_PKG0_MIN		(16 + 8)

enum dm_pkg0_ui {
	DM_PKG0_UI_UNSPECIFIED = 0,
	DM_PKG0_UI_BACKGROUND = 1,
	DM_PKG0_UI_INFORMATIVE = 2,
	DM_PKG0_UI_INTERACTION = 3,
};

struct dm_pkg0 {
	uint8_t digest[16];
	unsigned version;
	enum dm_pkg0_ui ui;
	bool server_initiated;
	uint16_t session_id;
	struct pl server_id;	/* views into the decoded bytes */
	struct pl vendor;
};

/* Decode (views point into p). MCX_EINVAL with errbuf on anything short,
 * long, or out of range (version outside 10..13, reserved bits set). */
MCX_WUR enum mcx_err dm_pkg0_decode(const uint8_t *p, size_t n, struct dm_pkg0 *out,
				    char *errbuf, size_t errlen);
/* Encode version/ui/initiator/session/server_id/vendor of in, computing
 * the digest with the server's password and nonce (SRVCRED AAuthSecret /
 * AAuthData); appends to out. in->digest is ignored. */
MCX_WUR enum mcx_err dm_pkg0_encode(const struct dm_pkg0 *in, const char *pwd,
				    const struct dm_nonce *nonce, struct mcx_buf *out);
/* digest = MD5(B64(MD5(server_id ":" pwd)) ":" nonce ":" B64(MD5(trigger))),
 * trigger = the bytes after the digest. */
MCX_WUR enum mcx_err dm_pkg0_digest(const char *server_id, size_t id_len, const char *pwd,
				    const struct dm_nonce *nonce, const uint8_t *trigger,
				    size_t tlen, uint8_t out[16]);
/* Check the digest of p[0..n) (decoded as d): MCX_OK or MCX_EAUTH. */
MCX_WUR enum mcx_err dm_pkg0_verify(const uint8_t *p, size_t n, const struct dm_pkg0 *d,
				    const char *pwd, const struct dm_nonce *nonce);
/* Verify with the stored nonce, then with the resync nonce (Notification
 * 6.2: "0x00000000", which libdmclient sends as that 10-character text);
 * *resync tells which matched. */
MCX_WUR enum mcx_err dm_pkg0_verify_resync(const uint8_t *p, size_t n, const struct dm_pkg0 *d,
					   const char *pwd, const struct dm_nonce *stored,
					   bool *resync);
/* SyncHdr SessionID for the session a Package 0 starts: upper-case hex,
 * no leading zeros ("1234", "A", "0"). out needs 5 bytes. */
void dm_pkg0_session_hex(uint16_t session_id, char out[5]);

#endif
