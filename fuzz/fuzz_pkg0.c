/* libFuzzer driver for the small DM security parsers: Package 0 (first
 * byte 0..127 of the selector), the x-syncml-hmac header (128..191) and the
 * bootstrap Content-Type (192..255). Invariants: a decoded Package 0
 * re-encodes to the same header, id and vendor bytes with a digest that
 * verifies; parsed header views lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm/auth.h"
#include "dm/bootstrap.h"
#include "dm/pkg0.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static void inside(struct pl v, const char *p, size_t n)
{
	if (v.p && v.l)
		ASSERT(v.p >= p && v.p + v.l <= p + n);
}

static void pkg0(const uint8_t *p, size_t n)
{
	struct dm_nonce nonce = { .b = "fuzz", .len = 4 };
	struct dm_pkg0 d, d2;
	struct mcx_buf b;
	char err[128];
	bool resync;

	if (dm_pkg0_decode(p, n, &d, err, sizeof(err)))
		return;
	inside(d.server_id, (const char *)p, n);
	inside(d.vendor, (const char *)p, n);
	(void)dm_pkg0_verify_resync(p, n, &d, "pw", &nonce, &resync);
	buf_init(&b, DM_PKG0_MAX);
	if (dm_pkg0_encode(&d, "pw", &nonce, &b) == MCX_OK) {
		ASSERT(b.len == n && !memcmp(b.p + 16, p + 16, n - 16));
		ASSERT(dm_pkg0_decode((const uint8_t *)b.p, b.len, &d2, err, sizeof(err)) == MCX_OK);
		ASSERT(dm_pkg0_verify((const uint8_t *)b.p, b.len, &d2, "pw", &nonce) == MCX_OK);
		ASSERT(d2.session_id == d.session_id && d2.ui == d.ui);
	} else {
		ASSERT(d.vendor.l > DM_PKG0_VENDOR_MAX);
	}
	buf_reset(&b);
}

static void hmac(const char *p, size_t n)
{
	struct dm_nonce nonce = { .b = "fuzz", .len = 4 };
	struct dm_hmac_hdr h;

	if (dm_hmac_parse(p, n, &h) == MCX_OK) {
		inside(h.username, p, n);
		inside(h.mac, p, n);
		ASSERT(h.mac.l > 0);
	}
	(void)dm_hmac_verify(p, n, "user", "pw", &nonce, "body", 4);
}

static void ctype(const char *p, size_t n)
{
	struct dm_boot_ct ct;

	if (dm_boot_ct_parse(p, n, &ct) == MCX_OK) {
		inside(ct.mac, p, n);
		ASSERT(ct.mac.l == 40);
	}
	(void)dm_boot_verify(p, n, (const uint8_t *)"doc", 3, "262019876543210", "1234");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p;

	if (!size)
		return 0;
	p = malloc(size - 1 ? size - 1 : 1);	/* exact size: over-reads are caught */
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	if (data[0] < 128)
		pkg0(p, size - 1);
	else if (data[0] < 192)
		hmac((const char *)p, size - 1);
	else
		ctype((const char *)p, size - 1);
	free(p);
	return 0;
}
