/* Helpers shared by the MCPTT usages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xcap/usages/common.h"
#include "core/mem.h"

const char *ix_attr(const struct xmldoc *d, uint32_t el, const char *local, char *buf, size_t len)
{
	const struct xel *x;
	uint32_t a;

	if (el == XEL_NONE || el >= d->nels)
		return NULL;
	x = &d->els[el];
	for (a = x->attr0; a < x->attr0 + x->nattr; a++) {
		const struct xattr *at = &d->attrs[a];

		if (!at->nsdecl && !at->prefix.l && pl_eqs(at->local, local))
			return xml_unescape(at->raw, buf, len, NULL) ? buf : NULL;
	}
	return NULL;
}

uint32_t ix_child(const struct xmldoc *d, uint32_t el, const char *local)
{
	uint32_t c;

	if (el == XEL_NONE || el >= d->nels)
		return XEL_NONE;
	for (c = d->els[el].first_child; c != XEL_NONE; c = d->els[c].next)
		if (pl_eqs(d->els[c].local, local))
			return c;
	return XEL_NONE;
}

const char *ix_text(const struct xmldoc *d, uint32_t el, char *buf, size_t len)
{
	const struct xel *x;
	struct pl raw;

	if (el == XEL_NONE || el >= d->nels)
		return NULL;
	x = &d->els[el];
	if (x->first_child != XEL_NONE)
		return NULL;
	raw = pl_trim(pl_make(d->buf + x->stag_end, x->etag_start - x->stag_end));
	return xml_unescape(raw, buf, len, NULL) ? buf : NULL;
}

struct each_ctx {
	const struct xcap_env *env;
	const char *skip;
	ix_each_h *cb;
	void *arg;
	int rc;
};

static int each_one(const char *path, void *arg)
{
	struct each_ctx *e = arg;
	struct xmldoc *d = NULL;
	const char *bytes;
	size_t len = 0;
	void *handle = NULL;

	if (e->skip && !strcmp(path, e->skip))
		return 0;
	bytes = e->env->get(e->env, path, &len, &handle);
	if (bytes && !xmldoc_index(&d, bytes, len, NULL, NULL, 0)) {
		e->rc = e->cb(path, d, e->arg);
		xmldoc_free(d);
	}
	e->env->release(e->env, handle);
	return e->rc;
}

int ix_each(const struct xcap_env *env, const char *prefix, const char *skip_path,
	    ix_each_h *cb, void *arg)
{
	struct each_ctx e = { env, skip_path, cb, arg, 0 };

	if (env->list(env, prefix, each_one, &e) < 0)
		return -1;
	return e.rc;
}

bool dom_is(xmlNodePtr n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, local);
}

xmlNodePtr dom_child(xmlNodePtr n, const char *local)
{
	xmlNodePtr c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (dom_is(c, local))
			return c;
	return NULL;
}

static void elem_path(xmlNodePtr n, char *out, size_t len)
{
	const char *names[32];
	int k = 0, i;
	size_t o = 0;

	for (; n && n->type == XML_ELEMENT_NODE && k < 32; n = n->parent)
		names[k++] = (const char *)n->name;
	out[0] = '\0';
	for (i = k - 1; i >= 0 && o < len; i--)
		o += (size_t)snprintf(out + o, len - o, "%s%s", names[i], i ? "/" : "");
}

static int index_siblings(xmlNodePtr parent, struct xcap_status *st)
{
	xmlNodePtr a, b;

	for (a = parent->children; a; a = a->next) {
		xmlChar *va;

		if (a->type != XML_ELEMENT_NODE || !(va = xmlGetNoNsProp(a, (const xmlChar *)"index")))
			continue;
		for (b = a->next; b; b = b->next) {
			xmlChar *vb;
			bool same;

			if (b->type != XML_ELEMENT_NODE || strcmp((const char *)a->name, (const char *)b->name) ||
			    !(vb = xmlGetNoNsProp(b, (const xmlChar *)"index")))
				continue;
			same = !strcmp((const char *)va, (const char *)vb);
			xmlFree(vb);
			if (same) {
				char path[400];

				elem_path(b, path, sizeof(path));
				xs_set(st, 409, XE_UNIQUENESS, "two <%s> siblings have index \"%.40s\"",
				       (const char *)a->name, (const char *)va);
				snprintf(st->field, sizeof(st->field), "%s/@index", path);
				xmlFree(va);
				return 409;
			}
		}
		xmlFree(va);
	}
	return 0;
}

int check_index_unique(xmlNodePtr n, struct xcap_status *st)
{
	xmlNodePtr c;
	int rc = index_siblings(n, st);

	for (c = n->children; c && !rc; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			rc = check_index_unique(c, st);
	return rc;
}

int check_xui_uri(xmlNodePtr root, const struct xcap_uri *uri, bool required,
		  struct xcap_status *st)
{
	xmlChar *v = xmlGetNoNsProp(root, (const xmlChar *)"XUI-URI");
	int rc = 0;

	if (!v) {
		if (required && !uri->global)
			rc = xs_set(st, 409, XE_CONSTRAINT, "XUI-URI is required and must be %s", uri->xui);
		return rc;
	}
	if (uri->global)
		rc = 0;
	else if (strcmp((const char *)v, uri->xui))
		rc = xs_set(st, 409, XE_CONSTRAINT,
			    "XUI-URI \"%.80s\" does not agree with the directory %.80s", v, uri->xui);
	xmlFree(v);
	return rc;
}

static bool negative_duration(const char *t)
{
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	return t[0] == '-' && t[1] == 'P';
}

int check_durations(xmlNodePtr n, struct xcap_status *st)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && c->content && negative_duration((const char *)c->content))
			return xs_set(st, 409, XE_CONSTRAINT, "<%s> is a negative duration",
				      (const char *)n->name);
		if (c->type == XML_ELEMENT_NODE && check_durations(c, st))
			return 409;
	}
	return 0;
}

static int domain_is(const struct xmldoc *d, const char *org, struct xcap_status *st)
{
	char v[256];

	if (!d)
		return 0;
	if (!ix_attr(d, 0, "domain", v, sizeof(v)) || strcasecmp(v, org))
		return xs_set(st, 403, XE_NONE, "this UE document belongs to another organisation");
	return 0;
}

int cond_domain(const struct xcap_env *env, const struct xmldoc *cur,
		const struct xmldoc *next, struct xcap_status *st)
{
	if (!env->org)
		return 0;
	if (domain_is(cur, env->org, st) || domain_is(next, env->org, st))
		return 403;
	return 0;
}

const char *ue_id_of(const char *xui)
{
	return !strncmp(xui, "sip:", 4) ? xui + 4 : xui;
}

static long num_child(xmlNodePtr n, const char *local)
{
	xmlNodePtr c = dom_child(n, local);
	xmlChar *t;
	long v;

	if (!c || !(t = xmlNodeGetContent(c)))
		return -1;
	v = strtol((const char *)t, NULL, 10);
	xmlFree(t);
	return v;
}

int check_snr_ranges(xmlNodePtr n, struct xcap_status *st)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (dom_is(c, "SNR-range")) {
			long lo = num_child(c, "Low-SNR"), hi = num_child(c, "High-SNR");

			if (lo >= 0 && hi >= 0 && lo > hi)
				return xs_set(st, 409, XE_CONSTRAINT,
					      "SNR-range: Low-SNR %ld is above High-SNR %ld", lo, hi);
		} else if (check_snr_ranges(c, st)) {
			return 409;
		}
	}
	return 0;
}
