/* TNDS (application/vnd.syncml.dmtnds+xml, OMA DM TNDS 1.2): a MgmtTree
 * document <-> a tree of struct dm_tnode owned by struct dm_tnds. The
 * reader also takes DDF documents (DFProperties: format and access types)
 * so a DDF gives the skeleton of a tree. */
#ifndef MCX_DM_TNDS_H
#define MCX_DM_TNDS_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/limits.h"
#include "dm/pool.h"

/* AccessType bits (DDF). */
#define DM_ACC_ADD	1u
#define DM_ACC_COPY	2u
#define DM_ACC_DELETE	4u
#define DM_ACC_EXEC	8u
#define DM_ACC_GET	16u
#define DM_ACC_REPLACE	32u

struct dm_tnode {
	struct dm_tnode *next;		/* sibling */
	struct dm_tnode *children;
	struct dm_tnode *parent;
	char *name;		/* NodeName */
	char *path;		/* Path: where a top-level node sits ("./DMAcc"), or NULL */
	/* RTProperties (DFProperties/DFFormat and DFType in a DDF) */
	char *acl;
	char *format;		/* "chr", "node", ... NULL when absent */
	char *title;
	char *tstamp;
	char *type;		/* MIME type, or DDF name when type_ddf */
	bool type_ddf;
	char *verno;
	char *size;
	unsigned access;	/* DM_ACC_* from a DDF AccessType */
	char *value;		/* Value, NULL when absent; may contain NULs */
	size_t value_len;
};

struct dm_tnds {
	char *ver_dtd;
	char *man;
	char *mod;
	struct dm_tnode *nodes;	/* top-level nodes, in document order */
	size_t count;		/* all nodes */
	struct dm_pool pool;
};

MCX_WUR enum mcx_err dm_tnds_alloc(struct dm_tnds **tp, const struct dm_limits *lim);
void dm_tnds_free(struct dm_tnds *t);
/* Append a node under parent (NULL: top level); *nodep is borrowed. */
MCX_WUR enum mcx_err dm_tnode_add(struct dm_tnds *t, struct dm_tnode *parent, const char *name,
				  struct dm_tnode **nodep);
/* Copy s into the tree as *field (NULL clears). */
MCX_WUR enum mcx_err dm_tnds_set(struct dm_tnds *t, char **field, const char *s);
MCX_WUR enum mcx_err dm_tnode_set_value(struct dm_tnds *t, struct dm_tnode *n, const char *p,
					size_t len);

/* Parse a MgmtTree (any namespace, or none). */
MCX_WUR enum mcx_err dm_tnds_parse(const char *xml, size_t len, const struct dm_limits *lim,
				   struct dm_tnds **tp, char *errbuf, size_t errlen);
/* Canonical TNDS XML (xmlns="syncml:dmddf1.2", RTProperties only). */
MCX_WUR enum mcx_err dm_tnds_emit(const struct dm_tnds *t, struct mcx_buf *out);
/* The node at a '/'-separated path of NodeNames, counted from the top
 * level and honouring each top-level node's Path ("./DMAcc/x/ServerID"
 * and "DMAcc/x/ServerID" are the same); NULL when absent. */
struct dm_tnode *dm_tnds_find(const struct dm_tnds *t, const char *path);
/* "./A/B/C" of n into out (size outlen); false when it does not fit. */
bool dm_tnode_uri(const struct dm_tnode *n, char *out, size_t outlen);
/* Same trees? (why names the first difference.) */
bool dm_tnds_equal(const struct dm_tnds *a, const struct dm_tnds *b, char *why, size_t whylen);

#endif
