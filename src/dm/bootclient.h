/* The client side of the four OMA DM bootstrap methods (docs/dm-client.md):
 * customized (a DMAcc TNDS file, or an account from flags), smartcard (an
 * image of bootstrap messages read at start, accounts gone from the card
 * removed), server-initiated (a pushed bootstrap message with SEC/MAC, and
 * Package 0 checked with the account's server credentials) and
 * client-initiated (the same message fetched from a URL). Also the account
 * preference rule (TS 24.384 Annex B). Sans-I/O. */
#ifndef MCX_DM_BOOTCLIENT_H
#define MCX_DM_BOOTCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/tree.h"

#define DM_W7_XML_MIME		"text/vnd.wap.connectivity-xml"

/* Where an account came from (./DMAcc/<x>/Ext/MCXOrigin). */
#define DM_ORIGIN_CUSTOMIZED	"customized"
#define DM_ORIGIN_SMARTCARD	"smartcard"
#define DM_ORIGIN_PUSH		"push"
#define DM_ORIGIN_FETCH		"fetch"

/* Smartcard image: "MCX-DM-CARD 1\n", then per bootstrap message
 * "Content-Type: <value>\n" "Content-Length: <n>\n" "\n" and n bytes. */
#define DM_CARD_MAGIC		"MCX-DM-CARD 1\n"
#define DM_CARD_ENTRIES_MAX	16
#define DM_CARD_MAX		(1024 * 1024)	/* bytes of one image */
#define DM_BOOT_MSG_MAX		(256 * 1024)	/* bytes of one bootstrap message */
#define DM_BOOT_ACCOUNTS_MAX	16		/* accounts one bootstrap may add */

/* An account from flags (mcx dm client account add). */
struct dm_acc_spec {
	const char *name;	/* the <x>: default from server_id */
	const char *server_id;
	const char *addr;	/* http(s)://host:port/path */
	const char *auth;	/* DIGEST (default), BASIC or HMAC */
	const char *cl_name, *cl_secret, *cl_nonce;	/* our credentials to the server */
	const char *sv_name, *sv_secret, *sv_nonce;	/* the server's to us (Package 0 too) */
	const char *origin;	/* DM_ORIGIN_*, default customized */
};

/* The secrets a bootstrap message's MAC may be keyed with. */
struct dm_boot_keys {
	const char *networkid;
	const char *userpin;
	bool allow_unsigned;	/* accept a message without SEC/MAC (customized files) */
};

struct dm_boot_result {
	char server_ids[DM_BOOT_ACCOUNTS_MAX][128];
	char names[DM_BOOT_ACCOUNTS_MAX][64];
	size_t n;
};

/* Add ./DMAcc/<x> (ACL Get/Replace/Delete for its ServerID). An account
 * with the same name or ServerID is replaced. */
MCX_WUR enum mcx_err dm_account_add(struct dm_tree *t, const struct dm_acc_spec *a,
				    char *errbuf, size_t errlen);
/* Remove ./DMAcc/<x> and the ServerID from every ACL. */
MCX_WUR enum mcx_err dm_account_remove(struct dm_tree *t, const char *name);

/* Apply one bootstrap message: Content-Type application/vnd.syncml.dm+wbxml
 * (DM profile: Add/Replace, TNDS, Inbox), text/vnd.wap.connectivity-xml
 * (w7), application/vnd.syncml.dmtnds+xml (a DMAcc file). When the
 * Content-Type carries SEC/MAC the MAC is checked with keys (MCX_EAUTH when
 * wrong or when the key is not known); an unsigned message needs
 * keys->allow_unsigned (else MCX_EPERM). MCX_EINVAL: malformed or an
 * unsupported type (application/vnd.wap.connectivity-wbxml). Nothing is
 * applied unless all is. */
MCX_WUR enum mcx_err dm_boot_apply(struct dm_tree *t, const uint8_t *body, size_t len,
				   const char *ctype, const struct dm_boot_keys *keys,
				   const char *origin, struct dm_boot_result *res,
				   char *errbuf, size_t errlen);

/* Smartcard image: append one entry / apply all entries (origin
 * smartcard), then remove the smartcard accounts the card no longer has. */
MCX_WUR enum mcx_err dm_card_append(struct mcx_buf *out, const char *ctype, const uint8_t *body,
				    size_t len);
MCX_WUR enum mcx_err dm_card_apply(struct dm_tree *t, const uint8_t *img, size_t len,
				   const struct dm_boot_keys *keys, struct dm_boot_result *res,
				   size_t *removed, char *errbuf, size_t errlen);

/* Package 0: decode, find the account of its ServerID, check the digest
 * with that account's SRVCRED AAuthSecret and AAuthData (then with the
 * resync nonce). On MCX_OK *account is the account name (caller frees) and
 * session the SessionID to use with Alert 1200. MCX_ENOENT: no account
 * for that ServerID; MCX_EAUTH: wrong digest; MCX_EINVAL: malformed. */
MCX_WUR enum mcx_err dm_boot_pkg0(const struct dm_tree *t, const uint8_t *p, size_t n,
				  char **account, char session[5], char *errbuf, size_t errlen);

/* The account to use when none is named (TS 24.384 Annex B as we read it):
 * the one whose server host is the network CMS's host (cms_url, or a CMS
 * URI found under ./MCPTT), else by origin smartcard, push, fetch,
 * customized, then tree order. NULL when there is none (caller frees). */
char *dm_account_prefer(const struct dm_tree *t, const char *cms_url);

#endif
