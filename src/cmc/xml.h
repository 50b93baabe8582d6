/* libxml2 helpers for the documents the client reads whole (the UE initial
 * configuration, profiles and groups for `show`): parsing with no network,
 * no DTD and no entity expansion, and child lookup by local name. */
#ifndef MCX_CMC_XML_H
#define MCX_CMC_XML_H

#include <stddef.h>
#include <libxml/tree.h>

#include "mcx/mcx.h"

/* Parse p[0..len) into *dp (caller frees with xmlFreeDoc). MCX_EINVAL when
 * not well-formed or nested deeper than CMC_MAX_XML_DEPTH (eb says where). */
MCX_WUR enum mcx_err cmc_xml_parse(xmlDoc **dp, const char *p, size_t len, char *eb,
				   size_t el);
/* First element child of n named local (any namespace); NULL if none. */
const xmlNode *cmc_xml_child(const xmlNode *n, const char *local);
/* Next element sibling of n with the same local name. */
const xmlNode *cmc_xml_next(const xmlNode *n);
/* Follow "a/b/c" from n by cmc_xml_child. */
const xmlNode *cmc_xml_path(const xmlNode *n, const char *path);
/* Text content of n with surrounding white space cut, into out (cut to
 * outlen - 1 bytes); "" when n is NULL. Returns out. */
const char *cmc_xml_text(const xmlNode *n, char *out, size_t outlen);
/* Attribute value (no namespace) into out; "" when absent. Returns out. */
const char *cmc_xml_attr(const xmlNode *n, const char *name, char *out, size_t outlen);

#endif
