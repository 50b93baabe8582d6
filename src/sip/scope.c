/* Subscription scopes: resource-list URIs resolved through the access model. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/mem.h"
#include "http/handler.h"
#include "sip/scope.h"
#include "sip/xcapdiff.h"

struct scope_entry {
	char *sel;     /* relative to the XCAP root, as the subscriber wrote it */
	char *docpath; /* store key; a collection's ends in '/' */
	bool collection;
};

/* The subscriber, kept compact (one per subscription, many subscriptions). */
struct sip_scope {
	char *xui;
	char *scopes; /* the token's scopes; NULL when not by token */
	bool admin;
	int64_t token_exp;
	struct scope_entry *e;
	size_t n;
};

size_t scope_count(const struct sip_scope *s)
{
	return s->n;
}

const char *scope_xui(const struct sip_scope *s)
{
	return s->xui;
}

int64_t scope_token_exp(const struct sip_scope *s)
{
	return s->scopes ? s->token_exp : 0;
}

void scope_who(const struct sip_scope *s, struct sip_who *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->xui, sizeof(out->xui), "%s", s->xui);
	out->admin = s->admin;
	out->token = s->scopes != NULL;
	snprintf(out->scopes, sizeof(out->scopes), "%s", s->scopes ? s->scopes : "");
	out->token_exp = s->token_exp;
}

enum mcx_err scope_set_who(struct sip_scope *s, const struct sip_who *who)
{
	char *xui = mcx_strdup(who->xui);
	char *scopes = who->token ? mcx_strdup(who->scopes) : NULL;

	if (!xui || (who->token && !scopes)) {
		mcx_free(xui);
		mcx_free(scopes);
		return MCX_ENOMEM;
	}
	mcx_free(s->xui);
	mcx_free(s->scopes);
	s->xui = xui;
	s->scopes = scopes;
	s->admin = who->admin;
	s->token_exp = who->token_exp;
	return MCX_OK;
}

void scope_free(struct sip_scope *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		mcx_free(s->e[i].sel);
		mcx_free(s->e[i].docpath);
	}
	mcx_free(s->e);
	mcx_free(s->xui);
	mcx_free(s->scopes);
	mcx_free(s);
}

static void identity(const struct sip_scope *s, struct xcap_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->xui = s->xui;
	id->admin = s->admin;
	id->scopes = s->scopes;
}

/* The selector (relative to the XCAP root) of a resource-list URI: absolute
 * URIs lose scheme and authority, absolute paths the root, and node
 * selectors are cut (the document is what is notified). NULL when the URI
 * is not under this server's XCAP root. */
static const char *sel_of(const char *uri, const char *root, size_t *len)
{
	size_t rl = strlen(root);
	const char *p = uri, *node;

	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strchr(p + (p[4] == ':' ? 7 : 8), '/');
		if (!p)
			return NULL;
	}
	if (*p == '/') {
		if (strncmp(p, root, rl) || p[rl] != '/')
			return NULL;
		p += rl + 1;
	}
	node = strstr(p, "/~~/");
	*len = node ? (size_t)(node - p) : strlen(p);
	return *len ? p : NULL;
}

/* Ask the access model about root "/" sel; docpath gets the resolved path. */
static int check(struct sip_scope *s, struct xcap_handler *h, const char *sel, size_t len,
		 char *docpath, size_t dplen)
{
	struct xcap_identity id;
	char target[SIP_URI_MAX + 512];
	int n;

	n = snprintf(target, sizeof(target), "%s/%.*s", h->conf.root, (int)len, sel);
	if (n < 0 || (size_t)n >= sizeof(target))
		return 414;
	identity(s, &id);
	return xcap_may_read(h, &id, target, (size_t)n, docpath, dplen);
}

static bool have_path(const struct sip_scope *s, const char *docpath)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].docpath, docpath))
			return true;
	return false;
}

static enum mcx_err add(struct sip_scope *s, const char *sel, size_t len, const char *docpath)
{
	struct scope_entry *v = mcx_realloc(s->e, (s->n + 1) * sizeof(*v));

	if (!v)
		return MCX_ENOMEM;
	s->e = v;
	v += s->n;
	v->sel = mcx_strndup(sel, len);
	v->docpath = mcx_strdup(docpath);
	v->collection = docpath[0] && docpath[strlen(docpath) - 1] == '/';
	if (!v->sel || !v->docpath) {
		mcx_free(v->sel);
		mcx_free(v->docpath);
		return MCX_ENOMEM;
	}
	s->n++;
	return MCX_OK;
}

enum mcx_err scope_build(struct sip_scope **sp, struct xcap_handler *h, const struct sip_who *who,
			 char *const *uris, size_t n, unsigned *refused)
{
	struct sip_scope *s = mcx_calloc(1, sizeof(*s));
	char docpath[1024];
	enum mcx_err err = MCX_OK;
	size_t i, len;

	*refused = 0;
	if (!s)
		return MCX_ENOMEM;
	err = scope_set_who(s, who);
	for (i = 0; i < n && !err; i++) {
		const char *sel = sel_of(uris[i], h->conf.root, &len);
		int rc = sel ? check(s, h, sel, len, docpath, sizeof(docpath)) : 404;

		if (rc != 200) {
			log_debug("%s may not subscribe to %s (%d)", s->xui, uris[i], rc);
			(*refused)++;
			continue;
		}
		if (!have_path(s, docpath))
			err = add(s, sel, len, docpath);
	}
	if (!err && !s->n)
		err = MCX_ENOENT;
	if (err) {
		scope_free(s);
		return err;
	}
	*sp = s;
	return MCX_OK;
}

/* sel of the document at path inside collection entry e: the entry's
 * selector and the rest of the path, percent-encoded where a URI needs it. */
static bool inner_sel(const struct scope_entry *e, const char *path, char *sel, size_t sellen)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *r = path + strlen(e->docpath);
	size_t o = (size_t)snprintf(sel, sellen, "%s", e->sel);

	if (o >= sellen)
		return false;
	for (; *r; r++) {
		unsigned char c = (unsigned char)*r;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c);

		if (o + (plain ? 1 : 3) >= sellen)
			return false;
		if (plain) {
			sel[o++] = (char)c;
		} else {
			sel[o++] = '%';
			sel[o++] = hex[c >> 4];
			sel[o++] = hex[c & 15];
		}
	}
	sel[o] = '\0';
	return true;
}

/* May the subscriber see the document at path, named by sel, right now? */
static bool visible(struct sip_scope *s, struct xcap_handler *h, const char *sel, const char *path)
{
	char docpath[1024];

	return check(s, h, sel, strlen(sel), docpath, sizeof(docpath)) == 200 &&
	       !strcmp(docpath, path);
}

bool scope_match(struct sip_scope *s, struct xcap_handler *h, const char *path, char *sel,
		 size_t sellen)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct scope_entry *e = &s->e[i];

		if (e->collection ? strncmp(path, e->docpath, strlen(e->docpath))
				  : strcmp(path, e->docpath))
			continue;
		if (e->collection ? !inner_sel(e, path, sel, sellen)
				  : (size_t)snprintf(sel, sellen, "%s", e->sel) >= sellen)
			continue;
		if (visible(s, h, sel, path))
			return true;
	}
	return false;
}

/* Documents found under a collection, collected before they are checked. */
struct found {
	char **path;
	char **etag;
	size_t n, cap;
	enum mcx_err err;
};

static int found_one(const char *path, const char *etag, size_t len, long long mtime, void *arg)
{
	struct found *f = arg;

	(void)len;
	(void)mtime;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		char **p = mcx_realloc(f->path, cap * sizeof(*p));
		char **e = p ? mcx_realloc(f->etag, cap * sizeof(*e)) : NULL;

		if (p)
			f->path = p;
		if (e)
			f->etag = e;
		if (!p || !e) {
			f->err = MCX_ENOMEM;
			return 1;
		}
		f->cap = cap;
	}
	f->path[f->n] = mcx_strdup(path);
	f->etag[f->n] = f->path[f->n] ? mcx_strdup(etag) : NULL;
	if (!f->etag[f->n]) {
		mcx_free(f->path[f->n]);
		f->err = MCX_ENOMEM;
		return 1;
	}
	f->n++;
	return 0;
}

static void found_free(struct found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		mcx_free(f->path[i]);
		mcx_free(f->etag[i]);
	}
	mcx_free(f->path);
	mcx_free(f->etag);
}

/* Was path already written by an earlier entry (a document inside a
 * collection that is also listed by itself)? */
static bool earlier(const struct sip_scope *s, size_t upto, const char *path)
{
	size_t i;

	for (i = 0; i < upto; i++) {
		const struct scope_entry *e = &s->e[i];

		if (e->collection ? !strncmp(path, e->docpath, strlen(e->docpath))
				  : !strcmp(path, e->docpath))
			return true;
	}
	return false;
}

static enum mcx_err full_collection(struct sip_scope *s, struct xcap_handler *h, size_t i,
				    struct mcx_buf *b)
{
	struct found f;
	char sel[SIP_SEL_MAX];
	enum mcx_err err;
	size_t k;

	memset(&f, 0, sizeof(f));
	err = store_list(h->store, s->e[i].docpath, found_one, &f);
	if (!err)
		err = f.err;
	for (k = 0; k < f.n && !err; k++) {
		if (earlier(s, i, f.path[k]) || !inner_sel(&s->e[i], f.path[k], sel, sizeof(sel)) ||
		    !visible(s, h, sel, f.path[k]))
			continue;
		err = xdiff_document(b, sel, "", f.etag[k], NULL, 0);
	}
	found_free(&f);
	return err;
}

static enum mcx_err full_document(struct sip_scope *s, struct xcap_handler *h, size_t i,
				  struct mcx_buf *b)
{
	const struct scope_entry *e = &s->e[i];
	struct store_doc *d = NULL;
	enum mcx_err err;

	if (earlier(s, i, e->docpath) || !visible(s, h, e->sel, e->docpath))
		return MCX_OK;
	err = store_get(h->store, e->docpath, &d);
	if (err)
		return err == MCX_ENOENT ? MCX_OK : err;
	err = xdiff_document(b, e->sel, "", d->etag, NULL, 0);
	store_doc_deref(d);
	return err;
}

enum mcx_err scope_full_state(struct sip_scope *s, struct xcap_handler *h, struct mcx_buf *b)
{
	enum mcx_err err = MCX_OK;
	size_t i;

	for (i = 0; i < s->n && !err; i++)
		err = s->e[i].collection ? full_collection(s, h, i, b) : full_document(s, h, i, b);
	return err;
}
