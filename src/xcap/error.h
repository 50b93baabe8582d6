/* The outcome of an XCAP operation: an HTTP status and, for 409, one of the
 * RFC 4825 §11 error conditions with its details, rendered as an
 * application/xcap-error+xml body. */
#ifndef MCX_XCAP_ERROR_H
#define MCX_XCAP_ERROR_H

#include "mcx/mcx.h"
#include "core/buf.h"

enum xcap_errtag {
	XE_NONE = 0,
	XE_NOT_WELL_FORMED,
	XE_NOT_UTF8,
	XE_NOT_XML_FRAG,
	XE_NOT_XML_ATT_VALUE,
	XE_SCHEMA,
	XE_UNIQUENESS,
	XE_CONSTRAINT,
	XE_NO_PARENT,
	XE_CANNOT_INSERT,
	XE_CANNOT_DELETE
};

#define XCAP_ALT_MAX 4

struct xcap_status {
	int http;                  /* 0 = not decided yet */
	enum xcap_errtag tag;      /* with http 409 */
	char phrase[256];          /* human-readable reason */
	char ancestor[1024];       /* no-parent: nearest existing ancestor URI */
	char field[512];           /* uniqueness-failure: <exists field> */
	char alt[XCAP_ALT_MAX][128];
	int nalt;
};

/* Set http + tag + phrase (printf-style). Returns the http code. */
int xs_set(struct xcap_status *st, int http, enum xcap_errtag tag, const char *fmt, ...)
	MCX_PRINTF(4, 5);
/* 409 body for st (tag != XE_NONE). */
MCX_WUR enum mcx_err xcap_error_body(const struct xcap_status *st, struct mcx_buf *out);
const char *xcap_errtag_name(enum xcap_errtag tag);

#endif
