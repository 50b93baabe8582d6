/* Large-object reassembly with the RepPro status rules (213/200/412/416/424). */
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "dm/largeobj.h"
#include "dm/status.h"
#include "core/banned.h"

struct dm_lobj {
	size_t max;
	bool pending;
	enum dm_cmd_type type;
	char *target;		/* target (or source, for Results) of the pending object */
	char *format;
	char *type_str;
	uint64_t declared;
	struct mcx_buf acc;	/* chunks so far / the complete object */
	const char *view;	/* the object after 200 */
	size_t view_len;
	char *abandoned;
};

enum mcx_err dm_lobj_alloc(struct dm_lobj **lp, const struct dm_limits *lim)
{
	struct dm_lobj *l = mcx_calloc(1, sizeof(*l));

	if (!l)
		return MCX_ENOMEM;
	l->max = dm_limits_or_default(lim)->lobj_max;
	buf_init(&l->acc, l->max);
	*lp = l;
	return MCX_OK;
}

static void drop(struct dm_lobj *l)
{
	mcx_free(l->target);
	mcx_free(l->format);
	mcx_free(l->type_str);
	l->target = l->format = l->type_str = NULL;
	l->pending = false;
	l->declared = 0;
	buf_reset(&l->acc);
}

void dm_lobj_free(struct dm_lobj *l)
{
	if (!l)
		return;
	drop(l);
	mcx_free(l->abandoned);
	mcx_free(l);
}

static const char *key_of(const struct dm_item *it)
{
	return it->target ? it->target : it->source ? it->source : "";
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = mcx_strdup(s);
	*oom |= !d;
	return d;
}

static enum mcx_err start(struct dm_lobj *l, const struct dm_cmd *c, const struct dm_item *it)
{
	const struct dm_meta *mt = it->meta;
	bool oom = false;

	l->pending = true;
	l->type = c->type;
	l->declared = mt->size;
	l->target = dup_or_null(key_of(it), &oom);
	l->format = dup_or_null(dm_format_name(dm_item_format(c, it)), &oom);
	l->type_str = dup_or_null(dm_item_type(c, it), &oom);
	if (oom) {
		drop(l);
		return MCX_ENOMEM;
	}
	return MCX_OK;
}

static enum mcx_err append(struct dm_lobj *l, const struct dm_item *it, unsigned *status)
{
	size_t n = it->data ? it->data->len : 0;
	enum mcx_err err;

	if (n > l->declared - l->acc.len || l->acc.len + n > l->max) {
		drop(l);
		*status = DM_ST_SIZE_MISMATCH;
		return MCX_OK;
	}
	err = buf_add(&l->acc, it->data ? it->data->p : "", n);
	if (err)
		drop(l);
	return err;
}

static void finish(struct dm_lobj *l, unsigned *status)
{
	if (l->acc.len != l->declared) {
		drop(l);
		*status = DM_ST_SIZE_MISMATCH;
		return;
	}
	l->pending = false;
	l->view = l->acc.p ? l->acc.p : "";
	l->view_len = l->acc.len;
	*status = DM_ST_OK;
}

/* A different target (or command) than the pending object: drop it. */
static enum mcx_err maybe_abandon(struct dm_lobj *l, const struct dm_cmd *c,
				  const struct dm_item *it)
{
	if (!l->pending || (l->type == c->type && !strcmp(l->target, key_of(it))))
		return MCX_OK;
	l->abandoned = l->target;
	l->target = NULL;
	drop(l);
	return MCX_OK;
}

static enum mcx_err first_chunk(struct dm_lobj *l, const struct dm_cmd *c,
				const struct dm_item *it, unsigned *status)
{
	enum mcx_err err;

	if (!it->meta || !(it->meta->has & DM_META_SIZE)) {
		*status = DM_ST_INCOMPLETE;
		return MCX_OK;
	}
	if (it->meta->size > l->max) {
		*status = DM_ST_SIZE_TOO_BIG;
		return MCX_OK;
	}
	err = start(l, c, it);
	if (err)
		return err;
	*status = DM_ST_CHUNK_ACCEPTED;
	return append(l, it, status);
}

enum mcx_err dm_lobj_feed(struct dm_lobj *l, const struct dm_cmd *c, const struct dm_item *it,
			  unsigned *status)
{
	enum mcx_err err;

	mcx_free(l->abandoned);
	l->abandoned = NULL;
	l->view = NULL;
	l->view_len = 0;
	if (!l->pending)
		drop(l);	/* the previous object, if any, is gone now */
	err = maybe_abandon(l, c, it);
	if (err)
		return err;
	if (!l->pending && !it->more_data) {
		l->view = it->data ? it->data->p : "";
		l->view_len = it->data ? it->data->len : 0;
		*status = DM_ST_OK;
		return MCX_OK;
	}
	if (!l->pending)
		return first_chunk(l, c, it, status);
	*status = DM_ST_CHUNK_ACCEPTED;
	err = append(l, it, status);
	if (!err && l->pending && !it->more_data)
		finish(l, status);
	return err;
}

const char *dm_lobj_data(const struct dm_lobj *l, size_t *len)
{
	if (len)
		*len = l->view_len;
	return l->view;
}

const char *dm_lobj_format(const struct dm_lobj *l)
{
	return l->format;
}

const char *dm_lobj_type(const struct dm_lobj *l)
{
	return l->type_str;
}

bool dm_lobj_pending(const struct dm_lobj *l)
{
	return l->pending;
}

const char *dm_lobj_abandoned(const struct dm_lobj *l)
{
	return l->abandoned;
}
