/* XCAP error conditions (RFC 4825 §11) and their xcap-error+xml bodies. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xcap/error.h"

static const char *const tags[] = {
	[XE_NONE] = "",
	[XE_NOT_WELL_FORMED] = "not-well-formed",
	[XE_NOT_UTF8] = "not-utf-8",
	[XE_NOT_XML_FRAG] = "not-xml-frag",
	[XE_NOT_XML_ATT_VALUE] = "not-xml-att-value",
	[XE_SCHEMA] = "schema-validation-error",
	[XE_UNIQUENESS] = "uniqueness-failure",
	[XE_CONSTRAINT] = "constraint-failure",
	[XE_NO_PARENT] = "no-parent",
	[XE_CANNOT_INSERT] = "cannot-insert",
	[XE_CANNOT_DELETE] = "cannot-delete",
};

const char *xcap_errtag_name(enum xcap_errtag tag)
{
	return (unsigned)tag < sizeof(tags) / sizeof(tags[0]) ? tags[tag] : "";
}

int xs_set(struct xcap_status *st, int http, enum xcap_errtag tag, const char *fmt, ...)
{
	va_list ap;

	st->http = http;
	st->tag = tag;
	st->phrase[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(st->phrase, sizeof(st->phrase), fmt, ap);
		va_end(ap);
	}
	return http;
}

/* Phrases may carry parser output: keep them valid UTF-8 and printable. */
static enum mcx_err add_phrase(struct mcx_buf *b, const char *s)
{
	char clean[sizeof(((struct xcap_status *)0)->phrase)];
	size_t i, n = 0;

	for (i = 0; s[i] && n + 1 < sizeof(clean); i++) {
		unsigned char c = (unsigned char)s[i];

		clean[n++] = (c < 0x20 || c >= 0x7f) ? ' ' : (char)c;
	}
	while (n && clean[n - 1] == ' ')
		n--;
	return buf_add_xml(b, clean, n);
}

enum mcx_err xcap_error_body(const struct xcap_status *st, struct mcx_buf *b)
{
	const char *t = xcap_errtag_name(st->tag);
	enum mcx_err err;
	int i;

	err = buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<xcap-error xmlns=\"urn:ietf:params:xml:ns:xcap-error\">");
	if (!err)
		err = buf_addf(b, "<%s", t);
	if (!err && st->phrase[0]) {
		err = buf_adds(b, " phrase=\"");
		if (!err)
			err = add_phrase(b, st->phrase);
		if (!err)
			err = buf_adds(b, "\"");
	}
	if (err)
		return err;
	switch (st->tag) {
	case XE_NO_PARENT:
		err = buf_adds(b, ">");
		if (!err && st->ancestor[0]) {
			err = buf_adds(b, "<ancestor>");
			if (!err)
				err = buf_add_xml(b, st->ancestor, strlen(st->ancestor));
			if (!err)
				err = buf_adds(b, "</ancestor>");
		}
		if (!err)
			err = buf_addf(b, "</%s>", t);
		break;
	case XE_UNIQUENESS:
		err = buf_adds(b, "><exists field=\"");
		if (!err)
			err = buf_add_xml(b, st->field, strlen(st->field));
		if (!err)
			err = buf_adds(b, "\">");
		for (i = 0; !err && i < st->nalt; i++) {
			err = buf_adds(b, "<alt-value>");
			if (!err)
				err = buf_add_xml(b, st->alt[i], strlen(st->alt[i]));
			if (!err)
				err = buf_adds(b, "</alt-value>");
		}
		if (!err)
			err = buf_addf(b, "</exists></%s>", t);
		break;
	default:
		err = buf_adds(b, "/>");
	}
	if (!err)
		err = buf_adds(b, "</xcap-error>\n");
	return err;
}
