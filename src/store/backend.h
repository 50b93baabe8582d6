/* The private contract between store.c (cache, group commit, listeners) and
 * a storage backend (sqlite.c now, pg.c later): one table of functions. */
#ifndef MCX_STORE_BACKEND_H
#define MCX_STORE_BACKEND_H

#include "store/store.h"

/* Most commits applied in one transaction (one fsync). */
#define STORE_BATCH_MAX 128

/* One queued commit as the backend sees it. The backend fills r, err, seq
 * and mtime; it never keeps pointers into the item after commit returns. */
struct store_item {
	const struct store_commit *c;
	struct store_result *r;
	enum mcx_err err;         /* this item's own outcome */
	long long seq;            /* change sequence number; 0 if nothing changed */
	long long mtime;          /* time stamped on the new version */
};

/* Every function may be called from any thread, concurrently, except open
 * and close. commit is never called concurrently with itself (store.c has
 * one group-commit leader at a time), but may run concurrently with reads
 * and with the account and meta writers. */
struct store_backend {
	const char *name;
	enum mcx_err (*open)(void **bep, const struct store_opts *o,
			     char *errbuf, size_t errlen);
	void (*close)(void *be);
	/* version 0 = the current version. */
	enum mcx_err (*get)(void *be, const char *path, long long version,
			    struct store_doc **docp);
	/* Apply items[0..n) (n <= STORE_BATCH_MAX) in order in ONE durable
	 * transaction and return once it is durable. Each item's precondition
	 * is checked against the state left by the items before it; a failed
	 * precondition fails that item only. If the transaction itself fails
	 * (I/O, busy, full disk), nothing is written and every item's err is
	 * that failure. */
	void (*commit)(void *be, struct store_item **items, size_t n);
	enum mcx_err (*list)(void *be, const char *prefix, store_list_h *h, void *arg);
	enum mcx_err (*history)(void *be, const char *path, store_history_h *h, void *arg);
	enum mcx_err (*changes_since)(void *be, long long after,
				      store_change_h *h, void *arg);
	/* The newest change sequence number, 0 if none. */
	enum mcx_err (*last_seq)(void *be, long long *seqp);
	enum mcx_err (*user_put)(void *be, const struct store_user *u);
	enum mcx_err (*user_get)(void *be, const char *xui, struct store_user **up);
	/* name[0..namelen) is not NUL-terminated. */
	enum mcx_err (*user_find)(void *be, const char *name, size_t namelen,
				  const char *domain, struct store_user **up);
	enum mcx_err (*user_del)(void *be, const char *xui);
	enum mcx_err (*user_list)(void *be, store_user_h *h, void *arg);
	enum mcx_err (*meta_get)(void *be, const char *key, char **valp, size_t *lenp);
	enum mcx_err (*meta_put)(void *be, const char *key, const void *val, size_t len);
	enum mcx_err (*sub_put)(void *be, const char *id, const void *data, size_t len);
	enum mcx_err (*sub_get)(void *be, const char *id, char **datap, size_t *lenp,
				unsigned *flagsp);
	enum mcx_err (*sub_mark)(void *be, const char *id, unsigned flags);
	enum mcx_err (*sub_del)(void *be, const char *id);
	enum mcx_err (*sub_list)(void *be, bool flagged, store_sub_h *h, void *arg);
};

extern const struct store_backend store_backend_sqlite;

#endif
