/* wap-provisioningdoc w7 reader/writer and the CP -> DMAcc mapping. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "dm/w7.h"
#include "dm/xmlutil.h"
#include "core/banned.h"

enum mcx_err dm_w7_alloc(struct dm_w7 **wp)
{
	struct dm_w7 *w = mcx_calloc(1, sizeof(*w));

	if (!w)
		return MCX_ENOMEM;
	pool_init(&w->pool, 4 * DM_W7_MAX);
	*wp = w;
	return MCX_OK;
}

void dm_w7_free(struct dm_w7 *w)
{
	if (!w)
		return;
	pool_free(&w->pool);
	mcx_free(w);
}

enum mcx_err dm_w7_set(struct dm_w7 *w, char **field, const char *s)
{
	return pool_set(&w->pool, field, s);
}

/* --- reader --- */

struct wctx {
	struct dm_w7 *w;
	char *errbuf;
	size_t errlen;
};

static enum mcx_err wfail(struct wctx *c, enum mcx_err err, const char *fmt, ...) MCX_PRINTF(3, 4);

static enum mcx_err wfail(struct wctx *c, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	if (c->errbuf && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->errbuf, c->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool is(const xmlNode *n, const char *name)
{
	return !strcmp((const char *)n->name, name);
}

/* An attribute's value copied into the document, or NULL. */
static enum mcx_err attr(struct wctx *c, const xmlNode *n, const char *name, char **out)
{
	xmlChar *v = xmlGetNoNsProp((xmlNodePtr)n, (const xmlChar *)name);
	enum mcx_err err = MCX_OK;

	*out = NULL;
	if (!v)
		return MCX_OK;
	if (strlen((const char *)v) > DM_STR_MAX_DEFAULT)
		err = wfail(c, MCX_ELIMIT, "attribute %s is too long", name);
	else
		err = dm_w7_set(c->w, out, (const char *)v);
	xmlFree(v);
	return err;
}

static bool type_is(const xmlNode *n, const char *type)
{
	xmlChar *v = xmlGetNoNsProp((xmlNodePtr)n, (const xmlChar *)"type");
	bool eq = v && !strcasecmp((const char *)v, type);

	xmlFree(v);
	return eq;
}

/* parm name="NAME" value="..." into *out when the name matches. */
static enum mcx_err parm(struct wctx *c, const xmlNode *n, const char *name, char **out,
			 bool *hit)
{
	xmlChar *v = xmlGetNoNsProp((xmlNodePtr)n, (const xmlChar *)"name");
	bool eq = v && !strcasecmp((const char *)v, name);

	xmlFree(v);
	if (!eq)
		return MCX_OK;
	*hit = true;
	if (*out)
		return wfail(c, MCX_EINVAL, "parm %s given twice", name);
	return attr(c, n, "value", out);
}

static enum mcx_err port(struct wctx *c, struct dm_w7_addr *a, const xmlNode *n)
{
	const xmlNode *k;
	enum mcx_err err = MCX_OK;
	bool hit = false;

	for (k = dm_xml_first(n); k && !err; k = dm_xml_next(k))
		if (is(k, "parm"))
			err = parm(c, k, "PORTNBR", &a->port, &hit);
	return err;
}

static enum mcx_err appaddr(struct wctx *c, struct dm_w7_acc *acc, const xmlNode *n)
{
	struct dm_w7_addr *a;
	const xmlNode *k;
	enum mcx_err err = MCX_OK;
	bool hit = false;

	if (acc->naddrs >= DM_W7_ADDRS_MAX)
		return wfail(c, MCX_ELIMIT, "more than %d APPADDR", DM_W7_ADDRS_MAX);
	a = &acc->addrs[acc->naddrs++];
	for (k = dm_xml_first(n); k && !err; k = dm_xml_next(k)) {
		if (is(k, "parm")) {
			err = parm(c, k, "ADDR", &a->addr, &hit);
			if (!err)
				err = parm(c, k, "ADDRTYPE", &a->addr_type, &hit);
		} else if (is(k, "characteristic") && type_is(k, "PORT")) {
			err = port(c, a, k);
		}
	}
	if (!err && !a->addr)
		err = wfail(c, MCX_EINVAL, "APPADDR without ADDR");
	return err;
}

static enum mcx_err appauth(struct wctx *c, struct dm_w7_acc *acc, const xmlNode *n)
{
	struct dm_w7_auth *a;
	const xmlNode *k;
	enum mcx_err err = MCX_OK;
	bool hit = false;

	if (acc->nauths >= DM_W7_AUTHS_MAX)
		return wfail(c, MCX_ELIMIT, "more than %d APPAUTH", DM_W7_AUTHS_MAX);
	a = &acc->auths[acc->nauths++];
	for (k = dm_xml_first(n); k && !err; k = dm_xml_next(k)) {
		if (!is(k, "parm"))
			continue;
		err = parm(c, k, "AAUTHLEVEL", &a->level, &hit);
		if (!err)
			err = parm(c, k, "AAUTHTYPE", &a->type, &hit);
		if (!err)
			err = parm(c, k, "AAUTHNAME", &a->name, &hit);
		if (!err)
			err = parm(c, k, "AAUTHSECRET", &a->secret, &hit);
		if (!err)
			err = parm(c, k, "AAUTHDATA", &a->data, &hit);
	}
	return err;
}

/* Top-level parms of the APPLICATION characteristic. */
static enum mcx_err app_parm(struct wctx *c, struct dm_w7_acc *acc, const xmlNode *k,
			     char **appid)
{
	bool hit = false;
	char *addr = NULL;
	enum mcx_err err = parm(c, k, "APPID", appid, &hit);

	if (!err)
		err = parm(c, k, "PROVIDER-ID", &acc->server_id, &hit);
	if (!err)
		err = parm(c, k, "NAME", &acc->name, &hit);
	if (!err)
		err = parm(c, k, "TO-NAPID", &acc->to_napid, &hit);
	if (!err && !acc->to_napid)
		err = parm(c, k, "TO-PROXY", &acc->to_napid, &hit);
	if (!err)
		err = parm(c, k, "ADDR", &addr, &hit);
	if (!err && addr) {	/* a top-level ADDR is a one-address APPADDR */
		if (acc->naddrs >= DM_W7_ADDRS_MAX)
			return wfail(c, MCX_ELIMIT, "more than %d addresses", DM_W7_ADDRS_MAX);
		acc->addrs[acc->naddrs++].addr = addr;
	}
	return err;
}

static enum mcx_err application(struct wctx *c, const xmlNode *n)
{
	struct dm_w7_acc acc;
	const xmlNode *k;
	char *appid = NULL;
	enum mcx_err err = MCX_OK;

	memset(&acc, 0, sizeof(acc));
	for (k = dm_xml_first(n); k && !err; k = dm_xml_next(k)) {
		if (is(k, "parm"))
			err = app_parm(c, &acc, k, &appid);
		else if (is(k, "characteristic") && type_is(k, "APPADDR"))
			err = appaddr(c, &acc, k);
		else if (is(k, "characteristic") && type_is(k, "APPAUTH"))
			err = appauth(c, &acc, k);
	}
	if (err || !appid || strcasecmp(appid, "w7"))
		return err;	/* not a DM account: skipped */
	if (!acc.server_id)
		return wfail(c, MCX_EINVAL, "w7 application without PROVIDER-ID");
	if (c->w->n >= DM_W7_ACCOUNTS_MAX)
		return wfail(c, MCX_ELIMIT, "more than %d w7 accounts", DM_W7_ACCOUNTS_MAX);
	c->w->accs[c->w->n++] = acc;
	return MCX_OK;
}

enum mcx_err dm_w7_parse(const char *xml, size_t len, struct dm_w7 **wp, char *errbuf,
			 size_t errlen)
{
	struct wctx c = { .errbuf = errbuf, .errlen = errlen };
	struct dm_xml_doc d;
	const xmlNode *root, *k;
	enum mcx_err err;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (len > DM_W7_MAX)
		return wfail(&c, MCX_ELIMIT, "provisioning document over %d bytes", DM_W7_MAX);
	err = dm_xml_read(xml, len, false, 16, &d);
	if (err)
		return wfail(&c, err, "%s", d.why);
	root = xmlDocGetRootElement(d.doc);
	err = dm_w7_alloc(&c.w);
	if (!err && !is(root, "wap-provisioningdoc"))
		err = wfail(&c, MCX_EINVAL, "the root element is not <wap-provisioningdoc>");
	for (k = err ? NULL : dm_xml_first(root); k && !err; k = dm_xml_next(k))
		if (is(k, "characteristic") && type_is(k, "APPLICATION"))
			err = application(&c, k);
	dm_xml_close(&d);
	if (err) {
		dm_w7_free(c.w);
		return err;
	}
	*wp = c.w;
	return MCX_OK;
}

/* --- writer --- */

static enum mcx_err w_parm(struct mcx_buf *b, const char *name, const char *value)
{
	enum mcx_err err;

	if (!value)
		return MCX_OK;
	err = buf_addf(b, "<parm name=\"%s\" value=\"", name);
	if (!err)
		err = dm_xml_escape(b, value, strlen(value), true);
	if (!err)
		err = buf_adds(b, "\"/>");
	return err;
}

static enum mcx_err w_addr(struct mcx_buf *b, const struct dm_w7_addr *a)
{
	enum mcx_err err = buf_adds(b, "<characteristic type=\"APPADDR\">");

	if (!err)
		err = w_parm(b, "ADDR", a->addr);
	if (!err)
		err = w_parm(b, "ADDRTYPE", a->addr_type);
	if (!err && a->port) {
		err = buf_adds(b, "<characteristic type=\"PORT\">");
		if (!err)
			err = w_parm(b, "PORTNBR", a->port);
		if (!err)
			err = buf_adds(b, "</characteristic>");
	}
	if (!err)
		err = buf_adds(b, "</characteristic>");
	return err;
}

static enum mcx_err w_auth(struct mcx_buf *b, const struct dm_w7_auth *a)
{
	enum mcx_err err = buf_adds(b, "<characteristic type=\"APPAUTH\">");

	if (!err)
		err = w_parm(b, "AAUTHLEVEL", a->level);
	if (!err)
		err = w_parm(b, "AAUTHTYPE", a->type);
	if (!err)
		err = w_parm(b, "AAUTHNAME", a->name);
	if (!err)
		err = w_parm(b, "AAUTHSECRET", a->secret);
	if (!err)
		err = w_parm(b, "AAUTHDATA", a->data);
	if (!err)
		err = buf_adds(b, "</characteristic>");
	return err;
}

static enum mcx_err w_acc(struct mcx_buf *b, const struct dm_w7_acc *a)
{
	enum mcx_err err = buf_adds(b, "<characteristic type=\"APPLICATION\">");
	size_t i;

	if (!err)
		err = w_parm(b, "APPID", "w7");
	if (!err)
		err = w_parm(b, "PROVIDER-ID", a->server_id);
	if (!err)
		err = w_parm(b, "NAME", a->name);
	if (!err)
		err = w_parm(b, "TO-NAPID", a->to_napid);
	for (i = 0; i < a->naddrs && !err; i++)
		err = w_addr(b, &a->addrs[i]);
	for (i = 0; i < a->nauths && !err; i++)
		err = w_auth(b, &a->auths[i]);
	if (!err)
		err = buf_adds(b, "</characteristic>");
	return err;
}

enum mcx_err dm_w7_emit(const struct dm_w7 *w, struct mcx_buf *out)
{
	enum mcx_err err = buf_adds(out, "<wap-provisioningdoc version=\"1.1\">");
	size_t i;

	for (i = 0; i < w->n && !err; i++)
		err = w_acc(out, &w->accs[i]);
	if (!err)
		err = buf_adds(out, "</wap-provisioningdoc>");
	return err;
}

/* --- mapping onto ./DMAcc/<x> --- */

const char *dm_w7_level_to_dmacc(const char *level)
{
	if (!level)
		return NULL;
	if (!strcasecmp(level, "APPSRV"))
		return "CLCRED";
	if (!strcasecmp(level, "CLIENT"))
		return "SRVCRED";
	if (!strcasecmp(level, "OBEX"))
		return "OBEX";
	return NULL;
}

/* A chr leaf name=value under parent (nothing when value is NULL). */
static enum mcx_err leaf(struct dm_tnds *t, struct dm_tnode *parent, const char *name,
			 const char *value, const char *format)
{
	struct dm_tnode *n = NULL;
	enum mcx_err err;

	if (!value)
		return MCX_OK;
	err = dm_tnode_add(t, parent, name, &n);
	if (!err)
		err = dm_tnds_set(t, &n->format, format);
	if (!err)
		err = dm_tnds_set(t, &n->type, "text/plain");
	if (!err)
		err = dm_tnode_set_value(t, n, value, strlen(value));
	return err;
}

static enum mcx_err interior(struct dm_tnds *t, struct dm_tnode *parent, const char *name,
			     struct dm_tnode **np)
{
	enum mcx_err err = dm_tnode_add(t, parent, name, np);

	if (!err)
		err = dm_tnds_set(t, &(*np)->format, "node");
	return err;
}

static enum mcx_err map_addr(struct dm_tnds *t, struct dm_tnode *list, size_t i,
			     const struct dm_w7_addr *a)
{
	struct dm_tnode *x = NULL, *ports = NULL, *p1 = NULL;
	char name[24];
	enum mcx_err err;

	snprintf(name, sizeof(name), "%zu", i + 1);
	err = interior(t, list, name, &x);
	if (!err)
		err = leaf(t, x, "Addr", a->addr, "chr");
	if (!err)
		err = leaf(t, x, "AddrType", a->addr_type ? a->addr_type : "URI", "chr");
	if (!err && a->port) {
		err = interior(t, x, "Port", &ports);
		if (!err)
			err = interior(t, ports, "1", &p1);
		if (!err)
			err = leaf(t, p1, "PortNbr", a->port, "chr");
	}
	return err;
}

static enum mcx_err map_auth(struct dm_tnds *t, struct dm_tnode *list, size_t i,
			     const struct dm_w7_auth *a)
{
	struct dm_tnode *x = NULL;
	char name[24];
	enum mcx_err err;

	snprintf(name, sizeof(name), "%zu", i + 1);
	err = interior(t, list, name, &x);
	if (!err)
		err = leaf(t, x, "AAuthLevel", dm_w7_level_to_dmacc(a->level), "chr");
	if (!err)
		err = leaf(t, x, "AAuthType", a->type, "chr");
	if (!err)
		err = leaf(t, x, "AAuthName", a->name, "chr");
	if (!err)
		err = leaf(t, x, "AAuthSecret", a->secret, "chr");
	if (!err)
		err = leaf(t, x, "AAuthData", a->data, "b64");
	return err;
}

static enum mcx_err account_node(struct dm_tnds *t, const struct dm_w7_acc *a,
				 const char *acc_name, struct dm_tnode **accp)
{
	struct mcx_buf acl;
	enum mcx_err err;

	err = interior(t, NULL, acc_name, accp);
	if (err)
		return err;
	(*accp)->type_ddf = true;
	err = dm_tnds_set(t, &(*accp)->path, "./DMAcc");
	if (!err)
		err = dm_tnds_set(t, &(*accp)->type, DM_DMACC_DDF_NAME);
	buf_init(&acl, 3 * DM_STR_MAX_DEFAULT);
	if (!err)
		err = buf_addf(&acl, "Get=%s&Replace=%s&Delete=%s", a->server_id, a->server_id,
			       a->server_id);
	if (!err)
		err = dm_tnds_set(t, &(*accp)->acl, acl.p);
	buf_reset(&acl);
	return err;
}

enum mcx_err dm_w7_to_dmacc(const struct dm_w7_acc *a, const char *acc_name, struct dm_tnds *t,
			    struct dm_tnode **nodep)
{
	struct dm_tnode *acc = NULL, *addrs = NULL, *auths = NULL;
	enum mcx_err err;
	size_t i;

	if (!a->server_id || !acc_name || !*acc_name || strchr(acc_name, '/') ||
	    strpbrk(a->server_id, "=&+* \t"))
		return MCX_EINVAL;	/* a ServerID must be usable in an ACL */
	err = account_node(t, a, acc_name, &acc);
	if (!err)
		err = leaf(t, acc, "AppID", "w7", "chr");
	if (!err)
		err = leaf(t, acc, "ServerID", a->server_id, "chr");
	if (!err)
		err = leaf(t, acc, "Name", a->name, "chr");
	if (!err)
		err = leaf(t, acc, "PrefConRef", a->to_napid, "chr");
	if (!err && a->naddrs)
		err = interior(t, acc, "AppAddr", &addrs);
	for (i = 0; i < a->naddrs && !err; i++)
		err = map_addr(t, addrs, i, &a->addrs[i]);
	if (!err && a->nauths)
		err = interior(t, acc, "AppAuth", &auths);
	for (i = 0; i < a->nauths && !err; i++)
		err = map_auth(t, auths, i, &a->auths[i]);
	if (!err && nodep)
		*nodep = acc;
	return err;
}
