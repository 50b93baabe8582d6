/* Greedy packing of commands into messages under the peer's MaxMsgSize,
 * with per-item splitting and large-object chunking as the last resort. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "dm/split.h"
#include "dm/status.h"
#include "core/banned.h"

/* Bytes reserved per CmdID for renumbering (10 digits of a uint32). */
#define ID_SLACK 10

struct split {
	const struct dm_msg *src;
	const struct dm_limits *lim;
	size_t max;
	size_t overhead;	/* header + body frame + Final of an empty message */
	struct dm_msg **v;
	size_t n;
	size_t cap;
	struct dm_msg *cur;	/* the message being filled (v[n-1]) */
	size_t used;
	char *errbuf;
	size_t errlen;
};

static enum mcx_err sfail(struct split *s, enum mcx_err err, const char *fmt, ...) MCX_PRINTF(3, 4);

static enum mcx_err sfail(struct split *s, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	if (s->errbuf && s->errlen) {
		va_start(ap, fmt);
		vsnprintf(s->errbuf, s->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

bool dm_msg_more_follows(const struct dm_msg *m)
{
	return !m->final;
}

bool dm_msg_asks_next(const struct dm_msg *m)
{
	const struct dm_cmd *c;

	for (c = m->cmds; c; c = c->next)
		if (c->type == DM_CMD_ALERT && c->has_code && c->code == DM_ALERT_NEXT_MESSAGE)
			return true;
	return false;
}

enum mcx_err dm_alert_next_add(struct dm_msg *m, uint32_t cmd_id)
{
	struct dm_cmd *c = NULL;
	struct dm_item *it = NULL;
	enum mcx_err err = dm_cmd_add(m, NULL, DM_CMD_ALERT, cmd_id, &c);

	if (!err) {
		c->code = DM_ALERT_NEXT_MESSAGE;
		c->has_code = true;
		err = dm_item_add(m, c, &it);
	}
	if (!err)
		err = dm_set(m, &it->target, m->hdr.target);
	if (!err)
		err = dm_set(m, &it->source, m->hdr.source);
	return err;
}

size_t dm_max_msg_size(const struct dm_msg *peer, size_t cap)
{
	const struct dm_meta *mt = peer ? peer->hdr.meta : NULL;
	size_t v;

	if (!mt || !(mt->has & DM_META_MAXMSGSIZE))
		return cap;
	v = mt->max_msg_size > cap ? cap : (size_t)mt->max_msg_size;
	return v < DM_MAXMSGSIZE_MIN ? DM_MAXMSGSIZE_MIN : v;
}

void dm_split_free(struct dm_msg **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		dm_msg_free(v[i]);
	mcx_free(v);
}

static size_t count_ids(const struct dm_cmd *c)
{
	size_t k = 1;

	for (c = c->children; c; c = c->next)
		k += count_ids(c);
	return k;
}

/* Canonical XML size of one command (plus slack for renumbered ids). */
static enum mcx_err cmd_size(const struct dm_cmd *c, size_t *size)
{
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, (size_t)-1 / 2);
	err = dm_cmd_emit(c, &b);
	*size = b.len + ID_SLACK * count_ids(c);
	buf_reset(&b);
	return err;
}

static enum mcx_err new_msg(struct split *s)
{
	struct dm_msg *m = NULL;
	enum mcx_err err;

	if (s->n >= DM_SPLIT_MSGS_MAX)
		return sfail(s, MCX_ELIMIT, "more than %d messages", DM_SPLIT_MSGS_MAX);
	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 4;
		struct dm_msg **nv = mcx_realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return MCX_ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	err = dm_msg_alloc(&m, s->lim);
	if (!err)
		err = dm_hdr_copy(m, &s->src->hdr);
	if (err) {
		dm_msg_free(m);
		return err;
	}
	m->hdr.msg_id = s->src->hdr.msg_id + (uint32_t)s->n;
	s->v[s->n++] = m;
	s->cur = m;
	s->used = s->overhead;
	return MCX_OK;
}

static enum mcx_err measure_overhead(struct split *s)
{
	struct dm_msg *m = NULL;
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, (size_t)-1 / 2);
	err = dm_msg_alloc(&m, s->lim);
	if (!err)
		err = dm_hdr_copy(m, &s->src->hdr);
	if (!err) {
		m->hdr.msg_id = UINT32_MAX;
		m->final = true;
		err = dm_msg_emit(m, &b);
	}
	s->overhead = b.len;
	buf_reset(&b);
	dm_msg_free(m);
	return err;
}

/* --- placing whole commands --- */

static bool fits(const struct split *s, size_t size)
{
	return size <= s->max - s->used;
}

static enum mcx_err place(struct split *s, const struct dm_cmd *c, size_t size)
{
	enum mcx_err err = dm_cmd_copy(s->cur, NULL, c, NULL);

	if (!err)
		s->used += size;
	return err;
}

static enum mcx_err put_cmd(struct split *s, const struct dm_cmd *c);

/* A copy of c in tmp without its items (one shell per split command). */
static enum mcx_err shell_of(struct dm_msg *tmp, const struct dm_cmd *c, struct dm_cmd **shellp)
{
	enum mcx_err err = dm_cmd_copy(tmp, NULL, c, shellp);

	if (!err)
		(*shellp)->items = NULL;
	return err;
}

/* One command per item, each placed in turn. */
static enum mcx_err per_item(struct split *s, const struct dm_cmd *c)
{
	const struct dm_item *it;
	struct dm_msg *tmp = NULL;
	struct dm_cmd *shell = NULL;
	enum mcx_err err;

	err = dm_msg_alloc(&tmp, s->lim);
	if (!err)
		err = shell_of(tmp, c, &shell);
	for (it = c->items; it && !err; it = it->next) {
		struct dm_msg *one_msg = NULL;
		struct dm_cmd *one = NULL;

		err = dm_msg_alloc(&one_msg, s->lim);
		if (!err)
			err = dm_cmd_copy(one_msg, NULL, shell, &one);
		if (!err)
			err = dm_item_copy(one_msg, one, it);
		if (!err)
			err = put_cmd(s, one);
		dm_msg_free(one_msg);
	}
	dm_msg_free(tmp);
	return err;
}

/* --- large objects --- */

static size_t esc_len(char ch)
{
	switch (ch) {
	case '&': return 5;
	case '<': case '>': return 4;
	case '"': case '\'': return 6;
	default: return 1;
	}
}

/* How many bytes of p[0..n) fit room once escaped, on a UTF-8 boundary. */
static size_t chunk_len(const char *p, size_t n, size_t room)
{
	size_t i = 0, used = 0;

	while (i < n && used + esc_len(p[i]) <= room)
		used += esc_len(p[i++]);
	while (i < n && i > 0 && ((unsigned char)p[i] & 0xC0) == 0x80)
		i--;	/* do not cut a multi-byte character */
	return i;
}

static enum mcx_err chunk_cmd(struct split *s, const struct dm_cmd *c, const char *p, size_t n,
			      uint64_t total, bool first, bool last, struct dm_cmd **outp)
{
	struct dm_cmd *cc = NULL;
	struct dm_item *it;
	enum mcx_err err = dm_cmd_copy(s->cur, NULL, c, &cc);

	if (err)
		return err;
	it = cc->items;
	err = dm_data_set(s->cur, &it->data, DM_DATA_TEXT, p, n);
	if (!err)
		err = dm_meta_get(s->cur, &it->meta);
	if (err)
		return err;
	it->meta->has &= ~DM_META_SIZE;
	if (first) {
		it->meta->size = total;
		it->meta->has |= DM_META_SIZE;
	}
	it->more_data = !last;
	*outp = cc;
	return MCX_OK;
}

/* Room for data in an otherwise empty message holding this chunk. */
static enum mcx_err chunk_room(struct split *s, const struct dm_cmd *c, uint64_t total,
			       size_t *room)
{
	struct dm_msg *tmp = NULL, *save = s->cur;
	struct dm_cmd *cc = NULL;
	size_t base = 0;
	enum mcx_err err = dm_msg_alloc(&tmp, s->lim);

	if (err)
		return err;
	s->cur = tmp;
	err = chunk_cmd(s, c, "", 0, total, true, false, &cc);
	s->cur = save;
	if (!err)
		err = cmd_size(cc, &base);
	dm_msg_free(tmp);
	if (err)
		return err;
	if (base >= s->max - s->overhead)
		return sfail(s, MCX_ELIMIT, "MaxMsgSize %zu leaves no room for a chunk of %s %u",
			     s->max, dm_cmd_name(c->type), c->cmd_id);
	*room = s->max - s->overhead - base;
	return MCX_OK;
}

static enum mcx_err chunks(struct split *s, const struct dm_cmd *tmpl, const struct dm_data *d)
{
	size_t off = 0, room = 0, k;
	struct dm_cmd *cc;
	enum mcx_err err = chunk_room(s, tmpl, d->len, &room);

	if (err)
		return err;
	if (s->cur->cmds)
		err = new_msg(s);
	while (!err && off < d->len) {
		k = chunk_len(d->p + off, d->len - off, room);
		if (!k)
			return sfail(s, MCX_ELIMIT, "MaxMsgSize %zu cannot carry one character", s->max);
		err = chunk_cmd(s, tmpl, d->p + off, k, d->len, off == 0, off + k == d->len, &cc);
		off += k;
		if (!err && off < d->len)
			err = new_msg(s);
	}
	if (!err)
		s->used = s->max; /* the last chunk ends its message */
	return err;
}

/* The data goes in chunks; every chunk copies a template without it. */
static enum mcx_err large_object(struct split *s, const struct dm_cmd *c)
{
	struct dm_msg *tmp = NULL;
	struct dm_cmd *tmpl = NULL;
	enum mcx_err err = dm_msg_alloc(&tmp, s->lim);

	if (!err)
		err = shell_of(tmp, c, &tmpl);
	if (!err)
		err = dm_item_copy(tmp, tmpl, c->items);
	if (!err) {
		tmpl->items->data = NULL;
		err = chunks(s, tmpl, c->items->data);
	}
	dm_msg_free(tmp);
	return err;
}

static bool chunkable(const struct dm_cmd *c)
{
	return (c->type == DM_CMD_ADD || c->type == DM_CMD_REPLACE || c->type == DM_CMD_RESULTS) &&
	       c->items && !c->items->next && c->items->data && c->items->data->len > 1;
}

/* --- the packing loop --- */

static enum mcx_err put_cmd(struct split *s, const struct dm_cmd *c)
{
	size_t size = 0;
	enum mcx_err err = cmd_size(c, &size);

	if (err)
		return err;
	if (fits(s, size))
		return place(s, c, size);
	if (s->cur->cmds) {
		err = new_msg(s);
		if (err)
			return err;
		if (fits(s, size))
			return place(s, c, size);
	}
	if (c->items && c->items->next)
		return per_item(s, c);
	if (chunkable(c))
		return large_object(s, c);
	return sfail(s, MCX_ELIMIT, "%s %u (%zu bytes) does not fit MaxMsgSize %zu",
		     dm_cmd_name(c->type), c->cmd_id, size, s->max);
}

static void renumber(struct dm_cmd *c, uint32_t *id)
{
	for (; c; c = c->next) {
		c->cmd_id = (*id)++;
		renumber(c->children, id);
	}
}

static enum mcx_err verify(struct split *s)
{
	struct mcx_buf b;
	enum mcx_err err = MCX_OK;
	size_t i;

	buf_init(&b, s->max);
	for (i = 0; i < s->n && !err; i++) {
		uint32_t id = 1;

		renumber(s->v[i]->cmds, &id);
		s->v[i]->final = s->src->final && i + 1 == s->n;
		buf_reset(&b);
		err = dm_msg_emit(s->v[i], &b);
		if (err == MCX_ELIMIT)
			err = sfail(s, MCX_EINTERNAL, "message %zu came out over %zu bytes", i, s->max);
	}
	buf_reset(&b);
	return err;
}

enum mcx_err dm_split(const struct dm_msg *m, size_t max_size, const struct dm_limits *lim,
		      struct dm_msg ***outp, size_t *np, char *errbuf, size_t errlen)
{
	struct split s = { .src = m, .lim = lim, .max = max_size, .errbuf = errbuf,
			   .errlen = errlen };
	const struct dm_cmd *c;
	enum mcx_err err;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	err = measure_overhead(&s);
	if (!err && s.overhead >= max_size)
		err = sfail(&s, MCX_ELIMIT, "the header alone (%zu bytes) exceeds MaxMsgSize %zu",
			    s.overhead, max_size);
	if (!err)
		err = new_msg(&s);
	for (c = m->cmds; c && !err; c = c->next)
		err = put_cmd(&s, c);
	if (!err)
		err = verify(&s);
	if (err) {
		dm_split_free(s.v, s.n);
		return err;
	}
	*outp = s.v;
	*np = s.n;
	return MCX_OK;
}
