/* libFuzzer driver: node selectors through xsel_parse, then evaluation of
 * every prefix of the steps against a fixed small indexed document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xcap/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DOC[] =
	"<?xml version=\"1.0\"?>\n"
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\" xmlns:x=\"urn:x\">\n"
	" <list name=\"friends\">\n"
	"  <entry uri=\"sip:a@example.com\"><display-name>A &amp; B</display-name></entry>\n"
	"  <x:note x:lang='en'>n</x:note>\n"
	"  <entry uri=\"sip:b@example.com\" x:tag=\"t\"/>\n"
	"  <entry uri='sip:b@example.com'/>\n"
	" </list>\n"
	" <list name=\"a&amp;b&#x41;\"/>\n"
	" <plain xmlns=\"\"><leaf a=\"1\"/></plain>\n"
	"</resource-lists>\n";

static const struct xsel_nsbind BINDS[] = {
	{ { "rl", 2 }, "urn:ietf:params:xml:ns:resource-lists" },
	{ { "x", 1 }, "urn:x" },
	{ { "y", 1 }, "urn:unused" },
};

static struct xmldoc *doc(void)
{
	static struct xmldoc *d;

	if (!d && xmldoc_index(&d, DOC, sizeof(DOC) - 1, NULL, NULL, 0))
		abort();
	return d;
}

static void eval_all(const struct xmldoc *d, const struct xsel *s, const struct xsel_ctx *c)
{
	uint32_t k, el, matched;

	for (k = 1; k <= s->n; k++) {
		enum xsel_res r = xsel_eval(d, s, k, c, &el, &matched);

		if (r == XSEL_FOUND && (el >= d->nels || matched != k))
			abort();
		if ((r == XSEL_NONE || r == XSEL_MANY) && matched >= k)
			abort();
		if (r == XSEL_FOUND && k == s->n && s->term == XSEL_ATTR) {
			bool bad = false;
			uint32_t a = xsel_find_attr(d, el, s->tprefix, s->tlocal, c, &bad);

			if (a != XEL_NONE && a >= d->nattrs)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct xsel_ctx with = { "urn:ietf:params:xml:ns:resource-lists", BINDS, 3 };
	const struct xsel_ctx without = { NULL, NULL, 0 };
	struct xsel s;
	char eb[160];

	if (xsel_parse(&s, (const char *)data, size, 16, eb, sizeof(eb)))
		return 0;
	if (!s.n || s.n > 16)
		abort();
	eval_all(doc(), &s, &with);
	eval_all(doc(), &s, &without);
	xsel_free(&s);
	return 0;
}
