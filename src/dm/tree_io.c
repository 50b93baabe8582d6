/* The management tree in and out of TNDS: adding a MgmtTree under a node
 * (TNDS Add, Inbox), emitting a subtree, and the tree file (one TNDS
 * document whose first node "." is the root) saved atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "dm/mo.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/tree.h"
#include "dm/tree_int.h"
#include "dm/w7.h"
#include "dm/xmlutil.h"
#include "core/banned.h"

/* --- Inbox placement --- */

static const struct {
	const char *urn;
	const char *parent;
} inbox_places[] = {
	{ DM_URN_DMACC, "./DMAcc" },
	{ DM_DMACC_DDF_NAME, "./DMAcc" },
};

const char *dm_inbox_place(const char *urn)
{
	enum mo_kind k;
	size_t i;

	if (!urn)
		return NULL;
	/* the MCPTT MOs go where the mapping table puts their <x> instances */
	if (mo_kind_by_urn(urn, &k))
		return mo_map_get(k)->tree_root;
	for (i = 0; i < sizeof(inbox_places) / sizeof(inbox_places[0]); i++)
		if (!strcmp(urn, inbox_places[i].urn))
			return inbox_places[i].parent;
	return NULL;
}

/* --- TNDS import --- */

static void tnds_limits(const struct dm_tree *t, struct dm_limits *l)
{
	*l = *dm_limits_default();
	l->msg_max = t->lim.file_max;
	l->tnds_nodes_max = t->lim.nodes_max + 1;
	l->tnds_depth_max = t->lim.depth_max + 1;
	l->depth_max = t->lim.depth_max + 8;
	l->data_max = t->lim.value_max;
	l->str_max = t->lim.acl_max > t->lim.uri_max ? t->lim.acl_max : t->lim.uri_max;
	l->pool_max = t->lim.file_max * 2 + (1 << 20);
}

static unsigned add_tnode(struct dm_tree *t, const char *sid, struct mcx_buf *uri,
			  const struct dm_tnode *tn)
{
	bool interior = tn->children || (tn->format && !strcmp(tn->format, "node")) ||
			(!tn->value && !tn->format);
	struct dm_value v = { interior ? "node" : (tn->format ? tn->format : "chr"), tn->type,
			      tn->value, tn->value_len };
	struct dm_node *n = NULL;
	const struct dm_tnode *c;
	size_t mark = uri->len;
	unsigned st;

	if (!tree_name_ok(tn->name, strlen(tn->name), t->lim.seg_max))
		return DM_ST_BAD_REQUEST;
	if (buf_addf(uri, "/%s", tn->name))
		return DM_ST_URI_TOO_LONG;
	st = dm_tree_add(t, sid, uri->p, &v, &n);
	/* the server that creates a node sets its ACL and Title with it */
	if (st == DM_ST_OK && tn->acl && *tn->acl)
		st = !dm_acl_valid(tn->acl, t->lim.acl_max) ? DM_ST_BAD_REQUEST :
		     tree_strset(&n->acl, tn->acl, strlen(tn->acl)) ? DM_ST_OK : DM_ST_DEVICE_FULL;
	if (st == DM_ST_OK && tn->title && !tree_strset(&n->title, tn->title, strlen(tn->title)))
		st = DM_ST_DEVICE_FULL;
	for (c = tn->children; c && st == DM_ST_OK; c = c->next)
		st = add_tnode(t, sid, uri, c);
	uri->len = mark;
	uri->p[mark] = '\0';
	return st;
}

/* Where top-level node tn goes: under uri, or by MO identifier when uri is
 * the Inbox. */
static unsigned base_of(const struct dm_tree *t, const char *uri, const struct dm_tnode *tn,
			struct mcx_buf *b)
{
	const struct dm_node *n = dm_tree_find(t, uri);
	const char *place;

	buf_reset(b);
	if (n && tree_under(n, "Inbox")) {
		place = dm_inbox_place(tn->type);
		if (!place)
			return DM_ST_OPTIONAL_NOT_SUPPORTED;	/* an MO we do not know */
		return buf_adds(b, place) ? DM_ST_DEVICE_FULL : DM_ST_OK;
	}
	return buf_adds(b, uri) ? DM_ST_DEVICE_FULL : DM_ST_OK;
}

unsigned dm_tree_add_tnds(struct dm_tree *t, const char *sid, const char *uri,
			  const char *xml, size_t len)
{
	struct dm_limits l;
	struct dm_tnds *doc = NULL;
	struct dm_tree *snap = NULL;
	const struct dm_tnode *tn;
	struct mcx_buf b;
	unsigned st = dm_tree_check_uri(t, uri);
	enum mcx_err err;

	if (st != DM_ST_OK)
		return st;
	tnds_limits(t, &l);
	err = dm_tnds_parse(xml, len, &l, &doc, t->errbuf, sizeof(t->errbuf));
	if (err)
		return err == MCX_ENOMEM ? DM_ST_DEVICE_FULL :
		       err == MCX_ELIMIT ? DM_ST_TOO_LARGE : DM_ST_BAD_REQUEST;
	if (dm_tree_dup(t, &snap)) {
		dm_tnds_free(doc);
		return DM_ST_DEVICE_FULL;
	}
	buf_init(&b, t->lim.uri_max);
	if (!dm_tree_find(t, uri)) {	/* the target itself is created as interior */
		struct dm_value v = { "node", NULL, NULL, 0 };

		st = dm_tree_add(t, sid, uri, &v, NULL);
	}
	for (tn = doc->nodes; tn && st == DM_ST_OK; tn = tn->next) {
		st = base_of(t, uri, tn, &b);
		if (st == DM_ST_OK)
			st = add_tnode(t, sid, &b, tn);
	}
	if (st != DM_ST_OK)
		dm_tree_swap(t, snap);	/* all or nothing */
	dm_tree_free(snap);
	buf_reset(&b);
	dm_tnds_free(doc);
	return st;
}

/* --- TNDS out --- */

static enum mcx_err el(struct mcx_buf *b, const char *name, const char *s, size_t n)
{
	enum mcx_err err = buf_addf(b, "<%s>", name);

	if (!err)
		err = dm_xml_escape(b, s, n, false);
	if (!err)
		err = buf_addf(b, "</%s>", name);
	return err;
}

static enum mcx_err emit_node(struct mcx_buf *b, const struct dm_node *n, const char *path)
{
	const struct dm_node *c;
	enum mcx_err err = buf_adds(b, "<Node>");

	if (!err)
		err = el(b, "NodeName", n->name, strlen(n->name));
	if (!err && path)
		err = el(b, "Path", path, strlen(path));
	if (!err)
		err = buf_adds(b, "<RTProperties>");
	if (!err && n->acl)
		err = el(b, "ACL", n->acl, strlen(n->acl));
	if (!err)
		err = buf_addf(b, "<Format><%s/></Format>", n->format ? n->format : "chr");
	if (!err && n->title)
		err = el(b, "Title", n->title, strlen(n->title));
	if (!err && n->type) {
		err = buf_adds(b, "<Type>");
		if (!err)
			err = el(b, n->interior ? "DDFName" : "MIME", n->type, strlen(n->type));
		if (!err)
			err = buf_adds(b, "</Type>");
	}
	if (!err)
		err = buf_adds(b, "</RTProperties>");
	for (c = n->children; c && !err; c = c->next)
		err = emit_node(b, c, NULL);
	if (!err && !n->interior)
		err = el(b, "Value", n->value ? n->value : "", n->value_len);
	if (!err)
		err = buf_adds(b, "</Node>");
	return err;
}

enum mcx_err dm_tree_emit_tnds(const struct dm_tree *t, const struct dm_node *n,
			       struct mcx_buf *out)
{
	struct mcx_buf path;
	enum mcx_err err;

	(void)t;
	buf_init(&path, 64 * 1024);
	err = n->parent ? dm_node_uri(n->parent, &path) : MCX_OK;
	if (!err)
		err = buf_adds(out, "<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD>");
	if (!err)
		err = emit_node(out, n, n->parent ? path.p : NULL);
	if (!err)
		err = buf_adds(out, "</MgmtTree>\n");
	buf_reset(&path);
	return err;
}

/* --- the tree file --- */

static enum mcx_err io_fail(struct dm_tree *t, const char *what, const char *path)
{
	snprintf(t->errbuf, sizeof(t->errbuf), "%s %.160s: %.60s", what, path, strerror(errno));
	return MCX_EIO;
}

static enum mcx_err write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return MCX_EIO;
		p += w;
		n -= (size_t)w;
	}
	return MCX_OK;
}

enum mcx_err dm_tree_save(struct dm_tree *t, const char *dir)
{
	char path[4096], tmp[4200];
	struct mcx_buf b;
	enum mcx_err err;
	int fd, dfd;

	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	buf_init(&b, t->lim.file_max);
	err = dm_tree_emit_tnds(t, t->root, &b);
	if (err) {
		snprintf(t->errbuf, sizeof(t->errbuf), "cannot write the tree: %s",
			 mcx_strerror(err));
		buf_reset(&b);
		return err;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		buf_reset(&b);
		return io_fail(t, "cannot create", tmp);
	}
	err = write_all(fd, b.p, b.len);
	buf_reset(&b);
	if (err || fsync(fd)) {
		err = io_fail(t, "cannot write", tmp);
		close(fd);
		unlink(tmp);
		return err;
	}
	close(fd);
	if (rename(tmp, path)) {
		err = io_fail(t, "cannot rename to", path);
		unlink(tmp);
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {	/* the rename itself must survive a crash */
		if (fsync(dfd))
			err = io_fail(t, "cannot sync", dir);
		close(dfd);
	}
	return err;
}

static enum mcx_err read_file(const char *path, size_t max, struct mcx_buf *b,
			      char *errbuf, size_t errlen)
{
	char chunk[16384];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum mcx_err err = MCX_OK;

	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? MCX_ENOENT : MCX_EIO;
	}
	buf_init(b, max);
	while (!err && (r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
			err = MCX_EIO;
		} else if ((err = buf_add(b, chunk, (size_t)r)) == MCX_ELIMIT) {
			snprintf(errbuf, errlen, "%s is over the %zu-byte limit", path, max);
		}
	}
	close(fd);
	if (err)
		buf_reset(b);
	return err;
}

/* Rebuild node n's subtree from tn (validated like a server's input). */
static enum mcx_err load_node(struct dm_tree *t, struct dm_node *n, const struct dm_tnode *tn,
			      size_t depth, char *errbuf, size_t errlen)
{
	const struct dm_tnode *c;
	struct dm_node *k;
	enum mcx_err err = MCX_OK;

	n->interior = depth == 0 || tn->children || (tn->format && !strcmp(tn->format, "node"));
	if ((tn->acl && *tn->acl && (!dm_acl_valid(tn->acl, t->lim.acl_max) ||
				     !tree_strset(&n->acl, tn->acl, strlen(tn->acl)))) ||
	    (tn->format && !tree_strset(&n->format, tn->format, strlen(tn->format))) ||
	    (tn->type && !tree_strset(&n->type, tn->type, strlen(tn->type))) ||
	    (tn->title && !tree_strset(&n->title, tn->title, strlen(tn->title)))) {
		snprintf(errbuf, errlen, "node %s: bad ACL or out of memory", tn->name);
		return tn->acl && !dm_acl_valid(tn->acl, t->lim.acl_max) ? MCX_EINVAL : MCX_ENOMEM;
	}
	if (!n->interior) {
		enum dm_format f = dm_format_of(n->format);

		if (tn->value_len > t->lim.value_max || t->bytes + tn->value_len > t->lim.bytes_max) {
			snprintf(errbuf, errlen, "node %s: value over the limits", tn->name);
			return MCX_ELIMIT;
		}
		/* what an Add refuses (415) does not come in from the file either */
		if (f == DM_FMT_OTHER || !dm_format_check(f, tn->value ? tn->value : "", tn->value_len)) {
			snprintf(errbuf, errlen, "node %s: the value is not of format %.40s", tn->name,
				 n->format);
			return MCX_EINVAL;
		}
		if (!tree_strset(&n->value, tn->value ? tn->value : "", tn->value_len))
			return MCX_ENOMEM;
		n->value_len = tn->value_len;
		t->bytes += tn->value_len;
	}
	if (depth > t->lim.depth_max) {
		snprintf(errbuf, errlen, "node %s: deeper than %zu", tn->name, t->lim.depth_max);
		return MCX_ELIMIT;
	}
	for (c = tn->children; c && !err; c = c->next) {
		if (!tree_name_ok(c->name, strlen(c->name), t->lim.seg_max)) {
			snprintf(errbuf, errlen, "bad node name '%s'", c->name);
			return MCX_EINVAL;
		}
		for (k = n->children; k && strcmp(k->name, c->name); k = k->next)
			;
		if (k) {	/* a second one could never be found */
			snprintf(errbuf, errlen, "node %s: two children named '%s'", tn->name, c->name);
			return MCX_EINVAL;
		}
		if (++t->count > t->lim.nodes_max) {
			snprintf(errbuf, errlen, "more than %zu nodes", t->lim.nodes_max);
			return MCX_ELIMIT;
		}
		k = tree_node_new(c->name, strlen(c->name), false);
		if (!k)
			return MCX_ENOMEM;
		tree_node_link(n, k);
		err = load_node(t, k, c, depth + 1, errbuf, errlen);
	}
	return err;
}

enum mcx_err dm_tree_load(struct dm_tree **tp, const char *dir,
			  const struct dm_tree_limits *lim, char *errbuf, size_t errlen)
{
	char path[4096];
	struct dm_limits l;
	struct dm_tnds *doc = NULL;
	struct dm_tree *t = NULL;
	struct mcx_buf b;
	enum mcx_err err;

	errbuf[0] = '\0';
	err = dm_tree_alloc(&t, lim);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	err = read_file(path, t->lim.file_max, &b, errbuf, errlen);
	if (err) {
		dm_tree_free(t);
		return err;
	}
	tnds_limits(t, &l);
	err = dm_tnds_parse(b.p, b.len, &l, &doc, errbuf, errlen);
	buf_reset(&b);
	if (!err && (!doc->nodes || doc->nodes->next || strcmp(doc->nodes->name, "."))) {
		snprintf(errbuf, errlen, "%s: the tree must be one node named \".\"", path);
		err = MCX_EINVAL;
	}
	if (!err) {
		err = load_node(t, t->root, doc->nodes, 0, errbuf, errlen);
		if (!err && (!t->root->acl || !*t->root->acl)) {
			snprintf(errbuf, errlen, "%s: the root has no ACL", path);
			err = MCX_EINVAL;
		}
	}
	dm_tnds_free(doc);
	if (err) {
		dm_tree_free(t);
		return err;
	}
	tree_std_access(t);
	*tp = t;
	return MCX_OK;
}
