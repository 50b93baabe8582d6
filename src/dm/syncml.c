/* The SyncML DM message model: building, copying, comparing and the small
 * per-field helpers (command names, Meta Format values and checks). */
#include <string.h>

#include "core/mem.h"
#include "dm/syncml.h"
#include "dm/b64.h"
#include "core/banned.h"

static const struct dm_limits default_limits = {
	.msg_max = DM_MSG_MAX_DEFAULT,
	.wbxml_xml_max = DM_WBXML_XML_MAX_DEFAULT,
	.depth_max = DM_DEPTH_MAX_DEFAULT,
	.cmd_nest_max = DM_CMD_NEST_MAX_DEFAULT,
	.cmds_max = DM_CMDS_MAX_DEFAULT,
	.items_max = DM_ITEMS_MAX_DEFAULT,
	.refs_max = DM_REFS_MAX_DEFAULT,
	.data_max = DM_DATA_MAX_DEFAULT,
	.str_max = DM_STR_MAX_DEFAULT,
	.pool_max = DM_POOL_MAX_DEFAULT,
	.tnds_nodes_max = DM_TNDS_NODES_MAX_DEFAULT,
	.tnds_depth_max = DM_TNDS_DEPTH_MAX_DEFAULT,
	.lobj_max = DM_LOBJ_MAX_DEFAULT,
};

const struct dm_limits *dm_limits_default(void)
{
	return &default_limits;
}

const struct dm_limits *dm_limits_or_default(const struct dm_limits *lim)
{
	return lim ? lim : &default_limits;
}

/* --- lifecycle and builders --- */

enum mcx_err dm_msg_alloc(struct dm_msg **msgp, const struct dm_limits *lim)
{
	struct dm_msg *m = mcx_calloc(1, sizeof(*m));

	if (!m)
		return MCX_ENOMEM;
	pool_init(&m->pool, dm_limits_or_default(lim)->pool_max);
	*msgp = m;
	return MCX_OK;
}

void dm_msg_free(struct dm_msg *m)
{
	if (!m)
		return;
	pool_free(&m->pool);
	mcx_free(m);
}

enum mcx_err dm_msg_err(const struct dm_msg *m)
{
	return pool_err(&m->pool);
}

enum mcx_err dm_setn(struct dm_msg *m, char **field, const char *s, size_t n)
{
	char *c;

	if (!s) {
		*field = NULL;
		return MCX_OK;
	}
	c = pool_strndup(&m->pool, s, n);
	if (!c)
		return pool_err(&m->pool);
	*field = c;
	return MCX_OK;
}

enum mcx_err dm_set(struct dm_msg *m, char **field, const char *s)
{
	return dm_setn(m, field, s, s ? strlen(s) : 0);
}

enum mcx_err dm_hdr_init(struct dm_msg *m, const char *session_id, uint32_t msg_id,
			 const char *target, const char *source)
{
	enum mcx_err err;

	m->hdr.msg_id = msg_id;
	err = dm_set(m, &m->hdr.ver_dtd, "1.2");
	if (!err)
		err = dm_set(m, &m->hdr.ver_proto, "DM/1.2");
	if (!err)
		err = dm_set(m, &m->hdr.session_id, session_id);
	if (!err)
		err = dm_set(m, &m->hdr.target, target);
	if (!err)
		err = dm_set(m, &m->hdr.source, source);
	return err;
}

static void *zalloc(struct dm_msg *m, size_t n)
{
	return pool_zalloc(&m->pool, n);
}

enum mcx_err dm_cmd_add(struct dm_msg *m, struct dm_cmd *parent, enum dm_cmd_type t,
			uint32_t cmd_id, struct dm_cmd **cmdp)
{
	struct dm_cmd *c = zalloc(m, sizeof(*c)), **pp;

	if (!c)
		return dm_msg_err(m);
	c->type = t;
	c->cmd_id = cmd_id;
	for (pp = parent ? &parent->children : &m->cmds; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	if (cmdp)
		*cmdp = c;
	return MCX_OK;
}

enum mcx_err dm_item_add(struct dm_msg *m, struct dm_cmd *c, struct dm_item **itemp)
{
	struct dm_item *it = zalloc(m, sizeof(*it)), **pp;

	if (!it)
		return dm_msg_err(m);
	for (pp = &c->items; *pp; pp = &(*pp)->next)
		;
	*pp = it;
	*itemp = it;
	return MCX_OK;
}

enum mcx_err dm_ref_add(struct dm_msg *m, struct dm_ref **list, const char *uri)
{
	struct dm_ref *r = zalloc(m, sizeof(*r)), **pp;
	enum mcx_err err;

	if (!r)
		return dm_msg_err(m);
	err = dm_set(m, &r->uri, uri);
	if (err)
		return err;
	for (pp = list; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	return MCX_OK;
}

enum mcx_err dm_meta_get(struct dm_msg *m, struct dm_meta **metap)
{
	if (!*metap) {
		*metap = zalloc(m, sizeof(**metap));
		if (!*metap)
			return dm_msg_err(m);
	}
	return MCX_OK;
}

enum mcx_err dm_data_set(struct dm_msg *m, struct dm_data **datap, enum dm_data_kind kind,
			 const void *p, size_t n)
{
	struct dm_data *d = zalloc(m, sizeof(*d));

	if (!d)
		return dm_msg_err(m);
	d->p = pool_strndup(&m->pool, p ? p : "", p ? n : 0);
	if (!d->p)
		return dm_msg_err(m);
	d->kind = kind;
	d->len = p ? n : 0;
	*datap = d;
	return MCX_OK;
}

enum mcx_err dm_status_add(struct dm_msg *m, uint32_t cmd_id, uint32_t msg_ref,
			   uint32_t cmd_ref, const char *cmd, unsigned code,
			   struct dm_cmd **cmdp)
{
	struct dm_cmd *c = NULL;
	enum mcx_err err;

	err = dm_cmd_add(m, NULL, DM_CMD_STATUS, cmd_id, &c);
	if (err)
		return err;
	c->msg_ref = msg_ref;
	c->has_msg_ref = true;
	c->cmd_ref = cmd_ref;
	c->has_cmd_ref = true;
	c->code = code;
	c->has_code = true;
	err = dm_set(m, &c->cmd, cmd);
	if (!err && cmdp)
		*cmdp = c;
	return err;
}

/* --- deep copy --- */

static enum mcx_err meta_copy(struct dm_msg *m, struct dm_meta **dst, const struct dm_meta *s)
{
	struct dm_meta *d;
	enum mcx_err err;

	*dst = NULL;
	if (!s)
		return MCX_OK;
	err = dm_meta_get(m, dst);
	if (err)
		return err;
	d = *dst;
	d->size = s->size;
	d->max_msg_size = s->max_msg_size;
	d->max_obj_size = s->max_obj_size;
	d->has = s->has;
	err = dm_set(m, &d->format, s->format);
	if (!err)
		err = dm_set(m, &d->type, s->type);
	if (!err)
		err = dm_set(m, &d->mark, s->mark);
	if (!err)
		err = dm_set(m, &d->version, s->version);
	if (!err)
		err = dm_set(m, &d->next_nonce, s->next_nonce);
	return err;
}

static enum mcx_err data_copy(struct dm_msg *m, struct dm_data **dst, const struct dm_data *s)
{
	*dst = NULL;
	if (!s)
		return MCX_OK;
	return dm_data_set(m, dst, s->kind, s->p, s->len);
}

enum mcx_err dm_item_copy(struct dm_msg *m, struct dm_cmd *c, const struct dm_item *s)
{
	struct dm_item *d = NULL;
	enum mcx_err err;

	err = dm_item_add(m, c, &d);
	if (err)
		return err;
	d->more_data = s->more_data;
	err = dm_set(m, &d->target, s->target);
	if (!err)
		err = dm_set(m, &d->target_name, s->target_name);
	if (!err)
		err = dm_set(m, &d->source, s->source);
	if (!err)
		err = dm_set(m, &d->source_name, s->source_name);
	if (!err)
		err = meta_copy(m, &d->meta, s->meta);
	if (!err)
		err = data_copy(m, &d->data, s->data);
	return err;
}

static enum mcx_err refs_copy(struct dm_msg *m, struct dm_ref **dst, const struct dm_ref *r)
{
	enum mcx_err err = MCX_OK;

	for (; r && !err; r = r->next)
		err = dm_ref_add(m, dst, r->uri);
	return err;
}

static enum mcx_err cmd_fields_copy(struct dm_msg *m, struct dm_cmd *d, const struct dm_cmd *s)
{
	enum mcx_err err;

	d->no_resp = s->no_resp;
	d->code = s->code;
	d->has_code = s->has_code;
	d->msg_ref = s->msg_ref;
	d->has_msg_ref = s->has_msg_ref;
	d->cmd_ref = s->cmd_ref;
	d->has_cmd_ref = s->has_cmd_ref;
	err = dm_set(m, &d->name, s->name);
	if (!err)
		err = dm_set(m, &d->correlator, s->correlator);
	if (!err)
		err = dm_set(m, &d->cmd, s->cmd);
	if (!err)
		err = meta_copy(m, &d->meta, s->meta);
	if (!err)
		err = meta_copy(m, &d->chal, s->chal);
	if (!err)
		err = refs_copy(m, &d->target_refs, s->target_refs);
	if (!err)
		err = refs_copy(m, &d->source_refs, s->source_refs);
	return err;
}

enum mcx_err dm_cmd_copy(struct dm_msg *m, struct dm_cmd *parent, const struct dm_cmd *src,
			 struct dm_cmd **cmdp)
{
	const struct dm_item *it;
	const struct dm_cmd *ch;
	struct dm_cmd *d = NULL;
	enum mcx_err err;

	err = dm_cmd_add(m, parent, src->type, src->cmd_id, &d);
	if (!err)
		err = cmd_fields_copy(m, d, src);
	for (it = src->items; it && !err; it = it->next)
		err = dm_item_copy(m, d, it);
	for (ch = src->children; ch && !err; ch = ch->next)
		err = dm_cmd_copy(m, d, ch, NULL);
	if (!err && cmdp)
		*cmdp = d;
	return err;
}

enum mcx_err dm_hdr_copy(struct dm_msg *m, const struct dm_hdr *s)
{
	struct dm_hdr *d = &m->hdr;
	enum mcx_err err;

	d->msg_id = s->msg_id;
	d->no_resp = s->no_resp;
	err = dm_set(m, &d->ver_dtd, s->ver_dtd);
	if (!err)
		err = dm_set(m, &d->ver_proto, s->ver_proto);
	if (!err)
		err = dm_set(m, &d->session_id, s->session_id);
	if (!err)
		err = dm_set(m, &d->target, s->target);
	if (!err)
		err = dm_set(m, &d->target_name, s->target_name);
	if (!err)
		err = dm_set(m, &d->source, s->source);
	if (!err)
		err = dm_set(m, &d->source_name, s->source_name);
	if (!err)
		err = dm_set(m, &d->resp_uri, s->resp_uri);
	if (!err)
		err = meta_copy(m, &d->meta, s->meta);
	if (!err && s->cred) {
		d->cred = zalloc(m, sizeof(*d->cred));
		if (!d->cred)
			return dm_msg_err(m);
		err = meta_copy(m, &d->cred->meta, s->cred->meta);
		if (!err)
			err = data_copy(m, &d->cred->data, s->cred->data);
	}
	return err;
}

/* --- names and formats --- */

static const char *const cmd_names[] = {
	[DM_CMD_UNKNOWN] = "?",
	[DM_CMD_ADD] = "Add",
	[DM_CMD_ALERT] = "Alert",
	[DM_CMD_ATOMIC] = "Atomic",
	[DM_CMD_COPY] = "Copy",
	[DM_CMD_DELETE] = "Delete",
	[DM_CMD_EXEC] = "Exec",
	[DM_CMD_GET] = "Get",
	[DM_CMD_REPLACE] = "Replace",
	[DM_CMD_RESULTS] = "Results",
	[DM_CMD_SEQUENCE] = "Sequence",
	[DM_CMD_STATUS] = "Status",
};

const char *dm_cmd_name(enum dm_cmd_type t)
{
	if ((size_t)t >= sizeof(cmd_names) / sizeof(cmd_names[0]))
		return "?";
	return cmd_names[t];
}

enum dm_cmd_type dm_cmd_type_of(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (!strcmp(cmd_names[i], name))
			return (enum dm_cmd_type)i;
	return DM_CMD_UNKNOWN;
}

static size_t count_cmds(const struct dm_cmd *c)
{
	size_t n = 0;

	for (; c; c = c->next)
		n += 1 + count_cmds(c->children);
	return n;
}

size_t dm_msg_count_cmds(const struct dm_msg *m)
{
	return count_cmds(m->cmds);
}

size_t dm_cmd_count_items(const struct dm_cmd *c)
{
	const struct dm_item *it;
	size_t n = 0;

	for (it = c->items; it; it = it->next)
		n++;
	return n;
}

static const char *const format_names[] = {
	[DM_FMT_NONE] = "",
	[DM_FMT_B64] = "b64",
	[DM_FMT_BIN] = "bin",
	[DM_FMT_BOOL] = "bool",
	[DM_FMT_CHR] = "chr",
	[DM_FMT_INT] = "int",
	[DM_FMT_NODE] = "node",
	[DM_FMT_NULL] = "null",
	[DM_FMT_XML] = "xml",
	[DM_FMT_DATE] = "date",
	[DM_FMT_TIME] = "time",
	[DM_FMT_FLOAT] = "float",
	[DM_FMT_OTHER] = "?",
};

enum dm_format dm_format_of(const char *s)
{
	size_t i;

	if (!s || !*s)
		return DM_FMT_NONE;
	for (i = DM_FMT_B64; i < DM_FMT_OTHER; i++)
		if (!strcmp(format_names[i], s))
			return (enum dm_format)i;
	return DM_FMT_OTHER;
}

const char *dm_format_name(enum dm_format f)
{
	if ((size_t)f > DM_FMT_OTHER)
		return "?";
	return format_names[f];
}

enum dm_format dm_item_format(const struct dm_cmd *c, const struct dm_item *it)
{
	if (it && it->meta && it->meta->format)
		return dm_format_of(it->meta->format);
	if (c && c->meta && c->meta->format)
		return dm_format_of(c->meta->format);
	return DM_FMT_CHR;
}

const char *dm_item_type(const struct dm_cmd *c, const struct dm_item *it)
{
	if (it && it->meta && it->meta->type)
		return it->meta->type;
	if (c && c->meta && c->meta->type)
		return c->meta->type;
	return NULL;
}

static bool all_digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

static bool int_ok(const char *p, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	bool neg = false;

	if (n && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		i = 1;
	}
	if (!all_digits(p + i, n - i) || n - i > 10)
		return false;
	for (; i < n; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return neg ? v <= 2147483648u : v <= 2147483647u;
}

/* YYYY-MM-DD, or the ISO 8601 ordinal/basic forms DM allows (digits and '-'). */
static bool date_ok(const char *p, size_t n)
{
	size_t i, digits = 0;

	for (i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			digits++;
		else if (p[i] != '-')
			return false;
	}
	return digits >= 4 && digits <= 8;
}

/* hh:mm:ss with optional fraction and zone (Z or +hh:mm). */
static bool time_ok(const char *p, size_t n)
{
	size_t i, digits = 0;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (ch >= '0' && ch <= '9')
			digits++;
		else if (ch != ':' && ch != '.' && ch != '+' && ch != '-' && ch != 'Z')
			return false;
	}
	return digits >= 4;
}

static bool float_ok(const char *p, size_t n)
{
	size_t i, digits = 0;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (ch >= '0' && ch <= '9')
			digits++;
		else if (!strchr("+-.eE", ch) || !ch)
			return false;
	}
	return digits > 0;
}

static bool b64_ok(const char *p, size_t n)
{
	uint8_t scratch[768];
	size_t i;

	/* decode in slices of whole quads (whitespace aside) */
	for (i = 0; i < n;) {
		size_t take = 0, q = 0;

		while (i + take < n && q < 1024) {
			char ch = p[i + take++];

			if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
				q++;
		}
		if (b64_decode(p + i, take, scratch, sizeof(scratch)) < 0)
			return false;
		i += take;
	}
	return true;
}

bool dm_format_check(enum dm_format f, const char *p, size_t n)
{
	switch (f) {
	case DM_FMT_INT:
		return int_ok(p, n);
	case DM_FMT_BOOL:
		return (n == 4 && !memcmp(p, "true", 4)) || (n == 5 && !memcmp(p, "false", 5));
	case DM_FMT_B64:
		return b64_ok(p, n);
	case DM_FMT_NODE:
	case DM_FMT_NULL:
		return n == 0;
	case DM_FMT_DATE:
		return date_ok(p, n);
	case DM_FMT_TIME:
		return time_ok(p, n);
	case DM_FMT_FLOAT:
		return float_ok(p, n);
	default:
		return true;
	}
}
