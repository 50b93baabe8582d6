/* MIME multipart bodies (RFC 2046 §5.1) as SIP requests carry them: the
 * boundary parameter of a Content-Type and the parts of a body, as views
 * into the caller's bytes. Sans-I/O; nothing is copied or allocated. */
#ifndef MCX_SIP_MULTIPART_H
#define MCX_SIP_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/pl.h"

struct mp_part {
	struct pl ctype; /* the part's Content-Type value; empty when absent */
	struct pl body;	 /* the part's content after its header section */
};

/* Is the Content-Type value ctype the media type "type/subtype" (case
 * ignored, parameters ignored)? */
bool mime_type_is(struct pl ctype, const char *type);
/* The boundary parameter of a multipart Content-Type value (quotes
 * removed); false when absent, empty or longer than RFC 2046 allows. */
bool mp_boundary(struct pl ctype, struct pl *boundary);
/* Split body by boundary into at most max parts (*n set). MCX_EINVAL when
 * there is no delimiter or no close delimiter, MCX_ELIMIT past max parts.
 * Preamble and epilogue are ignored; CRLF and bare LF line ends accepted. */
MCX_WUR enum mcx_err mp_split(struct pl body, struct pl boundary, struct mp_part *parts, size_t max,
			      size_t *n);

#endif
