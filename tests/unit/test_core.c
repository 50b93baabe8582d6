/* Unit tests: core — capped buffers, XML escaping, configuration tables
 * (values, "file:line: ..." errors, dump), base64url and ETag matching. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "xcap/etag.h"

/* ---- buffers ---- */

static void core_buf_cap(struct test_ctx *t)
{
	struct mcx_buf b;

	buf_init(&b, 8);
	CHECK_INT(t, buf_add(&b, "12345678", 8), MCX_OK);
	CHECK_INT(t, buf_add(&b, "9", 1), MCX_ELIMIT);
	CHECK_INT(t, b.len, 8);
	CHECK_STR(t, b.p, "12345678");
	CHECK_INT(t, buf_add(&b, "", 0), MCX_OK);
	buf_reset(&b);
	buf_init(&b, 8);
	CHECK_INT(t, buf_addf(&b, "%d-%s", 42, "abc"), MCX_OK);
	CHECK_STR(t, b.p, "42-abc");
	CHECK_INT(t, buf_addf(&b, "%s", "xyz"), MCX_ELIMIT);
	CHECK_STR(t, b.p, "42-abc");
	CHECK_INT(t, buf_adds(&b, "78"), MCX_OK);
	CHECK_INT(t, buf_adds(&b, "9"), MCX_ELIMIT);
	CHECK(t, b.cap <= 9);
	buf_reset(&b);
}

static void core_buf_grows(struct test_ctx *t)
{
	struct mcx_buf b;
	size_t i;

	buf_init(&b, 100000);
	for (i = 0; i < 10000; i++)
		CHECK_INT(t, buf_add(&b, "0123456789", 10), MCX_OK);
	CHECK_INT(t, b.len, 100000);
	CHECK_INT(t, buf_add(&b, "x", 1), MCX_ELIMIT);
	CHECK(t, !memcmp(b.p + 99990, "0123456789", 10) && b.p[100000] == '\0');
	buf_reset(&b);
}

static void core_buf_take(struct test_ctx *t)
{
	struct mcx_buf b;
	size_t n = 99;
	char *p;

	buf_init(&b, 64);
	p = buf_take(&b, &n);
	CHECK(t, p != NULL);
	CHECK_STR(t, p, "");
	CHECK_INT(t, n, 0);
	mcx_free(p);
	CHECK_INT(t, buf_adds(&b, "abc"), MCX_OK);
	p = buf_take(&b, &n);
	CHECK_STR(t, p, "abc");
	CHECK_INT(t, n, 3);
	CHECK(t, b.p == NULL && b.len == 0);
	mcx_free(p);
}

static void core_buf_xml_escaping(struct test_ctx *t)
{
	struct mcx_buf b;

	buf_init(&b, 256);
	CHECK_INT(t, buf_add_xml(&b, "a<b>&\"c'd", 9), MCX_OK);
	CHECK_STR(t, b.p, "a&lt;b&gt;&amp;&quot;c&apos;d");
	buf_reset(&b);
	CHECK_INT(t, buf_add_xml(&b, "plain \xC3\xA9", 8), MCX_OK);
	CHECK_STR(t, b.p, "plain \xC3\xA9");
	buf_reset(&b);
	/* the escape counts against the cap */
	buf_init(&b, 4);
	CHECK_INT(t, buf_add_xml(&b, "&", 1), MCX_ELIMIT);
	buf_reset(&b);
}

/* ---- configuration ---- */

struct tcfg {
	long long port;
	size_t max_doc;
	bool tls;
	char *name;
	int level;
	char *path;
};

static const struct conf_def DEFS[] = {
	{ "port", CONF_INT, offsetof(struct tcfg, port), "8080", 1, 65535, "TCP port" },
	{ "max-doc", CONF_SIZE, offsetof(struct tcfg, max_doc), "1m", 0, 1LL << 30, "bytes" },
	{ "tls", CONF_BOOL, offsetof(struct tcfg, tls), "no", 0, 1, "TLS" },
	{ "name", CONF_STR, offsetof(struct tcfg, name), "mcx", 0, 0, "name" },
	{ "log-level", CONF_LEVEL, offsetof(struct tcfg, level), "info", 0, 0, "level" },
	{ "path", CONF_STR, offsetof(struct tcfg, path), NULL, 0, 0, "path" },
};

static void parts_init(struct conf_part *p, struct tcfg *c)
{
	memset(c, 0, sizeof(*c));
	p->section = "test";
	p->defs = DEFS;
	p->ndefs = sizeof(DEFS) / sizeof(DEFS[0]);
	p->base = c;
}

static void core_conf_defaults(struct test_ctx *t)
{
	struct conf_part p;
	struct tcfg c;

	parts_init(&p, &c);
	CHECK_INT(t, conf_defaults(&p, 1), MCX_OK);
	CHECK_INT(t, c.port, 8080);
	CHECK_INT(t, c.max_doc, 1024 * 1024);
	CHECK(t, !c.tls);
	CHECK_STR(t, c.name, "mcx");
	CHECK_INT(t, c.level, MCX_LOG_INFO);
	CHECK(t, c.path == NULL);
	conf_free(&p, 1);
	CHECK(t, c.name == NULL);
}

static void core_conf_parse_values(struct test_ctx *t)
{
	static const char text[] =
		"# comment\n"
		"port 5060\n"
		"max_doc = 2k\n"
		"  tls=yes   # trailing comment\n"
		"name \"a # b\"\n"
		"LOG-LEVEL debug\r\n"
		"\n"
		"path /var/lib/mcx\n"
		"name second";
	struct conf_part p;
	struct tcfg c;
	char eb[256] = "";

	parts_init(&p, &c);
	CHECK_INT(t, conf_defaults(&p, 1), MCX_OK);
	CHECK_INT(t, conf_parse(&p, 1, "t.conf", text, strlen(text), eb, sizeof(eb)), MCX_OK);
	CHECK_INT(t, c.port, 5060);
	CHECK_INT(t, c.max_doc, 2048);
	CHECK(t, c.tls);
	CHECK_STR(t, c.name, "second");
	CHECK_INT(t, c.level, MCX_LOG_DEBUG);
	CHECK_STR(t, c.path, "/var/lib/mcx");
	conf_free(&p, 1);
}

static void core_conf_quoted_value_keeps_hash(struct test_ctx *t)
{
	static const char text[] = "name \"a # b\"\n";
	struct conf_part p;
	struct tcfg c;
	char eb[256] = "";

	parts_init(&p, &c);
	CHECK_INT(t, conf_parse(&p, 1, "t.conf", text, strlen(text), eb, sizeof(eb)), MCX_OK);
	CHECK_STR(t, c.name, "a # b");
	conf_free(&p, 1);
}

static void core_conf_sizes_and_bools(struct test_ctx *t)
{
	static const struct { const char *text; size_t size; } sizes[] = {
		{ "max-doc 0", 0 }, { "max-doc 3K", 3072 }, { "max-doc 1m", 1048576 },
		{ "max-doc 2MiB", 2097152 }, { "max-doc 1gb", 1073741824 },
	};
	static const char *const yes[] = { "tls yes", "tls TRUE", "tls on", "tls 1" };
	struct conf_part p;
	struct tcfg c;
	char eb[256];
	size_t i;

	parts_init(&p, &c);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_INT(t, conf_parse(&p, 1, "t", sizes[i].text, strlen(sizes[i].text),
					eb, sizeof(eb)), MCX_OK);
		CHECK_INT(t, c.max_doc, sizes[i].size);
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		c.tls = false;
		CHECK_INT(t, conf_parse(&p, 1, "t", yes[i], strlen(yes[i]), eb, sizeof(eb)),
			  MCX_OK);
		CHECK(t, c.tls);
	}
	CHECK_INT(t, conf_parse(&p, 1, "t", "tls off", 7, eb, sizeof(eb)), MCX_OK);
	CHECK(t, !c.tls);
}

/* conf_parse of text must fail with err and exactly the message want. */
static bool conf_err(const char *text, enum mcx_err err, const char *want, char *got,
		     size_t gotlen)
{
	struct conf_part p;
	struct tcfg c;
	enum mcx_err e;

	parts_init(&p, &c);
	got[0] = '\0';
	e = conf_parse(&p, 1, "t.conf", text, strlen(text), got, gotlen);
	conf_free(&p, 1);
	return e == err && !strcmp(got, want);
}

#define CHECK_CONF_ERR(t, text, err, want) do { char g_[512]; \
	if (!conf_err((text), (err), (want), g_, sizeof(g_))) { \
		test_fail((t), __FILE__, __LINE__, "got \"%s\", expected \"%s\"", g_, (want)); \
		return; } } while (0)

static void core_conf_errors_file_line(struct test_ctx *t)
{
	CHECK_CONF_ERR(t, "port 5060\n# c\n\nnope 1\n", MCX_ENOENT,
		       "t.conf:4: nope: unknown configuration key");
	CHECK_CONF_ERR(t, "port 70000", MCX_EINVAL,
		       "t.conf:1: port: 70000 is out of range [1, 65535]");
	CHECK_CONF_ERR(t, "port 0", MCX_EINVAL, "t.conf:1: port: 0 is out of range [1, 65535]");
	CHECK_CONF_ERR(t, "\nport abc", MCX_EINVAL, "t.conf:2: port: 'abc' is not a number");
	CHECK_CONF_ERR(t, "port 12abc", MCX_EINVAL, "t.conf:1: port: '12abc' is not a number");
	CHECK_CONF_ERR(t, "port 99999999999999999999", MCX_EINVAL,
		       "t.conf:1: port: '99999999999999999999' is not a number");
	CHECK_CONF_ERR(t, "max-doc 3x", MCX_EINVAL, "t.conf:1: max-doc: bad size suffix in '3x'");
	CHECK_CONF_ERR(t, "max-doc 3kx", MCX_EINVAL, "t.conf:1: max-doc: bad size suffix in '3kx'");
	CHECK_CONF_ERR(t, "max-doc 2g", MCX_EINVAL,
		       "t.conf:1: max-doc: 2g is above the maximum 1073741824");
	CHECK_CONF_ERR(t, "max-doc -1", MCX_EINVAL,
		       "t.conf:1: max-doc: -1 is out of range [0, 1073741824]");
	CHECK_CONF_ERR(t, "tls maybe", MCX_EINVAL, "t.conf:1: tls: 'maybe' is not yes or no");
	CHECK_CONF_ERR(t, "log-level loud", MCX_EINVAL,
		       "t.conf:1: log-level: 'loud' is not one of error, warn, info, debug");
	CHECK_CONF_ERR(t, "port", MCX_EINVAL, "t.conf:1: port: missing value");
	CHECK_CONF_ERR(t, "port = # nothing", MCX_EINVAL, "t.conf:1: port: missing value");
	CHECK_CONF_ERR(t, "a 1\nname \"abc", MCX_ENOENT, "t.conf:1: a: unknown configuration key");
	CHECK_CONF_ERR(t, "name \"abc", MCX_EINVAL, "t.conf:1: unterminated quote");
}

static void core_conf_errors_limits(struct test_ctx *t)
{
	char *text = malloc(CONF_LINE_MAX + 16);
	char key[200];
	bool ok;

	CHECK(t, text != NULL);
	memset(text, 'x', CONF_LINE_MAX + 8);
	memcpy(text, "port 1\nname ", 12);
	text[CONF_LINE_MAX + 8] = '\0';
	ok = conf_err(text, MCX_ELIMIT, "t.conf:2: line longer than 4096 bytes", key, sizeof(key));
	free(text);
	CHECK(t, ok);
	memset(key, 'k', sizeof(key));
	memcpy(key + sizeof(key) - 3, " 1", 3);
	CHECK_CONF_ERR(t, key, MCX_ELIMIT, "t.conf:1: key too long");
}

static void core_conf_load_file(struct test_ctx *t)
{
	char path[] = "/tmp/mcx-test-conf-XXXXXX";
	struct conf_part p;
	struct tcfg c;
	char eb[256];
	int fd = mkstemp(path);
	enum mcx_err err;

	CHECK(t, fd >= 0);
	CHECK(t, write(fd, "port 7\nbad x\n", 14) == 14);
	close(fd);
	parts_init(&p, &c);
	err = conf_load_file(&p, 1, path, eb, sizeof(eb));
	CHECK_INT(t, c.port, 7);
	CHECK_INT(t, err, MCX_ENOENT);
	CHECK(t, !strncmp(eb, path, strlen(path)) &&
		 !strcmp(eb + strlen(path), ":2: bad: unknown configuration key"));
	unlink(path);
	CHECK_INT(t, conf_load_file(&p, 1, path, eb, sizeof(eb)), MCX_EIO);
	CHECK(t, strstr(eb, path) == eb);
	conf_free(&p, 1);
}

static void core_conf_dump(struct test_ctx *t)
{
	struct conf_part p;
	struct tcfg c;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	parts_init(&p, &c);
	CHECK_INT(t, conf_defaults(&p, 1), MCX_OK);
	f = open_memstream(&out, &n);
	CHECK(t, f != NULL);
	conf_dump(&p, 1, f, 0);
	fclose(f);
	conf_free(&p, 1);
	CHECK(t, out != NULL);
	CHECK_STR(t, out, "# --- test ---\nport 8080\nmax-doc 1048576\ntls no\nname \"mcx\"\n"
		  "log-level info\n# path (unset)\n\n");
	free(out);
}

static void core_conf_lookup_and_help(struct test_ctx *t)
{
	struct conf_part p;
	struct tcfg c;
	enum conf_type ty = CONF_INT;
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	parts_init(&p, &c);
	CHECK_INT(t, conf_lookup(&p, 1, "MAX_DOC", &ty), 1);
	CHECK_INT(t, ty, CONF_SIZE);
	CHECK_INT(t, conf_lookup(&p, 1, "max-docs", &ty), 0);
	CHECK_INT(t, conf_lookup(&p, 1, "max-do", NULL), 0);
	f = open_memstream(&out, &n);
	CHECK(t, f != NULL);
	conf_dump(&p, 1, f, 1);
	fclose(f);
	CHECK(t, out && strstr(out, "# TCP port (default: 8080)\nport 0\n"));
	CHECK(t, strstr(out, "# path (default: unset)\n# path (unset)\n"));
	free(out);
}

static void core_conf_oom(struct test_ctx *t)
{
	static const char text[] = "name abc\npath /x\nport 9\n";
	struct conf_part p;
	struct tcfg c;
	char eb[256];
	enum mcx_err err;

	parts_init(&p, &c);
	err = conf_defaults(&p, 1);
	if (!err) {
		memset(eb, 'Z', sizeof(eb) - 1);
		eb[sizeof(eb) - 1] = '\0';
		err = conf_parse(&p, 1, "t.conf", text, strlen(text), eb, sizeof(eb));
		/* the message names the line and says why, even out of memory */
		if (err == MCX_ENOMEM && strcmp(eb, "t.conf:1: name: out of memory") &&
		    strcmp(eb, "t.conf:2: path: out of memory")) {
			conf_free(&p, 1);
			test_fail(t, __FILE__, __LINE__, "ENOMEM message \"%s\"", eb);
			return;
		}
	}
	conf_free(&p, 1);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
}

/* ---- base64url ---- */

static void core_b64url_round_trips(struct test_ctx *t)
{
	uint8_t in[64], back[64];
	char enc[4 * 22 + 1];
	size_t n, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		size_t el = b64url_encode(in, n, enc);
		long dl;

		CHECK_INT(t, el, strlen(enc));
		CHECK_INT(t, el, (n * 4 + 2) / 3);
		CHECK(t, strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789-_") == el);
		dl = b64url_decode(enc, el, back, sizeof(back));
		CHECK_INT(t, dl, (long)n);
		CHECK(t, !memcmp(in, back, n));
	}
}

static void core_b64url_vectors(struct test_ctx *t)
{
	uint8_t out[8];
	char enc[16];

	CHECK_INT(t, b64url_encode((const uint8_t *)"\xfb\xff", 2, enc), 3);
	CHECK_STR(t, enc, "-_8");
	CHECK_INT(t, b64url_encode((const uint8_t *)"foob", 4, enc), 6);
	CHECK_STR(t, enc, "Zm9vYg");
	CHECK_INT(t, b64url_decode("Zm9vYg==", 8, out, sizeof(out)), 4);
	CHECK(t, !memcmp(out, "foob", 4));
	CHECK_INT(t, b64url_decode("Zm9v!g", 6, out, sizeof(out)), -1);
	CHECK_INT(t, b64url_decode("Zm9vY", 5, out, sizeof(out)), -1);  /* 6 stray bits */
	CHECK_INT(t, b64url_decode("Zm9vYg", 6, out, 3), -1);            /* too small */
	CHECK_INT(t, b64url_decode("", 0, out, 0), 0);
}

/* ---- ETags ---- */

static void core_etag_compute(struct test_ctx *t)
{
	char e[XCAP_ETAG_LEN + 1], f[XCAP_ETAG_LEN + 1];

	xcap_etag("", 0, e);
	CHECK_STR(t, e, "e3b0c44298fc1c149afbf4c8996fb924");
	xcap_etag("<a/>", 4, e);
	xcap_etag("<a />", 5, f);
	CHECK_INT(t, strlen(e), XCAP_ETAG_LEN);
	CHECK(t, strcmp(e, f) != 0);
}

static void core_etag_match_lists(struct test_ctx *t)
{
	CHECK(t, xcap_etag_match("\"abc\"", "abc", true));
	CHECK(t, xcap_etag_match("\"x\", W/\"abc\", \"y\"", "abc", false));
	/* If-Match compares strongly: a weak tag never matches */
	CHECK(t, !xcap_etag_match("\"x\", W/\"abc\", \"y\"", "abc", true));
	CHECK(t, xcap_etag_match("\"x\",\"abc\"", "abc", true));
	CHECK(t, xcap_etag_match("x, abc", "abc", true));
	CHECK(t, xcap_etag_match("\t\"x\" ,\t\"abc\"  ", "abc", true));
	CHECK(t, !xcap_etag_match("\"abcd\"", "abc", true));
	CHECK(t, !xcap_etag_match("\"ab\"", "abc", true));
	CHECK(t, !xcap_etag_match("\"x\", \"y\"", "abc", true));
	CHECK(t, !xcap_etag_match("", "abc", true));
	CHECK(t, !xcap_etag_match(" , ,", "abc", true));
	CHECK(t, !xcap_etag_match("\"abc", "ab", true));
}

static void core_etag_match_star(struct test_ctx *t)
{
	CHECK(t, xcap_etag_match("*", "abc", true));
	CHECK(t, xcap_etag_match("\"x\", *", "abc", true));
	/* no current representation: nothing matches, not even "*" */
	CHECK(t, !xcap_etag_match("*", NULL, true));
	CHECK(t, !xcap_etag_match("\"abc\", *", NULL, true));
	CHECK(t, !xcap_etag_match("\"*x\"", "abc", true));
}

/* A whole file appended within the cap; over it or missing, b is as it was. */
static void core_buf_add_file(struct test_ctx *t)
{
	char path[] = "/tmp/mcx-buf-XXXXXX";
	int fd = mkstemp(path);
	struct mcx_buf b;

	CHECK(t, fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(t, write(fd, "0123456789", 10), 10);
	close(fd);
	buf_init(&b, 14);
	CHECK_INT(t, buf_adds(&b, "ab:"), MCX_OK);
	CHECK_INT(t, buf_add_file(&b, path), MCX_OK);
	CHECK_STR(t, b.p, "ab:0123456789");
	CHECK_INT(t, buf_add_file(&b, path), MCX_ELIMIT);
	CHECK_STR(t, b.p, "ab:0123456789");
	CHECK_INT(t, buf_add_file(&b, "/nonexistent/mcx"), MCX_ENOENT);
	CHECK_INT(t, b.len, 13);
	buf_reset(&b);
	unlink(path);
}

const struct test tests_core[] = {
	{ "core_buf_add_file", core_buf_add_file, false },
	{ "core_buf_cap", core_buf_cap, false },
	{ "core_buf_grows", core_buf_grows, false },
	{ "core_buf_take", core_buf_take, false },
	{ "core_buf_xml_escaping", core_buf_xml_escaping, false },
	{ "core_conf_defaults", core_conf_defaults, false },
	{ "core_conf_parse_values", core_conf_parse_values, false },
	{ "core_conf_quoted_value_keeps_hash", core_conf_quoted_value_keeps_hash, false },
	{ "core_conf_sizes_and_bools", core_conf_sizes_and_bools, false },
	{ "core_conf_errors_file_line", core_conf_errors_file_line, false },
	{ "core_conf_errors_limits", core_conf_errors_limits, false },
	{ "core_conf_load_file", core_conf_load_file, false },
	{ "core_conf_dump", core_conf_dump, false },
	{ "core_conf_lookup_and_help", core_conf_lookup_and_help, false },
	{ "core_conf_oom", core_conf_oom, true },
	{ "core_b64url_round_trips", core_b64url_round_trips, false },
	{ "core_b64url_vectors", core_b64url_vectors, false },
	{ "core_etag_compute", core_etag_compute, false },
	{ "core_etag_match_lists", core_etag_match_lists, false },
	{ "core_etag_match_star", core_etag_match_star, false },
	{ NULL, NULL, false }
};
