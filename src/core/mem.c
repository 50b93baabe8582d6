/* Allocation wrappers with failure injection for the OOM tests. */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static _Thread_local long fail_after = -1;
static _Thread_local unsigned long count;
static _Atomic long live;

static int should_fail(void)
{
	count++;
	if (fail_after < 0)
		return 0;
	if (fail_after == 0)
		return 1;
	fail_after--;
	return 0;
}

void *mcx_malloc(size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = malloc(n ? n : 1);
	if (p)
		live++;
	return p;
}

void *mcx_calloc(size_t nmemb, size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = calloc(nmemb ? nmemb : 1, n ? n : 1);
	if (p)
		live++;
	return p;
}

void *mcx_realloc(void *p, size_t n)
{
	void *np;

	if (should_fail())
		return NULL;
	np = realloc(p, n ? n : 1);
	if (np && !p)
		live++;
	return np;
}

void mcx_free(void *p)
{
	if (p) {
		live--;
		free(p);
	}
}

long mem_live(void)
{
	return live;
}

char *mcx_strndup(const char *s, size_t n)
{
	char *d = mcx_malloc(n + 1);

	if (!d)
		return NULL;
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *mcx_strdup(const char *s)
{
	return mcx_strndup(s, strlen(s));
}

void mem_fail_after(long k)
{
	fail_after = k;
}

unsigned long mem_count(void)
{
	return count;
}
