/* libFuzzer driver for the DM XML readers: SyncML messages (strict and with
 * the lenient-ampersand flag), TNDS trees and w7 provisioning documents.
 * Invariants (abort() on violation): an accepted message serializes, the
 * canonical XML parses back to an equal message and re-serializes to the
 * same bytes; a message without nested-XML data survives WBXML both ways
 * when the encoder accepts it; an accepted tree or w7 document serializes
 * and parses back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/w7.h"
#include "dm/wbxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static bool has_xml_data(const struct dm_cmd *c)
{
	const struct dm_item *it;

	for (; c; c = c->next) {
		for (it = c->items; it; it = it->next)
			if (it->data && it->data->kind == DM_DATA_XML)
				return true;
		if (has_xml_data(c->children))
			return true;
	}
	return false;
}

static void wbxml_round_trip(const struct dm_msg *m)
{
	struct dm_wbxml_opts o = { 0x03, true };
	struct mcx_buf wb;
	struct dm_msg *back = NULL;
	char err[256];
	enum mcx_err e;

	buf_init(&wb, 1 << 22);
	e = dm_msg_emit_wbxml(m, &o, &wb, err, sizeof(err));
	if (!e) {
		e = dm_msg_parse_wbxml((const uint8_t *)wb.p, wb.len, NULL, &back, err, sizeof(err));
		ASSERT(e == MCX_OK);
		ASSERT(dm_msg_equal(m, back, err, sizeof(err)));
	} else {
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
	}
	dm_msg_free(back);
	buf_reset(&wb);
}

static void syncml(const char *p, size_t n, unsigned flags)
{
	struct dm_msg *m = NULL, *m2 = NULL;
	struct mcx_buf a, b;
	char err[256];
	enum mcx_err e = dm_msg_parse(p, n, NULL, flags, &m, err, sizeof(err));

	if (e) {
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
		ASSERT(err[0]);
		return;
	}
	buf_init(&a, 1 << 24);
	buf_init(&b, 1 << 24);
	e = dm_msg_emit(m, &a);
	if (e == MCX_OK) {
		ASSERT(dm_msg_parse(a.p, a.len, NULL, 0, &m2, err, sizeof(err)) == MCX_OK);
		ASSERT(dm_msg_equal(m, m2, err, sizeof(err)));
		ASSERT(dm_msg_emit(m2, &b) == MCX_OK);
		ASSERT(a.len == b.len && !memcmp(a.p, b.p, a.len));
		if (!has_xml_data(m->cmds))
			wbxml_round_trip(m);
	} else {
		/* only unknown commands and non-XML bytes stop the serializer */
		ASSERT(e == MCX_EINVAL);
	}
	buf_reset(&a);
	buf_reset(&b);
	dm_msg_free(m);
	dm_msg_free(m2);
}

static void tnds(const char *p, size_t n)
{
	struct dm_tnds *t = NULL, *t2 = NULL;
	struct mcx_buf out;
	enum mcx_err e = dm_tnds_parse(p, n, NULL, &t, NULL, 0);

	if (e)
		return;
	buf_init(&out, 1 << 24);
	if (dm_tnds_emit(t, &out) == MCX_OK) {
		ASSERT(dm_tnds_parse(out.p, out.len, NULL, &t2, NULL, 0) == MCX_OK);
		/* DDF access types are not written back: compare trees only */
		ASSERT(t2->count == t->count);
	}
	buf_reset(&out);
	dm_tnds_free(t);
	dm_tnds_free(t2);
}

static void w7(const char *p, size_t n)
{
	struct dm_w7 *w = NULL, *w2 = NULL;
	struct dm_tnds *t = NULL;
	struct mcx_buf out;
	size_t i;

	if (dm_w7_parse(p, n, &w, NULL, 0))
		return;
	buf_init(&out, 1 << 24);
	ASSERT(dm_w7_emit(w, &out) == MCX_OK);
	ASSERT(dm_w7_parse(out.p, out.len, &w2, NULL, 0) == MCX_OK);
	ASSERT(w2->n == w->n);
	ASSERT(dm_tnds_alloc(&t, NULL) == MCX_OK);
	for (i = 0; i < w->n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "a%zu", i);
		(void)dm_w7_to_dmacc(&w->accs[i], name, t, NULL);
	}
	dm_tnds_free(t);
	buf_reset(&out);
	dm_w7_free(w);
	dm_w7_free(w2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);	/* exact size: over-reads are caught */

	if (!p)
		return 0;
	mcx_log_set_level(MCX_LOG_ERROR);
	memcpy(p, data, size);
	syncml(p, size, 0);
	syncml(p, size, DM_PARSE_LENIENT_AMP);
	tnds(p, size);
	w7(p, size);
	free(p);
	return 0;
}
