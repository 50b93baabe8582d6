/* The patches computed lately: a small ring, looked up linearly. */
#include <string.h>

#include "core/mem.h"
#include "sip/patchmemo.h"

struct slot {
	char *path; /* NULL: empty */
	long long from, to;
	size_t max;
	char *ops; /* NULL with len 0: no patch */
	size_t len;
};

struct patch_memo {
	struct slot s[PATCH_MEMO_SLOTS];
	unsigned next; /* the slot to reuse */
};

struct patch_memo *patch_memo_alloc(void)
{
	return mcx_calloc(1, sizeof(struct patch_memo));
}

static void slot_clear(struct slot *s)
{
	mcx_free(s->path);
	mcx_free(s->ops);
	memset(s, 0, sizeof(*s));
}

void patch_memo_free(struct patch_memo *m)
{
	unsigned i;

	if (!m)
		return;
	for (i = 0; i < PATCH_MEMO_SLOTS; i++)
		slot_clear(&m->s[i]);
	mcx_free(m);
}

bool patch_memo_get(struct patch_memo *m, const char *path, long long from, long long to,
		    size_t max, struct mcx_buf *ops, enum mcx_err *err)
{
	unsigned i;

	*err = MCX_OK;
	for (i = 0; m && i < PATCH_MEMO_SLOTS; i++) {
		const struct slot *s = &m->s[i];

		if (s->path && s->from == from && s->to == to && s->max == max &&
		    !strcmp(s->path, path)) {
			if (s->len)
				*err = buf_add(ops, s->ops, s->len);
			return true;
		}
	}
	return false;
}

void patch_memo_put(struct patch_memo *m, const char *path, long long from, long long to,
		    size_t max, const char *ops, size_t len)
{
	struct slot *s;

	if (!m)
		return;
	s = &m->s[m->next];
	m->next = (m->next + 1) % PATCH_MEMO_SLOTS;
	slot_clear(s);
	s->path = mcx_strdup(path);
	s->ops = len ? mcx_malloc(len) : NULL;
	if (!s->path || (len && !s->ops)) {
		slot_clear(s);
		return;
	}
	if (len)
		memcpy(s->ops, ops, len);
	s->from = from;
	s->to = to;
	s->max = max;
	s->len = len;
}
