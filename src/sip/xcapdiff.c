/* Writing xcap-diff documents. */
#include <string.h>

#include "sip/xcapdiff.h"

enum mcx_err xdiff_begin(struct mcx_buf *b, const char *xcap_root)
{
	enum mcx_err err;

	err = buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<xcap-diff xmlns=\"" NS_XCAP_DIFF "\" xcap-root=\"");
	if (!err)
		err = buf_add_xml(b, xcap_root, strlen(xcap_root));
	if (!err)
		err = buf_adds(b, "\">\n");
	return err;
}

static enum mcx_err attr(struct mcx_buf *b, const char *name, const char *val)
{
	enum mcx_err err;

	err = buf_addf(b, " %s=\"", name);
	if (!err)
		err = buf_add_xml(b, val, strlen(val));
	if (!err)
		err = buf_adds(b, "\"");
	return err;
}

enum mcx_err xdiff_document(struct mcx_buf *b, const char *sel, const char *prev, const char *next,
			    const char *ops, size_t opslen)
{
	enum mcx_err err;

	err = buf_adds(b, " <document");
	if (!err)
		err = attr(b, "sel", sel);
	if (!err && *prev)
		err = attr(b, "previous-etag", prev);
	if (!err && *next)
		err = attr(b, "new-etag", next);
	if (err)
		return err;
	if (!ops || !opslen)
		return buf_adds(b, "/>\n");
	err = buf_adds(b, ">");
	if (!err)
		err = buf_add(b, ops, opslen);
	if (!err)
		err = buf_adds(b, "</document>\n");
	return err;
}

enum mcx_err xdiff_node(struct mcx_buf *b, bool attribute, const char *sel, size_t sellen,
			const char *decls, bool exists, const char *content, size_t len)
{
	const char *name = attribute ? "attribute" : "element";
	enum mcx_err err;

	err = buf_addf(b, " <%s sel=\"", name);
	if (!err)
		err = buf_add_xml(b, sel, sellen);
	if (!err)
		err = buf_addf(b, "\"%s", decls);
	if (!err && !exists)
		return buf_adds(b, " exists=\"0\"/>\n");
	if (!err)
		err = buf_adds(b, ">");
	if (!err && len)
		err = buf_add(b, content, len);
	if (!err)
		err = buf_addf(b, "</%s>\n", name);
	return err;
}

enum mcx_err xdiff_end(struct mcx_buf *b)
{
	return buf_adds(b, "</xcap-diff>\n");
}
