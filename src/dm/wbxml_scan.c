/* Bounded walk over a WBXML document: header, string table and every body
 * token, with the SyncML context libwbxml2 itself uses to decide whether a
 * <Data> holds an embedded WBXML document (a Meta/Type ending in +wbxml on
 * the Data's parent or grandparent), so such documents are checked too. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "dm/wbxml_scan.h"
#include "dm/wbxml_tab.h"
#include "core/banned.h"

/* What one open element needs to remember. */
struct frame {
	uint8_t page;
	uint8_t token;
	uint8_t wbxml_type;	/* a child Meta declared +wbxml content */
	uint8_t texts;		/* content tokens seen in a +wbxml Data */
};

struct scan {
	const uint8_t *p;
	size_t n;
	size_t pos;
	const uint8_t *strtbl;
	size_t strtbl_len;
	const struct dm_limits *lim;
	struct dm_wb_info *info;
	unsigned embed;		/* nesting of embedded documents */
	size_t depth;		/* of this document */
	size_t base_depth;	/* of the Data holding this document */
	struct frame *st;	/* lim->depth_max frames */
	char type[DM_WBXML_TYPE_MAX];	/* text of the open Meta/Type */
	size_t type_len;
	int type_open;		/* depth of the open Type, 0 if none */
	uint8_t page;
	uint32_t pubid_idx;	/* string-table offset of a string public id */
	char *errbuf;
	size_t errlen;
};

static enum mcx_err bad(struct scan *s, enum mcx_err err, const char *fmt, ...) MCX_PRINTF(3, 4);

static enum mcx_err bad(struct scan *s, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (s->errbuf && s->errlen) {
		if (s->embed)
			k = snprintf(s->errbuf, s->errlen, "embedded document: ");
		va_start(ap, fmt);
		vsnprintf(s->errbuf + k, s->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return err;
}

static enum mcx_err truncated(struct scan *s)
{
	return bad(s, MCX_EINVAL, "truncated at byte %zu", s->pos);
}

static enum mcx_err get_u8(struct scan *s, uint8_t *v)
{
	if (s->pos >= s->n)
		return truncated(s);
	*v = s->p[s->pos++];
	return MCX_OK;
}

/* mb_u_int32: at most 5 bytes, at most 32 bits. */
static enum mcx_err get_mb(struct scan *s, uint32_t *v)
{
	uint64_t acc = 0;
	unsigned i;

	for (i = 0; i < 5; i++) {
		uint8_t b = 0;
		enum mcx_err err = get_u8(s, &b);

		if (err)
			return err;
		acc = acc << 7 | (b & 0x7F);
		if (!(b & 0x80)) {
			if (acc > UINT32_MAX)
				break;
			*v = (uint32_t)acc;
			return MCX_OK;
		}
	}
	return bad(s, MCX_EINVAL, "bad multi-byte integer at byte %zu", s->pos);
}

static enum mcx_err grow_estimate(struct scan *s, size_t add)
{
	if (add > s->lim->wbxml_xml_max - s->info->xml_estimate)
		return bad(s, MCX_ELIMIT, "decodes to more than %zu bytes of XML",
			   s->lim->wbxml_xml_max);
	s->info->xml_estimate += add;
	return MCX_OK;
}

/* Content bytes: no "]]>" (libwbxml2 puts Data content in CDATA sections
 * unescaped) and, outside string tokens, only XML characters. */
static enum mcx_err check_text(struct scan *s, const uint8_t *p, size_t n, int binary)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (binary && p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return bad(s, MCX_EINVAL, "opaque data holds byte 0x%02x, which XML cannot carry "
				   "(send binary values as b64)", p[i]);
		if (i + 2 < n && p[i] == ']' && p[i + 1] == ']' && p[i + 2] == '>')
			return bad(s, MCX_EINVAL, "text holds \"]]>\"");
	}
	return grow_estimate(s, n * 6);
}

/* A NUL-terminated string at p[0..max): its length, or -1. */
static long str_len(const uint8_t *p, size_t max)
{
	const uint8_t *z = memchr(p, 0, max);

	return z ? (long)(z - p) : -1;
}

static struct frame *top(struct scan *s)
{
	return s->depth ? &s->st[s->depth - 1] : NULL;
}

static const char *frame_name(const struct frame *f)
{
	return f ? dm_wb_tab_name(f->page, f->token) : NULL;
}

static int is_name(const struct frame *f, const char *name)
{
	const char *n = frame_name(f);

	return n && !strcmp(n, name);
}

/* The Data whose content libwbxml2 would parse as a WBXML document. */
static int in_wbxml_data(struct scan *s)
{
	size_t d = s->depth;

	if (!d || !is_name(&s->st[d - 1], "Data"))
		return 0;
	return (d >= 2 && s->st[d - 2].wbxml_type) || (d >= 3 && s->st[d - 3].wbxml_type);
}

static void type_text(struct scan *s, const uint8_t *p, size_t n)
{
	if ((size_t)s->type_open != s->depth)
		return;
	/* type_len is sizeof(type) once too long: no room left, not a wrap */
	if (s->type_len >= sizeof(s->type) || n > sizeof(s->type) - 1 - s->type_len) {
		s->type_len = sizeof(s->type);	/* too long: treated as +wbxml */
		return;
	}
	memcpy(s->type + s->type_len, p, n);
	s->type_len += n;
}

static enum mcx_err scan_doc(struct scan *s, const uint8_t *p, size_t n);

static enum mcx_err embedded(struct scan *s, const uint8_t *p, size_t n)
{
	struct scan sub = *s;
	struct dm_wb_info info = { 0 };
	enum mcx_err err;

	if (s->embed >= DM_WBXML_EMBED_MAX)
		return bad(s, MCX_ELIMIT, "WBXML documents embedded deeper than %d",
			   DM_WBXML_EMBED_MAX);
	sub.embed++;
	sub.base_depth = s->base_depth + s->depth;
	sub.st = s->st + s->depth;
	sub.info = &info;
	info.xml_estimate = s->info->xml_estimate;
	err = scan_doc(&sub, p, n);
	if (err)
		return err;
	if (info.lang != DM_WB_LANG_DMDDF)
		return bad(s, MCX_EINVAL, "a <Data> of type +wbxml must hold a TNDS document");
	s->info->xml_estimate = info.xml_estimate;
	s->info->embedded++;
	return MCX_OK;
}

static enum mcx_err content(struct scan *s, const uint8_t *p, size_t n, int opaque)
{
	struct frame *f = top(s);

	if (!f)
		return bad(s, MCX_EINVAL, "text outside the root element");
	if (in_wbxml_data(s)) {
		if (!opaque || f->texts++)
			return bad(s, MCX_EINVAL, "a <Data> of type +wbxml must hold one opaque "
				   "WBXML document");
		return embedded(s, p, n);
	}
	type_text(s, p, n);
	return check_text(s, p, n, opaque);
}

static enum mcx_err str_i(struct scan *s)
{
	long len = str_len(s->p + s->pos, s->n - s->pos);
	const uint8_t *p = s->p + s->pos;

	if (len < 0)
		return truncated(s);
	s->pos += (size_t)len + 1;
	return content(s, p, (size_t)len, 0);
}

static enum mcx_err str_t(struct scan *s)
{
	uint32_t off;
	long len;
	enum mcx_err err = get_mb(s, &off);

	if (err)
		return err;
	if (off >= s->strtbl_len)
		return bad(s, MCX_EINVAL, "string-table reference %u outside the table", off);
	len = str_len(s->strtbl + off, s->strtbl_len - off);
	if (len < 0)
		return bad(s, MCX_EINVAL, "unterminated string in the string table");
	return content(s, s->strtbl + off, (size_t)len, 0);
}

static enum mcx_err opaque(struct scan *s)
{
	const uint8_t *p;
	uint32_t len;
	enum mcx_err err = get_mb(s, &len);

	if (err)
		return err;
	if (len > s->n - s->pos)
		return bad(s, MCX_EINVAL, "opaque of %u bytes runs past the end", len);
	p = s->p + s->pos;
	s->pos += len;
	return content(s, p, len, 1);
}

static enum mcx_err entity(struct scan *s)
{
	uint32_t ch;
	enum mcx_err err = get_mb(s, &ch);

	if (err)
		return err;
	if (ch > 0x10FFFF || (ch < 0x20 && ch != 9 && ch != 10 && ch != 13) ||
	    (ch >= 0xD800 && ch <= 0xDFFF) || ch == 0xFFFE || ch == 0xFFFF)
		return bad(s, MCX_EINVAL, "entity %u is not an XML character", ch);
	if (!top(s))
		return bad(s, MCX_EINVAL, "text outside the root element");
	if ((size_t)s->type_open == s->depth)
		s->type_len = sizeof(s->type);	/* an entity in a Type: assume +wbxml */
	return grow_estimate(s, 12);
}

static bool mentions_wbxml(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 5 <= n; i++)
		if (!strncasecmp(p + i, "wbxml", 5))
			return true;
	return false;
}

/* The Type of a Meta closes: mark the Meta's parent like libwbxml2 would. */
static void type_closed(struct scan *s)
{
	struct frame *meta = s->depth >= 2 ? &s->st[s->depth - 2] : NULL;
	int wb;

	if ((size_t)s->type_open != s->depth)
		return;
	s->type_open = 0;
	if (!is_name(meta, "Meta") || s->depth < 3)
		return;
	/* libwbxml2 compares the Type's first text node; we look at all of its
	 * text, so anything mentioning wbxml counts (a superset, never less) */
	wb = s->type_len >= sizeof(s->type) || mentions_wbxml(s->type, s->type_len);
	if (wb)
		s->st[s->depth - 3].wbxml_type = 1;
}

static enum mcx_err end_tag(struct scan *s)
{
	if (!s->depth)
		return bad(s, MCX_EINVAL, "END without an open element at byte %zu", s->pos);
	if (is_name(top(s), "Type"))
		type_closed(s);
	s->depth--;
	return MCX_OK;
}

static enum mcx_err open_tag(struct scan *s, uint8_t tok, const char *name)
{
	struct frame *f;

	if (s->base_depth + s->depth >= s->lim->depth_max)
		return bad(s, MCX_ELIMIT, "elements nested deeper than %zu", s->lim->depth_max);
	f = &s->st[s->depth++];
	memset(f, 0, sizeof(*f));
	f->page = s->page;
	f->token = tok & DM_WB_TAG_MASK;
	if (!strcmp(name, "Type")) {
		s->type_open = (int)s->depth;
		s->type_len = 0;
	}
	return MCX_OK;
}

static enum mcx_err root_tag(struct scan *s, const char *name)
{
	if (s->page == DM_WB_PAGE_SYNCML && !strcmp(name, "SyncML"))
		s->info->lang = DM_WB_LANG_SYNCML;
	else if (s->page == DM_WB_PAGE_DMDDF && !strcmp(name, "MgmtTree"))
		s->info->lang = DM_WB_LANG_DMDDF;
	else
		return bad(s, MCX_EINVAL, "the root element <%s> is neither SyncML nor MgmtTree",
			   name);
	return MCX_OK;
}

static enum mcx_err tag(struct scan *s, uint8_t tok, int *root_done)
{
	const char *name = dm_wb_tab_name(s->page, tok & DM_WB_TAG_MASK);
	enum mcx_err err;

	if (!name)
		return bad(s, MCX_EINVAL, "unknown tag 0x%02x on code page %u at byte %zu",
			   tok & DM_WB_TAG_MASK, s->page, s->pos - 1);
	if (tok & DM_WB_TAG_ATTRS)
		return bad(s, MCX_EINVAL, "<%s> carries attributes, which SyncML has none of", name);
	if (*root_done)
		return bad(s, MCX_EINVAL, "content after the root element");
	if (!s->depth) {
		err = root_tag(s, name);
		if (err)
			return err;
	}
	err = grow_estimate(s, 2 * strlen(name) + 48);
	if (err)
		return err;
	if (!(tok & DM_WB_TAG_CONTENT)) {
		*root_done = !s->depth;
		return MCX_OK;
	}
	return open_tag(s, tok, name);
}

static enum mcx_err switch_page(struct scan *s)
{
	enum mcx_err err = get_u8(s, &s->page);

	if (!err && s->page >= DM_WB_PAGES)
		err = bad(s, MCX_EINVAL, "code page %u is not a SyncML DM page", s->page);
	return err;
}

static enum mcx_err token(struct scan *s, uint8_t t, int *root_done)
{
	switch (t) {
	case DM_WB_SWITCH_PAGE:
		return switch_page(s);
	case DM_WB_END: {
		enum mcx_err err = end_tag(s);

		*root_done = !err && !s->depth;
		return err;
	}
	case DM_WB_ENTITY:
		return entity(s);
	case DM_WB_STR_I:
		return str_i(s);
	case DM_WB_STR_T:
		return str_t(s);
	case DM_WB_OPAQUE:
		return opaque(s);
	case DM_WB_LITERAL:
	case DM_WB_LITERAL | DM_WB_TAG_CONTENT:
	case DM_WB_LITERAL | DM_WB_TAG_ATTRS:
	case DM_WB_LITERAL | DM_WB_TAG_CONTENT | DM_WB_TAG_ATTRS:
		return bad(s, MCX_EINVAL, "literal tags are not used by SyncML DM");
	case DM_WB_PI:
		return bad(s, MCX_EINVAL, "processing instructions are not accepted");
	case 0x40: case 0x41: case 0x42: case 0x80: case 0x81: case 0x82:
	case 0xC0: case 0xC1: case 0xC2:
		return bad(s, MCX_EINVAL, "extension token 0x%02x is not used by SyncML DM", t);
	default:
		return tag(s, t, root_done);
	}
}

static enum mcx_err body(struct scan *s)
{
	int root_done = 0;
	enum mcx_err err = MCX_OK;

	s->page = 0;
	s->depth = 0;
	while (!err && s->pos < s->n) {
		uint8_t t = s->p[s->pos++];

		if (root_done)
			return bad(s, MCX_EINVAL, "trailing bytes after the root element");
		err = token(s, t, &root_done);
	}
	if (!err && !root_done)
		err = s->depth ? truncated(s) : bad(s, MCX_EINVAL, "no root element");
	return err;
}

static enum mcx_err public_id(struct scan *s)
{
	if (s->info->pubid != DM_WB_PUBID_LITERAL)
		return MCX_OK;
	return get_mb(s, &s->pubid_idx);
}

static enum mcx_err header(struct scan *s)
{
	uint32_t charset = 0, tlen = 0;
	uint8_t v = 0;
	enum mcx_err err;

	err = get_u8(s, &v);
	if (err)
		return err;
	if (v < 0x01 || v > 0x03)
		return bad(s, MCX_EINVAL, "WBXML version 0x%02x is not 1.1, 1.2 or 1.3", v);
	s->info->version = v;
	err = get_mb(s, &s->info->pubid);
	if (!err)
		err = public_id(s);
	if (!err)
		err = get_mb(s, &charset);
	if (err)
		return err;
	if (charset != DM_WB_CHARSET_UTF8 && charset != 3 && charset != 0)
		return bad(s, MCX_EINVAL, "charset %u is not UTF-8", charset);
	err = get_mb(s, &tlen);
	if (err)
		return err;
	if (tlen > s->n - s->pos)
		return bad(s, MCX_EINVAL, "string table of %u bytes runs past the end", tlen);
	s->strtbl = s->p + s->pos;
	s->strtbl_len = tlen;
	s->pos += tlen;
	return MCX_OK;
}

/* The string public id, now that the table is known. */
static enum mcx_err literal_pubid(struct scan *s, uint32_t idx)
{
	long len;

	if (idx >= s->strtbl_len)
		return bad(s, MCX_EINVAL, "public id index %u outside the string table", idx);
	len = str_len(s->strtbl + idx, s->strtbl_len - idx);
	if (len < 0)	/* AOSP writes the FPI without its NUL at the end of the table */
		len = (long)(s->strtbl_len - idx);
	if ((size_t)len >= sizeof(s->info->fpi))
		return bad(s, MCX_EINVAL, "bad string public id");
	memcpy(s->info->fpi, s->strtbl + idx, (size_t)len);
	s->info->fpi[len] = '\0';
	return MCX_OK;
}

static enum mcx_err scan_doc(struct scan *s, const uint8_t *p, size_t n)
{
	enum mcx_err err;

	s->p = p;
	s->n = n;
	s->pos = 0;
	s->type_len = 0;
	s->type_open = 0;
	err = header(s);
	if (!err && s->info->pubid == DM_WB_PUBID_LITERAL)
		err = literal_pubid(s, s->pubid_idx);
	if (!err)
		err = body(s);
	return err;
}

enum mcx_err dm_wb_scan(const uint8_t *p, size_t n, const struct dm_limits *lim,
			struct dm_wb_info *info, char *errbuf, size_t errlen)
{
	struct scan s = { 0 };
	struct frame *st;
	enum mcx_err err;

	memset(info, 0, sizeof(*info));
	s.lim = dm_limits_or_default(lim);
	s.info = info;
	s.errbuf = errbuf;
	s.errlen = errlen;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (n > s.lim->msg_max)
		return bad(&s, MCX_ELIMIT, "%zu bytes is over the %zu-byte message limit", n,
			   s.lim->msg_max);
	st = mcx_calloc(s.lim->depth_max + 1, sizeof(*st));
	if (!st)
		return MCX_ENOMEM;
	s.st = st;
	err = scan_doc(&s, p, n);
	mcx_free(st);
	return err;
}
