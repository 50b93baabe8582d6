/* WBXML decoding through libwbxml2 (the only file that includes it): the
 * document is checked token by token first, then converted with the
 * language forced to SyncML 1.2 or DM DDF 1.2, whatever public id it
 * carries; plus the message-level WBXML entry points. */
#include <stdio.h>
#include <string.h>
#include <wbxml/wbxml.h>

#define LOG_MODULE "dm"
#include "core/log.h"
#include "core/mem.h"
#include "dm/wbxml.h"
#include "dm/wbxml_scan.h"
#include "core/banned.h"

/* Exported by libwbxml2 but declared only in its private wbxml_mem.h: the
 * free matching the allocator of the buffers its converters return. */
void wbxml_free(void *memblock);

bool dm_is_wbxml(const void *p, size_t n)
{
	const uint8_t *b = p;

	/* WBXML starts with its version byte (0x01-0x03); XML with '<', a BOM or blanks */
	return n > 0 && b[0] <= 0x03;
}

static WBXMLLanguage forced_lang(enum dm_wb_lang l)
{
	return l == DM_WB_LANG_DMDDF ? WBXML_LANG_SYNCML_DMDDF12 : WBXML_LANG_SYNCML_SYNCML12;
}

static enum mcx_err convert(const uint8_t *p, size_t n, const struct dm_wb_info *info,
			    const struct dm_limits *lim, struct mcx_buf *out,
			    char *errbuf, size_t errlen)
{
	WBXMLConvWBXML2XML *conv = NULL;
	WB_UTINY *xml = NULL, *copy;
	WB_ULONG xml_len = 0;
	WBXMLError rc;
	enum mcx_err err = MCX_ENOMEM;

	/* libwbxml2 takes a non-const buffer: give it an exact-size copy */
	copy = mcx_malloc(n ? n : 1);
	if (!copy)
		return MCX_ENOMEM;
	memcpy(copy, p, n);
	if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK)
		goto out;
	wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
	wbxml_conv_wbxml2xml_set_language(conv, forced_lang(info->lang));
	wbxml_conv_wbxml2xml_set_charset(conv, WBXML_CHARSET_UTF_8);
	wbxml_conv_wbxml2xml_enable_preserve_whitespaces(conv);
	rc = wbxml_conv_wbxml2xml_run(conv, copy, (WB_ULONG)n, &xml, &xml_len);
	if (rc != WBXML_OK) {
		snprintf(errbuf, errlen, "libwbxml2: %s", (const char *)wbxml_errors_string(rc));
		err = rc == WBXML_ERROR_NOT_ENOUGH_MEMORY ? MCX_ENOMEM : MCX_EINVAL;
		goto out;
	}
	if (xml_len > dm_limits_or_default(lim)->wbxml_xml_max) {
		snprintf(errbuf, errlen, "decodes to more XML than allowed");
		err = MCX_ELIMIT;
		goto out;
	}
	err = buf_add(out, xml, xml_len);
out:
	if (xml)
		wbxml_free(xml);
	if (conv)
		wbxml_conv_wbxml2xml_destroy(conv);
	mcx_free(copy);
	return err;
}

enum mcx_err dm_wbxml_decode(const uint8_t *p, size_t n, const struct dm_limits *lim,
			     struct mcx_buf *out, char *errbuf, size_t errlen)
{
	struct dm_wb_info info;
	char dummy[1];
	enum mcx_err err;

	if (!errbuf || !errlen) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	err = dm_wb_scan(p, n, lim, &info, errbuf, errlen);
	if (err)
		return err;
	log_debug("WBXML %u.%u pubid 0x%x%s%s, decoding as %s", 1 + (info.version >> 4),
		  info.version & 15, info.pubid, info.fpi[0] ? " " : "", info.fpi,
		  info.lang == DM_WB_LANG_DMDDF ? "DM DDF 1.2" : "SyncML 1.2");
	return convert(p, n, &info, lim, out, errbuf, errlen);
}

enum mcx_err dm_msg_parse_wbxml(const uint8_t *p, size_t n, const struct dm_limits *lim,
				struct dm_msg **msgp, char *errbuf, size_t errlen)
{
	const struct dm_limits *l = dm_limits_or_default(lim);
	struct mcx_buf xml;
	enum mcx_err err;

	buf_init(&xml, l->wbxml_xml_max);
	err = dm_wbxml_decode(p, n, lim, &xml, errbuf, errlen);
	if (!err) {
		struct dm_limits wide = *l;

		/* the XML form of a message is bigger than its WBXML: the WBXML
		 * size was checked against msg_max, the XML against wbxml_xml_max */
		wide.msg_max = l->wbxml_xml_max;
		err = dm_msg_parse(xml.p ? xml.p : "", xml.len, &wide, 0, msgp, errbuf, errlen);
	}
	buf_reset(&xml);
	return err;
}

enum mcx_err dm_msg_emit_wbxml(const struct dm_msg *m, const struct dm_wbxml_opts *o,
			       struct mcx_buf *out, char *errbuf, size_t errlen)
{
	struct mcx_buf xml;
	struct dm_limits wide = *dm_limits_default();
	enum mcx_err err;

	buf_init(&xml, out->max);
	err = dm_msg_emit(m, &xml);
	wide.msg_max = out->max;
	if (!err)
		err = dm_wbxml_encode(xml.p, xml.len, o, &wide, out, errbuf, errlen);
	buf_reset(&xml);
	return err;
}
