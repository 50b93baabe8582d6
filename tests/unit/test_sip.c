/* Unit tests: the sans-I/O parts of the SIP notifier: multipart bodies, the
 * SUBSCRIBE body and headers, xcap-diff documents, subscription scopes over
 * the demo organisation, the SUBSCRIBE decision and the change feed. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "core/pl.h"
#include "http/handler.h"
#include "http/accounts.h"
#include "xcap/usage.h"
#include "sip/multipart.h"
#include "sip/body.h"
#include "sip/subscribe.h"
#include "sip/patchmemo.h"
#include "sip/xcapdiff.h"
#include "sip/scope.h"
#include "sip/feed.h"

#define TOKEN "eyJhbGciOiJFUzI1NiJ9.eyJtY3B0dF9pZCI6InNpcDphbGljZUBleGFtcGxlLm9yZyJ9.c2ln"
#define INFO_PART                                                                                  \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"                                           \
	"<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\">\r\n"                                      \
	" <mcptt-Params>\r\n"                                                                      \
	"  <mcptt-access-token type=\"Normal\"><mcpttString>" TOKEN                                \
	"</mcpttString></mcptt-access-token>\r\n"                                                  \
	" </mcptt-Params>\r\n"                                                                     \
	"</mcpttinfo>"
#define RLS_PART                                                                                   \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"                                           \
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\r\n"                     \
	" <list>\r\n"                                                                              \
	"  <entry uri=\"org.3gpp.mcptt.ue-config/users/urn:uuid:1/\"/>\r\n"                        \
	"  <entry uri=\"org.3gpp.mcptt.user-profile/users/sip:alice@example.org/\"/>\r\n"          \
	"  <list><entry "                                                                          \
	"uri=\"org.3gpp.mcptt.service-config/global/service-config.xml?a=1&amp;b=2\"/></list>\r\n" \
	" </list>\r\n"                                                                             \
	"</resource-lists>"
/* TS 24.484 A.2.2: multipart/mixed, mcptt-info then resource-lists */
#define A22_CTYPE "multipart/mixed; boundary=\"b1\""
#define A22_BODY                                                                                   \
	"preamble is ignored\r\n"                                                                  \
	"--b1\r\n"                                                                                 \
	"Content-Type: application/vnd.3gpp.mcptt-info+xml\r\n"                                    \
	"\r\n" INFO_PART "\r\n"                                                                    \
	"--b1 \r\n"                                                                                \
	"Content-Type: application/resource-lists+xml\r\n"                                         \
	"Content-ID: <rls@ue>\r\n"                                                                 \
	"\r\n" RLS_PART "\r\n"                                                                     \
	"--b1--\r\n"                                                                               \
	"epilogue too\r\n"

static struct pl P(const char *s) {
	return pl_str(s);
}

static void
multipart_split(struct test_ctx *t)
{
	struct mp_part parts[4];
	struct pl b;
	size_t n;

	CHECK(t, mp_boundary(P(A22_CTYPE), &b) && pl_eqs(b, "b1"));
	CHECK(t, mp_boundary(P("multipart/mixed;charset=x;BOUNDARY=abc"), &b) && pl_eqs(b, "abc"));
	CHECK(t, !mp_boundary(P("multipart/mixed"), &b));
	CHECK(t, !mp_boundary(P("multipart/mixed; boundary=\"\""), &b));
	CHECK(t, mime_type_is(P(" Multipart/Mixed ; boundary=x"), "multipart/mixed"));
	CHECK(t, !mime_type_is(P("multipart/mixedx"), "multipart/mixed"));
	CHECK_INT(t, mp_split(P(A22_BODY), PL("b1"), parts, 4, &n), MCX_OK);
	CHECK_INT(t, n, 2);
	CHECK(t, pl_eqs(parts[0].ctype, "application/vnd.3gpp.mcptt-info+xml"));
	CHECK_MEM(t, parts[0].body.p, parts[0].body.l, INFO_PART, strlen(INFO_PART));
	CHECK(t, pl_eqs(parts[1].ctype, "application/resource-lists+xml"));
	CHECK_MEM(t, parts[1].body.p, parts[1].body.l, RLS_PART, strlen(RLS_PART));
	/* bare LF line ends, a part without headers */
	CHECK_INT(t,
		  mp_split(P("--x\n\nhello\n--x\nContent-Type: a/b\n\nworld\n--x--"), PL("x"),
			   parts, 4, &n),
		  MCX_OK);
	CHECK_INT(t, n, 2);
	CHECK(t, pl_eqs(parts[0].body, "hello") && !parts[0].ctype.l);
	CHECK(t, pl_eqs(parts[1].body, "world") && pl_eqs(parts[1].ctype, "a/b"));
	/* "--xy" is not a delimiter of boundary "x" */
	CHECK_INT(t, mp_split(P("--x\r\n\r\n--xy\r\n--x--"), PL("x"), parts, 4, &n), MCX_OK);
	CHECK(t, n == 1 && pl_eqs(parts[0].body, "--xy"));
	CHECK_INT(t, mp_split(P("--x\r\n\r\nno close"), PL("x"), parts, 4, &n), MCX_EINVAL);
	CHECK_INT(t, mp_split(P("no delimiter at all"), PL("x"), parts, 4, &n), MCX_EINVAL);
	CHECK_INT(t, mp_split(P("--x--"), PL("x"), parts, 4, &n), MCX_EINVAL);
	CHECK_INT(t, mp_split(P("--x\r\n\r\na\r\n--x\r\n\r\nb\r\n--x--"), PL("x"), parts, 1, &n),
		  MCX_ELIMIT);
}

static void body_a22(struct test_ctx *t)
{
	struct sip_body b;
	char eb[160];
	enum mcx_err err;

	err = sip_body_parse(&b, A22_CTYPE, strlen(A22_CTYPE), A22_BODY, strlen(A22_BODY), 8, eb,
			     sizeof(eb));
	if (err)
		sip_body_free(&b);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, b.token, TOKEN);
	CHECK_INT(t, b.nuris, 3);
	CHECK_STR(t, b.uris[0], "org.3gpp.mcptt.ue-config/users/urn:uuid:1/");
	CHECK_STR(t, b.uris[2], "org.3gpp.mcptt.service-config/global/service-config.xml?a=1&b=2");
	sip_body_free(&b);
	CHECK(t, b.token == NULL && b.nuris == 0);
}

static enum mcx_err parse(const char *ct, const char *body, size_t max, struct sip_body *b,
			  char *eb, size_t eblen)
{
	enum mcx_err err = sip_body_parse(b, ct, strlen(ct), body, strlen(body), max, eb, eblen);

	if (err)
		sip_body_free(b);
	return err;
}

static void body_variants(struct test_ctx *t)
{
	struct sip_body b;
	char eb[160];

	CHECK_INT(t, parse("application/resource-lists+xml", RLS_PART, 8, &b, eb, sizeof(eb)),
		  MCX_OK);
	CHECK(t, !b.token && b.nuris == 3);
	sip_body_free(&b);
	/* the token as the element's own text, as some clients send it */
	CHECK_INT(t,
		  parse("multipart/mixed;boundary=q",
			"--q\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n"
			"<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"><mcptt-Params>"
			"<mcptt-access-token> abc.def.ghi "
			"</mcptt-access-token></mcptt-Params></mcpttinfo>\r\n"
			"--q\r\nContent-Type: application/resource-lists+xml\r\n\r\n" RLS_PART
			"\r\n--q--",
			8, &b, eb, sizeof(eb)),
		  MCX_OK);
	CHECK_STR(t, b.token, "abc.def.ghi");
	sip_body_free(&b);
}

static void body_errors(struct test_ctx *t)
{
	struct sip_body b;
	char eb[160];

	CHECK_INT(t, parse("application/resource-lists+xml", "", 8, &b, eb, sizeof(eb)),
		  MCX_ENOENT);
	CHECK_INT(t,
		  parse("multipart/mixed;boundary=q",
			"--q\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n" INFO_PART
			"\r\n--q--",
			8, &b, eb, sizeof(eb)),
		  MCX_ENOENT);
	CHECK(t, strstr(eb, "resource-lists") != NULL);
	CHECK_INT(t, parse("application/resource-lists+xml", RLS_PART, 2, &b, eb, sizeof(eb)),
		  MCX_ELIMIT);
	CHECK_INT(t,
		  parse("application/resource-lists+xml", "<resource-lists", 8, &b, eb, sizeof(eb)),
		  MCX_EINVAL);
	CHECK_INT(
	    t,
	    parse(
		"application/resource-lists+xml",
		"<resource-lists xmlns=\"urn:x\"><list><entry uri=\"a\"/></list></resource-lists>",
		8, &b, eb, sizeof(eb)),
	    MCX_EINVAL);
	CHECK_INT(t,
		  parse("application/resource-lists+xml",
			"<resource-lists "
			"xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list/></resource-lists>",
			8, &b, eb, sizeof(eb)),
		  MCX_ENOENT);
	CHECK_INT(
	    t,
	    parse(
		"application/resource-lists+xml",
		"<!DOCTYPE r [<!ENTITY e \"x\">]><resource-lists "
		"xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry uri=\"&e;\"/></list>"
		"</resource-lists>",
		8, &b, eb, sizeof(eb)),
	    MCX_EINVAL);
	CHECK_INT(t,
		  parse("multipart/mixed;boundary=q",
			"--q\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n"
			"<mcpttinfo xmlns=\"urn:3gpp:ns:mcpttInfo:1.0\"><mcptt-Params>"
			"<mcptt-access-token type=\"Encrypted\"><mcpttString>x</mcpttString>"
			"</mcptt-access-token></mcptt-Params></mcpttinfo>\r\n"
			"--q\r\nContent-Type: application/resource-lists+xml\r\n\r\n" RLS_PART
			"\r\n--q--",
			8, &b, eb, sizeof(eb)),
		  MCX_EAUTH);
	CHECK_INT(t, parse("multipart/mixed", A22_BODY, 8, &b, eb, sizeof(eb)), MCX_EINVAL);
	CHECK_INT(t, parse("text/plain", RLS_PART, 8, &b, eb, sizeof(eb)), MCX_EINVAL);
	CHECK(t, sip_body_type_ok("multipart/mixed;boundary=x", 26));
	CHECK(t, !sip_body_type_ok("text/plain", 10));
}

static void headers(struct test_ctx *t)
{
	struct sip_policy p = {.min_expires = 60, .max_expires = 7200, .default_expires = 3600};
	struct sip_event ev;
	uint32_t g;

#define EV(s) sip_event_parse((s), strlen(s), &ev)
	CHECK(t, EV("xcap-diff") && ev.mode == SIP_DIFF_NO_PATCHING && !ev.id[0]);
	CHECK(t, EV("xcap-diff;diff-processing=aggregate") && ev.mode == SIP_DIFF_AGGREGATE);
	CHECK(t, EV(" xcap-diff ; diff-processing = \"xcap-patching\" ; id=7") &&
		     ev.mode == SIP_DIFF_XCAP_PATCHING && !strcmp(ev.id, "7"));
	CHECK(t, EV("xcap-diff;diff-processing=whatever") && ev.mode == SIP_DIFF_NO_PATCHING);
	CHECK(t, !EV("presence"));
	CHECK(t, !EV("xcap-diffx"));
	CHECK(t, !EV(""));
#undef EV
	CHECK(t, sip_accept_ok("application/xcap-diff+xml", 25));
	CHECK(t, sip_accept_ok("message/external-body, application/xcap-diff+xml;q=0.5", 54));
	CHECK(t, sip_accept_ok("*/*", 3));
	CHECK(t, !sip_accept_ok("application/pidf+xml", 20));
	CHECK_INT(t, sip_expires_grant(&p, NULL, 0, &g), 0);
	CHECK_INT(t, g, 3600);
	CHECK_INT(t, sip_expires_grant(&p, "600", 3, &g), 0);
	CHECK_INT(t, g, 600);
	CHECK_INT(t, sip_expires_grant(&p, "999999", 6, &g), 0);
	CHECK_INT(t, g, 7200);
	CHECK_INT(t, sip_expires_grant(&p, "99999999999999999999", 20, &g), 0);
	CHECK_INT(t, g, 7200);
	CHECK_INT(t, sip_expires_grant(&p, "0", 1, &g), 0);
	CHECK_INT(t, g, 0);
	CHECK_INT(t, sip_expires_grant(&p, "5", 1, &g), 423);
	CHECK_INT(t, sip_expires_grant(&p, "-1", 2, &g), 400);
	CHECK_INT(t, sip_expires_grant(&p, "", 0, &g), 400);
}

static void xcapdiff(struct test_ctx *t)
{
	struct mcx_buf b;
	enum mcx_err err;
	static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<xcap-diff xmlns=\"urn:ietf:params:xml:ns:xcap-diff\" "
				   "xcap-root=\"http://h/r?a&amp;b\">\n"
				   " <document sel=\"a/users/sip:x@y/d&quot;\" new-etag=\"e1\"/>\n"
				   " <document sel=\"b\" previous-etag=\"e1\" new-etag=\"e2\"/>\n"
				   " <document sel=\"c\" previous-etag=\"e2\"/>\n"
				   " <document sel=\"d\" previous-etag=\"e2\" "
				   "new-etag=\"e3\"><body-not-changed/></document>\n"
				   "</xcap-diff>\n";

	buf_init(&b, 4096);
	err = xdiff_begin(&b, "http://h/r?a&b");
	if (!err)
		err = xdiff_document(&b, "a/users/sip:x@y/d\"", "", "e1", NULL, 0);
	if (!err)
		err = xdiff_document(&b, "b", "e1", "e2", NULL, 0);
	if (!err)
		err = xdiff_document(&b, "c", "e2", "", NULL, 0);
	if (!err)
		err = xdiff_document(&b, "d", "e2", "e3", "<body-not-changed/>", 19);
	if (!err)
		err = xdiff_end(&b);
	if (err)
		buf_reset(&b);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, b.p, want);
	buf_reset(&b);
}

/* ---- over the demo organisation ---- */

struct demo {
	char dir[64];
	struct mcx_store *st;
	struct xcap_handler h;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static bool demo_open(struct demo *d)
{
	struct store_opts so = {0};
	struct xcap_handler_conf hc = {0};
	char eb[256];

	snprintf(d->dir, sizeof(d->dir), "/tmp/mcx-unit-sip-XXXXXX");
	if (!mkdtemp(d->dir) || xcap_usages_init(eb, sizeof(eb)))
		return false;
	so.dir = d->dir;
	so.cache_max = 1 << 20;
	if (store_open(&d->st, &so, eb, sizeof(eb)))
		return false;
	hc.root = "/xcap-root";
	hc.max_doc = 1024 * 1024;
	hc.max_uri = 8192;
	hc.xml.max_depth = 64;
	hc.xml.max_elements = 100000;
	hc.xml.max_attrs = 256;
	hc.max_steps = 64;
	hc.commit_retries = 4;
	hc.default_org = "example.org";
	hc.servers = "";
	xcap_handler_init(&d->h, &hc, d->st);
	return demo_seed(&d->h, eb, sizeof(eb)) == MCX_OK;
}

static void demo_close(struct demo *d)
{
	store_close(d->st);
	nftw(d->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#define P0 "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"
#define P1 "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-1.xml"
#define BOB "org.3gpp.mcptt.user-profile/users/sip:bob@example.org/mcptt-user-profile-0.xml"
#define SC "org.3gpp.mcptt.service-config/global/service-config.xml"
#define SC_PATH "org.3gpp.mcptt.service-config/global/example.org/service-config.xml"

static int may(struct demo *d, const char *xui, const char *target, char *dp, size_t dplen)
{
	struct xcap_identity id = {.xui = xui};

	return xcap_may_read(&d->h, &id, target, strlen(target), dp, dplen);
}

static void may_read(struct test_ctx *t)
{
	struct demo d;
	char dp[512];

	if (!demo_open(&d)) {
		demo_close(&d);
		CHECK(t, !"demo");
	}
	CHECK_INT(t, may(&d, "sip:alice@example.org", "/xcap-root/" P0, dp, sizeof(dp)), 200);
	CHECK_STR(t, dp, P0);
	CHECK_INT(t, may(&d, "sip:alice@example.org", "/xcap-root/" SC, dp, sizeof(dp)), 200);
	CHECK_STR(t, dp, SC_PATH);
	CHECK_INT(t, may(&d, "sip:alice@example.org", "/xcap-root/" BOB, dp, sizeof(dp)), 403);
	CHECK_STR(t, dp, "");
	CHECK_INT(t, may(&d, "sip:zoe@rescue.example", "/xcap-root/" P0, dp, sizeof(dp)), 403);
	CHECK_INT(t, may(&d, NULL, "/xcap-root/" P0, dp, sizeof(dp)), 401);
	CHECK_INT(t,
		  may(&d, "sip:alice@example.org",
		      "/xcap-root/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/", dp,
		      sizeof(dp)),
		  200);
	CHECK_STR(t, dp, "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/");
	CHECK_INT(
	    t,
	    may(&d, "sip:alice@example.org", "/xcap-root/xcap-caps/global/index", dp, sizeof(dp)),
	    404);
	CHECK_INT(t, may(&d, "sip:alice@example.org", "/elsewhere/" P0, dp, sizeof(dp)), 404);
	CHECK_INT(t, may(&d, "sip:alice@example.org", "/xcap-root/a/users/b/%zz", dp, sizeof(dp)),
		  400);
	/* the token's scopes apply as on HTTP */
	{
		struct xcap_identity id = {.xui = "sip:alice@example.org",
					   .scopes = "openid 3gpp:mcptt:group_management_server"};

		CHECK_INT(
		    t,
		    xcap_may_read(&d.h, &id, "/xcap-root/" P0, strlen("/xcap-root/" P0), NULL, 0),
		    403);
	}
	demo_close(&d);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void scope(struct test_ctx *t)
{
	struct sip_who who = {.xui = "sip:alice@example.org"};
	char *uris[] = {
	    "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/",
	    BOB,
	    "/xcap-root/" SC,
	    "http://cms.example.org:8080/xcap-root/" P0 "/~~/mcptt-user-profile",
	    "/not-the-root/" P1,
	    "org.3gpp.mcptt.service-config/global/",
	};
	struct sip_scope *s = NULL;
	struct mcx_buf b;
	struct demo d;
	unsigned refused;
	char sel[512];
	enum mcx_err err;

	if (!demo_open(&d)) {
		demo_close(&d);
		CHECK(t, !"demo");
	}
	err = scope_build(&s, &d.h, &who, uris, 6, &refused);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, refused, 2);
	CHECK_INT(t, scope_count(s), 4); /* P0 inside the collection: counted once by path */
	CHECK(t, scope_match(s, &d.h, P1, sel, sizeof(sel)));
	CHECK_STR(t, sel, P1);
	CHECK(t, scope_match(s, &d.h, SC_PATH, sel, sizeof(sel)));
	CHECK_STR(t, sel, SC);
	CHECK(t, !scope_match(s, &d.h, BOB, sel, sizeof(sel)));
	CHECK(t, !scope_match(s, &d.h,
			      "org.3gpp.mcptt.service-config/global/rescue.example/"
			      "service-config.xml",
			      sel, sizeof(sel)));
	buf_init(&b, 1 << 20);
	err = scope_full_state(s, &d.h, &b);
	CHECK_INT(t, err, MCX_OK);
	CHECK(t, strstr(b.p, "sel=\"" P0 "\"") && strstr(b.p, "sel=\"" P1 "\""));
	CHECK(t, strstr(b.p, "sel=\"" SC "\"") && !strstr(b.p, "bob"));
	CHECK(t, strstr(b.p, "new-etag=\"") && !strstr(b.p, "previous-etag"));
	/* each document once, though the collection holds an entry of its own */
	CHECK_INT(t, count(b.p, "sel=\"" P0 "\""), 1);
	CHECK_INT(t, count(b.p, "service-config.xml\""), 1);
	buf_reset(&b);
	scope_free(s);
	/* nothing readable at all */
	s = NULL;
	CHECK_INT(t, scope_build(&s, &d.h, &who, uris + 1, 1, &refused), MCX_ENOENT);
	CHECK(t, s == NULL && refused == 1);
	demo_close(&d);
}

static void in_of(struct sip_subscribe_in *in, const char *ev, const char *exp, const char *ct,
		  const char *body, const char *pai)
{
	memset(in, 0, sizeof(*in));
	in->event.p = ev;
	in->event.l = ev ? strlen(ev) : 0;
	in->expires.p = exp;
	in->expires.l = exp ? strlen(exp) : 0;
	in->ctype.p = ct;
	in->ctype.l = ct ? strlen(ct) : 0;
	in->body.p = body;
	in->body.l = body ? strlen(body) : 0;
	in->asserted = pai;
	in->now = 1000;
}

static void decide(struct test_ctx *t)
{
	struct sip_policy p = {.min_expires = 60,
			       .max_expires = 7200,
			       .default_expires = 3600,
			       .max_body = 65536,
			       .max_entries = 8};
	struct sip_subscribe_out out;
	struct sip_subscribe_in in;
	struct sip_who cur = {.xui = "sip:alice@example.org", .token = true, .token_exp = 999};
	struct demo d;

	if (!demo_open(&d)) {
		demo_close(&d);
		CHECK(t, !"demo");
	}
	p.h = &d.h;
	p.store = d.st;
	in_of(&in, "presence", "600", A22_CTYPE, A22_BODY, NULL);
	sip_subscribe_new(&p, &in, &out);
	CHECK_INT(t, out.status, 489);
	in_of(&in, "xcap-diff", "600", A22_CTYPE, A22_BODY, NULL);
	in.accept.p = "application/pidf+xml";
	in.accept.l = 20;
	sip_subscribe_new(&p, &in, &out);
	CHECK_INT(t, out.status, 406);
	in_of(&in, "xcap-diff", "10", A22_CTYPE, A22_BODY, NULL);
	sip_subscribe_new(&p, &in, &out);
	CHECK(t, out.status == 423 && out.min_expires == 60);
	in_of(&in, "xcap-diff", "600", NULL, NULL, NULL);
	sip_subscribe_new(&p, &in, &out);
	CHECK_INT(t, out.status, 400);
	in_of(&in, "xcap-diff", "600", "text/plain", "x", NULL);
	sip_subscribe_new(&p, &in, &out);
	CHECK_INT(t, out.status, 415);
	/* no key set: the token is refused */
	in_of(&in, "xcap-diff", "600", A22_CTYPE, A22_BODY, NULL);
	sip_subscribe_new(&p, &in, &out);
	CHECK(t, out.status == 403 && strstr(out.why, "token") && !out.scope);
	/* a bare list needs an asserted identity */
	in_of(&in, "xcap-diff", "600", "application/resource-lists+xml", RLS_PART, NULL);
	sip_subscribe_new(&p, &in, &out);
	CHECK_INT(t, out.status, 403);
	in_of(&in, "xcap-diff;diff-processing=aggregate", "999999",
	      "application/resource-lists+xml", RLS_PART,
	      "\"Alice\" <sip:alice@example.org>, <tel:+1>");
	sip_subscribe_new(&p, &in, &out);
	CHECK_INT(t, out.status, 200);
	CHECK(t, out.scope && out.expires == 7200 && out.ev.mode == SIP_DIFF_AGGREGATE);
	CHECK_STR(t, out.who.xui, "sip:alice@example.org");
	CHECK_INT(t, out.refused, 1); /* the UE directory of another organisation's UE */
	scope_free(out.scope);
	/* refreshes */
	in_of(&in, "xcap-diff", "0", NULL, NULL, NULL);
	sip_subscribe_refresh(&p, &in, &cur, &out);
	CHECK(t, out.status == 200 && out.expires == 0);
	in_of(&in, "xcap-diff", "600", NULL, NULL, NULL);
	in.now = 5000;
	sip_subscribe_refresh(&p, &in, &cur, &out);
	CHECK(t, out.status == 403 && out.terminate);
	in_of(&in, "presence", "600", NULL, NULL, NULL);
	sip_subscribe_refresh(&p, &in, &cur, &out);
	CHECK_INT(t, out.status, 489);
	demo_close(&d);
}

static void wake(void *arg)
{
	(*(int *)arg)++;
}

static void feed(struct test_ctx *t)
{
	struct sip_change *c;
	struct sip_feed *f;
	struct demo d;
	struct store_commit cm = {
	    .path = "test-app/global/x", .bytes = "<a/>", .len = 4, .etag = "e1", .author = "t"};
	struct store_result r;
	int woken = 0;
	bool lost;

	if (!demo_open(&d)) {
		demo_close(&d);
		CHECK(t, !"demo");
	}
	CHECK_INT(t, feed_open(&f, d.st, 2), MCX_OK);
	CHECK_INT(t, store_commit(d.st, &cm, &r), MCX_OK); /* not started: ignored */
	CHECK(t, feed_take(f, &lost) == NULL && !lost && !woken);
	feed_start(f, wake, &woken);
	cm.bytes = "<b/>";
	cm.etag = "e2";
	CHECK_INT(t, store_commit(d.st, &cm, &r), MCX_OK);
	cm.bytes = NULL;
	CHECK_INT(t, store_commit(d.st, &cm, &r), MCX_OK);
	CHECK_INT(t, woken, 1); /* one wakeup until the queue is taken */
	c = feed_take(f, &lost);
	CHECK(t, c && c->next && !c->next->next && !lost);
	CHECK(t, !strcmp(c->path, "test-app/global/x") && !strcmp(c->prev_etag, "e1") &&
		     !strcmp(c->new_etag, "e2"));
	CHECK(t, !strcmp(c->next->prev_etag, "e2") && !c->next->new_etag[0]);
	CHECK(t, c->next->seq > c->seq);
	CHECK(t, c->version == 2 && c->next->version == 3); /* a deletion is a version */
	feed_free_list(c);
	for (; woken < 6; woken++) {
		cm.bytes = woken & 1 ? "<c/>" : "<d/>";
		cm.etag = woken & 1 ? "e3" : "e4";
		CHECK_INT(t, store_commit(d.st, &cm, &r), MCX_OK);
	}
	c = feed_take(f, &lost);
	CHECK(t, lost); /* the bound is 2: the rest was dropped, and said so */
	feed_free_list(c);
	feed_stop(f);
	CHECK_INT(t, store_commit(d.st, &cm, &r), MCX_OK);
	demo_close(&d); /* frees the feed */
}

/* The patch memo: hits by path and versions, "no patch" remembered, the
 * oldest forgotten past PATCH_MEMO_SLOTS. */
static void patch_memo(struct test_ctx *t)
{
	struct patch_memo *m = patch_memo_alloc();
	bool oom = t->in_oom; /* a failed put only forgets: the hits can't be checked */
	struct mcx_buf b;
	enum mcx_err err;
	char path[32];
	int i;

	OOM_OK(t, m ? MCX_OK : MCX_ENOMEM);
	if (!m)
		return;
	buf_init(&b, 1024);
	CHECK(t, !patch_memo_get(m, "a/doc", 1, 2, 100, &b, &err));
	patch_memo_put(m, "a/doc", 1, 2, 100, "<replace/>", 10);
	patch_memo_put(m, "a/doc", 2, 3, 100, NULL, 0);
	CHECK(t, oom || patch_memo_get(m, "a/doc", 1, 2, 100, &b, &err));
	CHECK(t, oom || (err == MCX_OK && b.len == 10 && !memcmp(b.p, "<replace/>", 10)));
	buf_reset(&b);
	CHECK(t, !patch_memo_get(m, "a/doc", 1, 3, 100, &b, &err));
	CHECK(t, !patch_memo_get(m, "a/doc", 1, 2, 50, &b, &err)); /* another limit */
	CHECK(t, !patch_memo_get(m, "b/doc", 1, 2, 100, &b, &err));
	CHECK(t, oom || (patch_memo_get(m, "a/doc", 2, 3, 100, &b, &err) && b.len == 0));
	for (i = 0; i < PATCH_MEMO_SLOTS; i++) {
		snprintf(path, sizeof(path), "p%d", i);
		patch_memo_put(m, path, 1, 2, 100, "x", 1);
	}
	CHECK(t, !patch_memo_get(m, "a/doc", 1, 2, 100, &b, &err));
	CHECK(t, oom || (patch_memo_get(m, "p15", 1, 2, 100, &b, &err) && b.len == 1));
	buf_reset(&b);
	patch_memo_free(m);
}

const struct test tests_sip[] = {{"sip_patch_memo", patch_memo, true},{"sip_multipart_split", multipart_split, false},
				 {"sip_body_a22", body_a22, true},
				 {"sip_body_variants", body_variants, false},
				 {"sip_body_errors", body_errors, false},
				 {"sip_headers", headers, false},
				 {"sip_xcapdiff", xcapdiff, true},
				 {"sip_may_read", may_read, false},
				 {"sip_scope", scope, false},
				 {"sip_decide", decide, false},
				 {"sip_feed", feed, false},
				 {NULL, NULL, false}};
