/* A capped allocation pool: everything of one parsed message (structs and
 * strings) lives in it and goes away with one pool_free(). */
#ifndef MCX_DM_POOL_H
#define MCX_DM_POOL_H

#include <stddef.h>

#include "mcx/mcx.h"

struct pool_chunk;

struct dm_pool {
	struct pool_chunk *head;
	size_t used;	/* bytes handed out plus chunk overhead */
	size_t max;	/* cap on used */
	int over;	/* the last failure was the cap */
};

void pool_init(struct dm_pool *p, size_t max);
/* Frees every block; p can be reused after pool_init(). */
void pool_free(struct dm_pool *p);
/* n zeroed bytes aligned for any object; NULL on ENOMEM or past the cap. */
void *pool_zalloc(struct dm_pool *p, size_t n);
/* Copy of s[0..n) with a NUL added. */
char *pool_strndup(struct dm_pool *p, const char *s, size_t n);
char *pool_strdup(struct dm_pool *p, const char *s);
/* *field = a pool copy of s (NULL stays NULL); the pool error on failure. */
MCX_WUR enum mcx_err pool_set(struct dm_pool *p, char **field, const char *s);
/* The error for a NULL from the calls above: MCX_ELIMIT past the cap,
 * else MCX_ENOMEM. */
enum mcx_err pool_err(const struct dm_pool *p);

#endif
