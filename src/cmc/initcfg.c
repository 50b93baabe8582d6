/* Reading the UE initial configuration document (see initcfg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmc/initcfg.h"
#include "cmc/limits.h"
#include "cmc/xml.h"
#include "core/banned.h"

static bool truthy(const char *s)
{
	return !strcmp(s, "true") || !strcmp(s, "1");
}

static void timers(struct cmc_initcfg *ic, const xmlNode *t)
{
	const xmlNode *k;
	char v[32];

	for (k = t ? t->children : NULL; k && ic->ntimers < CMC_INIT_MAX_TIMERS; k = k->next) {
		struct cmc_timer *tm = &ic->timers[ic->ntimers];
		char *end;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		cmc_xml_text(k, v, sizeof(v));
		tm->value = strtol(v, &end, 10);
		if (!v[0] || *end)
			continue;
		snprintf(tm->name, sizeof(tm->name), "%s", (const char *)k->name);
		ic->ntimers++;
	}
}

enum mcx_err cmc_initcfg_parse(struct cmc_initcfg *ic, const char *p, size_t len, char *eb,
			       size_t el)
{
	const xmlNode *root, *on, *as, *d;
	xmlDoc *doc = NULL;
	char idx[32];
	enum mcx_err err;

	memset(ic, 0, sizeof(*ic));
	ic->default_index = -1;
	if (len > CMC_MAX_INIT) {
		snprintf(eb, el, "the initial configuration is larger than %u bytes", CMC_MAX_INIT);
		return MCX_ELIMIT;
	}
	err = cmc_xml_parse(&doc, p, len, eb, el);
	if (err)
		return err;
	root = xmlDocGetRootElement(doc);
	if (strcmp((const char *)root->name, "mcptt-UE-initial-configuration")) {
		snprintf(eb, el, "root element <%.60s> is not <mcptt-UE-initial-configuration>",
			 (const char *)root->name);
		err = MCX_EINVAL;
		goto out;
	}
	cmc_xml_attr(root, "domain", ic->domain, sizeof(ic->domain));
	d = cmc_xml_child(root, "Default-user-profile");
	cmc_xml_attr(d, "User-ID", ic->default_user, sizeof(ic->default_user));
	if (cmc_xml_attr(d, "user-profile-index", idx, sizeof(idx))[0])
		ic->default_index = (int)strtol(idx, NULL, 10);
	on = cmc_xml_child(root, "on-network");
	as = cmc_xml_child(on, "App-Server-Info");
	cmc_xml_text(cmc_xml_child(as, "idms-auth-endpoint"), ic->idms_auth, sizeof(ic->idms_auth));
	cmc_xml_text(cmc_xml_child(as, "idms-token-endpoint"), ic->idms_token,
		     sizeof(ic->idms_token));
	cmc_xml_text(cmc_xml_child(as, "cms"), ic->cms_uri, sizeof(ic->cms_uri));
	cmc_xml_text(cmc_xml_child(on, "GMS-URI"), ic->gms_uri, sizeof(ic->gms_uri));
	if (!ic->gms_uri[0])
		cmc_xml_text(cmc_xml_child(as, "gms"), ic->gms_uri, sizeof(ic->gms_uri));
	cmc_xml_text(cmc_xml_child(on, "CMS-XCAP-root-URI"), ic->cms_root, sizeof(ic->cms_root));
	cmc_xml_text(cmc_xml_child(on, "GMS-XCAP-root-URI"), ic->gms_root, sizeof(ic->gms_root));
	if (!ic->gms_root[0])
		memcpy(ic->gms_root, ic->cms_root, sizeof(ic->gms_root));
	timers(ic, cmc_xml_child(on, "Timers"));
	cmc_xml_text(cmc_xml_child(on, "integrity-protection-enabled"), idx, sizeof(idx));
	ic->integrity = truthy(idx);
	cmc_xml_text(cmc_xml_child(on, "confidentiality-protection-enabled"), idx, sizeof(idx));
	ic->confidentiality = truthy(idx);
	if (!ic->idms_auth[0] || !ic->idms_token[0]) {
		snprintf(eb, el, "the initial configuration names no IdMS "
				 "(<idms-auth-endpoint>, <idms-token-endpoint>)");
		err = MCX_EINVAL;
	} else if (!ic->cms_root[0]) {
		snprintf(eb, el, "the initial configuration names no <CMS-XCAP-root-URI>");
		err = MCX_EINVAL;
	}
out:
	xmlFreeDoc(doc);
	return err;
}
