/* Bootstrap message security (OMA DM Security 1.2 section 5.1.7.2): the
 * WBXML bootstrap document travels with Content-Type parameters SEC (the
 * shared secret used) and MAC (hex HMAC-SHA1 of the WBXML bytes). */
#ifndef MCX_DM_BOOTSTRAP_H
#define MCX_DM_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "core/pl.h"

#define DM_BOOT_MIME		"application/vnd.syncml.dm+wbxml"
#define DM_BOOT_CP_MIME		"application/vnd.wap.connectivity-wbxml"
#define DM_BOOT_MAC_HEX		41	/* 40 hex digits and a NUL */

enum dm_boot_sec {
	DM_BOOT_SEC_NETWORKID = 0,	/* key: the network's shared secret (e.g. IMSI) */
	DM_BOOT_SEC_USERPIN = 1,	/* key: the PIN given to the user out of band */
	DM_BOOT_SEC_USERPIN_NETWORKID = 2,	/* key: PIN ":" NETWORKID */
};

/* "NETWORKID", "USERPIN", "USERPIN_NETWORKID". */
const char *dm_boot_sec_name(enum dm_boot_sec sec);
/* Also the OMA CP spellings NETWPIN / USERNETWPIN and the WSP numbers 0-2. */
MCX_WUR enum mcx_err dm_boot_sec_parse(struct pl s, enum dm_boot_sec *sec);
/* The HMAC key for sec (netid / pin may be NULL when sec does not use them). */
MCX_WUR enum mcx_err dm_boot_key(enum dm_boot_sec sec, const char *netid, const char *pin,
				 struct mcx_buf *key);
/* Upper-case hex HMAC-SHA1(key(sec), doc) into mac. */
MCX_WUR enum mcx_err dm_boot_mac(enum dm_boot_sec sec, const char *netid, const char *pin,
				 const uint8_t *doc, size_t n, char mac[DM_BOOT_MAC_HEX]);
/* "application/vnd.syncml.dm+wbxml; SEC=USERPIN; MAC=..." for doc; appends. */
MCX_WUR enum mcx_err dm_boot_ctype(enum dm_boot_sec sec, const char *netid, const char *pin,
				   const uint8_t *doc, size_t n, struct mcx_buf *out);

struct dm_boot_ct {
	struct pl mime;
	enum dm_boot_sec sec;
	struct pl mac;	/* 40 hex digits */
};

/* Parse a Content-Type value (views into s). MCX_ENOENT when it carries no
 * SEC/MAC (an unsecured bootstrap), MCX_EINVAL when malformed. */
MCX_WUR enum mcx_err dm_boot_ct_parse(const char *s, size_t n, struct dm_boot_ct *ct);
/* Parse ctype and check its MAC over doc: MCX_OK, MCX_EAUTH (wrong MAC),
 * MCX_ENOENT (unsecured), MCX_EINVAL. */
MCX_WUR enum mcx_err dm_boot_verify(const char *ctype, size_t clen, const uint8_t *doc, size_t n,
				    const char *netid, const char *pin);

#endif
