/* Subscriber identities from access tokens or a trusted SIP core. */
#include <stdio.h>
#include <string.h>

#include "http/auth.h"
#include "sip/who.h"
#include "store/store.h"

enum mcx_err sip_who_token(struct sip_who *w, const struct auth_conf *ac, struct mcx_store *st,
			   const char *token, char *why, size_t whylen)
{
	struct auth_out out;
	int64_t exp = 0;

	memset(w, 0, sizeof(*w));
	memset(&out, 0, sizeof(out));
	if (!ac) {
		snprintf(why, whylen, "access tokens are not configured");
		return MCX_EAUTH;
	}
	if (auth_token(ac, st, token, strlen(token), &out, &exp)) {
		snprintf(why, whylen, "%s", out.why ? out.why : "refused");
		return MCX_EAUTH;
	}
	if (strlen(out.xui) >= sizeof(w->xui)) {
		snprintf(why, whylen, "the mcptt_id is too long");
		return MCX_EAUTH;
	}
	snprintf(w->xui, sizeof(w->xui), "%s", out.xui);
	snprintf(w->scopes, sizeof(w->scopes), "%s", out.scopes);
	w->admin = out.admin;
	w->token = true;
	w->token_exp = exp;
	return MCX_OK;
}

/* The n-th comma-separated value of a header, outside <...>. */
static bool nth_value(const char *v, int n, char *out, size_t outlen)
{
	const char *p = v, *start = v;
	int depth = 0, i = 0;

	for (;; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && depth)
			depth--;
		if (*p && (*p != ',' || depth))
			continue;
		if (i++ == n) {
			size_t l = (size_t)(p - start);

			if (l >= outlen)
				return false;
			memcpy(out, start, l);
			out[l] = '\0';
			return true;
		}
		if (!*p)
			return false;
		start = p + 1;
	}
}

static void set_admin(struct sip_who *w, struct mcx_store *st)
{
	struct store_user *u = NULL;

	if (!store_user_get(st, w->xui, &u)) {
		w->admin = (u->roles & STORE_ROLE_ADMIN) != 0;
		store_user_free(u);
	}
}

enum mcx_err sip_who_asserted(struct sip_who *w, struct mcx_store *st, const char *pai)
{
	char val[SIP_XUI_MAX + 64], xui[SIP_XUI_MAX], tel[SIP_XUI_MAX] = "";
	int i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < 4 && nth_value(pai, i, val, sizeof(val)); i++) {
		if (!auth_clean_identity(val, xui, sizeof(xui)))
			continue;
		if (!strncmp(xui, "tel:", 4)) {
			if (!tel[0])
				snprintf(tel, sizeof(tel), "%s", xui);
			continue;
		}
		snprintf(w->xui, sizeof(w->xui), "%s", xui);
		break;
	}
	if (!w->xui[0] && tel[0])
		snprintf(w->xui, sizeof(w->xui), "%s", tel);
	if (!w->xui[0])
		return MCX_EINVAL;
	set_admin(w, st);
	return MCX_OK;
}
