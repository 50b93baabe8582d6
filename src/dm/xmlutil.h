/* The libxml2 side of the DM parsers (SyncML, TNDS, w7): one safe reader
 * (XML_PARSE_NONET, no DTD loading, no entity expansion, no internal
 * subset, bounded depth) and element/text helpers on the DOM. */
#ifndef MCX_DM_XMLUTIL_H
#define MCX_DM_XMLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <libxml/tree.h>

#include "mcx/mcx.h"
#include "core/buf.h"

struct dm_xml_doc {
	xmlDoc *doc;
	char why[200];	/* on error */
};

/* Parse p[0..len). lenient_amp escapes a '&' that starts no reference. */
MCX_WUR enum mcx_err dm_xml_read(const char *p, size_t len, bool lenient_amp,
				 size_t depth_max, struct dm_xml_doc *d);
void dm_xml_close(struct dm_xml_doc *d);

/* First / next element sibling (comments, PIs and text are skipped). */
const xmlNode *dm_xml_first(const xmlNode *n);
const xmlNode *dm_xml_next(const xmlNode *n);
/* First element child named name (any namespace). */
const xmlNode *dm_xml_child(const xmlNode *n, const char *name);
/* True when n has no character data besides whitespace and no entity
 * references: an element-only content model. */
bool dm_xml_check_children(const xmlNode *n);

/* Character data of an element; p is NUL-terminated, owned by the struct. */
struct dm_xml_text {
	char *p;
	size_t len;
	bool cdata;	/* some of it came as CDATA */
	bool xml;	/* dm_xml_data_get: element content, serialized */
	const char *why;	/* on MCX_EINVAL */
};

/* Text and CDATA children only (an element child is an error). */
MCX_WUR enum mcx_err dm_xml_text_get(const xmlNode *n, size_t max, struct dm_xml_text *t);
/* Like dm_xml_text_get, but element children are allowed and serialized
 * (each with the namespace declarations it needs), for <Data>. */
MCX_WUR enum mcx_err dm_xml_data_get(const xmlNode *n, size_t max, struct dm_xml_text *t);
void dm_xml_text_free(struct dm_xml_text *t);

/* Append s[0..n) escaped for XML content (attr: for a "-quoted attribute
 * value). Besides & < > " ' it writes CR (and in attributes TAB and LF) as
 * character references, so a parser gives back exactly these bytes.
 * MCX_EINVAL when the bytes are not UTF-8 XML characters (NUL, controls). */
MCX_WUR enum mcx_err dm_xml_escape(struct mcx_buf *b, const char *s, size_t n, bool attr);

/* Is the text entirely XML whitespace? */
bool dm_xml_blank(const char *p, size_t n);

#endif
