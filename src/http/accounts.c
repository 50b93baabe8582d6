/* Accounts from XUI + password, and the demo organisation. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "accounts"
#include "core/log.h"
#include "core/mem.h"
#include "http/accounts.h"
#include "http/digest.h"
#include "xcap/usage.h"
#include "idms/idms.h"

static enum mcx_err ha1(enum mcx_hash alg, const char *user, const char *realm,
			const char *password, char *out, size_t outlen)
{
	char hex[DIGEST_HEX_MAX];
	enum mcx_err err;

	err = digest_ha1_hex(alg, pl_str(user), pl_str(realm), pl_str(password), hex);
	if (!err)
		snprintf(out, outlen, "%s", hex);
	return err;
}

enum mcx_err account_make(struct store_user *u, const char *xui, const char *password,
			  unsigned roles, const char *default_domain)
{
	const char *rest, *at;
	char full[512];
	enum mcx_err err;

	memset(u, 0, sizeof(*u));
	if (!strncmp(xui, "sip:", 4))
		rest = xui + 4;
	else if (!strncmp(xui, "sips:", 5))
		rest = xui + 5;
	else if (!strncmp(xui, "tel:", 4))
		rest = xui + 4;
	else
		return MCX_EINVAL;
	at = strchr(rest, '@');
	if (!*rest || strchr(rest, '/') || strchr(rest, ' ') || (at && (!at[1] || at == rest)))
		return MCX_EINVAL;
	u->xui = mcx_strdup(xui);
	u->name = at ? mcx_strndup(rest, (size_t)(at - rest)) : mcx_strdup(rest);
	u->domain = mcx_strdup(at ? at + 1 : default_domain);
	if (!u->xui || !u->name || !u->domain) {
		err = MCX_ENOMEM;
		goto fail;
	}
	u->roles = roles;
	u->created = (long long)time(NULL);
	snprintf(full, sizeof(full), "%s@%s", u->name, u->domain);
	err = ha1(MCX_HASH_MD5, full, u->domain, password, u->ha1_md5_full, sizeof(u->ha1_md5_full));
	if (!err)
		err = ha1(MCX_HASH_MD5, u->name, u->domain, password, u->ha1_md5_short,
			  sizeof(u->ha1_md5_short));
	if (!err)
		err = ha1(MCX_HASH_SHA256, full, u->domain, password, u->ha1_sha256_full,
			  sizeof(u->ha1_sha256_full));
	if (!err)
		err = ha1(MCX_HASH_SHA256, u->name, u->domain, password, u->ha1_sha256_short,
			  sizeof(u->ha1_sha256_short));
	if (err)
		goto fail;
	return MCX_OK;
fail:
	mcx_free(u->xui);
	mcx_free(u->name);
	mcx_free(u->domain);
	memset(u, 0, sizeof(*u));
	return err;
}

const struct demo_user demo_users[] = {
	{ "sip:admin@example.org", "admin-demo", STORE_ROLE_ADMIN },
	{ "sip:alice@example.org", "alice-demo", 0 },
	{ "sip:bob@example.org", "bob-demo", 0 },
	{ "sip:carol@example.org", "carol-demo", 0 },
	{ "sip:dave@example.org", "dave-demo", 0 },
	{ "sip:erin@example.org", "erin-demo", 0 },
	/* a second organisation, to show that tenants don't see each other */
	{ "sip:admin@rescue.example", "rescue-admin-demo", STORE_ROLE_ADMIN },
	{ "sip:zoe@rescue.example", "zoe-demo", 0 },
	{ NULL, NULL, 0 }
};

static enum mcx_err seed_users(struct xcap_handler *h, char *errbuf, size_t errlen)
{
	enum mcx_err err;
	int i;

	for (i = 0; demo_users[i].xui; i++) {
		struct store_user u, *have = NULL;

		if (!store_user_get(h->store, demo_users[i].xui, &have)) {
			store_user_free(have);
			continue;
		}
		err = account_make(&u, demo_users[i].xui, demo_users[i].password,
				   demo_users[i].roles, "example.org");
		if (err)
			return err;
		err = store_user_put(h->store, &u);
		if (!err)   /* the same password logs in at the identity management server */
			err = idms_password_set(h->store, demo_users[i].xui, demo_users[i].password);
		mcx_free(u.xui);
		mcx_free(u.name);
		mcx_free(u.domain);
		if (err) {
			snprintf(errbuf, errlen, "cannot add demo user %s: %s", demo_users[i].xui,
				 mcx_strerror(err));
			return err;
		}
	}
	return MCX_OK;
}

/* PUT one demo document (If-None-Match: * keeps what is there). */
static enum mcx_err seed_doc(struct xcap_handler *h, const char *path, const char *file,
			     char *errbuf, size_t errlen)
{
	struct xcap_request rq;
	struct xcap_response rs;
	char target[1600], name[300];
	const char *body;
	size_t len;
	enum mcx_err err = MCX_OK;

	snprintf(name, sizeof(name), "demo/%s", file);
	body = xcap_embedded(name, &len);
	if (!body) {
		snprintf(errbuf, errlen, "demo file %s is not built in", file);
		return MCX_ENOENT;
	}
	snprintf(target, sizeof(target), "%s/%s", h->conf.root, path);
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.target = target;
	rq.target_len = strlen(target);
	rq.if_none_match = "*";
	rq.content_type = "application/xml";
	rq.body = body;
	rq.body_len = len;
	rq.who.xui = "demo";
	rq.who.root = true;
	xcap_response_init(&rs);
	xcap_handle(h, &rq, &rs);
	if (rs.status != 201 && rs.status != 412) {
		snprintf(errbuf, errlen, "demo document %s: %d %s", path, rs.status, rs.xs.phrase);
		err = MCX_EINTERNAL;
	}
	xcap_response_free(&rs);
	return err;
}

enum mcx_err demo_seed(struct xcap_handler *h, char *errbuf, size_t errlen)
{
	const char *m, *line;
	size_t mlen;
	enum mcx_err err;

	err = seed_users(h, errbuf, errlen);
	if (err)
		return err;
	err = idms_client_add(h->store, DEMO_CLIENT_ID, DEMO_CLIENT_REDIRECTS);
	if (err) {
		snprintf(errbuf, errlen, "cannot register the demo client: %s", mcx_strerror(err));
		return err;
	}
	m = xcap_embedded("demo/manifest", &mlen);
	if (!m) {
		snprintf(errbuf, errlen, "the demo manifest is not built in");
		return MCX_ENOENT;
	}
	for (line = m; line < m + mlen && !err;) {
		const char *nl = memchr(line, '\n', (size_t)(m + mlen - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(m + mlen - line);
		char buf[1400], *sp;

		if (ll && line[0] != '#' && ll < sizeof(buf)) {
			memcpy(buf, line, ll);
			buf[ll] = '\0';
			sp = strchr(buf, ' ');
			if (sp) {
				*sp = '\0';
				err = seed_doc(h, buf, sp + 1, errbuf, errlen);
			}
		}
		line += ll + 1;
	}
	return err;
}
