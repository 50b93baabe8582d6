/* The SyncML DM 1.2 message model: header, commands, items, meta, data as a
 * tree of structs owned by one struct dm_msg (all memory in its pool);
 * parse from XML, serialize to canonical XML, build, copy and compare.
 * Sans-I/O: bytes in, structs out, and back. */
#ifndef MCX_DM_SYNCML_H
#define MCX_DM_SYNCML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/limits.h"
#include "dm/pool.h"

#define DM_NS_SYNCML12	"SYNCML:SYNCML1.2"
#define DM_NS_SYNCML11	"SYNCML:SYNCML1.1"
#define DM_NS_METINF	"syncml:metinf"
#define DM_NS_DMDDF	"syncml:dmddf1.2"

#define DM_MIME_XML	"application/vnd.syncml.dm+xml"
#define DM_MIME_WBXML	"application/vnd.syncml.dm+wbxml"
#define DM_MIME_TNDS_XML	"application/vnd.syncml.dmtnds+xml"
#define DM_MIME_TNDS_WBXML	"application/vnd.syncml.dmtnds+wbxml"

enum dm_cmd_type {
	DM_CMD_UNKNOWN = 0,	/* an element we do not implement: answer 406 */
	DM_CMD_ADD,
	DM_CMD_ALERT,
	DM_CMD_ATOMIC,
	DM_CMD_COPY,
	DM_CMD_DELETE,
	DM_CMD_EXEC,
	DM_CMD_GET,
	DM_CMD_REPLACE,
	DM_CMD_RESULTS,
	DM_CMD_SEQUENCE,
	DM_CMD_STATUS,
};

/* Meta Format values (OMA DM TND 1.2 section 9.2.3.1 / metinf). */
enum dm_format {
	DM_FMT_NONE = 0,	/* absent: chr by default */
	DM_FMT_B64, DM_FMT_BIN, DM_FMT_BOOL, DM_FMT_CHR, DM_FMT_INT, DM_FMT_NODE,
	DM_FMT_NULL, DM_FMT_XML, DM_FMT_DATE, DM_FMT_TIME, DM_FMT_FLOAT,
	DM_FMT_OTHER,		/* a value we do not know */
};

/* Bits of struct dm_meta.has for its numeric fields. */
#define DM_META_SIZE		1u
#define DM_META_MAXMSGSIZE	2u
#define DM_META_MAXOBJSIZE	4u

/* metinf values DM uses; absent strings are NULL. Other metinf elements
 * (Anchor, EMI, Mem, ...) are DS-only and skipped by the parser. */
struct dm_meta {
	char *format;
	char *type;
	char *mark;
	char *version;
	char *next_nonce;	/* as sent: base64 text */
	uint64_t size;
	uint64_t max_msg_size;
	uint64_t max_obj_size;
	unsigned has;		/* DM_META_* */
};

enum dm_data_kind {
	DM_DATA_TEXT,	/* character data (escaped in XML) */
	DM_DATA_CDATA,	/* character data that came (or goes) as CDATA / WBXML opaque */
	DM_DATA_XML,	/* nested XML (e.g. a TNDS MgmtTree): p holds the serialized elements */
};

/* p is NUL-terminated (len excludes the NUL) but may contain NULs. */
struct dm_data {
	enum dm_data_kind kind;
	char *p;
	size_t len;
};

struct dm_item {
	struct dm_item *next;
	char *target;		/* Target/LocURI */
	char *target_name;	/* Target/LocName */
	char *source;		/* Source/LocURI */
	char *source_name;	/* Source/LocName */
	struct dm_meta *meta;
	struct dm_data *data;	/* NULL: no <Data>; len 0: <Data/> */
	bool more_data;
};

struct dm_ref {
	struct dm_ref *next;
	char *uri;
};

struct dm_cred {
	struct dm_meta *meta;
	struct dm_data *data;
};

struct dm_cmd {
	struct dm_cmd *next;
	enum dm_cmd_type type;
	char *name;		/* element name when type is DM_CMD_UNKNOWN */
	uint32_t cmd_id;	/* 0 when absent (an error for the session) */
	bool no_resp;
	struct dm_meta *meta;	/* command-level Meta */
	struct dm_item *items;	/* all but Atomic / Sequence */
	struct dm_cmd *children;	/* Atomic, Sequence */
	/* Alert, Status: the code in <Data>; has_code false when absent. */
	uint32_t code;
	bool has_code;
	char *correlator;	/* Exec, Alert */
	/* Status, Results */
	uint32_t msg_ref;
	bool has_msg_ref;
	uint32_t cmd_ref;
	bool has_cmd_ref;
	char *cmd;		/* Status: the command name ("SyncHdr", "Get", ...) */
	struct dm_ref *target_refs;
	struct dm_ref *source_refs;
	struct dm_meta *chal;	/* Status: Chal/Meta */
};

struct dm_hdr {
	char *ver_dtd;
	char *ver_proto;
	char *session_id;
	uint32_t msg_id;
	char *target;		/* Target/LocURI */
	char *target_name;
	char *source;		/* Source/LocURI */
	char *source_name;	/* Source/LocName: the user name for auth-md5 */
	char *resp_uri;
	bool no_resp;
	struct dm_cred *cred;
	struct dm_meta *meta;
};

struct dm_msg {
	struct dm_hdr hdr;
	struct dm_cmd *cmds;
	bool final;
	struct dm_pool pool;	/* owns everything above */
};

/* Parse flags. */
#define DM_PARSE_LENIENT_AMP	1u	/* escape a bare '&' that starts no reference (AOSP scripts) */

/* --- lifecycle and building (every string is copied into the message) --- */

MCX_WUR enum mcx_err dm_msg_alloc(struct dm_msg **msgp, const struct dm_limits *lim);
void dm_msg_free(struct dm_msg *m);
/* Set *field to a copy of s (NULL clears it). */
MCX_WUR enum mcx_err dm_set(struct dm_msg *m, char **field, const char *s);
MCX_WUR enum mcx_err dm_setn(struct dm_msg *m, char **field, const char *s, size_t n);
/* Fill the usual DM 1.2 header: VerDTD 1.2, VerProto DM/1.2. */
MCX_WUR enum mcx_err dm_hdr_init(struct dm_msg *m, const char *session_id, uint32_t msg_id,
				 const char *target, const char *source);
/* Append a command at the end of parent's children (or of the body when
 * parent is NULL); *cmdp is borrowed from the message. */
MCX_WUR enum mcx_err dm_cmd_add(struct dm_msg *m, struct dm_cmd *parent, enum dm_cmd_type t,
				uint32_t cmd_id, struct dm_cmd **cmdp);
MCX_WUR enum mcx_err dm_item_add(struct dm_msg *m, struct dm_cmd *c, struct dm_item **itemp);
MCX_WUR enum mcx_err dm_ref_add(struct dm_msg *m, struct dm_ref **list, const char *uri);
/* *metap is created when NULL. */
MCX_WUR enum mcx_err dm_meta_get(struct dm_msg *m, struct dm_meta **metap);
MCX_WUR enum mcx_err dm_data_set(struct dm_msg *m, struct dm_data **datap, enum dm_data_kind kind,
				 const void *p, size_t n);
/* A Status for (msg_ref, cmd_ref, cmd) with code; targets/sources may be NULL. */
MCX_WUR enum mcx_err dm_status_add(struct dm_msg *m, uint32_t cmd_id, uint32_t msg_ref,
				   uint32_t cmd_ref, const char *cmd, unsigned code,
				   struct dm_cmd **cmdp);
/* Deep copy of src (and its children) appended under parent in m. */
MCX_WUR enum mcx_err dm_cmd_copy(struct dm_msg *m, struct dm_cmd *parent,
				 const struct dm_cmd *src, struct dm_cmd **cmdp);
MCX_WUR enum mcx_err dm_hdr_copy(struct dm_msg *m, const struct dm_hdr *src);
/* Deep copy of one item appended to c. */
MCX_WUR enum mcx_err dm_item_copy(struct dm_msg *m, struct dm_cmd *c, const struct dm_item *src);
/* The MCX_ENOMEM / MCX_ELIMIT behind a failed builder call. */
enum mcx_err dm_msg_err(const struct dm_msg *m);

/* --- inspection --- */

const char *dm_cmd_name(enum dm_cmd_type t);	/* "Add", ...; "?" for unknown */
enum dm_cmd_type dm_cmd_type_of(const char *name);
/* Commands in the body, nested ones included. */
size_t dm_msg_count_cmds(const struct dm_msg *m);
size_t dm_cmd_count_items(const struct dm_cmd *c);
enum dm_format dm_format_of(const char *s);
const char *dm_format_name(enum dm_format f);
/* The effective Format of an item: its own Meta, else the command's, else chr. */
enum dm_format dm_item_format(const struct dm_cmd *c, const struct dm_item *it);
/* The effective Type, NULL when absent. */
const char *dm_item_type(const struct dm_cmd *c, const struct dm_item *it);
/* Does the value fit its format (int, bool, b64, node, date, time, float)? */
bool dm_format_check(enum dm_format f, const char *p, size_t n);
/* Semantic equality (text vs CDATA is not a difference); on mismatch,
 * why names the first difference. */
bool dm_msg_equal(const struct dm_msg *a, const struct dm_msg *b, char *why, size_t whylen);

/* --- XML --- */

/* Parse a SyncML message. XML_PARSE_NONET, no DTD loading, no entities.
 * On error *msgp is untouched and errbuf says why (MCX_EINVAL malformed,
 * MCX_ELIMIT a bound in lim). */
MCX_WUR enum mcx_err dm_msg_parse(const char *xml, size_t len, const struct dm_limits *lim,
				  unsigned flags, struct dm_msg **msgp, char *errbuf, size_t errlen);
/* Canonical XML: no declaration, no whitespace, DTD element order,
 * metinf elements with their own xmlns. Appends to out. */
MCX_WUR enum mcx_err dm_msg_emit(const struct dm_msg *m, struct mcx_buf *out);
/* One command alone (used to size messages). */
MCX_WUR enum mcx_err dm_cmd_emit(const struct dm_cmd *c, struct mcx_buf *out);

#endif
