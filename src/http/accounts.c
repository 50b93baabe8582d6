/* Accounts from XUI + password, and the demo organisation. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "accounts"
#include "core/log.h"
#include "core/mem.h"
#include "http/accounts.h"
#include "http/digest.h"

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
	{ NULL, NULL, 0 }
};

static const struct {
	const char *path;
	const char *body;
} demo_docs[] = {
	{ "/resource-lists/users/sip:alice@example.org/index",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	  "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
	  "  <list name=\"friends\">\n"
	  "    <display-name>Friends</display-name>\n"
	  "    <entry uri=\"sip:bob@example.org\">\n"
	  "      <display-name>Bob</display-name>\n"
	  "    </entry>\n"
	  "    <entry uri=\"sip:carol@example.org\">\n"
	  "      <display-name>Carol</display-name>\n"
	  "    </entry>\n"
	  "  </list>\n"
	  "</resource-lists>\n" },
	{ "/resource-lists/users/sip:bob@example.org/index",
	  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	  "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
	  "  <list name=\"team\">\n"
	  "    <entry uri=\"sip:alice@example.org\"/>\n"
	  "  </list>\n"
	  "</resource-lists>\n" },
	{ NULL, NULL }
};

enum mcx_err demo_seed(struct xcap_handler *h, char *errbuf, size_t errlen)
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
		mcx_free(u.xui);
		mcx_free(u.name);
		mcx_free(u.domain);
		if (err) {
			snprintf(errbuf, errlen, "cannot add demo user %s: %s", demo_users[i].xui,
				 mcx_strerror(err));
			return err;
		}
	}
	for (i = 0; demo_docs[i].path; i++) {
		struct xcap_request rq;
		struct xcap_response rs;
		char target[512];

		snprintf(target, sizeof(target), "%s%s", h->conf.root, demo_docs[i].path);
		memset(&rq, 0, sizeof(rq));
		rq.method = "PUT";
		rq.target = target;
		rq.target_len = strlen(target);
		rq.if_none_match = "*";
		rq.content_type = "application/resource-lists+xml";
		rq.body = demo_docs[i].body;
		rq.body_len = strlen(demo_docs[i].body);
		rq.who.xui = "sip:admin@example.org";
		rq.who.admin = true;
		xcap_response_init(&rs);
		xcap_handle(h, &rq, &rs);
		if (rs.status != 201 && rs.status != 412) {
			snprintf(errbuf, errlen, "demo document %s: %d %s", demo_docs[i].path,
				 rs.status, rs.xs.phrase);
			xcap_response_free(&rs);
			return MCX_EINTERNAL;
		}
		xcap_response_free(&rs);
	}
	return MCX_OK;
}
