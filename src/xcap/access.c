/* The MCPTT access table and the role of a requester for a URI. */
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include "xcap/access.h"

#define R XCAP_ACC_R
#define W XCAP_ACC_W
#define RC XCAP_ACC_RC
#define WC XCAP_ACC_WC

/*                                                    owner    org-user admin    server foreign */
const struct xcap_access_rule xcap_access_table[] = {
	{ "org.3gpp.mcptt.ue-init-config", XCAP_TREE_USER,   { R,       0,       R | W,   0,     0 } },
	{ "org.3gpp.mcptt.ue-init-config", XCAP_TREE_UE,     { 0,       RC,      RC | WC, 0,     0 } },
	{ "org.3gpp.mcptt.ue-config",      XCAP_TREE_USER,   { R,       0,       R | W,   0,     0 } },
	{ "org.3gpp.mcptt.ue-config",      XCAP_TREE_UE,     { 0,       RC,      RC | WC, 0,     0 } },
	{ "org.3gpp.mcptt.user-profile",   XCAP_TREE_USER,   { R | WC,  0,       R | W,   R,     0 } },
	{ "org.3gpp.mcptt.service-config", XCAP_TREE_GLOBAL, { 0,       R,       R | W,   R,     0 } },
	{ "org.openmobilealliance.groups", XCAP_TREE_USER,   { R | W,   RC,      R | W,   R,     0 } },
	{ "org.openmobilealliance.groups", XCAP_TREE_GLOBAL, { 0,       RC,      R,       R,     0 } },
	{ NULL, XCAP_TREE_N, { 0, 0, 0, 0, 0 } }
};

/* RFC 4825 §5.7 default, within one organisation. */
static const uint8_t default_policy[XCAP_TREE_N][XCAP_ROLE_N] = {
	[XCAP_TREE_USER]   = { R | W, 0, R | W, 0, 0 },
	[XCAP_TREE_UE]     = { R | W, 0, R | W, 0, 0 },
	[XCAP_TREE_GLOBAL] = { R, R, R | W, R, R },
};

bool xcap_xui_is_ue(const char *xui)
{
	if (!strncmp(xui, "sip:", 4))
		xui += 4;
	return !strncasecmp(xui, "urn:", 4);
}

void xcap_xui_org(const char *xui, const char *def_org, char *out, size_t len)
{
	const char *at;
	size_t n;

	out[0] = '\0';
	if (!xui || xcap_xui_is_ue(xui))
		return;
	at = strrchr(xui, '@');
	if ((!strncmp(xui, "sip:", 4) || !strncmp(xui, "sips:", 5)) && at && at[1]) {
		n = strcspn(at + 1, ";?>");
		snprintf(out, len, "%.*s", (int)n, at + 1);
		return;
	}
	snprintf(out, len, "%s", def_org ? def_org : "");
}

enum xcap_tree_kind xcap_tree_of(const struct xcap_uri *uri)
{
	if (uri->global)
		return XCAP_TREE_GLOBAL;
	return xcap_xui_is_ue(uri->xui) ? XCAP_TREE_UE : XCAP_TREE_USER;
}

enum xcap_role xcap_role_of(const struct xcap_who *w, const char *who_org,
			    const struct xcap_uri *uri, const char *def_org)
{
	char org[256];

	if (w->server)
		return XCAP_ROLE_SERVER;
	if (uri->global || xcap_xui_is_ue(uri->xui))
		return w->admin ? XCAP_ROLE_ADMIN : XCAP_ROLE_ORG_USER;   /* org checked by content */
	xcap_xui_org(uri->xui, def_org, org, sizeof(org));
	if (w->admin && !strcasecmp(org, who_org))
		return XCAP_ROLE_ADMIN;   /* also in their own directory */
	if (!strcmp(uri->xui, w->xui))
		return XCAP_ROLE_OWNER;
	if (strcasecmp(org, who_org))
		return XCAP_ROLE_FOREIGN;
	return XCAP_ROLE_ORG_USER;
}

unsigned xcap_access(const struct xcap_usage *u, enum xcap_tree_kind tree, enum xcap_role role)
{
	const struct xcap_access_rule *r;

	if (u->policy == XCAP_POLICY_READONLY)
		return R;
	if (u->policy == XCAP_POLICY_DEFAULT)
		return default_policy[tree][role];
	for (r = xcap_access_table; r->auid; r++)
		if (r->tree == tree && !strcmp(r->auid, u->auid))
			return r->perm[role];
	return 0;
}

const char *xcap_role_name(enum xcap_role r)
{
	static const char *const names[] = { "owner", "user of the organisation",
					     "administrator", "MCPTT server", "other organisation" };

	return (unsigned)r < XCAP_ROLE_N ? names[r] : "?";
}
