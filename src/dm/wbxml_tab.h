/* WBXML code pages of SyncML 1.2 as DM uses them: page 0 SyncML, page 1
 * MetInf, page 2 DM DDF (TNDS); public identifiers of the documents. */
#ifndef MCX_DM_WBXML_TAB_H
#define MCX_DM_WBXML_TAB_H

#include <stdbool.h>
#include <stdint.h>

#define WBXML_PAGE_SYNCML	0
#define WBXML_PAGE_METINF	1
#define WBXML_PAGE_DMDDF	2
#define WBXML_PAGES		3

/* Global tokens (WBXML 1.3 section 7.1). */
#define WBXML_SWITCH_PAGE	0x00
#define WBXML_END		0x01
#define WBXML_ENTITY		0x02
#define WBXML_STR_I		0x03
#define WBXML_LITERAL		0x04
#define WBXML_PI		0x43
#define WBXML_STR_T		0x83
#define WBXML_OPAQUE		0xC3
#define WBXML_TAG_CONTENT	0x40
#define WBXML_TAG_ATTRS		0x80
#define WBXML_TAG_MASK		0x3F

/* Numeric public identifiers; 0x01 is "unknown", 0 means "a string in the
 * string table follows". */
#define WBXML_PUBID_LITERAL	0x00
#define WBXML_PUBID_UNKNOWN	0x01
#define WBXML_PUBID_SYNCML11	0x0FD3
#define WBXML_PUBID_SYNCML12	0x1201

#define WBXML_FPI_SYNCML11	"-//SYNCML//DTD SyncML 1.1//EN"
#define WBXML_FPI_SYNCML12	"-//SYNCML//DTD SyncML 1.2//EN"
#define WBXML_FPI_DMDDF12	"-//OMA//DTD-DM-DDF 1.2//EN"

#define WBXML_CHARSET_UTF8	106

/* Tag name of (page, token), NULL when the token is not defined. */
const char *wbxml_tab_name(unsigned page, unsigned token);
/* Token of name on page; false when the page has no such tag. */
bool wbxml_tab_token(unsigned page, const char *name, uint8_t *token);
/* Code page of an XML namespace name; -1 for a namespace we do not encode. */
int wbxml_tab_page_of_ns(const char *href);

#endif
