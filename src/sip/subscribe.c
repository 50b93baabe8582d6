/* SUBSCRIBE header checks: Event, Accept, Expires. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip/subscribe.h"

/* The next ';'-separated item of *rest (trimmed), false at the end. */
static bool next_item(struct pl *rest, char sep, struct pl *item)
{
	const char *p, *e;

	if (!rest->p || !rest->l)
		return false;
	p = rest->p;
	e = memchr(p, sep, rest->l);
	if (!e)
		e = p + rest->l;
	*item = pl_trim(pl_make(p, (size_t)(e - p)));
	if (e < rest->p + rest->l) {
		rest->l -= (size_t)(e - p) + 1;
		rest->p = e + 1;
	} else {
		rest->p = NULL;
		rest->l = 0;
	}
	return true;
}

static void split_param(struct pl item, struct pl *name, struct pl *val)
{
	const char *eq = memchr(item.p, '=', item.l);

	*name = pl_trim(pl_make(item.p, eq ? (size_t)(eq - item.p) : item.l));
	*val = eq ? pl_trim(pl_make(eq + 1, item.l - (size_t)(eq - item.p) - 1)) : pl_make(item.p, 0);
	if (val->l >= 2 && val->p[0] == '"' && val->p[val->l - 1] == '"') {
		val->p++;
		val->l -= 2;
	}
}

bool sip_event_parse(struct pl value, struct sip_event *ev)
{
	struct pl rest = value, item, name, val;

	memset(ev, 0, sizeof(*ev));
	if (!next_item(&rest, ';', &item) || !pl_eqcase(item, PL(SIP_EVENT_PACKAGE)))
		return false;
	while (next_item(&rest, ';', &item)) {
		split_param(item, &name, &val);
		if (pl_eqcase(name, PL("diff-processing"))) {
			if (pl_eqcase(val, PL("xcap-patching")))
				ev->mode = SIP_DIFF_XCAP_PATCHING;
			else if (pl_eqcase(val, PL("aggregate")))
				ev->mode = SIP_DIFF_AGGREGATE;
			else
				ev->mode = SIP_DIFF_NO_PATCHING;
		} else if (pl_eqcase(name, PL("id"))) {
			if (!val.l || val.l >= sizeof(ev->id))
				return false;
			memcpy(ev->id, val.p, val.l);
			ev->id[val.l] = '\0';
		}
	}
	return true;
}

bool sip_accept_ok(struct pl accept)
{
	struct pl rest = accept, item;

	while (next_item(&rest, ',', &item)) {
		const char *semi = memchr(item.p, ';', item.l);
		struct pl type = pl_trim(pl_make(item.p, semi ? (size_t)(semi - item.p) : item.l));

		if (pl_eqcase(type, PL(MIME_XCAP_DIFF)) || pl_eqcase(type, PL("application/*")) ||
		    pl_eqs(type, "*/*"))
			return true;
	}
	return false;
}

static bool all_digits(struct pl v)
{
	size_t i;

	for (i = 0; i < v.l; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
	return v.l > 0;
}

int sip_expires_grant(const struct sip_expiry *c, bool present, struct pl value,
		      uint32_t *granted)
{
	long long v;

	if (!present) {
		*granted = c->dfl < c->max ? c->dfl : c->max;
		return 0;
	}
	value = pl_trim(value);
	/* RFC 3261 §20.19: a value too large for 32 bits is read as its maximum */
	v = value.l > 10 && all_digits(value) ? (long long)UINT32_MAX : pl_u64(value);
	if (v < 0)
		return 400;
	if (v > 0 && v < (long long)c->min)
		return 423;
	*granted = v > (long long)c->max ? c->max : (uint32_t)v;
	return 0;
}
