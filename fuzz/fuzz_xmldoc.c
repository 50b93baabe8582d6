/* libFuzzer driver: xmldoc_index on arbitrary bytes; when it succeeds the
 * index must be self-consistent (spans nested and in bounds, parent/child
 * and sibling links agree) — abort() on any violation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xcap/xmldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static void check_attrs(const struct xmldoc *d, const struct xel *e)
{
	uint32_t a;
	char tmp[256];

	ASSERT(e->attr0 <= d->nattrs && e->nattr <= d->nattrs - e->attr0);
	for (a = e->attr0; a < e->attr0 + e->nattr; a++) {
		const struct xattr *at = &d->attrs[a];

		ASSERT(at->off > e->start && at->end <= e->stag_end && at->off < at->end);
		ASSERT(at->raw.p >= d->buf + at->off);
		ASSERT(at->raw.p + at->raw.l + 1 == d->buf + at->end);
		ASSERT(at->quote == '"' || at->quote == '\'');
		ASSERT(at->ns < d->nns);
		(void)xml_unescape(at->raw, tmp, sizeof(tmp), NULL);
	}
}

static void check_children(const struct xmldoc *d, uint32_t i, uint32_t *seen)
{
	const struct xel *e = &d->els[i];
	uint32_t c, prev = XEL_NONE;
	uint32_t after = e->stag_end;

	for (c = e->first_child; c != XEL_NONE; c = d->els[c].next) {
		const struct xel *k = &d->els[c];

		ASSERT(c < d->nels && c > i && k->parent == i && k->prev == prev);
		ASSERT(k->start >= after && k->end <= e->etag_start);
		ASSERT(k->depth == e->depth + 1);
		after = k->end;
		prev = c;
		(*seen)++;
	}
	ASSERT(e->last_child == prev);
}

static void check(const struct xmldoc *d, size_t len)
{
	uint32_t i, seen = 0;

	ASSERT(d->nels >= 1 && d->len == len && d->els[0].parent == XEL_NONE);
	ASSERT(d->els[0].start == d->root_prolog_end && d->els[0].depth == 1);
	for (i = 0; i < d->nels; i++) {
		const struct xel *e = &d->els[i];

		ASSERT(e->start < e->stag_end && e->stag_end <= e->etag_start);
		ASSERT(e->etag_start <= e->end && e->end <= len);
		ASSERT(d->buf[e->start] == '<' && d->buf[e->stag_end - 1] == '>');
		ASSERT(d->buf[e->end - 1] == '>');
		ASSERT(!e->empty || (e->etag_start == e->stag_end && e->end == e->stag_end));
		ASSERT(e->empty || d->buf[e->etag_start] == '<');
		ASSERT(e->ns < d->nns && (e->nsscope == XEL_NONE || e->nsscope < d->ndecls));
		ASSERT(e->qname.p == d->buf + e->start + 1 && e->local.l > 0);
		ASSERT(i == 0 || (e->parent < i && e->start > d->els[i - 1].start));
		check_attrs(d, e);
		check_children(d, i, &seen);
	}
	ASSERT(seen == d->nels - 1);
	for (i = 0; i < d->ndecls; i++)
		ASSERT(d->decls[i].ns < d->nns &&
		       (d->decls[i].next == XEL_NONE || d->decls[i].next < i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xmldoc_limits lenient = { 16, 1000, 16, true };
	struct xmldoc *d;
	const char *p = (const char *)data;

	if (!xmldoc_index(&d, p, size, NULL, NULL, 0)) {
		check(d, size);
		xmldoc_free(d);
	}
	if (!xmldoc_index(&d, p, size, &lenient, NULL, 0)) {
		check(d, size);
		xmldoc_free(d);
	}
	(void)xml_utf8_ok(p, size);
	return 0;
}
