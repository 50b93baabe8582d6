/* OMA DM security tests: the vectors of OMADM-NOTES (auth-md5, auth-basic,
 * x-syncml-hmac, Package 0), bootstrap SEC/MAC (HMAC-SHA1 with the RFC 2202
 * vectors), the 212/401/407 challenge flow, nonce rotation, w7 documents. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "dm/auth.h"
#include "dm/b64.h"
#include "dm/bootstrap.h"
#include "dm/pkg0.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/w7.h"
#include "dm/wbxml.h"

static struct dm_nonce nonce_of(const char *s)
{
	struct dm_nonce n = { .len = strlen(s) };

	memcpy(n.b, s, n.len);
	return n;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void dm_b64_vectors(struct test_ctx *t)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					   "Zm9vYmFy" };
	uint8_t buf[16];
	char out[16];
	size_t i;

	for (i = 0; i < 7; i++) {
		b64_encode((const uint8_t *)plain[i], strlen(plain[i]), out);
		CHECK_STR(t, out, enc[i]);
		CHECK_INT(t, b64_decode(enc[i], strlen(enc[i]), buf, sizeof(buf)), strlen(plain[i]));
		CHECK_MEM(t, buf, strlen(plain[i]), plain[i], strlen(plain[i]));
	}
	CHECK_INT(t, b64_decode("Zm9v\r\nYmFy", 10, buf, sizeof(buf)), 6);
	CHECK_INT(t, b64_decode("Zm9vYg", 6, buf, sizeof(buf)), 4);
	CHECK_INT(t, b64_decode("Zm9vYg=", 7, buf, sizeof(buf)), -1);
	CHECK_INT(t, b64_decode("Zm=9v", 5, buf, sizeof(buf)), -1);
	CHECK_INT(t, b64_decode("Z", 1, buf, sizeof(buf)), -1);
	CHECK_INT(t, b64_decode("Zm9vYmFy", 8, buf, 5), -1);
	CHECK_INT(t, b64_decode("Zh==", 4, buf, sizeof(buf)), -1);	/* non-zero pad bits */
}

/* OMADM-NOTES 1.6: Bruce2 / OhBehave / "Nonce" -> Zz6EivR3yeaaENcRN6lpAQ== */
static void dm_auth_md5_vector(struct test_ctx *t)
{
	struct dm_nonce n = nonce_of("Nonce");
	char out[DM_B64_MD5_LEN], ha[DM_B64_MD5_LEN];
	uint8_t d[16];

	CHECK_INT(t, dm_auth_md5("Bruce2", "OhBehave", &n, out), MCX_OK);
	CHECK_STR(t, out, "Zz6EivR3yeaaENcRN6lpAQ==");
	/* a server keeping only B64(MD5(user:pwd)) gets the same */
	crypto_hash(MCX_HASH_MD5, "Bruce2:OhBehave", 15, d);
	b64_encode(d, 16, ha);
	CHECK_INT(t, dm_auth_md5_from_ha(ha, &n, out), MCX_OK);
	CHECK_STR(t, out, "Zz6EivR3yeaaENcRN6lpAQ==");
	n = nonce_of("Nonce2");
	CHECK_INT(t, dm_auth_md5("Bruce2", "OhBehave", &n, out), MCX_OK);
	CHECK(t, strcmp(out, "Zz6EivR3yeaaENcRN6lpAQ=="));
}

static enum mcx_err msg_with(enum dm_auth_type type, const char *user, const char *pwd,
			     const struct dm_nonce *n, struct dm_msg **mp)
{
	struct dm_msg *m = NULL;
	enum mcx_err e = dm_msg_alloc(&m, NULL);

	if (!e)
		e = dm_hdr_init(m, "1", 1, "https://s/dm", "urn:uuid:ue-1");
	if (!e && type != DM_AUTH_NONE)
		e = dm_auth_cred_set(m, type, user, pwd, n);
	if (e) {
		dm_msg_free(m);
		return e;
	}
	*mp = m;
	return MCX_OK;
}

/* auth-basic: the notes' vector; refused (401) unless the transport is TLS. */
static void dm_auth_basic_tls(struct test_ctx *t)
{
	struct dm_auth_policy p = { DM_AUTH_MD5, false, "Bruce2", "OhBehave", NULL };
	struct dm_msg *m = NULL;
	char out[64];
	enum mcx_err e;

	CHECK_INT(t, dm_auth_basic("Bruce2", "OhBehave", out, sizeof(out)), MCX_OK);
	CHECK_STR(t, out, "QnJ1Y2UyOk9oQmVoYXZl");
	CHECK_INT(t, dm_auth_basic("Bruce2", "OhBehave", out, 20), MCX_ELIMIT);
	CHECK_INT(t, msg_with(DM_AUTH_BASIC, "Bruce2", "OhBehave", NULL, &m), MCX_OK);
	CHECK_STR(t, m->hdr.cred->data->p, "QnJ1Y2UyOk9oQmVoYXZl");
	e = dm_auth_check(&m->hdr, &p);
	CHECK_INT(t, e, MCX_EPERM);
	CHECK_INT(t, dm_auth_status(e), 401);
	p.tls = true;
	e = dm_auth_check(&m->hdr, &p);
	CHECK_INT(t, e, MCX_OK);
	CHECK_INT(t, dm_auth_status(e), 212);
	p.pwd = "wrong";
	CHECK_INT(t, dm_auth_check(&m->hdr, &p), MCX_EAUTH);
	dm_msg_free(m);
	/* no Meta Type at all: SyncML's default is auth-basic */
	CHECK_INT(t, msg_with(DM_AUTH_BASIC, "Bruce2", "OhBehave", NULL, &m), MCX_OK);
	m->hdr.cred->meta->type = NULL;
	p.pwd = "OhBehave";
	CHECK_INT(t, dm_auth_check(&m->hdr, &p), MCX_OK);
	m->hdr.cred->meta->format = (char *)"chr";
	CHECK_INT(t, dm_auth_check(&m->hdr, &p), MCX_EINVAL);
	dm_msg_free(m);
}

/* The recorded AOSP client message carries auth-basic SampleServer:SampleServer. */
static void dm_auth_basic_real(struct test_ctx *t)
{
	struct dm_auth_policy p = { DM_AUTH_MD5, true, "SampleServer", "SampleServer", NULL };
	const char *dir = test_spec_dir();
	struct dm_msg *m = NULL;
	char path[512];
	size_t len;
	char *x;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/omadm/android-omadm/dm12/testreplace.wbxml", dir);
	x = test_read_file(path, &len);
	if (!x)
		return;
	CHECK_INT(t, dm_msg_parse_wbxml((const uint8_t *)x, len, NULL, &m, NULL, 0), MCX_OK);
	free(x);
	CHECK_INT(t, dm_auth_status(dm_auth_check(&m->hdr, &p)), 212);
	p.tls = false;
	CHECK_INT(t, dm_auth_status(dm_auth_check(&m->hdr, &p)), 401);
	dm_msg_free(m);
}

/* Server challenge and client response through real XML messages:
 *
 *   client                                server
 *     | Pkg1 (no Cred) ---------------------->|  407 + Chal md5 NextNonce N1
 *     |<-------------- Status SyncHdr 407 ----|
 *     | Pkg1 Cred md5(N1), wrong password --->|  401 + Chal NextNonce N2
 *     |<-------------- Status SyncHdr 401 ----|
 *     | Pkg1 Cred md5(N2) ------------------->|  212
 */
static enum mcx_err server_reply(const struct dm_msg *req, const struct dm_nonce *issued,
				 const struct dm_nonce *next, unsigned *code, struct mcx_buf *out)
{
	struct dm_auth_policy p = { DM_AUTH_MD5, false, "ue-1", "s3cret", issued };
	struct dm_msg *rep = NULL;
	struct dm_cmd *st = NULL;
	enum mcx_err e = dm_msg_alloc(&rep, NULL);

	*code = dm_auth_status(dm_auth_check(&req->hdr, &p));
	if (!e)
		e = dm_hdr_init(rep, "1", 1, req->hdr.source, req->hdr.target);
	if (!e)
		e = dm_status_add(rep, 1, req->hdr.msg_id, 0, "SyncHdr", *code, &st);
	if (!e && *code != 212)
		e = dm_auth_chal_set(rep, st, DM_AUTH_MD5, next);
	rep->final = true;
	buf_init(out, 1 << 16);
	if (!e)
		e = dm_msg_emit(rep, out);
	dm_msg_free(rep);
	return e;
}

static enum mcx_err client_take(const struct mcx_buf *x, struct dm_nonce *use,
				struct dm_nonce *stored, unsigned *code)
{
	struct dm_msg *rep = NULL;
	enum mcx_err e = dm_msg_parse(x->p, x->len, NULL, 0, &rep, NULL, 0);

	if (!e) {
		*code = rep->cmds->code;
		e = dm_nonce_accept(rep->cmds->chal, false, use, stored);
	}
	dm_msg_free(rep);
	return e;
}

static void dm_auth_challenge_flow(struct test_ctx *t)
{
	struct dm_nonce n1 = nonce_of("0123456789abcdef"), n2, use = { .len = 0 };
	struct dm_nonce stored = nonce_of("old-session");
	struct dm_msg *req = NULL;
	struct mcx_buf x;
	unsigned code = 0, seen = 0;

	CHECK_INT(t, dm_nonce_fresh(&n2), MCX_OK);
	CHECK_INT(t, n2.len, 16);
	CHECK(t, memcmp(n1.b, n2.b, 16));
	CHECK_INT(t, msg_with(DM_AUTH_NONE, NULL, NULL, NULL, &req), MCX_OK);
	CHECK_INT(t, server_reply(req, NULL, &n1, &code, &x), MCX_OK);
	dm_msg_free(req);
	CHECK_INT(t, code, 407);
	CHECK(t, strstr(x.p, "<NextNonce xmlns=\"syncml:metinf\">MDEyMzQ1Njc4OWFiY2RlZg==</NextNonce>"));
	CHECK_INT(t, client_take(&x, &use, &stored, &seen), MCX_OK);
	buf_reset(&x);
	CHECK_INT(t, seen, 407);
	CHECK_MEM(t, use.b, use.len, n1.b, n1.len);
	/* an unauthenticated server's nonce is used but not stored */
	CHECK_MEM(t, stored.b, stored.len, "old-session", 11);
	CHECK_INT(t, msg_with(DM_AUTH_MD5, "ue-1", "wrong", &use, &req), MCX_OK);
	CHECK_STR(t, req->hdr.source_name, "ue-1");
	CHECK_INT(t, server_reply(req, &n1, &n2, &code, &x), MCX_OK);
	dm_msg_free(req);
	CHECK_INT(t, code, 401);
	CHECK_INT(t, client_take(&x, &use, &stored, &seen), MCX_OK);
	buf_reset(&x);
	CHECK_MEM(t, use.b, use.len, n2.b, n2.len);
	CHECK_INT(t, msg_with(DM_AUTH_MD5, "ue-1", "s3cret", &use, &req), MCX_OK);
	CHECK_INT(t, server_reply(req, &n2, NULL, &code, &x), MCX_OK);
	buf_reset(&x);
	CHECK_INT(t, code, 212);
	/* the old nonce no longer works; nor does another user's name */
	CHECK_INT(t, server_reply(req, &n1, NULL, &code, &x), MCX_OK);
	buf_reset(&x);
	CHECK_INT(t, code, 401);
	req->hdr.source_name = (char *)"someone-else";
	CHECK_INT(t, server_reply(req, &n2, NULL, &code, &x), MCX_OK);
	buf_reset(&x);
	CHECK_INT(t, code, 401);
	dm_msg_free(req);
	/* an authenticated peer's NextNonce is stored for the next session */
	{
		struct dm_meta mt = { .next_nonce = (char *)"Tm9uY2U=" };
		struct dm_meta bad = { .next_nonce = (char *)"!!" };

		CHECK_INT(t, dm_nonce_accept(&mt, true, &use, &stored), MCX_OK);
		CHECK_MEM(t, stored.b, stored.len, "Nonce", 5);
		CHECK_INT(t, dm_nonce_accept(&bad, true, &use, &stored), MCX_EINVAL);
		CHECK_INT(t, dm_nonce_accept(NULL, true, &use, &stored), MCX_ENOENT);
	}
}

/* OMADM-NOTES 1.6: x-syncml-hmac over "<SyncML/>" -> urdCeS3JUmjFgi8SX3webw== */
static void dm_hmac_vector(struct test_ctx *t)
{
	static const char body[] = "<SyncML/>";
	struct dm_nonce n = nonce_of("Nonce");
	char mac[DM_B64_MD5_LEN];
	struct mcx_buf h;
	struct dm_hmac_hdr hh;
	static const char aosp[] = "algorithm=MD5,username=\"Bruce2\",mac=urdCeS3JUmjFgi8SX3webw==";

	CHECK_INT(t, dm_hmac_mac("Bruce2", "OhBehave", &n, body, 9, mac), MCX_OK);
	CHECK_STR(t, mac, "urdCeS3JUmjFgi8SX3webw==");
	buf_init(&h, DM_HMAC_HDR_MAX);
	CHECK_INT(t, dm_hmac_build("Bruce2", "OhBehave", &n, body, 9, &h), MCX_OK);
	CHECK_STR(t, h.p, "algorithm=MD5, username=\"Bruce2\", mac=urdCeS3JUmjFgi8SX3webw==");
	CHECK_INT(t, dm_hmac_verify(h.p, h.len, "Bruce2", "OhBehave", &n, body, 9), MCX_OK);
	buf_reset(&h);
	CHECK_INT(t, dm_hmac_verify(aosp, strlen(aosp), "Bruce2", "OhBehave", &n, body, 9), MCX_OK);
	CHECK_INT(t, dm_hmac_parse(aosp, strlen(aosp), &hh), MCX_OK);
	CHECK(t, pl_eqs(hh.username, "Bruce2") && pl_eqs(hh.algorithm, "MD5"));
	CHECK_INT(t, dm_hmac_verify(aosp, strlen(aosp), "Bruce2", "OhBehave", &n, "<SyncML />", 10),
		  MCX_EAUTH);
	CHECK_INT(t, dm_hmac_verify(aosp, strlen(aosp), "Bruce3", "OhBehave", &n, body, 9), MCX_EAUTH);
	CHECK_INT(t, dm_hmac_verify(aosp, strlen(aosp), "Bruce2", "x", &n, body, 9), MCX_EAUTH);
	n = nonce_of("Other");
	CHECK_INT(t, dm_hmac_verify(aosp, strlen(aosp), "Bruce2", "OhBehave", &n, body, 9), MCX_EAUTH);
	n = nonce_of("Nonce");
#define V(s) dm_hmac_verify(s, strlen(s), "Bruce2", "OhBehave", &n, body, 9)
	CHECK_INT(t, V("username=\"Bruce2\", mac=urdCeS3JUmjFgi8SX3webw=="), MCX_OK);
	CHECK_INT(t, V("algorithm=SHA1, username=\"Bruce2\", mac=urdCeS3JUmjFgi8SX3webw=="), MCX_EAUTH);
	CHECK_INT(t, V("algorithm=MD5, username=\"Bruce2\""), MCX_EINVAL);
	CHECK_INT(t, V("algorithm=MD5, username=\"Bruce2, mac=x"), MCX_EINVAL);
	CHECK_INT(t, V("username=a, username=b, mac=x"), MCX_EINVAL);
	CHECK_INT(t, V("=x"), MCX_EINVAL);
	CHECK_INT(t, V(""), MCX_EINVAL);
#undef V
}

/* OMADM-NOTES 3: the constructed Package 0 vector, and the spec example's header. */
static void dm_pkg0_vector(struct test_ctx *t)
{
	static const char want[] = "db5acfcb2f3999be5fd506fee53d6a0d02d8000000123412"
				   "636f6d2e6d676d747372762e6d616e616765";
	static const uint8_t spec_hdr[] = { 0x02, 0xD0, 0x00, 0x00, 0x00, 0x12, 0x34, 0x12 };
	struct dm_pkg0 in = { .version = 11, .ui = DM_PKG0_UI_BACKGROUND, .server_initiated = true,
			      .session_id = 0x1234, .server_id = PL("com.mgmtsrv.manage") };
	struct dm_nonce n = nonce_of("srvnonce");
	struct dm_pkg0 d;
	struct mcx_buf b;
	uint8_t pkt[64];
	char hx[256], sid[5];
	bool resync = true;

	buf_init(&b, DM_PKG0_MAX);
	CHECK_INT(t, dm_pkg0_encode(&in, "srvsecret", &n, &b), MCX_OK);
	hex((const uint8_t *)b.p, b.len, hx);
	CHECK_STR(t, hx, want);
	CHECK_INT(t, dm_pkg0_decode((const uint8_t *)b.p, b.len, &d, NULL, 0), MCX_OK);
	CHECK_INT(t, d.version, 11);
	CHECK_INT(t, d.ui, DM_PKG0_UI_BACKGROUND);
	CHECK(t, d.server_initiated);
	CHECK_INT(t, d.session_id, 0x1234);
	CHECK(t, pl_eqs(d.server_id, "com.mgmtsrv.manage"));
	CHECK_INT(t, d.vendor.l, 0);
	CHECK_INT(t, dm_pkg0_verify((const uint8_t *)b.p, b.len, &d, "srvsecret", &n), MCX_OK);
	CHECK_INT(t, dm_pkg0_verify((const uint8_t *)b.p, b.len, &d, "other", &n), MCX_EAUTH);
	CHECK_INT(t, dm_pkg0_verify_resync((const uint8_t *)b.p, b.len, &d, "srvsecret", &n, &resync),
		  MCX_OK);
	CHECK(t, !resync);
	dm_pkg0_session_hex(d.session_id, sid);
	CHECK_STR(t, sid, "1234");
	dm_pkg0_session_hex(0x00A, sid);
	CHECK_STR(t, sid, "A");
	/* the spec example's header: version 11, UI 1, client-side initiator */
	memcpy(pkt, b.p, 16);
	memcpy(pkt + 16, spec_hdr, 8);
	memcpy(pkt + 24, "com.mgmtsrv.manage", 18);
	CHECK_INT(t, dm_pkg0_decode(pkt, 42, &d, NULL, 0), MCX_OK);
	CHECK_INT(t, d.version, 11);
	CHECK_INT(t, d.ui, 1);
	CHECK(t, !d.server_initiated);
	CHECK_INT(t, d.session_id, 0x1234);
	buf_reset(&b);
}

static void dm_pkg0_roundtrip(struct test_ctx *t)
{
	struct dm_pkg0 in = { .version = 11, .ui = DM_PKG0_UI_INTERACTION, .server_initiated = true,
			      .session_id = 0xBEEF, .server_id = PL("mcx-laptop"),
			      .vendor = PL("\x01vendor") };
	struct dm_nonce n = nonce_of("0x00000000"), stored = nonce_of("stale");
	char err[128];
	struct dm_pkg0 d;
	struct mcx_buf b;
	bool resync = false;
	size_t k;

	buf_init(&b, DM_PKG0_MAX);
	CHECK_INT(t, dm_pkg0_encode(&in, "pw", &n, &b), MCX_OK);
	CHECK_INT(t, dm_pkg0_decode((const uint8_t *)b.p, b.len, &d, err, sizeof(err)), MCX_OK);
	CHECK_INT(t, d.ui, 3);
	CHECK_INT(t, d.session_id, 0xBEEF);
	CHECK(t, pl_eqs(d.server_id, "mcx-laptop"));
	CHECK(t, pl_eq(d.vendor, PL("\x01vendor")));
	/* digest made with the resync nonce: the stored one fails, resync matches */
	CHECK_INT(t, dm_pkg0_verify_resync((const uint8_t *)b.p, b.len, &d, "pw", &stored, &resync),
		  MCX_OK);
	CHECK(t, resync);
	for (k = 0; k < b.len - 7; k++) {	/* every prefix that cuts the server id */
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, b.p, k);
		if (dm_pkg0_decode(copy, k, &d, err, sizeof(err)) != MCX_EINVAL)
			test_fail(t, __FILE__, __LINE__, "prefix %zu accepted", k);
		free(copy);
	}
	b.p[16 + 3] |= 0x10;	/* a reserved bit */
	CHECK_INT(t, dm_pkg0_decode((const uint8_t *)b.p, b.len, &d, err, sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "reserved") != NULL);
	b.p[16 + 3] &= ~0x10;
	b.p[16] = 0x02;
	b.p[17] = (char)((b.p[17] & 0x3F) | 0x40);	/* version 9 */
	CHECK_INT(t, dm_pkg0_decode((const uint8_t *)b.p, b.len, &d, err, sizeof(err)), MCX_EINVAL);
	in.version = 20;
	CHECK_INT(t, dm_pkg0_encode(&in, "pw", &n, &b), MCX_EINVAL);
	in.version = 11;
	in.server_id = PL("");
	CHECK_INT(t, dm_pkg0_encode(&in, "pw", &n, &b), MCX_EINVAL);
	buf_reset(&b);
}

/* Bootstrap MAC = hex HMAC-SHA1: the RFC 2202 vectors through the SEC keys. */
static void dm_bootstrap_mac(struct test_ctx *t)
{
	static const char key1[] = "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
				   "\x0b\x0b\x0b\x0b\x0b";
	char mac[DM_BOOT_MAC_HEX], mac2[DM_BOOT_MAC_HEX];
	enum dm_boot_sec sec;

	CHECK_INT(t, dm_boot_mac(DM_BOOT_SEC_USERPIN, NULL, "Jefe",
				 (const uint8_t *)"what do ya want for nothing?", 28, mac), MCX_OK);
	CHECK_STR(t, mac, "EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79");
	CHECK_INT(t, dm_boot_mac(DM_BOOT_SEC_NETWORKID, key1, NULL, (const uint8_t *)"Hi There", 8,
				 mac), MCX_OK);
	CHECK_STR(t, mac, "B617318655057264E28BC0B6FB378C8EF146BE00");
	/* USERPIN_NETWORKID keys with "PIN:NETWORKID" */
	CHECK_INT(t, dm_boot_mac(DM_BOOT_SEC_USERPIN_NETWORKID, "262019876543210", "1234",
				 (const uint8_t *)"doc", 3, mac), MCX_OK);
	CHECK_INT(t, dm_boot_mac(DM_BOOT_SEC_USERPIN, NULL, "1234:262019876543210",
				 (const uint8_t *)"doc", 3, mac2), MCX_OK);
	CHECK_STR(t, mac, mac2);
	CHECK_INT(t, dm_boot_mac(DM_BOOT_SEC_USERPIN, "262019876543210", NULL,
				 (const uint8_t *)"doc", 3, mac), MCX_EINVAL);
	CHECK_INT(t, dm_boot_sec_parse(PL("USERNETWPIN"), &sec), MCX_OK);
	CHECK_INT(t, sec, DM_BOOT_SEC_USERPIN_NETWORKID);
	CHECK_INT(t, dm_boot_sec_parse(PL("netwpin"), &sec), MCX_OK);
	CHECK_INT(t, sec, DM_BOOT_SEC_NETWORKID);
	CHECK_INT(t, dm_boot_sec_parse(PL("1"), &sec), MCX_OK);
	CHECK_INT(t, sec, DM_BOOT_SEC_USERPIN);
	CHECK_INT(t, dm_boot_sec_parse(PL("USERPINMAC"), &sec), MCX_EINVAL);
}

/* A server-initiated DM-profile bootstrap: w7 account -> DMAcc TNDS -> Add
 * in a WBXML message -> SEC/MAC Content-Type; the UE verifies and reads
 * the account back. */
static const char w7_doc[] =
	"<wap-provisioningdoc version=\"1.1\">"
	"<characteristic type=\"NAPDEF\"><parm name=\"NAPID\" value=\"INTERNET\"/></characteristic>"
	"<characteristic type=\"APPLICATION\">"
	"<parm name=\"APPID\" value=\"w7\"/>"
	"<parm name=\"PROVIDER-ID\" value=\"com.mgmtsrv.manage\"/>"
	"<parm name=\"NAME\" value=\"Mgmt Server\"/>"
	"<parm name=\"ADDR\" value=\"https://www.mgmtserver.com:8080/manage\"/>"
	"<parm name=\"TO-NAPID\" value=\"INTERNET\"/>"
	"<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" value=\"APPSRV\"/>"
	"<parm name=\"AAUTHTYPE\" value=\"DIGEST\"/><parm name=\"AAUTHNAME\" value=\"clientname\"/>"
	"<parm name=\"AAUTHSECRET\" value=\"clientsecret\"/><parm name=\"AAUTHDATA\" value=\"Tm9uY2U=\"/>"
	"</characteristic>"
	"<characteristic type=\"APPAUTH\"><parm name=\"AAUTHLEVEL\" value=\"CLIENT\"/>"
	"<parm name=\"AAUTHTYPE\" value=\"DIGEST\"/><parm name=\"AAUTHNAME\" value=\"servername\"/>"
	"<parm name=\"AAUTHSECRET\" value=\"serversecret\"/></characteristic>"
	"</characteristic>"
	"<characteristic type=\"APPLICATION\"><parm name=\"APPID\" value=\"w4\"/></characteristic>"
	"</wap-provisioningdoc>";

static enum mcx_err bootstrap_msg(const struct dm_w7 *w, struct mcx_buf *wb)
{
	struct dm_tnds *tr = NULL;
	struct dm_msg *m = NULL;
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	struct mcx_buf tx;
	enum mcx_err e = dm_tnds_alloc(&tr, NULL);

	buf_init(&tx, 1 << 20);
	if (!e)
		e = dm_w7_to_dmacc(&w->accs[0], "mgmt", tr, NULL);
	if (!e)
		e = dm_tnds_emit(tr, &tx);
	if (!e)
		e = dm_msg_alloc(&m, NULL);
	if (!e)
		e = dm_hdr_init(m, "0", 1, "urn:gsma:imei:35209900-176148-1", "com.mgmtsrv.manage");
	if (!e)
		e = dm_cmd_add(m, NULL, DM_CMD_ADD, 1, &c);
	if (!e)
		e = dm_item_add(m, c, &it);
	if (!e)
		e = dm_set(m, &it->target, "./DMAcc");
	if (!e)
		e = dm_meta_get(m, &it->meta);
	if (!e)
		e = dm_set(m, &it->meta->format, "xml");
	if (!e)
		e = dm_set(m, &it->meta->type, DM_MIME_TNDS_XML);
	if (!e)
		e = dm_data_set(m, &it->data, DM_DATA_XML, tx.p, tx.len);
	if (m)
		m->final = true;
	buf_init(wb, 1 << 20);
	if (!e)
		e = dm_msg_emit_wbxml(m, NULL, wb, NULL, 0);
	dm_msg_free(m);
	dm_tnds_free(tr);
	buf_reset(&tx);
	return e;
}

static void dm_bootstrap_server_initiated(struct test_ctx *t)
{
	struct dm_w7 *w = NULL;
	struct dm_msg *m = NULL;
	struct dm_tnds *tr = NULL;
	struct mcx_buf wb, ct;
	const struct dm_data *d;
	enum mcx_err e;

	CHECK_INT(t, dm_w7_parse(w7_doc, sizeof(w7_doc) - 1, &w, NULL, 0), MCX_OK);
	e = bootstrap_msg(w, &wb);
	dm_w7_free(w);
	CHECK_INT(t, e, MCX_OK);
	buf_init(&ct, DM_BOOT_CTYPE_MAX);
	CHECK_INT(t, dm_boot_ctype(DM_BOOT_SEC_USERPIN, NULL, "8392", (const uint8_t *)wb.p, wb.len,
				   &ct), MCX_OK);
	CHECK(t, !strncmp(ct.p, "application/vnd.syncml.dm+wbxml; SEC=USERPIN; MAC=", 50));
	CHECK_INT(t, ct.len, 90);
	/* the UE side */
	CHECK_INT(t, dm_boot_verify(ct.p, ct.len, (const uint8_t *)wb.p, wb.len, NULL, "8392"), MCX_OK);
	CHECK_INT(t, dm_boot_verify(ct.p, ct.len, (const uint8_t *)wb.p, wb.len, NULL, "8393"),
		  MCX_EAUTH);
	CHECK_INT(t, dm_boot_verify(ct.p, ct.len, (const uint8_t *)wb.p, wb.len, "imsi", NULL),
		  MCX_EAUTH);
	wb.p[wb.len - 5] ^= 1;
	CHECK_INT(t, dm_boot_verify(ct.p, ct.len, (const uint8_t *)wb.p, wb.len, NULL, "8392"),
		  MCX_EAUTH);
	wb.p[wb.len - 5] ^= 1;
	buf_reset(&ct);
	CHECK_INT(t, dm_msg_parse_wbxml((const uint8_t *)wb.p, wb.len, NULL, &m, NULL, 0), MCX_OK);
	buf_reset(&wb);
	d = m->cmds->items->data;
	CHECK_INT(t, dm_tnds_parse(d->p, d->len, NULL, &tr, NULL, 0), MCX_OK);
	CHECK_STR(t, dm_tnds_find(tr, "./DMAcc/mgmt/ServerID")->value, "com.mgmtsrv.manage");
	CHECK_STR(t, dm_tnds_find(tr, "./DMAcc/mgmt/AppAddr/1/Addr")->value,
		  "https://www.mgmtserver.com:8080/manage");
	CHECK_STR(t, dm_tnds_find(tr, "./DMAcc/mgmt/AppAuth/1/AAuthLevel")->value, "CLCRED");
	CHECK_STR(t, dm_tnds_find(tr, "./DMAcc/mgmt/AppAuth/2/AAuthLevel")->value, "SRVCRED");
	CHECK_STR(t, dm_tnds_find(tr, "./DMAcc/mgmt")->acl,
		  "Get=com.mgmtsrv.manage&Replace=com.mgmtsrv.manage&Delete=com.mgmtsrv.manage");
	dm_tnds_free(tr);
	dm_msg_free(m);
}

static void dm_boot_ctype_parse(struct test_ctx *t)
{
	static const char mac[] = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
	struct dm_boot_ct ct;
	char s[256];

	snprintf(s, sizeof(s), "application/vnd.syncml.dm+wbxml;SEC=\"USERPIN\" ; MAC=%s", mac);
	CHECK_INT(t, dm_boot_ct_parse(s, strlen(s), &ct), MCX_OK);
	CHECK_INT(t, ct.sec, DM_BOOT_SEC_USERPIN);
	CHECK(t, pl_eqs(ct.mac, mac));
	/* lower-case hex is accepted */
	CHECK_INT(t, dm_boot_verify(s, strlen(s), (const uint8_t *)"what do ya want for nothing?", 28,
				    NULL, "Jefe"), MCX_OK);
#define P(str) dm_boot_ct_parse(str, strlen(str), &ct)
	CHECK_INT(t, P("application/vnd.syncml.dm+wbxml"), MCX_ENOENT);
	CHECK_INT(t, P("application/vnd.syncml.dm+xml; SEC=USERPIN; MAC=00"), MCX_EINVAL);
	CHECK_INT(t, P("application/vnd.syncml.dm+wbxml; SEC=USERPIN; MAC=00"), MCX_EINVAL);
	CHECK_INT(t, P("application/vnd.syncml.dm+wbxml; SEC=USERPIN"), MCX_EINVAL);
	CHECK_INT(t, P("application/vnd.syncml.dm+wbxml; SEC=BOGUS; "
		       "MAC=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"), MCX_EINVAL);
	CHECK_INT(t, P("application/vnd.syncml.dm+wbxml; SEC=USERPIN; SEC=NETWORKID; "
		       "MAC=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"), MCX_EINVAL);
	CHECK_INT(t, P("application/vnd.wap.connectivity-wbxml; SEC=NETWPIN; "
		       "MAC=effcdf6ae5eb2fa2d27416d5f184df9c259a7cXX"), MCX_EINVAL);
#undef P
}

static void dm_w7_document(struct test_ctx *t)
{
	struct dm_w7 *w = NULL, *w2 = NULL;
	struct mcx_buf out;
	char err[256];
	const struct dm_w7_acc *a;
	enum mcx_err e;

	e = dm_w7_parse(w7_doc, sizeof(w7_doc) - 1, &w, err, sizeof(err));
	OOM_OK(t, e);
	CHECK_INT(t, e, MCX_OK);
	CHECK_INT(t, w->n, 1);
	a = &w->accs[0];
	CHECK_STR(t, a->server_id, "com.mgmtsrv.manage");
	CHECK_STR(t, a->name, "Mgmt Server");
	CHECK_STR(t, a->to_napid, "INTERNET");
	CHECK_INT(t, a->naddrs, 1);
	CHECK_STR(t, a->addrs[0].addr, "https://www.mgmtserver.com:8080/manage");
	CHECK_INT(t, a->nauths, 2);
	CHECK_STR(t, a->auths[0].data, "Tm9uY2U=");
	CHECK_STR(t, dm_w7_level_to_dmacc(a->auths[1].level), "SRVCRED");
	buf_init(&out, DM_W7_MAX);
	e = dm_w7_emit(w, &out);
	if (!e)
		e = dm_w7_parse(out.p, out.len, &w2, err, sizeof(err));
	buf_reset(&out);
	if (!e && (w2->n != 1 || strcmp(w2->accs[0].auths[1].secret, "serversecret") ||
		   strcmp(w2->accs[0].addrs[0].addr, a->addrs[0].addr)))
		test_fail(t, __FILE__, __LINE__, "w7 round trip differs");
	dm_w7_free(w);
	dm_w7_free(w2);
	OOM_OK(t, e);
	CHECK_INT(t, e, MCX_OK);
}

static void dm_w7_refusals(struct test_ctx *t)
{
	static const char no_id[] = "<wap-provisioningdoc><characteristic type=\"APPLICATION\">"
				    "<parm name=\"APPID\" value=\"w7\"/></characteristic>"
				    "</wap-provisioningdoc>";
	static const char bad_id[] = "<wap-provisioningdoc><characteristic type=\"APPLICATION\">"
				     "<parm name=\"APPID\" value=\"w7\"/><parm name=\"PROVIDER-ID\" "
				     "value=\"a&amp;b\"/></characteristic></wap-provisioningdoc>";
	struct dm_w7 *w = NULL;
	struct dm_tnds *tr = NULL;
	struct mcx_buf many;
	char err[256];
	int i;

	CHECK_INT(t, dm_w7_parse(no_id, sizeof(no_id) - 1, &w, err, sizeof(err)), MCX_EINVAL);
	CHECK(t, strstr(err, "PROVIDER-ID") != NULL);
	CHECK_INT(t, dm_w7_parse("<x/>", 4, &w, err, sizeof(err)), MCX_EINVAL);
	CHECK_INT(t, dm_w7_parse("<wap-provisioningdoc>", 21, &w, err, sizeof(err)), MCX_EINVAL);
	buf_init(&many, DM_W7_MAX);
	CHECK_INT(t, buf_adds(&many, "<wap-provisioningdoc>"), MCX_OK);
	for (i = 0; i <= DM_W7_ACCOUNTS_MAX; i++)
		CHECK_INT(t, buf_addf(&many, "<characteristic type=\"APPLICATION\"><parm name=\"APPID\" "
				      "value=\"w7\"/><parm name=\"PROVIDER-ID\" value=\"s%d\"/>"
				      "</characteristic>", i), MCX_OK);
	CHECK_INT(t, buf_adds(&many, "</wap-provisioningdoc>"), MCX_OK);
	CHECK_INT(t, dm_w7_parse(many.p, many.len, &w, err, sizeof(err)), MCX_ELIMIT);
	buf_reset(&many);
	/* a ServerID that cannot appear in an ACL is refused by the mapping */
	CHECK_INT(t, dm_w7_parse(bad_id, sizeof(bad_id) - 1, &w, err, sizeof(err)), MCX_OK);
	CHECK_INT(t, dm_tnds_alloc(&tr, NULL), MCX_OK);
	CHECK_INT(t, dm_w7_to_dmacc(&w->accs[0], "acc", tr, NULL), MCX_EINVAL);
	CHECK_INT(t, dm_w7_to_dmacc(&w->accs[0], "a/b", tr, NULL), MCX_EINVAL);
	dm_tnds_free(tr);
	dm_w7_free(w);
}

static void dm_nonce_b64(struct test_ctx *t)
{
	struct dm_nonce n;
	char b64[128];

	CHECK_INT(t, dm_nonce_from_b64(&n, "Tm9uY2U="), MCX_OK);
	CHECK_MEM(t, n.b, n.len, "Nonce", 5);
	CHECK_INT(t, dm_nonce_to_b64(&n, b64, sizeof(b64)), MCX_OK);
	CHECK_STR(t, b64, "Tm9uY2U=");
	CHECK_INT(t, dm_nonce_to_b64(&n, b64, 4), MCX_ELIMIT);
	CHECK_INT(t, dm_nonce_from_b64(&n, "not base64!"), MCX_EINVAL);
	memset(b64, 'A', 100);
	b64[100] = '\0';	/* 75 bytes: over DM_NONCE_MAX */
	CHECK_INT(t, dm_nonce_from_b64(&n, b64), MCX_EINVAL);
	CHECK_INT(t, dm_nonce_set(&n, b64, DM_NONCE_MAX + 1), MCX_ELIMIT);
	CHECK_STR(t, dm_auth_type_name(DM_AUTH_MD5), "syncml:auth-md5");
	CHECK_INT(t, dm_auth_type_of("SYNCML:AUTH-BASIC"), DM_AUTH_BASIC);
	CHECK_INT(t, dm_auth_type_of("syncml:auth-MAC"), DM_AUTH_HMAC);
	CHECK_INT(t, dm_auth_type_of("x"), DM_AUTH_NONE);
}

const struct test tests_dm_security[] = {
	{ "dm_b64_vectors", dm_b64_vectors, false },
	{ "dm_auth_md5_vector", dm_auth_md5_vector, false },
	{ "dm_auth_basic_tls", dm_auth_basic_tls, false },
	{ "dm_auth_basic_real", dm_auth_basic_real, false },
	{ "dm_auth_challenge_flow", dm_auth_challenge_flow, false },
	{ "dm_hmac_vector", dm_hmac_vector, false },
	{ "dm_pkg0_vector", dm_pkg0_vector, false },
	{ "dm_pkg0_roundtrip", dm_pkg0_roundtrip, false },
	{ "dm_bootstrap_mac", dm_bootstrap_mac, false },
	{ "dm_bootstrap_server_initiated", dm_bootstrap_server_initiated, false },
	{ "dm_boot_ctype_parse", dm_boot_ctype_parse, false },
	{ "dm_w7_document", dm_w7_document, true },
	{ "dm_w7_refusals", dm_w7_refusals, false },
	{ "dm_nonce_b64", dm_nonce_b64, false },
	{ NULL, NULL, false },
};
