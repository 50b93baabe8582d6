/* SyncML DM and TNDS documents between XML and WBXML (application/
 * vnd.syncml.dm+wbxml, application/vnd.syncml.dmtnds+wbxml). Decoding
 * goes through libwbxml2 after dm_wb_scan() has checked every token and
 * with the language forced, so both public-id forms (0x1201 and the string
 * "-//SYNCML//DTD SyncML 1.2//EN", even "SyncML 1.1" with VerDTD 1.2) and
 * anonymous documents decode alike. Encoding is our own table-driven
 * writer (see docs/dm-codec.md for why not libwbxml2's). */
#ifndef MCX_DM_WBXML_H
#define MCX_DM_WBXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/limits.h"
#include "dm/syncml.h"

struct dm_wbxml_opts {
	uint8_t version;	/* 0x01..0x03 (WBXML 1.1-1.3); 0 means 0x02 */
	bool pubid_string;	/* the FPI in the string table instead of 0x1201 */
};

/* XML text of a SyncML message or a TNDS MgmtTree to WBXML, appended to
 * out. A <Data> under a Meta Type of application/vnd.syncml.dmtnds+xml
 * that holds elements becomes an embedded WBXML TNDS document (opaque) and
 * the Type says +wbxml, as DM 1.2 requires. o may be NULL. */
MCX_WUR enum mcx_err dm_wbxml_encode(const char *xml, size_t len, const struct dm_wbxml_opts *o,
				     const struct dm_limits *lim, struct mcx_buf *out,
				     char *errbuf, size_t errlen);
/* WBXML to XML text, appended to out. MCX_EINVAL: malformed or refused
 * (errbuf says which token and why); MCX_ELIMIT: a bound of lim. */
MCX_WUR enum mcx_err dm_wbxml_decode(const uint8_t *p, size_t n, const struct dm_limits *lim,
				     struct mcx_buf *out, char *errbuf, size_t errlen);

/* A SyncML message straight from / to WBXML. */
MCX_WUR enum mcx_err dm_msg_parse_wbxml(const uint8_t *p, size_t n, const struct dm_limits *lim,
					struct dm_msg **msgp, char *errbuf, size_t errlen);
MCX_WUR enum mcx_err dm_msg_emit_wbxml(const struct dm_msg *m, const struct dm_wbxml_opts *o,
				       struct mcx_buf *out, char *errbuf, size_t errlen);

/* Is this body WBXML (rather than XML)? Looks at the first byte only. */
bool dm_is_wbxml(const void *p, size_t n);

#endif
