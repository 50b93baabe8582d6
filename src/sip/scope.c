/* Subscription scopes: resource-list URIs resolved through the access model. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/mem.h"
#include "core/crypto.h"
#include "http/handler.h"
#include "xcap/uri.h"
#include "sip/scope.h"
#include "sip/xcapdiff.h"

/* Namespace declarations looked at when an element leaves its document. */
#define SCOPE_NS_MAX 64

struct scope_entry {
	char *sel;     /* relative to the XCAP root, as the subscriber wrote it
			  (a node's with its node selector and xmlns() query) */
	char *docpath; /* store key; a collection's ends in '/' */
	bool collection;
	bool node;  /* an element or attribute (RFC 5875 §4.4, §4.5) */
	bool dirty; /* node: changed since it was last notified */
	bool known; /* node: hash is what was last notified */
	char hash[33];
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
 * URIs lose scheme and authority, absolute paths the root. A node selector
 * (with its xmlns() query) stays: the element or attribute is what is
 * notified then. NULL when the URI is not under this server's XCAP root. */
static const char *sel_of(const char *uri, const char *root, size_t *len)
{
	size_t rl = strlen(root);
	const char *p = uri;

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
	*len = strlen(p);
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

/* Is the entry (document docpath, or node sel) listed already? */
static bool have(const struct sip_scope *s, const char *sel, size_t len, const char *docpath,
		 bool node)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct scope_entry *e = &s->e[i];

		if (e->node != node)
			continue;
		if (node ? strlen(e->sel) == len && !memcmp(e->sel, sel, len)
			 : !strcmp(e->docpath, docpath))
			return true;
	}
	return false;
}

static enum mcx_err add(struct sip_scope *s, const char *sel, size_t len, const char *docpath,
			bool node)
{
	struct scope_entry *v = mcx_realloc(s->e, (s->n + 1) * sizeof(*v));

	if (!v)
		return MCX_ENOMEM;
	s->e = v;
	v += s->n;
	v->sel = mcx_strndup(sel, len);
	v->docpath = mcx_strdup(docpath);
	v->collection = !node && docpath[0] && docpath[strlen(docpath) - 1] == '/';
	v->node = node;
	v->dirty = v->known = false;
	v->hash[0] = '\0';
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
		const char *nsel = sel ? strstr(sel, "/~~/") : NULL;
		/* namespace bindings (namespace::*) are not a node one can watch */
		int rc = !sel || (nsel && strstr(nsel, "namespace::"))
				 ? 404
				 : check(s, h, sel, len, docpath, sizeof(docpath));

		if (rc != 200 || (nsel && docpath[strlen(docpath) - 1] == '/')) {
			log_debug("%s may not subscribe to %s (%d)", s->xui, uris[i], rc);
			(*refused)++;
			continue;
		}
		if (!have(s, sel, len, docpath, nsel != NULL))
			err = add(s, sel, len, docpath, nsel != NULL);
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

		if (e->node || (e->collection ? strncmp(path, e->docpath, strlen(e->docpath))
					      : strcmp(path, e->docpath)))
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

		if (e->node)
			continue;
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
		if (!s->e[i].node)
			err = s->e[i].collection ? full_collection(s, h, i, b)
						 : full_document(s, h, i, b);
	return err ? err : scope_nodes(s, h, b, true);
}

/* ---- element and attribute subscriptions ---- */

/* Writes into out the element at p[0..len) (a view into d's bytes) with a
 * declaration for every namespace prefix in scope there that it does not
 * declare itself, and xmlns="" when no default namespace is in scope: moved
 * into an xcap-diff <element>, it then means what it meant in d. */
static enum mcx_err element_in_context(struct store_doc *d, const char *p, size_t len,
				       struct mcx_buf *out)
{
	const struct xmldoc *ix = store_doc_aux(d, NULL, NULL);
	struct pl seen[SCOPE_NS_MAX];
	uint32_t i, a, k, nseen = 0, at;
	const struct xel *el = NULL;
	enum mcx_err err;
	bool dflt = false;

	for (i = 0; ix && i < ix->nels && !el; i++)
		if (ix->buf + ix->els[i].start == p)
			el = &ix->els[i];
	if (!el) /* not indexed (cannot happen after a GET): as it is */
		return buf_add(out, p, len);
	for (a = el->attr0; a < el->attr0 + el->nattr && nseen < SCOPE_NS_MAX; a++) {
		const struct xattr *x = &ix->attrs[a];

		if (x->nsdecl)
			seen[nseen++] = x->prefix.l ? x->local : pl_make(x->qname.p, 0);
	}
	at = el->start + 1 + (uint32_t)el->qname.l;
	err = buf_add(out, p, at - el->start);
	k = el->parent != XEL_NONE ? ix->els[el->parent].nsscope : XEL_NONE;
	for (; k != XEL_NONE && !err; k = ix->decls[k].next) {
		const struct xnsdecl *nd = &ix->decls[k];

		for (i = 0; i < nseen && !pl_eq(seen[i], nd->prefix); i++)
			;
		if (i < nseen)
			continue;
		if (nseen == SCOPE_NS_MAX)
			return MCX_ELIMIT;
		seen[nseen++] = nd->prefix;
		err = buf_addf(out, " xmlns%s%.*s=\"", nd->prefix.l ? ":" : "", (int)nd->prefix.l,
			       nd->prefix.p);
		if (!err) {
			const char *uri = xmldoc_ns(ix, nd->ns);

			err = buf_add_xml(out, uri, strlen(uri));
		}
		if (!err)
			err = buf_adds(out, "\"");
	}
	for (i = 0; i < nseen; i++)
		dflt = dflt || !seen[i].l;
	if (!err && !dflt)
		err = buf_adds(out, " xmlns=\"\"");
	if (!err)
		err = buf_add(out, ix->buf + at, el->end - at);
	return err;
}

/* The node of e as a GET by the subscriber would get it now: 200 with its
 * content in out (*attr: it is an attribute), 404 when it does not exist,
 * else a status that keeps it from the subscriber. */
static int node_now(struct sip_scope *s, struct xcap_handler *h, const struct scope_entry *e,
		    struct mcx_buf *out)
{
	char target[SIP_URI_MAX + 512];
	struct xcap_request rq;
	struct xcap_response rs;
	const char *body;
	size_t len;
	int n, rc;

	n = snprintf(target, sizeof(target), "%s/%s", h->conf.root, e->sel);
	if (n < 0 || (size_t)n >= sizeof(target))
		return 414;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.target = target;
	rq.target_len = (size_t)n;
	identity(s, &rq.who);
	xcap_response_init(&rs);
	xcap_handle(h, &rq, &rs);
	rc = rs.status;
	if (rc == 200) {
		bool attr = rs.content_type && !strcmp(rs.content_type, "application/xcap-att+xml");

		body = xcap_response_body(&rs, &len);
		if (attr || !rs.doc || body < rs.doc->bytes || body >= rs.doc->bytes + rs.doc->len)
			rc = buf_add(out, body, len) ? 500 : 200;
		else
			rc = element_in_context(rs.doc, body, len, out) ? 500 : 200;
	}
	xcap_response_free(&rs);
	return rc;
}

/* Does sel (a node URI) select an attribute: is its last step "@name"? */
static bool is_attr(const char *sel)
{
	const char *q = strchr(sel, '?');
	size_t n = q ? (size_t)(q - sel) : strlen(sel);
	const char *p = n ? memrchr(sel, '/', n) : NULL;

	return p && p[1] == '@';
}

/* The xmlns declarations of the prefixes bound by sel's xmlns() query. */
static enum mcx_err sel_binds(struct xcap_handler *h, const char *sel, struct mcx_buf *b)
{
	char target[SIP_URI_MAX + 512], eb[128];
	struct xcap_uri uri;
	enum mcx_err err = MCX_OK;
	unsigned i;
	int n;

	n = snprintf(target, sizeof(target), "%s/%s", h->conf.root, sel);
	if (n < 0 || (size_t)n >= sizeof(target) ||
	    xcap_uri_parse(&uri, target, (size_t)n, h->conf.root, h->conf.max_uri, eb,
			   sizeof(eb)) != XCAP_URI_OK)
		return MCX_OK; /* checked at subscription: cannot happen */
	for (i = 0; i < uri.nbinds && !err; i++) {
		err = buf_addf(b, " xmlns:%.*s=\"", (int)uri.binds[i].prefix.l,
			       uri.binds[i].prefix.p);
		if (!err)
			err = buf_add_xml(b, uri.binds[i].uri, strlen(uri.binds[i].uri));
		if (!err)
			err = buf_adds(b, "\"");
	}
	xcap_uri_free(&uri);
	return err;
}

/* Content of a node now and its hash; false when the subscriber may not
 * see it now (nothing is said about it then). */
static bool node_state(struct sip_scope *s, struct xcap_handler *h, struct scope_entry *e,
		       struct mcx_buf *content, bool *exists, char hash[33])
{
	int rc = node_now(s, h, e, content);

	if (rc != 200 && rc != 404)
		return false;
	*exists = rc == 200;
	if (!*exists)
		buf_reset(content);
	crypto_hash_hex(MCX_HASH_MD5, content->p ? content->p : "", content->len, hash);
	hash[0] = *exists ? hash[0] : '-'; /* gone differs from empty */
	return true;
}

bool scope_node_changed(struct sip_scope *s, struct xcap_handler *h, const char *path)
{
	struct mcx_buf content;
	bool any = false, exists;
	char hash[33];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct scope_entry *e = &s->e[i];

		if (!e->node || e->dirty || strcmp(e->docpath, path))
			continue;
		buf_init(&content, SIP_NOTIFY_BODY_MAX);
		if (node_state(s, h, e, &content, &exists, hash) &&
		    (!e->known || strcmp(hash, e->hash)))
			any = e->dirty = true;
		buf_reset(&content);
	}
	return any;
}

enum mcx_err scope_nodes(struct sip_scope *s, struct xcap_handler *h, struct mcx_buf *b, bool all)
{
	struct mcx_buf content, binds;
	enum mcx_err err = MCX_OK;
	bool exists;
	char hash[33];
	size_t i;

	for (i = 0; i < s->n && !err; i++) {
		struct scope_entry *e = &s->e[i];
		const char *q;

		if (!e->node || !(all || e->dirty))
			continue;
		e->dirty = false;
		buf_init(&content, SIP_NOTIFY_BODY_MAX);
		buf_init(&binds, SIP_NOTIFY_BODY_MAX);
		if (node_state(s, h, e, &content, &exists, hash) &&
		    (exists || all || e->known)) {
			q = strchr(e->sel, '?');
			err = sel_binds(h, e->sel, &binds);
			if (!err)
				err = xdiff_node(b, is_attr(e->sel), e->sel, q ? (size_t)(q - e->sel) : strlen(e->sel),
						 binds.p ? binds.p : "", exists, content.p, content.len);
			if (!err) {
				memcpy(e->hash, hash, sizeof(e->hash));
				e->known = true;
			}
		}
		buf_reset(&content);
		buf_reset(&binds);
	}
	return err;
}
