/* libFuzzer driver for WBXML decoding (the token checker, then libwbxml2,
 * then the SyncML/TNDS readers). Invariants: errors are MCX_EINVAL or
 * MCX_ELIMIT with a reason; decoded XML is bounded by wbxml_xml_max; an
 * accepted message re-encodes with our writer and decodes back equal
 * (unless it carries nested-XML data, whose prefixes WBXML drops). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
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

static void round_trip(const struct dm_msg *m)
{
	struct mcx_buf wb;
	struct dm_msg *back = NULL;
	char err[256];
	enum mcx_err e;

	buf_init(&wb, 1 << 22);
	e = dm_msg_emit_wbxml(m, NULL, &wb, err, sizeof(err));
	if (e == MCX_OK) {
		ASSERT(dm_msg_parse_wbxml((const uint8_t *)wb.p, wb.len, NULL, &back, err,
					  sizeof(err)) == MCX_OK);
		if (!has_xml_data(m->cmds))
			ASSERT(dm_msg_equal(m, back, err, sizeof(err)));
	} else {
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
	}
	dm_msg_free(back);
	buf_reset(&wb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dm_limits *lim = dm_limits_default();
	uint8_t *p = malloc(size ? size : 1);	/* exact size: over-reads are caught */
	struct mcx_buf xml;
	struct dm_msg *m = NULL;
	struct dm_tnds *t = NULL;
	char err[256] = "";
	enum mcx_err e;

	if (!p)
		return 0;
	mcx_log_set_level(MCX_LOG_ERROR);
	memcpy(p, data, size);
	buf_init(&xml, lim->wbxml_xml_max);
	e = dm_wbxml_decode(p, size, NULL, &xml, err, sizeof(err));
	if (e) {
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
		ASSERT(err[0]);
	} else {
		ASSERT(xml.len <= lim->wbxml_xml_max);
		(void)dm_tnds_parse(xml.p, xml.len, NULL, &t, NULL, 0);
		dm_tnds_free(t);
	}
	buf_reset(&xml);
	e = dm_msg_parse_wbxml(p, size, NULL, &m, err, sizeof(err));
	if (e == MCX_OK)
		round_trip(m);
	else
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
	dm_msg_free(m);
	free(p);
	return 0;
}
