/* Unit tests: the MCPTT access model, cell by cell (role x usage x tree x
 * method), through the XCAP handler on the demo organisation. Writes put a
 * document's current bytes back (a no-op when allowed: 200), so every cell
 * runs on the same data. The expected outcomes are written here, apart from
 * the table in src/xcap/access.c, so a change there must change this too. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "http/handler.h"
#include "http/accounts.h"
#include "xcap/usage.h"

#define UE1 "urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01"
#define UIC "org.3gpp.mcptt.ue-init-config/users/"
#define UC "org.3gpp.mcptt.ue-config/users/"
#define UP "org.3gpp.mcptt.user-profile/users/"
#define SC "org.3gpp.mcptt.service-config/global/"
#define GR "org.openmobilealliance.groups/"

struct cell {
	const char *who;        /* identity (admins are looked up in the store) */
	const char *method;     /* GET or PUT (of the current bytes) */
	const char *path;       /* below the XCAP root */
	int want;               /* 200 or 403 */
};

/* Roles: owner alice; org users bob/erin; admin admin@example.org; server
 * mcptt-server@example.org; foreign user zoe and foreign admin admin@rescue. */
static const struct cell cells[] = {
	/* user profile, users tree */
	{ "sip:alice@example.org", "GET", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 200 },
	{ "sip:alice@example.org", "PUT", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	{ "sip:bob@example.org", "GET", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	{ "sip:bob@example.org", "PUT", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	{ "sip:admin@example.org", "GET", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 200 },
	{ "sip:admin@example.org", "PUT", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 200 },
	{ "sip:mcptt-server@example.org", "GET", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 200 },
	{ "sip:mcptt-server@example.org", "PUT", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	{ "sip:zoe@rescue.example", "GET", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	{ "sip:admin@rescue.example", "GET", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	{ "sip:admin@rescue.example", "PUT", UP "sip:alice@example.org/mcptt-user-profile-0.xml", 403 },
	/* UE configuration, users tree */
	{ "sip:alice@example.org", "GET", UC "sip:alice@example.org/" UE1, 200 },
	{ "sip:alice@example.org", "PUT", UC "sip:alice@example.org/" UE1, 403 },
	{ "sip:bob@example.org", "GET", UC "sip:alice@example.org/" UE1, 403 },
	{ "sip:admin@example.org", "PUT", UC "sip:alice@example.org/" UE1, 200 },
	{ "sip:mcptt-server@example.org", "GET", UC "sip:alice@example.org/" UE1, 403 },
	{ "sip:admin@rescue.example", "GET", UC "sip:alice@example.org/" UE1, 403 },
	/* UE configuration, UE-instance directory (the organisation is the document's domain) */
	{ "sip:bob@example.org", "GET", UC UE1 "/" UE1, 200 },
	{ "sip:zoe@rescue.example", "GET", UC UE1 "/" UE1, 404 },
	/* UE initial configuration: master in the administrator's directory, per-UE document */
	{ "sip:admin@example.org", "GET", UIC "sip:admin@example.org/ue-init-config.xml", 200 },
	{ "sip:admin@example.org", "PUT", UIC "sip:admin@example.org/ue-init-config.xml", 200 },
	{ "sip:bob@example.org", "GET", UIC "sip:admin@example.org/ue-init-config.xml", 403 },
	{ "sip:admin@rescue.example", "GET", UIC "sip:admin@example.org/ue-init-config.xml", 403 },
	{ "sip:bob@example.org", "GET", UIC "sip:" UE1 "/" UE1, 200 },
	{ "sip:bob@example.org", "PUT", UIC "sip:" UE1 "/" UE1, 403 },
	{ "sip:admin@example.org", "PUT", UIC "sip:" UE1 "/" UE1, 200 },
	{ "sip:zoe@rescue.example", "GET", UIC "sip:" UE1 "/" UE1, 403 },
	{ "sip:admin@rescue.example", "PUT", UIC "sip:" UE1 "/" UE1, 403 },
	{ "sip:mcptt-server@example.org", "GET", UIC "sip:" UE1 "/" UE1, 403 },
	/* service configuration, global tree (per organisation) */
	{ "sip:bob@example.org", "GET", SC "service-config.xml", 200 },
	{ "sip:bob@example.org", "PUT", SC "service-config.xml", 403 },
	{ "sip:admin@example.org", "PUT", SC "service-config.xml", 200 },
	{ "sip:mcptt-server@example.org", "GET", SC "example.org/service-config.xml", 200 },
	{ "sip:mcptt-server@example.org", "PUT", SC "example.org/service-config.xml", 403 },
	{ "sip:zoe@rescue.example", "GET", SC "example.org/service-config.xml", 403 },
	/* groups: owner's directory (members read), global byGroupID (read-only view) */
	{ "sip:erin@example.org", "GET", GR "users/sip:admin@example.org/police.xml", 200 },
	{ "sip:alice@example.org", "GET", GR "users/sip:admin@example.org/police.xml", 403 },
	{ "sip:erin@example.org", "PUT", GR "users/sip:admin@example.org/police.xml", 403 },
	{ "sip:admin@example.org", "PUT", GR "users/sip:admin@example.org/police.xml", 200 },
	{ "sip:mcptt-server@example.org", "GET", GR "users/sip:admin@example.org/police.xml", 200 },
	{ "sip:admin@rescue.example", "GET", GR "users/sip:admin@example.org/police.xml", 403 },
	{ "sip:erin@example.org", "GET", GR "global/byGroupID/sip:group-police@example.org", 200 },
	{ "sip:alice@example.org", "GET", GR "global/byGroupID/sip:group-police@example.org", 403 },
	{ "sip:admin@example.org", "GET", GR "global/byGroupID/sip:group-police@example.org", 200 },
	{ "sip:zoe@rescue.example", "GET", GR "global/byGroupID/sip:group-police@example.org", 404 },
	{ "sip:carol@example.org", "GET", GR "users/sip:carol@example.org/own.xml", 200 },
	{ "sip:carol@example.org", "PUT", GR "users/sip:carol@example.org/own.xml", 200 },
	{ "sip:dave@example.org", "GET", GR "users/sip:carol@example.org/own.xml", 403 },
	{ NULL, NULL, NULL, 0 }
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int call(struct xcap_handler *h, const char *method, const char *path, const char *who,
		bool root, const char *body, size_t blen, struct mcx_buf *out, char *why, size_t wl)
{
	struct xcap_request rq;
	struct xcap_response rs;
	struct store_user *u = NULL;
	char target[1024];
	const char *b;
	size_t bl;
	int st;

	snprintf(target, sizeof(target), "/xcap-root/%s", path);
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.target = target;
	rq.target_len = strlen(target);
	rq.content_type = "application/xml";
	rq.body = body;
	rq.body_len = blen;
	rq.who.xui = who;
	rq.who.root = root;
	if (who && !store_user_get(h->store, who, &u)) {
		rq.who.admin = (u->roles & STORE_ROLE_ADMIN) != 0;
		store_user_free(u);
	}
	xcap_response_init(&rs);
	xcap_handle(h, &rq, &rs);
	b = xcap_response_body(&rs, &bl);
	if (out && rs.status == 200 && buf_add(out, b, bl))
		rs.status = 500;
	snprintf(why, wl, "%.300s", rs.xs.phrase);
	st = rs.status;
	xcap_response_free(&rs);
	return st;
}

static void table(struct test_ctx *t)
{
	char dir[] = "/tmp/mcx-unit-access-XXXXXX", eb[256], why[400];
	static const char own[] =
		"<group xmlns=\"urn:oma:xml:poc:list-service\"><list-service uri=\"sip:group-own@example.org\">"
		"<list><entry uri=\"sip:carol@example.org\"/></list></list-service></group>";
	struct store_opts so = { 0 };
	struct mcx_store *st = NULL;
	struct xcap_handler h;
	struct xcap_handler_conf hc = { 0 };
	const struct cell *c;
	int bad = 0, n = 0;

	CHECK(t, mkdtemp(dir) != NULL);
	so.dir = dir;
	so.cache_max = 1 << 20;
	CHECK(t, xcap_usages_init(eb, sizeof(eb)) == MCX_OK);
	CHECK(t, store_open(&st, &so, eb, sizeof(eb)) == MCX_OK);
	hc.root = "/xcap-root";
	hc.max_doc = 1 << 20;
	hc.max_uri = 8192;
	hc.xml.max_depth = 64;
	hc.xml.max_elements = 100000;
	hc.xml.max_attrs = 256;
	hc.max_steps = 64;
	hc.commit_retries = 2;
	hc.default_org = "example.org";
	hc.servers = "sip:mcptt-server@example.org";
	xcap_handler_init(&h, &hc, st);
	if (demo_seed(&h, eb, sizeof(eb)) ||
	    call(&h, "PUT", GR "users/sip:carol@example.org/own.xml", "t", true, own, sizeof(own) - 1,
		 NULL, why, sizeof(why)) != 201) {
		test_fail(t, __FILE__, __LINE__, "set-up failed: %s %s", eb, why);
		bad = 1;
	}
	for (c = cells; !bad && c->who; c++) {
		struct mcx_buf cur;
		int got;

		buf_init(&cur, 1 << 20);
		/* tools act for no organisation: they name it in the global tree */
		got = call(&h, "GET", strcmp(c->path, SC "service-config.xml") ? c->path :
			   SC "example.org/service-config.xml", "t", true, NULL, 0, &cur, why, sizeof(why));
		if (got != 200) {
			test_fail(t, __FILE__, __LINE__, "root GET %s: %d %s", c->path, got, why);
			bad = 1;
		} else if (!strcmp(c->method, "GET")) {
			got = call(&h, "GET", c->path, c->who, false, NULL, 0, NULL, why, sizeof(why));
		} else {
			got = call(&h, "PUT", c->path, c->who, false, cur.p, cur.len, NULL, why, sizeof(why));
		}
		buf_reset(&cur);
		n++;
		if (!bad && got != c->want) {
			test_fail(t, __FILE__, __LINE__, "%s %s %s: %d (%s), expected %d", c->who, c->method,
				  c->path, got, why, c->want);
			bad = 1;
		}
	}
	store_close(st);
	xcap_usages_cleanup();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (!bad)
		CHECK(t, n > 40);
}

/* Every demo document reads back byte for byte as it was seeded. */
static void demo_round_trip(struct test_ctx *t)
{
	char dir[] = "/tmp/mcx-unit-demo-XXXXXX", eb[256], why[400];
	struct store_opts so = { 0 };
	struct mcx_store *st = NULL;
	struct xcap_handler h;
	struct xcap_handler_conf hc = { 0 };
	const char *m, *line;
	size_t mlen;
	int docs = 0, bad = 0;

	CHECK(t, mkdtemp(dir) != NULL);
	so.dir = dir;
	CHECK(t, xcap_usages_init(eb, sizeof(eb)) == MCX_OK);
	CHECK(t, store_open(&st, &so, eb, sizeof(eb)) == MCX_OK);
	hc.root = "/xcap-root";
	hc.max_doc = 1 << 20;
	hc.max_uri = 8192;
	hc.xml.max_depth = 64;
	hc.xml.max_elements = 100000;
	hc.xml.max_attrs = 256;
	hc.max_steps = 64;
	hc.default_org = "example.org";
	xcap_handler_init(&h, &hc, st);
	if (demo_seed(&h, eb, sizeof(eb))) {
		test_fail(t, __FILE__, __LINE__, "seed: %s", eb);
		bad = 1;
	}
	m = xcap_embedded("demo/manifest", &mlen);
	for (line = m; !bad && m && line < m + mlen;) {
		const char *nl = memchr(line, '\n', (size_t)(m + mlen - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(m + mlen - line);
		char l[1400], name[300], *sp;

		snprintf(l, sizeof(l), "%.*s", (int)ll, line);
		line += ll + 1;
		sp = strchr(l, ' ');
		if (l[0] == '#' || !sp)
			continue;
		*sp = '\0';
		snprintf(name, sizeof(name), "demo/%s", sp + 1);
		{
			struct mcx_buf got;
			size_t flen;
			const char *file = xcap_embedded(name, &flen);
			int rc;

			buf_init(&got, 1 << 20);
			rc = call(&h, "GET", l, "t", true, NULL, 0, &got, why, sizeof(why));
			if (rc != 200 || !file || got.len != flen || memcmp(got.p, file, flen)) {
				test_fail(t, __FILE__, __LINE__, "%s: %d %s, %zu bytes vs %zu", l, rc, why,
					  got.len, flen);
				bad = 1;
			}
			buf_reset(&got);
			docs++;
		}
	}
	store_close(st);
	xcap_usages_cleanup();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (!bad)
		CHECK(t, docs >= 15);
}

const struct test tests_access[] = {
	{ "access_table_cell_by_cell", table, false },
	{ "demo_documents_round_trip_byte_for_byte", demo_round_trip, false },
	{ NULL, NULL, false }
};
