/* The SQLite store backend: one writer connection for group commits and
 * account/meta writes, a pool of read connections with prepared statements,
 * WAL mode so reads never wait for the writer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define LOG_MODULE "store"
#include "core/log.h"
#include "core/mem.h"
#include "store/backend.h"
#include "core/banned.h"

#define DB_FILE "mcx.db"
#define BUSY_TIMEOUT_DEFAULT 5000  /* ms, when opts->busy_timeout_ms <= 0 */

/* migrations[v] takes a database at PRAGMA user_version v to v + 1. Append
 * only: a released step is never edited. Large columns (bytes) come last so
 * reading the others does not touch overflow pages. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE versions ("
	" path TEXT NOT NULL, version INTEGER NOT NULL, etag TEXT NOT NULL,"
	" len INTEGER NOT NULL, author TEXT NOT NULL, mtime INTEGER NOT NULL,"
	" deleted INTEGER NOT NULL DEFAULT 0, bytes BLOB,"
	" UNIQUE (path, version));"
	"CREATE TABLE docs ("
	" path TEXT PRIMARY KEY, version INTEGER NOT NULL, etag TEXT NOT NULL,"
	" len INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	" deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE changes ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL,"
	" prev_etag TEXT NOT NULL, new_etag TEXT NOT NULL,"
	" version INTEGER NOT NULL, author TEXT NOT NULL, time INTEGER NOT NULL);"
	"CREATE TABLE users ("
	" xui TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL,"
	" roles INTEGER NOT NULL DEFAULT 0,"
	" ha1_md5_full TEXT NOT NULL, ha1_md5_short TEXT NOT NULL,"
	" ha1_sha256_full TEXT NOT NULL, ha1_sha256_short TEXT NOT NULL,"
	" created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX users_domain_name ON users (domain, name);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;",
	/* 1 -> 2: the SIP notifier's subscriptions; flagged rows are few */
	"CREATE TABLE subs (id TEXT PRIMARY KEY, flags INTEGER NOT NULL DEFAULT 0,"
	" data BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX subs_flagged ON subs (flags) WHERE flags != 0;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum wstmt {
	W_BEGIN, W_COMMIT, W_ROLLBACK, W_CUR, W_INS_VER, W_UPS_DOC, W_INS_CHG,
	W_PRUNE, W_USER_PUT, W_USER_DEL, W_META_PUT, W_SUB_PUT, W_SUB_MARK, W_SUB_DEL, W_N
};

static const char *const wsql[W_N] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_CUR] = "SELECT version, etag, deleted FROM docs WHERE path = ?1",
	[W_INS_VER] = "INSERT INTO versions (path, version, etag, len, author, mtime,"
		      " deleted, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[W_UPS_DOC] = "INSERT INTO docs (path, version, etag, len, mtime, deleted)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (path) DO UPDATE SET"
		      " version = excluded.version, etag = excluded.etag,"
		      " len = excluded.len, mtime = excluded.mtime,"
		      " deleted = excluded.deleted",
	[W_INS_CHG] = "INSERT INTO changes (path, prev_etag, new_etag, version,"
		      " author, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[W_PRUNE] = "DELETE FROM versions WHERE path = ?1 AND version <= ?2",
	[W_USER_PUT] = "INSERT INTO users (xui, name, domain, roles, ha1_md5_full,"
		       " ha1_md5_short, ha1_sha256_full, ha1_sha256_short, created)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		       " ON CONFLICT (xui) DO UPDATE SET name = excluded.name,"
		       " domain = excluded.domain, roles = excluded.roles,"
		       " ha1_md5_full = excluded.ha1_md5_full,"
		       " ha1_md5_short = excluded.ha1_md5_short,"
		       " ha1_sha256_full = excluded.ha1_sha256_full,"
		       " ha1_sha256_short = excluded.ha1_sha256_short",
	[W_USER_DEL] = "DELETE FROM users WHERE xui = ?1",
	[W_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
		       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[W_SUB_PUT] = "INSERT INTO subs (id, flags, data) VALUES (?1, 0, ?2)"
		      " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
	[W_SUB_MARK] = "UPDATE subs SET flags = ?2 WHERE id = ?1",
	[W_SUB_DEL] = "DELETE FROM subs WHERE id = ?1",
};

enum rstmt {
	R_CUR, R_VER, R_LIST, R_LIST_ALL, R_HIST, R_CHANGES, R_USER_GET,
	R_USER_FIND, R_USER_LIST, R_META_GET, R_LAST_SEQ, R_SUB_GET, R_SUB_LIST,
	R_SUB_FLAGGED, R_N
};

#define USER_COLS "xui, name, domain, roles, ha1_md5_full, ha1_md5_short," \
		  " ha1_sha256_full, ha1_sha256_short, created"

static const char *const rsql[R_N] = {
	[R_CUR] = "SELECT v.version, v.etag, v.author, v.mtime, v.bytes"
		  " FROM docs d JOIN versions v ON v.path = d.path AND v.version = d.version"
		  " WHERE d.path = ?1 AND d.deleted = 0",
	[R_VER] = "SELECT version, etag, author, mtime, bytes FROM versions"
		  " WHERE path = ?1 AND version = ?2 AND deleted = 0",
	[R_LIST] = "SELECT path, etag, len, mtime FROM docs"
		   " WHERE path >= ?1 AND path < ?2 AND deleted = 0 ORDER BY path",
	[R_LIST_ALL] = "SELECT path, etag, len, mtime FROM docs"
		       " WHERE path >= ?1 AND deleted = 0 ORDER BY path",
	[R_HIST] = "SELECT version, etag, len, mtime, author, deleted FROM versions"
		   " WHERE path = ?1 ORDER BY version DESC",
	[R_CHANGES] = "SELECT seq, path, prev_etag, new_etag, version, author"
		      " FROM changes WHERE seq > ?1 ORDER BY seq",
	[R_USER_GET] = "SELECT " USER_COLS " FROM users WHERE xui = ?1",
	[R_USER_FIND] = "SELECT " USER_COLS " FROM users WHERE domain = ?1 AND name = ?2",
	[R_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY xui",
	[R_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[R_LAST_SEQ] = "SELECT seq FROM changes ORDER BY seq DESC LIMIT 1",
	[R_SUB_GET] = "SELECT id, flags, data FROM subs WHERE id = ?1",
	[R_SUB_LIST] = "SELECT id, flags, data FROM subs ORDER BY id",
	[R_SUB_FLAGGED] = "SELECT id, flags, data FROM subs WHERE flags != 0 ORDER BY id",
};

/* A read connection; used by one thread at a time, between rconn_get and
 * rconn_put. Statements are prepared on first use and kept. */
struct rconn {
	sqlite3 *db;
	sqlite3_stmt *st[R_N];
	struct rconn *next;         /* in the idle list */
};

struct sq {
	char *file;                 /* "<dir>/mcx.db" */
	long long history_keep;
	int busy_ms;
	pthread_mutex_t wlock;      /* the writer connection and its statements */
	sqlite3 *w;
	sqlite3_stmt *ws[W_N];
	pthread_mutex_t plock;      /* the idle list */
	struct rconn *idle;
};

/* The current row of a path as the writer sees it inside its transaction. */
struct cur {
	bool live;                  /* exists and is not deleted */
	long long version;          /* last version number used, 0 if none */
	char etag[STORE_ETAG_MAX];
};

/* ---- errors ---- */

static enum mcx_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:     return MCX_EBUSY;
	case SQLITE_NOMEM:      return MCX_ENOMEM;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:   return MCX_EIO;
	case SQLITE_CONSTRAINT: return MCX_EEXIST;
	case SQLITE_TOOBIG:     return MCX_ELIMIT;
	default:                return MCX_EDB;
	}
}

/* Logs why a call on db failed (call before sqlite3_reset) and maps rc. */
static enum mcx_err db_fail(const struct sq *b, sqlite3 *db, int rc, const char *what)
{
	enum mcx_err err = map_rc(rc);

	if (err == MCX_EBUSY || err == MCX_EEXIST)
		log_warn("%s: %s: %s", b->file, what, sqlite3_errmsg(db));
	else
		log_err("%s: %s: %s", b->file, what, sqlite3_errmsg(db));
	return err;
}

static void set_errbuf(char *errbuf, size_t errlen, const char *file, const char *msg)
{
	if (errlen)
		snprintf(errbuf, errlen, "%s: %s", file, msg);
}

/* Steps a statement that returns no rows we want, then resets it. */
static enum mcx_err run(const struct sq *b, sqlite3 *db, sqlite3_stmt *s,
			const char *what)
{
	int rc = sqlite3_step(s);
	enum mcx_err err = MCX_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = db_fail(b, db, rc, what);
	sqlite3_reset(s);
	return err;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

static void copy_str(char *dst, size_t max, const char *src)
{
	snprintf(dst, max, "%s", src);
}

/* ---- the read connection pool ---- */

static enum mcx_err rconn_open(struct sq *b, struct rconn **rcp)
{
	struct rconn *rc = mcx_calloc(1, sizeof(*rc));
	enum mcx_err err;
	int r;

	if (!rc)
		return MCX_ENOMEM;
	r = sqlite3_open_v2(b->file, &rc->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (r == SQLITE_OK) {
		sqlite3_extended_result_codes(rc->db, 1);
		sqlite3_busy_timeout(rc->db, b->busy_ms);
		r = sqlite3_exec(rc->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	}
	if (r != SQLITE_OK) {
		err = rc->db ? db_fail(b, rc->db, r, "open reader") : MCX_ENOMEM;
		sqlite3_close(rc->db);
		mcx_free(rc);
		return err;
	}
	*rcp = rc;
	return MCX_OK;
}

static void rconn_close(struct rconn *rc)
{
	size_t i;

	for (i = 0; i < R_N; i++)
		sqlite3_finalize(rc->st[i]);
	sqlite3_close(rc->db);
	mcx_free(rc);
}

static void rconn_put(struct sq *b, struct rconn *rc, sqlite3_stmt *s)
{
	if (s)
		sqlite3_reset(s);   /* ends the read transaction */
	pthread_mutex_lock(&b->plock);
	rc->next = b->idle;
	b->idle = rc;
	pthread_mutex_unlock(&b->plock);
}

/* A read connection (idle or new) and its prepared statement i. */
static enum mcx_err rconn_get(struct sq *b, enum rstmt i, struct rconn **rcp,
			      sqlite3_stmt **sp)
{
	struct rconn *rc;
	enum mcx_err err;
	int r;

	pthread_mutex_lock(&b->plock);
	rc = b->idle;
	if (rc)
		b->idle = rc->next;
	pthread_mutex_unlock(&b->plock);
	if (!rc) {
		err = rconn_open(b, &rc);
		if (err)
			return err;
	}
	if (!rc->st[i]) {
		r = sqlite3_prepare_v3(rc->db, rsql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &rc->st[i], NULL);
		if (r != SQLITE_OK) {
			err = db_fail(b, rc->db, r, "prepare");
			rconn_put(b, rc, NULL);
			return err;
		}
	}
	*rcp = rc;
	*sp = rc->st[i];
	return MCX_OK;
}

/* ---- reads ---- */

static enum mcx_err row_doc(sqlite3_stmt *s, const char *path, struct store_doc **docp)
{
	const void *bytes = sqlite3_column_blob(s, 4);
	size_t len = (size_t)sqlite3_column_bytes(s, 4);

	*docp = store_doc_alloc(path, bytes, len, col_text(s, 1),
				sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 3),
				col_text(s, 2));
	return *docp ? MCX_OK : MCX_ENOMEM;
}

static enum mcx_err sq_get(void *be, const char *path, long long version,
			   struct store_doc **docp)
{
	struct sq *b = be;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, version ? R_VER : R_CUR, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_int64(s, 2, version);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		err = row_doc(s, path, docp);
	else if (r == SQLITE_DONE)
		err = MCX_ENOENT;
	else
		err = db_fail(b, rc->db, r, "get");
	rconn_put(b, rc, s);
	return err;
}

/* The least string above every string starting with prefix: prefix with
 * its last byte below 0xff incremented and the rest cut; NULL if none. */
static enum mcx_err prefix_end(const char *prefix, char **endp, size_t *lenp)
{
	size_t n = strlen(prefix);

	*endp = NULL;
	while (n && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	if (!n)
		return MCX_OK;
	*endp = mcx_strndup(prefix, n);
	if (!*endp)
		return MCX_ENOMEM;
	(*endp)[n - 1] = (char)((unsigned char)prefix[n - 1] + 1);
	*lenp = n;
	return MCX_OK;
}

static enum mcx_err sq_list(void *be, const char *prefix, store_list_h *h, void *arg)
{
	struct sq *b = be;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	size_t endlen = 0;
	char *end;
	int r;

	err = prefix_end(prefix, &end, &endlen);
	if (err)
		return err;
	err = rconn_get(b, end ? R_LIST : R_LIST_ALL, &rc, &s);
	if (err)
		goto out;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	if (end)
		sqlite3_bind_text(s, 2, end, (int)endlen, SQLITE_STATIC);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (h(col_text(s, 0), col_text(s, 1), (size_t)sqlite3_column_int64(s, 2),
		      sqlite3_column_int64(s, 3), arg))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		err = db_fail(b, rc->db, r, "list");
	rconn_put(b, rc, s);
out:
	mcx_free(end);
	return err;
}

static enum mcx_err sq_history(void *be, const char *path, store_history_h *h, void *arg)
{
	struct sq *b = be;
	struct store_version v;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	bool found = false;
	int r;

	err = rconn_get(b, R_HIST, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		found = true;
		memset(&v, 0, sizeof(v));
		v.version = sqlite3_column_int64(s, 0);
		copy_str(v.etag, sizeof(v.etag), col_text(s, 1));
		v.len = (size_t)sqlite3_column_int64(s, 2);
		v.mtime = sqlite3_column_int64(s, 3);
		v.author = col_text(s, 4);
		v.deleted = sqlite3_column_int(s, 5) != 0;
		if (h(&v, arg))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		err = db_fail(b, rc->db, r, "history");
	else if (!found)
		err = MCX_ENOENT;
	rconn_put(b, rc, s);
	return err;
}

static enum mcx_err sq_changes_since(void *be, long long after,
				     store_change_h *h, void *arg)
{
	struct sq *b = be;
	struct store_change c;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, R_CHANGES, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, after);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		c.seq = sqlite3_column_int64(s, 0);
		c.path = col_text(s, 1);
		c.prev_etag = col_text(s, 2);
		c.new_etag = col_text(s, 3);
		c.version = sqlite3_column_int64(s, 4);
		c.author = col_text(s, 5);
		h(&c, arg);
	}
	if (r != SQLITE_DONE)
		err = db_fail(b, rc->db, r, "changes");
	rconn_put(b, rc, s);
	return err;
}

static enum mcx_err sq_last_seq(void *be, long long *seqp)
{
	struct sq *b = be;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, R_LAST_SEQ, &rc, &s);
	if (err)
		return err;
	*seqp = 0;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*seqp = sqlite3_column_int64(s, 0);
	else if (r != SQLITE_DONE)
		err = db_fail(b, rc->db, r, "last change");
	rconn_put(b, rc, s);
	return err;
}

/* ---- group commit ---- */

static enum mcx_err load_cur(struct sq *b, const char *path, struct cur *cur)
{
	sqlite3_stmt *s = b->ws[W_CUR];
	enum mcx_err err = MCX_OK;
	int r;

	memset(cur, 0, sizeof(*cur));
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		cur->version = sqlite3_column_int64(s, 0);
		copy_str(cur->etag, sizeof(cur->etag), col_text(s, 1));
		cur->live = sqlite3_column_int(s, 2) == 0;
		if (!cur->live)
			cur->etag[0] = '\0';
	} else if (r != SQLITE_DONE) {
		err = db_fail(b, b->w, r, "read current");
	}
	sqlite3_reset(s);
	return err;
}

/* The item's own outcome against cur; fills r. OK with r->changed false
 * means the same bytes are already current. */
static enum mcx_err check(const struct store_commit *c, const struct cur *cur,
			  struct store_result *r)
{
	const char *x = c->expect_etag;

	if (x && (*x ? !cur->live || strcmp(x, cur->etag) : cur->live)) {
		copy_str(r->prev_etag, sizeof(r->prev_etag), cur->etag);
		r->version = cur->live ? cur->version : 0;
		return MCX_ECONFLICT;
	}
	if (!c->bytes && !cur->live)
		return MCX_ENOENT;
	copy_str(r->prev_etag, sizeof(r->prev_etag), cur->etag);
	r->created = !cur->live;
	if (c->bytes && cur->live && !strcmp(c->etag, cur->etag)) {
		r->version = cur->version;
		return MCX_OK;
	}
	r->changed = true;
	r->version = cur->version + 1;
	return MCX_OK;
}

static enum mcx_err insert_version(struct sq *b, const struct store_item *it)
{
	const struct store_commit *c = it->c;
	sqlite3_stmt *s = b->ws[W_INS_VER];
	int r;

	sqlite3_bind_text(s, 1, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, it->r->version);
	sqlite3_bind_text(s, 3, c->bytes ? c->etag : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, c->bytes ? (sqlite3_int64)c->len : 0);
	sqlite3_bind_text(s, 5, c->author ? c->author : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, it->mtime);
	sqlite3_bind_int(s, 7, !c->bytes);
	if (c->bytes)
		r = sqlite3_bind_blob64(s, 8, c->bytes, c->len, SQLITE_STATIC);
	else
		r = sqlite3_bind_null(s, 8);
	if (r != SQLITE_OK)
		return db_fail(b, b->w, r, "bind document");
	return run(b, b->w, s, "insert version");
}

static enum mcx_err upsert_doc(struct sq *b, const struct store_item *it)
{
	const struct store_commit *c = it->c;
	sqlite3_stmt *s = b->ws[W_UPS_DOC];

	sqlite3_bind_text(s, 1, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, it->r->version);
	sqlite3_bind_text(s, 3, c->bytes ? c->etag : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, c->bytes ? (sqlite3_int64)c->len : 0);
	sqlite3_bind_int64(s, 5, it->mtime);
	sqlite3_bind_int(s, 6, !c->bytes);
	return run(b, b->w, s, "update current");
}

static enum mcx_err insert_change(struct sq *b, struct store_item *it)
{
	const struct store_commit *c = it->c;
	sqlite3_stmt *s = b->ws[W_INS_CHG];
	enum mcx_err err;

	sqlite3_bind_text(s, 1, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, it->r->prev_etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->bytes ? c->etag : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, it->r->version);
	sqlite3_bind_text(s, 5, c->author ? c->author : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, it->mtime);
	err = run(b, b->w, s, "insert change");
	if (!err)
		it->seq = sqlite3_last_insert_rowid(b->w);
	return err;
}

/* Keeps the newest history_keep versions of the path (the current one is
 * the newest, so it always stays). */
static enum mcx_err prune(struct sq *b, const struct store_item *it)
{
	sqlite3_stmt *s = b->ws[W_PRUNE];

	if (b->history_keep <= 0 || it->r->version <= b->history_keep)
		return MCX_OK;
	sqlite3_bind_text(s, 1, it->c->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, it->r->version - b->history_keep);
	return run(b, b->w, s, "prune history");
}

/* Applies one item inside the open transaction. The item's own outcome goes
 * to it->err; the return value is a failure of the whole transaction. */
static enum mcx_err apply(struct sq *b, struct store_item *it)
{
	const struct store_commit *c = it->c;
	struct cur cur;
	enum mcx_err err;

	if (c->bytes && c->len > (size_t)sqlite3_limit(b->w, SQLITE_LIMIT_LENGTH, -1)) {
		it->err = MCX_ELIMIT;
		return MCX_OK;
	}
	err = load_cur(b, c->path, &cur);
	if (err)
		return err;
	it->err = check(c, &cur, it->r);
	if (it->err || !it->r->changed)
		return MCX_OK;
	it->mtime = (long long)time(NULL);
	err = insert_version(b, it);
	if (!err)
		err = upsert_doc(b, it);
	if (!err)
		err = insert_change(b, it);
	if (!err)
		err = prune(b, it);
	return err;
}

static enum mcx_err run_group(struct sq *b, struct store_item **items, size_t n)
{
	enum mcx_err err;
	size_t i;

	err = run(b, b->w, b->ws[W_BEGIN], "begin");
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		err = apply(b, items[i]);
		if (err)
			goto rollback;
	}
	err = run(b, b->w, b->ws[W_COMMIT], "commit");
	if (!err)
		return MCX_OK;
rollback:
	if (!sqlite3_get_autocommit(b->w))
		(void)run(b, b->w, b->ws[W_ROLLBACK], "rollback");
	return err;
}

static void sq_commit(void *be, struct store_item **items, size_t n)
{
	struct sq *b = be;
	enum mcx_err err;
	size_t i;

	pthread_mutex_lock(&b->wlock);
	err = run_group(b, items, n);
	pthread_mutex_unlock(&b->wlock);
	if (!err)
		return;
	for (i = 0; i < n; i++) {
		items[i]->err = err;
		items[i]->seq = 0;
		memset(items[i]->r, 0, sizeof(*items[i]->r));
	}
}

/* ---- accounts and meta ---- */

static enum mcx_err sq_user_put(void *be, const struct store_user *u)
{
	struct sq *b = be;
	sqlite3_stmt *s = b->ws[W_USER_PUT];
	enum mcx_err err;

	pthread_mutex_lock(&b->wlock);
	sqlite3_bind_text(s, 1, u->xui, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, u->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, u->roles);
	sqlite3_bind_text(s, 5, u->ha1_md5_full, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, u->ha1_md5_short, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, u->ha1_sha256_full, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, u->ha1_sha256_short, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, u->created ? u->created : (long long)time(NULL));
	err = run(b, b->w, s, "put user");
	pthread_mutex_unlock(&b->wlock);
	return err;
}

static enum mcx_err sq_user_del(void *be, const char *xui)
{
	struct sq *b = be;
	sqlite3_stmt *s = b->ws[W_USER_DEL];
	enum mcx_err err;

	pthread_mutex_lock(&b->wlock);
	sqlite3_bind_text(s, 1, xui, -1, SQLITE_STATIC);
	err = run(b, b->w, s, "delete user");
	if (!err && sqlite3_changes(b->w) == 0)
		err = MCX_ENOENT;
	pthread_mutex_unlock(&b->wlock);
	return err;
}

/* A view of the current row: valid until the statement moves on. */
static void row_user_view(sqlite3_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->xui = (char *)col_text(s, 0);
	u->name = (char *)col_text(s, 1);
	u->domain = (char *)col_text(s, 2);
	u->roles = (unsigned)sqlite3_column_int64(s, 3);
	copy_str(u->ha1_md5_full, sizeof(u->ha1_md5_full), col_text(s, 4));
	copy_str(u->ha1_md5_short, sizeof(u->ha1_md5_short), col_text(s, 5));
	copy_str(u->ha1_sha256_full, sizeof(u->ha1_sha256_full), col_text(s, 6));
	copy_str(u->ha1_sha256_short, sizeof(u->ha1_sha256_short), col_text(s, 7));
	u->created = sqlite3_column_int64(s, 8);
}

static enum mcx_err row_user(sqlite3_stmt *s, struct store_user **up)
{
	struct store_user v, *u = mcx_malloc(sizeof(*u));

	if (!u)
		return MCX_ENOMEM;
	row_user_view(s, &v);
	*u = v;
	u->xui = mcx_strdup(v.xui);
	u->name = mcx_strdup(v.name);
	u->domain = mcx_strdup(v.domain);
	if (!u->xui || !u->name || !u->domain) {
		store_user_free(u);
		return MCX_ENOMEM;
	}
	*up = u;
	return MCX_OK;
}

/* Steps a statement expected to return at most one user. */
static enum mcx_err one_user(struct sq *b, struct rconn *rc, sqlite3_stmt *s,
			     struct store_user **up)
{
	int r = sqlite3_step(s);
	enum mcx_err err;

	if (r == SQLITE_ROW)
		err = row_user(s, up);
	else if (r == SQLITE_DONE)
		err = MCX_ENOENT;
	else
		err = db_fail(b, rc->db, r, "get user");
	rconn_put(b, rc, s);
	return err;
}

static enum mcx_err sq_user_get(void *be, const char *xui, struct store_user **up)
{
	struct sq *b = be;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;

	err = rconn_get(b, R_USER_GET, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, xui, -1, SQLITE_STATIC);
	return one_user(b, rc, s, up);
}

static enum mcx_err sq_user_find(void *be, const char *name, size_t namelen,
				 const char *domain, struct store_user **up)
{
	struct sq *b = be;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;

	if (namelen > INT_MAX)
		return MCX_ENOENT;
	err = rconn_get(b, R_USER_FIND, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, (int)namelen, SQLITE_STATIC);
	return one_user(b, rc, s, up);
}

static enum mcx_err sq_user_list(void *be, store_user_h *h, void *arg)
{
	struct sq *b = be;
	struct store_user u;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, R_USER_LIST, &rc, &s);
	if (err)
		return err;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		row_user_view(s, &u);
		if (h(&u, arg))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		err = db_fail(b, rc->db, r, "list users");
	rconn_put(b, rc, s);
	return err;
}

static enum mcx_err sq_meta_get(void *be, const char *key, char **valp, size_t *lenp)
{
	struct sq *b = be;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, R_META_GET, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		const char *p = sqlite3_column_blob(s, 0);
		size_t n = (size_t)sqlite3_column_bytes(s, 0);

		*valp = mcx_strndup(n ? p : "", n);
		if (!*valp)
			err = MCX_ENOMEM;
		else if (lenp)
			*lenp = n;
	} else if (r == SQLITE_DONE) {
		err = MCX_ENOENT;
	} else {
		err = db_fail(b, rc->db, r, "get meta");
	}
	rconn_put(b, rc, s);
	return err;
}

/* One write of (key, blob) with the prepared statement w. */
static enum mcx_err put_blob(struct sq *b, enum wstmt w, const char *key, const void *val,
			     size_t len, const char *bind_what, const char *put_what)
{
	sqlite3_stmt *s = b->ws[w];
	enum mcx_err err;
	int r;

	pthread_mutex_lock(&b->wlock);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	r = sqlite3_bind_blob64(s, 2, len ? val : "", len, SQLITE_STATIC);
	if (r != SQLITE_OK)
		err = db_fail(b, b->w, r, bind_what);
	else
		err = run(b, b->w, s, put_what);
	pthread_mutex_unlock(&b->wlock);
	return err;
}

static enum mcx_err sq_meta_put(void *be, const char *key, const void *val, size_t len)
{
	return put_blob(be, W_META_PUT, key, val, len, "bind meta", "put meta");
}

/* ---- subscriptions ---- */

static enum mcx_err sq_sub_put(void *be, const char *id, const void *data, size_t len)
{
	return put_blob(be, W_SUB_PUT, id, data, len, "bind subscription", "put subscription");
}

/* Runs a one-row write on id; MCX_ENOENT when it touched no row. */
static enum mcx_err sub_write(struct sq *b, enum wstmt w, const char *id, long long flags,
			      const char *what)
{
	sqlite3_stmt *s = b->ws[w];
	enum mcx_err err;

	pthread_mutex_lock(&b->wlock);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (w == W_SUB_MARK)
		sqlite3_bind_int64(s, 2, flags);
	err = run(b, b->w, s, what);
	if (!err && sqlite3_changes(b->w) == 0)
		err = MCX_ENOENT;
	pthread_mutex_unlock(&b->wlock);
	return err;
}

static enum mcx_err sq_sub_mark(void *be, const char *id, unsigned flags)
{
	return sub_write(be, W_SUB_MARK, id, flags, "mark subscription");
}

static enum mcx_err sq_sub_del(void *be, const char *id)
{
	return sub_write(be, W_SUB_DEL, id, 0, "delete subscription");
}

static void row_sub_view(sqlite3_stmt *s, struct store_sub *v)
{
	v->id = col_text(s, 0);
	v->flags = (unsigned)sqlite3_column_int64(s, 1);
	v->data = sqlite3_column_blob(s, 2);
	v->len = (size_t)sqlite3_column_bytes(s, 2);
	if (!v->data)
		v->data = "";
}

static enum mcx_err sq_sub_get(void *be, const char *id, char **datap, size_t *lenp,
			       unsigned *flagsp)
{
	struct sq *b = be;
	struct store_sub v;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, R_SUB_GET, &rc, &s);
	if (err)
		return err;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		row_sub_view(s, &v);
		*datap = mcx_strndup(v.data, v.len);
		if (!*datap)
			err = MCX_ENOMEM;
		if (lenp)
			*lenp = v.len;
		if (flagsp)
			*flagsp = v.flags;
	} else if (r == SQLITE_DONE) {
		err = MCX_ENOENT;
	} else {
		err = db_fail(b, rc->db, r, "get subscription");
	}
	rconn_put(b, rc, s);
	return err;
}

static enum mcx_err sq_sub_list(void *be, bool flagged, store_sub_h *h, void *arg)
{
	struct sq *b = be;
	struct store_sub v;
	struct rconn *rc;
	sqlite3_stmt *s;
	enum mcx_err err;
	int r;

	err = rconn_get(b, flagged ? R_SUB_FLAGGED : R_SUB_LIST, &rc, &s);
	if (err)
		return err;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		row_sub_view(s, &v);
		if (h(&v, arg))
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		err = db_fail(b, rc->db, r, "list subscriptions");
	rconn_put(b, rc, s);
	return err;
}

/* ---- open and close ---- */

/* mkdir -p with mode 0700 for what it creates. */
static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);
	struct stat sb;
	char *p;

	if (n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, dir, n + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -1;
	if (stat(tmp, &sb))
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* Makes the directory entries of new files (database, WAL) durable. */
static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char eb[128];

	if (fd < 0)
		return;
	if (fsync(fd))
		log_warn("%s: fsync: %s", dir, strerror_r(errno, eb, sizeof(eb)));
	close(fd);
}

static enum mcx_err user_version(struct sq *b, int *vp)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = sqlite3_prepare_v2(b->w, "PRAGMA user_version", -1, &s, NULL);
	if (r == SQLITE_OK) {
		r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			*vp = sqlite3_column_int(s, 0);
			r = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return r == SQLITE_OK ? MCX_OK : map_rc(r);
}

/* Brings the schema to SCHEMA_VERSION in one transaction. */
static enum mcx_err migrate(struct sq *b, char *errbuf, size_t errlen)
{
	char sql[64];
	int v = 0, r;

	r = sqlite3_exec(b->w, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (r != SQLITE_OK)
		goto fail;
	if (user_version(b, &v))
		goto fail;
	if (v > SCHEMA_VERSION) {
		if (errlen)
			snprintf(errbuf, errlen, "%s: schema version %d is newer than this "
				 "program's (%d)", b->file, v, SCHEMA_VERSION);
		sqlite3_exec(b->w, "ROLLBACK", NULL, NULL, NULL);
		return MCX_EDB;
	}
	for (; v < SCHEMA_VERSION; v++) {
		r = sqlite3_exec(b->w, migrations[v], NULL, NULL, NULL);
		if (r != SQLITE_OK)
			goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	r = sqlite3_exec(b->w, sql, NULL, NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_exec(b->w, "COMMIT", NULL, NULL, NULL);
	if (r == SQLITE_OK)
		return MCX_OK;
fail:
	set_errbuf(errbuf, errlen, b->file, sqlite3_errmsg(b->w));
	r = sqlite3_extended_errcode(b->w);
	if (!sqlite3_get_autocommit(b->w))
		sqlite3_exec(b->w, "ROLLBACK", NULL, NULL, NULL);
	return map_rc(r);
}

/* WAL lets readers run beside the writer; FULL syncs the WAL on every
 * commit (durable on power loss), NORMAL only at checkpoints. */
static enum mcx_err set_journal(struct sq *b, bool sync_full, char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	bool wal = false;
	int r;

	r = sqlite3_prepare_v2(b->w, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		wal = !strcmp(col_text(s, 0), "wal");
		r = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (r == SQLITE_OK)
		r = sqlite3_exec(b->w, sync_full ? "PRAGMA synchronous = FULL" :
				 "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (r != SQLITE_OK) {
		set_errbuf(errbuf, errlen, b->file, sqlite3_errmsg(b->w));
		return map_rc(r);
	}
	if (!wal) {
		set_errbuf(errbuf, errlen, b->file, "cannot switch to WAL mode");
		return MCX_EDB;
	}
	return MCX_OK;
}

static enum mcx_err open_writer(struct sq *b, const struct store_opts *o,
				char *errbuf, size_t errlen)
{
	enum mcx_err err;
	int r, i;

	r = sqlite3_open_v2(b->file, &b->w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		set_errbuf(errbuf, errlen, b->file, b->w ? sqlite3_errmsg(b->w) :
			   sqlite3_errstr(r));
		return map_rc(r);
	}
	sqlite3_extended_result_codes(b->w, 1);
	sqlite3_busy_timeout(b->w, b->busy_ms);
	err = set_journal(b, o->sync_full, errbuf, errlen);
	if (!err)
		err = migrate(b, errbuf, errlen);
	for (i = 0; !err && i < W_N; i++) {
		r = sqlite3_prepare_v3(b->w, wsql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &b->ws[i], NULL);
		if (r != SQLITE_OK) {
			set_errbuf(errbuf, errlen, b->file, sqlite3_errmsg(b->w));
			err = map_rc(r);
		}
	}
	if (!err)
		fsync_dir(o->dir);
	return err;
}

static void sq_close(void *be)
{
	struct sq *b = be;
	struct rconn *rc;
	size_t i;

	if (!b)
		return;
	while ((rc = b->idle)) {
		b->idle = rc->next;
		rconn_close(rc);
	}
	for (i = 0; i < W_N; i++)
		sqlite3_finalize(b->ws[i]);
	if (sqlite3_close(b->w) != SQLITE_OK)
		log_err("%s: close: %s", b->file, sqlite3_errmsg(b->w));
	pthread_mutex_destroy(&b->wlock);
	pthread_mutex_destroy(&b->plock);
	mcx_free(b->file);
	mcx_free(b);
}

static enum mcx_err sq_open(void **bep, const struct store_opts *o,
			    char *errbuf, size_t errlen)
{
	size_t dlen = strlen(o->dir);
	enum mcx_err err;
	struct sq *b;
	char eb[128];

	if (!sqlite3_threadsafe()) {
		set_errbuf(errbuf, errlen, "sqlite3", "built without thread support");
		return MCX_EDB;
	}
	if (mkdir_p(o->dir)) {
		set_errbuf(errbuf, errlen, o->dir, strerror_r(errno, eb, sizeof(eb)));
		return MCX_EIO;
	}
	b = mcx_calloc(1, sizeof(*b));
	if (b)
		b->file = mcx_malloc(dlen + sizeof("/" DB_FILE));
	if (!b || !b->file) {
		mcx_free(b);
		set_errbuf(errbuf, errlen, o->dir, "out of memory");
		return MCX_ENOMEM;
	}
	snprintf(b->file, dlen + sizeof("/" DB_FILE), "%s/" DB_FILE, o->dir);
	b->history_keep = o->history_keep;
	b->busy_ms = o->busy_timeout_ms <= 0 ? BUSY_TIMEOUT_DEFAULT :
		     o->busy_timeout_ms > INT_MAX ? INT_MAX : (int)o->busy_timeout_ms;
	pthread_mutex_init(&b->wlock, NULL);
	pthread_mutex_init(&b->plock, NULL);
	err = open_writer(b, o, errbuf, errlen);
	if (err) {
		sq_close(b);
		return err;
	}
	*bep = b;
	return MCX_OK;
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.get = sq_get,
	.commit = sq_commit,
	.list = sq_list,
	.history = sq_history,
	.changes_since = sq_changes_since,
	.last_seq = sq_last_seq,
	.user_put = sq_user_put,
	.user_get = sq_user_get,
	.user_find = sq_user_find,
	.user_del = sq_user_del,
	.user_list = sq_user_list,
	.meta_get = sq_meta_get,
	.meta_put = sq_meta_put,
	.sub_put = sq_sub_put,
	.sub_get = sq_sub_get,
	.sub_mark = sq_sub_mark,
	.sub_del = sq_sub_del,
	.sub_list = sq_sub_list,
};
