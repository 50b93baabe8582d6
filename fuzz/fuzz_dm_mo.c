/* libFuzzer driver for the MCPTT MO mapping (dm/mo.c): an XML document ->
 * MO nodes (mo_from_xml, its own tokenizer behind libxml2) and back
 * (mo_to_xml, through the recorded XMLForm and canonically). The kind is
 * the document element's (mo_kind_of_xml), else the first byte's.
 * Invariants (abort() on violation): when from_xml succeeds, to_xml
 * succeeds through the XMLForm, and a second pass gives the same bytes
 * (the first may only escape values differently), the canonical form
 * reads back as the same nodes (as a set: paths are unique) and is a fixed
 * point of the writer; node paths and values within the bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm/mo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

/* Small enough that the bounds are reached, large enough for the demo documents. */
static const struct mo_limits lim = { 64 * 1024, 2000, 16 };

static void check_nodes(const struct mo_tree *t)
{
	size_t i;

	ASSERT(t->n <= lim.nodes_max);
	for (i = 0; i < t->n; i++) {
		ASSERT(t->v[i].path && strlen(t->v[i].path) < MO_PATH_MAX);
		ASSERT(t->v[i].leaf ? t->v[i].value && !t->v[i].value[t->v[i].len] : !t->v[i].value);
	}
}

/* Same nodes, whatever their order: the canonical writer groups the
 * occurrences of a repeated element that a document may interleave (the
 * tree of a DM client keeps no order between different names either). */
static bool same_nodes(const struct mo_tree *a, const struct mo_tree *b)
{
	size_t i, na = 0, nb = 0;

	for (i = 0; i < a->n; i++) {
		const struct mo_node *x = &a->v[i], *y;

		if (!strcmp(x->path, MO_NODE_FORM))
			continue;
		na++;
		y = mo_tree_find(b, x->path);
		if (!y || x->leaf != y->leaf ||
		    (x->leaf && (x->len != y->len || memcmp(x->value, y->value, x->len))))
			return false;
	}
	for (i = 0; i < b->n; i++)
		nb += strcmp(b->v[i].path, MO_NODE_FORM) != 0;
	return na == nb;
}

/* The canonical form of t reads back as t's nodes and writes itself. */
static void canonical(const struct mo_tree *t)
{
	struct mcx_buf a, b;
	struct mo_tree *back = NULL;
	char eb[300];
	enum mcx_err e;

	buf_init(&a, 4 * lim.doc_max);
	buf_init(&b, 4 * lim.doc_max);
	ASSERT(mo_to_xml(t, MO_NO_FORM, &a, NULL, eb, sizeof(eb)) == MCX_OK);
	e = mo_from_xml(t->kind, a.p, a.len, MO_NO_FORM, &lim, &back, eb, sizeof(eb));
	/* indentation makes the canonical form longer than a packed input */
	if (e == MCX_ELIMIT && a.len > lim.doc_max)
		goto out;
	ASSERT(e == MCX_OK);
	ASSERT(same_nodes(t, back));
	ASSERT(mo_to_xml(back, MO_NO_FORM, &b, NULL, eb, sizeof(eb)) == MCX_OK);
	ASSERT(a.len == b.len && !memcmp(a.p, b.p, a.len));
out:
	mo_tree_free(back);
	buf_reset(&a);
	buf_reset(&b);
}

static void with_form(enum mo_kind k, const char *p, size_t n)
{
	struct mo_tree *t = NULL, *t2 = NULL;
	struct mcx_buf out, again;
	char eb[300];
	bool used = false;
	enum mcx_err e = mo_from_xml(k, p, n, 0, &lim, &t, eb, sizeof(eb));

	if (e) {
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
		return;
	}
	check_nodes(t);
	buf_init(&out, 4 * lim.doc_max);
	buf_init(&again, 4 * lim.doc_max);
	ASSERT(mo_to_xml(t, 0, &out, &used, eb, sizeof(eb)) == MCX_OK);
	/* the presentation is kept: the form fits the nodes it came from, and
	 * what it writes reads back and writes the same bytes (the first pass
	 * may differ from the input only in how values are escaped) */
	ASSERT(used);
	e = mo_from_xml(k, out.p, out.len, 0, &lim, &t2, eb, sizeof(eb));
	if (!(e == MCX_ELIMIT && out.len > lim.doc_max)) {	/* escapes may grow it */
		ASSERT(e == MCX_OK && mo_tree_equal(t, t2, false, eb, sizeof(eb)));
		ASSERT(mo_to_xml(t2, 0, &again, &used, eb, sizeof(eb)) == MCX_OK && used);
		ASSERT(again.len == out.len && !memcmp(again.p, out.p, out.len));
	}
	buf_reset(&out);
	buf_reset(&again);
	canonical(t);
	mo_tree_free(t);
	mo_tree_free(t2);
}

static void without_form(enum mo_kind k, const char *p, size_t n)
{
	struct mo_tree *t = NULL;
	char eb[300];

	if (mo_from_xml(k, p, n, MO_NO_FORM, &lim, &t, eb, sizeof(eb)))
		return;
	check_nodes(t);
	ASSERT(!mo_tree_find(t, MO_NODE_FORM));
	canonical(t);
	mo_tree_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p, eb[300];
	enum mo_kind k;

	if (!size)
		return 0;
	p = malloc(size);	/* exact size: over-reads are caught */
	if (!p)
		return 0;
	memcpy(p, data, size);
	if (mo_kind_of_xml(p, size, &k, eb, sizeof(eb)))
		k = (enum mo_kind)(data[0] % MO_KIND_COUNT);
	with_form(k, p, size);
	without_form(k, p, size);
	free(p);
	return 0;
}
