/* Who subscribes: the MCPTT ID of a validated access token from the
 * SUBSCRIBE body (TS 24.484 §6.3.13.2.2), or the identity the SIP core
 * asserts (P-Asserted-Identity, RFC 3325) when the request comes from a
 * trusted address. Tokens are validated exactly as on HTTP (auth_token). */
#ifndef MCX_SIP_WHO_H
#define MCX_SIP_WHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcx/mcx.h"
#include "http/jwt.h"
#include "sip/limits.h"

struct auth_conf;
struct mcx_store;

/* The subscriber as the access model sees them. */
struct sip_who {
	char xui[SIP_XUI_MAX];
	bool admin; /* an administrator of their organisation */
	bool token; /* authenticated by an access token: scopes apply */
	char scopes[JWT_SCOPE_MAX];
	int64_t token_exp; /* the token's "exp" (unix seconds); 0 = none */
};

/* From an access token. MCX_EAUTH with the reason in why when refused. */
MCX_WUR enum mcx_err sip_who_token(struct sip_who *w, const struct auth_conf *ac,
				   struct mcx_store *st, const char *token, char *why,
				   size_t whylen);
/* From a P-Asserted-Identity value (several URIs: the first sip: one, else
 * the first tel: one). MCX_EINVAL when none is usable. */
MCX_WUR enum mcx_err sip_who_asserted(struct sip_who *w, struct mcx_store *st, const char *pai);

#endif
