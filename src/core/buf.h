/* Capped growable byte buffer (curl's dynbuf idea): every buffer has a cap
 * and appending past it fails with MCX_ELIMIT instead of growing forever.
 * The data is always NUL-terminated for convenience; len excludes the NUL. */
#ifndef MCX_CORE_BUF_H
#define MCX_CORE_BUF_H

#include <stddef.h>

#include "mcx/mcx.h"

struct mcx_buf {
	char *p;
	size_t len;
	size_t cap;   /* allocated */
	size_t max;   /* hard cap on len */
};

void buf_init(struct mcx_buf *b, size_t max);
void buf_reset(struct mcx_buf *b); /* frees */
MCX_WUR enum mcx_err buf_add(struct mcx_buf *b, const void *p, size_t n);
MCX_WUR enum mcx_err buf_adds(struct mcx_buf *b, const char *s);
MCX_WUR enum mcx_err buf_addf(struct mcx_buf *b, const char *fmt, ...) MCX_PRINTF(2, 3);
/* Append s with XML escaping of & < > " ' (for text and attribute values). */
MCX_WUR enum mcx_err buf_add_xml(struct mcx_buf *b, const char *s, size_t n);
/* Make room for n more bytes now (an optimisation; appends grow anyway). */
MCX_WUR enum mcx_err buf_reserve(struct mcx_buf *b, size_t n);
/* Append the whole file at path ("-": standard input) within b's cap:
 * MCX_ENOENT when it cannot be opened, MCX_EIO on a read error (errno
 * says which), MCX_ELIMIT when it is larger than the cap. b's length is
 * back where it was on error. */
MCX_WUR enum mcx_err buf_add_file(struct mcx_buf *b, const char *path);
/* Hand the bytes to the caller (who frees with mcx_free); b is left empty. */
char *buf_take(struct mcx_buf *b, size_t *len);

#endif
