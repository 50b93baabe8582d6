/* libFuzzer driver: stored subscription records (sip/persist.c), the JSON
 * a restarted mcxd reads back from the store. Invariants (abort() on
 * violation): a decoded record encodes (or is refused as over the record
 * bound), the encoding decodes to the same record and encodes to the same
 * bytes; every bound of persist.h holds on what decode hands out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "sip/persist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) abort(); } while (0)
#define MAX_URIS 16

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void bounded(const struct sip_sub_rec *r)
{
	size_t i;

	ASSERT(dlg_size(&r->dlg) <= SIP_DIALOG_MAX);
	ASSERT(*dlg_get(&r->dlg, DLG_CALLID) && *dlg_get(&r->dlg, DLG_LTAG));
	ASSERT(strnlen(r->who.xui, sizeof(r->who.xui)) < sizeof(r->who.xui));
	ASSERT(strnlen(r->who.scopes, sizeof(r->who.scopes)) < sizeof(r->who.scopes));
	ASSERT(strnlen(r->ev.id, sizeof(r->ev.id)) < sizeof(r->ev.id));
	ASSERT(r->nuris && r->nuris <= MAX_URIS);
	for (i = 0; i < r->nuris; i++)
		ASSERT(r->uris[i] && strlen(r->uris[i]) < SIP_URI_MAX);
	ASSERT(!r->token || r->who.token);
	ASSERT(r->expires >= 0 && r->created >= 0);
}

static void same(const struct sip_sub_rec *a, const struct sip_sub_rec *b)
{
	size_t i;

	for (i = 0; i < DLG_NFIELDS; i++)
		ASSERT(!strcmp(dlg_get(&a->dlg, i), dlg_get(&b->dlg, i)));
	ASSERT(a->lseq_ceil == b->lseq_ceil && a->dlg.rseq == b->dlg.rseq);
	ASSERT(!strcmp(a->who.xui, b->who.xui) && a->who.admin == b->who.admin);
	ASSERT(a->who.token == b->who.token && !strcmp(a->who.scopes, b->who.scopes) &&
	       a->who.token_exp == b->who.token_exp);
	ASSERT(str_eq(a->token, b->token));
	ASSERT(a->nuris == b->nuris);
	for (i = 0; i < a->nuris; i++)
		ASSERT(!strcmp(a->uris[i], b->uris[i]));
	ASSERT(a->ev.mode == b->ev.mode && !strcmp(a->ev.id, b->ev.id));
	ASSERT(a->expires == b->expires && a->created == b->created);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_sub_rec r, back;
	char *p = malloc(size ? size : 1), *json = NULL, *json2 = NULL;	/* exact size */
	size_t len = 0, len2 = 0;
	enum mcx_err e;

	if (!p)
		return 0;
	memcpy(p, data, size);
	e = persist_decode(&r, p, size, MAX_URIS);
	if (e) {
		ASSERT(e == MCX_EINVAL || e == MCX_ELIMIT);
		persist_rec_free(&r);
		free(p);
		return 0;
	}
	bounded(&r);
	e = persist_encode(&r, &json, &len);
	/* names are written out in full ("diff-processing"): a record at the
	 * bound may grow past it */
	ASSERT(e == MCX_OK || (e == MCX_ELIMIT && size > SIP_RECORD_MAX - 64));
	if (!e) {
		ASSERT(len == strlen(json) && len <= SIP_RECORD_MAX);
		ASSERT(persist_decode(&back, json, len, MAX_URIS) == MCX_OK);
		same(&r, &back);
		ASSERT(persist_encode(&back, &json2, &len2) == MCX_OK);
		ASSERT(len2 == len && !memcmp(json, json2, len));
		persist_rec_free(&back);
	}
	mcx_free(json);
	mcx_free(json2);
	persist_rec_free(&r);
	free(p);
	return 0;
}
