/* The patches computed lately, by document path and version pair. One
 * change fans out to every subscription of its document: the first
 * xcap-patching subscription pays for the diff, the others copy it. Also
 * remembers "no patch" answers. SIP thread only; not thread-safe. */
#ifndef MCX_SIP_PATCHMEMO_H
#define MCX_SIP_PATCHMEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "mcx/mcx.h"
#include "core/buf.h"

#define PATCH_MEMO_SLOTS 16 /* distinct changes remembered */

struct patch_memo;

/* NULL on allocation failure (the caller just computes every time). */
struct patch_memo *patch_memo_alloc(void);
void patch_memo_free(struct patch_memo *m);
/* If (path, from, to, max) is remembered: true, and its patch appended to
 * ops (nothing for "no patch"). */
bool patch_memo_get(struct patch_memo *m, const char *path, long long from, long long to,
		    size_t max, struct mcx_buf *ops, enum mcx_err *err);
/* Remember ops[0..len) (len 0: no patch) for (path, from, to, max); an
 * allocation failure just forgets. */
void patch_memo_put(struct patch_memo *m, const char *path, long long from, long long to,
		    size_t max, const char *ops, size_t len);

#endif
