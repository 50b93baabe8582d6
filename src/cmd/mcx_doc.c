/* mcx doc: get, put, delete, list, history and rollback of XCAP documents,
 * on the data directory (through the same handler and commit path as HTTP)
 * or, for get/put/delete, on a running mcxd with --server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "cmd/mcx.h"
#include "cmd/mcx_doc_edit.h"
#include "core/buf.h"
#include "xcap/uri.h"
#include "core/mem.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mcx [--data-dir DIR | --server URL --user U] doc COMMAND\n"
		"  get PATH [--version N]          print a document, element or attribute\n"
		"  put PATH FILE|- [--type MIME]   create or replace (element/attribute with ~~ selectors)\n"
		"  delete PATH                     delete a document, element or attribute\n"
		"  list [PREFIX]                   current documents (data directory)\n"
		"  history PATH                    versions, newest first (data directory)\n"
		"  rollback PATH VERSION           make an old version current again (data directory)\n"
		"  edit PATH                       open it in $EDITOR, PUT it back with If-Match (--server)\n"
		"PATH is relative to the XCAP root, e.g.\n"
		"  resource-lists/users/sip:alice@example.org/index\n"
		"  'resource-lists/users/sip:alice@example.org/index/~~/resource-lists/list[@name=\"friends\"]'\n"
		"On the data directory, writes are made as the administrator \"mcx\" and take\n"
		"the daemon's commit path (validation, history, change events).\n");
}

static int read_all(const char *file, struct mcx_buf *b)
{
	enum mcx_err err = buf_add_file(b, file);

	if (err == MCX_ELIMIT)
		fprintf(stderr, "mcx: %s is larger than max-document-size\n", file);
	else if (err)
		fprintf(stderr, "mcx: cannot read %s\n", file);
	return err ? -1 : 0;
}

/* Media type for a PUT from the shape of the path. */
static const char *guess_type(const char *path)
{
	const char *sel = strstr(path, "/~~/");
	const char *last;

	if (!sel)
		return "application/xml";
	last = strrchr(sel, '/');
	if (last && last[1] == '@')
		return "application/xcap-att+xml";
	return "application/xcap-el+xml";
}

static int report(int status, const char *phrase, const char *body, size_t blen, bool quiet_ok)
{
	if (status >= 200 && status < 300) {
		if (!quiet_ok && blen)
			fwrite(body, 1, blen, stdout);
		return 0;
	}
	fprintf(stderr, "mcx: %d %s\n", status, phrase && *phrase ? phrase : "");
	if (status == 409 && blen)
		fwrite(body, 1, blen, stderr);
	return 1;
}

static int local_op(struct mcx_ctx *x, const char *method, const char *path,
		    const char *type, const struct mcx_buf *body)
{
	struct xcap_request rq;
	struct xcap_response rs;
	struct mcx_buf target;
	const char *b;
	size_t bl;
	int rc;

	buf_init(&target, 64 * 1024);
	if (buf_addf(&target, "%s/%s", x->h.conf.root, path[0] == '/' ? path + 1 : path))
		return 1;
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.target = target.p;
	rq.target_len = target.len;
	rq.content_type = type;
	rq.body = body ? body->p : NULL;
	rq.body_len = body ? body->len : 0;
	rq.who.xui = "mcx";
	rq.who.root = true;
	xcap_response_init(&rs);
	xcap_handle(&x->h, &rq, &rs);
	b = xcap_response_body(&rs, &bl);
	rc = report(rs.status, rs.xs.phrase, b, bl, strcmp(method, "GET") != 0);
	if (!rc && strcmp(method, "GET"))
		fprintf(stderr, "%d %s ETag \"%s\"\n", rs.status, method, rs.etag);
	xcap_response_free(&rs);
	buf_reset(&target);
	return rc;
}

static size_t collect(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) ? 0 : sz * n;
}

static int remote_op(struct mcx_ctx *x, const char *method, const char *path,
		     const char *type, const struct mcx_buf *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct mcx_buf url, resp;
	char pw[256], ct[300];
	long status = 0;
	CURLcode cr;
	int rc = 1;

	if (!c)
		return 1;
	buf_init(&url, 64 * 1024);
	buf_init(&resp, 256 * 1024 * 1024);
	if (buf_addf(&url, "%s/%s", x->server, path[0] == '/' ? path + 1 : path))
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url.p);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	if (x->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (x->user) {
		if (mcx_read_password(x->password, pw, sizeof(pw))) {
			fprintf(stderr, "mcx: no password for %s\n", x->user);
			goto out;
		}
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
		curl_easy_setopt(c, CURLOPT_USERNAME, x->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pw);
	}
	if (body) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", type);
		hdrs = curl_slist_append(hdrs, ct);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p ? body->p : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	}
	cr = curl_easy_perform(c);
	if (cr) {
		fprintf(stderr, "mcx: %s: %s\n", url.p, curl_easy_strerror(cr));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = report((int)status, "", resp.p, resp.len, strcmp(method, "GET") != 0);
	if (!rc && strcmp(method, "GET"))
		fprintf(stderr, "%ld %s\n", status, method);
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	buf_reset(&url);
	buf_reset(&resp);
	return rc;
}

static int op(struct mcx_ctx *x, const char *method, const char *path, const char *type,
	      const struct mcx_buf *body)
{
	if (x->server)
		return remote_op(x, method, path, type, body);
	if (mcx_open(x))
		return 1;
	return local_op(x, method, path, type, body);
}

static int list_one(const char *path, const char *etag, size_t len, long long mtime, void *arg)
{
	char when[32];
	time_t t = (time_t)mtime;
	struct tm tm;

	(void)arg;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s  %8zu  %s  %s\n", when, len, etag, path);
	return 0;
}

static int history_one(const struct store_version *v, void *arg)
{
	char when[32];
	time_t t = (time_t)v->mtime;
	struct tm tm;

	(void)arg;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("v%-5lld %s  %8zu  %-32s  %s%s\n", v->version, when, v->len,
	       v->deleted ? "(deleted)" : v->etag, v->author ? v->author : "-",
	       v->deleted ? "" : "");
	return 0;
}

/* Store key of a PATH (documents only). */
static int docpath(struct mcx_ctx *x, const char *path, char *out, size_t len)
{
	struct xcap_uri u;
	char target[4096], eb[160];

	snprintf(target, sizeof(target), "%s/%s", x->h.conf.root, path[0] == '/' ? path + 1 : path);
	if (xcap_uri_parse(&u, target, strlen(target), x->h.conf.root, sizeof(target), eb,
			   sizeof(eb)) != XCAP_URI_OK) {
		fprintf(stderr, "mcx: %s: %s\n", path, eb);
		return -1;
	}
	snprintf(out, len, "%s", u.docpath);
	xcap_uri_free(&u);
	return 0;
}

static int rollback(struct mcx_ctx *x, const char *path, const char *ver)
{
	struct store_doc *d = NULL;
	struct mcx_buf body;
	char key[4096];
	int rc;

	if (mcx_open(x) || docpath(x, path, key, sizeof(key)))
		return 1;
	if (store_get_version(x->store, key, strtoll(ver, NULL, 10), &d)) {
		fprintf(stderr, "mcx: %s has no version %s\n", path, ver);
		return 1;
	}
	buf_init(&body, d->len + 1);
	if (buf_add(&body, d->bytes, d->len)) {
		store_doc_deref(d);
		return 1;
	}
	store_doc_deref(d);
	rc = local_op(x, "PUT", path, "application/xml", &body);
	buf_reset(&body);
	return rc;
}

int cmd_doc(struct mcx_ctx *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	const char *type = NULL;
	struct mcx_buf body;
	int i, rc;

	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = argv[i + 1];
	if (!strcmp(sub, "list")) {
		if (x->server || mcx_open(x))
			return x->server ? (fprintf(stderr, "mcx: list works on the data directory\n"), 2) : 1;
		return store_list(x->store, argc > 2 ? argv[2] : "", list_one, NULL) ? 1 : 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(sub, "get")) {
		if (argc >= 5 && !strcmp(argv[3], "--version")) {
			struct store_doc *d = NULL;
			char key[4096];

			if (mcx_open(x) || docpath(x, argv[2], key, sizeof(key)))
				return 1;
			if (store_get_version(x->store, key, strtoll(argv[4], NULL, 10), &d)) {
				fprintf(stderr, "mcx: no such version\n");
				return 1;
			}
			fwrite(d->bytes, 1, d->len, stdout);
			store_doc_deref(d);
			return 0;
		}
		return op(x, "GET", argv[2], NULL, NULL);
	}
	if (!strcmp(sub, "delete"))
		return op(x, "DELETE", argv[2], NULL, NULL);
	if (!strcmp(sub, "history")) {
		char key[4096];

		if (x->server || mcx_open(x) || docpath(x, argv[2], key, sizeof(key)))
			return 1;
		if (store_history(x->store, key, history_one, NULL)) {
			fprintf(stderr, "mcx: %s has no history\n", argv[2]);
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "edit"))
		return mcx_doc_edit(x, argv[2]);
	if (!strcmp(sub, "rollback") && argc >= 4)
		return x->server ? 2 : rollback(x, argv[2], argv[3]);
	if (!strcmp(sub, "put") && argc >= 4) {
		buf_init(&body, x->cfg.xcap.max_document_size);
		if (read_all(argv[3], &body)) {
			buf_reset(&body);
			return 1;
		}
		rc = op(x, "PUT", argv[2], type ? type : guess_type(argv[2]), &body);
		buf_reset(&body);
		return rc;
	}
	usage(stderr);
	return 2;
}
