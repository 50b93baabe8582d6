/* The MCPTT configuration documents of TS 24.384 / 24.484 as application
 * usages: UE initial configuration, UE configuration, user profile and
 * service configuration, with the constraints their schemas can't express. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xcap/usage.h"
#include "xcap/access.h"
#include "xcap/usages/common.h"

#define SCOPE_CMS     "3gpp:mcptt:config_management_server"
#define SCOPE_CMS_R14 "3gpp:mc:ptt_config_management_service"

#define AUID_UP "org.3gpp.mcptt.user-profile"

/* ---- user profile ---- */

struct prof_scan {
	const char *index;      /* this document's user-profile-index */
	bool preselected;       /* this document has Pre-selected-indication */
	char clash_path[512];
	int clash;              /* 1 = same index, 2 = second pre-selected */
	unsigned used[8];       /* bitmap of indexes in use, for an alternative */
};

static int prof_one(const char *path, const struct xmldoc *d, void *arg)
{
	struct prof_scan *ps = arg;
	char v[16];
	const char *idx = ix_attr(d, 0, "user-profile-index", v, sizeof(v));

	if (idx) {
		unsigned n = (unsigned)strtoul(idx, NULL, 10);

		if (n < 256)
			ps->used[n / 32] |= 1u << (n % 32);
		if (!strcmp(idx, ps->index)) {
			snprintf(ps->clash_path, sizeof(ps->clash_path), "%s", path);
			ps->clash = 1;
			return 1;
		}
	}
	if (ps->preselected && ix_child(d, 0, "Pre-selected-indication") != XEL_NONE) {
		snprintf(ps->clash_path, sizeof(ps->clash_path), "%s", path);
		ps->clash = 2;
		return 1;
	}
	return 0;
}

/* The document name, when it follows the §8.3.1A rule, carries the index. */
static int profile_name_ok(const struct xcap_uri *uri, const char *idx, struct xcap_status *st)
{
	const char *name = strrchr(uri->docname, '/');
	unsigned long n;
	char *end;

	name = name ? name + 1 : uri->docname;
	if (strncmp(name, "mcptt-user-profile-", 19))
		return 0;
	n = strtoul(name + 19, &end, 10);
	if (end == name + 19 || strcmp(end, ".xml"))
		return 0;
	if (n != strtoul(idx, NULL, 10))
		return xs_set(st, 409, XE_CONSTRAINT,
			      "the document %s must hold user-profile-index %lu, not %s", name, n, idx);
	return 0;
}

static int up_constraints(const struct xcap_usage *u, const struct xcap_uri *uri,
			  const struct xcap_env *env, xmlDoc *doc, const struct xmldoc *ix,
			  struct xcap_status *st)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct prof_scan ps;
	char prefix[600];
	xmlChar *idx;
	int rc;
	unsigned k;

	(void)u;
	(void)ix;
	rc = check_xui_uri(root, uri, true, st);
	if (!rc)
		rc = check_index_unique(root, st);
	if (rc)
		return rc;
	idx = xmlGetNoNsProp(root, (const xmlChar *)"user-profile-index");
	if (!idx)
		return xs_set(st, 409, XE_CONSTRAINT, "user-profile-index is required");
	memset(&ps, 0, sizeof(ps));
	ps.index = (const char *)idx;
	ps.preselected = dom_child(root, "Pre-selected-indication") != NULL;
	rc = profile_name_ok(uri, ps.index, st);
	snprintf(prefix, sizeof(prefix), "%s/users/%s/", AUID_UP, uri->xui);
	if (!rc && ix_each(env, prefix, uri->docpath, prof_one, &ps) > 0) {
		if (ps.clash == 1) {
			rc = xs_set(st, 409, XE_UNIQUENESS,
				    "user-profile-index %s is already used by %s", ps.index, ps.clash_path);
			snprintf(st->field, sizeof(st->field), "mcptt-user-profile/@user-profile-index");
			for (k = 0; k < 256 && st->nalt < 1; k++)
				if (!(ps.used[k / 32] & (1u << (k % 32))))
					snprintf(st->alt[st->nalt++], sizeof(st->alt[0]), "%u", k);
		} else {
			rc = xs_set(st, 409, XE_CONSTRAINT,
				    "only one profile may be pre-selected; %s already is", ps.clash_path);
		}
	}
	xmlFree(idx);
	return rc;
}

/* Owners may change only their aliases, and only if the profile allows it. */
static bool allows_alias_edit(const struct xmldoc *d)
{
	uint32_t e;
	char v[16];

	for (e = 0; e < d->nels; e++)
		if (pl_eqs(d->els[e].local, "allow-create-delete-user-alias") &&
		    ix_text(d, e, v, sizeof(v)) && (!strcmp(v, "true") || !strcmp(v, "1")))
			return true;
	return false;
}

static int up_cond(const struct xcap_usage *u, const struct xcap_uri *uri,
		   const struct xcap_env *env, const struct xmldoc *cur, const struct xmldoc *next,
		   const char *node, struct xcap_status *st)
{
	(void)u;
	(void)uri;
	(void)env;
	(void)next;
	if (!cur || !node || !strstr(node, "UserAlias"))
		return xs_set(st, 403, XE_NONE, "users may change only their aliases (UserAlias) "
			      "in an existing profile");
	if (!allows_alias_edit(cur))
		return xs_set(st, 403, XE_NONE, "this profile does not allow-create-delete-user-alias");
	return 0;
}

const struct xcap_usage usage_mcptt_user_profile = {
	.auid = AUID_UP,
	.mime = "application/vnd.3gpp.mcptt-user-profile+xml",
	.default_ns = "urn:3gpp:mcptt:user-profile:1.0",
	.root_local = "mcptt-user-profile",
	.schema = "mcptt-user-profile.xsd",
	.constraints = up_constraints,
	.cond = up_cond,
	.policy = XCAP_POLICY_TABLE,
	.scope = SCOPE_CMS,
	.scope_alt = SCOPE_CMS_R14,
	.help = "MCPTT user profile (TS 24.484 8.3), one document per user-profile-index",
};

/* ---- UE initial configuration ---- */

struct dup_find {
	const char *index;
	bool found;
};

static int dup_one(const char *path, const struct xmldoc *d, void *arg)
{
	struct dup_find *f = arg;
	char v[16];
	const char *idx = ix_attr(d, 0, "user-profile-index", v, sizeof(v));

	(void)path;
	if (idx && !strcmp(idx, f->index)) {
		f->found = true;
		return 1;
	}
	return 0;
}

static int uic_constraints(const struct xcap_usage *u, const struct xcap_uri *uri,
			   const struct xcap_env *env, xmlDoc *doc, const struct xmldoc *ix,
			   struct xcap_status *st)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), dup;
	int rc;

	(void)u;
	(void)ix;
	rc = xcap_xui_is_ue(uri->global ? "" : uri->xui) ? 0 : check_xui_uri(root, uri, false, st);
	if (!rc)
		rc = check_index_unique(root, st);
	if (!rc)
		rc = check_snr_ranges(root, st);
	dup = dom_child(root, "Default-user-profile");
	if (!rc && dup) {
		xmlChar *user = xmlGetNoNsProp(dup, (const xmlChar *)"User-ID");
		xmlChar *idx = xmlGetNoNsProp(dup, (const xmlChar *)"user-profile-index");
		struct dup_find f = { (const char *)idx, false };
		char prefix[600];

		if (user && idx) {
			snprintf(prefix, sizeof(prefix), "%s/users/%s/", AUID_UP, (const char *)user);
			ix_each(env, prefix, NULL, dup_one, &f);
			if (!f.found)
				rc = xs_set(st, 409, XE_CONSTRAINT,
					    "Default-user-profile names profile %s of %.80s, which does not "
					    "exist: create the user profile first", idx, user);
		}
		xmlFree(user);
		xmlFree(idx);
	}
	return rc;
}

static int ue_cond(const struct xcap_usage *u, const struct xcap_uri *uri,
		   const struct xcap_env *env, const struct xmldoc *cur, const struct xmldoc *next,
		   const char *node, struct xcap_status *st)
{
	(void)u;
	(void)uri;
	(void)node;
	return cond_domain(env, cur, next, st);
}

const struct xcap_usage usage_mcptt_ue_init_config = {
	.auid = "org.3gpp.mcptt.ue-init-config",
	.mime = "application/vnd.3gpp.mcptt-ue-init-config+xml",
	.default_ns = "urn:3gpp:mcptt:mcpttUEinitConfig:1.0",
	.root_local = "mcptt-UE-initial-configuration",
	.schema = "mcptt-ue-init-config.xsd",
	.constraints = uic_constraints,
	.cond = ue_cond,
	.policy = XCAP_POLICY_TABLE,
	.scope = SCOPE_CMS,
	.scope_alt = SCOPE_CMS_R14,
	.help = "MCPTT UE initial configuration (TS 24.484 7.2)",
};

/* ---- UE configuration ---- */

static int uc_constraints(const struct xcap_usage *u, const struct xcap_uri *uri,
			  const struct xcap_env *env, xmlDoc *doc, const struct xmldoc *ix,
			  struct xcap_status *st)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int rc;

	(void)u;
	(void)env;
	(void)ix;
	rc = xcap_xui_is_ue(uri->global ? "" : uri->xui) ? 0 : check_xui_uri(root, uri, false, st);
	if (!rc)
		rc = check_index_unique(root, st);
	if (!rc)
		rc = check_snr_ranges(root, st);
	return rc;
}

/* Which UE configuration applies to a UE (TS 24.484 8.2.1): the one whose
 * <mcptt-UE-id> names its instance ID, else the organisation's default (a
 * document without <mcptt-UE-id>). */
struct ue_match {
	const char *ue;
	const char *org;
	char exact[1024];
	char fallback[1024];
};

static bool names_ue(const struct xmldoc *d, const char *ue)
{
	uint32_t id, c;
	char v[512];

	for (id = d->els[0].first_child; id != XEL_NONE; id = d->els[id].next) {
		if (!pl_eqs(d->els[id].local, "mcptt-UE-id"))
			continue;
		for (c = d->els[id].first_child; c != XEL_NONE; c = d->els[c].next)
			if (pl_eqs(d->els[c].local, "Instance-ID-URN") &&
			    ix_text(d, c, v, sizeof(v)) && !strcasecmp(v, ue))
				return true;
	}
	return false;
}

static int ue_match_one(const char *path, const struct xmldoc *d, void *arg)
{
	struct ue_match *m = arg;
	char dom[256];

	if (m->org && (!ix_attr(d, 0, "domain", dom, sizeof(dom)) || strcasecmp(dom, m->org)))
		return 0;
	if (names_ue(d, m->ue)) {
		snprintf(m->exact, sizeof(m->exact), "%s", path);
		return 1;
	}
	if (!m->fallback[0] && ix_child(d, 0, "mcptt-UE-id") == XEL_NONE)
		snprintf(m->fallback, sizeof(m->fallback), "%s", path);
	return 0;
}

static int uc_resolve(const struct xcap_usage *u, struct xcap_uri *uri,
		      const struct xcap_env *env, bool write, struct xcap_status *st)
{
	struct ue_match m;
	void *handle = NULL;
	size_t len;
	char prefix[128];

	(void)st;
	if (write || uri->global || !xcap_xui_is_ue(uri->xui) || uri->collection)
		return 0;
	if (env->get(env, uri->docpath, &len, &handle)) {
		env->release(env, handle);
		return 0;      /* a document for this UE exists where it was asked for */
	}
	memset(&m, 0, sizeof(m));
	m.ue = ue_id_of(uri->xui);
	m.org = env->org;
	snprintf(prefix, sizeof(prefix), "%s/users/", u->auid);
	ix_each(env, prefix, NULL, ue_match_one, &m);
	if (m.exact[0] || m.fallback[0]) {
		snprintf(uri->alt_path, sizeof(uri->alt_path), "%s", m.exact[0] ? m.exact : m.fallback);
		uri->docpath = uri->alt_path;
		uri->read_only = true;
	}
	return 0;
}

const struct xcap_usage usage_mcptt_ue_config = {
	.auid = "org.3gpp.mcptt.ue-config",
	.mime = "application/vnd.3gpp.mcptt-ue-config+xml",
	.default_ns = "urn:3gpp:mcptt:mcpttUEConfig:1.0",
	.root_local = "mcptt-UE-configuration",
	.schema = "mcptt-ue-config.xsd",
	.constraints = uc_constraints,
	.resolve = uc_resolve,
	.cond = ue_cond,
	.policy = XCAP_POLICY_TABLE,
	.scope = SCOPE_CMS,
	.scope_alt = SCOPE_CMS_R14,
	.help = "MCPTT UE configuration (TS 24.484 8.2), per UE instance",
};

/* ---- service configuration ---- */

#define SC_NAME "service-config.xml"

/* One document per organisation: global/service-config.xml is the
 * requester's organisation's; global/<org>/service-config.xml names one. */
static int sc_resolve(const struct xcap_usage *u, struct xcap_uri *uri,
		      const struct xcap_env *env, bool write, struct xcap_status *st)
{
	const char *org = env->org;
	const char *slash = strchr(uri->docname, '/');

	if (!uri->global)
		return xs_set(st, write ? 409 : 404, write ? XE_CONSTRAINT : XE_NONE,
			      "the service configuration lives in the global tree: global/%s", SC_NAME);
	if (uri->collection)
		return 0;
	if (slash && slash > uri->docname && !strcmp(slash + 1, SC_NAME)) {
		size_t n = (size_t)(slash - uri->docname);

		if (env->org && (strlen(env->org) != n || strncasecmp(env->org, uri->docname, n)))
			return xs_set(st, 403, XE_NONE, "that is another organisation's service configuration");
		snprintf(uri->alt_path, sizeof(uri->alt_path), "%s/global/%.*s/%s", u->auid, (int)n,
			 uri->docname, SC_NAME);
	} else if (!strcmp(uri->docname, SC_NAME) && org) {
		snprintf(uri->alt_path, sizeof(uri->alt_path), "%s/global/%s/%s", u->auid, org, SC_NAME);
	} else {
		return xs_set(st, write ? 409 : 404, write ? XE_CONSTRAINT : XE_NONE,
			      "an organisation has one service configuration: global/%s", SC_NAME);
	}
	uri->docpath = uri->alt_path;
	return 0;
}

static int sc_constraints(const struct xcap_usage *u, const struct xcap_uri *uri,
			  const struct xcap_env *env, xmlDoc *doc, const struct xmldoc *ix,
			  struct xcap_status *st)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), params;
	int rc;

	(void)u;
	(void)uri;
	(void)ix;
	rc = check_durations(root, st);
	if (!rc)
		rc = check_index_unique(root, st);
	params = dom_child(root, "service-configuration-params");
	if (!rc && params && env->org) {
		xmlChar *dom = xmlGetNoNsProp(params, (const xmlChar *)"domain");

		if (dom && strcasecmp((const char *)dom, env->org))
			rc = xs_set(st, 409, XE_CONSTRAINT,
				    "service-configuration-params domain \"%.80s\" is not your organisation %s",
				    dom, env->org);
		xmlFree(dom);
	}
	return rc;
}

const struct xcap_usage usage_mcptt_service_config = {
	.auid = "org.3gpp.mcptt.service-config",
	.mime = "application/vnd.3gpp.mcptt-service-config+xml",
	.default_ns = "urn:3gpp:ns:mcpttServiceConfig:1.0",
	.root_local = "service-configuration-info",
	.schema = "mcptt-service-config.xsd",
	.constraints = sc_constraints,
	.resolve = sc_resolve,
	.policy = XCAP_POLICY_TABLE,
	.scope = SCOPE_CMS,
	.scope_alt = SCOPE_CMS_R14,
	.help = "MCPTT service configuration (TS 24.484 8.4), one per organisation",
};
