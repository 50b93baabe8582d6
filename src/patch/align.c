/* Three-level LCS alignment of child lists (see align.h). */
#include <stdlib.h>
#include <string.h>

#include "patch/align.h"
#include "patch/pnode.h"
#include "patch/patch.h"
#include "core/mem.h"
#include "core/banned.h"

#define NOMATCH UINT32_MAX
#define ALIGN_MAX_SPLITS 24   /* nested patience splits of one list */

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
			  int level, int depth);

/* Align the gaps left between the pairs found so far, at level. */
static enum mcx_err gaps(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			 int level, int depth)
{
	uint32_t pi = i0, pj = j0, i;
	enum mcx_err err = MCX_OK;

	for (i = i0; !err && i < i1; i++) {
		if (al->match[i] == NOMATCH)
			continue;
		err = range(al, pi, i, pj, al->match[i], level, depth);
		pi = i + 1;
		pj = al->match[i] + 1;
	}
	if (!err)
		err = range(al, pi, i1, pj, j1, level, depth);
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

struct key {
	uint64_t h;
	uint32_t idx;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The items of v[a, b) whose key at level occurs once there, by key. */
static enum mcx_err uniques(const struct aitem *v, uint32_t a, uint32_t b, int level,
			    struct key **out, uint32_t *n)
{
	struct key *k = mcx_malloc(((size_t)(b - a) + 1) * sizeof(*k));
	uint32_t i, m = 0, u = 0;

	if (!k)
		return MCX_ENOMEM;
	for (i = a; i < b; i++) {
		if (level && v[i].kind != PN_ELEM)
			continue;
		k[m].h = level == 0 ? v[i].h : level == 1 ? v[i].hs : fnv(v[i].qname);
		k[m++].idx = i;
	}
	qsort(k, m, sizeof(*k), key_cmp);
	for (i = 0; i < m; i++)
		if ((i == 0 || k[i - 1].h != k[i].h) && (i + 1 == m || k[i + 1].h != k[i].h))
			k[u++] = k[i];
	*out = k;
	*n = u;
	return MCX_OK;
}

static int key_cmp_idx(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Longest increasing run of pairs (already in P order) by N index: match it. */
static enum mcx_err lis(struct al *al, const struct key *pr, uint32_t n, bool *found)
{
	uint32_t *tail = mcx_malloc(((size_t)n + 1) * 2 * sizeof(uint32_t)), *prev, len = 0, i, k;

	if (!tail)
		return MCX_ENOMEM;
	prev = tail + n + 1;
	for (i = 0; i < n; i++) {
		uint32_t lo = 0, hi = len;

		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (pr[tail[mid]].h < pr[i].h)
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? tail[lo - 1] : UINT32_MAX;
		tail[lo] = i;
		len += lo == len;
	}
	for (k = len ? tail[len - 1] : UINT32_MAX; k != UINT32_MAX; k = prev[k])
		al->match[pr[k].idx] = (uint32_t)pr[k].h;
	*found = len > 0;
	mcx_free(tail);
	return MCX_OK;
}

/* Patience alignment for lists too long for the LCS table: pair the items
 * unique on both sides, keep the longest in-order run of those pairs. */
static enum mcx_err patience(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			     int level, bool *found)
{
	struct key *kp = NULL, *kn = NULL, *pr = NULL;
	uint32_t np = 0, nn = 0, a = 0, b = 0, n = 0;
	enum mcx_err err;

	*found = false;
	err = uniques(al->P, i0, i1, level, &kp, &np);
	if (!err)
		err = uniques(al->N, j0, j1, level, &kn, &nn);
	if (!err && !(pr = mcx_malloc(((size_t)np + 1) * sizeof(*pr))))
		err = MCX_ENOMEM;
	while (!err && a < np && b < nn) {
		if (kp[a].h != kn[b].h) {
			kp[a].h < kn[b].h ? a++ : b++;
			continue;
		}
		if (same(&al->P[kp[a].idx], &al->N[kn[b].idx], level)) {
			pr[n].idx = kp[a].idx;     /* the pair: P index, N index in h */
			pr[n++].h = kn[b].idx;
		}
		a++;
		b++;
	}
	if (!err) {
		qsort(pr, n, sizeof(*pr), key_cmp_idx);
		err = lis(al, pr, n, found);
	}
	mcx_free(kp);
	mcx_free(kn);
	mcx_free(pr);
	return err;
}

static enum mcx_err range(struct al *al, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1,
			  int level, int depth)
{
	enum mcx_err err;
	bool found;

	if (level > 2 || i0 >= i1 || j0 >= j1)
		return MCX_OK;
	if (level == 0) {
		while (i0 < i1 && j0 < j1 && same(&al->P[i0], &al->N[j0], 0))
			al->match[i0++] = j0++;
		while (i0 < i1 && j0 < j1 && same(&al->P[i1 - 1], &al->N[j1 - 1], 0))
			al->match[--i1] = --j1;
	}
	if ((size_t)(i1 - i0) * (j1 - j0) <= PATCH_MAX_LCS_CELLS) {
		err = lcs(al, i0, i1, j0, j1, level);
		return err ? err : gaps(al, i0, i1, j0, j1, level + 1, depth);
	}
	if (depth >= ALIGN_MAX_SPLITS)
		return range(al, i0, i1, j0, j1, level + 1, depth);
	err = patience(al, i0, i1, j0, j1, level, &found);
	if (err)
		return err;
	if (!found)
		return range(al, i0, i1, j0, j1, level + 1, depth);
	return gaps(al, i0, i1, j0, j1, level, depth + 1);
}

enum mcx_err align(const struct aitem *P, uint32_t m, const struct aitem *N, uint32_t n,
		   uint32_t *match)
{
	struct al al = { P, N, match };
	uint32_t i;

	for (i = 0; i < m; i++)
		match[i] = NOMATCH;
	return range(&al, 0, m, 0, n, 0, 0);
}
