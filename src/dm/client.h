/* The OMA DM 1.2 client session engine (sans-I/O): builds package 1 from
 * ./DevInfo and a ./DMAcc account, executes the server's commands on the
 * management tree as that server (ACLs enforced) with the DM statuses,
 * Results for Get, Atomic with rollback, Sequence, headless UI alerts,
 * large objects both ways, the peer's MaxMsgSize, auth-md5 / auth-basic /
 * HMAC with NextNonce rotation and the 401/407/212 flow. Bytes in, bytes
 * out: the caller moves them (dm_client_run() over libcurl, or a test). */
#ifndef MCX_DM_CLIENT_H
#define MCX_DM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/auth.h"
#include "dm/limits.h"
#include "dm/tree.h"

/* Bounds of a session (all in struct dm_client_conf). */
#define DM_CLIENT_MSG_MAX_DEFAULT	(64 * 1024)	/* our MaxMsgSize: what we accept and send */
#define DM_CLIENT_MSGS_MAX_DEFAULT	1000	/* messages one session may exchange */
#define DM_CLIENT_AUTH_TRIES_DEFAULT	2	/* package-1 retries after 401/407 */
#define DM_CLIENT_TIMEOUT_DEFAULT	30	/* seconds per HTTP exchange */

struct dm_session;

/* Exec on a node the application made executable (DM_NODE_EXEC): return the
 * DM status (200, 202 accepted for later, 500...). data may be NULL. */
typedef unsigned (dm_exec_h)(void *arg, struct dm_tree *t, const char *server_id,
			     const char *uri, const char *data, size_t len, const char *correlator);

struct dm_client_conf {
	bool wbxml;			/* send application/vnd.syncml.dm+wbxml */
	size_t msg_max;			/* our MaxMsgSize (announced, and the receive cap) */
	size_t msgs_max;		/* messages per session */
	unsigned auth_tries;		/* package-1 retries after a challenge */
	bool confirm_reject;		/* answer Alert 1101 with 304 (default: accept, 200) */
	bool require_server_auth;	/* challenge a server that sends no credentials */
	long timeout;			/* seconds per HTTP exchange (dm_client_run) */
	dm_exec_h *exec;
	void *exec_arg;
};

void dm_client_conf_default(struct dm_client_conf *c);

/* An account read from ./DMAcc/<name> (strings owned by the struct). */
struct dm_account {
	char *name;		/* the <x> node name */
	char *server_id;
	char *addr;		/* first AppAddr Addr (with PortNbr applied when given) */
	char *origin;		/* Ext/MCXOrigin: customized, smartcard, push, fetch, server */
	enum dm_auth_type auth;	/* how we authenticate to the server */
	char *cl_name, *cl_secret, *cl_nonce;	/* CLCRED: AAuthName/Secret/Data (b64) */
	char *sv_name, *sv_secret, *sv_nonce;	/* SRVCRED */
	int cl_index, sv_index;	/* AppAuth/<n> of each, 0 when absent */
};

/* Read account name (the <x>) or, when no node has that name, the account
 * whose ServerID is name. MCX_ENOENT when none; MCX_EINVAL when it lacks
 * ServerID or an address. */
MCX_WUR enum mcx_err dm_account_read(const struct dm_tree *t, const char *name,
				     struct dm_account *a);
void dm_account_clear(struct dm_account *a);
/* Store a nonce (b64) as AAuthData of AppAuth/<index> of account a. */
MCX_WUR enum mcx_err dm_account_store_nonce(struct dm_tree *t, const struct dm_account *a,
					    bool server_side, const char *b64);

/* Start a session for account (name or ServerID). alert: DM_ALERT_CLIENT_
 * INITIATED (1201) or DM_ALERT_SERVER_INITIATED (1200, session_id from the
 * Package 0, upper-case hex); session_id NULL picks one. The tree is
 * borrowed and changed by the session. */
MCX_WUR enum mcx_err dm_session_alloc(struct dm_session **sp, struct dm_tree *t,
				      const char *account, const struct dm_client_conf *conf,
				      unsigned alert, const char *session_id);
void dm_session_free(struct dm_session *s);

/* The message to send now (valid until the next call on s). */
struct dm_out {
	const char *url;	/* the server URI (or its last RespURI) */
	const uint8_t *body;
	size_t len;
	const char *ctype;
	const char *hmac;	/* x-syncml-hmac header value, or NULL */
};

/* Is there a message to send? (false: the session is over.) */
bool dm_session_has_out(const struct dm_session *s);
/* The pending message; MCX_ENOENT when there is none. */
MCX_WUR enum mcx_err dm_session_out(struct dm_session *s, struct dm_out *out);
/* The server's answer to the last message (its HTTP body, Content-Type and
 * x-syncml-hmac header, NULL when absent). MCX_EINVAL: unparseable or a
 * protocol error; MCX_EAUTH: our credentials were refused for good;
 * dm_session_error() says which. Afterwards either a new message is
 * pending or the session is done. */
MCX_WUR enum mcx_err dm_session_feed(struct dm_session *s, const uint8_t *body, size_t len,
				     const char *ctype, const char *hmac);
bool dm_session_done(const struct dm_session *s);
const char *dm_session_error(const struct dm_session *s);

struct dm_session_stats {
	unsigned msgs_out, msgs_in;
	unsigned cmds;		/* server commands executed (nested included) */
	unsigned failed;	/* of those, with a non-2xx status */
	unsigned denied;	/* 425s */
	unsigned auth_retries;
	bool server_authenticated;
};
void dm_session_stats(const struct dm_session *s, struct dm_session_stats *st);
const struct dm_client_conf *dm_session_conf(const struct dm_session *s);

/* Run a whole session over HTTP (libcurl): POST each message, feed each
 * answer. The tree is saved to dir (if not NULL) after every message from
 * the server and at the end. errbuf says which step failed. */
MCX_WUR enum mcx_err dm_client_run(struct dm_session *s, struct dm_tree *t, const char *dir,
				   char *errbuf, size_t errlen);

/* One HTTP exchange (libcurl): POST body (or GET when body is NULL) to url
 * with Content-Type ctype and x-syncml-hmac hmac (either may be NULL); the
 * answer's body (at most max bytes), Content-Type and x-syncml-hmac are
 * returned. MCX_EIO with errbuf on a transport failure or a non-2xx HTTP
 * status (*http says which). */
struct dm_http_resp {
	struct mcx_buf body;
	char ctype[DM_BOOT_CTYPE_MAX + 1];
	char hmac[DM_HMAC_HDR_MAX + 1];
	long http;
};
MCX_WUR enum mcx_err dm_http(const char *url, const void *body, size_t len, const char *ctype,
			     const char *hmac, long timeout, size_t max, struct dm_http_resp *r,
			     char *errbuf, size_t errlen);
void dm_http_resp_free(struct dm_http_resp *r);

#endif
