/* resource-lists (RFC 4826): lists of URIs, with the uniqueness rules the
 * schema can't express and the checks on references and anchors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>

#include "xcap/usage.h"
#include "core/mem.h"

#define RL_NS "urn:ietf:params:xml:ns:resource-lists"

struct item {
	const char *val;
	xmlNodePtr node;
};

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->val, ((const struct item *)b)->val);
}

static bool is_rl(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && !strcmp((const char *)n->ns->href, RL_NS) &&
	       !strcmp((const char *)n->name, name);
}

/* Generic path of a node below the root: "resource-lists/list/entry". */
static void field_path(xmlNodePtr n, const char *attr, char *out, size_t len)
{
	const char *names[64];
	int k = 0, i;
	size_t o = 0;

	for (; n && n->type == XML_ELEMENT_NODE && k < 64; n = n->parent)
		names[k++] = (const char *)n->name;
	out[0] = '\0';
	for (i = k - 1; i >= 0 && o < len; i--)
		o += (size_t)snprintf(out + o, len - o, "%s%s", names[i], i ? "/" : "");
	if (o < len)
		snprintf(out + o, len - o, "/@%s", attr);
}

/* Values of attr on children named child of list must be unique. */
static int unique_children(xmlNodePtr list, const char *child, const char *attr,
			   struct xcap_status *st)
{
	struct item *items = NULL;
	size_t n = 0, cap = 0, i;
	xmlNodePtr c;
	int rc = 0;

	for (c = list->children; c; c = c->next) {
		xmlChar *v;

		if (!is_rl(c, child) || !(v = xmlGetProp(c, (const xmlChar *)attr)))
			continue;
		if (n == cap) {
			struct item *ni;

			cap = cap ? cap * 2 : 16;
			ni = mcx_realloc(items, cap * sizeof(*items));
			if (!ni) {
				xmlFree(v);
				rc = xs_set(st, 500, XE_NONE, "out of memory");
				goto out;
			}
			items = ni;
		}
		items[n].val = (const char *)v;
		items[n].node = c;
		n++;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), cmp_item);
	for (i = 1; i < n; i++) {
		int k;

		if (strcmp(items[i].val, items[i - 1].val))
			continue;
		xs_set(st, 409, XE_UNIQUENESS, "two <%s> elements of one list have %s \"%.80s\"",
		       child, attr, items[i].val);
		field_path(items[i].node, attr, st->field, sizeof(st->field));
		st->nalt = 0;
		if (!strcmp(attr, "name")) {
			for (k = 1; k < 100 && st->nalt < 1; k++) {
				char cand[128];
				size_t j;
				bool taken = false;

				snprintf(cand, sizeof(cand), "%.100s-%d", items[i].val, k);
				for (j = 0; j < n; j++)
					if (!strcmp(items[j].val, cand))
						taken = true;
				if (!taken)
					snprintf(st->alt[st->nalt++], sizeof(st->alt[0]), "%s", cand);
			}
		}
		rc = 409;
		break;
	}
out:
	for (i = 0; i < n; i++)
		xmlFree((xmlChar *)items[i].val);
	mcx_free(items);
	return rc;
}

static int check_refs(xmlNodePtr list, struct xcap_status *st)
{
	xmlNodePtr c;
	int rc = 0;

	for (c = list->children; c && !rc; c = c->next) {
		xmlChar *v;

		if (is_rl(c, "entry-ref") && (v = xmlGetProp(c, (const xmlChar *)"ref"))) {
			if (!v[0] || v[0] == '/' || strstr((const char *)v, "://"))
				rc = xs_set(st, 409, XE_CONSTRAINT,
					    "entry-ref \"%.80s\" must be a relative path below the XCAP root", v);
			xmlFree(v);
		} else if (is_rl(c, "external") && (v = xmlGetProp(c, (const xmlChar *)"anchor"))) {
			if (strncmp((const char *)v, "http://", 7) && strncmp((const char *)v, "https://", 8))
				rc = xs_set(st, 409, XE_CONSTRAINT,
					    "external anchor \"%.80s\" must be an absolute HTTP URI", v);
			xmlFree(v);
		}
	}
	return rc;
}

static int walk(xmlNodePtr n, struct xcap_status *st)
{
	xmlNodePtr c;
	int rc;

	rc = unique_children(n, "list", "name", st);
	if (!rc && is_rl(n, "list"))
		rc = unique_children(n, "entry", "uri", st);
	if (!rc && is_rl(n, "list"))
		rc = unique_children(n, "entry-ref", "ref", st);
	if (!rc && is_rl(n, "list"))
		rc = unique_children(n, "external", "anchor", st);
	if (!rc && is_rl(n, "list"))
		rc = check_refs(n, st);
	for (c = n->children; c && !rc; c = c->next)
		if (is_rl(c, "list"))
			rc = walk(c, st);
	return rc;
}

static int rl_constraints(const struct xcap_usage *u, const struct xcap_uri *uri,
			  const struct xcap_env *env, xmlDoc *doc, const struct xmldoc *ix,
			  struct xcap_status *st)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);

	(void)u;
	(void)env;
	(void)uri;
	(void)ix;
	return root ? walk(root, st) : 0;
}

const struct xcap_usage usage_resource_lists = {
	.auid = "resource-lists",
	.mime = "application/resource-lists+xml",
	.default_ns = RL_NS,
	.root_local = "resource-lists",
	.schema = "resource-lists.xsd",
	.constraints = rl_constraints,
	.policy = XCAP_POLICY_DEFAULT,
	.help = "resource lists (RFC 4826)",
};
