/* The DM client's HTTP glue (libcurl): one exchange per call, and the
 * session loop that POSTs each message and feeds each answer. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

#define LOG_MODULE "dm-client"
#include "core/log.h"
#include "dm/client.h"
#include "core/banned.h"

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct dm_http_resp *r = arg;

	return buf_add(&r->body, p, sz * n) ? 0 : sz * n;	/* 0 aborts: over the cap */
}

/* "Name: value" into out when the header is name. */
static void header_value(const char *p, size_t n, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	if (n <= nl + 1 || strncasecmp(p, name, nl) || p[nl] != ':')
		return;
	p += nl + 1;
	n -= nl + 1;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (n < outlen)
		snprintf(out, outlen, "%.*s", (int)n, p);
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct dm_http_resp *r = arg;

	header_value(p, sz * n, "Content-Type", r->ctype, sizeof(r->ctype));
	header_value(p, sz * n, DM_HMAC_HEADER, r->hmac, sizeof(r->hmac));
	return sz * n;
}

enum mcx_err dm_http(const char *url, const void *body, size_t len, const char *ctype,
		     const char *hmac, long timeout, size_t max, struct dm_http_resp *r,
		     char *eb, size_t el)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char line[DM_HMAC_HDR_MAX + 64];
	enum mcx_err err = MCX_OK;
	CURLcode cr;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, max);
	if (!c)
		return MCX_ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
		hdrs = curl_slist_append(hdrs, "Accept: application/vnd.syncml.dm+wbxml, "
					 "application/vnd.syncml.dm+xml");
	}
	if (hmac) {
		snprintf(line, sizeof(line), "%s: %s", DM_HMAC_HEADER, hmac);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->http);
	if (cr != CURLE_OK) {
		snprintf(eb, el, "%s %s: %s", body ? "POST" : "GET", url,
			 cr == CURLE_WRITE_ERROR ? "answer over the size limit" :
			 curl_easy_strerror(cr));
		err = MCX_EIO;
	} else if (r->http < 200 || r->http > 299) {
		snprintf(eb, el, "%s %s: HTTP %ld", body ? "POST" : "GET", url, r->http);
		err = MCX_EIO;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (err)
		dm_http_resp_free(r);
	return err;
}

void dm_http_resp_free(struct dm_http_resp *r)
{
	buf_reset(&r->body);
}

enum mcx_err dm_client_run(struct dm_session *s, struct dm_tree *t, const char *dir,
			   char *eb, size_t el)
{
	struct dm_http_resp r;
	struct dm_out o;
	enum mcx_err err = MCX_OK;
	const struct dm_client_conf *c = dm_session_conf(s);
	while (!err && dm_session_has_out(s)) {
		err = dm_session_out(s, &o);
		if (err)
			break;
		log_debug("POST %s (%zu bytes)", o.url, o.len);
		err = dm_http(o.url, o.body, o.len, o.ctype, o.hmac, c->timeout, c->msg_max, &r, eb, el);
		if (err)
			break;
		err = dm_session_feed(s, (const uint8_t *)r.body.p, r.body.len, r.ctype,
				      r.hmac[0] ? r.hmac : NULL);
		dm_http_resp_free(&r);
		if (err)
			snprintf(eb, el, "%s", dm_session_error(s));
		if (dir && dm_tree_save(t, dir)) {
			if (!err)
				snprintf(eb, el, "%s", t->errbuf);
			err = err ? err : MCX_EIO;
		}
	}
	return err;
}
