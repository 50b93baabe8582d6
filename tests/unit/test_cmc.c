/* Unit tests: the configuration management client's sans-I/O parts. The
 * cache's atomic write (the file is replaced by a rename, never rewritten in
 * place; a failed write leaves the old one); file names of selectors; the UE
 * initial configuration (the demo document); NOTIFY bodies turned into
 * decisions — a patch computed by the server's patch_diff applied to the
 * cached copy gives the new bytes and its ETag is checked against new-etag,
 * a wrong new-etag / a previous-etag that is not the cached one (a missed
 * NOTIFY) / etags only mean a re-fetch; the backoff schedule; the initial
 * configuration read from a DM client's tree (the MO mapped back to the
 * same bytes, DevId as the instance ID); a restarted client taking a
 * patched copy's ETag from its bytes when the state file is older. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "core/mem.h"
#include "cmc/backoff.h"
#include "cmc/cache.h"
#include "cmc/cmc_int.h"
#include "cmc/dminit.h"
#include "cmc/initcfg.h"
#include "cmc/notify.h"
#include "dm/mo.h"
#include "dm/tree.h"
#include "patch/patch.h"
#include "xcap/etag.h"

static void tmpdir(char *out, size_t len)
{
	snprintf(out, len, "/tmp/mcx-test-cmc-XXXXXX");
	if (!mkdtemp(out))
		out[0] = '\0';
}

static void rmrf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return;
}

static void cache_atomic_write(struct test_ctx *t)
{
	char dir[128], path[256], eb[300], bad[256];
	struct stat st1, st2;
	char *got;
	size_t n;
	int count = 0;
	FILE *ls;

	tmpdir(dir, sizeof(dir));
	CHECK(t, dir[0]);
	CHECK_INT(t, cmc_write_atomic(dir, "f.xml", "<a>one</a>", 10, 0600, eb, sizeof(eb)), MCX_OK);
	snprintf(path, sizeof(path), "%s/f.xml", dir);
	CHECK(t, !stat(path, &st1));
	CHECK_INT(t, st1.st_mode & 0777, 0600);
	CHECK_INT(t, cmc_write_atomic(dir, "f.xml", "<a>two!</a>", 11, 0600, eb, sizeof(eb)),
		  MCX_OK);
	CHECK(t, !stat(path, &st2));
	/* a new inode: the old file was replaced by a rename, never written over */
	CHECK(t, st1.st_ino != st2.st_ino);
	got = test_read_file(path, &n);
	CHECK(t, got);
	CHECK_MEM(t, got, n, "<a>two!</a>", (size_t)11);
	free(got);
	/* a write that cannot complete leaves the old file and no temporary */
	snprintf(bad, sizeof(bad), "%s/missing", dir);
	CHECK_INT(t, cmc_write_atomic(bad, "f.xml", "x", 1, 0600, eb, sizeof(eb)), MCX_EIO);
	got = test_read_file(path, &n);
	CHECK(t, got);
	CHECK_MEM(t, got, n, "<a>two!</a>", (size_t)11);
	free(got);
	snprintf(bad, sizeof(bad), "ls -A '%s'", dir);
	ls = popen(bad, "r");
	CHECK(t, ls);
	while (fgets(path, sizeof(path), ls))
		count++;
	pclose(ls);
	CHECK_INT(t, count, 1);
	rmrf(dir);
}

static void cache_docs(struct test_ctx *t)
{
	char dir[128], eb[300], a[CMC_CACHE_NAME_MAX + 1], b[CMC_CACHE_NAME_MAX + 1];
	char longsel[1000];
	struct mcx_buf out;

	cmc_cache_name("org.3gpp.mcptt.user-profile/users/sip:alice@example.org/p.xml", a,
		       sizeof(a));
	CHECK_STR(t, a, "org.3gpp.mcptt.user-profile%2Fusers%2Fsip%3Aalice@example.org%2Fp.xml");
	cmc_cache_name("../x", a, sizeof(a));
	CHECK(t, !strchr(a, '/') && a[0] != '.');
	memset(longsel, 'a', sizeof(longsel) - 1);
	longsel[sizeof(longsel) - 1] = '\0';
	cmc_cache_name(longsel, a, sizeof(a));
	longsel[10] = 'b';
	cmc_cache_name(longsel, b, sizeof(b));
	CHECK(t, strlen(a) <= CMC_CACHE_NAME_MAX && strcmp(a, b));

	tmpdir(dir, sizeof(dir));
	CHECK(t, dir[0]);
	CHECK_INT(t, cmc_cache_init(dir, eb, sizeof(eb)), MCX_OK);
	CHECK_INT(t, cmc_cache_put(dir, "a/b c", "<x/>", 4, eb, sizeof(eb)), MCX_OK);
	buf_init(&out, 100);
	CHECK_INT(t, cmc_cache_get(dir, "a/b c", &out, eb, sizeof(eb)), MCX_OK);
	CHECK_MEM(t, out.p, out.len, "<x/>", (size_t)4);
	buf_reset(&out);
	cmc_cache_remove(dir, "a/b c");
	CHECK_INT(t, cmc_cache_get(dir, "a/b c", &out, eb, sizeof(eb)), MCX_ENOENT);
	buf_reset(&out);
	rmrf(dir);
}

static void initcfg_demo(struct test_ctx *t)
{
	struct cmc_initcfg ic;
	char eb[300], *doc;
	size_t n;

	doc = test_read_file("demo/ue-init-config.xml", &n);
	CHECK(t, doc);
	CHECK_INT(t, cmc_initcfg_parse(&ic, doc, n, eb, sizeof(eb)), MCX_OK);
	free(doc);
	CHECK_STR(t, ic.domain, "example.org");
	CHECK_STR(t, ic.idms_auth, "https://127.0.0.1:8080/idms/authorize");
	CHECK_STR(t, ic.idms_token, "https://127.0.0.1:8080/idms/token");
	CHECK_STR(t, ic.cms_root, "http://127.0.0.1:8080/xcap-root");
	CHECK_STR(t, ic.gms_root, "http://127.0.0.1:8080/xcap-root");
	CHECK_STR(t, ic.cms_uri, "sip:cms.example.org");
	CHECK_STR(t, ic.gms_uri, "sip:gms.example.org");
	CHECK_STR(t, ic.default_user, "sip:alice@example.org");
	CHECK_INT(t, ic.default_index, 0);
	CHECK_INT(t, ic.ntimers, 5);
	CHECK_STR(t, ic.timers[0].name, "T100");
	CHECK_INT(t, ic.timers[0].value, 2);
	CHECK_STR(t, ic.timers[4].name, "T132");
	CHECK(t, ic.integrity && ic.confidentiality);
}

static void initcfg_refusals(struct test_ctx *t)
{
	static const char NOIDMS[] =
	    "<mcptt-UE-initial-configuration xmlns=\"urn:3gpp:mcptt:mcpttUEinitConfig:1.0\">"
	    "<on-network><CMS-XCAP-root-URI>http://h/x</CMS-XCAP-root-URI></on-network>"
	    "</mcptt-UE-initial-configuration>";
	struct cmc_initcfg ic;
	char eb[300];

	CHECK_INT(t, cmc_initcfg_parse(&ic, "<x/>", 4, eb, sizeof(eb)), MCX_EINVAL);
	CHECK(t, strstr(eb, "not <mcptt-UE-initial-configuration>"));
	CHECK_INT(t, cmc_initcfg_parse(&ic, "<a>", 3, eb, sizeof(eb)), MCX_EINVAL);
	CHECK(t, strstr(eb, "not well-formed"));
	CHECK_INT(t, cmc_initcfg_parse(&ic, NOIDMS, sizeof(NOIDMS) - 1, eb, sizeof(eb)),
		  MCX_EINVAL);
	CHECK(t, strstr(eb, "IdMS"));
}

/* ---- NOTIFY bodies ---- */

#define XD_NS "urn:ietf:params:xml:ns:xcap-diff"
#define SEL "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"

struct pair {
	char *prev, *next;
	size_t plen, nlen;
	char pe[XCAP_ETAG_LEN + 1], ne[XCAP_ETAG_LEN + 1];
};

/* The demo profile and the same with its ProfileName changed. */
static bool pair_make(struct pair *p)
{
	const char *at;
	size_t pre;

	p->prev = test_read_file("demo/alice-profile-0.xml", &p->plen);
	if (!p->prev || !(at = strstr(p->prev, "dispatch-day")))
		return false;
	pre = (size_t)(at - p->prev);
	p->next = malloc(p->plen + 16);
	if (!p->next)
		return false;
	memcpy(p->next, p->prev, pre);
	memcpy(p->next + pre, "night-shift", 11);
	memcpy(p->next + pre + 11, at + 12, p->plen - pre - 12);
	p->nlen = p->plen - 1;
	xcap_etag(p->prev, p->plen, p->pe);
	xcap_etag(p->next, p->nlen, p->ne);
	return true;
}

static void pair_free(struct pair *p)
{
	free(p->prev);
	free(p->next);
}

/* An xcap-diff body with one <document> holding ops, as mcxd writes it
 * (prefixed: the xcap-diff namespace bound to "xd" rather than default). */
static bool body_make(struct mcx_buf *b, const char *prev_etag, const char *new_etag,
		      const char *ops, size_t olen, bool prefixed)
{
	const char *p = prefixed ? "xd:" : "";

	return !buf_addf(b, "<?xml version=\"1.0\"?>\n<%sxcap-diff xmlns%s=\"" XD_NS
			    "\" xcap-root=\"http://h/xcap-root\">\n <%sdocument sel=\"" SEL "\"",
			 p, prefixed ? ":xd" : "", p) &&
	       (!prev_etag || !buf_addf(b, " previous-etag=\"%s\"", prev_etag)) &&
	       (!new_etag || !buf_addf(b, " new-etag=\"%s\"", new_etag)) &&
	       !buf_adds(b, ">") && !buf_add(b, ops, olen) &&
	       !buf_addf(b, "</%sdocument>\n</%sxcap-diff>\n", p, p);
}

/* Parse body and decide for a cached copy; returns the action, out the bytes. */
static enum cmc_action decide(const struct mcx_buf *body, const char *cached, size_t clen,
			      const char *cetag, struct mcx_buf *out, char *why, size_t wl)
{
	struct cmc_notify *n = NULL;
	enum cmc_action a;
	char eb[200];

	if (cmc_notify_parse(&n, body->p, body->len, eb, sizeof(eb)) || n->ndocs != 1) {
		snprintf(why, wl, "parse: %s", eb);
		cmc_notify_free(n);
		return (enum cmc_action)-1;
	}
	a = cmc_notify_decide(&n->docs[0], cached, clen, cetag, out, why, wl);
	cmc_notify_free(n);
	return a;
}

static void notify_patch_applies(struct test_ctx *t)
{
	struct patch_opts o = {0};
	struct pair p;
	struct mcx_buf ops, body, out;
	char why[400];
	int prefixed;

	CHECK(t, pair_make(&p));
	for (prefixed = 0; prefixed < 2; prefixed++) {
		buf_init(&ops, 1 << 20);
		buf_init(&body, 1 << 20);
		buf_init(&out, 1 << 20);
		o.ns_explicit = prefixed != 0;
		CHECK(t, !patch_diff(p.prev, p.plen, p.next, p.nlen, &o, &ops, NULL) && ops.len);
		CHECK(t, body_make(&body, p.pe, p.ne, ops.p, ops.len, prefixed));
		CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)),
			  CMC_PATCHED);
		/* the cached copy becomes the server's bytes exactly */
		CHECK_MEM(t, out.p, out.len, p.next, p.nlen);
		buf_reset(&ops);
		buf_reset(&body);
		buf_reset(&out);
	}
	pair_free(&p);
}

static void notify_etag_verified(struct test_ctx *t)
{
	struct pair p;
	struct mcx_buf ops, body, out;
	char why[400];

	CHECK(t, pair_make(&p));
	buf_init(&ops, 1 << 20);
	buf_init(&body, 1 << 20);
	buf_init(&out, 1 << 20);
	CHECK(t, !patch_diff(p.prev, p.plen, p.next, p.nlen, NULL, &ops, NULL));
	/* a new-etag that is not the hash of the patched bytes: re-fetch */
	CHECK(t, body_make(&body, p.pe, "0123456789abcdef0123456789abcdef", ops.p, ops.len, false));
	CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)), CMC_FETCH);
	CHECK(t, strstr(why, "is not new-etag"));
	CHECK_INT(t, out.len, 0);
	buf_reset(&ops);
	buf_reset(&body);
	buf_reset(&out);
	pair_free(&p);
}

static void notify_missed_and_others(struct test_ctx *t)
{
	struct pair p;
	struct mcx_buf ops, body, out;
	char why[400];

	CHECK(t, pair_make(&p));
	buf_init(&ops, 1 << 20);
	buf_init(&out, 1 << 20);
	CHECK(t, !patch_diff(p.prev, p.plen, p.next, p.nlen, NULL, &ops, NULL));
	/* a NOTIFY was missed: its previous-etag is not the cached copy's */
	buf_init(&body, 1 << 20);
	CHECK(t, body_make(&body, "ffffffffffffffffffffffffffffffff", p.ne, ops.p, ops.len, false));
	CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)), CMC_FETCH);
	CHECK(t, strstr(why, "missed"));
	buf_reset(&body);
	/* etags only */
	buf_init(&body, 1 << 20);
	CHECK(t, body_make(&body, p.pe, p.ne, "", 0, false));
	CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)), CMC_FETCH);
	buf_reset(&body);
	/* full state naming the cached version: keep; another: fetch */
	buf_init(&body, 1 << 20);
	CHECK(t, body_make(&body, NULL, p.pe, "", 0, false));
	CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)), CMC_KEEP);
	CHECK_INT(t, decide(&body, "", 0, "", &out, why, sizeof(why)), CMC_FETCH);
	buf_reset(&body);
	/* deletion */
	buf_init(&body, 1 << 20);
	CHECK(t, body_make(&body, p.pe, NULL, "", 0, false));
	CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)), CMC_DELETE);
	buf_reset(&body);
	/* a patch that does not apply to the cached bytes */
	buf_init(&body, 1 << 20);
	CHECK(t, body_make(&body, p.pe, p.ne, "<remove sel=\"/nothing[1]\"/>", 27, false));
	CHECK_INT(t, decide(&body, p.prev, p.plen, p.pe, &out, why, sizeof(why)), CMC_FETCH);
	CHECK(t, strstr(why, "does not apply"));
	buf_reset(&body);
	CHECK_INT(t, out.len, 0);
	buf_reset(&ops);
	buf_reset(&out);
	pair_free(&p);
}

static void notify_parse_refusals(struct test_ctx *t)
{
	static const char OTHER[] = "<x xmlns=\"" XD_NS "\"/>";
	static const char BROKEN[] = "<xcap-diff xmlns=\"" XD_NS "\"><document sel=\"a\">";
	static const char NOSEL[] = "<xcap-diff xmlns=\"" XD_NS "\"><document new-etag=\"1\"/></xcap-diff>";
	static const char OK[] = "<xcap-diff xmlns=\"" XD_NS "\" xcap-root=\"http://r\">"
				 "<document sel=\"a&amp;b\" new-etag=\"1\"/>"
				 "<element sel=\"c\"/></xcap-diff>";
	struct cmc_notify *n = NULL;
	enum mcx_err err;
	char eb[200];

	err = cmc_notify_parse(&n, OTHER, sizeof(OTHER) - 1, eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_EINVAL);
	err = cmc_notify_parse(&n, BROKEN, sizeof(BROKEN) - 1, eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_EINVAL);
	err = cmc_notify_parse(&n, NOSEL, sizeof(NOSEL) - 1, eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_EINVAL);
	err = cmc_notify_parse(&n, OK, sizeof(OK) - 1, eb, sizeof(eb));
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, n->ndocs, 1);
	CHECK_STR(t, n->docs[0].sel, "a&b");
	CHECK_STR(t, n->xcap_root, "http://r");
	CHECK_STR(t, n->docs[0].next, "1");
	CHECK_STR(t, n->docs[0].prev, "");
	cmc_notify_free(n);
}

static void backoff_schedule(struct test_ctx *t)
{
	static const uint32_t want[] = {500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
	unsigned k;

	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		CHECK_INT(t, cmc_backoff_ms(k, 500, 60000, 0), want[k]);
	CHECK_INT(t, cmc_backoff_ms(1000, 500, 60000, 0), 60000);
	/* jitter takes off at most half */
	CHECK_INT(t, cmc_backoff_ms(2, 500, 60000, 0.5), 1500);
	CHECK(t, cmc_backoff_ms(7, 500, 60000, 0.999) > 30000);
	/* odd configurations stay sane */
	CHECK_INT(t, cmc_backoff_ms(3, 0, 0, 0), 1);
	CHECK_INT(t, cmc_backoff_ms(3, 5000, 100, 0), 5000);
}


#define DM_DEVID "urn:gsma:imei:35209900-176148-0"

/* A DM client's tree as a session with the DM server leaves it: DevInfo,
 * and the nodes of doc (a UE initial configuration) under
 * ./MCPTT/UEInitialConfiguration/1, saved in dir. */
static enum mcx_err dm_tree_with_mo(const char *dir, const char *doc, size_t n)
{
	struct dm_devinfo di = {.dev_id = DM_DEVID};
	struct dm_value node = {"node", NULL, NULL, 0};
	struct dm_tree *t = NULL;
	struct mo_tree *mt = NULL;
	char eb[300], uri[600];
	enum mcx_err err;
	size_t i;

	err = dm_tree_alloc(&t, NULL);
	if (!err)
		err = dm_tree_init_std(t, &di);
	if (!err && doc)
		err = mo_from_xml(MO_UE_INIT_CONFIG, doc, n, 0, NULL, &mt, eb, sizeof(eb));
	if (!err && doc &&
	    dm_tree_add(t, NULL, "./MCPTT/UEInitialConfiguration/1", &node, NULL) != 200)
		err = MCX_EINVAL;
	for (i = 0; !err && mt && i < mt->n; i++) {
		struct dm_value v = {"chr", NULL, mt->v[i].value, mt->v[i].len};

		snprintf(uri, sizeof(uri), "./MCPTT/UEInitialConfiguration/1/%s", mt->v[i].path);
		if (dm_tree_add(t, NULL, uri, mt->v[i].leaf ? &v : &node, NULL) != 200)
			err = MCX_EINVAL;
	}
	if (!err)
		err = dm_tree_save(t, dir);
	mo_tree_free(mt);
	dm_tree_free(t);
	return err;
}

static void dm_init_from_tree(struct test_ctx *t)
{
	char dir[128], cache[160], initf[180], eb[400], *doc, *devid = NULL, *kept;
	struct mcx_cmc_conf conf;
	struct mcx_cmc *c = NULL;
	struct mcx_buf xml;
	size_t n, kn;
	enum mcx_err err;

	tmpdir(dir, sizeof(dir));
	CHECK(t, dir[0]);
	doc = test_read_file("demo/ue-init-config.xml", &n);
	CHECK(t, doc);
	/* no tree yet, then a tree without the MO: both say what to do */
	buf_init(&xml, CMC_MAX_INIT);
	err = cmc_dm_init_read(dir, &xml, &devid, eb, sizeof(eb));
	CHECK_INT(t, err, MCX_ENOENT);
	CHECK(t, strstr(eb, "mcx dm client init"));
	CHECK_INT(t, dm_tree_with_mo(dir, NULL, 0), MCX_OK);
	err = cmc_dm_init_read(dir, &xml, &devid, eb, sizeof(eb));
	CHECK_INT(t, err, MCX_ENOENT);
	CHECK(t, strstr(eb, "./MCPTT/UEInitialConfiguration") && strstr(eb, "DM session"));
	/* the MO gives back the document byte for byte, DevId the UE's ID */
	CHECK_INT(t, dm_tree_with_mo(dir, doc, n), MCX_OK);
	err = cmc_dm_init_read(dir, &xml, &devid, eb, sizeof(eb));
	CHECK_INT(t, err, MCX_OK);
	CHECK_MEM(t, xml.p, xml.len, doc, n);
	CHECK_STR(t, devid, DM_DEVID);
	mcx_free(devid);
	buf_reset(&xml);
	/* the client: configured from the tree, the instance ID from DevId,
	 * the document kept in the cache; not with an XML document as well */
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	memset(&conf, 0, sizeof(conf));
	conf.dm_tree = dir;
	conf.cache_dir = cache;
	conf.user = "sip:alice@example.org";
	CHECK_INT(t, mcx_cmc_alloc(&c, &conf, eb, sizeof(eb)), MCX_OK);
	CHECK_STR(t, c->conf.instance_id, DM_DEVID);
	CHECK_STR(t, c->ic.idms_token, "https://127.0.0.1:8080/idms/token");
	mcx_cmc_free(c);
	snprintf(initf, sizeof(initf), "%s/init.xml", cache);
	kept = test_read_file(initf, &kn);
	CHECK(t, kept);
	CHECK_MEM(t, kept, kn, doc, n);
	free(kept);
	conf.init_xml = doc;
	conf.init_len = n;
	c = NULL;
	CHECK_INT(t, mcx_cmc_alloc(&c, &conf, eb, sizeof(eb)), MCX_EINVAL);
	CHECK(t, !c && strstr(eb, "not both"));
	free(doc);
	rmrf(dir);
}

#define UE1 "urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01"
#define P0SEL "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"

/* Patches do not rewrite the state file: a client started on such a cache
 * takes each copy's ETag from its bytes (the hash the server's ETags are),
 * so it resumes with If-None-Match for the version it holds. */
static void state_resume_patched(struct test_ctx *t)
{
	static const char newer[] = "<mcptt-user-profile>patched</mcptt-user-profile>";
	char dir[128], path[200], eb[400], et[XCAP_ETAG_LEN + 1], *doc;
	struct mcx_cmc_conf conf;
	struct mcx_cmc *c = NULL;
	const struct cmc_doc *d = NULL;
	unsigned i;
	size_t n;
	FILE *f;

	tmpdir(dir, sizeof(dir));
	CHECK(t, dir[0]);
	doc = test_read_file("demo/ue1-init-config.xml", &n);
	CHECK(t, doc);
	CHECK_INT(t, cmc_cache_init(dir, eb, sizeof(eb)), MCX_OK);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	f = fopen(path, "w");
	CHECK(t, f);
	fprintf(f, "{\"version\": 1, \"user\": \"sip:alice@example.org\", \"instance_id\": "
		   "\"" UE1 "\", \"docs\": {\"" P0SEL "\": {\"etag\": \"0123456789abcdef"
		   "0123456789abcdef\", \"kind\": \"profile\", \"index\": 0}}}\n");
	fclose(f);
	CHECK_INT(t, cmc_cache_put(dir, P0SEL, newer, strlen(newer), eb, sizeof(eb)), MCX_OK);
	memset(&conf, 0, sizeof(conf));
	conf.init_xml = doc;
	conf.init_len = n;
	conf.cache_dir = dir;
	CHECK_INT(t, mcx_cmc_alloc(&c, &conf, eb, sizeof(eb)), MCX_OK);
	free(doc);
	for (i = 0; i < c->ndocs; i++)
		if (!strcmp(c->docs[i].sel, P0SEL))
			d = &c->docs[i];
	xcap_etag(newer, strlen(newer), et);
	if (d && !strcmp(d->etag, et) && d->wanted && d->bytes.len == strlen(newer)) {
		mcx_cmc_free(c);
		rmrf(dir);
		return;
	}
	mcx_cmc_free(c);
	rmrf(dir);
	CHECK(t, !"the patched copy was not resumed at the version its bytes hold");
}

const struct test tests_cmc[] = {
	{"cmc_cache_atomic_write", cache_atomic_write, false},
	{"cmc_cache_docs", cache_docs, false},
	{"cmc_initcfg_demo", initcfg_demo, false},
	{"cmc_initcfg_refusals", initcfg_refusals, false},
	{"cmc_notify_patch_applies", notify_patch_applies, false},
	{"cmc_notify_etag_verified", notify_etag_verified, false},
	{"cmc_notify_missed_and_others", notify_missed_and_others, false},
	{"cmc_notify_parse_refusals", notify_parse_refusals, true},
	{"cmc_backoff_schedule", backoff_schedule, false},
	{"cmc_dm_init_from_tree", dm_init_from_tree, false},
	{"cmc_state_resume_patched", state_resume_patched, false},
	{NULL, NULL, false},
};
