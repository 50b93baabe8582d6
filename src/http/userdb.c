/* The MCPTT user database view of the store (TS 29.283's role). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/userdb.h"
#include "core/mem.h"
#include "xcap/xmldoc.h"
#include "xcap/usages/common.h"

bool userdb_path_user(const char *path, char *out, size_t len)
{
	static const char pre[] = USERDB_AUID "/users/";
	const char *x, *slash;

	if (strncmp(path, pre, sizeof(pre) - 1))
		return false;
	x = path + sizeof(pre) - 1;
	slash = strchr(x, '/');
	if (!slash)
		return false;
	snprintf(out, len, "%.*s", (int)(slash - x), x);
	return true;
}

struct pull_ctx {
	struct mcx_store *st;
	userdb_profile_h *cb;
	void *arg;
	int rc;
};

static int pull_one(const char *path, const char *etag, size_t len, long long mtime, void *arg)
{
	struct pull_ctx *pc = arg;
	struct store_doc *d = NULL;
	struct userdb_profile p;
	struct xmldoc *ix = NULL;
	char v[16];

	(void)len;
	(void)mtime;
	if (store_get(pc->st, path, &d))
		return 0;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.etag = etag;
	p.bytes = d->bytes;
	p.len = d->len;
	p.index = -1;
	if (!xmldoc_index(&ix, d->bytes, d->len, NULL, NULL, 0)) {
		if (ix_attr(ix, 0, "user-profile-index", v, sizeof(v)))
			p.index = strtol(v, NULL, 10);
		p.preselected = ix_child(ix, 0, "Pre-selected-indication") != XEL_NONE;
		xmldoc_free(ix);
	}
	pc->rc = pc->cb(&p, pc->arg);
	store_doc_deref(d);
	return pc->rc;
}

enum mcx_err userdb_pull(struct mcx_store *st, const char *mcptt_id, userdb_profile_h *cb,
			 void *arg)
{
	struct pull_ctx pc = { st, cb, arg, 0 };
	char prefix[600];

	snprintf(prefix, sizeof(prefix), "%s/users/%s/", USERDB_AUID, mcptt_id);
	return store_list(st, prefix, pull_one, &pc);
}

void userdb_update(struct xcap_handler *h, const char *mcptt_id, const char *bytes, size_t len,
		   const char *author, struct xcap_response *rs)
{
	struct xcap_request rq;
	struct xmldoc *ix = NULL;
	char target[1024], v[16];
	long idx = -1;

	if (!xmldoc_index(&ix, bytes, len, NULL, NULL, 0)) {
		if (ix_attr(ix, 0, "user-profile-index", v, sizeof(v)))
			idx = strtol(v, NULL, 10);
		xmldoc_free(ix);
	}
	if (idx < 0) {
		xs_set(&rs->xs, 409, XE_CONSTRAINT, "the profile has no user-profile-index");
		rs->status = 409;
		return;
	}
	snprintf(target, sizeof(target), "%s/%s/users/%s/mcptt-user-profile-%ld.xml", h->conf.root,
		 USERDB_AUID, mcptt_id, idx);
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.target = target;
	rq.target_len = strlen(target);
	rq.content_type = "application/vnd.3gpp.mcptt-user-profile+xml";
	rq.body = bytes;
	rq.body_len = len;
	rq.who.xui = author;
	rq.who.root = true;
	xcap_handle(h, &rq, rs);
}

struct sub {
	char *who;
	userdb_notify_h *h;
	void *arg;
};

static void on_change(const struct store_change *c, void *arg)
{
	struct sub *s = arg;
	char who[512];

	if (!userdb_path_user(c->path, who, sizeof(who)))
		return;
	if (s->who && strcmp(s->who, who))
		return;
	s->h(who, c->path, c->prev_etag, c->new_etag, s->arg);
}

static void sub_free(void *arg)
{
	struct sub *s = arg;

	mcx_free(s->who);
	mcx_free(s);
}

enum mcx_err userdb_subscribe(struct mcx_store *st, const char *mcptt_id, userdb_notify_h *h,
			      void *arg)
{
	/* Lives as long as the store (listeners are not removed). */
	struct sub *s = mcx_calloc(1, sizeof(*s));
	enum mcx_err err;

	if (!s)
		return MCX_ENOMEM;
	s->h = h;
	s->arg = arg;
	if (mcptt_id && !(s->who = mcx_strdup(mcptt_id))) {
		mcx_free(s);
		return MCX_ENOMEM;
	}
	err = store_listen_owned(st, on_change, s, sub_free);
	if (err) {
		mcx_free(s->who);
		mcx_free(s);
	}
	return err;
}
