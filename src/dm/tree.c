/* The DM client's management tree: nodes, URIs, ACLs with inheritance, the
 * tree operations with their DM statuses, and the standard MOs. TNDS import
 * and persistence are in tree_io.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/tree.h"
#include "dm/tree_int.h"
#include "dm/xmlutil.h"
#include "core/banned.h"

void dm_tree_limits_default(struct dm_tree_limits *l)
{
	l->nodes_max = DM_TREE_NODES_MAX_DEFAULT;
	l->depth_max = DM_TREE_DEPTH_MAX_DEFAULT;
	l->seg_max = DM_TREE_SEG_MAX_DEFAULT;
	l->uri_max = DM_TREE_URI_MAX_DEFAULT;
	l->value_max = DM_TREE_VALUE_MAX_DEFAULT;
	l->acl_max = DM_TREE_ACL_MAX_DEFAULT;
	l->bytes_max = DM_TREE_BYTES_MAX_DEFAULT;
	l->file_max = DM_TREE_FILE_MAX_DEFAULT;
}

/* --- nodes --- */

void tree_node_free(struct dm_node *n)
{
	struct dm_node *c, *next;

	if (!n)
		return;
	for (c = n->children; c; c = next) {
		next = c->next;
		tree_node_free(c);
	}
	mcx_free(n->name);
	mcx_free(n->format);
	mcx_free(n->type);
	mcx_free(n->title);
	mcx_free(n->acl);
	mcx_free(n->value);
	mcx_free(n);
}

/* *field = copy of s (NULL clears); false on ENOMEM with *field untouched. */
bool tree_strset(char **field, const char *s, size_t n)
{
	char *c = NULL;

	if (s) {
		c = mcx_strndup(s, n);
		if (!c)
			return false;
	}
	mcx_free(*field);
	*field = c;
	return true;
}

struct dm_node *tree_node_new(const char *name, size_t len, bool interior)
{
	struct dm_node *n = mcx_calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = mcx_strndup(name, len);
	n->format = mcx_strdup(interior ? "node" : "chr");
	if (!n->name || !n->format) {
		tree_node_free(n);
		return NULL;
	}
	n->interior = interior;
	n->access = DM_NODE_ALL;
	return n;
}

void tree_node_link(struct dm_node *parent, struct dm_node *n)
{
	struct dm_node **pp;

	for (pp = &parent->children; *pp; pp = &(*pp)->next)
		;
	n->parent = parent;
	*pp = n;
}

static size_t subtree_count(const struct dm_node *n, size_t *bytes)
{
	const struct dm_node *c;
	size_t k = 1;

	*bytes += n->value_len;
	for (c = n->children; c; c = c->next)
		k += subtree_count(c, bytes);
	return k;
}

static void unlink_node(struct dm_tree *t, struct dm_node *n)
{
	struct dm_node **pp;
	size_t bytes = 0;

	for (pp = &n->parent->children; *pp && *pp != n; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = n->next;
	t->count -= subtree_count(n, &bytes);
	t->bytes -= bytes;
	n->next = NULL;
	n->parent = NULL;
}

enum mcx_err dm_tree_alloc(struct dm_tree **tp, const struct dm_tree_limits *lim)
{
	struct dm_tree *t = mcx_calloc(1, sizeof(*t));

	if (!t)
		return MCX_ENOMEM;
	if (lim)
		t->lim = *lim;
	else
		dm_tree_limits_default(&t->lim);
	t->root = tree_node_new(".", 1, true);
	if (!t->root || !tree_strset(&t->root->acl, DM_ROOT_ACL_DEFAULT,
				     strlen(DM_ROOT_ACL_DEFAULT))) {
		dm_tree_free(t);
		return MCX_ENOMEM;
	}
	t->root->access = DM_NODE_ADD | DM_NODE_GET | DM_NODE_REPLACE;
	t->count = 1;
	*tp = t;
	return MCX_OK;
}

void dm_tree_free(struct dm_tree *t)
{
	if (!t)
		return;
	tree_node_free(t->root);
	mcx_free(t);
}

static struct dm_node *node_dup(const struct dm_node *n)
{
	struct dm_node *c = tree_node_new(n->name, strlen(n->name), n->interior), *k, *kc;

	if (!c)
		return NULL;
	c->access = n->access;
	c->value_len = n->value_len;
	if (!tree_strset(&c->format, n->format, n->format ? strlen(n->format) : 0) ||
	    !tree_strset(&c->type, n->type, n->type ? strlen(n->type) : 0) ||
	    !tree_strset(&c->title, n->title, n->title ? strlen(n->title) : 0) ||
	    !tree_strset(&c->acl, n->acl, n->acl ? strlen(n->acl) : 0) ||
	    !tree_strset(&c->value, n->value, n->value_len))
		goto fail;
	for (k = n->children; k; k = k->next) {
		kc = node_dup(k);
		if (!kc)
			goto fail;
		tree_node_link(c, kc);
	}
	return c;
fail:
	tree_node_free(c);
	return NULL;
}

enum mcx_err dm_tree_dup(const struct dm_tree *t, struct dm_tree **copyp)
{
	struct dm_tree *c = mcx_calloc(1, sizeof(*c));

	if (!c)
		return MCX_ENOMEM;
	*c = *t;
	c->root = node_dup(t->root);
	if (!c->root) {
		mcx_free(c);
		return MCX_ENOMEM;
	}
	*copyp = c;
	return MCX_OK;
}

void dm_tree_swap(struct dm_tree *a, struct dm_tree *b)
{
	struct dm_tree tmp = *a;

	*a = *b;
	*b = tmp;
}

/* --- URIs --- */

/* Next segment of a URI at *p; false at the end. */
static bool next_seg(const char **p, const char **seg, size_t *len)
{
	const char *s = *p, *e;

	if (!*s)
		return false;
	e = strchr(s, '/');
	*seg = s;
	*len = e ? (size_t)(e - s) : strlen(s);
	*p = e ? e + 1 : s + *len;
	return true;
}

/* The URI without its leading "./" ("" for the root); NULL when it is not
 * a relative node URI. */
static const char *uri_body(const char *uri)
{
	if (!uri)
		return NULL;
	if (!strcmp(uri, "."))
		return "";
	if (!strncmp(uri, "./", 2))
		return uri + 2;
	if (uri[0] == '/' || uri[0] == '\0')
		return NULL;
	return uri;
}

bool tree_name_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '?')
			return false;
	}
	return true;
}

unsigned dm_tree_check_uri(const struct dm_tree *t, const char *uri)
{
	const char *p = uri_body(uri), *seg;
	size_t len, depth = 0;

	if (!p)
		return DM_ST_BAD_REQUEST;
	if (strlen(uri) > t->lim.uri_max)
		return DM_ST_URI_TOO_LONG;
	if (*p && p[strlen(p) - 1] == '/')
		return DM_ST_BAD_REQUEST;
	while (next_seg(&p, &seg, &len)) {
		if (++depth > t->lim.depth_max)
			return DM_ST_URI_TOO_LONG;
		if (len > t->lim.seg_max)
			return DM_ST_URI_TOO_LONG;
		if (!tree_name_ok(seg, len, t->lim.seg_max))
			return DM_ST_BAD_REQUEST;
	}
	return DM_ST_OK;
}

static struct dm_node *child_named(const struct dm_node *n, const char *s, size_t len)
{
	struct dm_node *c;

	for (c = n->children; c; c = c->next)
		if (strlen(c->name) == len && !memcmp(c->name, s, len))
			return c;
	return NULL;
}

/* The deepest existing node on the path of uri; *rest points at the first
 * missing segment ("" when the whole URI exists). */
static struct dm_node *walk(const struct dm_tree *t, const char *uri, const char **rest)
{
	const char *p = uri_body(uri), *seg, *before;
	struct dm_node *n = t->root, *c;
	size_t len;

	for (before = p; next_seg(&p, &seg, &len); before = p) {
		c = child_named(n, seg, len);
		if (!c) {
			*rest = before;
			return n;
		}
		n = c;
	}
	*rest = "";
	return n;
}

struct dm_node *dm_tree_find(const struct dm_tree *t, const char *uri)
{
	const char *rest;
	struct dm_node *n;

	if (dm_tree_check_uri(t, uri) != DM_ST_OK)
		return NULL;
	n = walk(t, uri, &rest);
	return *rest ? NULL : n;
}

static enum mcx_err uri_up(const struct dm_node *n, struct mcx_buf *b)
{
	enum mcx_err err;

	if (!n->parent)
		return buf_adds(b, ".");
	err = uri_up(n->parent, b);
	if (!err)
		err = buf_addf(b, "/%s", n->name);
	return err;
}

enum mcx_err dm_node_uri(const struct dm_node *n, struct mcx_buf *b)
{
	return uri_up(n, b);
}

/* Is n at or below the top-level node named top? */
bool tree_under(const struct dm_node *n, const char *top)
{
	while (n && n->parent && n->parent->parent)
		n = n->parent;
	return n && n->parent && !strcmp(n->name, top);
}

/* --- ACLs --- */

static const char *const acl_cmds[] = { "Add", "Delete", "Exec", "Get", "Replace" };

static bool sid_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 1 && s[0] == '*')
		return true;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '=' || c == '&' || c == '*' || c == '+')
			return false;
	}
	return true;
}

bool dm_acl_valid(const char *acl, size_t max)
{
	const char *p = acl, *e, *eq, *s, *se;
	size_t i;

	if (!acl || !*acl)
		return true;
	if (strlen(acl) > max)
		return false;
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '&');
		if (!e)
			e = p + strlen(p);
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq)
			return false;
		for (i = 0; i < 5; i++)
			if ((size_t)(eq - p) == strlen(acl_cmds[i]) && !memcmp(p, acl_cmds[i], (size_t)(eq - p)))
				break;
		if (i == 5)
			return false;
		for (s = eq + 1; s <= e; s = se + 1) {
			se = memchr(s, '+', (size_t)(e - s));
			if (!se)
				se = e;
			if (!sid_ok(s, (size_t)(se - s)))
				return false;
		}
		if (!*e)
			break;
		if (!e[1])
			return false;	/* a trailing '&' */
	}
	return true;
}

bool dm_acl_grants(const char *acl, enum dm_acl_cmd cmd, const char *sid)
{
	const char *name = acl_cmds[cmd], *p = acl, *e, *s, *se;
	size_t nl = strlen(name), sl = sid ? strlen(sid) : 0;

	if (!acl)
		return false;
	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '&');
		if (!e)
			e = p + strlen(p);
		if ((size_t)(e - p) <= nl || memcmp(p, name, nl) || p[nl] != '=')
			continue;
		for (s = p + nl + 1; s < e; s = se + 1) {
			se = memchr(s, '+', (size_t)(e - s));
			if (!se)
				se = e;
			if ((se - s == 1 && *s == '*') ||
			    (sid && (size_t)(se - s) == sl && !memcmp(s, sid, sl)))
				return true;
			if (se == e)
				break;
		}
	}
	return false;
}

const char *dm_node_acl_effective(const struct dm_node *n)
{
	for (; n; n = n->parent)
		if (n->acl && *n->acl)
			return n->acl;
	return "";
}

bool dm_node_allowed(const struct dm_node *n, enum dm_acl_cmd cmd, const char *sid)
{
	if (!sid)
		return true;
	return dm_acl_grants(dm_node_acl_effective(n), cmd, sid);
}

/* ACL text without server sid; root_star: empty commands become "*". */
static enum mcx_err scrub_one(const char *acl, const char *sid, bool root_star, struct mcx_buf *out)
{
	const char *p = acl, *e, *eq, *s, *se;
	size_t sl = strlen(sid), kept;
	enum mcx_err err = MCX_OK;

	for (; *p && !err; p = *e ? e + 1 : e) {
		size_t start = out->len;

		e = strchr(p, '&');
		if (!e)
			e = p + strlen(p);
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq)
			continue;
		err = buf_addf(out, "%s%.*s=", out->len ? "&" : "", (int)(eq - p), p);
		kept = 0;
		for (s = eq + 1; s < e && !err; s = se + 1) {
			se = memchr(s, '+', (size_t)(e - s));
			if (!se)
				se = e;
			if ((size_t)(se - s) == sl && !memcmp(s, sid, sl))
				continue;
			err = buf_addf(out, "%s%.*s", kept++ ? "+" : "", (int)(se - s), s);
		}
		if (!err && !kept) {
			if (root_star)
				err = buf_adds(out, "*");
			else {
				out->len = start;
				out->p[start] = '\0';
			}
		}
	}
	return err;
}

static enum mcx_err scrub(struct dm_node *n, const char *sid, bool is_root)
{
	struct mcx_buf b;
	struct dm_node *c;
	enum mcx_err err = MCX_OK;

	if (n->acl && *n->acl) {
		buf_init(&b, strlen(n->acl) + 8);
		err = scrub_one(n->acl, sid, is_root, &b);
		if (!err && strcmp(b.p ? b.p : "", n->acl) &&
		    !tree_strset(&n->acl, b.p ? b.p : "", b.len))
			err = MCX_ENOMEM;
		buf_reset(&b);
	}
	for (c = n->children; c && !err; c = c->next)
		err = scrub(c, sid, false);
	return err;
}

enum mcx_err dm_tree_acl_scrub(struct dm_tree *t, const char *sid)
{
	t->changes++;
	return scrub(t->root, sid, true);
}

/* --- values --- */

/* Can the value be written in XML (our TNDS file, Get results)? */
static bool value_xml_ok(const char *p, size_t n)
{
	struct mcx_buf b;
	enum mcx_err err;

	buf_init(&b, n * 6 + 16);
	err = dm_xml_escape(&b, p, n, false);
	buf_reset(&b);
	return err != MCX_EINVAL;
}

/* Validate v for a leaf: 200, or the status. */
static unsigned value_check(const struct dm_tree *t, const struct dm_value *v, size_t old_len)
{
	enum dm_format f = dm_format_of(v->format ? v->format : "chr");

	if (f == DM_FMT_OTHER || f == DM_FMT_NODE)
		return DM_ST_UNSUPPORTED_MEDIA;
	if (v->len > t->lim.value_max)
		return DM_ST_TOO_LARGE;
	if (t->bytes - old_len + v->len > t->lim.bytes_max)
		return DM_ST_DEVICE_FULL;
	if (!dm_format_check(f, v->p ? v->p : "", v->len))
		return DM_ST_UNSUPPORTED_MEDIA;
	if (v->len && !value_xml_ok(v->p, v->len))
		return DM_ST_UNSUPPORTED_MEDIA;
	return DM_ST_OK;
}

/* Store v in leaf n (already checked). */
static unsigned value_store(struct dm_tree *t, struct dm_node *n, const struct dm_value *v)
{
	char *val = mcx_strndup(v->p ? v->p : "", v->len), *fmt = NULL, *type = NULL;
	const char *f = v->format ? v->format : "chr";

	if (!val || !tree_strset(&fmt, f, strlen(f)) ||
	    (v->type && !tree_strset(&type, v->type, strlen(v->type)))) {
		mcx_free(val);
		mcx_free(fmt);
		return DM_ST_DEVICE_FULL;
	}
	t->bytes = t->bytes - n->value_len + v->len;
	mcx_free(n->value);
	mcx_free(n->format);
	mcx_free(n->type);
	n->value = val;
	n->value_len = v->len;
	n->format = fmt;
	n->type = type;
	t->changes++;
	return DM_ST_OK;
}

/* --- operations --- */

static bool is_inbox(const struct dm_node *n)
{
	return tree_under(n, "Inbox");
}

static bool is_secret(const struct dm_node *n)
{
	return tree_under(n, "DMAcc") &&
	       (!strcmp(n->name, "AAuthSecret") || !strcmp(n->name, "AAuthData"));
}

static unsigned add_chain(struct dm_tree *t, struct dm_node *at, const char *rest,
			  const char *sid, const struct dm_value *v, struct dm_node **nodep)
{
	const char *p = rest, *seg;
	size_t len, missing = 0;
	struct dm_node *top = NULL, *cur = NULL, *n;
	bool leaf = !(v && v->format && !strcmp(v->format, "node"));
	unsigned st;

	while (next_seg(&p, &seg, &len))
		missing++;
	if (t->count + missing > t->lim.nodes_max)
		return DM_ST_DEVICE_FULL;
	if (leaf && (st = value_check(t, v, 0)) != DM_ST_OK)
		return st;
	for (p = rest; next_seg(&p, &seg, &len);) {
		n = tree_node_new(seg, len, !leaf || *p);
		if (!n)
			goto nomem;
		if (cur)
			tree_node_link(cur, n);
		else
			top = n;
		cur = n;
	}
	if (leaf && value_store(t, cur, v) != DM_ST_OK)
		goto nomem;
	if (!leaf && v->type && !tree_strset(&cur->type, v->type, strlen(v->type)))
		goto nomem;
	/* DM TND 1.2: a server that could not change the parent's ACL gets
	 * full rights on what it created; otherwise the new node inherits. */
	if (sid && !dm_node_allowed(at, DM_ACL_REPLACE, sid)) {
		struct mcx_buf b;
		bool ok;

		buf_init(&b, t->lim.acl_max);
		ok = !buf_addf(&b, "Add=%s&Delete=%s&Get=%s&Replace=%s", sid, sid, sid, sid) &&
		     tree_strset(&top->acl, b.p, b.len);
		buf_reset(&b);
		if (!ok)
			goto nomem;
	}
	tree_node_link(at, top);
	t->count += missing;
	t->changes++;
	if (nodep)
		*nodep = cur;
	return DM_ST_OK;
nomem:
	if (top && leaf && cur && cur->value)
		t->bytes -= cur->value_len;
	tree_node_free(top);
	return DM_ST_DEVICE_FULL;
}

unsigned dm_tree_add(struct dm_tree *t, const char *sid, const char *uri,
		     const struct dm_value *v, struct dm_node **nodep)
{
	static const struct dm_value empty = { "chr", NULL, "", 0 };
	const char *rest;
	struct dm_node *at;
	unsigned st = dm_tree_check_uri(t, uri);

	if (st != DM_ST_OK)
		return st;
	if (!v)
		v = &empty;
	at = walk(t, uri, &rest);
	if (!*rest)	/* exists: say so only to a server that may add there */
		return at->parent && !dm_node_allowed(at->parent, DM_ACL_ADD, sid) ?
		       DM_ST_PERMISSION_DENIED : DM_ST_ALREADY_EXISTS;
	if (!at->interior)
		return DM_ST_NOT_ALLOWED;
	if (sid && !(at->access & DM_NODE_ADD))
		return DM_ST_NOT_ALLOWED;
	if (!dm_node_allowed(at, DM_ACL_ADD, sid))
		return DM_ST_PERMISSION_DENIED;
	return add_chain(t, at, rest, sid, v, nodep);
}

/* Find uri and check cmd on it: 200 with *np, or the status. */
static unsigned lookup(const struct dm_tree *t, const char *uri, const char *sid,
		       enum dm_acl_cmd cmd, unsigned access, struct dm_node **np)
{
	unsigned st = dm_tree_check_uri(t, uri);
	struct dm_node *n;

	if (st != DM_ST_OK)
		return st;
	n = dm_tree_find(t, uri);
	if (!n)
		return DM_ST_NOT_FOUND;
	if (sid && !(n->access & access))
		return DM_ST_NOT_ALLOWED;
	if (!dm_node_allowed(n, cmd, sid))
		return DM_ST_PERMISSION_DENIED;
	*np = n;
	return DM_ST_OK;
}

unsigned dm_tree_replace(struct dm_tree *t, const char *sid, const char *uri,
			 const struct dm_value *v)
{
	struct dm_node *n = NULL;
	unsigned st = lookup(t, uri, sid, DM_ACL_REPLACE, DM_NODE_REPLACE, &n);

	if (st != DM_ST_OK)
		return st;
	if (n->interior)
		return DM_ST_NOT_ALLOWED;
	st = value_check(t, v, n->value_len);
	return st == DM_ST_OK ? value_store(t, n, v) : st;
}

/* The ServerID of the account n is (or is inside), NULL otherwise. */
static const char *account_sid(const struct dm_node *n)
{
	const struct dm_node *acc = n, *sid;

	if (!tree_under(n, "DMAcc"))
		return NULL;
	while (acc->parent && acc->parent->parent && acc->parent->parent->parent)
		acc = acc->parent;
	if (!acc->parent || !acc->parent->parent)
		return NULL;	/* ./DMAcc itself */
	if (acc != n && strcmp(n->name, "ServerID"))
		return NULL;	/* a node inside the account that is not ServerID */
	sid = child_named(acc, "ServerID", 8);
	return sid && sid->value ? sid->value : NULL;
}

unsigned dm_tree_delete(struct dm_tree *t, const char *sid, const char *uri)
{
	struct dm_node *n = NULL;
	unsigned st = lookup(t, uri, sid, DM_ACL_DELETE, DM_NODE_DELETE, &n);
	const char *gone;
	char *gone_copy = NULL;

	if (st != DM_ST_OK)
		return st;
	if (!n->parent || !(n->access & DM_NODE_DELETE))
		return DM_ST_NOT_ALLOWED;
	gone = account_sid(n);
	if (gone && !(gone_copy = mcx_strdup(gone)))
		return DM_ST_DEVICE_FULL;
	unlink_node(t, n);
	tree_node_free(n);
	t->changes++;
	/* a deleted account's ServerID leaves every ACL (DM TND 1.2) */
	if (gone_copy && dm_tree_acl_scrub(t, gone_copy))
		st = DM_ST_DEVICE_FULL;
	mcx_free(gone_copy);
	return st;
}

unsigned dm_tree_get(const struct dm_tree *t, const char *sid, const char *uri,
		     const struct dm_node **nodep)
{
	struct dm_node *n = NULL;
	unsigned st = lookup(t, uri, sid, DM_ACL_GET, DM_NODE_GET, &n);

	if (st != DM_ST_OK)
		return st;
	if (sid && (is_inbox(n) || is_secret(n)))
		return DM_ST_NOT_ALLOWED;
	*nodep = n;
	return DM_ST_OK;
}

unsigned dm_tree_exec_check(const struct dm_tree *t, const char *sid, const char *uri,
			    struct dm_node **nodep)
{
	return lookup(t, uri, sid, DM_ACL_EXEC, DM_NODE_EXEC, nodep);
}

unsigned dm_tree_copy(struct dm_tree *t, const char *sid, const char *src, const char *dst)
{
	const struct dm_node *s = NULL;
	struct dm_value v;
	unsigned st = dm_tree_get(t, sid, src, &s);
	char *val;

	if (st != DM_ST_OK)
		return st;
	if (s->interior)
		return DM_ST_OPTIONAL_NOT_SUPPORTED;	/* leaf to leaf only */
	/* the value may move when dst == src's storage is replaced: copy it */
	val = mcx_strndup(s->value ? s->value : "", s->value_len);
	if (!val)
		return DM_ST_DEVICE_FULL;
	v.format = s->format;
	v.type = s->type;
	v.p = val;
	v.len = s->value_len;
	{
		char *fmt = mcx_strdup(s->format ? s->format : "chr");
		char *type = s->type ? mcx_strdup(s->type) : NULL;

		if (!fmt || (s->type && !type)) {
			st = DM_ST_DEVICE_FULL;
		} else {
			v.format = fmt;
			v.type = type;
			st = dm_tree_find(t, dst) ? dm_tree_replace(t, sid, dst, &v)
						  : dm_tree_add(t, sid, dst, &v, NULL);
		}
		mcx_free(fmt);
		mcx_free(type);
	}
	mcx_free(val);
	return st;
}

/* --- properties --- */

unsigned dm_tree_prop_get(const struct dm_tree *t, const char *sid, const char *uri,
			  const char *prop, struct mcx_buf *out)
{
	const struct dm_node *n = NULL;
	unsigned st = dm_tree_get(t, sid, uri, &n);
	enum mcx_err err = MCX_OK;

	if (st == DM_ST_NOT_ALLOWED && (n = dm_tree_find(t, uri)) && is_inbox(n))
		st = dm_node_allowed(n, DM_ACL_GET, sid) ? DM_ST_OK : st;	/* properties are readable */
	if (st != DM_ST_OK)
		return st;
	if (!strcmp(prop, "ACL"))
		err = buf_adds(out, n->acl ? n->acl : "");
	else if (!strcmp(prop, "Format"))
		err = buf_adds(out, n->format ? n->format : "chr");
	else if (!strcmp(prop, "Name"))
		err = buf_adds(out, n->name);
	else if (!strcmp(prop, "Size") && !n->interior)
		err = buf_addf(out, "%zu", n->value_len);
	else if (!strcmp(prop, "Title"))
		err = buf_adds(out, n->title ? n->title : "");
	else if (!strcmp(prop, "Type"))
		err = buf_adds(out, n->type ? n->type : n->interior ? "" : "text/plain");
	else
		return DM_ST_OPTIONAL_NOT_SUPPORTED;	/* TStamp, VerNo, Size of an interior node */
	return err ? DM_ST_DEVICE_FULL : DM_ST_OK;
}

unsigned dm_tree_prop_replace(struct dm_tree *t, const char *sid, const char *uri,
			      const char *prop, const char *p, size_t len)
{
	unsigned st = dm_tree_check_uri(t, uri);
	struct dm_node *n, *gate;
	char *s;

	if (st != DM_ST_OK)
		return st;
	n = dm_tree_find(t, uri);
	if (!n)
		return DM_ST_NOT_FOUND;
	if (!strcmp(prop, "ACL")) {
		/* an interior node's ACL is its own to change; a leaf's belongs
		 * to its parent (DM TND 1.2 8.3.7.1) */
		gate = n->interior || !n->parent ? n : n->parent;
		if (!dm_node_allowed(gate, DM_ACL_REPLACE, sid))
			return DM_ST_PERMISSION_DENIED;
		s = mcx_strndup(p, len);
		if (!s)
			return DM_ST_DEVICE_FULL;
		st = strlen(s) != len || !dm_acl_valid(s, t->lim.acl_max) ||
		     (!n->parent && !*s) ? DM_ST_BAD_REQUEST : DM_ST_OK;
		if (st == DM_ST_OK) {
			mcx_free(n->acl);
			n->acl = *s ? s : NULL;
			if (!*s)
				mcx_free(s);
			t->changes++;
		} else {
			mcx_free(s);
		}
		return st;
	}
	if (!strcmp(prop, "Title")) {
		if (!dm_node_allowed(n, DM_ACL_REPLACE, sid))
			return DM_ST_PERMISSION_DENIED;
		if (len > t->lim.seg_max * 4 || !value_xml_ok(p, len))
			return DM_ST_BAD_REQUEST;
		if (!tree_strset(&n->title, p, len))
			return DM_ST_DEVICE_FULL;
		t->changes++;
		return DM_ST_OK;
	}
	if (!strcmp(prop, "Name"))
		return DM_ST_OPTIONAL_NOT_SUPPORTED;	/* renaming: not implemented */
	if (!strcmp(prop, "Format") || !strcmp(prop, "Type") || !strcmp(prop, "Size") ||
	    !strcmp(prop, "TStamp") || !strcmp(prop, "VerNo"))
		return DM_ST_NOT_ALLOWED;
	return DM_ST_OPTIONAL_NOT_SUPPORTED;
}

enum mcx_err dm_node_child_list(const struct dm_node *n, struct mcx_buf *out)
{
	const struct dm_node *c;
	enum mcx_err err = MCX_OK;

	for (c = n->children; c && !err; c = c->next)
		err = buf_addf(out, "%s%s", c == n->children ? "" : "/", c->name);
	return err;
}

/* --- local setters --- */

enum mcx_err dm_tree_set_acl(struct dm_tree *t, const char *uri, const char *acl)
{
	struct dm_node *n = dm_tree_find(t, uri);

	if (!n)
		return MCX_ENOENT;
	if (!dm_acl_valid(acl, t->lim.acl_max) || (!n->parent && (!acl || !*acl)))
		return MCX_EINVAL;
	if (!tree_strset(&n->acl, acl && *acl ? acl : NULL, acl ? strlen(acl) : 0))
		return MCX_ENOMEM;
	t->changes++;
	return MCX_OK;
}

enum mcx_err dm_tree_set_access(struct dm_tree *t, const char *uri, unsigned access)
{
	struct dm_node *n = dm_tree_find(t, uri);

	if (!n)
		return MCX_ENOENT;
	n->access = access;
	return MCX_OK;
}

static enum mcx_err status_err(unsigned st)
{
	switch (st) {
	case DM_ST_OK:			return MCX_OK;
	case DM_ST_DEVICE_FULL:		return MCX_ENOMEM;
	case DM_ST_NOT_FOUND:		return MCX_ENOENT;
	case DM_ST_ALREADY_EXISTS:	return MCX_EEXIST;
	case DM_ST_TOO_LARGE:
	case DM_ST_URI_TOO_LONG:	return MCX_ELIMIT;
	default:			return MCX_EINVAL;
	}
}

enum mcx_err dm_tree_set_leaf(struct dm_tree *t, const char *uri, const char *value,
			      const char *format)
{
	struct dm_value v = { format ? format : "chr", NULL, value ? value : "",
			      value ? strlen(value) : 0 };
	struct dm_node *n = dm_tree_find(t, uri);

	if (n) {
		if (n->interior)
			return MCX_EINVAL;
		if (value_check(t, &v, n->value_len) != DM_ST_OK)
			return MCX_EINVAL;
		return status_err(value_store(t, n, &v));
	}
	return status_err(dm_tree_add(t, NULL, uri, &v, NULL));
}

const char *dm_tree_value(const struct dm_tree *t, const char *uri)
{
	const struct dm_node *n = dm_tree_find(t, uri);

	return n && !n->interior ? (n->value ? n->value : "") : NULL;
}

/* --- standard MOs --- */

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool uuid_ok(const char *s)
{
	static const size_t groups[] = { 8, 4, 4, 4, 12 };
	size_t g, i;

	for (g = 0; g < 5; g++) {
		for (i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return false;
		if (*s != (g < 4 ? '-' : '\0'))
			return false;
		s++;
	}
	return true;
}

bool dm_devid_valid(const char *s)
{
	if (!s)
		return false;
	if (!strncasecmp(s, "urn:gsma:imei:", 14)) {
		s += 14;
		return strlen(s) == 17 && digits(s, 8) && s[8] == '-' && digits(s + 9, 6) &&
		       s[15] == '-' && digits(s + 16, 1);
	}
	if (!strncasecmp(s, "urn:uuid:", 9))
		return uuid_ok(s + 9);
	return false;
}

struct std_leaf {
	const char *uri;
	const char *value;
	const char *format;
};

static enum mcx_err std_interior(struct dm_tree *t, const char *uri, const char *urn,
				 const char *acl, unsigned access)
{
	struct dm_value v = { "node", urn, NULL, 0 };
	enum mcx_err err = status_err(dm_tree_add(t, NULL, uri, &v, NULL));

	if (!err && acl)
		err = dm_tree_set_acl(t, uri, acl);
	if (!err)
		err = dm_tree_set_access(t, uri, access);
	return err;
}

enum mcx_err dm_tree_init_std(struct dm_tree *t, const struct dm_devinfo *di)
{
	char maxdepth[24], maxtot[24], maxseg[24];
	const struct std_leaf leaves[] = {
		{ "./DevInfo/DevId", di->dev_id, "chr" },
		{ "./DevInfo/Man", di->man ? di->man : "mcx", "chr" },
		{ "./DevInfo/Mod", di->mod ? di->mod : "mcx-ue", "chr" },
		{ "./DevInfo/DmV", di->dmv ? di->dmv : "1.2", "chr" },
		{ "./DevInfo/Lang", di->lang ? di->lang : "en-US", "chr" },
		{ "./DevDetail/DevTyp", di->dev_typ ? di->dev_typ : "MCPTT UE", "chr" },
		{ "./DevDetail/OEM", di->oem ? di->oem : "mcx", "chr" },
		{ "./DevDetail/FwV", di->fwv ? di->fwv : MCX_VERSION, "chr" },
		{ "./DevDetail/SwV", di->swv ? di->swv : MCX_VERSION, "chr" },
		{ "./DevDetail/HwV", di->hwv ? di->hwv : "generic", "chr" },
		{ "./DevDetail/LrgObj", "true", "bool" },
		{ "./DevDetail/URI/MaxDepth", maxdepth, "chr" },
		{ "./DevDetail/URI/MaxTotLen", maxtot, "chr" },
		{ "./DevDetail/URI/MaxSegLen", maxseg, "chr" },
	};
	enum mcx_err err;
	size_t i;

	if (!dm_devid_valid(di->dev_id)) {
		snprintf(t->errbuf, sizeof(t->errbuf),
			 "DevId '%s' is not urn:gsma:imei:TAC8-SNR6-D nor urn:uuid:<uuid>",
			 di->dev_id ? di->dev_id : "");
		return MCX_EINVAL;
	}
	if (dm_tree_find(t, "./DevInfo"))
		return MCX_EEXIST;
	snprintf(maxdepth, sizeof(maxdepth), "%zu", t->lim.depth_max);
	snprintf(maxtot, sizeof(maxtot), "%zu", t->lim.uri_max);
	snprintf(maxseg, sizeof(maxseg), "%zu", t->lim.seg_max);
	err = std_interior(t, "./DevInfo", DM_URN_DEVINFO, "Get=*", DM_NODE_GET);
	if (!err)
		err = std_interior(t, "./DevDetail", DM_URN_DEVDETAIL, "Get=*", DM_NODE_GET);
	if (!err)
		err = std_interior(t, "./DevDetail/URI", NULL, NULL, DM_NODE_GET);
	if (!err)
		err = std_interior(t, "./DMAcc", NULL, NULL, DM_NODE_ADD | DM_NODE_GET);
	if (!err)
		err = std_interior(t, "./Inbox", DM_URN_INBOX, "Add=*", DM_NODE_ADD);
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]) && !err; i++) {
		err = dm_tree_set_leaf(t, leaves[i].uri, leaves[i].value, leaves[i].format);
		if (!err)
			err = dm_tree_set_access(t, leaves[i].uri, DM_NODE_GET);
	}
	return err;
}

/* Access types are not stored: they follow from where a node is. */
void tree_std_access(struct dm_tree *t)
{
	static const struct { const char *uri; unsigned access; } fixed[] = {
		{ "./DevInfo", DM_NODE_GET }, { "./DevDetail", DM_NODE_GET },
		{ "./DMAcc", DM_NODE_ADD | DM_NODE_GET }, { "./Inbox", DM_NODE_ADD },
	};
	struct dm_node *n, *c;
	size_t i;

	t->root->access = DM_NODE_ADD | DM_NODE_GET | DM_NODE_REPLACE;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		n = dm_tree_find(t, fixed[i].uri);
		if (!n)
			continue;
		n->access = fixed[i].access;
		if (i < 2)	/* DevInfo, DevDetail: read-only all the way down */
			for (c = n->children; c; c = c->next) {
				struct dm_node *g;

				c->access = DM_NODE_GET;
				for (g = c->children; g; g = g->next)
					g->access = DM_NODE_GET;
			}
	}
}
