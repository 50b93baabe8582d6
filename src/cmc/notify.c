/* xcap-diff NOTIFY bodies on the client side (see notify.h). */
#include <stdio.h>
#include <string.h>

#include "cmc/notify.h"
#include "core/mem.h"
#include "core/pl.h"
#include "xcap/etag.h"
#include "xcap/xmldoc.h"
#include "core/banned.h"

static const char NS_XD[] = PATCH_NS_XCAP_DIFF;

static bool is_xd(const struct xmldoc *d, uint32_t e, const char *local)
{
	return pl_eqs(d->els[e].local, local) && !strcmp(xmldoc_ns(d, d->els[e].ns), NS_XD);
}

/* Decoded value of attribute name (no prefix) of element e into out. */
static bool attr(const struct xmldoc *d, uint32_t e, const char *name, char *out, size_t outlen)
{
	uint32_t i;
	size_t n;

	out[0] = '\0';
	for (i = d->els[e].attr0; i < d->els[e].attr0 + d->els[e].nattr; i++) {
		const struct xattr *a = &d->attrs[i];

		if (a->nsdecl || a->prefix.l || !pl_eqs(a->local, name))
			continue;
		return xml_unescape(a->raw, out, outlen, &n);
	}
	return true;
}

static char *keep(struct cmc_notify *n, const char *p, size_t l)
{
	char *s = mcx_strndup(p, l);

	if (s)
		n->strs[n->nstrs++] = s;
	return s;
}

/* The namespace bindings in scope of element e, innermost first. */
static enum mcx_err bindings(struct cmc_notify *n, uint32_t e, struct cmc_ndoc *nd)
{
	const struct xmldoc *d = n->xd;
	uint32_t k, j;

	for (k = d->els[e].nsscope; k != XEL_NONE; k = d->decls[k].next) {
		const struct xnsdecl *x = &d->decls[k];
		bool shadowed = false;
		char *pfx, *uri;

		for (j = 0; j < nd->nbinds; j++)
			if (strlen(nd->binds[j].prefix) == x->prefix.l &&
			    !memcmp(nd->binds[j].prefix, x->prefix.p, x->prefix.l))
				shadowed = true;
		if (shadowed)
			continue;
		if (nd->nbinds >= CMC_MAX_BINDS)
			return MCX_ELIMIT;
		pfx = keep(n, x->prefix.p ? x->prefix.p : "", x->prefix.l);
		uri = pfx ? keep(n, xmldoc_ns(d, x->ns), strlen(xmldoc_ns(d, x->ns))) : NULL;
		if (!uri)
			return MCX_ENOMEM;
		nd->binds[nd->nbinds].prefix = pfx;
		nd->binds[nd->nbinds].uri = uri;
		nd->nbinds++;
	}
	return MCX_OK;
}

static enum mcx_err one_doc(struct cmc_notify *n, uint32_t e, char *eb, size_t el)
{
	const struct xmldoc *d = n->xd;
	const struct xel *x = &d->els[e];
	struct cmc_ndoc *nd = &n->docs[n->ndocs];
	char sel[CMC_MAX_URL];

	if (!attr(d, e, "sel", sel, sizeof(sel)) || !sel[0] ||
	    !attr(d, e, "previous-etag", nd->prev, sizeof(nd->prev)) ||
	    !attr(d, e, "new-etag", nd->next, sizeof(nd->next))) {
		snprintf(eb, el, "a <document> without a usable sel or with an over-long etag");
		return MCX_EINVAL;
	}
	n->ndocs++;
	nd->sel = mcx_strdup(sel);
	if (!nd->sel)
		return MCX_ENOMEM;
	if (!x->empty && x->etag_start > x->stag_end) {
		nd->ops = d->buf + x->stag_end;
		nd->opslen = x->etag_start - x->stag_end;
		/* white space alone is no patch */
		if (!memchr(nd->ops, '<', nd->opslen))
			nd->opslen = 0;
	}
	return bindings(n, e, nd);
}

enum mcx_err cmc_notify_parse(struct cmc_notify **np, const char *body, size_t len, char *eb,
			      size_t el)
{
	struct xmldoc_limits lim = {CMC_MAX_XML_DEPTH, XMLDOC_DEFAULT_MAX_ELEMENTS,
				    XMLDOC_DEFAULT_MAX_ATTRS, false};
	struct cmc_notify *n;
	char root[CMC_MAX_URL];
	enum mcx_err err;
	uint32_t e, count = 0;

	if (len > CMC_MAX_NOTIFY) {
		snprintf(eb, el, "NOTIFY body larger than %u bytes", CMC_MAX_NOTIFY);
		return MCX_ELIMIT;
	}
	n = mcx_calloc(1, sizeof(*n));
	if (!n)
		return MCX_ENOMEM;
	err = xmldoc_index(&n->xd, body, len, &lim, eb, el);
	if (err)
		goto fail;
	if (!is_xd(n->xd, 0, "xcap-diff")) {
		snprintf(eb, el, "the body is not an <xcap-diff> document");
		err = MCX_EINVAL;
		goto fail;
	}
	for (e = n->xd->els[0].first_child; e != XEL_NONE; e = n->xd->els[e].next)
		count += is_xd(n->xd, e, "document");
	if (count > CMC_MAX_NOTIFY_DOCS) {
		snprintf(eb, el, "more than %u documents in one NOTIFY", CMC_MAX_NOTIFY_DOCS);
		err = MCX_ELIMIT;
		goto fail;
	}
	err = MCX_ENOMEM;
	n->docs = mcx_calloc(count + 1, sizeof(*n->docs));
	n->strs = mcx_calloc((count + 1) * CMC_MAX_BINDS * 2 + 1, sizeof(*n->strs));
	if (!attr(n->xd, 0, "xcap-root", root, sizeof(root)))
		root[0] = '\0';
	n->xcap_root = mcx_strdup(root);
	if (!n->docs || !n->strs || !n->xcap_root)
		goto fail;
	for (e = n->xd->els[0].first_child; e != XEL_NONE; e = n->xd->els[e].next) {
		if (!is_xd(n->xd, e, "document"))
			continue; /* <element>, <attribute>: not asked for */
		err = one_doc(n, e, eb, el);
		if (err)
			goto fail;
	}
	*np = n;
	return MCX_OK;
fail:
	if (err == MCX_ENOMEM)
		snprintf(eb, el, "out of memory");
	cmc_notify_free(n);
	return err;
}

void cmc_notify_free(struct cmc_notify *n)
{
	unsigned i;

	if (!n)
		return;
	for (i = 0; n->docs && i < n->ndocs; i++)
		mcx_free(n->docs[i].sel);
	for (i = 0; i < n->nstrs; i++)
		mcx_free(n->strs[i]);
	mcx_free(n->strs);
	mcx_free(n->docs);
	mcx_free(n->xcap_root);
	if (n->xd)
		xmldoc_free(n->xd);
	mcx_free(n);
}

enum cmc_action cmc_notify_decide(const struct cmc_ndoc *nd, const char *cached, size_t clen,
				  const char *cached_etag, struct mcx_buf *out, char *why,
				  size_t wl)
{
	struct patch_opts o = {0};
	struct patch_status st;
	char got[XCAP_ETAG_LEN + 1];
	size_t before = out->len;

	if (!nd->next[0]) {
		snprintf(why, wl, "deleted on the server");
		return CMC_DELETE;
	}
	if (cached_etag[0] && !strcmp(cached_etag, nd->next)) {
		snprintf(why, wl, "the cached copy is current");
		return CMC_KEEP;
	}
	if (!cached_etag[0]) {
		snprintf(why, wl, "no cached copy");
		return CMC_FETCH;
	}
	if (!nd->prev[0]) {
		snprintf(why, wl, "full state names another version than the cached one");
		return CMC_FETCH;
	}
	if (strcmp(cached_etag, nd->prev)) {
		snprintf(why, wl, "previous-etag %.40s is not the cached %.40s: a change was missed",
			 nd->prev, cached_etag);
		return CMC_FETCH;
	}
	if (!nd->opslen) {
		snprintf(why, wl, "the NOTIFY carries etags only");
		return CMC_FETCH;
	}
	o.binds = nd->binds;
	o.nbinds = nd->nbinds;
	o.max_doc = CMC_MAX_DOC;
	if (patch_apply(cached, clen, nd->ops, nd->opslen, &o, out, &st)) {
		snprintf(why, wl, "the patch does not apply: %s (op %u: %.80s)",
			 patch_error_name(st.code), (unsigned)st.op, st.detail);
		out->len = before;
		return CMC_FETCH;
	}
	xcap_etag(out->p + before, out->len - before, got);
	if (strcmp(got, nd->next)) {
		snprintf(why, wl, "the patched copy's ETag %s is not new-etag %.40s", got, nd->next);
		out->len = before;
		out->p[before] = '\0';
		return CMC_FETCH;
	}
	snprintf(why, wl, "patch applied, ETag verified");
	return CMC_PATCHED;
}
