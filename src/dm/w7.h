/* The OMA CP w7 application characteristic (DM Bootstrap 1.2 section
 * 3.1.3, the "OMA CP profile" bootstrap): a wap-provisioningdoc read into
 * DM accounts, written back, and mapped onto the ./DMAcc/<x> subtree. */
#ifndef MCX_DM_W7_H
#define MCX_DM_W7_H

#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/limits.h"
#include "dm/pool.h"
#include "dm/tnds.h"

#define DM_DMACC_DDF_NAME	"org.openmobilealliance/1.0/w7"

struct dm_w7_addr {
	char *addr;		/* ADDR */
	char *addr_type;	/* ADDRTYPE, NULL: URI */
	char *port;		/* PORT/PORTNBR */
};

struct dm_w7_auth {
	char *level;		/* AAUTHLEVEL: APPSRV, CLIENT or OBEX */
	char *type;		/* AAUTHTYPE */
	char *name;		/* AAUTHNAME */
	char *secret;		/* AAUTHSECRET */
	char *data;		/* AAUTHDATA: the nonce, base64 */
};

struct dm_w7_acc {
	char *server_id;	/* PROVIDER-ID */
	char *name;		/* NAME */
	char *to_napid;		/* TO-NAPID or TO-PROXY */
	struct dm_w7_addr addrs[DM_W7_ADDRS_MAX];
	size_t naddrs;
	struct dm_w7_auth auths[DM_W7_AUTHS_MAX];
	size_t nauths;
};

struct dm_w7 {
	struct dm_w7_acc accs[DM_W7_ACCOUNTS_MAX];
	size_t n;
	struct dm_pool pool;
};

MCX_WUR enum mcx_err dm_w7_alloc(struct dm_w7 **wp);
void dm_w7_free(struct dm_w7 *w);
/* Copy s into the document (for building). */
MCX_WUR enum mcx_err dm_w7_set(struct dm_w7 *w, char **field, const char *s);
/* Read the w7 APPLICATION characteristics of a provisioning document
 * (others are skipped). MCX_EINVAL: malformed, or a w7 without
 * PROVIDER-ID; MCX_ELIMIT: more accounts/addresses/auths than the limits. */
MCX_WUR enum mcx_err dm_w7_parse(const char *xml, size_t len, struct dm_w7 **wp,
				 char *errbuf, size_t errlen);
/* wap-provisioningdoc version 1.1 with one APPLICATION per account. */
MCX_WUR enum mcx_err dm_w7_emit(const struct dm_w7 *w, struct mcx_buf *out);
/* The DMAcc AAuthLevel for a CP AAUTHLEVEL (APPSRV -> CLCRED, CLIENT ->
 * SRVCRED, OBEX -> OBEX); NULL when unknown. */
const char *dm_w7_level_to_dmacc(const char *level);
/* Add ./DMAcc/<acc_name> for account a to t: AppID, ServerID, Name,
 * PrefConRef, AppAddr/<n>/{Addr,AddrType,Port/1/PortNbr},
 * AppAuth/<n>/{AAuthLevel,AAuthType,AAuthName,AAuthSecret,AAuthData}; the
 * account node gets the w7 DDF type and an ACL granting Get, Replace and
 * Delete to the ServerID (Bootstrap 1.2: the client MUST). */
MCX_WUR enum mcx_err dm_w7_to_dmacc(const struct dm_w7_acc *a, const char *acc_name,
				    struct dm_tnds *t, struct dm_tnode **nodep);

#endif
