/* libFuzzer driver for the DM client's bootstrap inputs (dm/bootclient.c),
 * applied to a copy of a standard tree that has one account ("laptop",
 * server credentials srvpw): an input that starts with the smartcard magic
 * is a card image (dm_card_apply); any other is a pushed or fetched
 * bootstrap message whose first line is the Content-Type (SEC/MAC checked;
 * unsigned ones allowed so the fuzzer gets past the MAC) and the rest the
 * body (dm_boot_apply), and the whole input is also a Package 0 checked
 * against the tree's accounts (dm_boot_pkg0).
 * Invariants (abort() on violation): a refused bootstrap leaves the tree
 * as it was; after any apply the tree is within its limits and saves and
 * loads back as the same tree; a Package 0 accepted names the account and a
 * session in upper-case hex without leading zeros. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "dm/bootclient.h"
#include "dm/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static struct dm_tree *base;
static char dir[64];
static const struct dm_boot_keys keys = { "001010123456789", "1234", true };

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	unlink(path);
	rmdir(dir);
	dm_tree_free(base);
}

static void setup(void)
{
	struct dm_devinfo di = { .dev_id = "urn:gsma:imei:35209900-176148-0" };
	struct dm_acc_spec a = { .server_id = "laptop", .addr = "http://127.0.0.1:8/dm",
				 .cl_name = "ue", .cl_secret = "uepw", .sv_name = "laptop",
				 .sv_secret = "srvpw" };
	char eb[256];

	mcx_log_set_level(MCX_LOG_ERROR);
	snprintf(dir, sizeof(dir), "%s/mcx-fz-boot-XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(dir) || dm_tree_alloc(&base, NULL) || dm_tree_init_std(base, &di) ||
	    dm_account_add(base, &a, eb, sizeof(eb)))
		abort();
	atexit(cleanup);
}

static void emit(const struct dm_tree *t, struct mcx_buf *b)
{
	buf_init(b, 1 << 24);
	ASSERT(dm_tree_emit_tnds(t, t->root, b) == MCX_OK);
}

static void saves_back(struct dm_tree *t)
{
	struct dm_tree *back = NULL;
	struct mcx_buf a, b;
	char eb[256];

	ASSERT(t->count <= t->lim.nodes_max && t->bytes <= t->lim.bytes_max);
	ASSERT(dm_tree_save(t, dir) == MCX_OK);
	ASSERT(dm_tree_load(&back, dir, &t->lim, eb, sizeof(eb)) == MCX_OK);
	emit(t, &a);
	emit(back, &b);
	ASSERT(a.len == b.len && !memcmp(a.p, b.p, a.len));
	buf_reset(&a);
	buf_reset(&b);
	dm_tree_free(back);
}

static void card(const uint8_t *p, size_t n)
{
	struct dm_tree *t = NULL;
	struct dm_boot_result res;
	size_t removed = 0;
	char eb[256];

	if (dm_tree_dup(base, &t))
		return;
	if (dm_card_apply(t, p, n, &keys, &res, &removed, eb, sizeof(eb)) == MCX_OK)
		ASSERT(res.n <= DM_BOOT_ACCOUNTS_MAX);
	saves_back(t);	/* entries apply one by one: what did stays */
	dm_tree_free(t);
}

static void message(const uint8_t *p, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t ctl = nl ? (size_t)(nl - p) : n;
	char *ct = mcx_strndup((const char *)p, ctl);
	struct dm_tree *t = NULL;
	struct dm_boot_result res;
	struct mcx_buf before, after;
	char eb[256];

	if (!ct || dm_tree_dup(base, &t)) {
		mcx_free(ct);
		return;
	}
	emit(t, &before);
	if (dm_boot_apply(t, nl ? nl + 1 : p + n, nl ? n - ctl - 1 : 0, ct, &keys,
			  DM_ORIGIN_PUSH, &res, eb, sizeof(eb)) == MCX_OK) {
		ASSERT(res.n <= DM_BOOT_ACCOUNTS_MAX);
		saves_back(t);
	} else {
		emit(t, &after);	/* nothing unless all */
		ASSERT(after.len == before.len && !memcmp(after.p, before.p, after.len));
		buf_reset(&after);
	}
	buf_reset(&before);
	dm_tree_free(t);
	mcx_free(ct);
}

static void pkg0(const uint8_t *p, size_t n)
{
	char *acc = NULL, session[5], eb[256];
	size_t i, l;

	if (dm_boot_pkg0(base, p, n, &acc, session, eb, sizeof(eb)) != MCX_OK)
		return;
	ASSERT(acc && !strcmp(acc, "laptop"));
	l = strnlen(session, sizeof(session));
	ASSERT(l >= 1 && l <= 4 && (l == 1 || session[0] != '0'));
	for (i = 0; i < l; i++)
		ASSERT(isxdigit((unsigned char)session[i]) && !islower((unsigned char)session[i]));
	mcx_free(acc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);	/* exact size: over-reads are caught */

	if (!p)
		return 0;
	if (!base)
		setup();
	memcpy(p, data, size);
	if (size >= strlen(DM_CARD_MAGIC) && !memcmp(p, DM_CARD_MAGIC, strlen(DM_CARD_MAGIC))) {
		card(p, size);
	} else {
		message(p, size);
		pkg0(p, size);
	}
	free(p);
	return 0;
}
