/* Shared state of the mcx command groups. */
#ifndef MCX_CMD_MCX_H
#define MCX_CMD_MCX_H

#include "http/config.h"
#include "http/handler.h"
#include "store/store.h"

struct mcx_ctx {
	struct mcx_config cfg;
	const char *server;        /* --server URL: talk HTTP to a running mcxd */
	const char *user;          /* --user for --server */
	const char *password;      /* --password for --server */
	bool insecure;             /* -k */
	struct mcx_store *store;   /* data-directory mode */
	struct xcap_handler h;
};

/* Open the store of cfg.general.data_dir (data-directory mode). */
int mcx_open(struct mcx_ctx *x);
int cmd_user(struct mcx_ctx *x, int argc, char **argv);
int cmd_doc(struct mcx_ctx *x, int argc, char **argv);
int cmd_userdb(struct mcx_ctx *x, int argc, char **argv);
int cmd_token(struct mcx_ctx *x, int argc, char **argv);
int cmd_idms(struct mcx_ctx *x, int argc, char **argv);
int cmd_sip(struct mcx_ctx *x, int argc, char **argv);   /* mcx_sip.c */
int cmd_patch(struct mcx_ctx *x, int argc, char **argv); /* mcx_patch.c */
int cmd_cmc(struct mcx_ctx *x, int argc, char **argv);   /* mcx_cmc.c */
int cmd_dm(struct mcx_ctx *x, int argc, char **argv);    /* mcx_dm.c */
int cmd_dm_client(struct mcx_ctx *x, int argc, char **argv);   /* mcx_dm_client.c */
/* Read a password: from the value given, $MCX_PASSWORD, or one line of stdin. */
int mcx_read_password(const char *given, char *out, size_t len);

#endif
