/* The shape of the mapping table XML element <-> MO node (the data is in
 * mo_map.c): per MO kind its identity (URN, where it sits in the tree, the
 * XCAP usage its documents come from), its namespaces with the prefixes the
 * canonical writer uses, and one row per element or attribute name. */
#ifndef MCX_DM_MO_MAP_H
#define MCX_DM_MO_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The five MCPTT MOs (TS 24.383 / 24.483). */
enum mo_kind {
	MO_UE_INIT_CONFIG = 0,
	MO_UE_CONFIG,
	MO_USER_PROFILE,
	MO_SERVICE_CONFIG,
	MO_GROUP_CONFIG,
	MO_KIND_COUNT
};

/* Row flags. */
#define MO_ROOT		1u	/* the document element: it is the MO's <x> itself */
#define MO_ATTR		2u	/* an attribute: a leaf under its element's node */
#define MO_REPEAT	4u	/* may repeat: occurrences are <x> children of an interior node */
#define MO_VERIFIED	8u	/* node name verified against TS 24.483 (OMADM-NOTES 5.2) */

/* Reserved node names (no row may use them). */
#define MO_NODE_TEXT	"Text"		/* the text of an element that also has attributes */
#define MO_NODE_FORM	"XMLForm"	/* the document's presentation (docs/dm-mo.md) */

/* ns[0] is "no namespace" (unqualified attributes), ns[1] the xml
 * namespace, ns[2] the document's own (default, prefix ""), then others. */
struct mo_ns {
	const char *prefix;
	const char *uri;	/* NULL for ns[0] */
};

struct mo_row {
	uint8_t ns;		/* index into the kind's ns[] */
	uint8_t flags;		/* MO_* */
	const char *xml;	/* local name of the element or attribute */
	const char *node;	/* node name ("" for the root) */
};

struct mo_map {
	enum mo_kind kind;
	const char *name;	/* "ue-init-config", ... (command lines, file names) */
	const char *title;	/* "UE initial configuration", ... */
	const char *urn;	/* Management Object Identifier: the DDF type of <x> */
	bool urn_verified;	/* OMADM-NOTES 5.2 verifies it (else inferred) */
	const char *tree_root;	/* interior node the <x> instances go under */
	const char *auid;	/* XCAP usage of its documents */
	const char *mime;
	const char *root;	/* document element (in ns[2]) */
	const struct mo_ns *ns;
	size_t nns;
	const struct mo_row *rows;
	size_t nrows;
};

extern const struct mo_map mo_maps[MO_KIND_COUNT];

#endif
