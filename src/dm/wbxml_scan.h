/* A bounded WBXML checker: walks every token of a SyncML DM or TNDS WBXML
 * document and refuses what libwbxml2 should never see (truncation, bad
 * lengths, unknown tokens, attributes, literals, extensions, deep nesting,
 * string-table amplification, CDATA terminators in text, embedded
 * documents that are not TNDS). It also finds the language. */
#ifndef MCX_DM_WBXML_SCAN_H
#define MCX_DM_WBXML_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "dm/limits.h"

enum dm_wb_lang {
	DM_WB_LANG_NONE = 0,
	DM_WB_LANG_SYNCML,	/* SyncML 1.1 or 1.2 message: decoded as 1.2 */
	DM_WB_LANG_DMDDF,	/* a TNDS MgmtTree */
};

struct dm_wb_info {
	unsigned version;	/* 0x01..0x03 */
	uint32_t pubid;		/* numeric public id, DM_WB_PUBID_LITERAL for a string */
	char fpi[64];		/* the string public id, "" when numeric */
	enum dm_wb_lang lang;	/* from the root element: what to force on the decoder */
	size_t xml_estimate;	/* upper bound of the XML text it decodes to */
	size_t embedded;	/* embedded documents inside Data */
};

/* Check p[0..n). errbuf says why on MCX_EINVAL / MCX_ELIMIT. */
MCX_WUR enum mcx_err dm_wb_scan(const uint8_t *p, size_t n, const struct dm_limits *lim,
				struct dm_wb_info *info, char *errbuf, size_t errlen);

#endif
