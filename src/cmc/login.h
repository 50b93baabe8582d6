/* Logging the user in at the IdMS (docs/idms.md): the authorization code
 * flow with PKCE S256 driven headlessly (the login form POSTed with the
 * user's credentials, the code taken from the 302's Location), and the
 * refresh-token grant. Errors say which step failed and what the IdMS said. */
#ifndef MCX_CMC_LOGIN_H
#define MCX_CMC_LOGIN_H

#include <stddef.h>

#include "mcx/mcx.h"
#include "cmc/http.h"

/* Scopes asked for: the CMS and the GMS (TS 24.482). */
#define CMC_SCOPE "openid 3gpp:mcptt:config_management_server 3gpp:mcptt:group_management_server"

struct cmc_tokens {
	char *access;        /* JWT */
	char *refresh;       /* rotated at every refresh */
	long long exp;       /* absolute expiry of the access token (unix s) */
	long long iat;       /* when it was obtained */
};

struct cmc_idms {
	const char *authorize;   /* authorization endpoint URL */
	const char *token;       /* token endpoint URL */
	const char *client_id;
	const char *redirect_uri;
};

/* Code + PKCE with the user's password. MCX_EAUTH (eb: the IdMS's words)
 * when the IdMS refused; MCX_EIO when it could not be reached. */
MCX_WUR enum mcx_err cmc_login_password(struct cmc_http *h, const struct cmc_idms *i,
					const char *user, const char *password,
					struct cmc_tokens *t, char *eb, size_t el);
/* The refresh-token grant; t->refresh is replaced by the rotated one. */
MCX_WUR enum mcx_err cmc_login_refresh(struct cmc_http *h, const struct cmc_idms *i,
				       const char *refresh, struct cmc_tokens *t, char *eb,
				       size_t el);
void cmc_tokens_clear(struct cmc_tokens *t);

#endif
