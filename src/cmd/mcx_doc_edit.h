/* mcx doc edit: a document edited as a person would (mcx_doc_edit.c). */
#ifndef MCX_CMD_MCX_DOC_EDIT_H
#define MCX_CMD_MCX_DOC_EDIT_H

#include "cmd/mcx.h"

/* GET path from --server, open it in $EDITOR, PUT it back with If-Match. */
int mcx_doc_edit(struct mcx_ctx *x, const char *path);

#endif
