/* Unit tests: HTTP Digest authentication (src/http/digest.c). */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "http/digest.h"

/* RFC 7616 §3.9.1. */
#define RFC_USER   "Mufasa"
#define RFC_PASS   "Circle of Life"
#define RFC_REALM  "http-auth@example.org"
#define RFC_NONCE  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC_URI    "/dir/index.html"
#define RFC_MD5    "8ca523f5e9506fed4657c9700eebdbec"
#define RFC_SHA256 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

#define RFC_HDR(alg, resp) \
	"Digest username=\"" RFC_USER "\", realm=\"" RFC_REALM "\", uri=\"" RFC_URI "\", " \
	"algorithm=" alg ", nonce=\"" RFC_NONCE "\", nc=00000001, cnonce=\"" RFC_CNONCE "\", " \
	"qop=auth, response=\"" resp "\", opaque=\"" RFC_OPAQUE "\""

static const uint8_t key1[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[32] = "fedcba9876543210fedcba9876543210";

static bool pl_is(struct pl v, const char *s)
{
	return v.p && pl_eqs(v, s);
}

static enum mcx_err parse_s(const char *hdr, const char *target, struct digest_params *d)
{
	return digest_parse(hdr, strlen(hdr), target, target ? strlen(target) : 0, d);
}

/* What a client computes for qop=auth, written out independently of digest.c. */
static void client_response(enum mcx_hash alg, const char *user, const char *realm,
			    const char *pass, const char *method, const char *uri,
			    const char *nonce, const char *nc, const char *cnonce, char *out)
{
	char in[4096], ha1[DIGEST_HEX_MAX], ha2[DIGEST_HEX_MAX];
	int n;

	n = snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pass);
	crypto_hash_hex(alg, in, (size_t)n, ha1);
	n = snprintf(in, sizeof(in), "%s:%s", method, uri);
	crypto_hash_hex(alg, in, (size_t)n, ha2);
	n = snprintf(in, sizeof(in), "%s:%s:%s:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
	crypto_hash_hex(alg, in, (size_t)n, out);
}

static bool rfc_ok(const struct digest_params *d, enum mcx_hash alg, const char *pass)
{
	char ha1[DIGEST_HEX_MAX];

	if (digest_ha1_hex(alg, d->username, PL(RFC_REALM), pl_str(pass), ha1))
		return false;
	return digest_response_ok(d, "GET", alg, ha1);
}

static struct digest_params dp; /* 8 KiB: kept off the test stacks */

static void digest_rfc7616_md5(struct test_ctx *t)
{
	char ha1[DIGEST_HEX_MAX], resp[DIGEST_HEX_MAX];
	enum mcx_hash alg = MCX_HASH_SHA256;

	/* the RFC's numbers agree with the formula */
	client_response(MCX_HASH_MD5, RFC_USER, RFC_REALM, RFC_PASS, "GET", RFC_URI, RFC_NONCE,
			"00000001", RFC_CNONCE, resp);
	CHECK_STR(t, resp, RFC_MD5);
	CHECK_INT(t, parse_s(RFC_HDR("MD5", RFC_MD5), RFC_URI, &dp), MCX_OK);
	CHECK(t, pl_is(dp.username, RFC_USER));
	CHECK(t, pl_is(dp.realm, RFC_REALM));
	CHECK(t, pl_is(dp.uri, RFC_URI));
	CHECK(t, pl_is(dp.algorithm, "MD5"));
	CHECK(t, pl_is(dp.nonce, RFC_NONCE));
	CHECK(t, pl_is(dp.nc, "00000001"));
	CHECK(t, pl_is(dp.cnonce, RFC_CNONCE));
	CHECK(t, pl_is(dp.qop, "auth"));
	CHECK(t, pl_is(dp.response, RFC_MD5));
	CHECK(t, pl_is(dp.opaque, RFC_OPAQUE));
	CHECK(t, dp.userhash.p == NULL);
	CHECK_INT(t, digest_params_check(&dp, &alg), DIGEST_CHECK_OK);
	CHECK_INT(t, alg, MCX_HASH_MD5);
	CHECK_INT(t, digest_ha1_hex(MCX_HASH_MD5, PL(RFC_USER), PL(RFC_REALM), PL(RFC_PASS), ha1),
		  MCX_OK);
	CHECK_STR(t, ha1, "3d78807defe7de2157e2b0b6573a855f");
	CHECK(t, digest_response_ok(&dp, "GET", MCX_HASH_MD5, ha1));
	CHECK(t, !digest_response_ok(&dp, "GET", MCX_HASH_SHA256, ha1));
	CHECK(t, digest_uri_matches(&dp, RFC_URI, strlen(RFC_URI)));
}

static void digest_rfc7616_sha256(struct test_ctx *t)
{
	char ha1[DIGEST_HEX_MAX], resp[DIGEST_HEX_MAX];
	enum mcx_hash alg = MCX_HASH_MD5;

	client_response(MCX_HASH_SHA256, RFC_USER, RFC_REALM, RFC_PASS, "GET", RFC_URI, RFC_NONCE,
			"00000001", RFC_CNONCE, resp);
	CHECK_STR(t, resp, RFC_SHA256);
	CHECK_INT(t, parse_s(RFC_HDR("SHA-256", RFC_SHA256), RFC_URI, &dp), MCX_OK);
	CHECK_INT(t, digest_params_check(&dp, &alg), DIGEST_CHECK_OK);
	CHECK_INT(t, alg, MCX_HASH_SHA256);
	CHECK_INT(t, digest_ha1_hex(MCX_HASH_SHA256, PL(RFC_USER), PL(RFC_REALM), PL(RFC_PASS), ha1),
		  MCX_OK);
	CHECK_STR(t, ha1, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
	CHECK(t, digest_response_ok(&dp, "GET", MCX_HASH_SHA256, ha1));
	CHECK(t, !digest_response_ok(&dp, "GET", MCX_HASH_MD5, ha1));
	/* lower-case algorithm names and an upper-case stored HA1 are fine */
	CHECK_INT(t, parse_s(RFC_HDR("sha-256", RFC_SHA256), NULL, &dp), MCX_OK);
	CHECK(t, digest_response_ok(&dp, "GET", MCX_HASH_SHA256,
				    "7987C64C30E25F1B74BE53F966B49B90F2808AA92FAF9A00262392D7B4794232"));
}

static void digest_wrong_password(struct test_ctx *t)
{
	char ha1[DIGEST_HEX_MAX];

	CHECK_INT(t, parse_s(RFC_HDR("MD5", RFC_MD5), RFC_URI, &dp), MCX_OK);
	CHECK(t, rfc_ok(&dp, MCX_HASH_MD5, RFC_PASS));
	CHECK(t, !rfc_ok(&dp, MCX_HASH_MD5, "circle of life"));
	CHECK(t, !rfc_ok(&dp, MCX_HASH_MD5, ""));
	CHECK_INT(t, digest_ha1_hex(MCX_HASH_MD5, PL(RFC_USER), PL(RFC_REALM), PL(RFC_PASS), ha1),
		  MCX_OK);
	CHECK(t, !digest_response_ok(&dp, "PUT", MCX_HASH_MD5, ha1));
	CHECK(t, !digest_response_ok(&dp, "", MCX_HASH_MD5, ha1));
	CHECK(t, !digest_response_ok(&dp, "GET", MCX_HASH_MD5, "3d78807d"));
	CHECK(t, !digest_response_ok(&dp, "GET", MCX_HASH_MD5, "zz78807defe7de2157e2b0b6573a855f"));
	CHECK(t, !digest_response_ok(&dp, "GETGETGETGETGETGETGETGETGETGETGETGET", MCX_HASH_MD5,
				     ha1));
	/* one flipped digit of the response */
	CHECK_INT(t, parse_s(RFC_HDR("MD5", "8ca523f5e9506fed4657c9700eebdbed"), NULL, &dp), MCX_OK);
	CHECK(t, !rfc_ok(&dp, MCX_HASH_MD5, RFC_PASS));
	/* an upper-case response is the same number */
	CHECK_INT(t, parse_s(RFC_HDR("MD5", "8CA523F5E9506FED4657C9700EEBDBEC"), NULL, &dp), MCX_OK);
	CHECK(t, rfc_ok(&dp, MCX_HASH_MD5, RFC_PASS));
}

/* Node selectors as XCAP clients put them, unescaped, in the request target. */
#define XR "/xcap-root/resource-lists/users/sip:alice@example.org/index/~~/resource-lists/"
static const char *const quirk_targets[] = {
	XR "list[@name=\"friends\"]",
	XR "list[@name=\"a,b\"]",
	XR "list/entry[@uri=\"sip:x@y\"]",
	XR "list[@name=\"l\"]/entry[@uri=\"sip:bob@example.org\"]/display-name",
	XR "list[@name=\"x\"][2]/entry[@uri=\"sip:b@c\"][@n=\"1\"]",
	/* a quote followed by ", " inside the selector: only the target can say where it ends */
	XR "list[@name=\"a\", b=\"c\"]",
	XR "list[@name=\"\"]",
	"/xcap-root/pres-rules/users/sip:alice@example.org/index/~~/cp:ruleset/cp:rule[@id=\"a1\"]"
	"?xmlns(cp=urn:ietf:params:xml:ns:common-policy)",
};

static void quirk_header(char *out, size_t max, const char *uri, const char *resp, bool uri_last)
{
	if (uri_last)
		snprintf(out, max, "Digest username=\"alice@example.org\", realm=\"example.org\", "
			 "nonce=\"abc\", response=\"%s\", qop=auth, nc=00000001, cnonce=\"xyz\", "
			 "uri=\"%s\"", resp, uri);
	else
		snprintf(out, max, "Digest username=\"alice@example.org\", realm=\"example.org\", "
			 "nonce=\"abc\", uri=\"%s\", response=\"%s\", qop=auth, nc=00000001, "
			 "cnonce=\"xyz\"", uri, resp);
}

static void digest_quirk_uri(struct test_ctx *t)
{
	char hdr[1024], resp[DIGEST_HEX_MAX], ha1[DIGEST_HEX_MAX];
	size_t i;
	int last;

	CHECK_INT(t, digest_ha1_hex(MCX_HASH_MD5, PL("alice@example.org"), PL("example.org"),
				    PL("secret"), ha1), MCX_OK);
	for (i = 0; i < sizeof(quirk_targets) / sizeof(quirk_targets[0]); i++) {
		const char *tg = quirk_targets[i];

		client_response(MCX_HASH_MD5, "alice@example.org", "example.org", "secret", "PUT",
				tg, "abc", "00000001", "xyz", resp);
		for (last = 0; last < 2; last++) {
			quirk_header(hdr, sizeof(hdr), tg, resp, last);
			CHECK_INT(t, parse_s(hdr, tg, &dp), MCX_OK);
			CHECK(t, pl_is(dp.uri, tg));
			CHECK(t, pl_is(dp.response, resp));
			CHECK(t, pl_is(dp.cnonce, "xyz"));
			CHECK(t, digest_uri_matches(&dp, tg, strlen(tg)));
			CHECK(t, digest_response_ok(&dp, "PUT", MCX_HASH_MD5, ha1));
		}
	}
	/* without the target the fallback still finds the end of simple selectors */
	quirk_header(hdr, sizeof(hdr), quirk_targets[1], "0", false);
	CHECK_INT(t, parse_s(hdr, NULL, &dp), MCX_OK);
	CHECK(t, pl_is(dp.uri, quirk_targets[1]));
	quirk_header(hdr, sizeof(hdr), quirk_targets[3], "0", false);
	CHECK_INT(t, parse_s(hdr, "/other", &dp), MCX_OK);
	CHECK(t, pl_is(dp.uri, quirk_targets[3]));
	CHECK(t, !digest_uri_matches(&dp, "/other", 6));
	/* ...but not one with '", ' inside: no wrong answer, just a parse error */
	quirk_header(hdr, sizeof(hdr), quirk_targets[5], "0", false);
	CHECK_INT(t, parse_s(hdr, NULL, &dp), MCX_EINVAL);
}

static void digest_escaped_uri(struct test_ctx *t)
{
	const char *tg = "/xcap-root/resource-lists/users/sip:a@b/index/~~/"
			 "resource-lists/list[@name=\"f\"]";
	char resp[DIGEST_HEX_MAX], ha1[DIGEST_HEX_MAX], hdr[1024];

	client_response(MCX_HASH_SHA256, "a@b", "b", "pw", "GET", tg, "n", "0000000a", "c", resp);
	snprintf(hdr, sizeof(hdr), "Digest username=\"a@b\", realm=\"b\", nonce=\"n\", "
		 "uri=\"/xcap-root/resource-lists/users/sip:a@b/index/~~/resource-lists/"
		 "list[@name=\\\"f\\\"]\", response=\"%s\", algorithm=SHA-256, qop=auth, "
		 "nc=0000000a, cnonce=\"c\"", resp);
	CHECK_INT(t, parse_s(hdr, tg, &dp), MCX_OK);
	CHECK(t, pl_is(dp.uri, tg));
	CHECK(t, digest_uri_matches(&dp, tg, strlen(tg)));
	CHECK_INT(t, digest_ha1_hex(MCX_HASH_SHA256, PL("a@b"), PL("b"), PL("pw"), ha1), MCX_OK);
	CHECK(t, digest_response_ok(&dp, "GET", MCX_HASH_SHA256, ha1));
	/* the same with no target known */
	CHECK_INT(t, parse_s(hdr, NULL, &dp), MCX_OK);
	CHECK(t, pl_is(dp.uri, tg));
	/* escapes elsewhere are undone too */
	CHECK_INT(t, parse_s("Digest username=\"Mu\\\"fa\\\\sa\", realm=\"r\\e\", nonce=n, "
			     "uri=\"/\", response=\"\"", "/", &dp), MCX_OK);
	CHECK(t, pl_is(dp.username, "Mu\"fa\\sa"));
	CHECK(t, pl_is(dp.realm, "re"));
	CHECK(t, pl_is(dp.nonce, "n"));
	CHECK(t, dp.response.p && dp.response.l == 0);
}

static const char *const rfc_params[] = {
	"username=\"" RFC_USER "\"", "realm=\"" RFC_REALM "\"", "uri=\"" RFC_URI "\"",
	"algorithm=SHA-256", "nonce=\"" RFC_NONCE "\"", "nc=00000001",
	"cnonce=\"" RFC_CNONCE "\"", "qop=auth", "response=\"" RFC_SHA256 "\"",
	"opaque=\"" RFC_OPAQUE "\"",
};
#define NRFC (sizeof(rfc_params) / sizeof(rfc_params[0]))

static void join_params(char *out, size_t max, const size_t *order)
{
	size_t i, o;

	o = (size_t)snprintf(out, max, "Digest ");
	for (i = 0; i < NRFC && o < max; i++)
		o += (size_t)snprintf(out + o, max - o, "%s%s", i ? ", " : "", rfc_params[order[i]]);
}

static void digest_param_order(struct test_ctx *t)
{
	size_t order[NRFC], i, r;
	unsigned long seed = 12345;
	char hdr[1024];

	for (r = 0; r < 2 * NRFC + 200; r++) {
		for (i = 0; i < NRFC; i++) {
			if (r < NRFC)
				order[i] = (i + r) % NRFC;           /* rotations */
			else if (r < 2 * NRFC)
				order[i] = (NRFC - 1 - i + r) % NRFC; /* reversed rotations */
			else
				order[i] = i;
		}
		for (i = NRFC - 1; r >= 2 * NRFC && i > 0; i--) { /* seeded shuffles */
			size_t j, tmp;

			seed = seed * 1103515245UL + 12345UL;
			j = (seed >> 16) % (i + 1);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		join_params(hdr, sizeof(hdr), order);
		CHECK_INT(t, parse_s(hdr, RFC_URI, &dp), MCX_OK);
		CHECK(t, pl_is(dp.uri, RFC_URI));
		CHECK(t, pl_is(dp.opaque, RFC_OPAQUE));
		CHECK(t, rfc_ok(&dp, MCX_HASH_SHA256, RFC_PASS));
	}
}

static void digest_whitespace_case(struct test_ctx *t)
{
	CHECK_INT(t, parse_s(" \tdIgEsT  USERNAME = \"" RFC_USER "\" ,Realm=\t\"" RFC_REALM "\",,"
			     " , URI =\"" RFC_URI "\"  ,algorithm = sha-256, NONCE=\"" RFC_NONCE
			     "\",nc=00000001 , CNonce=\"" RFC_CNONCE "\",qop= \"auth\", "
			     "Response=\"" RFC_SHA256 "\" ,  \t", RFC_URI, &dp), MCX_OK);
	CHECK(t, pl_is(dp.username, RFC_USER));
	CHECK(t, pl_is(dp.qop, "auth"));
	CHECK(t, dp.opaque.p == NULL);
	CHECK(t, rfc_ok(&dp, MCX_HASH_SHA256, RFC_PASS));
}

static void digest_unknown_ignored(struct test_ctx *t)
{
	CHECK_INT(t, parse_s("Digest foo=bar, username=\"" RFC_USER "\", x-y=\"a, b=\\\"c\", "
			     "realm=\"" RFC_REALM "\", charset=UTF-8, uri=\"" RFC_URI "\", "
			     "algorithm=SHA-256, nonce=\"" RFC_NONCE "\", nc=00000001, "
			     "cnonce=\"" RFC_CNONCE "\", qop=auth, response=\"" RFC_SHA256 "\", "
			     "username*=UTF-8''M%C3%BCfasa, z=\"\"", RFC_URI, &dp), MCX_OK);
	CHECK(t, pl_is(dp.username, RFC_USER));
	CHECK(t, rfc_ok(&dp, MCX_HASH_SHA256, RFC_PASS));
	/* username* alone does not stand in for username */
	CHECK_INT(t, parse_s("Digest username*=UTF-8''M%C3%BCfasa, realm=r, nonce=n, uri=\"/\", "
			     "response=r", "/", &dp), MCX_EINVAL);
	CHECK(t, dp.why != NULL);
}

static void digest_duplicate_rejected(struct test_ctx *t)
{
	static const char *const bad[] = {
		"Digest username=a, username=a, realm=r, nonce=n, uri=\"/\", response=r",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=r, REALM=r",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=r, Uri=\"/\"",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=r, foo=1, FOO=2",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=r, qop=auth, qop=auth",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(t, parse_s(bad[i], "/", &dp), MCX_EINVAL);
		CHECK(t, dp.why && strstr(dp.why, "duplicate"));
		CHECK(t, dp.username.p == NULL);
	}
}

static void digest_garbage_rejected(struct test_ctx *t)
{
	static const char *const bad[] = {
		"", " ", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Digest", "Digest ", "Digestusername=a",
		"Digest,username=a", "Digest username", "Digest username=", "Digest username=,",
		"Digest =a", "Digest username=a realm=b", "Digest username=\"a",
		"Digest username=\"a\\", "Digest username=\"a\"b\", realm=r",
		"Digest username=\"a\nb\", realm=r, nonce=n, uri=\"/\", response=r",
		"Digest username=a,\r\n realm=r, nonce=n, uri=\"/\", response=r",
		"Digest username=a, realm=r, nonce=n, uri=\"/\"",
		"Digest realm=r, nonce=n, uri=\"/\", response=r",
		"Digest username=a, realm=r, nonce=n, uri=/, response=r",
		"Digest username=a, realm=r, nonce=n, uri=\"/\x01\", response=r",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=r;",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=\"r\"x",
		"Digest username=a, realm=r, nonce=n, uri=\"/\" response=r",
		"Digest username=\"\x7f\", realm=r, nonce=n, uri=\"/\", response=r",
		"Digest username=a, realm=r, nonce=n, uri=\"/\\", "Digest uri=\"",
		"Digest uri=\"\\", "Digest uri=\"a\"b\"c",
		"Digest username=a, realm=r, nonce=n, uri=\"/\", response=r, =",
	};
	static const char nul[] = "Digest username=a\0, realm=r, nonce=n, uri=\"/\", response=r";
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_s(bad[i], "/", &dp) != MCX_EINVAL) {
			test_fail(t, __FILE__, __LINE__, "accepted: %s", bad[i]);
			return;
		}
		CHECK(t, dp.why != NULL);
	}
	CHECK_INT(t, digest_parse(nul, sizeof(nul) - 1, "/", 1, &dp), MCX_EINVAL);
	CHECK_INT(t, digest_parse(NULL, 0, NULL, 0, &dp), MCX_EINVAL);
	/* a quoted NUL is a control character too */
	CHECK_INT(t, digest_parse("Digest username=\"\0\"", 19, NULL, 0, &dp), MCX_EINVAL);
}

static void digest_limits(struct test_ctx *t)
{
	static char hdr[DIGEST_HDR_MAX + 64];
	size_t o, i;

	/* exactly DIGEST_HDR_MAX parses, one more byte does not */
	o = (size_t)snprintf(hdr, sizeof(hdr),
			     "Digest username=a, realm=r, nonce=n, uri=\"/\", response=r, pad=\"");
	memset(hdr + o, 'x', DIGEST_HDR_MAX - o - 1);
	hdr[DIGEST_HDR_MAX - 1] = '"';
	CHECK_INT(t, digest_parse(hdr, DIGEST_HDR_MAX, "/", 1, &dp), MCX_OK);
	hdr[DIGEST_HDR_MAX] = ' ';
	CHECK_INT(t, digest_parse(hdr, DIGEST_HDR_MAX + 1, "/", 1, &dp), MCX_ELIMIT);
	/* DIGEST_PARAMS_MAX parameters parse, one more does not */
	o = (size_t)snprintf(hdr, sizeof(hdr),
			     "Digest username=a, realm=r, nonce=n, uri=\"/\", response=r");
	for (i = 5; i < DIGEST_PARAMS_MAX; i++)
		o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, ", p%zu=1", i);
	CHECK_INT(t, digest_parse(hdr, o, "/", 1, &dp), MCX_OK);
	o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, ", extra=1");
	CHECK_INT(t, digest_parse(hdr, o, "/", 1, &dp), MCX_ELIMIT);
	CHECK(t, dp.why != NULL);
}

/* Every prefix of a valid header: OK or EINVAL, and never a read past the
 * prefix (each prefix is copied into an exact-size heap block for ASan). */
static void truncations(struct test_ctx *t, const char *hdr, const char *target)
{
	size_t n, len = strlen(hdr);

	for (n = 0; n <= len; n++) {
		char *p = mcx_malloc(n ? n : 1);
		enum mcx_err err;

		CHECK(t, p != NULL);
		memcpy(p, hdr, n);
		err = digest_parse(p, n, target, target ? strlen(target) : 0, &dp);
		mcx_free(p);
		if (err != MCX_OK && err != MCX_EINVAL) {
			test_fail(t, __FILE__, __LINE__, "prefix %zu: error %d", n, (int)err);
			return;
		}
		if (n == len)
			CHECK_INT(t, err, MCX_OK);
	}
}

static void digest_truncated(struct test_ctx *t)
{
	char hdr[1024];
	size_t i;

	truncations(t, RFC_HDR("SHA-256", RFC_SHA256), RFC_URI);
	truncations(t, RFC_HDR("SHA-256", RFC_SHA256), NULL);
	for (i = 0; i < sizeof(quirk_targets) / sizeof(quirk_targets[0]); i++) {
		quirk_header(hdr, sizeof(hdr), quirk_targets[i], "00", i & 1);
		truncations(t, hdr, quirk_targets[i]);
	}
	truncations(t, "Digest username=\"Mu\\\"fasa\", realm=\"a\\\\b\", nonce=n, "
		    "uri=\"/x[@a=\\\"b\\\"]\", response=r", NULL);
}

static void digest_check_semantics(struct test_ctx *t)
{
	static const struct { const char *extra; enum digest_check want; } cases[] = {
		{ "qop=auth, nc=00000001, cnonce=c", DIGEST_CHECK_OK },
		{ "qop=AUTH, nc=0000000F, cnonce=c, userhash=false", DIGEST_CHECK_OK },
		{ "qop=auth, nc=00000001, cnonce=c, algorithm=MD5", DIGEST_CHECK_OK },
		{ "nc=00000001, cnonce=c", DIGEST_CHECK_QOP },
		{ "qop=auth-int, nc=00000001, cnonce=c", DIGEST_CHECK_QOP },
		{ "qop=\"auth,auth-int\", nc=00000001, cnonce=c", DIGEST_CHECK_QOP },
		{ "qop=auth, nc=00000001, cnonce=c, algorithm=MD5-sess", DIGEST_CHECK_ALGORITHM },
		{ "qop=auth, nc=00000001, cnonce=c, algorithm=SHA-256-sess", DIGEST_CHECK_ALGORITHM },
		{ "qop=auth, nc=00000001, cnonce=c, algorithm=SHA-512-256", DIGEST_CHECK_ALGORITHM },
		{ "qop=auth, nc=00000001, cnonce=c, algorithm=\"\"", DIGEST_CHECK_ALGORITHM },
		{ "qop=auth, nc=00000001, cnonce=c, userhash=true", DIGEST_CHECK_USERHASH },
		{ "qop=auth, nc=00000001, cnonce=c, userhash=maybe", DIGEST_CHECK_BAD },
		{ "qop=auth, nc=1, cnonce=c", DIGEST_CHECK_BAD },
		{ "qop=auth, nc=0000000g, cnonce=c", DIGEST_CHECK_BAD },
		{ "qop=auth, nc=00000001", DIGEST_CHECK_BAD },
		{ "qop=auth, nc=00000001, cnonce=\"\"", DIGEST_CHECK_BAD },
		{ "qop=auth, cnonce=c", DIGEST_CHECK_BAD },
	};
	char hdr[512];
	enum mcx_hash alg;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Digest username=a, realm=r, nonce=n, uri=\"/\", "
			 "response=0123456789abcdef0123456789ABCDEF, %s", cases[i].extra);
		CHECK_INT(t, parse_s(hdr, "/", &dp), MCX_OK);
		if (digest_params_check(&dp, &alg) != cases[i].want) {
			test_fail(t, __FILE__, __LINE__, "%s: got %d (%s)", cases[i].extra,
				  (int)digest_params_check(&dp, &alg),
				  digest_check_str(digest_params_check(&dp, &alg)));
			return;
		}
		if (cases[i].want != DIGEST_CHECK_OK)
			CHECK(t, !digest_response_ok(&dp, "GET", MCX_HASH_MD5,
						     "3d78807defe7de2157e2b0b6573a855f"));
	}
	/* a response of the wrong length for the algorithm */
	CHECK_INT(t, parse_s(RFC_HDR("SHA-256", RFC_MD5), NULL, &dp), MCX_OK);
	CHECK_INT(t, digest_params_check(&dp, &alg), DIGEST_CHECK_BAD);
	CHECK(t, strstr(digest_check_str(DIGEST_CHECK_USERHASH), "userhash") != NULL);
}

static void digest_nonce(struct test_ctx *t)
{
	char n1[DIGEST_NONCE_MAX], n2[DIGEST_NONCE_MAX], bad[DIGEST_NONCE_MAX];
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const int64_t now = 1700000000;
	size_t i;

	CHECK_INT(t, digest_nonce_make(key1, sizeof(key1), "example.org", now, n1), MCX_OK);
	CHECK_INT(t, digest_nonce_make(key1, sizeof(key1), "example.org", now, n2), MCX_OK);
	CHECK_INT(t, strlen(n1), DIGEST_NONCE_LEN);
	CHECK(t, strcmp(n1, n2) != 0);
	CHECK(t, strspn(n1, b64) == DIGEST_NONCE_LEN);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(n1), now, 300),
		  DIGEST_NONCE_OK);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(n1), now + 300, 300),
		  DIGEST_NONCE_OK);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(n1), now + 301, 300),
		  DIGEST_NONCE_STALE);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(n1), now - 5, 300),
		  DIGEST_NONCE_OK);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(n1), now - 3600, 300),
		  DIGEST_NONCE_STALE);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(n1), INT64_MIN, 300),
		  DIGEST_NONCE_STALE);
	/* other realm, other key */
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.com", pl_str(n1), now, 300),
		  DIGEST_NONCE_BAD);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "", pl_str(n1), now, 300),
		  DIGEST_NONCE_BAD);
	CHECK_INT(t, digest_nonce_check(key2, sizeof(key2), "example.org", pl_str(n1), now, 300),
		  DIGEST_NONCE_BAD);
	CHECK_INT(t, digest_nonce_check(key1, 16, "example.org", pl_str(n1), now, 300),
		  DIGEST_NONCE_BAD);
	/* every character changed, one at a time */
	for (i = 0; i < DIGEST_NONCE_LEN; i++) {
		memcpy(bad, n1, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(bad), now,
						300), DIGEST_NONCE_BAD);
	}
	/* other spellings of the same bytes: stray low bits in the last character
	 * (43 characters carry 258 bits for 256), and '+' '/' for '-' '_' */
	memcpy(bad, n1, sizeof(bad));
	bad[DIGEST_NONCE_LEN - 1] = b64[(strchr(b64, bad[DIGEST_NONCE_LEN - 1]) - b64) ^ 1];
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(bad), now, 300),
		  DIGEST_NONCE_BAD);
	memcpy(bad, n1, sizeof(bad));
	for (i = 0; i < DIGEST_NONCE_LEN; i++)
		if (bad[i] == '-' || bad[i] == '_')
			bad[i] = bad[i] == '-' ? '+' : '/';
	if (strcmp(bad, n1))
		CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_str(bad), now,
						300), DIGEST_NONCE_BAD);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org",
					pl_make(n1, DIGEST_NONCE_LEN - 1), now, 300), DIGEST_NONCE_BAD);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", PL("abc"), now, 300),
		  DIGEST_NONCE_BAD);
	CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", pl_make(NULL, 0), now,
					300), DIGEST_NONCE_BAD);
	/* a short key, no realm, an over-long realm */
	CHECK_INT(t, digest_nonce_make(key1, DIGEST_KEY_MIN - 1, "example.org", now, n2), MCX_EINVAL);
	CHECK_INT(t, digest_nonce_make(key1, sizeof(key1), NULL, now, n2), MCX_EINVAL);
	{
		char realm[DIGEST_REALM_MAX + 2];

		memset(realm, 'r', sizeof(realm) - 1);
		realm[sizeof(realm) - 1] = '\0';
		CHECK_INT(t, digest_nonce_make(key1, sizeof(key1), realm, now, n2), MCX_EINVAL);
		realm[DIGEST_REALM_MAX] = '\0';
		CHECK_INT(t, digest_nonce_make(key1, sizeof(key1), realm, now, n2), MCX_OK);
		CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), realm, pl_str(n2), now, 1),
			  DIGEST_NONCE_OK);
	}
}

/* In OOM mode an injected MCX_ENOMEM ends the test; b is freed either way. */
#define CHALLENGE_OOM_OK(t, b, err) do { if ((t)->in_oom && (err) == MCX_ENOMEM) { \
	buf_reset(b); return; } } while (0)

static void digest_challenge_text(struct test_ctx *t)
{
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, 1024);
	err = digest_challenge(&b, digest_offer[0], "example.org", "NONCE", "OPQ", false);
	CHALLENGE_OOM_OK(t, &b, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, b.p, "Digest realm=\"example.org\", qop=\"auth\", algorithm=SHA-256, "
		  "nonce=\"NONCE\", opaque=\"OPQ\"");
	buf_reset(&b);
	err = digest_challenge(&b, digest_offer[1], "a \"q\" \\ b", "N", NULL, true);
	CHALLENGE_OOM_OK(t, &b, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, b.p, "Digest realm=\"a \\\"q\\\" \\\\ b\", qop=\"auth\", algorithm=MD5, "
		  "nonce=\"N\", stale=true");
	buf_reset(&b);
	CHECK_INT(t, digest_challenge(&b, MCX_HASH_MD5, "a\r\nSet-Cookie: x", "N", NULL, false),
		  MCX_EINVAL);
	CHECK_INT(t, digest_challenge(&b, MCX_HASH_MD5, "r", "N", "o\n", false), MCX_EINVAL);
	CHECK_INT(t, digest_challenge(&b, MCX_HASH_MD5, "r", NULL, NULL, false), MCX_EINVAL);
	CHECK_INT(t, b.len, 0);
	/* a full buffer is left as it was */
	buf_init(&b, 40);
	err = buf_adds(&b, "keep");
	CHALLENGE_OOM_OK(t, &b, err);
	CHECK_INT(t, err, MCX_OK);
	err = digest_challenge(&b, MCX_HASH_SHA256, "example.org", "NONCE", NULL, false);
	CHALLENGE_OOM_OK(t, &b, err);
	if (err != MCX_ELIMIT || strcmp(b.p, "keep")) {
		buf_reset(&b);
		test_fail(t, __FILE__, __LINE__, "full buffer: error %d", (int)err);
		return;
	}
	buf_reset(&b);
}

/* The whole exchange: challenge, client answer, every server-side check. */
static void digest_round_trip(struct test_ctx *t)
{
	const char *tg = "/xcap-root/resource-lists/users/sip:alice@example.org/index/~~/"
			 "resource-lists/list[@name=\"friends\"]/entry[@uri=\"sip:bob@example.org\"]";
	char nonce[DIGEST_NONCE_MAX], resp[DIGEST_HEX_MAX], ha1[DIGEST_HEX_MAX], hdr[1024];
	struct pl name, domain;
	enum mcx_hash alg;
	size_t i;

	for (i = 0; i < DIGEST_OFFER_N; i++) {
		CHECK_INT(t, digest_nonce_make(key1, sizeof(key1), "example.org", 1000, nonce), MCX_OK);
		client_response(digest_offer[i], "alice@example.org", "example.org", "pw", "PUT", tg,
				nonce, "00000001", "0a4f113b", resp);
		snprintf(hdr, sizeof(hdr), "Digest username=\"alice@example.org\", "
			 "realm=\"example.org\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
			 "algorithm=%s, qop=auth, nc=00000001, cnonce=\"0a4f113b\", opaque=\"o\"",
			 nonce, tg, resp, digest_alg_name(digest_offer[i]));
		CHECK_INT(t, parse_s(hdr, tg, &dp), MCX_OK);
		CHECK_INT(t, digest_params_check(&dp, &alg), DIGEST_CHECK_OK);
		CHECK_INT(t, alg, digest_offer[i]);
		CHECK(t, pl_is(dp.realm, "example.org"));
		CHECK_INT(t, digest_nonce_check(key1, sizeof(key1), "example.org", dp.nonce, 1010, 60),
			  DIGEST_NONCE_OK);
		CHECK(t, digest_uri_matches(&dp, tg, strlen(tg)));
		CHECK(t, digest_user_split(dp.username, &name, &domain));
		CHECK(t, pl_is(name, "alice") && pl_is(domain, "example.org"));
		CHECK_INT(t, digest_ha1_hex(alg, dp.username, dp.realm, PL("pw"), ha1), MCX_OK);
		CHECK(t, digest_response_ok(&dp, "PUT", alg, ha1));
		CHECK(t, !digest_response_ok(&dp, "GET", alg, ha1));
	}
	/* the inputs of HA1 are bounded too */
	CHECK_INT(t, digest_ha1_hex(MCX_HASH_MD5, pl_make(dp.scratch, DIGEST_HDR_MAX - 1), PL("r"),
				    PL(""), ha1), MCX_OK);
	CHECK_INT(t, digest_ha1_hex(MCX_HASH_MD5, pl_make(dp.scratch, DIGEST_HDR_MAX), PL("r"),
				    PL(""), ha1), MCX_ELIMIT);
}

static void digest_uri_match(struct test_ctx *t)
{
	static const struct { const char *uri, *target; bool ok; } cases[] = {
		{ "/dir/index.html", "/dir/index.html", true },
		{ "/dir/index.html", "/dir/index.htm", false },
		{ "/dir/index.html", "/dir/index.html?", false },
		{ "http://example.org/dir/index.html", "/dir/index.html", true },
		{ "https://user@example.org:8443/a/b?c=d&e", "/a/b?c=d&e", true },
		{ "HTTP://example.org/x?y", "/x?y", true },
		{ "http://example.org", "/", true },
		{ "http://example.org?q=1", "/?q=1", true },
		{ "http://example.org/other", "/dir", false },
		{ "http:/example.org/dir", "/dir", false },
		{ "1http://example.org/dir", "/dir", false },
		{ "http://example.org/dir#frag", "/dir", false },
		{ "*", "*", true },
	};
	char hdr[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Digest username=a, realm=r, nonce=n, uri=\"%s\", response=r",
			 cases[i].uri);
		CHECK_INT(t, parse_s(hdr, NULL, &dp), MCX_OK);
		if (digest_uri_matches(&dp, cases[i].target, strlen(cases[i].target)) != cases[i].ok) {
			test_fail(t, __FILE__, __LINE__, "%s vs %s", cases[i].uri, cases[i].target);
			return;
		}
	}
	CHECK(t, !digest_uri_matches(&dp, "", 0));
	CHECK(t, !digest_uri_matches(&dp, NULL, 0));
}

static void digest_user_parts(struct test_ctx *t)
{
	struct pl name, domain;

	CHECK(t, digest_user_split(PL("alice@example.org"), &name, &domain));
	CHECK(t, pl_is(name, "alice") && pl_is(domain, "example.org"));
	CHECK(t, digest_user_split(PL("alice"), &name, &domain));
	CHECK(t, pl_is(name, "alice") && domain.p == NULL && domain.l == 0);
	CHECK(t, digest_user_split(PL("a@b@c.org"), &name, &domain));
	CHECK(t, pl_is(name, "a@b") && pl_is(domain, "c.org"));
	CHECK(t, !digest_user_split(PL(""), &name, &domain));
	CHECK(t, !digest_user_split(PL("@example.org"), &name, &domain));
	CHECK(t, !digest_user_split(PL("alice@"), &name, &domain));
	CHECK(t, !digest_user_split(PL("@"), &name, &domain));
	CHECK(t, digest_alg_parse(PL("md5"), &(enum mcx_hash){ MCX_HASH_SHA256 }));
	CHECK(t, !digest_alg_parse(PL("MD5-sess"), &(enum mcx_hash){ MCX_HASH_SHA256 }));
	CHECK_STR(t, digest_alg_name(MCX_HASH_SHA256), "SHA-256");
	CHECK_STR(t, digest_alg_name(MCX_HASH_MD5), "MD5");
}

const struct test tests_digest[] = {
	{ "digest_rfc7616_md5", digest_rfc7616_md5, false },
	{ "digest_rfc7616_sha256", digest_rfc7616_sha256, false },
	{ "digest_wrong_password", digest_wrong_password, false },
	{ "digest_quirk_uri", digest_quirk_uri, false },
	{ "digest_escaped_uri", digest_escaped_uri, false },
	{ "digest_param_order", digest_param_order, false },
	{ "digest_whitespace_case", digest_whitespace_case, false },
	{ "digest_unknown_ignored", digest_unknown_ignored, false },
	{ "digest_duplicate_rejected", digest_duplicate_rejected, false },
	{ "digest_garbage_rejected", digest_garbage_rejected, false },
	{ "digest_limits", digest_limits, false },
	{ "digest_truncated", digest_truncated, false },
	{ "digest_check_semantics", digest_check_semantics, false },
	{ "digest_nonce", digest_nonce, false },
	{ "digest_challenge_text", digest_challenge_text, true },
	{ "digest_round_trip", digest_round_trip, false },
	{ "digest_uri_match", digest_uri_match, false },
	{ "digest_user_parts", digest_user_parts, false },
	{ NULL, NULL, false }
};
