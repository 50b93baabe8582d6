/* libFuzzer driver for the client's start-up readers: the UE initial
 * configuration document (cmc/initcfg.c) and the same document taken from
 * a DM client's tree (cmc/dminit.c: the tree file, its UE initial
 * configuration MO mapped back to XML, which then goes through the first
 * reader as mcx cmc --dm-tree does). Every input goes to both.
 * Invariants (abort() on violation): what the reader keeps is NUL-terminated
 * within its fields and a success names the IdMS and the CMS; a document
 * from the tree is an initial configuration document within the cap. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmc/dminit.h"
#include "cmc/initcfg.h"
#include "cmc/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "dm/mo.h"
#include "dm/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)
#define TERMINATED(a) ASSERT(memchr((a), '\0', sizeof(a)) != NULL)

static char dir[64];

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	unlink(path);
	rmdir(dir);
}

static void initcfg(const char *p, size_t n)
{
	struct cmc_initcfg ic;
	char eb[256];
	unsigned i;

	if (cmc_initcfg_parse(&ic, p, n, eb, sizeof(eb))) {
		ASSERT(eb[0]);
		return;
	}
	TERMINATED(ic.domain);
	TERMINATED(ic.idms_auth);
	TERMINATED(ic.idms_token);
	TERMINATED(ic.cms_root);
	TERMINATED(ic.gms_root);
	TERMINATED(ic.cms_uri);
	TERMINATED(ic.gms_uri);
	TERMINATED(ic.default_user);
	ASSERT(ic.idms_auth[0] && ic.idms_token[0] && ic.cms_root[0] && ic.gms_root[0]);
	ASSERT(ic.ntimers <= CMC_INIT_MAX_TIMERS);
	for (i = 0; i < ic.ntimers; i++)
		TERMINATED(ic.timers[i].name);
}

static void dminit(const uint8_t *data, size_t size)
{
	struct mcx_buf xml;
	char path[128], eb[512], *devid = NULL;
	enum mo_kind k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/" DM_TREE_FILE, dir);
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	buf_init(&xml, CMC_MAX_INIT);
	if (cmc_dm_init_read(dir, &xml, &devid, eb, sizeof(eb)) == MCX_OK) {
		ASSERT(xml.len && xml.len <= CMC_MAX_INIT);
		ASSERT(mo_kind_of_xml(xml.p, xml.len, &k, eb, sizeof(eb)) == MCX_OK &&
		       k == MO_UE_INIT_CONFIG);
		initcfg(xml.p, xml.len);
	} else {
		ASSERT(eb[0] && !devid);
	}
	mcx_free(devid);
	buf_reset(&xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);	/* exact size: over-reads are caught */

	if (!p)
		return 0;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/mcx-fz-init-XXXXXX",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		mcx_log_set_level(MCX_LOG_ERROR);
	}
	memcpy(p, data, size);
	initcfg(p, size);
	dminit(data, size);
	free(p);
	return 0;
}
