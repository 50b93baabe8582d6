/* SUBSCRIBE bodies: access token and resource list, read with the
 * byte-offset XML index (no DTD, no entities beyond the predefined ones). */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/pl.h"
#include "sip/body.h"
#include "sip/limits.h"
#include "sip/multipart.h"
#include "xcap/xmldoc.h"
#include "http/jwt.h"

void sip_body_free(struct sip_body *b)
{
	size_t i;

	mcx_free(b->token);
	for (i = 0; i < b->nuris; i++)
		mcx_free(b->uris[i]);
	mcx_free(b->uris);
	memset(b, 0, sizeof(*b));
}

bool sip_body_type_ok(const char *p, size_t n)
{
	struct pl ctype = pl_make(p, n);

	return mime_type_is(ctype, MIME_MULTIPART) || mime_type_is(ctype, MIME_RLS);
}

static enum mcx_err fail(char *errbuf, size_t errlen, enum mcx_err err, const char *why)
{
	snprintf(errbuf, errlen, "%s", why);
	return err;
}

static bool el_is(const struct xmldoc *d, uint32_t e, const char *ns, const char *local)
{
	return pl_eqs(d->els[e].local, local) && !strcmp(xmldoc_ns(d, d->els[e].ns), ns);
}

static const struct xattr *attr_of(const struct xmldoc *d, uint32_t e, const char *local)
{
	uint32_t i;

	for (i = 0; i < d->els[e].nattr; i++) {
		const struct xattr *a = &d->attrs[d->els[e].attr0 + i];

		if (!a->nsdecl && !a->prefix.l && pl_eqs(a->local, local))
			return a;
	}
	return NULL;
}

/* A NUL-terminated unescaped copy of raw, whitespace trimmed. */
static enum mcx_err dup_text(struct pl raw, size_t max, char **out)
{
	size_t n;
	char *s;

	raw = pl_trim(raw);
	if (raw.l > max)
		return MCX_ELIMIT;
	if (raw.l > 12 && !memcmp(raw.p, "<![CDATA[", 9) && !memcmp(raw.p + raw.l - 3, "]]>", 3)) {
		s = mcx_strndup(raw.p + 9, raw.l - 12);
		*out = s;
		return s ? MCX_OK : MCX_ENOMEM;
	}
	s = mcx_malloc(raw.l + 1);
	if (!s)
		return MCX_ENOMEM;
	if (!xml_unescape(raw, s, raw.l + 1, &n)) {
		mcx_free(s);
		return MCX_EINVAL;
	}
	*out = s;
	return MCX_OK;
}

static enum mcx_err index_part(struct pl part, struct xmldoc **dp, char *errbuf, size_t errlen)
{
	struct xmldoc_limits lim = {SIP_BODY_XML_DEPTH, SIP_BODY_XML_ELEMENTS, SIP_BODY_XML_ATTRS,
				    false};
	char eb[128];

	enum mcx_err err = xmldoc_index(dp, part.p, part.l, &lim, eb, sizeof(eb));

	if (err && err != MCX_ENOMEM) {
		snprintf(errbuf, errlen, "malformed XML body: %s", eb);
		return MCX_EINVAL;
	}
	return err;
}

/* <mcpttinfo><mcptt-Params><mcptt-access-token type="Normal"><mcpttString>
 * (also the token as the element's own text, as some clients send it). */
static enum mcx_err token_of(const struct xmldoc *d, char **tok, char *errbuf, size_t errlen)
{
	const struct xattr *type;
	uint32_t e, c;
	struct pl raw;

	if (!el_is(d, 0, NS_MCPTT_INFO, "mcpttinfo"))
		return fail(errbuf, errlen, MCX_EINVAL, "the mcptt-info part is not <mcpttinfo>");
	for (e = 1; e < d->nels; e++)
		if (el_is(d, e, NS_MCPTT_INFO, "mcptt-access-token"))
			break;
	if (e == d->nels)
		return MCX_OK;
	type = attr_of(d, e, "type");
	if (type && !pl_eqs(type->raw, "Normal"))
		return fail(errbuf, errlen, MCX_EAUTH,
			    "only type=\"Normal\" access tokens are supported");
	c = d->els[e].first_child;
	if (c != XEL_NONE && !el_is(d, c, NS_MCPTT_INFO, "mcpttString"))
		return fail(errbuf, errlen, MCX_EAUTH, "the access token is not an <mcpttString>");
	if (c != XEL_NONE)
		e = c;
	if (d->els[e].first_child != XEL_NONE)
		return fail(errbuf, errlen, MCX_EINVAL, "the access token has child elements");
	raw = pl_make(d->buf + d->els[e].stag_end, d->els[e].etag_start - d->els[e].stag_end);
	switch (dup_text(raw, JWT_MAX_LEN, tok)) {
	case MCX_OK:
		return **tok ? MCX_OK
			     : fail(errbuf, errlen, MCX_EAUTH, "the access token is empty");
	case MCX_ENOMEM:
		return MCX_ENOMEM;
	default:
		return fail(errbuf, errlen, MCX_EAUTH,
			    "the access token is too long or badly escaped");
	}
}

static enum mcx_err add_uri(struct sip_body *b, const struct xattr *a, size_t max)
{
	char **v;
	enum mcx_err err;

	if (b->nuris == max)
		return MCX_ELIMIT;
	v = mcx_realloc(b->uris, (b->nuris + 1) * sizeof(*v));
	if (!v)
		return MCX_ENOMEM;
	b->uris = v;
	err = dup_text(a->raw, SIP_URI_MAX, &v[b->nuris]);
	if (!err)
		b->nuris++;
	return err;
}

/* Every <entry uri> of every <list>, in document order. */
static enum mcx_err uris_of(struct sip_body *b, const struct xmldoc *d, size_t max, char *errbuf,
			    size_t errlen)
{
	enum mcx_err err;
	uint32_t e;

	if (!el_is(d, 0, NS_RLS, "resource-lists"))
		return fail(errbuf, errlen, MCX_EINVAL,
			    "the resource list is not <resource-lists>");
	for (e = 1; e < d->nels; e++) {
		const struct xattr *a;

		if (!el_is(d, e, NS_RLS, "entry"))
			continue;
		a = attr_of(d, e, "uri");
		if (!a)
			return fail(errbuf, errlen, MCX_EINVAL,
				    "an <entry> without a uri attribute");
		err = add_uri(b, a, max);
		if (err == MCX_ELIMIT)
			return fail(errbuf, errlen, err, "too many entries in the resource list");
		if (err == MCX_EINVAL)
			return fail(errbuf, errlen, err, "a badly escaped entry uri");
		if (err)
			return err == MCX_ENOMEM
				   ? err
				   : fail(errbuf, errlen, err, "an entry uri is too long");
	}
	return b->nuris ? MCX_OK : fail(errbuf, errlen, MCX_ENOENT, "the resource list is empty");
}

/* One XML part: the token of an mcptt-info part, or the resource list. */
static enum mcx_err xml_part(struct pl part, bool token, struct sip_body *b, size_t max,
			     char *errbuf, size_t errlen)
{
	struct xmldoc *d = NULL;
	enum mcx_err err;

	err = index_part(part, &d, errbuf, errlen);
	if (err)
		return err;
	err = token ? token_of(d, &b->token, errbuf, errlen) : uris_of(b, d, max, errbuf, errlen);
	xmldoc_free(d);
	return err;
}

static enum mcx_err multipart(struct sip_body *b, struct pl ctype, struct pl body, size_t max,
			      char *errbuf, size_t errlen)
{
	struct mp_part parts[SIP_MULTIPART_MAX_PARTS];
	struct pl bnd;
	bool have_rls = false, have_info = false;
	enum mcx_err err;
	size_t n, i;

	if (!mp_boundary(ctype, &bnd))
		return fail(errbuf, errlen, MCX_EINVAL,
			    "multipart/mixed without a usable boundary");
	err = mp_split(body, bnd, parts, SIP_MULTIPART_MAX_PARTS, &n);
	if (err)
		return fail(errbuf, errlen, MCX_EINVAL,
			    err == MCX_ELIMIT ? "too many body parts" : "malformed multipart body");
	for (i = 0; i < n && !err; i++) {
		bool info = mime_type_is(parts[i].ctype, MIME_MCPTT_INFO);

		if (!info && !mime_type_is(parts[i].ctype, MIME_RLS))
			continue; /* other parts are not ours to judge */
		if (info ? have_info : have_rls)
			return fail(errbuf, errlen, MCX_EINVAL,
				    info ? "two mcptt-info parts" : "two resource lists");
		*(info ? &have_info : &have_rls) = true;
		err = xml_part(parts[i].body, info, b, max, errbuf, errlen);
	}
	if (!err && !have_rls)
		return fail(errbuf, errlen, MCX_ENOENT, "no " MIME_RLS " part");
	return err;
}

enum mcx_err sip_body_parse(struct sip_body *b, const char *ct, size_t ctlen, const char *bytes,
			    size_t len, size_t max_entries, char *errbuf, size_t errlen)
{
	struct pl ctype = pl_make(ct, ctlen), body = pl_make(bytes, len);

	memset(b, 0, sizeof(*b));
	if (!body.l)
		return fail(errbuf, errlen, MCX_ENOENT, "no body: the resource list is missing");
	if (mime_type_is(ctype, MIME_MULTIPART))
		return multipart(b, ctype, body, max_entries, errbuf, errlen);
	if (mime_type_is(ctype, MIME_RLS))
		return xml_part(body, false, b, max_entries, errbuf, errlen);
	return fail(errbuf, errlen, MCX_EINVAL,
		    "the body is neither " MIME_MULTIPART " nor " MIME_RLS);
}
