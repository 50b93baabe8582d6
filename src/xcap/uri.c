/* XCAP URI parsing: root, document selector, node selector, xmlns() query. */
#include <stdio.h>
#include <string.h>

#include "xcap/uri.h"
#include "core/mem.h"

static int hexv(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

bool pct_decode(const char *src, size_t n, char *dst, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (src[i] == '%') {
			int h, l;

			if (i + 2 >= n)
				return false;
			h = hexv(src[i + 1]);
			l = hexv(src[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return false;
			dst[o++] = (char)(h << 4 | l);
			i += 2;
		} else {
			if (!src[i])
				return false;
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
	*outlen = o;
	return true;
}

void xcap_uri_free(struct xcap_uri *u)
{
	mcx_free(u->pool);
	memset(u, 0, sizeof(*u));
}

static enum xcap_uri_res badf(char *errbuf, size_t errlen, enum xcap_uri_res r,
			      const char *what)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", what);
	return r;
}

/* Index of the '?' that starts the query: the first one outside a quoted
 * attribute value of the node selector. */
static size_t query_start(const char *t, size_t n)
{
	const char *sep = memmem(t, n, "/~~/", 4);
	size_t i, from = sep ? (size_t)(sep - t) + 4 : 0;
	char q = 0;

	for (i = 0; i < n; i++) {
		char c = t[i];

		if (i >= from && q) {
			if (c == q)
				q = 0;
			continue;
		}
		if (i >= from && (c == '"' || c == '\''))
			q = c;
		else if (c == '?')
			return i;
	}
	return n;
}

/* xmlns(p=uri)xmlns(q=uri2) with '^' escaping ( ^( ^) ^^ ). The decoded
 * query q is rewritten in place: URIs and prefixes become NUL-terminated. */
static enum xcap_uri_res parse_query(struct xcap_uri *u, char *q, size_t n,
				     char *errbuf, size_t errlen)
{
	size_t i = 0;

	while (i < n) {
		size_t pb, pe, ub, o;

		while (i < n && (q[i] == ' ' || q[i] == '&'))
			i++;
		if (i >= n)
			break;
		if (n - i < 6 || memcmp(q + i, "xmlns(", 6))
			return badf(errbuf, errlen, XCAP_URI_BAD,
				    "the query may only hold xmlns(prefix=namespace) parts");
		i += 6;
		pb = i;
		while (i < n && q[i] != '=' && q[i] != ')')
			i++;
		pe = i;
		while (pe > pb && q[pe - 1] == ' ')
			pe--;
		while (pb < pe && q[pb] == ' ')
			pb++;
		if (i >= n || q[i] != '=' || pe == pb)
			return badf(errbuf, errlen, XCAP_URI_BAD, "bad xmlns() prefix");
		i++;
		while (i < n && q[i] == ' ')
			i++;
		ub = o = i;
		while (i < n && q[i] != ')') {
			if (q[i] == '^') {
				if (i + 1 >= n || !strchr("()^", q[i + 1]))
					return badf(errbuf, errlen, XCAP_URI_BAD, "bad '^' escape in xmlns()");
				i++;
			}
			q[o++] = q[i++];
		}
		if (i >= n)
			return badf(errbuf, errlen, XCAP_URI_BAD, "unterminated xmlns()");
		while (o > ub && q[o - 1] == ' ')
			o--;
		if (o == ub)
			return badf(errbuf, errlen, XCAP_URI_BAD, "empty namespace in xmlns()");
		q[o] = '\0';
		i++;
		if (u->nbinds >= XCAP_NSBIND_MAX)
			return badf(errbuf, errlen, XCAP_URI_BAD, "too many xmlns() bindings");
		u->binds[u->nbinds].prefix = pl_make(q + pb, pe - pb);
		u->binds[u->nbinds].uri = q + ub;
		u->nbinds++;
	}
	return XCAP_URI_OK;
}

/* Copy decoded segment into the pool, rejecting '/' and NUL in it. */
static char *seg_dup(char **pool, const char *s, size_t n, bool *ok)
{
	char *d = *pool;
	size_t l;

	*ok = pct_decode(s, n, d, &l) && !memchr(d, '/', l);
	*pool += l + 1;
	return d;
}

/* Append s at w (no NUL); the pool is sized for it. */
static char *cat(char *w, const char *s)
{
	size_t l = strlen(s);

	memmove(w, s, l);
	return w + l;
}

enum xcap_uri_res xcap_uri_parse(struct xcap_uri *u, const char *target, size_t len,
				 const char *root, size_t max_len,
				 char *errbuf, size_t errlen)
{
	size_t rl = strlen(root), qs, i, ds_end;
	const char *sep, *p, *e;
	char *pool, *w, *dn;
	bool ok;
	enum xcap_uri_res r;

	memset(u, 0, sizeof(*u));
	if (len > max_len)
		return badf(errbuf, errlen, XCAP_URI_BAD, "request target too long");
	for (i = 0; i < len; i++)
		if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f)
			return badf(errbuf, errlen, XCAP_URI_BAD, "control character in request target");
	if (len < rl + 1 || memcmp(target, root, rl) || target[rl] != '/')
		return badf(errbuf, errlen, XCAP_URI_NOT_ROOT, "not under the XCAP root");
	qs = query_start(target, len);
	sep = memmem(target, qs, "/~~/", 4);
	ds_end = sep ? (size_t)(sep - target) : qs;
	if (ds_end <= rl) /* "/~~/" right after the root: no document selector */
		return badf(errbuf, errlen, XCAP_URI_NOT_FOUND, "no application usage and tree");
	/* pool: decoded copies never exceed the source; a few NULs and the
	 * docpath (auid + tree + name) need at most 2*len + 16 more bytes. */
	pool = mcx_malloc(4 * len + 64);
	if (!pool)
		return badf(errbuf, errlen, XCAP_URI_BAD, "out of memory");
	u->pool = w = pool;
	p = target + rl + 1;
	e = target + ds_end;
	/* AUID */
	{
		const char *s = memchr(p, '/', (size_t)(e - p));

		if (!s || s == p) {
			r = badf(errbuf, errlen, XCAP_URI_NOT_FOUND, "no application usage and tree");
			goto fail;
		}
		u->auid = seg_dup(&w, p, (size_t)(s - p), &ok);
		if (!ok) {
			r = badf(errbuf, errlen, XCAP_URI_BAD, "bad percent-encoding in the AUID");
			goto fail;
		}
		p = s + 1;
	}
	/* tree */
	if ((size_t)(e - p) >= 6 && !memcmp(p, "global", 6) && (p + 6 == e || p[6] == '/')) {
		u->global = true;
		p += 6;
	} else if ((size_t)(e - p) >= 5 && !memcmp(p, "users", 5) && (p + 5 == e || p[5] == '/')) {
		const char *s;

		p += 5;
		if (p == e || p + 1 == e) {
			r = badf(errbuf, errlen, XCAP_URI_NOT_FOUND, "no XUI after users/");
			goto fail;
		}
		p++;
		s = memchr(p, '/', (size_t)(e - p));
		if (!s)
			s = e;
		u->xui = seg_dup(&w, p, (size_t)(s - p), &ok);
		if (!ok || !*u->xui) {
			r = badf(errbuf, errlen, XCAP_URI_BAD, "bad XUI in users tree");
			goto fail;
		}
		p = s;
	} else {
		r = badf(errbuf, errlen, XCAP_URI_NOT_FOUND, "the tree must be global or users");
		goto fail;
	}
	/* document path: p is at '/' or e */
	dn = w;
	if (p == e || p + 1 == e) {
		u->collection = true;
		*w++ = '\0';
	} else {
		p++;
		while (p < e) {
			const char *s = memchr(p, '/', (size_t)(e - p));
			size_t l;

			if (!s)
				s = e;
			if (s == p) { /* "//": a trailing '/' ends the loop below */
				r = badf(errbuf, errlen, XCAP_URI_BAD, "empty path segment");
				goto fail;
			}
			if (!pct_decode(p, (size_t)(s - p), w, &l) || memchr(w, '/', l) ||
			    (l == 1 && w[0] == '.') || (l == 2 && !memcmp(w, "..", 2))) {
				r = badf(errbuf, errlen, XCAP_URI_BAD, "bad document path segment");
				goto fail;
			}
			w += l;
			if (s < e && s + 1 < e)
				*w++ = '/';
			else if (s + 1 == e)
				u->collection = true;
			p = s + 1;
		}
		*w++ = '\0';
	}
	u->docname = dn;
	if (u->collection && sep) {
		r = badf(errbuf, errlen, XCAP_URI_BAD, "a node selector needs a document");
		goto fail;
	}
	/* canonical path */
	u->docpath = w;
	w = cat(w, u->auid);
	w = cat(w, u->global ? "/global" : "/users/");
	if (u->xui)
		w = cat(w, u->xui);
	if (*dn) {
		w = cat(w, "/");
		w = cat(w, dn);
	}
	if (u->collection)
		w = cat(w, "/");
	*w++ = '\0';
	/* node selector */
	if (sep) {
		size_t l;

		if (!pct_decode(sep + 4, qs - ds_end - 4, w, &l) || !l) {
			r = badf(errbuf, errlen, XCAP_URI_BAD, "bad node selector encoding");
			goto fail;
		}
		u->node = w;
		u->node_len = l;
		w += l + 1;
	}
	/* query */
	if (qs < len) {
		size_t l;

		if (!pct_decode(target + qs + 1, len - qs - 1, w, &l)) {
			r = badf(errbuf, errlen, XCAP_URI_BAD, "bad query encoding");
			goto fail;
		}
		r = parse_query(u, w, l, errbuf, errlen);
		if (r != XCAP_URI_OK)
			goto fail;
	}
	return XCAP_URI_OK;
fail:
	xcap_uri_free(u);
	return r;
}
