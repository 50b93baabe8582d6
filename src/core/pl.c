/* Helpers on pointer-length views. */
#include <limits.h>
#include <strings.h>

#include "core/pl.h"

bool pl_eqcase(struct pl a, struct pl b)
{
	return a.l == b.l && (a.l == 0 || !strncasecmp(a.p, b.p, a.l));
}

bool pl_startswith(struct pl a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.l >= n && !memcmp(a.p, prefix, n);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct pl pl_trim(struct pl a)
{
	while (a.l && is_ws(a.p[0])) {
		a.p++;
		a.l--;
	}
	while (a.l && is_ws(a.p[a.l - 1]))
		a.l--;
	return a;
}

long long pl_u64(struct pl a)
{
	long long v = 0;
	size_t i;

	if (!a.l || a.l > 18)
		return -1;
	for (i = 0; i < a.l; i++) {
		if (a.p[i] < '0' || a.p[i] > '9')
			return -1;
		v = v * 10 + (a.p[i] - '0');
	}
	return v;
}
