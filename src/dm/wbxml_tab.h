/* WBXML code pages of SyncML 1.2 as DM uses them: page 0 SyncML, page 1
 * MetInf, page 2 DM DDF (TNDS); public identifiers of the documents. */
#ifndef MCX_DM_WBXML_TAB_H
#define MCX_DM_WBXML_TAB_H

#include <stdbool.h>
#include <stdint.h>

#define DM_WB_PAGE_SYNCML	0
#define DM_WB_PAGE_METINF	1
#define DM_WB_PAGE_DMDDF	2
#define DM_WB_PAGES		3

/* Global tokens (WBXML 1.3 section 7.1). */
#define DM_WB_SWITCH_PAGE	0x00
#define DM_WB_END		0x01
#define DM_WB_ENTITY		0x02
#define DM_WB_STR_I		0x03
#define DM_WB_LITERAL		0x04
#define DM_WB_PI		0x43
#define DM_WB_STR_T		0x83
#define DM_WB_OPAQUE		0xC3
#define DM_WB_TAG_CONTENT	0x40
#define DM_WB_TAG_ATTRS		0x80
#define DM_WB_TAG_MASK		0x3F

/* Numeric public identifiers; 0x01 is "unknown", 0 means "a string in the
 * string table follows". */
#define DM_WB_PUBID_LITERAL	0x00
#define DM_WB_PUBID_UNKNOWN	0x01
#define DM_WB_PUBID_SYNCML11	0x0FD3
#define DM_WB_PUBID_SYNCML12	0x1201

#define DM_WB_FPI_SYNCML11	"-//SYNCML//DTD SyncML 1.1//EN"
#define DM_WB_FPI_SYNCML12	"-//SYNCML//DTD SyncML 1.2//EN"
#define DM_WB_FPI_DMDDF12	"-//OMA//DTD-DM-DDF 1.2//EN"

#define DM_WB_CHARSET_UTF8	106

/* Tag name of (page, token), NULL when the token is not defined. */
const char *dm_wb_tab_name(unsigned page, unsigned token);
/* Token of name on page; false when the page has no such tag. */
bool dm_wb_tab_token(unsigned page, const char *name, uint8_t *token);
/* Code page of an XML namespace name; -1 for a namespace we do not encode. */
int dm_wb_page_of_ns(const char *href);

#endif
