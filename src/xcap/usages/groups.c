/* MCPTT group documents (TS 24.381 / 24.481) served by the group management
 * side of the same engine: org.openmobilealliance.groups. Groups live in
 * their owner's directory; global/byGroupID/<group id> finds one by its
 * list-service uri within the requester's organisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xcap/usage.h"
#include "xcap/access.h"
#include "xcap/usages/common.h"

#define AUID_GROUPS "org.openmobilealliance.groups"
#define SCOPE_GMS "3gpp:mcptt:group_management_server"
#define SCOPE_GMS_R14 "3gpp:mc:ptt_group_management_service"

static uint32_t list_service(const struct xmldoc *d)
{
	return ix_child(d, 0, "list-service");
}

/* Is xui a member (list/entry/@uri) of the group? */
static bool is_member(const struct xmldoc *d, const char *xui)
{
	uint32_t ls = list_service(d), list = ix_child(d, ls, "list"), e;
	char v[512];

	if (list == XEL_NONE)
		return false;
	for (e = d->els[list].first_child; e != XEL_NONE; e = d->els[e].next)
		if (pl_eqs(d->els[e].local, "entry") && ix_attr(d, e, "uri", v, sizeof(v)) &&
		    !strcmp(v, xui))
			return true;
	return false;
}

static int groups_cond(const struct xcap_usage *u, const struct xcap_uri *uri,
		       const struct xcap_env *env, const struct xmldoc *cur,
		       const struct xmldoc *next, const char *node, struct xcap_status *st)
{
	(void)u;
	(void)uri;
	(void)next;
	(void)node;
	if (cur && env->who && is_member(cur, env->who))
		return 0;
	return xs_set(st, 403, XE_NONE, "only members of the group may read it");
}

/* The group document with list-service/@uri == id among the groups of the
 * organisation org (every organisation when NULL), other than skip. */
struct group_find {
	const char *id;
	const char *org;
	char path[1024];
};

static int group_find_one(const char *path, const struct xmldoc *d, void *arg)
{
	struct group_find *f = arg;
	const char *xui = path + strlen(AUID_GROUPS "/users/");
	const char *slash = strchr(xui, '/');
	char v[512], org[256], owner[512];

	if (!slash)
		return 0;
	snprintf(owner, sizeof(owner), "%.*s", (int)(slash - xui), xui);
	xcap_xui_org(owner, NULL, org, sizeof(org));
	if (f->org && strcasecmp(org, f->org))
		return 0;
	if (ix_attr(d, list_service(d), "uri", v, sizeof(v)) && !strcmp(v, f->id)) {
		snprintf(f->path, sizeof(f->path), "%s", path);
		return 1;
	}
	return 0;
}

static bool group_find(const struct xcap_env *env, const char *id, const char *skip,
		       char *out, size_t len)
{
	struct group_find f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.org = env->org;
	if (ix_each(env, AUID_GROUPS "/users/", skip, group_find_one, &f) <= 0)
		return false;
	snprintf(out, len, "%s", f.path);
	return true;
}

static int groups_resolve(const struct xcap_usage *u, struct xcap_uri *uri,
			  const struct xcap_env *env, bool write, struct xcap_status *st)
{
	const char *id;

	(void)u;
	(void)write;
	if (!uri->global || uri->collection)
		return 0;
	if (strncmp(uri->docname, "byGroupID/", 10) && strncmp(uri->docname, "byGroup/", 8))
		return xs_set(st, 404, XE_NONE, "the global tree of groups has only byGroupID/<group id>");
	id = strchr(uri->docname, '/') + 1;
	if (!group_find(env, id, NULL, uri->alt_path, sizeof(uri->alt_path)))
		return xs_set(st, 404, XE_NONE, "no group %s in your organisation", id);
	uri->docpath = uri->alt_path;
	uri->read_only = true;
	return 0;
}

static int member_uris_unique(xmlNodePtr list, struct xcap_status *st)
{
	xmlNodePtr a, b;

	for (a = list ? list->children : NULL; a; a = a->next) {
		xmlChar *ua;

		if (!dom_is(a, "entry") || !(ua = xmlGetNoNsProp(a, (const xmlChar *)"uri")))
			continue;
		for (b = a->next; b; b = b->next) {
			xmlChar *ub;
			bool same;

			if (!dom_is(b, "entry") || !(ub = xmlGetNoNsProp(b, (const xmlChar *)"uri")))
				continue;
			same = !strcmp((const char *)ua, (const char *)ub);
			xmlFree(ub);
			if (same) {
				xs_set(st, 409, XE_UNIQUENESS, "%.100s is a member twice", ua);
				snprintf(st->field, sizeof(st->field), "group/list-service/list/entry/@uri");
				xmlFree(ua);
				return 409;
			}
		}
		xmlFree(ua);
	}
	return 0;
}

static int groups_constraints(const struct xcap_usage *u, const struct xcap_uri *uri,
			      const struct xcap_env *env, xmlDoc *doc, const struct xmldoc *ix,
			      struct xcap_status *st)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), ls = dom_child(root, "list-service");
	char other[1024];
	xmlChar *id;
	int rc;

	(void)u;
	(void)ix;
	if (ls) {
		xmlNodePtr more;

		for (more = ls->next; more; more = more->next)
			if (dom_is(more, "list-service"))
				return xs_set(st, 409, XE_CONSTRAINT,
					      "a group document holds one <list-service> (one group)");
	}
	rc = member_uris_unique(dom_child(ls, "list"), st);
	if (!rc)
		rc = check_index_unique(root, st);
	if (!rc)
		rc = check_durations(root, st);
	if (rc || !ls || !(id = xmlGetNoNsProp(ls, (const xmlChar *)"uri")))
		return rc;
	if (group_find(env, (const char *)id, uri->docpath, other, sizeof(other))) {
		rc = xs_set(st, 409, XE_UNIQUENESS, "group %.100s already exists in %.200s", id, other);
		snprintf(st->field, sizeof(st->field), "group/list-service/@uri");
	}
	xmlFree(id);
	return rc;
}

const struct xcap_usage usage_groups = {
	.auid = AUID_GROUPS,
	.mime = "application/vnd.oma.poc.groups+xml",
	.default_ns = "urn:oma:xml:poc:list-service",
	.root_local = "group",
	.schema = "mcptt-group.xsd",
	.constraints = groups_constraints,
	.resolve = groups_resolve,
	.cond = groups_cond,
	.policy = XCAP_POLICY_TABLE,
	.scope = SCOPE_GMS,
	.scope_alt = SCOPE_GMS_R14,
	.help = "MCPTT group documents (TS 24.481), GMS",
};
