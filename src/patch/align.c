/* Three-level LCS alignment of child lists (see align.h). */
#include <string.h>

#include "patch/align.h"
#include "patch/pnode.h"
#include "patch/patch.h"
#include "core/mem.h"
#include "core/banned.h"

#define NOMATCH UINT32_MAX

static uint64_t fnv(struct pl b)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < b.l; i++) {
		h ^= (unsigned char)b.p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void align_hash(struct aitem *it)
{
	it->h = fnv(it->bytes);
	it->hs = it->kind == PN_ELEM ? fnv(it->stag) : 0;
}

struct al {
	const struct aitem *P, *N;
	uint32_t *match;
};

static bool same(const struct aitem *a, const struct aitem *b, int level)
{
	if (a->kind != b->kind)
		return false;
	if (level == 0)
		return a->h == b->h && pl_eq(a->bytes, b->bytes);
	if (level == 1)
		return a->kind == PN_ELEM && a->hs == b->hs && pl_eq(a->stag, b->stag);
	return a->kind != PN_ELEM || pl_eq(a->qname, b->qname);
}

static enum mcx_err range(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			  int level);

/* Align the gaps left between the pairs found at this level. */
static enum mcx_err gaps(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			 int level)
{
	uint32_t pi = i0, pj = j0, i;
	enum mcx_err err = MCX_OK;

	for (i = i0; !err && i < i1; i++) {
		if (al->match[i] == NOMATCH)
			continue;
		err = range(al, pi, i, pj, al->match[i], level + 1);
		pi = i + 1;
		pj = al->match[i] + 1;
	}
	if (!err)
		err = range(al, pi, i1, pj, j1, level + 1);
	return err;
}

static enum mcx_err lcs(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			int level)
{
	size_t m = i1 - i0, n = j1 - j0, w = n + 1, i, j;
	uint32_t *L;

	if (m * n > PATCH_MAX_LCS_CELLS)
		return MCX_OK;   /* too much work: no pairs at this level */
	L = mcx_calloc((m + 1) * w, sizeof(*L));
	if (!L)
		return MCX_ENOMEM;
	for (i = m; i-- > 0;)
		for (j = n; j-- > 0;)
			L[i * w + j] = same(&al->P[i0 + i], &al->N[j0 + j], level) ?
				L[(i + 1) * w + j + 1] + 1 :
				(L[(i + 1) * w + j] > L[i * w + j + 1] ? L[(i + 1) * w + j] :
				 L[i * w + j + 1]);
	for (i = j = 0; i < m && j < n;) {
		if (same(&al->P[i0 + i], &al->N[j0 + j], level) &&
		    L[i * w + j] == L[(i + 1) * w + j + 1] + 1) {
			al->match[i0 + i] = (uint32_t)(j0 + j);
			i++;
			j++;
		} else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) {
			i++;
		} else {
			j++;
		}
	}
	mcx_free(L);
	return MCX_OK;
}

static enum mcx_err range(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			  int level)
{
	enum mcx_err err;

	if (level > 2 || i0 >= i1 || j0 >= j1)
		return MCX_OK;
	if (level == 0) {
		while (i0 < i1 && j0 < j1 && same(&al->P[i0], &al->N[j0], 0))
			al->match[i0++] = j0++;
		while (i0 < i1 && j0 < j1 && same(&al->P[i1 - 1], &al->N[j1 - 1], 0))
			al->match[--i1] = --j1;
	}
	err = lcs(al, i0, i1, j0, j1, level);
	if (!err)
		err = gaps(al, i0, i1, j0, j1, level);
	return err;
}

enum mcx_err align(const struct aitem *P, uint32_t m, const struct aitem *N, uint32_t n,
		   uint32_t *match)
{
	struct al al = { P, N, match };
	uint32_t i;

	for (i = 0; i < m; i++)
		match[i] = NOMATCH;
	return range(&al, 0, m, 0, n, 0);
}
