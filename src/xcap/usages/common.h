/* Helpers shared by the MCPTT usages: reading the byte index of stored
 * documents, and the constraints several documents have in common. */
#ifndef MCX_XCAP_USAGES_COMMON_H
#define MCX_XCAP_USAGES_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <libxml/tree.h>

#include "xcap/usage.h"
#include "xcap/xmldoc.h"

/* Decoded value of attribute `local` (no namespace) on element el, or NULL. */
const char *ix_attr(const struct xmldoc *d, uint32_t el, const char *local, char *buf, size_t len);
/* First child element of el with this local name (any namespace), or XEL_NONE. */
uint32_t ix_child(const struct xmldoc *d, uint32_t el, const char *local);
/* Decoded text content of a leaf element (no child elements), or NULL. */
const char *ix_text(const struct xmldoc *d, uint32_t el, char *buf, size_t len);

/* Run cb on the index of every current document under prefix (other than
 * skip_path); cb returns non-zero to stop, which is returned. */
typedef int (ix_each_h)(const char *path, const struct xmldoc *d, void *arg);
int ix_each(const struct xcap_env *env, const char *prefix, const char *skip_path,
	    ix_each_h *cb, void *arg);

/* DOM helpers (libxml2 tree of the document being written). */
xmlNodePtr dom_child(xmlNodePtr n, const char *local);
bool dom_is(xmlNodePtr n, const char *local);

/* Siblings with the same name must have distinct @index values. */
int check_index_unique(xmlNodePtr root, struct xcap_status *st);
/* The root's XUI-URI attribute (if present, or if required) must name the
 * directory the document is in. */
int check_xui_uri(xmlNodePtr root, const struct xcap_uri *uri, bool required,
		  struct xcap_status *st);
/* In IMEI ranges, Low-SNR must not be above High-SNR. */
int check_snr_ranges(xmlNodePtr root, struct xcap_status *st);
/* No xs:duration value in the document may be negative. */
int check_durations(xmlNodePtr root, struct xcap_status *st);
/* Condition for UE-instance directories: the document's @domain must be the
 * requester's organisation (cur and next may be NULL). */
int cond_domain(const struct xcap_env *env, const struct xmldoc *cur,
		const struct xmldoc *next, struct xcap_status *st);
/* "sip:urn:uuid:x" / "urn:uuid:x" -> "urn:uuid:x" */
const char *ue_id_of(const char *xui);

#endif
