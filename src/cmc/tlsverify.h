/* Certificate checks for the client's SIP over TLS. libre 1.1.0 connects
 * without verifying the server (its SIP transport never asks OpenSSL to):
 * this turns verification on for every connection made from an SSL_CTX —
 * the chain against a CA file (or the system's CAs) and the server's name
 * or IP address against the certificate. Only OpenSSL here, no libre. */
#ifndef MCX_CMC_TLSVERIFY_H
#define MCX_CMC_TLSVERIFY_H

#include <stddef.h>

#include "mcx/mcx.h"

struct ssl_ctx_st;

/* cacert NULL: the system's default CA paths. host: an IP address (as
 * text) or a DNS name the certificate must name. MCX_EINVAL when the CA
 * file cannot be read or host is unusable (eb says which). */
MCX_WUR enum mcx_err cmc_tls_verify_setup(struct ssl_ctx_st *ctx, const char *cacert,
					  const char *host, char *eb, size_t el);

/* Why the last certificate check on this thread failed ("" when none did
 * since the last call); clears it. */
const char *cmc_tls_last_error(void);

#endif
