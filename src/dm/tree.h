/* The DM client's management tree (OMA DM TND 1.2): interior and leaf nodes
 * with Format, Type, Title, ACL and a value; ACL checks per server with
 * inheritance; the standard MOs (DevInfo, DevDetail, DMAcc, Inbox); bounded
 * (nodes, depth, names, URIs, values, ACLs); saved atomically as one TNDS
 * document in a directory. Operations return the DM status they produce
 * (200, 404, 405, 418, 425, ...), so the session engine reports them as is;
 * an allocation failure is 420 (Device full) and leaves the tree unchanged. */
#ifndef MCX_DM_TREE_H
#define MCX_DM_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"

/* Bounds of one tree, all configurable (struct dm_tree_limits). */
#define DM_TREE_NODES_MAX_DEFAULT	4096	/* nodes, root included */
#define DM_TREE_DEPTH_MAX_DEFAULT	16	/* URI segments below "." (DevDetail/URI/MaxDepth) */
#define DM_TREE_SEG_MAX_DEFAULT		64	/* bytes of one node name (DevDetail/URI/MaxSegLen) */
#define DM_TREE_URI_MAX_DEFAULT		512	/* bytes of a URI (DevDetail/URI/MaxTotLen) */
#define DM_TREE_VALUE_MAX_DEFAULT	(256 * 1024)	/* bytes of one leaf value */
#define DM_TREE_ACL_MAX_DEFAULT		1024	/* bytes of an ACL string */
#define DM_TREE_BYTES_MAX_DEFAULT	(8 * 1024 * 1024)	/* all values together */
#define DM_TREE_FILE_MAX_DEFAULT	(16 * 1024 * 1024)	/* the saved document */

#define DM_TREE_FILE		"tree.xml"
#define DM_ROOT_ACL_DEFAULT	"Add=*&Get=*"

#define DM_URN_DEVINFO		"urn:oma:mo:oma-dm-devinfo:1.0"
#define DM_URN_DEVDETAIL	"urn:oma:mo:oma-dm-devdetail:1.0"
#define DM_URN_DMACC		"urn:oma:mo:oma-dm-dmacc:1.0"
#define DM_URN_INBOX		"urn:oma:mo:oma-dm-inbox:1.0"

struct dm_tree_limits {
	size_t nodes_max;
	size_t depth_max;
	size_t seg_max;
	size_t uri_max;
	size_t value_max;
	size_t acl_max;
	size_t bytes_max;
	size_t file_max;
};

/* ACL commands (DM TND 1.2 section 8.3.7.1). */
enum dm_acl_cmd { DM_ACL_ADD, DM_ACL_DELETE, DM_ACL_EXEC, DM_ACL_GET, DM_ACL_REPLACE };

/* Access types a node allows whatever the ACL says (DDF AccessType); a
 * command outside them is 405. */
#define DM_NODE_ADD	1u
#define DM_NODE_DELETE	2u
#define DM_NODE_EXEC	4u
#define DM_NODE_GET	8u
#define DM_NODE_REPLACE	16u
#define DM_NODE_COPY	32u
#define DM_NODE_ALL	63u

struct dm_node {
	struct dm_node *parent;
	struct dm_node *children;	/* in insertion order */
	struct dm_node *next;
	char *name;
	char *format;		/* "node" for interior nodes; "chr" ... for leaves */
	char *type;		/* MIME type (leaf) or MO identifier (interior), or NULL */
	char *title;
	char *acl;		/* NULL: inherit the nearest ancestor's ACL */
	char *value;		/* leaf value (NUL-terminated, value_len bytes), or NULL */
	size_t value_len;
	unsigned access;	/* DM_NODE_* */
	bool interior;
};

struct dm_tree {
	struct dm_node *root;
	struct dm_tree_limits lim;
	size_t count;		/* nodes, root included */
	size_t bytes;		/* all values */
	unsigned long changes;	/* bumped by every successful change */
	char errbuf[256];
};

/* The defaults above. */
void dm_tree_limits_default(struct dm_tree_limits *l);

/* An empty tree: the root "." with ACL DM_ROOT_ACL_DEFAULT. lim may be NULL. */
MCX_WUR enum mcx_err dm_tree_alloc(struct dm_tree **tp, const struct dm_tree_limits *lim);
void dm_tree_free(struct dm_tree *t);

/* Deep copy (for Atomic): the whole tree, limits included. */
MCX_WUR enum mcx_err dm_tree_dup(const struct dm_tree *t, struct dm_tree **copyp);
/* Exchange the contents of a and b (restore a snapshot, then free b). */
void dm_tree_swap(struct dm_tree *a, struct dm_tree *b);

/* --- standard MOs --- */

struct dm_devinfo {
	const char *dev_id;	/* urn:gsma:imei:... or urn:uuid:... (required) */
	const char *man, *mod, *lang, *dmv;
	const char *dev_typ, *oem, *fwv, *swv, *hwv;
};

/* Is s a valid DevId for an MCPTT UE: urn:gsma:imei:TTTTTTTT-SSSSSS-C
 * (RFC 7254: 8-digit TAC, 6-digit SNR, one spare/check digit) or
 * urn:uuid:8-4-4-4-12 hex (RFC 4122)? The scheme prefix is case-insensitive. */
bool dm_devid_valid(const char *s);
/* Create ./DevInfo, ./DevDetail (with URI/MaxDepth... from the limits),
 * ./DMAcc and ./Inbox. MCX_EINVAL for an invalid DevId (errbuf says why);
 * MCX_EEXIST when the tree already has DevInfo. */
MCX_WUR enum mcx_err dm_tree_init_std(struct dm_tree *t, const struct dm_devinfo *di);

/* --- ACLs --- */

/* Is the ACL string well formed (cmd=sid+sid&...)? Empty is valid. */
bool dm_acl_valid(const char *acl, size_t max);
/* Does acl grant cmd to server_id (or to "*")? */
bool dm_acl_grants(const char *acl, enum dm_acl_cmd cmd, const char *server_id);
/* The ACL that governs n: its own, else the nearest ancestor's. */
const char *dm_node_acl_effective(const struct dm_node *n);
/* May server_id run cmd on n? NULL server_id is the device itself (local
 * tools, bootstrap): always allowed. */
bool dm_node_allowed(const struct dm_node *n, enum dm_acl_cmd cmd, const char *server_id);
/* Remove server_id from every ACL (its account was deleted); a command
 * left without servers becomes "*" on the root and is dropped elsewhere. */
MCX_WUR enum mcx_err dm_tree_acl_scrub(struct dm_tree *t, const char *server_id);

/* --- lookups --- */

/* The node at uri ("./A/B", "A/B", "." for the root); NULL when absent or
 * when the URI is malformed. */
struct dm_node *dm_tree_find(const struct dm_tree *t, const char *uri);
/* "./A/B" of n into b (appends). */
MCX_WUR enum mcx_err dm_node_uri(const struct dm_node *n, struct mcx_buf *b);
/* Is this a syntactically valid URI within the limits? 414 when too long
 * or too deep, 400 when malformed, 200 when fine. */
unsigned dm_tree_check_uri(const struct dm_tree *t, const char *uri);

/* --- operations: each returns a DM status --- */

/* A value for a new or replaced leaf (format/type NULL: chr, none). */
struct dm_value {
	const char *format;
	const char *type;
	const char *p;
	size_t len;
};

/* Add a node (interior when v->format is "node"); missing interior parents
 * are created (Add permission is checked on the nearest existing ancestor).
 * 200; 418 exists; 425 ACL; 405 access type; 404 parent is a leaf;
 * 413/414/416/420 bounds. A server without Replace on the parent gets
 * Add+Delete+Get+Replace on the new node (DM TND 1.2); otherwise the new
 * node's ACL is empty (inherits). */
unsigned dm_tree_add(struct dm_tree *t, const char *server_id, const char *uri,
		     const struct dm_value *v, struct dm_node **nodep);
/* Replace a leaf value (404 when absent, 405 on an interior node). */
unsigned dm_tree_replace(struct dm_tree *t, const char *server_id, const char *uri,
			 const struct dm_value *v);
/* Delete a subtree (405 for the root and for permanent nodes). */
unsigned dm_tree_delete(struct dm_tree *t, const char *server_id, const char *uri);
/* Check Get on uri; *nodep is the node to read. */
unsigned dm_tree_get(const struct dm_tree *t, const char *server_id, const char *uri,
		     const struct dm_node **nodep);
/* Check Exec on uri. */
unsigned dm_tree_exec_check(const struct dm_tree *t, const char *server_id, const char *uri,
			    struct dm_node **nodep);
/* Copy leaf src to dst (created, or replaced when it exists). */
unsigned dm_tree_copy(struct dm_tree *t, const char *server_id, const char *src,
		      const char *dst);

/* Properties (uri?prop=NAME): Get of ACL, Format, Name, Size, Title, Type;
 * Replace of ACL (Replace on the node for an interior node, on its parent
 * for a leaf) and Title; others 406; Add of a property 405. The value is
 * appended to out. */
unsigned dm_tree_prop_get(const struct dm_tree *t, const char *server_id, const char *uri,
			  const char *prop, struct mcx_buf *out);
unsigned dm_tree_prop_replace(struct dm_tree *t, const char *server_id, const char *uri,
			      const char *prop, const char *p, size_t len);

/* The child names of an interior node, '/'-separated (Get on an interior
 * node), appended to out. */
MCX_WUR enum mcx_err dm_node_child_list(const struct dm_node *n, struct mcx_buf *out);

/* Local (device-side) setters used by the tool, bootstrap and tests: no
 * ACL check. Set a node's ACL / access types directly. */
MCX_WUR enum mcx_err dm_tree_set_acl(struct dm_tree *t, const char *uri, const char *acl);
MCX_WUR enum mcx_err dm_tree_set_access(struct dm_tree *t, const char *uri, unsigned access);
/* Set a leaf (created with its parents when missing), locally. */
MCX_WUR enum mcx_err dm_tree_set_leaf(struct dm_tree *t, const char *uri, const char *value,
				      const char *format);
/* The value of a leaf, NULL when absent or interior. */
const char *dm_tree_value(const struct dm_tree *t, const char *uri);

/* --- TNDS in and out --- */

/* Add the nodes of a TNDS MgmtTree (XML) under the node at uri (created as
 * interior when missing), as server_id; Inbox placement is done by the
 * caller. The first failing node's status is returned, the tree unchanged. */
unsigned dm_tree_add_tnds(struct dm_tree *t, const char *server_id, const char *uri,
			  const char *xml, size_t len);
/* Where an MO of identifier urn goes when added to ./Inbox: the parent URI
 * ("./DMAcc" for DMAcc, "." otherwise); NULL when unknown. */
const char *dm_inbox_place(const char *urn);
/* The subtree at n as a TNDS document (top-level node with its Path). */
MCX_WUR enum mcx_err dm_tree_emit_tnds(const struct dm_tree *t, const struct dm_node *n,
				       struct mcx_buf *out);

/* --- persistence --- */

/* Write DIR/tree.xml atomically (temporary file, fsync, rename, fsync of
 * the directory). MCX_EIO with errbuf on failure. */
MCX_WUR enum mcx_err dm_tree_save(struct dm_tree *t, const char *dir);
/* Read DIR/tree.xml. MCX_ENOENT when absent, MCX_EINVAL / MCX_ELIMIT when
 * it is malformed or over a bound (errbuf says which). */
MCX_WUR enum mcx_err dm_tree_load(struct dm_tree **tp, const char *dir,
				  const struct dm_tree_limits *lim, char *errbuf, size_t errlen);

#endif
