/* The configuration management client: configuration, the cache's state
 * file, tokens, the document set and its conditional GETs, and what a NOTIFY
 * does to the cached copies. The SIP side is in sub.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#define LOG_MODULE "cmc"
#include "core/log.h"
#include "core/mem.h"
#include "cmc/cmc_int.h"
#include "cmc/cache.h"
#include "cmc/dminit.h"
#include "cmc/notify.h"
#include "cmc/xml.h"
#include "xcap/etag.h"
#include "core/banned.h"

#define STATE_FILE "state.json"
#define DEF_CLIENT "mcptt-demo-client"
#define DEF_REDIRECT "http://127.0.0.1:8123/callback"

static const char *const kind_names[] = {"profile", "ue-config", "service-config", "group",
					 "ue-init-config"};

const char *cmc_kind_name(enum cmc_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

void cmc_emit(struct mcx_cmc *c, enum mcx_cmc_ev type, const char *sel, const char *etag,
	      const char *how, const char *detail, unsigned ms)
{
	struct mcx_cmc_event ev = {type, sel, etag, how, detail, ms};

	if (type == MCX_CMC_EV_ERROR && detail && detail != c->errmsg)
		snprintf(c->errmsg, sizeof(c->errmsg), "%s", detail);
	if (c->conf.event_h)
		c->conf.event_h(&ev, c->conf.arg);
}

static enum mcx_err fail(struct mcx_cmc *c, enum mcx_err err, const char *fmt, ...)
	MCX_PRINTF(3, 4);

static enum mcx_err fail(struct mcx_cmc *c, enum mcx_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	cmc_emit(c, MCX_CMC_EV_ERROR, NULL, NULL, NULL, c->errmsg, 0);
	return err;
}

const char *mcx_cmc_errmsg(const struct mcx_cmc *c)
{
	return c->errmsg[0] ? c->errmsg : "no error";
}

/* ---- the document table ---- */

static struct cmc_doc *doc_find(struct mcx_cmc *c, const char *sel)
{
	unsigned i;

	for (i = 0; i < c->ndocs; i++)
		if (!strcmp(c->docs[i].sel, sel))
			return &c->docs[i];
	return NULL;
}

static struct cmc_doc *doc_add(struct mcx_cmc *c, const char *sel, enum cmc_kind kind)
{
	struct cmc_doc *d = doc_find(c, sel);

	if (d)
		return d;
	if (c->ndocs >= CMC_MAX_DOCS)
		return NULL;
	d = &c->docs[c->ndocs];
	memset(d, 0, sizeof(*d));
	d->sel = mcx_strdup(sel);
	if (!d->sel)
		return NULL;
	d->kind = kind;
	d->index = -1;
	buf_init(&d->bytes, CMC_MAX_DOC);
	c->ndocs++;
	c->state_dirty = true;
	return d;
}

static void doc_drop_copy(struct mcx_cmc *c, struct cmc_doc *d)
{
	buf_reset(&d->bytes);
	buf_init(&d->bytes, CMC_MAX_DOC);
	d->etag[0] = '\0';
	c->state_dirty = true;
}

static void ueinit_apply(struct mcx_cmc *c, const struct cmc_doc *d);

/* Replace the cached copy: file first, then memory (the state file follows). */
static enum mcx_err doc_store(struct mcx_cmc *c, struct cmc_doc *d, const char *p, size_t n,
			      const char *etag)
{
	char eb[300];
	enum mcx_err err = cmc_cache_put(c->conf.cache_dir, d->sel, p, n, eb, sizeof(eb));

	if (err)
		return fail(c, err, "cache: %s", eb);
	d->bytes.len = 0;
	err = buf_add(&d->bytes, p, n);
	if (err)
		return fail(c, err, "cache: %s: %s", d->sel, mcx_strerror(err));
	snprintf(d->etag, sizeof(d->etag), "%s", etag);
	if (d->kind == CMC_K_UEINIT)
		ueinit_apply(c, d);
	return MCX_OK;
}

/* ---- state file ---- */

enum mcx_err cmc_state_save(struct mcx_cmc *c)
{
	json_t *j = json_object(), *docs = json_object();
	char eb[300], *text = NULL;
	enum mcx_err err = MCX_ENOMEM;
	unsigned i;

	if (!j || !docs)
		goto out;
	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "user", json_string(c->user));
	json_object_set_new(j, "instance_id", json_string(c->conf.instance_id));
	if (c->tok.refresh)
		json_object_set_new(j, "refresh_token", json_string(c->tok.refresh));
	if (c->tok.access) {
		json_object_set_new(j, "access_token", json_string(c->tok.access));
		json_object_set_new(j, "access_exp", json_integer(c->tok.exp));
		json_object_set_new(j, "access_iat", json_integer(c->tok.iat));
	}
	json_object_set_new(j, "selected_profile", json_string(c->selected));
	/* the overrides given once are kept, like the user */
	if (c->conf.xcap_root)
		json_object_set_new(j, "xcap_root", json_string(c->conf.xcap_root));
	if (c->conf.idms_issuer)
		json_object_set_new(j, "idms_issuer", json_string(c->conf.idms_issuer));
	if (c->conf.sip_server)
		json_object_set_new(j, "sip_server", json_string(c->conf.sip_server));
	for (i = 0; i < c->ndocs; i++) {
		const struct cmc_doc *d = &c->docs[i];
		json_t *o;

		if (!d->etag[0])
			continue;
		o = json_pack("{s:s, s:s, s:i}", "etag", d->etag, "kind", cmc_kind_name(d->kind),
			      "index", d->index);
		if (o)
			json_object_set_new(docs, d->sel, o);
	}
	json_object_set(j, "docs", docs);
	text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		goto out;
	err = cmc_write_atomic(c->conf.cache_dir, STATE_FILE, text, strlen(text), 0600, eb,
			       sizeof(eb));
	if (err)
		fail(c, err, "cache: %s", eb);
	else
		c->state_dirty = false;
out:
	if (text) {
		memset(text, 0, strlen(text)); /* tokens */
		free(text);
	}
	json_decref(docs);
	json_decref(j);
	return err;
}

static enum cmc_kind kind_of(const char *name)
{
	unsigned k;

	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (name && !strcmp(name, kind_names[k]))
			return (enum cmc_kind)k;
	return CMC_K_GROUP;
}

/* The UE initial configuration followed on the CMS (its per-UE document)
 * changed: its timers, default profile and protection flags take effect now.
 * The endpoints (IdMS, XCAP roots, CMS PSI) stay those the client was
 * started with (init.xml, perhaps with local overrides): a server copy that
 * named an unreachable IdMS must not cut the client off its own CMS. */
static void ueinit_apply(struct mcx_cmc *c, const struct cmc_doc *d)
{
	struct cmc_initcfg *n = mcx_malloc(sizeof(*n));
	char eb[300];

	if (!n)
		return;
	if (cmc_initcfg_parse(n, d->bytes.p ? d->bytes.p : "", d->bytes.len, eb, sizeof(eb))) {
		log_warn("%s: not used: %s", d->sel, eb);
	} else {
		memcpy(c->ic.domain, n->domain, sizeof(n->domain));
		memcpy(c->ic.default_user, n->default_user, sizeof(n->default_user));
		c->ic.default_index = n->default_index;
		memcpy(c->ic.timers, n->timers, sizeof(n->timers));
		c->ic.ntimers = n->ntimers;
		c->ic.integrity = n->integrity;
		c->ic.confidentiality = n->confidentiality;
	}
	mcx_free(n);
}

/* Resume from the cache: tokens, and every document named by the state
 * file, at the version its bytes hold. */
static void state_load(struct mcx_cmc *c)
{
	struct mcx_buf b;
	json_t *j = NULL, *docs, *v;
	const char *sel, *s;
	char eb[300], et[XCAP_ETAG_LEN + 1];

	buf_init(&b, CMC_MAX_STATE);
	if (cmc_read_file(c->conf.cache_dir, STATE_FILE, &b, eb, sizeof(eb)))
		goto out;
	j = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
	if (!j) {
		log_warn("%s/%s is not JSON: starting without it", c->conf.cache_dir, STATE_FILE);
		goto out;
	}
	s = json_string_value(json_object_get(j, "instance_id"));
	if (s && strcmp(s, c->conf.instance_id)) {
		log_warn("the cache belongs to UE %s, not %s: starting without it", s,
			 c->conf.instance_id);
		goto out;
	}
	s = json_string_value(json_object_get(j, "user"));
	if (s && !c->user[0])
		snprintf(c->user, sizeof(c->user), "%s", s);
	if (s && strcmp(s, c->user)) {
		log_warn("the cache belongs to %s, not %s: starting without it", s, c->user);
		goto out;
	}
	s = json_string_value(json_object_get(j, "refresh_token"));
	if (s && strlen(s) <= CMC_MAX_TOKEN)
		c->tok.refresh = mcx_strdup(s);
	s = json_string_value(json_object_get(j, "access_token"));
	if (s && strlen(s) <= CMC_MAX_TOKEN) {
		c->tok.access = mcx_strdup(s);
		c->tok.exp = json_integer_value(json_object_get(j, "access_exp"));
		c->tok.iat = json_integer_value(json_object_get(j, "access_iat"));
	}
	s = json_string_value(json_object_get(j, "selected_profile"));
	if (s)
		snprintf(c->selected, sizeof(c->selected), "%s", s);
	docs = json_object_get(j, "docs");
	json_object_foreach(docs, sel, v)
	{
		const char *etag = json_string_value(json_object_get(v, "etag"));
		struct cmc_doc *d;

		if (!etag || strlen(sel) >= CMC_MAX_URL)
			continue;
		d = doc_add(c, sel, kind_of(json_string_value(json_object_get(v, "kind"))));
		if (!d)
			break;
		d->index = (int)json_integer_value(json_object_get(v, "index"));
		if (cmc_cache_get(c->conf.cache_dir, sel, &d->bytes, eb, sizeof(eb)))
			continue;
		/* A patched copy is not recorded here (its ETag is the hash of
		 * its bytes, checked when it was patched), and a crash may come
		 * between a document's write and the state file's: the bytes,
		 * written atomically, are one whole version, and their hash
		 * names it. (A server whose ETags are not that hash gets a GET
		 * without a match, so a full answer: never a wrong copy.) */
		xcap_etag(d->bytes.p ? d->bytes.p : "", d->bytes.len, et);
		if (strcmp(et, etag))
			log_debug("cached %s is newer than the state file: ETag %s", sel, et);
		snprintf(d->etag, sizeof(d->etag), "%s", et);
		d->wanted = true;
		if (d->kind == CMC_K_UEINIT)
			ueinit_apply(c, d);
	}
out:
	json_decref(j);
	buf_reset(&b);
}

/* ---- configuration ---- */

static const char *keep(struct mcx_cmc *c, const char *s)
{
	char *d;

	if (!s || c->nstrs >= sizeof(c->strs) / sizeof(c->strs[0]))
		return NULL;
	d = mcx_strdup(s);
	if (d)
		c->strs[c->nstrs++] = d;
	return d;
}

static void strip_slash(char *s)
{
	size_t l = strlen(s);

	while (l && s[l - 1] == '/')
		s[--l] = '\0';
}

static bool instance_ok(const char *id)
{
	return !strncmp(id, "urn:uuid:", 9) || !strncmp(id, "urn:gsma:imei:", 14);
}

static enum mcx_err configure(struct mcx_cmc *c, const struct mcx_cmc_conf *conf, char *eb,
			      size_t el)
{
	enum mcx_err err;

	if (!conf->init_xml || !conf->instance_id || !conf->cache_dir) {
		snprintf(eb, el, "the initial configuration, the instance ID and the cache "
				 "directory are required");
		return MCX_EINVAL;
	}
	if (!instance_ok(conf->instance_id) || strlen(conf->instance_id) > 200 ||
	    strpbrk(conf->instance_id, "/?#% ")) {
		snprintf(eb, el, "instance ID '%.80s' is neither urn:uuid:... nor urn:gsma:imei:...",
			 conf->instance_id);
		return MCX_EINVAL;
	}
	err = cmc_initcfg_parse(&c->ic, conf->init_xml, conf->init_len, eb, el);
	if (err)
		return err;
	c->conf = *conf;
	c->conf.init_xml = NULL;
	c->conf.dm_tree = NULL;
	c->conf.password = NULL;
	c->conf.refresh_token = NULL;
	c->conf.instance_id = keep(c, conf->instance_id);
	c->conf.cache_dir = keep(c, conf->cache_dir);
	c->conf.sip_server = keep(c, conf->sip_server);
	c->conf.sip_local = keep(c, conf->sip_local);
	c->conf.xcap_root = keep(c, conf->xcap_root);
	c->conf.idms_issuer = keep(c, conf->idms_issuer);
	c->conf.cacert = keep(c, conf->cacert);
	c->conf.client_id = keep(c, conf->client_id ? conf->client_id : DEF_CLIENT);
	c->conf.redirect_uri = keep(c, conf->redirect_uri ? conf->redirect_uri : DEF_REDIRECT);
	if (!c->conf.instance_id || !c->conf.cache_dir || !c->conf.client_id ||
	    !c->conf.redirect_uri)
		return MCX_ENOMEM;
	if (!c->conf.expires)
		c->conf.expires = CMC_DEF_EXPIRES;
	if (!c->conf.token_margin)
		c->conf.token_margin = CMC_DEF_MARGIN;
	if (!c->conf.backoff_min_ms)
		c->conf.backoff_min_ms = CMC_DEF_BACKOFF_MIN;
	if (!c->conf.backoff_max_ms)
		c->conf.backoff_max_ms = CMC_DEF_BACKOFF_MAX;
	snprintf(c->root, sizeof(c->root), "%s", conf->xcap_root ? conf->xcap_root : c->ic.cms_root);
	snprintf(c->groot, sizeof(c->groot), "%s",
		 conf->xcap_root ? conf->xcap_root : c->ic.gms_root);
	strip_slash(c->root);
	strip_slash(c->groot);
	if (conf->idms_issuer) {
		snprintf(c->authz, sizeof(c->authz), "%s/authorize", conf->idms_issuer);
		snprintf(c->token_url, sizeof(c->token_url), "%s/token", conf->idms_issuer);
	} else {
		snprintf(c->authz, sizeof(c->authz), "%s", c->ic.idms_auth);
		snprintf(c->token_url, sizeof(c->token_url), "%s", c->ic.idms_token);
	}
	if (conf->user)
		snprintf(c->user, sizeof(c->user), "%s", conf->user);
	if (conf->password) {
		c->password = mcx_strdup(conf->password);
		if (!c->password)
			return MCX_ENOMEM;
	}
	if (conf->refresh_token) {
		c->tok.refresh = mcx_strdup(conf->refresh_token);
		if (!c->tok.refresh)
			return MCX_ENOMEM;
	}
	return MCX_OK;
}

/* A string member of the state file without loading the rest. */
static char *state_peek(const char *dir, const char *key)
{
	struct mcx_buf b;
	json_t *j;
	char eb[300], *v = NULL;

	buf_init(&b, CMC_MAX_STATE);
	if (!cmc_read_file(dir, STATE_FILE, &b, eb, sizeof(eb)) &&
	    (j = json_loadb(b.p ? b.p : "", b.len, 0, NULL))) {
		const char *s = json_string_value(json_object_get(j, key));

		v = s ? mcx_strdup(s) : NULL;
		json_decref(j);
	}
	buf_reset(&b);
	return v;
}

#define INIT_FILE "init.xml"

/* The initial configuration and the instance ID: given now (the XML, or a
 * DM client's tree: its MO and DevId), else kept in the cache by an earlier
 * run. *fresh says the configuration was given now (to be kept). */
/* What the cache keeps of earlier runs' overrides (XCAP root, IdMS, SIP
 * server), for those not given now; kept[] owns them. */
static void overrides_from_cache(struct mcx_cmc_conf *cf, char *kept[3])
{
	if (!cf->xcap_root)
		cf->xcap_root = kept[0] = state_peek(cf->cache_dir, "xcap_root");
	if (!cf->idms_issuer)
		cf->idms_issuer = kept[1] = state_peek(cf->cache_dir, "idms_issuer");
	if (!cf->sip_server)
		cf->sip_server = kept[2] = state_peek(cf->cache_dir, "sip_server");
}

static enum mcx_err from_cache(struct mcx_cmc_conf *cf, struct mcx_buf *init, char **iid,
			       bool *fresh, char *eb, size_t el)
{
	enum mcx_err err;

	*fresh = cf->init_xml != NULL;
	if (cf->dm_tree) {
		char *devid = NULL;

		if (cf->init_xml) {
			snprintf(eb, el, "give the initial configuration as XML or as a DM tree, "
					 "not both");
			return MCX_EINVAL;
		}
		err = cmc_dm_init_read(cf->dm_tree, init, &devid, eb, el);
		if (err)
			return err;
		cf->init_xml = init->p ? init->p : "";
		cf->init_len = init->len;
		*fresh = true;
		if (!cf->instance_id && devid) {
			*iid = devid;
			cf->instance_id = devid;
		} else {
			mcx_free(devid);
		}
	}
	if (!cf->init_xml) {
		err = cmc_read_file(cf->cache_dir, INIT_FILE, init, eb, el);
		if (err) {
			snprintf(eb, el, "no UE initial configuration: give one (--init FILE or "
					 "--dm-tree DIR); the cache %s has none yet", cf->cache_dir);
			return err;
		}
		cf->init_xml = init->p ? init->p : "";
		cf->init_len = init->len;
	}
	if (!cf->instance_id) {
		*iid = state_peek(cf->cache_dir, "instance_id");
		if (!*iid) {
			snprintf(eb, el, "no instance ID: give the UE's (--instance-id "
					 "urn:uuid:... or urn:gsma:imei:...)");
			return MCX_EINVAL;
		}
		cf->instance_id = *iid;
	}
	return MCX_OK;
}

enum mcx_err mcx_cmc_alloc(struct mcx_cmc **cp, const struct mcx_cmc_conf *conf, char *errbuf,
			   size_t errlen)
{
	struct mcx_cmc *c;
	struct mcx_cmc_conf cf = *conf;
	struct mcx_buf init;
	char *given_refresh = NULL, *iid = NULL, *kept[3] = {NULL, NULL, NULL};
	bool fresh = false;
	enum mcx_err err;

	if (!conf->cache_dir) {
		snprintf(errbuf, errlen, "a cache directory is required");
		return MCX_EINVAL;
	}
	c = mcx_calloc(1, sizeof(*c));
	if (!c)
		return MCX_ENOMEM;
	buf_init(&init, CMC_MAX_INIT);
	err = cmc_cache_init(conf->cache_dir, errbuf, errlen);
	if (!err)
		err = from_cache(&cf, &init, &iid, &fresh, errbuf, errlen);
	if (!err)
		overrides_from_cache(&cf, kept);
	if (!err)
		err = configure(c, &cf, errbuf, errlen);
	if (!err && fresh)
		err = cmc_write_atomic(c->conf.cache_dir, INIT_FILE, cf.init_xml, cf.init_len, 0600,
				       errbuf, errlen);
	if (!err) {
		err = cmc_http_alloc(&c->http, c->conf.insecure, c->conf.cacert);
		if (err)
			snprintf(errbuf, errlen, "cannot set HTTP up");
	}
	buf_reset(&init);
	mcx_free(iid);
	mcx_free(kept[0]);
	mcx_free(kept[1]);
	mcx_free(kept[2]);
	if (err) {
		mcx_cmc_free(c);
		return err;
	}
	/* a refresh token given now wins over the cached one */
	given_refresh = c->tok.refresh;
	c->tok.refresh = NULL;
	state_load(c);
	if (given_refresh) {
		cmc_tokens_clear(&c->tok);
		c->tok.refresh = given_refresh;
	}
	*cp = c;
	return MCX_OK;
}

void mcx_cmc_free(struct mcx_cmc *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->ndocs; i++) {
		mcx_free(c->docs[i].sel);
		mcx_free(c->docs[i].groups);
		buf_reset(&c->docs[i].bytes);
	}
	for (i = 0; i < c->nstrs; i++)
		mcx_free(c->strs[i]);
	if (c->password) {
		memset(c->password, 0, strlen(c->password));
		mcx_free(c->password);
	}
	cmc_tokens_clear(&c->tok);
	cmc_http_free(c->http);
	mcx_free(c);
}

void mcx_cmc_stop(struct mcx_cmc *c)
{
	c->stop = 1;
}

/* ---- tokens ---- */

static void idms_of(struct mcx_cmc *c, struct cmc_idms *i)
{
	i->authorize = c->authz;
	i->token = c->token_url;
	i->client_id = c->conf.client_id;
	i->redirect_uri = c->conf.redirect_uri;
}

static enum mcx_err login_password(struct mcx_cmc *c)
{
	struct cmc_idms i;
	char eb[600];
	enum mcx_err err;

	if (!c->user[0] || !c->password)
		return fail(c, MCX_EAUTH, "login: no MCPTT ID and password (and no usable "
					  "refresh token): log in with --user and a password");
	idms_of(c, &i);
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "login", c->authz, 0);
	err = cmc_login_password(c->http, &i, c->user, c->password, &c->tok, eb, sizeof(eb));
	if (err)
		return fail(c, err, "%s", eb);
	cmc_emit(c, MCX_CMC_EV_LOGIN, NULL, NULL, "password", "logged in at the IdMS", 0);
	return cmc_state_save(c);
}

long long cmc_token_margin(const struct mcx_cmc *c)
{
	long long life = c->tok.exp - c->tok.iat, m = (long long)c->conf.token_margin;

	/* a short-lived token is renewed a third of its life before it ends */
	return life > 0 && m > life / 3 ? life / 3 : m;
}

enum mcx_err cmc_token_ensure(struct mcx_cmc *c, bool force_refresh)
{
	struct cmc_idms i;
	char eb[600];
	enum mcx_err err;

	if (!force_refresh && c->tok.access && c->tok.exp > (long long)time(NULL) + cmc_token_margin(c))
		return MCX_OK;
	if (!c->tok.refresh)
		return login_password(c);
	idms_of(c, &i);
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "token-refresh", c->token_url, 0);
	err = cmc_login_refresh(c->http, &i, c->tok.refresh, &c->tok, eb, sizeof(eb));
	if (err == MCX_EAUTH && c->password) {
		log_info("%s; logging in with the password", eb);
		mcx_free(c->tok.refresh);
		c->tok.refresh = NULL;
		return login_password(c);
	}
	if (err)
		return fail(c, err, "%s", eb);
	cmc_emit(c, MCX_CMC_EV_LOGIN, NULL, NULL, "refresh", "access token refreshed", 0);
	return cmc_state_save(c);
}

enum mcx_err mcx_cmc_login(struct mcx_cmc *c)
{
	if (c->password)
		return login_password(c);
	if (!c->tok.refresh)
		return fail(c, MCX_EAUTH,
			    "login: no password and no refresh token (give --password, "
			    "$MCX_PASSWORD or --refresh-token)");
	return cmc_token_ensure(c, true);
}

/* ---- fetching ---- */

static const char *root_of(const struct mcx_cmc *c, enum cmc_kind k)
{
	return k == CMC_K_GROUP ? c->groot : c->root;
}

/* GET one document with If-None-Match; status 200/304/404 handled here,
 * others are errors, except a 403 when optional (the user may not read
 * it). *status gets the HTTP status. */
static enum mcx_err fetch_x(struct mcx_cmc *c, struct cmc_doc *d, const char *why, long *status,
			    bool optional)
{
	struct cmc_http_resp r;
	char url[CMC_MAX_URL + 200], eb[600], et[XCAP_ETAG_LEN + 1];
	enum mcx_err err;
	int tries;

	*status = 0;
	if ((size_t)snprintf(url, sizeof(url), "%s/%s", root_of(c, d->kind), d->sel) >=
	    sizeof(url))
		return fail(c, MCX_ELIMIT, "fetch %s: URL too long", d->sel);
	cmc_http_resp_init(&r);
	for (tries = 0; tries < 2; tries++) {
		err = cmc_token_ensure(c, tries > 0);
		if (err)
			goto out;
		err = cmc_http_get(c->http, url, c->tok.access, d->etag, &r, eb, sizeof(eb));
		if (err) {
			fail(c, err, "fetch %s: %s", d->sel, eb);
			goto out;
		}
		if (r.status != 401)
			break;
	}
	*status = r.status;
	if (r.status == 304) {
		cmc_emit(c, MCX_CMC_EV_UNCHANGED, d->sel, d->etag, "304", why, 0);
	} else if (r.status == 200) {
		const char *p = r.body.p ? r.body.p : "";

		xcap_etag(p, r.body.len, et);
		if (r.etag[0] && strcmp(r.etag, et))
			log_warn("%s: the server's ETag %s is not the hash of the bytes %s", d->sel,
				 r.etag, et);
		err = doc_store(c, d, p, r.body.len, r.etag[0] ? r.etag : et);
		c->state_dirty = true; /* the server's ETag need not be the hash */
		if (!err)
			cmc_emit(c, MCX_CMC_EV_DOC, d->sel, d->etag, "fetched", why, 0);
	} else if (r.status == 404 || (optional && r.status == 403)) {
		if (d->etag[0]) {
			cmc_cache_remove(c->conf.cache_dir, d->sel);
			doc_drop_copy(c, d);
			cmc_emit(c, MCX_CMC_EV_DOC, d->sel, NULL, "deleted",
				 r.status == 404 ? "404 on fetch" : "403 on fetch", 0);
		}
	} else {
		char said[200];
		size_t n = r.body.len < sizeof(said) - 1 ? r.body.len : sizeof(said) - 1;
		size_t k;

		memcpy(said, r.body.p ? r.body.p : "", n);
		said[n] = '\0';
		for (k = 0; k < n; k++)
			if (said[k] == '\n' || said[k] == '\r')
				said[k] = ' ';
		err = fail(c, r.status == 401 || r.status == 403 ? MCX_EAUTH : MCX_EIO,
			   "fetch %s: the server answered %ld%s%s", d->sel, r.status,
			   n ? ": " : "", said);
	}
out:
	cmc_http_resp_free(&r);
	return err;
}

static enum mcx_err fetch(struct mcx_cmc *c, struct cmc_doc *d, const char *why, long *status)
{
	return fetch_x(c, d, why, status, false);
}

/* Read what a profile says about groups and pre-selection, once per version:
 * every NOTIFY re-selects the profile and re-checks the group set, and
 * parsing each profile each time was most of the client's CPU per patch. */
static void profile_info(struct cmc_doc *d)
{
	static const char *const lists[] = {"MCPTTGroupInfo", "ImplicitAffiliations"};
	const xmlNode *root, *on, *l, *e;
	struct mcx_buf ids;
	xmlDoc *doc = NULL;
	char eb[200], v[512];
	unsigned i;

	if (!strcmp(d->info_etag, d->etag))
		return;
	mcx_free(d->groups);
	d->groups = NULL;
	d->groups_len = 0;
	d->pre = false;
	snprintf(d->info_etag, sizeof(d->info_etag), "%s", d->etag);
	if (!d->etag[0] || cmc_xml_parse(&doc, d->bytes.p, d->bytes.len, eb, sizeof(eb)))
		return;
	buf_init(&ids, (size_t)CMC_MAX_GROUPS * sizeof(v));
	root = xmlDocGetRootElement(doc);
	d->pre = cmc_xml_child(root, "Pre-selected-indication") != NULL;
	for (on = cmc_xml_child(root, "OnNetwork"); on; on = cmc_xml_next(on))
		for (i = 0; i < 2; i++)
			for (l = cmc_xml_child(on, lists[i]); l; l = cmc_xml_next(l))
				for (e = cmc_xml_child(l, "entry"); e; e = cmc_xml_next(e)) {
					cmc_xml_text(cmc_xml_child(e, "uri-entry"), v, sizeof(v));
					if (v[0] && !strpbrk(v, "/?# ") &&
					    buf_add(&ids, v, strlen(v) + 1))
						log_warn("%s: too many group references", d->sel);
				}
	xmlFreeDoc(doc);
	d->groups = buf_take(&ids, &d->groups_len);
	if (!d->groups)
		d->groups_len = 0; /* none, or out of memory: no groups */
}

/* The profile's group references (MCPTTGroupInfo, ImplicitAffiliations)
 * added to ids without duplicates. */
static void groups_of(struct cmc_doc *d, char (*ids)[512], unsigned *n, unsigned max)
{
	size_t off;
	unsigned k;

	profile_info(d);
	for (off = 0; off < d->groups_len; off += strlen(d->groups + off) + 1) {
		const char *v = d->groups + off;
		bool dup = false;

		for (k = 0; k < *n; k++)
			dup |= !strcmp(ids[k], v);
		if (!dup && *n < max)
			snprintf(ids[(*n)++], 512, "%s", v);
	}
}

/* The profile in use (TS 24.484 §8.3.2): the pre-selected one, else the
 * initial configuration's default, else the lowest index. */
static void select_profile(struct mcx_cmc *c)
{
	const struct cmc_doc *low = NULL, *dflt = NULL, *pre = NULL;
	unsigned i;

	for (i = 0; i < c->ndocs; i++) {
		struct cmc_doc *d = &c->docs[i];

		if (d->kind != CMC_K_PROFILE || !d->etag[0] || !d->wanted)
			continue;
		profile_info(d);
		if (!pre && d->pre)
			pre = d;
		if (!strcmp(c->ic.default_user, c->user) && d->index == c->ic.default_index)
			dflt = d;
		if (!low || d->index < low->index)
			low = d;
	}
	pre = pre ? pre : dflt ? dflt : low;
	if (strcmp(c->selected, pre ? pre->sel : "")) {
		snprintf(c->selected, sizeof(c->selected), "%s", pre ? pre->sel : "");
		c->state_dirty = true;
	}
}

/* The group documents of every profile (GMS byGroupID view); refetch: also
 * GET (conditionally) those followed already. */
static enum mcx_err sync_groups(struct mcx_cmc *c, const char *why, bool refetch)
{
	char ids[CMC_MAX_GROUPS][512], sel[CMC_MAX_URL];
	bool was[CMC_MAX_DOCS] = {false};
	unsigned n = 0, i;
	enum mcx_err err;
	long st;

	for (i = 0; i < c->ndocs; i++)
		if (c->docs[i].kind == CMC_K_PROFILE && c->docs[i].wanted)
			groups_of(&c->docs[i], ids, &n, CMC_MAX_GROUPS);
	for (i = 0; i < c->ndocs; i++) {
		was[i] = c->docs[i].wanted;
		if (c->docs[i].kind == CMC_K_GROUP)
			c->docs[i].wanted = false;
	}
	for (i = 0; i < n; i++) {
		struct cmc_doc *d;

		snprintf(sel, sizeof(sel), "org.openmobilealliance.groups/global/byGroupID/%.511s",
			 ids[i]);
		d = doc_add(c, sel, CMC_K_GROUP);
		if (!d)
			return fail(c, MCX_ELIMIT, "more than %u documents", CMC_MAX_DOCS);
		if ((unsigned)(d - c->docs) < CMC_MAX_DOCS && was[d - c->docs] && d->etag[0] &&
		    !refetch) {
			d->wanted = true;
			continue; /* followed by the subscription already */
		}
		if ((unsigned)(d - c->docs) >= CMC_MAX_DOCS || !was[d - c->docs])
			c->scope_changed = true;
		d->wanted = true;
		err = fetch(c, d, why, &st);
		if (err == MCX_EAUTH && st == 403) {
			log_warn("group %s: not readable by %s", ids[i], c->user);
			d->wanted = false;
			continue;
		}
		if (err)
			return err;
		if (st == 404)
			d->wanted = false;
	}
	for (i = 0; i < c->ndocs; i++) {
		struct cmc_doc *d = &c->docs[i];

		if (d->kind == CMC_K_GROUP && !d->wanted && was[i])
			c->scope_changed = true;
		if (d->kind == CMC_K_GROUP && !d->wanted && d->etag[0]) {
			cmc_cache_remove(c->conf.cache_dir, d->sel);
			doc_drop_copy(c, d);
			cmc_emit(c, MCX_CMC_EV_DOC, d->sel, NULL, "deleted",
				 "no longer named by a profile", 0);
		}
	}
	return MCX_OK;
}

static enum mcx_err sync_profiles(struct mcx_cmc *c)
{
	char sel[CMC_MAX_URL];
	int maxcached = -1;
	unsigned i, k;
	enum mcx_err err;
	long st;

	for (i = 0; i < c->ndocs; i++)
		if (c->docs[i].kind == CMC_K_PROFILE && c->docs[i].index > maxcached)
			maxcached = c->docs[i].index;
	/* indexes 0, 1, ... until the first one missing past every cached one */
	for (k = 0; k < CMC_MAX_PROFILES; k++) {
		struct cmc_doc *d;

		snprintf(sel, sizeof(sel),
			 "org.3gpp.mcptt.user-profile/users/%s/mcptt-user-profile-%u.xml", c->user,
			 k);
		d = doc_add(c, sel, CMC_K_PROFILE);
		if (!d)
			return fail(c, MCX_ELIMIT, "more than %u documents", CMC_MAX_DOCS);
		d->index = (int)k;
		err = fetch(c, d, "sync", &st);
		if (err)
			return err;
		d->wanted = st != 404;
		if (st == 404 && (int)k >= maxcached)
			break;
	}
	return MCX_OK;
}

static enum mcx_err sync_ueconf(struct mcx_cmc *c)
{
	char sel[CMC_MAX_URL];
	struct cmc_doc *d;
	enum mcx_err err;
	long st;
	unsigned i;

	/* TS 24.484 §8.2.1A: the user's directory, named by the instance ID;
	 * else the UE directory view (the organisation's document for this UE
	 * or its default) */
	snprintf(sel, sizeof(sel), "org.3gpp.mcptt.ue-config/users/%s/%s", c->user,
		 c->conf.instance_id);
	for (i = 0; i < 2; i++) {
		d = doc_add(c, sel, CMC_K_UECONF);
		if (!d)
			return fail(c, MCX_ELIMIT, "more than %u documents", CMC_MAX_DOCS);
		err = fetch(c, d, "sync", &st);
		if (err)
			return err;
		d->wanted = st != 404;
		if (d->wanted)
			return MCX_OK;
		snprintf(sel, sizeof(sel), "org.3gpp.mcptt.ue-config/users/%s/%s",
			 c->conf.instance_id, c->conf.instance_id);
	}
	return fail(c, MCX_ENOENT, "fetch UE configuration: none for %s (404)",
		    c->conf.instance_id);
}

/* The UE initial configuration of this UE on the CMS (TS 24.484 §7.2.1.1:
 * users/sip:<instance ID>/<instance ID>), followed when the user may read
 * it (NOTES-2 §1.3: it can be subscribed to); 403/404: not followed. */
static enum mcx_err sync_ueinit(struct mcx_cmc *c)
{
	char sel[CMC_MAX_URL];
	struct cmc_doc *d;
	enum mcx_err err;
	long st;

	snprintf(sel, sizeof(sel), "org.3gpp.mcptt.ue-init-config/users/sip:%s/%s",
		 c->conf.instance_id, c->conf.instance_id);
	d = doc_add(c, sel, CMC_K_UEINIT);
	if (!d)
		return fail(c, MCX_ELIMIT, "more than %u documents", CMC_MAX_DOCS);
	err = fetch_x(c, d, "sync", &st, true);
	if (err)
		return err;
	d->wanted = st == 200 || st == 304;
	if (!d->wanted)
		log_info("%s: not followed (%ld)", sel, st);
	return MCX_OK;
}

enum mcx_err mcx_cmc_sync(struct mcx_cmc *c)
{
	struct cmc_doc *d;
	enum mcx_err err;
	long st;

	c->errmsg[0] = '\0';
	if (!c->user[0])
		return fail(c, MCX_EINVAL, "sync: no MCPTT ID (give --user once; it is kept in "
					   "the cache)");
	err = cmc_token_ensure(c, false);
	if (err)
		return err;
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "profiles", c->root, 0);
	err = sync_profiles(c);
	if (err)
		return err;
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "ue-config", c->root, 0);
	err = sync_ueconf(c);
	if (err)
		return err;
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "ue-init-config", c->root, 0);
	err = sync_ueinit(c);
	if (err)
		return err;
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "service-config", c->root, 0);
	d = doc_add(c, "org.3gpp.mcptt.service-config/global/service-config.xml", CMC_K_SERVICE);
	if (!d)
		return fail(c, MCX_ENOMEM, "out of memory");
	err = fetch(c, d, "sync", &st);
	if (err)
		return err;
	d->wanted = st != 404;
	cmc_emit(c, MCX_CMC_EV_PROGRESS, NULL, NULL, "groups", c->groot, 0);
	err = sync_groups(c, "sync", true);
	if (err)
		return err;
	select_profile(c);
	return cmc_state_save(c);
}

/* ---- the subscription's resource list and NOTIFYs ---- */

static const char *collection_of(const struct mcx_cmc *c, char *out, size_t outlen)
{
	snprintf(out, outlen, "org.3gpp.mcptt.user-profile/users/%s/", c->user);
	return out;
}

enum mcx_err cmc_resource_list(struct mcx_cmc *c, struct mcx_buf *b)
{
	char coll[CMC_MAX_URL], url[CMC_MAX_URL + 200];
	enum mcx_err err;
	unsigned i;

	err = buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
			  "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
			  "<list>\r\n");
	/* the profile collection, so a new profile shows up too */
	collection_of(c, coll, sizeof(coll));
	if (!err)
		err = buf_adds(b, "<entry uri=\"");
	if (!err)
		err = buf_add_xml(b, coll, strlen(coll));
	if (!err)
		err = buf_adds(b, "\"/>\r\n");
	for (i = 0; !err && i < c->ndocs; i++) {
		const struct cmc_doc *d = &c->docs[i];

		if (!d->wanted || d->kind == CMC_K_PROFILE)
			continue;
		/* the GMS may have another root: absolute URIs then */
		if (d->kind == CMC_K_GROUP && strcmp(c->groot, c->root))
			snprintf(url, sizeof(url), "%s/%s", c->groot, d->sel);
		else
			snprintf(url, sizeof(url), "%s", d->sel);
		err = buf_adds(b, "<entry uri=\"");
		if (!err)
			err = buf_add_xml(b, url, strlen(url));
		if (!err)
			err = buf_adds(b, "\"/>\r\n");
	}
	if (!err)
		err = buf_adds(b, "</list></resource-lists>\r\n");
	return err;
}

/* A document in the NOTIFY that the table does not have: a new profile in
 * the collection is added; anything else is ignored. */
static struct cmc_doc *doc_for_notify(struct mcx_cmc *c, const char *sel)
{
	char coll[CMC_MAX_URL];
	struct cmc_doc *d = doc_find(c, sel);
	const char *name;
	unsigned idx;

	if (d)
		return d;
	collection_of(c, coll, sizeof(coll));
	if (strncmp(sel, coll, strlen(coll)))
		return NULL;
	name = sel + strlen(coll);
	if (sscanf(name, "mcptt-user-profile-%u.xml", &idx) != 1 || strchr(name, '/'))
		return NULL;
	d = doc_add(c, sel, CMC_K_PROFILE);
	if (d)
		d->index = (int)idx;
	return d;
}

static bool apply_one(struct mcx_cmc *c, const struct cmc_ndoc *nd, struct mcx_buf *tmp)
{
	struct cmc_doc *d = doc_for_notify(c, nd->sel);
	char why[400];
	enum cmc_action a;
	long st;

	if (!d) {
		log_debug("NOTIFY names %s, which is not followed", nd->sel);
		return false;
	}
	tmp->len = 0;
	a = cmc_notify_decide(nd, d->bytes.p ? d->bytes.p : "", d->bytes.len, d->etag, tmp, why,
			      sizeof(why));
	switch (a) {
	case CMC_KEEP:
		return false;
	case CMC_PATCHED:
		if (doc_store(c, d, tmp->p, tmp->len, nd->next))
			return false;
		d->wanted = true;
		cmc_emit(c, MCX_CMC_EV_DOC, d->sel, d->etag, "patched", why, 0);
		return true;
	case CMC_DELETE:
		if (d->etag[0]) {
			cmc_cache_remove(c->conf.cache_dir, d->sel);
			doc_drop_copy(c, d);
			cmc_emit(c, MCX_CMC_EV_DOC, d->sel, NULL, "deleted", why, 0);
		}
		d->wanted = false;
		return true;
	case CMC_FETCH:
		break;
	}
	/* a GET without If-None-Match: the copy is known to be stale */
	doc_drop_copy(c, d);
	if (fetch_x(c, d, why, &st, d->kind == CMC_K_UEINIT))
		return false;
	d->wanted = st == 200;
	return true;
}

void cmc_on_notify_body(struct mcx_cmc *c, const char *body, size_t len)
{
	struct cmc_notify *n = NULL;
	struct mcx_buf tmp;
	char eb[300];
	bool changed = false, profiles = false;
	unsigned i;

	if (cmc_notify_parse(&n, body, len, eb, sizeof(eb))) {
		cmc_emit(c, MCX_CMC_EV_ERROR, NULL, NULL, "notify", eb, 0);
		return;
	}
	buf_init(&tmp, CMC_MAX_DOC);
	for (i = 0; i < n->ndocs; i++) {
		if (apply_one(c, &n->docs[i], &tmp)) {
			struct cmc_doc *d = doc_find(c, n->docs[i].sel);

			changed = true;
			profiles |= d && d->kind == CMC_K_PROFILE;
		}
	}
	buf_reset(&tmp);
	cmc_notify_free(n);
	if (profiles && sync_groups(c, "a profile changed", false))
		log_warn("%s", c->errmsg);
	if (changed)
		select_profile(c);
	/* patches alone leave the state file as it was: one write less per
	 * change (the copies' bytes name their versions, see state_load) */
	if (c->state_dirty && cmc_state_save(c))
		log_warn("%s", c->errmsg);
	cmc_emit(c, MCX_CMC_EV_NOTIFY, NULL, NULL, changed ? "applied" : "nothing-new", NULL, 0);
}

enum mcx_err mcx_cmc_run(struct mcx_cmc *c, bool stop_on_signal)
{
	enum mcx_err err;

	if (!c->conf.sip_server)
		return fail(c, MCX_EINVAL, "run: no SIP server (host:port) to subscribe at");
	err = mcx_cmc_sync(c);
	if (err)
		return err;
	c->scope_changed = false;
	err = cmc_sip_run(c, stop_on_signal);
	/* the ETags of the copies patched since the last save (for people
	 * reading the file: a client gets them from the bytes anyway) */
	if (!err && cmc_state_save(c))
		log_warn("%s", c->errmsg);
	return err;
}
