/* OMA DM codec tests: SyncML XML and WBXML, TNDS, splitting, large objects. */
#include <stdlib.h>

#include "test.h"
#include "core/mem.h"
#include "dm/syncml.h"
#include "dm/wbxml.h"

static char *spec_file(const char *rel, size_t *len)
{
	const char *dir = test_spec_dir();
	char path[512];

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/omadm/%s", dir, rel);
	return test_read_file(path, len);
}

static void dm_xml_roundtrip_real(struct test_ctx *t)
{
	static const char *const files[] = {
		"android-omadm/dm12/testnewdatatype.xml",
		"android-omadm/dm12/testalertconfirmatomic.xml",
		"android-omadm/dm12/testexecscript.xml",
		"android-omadm/dm12/testadd.wbxml.decoded.xml",
		"android-omadm/dm12/testreplace.wbxml.decoded.xml",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct dm_msg *a = NULL, *b = NULL;
		struct mcx_buf out;
		char err[256], why[256];
		size_t len;
		char *x = spec_file(files[i], &len);
		enum mcx_err e;

		if (!x)
			return; /* ../shared absent: skip */
		e = dm_msg_parse(x, len, NULL, 0, &a, err, sizeof(err));
		free(x);
		if (e)
			printf("%s: %s\n", files[i], err);
		CHECK_INT(t, e, MCX_OK);
		buf_init(&out, 1 << 20);
		CHECK_INT(t, dm_msg_emit(a, &out), MCX_OK);
		printf("%s\n", out.p);
		e = dm_msg_parse(out.p, out.len, NULL, 0, &b, err, sizeof(err));
		buf_reset(&out);
		CHECK_INT(t, e, MCX_OK);
		if (!dm_msg_equal(a, b, why, sizeof(why)))
			printf("%s\n", why);
		dm_msg_free(a);
		dm_msg_free(b);
	}
}

static void dm_wbxml_real(struct test_ctx *t)
{
	static const char *const files[] = { "testadd", "testget", "testdelete", "testreplace" };
	size_t i;

	for (i = 0; i < 4; i++) {
		struct dm_msg *a = NULL, *b = NULL;
		char path[128], err[256], why[256];
		size_t len, xlen;
		char *w, *x;
		enum mcx_err e;

		snprintf(path, sizeof(path), "android-omadm/dm12/%s.wbxml", files[i]);
		w = spec_file(path, &len);
		snprintf(path, sizeof(path), "android-omadm/dm12/%s.wbxml.decoded.xml", files[i]);
		x = spec_file(path, &xlen);
		if (!w || !x) {
			free(w);
			free(x);
			return;
		}
		e = dm_msg_parse_wbxml((const uint8_t *)w, len, NULL, &a, err, sizeof(err));
		if (e)
			printf("%s: %s\n", files[i], err);
		CHECK_INT(t, e, MCX_OK);
		e = dm_msg_parse(x, xlen, NULL, 0, &b, err, sizeof(err));
		CHECK_INT(t, e, MCX_OK);
		if (!dm_msg_equal(a, b, why, sizeof(why)))
			printf("%s: %s\n", files[i], why);
		dm_msg_free(a);
		dm_msg_free(b);
		free(w);
		free(x);
	}
}

const struct test tests_dm_codec[] = {
	{ "dm_wbxml_real", dm_wbxml_real, false },
	{ "dm_xml_roundtrip_real", dm_xml_roundtrip_real, false },
	{ NULL, NULL, false },
};
