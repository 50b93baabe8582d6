/* Allocation wrappers: every allocation in libmcx goes through these so the
 * unit tests can count allocations and make the n-th one fail (OOM mode). */
#ifndef MCX_CORE_MEM_H
#define MCX_CORE_MEM_H

#include <stddef.h>

void *mcx_malloc(size_t n);
void *mcx_calloc(size_t nmemb, size_t n);
void *mcx_realloc(void *p, size_t n);
void mcx_free(void *p);
/* Copy of s[0..n) with a NUL added; NULL on allocation failure. */
char *mcx_strndup(const char *s, size_t n);
char *mcx_strdup(const char *s);

/* Test hooks: after mem_fail_after(k), the (k+1)-th allocation fails;
 * mem_fail_after(-1) disables injection. mem_count() counts allocations. */
void mem_fail_after(long k);
unsigned long mem_count(void);
/* Allocations made through these wrappers and not yet freed (all threads). */
long mem_live(void);

#endif
