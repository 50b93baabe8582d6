/* libcurl glue of the client (see http.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "cmc/http.h"
#include "core/mem.h"
#include "core/banned.h"

struct cmc_http {
	CURL *c;
};

enum mcx_err cmc_http_alloc(struct cmc_http **hp, bool insecure, const char *cacert)
{
	struct cmc_http *h = mcx_calloc(1, sizeof(*h));

	if (!h)
		return MCX_ENOMEM;
	h->c = curl_easy_init();
	if (!h->c) {
		mcx_free(h);
		return MCX_ENOMEM;
	}
	curl_easy_setopt(h->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->c, CURLOPT_TIMEOUT, CMC_HTTP_TIMEOUT_S);
	curl_easy_setopt(h->c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h->c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->c, CURLOPT_TCP_NODELAY, 1L);
	if (insecure) {
		curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cacert)
		curl_easy_setopt(h->c, CURLOPT_CAINFO, cacert);
	*hp = h;
	return MCX_OK;
}

void cmc_http_free(struct cmc_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->c);
	mcx_free(h);
}

void cmc_http_resp_init(struct cmc_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, CMC_MAX_HTTP_BODY);
}

void cmc_http_resp_free(struct cmc_http_resp *r)
{
	buf_reset(&r->body);
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct cmc_http_resp *r = arg;

	return buf_add(&r->body, p, sz * n) ? 0 : sz * n;
}

static void header_value(const char *p, size_t n, size_t nl, char *out, size_t outlen,
			 bool unquote)
{
	const char *v = p + nl;
	size_t l = n - nl;

	while (l && (*v == ' ' || *v == '\t'))
		v++, l--;
	while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
		l--;
	if (unquote && l >= 2 && v[0] == '"' && v[l - 1] == '"')
		v++, l -= 2;
	if (l >= outlen)
		l = outlen - 1;
	memcpy(out, v, l);
	out[l] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct cmc_http_resp *r = arg;
	size_t len = sz * n;

	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the previous headers */
		r->etag[0] = r->location[0] = r->ctype[0] = r->retry_after[0] = '\0';
	} else if (len > 5 && !strncasecmp(p, "ETag:", 5)) {
		header_value(p, len, 5, r->etag, sizeof(r->etag), true);
	} else if (len > 9 && !strncasecmp(p, "Location:", 9)) {
		header_value(p, len, 9, r->location, sizeof(r->location), false);
	} else if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
		header_value(p, len, 13, r->ctype, sizeof(r->ctype), false);
	} else if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		header_value(p, len, 12, r->retry_after, sizeof(r->retry_after), false);
	}
	return len;
}

static enum mcx_err perform(struct cmc_http *h, const char *url, struct curl_slist *hdrs,
			    struct cmc_http_resp *r, char *eb, size_t el)
{
	CURLcode cr;

	r->body.len = 0;
	curl_easy_setopt(h->c, CURLOPT_URL, url);
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->c, CURLOPT_HEADERDATA, r);
	cr = curl_easy_perform(h->c);
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, NULL);
	if (cr) {
		snprintf(eb, el, "%s: %s", url, curl_easy_strerror(cr));
		return cr == CURLE_WRITE_ERROR ? MCX_ELIMIT : MCX_EIO;
	}
	curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &r->status);
	return MCX_OK;
}

enum mcx_err cmc_http_get(struct cmc_http *h, const char *url, const char *bearer,
			  const char *inm, struct cmc_http_resp *r, char *eb, size_t el)
{
	struct curl_slist *hdrs = NULL, *t;
	struct mcx_buf line;
	enum mcx_err err = MCX_OK;

	buf_init(&line, CMC_MAX_TOKEN + 64);
	if (bearer && *bearer) {
		err = buf_addf(&line, "Authorization: Bearer %s", bearer);
		if (!err && !(t = curl_slist_append(hdrs, line.p)))
			err = MCX_ENOMEM;
		else if (!err)
			hdrs = t;
		line.len = 0;
	}
	if (!err && inm && *inm) {
		err = buf_addf(&line, "If-None-Match: \"%s\"", inm);
		if (!err && !(t = curl_slist_append(hdrs, line.p)))
			err = MCX_ENOMEM;
		else if (!err)
			hdrs = t;
	}
	if (!err) {
		curl_easy_setopt(h->c, CURLOPT_HTTPGET, 1L);
		err = perform(h, url, hdrs, r, eb, el);
	} else {
		snprintf(eb, el, "out of memory");
	}
	curl_slist_free_all(hdrs);
	buf_reset(&line);
	return err;
}

enum mcx_err cmc_http_post_form(struct cmc_http *h, const char *url, const char *form,
				struct cmc_http_resp *r, char *eb, size_t el)
{
	struct curl_slist *hdrs =
	    curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	enum mcx_err err;

	if (!hdrs) {
		snprintf(eb, el, "out of memory");
		return MCX_ENOMEM;
	}
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	err = perform(h, url, hdrs, r, eb, el);
	curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	return err;
}

enum mcx_err cmc_form_add(struct mcx_buf *b, const char *name, const char *value)
{
	char *n = curl_easy_escape(NULL, name, 0);
	char *v = curl_easy_escape(NULL, value, 0);
	enum mcx_err err = MCX_ENOMEM;

	if (n && v)
		err = buf_addf(b, "%s%s=%s", b->len ? "&" : "", n, v);
	curl_free(n);
	curl_free(v);
	return err;
}
