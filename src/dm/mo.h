/* The MCPTT MOs (TS 24.383 / 24.483) <-> their XML documents (TS 24.384 /
 * 24.484) through ONE table (mo_map.c), both ways: a document becomes a
 * list of MO-relative nodes (path, leaf or interior, value) and back.
 * Elements are interior nodes named by the table, repeated elements <x>
 * children numbered 1, 2, ... of an interior node, attributes leaves,
 * text-only elements leaves with the text's exact characters. The
 * presentation (declaration, comments, whitespace, prefixes, namespace
 * declarations, attribute order and quotes) goes into one leaf XMLForm so
 * that XML -> MO -> XML gives the same bytes; without it (or when the nodes
 * no longer fit it) the writer produces the canonical form of docs/dm-mo.md.
 * Sans-I/O, bounded by struct mo_limits. */
#ifndef MCX_DM_MO_H
#define MCX_DM_MO_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/mo_map.h"

/* Bounds (all of them; callers may pass their own, NULL = these). */
#define MO_DOC_MAX_DEFAULT	(1024 * 1024)	/* bytes of one document (and of XML written) */
#define MO_NODES_MAX_DEFAULT	10000		/* nodes of one MO instance */
#define MO_DEPTH_MAX_DEFAULT	32		/* element depth of a document */
#define MO_PATH_MAX		1024		/* bytes of one MO-relative node path */
#define MO_NS_MAX		64		/* namespace declarations in scope */

struct mo_limits {
	size_t doc_max;
	size_t nodes_max;
	size_t depth_max;
};

/* One node, path relative to the MO's <x> ("OnNetwork/1/Timers/T100").
 * Interior nodes have leaf false and no value. */
struct mo_node {
	char *path;
	bool leaf;
	char *value;	/* NUL-terminated; len excludes the NUL */
	size_t len;
};

/* The nodes of one MO instance, parents before children, document order. */
struct mo_tree {
	enum mo_kind kind;
	struct mo_node *v;
	size_t n;
	size_t cap;
	struct mo_limits lim;
};

const struct mo_limits *mo_limits_default(void);
const struct mo_map *mo_map_get(enum mo_kind k);
/* By name ("user-profile"), by URN, by document element and namespace;
 * false when none matches. */
bool mo_kind_by_name(const char *name, enum mo_kind *k);
bool mo_kind_by_urn(const char *urn, enum mo_kind *k);
bool mo_kind_by_root(const char *ns_uri, const char *local, enum mo_kind *k);
/* The kind of a document from its root element; MCX_EINVAL when not one of
 * the five (errbuf says what it is). */
MCX_WUR enum mcx_err mo_kind_of_xml(const char *xml, size_t len, enum mo_kind *k,
				    char *errbuf, size_t errlen);
/* Table lookups (NULL when absent): by XML name (attr selects attribute
 * rows; ns_uri NULL = no namespace) and by node name. */
const struct mo_row *mo_row_by_xml(const struct mo_map *m, const char *ns_uri, const char *local,
				   bool attr);
const struct mo_row *mo_row_by_node(const struct mo_map *m, const char *node);

MCX_WUR enum mcx_err mo_tree_alloc(struct mo_tree **tp, enum mo_kind k, const struct mo_limits *lim);
void mo_tree_free(struct mo_tree *t);
/* Append a node (value copied; NULL with leaf false for an interior node). */
MCX_WUR enum mcx_err mo_tree_add(struct mo_tree *t, const char *path, bool leaf, const char *value,
				 size_t len);
/* The node at path, NULL when absent. */
const struct mo_node *mo_tree_find(const struct mo_tree *t, const char *path);
/* Same nodes in the same order? (why names the first difference; XMLForm
 * is compared only when with_form.) */
bool mo_tree_equal(const struct mo_tree *a, const struct mo_tree *b, bool with_form, char *why,
		   size_t whylen);

/* Flags of mo_from_xml / mo_to_xml. */
#define MO_NO_FORM	1u	/* from: do not record XMLForm; to: ignore it (canonical form) */

/* A document of kind k -> its MO nodes. MCX_EINVAL: not well-formed, not
 * this kind, an element or attribute without a row in the table, mixed
 * content, a comment inside a value (errbuf says which); MCX_ELIMIT: a
 * bound. */
MCX_WUR enum mcx_err mo_from_xml(enum mo_kind k, const char *xml, size_t len, unsigned flags,
				 const struct mo_limits *lim, struct mo_tree **tp, char *errbuf,
				 size_t errlen);
/* MO nodes -> the document, appended to out: the XMLForm with the values
 * filled in when it fits the nodes exactly, else the canonical form.
 * *used_form (may be NULL) says which. MCX_EINVAL: a node name without a
 * row, a value under an interior-only element, a missing value. */
MCX_WUR enum mcx_err mo_to_xml(const struct mo_tree *t, unsigned flags, struct mcx_buf *out,
			       bool *used_form, char *errbuf, size_t errlen);

#endif
