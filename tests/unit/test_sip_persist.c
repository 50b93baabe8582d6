/* Unit tests: SIP subscriptions kept across restarts: the store's
 * subscription rows, the dialog state (sip/dialog.c) and its routing, the
 * JSON record (sip/persist.c) both ways and its bounds, the end reasons and
 * the CSeq block reservation. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/mem.h"
#include "store/store.h"
#include "sip/dialog.h"
#include "sip/persist.h"

static struct sip_bytes B(const char *s) {
	struct sip_bytes b = {s, s ? strlen(s) : 0};

	return b;
}

/* ---- the store's rows ---- */

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

struct seen {
	char ids[8][32];
	unsigned flags[8];
	char data[8][64];
	int n;
};

static int collect(const struct store_sub *s, void *arg)
{
	struct seen *v = arg;

	if (v->n < 8) {
		snprintf(v->ids[v->n], sizeof(v->ids[0]), "%s", s->id);
		snprintf(v->data[v->n], sizeof(v->data[0]), "%.*s", (int)s->len, s->data);
		v->flags[v->n] = s->flags;
	}
	v->n++;
	return 0;
}

static enum mcx_err rows(struct mcx_store *st, bool flagged, struct seen *v)
{
	memset(v, 0, sizeof(*v));
	return store_sub_list(st, flagged, collect, v);
}

static void rows_body(struct test_ctx *t, struct mcx_store **stp, const struct store_opts *o)
{
	struct mcx_store *st = *stp;
	char eb[256], *data = NULL;
	unsigned flags = 9;
	struct seen v;
	size_t len = 0;
	enum mcx_err err;

	err = store_sub_put(st, "bbbb0001", "{\"a\":1}", 7);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	err = store_sub_put(st, "aaaa0002", "{\"b\":2}", 7);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	err = store_sub_get(st, "bbbb0001", &data, &len, &flags);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_MEM(t, data, len, "{\"a\":1}", 7);
	CHECK_INT(t, flags, 0);
	mcx_free(data);
	data = NULL;
	CHECK_INT(t, store_sub_get(st, "cccc", &data, NULL, NULL), MCX_ENOENT);
	err = rows(st, false, &v);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, v.n, 2);
	CHECK_STR(t, v.ids[0], "aaaa0002"); /* in id order */
	CHECK_STR(t, v.ids[1], "bbbb0001");
	err = rows(st, true, &v);
	OOM_OK(t, err);
	CHECK_INT(t, v.n, 0);
	/* a mark; a later put of new data keeps it (mcx marks while mcxd writes) */
	err = store_sub_mark(st, "bbbb0001", 3);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, store_sub_mark(st, "cccc", 3), MCX_ENOENT);
	err = store_sub_put(st, "bbbb0001", "{\"a\":2}", 7);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	err = rows(st, true, &v);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, v.n, 1);
	CHECK_STR(t, v.ids[0], "bbbb0001");
	CHECK_INT(t, v.flags[0], 3);
	CHECK_STR(t, v.data[0], "{\"a\":2}");
	/* the rows outlive the process */
	store_close(st);
	*stp = NULL;
	err = store_open(stp, o, eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	st = *stp;
	err = rows(st, false, &v);
	OOM_OK(t, err);
	CHECK_INT(t, v.n, 2);
	CHECK_INT(t, v.flags[1], 3);
	err = store_sub_del(st, "bbbb0001");
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, store_sub_del(st, "bbbb0001"), MCX_ENOENT);
	err = rows(st, false, &v);
	OOM_OK(t, err);
	CHECK_INT(t, v.n, 1);
	CHECK_STR(t, v.ids[0], "aaaa0002");
	CHECK_INT(t, store_sub_put(st, "", "x", 1), MCX_EINVAL);
}

static void sip_persist_store_rows(struct test_ctx *t)
{
	char dir[] = "/tmp/mcx-subs-XXXXXX", eb[256];
	struct store_opts o;
	struct mcx_store *st = NULL;
	enum mcx_err err;

	CHECK(t, mkdtemp(dir) != NULL);
	memset(&o, 0, sizeof(o));
	o.dir = dir;
	err = store_open(&st, &o, eb, sizeof(eb));
	if (!err)
		rows_body(t, &st, &o);
	else if (!(t->in_oom && err == MCX_ENOMEM))
		test_fail(t, __FILE__, __LINE__, "store_open: %s", eb);
	store_close(st);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the dialog ---- */

static enum mcx_err dialog(struct sip_dlg *d, const char *route)
{
	struct sip_bytes f[DLG_NFIELDS];

	f[DLG_CALLID] = B("c1@ue.example");
	f[DLG_LTAG] = B("00c0ffee12345678");
	f[DLG_RTAG] = B("ue-tag-1");
	f[DLG_LURI] = B("sip:cms@127.0.0.1:5060");
	f[DLG_RURI] = B("sip:alice@example.org");
	f[DLG_TARGET] = B("sip:alice@192.0.2.7:5070;transport=tcp");
	f[DLG_ROUTE] = B(route);
	memset(d, 0, sizeof(*d));
	return dlg_init(d, f);
}

static void sip_persist_dialog_state(struct test_ctx *t)
{
	struct sip_dlg d;
	struct sip_bytes f[DLG_NFIELDS];
	char big[SIP_DIALOG_MAX + 1];
	enum mcx_err err;

	err = dialog(&d, NULL);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, dlg_get(&d, DLG_CALLID), "c1@ue.example");
	CHECK_STR(t, dlg_get(&d, DLG_LTAG), "00c0ffee12345678");
	CHECK_STR(t, dlg_get(&d, DLG_RTAG), "ue-tag-1");
	CHECK_STR(t, dlg_get(&d, DLG_LURI), "sip:cms@127.0.0.1:5060");
	CHECK_STR(t, dlg_get(&d, DLG_RURI), "sip:alice@example.org");
	CHECK_STR(t, dlg_get(&d, DLG_ROUTE), "");
	/* one block: the strings and their NULs */
	CHECK_INT(t, dlg_size(&d), 13 + 16 + 8 + 22 + 21 + 38 + 0 + 7);
	/* in-dialog requests match on Call-ID and both tags */
	CHECK(t, dlg_match(&d, B("c1@ue.example"), B("00c0ffee12345678"), B("ue-tag-1")));
	CHECK(t, !dlg_match(&d, B("c2@ue.example"), B("00c0ffee12345678"), B("ue-tag-1")));
	CHECK(t, !dlg_match(&d, B("c1@ue.example"), B("00c0ffee1234567"), B("ue-tag-1")));
	CHECK(t, !dlg_match(&d, B("c1@ue.example"), B("00c0ffee12345678"), B("ue-tag-2")));
	CHECK(t, !dlg_match(&d, B("c1@ue.example"), B(NULL), B("ue-tag-1")));
	/* remote CSeq: only higher ones are taken */
	d.rseq = 5;
	CHECK(t, !dlg_rseq_take(&d, 4));
	CHECK(t, !dlg_rseq_take(&d, 5));
	CHECK(t, dlg_rseq_take(&d, 6));
	CHECK_INT(t, d.rseq, 6);
	/* a target refresh keeps the rest */
	err = dlg_set(&d, DLG_TARGET, "sip:alice@192.0.2.8", 19);
	if (t->in_oom && err == MCX_ENOMEM) {
		dlg_free(&d);
		return;
	}
	CHECK_INT(t, err, MCX_OK);
	CHECK_STR(t, dlg_get(&d, DLG_TARGET), "sip:alice@192.0.2.8");
	CHECK_STR(t, dlg_get(&d, DLG_RTAG), "ue-tag-1");
	CHECK_STR(t, dlg_get(&d, DLG_CALLID), "c1@ue.example");
	/* bounds: unchanged on a refusal */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(t, dlg_set(&d, DLG_ROUTE, big, strlen(big)), MCX_ELIMIT);
	CHECK_INT(t, dlg_set(&d, DLG_TARGET, "sip:a\r\nX: 1", 12), MCX_EINVAL);
	CHECK_INT(t, dlg_set(&d, DLG_CALLID, "", 0), MCX_EINVAL);
	CHECK_STR(t, dlg_get(&d, DLG_TARGET), "sip:alice@192.0.2.8");
	dlg_free(&d);
	memset(f, 0, sizeof(f));
	memset(&d, 0, sizeof(d));
	CHECK_INT(t, dlg_init(&d, f), MCX_EINVAL);
	CHECK_STR(t, dlg_get(&d, DLG_CALLID), "");
}

static bool is(struct sip_bytes b, const char *s)
{
	return b.p && b.l == strlen(s) && !memcmp(b.p, s, b.l);
}

static void sip_persist_dialog_routing(struct test_ctx *t)
{
	struct dlg_target tg;
	struct sip_dlg d;
	enum mcx_err err;

	/* no route set: straight to the target, no Route */
	err = dialog(&d, NULL);
	OOM_OK(t, err);
	dlg_target(&d, &tg);
	CHECK(t, is(tg.ruri, "sip:alice@192.0.2.7:5070;transport=tcp"));
	CHECK(t, is(tg.hop, "sip:alice@192.0.2.7:5070;transport=tcp"));
	CHECK_INT(t, tg.route.l, 0);
	CHECK(t, !tg.tail.p);
	dlg_free(&d);
	/* loose routing: Request-URI the target, Route the set, first hop the first entry */
	err = dialog(&d, "<sip:p1.example.net;lr>, \"x, y\" <sip:p2.example.net;lr;transport=tcp>");
	OOM_OK(t, err);
	dlg_target(&d, &tg);
	CHECK(t, is(tg.ruri, "sip:alice@192.0.2.7:5070;transport=tcp"));
	CHECK(t, is(tg.hop, "sip:p1.example.net;lr"));
	CHECK(t, is(tg.route,
		    "<sip:p1.example.net;lr>, \"x, y\" <sip:p2.example.net;lr;transport=tcp>"));
	CHECK(t, !tg.tail.p);
	dlg_free(&d);
	/* a strict router first: it is the Request-URI, the target goes last in Route */
	err = dialog(&d, "<sip:strict.example.net;transport=udp>,<sip:p2.example.net;lr>");
	OOM_OK(t, err);
	dlg_target(&d, &tg);
	CHECK(t, is(tg.ruri, "sip:strict.example.net;transport=udp"));
	CHECK(t, is(tg.hop, "sip:strict.example.net;transport=udp"));
	CHECK(t, is(tg.route, "<sip:p2.example.net;lr>"));
	CHECK(t, is(tg.tail, "sip:alice@192.0.2.7:5070;transport=tcp"));
	dlg_free(&d);
	/* ;lr must be a parameter of its own, not a prefix of another */
	err = dialog(&d, "<sip:p1.example.net;lrx=1>");
	OOM_OK(t, err);
	dlg_target(&d, &tg);
	CHECK(t, is(tg.ruri, "sip:p1.example.net;lrx=1"));
	CHECK_INT(t, tg.route.l, 0);
	dlg_free(&d);
	CHECK(t, is(dlg_addr_uri(B("\"Bob\" <sip:bob@h>;tag=1")), "sip:bob@h"));
	CHECK(t, is(dlg_addr_uri(B("sip:bob@h;tag=1")), "sip:bob@h"));
}

/* ---- the record ---- */

static enum mcx_err record(struct sip_sub_rec *r, bool token)
{
	static char *uris[] = {
	    "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/",
	    "org.3gpp.mcptt.service-config/global/service-config.xml",
	};

	memset(r, 0, sizeof(*r));
	r->lseq_ceil = 4242;
	snprintf(r->who.xui, sizeof(r->who.xui), "sip:alice@example.org");
	r->who.admin = !token;
	if (token) {
		r->who.token = true;
		snprintf(r->who.scopes, sizeof(r->who.scopes), "openid 3gpp:mcptt:cms");
		r->who.token_exp = 1900000000;
		r->token = "eyJhbGciOiJFUzI1NiJ9.eyJtY3B0dF9pZCI6ImEifQ.c2ln";
	}
	r->uris = uris;
	r->nuris = 2;
	r->ev.mode = SIP_DIFF_AGGREGATE;
	snprintf(r->ev.id, sizeof(r->ev.id), "cfg-1");
	r->expires = 1800000600;
	r->created = 1800000000;
	return dialog(&r->dlg, "<sip:p1.example.net;lr>");
}

static void sip_persist_record_roundtrip(struct test_ctx *t)
{
	struct sip_sub_rec r, back;
	char *json = NULL;
	size_t len = 0;
	enum mcx_err err;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bool token = pass == 0;

		err = record(&r, token);
		OOM_OK(t, err);
		r.dlg.rseq = 7;
		err = persist_encode(&r, &json, &len);
		dlg_free(&r.dlg);
		OOM_OK(t, err);
		CHECK_INT(t, err, MCX_OK);
		CHECK_INT(t, len, strlen(json));
		err = persist_decode(&back, json, len, 32);
		mcx_free(json);
		json = NULL;
		if (t->in_oom && err == MCX_ENOMEM) {
			persist_rec_free(&back);
			return;
		}
		CHECK_INT(t, err, MCX_OK);
		CHECK_STR(t, dlg_get(&back.dlg, DLG_CALLID), "c1@ue.example");
		CHECK_STR(t, dlg_get(&back.dlg, DLG_LTAG), "00c0ffee12345678");
		CHECK_STR(t, dlg_get(&back.dlg, DLG_RTAG), "ue-tag-1");
		CHECK_STR(t, dlg_get(&back.dlg, DLG_LURI), "sip:cms@127.0.0.1:5060");
		CHECK_STR(t, dlg_get(&back.dlg, DLG_RURI), "sip:alice@example.org");
		CHECK_STR(t, dlg_get(&back.dlg, DLG_TARGET),
			  "sip:alice@192.0.2.7:5070;transport=tcp");
		CHECK_STR(t, dlg_get(&back.dlg, DLG_ROUTE), "<sip:p1.example.net;lr>");
		CHECK_INT(t, back.dlg.rseq, 7);
		CHECK_INT(t, back.lseq_ceil, 4242);
		CHECK_STR(t, back.who.xui, "sip:alice@example.org");
		CHECK_INT(t, back.who.admin, !token);
		CHECK_INT(t, back.who.token, token);
		CHECK_STR(t, back.who.scopes, token ? "openid 3gpp:mcptt:cms" : "");
		CHECK_INT(t, back.who.token_exp, token ? 1900000000 : 0);
		if (token)
			CHECK_STR(t, back.token,
				  "eyJhbGciOiJFUzI1NiJ9.eyJtY3B0dF9pZCI6ImEifQ.c2ln");
		else
			CHECK(t, back.token == NULL);
		CHECK_INT(t, back.nuris, 2);
		CHECK_STR(t, back.uris[0],
			  "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/");
		CHECK_STR(t, back.uris[1],
			  "org.3gpp.mcptt.service-config/global/service-config.xml");
		CHECK_INT(t, back.ev.mode, SIP_DIFF_AGGREGATE);
		CHECK_STR(t, back.ev.id, "cfg-1");
		CHECK_INT(t, back.expires, 1800000600);
		CHECK_INT(t, back.created, 1800000000);
		persist_rec_free(&back);
	}
}

static enum mcx_err decode_str(const char *json, size_t max_uris)
{
	struct sip_sub_rec r;
	enum mcx_err err = persist_decode(&r, json, strlen(json), max_uris);

	persist_rec_free(&r);
	return err;
}

#define SMALL_DIALOG                                                                               \
	"\"dialog\":{\"call-id\":\"c\",\"local-tag\":\"l\",\"remote-tag\":\"r\","                  \
	"\"local-uri\":\"\",\"remote-uri\":\"\",\"remote-target\":\"sip:a@b\",\"route\":\"\","     \
	"\"local-cseq-ceiling\":%d,\"remote-cseq\":1}"
#define SMALL_REST                                                                                 \
	"\"resources\":[\"a\"],\"event-id\":\"\",\"diff-processing\":\"no-patching\","             \
	"\"expires\":1,\"created\":1"

static void sip_persist_record_refusals(struct test_ctx *t)
{
	char *json = NULL, *p, big[SIP_XUI_MAX + 40], doc[4096];
	struct sip_sub_rec r;
	enum mcx_err err;
	size_t len;

	CHECK_INT(t, decode_str("not json", 32), MCX_EINVAL);
	CHECK_INT(t, decode_str("[]", 32), MCX_EINVAL);
	CHECK_INT(t, decode_str("{\"v\":1}", 32), MCX_EINVAL);
	CHECK(t, record(&r, true) == MCX_OK);
	err = persist_encode(&r, &json, &len);
	dlg_free(&r.dlg);
	CHECK_INT(t, err, MCX_OK);
	err = decode_str(json, 32);
	if (!err)
		err = decode_str(json, 1) == MCX_ELIMIT ? MCX_OK : MCX_EINTERNAL; /* too many */
	p = strstr(json, "\"v\":1");
	if (!err && p) {
		p[4] = '2'; /* a newer format */
		err = decode_str(json, 32) == MCX_EINVAL ? MCX_OK : MCX_EINTERNAL;
	}
	mcx_free(json);
	CHECK(t, p != NULL);
	CHECK_INT(t, err, MCX_OK);
	/* the smallest valid record; then an oversized identity, a negative
	 * CSeq, a token without scopes (not written by us) */
	snprintf(doc, sizeof(doc),
		 "{\"v\":1," SMALL_DIALOG ",\"who\":{\"xui\":\"sip:a@b\","
		 "\"admin\":false}," SMALL_REST "}",
		 1);
	CHECK_INT(t, decode_str(doc, 32), MCX_OK);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"v\":1," SMALL_DIALOG ",\"who\":{\"xui\":\"%s\","
		 "\"admin\":false}," SMALL_REST "}",
		 1, big);
	CHECK_INT(t, decode_str(doc, 32), MCX_ELIMIT);
	snprintf(doc, sizeof(doc),
		 "{\"v\":1," SMALL_DIALOG ",\"who\":{\"xui\":\"sip:a@b\","
		 "\"admin\":false}," SMALL_REST "}",
		 -1);
	CHECK_INT(t, decode_str(doc, 32), MCX_EINVAL);
	snprintf(doc, sizeof(doc),
		 "{\"v\":1," SMALL_DIALOG ",\"who\":{\"xui\":\"sip:a@b\","
		 "\"admin\":false}," SMALL_REST ",\"token\":\"t\"}",
		 1);
	CHECK_INT(t, decode_str(doc, 32), MCX_EINVAL);
}

static void sip_persist_reasons(struct test_ctx *t)
{
	static const char *const all[] = {"deactivated", "probation",  "rejected", "timeout",
					  "giveup",	 "noresource", "invariant"};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		unsigned code = persist_reason_code(all[i]);

		CHECK(t, code != 0);
		CHECK_STR(t, persist_reason_name(code), all[i]);
		CHECK(t, strstr(PERSIST_END_REASONS, all[i]) != NULL);
	}
	CHECK_INT(t, persist_reason_code("because"), 0);
	CHECK_INT(t, persist_reason_code(""), 0);
	CHECK_INT(t, persist_reason_code(NULL), 0);
	CHECK(t, persist_reason_name(0) == NULL);
	CHECK(t, persist_reason_name(99) == NULL);
}

static void sip_persist_cseq_blocks(struct test_ctx *t)
{
	uint32_t lseq = 777, ceil = 777 + SIP_CSEQ_BLOCK, stored = ceil, used = 0;
	unsigned writes = 0, i, restart;

	/* 2,500 NOTIFYs in a run: about one write per block */
	for (i = 0; i < 2500; i++) {
		if (persist_cseq_next(&lseq, &ceil)) {
			writes++;
			stored = ceil;
		}
		CHECK(t, lseq > used);
		CHECK(t, lseq <= stored); /* never above what is stored */
		used = lseq;
	}
	CHECK_INT(t, writes, 2);
	/* restarts: each starts at the stored ceiling; CSeq keeps increasing
	 * and the first NOTIFY after each reserves a new block */
	for (restart = 0; restart < 3; restart++) {
		lseq = stored;
		ceil = stored;
		CHECK(t, persist_cseq_next(&lseq, &ceil));
		stored = ceil;
		CHECK(t, lseq > used);
		CHECK_INT(t, ceil, lseq + SIP_CSEQ_BLOCK);
		used = lseq;
		for (i = 0; i < 10; i++) {
			CHECK(t, !persist_cseq_next(&lseq, &ceil));
			CHECK(t, lseq > used);
			used = lseq;
		}
	}
}

const struct test tests_sip_persist[] = {
    {"sip_persist_store_rows", sip_persist_store_rows, true},
    {"sip_persist_dialog_state", sip_persist_dialog_state, true},
    {"sip_persist_dialog_routing", sip_persist_dialog_routing, true},
    {"sip_persist_record_roundtrip", sip_persist_record_roundtrip, true},
    {"sip_persist_record_refusals", sip_persist_record_refusals, false},
    {"sip_persist_reasons", sip_persist_reasons, false},
    {"sip_persist_cseq_blocks", sip_persist_cseq_blocks, false},
    {NULL, NULL, false},
};
