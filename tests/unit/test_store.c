/* Unit tests: store (SQLite backend, cache, group commit, listeners). */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "core/crypto.h"
#include "core/mem.h"
#include "store/backend.h"
#include "store/store.h"

#define THREADS 8
#define PER_THREAD 200

/* A store in a fresh temporary directory, removed afterwards. */
struct fx {
	char dir[64];
	struct store_opts o;
	struct mcx_store *st;
};

typedef void (fx_body)(struct test_ctx *t, struct fx *f);

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static enum mcx_err fx_open(struct fx *f)
{
	char eb[256];

	return store_open(&f->st, &f->o, eb, sizeof(eb));
}

static enum mcx_err fx_reopen(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
	return fx_open(f);
}

/* Runs body on an open store; in OOM mode an MCX_ENOMEM on open is fine. */
static void with_store(struct test_ctx *t, long long keep, size_t cache, fx_body *body)
{
	struct fx f;
	enum mcx_err err;

	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/mcx-store-XXXXXX");
	if (!mkdtemp(f.dir)) {
		test_fail(t, __FILE__, __LINE__, "mkdtemp failed");
		return;
	}
	f.o.dir = f.dir;
	f.o.history_keep = keep;
	f.o.cache_max = cache;
	f.o.sync_full = true;
	err = fx_open(&f);
	if (err && !(t->in_oom && err == MCX_ENOMEM))
		test_fail(t, __FILE__, __LINE__, "store_open: %s", mcx_strerror(err));
	if (!err)
		body(t, &f);
	store_close(f.st);
	rm_rf(f.dir);
}

static void etag_of(const char *bytes, size_t len, char *etag)
{
	crypto_hash_hex(MCX_HASH_MD5, bytes, len, etag);
}

static enum mcx_err put(struct mcx_store *st, const char *path, const char *bytes,
			const char *expect, struct store_result *r)
{
	char etag[33];
	struct store_commit c = {
		.path = path, .expect_etag = expect, .bytes = bytes,
		.len = strlen(bytes), .etag = etag, .author = "sip:alice@example.org",
	};

	etag_of(bytes, c.len, etag);
	return store_commit(st, &c, r);
}

static enum mcx_err del(struct mcx_store *st, const char *path, const char *expect,
			struct store_result *r)
{
	struct store_commit c = { .path = path, .expect_etag = expect, .author = "mcx" };

	return store_commit(st, &c, r);
}

/* ---- documents ---- */

static void crud_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;
	char e1[33], e2[33];

	etag_of("one", 3, e1);
	etag_of("two", 3, e2);
	CHECK_INT(t, put(f->st, "app/users/a/doc", "one", NULL, &r), MCX_OK);
	CHECK(t, r.created && r.changed);
	CHECK_INT(t, r.version, 1);
	CHECK_STR(t, r.prev_etag, "");
	CHECK_INT(t, store_get(f->st, "app/users/a/doc", &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "one", 3);
	CHECK_STR(t, d->etag, e1);
	CHECK_STR(t, d->author, "sip:alice@example.org");
	CHECK_INT(t, d->version, 1);
	store_doc_deref(d);

	CHECK_INT(t, put(f->st, "app/users/a/doc", "two", NULL, &r), MCX_OK);
	CHECK(t, !r.created && r.changed);
	CHECK_INT(t, r.version, 2);
	CHECK_STR(t, r.prev_etag, e1);
	CHECK_INT(t, store_get(f->st, "app/users/a/doc", &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "two", 3);
	CHECK_INT(t, d->version, 2);
	store_doc_deref(d);

	CHECK_INT(t, del(f->st, "app/users/a/doc", NULL, &r), MCX_OK);
	CHECK(t, !r.created && r.changed);
	CHECK_INT(t, r.version, 3);
	CHECK_STR(t, r.prev_etag, e2);
	CHECK_INT(t, store_get(f->st, "app/users/a/doc", &d), MCX_ENOENT);
	CHECK_INT(t, del(f->st, "app/users/a/doc", NULL, &r), MCX_ENOENT);
	CHECK_INT(t, del(f->st, "app/users/a/never", NULL, &r), MCX_ENOENT);

	CHECK_INT(t, put(f->st, "app/users/a/doc", "", NULL, &r), MCX_OK);
	CHECK(t, r.created && r.changed);
	CHECK_INT(t, r.version, 4);
	CHECK_STR(t, r.prev_etag, "");
	CHECK_INT(t, store_get(f->st, "app/users/a/doc", &d), MCX_OK);
	CHECK_INT(t, d->len, 0);
	CHECK_STR(t, d->bytes, "");
	store_doc_deref(d);
}

static void store_crud(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, crud_body);
}

static void conflict_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_commit bad = { .path = NULL };
	char e1[33], e2[33];

	etag_of("one", 3, e1);
	etag_of("two", 3, e2);
	CHECK_INT(t, put(f->st, "p", "one", e1, &r), MCX_ECONFLICT);
	CHECK_STR(t, r.prev_etag, "");
	CHECK_INT(t, r.version, 0);
	CHECK_INT(t, put(f->st, "p", "one", "", &r), MCX_OK);
	CHECK_INT(t, put(f->st, "p", "two", "", &r), MCX_ECONFLICT);
	CHECK_STR(t, r.prev_etag, e1);
	CHECK_INT(t, r.version, 1);
	CHECK_INT(t, put(f->st, "p", "two", "nope", &r), MCX_ECONFLICT);
	CHECK_INT(t, del(f->st, "p", e2, &r), MCX_ECONFLICT);
	CHECK_INT(t, put(f->st, "p", "two", e1, &r), MCX_OK);
	CHECK_INT(t, r.version, 2);
	CHECK_INT(t, put(f->st, "p", "three", e1, &r), MCX_ECONFLICT);
	CHECK_INT(t, del(f->st, "p", e2, &r), MCX_OK);
	CHECK_INT(t, del(f->st, "p", "", &r), MCX_ENOENT);
	CHECK_INT(t, put(f->st, "p", "one", e2, &r), MCX_ECONFLICT);
	CHECK_INT(t, store_commit(f->st, &bad, &r), MCX_EINVAL);
}

static void store_conflict(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, conflict_body);
}

static void count_change_h(const struct store_change *c, void *arg)
{
	(void)c;
	++*(int *)arg;
}

static int count_version(const struct store_version *v, void *arg)
{
	(void)v;
	++*(int *)arg;
	return 0;
}

static void same_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	int events = 0, versions = 0;

	CHECK_INT(t, store_listen(f->st, count_change_h, &events), MCX_OK);
	CHECK_INT(t, put(f->st, "p", "same", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "p", "same", NULL, &r), MCX_OK);
	CHECK(t, !r.changed && !r.created);
	CHECK_INT(t, r.version, 1);
	CHECK_INT(t, events, 1);
	CHECK_INT(t, store_history(f->st, "p", count_version, &versions), MCX_OK);
	CHECK_INT(t, versions, 1);
}

static void store_same_bytes(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, same_body);
}

struct hist {
	int n;
	struct store_version v[16];
	char author[16][64];
	int stop_after;
};

static int hist_one(const struct store_version *v, void *arg)
{
	struct hist *h = arg;

	if (h->n < 16) {
		h->v[h->n] = *v;
		snprintf(h->author[h->n], sizeof(h->author[0]), "%s", v->author);
	}
	h->n++;
	return h->stop_after && h->n >= h->stop_after;
}

static void history_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;
	struct hist h;
	char e1[33], e2[33];

	etag_of("v1", 2, e1);
	etag_of("v2!", 3, e2);
	CHECK_INT(t, put(f->st, "h", "v1", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "h", "v2!", NULL, &r), MCX_OK);
	CHECK_INT(t, del(f->st, "h", NULL, &r), MCX_OK);

	CHECK_INT(t, store_get_version(f->st, "h", 1, &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "v1", 2);
	CHECK_STR(t, d->etag, e1);
	CHECK_INT(t, d->version, 1);
	store_doc_deref(d);
	CHECK_INT(t, store_get_version(f->st, "h", 2, &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "v2!", 3);
	store_doc_deref(d);
	CHECK_INT(t, store_get_version(f->st, "h", 3, &d), MCX_ENOENT);
	CHECK_INT(t, store_get_version(f->st, "h", 4, &d), MCX_ENOENT);
	CHECK_INT(t, store_get_version(f->st, "h", 0, &d), MCX_ENOENT);

	memset(&h, 0, sizeof(h));
	CHECK_INT(t, store_history(f->st, "h", hist_one, &h), MCX_OK);
	CHECK_INT(t, h.n, 3);
	CHECK_INT(t, h.v[0].version, 3);
	CHECK(t, h.v[0].deleted);
	CHECK_STR(t, h.v[0].etag, "");
	CHECK_STR(t, h.author[0], "mcx");
	CHECK_INT(t, h.v[1].version, 2);
	CHECK(t, !h.v[1].deleted);
	CHECK_STR(t, h.v[1].etag, e2);
	CHECK_INT(t, h.v[1].len, 3);
	CHECK_STR(t, h.author[1], "sip:alice@example.org");
	CHECK_INT(t, h.v[2].version, 1);
	CHECK_STR(t, h.v[2].etag, e1);

	memset(&h, 0, sizeof(h));
	h.stop_after = 1;
	CHECK_INT(t, store_history(f->st, "h", hist_one, &h), MCX_OK);
	CHECK_INT(t, h.n, 1);
	CHECK_INT(t, store_history(f->st, "never", hist_one, &h), MCX_ENOENT);
}

static void store_history_versions(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, history_body);
}

static void retention_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;
	struct hist h;
	char b[16];
	int i;

	for (i = 1; i <= 10; i++) {
		snprintf(b, sizeof(b), "v%d", i);
		CHECK_INT(t, put(f->st, "k", b, NULL, &r), MCX_OK);
	}
	CHECK_INT(t, put(f->st, "other", "x", NULL, &r), MCX_OK);
	memset(&h, 0, sizeof(h));
	CHECK_INT(t, store_history(f->st, "k", hist_one, &h), MCX_OK);
	CHECK_INT(t, h.n, 3);
	CHECK_INT(t, h.v[0].version, 10);
	CHECK_INT(t, h.v[2].version, 8);
	CHECK_INT(t, store_get_version(f->st, "k", 7, &d), MCX_ENOENT);
	CHECK_INT(t, store_get_version(f->st, "k", 8, &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "v8", 2);
	store_doc_deref(d);
	CHECK_INT(t, store_get(f->st, "k", &d), MCX_OK);
	CHECK_INT(t, d->version, 10);
	store_doc_deref(d);

	CHECK_INT(t, del(f->st, "k", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "k", "again", NULL, &r), MCX_OK);
	CHECK(t, r.created);
	CHECK_INT(t, r.version, 12);
	memset(&h, 0, sizeof(h));
	CHECK_INT(t, store_history(f->st, "k", hist_one, &h), MCX_OK);
	CHECK_INT(t, h.n, 3);
	CHECK_INT(t, h.v[0].version, 12);
	CHECK(t, h.v[1].deleted);
	memset(&h, 0, sizeof(h));
	CHECK_INT(t, store_history(f->st, "other", hist_one, &h), MCX_OK);
	CHECK_INT(t, h.n, 1);
}

static void store_retention(struct test_ctx *t)
{
	with_store(t, 3, 1 << 20, retention_body);
}

struct listing {
	char paths[16][32];
	int n;
	int stop_after;
};

static int list_one(const char *path, const char *etag, size_t len, long long mtime,
		    void *arg)
{
	struct listing *l = arg;

	(void)etag;
	(void)len;
	(void)mtime;
	if (l->n < 16)
		snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s", path);
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

static void list_body(struct test_ctx *t, struct fx *f)
{
	static const char *const paths[] = {
		"a/y_z", "a/x", "a/y%", "a/yb", "a%/q", "a_/q", "b/1", "a/gone",
		"a/y\xff", "a/y\xff\xff", "a/z",
	};
	struct store_result r;
	struct listing l;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		CHECK_INT(t, put(f->st, paths[i], paths[i], NULL, &r), MCX_OK);
	CHECK_INT(t, del(f->st, "a/gone", NULL, &r), MCX_OK);

	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "a/y%", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 1);
	CHECK_STR(t, l.paths[0], "a/y%");
	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "a/y_", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 1);
	CHECK_STR(t, l.paths[0], "a/y_z");
	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "a_", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 1);
	CHECK_STR(t, l.paths[0], "a_/q");
	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "a/y\xff", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 2);
	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "a/", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 7);
	CHECK_STR(t, l.paths[0], "a/x");
	CHECK_STR(t, l.paths[1], "a/y%");
	CHECK_STR(t, l.paths[2], "a/y_z");
	CHECK_STR(t, l.paths[3], "a/yb");
	CHECK_STR(t, l.paths[4], "a/y\xff");
	CHECK_STR(t, l.paths[5], "a/y\xff\xff");
	CHECK_STR(t, l.paths[6], "a/z");
	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 10);
	CHECK_STR(t, l.paths[0], "a%/q");
	CHECK_STR(t, l.paths[9], "b/1");
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	CHECK_INT(t, store_list(f->st, NULL, list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 2);
	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_list(f->st, "c", list_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 0);
}

static void store_list_prefix(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, list_body);
}

/* ---- change listeners ---- */

struct events {
	struct mcx_store *st;
	int n;
	long long seq[8];
	long long version[8];
	char prev[8][48];
	char next[8][48];
	int get_ok;             /* store_get in the handler saw new_etag */
};

static void event_one(const struct store_change *c, void *arg)
{
	struct events *e = arg;
	struct store_doc *d = NULL;

	if (e->n < 8) {
		e->seq[e->n] = c->seq;
		e->version[e->n] = c->version;
		snprintf(e->prev[e->n], sizeof(e->prev[0]), "%s", c->prev_etag);
		snprintf(e->next[e->n], sizeof(e->next[0]), "%s", c->new_etag);
	}
	e->n++;
	if (e->st && !store_get(e->st, c->path, &d)) {
		e->get_ok += !strcmp(d->etag, c->new_etag);
		store_doc_deref(d);
	} else if (e->st) {
		e->get_ok += !*c->new_etag;
	}
}

static void listen_body(struct test_ctx *t, struct fx *f)
{
	struct events e, again;
	struct store_result r;
	char e1[33], e2[33];
	int i;

	memset(&e, 0, sizeof(e));
	memset(&again, 0, sizeof(again));
	e.st = f->st;
	etag_of("one", 3, e1);
	etag_of("two", 3, e2);
	CHECK_INT(t, store_listen(f->st, event_one, &e), MCX_OK);
	CHECK_INT(t, put(f->st, "l", "one", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "l", "one", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "l", "two", "bad", &r), MCX_ECONFLICT);
	CHECK_INT(t, put(f->st, "l", "two", e1, &r), MCX_OK);
	CHECK_INT(t, del(f->st, "nothing", NULL, &r), MCX_ENOENT);
	CHECK_INT(t, del(f->st, "l", NULL, &r), MCX_OK);
	CHECK_INT(t, e.n, 3);
	CHECK_INT(t, e.get_ok, 3);
	for (i = 0; i < 3; i++) {
		CHECK_INT(t, e.version[i], i + 1);
		CHECK_INT(t, e.seq[i], e.seq[0] + i);
	}
	CHECK_STR(t, e.prev[0], "");
	CHECK_STR(t, e.next[0], e1);
	CHECK_STR(t, e.prev[1], e1);
	CHECK_STR(t, e.next[1], e2);
	CHECK_STR(t, e.prev[2], e2);
	CHECK_STR(t, e.next[2], "");

	CHECK_INT(t, store_changes_since(f->st, 0, event_one, &again), MCX_OK);
	CHECK_INT(t, again.n, 3);
	for (i = 0; i < 3; i++) {
		CHECK_INT(t, again.seq[i], e.seq[i]);
		CHECK_STR(t, again.prev[i], e.prev[i]);
		CHECK_STR(t, again.next[i], e.next[i]);
	}
	memset(&again, 0, sizeof(again));
	CHECK_INT(t, store_changes_since(f->st, e.seq[1], event_one, &again), MCX_OK);
	CHECK_INT(t, again.n, 1);
	CHECK_INT(t, again.seq[0], e.seq[2]);
}

static void store_listen_events(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, listen_body);
}

/* One group straight through the backend: each item's precondition sees
 * the items before it in the same transaction. */
static void batch_body(struct test_ctx *t, struct fx *f)
{
	struct store_commit c[5];
	struct store_result r[5];
	struct store_item it[5], *items[5];
	char e[3][33];
	void *be = NULL;
	char eb[256];
	int i;

	etag_of("a", 1, e[0]);
	etag_of("b", 1, e[1]);
	etag_of("c", 1, e[2]);
	memset(c, 0, sizeof(c));
	c[0] = (struct store_commit){ .path = "g", .expect_etag = "", .bytes = "a", .len = 1, .etag = e[0] };
	c[1] = (struct store_commit){ .path = "g", .expect_etag = e[0], .bytes = "b", .len = 1, .etag = e[1] };
	c[2] = (struct store_commit){ .path = "g", .expect_etag = e[0], .bytes = "c", .len = 1, .etag = e[2] };
	c[3] = (struct store_commit){ .path = "g", .bytes = "b", .len = 1, .etag = e[1] };
	c[4] = (struct store_commit){ .path = "g", .expect_etag = e[1] };
	for (i = 0; i < 5; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		it[i] = (struct store_item){ .c = &c[i], .r = &r[i] };
		items[i] = &it[i];
	}
	store_close(f->st);
	f->st = NULL;
	CHECK_INT(t, store_backend_sqlite.open(&be, &f->o, eb, sizeof(eb)), MCX_OK);
	store_backend_sqlite.commit(be, items, 5);
	store_backend_sqlite.close(be);
	CHECK_INT(t, it[0].err, MCX_OK);
	CHECK(t, r[0].created && r[0].changed);
	CHECK_INT(t, it[1].err, MCX_OK);
	CHECK_INT(t, r[1].version, 2);
	CHECK_STR(t, r[1].prev_etag, e[0]);
	CHECK_INT(t, it[2].err, MCX_ECONFLICT);
	CHECK_STR(t, r[2].prev_etag, e[1]);
	CHECK_INT(t, it[3].err, MCX_OK);
	CHECK(t, !r[3].changed);
	CHECK_INT(t, it[3].seq, 0);
	CHECK_INT(t, it[4].err, MCX_OK);
	CHECK_INT(t, r[4].version, 3);
	CHECK_INT(t, it[4].seq, it[1].seq + 1);
	CHECK_INT(t, it[1].seq, it[0].seq + 1);
}

static void store_batch(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, batch_body);
}

/* ---- concurrency ---- */

struct order {
	pthread_mutex_t lock;   /* only to read the counters afterwards */
	long long last_seq;
	long long last_version;  /* of the shared path */
	int n;
	int bad;
};

static void order_h(const struct store_change *c, void *arg)
{
	struct order *o = arg;

	pthread_mutex_lock(&o->lock);
	if (c->seq != o->last_seq + 1 && o->last_seq)
		o->bad++;
	o->last_seq = c->seq;
	if (!strcmp(c->path, "shared")) {
		if (c->version != o->last_version + 1)
			o->bad++;
		o->last_version = c->version;
	}
	o->n++;
	pthread_mutex_unlock(&o->lock);
}

struct worker {
	struct mcx_store *st;
	int id;
	int errors;
	int conflicts;
};

static void *distinct_worker(void *arg)
{
	struct worker *w = arg;
	struct store_result r;
	char path[32], bytes[64];
	int i;

	snprintf(path, sizeof(path), "t/%d", w->id);
	for (i = 0; i < PER_THREAD; i++) {
		snprintf(bytes, sizeof(bytes), "<doc t='%d' i='%d'/>", w->id, i);
		if (put(w->st, path, bytes, NULL, &r) || r.version != i + 1)
			w->errors++;
	}
	return NULL;
}

static void *shared_worker(void *arg)
{
	struct worker *w = arg;
	struct store_result r;
	struct store_doc *d;
	char bytes[64], etag[STORE_ETAG_MAX];
	enum mcx_err err;
	int i;

	for (i = 0; i < PER_THREAD;) {
		d = NULL;
		if (store_get(w->st, "shared", &d)) {
			w->errors++;
			return NULL;
		}
		snprintf(etag, sizeof(etag), "%s", d->etag);
		store_doc_deref(d);
		snprintf(bytes, sizeof(bytes), "<doc t='%d' i='%d'/>", w->id, i);
		err = put(w->st, "shared", bytes, etag, &r);
		if (err == MCX_ECONFLICT) {
			w->conflicts++;
			continue;
		}
		if (err || !r.changed || strcmp(r.prev_etag, etag)) {
			w->errors++;   /* a lost update if prev_etag is not ours */
			return NULL;
		}
		i++;
	}
	return NULL;
}

static void run_workers(struct test_ctx *t, struct mcx_store *st, void *(*fn)(void *))
{
	struct worker w[THREADS];
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .st = st, .id = i };
		CHECK_INT(t, pthread_create(&th[i], NULL, fn, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].errors)
			test_fail(t, __FILE__, __LINE__, "worker %d: %d error(s)", i, w[i].errors);
	}
}

static int contiguous(const struct store_version *v, void *arg)
{
	long long *next = arg;

	if (v->version != *next)
		*next = -1000000;
	(*next)--;
	return 0;
}

static void concurrent_body(struct test_ctx *t, struct fx *f)
{
	struct order o = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct store_result r;
	struct store_doc *d = NULL;
	long long next;
	char path[32];
	int i;

	CHECK_INT(t, store_listen(f->st, order_h, &o), MCX_OK);
	run_workers(t, f->st, distinct_worker);
	if (t->failed)
		return;
	CHECK_INT(t, o.n, THREADS * PER_THREAD);
	for (i = 0; i < THREADS; i++) {
		snprintf(path, sizeof(path), "t/%d", i);
		next = PER_THREAD;
		CHECK_INT(t, store_history(f->st, path, contiguous, &next), MCX_OK);
		CHECK_INT(t, next, 0);
	}

	CHECK_INT(t, put(f->st, "shared", "<start/>", "", &r), MCX_OK);
	run_workers(t, f->st, shared_worker);
	if (t->failed)
		return;
	CHECK_INT(t, o.bad, 0);
	CHECK_INT(t, o.n, 2 * THREADS * PER_THREAD + 1);
	CHECK_INT(t, o.last_version, THREADS * PER_THREAD + 1);
	CHECK_INT(t, store_get(f->st, "shared", &d), MCX_OK);
	CHECK_INT(t, d->version, THREADS * PER_THREAD + 1);
	store_doc_deref(d);
	next = THREADS * PER_THREAD + 1;
	CHECK_INT(t, store_history(f->st, "shared", contiguous, &next), MCX_OK);
	CHECK_INT(t, next, 0);
	pthread_mutex_destroy(&o.lock);
}

static void store_concurrent(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, concurrent_body);
}

/* Readers never see a version older than one they saw before, while a
 * writer commits (the cache must not be refilled with a stale version). */
struct reader {
	struct mcx_store *st;
	volatile int *stop;
	int errors;
	long reads;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	struct store_doc *d;
	long long seen = 0;

	while (!__atomic_load_n(rd->stop, __ATOMIC_ACQUIRE)) {
		d = NULL;
		if (store_get(rd->st, "hot", &d)) {
			rd->errors++;
			continue;
		}
		if (d->version < seen)
			rd->errors++;
		seen = d->version;
		store_doc_deref(d);
		rd->reads++;
	}
	return NULL;
}

static void readers_body(struct test_ctx *t, struct fx *f)
{
	struct reader rd[2];
	pthread_t th[2];
	struct store_result r;
	struct store_doc *d = NULL;
	volatile int stop = 0;
	bool bad = false;
	char b[32];
	int i;

	CHECK_INT(t, put(f->st, "hot", "<v0/>", NULL, &r), MCX_OK);
	for (i = 0; i < 2; i++) {
		rd[i] = (struct reader){ .st = f->st, .stop = &stop };
		CHECK_INT(t, pthread_create(&th[i], NULL, reader_fn, &rd[i]), 0);
	}
	for (i = 1; i <= 300 && !bad; i++) {
		snprintf(b, sizeof(b), "<v%d/>", i);
		bad = put(f->st, "hot", b, NULL, &r) != MCX_OK ||
		      store_get(f->st, "hot", &d) != MCX_OK || d->version != i + 1;
		store_doc_deref(d);
		d = NULL;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(t, !bad);
	CHECK_INT(t, rd[0].errors + rd[1].errors, 0);
	CHECK(t, rd[0].reads > 0 && rd[1].reads > 0);
}

static void store_readers(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, readers_body);
}

static void nocache_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;

	CHECK_INT(t, put(f->st, "n", "one", NULL, &r), MCX_OK);
	CHECK_INT(t, store_get(f->st, "n", &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "one", 3);
	store_doc_deref(d);
	CHECK_INT(t, put(f->st, "n", "two", NULL, &r), MCX_OK);
	CHECK_INT(t, store_get(f->st, "n", &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "two", 3);
	store_doc_deref(d);
}

static void store_no_cache(struct test_ctx *t)
{
	with_store(t, 0, 0, nocache_body);
}

/* A cache far smaller than the documents: eviction keeps it in bounds and
 * every read still returns the current version. */
static void small_cache_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;
	char path[16], b[256];
	int i, round;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < 100; i++) {
			snprintf(path, sizeof(path), "c/%d", i);
			snprintf(b, sizeof(b), "%0200d-%d", i, round);
			CHECK_INT(t, put(f->st, path, b, NULL, &r), MCX_OK);
		}
		for (i = 0; i < 100; i++) {
			snprintf(path, sizeof(path), "c/%d", i);
			snprintf(b, sizeof(b), "%0200d-%d", i, round);
			CHECK_INT(t, store_get(f->st, path, &d), MCX_OK);
			CHECK_STR(t, d->bytes, b);
			store_doc_deref(d);
		}
	}
}

static void store_small_cache(struct test_ctx *t)
{
	with_store(t, 0, 16 * 1024, small_cache_body);
}

/* Another handle on the same database stands for another process (the mcx
 * tool beside mcxd): its commits reach our cache at our next commit, or by
 * the poll on reads. Its changes are not delivered to our listeners. */
static void foreign_body(struct test_ctx *t, struct fx *f)
{
	struct fx other = *f;
	struct store_result r;
	struct store_doc *d = NULL;
	struct events e;
	char e2[33], e3[33];
	int ok = 0, i;

	memset(&e, 0, sizeof(e));
	etag_of("v2", 2, e2);
	etag_of("v3", 2, e3);
	f->o.poll_ms = 20;
	CHECK_INT(t, fx_reopen(f), MCX_OK);
	CHECK_INT(t, store_listen(f->st, event_one, &e), MCX_OK);
	CHECK_INT(t, put(f->st, "p", "v1", NULL, &r), MCX_OK);
	CHECK_INT(t, store_get(f->st, "p", &d), MCX_OK);
	store_doc_deref(d);
	other.st = NULL;
	CHECK_INT(t, fx_open(&other), MCX_OK);
	if (put(other.st, "p", "v2", NULL, &r) == MCX_OK && r.version == 2)
		ok++;
	/* our next commit sees the gap in the change sequence */
	if (put(f->st, "q", "q", NULL, &r) == MCX_OK && !store_get(f->st, "p", &d)) {
		ok += d->version == 2;
		store_doc_deref(d);
	}
	if (put(other.st, "p", "v3", NULL, &r) == MCX_OK)
		ok++;
	usleep(40 * 1000);
	if (!store_get(f->st, "p", &d)) {
		ok += d->version == 3;
		store_doc_deref(d);
	}
	/* nothing new: a sync finds nothing and tells nobody */
	store_sync(f->st);
	store_close(other.st);
	CHECK_INT(t, ok, 4);
	/* every writer's change reached our listener, in commit order: v1 (ours),
	 * v2 (the other's, found before our q), q (ours), v3 (found by a read) */
	CHECK_INT(t, e.n, 4);
	for (i = 1; i < 4 && i < e.n; i++)
		CHECK(t, e.seq[i] == e.seq[i - 1] + 1);
	CHECK_STR(t, e.next[1], e2);
	CHECK_INT(t, e.version[1], 2);
	CHECK_STR(t, e.prev[3], e2);
	CHECK_STR(t, e.next[3], e3);
}

/* store_sync finds another process's commit without any read or commit. */
static void sync_body(struct test_ctx *t, struct fx *f)
{
	struct fx other = *f;
	struct store_result r;
	struct events e;

	memset(&e, 0, sizeof(e));
	CHECK_INT(t, store_listen(f->st, event_one, &e), MCX_OK);
	other.st = NULL;
	CHECK_INT(t, fx_open(&other), MCX_OK);
	CHECK_INT(t, put(other.st, "s", "x", NULL, &r), MCX_OK);
	CHECK_INT(t, put(other.st, "s", "y", NULL, &r), MCX_OK);
	store_close(other.st);
	CHECK_INT(t, e.n, 0); /* poll_ms is 1 s by default: not read yet */
	store_sync(f->st);
	CHECK_INT(t, e.n, 2);
	CHECK_INT(t, e.version[0], 1);
	CHECK_INT(t, e.version[1], 2);
	store_sync(f->st);
	CHECK_INT(t, e.n, 2);
}

static void store_sync_foreign(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, sync_body);
}

static void store_foreign(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, foreign_body);
}

/* ---- reopen, accounts, meta ---- */

static void user_fill(struct store_user *u, const char *xui, const char *name,
		      const char *domain, unsigned roles)
{
	memset(u, 0, sizeof(*u));
	u->xui = (char *)xui;
	u->name = (char *)name;
	u->domain = (char *)domain;
	u->roles = roles;
	memset(u->ha1_md5_full, 'a', 32);
	memset(u->ha1_md5_short, 'b', 32);
	memset(u->ha1_sha256_full, 'c', 64);
	memset(u->ha1_sha256_short, 'd', 64);
	u->created = 1700000000;
}

static void reopen_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;
	struct store_user u, *got = NULL;
	char *val = NULL;
	size_t len = 0;
	int versions = 0;

	CHECK_INT(t, put(f->st, "r/1", "one", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "r/1", "two", NULL, &r), MCX_OK);
	CHECK_INT(t, put(f->st, "r/2", "gone", NULL, &r), MCX_OK);
	CHECK_INT(t, del(f->st, "r/2", NULL, &r), MCX_OK);
	user_fill(&u, "sip:bob@example.org", "bob", "example.org", 0);
	CHECK_INT(t, store_user_put(f->st, &u), MCX_OK);
	CHECK_INT(t, store_meta_put(f->st, "k", "v", 1), MCX_OK);
	CHECK_INT(t, fx_reopen(f), MCX_OK);

	CHECK_INT(t, store_get(f->st, "r/1", &d), MCX_OK);
	CHECK_MEM(t, d->bytes, d->len, "two", 3);
	CHECK_INT(t, d->version, 2);
	store_doc_deref(d);
	CHECK_INT(t, store_get(f->st, "r/2", &d), MCX_ENOENT);
	CHECK_INT(t, store_history(f->st, "r/2", count_version, &versions), MCX_OK);
	CHECK_INT(t, versions, 2);
	CHECK_INT(t, put(f->st, "r/2", "back", NULL, &r), MCX_OK);
	CHECK_INT(t, r.version, 3);
	CHECK_INT(t, store_user_get(f->st, "sip:bob@example.org", &got), MCX_OK);
	CHECK_STR(t, got->name, "bob");
	store_user_free(got);
	CHECK_INT(t, store_meta_get(f->st, "k", &val, &len), MCX_OK);
	CHECK_MEM(t, val, len, "v", 1);
	mcx_free(val);
}

static void store_reopen(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, reopen_body);
}

static int user_one(const struct store_user *u, void *arg)
{
	struct listing *l = arg;

	if (l->n < 16)
		snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s", u->xui);
	l->n++;
	return 0;
}

static void users_body(struct test_ctx *t, struct fx *f)
{
	struct store_user u, *got = NULL;
	struct listing l;

	user_fill(&u, "sip:alice@example.org", "alice", "example.org", STORE_ROLE_ADMIN);
	CHECK_INT(t, store_user_put(f->st, &u), MCX_OK);
	user_fill(&u, "sip:al@other.org", "alice", "other.org", 0);
	CHECK_INT(t, store_user_put(f->st, &u), MCX_OK);

	CHECK_INT(t, store_user_get(f->st, "sip:alice@example.org", &got), MCX_OK);
	CHECK_STR(t, got->xui, "sip:alice@example.org");
	CHECK_STR(t, got->name, "alice");
	CHECK_STR(t, got->domain, "example.org");
	CHECK_INT(t, got->roles, STORE_ROLE_ADMIN);
	CHECK_INT(t, strlen(got->ha1_md5_full), 32);
	CHECK_INT(t, got->ha1_sha256_short[0], 'd');
	CHECK_INT(t, strlen(got->ha1_sha256_short), 64);
	CHECK_INT(t, got->created, 1700000000);
	store_user_free(got);

	CHECK_INT(t, store_user_find(f->st, "alice", "example.org", &got), MCX_OK);
	CHECK_STR(t, got->xui, "sip:alice@example.org");
	store_user_free(got);
	CHECK_INT(t, store_user_find(f->st, "alice@example.org", "example.org", &got), MCX_OK);
	CHECK_STR(t, got->xui, "sip:alice@example.org");
	store_user_free(got);
	CHECK_INT(t, store_user_find(f->st, "alice", "other.org", &got), MCX_OK);
	CHECK_STR(t, got->xui, "sip:al@other.org");
	store_user_free(got);
	CHECK_INT(t, store_user_find(f->st, "alice@other.org", "example.org", &got), MCX_ENOENT);
	CHECK_INT(t, store_user_find(f->st, "alice@example.org", "other.org", &got), MCX_ENOENT);
	CHECK_INT(t, store_user_find(f->st, "ali", "example.org", &got), MCX_ENOENT);
	CHECK_INT(t, store_user_find(f->st, "alice", "nowhere", &got), MCX_ENOENT);

	/* put again updates, keeps created; a second xui for the same name clashes */
	user_fill(&u, "sip:alice@example.org", "alice", "example.org", 0);
	u.created = 5;
	CHECK_INT(t, store_user_put(f->st, &u), MCX_OK);
	CHECK_INT(t, store_user_get(f->st, "sip:alice@example.org", &got), MCX_OK);
	CHECK_INT(t, got->roles, 0);
	CHECK_INT(t, got->created, 1700000000);
	store_user_free(got);
	user_fill(&u, "tel:+46700", "alice", "example.org", 0);
	CHECK_INT(t, store_user_put(f->st, &u), MCX_EEXIST);

	memset(&l, 0, sizeof(l));
	CHECK_INT(t, store_user_list(f->st, user_one, &l), MCX_OK);
	CHECK_INT(t, l.n, 2);
	CHECK_STR(t, l.paths[0], "sip:al@other.org");
	CHECK_STR(t, l.paths[1], "sip:alice@example.org");

	CHECK_INT(t, store_user_del(f->st, "sip:alice@example.org"), MCX_OK);
	CHECK_INT(t, store_user_del(f->st, "sip:alice@example.org"), MCX_ENOENT);
	CHECK_INT(t, store_user_get(f->st, "sip:alice@example.org", &got), MCX_ENOENT);
	CHECK_INT(t, store_user_find(f->st, "alice", "example.org", &got), MCX_ENOENT);
}

static void store_users(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, users_body);
}

static void meta_body(struct test_ctx *t, struct fx *f)
{
	char *val = NULL;
	size_t len = 99;

	CHECK_INT(t, store_meta_get(f->st, "secret", &val, &len), MCX_ENOENT);
	CHECK_INT(t, store_meta_put(f->st, "secret", "a\0b", 3), MCX_OK);
	CHECK_INT(t, store_meta_get(f->st, "secret", &val, &len), MCX_OK);
	CHECK_MEM(t, val, len, "a\0b", 3);
	mcx_free(val);
	CHECK_INT(t, store_meta_put(f->st, "secret", "xyz!", 4), MCX_OK);
	CHECK_INT(t, store_meta_get(f->st, "secret", &val, &len), MCX_OK);
	CHECK_MEM(t, val, len, "xyz!", 4);
	CHECK_INT(t, val[4], '\0');
	mcx_free(val);
	CHECK_INT(t, store_meta_put(f->st, "empty", NULL, 0), MCX_OK);
	CHECK_INT(t, store_meta_get(f->st, "empty", &val, &len), MCX_OK);
	CHECK_INT(t, len, 0);
	mcx_free(val);
}

static void store_meta(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, meta_body);
}

/* ---- open errors, docs, OOM ---- */

static void store_open_errors(struct test_ctx *t)
{
	struct store_opts o = { .sync_full = false };
	struct mcx_store *st = NULL;
	char dir[64], sub[128], eb[256];
	struct stat sb;
	FILE *fp;
	enum mcx_err err;

	snprintf(dir, sizeof(dir), "/tmp/mcx-store-XXXXXX");
	CHECK(t, mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
	o.dir = sub;
	err = store_open(&st, &o, eb, sizeof(eb));
	if (!err) {
		err = stat(sub, &sb) ? MCX_EIO : MCX_OK;
		if (!err && (sb.st_mode & 0777) != 0700)
			err = MCX_EINTERNAL;
		store_close(st);
	}
	if (!err) {
		snprintf(sub, sizeof(sub), "%s/file", dir);
		fp = fopen(sub, "w");
		if (fp)
			fclose(fp);
		st = NULL;
		err = store_open(&st, &o, eb, sizeof(eb)) == MCX_OK ? MCX_EINTERNAL : MCX_OK;
		if (!err && (!strstr(eb, sub) || st))
			err = MCX_EINTERNAL;
	}
	if (!err) {
		snprintf(sub, sizeof(sub), "%s/bad", dir);
		mkdir(sub, 0700);
		snprintf(sub, sizeof(sub), "%s/bad/mcx.db", dir);
		fp = fopen(sub, "w");
		if (fp) {
			fputs("this is not an SQLite database, not at all, not even close", fp);
			fclose(fp);
		}
		snprintf(sub, sizeof(sub), "%s/bad", dir);
		err = store_open(&st, &o, eb, sizeof(eb)) == MCX_OK ? MCX_EINTERNAL : MCX_OK;
		if (!err && !strstr(eb, "bad/mcx.db: file is not a database"))
			err = MCX_EINTERNAL;
	}
	rm_rf(dir);
	if (err)
		test_fail(t, __FILE__, __LINE__, "%s (errbuf: %s)", mcx_strerror(err), eb);
}

static int aux_frees;

static void aux_free(void *p)
{
	aux_frees++;
	mcx_free(p);
}

static void store_doc_refs(struct test_ctx *t)
{
	struct store_doc *d = store_doc_alloc("p", "abc", 3, "e", 7, 1, NULL);
	void *a, *b, *got;

	if (!d && t->in_oom)
		return;
	CHECK(t, d != NULL);
	CHECK_STR(t, d->author, "");
	CHECK_STR(t, d->bytes, "abc");
	CHECK(t, store_doc_aux(d, NULL, NULL) == NULL);
	a = mcx_malloc(1);
	b = mcx_malloc(1);
	if (!a || !b) {
		mcx_free(a);
		mcx_free(b);
		store_doc_deref(d);
		return;
	}
	aux_frees = 0;
	CHECK(t, store_doc_aux(d, a, aux_free) == a);
	CHECK(t, store_doc_ref(d) == d);
	got = store_doc_aux(d, b, aux_free);
	CHECK(t, got == a);
	CHECK_INT(t, aux_frees, 1);
	CHECK(t, store_doc_aux(d, NULL, NULL) == a);
	store_doc_deref(d);
	CHECK_INT(t, aux_frees, 1);
	store_doc_deref(d);
	CHECK_INT(t, aux_frees, 2);
	CHECK(t, store_doc_alloc("p", "", 0, "0123456789012345678901234567890123456789012345678",
				 1, 1, "x") == NULL);
}

/* Every allocation on the test thread may fail: only MCX_ENOMEM comes back,
 * and nothing leaks. */
static void oom_body(struct test_ctx *t, struct fx *f)
{
	struct store_result r;
	struct store_doc *d = NULL;
	struct store_user u, *got = NULL;
	struct listing l;
	char *val = NULL;
	size_t len;
	int events = 0;
	enum mcx_err err;

	err = store_listen(f->st, count_change_h, &events);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	CHECK_INT(t, put(f->st, "o/1", "one", NULL, &r), MCX_OK);
	err = store_get(f->st, "o/1", &d);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	store_doc_deref(d);
	memset(&l, 0, sizeof(l));
	err = store_list(f->st, "o/", list_one, &l);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	user_fill(&u, "sip:o@x", "o", "x", 0);
	CHECK_INT(t, store_user_put(f->st, &u), MCX_OK);
	err = store_user_find(f->st, "o@x", "x", &got);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	store_user_free(got);
	CHECK_INT(t, store_meta_put(f->st, "m", "v", 1), MCX_OK);
	err = store_meta_get(f->st, "m", &val, &len);
	OOM_OK(t, err);
	CHECK_INT(t, err, MCX_OK);
	mcx_free(val);
	CHECK_INT(t, events, 1);
}

static void store_oom(struct test_ctx *t)
{
	with_store(t, 0, 1 << 20, oom_body);
}

const struct test tests_store[] = {
	{ "store_crud", store_crud, false },
	{ "store_conflict", store_conflict, false },
	{ "store_same_bytes", store_same_bytes, false },
	{ "store_history", store_history_versions, false },
	{ "store_retention", store_retention, false },
	{ "store_list_prefix", store_list_prefix, false },
	{ "store_listen_events", store_listen_events, false },
	{ "store_batch", store_batch, false },
	{ "store_concurrent", store_concurrent, false },
	{ "store_readers", store_readers, false },
	{ "store_no_cache", store_no_cache, false },
	{ "store_small_cache", store_small_cache, false },
	{ "store_foreign", store_foreign, false },
	{ "store_sync_foreign", store_sync_foreign, false },
	{ "store_reopen", store_reopen, false },
	{ "store_users", store_users, false },
	{ "store_meta", store_meta, false },
	{ "store_open_errors", store_open_errors, false },
	{ "store_doc_refs", store_doc_refs, true },
	{ "store_oom", store_oom, true },
	{ NULL, NULL, false }
};
