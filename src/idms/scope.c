/* MCPTT scopes (TS 33.179 annex B, Rel-13 strings): parsing requests and what an account may be granted. */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "idms/idms_int.h"
#include "core/banned.h"

static const struct {
	unsigned bit;
	const char *name;
	const char *label;
} scopes[] = {
	{ SCOPE_OPENID, "openid", "your identity (MCPTT ID)" },
	{ SCOPE_PTT, "3gpp:mcptt:ptt_server", "the MCPTT service" },
	{ SCOPE_CMS, "3gpp:mcptt:config_management_server", "configuration management" },
	{ SCOPE_GMS, "3gpp:mcptt:group_management_server", "group management" },
	{ SCOPE_KMS, "3gpp:mcptt:key_management_server", "key management" },
};
#define NSCOPES (sizeof(scopes) / sizeof(scopes[0]))

const char *scope_name(unsigned bit)
{
	size_t k;

	for (k = 0; k < NSCOPES; k++)
		if (scopes[k].bit == bit)
			return scopes[k].name;
	return NULL;
}

const char *scope_label(unsigned bit)
{
	size_t k;

	for (k = 0; k < NSCOPES; k++)
		if (scopes[k].bit == bit)
			return scopes[k].label;
	return NULL;
}

/* scope-token = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3) */
static bool nqchar(char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

enum mcx_err scope_parse(const char *s, unsigned *mask, unsigned *unknown)
{
	size_t k = 0, ntok = 0;

	*mask = 0;
	*unknown = 0;
	if (!s)
		return MCX_EINVAL;
	while (s[k]) {
		size_t start, n, j;
		bool found = false;

		while (s[k] == ' ')
			k++;
		start = k;
		while (s[k] && s[k] != ' ') {
			if (!nqchar(s[k]))
				return MCX_EINVAL;
			k++;
		}
		n = k - start;
		if (!n)
			break;
		if (++ntok > IDMS_SCOPE_TOKENS_MAX)
			return MCX_EINVAL;
		for (j = 0; j < NSCOPES; j++) {
			if (strlen(scopes[j].name) == n && !memcmp(scopes[j].name, s + start, n)) {
				*mask |= scopes[j].bit;
				found = true;
			}
		}
		if (!found)
			(*unknown)++;
	}
	return ntok ? MCX_OK : MCX_EINVAL;
}

static int found_one(const char *path, const char *etag, size_t len, long long mtime, void *arg)
{
	(void)path;
	(void)etag;
	(void)len;
	(void)mtime;
	*(bool *)arg = true;
	return 1;
}

enum mcx_err scope_allowed(struct idms *i, const struct store_user *u, unsigned *mask)
{
	char prefix[IDMS_USERNAME_MAX + sizeof(IDMS_PROFILE_AUID) + 16];
	bool has_profile = false;
	enum mcx_err err;
	int n;

	*mask = SCOPE_OPENID;
	n = snprintf(prefix, sizeof(prefix), IDMS_PROFILE_AUID "/users/%s/", u->xui);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return MCX_EINVAL;
	err = store_list(i->st, prefix, found_one, &has_profile);
	if (err)
		return err;
	if (has_profile)
		*mask |= SCOPE_PTT | SCOPE_CMS | SCOPE_GMS | SCOPE_KMS;
	if (u->roles & STORE_ROLE_ADMIN)
		*mask |= SCOPE_CMS | SCOPE_GMS;
	return MCX_OK;
}

void scope_text(unsigned mask, char *out, size_t outlen)
{
	size_t k, used = 0;

	if (!outlen)
		return;
	out[0] = '\0';
	for (k = 0; k < NSCOPES; k++) {
		int n;

		if (!(mask & scopes[k].bit))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used ? " " : "", scopes[k].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}
