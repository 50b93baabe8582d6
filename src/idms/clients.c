/* Registered OAuth clients (public native apps, RFC 8252): from the configuration and the store, with redirect URI matching. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "idms"
#include "core/log.h"
#include "core/mem.h"
#include "core/pl.h"
#include "idms/idms_int.h"
#include "core/banned.h"

bool client_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	size_t k;

	if (!n || n > IDMS_CLIENT_ID_MAX)
		return false;
	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)id[k];

		if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';' || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static bool scheme_len(const char *uri, size_t *n)
{
	size_t k = 0;

	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return false;
	while (uri[k] && uri[k] != ':') {
		char c = uri[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return false;
		k++;
	}
	*n = k;
	return uri[k] == ':';
}

/* For "http://127.0.0.1[:port]rest" and "http://[::1][:port]rest": the
 * length of "http://host" in *host and the rest (path and query) in *rest. */
static bool loopback_split(const char *uri, size_t *host, const char **rest)
{
	static const char *const hosts[] = { "http://127.0.0.1", "http://[::1]" };
	size_t k, n, d;

	for (k = 0; k < sizeof(hosts) / sizeof(hosts[0]); k++) {
		n = strlen(hosts[k]);
		if (strncmp(uri, hosts[k], n))
			continue;
		d = 0;
		if (uri[n] == ':')
			for (d = 1; uri[n + d] >= '0' && uri[n + d] <= '9' && d <= 6; d++)
				;
		if (d == 1 || d > 6 || (uri[n + d] && uri[n + d] != '/' && uri[n + d] != '?'))
			return false;
		*host = n;
		*rest = uri + n + d;
		return true;
	}
	return false;
}

bool redirect_uri_valid(const char *uri)
{
	size_t n = uri ? strlen(uri) : 0, k, sl = 0;
	const char *rest;

	if (!n || n > IDMS_URI_MAX || !scheme_len(uri, &sl) || !uri[sl + 1])
		return false;
	for (k = 0; k < n; k++)
		if ((unsigned char)uri[k] <= 0x20 || uri[k] == 0x7f || uri[k] == '#' ||
		    uri[k] == '"' || uri[k] == '<' || uri[k] == '>' || uri[k] == '\\')
			return false;
	/* plain http only to the loopback interface (RFC 8252 §7.3, §8.3) */
	if (sl == 4 && !strncasecmp(uri, "http", 4))
		return loopback_split(uri, &k, &rest);
	if (sl == 5 && !strncasecmp(uri, "https", 5))
		return !strncmp(uri + 5, "://", 3) && uri[8] && uri[8] != '/';
	return true;
}

bool client_redirect_ok(const struct idms_client *c, const char *uri)
{
	size_t k, h1, h2;
	const char *r1, *r2;

	if (!uri)
		return false;
	for (k = 0; k < c->nuris; k++) {
		if (!strcmp(c->uris[k], uri))
			return true;
		if (loopback_split(c->uris[k], &h1, &r1) && loopback_split(uri, &h2, &r2) &&
		    h1 == h2 && !strncmp(uri, c->uris[k], h1) && !strcmp(r1, r2))
			return true;
	}
	return false;
}

void client_free(struct idms_client *c)
{
	size_t k;

	if (!c)
		return;
	mcx_free(c->id);
	for (k = 0; k < c->nuris; k++)
		mcx_free(c->uris[k]);
	memset(c, 0, sizeof(*c));
}

static bool is_sep(char ch, const char *seps)
{
	return ch && strchr(seps, ch);
}

/* Fill c->uris from list (URIs separated by any of seps); MCX_EINVAL for a
 * bad URI, MCX_ELIMIT for too many. */
static enum mcx_err uris_parse(struct idms_client *c, const char *list, size_t len,
			       const char *seps)
{
	size_t k = 0;

	while (k < len) {
		size_t start, n;

		while (k < len && is_sep(list[k], seps))
			k++;
		start = k;
		while (k < len && !is_sep(list[k], seps))
			k++;
		n = k - start;
		if (!n)
			break;
		if (c->nuris == IDMS_CLIENT_URIS_MAX)
			return MCX_ELIMIT;
		c->uris[c->nuris] = mcx_strndup(list + start, n);
		if (!c->uris[c->nuris])
			return MCX_ENOMEM;
		c->nuris++;
		if (!redirect_uri_valid(c->uris[c->nuris - 1]))
			return MCX_EINVAL;
	}
	return c->nuris ? MCX_OK : MCX_EINVAL;
}

/* One "id uri1,uri2" entry p[0..n). */
static enum mcx_err entry_parse(struct idms_client *c, const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && p[k] != ' ' && p[k] != '\t')
		k++;
	c->id = mcx_strndup(p, k);
	if (!c->id)
		return MCX_ENOMEM;
	if (!client_id_valid(c->id))
		return MCX_EINVAL;
	return uris_parse(c, p + k, n - k, ", \t");
}

enum mcx_err clients_parse(struct idms_clients *cs, const char *spec, char *errbuf, size_t errlen)
{
	const char *p = spec ? spec : "";
	enum mcx_err err = MCX_OK;

	memset(cs, 0, sizeof(*cs));
	cs->c = mcx_calloc(IDMS_CLIENTS_MAX, sizeof(*cs->c));
	if (!cs->c)
		return MCX_ENOMEM;
	while (!err && *p) {
		const char *semi = strchr(p, ';');
		struct pl e = pl_trim(pl_make(p, semi ? (size_t)(semi - p) : strlen(p)));

		p = semi ? semi + 1 : p + strlen(p);
		if (!e.l)
			continue;
		if (cs->n == IDMS_CLIENTS_MAX) {
			snprintf(errbuf, errlen, "clients: more than %d", IDMS_CLIENTS_MAX);
			err = MCX_ELIMIT;
			break;
		}
		err = entry_parse(&cs->c[cs->n], e.p, e.l);
		cs->n++;
		if (err && err != MCX_ENOMEM)
			snprintf(errbuf, errlen, "clients: bad entry \"%.*s\" (want \"client_id "
				 "redirect_uri[,redirect_uri...]\"; https, private-use scheme or "
				 "loopback http URIs, at most %d)", (int)(e.l > 80 ? 80 : e.l), e.p,
				 IDMS_CLIENT_URIS_MAX);
	}
	if (err == MCX_ENOMEM)
		snprintf(errbuf, errlen, "out of memory");
	if (err)
		clients_free(cs);
	return err;
}

void clients_free(struct idms_clients *cs)
{
	size_t k;

	if (!cs->c)
		return;
	for (k = 0; k < cs->n; k++)
		client_free(&cs->c[k]);
	mcx_free(cs->c);
	memset(cs, 0, sizeof(*cs));
}

static enum mcx_err client_copy(const struct idms_client *src, struct idms_client *out)
{
	size_t k;

	memset(out, 0, sizeof(*out));
	out->id = mcx_strdup(src->id);
	if (!out->id)
		return MCX_ENOMEM;
	for (k = 0; k < src->nuris; k++) {
		out->uris[k] = mcx_strdup(src->uris[k]);
		if (!out->uris[k]) {
			client_free(out);
			return MCX_ENOMEM;
		}
		out->nuris++;
	}
	return MCX_OK;
}

static enum mcx_err meta_key(const char *id, char *key, size_t keylen)
{
	int n = snprintf(key, keylen, IDMS_CLIENT_META_PREFIX "%s", id);

	return n < 0 || (size_t)n >= keylen ? MCX_EINVAL : MCX_OK;
}

enum mcx_err client_lookup(struct idms *i, const char *id, struct idms_client *out)
{
	char key[sizeof(IDMS_CLIENT_META_PREFIX) + IDMS_CLIENT_ID_MAX];
	char *val = NULL;
	size_t k, len = 0;
	enum mcx_err err;

	memset(out, 0, sizeof(*out));
	if (!client_id_valid(id))
		return MCX_ENOENT;
	for (k = 0; k < i->clients.n; k++)
		if (!strcmp(i->clients.c[k].id, id))
			return client_copy(&i->clients.c[k], out);
	err = meta_key(id, key, sizeof(key));
	if (!err)
		err = store_meta_get(i->st, key, &val, &len);
	if (err)
		return err == MCX_ENOMEM ? err : MCX_ENOENT;
	out->id = mcx_strdup(id);
	err = out->id ? uris_parse(out, val, len, "\n") : MCX_ENOMEM;
	mcx_free(val);
	if (err) {
		if (err != MCX_ENOMEM)
			log_warn("client %s: bad redirect URIs in the store", id);
		client_free(out);
		return err == MCX_ENOMEM ? err : MCX_ENOENT;
	}
	return MCX_OK;
}

enum mcx_err idms_client_add(struct mcx_store *st, const char *id, const char *uris)
{
	char key[sizeof(IDMS_CLIENT_META_PREFIX) + IDMS_CLIENT_ID_MAX];
	struct idms_client c;
	struct mcx_buf b;
	enum mcx_err err;
	size_t k;

	memset(&c, 0, sizeof(c));
	if (!st || !client_id_valid(id) || !uris)
		return MCX_EINVAL;
	err = uris_parse(&c, uris, strlen(uris), ", \t\r\n");
	buf_init(&b, IDMS_CLIENT_URIS_MAX * (IDMS_URI_MAX + 1));
	for (k = 0; !err && k < c.nuris; k++)
		err = buf_addf(&b, "%s%s", k ? "\n" : "", c.uris[k]);
	if (!err)
		err = meta_key(id, key, sizeof(key));
	if (!err)
		err = store_meta_put(st, key, b.p, b.len);
	buf_reset(&b);
	client_free(&c);
	return err;
}
