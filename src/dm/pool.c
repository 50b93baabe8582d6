/* Chunked, capped allocation pool for parsed DM messages and trees. */
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "core/mem.h"
#include "dm/pool.h"
#include "core/banned.h"

#define CHUNK_SIZE 4096

struct pool_chunk {
	struct pool_chunk *next;
	size_t cap;
	size_t used;
	max_align_t data[];
};

void pool_init(struct dm_pool *p, size_t max)
{
	p->head = NULL;
	p->used = 0;
	p->max = max;
	p->over = 0;
}

void pool_free(struct dm_pool *p)
{
	struct pool_chunk *c = p->head, *next;

	for (; c; c = next) {
		next = c->next;
		mcx_free(c);
	}
	p->head = NULL;
	p->used = 0;
}

static struct pool_chunk *chunk_new(struct dm_pool *p, size_t n)
{
	size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
	struct pool_chunk *c;

	if (cap > p->max || sizeof(*c) + cap > p->max - p->used) {
		p->over = 1;
		return NULL;
	}
	c = mcx_malloc(sizeof(*c) + cap);
	if (!c) {
		p->over = 0;
		return NULL;
	}
	c->cap = cap;
	c->used = 0;
	p->used += sizeof(*c) + cap;
	/* a big block goes behind the head so the head keeps its free room */
	if (p->head && n > CHUNK_SIZE) {
		c->next = p->head->next;
		p->head->next = c;
	} else {
		c->next = p->head;
		p->head = c;
	}
	return c;
}

void *pool_zalloc(struct dm_pool *p, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct pool_chunk *c = p->head;
	size_t need;
	void *r;

	if (n > p->max) {
		p->over = 1;
		return NULL;
	}
	need = (n + align - 1) & ~(align - 1);
	if (!need)
		need = align;
	if (!c || c->cap - c->used < need) {
		c = chunk_new(p, need);
		if (!c)
			return NULL;
	}
	r = (char *)c->data + c->used;
	c->used += need;
	memset(r, 0, n);
	return r;
}

char *pool_strndup(struct dm_pool *p, const char *s, size_t n)
{
	char *r;

	if (n == (size_t)-1) {
		p->over = 1;
		return NULL;
	}
	r = pool_zalloc(p, n + 1);
	if (r && n)
		memcpy(r, s, n);
	return r;
}

char *pool_strdup(struct dm_pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

enum mcx_err pool_err(const struct dm_pool *p)
{
	return p->over ? MCX_ELIMIT : MCX_ENOMEM;
}

enum mcx_err pool_set(struct dm_pool *p, char **field, const char *s)
{
	char *c;

	if (!s) {
		*field = NULL;
		return MCX_OK;
	}
	c = pool_strdup(p, s);
	if (!c)
		return pool_err(p);
	*field = c;
	return MCX_OK;
}
