/* Alignment of two child lists for patch_diff: which non-text children of an
 * element in the previous document are "the same node" as which in the next,
 * in order — first byte-identical subtrees, then in the gaps elements with
 * the same start tag, then elements with the same name (longest common
 * subsequence at each level, bounded by PATCH_MAX_LCS_CELLS). */
#ifndef MCX_PATCH_ALIGN_H
#define MCX_PATCH_ALIGN_H

#include <stdint.h>

#include "mcx/mcx.h"
#include "core/pl.h"

struct aitem {
	uint32_t idx;        /* index in the child list */
	uint8_t kind;        /* enum pnode_kind */
	uint64_t h, hs;      /* hashes of bytes and start tag */
	struct pl bytes;     /* the whole node */
	struct pl stag;      /* elements: the start tag without its '>' or "/>" */
	struct pl qname;     /* elements */
};

/* Hashes for an item whose views are set. */
void align_hash(struct aitem *it);
/* match[i] = j when P[i] goes with N[j], else UINT32_MAX; increasing in i. */
MCX_WUR enum mcx_err align(const struct aitem *P, uint32_t m, const struct aitem *N, uint32_t n,
			   uint32_t *match);

#endif
