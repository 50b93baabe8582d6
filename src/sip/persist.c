/* Stored subscriptions: JSON records (jansson), end reasons, CSeq blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/mem.h"
#include "sip/persist.h"

/* Field names of the dialog object, in enum sip_dlg_field order. */
static const char *const dlg_names[DLG_NFIELDS] = {
    "call-id", "local-tag", "remote-tag", "local-uri", "remote-uri", "remote-target", "route",
};

static const char *const reasons[] = {
    NULL, "deactivated", "probation", "rejected", "timeout", "giveup", "noresource", "invariant",
};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

const char *persist_reason_name(unsigned flags)
{
	return flags < NREASONS ? reasons[flags] : NULL;
}

unsigned persist_reason_code(const char *name)
{
	unsigned i;

	for (i = 1; name && i < NREASONS; i++)
		if (!strcmp(name, reasons[i]))
			return i;
	return 0;
}

bool persist_cseq_next(uint32_t *lseq, uint32_t *ceil)
{
	++*lseq;
	if (*lseq <= *ceil)
		return false;
	*ceil = *lseq + SIP_CSEQ_BLOCK;
	return true;
}

/* ---- encode ---- */

/* Sets key to a new value; false (v released) on failure. */
static bool put(json_t *o, const char *key, json_t *v)
{
	return v && !json_object_set_new(o, key, v);
}

static json_t *dialog_json(const struct sip_sub_rec *r)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	size_t i;

	for (i = 0; ok && i < DLG_NFIELDS; i++)
		ok = put(o, dlg_names[i], json_string(dlg_get(&r->dlg, i)));
	ok = ok && put(o, "local-cseq-ceiling", json_integer(r->lseq_ceil)) &&
	     put(o, "remote-cseq", json_integer(r->dlg.rseq));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *who_json(const struct sip_who *w)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && put(o, "xui", json_string(w->xui)) && put(o, "admin", json_boolean(w->admin));
	if (ok && w->token)
		ok = put(o, "scopes", json_string(w->scopes)) &&
		     put(o, "token-exp", json_integer(w->token_exp));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *uris_json(const struct sip_sub_rec *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < r->nuris; i++) {
		if (json_array_append_new(a, json_string(r->uris[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

enum mcx_err persist_encode(const struct sip_sub_rec *r, char **outp, size_t *lenp)
{
	json_t *o = json_object();
	char *text = NULL;
	bool ok = o != NULL;
	size_t n;

	ok = ok && put(o, "v", json_integer(PERSIST_FORMAT)) && put(o, "dialog", dialog_json(r)) &&
	     put(o, "who", who_json(&r->who)) && put(o, "resources", uris_json(r)) &&
	     put(o, "event-id", json_string(r->ev.id)) &&
	     put(o, "diff-processing", json_string(sip_diff_mode_name(r->ev.mode))) &&
	     put(o, "expires", json_integer(r->expires)) &&
	     put(o, "created", json_integer(r->created));
	if (ok && r->token)
		ok = put(o, "token", json_string(r->token));
	if (ok)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	/* json_string refuses bytes that are not UTF-8: not storable */
	if (!text)
		return ok ? MCX_ENOMEM : MCX_EINVAL;
	n = strlen(text);
	*outp = n <= SIP_RECORD_MAX ? mcx_strndup(text, n) : NULL;
	free(text);
	if (n > SIP_RECORD_MAX)
		return MCX_ELIMIT;
	if (!*outp)
		return MCX_ENOMEM;
	*lenp = n;
	return MCX_OK;
}

/* ---- decode ---- */

/* The string at key, if it is one shorter than max (0: any length). */
static const char *get_str(json_t *o, const char *key, size_t max, enum mcx_err *err)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (*err)
		return NULL;
	if (!s) {
		*err = MCX_EINVAL;
		return NULL;
	}
	if (max && json_string_length(v) >= max) {
		*err = MCX_ELIMIT;
		return NULL;
	}
	return s;
}

static long long get_int(json_t *o, const char *key, long long lo, long long hi, enum mcx_err *err)
{
	json_t *v = json_object_get(o, key);
	long long n = json_is_integer(v) ? (long long)json_integer_value(v) : lo - 1;

	if (!*err && (n < lo || n > hi))
		*err = MCX_EINVAL;
	return *err ? 0 : n;
}

static enum mcx_err dialog_from(struct sip_sub_rec *r, json_t *o)
{
	struct sip_bytes f[DLG_NFIELDS];
	enum mcx_err err = MCX_OK;
	size_t i;

	if (!json_is_object(o))
		return MCX_EINVAL;
	for (i = 0; i < DLG_NFIELDS; i++) {
		f[i].p = get_str(o, dlg_names[i], SIP_DIALOG_MAX, &err);
		f[i].l = f[i].p ? strlen(f[i].p) : 0;
	}
	r->lseq_ceil = (uint32_t)get_int(o, "local-cseq-ceiling", 0, UINT32_MAX, &err);
	r->dlg.rseq = (uint32_t)get_int(o, "remote-cseq", 0, UINT32_MAX, &err);
	return err ? err : dlg_init(&r->dlg, f);
}

static enum mcx_err who_from(struct sip_who *w, json_t *o)
{
	enum mcx_err err = MCX_OK;
	const char *xui, *scopes;

	if (!json_is_object(o) || !json_is_boolean(json_object_get(o, "admin")))
		return MCX_EINVAL;
	xui = get_str(o, "xui", sizeof(w->xui), &err);
	if (err)
		return err;
	snprintf(w->xui, sizeof(w->xui), "%s", xui);
	w->admin = json_is_true(json_object_get(o, "admin"));
	if (!json_object_get(o, "scopes"))
		return MCX_OK;
	scopes = get_str(o, "scopes", sizeof(w->scopes), &err);
	w->token_exp = get_int(o, "token-exp", 0, INT64_MAX, &err);
	if (err)
		return err;
	snprintf(w->scopes, sizeof(w->scopes), "%s", scopes);
	w->token = true;
	return MCX_OK;
}

static enum mcx_err uris_from(struct sip_sub_rec *r, json_t *a, size_t max_uris)
{
	enum mcx_err err = MCX_OK;
	size_t i, n = json_array_size(a);

	if (!json_is_array(a) || !n)
		return MCX_EINVAL;
	if (n > max_uris)
		return MCX_ELIMIT;
	r->uris = mcx_calloc(n, sizeof(*r->uris));
	if (!r->uris)
		return MCX_ENOMEM;
	for (i = 0; i < n && !err; i++) {
		json_t *v = json_array_get(a, i);
		const char *s = json_string_value(v);

		if (!s)
			return MCX_EINVAL;
		if (json_string_length(v) >= SIP_URI_MAX)
			return MCX_ELIMIT;
		r->uris[i] = mcx_strdup(s);
		if (!r->uris[i])
			err = MCX_ENOMEM;
		else
			r->nuris++;
	}
	return err;
}

static enum mcx_err event_from(struct sip_event *ev, json_t *o)
{
	enum mcx_err err = MCX_OK;
	const char *id = get_str(o, "event-id", sizeof(ev->id), &err);
	const char *mode = get_str(o, "diff-processing", 0, &err);

	if (err)
		return err;
	snprintf(ev->id, sizeof(ev->id), "%s", id);
	ev->mode = !strcmp(mode, "xcap-patching") ? SIP_DIFF_XCAP_PATCHING
		   : !strcmp(mode, "aggregate")	  ? SIP_DIFF_AGGREGATE
						  : SIP_DIFF_NO_PATCHING;
	return MCX_OK;
}

enum mcx_err persist_decode(struct sip_sub_rec *r, const char *p, size_t l, size_t max_uris)
{
	enum mcx_err err = MCX_OK;
	json_t *o, *tok;

	memset(r, 0, sizeof(*r));
	if (l > SIP_RECORD_MAX)
		return MCX_ELIMIT;
	o = json_loadb(p, l, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return MCX_EINVAL;
	}
	if (get_int(o, "v", 1, PERSIST_FORMAT, &err) && !err)
		err = dialog_from(r, json_object_get(o, "dialog"));
	if (!err)
		err = who_from(&r->who, json_object_get(o, "who"));
	if (!err)
		err = uris_from(r, json_object_get(o, "resources"), max_uris);
	if (!err)
		err = event_from(&r->ev, o);
	r->expires = get_int(o, "expires", 0, INT64_MAX, &err);
	r->created = get_int(o, "created", 0, INT64_MAX, &err);
	tok = json_object_get(o, "token");
	if (!err && tok) {
		if (!json_is_string(tok))
			err = MCX_EINVAL;
		else if (!(r->token = mcx_strdup(json_string_value(tok))))
			err = MCX_ENOMEM;
	}
	if (!err && r->token && !r->who.token)
		err = MCX_EINVAL; /* a token and no scopes: not written by us */
	json_decref(o);
	return err;
}

void persist_rec_free(struct sip_sub_rec *r)
{
	size_t i;

	dlg_free(&r->dlg);
	mcx_free(r->token);
	for (i = 0; i < r->nuris; i++)
		mcx_free(r->uris[i]);
	mcx_free(r->uris);
	memset(r, 0, sizeof(*r));
}
