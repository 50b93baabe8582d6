/* libmicrohttpd glue: connections, request bodies, authentication, access log. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <microhttpd.h>
#include <curl/curl.h>

#define LOG_MODULE "http"
#include "core/log.h"
#include "core/mem.h"
#include "http/server.h"
#include "http/auth.h"
#include "idms/idms.h"
#include "dm/server_role.h"

struct http_server {
	struct MHD_Daemon *mhd;
	struct xcap_handler *h;
	struct http_conf conf;
	struct auth_conf auth;
	FILE *alog;
	pthread_mutex_t alog_lock;
	char *cert, *key;
	struct jwks *jwks;
	/* jwks-url: a thread refreshes the key set; replaced sets are kept until
	 * shutdown (requests may still use them), which happens only when the
	 * identity management server changes its keys */
	pthread_t jwks_thread;
	bool jwks_thread_on;
	struct jwks *jwks_old[64];
	unsigned njwks_old;
	char *jwks_raw;
	pthread_mutex_t jlock;
	pthread_cond_t jcond;
	/* writes wait for the disk: they run on worker threads while their
	 * connection is suspended, so MHD's threads never block */
	pthread_t *workers;
	unsigned nworkers;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct req *qhead, *qtail;
	bool stopping;
};

enum { HDR_AUTH, HDR_ASSERTED, HDR_CTYPE, HDR_IF_MATCH, HDR_IF_NONE_MATCH, HDR_INTENDED,
       HDR_CONTACT_TYPE, HDR_N };

static const char *const hdr_names[HDR_N] = {
	MHD_HTTP_HEADER_AUTHORIZATION, "X-3GPP-Asserted-Identity", MHD_HTTP_HEADER_CONTENT_TYPE,
	MHD_HTTP_HEADER_IF_MATCH, MHD_HTTP_HEADER_IF_NONE_MATCH, "X-3GPP-Intended-Identity",
	"Contact-Type",   /* sent by the MCOP SDK in place of Content-Type */
};

/* Per-request state, created by the URI log callback with the raw target. */
struct req {
	char *target;
	size_t target_len;
	struct mcx_buf body;
	bool too_large;
	struct timespec t0;
	/* copied from the connection before a write is handed to a worker */
	char method[16];
	char *hdr[HDR_N];
	struct sockaddr_storage peer;
	bool has_peer;
	/* the prepared answer */
	struct MHD_Response *resp;
	unsigned status;
	struct MHD_Connection *con;
	struct req *next;         /* work queue */
	bool idms;                /* for the identity management server */
	bool dm;                  /* for the DM server */
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct req *r = mcx_calloc(1, sizeof(*r));

	(void)cls;
	(void)con;
	if (!r)
		return NULL;
	r->target = mcx_strdup(uri ? uri : "");
	if (!r->target) {
		mcx_free(r);
		return NULL;
	}
	r->target_len = strlen(r->target);
	buf_init(&r->body, 0);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	return r;
}

/* Keep the URL as sent: the XCAP layer decodes each part itself. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void req_free(struct req *r)
{
	int i;

	for (i = 0; i < HDR_N; i++)
		mcx_free(r->hdr[i]);
	if (r->resp)
		MHD_destroy_response(r->resp);
	buf_reset(&r->body);
	mcx_free(r->target);
	mcx_free(r);
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (!r)
		return;
	req_free(r);
	*con_cls = NULL;
}

static void free_doc(void *cls)
{
	store_doc_deref(cls);
}

static void access_log(struct http_server *s, const struct req *r, int status, size_t bytes,
		       const char *who, const char *why)
{
	char addr[INET6_ADDRSTRLEN] = "-";
	struct timespec t1;
	long us;

	if (!s->alog)
		return;
	if (r->has_peer && r->peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)&r->peer)->sin_addr, addr, sizeof(addr));
	else if (r->has_peer && r->peer.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)&r->peer)->sin6_addr, addr, sizeof(addr));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (t1.tv_sec - r->t0.tv_sec) * 1000000L + (t1.tv_nsec - r->t0.tv_nsec) / 1000;
	pthread_mutex_lock(&s->alog_lock);
	fprintf(s->alog, "time=%ld peer=%s user=%s method=%s status=%d bytes=%zu us=%ld target=\"%.*s\"%s%s%s\n",
		(long)time(NULL), addr, who && *who ? who : "-", r->method, status, bytes, us,
		(int)(r->target_len > 512 ? 512 : r->target_len), r->target,
		why ? " reason=\"" : "", why ? why : "", why ? "\"" : "");
	pthread_mutex_unlock(&s->alog_lock);
}

static enum MHD_Result send_simple(struct MHD_Connection *con, unsigned status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								   MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static const char *hdr(struct MHD_Connection *con, const char *name)
{
	return MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
}

/* Users-tree XUI in the raw target, for the realm of a challenge. */
static void uri_xui(const struct req *r, const char *root, char *out, size_t len)
{
	size_t rl = strlen(root);
	const char *p, *u, *e;

	out[0] = '\0';
	if (r->target_len <= rl + 1)
		return;
	p = memchr(r->target + rl + 1, '/', r->target_len - rl - 1);
	if (!p || strncmp(p, "/users/", 7))
		return;
	u = p + 7;
	e = u;
	while (*e && *e != '/' && *e != '?')
		e++;
	snprintf(out, len, "%.*s", (int)(e - u), u);
}

/* Copy what a worker needs from the connection (it may run elsewhere). */
static int capture(struct MHD_Connection *con, const char *method, struct req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	int i;

	snprintf(r->method, sizeof(r->method), "%s", method);
	for (i = 0; i < HDR_N; i++) {
		const char *v = hdr(con, hdr_names[i]);

		if (v && !(r->hdr[i] = mcx_strdup(v)))
			return -1;
	}
	if (ci && ci->client_addr) {
		size_t l = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			   sizeof(struct sockaddr_in);

		memcpy(&r->peer, ci->client_addr, l);
		r->has_peer = true;
	}
	r->con = con;
	return 0;
}

static struct MHD_Response *unauthorized(struct auth_out *aout)
{
	static const char msg[] = "authentication required\n";
	struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
								   MHD_RESPMEM_PERSISTENT);
	int i;

	if (!resp)
		return NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	for (i = 0; i < aout->nchallenge; i++)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, aout->challenge[i].p);
	return resp;
}

/* Authenticate, run the XCAP handler and prepare r->resp / r->status.
 * Runs on an MHD thread (reads) or a worker (writes). */
static void process(struct http_server *s, struct req *r)
{
	struct auth_in ain;
	struct auth_out aout;
	struct xcap_request rq;
	struct xcap_response rs;
	struct MHD_Response *resp;
	const char *body;
	size_t blen;
	char xui[AUTH_XUI_MAX], intended[AUTH_XUI_MAX];

	memset(&ain, 0, sizeof(ain));
	memset(&aout, 0, sizeof(aout));
	uri_xui(r, s->h->conf.root, xui, sizeof(xui));
	ain.method = r->method;
	ain.target = r->target;
	ain.target_len = r->target_len;
	ain.authorization = r->hdr[HDR_AUTH];
	ain.asserted = r->hdr[HDR_ASSERTED];
	ain.peer = r->has_peer ? (const struct sockaddr *)&r->peer : NULL;
	ain.uri_xui = xui;
	if (auth_check(&s->auth, s->h->store, &ain, &aout)) {
		r->resp = unauthorized(&aout);
		r->status = MHD_HTTP_UNAUTHORIZED;
		access_log(s, r, 401, 24, NULL, aout.why);
		auth_out_free(&aout);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = r->method;
	rq.target = r->target;
	rq.target_len = r->target_len;
	rq.content_type = r->hdr[HDR_CTYPE] ? r->hdr[HDR_CTYPE] : r->hdr[HDR_CONTACT_TYPE];
	rq.if_match = r->hdr[HDR_IF_MATCH];
	rq.if_none_match = r->hdr[HDR_IF_NONE_MATCH];
	rq.body = r->body.p ? r->body.p : "";
	rq.body_len = r->body.len;
	rq.who.xui = aout.xui;
	rq.who.admin = aout.admin;
	rq.who.scopes = aout.token ? aout.scopes : NULL;
	if (r->hdr[HDR_INTENDED] && auth_clean_identity(r->hdr[HDR_INTENDED], intended, sizeof(intended)))
		rq.who.intended = intended;
	else if (r->hdr[HDR_INTENDED])
		rq.who.intended = r->hdr[HDR_INTENDED];
	xcap_response_init(&rs);
	xcap_handle(s->h, &rq, &rs);
	body = xcap_response_body(&rs, &blen);
	if (!strcmp(r->method, "HEAD") || rs.status == 304)
		blen = 0;
	if (rs.view && rs.doc && blen)
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			blen, (void *)body, free_doc, store_doc_ref(rs.doc));
	else
		resp = MHD_create_response_from_buffer(blen, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp) {
		if (rs.content_type && rs.status != 304)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs.content_type);
		if (rs.etag[0]) {
			char q[STORE_ETAG_MAX + 2];

			snprintf(q, sizeof(q), "\"%s\"", rs.etag);
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, q);
		}
		if (rs.allow)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rs.allow);
		if (rs.bearer_error) {
			char wa[300];

			snprintf(wa, sizeof(wa), "Bearer error=\"%s\", scope=\"%s\"", rs.bearer_error,
				 rs.bearer_scope ? rs.bearer_scope : "");
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, wa);
		}
	}
	r->resp = resp;
	r->status = (unsigned)rs.status;
	access_log(s, r, rs.status, blen, aout.xui,
		   rs.status >= 400 && rs.xs.phrase[0] ? rs.xs.phrase : NULL);
	xcap_response_free(&rs);
	auth_out_free(&aout);
}

static void peer_text(const struct req *r, char *out, size_t len)
{
	snprintf(out, len, "-");
	if (r->has_peer && r->peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)&r->peer)->sin_addr, out, (socklen_t)len);
	else if (r->has_peer && r->peer.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)&r->peer)->sin6_addr, out, (socklen_t)len);
}

/* A request for the identity management server (OpenID Connect). */
static void process_idms(struct http_server *s, struct req *r)
{
	struct idms_request rq;
	struct idms_response rs;
	struct MHD_Response *resp;
	size_t pl = strlen(s->conf.idms_path);
	char path[1024], peer[INET6_ADDRSTRLEN];
	const char *q = memchr(r->target, '?', r->target_len);
	size_t plen = (q ? (size_t)(q - r->target) : r->target_len) - pl;
	unsigned i;

	peer_text(r, peer, sizeof(peer));
	snprintf(path, sizeof(path), "%.*s", (int)(plen < sizeof(path) ? plen : sizeof(path) - 1),
		 r->target + pl);
	memset(&rq, 0, sizeof(rq));
	rq.method = r->method;
	rq.path = path[0] ? path : "/";
	rq.query = q ? q + 1 : NULL;
	rq.content_type = r->hdr[HDR_CTYPE];
	rq.body = r->body.p ? r->body.p : "";
	rq.body_len = r->body.len;
	rq.authorization = r->hdr[HDR_AUTH];
	rq.peer = peer;
	idms_response_init(&rs);
	idms_handle(s->conf.idms, &rq, &rs);
	resp = MHD_create_response_from_buffer(rs.body.len, rs.body.p ? rs.body.p : (void *)"",
					       MHD_RESPMEM_MUST_COPY);
	if (resp) {
		if (rs.content_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs.content_type);
		if (rs.location[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rs.location);
		if (rs.no_store) {
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
			MHD_add_response_header(resp, MHD_HTTP_HEADER_PRAGMA, "no-cache");
		}
		if (rs.www_authenticate[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, rs.www_authenticate);
		for (i = 0; i < rs.nheaders; i++)   /* Allow, Retry-After, CSP, ... */
			MHD_add_response_header(resp, rs.headers[i].name, rs.headers[i].value);
	}
	r->resp = resp;
	r->status = (unsigned)rs.status;
	access_log(s, r, rs.status, rs.body.len, NULL, NULL);
	idms_response_free(&rs);
}

static const struct jwks *idms_keys(void *arg)
{
	return idms_jwks(arg);
}

static bool idms_revoked(void *arg, const char *jti)
{
	return idms_token_revoked(arg, jti);
}

static bool is_idms(const struct http_server *s, const struct req *r)
{
	size_t pl;

	if (!s->conf.idms || !s->conf.idms_path)
		return false;
	pl = strlen(s->conf.idms_path);
	return r->target_len >= pl && !memcmp(r->target, s->conf.idms_path, pl) &&
	       (r->target_len == pl || r->target[pl] == '/' || r->target[pl] == '?');
}

/* A request for the DM server: SyncML in, SyncML out; no HTTP
 * authentication (the SyncML header carries the UE's credentials). */
static void process_dm(struct http_server *s, struct req *r)
{
	struct dm_role_answer a;
	struct MHD_Response *resp;
	size_t pl = strlen(s->conf.dm_path);
	const char *q = memchr(r->target, '?', r->target_len);
	size_t plen = (q ? (size_t)(q - r->target) : r->target_len) - pl;
	size_t ql = q ? r->target_len - (size_t)(q - r->target) - 1 : 0;
	char sub[64], token[64], devid[DM_SRV_ID_MAX];
	bool tok, dev;

	if (plen < sizeof(sub))
		snprintf(sub, sizeof(sub), "%.*s", (int)plen, r->target + pl);
	else
		snprintf(sub, sizeof(sub), "/(too long)");
	tok = q && dm_role_query(q + 1, ql, "s", token, sizeof(token));
	dev = q && dm_role_query(q + 1, ql, "devid", devid, sizeof(devid));
	dm_role_answer_init(&a);
	dm_role_http(s->conf.dm, r->method, sub, tok ? token : NULL, dev ? devid : NULL,
		     r->hdr[HDR_CTYPE], r->body.p, r->body.len, r->too_large, &a);
	resp = MHD_create_response_from_buffer(a.body.len, a.body.p ? a.body.p : (void *)"",
					       MHD_RESPMEM_MUST_COPY);
	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.ctype);
	r->resp = resp;
	r->status = a.status;
	access_log(s, r, (int)a.status, a.body.len, dev ? devid : NULL,
		   a.status != 200 ? a.why : NULL);
	dm_role_answer_free(&a);
}

static bool is_dm(const struct http_server *s, const struct req *r)
{
	size_t pl;

	if (!s->conf.dm || !s->conf.dm_path)
		return false;
	pl = strlen(s->conf.dm_path);
	return r->target_len >= pl && !memcmp(r->target, s->conf.dm_path, pl) &&
	       (r->target_len == pl || r->target[pl] == '/' || r->target[pl] == '?');
}

static enum MHD_Result queue_prepared(struct MHD_Connection *con, struct req *r)
{
	enum MHD_Result ret;

	if (!r->resp)
		return MHD_NO;
	ret = MHD_queue_response(con, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

static void *worker(void *arg)
{
	struct http_server *s = arg;

	for (;;) {
		struct req *r;

		pthread_mutex_lock(&s->qlock);
		while (!s->qhead && !s->stopping)
			pthread_cond_wait(&s->qcond, &s->qlock);
		r = s->qhead;
		if (!r) {
			pthread_mutex_unlock(&s->qlock);
			return NULL;
		}
		s->qhead = r->next;
		if (!s->qhead)
			s->qtail = NULL;
		pthread_mutex_unlock(&s->qlock);
		if (r->idms)
			process_idms(s, r);
		else if (r->dm)
			process_dm(s, r);
		else
			process(s, r);
		r->status = r->status ? r->status : MHD_HTTP_INTERNAL_SERVER_ERROR;
		MHD_resume_connection(r->con);
	}
}

/* Hand a write to the workers; false when shutting down (run it inline). */
static bool enqueue(struct http_server *s, struct req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&s->qlock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->qlock);
		return false;
	}
	if (s->qtail)
		s->qtail->next = r;
	else
		s->qhead = r;
	s->qtail = r;
	MHD_suspend_connection(r->con);
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct req *r = *con_cls;

	(void)url;
	(void)version;
	if (!r)
		return send_simple(con, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (r->status)
		return queue_prepared(con, r);
	if (!r->body.max) {
		const char *cl = hdr(con, MHD_HTTP_HEADER_CONTENT_LENGTH);

		r->body.max = s->h->conf.max_doc;
		if (cl && strtoull(cl, NULL, 10) > s->h->conf.max_doc)
			r->too_large = true;
		else if (cl && buf_reserve(&r->body, (size_t)strtoull(cl, NULL, 10)))
			r->too_large = true;
		if (!r->too_large)
			return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_large && buf_add(&r->body, upload, *upload_size))
			r->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->status)
		return queue_prepared(con, r);     /* resumed after a worker ran it */
	if (capture(con, method, r))
		return send_simple(con, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (r->too_large) {
		access_log(s, r, 413, 0, NULL, "body larger than max-document-size");
		return send_simple(con, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the body is larger than the document size limit\n");
	}
	if (is_idms(s, r)) {
		/* logins hash passwords (argon2id): never on an event thread */
		r->idms = true;
		if (!strcmp(method, "POST") && enqueue(s, r))
			return MHD_YES;
		process_idms(s, r);
		return queue_prepared(con, r);
	}
	if (is_dm(s, r)) {
		/* sessions read the store and hash: never on an event thread */
		r->dm = true;
		if (enqueue(s, r))
			return MHD_YES;
		process_dm(s, r);
		return queue_prepared(con, r);
	}
	if ((!strcmp(method, "PUT") || !strcmp(method, "DELETE")) && enqueue(s, r))
		return MHD_YES;
	process(s, r);
	return queue_prepared(con, r);
}

static size_t jwks_collect(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) ? 0 : sz * n;
}

/* Fetch the key set once; swap it in when it changed. */
static void jwks_fetch(struct http_server *s)
{
	CURL *c = curl_easy_init();
	struct mcx_buf b;
	struct jwks *ks = NULL;
	char eb[256];
	long code = 0;

	if (!c)
		return;
	buf_init(&b, JWKS_MAX_LEN);
	curl_easy_setopt(c, CURLOPT_URL, s->conf.jwks_url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, jwks_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(c) || curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) || code != 200) {
		log_warn("jwks-url %s: fetch failed (HTTP %ld); keeping the keys we have",
			 s->conf.jwks_url, code);
		goto out;
	}
	if (s->jwks_raw && b.len == strlen(s->jwks_raw) && !memcmp(b.p, s->jwks_raw, b.len))
		goto out;
	if (jwks_parse(&ks, b.p ? b.p : "", b.len, eb, sizeof(eb))) {
		log_warn("jwks-url %s: %s; keeping the keys we have", s->conf.jwks_url, eb);
		goto out;
	}
	if (s->jwks) {
		if (s->njwks_old == sizeof(s->jwks_old) / sizeof(s->jwks_old[0])) {
			log_warn("jwks-url: too many key changes; ignoring this one");
			jwks_free(ks);
			goto out;
		}
		s->jwks_old[s->njwks_old++] = s->jwks;
	}
	s->jwks = ks;
	__atomic_store_n(&s->auth.jwks, ks, __ATOMIC_RELEASE);
	mcx_free(s->jwks_raw);
	s->jwks_raw = buf_take(&b, NULL);
	log_info("access tokens: %zu key(s) from %s", jwks_count(ks), s->conf.jwks_url);
out:
	buf_reset(&b);
	curl_easy_cleanup(c);
}

static void *jwks_loop(void *arg)
{
	struct http_server *s = arg;
	struct timespec until;

	pthread_mutex_lock(&s->jlock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->jlock);
		jwks_fetch(s);
		pthread_mutex_lock(&s->jlock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += s->conf.jwks_refresh;
		while (!s->stopping && pthread_cond_timedwait(&s->jcond, &s->jlock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&s->jlock);
	return NULL;
}

static char *slurp(const char *path, char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct mcx_buf b;
	char chunk[4096];
	size_t n;

	if (!f) {
		snprintf(errbuf, errlen, "%s: cannot open", path);
		return NULL;
	}
	buf_init(&b, 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n)) {
			fclose(f);
			buf_reset(&b);
			snprintf(errbuf, errlen, "%s: too large", path);
			return NULL;
		}
	}
	fclose(f);
	return buf_take(&b, NULL);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("%s", msg);
}

enum mcx_err http_server_start(struct http_server **sp, const struct http_conf *c,
			       struct xcap_handler *h, char *errbuf, size_t errlen)
{
	struct http_server *s = mcx_calloc(1, sizeof(*s));
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	unsigned i;
	enum mcx_err err;

	if (!s)
		return MCX_ENOMEM;
	s->h = h;
	s->conf = *c;
	pthread_mutex_init(&s->alog_lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	pthread_mutex_init(&s->jlock, NULL);
	pthread_cond_init(&s->jcond, NULL);
	s->workers = mcx_calloc((size_t)c->write_workers, sizeof(pthread_t));
	if (!s->workers) {
		err = MCX_ENOMEM;
		goto fail;
	}
	for (i = 0; i < (unsigned)c->write_workers; i++) {
		if (pthread_create(&s->workers[i], NULL, worker, s)) {
			snprintf(errbuf, errlen, "cannot start write workers");
			err = MCX_EINTERNAL;
			goto fail;
		}
		s->nworkers++;
	}
	memset(&s->auth, 0, sizeof(s->auth));
	s->auth.realm = c->realm;
	s->auth.nonce_lifetime = c->nonce_lifetime;
	s->auth.trusted_proxies = c->trusted_proxies;
	s->auth.token_issuer = c->token_issuer;
	s->auth.token_audience = c->token_audience;
	s->auth.token_skew = c->token_skew;
	if (c->jwks_file && *c->jwks_file) {
		char jeb[256];

		if (jwks_load_file(&s->jwks, c->jwks_file, jeb, sizeof(jeb))) {
			snprintf(errbuf, errlen, "jwks-file: %s", jeb);
			err = MCX_EINVAL;
			goto fail;
		}
		s->auth.jwks = s->jwks;
		log_info("access tokens: %zu key(s) from %s", jwks_count(s->jwks), c->jwks_file);
	} else if (c->idms && !(c->jwks_url && *c->jwks_url)) {
		s->auth.jwks_fn = idms_keys;
		s->auth.revoked_fn = idms_revoked;
		s->auth.jwks_arg = c->idms;
		log_info("access tokens: the keys of this daemon's identity management server");
	} else if (c->jwks_url && *c->jwks_url) {
		jwks_fetch(s);     /* at start; then every jwks-refresh seconds */
		if (pthread_create(&s->jwks_thread, NULL, jwks_loop, s)) {
			err = MCX_EINTERNAL;
			goto fail;
		}
		s->jwks_thread_on = true;
	}
	err = auth_init(&s->auth, h->store);
	if (err) {
		snprintf(errbuf, errlen, "cannot set up authentication: %s", mcx_strerror(err));
		goto fail;
	}
	if (c->access_log && strcmp(c->access_log, "off")) {
		s->alog = strcmp(c->access_log, "-") ? fopen(c->access_log, "a") : stderr;
		if (!s->alog) {
			snprintf(errbuf, errlen, "%s: cannot open the access log", c->access_log);
			err = MCX_EIO;
			goto fail;
		}
		setvbuf(s->alog, NULL, _IOLBF, 0);
	}
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, c->bind, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)c->port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, c->bind, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)c->port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(errbuf, errlen, "http-bind: '%s' is not an IP address", c->bind);
		err = MCX_EINVAL;
		goto fail;
	}
	if ((c->tls_cert && *c->tls_cert) != (c->tls_key && *c->tls_key)) {
		snprintf(errbuf, errlen, "tls-cert and tls-key must be given together");
		err = MCX_EINVAL;
		goto fail;
	}
	if (c->tls_cert && *c->tls_cert) {
		s->cert = slurp(c->tls_cert, errbuf, errlen);
		s->key = s->cert ? slurp(c->tls_key, errbuf, errlen) : NULL;
		if (!s->cert || !s->key) {
			err = MCX_EIO;
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	s->mhd = MHD_start_daemon(flags, (uint16_t)c->port, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->conn_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->conn_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->header_max,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log, s,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
		MHD_OPTION_HTTPS_MEM_KEY, s->key,
		MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(errbuf, errlen, "cannot listen on %s port %lld (in use, or bad TLS files?)",
			 c->bind, c->port);
		err = MCX_EIO;
		goto fail;
	}
	*sp = s;
	return MCX_OK;
fail:
	http_server_stop(s);
	return err;
}

const struct auth_conf *http_server_auth(const struct http_server *s)
{
	return &s->auth;
}

unsigned http_server_port(const struct http_server *s)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	unsigned i;

	pthread_mutex_lock(&s->qlock);
	s->stopping = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	pthread_mutex_lock(&s->jlock);
	pthread_cond_broadcast(&s->jcond);
	pthread_mutex_unlock(&s->jlock);
	if (s->jwks_thread_on)
		pthread_join(s->jwks_thread, NULL);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	mcx_free(s->workers);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qcond);
	if (s->alog && s->alog != stderr)
		fclose(s->alog);
	pthread_mutex_destroy(&s->alog_lock);
	mcx_free(s->cert);
	mcx_free(s->key);
	jwks_free(s->jwks);
	for (i = 0; i < s->njwks_old; i++)
		jwks_free(s->jwks_old[i]);
	mcx_free(s->jwks_raw);
	pthread_mutex_destroy(&s->jlock);
	pthread_cond_destroy(&s->jcond);
	mcx_free(s);
}
