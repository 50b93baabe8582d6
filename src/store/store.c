/* The backend-independent store: document refcounts, the cache of current
 * documents, group commit and change listeners, over a backend table. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "store"
#include "core/log.h"
#include "core/mem.h"
#include "store/backend.h"
#include "core/banned.h"

/* The cache is split in shards, each with its own lock, LRU list and share
 * of opts->cache_max, so concurrent readers rarely meet on one lock. */
#define CACHE_SHARDS 16
#define CACHE_BUCKETS_MIN 64
#define POLL_MS_DEFAULT 1000   /* when opts->poll_ms <= 0 */

struct cache_ent {
	struct store_doc *doc;      /* one reference held by the cache */
	uint64_t hash;
	size_t cost;
	struct cache_ent *hnext;    /* bucket chain */
	struct cache_ent *prev;     /* LRU list: head is the most recent */
	struct cache_ent *next;
};

struct cache_shard {
	pthread_mutex_t lock;
	struct cache_ent **tab;
	size_t nbuckets;            /* 0 or a power of two */
	size_t count;
	size_t bytes;
	size_t max;
	/* Bumped by every commit that touches a path of this shard: a reader
	 * that missed fills the cache only if no commit came in between. */
	unsigned long long gen;
	struct cache_ent *head;
	struct cache_ent *tail;
};

struct listener {
	store_change_h *h;
	void *arg;
	void (*arg_free)(void *);   /* run on arg at store_close */
	struct listener *next;      /* read without the lock: atomic */
};

/* A committer waiting in the group-commit queue (on its own stack). */
struct commit_req {
	struct store_item it;
	pthread_cond_t cond;
	bool done;
	struct commit_req *next;
};

struct mcx_store {
	const struct store_backend *ops;
	void *be;
	struct cache_shard shards[CACHE_SHARDS];
	pthread_mutex_t qlock;      /* the queue and the leading flag */
	struct commit_req *qhead;
	struct commit_req *qtail;
	bool leading;               /* a thread is running a group */
	pthread_mutex_t llock;      /* serializes store_listen */
	struct listener *lhead;     /* read without the lock: atomic */
	struct listener *ltail;
	/* Other processes' commits: the cache reflects every change up to
	 * seen_seq; a gap before our own next seq, or a poll of the newest
	 * seq, finds the others and drops their paths from the cache. */
	pthread_mutex_t slock;      /* seen_seq, and one sync at a time */
	long long seen_seq;
	long long poll_ms;
	long long next_poll;        /* monotonic ms; atomic */
};

/* ---- documents ---- */

struct store_doc *store_doc_alloc(const char *path, const char *bytes, size_t len,
				  const char *etag, long long version,
				  long long mtime, const char *author)
{
	size_t plen = strlen(path), elen = strlen(etag), alen;
	struct store_doc *d;
	char *p;

	if (!author)
		author = "";
	alen = strlen(author);
	if (elen >= STORE_ETAG_MAX || len > SIZE_MAX / 2 - plen - alen - sizeof(*d))
		return NULL;
	d = mcx_malloc(sizeof(*d) + plen + len + alen + 3);
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	p = (char *)(d + 1);
	d->path = memcpy(p, path, plen + 1);
	p += plen + 1;
	d->bytes = p;
	if (len)
		memcpy(p, bytes, len);
	p[len] = '\0';
	p += len + 1;
	d->author = memcpy(p, author, alen + 1);
	d->len = len;
	memcpy(d->etag, etag, elen + 1);
	d->version = version;
	d->mtime = mtime;
	d->refs = 1;
	return d;
}

struct store_doc *store_doc_ref(struct store_doc *d)
{
	if (d)
		__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return d;
}

void store_doc_deref(struct store_doc *d)
{
	if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (d->aux && d->aux_free)
		d->aux_free(d->aux);
	mcx_free(d);
}

/* The winner of the compare-exchange also sets aux_free; only the last
 * deref reads it, and the refcount orders that read after this write. */
void *store_doc_aux(struct store_doc *d, void *aux, void (*aux_free)(void *))
{
	void *cur = NULL;

	if (!aux)
		return __atomic_load_n(&d->aux, __ATOMIC_ACQUIRE);
	if (__atomic_compare_exchange_n(&d->aux, &cur, aux, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		d->aux_free = aux_free;
		return aux;
	}
	if (aux_free)
		aux_free(aux);
	return cur;
}

/* ---- cache ---- */

static uint64_t hash_path(const char *s)
{
	uint64_t h = 14695981039346656037ull;   /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static struct cache_shard *shard_of(struct mcx_store *st, uint64_t h)
{
	return &st->shards[(h >> 59) % CACHE_SHARDS];
}

static size_t doc_cost(size_t pathlen, size_t len, size_t authorlen)
{
	return sizeof(struct cache_ent) + sizeof(struct store_doc) +
	       pathlen + len + authorlen + 3;
}

static struct cache_ent *shard_find(struct cache_shard *sh, const char *path,
				    uint64_t h)
{
	struct cache_ent *e;

	if (!sh->nbuckets)
		return NULL;
	for (e = sh->tab[h & (sh->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && !strcmp(e->doc->path, path))
			return e;
	return NULL;
}

static void lru_unlink(struct cache_shard *sh, struct cache_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		sh->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		sh->tail = e->prev;
}

static void lru_push(struct cache_shard *sh, struct cache_ent *e)
{
	e->prev = NULL;
	e->next = sh->head;
	if (sh->head)
		sh->head->prev = e;
	else
		sh->tail = e;
	sh->head = e;
}

static void shard_remove(struct cache_shard *sh, struct cache_ent *e)
{
	struct cache_ent **pp = &sh->tab[e->hash & (sh->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(sh, e);
	sh->count--;
	sh->bytes -= e->cost;
	store_doc_deref(e->doc);
	mcx_free(e);
}

/* Doubles the table; on allocation failure the old one stays (still valid). */
static void shard_grow(struct cache_shard *sh)
{
	size_t n = sh->nbuckets ? sh->nbuckets * 2 : CACHE_BUCKETS_MIN, i;
	struct cache_ent **tab = mcx_calloc(n, sizeof(*tab));
	struct cache_ent *e, *next;

	if (!tab)
		return;
	for (i = 0; i < sh->nbuckets; i++) {
		for (e = sh->tab[i]; e; e = next) {
			next = e->hnext;
			e->hnext = tab[e->hash & (n - 1)];
			tab[e->hash & (n - 1)] = e;
		}
	}
	mcx_free(sh->tab);
	sh->tab = tab;
	sh->nbuckets = n;
}

/* Caches d (taking a reference) if it fits; no entry for its path exists.
 * Failing to allocate only means the doc is not cached. */
static void shard_insert(struct cache_shard *sh, struct store_doc *d, uint64_t h)
{
	size_t cost = doc_cost(strlen(d->path), d->len, strlen(d->author));
	struct cache_ent *e;

	if (cost > sh->max)
		return;
	while (sh->tail && sh->bytes + cost > sh->max)
		shard_remove(sh, sh->tail);
	if (sh->count >= sh->nbuckets)
		shard_grow(sh);
	if (!sh->nbuckets)
		return;
	e = mcx_malloc(sizeof(*e));
	if (!e)
		return;
	e->doc = store_doc_ref(d);
	e->hash = h;
	e->cost = cost;
	e->hnext = sh->tab[h & (sh->nbuckets - 1)];
	sh->tab[h & (sh->nbuckets - 1)] = e;
	lru_push(sh, e);
	sh->count++;
	sh->bytes += cost;
}

/* A new reference to the cached current version, or NULL. *genp gets the
 * shard generation to pass to cache_fill after a miss. */
static struct store_doc *cache_get(struct mcx_store *st, const char *path,
				   unsigned long long *genp)
{
	uint64_t h = hash_path(path);
	struct cache_shard *sh = shard_of(st, h);
	struct store_doc *d = NULL;
	struct cache_ent *e;

	pthread_mutex_lock(&sh->lock);
	e = shard_find(sh, path, h);
	if (e) {
		lru_unlink(sh, e);
		lru_push(sh, e);
		d = store_doc_ref(e->doc);
	}
	*genp = sh->gen;
	pthread_mutex_unlock(&sh->lock);
	return d;
}

/* Caches a version read from the backend, unless a commit touched the
 * shard since cache_get (the version read may already be stale). */
static void cache_fill(struct mcx_store *st, struct store_doc *d,
		       unsigned long long gen)
{
	uint64_t h = hash_path(d->path);
	struct cache_shard *sh = shard_of(st, h);

	pthread_mutex_lock(&sh->lock);
	if (sh->gen == gen && !shard_find(sh, d->path, h))
		shard_insert(sh, d, h);
	pthread_mutex_unlock(&sh->lock);
}

/* After a commit: path's current version is now d (NULL: drop it). */
static void cache_set(struct mcx_store *st, const char *path, struct store_doc *d)
{
	uint64_t h = hash_path(path);
	struct cache_shard *sh = shard_of(st, h);
	struct cache_ent *e;

	pthread_mutex_lock(&sh->lock);
	sh->gen++;
	e = shard_find(sh, path, h);
	if (e)
		shard_remove(sh, e);
	if (d)
		shard_insert(sh, d, h);
	pthread_mutex_unlock(&sh->lock);
}

/* Forgets everything (when we cannot tell what another process changed). */
static void cache_clear(struct mcx_store *st)
{
	size_t i;

	for (i = 0; i < CACHE_SHARDS; i++) {
		struct cache_shard *sh = &st->shards[i];

		pthread_mutex_lock(&sh->lock);
		sh->gen++;
		while (sh->tail)
			shard_remove(sh, sh->tail);
		pthread_mutex_unlock(&sh->lock);
	}
}

static void cache_init(struct mcx_store *st, size_t max)
{
	size_t i;

	for (i = 0; i < CACHE_SHARDS; i++) {
		pthread_mutex_init(&st->shards[i].lock, NULL);
		st->shards[i].max = max / CACHE_SHARDS;
	}
}

static void cache_free(struct mcx_store *st)
{
	size_t i;

	for (i = 0; i < CACHE_SHARDS; i++) {
		struct cache_shard *sh = &st->shards[i];

		while (sh->tail)
			shard_remove(sh, sh->tail);
		mcx_free(sh->tab);
		pthread_mutex_destroy(&sh->lock);
	}
}

/* ---- other processes' commits ---- */

struct forget {
	struct mcx_store *st;
	long long max;
	long long ours; /* first seq of our own group being published; else 0 */
};

static void tell_listeners(struct mcx_store *st, const struct store_change *c)
{
	struct listener *l;

	for (l = __atomic_load_n(&st->lhead, __ATOMIC_ACQUIRE); l;
	     l = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE))
		l->h(c, l->arg);
}

/* Another process's change (or one of our group, >= ours, which publish()
 * tells itself): dropped from the cache, and given to the listeners, so
 * every writer's change reaches them, in commit order. */
static void forget_one(const struct store_change *c, void *arg)
{
	struct forget *fg = arg;

	cache_set(fg->st, c->path, NULL);
	if (c->seq > fg->max)
		fg->max = c->seq;
	if (!fg->ours || c->seq < fg->ours)
		tell_listeners(fg->st, c);
}

/* Drops from the cache every path changed after seen_seq and tells the
 * listeners of those before ours (0: all). Called with slock held, which
 * keeps groups (lead) out meanwhile, so nothing of ours is mistaken for
 * another process's. */
static void forget_foreign(struct mcx_store *st, long long ours)
{
	struct forget fg = { st, st->seen_seq, ours };

	if (st->ops->changes_since(st->be, st->seen_seq, forget_one, &fg)) {
		cache_clear(st);
		return;
	}
	st->seen_seq = fg.max;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* At most once per poll_ms, by one reader at a time (the others go on). */
static void poll_foreign(struct mcx_store *st)
{
	long long now = mono_ms(), last = 0;

	if (now < __atomic_load_n(&st->next_poll, __ATOMIC_RELAXED) ||
	    pthread_mutex_trylock(&st->slock))
		return;
	__atomic_store_n(&st->next_poll, now + st->poll_ms, __ATOMIC_RELAXED);
	if (st->ops->last_seq(st->be, &last))
		cache_clear(st);
	else if (last > st->seen_seq)
		forget_foreign(st, 0);
	pthread_mutex_unlock(&st->slock);
}

void store_sync(struct mcx_store *st)
{
	__atomic_store_n(&st->next_poll, 0, __ATOMIC_RELAXED);
	poll_foreign(st);
}

/* Before publishing a group (slock held): a gap between seen_seq and the
 * group's first seq means another process committed in between. */
static void catch_up(struct mcx_store *st, struct store_item **items, size_t n)
{
	long long first = 0, last = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i]->err || !items[i]->r->changed)
			continue;
		if (!first)
			first = items[i]->seq;
		last = items[i]->seq;
	}
	if (!first)
		return;
	if (first > st->seen_seq + 1)
		forget_foreign(st, first);
	if (last > st->seen_seq)
		st->seen_seq = last;
}

/* ---- group commit ---- */

static void notify(struct mcx_store *st, const struct store_item *it)
{
	const struct store_commit *c = it->c;
	struct store_change ch = {
		.seq = it->seq,
		.path = c->path,
		.prev_etag = it->r->prev_etag,
		.new_etag = c->bytes ? c->etag : "",
		.version = it->r->version,
		.author = c->author ? c->author : "",
	};

	tell_listeners(st, &ch);
}

/* The new version goes into the cache when it fits; otherwise (or when
 * the copy cannot be allocated) the old one is only dropped. */
static void publish(struct mcx_store *st, const struct store_item *it)
{
	const struct store_commit *c = it->c;
	const char *author = c->author ? c->author : "";
	struct store_doc *d = NULL;
	size_t cost;

	if (c->bytes) {
		cost = doc_cost(strlen(c->path), c->len, strlen(author));
		if (cost <= st->shards[0].max)
			d = store_doc_alloc(c->path, c->bytes, c->len, c->etag,
					    it->r->version, it->mtime, author);
	}
	cache_set(st, c->path, d);
	store_doc_deref(d);
	notify(st, it);
}

/* Called and returns with qlock held; runs one group with it released. */
static void lead(struct mcx_store *st)
{
	struct commit_req *batch[STORE_BATCH_MAX];
	struct store_item *items[STORE_BATCH_MAX];
	size_t n = 0, i;

	st->leading = true;
	for (; st->qhead && n < STORE_BATCH_MAX; n++) {
		batch[n] = st->qhead;
		items[n] = &st->qhead->it;
		st->qhead = st->qhead->next;
	}
	if (!st->qhead)
		st->qtail = NULL;
	pthread_mutex_unlock(&st->qlock);

	/* slock from the write to the last listener: a poll for other
	 * processes' changes never sees this group half published */
	pthread_mutex_lock(&st->slock);
	st->ops->commit(st->be, items, n);
	catch_up(st, items, n);
	for (i = 0; i < n; i++)
		if (!items[i]->err && items[i]->r->changed)
			publish(st, items[i]);
	pthread_mutex_unlock(&st->slock);

	pthread_mutex_lock(&st->qlock);
	for (i = 0; i < n; i++) {
		batch[i]->done = true;
		pthread_cond_signal(&batch[i]->cond);
	}
	st->leading = false;
	if (st->qhead)
		pthread_cond_signal(&st->qhead->cond);  /* the next leader */
}

/* Called with qlock held. req lives on its committer's stack: the leader
 * unlinks it before setting done, and the committer waits for done. */
static void enqueue(struct mcx_store *st, struct commit_req *req)
{
	if (st->qtail)
		st->qtail->next = req;
	else
		st->qhead = req;
	st->qtail = req;
}

static enum mcx_err commit_check(const struct store_commit *c)
{
	if (!c->path || !*c->path)
		return MCX_EINVAL;
	if (c->expect_etag && strlen(c->expect_etag) >= STORE_ETAG_MAX)
		return MCX_EINVAL;
	if (c->bytes && (!c->etag || !*c->etag || strlen(c->etag) >= STORE_ETAG_MAX))
		return MCX_EINVAL;
	return MCX_OK;
}

enum mcx_err store_commit(struct mcx_store *st, const struct store_commit *c,
			  struct store_result *r)
{
	struct commit_req req;
	enum mcx_err err;

	memset(r, 0, sizeof(*r));
	err = commit_check(c);
	if (err) {
		log_warn("commit %s: invalid request", c->path ? c->path : "(null)");
		return err;
	}
	memset(&req, 0, sizeof(req));
	req.it.c = c;
	req.it.r = r;
	pthread_cond_init(&req.cond, NULL);

	pthread_mutex_lock(&st->qlock);
	enqueue(st, &req);
	while (!req.done) {
		if (!st->leading)
			lead(st);
		else
			pthread_cond_wait(&req.cond, &st->qlock);
	}
	pthread_mutex_unlock(&st->qlock);
	pthread_cond_destroy(&req.cond);
	return req.it.err;
}

/* ---- open, close, listeners ---- */

enum mcx_err store_open(struct mcx_store **stp, const struct store_opts *o,
			char *errbuf, size_t errlen)
{
	struct mcx_store *st;
	enum mcx_err err;

	if (errlen)
		errbuf[0] = '\0';
	if (!o || !o->dir || !*o->dir) {
		if (errlen)
			snprintf(errbuf, errlen, "store: no data directory");
		return MCX_EINVAL;
	}
	st = mcx_calloc(1, sizeof(*st));
	if (!st) {
		if (errlen)
			snprintf(errbuf, errlen, "store: out of memory");
		return MCX_ENOMEM;
	}
	st->ops = &store_backend_sqlite;
	err = st->ops->open(&st->be, o, errbuf, errlen);
	if (!err) {
		err = st->ops->last_seq(st->be, &st->seen_seq);
		if (err) {
			st->ops->close(st->be);
			if (errlen)
				snprintf(errbuf, errlen, "%s: cannot read the change log: %s",
					 o->dir, mcx_strerror(err));
		}
	}
	if (err) {
		log_err("%s", errlen ? errbuf : mcx_strerror(err));
		mcx_free(st);
		return err;
	}
	st->poll_ms = o->poll_ms > 0 ? o->poll_ms : POLL_MS_DEFAULT;
	st->next_poll = mono_ms() + st->poll_ms;
	cache_init(st, o->cache_max);
	pthread_mutex_init(&st->qlock, NULL);
	pthread_mutex_init(&st->llock, NULL);
	pthread_mutex_init(&st->slock, NULL);
	*stp = st;
	return MCX_OK;
}

void store_close(struct mcx_store *st)
{
	struct listener *l, *next;

	if (!st)
		return;
	st->ops->close(st->be);
	cache_free(st);
	for (l = st->lhead; l; l = next) {
		next = l->next;
		if (l->arg_free)
			l->arg_free(l->arg);
		mcx_free(l);
	}
	pthread_mutex_destroy(&st->qlock);
	pthread_mutex_destroy(&st->llock);
	pthread_mutex_destroy(&st->slock);
	mcx_free(st);
}

enum mcx_err store_listen(struct mcx_store *st, store_change_h *h, void *arg)
{
	return store_listen_owned(st, h, arg, NULL);
}

enum mcx_err store_listen_owned(struct mcx_store *st, store_change_h *h, void *arg,
				void (*arg_free)(void *))
{
	struct listener *l = mcx_calloc(1, sizeof(*l));

	if (!l)
		return MCX_ENOMEM;
	l->h = h;
	l->arg = arg;
	l->arg_free = arg_free;
	pthread_mutex_lock(&st->llock);
	if (st->ltail)
		__atomic_store_n(&st->ltail->next, l, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&st->lhead, l, __ATOMIC_RELEASE);
	st->ltail = l;
	pthread_mutex_unlock(&st->llock);
	return MCX_OK;
}

/* ---- reads ---- */

enum mcx_err store_get(struct mcx_store *st, const char *path, struct store_doc **docp)
{
	unsigned long long gen;
	struct store_doc *d;
	enum mcx_err err;

	if (!path)
		return MCX_EINVAL;
	poll_foreign(st);
	d = cache_get(st, path, &gen);
	if (!d) {
		err = st->ops->get(st->be, path, 0, &d);
		if (err)
			return err;
		cache_fill(st, d, gen);
	}
	*docp = d;
	return MCX_OK;
}

enum mcx_err store_get_version(struct mcx_store *st, const char *path,
			       long long version, struct store_doc **docp)
{
	if (!path)
		return MCX_EINVAL;
	if (version < 1)
		return MCX_ENOENT;
	return st->ops->get(st->be, path, version, docp);
}

enum mcx_err store_list(struct mcx_store *st, const char *prefix,
			store_list_h *h, void *arg)
{
	return st->ops->list(st->be, prefix ? prefix : "", h, arg);
}

enum mcx_err store_history(struct mcx_store *st, const char *path,
			   store_history_h *h, void *arg)
{
	if (!path)
		return MCX_EINVAL;
	return st->ops->history(st->be, path, h, arg);
}

enum mcx_err store_changes_since(struct mcx_store *st, long long after,
				 store_change_h *h, void *arg)
{
	return st->ops->changes_since(st->be, after, h, arg);
}

/* ---- accounts and meta ---- */

void store_user_free(struct store_user *u)
{
	if (!u)
		return;
	mcx_free(u->xui);
	mcx_free(u->name);
	mcx_free(u->domain);
	mcx_free(u);
}

enum mcx_err store_user_put(struct mcx_store *st, const struct store_user *u)
{
	if (!u || !u->xui || !*u->xui || !u->name || !u->domain)
		return MCX_EINVAL;
	return st->ops->user_put(st->be, u);
}

enum mcx_err store_user_get(struct mcx_store *st, const char *xui,
			    struct store_user **up)
{
	if (!xui)
		return MCX_EINVAL;
	return st->ops->user_get(st->be, xui, up);
}

/* "alice@example.org" matches name "alice" in domain "example.org", and only
 * when the realm is that domain; "alice" matches name "alice" in the realm. */
enum mcx_err store_user_find(struct mcx_store *st, const char *username,
			     const char *realm, struct store_user **up)
{
	const char *at;

	if (!username || !realm)
		return MCX_EINVAL;
	at = strrchr(username, '@');
	if (!at)
		return st->ops->user_find(st->be, username, strlen(username), realm, up);
	if (strcmp(at + 1, realm))
		return MCX_ENOENT;
	return st->ops->user_find(st->be, username, (size_t)(at - username), realm, up);
}

enum mcx_err store_user_del(struct mcx_store *st, const char *xui)
{
	if (!xui)
		return MCX_EINVAL;
	return st->ops->user_del(st->be, xui);
}

enum mcx_err store_user_list(struct mcx_store *st, store_user_h *h, void *arg)
{
	return st->ops->user_list(st->be, h, arg);
}

enum mcx_err store_meta_get(struct mcx_store *st, const char *key,
			    char **valp, size_t *lenp)
{
	if (!key)
		return MCX_EINVAL;
	return st->ops->meta_get(st->be, key, valp, lenp);
}

enum mcx_err store_meta_put(struct mcx_store *st, const char *key,
			    const void *val, size_t len)
{
	if (!key || (!val && len))
		return MCX_EINVAL;
	return st->ops->meta_put(st->be, key, val, len);
}

/* ---- subscriptions ---- */

enum mcx_err store_sub_put(struct mcx_store *st, const char *id, const void *data, size_t len)
{
	if (!id || !*id || (!data && len))
		return MCX_EINVAL;
	return st->ops->sub_put(st->be, id, data, len);
}

enum mcx_err store_sub_get(struct mcx_store *st, const char *id, char **datap, size_t *lenp,
			   unsigned *flagsp)
{
	if (!id || !datap)
		return MCX_EINVAL;
	return st->ops->sub_get(st->be, id, datap, lenp, flagsp);
}

enum mcx_err store_sub_mark(struct mcx_store *st, const char *id, unsigned flags)
{
	if (!id)
		return MCX_EINVAL;
	return st->ops->sub_mark(st->be, id, flags);
}

enum mcx_err store_sub_del(struct mcx_store *st, const char *id)
{
	if (!id)
		return MCX_EINVAL;
	return st->ops->sub_del(st->be, id);
}

enum mcx_err store_sub_list(struct mcx_store *st, bool flagged, store_sub_h *h, void *arg)
{
	if (!h)
		return MCX_EINVAL;
	return st->ops->sub_list(st->be, flagged, h, arg);
}
