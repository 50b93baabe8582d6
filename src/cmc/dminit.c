/* Reading the UE initial configuration MO of a DM client's tree (see dminit.h). */
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "cmc"
#include "core/log.h"
#include "core/mem.h"
#include "cmc/dminit.h"
#include "dm/mo.h"
#include "dm/tree.h"
#include "core/banned.h"

/* The nodes under <x> in tree order (insertion order is document order),
 * paths relative to <x>, as the MO mapping wants them. */
static enum mcx_err walk(const struct dm_node *n, struct mcx_buf *path, struct mo_tree *mt)
{
	const struct dm_node *k;
	enum mcx_err err = MCX_OK;
	size_t mark;

	for (k = n->children; k && !err; k = k->next) {
		mark = path->len;
		err = buf_addf(path, "%s%s", mark ? "/" : "", k->name);
		if (!err)
			err = mo_tree_add(mt, path->p, !k->interior, k->value, k->value_len);
		if (!err && k->interior)
			err = walk(k, path, mt);
		path->len = mark;
		if (path->p)
			path->p[mark] = '\0';
	}
	return err;
}

/* The first instance <x> (an interior child) under the MO's tree root. */
static const struct dm_node *instance(const struct dm_tree *t, const struct mo_map *map,
				      unsigned *count)
{
	const struct dm_node *root = dm_tree_find(t, map->tree_root), *x, *first = NULL;

	*count = 0;
	for (x = root && root->interior ? root->children : NULL; x; x = x->next)
		if (x->interior) {
			if (!first)
				first = x;
			(*count)++;
		}
	return first;
}

enum mcx_err cmc_dm_init_read(const char *dir, struct mcx_buf *xml, char **devid, char *eb,
			      size_t el)
{
	const struct mo_map *map = mo_map_get(MO_UE_INIT_CONFIG);
	const struct dm_node *x;
	struct dm_tree *t = NULL;
	struct mo_tree *mt = NULL;
	struct mcx_buf path;
	const char *id;
	char meb[300];
	unsigned n;
	enum mcx_err err;

	*devid = NULL;
	buf_init(&path, MO_PATH_MAX);
	err = dm_tree_load(&t, dir, NULL, meb, sizeof(meb));
	if (err) {
		snprintf(eb, el, "DM tree %s: %s%s", dir, meb[0] ? meb : mcx_strerror(err),
			 err == MCX_ENOENT ? " (make one with mcx dm client init)" : "");
		goto out;
	}
	x = instance(t, map, &n);
	if (!x) {
		snprintf(eb, el,
			 "DM tree %s holds no %s MO (%s/<x>): run a DM session first "
			 "(mcx dm client session)",
			 dir, map->title, map->tree_root);
		err = MCX_ENOENT;
		goto out;
	}
	if (n > 1)
		log_warn("DM tree %s: %u instances under %s; using %s", dir, n, map->tree_root,
			 x->name);
	err = mo_tree_alloc(&mt, MO_UE_INIT_CONFIG, NULL);
	if (!err)
		err = walk(x, &path, mt);
	if (err) {
		snprintf(eb, el, "DM tree %s: %s/%s: %s", dir, map->tree_root, x->name,
			 mcx_strerror(err));
		goto out;
	}
	err = mo_to_xml(mt, 0, xml, NULL, meb, sizeof(meb));
	if (err) {
		snprintf(eb, el, "DM tree %s: %s/%s does not map back to a document: %s", dir,
			 map->tree_root, x->name, meb);
		goto out;
	}
	id = dm_tree_value(t, "./DevInfo/DevId");
	if (id) {
		*devid = mcx_strdup(id);
		if (!*devid)
			err = MCX_ENOMEM;
	}
out:
	buf_reset(&path);
	mo_tree_free(mt);
	dm_tree_free(t);
	return err;
}
