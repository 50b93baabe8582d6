/* mcx doc edit PATH: GET the document from a running mcxd (--server, Digest
 * --user/--password), open a copy in $EDITOR, and PUT it back with If-Match
 * on the ETag it was read at — so an edit never overwrites someone else's
 * change (412) — and show a 409's reason (the xcap-error element and its
 * phrase) in words. The copy is kept when the PUT fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "cmd/mcx_doc_edit.h"
#include "core/buf.h"

struct resp {
	long status;
	char etag[128];
	struct mcx_buf body;
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) ? 0 : sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = sz * n;

	if (len > 5 && !strncasecmp(p, "ETag:", 5)) {
		const char *v = p + 5;
		size_t l = len - 5;

		while (l && (*v == ' ' || *v == '"'))
			v++, l--;
		while (l && strchr("\r\n\" ", v[l - 1]))
			l--;
		snprintf(r->etag, sizeof(r->etag), "%.*s", (int)l, v);
	}
	return len;
}

/* One request; body may be NULL (GET). */
static int request(struct mcx_ctx *x, const char *method, const char *url, const char *pw,
		   const char *if_match, const struct mcx_buf *body, struct resp *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char line[200];
	CURLcode cr;

	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (x->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (x->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
		curl_easy_setopt(c, CURLOPT_USERNAME, x->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pw);
	}
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/xml");
		snprintf(line, sizeof(line), "If-Match: \"%s\"", if_match);
		h = curl_slist_append(h, line);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p ? body->p : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
	}
	r->body.len = 0;
	r->etag[0] = '\0';
	cr = curl_easy_perform(c);
	if (!cr)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		fprintf(stderr, "mcx doc edit: %s %s: %s\n", method, url, curl_easy_strerror(cr));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return cr ? -1 : 0;
}

/* Undo the five predefined entities in place. */
static void unescape(char *s)
{
	static const char *const ents[][2] = {{"&quot;", "\""}, {"&apos;", "'"}, {"&lt;", "<"},
					      {"&gt;", ">"}, {"&amp;", "&"}};
	char *o = s;
	size_t k;

	while (*s) {
		for (k = 0; k < 5; k++)
			if (!strncmp(s, ents[k][0], strlen(ents[k][0])))
				break;
		if (k < 5) {
			*o++ = ents[k][1][0];
			s += strlen(ents[k][0]);
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* "<condition>: phrase" of an xcap-error body, in words. */
static void xcap_error_words(const struct mcx_buf *b, char *out, size_t outlen)
{
	const char *p = b->p ? strstr(b->p, "<xcap-error") : NULL;
	const char *e, *ph;
	size_t nl;

	snprintf(out, outlen, "%.300s", b->p ? b->p : "");
	if (!p || !(p = strchr(p, '>')) || !(p = strchr(p, '<')) || p[1] == '/')
		return;
	p++;
	nl = strcspn(p, " />\t\r\n");
	e = strchr(p, '>');
	ph = strstr(p, "phrase=\"");
	if (ph && e && ph < e) {
		ph += 8;
		snprintf(out, outlen, "%.*s: %.*s", (int)nl, p, (int)strcspn(ph, "\""), ph);
		unescape(out);
	} else {
		snprintf(out, outlen, "%.*s", (int)nl, p);
	}
}

static int run_editor(const char *file)
{
	const char *ed = getenv("VISUAL");
	struct mcx_buf cmd;
	pid_t pid;
	int st;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	/* through sh, so EDITOR may carry arguments and quotes ("code --wait") */
	buf_init(&cmd, 8192);
	if (buf_addf(&cmd, "%s \"$@\"", ed)) {
		buf_reset(&cmd);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd.p, "sh", file, (char *)NULL);
		_exit(127);
	}
	buf_reset(&cmd);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int read_back(const char *file, struct mcx_buf *b)
{
	return buf_add_file(b, file) ? -1 : 0;
}

int mcx_doc_edit(struct mcx_ctx *x, const char *path)
{
	struct resp r;
	struct mcx_buf url, edited;
	char pw[256] = "", file[] = "/tmp/mcx-edit-XXXXXX.xml", why[400], etag[128];
	int fd = -1, rc = 1;

	if (!x->server) {
		fprintf(stderr, "mcx doc edit: works on a running mcxd: give --server URL "
				"(and --user/--password)\n");
		return 2;
	}
	if (x->user && mcx_read_password(x->password, pw, sizeof(pw))) {
		fprintf(stderr, "mcx doc edit: no password for %s\n", x->user);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	buf_init(&r.body, 64u << 20);
	buf_init(&url, 64 * 1024);
	buf_init(&edited, 64u << 20);
	if (buf_addf(&url, "%s/%s", x->server, path[0] == '/' ? path + 1 : path) ||
	    request(x, "GET", url.p, pw, NULL, NULL, &r))
		goto out;
	if (r.status != 200) {
		fprintf(stderr, "mcx doc edit: GET %s: %ld\n", path, r.status);
		goto out;
	}
	snprintf(etag, sizeof(etag), "%s", r.etag);
	fd = mkstemps(file, 4);
	if (fd < 0 || write(fd, r.body.p ? r.body.p : "", r.body.len) != (ssize_t)r.body.len ||
	    close(fd)) {
		fprintf(stderr, "mcx doc edit: cannot write %s\n", file);
		goto out;
	}
	if (run_editor(file)) {
		fprintf(stderr, "mcx doc edit: the editor failed; nothing written (copy: %s)\n",
			file);
		goto out;
	}
	if (read_back(file, &edited)) {
		fprintf(stderr, "mcx doc edit: cannot read %s back\n", file);
		goto out;
	}
	if (edited.len == r.body.len && !memcmp(edited.p ? edited.p : "", r.body.p ? r.body.p : "",
					     edited.len)) {
		fprintf(stderr, "mcx doc edit: no change; nothing written\n");
		unlink(file);
		rc = 0;
		goto out;
	}
	if (request(x, "PUT", url.p, pw, etag, &edited, &r))
		goto keep;
	if (r.status >= 200 && r.status < 300) {
		fprintf(stderr, "mcx doc edit: %ld: saved, ETag \"%s\" (was \"%s\")\n", r.status,
			r.etag, etag);
		unlink(file);
		rc = 0;
		goto out;
	}
	if (r.status == 412)
		fprintf(stderr, "mcx doc edit: 412: someone changed %s since you opened it "
				"(it was \"%s\"); nothing written\n", path, etag);
	else if (r.status == 409) {
		xcap_error_words(&r.body, why, sizeof(why));
		fprintf(stderr, "mcx doc edit: 409: the server refused the document: %s\n", why);
	} else {
		fprintf(stderr, "mcx doc edit: PUT %s: %ld %.300s\n", path, r.status,
			r.body.p ? r.body.p : "");
	}
keep:
	fprintf(stderr, "mcx doc edit: your edit is kept in %s\n", file);
out:
	memset(pw, 0, sizeof(pw));
	buf_reset(&r.body);
	buf_reset(&url);
	buf_reset(&edited);
	return rc;
}
