/* HTTP for the client on one libcurl easy handle (connections kept alive
 * between requests): GET with a bearer token and If-None-Match, and form
 * POSTs for the IdMS. Redirects are never followed (the IdMS answers the
 * login with a 302 whose Location carries the code). */
#ifndef MCX_CMC_HTTP_H
#define MCX_CMC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"
#include "cmc/limits.h"

struct cmc_http;

struct cmc_http_resp {
	long status;
	char etag[80];                /* without quotes; "" when none */
	char location[CMC_MAX_URL];
	char ctype[128];
	char retry_after[16];
	struct mcx_buf body;          /* capped at CMC_MAX_HTTP_BODY */
};

MCX_WUR enum mcx_err cmc_http_alloc(struct cmc_http **hp, bool insecure, const char *cacert);
void cmc_http_free(struct cmc_http *h);
void cmc_http_resp_init(struct cmc_http_resp *r);
void cmc_http_resp_free(struct cmc_http_resp *r);

/* GET url; bearer (may be NULL) as Authorization, inm (may be NULL or "") as
 * If-None-Match. MCX_EIO with eb when no HTTP answer came. */
MCX_WUR enum mcx_err cmc_http_get(struct cmc_http *h, const char *url, const char *bearer,
				  const char *inm, struct cmc_http_resp *r, char *eb, size_t el);
/* POST an application/x-www-form-urlencoded body. */
MCX_WUR enum mcx_err cmc_http_post_form(struct cmc_http *h, const char *url, const char *form,
					struct cmc_http_resp *r, char *eb, size_t el);
/* Append "&name=value" (no '&' first) with both %-encoded. */
MCX_WUR enum mcx_err cmc_form_add(struct mcx_buf *b, const char *name, const char *value);

#endif
