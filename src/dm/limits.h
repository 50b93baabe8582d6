/* Every bound of the OMA DM codec in one place: message and data sizes,
 * nesting, counts; the defaults below fill struct dm_limits, which callers
 * may override (NULL everywhere means "the defaults"). */
#ifndef MCX_DM_LIMITS_H
#define MCX_DM_LIMITS_H

#include <stddef.h>

/* Bytes of one received SyncML message (XML or WBXML) we accept at all. */
#define DM_MSG_MAX_DEFAULT		(1024 * 1024)
/* Bytes of XML a WBXML message may expand to (string-table references can
 * repeat one string many times: this is the amplification cap). */
#define DM_WBXML_XML_MAX_DEFAULT	(4 * 1024 * 1024)
/* Element depth of a message, counting SyncML itself and nested Data XML. */
#define DM_DEPTH_MAX_DEFAULT		48
/* Atomic/Sequence nesting (DM forbids Atomic in Atomic; Sequence may hold one). */
#define DM_CMD_NEST_MAX_DEFAULT		3
/* Commands in one message, nested ones included. */
#define DM_CMDS_MAX_DEFAULT		2000
/* Items in one command. */
#define DM_ITEMS_MAX_DEFAULT		1000
/* TargetRef/SourceRef entries in one Status or Results. */
#define DM_REFS_MAX_DEFAULT		1000
/* Bytes of one Data element (text, CDATA or nested XML). */
#define DM_DATA_MAX_DEFAULT		(1024 * 1024)
/* Bytes of every other text field (LocURI, LocName, Meta values, ...). */
#define DM_STR_MAX_DEFAULT		4096
/* Memory one parsed message may take in its pool (all strings and structs). */
#define DM_POOL_MAX_DEFAULT		(8 * 1024 * 1024)
/* Nodes and depth of one TNDS MgmtTree. */
#define DM_TNDS_NODES_MAX_DEFAULT	10000
#define DM_TNDS_DEPTH_MAX_DEFAULT	32
/* Bytes of one large object reassembled from MoreData chunks. */
#define DM_LOBJ_MAX_DEFAULT		(16 * 1024 * 1024)
/* Smallest peer MaxMsgSize we can honour; a smaller one is raised to this. */
#define DM_MAXMSGSIZE_MIN		1024
/* Messages one package may be split into by dm_split(). */
#define DM_SPLIT_MSGS_MAX		10000

/* Fixed protocol bounds (not configurable: they come from the formats). */
#define DM_NONCE_MAX			64	/* decoded NextNonce bytes */
#define DM_NONCE_LEN			16	/* bytes of a nonce we issue */
#define DM_CRED_MAX			512	/* user, password, b64 credentials */
#define DM_HMAC_HDR_MAX			1024	/* x-syncml-hmac header value */
#define DM_PKG0_MAX			4096	/* Package 0 bytes (digest+header+id+vendor) */
#define DM_PKG0_VENDOR_MAX		(DM_PKG0_MAX - 24 - 255)
#define DM_BOOT_CTYPE_MAX		512	/* bootstrap Content-Type value */
#define DM_BOOT_SECRET_MAX		256	/* NETWORKID or USERPIN */
#define DM_W7_MAX			(64 * 1024)	/* one w7 provisioning document */
#define DM_W7_ACCOUNTS_MAX		16	/* w7 APPLICATION characteristics per document */
#define DM_W7_ADDRS_MAX			8	/* APPADDR (and ports) per account */
#define DM_W7_AUTHS_MAX			4	/* APPAUTH per account */
#define DM_WBXML_EMBED_MAX		1	/* embedded WBXML documents inside Data */
#define DM_WBXML_TYPE_MAX		128	/* bytes of a Meta Type the WBXML scan reads */

struct dm_limits {
	size_t msg_max;
	size_t wbxml_xml_max;
	size_t depth_max;
	size_t cmd_nest_max;
	size_t cmds_max;
	size_t items_max;
	size_t refs_max;
	size_t data_max;
	size_t str_max;
	size_t pool_max;
	size_t tnds_nodes_max;
	size_t tnds_depth_max;
	size_t lobj_max;
};

/* The defaults above; never NULL. */
const struct dm_limits *dm_limits_default(void);
/* lim, or the defaults when lim is NULL. */
const struct dm_limits *dm_limits_or_default(const struct dm_limits *lim);

#endif
