/* Filling a struct patch_status: the RFC 5261 error and one sentence. */
#ifndef MCX_PATCH_STATUS_H
#define MCX_PATCH_STATUS_H

#include "patch/patch.h"

/* Set st (may be NULL) and return MCX_EINVAL, the "patch failed" outcome. */
enum mcx_err status_fail(struct patch_status *st, enum patch_error code, const char *fmt, ...)
	MCX_PRINTF(3, 4);
/* Set st for an exceeded bound and return MCX_ELIMIT. */
enum mcx_err status_limit(struct patch_status *st, enum patch_error code, const char *what);
void status_clear(struct patch_status *st);

#endif
