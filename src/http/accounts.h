/* Account helpers: build a store_user (Digest HA1s for both username forms)
 * from an XUI and a password, and seed the demo organisation. */
#ifndef MCX_HTTP_ACCOUNTS_H
#define MCX_HTTP_ACCOUNTS_H

#include "mcx/mcx.h"
#include "store/store.h"
#include "http/handler.h"

/* Fill u (strings owned by u: free with store_user_free's rules, i.e.
 * allocated with mcx_malloc). default_domain is used for tel: XUIs. */
MCX_WUR enum mcx_err account_make(struct store_user *u, const char *xui, const char *password,
				  unsigned roles, const char *default_domain);

/* The demo organisation "example.org": an administrator, users and their
 * documents, written through the XCAP handler. Idempotent. */
struct demo_user {
	const char *xui;
	const char *password;
	unsigned roles;
};
extern const struct demo_user demo_users[];
/* The demo's registered OAuth client (a native app, RFC 8252 loopback redirect). */
#define DEMO_CLIENT_ID "mcptt-demo-client"
#define DEMO_CLIENT_REDIRECTS "http://127.0.0.1:8123/callback"
MCX_WUR enum mcx_err demo_seed(struct xcap_handler *h, char *errbuf, size_t errlen);

#endif
