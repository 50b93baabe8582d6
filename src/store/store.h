/* The document and account store: one interface, backends behind it
 * (sqlite.c now, pg.c later). Documents are bytes keyed by their canonical
 * document path ("<auid>/users/<xui>/<name>" or "<auid>/global/<name>",
 * percent-decoded). Every version of every document is kept (history) within
 * the configured retention. Thread-safe: any thread may call any function.
 *
 * THE commit path: store_commit() is the only function that changes a
 * document. It returns only once the change is durable (fsync'ed), and every
 * successful commit that changes bytes produces exactly one change event. */
#ifndef MCX_STORE_STORE_H
#define MCX_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "mcx/mcx.h"

#define STORE_ETAG_MAX 48   /* ETag text, without quotes, NUL included */

struct mcx_store;

struct store_opts {
	const char *dir;          /* data directory; created if missing */
	long long history_keep;   /* versions kept per document; 0 = all */
	size_t cache_max;         /* bytes of current documents kept in memory */
	bool sync_full;           /* fsync every commit (durable on power loss) */
	long long busy_timeout_ms; /* wait for another process's lock; <= 0: 5 s */
	/* Other processes may commit too (the mcx tool beside mcxd): the cache
	 * drops what they changed at our next commit, or within this many ms
	 * on reads. <= 0: 1000. */
	long long poll_ms;
};

/* A document version. Refcounted and immutable once returned: share it
 * freely between threads; release with store_doc_deref(). */
struct store_doc {
	char *path;
	char *bytes;              /* NUL-terminated for convenience; len excludes it */
	size_t len;
	char etag[STORE_ETAG_MAX];
	long long version;        /* 1, 2, ... per path, never reused */
	long long mtime;          /* unix seconds */
	char *author;             /* XUI or tool name that committed it */
	/* private */
	int refs;                 /* changed with __atomic builtins only */
	void *aux;                /* derived data attached once (e.g. an XML index) */
	void (*aux_free)(void *);
};

/* A new doc (refs = 1) holding copies of path, bytes[0..len) and author
 * (NULL = ""), in one allocation; NULL on allocation failure or an etag
 * longer than STORE_ETAG_MAX - 1. For backends and tests. */
struct store_doc *store_doc_alloc(const char *path, const char *bytes, size_t len,
				  const char *etag, long long version,
				  long long mtime, const char *author);
struct store_doc *store_doc_ref(struct store_doc *d);
/* Drops one reference; the last one frees the doc and its aux. NULL is ok. */
void store_doc_deref(struct store_doc *d);
/* Attach derived data to a doc once; if another thread won the race, aux is
 * freed with aux_free and the winner's is returned. With aux NULL, returns
 * what is attached (NULL if nothing). aux is freed with the doc. */
void *store_doc_aux(struct store_doc *d, void *aux, void (*aux_free)(void *));

struct store_commit {
	const char *path;
	/* Precondition: NULL = none; "" = the document must not exist;
	 * otherwise the current ETag must equal it. Fails with MCX_ECONFLICT. */
	const char *expect_etag;
	const char *bytes;        /* NULL = delete the document */
	size_t len;
	const char *etag;         /* ETag of bytes (xcap/etag.c computes it) */
	const char *author;
};

/* On MCX_ECONFLICT, prev_etag and version describe the current document
 * ("" and 0 if there is none); on other errors the result is all zero. */
struct store_result {
	bool created;             /* no current version existed before */
	bool changed;             /* false: same bytes as current, nothing written */
	char prev_etag[STORE_ETAG_MAX];  /* "" if none */
	long long version;        /* version written (or current if unchanged) */
};

/* A committed change, given to change listeners after it is durable. */
struct store_change {
	long long seq;            /* store-wide sequence number */
	const char *path;
	const char *prev_etag;    /* "" when created */
	const char *new_etag;     /* "" when deleted */
	long long version;
	const char *author;
};

typedef void (store_change_h)(const struct store_change *c, void *arg);

MCX_WUR enum mcx_err store_open(struct mcx_store **stp, const struct store_opts *o,
				char *errbuf, size_t errlen);
void store_close(struct mcx_store *st);

/* Current version of path, or MCX_ENOENT. */
MCX_WUR enum mcx_err store_get(struct mcx_store *st, const char *path,
			       struct store_doc **docp);
/* A given version (also deleted documents' old versions), or MCX_ENOENT. */
MCX_WUR enum mcx_err store_get_version(struct mcx_store *st, const char *path,
				       long long version, struct store_doc **docp);
MCX_WUR enum mcx_err store_commit(struct mcx_store *st, const struct store_commit *c,
				  struct store_result *r);

/* Current documents whose path starts with prefix, in path order.
 * The callback returns non-zero to stop; path and etag are valid during the
 * call only. */
typedef int (store_list_h)(const char *path, const char *etag, size_t len,
			   long long mtime, void *arg);
MCX_WUR enum mcx_err store_list(struct mcx_store *st, const char *prefix,
				store_list_h *h, void *arg);

struct store_version {
	long long version;
	char etag[STORE_ETAG_MAX];  /* "" for a deletion */
	size_t len;
	long long mtime;
	const char *author;
	bool deleted;
};
/* v->author is valid during the call only; non-zero stops. */
typedef int (store_history_h)(const struct store_version *v, void *arg);
/* Versions of path, newest first. MCX_ENOENT if the path never existed. */
MCX_WUR enum mcx_err store_history(struct mcx_store *st, const char *path,
				   store_history_h *h, void *arg);

/* Change listeners run after the commit is durable, in commit order, one at
 * a time. Commits are grouped: the thread that runs them is the one leading
 * the group (one of the threads inside store_commit, not necessarily the
 * one whose change it is), before any store_commit of the group returns.
 * The cache already holds the new version, so store_get sees it. Handlers
 * must not call store_commit (deadlock) and should be quick: they delay
 * every committer of the group. store_listen may be called at any time; the
 * handler sees at least every change committed after it returns. Only this
 * store's commits are delivered as they happen; other processes' commits
 * (mcx, another mcxd on the same data directory) are found and delivered,
 * in seq order, before our next group, by a read at most poll_ms after
 * them, or by store_sync. The strings in c are valid during the call only. */
MCX_WUR enum mcx_err store_listen(struct mcx_store *st, store_change_h *h, void *arg);
/* The same; the store owns arg and runs arg_free(arg) at store_close. */
MCX_WUR enum mcx_err store_listen_owned(struct mcx_store *st, store_change_h *h, void *arg,
					void (*arg_free)(void *));
/* Look for other processes' commits now (drop them from the cache, give
 * them to the listeners). Listeners may run on the calling thread. */
void store_sync(struct mcx_store *st);
/* Changes with seq > after, oldest first (for feeds across processes).
 * The strings in c are valid during the call only. */
MCX_WUR enum mcx_err store_changes_since(struct mcx_store *st, long long after,
					 store_change_h *h, void *arg);

/* ---- accounts ---- */

#define STORE_ROLE_ADMIN 1u

struct store_user {
	char *xui;        /* "sip:alice@example.org" or "tel:+4670..." */
	char *name;       /* digest user part: "alice" */
	char *domain;     /* realm: "example.org" */
	unsigned roles;   /* STORE_ROLE_* */
	/* Digest HA1 = H(username ":" realm ":" password), lower-case hex, for the
	 * two username forms: "<name>@<domain>" (full) and "<name>" (short). */
	char ha1_md5_full[33];
	char ha1_md5_short[33];
	char ha1_sha256_full[65];
	char ha1_sha256_short[65];
	long long created;
};

/* Frees u, its xui, name and domain (all from core/mem.h). NULL is ok. */
void store_user_free(struct store_user *u);
/* Insert, or update the account with this xui (its created is kept; 0 on
 * insert = now). MCX_EEXIST if another xui has the same name and domain. */
MCX_WUR enum mcx_err store_user_put(struct mcx_store *st, const struct store_user *u);
MCX_WUR enum mcx_err store_user_get(struct mcx_store *st, const char *xui,
				    struct store_user **up);
/* Find by digest username ("alice" or "alice@example.org") and realm. */
MCX_WUR enum mcx_err store_user_find(struct mcx_store *st, const char *username,
				     const char *realm, struct store_user **up);
/* MCX_ENOENT if there is no such account. */
MCX_WUR enum mcx_err store_user_del(struct mcx_store *st, const char *xui);
/* u's strings are valid during the call only; non-zero stops. */
typedef int (store_user_h)(const struct store_user *u, void *arg);
MCX_WUR enum mcx_err store_user_list(struct mcx_store *st, store_user_h *h, void *arg);

/* Small named values kept with the data (server secrets, schema facts).
 * *valp gets a NUL-terminated copy the caller frees with mcx_free; lenp may
 * be NULL. MCX_ENOENT if the key is not set. */
MCX_WUR enum mcx_err store_meta_get(struct mcx_store *st, const char *key,
				    char **valp, size_t *lenp);
MCX_WUR enum mcx_err store_meta_put(struct mcx_store *st, const char *key,
				    const void *val, size_t len);

/* ---- subscriptions (the SIP notifier's, kept across restarts) ---- */

/* One row: an id, an opaque blob (the SIP layer's record) and flags the
 * store does not interpret except that non-zero ones can be listed alone
 * (the SIP layer: an end requested by `mcx sip end`). */
struct store_sub {
	const char *id;
	const char *data;
	size_t len;
	unsigned flags;
};

/* Insert the row (flags 0) or replace its data, keeping its flags (a mark
 * made meanwhile by another process survives). */
MCX_WUR enum mcx_err store_sub_put(struct mcx_store *st, const char *id,
				   const void *data, size_t len);
/* *datap gets a NUL-terminated copy (mcx_free); lenp and flagsp may be
 * NULL. MCX_ENOENT if there is no such row. */
MCX_WUR enum mcx_err store_sub_get(struct mcx_store *st, const char *id,
				   char **datap, size_t *lenp, unsigned *flagsp);
/* Set a row's flags. MCX_ENOENT if there is no such row. */
MCX_WUR enum mcx_err store_sub_mark(struct mcx_store *st, const char *id, unsigned flags);
/* MCX_ENOENT if there is no such row. */
MCX_WUR enum mcx_err store_sub_del(struct mcx_store *st, const char *id);
/* Rows in id order (flagged: only those with non-zero flags); s's
 * strings are valid during the call only; non-zero stops. */
typedef int (store_sub_h)(const struct store_sub *s, void *arg);
MCX_WUR enum mcx_err store_sub_list(struct mcx_store *st, bool flagged,
				    store_sub_h *h, void *arg);

#endif
