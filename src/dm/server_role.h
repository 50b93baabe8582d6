/* The DM server role over the store, shared by mcxd (a route of its HTTP
 * front, src/http/server.c) and `mcx dm serve|offline|delegate` (a small
 * libmicrohttpd server): the devices the server knows, the plan of each
 * device built from the documents in the store (the five MCPTT MOs of its
 * user, or the UE initial configuration alone, or a delegation to another
 * server), bootstrap messages, and one HTTP-shaped entry point both front
 * ends call, so routes, statuses and content types are the same.
 * Thread-safe: the session engine has one mutex (plans are built under it),
 * the devices table is fixed once serving starts (add devices first). */
#ifndef MCX_DM_SERVER_ROLE_H
#define MCX_DM_SERVER_ROLE_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "dm/limits.h"
#include "dm/server.h"

struct mcx_store;

#define DM_ROLE_GETS_MAX	16	/* extra Gets a plan may carry (--get) */
#define DM_ROLE_DEVICES_MAX	DM_SRV_DEVICES_MAX	/* lines of a devices file */
#define DM_ROLE_DEVFILE_MAX	(64 * 1024 * 1024)	/* bytes of a devices file */
#define DM_ROLE_REPLY_MAX	(16 * 1024 * 1024)	/* bytes of one HTTP answer */

/* A bootstrap account: what a DMAcc for this server holds on the UE. */
struct dm_boot_acc {
	const char *devid;	/* Target of the bootstrap message (NULL: "*") */
	const char *server_id, *addr;	/* our ServerID and URL */
	const char *acc;	/* DMAcc node name (NULL: "mcx") */
	const char *ue_user, *ue_secret, *ue_nonce_b64;	/* CLCRED: the UE to us */
	const char *srv_user, *srv_secret, *srv_nonce;	/* SRVCRED: us to the UE (nonce text) */
	const char *srv_nonce_b64;	/* the SRVCRED nonce as b64 (wins over srv_nonce) */
};

/* The DM-profile bootstrap message for a (WBXML SyncML, Add of the DMAcc
 * TNDS to ./DMAcc) into wbxml, the TNDS document into tnds_xml and the w7
 * document into w7_xml; each buffer may be NULL. errbuf says what failed. */
MCX_WUR enum mcx_err dm_role_boot_msg(const struct dm_boot_acc *a, struct mcx_buf *wbxml,
				      struct mcx_buf *tnds_xml, struct mcx_buf *w7_xml,
				      char *errbuf, size_t errlen);
/* Its Content-Type: with SEC/MAC when networkid and/or userpin is given
 * (non-empty), else the bare DM-profile type. Appended to ct. */
MCX_WUR enum mcx_err dm_role_boot_ctype(const char *networkid, const char *userpin,
					const struct mcx_buf *doc, struct mcx_buf *ct);

struct dm_role_conf {
	const char *server_id;	/* our ServerID */
	const char *url;	/* our DM URL: RespURI base, Addr of bootstrap accounts (may be NULL) */
	bool tls;		/* the transport is TLS */
	size_t max_msg, sessions_max;	/* 0 = the engine's defaults */
	const char *default_domain;	/* organisation of devices without an MCPTT ID */
	/* bootstrap messages (GET <path>/bootstrap) */
	const char *acc;	/* DMAcc node name (NULL: "mcx") */
	/* SRVCRED put in bootstrap accounts, and the credentials the server
	 * presents to devices whose record has none (srv_user NULL: our
	 * ServerID; srv_secret NULL or "": no Cred for them) */
	const char *srv_user, *srv_secret, *srv_nonce;
	const char *networkid, *userpin;	/* SEC/MAC of the message (NULL/"": none) */
	/* operator mode: every device's plan hands the MCPTT MOs to this
	 * server (a DMAcc and ACLs) instead of carrying MOs */
	const struct dm_delegate *delegate;
	const char *get_uris[DM_ROLE_GETS_MAX];	/* URIs Get after the plan (inspection) */
	size_t nget_uris;
	dm_srv_done_h *done;	/* session reports; NULL: logged */
	void *done_arg;
	const char *log_prefix;	/* prefix of the role's progress lines (NULL: log only) */
};

struct dm_role;

/* The store is borrowed (it must outlive the role); conf strings are
 * copied where the role keeps them. */
MCX_WUR enum mcx_err dm_role_alloc(struct dm_role **rp, const struct dm_role_conf *c,
				   struct mcx_store *st, char *errbuf, size_t errlen);
void dm_role_free(struct dm_role *r);
/* Add a device (before serving). MCX_EEXIST: that DevId is known. */
MCX_WUR enum mcx_err dm_role_add_device(struct dm_role *r, const struct dm_srv_account *a);
/* Add the devices of a file: one per line, `DEVID USER SECRET [NONCE_B64|-]
 * [MCPTT_ID|-] [SRV_USER SRV_SECRET [SRV_NONCE_B64|-]]`, `#` comments: the
 * UE's CLCRED (and nonce), its user, and the SRVCRED the server presents
 * to it (else the conf's). errbuf names the file and line. */
MCX_WUR enum mcx_err dm_role_load_devices(struct dm_role *r, const char *path, char *errbuf,
					  size_t errlen);
size_t dm_role_devices(const struct dm_role *r);
/* The engine (for tests and status). */
struct dm_server *dm_role_engine(struct dm_role *r);

/* One HTTP request below the DM path, answered in a. sub is the path below
 * it ("" for POST of SyncML, "/bootstrap" for the bootstrap GET); token the
 * "s" query parameter (a RespURI we gave) and devid the "devid" one, both
 * decoded (NULL when absent); too_large: the body went over the front
 * end's cap. Statuses: 200; 400 not SyncML; 404 unknown path or DevId;
 * 405 wrong method; 413 too large; 415 not a SyncML DM type; 500. */
struct dm_role_answer {
	unsigned status;
	char ctype[DM_BOOT_CTYPE_MAX + 1];
	struct mcx_buf body;
	char why[300];		/* for logs, when status is not 200 */
};
void dm_role_answer_init(struct dm_role_answer *a);
void dm_role_answer_free(struct dm_role_answer *a);
void dm_role_http(struct dm_role *r, const char *method, const char *sub, const char *token,
		  const char *devid, const char *ctype, const void *body, size_t len,
		  bool too_large, struct dm_role_answer *a);

/* The value of parameter name in a raw query string ("a=1&s=x"),
 * percent-decoded into out; false when absent, malformed or too long. */
bool dm_role_query(const char *query, size_t qlen, const char *name, char *out, size_t outlen);

#endif
