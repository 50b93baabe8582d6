/* libFuzzer driver for the DM server role's inputs (dm/server_role.c): the
 * devices file (`DEVID USER SECRET [NONCE_B64|-] [MCPTT_ID|-] [SRV_USER SRV_SECRET
 * [SRV_NONCE_B64|-]]` lines, read
 * from a scratch file) and the query-string decoder, on the same bytes.
 * When the file loads, the first device's bootstrap message is fetched
 * (GET .../bootstrap) and applied by the DM client to a fresh tree.
 * Invariants (abort() on violation): a decoded query value fits and holds
 * no NUL; a listed device gets a 200 whose MAC verifies, and the account
 * the client builds from it carries that device's user, secret and nonce
 * (and its SRVCRED name and secret when the line gives them). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dm/auth.h"
#include "dm/bootclient.h"
#include "dm/bootstrap.h"
#include "dm/client.h"
#include "dm/server_role.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)
#define NETWORKID "001010123456789"
#define FIELDS 8	/* of a devices-file line */

static char path[80];

static void cleanup(void)
{
	unlink(path);
}

static void query(const char *p, size_t n)
{
	static const char *const names[] = { "devid", "s", "" };
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (dm_role_query(p, n, names[i], out, sizeof(out)))
			ASSERT(strnlen(out, sizeof(out)) < sizeof(out));
}

/* The fields of the first line that holds any, cut as the loader cuts
 * them (lines end at '\n', the file at a NUL, comments at '#'). */
static size_t first_device(const uint8_t *data, size_t size, char f[FIELDS][DM_SRV_ID_MAX])
{
	size_t i = 0, n = 0;

	while (i < size && data[i] && !n) {
		size_t e = i, end, k;

		while (e < size && data[e] && data[e] != '\n')
			e++;
		for (end = i; end < e && data[end] != '#'; end++)
			;
		for (k = i; k < end;) {
			size_t l = 0;

			if (data[k] == ' ' || data[k] == '\t' || data[k] == '\r') {
				k++;
				continue;
			}
			while (k + l < end && data[k + l] != ' ' && data[k + l] != '\t' &&
			       data[k + l] != '\r')
				l++;
			if (n < FIELDS && l < DM_SRV_ID_MAX) {
				memcpy(f[n], data + k, l);
				f[n][l] = '\0';
			}
			n++;
			k += l;
		}
		if (e < size && !data[e])
			break;
		i = e + 1;
	}
	return n;
}

static bool same_nonce(const char *a, const char *b)
{
	struct dm_nonce x = { .len = 0 }, y = { .len = 0 };

	if ((a && *a && dm_nonce_from_b64(&x, a)) || (b && *b && dm_nonce_from_b64(&y, b)))
		return false;
	return x.len == y.len && !memcmp(x.b, y.b, x.len);
}

/* The bootstrap message of device f, applied by a client. */
static void bootstrap(struct dm_role *r, char f[FIELDS][DM_SRV_ID_MAX], size_t n)
{
	struct dm_devinfo di = { .dev_id = "urn:gsma:imei:35209900-176148-0" };
	struct dm_boot_keys keys = { NETWORKID, NULL, false };
	struct dm_role_answer a;
	struct dm_tree *t = NULL;
	struct dm_account acc;
	char eb[300];

	dm_role_answer_init(&a);
	dm_role_http(r, "GET", "/bootstrap", NULL, f[0], NULL, NULL, 0, false, &a);
	ASSERT(a.status == 200);
	ASSERT(dm_boot_verify(a.ctype, strlen(a.ctype), (const uint8_t *)a.body.p, a.body.len,
			      NETWORKID, NULL) == MCX_OK);
	if (dm_tree_alloc(&t, NULL) || dm_tree_init_std(t, &di))
		abort();
	ASSERT(dm_boot_apply(t, (const uint8_t *)a.body.p, a.body.len, a.ctype, &keys,
			     DM_ORIGIN_FETCH, NULL, eb, sizeof(eb)) == MCX_OK);
	ASSERT(dm_account_read(t, "op", &acc) == MCX_OK);
	ASSERT(acc.cl_name && !strcmp(acc.cl_name, f[1]));
	ASSERT(acc.cl_secret && !strcmp(acc.cl_secret, f[2]));
	ASSERT(same_nonce(acc.cl_nonce, n >= 4 && strcmp(f[3], "-") ? f[3] : NULL));
	if (n >= 7) {
		ASSERT(acc.sv_name && !strcmp(acc.sv_name, f[5]));
		ASSERT(acc.sv_secret && !strcmp(acc.sv_secret, f[6]));
		ASSERT(same_nonce(acc.sv_nonce, n == 8 && strcmp(f[7], "-") ? f[7] : NULL));
	}
	dm_account_clear(&acc);
	dm_tree_free(t);
	dm_role_answer_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_role_conf c = { .server_id = "op", .url = "http://127.0.0.1:9/dm",
				  .networkid = NETWORKID };
	char f[FIELDS][DM_SRV_ID_MAX], eb[300] = "";
	struct dm_role *r = NULL;
	char *p = malloc(size ? size : 1);	/* exact size: over-reads are caught */
	FILE *fp;
	size_t n;

	if (!p)
		return 0;
	if (!path[0]) {
		snprintf(path, sizeof(path), "%s/mcx-fz-devices-%ld",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", (long)getpid());
		mcx_log_set_level(MCX_LOG_ERROR);
		atexit(cleanup);
	}
	memcpy(p, data, size);
	query(p, size);
	free(p);
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	if (dm_role_alloc(&r, &c, NULL, eb, sizeof(eb)))
		return 0;
	if (dm_role_load_devices(r, path, eb, sizeof(eb)) == MCX_OK) {
		n = first_device(data, size, f);
		ASSERT(dm_role_devices(r) > 0 || !n);
		/* "]]>" cannot travel in WBXML (wbxml_enc.c): such a device is
		 * served over XML but gets no bootstrap message (a 500 saying so) */
		bool cdata_end = false;
		for (size_t i = 0; i < n && i < FIELDS; i++)
			cdata_end |= strstr(f[i], "]]>") != NULL;
		if (n >= 3 && !cdata_end)
			bootstrap(r, f, n);
	} else {
		ASSERT(eb[0]);
	}
	dm_role_free(r);
	return 0;
}
