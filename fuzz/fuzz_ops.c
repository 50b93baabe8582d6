/* libFuzzer driver: XCAP node operations. The input is "<selector>\n<body>";
 * GET, PUT and DELETE run on a fixed document, and when the new bytes index
 * the GET(PUT(x)) == x / DELETE checks run on them too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xcap/ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DOC[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!-- top -->\n"
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\" xmlns:x=\"urn:x\">\n"
	"  <list name=\"friends\">\n"
	"    <entry uri=\"sip:a@x\"/>  <!-- a -->\n"
	"    <entry uri='sip:b@x' x:t=\"1\"><display-name>B</display-name></entry>\n"
	"  </list>\n"
	"  <list name=\"empty\"/>\n"
	"  <list name=\"text\">hi<![CDATA[<no/>]]></list>\n"
	"  <other xmlns=\"\" xmlns:x=\"urn:x2\"><x:in/></other>\n"
	"</resource-lists>\n";

static const struct xsel_nsbind BINDS[] = {
	{ { "x", 1 }, "urn:x" },
	{ { "z", 1 }, "urn:x2" },
};
static const struct xcap_opctx OPC = {
	{ "urn:ietf:params:xml:ns:resource-lists", BINDS, 2 }, NULL,
	"http://x/xcap-root/resource-lists/users/sip:u@x/index"
};

static struct xmldoc *doc(void)
{
	static struct xmldoc *d;

	if (!d && xmldoc_index(&d, DOC, sizeof(DOC) - 1, NULL, NULL, 0))
		abort();
	return d;
}

static void get(const struct xmldoc *d, const struct xsel *s)
{
	struct mcx_buf ns;
	struct xcap_status st;
	const char *p = NULL;
	size_t n = 0;

	buf_init(&ns, 1 << 16);
	if (xcap_node_get(d, s, &OPC, &p, &n, &ns, &st) == 200 && s->term != XSEL_NS &&
	    (p < d->buf || p + n > d->buf + d->len))
		abort();
	buf_reset(&ns);
}

/* A write only touches the root element: the prolog and what follows the
 * root are the same bytes before and after. */
static void check_preserved(const struct mcx_buf *out)
{
	const struct xmldoc *d = doc();
	size_t pro = d->root_prolog_end, tail = d->len - d->els[0].end;

	if (out->len < pro + tail || memcmp(out->p, d->buf, pro) ||
	    memcmp(out->p + out->len - tail, d->buf + d->els[0].end, tail))
		abort();
}

/* Index the new bytes and run the check that follows a write. must_index:
 * the write cannot have broken well-formedness (a DELETE, an attribute PUT). */
static void verify(const struct mcx_buf *out, const struct xsel *s, const char *body,
		   size_t blen, bool put, bool must_index)
{
	struct xmldoc *nd;
	struct xcap_status st;

	check_preserved(out);
	if (xmldoc_index(&nd, out->p ? out->p : "", out->len, NULL, NULL, 0)) {
		if (must_index)
			abort();
		return;
	}
	memset(&st, 0, sizeof(st));
	if (put)
		(void)xcap_verify_put(nd, s, &OPC, body, blen, &st);
	else
		(void)xcap_verify_delete(nd, s, &OPC, &st);
	get(nd, s);
	xmldoc_free(nd);
}

static void write_ops(const struct xsel *s, const char *body, size_t blen)
{
	struct mcx_buf out;
	struct xcap_status st;
	int rc;

	buf_init(&out, 1 << 20);
	memset(&st, 0, sizeof(st));
	rc = xcap_node_put(doc(), s, &OPC, body, blen, &out, &st);
	if (rc == 200 || rc == 201)
		verify(&out, s, body, blen, true, s->term == XSEL_ATTR);
	else if (out.len)
		abort();    /* a failed write leaves no bytes behind */
	buf_reset(&out);
	buf_init(&out, 1 << 20);
	memset(&st, 0, sizeof(st));
	rc = xcap_node_delete(doc(), s, &OPC, &out, &st);
	if (rc == 200) {
		if (out.len >= doc()->len)
			abort();
		verify(&out, s, NULL, 0, false, true);
	}
	buf_reset(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nl = memchr(p, '\n', size);
	size_t sl = nl ? (size_t)(nl - p) : size;
	const char *body = nl ? nl + 1 : "";
	size_t blen = nl ? size - sl - 1 : 0;
	struct xsel s;

	if (xsel_parse(&s, p, sl, 16, NULL, 0))
		return 0;
	get(doc(), &s);
	write_ops(&s, body, blen);
	xsel_free(&s);
	return 0;
}
