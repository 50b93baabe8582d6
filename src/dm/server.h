/* The OMA DM 1.2 server session engine, sans-I/O: SyncML messages in (XML
 * or WBXML bytes, as POSTed by the UE), replies out in the same encoding.
 * Sessions (packages 1-4) are keyed by DevId + SessionID; the client is
 * authenticated with auth-md5 (nonce rotated on every success, a fresh
 * challenge on every failure); unknown DevIds, bad credentials and a DevId
 * other than the session's are refused in the SyncHdr Status. Once the
 * client is authenticated the server authenticates itself too (DM 1.2
 * both ways): a Cred (auth-md5 with the device's SRVCRED name, secret and
 * the nonce the client gave for it) in every message until the client's
 * 212; a 401/407 with a Chal is answered by sending the same message again
 * with the new nonce (a few times, then the session ends). What a
 * device gets is a plan (struct dm_plan) the caller fills: subtrees to put
 * (the MCPTT MOs, a DMAcc), interior nodes to ensure, children to clear,
 * ACLs to set, in one Atomic or not. The engine first asks the client what
 * exists (Get), then sends the plan, reads the Statuses and Results and
 * reports the outcome. Thread-safe (one mutex). */
#ifndef MCX_DM_SERVER_H
#define MCX_DM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/auth.h"
#include "dm/limits.h"
#include "dm/mo.h"

#define DM_SRV_SESSIONS_MAX_DEFAULT	1000	/* live sessions; the least recently used goes */
#define DM_SRV_AUTH_TRIES		3	/* challenges before a session is dropped */
#define DM_SRV_OPS_MAX			20000	/* operations of one plan */
#define DM_SRV_MAXMSG_DEFAULT		(64 * 1024)	/* our MaxMsgSize, and the cap for the peer's */
#define DM_SRV_DEVICES_MAX		100000	/* devices whose next nonce is remembered */
#define DM_SRV_ID_MAX			256	/* DevId, ServerID, user, secret, MCPTT ID */

/* How the server knows a UE: its DevId, the credentials it presents
 * (its DMAcc CLCRED AAuthName / AAuthSecret) and the nonce it will use
 * first (the AAuthData it was bootstrapped with); and the credentials the
 * server presents to it (the DMAcc's SRVCRED: AAuthName, AAuthSecret, and
 * the AAuthData nonce until the UE gives another in a Chal). An empty
 * srv_secret: the server sends no Cred (a UE that requires server
 * authentication then refuses the session). */
struct dm_srv_account {
	char devid[DM_SRV_ID_MAX];
	char user[DM_SRV_ID_MAX];
	char secret[DM_SRV_ID_MAX];
	struct dm_nonce nonce;
	char mcptt_id[DM_SRV_ID_MAX];	/* the user the UE is configured for ("" = none) */
	char srv_user[DM_SRV_ID_MAX];	/* "" = our ServerID */
	char srv_secret[DM_SRV_ID_MAX];
	struct dm_nonce srv_nonce;
};

struct dm_plan;

/* MCX_ENOENT: unknown DevId (refused with 403). */
typedef enum mcx_err (dm_srv_account_h)(void *arg, const char *devid, struct dm_srv_account *acc);
/* The nonce the UE must use in its next session (after a success). */
typedef void (dm_srv_nonce_h)(void *arg, const char *devid, const struct dm_nonce *next);
/* Fill the plan for an authenticated device. An error ends the session
 * (the client gets 500 on its Alert; errbuf goes to the report). */
typedef enum mcx_err (dm_srv_plan_h)(void *arg, const struct dm_srv_account *acc,
				     struct dm_plan *plan, char *errbuf, size_t errlen);

/* The outcome of a session, given when it ends (or is refused). */
struct dm_srv_report {
	char devid[DM_SRV_ID_MAX];
	char session_id[64];
	bool ok;		/* every operation got a 2xx */
	unsigned refused;	/* 401 / 403 / 407 when the session was refused (by
				 * us, or by the UE refusing our credentials), else 0 */
	bool srv_cred;		/* we sent the UE our credentials (SRVCRED) */
	bool srv_accepted;	/* the UE accepted them (212) */
	unsigned srv_challenges;	/* 401/407 the UE answered our messages with */
	unsigned atomic;	/* status of the Atomic (0: none sent) */
	size_t ops, ops_ok;
	size_t messages;	/* messages we sent */
	size_t results;		/* Results items received */
	unsigned fail_code;	/* first failing status */
	char fail_uri[512];
	char why[256];
};
typedef void (dm_srv_done_h)(void *arg, const struct dm_srv_report *r);

struct dm_server_opts {
	const char *server_id;	/* our ServerID (Source LocURI of our messages) */
	const char *resp_uri;	/* base URI for RespURI ("...?s=<token>" is added); NULL: none */
	bool tls;		/* the transport is TLS (auth-basic accepted) */
	size_t max_msg;		/* our MaxMsgSize and the cap of the peer's; 0 = default */
	size_t sessions_max;	/* 0 = default */
	const struct dm_limits *lim;
	dm_srv_account_h *account;
	dm_srv_nonce_h *nonce;	/* may be NULL */
	dm_srv_plan_h *plan;
	dm_srv_done_h *done;	/* may be NULL */
	void *arg;
};

struct dm_server;

MCX_WUR enum mcx_err dm_server_alloc(struct dm_server **sp, const struct dm_server_opts *o);
void dm_server_free(struct dm_server *s);

/* One POSTed message. token is the "s" parameter of the request URI (a
 * RespURI we gave) or NULL. The reply (same encoding as the request) is
 * appended to reply; refusals are replies too. MCX_EINVAL: not a SyncML
 * message (errbuf says why: answer HTTP 400). */
MCX_WUR enum mcx_err dm_server_handle(struct dm_server *s, const void *body, size_t n, bool wbxml,
				      const char *token, struct mcx_buf *reply, char *errbuf,
				      size_t errlen);
/* Live sessions (for tests and status pages). */
size_t dm_server_sessions(struct dm_server *s);

/* --- plans --- */

/* Send everything in one Atomic (offline: never half-configured). When the
 * Atomic cannot fit the client's MaxMsgSize it is split into one Atomic
 * per subtree, and a subtree that alone cannot fit goes without Atomic
 * (large objects); the report says so. */
void dm_plan_set_atomic(struct dm_plan *p, bool atomic);
/* An interior node that must exist (Added when the client lacks it). */
MCX_WUR enum mcx_err dm_plan_ensure(struct dm_plan *p, const char *uri);
/* Delete every existing child of uri first (stale MO instances). */
MCX_WUR enum mcx_err dm_plan_clear(struct dm_plan *p, const char *uri);
/* Put a subtree at uri (replaced when it exists): an interior node with
 * DDF type `type` (may be NULL), then t's nodes below it in order (leaves
 * chr). t is copied. */
MCX_WUR enum mcx_err dm_plan_put_tree(struct dm_plan *p, const char *uri, const char *type,
				      const struct mo_tree *t);
/* Put an MO instance: dm_plan_put_tree at <tree_root>/<instance> with the
 * MO's URN, after ensuring ./MCPTT and the tree root. */
MCX_WUR enum mcx_err dm_plan_put_mo(struct dm_plan *p, const char *instance, const struct mo_tree *t);
/* Replace a leaf (or a property: "uri?prop=ACL"). */
MCX_WUR enum mcx_err dm_plan_replace(struct dm_plan *p, const char *uri, const char *value);
/* Ask for a value (its Results are counted in the report). */
MCX_WUR enum mcx_err dm_plan_get(struct dm_plan *p, const char *uri);

/* Server delegation (DM 1.2 ACLs in place of the DM 1.3 delegation
 * protocol): add ./DMAcc/<acc> for the delegate server and give it Add,
 * Delete, Get and Replace on each MCPTT MO tree root, keeping Get for the
 * owner. */
struct dm_delegate {
	const char *acc;	/* DMAcc node name */
	const char *server_id;
	const char *addr;	/* its URL */
	const char *client_user, *client_secret;	/* CLCRED: the UE to that server */
	const char *server_user, *server_secret;	/* SRVCRED: that server to the UE */
	const char *owner_id;	/* our ServerID */
};
MCX_WUR enum mcx_err dm_plan_delegate(struct dm_plan *p, const struct dm_delegate *d);

#endif
