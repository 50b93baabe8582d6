/* Pointer-length views into someone else's bytes (libre's struct pl).
 * Never NUL-terminated; never owned. */
#ifndef MCX_CORE_PL_H
#define MCX_CORE_PL_H

#include <stddef.h>
#include <stdbool.h>
#include <string.h>

struct pl {
	const char *p;
	size_t l;
};

#define PL(s) ((struct pl){ (s), sizeof(s) - 1 })
#define PL_INIT { NULL, 0 }

static inline struct pl pl_make(const char *p, size_t l)
{
	struct pl v = { p, l };
	return v;
}

static inline struct pl pl_str(const char *s)
{
	return pl_make(s, s ? strlen(s) : 0);
}

static inline bool pl_eq(struct pl a, struct pl b)
{
	return a.l == b.l && (a.l == 0 || !memcmp(a.p, b.p, a.l));
}

static inline bool pl_eqs(struct pl a, const char *s)
{
	return pl_eq(a, pl_str(s));
}

bool pl_eqcase(struct pl a, struct pl b);
bool pl_startswith(struct pl a, const char *prefix);
struct pl pl_trim(struct pl a);
/* Parse a non-negative decimal; -1 on overflow or non-digits. */
long long pl_u64(struct pl a);

#endif
