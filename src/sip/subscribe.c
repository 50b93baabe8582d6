/* The SUBSCRIBE decision: headers, body, identity, scope. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "sip"
#include "core/log.h"
#include "core/pl.h"
#include "sip/body.h"
#include "sip/scope.h"
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
	*val =
	    eq ? pl_trim(pl_make(eq + 1, item.l - (size_t)(eq - item.p) - 1)) : pl_make(item.p, 0);
	if (val->l >= 2 && val->p[0] == '"' && val->p[val->l - 1] == '"') {
		val->p++;
		val->l -= 2;
	}
}

bool sip_event_parse(const char *p, size_t l, struct sip_event *ev)
{
	struct pl rest = pl_make(p, l), item, name, val;

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

bool sip_accept_ok(const char *p, size_t l)
{
	struct pl rest = pl_make(p, l), item;

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

int sip_expires_grant(const struct sip_policy *c, const char *p, size_t l, uint32_t *granted)
{
	struct pl value = pl_trim(pl_make(p, l));
	long long v;

	if (!p) {
		*granted =
		    c->default_expires < c->max_expires ? c->default_expires : c->max_expires;
		return 0;
	}
	/* RFC 3261 §20.19: a value too large for 32 bits is read as its maximum */
	v = value.l > 10 && all_digits(value) ? (long long)UINT32_MAX : pl_u64(value);
	if (v < 0)
		return 400;
	if (v > 0 && v < (long long)c->min_expires)
		return 423;
	*granted = v > (long long)c->max_expires ? c->max_expires : (uint32_t)v;
	return 0;
}

static void refuse(struct sip_subscribe_out *out, int status, const char *reason, const char *why)
{
	out->status = status;
	out->reason = reason;
	snprintf(out->why, sizeof(out->why), "%s", why);
}

/* Event, Accept and Expires; false when refused (out says how). */
static bool headers_ok(const struct sip_policy *p, const struct sip_subscribe_in *in,
		       bool check_accept, struct sip_subscribe_out *out)
{
	int rc;

	if (!in->event.p || !sip_event_parse(in->event.p, in->event.l, &out->ev)) {
		refuse(out, 489, "Bad Event", "only the xcap-diff event package is served here");
		return false;
	}
	if (check_accept && in->accept.p && !sip_accept_ok(in->accept.p, in->accept.l)) {
		refuse(out, 406, "Not Acceptable", "notifications are " MIME_XCAP_DIFF);
		return false;
	}
	rc = sip_expires_grant(p, in->expires.p, in->expires.l, &out->expires);
	if (rc == 423) {
		out->min_expires = p->min_expires;
		refuse(out, 423, "Interval Too Brief", "the subscription is too short");
	} else if (rc) {
		refuse(out, 400, "Bad Request", "malformed Expires");
	}
	return !rc;
}

/* The body's token and URIs; false when refused. */
static bool body_ok(const struct sip_policy *p, const struct sip_subscribe_in *in,
		    struct sip_body *b, struct sip_subscribe_out *out)
{
	char why[160];
	enum mcx_err err;

	if (!in->body.p || !in->body.l) {
		refuse(out, 400, "Missing Body",
		       "the SUBSCRIBE has no body: the resource list is missing");
		return false;
	}
	if (in->body.l > p->max_body) {
		refuse(out, 413, "Request Entity Too Large", "the body exceeds sip-max-body");
		return false;
	}
	if (!in->ctype.p || !sip_body_type_ok(in->ctype.p, in->ctype.l)) {
		refuse(out, 415, "Unsupported Media Type",
		       "the body must be multipart/mixed or application/resource-lists+xml");
		return false;
	}
	err = sip_body_parse(b, in->ctype.p, in->ctype.l, in->body.p, in->body.l, p->max_entries,
			     why, sizeof(why));
	if (err == MCX_ENOMEM)
		refuse(out, 500, "Server Internal Error", "out of memory");
	else if (err == MCX_EAUTH)
		refuse(out, 403, "Forbidden", why);
	else if (err)
		refuse(out, 400, "Bad Request", why);
	return !err;
}

/* The subscriber: the token's MCPTT ID, else the SIP core's assertion. */
static bool who_ok(const struct sip_policy *p, const struct sip_subscribe_in *in,
		   const struct sip_body *b, struct sip_subscribe_out *out)
{
	char why[160], msg[200];

	if (b->token) {
		if (!sip_who_token(&out->who, p->auth, p->store, b->token, why, sizeof(why)))
			return true;
		snprintf(msg, sizeof(msg), "access token refused: %s", why);
		refuse(out, 403, "Forbidden", msg);
		return false;
	}
	if (in->asserted && !sip_who_asserted(&out->who, p->store, in->asserted))
		return true;
	refuse(out, 403, "Forbidden",
	       in->asserted
		   ? "unusable P-Asserted-Identity"
		   : "no access token in the body and no identity asserted by a trusted SIP core");
	return false;
}

void sip_subscribe_new(const struct sip_policy *p, const struct sip_subscribe_in *in,
		       struct sip_subscribe_out *out)
{
	struct sip_body b;
	enum mcx_err err;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	if (!headers_ok(p, in, true, out) || !body_ok(p, in, &b, out) || !who_ok(p, in, &b, out))
		goto out;
	err = scope_build(&out->scope, p->h, &out->who, b.uris, b.nuris, &out->refused);
	if (err == MCX_ENOENT)
		refuse(out, 403, "Forbidden",
		       "none of the listed resources may be read by the subscriber");
	else if (err)
		refuse(out, 500, "Server Internal Error", mcx_strerror(err));
	else
		refuse(out, 200, "OK", "");
out:
	sip_body_free(&b);
}

/* A refresh's optional new token: same MCPTT ID only. Its body needs no
 * resource list (the scope stays as subscribed). */
static bool new_token_ok(const struct sip_policy *p, const struct sip_subscribe_in *in,
			 const struct sip_who *cur, struct sip_subscribe_out *out)
{
	struct sip_body b;
	char why[160];
	enum mcx_err err;
	bool ok = true;

	if (!in->body.p || !in->body.l)
		return true;
	if (in->body.l > p->max_body || !in->ctype.p || !sip_body_type_ok(in->ctype.p, in->ctype.l))
		return body_ok(p, in, &b, out); /* refuses as for a new subscription */
	err = sip_body_parse(&b, in->ctype.p, in->ctype.l, in->body.p, in->body.l, p->max_entries,
			     why, sizeof(why));
	if (err && err != MCX_ENOENT) {
		refuse(out,
		       err == MCX_EAUTH	   ? 403
		       : err == MCX_ENOMEM ? 500
					   : 400,
		       err == MCX_EAUTH	   ? "Forbidden"
		       : err == MCX_ENOMEM ? "Server Internal Error"
					   : "Bad Request",
		       why);
		ok = false;
	} else if (b.token) {
		ok = who_ok(p, in, &b, out);
		if (ok && strcmp(out->who.xui, cur->xui)) {
			refuse(out, 403, "Forbidden",
			       "the new access token names another MCPTT ID");
			ok = false;
		}
		out->who_changed = ok;
	}
	sip_body_free(&b);
	return ok;
}

void sip_subscribe_refresh(const struct sip_policy *p, const struct sip_subscribe_in *in,
			   const struct sip_who *cur, struct sip_subscribe_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!headers_ok(p, in, false, out))
		return;
	if (!new_token_ok(p, in, cur, out))
		return;
	/* unsubscribing needs no valid token */
	if (out->expires && !out->who_changed && cur->token && cur->token_exp &&
	    cur->token_exp <= in->now) {
		refuse(out, 403, "Forbidden", "the access token has expired");
		out->terminate = true;
		return;
	}
	refuse(out, 200, "OK", "");
}
