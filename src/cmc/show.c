/* The effective configuration as JSON (mcx cmc show): what the initial
 * configuration says (timers, servers) and what the cached documents say
 * (the selected profile's entries, the groups), from the cache alone. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cmc/cmc_int.h"
#include "cmc/xml.h"
#include "core/banned.h"


static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

/* [{uri, display-name}] of the <entry> children of every list named name. */
static json_t *entries(const xmlNode *parent, const char *name)
{
	json_t *a = json_array();
	const xmlNode *l, *e;
	char v[512];

	for (l = cmc_xml_child(parent, name); l; l = cmc_xml_next(l))
		for (e = cmc_xml_child(l, "entry"); e; e = cmc_xml_next(e)) {
			json_t *o = json_object();

			set_str(o, "uri", cmc_xml_text(cmc_xml_child(e, "uri-entry"), v, sizeof(v)));
			set_str(o, "display-name",
				cmc_xml_text(cmc_xml_child(e, "display-name"), v, sizeof(v)));
			json_array_append_new(a, o);
		}
	return a;
}

static json_t *profile_json(const struct cmc_doc *d)
{
	const xmlNode *root, *on, *common;
	xmlDoc *doc = NULL;
	json_t *o = json_object();
	char v[512], eb[200];

	set_str(o, "sel", d->sel);
	set_str(o, "etag", d->etag);
	json_object_set_new(o, "index", json_integer(d->index));
	if (cmc_xml_parse(&doc, d->bytes.p, d->bytes.len, eb, sizeof(eb))) {
		set_str(o, "error", eb);
		return o;
	}
	root = xmlDocGetRootElement(doc);
	set_str(o, "name", cmc_xml_text(cmc_xml_child(root, "ProfileName"), v, sizeof(v)));
	set_str(o, "user-name", cmc_xml_text(cmc_xml_child(root, "Name"), v, sizeof(v)));
	json_object_set_new(o, "pre-selected",
			    json_boolean(cmc_xml_child(root, "Pre-selected-indication") != NULL));
	common = cmc_xml_child(root, "Common");
	set_str(o, "mcptt-id",
		cmc_xml_text(cmc_xml_path(common, "MCPTTUserID/uri-entry"), v, sizeof(v)));
	set_str(o, "organization",
		cmc_xml_text(cmc_xml_child(common, "MissionCriticalOrganization"), v, sizeof(v)));
	set_str(o, "participant-type",
		cmc_xml_text(cmc_xml_child(common, "ParticipantType"), v, sizeof(v)));
	on = cmc_xml_child(root, "OnNetwork");
	json_object_set_new(o, "groups", entries(on, "MCPTTGroupInfo"));
	json_object_set_new(o, "implicit-affiliations", entries(on, "ImplicitAffiliations"));
	json_object_set_new(o, "private-call", entries(on, "PrivateCall"));
	set_str(o, "max-affiliations",
		cmc_xml_text(cmc_xml_child(on, "MaxAffiliationsN2"), v, sizeof(v)));
	xmlFreeDoc(doc);
	return o;
}

static json_t *group_json(const struct cmc_doc *d)
{
	const xmlNode *ls, *e;
	xmlDoc *doc = NULL;
	json_t *o = json_object(), *m = json_array();
	char v[512], eb[200];

	set_str(o, "sel", d->sel);
	set_str(o, "etag", d->etag);
	if (!cmc_xml_parse(&doc, d->bytes.p, d->bytes.len, eb, sizeof(eb))) {
		ls = cmc_xml_child(xmlDocGetRootElement(doc), "list-service");
		set_str(o, "uri", cmc_xml_attr(ls, "uri", v, sizeof(v)));
		set_str(o, "display-name",
			cmc_xml_text(cmc_xml_child(ls, "display-name"), v, sizeof(v)));
		for (e = cmc_xml_path(ls, "list/entry"); e; e = cmc_xml_next(e))
			json_array_append_new(m, json_string(cmc_xml_attr(e, "uri", v, sizeof(v))));
		xmlFreeDoc(doc);
	}
	json_object_set_new(o, "members", m);
	return o;
}

static json_t *servers_json(const struct mcx_cmc *c)
{
	json_t *s = json_object();

	set_str(s, "idms-authorize", c->authz);
	set_str(s, "idms-token", c->token_url);
	set_str(s, "cms-xcap-root", c->root);
	set_str(s, "gms-xcap-root", c->groot);
	set_str(s, "cms", c->ic.cms_uri);
	set_str(s, "gms", c->ic.gms_uri);
	set_str(s, "sip-server", c->conf.sip_server);
	return s;
}

enum mcx_err mcx_cmc_show(struct mcx_cmc *c, char **json)
{
	json_t *j = json_object(), *t = json_object(), *docs = json_array(),
	       *groups = json_array(), *profiles = json_array();
	unsigned i;

	if (!j || !t || !docs || !groups || !profiles) {
		json_decref(j);
		json_decref(t);
		json_decref(docs);
		json_decref(groups);
		json_decref(profiles);
		return MCX_ENOMEM;
	}
	set_str(j, "user", c->user);
	set_str(j, "instance-id", c->conf.instance_id);
	set_str(j, "domain", c->ic.domain);
	for (i = 0; i < c->ic.ntimers; i++)
		json_object_set_new(t, c->ic.timers[i].name, json_integer(c->ic.timers[i].value));
	json_object_set_new(j, "timers", t);
	json_object_set_new(j, "servers", servers_json(c));
	json_object_set_new(j, "protection",
			    json_pack("{s:b, s:b}", "integrity", c->ic.integrity,
				      "confidentiality", c->ic.confidentiality));
	json_object_set_new(j, "token-expires", json_integer(c->tok.exp));
	for (i = 0; i < c->ndocs; i++) {
		const struct cmc_doc *d = &c->docs[i];

		if (!d->etag[0])
			continue;
		json_array_append_new(docs, json_pack("{s:s, s:s, s:s, s:I}", "sel", d->sel, "kind",
						      cmc_kind_name(d->kind), "etag", d->etag, "bytes",
						      (json_int_t)d->bytes.len));
		if (d->kind == CMC_K_GROUP)
			json_array_append_new(groups, group_json(d));
		else if (d->kind == CMC_K_PROFILE && !strcmp(d->sel, c->selected))
			json_object_set_new(j, "profile", profile_json(d));
		if (d->kind == CMC_K_PROFILE)
			json_array_append_new(profiles,
					      json_pack("{s:s, s:i}", "sel", d->sel, "index", d->index));
	}
	json_object_set_new(j, "profiles", profiles);
	json_object_set_new(j, "groups", groups);
	json_object_set_new(j, "documents", docs);
	*json = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return *json ? MCX_OK : MCX_ENOMEM;
}
