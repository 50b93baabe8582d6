/* Turning certificate verification on for an OpenSSL context (tlsverify.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cmc/tlsverify.h"
#include "core/banned.h"

/* libre reports a refused handshake as EPROTO only: keep OpenSSL's reason */
static _Thread_local char last_error[160];

static int verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok)
		snprintf(last_error, sizeof(last_error), "certificate refused: %s (depth %d)",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)),
			 X509_STORE_CTX_get_error_depth(x));
	return ok;
}

const char *cmc_tls_last_error(void)
{
	static _Thread_local char out[sizeof(last_error)];

	memcpy(out, last_error, sizeof(out));
	last_error[0] = '\0';
	return out;
}

static bool is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

enum mcx_err cmc_tls_verify_setup(SSL_CTX *ctx, const char *cacert, const char *host, char *eb,
				  size_t el)
{
	X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
	char why[160];

	if (cacert ? SSL_CTX_load_verify_locations(ctx, cacert, NULL) != 1
		   : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		snprintf(eb, el, "SIP TLS: cannot load the CA certificates%s%s: %s",
			 cacert ? " from " : "", cacert ? cacert : "", why);
		ERR_clear_error();
		return MCX_EINVAL;
	}
	if (!host || !*host ||
	    (is_ip(host) ? X509_VERIFY_PARAM_set1_ip_asc(vp, host)
			 : X509_VERIFY_PARAM_set1_host(vp, host, 0)) != 1) {
		snprintf(eb, el, "SIP TLS: cannot check the certificate against '%s'",
			 host ? host : "");
		ERR_clear_error();
		return MCX_EINVAL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	return MCX_OK;
}
