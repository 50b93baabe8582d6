/* libFuzzer driver: SUBSCRIBE bodies and headers. The first line of the
 * input is the Content-Type, the rest the body (multipart/mixed with
 * mcptt-info and resource-lists parts, or a bare resource list); the first
 * line also goes through the Event, Accept and Expires parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/body.h"
#include "sip/multipart.h"
#include "sip/subscribe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a successful parse promises; abort() when it does not hold. */
static void check(const struct sip_body *b, size_t max)
{
	size_t i;

	if (!b->nuris || b->nuris > max)
		abort();
	for (i = 0; i < b->nuris; i++)
		if (!b->uris[i])
			abort();
	if (b->token && !*b->token)
		abort();
}

static void headers(const char *p, size_t n)
{
	struct sip_policy pol = {.min_expires = 60, .max_expires = 7200, .default_expires = 3600};
	struct sip_event ev;
	uint32_t g;

	if (sip_event_parse(p, n, &ev) && strnlen(ev.id, sizeof(ev.id)) == sizeof(ev.id))
		abort();
	(void)sip_accept_ok(p, n);
	if (!sip_expires_grant(&pol, p, n, &g) && g > 7200)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl = memchr(p, '\n', size);
	size_t ctlen = nl ? (size_t)(nl - p) : size;
	const char *body = nl ? nl + 1 : p + size;
	size_t blen = size - (size_t)(body - p);
	struct mp_part parts[SIP_MULTIPART_MAX_PARTS];
	struct pl bnd;
	struct sip_body b;
	char eb[160];
	size_t n, i;

	headers(p, ctlen);
	if (mp_boundary(pl_make(p, ctlen), &bnd) &&
	    !mp_split(pl_make(body, blen), bnd, parts, SIP_MULTIPART_MAX_PARTS, &n))
		for (i = 0; i < n; i++)
			if (parts[i].body.p < body ||
			    parts[i].body.p + parts[i].body.l > body + blen)
				abort();
	if (!sip_body_parse(&b, p, ctlen, body, blen, 16, eb, sizeof(eb)))
		check(&b, 16);
	sip_body_free(&b);
	return 0;
}
