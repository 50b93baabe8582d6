/* libFuzzer driver for the DM client's management tree readers
 * (dm/tree_io.c): the saved tree file (dm_tree_load, from a scratch
 * directory) and the TNDS import a server's Add or a bootstrap makes
 * (dm_tree_add_tnds, into a standard tree, under a plain node and under
 * ./Inbox), with the TNDS reader under both (dm/tnds.c). All read the same
 * bytes. Small limits so the bounds are hit.
 * Invariants (abort() on violation): a loaded tree is within its limits,
 * holds only what a server's Add could make (leaf values that match their
 * Format, sibling names unique), saves and loads back as the same tree; an
 * import either succeeds, and the tree still holds to the same, or leaves
 * the tree exactly as it was; a TNDS document written canonically reads
 * back as an equal document. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dm/status.h"
#include "dm/syncml.h"
#include "dm/tnds.h"
#include "dm/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static char dir_in[64], dir_out[64];

static const struct dm_tree_limits lim = {
	.nodes_max = 200, .depth_max = 8, .seg_max = 32, .uri_max = 256,
	.value_max = 4096, .acl_max = 256, .bytes_max = 16384, .file_max = 1 << 20,
};

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir_in);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir_out);
	unlink(path);
	rmdir(dir_in);
	rmdir(dir_out);
}

static void dirs(void)
{
	const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm"; /* no fsync cost */

	if (dir_in[0])
		return;
	snprintf(dir_in, sizeof(dir_in), "%s/mcx-fz-tree-XXXXXX", base);
	snprintf(dir_out, sizeof(dir_out), "%s/mcx-fz-tree-XXXXXX", base);
	if (!mkdtemp(dir_in) || !mkdtemp(dir_out))
		abort();
	atexit(cleanup);
	mcx_log_set_level(MCX_LOG_ERROR);
}

static void emit(const struct dm_tree *t, struct mcx_buf *b)
{
	buf_init(b, 1 << 24);
	ASSERT(dm_tree_emit_tnds(t, t->root, b) == MCX_OK);
}

/* The nodes under n (n included), checking what a server's Add would:
 * depth, sizes, ACLs, a leaf's value against its Format, unique names. */
static size_t count(const struct dm_node *n, size_t depth, const struct dm_tree_limits *l)
{
	const struct dm_node *c, *d;
	size_t k = 1;

	ASSERT(depth <= l->depth_max);
	ASSERT(!n->value || n->value_len <= l->value_max);
	ASSERT(!n->interior || !n->value);
	ASSERT(!n->acl || dm_acl_valid(n->acl, l->acl_max));
	if (!n->interior) {
		enum dm_format f = dm_format_of(n->format ? n->format : "chr");

		ASSERT(f != DM_FMT_OTHER && f != DM_FMT_NODE);
		ASSERT(dm_format_check(f, n->value ? n->value : "", n->value_len));
	}
	for (c = n->children; c; c = c->next) {
		ASSERT(c->parent == n);
		for (d = c->next; d; d = d->next)
			ASSERT(strcmp(c->name, d->name));
		k += count(c, depth + 1, l);
	}
	return k;
}

/* t within its limits; saved and loaded back it is the same tree. */
static void saves_back(struct dm_tree *t)
{
	struct dm_tree *back = NULL;
	struct mcx_buf a, b;
	char eb[256];

	ASSERT(count(t->root, 0, &t->lim) == t->count && t->count <= t->lim.nodes_max);
	ASSERT(t->bytes <= t->lim.bytes_max);
	ASSERT(dm_tree_save(t, dir_out) == MCX_OK);
	ASSERT(dm_tree_load(&back, dir_out, &t->lim, eb, sizeof(eb)) == MCX_OK);
	emit(t, &a);
	emit(back, &b);
	ASSERT(a.len == b.len && !memcmp(a.p, b.p, a.len));
	ASSERT(back->count == t->count && back->bytes == t->bytes);
	buf_reset(&a);
	buf_reset(&b);
	dm_tree_free(back);
}

static void load(const uint8_t *data, size_t size)
{
	char path[128], eb[256];
	struct dm_tree *t = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir_in);
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if (dm_tree_load(&t, dir_in, &lim, eb, sizeof(eb)) == MCX_OK) {
		saves_back(t);
		dm_tree_free(t);
	} else {
		ASSERT(eb[0]);
	}
}

/* The TNDS reader both trees go through: what it reads, written back
 * canonically, reads as the same nodes (fuzz_dm_xml compares counts only). */
static void tnds(const char *p, size_t n)
{
	struct dm_tnds *a = NULL, *b = NULL;
	struct mcx_buf out;
	char why[200];

	if (dm_tnds_parse(p, n, NULL, &a, NULL, 0))
		return;
	buf_init(&out, 1 << 24);
	if (dm_tnds_emit(a, &out) == MCX_OK) {
		ASSERT(dm_tnds_parse(out.p, out.len, NULL, &b, NULL, 0) == MCX_OK);
		ASSERT(dm_tnds_equal(a, b, why, sizeof(why)));
	}
	buf_reset(&out);
	dm_tnds_free(a);
	dm_tnds_free(b);
}

static void import(const char *p, size_t n, const char *uri, const char *sid)
{
	struct dm_devinfo di = { .dev_id = "urn:gsma:imei:35209900-176148-0" };
	struct dm_tree *t = NULL;
	struct mcx_buf before, after;
	unsigned st;

	if (dm_tree_alloc(&t, &lim))
		return;
	if (dm_tree_init_std(t, &di)) {
		dm_tree_free(t);
		return;
	}
	emit(t, &before);
	st = dm_tree_add_tnds(t, sid, uri, p, n);
	if (st == DM_ST_OK) {
		saves_back(t);
	} else {
		emit(t, &after);	/* all or nothing */
		ASSERT(after.len == before.len && !memcmp(after.p, before.p, after.len));
		buf_reset(&after);
	}
	buf_reset(&before);
	dm_tree_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);	/* exact size: over-reads are caught */

	if (!p)
		return 0;
	dirs();
	memcpy(p, data, size);
	load(data, size);
	tnds(p, size);
	import(p, size, "./Inbox", "srv");
	import(p, size, "./MCPTT/x", NULL);
	free(p);
	return 0;
}
